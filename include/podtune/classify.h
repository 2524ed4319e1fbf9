/* classify.h — which role a pod has and which container is its main one (contract §1). */
#ifndef PODTUNE_CLASSIFY_H
#define PODTUNE_CLASSIFY_H

#include <jansson.h>

#include "podtune/policy.h"

struct pt_class {
    enum pt_role role;  /* PT_ROLE_NONE: not a target */
    int main_container; /* index into spec.containers; -1 when not a target */
    const char *reason; /* static text: why it is (not) a target */
};

/* Classifies pod (borrowed). Never fails: anything malformed is not a target. */
void pt_classify(const json_t *pod, struct pt_class *out);

#endif
