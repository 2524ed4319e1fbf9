/* policy_validate.c — checks one Profile document against the schema (contract §3) and builds its
 * effective role blocks. */
#include "policy_internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "podtune/error.h"
#include "podtune/quantity.h"

#define PATH_MAX_LEN  512
#define MAX_RESOURCES 256 /* per section; keeps the contradiction checks linear enough */

/* ---- Kubernetes name syntax ------------------------------------------------ */

static int is_lower_alnum(int ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}

static int is_alnum(int ch)
{
    return is_lower_alnum(ch) || (ch >= 'A' && ch <= 'Z');
}

static int say(char *why, size_t len, const char *text)
{
    if (why && len)
        snprintf(why, len, "%s", text);
    return 0;
}

/* Checks n bytes of s as a DNS-1123 label. */
static int dns_label_n(const char *s, size_t n, char *why, size_t len)
{
    if (n == 0)
        return say(why, len, "must not be empty");
    if (n > 63)
        return say(why, len, "must be at most 63 characters");
    for (size_t i = 0; i < n; i++)
        if (!is_lower_alnum((unsigned char)s[i]) && s[i] != '-')
            return say(why, len, "must consist of lowercase letters, digits and '-'");
    if (s[0] == '-' || s[n - 1] == '-')
        return say(why, len, "must start and end with a lowercase letter or digit");
    return 1;
}

int pt_policy__is_dns1123_label(const char *s, char *why, size_t len)
{
    return dns_label_n(s, strlen(s), why, len);
}

int pt_policy__is_dns1123_subdomain(const char *s, char *why, size_t len)
{
    size_t n = strlen(s);

    if (n == 0)
        return say(why, len, "must not be empty");
    if (n > 253)
        return say(why, len, "must be at most 253 characters");
    for (const char *p = s;;) {
        const char *dot = strchr(p, '.');
        size_t part = dot ? (size_t)(dot - p) : strlen(p);
        if (!dns_label_n(p, part, NULL, 0) || part > 63)
            return say(why, len,
                       "must be lowercase letters, digits, '-' and '.', each dot-separated part "
                       "starting and ending with a letter or digit");
        if (!dot)
            break;
        p = dot + 1;
    }
    return 1;
}

/* The name part of a qualified name / a label value (when may_be_empty). */
static int name_part(const char *s, size_t n, int may_be_empty, char *why, size_t len)
{
    if (n == 0)
        return may_be_empty ? 1 : say(why, len, "name part must not be empty");
    if (n > 63)
        return say(why, len, "must be at most 63 characters");
    if (!is_alnum((unsigned char)s[0]) || !is_alnum((unsigned char)s[n - 1]))
        return say(why, len, "must start and end with a letter or digit");
    for (size_t i = 0; i < n; i++)
        if (!is_alnum((unsigned char)s[i]) && !strchr("-_.", s[i]))
            return say(why, len, "must consist of letters, digits, '-', '_' and '.'");
    return 1;
}

int pt_policy__is_qualified_name(const char *s, char *why, size_t len)
{
    const char *slash = strchr(s, '/');

    if (slash) {
        char prefix[256];
        size_t pn = (size_t)(slash - s);
        if (strchr(slash + 1, '/'))
            return say(why, len, "must contain at most one '/'");
        if (pn == 0 || pn >= sizeof(prefix))
            return say(why, len, "prefix must be a DNS subdomain of at most 253 characters");
        memcpy(prefix, s, pn);
        prefix[pn] = '\0';
        if (!pt_policy__is_dns1123_subdomain(prefix, NULL, 0))
            return say(why, len, "prefix must be a DNS-1123 subdomain (lowercase)");
        s = slash + 1;
    }
    return name_part(s, strlen(s), 0, why, len);
}

int pt_policy__is_label_value(const char *s, char *why, size_t len)
{
    return name_part(s, strlen(s), 1, why, len);
}

/* ---- validation context ------------------------------------------------------ */

struct vctx {
    struct pt_diags *d;
    const char *file;
    int nomem;
    size_t dedup_from; /* diagnostics from here on are not repeated (effective checks) */
    int dedup;
};

static void vreport(struct vctx *c, enum pt_severity sev, const struct pt_ynode *at,
                    const char *fmt, va_list ap)
{
    char text[1024];

    vsnprintf(text, sizeof(text), fmt, ap);
    if (c->dedup) {
        for (size_t i = c->dedup_from; i < c->d->n; i++) {
            const struct pt_diag *it = &c->d->items[i];
            if (it->severity == sev && it->line == at->line && it->column == at->col &&
                strcmp(it->text, text) == 0)
                return;
        }
    }
    if (pt_policy__diag(c->d, sev, c->file, at->line, at->col, "%s", text) != 0)
        c->nomem = 1;
}

static void __attribute__((format(printf, 3, 4)))
verr(struct vctx *c, const struct pt_ynode *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(c, PT_SEV_ERROR, at, fmt, ap);
    va_end(ap);
}

static void __attribute__((format(printf, 3, 4)))
vwarn(struct vctx *c, const struct pt_ynode *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(c, PT_SEV_WARNING, at, fmt, ap);
    va_end(ap);
}

/* out = base + "." + key (or "[i]" when key is NULL). Truncates quietly. */
static void path_join(char *out, size_t len, const char *base, const char *key, size_t index)
{
    int w;
    if (key)
        w = snprintf(out, len, "%s%s%s", base, base[0] ? "." : "", key);
    else
        w = snprintf(out, len, "%s[%zu]", base, index);
    if (w < 0)
        out[0] = '\0';
}

static int is_null(const struct pt_ynode *n)
{
    return n->kind == PT_YNODE_SCALAR && n->plain &&
           (!n->text[0] || !strcmp(n->text, "~") || !strcmp(n->text, "null") ||
            !strcmp(n->text, "Null") || !strcmp(n->text, "NULL"));
}

/* "a mapping", "a sequence", "null" or the scalar quoted (shortened). */
static const char *describe(const struct pt_ynode *n, char *buf, size_t len)
{
    if (n->kind == PT_YNODE_MAP)
        return "a mapping";
    if (n->kind == PT_YNODE_SEQ)
        return "a sequence";
    if (is_null(n))
        return "null";
    if (strlen(n->text) > 40) {
        int cut = 37;
        while (cut > 0 && ((unsigned char)n->text[cut] & 0xc0) == 0x80) /* keep UTF-8 whole */
            cut--;
        snprintf(buf, len, "\"%.*s...\"", cut, n->text);
    } else
        snprintf(buf, len, "\"%s\"", n->text);
    return buf;
}

static int want_map(struct vctx *c, const struct pt_ynode *n, const char *path)
{
    char b[64];
    if (n->kind == PT_YNODE_MAP)
        return 1;
    verr(c, n, "%s: expected a mapping, got %s", path, describe(n, b, sizeof(b)));
    return 0;
}

static int want_seq(struct vctx *c, const struct pt_ynode *n, const char *path)
{
    char b[64];
    if (n->kind == PT_YNODE_SEQ)
        return 1;
    verr(c, n, "%s: expected a sequence, got %s", path, describe(n, b, sizeof(b)));
    return 0;
}

/* The text of a non-null scalar (quoted or not: numbers and booleans written
 * plainly are taken as the text they are written as), or NULL after an error. */
static const char *want_string(struct vctx *c, const struct pt_ynode *n, const char *path)
{
    char b[64];
    if (n->kind == PT_YNODE_SCALAR && !is_null(n))
        return n->text;
    if (n->kind == PT_YNODE_SCALAR)
        verr(c, n, "%s: expected a string, got null (write \"\" for an empty string)", path);
    else
        verr(c, n, "%s: expected a string, got %s", path, describe(n, b, sizeof(b)));
    return NULL;
}

/* Parses a decimal integer (optional sign, digits only). 0 or PT_EINVAL / PT_ERANGE. */
static int parse_int(const char *s, int64_t *out)
{
    const char *p = s;
    char *end;
    long long v;

    if (*p == '-' || *p == '+')
        p++;
    if (!isdigit((unsigned char)*p))
        return PT_EINVAL;
    for (const char *q = p; *q; q++)
        if (!isdigit((unsigned char)*q))
            return PT_EINVAL;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno == ERANGE)
        return PT_ERANGE;
    *out = v;
    return 0;
}

/* An unquoted integer within [lo, hi]; 1 if *out was set. */
static int want_int(struct vctx *c, const struct pt_ynode *n, const char *path, int64_t lo,
                    int64_t hi, int64_t *out)
{
    char b[64];
    int rc;

    if (n->kind != PT_YNODE_SCALAR || !n->plain || is_null(n)) {
        verr(c, n, "%s: expected an integer, got %s", path, describe(n, b, sizeof(b)));
        return 0;
    }
    rc = parse_int(n->text, out);
    if (rc == PT_EINVAL) {
        verr(c, n, "%s: expected an integer, got %s", path, describe(n, b, sizeof(b)));
        return 0;
    }
    if (rc == PT_ERANGE || *out < lo || *out > hi) {
        verr(c, n, "%s: %s is out of range (%lld..%lld)", path, n->text, (long long)lo,
             (long long)hi);
        return 0;
    }
    return 1;
}

/* An unquoted true / false; 1 if *out was set. */
static int want_bool(struct vctx *c, const struct pt_ynode *n, const char *path, int *out)
{
    char b[64];
    if (n->kind == PT_YNODE_SCALAR && n->plain) {
        if (!strcmp(n->text, "true") || !strcmp(n->text, "True") || !strcmp(n->text, "TRUE")) {
            *out = 1;
            return 1;
        }
        if (!strcmp(n->text, "false") || !strcmp(n->text, "False") || !strcmp(n->text, "FALSE")) {
            *out = 0;
            return 1;
        }
    }
    verr(c, n, "%s: expected true or false, got %s", path, describe(n, b, sizeof(b)));
    return 0;
}

static const struct pt_ynode *map_get(const struct pt_ynode *map, const char *key)
{
    if (!map || map->kind != PT_YNODE_MAP)
        return NULL;
    for (size_t i = 0; i < map->n; i++)
        if (strcmp(map->items[2 * i]->text, key) == 0)
            return map->items[2 * i + 1];
    return NULL;
}

static const struct pt_ynode *map_key(const struct pt_ynode *map, const char *key)
{
    if (!map || map->kind != PT_YNODE_MAP)
        return NULL;
    for (size_t i = 0; i < map->n; i++)
        if (strcmp(map->items[2 * i]->text, key) == 0)
            return map->items[2 * i];
    return NULL;
}

/* Reports every key of map not in allowed (NULL-terminated), at the key. */
static void check_keys(struct vctx *c, const struct pt_ynode *map, const char *where,
                       const char *const *allowed)
{
    for (size_t i = 0; i < map->n; i++) {
        const struct pt_ynode *k = map->items[2 * i];
        char list[512];
        size_t used = 0;
        int known = 0;

        for (const char *const *a = allowed; *a; a++)
            known |= strcmp(*a, k->text) == 0;
        if (known)
            continue;
        list[0] = '\0';
        for (const char *const *a = allowed; *a; a++) {
            int w =
                snprintf(list + used, sizeof(list) - used, "%s%s", a == allowed ? "" : ", ", *a);
            if (w < 0 || (size_t)w >= sizeof(list) - used)
                break;
            used += (size_t)w;
        }
        verr(c, k, "unknown key '%s' in %s; expected one of: %s", k->text, where, list);
    }
}

static void require_key(struct vctx *c, const struct pt_ynode *map, const char *key,
                        const char *where)
{
    if (!map_get(map, key))
        verr(c, map, "missing required key '%s' in %s", key, where);
}

static void set_new(struct vctx *c, json_t *obj, const char *key, json_t *v)
{
    if (!v || json_object_set_new(obj, key, v) != 0)
        c->nomem = 1;
}

static void append_new(struct vctx *c, json_t *arr, json_t *v)
{
    if (!v || json_array_append_new(arr, v) != 0)
        c->nomem = 1;
}

static json_t *new_object(struct vctx *c)
{
    json_t *o = json_object();
    if (!o)
        c->nomem = 1;
    return o;
}

static json_t *new_array(struct vctx *c)
{
    json_t *a = json_array();
    if (!a)
        c->nomem = 1;
    return a;
}

/* Stores the valid part v (a new reference, or NULL after its errors were
 * reported) as obj[key]. */
static void put_valid(struct vctx *c, json_t *obj, const char *key, json_t *v)
{
    if (v)
        set_new(c, obj, key, v);
}

/* ---- string maps ----------------------------------------------------------- */

enum key_rule { KEY_LABEL, KEY_ANNOTATION, KEY_META_ANNOTATION, KEY_ENV, KEY_CONF };
enum value_rule { VALUE_LABEL, VALUE_ANY };

/* Validates one key of a string map; reports at the key node. */
static int check_map_key(struct vctx *c, const struct pt_ynode *k, const char *path,
                         enum key_rule rule, int spark)
{
    char why[160];
    const char *s = k->text;

    switch (rule) {
    case KEY_LABEL:
    case KEY_ANNOTATION:
    case KEY_META_ANNOTATION:
        if (!pt_policy__is_qualified_name(s, why, sizeof(why))) {
            verr(c, k, "%s: invalid %s key '%s': %s", path,
                 rule == KEY_LABEL ? "label" : "annotation", s, why);
            return 0;
        }
        if (rule == KEY_ANNOTATION && strncmp(s, "podtune.io/", 11) == 0) {
            verr(c, k, "%s: annotation '%s' is reserved for podtune", path, s);
            return 0;
        }
        return 1;
    case KEY_ENV:
        if (!s[0] || isdigit((unsigned char)s[0])) {
            verr(c, k, "%s: invalid variable name '%s': must match [-._a-zA-Z][-._a-zA-Z0-9]*",
                 path, s);
            return 0;
        }
        for (const char *p = s; *p; p++) {
            if (!is_alnum((unsigned char)*p) && !strchr("-._", *p)) {
                verr(c, k, "%s: invalid variable name '%s': must match [-._a-zA-Z][-._a-zA-Z0-9]*",
                     path, s);
                return 0;
            }
        }
        if (!strcmp(s, "SPARK_EXECUTOR_MEMORY")) {
            verr(
                c, k,
                "%s: SPARK_EXECUTOR_MEMORY is managed by podtune (it follows the memory resources)",
                path);
            return 0;
        }
        if (!strncmp(s, "SPARK_JAVA_OPT_", 15) || !strcmp(s, "FLINK_ENV_JAVA_OPTS")) {
            verr(c, k, "%s: %s is reserved; use javaOptions", path, s);
            return 0;
        }
        if (!strcmp(s, "FLINK_TM_JVM_MEM_OPTS")) {
            verr(c, k,
                 "%s: FLINK_TM_JVM_MEM_OPTS is reserved: Flink sizes the JVM from the pod's memory",
                 path);
            return 0;
        }
        return 1;
    case KEY_CONF:
        if (!s[0] || strpbrk(s, " \t\r\n\v\f=")) {
            verr(c, k, "%s: invalid key '%s': must be non-empty, without whitespace or '='", path,
                 s);
            return 0;
        }
        for (const char *p = s; *p; p++) {
            if ((unsigned char)*p < 0x20 || *p == 0x7f) {
                verr(c, k, "%s: invalid key '%s': must not contain control characters", path, s);
                return 0;
            }
        }
        if (spark && strncmp(s, "spark.", 6) != 0)
            vwarn(c, k, "%s: '%s' does not start with 'spark.'; spark-submit ignores such keys",
                  path, s);
        return 1;
    }
    return 0;
}

/* A mapping of key → scalar, stored as strings. */
static json_t *string_map(struct vctx *c, const struct pt_ynode *n, const char *path,
                          enum key_rule kr, enum value_rule vr, int spark)
{
    json_t *out;

    if (!want_map(c, n, path))
        return NULL;
    if (!(out = new_object(c)))
        return NULL;
    for (size_t i = 0; i < n->n; i++) {
        const struct pt_ynode *k = n->items[2 * i], *v = n->items[2 * i + 1];
        char vpath[PATH_MAX_LEN], why[160];
        const char *s;
        int ok = check_map_key(c, k, path, kr, spark);

        path_join(vpath, sizeof(vpath), path, k->text, 0);
        if (!(s = want_string(c, v, vpath)) || !ok)
            continue;
        if (vr == VALUE_LABEL && !pt_policy__is_label_value(s, why, sizeof(why))) {
            verr(c, v, "%s: invalid label value \"%s\": %s", vpath, s, why);
            continue;
        }
        if (kr == KEY_CONF && strpbrk(s, "\r\n")) {
            verr(c, v, "%s: value must be a single line", vpath);
            continue;
        }
        set_new(c, out, k->text, json_string(s));
    }
    return out;
}

/* ---- resources ----------------------------------------------------------------- */

enum res_class { RES_INVALID, RES_STANDARD, RES_HUGEPAGES, RES_EXTENDED };

static enum res_class resource_class(const char *name, char *why, size_t len)
{
    if (!strcmp(name, "cpu") || !strcmp(name, "memory") || !strcmp(name, "ephemeral-storage"))
        return RES_STANDARD;
    if (!strncmp(name, "hugepages-", 10)) {
        struct pt_quantity q;
        if (pt_quantity_parse(name + 10, &q, NULL) != 0 || q.nano <= 0) {
            say(why, len, "the page size after 'hugepages-' must be a quantity such as 2Mi");
            return RES_INVALID;
        }
        return RES_HUGEPAGES;
    }
    if (!strchr(name, '/')) {
        say(why, len,
            "expected cpu, memory, ephemeral-storage, hugepages-<size> or an extended resource "
            "with a domain prefix such as nvidia.com/gpu");
        return RES_INVALID;
    }
    if (!pt_policy__is_qualified_name(name, why, len))
        return RES_INVALID;
    if (!strncmp(name, "kubernetes.io/", 14) || strstr(name, ".kubernetes.io/") ||
        !strncmp(name, "requests.", 9)) {
        say(why, len, "the kubernetes.io domain and the 'requests.' prefix are reserved");
        return RES_INVALID;
    }
    return RES_EXTENDED;
}

static const char *const res_kinds[] = {"requests", "limits", "min", "max", "maxLimitRequestRatio",
                                        NULL};

static json_t *resources(struct vctx *c, const struct pt_ynode *n, const char *path)
{
    json_t *out;

    if (!want_map(c, n, path))
        return NULL;
    check_keys(c, n, path, res_kinds);
    if (!(out = new_object(c)))
        return NULL;
    for (int k = 0; res_kinds[k]; k++) {
        const struct pt_ynode *m = map_get(n, res_kinds[k]);
        int ratio = k == 4;
        char kpath[PATH_MAX_LEN];
        json_t *qs;

        if (!m)
            continue;
        path_join(kpath, sizeof(kpath), path, res_kinds[k], 0);
        if (!want_map(c, m, kpath) || !(qs = new_object(c)))
            continue;
        if (m->n > MAX_RESOURCES) {
            verr(c, m, "%s: too many resources (%zu; at most %d)", kpath, m->n, MAX_RESOURCES);
            json_decref(qs);
            continue;
        }
        for (size_t i = 0; i < m->n; i++) {
            const struct pt_ynode *rk = m->items[2 * i], *rv = m->items[2 * i + 1];
            char rpath[PATH_MAX_LEN], why[256], canon[PT_QUANTITY_BUFSZ];
            struct pt_error err;
            struct pt_quantity q;
            enum res_class rc = resource_class(rk->text, why, sizeof(why));
            const char *s;

            path_join(rpath, sizeof(rpath), kpath, rk->text, 0);
            if (rc == RES_INVALID) {
                verr(c, rk, "%s: invalid resource name '%s': %s", kpath, rk->text, why);
                continue;
            }
            if (!(s = want_string(c, rv, rpath)))
                continue;
            pt_error_clear(&err);
            if (pt_quantity_parse(s, &q, &err) != 0) {
                if (err.text[0])
                    verr(c, rv, "%s: %s", rpath, err.text);
                else
                    verr(c, rv, "%s: invalid quantity \"%s\"", rpath, s);
                continue;
            }
            if (q.nano < 0) {
                verr(c, rv, "%s: must not be negative (%s)", rpath, s);
                continue;
            }
            if (ratio && rc != RES_STANDARD) {
                verr(c, rk,
                     "%s: a ratio applies only to cpu, memory and ephemeral-storage ('%s' keeps "
                     "requests equal to limits)",
                     kpath, rk->text);
                continue;
            }
            if (ratio && q.nano < 1000000000) {
                verr(c, rv, "%s: must be at least 1 (%s)", rpath, s);
                continue;
            }
            if (rc == RES_EXTENDED && q.nano % 1000000000 != 0) {
                verr(c, rv, "%s: extended resources must be whole numbers (%s)", rpath, s);
                continue;
            }
            if (pt_quantity_format(&q, canon, sizeof(canon)) != 0) {
                verr(c, rv, "%s: quantity \"%s\" is out of range", rpath, s);
                continue;
            }
            set_new(c, qs, rk->text, json_string(canon));
        }
        set_new(c, out, res_kinds[k], qs);
    }
    return out;
}

/* ---- scheduling -------------------------------------------------------------- */

static const char *const nsr_keys[] = {"key", "operator", "values", NULL};

/* One NodeSelectorRequirement {key, operator, values}. */
static json_t *node_requirement(struct vctx *c, const struct pt_ynode *n, const char *path)
{
    static const char *const ops[] = {"In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"};
    const struct pt_ynode *key, *op, *values;
    const char *k = NULL, *o = NULL;
    char sub[PATH_MAX_LEN], why[160];
    json_t *out, *vals = NULL;
    int opi = -1, ok = 1;

    if (!want_map(c, n, path))
        return NULL;
    check_keys(c, n, path, nsr_keys);
    require_key(c, n, "key", path);
    require_key(c, n, "operator", path);
    if ((key = map_get(n, "key"))) {
        path_join(sub, sizeof(sub), path, "key", 0);
        if ((k = want_string(c, key, sub)) && !pt_policy__is_qualified_name(k, why, sizeof(why))) {
            verr(c, key, "%s: invalid label key '%s': %s", sub, k, why);
            k = NULL;
        }
    }
    if ((op = map_get(n, "operator"))) {
        path_join(sub, sizeof(sub), path, "operator", 0);
        if ((o = want_string(c, op, sub))) {
            for (int i = 0; i < 6; i++)
                if (!strcmp(o, ops[i]))
                    opi = i;
            if (opi < 0)
                verr(c, op,
                     "%s: invalid operator \"%s\"; expected In, NotIn, Exists, DoesNotExist, Gt or "
                     "Lt",
                     sub, o);
        }
    }
    if ((values = map_get(n, "values"))) {
        path_join(sub, sizeof(sub), path, "values", 0);
        if (want_seq(c, values, sub)) {
            vals = new_array(c);
            for (size_t i = 0; vals && i < values->n; i++) {
                char ipath[PATH_MAX_LEN];
                const char *s;
                path_join(ipath, sizeof(ipath), sub, NULL, i);
                if ((s = want_string(c, values->items[i], ipath)))
                    append_new(c, vals, json_string(s));
                else
                    ok = 0;
            }
        } else {
            ok = 0;
        }
    }
    if (opi < 0 || !k || !ok) {
        json_decref(vals);
        return NULL;
    }
    {
        size_t nv = vals ? json_array_size(vals) : 0;
        if (opi <= 1 && nv == 0) {
            verr(c, values ? values : n, "%s: operator %s requires at least one value", path, o);
            ok = 0;
        } else if ((opi == 2 || opi == 3) && nv > 0) {
            verr(c, values, "%s: operator %s must not have values", path, o);
            ok = 0;
        } else if (opi >= 4 && nv != 1) {
            verr(c, values ? values : n, "%s: operator %s requires exactly one value", path, o);
            ok = 0;
        } else if (opi >= 4) {
            int64_t iv;
            if (parse_int(json_string_value(json_array_get(vals, 0)), &iv) != 0) {
                verr(c, values->items[0], "%s.values[0]: operator %s compares integers, got \"%s\"",
                     path, o, json_string_value(json_array_get(vals, 0)));
                ok = 0;
            }
        }
    }
    if (!ok || !(out = new_object(c))) {
        json_decref(vals);
        return NULL;
    }
    set_new(c, out, "key", json_string(k));
    set_new(c, out, "operator", json_string(o));
    if (vals && json_array_size(vals) > 0)
        set_new(c, out, "values", vals);
    else
        json_decref(vals);
    return out;
}

/* A sequence of requirements; empty allowed (it cancels `all` in a role). */
static json_t *requirement_list(struct vctx *c, const struct pt_ynode *n, const char *path,
                                int non_empty)
{
    json_t *out;

    if (!want_seq(c, n, path))
        return NULL;
    if (non_empty && n->n == 0) {
        verr(c, n, "%s: must not be empty", path);
        return NULL;
    }
    if (!(out = new_array(c)))
        return NULL;
    for (size_t i = 0; i < n->n; i++) {
        char ipath[PATH_MAX_LEN];
        json_t *r;
        path_join(ipath, sizeof(ipath), path, NULL, i);
        if ((r = node_requirement(c, n->items[i], ipath)))
            append_new(c, out, r);
    }
    return out;
}

static json_t *node_affinity(struct vctx *c, const struct pt_ynode *n, const char *path)
{
    static const char *const keys[] = {"required", "preferred", NULL};
    static const char *const pref_keys[] = {"weight", "matchExpressions", NULL};
    const struct pt_ynode *req, *pref;
    char sub[PATH_MAX_LEN];
    json_t *out;

    if (!want_map(c, n, path))
        return NULL;
    check_keys(c, n, path, keys);
    if (!(out = new_object(c)))
        return NULL;
    if ((req = map_get(n, "required"))) {
        json_t *r;
        path_join(sub, sizeof(sub), path, "required", 0);
        if ((r = requirement_list(c, req, sub, 0)))
            set_new(c, out, "required", r);
    }
    if ((pref = map_get(n, "preferred"))) {
        json_t *arr;
        path_join(sub, sizeof(sub), path, "preferred", 0);
        if (want_seq(c, pref, sub) && (arr = json_array())) {
            for (size_t i = 0; i < pref->n; i++) {
                const struct pt_ynode *t = pref->items[i], *w, *me;
                char ipath[PATH_MAX_LEN], fpath[PATH_MAX_LEN];
                int64_t weight = 0;
                int ok = 1;
                json_t *exprs = NULL, *term;

                path_join(ipath, sizeof(ipath), sub, NULL, i);
                if (!want_map(c, t, ipath))
                    continue;
                check_keys(c, t, ipath, pref_keys);
                require_key(c, t, "weight", ipath);
                require_key(c, t, "matchExpressions", ipath);
                if ((w = map_get(t, "weight"))) {
                    path_join(fpath, sizeof(fpath), ipath, "weight", 0);
                    if (w->kind == PT_YNODE_SCALAR && w->plain &&
                        parse_int(w->text, &weight) == 0 && (weight < 1 || weight > 100)) {
                        verr(c, w, "%s: must be between 1 and 100, got %s", fpath, w->text);
                        ok = 0;
                    } else if (!want_int(c, w, fpath, 1, 100, &weight)) {
                        ok = 0;
                    }
                } else {
                    ok = 0;
                }
                if ((me = map_get(t, "matchExpressions"))) {
                    path_join(fpath, sizeof(fpath), ipath, "matchExpressions", 0);
                    exprs = requirement_list(c, me, fpath, 1);
                }
                if (!ok || !exprs || json_array_size(exprs) != me->n || !(term = new_object(c))) {
                    json_decref(exprs);
                    continue;
                }
                set_new(c, term, "weight", json_integer(weight));
                set_new(c, term, "matchExpressions", exprs);
                append_new(c, arr, term);
            }
            set_new(c, out, "preferred", arr);
        } else if (pref->kind == PT_YNODE_SEQ) {
            c->nomem = 1;
        }
    }
    return out;
}

/* The optional string map[key] of an item at ipath, with its path in fpath
 * (PATH_MAX_LEN bytes). Returns the node with *out set when it is a string;
 * NULL when absent (*out keeps its default) or after an error (*out keeps its
 * default and *ok becomes 0). */
static const struct pt_ynode *optional_string(struct vctx *c, const struct pt_ynode *map,
                                              const char *key, const char *ipath, char *fpath,
                                              const char **out, int *ok)
{
    const struct pt_ynode *f = map_get(map, key);
    const char *s;

    if (!f)
        return NULL;
    path_join(fpath, PATH_MAX_LEN, ipath, key, 0);
    if (!(s = want_string(c, f, fpath))) {
        *ok = 0;
        return NULL;
    }
    *out = s;
    return f;
}

static json_t *tolerations(struct vctx *c, const struct pt_ynode *n, const char *path)
{
    static const char *const keys[] = {"key",    "operator",          "value",
                                       "effect", "tolerationSeconds", NULL};
    json_t *out;

    if (!want_seq(c, n, path))
        return NULL;
    if (!(out = new_array(c)))
        return NULL;
    for (size_t i = 0; i < n->n; i++) {
        const struct pt_ynode *t = n->items[i], *f;
        char ipath[PATH_MAX_LEN], fpath[PATH_MAX_LEN], why[160];
        const char *key = "", *op = "Equal", *value = "", *effect = "";
        int64_t secs = 0;
        int has_secs = 0, ok = 1;
        json_t *tol;

        path_join(ipath, sizeof(ipath), path, NULL, i);
        if (!want_map(c, t, ipath))
            continue;
        check_keys(c, t, ipath, keys);
        if ((f = optional_string(c, t, "key", ipath, fpath, &key, &ok)) && key[0] &&
            !pt_policy__is_qualified_name(key, why, sizeof(why))) {
            verr(c, f, "%s: invalid key '%s': %s", fpath, key, why);
            ok = 0;
        }
        if ((f = optional_string(c, t, "operator", ipath, fpath, &op, &ok)) &&
            strcmp(op, "Equal") && strcmp(op, "Exists")) {
            verr(c, f, "%s: invalid operator \"%s\"; expected Equal or Exists", fpath, op);
            ok = 0;
        }
        if ((f = optional_string(c, t, "value", ipath, fpath, &value, &ok))) {
            if (!strcmp(op, "Exists") && value[0]) {
                verr(c, f, "%s: must be empty when operator is Exists", fpath);
                ok = 0;
            } else if (!pt_policy__is_label_value(value, why, sizeof(why))) {
                verr(c, f, "%s: invalid value \"%s\": %s", fpath, value, why);
                ok = 0;
            }
        }
        if ((f = optional_string(c, t, "effect", ipath, fpath, &effect, &ok)) &&
            strcmp(effect, "NoSchedule") && strcmp(effect, "PreferNoSchedule") &&
            strcmp(effect, "NoExecute")) {
            verr(c, f,
                 "%s: invalid effect \"%s\"; expected NoSchedule, PreferNoSchedule or NoExecute",
                 fpath, effect);
            ok = 0;
        }
        if ((f = map_get(t, "tolerationSeconds"))) {
            path_join(fpath, sizeof(fpath), ipath, "tolerationSeconds", 0);
            if (!want_int(c, f, fpath, 0, INT64_MAX, &secs))
                ok = 0;
            else if (strcmp(effect, "NoExecute") != 0) {
                verr(c, f, "%s: tolerationSeconds requires effect NoExecute", fpath);
                ok = 0;
            } else {
                has_secs = 1;
            }
        }
        if (ok && !key[0] && strcmp(op, "Exists") != 0) {
            verr(c, map_get(t, "operator") ? map_get(t, "operator") : t,
                 "%s: an empty key requires operator Exists (it matches every taint)", ipath);
            ok = 0;
        }
        if (!ok || !(tol = new_object(c)))
            continue;
        if (key[0])
            set_new(c, tol, "key", json_string(key));
        set_new(c, tol, "operator", json_string(op));
        if (value[0])
            set_new(c, tol, "value", json_string(value));
        if (effect[0])
            set_new(c, tol, "effect", json_string(effect));
        if (has_secs)
            set_new(c, tol, "tolerationSeconds", json_integer(secs));
        append_new(c, out, tol);
    }
    return out;
}

/* ---- JVM options -------------------------------------------------------------- */

static json_t *java_options(struct vctx *c, const struct pt_ynode *n, const char *path)
{
    static const char *const heap[] = {"-Xmx", "-Xms", "-XX:MaxHeapSize", "-XX:InitialHeapSize",
                                       "-XX:MinHeapSize"};
    json_t *out;

    if (!want_seq(c, n, path))
        return NULL;
    if (!(out = new_array(c)))
        return NULL;
    for (size_t i = 0; i < n->n; i++) {
        char ipath[PATH_MAX_LEN];
        const char *s;
        int ok = 1;

        path_join(ipath, sizeof(ipath), path, NULL, i);
        if (!(s = want_string(c, n->items[i], ipath)))
            continue;
        if (s[0] != '-') {
            verr(c, n->items[i], "%s: \"%s\" must start with '-'", ipath, s);
            continue;
        }
        for (const char *p = s; *p && ok; p++) {
            if (isspace((unsigned char)*p) || (unsigned char)*p < 0x20) {
                verr(c, n->items[i], "%s: \"%s\" must not contain whitespace (one option per item)",
                     ipath, s);
                ok = 0;
            }
        }
        for (size_t h = 0; ok && h < sizeof(heap) / sizeof(heap[0]); h++) {
            if (!strncmp(s, heap[h], strlen(heap[h]))) {
                verr(c, n->items[i],
                     "%s: \"%s\" is not allowed: Spark and Flink size the heap from the pod's "
                     "memory; set resources instead",
                     ipath, s);
                ok = 0;
            }
        }
        if (ok)
            append_new(c, out, json_string(s));
    }
    return out;
}

/* A string that must be a DNS-1123 subdomain (priorityClassName,
 * schedulerName), as a new JSON string, or NULL after reporting why. */
static json_t *subdomain(struct vctx *c, const struct pt_ynode *n, const char *path)
{
    char why[200];
    const char *s = want_string(c, n, path);
    json_t *out;

    if (!s)
        return NULL;
    if (!pt_policy__is_dns1123_subdomain(s, why, sizeof(why))) {
        verr(c, n, "%s: \"%s\" is not a valid DNS-1123 subdomain: %s", path, s, why);
        return NULL;
    }
    if (!(out = json_string(s)))
        c->nomem = 1;
    return out;
}

/* ---- role blocks ---------------------------------------------------------------- */

static const char *const block_keys[] = {"mode",          "resources",     "nodeSelector",
                                         "nodeAffinity",  "tolerations",   "priorityClassName",
                                         "priorityValue", "schedulerName", "labels",
                                         "annotations",   "env",           "javaOptions",
                                         "sparkConf",     "flinkConf",     NULL};

/* Validates one block as written (role is PT_ROLE_NONE for `all`). Returns the
 * valid parts as a JSON object (without defaults), or NULL if not a mapping. */
static json_t *block(struct vctx *c, const struct pt_ynode *n, const char *path, enum pt_role role)
{
    const struct pt_ynode *v;
    char sub[PATH_MAX_LEN];
    json_t *out;
    const char *s;

    if (!want_map(c, n, path))
        return NULL;
    check_keys(c, n, path, block_keys);
    if (!(out = new_object(c)))
        return NULL;
#define SUB(key) (path_join(sub, sizeof(sub), path, key, 0), sub)
    if ((v = map_get(n, "mode")) && (s = want_string(c, v, SUB("mode")))) {
        if (strcmp(s, "fill") && strcmp(s, "override"))
            verr(c, v, "%s: expected fill or override, got \"%s\"", sub, s);
        else
            set_new(c, out, "mode", json_string(s));
    }
    if ((v = map_get(n, "resources")))
        put_valid(c, out, "resources", resources(c, v, SUB("resources")));
    if ((v = map_get(n, "nodeSelector")))
        put_valid(c, out, "nodeSelector",
                  string_map(c, v, SUB("nodeSelector"), KEY_LABEL, VALUE_LABEL, 0));
    if ((v = map_get(n, "nodeAffinity")))
        put_valid(c, out, "nodeAffinity", node_affinity(c, v, SUB("nodeAffinity")));
    if ((v = map_get(n, "tolerations")))
        put_valid(c, out, "tolerations", tolerations(c, v, SUB("tolerations")));
    if ((v = map_get(n, "priorityClassName")))
        put_valid(c, out, "priorityClassName", subdomain(c, v, SUB("priorityClassName")));
    if ((v = map_get(n, "priorityValue"))) {
        int64_t pv;
        if (want_int(c, v, SUB("priorityValue"), INT32_MIN, 1000000000, &pv))
            set_new(c, out, "priorityValue", json_integer(pv));
    }
    if ((v = map_get(n, "schedulerName")))
        put_valid(c, out, "schedulerName", subdomain(c, v, SUB("schedulerName")));
    if ((v = map_get(n, "labels")))
        put_valid(c, out, "labels", string_map(c, v, SUB("labels"), KEY_LABEL, VALUE_LABEL, 0));
    if ((v = map_get(n, "annotations")))
        put_valid(c, out, "annotations",
                  string_map(c, v, SUB("annotations"), KEY_ANNOTATION, VALUE_ANY, 0));
    if ((v = map_get(n, "env")))
        put_valid(c, out, "env", string_map(c, v, SUB("env"), KEY_ENV, VALUE_ANY, 0));
    if ((v = map_get(n, "javaOptions"))) {
        if (role == PT_ROLE_SPARK_DRIVER) {
            verr(c, map_key(n, "javaOptions"),
                 "%s: javaOptions is not allowed under spark-driver; use sparkConf "
                 "spark.driver.extraJavaOptions",
                 path);
        } else {
            put_valid(c, out, "javaOptions", java_options(c, v, SUB("javaOptions")));
        }
    }
    if ((v = map_get(n, "sparkConf"))) {
        if (role != PT_ROLE_SPARK_DRIVER) {
            verr(c, map_key(n, "sparkConf"), "%s: sparkConf is only allowed under spark-driver",
                 path);
        } else {
            put_valid(c, out, "sparkConf",
                      string_map(c, v, SUB("sparkConf"), KEY_CONF, VALUE_ANY, 1));
        }
    }
    if ((v = map_get(n, "flinkConf"))) {
        if (role != PT_ROLE_FLINK_JOBMANAGER && role != PT_ROLE_FLINK_TASKMANAGER) {
            verr(c, map_key(n, "flinkConf"),
                 "%s: flinkConf is only allowed under flink-jobmanager and flink-taskmanager",
                 path);
        } else {
            put_valid(c, out, "flinkConf",
                      string_map(c, v, SUB("flinkConf"), KEY_CONF, VALUE_ANY, 0));
        }
    }
#undef SUB
    return out;
}

/* base with over merged on top: mappings key by key (recursively), anything
 * else replaced whole by over's value. New reference. */
static json_t *deep_merge(const json_t *base, const json_t *over)
{
    json_t *out;
    const char *key;
    json_t *v;

    if (!json_is_object(base) || !json_is_object(over))
        return json_deep_copy(over);
    if (!(out = json_deep_copy(base)))
        return NULL;
    json_object_foreach((json_t *)over, key, v)
    {
        json_t *m = deep_merge(json_object_get(out, key), v);
        if (!m || json_object_set_new(out, key, m) != 0) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

/* ---- contradictions in the effective block ------------------------------------ */

/* Where an effective value came from: the role's block wins over `all`. */
struct origin {
    const struct pt_ynode *node;
    int from_all;
};

struct effctx {
    struct vctx *c;
    const struct pt_ynode *role_blk, *all_blk; /* as written; either may be NULL */
    const json_t *role_json, *all_json;        /* their valid parts */
    const char *role_path;                     /* spec.roles.<role> */
};

/* The node the effective value at k1[.k2[.k3]] came from: the role's block
 * when its valid parts hold it, else `all`. */
static struct origin find_origin(const struct effctx *e, const char *k1, const char *k2,
                                 const char *k3)
{
    const struct pt_ynode *blks[2] = {e->role_blk, e->all_blk};
    const json_t *jsons[2] = {e->role_json, e->all_json};
    struct origin o = {NULL, 0};

    for (int b = 0; b < 2; b++) {
        const struct pt_ynode *n = map_get(blks[b], k1);
        const json_t *j = json_object_get(jsons[b], k1);
        if (k2) {
            n = map_get(n, k2);
            j = json_object_get(j, k2);
        }
        if (k3) {
            n = map_get(n, k3);
            j = json_object_get(j, k3);
        }
        if (n && j) {
            o.node = n;
            o.from_all = b == 1;
            return o;
        }
    }
    return o;
}

/* Reports a contradiction between the values at a and b. The message names
 * the block both come from; when they come from different blocks it is
 * reported at the role's node and names where the `all` one is. */
static void contradiction(struct effctx *e, struct origin a, struct origin b, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void contradiction(struct effctx *e, struct origin a, struct origin b, const char *fmt, ...)
{
    char text[600];
    va_list ap;
    struct origin at = a;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    if (!a.node || !b.node)
        return;
    if (a.from_all && b.from_all) {
        verr(e->c, a.node, "spec.roles.all: %s", text);
        return;
    }
    if (a.from_all != b.from_all) {
        struct origin other = a.from_all ? a : b;
        at = a.from_all ? b : a;
        verr(e->c, at.node, "%s: %s (the other value comes from spec.roles.all, line %d)",
             e->role_path, text, other.node->line);
        return;
    }
    verr(e->c, at.node, "%s: %s", e->role_path, text);
}

static int quantity_at(const json_t *res, const char *kind, const char *name, struct pt_quantity *q)
{
    const char *s = json_string_value(json_object_get(json_object_get(res, kind), name));
    return s && pt_quantity_parse(s, q, NULL) == 0;
}

/* limit > request × ratio, exactly, without overflowing. */
static int ratio_exceeded(const struct pt_quantity *limit, const struct pt_quantity *request,
                          const struct pt_quantity *ratio)
{
    __int128 lhs, rhs;
    int lo = __builtin_mul_overflow(limit->nano, (__int128)1000000000, &lhs);
    int ro = __builtin_mul_overflow(request->nano, ratio->nano, &rhs);

    if (!lo && !ro)
        return lhs > rhs;
    return (long double)limit->nano * 1e9L > (long double)request->nano * (long double)ratio->nano;
}

static void check_resources(struct effctx *e, const json_t *res)
{
    json_t *seen = json_object();
    const char *name;
    json_t *v;

    if (!seen) {
        e->c->nomem = 1;
        return;
    }
    for (int k = 0; res_kinds[k]; k++) {
        json_object_foreach(json_object_get(res, res_kinds[k]), name, v)
        {
            struct pt_quantity rq, lm, mn, mx, ra;
            int has_rq, has_lm, has_mn, has_mx, has_ra;
            char a[PT_QUANTITY_BUFSZ], b[PT_QUANTITY_BUFSZ], r[PT_QUANTITY_BUFSZ];
            struct origin orq, olm, omn, omx, ora;
            enum res_class cls;

            if (json_object_get(seen, name))
                continue;
            if (json_object_set_new(seen, name, json_true()) != 0)
                e->c->nomem = 1;
            cls = resource_class(name, NULL, 0);
            has_rq = quantity_at(res, "requests", name, &rq);
            has_lm = quantity_at(res, "limits", name, &lm);
            has_mn = quantity_at(res, "min", name, &mn);
            has_mx = quantity_at(res, "max", name, &mx);
            has_ra = quantity_at(res, "maxLimitRequestRatio", name, &ra);
            orq = find_origin(e, "resources", "requests", name);
            olm = find_origin(e, "resources", "limits", name);
            omn = find_origin(e, "resources", "min", name);
            omx = find_origin(e, "resources", "max", name);
            ora = find_origin(e, "resources", "maxLimitRequestRatio", name);
#define Q(q, buf) (pt_quantity_format(&(q), buf, sizeof(buf)) == 0 ? buf : "?")
            if (has_mn && has_mx && pt_quantity_cmp(&mn, &mx) > 0)
                contradiction(e, omn, omx, "min.%s %s is above max.%s %s", name, Q(mn, a), name,
                              Q(mx, b));
            if (has_rq && has_lm && pt_quantity_cmp(&rq, &lm) > 0)
                contradiction(e, orq, olm, "requests.%s %s is above limits.%s %s", name, Q(rq, a),
                              name, Q(lm, b));
            if (has_rq && has_lm && cls != RES_STANDARD && pt_quantity_cmp(&rq, &lm) < 0)
                contradiction(e, orq, olm,
                              "requests.%s %s must equal limits.%s %s (%s cannot be overcommitted)",
                              name, Q(rq, a), name, Q(lm, b),
                              cls == RES_HUGEPAGES ? "hugepages" : "extended resources");
            if (has_rq && has_mn && pt_quantity_cmp(&rq, &mn) < 0)
                contradiction(e, orq, omn, "requests.%s %s is below min.%s %s", name, Q(rq, a),
                              name, Q(mn, b));
            if (has_lm && has_mn && pt_quantity_cmp(&lm, &mn) < 0)
                contradiction(e, olm, omn, "limits.%s %s is below min.%s %s", name, Q(lm, a), name,
                              Q(mn, b));
            if (has_rq && has_mx && pt_quantity_cmp(&rq, &mx) > 0)
                contradiction(e, orq, omx, "requests.%s %s is above max.%s %s", name, Q(rq, a),
                              name, Q(mx, b));
            if (has_lm && has_mx && pt_quantity_cmp(&lm, &mx) > 0)
                contradiction(e, olm, omx, "limits.%s %s is above max.%s %s", name, Q(lm, a), name,
                              Q(mx, b));
            if (has_rq && has_lm && has_ra && pt_quantity_cmp(&rq, &lm) <= 0 &&
                ratio_exceeded(&lm, &rq, &ra)) {
                /* three values: report at one from the role's block (the limit
                 * first), naming one from `all` if any */
                struct origin at = !olm.from_all   ? olm
                                   : !orq.from_all ? orq
                                   : !ora.from_all ? ora
                                                   : olm;
                struct origin other = olm.from_all   ? olm
                                      : orq.from_all ? orq
                                      : ora.from_all ? ora
                                                     : at;
                contradiction(
                    e, at, other,
                    "limits.%s %s is more than maxLimitRequestRatio.%s %s times requests.%s %s",
                    name, Q(lm, a), name, Q(ra, r), name, Q(rq, b));
            }
#undef Q
        }
    }
    json_decref(seen);
}

static void check_effective(struct effctx *e, const json_t *eff)
{
    struct origin pc = find_origin(e, "priorityClassName", NULL, NULL);
    struct origin pv = find_origin(e, "priorityValue", NULL, NULL);
    const json_t *res = json_object_get(eff, "resources");
    /* "written" rather than "valid": an invalid value has its own error already */
    int class_written =
        map_get(e->role_blk, "priorityClassName") || map_get(e->all_blk, "priorityClassName");
    int value_written =
        map_get(e->role_blk, "priorityValue") || map_get(e->all_blk, "priorityValue");

    if (res)
        check_resources(e, res);
    if (json_object_get(eff, "priorityValue") && !class_written && pv.node)
        verr(e->c, pv.node, "%s.priorityValue: given without priorityClassName",
             pv.from_all ? "spec.roles.all" : e->role_path);
    if (json_object_get(eff, "priorityClassName") && !value_written && pc.node)
        vwarn(e->c, pc.node,
              "%s.priorityClassName: no priorityValue; the apiserver resolves spec.priority from "
              "the class "
              "before webhooks run, so podtune can only set the class and the pod keeps its old "
              "priority",
              pc.from_all ? "spec.roles.all" : e->role_path);
}

/* ---- the profile ---------------------------------------------------------------- */

void pt_policy__profile_cleanup(struct pt_profile *p)
{
    if (!p)
        return;
    free(p->name);
    free(p->description);
    free(p->file);
    for (size_t i = 0; i < p->n_namespaces; i++)
        free(p->namespaces[i]);
    free(p->namespaces);
    json_decref(p->match_labels);
    for (int r = 0; r < PT_ROLE_COUNT; r++)
        json_decref(p->roles[r]);
    memset(p, 0, sizeof(*p));
}

static const char *const workload_names[] = {
    "spark", "flink", "spark-driver", "spark-executor", "flink-jobmanager", "flink-taskmanager",
    NULL};

static void match(struct vctx *c, const struct pt_ynode *n, struct pt_profile *p)
{
    static const char *const keys[] = {"workloads", "labels", NULL};
    const struct pt_ynode *w, *l;

    if (!want_map(c, n, "spec.match"))
        return;
    check_keys(c, n, "spec.match", keys);
    p->has_match = 1;
    if ((w = map_get(n, "workloads")) && want_seq(c, w, "spec.match.workloads")) {
        if (w->n == 0)
            verr(c, w, "spec.match.workloads: must not be empty; omit it to match every role");
        else
            p->match_roles = 0;
        for (size_t i = 0; i < w->n; i++) {
            char ipath[PATH_MAX_LEN];
            const char *s;
            int found = -1;

            path_join(ipath, sizeof(ipath), "spec.match.workloads", NULL, i);
            if (!(s = want_string(c, w->items[i], ipath)))
                continue;
            for (int k = 0; workload_names[k]; k++)
                if (!strcmp(s, workload_names[k]))
                    found = k;
            if (found < 0)
                verr(c, w->items[i],
                     "%s: unknown workload \"%s\"; expected one of: spark, flink, spark-driver, "
                     "spark-executor, flink-jobmanager, flink-taskmanager",
                     ipath, s);
            else if (found == 0)
                p->match_roles |= 1u << PT_ROLE_SPARK_DRIVER | 1u << PT_ROLE_SPARK_EXECUTOR;
            else if (found == 1)
                p->match_roles |= 1u << PT_ROLE_FLINK_JOBMANAGER | 1u << PT_ROLE_FLINK_TASKMANAGER;
            else
                p->match_roles |= 1u << pt_role_from_name(s);
        }
    }
    if ((l = map_get(n, "labels"))) {
        json_t *labels = string_map(c, l, "spec.match.labels", KEY_LABEL, VALUE_LABEL, 0);
        if (labels) {
            json_decref(p->match_labels);
            p->match_labels = labels;
        }
    }
}

static void namespaces(struct vctx *c, const struct pt_ynode *n, struct pt_profile *p)
{
    if (!want_seq(c, n, "spec.namespaces"))
        return;
    if (n->n == 0) {
        verr(c, n, "spec.namespaces: must not be empty; omit it to admit every namespace");
        return;
    }
    if (!(p->namespaces = calloc(n->n, sizeof(*p->namespaces)))) {
        c->nomem = 1;
        return;
    }
    for (size_t i = 0; i < n->n; i++) {
        char ipath[PATH_MAX_LEN], why[160];
        const char *s;

        path_join(ipath, sizeof(ipath), "spec.namespaces", NULL, i);
        if (!(s = want_string(c, n->items[i], ipath)))
            continue;
        if (pt_policy__glob_check(s, why, sizeof(why)) != 0) {
            verr(c, n->items[i], "%s: invalid namespace glob \"%s\": %s", ipath, s, why);
            continue;
        }
        if (!(p->namespaces[p->n_namespaces] = strdup(s))) {
            c->nomem = 1;
            return;
        }
        p->n_namespaces++;
    }
}

static void metadata(struct vctx *c, const struct pt_ynode *n, struct pt_profile *p)
{
    static const char *const keys[] = {"name", "labels", "annotations", NULL};
    const struct pt_ynode *v;
    char why[160];
    const char *s;

    if (!want_map(c, n, "metadata"))
        return;
    check_keys(c, n, "metadata", keys);
    require_key(c, n, "name", "metadata");
    if ((v = map_get(n, "name")) && (s = want_string(c, v, "metadata.name"))) {
        if (!pt_policy__is_dns1123_label(s, why, sizeof(why)))
            verr(c, v, "metadata.name: \"%s\" is not a valid DNS-1123 label: %s", s, why);
        else if (!(p->name = strdup(s)))
            c->nomem = 1;
        p->name_line = v->line;
        p->name_column = v->col;
    }
    if ((v = map_get(n, "labels")))
        json_decref(string_map(c, v, "metadata.labels", KEY_LABEL, VALUE_LABEL, 0));
    if ((v = map_get(n, "annotations")))
        json_decref(string_map(c, v, "metadata.annotations", KEY_META_ANNOTATION, VALUE_ANY, 0));
}

static void roles(struct vctx *c, const struct pt_ynode *n, struct pt_profile *p)
{
    static const char *const keys[] = {
        "all", "spark-driver", "spark-executor", "flink-jobmanager", "flink-taskmanager", NULL};
    const struct pt_ynode *all_blk;
    json_t *all = NULL, *own[PT_ROLE_COUNT] = {NULL};
    if (!want_map(c, n, "spec.roles"))
        return;
    check_keys(c, n, "spec.roles", keys);
    if ((all_blk = map_get(n, "all")))
        all = block(c, all_blk, "spec.roles.all", PT_ROLE_NONE);
    if (all_blk && !all)
        all_blk = NULL;
    for (int r = 0; r < PT_ROLE_COUNT; r++) {
        const struct pt_ynode *rb = map_get(n, pt_role_name(r));
        char path[PATH_MAX_LEN];

        path_join(path, sizeof(path), "spec.roles", pt_role_name(r), 0);
        if (rb && !(own[r] = block(c, rb, path, (enum pt_role)r)))
            rb = NULL;
        if (rb && p->has_match && !(p->match_roles & (1u << r)))
            vwarn(c, map_key(n, pt_role_name(r)),
                  "%s: spec.match.workloads excludes %s, so this block applies only through the "
                  "podtune.io/profile annotation",
                  path, pt_role_name(r));
    }
    /* contradictions only make sense between values that are valid on their own */
    c->dedup = 1;
    c->dedup_from = c->d->n;
    for (int r = 0; r < PT_ROLE_COUNT; r++) {
        const struct pt_ynode *rb = own[r] ? map_get(n, pt_role_name(r)) : NULL;
        char path[PATH_MAX_LEN];
        struct effctx e = {c, rb, all_blk, own[r], all, path};
        json_t *eff;

        if (!own[r] && !all)
            continue;
        path_join(path, sizeof(path), "spec.roles", pt_role_name(r), 0);
        eff = own[r] ? (all ? deep_merge(all, own[r]) : json_incref(own[r])) : json_deep_copy(all);
        if (!eff) {
            c->nomem = 1;
            break;
        }
        if (r == PT_ROLE_SPARK_DRIVER) /* the driver's JVM options travel in sparkConf */
            json_object_del(eff, "javaOptions");
        if (!json_object_get(eff, "mode"))
            set_new(c, eff, "mode", json_string("fill"));
        check_effective(&e, eff);
        p->roles[r] = eff;
    }
    c->dedup = 0;
    json_decref(all);
    for (int r = 0; r < PT_ROLE_COUNT; r++)
        json_decref(own[r]);
}

static void spec(struct vctx *c, const struct pt_ynode *n, struct pt_profile *p)
{
    static const char *const keys[] = {"description", "priority", "enforce", "namespaces",
                                       "match",       "roles",    NULL};
    const struct pt_ynode *v;
    const char *s;
    int64_t prio;

    if (!want_map(c, n, "spec"))
        return;
    check_keys(c, n, "spec", keys);
    if ((v = map_get(n, "description")) && (s = want_string(c, v, "spec.description"))) {
        free(p->description);
        if (!(p->description = strdup(s)))
            c->nomem = 1;
    }
    if ((v = map_get(n, "priority")) &&
        want_int(c, v, "spec.priority", INT32_MIN, INT32_MAX, &prio))
        p->priority = prio;
    if ((v = map_get(n, "enforce")))
        want_bool(c, v, "spec.enforce", &p->enforce);
    if ((v = map_get(n, "namespaces")))
        namespaces(c, v, p);
    if ((v = map_get(n, "match")))
        match(c, v, p);
    if ((v = map_get(n, "roles")))
        roles(c, v, p);
}

int pt_policy__profile_from_node(const char *file, const struct pt_ynode *root,
                                 struct pt_profile *p, struct pt_diags *d)
{
    static const char *const keys[] = {"apiVersion", "kind", "metadata", "spec", NULL};
    struct vctx c = {.d = d, .file = file};
    size_t errors_before = d->errors;
    const struct pt_ynode *v;
    const char *s;
    char b[64];

    memset(p, 0, sizeof(*p));
    p->line = root->line;
    p->column = root->col;
    p->match_roles = (1u << PT_ROLE_COUNT) - 1;
    p->file = strdup(file);
    p->description = strdup("");
    p->match_labels = json_object();
    if (!p->file || !p->description || !p->match_labels) {
        c.nomem = 1;
        goto fail;
    }
    if (root->kind != PT_YNODE_MAP) {
        verr(&c, root, "a profile document must be a mapping, got %s",
             describe(root, b, sizeof(b)));
        goto fail;
    }
    check_keys(&c, root, "the document", keys);
    require_key(&c, root, "apiVersion", "the document");
    require_key(&c, root, "kind", "the document");
    require_key(&c, root, "metadata", "the document");
    require_key(&c, root, "spec", "the document");
    if ((v = map_get(root, "apiVersion")) && (s = want_string(&c, v, "apiVersion")) &&
        strcmp(s, "podtune.io/v1") != 0)
        verr(&c, v, "apiVersion: expected \"podtune.io/v1\", got \"%s\"", s);
    if ((v = map_get(root, "kind")) && (s = want_string(&c, v, "kind")) &&
        strcmp(s, "Profile") != 0)
        verr(&c, v, "kind: expected \"Profile\", got \"%s\"", s);
    if ((v = map_get(root, "metadata")))
        metadata(&c, v, p);
    if ((v = map_get(root, "spec")))
        spec(&c, v, p);
    if (c.nomem)
        goto fail;
    if (d->errors != errors_before || !p->name)
        goto fail;
    return 0;
fail:
    pt_policy__profile_cleanup(p);
    return c.nomem ? PT_ENOMEM : PT_EINVAL;
}
