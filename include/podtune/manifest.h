/* manifest.h — Kubernetes manifests in YAML or JSON ⇄ jansson values. */
#ifndef PODTUNE_MANIFEST_H
#define PODTUNE_MANIFEST_H

#include <jansson.h>
#include <stdio.h>
#include <stddef.h>

#include "podtune/error.h"

/* Parses buf (YAML 1.1 or JSON, one or more documents; empty documents are
 * skipped; a document of `kind: List` is expanded into its items) and returns
 * 0 with a new JSON array of the documents in *docs. Plain YAML scalars become
 * JSON null/true/false/integers/reals as a Kubernetes decoder would read them;
 * quoted scalars stay strings. Errors: PT_EINVAL with source:line:col. */
int pt_manifest_parse(const char *buf, size_t len, const char *source, json_t **docs,
                      struct pt_error *err);

/* The largest manifest file pt_manifest_read_file reads. */
#define PT_MANIFEST_MAX_BYTES (64u * 1024u * 1024u)

/* Reads a whole file ("-" = standard input, named "<stdin>" in errors) and
 * parses it as above. PT_EIO if it cannot be read, PT_ERANGE if it is larger
 * than PT_MANIFEST_MAX_BYTES. */
int pt_manifest_read_file(const char *path, json_t **docs, struct pt_error *err);

/* Reads a whole file ("-" = stdin) into a new NUL-terminated buffer; caller
 * frees. Files over max_bytes are refused with PT_ERANGE. */
int pt_read_file(const char *path, size_t max_bytes, char **buf, size_t *len, struct pt_error *err);

/* Writes v as one YAML document (block style, keys in order, strings quoted
 * where a plain scalar would read back as another type). Returns 0 or PT_EIO. */
int pt_manifest_write_yaml(FILE *out, const json_t *v);

/* Returns v as a new YAML string (caller frees) or NULL. */
char *pt_manifest_to_yaml(const json_t *v);

#endif
