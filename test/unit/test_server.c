/* test_server.c — server helpers: content type, patch field vocabulary, address parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "podtune/server.h"

static void test_is_json(void **state)
{
    (void)state;
    assert_true(pt_server_is_json("application/json"));
    assert_true(pt_server_is_json("application/json; charset=utf-8"));
    assert_true(pt_server_is_json("Application/JSON;charset=UTF-8"));
    assert_true(pt_server_is_json("  application/json  "));
    assert_false(pt_server_is_json(NULL));
    assert_false(pt_server_is_json(""));
    assert_false(pt_server_is_json("application/jsonx"));
    assert_false(pt_server_is_json("application/json-patch+json"));
    assert_false(pt_server_is_json("text/plain"));
    assert_false(pt_server_is_json("application/yaml"));
}

static void test_patch_field(void **state)
{
    static const struct {
        const char *path, *field;
    } cases[] = {
        {"/spec/tolerations/3", "tolerations"},
        {"/spec/tolerations", "tolerations"},
        {"/spec/tolerationsX", "other"},
        {"/spec/containers/1/resources/limits/memory", "resources"},
        {"/spec/containers/0/resources", "resources"},
        {"/spec/containers/12/env/4", "env"},
        {"/spec/containers/0/args/1", "command"},
        {"/spec/containers/0/command/2", "command"},
        {"/spec/containers/0/image", "other"},
        {"/spec/containers/x/env", "other"},
        {"/metadata/annotations/podtune.io~1profile-applied", "annotations"},
        {"/metadata/annotations", "annotations"},
        {"/metadata/labels/podtune.io~1tier", "labels"},
        {"/metadata/name", "metadata"},
        {"/spec/affinity/nodeAffinity", "affinity"},
        {"/spec/nodeSelector/node-type", "nodeSelector"},
        {"/spec/priorityClassName", "priority"},
        {"/spec/priority", "priority"},
        {"/spec/schedulerName", "schedulerName"},
        {"/spec/volumes/0", "other"},
        {"", "other"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_string_equal(pt_server_patch_field(cases[i].path), cases[i].field);
    assert_string_equal(pt_server_patch_field(NULL), "other");
}

static void test_parse_addr(void **state)
{
    char host[64];
    unsigned port = 1;
    (void)state;
    assert_int_equal(pt_server_parse_addr("0.0.0.0:8443", host, sizeof(host), &port), 0);
    assert_string_equal(host, "0.0.0.0");
    assert_int_equal(port, 8443);
    assert_int_equal(pt_server_parse_addr(":9090", host, sizeof(host), &port), 0);
    assert_string_equal(host, "");
    assert_int_equal(port, 9090);
    assert_int_equal(pt_server_parse_addr("[::1]:0", host, sizeof(host), &port), 0);
    assert_string_equal(host, "::1");
    assert_int_equal(port, 0);
    assert_int_equal(pt_server_parse_addr("localhost:65535", host, sizeof(host), &port), 0);
    assert_true(pt_server_parse_addr("localhost", host, sizeof(host), &port) < 0);
    assert_true(pt_server_parse_addr("h:65536", host, sizeof(host), &port) < 0);
    assert_true(pt_server_parse_addr("h:-1", host, sizeof(host), &port) < 0);
    assert_true(pt_server_parse_addr("h:", host, sizeof(host), &port) < 0);
    assert_true(pt_server_parse_addr("h:80x", host, sizeof(host), &port) < 0);
    assert_true(pt_server_parse_addr("::1:80", host, sizeof(host), &port) < 0);
    assert_true(pt_server_parse_addr("[::1]80", host, sizeof(host), &port) < 0);
    assert_true(pt_server_parse_addr("", host, sizeof(host), &port) < 0);
    assert_true(pt_server_parse_addr(NULL, host, sizeof(host), &port) < 0);
    assert_true(pt_server_parse_addr("averyveryverylonghostname:1", host, 8, &port) < 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_is_json),
        cmocka_unit_test(test_patch_field),
        cmocka_unit_test(test_parse_addr),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
