/* plan_fixture.h — the fixture the planner stage tests share: readable JSON
 * literals, running one stage on a copy of a pod, and the checks every stage
 * test repeats (the input is never written, warnings fit, a second run is a
 * no-op). Included by test_plan_resources.c, test_plan_scheduling.c and
 * test_plan_runtime.c after <cmocka.h>. */
#ifndef PODTUNE_TEST_PLAN_FIXTURE_H
#define PODTUNE_TEST_PLAN_FIXTURE_H

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "podtune/plan.h"

/* A planner stage: pt_plan__resources, __scheduling, __metadata or __runtime. */
typedef int (*plan_stage_fn)(const struct pt_plan_input *, struct pt_plan *, struct pt_error *);

/* Parses JSON written with single quotes (readable literals); caller owns it.
 * A literal apostrophe is written as ^. */
static inline json_t *J(const char *text)
{
    char *s = strdup(text);
    json_error_t jerr;
    json_t *v;

    assert_non_null(s);
    for (char *c = s; *c; c++) {
        if (*c == '\'')
            *c = '"';
        else if (*c == '^')
            *c = '\'';
    }
    v = json_loads(s, JSON_DECODE_ANY, &jerr);
    if (!v)
        fail_msg("bad test JSON at %d:%d: %s\n%s", jerr.line, jerr.column, jerr.text, s);
    free(s);
    return v;
}

struct fx {
    json_t *pod;   /* the input pod (original) */
    json_t *block; /* the role block */
    plan_stage_fn stage;
    struct pt_plan_input in;
    struct pt_plan p;
};

/* Runs stage on a copy of pod under block; the fixture takes both. Fails the
 * test when the stage fails, writes the input pod, or records a note that
 * would not make a warning under 120 bytes without being cut. */
static inline void fx_run(struct fx *f, plan_stage_fn stage, json_t *pod, json_t *block,
                          enum pt_role role, int main_index)
{
    struct pt_error err;
    const char *mode;
    json_t *before;

    memset(f, 0, sizeof(*f));
    pt_error_clear(&err);
    assert_non_null(pod);
    assert_non_null(block);
    f->pod = pod;
    f->block = block;
    f->stage = stage;
    mode = json_string_value(json_object_get(block, "mode"));
    f->in.block = block;
    f->in.override = mode && strcmp(mode, "override") == 0;
    f->in.role = role;
    f->in.main = main_index;
    f->in.pod = pod;
    f->in.digest = "sha256:000000000000";
    f->p.pod = json_deep_copy(pod);
    before = json_deep_copy(pod);
    assert_non_null(f->p.pod);
    assert_non_null(before);
    if (stage(&f->in, &f->p, &err) != 0)
        fail_msg("stage failed: %s", err.text);
    if (!json_equal(before, pod))
        fail_msg("the stage wrote its input pod");
    json_decref(before);
    for (size_t i = 0; i < f->p.n; i++) {
        const struct pt_change *c = &f->p.changes[i];
        size_t len = strlen("podtune: ") + strlen(c->field) + 2 +
                     strlen(c->note ? c->note : pt_reason_name(c->reason));
        if (len >= 120)
            fail_msg("warning too long (%zu): %s: %s", len, c->field, c->note);
    }
}

static inline void fx_free(struct fx *f)
{
    pt_plan_cleanup(&f->p);
    json_decref(f->pod);
    json_decref(f->block);
}

/* Runs f's stage again on f's output with the same block, into again. */
static inline void fx_rerun(const struct fx *f, struct fx *again)
{
    fx_run(again, f->stage, json_deep_copy(f->p.pod), json_incref(f->block), f->in.role,
           f->in.main);
}

/* A second run on the output changes nothing and records nothing. */
static inline void fx_assert_idempotent(const struct fx *f)
{
    struct fx again;

    fx_rerun(f, &again);
    if (!json_equal(again.p.pod, f->p.pod)) {
        char *a = json_dumps(f->p.pod, JSON_SORT_KEYS),
             *b = json_dumps(again.p.pod, JSON_SORT_KEYS);
        fail_msg("second run changed the pod:\n%s\n%s", a, b);
    }
    if (again.p.n != 0)
        fail_msg("second run recorded %zu changes, first: %s", again.p.n, again.p.changes[0].field);
    fx_free(&again);
}

static inline void assert_json(const json_t *got, const char *want_text)
{
    json_t *want = J(want_text);

    if (!json_equal(got, want)) {
        char *a = json_dumps(got, JSON_SORT_KEYS), *b = json_dumps(want, JSON_SORT_KEYS);
        fail_msg("got  %s\nwant %s", a, b);
    }
    json_decref(want);
}

/* The value at a slash-separated path of keys and array indexes, or NULL. */
static inline const json_t *at(const json_t *v, const char *path)
{
    while (v && *path) {
        const char *end = strchr(path, '/');
        size_t n = end ? (size_t)(end - path) : strlen(path);
        char key[128];

        snprintf(key, sizeof(key), "%.*s", (int)n, path);
        v = json_is_array(v) ? json_array_get(v, strtoul(key, NULL, 10)) : json_object_get(v, key);
        path += n + (end ? 1 : 0);
    }
    return v;
}

/* How many changes with reason r were recorded for field. */
static inline size_t count(const struct pt_plan *p, enum pt_reason r, const char *field)
{
    size_t n = 0;
    for (size_t i = 0; i < p->n; i++)
        n += p->changes[i].reason == r && strcmp(p->changes[i].field, field) == 0;
    return n;
}

#endif
