/* cli_util.h — small pieces the engine-side subcommands share: loading a policy
 * directory with printed diagnostics, reading input documents, naming pods. */
#ifndef PODTUNE_CLI_UTIL_H
#define PODTUNE_CLI_UTIL_H

#include <jansson.h>
#include <stdio.h>

#include "podtune/policy.h"

#define PT_EXIT_OK    0
#define PT_EXIT_FAIL  1 /* validation or test failures */
#define PT_EXIT_USAGE 2 /* usage or I/O errors */

/* Largest input file the CLI reads. */
#define PT_CLI_MAX_INPUT (64u * 1024 * 1024)

/* Loads dir, printing every diagnostic to stderr (with source lines when
 * show_source). Returns the set (one reference) or NULL; *exit_code is 2 when
 * dir is not a readable directory, else 1. */
struct pt_policy_set *pt_cli_load_policies(const char *dir, int show_source, int *exit_code);

/* The common start of a command taking --policies DIR and at least one more
 * argument: prints usage and returns NULL with *exit_code 2 when either is
 * missing, else loads the set (see pt_cli_load_policies). */
struct pt_policy_set *pt_cli_begin(const char *dir, int argc, int first_arg, const char *usage,
                                   int *exit_code);

/* Calls fn for every document of every file argv[first..argc-1] ("-" = stdin),
 * with src the file name as shown to users and index the document's position
 * in its file. A file that cannot be read, or fn returning non-zero, makes
 * the result 2 (usage/I/O); stop_on_error ends the walk at the first one. */
int pt_cli_for_each_document(int argc, char **argv, int first, int stop_on_error,
                             int (*fn)(const char *src, json_t *doc, size_t index, void *ctx),
                             void *ctx);

/* Reads path ("-" = stdin) as input documents. An AdmissionReview JSON is
 * returned as one document; anything else goes through pt_manifest_parse.
 * Returns a new array or NULL after printing the error to stderr. */
json_t *pt_cli_read_documents(const char *path);

/* 1 if doc is a Pod (kind Pod, or no kind but spec.containers). */
int pt_cli_is_pod(const json_t *doc);

/* 1 if doc is an AdmissionReview. */
int pt_cli_is_review(const json_t *doc);

/* "namespace/name" (or generateName + "*") of a pod, into buf. */
const char *pt_cli_pod_name(const json_t *pod, char *buf, size_t len);

/* Wraps pod in an AdmissionReview v1 CREATE request (new reference). */
json_t *pt_cli_review_for_pod(const json_t *pod, const char *uid);

#endif
