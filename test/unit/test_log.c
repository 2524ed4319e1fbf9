/* test_log.c — log lines: JSON validity, escaping, truncation, levels, whole lines from threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "podtune/log.h"

/* 2026-01-02T03:04:05.678Z */
#define T_MS 1767323045678LL

static json_t *parse_line(const char *line)
{
    json_error_t e;
    json_t *j = json_loads(line, 0, &e);
    if (!j)
        fail_msg("not JSON (%s): %s", e.text, line);
    return j;
}

static void test_json_line(void **state)
{
    char buf[1024];
    struct pt_log_field f[] = {PT_LS("uid", "abc"), PT_LI("us", 123), PT_LD("ratio", 0.5),
                               PT_LS("empty", NULL)};
    size_t n;
    json_t *j;
    (void)state;

    n = pt_log_format_line(buf, sizeof(buf), PT_LOG_JSON, T_MS, PT_LOG_INFO, "admission", f, 4);
    assert_int_equal(n, strlen(buf));
    assert_true(buf[n - 1] == '\n');
    j = parse_line(buf);
    assert_string_equal(json_string_value(json_object_get(j, "ts")), "2026-01-02T03:04:05.678Z");
    assert_string_equal(json_string_value(json_object_get(j, "level")), "info");
    assert_string_equal(json_string_value(json_object_get(j, "msg")), "admission");
    assert_string_equal(json_string_value(json_object_get(j, "uid")), "abc");
    assert_int_equal(json_integer_value(json_object_get(j, "us")), 123);
    assert_true(json_real_value(json_object_get(j, "ratio")) == 0.5);
    assert_string_equal(json_string_value(json_object_get(j, "empty")), "");
    json_decref(j);
}

static void test_json_escaping(void **state)
{
    char buf[1024];
    /* quotes, backslash, control characters, valid UTF-8, and invalid bytes */
    const char *hostile = "a\"b\\c\nd\te\x01"
                          "f\xc3\xa9g\xff\xfeh\xed\xa0\x80i";
    struct pt_log_field f[] = {PT_LS("v", hostile), PT_LS("k\"ey", "x")};
    json_t *j;
    (void)state;

    pt_log_format_line(buf, sizeof(buf), PT_LOG_JSON, T_MS, PT_LOG_WARN, "m\"sg", f, 2);
    j = parse_line(buf);
    assert_string_equal(json_string_value(json_object_get(j, "v")),
                        "a\"b\\c\nd\te\x01"
                        "f\xc3\xa9g\xef\xbf\xbd\xef\xbf\xbdh"
                        "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdi");
    assert_string_equal(json_string_value(json_object_get(j, "k\"ey")), "x");
    assert_string_equal(json_string_value(json_object_get(j, "msg")), "m\"sg");
    json_decref(j);
}

static void test_text_line(void **state)
{
    char buf[1024];
    struct pt_log_field f[] = {PT_LS("uid", "abc"), PT_LS("pod", "with space"),
                               PT_LS("q", "a\"b"),  PT_LS("none", ""),
                               PT_LI("us", -7),     PT_LS("nl", "x\ny")};
    (void)state;

    pt_log_format_line(buf, sizeof(buf), PT_LOG_TEXT, T_MS, PT_LOG_ERROR, "policy error", f, 6);
    assert_string_equal(buf, "2026-01-02T03:04:05.678Z error policy error uid=abc "
                             "pod=\"with space\" q=\"a\\\"b\" none=\"\" us=-7 nl=\"x\\ny\"\n");
}

static void test_truncation_keeps_json_valid(void **state)
{
    char big[5000], buf[4096];
    struct pt_log_field f[6];
    json_t *j;
    size_t n;
    (void)state;

    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    for (int i = 0; i < 6; i++)
        f[i] = PT_LS("f", big);
    n = pt_log_format_line(buf, sizeof(buf), PT_LOG_JSON, T_MS, PT_LOG_INFO, "big", f, 6);
    assert_true(n < sizeof(buf));
    assert_true(buf[n - 1] == '\n');
    j = parse_line(buf);
    assert_true(json_is_true(json_object_get(j, "truncated")));
    /* each value is capped, with a marker */
    assert_true(strlen(json_string_value(json_object_get(j, "f"))) < 2100);
    json_decref(j);

    /* the same in text */
    n = pt_log_format_line(buf, sizeof(buf), PT_LOG_TEXT, T_MS, PT_LOG_INFO, "big", f, 6);
    assert_true(n < sizeof(buf));
    assert_non_null(strstr(buf, " truncated=true\n"));

    /* a buffer too small for anything still ends the line */
    n = pt_log_format_line(buf, 8, PT_LOG_JSON, T_MS, PT_LOG_INFO, "big", f, 1);
    assert_int_equal(n, 1);
    assert_string_equal(buf, "\n");
}

static void test_parse_options(void **state)
{
    enum pt_log_format fmt;
    enum pt_log_level lvl;
    (void)state;

    assert_int_equal(pt_log_parse_format("json", &fmt), 0);
    assert_int_equal(fmt, PT_LOG_JSON);
    assert_int_equal(pt_log_parse_format("text", &fmt), 0);
    assert_int_equal(fmt, PT_LOG_TEXT);
    assert_true(pt_log_parse_format("xml", &fmt) < 0);
    assert_true(pt_log_parse_format(NULL, &fmt) < 0);
    assert_int_equal(pt_log_parse_level("WARNING", &lvl), 0);
    assert_int_equal(lvl, PT_LOG_WARN);
    assert_int_equal(pt_log_parse_level("debug", &lvl), 0);
    assert_int_equal(lvl, PT_LOG_DEBUG);
    assert_true(pt_log_parse_level("loud", &lvl) < 0);
}

/* ---- the write path: levels and whole lines under concurrency ------------------ */

#define THREADS 8
#define LINES   500

static void *writer(void *arg)
{
    char pad[300];
    long id = (long)arg;
    memset(pad, 'a' + (int)id, sizeof(pad) - 1);
    pad[sizeof(pad) - 1] = '\0';
    for (int i = 0; i < LINES; i++)
        pt_log(PT_LOG_INFO, "line", PT_LI("thread", id), PT_LI("i", i), PT_LS("pad", pad));
    return NULL;
}

static void test_threads_write_whole_lines(void **state)
{
    char path[] = "/tmp/podtune-test-log-XXXXXX";
    int fd = mkstemp(path);
    pthread_t t[THREADS];
    FILE *f;
    char *line = NULL;
    size_t cap = 0;
    int count = 0, seen[THREADS] = {0};
    (void)state;

    assert_true(fd >= 0);
    unlink(path);
    pt_log_init(fd, PT_LOG_JSON, PT_LOG_INFO);
    pt_log(PT_LOG_DEBUG, "hidden", PT_LI("x", 1)); /* below the level: not written */
    assert_false(pt_log_enabled(PT_LOG_DEBUG));
    assert_true(pt_log_enabled(PT_LOG_ERROR));
    for (long i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, writer, (void *)i), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    pt_log_init(2, PT_LOG_TEXT, PT_LOG_INFO);

    lseek(fd, 0, SEEK_SET);
    f = fdopen(fd, "r");
    assert_non_null(f);
    while (getline(&line, &cap, f) > 0) {
        json_t *j = parse_line(line);
        long id = (long)json_integer_value(json_object_get(j, "thread"));
        const char *pad = json_string_value(json_object_get(j, "pad"));
        assert_true(id >= 0 && id < THREADS);
        assert_int_equal(json_integer_value(json_object_get(j, "i")), seen[id]);
        seen[id]++;
        for (const char *p = pad; *p; p++) /* no bytes of another thread's line */
            assert_int_equal(*p, 'a' + (int)id);
        json_decref(j);
        count++;
    }
    free(line);
    fclose(f);
    assert_int_equal(count, THREADS * LINES);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_line),     cmocka_unit_test(test_json_escaping),
        cmocka_unit_test(test_text_line),     cmocka_unit_test(test_truncation_keeps_json_valid),
        cmocka_unit_test(test_parse_options), cmocka_unit_test(test_threads_write_whole_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
