/* textdiff.h — unified diffs of two texts, line by line, for `mutate --diff` and `test`. */
#ifndef PODTUNE_TEXTDIFF_H
#define PODTUNE_TEXTDIFF_H

#include <stdio.h>

/* Writes a unified diff (3 lines of context) turning text a into text b, with
 * "--- a_name" / "+++ b_name" headers, to out. Prints nothing when they are
 * equal. Returns 1 if they differ, 0 if equal, negative on allocation failure.
 * Texts longer than 20000 lines are compared as one hunk. */
int pt_textdiff_unified(FILE *out, const char *a_name, const char *a, const char *b_name,
                        const char *b, int color);

#endif
