/* tls.c — STUB, being written. */
#include "podtune/tls.h"
struct pt_tls_creds *pt_tls_load(const char *c, const char *k, struct pt_error *err) { (void)c; (void)k; pt_error_set(err, PT_EINVAL, "not implemented"); return NULL; }
struct pt_tls_creds *pt_tls_creds_ref(struct pt_tls_creds *c) { return c; }
void pt_tls_creds_unref(struct pt_tls_creds *c) { (void)c; }
int pt_certs_generate(const struct pt_certs_opts *o, char **b, struct pt_error *err) { (void)o; *b = NULL; return pt_error_set(err, PT_EINVAL, "not implemented"); }
