/* metrics.c — STUB, being written. */
#include "podtune/metrics.h"
#include <stdlib.h>
#include <string.h>
void pt_metrics_init(const char *version) { (void)version; }
void pt_metrics_admission(const char *r, const char *p, const char *res, double s) { (void)r; (void)p; (void)res; (void)s; }
void pt_metrics_patch_ops(const char *f, uint64_t n) { (void)f; (void)n; }
void pt_metrics_policy_reload(int ok, size_t n) { (void)ok; (void)n; }
void pt_metrics_tls_reload(int ok, int64_t na) { (void)ok; (void)na; }
void pt_metrics_http_error(int s) { (void)s; }
char *pt_metrics_render(size_t *len) { *len = 0; return strdup(""); }
