/* manifest.c — STUB, being written. */
#include "podtune/manifest.h"
int pt_manifest_parse(const char *buf, size_t len, const char *source, json_t **docs, struct pt_error *err) { (void)buf; (void)len; (void)source; *docs = NULL; return pt_error_set(err, PT_EINVAL, "not implemented"); }
int pt_manifest_read_file(const char *path, json_t **docs, struct pt_error *err) { (void)path; *docs = NULL; return pt_error_set(err, PT_EINVAL, "not implemented"); }
int pt_read_file(const char *path, size_t max, char **buf, size_t *len, struct pt_error *err) { (void)path; (void)max; *buf = NULL; *len = 0; return pt_error_set(err, PT_EIO, "not implemented"); }
int pt_manifest_write_yaml(FILE *out, const json_t *v) { (void)out; (void)v; return PT_EIO; }
char *pt_manifest_to_yaml(const json_t *v) { (void)v; return NULL; }
