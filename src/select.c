/* select.c — picks the profile for a classified pod: skip/enforce, the profile
 * annotation, then automatic match by priority and name (contract §2). */
#include "podtune/select.h"

#include "podtune/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ANN_SKIP    "podtune.io/skip"
#define ANN_PROFILE "podtune.io/profile"

/* Fills c->matched/why for automatic selection of profile p. */
static void candidate_check(const struct pt_profile *p, const json_t *labels, const char *ns,
                            enum pt_role role, struct pt_candidate *c)
{
    const char *key;
    json_t *want;

    c->profile = p;
    c->matched = 0;
    if (!p->has_match) {
        snprintf(c->why, sizeof(c->why), "no spec.match: selected by annotation only");
        return;
    }
    if (!(p->match_roles & (1u << role))) {
        snprintf(c->why, sizeof(c->why), "match.workloads does not include %s", pt_role_name(role));
        return;
    }
    if (!p->roles[role]) {
        snprintf(c->why, sizeof(c->why), "no role block for %s", pt_role_name(role));
        return;
    }
    if (!pt_profile_admits_namespace(p, ns)) {
        snprintf(c->why, sizeof(c->why), "namespace %s not in spec.namespaces", ns);
        return;
    }
    json_object_foreach(p->match_labels, key, want)
    {
        const char *have = json_string_value(json_object_get(labels, key));
        if (!have || strcmp(have, json_string_value(want)) != 0) {
            snprintf(c->why, sizeof(c->why), "label %s is %s%s%s, want %s", key, have ? "\"" : "",
                     have ? have : "absent", have ? "\"" : "", json_string_value(want));
            return;
        }
    }
    c->matched = 1;
    snprintf(c->why, sizeof(c->why), "matches (priority %lld)", (long long)p->priority);
}

int pt_select(const struct pt_policy_set *set, const json_t *pod, const char *ns, enum pt_role role,
              struct pt_selection *out)
{
    const json_t *meta = json_object_get(pod, "metadata");
    const json_t *labels = json_object_get(meta, "labels");
    const json_t *ann = json_object_get(meta, "annotations");
    const char *skip = json_string_value(json_object_get(ann, ANN_SKIP));
    const char *wanted = json_string_value(json_object_get(ann, ANN_PROFILE));
    const struct pt_profile *best = NULL;

    memset(out, 0, sizeof(*out));
    out->outcome = PT_SELECT_NONE;
    if (role < 0 || role >= PT_ROLE_COUNT)
        return PT_OK;
    if (set && set->n) {
        out->candidates = calloc(set->n, sizeof(*out->candidates));
        if (!out->candidates)
            return PT_ENOMEM;
        out->n_candidates = set->n;
    }
    for (size_t i = 0; set && i < set->n; i++) {
        struct pt_candidate *c = &out->candidates[i];
        candidate_check(&set->profiles[i], labels, ns, role, c);
        /* profiles are sorted by name, so the first of the highest priority wins */
        if (c->matched && (!best || c->profile->priority > best->priority))
            best = c->profile;
    }

    if (wanted && wanted[0]) {
        const struct pt_profile *p = pt_policy_find(set, wanted);
        out->by = "annotation";
        if (!p) {
            out->outcome = PT_SELECT_UNKNOWN_PROFILE;
            snprintf(out->warning, sizeof(out->warning),
                     "podtune: profile \"%.40s\" (annotation) does not exist; pod unchanged",
                     wanted);
            return PT_OK;
        }
        if (!pt_profile_admits_namespace(p, ns)) {
            out->outcome = PT_SELECT_UNKNOWN_PROFILE;
            snprintf(out->warning, sizeof(out->warning),
                     "podtune: profile \"%.40s\" may not apply in namespace %.30s; pod unchanged",
                     wanted, ns);
            return PT_OK;
        }
        if (!p->roles[role]) {
            out->outcome = PT_SELECT_UNKNOWN_PROFILE;
            snprintf(out->warning, sizeof(out->warning),
                     "podtune: profile \"%.40s\" has no settings for %s pods; pod unchanged",
                     wanted, pt_role_name(role));
            return PT_OK;
        }
        best = p;
    } else {
        out->by = "match";
    }
    if (!best)
        return PT_OK;
    if (skip && strcmp(skip, "true") == 0 && !best->enforce) {
        out->outcome = PT_SELECT_SKIPPED;
        return PT_OK;
    }
    out->outcome = PT_SELECT_PROFILE;
    out->profile = best;
    return PT_OK;
}

void pt_selection_cleanup(struct pt_selection *sel)
{
    if (!sel)
        return;
    free(sel->candidates);
    memset(sel, 0, sizeof(*sel));
}
