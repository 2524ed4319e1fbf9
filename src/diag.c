/* diag.c — diagnostics lists: collect, sort and print errors with file positions. */
#include "podtune/diag.h"
#include "podtune/error.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void pt_diags_init(struct pt_diags *d)
{
    memset(d, 0, sizeof(*d));
}

void pt_diags_cleanup(struct pt_diags *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++) {
        free(d->items[i].file);
        free(d->items[i].text);
    }
    free(d->items);
    memset(d, 0, sizeof(*d));
}

int pt_diags_add(struct pt_diags *d, enum pt_severity sev, const char *file, int line, int column,
                 const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    struct pt_diag *it;

    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 8;
        struct pt_diag *items = realloc(d->items, cap * sizeof(*items));
        if (!items)
            return PT_ENOMEM;
        d->items = items;
        d->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);

    it = &d->items[d->n];
    it->severity = sev;
    it->line = line;
    it->column = column;
    it->file = strdup(file ? file : "");
    it->text = strdup(text);
    if (!it->file || !it->text) {
        free(it->file);
        free(it->text);
        return PT_ENOMEM;
    }
    d->n++;
    if (sev == PT_SEV_ERROR)
        d->errors++;
    else
        d->warnings++;
    return PT_OK;
}

/* Orders by file, line, column; equal positions keep their insertion order
 * (the index breaks ties, which makes qsort stable here). */
struct diag_ref {
    struct pt_diag d;
    size_t index;
};

static int diag_cmp(const void *pa, const void *pb)
{
    const struct diag_ref *a = pa, *b = pb;
    int c = strcmp(a->d.file, b->d.file);
    if (c)
        return c;
    if (a->d.line != b->d.line)
        return a->d.line < b->d.line ? -1 : 1;
    if (a->d.column != b->d.column)
        return a->d.column < b->d.column ? -1 : 1;
    return a->index < b->index ? -1 : a->index > b->index;
}

void pt_diags_sort(struct pt_diags *d)
{
    struct diag_ref *refs;

    if (d->n < 2 || !(refs = malloc(d->n * sizeof(*refs))))
        return; /* out of memory: leave the order as it is */
    for (size_t i = 0; i < d->n; i++)
        refs[i] = (struct diag_ref){d->items[i], i};
    qsort(refs, d->n, sizeof(*refs), diag_cmp);
    for (size_t i = 0; i < d->n; i++)
        d->items[i] = refs[i].d;
    free(refs);
}

/* The text of one file, split into lines, kept while consecutive diagnostics
 * point into it (sorted diagnostics are grouped by file), so printing is linear. */
struct source_cache {
    char *file;
    char *text;
    size_t *starts; /* offset of each line */
    size_t n_lines;
};

static void source_cache_cleanup(struct source_cache *c)
{
    free(c->file);
    free(c->text);
    free(c->starts);
    memset(c, 0, sizeof(*c));
}

static int source_cache_load(struct source_cache *c, const char *file)
{
    FILE *f;
    size_t len = 0, cap = 0, n;
    char buf[8192];

    if (c->file && strcmp(c->file, file) == 0)
        return c->text ? 0 : -1;
    source_cache_cleanup(c);
    if (!(c->file = strdup(file)) || !file[0] || !(f = fopen(file, "r")))
        return -1;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
        if (len + n + 1 > cap) {
            char *t = realloc(c->text, cap = (len + n + 1) * 2);
            if (!t)
                break;
            c->text = t;
        }
        memcpy(c->text + len, buf, n);
        len += n;
    }
    fclose(f);
    if (!c->text)
        return -1;
    c->text[len] = '\0';
    for (size_t i = 0, cap_l = 0;; i++) {
        if (i == 0 || c->text[i - 1] == '\n') {
            if (i == len && i > 0)
                break;
            if (c->n_lines == cap_l) {
                size_t *t = realloc(c->starts, (cap_l = cap_l ? cap_l * 2 : 256) * sizeof(*t));
                if (!t)
                    return -1;
                c->starts = t;
            }
            c->starts[c->n_lines++] = i;
        }
        if (i >= len)
            break;
    }
    return 0;
}

/* Copies line number `line` (1-based) of file into buf; returns 0 if found. */
static int source_line(struct source_cache *c, const char *file, int line, char *buf, size_t len)
{
    size_t from, n;

    if (line <= 0 || source_cache_load(c, file) != 0 || (size_t)line > c->n_lines)
        return -1;
    from = c->starts[line - 1];
    n = strcspn(c->text + from, "\n");
    if (n >= len)
        n = len - 1;
    memcpy(buf, c->text + from, n);
    buf[n] = '\0';
    return 0;
}

void pt_diags_print(const struct pt_diags *d, FILE *out, int show_source)
{
    struct source_cache cache = {0};

    for (size_t i = 0; i < d->n; i++) {
        const struct pt_diag *it = &d->items[i];
        const char *sev = it->severity == PT_SEV_ERROR ? "error" : "warning";
        char line[512];

        if (it->file[0] && it->line > 0)
            fprintf(out, "%s:%d:%d: %s: %s\n", it->file, it->line, it->column, sev, it->text);
        else if (it->file[0])
            fprintf(out, "%s: %s: %s\n", it->file, sev, it->text);
        else
            fprintf(out, "%s: %s\n", sev, it->text);
        if (show_source && source_line(&cache, it->file, it->line, line, sizeof(line)) == 0) {
            fprintf(out, "  %s\n  ", line);
            for (int col = 1; col < it->column && line[col - 1]; col++)
                fputc(line[col - 1] == '\t' ? '\t' : ' ', out);
            fputs("^\n", out);
        }
    }
    source_cache_cleanup(&cache);
}
