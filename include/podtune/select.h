/* select.h — which profile a classified pod is given (contract §2). */
#ifndef PODTUNE_SELECT_H
#define PODTUNE_SELECT_H

#include <jansson.h>

#include "podtune/policy.h"

enum pt_select_outcome {
    PT_SELECT_NONE,            /* no candidate (zero, so a cleared selection chose nothing) */
    PT_SELECT_PROFILE,         /* a profile was chosen */
    PT_SELECT_SKIPPED,         /* podtune.io/skip: "true" and the profile does not enforce */
    PT_SELECT_UNKNOWN_PROFILE, /* podtune.io/profile names a profile that does not exist
                                  or does not admit the namespace */
};

/* Why one profile was or was not a candidate (for explain). */
struct pt_candidate {
    const struct pt_profile *profile; /* borrowed */
    int matched;
    char why[200];
};

struct pt_selection {
    enum pt_select_outcome outcome;
    const struct pt_profile *profile; /* borrowed from the set; NULL unless PT_SELECT_PROFILE */
    const char *by;                   /* "annotation" or "match" */
    struct pt_candidate *candidates;  /* one per profile in the set; owned */
    size_t n_candidates;
    char warning[240]; /* "" or a warning for the admission response */
};

/* Chooses the profile for pod (borrowed) in namespace ns with the given role.
 * Returns 0 or PT_ENOMEM. */
int pt_select(const struct pt_policy_set *set, const json_t *pod, const char *ns, enum pt_role role,
              struct pt_selection *out);
void pt_selection_cleanup(struct pt_selection *sel);

#endif
