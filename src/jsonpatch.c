/* jsonpatch.c — STUB, being written. */
#include "podtune/jsonpatch.h"
int pt_pointer_append(char *buf, size_t len, const char *token) { (void)buf; (void)len; (void)token; return PT_ERANGE; }
json_t *pt_pointer_get(const json_t *doc, const char *pointer) { (void)doc; (void)pointer; return NULL; }
json_t *pt_patch_diff(const json_t *from, const json_t *to) { (void)from; (void)to; return json_array(); }
int pt_patch_apply(const json_t *doc, const json_t *patch, json_t **out, struct pt_error *err) { (void)doc; (void)patch; *out = NULL; return pt_error_set(err, PT_EINVAL, "not implemented"); }
