/* textdiff.c — line-based unified diff (longest common subsequence) for small texts. */
#include "podtune/textdiff.h"

#include <stdlib.h>
#include <string.h>

#include "podtune/error.h"

#define MAX_LINES 20000
#define CONTEXT   3

struct lines {
    const char **start;
    size_t *len;
    size_t n;
};

static int split_lines(const char *text, struct lines *l)
{
    size_t cap = 1;
    const char *p;

    for (p = text; *p; p++)
        if (*p == '\n')
            cap++;
    l->start = malloc(cap * sizeof(*l->start));
    l->len = malloc(cap * sizeof(*l->len));
    l->n = 0;
    if (!l->start || !l->len)
        return PT_ENOMEM;
    for (p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        l->start[l->n] = p;
        l->len[l->n++] = n;
        p += n + (nl ? 1 : 0);
    }
    return PT_OK;
}

static int line_eq(const struct lines *a, size_t i, const struct lines *b, size_t j)
{
    return a->len[i] == b->len[j] && memcmp(a->start[i], b->start[j], a->len[i]) == 0;
}

enum { OP_SAME, OP_DEL, OP_ADD };

/* Edit script from an LCS table over the lines between a common prefix and suffix. */
static int edit_script(const struct lines *a, const struct lines *b, unsigned char **ops,
                       size_t *n_ops)
{
    size_t pre = 0, suf = 0, n, m, k = 0;
    unsigned *t = NULL;
    unsigned char *o;

    while (pre < a->n && pre < b->n && line_eq(a, pre, b, pre))
        pre++;
    while (suf < a->n - pre && suf < b->n - pre && line_eq(a, a->n - 1 - suf, b, b->n - 1 - suf))
        suf++;
    n = a->n - pre - suf;
    m = b->n - pre - suf;
    o = malloc(a->n + b->n + 1);
    if (!o)
        return PT_ENOMEM;
    for (size_t i = 0; i < pre; i++)
        o[k++] = OP_SAME;
    if (n && m && n <= MAX_LINES && m <= MAX_LINES && (t = calloc((n + 1) * (m + 1), sizeof(*t)))) {
        /* t[i][j] = LCS length of a[pre+i..] and b[pre+j..] */
        for (size_t i = n; i-- > 0;)
            for (size_t j = m; j-- > 0;)
                t[i * (m + 1) + j] = line_eq(a, pre + i, b, pre + j)
                                         ? t[(i + 1) * (m + 1) + j + 1] + 1
                                         : (t[(i + 1) * (m + 1) + j] > t[i * (m + 1) + j + 1]
                                                ? t[(i + 1) * (m + 1) + j]
                                                : t[i * (m + 1) + j + 1]);
        size_t i = 0, j = 0;
        while (i < n && j < m) {
            if (line_eq(a, pre + i, b, pre + j)) {
                o[k++] = OP_SAME;
                i++, j++;
            } else if (t[(i + 1) * (m + 1) + j] >= t[i * (m + 1) + j + 1]) {
                o[k++] = OP_DEL;
                i++;
            } else {
                o[k++] = OP_ADD;
                j++;
            }
        }
        while (i++ < n)
            o[k++] = OP_DEL;
        while (j++ < m)
            o[k++] = OP_ADD;
        free(t);
    } else {
        for (size_t i = 0; i < n; i++)
            o[k++] = OP_DEL;
        for (size_t j = 0; j < m; j++)
            o[k++] = OP_ADD;
    }
    for (size_t i = 0; i < suf; i++)
        o[k++] = OP_SAME;
    *ops = o;
    *n_ops = k;
    return PT_OK;
}

int pt_textdiff_unified(FILE *out, const char *a_name, const char *a, const char *b_name,
                        const char *b, int color)
{
    struct lines la = {0}, lb = {0};
    unsigned char *ops = NULL;
    size_t n_ops = 0, k = 0;
    int rc, differ = 0;
    const char *red = color ? "\033[31m" : "", *green = color ? "\033[32m" : "",
               *cyan = color ? "\033[36m" : "", *reset = color ? "\033[0m" : "";

    if ((rc = split_lines(a, &la)) != 0 || (rc = split_lines(b, &lb)) != 0 ||
        (rc = edit_script(&la, &lb, &ops, &n_ops)) != 0)
        goto done;
    while (k < n_ops) {
        size_t first, last, ai = 0, bi = 0, a_cnt = 0, b_cnt = 0, a0, b0;

        while (k < n_ops && ops[k] == OP_SAME)
            k++;
        if (k == n_ops)
            break;
        /* grow the hunk while changes are within 2*CONTEXT lines of each other */
        first = k >= CONTEXT ? k - CONTEXT : 0;
        last = k;
        for (size_t same = 0; last < n_ops; last++) {
            same = ops[last] == OP_SAME ? same + 1 : 0;
            if (same > 2 * CONTEXT)
                break;
        }
        while (last > k && ops[last - 1] == OP_SAME && (last - 1) >= k)
            last--;
        last = last + CONTEXT < n_ops ? last + CONTEXT : n_ops;
        for (size_t x = 0; x < first; x++) {
            ai += ops[x] != OP_ADD;
            bi += ops[x] != OP_DEL;
        }
        a0 = ai, b0 = bi;
        for (size_t x = first; x < last; x++) {
            a_cnt += ops[x] != OP_ADD;
            b_cnt += ops[x] != OP_DEL;
        }
        if (!differ) {
            fprintf(out, "%s--- %s\n+++ %s%s\n", cyan, a_name, b_name, reset);
            differ = 1;
        }
        fprintf(out, "%s@@ -%zu,%zu +%zu,%zu @@%s\n", cyan, a_cnt ? a0 + 1 : a0, a_cnt,
                b_cnt ? b0 + 1 : b0, b_cnt, reset);
        for (size_t x = first; x < last; x++) {
            if (ops[x] == OP_SAME) {
                fprintf(out, " %.*s\n", (int)la.len[ai], la.start[ai]);
                ai++, bi++;
            } else if (ops[x] == OP_DEL) {
                fprintf(out, "%s-%.*s%s\n", red, (int)la.len[ai], la.start[ai], reset);
                ai++;
            } else {
                fprintf(out, "%s+%.*s%s\n", green, (int)lb.len[bi], lb.start[bi], reset);
                bi++;
            }
        }
        k = last;
    }
    rc = differ;
done:
    free(la.start);
    free(la.len);
    free(lb.start);
    free(lb.len);
    free(ops);
    return rc;
}
