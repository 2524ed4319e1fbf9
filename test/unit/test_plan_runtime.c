/* test_plan_runtime.c — the planner's runtime stage (env, javaOptions, sparkConf, flinkConf), driven directly on pods and role blocks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#include "podtune/plan.h"

#include "plan_fixture.h"

static void run(struct fx *f, const char *pod, const char *block, enum pt_role role, int main_index)
{
    fx_run(f, pt_plan__runtime, J(pod), J(block), role, main_index);
}

static int same(const json_t *a, const json_t *b)
{
    return (!a && !b) || json_equal(a, b);
}

/* Everything but the main container (index 1) is as in the input. */
static void assert_others_untouched(const struct fx *f)
{
    assert_non_null(at(f->pod, "spec/containers/0"));
    assert_true(same(at(f->p.pod, "spec/initContainers"), at(f->pod, "spec/initContainers")));
    assert_true(same(at(f->p.pod, "spec/containers/0"), at(f->pod, "spec/containers/0")));
    assert_true(same(at(f->p.pod, "metadata"), at(f->pod, "metadata")));
}

/* A Spark executor made from a pod template: the template's sidecar comes first. */
static const char *EXECUTOR =
    "{'metadata': {'labels': {'spark-role': 'executor'}},"
    " 'spec': {'initContainers': [{'name': 'init', 'env': [{'name': 'A', 'value': '1'}]}],"
    "  'containers': ["
    "   {'name': 'fluent-bit', 'env': [{'name': 'SPARK_JAVA_OPT_0', 'value': '-Dside=1'}]},"
    "   {'name': 'spark-kubernetes-executor', 'args': ['executor'], 'env': ["
    "     {'name': 'SPARK_USER', 'value': 'spark'},"
    "     {'name': 'SPARK_EXECUTOR_MEMORY', 'value': '4g'},"
    "     {'name': 'SPARK_JAVA_OPT_0', 'value': '-Dspark.driver.port=7078'},"
    "     {'name': 'SPARK_JAVA_OPT_1', 'value': '-XX:+UseG1GC'},"
    "     {'name': 'SPARK_JAVA_OPT_2', 'value': '-Dspark.network.crypto.enabled=false'},"
    "     {'name': 'SPARK_EXECUTOR_POD_IP', 'valueFrom': {'fieldRef': {'fieldPath': 'status.podIP'}}},"
    "     {'name': 'TZ', 'value': 'UTC'}, {'name': 'TZ', 'value': 'Europe/Paris'}]}]}}";

/* ---- env ------------------------------------------------------------------ */

static void env_fill(void **state)
{
    struct fx f;
    (void)state;
    run(&f, EXECUTOR,
        "{'mode': 'fill', 'env': {'NEW': 'n', 'SPARK_USER': 'other', 'SPARK_EXECUTOR_POD_IP': '1.2.3.4',"
        " 'TZ': 'Europe/Paris', 'SPARK_EXECUTOR_MEMORY': '8g'}}",
        PT_ROLE_SPARK_EXECUTOR, 1);
    assert_others_untouched(&f);
    /* only NEW appended; the valueFrom entry and the user's value are kept;
     * TZ's effective (last) entry already has the value */
    assert_int_equal(json_array_size(at(f.p.pod, "spec/containers/1/env")), 9);
    assert_json(at(f.p.pod, "spec/containers/1/env/8"), "{'name': 'NEW', 'value': 'n'}");
    assert_json(at(f.p.pod, "spec/containers/1/env/5"),
                "{'name': 'SPARK_EXECUTOR_POD_IP', 'valueFrom': {'fieldRef': {'fieldPath': 'status.podIP'}}}");
    assert_int_equal(count(&f.p, PT_REASON_FILLED, "env.NEW"), 1);
    assert_int_equal(count(&f.p, PT_REASON_KEPT, "env.SPARK_USER"), 1);
    assert_int_equal(count(&f.p, PT_REASON_KEPT, "env.SPARK_EXECUTOR_POD_IP"), 1);
    assert_int_equal(count(&f.p, PT_REASON_SKIPPED, "env.SPARK_EXECUTOR_MEMORY"), 1);
    assert_int_equal(count(&f.p, PT_REASON_KEPT, "env.TZ"), 0);
    fx_free(&f);
}

static void env_override(void **state)
{
    struct fx f;
    (void)state;
    run(&f, EXECUTOR,
        "{'mode': 'override', 'env': {'SPARK_USER': 'other', 'SPARK_EXECUTOR_POD_IP': '1.2.3.4', 'TZ': 'UTC'}}",
        PT_ROLE_SPARK_EXECUTOR, 1);
    assert_others_untouched(&f);
    assert_json(at(f.p.pod, "spec/containers/1/env/0"), "{'name': 'SPARK_USER', 'value': 'other'}");
    /* valueFrom replaced by value */
    assert_json(at(f.p.pod, "spec/containers/1/env/5"), "{'name': 'SPARK_EXECUTOR_POD_IP', 'value': '1.2.3.4'}");
    /* the last TZ is the effective one: it is the one replaced */
    assert_json(at(f.p.pod, "spec/containers/1/env/6"), "{'name': 'TZ', 'value': 'UTC'}");
    assert_json(at(f.p.pod, "spec/containers/1/env/7"), "{'name': 'TZ', 'value': 'UTC'}");
    assert_int_equal(count(&f.p, PT_REASON_OVERRIDDEN, "env.SPARK_EXECUTOR_POD_IP"), 1);
    assert_string_equal(f.p.changes[1].from, "(valueFrom)");
    assert_string_equal(f.p.changes[0].from, "spark");
    assert_string_equal(f.p.changes[2].from, "Europe/Paris");
    fx_assert_idempotent(&f);
    fx_free(&f);
}

static void env_odd_shapes(void **state)
{
    struct fx f;
    (void)state;
    run(&f, "{'spec': {'containers': [{'name': 'c', 'env': 'A=1'}]}}",
        "{'env': {'A': '1'}, 'javaOptions': ['-XX:+UseG1GC']}", PT_ROLE_SPARK_EXECUTOR, 0);
    assert_true(json_equal(f.p.pod, f.pod));
    assert_int_equal(count(&f.p, PT_REASON_SKIPPED, "env"), 1);
    assert_int_equal(count(&f.p, PT_REASON_SKIPPED, "javaOptions"), 1);
    fx_free(&f);
    /* env null and entries that are not objects */
    run(&f, "{'spec': {'containers': [{'name': 'c', 'env': [7, {'value': 'x'}]}]}}",
        "{'env': {'A': '1'}}", PT_ROLE_FLINK_JOBMANAGER, 0);
    assert_json(at(f.p.pod, "spec/containers/0/env"), "[7, {'value': 'x'}, {'name': 'A', 'value': '1'}]");
    fx_free(&f);
    run(&f, "{'spec': {'containers': [{'name': 'c', 'env': null}]}}", "{'env': {'A': '1'}}",
        PT_ROLE_FLINK_JOBMANAGER, 0);
    assert_json(at(f.p.pod, "spec/containers/0/env"), "[{'name': 'A', 'value': '1'}]");
    fx_assert_idempotent(&f);
    fx_free(&f);
}

/* ---- javaOptions ---------------------------------------------------------- */

static void spark_java_options_next_index(void **state)
{
    struct fx f;
    (void)state;
    run(&f, EXECUTOR,
        "{'javaOptions': ['-XX:+UseG1GC', '-XX:MaxGCPauseMillis=200', '-Xmx8g', '-Dlog4j2.level=WARN']}",
        PT_ROLE_SPARK_EXECUTOR, 1);
    assert_others_untouched(&f);
    assert_json(at(f.p.pod, "spec/containers/1/env/8"),
                "{'name': 'SPARK_JAVA_OPT_3', 'value': '-XX:MaxGCPauseMillis=200'}");
    assert_json(at(f.p.pod, "spec/containers/1/env/9"),
                "{'name': 'SPARK_JAVA_OPT_4', 'value': '-Dlog4j2.level=WARN'}");
    assert_int_equal(json_array_size(at(f.p.pod, "spec/containers/1/env")), 10);
    assert_int_equal(count(&f.p, PT_REASON_FILLED, "javaOptions"), 2);
    assert_int_equal(count(&f.p, PT_REASON_SKIPPED, "javaOptions"), 1); /* -Xmx */
    fx_free(&f);

    /* idempotency without the skipped option (a skip is re-reported) */
    run(&f, EXECUTOR, "{'javaOptions': ['-XX:MaxGCPauseMillis=200', '-Dlog4j2.level=WARN']}",
        PT_ROLE_SPARK_EXECUTOR, 1);
    fx_assert_idempotent(&f);
    fx_free(&f);

    /* gaps and a non-numeric suffix: the next index follows the highest */
    run(&f, "{'spec': {'containers': [{'env': [{'name': 'SPARK_JAVA_OPT_7', 'value': '-Da=1'},"
            " {'name': 'SPARK_JAVA_OPT_X', 'value': '-Db=1'}]}]}}",
        "{'javaOptions': ['-Db=1', '-Dline=a\\nb']}", PT_ROLE_SPARK_EXECUTOR, 0);
    assert_json(at(f.p.pod, "spec/containers/0/env/2"), "{'name': 'SPARK_JAVA_OPT_8', 'value': '-Db=1'}");
    assert_int_equal(count(&f.p, PT_REASON_SKIPPED, "javaOptions"), 1); /* line break */
    fx_free(&f);
}

static void spark_driver_java_options_skipped(void **state)
{
    struct fx f;
    (void)state;
    run(&f, "{'spec': {'containers': [{'args': ['driver'], 'env': []}]}}",
        "{'javaOptions': ['-XX:+UseG1GC', '-Da=1']}", PT_ROLE_SPARK_DRIVER, 0);
    assert_true(json_equal(f.p.pod, f.pod));
    assert_int_equal(f.p.n, 1);
    assert_int_equal(count(&f.p, PT_REASON_SKIPPED, "javaOptions"), 1);
    assert_non_null(strstr(f.p.changes[0].note, "spark.driver.extraJavaOptions"));
    fx_free(&f);
}

static void flink_java_options_absent_and_present(void **state)
{
    struct fx f;
    (void)state;
    run(&f, "{'spec': {'containers': [{'name': 'flink-main-container', 'env': []}]}}",
        "{'javaOptions': ['-XX:+UseG1GC', '-Dx=1', '-Xmx1g', '-XX:MaxDirectMemorySize=1g']}",
        PT_ROLE_FLINK_TASKMANAGER, 0);
    /* no FLINK_ENV_JAVA_OPTS: JVM_ARGS, so flink-conf's env.java.opts.all and
     * env.java.default-opts.all keep applying */
    assert_json(at(f.p.pod, "spec/containers/0/env"),
                "[{'name': 'JVM_ARGS', 'value': '-XX:+UseG1GC -Dx=1'}]");
    assert_int_equal(count(&f.p, PT_REASON_FILLED, "javaOptions"), 2);
    assert_int_equal(count(&f.p, PT_REASON_SKIPPED, "javaOptions"), 2);
    fx_free(&f);

    /* both present: appended to FLINK_ENV_JAVA_OPTS, options already in JVM_ARGS not repeated */
    run(&f, "{'spec': {'containers': [{'name': 'flink-main-container', 'env': ["
            "{'name': 'JVM_ARGS', 'value': '-Dz=3'}, {'name': 'FLINK_ENV_JAVA_OPTS', 'value': '-Dx=1'}]}]}}",
        "{'javaOptions': ['-Dz=3', '-Dy=2']}", PT_ROLE_FLINK_TASKMANAGER, 0);
    assert_json(at(f.p.pod, "spec/containers/0/env"),
                "[{'name': 'JVM_ARGS', 'value': '-Dz=3'}, {'name': 'FLINK_ENV_JAVA_OPTS', 'value': '-Dx=1 -Dy=2'}]");
    fx_assert_idempotent(&f);
    fx_free(&f);

    run(&f, "{'spec': {'containers': [{'name': 'flink-main-container', 'env': ["
            "{'name': 'FLINK_ENV_JAVA_OPTS', 'value': ' -Dx=1  -XX:+UseG1GC'}]}]}}",
        "{'javaOptions': ['-XX:+UseG1GC', '-Dy=2', '-Dx=1']}", PT_ROLE_FLINK_JOBMANAGER, 0);
    assert_json(at(f.p.pod, "spec/containers/0/env"),
                "[{'name': 'FLINK_ENV_JAVA_OPTS', 'value': ' -Dx=1  -XX:+UseG1GC -Dy=2'}]");
    assert_int_equal(f.p.n, 1);
    fx_assert_idempotent(&f);
    fx_free(&f);

    /* a prefix of an existing option is not the option */
    run(&f, "{'spec': {'containers': [{'env': [{'name': 'FLINK_ENV_JAVA_OPTS', 'value': '-Dx=10'}]}]}}",
        "{'javaOptions': ['-Dx=1', '-Dsp=a b']}", PT_ROLE_FLINK_JOBMANAGER, 0);
    assert_json(at(f.p.pod, "spec/containers/0/env/0/value"), "'-Dx=10 -Dx=1'");
    assert_int_equal(count(&f.p, PT_REASON_SKIPPED, "javaOptions"), 1); /* whitespace */
    fx_free(&f);

    run(&f, "{'spec': {'containers': [{'env': [{'name': 'FLINK_ENV_JAVA_OPTS', 'valueFrom': {}}]}]}}",
        "{'javaOptions': ['-Dx=1']}", PT_ROLE_FLINK_JOBMANAGER, 0);
    assert_true(json_equal(f.p.pod, f.pod));
    assert_int_equal(count(&f.p, PT_REASON_SKIPPED, "javaOptions"), 1);
    fx_free(&f);
}

/* ---- sparkConf ------------------------------------------------------------ */

static const char *DRIVER =
    "{'metadata': {'labels': {'spark-role': 'driver'}, 'annotations': "
    "  {'podtune.io/keep-spark-conf': ' spark.kept.a ,spark.kept.b,, '}},"
    " 'spec': {'containers': ["
    "  {'name': 'sidecar', 'args': ['driver', '--conf', 'x=y']},"
    "  {'name': 'spark-kubernetes-driver', 'args': ['driver', '--properties-file',"
    "   '/opt/spark/conf/spark.properties', '--conf', 'spark.sql.shuffle.partitions=100',"
    "   '--conf=spark.eq.form=1', '--verbose', '--class', 'org.example.Main',"
    "   'local:///opt/app.jar', '--conf', 'spark.app.arg=1', 'in']}]}}";

static void spark_conf_inserted_after_driver(void **state)
{
    struct fx f;
    (void)state;
    run(&f, DRIVER,
        "{'sparkConf': {'spark.dynamicAllocation.enabled': 'true',"
        " 'spark.sql.shuffle.partitions': '400', 'spark.eq.form': '1', 'spark.kept.a': 'x',"
        " 'spark.kept.b': 'y', 'spark.app.arg': '2', 'spark.note': 'a b=c'}}",
        PT_ROLE_SPARK_DRIVER, 1);
    assert_others_untouched(&f);
    assert_json(at(f.p.pod, "spec/containers/1/args"),
                "['driver', '--conf', 'spark.dynamicAllocation.enabled=true',"
                " '--conf', 'spark.app.arg=2', '--conf', 'spark.note=a b=c',"
                " '--properties-file', '/opt/spark/conf/spark.properties',"
                " '--conf', 'spark.sql.shuffle.partitions=100', '--conf=spark.eq.form=1', '--verbose',"
                " '--class', 'org.example.Main', 'local:///opt/app.jar', '--conf', 'spark.app.arg=1', 'in']");
    assert_int_equal(count(&f.p, PT_REASON_FILLED, "sparkConf.spark.dynamicAllocation.enabled"), 1);
    assert_int_equal(count(&f.p, PT_REASON_KEPT, "sparkConf.spark.sql.shuffle.partitions"), 1);
    assert_int_equal(count(&f.p, PT_REASON_KEPT, "sparkConf.spark.kept.a"), 1);
    assert_int_equal(count(&f.p, PT_REASON_KEPT, "sparkConf.spark.kept.b"), 1);
    assert_int_equal(count(&f.p, PT_REASON_KEPT, "sparkConf.spark.eq.form"), 0); /* same value */
    assert_int_equal(f.p.n, 6);
    fx_free(&f);

    /* without the keep-listed and kept keys a second run changes nothing */
    run(&f, DRIVER, "{'sparkConf': {'spark.a': '1', 'spark.b': 'x=y'}}", PT_ROLE_SPARK_DRIVER, 1);
    assert_json(at(f.p.pod, "spec/containers/1/args/2"), "'spark.a=1'");
    assert_json(at(f.p.pod, "spec/containers/1/args/4"), "'spark.b=x=y'");
    fx_assert_idempotent(&f);
    fx_free(&f);
}

static void spark_conf_odd_shapes(void **state)
{
    struct fx f;
    (void)state;
    /* custom entrypoint */
    run(&f, "{'spec': {'containers': [{'args': ['/opt/run.sh', 'driver']}]}}",
        "{'sparkConf': {'a': '1'}}", PT_ROLE_SPARK_DRIVER, 0);
    assert_true(json_equal(f.p.pod, f.pod));
    assert_int_equal(count(&f.p, PT_REASON_SKIPPED, "sparkConf"), 1);
    fx_free(&f);
    /* args absent, args a string */
    run(&f, "{'spec': {'containers': [{'name': 'c'}]}}", "{'sparkConf': {'a': '1'}}",
        PT_ROLE_SPARK_DRIVER, 0);
    assert_true(json_equal(f.p.pod, f.pod));
    assert_int_equal(count(&f.p, PT_REASON_SKIPPED, "sparkConf"), 1);
    fx_free(&f);
    run(&f, "{'spec': {'containers': [{'args': 'driver --conf a=1'}]}}", "{'sparkConf': {'a': '2'}}",
        PT_ROLE_SPARK_DRIVER, 0);
    assert_true(json_equal(f.p.pod, f.pod));
    fx_free(&f);
    /* executors take it from the driver */
    run(&f, EXECUTOR, "{'sparkConf': {'a': '1'}}", PT_ROLE_SPARK_EXECUTOR, 1);
    assert_true(json_equal(f.p.pod, f.pod));
    assert_int_equal(count(&f.p, PT_REASON_SKIPPED, "sparkConf"), 1);
    fx_free(&f);
    /* only "driver": inserted anyway */
    run(&f, "{'spec': {'containers': [{'args': ['driver']}]}}", "{'sparkConf': {'a': '1'}}",
        PT_ROLE_SPARK_DRIVER, 0);
    assert_json(at(f.p.pod, "spec/containers/0/args"), "['driver', '--conf', 'a=1']");
    fx_free(&f);
}

/* ---- flinkConf ------------------------------------------------------------ */

/* A TaskManager as Flink 1.17-1.19 writes it: quoted dynamic properties from
 * getDynamicPropertiesAsString, then the resource -D k=v. */
static const char *TASKMANAGER =
    "{'metadata': {'labels': {'type': 'flink-native-kubernetes', 'component': 'taskmanager'}},"
    " 'spec': {'initContainers': [{'name': 'init', 'args': ['bash', '-c', 'kubernetes-taskmanager.sh']}],"
    "  'containers': [{'name': 'istio-proxy', 'args': ['bash', '-c', 'kubernetes-taskmanager.sh']},"
    "  {'name': 'flink-main-container', 'command': ['/docker-entrypoint.sh'], 'args': ['bash', '-c',"
    "   'kubernetes-taskmanager.sh -Dtaskmanager.resource-id=^my-tm-1-1^"
    " -Dtaskmanager.memory.network.min=^64mb^ -D taskmanager.memory.framework.off-heap.size=134217728b"
    " -D taskmanager.cpu.cores=1.0 -D taskmanager.numberOfTaskSlots=2 ']}]}}";

static void flink_conf_taskmanager(void **state)
{
    struct fx f;
    (void)state;
    run(&f, TASKMANAGER,
        "{'flinkConf': {'state.backend.type': 'rocksdb', 'pipeline.name': 'it^s a $job \\\"x\\\"',"
        " 'taskmanager.numberOfTaskSlots': '4', 'taskmanager.resource-id': 'my-tm-1-1',"
        " 'taskmanager.memory.network.min': '128mb', 'bad key': 'x', 'ok.key': 'line\\nbreak'}}",
        PT_ROLE_FLINK_TASKMANAGER, 1);
    assert_others_untouched(&f);
    assert_json(at(f.p.pod, "spec/containers/1/args"),
                "['bash', '-c', 'kubernetes-taskmanager.sh -Dstate.backend.type=^rocksdb^"
                " -Dpipeline.name=^it^\\\\^^s a $job \\\"x\\\"^"
                " -Dtaskmanager.resource-id=^my-tm-1-1^"
                " -Dtaskmanager.memory.network.min=^64mb^ -D taskmanager.memory.framework.off-heap.size=134217728b"
                " -D taskmanager.cpu.cores=1.0 -D taskmanager.numberOfTaskSlots=2 ']");
    assert_json(at(f.p.pod, "spec/containers/1/command"), "['/docker-entrypoint.sh']");
    assert_int_equal(count(&f.p, PT_REASON_FILLED, "flinkConf.state.backend.type"), 1);
    assert_int_equal(count(&f.p, PT_REASON_FILLED, "flinkConf.pipeline.name"), 1);
    assert_int_equal(count(&f.p, PT_REASON_KEPT, "flinkConf.taskmanager.numberOfTaskSlots"), 1);
    assert_int_equal(count(&f.p, PT_REASON_KEPT, "flinkConf.taskmanager.memory.network.min"), 1);
    assert_int_equal(count(&f.p, PT_REASON_SKIPPED, "flinkConf.bad key"), 1);
    assert_int_equal(count(&f.p, PT_REASON_SKIPPED, "flinkConf.ok.key"), 1);
    assert_int_equal(f.p.n, 6);
    fx_free(&f);

    run(&f, TASKMANAGER, "{'flinkConf': {'state.backend.type': 'rocksdb', 'pipeline.name': 'it^s a b'}}",
        PT_ROLE_FLINK_TASKMANAGER, 1);
    fx_assert_idempotent(&f);
    fx_free(&f);
}

/* Runs `bash -c cmd` and returns its stdout (caller frees), or NULL without bash. */
static char *run_bash(const char *cmd)
{
    char *argv[] = {"bash", "-c", (char *)cmd, NULL};
    posix_spawn_file_actions_t fa;
    char *out;
    size_t n = 0;
    ssize_t r;
    int fds[2], status;
    pid_t pid;

    if (access("/bin/bash", X_OK) != 0)
        return NULL;
    out = calloc(1, 4096);
    assert_non_null(out);
    assert_int_equal(pipe(fds), 0);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    assert_int_equal(posix_spawn(&pid, "/bin/bash", &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    while (n < 4095 && (r = read(fds[0], out + n, 4095 - n)) > 0)
        n += (size_t)r;
    close(fds[0]);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    return out;
}

/* What bash hands the script is exactly the profile's values. */
static void flink_conf_values_survive_bash(void **state)
{
    static const char *script = "kubernetes-taskmanager.sh";
    json_t *pod = json_pack("{s:{s:[{s:[s,s,s]}]}}", "spec", "containers", "args", "bash", "-c",
                            "kubernetes-taskmanager.sh -Dtaskmanager.resource-id='tm-1' "
                            "-D taskmanager.cpu.cores=1.0 ");
    json_t *block = json_pack("{s:{s:s, s:s, s:s}}", "flinkConf", "pipeline.name",
                              "it's a $job \"x\" `id` \\ * ; echo hi", "a.b", "", "c.d", "'''");
    const char *cmd;
    char *probe, *out;
    struct fx f;
    (void)state;

    assert_non_null(pod);
    assert_non_null(block);
    fx_run(&f, pt_plan__runtime, pod, block, PT_ROLE_FLINK_TASKMANAGER, 0);
    cmd = json_string_value(at(f.p.pod, "spec/containers/0/args/2"));
    assert_non_null(cmd);
    assert_int_equal(strncmp(cmd, script, strlen(script)), 0);
    /* the script name replaced by a printer of its arguments */
    probe = malloc(strlen(cmd) + 32);
    assert_non_null(probe);
    snprintf(probe, strlen(cmd) + 32, "printf '[%%s]\\n'%s", cmd + strlen(script));
    out = run_bash(probe);
    if (out) {
        assert_string_equal(out, "[-Dpipeline.name=it's a $job \"x\" `id` \\ * ; echo hi]\n"
                                 "[-Da.b=]\n"
                                 "[-Dc.d=''']\n"
                                 "[-Dtaskmanager.resource-id=tm-1]\n"
                                 "[-D]\n"
                                 "[taskmanager.cpu.cores=1.0]\n");
    }
    free(out);
    free(probe);
    fx_free(&f);
}

static void flink_conf_jobmanager(void **state)
{
    struct fx f;
    (void)state;
    /* application mode, exactly as CmdJobManagerDecorator writes it (no entrypoint args) */
    run(&f, "{'spec': {'containers': [{'name': 'flink-main-container', 'command': ['/docker-entrypoint.sh'],"
            " 'args': ['bash', '-c', 'kubernetes-jobmanager.sh kubernetes-application ']}]}}",
        "{'flinkConf': {'jobmanager.memory.process.size': '2g', 'taskmanager.numberOfTaskSlots': '4'}}",
        PT_ROLE_FLINK_JOBMANAGER, 0);
    assert_json(at(f.p.pod, "spec/containers/0/args/2"),
                "'kubernetes-jobmanager.sh kubernetes-application -Djobmanager.memory.process.size=^2g^"
                " -Dtaskmanager.numberOfTaskSlots=^4^ '");
    fx_assert_idempotent(&f);
    fx_free(&f);

    /* session mode with entrypoint args and a property already in the -Dk=v form */
    run(&f, "{'spec': {'containers': [{'args': ['/bin/bash', '-c',"
            " '/opt/flink/bin/kubernetes-jobmanager.sh kubernetes-session -Dtaskmanager.numberOfTaskSlots=4 --foo']}]}}",
        "{'flinkConf': {'taskmanager.numberOfTaskSlots': '4', 'a.b': 'c'}}", PT_ROLE_FLINK_JOBMANAGER, 0);
    assert_json(at(f.p.pod, "spec/containers/0/args/2"),
                "'/opt/flink/bin/kubernetes-jobmanager.sh kubernetes-session -Da.b=^c^"
                " -Dtaskmanager.numberOfTaskSlots=4 --foo'");
    assert_int_equal(f.p.n, 1);
    fx_free(&f);

    /* the start command in command instead of args */
    run(&f, "{'spec': {'containers': [{'command': ['bash', '-c', 'kubernetes-jobmanager.sh kubernetes-application']}]}}",
        "{'flinkConf': {'a.b': 'c'}}", PT_ROLE_FLINK_JOBMANAGER, 0);
    assert_json(at(f.p.pod, "spec/containers/0/command/2"),
                "'kubernetes-jobmanager.sh kubernetes-application -Da.b=^c^'");
    fx_free(&f);
}

static void flink_conf_unrecognised(void **state)
{
    const char *pods[] = {
        /* a TaskManager role with a JobManager command */
        "{'spec': {'containers': [{'args': ['bash', '-c', 'kubernetes-jobmanager.sh kubernetes-application']}]}}",
        /* unterminated quote */
        "{'spec': {'containers': [{'args': ['bash', '-c', 'kubernetes-taskmanager.sh -Da=^x']}]}}",
        /* not bash -c */
        "{'spec': {'containers': [{'args': ['kubernetes-taskmanager.sh', '-Da=b']}]}}",
        /* a single string */
        "{'spec': {'containers': [{'command': 'bash -c kubernetes-taskmanager.sh'}]}}",
        /* something else first */
        "{'spec': {'containers': [{'args': ['bash', '-c', 'exec kubernetes-taskmanager.sh']}]}}",
    };
    (void)state;
    for (size_t i = 0; i < sizeof(pods) / sizeof(pods[0]); i++) {
        struct fx f;
        run(&f, pods[i], "{'flinkConf': {'a': 'b'}}", PT_ROLE_FLINK_TASKMANAGER, 0);
        assert_true(json_equal(f.p.pod, f.pod));
        assert_int_equal(f.p.n, 1);
        assert_int_equal(count(&f.p, PT_REASON_SKIPPED, "flinkConf"), 1);
        fx_free(&f);
    }
}

static void other_workloads_ignored(void **state)
{
    struct fx f;
    (void)state;
    /* flinkConf on a Spark pod, sparkConf on a Flink pod: not theirs, no noise */
    run(&f, DRIVER, "{'flinkConf': {'a': 'b'}}", PT_ROLE_SPARK_DRIVER, 1);
    assert_true(json_equal(f.p.pod, f.pod));
    assert_int_equal(f.p.n, 0);
    fx_free(&f);
    run(&f, TASKMANAGER, "{'sparkConf': {'a': 'b'}}", PT_ROLE_FLINK_TASKMANAGER, 1);
    assert_true(json_equal(f.p.pod, f.pod));
    assert_int_equal(f.p.n, 0);
    fx_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(env_fill),
        cmocka_unit_test(env_override),
        cmocka_unit_test(env_odd_shapes),
        cmocka_unit_test(spark_java_options_next_index),
        cmocka_unit_test(spark_driver_java_options_skipped),
        cmocka_unit_test(flink_java_options_absent_and_present),
        cmocka_unit_test(spark_conf_inserted_after_driver),
        cmocka_unit_test(spark_conf_odd_shapes),
        cmocka_unit_test(flink_conf_taskmanager),
        cmocka_unit_test(flink_conf_values_survive_bash),
        cmocka_unit_test(flink_conf_jobmanager),
        cmocka_unit_test(flink_conf_unrecognised),
        cmocka_unit_test(other_workloads_ignored),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
