/* fuzz_manifest.c — libFuzzer target: pt_manifest_parse never crashes on any bytes, and every
 * document it returns survives pt_manifest_to_yaml (and compact JSON) and re-parses to an equal
 * value. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "podtune/error.h"
#include "podtune/manifest.h"

/* A failed invariant: say which and what, then abort so libFuzzer saves the input. */
static void fail(const char *what, const json_t *doc, const char *text)
{
    char *d = doc ? json_dumps(doc, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
    fprintf(stderr, "fuzz_manifest: %s\n  doc:  %.2000s\n  text: %.2000s\n", what, d ? d : "(none)",
            text ? text : "(none)");
    free(d);
    abort();
}

/* json_equal, except that object keys may contain NUL: jansson 2.14's json_equal looks keys up
 * with strlen, so {"\0": 0} and {"\0": 0} compare unequal and {"\0": 0} equals {"": 0}. YAML
 * lets "\0" into a key. */
static int equal(const json_t *a, const json_t *b)
{
    if (json_typeof(a) != json_typeof(b))
        return 0;
    if (json_is_array(a)) {
        if (json_array_size(a) != json_array_size(b))
            return 0;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!equal(json_array_get(a, i), json_array_get(b, i)))
                return 0;
        return 1;
    }
    if (json_is_object(a)) {
        if (json_object_size(a) != json_object_size(b))
            return 0;
        for (void *it = json_object_iter((json_t *)a); it;
             it = json_object_iter_next((json_t *)a, it)) {
            const json_t *v =
                json_object_getn(b, json_object_iter_key(it), json_object_iter_key_len(it));
            if (!v || !equal(json_object_iter_value(it), v))
                return 0;
        }
        return 1;
    }
    return json_equal(a, b);
}

/* What pt_manifest_parse makes of one document doc on its own, per its contract: `kind: List`
 * (and any other *List kind with an items array) is expanded into its items. Returns a new array,
 * or NULL when doc is a List whose items are neither a list nor null (a parse error). */
static json_t *expected_docs(const json_t *doc)
{
    const char *k = json_is_object(doc) ? json_string_value(json_object_get(doc, "kind")) : NULL;
    size_t kl = k ? strlen(k) : 0;
    json_t *items = k ? json_object_get(doc, "items") : NULL;
    json_t *out;

    if (k && strcmp(k, "List") == 0) {
        if (items && !json_is_array(items) && !json_is_null(items))
            return NULL;
        out = json_array();
        if (json_is_array(items))
            json_array_extend(out, items);
        return out;
    }
    out = json_array();
    if (kl > 4 && strcmp(k + kl - 4, "List") == 0 && json_is_array(items))
        json_array_extend(out, items);
    else
        json_array_append(out, (json_t *)doc);
    return out;
}

/* Parses text (which the product wrote from doc) and checks it reads back as doc. */
static void check_reparse(const json_t *doc, const char *text, const char *how)
{
    struct pt_error err;
    json_t *back = NULL, *want = expected_docs(doc);
    char msg[900];
    int rc;

    pt_error_clear(&err);
    rc = pt_manifest_parse(text, strlen(text), "roundtrip", &back, &err);
    if (!want) { /* a nested List with bad items: refusing it is right */
        json_decref(back);
        return;
    }
    if (rc != 0) {
        snprintf(msg, sizeof(msg), "%s output does not re-parse: %d %s:%d:%d: %s", how, rc,
                 err.source, err.line, err.column, err.text);
        fail(msg, doc, text);
    }
    if (!equal(back, want)) {
        char *b = json_dumps(back, JSON_ENCODE_ANY | JSON_COMPACT);
        snprintf(msg, sizeof(msg), "%s output re-parses to a different value: %.700s", how,
                 b ? b : "?");
        free(b);
        fail(msg, doc, text);
    }
    json_decref(back);
    json_decref(want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct pt_error err;
    json_t *docs = (json_t *)1;
    int rc;

    pt_error_clear(&err);
    rc = pt_manifest_parse((const char *)data, size, "fuzz", &docs, &err);
    if (rc != 0) {
        /* A refusal leaves nothing behind and says why. */
        if (docs != NULL)
            fail("parse failed but *docs is not NULL", NULL, NULL);
        if (err.code != rc || !err.text[0])
            fail("parse failed without an error code and text", NULL, err.text);
        if (rc != PT_EINVAL && rc != PT_ENOMEM)
            fail("parse failed with an unexpected code", NULL, err.text);
        return 0;
    }
    if (!json_is_array(docs))
        fail("parse succeeded without an array of documents", docs, NULL);

    for (size_t i = 0; i < json_array_size(docs); i++) {
        const json_t *doc = json_array_get(docs, i);
        char *yaml = pt_manifest_to_yaml(doc);
        if (!yaml)
            fail("pt_manifest_to_yaml returned NULL", doc, NULL);
        check_reparse(doc, yaml, "YAML");
        free(yaml);

        /* JSON is accepted too (the AdmissionReview / kubectl -o json path). jansson's reader
         * refuses NUL in object keys; pt_manifest_parse then reads the text as flow YAML. */
        if (json_is_object(doc) || json_is_array(doc)) {
            char *js = json_dumps(doc, JSON_COMPACT | JSON_ENCODE_ANY);
            if (!js)
                fail("jansson cannot dump a parsed document", doc, NULL);
            check_reparse(doc, js, "JSON");
            free(js);
        }
    }
    json_decref(docs);
    return 0;
}
