/* test_engine.c — the pipeline under allocation failure: every jansson
 * allocation of a run is made to fail in turn; each run must end with 0 or
 * PT_ENOMEM (never a crash) and give back everything it took. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "podtune/diag.h"
#include "podtune/engine.h"
#include "podtune/manifest.h"

/* jansson's allocator, counting what is live and failing the allocation
 * numbered fail_at (counted from 0; -1: none fails). */
static long allocs, fail_at = -1, live;

static void *counting_malloc(size_t n)
{
    if (allocs++ == fail_at)
        return NULL;
    live++;
    return malloc(n);
}

static void counting_free(void *p)
{
    if (p)
        live--;
    free(p);
}

static struct pt_policy_set *load_bundled(void)
{
    struct pt_diags d;
    struct pt_policy_set *set;

    pt_diags_init(&d);
    set = pt_policy_load_dir("policies", &d);
    pt_diags_cleanup(&d);
    assert_non_null(set);
    return set;
}

static void sweep(const struct pt_policy_set *set, const char *file)
{
    json_t *docs, *pod;
    struct pt_error err;
    long total;

    pt_error_clear(&err);
    if (pt_manifest_read_file(file, &docs, &err) != 0)
        fail_msg("%s: %s", file, err.text);
    pod = json_array_get(docs, 0);

    /* a run without failures: how many allocations there are */
    {
        struct pt_outcome oc;
        allocs = 0;
        fail_at = -1;
        assert_int_equal(pt_engine_run(set, pod, NULL, &oc), 0);
        pt_outcome_cleanup(&oc);
        total = allocs;
    }
    for (long k = 0; k < total; k++) {
        struct pt_outcome oc;
        long before = live;
        int rc;

        allocs = 0;
        fail_at = k;
        rc = pt_engine_run(set, pod, NULL, &oc);
        fail_at = -1;
        if (rc != 0 && rc != PT_ENOMEM)
            fail_msg("%s: allocation %ld failed: rc %d", file, k, rc);
        if (rc == 0) {
            /* fail safe: whatever happened, there is a patch to answer with */
            assert_non_null(oc.patch);
            pt_outcome_cleanup(&oc);
        }
        if (live != before)
            fail_msg("%s: allocation %ld of %ld failed: %ld values leaked", file, k, total,
                     live - before);
    }
    json_decref(docs);
}

static void test_out_of_memory_is_safe(void **state)
{
    static const char *const pods[] = {
        "test/fixtures/pods/spark-driver-submit.yaml",
        "test/fixtures/pods/spark-driver-operator.yaml",
        "test/fixtures/pods/spark-executor.yaml",
        "test/fixtures/pods/spark-executor-pyspark.yaml",
        "test/fixtures/pods/spark-executor-gpu-sidecar.yaml",
        "test/fixtures/pods/flink-jobmanager-application.yaml",
        "test/fixtures/pods/flink-jobmanager-session.yaml",
        "test/fixtures/pods/flink-taskmanager.yaml",
        "test/fixtures/pods/not-target-nginx.yaml",
    };
    struct pt_policy_set *set;
    (void)state;

    json_set_alloc_funcs(counting_malloc, counting_free);
    set = load_bundled();
    for (size_t i = 0; i < sizeof(pods) / sizeof(pods[0]); i++)
        sweep(set, pods[i]);
    pt_policy_set_unref(set);
    json_set_alloc_funcs(malloc, free);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_out_of_memory_is_safe),
    };
    return cmocka_run_group_tests_name("engine", tests, NULL, NULL);
}
