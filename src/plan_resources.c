/* plan_resources.c — the planner's resources stage: the main container's requests and limits. */
#include "podtune/plan.h"
#include "podtune/quantity.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The rules, exactly as implemented (docs/planner-resources.md says the same
 * for users). Only spec.containers[in->main].resources and, for executors, its
 * env SPARK_EXECUTOR_MEMORY are ever written. The profile block is
 * resources: {requests, limits, min, max, maxLimitRequestRatio}.
 *
 * 0. Reading. Pod quantities may be strings or JSON numbers; they are compared
 *    by value. A resources / requests / limits that is not an object skips the
 *    whole stage; a pod quantity that does not parse (or is negative, null, a
 *    bool…) leaves that resource's request and limit alone. Both with a
 *    SKIPPED note. Values podtune does not change are never rewritten
 *    ("2.0" stays "2.0", 2 stays 2); values it changes are written canonically.
 * 1. requests / limits: absent in the pod → set (FILLED); equal by value →
 *    nothing; different → replaced in mode override (OVERRIDDEN), else kept
 *    with a KEPT note.
 * 2. min raises, max lowers every present request and limit (CLAMPED).
 *    Absent values are not created by min/max.
 * 3. maxLimitRequestRatio {res: r}: when both exist and limit/request > r
 *    (exactly), the request becomes ceil(limit / r) (CLAMPED). r < 1 cannot
 *    hold together with limit ≥ request and is skipped with a note.
 * 4. Validity. Extended resources (a '/' in the name outside kubernetes.io/,
 *    and hugepages-*) cannot be overcommitted, so request == limit: a missing
 *    side copies the other (what the apiserver and its validation require);
 *    when they differ, the side this stage changed wins, else the larger.
 *    Every other resource with both: a limit below the request is raised to it.
 * 5. JVM safety, checked on every step that would lower requests.memory or
 *    limits.memory, or set an absent one: the value may not go below a floor,
 *    else that step is not applied (SKIPPED, warned) and the value stays.
 *    - floor = the pod's memory request as the stage found it (its limit if
 *      there is no request; for an executor with no memory at all, its heap);
 *    - except a Spark executor whose main container has a plain-value
 *      SPARK_EXECUTOR_MEMORY that parses and is not above that memory: its
 *      overhead = memory − heap is kept, so the floor is overhead + the
 *      smallest heap Spark starts with (512 MiB, or the current heap if
 *      smaller), and whenever its memory (request, else limit) ends different,
 *      SPARK_EXECUTOR_MEMORY becomes new memory − overhead in whole MiB,
 *      rounded down ("3712m"). Growing memory therefore grows the heap.
 *    Drivers and Flink pods: memory only goes up; JVM flags are left alone.
 * 6. Notes. KEPT and SKIPPED notes are recorded as they happen. Changes are
 *    recorded once per value at the end, only if the final value differs from
 *    the pod's, with the reason of the last step that moved it; a value that
 *    ends where it started records nothing. Every step only moves values
 *    towards its own bound, so a second run on the output (same block) finds
 *    every bound already met and changes nothing (the KEPT / SKIPPED notes
 *    repeat, the diff is empty).
 */

#define MIB ((int64_t)1024 * 1024)
/* Spark refuses a heap under 1.5 × its 300 MiB reserved memory (450 MiB), and
 * Runtime.maxMemory() reports a little less than -Xmx: 512 MiB leaves margin. */
#define HEAP_MIN  (512 * MIB)
#define FIELD_MAX 384
#define NOTE_MAX  112

/* One side (request or limit) of one resource. */
struct slot {
    int had, has;                 /* present in the pod before / now */
    struct pt_quantity orig, q;   /* value before / now */
    char text[PT_QUANTITY_BUFSZ]; /* the pod's value as written, for notes */
    int touched;                  /* moved by a step of this stage */
    enum pt_reason why;           /* reason of the last step that moved it */
    char note[NOTE_MAX];          /* and its note ("" for none) */
};

struct res {
    char *name;
    int bad;      /* a pod value did not parse: leave this resource alone */
    int extended; /* request must equal limit */
    struct slot req, lim;
};

struct stage {
    const struct pt_plan_input *in;
    struct pt_plan *p;
    json_t *container;
    json_t *pod_req, *pod_lim; /* the pod's requests / limits objects, or NULL */
    struct res *r;
    size_t n, cap;
    /* JVM safety */
    int has_floor;
    struct pt_quantity floor;
    int resizable; /* executor whose heap follows its memory */
    int64_t heap, overhead, heap_min;
    json_t *heap_entry; /* the env entry holding SPARK_EXECUTOR_MEMORY */
    char heap_text[64];
};

static void stage_cleanup(struct stage *st)
{
    for (size_t i = 0; i < st->n; i++)
        free(st->r[i].name);
    free(st->r);
}

/* Kubernetes' IsOvercommitAllowed, negated: hugepages and non-native names. */
static int is_extended(const char *name)
{
    if (strncmp(name, "hugepages-", 10) == 0)
        return 1;
    return strchr(name, '/') && !strstr(name, "kubernetes.io/");
}

/* The resource named name, added when new; NULL on allocation failure. */
static struct res *res_get(struct stage *st, const char *name)
{
    struct res *r;

    for (size_t i = 0; i < st->n; i++)
        if (strcmp(st->r[i].name, name) == 0)
            return &st->r[i];
    if (st->n == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 8;
        struct res *grown = realloc(st->r, cap * sizeof(*grown));
        if (!grown)
            return NULL;
        st->r = grown;
        st->cap = cap;
    }
    r = &st->r[st->n];
    memset(r, 0, sizeof(*r));
    r->name = strdup(name);
    if (!r->name)
        return NULL;
    r->extended = is_extended(name);
    st->n++;
    return r;
}

static struct res *res_find(struct stage *st, const char *name)
{
    for (size_t i = 0; i < st->n; i++)
        if (strcmp(st->r[i].name, name) == 0)
            return &st->r[i];
    return NULL;
}

static void field_name(char *buf, size_t len, int limit, const char *name)
{
    snprintf(buf, len, "resources.%s.%s", limit ? "limits" : "requests", name);
}

/* How a pod value was written, for notes. */
static void value_text(const json_t *v, char *buf, size_t len)
{
    if (json_is_string(v))
        snprintf(buf, len, "%s", json_string_value(v));
    else if (json_is_integer(v))
        snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else if (json_is_real(v))
        snprintf(buf, len, "%.15g", json_real_value(v));
    else if (json_is_null(v))
        snprintf(buf, len, "null");
    else
        snprintf(buf, len, "(%s)",
                 json_is_object(v)  ? "object"
                 : json_is_array(v) ? "array"
                                    : "bool");
}

int pt_plan_pod_quantity(const json_t *v, struct pt_quantity *out)
{
    char buf[64];

    if (json_is_string(v)) {
        if (pt_quantity_parse(json_string_value(v), out, NULL) != 0)
            return PT_EINVAL;
    } else if (json_is_integer(v)) {
        pt_quantity_from_int(json_integer_value(v), PT_QUANTITY_DECIMAL_SI, out);
    } else if (json_is_real(v)) {
        snprintf(buf, sizeof(buf), "%.15g", json_real_value(v));
        if (pt_quantity_parse(buf, out, NULL) != 0)
            return PT_EINVAL;
    } else {
        return PT_EINVAL;
    }
    return out->nano < 0 ? PT_EINVAL : PT_OK;
}

static int fmt_q(const struct pt_quantity *q, char *buf, size_t len)
{
    if (pt_quantity_format(q, buf, len) != 0) {
        snprintf(buf, len, "?");
        return PT_ERANGE;
    }
    return PT_OK;
}

static int oom(struct pt_error *err)
{
    return pt_error_set(err, PT_ENOMEM, "out of memory planning resources");
}

/* Checks that obj[key] is an object, absent or null. On anything else records
 * a SKIPPED note and returns 0. */
static int shape_ok(struct stage *st, json_t *obj, const char *key, const char *field, int *rc)
{
    json_t *v = json_object_get(obj, key);
    char shown[32];

    *rc = PT_OK;
    if (!v || json_is_null(v) || json_is_object(v))
        return 1;
    value_text(v, shown, sizeof(shown));
    *rc = pt_plan_note(st->p, PT_REASON_SKIPPED, field, NULL, NULL,
                       "not an object (%s); resources left alone", shown);
    return 0;
}

/* Reads one side (requests or limits) of the pod into the model. */
static int load_side(struct stage *st, json_t *obj, int limit)
{
    const char *name;
    json_t *v;
    char field[FIELD_MAX];

    json_object_foreach(obj, name, v)
    {
        struct res *r = res_get(st, name);
        struct slot *s;
        if (!r)
            return PT_ENOMEM;
        s = limit ? &r->lim : &r->req;
        value_text(v, s->text, sizeof(s->text));
        if (pt_plan_pod_quantity(v, &s->orig) != 0) {
            int rc;
            r->bad = 1;
            field_name(field, sizeof(field), limit, name);
            rc = pt_plan_note(st->p, PT_REASON_SKIPPED, field, s->text, NULL,
                              "pod value %s is not a quantity; %s left alone", s->text, name);
            if (rc != 0)
                return rc;
            continue;
        }
        s->had = s->has = 1;
        s->q = s->orig;
    }
    return PT_OK;
}

/* Reads a quantity from the profile block. Policies are validated on load, so
 * a bad one is an internal inconsistency: skipped with a note, never fatal.
 * Returns 1 with *out set, 0 when unusable, or PT_ENOMEM. */
static int block_quantity(struct stage *st, const json_t *v, const char *field,
                          struct pt_quantity *out)
{
    char shown[32];

    if (json_is_string(v) && pt_quantity_parse(json_string_value(v), out, NULL) == 0 &&
        out->nano >= 0)
        return 1;
    value_text(v, shown, sizeof(shown));
    if (pt_plan_note(st->p, PT_REASON_SKIPPED, field, NULL, NULL,
                     "profile value %s is not a quantity; ignored", shown) != 0)
        return PT_ENOMEM;
    return 0;
}

/* The last env entry named name with a plain string value, or NULL. Entries
 * with valueFrom (or without a value) do not count: podtune cannot read them. */
static json_t *env_entry(json_t *container, const char *name)
{
    json_t *env = json_object_get(container, "env");
    json_t *found = NULL, *e;
    size_t i;

    if (!json_is_array(env))
        return NULL;
    json_array_foreach(env, i, e)
    {
        if (!json_is_object(e) || !json_is_string(json_object_get(e, "name")) ||
            strcmp(json_string_value(json_object_get(e, "name")), name) != 0)
            continue;
        /* the last definition is the one the container sees */
        found = (json_is_string(json_object_get(e, "value")) && !json_object_get(e, "valueFrom"))
                    ? e
                    : NULL;
    }
    return found;
}

/* Works out the memory floor and whether the executor's heap can follow. */
static void jvm_setup(struct stage *st)
{
    struct res *mem = res_find(st, "memory");
    const struct slot *base = NULL;
    int64_t base_bytes = 0;
    int heap_known = 0;

    if (mem && !mem->bad)
        base = mem->req.had ? &mem->req : mem->lim.had ? &mem->lim : NULL;
    if (base && pt_quantity_to_int(&base->orig, &base_bytes) != 0)
        base = NULL; /* too large to reason about: behaves as absent, floor below */
    if (st->in->role == PT_ROLE_SPARK_EXECUTOR) {
        st->heap_entry = env_entry(st->container, "SPARK_EXECUTOR_MEMORY");
        if (st->heap_entry) {
            const char *v = json_string_value(json_object_get(st->heap_entry, "value"));
            snprintf(st->heap_text, sizeof(st->heap_text), "%s", v);
            heap_known = pt_jvm_size_parse(v, &st->heap, NULL) == 0 && st->heap > 0;
        }
    }
    if (heap_known && base && base_bytes >= st->heap) {
        st->resizable = 1;
        st->overhead = base_bytes - st->heap;
        st->heap_min = st->heap < HEAP_MIN ? st->heap : HEAP_MIN;
        st->has_floor = 1;
        pt_quantity_from_int(st->overhead + st->heap_min, PT_QUANTITY_BINARY_SI, &st->floor);
    } else if (base) {
        st->has_floor = 1;
        st->floor = base->orig;
    } else if (heap_known) {
        st->has_floor = 1;
        pt_quantity_from_int(st->heap, PT_QUANTITY_BINARY_SI, &st->floor);
    } else if (mem && !mem->bad && (mem->req.had || mem->lim.had)) {
        /* memory beyond int64 bytes: nothing can be lowered below it */
        st->has_floor = 1;
        st->floor = mem->req.had ? mem->req.orig : mem->lim.orig;
    }
}

/* Moves one slot to x for a step. what ("max 8Gi", "override 2Gi") names the
 * step in a SKIPPED note; note (may be NULL) explains an applied change.
 * Returns 1 applied, 0 refused by JVM safety (noted), or PT_ENOMEM. */
static int move(struct stage *st, struct res *r, int limit, const struct pt_quantity *x,
                enum pt_reason why, const char *what, const char *note)
{
    struct slot *s = limit ? &r->lim : &r->req;
    char field[FIELD_MAX], fq[PT_QUANTITY_BUFSZ], to[PT_QUANTITY_BUFSZ];

    if (s->has && pt_quantity_cmp(x, &s->q) == 0)
        return 1;
    if (strcmp(r->name, "memory") == 0 && st->has_floor && pt_quantity_cmp(x, &st->floor) < 0 &&
        (!s->has || pt_quantity_cmp(x, &s->q) < 0)) {
        field_name(field, sizeof(field), limit, r->name);
        fmt_q(x, to, sizeof(to));
        if (st->resizable) {
            char hm[32];
            pt_jvm_size_format(st->heap_min, hm, sizeof(hm));
            if (pt_plan_note(st->p, PT_REASON_SKIPPED, field, s->has ? s->text : NULL, to,
                             "%s not applied: executor heap would drop below %s", what, hm) != 0)
                return PT_ENOMEM;
        } else {
            fmt_q(&st->floor, fq, sizeof(fq));
            if (pt_plan_note(st->p, PT_REASON_SKIPPED, field, s->has ? s->text : NULL, to,
                             "%s not applied: would cut JVM memory below %s", what, fq) != 0)
                return PT_ENOMEM;
        }
        return 0;
    }
    s->q = *x;
    s->has = 1;
    s->touched = 1;
    s->why = why;
    snprintf(s->note, sizeof(s->note), "%s", note ? note : "");
    return 1;
}

/* Rule 1 for one side: the profile's requests or limits. */
static int apply_values(struct stage *st, const json_t *values, int limit)
{
    const char *name;
    json_t *v;
    char field[FIELD_MAX], want[PT_QUANTITY_BUFSZ], what[PT_QUANTITY_BUFSZ + 16];

    json_object_foreach((json_t *)values, name, v)
    {
        struct pt_quantity x;
        struct res *r;
        struct slot *s;
        int rc;

        field_name(field, sizeof(field), limit, name);
        if ((rc = block_quantity(st, v, field, &x)) <= 0) {
            if (rc < 0)
                return rc;
            continue;
        }
        if (!(r = res_get(st, name)))
            return PT_ENOMEM;
        if (r->bad)
            continue;
        s = limit ? &r->lim : &r->req;
        fmt_q(&x, want, sizeof(want));
        if (!s->has) {
            snprintf(what, sizeof(what), "fill %s", want);
            rc = move(st, r, limit, &x, PT_REASON_FILLED, what, NULL);
        } else if (pt_quantity_cmp(&x, &s->q) == 0) {
            continue;
        } else if (st->in->override) {
            snprintf(what, sizeof(what), "override %s", want);
            rc = move(st, r, limit, &x, PT_REASON_OVERRIDDEN, what, NULL);
        } else {
            rc = pt_plan_note(st->p, PT_REASON_KEPT, field, s->text, want,
                              "kept pod value %s over profile value %s (mode fill)", s->text, want);
        }
        if (rc < 0)
            return rc;
    }
    return PT_OK;
}

/* Rule 2: bounds is min (raise = 1) or max (raise = 0). */
static int apply_bounds(struct stage *st, const json_t *bounds, int raise)
{
    const char *name;
    json_t *v;
    char field[FIELD_MAX], b[PT_QUANTITY_BUFSZ], what[PT_QUANTITY_BUFSZ + 8];
    char note[NOTE_MAX];

    json_object_foreach((json_t *)bounds, name, v)
    {
        struct pt_quantity x;
        struct res *r;
        int rc;

        snprintf(field, sizeof(field), "resources.%s.%s", raise ? "min" : "max", name);
        if ((rc = block_quantity(st, v, field, &x)) <= 0) {
            if (rc < 0)
                return rc;
            continue;
        }
        r = res_find(st, name);
        if (!r || r->bad)
            continue;
        fmt_q(&x, b, sizeof(b));
        snprintf(what, sizeof(what), "%s %s", raise ? "min" : "max", b);
        snprintf(note, sizeof(note), "%s to %s %s", raise ? "raised" : "lowered",
                 raise ? "min" : "max", b);
        for (int limit = 0; limit < 2; limit++) {
            struct slot *s = limit ? &r->lim : &r->req;
            int c;
            if (!s->has)
                continue;
            c = pt_quantity_cmp(&s->q, &x);
            if ((raise && c < 0) || (!raise && c > 0)) {
                if ((rc = move(st, r, limit, &x, PT_REASON_CLAMPED, what, note)) < 0)
                    return rc;
            }
        }
    }
    return PT_OK;
}

/* limit / req > ratio, exactly: lim·10⁹ > req·ratio in nano-units. Falls back
 * to comparing with the rounded quotient when the products overflow. */
static int ratio_exceeded(const struct pt_quantity *lim, const struct pt_quantity *req,
                          const struct pt_quantity *ratio, const struct pt_quantity *need)
{
    __int128 a, b;

    if (__builtin_mul_overflow(lim->nano, (__int128)1000000000, &a) ||
        __builtin_mul_overflow(req->nano, ratio->nano, &b))
        return pt_quantity_cmp(req, need) < 0;
    return a > b;
}

/* Rule 3: maxLimitRequestRatio. */
static int apply_ratio(struct stage *st, const json_t *ratios)
{
    const char *name;
    json_t *v;
    char field[FIELD_MAX], rt[PT_QUANTITY_BUFSZ], note[NOTE_MAX], what[NOTE_MAX];
    struct pt_quantity one;

    pt_quantity_from_int(1, PT_QUANTITY_DECIMAL_SI, &one);
    json_object_foreach((json_t *)ratios, name, v)
    {
        struct pt_quantity ratio, need;
        struct res *r;
        int rc;

        snprintf(field, sizeof(field), "resources.maxLimitRequestRatio.%s", name);
        if ((rc = block_quantity(st, v, field, &ratio)) <= 0) {
            if (rc < 0)
                return rc;
            continue;
        }
        fmt_q(&ratio, rt, sizeof(rt));
        if (pt_quantity_cmp(&ratio, &one) < 0) {
            /* limit/request < 1 contradicts limit >= request: no fixed point */
            if (pt_plan_note(st->p, PT_REASON_SKIPPED, field, NULL, NULL,
                             "ratio %s below 1 cannot hold with limit >= request; ignored",
                             rt) != 0)
                return PT_ENOMEM;
            continue;
        }
        r = res_find(st, name);
        if (!r || r->bad || !r->req.has || !r->lim.has)
            continue;
        if (pt_quantity_div_ceil(&r->lim.q, &ratio, &need) != 0) {
            field_name(field, sizeof(field), 0, name);
            if (pt_plan_note(st->p, PT_REASON_SKIPPED, field, NULL, NULL,
                             "limit/%s out of range; ratio not applied", rt) != 0)
                return PT_ENOMEM;
            continue;
        }
        if (!ratio_exceeded(&r->lim.q, &r->req.q, &ratio, &need) ||
            pt_quantity_cmp(&need, &r->req.q) <= 0)
            continue;
        snprintf(note, sizeof(note), "raised to limit/%s (maxLimitRequestRatio)", rt);
        snprintf(what, sizeof(what), "maxLimitRequestRatio %s", rt);
        if ((rc = move(st, r, 0, &need, PT_REASON_CLAMPED, what, note)) < 0)
            return rc;
    }
    return PT_OK;
}

/* Rule 4: limit >= request; extended resources request == limit. Only ever
 * raises, except that an extended resource's untouched side follows the side
 * the profile changed. */
static int apply_validity(struct stage *st)
{
    char note[NOTE_MAX], b[PT_QUANTITY_BUFSZ];
    int rc;

    for (size_t i = 0; i < st->n; i++) {
        struct res *r = &st->r[i];
        int from_req; /* copy the request onto the limit (else the reverse) */

        if (r->bad || (!r->req.has && !r->lim.has))
            continue;
        if (r->req.has && r->lim.has && pt_quantity_cmp(&r->req.q, &r->lim.q) == 0)
            continue;
        if (!r->extended) {
            if (!r->req.has || !r->lim.has || pt_quantity_cmp(&r->lim.q, &r->req.q) >= 0)
                continue;
            fmt_q(&r->req.q, b, sizeof(b));
            snprintf(note, sizeof(note), "raised to request %s (limit must be >= request)", b);
            if ((rc = move(st, r, 1, &r->req.q, PT_REASON_CLAMPED, "limit", note)) < 0)
                return rc;
            continue;
        }
        if (!r->lim.has)
            from_req = 1;
        else if (!r->req.has)
            from_req = 0;
        else if (r->req.touched != r->lim.touched)
            from_req = r->req.touched;
        else
            from_req = pt_quantity_cmp(&r->req.q, &r->lim.q) > 0;
        if (from_req) {
            fmt_q(&r->req.q, b, sizeof(b));
            snprintf(note, sizeof(note), "extended resource: limit = request %s", b);
            rc = move(st, r, 1, &r->req.q, r->lim.has ? PT_REASON_CLAMPED : PT_REASON_FILLED,
                      "limit", note);
        } else {
            fmt_q(&r->lim.q, b, sizeof(b));
            snprintf(note, sizeof(note), "extended resource: request = limit %s", b);
            rc = move(st, r, 0, &r->lim.q, r->req.has ? PT_REASON_CLAMPED : PT_REASON_FILLED,
                      "request", note);
        }
        if (rc < 0)
            return rc;
    }
    return PT_OK;
}

/* Writes one changed slot into the pod and records it. */
static int write_slot(struct stage *st, struct res *r, int limit)
{
    struct slot *s = limit ? &r->lim : &r->req;
    char field[FIELD_MAX], to[PT_QUANTITY_BUFSZ];
    json_t *resources, *side;

    if (!s->has || (s->had && pt_quantity_cmp(&s->q, &s->orig) == 0))
        return PT_OK;
    if (fmt_q(&s->q, to, sizeof(to)) != 0)
        return PT_ERANGE;
    resources = pt_plan_object_at(st->container, "resources");
    side = resources ? pt_plan_object_at(resources, limit ? "limits" : "requests") : NULL;
    if (!side || json_object_set_new(side, r->name, json_string(to)) != 0)
        return PT_ENOMEM;
    field_name(field, sizeof(field), limit, r->name);
    return pt_plan_note(st->p, s->why, field, s->had ? s->text : NULL, to, s->note[0] ? "%s" : NULL,
                        s->note);
}

/* Rule 5, second half: the executor heap follows its memory (request, else limit). */
static int write_heap(struct stage *st)
{
    struct res *mem = res_find(st, "memory");
    const struct slot *base;
    int64_t bytes, heap;
    char to[32], oh[32];

    if (!st->resizable || !mem)
        return PT_OK;
    base = mem->req.has ? &mem->req : &mem->lim;
    if (pt_quantity_to_int(&base->q, &bytes) != 0)
        return PT_ERANGE;
    if (bytes == st->heap + st->overhead)
        return PT_OK;
    heap = bytes - st->overhead;
    heap -= heap % MIB; /* the form Spark writes, rounded towards safety */
    if (heap == st->heap)
        return PT_OK;
    if (heap < st->heap_min) /* move() prevents this; never write an unsafe heap */
        return pt_plan_note(st->p, PT_REASON_SKIPPED, "env.SPARK_EXECUTOR_MEMORY", st->heap_text,
                            NULL, "heap would drop below the minimum; left alone");
    if (pt_jvm_size_format(heap, to, sizeof(to)) != 0 ||
        pt_jvm_size_format(st->overhead, oh, sizeof(oh)) != 0)
        return PT_ERANGE;
    if (json_object_set_new(st->heap_entry, "value", json_string(to)) != 0)
        return PT_ENOMEM;
    return pt_plan_note(st->p, base->why, "env.SPARK_EXECUTOR_MEMORY", st->heap_text, to,
                        "heap follows memory %s, overhead %s kept",
                        base == &mem->req ? "request" : "limit", oh);
}

int pt_plan__resources(const struct pt_plan_input *in, struct pt_plan *p, struct pt_error *err)
{
    struct stage st;
    const json_t *block = json_object_get(in->block, "resources");
    json_t *resources;
    int rc = PT_OK;

    memset(&st, 0, sizeof(st));
    st.in = in;
    st.p = p;
    st.container = pt_plan_main_container(p, in);
    if (!st.container)
        return pt_error_set(err, PT_EINVAL, "pod has no main container at index %d", in->main);
    if (block && !json_is_object(block)) {
        rc = pt_plan_note(p, PT_REASON_SKIPPED, "resources", NULL, NULL,
                          "profile resources is not an object; ignored");
        goto fail;
    }
    /* shapes first: an odd pod is left alone as a whole */
    if (!shape_ok(&st, st.container, "resources", "resources", &rc))
        goto fail;
    resources = json_object_get(st.container, "resources");
    if (!shape_ok(&st, resources, "requests", "resources.requests", &rc) ||
        !shape_ok(&st, resources, "limits", "resources.limits", &rc))
        goto fail;
    st.pod_req = json_object_get(resources, "requests");
    st.pod_lim = json_object_get(resources, "limits");
    if ((rc = load_side(&st, st.pod_req, 0)) != 0 || (rc = load_side(&st, st.pod_lim, 1)) != 0)
        goto fail;
    jvm_setup(&st);

    if (json_is_object(block)) {
        static const char *const parts[] = {"requests", "limits", "min", "max",
                                            "maxLimitRequestRatio"};
        const json_t *part[5];
        for (size_t i = 0; i < 5; i++) {
            part[i] = json_object_get(block, parts[i]);
            if (part[i] && !json_is_object(part[i])) {
                char field[64];
                snprintf(field, sizeof(field), "resources.%s", parts[i]);
                if ((rc = pt_plan_note(p, PT_REASON_SKIPPED, field, NULL, NULL,
                                       "profile value is not an object; ignored")) != 0)
                    goto fail;
                part[i] = NULL;
            }
        }
        if ((part[0] && (rc = apply_values(&st, part[0], 0)) != 0) ||
            (part[1] && (rc = apply_values(&st, part[1], 1)) != 0) ||
            (part[2] && (rc = apply_bounds(&st, part[2], 1)) != 0) ||
            (part[3] && (rc = apply_bounds(&st, part[3], 0)) != 0) ||
            (part[4] && (rc = apply_ratio(&st, part[4])) != 0))
            goto fail;
    }
    if ((rc = apply_validity(&st)) != 0)
        goto fail;
    for (size_t i = 0; i < st.n; i++) {
        if (st.r[i].bad)
            continue;
        if ((rc = write_slot(&st, &st.r[i], 0)) != 0 || (rc = write_slot(&st, &st.r[i], 1)) != 0)
            goto fail;
    }
    rc = write_heap(&st);
fail:
    stage_cleanup(&st);
    if (rc == PT_ENOMEM)
        return oom(err);
    if (rc != 0)
        return pt_error_set(err, rc, "cannot write a resource quantity");
    return PT_OK;
}
