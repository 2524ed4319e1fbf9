/* metrics.c — lock-free counters, a histogram and labelled series, rendered as Prometheus text
 * 0.0.4. */
#include "podtune/metrics.h"

#include <dirent.h>
#include <inttypes.h>
#include <math.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* ---- labelled series: a fixed open-addressing table ----------------------------
 *
 * A slot goes EMPTY -> BUSY (claimed by CAS; its label values are being copied)
 * -> READY (published with release; never changes again until pt_metrics_init).
 * Looking up a series that exists is a probe plus one atomic add. A thread that
 * meets a BUSY slot waits for the claiming thread's memcpy to finish; that
 * happens once per label set in the life of the process.
 *
 * Bounds: at most SOFT_LIMIT distinct label sets. Past that, the table's
 * unbounded label (profile, field) is replaced by "_other"; those overflow
 * series use the remaining slots. If even they run out, everything is counted
 * in one series with every label "_other". Values longer than LABEL_MAX - 1
 * bytes are counted as "_other" too. */

#define LABELS_MAX  3
#define LABEL_MAX   96
#define TABLE_SLOTS 512 /* power of two */
#define SOFT_LIMIT  384
#define OTHER       "_other"

enum { SLOT_EMPTY, SLOT_BUSY, SLOT_READY };

struct series {
    atomic_uint state;
    uint64_t hash;
    char val[LABELS_MAX][LABEL_MAX];
    atomic_uint_fast64_t count;
};

struct series_table {
    const char *name;
    const char *help;
    const char *labels[LABELS_MAX];
    int n_labels;
    int unbounded; /* index of the label replaced by "_other" when the table fills */
    atomic_uint used;
    struct series slots[TABLE_SLOTS];
    struct series last_resort; /* every label "_other"; never in slots[] */
};

/* ---- the histogram ------------------------------------------------------------- */

static const double duration_bounds[] = {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                         0.01,    0.025,  0.05,    0.1,    0.25,  0.5,    1};
#define N_BOUNDS (sizeof(duration_bounds) / sizeof(duration_bounds[0]))
/* The same bounds as written in `le` (printf's %g would give "5e-05"). */
static const char *const duration_le[N_BOUNDS] = {"0.00005", "0.0001", "0.00025", "0.0005", "0.001",
                                                  "0.0025",  "0.005",  "0.01",    "0.025",  "0.05",
                                                  "0.1",     "0.25",   "0.5",     "1"};

/* ---- all metrics -------------------------------------------------------------------- */

#define HTTP_CODES 600

static struct {
    struct series_table admissions;
    struct series_table patch_ops;
    atomic_uint_fast64_t duration_buckets[N_BOUNDS + 1]; /* not cumulative; last is +Inf */
    atomic_uint_fast64_t duration_sum_ns;
    atomic_uint_fast64_t policy_reloads[2]; /* [0] error, [1] success */
    atomic_uint_fast64_t policy_profiles;
    atomic_int_fast64_t policy_last_success_ms;
    atomic_uint_fast64_t tls_reloads[2];
    atomic_int_fast64_t tls_not_after;                /* 0: no certificate loaded yet */
    atomic_uint_fast64_t http_errors[HTTP_CODES + 1]; /* last: codes out of range */
    char version[64];
    int64_t start_ms; /* fallback when /proc has no start time */
} m = {
    .admissions = {.name = "podtune_admission_requests_total",
                   .help = "Admission requests answered, by pod role, profile and result.",
                   .labels = {"role", "profile", "result"},
                   .n_labels = 3,
                   .unbounded = 1},
    .patch_ops = {.name = "podtune_patch_operations_total",
                  .help = "JSON Patch operations sent, by the pod field they change.",
                  .labels = {"field"},
                  .n_labels = 1,
                  .unbounded = 0},
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* FNV-1a over the values, each followed by a 0xff separator. */
static uint64_t hash_values(const char *const *vals, int n)
{
    uint64_t h = 1469598103934665603ull;
    for (int i = 0; i < n; i++) {
        for (const unsigned char *p = (const unsigned char *)vals[i]; *p; p++)
            h = (h ^ *p) * 1099511628211ull;
        h = (h ^ 0xff) * 1099511628211ull;
    }
    return h;
}

static void table_reset(struct series_table *t)
{
    for (size_t i = 0; i < TABLE_SLOTS; i++) {
        atomic_store(&t->slots[i].state, SLOT_EMPTY);
        atomic_store(&t->slots[i].count, 0);
        t->slots[i].hash = 0;
        memset(t->slots[i].val, 0, sizeof(t->slots[i].val));
    }
    atomic_store(&t->used, 0);
    atomic_store(&t->last_resort.count, 0);
    atomic_store(&t->last_resort.state, SLOT_READY);
    for (int i = 0; i < LABELS_MAX; i++)
        snprintf(t->last_resort.val[i], LABEL_MAX, "%s", OTHER);
}

/* Finds or inserts the series for vals among at most `limit` label sets.
 * Returns NULL when the set is new and the limit is reached. */
static struct series *table_find(struct series_table *t, const char *const *vals, unsigned limit)
{
    uint64_t h = hash_values(vals, t->n_labels);
    for (size_t probe = 0; probe < TABLE_SLOTS; probe++) {
        struct series *s = &t->slots[(h + probe) & (TABLE_SLOTS - 1)];
        unsigned st = atomic_load_explicit(&s->state, memory_order_acquire);
        if (st == SLOT_EMPTY) {
            if (atomic_load_explicit(&t->used, memory_order_relaxed) >= limit)
                return NULL;
            if (atomic_fetch_add_explicit(&t->used, 1, memory_order_relaxed) >= limit) {
                atomic_fetch_sub_explicit(&t->used, 1, memory_order_relaxed);
                return NULL;
            }
            unsigned expect = SLOT_EMPTY;
            if (atomic_compare_exchange_strong_explicit(
                    &s->state, &expect, SLOT_BUSY, memory_order_acquire, memory_order_acquire)) {
                for (int i = 0; i < t->n_labels; i++)
                    snprintf(s->val[i], LABEL_MAX, "%s", vals[i]);
                s->hash = h;
                atomic_store_explicit(&s->state, SLOT_READY, memory_order_release);
                return s;
            }
            atomic_fetch_sub_explicit(&t->used, 1, memory_order_relaxed);
            st = expect; /* someone else claimed it: maybe for the same labels */
        }
        while (st == SLOT_BUSY) {
            sched_yield();
            st = atomic_load_explicit(&s->state, memory_order_acquire);
        }
        if (s->hash != h)
            continue;
        int same = 1;
        for (int i = 0; i < t->n_labels && same; i++)
            same = strcmp(s->val[i], vals[i]) == 0;
        if (same)
            return s;
    }
    return NULL;
}

/* Adds n to the series for vals, applying the bounds described above. */
static void table_add(struct series_table *t, const char *const *in_vals, uint64_t n)
{
    const char *vals[LABELS_MAX];
    for (int i = 0; i < t->n_labels; i++) {
        vals[i] = in_vals[i] ? in_vals[i] : "";
        if (strlen(vals[i]) >= LABEL_MAX)
            vals[i] = OTHER;
    }
    struct series *s = table_find(t, vals, SOFT_LIMIT);
    if (!s) {
        vals[t->unbounded] = OTHER;
        s = table_find(t, vals, TABLE_SLOTS);
    }
    if (!s)
        s = &t->last_resort;
    atomic_fetch_add_explicit(&s->count, n, memory_order_relaxed);
}

/* ---- updates ---------------------------------------------------------------------- */

void pt_metrics_init(const char *version)
{
    table_reset(&m.admissions);
    table_reset(&m.patch_ops);
    for (size_t i = 0; i <= N_BOUNDS; i++)
        atomic_store(&m.duration_buckets[i], 0);
    atomic_store(&m.duration_sum_ns, 0);
    for (int i = 0; i < 2; i++) {
        atomic_store(&m.policy_reloads[i], 0);
        atomic_store(&m.tls_reloads[i], 0);
    }
    atomic_store(&m.policy_profiles, 0);
    atomic_store(&m.policy_last_success_ms, 0);
    atomic_store(&m.tls_not_after, 0);
    for (size_t i = 0; i <= HTTP_CODES; i++)
        atomic_store(&m.http_errors[i], 0);
    snprintf(m.version, sizeof(m.version), "%s", version ? version : "");
    m.start_ms = now_ms();
}

void pt_metrics_admission(const char *role, const char *profile, const char *result, double seconds)
{
    const char *vals[3] = {role, profile, result};
    table_add(&m.admissions, vals, 1);

    if (!(seconds >= 0)) /* negative or NaN */
        seconds = 0;
    size_t b = 0;
    while (b < N_BOUNDS && seconds > duration_bounds[b])
        b++;
    atomic_fetch_add_explicit(&m.duration_buckets[b], 1, memory_order_relaxed);
    if (seconds > 1e9) /* keeps the nanosecond sum meaningful; nothing takes 30 years */
        seconds = 1e9;
    atomic_fetch_add_explicit(&m.duration_sum_ns, (uint64_t)llround(seconds * 1e9),
                              memory_order_relaxed);
}

void pt_metrics_patch_ops(const char *field, uint64_t n)
{
    const char *vals[1] = {field};
    if (n)
        table_add(&m.patch_ops, vals, n);
}

void pt_metrics_policy_reload(int ok, size_t profiles)
{
    if (ok) {
        atomic_store_explicit(&m.policy_profiles, profiles, memory_order_relaxed);
        atomic_store_explicit(&m.policy_last_success_ms, now_ms(), memory_order_relaxed);
    }
    atomic_fetch_add_explicit(&m.policy_reloads[ok ? 1 : 0], 1, memory_order_relaxed);
}

void pt_metrics_tls_reload(int ok, int64_t not_after)
{
    if (ok)
        atomic_store_explicit(&m.tls_not_after, not_after, memory_order_relaxed);
    atomic_fetch_add_explicit(&m.tls_reloads[ok ? 1 : 0], 1, memory_order_relaxed);
}

void pt_metrics_http_error(int status)
{
    size_t i = status >= 100 && status < HTTP_CODES ? (size_t)status : HTTP_CODES;
    atomic_fetch_add_explicit(&m.http_errors[i], 1, memory_order_relaxed);
}

/* ---- rendering -------------------------------------------------------------------- */

#define RENDER_MAX (8u * 1024 * 1024)

/* A growable output buffer; after a failure every append is a no-op. */
struct out {
    char *p;
    size_t len, cap;
    int failed;
};

static void out_reserve(struct out *o, size_t extra)
{
    if (o->failed || o->len + extra + 1 <= o->cap)
        return;
    size_t cap = o->cap ? o->cap : 16384;
    while (cap < o->len + extra + 1)
        cap *= 2;
    char *p = cap <= RENDER_MAX ? realloc(o->p, cap) : NULL;
    if (!p) {
        o->failed = 1;
        return;
    }
    o->p = p;
    o->cap = cap;
}

static void out_printf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out_printf(struct out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        o->failed = 1;
        return;
    }
    out_reserve(o, (size_t)n);
    if (o->failed)
        return;
    va_start(ap, fmt);
    vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
    va_end(ap);
    o->len += (size_t)n;
}

/* Appends a label value escaped per the exposition format: \\, \", \n. */
static void out_label_value(struct out *o, const char *v)
{
    out_reserve(o, 2 * strlen(v));
    if (o->failed)
        return;
    for (; *v; v++) {
        if (*v == '\\' || *v == '"') {
            o->p[o->len++] = '\\';
            o->p[o->len++] = *v;
        } else if (*v == '\n') {
            o->p[o->len++] = '\\';
            o->p[o->len++] = 'n';
        } else {
            o->p[o->len++] = *v;
        }
    }
    o->p[o->len] = '\0';
}

static void out_family(struct out *o, const char *name, const char *type, const char *help)
{
    out_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Orders series by their label values (unused values are equal within a table). */
static int cmp_series(const void *a, const void *b)
{
    const struct series *x = *(const struct series *const *)a;
    const struct series *y = *(const struct series *const *)b;
    for (int i = 0; i < LABELS_MAX; i++) {
        int c = strcmp(x->val[i], y->val[i]);
        if (c)
            return c;
    }
    return 0;
}

/* Renders a table's series, sorted by label values so output is stable. */
static void render_table(struct out *o, const struct series_table *t)
{
    const struct series *rows[TABLE_SLOTS + 1];
    size_t n = 0;
    for (size_t i = 0; i < TABLE_SLOTS; i++)
        if (atomic_load_explicit(&t->slots[i].state, memory_order_acquire) == SLOT_READY)
            rows[n++] = &t->slots[i];
    if (atomic_load_explicit(&t->last_resort.count, memory_order_relaxed))
        rows[n++] = &t->last_resort;
    qsort(rows, n, sizeof(rows[0]), cmp_series);

    out_family(o, t->name, "counter", t->help);
    for (size_t r = 0; r < n; r++) {
        out_printf(o, "%s{", t->name);
        for (int i = 0; i < t->n_labels; i++) {
            out_printf(o, "%s%s=\"", i ? "," : "", t->labels[i]);
            out_label_value(o, rows[r]->val[i]);
            out_printf(o, "\"");
        }
        out_printf(o, "} %" PRIuFAST64 "\n",
                   atomic_load_explicit(&rows[r]->count, memory_order_relaxed));
    }
}

static void render_histogram(struct out *o)
{
    const char *name = "podtune_admission_duration_seconds";
    uint64_t cum = 0;
    out_family(o, name, "histogram", "Time to answer one admission request, in seconds.");
    for (size_t b = 0; b <= N_BOUNDS; b++) {
        cum += atomic_load_explicit(&m.duration_buckets[b], memory_order_relaxed);
        if (b < N_BOUNDS)
            out_printf(o, "%s_bucket{le=\"%s\"} %" PRIu64 "\n", name, duration_le[b], cum);
        else
            out_printf(o, "%s_bucket{le=\"+Inf\"} %" PRIu64 "\n", name, cum);
    }
    uint64_t ns = atomic_load_explicit(&m.duration_sum_ns, memory_order_relaxed);
    out_printf(o, "%s_sum %" PRIu64 ".%09" PRIu64 "\n", name, ns / 1000000000u, ns % 1000000000u);
    /* _count is the +Inf bucket as read above, so the two always agree. */
    out_printf(o, "%s_count %" PRIu64 "\n", name, cum);
}

/* Reads a small /proc file into buf. Returns its length or -1. */
static ssize_t read_proc(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, len - 1, f);
    fclose(f);
    buf[n] = '\0';
    return (ssize_t)n;
}

/* Field `want` (1-based, as in proc(5)) of /proc/self/stat; comm may hold
 * spaces and parentheses, so counting starts after the last ')'. */
static int stat_field(const char *stat, int want, unsigned long long *out)
{
    const char *p = strrchr(stat, ')');
    if (!p)
        return -1;
    p++;
    for (int field = 3; *p; field++) {
        while (*p == ' ')
            p++;
        if (field == want) {
            char *end;
            *out = strtoull(p, &end, 10);
            return end == p ? -1 : 0;
        }
        while (*p && *p != ' ')
            p++;
    }
    return -1;
}

static void render_process(struct out *o)
{
    char buf[4096];
    long ticks = sysconf(_SC_CLK_TCK);
    long page = sysconf(_SC_PAGESIZE);
    unsigned long long utime, stime, start;
    int have_stat = read_proc("/proc/self/stat", buf, sizeof(buf)) > 0 && ticks > 0 &&
                    stat_field(buf, 14, &utime) == 0 && stat_field(buf, 15, &stime) == 0 &&
                    stat_field(buf, 22, &start) == 0;

    out_family(o, "process_cpu_seconds_total", "counter",
               "Total user and system CPU time spent in seconds.");
    if (have_stat)
        out_printf(o, "process_cpu_seconds_total %.2f\n", (double)(utime + stime) / (double)ticks);

    out_family(o, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
    unsigned long long size, resident;
    if (read_proc("/proc/self/statm", buf, sizeof(buf)) > 0 && page > 0 &&
        sscanf(buf, "%llu %llu", &size, &resident) == 2)
        out_printf(o, "process_resident_memory_bytes %llu\n", resident * (unsigned long long)page);

    out_family(o, "process_open_fds", "gauge", "Number of open file descriptors.");
    DIR *d = opendir("/proc/self/fd");
    if (d) {
        long n = 0;
        int self = dirfd(d);
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.')
                continue;
            char *end;
            long fd = strtol(e->d_name, &end, 10);
            if (*end == '\0' && fd != self)
                n++;
        }
        closedir(d);
        out_printf(o, "process_open_fds %ld\n", n);
    }

    struct rlimit rl;
    out_family(o, "process_max_fds", "gauge", "Maximum number of open file descriptors.");
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        out_printf(o, "process_max_fds %llu\n", (unsigned long long)rl.rlim_cur);

    /* Start time = boot time (btime in /proc/stat) + start ticks after boot. */
    double start_s = (double)m.start_ms / 1000.0;
    char sbuf[16384];
    const char *bt;
    unsigned long long btime;
    if (have_stat && read_proc("/proc/stat", sbuf, sizeof(sbuf)) > 0 &&
        (bt = strstr(sbuf, "\nbtime ")) != NULL && sscanf(bt + 7, "%llu", &btime) == 1)
        start_s = (double)btime + (double)start / (double)ticks;
    out_family(o, "process_start_time_seconds", "gauge",
               "Start time of the process since unix epoch in seconds.");
    out_printf(o, "process_start_time_seconds %.2f\n", start_s);
}

char *pt_metrics_render(size_t *len)
{
    struct out o = {NULL, 0, 0, 0};

    render_table(&o, &m.admissions);
    render_histogram(&o);
    render_table(&o, &m.patch_ops);

    out_family(&o, "podtune_policy_profiles", "gauge", "Profiles in the policy set being served.");
    out_printf(&o, "podtune_policy_profiles %" PRIuFAST64 "\n",
               atomic_load_explicit(&m.policy_profiles, memory_order_relaxed));

    out_family(&o, "podtune_policy_reloads_total", "counter", "Policy reload attempts, by result.");
    out_printf(&o, "podtune_policy_reloads_total{result=\"error\"} %" PRIuFAST64 "\n",
               atomic_load_explicit(&m.policy_reloads[0], memory_order_relaxed));
    out_printf(&o, "podtune_policy_reloads_total{result=\"success\"} %" PRIuFAST64 "\n",
               atomic_load_explicit(&m.policy_reloads[1], memory_order_relaxed));

    int64_t ms = atomic_load_explicit(&m.policy_last_success_ms, memory_order_relaxed);
    out_family(&o, "podtune_policy_last_reload_success_timestamp_seconds", "gauge",
               "Unix time of the last successful policy load; 0 if none yet.");
    out_printf(&o, "podtune_policy_last_reload_success_timestamp_seconds %" PRId64 ".%03d\n",
               ms / 1000, (int)(ms % 1000));

    int64_t not_after = atomic_load_explicit(&m.tls_not_after, memory_order_relaxed);
    out_family(&o, "podtune_tls_certificate_expiry_timestamp_seconds", "gauge",
               "Unix time when the serving certificate expires (notAfter).");
    if (not_after)
        out_printf(&o, "podtune_tls_certificate_expiry_timestamp_seconds %" PRId64 "\n", not_after);

    out_family(&o, "podtune_tls_reloads_total", "counter",
               "Certificate reload attempts, by result.");
    out_printf(&o, "podtune_tls_reloads_total{result=\"error\"} %" PRIuFAST64 "\n",
               atomic_load_explicit(&m.tls_reloads[0], memory_order_relaxed));
    out_printf(&o, "podtune_tls_reloads_total{result=\"success\"} %" PRIuFAST64 "\n",
               atomic_load_explicit(&m.tls_reloads[1], memory_order_relaxed));

    out_family(&o, "podtune_http_errors_total", "counter",
               "HTTP requests refused before admission, by status code.");
    for (size_t i = 0; i <= HTTP_CODES; i++) {
        uint64_t n = atomic_load_explicit(&m.http_errors[i], memory_order_relaxed);
        if (!n)
            continue;
        if (i < HTTP_CODES)
            out_printf(&o, "podtune_http_errors_total{code=\"%zu\"} %" PRIu64 "\n", i, n);
        else
            out_printf(&o, "podtune_http_errors_total{code=\"other\"} %" PRIu64 "\n", n);
    }

    out_family(&o, "podtune_build_info", "gauge", "Build information; the value is always 1.");
    out_printf(&o, "podtune_build_info{version=\"");
    out_label_value(&o, m.version);
    out_printf(&o, "\"} 1\n");

    render_process(&o);

    if (o.failed) {
        free(o.p);
        if (len)
            *len = 0;
        return NULL;
    }
    if (len)
        *len = o.len;
    return o.p;
}
