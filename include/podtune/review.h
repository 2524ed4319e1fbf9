/* review.h — AdmissionReview v1 / v1beta1: decode a request, encode the response. */
#ifndef PODTUNE_REVIEW_H
#define PODTUNE_REVIEW_H

#include <jansson.h>
#include <stddef.h>

#include "podtune/engine.h"
#include "podtune/error.h"
#include "podtune/policy.h"

/* A decoded request. Strings and object are borrowed from root. */
struct pt_review {
    json_t *root;            /* owned */
    const char *api_version; /* "admission.k8s.io/v1" or ".../v1beta1" */
    const char *uid;
    const char *operation; /* "CREATE", … ("" if absent) */
    const char *namespace; /* request.namespace ("" if absent) */
    const char *name;      /* request.name ("" if absent) */
    int is_pod; /* request.kind is core/v1 Pod and the resource is pods (no subresource) */
    int dry_run;
    const json_t *object; /* request.object or NULL */
};

/* Decodes body. PT_EINVAL with a message when it is not JSON, not an
 * AdmissionReview of a known version, or has no request.uid (→ HTTP 400). */
int pt_review_decode(const char *body, size_t len, struct pt_review *out, struct pt_error *err);

/* The same checks on an already parsed document. Takes the reference to root
 * (on failure too: it is released then). */
int pt_review_decode_value(json_t *root, struct pt_review *out, struct pt_error *err);
void pt_review_cleanup(struct pt_review *rv);

/* Answers rv: runs the engine when it is a Pod CREATE, and returns the response
 * AdmissionReview (same apiVersion, uid echoed, allowed: true, base64 JSON
 * patch when something changed, warnings, auditAnnotations) as a new
 * reference. *oc receives the engine outcome for logs and metrics (status
 * PT_STATUS_NOT_TARGET when the engine did not run); the caller cleans it up.
 * Never refuses a pod. NULL only when out of memory. */
json_t *pt_review_respond(const struct pt_policy_set *set, const struct pt_review *rv,
                          struct pt_outcome *oc);

#endif
