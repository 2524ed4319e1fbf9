/* policy_internal.h — what policy.c, policy_load.c and policy_validate.c share:
 * the positioned YAML node tree and the steps between files and a policy set. */
#ifndef PODTUNE_POLICY_INTERNAL_H
#define PODTUNE_POLICY_INTERNAL_H

#include <stddef.h>

#include "podtune/diag.h"
#include "podtune/policy.h"

enum pt_ynode_kind { PT_YNODE_SCALAR, PT_YNODE_SEQ, PT_YNODE_MAP };

/* One YAML node with its 1-based position. A mapping keeps its pairs in
 * source order as items[2i] (key, always a scalar) and items[2i + 1] (value);
 * duplicate keys have already been reported and dropped. Owns its children. */
struct pt_ynode {
    enum pt_ynode_kind kind;
    int line, col;
    char *text; /* scalar value, NUL-terminated (scalars never contain NUL) */
    int plain;  /* scalar written without quotes or block indicators */
    size_t n;   /* sequence: items; mapping: pairs */
    struct pt_ynode **items;
};

void pt_policy__ynode_free(struct pt_ynode *n);

/* Called once per non-empty YAML document; takes ownership of root.
 * Returns 0 to go on or a negative code to stop. */
typedef int (*pt_policy__doc_fn)(void *ctx, const char *file, struct pt_ynode *root);

/* Parses buf (the contents of file) document by document with libyaml's
 * document API. Syntax errors, duplicate keys, tags, over-deep nesting and
 * alias bombs are reported to d at their position. Returns 0, PT_ENOMEM, or
 * the callback's negative code. */
int pt_policy__parse(const char *file, const char *buf, size_t len, struct pt_diags *d,
                     pt_policy__doc_fn fn, void *ctx);

/* Validates one profile document. On success fills *out (caller cleans it up
 * with pt_policy__profile_cleanup) and returns 0. When the document has
 * errors they are in d, *out is left empty and PT_EINVAL is returned;
 * PT_ENOMEM when memory ran out. */
int pt_policy__profile_from_node(const char *file, const struct pt_ynode *root,
                                 struct pt_profile *out, struct pt_diags *d);

/* Frees everything a profile owns and zeroes it. NULL is a no-op. */
void pt_policy__profile_cleanup(struct pt_profile *p);

/* Takes the n profiles (the array and its contents, also on failure): checks
 * names are unique, sorts, warns about ties, computes the digest. Returns
 * NULL when d gained errors since errors_before, or on PT_ENOMEM. */
struct pt_policy_set *pt_policy__build(struct pt_profile *profiles, size_t n, const char *source,
                                       struct pt_diags *d, size_t errors_before);

/* 0 if glob is a valid namespace glob; otherwise PT_EINVAL and why (a
 * phrase such as "unclosed '['") in buf. */
int pt_policy__glob_check(const char *glob, char *why, size_t len);

/* 1 if some namespace name can match both valid globs a and b. */
int pt_policy__globs_overlap(const char *a, const char *b);

/* pt_diags_add for the policy loader, with a cap: after 100 errors (or 100
 * warnings) one "too many" line is added and the rest are dropped, so a
 * hostile file cannot flood memory or the printer. Errors dropped this way
 * never hide that the set is invalid: there are already 100. 0 or PT_ENOMEM. */
int pt_policy__diag(struct pt_diags *d, enum pt_severity sev, const char *file, int line,
                    int column, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Kubernetes name syntax. Each returns 1 when valid; otherwise 0 and a
 * short reason in why. */
int pt_policy__is_dns1123_label(const char *s, char *why, size_t len);
int pt_policy__is_dns1123_subdomain(const char *s, char *why, size_t len);
int pt_policy__is_qualified_name(const char *s, char *why,
                                 size_t len); /* label / annotation keys */
int pt_policy__is_label_value(const char *s, char *why, size_t len);

#endif
