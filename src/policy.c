/* policy.c — the policy set: roles, name lookup, namespace globs, tie warnings, the digest and the
 * refcounted snapshot. */
#include "policy_internal.h"

#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "podtune/error.h"

static const char *const role_names[PT_ROLE_COUNT] = {"spark-driver", "spark-executor",
                                                      "flink-jobmanager", "flink-taskmanager"};

const char *pt_role_name(enum pt_role r)
{
    return (r >= 0 && r < PT_ROLE_COUNT) ? role_names[r] : "none";
}

enum pt_role pt_role_from_name(const char *n)
{
    for (int i = 0; n && i < PT_ROLE_COUNT; i++)
        if (strcmp(n, role_names[i]) == 0)
            return (enum pt_role)i;
    return PT_ROLE_NONE;
}

int pt_role_is_spark(enum pt_role r)
{
    return r == PT_ROLE_SPARK_DRIVER || r == PT_ROLE_SPARK_EXECUTOR;
}

const struct pt_profile *pt_policy_find(const struct pt_policy_set *s, const char *name)
{
    size_t lo = 0, hi = s && name ? s->n : 0;

    while (lo < hi) { /* profiles are sorted by name */
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(s->profiles[mid].name, name);
        if (c == 0)
            return &s->profiles[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* ---- globs -------------------------------------------------------------------- */

/* Matches ch against the class starting after '[' at p. Returns 1/0 and sets
 * *end after the closing ']'; -1 when the class is not closed. */
static int class_match(const char *p, unsigned char ch, const char **end)
{
    int neg = 0, hit = 0;

    if (*p == '!') {
        neg = 1;
        p++;
    }
    while (*p && *p != ']') {
        unsigned char lo = (unsigned char)*p, hi = lo;
        if (p[1] == '-' && p[2] && p[2] != ']') {
            hi = (unsigned char)p[2];
            p += 3;
        } else {
            p++;
        }
        if (ch >= lo && ch <= hi)
            hit = 1;
    }
    if (!*p)
        return -1;
    *end = p + 1;
    return hit != neg;
}

int pt_glob_match(const char *g, const char *s)
{
    const char *star_g = NULL, *star_s = NULL;

    if (!g || !s)
        return 0;
    while (*s) {
        const char *next = NULL;
        int m;
        if (*g == '*') {
            star_g = ++g;
            star_s = s;
            continue;
        }
        if (*g == '?') {
            m = 1;
            next = g + 1;
        } else if (*g == '[' && (m = class_match(g + 1, (unsigned char)*s, &next)) >= 0) {
            /* next set by class_match */
        } else {
            m = *g && *g == *s; /* includes an unclosed '[' as a literal */
            next = g + 1;
        }
        if (m) {
            g = next;
            s++;
        } else if (star_g) {
            g = star_g;
            s = ++star_s;
        } else {
            return 0;
        }
    }
    while (*g == '*')
        g++;
    return *g == '\0';
}

int pt_profile_admits_namespace(const struct pt_profile *p, const char *ns)
{
    if (!p || !ns)
        return 0;
    if (p->n_namespaces == 0)
        return 1;
    for (size_t i = 0; i < p->n_namespaces; i++)
        if (pt_glob_match(p->namespaces[i], ns))
            return 1;
    return 0;
}

static int ns_char(int ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-';
}

int pt_policy__glob_check(const char *g, char *why, size_t len)
{
#define FAIL(...)                                                                                  \
    do {                                                                                           \
        snprintf(why, len, __VA_ARGS__);                                                           \
        return PT_EINVAL;                                                                          \
    } while (0)
    if (!g[0])
        FAIL("must not be empty");
    if (strlen(g) > 253)
        FAIL("must be at most 253 characters");
    for (const char *p = g; *p; p++) {
        if (*p == '*' || *p == '?' || ns_char((unsigned char)*p))
            continue;
        if (*p == ']')
            FAIL("']' without '['");
        if (*p == '!')
            FAIL("'!' is only allowed right after '['");
        if (*p != '[')
            FAIL("character '%c' is not allowed (lowercase letters, digits, '-' and * ? [ ] !)",
                 *p);
        p++;
        if (*p == '!')
            p++;
        if (*p == ']')
            FAIL("empty character class '[]'");
        for (; *p && *p != ']'; p++) {
            if (!ns_char((unsigned char)*p))
                FAIL("character '%c' is not allowed inside [...]", *p);
            if (p[1] == '-' && p[2] && p[2] != ']') {
                if (!ns_char((unsigned char)p[2]))
                    FAIL("character '%c' is not allowed inside [...]", p[2]);
                if (p[2] < p[0])
                    FAIL("range '%c-%c' is reversed", p[0], p[2]);
                p += 2;
            }
        }
        if (!*p)
            FAIL("unclosed '['");
    }
    return 0;
#undef FAIL
}

/* A glob token: '*' or one character from a set (namespace alphabet only). */
struct gtok {
    int star;
    uint64_t set[2];
};

static void set_add(uint64_t set[2], unsigned char ch)
{
    if (ch < 128)
        set[ch >> 6] |= (uint64_t)1 << (ch & 63);
}

static size_t tokenize(const char *g, struct gtok *t)
{
    size_t n = 0;

    for (const char *p = g; *p; n++) {
        memset(&t[n], 0, sizeof(t[n]));
        if (*p == '*') {
            t[n].star = 1;
            p++;
        } else if (*p == '?' || *p == '[') {
            const char *end = p + 1;
            for (int ch = 0; ch < 128; ch++) {
                int m = *p == '?' ? 1 : class_match(p + 1, (unsigned char)ch, &end);
                if (m == 1 && ns_char(ch))
                    set_add(t[n].set, (unsigned char)ch);
            }
            if (*p == '[' && class_match(p + 1, 'a', &end) < 0)
                end = p + strlen(p); /* unreachable for checked globs */
            p = *p == '?' ? p + 1 : end;
        } else {
            set_add(t[n].set, (unsigned char)*p);
            p++;
        }
    }
    return n;
}

int pt_policy__globs_overlap(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), w;
    struct gtok *ta = calloc(la + 1, sizeof(*ta)), *tb = calloc(lb + 1, sizeof(*tb));
    unsigned char *ok = NULL;
    int r = 1; /* conservative when out of memory */

    if (!ta || !tb)
        goto done;
    la = tokenize(a, ta);
    lb = tokenize(b, tb);
    w = lb + 1;
    if (!(ok = calloc((la + 1) * w, 1)))
        goto done;
    /* ok[i][j]: some string matches both a[i..] and b[j..] */
    for (size_t i = la + 1; i-- > 0;) {
        for (size_t j = lb + 1; j-- > 0;) {
            unsigned char v = 0;
            if (i == la && j == lb)
                v = 1;
            else if (i < la && ta[i].star)
                v = ok[(i + 1) * w + j] ||
                    (j < lb && (tb[j].star || tb[j].set[0] || tb[j].set[1]) && ok[i * w + j + 1]);
            else if (j < lb && tb[j].star)
                v = ok[i * w + j + 1] ||
                    (i < la && (ta[i].set[0] || ta[i].set[1]) && ok[(i + 1) * w + j]);
            else if (i < la && j < lb)
                v = ((ta[i].set[0] & tb[j].set[0]) || (ta[i].set[1] & tb[j].set[1])) &&
                    ok[(i + 1) * w + j + 1];
            ok[i * w + j] = v;
        }
    }
    r = ok[0];
done:
    free(ok);
    free(ta);
    free(tb);
    return r;
}

/* ---- diagnostics ----------------------------------------------------------------- */

#define MAX_DIAGS_PER_SEVERITY 100

int pt_policy__diag(struct pt_diags *d, enum pt_severity sev, const char *file, int line,
                    int column, const char *fmt, ...)
{
    size_t have = sev == PT_SEV_ERROR ? d->errors : d->warnings;
    char text[1024];
    va_list ap;
    int rc;

    if (have > MAX_DIAGS_PER_SEVERITY)
        return 0;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    rc = pt_diags_add(d, sev, file, line, column, "%s", text);
    if (rc == 0 && have + 1 == MAX_DIAGS_PER_SEVERITY)
        rc = pt_diags_add(d, sev, file, line, column, "too many %s; the rest are not shown",
                          sev == PT_SEV_ERROR ? "errors" : "warnings");
    return rc;
}

/* ---- the set ------------------------------------------------------------------- */

static void set_free(struct pt_policy_set *set)
{
    for (size_t i = 0; i < set->n; i++)
        pt_policy__profile_cleanup(&set->profiles[i]);
    free(set->profiles);
    free(set->source);
    free(set);
}

struct pt_policy_set *pt_policy_set_ref(struct pt_policy_set *set)
{
    if (set)
        atomic_fetch_add_explicit(&set->refs, 1, memory_order_relaxed);
    return set;
}

void pt_policy_set_unref(struct pt_policy_set *set)
{
    if (set && atomic_fetch_sub_explicit(&set->refs, 1, memory_order_acq_rel) == 1)
        set_free(set);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct pt_profile *)a)->name, ((const struct pt_profile *)b)->name);
}

/* 1 if both label selectors can hold at once (no key with different values). */
static int labels_compatible(const json_t *a, const json_t *b)
{
    const char *key;
    json_t *v;

    json_object_foreach((json_t *)a, key, v)
    {
        json_t *w = json_object_get(b, key);
        if (w && !json_equal(v, w))
            return 0;
    }
    return 1;
}

/* Work allowed for the tie check, in glob-table cells and pairs, so that a
 * huge adversarial set cannot stall a reload. */
#define TIE_BUDGET       50000000
#define MAX_TIE_WARNINGS 50 /* then one summary line */

static int namespaces_overlap(const struct pt_profile *a, const struct pt_profile *b,
                              long long *budget)
{
    if (a->n_namespaces == 0 || b->n_namespaces == 0)
        return 1;
    for (size_t i = 0; i < a->n_namespaces; i++) {
        for (size_t j = 0; j < b->n_namespaces; j++) {
            *budget -= (long long)(strlen(a->namespaces[i]) + 1) *
                       (long long)(strlen(b->namespaces[j]) + 1);
            if (pt_policy__globs_overlap(a->namespaces[i], b->namespaces[j]))
                return 1;
        }
    }
    return 0;
}

/* Warns about pairs of profiles that can both be the best candidate for a pod. */
static int warn_ties(const struct pt_policy_set *set, struct pt_diags *d)
{
    long long budget = TIE_BUDGET;
    size_t ties = 0;
    int rc = 0;

    for (size_t i = 0; i < set->n; i++) {
        const struct pt_profile *a = &set->profiles[i];
        for (size_t j = i + 1; a->has_match && j < set->n; j++) {
            const struct pt_profile *b = &set->profiles[j];
            char roles[128] = "";
            size_t used = 0;

            if (--budget < 0) {
                rc = pt_diags_add(
                    d, PT_SEV_WARNING, set->source, 0, 0,
                    "too many profiles to check them all for ties; check stopped at '%s'", a->name);
                goto done;
            }
            if (!b->has_match || a->priority != b->priority ||
                !labels_compatible(a->match_labels, b->match_labels) ||
                !namespaces_overlap(a, b, &budget))
                continue;
            for (int r = 0; r < PT_ROLE_COUNT; r++) {
                unsigned bit = 1u << r;
                if ((a->match_roles & bit) && (b->match_roles & bit) && a->roles[r] &&
                    b->roles[r]) {
                    int w = snprintf(roles + used, sizeof(roles) - used, "%s%s", used ? ", " : "",
                                     pt_role_name((enum pt_role)r));
                    if (w > 0 && (size_t)w < sizeof(roles) - used)
                        used += (size_t)w;
                }
            }
            if (!used)
                continue;
            if (++ties > MAX_TIE_WARNINGS)
                continue;
            if (pt_policy__diag(d, PT_SEV_WARNING, b->file, b->name_line, b->name_column,
                                "profiles '%s' and '%s' can both match %s pods with priority %lld; "
                                "'%s' wins by name",
                                a->name, b->name, roles, (long long)a->priority, a->name) != 0)
                return PT_ENOMEM;
        }
    }
done:
    if (rc == 0 && ties > MAX_TIE_WARNINGS)
        rc = pt_diags_add(d, PT_SEV_WARNING, set->source, 0, 0,
                          "%zu more pairs of profiles can tie", ties - MAX_TIE_WARNINGS);
    return rc;
}

/* The canonical JSON of one profile's meaning, as a new reference, or NULL
 * when out of memory (nothing is left behind). */
static json_t *profile_json(const struct pt_profile *p)
{
    json_t *ns = json_array(), *roles = json_object(), *match = json_null();

    if (!ns || !roles)
        goto fail;
    for (size_t k = 0; k < p->n_namespaces; k++)
        if (json_array_append_new(ns, json_string(p->namespaces[k])) != 0)
            goto fail;
    for (int r = 0; r < PT_ROLE_COUNT; r++)
        if (p->roles[r] && json_object_set(roles, pt_role_name((enum pt_role)r), p->roles[r]) != 0)
            goto fail;
    if (p->has_match) {
        json_t *wl = json_array();
        for (int r = 0; wl && r < PT_ROLE_COUNT; r++) {
            if ((p->match_roles & (1u << r)) &&
                json_array_append_new(wl, json_string(pt_role_name((enum pt_role)r))) != 0) {
                json_decref(wl);
                wl = NULL;
            }
        }
        /* "o" takes wl, also when packing fails */
        if (!(match = json_pack("{s:o, s:O}", "workloads", wl, "labels", p->match_labels)))
            goto fail;
    }
    /* takes ns, match and roles, also when packing fails */
    return json_pack("{s:s, s:I, s:b, s:o, s:o, s:o}", "name", p->name, "priority",
                     (json_int_t)p->priority, "enforce", p->enforce, "namespaces", ns, "match",
                     match, "roles", roles);
fail:
    json_decref(ns);
    json_decref(roles);
    json_decref(match);
    return NULL;
}

/* The canonical JSON of the set's meaning, hashed for the digest. */
static int compute_digest(struct pt_policy_set *set)
{
    const size_t flags = JSON_COMPACT | JSON_SORT_KEYS;
    json_t *all = json_array();
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    char *text = NULL;
    size_t len;
    int rc = PT_ENOMEM;

    if (!all)
        return PT_ENOMEM;
    for (size_t i = 0; i < set->n; i++)
        if (json_array_append_new(all, profile_json(&set->profiles[i])) != 0)
            goto fail;
    /* into our own buffer: json_dumps' text would come from jansson's allocator */
    if (!(len = json_dumpb(all, NULL, 0, flags)) || !(text = malloc(len)) ||
        json_dumpb(all, text, len, flags) != len)
        goto fail;
    if (!EVP_Digest(text, len, md, &mdlen, EVP_sha256(), NULL) || mdlen < 6) {
        rc = PT_EIO;
        goto fail;
    }
    memcpy(set->digest, "sha256:", 7);
    for (int i = 0; i < 6; i++)
        snprintf(set->digest + 7 + 2 * i, 3, "%02x", md[i]);
    rc = 0;
fail:
    free(text);
    json_decref(all);
    return rc;
}

/* Names are unique: each later definition (file order, then document order)
 * is an error naming the first. O(n log n). Returns 0 or PT_ENOMEM. */
struct name_ref {
    const struct pt_profile *p;
    size_t order;
};

static int by_name_then_order(const void *a, const void *b)
{
    const struct name_ref *x = a, *y = b;
    int c = strcmp(x->p->name, y->p->name);
    if (c)
        return c;
    return x->order < y->order ? -1 : x->order > y->order;
}

static int check_unique_names(const struct pt_profile *profiles, size_t n, struct pt_diags *d)
{
    struct name_ref *refs;
    size_t first = 0;

    if (n < 2)
        return 0;
    if (!(refs = calloc(n, sizeof(*refs))))
        return PT_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        refs[i].p = &profiles[i];
        refs[i].order = i;
    }
    qsort(refs, n, sizeof(*refs), by_name_then_order);
    for (size_t i = 1; i < n; i++) {
        const struct pt_profile *a = refs[first].p, *b = refs[i].p;
        if (strcmp(a->name, b->name) != 0) {
            first = i;
            continue;
        }
        if (pt_policy__diag(d, PT_SEV_ERROR, b->file, b->name_line, b->name_column,
                            "metadata.name: profile '%s' is already defined at %s:%d:%d", b->name,
                            a->file, a->name_line, a->name_column) != 0) {
            free(refs);
            return PT_ENOMEM;
        }
    }
    free(refs);
    return 0;
}

struct pt_policy_set *pt_policy__build(struct pt_profile *profiles, size_t n, const char *source,
                                       struct pt_diags *d, size_t errors_before)
{
    struct pt_policy_set *set = NULL;

    if (check_unique_names(profiles, n, d) != 0)
        goto nomem;
    if (d->errors != errors_before)
        goto fail;
    if (!(set = calloc(1, sizeof(*set))) || !(set->source = strdup(source ? source : "")))
        goto nomem;
    atomic_init(&set->refs, 1);
    set->profiles = profiles;
    set->n = n;
    profiles = NULL;
    if (set->n)
        qsort(set->profiles, set->n, sizeof(*set->profiles), by_name);
    if (warn_ties(set, d) != 0 || compute_digest(set) != 0)
        goto nomem;
    return set;
nomem:
    pt_diags_add(d, PT_SEV_ERROR, source ? source : "", 0, 0,
                 "out of memory while building the policy set");
fail:
    for (size_t i = 0; profiles && i < n; i++)
        pt_policy__profile_cleanup(&profiles[i]);
    free(profiles);
    if (set) {
        if (!set->profiles)
            set->n = 0;
        set_free(set);
    }
    return NULL;
}
