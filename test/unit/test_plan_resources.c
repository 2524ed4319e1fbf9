/* test_plan_resources.c — the resources stage, run directly on test pods and role blocks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "podtune/plan.h"
#include "podtune/quantity.h"

#include "plan_fixture.h"

static void run(struct fx *f, const char *pod, const char *block, enum pt_role role)
{
    fx_run(f, pt_plan__resources, J(pod), J(block), role, 0);
}

static json_t *main_of(struct fx *f)
{
    return json_array_get(json_object_get(json_object_get(f->p.pod, "spec"), "containers"),
                          (size_t)f->in.main);
}

/* resources.<side>.<name> of the tuned main container, or NULL. */
static json_t *res(struct fx *f, const char *side, const char *name)
{
    return json_object_get(json_object_get(json_object_get(main_of(f), "resources"), side), name);
}

static const char *res_s(struct fx *f, const char *side, const char *name)
{
    return json_string_value(res(f, side, name));
}

static const char *env_of(struct fx *f, const char *name)
{
    json_t *e;
    size_t i;
    json_array_foreach(json_object_get(main_of(f), "env"), i, e) {
        if (strcmp(json_string_value(json_object_get(e, "name")), name) == 0)
            return json_string_value(json_object_get(e, "value"));
    }
    return NULL;
}

/* The n-th change for field with the given reason, or NULL. */
static const struct pt_change *change(struct fx *f, const char *field, enum pt_reason r)
{
    for (size_t i = 0; i < f->p.n; i++)
        if (strcmp(f->p.changes[i].field, field) == 0 && f->p.changes[i].reason == r)
            return &f->p.changes[i];
    return NULL;
}

static size_t count_field(struct fx *f, const char *field)
{
    size_t n = 0;
    for (size_t i = 0; i < f->p.n; i++)
        n += strcmp(f->p.changes[i].field, field) == 0;
    return n;
}

static void assert_note_has(const struct pt_change *c, const char *needle)
{
    assert_non_null(c);
    assert_non_null(c->note);
    if (!strstr(c->note, needle))
        fail_msg("note \"%s\" lacks \"%s\"", c->note, needle);
}

static void assert_pod_unchanged(struct fx *f)
{
    if (!json_equal(f->pod, f->p.pod)) {
        char *a = json_dumps(f->pod, JSON_SORT_KEYS), *b = json_dumps(f->p.pod, JSON_SORT_KEYS);
        fail_msg("pod changed:\n  before %s\n  after  %s", a, b);
    }
}

/* Runs the stage again on the tuned pod: the pod must not change and no value
 * may be filled, overridden or clamped a second time. */
static void assert_idempotent(struct fx *f)
{
    struct fx again;

    fx_rerun(f, &again);
    assert_pod_unchanged(&again);
    for (size_t i = 0; i < again.p.n; i++) {
        enum pt_reason r = again.p.changes[i].reason;
        if (r != PT_REASON_KEPT && r != PT_REASON_SKIPPED)
            fail_msg("second run changed %s (%s)", again.p.changes[i].field, pt_reason_name(r));
    }
    fx_free(&again);
}

#define POD(container_json) "{'metadata': {'name': 'p'}, 'spec': {'containers': [" container_json "]}}"

/* ---- no resources ------------------------------------------------------- */

static void test_no_resources_filled(void **state)
{
    struct fx f;
    (void)state;
    run(&f, POD("{'name': 'spark-kubernetes-driver'}"),
        "{'mode': 'fill', 'resources': {'requests': {'cpu': '1', 'memory': '4Gi'},"
        " 'limits': {'memory': '6Gi'}}}",
        PT_ROLE_SPARK_DRIVER);
    assert_string_equal(res_s(&f, "requests", "cpu"), "1");
    assert_string_equal(res_s(&f, "requests", "memory"), "4Gi");
    assert_string_equal(res_s(&f, "limits", "memory"), "6Gi");
    assert_non_null(change(&f, "resources.requests.cpu", PT_REASON_FILLED));
    assert_null(change(&f, "resources.requests.cpu", PT_REASON_FILLED)->from);
    assert_string_equal(change(&f, "resources.limits.memory", PT_REASON_FILLED)->to, "6Gi");
    assert_int_equal(f.p.n, 3);
    assert_idempotent(&f);
    fx_free(&f);
}

static void test_no_resources_no_block_untouched(void **state)
{
    struct fx f;
    (void)state;
    /* nothing to do must not create an empty resources object */
    run(&f, POD("{'name': 'spark-kubernetes-driver'}"), "{'mode': 'fill'}", PT_ROLE_SPARK_DRIVER);
    assert_null(json_object_get(main_of(&f), "resources"));
    assert_int_equal(f.p.n, 0);
    fx_free(&f);
    run(&f, POD("{'name': 'c', 'resources': {'requests': {'cpu': '2.0'}}}"),
        "{'mode': 'override', 'resources': {'min': {'memory': '1Gi'}}}", PT_ROLE_SPARK_DRIVER);
    assert_pod_unchanged(&f);
    assert_int_equal(f.p.n, 0);
    fx_free(&f);
}

/* ---- fill / override ---------------------------------------------------- */

static const char *const fill_pod =
    POD("{'name': 'flink-main-container', 'resources': {"
        "'requests': {'cpu': '2.0', 'memory': '4Gi'}, 'limits': {'cpu': '2.0', 'memory': '4Gi'}}}");

static void test_fill_keeps_pod_values(void **state)
{
    struct fx f;
    const struct pt_change *c;
    (void)state;
    run(&f, fill_pod,
        "{'mode': 'fill', 'resources': {'requests': {'cpu': '1', 'memory': '4096Mi',"
        " 'ephemeral-storage': '10Gi'}, 'limits': {'cpu': '2'}}}",
        PT_ROLE_FLINK_TASKMANAGER);
    c = change(&f, "resources.requests.cpu", PT_REASON_KEPT);
    assert_note_has(c, "kept pod value 2.0");
    assert_string_equal(c->from, "2.0");
    assert_string_equal(c->to, "1");
    /* equal by value: nothing, and no cosmetic rewrite */
    assert_string_equal(res_s(&f, "requests", "cpu"), "2.0");
    assert_string_equal(res_s(&f, "requests", "memory"), "4Gi");
    assert_string_equal(res_s(&f, "limits", "cpu"), "2.0");
    assert_int_equal(count_field(&f, "resources.requests.memory"), 0);
    assert_int_equal(count_field(&f, "resources.limits.cpu"), 0);
    /* what the pod lacked is filled */
    assert_string_equal(res_s(&f, "requests", "ephemeral-storage"), "10Gi");
    assert_non_null(change(&f, "resources.requests.ephemeral-storage", PT_REASON_FILLED));
    assert_int_equal(f.p.n, 2);
    assert_idempotent(&f);
    fx_free(&f);
}

static void test_override_replaces(void **state)
{
    struct fx f;
    const struct pt_change *c;
    (void)state;
    run(&f, fill_pod,
        "{'mode': 'override', 'resources': {'requests': {'cpu': '1500m', 'memory': '4096Mi'},"
        " 'limits': {'cpu': '3'}}}",
        PT_ROLE_FLINK_TASKMANAGER);
    c = change(&f, "resources.requests.cpu", PT_REASON_OVERRIDDEN);
    assert_non_null(c);
    assert_string_equal(c->from, "2.0");
    assert_string_equal(c->to, "1500m");
    assert_string_equal(res_s(&f, "requests", "cpu"), "1500m");
    assert_string_equal(res_s(&f, "limits", "cpu"), "3");
    assert_string_equal(res_s(&f, "requests", "memory"), "4Gi");
    assert_int_equal(f.p.n, 2);
    assert_idempotent(&f);
    fx_free(&f);
}

/* ---- min / max / ratio / validity -------------------------------------- */

static void test_min_max_clamp(void **state)
{
    struct fx f;
    (void)state;
    run(&f,
        POD("{'name': 'c', 'resources': {'requests': {'cpu': '100m', 'memory': '1Gi'},"
            " 'limits': {'cpu': '16', 'memory': '2Gi'}}}"),
        "{'mode': 'fill', 'resources': {'min': {'cpu': '500m', 'memory': '2Gi'},"
        " 'max': {'cpu': '8', 'memory': '64Gi'}}}",
        PT_ROLE_SPARK_DRIVER);
    assert_string_equal(res_s(&f, "requests", "cpu"), "500m");
    assert_string_equal(res_s(&f, "limits", "cpu"), "8");
    assert_string_equal(res_s(&f, "requests", "memory"), "2Gi");
    assert_string_equal(res_s(&f, "limits", "memory"), "2Gi"); /* already at min: untouched */
    assert_note_has(change(&f, "resources.requests.cpu", PT_REASON_CLAMPED), "raised to min 500m");
    assert_note_has(change(&f, "resources.limits.cpu", PT_REASON_CLAMPED), "lowered to max 8");
    assert_string_equal(change(&f, "resources.limits.cpu", PT_REASON_CLAMPED)->from, "16");
    assert_int_equal(count_field(&f, "resources.limits.memory"), 0);
    assert_int_equal(f.p.n, 3);
    assert_idempotent(&f);
    fx_free(&f);
}

static void test_filled_value_clamped(void **state)
{
    struct fx f;
    const struct pt_change *c;
    (void)state;
    /* fill then max: one change, the last reason, from = absent */
    run(&f, POD("{'name': 'c'}"),
        "{'mode': 'fill', 'resources': {'requests': {'cpu': '12'}, 'max': {'cpu': '8'}}}",
        PT_ROLE_FLINK_JOBMANAGER);
    assert_string_equal(res_s(&f, "requests", "cpu"), "8");
    c = change(&f, "resources.requests.cpu", PT_REASON_CLAMPED);
    assert_non_null(c);
    assert_null(c->from);
    assert_int_equal(f.p.n, 1);
    assert_idempotent(&f);
    fx_free(&f);
}

static void test_ratio(void **state)
{
    struct fx f;
    (void)state;
    run(&f,
        POD("{'name': 'c', 'resources': {'requests': {'cpu': '1', 'memory': '1Gi'},"
            " 'limits': {'cpu': '8', 'memory': '1Gi'}}}"),
        "{'mode': 'fill', 'resources': {'maxLimitRequestRatio': {'cpu': '4', 'memory': '2'}}}",
        PT_ROLE_FLINK_TASKMANAGER);
    assert_string_equal(res_s(&f, "requests", "cpu"), "2");
    assert_note_has(change(&f, "resources.requests.cpu", PT_REASON_CLAMPED), "limit/4");
    assert_string_equal(res_s(&f, "requests", "memory"), "1Gi");
    assert_int_equal(f.p.n, 1);
    assert_idempotent(&f);
    fx_free(&f);

    /* exactly at the ratio is fine, even where ceil(limit/ratio) would round up */
    run(&f, POD("{'name': 'c', 'resources': {'requests': {'cpu': '1500m'}, 'limits': {'cpu': '3'}}}"),
        "{'mode': 'fill', 'resources': {'maxLimitRequestRatio': {'cpu': '2'}}}",
        PT_ROLE_FLINK_TASKMANAGER);
    assert_pod_unchanged(&f);
    assert_int_equal(f.p.n, 0);
    fx_free(&f);

    /* just over it is raised */
    run(&f, POD("{'name': 'c', 'resources': {'requests': {'cpu': '1499m'}, 'limits': {'cpu': '3'}}}"),
        "{'mode': 'fill', 'resources': {'maxLimitRequestRatio': {'cpu': '2'}}}",
        PT_ROLE_FLINK_TASKMANAGER);
    assert_string_equal(res_s(&f, "requests", "cpu"), "2");
    assert_idempotent(&f);
    fx_free(&f);

    /* a ratio below 1 has no fixed point: skipped, nothing moves */
    run(&f, POD("{'name': 'c', 'resources': {'requests': {'cpu': '1'}, 'limits': {'cpu': '3'}}}"),
        "{'mode': 'fill', 'resources': {'maxLimitRequestRatio': {'cpu': '500m'}}}",
        PT_ROLE_FLINK_TASKMANAGER);
    assert_pod_unchanged(&f);
    assert_non_null(change(&f, "resources.maxLimitRequestRatio.cpu", PT_REASON_SKIPPED));
    fx_free(&f);
}

static void test_limit_raised_to_request(void **state)
{
    struct fx f;
    (void)state;
    run(&f, POD("{'name': 'c', 'resources': {'requests': {'cpu': '1'}, 'limits': {'cpu': '2'}}}"),
        "{'mode': 'override', 'resources': {'requests': {'cpu': '4'}}}", PT_ROLE_SPARK_DRIVER);
    assert_string_equal(res_s(&f, "requests", "cpu"), "4");
    assert_string_equal(res_s(&f, "limits", "cpu"), "4");
    assert_note_has(change(&f, "resources.limits.cpu", PT_REASON_CLAMPED), "raised to request 4");
    assert_non_null(change(&f, "resources.requests.cpu", PT_REASON_OVERRIDDEN));
    assert_idempotent(&f);
    fx_free(&f);
}

/* ---- extended resources ------------------------------------------------- */

static void test_gpu_limit_only_gets_request(void **state)
{
    struct fx f;
    (void)state;
    /* Spark's shape before the apiserver copies GPU limits to requests */
    run(&f,
        POD("{'name': 'spark-kubernetes-executor', 'resources': {'requests': {'cpu': '1'},"
            " 'limits': {'nvidia.com/gpu': '1', 'cpu': '1'}}}"),
        "{'mode': 'fill'}", PT_ROLE_SPARK_EXECUTOR);
    assert_string_equal(res_s(&f, "requests", "nvidia.com/gpu"), "1");
    assert_note_has(change(&f, "resources.requests.nvidia.com/gpu", PT_REASON_FILLED),
                    "request = limit");
    assert_int_equal(f.p.n, 1);
    assert_idempotent(&f);
    fx_free(&f);
}

static void test_profile_gpu_limit(void **state)
{
    struct fx f;
    (void)state;
    /* override the limit: the request the apiserver copied follows it */
    run(&f,
        POD("{'name': 'c', 'resources': {'requests': {'nvidia.com/gpu': '1'},"
            " 'limits': {'nvidia.com/gpu': '1'}}}"),
        "{'mode': 'override', 'resources': {'limits': {'nvidia.com/gpu': '2'}}}",
        PT_ROLE_SPARK_EXECUTOR);
    assert_string_equal(res_s(&f, "limits", "nvidia.com/gpu"), "2");
    assert_string_equal(res_s(&f, "requests", "nvidia.com/gpu"), "2");
    assert_non_null(change(&f, "resources.requests.nvidia.com/gpu", PT_REASON_CLAMPED));
    assert_idempotent(&f);
    fx_free(&f);

    /* lowering works too for GPUs (no JVM involved): the request follows down */
    run(&f,
        POD("{'name': 'c', 'resources': {'requests': {'nvidia.com/gpu': '4'},"
            " 'limits': {'nvidia.com/gpu': '4'}}}"),
        "{'mode': 'override', 'resources': {'limits': {'nvidia.com/gpu': '2'}}}",
        PT_ROLE_SPARK_EXECUTOR);
    assert_string_equal(res_s(&f, "requests", "nvidia.com/gpu"), "2");
    assert_idempotent(&f);
    fx_free(&f);

    /* a profile GPU request on a pod without GPUs brings the limit along */
    run(&f, POD("{'name': 'c', 'resources': {'requests': {'cpu': '1'}}}"),
        "{'mode': 'fill', 'resources': {'requests': {'nvidia.com/gpu': '1', 'hugepages-2Mi': '1Gi'}}}",
        PT_ROLE_SPARK_EXECUTOR);
    assert_string_equal(res_s(&f, "limits", "nvidia.com/gpu"), "1");
    assert_string_equal(res_s(&f, "limits", "hugepages-2Mi"), "1Gi");
    assert_non_null(change(&f, "resources.limits.nvidia.com/gpu", PT_REASON_FILLED));
    assert_idempotent(&f);
    fx_free(&f);

    /* a kubernetes.io/ name is native: limit above request stays */
    run(&f,
        POD("{'name': 'c', 'resources': {'requests': {'example.kubernetes.io/x': '1'},"
            " 'limits': {'example.kubernetes.io/x': '2'}}}"),
        "{'mode': 'fill'}", PT_ROLE_SPARK_EXECUTOR);
    assert_pod_unchanged(&f);
    fx_free(&f);
}

/* ---- JVM safety --------------------------------------------------------- */

static void test_jvm_driver_max_not_applied(void **state)
{
    struct fx f;
    const struct pt_change *c;
    (void)state;
    run(&f,
        POD("{'name': 'spark-kubernetes-driver', 'resources': {'requests': {'cpu': '1', 'memory': '12Gi'},"
            " 'limits': {'memory': '12Gi'}}}"),
        "{'mode': 'fill', 'resources': {'max': {'memory': '8Gi'}}}", PT_ROLE_SPARK_DRIVER);
    assert_pod_unchanged(&f);
    c = change(&f, "resources.requests.memory", PT_REASON_SKIPPED);
    assert_note_has(c, "max 8Gi not applied: would cut JVM memory below 12Gi");
    assert_non_null(change(&f, "resources.limits.memory", PT_REASON_SKIPPED));
    assert_idempotent(&f);
    fx_free(&f);
}

static void test_jvm_flink_memory_only_up(void **state)
{
    struct fx f;
    (void)state;
    /* override below the request: skipped; limit lowered but not below the request: applied */
    run(&f,
        POD("{'name': 'flink-main-container', 'env': [{'name': 'FLINK_TM_JVM_MEM_OPTS',"
            " 'value': '-Xmx3g -Xms3g'}], 'resources': {'requests': {'memory': '4Gi'},"
            " 'limits': {'memory': '8Gi'}}}"),
        "{'mode': 'override', 'resources': {'requests': {'memory': '2Gi'}, 'max': {'memory': '6Gi'}}}",
        PT_ROLE_FLINK_TASKMANAGER);
    assert_string_equal(res_s(&f, "requests", "memory"), "4Gi");
    assert_note_has(change(&f, "resources.requests.memory", PT_REASON_SKIPPED),
                    "override 2Gi not applied");
    assert_string_equal(res_s(&f, "limits", "memory"), "6Gi");
    assert_non_null(change(&f, "resources.limits.memory", PT_REASON_CLAMPED));
    assert_string_equal(env_of(&f, "FLINK_TM_JVM_MEM_OPTS"), "-Xmx3g -Xms3g");
    assert_idempotent(&f);
    fx_free(&f);

    /* growing a JobManager is fine, and its JVM flags are left alone */
    run(&f,
        POD("{'name': 'flink-main-container', 'resources': {'requests': {'memory': '1600Mi'},"
            " 'limits': {'memory': '1600Mi'}}}"),
        "{'mode': 'fill', 'resources': {'min': {'memory': '2Gi'}}}", PT_ROLE_FLINK_JOBMANAGER);
    assert_string_equal(res_s(&f, "requests", "memory"), "2Gi");
    assert_string_equal(res_s(&f, "limits", "memory"), "2Gi");
    assert_int_equal(f.p.n, 2);
    assert_idempotent(&f);
    fx_free(&f);

    /* memory limit only (no request): the limit is the floor for a filled request */
    run(&f, POD("{'name': 'c', 'resources': {'limits': {'memory': '4Gi'}}}"),
        "{'mode': 'fill', 'resources': {'requests': {'memory': '1Gi'}}}", PT_ROLE_FLINK_JOBMANAGER);
    assert_pod_unchanged(&f);
    assert_note_has(change(&f, "resources.requests.memory", PT_REASON_SKIPPED), "fill 1Gi");
    fx_free(&f);
}

/* An executor container the way Spark builds it. */
#define EXECUTOR(heap, mem, extra_env)                                                             \
    POD("{'name': 'spark-kubernetes-executor', 'args': ['executor'], 'env': ["                   \
        "{'name': 'SPARK_USER', 'value': 'spark'}," extra_env                                      \
        "{'name': 'SPARK_EXECUTOR_MEMORY', 'value': '" heap "'},"                                  \
        "{'name': 'SPARK_EXECUTOR_POD_IP', 'valueFrom': {'fieldRef': {'fieldPath': 'status.podIP'}}}]," \
        " 'resources': {'requests': {'cpu': '1', 'memory': '" mem "'},"                            \
        " 'limits': {'memory': '" mem "'}}}")

static void test_executor_resize_down(void **state)
{
    struct fx f;
    const struct pt_change *c;
    (void)state;
    /* 4g heap, JVM: overhead max(0.1 × 4096, 384) = 409 MiB → 4505Mi */
    run(&f, EXECUTOR("4g", "4505Mi", ""),
        "{'mode': 'fill', 'resources': {'max': {'memory': '3Gi'}}}", PT_ROLE_SPARK_EXECUTOR);
    assert_string_equal(res_s(&f, "requests", "memory"), "3Gi");
    assert_string_equal(res_s(&f, "limits", "memory"), "3Gi");
    assert_string_equal(env_of(&f, "SPARK_EXECUTOR_MEMORY"), "2663m");
    c = change(&f, "env.SPARK_EXECUTOR_MEMORY", PT_REASON_CLAMPED);
    assert_non_null(c);
    assert_string_equal(c->from, "4g");
    assert_string_equal(c->to, "2663m");
    assert_note_has(c, "overhead 409m");
    assert_idempotent(&f);
    fx_free(&f);

    /* PySpark: factor 0.4 → overhead 1638 MiB, 4g heap → 5734Mi */
    run(&f, EXECUTOR("4g", "5734Mi", "{'name': 'PYSPARK_PYTHON', 'value': 'python3'},"),
        "{'mode': 'override', 'resources': {'requests': {'memory': '4Gi'},"
        " 'limits': {'memory': '4Gi'}}}",
        PT_ROLE_SPARK_EXECUTOR);
    assert_string_equal(res_s(&f, "requests", "memory"), "4Gi");
    assert_string_equal(env_of(&f, "SPARK_EXECUTOR_MEMORY"), "2458m");
    assert_non_null(change(&f, "env.SPARK_EXECUTOR_MEMORY", PT_REASON_OVERRIDDEN));
    assert_idempotent(&f);
    fx_free(&f);

    /* below the smallest heap Spark starts with: not applied */
    run(&f, EXECUTOR("1024m", "1408Mi", ""),
        "{'mode': 'fill', 'resources': {'max': {'memory': '800Mi'}}}", PT_ROLE_SPARK_EXECUTOR);
    assert_pod_unchanged(&f);
    assert_note_has(change(&f, "resources.requests.memory", PT_REASON_SKIPPED),
                    "executor heap would drop below 512m");
    assert_idempotent(&f);
    fx_free(&f);

    /* ...but down to exactly overhead + 512m is fine */
    run(&f, EXECUTOR("1024m", "1408Mi", ""),
        "{'mode': 'fill', 'resources': {'max': {'memory': '896Mi'}}}", PT_ROLE_SPARK_EXECUTOR);
    assert_string_equal(env_of(&f, "SPARK_EXECUTOR_MEMORY"), "512m");
    assert_idempotent(&f);
    fx_free(&f);
}

static void test_executor_resize_up(void **state)
{
    struct fx f;
    (void)state;
    /* 512m heap → overhead 384 MiB minimum → 896Mi; min 2Gi grows the heap */
    run(&f, EXECUTOR("512m", "896Mi", ""),
        "{'mode': 'fill', 'resources': {'min': {'memory': '2Gi'}}}", PT_ROLE_SPARK_EXECUTOR);
    assert_string_equal(res_s(&f, "requests", "memory"), "2Gi");
    assert_string_equal(res_s(&f, "limits", "memory"), "2Gi");
    assert_string_equal(env_of(&f, "SPARK_EXECUTOR_MEMORY"), "1664m");
    assert_idempotent(&f);
    fx_free(&f);

    /* k form: 1048576k = 1 GiB heap, 1408Mi pod */
    run(&f, EXECUTOR("1048576k", "1408Mi", ""),
        "{'mode': 'override', 'resources': {'requests': {'memory': '2Gi'},"
        " 'limits': {'memory': '2Gi'}}}",
        PT_ROLE_SPARK_EXECUTOR);
    assert_string_equal(env_of(&f, "SPARK_EXECUTOR_MEMORY"), "1664m");
    assert_idempotent(&f);
    fx_free(&f);

    /* a bigger limit alone leaves the heap (it follows the request) */
    run(&f, EXECUTOR("4g", "4505Mi", ""),
        "{'mode': 'override', 'resources': {'limits': {'memory': '6Gi'}}}", PT_ROLE_SPARK_EXECUTOR);
    assert_string_equal(res_s(&f, "limits", "memory"), "6Gi");
    assert_string_equal(env_of(&f, "SPARK_EXECUTOR_MEMORY"), "4g");
    assert_int_equal(count_field(&f, "env.SPARK_EXECUTOR_MEMORY"), 0);
    fx_free(&f);

    /* a request that is not whole MiB above the overhead rounds the heap down */
    run(&f, EXECUTOR("4g", "4505Mi", ""),
        "{'mode': 'override', 'resources': {'requests': {'memory': '5G'}, 'limits': {'memory': '5G'}}}",
        PT_ROLE_SPARK_EXECUTOR);
    /* 5e9 B = 4768.37 MiB; minus 409 → 4359m */
    assert_string_equal(env_of(&f, "SPARK_EXECUTOR_MEMORY"), "4359m");
    assert_idempotent(&f);
    fx_free(&f);
}

static void test_executor_without_heap_env(void **state)
{
    struct fx f;
    (void)state;
    /* no SPARK_EXECUTOR_MEMORY: like any JVM, memory never goes down */
    run(&f,
        POD("{'name': 'spark-kubernetes-executor', 'resources': {'requests': {'memory': '4505Mi'},"
            " 'limits': {'memory': '4505Mi'}}}"),
        "{'mode': 'fill', 'resources': {'max': {'memory': '3Gi'}}}", PT_ROLE_SPARK_EXECUTOR);
    assert_pod_unchanged(&f);
    assert_note_has(change(&f, "resources.requests.memory", PT_REASON_SKIPPED),
                    "would cut JVM memory below 4505Mi");
    fx_free(&f);

    /* SPARK_EXECUTOR_MEMORY from a ConfigMap: cannot be rewritten, same */
    run(&f,
        POD("{'name': 'c', 'env': [{'name': 'SPARK_EXECUTOR_MEMORY', 'valueFrom':"
            " {'configMapKeyRef': {'name': 'x', 'key': 'y'}}}], 'resources': {'requests':"
            " {'memory': '4505Mi'}, 'limits': {'memory': '4505Mi'}}}"),
        "{'mode': 'fill', 'resources': {'max': {'memory': '3Gi'}}}", PT_ROLE_SPARK_EXECUTOR);
    assert_pod_unchanged(&f);
    assert_non_null(change(&f, "resources.limits.memory", PT_REASON_SKIPPED));
    fx_free(&f);

    /* a heap that does not parse: same */
    run(&f, EXECUTOR("lots", "4505Mi", ""),
        "{'mode': 'fill', 'resources': {'max': {'memory': '3Gi'}}}", PT_ROLE_SPARK_EXECUTOR);
    assert_pod_unchanged(&f);
    fx_free(&f);

    /* heap above the memory (negative overhead): not resized */
    run(&f, EXECUTOR("8g", "4505Mi", ""),
        "{'mode': 'fill', 'resources': {'max': {'memory': '3Gi'}}}", PT_ROLE_SPARK_EXECUTOR);
    assert_pod_unchanged(&f);
    fx_free(&f);

    /* growing such an executor leaves the env alone */
    run(&f,
        POD("{'name': 'c', 'resources': {'requests': {'memory': '1Gi'}, 'limits': {'memory': '1Gi'}}}"),
        "{'mode': 'fill', 'resources': {'min': {'memory': '2Gi'}}}", PT_ROLE_SPARK_EXECUTOR);
    assert_string_equal(res_s(&f, "requests", "memory"), "2Gi");
    assert_null(json_object_get(main_of(&f), "env"));
    fx_free(&f);
}

/* ---- odd pods ----------------------------------------------------------- */

static void test_numbers_in_pod(void **state)
{
    struct fx f;
    (void)state;
    run(&f,
        POD("{'name': 'c', 'resources': {'requests': {'cpu': 2, 'memory': 2147483648},"
            " 'limits': {'cpu': 2.5}}}"),
        "{'mode': 'override', 'resources': {'requests': {'cpu': '2', 'memory': '2Gi'},"
        " 'limits': {'cpu': '2500m'}}}",
        PT_ROLE_FLINK_TASKMANAGER);
    /* equal by value: left exactly as written, numbers included */
    assert_pod_unchanged(&f);
    assert_true(json_is_integer(res(&f, "requests", "cpu")));
    assert_int_equal(f.p.n, 0);
    fx_free(&f);

    run(&f, POD("{'name': 'c', 'resources': {'requests': {'cpu': 2}, 'limits': {'cpu': 3}}}"),
        "{'mode': 'fill', 'resources': {'min': {'cpu': '2500m'}}}", PT_ROLE_FLINK_TASKMANAGER);
    assert_string_equal(res_s(&f, "requests", "cpu"), "2500m");
    assert_true(json_is_integer(res(&f, "limits", "cpu")));
    assert_string_equal(change(&f, "resources.requests.cpu", PT_REASON_CLAMPED)->from, "2");
    assert_idempotent(&f);
    fx_free(&f);
}

static void test_malformed_resources(void **state)
{
    struct fx f;
    (void)state;
    run(&f, POD("{'name': 'c', 'resources': 'lots'}"),
        "{'mode': 'override', 'resources': {'requests': {'cpu': '1'}}}", PT_ROLE_SPARK_DRIVER);
    assert_pod_unchanged(&f);
    assert_non_null(change(&f, "resources", PT_REASON_SKIPPED));
    fx_free(&f);

    run(&f, POD("{'name': 'c', 'resources': {'requests': ['cpu'], 'limits': {'cpu': '1'}}}"),
        "{'mode': 'override', 'resources': {'limits': {'cpu': '2'}}}", PT_ROLE_SPARK_DRIVER);
    assert_pod_unchanged(&f);
    assert_non_null(change(&f, "resources.requests", PT_REASON_SKIPPED));
    fx_free(&f);

    run(&f, POD("{'name': 'c', 'resources': {'requests': null, 'limits': 7}}"),
        "{'mode': 'fill'}", PT_ROLE_SPARK_DRIVER);
    assert_pod_unchanged(&f);
    assert_non_null(change(&f, "resources.limits", PT_REASON_SKIPPED));
    fx_free(&f);

    /* bad values: that resource is left alone, the others are tuned */
    run(&f,
        POD("{'name': 'c', 'resources': {'requests': {'cpu': 'two', 'memory': true,"
            " 'ephemeral-storage': null, 'nvidia.com/gpu': '-1'}, 'limits': {'cpu': '1'}}}"),
        "{'mode': 'override', 'resources': {'requests': {'cpu': '4', 'memory': '1Gi',"
        " 'ephemeral-storage': '1Gi', 'nvidia.com/gpu': '1', 'example.com/foo': '3'},"
        " 'min': {'cpu': '8'}, 'maxLimitRequestRatio': {'cpu': '2'}}}",
        PT_ROLE_SPARK_DRIVER);
    assert_string_equal(res_s(&f, "requests", "cpu"), "two");
    assert_string_equal(res_s(&f, "limits", "cpu"), "1");
    assert_true(json_is_true(res(&f, "requests", "memory")));
    assert_true(json_is_null(res(&f, "requests", "ephemeral-storage")));
    assert_string_equal(res_s(&f, "requests", "nvidia.com/gpu"), "-1");
    assert_note_has(change(&f, "resources.requests.cpu", PT_REASON_SKIPPED), "not a quantity");
    assert_non_null(change(&f, "resources.requests.memory", PT_REASON_SKIPPED));
    assert_non_null(change(&f, "resources.requests.nvidia.com/gpu", PT_REASON_SKIPPED));
    assert_string_equal(res_s(&f, "requests", "example.com/foo"), "3");
    assert_string_equal(res_s(&f, "limits", "example.com/foo"), "3");
    fx_free(&f);

    /* a profile block of the wrong shape is ignored, not fatal */
    run(&f, POD("{'name': 'c'}"), "{'mode': 'fill', 'resources': {'requests': 'x', 'min': {'cpu': 1}}}",
        PT_ROLE_SPARK_DRIVER);
    assert_pod_unchanged(&f);
    assert_non_null(change(&f, "resources.requests", PT_REASON_SKIPPED));
    assert_non_null(change(&f, "resources.min.cpu", PT_REASON_SKIPPED));
    fx_free(&f);
}

static void test_sidecar_untouched(void **state)
{
    struct fx f;
    json_t *sidecar;
    (void)state;
    fx_run(&f, pt_plan__resources,
           J("{'metadata': {'name': 'p'}, 'spec': {'containers': ["
                "{'name': 'istio-proxy', 'env': [{'name': 'SPARK_EXECUTOR_MEMORY', 'value': '4g'}],"
                " 'resources': {'requests': {'cpu': '100m', 'memory': '128Mi'}}},"
                "{'name': 'spark-kubernetes-executor', 'env': [{'name': 'SPARK_EXECUTOR_MEMORY',"
                " 'value': '4g'}], 'resources': {'requests': {'cpu': '1', 'memory': '4505Mi'},"
                " 'limits': {'memory': '4505Mi'}}}]}}"),
              J("{'mode': 'override', 'resources': {'requests': {'cpu': '2'},"
                " 'limits': {'memory': '4Gi'}, 'max': {'memory': '4Gi'}, 'min': {'memory': '1Gi'}}}"),
              PT_ROLE_SPARK_EXECUTOR, 1);
    sidecar = json_array_get(json_object_get(json_object_get(f.p.pod, "spec"), "containers"), 0);
    assert_true(json_equal(sidecar, json_array_get(json_object_get(json_object_get(f.pod, "spec"),
                                                                   "containers"),
                                                   0)));
    assert_string_equal(res_s(&f, "requests", "cpu"), "2");
    assert_string_equal(res_s(&f, "requests", "memory"), "4Gi");
    assert_string_equal(res_s(&f, "limits", "memory"), "4Gi");
    assert_string_equal(env_of(&f, "SPARK_EXECUTOR_MEMORY"), "3687m");
    assert_idempotent(&f);
    fx_free(&f);
}

/* Every pod shape under every block, for every role: a second run is a no-op. */
static void test_idempotent_sweep(void **state)
{
    static const char *const pods[] = {
        POD("{'name': 'c'}"),
        EXECUTOR("4g", "4505Mi", ""),
        EXECUTOR("512m", "896Mi", ""),
        POD("{'name': 'c', 'resources': {'requests': {'cpu': '2.0', 'memory': '4Gi'},"
            " 'limits': {'cpu': 3, 'memory': '6Gi', 'nvidia.com/gpu': '1'}}}"),
        POD("{'name': 'c', 'resources': {'limits': {'memory': '3Gi', 'cpu': '500m'}}}"),
        POD("{'name': 'c', 'resources': {'requests': {'cpu': '1', 'memory': '1Gi'},"
            " 'limits': {'cpu': '16', 'memory': '512Mi'}}}"),
    };
    static const char *const blocks[] = {
        "{'mode': 'fill', 'resources': {'requests': {'cpu': '1', 'memory': '2Gi'},"
        " 'limits': {'memory': '3Gi', 'nvidia.com/gpu': '2'}}}",
        "{'mode': 'override', 'resources': {'requests': {'cpu': '1', 'memory': '2Gi'},"
        " 'limits': {'memory': '3Gi', 'nvidia.com/gpu': '2'}}}",
        "{'mode': 'fill', 'resources': {'min': {'cpu': '1500m', 'memory': '5Gi'},"
        " 'max': {'cpu': '4', 'memory': '8Gi'}}}",
        "{'mode': 'fill', 'resources': {'max': {'cpu': '1', 'memory': '1200Mi'},"
        " 'maxLimitRequestRatio': {'cpu': '3', 'memory': '1500m'}}}",
        "{'mode': 'override', 'resources': {'requests': {'cpu': '7', 'memory': '20Gi'},"
        " 'max': {'cpu': '6', 'memory': '10Gi'}, 'maxLimitRequestRatio': {'cpu': '1'}}}",
        "{'mode': 'override', 'resources': {'limits': {'cpu': '250m', 'memory': '1Gi'},"
        " 'min': {'memory': '900Mi'}}}",
    };
    static const enum pt_role roles[] = {PT_ROLE_SPARK_EXECUTOR, PT_ROLE_SPARK_DRIVER,
                                         PT_ROLE_FLINK_TASKMANAGER};
    (void)state;
    for (size_t i = 0; i < sizeof(pods) / sizeof(pods[0]); i++)
        for (size_t j = 0; j < sizeof(blocks) / sizeof(blocks[0]); j++)
            for (size_t k = 0; k < sizeof(roles) / sizeof(roles[0]); k++) {
                struct fx f;
                json_t *req, *lim;
                const char *name;
                json_t *v;
                run(&f, pods[i], blocks[j], roles[k]);
                /* the result is valid: limit >= request, extended request == limit */
                req = json_object_get(json_object_get(main_of(&f), "resources"), "requests");
                lim = json_object_get(json_object_get(main_of(&f), "resources"), "limits");
                json_object_foreach(lim, name, v) {
                    json_t *r = json_object_get(req, name);
                    struct pt_quantity a, b;
                    if (!json_is_string(v) || !json_is_string(r))
                        continue;
                    assert_int_equal(pt_quantity_parse(json_string_value(v), &a, NULL), 0);
                    assert_int_equal(pt_quantity_parse(json_string_value(r), &b, NULL), 0);
                    if (pt_quantity_cmp(&a, &b) < 0 ||
                        (strchr(name, '/') && pt_quantity_cmp(&a, &b) != 0))
                        fail_msg("pod %zu block %zu role %zu: %s limit %s, request %s", i, j, k,
                                 name, json_string_value(v), json_string_value(r));
                }
                assert_idempotent(&f);
                fx_free(&f);
            }
}

static void test_no_main_container(void **state)
{
    struct pt_plan_input in;
    struct pt_plan p;
    struct pt_error err;
    json_t *block = J("{'mode': 'fill'}");
    (void)state;
    memset(&in, 0, sizeof(in));
    memset(&p, 0, sizeof(p));
    pt_error_clear(&err);
    in.block = block;
    in.main = 3;
    p.pod = J(POD("{'name': 'c'}"));
    assert_int_equal(pt_plan__resources(&in, &p, &err), PT_EINVAL);
    pt_plan_cleanup(&p);
    json_decref(block);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_resources_filled),
        cmocka_unit_test(test_no_resources_no_block_untouched),
        cmocka_unit_test(test_fill_keeps_pod_values),
        cmocka_unit_test(test_override_replaces),
        cmocka_unit_test(test_min_max_clamp),
        cmocka_unit_test(test_filled_value_clamped),
        cmocka_unit_test(test_ratio),
        cmocka_unit_test(test_limit_raised_to_request),
        cmocka_unit_test(test_gpu_limit_only_gets_request),
        cmocka_unit_test(test_profile_gpu_limit),
        cmocka_unit_test(test_jvm_driver_max_not_applied),
        cmocka_unit_test(test_jvm_flink_memory_only_up),
        cmocka_unit_test(test_executor_resize_down),
        cmocka_unit_test(test_executor_resize_up),
        cmocka_unit_test(test_executor_without_heap_env),
        cmocka_unit_test(test_numbers_in_pod),
        cmocka_unit_test(test_malformed_resources),
        cmocka_unit_test(test_sidecar_untouched),
        cmocka_unit_test(test_idempotent_sweep),
        cmocka_unit_test(test_no_main_container),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
