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

static int diag_cmp(const void *pa, const void *pb)
{
    const struct pt_diag *a = pa, *b = pb;
    int c = strcmp(a->file, b->file);
    if (c)
        return c;
    if (a->line != b->line)
        return a->line < b->line ? -1 : 1;
    if (a->column != b->column)
        return a->column < b->column ? -1 : 1;
    return 0;
}

void pt_diags_sort(struct pt_diags *d)
{
    /* insertion sort: stable, and lists are short */
    for (size_t i = 1; i < d->n; i++) {
        struct pt_diag key = d->items[i];
        size_t j = i;
        while (j > 0 && diag_cmp(&d->items[j - 1], &key) > 0) {
            d->items[j] = d->items[j - 1];
            j--;
        }
        d->items[j] = key;
    }
}

/* Copies line number `line` of file into buf; returns 0 if found. */
static int source_line(const char *file, int line, char *buf, size_t len)
{
    FILE *f;
    int n = 1, found = -1;

    if (!file[0] || line <= 0 || !(f = fopen(file, "r")))
        return -1;
    while (fgets(buf, (int)len, f)) {
        size_t l = strlen(buf);
        int whole = l > 0 && buf[l - 1] == '\n';
        if (n == line) {
            if (whole)
                buf[l - 1] = '\0';
            found = 0;
            break;
        }
        if (whole)
            n++;
    }
    fclose(f);
    return found;
}

void pt_diags_print(const struct pt_diags *d, FILE *out, int show_source)
{
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
        if (show_source && source_line(it->file, it->line, line, sizeof(line)) == 0) {
            fprintf(out, "  %s\n  ", line);
            for (int c = 1; c < it->column && line[c - 1]; c++)
                fputc(line[c - 1] == '\t' ? '\t' : ' ', out);
            fputs("^\n", out);
        }
    }
}
