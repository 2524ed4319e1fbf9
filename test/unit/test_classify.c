/* test_classify.c — roles, main containers and non-targets (contract §1). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "podtune/classify.h"

static void classify_json(const char *text, struct pt_class *c)
{
    json_error_t e;
    json_t *pod = json_loads(text, 0, &e);
    assert_non_null(pod);
    pt_classify(pod, c);
    json_decref(pod);
}

static void test_spark_roles(void **state)
{
    struct pt_class c;
    (void)state;
    classify_json("{\"metadata\":{\"labels\":{\"spark-role\":\"driver\"}},"
                  "\"spec\":{\"containers\":[{\"name\":\"spark-kubernetes-driver\"}]}}", &c);
    assert_int_equal(c.role, PT_ROLE_SPARK_DRIVER);
    assert_int_equal(c.main_container, 0);
    classify_json("{\"metadata\":{\"labels\":{\"spark-role\":\"executor\"}},"
                  "\"spec\":{\"containers\":[{\"name\":\"sidecar\"},{\"name\":\"spark-kubernetes-executor\"}]}}", &c);
    assert_int_equal(c.role, PT_ROLE_SPARK_EXECUTOR);
    assert_int_equal(c.main_container, 1); /* pod template: Spark's container comes after */
}

static void test_flink_roles(void **state)
{
    struct pt_class c;
    (void)state;
    classify_json("{\"metadata\":{\"labels\":{\"type\":\"flink-native-kubernetes\",\"component\":\"jobmanager\"}},"
                  "\"spec\":{\"containers\":[{\"name\":\"x\"},{\"name\":\"flink-main-container\"}]}}", &c);
    assert_int_equal(c.role, PT_ROLE_FLINK_JOBMANAGER);
    assert_int_equal(c.main_container, 1);
    classify_json("{\"metadata\":{\"labels\":{\"type\":\"flink-native-kubernetes\",\"component\":\"taskmanager\"}},"
                  "\"spec\":{\"containers\":[{\"name\":\"custom\"}]}}", &c);
    assert_int_equal(c.role, PT_ROLE_FLINK_TASKMANAGER);
    assert_int_equal(c.main_container, 0); /* no flink-main-container: the first */
}

static void test_not_targets(void **state)
{
    struct pt_class c;
    (void)state;
    classify_json("{\"metadata\":{\"labels\":{\"spark-role\":\"history\"}},\"spec\":{\"containers\":[{}]}}", &c);
    assert_int_equal(c.role, PT_ROLE_NONE);
    classify_json("{\"metadata\":{\"labels\":{\"component\":\"taskmanager\"}},\"spec\":{\"containers\":[{}]}}", &c);
    assert_int_equal(c.role, PT_ROLE_NONE);
    classify_json("{\"metadata\":{\"labels\":{\"type\":\"flink-native-kubernetes\",\"component\":\"other\"}},\"spec\":{\"containers\":[{}]}}", &c);
    assert_int_equal(c.role, PT_ROLE_NONE);
    classify_json("{\"metadata\":{\"labels\":{\"spark-role\":\"driver\"},"
                  "\"annotations\":{\"kubernetes.io/config.mirror\":\"abc\"}},\"spec\":{\"containers\":[{}]}}", &c);
    assert_int_equal(c.role, PT_ROLE_NONE);
    assert_non_null(strstr(c.reason, "mirror"));
    /* malformed shapes never crash and are not targets */
    classify_json("{\"metadata\":{\"labels\":{\"spark-role\":\"driver\"}},\"spec\":{\"containers\":[]}}", &c);
    assert_int_equal(c.role, PT_ROLE_NONE);
    classify_json("{\"metadata\":{\"labels\":{\"spark-role\":\"driver\"}},\"spec\":{\"containers\":\"x\"}}", &c);
    assert_int_equal(c.role, PT_ROLE_NONE);
    classify_json("{\"metadata\":{\"labels\":{\"spark-role\":1}},\"spec\":{\"containers\":[{}]}}", &c);
    assert_int_equal(c.role, PT_ROLE_NONE);
    classify_json("{\"metadata\":{\"labels\":{\"spark-role\":\"driver\"}},\"spec\":{\"containers\":[1]}}", &c);
    assert_int_equal(c.role, PT_ROLE_NONE);
    classify_json("[]", &c);
    assert_int_equal(c.role, PT_ROLE_NONE);
    classify_json("{\"spec\":{}}", &c);
    assert_int_equal(c.role, PT_ROLE_NONE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spark_roles),
        cmocka_unit_test(test_flink_roles),
        cmocka_unit_test(test_not_targets),
    };
    return cmocka_run_group_tests_name("classify", tests, NULL, NULL);
}
