/* policy.h — the profile model and the policy set: an immutable, refcounted
 * snapshot of every profile loaded from a directory of YAML files. */
#ifndef PODTUNE_POLICY_H
#define PODTUNE_POLICY_H

#include <jansson.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "podtune/diag.h"

/* The four pod roles podtune tunes (contract §1). */
enum pt_role {
    PT_ROLE_NONE = -1,
    PT_ROLE_SPARK_DRIVER = 0,
    PT_ROLE_SPARK_EXECUTOR,
    PT_ROLE_FLINK_JOBMANAGER,
    PT_ROLE_FLINK_TASKMANAGER,
    PT_ROLE_COUNT
};

/* "spark-driver", … ; "none" for PT_ROLE_NONE. */
const char *pt_role_name(enum pt_role role);
/* The role named name, or PT_ROLE_NONE. */
enum pt_role pt_role_from_name(const char *name);
/* 1 for the two Spark roles. */
int pt_role_is_spark(enum pt_role role);

/* One profile (one YAML document). All strings owned by the profile. */
struct pt_profile {
    char *name;
    char *description; /* "" if absent */
    char *file;        /* where it was defined */
    int line, column;  /* position of the document */
    int64_t priority;
    int enforce;
    char **namespaces; /* globs (*, ?, [...]); n_namespaces == 0 means every namespace */
    size_t n_namespaces;
    int has_match;        /* spec.match present: automatic selection */
    unsigned match_roles; /* bit (1u << role) for each role spec.match.workloads admits
                             (all four when workloads is absent) */
    json_t *match_labels; /* object string → string (may be empty); owned */
    /* The effective, validated role block for each role: `roles.all` deep-merged
     * under the role's own block (mappings merge key by key, the role's value
     * wins; lists and scalars are replaced whole). NULL when the profile has no
     * block for that role (neither the role nor `all`). Shape, as the planner
     * reads it — every scalar is a JSON string except where noted:
     *   mode: "fill" | "override"             (always present after loading)
     *   resources: {requests, limits, min, max, maxLimitRequestRatio: {name: "qty"}}
     *   nodeSelector, labels, annotations, env: {key: "value"}
     *   nodeAffinity: {required: [{key, operator, values?: [..]}],
     *                  preferred: [{weight: <integer>, matchExpressions: [..]}]}
     *   tolerations: [{key?, operator?, value?, effect?, tolerationSeconds?: <integer>}]
     *   priorityClassName: "x", priorityValue: <integer>, schedulerName: "x"
     *   javaOptions: ["-X..."], sparkConf: {k: "v"}, flinkConf: {k: "v"}
     * Owned. */
    json_t *roles[PT_ROLE_COUNT];
    int name_line, name_column; /* position of metadata.name (for "already defined at") */
};

/* An immutable set of profiles, sorted by name. Shared between threads by
 * reference counting: take a reference for as long as you read it. */
struct pt_policy_set {
    atomic_int refs;
    struct pt_profile *profiles;
    size_t n;
    char digest[32]; /* "sha256:" + first 12 hex digits of the canonical set's hash */
    char *source;    /* directory or file it was loaded from */
};

/* Loads every *.yaml / *.yml below dir (recursively, sorted by path; hidden
 * entries and ConfigMap "..data"-style internals skipped). Every problem is
 * appended to diags as file:line:col; warnings too (profiles that can tie,
 * priorityClassName without priorityValue, …). Returns a new set with one
 * reference, or NULL when any error was found (the set is rejected whole) or
 * dir cannot be read (reported in diags). */
struct pt_policy_set *pt_policy_load_dir(const char *dir, struct pt_diags *diags);

/* The same for an explicit list of files. */
struct pt_policy_set *pt_policy_load_files(const char *const *paths, size_t n,
                                           struct pt_diags *diags);

/* Takes another reference; returns set. NULL is a no-op. */
struct pt_policy_set *pt_policy_set_ref(struct pt_policy_set *set);
/* Drops a reference; the last one frees the set. NULL is a no-op. */
void pt_policy_set_unref(struct pt_policy_set *set);

/* The profile named name, or NULL. Borrowed from set. */
const struct pt_profile *pt_policy_find(const struct pt_policy_set *set, const char *name);

/* 1 if the glob (*, ?, [abc], [a-z], [!x]) matches the whole of s. */
int pt_glob_match(const char *glob, const char *s);

/* 1 if profile p may apply in namespace ns (its spec.namespaces admit it). */
int pt_profile_admits_namespace(const struct pt_profile *p, const char *ns);

#endif
