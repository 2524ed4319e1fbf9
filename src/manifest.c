/* manifest.c — Kubernetes manifests: YAML (libyaml) or JSON text → jansson values, and values →
 * kubectl-style YAML. */
#include "podtune/manifest.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "podtune/utf8.h"

/* Nesting deeper than this is refused: the builder recurses, and jansson's
 * own parser stops at 2048. */
#define MAX_DEPTH 1000
/* Nodes that aliases may add in one parse (billion-laughs guard). */
#define MAX_ALIAS_NODES 100000

#define TAG_PREFIX "tag:yaml.org,2002:"

/* ---- plain scalar typing (go-yaml v2, as used by sigs.k8s.io/yaml) ---- */

enum kind {
    K_STRING,  /* a string */
    K_NUMLIKE, /* a string, but number-shaped (e.g. 1e999): quote on output */
    K_NULL,
    K_BOOL,
    K_INT,
    K_REAL,
    K_INFNAN, /* .inf / .nan: no JSON form */
    K_BIGINT, /* an integer literal beyond int64 */
    K_MERGE,  /* "<<" */
};

struct scalar {
    enum kind kind;
    int boolean;
    json_int_t integer;
    double real;
};

static int in_list(const char *s, size_t len, const char *const *list)
{
    for (; *list; list++)
        if (strlen(*list) == len && memcmp(*list, s, len) == 0)
            return 1;
    return 0;
}

static const char *const TRUE_WORDS[] = {"y",    "Y",    "yes", "Yes", "YES", "true",
                                         "True", "TRUE", "on",  "On",  "ON",  NULL};
static const char *const FALSE_WORDS[] = {"n",     "N",     "no",  "No",  "NO",  "false",
                                          "False", "FALSE", "off", "Off", "OFF", NULL};
static const char *const NULL_WORDS[] = {"~", "null", "Null", "NULL", NULL};
static const char *const INFNAN_WORDS[] = {".nan",  ".NaN",  ".NAN",  ".inf",  ".Inf",
                                           ".INF",  "+.inf", "+.Inf", "+.INF", "-.inf",
                                           "-.Inf", "-.INF", NULL};

static int is_digit_in(char c, int base)
{
    if (base == 16)
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    return c >= '0' && c < '0' + base;
}

static int digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    return (c | 0x20) - 'a' + 10;
}

/* Go's strconv.ParseInt(s, 0, 64): optional sign, then 0x / 0o / 0b / 0
 * (octal) prefixes or decimal. Returns 0 (parsed), 1 (not an integer) or 2
 * (an integer that does not fit int64). */
static int parse_go_int(const char *s, json_int_t *out)
{
    int neg = 0, base = 10;
    if (*s == '+' || *s == '-')
        neg = *s++ == '-';
    if (s[0] == '0' && s[1]) {
        char p = (char)(s[1] | 0x20);
        if (p == 'x' || p == 'o' || p == 'b') {
            base = p == 'x' ? 16 : p == 'o' ? 8 : 2;
            s += 2;
        } else {
            base = 8;
            s += 1;
        }
    }
    if (!*s)
        return 1;
    uint64_t mag = 0;
    int overflow = 0;
    for (; *s; s++) {
        if (!is_digit_in(*s, base))
            return 1;
        uint64_t d = (uint64_t)digit_value(*s);
        if (mag > (UINT64_MAX - d) / (uint64_t)base)
            overflow = 1;
        else
            mag = mag * (uint64_t)base + d;
    }
    if (overflow || mag > (uint64_t)INT64_MAX + (neg ? 1u : 0u))
        return 2;
    *out = neg ? (json_int_t)(0 - mag) : (json_int_t)mag;
    return 0;
}

/* go-yaml's float pattern: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static int float_shaped(const char *s)
{
    if (*s == '+' || *s == '-')
        s++;
    if (*s == '.') {
        if (!is_digit_in(s[1], 10))
            return 0;
        for (s++; is_digit_in(*s, 10); s++)
            ;
    } else {
        if (!is_digit_in(*s, 10))
            return 0;
        while (is_digit_in(*s, 10))
            s++;
        if (*s == '.')
            for (s++; is_digit_in(*s, 10); s++)
                ;
    }
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '+' || *s == '-')
            s++;
        if (!is_digit_in(*s, 10))
            return 0;
        while (is_digit_in(*s, 10))
            s++;
    }
    return *s == '\0';
}

/* Types a plain scalar the way go-yaml v2 does for an untyped target: the
 * YAML 1.1 booleans (y/yes/on/…), nulls, ints with Go's prefixes and "_"
 * separators, floats; everything else (timestamps included) is a string. */
static enum kind resolve_plain(const char *s, size_t len, struct scalar *out)
{
    memset(out, 0, sizeof(*out));
    out->kind = K_STRING;
    if (len == 0 || in_list(s, len, NULL_WORDS))
        return out->kind = K_NULL;
    if (in_list(s, len, TRUE_WORDS) || in_list(s, len, FALSE_WORDS)) {
        out->boolean = in_list(s, len, TRUE_WORDS);
        return out->kind = K_BOOL;
    }
    if (in_list(s, len, INFNAN_WORDS))
        return out->kind = K_INFNAN;
    if (len == 2 && s[0] == '<' && s[1] == '<')
        return out->kind = K_MERGE;
    char c = s[0];
    if (c != '.' && c != '+' && c != '-' && !is_digit_in(c, 10))
        return K_STRING;
    if (memchr(s, '\0', len))
        return K_STRING;
    /* Digits and signs: strip "_" like go-yaml, then int, then float. */
    char *plain = malloc(len + 1);
    if (!plain)
        return K_STRING;
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (c == '.' || s[i] != '_')
            plain[n++] = s[i];
    plain[n] = '\0';
    if (c != '.') {
        int rc = parse_go_int(plain, &out->integer);
        if (rc != 1) {
            free(plain);
            return out->kind = rc == 0 ? K_INT : K_BIGINT;
        }
    }
    if (float_shaped(plain) && (c != '.' || plain[1] != '\0')) {
        errno = 0;
        out->real = strtod(plain, NULL);
        free(plain);
        /* go-yaml keeps an overflowing float as a string. */
        return out->kind = isinf(out->real) ? K_NUMLIKE : K_REAL;
    }
    free(plain);
    return K_STRING;
}

/* ---- YAML → JSON ---------------------------------------------------------- */

struct anchor {
    char *name;
    json_t *value; /* a reference held until the document ends */
    size_t nodes;
};

struct builder {
    yaml_parser_t parser;
    const char *source;
    const char *buf;
    size_t len;
    struct pt_error *err;
    struct anchor *anchors;
    size_t nanchors, capanchors;
    size_t alias_nodes;
    int depth;
};

static int fail_at(struct builder *b, const yaml_mark_t *m, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail_at(struct builder *b, const yaml_mark_t *m, const char *fmt, ...)
{
    int line = (int)m->line + 1, col = (int)m->column + 1;
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    pt_utf8_clamp_position(b->buf, b->len, &line, &col);
    return pt_error_setpos(b->err, PT_EINVAL, b->source, line, col, "%s", msg);
}

static int parser_failed(struct builder *b)
{
    yaml_parser_t *p = &b->parser;
    const char *problem = p->problem ? p->problem : "malformed YAML";
    if (p->error == YAML_MEMORY_ERROR)
        return pt_error_set(b->err, PT_ENOMEM, "%s: out of memory", b->source);
    if (p->error == YAML_READER_ERROR) {
        int line, col;
        pt_utf8_position(b->buf, b->len, p->problem_offset, &line, &col);
        return pt_error_setpos(b->err, PT_EINVAL, b->source, line, col, "%s", problem);
    }
    if (p->context) {
        int line = (int)p->context_mark.line + 1, col = (int)p->context_mark.column + 1;
        pt_utf8_clamp_position(b->buf, b->len, &line, &col);
        return fail_at(b, &p->problem_mark, "%s (%s at %d:%d)", problem, p->context, line, col);
    }
    return fail_at(b, &p->problem_mark, "%s", problem);
}

static int next_event(struct builder *b, yaml_event_t *ev)
{
    if (!yaml_parser_parse(&b->parser, ev))
        return parser_failed(b);
    return 0;
}

static int anchor_add(struct builder *b, const char *name, json_t *value, size_t nodes)
{
    if (b->nanchors == b->capanchors) {
        size_t cap = b->capanchors ? 2 * b->capanchors : 8;
        struct anchor *a = realloc(b->anchors, cap * sizeof(*a));
        if (!a)
            return pt_error_set(b->err, PT_ENOMEM, "out of memory");
        b->anchors = a;
        b->capanchors = cap;
    }
    char *copy = strdup(name);
    if (!copy)
        return pt_error_set(b->err, PT_ENOMEM, "out of memory");
    b->anchors[b->nanchors++] = (struct anchor){copy, json_incref(value), nodes};
    return 0;
}

static void anchors_clear(struct builder *b)
{
    for (size_t i = 0; i < b->nanchors; i++) {
        free(b->anchors[i].name);
        json_decref(b->anchors[i].value);
    }
    b->nanchors = 0;
}

static const struct anchor *anchor_find(const struct builder *b, const char *name)
{
    for (size_t i = b->nanchors; i > 0; i--)
        if (strcmp(b->anchors[i - 1].name, name) == 0)
            return &b->anchors[i - 1];
    return NULL;
}

/* The short form of a tag for messages: "!!int" for the standard ones. */
static void short_tag(const char *tag, char *buf, size_t len)
{
    size_t pl = strlen(TAG_PREFIX);
    if (strncmp(tag, TAG_PREFIX, pl) == 0)
        snprintf(buf, len, "!!%s", tag + pl);
    else
        snprintf(buf, len, "%s", tag);
}

/* Turns one scalar event into a value. */
static int build_scalar(struct builder *b, const yaml_event_t *ev, json_t **out)
{
    const char *s = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    const char *tag = (const char *)ev->data.scalar.tag;
    struct scalar sc;
    char st[128];

    *out = NULL;
    if (!tag && ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
        resolve_plain(s, len, &sc);
    } else if (!tag || strcmp(tag, "!") == 0 || strcmp(tag, TAG_PREFIX "str") == 0 ||
               strcmp(tag, TAG_PREFIX "timestamp") == 0 ||
               strncmp(tag, TAG_PREFIX, strlen(TAG_PREFIX)) != 0) {
        /* Quoted and block scalars, "!", !!str and tags podtune does not
         * know stay strings, as in go-yaml. */
        sc.kind = K_STRING;
    } else if (strcmp(tag, TAG_PREFIX "binary") == 0) {
        /* Kept as its base64 text without line breaks: that is the form a
         * Secret's data field wants. */
        char *t = malloc(len + 1);
        size_t n = 0;
        if (!t)
            return pt_error_set(b->err, PT_ENOMEM, "out of memory");
        for (size_t i = 0; i < len; i++)
            if (s[i] != ' ' && s[i] != '\n' && s[i] != '\t' && s[i] != '\r')
                t[n++] = s[i];
        *out = json_stringn(t, n);
        free(t);
        return *out ? 0 : pt_error_set(b->err, PT_ENOMEM, "out of memory");
    } else {
        enum kind want;
        if (strcmp(tag, TAG_PREFIX "int") == 0)
            want = K_INT;
        else if (strcmp(tag, TAG_PREFIX "float") == 0)
            want = K_REAL;
        else if (strcmp(tag, TAG_PREFIX "bool") == 0)
            want = K_BOOL;
        else if (strcmp(tag, TAG_PREFIX "null") == 0)
            want = K_NULL;
        else {
            short_tag(tag, st, sizeof(st));
            return fail_at(b, &ev->start_mark, "tag %s cannot be used on a scalar", st);
        }
        resolve_plain(s, len, &sc);
        if (want == K_REAL && sc.kind == K_INT) {
            sc.kind = K_REAL;
            sc.real = (double)sc.integer;
        }
        if (sc.kind != want && sc.kind != K_INFNAN && sc.kind != K_BIGINT) {
            short_tag(tag, st, sizeof(st));
            return fail_at(b, &ev->start_mark, "cannot read \"%.*s\" as %s",
                           (int)(len > 60 ? 60 : len), s, st);
        }
    }
    switch (sc.kind) {
    case K_NULL: *out = json_null(); break;
    case K_BOOL: *out = json_boolean(sc.boolean); break;
    case K_INT: *out = json_integer(sc.integer); break;
    case K_REAL: *out = json_real(sc.real); break;
    case K_INFNAN:
        return fail_at(b, &ev->start_mark,
                       "%.*s has no JSON form (infinity and NaN are not numbers in JSON)", (int)len,
                       s);
    case K_BIGINT:
        return fail_at(b, &ev->start_mark, "integer %.*s does not fit in 64 bits",
                       (int)(len > 60 ? 60 : len), s);
    default: *out = json_stringn(s, len); break;
    }
    return *out ? 0 : pt_error_set(b->err, PT_ENOMEM, "out of memory");
}

/* Go's strconv.FormatFloat(f, 'g', -1, 32): how sigs.k8s.io/yaml names a
 * float mapping key. */
static void format_float32_key(double d, char *buf, size_t len)
{
    float f = (float)d;
    char e[48];
    int prec;
    if (isinf(f)) {
        snprintf(buf, len, "%s", f > 0 ? ".inf" : "-.inf");
        return;
    }
    for (prec = 1; prec < 9; prec++) {
        snprintf(e, sizeof(e), "%.*e", prec - 1, (double)f);
        if (strtof(e, NULL) == f)
            break;
    }
    snprintf(e, sizeof(e), "%.*e", prec - 1, (double)f);
    /* e = [-]D[.DDD]e±XX: collect digits and the decimal exponent. */
    char digits[16];
    size_t nd = 0;
    const char *p = e;
    int neg = *p == '-';
    if (neg)
        p++;
    for (; *p && *p != 'e'; p++)
        if (*p != '.')
            digits[nd++] = *p;
    int exp = (int)strtol(p + 1, NULL, 10);
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    digits[nd] = '\0';
    if (f == 0) {
        snprintf(buf, len, "%s0", neg ? "-" : "");
        return;
    }
    if (exp < -4 || exp >= 6) {
        /* Go: %e with at least two exponent digits */
        snprintf(buf, len, "%s%c%s%se%c%02d", neg ? "-" : "", digits[0], nd > 1 ? "." : "",
                 digits + 1, exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
        return;
    }
    size_t w = 0;
    w += (size_t)snprintf(buf + w, len - w, "%s", neg ? "-" : "");
    if (exp < 0) {
        w += (size_t)snprintf(buf + w, len - w, "0.");
        for (int i = -1; i > exp && w < len; i--)
            w += (size_t)snprintf(buf + w, len - w, "0");
        snprintf(buf + w, len - w, "%s", digits);
        return;
    }
    for (int i = 0; i <= exp || (size_t)i < nd; i++) {
        if (i == exp + 1)
            w += (size_t)snprintf(buf + w, len - w, ".");
        w += (size_t)snprintf(buf + w, len - w, "%c", (size_t)i < nd ? digits[i] : '0');
        if (w >= len)
            return;
    }
}

/* Names a mapping key the way sigs.k8s.io/yaml does: strings as they are,
 * ints in decimal, floats as Go formats them, booleans as true/false; null
 * and collections are refused. */
static int key_string(struct builder *b, const yaml_mark_t *m, const json_t *k, char *buf,
                      size_t len, const char **key, size_t *keylen)
{
    switch (json_typeof(k)) {
    case JSON_STRING:
        *key = json_string_value(k);
        *keylen = json_string_length(k);
        return 0;
    case JSON_INTEGER: snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(k)); break;
    case JSON_REAL: format_float32_key(json_real_value(k), buf, len); break;
    case JSON_TRUE: snprintf(buf, len, "true"); break;
    case JSON_FALSE: snprintf(buf, len, "false"); break;
    case JSON_NULL: return fail_at(b, m, "a mapping key cannot be null");
    default: return fail_at(b, m, "a mapping key must be a scalar, not a collection");
    }
    *key = buf;
    *keylen = strlen(buf);
    return 0;
}

static int build_node(struct builder *b, yaml_event_t *ev, json_t **out, size_t *nodes);

/* Merges src (an object, or an array of objects) into obj under the YAML
 * merge-key rules: keys already present win; earlier sources win. */
static int merge_into(struct builder *b, const yaml_mark_t *m, json_t *obj, json_t *merged,
                      const json_t *src)
{
    if (json_is_array(src)) {
        for (size_t i = 0; i < json_array_size(src); i++) {
            if (!json_is_object(json_array_get(src, i)))
                return fail_at(b, m, "a merge key (<<) needs a mapping or a list of mappings");
            if (merge_into(b, m, obj, merged, json_array_get(src, i)))
                return PT_EINVAL;
        }
        return 0;
    }
    if (!json_is_object(src))
        return fail_at(b, m, "a merge key (<<) needs a mapping or a list of mappings");
    for (void *it = json_object_iter((json_t *)src); it;
         it = json_object_iter_next((json_t *)src, it)) {
        const char *k = json_object_iter_key(it);
        size_t kl = json_object_iter_key_len(it);
        if (json_object_getn(obj, k, kl))
            continue;
        if (json_object_setn_new(obj, k, kl, json_deep_copy(json_object_iter_value(it))) ||
            json_object_setn_new(merged, k, kl, json_true()))
            return pt_error_set(b->err, PT_ENOMEM, "out of memory");
    }
    return 0;
}

static int build_mapping(struct builder *b, json_t *obj, size_t *nodes)
{
    json_t *merged = NULL; /* keys that came from "<<" and may still be overridden */
    yaml_event_t ev;
    for (;;) {
        if (next_event(b, &ev))
            goto fail;
        if (ev.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&ev);
            break;
        }
        yaml_mark_t km = ev.start_mark;
        int is_merge = ev.type == YAML_SCALAR_EVENT && ev.data.scalar.length == 2 &&
                       memcmp(ev.data.scalar.value, "<<", 2) == 0 &&
                       ((!ev.data.scalar.tag && ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE) ||
                        (ev.data.scalar.tag &&
                         strcmp((const char *)ev.data.scalar.tag, TAG_PREFIX "merge") == 0));
        if (ev.type == YAML_SEQUENCE_START_EVENT || ev.type == YAML_MAPPING_START_EVENT) {
            yaml_event_delete(&ev);
            fail_at(b, &km, "a mapping key must be a scalar, not a collection");
            goto fail;
        }
        json_t *key = NULL, *value = NULL;
        size_t kn = 0, vn = 0;
        if (is_merge) {
            yaml_event_delete(&ev);
        } else if (build_node(b, &ev, &key, &kn)) {
            goto fail;
        }
        if (next_event(b, &ev) || build_node(b, &ev, &value, &vn)) {
            json_decref(key);
            goto fail;
        }
        *nodes += vn;
        if (is_merge) {
            int rc = 0;
            if (!merged && !(merged = json_object()))
                rc = pt_error_set(b->err, PT_ENOMEM, "out of memory");
            if (!rc)
                rc = merge_into(b, &km, obj, merged, value);
            json_decref(value);
            if (rc)
                goto fail;
            continue;
        }
        char kbuf[64];
        const char *k = NULL;
        size_t kl = 0;
        if (key_string(b, &km, key, kbuf, sizeof(kbuf), &k, &kl)) {
            json_decref(key);
            json_decref(value);
            goto fail;
        }
        if (json_object_getn(obj, k, kl) && !(merged && json_object_getn(merged, k, kl))) {
            fail_at(b, &km, "mapping key \"%.*s\" is already defined", (int)(kl > 80 ? 80 : kl), k);
            json_decref(key);
            json_decref(value);
            goto fail;
        }
        if (merged)
            json_object_deln(merged, k, kl);
        int rc = json_object_setn_new(obj, k, kl, value);
        json_decref(key);
        if (rc) {
            pt_error_set(b->err, PT_ENOMEM, "out of memory");
            goto fail;
        }
    }
    json_decref(merged);
    return 0;
fail:
    json_decref(merged);
    return PT_EINVAL;
}

/* Builds the node that starts with ev (which it consumes); *nodes counts the
 * values made, aliases included. */
static int build_node(struct builder *b, yaml_event_t *ev, json_t **out, size_t *nodes)
{
    json_t *v = NULL;
    const char *anchor = NULL;
    size_t n = 1;
    yaml_mark_t mark = ev->start_mark;
    int rc = PT_EINVAL;
    char *anchor_copy = NULL;

    *out = NULL;
    switch (ev->type) {
    case YAML_ALIAS_EVENT: {
        const struct anchor *a = anchor_find(b, (const char *)ev->data.alias.anchor);
        if (!a) {
            fail_at(b, &mark, "unknown anchor \"%s\"", (const char *)ev->data.alias.anchor);
            goto fail;
        }
        if (a->nodes > MAX_ALIAS_NODES - b->alias_nodes) {
            fail_at(b, &mark, "aliases expand to more than %d nodes", MAX_ALIAS_NODES);
            goto fail;
        }
        b->alias_nodes += a->nodes;
        if (!(v = json_deep_copy(a->value))) {
            rc = pt_error_set(b->err, PT_ENOMEM, "out of memory");
            goto fail;
        }
        n = a->nodes;
        break;
    }
    case YAML_SCALAR_EVENT:
        anchor = (const char *)ev->data.scalar.anchor;
        if (build_scalar(b, ev, &v))
            goto fail;
        break;
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
        int seq = ev->type == YAML_SEQUENCE_START_EVENT;
        const char *tag =
            (const char *)(seq ? ev->data.sequence_start.tag : ev->data.mapping_start.tag);
        anchor =
            (const char *)(seq ? ev->data.sequence_start.anchor : ev->data.mapping_start.anchor);
        if (tag && strncmp(tag, TAG_PREFIX, strlen(TAG_PREFIX)) == 0 &&
            strcmp(tag, seq ? TAG_PREFIX "seq" : TAG_PREFIX "map") != 0) {
            char st[128];
            short_tag(tag, st, sizeof(st));
            fail_at(b, &mark, "tag %s cannot be used on a %s", st, seq ? "sequence" : "mapping");
            goto fail;
        }
        if (++b->depth > MAX_DEPTH) {
            fail_at(b, &mark, "nesting is deeper than %d levels", MAX_DEPTH);
            goto fail;
        }
        if (anchor && !(anchor_copy = strdup(anchor))) {
            rc = pt_error_set(b->err, PT_ENOMEM, "out of memory");
            goto fail;
        }
        anchor = anchor_copy;
        if (!(v = seq ? json_array() : json_object())) {
            rc = pt_error_set(b->err, PT_ENOMEM, "out of memory");
            goto fail;
        }
        yaml_event_delete(ev);
        if (seq) {
            yaml_event_t child;
            for (;;) {
                json_t *item;
                size_t cn = 0;
                if (next_event(b, &child))
                    goto fail_nodelete;
                if (child.type == YAML_SEQUENCE_END_EVENT) {
                    yaml_event_delete(&child);
                    break;
                }
                if (build_node(b, &child, &item, &cn))
                    goto fail_nodelete;
                n += cn;
                if (json_array_append_new(v, item)) {
                    rc = pt_error_set(b->err, PT_ENOMEM, "out of memory");
                    goto fail_nodelete;
                }
            }
        } else if (build_mapping(b, v, &n)) {
            goto fail_nodelete;
        }
        b->depth--;
        if (anchor && anchor_add(b, anchor, v, n)) {
            rc = PT_ENOMEM;
            goto fail_nodelete;
        }
        free(anchor_copy);
        *out = v;
        *nodes = n;
        return 0;
    }
    default: fail_at(b, &mark, "unexpected YAML event"); goto fail;
    }
    if (anchor && anchor_add(b, anchor, v, n)) {
        rc = PT_ENOMEM;
        goto fail;
    }
    yaml_event_delete(ev);
    *out = v;
    *nodes = n;
    return 0;
fail:
    yaml_event_delete(ev);
fail_nodelete:
    free(anchor_copy);
    json_decref(v);
    return rc;
}

/* Appends doc to docs (taking it), expanding `kind: List` and any other
 * *List kind that has an items array into the items. */
static int add_document(json_t *docs, json_t *doc, const char *source, int line,
                        struct pt_error *err)
{
    const char *k = json_is_object(doc) ? json_string_value(json_object_get(doc, "kind")) : NULL;
    size_t kl = k ? strlen(k) : 0;
    json_t *items = k ? json_object_get(doc, "items") : NULL;
    int list = k && strcmp(k, "List") == 0;
    if (list && items && !json_is_array(items) && !json_is_null(items)) {
        json_decref(doc);
        return pt_error_setpos(err, PT_EINVAL, source, line, 0,
                               "the items of a List must be a list");
    }
    if (!list && !(kl > 4 && strcmp(k + kl - 4, "List") == 0 && json_is_array(items))) {
        if (json_array_append_new(docs, doc))
            return pt_error_set(err, PT_ENOMEM, "out of memory");
        return 0;
    }
    for (size_t i = 0; i < json_array_size(items); i++) {
        if (json_array_append(docs, json_array_get(items, i))) {
            json_decref(doc);
            return pt_error_set(err, PT_ENOMEM, "out of memory");
        }
    }
    json_decref(doc);
    return 0;
}

static int parse_yaml(const char *buf, size_t len, const char *source, json_t *docs,
                      struct pt_error *err)
{
    struct builder b = {.source = source, .buf = buf, .len = len, .err = err};
    yaml_event_t ev;
    int rc = PT_EINVAL;
    if (!yaml_parser_initialize(&b.parser))
        return pt_error_set(err, PT_ENOMEM, "out of memory");
    yaml_parser_set_input_string(&b.parser, (const unsigned char *)buf, len);
    if (next_event(&b, &ev))
        goto done;
    yaml_event_delete(&ev); /* stream start */
    for (;;) {
        if (next_event(&b, &ev))
            goto done;
        if (ev.type == YAML_STREAM_END_EVENT) {
            yaml_event_delete(&ev);
            break;
        }
        yaml_event_delete(&ev); /* document start */
        if (next_event(&b, &ev))
            goto done;
        int line = (int)ev.start_mark.line + 1;
        int empty = ev.type == YAML_SCALAR_EVENT && ev.data.scalar.length == 0 &&
                    !ev.data.scalar.tag && !ev.data.scalar.anchor &&
                    ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        json_t *doc = NULL;
        size_t nodes = 0;
        if (build_node(&b, &ev, &doc, &nodes))
            goto done;
        anchors_clear(&b);
        if (next_event(&b, &ev)) {
            json_decref(doc);
            goto done;
        }
        yaml_event_delete(&ev); /* document end */
        if (empty) {
            json_decref(doc);
            continue;
        }
        if ((rc = add_document(docs, doc, source, line, err)))
            goto done;
        rc = PT_EINVAL;
    }
    rc = 0;
done:
    anchors_clear(&b);
    free(b.anchors);
    yaml_parser_delete(&b.parser);
    if (rc && err && !err->text[0])
        pt_error_set(err, rc, "%s: cannot parse YAML", source);
    return rc;
}

/* Concatenated JSON values ({...} {...} or [...]\n[...]). Returns 1 if the
 * first value is not JSON, so the caller can read the text as YAML (flow
 * YAML such as `{a: 1}` starts with "{" too). */
static int parse_json(const char *buf, size_t len, size_t off, const char *source, json_t *docs,
                      struct pt_error *err)
{
    int first = 1;
    while (off < len) {
        json_error_t jerr;
        json_t *v = json_loadb(buf + off, len - off,
                               JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK | JSON_REJECT_DUPLICATES |
                                   JSON_ALLOW_NUL,
                               &jerr);
        int line, col;
        if (!v && first)
            return 1;
        first = 0;
        if (!v) {
            pt_utf8_position(buf, len, off, &line, &col);
            if (jerr.line > 1)
                col = jerr.column;
            else
                col += jerr.column > 0 ? jerr.column - 1 : 0;
            line += jerr.line > 0 ? jerr.line - 1 : 0;
            return pt_error_setpos(err, PT_EINVAL, source, line, col, "%s", jerr.text);
        }
        pt_utf8_position(buf, len, off, &line, &col);
        off += (size_t)jerr.position;
        int rc = add_document(docs, v, source, line, err);
        if (rc)
            return rc;
        while (off < len &&
               (buf[off] == ' ' || buf[off] == '\t' || buf[off] == '\r' || buf[off] == '\n'))
            off++;
    }
    return 0;
}

int pt_manifest_parse(const char *buf, size_t len, const char *source, json_t **docs,
                      struct pt_error *err)
{
    size_t off = 0;
    int rc;
    *docs = json_array();
    if (!*docs)
        return pt_error_set(err, PT_ENOMEM, "out of memory");
    if (!source)
        source = "";
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
        off = 3;
    while (off < len &&
           (buf[off] == ' ' || buf[off] == '\t' || buf[off] == '\r' || buf[off] == '\n'))
        off++;
    rc = 1;
    if (off < len && (buf[off] == '{' || buf[off] == '['))
        rc = parse_json(buf, len, off, source, *docs, err);
    if (rc == 1) {
        json_array_clear(*docs);
        rc = parse_yaml(buf, len, source, *docs, err);
    }
    if (rc) {
        json_decref(*docs);
        *docs = NULL;
    }
    return rc;
}

int pt_read_file(const char *path, size_t max_bytes, char **buf, size_t *len, struct pt_error *err)
{
    int is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    char *data = NULL;
    size_t used = 0, cap = 0;
    *buf = NULL;
    *len = 0;
    if (!f)
        return pt_error_setpos(err, PT_EIO, path, 0, 0, "%s", strerror(errno));
    for (;;) {
        if (cap - used < 2) {
            size_t ncap = cap ? cap * 2 : 65536;
            if (ncap > max_bytes + 2)
                ncap = max_bytes + 2;
            if (ncap <= cap) {
                pt_error_setpos(err, PT_ERANGE, is_stdin ? "<stdin>" : path, 0, 0,
                                "larger than %zu bytes", max_bytes);
                goto fail_range;
            }
            char *n = realloc(data, ncap);
            if (!n) {
                pt_error_set(err, PT_ENOMEM, "out of memory");
                goto fail_nomem;
            }
            data = n;
            cap = ncap;
        }
        size_t got = fread(data + used, 1, cap - used - 1, f);
        used += got;
        if (used > max_bytes) {
            pt_error_setpos(err, PT_ERANGE, is_stdin ? "<stdin>" : path, 0, 0,
                            "larger than %zu bytes", max_bytes);
            goto fail_range;
        }
        if (got == 0) {
            if (ferror(f)) {
                pt_error_setpos(err, PT_EIO, is_stdin ? "<stdin>" : path, 0, 0, "%s",
                                strerror(errno));
                goto fail_io;
            }
            break;
        }
    }
    if (!is_stdin)
        fclose(f);
    if (!data && !(data = malloc(1))) {
        return pt_error_set(err, PT_ENOMEM, "out of memory");
    }
    data[used] = '\0';
    *buf = data;
    *len = used;
    return 0;
fail_range:
    if (!is_stdin)
        fclose(f);
    free(data);
    return PT_ERANGE;
fail_nomem:
    if (!is_stdin)
        fclose(f);
    free(data);
    return PT_ENOMEM;
fail_io:
    if (!is_stdin)
        fclose(f);
    free(data);
    return PT_EIO;
}

int pt_manifest_read_file(const char *path, json_t **docs, struct pt_error *err)
{
    char *buf;
    size_t len;
    *docs = NULL;
    int rc = pt_read_file(path, PT_MANIFEST_MAX_BYTES, &buf, &len, err);
    if (rc)
        return rc;
    rc = pt_manifest_parse(buf, len, strcmp(path, "-") == 0 ? "<stdin>" : path, docs, err);
    free(buf);
    return rc;
}

/* ---- JSON → YAML ---------------------------------------------------------- */

struct sink {
    FILE *file;
    char *buf;
    size_t len, cap;
};

static int sink_write(void *data, unsigned char *bytes, size_t size)
{
    struct sink *s = data;
    if (s->file)
        return fwrite(bytes, 1, size, s->file) == size;
    if (s->len + size + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 1024;
        while (cap < s->len + size + 1)
            cap *= 2;
        char *n = realloc(s->buf, cap);
        if (!n)
            return 0;
        s->buf = n;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, bytes, size);
    s->len += size;
    s->buf[s->len] = '\0';
    return 1;
}

/* "2001-12-14…": go-yaml reads these as timestamps; quote them. */
static int timestamp_like(const char *s, size_t len)
{
    return len >= 5 && is_digit_in(s[0], 10) && is_digit_in(s[1], 10) && is_digit_in(s[2], 10) &&
           is_digit_in(s[3], 10) && s[4] == '-';
}

/* "1:20" and friends: YAML 1.1 sexagesimal numbers, quoted by go-yaml. */
static int base60_like(const char *s, size_t len)
{
    size_t i = 0;
    int colons = 0;
    if (i < len && (s[i] == '+' || s[i] == '-'))
        i++;
    if (i >= len || !is_digit_in(s[i], 10))
        return 0;
    for (; i < len; i++) {
        if (s[i] == ':')
            colons++;
        else if (!is_digit_in(s[i], 10) && s[i] != '_' && s[i] != '.')
            return 0;
    }
    return colons > 0;
}

/* True if the string holds characters a YAML reader treats as line breaks
 * other than "\n" (CR, NEL, LS, PS) or a BOM: those go double-quoted, where
 * libyaml escapes them. */
static int has_odd_breaks(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\r' || c == '\0')
            return 1;
        if (c == 0xC2 && i + 1 < len && (unsigned char)s[i + 1] == 0x85)
            return 1;
        if (c == 0xE2 && i + 2 < len && (unsigned char)s[i + 1] == 0x80 &&
            ((unsigned char)s[i + 2] == 0xA8 || (unsigned char)s[i + 2] == 0xA9))
            return 1;
        if (c == 0xEF && i + 2 < len && (unsigned char)s[i + 1] == 0xBB &&
            (unsigned char)s[i + 2] == 0xBF)
            return 1;
    }
    return 0;
}

/* A literal block keeps the text exactly when no line ends in blanks and
 * nothing needs escaping; libyaml checks the rest and falls back to double
 * quotes itself. */
static int literal_ok(const char *s, size_t len)
{
    if (!memchr(s, '\n', len))
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\t' || ((c == ' ') && (i + 1 == len || s[i + 1] == '\n')))
            return 0;
    }
    return 1;
}

static yaml_scalar_style_t string_style(const char *s, size_t len)
{
    struct scalar sc;
    if (resolve_plain(s, len, &sc) != K_STRING || timestamp_like(s, len) || base60_like(s, len))
        return YAML_DOUBLE_QUOTED_SCALAR_STYLE;
    if (has_odd_breaks(s, len))
        return YAML_DOUBLE_QUOTED_SCALAR_STYLE;
    if (memchr(s, '\n', len))
        return literal_ok(s, len) ? YAML_LITERAL_SCALAR_STYLE : YAML_DOUBLE_QUOTED_SCALAR_STYLE;
    return YAML_PLAIN_SCALAR_STYLE; /* libyaml picks quotes if plain is not possible */
}

/* Shortest text that reads back as the same double, and as a float: plain
 * decimals ("1000.0", "0.25") for ordinary magnitudes, exponents otherwise. */
static void format_real(double d, char *buf, size_t len)
{
    double a = fabs(d);
    if (a == 0 || (a >= 1e-4 && a < 1e16)) {
        for (int prec = 1; prec <= 20; prec++) {
            snprintf(buf, len, "%.*f", prec, d);
            if (strtod(buf, NULL) == d)
                return;
        }
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, len, "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    if (!strpbrk(buf, ".e")) {
        size_t l = strlen(buf);
        snprintf(buf + l, len - l, ".0");
    }
}

static int emit_scalar(yaml_emitter_t *e, const char *s, size_t len, yaml_scalar_style_t style)
{
    yaml_event_t ev;
    if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)len, 1, 1, style))
        return PT_ENOMEM;
    return yaml_emitter_emit(e, &ev) ? 0 : PT_EIO;
}

static int emit_value(yaml_emitter_t *e, const json_t *v)
{
    yaml_event_t ev;
    char num[64];
    switch (json_typeof(v)) {
    case JSON_NULL: return emit_scalar(e, "null", 4, YAML_PLAIN_SCALAR_STYLE);
    case JSON_TRUE: return emit_scalar(e, "true", 4, YAML_PLAIN_SCALAR_STYLE);
    case JSON_FALSE: return emit_scalar(e, "false", 5, YAML_PLAIN_SCALAR_STYLE);
    case JSON_INTEGER:
        snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return emit_scalar(e, num, strlen(num), YAML_PLAIN_SCALAR_STYLE);
    case JSON_REAL:
        format_real(json_real_value(v), num, sizeof(num));
        return emit_scalar(e, num, strlen(num), YAML_PLAIN_SCALAR_STYLE);
    case JSON_STRING: {
        const char *s = json_string_value(v);
        size_t len = json_string_length(v);
        return emit_scalar(e, s, len, string_style(s, len));
    }
    case JSON_ARRAY: {
        int flow = json_array_size(v) == 0;
        if (!yaml_sequence_start_event_initialize(
                &ev, NULL, NULL, 1, flow ? YAML_FLOW_SEQUENCE_STYLE : YAML_BLOCK_SEQUENCE_STYLE) ||
            !yaml_emitter_emit(e, &ev))
            return PT_EIO;
        for (size_t i = 0; i < json_array_size(v); i++) {
            int rc = emit_value(e, json_array_get(v, i));
            if (rc)
                return rc;
        }
        if (!yaml_sequence_end_event_initialize(&ev) || !yaml_emitter_emit(e, &ev))
            return PT_EIO;
        return 0;
    }
    case JSON_OBJECT: {
        int flow = json_object_size(v) == 0;
        if (!yaml_mapping_start_event_initialize(
                &ev, NULL, NULL, 1, flow ? YAML_FLOW_MAPPING_STYLE : YAML_BLOCK_MAPPING_STYLE) ||
            !yaml_emitter_emit(e, &ev))
            return PT_EIO;
        for (void *it = json_object_iter((json_t *)v); it;
             it = json_object_iter_next((json_t *)v, it)) {
            const char *k = json_object_iter_key(it);
            size_t kl = json_object_iter_key_len(it);
            int rc = emit_scalar(e, k, kl, string_style(k, kl));
            if (!rc)
                rc = emit_value(e, json_object_iter_value(it));
            if (rc)
                return rc;
        }
        if (!yaml_mapping_end_event_initialize(&ev) || !yaml_emitter_emit(e, &ev))
            return PT_EIO;
        return 0;
    }
    }
    return PT_EIO;
}

static int write_yaml(struct sink *s, const json_t *v)
{
    yaml_emitter_t e;
    yaml_event_t ev;
    int rc = PT_EIO;
    if (!v || !yaml_emitter_initialize(&e))
        return PT_EIO;
    yaml_emitter_set_output(&e, sink_write, s);
    yaml_emitter_set_unicode(&e, 1);
    yaml_emitter_set_indent(&e, 2);
    yaml_emitter_set_width(&e, -1); /* never fold long lines */
    yaml_emitter_set_break(&e, YAML_LN_BREAK);
    if (!yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) || !yaml_emitter_emit(&e, &ev))
        goto done;
    if (!yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) ||
        !yaml_emitter_emit(&e, &ev))
        goto done;
    if ((rc = emit_value(&e, v)))
        goto done;
    rc = PT_EIO;
    if (!yaml_document_end_event_initialize(&ev, 1) || !yaml_emitter_emit(&e, &ev))
        goto done;
    if (!yaml_stream_end_event_initialize(&ev) || !yaml_emitter_emit(&e, &ev) ||
        !yaml_emitter_flush(&e))
        goto done;
    rc = 0;
done:
    yaml_emitter_delete(&e);
    return rc;
}

int pt_manifest_write_yaml(FILE *out, const json_t *v)
{
    struct sink s = {.file = out};
    int rc = write_yaml(&s, v);
    if (rc == 0 && (fflush(out) != 0 || ferror(out)))
        rc = PT_EIO;
    return rc ? PT_EIO : 0;
}

char *pt_manifest_to_yaml(const json_t *v)
{
    struct sink s = {0};
    if (write_yaml(&s, v)) {
        free(s.buf);
        return NULL;
    }
    return s.buf;
}
