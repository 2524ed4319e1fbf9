/* engine.c — STUB, being written. */
#include "podtune/engine.h"
#include "podtune/review.h"
#include "podtune/cli.h"
#include <string.h>
#include <stdio.h>
const char *pt_status_name(enum pt_status s) { (void)s; return "error"; }
int pt_engine_run(const struct pt_policy_set *set, const json_t *pod, const char *ns, struct pt_outcome *out) { (void)set; (void)pod; (void)ns; memset(out, 0, sizeof(*out)); out->status = PT_STATUS_ERROR; out->patch = json_array(); return 0; }
void pt_outcome_cleanup(struct pt_outcome *out) { json_decref(out->patch); memset(out, 0, sizeof(*out)); }
const json_t *pt_outcome_pod(const struct pt_outcome *out, const json_t *pod) { return out->plan.pod ? out->plan.pod : pod; }
void pt_classify(const json_t *pod, struct pt_class *out) { (void)pod; out->role = PT_ROLE_NONE; out->main_container = -1; out->reason = "stub"; }
int pt_select(const struct pt_policy_set *set, const json_t *pod, const char *ns, enum pt_role role, struct pt_selection *out) { (void)set; (void)pod; (void)ns; (void)role; memset(out, 0, sizeof(*out)); out->outcome = PT_SELECT_NONE; return 0; }
void pt_selection_cleanup(struct pt_selection *sel) { (void)sel; }
int pt_review_decode(const char *body, size_t len, struct pt_review *out, struct pt_error *err) { (void)body; (void)len; memset(out, 0, sizeof(*out)); return pt_error_set(err, PT_EINVAL, "not implemented"); }
void pt_review_cleanup(struct pt_review *rv) { json_decref(rv->root); }
json_t *pt_review_respond(const struct pt_policy_set *set, const struct pt_review *rv, struct pt_outcome *oc) { (void)set; (void)rv; memset(oc, 0, sizeof(*oc)); oc->status = PT_STATUS_NOT_TARGET; oc->patch = json_array(); return json_object(); }
int pt_cli_validate(int argc, char **argv) { (void)argc; (void)argv; return 2; }
int pt_cli_mutate(int argc, char **argv) { (void)argc; (void)argv; return 2; }
int pt_cli_explain(int argc, char **argv) { (void)argc; (void)argv; return 2; }
int pt_cli_test(int argc, char **argv) { (void)argc; (void)argv; return 2; }
