/* fuzz_jsonpatch.c — libFuzzer target: applying any patch never crashes; a result re-parses and
 * diffs back to itself. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "podtune/jsonpatch.h"

/* Input: DOC "\n" PATCH (the first newline splits them). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    const char *nl = memchr(buf, '\n', size);
    if (!nl)
        return 0;
    json_t *doc = json_loadb(buf, (size_t)(nl - buf), JSON_DECODE_ANY, NULL);
    json_t *patch = json_loadb(nl + 1, size - (size_t)(nl - buf) - 1, JSON_DECODE_ANY, NULL);
    json_t *out = NULL, *back = NULL, *diff = NULL, *again = NULL;
    if (!doc || !patch)
        goto done;
    json_t *before = json_deep_copy(doc);
    struct pt_error err;
    pt_error_clear(&err);
    int rc = pt_patch_apply(doc, patch, &out, &err);
    if (!json_equal(doc, before))
        abort(); /* the input document must never change */
    json_decref(before);
    if (rc) {
        /* Every refusal names its operation (or says the patch is not an array). */
        if (out || (strncmp(err.text, "operation ", 10) != 0 &&
                    strncmp(err.text, "a patch must", 12) != 0))
            abort();
        goto done;
    }
    /* The result re-serializes and re-parses to an equal value. */
    char *text = json_dumps(out, JSON_ENCODE_ANY | JSON_COMPACT);
    if (!text)
        abort();
    back = json_loads(text, JSON_DECODE_ANY, NULL);
    free(text);
    if (!back || !json_equal(back, out))
        abort();
    /* diff(doc, out) applied to doc gives out. */
    diff = pt_patch_diff(doc, out);
    if (!diff)
        abort();
    if (pt_patch_apply(doc, diff, &again, &err) || !json_equal(again, out))
        abort();
done:
    json_decref(doc);
    json_decref(patch);
    json_decref(out);
    json_decref(back);
    json_decref(diff);
    json_decref(again);
    return 0;
}
