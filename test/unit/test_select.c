/* test_select.c — profile selection: annotation, skip/enforce, match, priority, ties (contract §2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "podtune/select.h"

#define ALL_ROLES 0xFu

static struct pt_profile profiles[4];
static struct pt_policy_set set;
static char *ns_etl[] = {"etl-*"};

/* Four profiles, sorted by name as the loader keeps them. */
static int setup(void **state)
{
    (void)state;
    memset(profiles, 0, sizeof(profiles));
    profiles[0] = (struct pt_profile){.name = "alpha", .priority = 10, .has_match = 1,
                                      .match_roles = ALL_ROLES};
    profiles[1] = (struct pt_profile){.name = "beta", .priority = 10, .has_match = 1,
                                      .match_roles = 1u << PT_ROLE_SPARK_EXECUTOR};
    profiles[2] = (struct pt_profile){.name = "gamma", .priority = 20, .has_match = 1,
                                      .match_roles = ALL_ROLES, .namespaces = ns_etl,
                                      .n_namespaces = 1};
    profiles[3] = (struct pt_profile){.name = "manual", .priority = 99, .has_match = 0,
                                      .enforce = 1};
    for (int i = 0; i < 4; i++) {
        profiles[i].match_labels = json_object();
        for (int r = 0; r < PT_ROLE_COUNT; r++)
            profiles[i].roles[r] = json_pack("{s:s}", "mode", "fill");
    }
    json_object_set_new(profiles[2].match_labels, "team", json_string("data"));
    json_decref(profiles[1].roles[PT_ROLE_SPARK_DRIVER]);
    profiles[1].roles[PT_ROLE_SPARK_DRIVER] = NULL;
    set.profiles = profiles;
    set.n = 4;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (int i = 0; i < 4; i++) {
        json_decref(profiles[i].match_labels);
        for (int r = 0; r < PT_ROLE_COUNT; r++)
            json_decref(profiles[i].roles[r]);
    }
    return 0;
}

static const char *pick(const char *pod_json, const char *ns, enum pt_role role,
                        enum pt_select_outcome *outcome, char *warning, size_t wlen)
{
    static char name[64];
    struct pt_selection sel;
    json_t *pod = json_loads(pod_json, 0, NULL);

    assert_non_null(pod);
    assert_int_equal(pt_select(&set, pod, ns, role, &sel), 0);
    *outcome = sel.outcome;
    snprintf(name, sizeof(name), "%s", sel.profile ? sel.profile->name : "");
    if (warning)
        snprintf(warning, wlen, "%s", sel.warning);
    assert_int_equal(sel.n_candidates, 4);
    pt_selection_cleanup(&sel);
    json_decref(pod);
    return name;
}

static void test_priority_then_name(void **state)
{
    enum pt_select_outcome o;
    (void)state;
    /* alpha and beta tie at 10 for executors: alpha wins by name */
    assert_string_equal(pick("{\"metadata\":{}}", "default", PT_ROLE_SPARK_EXECUTOR, &o, NULL, 0), "alpha");
    assert_int_equal(o, PT_SELECT_PROFILE);
    /* gamma (20) wins in etl-* when the team label matches */
    assert_string_equal(pick("{\"metadata\":{\"labels\":{\"team\":\"data\"}}}", "etl-daily",
                             PT_ROLE_SPARK_EXECUTOR, &o, NULL, 0), "gamma");
    /* ... but not in another namespace, nor with another label value */
    assert_string_equal(pick("{\"metadata\":{\"labels\":{\"team\":\"data\"}}}", "web",
                             PT_ROLE_SPARK_EXECUTOR, &o, NULL, 0), "alpha");
    assert_string_equal(pick("{\"metadata\":{\"labels\":{\"team\":\"ops\"}}}", "etl-daily",
                             PT_ROLE_SPARK_EXECUTOR, &o, NULL, 0), "alpha");
}

static void test_match_roles_and_blocks(void **state)
{
    enum pt_select_outcome o;
    (void)state;
    profiles[0].match_roles = 1u << PT_ROLE_FLINK_TASKMANAGER;
    /* beta matches executors only and has no driver block */
    assert_string_equal(pick("{\"metadata\":{}}", "default", PT_ROLE_SPARK_EXECUTOR, &o, NULL, 0), "beta");
    assert_string_equal(pick("{\"metadata\":{}}", "default", PT_ROLE_SPARK_DRIVER, &o, NULL, 0), "");
    assert_int_equal(o, PT_SELECT_NONE);
    profiles[0].match_roles = ALL_ROLES;
}

static void test_annotation(void **state)
{
    enum pt_select_outcome o;
    char w[240];
    (void)state;
    assert_string_equal(pick("{\"metadata\":{\"annotations\":{\"podtune.io/profile\":\"manual\"}}}",
                             "default", PT_ROLE_SPARK_DRIVER, &o, NULL, 0), "manual");
    assert_int_equal(o, PT_SELECT_PROFILE);
    pick("{\"metadata\":{\"annotations\":{\"podtune.io/profile\":\"nope\"}}}", "default",
         PT_ROLE_SPARK_DRIVER, &o, w, sizeof(w));
    assert_int_equal(o, PT_SELECT_UNKNOWN_PROFILE);
    assert_non_null(strstr(w, "does not exist"));
    assert_true(strlen(w) < 120);
    /* gamma only admits etl-*: the annotation cannot bring it elsewhere */
    pick("{\"metadata\":{\"annotations\":{\"podtune.io/profile\":\"gamma\"}}}", "web",
         PT_ROLE_SPARK_DRIVER, &o, w, sizeof(w));
    assert_int_equal(o, PT_SELECT_UNKNOWN_PROFILE);
    assert_non_null(strstr(w, "namespace web"));
    /* beta has no driver block */
    pick("{\"metadata\":{\"annotations\":{\"podtune.io/profile\":\"beta\"}}}", "web",
         PT_ROLE_SPARK_DRIVER, &o, w, sizeof(w));
    assert_int_equal(o, PT_SELECT_UNKNOWN_PROFILE);
    assert_non_null(strstr(w, "no settings for spark-driver"));
}

static void test_skip_and_enforce(void **state)
{
    enum pt_select_outcome o;
    (void)state;
    pick("{\"metadata\":{\"annotations\":{\"podtune.io/skip\":\"true\"}}}", "default",
         PT_ROLE_SPARK_DRIVER, &o, NULL, 0);
    assert_int_equal(o, PT_SELECT_SKIPPED);
    /* only the exact string "true" skips */
    assert_string_equal(pick("{\"metadata\":{\"annotations\":{\"podtune.io/skip\":\"yes\"}}}", "default",
                             PT_ROLE_SPARK_DRIVER, &o, NULL, 0), "alpha");
    /* an enforcing profile ignores skip */
    assert_string_equal(pick("{\"metadata\":{\"annotations\":{\"podtune.io/skip\":\"true\","
                             "\"podtune.io/profile\":\"manual\"}}}", "default",
                             PT_ROLE_SPARK_DRIVER, &o, NULL, 0), "manual");
    assert_int_equal(o, PT_SELECT_PROFILE);
    profiles[0].enforce = 1;
    assert_string_equal(pick("{\"metadata\":{\"annotations\":{\"podtune.io/skip\":\"true\"}}}", "default",
                             PT_ROLE_SPARK_DRIVER, &o, NULL, 0), "alpha");
    profiles[0].enforce = 0;
}

static void test_no_role(void **state)
{
    struct pt_selection sel;
    json_t *pod = json_object();
    (void)state;
    assert_int_equal(pt_select(&set, pod, "default", PT_ROLE_NONE, &sel), 0);
    assert_int_equal(sel.outcome, PT_SELECT_NONE);
    pt_selection_cleanup(&sel);
    json_decref(pod);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_priority_then_name),
        cmocka_unit_test(test_match_roles_and_blocks),
        cmocka_unit_test(test_annotation),
        cmocka_unit_test(test_skip_and_enforce),
        cmocka_unit_test(test_no_role),
    };
    return cmocka_run_group_tests_name("select", tests, setup, teardown);
}
