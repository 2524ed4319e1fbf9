/* engine.h — the whole pipeline for one pod: classify, select, plan, diff. The
 * webhook server and the CLI both call this; neither has its own. */
#ifndef PODTUNE_ENGINE_H
#define PODTUNE_ENGINE_H

#include <jansson.h>

#include "podtune/classify.h"
#include "podtune/error.h"
#include "podtune/plan.h"
#include "podtune/policy.h"
#include "podtune/select.h"

enum pt_status {
    PT_STATUS_TUNED,           /* a profile applied and the patch is not empty */
    PT_STATUS_UNCHANGED,       /* a profile applied and nothing needed to change */
    PT_STATUS_NOT_TARGET,      /* not a Spark/Flink pod (or a mirror pod) */
    PT_STATUS_SKIPPED,         /* podtune.io/skip */
    PT_STATUS_NO_PROFILE,      /* a target no profile selects */
    PT_STATUS_UNKNOWN_PROFILE, /* podtune.io/profile names nothing usable (warned) */
    PT_STATUS_ERROR,           /* podtune could not handle it: admitted unchanged (warned) */
};

/* "tuned", "unchanged", "not-target", "skipped", "no-profile", "unknown-profile", "error". */
const char *pt_status_name(enum pt_status s);

/* Everything the engine decided about one pod. Caller storage; filled by
 * pt_engine_run, freed by pt_outcome_cleanup. */
struct pt_outcome {
    enum pt_status status;
    struct pt_class cls;
    struct pt_selection sel;
    struct pt_plan plan; /* filled when a profile applied (plan.pod != NULL) */
    json_t *patch;       /* owned JSON array, possibly empty; never NULL after run */
    char **warnings;     /* owned, each under 120 bytes */
    size_t n_warnings;
    char error[256]; /* what went wrong when status is PT_STATUS_ERROR */
};

/* Runs the pipeline on pod (borrowed) in namespace ns (NULL: the pod's own
 * metadata.namespace, else "default"). Bad pods are not errors: they end as
 * PT_STATUS_ERROR or NOT_TARGET with a warning, and an empty patch. Returns 0,
 * or PT_ENOMEM (out is then cleaned up). */
int pt_engine_run(const struct pt_policy_set *set, const json_t *pod, const char *ns,
                  struct pt_outcome *out);
void pt_outcome_cleanup(struct pt_outcome *out);

/* The pod after tuning: plan.pod when a profile applied, else pod. Borrowed. */
const json_t *pt_outcome_pod(const struct pt_outcome *out, const json_t *pod);

#endif
