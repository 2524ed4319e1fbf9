/* test_plan_scheduling.c — the planner's scheduling and metadata stages, driven directly on pods and role blocks. */
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

#include "plan_fixture.h"

/* Runs stage on an executor pod whose main container is the first. */
static void run(struct fx *f, plan_stage_fn stage, const char *pod, const char *block)
{
    fx_run(f, stage, J(pod), J(block), PT_ROLE_SPARK_EXECUTOR, 0);
}

/* The first change recorded for field, or a failed test. */
static const struct pt_change *change(const struct pt_plan *p, const char *field)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->changes[i].field, field) == 0)
            return &p->changes[i];
    fail_msg("no change recorded for %s", field);
    return NULL;
}

#define POD_BASE "'metadata': {'name': 'x'}, 'spec': {'containers': [{'name': 'c'}]"

/* ---- required affinity --------------------------------------------------- */

static const char *REQ_BLOCK =
    "{'mode': 'fill', 'nodeAffinity': {'required': ["
    "{'key': 'node-type', 'operator': 'In', 'values': ['hm', 'xl']},"
    "{'key': 'spot', 'operator': 'DoesNotExist'}]}}";

static void required_no_affinity_creates_one_term(void **state)
{
    struct fx f;
    (void)state;
    run(&f, pt_plan__scheduling, "{" POD_BASE "}}", REQ_BLOCK);
    assert_json(at(f.p.pod, "spec/affinity"),
                "{'nodeAffinity': {'requiredDuringSchedulingIgnoredDuringExecution': "
                "{'nodeSelectorTerms': [{'matchExpressions': ["
                "{'key': 'node-type', 'operator': 'In', 'values': ['hm', 'xl']},"
                "{'key': 'spot', 'operator': 'DoesNotExist'}]}]}}}");
    assert_int_equal(count(&f.p, PT_REASON_FILLED, "nodeAffinity.required"), 2);
    fx_assert_idempotent(&f);
    fx_free(&f);
}

static void required_affinity_null_and_empty_terms(void **state)
{
    const char *pods[] = {
        "{" POD_BASE ", 'affinity': null}}",
        "{" POD_BASE ", 'affinity': {'nodeAffinity': null}}}",
        "{" POD_BASE ", 'affinity': {'nodeAffinity': {'requiredDuringSchedulingIgnoredDuringExecution': "
        "{'nodeSelectorTerms': []}}}}}",
        "{" POD_BASE ", 'affinity': {'nodeAffinity': {'requiredDuringSchedulingIgnoredDuringExecution': "
        "{'nodeSelectorTerms': null}}}}}",
    };
    (void)state;
    for (size_t i = 0; i < sizeof(pods) / sizeof(pods[0]); i++) {
        struct fx f;
        const json_t *terms;
        run(&f, pt_plan__scheduling, pods[i], REQ_BLOCK);
        terms = at(f.p.pod, "spec/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/"
                            "nodeSelectorTerms");
        assert_int_equal(json_array_size(terms), 1);
        assert_int_equal(json_array_size(at(terms, "0/matchExpressions")), 2);
        fx_assert_idempotent(&f);
        fx_free(&f);
    }
}

static void required_anded_into_every_term(void **state)
{
    struct fx f;
    (void)state;
    /* term 0 already has node-type with the same values in another order;
     * term 1 has only matchFields; term 2 has node-type with other values */
    run(&f, pt_plan__scheduling,
        "{" POD_BASE ", 'affinity': {'nodeAffinity': {'requiredDuringSchedulingIgnoredDuringExecution': "
        "{'nodeSelectorTerms': ["
        "{'matchExpressions': [{'key': 'node-type', 'operator': 'In', 'values': ['xl', 'hm']}]},"
        "{'matchFields': [{'key': 'metadata.name', 'operator': 'In', 'values': ['n1']}]},"
        "{'matchExpressions': [{'key': 'node-type', 'operator': 'In', 'values': ['hm']}]}"
        "]}}}}}",
        REQ_BLOCK);
    assert_json(at(f.p.pod, "spec/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution"),
                "{'nodeSelectorTerms': ["
                "{'matchExpressions': [{'key': 'node-type', 'operator': 'In', 'values': ['xl', 'hm']},"
                "  {'key': 'spot', 'operator': 'DoesNotExist'}]},"
                "{'matchFields': [{'key': 'metadata.name', 'operator': 'In', 'values': ['n1']}],"
                " 'matchExpressions': [{'key': 'node-type', 'operator': 'In', 'values': ['hm', 'xl']},"
                "  {'key': 'spot', 'operator': 'DoesNotExist'}]},"
                "{'matchExpressions': [{'key': 'node-type', 'operator': 'In', 'values': ['hm']},"
                "  {'key': 'node-type', 'operator': 'In', 'values': ['hm', 'xl']},"
                "  {'key': 'spot', 'operator': 'DoesNotExist'}]}"
                "]}");
    assert_int_equal(count(&f.p, PT_REASON_FILLED, "nodeAffinity.required"), 2);
    fx_assert_idempotent(&f);
    fx_free(&f);
}

static void required_equal_present_changes_nothing(void **state)
{
    struct fx f;
    (void)state;
    run(&f, pt_plan__scheduling,
        "{" POD_BASE ", 'affinity': {'nodeAffinity': {'requiredDuringSchedulingIgnoredDuringExecution': "
        "{'nodeSelectorTerms': [{'matchExpressions': ["
        "{'key': 'spot', 'operator': 'DoesNotExist', 'values': []},"
        "{'key': 'node-type', 'operator': 'In', 'values': ['xl', 'hm', 'xl']}]}]}}}}}",
        REQ_BLOCK);
    assert_true(json_equal(f.p.pod, f.pod));
    assert_int_equal(f.p.n, 0);
    fx_free(&f);
}

static void required_empty_term_and_odd_shapes_skipped(void **state)
{
    struct fx f;
    (void)state;
    run(&f, pt_plan__scheduling,
        "{" POD_BASE ", 'affinity': {'nodeAffinity': {'requiredDuringSchedulingIgnoredDuringExecution': "
        "{'nodeSelectorTerms': [{}, 'junk', {'matchExpressions': [{'key': 'a', 'operator': 'Exists'}]}]}}}}}",
        REQ_BLOCK);
    assert_json(at(f.p.pod, "spec/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/"
                            "nodeSelectorTerms"),
                "[{}, 'junk', {'matchExpressions': [{'key': 'a', 'operator': 'Exists'},"
                " {'key': 'node-type', 'operator': 'In', 'values': ['hm', 'xl']},"
                " {'key': 'spot', 'operator': 'DoesNotExist'}]}]");
    assert_int_equal(count(&f.p, PT_REASON_SKIPPED, "nodeAffinity.required"), 2);
    fx_free(&f);

    /* affinity that is not an object: nothing written, one skip per rule */
    run(&f, pt_plan__scheduling, "{" POD_BASE ", 'affinity': 'x'}}",
        "{'nodeAffinity': {'required': [{'key': 'a', 'operator': 'Exists'}],"
        " 'preferred': [{'weight': 5, 'matchExpressions': [{'key': 'a', 'operator': 'Exists'}]}]}}");
    assert_true(json_equal(f.p.pod, f.pod));
    assert_int_equal(count(&f.p, PT_REASON_SKIPPED, "nodeAffinity.required"), 1);
    assert_int_equal(count(&f.p, PT_REASON_SKIPPED, "nodeAffinity.preferred"), 1);
    fx_free(&f);
}

/* ---- preferred ------------------------------------------------------------ */

static void preferred_appended_unless_equal(void **state)
{
    struct fx f;
    (void)state;
    run(&f, pt_plan__scheduling,
        "{" POD_BASE ", 'affinity': {'nodeAffinity': {'preferredDuringSchedulingIgnoredDuringExecution': ["
        "{'weight': 50, 'preference': {'matchExpressions': ["
        "  {'key': 'zone', 'operator': 'In', 'values': ['b', 'a']},"
        "  {'key': 'disk', 'operator': 'In', 'values': ['nvme']}]}},"
        "{'weight': 10, 'preference': {'matchExpressions': [{'key': 'gpu', 'operator': 'Exists'}]}}"
        "]}}}}",
        "{'nodeAffinity': {'preferred': ["
        "{'weight': 50, 'matchExpressions': [{'key': 'disk', 'operator': 'In', 'values': ['nvme']},"
        "  {'key': 'zone', 'operator': 'In', 'values': ['a', 'b']}]},"
        "{'weight': 20, 'matchExpressions': [{'key': 'gpu', 'operator': 'Exists'}]}]}}");
    /* the first is equal (order-insensitive); the second differs by weight */
    assert_int_equal(json_array_size(at(f.p.pod, "spec/affinity/nodeAffinity/"
                                                  "preferredDuringSchedulingIgnoredDuringExecution")),
                     3);
    assert_json(at(f.p.pod, "spec/affinity/nodeAffinity/preferredDuringSchedulingIgnoredDuringExecution/2"),
                "{'weight': 20, 'preference': {'matchExpressions': [{'key': 'gpu', 'operator': 'Exists'}]}}");
    assert_int_equal(count(&f.p, PT_REASON_FILLED, "nodeAffinity.preferred"), 1);
    assert_null(at(f.p.pod, "spec/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution"));
    fx_assert_idempotent(&f);
    fx_free(&f);
}

/* ---- tolerations ---------------------------------------------------------- */

static void tolerations_equal_with_defaults_not_added(void **state)
{
    struct fx f;
    (void)state;
    /* the apiserver's built-ins first, then the user's: equal to the
     * profile's first two except for field order and defaulted fields */
    run(&f, pt_plan__scheduling,
        "{" POD_BASE ", 'tolerations': ["
        "{'key': 'node.kubernetes.io/not-ready', 'operator': 'Exists', 'effect': 'NoExecute', 'tolerationSeconds': 300},"
        "{'key': 'node.kubernetes.io/unreachable', 'operator': 'Exists', 'effect': 'NoExecute', 'tolerationSeconds': 300},"
        "{'effect': 'NoSchedule', 'value': 'spark', 'key': 'dedicated'},"
        "{'operator': 'Exists'}]}}",
        "{'tolerations': ["
        "{'key': 'dedicated', 'operator': 'Equal', 'value': 'spark', 'effect': 'NoSchedule'},"
        "{'key': '', 'operator': 'Exists', 'value': '', 'effect': ''},"
        "{'key': 'node.kubernetes.io/not-ready', 'operator': 'Exists', 'effect': 'NoExecute'},"
        "{'key': 'spot', 'operator': 'Exists', 'effect': 'NoSchedule'}]}");
    assert_json(at(f.p.pod, "spec/tolerations"),
                "["
                "{'key': 'node.kubernetes.io/not-ready', 'operator': 'Exists', 'effect': 'NoExecute', 'tolerationSeconds': 300},"
                "{'key': 'node.kubernetes.io/unreachable', 'operator': 'Exists', 'effect': 'NoExecute', 'tolerationSeconds': 300},"
                "{'effect': 'NoSchedule', 'value': 'spark', 'key': 'dedicated'},"
                "{'operator': 'Exists'},"
                "{'key': 'node.kubernetes.io/not-ready', 'operator': 'Exists', 'effect': 'NoExecute'},"
                "{'key': 'spot', 'operator': 'Exists', 'effect': 'NoSchedule'}]");
    assert_int_equal(count(&f.p, PT_REASON_FILLED, "tolerations"), 2);
    fx_assert_idempotent(&f);
    fx_free(&f);
}

static void tolerations_null_and_not_a_list(void **state)
{
    struct fx f;
    (void)state;
    run(&f, pt_plan__scheduling, "{" POD_BASE ", 'tolerations': null}}",
        "{'tolerations': [{'key': 'a', 'operator': 'Exists'}]}");
    assert_json(at(f.p.pod, "spec/tolerations"), "[{'key': 'a', 'operator': 'Exists'}]");
    fx_free(&f);
    run(&f, pt_plan__scheduling, "{" POD_BASE ", 'tolerations': {'key': 'a'}}}",
        "{'tolerations': [{'key': 'a', 'operator': 'Exists'}]}");
    assert_true(json_equal(f.p.pod, f.pod));
    assert_int_equal(count(&f.p, PT_REASON_SKIPPED, "tolerations"), 1);
    fx_free(&f);
}

/* ---- nodeSelector, priority, scheduler ------------------------------------ */

static void node_selector_fill_and_override(void **state)
{
    struct fx f;
    (void)state;
    run(&f, pt_plan__scheduling, "{" POD_BASE ", 'nodeSelector': {'node-type': 'small'}}}",
        "{'mode': 'fill', 'nodeSelector': {'node-type': 'hm', 'topology.kubernetes.io/zone': 'a'}}");
    assert_json(at(f.p.pod, "spec/nodeSelector"),
                "{'node-type': 'small', 'topology.kubernetes.io/zone': 'a'}");
    assert_int_equal(count(&f.p, PT_REASON_KEPT, "nodeSelector.node-type"), 1);
    assert_int_equal(count(&f.p, PT_REASON_FILLED, "nodeSelector.topology.kubernetes.io/zone"), 1);
    fx_free(&f);
    run(&f, pt_plan__scheduling, "{" POD_BASE ", 'nodeSelector': {'node-type': 'small'}}}",
        "{'mode': 'override', 'nodeSelector': {'node-type': 'hm'}}");
    assert_json(at(f.p.pod, "spec/nodeSelector"), "{'node-type': 'hm'}");
    assert_int_equal(count(&f.p, PT_REASON_OVERRIDDEN, "nodeSelector.node-type"), 1);
    assert_string_equal(change(&f.p, "nodeSelector.node-type")->from, "small");
    fx_assert_idempotent(&f);
    fx_free(&f);
}

static void priority_set_with_value(void **state)
{
    struct fx f;
    (void)state;
    /* as admission sees it: the Priority plugin already wrote priority 0 */
    run(&f, pt_plan__scheduling,
        "{" POD_BASE ", 'priority': 0, 'preemptionPolicy': 'PreemptLowerPriority'}}",
        "{'priorityClassName': 'spark-batch', 'priorityValue': 1000}");
    assert_string_equal(json_string_value(at(f.p.pod, "spec/priorityClassName")), "spark-batch");
    assert_int_equal(json_integer_value(at(f.p.pod, "spec/priority")), 1000);
    assert_string_equal(json_string_value(at(f.p.pod, "spec/preemptionPolicy")),
                        "PreemptLowerPriority");
    assert_int_equal(count(&f.p, PT_REASON_FILLED, "priorityClassName"), 1);
    assert_int_equal(count(&f.p, PT_REASON_OVERRIDDEN, "priority"), 1);
    assert_string_equal(change(&f.p, "priority")->from, "0");
    assert_string_equal(change(&f.p, "priority")->to, "1000");
    fx_assert_idempotent(&f);
    fx_free(&f);
}

static void priority_fill_keeps_class_and_value(void **state)
{
    struct fx f;
    (void)state;
    run(&f, pt_plan__scheduling, "{" POD_BASE ", 'priorityClassName': 'mine', 'priority': 7}}",
        "{'priorityClassName': 'spark-batch', 'priorityValue': 1000}");
    assert_true(json_equal(f.p.pod, f.pod));
    assert_int_equal(count(&f.p, PT_REASON_KEPT, "priorityClassName"), 1);
    fx_free(&f);
    /* override replaces both */
    run(&f, pt_plan__scheduling, "{" POD_BASE ", 'priorityClassName': 'mine', 'priority': 7}}",
        "{'mode': 'override', 'priorityClassName': 'spark-batch', 'priorityValue': 1000}");
    assert_string_equal(json_string_value(at(f.p.pod, "spec/priorityClassName")), "spark-batch");
    assert_int_equal(json_integer_value(at(f.p.pod, "spec/priority")), 1000);
    assert_int_equal(count(&f.p, PT_REASON_OVERRIDDEN, "priorityClassName"), 1);
    assert_string_equal(change(&f.p, "priorityClassName")->from, "mine");
    fx_free(&f);
}

static void priority_without_value(void **state)
{
    struct fx f;
    (void)state;
    /* resolved priority present: setting the class alone would be inconsistent */
    run(&f, pt_plan__scheduling, "{" POD_BASE ", 'priority': 0}}", "{'priorityClassName': 'batch'}");
    assert_true(json_equal(f.p.pod, f.pod));
    assert_int_equal(count(&f.p, PT_REASON_SKIPPED, "priorityClassName"), 1);
    fx_free(&f);
    /* a manifest outside admission: the Priority plugin resolves it later */
    run(&f, pt_plan__scheduling, "{" POD_BASE ", 'priorityClassName': ''}}",
        "{'priorityClassName': 'batch'}");
    assert_string_equal(json_string_value(at(f.p.pod, "spec/priorityClassName")), "batch");
    assert_null(at(f.p.pod, "spec/priority"));
    fx_free(&f);
}

static void scheduler_default_counts_as_unset(void **state)
{
    struct fx f;
    (void)state;
    run(&f, pt_plan__scheduling, "{" POD_BASE ", 'schedulerName': 'default-scheduler'}}",
        "{'mode': 'fill', 'schedulerName': 'yunikorn'}");
    assert_string_equal(json_string_value(at(f.p.pod, "spec/schedulerName")), "yunikorn");
    assert_int_equal(count(&f.p, PT_REASON_FILLED, "schedulerName"), 1);
    assert_string_equal(change(&f.p, "schedulerName")->from, "default-scheduler");
    fx_assert_idempotent(&f);
    fx_free(&f);
    run(&f, pt_plan__scheduling, "{" POD_BASE ", 'schedulerName': 'volcano'}}",
        "{'mode': 'fill', 'schedulerName': 'yunikorn'}");
    assert_string_equal(json_string_value(at(f.p.pod, "spec/schedulerName")), "volcano");
    assert_int_equal(count(&f.p, PT_REASON_KEPT, "schedulerName"), 1);
    fx_free(&f);
    run(&f, pt_plan__scheduling, "{" POD_BASE ", 'schedulerName': 'volcano'}}",
        "{'mode': 'override', 'schedulerName': 'yunikorn'}");
    assert_string_equal(json_string_value(at(f.p.pod, "spec/schedulerName")), "yunikorn");
    assert_int_equal(count(&f.p, PT_REASON_OVERRIDDEN, "schedulerName"), 1);
    assert_string_equal(change(&f.p, "schedulerName")->from, "volcano");
    fx_free(&f);
}

static void empty_block_touches_nothing(void **state)
{
    struct fx f;
    (void)state;
    run(&f, pt_plan__scheduling, "{" POD_BASE "}}",
        "{'mode': 'fill', 'nodeSelector': {}, 'tolerations': [], 'nodeAffinity': {'required': [], 'preferred': []}}");
    assert_true(json_equal(f.p.pod, f.pod));
    assert_int_equal(f.p.n, 0);
    fx_free(&f);
    run(&f, pt_plan__metadata, "{" POD_BASE "}}", "{'labels': {}, 'annotations': {}}");
    assert_true(json_equal(f.p.pod, f.pod));
    fx_free(&f);
}

/* ---- metadata ------------------------------------------------------------- */

static void metadata_labels_and_annotations(void **state)
{
    struct fx f;
    (void)state;
    run(&f, pt_plan__metadata,
        "{'metadata': {'labels': {'spark-role': 'executor', 'team': 'ml'},"
        " 'annotations': {'podtune.io/profile-applied': 'old'}}, 'spec': {'containers': [{}]}}",
        "{'mode': 'fill', 'labels': {'cost-center': 'data', 'example.com/a~b': 'x', 'team': 'data'},"
        " 'annotations': {'example.com/owner': 'me', 'podtune.io/profile-applied': 'evil'}}");
    assert_json(at(f.p.pod, "metadata"),
                "{'labels': {'spark-role': 'executor', 'team': 'ml', 'cost-center': 'data',"
                " 'example.com/a~b': 'x'},"
                " 'annotations': {'podtune.io/profile-applied': 'old', 'example.com/owner': 'me'}}");
    assert_int_equal(count(&f.p, PT_REASON_FILLED, "labels.example.com/a~b"), 1);
    assert_int_equal(count(&f.p, PT_REASON_KEPT, "labels.team"), 1);
    assert_int_equal(count(&f.p, PT_REASON_SKIPPED, "annotations.podtune.io/profile-applied"), 1);
    fx_free(&f);
}

static void metadata_absent_and_odd(void **state)
{
    struct fx f;
    (void)state;
    run(&f, pt_plan__metadata, "{'spec': {'containers': [{}]}}",
        "{'mode': 'override', 'labels': {'a/b': '1'}}");
    assert_json(at(f.p.pod, "metadata"), "{'labels': {'a/b': '1'}}");
    fx_assert_idempotent(&f);
    fx_free(&f);
    run(&f, pt_plan__metadata, "{'metadata': {'labels': ['x']}, 'spec': {'containers': [{}]}}",
        "{'labels': {'a': '1'}, 'annotations': {'b': '2'}}");
    assert_json(at(f.p.pod, "metadata"), "{'labels': ['x'], 'annotations': {'b': '2'}}");
    assert_int_equal(count(&f.p, PT_REASON_SKIPPED, "labels"), 1);
    fx_free(&f);
}

/* A realistic executor pod through both stages, twice. */
static void full_block_idempotent(void **state)
{
    static const char *block =
        "{'mode': 'override', 'nodeSelector': {'node-type': 'spot'},"
        " 'nodeAffinity': {'required': [{'key': 'arch', 'operator': 'In', 'values': ['amd64']}],"
        "   'preferred': [{'weight': 30, 'matchExpressions': [{'key': 'disk', 'operator': 'Exists'}]}]},"
        " 'tolerations': [{'key': 'spot', 'operator': 'Exists', 'effect': 'NoSchedule', 'tolerationSeconds': 60}],"
        " 'priorityClassName': 'low', 'priorityValue': -10, 'schedulerName': 'yunikorn',"
        " 'labels': {'cost-center': 'dp'}, 'annotations': {'a.io/b': 'c'}}";
    struct fx f, g;
    (void)state;
    run(&f, pt_plan__scheduling,
        "{'metadata': {'labels': {'spark-role': 'executor'}}, 'spec': {'containers': [{'name': 'e'}],"
        " 'priority': 0, 'schedulerName': 'default-scheduler', 'tolerations': ["
        " {'key': 'node.kubernetes.io/not-ready', 'operator': 'Exists', 'effect': 'NoExecute', 'tolerationSeconds': 300}]}}",
        block);
    fx_assert_idempotent(&f);
    fx_run(&g, pt_plan__metadata, json_deep_copy(f.p.pod), J(block), PT_ROLE_SPARK_EXECUTOR, 0);
    fx_assert_idempotent(&g);
    assert_int_equal(json_integer_value(at(f.p.pod, "spec/priority")), -10);
    assert_int_equal(json_array_size(at(f.p.pod, "spec/tolerations")), 2);
    fx_free(&g);
    fx_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(required_no_affinity_creates_one_term),
        cmocka_unit_test(required_affinity_null_and_empty_terms),
        cmocka_unit_test(required_anded_into_every_term),
        cmocka_unit_test(required_equal_present_changes_nothing),
        cmocka_unit_test(required_empty_term_and_odd_shapes_skipped),
        cmocka_unit_test(preferred_appended_unless_equal),
        cmocka_unit_test(tolerations_equal_with_defaults_not_added),
        cmocka_unit_test(tolerations_null_and_not_a_list),
        cmocka_unit_test(node_selector_fill_and_override),
        cmocka_unit_test(priority_set_with_value),
        cmocka_unit_test(priority_fill_keeps_class_and_value),
        cmocka_unit_test(priority_without_value),
        cmocka_unit_test(scheduler_default_counts_as_unset),
        cmocka_unit_test(empty_block_touches_nothing),
        cmocka_unit_test(metadata_labels_and_annotations),
        cmocka_unit_test(metadata_absent_and_odd),
        cmocka_unit_test(full_block_idempotent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
