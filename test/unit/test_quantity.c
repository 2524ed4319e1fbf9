/* test_quantity.c — unit tests for quantity.c: Kubernetes parsing, canonical output, arithmetic, JVM sizes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "podtune/quantity.h"

#define NANO ((__int128)1000000000)

/* One row: input, expected return code, canonical output when it parses. */
struct parse_case {
    const char *in;
    int rc;
    const char *canonical;
};

static const struct parse_case parse_cases[] = {
    /* zero in every spelling is "0" */
    {"0", 0, "0"},
    {"0n", 0, "0"},
    {"0u", 0, "0"},
    {"0m", 0, "0"},
    {"0k", 0, "0"},
    {"0M", 0, "0"},
    {"0G", 0, "0"},
    {"0T", 0, "0"},
    {"0P", 0, "0"},
    {"0E", 0, "0"},
    {"0Ki", 0, "0"},
    {"0Mi", 0, "0"},
    {"0Gi", 0, "0"},
    {"0Ti", 0, "0"},
    {"0Pi", 0, "0"},
    {"0Ei", 0, "0"},
    {"0e3", 0, "0"},
    {"-0", 0, "0"},
    {"+0", 0, "0"},
    {"000", 0, "0"},
    {"0.0", 0, "0"},
    {"-0.0Mi", 0, "0"},
    {"0e-2147483648", 0, "0"},
    /* plain numbers, DecimalSI */
    {"1", 0, "1"},
    {"9", 0, "9"},
    {"10", 0, "10"},
    {"100", 0, "100"},
    {"999", 0, "999"},
    {"1000", 0, "1k"},
    {"1001", 0, "1001"},
    {"1024", 0, "1024"},
    {"1500", 0, "1500"},
    {"12000", 0, "12k"},
    {"1000000", 0, "1M"},
    {"007", 0, "7"},
    {"2.0", 0, "2"},
    {"0.5", 0, "500m"},
    {".5", 0, "500m"},
    {"1.", 0, "1"},
    {"1.5", 0, "1500m"},
    {"1.08", 0, "1080m"},
    {"9.01", 0, "9010m"},
    {"0.001", 0, "1m"},
    {".001", 0, "1m"},
    {"0.0001", 0, "100u"},
    {"0.000001", 0, "1u"},
    {"0.50000", 0, "500m"},
    {"1.2345", 0, "1234500u"},
    /* decimal suffixes */
    {"1000m", 0, "1"},
    {"1500m", 0, "1500m"},
    {"500m", 0, "500m"},
    {"100m", 0, "100m"},
    {"1m", 0, "1m"},
    {"1000u", 0, "1m"},
    {"1u", 0, "1u"},
    {"1n", 0, "1n"},
    {"5n", 0, "5n"},
    {"1000n", 0, "1u"},
    {"1080n", 0, "1080n"},
    {"1k", 0, "1k"},
    {"50k", 0, "50k"},
    {"8.1k", 0, "8100"},
    {"100.035k", 0, "100035"},
    {"0.0005k", 0, "500m"},
    {".0001k", 0, "100m"},
    {"1M", 0, "1M"},
    {"10.035M", 0, "10035k"},
    {"7.123456M", 0, "7123456"},
    {"1000M", 0, "1G"},
    {"1G", 0, "1G"},
    {"1.G", 0, "1G"},
    {"6.987654321G", 0, "6987654321"},
    {"5T", 0, "5T"},
    {"40T", 0, "40T"},
    {"5.444T", 0, "5444G"},
    {"40.1T", 0, "40100G"},
    {"2P", 0, "2P"},
    {"2.5P", 0, "2500T"},
    {"1E", 0, "1E"},
    {"1.01E", 0, "1010P"},
    {"9E", 0, "9E"},
    /* binary suffixes */
    {"1Ki", 0, "1Ki"},
    {"8Ki", 0, "8Ki"},
    {"1025Ki", 0, "1025Ki"},
    {"1024Ki", 0, "1Mi"},
    {"7Mi", 0, "7Mi"},
    {"1024Mi", 0, "1Gi"},
    {"1536Mi", 0, "1536Mi"},
    {"2048Mi", 0, "2Gi"},
    {"6Gi", 0, "6Gi"},
    {"5Ti", 0, "5Ti"},
    {"4Pi", 0, "4Pi"},
    {"3Ei", 0, "3Ei"},
    {"7Ei", 0, "7Ei"},
    {"8191Pi", 0, "8191Pi"},
    {"1.5Gi", 0, "1536Mi"},
    {"0.5Mi", 0, "512Ki"},
    {"0.5Ki", 0, "512"},
    {"1.5Ki", 0, "1536"},
    {"812.5Ki", 0, "832k"},
    {"1000Ki", 0, "1000Ki"},
    {"1000000Ki", 0, "1000000Ki"},
    {"0.9765625Ki", 0, "1k"},
    {"0.05Gi", 0, "53687091200m"},
    {"1.1Ki", 0, "1126400m"},
    {"1e-2147483648", 0, "1e-9"},
    {"100.035Ki", 0, "102435840m"},
    {"0.025Ti", 0, "27487790694400m"},
    {".001Ki", 0, "1024m"},
    {".000001Ki", 0, "1024u"},
    {".000000001Ki", 0, "1024n"},
    {".000000000001Ki", 0, "2n"},
    /* exponents */
    {"1e3", 0, "1e3"},
    {"1E3", 0, "1e3"},
    {"1e+3", 0, "1e3"},
    {"+1e+3", 0, "1e3"},
    {"1e-3", 0, "1e-3"},
    {"1E-3", 0, "1e-3"},
    {"1e0", 0, "1"},
    {"1e4", 0, "10e3"},
    {"1e6", 0, "1e6"},
    {"1e9", 0, "1e9"},
    {"1e18", 0, "1e18"},
    {"1.2e3", 0, "1200"},
    {"1.3E+6", 0, "1300e3"},
    {"1.5e3", 0, "1500"},
    {"12e-4", 0, "1200e-6"},
    {"80e-3", 0, "80e-3"},
    {"0.5e0", 0, "500e-3"},
    {"1e-9", 0, "1e-9"},
    {"1000000000000000000000000000000e-20", 0, "10e9"},
    /* below a nano: rounded away from zero */
    {"1e-10", 0, "1e-9"},
    {"0.5e-9", 0, "1e-9"},
    {"1.1E-9", 0, "2e-9"},
    {"1e-1000000", 0, "1e-9"},
    {"3.001n", 0, "4n"},
    {"0.9n", 0, "1n"},
    {"0.0000000001", 0, "1n"},
    {"0.00000000050", 0, "1n"},
    {"0.00000012345", 0, "124n"},
    {"1.0000000001", 0, "1000000001n"},
    {"0.000000000000000000000000000000000001", 0, "1n"},
    {"-0.9n", 0, "-1n"},
    {"-3.001n", 0, "-4n"},
    /* negatives */
    {"-1", 0, "-1"},
    {"-1000", 0, "-1k"},
    {"-1Ki", 0, "-1Ki"},
    {"-1.5Gi", 0, "-1536Mi"},
    {"-500m", 0, "-500m"},
    {"-0.5", 0, "-500m"},
    {"-1e3", 0, "-1e3"},
    {"-9.01", 0, "-9010m"},
    {"-.001Ki", 0, "-1024m"},
    {"-0.5Ki", 0, "-512"},
    /* int64 boundaries */
    {"9223372036854775807", 0, "9223372036854775807"},
    {"9223372036854775807000m", 0, "9223372036854775807"},
    {"9223372036854775.807k", 0, "9223372036854775807"},
    {"9223372036854775806.5", 0, "9223372036854775806500m"},
    {"-9223372036854775808", 0, "-9223372036854775808"},
    {"-8Ei", 0, "-8Ei"},
    {"0000000000000000000000000000000000001", 0, "1"},
    {"9223372036854775808", PT_ERANGE, NULL},
    {"-9223372036854775809", PT_ERANGE, NULL},
    {"9223372036854775807.5", PT_ERANGE, NULL},
    {"9223372036854775808000m", PT_ERANGE, NULL},
    {"9223372036854775807000000001n", PT_ERANGE, NULL},
    {"8Ei", PT_ERANGE, NULL},
    {"8192Pi", PT_ERANGE, NULL},
    {"9223372036854775807Ki", PT_ERANGE, NULL},
    {"12E", PT_ERANGE, NULL},
    {"1e19", PT_ERANGE, NULL},
    {"1e99", PT_ERANGE, NULL},
    {"1e2147483647", PT_ERANGE, NULL},
    {"1e2147483648", PT_ERANGE, NULL},
    {"1e-2147483649", PT_ERANGE, NULL},
    {"1e9223372036854775808", PT_ERANGE, NULL},
    {"99999999999999999999999999999999999999999999", PT_ERANGE, NULL},
    /* rejected as Kubernetes rejects them */
    {"", PT_EINVAL, NULL},
    {"1.2.3", PT_EINVAL, NULL},
    {"1.1.M", PT_EINVAL, NULL},
    {"1+1.0M", PT_EINVAL, NULL},
    {"1 Gi", PT_EINVAL, NULL},
    {" 1", PT_EINVAL, NULL},
    {"1 ", PT_EINVAL, NULL},
    {"1\n", PT_EINVAL, NULL},
    {"1gi", PT_EINVAL, NULL},
    {"1Gii", PT_EINVAL, NULL},
    {"1Kib", PT_EINVAL, NULL},
    {"1ki", PT_EINVAL, NULL},
    {"0.1mi", PT_EINVAL, NULL},
    {"0.1am", PT_EINVAL, NULL},
    {"1i", PT_EINVAL, NULL},
    {".5i", PT_EINVAL, NULL},
    {"-3.01i", PT_EINVAL, NULL},
    {"1Mb", PT_EINVAL, NULL},
    {"1KB", PT_EINVAL, NULL},
    {"1e", PT_EINVAL, NULL},
    {"1e+", PT_EINVAL, NULL},
    {"1E+", PT_EINVAL, NULL},
    {"-3.01e-", PT_EINVAL, NULL},
    {"1e3e3", PT_EINVAL, NULL},
    {"1e1.5", PT_EINVAL, NULL},
    {"1eE3", PT_EINVAL, NULL},
    {"1Ki3", PT_EINVAL, NULL},
    {"1k+3", PT_EINVAL, NULL},
    {"1m3", PT_EINVAL, NULL},
    {"1+", PT_EINVAL, NULL},
    {"1-", PT_EINVAL, NULL},
    {"--1", PT_EINVAL, NULL},
    {"+-1", PT_EINVAL, NULL},
    {"1,5", PT_EINVAL, NULL},
    {"1_000", PT_EINVAL, NULL},
    {"0x10", PT_EINVAL, NULL},
    {"aoeu", PT_EINVAL, NULL},
    {"\xff", PT_EINVAL, NULL},
    /* no digits: Kubernetes' scanner reads these as 0, podtune refuses them */
    {"Mi", PT_EINVAL, NULL},
    {"k", PT_EINVAL, NULL},
    {"-", PT_EINVAL, NULL},
    {"+", PT_EINVAL, NULL},
    {".", PT_EINVAL, NULL},
    {"-.", PT_EINVAL, NULL},
    {"e3", PT_EINVAL, NULL},
    {".Gi", PT_EINVAL, NULL},
};

static void test_parse_table(void **state)
{
    (void)state;
    size_t n = sizeof(parse_cases) / sizeof(parse_cases[0]);
    assert_true(n > 200);
    for (size_t i = 0; i < n; i++) {
        const struct parse_case *c = &parse_cases[i];
        struct pt_quantity q = {0, PT_QUANTITY_DECIMAL_SI};
        struct pt_error err;
        char buf[PT_QUANTITY_BUFSZ];
        pt_error_clear(&err);
        int rc = pt_quantity_parse(c->in, &q, &err);
        if (rc != c->rc)
            fail_msg("parse \"%s\": rc %d, want %d (%s)", c->in, rc, c->rc, err.text);
        if (rc) {
            /* every failure says why */
            if (err.code != rc || !err.text[0])
                fail_msg("parse \"%s\": no error text", c->in);
            continue;
        }
        assert_int_equal(pt_quantity_format(&q, buf, sizeof(buf)), 0);
        if (strcmp(buf, c->canonical) != 0)
            fail_msg("parse \"%s\": got \"%s\", want \"%s\"", c->in, buf, c->canonical);

        /* the canonical form is a fixed point with the same value */
        struct pt_quantity again;
        char buf2[PT_QUANTITY_BUFSZ];
        if (pt_quantity_parse(buf, &again, NULL) != 0)
            fail_msg("canonical \"%s\" of \"%s\" does not re-parse", buf, c->in);
        assert_true(again.nano == q.nano);
        assert_int_equal(pt_quantity_format(&again, buf2, sizeof(buf2)), 0);
        assert_string_equal(buf, buf2);
    }
}

static void test_parse_values(void **state)
{
    (void)state;
    struct pt_quantity q;
    assert_int_equal(pt_quantity_parse("1Gi", &q, NULL), 0);
    assert_true(q.nano == (__int128)1073741824 * NANO);
    assert_int_equal(q.format, PT_QUANTITY_BINARY_SI);
    assert_int_equal(pt_quantity_parse("500m", &q, NULL), 0);
    assert_true(q.nano == 500000000);
    assert_int_equal(q.format, PT_QUANTITY_DECIMAL_SI);
    assert_int_equal(pt_quantity_parse("1e3", &q, NULL), 0);
    assert_true(q.nano == 1000 * NANO);
    assert_int_equal(q.format, PT_QUANTITY_DECIMAL_EXPONENT);
    assert_int_equal(pt_quantity_parse("-1.5Gi", &q, NULL), 0);
    assert_true(q.nano == -(__int128)1610612736 * NANO);
    assert_int_equal(pt_quantity_parse("-8Ei", &q, NULL), 0);
    assert_true(q.nano == (__int128)INT64_MIN * NANO);
    /* binary values ≥ 1 keep BinarySI even when fractional, below 1 become decimal */
    assert_int_equal(pt_quantity_parse("100.035Ki", &q, NULL), 0);
    assert_int_equal(q.format, PT_QUANTITY_BINARY_SI);
    assert_true(q.nano == (__int128)10243584 * 10000000);
    assert_int_equal(pt_quantity_parse(".000000000001Ki", &q, NULL), 0);
    assert_int_equal(q.format, PT_QUANTITY_DECIMAL_SI);
    assert_true(q.nano == 2);
    assert_int_equal(pt_quantity_parse("0Ki", &q, NULL), 0);
    assert_int_equal(q.format, PT_QUANTITY_BINARY_SI);
    /* a failed parse leaves the output alone */
    q.nano = 42;
    assert_int_equal(pt_quantity_parse("1.2.3", &q, NULL), PT_EINVAL);
    assert_true(q.nano == 42);
    assert_int_equal(pt_quantity_parse(NULL, &q, NULL), PT_EINVAL);
}

/* Messages name the problem, not just "invalid". */
static void test_parse_messages(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int rc;
        const char *needle;
    } cases[] = {
        {"", PT_EINVAL, "empty"},
        {"1.2.3", PT_EINVAL, "unexpected character '.' at offset 3"},
        {"1 Gi", PT_EINVAL, "whitespace"},
        {"1gi", PT_EINVAL, "did you mean \"Gi\""},
        {"1ki", PT_EINVAL, "did you mean \"Ki\""},
        {"1Gii", PT_EINVAL, "unknown suffix \"Gii\""},
        {"1e", PT_EINVAL, "exponent \"e\" without digits"},
        {"1e+", PT_EINVAL, "bad exponent \"e+\""},
        {"Mi", PT_EINVAL, "no digits"},
        {"-", PT_EINVAL, "no digits"},
        {"1x", PT_EINVAL, "unexpected character 'x'"},
        {"1e99", PT_ERANGE, "out of range"},
        {"8Ei", PT_ERANGE, "out of range"},
        {"1e99999999999", PT_ERANGE, "exponent too large"},
        {"1\x01", PT_EINVAL, "\"1?\""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct pt_quantity q;
        struct pt_error err;
        pt_error_clear(&err);
        assert_int_equal(pt_quantity_parse(cases[i].in, &q, &err), cases[i].rc);
        assert_int_equal(err.code, cases[i].rc);
        if (!strstr(err.text, cases[i].needle))
            fail_msg("\"%s\": message \"%s\" lacks \"%s\"", cases[i].in, err.text,
                     cases[i].needle);
    }

    /* a very long bad input is quoted only in part */
    char longbuf[4096];
    memset(longbuf, '9', sizeof(longbuf) - 2);
    longbuf[sizeof(longbuf) - 2] = 'x';
    longbuf[sizeof(longbuf) - 1] = '\0';
    struct pt_error err;
    struct pt_quantity q;
    pt_error_clear(&err);
    assert_int_equal(pt_quantity_parse(longbuf, &q, &err), PT_EINVAL);
    assert_true(strlen(err.text) < 200);
    assert_non_null(strstr(err.text, "..."));
}

static struct pt_quantity P(const char *s)
{
    struct pt_quantity q;
    struct pt_error err;
    pt_error_clear(&err);
    if (pt_quantity_parse(s, &q, &err) != 0)
        fail_msg("cannot parse \"%s\": %s", s, err.text);
    return q;
}

static void test_cmp(void **state)
{
    (void)state;
    static const struct {
        const char *a, *b;
        int want;
    } cases[] = {
        {"1Gi", "1073741824", 0},
        {"1k", "999", 1},
        {"1k", "1e3", 0},
        {"1Ki", "1k", 1},
        {"1000m", "1", 0},
        {"0.5", "500m", 0},
        {"1.5Gi", "1536Mi", 0},
        {"1.5Gi", "1610612736", 0},
        {"1Mi", "1M", 1},
        {"-1", "0", -1},
        {"1n", "0", 1},
        {"500m", "1", -1},
        {"1E", "999P", 1},
        {"10000T", "100Gi", 1},
        {"-8Ei", "-9223372036854775807", -1},
        {"0", "-0", 0},
        {"0Ki", "0e5", 0},
        {"999999999n", "1", -1},
        {"1000000001n", "1", 1},
        {"-1Gi", "-1G", -1},
        {"4Gi", "4G", 1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct pt_quantity a = P(cases[i].a), b = P(cases[i].b);
        int ab = pt_quantity_cmp(&a, &b), ba = pt_quantity_cmp(&b, &a);
        int sab = (ab > 0) - (ab < 0), sba = (ba > 0) - (ba < 0);
        if (sab != cases[i].want || sba != -cases[i].want)
            fail_msg("cmp(%s, %s) = %d / %d, want %d", cases[i].a, cases[i].b, ab, ba,
                     cases[i].want);
    }
}

/* op: '+' or '-'; want NULL means PT_ERANGE. */
static void check_arith(char op, const char *a, const char *b, const char *want)
{
    struct pt_quantity qa = P(a), qb = P(b), out = {0, PT_QUANTITY_DECIMAL_SI};
    char buf[PT_QUANTITY_BUFSZ];
    int rc = op == '+' ? pt_quantity_add(&qa, &qb, &out) : pt_quantity_sub(&qa, &qb, &out);
    if (!want) {
        if (rc != PT_ERANGE)
            fail_msg("%s %c %s: rc %d, want PT_ERANGE", a, op, b, rc);
        return;
    }
    if (rc != 0)
        fail_msg("%s %c %s: rc %d", a, op, b, rc);
    assert_int_equal(out.format, qa.format);
    assert_int_equal(pt_quantity_format(&out, buf, sizeof(buf)), 0);
    if (strcmp(buf, want) != 0)
        fail_msg("%s %c %s = %s, want %s", a, op, b, buf, want);
}

static void test_add_sub(void **state)
{
    (void)state;
    check_arith('-', "4Gi", "1Gi", "3Gi");
    check_arith('-', "1", "500m", "500m");
    check_arith('-', "1Gi", "1.5Gi", "-512Mi");
    check_arith('-', "100m", "1", "-900m");
    check_arith('-', "2", "2000m", "0");
    check_arith('-', "1Gi", "1G", "73741824");
    check_arith('-', "0", "1Gi", "-1073741824");
    check_arith('+', "1Gi", "512Mi", "1536Mi");
    check_arith('+', "1", "1Gi", "1073741825");
    check_arith('+', "1e3", "1", "1001");
    check_arith('+', "1e3", "1k", "2e3");
    check_arith('+', "500m", "500m", "1");
    check_arith('+', "1n", "-1n", "0");
    check_arith('+', "384Mi", "3Gi", "3456Mi");
    check_arith('+', "8191Pi", "8191Pi", NULL);
    check_arith('+', "9223372036854775807", "1n", NULL);
    check_arith('-', "-8Ei", "1n", NULL);
    check_arith('-', "9223372036854775807", "-1", NULL);
    check_arith('+', "-9223372036854775807", "-1", "-9223372036854775808");

    /* hand-built values outside the range are refused, not wrapped */
    struct pt_quantity big = {(__int128)1 << 126, PT_QUANTITY_DECIMAL_SI};
    struct pt_quantity one = P("1"), out;
    assert_int_equal(pt_quantity_add(&big, &one, &out), PT_ERANGE);
    assert_int_equal(pt_quantity_sub(&one, &big, &out), PT_ERANGE);
}

/* want NULL: expect rc. Also checks the contract: out*ratio >= q, and one step
 * less would not be. */
static void check_div(const char *q, const char *ratio, int rc, const char *want)
{
    struct pt_quantity qq = P(q), qr = P(ratio), out = {0, PT_QUANTITY_DECIMAL_SI};
    char buf[PT_QUANTITY_BUFSZ];
    int got = pt_quantity_div_ceil(&qq, &qr, &out);
    if (got != rc)
        fail_msg("%s / %s: rc %d, want %d", q, ratio, got, rc);
    if (rc)
        return;
    assert_int_equal(out.format, qq.format);
    assert_int_equal(pt_quantity_format(&out, buf, sizeof(buf)), 0);
    if (strcmp(buf, want) != 0)
        fail_msg("%s / %s = %s, want %s", q, ratio, buf, want);
    __int128 step = qq.nano % NANO == 0 ? NANO : NANO / 1000;
    assert_true(out.nano % step == 0);
    assert_true(out.nano * qr.nano >= qq.nano * NANO);
    assert_true((out.nano - step) * qr.nano < qq.nano * NANO);
}

static void test_div_ceil(void **state)
{
    (void)state;
    check_div("4", "4", 0, "1");
    check_div("8", "3", 0, "3");
    check_div("10", "3", 0, "4");
    check_div("4", "1.5", 0, "3");
    check_div("1", "0.3", 0, "4");
    check_div("2", "0.5", 0, "4");
    check_div("1500m", "4", 0, "375m");
    check_div("1.5", "4", 0, "375m");
    check_div("100m", "3", 0, "34m");
    check_div("1", "3", 0, "1");
    check_div("0", "4", 0, "0");
    check_div("4Gi", "4", 0, "1Gi");
    check_div("6Gi", "1.5", 0, "4Gi");
    check_div("4Gi", "3", 0, "1431655766");
    check_div("1Gi", "0.3", 0, "3579139414");
    check_div("8G", "3", 0, "2666666667");
    check_div("1", "1n", 0, "1G");
    check_div("1e3", "3", 0, "334");
    check_div("9223372036854775807", "1", 0, "9223372036854775807");
    check_div("9223372036854775807", "0.5", PT_ERANGE, NULL);
    check_div("9223372036854775807", "1n", PT_ERANGE, NULL);
    check_div("1", "0", PT_EINVAL, NULL);
    check_div("1", "-2", PT_EINVAL, NULL);
    check_div("-1", "3", 0, "0");
    check_div("-4", "3", 0, "-1");
}

static void test_to_int(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int64_t want;
    } cases[] = {
        {"0", 0},
        {"1", 1},
        {"1500m", 2},
        {"1.2", 2},
        {"1n", 1},
        {"999m", 1},
        {"1000m", 1},
        {"-1.5", -2},
        {"-500m", -1},
        {"1Gi", 1073741824},
        {"1.5Gi", 1610612736},
        {"1e3", 1000},
        {"9223372036854775807", INT64_MAX},
        {"9223372036854775806.5", INT64_MAX},
        {"-9223372036854775808", INT64_MIN},
        {"-9223372036854775807.5", INT64_MIN},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct pt_quantity q = P(cases[i].in);
        int64_t v = 12345;
        assert_int_equal(pt_quantity_to_int(&q, &v), 0);
        if (v != cases[i].want)
            fail_msg("to_int(%s) = %lld, want %lld", cases[i].in, (long long)v,
                     (long long)cases[i].want);
    }
    struct pt_quantity over = {(__int128)INT64_MAX * NANO + 1, PT_QUANTITY_DECIMAL_SI};
    struct pt_quantity under = {(__int128)INT64_MIN * NANO - 1, PT_QUANTITY_DECIMAL_SI};
    int64_t v;
    assert_int_equal(pt_quantity_to_int(&over, &v), PT_ERANGE);
    assert_int_equal(pt_quantity_to_int(&under, &v), PT_ERANGE);
}

static void test_from_int_and_format(void **state)
{
    (void)state;
    static const struct {
        int64_t v;
        enum pt_quantity_format f;
        const char *want;
    } cases[] = {
        {1024, PT_QUANTITY_BINARY_SI, "1Ki"},
        {1024 * 1024, PT_QUANTITY_BINARY_SI, "1Mi"},
        {5, PT_QUANTITY_BINARY_SI, "5"},
        {1025, PT_QUANTITY_BINARY_SI, "1025"},
        {832000, PT_QUANTITY_BINARY_SI, "832k"},
        {0, PT_QUANTITY_BINARY_SI, "0"},
        {1000, PT_QUANTITY_DECIMAL_SI, "1k"},
        {1234000, PT_QUANTITY_DECIMAL_SI, "1234k"},
        {1000000, PT_QUANTITY_DECIMAL_EXPONENT, "1e6"},
        {-1024, PT_QUANTITY_BINARY_SI, "-1Ki"},
        {INT64_MIN, PT_QUANTITY_DECIMAL_SI, "-9223372036854775808"},
        {INT64_MIN, PT_QUANTITY_BINARY_SI, "-8Ei"},
        {INT64_MAX, PT_QUANTITY_BINARY_SI, "9223372036854775807"},
    };
    char buf[PT_QUANTITY_BUFSZ];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct pt_quantity q;
        pt_quantity_from_int(cases[i].v, cases[i].f, &q);
        assert_int_equal(pt_quantity_format(&q, buf, sizeof(buf)), 0);
        assert_string_equal(buf, cases[i].want);
        int64_t back;
        assert_int_equal(pt_quantity_to_int(&q, &back), 0);
        assert_true(back == cases[i].v);
    }

    /* Formats of hand-built values, as Kubernetes' String() */
    struct pt_quantity half_bin = {500000000, PT_QUANTITY_BINARY_SI};
    assert_int_equal(pt_quantity_format(&half_bin, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "500m");
    struct pt_quantity milli_bin = {(__int128)1234567 * 1000000, PT_QUANTITY_BINARY_SI};
    assert_int_equal(pt_quantity_format(&milli_bin, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "1234567m");
    struct pt_quantity huge = {(__int128)1 << 100, PT_QUANTITY_DECIMAL_SI};
    assert_int_equal(pt_quantity_format(&huge, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "1267650600228229401496703205376n");
    /* DecimalSI has no suffix above "E": exponent notation, never a lost magnitude */
    struct pt_quantity e21 = {(__int128)1000000000000000LL * 1000000000000000LL,
                              PT_QUANTITY_DECIMAL_SI};
    assert_int_equal(pt_quantity_format(&e21, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "1e21");

    /* buffer limits */
    struct pt_quantity q = P("1536Mi");
    assert_int_equal(pt_quantity_format(&q, buf, 7), 0);
    assert_string_equal(buf, "1536Mi");
    assert_int_equal(pt_quantity_format(&q, buf, 6), PT_ERANGE);
    assert_int_equal(pt_quantity_format(&q, buf, 0), PT_ERANGE);
    struct pt_quantity z = P("0");
    assert_int_equal(pt_quantity_format(&z, buf, 1), PT_ERANGE);
    assert_int_equal(pt_quantity_format(&z, buf, 2), 0);
    assert_string_equal(buf, "0");
}

static void test_jvm_parse(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int rc;
        int64_t want;
    } cases[] = {
        {"512m", 0, 536870912},
        {"4g", 0, 4294967296},
        {"1024k", 0, 1048576},
        {"2t", 0, 2199023255552},
        {"1G", 0, 1073741824},
        {"3584M", 0, 3758096384},
        {"8K", 0, 8192},
        {"1T", 0, 1099511627776},
        {"1073741824", 0, 1073741824},
        {"0", 0, 0},
        {"0512m", 0, 536870912},
        {"8388607t", 0, 9223370937343148032},
        {"9223372036854775807", 0, INT64_MAX},
        {"1.5g", PT_EINVAL, 0},
        {"", PT_EINVAL, 0},
        {"m", PT_EINVAL, 0},
        {"-1g", PT_EINVAL, 0},
        {"+1g", PT_EINVAL, 0},
        {"1gb", PT_EINVAL, 0},
        {"1Gi", PT_EINVAL, 0},
        {"1 g", PT_EINVAL, 0},
        {" 1g", PT_EINVAL, 0},
        {"1g ", PT_EINVAL, 0},
        {"1x", PT_EINVAL, 0},
        {"1p", PT_EINVAL, 0},
        {"g1", PT_EINVAL, 0},
        {"1e3", PT_EINVAL, 0},
        {"8388608t", PT_ERANGE, 0},
        {"9007199254740992k", PT_ERANGE, 0},
        {"9223372036854775808", PT_ERANGE, 0},
        {"99999999999999999999999999g", PT_ERANGE, 0},
        /* 2^64 and 2^64 + 1: the digits must not wrap around to 0 and 1 */
        {"18446744073709551616", PT_ERANGE, 0},
        {"18446744073709551617m", PT_ERANGE, 0},
        {"92233720368547758070", PT_ERANGE, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t v = -7;
        struct pt_error err;
        pt_error_clear(&err);
        int rc = pt_jvm_size_parse(cases[i].in, &v, &err);
        if (rc != cases[i].rc)
            fail_msg("jvm \"%s\": rc %d, want %d (%s)", cases[i].in, rc, cases[i].rc, err.text);
        if (rc == 0 && v != cases[i].want)
            fail_msg("jvm \"%s\" = %lld, want %lld", cases[i].in, (long long)v,
                     (long long)cases[i].want);
        if (rc && (!err.text[0] || err.code != rc || v != -7))
            fail_msg("jvm \"%s\": error not reported cleanly", cases[i].in);
    }
    int64_t v;
    assert_int_equal(pt_jvm_size_parse(NULL, &v, NULL), PT_EINVAL);
}

static void test_jvm_format(void **state)
{
    (void)state;
    static const struct {
        int64_t bytes;
        const char *want;
    } cases[] = {
        {3758096384, "3584m"}, {1073741824, "1024m"},          {1073741825, "1024m"},
        {1048576, "1m"},       {1048575, "0m"},                {0, "0m"},
        {536870912, "512m"},   {INT64_MAX, "8796093022207m"},
    };
    char buf[32];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(pt_jvm_size_format(cases[i].bytes, buf, sizeof(buf)), 0);
        assert_string_equal(buf, cases[i].want);
        /* what is written parses back to the same whole MiB */
        int64_t back;
        assert_int_equal(pt_jvm_size_parse(buf, &back, NULL), 0);
        assert_true(back == (cases[i].bytes / 1048576) * 1048576);
    }
    assert_int_equal(pt_jvm_size_format(-1, buf, sizeof(buf)), PT_ERANGE);
    assert_int_equal(pt_jvm_size_format(3758096384, buf, 5), PT_ERANGE);
    assert_int_equal(pt_jvm_size_format(3758096384, buf, 6), 0);
    assert_string_equal(buf, "3584m");
    assert_int_equal(pt_jvm_size_format(1, buf, 0), PT_ERANGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_table),
        cmocka_unit_test(test_parse_values),
        cmocka_unit_test(test_parse_messages),
        cmocka_unit_test(test_cmp),
        cmocka_unit_test(test_add_sub),
        cmocka_unit_test(test_div_ceil),
        cmocka_unit_test(test_to_int),
        cmocka_unit_test(test_from_int_and_format),
        cmocka_unit_test(test_jvm_parse),
        cmocka_unit_test(test_jvm_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
