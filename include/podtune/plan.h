/* plan.h — the planner: from a pod and a profile's role block, the tuned pod and
 * every change with its reason (contract §4). Planning reads the input pod and
 * writes only its own deep copy. */
#ifndef PODTUNE_PLAN_H
#define PODTUNE_PLAN_H

#include <jansson.h>
#include <stddef.h>

#include "podtune/error.h"
#include "podtune/policy.h"
#include "podtune/quantity.h"

enum pt_reason {
    PT_REASON_FILLED,     /* the pod lacked it; the profile's value was set */
    PT_REASON_OVERRIDDEN, /* mode override replaced the pod's value */
    PT_REASON_KEPT,       /* mode fill met a different pod value and kept it (warned) */
    PT_REASON_CLAMPED, /* raised or lowered to respect min/max/ratio/limit ≥ request (warned) */
    PT_REASON_SKIPPED, /* not applied, e.g. it would be unsafe for the JVM (warned) */
};

/* "filled", "overridden", "kept", "clamped", "skipped". */
const char *pt_reason_name(enum pt_reason r);

/* One decision. Strings owned by the plan. */
struct pt_change {
    enum pt_reason reason;
    char *field; /* dotted, human: "resources.limits.memory", "tolerations",
                    "env.SPARK_EXECUTOR_MEMORY", "sparkConf.spark.sql.shuffle.partitions" */
    char *from;  /* the pod's value before, or NULL */
    char *to;    /* the value after, or NULL */
    char *note;  /* why, for kept/clamped/skipped; may be NULL */
};

/* What the stages read. Everything borrowed. */
struct pt_plan_input {
    const struct pt_profile *profile;
    const json_t *block; /* profile->roles[role] */
    int override;        /* block mode is "override" */
    enum pt_role role;
    int main;           /* index of the main container in spec.containers */
    const json_t *pod;  /* the original pod: read only */
    const char *digest; /* the policy set's digest */
};

/* The result. Caller storage: pt_plan_build fills it, pt_plan_cleanup frees it. */
struct pt_plan {
    json_t *pod; /* the tuned pod (owned deep copy of the input, changes applied) */
    struct pt_change *changes;
    size_t n, cap;
};

/* Plans in->pod under in->block. On success returns 0 and fills out. On
 * failure returns a negative code with err set, and out holds nothing
 * (it is cleaned up). */
int pt_plan_build(const struct pt_plan_input *in, struct pt_plan *out, struct pt_error *err);
void pt_plan_cleanup(struct pt_plan *p);

/* Records a change. from/to/note may be NULL; note is printf-style. 0 or PT_ENOMEM. */
int pt_plan_note(struct pt_plan *p, enum pt_reason reason, const char *field, const char *from,
                 const char *to, const char *note_fmt, ...) __attribute__((format(printf, 6, 7)));

/* The main container of the tuned pod (borrowed), created nowhere: NULL if missing. */
json_t *pt_plan_main_container(struct pt_plan *p, const struct pt_plan_input *in);

/* Returns obj[key] as an object, creating an empty one when absent or null.
 * NULL when it exists with another type (the caller skips with a note). Borrowed. */
json_t *pt_plan_object_at(json_t *obj, const char *key);

/* Returns obj[key] as an array, creating an empty one when absent or null.
 * NULL when it exists with another type. Borrowed. */
json_t *pt_plan_array_at(json_t *obj, const char *key);

/* Fill/override of one string entry obj[key] = value, recording the change
 * under field: absent → filled; equal → nothing; different → overridden when
 * in->override, else kept (with a warning note). 0 or PT_ENOMEM. */
int pt_plan_set_string(struct pt_plan *p, const struct pt_plan_input *in, json_t *obj,
                       const char *key, const char *value, const char *field);

/* Stages, each in its own file, run by pt_plan_build in this order. Each reads
 * in->block, edits p->pod and records changes; returns 0 or a negative code. */
int pt_plan__resources(const struct pt_plan_input *in, struct pt_plan *p,
                       struct pt_error *err); /* plan_resources.c */
int pt_plan__scheduling(const struct pt_plan_input *in, struct pt_plan *p,
                        struct pt_error *err); /* plan_scheduling.c */
int pt_plan__metadata(const struct pt_plan_input *in, struct pt_plan *p,
                      struct pt_error *err); /* plan_scheduling.c */
int pt_plan__runtime(const struct pt_plan_input *in, struct pt_plan *p,
                     struct pt_error *err); /* plan_runtime.c */

/* Reads a pod's quantity value: a string as Kubernetes parses it, or a JSON
 * number read the way the apiserver reads an unquoted quantity. Negative
 * values are refused. 0 or PT_EINVAL. */
int pt_plan_pod_quantity(const json_t *v, struct pt_quantity *out);

/* Formats a change as a warning for the admission response: under 120 bytes,
 * "podtune: <field>: <note>", cut with "..." when longer. */
void pt_change_warning(const struct pt_change *c, char *buf, size_t len);

#endif
