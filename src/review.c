/* review.c — AdmissionReview v1 / v1beta1: decode requests, encode responses. */
#include "podtune/review.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define API_V1      "admission.k8s.io/v1"
#define API_V1BETA1 "admission.k8s.io/v1beta1"

static const char *str_or_empty(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

static int is_core_v1(const json_t *gvk, const char *field, const char *want)
{
    return json_is_object(gvk) && strcmp(str_or_empty(gvk, "group"), "") == 0 &&
           strcmp(str_or_empty(gvk, "version"), "v1") == 0 &&
           strcmp(str_or_empty(gvk, field), want) == 0;
}

int pt_review_decode(const char *body, size_t len, struct pt_review *out, struct pt_error *err)
{
    json_error_t jerr;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);

    if (!root) {
        memset(out, 0, sizeof(*out));
        return pt_error_set(err, PT_EINVAL, "malformed JSON at line %d column %d: %s", jerr.line,
                            jerr.column, jerr.text);
    }
    return pt_review_decode_value(root, out, err);
}

int pt_review_decode_value(json_t *root, struct pt_review *out, struct pt_error *err)
{
    json_t *req, *v;
    int rc;

    memset(out, 0, sizeof(*out));
    out->root = root;
    if (!json_is_object(out->root)) {
        rc = pt_error_set(err, PT_EINVAL, "not an AdmissionReview: body is not a JSON object");
        goto fail;
    }
    out->api_version = json_string_value(json_object_get(out->root, "apiVersion"));
    if (!out->api_version ||
        (strcmp(out->api_version, API_V1) != 0 && strcmp(out->api_version, API_V1BETA1) != 0)) {
        rc = pt_error_set(err, PT_EINVAL, "not an AdmissionReview: apiVersion must be %s or %s",
                          API_V1, API_V1BETA1);
        goto fail;
    }
    v = json_object_get(out->root, "kind");
    if (!json_is_string(v) || strcmp(json_string_value(v), "AdmissionReview") != 0) {
        rc = pt_error_set(err, PT_EINVAL, "not an AdmissionReview: kind must be AdmissionReview");
        goto fail;
    }
    req = json_object_get(out->root, "request");
    if (!json_is_object(req)) {
        rc = pt_error_set(err, PT_EINVAL, "AdmissionReview has no request object");
        goto fail;
    }
    v = json_object_get(req, "uid");
    if (!json_is_string(v) || json_string_length(v) == 0) {
        rc = pt_error_set(err, PT_EINVAL, "AdmissionReview request has no uid");
        goto fail;
    }
    out->uid = json_string_value(v);
    out->operation = str_or_empty(req, "operation");
    out->namespace = str_or_empty(req, "namespace");
    out->name = str_or_empty(req, "name");
    out->is_pod = is_core_v1(json_object_get(req, "kind"), "kind", "Pod") &&
                  is_core_v1(json_object_get(req, "resource"), "resource", "pods") &&
                  strcmp(str_or_empty(req, "subResource"), "") == 0;
    out->dry_run = json_is_true(json_object_get(req, "dryRun"));
    v = json_object_get(req, "object");
    out->object = json_is_object(v) ? v : NULL;
    return PT_OK;
fail:
    json_decref(out->root);
    memset(out, 0, sizeof(*out));
    return rc;
}

void pt_review_cleanup(struct pt_review *rv)
{
    if (!rv)
        return;
    json_decref(rv->root);
    memset(rv, 0, sizeof(*rv));
}

/* Base64 of the compact JSON of patch, as a new json string. */
static json_t *patch_base64(const json_t *patch)
{
    char *raw = json_dumps(patch, JSON_COMPACT);
    unsigned char *b64 = NULL;
    json_t *s = NULL;
    size_t n;

    if (!raw)
        return NULL;
    n = strlen(raw);
    b64 = malloc(4 * ((n + 2) / 3) + 1);
    if (b64) {
        EVP_EncodeBlock(b64, (const unsigned char *)raw, (int)n);
        s = json_string((const char *)b64);
    }
    free(raw);
    free(b64);
    return s;
}

/* "field:reason, …" for the audit log, bounded. */
static json_t *audit_changes(const struct pt_outcome *oc)
{
    char buf[1024];
    size_t used = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < oc->plan.n && used < sizeof(buf); i++) {
        const struct pt_change *c = &oc->plan.changes[i];
        int n = snprintf(buf + used, sizeof(buf) - used, "%s%s:%s", used ? ", " : "", c->field,
                         pt_reason_name(c->reason));
        if (n < 0 || (size_t)n >= sizeof(buf) - used) {
            buf[used] = '\0';
            break;
        }
        used += (size_t)n;
    }
    return json_string(buf);
}

static json_t *response_body(const struct pt_review *rv, const struct pt_outcome *oc)
{
    json_t *resp = json_pack("{s:s, s:b}", "uid", rv->uid, "allowed", 1);
    json_t *warnings, *audit;

    if (!resp)
        return NULL;
    if (oc->patch && json_array_size(oc->patch) > 0) {
        json_t *b64 = patch_base64(oc->patch);
        if (!b64 || json_object_set_new(resp, "patch", b64) != 0 ||
            json_object_set_new(resp, "patchType", json_string("JSONPatch")) != 0)
            goto fail;
    }
    if (oc->n_warnings) {
        if (!(warnings = json_array()) || json_object_set_new(resp, "warnings", warnings) != 0)
            goto fail;
        for (size_t i = 0; i < oc->n_warnings; i++)
            if (json_array_append_new(warnings, json_string(oc->warnings[i])) != 0)
                goto fail;
    }
    if (oc->sel.profile && (oc->status == PT_STATUS_TUNED || oc->status == PT_STATUS_UNCHANGED)) {
        audit =
            json_pack("{s:s, s:o}", "profile", oc->sel.profile->name, "changes", audit_changes(oc));
        if (!audit || json_object_set_new(resp, "auditAnnotations", audit) != 0)
            goto fail;
    }
    return resp;
fail:
    json_decref(resp);
    return NULL;
}

json_t *pt_review_respond(const struct pt_policy_set *set, const struct pt_review *rv,
                          struct pt_outcome *oc)
{
    json_t *resp;

    if (rv->is_pod && rv->object && strcmp(rv->operation, "CREATE") == 0) {
        if (pt_engine_run(set, rv->object, rv->namespace, oc) != 0) {
            /* out of memory: answer allowed, unchanged */
            memset(oc, 0, sizeof(*oc));
            oc->status = PT_STATUS_ERROR;
            oc->cls.role = PT_ROLE_NONE;
        }
    } else {
        memset(oc, 0, sizeof(*oc));
        oc->status = PT_STATUS_NOT_TARGET;
        oc->cls.role = PT_ROLE_NONE;
        oc->patch = json_array();
    }
    if (!oc->patch)
        oc->status = PT_STATUS_ERROR;
    resp = response_body(rv, oc);
    if (!resp)
        return NULL;
    return json_pack("{s:s, s:s, s:o}", "apiVersion", rv->api_version, "kind", "AdmissionReview",
                     "response", resp);
}
