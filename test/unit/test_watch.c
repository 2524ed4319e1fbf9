/* test_watch.c — inotify watches: tags, recursion, "..data" swaps, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "podtune/watch.h"

static char root[64];

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Collects tags until want is seen or 10 s pass; returns what was seen. */
static unsigned wait_tags(struct pt_watch *w, unsigned want)
{
    unsigned got = 0;
    int64_t deadline = now_ms() + 10000; /* generous: a deadline, not a speed check */
    while ((got & want) != want && now_ms() < deadline) {
        struct pollfd p = {pt_watch_fd(w), POLLIN, 0};
        if (poll(&p, 1, 50) > 0)
            got |= pt_watch_read(w);
    }
    return got;
}

/* Reads whatever is pending without waiting long (50 ms of quiet). */
static unsigned drain(struct pt_watch *w)
{
    unsigned got = 0;
    struct pollfd p = {pt_watch_fd(w), POLLIN, 0};
    while (poll(&p, 1, 50) > 0)
        got |= pt_watch_read(w);
    return got;
}

static void path_of(char *out, const char *rel)
{
    snprintf(out, PATH_MAX, "%s/%s", root, rel);
}

static void write_file(const char *rel, const char *text)
{
    char p[PATH_MAX];
    FILE *f;
    path_of(p, rel);
    f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state)
{
    (void)state;
    snprintf(root, sizeof(root), "/tmp/podtune-test-watch-XXXXXX");
    return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[128];
    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_tags_and_recursion(void **state)
{
    char p[PATH_MAX], q[PATH_MAX];
    struct pt_error err;
    struct pt_watch *w = pt_watch_new(&err);
    (void)state;

    assert_non_null(w);
    path_of(p, "pol");
    assert_int_equal(mkdir(p, 0755), 0);
    path_of(p, "pol/sub");
    assert_int_equal(mkdir(p, 0755), 0);
    path_of(p, "tls");
    assert_int_equal(mkdir(p, 0755), 0);
    path_of(p, "pol");
    assert_int_equal(pt_watch_add(w, p, 0, 1, &err), 0);
    path_of(p, "tls");
    assert_int_equal(pt_watch_add(w, p, 1, 0, &err), 0);
    assert_int_equal(pt_watch_add(w, p, 1, 0, &err), 0); /* again: harmless */
    assert_int_equal(drain(w), 0);

    write_file("pol/a.yaml", "x");
    assert_int_equal(wait_tags(w, 1u), 1u);
    assert_int_equal(drain(w) & 2u, 0);

    write_file("pol/sub/b.yaml", "x"); /* existing subdirectory */
    assert_int_equal(wait_tags(w, 1u), 1u);

    path_of(p, "pol/new");
    assert_int_equal(mkdir(p, 0755), 0);
    assert_int_equal(wait_tags(w, 1u), 1u);
    drain(w);
    write_file("pol/new/c.yaml", "x"); /* a subdirectory made after the watch started */
    assert_int_equal(wait_tags(w, 1u), 1u);

    write_file("tls/tls.crt", "x");
    assert_int_equal(wait_tags(w, 2u) & 3u, 2u);

    /* a Secret-style "..data" swap in the non-recursive directory */
    path_of(p, "tls/..v2");
    assert_int_equal(mkdir(p, 0755), 0);
    path_of(p, "tls/..data_tmp");
    assert_int_equal(symlink("..v2", p), 0);
    drain(w);
    path_of(q, "tls/..data");
    assert_int_equal(rename(p, q), 0);
    assert_int_equal(wait_tags(w, 2u), 2u);

    /* nothing happens: nothing reported */
    assert_int_equal(drain(w), 0);
    pt_watch_free(w);
}

static void test_errors(void **state)
{
    char p[PATH_MAX];
    struct pt_error err;
    struct pt_watch *w = pt_watch_new(&err);
    (void)state;

    assert_non_null(w);
    pt_error_clear(&err);
    path_of(p, "does-not-exist");
    assert_int_equal(pt_watch_add(w, p, 0, 1, &err), PT_EIO);
    assert_non_null(strstr(err.text, "does-not-exist"));
    pt_error_clear(&err);
    assert_int_equal(pt_watch_add(w, root, 32, 0, &err), PT_EINVAL);
    write_file("plain", "x");
    pt_error_clear(&err);
    path_of(p, "plain");
    assert_int_equal(pt_watch_add(w, p, 0, 0, &err), PT_EIO); /* not a directory */
    pt_watch_free(w);
    pt_watch_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_tags_and_recursion, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
