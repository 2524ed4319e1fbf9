/* test_diag.c — diagnostics: stable sort by position, printing with the source line and caret. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "podtune/diag.h"

static void test_sort_stable(void **state)
{
    struct pt_diags d;
    (void)state;
    pt_diags_init(&d);
    pt_diags_add(&d, PT_SEV_ERROR, "b.yaml", 1, 1, "b1");
    pt_diags_add(&d, PT_SEV_ERROR, "a.yaml", 5, 2, "a5-first");
    pt_diags_add(&d, PT_SEV_WARNING, "a.yaml", 2, 9, "a2");
    pt_diags_add(&d, PT_SEV_ERROR, "a.yaml", 5, 2, "a5-second");
    pt_diags_add(&d, PT_SEV_ERROR, "a.yaml", 5, 1, "a5c1");
    pt_diags_sort(&d);
    assert_string_equal(d.items[0].text, "a2");
    assert_string_equal(d.items[1].text, "a5c1");
    assert_string_equal(d.items[2].text, "a5-first");
    assert_string_equal(d.items[3].text, "a5-second");
    assert_string_equal(d.items[4].text, "b1");
    assert_int_equal(d.errors, 4);
    assert_int_equal(d.warnings, 1);
    pt_diags_cleanup(&d);
}

static void test_print_with_source(void **state)
{
    char path[] = "/tmp/podtune-diag-XXXXXX";
    int fd = mkstemp(path);
    FILE *f;
    char *out = NULL;
    size_t len = 0;
    struct pt_diags d;
    char want[1024];
    (void)state;

    assert_true(fd >= 0);
    /* the last line has no newline */
    assert_int_equal(write(fd, "first: 1\n\tsecond: x\nthird: [", 28), 28);
    close(fd);
    pt_diags_init(&d);
    pt_diags_add(&d, PT_SEV_ERROR, path, 2, 10, "bad value");
    pt_diags_add(&d, PT_SEV_WARNING, path, 3, 8, "unclosed");
    pt_diags_add(&d, PT_SEV_ERROR, path, 9, 1, "past the end");
    pt_diags_add(&d, PT_SEV_ERROR, "", 0, 0, "no position");
    f = open_memstream(&out, &len);
    pt_diags_print(&d, f, 1);
    fclose(f);
    snprintf(want, sizeof(want),
             "%s:2:10: error: bad value\n  \tsecond: x\n  \t        ^\n"
             "%s:3:8: warning: unclosed\n  third: [\n         ^\n"
             "%s:9:1: error: past the end\n"
             "error: no position\n",
             path, path, path);
    assert_string_equal(out, want);
    free(out);
    pt_diags_cleanup(&d);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sort_stable),
        cmocka_unit_test(test_print_with_source),
    };
    return cmocka_run_group_tests_name("diag", tests, NULL, NULL);
}
