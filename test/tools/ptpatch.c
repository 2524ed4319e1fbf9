/* ptpatch.c — JSON Patch driver for scripts: `diff FROM TO` prints a patch, `apply DOC PATCH`
 * prints the result. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "podtune/jsonpatch.h"

static json_t *load(const char *path)
{
    json_error_t jerr;
    json_t *v = json_load_file(path, JSON_DECODE_ANY, &jerr);
    if (!v)
        fprintf(stderr, "ptpatch: %s:%d:%d: %s\n", path, jerr.line, jerr.column, jerr.text);
    return v;
}

static int print(const json_t *v, size_t flags)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | flags);
    if (!s) {
        fprintf(stderr, "ptpatch: cannot serialize the result\n");
        return 1;
    }
    puts(s);
    free(s);
    return 0;
}

int main(int argc, char **argv)
{
    json_t *a = NULL, *b = NULL, *out = NULL;
    int rc = 2;
    if (argc != 4 || (strcmp(argv[1], "diff") != 0 && strcmp(argv[1], "apply") != 0)) {
        fprintf(stderr, "usage: ptpatch diff FROM.json TO.json\n"
                        "       ptpatch apply DOC.json PATCH.json\n");
        return 2;
    }
    if (!(a = load(argv[2])) || !(b = load(argv[3])))
        goto done;
    if (strcmp(argv[1], "diff") == 0) {
        out = pt_patch_diff(a, b);
        if (!out) {
            fprintf(stderr, "ptpatch: out of memory\n");
            goto done;
        }
        rc = print(out, 0);
    } else {
        struct pt_error err;
        pt_error_clear(&err);
        if (pt_patch_apply(a, b, &out, &err)) {
            fprintf(stderr, "ptpatch: %s\n", err.text);
            rc = 1;
            goto done;
        }
        rc = print(out, JSON_SORT_KEYS);
    }
done:
    json_decref(a);
    json_decref(b);
    json_decref(out);
    return rc;
}
