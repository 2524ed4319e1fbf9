/* cli_serve.c — `podtune serve`: options, signals, start-up order and graceful shutdown. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "podtune/cli.h"
#include "podtune/log.h"
#include "podtune/metrics.h"
#include "podtune/reload.h"
#include "podtune/server.h"
#include "podtune/tls.h"

static void usage(FILE *out)
{
    fputs("usage: podtune serve --policies DIR --tls-cert FILE --tls-key FILE\n"
          "                     [--addr 0.0.0.0:8443] [--metrics-addr 0.0.0.0:9090|none]\n"
          "                     [--threads N] [--log-format json|text]\n"
          "                     [--log-level debug|info|warn|error]\n"
          "                     [--max-connections N] [--idle-timeout SECONDS]\n"
          "                     [--body-timeout SECONDS] [--drain-timeout SECONDS]\n"
          "                     [--shutdown-grace SECONDS]\n"
          "\n"
          "Serves POST /mutate (AdmissionReview v1/v1beta1), GET /healthz and /readyz over\n"
          "HTTPS, and GET /metrics over plain HTTP. Policies and the certificate are\n"
          "reloaded when their files change and on SIGHUP; SIGTERM stops gracefully.\n",
          out);
}

/* Parses a decimal unsigned in [lo, hi]; returns 0 or -1. */
static int parse_uint(const char *s, unsigned lo, unsigned hi, unsigned *out)
{
    char *end;
    unsigned long v;
    if (!s || !*s || *s == '-' || *s == '+')
        return -1;
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return -1;
    *out = (unsigned)v;
    return 0;
}

/* The reload thread's hook: serve the new credentials. */
static int rotate(void *arg, struct pt_tls_creds *creds, struct pt_error *err)
{
    return pt_server_set_creds(arg, creds, err);
}

int pt_cli_serve(int argc, char **argv)
{
    enum {
        O_POLICIES = 1000,
        O_CERT,
        O_KEY,
        O_ADDR,
        O_MADDR,
        O_THREADS,
        O_LFMT,
        O_LLVL,
        O_MAXC,
        O_IDLE,
        O_BODY,
        O_DRAIN,
        O_GRACE,
        O_HELP
    };
    static const struct option longopts[] = {
        {"policies", required_argument, NULL, O_POLICIES},
        {"tls-cert", required_argument, NULL, O_CERT},
        {"tls-key", required_argument, NULL, O_KEY},
        {"addr", required_argument, NULL, O_ADDR},
        {"metrics-addr", required_argument, NULL, O_MADDR},
        {"threads", required_argument, NULL, O_THREADS},
        {"log-format", required_argument, NULL, O_LFMT},
        {"log-level", required_argument, NULL, O_LLVL},
        {"max-connections", required_argument, NULL, O_MAXC},
        {"idle-timeout", required_argument, NULL, O_IDLE},
        {"body-timeout", required_argument, NULL, O_BODY},
        {"drain-timeout", required_argument, NULL, O_DRAIN},
        {"shutdown-grace", required_argument, NULL, O_GRACE},
        {"help", no_argument, NULL, O_HELP},
        {NULL, 0, NULL, 0},
    };
    const char *policies = NULL, *cert = NULL, *key = NULL;
    const char *addr = "0.0.0.0:8443", *maddr = "0.0.0.0:9090";
    enum pt_log_format lfmt = PT_LOG_JSON;
    enum pt_log_level llvl = PT_LOG_INFO;
    unsigned grace = 10;
    struct pt_server_opts so;
    struct pt_reload_opts ro;
    struct pt_reload_state state;
    struct pt_server *srv = NULL;
    struct pt_reloader *rl = NULL;
    struct pt_tls_creds *creds = NULL;
    struct pt_error err;
    sigset_t sigs;
    int c, sig, status = 2;
    const char *bad = NULL;

    memset(&so, 0, sizeof(so));
    memset(&ro, 0, sizeof(ro));
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case O_POLICIES: policies = optarg; break;
        case O_CERT: cert = optarg; break;
        case O_KEY: key = optarg; break;
        case O_ADDR: addr = optarg; break;
        case O_MADDR: maddr = optarg; break;
        case O_THREADS:
            if (parse_uint(optarg, 1, 1024, &so.threads) < 0)
                bad = "--threads wants a number from 1 to 1024";
            break;
        case O_LFMT:
            if (pt_log_parse_format(optarg, &lfmt) < 0)
                bad = "--log-format wants json or text";
            break;
        case O_LLVL:
            if (pt_log_parse_level(optarg, &llvl) < 0)
                bad = "--log-level wants debug, info, warn or error";
            break;
        case O_MAXC:
            if (parse_uint(optarg, 1, 1000000, &so.max_connections) < 0)
                bad = "--max-connections wants a positive number";
            break;
        case O_IDLE:
            if (parse_uint(optarg, 1, 86400, &so.idle_timeout) < 0)
                bad = "--idle-timeout wants seconds (1..86400)";
            break;
        case O_BODY:
            if (parse_uint(optarg, 1, 3600, &so.body_timeout) < 0)
                bad = "--body-timeout wants seconds (1..3600)";
            break;
        case O_DRAIN:
            if (parse_uint(optarg, 1, 86400, &so.drain_timeout) < 0)
                bad = "--drain-timeout wants seconds (1..86400)";
            break;
        case O_GRACE:
            if (parse_uint(optarg, 0, 3600, &grace) < 0)
                bad = "--shutdown-grace wants seconds (0..3600)";
            break;
        case O_HELP: usage(stdout); return 0;
        default:
            fprintf(stderr, "podtune serve: unknown or incomplete option '%s'\n", argv[optind - 1]);
            usage(stderr);
            return 2;
        }
        if (bad) {
            fprintf(stderr, "podtune serve: %s\n", bad);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "podtune serve: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    if (!policies || !cert || !key) {
        fprintf(stderr, "podtune serve: --policies, --tls-cert and --tls-key are required\n");
        usage(stderr);
        return 2;
    }
    if (strcmp(maddr, "") == 0 || strcmp(maddr, "none") == 0)
        maddr = NULL;

    pt_log_init(2, lfmt, llvl);
    pt_metrics_init(PODTUNE_VERSION);
    pt_reload_state_init(&state);

    /* Every thread started from here on inherits this mask: the signals are
     * only ever received synchronously (sigwaitinfo here, a signalfd in the
     * reload thread), never by a handler. */
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGHUP);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);

    ro.policies_dir = policies;
    ro.cert_path = cert;
    ro.key_path = key;
    ro.state = &state;
    if (pt_reload_creds(&ro, "startup") < 0) {
        pt_log(PT_LOG_ERROR, "cannot start without a valid certificate and key",
               PT_LS("cert", cert), PT_LS("key", key));
        goto out;
    }
    /* A bad policy set does not stop the server: it runs not-ready (/readyz
     * 503, /mutate 503) and picks up the fix when the files change. */
    (void)pt_reload_policies(&state, policies, "startup");

    so.addr = addr;
    so.metrics_addr = maddr;
    so.state = &state;
    creds = pt_reload_creds_get(&state);
    pt_error_clear(&err);
    srv = pt_server_start(&so, creds, &err);
    if (!srv) {
        char msg[800];
        pt_error_format(&err, msg, sizeof(msg));
        pt_log(PT_LOG_ERROR, "cannot start the server", PT_LS("error", msg));
        goto out;
    }
    ro.on_creds = rotate;
    ro.arg = srv;
    rl = pt_reload_start(&ro, &err);
    if (!rl) {
        char msg[800];
        pt_error_format(&err, msg, sizeof(msg));
        pt_log(PT_LOG_ERROR, "cannot start the reload thread", PT_LS("error", msg));
        goto out;
    }
    pt_log(PT_LOG_INFO, "listening", PT_LS("addr", addr), PT_LI("port", pt_server_port(srv)),
           PT_LS("metrics_addr", maddr ? maddr : "none"),
           PT_LI("metrics_port", pt_server_metrics_port(srv)), PT_LS("version", PODTUNE_VERSION),
           PT_LS("serial", creds->serial), PT_LI("ready", pt_reload_ready(&state)));

    sigdelset(&sigs, SIGHUP);
    do {
        sig = sigwaitinfo(&sigs, NULL);
    } while (sig < 0 && errno == EINTR);
    pt_log(PT_LOG_INFO, "shutting down", PT_LS("signal", sig == SIGINT ? "SIGINT" : "SIGTERM"),
           PT_LI("grace_seconds", grace));
    status = 0;
out:
    pt_reload_stop(rl);
    if (srv)
        pt_server_stop(srv, grace * 1000);
    pt_tls_creds_unref(creds);
    pt_reload_state_cleanup(&state);
    if (status == 0)
        pt_log(PT_LOG_INFO, "stopped", PT_LI("exit", 0));
    return status;
}
