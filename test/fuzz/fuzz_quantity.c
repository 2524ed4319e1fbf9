/* fuzz_quantity.c — libFuzzer target: quantity parsing never misbehaves and its canonical form is a fixed point. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "podtune/quantity.h"

#define NANO ((__int128)1000000000)

static int sign(int v)
{
    return (v > 0) - (v < 0);
}

/* Parses s; when it parses, checks format → parse gives the same value and
 * the same string, and that to_int rounds away from zero. */
static int check_one(const char *s, struct pt_quantity *q)
{
    struct pt_error err;
    char buf[PT_QUANTITY_BUFSZ], buf2[PT_QUANTITY_BUFSZ];
    struct pt_quantity again;
    int64_t v;

    pt_error_clear(&err);
    int rc = pt_quantity_parse(s, q, &err);
    if (rc) {
        if ((rc != PT_EINVAL && rc != PT_ERANGE) || err.code != rc || !err.text[0])
            abort();
        return rc;
    }
    if (pt_quantity_format(q, buf, sizeof(buf)) != 0)
        abort();
    if (pt_quantity_parse(buf, &again, NULL) != 0)
        abort();
    if (again.nano != q->nano || pt_quantity_cmp(q, &again) != 0)
        abort();
    if (pt_quantity_format(&again, buf2, sizeof(buf2)) != 0 || strcmp(buf, buf2) != 0)
        abort();
    /* Exponent notation only for quantities written with one: below 2^63
     * every DecimalSI and BinarySI value has a suffix ("E" is exa). */
    if (q->format != PT_QUANTITY_DECIMAL_EXPONENT &&
        (strpbrk(buf, "e+") || (strchr(buf, 'E') && strchr(buf, 'E')[1] != '\0' &&
                                strcmp(strchr(buf, 'E'), "Ei") != 0)))
        abort();
    if (buf[0] == '+' || (buf[0] == '-' && q->nano >= 0))
        abort();
    if (pt_quantity_to_int(q, &v) != 0)
        abort();
    __int128 back = (__int128)v * NANO;
    if (q->nano >= 0 ? (back < q->nano || back - q->nano >= NANO)
                     : (back > q->nano || q->nano - back >= NANO))
        abort();
    return 0;
}

/* Two quantities: cmp is antisymmetric, add and sub undo each other, and
 * div_ceil keeps its contract. */
static void check_pair(const struct pt_quantity *a, const struct pt_quantity *b)
{
    struct pt_quantity sum, diff, out;
    if (sign(pt_quantity_cmp(a, b)) != -sign(pt_quantity_cmp(b, a)))
        abort();
    if ((pt_quantity_cmp(a, b) == 0) != (a->nano == b->nano))
        abort();
    if (pt_quantity_add(a, b, &sum) == 0) {
        if (pt_quantity_sub(&sum, b, &diff) != 0 || diff.nano != a->nano)
            abort();
    }
    if (b->nano > 0) {
        int rc = pt_quantity_div_ceil(a, b, &out);
        if (rc == 0) {
            __int128 step = a->nano % NANO == 0 ? NANO : NANO / 1000;
            if (out.nano % step != 0 || out.nano * b->nano < a->nano * NANO ||
                (out.nano - step) * b->nano >= a->nano * NANO)
                abort();
        } else if (rc != PT_ERANGE) {
            abort();
        }
    } else if (pt_quantity_div_ceil(a, b, &out) != PT_EINVAL) {
        abort();
    }
}

static void check_jvm(const char *s)
{
    int64_t bytes, back;
    char buf[32];
    if (pt_jvm_size_parse(s, &bytes, NULL) != 0)
        return;
    if (bytes < 0 || pt_jvm_size_format(bytes, buf, sizeof(buf)) != 0)
        abort();
    if (pt_jvm_size_parse(buf, &back, NULL) != 0 || back != bytes / 1048576 * 1048576)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    struct pt_quantity a, b;
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';

    check_one(s, &a);
    check_jvm(s);
    /* "x,y" is also read as a pair of quantities */
    char *comma = strchr(s, ',');
    if (comma) {
        *comma = '\0';
        if (check_one(s, &a) == 0 && check_one(comma + 1, &b) == 0) {
            check_pair(&a, &b);
            check_pair(&b, &a);
        }
    }
    free(s);
    return 0;
}
