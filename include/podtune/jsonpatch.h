/* jsonpatch.h — RFC 6901 JSON pointers and RFC 6902 JSON Patch: build the smallest
 * patch between two documents, and apply any patch. */
#ifndef PODTUNE_JSONPATCH_H
#define PODTUNE_JSONPATCH_H

#include <jansson.h>
#include <stddef.h>

#include "podtune/error.h"

/* Appends "/" + token, escaped per RFC 6901 ("~" → "~0", "/" → "~1"), to the
 * NUL-terminated pointer in buf. Returns 0, or PT_ERANGE if buf is too small. */
int pt_pointer_append(char *buf, size_t len, const char *token);

/* Resolves pointer in doc. Returns a borrowed reference or NULL. */
json_t *pt_pointer_get(const json_t *doc, const char *pointer);

/* Returns a new JSON array of RFC 6902 operations that turns `from` into `to`,
 * or NULL on allocation failure. The patch is small: unchanged members produce
 * nothing; object members are added/removed/replaced one by one; arrays are
 * compared by common prefix and suffix, and only the middle becomes index
 * adds, removes or replaces (so an insertion is a single "add" at its index).
 * Applying the result to `from` gives a document equal to `to`. Borrows both. */
json_t *pt_patch_diff(const json_t *from, const json_t *to);

/* Applies patch (a JSON array of operations: add, remove, replace, move, copy,
 * test) to a deep copy of doc. On success returns 0 and a new reference in
 * *out. On any bad operation, path or failed test returns PT_EINVAL with a
 * message naming the operation index and path; *out is NULL and doc untouched. */
int pt_patch_apply(const json_t *doc, const json_t *patch, json_t **out, struct pt_error *err);

#endif
