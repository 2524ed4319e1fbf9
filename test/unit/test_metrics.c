/* test_metrics.c — counters, label escaping, histogram buckets, table bounds, threads, exposition grammar. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <regex.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "podtune/metrics.h"

/* ---- helpers ---------------------------------------------------------------------- */

static char *render(void)
{
    size_t len = 0;
    char *text = pt_metrics_render(&len);
    assert_non_null(text);
    assert_int_equal(strlen(text), len);
    return text;
}

/* The value of the sample whose "name{labels}" part is exactly series, or -1
 * if there is no such line. */
static double sample(const char *text, const char *series)
{
    size_t n = strlen(series);
    for (const char *line = text; *line;) {
        const char *end = strchr(line, '\n');
        if (!end)
            end = line + strlen(line);
        if ((size_t)(end - line) > n && strncmp(line, series, n) == 0 && line[n] == ' ')
            return strtod(line + n + 1, NULL);
        line = *end ? end + 1 : end;
    }
    return -1;
}

static double must_sample(const char *text, const char *series)
{
    double v = sample(text, series);
    if (v < 0)
        fail_msg("no sample %s in:\n%s", series, text);
    return v;
}

/* Sum and number of the samples of one counter family (lines "name{..." ). */
static double family_sum(const char *text, const char *name, int *lines)
{
    double sum = 0;
    size_t n = strlen(name);
    *lines = 0;
    for (const char *line = text; *line;) {
        const char *end = strchr(line, '\n');
        if (!end)
            end = line + strlen(line);
        if (strncmp(line, name, n) == 0 && line[n] == '{') {
            const char *sp = memrchr(line, ' ', (size_t)(end - line));
            assert_non_null(sp);
            sum += strtod(sp + 1, NULL);
            (*lines)++;
        }
        line = *end ? end + 1 : end;
    }
    return sum;
}

/* Checks every line against the text format 0.0.4: HELP and TYPE once per
 * family, before its samples; every sample belongs to a declared family and
 * a family's samples are contiguous; label values are properly escaped. */
static void check_grammar(const char *text)
{
    regex_t help, type, smp;
    const char *name = "[a-zA-Z_:][a-zA-Z0-9_:]*";
    const char *lval = "\"([^\"\\\\\n]|\\\\[\\\\\"n])*\"";
    char re[1024];
    snprintf(re, sizeof(re), "^# HELP (%s) [^\n]*$", name);
    assert_int_equal(regcomp(&help, re, REG_EXTENDED), 0);
    snprintf(re, sizeof(re), "^# TYPE (%s) (counter|gauge|histogram|summary|untyped)$", name);
    assert_int_equal(regcomp(&type, re, REG_EXTENDED), 0);
    snprintf(re, sizeof(re),
             "^(%s)(\\{[a-zA-Z_][a-zA-Z0-9_]*=%s(,[a-zA-Z_][a-zA-Z0-9_]*=%s)*\\})? "
             "(-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?|[-+]Inf|NaN)$",
             name, lval, lval);
    assert_int_equal(regcomp(&smp, re, REG_EXTENDED), 0);

    char family[128] = "", family_type[32] = "", helped[128] = "";
    char done[64][128];
    int n_done = 0;
    assert_true(strlen(text) > 0);
    assert_int_equal(text[strlen(text) - 1], '\n');
    char *copy = strdup(text);
    assert_non_null(copy);
    for (char *line = copy, *next; *line; line = next) {
        next = strchr(line, '\n'); /* the text ends with '\n' (checked above) */
        *next++ = '\0';
        if (!*line)
            fail_msg("empty line in the exposition");
        regmatch_t m[3];
        if (regexec(&help, line, 3, m, 0) == 0) {
            snprintf(helped, sizeof(helped), "%.*s", (int)(m[1].rm_eo - m[1].rm_so),
                     line + m[1].rm_so);
            for (int i = 0; i < n_done; i++)
                if (strcmp(done[i], helped) == 0)
                    fail_msg("family %s declared twice", helped);
            continue;
        }
        if (regexec(&type, line, 3, m, 0) == 0) {
            snprintf(family, sizeof(family), "%.*s", (int)(m[1].rm_eo - m[1].rm_so),
                     line + m[1].rm_so);
            snprintf(family_type, sizeof(family_type), "%.*s", (int)(m[2].rm_eo - m[2].rm_so),
                     line + m[2].rm_so);
            if (strcmp(family, helped) != 0)
                fail_msg("TYPE %s without HELP just before it", family);
            assert_true(n_done < 64);
            snprintf(done[n_done++], sizeof(done[0]), "%s", family);
            continue;
        }
        if (regexec(&smp, line, 3, m, 0) != 0)
            fail_msg("not a valid exposition line: \"%s\"", line);
        char base[128];
        snprintf(base, sizeof(base), "%.*s", (int)(m[1].rm_eo - m[1].rm_so), line + m[1].rm_so);
        if (strcmp(family_type, "histogram") == 0) {
            size_t fl = strlen(family);
            if (strncmp(base, family, fl) == 0 &&
                (strcmp(base + fl, "_bucket") == 0 || strcmp(base + fl, "_sum") == 0 ||
                 strcmp(base + fl, "_count") == 0))
                base[fl] = '\0';
        }
        if (strcmp(base, family) != 0)
            fail_msg("sample \"%s\" outside its family (current family %s)", line, family);
    }
    free(copy);
    regfree(&help);
    regfree(&type);
    regfree(&smp);
}

static int setup(void **state)
{
    (void)state;
    pt_metrics_init("1.2.3");
    return 0;
}

/* ---- tests ---------------------------------------------------------------------- */

static void test_every_contract_metric_present(void **state)
{
    (void)state;
    char *t = render();
    static const char *const families[] = {
        "podtune_admission_requests_total counter",
        "podtune_admission_duration_seconds histogram",
        "podtune_patch_operations_total counter",
        "podtune_policy_profiles gauge",
        "podtune_policy_reloads_total counter",
        "podtune_policy_last_reload_success_timestamp_seconds gauge",
        "podtune_tls_certificate_expiry_timestamp_seconds gauge",
        "podtune_tls_reloads_total counter",
        "podtune_http_errors_total counter",
        "podtune_build_info gauge",
        "process_resident_memory_bytes gauge",
        "process_cpu_seconds_total counter",
        "process_open_fds gauge",
        "process_start_time_seconds gauge",
    };
    for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
        char want[160];
        snprintf(want, sizeof(want), "# TYPE %s\n", families[i]);
        if (!strstr(t, want))
            fail_msg("missing \"%s\"", want);
    }
    check_grammar(t);
    assert_int_equal(must_sample(t, "podtune_build_info{version=\"1.2.3\"}"), 1);
    assert_int_equal(must_sample(t, "podtune_admission_duration_seconds_count"), 0);
    assert_int_equal(must_sample(t, "podtune_policy_reloads_total{result=\"success\"}"), 0);
    assert_int_equal(must_sample(t, "podtune_policy_reloads_total{result=\"error\"}"), 0);
    assert_int_equal(must_sample(t, "podtune_policy_last_reload_success_timestamp_seconds"), 0);
    /* no certificate loaded yet: no expiry sample (0 would read as "expired in 1970") */
    assert_true(sample(t, "podtune_tls_certificate_expiry_timestamp_seconds") < 0);
    free(t);
}

static void test_admission_counts(void **state)
{
    (void)state;
    for (int i = 0; i < 3; i++)
        pt_metrics_admission("spark-driver", "etl", "patched", 0.0002);
    pt_metrics_admission("spark-executor", NULL, "skipped", 0.0001);
    pt_metrics_admission("spark-executor", "", "skipped", 0.0001);
    pt_metrics_admission(NULL, NULL, NULL, 0.0001);
    pt_metrics_admission("spark-driver", "etl", "error", 0.0002);
    char *t = render();
    check_grammar(t);
    assert_int_equal(
        must_sample(t,
                    "podtune_admission_requests_total{role=\"spark-driver\",profile=\"etl\","
                    "result=\"patched\"}"),
        3);
    assert_int_equal(
        must_sample(t,
                    "podtune_admission_requests_total{role=\"spark-driver\",profile=\"etl\","
                    "result=\"error\"}"),
        1);
    /* NULL and "" are the same label value */
    assert_int_equal(must_sample(t, "podtune_admission_requests_total{role=\"spark-executor\","
                                    "profile=\"\",result=\"skipped\"}"),
                     2);
    assert_int_equal(
        must_sample(t, "podtune_admission_requests_total{role=\"\",profile=\"\",result=\"\"}"), 1);
    int lines;
    assert_int_equal(family_sum(t, "podtune_admission_requests_total", &lines), 7);
    assert_int_equal(lines, 4);
    assert_int_equal(must_sample(t, "podtune_admission_duration_seconds_count"), 7);
    free(t);

    /* init resets */
    pt_metrics_init("1.2.3");
    t = render();
    assert_int_equal(family_sum(t, "podtune_admission_requests_total", &lines), 0);
    assert_int_equal(lines, 0);
    free(t);
}

static void test_label_escaping(void **state)
{
    (void)state;
    pt_metrics_admission("flink-taskmanager", "a\"b\\c\nd", "patched", 0.001);
    pt_metrics_patch_ops("x\\\"\n", 2);
    pt_metrics_init("v\"1\\\n");
    pt_metrics_admission("flink-taskmanager", "a\"b\\c\nd", "patched", 0.001);
    pt_metrics_patch_ops("x\\\"\n", 2);
    char *t = render();
    check_grammar(t);
    assert_int_equal(must_sample(t, "podtune_admission_requests_total{role=\"flink-taskmanager\","
                                    "profile=\"a\\\"b\\\\c\\nd\",result=\"patched\"}"),
                     1);
    assert_int_equal(must_sample(t, "podtune_patch_operations_total{field=\"x\\\\\\\"\\n\"}"), 2);
    assert_int_equal(must_sample(t, "podtune_build_info{version=\"v\\\"1\\\\\\n\"}"), 1);
    free(t);
}

static void test_histogram_buckets(void **state)
{
    (void)state;
    pt_metrics_admission("r", "p", "x", 0.00005);  /* on a bound: counts in le=0.00005 */
    pt_metrics_admission("r", "p", "x", -1);       /* negative: clamped to 0 */
    pt_metrics_admission("r", "p", "x", 0.0 / 0.0); /* NaN: clamped to 0 */
    pt_metrics_admission("r", "p", "x", 0.00007);  /* le=0.0001 */
    pt_metrics_admission("r", "p", "x", 0.003);    /* le=0.005 */
    pt_metrics_admission("r", "p", "x", 1);        /* le=1 */
    pt_metrics_admission("r", "p", "x", 2);        /* +Inf only */
    char *t = render();
    check_grammar(t);
    static const struct {
        const char *le;
        int count;
    } want[] = {{"0.00005", 3}, {"0.0001", 4}, {"0.00025", 4}, {"0.0005", 4}, {"0.001", 4},
                {"0.0025", 4},  {"0.005", 5},  {"0.01", 5},    {"0.025", 5},  {"0.05", 5},
                {"0.1", 5},     {"0.25", 5},   {"0.5", 5},     {"1", 6},      {"+Inf", 7}};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        char s[128];
        snprintf(s, sizeof(s), "podtune_admission_duration_seconds_bucket{le=\"%s\"}", want[i].le);
        double v = must_sample(t, s);
        if ((int)v != want[i].count)
            fail_msg("%s = %g, want %d", s, v, want[i].count);
    }
    /* exactly 15 buckets */
    int lines;
    family_sum(t, "podtune_admission_duration_seconds_bucket", &lines);
    assert_int_equal(lines, 15);
    assert_int_equal(must_sample(t, "podtune_admission_duration_seconds_count"), 7);
    assert_non_null(strstr(t, "\npodtune_admission_duration_seconds_sum 3.003120000\n"));
    free(t);
}

static void test_patch_ops(void **state)
{
    (void)state;
    pt_metrics_patch_ops("resources", 2);
    pt_metrics_patch_ops("resources", 3);
    pt_metrics_patch_ops("tolerations", 1);
    pt_metrics_patch_ops("nodeSelector", 0); /* adds nothing, makes no series */
    pt_metrics_patch_ops(NULL, 1);
    char *t = render();
    check_grammar(t);
    assert_int_equal(must_sample(t, "podtune_patch_operations_total{field=\"resources\"}"), 5);
    assert_int_equal(must_sample(t, "podtune_patch_operations_total{field=\"tolerations\"}"), 1);
    assert_int_equal(must_sample(t, "podtune_patch_operations_total{field=\"\"}"), 1);
    assert_true(sample(t, "podtune_patch_operations_total{field=\"nodeSelector\"}") < 0);
    /* sorted by label value */
    char *a = strstr(t, "field=\"\"}"), *b = strstr(t, "field=\"resources\""),
         *c = strstr(t, "field=\"tolerations\"");
    assert_true(a && b && c && a < b && b < c);
    free(t);
}

static void test_table_overflow_goes_to_other(void **state)
{
    (void)state;
    char name[64];
    for (int i = 0; i < 1000; i++) {
        snprintf(name, sizeof(name), "profile-%04d", i);
        pt_metrics_admission("spark-driver", name, "patched", 0.0001);
    }
    /* an early series keeps counting on its own after the table filled */
    pt_metrics_admission("spark-driver", "profile-0000", "patched", 0.0001);
    /* a new role after the fill lands in that role's _other series */
    pt_metrics_admission("flink-jobmanager", "late", "patched", 0.0001);

    char *t = render();
    check_grammar(t);
    int lines;
    assert_int_equal(family_sum(t, "podtune_admission_requests_total", &lines), 1002);
    assert_true(lines > 100 && lines <= 512);
    double other = must_sample(t, "podtune_admission_requests_total{role=\"spark-driver\","
                                  "profile=\"_other\",result=\"patched\"}");
    /* every profile that got its own series has count 1, the rest are in _other */
    assert_int_equal((int)other, 1000 - (lines - 2));
    assert_int_equal(must_sample(t, "podtune_admission_requests_total{role=\"spark-driver\","
                                    "profile=\"profile-0000\",result=\"patched\"}"),
                     2);
    assert_int_equal(must_sample(t, "podtune_admission_requests_total{role=\"flink-jobmanager\","
                                    "profile=\"_other\",result=\"patched\"}"),
                     1);
    free(t);

    /* over-long values never get a series of their own */
    pt_metrics_init("1.2.3");
    char longv[300];
    memset(longv, 'p', sizeof(longv) - 1);
    longv[sizeof(longv) - 1] = '\0';
    pt_metrics_admission("spark-driver", longv, "patched", 0.0001);
    t = render();
    assert_int_equal(must_sample(t, "podtune_admission_requests_total{role=\"spark-driver\","
                                    "profile=\"_other\",result=\"patched\"}"),
                     1);
    assert_null(strstr(t, "pppppppp"));
    free(t);
}

static void test_table_exhausted_goes_to_last_resort(void **state)
{
    (void)state;
    char role[64], field[64];
    /* Every role is new, so even the _other series fill the table. */
    for (int i = 0; i < 2000; i++) {
        snprintf(role, sizeof(role), "role-%04d", i);
        pt_metrics_admission(role, "p", "patched", 0.0001);
        snprintf(field, sizeof(field), "field-%04d", i);
        pt_metrics_patch_ops(field, 2);
    }
    char *t = render();
    check_grammar(t);
    int lines;
    assert_int_equal(family_sum(t, "podtune_admission_requests_total", &lines), 2000);
    assert_true(lines <= 513);
    assert_true(must_sample(t, "podtune_admission_requests_total{role=\"_other\","
                               "profile=\"_other\",result=\"_other\"}") > 0);
    assert_int_equal(family_sum(t, "podtune_patch_operations_total", &lines), 4000);
    assert_true(lines <= 513);
    assert_true(must_sample(t, "podtune_patch_operations_total{field=\"_other\"}") > 0);
    free(t);
}

static void test_reloads_and_errors(void **state)
{
    (void)state;
    time_t before = time(NULL);
    pt_metrics_policy_reload(1, 7);
    pt_metrics_policy_reload(0, 3); /* a failed reload leaves the gauge alone */
    pt_metrics_policy_reload(0, 0);
    pt_metrics_tls_reload(1, 1900000000);
    pt_metrics_tls_reload(0, 1);
    pt_metrics_http_error(413);
    pt_metrics_http_error(413);
    pt_metrics_http_error(404);
    pt_metrics_http_error(9999);
    pt_metrics_http_error(-5);
    char *t = render();
    check_grammar(t);
    assert_int_equal(must_sample(t, "podtune_policy_profiles"), 7);
    assert_int_equal(must_sample(t, "podtune_policy_reloads_total{result=\"success\"}"), 1);
    assert_int_equal(must_sample(t, "podtune_policy_reloads_total{result=\"error\"}"), 2);
    double ts = must_sample(t, "podtune_policy_last_reload_success_timestamp_seconds");
    assert_true(ts >= (double)before - 1 && ts <= (double)time(NULL) + 1);
    assert_int_equal(must_sample(t, "podtune_tls_certificate_expiry_timestamp_seconds"),
                     1900000000);
    assert_int_equal(must_sample(t, "podtune_tls_reloads_total{result=\"success\"}"), 1);
    assert_int_equal(must_sample(t, "podtune_tls_reloads_total{result=\"error\"}"), 1);
    assert_int_equal(must_sample(t, "podtune_http_errors_total{code=\"413\"}"), 2);
    assert_int_equal(must_sample(t, "podtune_http_errors_total{code=\"404\"}"), 1);
    assert_int_equal(must_sample(t, "podtune_http_errors_total{code=\"other\"}"), 2);
    assert_true(sample(t, "podtune_http_errors_total{code=\"400\"}") < 0);
    free(t);
}

static void test_process_metrics(void **state)
{
    (void)state;
    char *t = render();
    assert_true(must_sample(t, "process_resident_memory_bytes") > 100000);
    assert_true(must_sample(t, "process_open_fds") >= 3);
    assert_true(must_sample(t, "process_cpu_seconds_total") >= 0);
    double start = must_sample(t, "process_start_time_seconds");
    double now = (double)time(NULL);
    /* started within the last hour (a unit test run), and not in the future */
    assert_true(start > now - 3600 && start <= now + 2);
    free(t);
}

/* ---- threads ------------------------------------------------------------------------ */

#define THREADS 8
#define PER_THREAD 50000

static const char *const thread_profiles[] = {"alpha", "beta", "gamma", "delta"};

static void *hammer(void *arg)
{
    int id = (int)(intptr_t)arg;
    for (int i = 0; i < PER_THREAD; i++) {
        /* every thread inserts the same label sets concurrently at the start */
        pt_metrics_admission("spark-executor", thread_profiles[(i + id) % 4], "patched",
                             (i % 2) ? 0.0003 : 0.02);
        pt_metrics_patch_ops(i % 2 ? "resources" : "env", 1);
    }
    return NULL;
}

static void *scraper(void *arg)
{
    atomic_int *stop = arg;
    while (!atomic_load(stop)) {
        size_t len;
        char *t = pt_metrics_render(&len);
        assert_non_null(t);
        free(t);
    }
    return NULL;
}

static void test_threads_exact_totals(void **state)
{
    (void)state;
    pthread_t th[THREADS], scr;
    atomic_int stop = 0;
    assert_int_equal(pthread_create(&scr, NULL, scraper, &stop), 0);
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, hammer, (void *)(intptr_t)i), 0);
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    atomic_store(&stop, 1);
    assert_int_equal(pthread_join(scr, NULL), 0);

    char *t = render();
    check_grammar(t);
    int lines;
    const double total = (double)THREADS * PER_THREAD;
    assert_true(family_sum(t, "podtune_admission_requests_total", &lines) == total);
    assert_int_equal(lines, 4); /* no duplicate series from racing inserts */
    for (int p = 0; p < 4; p++) {
        char s[160];
        snprintf(s, sizeof(s),
                 "podtune_admission_requests_total{role=\"spark-executor\",profile=\"%s\","
                 "result=\"patched\"}",
                 thread_profiles[p]);
        assert_true(must_sample(t, s) == total / 4);
    }
    assert_true(must_sample(t, "podtune_admission_duration_seconds_count") == total);
    assert_true(must_sample(t, "podtune_admission_duration_seconds_bucket{le=\"0.0005\"}") ==
                total / 2);
    assert_true(must_sample(t, "podtune_admission_duration_seconds_bucket{le=\"0.025\"}") == total);
    /* 200000 * 0.0003 + 200000 * 0.02 = 4060 exactly, in nanoseconds */
    assert_non_null(strstr(t, "\npodtune_admission_duration_seconds_sum 4060.000000000\n"));
    assert_true(must_sample(t, "podtune_patch_operations_total{field=\"resources\"}") == total / 2);
    assert_true(must_sample(t, "podtune_patch_operations_total{field=\"env\"}") == total / 2);
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_every_contract_metric_present, setup),
        cmocka_unit_test_setup(test_admission_counts, setup),
        cmocka_unit_test_setup(test_label_escaping, setup),
        cmocka_unit_test_setup(test_histogram_buckets, setup),
        cmocka_unit_test_setup(test_patch_ops, setup),
        cmocka_unit_test_setup(test_table_overflow_goes_to_other, setup),
        cmocka_unit_test_setup(test_table_exhausted_goes_to_last_resort, setup),
        cmocka_unit_test_setup(test_reloads_and_errors, setup),
        cmocka_unit_test_setup(test_process_metrics, setup),
        cmocka_unit_test_setup(test_threads_exact_totals, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
