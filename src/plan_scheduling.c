/* plan_scheduling.c — STUB, being written. */
#include "podtune/plan.h"
int pt_plan__scheduling(const struct pt_plan_input *in, struct pt_plan *p, struct pt_error *err) { (void)in; (void)p; (void)err; return 0; }
int pt_plan__metadata(const struct pt_plan_input *in, struct pt_plan *p, struct pt_error *err) { (void)in; (void)p; (void)err; return 0; }
