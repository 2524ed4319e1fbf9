/* fuzz_review.c — libFuzzer target: the whole admission path (decode → engine → response) on
 * any request body, with the bundled policies. Invariants: a decoded review is always answered
 * allowed with its uid; a patch is base64 JSON that applies to the object and converges; every
 * warning fits the apiserver's 120-byte limit. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "podtune/diag.h"
#include "podtune/engine.h"
#include "podtune/jsonpatch.h"
#include "podtune/policy.h"
#include "podtune/review.h"

#include "fuzz_util.h"

static struct pt_policy_set *policies;

static void drop_policies(void)
{
    pt_policy_set_unref(policies);
}

/* Loads the policy set once ($PODTUNE_POLICIES, default "policies" — run from the repo root). */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *dir = getenv("PODTUNE_POLICIES");
    struct pt_diags d;
    (void)argc;
    (void)argv;
    if (!dir || !dir[0])
        dir = "policies";
    pt_diags_init(&d);
    policies = pt_policy_load_dir(dir, &d);
    if (!policies) {
        fprintf(stderr, "fuzz_review: cannot load policies from %s:\n", dir);
        pt_diags_print(&d, stderr, 0);
        exit(2);
    }
    pt_diags_cleanup(&d);
    atexit(drop_policies);
    return 0;
}

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* Strict standard base64 (padded, no whitespace) → new buffer of *len bytes; NULL if invalid. */
static unsigned char *b64_decode(const char *s, size_t n, size_t *len)
{
    unsigned char *out;
    size_t o = 0;
    if (n % 4 != 0)
        return NULL;
    out = malloc(n / 4 * 3 + 1);
    for (size_t i = 0; i < n; i += 4) {
        int v[4];
        for (int k = 0; k < 4; k++) {
            v[k] = b64_value((unsigned char)s[i + k]);
            if (v[k] < 0 && !(s[i + k] == '=' && i + 4 == n && k >= 2)) {
                free(out);
                return NULL;
            }
        }
        if (v[2] < 0 && v[3] >= 0) {
            free(out);
            return NULL;
        }
        out[o++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
        if (v[2] >= 0)
            out[o++] = (unsigned char)((v[1] & 15) << 4 | v[2] >> 2);
        if (v[3] >= 0)
            out[o++] = (unsigned char)((v[2] & 3) << 6 | v[3]);
    }
    out[o] = '\0';
    *len = o;
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct pt_review rv;
    struct pt_outcome oc;
    struct pt_error err;
    json_t *resp, *r, *w, *patch = NULL;
    const char *s;
    char *text;

    pt_error_clear(&err);
    if (pt_review_decode((const char *)data, size, &rv, &err) != 0) {
        /* → HTTP 400: the body must say why, and nothing is kept. */
        if (!err.text[0] || err.code != PT_EINVAL || rv.root)
            fz_fail("decode refused without PT_EINVAL and a message (code %d)", err.code);
        return 0;
    }
    if (!rv.uid || !rv.uid[0] || !rv.api_version || !rv.operation || !rv.namespace || !rv.name)
        fz_fail("decoded review lacks uid, apiVersion, operation, namespace or name");

    resp = pt_review_respond(policies, &rv, &oc);
    if (!resp)
        fz_fail("pt_review_respond returned NULL (status %s, %zu warnings)",
                pt_status_name(oc.status), oc.n_warnings);

    /* The envelope: same version, kind, uid; always allowed. */
    r = json_object_get(resp, "response");
    s = json_string_value(json_object_get(resp, "apiVersion"));
    if (!s || strcmp(s, rv.api_version) != 0)
        fz_fail("response apiVersion '%s' != request '%s'", s ? s : "(none)", rv.api_version);
    s = json_string_value(json_object_get(resp, "kind"));
    if (!s || strcmp(s, "AdmissionReview") != 0)
        fz_fail("response kind is not AdmissionReview");
    s = json_string_value(json_object_get(r, "uid"));
    if (!s || strcmp(s, rv.uid) != 0)
        fz_fail("response uid '%s' != request uid '%s'", s ? s : "(none)", rv.uid);
    if (!json_is_true(json_object_get(r, "allowed")))
        fz_fail("response is not allowed: true");
    if (!(text = json_dumps(resp, JSON_COMPACT)))
        fz_fail("response cannot be serialized");
    free(text);

    /* Warnings: strings under 120 bytes (the apiserver drops longer ones). */
    w = json_object_get(r, "warnings");
    if (w && (!json_is_array(w) || json_array_size(w) == 0))
        fz_fail("warnings is not a non-empty array");
    for (size_t i = 0; i < json_array_size(w); i++) {
        const json_t *x = json_array_get(w, i);
        if (!json_is_string(x) || json_string_length(x) >= 120)
            fz_fail("warning %zu is not a string under 120 bytes: %s", i, json_string_value(x));
    }

    /* The patch: only for pod CREATE, base64 of a JSON array equal to the engine's. */
    s = json_string_value(json_object_get(r, "patch"));
    if (s) {
        size_t n = 0;
        unsigned char *raw = b64_decode(s, strlen(s), &n);
        const char *pt = json_string_value(json_object_get(r, "patchType"));
        if (!raw)
            fz_fail("patch is not valid base64: %.200s", s);
        if (!pt || strcmp(pt, "JSONPatch") != 0)
            fz_fail("patch without patchType JSONPatch");
        patch = json_loadb((const char *)raw, n, 0, NULL);
        if (!json_is_array(patch) || json_array_size(patch) == 0)
            fz_fail("patch does not decode to a non-empty JSON array: %.300s", raw);
        free(raw);
        if (!rv.is_pod || !rv.object || strcmp(rv.operation, "CREATE") != 0)
            fz_fail("a patch for something that is not a pod CREATE (operation '%s')",
                    rv.operation);
        if (!json_equal(patch, oc.patch))
            fz_fail("the response patch is not the engine's patch");
    } else if (json_object_get(r, "patch") || json_object_get(r, "patchType")) {
        fz_fail("patch or patchType present without a string patch");
    } else if (json_array_size(oc.patch) != 0) {
        fz_fail("the engine made a patch the response does not carry");
    }

    /* The engine's outcome: patch applies to request.object, re-running gives nothing. */
    if (rv.object && rv.is_pod && strcmp(rv.operation, "CREATE") == 0)
        fz_check_outcome(policies, rv.object, rv.namespace, &oc, "review");
    else if (oc.status != PT_STATUS_NOT_TARGET)
        fz_fail("engine status %s for something that is not a pod CREATE",
                pt_status_name(oc.status));

    /* The warnings in the response are the engine's. */
    if (json_array_size(w) != oc.n_warnings)
        fz_fail("response has %zu warnings, engine %zu", json_array_size(w), oc.n_warnings);

    json_decref(patch);
    json_decref(resp);
    pt_outcome_cleanup(&oc);
    pt_review_cleanup(&rv);
    return 0;
}
