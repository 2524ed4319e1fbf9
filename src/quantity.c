/* quantity.c — STUB, being written. */
#include "podtune/quantity.h"
int pt_quantity_parse(const char *s, struct pt_quantity *out, struct pt_error *err) { (void)s; (void)out; return pt_error_set(err, PT_EINVAL, "not implemented"); }
int pt_quantity_cmp(const struct pt_quantity *a, const struct pt_quantity *b) { return (a->nano > b->nano) - (a->nano < b->nano); }
int pt_quantity_format(const struct pt_quantity *q, char *buf, size_t len) { (void)q; (void)buf; (void)len; return PT_ERANGE; }
int pt_quantity_sub(const struct pt_quantity *a, const struct pt_quantity *b, struct pt_quantity *out) { (void)a; (void)b; (void)out; return PT_ERANGE; }
int pt_quantity_add(const struct pt_quantity *a, const struct pt_quantity *b, struct pt_quantity *out) { (void)a; (void)b; (void)out; return PT_ERANGE; }
int pt_quantity_div_ceil(const struct pt_quantity *q, const struct pt_quantity *r, struct pt_quantity *out) { (void)q; (void)r; (void)out; return PT_ERANGE; }
void pt_quantity_from_int(int64_t v, enum pt_quantity_format f, struct pt_quantity *out) { out->nano = (__int128)v * 1000000000; out->format = f; }
int pt_quantity_to_int(const struct pt_quantity *q, int64_t *out) { *out = (int64_t)(q->nano / 1000000000); return 0; }
int pt_jvm_size_parse(const char *s, int64_t *bytes, struct pt_error *err) { (void)s; (void)bytes; return pt_error_set(err, PT_EINVAL, "not implemented"); }
int pt_jvm_size_format(int64_t bytes, char *buf, size_t len) { (void)bytes; (void)buf; (void)len; return PT_ERANGE; }
