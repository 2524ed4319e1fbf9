/* policy.c — STUB, being written. */
#include "podtune/policy.h"
#include <string.h>
static const char *const role_names[PT_ROLE_COUNT] = {"spark-driver", "spark-executor", "flink-jobmanager", "flink-taskmanager"};
const char *pt_role_name(enum pt_role r) { return (r >= 0 && r < PT_ROLE_COUNT) ? role_names[r] : "none"; }
enum pt_role pt_role_from_name(const char *n) { for (int i = 0; i < PT_ROLE_COUNT; i++) if (strcmp(n, role_names[i]) == 0) return (enum pt_role)i; return PT_ROLE_NONE; }
int pt_role_is_spark(enum pt_role r) { return r == PT_ROLE_SPARK_DRIVER || r == PT_ROLE_SPARK_EXECUTOR; }
struct pt_policy_set *pt_policy_load_dir(const char *dir, struct pt_diags *d) { pt_diags_add(d, PT_SEV_ERROR, dir, 0, 0, "not implemented"); return NULL; }
struct pt_policy_set *pt_policy_load_files(const char *const *p, size_t n, struct pt_diags *d) { (void)p; (void)n; pt_diags_add(d, PT_SEV_ERROR, "", 0, 0, "not implemented"); return NULL; }
struct pt_policy_set *pt_policy_set_ref(struct pt_policy_set *s) { return s; }
void pt_policy_set_unref(struct pt_policy_set *s) { (void)s; }
const struct pt_profile *pt_policy_find(const struct pt_policy_set *s, const char *name) { for (size_t i = 0; s && i < s->n; i++) if (strcmp(s->profiles[i].name, name) == 0) return &s->profiles[i]; return NULL; }
int pt_glob_match(const char *g, const char *s) { return strcmp(g, s) == 0; }
int pt_profile_admits_namespace(const struct pt_profile *p, const char *ns) { (void)p; (void)ns; return 1; }
