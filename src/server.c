/* server.c — HTTPS admission routes and plain-HTTP metrics (libmicrohttpd); rotation; graceful
 * stop. */
#include "podtune/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "podtune/engine.h"
#include "podtune/log.h"
#include "podtune/metrics.h"
#include "podtune/review.h"

/* Where a connection is, for the graceful stop: NEW (accepted, no request
 * yet) and ACTIVE count as busy; IDLE is a keep-alive connection between
 * requests, which may be closed without losing anything. */
enum conn_state { CONN_NEW, CONN_ACTIVE, CONN_IDLE };

struct daemon_ctx;

struct conn_ctx {
    struct daemon_ctx *dc;
    enum conn_state state;
};

/* One libmicrohttpd daemon serving one certificate. */
struct daemon_ctx {
    struct pt_server *srv;
    struct MHD_Daemon *d;
    struct pt_tls_creds *creds; /* one reference */
    atomic_int retired;         /* answer with Connection: close */
    atomic_int added;           /* connections handed over by the acceptor */
    atomic_int started;         /* ... of which libmicrohttpd has taken up */
    atomic_int conns;           /* open connections */
    atomic_int busy;            /* connections in CONN_NEW or CONN_ACTIVE */
    int64_t deadline_ms;        /* when a retired daemon is stopped regardless */
    struct daemon_ctx *next;
};

/* One POST /mutate request while its body arrives. */
struct req {
    char *body;
    size_t len, cap;
    int64_t start_ns;
};

struct pt_server {
    struct pt_server_opts o;
    int listen_fd, metrics_fd;
    int stop_fd; /* eventfd that stops the acceptor */
    unsigned port, metrics_port;
    struct MHD_Daemon *metrics;
    pthread_mutex_t mu; /* current, draining, stopping, janitor_stop */
    pthread_cond_t cv;
    struct daemon_ctx *current;
    struct daemon_ctx *draining;
    int stopping;
    int janitor_stop;
    pthread_t janitor, acceptor;
    int acceptor_started;
};

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t mono_ms(void)
{
    return mono_ns() / 1000000;
}

/* ---- small pure helpers (unit-tested) ------------------------------------ */

int pt_server_is_json(const char *ct)
{
    static const char want[] = "application/json";
    size_t n = sizeof(want) - 1;
    if (!ct)
        return 0;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    if (strncasecmp(ct, want, n) != 0)
        return 0;
    ct += n;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    return *ct == '\0' || *ct == ';';
}

const char *pt_server_patch_field(const char *path)
{
    static const struct {
        const char *prefix;
        const char *field;
    } spec[] = {
        {"/spec/tolerations", "tolerations"},   {"/spec/affinity", "affinity"},
        {"/spec/nodeSelector", "nodeSelector"}, {"/spec/priorityClassName", "priority"},
        {"/spec/priority", "priority"},         {"/spec/schedulerName", "schedulerName"},
    };
    static const struct {
        const char *name;
        const char *field;
    } container[] = {
        {"resources", "resources"},
        {"env", "env"},
        {"args", "command"},
        {"command", "command"},
    };
    size_t n;

    if (!path)
        return "other";
    if (strncmp(path, "/metadata/annotations", 21) == 0 && (path[21] == '/' || !path[21]))
        return "annotations";
    if (strncmp(path, "/metadata/labels", 16) == 0 && (path[16] == '/' || !path[16]))
        return "labels";
    if (strncmp(path, "/metadata", 9) == 0 && (path[9] == '/' || !path[9]))
        return "metadata";
    for (size_t i = 0; i < sizeof(spec) / sizeof(spec[0]); i++) {
        n = strlen(spec[i].prefix);
        if (strncmp(path, spec[i].prefix, n) == 0 && (path[n] == '/' || !path[n]))
            return spec[i].field;
    }
    if (strncmp(path, "/spec/containers/", 17) == 0) {
        const char *p = path + 17;
        while (*p >= '0' && *p <= '9')
            p++;
        if (*p == '/') {
            p++;
            for (size_t i = 0; i < sizeof(container) / sizeof(container[0]); i++) {
                n = strlen(container[i].name);
                if (strncmp(p, container[i].name, n) == 0 && (p[n] == '/' || !p[n]))
                    return container[i].field;
            }
        }
    }
    return "other";
}

int pt_server_parse_addr(const char *addr, char *host, size_t hostlen, unsigned *port)
{
    const char *colon, *h = addr;
    size_t hl;
    char *end;
    unsigned long p;

    if (!addr || !*addr)
        return PT_EINVAL;
    if (addr[0] == '[') {
        const char *rb = strchr(addr, ']');
        if (!rb || rb[1] != ':')
            return PT_EINVAL;
        h = addr + 1;
        hl = (size_t)(rb - h);
        colon = rb + 1;
    } else {
        colon = strrchr(addr, ':');
        if (!colon || memchr(addr, ':', (size_t)(colon - addr)))
            return PT_EINVAL; /* bare IPv6 needs brackets */
        hl = (size_t)(colon - addr);
    }
    if (hl >= hostlen)
        return PT_EINVAL;
    errno = 0;
    p = strtoul(colon + 1, &end, 10);
    if (colon[1] == '\0' || *end != '\0' || errno || p > 65535 || colon[1] == '-' ||
        colon[1] == '+')
        return PT_EINVAL;
    memcpy(host, h, hl);
    host[hl] = '\0';
    *port = (unsigned)p;
    return 0;
}

/* Binds and listens on addr; returns the socket (non-blocking, close-on-exec)
 * and the bound port, or -1 with err set. */
static int bind_listen(const char *addr, unsigned *bound, struct pt_error *err)
{
    char host[256], portstr[8];
    unsigned port;
    struct addrinfo hints, *res = NULL, *ai;
    int fd = -1, rc, one = 1;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);

    if (pt_server_parse_addr(addr, host, sizeof(host), &port) < 0) {
        pt_error_set(err, PT_EINVAL, "bad address '%s' (want host:port)", addr);
        return -1;
    }
    snprintf(portstr, sizeof(portstr), "%u", port);
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    rc = getaddrinfo(host[0] ? host : NULL, portstr, &hints, &res);
    if (rc != 0) {
        pt_error_set(err, PT_EINVAL, "address '%s': %s", addr, gai_strerror(rc));
        return -1;
    }
    for (ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0)
            continue;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 1024) == 0)
            break;
        pt_error_set(err, PT_EIO, "listen on %s: %s", addr, strerror(errno));
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        pt_error_set(err, PT_EIO, "listen on %s: no usable address", addr);
        return -1;
    }
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
        *bound = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                : ((struct sockaddr_in *)&ss)->sin_port);
    return fd;
}

/* ---- responses ------------------------------------------------------------ */

/* Queues a response with body (copied) and content type; adds Connection:
 * close when the daemon is retiring, and Allow when allow is set. */
static enum MHD_Result send_body(struct daemon_ctx *dc, struct MHD_Connection *conn,
                                 unsigned status, const char *ctype, char *body, size_t len,
                                 int take, const char *allow)
{
    struct MHD_Response *r;
    enum MHD_Result ret;

    r = MHD_create_response_from_buffer(len, body,
                                        take ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_MUST_COPY);
    if (!r) {
        if (take)
            free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    if (allow)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    if (dc && atomic_load(&dc->retired))
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

/* A refusal: {"error": msg} with status, counted and logged. */
static enum MHD_Result refuse(struct daemon_ctx *dc, struct MHD_Connection *conn, unsigned status,
                              const char *msg, const char *allow, const char *url)
{
    json_t *o = json_pack("{s:s}", "error", msg);
    char *body = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    pt_metrics_http_error((int)status);
    pt_log(status == 404 || status == 405 ? PT_LOG_DEBUG : PT_LOG_WARN, "request refused",
           PT_LI("status", status), PT_LS("path", url), PT_LS("error", msg));
    if (!body)
        return send_body(dc, conn, status, "application/json", (char *)"{}", 2, 0, allow);
    return send_body(dc, conn, status, "application/json", body, strlen(body), 1, allow);
}

/* ---- connection accounting -------------------------------------------------- */

static void notify_conn(void *cls, struct MHD_Connection *conn, void **socket_ctx,
                        enum MHD_ConnectionNotificationCode code)
{
    struct daemon_ctx *dc = cls;
    struct conn_ctx *cc = *socket_ctx;
    (void)conn;

    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        cc = calloc(1, sizeof(*cc));
        if (cc) {
            cc->dc = dc;
            cc->state = CONN_NEW;
            atomic_fetch_add(&dc->busy, 1);
        }
        *socket_ctx = cc;
        atomic_fetch_add(&dc->conns, 1);
        atomic_fetch_add(&dc->started, 1);
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        if (cc) {
            if (cc->state != CONN_IDLE)
                atomic_fetch_sub(&dc->busy, 1);
            free(cc);
            *socket_ctx = NULL;
        }
        atomic_fetch_sub(&dc->conns, 1);
    }
}

static struct conn_ctx *conn_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

/* A request started on conn (first access-handler call). */
static void conn_request_begins(struct daemon_ctx *dc, struct MHD_Connection *conn)
{
    struct conn_ctx *cc = conn_of(conn);
    if (!cc)
        return;
    if (cc->state == CONN_IDLE)
        atomic_fetch_add(&dc->busy, 1);
    cc->state = CONN_ACTIVE;
}

static void request_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                              enum MHD_RequestTerminationCode toe)
{
    struct daemon_ctx *dc = cls;
    struct req *rq = *con_cls;
    struct conn_ctx *cc = conn_of(conn);

    if (rq) {
        if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
            pt_log(PT_LOG_DEBUG, "request ended early", PT_LI("code", toe),
                   PT_LI("body_bytes", rq->len));
        free(rq->body);
        free(rq);
        *con_cls = NULL;
    }
    if (cc && cc->state == CONN_ACTIVE) {
        cc->state = CONN_IDLE;
        atomic_fetch_sub(&dc->busy, 1);
    }
}

/* ---- admission ---------------------------------------------------------- */

/* The pod's name, else its generateName, else the request's name. */
static const char *pod_name(const struct pt_review *rv)
{
    const json_t *md = rv->object ? json_object_get(rv->object, "metadata") : NULL;
    const char *n = json_string_value(json_object_get(md, "name"));
    if (n && *n)
        return n;
    n = json_string_value(json_object_get(md, "generateName"));
    if (n && *n)
        return n;
    return rv->name ? rv->name : "";
}

/* Counts the patch's operations per field and reports each field once. */
static void count_patch_ops(const json_t *patch)
{
    const char *fields[16];
    uint64_t counts[16];
    size_t nf = 0, i;
    const json_t *op;

    json_array_foreach(patch, i, op)
    {
        const char *f = pt_server_patch_field(json_string_value(json_object_get(op, "path")));
        size_t k;
        for (k = 0; k < nf; k++)
            if (fields[k] == f) /* the vocabulary is static strings */
                break;
        if (k == nf) {
            if (nf == sizeof(fields) / sizeof(fields[0]))
                continue;
            fields[nf] = f;
            counts[nf++] = 0;
        }
        counts[k]++;
    }
    for (i = 0; i < nf; i++)
        pt_metrics_patch_ops(fields[i], counts[i]);
}

static enum MHD_Result admit(struct daemon_ctx *dc, struct MHD_Connection *conn, struct req *rq)
{
    struct pt_server *s = dc->srv;
    struct pt_policy_set *set = pt_reload_policy_get(s->o.state);
    struct pt_review rv;
    struct pt_outcome oc;
    struct pt_error err;
    json_t *resp = NULL;
    char *out = NULL;
    enum MHD_Result ret;
    int64_t us;
    const char *profile;

    memset(&rv, 0, sizeof(rv));
    memset(&oc, 0, sizeof(oc));
    pt_error_clear(&err);
    /* No valid policy set yet (a broken ConfigMap at first deploy): still answer.
     * The engine admits target pods unchanged with a warning and result="error",
     * so a failurePolicy: Fail webhook cannot block pod creation on us. */
    if (pt_review_decode(rq->body ? rq->body : "", rq->len, &rv, &err) < 0) {
        char msg[800];
        pt_error_format(&err, msg, sizeof(msg));
        ret = refuse(dc, conn, 400, msg[0] ? msg : "bad AdmissionReview", NULL, "/mutate");
        goto done;
    }
    resp = pt_review_respond(set, &rv, &oc);
    out = resp ? json_dumps(resp, JSON_COMPACT) : NULL;
    if (!out) {
        ret = refuse(dc, conn, 500, "out of memory", NULL, "/mutate");
        goto done;
    }
    us = (mono_ns() - rq->start_ns) / 1000;
    profile = oc.sel.profile ? oc.sel.profile->name : "";
    pt_metrics_admission(pt_role_name(oc.cls.role), profile, pt_status_name(oc.status),
                         (double)us / 1e6);
    if (oc.patch)
        count_patch_ops(oc.patch);
    if (oc.status == PT_STATUS_ERROR)
        pt_log(PT_LOG_WARN, "admission", PT_LS("uid", rv.uid), PT_LS("namespace", rv.namespace),
               PT_LS("pod", pod_name(&rv)), PT_LS("operation", rv.operation),
               PT_LS("role", pt_role_name(oc.cls.role)), PT_LS("profile", profile),
               PT_LS("status", pt_status_name(oc.status)), PT_LI("changes", 0),
               PT_LI("warnings", oc.n_warnings), PT_LI("dry_run", rv.dry_run),
               PT_LS("error", oc.error), PT_LI("us", us));
    else if (pt_log_enabled(PT_LOG_INFO))
        pt_log(PT_LOG_INFO, "admission", PT_LS("uid", rv.uid), PT_LS("namespace", rv.namespace),
               PT_LS("pod", pod_name(&rv)), PT_LS("operation", rv.operation),
               PT_LS("role", pt_role_name(oc.cls.role)), PT_LS("profile", profile),
               PT_LS("status", pt_status_name(oc.status)),
               PT_LI("changes", oc.patch ? json_array_size(oc.patch) : 0),
               PT_LI("warnings", oc.n_warnings), PT_LI("dry_run", rv.dry_run), PT_LI("us", us));
    ret = send_body(dc, conn, 200, "application/json", out, strlen(out), 1, NULL);
    out = NULL;
done:
    free(out);
    json_decref(resp);
    pt_outcome_cleanup(&oc);
    if (rv.root)
        pt_review_cleanup(&rv);
    pt_policy_set_unref(set);
    return ret;
}

/* ---- the access handler ------------------------------------------------- */

static int is_get(const char *m)
{
    return strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0;
}

static enum MHD_Result probe(struct daemon_ctx *dc, struct MHD_Connection *conn,
                             struct pt_server *s, const char *url, const char *method)
{
    if (!is_get(method))
        return refuse(dc, conn, 405, "method not allowed: use GET", "GET, HEAD", url);
    if (strcmp(url, "/healthz") == 0)
        return send_body(dc, conn, 200, "text/plain; charset=utf-8", (char *)"ok\n", 3, 0, NULL);
    if (pt_reload_ready(s->o.state))
        return send_body(dc, conn, 200, "text/plain; charset=utf-8", (char *)"ready\n", 6, 0, NULL);
    /* not counted as an HTTP error: probes ask every few seconds */
    return send_body(dc, conn, 503, "text/plain; charset=utf-8",
                     (char *)"not ready: no valid policy set or certificate\n", 46, 0, NULL);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    struct daemon_ctx *dc = cls;
    struct pt_server *s = dc->srv;
    struct req *rq = *con_cls;
    (void)version;

    if (!rq) {
        const char *ct, *cl;
        conn_request_begins(dc, conn);
        if (strcmp(url, "/healthz") == 0 || strcmp(url, "/readyz") == 0)
            return probe(dc, conn, s, url, method);
        if (strcmp(url, "/mutate") != 0)
            return refuse(dc, conn, 404, "not found", NULL, url);
        if (strcmp(method, "POST") != 0)
            return refuse(dc, conn, 405, "method not allowed: use POST", "POST", url);
        ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
        if (!pt_server_is_json(ct))
            return refuse(dc, conn, 415, "unsupported content type: want application/json", NULL,
                          url);
        cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl) {
            char *end;
            unsigned long long n;
            errno = 0;
            n = strtoull(cl, &end, 10);
            if (errno == ERANGE || n > PT_SERVER_MAX_BODY)
                return refuse(dc, conn, 413, "request body over 3 MiB", NULL, url);
        }
        rq = calloc(1, sizeof(*rq));
        if (!rq)
            return MHD_NO;
        rq->start_ns = mono_ns();
        *con_cls = rq;
        return MHD_YES;
    }
    if (*upload_size) {
        size_t n = *upload_size;
        if (n > PT_SERVER_MAX_BODY - rq->len) {
            /* Chunked body past the cap: libmicrohttpd 0.9.75 refuses to
             * queue a response while a body is being received (tried: the
             * queue call fails), so the connection is closed instead;
             * nothing past the cap is ever stored or read. */
            pt_metrics_http_error(413);
            pt_log(PT_LOG_WARN, "request refused", PT_LI("status", 413), PT_LS("path", url),
                   PT_LS("error", "request body over 3 MiB (chunked); connection closed"));
            return MHD_NO;
        }
        if (mono_ns() - rq->start_ns > (int64_t)s->o.body_timeout * 1000000000) {
            pt_metrics_http_error(408);
            pt_log(PT_LOG_WARN, "request refused", PT_LI("status", 408), PT_LS("path", url),
                   PT_LS("error", "request body too slow; connection closed"));
            return MHD_NO;
        }
        if (rq->len + n > rq->cap) {
            size_t cap = rq->cap ? rq->cap : 16384;
            char *nb;
            while (cap < rq->len + n)
                cap *= 2;
            if (cap > PT_SERVER_MAX_BODY)
                cap = PT_SERVER_MAX_BODY;
            nb = realloc(rq->body, cap);
            if (!nb)
                return MHD_NO;
            rq->body = nb;
            rq->cap = cap;
        }
        memcpy(rq->body + rq->len, upload, n);
        rq->len += n;
        *upload_size = 0;
        return MHD_YES;
    }
    return admit(dc, conn, rq);
}

/* libmicrohttpd's own messages (TLS handshake failures, …) at debug. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    size_t n;
    (void)cls;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
        msg[--n] = '\0';
    pt_log(PT_LOG_DEBUG, "libmicrohttpd", PT_LS("message", msg));
}

/* ---- metrics endpoint (plain HTTP, one thread) ------------------------------ */

static enum MHD_Result handle_metrics(void *cls, struct MHD_Connection *conn, const char *url,
                                      const char *method, const char *version, const char *upload,
                                      size_t *upload_size, void **con_cls)
{
    struct pt_server *s = cls;
    size_t len = 0;
    char *text;
    (void)version;
    (void)upload;
    (void)upload_size;
    (void)con_cls;

    if (strcmp(url, "/healthz") == 0 || strcmp(url, "/readyz") == 0)
        return probe(NULL, conn, s, url, method);
    if (strcmp(url, "/metrics") != 0)
        return send_body(NULL, conn, 404, "text/plain; charset=utf-8", (char *)"not found\n", 10, 0,
                         NULL);
    if (!is_get(method))
        return send_body(NULL, conn, 405, "text/plain; charset=utf-8",
                         (char *)"method not allowed\n", 19, 0, "GET, HEAD");
    text = pt_metrics_render(&len);
    if (!text)
        return MHD_NO;
    return send_body(NULL, conn, 200, "text/plain; version=0.0.4; charset=utf-8", text, len, 1,
                     NULL);
}

/* ---- daemons ------------------------------------------------------------ */

/* The connection limit given to libmicrohttpd. podtune enforces
 * --max-connections itself, in hand_over(), and libmicrohttpd's own limit must
 * never be reached: MHD_add_connection only queues the socket to a worker,
 * whose "firm" limit check then closes it without any notification (so the
 * hand-over would be counted as pending forever, and a stop would wait the
 * whole grace), and in 0.9.75 a burst of connections refused that way leaves
 * the daemon refusing every later connection and MHD_stop_daemon blocked
 * forever (the integration tier's connection burst test). libmicrohttpd counts
 * a connection until its cleanup, a little after the close notification; it
 * holds a descriptor until then, so no worker can hold more connections than
 * the process may open descriptors. */
static unsigned mhd_connection_limit(unsigned max_connections, unsigned threads)
{
    struct rlimit rl;
    unsigned long long per_worker = UINT_MAX, total;

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        rl.rlim_cur < UINT_MAX)
        per_worker = (unsigned long long)rl.rlim_cur;
    per_worker += max_connections;
    total = per_worker * (threads ? threads : 1);
    return total > UINT_MAX / 2 ? UINT_MAX / 2 : (unsigned)total;
}

/* A daemon without a listening socket: podtune's acceptor thread hands it
 * connections with MHD_add_connection (queued to a worker through the ITC in
 * libmicrohttpd 0.9.75, so safe from another thread). */
static struct daemon_ctx *daemon_start(struct pt_server *s, struct pt_tls_creds *c,
                                       struct pt_error *err)
{
    struct daemon_ctx *dc = calloc(1, sizeof(*dc));
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_TLS |
                     MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ERROR_LOG;

    if (!dc) {
        pt_error_set(err, PT_ENOMEM, "out of memory");
        return NULL;
    }
    dc->srv = s;
    dc->creds = pt_tls_creds_ref(c);
    dc->d = MHD_start_daemon(
        flags, 0, NULL, NULL, handle, dc, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
        MHD_OPTION_HTTPS_MEM_KEY, c->key_pem, MHD_OPTION_HTTPS_MEM_CERT, c->cert_pem,
        MHD_OPTION_HTTPS_PRIORITIES, PT_SERVER_TLS_PRIORITIES, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned)s->o.threads, MHD_OPTION_CONNECTION_LIMIT,
        mhd_connection_limit(s->o.max_connections, s->o.threads), MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)s->o.idle_timeout, MHD_OPTION_NOTIFY_COMPLETED, request_completed, dc,
        MHD_OPTION_NOTIFY_CONNECTION, notify_conn, dc, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)(64 * 1024), MHD_OPTION_END);
    if (!dc->d) {
        pt_error_set(err, PT_EIO,
                     "libmicrohttpd refused to start (certificate/key rejected by GnuTLS or "
                     "thread start failed)");
        pt_tls_creds_unref(dc->creds);
        free(dc);
        return NULL;
    }
    return dc;
}

static void daemon_free(struct daemon_ctx *dc)
{
    if (!dc)
        return;
    MHD_stop_daemon(dc->d);
    pt_tls_creds_unref(dc->creds);
    free(dc);
}

/* Connections of dc that are handed over but not yet taken up. */
static int daemon_pending(struct daemon_ctx *dc)
{
    int pending = atomic_load(&dc->added) - atomic_load(&dc->started);
    return pending > 0 ? pending : 0;
}

/* Connections of dc that are handed over but not yet taken up, or busy. */
static int daemon_busy(struct daemon_ctx *dc)
{
    return daemon_pending(dc) + atomic_load(&dc->busy);
}

/* Gives one accepted socket to the current daemon. Under mu, so it never
 * lands on a daemon the janitor is stopping. --max-connections is enforced
 * here, counting the connections libmicrohttpd has taken up and those handed
 * over but not yet taken up (see mhd_connection_limit). */
static void hand_over(struct pt_server *s, int fd, const struct sockaddr *sa, socklen_t len)
{
    struct daemon_ctx *dc;

    pthread_mutex_lock(&s->mu);
    dc = s->current;
    if (!dc) {
        close(fd);
    } else if (atomic_load(&dc->conns) + daemon_pending(dc) >= (int)s->o.max_connections) {
        close(fd);
        pt_log(PT_LOG_WARN, "connection dropped",
               PT_LS("error", "connection limit reached (--max-connections)"));
    } else {
        atomic_fetch_add(&dc->added, 1);
        /* libmicrohttpd owns (and on failure closes) fd from here on */
        if (MHD_add_connection(dc->d, fd, sa, len) != MHD_YES) {
            atomic_fetch_sub(&dc->added, 1);
            pt_log(PT_LOG_WARN, "connection dropped",
                   PT_LS("error", "libmicrohttpd did not take it (connection limit?)"));
        }
    }
    pthread_mutex_unlock(&s->mu);
}

/* Accepts on the listening socket until stop_fd is signalled. */
static void *acceptor_main(void *arg)
{
    struct pt_server *s = arg;

    for (;;) {
        struct pollfd p[2] = {{s->stop_fd, POLLIN, 0}, {s->listen_fd, POLLIN, 0}};
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            pt_log(PT_LOG_ERROR, "acceptor stopped", PT_LS("error", strerror(errno)));
            break;
        }
        if (p[0].revents)
            break;
        for (int i = 0; i < 64; i++) { /* a batch, then check stop_fd again */
            struct sockaddr_storage ss;
            socklen_t sl = sizeof(ss);
            int fd =
                accept4(s->listen_fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd < 0) {
                if (errno == EINTR || errno == ECONNABORTED)
                    continue;
                if (errno != EAGAIN && errno != EWOULDBLOCK) {
                    /* EMFILE, ENFILE, ENOBUFS…: back off instead of spinning */
                    struct timespec ts = {0, 50 * 1000000};
                    pt_log(PT_LOG_WARN, "accept failed", PT_LS("error", strerror(errno)));
                    nanosleep(&ts, NULL);
                }
                break;
            }
            hand_over(s, fd, (struct sockaddr *)&ss, sl);
        }
    }
    return NULL;
}

/* Stops retired daemons once their connections are gone or their time is up. */
static void *janitor_main(void *arg)
{
    struct pt_server *s = arg;

    pthread_mutex_lock(&s->mu);
    while (!s->janitor_stop) {
        struct timespec ts;
        struct daemon_ctx **pp = &s->draining, *done = NULL;
        int64_t now = mono_ms();

        while (*pp) {
            struct daemon_ctx *dc = *pp;
            int gone = atomic_load(&dc->conns) == 0 &&
                       atomic_load(&dc->started) == atomic_load(&dc->added);
            if (gone || now >= dc->deadline_ms) {
                *pp = dc->next;
                dc->next = done;
                done = dc;
            } else {
                pp = &dc->next;
            }
        }
        if (done) {
            pthread_mutex_unlock(&s->mu);
            while (done) {
                struct daemon_ctx *next = done->next;
                pt_log(PT_LOG_INFO, "old tls daemon stopped", PT_LS("serial", done->creds->serial),
                       PT_LI("connections_closed", atomic_load(&done->conns)));
                daemon_free(done);
                done = next;
            }
            pthread_mutex_lock(&s->mu);
            continue;
        }
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 100 * 1000000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&s->cv, &s->mu, &ts);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

struct pt_server *pt_server_start(const struct pt_server_opts *o, struct pt_tls_creds *creds,
                                  struct pt_error *err)
{
    struct pt_server *s = calloc(1, sizeof(*s));
    long cpus;
    int janitor = 0;

    if (!s) {
        pt_error_set(err, PT_ENOMEM, "out of memory");
        return NULL;
    }
    s->o = *o;
    s->listen_fd = s->metrics_fd = s->stop_fd = -1;
    if (!s->o.threads) {
        cpus = sysconf(_SC_NPROCESSORS_ONLN);
        s->o.threads = cpus > 0 ? (unsigned)cpus : 1;
    }
    if (!s->o.max_connections)
        s->o.max_connections = 1024;
    if (!s->o.idle_timeout)
        s->o.idle_timeout = 30;
    if (!s->o.body_timeout)
        s->o.body_timeout = 10;
    if (!s->o.drain_timeout)
        s->o.drain_timeout = s->o.idle_timeout + 5;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);

    s->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (s->stop_fd < 0) {
        pt_error_set(err, PT_EIO, "eventfd: %s", strerror(errno));
        goto fail;
    }
    s->listen_fd = bind_listen(o->addr, &s->port, err);
    if (s->listen_fd < 0)
        goto fail;
    if (o->metrics_addr && *o->metrics_addr) {
        s->metrics_fd = bind_listen(o->metrics_addr, &s->metrics_port, err);
        if (s->metrics_fd < 0)
            goto fail;
    }
    s->current = daemon_start(s, creds, err);
    if (!s->current)
        goto fail;
    if (s->metrics_fd >= 0) {
        /* One thread, plain HTTP; it owns (and closes) its socket. It is never
         * quiesced, only stopped. */
        s->metrics = MHD_start_daemon(
            MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG, 0, NULL, NULL,
            handle_metrics, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_LISTEN_SOCKET,
            (MHD_socket)s->metrics_fd, MHD_OPTION_CONNECTION_LIMIT, 64u,
            MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
        if (!s->metrics) {
            pt_error_set(err, PT_EIO, "cannot start the metrics listener on %s", o->metrics_addr);
            goto fail;
        }
        s->metrics_fd = -1;
    }
    if (pthread_create(&s->janitor, NULL, janitor_main, s) != 0) {
        pt_error_set(err, PT_EIO, "cannot start the janitor thread");
        goto fail;
    }
    janitor = 1;
    if (pthread_create(&s->acceptor, NULL, acceptor_main, s) != 0) {
        pt_error_set(err, PT_EIO, "cannot start the acceptor thread");
        goto fail;
    }
    s->acceptor_started = 1;
    return s;
fail:
    if (janitor) {
        pthread_mutex_lock(&s->mu);
        s->janitor_stop = 1;
        pthread_cond_signal(&s->cv);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->janitor, NULL);
    }
    if (s->metrics)
        MHD_stop_daemon(s->metrics);
    daemon_free(s->current);
    if (s->listen_fd >= 0)
        close(s->listen_fd);
    if (s->metrics_fd >= 0)
        close(s->metrics_fd);
    if (s->stop_fd >= 0)
        close(s->stop_fd);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    free(s);
    return NULL;
}

unsigned pt_server_port(const struct pt_server *s)
{
    return s->port;
}

unsigned pt_server_metrics_port(const struct pt_server *s)
{
    return s->metrics_port;
}

int pt_server_set_creds(struct pt_server *s, struct pt_tls_creds *creds, struct pt_error *err)
{
    struct daemon_ctx *dc, *old;

    /* Started outside the lock (it spawns threads); the acceptor keeps
     * handing connections to the old daemon meanwhile. */
    dc = daemon_start(s, creds, err);
    if (!dc)
        return err && err->code ? err->code : PT_EIO;
    pthread_mutex_lock(&s->mu);
    if (s->stopping) {
        pthread_mutex_unlock(&s->mu);
        daemon_free(dc);
        return pt_error_set(err, PT_ESTATE, "server is stopping");
    }
    old = s->current;
    s->current = dc; /* from the next accept on, new handshakes get creds */
    atomic_store(&old->retired, 1);
    old->deadline_ms = mono_ms() + (int64_t)s->o.drain_timeout * 1000;
    old->next = s->draining;
    s->draining = old;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
    return 0;
}

void pt_server_stop(struct pt_server *s, unsigned grace_ms)
{
    struct daemon_ctx *all, *dc;
    int64_t deadline = mono_ms() + grace_ms;
    uint64_t one = 1;
    int busy = 0;

    if (!s)
        return;
    /* No new connections: stop the acceptor and close the socket, so
     * connection attempts are refused at once. */
    if (write(s->stop_fd, &one, sizeof(one)) < 0)
        pt_log(PT_LOG_WARN, "cannot signal the acceptor", PT_LS("error", strerror(errno)));
    if (s->acceptor_started)
        pthread_join(s->acceptor, NULL);
    close(s->listen_fd);
    s->listen_fd = -1;

    pthread_mutex_lock(&s->mu);
    s->stopping = 1;
    s->janitor_stop = 1;
    pthread_cond_signal(&s->cv);
    all = s->current;
    s->current = NULL;
    if (all)
        all->next = s->draining;
    else
        all = s->draining;
    s->draining = NULL;
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->janitor, NULL);

    for (dc = all; dc; dc = dc->next)
        atomic_store(&dc->retired, 1);
    pt_log(PT_LOG_INFO, "stopped accepting, draining", PT_LI("grace_ms", grace_ms));
    for (;;) {
        busy = 0;
        for (dc = all; dc; dc = dc->next)
            busy += daemon_busy(dc);
        if (busy <= 0 || mono_ms() >= deadline)
            break;
        {
            struct timespec ts = {0, 10 * 1000000};
            nanosleep(&ts, NULL);
        }
    }
    pt_log(busy > 0 ? PT_LOG_WARN : PT_LOG_INFO, "connections drained",
           PT_LI("still_busy", busy > 0 ? busy : 0));
    while (all) {
        dc = all->next;
        daemon_free(all);
        all = dc;
    }
    if (s->metrics)
        MHD_stop_daemon(s->metrics);
    close(s->stop_fd);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    free(s);
}
