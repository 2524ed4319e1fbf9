/* engine.c — the pipeline for one pod: classify → select → plan → diff, with
 * warnings. Shared by the webhook server and every CLI command. */
#include "podtune/engine.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "podtune/jsonpatch.h"
#include "podtune/utf8.h"

#define WARNING_MAX 119 /* the apiserver drops warnings of 120 bytes or more */

const char *pt_status_name(enum pt_status s)
{
    switch (s) {
    case PT_STATUS_TUNED: return "tuned";
    case PT_STATUS_UNCHANGED: return "unchanged";
    case PT_STATUS_NOT_TARGET: return "not-target";
    case PT_STATUS_SKIPPED: return "skipped";
    case PT_STATUS_NO_PROFILE: return "no-profile";
    case PT_STATUS_UNKNOWN_PROFILE: return "unknown-profile";
    case PT_STATUS_ERROR: return "error";
    }
    return "error";
}

/* Appends a warning, cut to WARNING_MAX bytes on a UTF-8 boundary. Bytes of a
 * character that a byte-counted format cut in half are dropped first: the
 * warning goes into JSON, and invalid UTF-8 there would lose the response. */
static int add_warning(struct pt_outcome *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int add_warning(struct pt_outcome *out, const char *fmt, ...)
{
    char buf[512];
    char **w;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    pt_utf8_scrub(buf);
    pt_utf8_truncate(buf, WARNING_MAX);
    w = realloc(out->warnings, (out->n_warnings + 1) * sizeof(*w));
    if (!w)
        return PT_ENOMEM;
    out->warnings = w;
    if (!(w[out->n_warnings] = strdup(buf)))
        return PT_ENOMEM;
    out->n_warnings++;
    return PT_OK;
}

static const char *pod_namespace(const json_t *pod)
{
    const char *ns =
        json_string_value(json_object_get(json_object_get(pod, "metadata"), "namespace"));
    return ns && ns[0] ? ns : "default";
}

/* Plans the selected profile and diffs the result against the original. */
static int engine_plan(const struct pt_policy_set *set, const json_t *pod, struct pt_outcome *out)
{
    const struct pt_profile *profile = out->sel.profile;
    const json_t *block = profile->roles[out->cls.role];
    const char *mode = json_string_value(json_object_get(block, "mode"));
    struct pt_plan_input in = {
        .profile = profile,
        .block = block,
        .override = mode && strcmp(mode, "override") == 0,
        .role = out->cls.role,
        .main = out->cls.main_container,
        .pod = pod,
        .digest = set->digest,
    };
    struct pt_error err;
    int rc;

    pt_error_clear(&err);
    rc = pt_plan_build(&in, &out->plan, &err);
    if (rc != 0) {
        out->status = PT_STATUS_ERROR;
        snprintf(out->error, sizeof(out->error), "%.200s", err.text);
        return add_warning(out, "podtune: cannot tune this pod (%.200s); admitted unchanged",
                           err.text);
    }
    json_decref(out->patch);
    out->patch = pt_patch_diff(pod, out->plan.pod);
    if (!out->patch)
        return PT_ENOMEM;
    out->status = json_array_size(out->patch) ? PT_STATUS_TUNED : PT_STATUS_UNCHANGED;
    for (size_t i = 0; i < out->plan.n; i++) {
        const struct pt_change *c = &out->plan.changes[i];
        char w[WARNING_MAX + 8];
        if (c->reason != PT_REASON_KEPT && c->reason != PT_REASON_CLAMPED &&
            c->reason != PT_REASON_SKIPPED)
            continue;
        pt_change_warning(c, w, sizeof(w));
        if ((rc = add_warning(out, "%s", w)) != 0)
            return rc;
    }
    return PT_OK;
}

int pt_engine_run(const struct pt_policy_set *set, const json_t *pod, const char *ns,
                  struct pt_outcome *out)
{
    int rc = PT_OK;

    memset(out, 0, sizeof(*out));
    out->status = PT_STATUS_NOT_TARGET;
    out->patch = json_array();
    if (!out->patch)
        return PT_ENOMEM;
    if (!ns || !ns[0])
        ns = pod_namespace(pod);

    pt_classify(pod, &out->cls);
    if (out->cls.role == PT_ROLE_NONE)
        return PT_OK;
    if (!set) {
        out->status = PT_STATUS_ERROR;
        snprintf(out->error, sizeof(out->error), "no policy set loaded");
        rc = add_warning(out, "podtune: no policy set loaded; pod admitted unchanged");
        goto done;
    }
    if ((rc = pt_select(set, pod, ns, out->cls.role, &out->sel)) != 0)
        goto done;
    switch (out->sel.outcome) {
    case PT_SELECT_NONE: out->status = PT_STATUS_NO_PROFILE; break;
    case PT_SELECT_SKIPPED: out->status = PT_STATUS_SKIPPED; break;
    case PT_SELECT_UNKNOWN_PROFILE:
        out->status = PT_STATUS_UNKNOWN_PROFILE;
        rc = add_warning(out, "%s", out->sel.warning);
        break;
    case PT_SELECT_PROFILE: rc = engine_plan(set, pod, out); break;
    }
done:
    if (rc != 0)
        pt_outcome_cleanup(out);
    return rc;
}

void pt_outcome_cleanup(struct pt_outcome *out)
{
    if (!out)
        return;
    pt_selection_cleanup(&out->sel);
    pt_plan_cleanup(&out->plan);
    json_decref(out->patch);
    for (size_t i = 0; i < out->n_warnings; i++)
        free(out->warnings[i]);
    free(out->warnings);
    memset(out, 0, sizeof(*out));
}

const json_t *pt_outcome_pod(const struct pt_outcome *out, const json_t *pod)
{
    return out->plan.pod ? out->plan.pod : pod;
}
