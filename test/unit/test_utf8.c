/* test_utf8.c — UTF-8 sequence lengths and scrubbing the bytes a cut left behind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "podtune/utf8.h"

static void test_seq(void **state)
{
    (void)state;
    assert_int_equal(pt_utf8_seq((const unsigned char *)"a", 1), 1);
    assert_int_equal(pt_utf8_seq((const unsigned char *)"\xc3\xa9", 2), 2);
    assert_int_equal(pt_utf8_seq((const unsigned char *)"\xc3\xa9", 1), 0); /* cut */
    assert_int_equal(pt_utf8_seq((const unsigned char *)"\xe2\x82\xac", 3), 3);
    assert_int_equal(pt_utf8_seq((const unsigned char *)"\xf0\x9f\x98\x80", 4), 4);
    assert_int_equal(pt_utf8_seq((const unsigned char *)"\xc0\xaf", 2), 0);     /* overlong */
    assert_int_equal(pt_utf8_seq((const unsigned char *)"\xed\xa0\x80", 3), 0); /* surrogate */
    assert_int_equal(pt_utf8_seq((const unsigned char *)"\xf4\x90\x80\x80", 4), 0);
    assert_int_equal(pt_utf8_seq((const unsigned char *)"\x80", 1), 0);
}

static void test_scrub(void **state)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"plain", "plain"},
        {"caf\xc3\xa9", "caf\xc3\xa9"},
        {"caf\xc3", "caf"},                           /* a cut after the lead byte */
        {"a\xc3\" (annotation)", "a\" (annotation)"}, /* a cut inside "%.40s" */
        {"\xe2\x82", ""},
        {"x\x80y\xffz", "xyz"},
        {"", ""},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char buf[64];
        snprintf(buf, sizeof(buf), "%s", cases[i].in);
        assert_int_equal(pt_utf8_scrub(buf), strlen(cases[i].out));
        assert_string_equal(buf, cases[i].out);
    }
    assert_int_equal(pt_utf8_scrub(NULL), 0);
}

static void test_truncate(void **state)
{
    char shortest[] = "abc", exact[] = "abcdef", longer[] = "abcdefgh";
    char multi[] = "ab\xc3\xa9\xc3\xa9xyz"; /* "abééxyz": 9 bytes */
    (void)state;
    assert_int_equal(pt_utf8_truncate(shortest, 6), 3);
    assert_string_equal(shortest, "abc");
    assert_int_equal(pt_utf8_truncate(exact, 6), 6);
    assert_string_equal(exact, "abcdef");
    assert_int_equal(pt_utf8_truncate(longer, 6), 6);
    assert_string_equal(longer, "abc...");
    /* a cut at byte 3 would split the first é: it moves back to its start */
    assert_int_equal(pt_utf8_truncate(multi, 6), 5);
    assert_string_equal(multi, "ab...");
}

static void test_positions(void **state)
{
    const char *t = "ab\n\xc3\xa9x\n";
    int line, col;
    (void)state;
    pt_utf8_position(t, strlen(t), 0, &line, &col);
    assert_int_equal(line, 1);
    assert_int_equal(col, 1);
    pt_utf8_position(t, strlen(t), 5, &line, &col); /* after "é": one character */
    assert_int_equal(line, 2);
    assert_int_equal(col, 2);
    pt_utf8_position(t, strlen(t), 999, &line, &col); /* past the end: the end */
    assert_int_equal(line, 3);
    assert_int_equal(col, 1);
    line = 9, col = 1;
    pt_utf8_clamp_position("a: [", 4, &line, &col);
    assert_int_equal(line, 1);
    assert_int_equal(col, 5);
    line = 1, col = 2; /* inside: unchanged */
    pt_utf8_clamp_position("a: [", 4, &line, &col);
    assert_int_equal(line, 1);
    assert_int_equal(col, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seq),
        cmocka_unit_test(test_scrub),
        cmocka_unit_test(test_truncate),
        cmocka_unit_test(test_positions),
    };
    return cmocka_run_group_tests_name("utf8", tests, NULL, NULL);
}
