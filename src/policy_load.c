/* policy_load.c — finds policy files (recursively, ConfigMap-aware) and turns their YAML into
 * positioned node trees. */
#include "policy_internal.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "podtune/error.h"
#include "podtune/utf8.h"

#define MAX_FILE_BYTES (4u << 20) /* a ConfigMap holds at most 1 MiB; leave room */
#define MAX_NESTING    64         /* deeper than any sane profile */
#define MAX_NODES      200000     /* per document, counting alias expansions */
#define MAX_DIR_DEPTH  32

/* ---- node tree ---------------------------------------------------------- */

void pt_policy__ynode_free(struct pt_ynode *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < (n->kind == PT_YNODE_MAP ? 2 * n->n : n->n); i++)
        pt_policy__ynode_free(n->items[i]);
    free(n->items);
    free(n->text);
    free(n);
}

struct conv {
    yaml_document_t *doc;
    const char *file;
    struct pt_diags *d;
    size_t nodes;
    int failed; /* a fatal problem (size, depth) was reported: drop the document */
    int nomem;
};

static const char *default_tag(yaml_node_type_t t)
{
    if (t == YAML_SCALAR_NODE)
        return YAML_DEFAULT_SCALAR_TAG;
    if (t == YAML_SEQUENCE_NODE)
        return YAML_DEFAULT_SEQUENCE_TAG;
    return YAML_DEFAULT_MAPPING_TAG;
}

static void conv_error(struct conv *c, int line, int col, const char *fmt, const char *arg)
{
    if (pt_policy__diag(c->d, PT_SEV_ERROR, c->file, line, col, fmt, arg) != 0)
        c->nomem = 1;
}

static struct pt_ynode *convert(struct conv *c, yaml_node_t *yn, int depth);

/* Appends the converted pairs of a mapping, dropping (and reporting) non-scalar
 * and duplicate keys. */
static int convert_pairs(struct conv *c, yaml_node_t *yn, struct pt_ynode *n, int depth)
{
    size_t cap = (size_t)(yn->data.mapping.pairs.top - yn->data.mapping.pairs.start);
    json_t *seen = json_object();

    n->items = calloc(cap ? 2 * cap : 1, sizeof(*n->items));
    if (!seen || !n->items) {
        json_decref(seen);
        c->nomem = 1;
        return PT_ENOMEM;
    }
    for (yaml_node_pair_t *p = yn->data.mapping.pairs.start; p < yn->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
        yaml_node_t *v = yaml_document_get_node(c->doc, p->value);
        struct pt_ynode *kn, *vn;
        json_t *first;

        if (!k || !v)
            continue;
        if (k->type != YAML_SCALAR_NODE) {
            conv_error(c, (int)k->start_mark.line + 1, (int)k->start_mark.column + 1,
                       "mapping keys must be strings%s", "");
            continue;
        }
        kn = convert(c, k, depth + 1);
        if (!kn)
            break;
        first = json_object_get(seen, kn->text);
        if (first) {
            const struct pt_ynode *fk = n->items[2 * json_integer_value(first)];
            if (pt_policy__diag(c->d, PT_SEV_ERROR, c->file, kn->line, kn->col,
                                "duplicate key '%s' (first at line %d, column %d)", kn->text,
                                fk->line, fk->col) != 0)
                c->nomem = 1;
            pt_policy__ynode_free(kn);
            continue;
        }
        if (json_object_set_new(seen, kn->text, json_integer((json_int_t)n->n)) != 0) {
            /* not valid UTF-8 is impossible here (libyaml checked); treat as memory */
            pt_policy__ynode_free(kn);
            c->nomem = 1;
            break;
        }
        vn = convert(c, v, depth + 1);
        if (!vn) {
            pt_policy__ynode_free(kn);
            break;
        }
        n->items[2 * n->n] = kn;
        n->items[2 * n->n + 1] = vn;
        n->n++;
    }
    json_decref(seen);
    return c->nomem ? PT_ENOMEM : 0;
}

/* Copies a libyaml node (and what it refers to) into a pt_ynode tree. NULL
 * when the document must be dropped (c->failed or c->nomem says why). */
static struct pt_ynode *convert(struct conv *c, yaml_node_t *yn, int depth)
{
    struct pt_ynode *n;
    int line = (int)yn->start_mark.line + 1, col = (int)yn->start_mark.column + 1;

    if (c->failed || c->nomem)
        return NULL;
    if (depth > MAX_NESTING) {
        conv_error(c, line, col, "nesting is deeper than %s levels", "64");
        c->failed = 1;
        return NULL;
    }
    if (++c->nodes > MAX_NODES) {
        conv_error(c, line, col,
                   "document has more than %s nodes (an alias counts again each time it is used)",
                   "200000");
        c->failed = 1;
        return NULL;
    }
    if (yn->tag && strcmp((const char *)yn->tag, default_tag(yn->type)) != 0) {
        const char *tag = (const char *)yn->tag;
        int core = strncmp(tag, "tag:yaml.org,2002:", 18) == 0;
        conv_error(c, line, col,
                   core ? "YAML tags are not supported ('!!%s')"
                        : "YAML tags are not supported ('%s')",
                   core ? tag + 18 : tag);
        c->failed = 1; /* the value's meaning is unknown: don't validate it further */
        return NULL;
    }
    n = calloc(1, sizeof(*n));
    if (!n) {
        c->nomem = 1;
        return NULL;
    }
    n->line = line;
    n->col = col;
    switch (yn->type) {
    case YAML_SCALAR_NODE:
        n->kind = PT_YNODE_SCALAR;
        if (memchr(yn->data.scalar.value, '\0', yn->data.scalar.length)) {
            conv_error(c, line, col, "strings must not contain NUL characters%s", "");
            c->failed = 1;
            goto fail;
        }
        n->text = strndup((const char *)yn->data.scalar.value, yn->data.scalar.length);
        if (!n->text) {
            c->nomem = 1;
            goto fail;
        }
        n->plain = yn->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        return n;
    case YAML_SEQUENCE_NODE: {
        size_t cap = (size_t)(yn->data.sequence.items.top - yn->data.sequence.items.start);
        n->kind = PT_YNODE_SEQ;
        n->items = calloc(cap ? cap : 1, sizeof(*n->items));
        if (!n->items) {
            c->nomem = 1;
            goto fail;
        }
        for (yaml_node_item_t *it = yn->data.sequence.items.start; it < yn->data.sequence.items.top;
             it++) {
            yaml_node_t *child = yaml_document_get_node(c->doc, *it);
            if (!child)
                continue;
            n->items[n->n] = convert(c, child, depth + 1);
            if (!n->items[n->n])
                goto fail;
            n->n++;
        }
        return n;
    }
    case YAML_MAPPING_NODE:
        n->kind = PT_YNODE_MAP;
        if (convert_pairs(c, yn, n, depth) != 0 || c->failed)
            goto fail;
        return n;
    default: break;
    }
fail:
    pt_policy__ynode_free(n);
    return NULL;
}

static int is_empty_doc(const struct pt_ynode *n)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};
    if (n->kind != PT_YNODE_SCALAR || !n->plain)
        return 0;
    for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
        if (strcmp(n->text, nulls[i]) == 0)
            return 1;
    return 0;
}

static int report_syntax(const yaml_parser_t *p, const char *file, const char *buf, size_t len,
                         struct pt_diags *d)
{
    int line, col;

    if (p->error == YAML_MEMORY_ERROR)
        return PT_ENOMEM;
    if (p->error == YAML_READER_ERROR) {
        pt_utf8_position(buf, len, p->problem_offset, &line, &col);
    } else {
        line = (int)p->problem_mark.line + 1;
        col = (int)p->problem_mark.column + 1;
        pt_utf8_clamp_position(buf, len, &line, &col);
    }
    if (p->context)
        return pt_diags_add(d, PT_SEV_ERROR, file, line, col, "YAML syntax error: %s (%s)",
                            p->problem ? p->problem : "unknown problem", p->context);
    return pt_diags_add(d, PT_SEV_ERROR, file, line, col, "YAML syntax error: %s",
                        p->problem ? p->problem : "unknown problem");
}

int pt_policy__parse(const char *file, const char *buf, size_t len, struct pt_diags *d,
                     pt_policy__doc_fn fn, void *ctx)
{
    yaml_parser_t parser;
    int rc = 0;

    if (!yaml_parser_initialize(&parser))
        return PT_ENOMEM;
    yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
    for (;;) {
        yaml_document_t doc;
        yaml_node_t *root;
        struct conv c = {.doc = &doc, .file = file, .d = d};
        struct pt_ynode *tree;

        if (!yaml_parser_load(&parser, &doc)) {
            rc = report_syntax(&parser, file, buf, len, d);
            break;
        }
        root = yaml_document_get_root_node(&doc);
        if (!root) { /* end of stream */
            yaml_document_delete(&doc);
            break;
        }
        tree = convert(&c, root, 0);
        yaml_document_delete(&doc);
        if (c.nomem) {
            pt_policy__ynode_free(tree);
            rc = PT_ENOMEM;
            break;
        }
        if (!tree)
            continue;
        if (is_empty_doc(tree)) {
            pt_policy__ynode_free(tree);
            continue;
        }
        rc = fn(ctx, file, tree);
        if (rc != 0)
            break;
    }
    yaml_parser_delete(&parser);
    return rc;
}

/* ---- files ---------------------------------------------------------------- */

struct file_list {
    char **paths;
    size_t n, cap;
};

static void file_list_cleanup(struct file_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->paths[i]);
    free(l->paths);
}

static int file_list_add(struct file_list *l, const char *path)
{
    char *copy;

    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        char **paths = realloc(l->paths, cap * sizeof(*paths));
        if (!paths)
            return PT_ENOMEM;
        l->paths = paths;
        l->cap = cap;
    }
    if (!(copy = strdup(path)))
        return PT_ENOMEM;
    l->paths[l->n++] = copy;
    return 0;
}

static int has_yaml_suffix(const char *name)
{
    size_t n = strlen(name);
    return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) ||
           (n > 4 && strcmp(name + n - 4, ".yml") == 0);
}

/* Reports a file-system problem at path (no position); returns 0, or
 * PT_ENOMEM when even that failed. */
static int fs_diag(struct pt_diags *d, enum pt_severity sev, const char *path, const char *what,
                   const char *detail)
{
    return pt_policy__diag(d, sev, path, 0, 0, "%s%s%s", what, detail ? ": " : "",
                           detail ? detail : "");
}

/* The directories on the way down, to notice symlink loops. */
struct dir_chain {
    dev_t dev;
    ino_t ino;
    const struct dir_chain *up;
};

/* Collects *.yaml / *.yml below dir, following symlinks (ConfigMap mounts link
 * each key to ..data/KEY) and skipping names that start with '.'. Problems go
 * to d; returns 0 or PT_ENOMEM. */
static int walk(const char *dir, const struct dir_chain *chain, int depth, struct file_list *out,
                struct pt_diags *d)
{
    DIR *dp = opendir(dir);
    size_t dlen = strlen(dir);
    struct dirent *de;
    int rc = 0;

    if (!dp)
        return fs_diag(d, PT_SEV_ERROR, dir, "cannot read directory", strerror(errno));
    while (rc == 0 && (de = readdir(dp)) != NULL) {
        char path[4096];
        struct stat st, lst;
        int w;

        if (de->d_name[0] == '.')
            continue;
        w = snprintf(path, sizeof(path), "%s%s%s", dir, dlen && dir[dlen - 1] == '/' ? "" : "/",
                     de->d_name);
        if (w < 0 || (size_t)w >= sizeof(path)) {
            rc = fs_diag(d, PT_SEV_ERROR, dir, "path too long", de->d_name);
            continue;
        }
        if (stat(path, &st) != 0) {
            if (lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode)) /* a ConfigMap update, mid-swap */
                rc = fs_diag(d, PT_SEV_WARNING, path, "dangling symlink skipped", NULL);
            else
                rc = fs_diag(d, PT_SEV_ERROR, path, "cannot read", strerror(errno));
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            struct dir_chain here = {st.st_dev, st.st_ino, chain};
            int loop = 0;
            for (const struct dir_chain *c = chain; c; c = c->up)
                loop |= c->dev == st.st_dev && c->ino == st.st_ino;
            if (loop)
                rc = fs_diag(d, PT_SEV_WARNING, path, "directory loop through a symlink; skipped",
                             NULL);
            else if (depth >= MAX_DIR_DEPTH)
                rc = fs_diag(d, PT_SEV_WARNING, path, "directories nested too deep; skipped", NULL);
            else
                rc = walk(path, &here, depth + 1, out, d);
        } else if (S_ISREG(st.st_mode) && has_yaml_suffix(de->d_name)) {
            rc = file_list_add(out, path);
        }
    }
    closedir(dp);
    return rc ? PT_ENOMEM : 0;
}

/* Reads a whole file (at most MAX_FILE_BYTES) into a NUL-terminated buffer
 * the caller frees. Returns 0, PT_ENOMEM, or PT_EIO / PT_EINVAL after
 * reporting to d. */
static int read_whole(const char *path, char **buf, size_t *len, struct pt_diags *d)
{
    FILE *f = fopen(path, "rb");
    size_t cap = 65536, n = 0;
    char *b = NULL;
    int rc;

    *buf = NULL;
    *len = 0;
    if (!f)
        return fs_diag(d, PT_SEV_ERROR, path, "cannot read", strerror(errno)) ? PT_ENOMEM : PT_EIO;
    for (;;) {
        size_t got;
        if (!b || n == cap) {
            char *nb;
            if (b)
                cap *= 2;
            if (!(nb = realloc(b, cap + 1))) {
                rc = PT_ENOMEM;
                goto fail;
            }
            b = nb;
        }
        got = fread(b + n, 1, cap - n, f);
        n += got;
        if (n > MAX_FILE_BYTES) {
            rc = fs_diag(d, PT_SEV_ERROR, path, "file is larger than 4 MiB", NULL) ? PT_ENOMEM
                                                                                   : PT_EINVAL;
            goto fail;
        }
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        rc = fs_diag(d, PT_SEV_ERROR, path, "cannot read", strerror(errno)) ? PT_ENOMEM : PT_EIO;
        goto fail;
    }
    fclose(f);
    b[n] = '\0';
    *buf = b;
    *len = n;
    return 0;
fail:
    fclose(f);
    free(b);
    return rc;
}

/* ---- from files to a set -------------------------------------------------- */

struct loader {
    struct pt_profile *profiles;
    size_t n, cap;
    struct pt_diags *d;
};

static int on_document(void *ctx, const char *file, struct pt_ynode *root)
{
    struct loader *l = ctx;
    struct pt_profile p;
    int rc;

    rc = pt_policy__profile_from_node(file, root, &p, l->d);
    pt_policy__ynode_free(root);
    if (rc == PT_EINVAL)
        return 0; /* reported; keep looking for more errors */
    if (rc != 0)
        return rc;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 8;
        struct pt_profile *ps = realloc(l->profiles, cap * sizeof(*ps));
        if (!ps) {
            pt_policy__profile_cleanup(&p);
            return PT_ENOMEM;
        }
        l->profiles = ps;
        l->cap = cap;
    }
    l->profiles[l->n++] = p;
    return 0;
}

static int cmp_paths(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Loads the files in the given order into one set. */
static struct pt_policy_set *load_paths(char *const *paths, size_t n, const char *source,
                                        struct pt_diags *d, size_t errors_before)
{
    struct loader l = {.d = d};
    int rc = 0;

    for (size_t i = 0; i < n && rc != PT_ENOMEM; i++) {
        char *buf;
        size_t len;
        rc = read_whole(paths[i], &buf, &len, d);
        if (rc != 0)
            continue;
        rc = pt_policy__parse(paths[i], buf, len, d, on_document, &l);
        free(buf);
    }
    if (rc == PT_ENOMEM) {
        for (size_t i = 0; i < l.n; i++)
            pt_policy__profile_cleanup(&l.profiles[i]);
        free(l.profiles);
        pt_diags_add(d, PT_SEV_ERROR, source, 0, 0, "out of memory while loading policies");
        return NULL;
    }
    return pt_policy__build(l.profiles, l.n, source, d, errors_before);
}

struct pt_policy_set *pt_policy_load_dir(const char *dir, struct pt_diags *d)
{
    struct file_list files = {0};
    struct pt_policy_set *set = NULL;
    size_t errors_before = d->errors;
    struct stat st;

    if (!dir || !dir[0]) {
        pt_diags_add(d, PT_SEV_ERROR, "", 0, 0, "no policy directory given");
        return NULL;
    }
    if (stat(dir, &st) != 0) {
        pt_diags_add(d, PT_SEV_ERROR, dir, 0, 0, "cannot read: %s", strerror(errno));
        return NULL;
    }
    if (S_ISDIR(st.st_mode)) {
        struct dir_chain top = {st.st_dev, st.st_ino, NULL};
        if (walk(dir, &top, 0, &files, d) == PT_ENOMEM)
            goto fail;
        if (files.n > 1)
            qsort(files.paths, files.n, sizeof(*files.paths), cmp_paths);
        if (files.n == 0 && d->errors == errors_before)
            pt_diags_add(d, PT_SEV_WARNING, dir, 0, 0, "no *.yaml or *.yml files found");
    } else if (file_list_add(&files, dir) != 0) { /* a single file is fine too */
        goto fail;
    }
    set = load_paths(files.paths, files.n, dir, d, errors_before);
    file_list_cleanup(&files);
    return set;
fail:
    file_list_cleanup(&files);
    pt_diags_add(d, PT_SEV_ERROR, dir, 0, 0, "out of memory while listing policy files");
    return NULL;
}

struct pt_policy_set *pt_policy_load_files(const char *const *paths, size_t n, struct pt_diags *d)
{
    struct file_list files = {0};
    struct pt_policy_set *set;
    size_t errors_before = d->errors;

    for (size_t i = 0; i < n; i++) {
        if (file_list_add(&files, paths[i]) != 0) {
            file_list_cleanup(&files);
            pt_diags_add(d, PT_SEV_ERROR, "", 0, 0, "out of memory");
            return NULL;
        }
    }
    set = load_paths(files.paths, files.n, n ? paths[0] : "", d, errors_before);
    file_list_cleanup(&files);
    return set;
}
