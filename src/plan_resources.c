/* plan_resources.c — STUB, being written. */
#include "podtune/plan.h"
int pt_plan__resources(const struct pt_plan_input *in, struct pt_plan *p, struct pt_error *err) { (void)in; (void)p; (void)err; return 0; }
