/* plan.c — the planner's frame: deep-copies the pod, runs the stages in order,
 * records the provenance annotations, and keeps the list of changes. */
#include "podtune/plan.h"
#include "podtune/utf8.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *pt_reason_name(enum pt_reason r)
{
    switch (r) {
    case PT_REASON_FILLED: return "filled";
    case PT_REASON_OVERRIDDEN: return "overridden";
    case PT_REASON_KEPT: return "kept";
    case PT_REASON_CLAMPED: return "clamped";
    case PT_REASON_SKIPPED: return "skipped";
    }
    return "unknown";
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

int pt_plan_note(struct pt_plan *p, enum pt_reason reason, const char *field, const char *from,
                 const char *to, const char *note_fmt, ...)
{
    struct pt_change *c;
    char note[512];

    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 16;
        struct pt_change *changes = realloc(p->changes, cap * sizeof(*changes));
        if (!changes)
            return PT_ENOMEM;
        p->changes = changes;
        p->cap = cap;
    }
    c = &p->changes[p->n];
    memset(c, 0, sizeof(*c));
    c->reason = reason;
    c->field = strdup(field);
    c->from = dup_or_null(from);
    c->to = dup_or_null(to);
    if (note_fmt) {
        va_list ap;
        va_start(ap, note_fmt);
        vsnprintf(note, sizeof(note), note_fmt, ap);
        va_end(ap);
        c->note = strdup(note);
    }
    if (!c->field || (from && !c->from) || (to && !c->to) || (note_fmt && !c->note)) {
        free(c->field);
        free(c->from);
        free(c->to);
        free(c->note);
        return PT_ENOMEM;
    }
    /* Callers build these with byte-counted cuts ("%.40s", fixed buffers) that
     * can split a character of a pod's text; they end up in JSON. */
    pt_utf8_scrub(c->field);
    pt_utf8_scrub(c->from);
    pt_utf8_scrub(c->to);
    pt_utf8_scrub(c->note);
    p->n++;
    return PT_OK;
}

void pt_plan_cleanup(struct pt_plan *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++) {
        free(p->changes[i].field);
        free(p->changes[i].from);
        free(p->changes[i].to);
        free(p->changes[i].note);
    }
    free(p->changes);
    json_decref(p->pod);
    memset(p, 0, sizeof(*p));
}

json_t *pt_plan_object_at(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);

    if (json_is_object(v))
        return v;
    if (v && !json_is_null(v))
        return NULL;
    v = json_object();
    if (!v || json_object_set_new(obj, key, v) != 0)
        return NULL;
    return v;
}

json_t *pt_plan_array_at(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);

    if (json_is_array(v))
        return v;
    if (v && !json_is_null(v))
        return NULL;
    v = json_array();
    if (!v || json_object_set_new(obj, key, v) != 0)
        return NULL;
    return v;
}

json_t *pt_plan_main_container(struct pt_plan *p, const struct pt_plan_input *in)
{
    json_t *spec = json_object_get(p->pod, "spec");
    json_t *containers = json_object_get(spec, "containers");
    json_t *c = json_array_get(containers, (size_t)in->main);

    return json_is_object(c) ? c : NULL;
}

int pt_plan_set_string(struct pt_plan *p, const struct pt_plan_input *in, json_t *obj,
                       const char *key, const char *value, const char *field)
{
    json_t *cur = json_object_get(obj, key);
    const char *have = json_string_value(cur);
    int rc;

    if (have && strcmp(have, value) == 0)
        return PT_OK;
    if (cur && !json_is_null(cur) && !in->override) {
        char shown[128];
        if (have)
            snprintf(shown, sizeof(shown), "%s", have);
        else
            snprintf(shown, sizeof(shown), "(non-string)");
        return pt_plan_note(p, PT_REASON_KEPT, field, shown, value,
                            "kept pod value %s over profile value %s (mode fill)", shown, value);
    }
    /* note first: setting the member frees the old value `have` points into */
    if (cur && !json_is_null(cur))
        rc = pt_plan_note(p, PT_REASON_OVERRIDDEN, field, have, value, NULL);
    else
        rc = pt_plan_note(p, PT_REASON_FILLED, field, NULL, value, NULL);
    if (rc != 0)
        return rc;
    return json_object_set_new(obj, key, json_string(value)) == 0 ? PT_OK : PT_ENOMEM;
}

void pt_change_warning(const struct pt_change *c, char *buf, size_t len)
{
    char tmp[1024];

    snprintf(tmp, sizeof(tmp), "podtune: %s: %s", c->field,
             c->note ? c->note : pt_reason_name(c->reason));
    pt_utf8_truncate(tmp, 119); /* warnings must stay under 120 bytes */
    snprintf(buf, len, "%s", tmp);
}

/* Adds the provenance annotations every tuned pod carries (contract §4). */
static int plan_record(const struct pt_plan_input *in, struct pt_plan *p)
{
    json_t *meta = pt_plan_object_at(p->pod, "metadata");
    json_t *ann = meta ? pt_plan_object_at(meta, "annotations") : NULL;
    struct pt_plan_input forced = *in;
    int rc;

    if (!ann)
        return PT_EINVAL;
    forced.override = 1; /* provenance is podtune's own: always current */
    rc = pt_plan_set_string(p, &forced, ann, "podtune.io/profile-applied", in->profile->name,
                            "annotations.podtune.io/profile-applied");
    if (rc == 0)
        rc = pt_plan_set_string(p, &forced, ann, "podtune.io/policy-digest", in->digest,
                                "annotations.podtune.io/policy-digest");
    return rc;
}

int pt_plan_build(const struct pt_plan_input *in, struct pt_plan *out, struct pt_error *err)
{
    int rc;

    memset(out, 0, sizeof(*out));
    if (!json_is_object(in->pod) || !json_is_object(in->block)) {
        rc = pt_error_set(err, PT_EINVAL, "pod or role block is not an object");
        goto fail;
    }
    out->pod = json_deep_copy(in->pod);
    if (!out->pod) {
        rc = pt_error_set(err, PT_ENOMEM, "out of memory copying the pod");
        goto fail;
    }
    if (!pt_plan_main_container(out, in)) {
        rc = pt_error_set(err, PT_EINVAL, "pod has no main container at index %d", in->main);
        goto fail;
    }
    if ((rc = pt_plan__resources(in, out, err)) != 0)
        goto fail;
    if ((rc = pt_plan__scheduling(in, out, err)) != 0)
        goto fail;
    if ((rc = pt_plan__metadata(in, out, err)) != 0)
        goto fail;
    if ((rc = pt_plan__runtime(in, out, err)) != 0)
        goto fail;
    if ((rc = plan_record(in, out)) != 0) {
        pt_error_set(err, rc, "cannot record provenance annotations: metadata is malformed");
        goto fail;
    }
    return PT_OK;
fail:
    pt_plan_cleanup(out);
    return rc;
}
