/* baseline_server.c — the benchmark's yardstick: an HTTPS AdmissionReview echo
 * with no engine work, built with the same libmicrohttpd/GnuTLS settings as
 * `podtune serve`, so that bench/run.py can express podtune's cost as ratios.
 *
 * What it does per request: accumulates the POST /mutate body (3 MiB cap,
 * like podtune), parses it with jansson, takes request.uid and answers
 *   {"apiVersion":…,"kind":"AdmissionReview","response":{"uid":…,"allowed":true}}
 * GET /healthz and /readyz answer 200 so the harness can wait for readiness.
 * Nothing is logged per request. Deliberately not part of podtune.
 *
 * usage: baseline_server --addr 127.0.0.1:PORT|0 --tls-cert FILE --tls-key FILE [--threads N]
 *        baseline_server --replay REVIEW.json…   (the same work, no network; for callgrind)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Same TLS settings as podtune: take the priority string from podtune's own
 * header when it is there, so the two cannot drift apart silently. */
#if defined(__has_include)
#if __has_include("podtune/server.h")
#include "podtune/server.h"
#endif
#endif
#ifndef PT_SERVER_TLS_PRIORITIES
#define PT_SERVER_TLS_PRIORITIES                                                                   \
    "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:"             \
    "+CHACHA20-POLY1305:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:-MAC-ALL:+AEAD:%SERVER_PRECEDENCE"
#endif
#ifndef PT_SERVER_MAX_BODY
#define PT_SERVER_MAX_BODY (3u * 1024u * 1024u)
#endif

struct req {
    char *body;
    size_t len, cap;
    int too_big;
};

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;

    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        buf = malloc((size_t)n + 1);
        if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
            free(buf);
            buf = NULL;
        } else if (buf) {
            buf[n] = '\0';
        }
    }
    fclose(f);
    return buf;
}

static enum MHD_Result send_text(struct MHD_Connection *conn, unsigned status, const char *ctype,
                                 char *body, size_t len, int take)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        len, body, take ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_MUST_COPY);
    enum MHD_Result ret;

    if (!r) {
        if (take)
            free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

/* The whole "admission": parse, pick the uid, answer allowed. Returns the
 * response text (caller frees), or NULL with *bad set when the body is not a
 * review, or NULL alone when out of memory. Not inlined: bench/run.py counts
 * its instructions with callgrind --toggle-collect=echo_review. */
__attribute__((noinline)) static char *echo_review(const char *body, size_t len, int *bad)
{
    json_error_t jerr;
    json_t *in, *out;
    const char *uid = NULL, *api = NULL;
    char *text;

    *bad = 0;
    in = json_loadb(body, len, 0, &jerr);
    if (!in || json_unpack(in, "{s?s, s:{s:s}}", "apiVersion", &api, "request", "uid", &uid) != 0) {
        json_decref(in);
        *bad = 1;
        return NULL;
    }
    out = json_pack("{s:s, s:s, s:{s:s, s:b}}", "apiVersion", api ? api : "admission.k8s.io/v1",
                    "kind", "AdmissionReview", "response", "uid", uid, "allowed", 1);
    text = out ? json_dumps(out, JSON_COMPACT) : NULL;
    json_decref(out);
    json_decref(in);
    return text;
}

static enum MHD_Result answer(struct MHD_Connection *conn, struct req *rq)
{
    int bad;
    char *text = echo_review(rq->body ? rq->body : "", rq->len, &bad);

    if (bad)
        return send_text(conn, 400, "application/json", (char *)"{\"error\":\"bad review\"}\n",
                         23, 0);
    if (!text)
        return MHD_NO;
    return send_text(conn, 200, "application/json", text, strlen(text), 1);
}

/* --replay FILE…: the per-request work without the network, for callgrind. */
static int replay(int n, char **files)
{
    size_t total = 0;

    for (int i = 0; i < n; i++) {
        char *body = read_file(files[i]);
        int bad;
        char *text = body ? echo_review(body, strlen(body), &bad) : NULL;
        if (!text) {
            fprintf(stderr, "baseline_server: %s: not a review\n", files[i]);
            free(body);
            return 1;
        }
        total += strlen(text);
        free(text);
        free(body);
    }
    printf("%zu bytes answered for %d reviews\n", total, n);
    return 0;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *data,
                              size_t *size, void **con_cls)
{
    struct req *rq = *con_cls;

    (void)cls;
    (void)version;
    if (strcmp(method, "GET") == 0) {
        if (strcmp(url, "/healthz") == 0 || strcmp(url, "/readyz") == 0)
            return send_text(conn, 200, "text/plain", (char *)"ok\n", 3, 0);
        return send_text(conn, 404, "text/plain", (char *)"not found\n", 10, 0);
    }
    if (strcmp(method, "POST") != 0 || strcmp(url, "/mutate") != 0)
        return send_text(conn, 404, "text/plain", (char *)"not found\n", 10, 0);
    if (!rq) {
        rq = calloc(1, sizeof(*rq));
        if (!rq)
            return MHD_NO;
        *con_cls = rq;
        return MHD_YES;
    }
    if (*size) {
        if (rq->too_big || rq->len + *size > PT_SERVER_MAX_BODY) {
            rq->too_big = 1;
        } else {
            if (rq->len + *size + 1 > rq->cap) {
                size_t cap = rq->cap ? rq->cap : 16384;
                char *nb;
                while (cap < rq->len + *size + 1)
                    cap *= 2;
                nb = realloc(rq->body, cap);
                if (!nb)
                    return MHD_NO;
                rq->body = nb;
                rq->cap = cap;
            }
            memcpy(rq->body + rq->len, data, *size);
            rq->len += *size;
        }
        *size = 0;
        return MHD_YES;
    }
    if (rq->too_big)
        return send_text(conn, 413, "application/json", (char *)"{\"error\":\"too big\"}\n", 20, 0);
    return answer(conn, rq);
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    struct req *rq = *con_cls;

    (void)cls;
    (void)conn;
    (void)toe;
    if (rq) {
        free(rq->body);
        free(rq);
        *con_cls = NULL;
    }
}

static int parse_addr(const char *s, struct sockaddr_in *sa)
{
    char host[64];
    const char *colon = strrchr(s, ':');
    char *end;
    unsigned long port;

    if (!colon || (size_t)(colon - s) >= sizeof(host))
        return -1;
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = '\0';
    errno = 0;
    port = strtoul(colon + 1, &end, 10);
    if (errno || *end || port > 65535)
        return -1;
    memset(sa, 0, sizeof(*sa));
    sa->sin_family = AF_INET;
    sa->sin_port = htons((unsigned short)port);
    return inet_pton(AF_INET, host[0] ? host : "0.0.0.0", &sa->sin_addr) == 1 ? 0 : -1;
}

int main(int argc, char **argv)
{
    const char *addr = "127.0.0.1:8443", *certf = NULL, *keyf = NULL;
    unsigned threads = 0;
    struct sockaddr_in sa;
    char *cert, *key;
    struct MHD_Daemon *d;
    sigset_t set;
    int sig;

    if (argc > 1 && strcmp(argv[1], "--replay") == 0)
        return replay(argc - 2, argv + 2);
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--addr") == 0)
            addr = argv[i + 1];
        else if (strcmp(argv[i], "--tls-cert") == 0)
            certf = argv[i + 1];
        else if (strcmp(argv[i], "--tls-key") == 0)
            keyf = argv[i + 1];
        else if (strcmp(argv[i], "--threads") == 0)
            threads = (unsigned)strtoul(argv[i + 1], NULL, 10);
        else {
            fprintf(stderr, "baseline_server: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (!certf || !keyf || parse_addr(addr, &sa) < 0) {
        fprintf(stderr, "usage: baseline_server --addr HOST:PORT --tls-cert FILE --tls-key FILE "
                        "[--threads N]\n");
        return 2;
    }
    if (!threads) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? (unsigned)n : 1;
    }
    cert = read_file(certf);
    key = read_file(keyf);
    if (!cert || !key) {
        fprintf(stderr, "baseline_server: cannot read %s or %s\n", certf, keyf);
        return 2;
    }

    /* Signals are taken synchronously by main; MHD's threads inherit the mask. */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    /* The same daemon shape as podtune's HTTPS daemon (src/server.c). */
    d = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_TLS |
                             MHD_USE_ERROR_LOG,
                         0, NULL, NULL, handle, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                         MHD_OPTION_HTTPS_MEM_KEY, key, MHD_OPTION_HTTPS_MEM_CERT, cert,
                         MHD_OPTION_HTTPS_PRIORITIES, PT_SERVER_TLS_PRIORITIES,
                         MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_CONNECTION_LIMIT, 1024u,
                         MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_NOTIFY_COMPLETED,
                         completed, NULL, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
                         MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "baseline_server: libmicrohttpd refused to start on %s\n", addr);
        return 1;
    }
    {
        /* The harness reads the port from this line (useful with port 0). */
        const union MHD_DaemonInfo *di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
        fprintf(stderr, "baseline_server: listening port %u threads %u\n",
                di ? (unsigned)di->port : 0u, threads);
    }
    sigwait(&set, &sig);
    MHD_stop_daemon(d);
    free(cert);
    free(key);
    return 0;
}
