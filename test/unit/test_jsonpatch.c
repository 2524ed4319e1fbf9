/* test_jsonpatch.c — RFC 6901 pointers and RFC 6902 diff/apply: RFC examples, edge cases, errors,
 * properties. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "podtune/jsonpatch.h"

static json_t *J(const char *text)
{
    json_error_t jerr;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &jerr);
    if (!v)
        fail_msg("bad test JSON %s: %s", text, jerr.text);
    return v;
}

/* Asserts that two values are equal (strictly) and prints both if not. */
static void assert_json_eq(const json_t *got, const json_t *want)
{
    if (!json_equal(got, want)) {
        char *g = json_dumps(got, JSON_ENCODE_ANY | JSON_COMPACT);
        char *w = json_dumps(want, JSON_ENCODE_ANY | JSON_COMPACT);
        print_error("got  %s\nwant %s\n", g ? g : "(null)", w ? w : "(null)");
        free(g);
        free(w);
        fail();
    }
}

/* Applies patch to doc; want == NULL means it must fail with a message
 * containing errpart. Also checks that doc is never modified. */
static void check_apply(const char *doc, const char *patch, const char *want, const char *errpart)
{
    json_t *d = J(doc), *p = J(patch), *before = json_deep_copy(d), *out = NULL;
    struct pt_error err;
    pt_error_clear(&err);
    int rc = pt_patch_apply(d, p, &out, &err);
    if (want) {
        if (rc)
            fail_msg("apply %s to %s failed: %s", patch, doc, err.text);
        json_t *w = J(want);
        assert_json_eq(out, w);
        json_decref(w);
    } else {
        if (rc == 0) {
            char *g = json_dumps(out, JSON_ENCODE_ANY | JSON_COMPACT);
            fail_msg("apply %s to %s succeeded with %s; want error containing '%s'", patch, doc, g,
                     errpart);
        }
        assert_int_equal(rc, PT_EINVAL);
        assert_null(out);
        if (!strstr(err.text, errpart))
            fail_msg("error '%s' does not contain '%s'", err.text, errpart);
    }
    assert_json_eq(d, before);
    json_decref(out);
    json_decref(d);
    json_decref(p);
    json_decref(before);
}

/* ---- pointers ---- */

static void test_pointer_append(void **state)
{
    (void)state;
    char buf[64] = "";
    assert_int_equal(pt_pointer_append(buf, sizeof(buf), "metadata"), 0);
    assert_int_equal(pt_pointer_append(buf, sizeof(buf), "labels"), 0);
    assert_int_equal(pt_pointer_append(buf, sizeof(buf), "podtune.io/profile"), 0);
    assert_string_equal(buf, "/metadata/labels/podtune.io~1profile");
    buf[0] = '\0';
    assert_int_equal(pt_pointer_append(buf, sizeof(buf), "a~b/c~1"), 0);
    assert_string_equal(buf, "/a~0b~1c~01");
    buf[0] = '\0';
    assert_int_equal(pt_pointer_append(buf, sizeof(buf), ""), 0);
    assert_string_equal(buf, "/");

    char small[6] = "/ab";
    assert_int_equal(pt_pointer_append(small, sizeof(small), "c"), 0); /* "/ab/c" fits exactly */
    assert_string_equal(small, "/ab/c");
    assert_int_equal(pt_pointer_append(small, sizeof(small), "d"), PT_ERANGE);
    assert_string_equal(small, "/ab/c"); /* untouched on error */
    char tiny[4] = "";
    assert_int_equal(pt_pointer_append(tiny, sizeof(tiny), "~~"), PT_ERANGE);
    assert_string_equal(tiny, "");
}

static void test_pointer_get_rfc6901(void **state)
{
    (void)state;
    json_t *doc = J("{\"foo\":[\"bar\",\"baz\"],\"\":0,\"a/b\":1,\"c%d\":2,\"e^f\":3,\"g|h\":4,"
                    "\"i\\\\j\":5,\"k\\\"l\":6,\" \":7,\"m~n\":8}");
    assert_ptr_equal(pt_pointer_get(doc, ""), doc);
    assert_string_equal(json_string_value(pt_pointer_get(doc, "/foo/0")), "bar");
    assert_string_equal(json_string_value(pt_pointer_get(doc, "/foo/1")), "baz");
    struct {
        const char *ptr;
        json_int_t want;
    } cases[] = {{"/", 0},     {"/a~1b", 1}, {"/c%d", 2}, {"/e^f", 3}, {"/g|h", 4},
                 {"/i\\j", 5}, {"/k\"l", 6}, {"/ ", 7},   {"/m~0n", 8}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *v = pt_pointer_get(doc, cases[i].ptr);
        if (!v || json_integer_value(v) != cases[i].want)
            fail_msg("pointer %s", cases[i].ptr);
    }
    assert_null(pt_pointer_get(doc, "/foo/2"));
    assert_null(pt_pointer_get(doc, "/foo/-"));
    assert_null(pt_pointer_get(doc, "/foo/01"));
    assert_null(pt_pointer_get(doc, "/foo/-1"));
    assert_null(pt_pointer_get(doc, "/foo/+1"));
    assert_null(pt_pointer_get(doc, "/foo/1x"));
    assert_null(pt_pointer_get(doc, "/foo/99999999999999999999999999"));
    assert_null(pt_pointer_get(doc, "/m~2n"));
    assert_null(pt_pointer_get(doc, "/m~"));
    assert_null(pt_pointer_get(doc, "foo"));
    assert_null(pt_pointer_get(doc, "/foo/0/x"));
    assert_null(pt_pointer_get(doc, "/nope"));
    assert_null(pt_pointer_get(NULL, ""));
    json_decref(doc);
}

/* ---- RFC 6902 Appendix A ---- */

static void test_rfc6902_appendix_a(void **state)
{
    (void)state;
    /* A.1 */
    check_apply("{\"foo\":\"bar\"}", "[{\"op\":\"add\",\"path\":\"/baz\",\"value\":\"qux\"}]",
                "{\"baz\":\"qux\",\"foo\":\"bar\"}", NULL);
    /* A.2 */
    check_apply("{\"foo\":[\"bar\",\"baz\"]}",
                "[{\"op\":\"add\",\"path\":\"/foo/1\",\"value\":\"qux\"}]",
                "{\"foo\":[\"bar\",\"qux\",\"baz\"]}", NULL);
    /* A.3 */
    check_apply("{\"baz\":\"qux\",\"foo\":\"bar\"}", "[{\"op\":\"remove\",\"path\":\"/baz\"}]",
                "{\"foo\":\"bar\"}", NULL);
    /* A.4 */
    check_apply("{\"foo\":[\"bar\",\"qux\",\"baz\"]}", "[{\"op\":\"remove\",\"path\":\"/foo/1\"}]",
                "{\"foo\":[\"bar\",\"baz\"]}", NULL);
    /* A.5 */
    check_apply("{\"baz\":\"qux\",\"foo\":\"bar\"}",
                "[{\"op\":\"replace\",\"path\":\"/baz\",\"value\":\"boo\"}]",
                "{\"baz\":\"boo\",\"foo\":\"bar\"}", NULL);
    /* A.6 */
    check_apply("{\"foo\":{\"bar\":\"baz\",\"waldo\":\"fred\"},\"qux\":{\"corge\":\"grault\"}}",
                "[{\"op\":\"move\",\"from\":\"/foo/waldo\",\"path\":\"/qux/thud\"}]",
                "{\"foo\":{\"bar\":\"baz\"},\"qux\":{\"corge\":\"grault\",\"thud\":\"fred\"}}",
                NULL);
    /* A.7 */
    check_apply("{\"foo\":[\"all\",\"grass\",\"cows\",\"eat\"]}",
                "[{\"op\":\"move\",\"from\":\"/foo/1\",\"path\":\"/foo/3\"}]",
                "{\"foo\":[\"all\",\"cows\",\"eat\",\"grass\"]}", NULL);
    /* A.8 */
    check_apply("{\"baz\":\"qux\",\"foo\":[\"a\",2,\"c\"]}",
                "[{\"op\":\"test\",\"path\":\"/baz\",\"value\":\"qux\"},"
                "{\"op\":\"test\",\"path\":\"/foo/1\",\"value\":2}]",
                "{\"baz\":\"qux\",\"foo\":[\"a\",2,\"c\"]}", NULL);
    /* A.9 */
    check_apply("{\"baz\":\"qux\"}", "[{\"op\":\"test\",\"path\":\"/baz\",\"value\":\"bar\"}]",
                NULL, "operation 0 (test /baz): test failed");
    /* A.10 */
    check_apply("{\"foo\":\"bar\"}",
                "[{\"op\":\"add\",\"path\":\"/child\",\"value\":{\"grandchild\":{}}}]",
                "{\"foo\":\"bar\",\"child\":{\"grandchild\":{}}}", NULL);
    /* A.11 */
    check_apply("{\"foo\":\"bar\"}",
                "[{\"op\":\"add\",\"path\":\"/baz\",\"value\":\"qux\",\"xyz\":123}]",
                "{\"foo\":\"bar\",\"baz\":\"qux\"}", NULL);
    /* A.12 */
    check_apply("{\"foo\":\"bar\"}", "[{\"op\":\"add\",\"path\":\"/baz/bat\",\"value\":\"qux\"}]",
                NULL, "operation 0 (add /baz/bat): member \"baz\" does not exist");
    /* A.13 (duplicate "op") cannot be expressed once parsed: jansson keeps one member. */
    /* A.14 */
    check_apply("{\"/\":9,\"~1\":10}", "[{\"op\":\"test\",\"path\":\"/~01\",\"value\":10}]",
                "{\"/\":9,\"~1\":10}", NULL);
    /* A.15 */
    check_apply("{\"/\":9,\"~1\":10}", "[{\"op\":\"test\",\"path\":\"/~01\",\"value\":\"10\"}]",
                NULL, "test failed");
    /* A.16 */
    check_apply("{\"foo\":[\"bar\"]}",
                "[{\"op\":\"add\",\"path\":\"/foo/-\",\"value\":[\"abc\",\"def\"]}]",
                "{\"foo\":[\"bar\",[\"abc\",\"def\"]]}", NULL);
}

/* ---- edge cases from the RFC's test suite ---- */

static void test_apply_edge_cases(void **state)
{
    (void)state;
    check_apply("{}", "[]", "{}", NULL);
    check_apply("{\"foo\":1}", "[]", "{\"foo\":1}", NULL);
    /* add to an existing member replaces it, keeping its place */
    check_apply("{\"foo\":1,\"bar\":2}", "[{\"op\":\"add\",\"path\":\"/foo\",\"value\":3}]",
                "{\"foo\":3,\"bar\":2}", NULL);
    /* whole document */
    check_apply("{\"foo\":1}", "[{\"op\":\"add\",\"path\":\"\",\"value\":[1,2]}]", "[1,2]", NULL);
    check_apply("{\"foo\":1}", "[{\"op\":\"replace\",\"path\":\"\",\"value\":{\"baz\":\"qux\"}}]",
                "{\"baz\":\"qux\"}", NULL);
    check_apply("[1]", "[{\"op\":\"test\",\"path\":\"\",\"value\":[1]}]", "[1]", NULL);
    check_apply("{\"a\":1}", "[{\"op\":\"remove\",\"path\":\"\"}]", NULL,
                "cannot remove the whole document");
    /* empty-string key */
    check_apply("{\"\":1}", "[{\"op\":\"test\",\"path\":\"/\",\"value\":1}]", "{\"\":1}", NULL);
    check_apply("{}", "[{\"op\":\"add\",\"path\":\"/\",\"value\":1}]", "{\"\":1}", NULL);
    /* numeric-looking keys are object members */
    check_apply("{\"1e0\":\"foo\"}", "[{\"op\":\"test\",\"path\":\"/1e0\",\"value\":\"foo\"}]",
                "{\"1e0\":\"foo\"}", NULL);
    check_apply("{\"foo\":1}", "[{\"op\":\"add\",\"path\":\"/01\",\"value\":2}]",
                "{\"foo\":1,\"01\":2}", NULL);
    /* arrays: index == length appends, "-" appends, first position */
    check_apply("[1,2]", "[{\"op\":\"add\",\"path\":\"/2\",\"value\":3}]", "[1,2,3]", NULL);
    check_apply("[1,2]", "[{\"op\":\"add\",\"path\":\"/-\",\"value\":3}]", "[1,2,3]", NULL);
    check_apply("[1,2]", "[{\"op\":\"add\",\"path\":\"/0\",\"value\":0}]", "[0,1,2]", NULL);
    check_apply("[]", "[{\"op\":\"add\",\"path\":\"/0\",\"value\":\"x\"}]", "[\"x\"]", NULL);
    check_apply("{\"foo\":[1,2]}", "[{\"op\":\"add\",\"path\":\"/foo/-\",\"value\":{\"a\":[]}}]",
                "{\"foo\":[1,2,{\"a\":[]}]}", NULL);
    /* null is a valid value */
    check_apply("{}", "[{\"op\":\"add\",\"path\":\"/foo\",\"value\":null}]", "{\"foo\":null}",
                NULL);
    check_apply("{\"foo\":null}", "[{\"op\":\"test\",\"path\":\"/foo\",\"value\":null}]",
                "{\"foo\":null}", NULL);
    check_apply("{\"foo\":null}", "[{\"op\":\"replace\",\"path\":\"/foo\",\"value\":true}]",
                "{\"foo\":true}", NULL);
    check_apply("{\"foo\":null}", "[{\"op\":\"remove\",\"path\":\"/foo\"}]", "{}", NULL);
    check_apply("{\"foo\":null}", "[{\"op\":\"move\",\"from\":\"/foo\",\"path\":\"/bar\"}]",
                "{\"bar\":null}", NULL);
    check_apply("{\"foo\":null}", "[{\"op\":\"copy\",\"from\":\"/foo\",\"path\":\"/bar\"}]",
                "{\"foo\":null,\"bar\":null}", NULL);
    /* replace keeps key order and array position */
    check_apply("{\"a\":1,\"b\":2,\"c\":3}", "[{\"op\":\"replace\",\"path\":\"/b\",\"value\":9}]",
                "{\"a\":1,\"b\":9,\"c\":3}", NULL);
    check_apply("[1,2,3]", "[{\"op\":\"replace\",\"path\":\"/1\",\"value\":[9]}]", "[1,[9],3]",
                NULL);
    /* move: to itself is a no-op, within arrays, to the end */
    check_apply("{\"a\":{\"b\":1}}", "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/a\"}]",
                "{\"a\":{\"b\":1}}", NULL);
    check_apply("[1,2,3,4]", "[{\"op\":\"move\",\"from\":\"/3\",\"path\":\"/0\"}]", "[4,1,2,3]",
                NULL);
    check_apply("[1,2,3,4]", "[{\"op\":\"move\",\"from\":\"/0\",\"path\":\"/-\"}]", "[2,3,4,1]",
                NULL);
    check_apply("{\"a\":{\"b\":1},\"ab\":2}",
                "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/ab/c\"}]", NULL,
                "cannot add a member to a number");
    check_apply("{\"a\":{\"b\":1},\"ab\":{}}",
                "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/ab/c\"}]",
                "{\"ab\":{\"c\":{\"b\":1}}}", NULL);
    /* copy is deep: changing the copy leaves the source alone */
    check_apply("{\"a\":{\"b\":1}}",
                "[{\"op\":\"copy\",\"from\":\"/a\",\"path\":\"/c\"},"
                "{\"op\":\"replace\",\"path\":\"/c/b\",\"value\":2}]",
                "{\"a\":{\"b\":1},\"c\":{\"b\":2}}", NULL);
    check_apply("[[1]]", "[{\"op\":\"copy\",\"from\":\"/0\",\"path\":\"/0/-\"}]", "[[1,[1]]]",
                NULL);
    /* test: deep equality, key order irrelevant, numbers by value */
    check_apply("{\"a\":{\"x\":1,\"y\":[1,{\"z\":true}]}}",
                "[{\"op\":\"test\",\"path\":\"/a\",\"value\":{\"y\":[1,{\"z\":true}],\"x\":1}}]",
                "{\"a\":{\"x\":1,\"y\":[1,{\"z\":true}]}}", NULL);
    check_apply("{\"n\":1}", "[{\"op\":\"test\",\"path\":\"/n\",\"value\":1.0}]", "{\"n\":1}",
                NULL);
    check_apply("{\"n\":1.5}", "[{\"op\":\"test\",\"path\":\"/n\",\"value\":1.5}]", "{\"n\":1.5}",
                NULL);
    check_apply("{\"n\":[2.0]}", "[{\"op\":\"test\",\"path\":\"/n\",\"value\":[2]}]",
                "{\"n\":[2.0]}", NULL);
    check_apply("{\"n\":1}", "[{\"op\":\"test\",\"path\":\"/n\",\"value\":1.5}]", NULL,
                "test failed");
    check_apply("{\"n\":1}", "[{\"op\":\"test\",\"path\":\"/n\",\"value\":true}]", NULL,
                "test failed");
    check_apply("{\"n\":0}", "[{\"op\":\"test\",\"path\":\"/n\",\"value\":null}]", NULL,
                "test failed");
    check_apply("{\"n\":9007199254740993}",
                "[{\"op\":\"test\",\"path\":\"/n\",\"value\":9007199254740992.0}]", NULL,
                "test failed");
    check_apply("{\"a\":{\"x\":1}}",
                "[{\"op\":\"test\",\"path\":\"/a\",\"value\":{\"x\":1,\"y\":2}}]", NULL,
                "test failed");
    check_apply("{\"a\":[1,2]}", "[{\"op\":\"test\",\"path\":\"/a\",\"value\":[2,1]}]", NULL,
                "test failed");
    /* "-" is only special in arrays; in an object it is an ordinary key */
    check_apply("{\"-\":1}", "[{\"op\":\"replace\",\"path\":\"/-\",\"value\":2}]", "{\"-\":2}",
                NULL);
    check_apply("{\"-\":1}", "[{\"op\":\"remove\",\"path\":\"/-\"}]", "{}", NULL);
    /* escaped keys */
    check_apply("{}",
                "[{\"op\":\"add\",\"path\":\"/podtune.io~1profile\",\"value\":\"x\"},"
                "{\"op\":\"add\",\"path\":\"/a~0b\",\"value\":\"y\"}]",
                "{\"podtune.io/profile\":\"x\",\"a~b\":\"y\"}", NULL);
}

/* ---- every error ---- */

static void test_apply_errors(void **state)
{
    (void)state;
    /* the message format the engine and CLI rely on */
    check_apply("{\"spec\":{\"tolerations\":[1,2]}}",
                "[{\"op\":\"test\",\"path\":\"/spec\",\"value\":{\"tolerations\":[1,2]}},"
                "{\"op\":\"add\",\"path\":\"/spec/x\",\"value\":1},"
                "{\"op\":\"remove\",\"path\":\"/spec/x\"},"
                "{\"op\":\"add\",\"path\":\"/spec/tolerations/7\",\"value\":3}]",
                NULL,
                "operation 3 (add /spec/tolerations/7): index 7 is past the end of an "
                "array of 2");
    check_apply("{}", "{}", NULL, "a patch must be a JSON array");
    check_apply("{}", "[1]", NULL, "operation 0: an operation must be an object, not a number");
    check_apply("{}", "[{\"path\":\"/a\",\"value\":1}]", NULL, "operation 0: missing \"op\"");
    check_apply("{}", "[{\"op\":\"add\",\"value\":1}]", NULL, "operation 0: missing \"path\"");
    check_apply("{}", "[{\"op\":\"add\",\"path\":\"/a\"}]", NULL,
                "operation 0 (add /a): missing \"value\"");
    check_apply("{\"a\":1}", "[{\"op\":\"replace\",\"path\":\"/a\"}]", NULL, "missing \"value\"");
    check_apply("{\"a\":1}", "[{\"op\":\"test\",\"path\":\"/a\"}]", NULL, "missing \"value\"");
    check_apply("{\"a\":1}", "[{\"op\":\"move\",\"path\":\"/b\"}]", NULL, "missing \"from\"");
    check_apply("{\"a\":1}", "[{\"op\":\"copy\",\"path\":\"/b\"}]", NULL, "missing \"from\"");
    check_apply("{}", "[{\"op\":1,\"path\":\"/a\"}]", NULL, "\"op\" is a number, not a string");
    check_apply("{}", "[{\"op\":\"add\",\"path\":null,\"value\":1}]", NULL,
                "\"path\" is null, not a string");
    check_apply("{\"a\":1}", "[{\"op\":\"move\",\"from\":2,\"path\":\"/b\"}]", NULL,
                "\"from\" is a number");
    check_apply("{}", "[{\"op\":\"frobnicate\",\"path\":\"/a\"}]", NULL,
                "operation 0 (frobnicate /a): unknown operation \"frobnicate\"");
    check_apply("{}", "[{\"op\":\"ADD\",\"path\":\"/a\",\"value\":1}]", NULL, "unknown operation");
    /* bad pointers */
    check_apply("{}", "[{\"op\":\"add\",\"path\":\"a\",\"value\":1}]", NULL,
                "bad path pointer \"a\"");
    check_apply("{\"a\":1}", "[{\"op\":\"add\",\"path\":\"/~2\",\"value\":1}]", NULL,
                "\"~\" must be followed by \"0\" or \"1\"");
    check_apply("{\"a\":1}", "[{\"op\":\"add\",\"path\":\"/a~\",\"value\":1}]", NULL,
                "must be followed");
    check_apply("{\"a\":1}", "[{\"op\":\"copy\",\"from\":\"a\",\"path\":\"/b\"}]", NULL,
                "bad from pointer");
    /* array indices */
    check_apply("[1,2]", "[{\"op\":\"add\",\"path\":\"/3\",\"value\":3}]", NULL,
                "operation 0 (add /3): index 3 is past the end of an array of 2");
    check_apply("[1,2]", "[{\"op\":\"add\",\"path\":\"/01\",\"value\":3}]", NULL,
                "\"01\" is not an array index");
    check_apply("[1,2]", "[{\"op\":\"add\",\"path\":\"/-1\",\"value\":3}]", NULL,
                "not an array index");
    check_apply("[1,2]", "[{\"op\":\"add\",\"path\":\"/1e0\",\"value\":3}]", NULL,
                "not an array index");
    check_apply("[1,2]", "[{\"op\":\"add\",\"path\":\"/+1\",\"value\":3}]", NULL,
                "not an array index");
    check_apply("[1,2]", "[{\"op\":\"add\",\"path\":\"/\",\"value\":3}]", NULL,
                "not an array index");
    check_apply("[1,2]", "[{\"op\":\"add\",\"path\":\"/99999999999999999999999\",\"value\":3}]",
                NULL, "not an array index");
    check_apply("{\"foo\":[1,2]}", "[{\"op\":\"remove\",\"path\":\"/foo/2\"}]", NULL,
                "operation 0 (remove /foo/2): index 2 is past the end of an array of 2");
    check_apply("{\"foo\":[1,2]}", "[{\"op\":\"remove\",\"path\":\"/foo/-\"}]", NULL,
                "\"-\" is not an array index");
    check_apply("{\"foo\":[1,2]}", "[{\"op\":\"replace\",\"path\":\"/foo/2\",\"value\":0}]", NULL,
                "index 2 is past the end");
    check_apply("{\"foo\":[1,2]}", "[{\"op\":\"replace\",\"path\":\"/foo/-\",\"value\":0}]", NULL,
                "not an array index");
    check_apply("{\"foo\":[1,2]}", "[{\"op\":\"test\",\"path\":\"/foo/00\",\"value\":1}]", NULL,
                "\"00\" is not an array index");
    check_apply("{\"foo\":[1,2]}", "[{\"op\":\"test\",\"path\":\"/foo/-\",\"value\":1}]", NULL,
                "not an array index");
    check_apply("{\"foo\":1,\"baz\":[{\"qux\":\"hello\"}]}",
                "[{\"op\":\"add\",\"path\":\"/baz/1e0/qux\",\"value\":1}]", NULL,
                "\"1e0\" is not an array index");
    check_apply("{\"foo\":1,\"baz\":[{\"qux\":\"hello\"}]}",
                "[{\"op\":\"remove\",\"path\":\"/baz/1e0/qux\"}]", NULL, "not an array index");
    /* missing targets */
    check_apply("{\"a\":1}", "[{\"op\":\"remove\",\"path\":\"/b\"}]", NULL,
                "operation 0 (remove /b): member \"b\" does not exist");
    check_apply("{\"a\":1}", "[{\"op\":\"replace\",\"path\":\"/b\",\"value\":1}]", NULL,
                "member \"b\" does not exist");
    check_apply("{\"a\":1}", "[{\"op\":\"test\",\"path\":\"/b\",\"value\":1}]", NULL,
                "member \"b\" does not exist");
    check_apply("{\"a\":1}", "[{\"op\":\"move\",\"from\":\"/b\",\"path\":\"/c\"}]", NULL,
                "operation 0 (move /c): member \"b\" does not exist");
    check_apply("{\"a\":1}", "[{\"op\":\"copy\",\"from\":\"/b/c\",\"path\":\"/c\"}]", NULL,
                "member \"b\" does not exist");
    check_apply("{\"a\":{}}", "[{\"op\":\"add\",\"path\":\"/a/b/c\",\"value\":1}]", NULL,
                "member \"b\" does not exist");
    /* scalar parents */
    check_apply("{\"a\":1}", "[{\"op\":\"add\",\"path\":\"/a/b\",\"value\":1}]", NULL,
                "cannot add a member to a number");
    check_apply("{\"a\":\"s\"}", "[{\"op\":\"remove\",\"path\":\"/a/0\"}]", NULL,
                "cannot remove a member of a string");
    check_apply("{\"a\":true}", "[{\"op\":\"test\",\"path\":\"/a/x/y\",\"value\":1}]", NULL,
                "cannot descend into a boolean");
    check_apply("5", "[{\"op\":\"add\",\"path\":\"/a\",\"value\":1}]", NULL,
                "cannot add a member to a number");
    /* move into its own child */
    check_apply("{\"a\":{\"b\":{}}}", "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/a/b/c\"}]",
                NULL, "operation 0 (move /a/b/c): cannot move \"/a\" into its own child");
    check_apply("[{\"a\":{}}]", "[{\"op\":\"move\",\"from\":\"/0\",\"path\":\"/0/a/b\"}]", NULL,
                "cannot move \"/0\" into its own child");
    check_apply("{\"a\":{\"b\":{}}}", "[{\"op\":\"move\",\"from\":\"\",\"path\":\"/a\"}]", NULL,
                "into its own child");
    /* atomic: the earlier successful operations are thrown away */
    check_apply("{\"a\":[1]}",
                "[{\"op\":\"add\",\"path\":\"/a/-\",\"value\":2},"
                "{\"op\":\"remove\",\"path\":\"/a/0\"},"
                "{\"op\":\"replace\",\"path\":\"\",\"value\":7},"
                "{\"op\":\"test\",\"path\":\"\",\"value\":8}]",
                NULL, "operation 3 (test \"\"): test failed");

    /* err may be NULL and *out is always reset */
    json_t *d = J("{}"), *p = J("[{\"op\":\"remove\",\"path\":\"/x\"}]"), *out = d;
    assert_int_equal(pt_patch_apply(d, p, &out, NULL), PT_EINVAL);
    assert_null(out);
    assert_int_equal(pt_patch_apply(NULL, p, &out, NULL), PT_EINVAL);
    json_decref(d);
    json_decref(p);
}

/* ---- diff ---- */

/* Checks diff(from, to) == want exactly and that applying it gives to. */
static void check_diff(const char *from, const char *to, const char *want)
{
    json_t *f = J(from), *t = J(to), *w = J(want);
    json_t *fcopy = json_deep_copy(f), *tcopy = json_deep_copy(t);
    json_t *patch = pt_patch_diff(f, t), *out = NULL;
    assert_non_null(patch);
    assert_json_eq(patch, w);
    struct pt_error err;
    pt_error_clear(&err);
    if (pt_patch_apply(f, patch, &out, &err))
        fail_msg("diff of %s -> %s does not apply: %s", from, to, err.text);
    assert_json_eq(out, t);
    assert_json_eq(f, fcopy);
    assert_json_eq(t, tcopy);
    json_decref(f);
    json_decref(t);
    json_decref(w);
    json_decref(fcopy);
    json_decref(tcopy);
    json_decref(patch);
    json_decref(out);
}

static void test_diff(void **state)
{
    (void)state;
    check_diff("{\"a\":1}", "{\"a\":1}", "[]");
    check_diff("[1,[2,{\"x\":null}]]", "[1,[2,{\"x\":null}]]", "[]");
    check_diff("{}", "{\"b\":1,\"a\":2}",
               "[{\"op\":\"add\",\"path\":\"/b\",\"value\":1},"
               "{\"op\":\"add\",\"path\":\"/a\",\"value\":2}]");
    check_diff("{\"z\":1,\"y\":2,\"k\":0}", "{\"k\":0}",
               "[{\"op\":\"remove\",\"path\":\"/z\"},{\"op\":\"remove\",\"path\":\"/y\"}]");
    check_diff("{\"a\":1,\"b\":2}", "{\"a\":\"1\",\"c\":3}",
               "[{\"op\":\"remove\",\"path\":\"/b\"},"
               "{\"op\":\"replace\",\"path\":\"/a\",\"value\":\"1\"},"
               "{\"op\":\"add\",\"path\":\"/c\",\"value\":3}]");
    /* nested objects recurse; escaped keys */
    check_diff(
        "{\"metadata\":{\"labels\":{\"app\":\"x\"}}}",
        "{\"metadata\":{\"labels\":{\"app\":\"x\",\"podtune.io/profile\":\"p\",\"a~b\":1}}}",
        "[{\"op\":\"add\",\"path\":\"/metadata/labels/podtune.io~1profile\",\"value\":\"p\"},"
        "{\"op\":\"add\",\"path\":\"/metadata/labels/a~0b\",\"value\":1}]");
    /* type changes replace */
    check_diff("{\"a\":{\"b\":1}}", "{\"a\":[1]}",
               "[{\"op\":\"replace\",\"path\":\"/a\",\"value\":[1]}]");
    check_diff("{\"a\":1}", "{\"a\":1.0}", "[{\"op\":\"replace\",\"path\":\"/a\",\"value\":1.0}]");
    check_diff("{\"a\":null}", "{\"a\":false}",
               "[{\"op\":\"replace\",\"path\":\"/a\",\"value\":false}]");
    check_diff("[1]", "{}", "[{\"op\":\"replace\",\"path\":\"\",\"value\":{}}]");
    check_diff("1", "2", "[{\"op\":\"replace\",\"path\":\"\",\"value\":2}]");
    /* the Spark driver insertion: exactly two adds */
    check_diff("{\"args\":[\"driver\",\"--properties-file\",\"/opt/spark/conf/spark.properties\","
               "\"--class\",\"Main\"]}",
               "{\"args\":[\"driver\",\"--conf\",\"k=v\",\"--properties-file\","
               "\"/opt/spark/conf/spark.properties\",\"--class\",\"Main\"]}",
               "[{\"op\":\"add\",\"path\":\"/args/1\",\"value\":\"--conf\"},"
               "{\"op\":\"add\",\"path\":\"/args/2\",\"value\":\"k=v\"}]");
    /* append uses explicit indices */
    check_diff("[1,2]", "[1,2,3,4]",
               "[{\"op\":\"add\",\"path\":\"/2\",\"value\":3},{\"op\":\"add\",\"path\":\"/3\","
               "\"value\":4}]");
    check_diff("[]", "[{}]", "[{\"op\":\"add\",\"path\":\"/0\",\"value\":{}}]");
    /* removals from the highest index down */
    check_diff("[1,2,3,4,5]", "[1,5]",
               "[{\"op\":\"remove\",\"path\":\"/3\"},{\"op\":\"remove\",\"path\":\"/2\"},"
               "{\"op\":\"remove\",\"path\":\"/1\"}]");
    check_diff("[1,2,3]", "[]",
               "[{\"op\":\"remove\",\"path\":\"/2\"},{\"op\":\"remove\",\"path\":\"/1\"},"
               "{\"op\":\"remove\",\"path\":\"/0\"}]");
    /* the middle: paired positions replace or recurse, then adds */
    check_diff("[0,{\"a\":1},9]", "[0,{\"a\":2},7,8,9]",
               "[{\"op\":\"replace\",\"path\":\"/1/a\",\"value\":2},"
               "{\"op\":\"add\",\"path\":\"/2\",\"value\":7},"
               "{\"op\":\"add\",\"path\":\"/3\",\"value\":8}]");
    check_diff("[0,\"a\",\"b\",\"c\",9]", "[0,\"x\",9]",
               "[{\"op\":\"replace\",\"path\":\"/1\",\"value\":\"x\"},"
               "{\"op\":\"remove\",\"path\":\"/3\"},{\"op\":\"remove\",\"path\":\"/2\"}]");
    /* tolerations appended to a pod that already has two */
    check_diff("{\"spec\":{\"tolerations\":[{\"key\":\"a\"},{\"key\":\"b\"}]}}",
               "{\"spec\":{\"tolerations\":[{\"key\":\"a\"},{\"key\":\"b\"},{\"key\":\"c\"}]}}",
               "[{\"op\":\"add\",\"path\":\"/spec/tolerations/2\",\"value\":{\"key\":\"c\"}}]");
    /* repeated elements: prefix and suffix must not overlap */
    check_diff("[1,1]", "[1,1,1]", "[{\"op\":\"add\",\"path\":\"/2\",\"value\":1}]");
    check_diff("[1,1,1]", "[1]",
               "[{\"op\":\"remove\",\"path\":\"/2\"},{\"op\":\"remove\",\"path\":\"/1\"}]");
    /* the empty key */
    check_diff("{\"\":1}", "{\"\":2}", "[{\"op\":\"replace\",\"path\":\"/\",\"value\":2}]");

    /* ops own their values */
    json_t *f = J("{}"), *t = J("{\"a\":{\"b\":1}}");
    json_t *p = pt_patch_diff(f, t);
    json_object_set_new(json_object_get(t, "a"), "b", json_integer(2));
    assert_int_equal(json_integer_value(pt_pointer_get(p, "/0/value/b")), 1);
    assert_null(pt_patch_diff(NULL, t));
    json_decref(f);
    json_decref(t);
    json_decref(p);
}

/* ---- property: apply(from, diff(from, to)) == to ---- */

static uint64_t rng_state;

static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state % n);
}

static json_t *random_string(void)
{
    static const char *pieces[] = {"a", "b", "/", "~", "~0", "~1", "-", "0", "01", "x/y", "é", ""};
    char buf[32] = "";
    size_t n = rnd(4), used = 0;
    for (size_t i = 0; i < n; i++)
        used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%s",
                                 pieces[rnd(sizeof(pieces) / sizeof(pieces[0]))]);
    return json_string(buf);
}

static json_t *random_value(int depth)
{
    switch (rnd(depth > 3 ? 6 : 8)) {
    case 0: return json_null();
    case 1: return json_boolean(rnd(2));
    case 2: return json_integer((json_int_t)rnd(5) - 2);
    case 3: return json_real(rnd(4) / 2.0);
    case 4:
    case 5: return random_string();
    case 6: {
        json_t *a = json_array();
        for (uint32_t i = rnd(5); i > 0; i--)
            json_array_append_new(a, random_value(depth + 1));
        return a;
    }
    default: {
        json_t *o = json_object();
        for (uint32_t i = rnd(5); i > 0; i--) {
            json_t *k = random_string();
            json_object_set_new(o, json_string_value(k), random_value(depth + 1));
            json_decref(k);
        }
        return o;
    }
    }
}

/* A document: an object with a few members, like a manifest. */
static json_t *random_doc(void)
{
    json_t *o = json_object();
    for (uint32_t i = rnd(6) + 1; i > 0; i--) {
        json_t *k = random_string();
        json_object_set_new(o, json_string_value(k), random_value(1));
        json_decref(k);
    }
    return o;
}

/* Returns a new value that is v with a few random edits, so pairs share structure. */
static json_t *mutate(const json_t *v, int depth)
{
    if (rnd(6) == 0)
        return random_value(depth);
    if (json_is_array(v)) {
        json_t *a = json_array();
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (rnd(5) == 0)
                json_array_append_new(a, random_value(depth + 1));
            if (rnd(6) != 0)
                json_array_append_new(a, mutate(json_array_get(v, i), depth + 1));
        }
        if (rnd(3) == 0)
            json_array_append_new(a, random_value(depth + 1));
        return a;
    }
    if (json_is_object(v)) {
        json_t *o = json_object();
        const char *k;
        json_t *m;
        json_object_foreach((json_t *)v, k, m)
        {
            if (rnd(6) != 0)
                json_object_set_new(o, k, mutate(m, depth + 1));
        }
        if (rnd(3) == 0) {
            json_t *key = random_string();
            json_object_set_new(o, json_string_value(key), random_value(depth + 1));
            json_decref(key);
        }
        return o;
    }
    return json_deep_copy(v);
}

static void test_diff_property(void **state)
{
    (void)state;
    rng_state = 0x9e3779b97f4a7c15ULL;
    size_t total_ops = 0;
    for (int i = 0; i < 600; i++) {
        json_t *from = i % 10 == 0 ? random_value(0) : random_doc();
        json_t *to = (i % 5 == 0) ? random_doc() : mutate(from, 0);
        json_t *patch = pt_patch_diff(from, to), *out = NULL;
        assert_non_null(patch);
        struct pt_error err;
        pt_error_clear(&err);
        if (pt_patch_apply(from, patch, &out, &err)) {
            char *f = json_dumps(from, JSON_ENCODE_ANY | JSON_COMPACT);
            char *p = json_dumps(patch, JSON_ENCODE_ANY | JSON_COMPACT);
            fail_msg("pair %d: %s with %s: %s", i, f, p, err.text);
        }
        assert_json_eq(out, to);
        if (json_equal(from, to))
            assert_int_equal(json_array_size(patch), 0);
        else
            assert_true(json_array_size(patch) > 0);
        total_ops += json_array_size(patch);
        /* diff against itself is empty */
        json_t *self = pt_patch_diff(to, to);
        assert_int_equal(json_array_size(self), 0);
        json_decref(self);
        json_decref(from);
        json_decref(to);
        json_decref(patch);
        json_decref(out);
    }
    assert_true(total_ops > 1000); /* the generator really produced differences */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pointer_append),     cmocka_unit_test(test_pointer_get_rfc6901),
        cmocka_unit_test(test_rfc6902_appendix_a), cmocka_unit_test(test_apply_edge_cases),
        cmocka_unit_test(test_apply_errors),       cmocka_unit_test(test_diff),
        cmocka_unit_test(test_diff_property),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
