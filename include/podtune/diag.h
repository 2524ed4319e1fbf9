/* diag.h — a growable list of diagnostics (errors and warnings with file positions). */
#ifndef PODTUNE_DIAG_H
#define PODTUNE_DIAG_H

#include <stdio.h>
#include <stddef.h>

enum pt_severity { PT_SEV_ERROR, PT_SEV_WARNING };

struct pt_diag {
    enum pt_severity severity;
    char *file; /* owned; may be "" */
    int line;   /* 1-based; 0 = no position */
    int column;
    char *text; /* owned */
};

/* Caller storage; init before use, cleanup after. */
struct pt_diags {
    struct pt_diag *items;
    size_t n, cap;
    size_t errors, warnings;
};

void pt_diags_init(struct pt_diags *d);
void pt_diags_cleanup(struct pt_diags *d);

/* Appends one diagnostic. Returns 0 or PT_ENOMEM. */
int pt_diags_add(struct pt_diags *d, enum pt_severity sev, const char *file, int line, int column,
                 const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Sorts by file, line, column (stable), so output is deterministic. */
void pt_diags_sort(struct pt_diags *d);

/* Prints each as "file:line:col: error: text" (or warning), one per line. When
 * show_source is set and the file can be read, the offending line follows
 * with a caret under the column, as compilers do. */
void pt_diags_print(const struct pt_diags *d, FILE *out, int show_source);

#endif
