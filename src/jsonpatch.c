/* jsonpatch.c — RFC 6901 pointers and RFC 6902 patches: diff two documents, apply a patch. */
#include "podtune/jsonpatch.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- pointers ---------------------------------------------------------- */

int pt_pointer_append(char *buf, size_t len, const char *token)
{
    size_t used = strnlen(buf, len);
    size_t need = 1;
    if (used == len)
        return PT_ERANGE;
    for (const char *p = token; *p; p++)
        need += (*p == '~' || *p == '/') ? 2 : 1;
    if (used + need + 1 > len)
        return PT_ERANGE;
    char *w = buf + used;
    *w++ = '/';
    for (const char *p = token; *p; p++) {
        if (*p == '~') {
            *w++ = '~';
            *w++ = '0';
        } else if (*p == '/') {
            *w++ = '~';
            *w++ = '1';
        } else {
            *w++ = *p;
        }
    }
    *w = '\0';
    return 0;
}

/* A parsed pointer: tokens unescaped, each NUL-terminated, stored in one
 * heap block the struct owns. */
struct pointer {
    size_t n;
    char **tok;
    char *store;
};

static void pointer_free(struct pointer *p)
{
    free(p->tok);
    free(p->store);
    p->tok = NULL;
    p->store = NULL;
    p->n = 0;
}

/* Splits s into unescaped tokens. Returns 0, PT_EINVAL (no leading "/", bad
 * "~" escape) or PT_ENOMEM; why says which. */
static int pointer_parse(const char *s, struct pointer *p, const char **why)
{
    size_t len = strlen(s);
    p->n = 0;
    p->tok = NULL;
    p->store = NULL;
    if (len == 0)
        return 0;
    if (s[0] != '/') {
        *why = "a pointer must be empty or start with \"/\"";
        return PT_EINVAL;
    }
    size_t count = 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] == '/')
            count++;
    p->store = malloc(len + 1);
    p->tok = calloc(count, sizeof(*p->tok));
    if (!p->store || !p->tok) {
        pointer_free(p);
        *why = "out of memory";
        return PT_ENOMEM;
    }
    char *w = p->store;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '/') {
            if (p->n)
                *w++ = '\0';
            p->tok[p->n++] = w;
        } else if (s[i] == '~') {
            if (i + 1 < len && (s[i + 1] == '0' || s[i + 1] == '1')) {
                *w++ = s[i + 1] == '0' ? '~' : '/';
                i++;
            } else {
                pointer_free(p);
                *why = "\"~\" must be followed by \"0\" or \"1\"";
                return PT_EINVAL;
            }
        } else {
            *w++ = s[i];
        }
    }
    *w = '\0';
    return 0;
}

/* Parses an array index token: decimal digits, no leading zeros, no sign.
 * Returns 0 and *idx, or PT_EINVAL. */
static int parse_index(const char *tok, size_t *idx)
{
    size_t v = 0;
    if (!tok[0] || (tok[0] == '0' && tok[1]))
        return PT_EINVAL;
    for (const char *c = tok; *c; c++) {
        if (*c < '0' || *c > '9')
            return PT_EINVAL;
        if (v > (SIZE_MAX - 9) / 10)
            return PT_EINVAL;
        v = v * 10 + (size_t)(*c - '0');
    }
    *idx = v;
    return 0;
}

/* Walks tokens [0, n) from doc; returns the borrowed node or NULL. */
static json_t *walk(const json_t *doc, char *const *tok, size_t n)
{
    json_t *cur = (json_t *)doc;
    for (size_t i = 0; cur && i < n; i++) {
        if (json_is_object(cur)) {
            cur = json_object_get(cur, tok[i]);
        } else if (json_is_array(cur)) {
            size_t idx;
            if (parse_index(tok[i], &idx) || idx >= json_array_size(cur))
                return NULL;
            cur = json_array_get(cur, idx);
        } else {
            return NULL;
        }
    }
    return cur;
}

json_t *pt_pointer_get(const json_t *doc, const char *pointer)
{
    struct pointer p;
    const char *why;
    if (!doc || !pointer || pointer_parse(pointer, &p, &why))
        return NULL;
    json_t *r = walk(doc, p.tok, p.n);
    pointer_free(&p);
    return r;
}

/* ---- equality ---------------------------------------------------------- */

/* Deep equality with JSON number semantics: 1 equals 1.0 (jansson's
 * json_equal treats integer and real as different types). */
static int value_equal(const json_t *a, const json_t *b)
{
    if (json_is_number(a) && json_is_number(b)) {
        if (json_is_integer(a) && json_is_integer(b))
            return json_integer_value(a) == json_integer_value(b);
        if (json_is_real(a) && json_is_real(b))
            return json_real_value(a) == json_real_value(b);
        const json_t *i = json_is_integer(a) ? a : b;
        const json_t *r = json_is_integer(a) ? b : a;
        double d = json_real_value(r);
        /* Compare exactly: the real must be integral and in range. */
        if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0))
            return 0;
        return (double)(json_int_t)d == d && (json_int_t)d == json_integer_value(i);
    }
    if (json_typeof(a) != json_typeof(b))
        return 0;
    if (json_is_array(a)) {
        size_t n = json_array_size(a);
        if (n != json_array_size(b))
            return 0;
        for (size_t k = 0; k < n; k++)
            if (!value_equal(json_array_get(a, k), json_array_get(b, k)))
                return 0;
        return 1;
    }
    if (json_is_object(a)) {
        if (json_object_size(a) != json_object_size(b))
            return 0;
        for (void *it = json_object_iter((json_t *)a); it;
             it = json_object_iter_next((json_t *)a, it)) {
            json_t *other =
                json_object_getn(b, json_object_iter_key(it), json_object_iter_key_len(it));
            if (!other || !value_equal(json_object_iter_value(it), other))
                return 0;
        }
        return 1;
    }
    return json_equal(a, b);
}

/* ---- diff -------------------------------------------------------------- */

/* A growable pointer string; len excludes the NUL. */
struct path {
    char *s;
    size_t len, cap;
};

static int path_push(struct path *p, const char *token, size_t toklen)
{
    size_t need = p->len + 2 * toklen + 2;
    if (need > p->cap) {
        size_t cap = p->cap ? p->cap : 64;
        while (cap < need)
            cap *= 2;
        char *s = realloc(p->s, cap);
        if (!s)
            return PT_ENOMEM;
        p->s = s;
        p->cap = cap;
    }
    p->s[p->len++] = '/';
    for (size_t i = 0; i < toklen; i++) {
        char c = token[i];
        if (c == '~' || c == '/') {
            p->s[p->len++] = '~';
            p->s[p->len++] = c == '~' ? '0' : '1';
        } else {
            p->s[p->len++] = c;
        }
    }
    p->s[p->len] = '\0';
    return 0;
}

static int path_push_index(struct path *p, size_t idx)
{
    char num[32];
    int n = snprintf(num, sizeof(num), "%zu", idx);
    return path_push(p, num, (size_t)n);
}

/* Appends {"op", "path", "value"} to ops; value is deep-copied (may be NULL). */
static int emit(json_t *ops, const char *op, const struct path *p, const json_t *value)
{
    json_t *o = json_object();
    if (!o)
        return PT_ENOMEM;
    if (json_object_set_new(o, "op", json_string(op)) ||
        json_object_set_new(o, "path", json_stringn(p->len ? p->s : "", p->len)))
        goto fail;
    if (value && json_object_set_new(o, "value", json_deep_copy(value)))
        goto fail;
    if (json_array_append_new(ops, o))
        return PT_ENOMEM;
    return 0;
fail:
    json_decref(o);
    return PT_ENOMEM;
}

static int diff_value(json_t *ops, struct path *p, const json_t *from, const json_t *to);

static int diff_object(json_t *ops, struct path *p, const json_t *from, const json_t *to)
{
    size_t base = p->len;
    /* Removes first, in from's key order. */
    for (void *it = json_object_iter((json_t *)from); it;
         it = json_object_iter_next((json_t *)from, it)) {
        const char *k = json_object_iter_key(it);
        size_t klen = json_object_iter_key_len(it);
        if (json_object_getn(to, k, klen))
            continue;
        if (path_push(p, k, klen) || emit(ops, "remove", p, NULL))
            return PT_ENOMEM;
        p->len = base;
        p->s[base] = '\0';
    }
    /* Then changes and adds, in to's key order. */
    for (void *it = json_object_iter((json_t *)to); it;
         it = json_object_iter_next((json_t *)to, it)) {
        const char *k = json_object_iter_key(it);
        size_t klen = json_object_iter_key_len(it);
        json_t *old = json_object_getn(from, k, klen);
        if (path_push(p, k, klen))
            return PT_ENOMEM;
        int rc = old ? diff_value(ops, p, old, json_object_iter_value(it))
                     : emit(ops, "add", p, json_object_iter_value(it));
        if (rc)
            return rc;
        p->len = base;
        p->s[base] = '\0';
    }
    return 0;
}

static int diff_array(json_t *ops, struct path *p, const json_t *from, const json_t *to)
{
    size_t n = json_array_size(from), m = json_array_size(to);
    size_t pre = 0, suf = 0;
    while (pre < n && pre < m && json_equal(json_array_get(from, pre), json_array_get(to, pre)))
        pre++;
    while (suf < n - pre && suf < m - pre &&
           json_equal(json_array_get(from, n - 1 - suf), json_array_get(to, m - 1 - suf)))
        suf++;
    size_t a = n - pre - suf, b = m - pre - suf;
    size_t paired = a < b ? a : b;
    size_t base = p->len;
    for (size_t i = 0; i < paired; i++) {
        if (path_push_index(p, pre + i))
            return PT_ENOMEM;
        int rc = diff_value(ops, p, json_array_get(from, pre + i), json_array_get(to, pre + i));
        if (rc)
            return rc;
        p->len = base;
        p->s[base] = '\0';
    }
    /* Inserted elements: explicit indices in increasing order (index ==
     * length appends), so every op names the final position of its value. */
    for (size_t i = paired; i < b; i++) {
        if (path_push_index(p, pre + i) || emit(ops, "add", p, json_array_get(to, pre + i)))
            return PT_ENOMEM;
        p->len = base;
        p->s[base] = '\0';
    }
    /* Removed elements: highest index first so the others keep their index. */
    for (size_t i = a; i > paired; i--) {
        if (path_push_index(p, pre + i - 1) || emit(ops, "remove", p, NULL))
            return PT_ENOMEM;
        p->len = base;
        p->s[base] = '\0';
    }
    return 0;
}

static int diff_value(json_t *ops, struct path *p, const json_t *from, const json_t *to)
{
    if (json_is_object(from) && json_is_object(to))
        return diff_object(ops, p, from, to);
    if (json_is_array(from) && json_is_array(to))
        return diff_array(ops, p, from, to);
    /* Exact comparison: 1 → 1.0 is a change, so the result equals `to`
     * under json_equal too. */
    if (json_equal(from, to))
        return 0;
    return emit(ops, "replace", p, to);
}

json_t *pt_patch_diff(const json_t *from, const json_t *to)
{
    struct path p = {0};
    json_t *ops = json_array();
    if (!ops || !from || !to)
        goto fail;
    if (diff_value(ops, &p, from, to))
        goto fail;
    free(p.s);
    return ops;
fail:
    free(p.s);
    json_decref(ops);
    return NULL;
}

/* ---- apply ------------------------------------------------------------- */

/* What one operation is working on, for error messages. */
struct opctx {
    size_t index;
    const char *op;
    const char *path;
    struct pt_error *err;
};

static int op_fail(const struct opctx *c, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int op_fail(const struct opctx *c, int code, const char *fmt, ...)
{
    char msg[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (c->op && c->path)
        return pt_error_set(c->err, code, "operation %zu (%s %s): %s", c->index, c->op,
                            c->path[0] ? c->path : "\"\"", msg);
    return pt_error_set(c->err, code, "operation %zu: %s", c->index, msg);
}

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

/* Resolves the parent of the pointer's last token. On failure reports which
 * prefix is missing. */
static int find_parent(const struct opctx *c, json_t *doc, const struct pointer *ptr,
                       json_t **parent)
{
    json_t *cur = doc;
    for (size_t i = 0; i + 1 < ptr->n; i++) {
        json_t *next = NULL;
        if (json_is_object(cur)) {
            next = json_object_get(cur, ptr->tok[i]);
            if (!next)
                return op_fail(c, PT_EINVAL, "member \"%s\" does not exist", ptr->tok[i]);
        } else if (json_is_array(cur)) {
            size_t idx;
            if (parse_index(ptr->tok[i], &idx))
                return op_fail(c, PT_EINVAL, "\"%s\" is not an array index", ptr->tok[i]);
            if (idx >= json_array_size(cur))
                return op_fail(c, PT_EINVAL, "index %zu is past the end of an array of %zu", idx,
                               json_array_size(cur));
            next = json_array_get(cur, idx);
        } else {
            return op_fail(c, PT_EINVAL, "cannot descend into %s at \"%s\"", type_name(cur),
                           ptr->tok[i]);
        }
        cur = next;
    }
    *parent = cur;
    return 0;
}

/* Inserts value (takes the reference) at ptr in *doc. */
static int do_add(const struct opctx *c, json_t **doc, const struct pointer *ptr, json_t *value)
{
    json_t *parent;
    if (ptr->n == 0) {
        json_decref(*doc);
        *doc = value;
        return 0;
    }
    if (find_parent(c, *doc, ptr, &parent))
        goto fail;
    const char *last = ptr->tok[ptr->n - 1];
    if (json_is_object(parent)) {
        if (json_object_set_new(parent, last, value))
            return op_fail(c, PT_ENOMEM, "out of memory");
        return 0;
    }
    if (json_is_array(parent)) {
        size_t size = json_array_size(parent), idx;
        if (strcmp(last, "-") == 0) {
            idx = size;
        } else if (parse_index(last, &idx)) {
            op_fail(c, PT_EINVAL, "\"%s\" is not an array index", last);
            goto fail;
        } else if (idx > size) {
            op_fail(c, PT_EINVAL, "index %zu is past the end of an array of %zu", idx, size);
            goto fail;
        }
        if (json_array_insert_new(parent, idx, value))
            return op_fail(c, PT_ENOMEM, "out of memory");
        return 0;
    }
    op_fail(c, PT_EINVAL, "cannot add a member to %s", type_name(parent));
fail:
    json_decref(value);
    return PT_EINVAL;
}

/* Detaches the value at ptr; on success *removed is a new reference. */
static int do_remove(const struct opctx *c, json_t *doc, const struct pointer *ptr,
                     json_t **removed)
{
    json_t *parent;
    if (ptr->n == 0)
        return op_fail(c, PT_EINVAL, "cannot remove the whole document");
    if (find_parent(c, doc, ptr, &parent))
        return PT_EINVAL;
    const char *last = ptr->tok[ptr->n - 1];
    if (json_is_object(parent)) {
        json_t *v = json_object_get(parent, last);
        if (!v)
            return op_fail(c, PT_EINVAL, "member \"%s\" does not exist", last);
        *removed = json_incref(v);
        json_object_del(parent, last);
        return 0;
    }
    if (json_is_array(parent)) {
        size_t idx;
        if (parse_index(last, &idx))
            return op_fail(c, PT_EINVAL, "\"%s\" is not an array index", last);
        if (idx >= json_array_size(parent))
            return op_fail(c, PT_EINVAL, "index %zu is past the end of an array of %zu", idx,
                           json_array_size(parent));
        *removed = json_incref(json_array_get(parent, idx));
        json_array_remove(parent, idx);
        return 0;
    }
    return op_fail(c, PT_EINVAL, "cannot remove a member of %s", type_name(parent));
}

/* Returns the borrowed target of ptr or NULL after reporting why. */
static json_t *get_target(const struct opctx *c, json_t *doc, const struct pointer *ptr)
{
    json_t *parent;
    if (ptr->n == 0)
        return doc;
    if (find_parent(c, doc, ptr, &parent))
        return NULL;
    const char *last = ptr->tok[ptr->n - 1];
    if (json_is_object(parent)) {
        json_t *v = json_object_get(parent, last);
        if (!v)
            op_fail(c, PT_EINVAL, "member \"%s\" does not exist", last);
        return v;
    }
    if (json_is_array(parent)) {
        size_t idx;
        if (parse_index(last, &idx)) {
            op_fail(c, PT_EINVAL, "\"%s\" is not an array index", last);
            return NULL;
        }
        if (idx >= json_array_size(parent)) {
            op_fail(c, PT_EINVAL, "index %zu is past the end of an array of %zu", idx,
                    json_array_size(parent));
            return NULL;
        }
        return json_array_get(parent, idx);
    }
    op_fail(c, PT_EINVAL, "cannot descend into %s at \"%s\"", type_name(parent), last);
    return NULL;
}

/* Reads a string member of an operation; NULL if absent or not a string. */
static const char *op_string(const struct opctx *c, const json_t *op, const char *key)
{
    json_t *v = json_object_get(op, key);
    if (!v) {
        op_fail(c, PT_EINVAL, "missing \"%s\"", key);
        return NULL;
    }
    if (!json_is_string(v)) {
        op_fail(c, PT_EINVAL, "\"%s\" is %s, not a string", key, type_name(v));
        return NULL;
    }
    return json_string_value(v);
}

static int parse_op_pointer(const struct opctx *c, const char *s, const char *which,
                            struct pointer *p)
{
    const char *why = NULL;
    int rc = pointer_parse(s, p, &why);
    if (rc)
        return op_fail(c, rc, "bad %s pointer \"%s\": %s", which, s, why);
    return 0;
}

/* "add" of a deep copy of value at path (the add and copy operations). */
static int add_copy_of(const struct opctx *c, json_t **doc, const struct pointer *path,
                       const json_t *value)
{
    json_t *v = json_deep_copy(value);

    if (!v)
        return op_fail(c, PT_ENOMEM, "out of memory");
    return do_add(c, doc, path, v);
}

/* Applies one operation to *doc (which it may replace). */
static int apply_one(struct opctx *c, json_t **doc, const json_t *op)
{
    struct pointer path = {0}, from = {0};
    json_t *v = NULL;
    int rc = PT_EINVAL;

    if (!json_is_object(op))
        return op_fail(c, PT_EINVAL, "an operation must be an object, not %s", type_name(op));
    const char *name = op_string(c, op, "op");
    if (!name)
        return PT_EINVAL;
    const char *spath = op_string(c, op, "path");
    if (!spath)
        return PT_EINVAL;
    c->op = name;
    c->path = spath;
    if (parse_op_pointer(c, spath, "path", &path))
        return PT_EINVAL;

    if (strcmp(name, "add") == 0 || strcmp(name, "replace") == 0 || strcmp(name, "test") == 0) {
        json_t *value = json_object_get(op, "value");
        if (!value) {
            op_fail(c, PT_EINVAL, "missing \"value\"");
            goto fail;
        }
        if (name[0] == 'a') {
            if ((rc = add_copy_of(c, doc, &path, value)))
                goto fail;
        } else if (name[0] == 'r') {
            json_t *old = get_target(c, *doc, &path);
            if (!old)
                goto fail;
            if (!(v = json_deep_copy(value))) {
                rc = op_fail(c, PT_ENOMEM, "out of memory");
                goto fail;
            }
            if (path.n == 0) {
                json_decref(*doc);
                *doc = v;
                v = NULL;
            } else {
                /* Replace in place: an object member keeps its position. */
                json_t *parent;
                const char *last = path.tok[path.n - 1];
                size_t idx = 0;
                /* get_target above has checked both already. */
                find_parent(c, *doc, &path, &parent);
                if (json_is_object(parent)) {
                    rc = json_object_set_new(parent, last, v);
                } else {
                    parse_index(last, &idx);
                    rc = json_array_set_new(parent, idx, v);
                }
                v = NULL;
                if (rc) {
                    rc = op_fail(c, PT_ENOMEM, "out of memory");
                    goto fail;
                }
            }
        } else {
            json_t *cur = get_target(c, *doc, &path);
            if (!cur)
                goto fail;
            if (!value_equal(cur, value)) {
                op_fail(c, PT_EINVAL, "test failed: the value is different");
                goto fail;
            }
        }
    } else if (strcmp(name, "remove") == 0) {
        if ((rc = do_remove(c, *doc, &path, &v)))
            goto fail;
        json_decref(v);
        v = NULL;
    } else if (strcmp(name, "move") == 0 || strcmp(name, "copy") == 0) {
        const char *sfrom = op_string(c, op, "from");
        if (!sfrom || parse_op_pointer(c, sfrom, "from", &from))
            goto fail;
        json_t *src = get_target(c, *doc, &from);
        if (!src)
            goto fail;
        if (name[0] == 'c') {
            if ((rc = add_copy_of(c, doc, &path, src)))
                goto fail;
        } else if (strcmp(sfrom, spath) != 0) {
            size_t fl = strlen(sfrom);
            if (strncmp(spath, sfrom, fl) == 0 && spath[fl] == '/') {
                op_fail(c, PT_EINVAL, "cannot move \"%s\" into its own child", sfrom);
                goto fail;
            }
            if (from.n == 0) {
                op_fail(c, PT_EINVAL, "cannot move the whole document");
                goto fail;
            }
            if ((rc = do_remove(c, *doc, &from, &v)))
                goto fail;
            rc = do_add(c, doc, &path, v);
            v = NULL;
            if (rc)
                goto fail;
        }
    } else {
        op_fail(c, PT_EINVAL, "unknown operation \"%s\"", name);
        goto fail;
    }
    pointer_free(&path);
    pointer_free(&from);
    return 0;
fail:
    json_decref(v);
    pointer_free(&path);
    pointer_free(&from);
    return rc ? rc : PT_EINVAL;
}

int pt_patch_apply(const json_t *doc, const json_t *patch, json_t **out, struct pt_error *err)
{
    json_t *work = NULL;
    *out = NULL;
    if (!doc)
        return pt_error_set(err, PT_EINVAL, "no document to patch");
    if (!json_is_array(patch))
        return pt_error_set(err, PT_EINVAL, "a patch must be a JSON array of operations");
    if (!(work = json_deep_copy(doc)))
        return pt_error_set(err, PT_ENOMEM, "out of memory");
    for (size_t i = 0; i < json_array_size(patch); i++) {
        struct opctx c = {.index = i, .err = err};
        int rc = apply_one(&c, &work, json_array_get(patch, i));
        if (rc) {
            json_decref(work);
            return rc;
        }
    }
    *out = work;
    return 0;
}
