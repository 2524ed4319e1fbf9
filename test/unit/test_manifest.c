/* test_manifest.c — YAML/JSON manifests: documents, List expansion, scalar typing, error positions,
 * YAML output and round trips. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "podtune/manifest.h"

static json_t *J(const char *text)
{
    json_error_t jerr;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &jerr);
    if (!v)
        fail_msg("bad test JSON %s: %s", text, jerr.text);
    return v;
}

static void assert_json_eq(const json_t *got, const json_t *want, const char *what)
{
    if (!json_equal(got, want)) {
        char *g = json_dumps(got, JSON_ENCODE_ANY | JSON_COMPACT);
        char *w = json_dumps(want, JSON_ENCODE_ANY | JSON_COMPACT);
        print_error("%s\ngot  %s\nwant %s\n", what, g ? g : "(null)", w ? w : "(null)");
        free(g);
        free(w);
        fail();
    }
}

/* Parses text and compares the documents with want (a JSON array). */
static void check_parse(const char *text, const char *want)
{
    json_t *docs = NULL, *w = J(want);
    struct pt_error err;
    pt_error_clear(&err);
    if (pt_manifest_parse(text, strlen(text), "t.yaml", &docs, &err))
        fail_msg("parse of <<%s>> failed: %s:%d:%d: %s", text, err.source, err.line, err.column,
                 err.text);
    assert_json_eq(docs, w, text);
    json_decref(docs);
    json_decref(w);
}

/* Parses text, which must fail with PT_EINVAL at line:col with a message
 * containing part. */
static void check_error(const char *text, int line, int col, const char *part)
{
    json_t *docs = (json_t *)1;
    struct pt_error err;
    pt_error_clear(&err);
    int rc = pt_manifest_parse(text, strlen(text), "pod.yaml", &docs, &err);
    if (rc == 0)
        fail_msg("parse of <<%s>> succeeded", text);
    assert_int_equal(rc, PT_EINVAL);
    assert_null(docs);
    assert_string_equal(err.source, "pod.yaml");
    if (err.line != line || err.column != col || !strstr(err.text, part))
        fail_msg("<<%s>>: got %d:%d: %s; want %d:%d: ...%s...", text, err.line, err.column,
                 err.text, line, col, part);
}

static void test_multi_document(void **state)
{
    (void)state;
    check_parse("a: 1\n---\nb: 2\n", "[{\"a\":1},{\"b\":2}]");
    check_parse("---\na: 1\n---\n---\n# only a comment\n---\nb: [x]\n...\n",
                "[{\"a\":1},{\"b\":[\"x\"]}]");
    check_parse("", "[]");
    check_parse("# nothing\n", "[]");
    check_parse("---\n---\n", "[]");
    /* a document that says null is kept: only empty documents are skipped */
    check_parse("null\n---\n~\n", "[null,null]");
    check_parse("--- \"\"\n", "[\"\"]");
    /* key order is kept */
    check_parse("z: 1\na: 2\nm: 3\n", "[{\"z\":1,\"a\":2,\"m\":3}]");
    /* a BOM is ignored */
    check_parse("\xEF\xBB\xBF"
                "a: 1\n",
                "[{\"a\":1}]");
    check_parse("\xEF\xBB\xBF{\"a\":1}", "[{\"a\":1}]");
}

static void test_list_expansion(void **state)
{
    (void)state;
    check_parse("apiVersion: v1\nkind: List\nitems:\n- kind: Pod\n  metadata: {name: a}\n"
                "- kind: Pod\n  metadata: {name: b}\n---\nkind: Pod\nmetadata: {name: c}\n",
                "[{\"kind\":\"Pod\",\"metadata\":{\"name\":\"a\"}},"
                "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"b\"}},"
                "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"c\"}}]");
    check_parse("kind: PodList\nitems: [{kind: Pod}]\n", "[{\"kind\":\"Pod\"}]");
    check_parse("kind: List\nitems: []\n", "[]");
    check_parse("kind: List\n", "[]");
    check_parse("kind: List\nitems: null\n", "[]");
    /* not lists: no items array, or a kind that only looks similar */
    check_parse("kind: PodList\nitems: 3\n", "[{\"kind\":\"PodList\",\"items\":3}]");
    check_parse("kind: Listing\nitems: [1]\n", "[{\"kind\":\"Listing\",\"items\":[1]}]");
    check_parse("kind: [List]\nitems: [1]\n", "[{\"kind\":[\"List\"],\"items\":[1]}]");
    check_parse("- kind: List\n  items: [1]\n", "[[{\"kind\":\"List\",\"items\":[1]}]]");
    /* JSON lists too */
    check_parse("{\"kind\":\"List\",\"items\":[{\"a\":1},{\"b\":2}]}", "[{\"a\":1},{\"b\":2}]");
    check_error("a: 1\n---\nkind: List\nitems: 5\n", 3, 0, "the items of a List must be a list");
}

static void test_json_input(void **state)
{
    (void)state;
    check_parse("{\"kind\":\"Pod\",\"spec\":{\"n\":1.5,\"s\":\"yes\",\"b\":true}}",
                "[{\"kind\":\"Pod\",\"spec\":{\"n\":1.5,\"s\":\"yes\",\"b\":true}}]");
    check_parse("  \n{\"a\":1}{\"b\":2}\n[3]\n\n{\"c\":null} ",
                "[{\"a\":1},{\"b\":2},[3],{\"c\":null}]");
    check_parse("[1,2]\n", "[[1,2]]");
    /* jansson keeps integer vs real */
    check_parse("{\"i\":1,\"r\":1.0}", "[{\"i\":1,\"r\":1.0}]");
    check_error("{\"a\":1}\n{\"b\":}", 2, 6, "unexpected token");
    check_error("{\"a\":1} x", 1, 9, "invalid token");
    check_error("[1,2] {\"a\":1,\"a\":2}", 1, 16, "duplicate object key");
    /* text that starts like JSON but is not is read as (flow) YAML */
    check_parse("{a: 1, b: yes}\n---\nc: 2\n", "[{\"a\":1,\"b\":true},{\"c\":2}]");
    check_parse("[a, 0x10]", "[[\"a\",16]]");
    check_error("{\"a\":99999999999999999999}", 1, 6, "does not fit in 64 bits");
    check_error("{a: 1, a: 2}", 1, 8, "mapping key \"a\" is already defined");
    check_error("{\"a\": [1, }", 1, 11, "");
    /* after a first JSON value, the rest must be JSON */
    check_error("{\"a\":1}\nb: 2\n", 2, 1, "invalid token");
}

struct typing {
    const char *yaml;
    const char *json;
};

static void test_scalar_typing(void **state)
{
    (void)state;
    static const struct typing table[] = {
        /* null */
        {"", "null"},
        {"~", "null"},
        {"null", "null"},
        {"Null", "null"},
        {"NULL", "null"},
        {"nULL", "\"nULL\""},
        /* booleans: go-yaml v2 (sigs.k8s.io/yaml) still reads YAML 1.1 words */
        {"true", "true"},
        {"True", "true"},
        {"TRUE", "true"},
        {"false", "false"},
        {"yes", "true"},
        {"Yes", "true"},
        {"YES", "true"},
        {"y", "true"},
        {"Y", "true"},
        {"no", "false"},
        {"No", "false"},
        {"n", "false"},
        {"N", "false"},
        {"on", "true"},
        {"On", "true"},
        {"off", "false"},
        {"OFF", "false"},
        {"tRUE", "\"tRUE\""},
        {"yES", "\"yES\""},
        /* integers: Go prefixes and "_" separators */
        {"0", "0"},
        {"-0", "0"},
        {"42", "42"},
        {"+12", "12"},
        {"-17", "-17"},
        {"1_000", "1000"},
        {"0x1F", "31"},
        {"0X1f", "31"},
        {"-0x10", "-16"},
        {"0o17", "15"},
        {"017", "15"},
        {"0b101", "5"},
        {"-0b11", "-3"},
        {"9223372036854775807", "9223372036854775807"},
        {"-9223372036854775808", "-9223372036854775808"},
        /* floats */
        {"08", "8.0"},
        {"1.5", "1.5"},
        {"1.", "1.0"},
        {".5", "0.5"},
        {"-.5", "-0.5"},
        {"1e3", "1000.0"},
        {"1E+3", "1000.0"},
        {"-1.5e-3", "-0.0015"},
        {"1_0.5", "10.5"},
        {"6.02e23", "6.02e23"},
        /* strings */
        {"abc", "\"abc\""},
        {"1e400", "\"1e400\""},
        {"0x", "\"0x\""},
        {"0xG", "\"0xG\""},
        {"1.2.3", "\"1.2.3\""},
        {"2001-12-14", "\"2001-12-14\""},
        {"2001-12-14T21:59:43.10-05:00", "\"2001-12-14T21:59:43.10-05:00\""},
        {"1:20", "\"1:20\""},
        {"+", "\"+\""},
        {"-a", "\"-a\""},
        {".", "\".\""},
        {"._5", "\"._5\""},
        {"500m", "\"500m\""},
        {"4Gi", "\"4Gi\""},
        {"\"true\"", "\"true\""},
        {"'123'", "\"123\""},
        {"\"\"", "\"\""},
        {"'~'", "\"~\""},
        {"\"a\\tb\\u00e9\"", "\"a\\tb\u00e9\""},
        {"é", "\"\u00e9\""},
        {".inf.", "\".inf.\""},
        {".Nan", "\".Nan\""},
        /* tags */
        {"!!str 123", "\"123\""},
        {"!!str true", "\"true\""},
        {"!!str", "\"\""},
        {"!!int \"12\"", "12"},
        {"!!float 3", "3.0"},
        {"!!float '2.5'", "2.5"},
        {"!!bool yes", "true"},
        {"!!null ''", "null"},
        {"! 12", "\"12\""},
        {"!local 12", "\"12\""},
        {"!!timestamp 2001-12-14", "\"2001-12-14\""},
        {"!!binary aGVs bG8=", "\"aGVsbG8=\""},
    };
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        char text[160], want[200];
        snprintf(text, sizeof(text), "v: %s\n", table[i].yaml);
        snprintf(want, sizeof(want), "[{\"v\":%s}]", table[i].json);
        check_parse(text, want);
    }
    /* block scalars stay strings */
    check_parse("a: |\n  123\nb: >\n  true\n  story\nc: |-\n  x\n",
                "[{\"a\":\"123\\n\",\"b\":\"true story\\n\",\"c\":\"x\"}]");
    /* in sequences and flow collections too */
    check_parse("[yes, 0x10, 1.5, ~, 'no']", "[[true,16,1.5,null,\"no\"]]");
    check_parse("- yes\n- \"0x10\"\n", "[[true,\"0x10\"]]");
    /* integer vs real is kept */
    json_t *docs;
    assert_int_equal(pt_manifest_parse("a: 1\nb: 1.0\n", 12, "t", &docs, NULL), 0);
    assert_true(json_is_integer(json_object_get(json_array_get(docs, 0), "a")));
    assert_true(json_is_real(json_object_get(json_array_get(docs, 0), "b")));
    json_decref(docs);
}

static void test_mapping_keys(void **state)
{
    (void)state;
    /* non-string keys are named as sigs.k8s.io/yaml names them */
    check_parse(
        "1: a\n0x10: b\ntrue: c\nno: d\n1.5: e\n1e6: f\n0.1: g\n123456789.0: h\n0.00001: i\n",
        "[{\"1\":\"a\",\"16\":\"b\",\"true\":\"c\",\"false\":\"d\",\"1.5\":\"e\","
        "\"1e+06\":\"f\",\"0.1\":\"g\",\"1.2345679e+08\":\"h\",\"1e-05\":\"i\"}]");
    check_parse("\"1\": a\n'true': b\n", "[{\"1\":\"a\",\"true\":\"b\"}]");
    check_parse("podtune.io/profile: x\n\"a~b\": z\ny: n\n",
                "[{\"podtune.io/profile\":\"x\",\"a~b\":\"z\",\"true\":false}]");
    check_error("a: 1\nb: 2\na: 3\n", 3, 1, "mapping key \"a\" is already defined");
    check_error("x:\n  1: a\n  \"1\": b\n", 3, 3, "mapping key \"1\" is already defined");
    check_error("~: 1\n", 1, 1, "a mapping key cannot be null");
    check_error("a:\n  ? [x]\n  : 1\n", 2, 5, "a mapping key must be a scalar");
    check_error("a: 1\n.inf: 2\n", 2, 1, "no JSON form");
}

static void test_anchors_and_merge(void **state)
{
    (void)state;
    check_parse("a: &x {k: v}\nb: *x\nc: &x 1\nd: *x\n",
                "[{\"a\":{\"k\":\"v\"},\"b\":{\"k\":\"v\"},\"c\":1,\"d\":1}]");
    check_parse("base: &b {cpu: \"1\", memory: 4Gi}\n"
                "x:\n  <<: *b\n  memory: 8Gi\n"
                "w:\n  memory: 2Gi\n  <<: *b\n"
                "z:\n  <<: [{cpu: \"2\"}, *b]\n",
                "[{\"base\":{\"cpu\":\"1\",\"memory\":\"4Gi\"},"
                "\"x\":{\"cpu\":\"1\",\"memory\":\"8Gi\"},"
                "\"w\":{\"memory\":\"2Gi\",\"cpu\":\"1\"},"
                "\"z\":{\"cpu\":\"2\",\"memory\":\"4Gi\"}}]");
    /* a quoted "<<" is an ordinary key */
    check_parse("\"<<\": 1\n", "[{\"<<\":1}]");
    check_error("a: *nope\n", 1, 4, "unknown anchor \"nope\"");
    check_error("<<: 5\n", 1, 1, "a merge key (<<) needs a mapping");
    /* anchors do not cross documents */
    check_error("a: &x 1\n---\nb: *x\n", 3, 4, "unknown anchor \"x\"");
    /* an anchor is not visible inside itself */
    check_error("a: &x [*x]\n", 1, 8, "unknown anchor");
}

static void test_alias_bomb(void **state)
{
    (void)state;
    const char *bomb =
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
        "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
        "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
        "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
        "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
        "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
        "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
        "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
        "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n";
    json_t *docs = NULL;
    struct pt_error err;
    pt_error_clear(&err);
    assert_int_equal(pt_manifest_parse(bomb, strlen(bomb), "bomb.yaml", &docs, &err), PT_EINVAL);
    assert_null(docs);
    assert_non_null(strstr(err.text, "aliases expand to more than"));
    assert_true(err.line >= 4 && err.line <= 6);
    /* a few levels are fine */
    const char *small = "a: &a [1,2,3]\nb: &b [*a,*a,*a]\nc: [*b,*b]\n";
    assert_int_equal(pt_manifest_parse(small, strlen(small), "s", &docs, &err), 0);
    assert_int_equal(json_array_size(json_object_get(json_array_get(docs, 0), "c")), 2);
    json_decref(docs);
}

static void test_error_positions(void **state)
{
    (void)state;
    check_error("a: [1, 2\n", 2, 1, "did not find expected ',' or ']'");
    check_error("a: b: c\n", 1, 5, "mapping values are not allowed");
    check_error("a:\n\tb: 1\n", 2, 1, "cannot start any token");
    check_error("a: \"\xff\"\n", 1, 5, "invalid leading UTF-8 octet");
    check_error("kind: Pod\nspec:\n  x: .inf\n", 3, 6, "no JSON form");
    check_error("a:\n  b: 99999999999999999999\n", 2, 6, "does not fit in 64 bits");
    check_error("a: 0x1FFFFFFFFFFFFFFFF\n", 1, 4, "does not fit in 64 bits");
    check_error("a: -.inf\n", 1, 4, "no JSON form");
    check_error("a: .NaN\n", 1, 4, "no JSON form");
    check_error("a: !!int foo\n", 1, 4, "cannot read \"foo\" as !!int");
    check_error("a: !!bool 1\n", 1, 4, "cannot read \"1\" as !!bool");
    check_error("a: !!float .inf\n", 1, 4, "no JSON form");
    check_error("a: !!map x\n", 1, 4, "tag !!map cannot be used on a scalar");
    check_error("a: !!str [1]\n", 1, 4, "tag !!str cannot be used on a sequence");
    check_error("- a\n- b\nc: d\n", 3, 1, "");
    /* at the end of input without a final newline libyaml reports the line after
     * the last; positions are clamped into the text (columns count characters) */
    check_error("a: [", 1, 5, "while parsing a flow node at 1:5");
    check_error("a: b\nc: [\xc3\xa9, [", 2, 9, "did not find expected node content");
    /* nesting is capped; no stack overflow */
    size_t n = 5000;
    char *deep = malloc(2 * n + 1);
    memset(deep, '[', n);
    memset(deep + n, ']', n);
    deep[2 * n] = '\0';
    /* starts with "[" so it is read as JSON, which jansson caps */
    json_t *docs = NULL;
    struct pt_error err;
    pt_error_clear(&err);
    assert_int_equal(pt_manifest_parse(deep, 2 * n, "deep", &docs, &err), PT_EINVAL);
    /* the same nesting as YAML */
    deep[0] = 'a';
    deep[1] = ':';
    deep[2] = ' ';
    deep[2 * n - 1] = ']';
    pt_error_clear(&err);
    assert_int_equal(pt_manifest_parse(deep, 2 * n, "deep", &docs, &err), PT_EINVAL);
    assert_non_null(strstr(err.text, "nesting is deeper than"));
    free(deep);
}

/* ---- output ---- */

static void check_yaml(const char *json, const char *want)
{
    json_t *v = J(json);
    char *got = pt_manifest_to_yaml(v);
    assert_non_null(got);
    if (strcmp(got, want) != 0)
        fail_msg("YAML of %s:\n--- got\n%s--- want\n%s", json, got, want);
    free(got);
    json_decref(v);
}

static void test_write_yaml(void **state)
{
    (void)state;
    check_yaml("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"spark-driver\","
               "\"labels\":{\"spark-role\":\"driver\",\"podtune.io/profile\":\"etl\"}},"
               "\"spec\":{\"containers\":[{\"name\":\"spark-kubernetes-driver\",\"args\":"
               "[\"driver\",\"--conf\",\"spark.sql.shuffle.partitions=400\"],\"resources\":"
               "{\"requests\":{\"cpu\":\"1\",\"memory\":\"4Gi\"}},\"env\":[],\"ports\":"
               "[{\"containerPort\":7078,\"protocol\":\"TCP\"}]}],\"priority\":0,"
               "\"tolerations\":[{\"key\":\"node.kubernetes.io/not-ready\",\"operator\":"
               "\"Exists\",\"effect\":\"NoExecute\",\"tolerationSeconds\":300}],"
               "\"nodeSelector\":{},\"enableServiceLinks\":true,\"overhead\":null}}",
               "apiVersion: v1\n"
               "kind: Pod\n"
               "metadata:\n"
               "  name: spark-driver\n"
               "  labels:\n"
               "    spark-role: driver\n"
               "    podtune.io/profile: etl\n"
               "spec:\n"
               "  containers:\n"
               "  - name: spark-kubernetes-driver\n"
               "    args:\n"
               "    - driver\n"
               "    - --conf\n"
               "    - spark.sql.shuffle.partitions=400\n"
               "    resources:\n"
               "      requests:\n"
               "        cpu: \"1\"\n"
               "        memory: 4Gi\n"
               "    env: []\n"
               "    ports:\n"
               "    - containerPort: 7078\n"
               "      protocol: TCP\n"
               "  priority: 0\n"
               "  tolerations:\n"
               "  - key: node.kubernetes.io/not-ready\n"
               "    operator: Exists\n"
               "    effect: NoExecute\n"
               "    tolerationSeconds: 300\n"
               "  nodeSelector: {}\n"
               "  enableServiceLinks: true\n"
               "  overhead: null\n");
    /* strings that would read back as something else are quoted */
    check_yaml("{\"a\":\"yes\",\"b\":\"on\",\"c\":\"null\",\"d\":\"\",\"e\":\"1.5\",\"f\":\"0x1F\","
               "\"g\":\"2001-12-14\",\"h\":\"1:20\",\"i\":\"1e400\",\"j\":\"<<\",\"k\":\"y\"}",
               "a: \"yes\"\nb: \"on\"\nc: \"null\"\nd: \"\"\ne: \"1.5\"\nf: \"0x1F\"\n"
               "g: \"2001-12-14\"\nh: \"1:20\"\ni: \"1e400\"\nj: \"<<\"\nk: \"y\"\n");
    check_yaml(
        "{\"a\":\" x\",\"b\":\"x \",\"c\":\"- x\",\"d\":\"a: b\",\"e\":\"a #b\",\"f\":\"*x\","
        "\"g\":\"500m\",\"h\":\"-Xmx4g -XX:+UseG1GC\",\"i\":\"k=v\"}",
        "a: ' x'\nb: 'x '\nc: '- x'\nd: 'a: b'\ne: 'a #b'\nf: '*x'\ng: 500m\n"
        "h: -Xmx4g -XX:+UseG1GC\ni: k=v\n");
    /* multi-line strings as literal blocks; unicode passed through */
    check_yaml("{\"script\":\"set -e\\nexec java\\n\",\"x\":\"a\\nb\",\"u\":\"Nightly ETL — é\"}",
               "script: |\n  set -e\n  exec java\nx: |-\n  a\n  b\nu: Nightly ETL — é\n");
    /* numbers, empty collections, nested sequences */
    check_yaml("{\"i\":-3,\"r\":1.0,\"s\":0.25,\"big\":1e20,\"o\":{},\"a\":[],\"n\":[[1,2],[]]}",
               "i: -3\nr: 1.0\ns: 0.25\nbig: 1e+20\no: {}\na: []\n\"n\":\n- - 1\n  - 2\n- []\n");
    check_yaml("[]", "[]\n");
    check_yaml("\"yes\"", "\"yes\"\n");

    /* the FILE* writer gives the same text */
    json_t *v = J("{\"a\":[1,{\"b\":\"c\"}]}");
    char *mem = NULL;
    size_t memlen = 0;
    FILE *f = open_memstream(&mem, &memlen);
    assert_non_null(f);
    assert_int_equal(pt_manifest_write_yaml(f, v), 0);
    fclose(f);
    char *s = pt_manifest_to_yaml(v);
    assert_string_equal(mem, s);
    assert_string_equal(s, "a:\n- 1\n- b: c\n");
    free(mem);
    free(s);
    json_decref(v);
    assert_null(pt_manifest_to_yaml(NULL));
}

/* ---- round trip property ---- */

static uint64_t rng_state;

static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state % n);
}

static const char *const NASTY[] = {
    "",
    " ",
    "  a",
    "a ",
    "a  b",
    "yes",
    "No",
    "ON",
    "y",
    "n",
    "~",
    "null",
    "NULL",
    "true",
    "False",
    "1",
    "-1",
    "+1",
    "0",
    "-0",
    "007",
    "08",
    "0x1F",
    "0o7",
    "0b1",
    "1_000",
    "1e3",
    "1.",
    ".5",
    "-.5",
    ".inf",
    "-.Inf",
    ".nan",
    "1e400",
    "99999999999999999999",
    "2001-12-14",
    "2001-12-14 21:59:43",
    "1:20",
    "190:20:30.15",
    "<<",
    "=",
    "- a",
    "-",
    "--",
    "---",
    "...",
    "--- a",
    "? x",
    "?",
    ": x",
    ":",
    "a: b",
    "a:b",
    "a #b",
    "a#b",
    "#x",
    "&a",
    "*a",
    "!t",
    "!!str",
    "|",
    ">",
    "'",
    "\"",
    "''",
    "%x",
    "@x",
    "`x",
    "[",
    "]",
    "{",
    "}",
    ",",
    "a,b",
    "[a]",
    "{a: 1}",
    "a\nb",
    "a\n",
    "\n",
    "\n\n",
    "\na",
    " \n",
    "a\n\n",
    "a \nb",
    "a\n b",
    "a\n\n\nb\n",
    " a\nb",
    "\ta",
    "a\tb",
    "é",
    "日本語",
    "\xF0\x9F\x98\x80",
    "a\xE2\x80\xA8 b",
    "a\xE2\x80\xA9",
    "\xC2\x85x",
    "\xEF\xBB\xBFx",
    "\r\n",
    "a\rb",
    "\x01",
    "\x7f",
    "back\\slash",
    "a'b",
    "a\"b",
    "podtune.io/profile",
    "-Xmx4g",
    "k=v",
    "--conf",
    "500m",
    "4Gi",
    "0.5",
    "1.0",
    "\xC2\xA0x",
    "x\xC2\xA0",
    "a  ",
    "#",
    "a\n#b",
    "a\n- b",
    "a\n---\nb",
    "...\n",
    "- ",
    "key: |\n  x",
};

static json_t *random_string(void)
{
    char buf[256];
    size_t used = 0;
    for (uint32_t i = rnd(3) + 1; i > 0; i--) {
        const char *p = NASTY[rnd(sizeof(NASTY) / sizeof(NASTY[0]))];
        int w = snprintf(buf + used, sizeof(buf) - used, "%s", p);
        if (w < 0 || (size_t)w >= sizeof(buf) - used)
            break;
        used += (size_t)w;
    }
    if (rnd(40) == 0) { /* long strings: keys over 128 characters */
        for (size_t i = used; i < 200; i++)
            buf[i] = (char)('a' + i % 26);
        used = 200;
    }
    return json_stringn(buf, used);
}

static json_t *random_value(int depth)
{
    static const double reals[] = {0.0, -0.0, 0.5, 1.0, -2.5, 1e20, 1e-7, 123456.789, 0.1, 1e300};
    switch (rnd(depth > 3 ? 7 : 9)) {
    case 0: return json_null();
    case 1: return json_boolean(rnd(2));
    case 2: return json_integer((json_int_t)rnd(2000) - 1000);
    case 3: return json_integer(rnd(2) ? INT64_MAX : INT64_MIN);
    case 4: return json_real(reals[rnd(sizeof(reals) / sizeof(reals[0]))]);
    case 5:
    case 6: return random_string();
    case 7: {
        json_t *a = json_array();
        for (uint32_t i = rnd(4); i > 0; i--)
            json_array_append_new(a, random_value(depth + 1));
        return a;
    }
    default: {
        json_t *o = json_object();
        for (uint32_t i = rnd(5); i > 0; i--) {
            json_t *k = random_string();
            json_object_setn_new(o, json_string_value(k), json_string_length(k),
                                 random_value(depth + 1));
            json_decref(k);
        }
        return o;
    }
    }
}

static void check_round_trip(const json_t *v, int i)
{
    char *yaml = pt_manifest_to_yaml(v);
    json_t *docs = NULL;
    struct pt_error err;
    pt_error_clear(&err);
    char *j = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    if (!yaml)
        fail_msg("value %d (%s) could not be written", i, j);
    if (pt_manifest_parse(yaml, strlen(yaml), "rt", &docs, &err))
        fail_msg("value %d (%s) wrote\n%s\nwhich does not parse: %d:%d: %s", i, j, yaml, err.line,
                 err.column, err.text);
    if (json_array_size(docs) != 1 || !json_equal(json_array_get(docs, 0), v)) {
        char *g = json_dumps(docs, JSON_ENCODE_ANY | JSON_COMPACT);
        fail_msg("value %d: %s\nwrote\n%s\nread back %s", i, j, yaml, g);
    }
    free(j);
    free(yaml);
    json_decref(docs);
}

static void test_round_trip_property(void **state)
{
    (void)state;
    /* every nasty string alone, as a value and as a key */
    for (size_t i = 0; i < sizeof(NASTY) / sizeof(NASTY[0]); i++) {
        json_t *s = json_string(NASTY[i]);
        json_t *o = json_pack("{s:s,s:[s]}", NASTY[i], NASTY[i], "k", NASTY[i]);
        check_round_trip(s, (int)i);
        check_round_trip(o, (int)i);
        json_decref(s);
        json_decref(o);
    }
    rng_state = 0x2545f4914f6cdd1dULL;
    for (int i = 0; i < 2000; i++) {
        json_t *v = random_value(0);
        /* a List at the top would be expanded; that is not a round-trip case */
        const char *kind = json_string_value(json_object_get(v, "kind"));
        if (!kind || !strstr(kind, "List"))
            check_round_trip(v, i);
        json_decref(v);
    }
}

/* ---- files ---- */

static void test_read_file(void **state)
{
    (void)state;
    char path[] = "/tmp/podtune-test-manifest-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *text = "kind: Pod\nmetadata: {name: a}\n---\nkind: Pod\nmetadata: {name: b}\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);

    char *buf = NULL;
    size_t len = 0;
    struct pt_error err;
    pt_error_clear(&err);
    assert_int_equal(pt_read_file(path, 1024, &buf, &len, &err), 0);
    assert_int_equal(len, strlen(text));
    assert_string_equal(buf, text);
    free(buf);
    /* exactly at the cap is fine, one byte over is not */
    assert_int_equal(pt_read_file(path, strlen(text), &buf, &len, &err), 0);
    free(buf);
    assert_int_equal(pt_read_file(path, strlen(text) - 1, &buf, &len, &err), PT_ERANGE);
    assert_null(buf);
    assert_non_null(strstr(err.text, "larger than"));

    json_t *docs = NULL;
    pt_error_clear(&err);
    assert_int_equal(pt_manifest_read_file(path, &docs, &err), 0);
    assert_int_equal(json_array_size(docs), 2);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_array_get(docs, 1), "metadata"), "name")),
                        "b");
    json_decref(docs);

    /* errors carry the file name */
    fd = open(path, O_WRONLY | O_TRUNC);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "a: 1\nb: [\n", 10), 10);
    close(fd);
    pt_error_clear(&err);
    assert_int_equal(pt_manifest_read_file(path, &docs, &err), PT_EINVAL);
    assert_string_equal(err.source, path);
    assert_int_equal(err.line, 3);
    unlink(path);

    pt_error_clear(&err);
    assert_int_equal(pt_manifest_read_file(path, &docs, &err), PT_EIO);
    assert_null(docs);
    char msg[600];
    pt_error_format(&err, msg, sizeof(msg));
    assert_non_null(strstr(msg, path));
    assert_non_null(strstr(msg, "No such file or directory"));
    pt_error_clear(&err);
    assert_int_equal(pt_read_file("/", 100, &buf, &len, &err), PT_EIO);
    assert_null(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_multi_document), cmocka_unit_test(test_list_expansion),
        cmocka_unit_test(test_json_input),     cmocka_unit_test(test_scalar_typing),
        cmocka_unit_test(test_mapping_keys),   cmocka_unit_test(test_anchors_and_merge),
        cmocka_unit_test(test_alias_bomb),     cmocka_unit_test(test_error_positions),
        cmocka_unit_test(test_write_yaml),     cmocka_unit_test(test_round_trip_property),
        cmocka_unit_test(test_read_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
