/* test_textdiff.c — unified diffs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "podtune/textdiff.h"

static char *diff(const char *a, const char *b, int *rc)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    *rc = pt_textdiff_unified(f, "a", a, "b", b, 0);
    fclose(f);
    return buf;
}

static void test_equal(void **state)
{
    int rc;
    char *d = diff("x\ny\n", "x\ny\n", &rc);
    (void)state;
    assert_int_equal(rc, 0);
    assert_string_equal(d, "");
    free(d);
}

static void test_insert_middle(void **state)
{
    int rc;
    char *d = diff("1\n2\n3\n4\n5\n6\n7\n8\n9\n", "1\n2\n3\n4\n4.5\n5\n6\n7\n8\n9\n", &rc);
    (void)state;
    assert_int_equal(rc, 1);
    assert_string_equal(d, "--- a\n+++ b\n@@ -2,6 +2,7 @@\n 2\n 3\n 4\n+4.5\n 5\n 6\n 7\n");
    free(d);
}

static void test_two_hunks(void **state)
{
    int rc;
    char *d = diff("a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\nm\n", "A\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\nM\n", &rc);
    (void)state;
    assert_int_equal(rc, 1);
    assert_string_equal(d, "--- a\n+++ b\n@@ -1,4 +1,4 @@\n-a\n+A\n b\n c\n d\n"
                           "@@ -10,4 +10,4 @@\n j\n k\n l\n-m\n+M\n");
    free(d);
}

static void test_from_empty(void **state)
{
    int rc;
    char *d = diff("", "x\n", &rc);
    (void)state;
    assert_int_equal(rc, 1);
    assert_string_equal(d, "--- a\n+++ b\n@@ -0,0 +1,1 @@\n+x\n");
    free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_equal),
        cmocka_unit_test(test_insert_middle),
        cmocka_unit_test(test_two_hunks),
        cmocka_unit_test(test_from_empty),
    };
    return cmocka_run_group_tests_name("textdiff", tests, NULL, NULL);
}
