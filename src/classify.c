/* classify.c — names a pod's role from its labels and finds its main container (contract §1). */
#include "podtune/classify.h"

#include <string.h>

static const char *label(const json_t *labels, const char *key)
{
    return json_string_value(json_object_get(labels, key));
}

/* Index of the container named name, else 0 (the first container). */
static int main_container(const json_t *containers, const char *name)
{
    size_t i;
    json_t *c;

    json_array_foreach(containers, i, c)
    {
        const char *n = json_string_value(json_object_get(c, "name"));
        if (n && strcmp(n, name) == 0)
            return (int)i;
    }
    return 0;
}

void pt_classify(const json_t *pod, struct pt_class *out)
{
    const json_t *meta = json_object_get(pod, "metadata");
    const json_t *labels = json_object_get(meta, "labels");
    const json_t *ann = json_object_get(meta, "annotations");
    const json_t *containers = json_object_get(json_object_get(pod, "spec"), "containers");
    const char *spark = label(labels, "spark-role");
    const char *type = label(labels, "type");
    const char *component = label(labels, "component");
    const char *main_name = NULL;

    out->role = PT_ROLE_NONE;
    out->main_container = -1;

    if (!json_is_object(pod) || !json_is_object(meta)) {
        out->reason = "not a pod object (no metadata)";
        return;
    }
    if (json_object_get(ann, "kubernetes.io/config.mirror")) {
        out->reason = "mirror pod (annotation kubernetes.io/config.mirror)";
        return;
    }
    if (spark && strcmp(spark, "driver") == 0) {
        out->role = PT_ROLE_SPARK_DRIVER;
        main_name = "spark-kubernetes-driver";
        out->reason = "label spark-role=driver";
    } else if (spark && strcmp(spark, "executor") == 0) {
        out->role = PT_ROLE_SPARK_EXECUTOR;
        main_name = "spark-kubernetes-executor";
        out->reason = "label spark-role=executor";
    } else if (type && strcmp(type, "flink-native-kubernetes") == 0 && component &&
               strcmp(component, "jobmanager") == 0) {
        out->role = PT_ROLE_FLINK_JOBMANAGER;
        main_name = "flink-main-container";
        out->reason = "labels type=flink-native-kubernetes, component=jobmanager";
    } else if (type && strcmp(type, "flink-native-kubernetes") == 0 && component &&
               strcmp(component, "taskmanager") == 0) {
        out->role = PT_ROLE_FLINK_TASKMANAGER;
        main_name = "flink-main-container";
        out->reason = "labels type=flink-native-kubernetes, component=taskmanager";
    } else {
        out->reason = spark ? "label spark-role is neither driver nor executor"
                            : "no Spark or Flink role labels";
        return;
    }
    if (!json_is_array(containers) || json_array_size(containers) == 0 ||
        !json_is_object(json_array_get(containers, 0))) {
        out->role = PT_ROLE_NONE;
        out->reason = "pod has no containers";
        return;
    }
    out->main_container = main_container(containers, main_name);
    if (!json_is_object(json_array_get(containers, (size_t)out->main_container))) {
        out->role = PT_ROLE_NONE;
        out->main_container = -1;
        out->reason = "main container is not an object";
    }
}
