/* test_reload.c — policy snapshots: balanced refcounts under concurrent swaps, last good set kept.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "podtune/log.h"
#include "podtune/metrics.h"
#include "podtune/reload.h"

#define GOOD_DIR "test/integration/policies"

static struct pt_policy_set *load(const char *dir)
{
    struct pt_diags d;
    struct pt_policy_set *s;
    pt_diags_init(&d);
    s = pt_policy_load_dir(dir, &d);
    pt_diags_cleanup(&d);
    return s;
}

struct shared {
    struct pt_reload_state st;
    atomic_int stop;
    atomic_long reads;
};

static void *reader(void *arg)
{
    struct shared *sh = arg;
    while (!atomic_load(&sh->stop)) {
        struct pt_policy_set *s = pt_reload_policy_get(&sh->st);
        if (s) {
            /* touch the set: under ASan a freed set would be reported here */
            if (s->n != 2 || strncmp(s->digest, "sha256:", 7) != 0)
                abort();
            pt_policy_set_unref(s);
        }
        atomic_fetch_add(&sh->reads, 1);
    }
    return NULL;
}

static void test_swaps_under_readers(void **state)
{
    struct shared sh;
    struct pt_policy_set *a = load(GOOD_DIR), *b = load(GOOD_DIR);
    pthread_t t[4];
    (void)state;

    assert_non_null(a);
    assert_non_null(b);
    pt_reload_state_init(&sh.st);
    atomic_init(&sh.stop, 0);
    atomic_init(&sh.reads, 0);
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, reader, &sh), 0);
    /* swap until the readers have read plenty concurrently; the bound is in
     * time, not speed, so a slow run (valgrind, a loaded machine) still gets
     * there instead of failing on a count */
    time_t deadline = time(NULL) + 60;
    for (long i = 0; i < 20000 || (atomic_load(&sh.reads) < 20000 && time(NULL) < deadline); i++)
        pt_reload_policy_put(&sh.st, pt_policy_set_ref(i % 2 ? a : b));
    atomic_store(&sh.stop, 1);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    assert_true(atomic_load(&sh.reads) >= 20000);
    pt_reload_policy_put(&sh.st, NULL);
    /* every reference taken was dropped: only ours are left */
    assert_int_equal(atomic_load(&a->refs), 1);
    assert_int_equal(atomic_load(&b->refs), 1);
    pt_reload_state_cleanup(&sh.st);
    pt_policy_set_unref(a);
    pt_policy_set_unref(b);
}

static void test_bad_set_keeps_last_good(void **state)
{
    struct pt_reload_state st;
    struct pt_policy_set *before, *after;
    char dir[] = "/tmp/podtune-test-reload-XXXXXX", file[64];
    FILE *f;
    (void)state;

    assert_non_null(mkdtemp(dir));
    snprintf(file, sizeof(file), "%s/bad.yaml", dir);
    f = fopen(file, "w");
    assert_non_null(f);
    fputs("apiVersion: podtune.io/v1\nkind: Profile\nmetadata: {name: x}\nspec: {priority: [\n", f);
    fclose(f);

    pt_reload_state_init(&st);
    assert_false(pt_reload_ready(&st));
    assert_true(pt_reload_policies(&st, dir, "test") < 0); /* nothing good yet */
    assert_null(pt_reload_policy_get(&st));
    assert_int_equal(pt_reload_policies(&st, GOOD_DIR, "test"), 0);
    before = pt_reload_policy_get(&st);
    assert_non_null(before);
    assert_int_equal(before->n, 2);
    assert_true(pt_reload_policies(&st, dir, "test") < 0);
    after = pt_reload_policy_get(&st);
    assert_ptr_equal(after, before); /* the same snapshot keeps serving */
    pt_policy_set_unref(after);
    /* an identical set is "unchanged": the snapshot is not replaced */
    assert_int_equal(pt_reload_policies(&st, GOOD_DIR, "test"), 0);
    after = pt_reload_policy_get(&st);
    assert_ptr_equal(after, before);
    pt_policy_set_unref(after);
    pt_policy_set_unref(before);
    assert_true(pt_reload_policies(&st, "/nonexistent/podtune", "test") < 0);
    assert_false(pt_reload_ready(&st)); /* no credentials installed */
    pt_reload_state_cleanup(&st);
    unlink(file);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_swaps_under_readers),
        cmocka_unit_test(test_bad_set_keeps_last_good),
    };
    int devnull = open("/dev/null", O_WRONLY);
    pt_log_init(devnull >= 0 ? devnull : 2, PT_LOG_TEXT, PT_LOG_ERROR);
    pt_metrics_init("test");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
