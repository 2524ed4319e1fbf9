/* plan_scheduling.c — the planner's scheduling and metadata stages: where a pod may run and how it
 * is labelled. */
#include "podtune/plan.h"

#include <stdio.h>
#include <string.h>

/*
 * The rules, exactly as implemented (docs/planner-scheduling-runtime.md says
 * the same for users). Only spec.nodeSelector, spec.affinity.nodeAffinity,
 * spec.tolerations, spec.priorityClassName, spec.priority, spec.schedulerName,
 * metadata.labels and metadata.annotations are ever written. Nothing is ever
 * removed or reordered. A field of the pod with an unexpected type (affinity
 * not an object, tolerations a string, a term that is not an object…) is
 * left alone with a SKIPPED note; JSON null counts as absent.
 *
 * nodeSelector {k: v}: per key, fill/override (pt_plan_set_string).
 *
 * nodeAffinity.required [expr…]: ANDed into every existing term of
 *   spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution
 *   .nodeSelectorTerms (terms are ORed, so adding to each keeps "and").
 *   An expression is added to a term's matchExpressions unless an equal one
 *   is there: same key, same operator, same values as a set (order and
 *   duplicates ignored; absent values == []). Terms holding only matchFields
 *   get matchExpressions too. An empty term ({} — no expressions, no fields)
 *   "matches no objects" (core/v1 NodeSelectorTerm); AND keeps it matching
 *   nothing, so it is left as is (SKIPPED note). With no required affinity,
 *   or nodeSelectorTerms [] / null, one term with the profile's expressions is
 *   created: apiserver validation rejects an empty term list ("must have at
 *   least one node selector term") and the scheduler would match no node.
 *
 * nodeAffinity.preferred [{weight, matchExpressions}]: each is appended as
 *   {weight, preference: {matchExpressions}} unless a term with the same
 *   weight, the same expressions (as a set, equality as above) and no
 *   matchFields exists.
 *
 * tolerations: each is appended unless an equal one exists. Equality uses
 *   Kubernetes' defaults: key "" , operator "Equal", value "", effect ""
 *   when absent; tolerationSeconds counts too (absent == absent, else the
 *   same number): {Exists, NoExecute, 300s} and {Exists, NoExecute, forever}
 *   are different tolerations. The apiserver's not-ready / unreachable
 *   tolerations are never touched.
 *
 * priorityClassName: "" and null count as unset. Unset, or override mode →
 *   podtune sets the class and, because the Priority admission plugin resolved
 *   spec.priority before webhooks and does not run again, also spec.priority =
 *   priorityValue. Without priorityValue the class is still set when the pod
 *   has no spec.priority (a manifest outside admission: the plugin resolves it
 *   later), but skipped (SKIPPED) when it has one, since the stored pod would
 *   carry the old class's priority. The pod keeping its own class (fill)
 *   leaves spec.priority alone. spec.preemptionPolicy is left alone: the
 *   plugin copies it from the class, but the block does not know the new
 *   class's policy, and validation only checks it is a known value.
 *
 * schedulerName: fill/override, with "default-scheduler" (what the apiserver
 *   defaults before webhooks), "" and null counting as unset — otherwise fill
 *   could never set a scheduler.
 *
 * labels / annotations {k: v}: per key, fill/override. The provenance
 *   annotations podtune.io/profile-applied and podtune.io/policy-digest belong
 *   to the frame and are skipped here.
 */

#define DEFAULT_SCHEDULER "default-scheduler"

/* Records a SKIPPED note, mapping an allocation failure to err. */
static int skip(struct pt_plan *p, const char *field, const char *why)
{
    return pt_plan_note(p, PT_REASON_SKIPPED, field, NULL, NULL, "%s", why);
}

static const char *str_or(const json_t *obj, const char *key, const char *dflt)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : dflt;
}

/* "" and null and absent are all "no value" for the Kubernetes string fields
 * handled here; returns the value or NULL. */
static const char *set_string_value(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return (s && *s) ? s : NULL;
}

/* 1 if every element of a equals some element of b (json_equal). */
static int subset(const json_t *a, const json_t *b)
{
    size_t i, j;
    json_t *x, *y;

    json_array_foreach(a, i, x)
    {
        int found = 0;
        json_array_foreach(b, j, y)
        {
            if (json_equal(x, y)) {
                found = 1;
                break;
            }
        }
        if (!found)
            return 0;
    }
    return 1;
}

/* Values as sets; absent or null == []. */
static int values_equal(const json_t *a, const json_t *b)
{
    json_t *empty = json_array();
    int eq;

    if (!empty)
        return 0;
    if (!json_is_array(a))
        a = empty;
    if (!json_is_array(b))
        b = empty;
    eq = subset(a, b) && subset(b, a);
    json_decref(empty);
    return eq;
}

/* A node selector requirement: same key, operator and values as a set. */
static int requirement_equal(const json_t *a, const json_t *b)
{
    return json_is_object(a) && json_is_object(b) &&
           strcmp(str_or(a, "key", ""), str_or(b, "key", "")) == 0 &&
           strcmp(str_or(a, "operator", ""), str_or(b, "operator", "")) == 0 &&
           values_equal(json_object_get(a, "values"), json_object_get(b, "values"));
}

static int has_requirement(const json_t *list, const json_t *req)
{
    size_t i;
    json_t *x;

    json_array_foreach(list, i, x)
    {
        if (requirement_equal(x, req))
            return 1;
    }
    return 0;
}

/* Two requirement lists as sets (absent == []). */
static int requirements_equal(const json_t *a, const json_t *b)
{
    size_t i;
    json_t *x;

    json_array_foreach(a, i, x)
    {
        if (!has_requirement(b, x))
            return 0;
    }
    json_array_foreach(b, i, x)
    {
        if (!has_requirement(a, x))
            return 0;
    }
    return 1;
}

static size_t array_len(const json_t *a)
{
    return json_is_array(a) ? json_array_size(a) : 0;
}

/* "key op v1,v2" for notes. */
static void describe_requirement(const json_t *req, char *buf, size_t len)
{
    size_t i, n;
    json_t *v;

    n = (size_t)snprintf(buf, len, "%s %s", str_or(req, "key", "?"), str_or(req, "operator", "?"));
    json_array_foreach(json_object_get(req, "values"), i, v)
    {
        if (n >= len)
            return;
        n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? "," : " ",
                              json_is_string(v) ? json_string_value(v) : "?");
    }
}

/* Adds the profile's required expressions to every term (see the top). */
static int plan_required(const json_t *reqs, json_t *spec, struct pt_plan *p)
{
    const char *field = "nodeAffinity.required";
    json_t *affinity, *na, *rd, *terms, *term, *req;
    size_t i, j, n_terms;
    char what[160];
    int rc;

    if (array_len(reqs) == 0)
        return PT_OK;
    if (!(affinity = pt_plan_object_at(spec, "affinity")))
        return skip(p, field, "spec.affinity is not an object; left alone");
    if (!(na = pt_plan_object_at(affinity, "nodeAffinity")))
        return skip(p, field, "affinity.nodeAffinity is not an object; left alone");
    if (!(rd = pt_plan_object_at(na, "requiredDuringSchedulingIgnoredDuringExecution")))
        return skip(p, field, "requiredDuringSchedulingIgnoredDuringExecution is not an object");
    if (!(terms = pt_plan_array_at(rd, "nodeSelectorTerms")))
        return skip(p, field, "nodeSelectorTerms is not a list; left alone");

    if (json_array_size(terms) == 0) {
        json_t *exprs = json_deep_copy(reqs);
        json_t *t = json_object();
        if (!exprs || !t) {
            json_decref(exprs);
            json_decref(t);
            return PT_ENOMEM;
        }
        if (json_object_set_new(t, "matchExpressions", exprs) != 0) { /* takes exprs */
            json_decref(t);
            return PT_ENOMEM;
        }
        if (json_array_append_new(terms, t) != 0)
            return PT_ENOMEM;
        json_array_foreach(reqs, j, req)
        {
            describe_requirement(req, what, sizeof(what));
            if ((rc = pt_plan_note(p, PT_REASON_FILLED, field, NULL, what,
                                   "created the only nodeSelectorTerm")) != 0)
                return rc;
        }
        return PT_OK;
    }

    n_terms = json_array_size(terms);
    json_array_foreach(terms, i, term)
    {
        if (!json_is_object(term)) {
            if ((rc = pt_plan_note(p, PT_REASON_SKIPPED, field, NULL, NULL,
                                   "nodeSelectorTerms[%zu] is not an object; left alone", i)) != 0)
                return rc;
            continue;
        }
        if (array_len(json_object_get(term, "matchExpressions")) == 0 &&
            array_len(json_object_get(term, "matchFields")) == 0) {
            if ((rc = pt_plan_note(p, PT_REASON_SKIPPED, field, NULL, NULL,
                                   "nodeSelectorTerms[%zu] is empty, matches no node; left alone",
                                   i)) != 0)
                return rc;
        }
    }
    json_array_foreach(reqs, j, req)
    {
        size_t added = 0;
        json_array_foreach(terms, i, term)
        {
            json_t *exprs;
            if (!json_is_object(term))
                continue;
            if (array_len(json_object_get(term, "matchExpressions")) == 0 &&
                array_len(json_object_get(term, "matchFields")) == 0)
                continue;
            if (has_requirement(json_object_get(term, "matchExpressions"), req))
                continue;
            if (!(exprs = pt_plan_array_at(term, "matchExpressions"))) {
                rc = pt_plan_note(p, PT_REASON_SKIPPED, field, NULL, NULL,
                                  "nodeSelectorTerms[%zu].matchExpressions is not a list", i);
                if (rc != 0)
                    return rc;
                continue;
            }
            if (json_array_append_new(exprs, json_deep_copy(req)) != 0)
                return PT_ENOMEM;
            added++;
        }
        if (added) {
            describe_requirement(req, what, sizeof(what));
            if ((rc = pt_plan_note(p, PT_REASON_FILLED, field, NULL, what,
                                   "added to %zu of %zu nodeSelectorTerms", added, n_terms)) != 0)
                return rc;
        }
    }
    return PT_OK;
}

/* Appends the profile's preferred terms unless an equal one exists. */
static int plan_preferred(const json_t *prefs, json_t *spec, struct pt_plan *p)
{
    const char *field = "nodeAffinity.preferred";
    json_t *affinity, *na, *list, *want, *have;
    size_t i, j;
    char what[200];
    int rc;

    if (array_len(prefs) == 0)
        return PT_OK;
    if (!(affinity = pt_plan_object_at(spec, "affinity")))
        return skip(p, field, "spec.affinity is not an object; left alone");
    if (!(na = pt_plan_object_at(affinity, "nodeAffinity")))
        return skip(p, field, "affinity.nodeAffinity is not an object; left alone");
    if (!(list = pt_plan_array_at(na, "preferredDuringSchedulingIgnoredDuringExecution")))
        return skip(p, field, "preferredDuringSchedulingIgnoredDuringExecution is not a list");

    json_array_foreach(prefs, i, want)
    {
        json_t *wexprs = json_object_get(want, "matchExpressions");
        json_int_t weight = json_integer_value(json_object_get(want, "weight"));
        json_t *term, *copy;
        int found = 0;
        size_t n;

        json_array_foreach(list, j, have)
        {
            json_t *hp = json_object_get(have, "preference");
            if (!json_is_integer(json_object_get(have, "weight")) ||
                json_integer_value(json_object_get(have, "weight")) != weight)
                continue;
            if (array_len(json_object_get(hp, "matchFields")) != 0)
                continue;
            if (requirements_equal(json_object_get(hp, "matchExpressions"), wexprs)) {
                found = 1;
                break;
            }
        }
        if (found)
            continue;
        copy = json_is_array(wexprs) ? json_deep_copy(wexprs) : json_array();
        /* "o" steals copy, also when packing fails */
        term =
            json_pack("{s:I, s:{s:o}}", "weight", weight, "preference", "matchExpressions", copy);
        if (!term)
            return PT_ENOMEM;
        if (json_array_append_new(list, term) != 0)
            return PT_ENOMEM;
        n = (size_t)snprintf(what, sizeof(what), "weight %lld:", (long long)weight);
        json_array_foreach(wexprs, j, have)
        {
            if (n < sizeof(what) - 1) {
                what[n++] = ' ';
                describe_requirement(have, what + n, sizeof(what) - n);
                n = strlen(what);
            }
        }
        if ((rc = pt_plan_note(p, PT_REASON_FILLED, field, NULL, what, NULL)) != 0)
            return rc;
    }
    return PT_OK;
}

/* tolerationSeconds: both absent, or the same integer. */
static int seconds_equal(const json_t *a, const json_t *b)
{
    const json_t *sa = json_object_get(a, "tolerationSeconds");
    const json_t *sb = json_object_get(b, "tolerationSeconds");

    if (json_is_null(sa))
        sa = NULL;
    if (json_is_null(sb))
        sb = NULL;
    if (!sa || !sb)
        return !sa && !sb;
    return json_is_integer(sa) && json_is_integer(sb) &&
           json_integer_value(sa) == json_integer_value(sb);
}

static int toleration_equal(const json_t *a, const json_t *b)
{
    return json_is_object(a) && json_is_object(b) &&
           strcmp(str_or(a, "key", ""), str_or(b, "key", "")) == 0 &&
           strcmp(str_or(a, "operator", "Equal"), str_or(b, "operator", "Equal")) == 0 &&
           strcmp(str_or(a, "value", ""), str_or(b, "value", "")) == 0 &&
           strcmp(str_or(a, "effect", ""), str_or(b, "effect", "")) == 0 && seconds_equal(a, b);
}

static int plan_tolerations(const json_t *wanted, json_t *spec, struct pt_plan *p)
{
    json_t *list, *want, *have;
    size_t i, j;
    char what[200];
    int rc;

    if (array_len(wanted) == 0)
        return PT_OK;
    if (!(list = pt_plan_array_at(spec, "tolerations")))
        return skip(p, "tolerations", "spec.tolerations is not a list; left alone");
    json_array_foreach(wanted, i, want)
    {
        int found = 0;
        json_array_foreach(list, j, have)
        {
            if (toleration_equal(have, want)) {
                found = 1;
                break;
            }
        }
        if (found)
            continue;
        if (json_array_append_new(list, json_deep_copy(want)) != 0)
            return PT_ENOMEM;
        snprintf(what, sizeof(what), "%s %s %s:%s", str_or(want, "key", "*"),
                 str_or(want, "operator", "Equal"), str_or(want, "value", ""),
                 str_or(want, "effect", "*"));
        if ((rc = pt_plan_note(p, PT_REASON_FILLED, "tolerations", NULL, what, NULL)) != 0)
            return rc;
    }
    return PT_OK;
}

/* Sets spec.priority to the class's value (see the top). */
static int set_priority(json_t *spec, json_int_t value, struct pt_plan *p)
{
    json_t *cur = json_object_get(spec, "priority");
    int had = json_is_integer(cur);
    json_int_t old = had ? json_integer_value(cur) : 0;
    char from[32], to[32];

    if (had && old == value)
        return PT_OK;
    if (json_object_set_new(spec, "priority", json_integer(value)) != 0)
        return PT_ENOMEM;
    snprintf(to, sizeof(to), "%lld", (long long)value);
    if (had) {
        snprintf(from, sizeof(from), "%lld", (long long)old);
        return pt_plan_note(p, PT_REASON_OVERRIDDEN, "priority", from, to,
                            "follows priorityClassName");
    }
    return pt_plan_note(p, PT_REASON_FILLED, "priority", NULL, to, "follows priorityClassName");
}

static int plan_priority(const struct pt_plan_input *in, json_t *spec, struct pt_plan *p)
{
    const char *want = json_string_value(json_object_get(in->block, "priorityClassName"));
    const json_t *value = json_object_get(in->block, "priorityValue");
    const char *have;
    int rc;

    if (!want || !*want)
        return PT_OK;
    have = set_string_value(spec, "priorityClassName");
    if (have && strcmp(have, want) == 0)
        return PT_OK;
    if (have && !in->override)
        return pt_plan_note(p, PT_REASON_KEPT, "priorityClassName", have, want,
                            "kept pod value %s over profile value %s (mode fill)", have, want);
    if (!json_is_integer(value) && json_object_get(spec, "priority") &&
        !json_is_null(json_object_get(spec, "priority")))
        return pt_plan_note(p, PT_REASON_SKIPPED, "priorityClassName", have, want,
                            "profile has no priorityValue; spec.priority would disagree");
    /* note first: have points into the value being replaced */
    rc = pt_plan_note(p, have ? PT_REASON_OVERRIDDEN : PT_REASON_FILLED, "priorityClassName", have,
                      want, NULL);
    if (rc == 0 && json_object_set_new(spec, "priorityClassName", json_string(want)) != 0)
        rc = PT_ENOMEM;
    if (rc == 0 && json_is_integer(value))
        rc = set_priority(spec, json_integer_value(value), p);
    return rc;
}

static int plan_scheduler(const struct pt_plan_input *in, json_t *spec, struct pt_plan *p)
{
    const char *want = json_string_value(json_object_get(in->block, "schedulerName"));
    const char *have;
    int rc;

    if (!want || !*want)
        return PT_OK;
    have = set_string_value(spec, "schedulerName");
    if (have && strcmp(have, want) == 0)
        return PT_OK;
    if (have && strcmp(have, DEFAULT_SCHEDULER) != 0 && !in->override)
        return pt_plan_note(p, PT_REASON_KEPT, "schedulerName", have, want,
                            "kept pod value %s over profile value %s (mode fill)", have, want);
    /* note first: have points into the value being replaced */
    if (have && strcmp(have, DEFAULT_SCHEDULER) == 0)
        rc = pt_plan_note(p, PT_REASON_FILLED, "schedulerName", have, want,
                          "the apiserver's default counts as unset");
    else
        rc = pt_plan_note(p, have ? PT_REASON_OVERRIDDEN : PT_REASON_FILLED, "schedulerName", have,
                          want, NULL);
    if (rc == 0 && json_object_set_new(spec, "schedulerName", json_string(want)) != 0)
        rc = PT_ENOMEM;
    return rc;
}

/* Fill/override of every entry of the block's map block_key into
 * parent[pod_key], recorded as "<prefix>.<key>". Reserved keys are skipped. */
static int plan_map(const struct pt_plan_input *in, struct pt_plan *p, json_t *parent,
                    const char *block_key, const char *pod_key, const char *prefix,
                    const char *const *reserved)
{
    const json_t *entries = json_object_get(in->block, block_key);
    const char *key;
    json_t *val, *old, *target = NULL;
    char field[512];
    int rc;

    if (!json_is_object(entries) || json_object_size(entries) == 0)
        return PT_OK;
    json_object_foreach((json_t *)entries, key, val)
    {
        int is_reserved = 0;
        snprintf(field, sizeof(field), "%s.%s", prefix, key);
        for (size_t r = 0; reserved && reserved[r]; r++)
            is_reserved |= strcmp(reserved[r], key) == 0;
        if (is_reserved) {
            if ((rc = skip(p, field, "reserved for podtune's own provenance")) != 0)
                return rc;
            continue;
        }
        if (!json_is_string(val))
            continue; /* the loader only lets strings through */
        if (!target && !(target = pt_plan_object_at(parent, pod_key))) {
            char why[96];
            snprintf(why, sizeof(why), "%s is not an object; left alone", pod_key);
            return skip(p, prefix, why);
        }
        /* hold the old value: pt_plan_set_string notes it after replacing it */
        old = json_incref(json_object_get(target, key));
        rc = pt_plan_set_string(p, in, target, key, json_string_value(val), field);
        json_decref(old);
        if (rc != 0)
            return rc;
    }
    return PT_OK;
}

/* Maps a stage failure to err: the only failure is running out of memory. */
static int stage_fail(struct pt_error *err, int rc, const char *stage)
{
    return pt_error_set(err, rc, "%s stage: %s", stage, pt_strerror(rc));
}

int pt_plan__scheduling(const struct pt_plan_input *in, struct pt_plan *p, struct pt_error *err)
{
    json_t *spec = json_object_get(p->pod, "spec");
    const json_t *na = json_object_get(in->block, "nodeAffinity");
    int rc = PT_OK;

    if (!json_is_object(spec)) {
        if ((rc = skip(p, "spec", "pod spec is not an object; scheduling left alone")) != 0)
            goto fail;
        return PT_OK;
    }
    if ((rc = plan_map(in, p, spec, "nodeSelector", "nodeSelector", "nodeSelector", NULL)) != 0)
        goto fail;
    if ((rc = plan_required(json_object_get(na, "required"), spec, p)) != 0)
        goto fail;
    if ((rc = plan_preferred(json_object_get(na, "preferred"), spec, p)) != 0)
        goto fail;
    if ((rc = plan_tolerations(json_object_get(in->block, "tolerations"), spec, p)) != 0)
        goto fail;
    if ((rc = plan_priority(in, spec, p)) != 0)
        goto fail;
    if ((rc = plan_scheduler(in, spec, p)) != 0)
        goto fail;
    return PT_OK;
fail:
    return stage_fail(err, rc, "scheduling");
}

int pt_plan__metadata(const struct pt_plan_input *in, struct pt_plan *p, struct pt_error *err)
{
    static const char *const reserved[] = {"podtune.io/profile-applied", "podtune.io/policy-digest",
                                           NULL};
    const json_t *labels = json_object_get(in->block, "labels");
    const json_t *annotations = json_object_get(in->block, "annotations");
    json_t *meta;
    int rc = PT_OK;

    if (json_object_size(labels) == 0 && json_object_size(annotations) == 0)
        return PT_OK;
    if (!(meta = pt_plan_object_at(p->pod, "metadata"))) {
        if ((rc = skip(p, "metadata", "pod metadata is not an object; left alone")) != 0)
            goto fail;
        return PT_OK;
    }
    if ((rc = plan_map(in, p, meta, "labels", "labels", "labels", NULL)) != 0)
        goto fail;
    if ((rc = plan_map(in, p, meta, "annotations", "annotations", "annotations", reserved)) != 0)
        goto fail;
    return PT_OK;
fail:
    return stage_fail(err, rc, "metadata");
}
