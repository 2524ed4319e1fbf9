/* cli_certs.c — `podtune certs`: makes a development CA and serving certificate, prints the
 * caBundle. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "podtune/cli.h"
#include "podtune/cli_util.h"
#include "podtune/tls.h"

#define MAX_NAMES 256 /* SAN entries of each kind */

static void usage(FILE *out)
{
    fputs("usage: podtune certs --out DIR --dns NAME... [--ip ADDR...] [--days N]\n"
          "\n"
          "Makes a CA (ECDSA P-256) and a serving certificate signed by it, written as\n"
          "DIR/ca.crt, DIR/ca.key, DIR/tls.crt and DIR/tls.key (keys mode 0600; existing\n"
          "files are replaced atomically). Prints the base64 CA bundle for the webhook's\n"
          "caBundle on stdout.\n"
          "\n"
          "options:\n"
          "  --out DIR     directory to write to (created if missing)\n"
          "  --dns NAME    DNS subject alternative name; repeatable or comma-separated;\n"
          "                the first is also the certificate's CN (at least one)\n"
          "  --ip ADDR     IP subject alternative name (IPv4 or IPv6); repeatable or\n"
          "                comma-separated\n"
          "  --days N      validity of the serving certificate in days (default 365)\n"
          "  -h, --help    show this help\n",
          out);
}

/* A list of names collected from repeated, comma-separated option values. */
struct names {
    const char *items[MAX_NAMES];
    size_t n;
};

/* Splits value at commas (in place) and appends each piece. Returns 0 or -1
 * after printing why. */
static int add_names(struct names *list, char *value, const char *opt)
{
    char *p = value;
    for (;;) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        if (*p == '\0') {
            fprintf(stderr, "podtune certs: %s: empty value\n", opt);
            return -1;
        }
        if (list->n == MAX_NAMES) {
            fprintf(stderr, "podtune certs: %s: more than %d values\n", opt, MAX_NAMES);
            return -1;
        }
        list->items[list->n++] = p;
        if (!comma)
            return 0;
        p = comma + 1;
    }
}

/* Parses a day count: a whole number in 1..36500. */
static int parse_days(const char *s, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end != '\0' || v < 1 || v > 36500)
        return -1;
    *out = (int)v;
    return 0;
}

static void format_utc(int64_t t, char *buf, size_t len)
{
    struct tm tm;
    time_t tt = (time_t)t;
    if (!gmtime_r(&tt, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm))
        snprintf(buf, len, "@%lld", (long long)t);
}

int pt_cli_certs(int argc, char **argv)
{
    struct names dns = {.n = 0}, ips = {.n = 0};
    char *dup[2 * MAX_NAMES]; /* copies of option values, split in place */
    size_t n_dup = 0;
    const char *out_dir = NULL;
    int days = 0;
    int rc = PT_EXIT_USAGE;
    char *bundle = NULL;
    struct pt_tls_creds *creds = NULL;
    struct pt_error err;

    pt_error_clear(&err);
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            usage(stdout);
            rc = PT_EXIT_OK;
            goto done;
        }
        /* Every option takes a value, as "--opt VALUE" or "--opt=VALUE". */
        const char *opts[] = {"--out", "--dns", "--ip", "--days"};
        const char *opt = NULL, *value = NULL;
        for (size_t k = 0; k < sizeof(opts) / sizeof(opts[0]); k++) {
            size_t len = strlen(opts[k]);
            if (strncmp(arg, opts[k], len) == 0 && (arg[len] == '\0' || arg[len] == '=')) {
                opt = opts[k];
                value = arg[len] == '=' ? arg + len + 1 : NULL;
            }
        }
        if (!opt) {
            if (arg[0] == '-')
                fprintf(stderr, "podtune certs: unknown option '%s'\n", arg);
            else
                fprintf(stderr, "podtune certs: unexpected argument '%s'\n", arg);
            goto usage_error;
        }
        if (!value) {
            if (i + 1 >= argc) {
                fprintf(stderr, "podtune certs: %s needs a value\n", opt);
                goto usage_error;
            }
            value = argv[++i];
        }
        if (strcmp(opt, "--out") == 0) {
            if (!value[0]) {
                fprintf(stderr, "podtune certs: --out: empty directory name\n");
                goto usage_error;
            }
            out_dir = value;
        } else if (strcmp(opt, "--days") == 0) {
            if (parse_days(value, &days) != 0) {
                fprintf(stderr,
                        "podtune certs: --days: '%s' is not a whole number of days in 1..36500\n",
                        value);
                goto usage_error;
            }
        } else {
            if (n_dup == sizeof(dup) / sizeof(dup[0])) {
                fprintf(stderr, "podtune certs: too many %s options\n", opt);
                goto usage_error;
            }
            if (!(dup[n_dup] = strdup(value))) {
                fprintf(stderr, "podtune certs: out of memory\n");
                goto done;
            }
            char *copy = dup[n_dup++];
            if (add_names(strcmp(opt, "--dns") == 0 ? &dns : &ips, copy, opt) != 0)
                goto usage_error;
        }
    }
    if (!out_dir) {
        fprintf(stderr, "podtune certs: --out DIR is required\n");
        goto usage_error;
    }
    if (dns.n == 0) {
        fprintf(stderr, "podtune certs: at least one --dns NAME is required\n");
        goto usage_error;
    }

    struct pt_certs_opts opts = {
        .out_dir = out_dir,
        .dns = dns.items,
        .n_dns = dns.n,
        .ips = ips.items,
        .n_ips = ips.n,
        .days = days,
    };
    if (pt_certs_generate(&opts, &bundle, &err) != 0) {
        fprintf(stderr, "podtune certs: error: %s\n", err.text);
        goto done;
    }

    /* Reading the result back checks it the way `serve` will. */
    char cert[4096], key[4096];
    snprintf(cert, sizeof(cert), "%s/tls.crt", out_dir);
    snprintf(key, sizeof(key), "%s/tls.key", out_dir);
    creds = pt_tls_load(cert, key, &err);
    if (!creds) {
        fprintf(stderr, "podtune certs: error: the written certificate does not load: %s\n",
                err.text);
        goto done;
    }

    printf("%s\n", bundle);
    if (fflush(stdout) != 0) {
        fprintf(stderr, "podtune certs: error: writing to stdout: %s\n", strerror(errno));
        goto done;
    }
    char until[64];
    format_utc(creds->not_after, until, sizeof(until));
    fprintf(stderr, "podtune certs: wrote %s/ca.crt, ca.key, tls.crt, tls.key (keys mode 0600)\n",
            out_dir);
    fprintf(stderr, "  subject: %s\n  SANs:    ", creds->subject);
    for (size_t i = 0; i < dns.n; i++)
        fprintf(stderr, "%sDNS:%s", i ? ", " : "", dns.items[i]);
    for (size_t i = 0; i < ips.n; i++)
        fprintf(stderr, ", IP:%s", ips.items[i]);
    fprintf(stderr, "\n  expires: %s\n", until);
    fprintf(stderr, "  the line on stdout is the caBundle (base64 of ca.crt)\n");
    rc = PT_EXIT_OK;
    goto done;

usage_error:
    fprintf(stderr, "Run 'podtune certs --help' for usage.\n");
    rc = PT_EXIT_USAGE;
done:
    pt_tls_creds_unref(creds);
    free(bundle);
    for (size_t i = 0; i < n_dup; i++)
        free(dup[i]);
    return rc;
}
