/* test_contract_rules.c — one test per rule of contract §1–§4 that no other test
 * pinned down (see docs/contract-coverage.md: each test here fails under the
 * source mutation named in its comment). Drives the public engine API with
 * small in-memory pods and policy files under test/contract/policies/. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "podtune/engine.h"
#include "podtune/jsonpatch.h"
#include "podtune/policy.h"
#include "podtune/review.h"

#define POLICIES "test/contract/policies/"

/* ---- helpers -------------------------------------------------------------- */

/* Loads one policy file; fails the test on any error. */
static struct pt_policy_set *load(const char *file)
{
    char path[256];
    const char *paths[1] = {path};
    struct pt_diags d;
    struct pt_policy_set *set;

    snprintf(path, sizeof(path), POLICIES "%s", file);
    pt_diags_init(&d);
    set = pt_policy_load_files(paths, 1, &d);
    if (!set) {
        pt_diags_print(&d, stderr, 0);
        pt_diags_cleanup(&d);
        fail_msg("cannot load %s", path);
    }
    pt_diags_cleanup(&d);
    return set;
}

/* Parses a pod written as JSON with ' for " (readable C literals). */
static json_t *pod(const char *text)
{
    char *s = strdup(text);
    json_error_t e;
    json_t *j;

    assert_non_null(s);
    for (char *c = s; *c; c++)
        if (*c == '\'')
            *c = '"';
    j = json_loads(s, JSON_REJECT_DUPLICATES, &e);
    if (!j)
        fail_msg("bad test pod: %s at %d:%d: %s", e.text, e.line, e.column, s);
    free(s);
    return j;
}

/* Runs the engine on the pod (namespace from the pod). */
static void run(const struct pt_policy_set *set, const json_t *p, struct pt_outcome *oc)
{
    assert_int_equal(pt_engine_run(set, p, NULL, oc), 0);
}

/* A value in a JSON document by a '/'-separated path of keys and array indexes,
 * "~1" standing for '/' in a key. Borrowed; NULL when absent. */
static const json_t *at(const json_t *root, const char *path)
{
    char buf[256], *save = NULL, *tok;
    const json_t *cur = root;

    snprintf(buf, sizeof(buf), "%s", path);
    for (tok = strtok_r(buf, "/", &save); tok && cur; tok = strtok_r(NULL, "/", &save)) {
        char *r = tok, *w = tok;
        for (; *r; r++, w++) {
            *w = *r;
            if (r[0] == '~' && r[1] == '1')
                *w = '/', r++;
        }
        *w = '\0';
        if (json_is_array(cur)) {
            char *end;
            long i = strtol(tok, &end, 10);
            cur = *end ? NULL : json_array_get(cur, (size_t)i);
        } else {
            cur = json_object_get(cur, tok);
        }
    }
    return cur;
}

static const char *str_at(const json_t *root, const char *path)
{
    return json_string_value(at(root, path));
}

/* The value of env name in container index c of the tuned pod, or NULL. */
static const char *env_of(const json_t *tuned, int c, const char *name)
{
    char path[64];
    const json_t *env, *e;
    const char *found = NULL;
    size_t i;

    snprintf(path, sizeof(path), "spec/containers/%d/env", c);
    env = at(tuned, path);
    json_array_foreach(env, i, e)
    {
        const char *n = json_string_value(json_object_get(e, "name"));
        if (n && strcmp(n, name) == 0)
            found = json_string_value(json_object_get(e, "value"));
    }
    return found;
}

/* 1 if some warning contains needle. */
static int warned(const struct pt_outcome *oc, const char *needle)
{
    for (size_t i = 0; i < oc->n_warnings; i++)
        if (strstr(oc->warnings[i], needle))
            return 1;
    return 0;
}

/* Plans p, then plans the tuned pod again: the second patch must be empty. */
static void assert_converges(const struct pt_policy_set *set, const json_t *p)
{
    struct pt_outcome a, b;

    run(set, p, &a);
    run(set, pt_outcome_pod(&a, p), &b);
    if (json_array_size(b.patch) != 0) {
        char *s = json_dumps(b.patch, JSON_COMPACT);
        fail_msg("second run is not empty: %s", s);
    }
    pt_outcome_cleanup(&b);
    pt_outcome_cleanup(&a);
}

/* ---- §1 which pods are tuned ----------------------------------------------- */

/* Flink pods need BOTH labels: component=jobmanager alone is not a target.
 * Mutation: drop the type=flink-native-kubernetes check. */
static void test_flink_needs_type_label(void **state)
{
    struct pt_policy_set *set = load("roles.yaml");
    json_t *p = pod("{'metadata':{'name':'jm','labels':{'component':'jobmanager','app':'x'}},"
                    "'spec':{'containers':[{'name':'flink-main-container'}]}}");
    struct pt_outcome oc;
    (void)state;

    run(set, p, &oc);
    assert_int_equal(oc.status, PT_STATUS_NOT_TARGET);
    assert_int_equal(json_array_size(oc.patch), 0);
    pt_outcome_cleanup(&oc);
    json_decref(p);
    pt_policy_set_unref(set);
}

/* Tunes pod_json with roles.yaml and checks that exactly the container at index
 * `main` got the profile's env, and that the paths in `untouched` stayed absent. */
static void check_main_container(const char *pod_json, enum pt_role role, int main,
                                 const char *const *untouched)
{
    struct pt_policy_set *set = load("roles.yaml");
    json_t *p = pod(pod_json);
    struct pt_outcome oc;
    const json_t *t;

    run(set, p, &oc);
    assert_int_equal(oc.status, PT_STATUS_TUNED);
    assert_int_equal(oc.cls.role, role);
    assert_int_equal(oc.cls.main_container, main);
    t = pt_outcome_pod(&oc, p);
    assert_string_equal(env_of(t, (size_t)main, "PODTUNE_CONTRACT"), "on");
    for (; *untouched; untouched++)
        assert_null(at(t, *untouched));
    pt_outcome_cleanup(&oc);
    json_decref(p);
    pt_policy_set_unref(set);
}

/* No container named spark-kubernetes-executor: the FIRST container is the main
 * one, and the others are left alone. Mutation: fall back to the last one. */
static void test_main_container_falls_back_to_first(void **state)
{
    static const char *const untouched[] = {"spec/containers/1/env", NULL};
    (void)state;
    check_main_container("{'metadata':{'name':'e','labels':{'spark-role':'executor'}},"
                         "'spec':{'containers':[{'name':'app'},{'name':'log-shipper'}]}}",
                         PT_ROLE_SPARK_EXECUTOR, 0, untouched);
}

/* A TaskManager from a pod template: the sidecar comes first, Flink's own
 * container after it; only flink-main-container is changed. Mutation: look
 * for another name (so the first container is taken). */
static void test_flink_main_container_by_name(void **state)
{
    static const char *const untouched[] = {"spec/containers/0/env", NULL};
    (void)state;
    check_main_container("{'metadata':{'name':'tm','labels':{'type':'flink-native-kubernetes',"
                         "'component':'taskmanager','app':'x'}},"
                         "'spec':{'containers':[{'name':'sidecar'},{'name':'flink-main-container'}]}}",
                         PT_ROLE_FLINK_TASKMANAGER, 1, untouched);
}

/* The same for a Spark driver whose template put a sidecar first, and init
 * containers are never touched. Mutation: plan on containers[0]. */
static void test_spark_template_sidecar_first(void **state)
{
    static const char *const untouched[] = {"spec/containers/0/env", "spec/initContainers/0/env",
                                            NULL};
    (void)state;
    check_main_container("{'metadata':{'name':'d','labels':{'spark-role':'driver'}},"
                         "'spec':{'initContainers':[{'name':'init'}],"
                         "'containers':[{'name':'sidecar'},{'name':'spark-kubernetes-driver',"
                         "'args':['driver']}]}}",
                         PT_ROLE_SPARK_DRIVER, 1, untouched);
}

/* An AdmissionReview for a Spark executor with the given operation, kind and
 * resource, answered with set. Returns the response; *oc is filled. */
static json_t *review(const struct pt_policy_set *set, const char *op, const char *kind,
                      const char *resource, struct pt_outcome *oc)
{
    char body[1024];
    struct pt_review rv;
    struct pt_error err;
    json_t *resp;

    snprintf(body, sizeof(body),
             "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{"
             "\"uid\":\"u-1\",\"kind\":{\"group\":\"\",\"version\":\"v1\",\"kind\":\"%s\"},"
             "\"resource\":{\"group\":\"\",\"version\":\"v1\",\"resource\":\"%s\"},"
             "\"operation\":\"%s\",\"namespace\":\"ns\",\"object\":{\"metadata\":{\"name\":\"e\","
             "\"labels\":{\"spark-role\":\"executor\"}},\"spec\":{\"containers\":["
             "{\"name\":\"spark-kubernetes-executor\"}]}}}}",
             kind, resource, op);
    pt_error_clear(&err);
    assert_int_equal(pt_review_decode(body, strlen(body), &rv, &err), 0);
    resp = pt_review_respond(set, &rv, oc);
    assert_non_null(resp);
    pt_review_cleanup(&rv);
    return resp;
}

/* The review is answered allowed, without a patch, and the engine did not run. */
static void assert_untouched(const struct pt_policy_set *set, const char *op, const char *kind,
                             const char *resource)
{
    struct pt_outcome oc;
    json_t *resp = review(set, op, kind, resource, &oc);

    assert_true(json_is_true(at(resp, "response/allowed")));
    assert_null(at(resp, "response/patch"));
    assert_int_equal(oc.status, PT_STATUS_NOT_TARGET);
    pt_outcome_cleanup(&oc);
    json_decref(resp);
}

/* Only CREATE is tuned: the same target pod on UPDATE gets no patch.
 * Mutation: drop the operation check. */
static void test_create_only(void **state)
{
    struct pt_policy_set *set = load("roles.yaml");
    struct pt_outcome oc;
    json_t *resp;
    (void)state;

    resp = review(set, "CREATE", "Pod", "pods", &oc);
    assert_non_null(json_object_get(json_object_get(resp, "response"), "patch"));
    assert_string_equal(str_at(resp, "response/patchType"), "JSONPatch");
    pt_outcome_cleanup(&oc);
    json_decref(resp);

    assert_untouched(set, "UPDATE", "Pod", "pods");
    pt_policy_set_unref(set);
}

/* Another kind / resource carrying a pod-shaped object is not tuned.
 * Mutation: drop the is_pod check. */
static void test_pods_only(void **state)
{
    struct pt_policy_set *set = load("roles.yaml");
    (void)state;

    assert_untouched(set, "CREATE", "ConfigMap", "configmaps");
    pt_policy_set_unref(set);
}

/* The response carries auditAnnotations {profile, changes}, changes naming
 * each change with its reason. Mutation: an empty changes list. */
static void test_audit_annotations_name_the_changes(void **state)
{
    struct pt_policy_set *set = load("roles.yaml");
    struct pt_outcome oc;
    json_t *resp;
    const char *changes;
    (void)state;

    resp = review(set, "CREATE", "Pod", "pods", &oc);
    assert_int_equal(oc.status, PT_STATUS_TUNED);
    assert_string_equal(str_at(resp, "response/auditAnnotations/profile"), "every-role");
    changes = str_at(resp, "response/auditAnnotations/changes");
    assert_non_null(changes);
    assert_non_null(strstr(changes, "env.PODTUNE_CONTRACT:filled"));
    assert_non_null(strstr(changes, "annotations.podtune.io/profile-applied:filled"));
    pt_outcome_cleanup(&oc);
    json_decref(resp);
    pt_policy_set_unref(set);
}

/* ---- §2 which profile a pod gets ------------------------------------------- */

/* A profile without spec.match is chosen only by annotation, whatever its
 * priority. Mutation: let profiles without match be candidates. */
static void test_no_match_is_annotation_only(void **state)
{
    struct pt_policy_set *set = load("selection.yaml");
    json_t *plain = pod("{'metadata':{'name':'e','labels':{'spark-role':'executor'}},"
                        "'spec':{'containers':[{'name':'spark-kubernetes-executor'}]}}");
    json_t *annotated = pod("{'metadata':{'name':'e','labels':{'spark-role':'executor'},"
                            "'annotations':{'podtune.io/profile':'manual'}},"
                            "'spec':{'containers':[{'name':'spark-kubernetes-executor'}]}}");
    struct pt_outcome oc;
    (void)state;

    run(set, plain, &oc);
    assert_string_equal(oc.sel.profile->name, "auto");
    assert_string_equal(str_at(pt_outcome_pod(&oc, plain), "metadata/labels/picked"), "auto");
    pt_outcome_cleanup(&oc);
    run(set, annotated, &oc);
    assert_string_equal(oc.sel.profile->name, "manual");
    assert_string_equal(str_at(pt_outcome_pod(&oc, annotated), "metadata/labels/picked"), "manual");
    pt_outcome_cleanup(&oc);
    json_decref(plain);
    json_decref(annotated);
    pt_policy_set_unref(set);
}

/* ---- §4 what a change does -------------------------------------------------- */

/* A fill that meets a different user value keeps it AND warns; a max that
 * would cut a driver's JVM memory is not applied AND warns. Mutations: drop
 * KEPT (resp. SKIPPED) from the warnings. */
static void test_kept_and_skipped_values_warn(void **state)
{
    struct pt_policy_set *set = load("warnings.yaml");
    json_t *p = pod("{'metadata':{'name':'d','labels':{'spark-role':'driver'}},"
                    "'spec':{'nodeSelector':{'pool':'interactive'},'containers':[{"
                    "'name':'spark-kubernetes-driver','args':['driver'],'resources':{"
                    "'requests':{'cpu':'1','memory':'4Gi'},'limits':{'memory':'4Gi'}}}]}}");
    struct pt_outcome oc;
    const json_t *t;
    (void)state;

    run(set, p, &oc);
    t = pt_outcome_pod(&oc, p);
    assert_string_equal(str_at(t, "spec/nodeSelector/pool"), "interactive");
    assert_string_equal(str_at(t, "spec/containers/0/resources/requests/memory"), "4Gi");
    assert_true(warned(&oc, "nodeSelector.pool"));
    assert_true(warned(&oc, "resources.requests.memory"));
    assert_true(warned(&oc, "resources.limits.memory"));
    for (size_t i = 0; i < oc.n_warnings; i++)
        assert_true(strlen(oc.warnings[i]) < 120);
    pt_outcome_cleanup(&oc);
    json_decref(p);
    pt_policy_set_unref(set);
}

/* Tolerations are equal only when key, operator, value AND effect are: one
 * that differs in value or in effect is not "already there". Mutations: leave
 * value (resp. effect) out of the equality. The equal one is never doubled. */
static void test_toleration_equality_is_all_four_fields(void **state)
{
    static const char *const have[] = {
        "{'key':'dedicated','operator':'Equal','value':'flink','effect':'NoSchedule'}",
        "{'key':'dedicated','operator':'Equal','value':'spark','effect':'NoExecute'}",
    };
    struct pt_policy_set *set = load("tolerations.yaml");
    (void)state;

    for (size_t i = 0; i < 2; i++) {
        char text[512];
        json_t *p;
        struct pt_outcome oc;
        const json_t *list;
        snprintf(text, sizeof(text),
                 "{'metadata':{'name':'e','labels':{'spark-role':'executor'}},"
                 "'spec':{'tolerations':[%s],'containers':[{'name':'spark-kubernetes-executor'}]}}",
                 have[i]);
        p = pod(text);
        run(set, p, &oc);
        list = at(pt_outcome_pod(&oc, p), "spec/tolerations");
        assert_int_equal(json_array_size(list), 2);
        assert_true(json_equal(json_array_get(list, 0), at(p, "spec/tolerations/0")));
        assert_string_equal(str_at(list, "1/value"), "spark");
        assert_string_equal(str_at(list, "1/effect"), "NoSchedule");
        assert_converges(set, p);
        pt_outcome_cleanup(&oc);
        json_decref(p);
    }
    pt_policy_set_unref(set);
}

/* 1 if s is valid UTF-8 (no cut in the middle of a character). */
static int valid_utf8(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;

    while (*u) {
        int n = *u < 0x80             ? 0
                : (*u & 0xE0) == 0xC0 ? 1
                : (*u & 0xF0) == 0xE0 ? 2
                : (*u & 0xF8) == 0xF0 ? 3
                                      : -1;
        if (n < 0)
            return 0;
        u++;
        for (int i = 0; i < n; i++, u++)
            if ((*u & 0xC0) != 0x80)
                return 0;
    }
    return 1;
}

static const char *DRIVER =
    "{'metadata':{'name':'d','labels':{'spark-role':'driver'}%s},"
    "'spec':{'nodeSelector':{'pool':'pool-the-submitter-picked-for-this-one-job-"
    "0123456789abcdefghij'},"
    "'containers':[{'name':'spark-kubernetes-driver','env':[{'name':'GREETING','value':"
    "'Aこんにちは、これは利用者の値です。こんにちは、これは利用者の値です。こんにちは'}],"
    "'args':%s}]}}";

static json_t *driver_pod(const char *annotations, const char *args)
{
    char text[2048];
    snprintf(text, sizeof(text), DRIVER, annotations, args);
    return pod(text);
}

/* Every warning stays under 120 bytes and is cut on a UTF-8 boundary, even
 * for long kept values with multi-byte characters. Mutations: no cut (both
 * the per-change and the engine cut); cut without backing off to a boundary. */
static void test_long_warnings_are_cut_under_120_bytes(void **state)
{
    struct pt_policy_set *set = load("driver.yaml");
    json_t *p = driver_pod("", "['driver','--properties-file','/opt/spark/conf/spark.properties',"
                               "'--class','Main','local:///app.jar']");
    struct pt_outcome oc;
    (void)state;

    run(set, p, &oc);
    assert_true(warned(&oc, "nodeSelector.pool"));
    assert_true(warned(&oc, "env.GREETING"));
    for (size_t i = 0; i < oc.n_warnings; i++) {
        if (strlen(oc.warnings[i]) >= 120)
            fail_msg("warning of %zu bytes: %s", strlen(oc.warnings[i]), oc.warnings[i]);
        if (!valid_utf8(oc.warnings[i]))
            fail_msg("warning cut inside a character: %s", oc.warnings[i]);
    }
    pt_outcome_cleanup(&oc);
    json_decref(p);
    pt_policy_set_unref(set);
}

/* `-c k=v` is spark-submit's short form of --conf: such a key is already
 * passed and left alone (kept, warned), the others are inserted right after
 * "driver". Mutation: only recognise the long form. */
static void test_spark_conf_short_form_counts(void **state)
{
    struct pt_policy_set *set = load("driver.yaml");
    json_t *p =
        driver_pod("", "['driver','-c','spark.sql.shuffle.partitions=10','--properties-file',"
                       "'/opt/spark/conf/spark.properties','--class','Main','local:///app.jar']");
    struct pt_outcome oc;
    const json_t *args;
    size_t n = 0, i;
    json_t *a;
    (void)state;

    run(set, p, &oc);
    args = at(pt_outcome_pod(&oc, p), "spec/containers/0/args");
    json_array_foreach(args, i, a) n +=
        strncmp(json_string_value(a), "spark.sql.shuffle.partitions=", 29) == 0;
    assert_int_equal(n, 1);
    assert_string_equal(str_at(args, "1"), "--conf");
    assert_string_equal(str_at(args, "2"), "spark.dynamicAllocation.enabled=true");
    assert_string_equal(str_at(args, "4"), "spark.sql.shuffle.partitions=10");
    assert_true(warned(&oc, "sparkConf.spark.sql.shuffle.partitions"));
    assert_converges(set, p);
    pt_outcome_cleanup(&oc);
    json_decref(p);
    pt_policy_set_unref(set);
}

/* A pod tuned earlier (another profile, an older policy set) has its
 * provenance annotations brought up to date. Mutation: fill them instead. */
static void test_provenance_is_always_current(void **state)
{
    struct pt_policy_set *set = load("driver.yaml");
    json_t *p = driver_pod(",'annotations':{'podtune.io/profile-applied':'old-profile',"
                           "'podtune.io/policy-digest':'sha256:000000000000'}",
                           "['driver','--class','Main','local:///app.jar']");
    struct pt_outcome oc;
    const json_t *t;
    (void)state;

    run(set, p, &oc);
    t = pt_outcome_pod(&oc, p);
    assert_string_equal(str_at(t, "metadata/annotations/podtune.io~1profile-applied"),
                        "driver-conf");
    assert_string_equal(str_at(t, "metadata/annotations/podtune.io~1policy-digest"), set->digest);
    assert_int_equal(strlen(set->digest), strlen("sha256:") + 12);
    pt_outcome_cleanup(&oc);
    json_decref(p);
    pt_policy_set_unref(set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flink_needs_type_label),
        cmocka_unit_test(test_main_container_falls_back_to_first),
        cmocka_unit_test(test_flink_main_container_by_name),
        cmocka_unit_test(test_spark_template_sidecar_first),
        cmocka_unit_test(test_create_only),
        cmocka_unit_test(test_pods_only),
        cmocka_unit_test(test_audit_annotations_name_the_changes),
        cmocka_unit_test(test_no_match_is_annotation_only),
        cmocka_unit_test(test_kept_and_skipped_values_warn),
        cmocka_unit_test(test_toleration_equality_is_all_four_fields),
        cmocka_unit_test(test_long_warnings_are_cut_under_120_bytes),
        cmocka_unit_test(test_spark_conf_short_form_counts),
        cmocka_unit_test(test_provenance_is_always_current),
    };
    return cmocka_run_group_tests_name("contract_rules", tests, NULL, NULL);
}
