/* test_review.c — AdmissionReview decoding errors and response shape. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "podtune/diag.h"
#include "podtune/review.h"

static const char *POD_REVIEW =
    "{\"apiVersion\":\"%s\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"u-1\","
    "\"kind\":{\"group\":\"\",\"version\":\"v1\",\"kind\":\"Pod\"},"
    "\"resource\":{\"group\":\"\",\"version\":\"v1\",\"resource\":\"pods\"},"
    "\"operation\":\"%s\",\"namespace\":\"ns\",\"dryRun\":true,"
    "\"object\":{\"metadata\":{\"name\":\"p\",\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":[{\"name\":\"c\"}]}}}}";

static int decode(const char *body, struct pt_review *rv, struct pt_error *err)
{
    pt_error_clear(err);
    return pt_review_decode(body, strlen(body), rv, err);
}

static void test_decode_errors(void **state)
{
    static const struct {
        const char *body, *msg;
    } cases[] = {
        {"{\"apiVersion\":", "malformed JSON"},
        {"[]", "not a JSON object"},
        {"{\"kind\":\"AdmissionReview\"}", "apiVersion must be"},
        {"{\"apiVersion\":\"admission.k8s.io/v2\",\"kind\":\"AdmissionReview\"}", "apiVersion must be"},
        {"{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"Pod\"}", "kind must be AdmissionReview"},
        {"{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\"}", "no request"},
        {"{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{}}", "no uid"},
        {"{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":7}}", "no uid"},
        {"{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"\"}}", "no uid"},
        {"{\"a\":1,\"a\":2}", "malformed JSON"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct pt_review rv;
        struct pt_error err;
        assert_int_equal(decode(cases[i].body, &rv, &err), PT_EINVAL);
        if (!strstr(err.text, cases[i].msg))
            fail_msg("case %zu: '%s' does not contain '%s'", i, err.text, cases[i].msg);
        assert_null(rv.root);
    }
}

static json_t *respond(const char *api, const char *op, struct pt_outcome *oc)
{
    char body[2048];
    struct pt_review rv;
    struct pt_error err;
    json_t *resp;

    snprintf(body, sizeof(body), POD_REVIEW, api, op);
    assert_int_equal(decode(body, &rv, &err), 0);
    assert_true(rv.is_pod);
    assert_true(rv.dry_run);
    assert_string_equal(rv.namespace, "ns");
    resp = pt_review_respond(NULL, &rv, oc);
    pt_review_cleanup(&rv);
    return resp;
}

static void test_response_versions(void **state)
{
    const char *apis[] = {"admission.k8s.io/v1", "admission.k8s.io/v1beta1"};
    (void)state;
    for (size_t i = 0; i < 2; i++) {
        struct pt_outcome oc;
        json_t *resp = respond(apis[i], "CREATE", &oc), *r;
        assert_non_null(resp);
        assert_string_equal(json_string_value(json_object_get(resp, "apiVersion")), apis[i]);
        assert_string_equal(json_string_value(json_object_get(resp, "kind")), "AdmissionReview");
        r = json_object_get(resp, "response");
        assert_string_equal(json_string_value(json_object_get(r, "uid")), "u-1");
        assert_true(json_is_true(json_object_get(r, "allowed")));
        assert_null(json_object_get(r, "patch"));
        assert_null(json_object_get(r, "patchType"));
        assert_int_equal(oc.status, PT_STATUS_NOT_TARGET);
        pt_outcome_cleanup(&oc);
        json_decref(resp);
    }
}

static void test_other_operations_untouched(void **state)
{
    const char *ops[] = {"UPDATE", "DELETE", "CONNECT", ""};
    (void)state;
    for (size_t i = 0; i < 4; i++) {
        struct pt_outcome oc;
        json_t *resp = respond("admission.k8s.io/v1", ops[i], &oc);
        assert_non_null(resp);
        assert_null(json_object_get(json_object_get(resp, "response"), "patch"));
        assert_int_equal(oc.status, PT_STATUS_NOT_TARGET);
        pt_outcome_cleanup(&oc);
        json_decref(resp);
    }
}

/* A target pod with no policy set loaded is admitted unchanged, with a warning. */
static void test_fail_safe_without_policies(void **state)
{
    const char *body =
        "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"u-2\","
        "\"kind\":{\"group\":\"\",\"version\":\"v1\",\"kind\":\"Pod\"},"
        "\"resource\":{\"group\":\"\",\"version\":\"v1\",\"resource\":\"pods\"},\"operation\":\"CREATE\","
        "\"object\":{\"metadata\":{\"labels\":{\"spark-role\":\"driver\"}},\"spec\":{\"containers\":[{\"name\":\"c\"}]}}}}";
    struct pt_review rv;
    struct pt_error err;
    struct pt_outcome oc;
    json_t *resp, *r;
    (void)state;

    assert_int_equal(decode(body, &rv, &err), 0);
    resp = pt_review_respond(NULL, &rv, &oc);
    r = json_object_get(resp, "response");
    assert_true(json_is_true(json_object_get(r, "allowed")));
    assert_null(json_object_get(r, "patch"));
    assert_int_equal(oc.status, PT_STATUS_ERROR);
    assert_int_equal(json_array_size(json_object_get(r, "warnings")), 1);
    assert_true(strlen(json_string_value(json_array_get(json_object_get(r, "warnings"), 0))) < 120);
    pt_outcome_cleanup(&oc);
    json_decref(resp);
    pt_review_cleanup(&rv);
}

/* Subresources (pods/ephemeralcontainers, pods/binding) and other kinds are not pods to tune. */
static void test_subresource_not_pod(void **state)
{
    const char *body =
        "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"u\","
        "\"kind\":{\"group\":\"\",\"version\":\"v1\",\"kind\":\"Pod\"},"
        "\"resource\":{\"group\":\"\",\"version\":\"v1\",\"resource\":\"pods\"},\"subResource\":\"ephemeralcontainers\","
        "\"operation\":\"CREATE\",\"object\":{}}}";
    struct pt_review rv;
    struct pt_error err;
    (void)state;
    assert_int_equal(decode(body, &rv, &err), 0);
    assert_false(rv.is_pod);
    pt_review_cleanup(&rv);
}

/* Answers a CREATE review of pod (JSON text) under the bundled policies. */
static json_t *respond_bundled(const char *pod, struct pt_outcome *oc)
{
    struct pt_diags diags;
    struct pt_policy_set *set;
    struct pt_review rv;
    struct pt_error err;
    json_t *review, *resp;
    char *body;

    pt_diags_init(&diags);
    set = pt_policy_load_dir("policies", &diags);
    assert_non_null(set);
    pt_diags_cleanup(&diags);
    review = json_pack("{s:s, s:s, s:{s:s, s:{s:s, s:s, s:s}, s:{s:s, s:s, s:s}, s:s, s:s, s:o}}",
                       "apiVersion", "admission.k8s.io/v1", "kind", "AdmissionReview", "request",
                       "uid", "u-8", "kind", "group", "", "version", "v1", "kind", "Pod",
                       "resource", "group", "", "version", "v1", "resource", "pods", "operation",
                       "CREATE", "namespace", "etl", "object", json_loads(pod, 0, NULL));
    assert_non_null(review);
    body = json_dumps(review, JSON_COMPACT);
    assert_int_equal(decode(body, &rv, &err), 0);
    resp = pt_review_respond(set, &rv, oc);
    free(body);
    json_decref(review);
    pt_review_cleanup(&rv);
    pt_policy_set_unref(set);
    return resp;
}

/* Every string of the response is valid UTF-8 even where podtune cut a pod's
 * text in the middle of a character (a profile name quoted to 40 bytes, a
 * resource name cut to the field buffer): the pod is answered, not refused. */
static void test_cut_text_stays_utf8(void **state)
{
    char pod[2048], name[400];
    size_t n = 0;
    (void)state;

    /* 39 ASCII bytes then "é": the quote cuts between its two bytes */
    snprintf(pod, sizeof(pod),
             "{\"metadata\":{\"name\":\"d\",\"labels\":{\"spark-role\":\"driver\"},"
             "\"annotations\":{\"podtune.io/profile\":\"%s\\u00e9\"}},"
             "\"spec\":{\"containers\":[{\"name\":\"spark-kubernetes-driver\"}]}}",
             "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    {
        struct pt_outcome oc;
        json_t *resp = respond_bundled(pod, &oc), *w;
        assert_non_null(resp);
        assert_int_equal(oc.status, PT_STATUS_UNKNOWN_PROFILE);
        w = json_object_get(json_object_get(resp, "response"), "warnings");
        assert_int_equal(json_array_size(w), 1);
        assert_non_null(strstr(json_string_value(json_array_get(w, 0)), "does not exist"));
        pt_outcome_cleanup(&oc);
        json_decref(resp);
    }
    /* a resource name of 2-byte characters longer than the field buffer */
    n += (size_t)snprintf(name, sizeof(name), "x");
    while (n + 2 < sizeof(name))
        n += (size_t)snprintf(name + n, sizeof(name) - n, "\xc3\xa9");
    snprintf(pod, sizeof(pod),
             "{\"metadata\":{\"name\":\"e\",\"labels\":{\"spark-role\":\"executor\"}},"
             "\"spec\":{\"containers\":[{\"name\":\"spark-kubernetes-executor\","
             "\"resources\":{\"requests\":{\"%s\":\"lots\"}}}]}}",
             name);
    {
        struct pt_outcome oc;
        json_t *resp = respond_bundled(pod, &oc), *r;
        assert_non_null(resp);
        assert_int_equal(oc.status, PT_STATUS_TUNED);
        r = json_object_get(resp, "response");
        assert_non_null(json_object_get(r, "patch"));
        assert_non_null(strstr(json_string_value(json_object_get(
                                   json_object_get(r, "auditAnnotations"), "changes")),
                               "skipped"));
        pt_outcome_cleanup(&oc);
        json_decref(resp);
    }
}

/* Decoding a parsed value takes its reference, on success and on failure
 * (the valgrind tier turns a leak here into a failure). */
static void test_decode_value(void **state)
{
    struct pt_review rv;
    struct pt_error err;
    json_t *bad = json_pack("{s:s}", "apiVersion", "admission.k8s.io/v1");
    char body[2048];
    (void)state;

    pt_error_clear(&err);
    assert_int_equal(pt_review_decode_value(bad, &rv, &err), PT_EINVAL);
    assert_non_null(strstr(err.text, "kind must be AdmissionReview"));
    assert_null(rv.root);
    snprintf(body, sizeof(body), POD_REVIEW, "admission.k8s.io/v1", "CREATE");
    pt_error_clear(&err);
    assert_int_equal(pt_review_decode_value(json_loads(body, 0, NULL), &rv, &err), 0);
    assert_string_equal(rv.uid, "u-1");
    assert_true(rv.is_pod);
    pt_review_cleanup(&rv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_errors),
        cmocka_unit_test(test_decode_value),
        cmocka_unit_test(test_response_versions),
        cmocka_unit_test(test_other_operations_untouched),
        cmocka_unit_test(test_fail_safe_without_policies),
        cmocka_unit_test(test_subresource_not_pod),
        cmocka_unit_test(test_cut_text_stays_utf8),
    };
    return cmocka_run_group_tests_name("review", tests, NULL, NULL);
}
