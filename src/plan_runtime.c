/* plan_runtime.c — the planner's runtime stage: the main container's env, JVM options and Spark /
 * Flink configuration. */
#include "podtune/plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The rules, exactly as implemented (docs/planner-scheduling-runtime.md says
 * the same for users). Only spec.containers[in->main] is ever written: its
 * env, args and (for Flink, when the start command lives there) command.
 * Sidecars and init containers are never read or written. A field with an
 * unexpected type (env not a list, args a string, …) is left alone with a
 * SKIPPED note. Nothing is removed or reordered.
 *
 * env {KEY: value}: the pod's entry is the LAST one named KEY (the kubelet
 *   lets a later duplicate win). Absent → {name, value} appended (FILLED).
 *   Same value → nothing. A different value, or a valueFrom (it counts as
 *   present): fill keeps it (KEPT); override replaces it by {name, value},
 *   dropping valueFrom (OVERRIDDEN). Keys the memory sizing owns are skipped
 *   (SKIPPED): SPARK_EXECUTOR_MEMORY on Spark pods (the resources stage
 *   rewrites it) and FLINK_TM_JVM_MEM_OPTS on Flink pods (Flink's memory
 *   model). envFrom is not read: an env entry overrides it at run time.
 *
 * javaOptions [opt…]:
 *   spark-executor — Spark's entrypoint.sh collects `env | grep SPARK_JAVA_OPT_
 *     | sort -t_ -k4 -n`, one JVM argument per variable, placed before its
 *     own -Xms/-Xmx. An option equal to the value of some SPARK_JAVA_OPT_n is
 *     present; every other one becomes SPARK_JAVA_OPT_<max n + 1> (so it
 *     sorts after Spark's own). Options with a line break (entrypoint reads
 *     one per line) are skipped.
 *   flink-jobmanager / flink-taskmanager — appended to env
 *     FLINK_ENV_JAVA_OPTS when the container has it, space-separated. When it
 *     does not, the options go to env JVM_ARGS instead (appended, created if
 *     absent): Flink's config.sh reads env.java.opts.all and — since 1.18 —
 *     env.java.default-opts.all (the Java 17 module flags) from flink-conf
 *     ONLY while FLINK_ENV_JAVA_OPTS is unset, and kubernetes-taskmanager.sh
 *     adds its default -XX:+UseG1GC only then too; creating the variable would
 *     silently drop all of that. JVM_ARGS is read from the environment alone
 *     and flink-console.sh puts it on every JVM command line
 *     (`exec $JAVA_RUN $JVM_ARGS ${FLINK_ENV_JAVA_OPTS} …`). An option equal to
 *     a whitespace-separated word of either variable is present. Options with
 *     whitespace are skipped: the scripts expand both variables unquoted, so
 *     they would be split. A variable from valueFrom is skipped.
 *   Heap sizing is the pod's: -Xmx / -Xms are skipped for both, and for Flink
 *     also -XX:MaxDirectMemorySize / -XX:MaxMetaspaceSize (Flink's memory
 *     model sets them and FLINK_ENV_JAVA_OPTS comes after them).
 *   spark-driver — not applied; one SKIPPED note points to sparkConf
 *     spark.driver.extraJavaOptions.
 *
 * sparkConf {k: v} (spark-driver; on an executor one SKIPPED note, on Flink
 *   pods ignored): the driver args are ["driver", "--properties-file", FILE,
 *   "--class", MAIN, RESOURCE, ARGS…] (DriverCommandFeatureStep). args[0] not
 *   "driver" → skipped (custom entrypoint). The args are parsed the way
 *   spark-submit's SparkSubmitOptionParser does, up to the application
 *   resource (the first argument that is not an option or an option's value);
 *   `--conf k=v`, `-c k=v` and `--conf=k=v` there give k. Keys given there
 *   (same value → nothing; different → KEPT) and keys listed in the pod
 *   annotation podtune.io/keep-spark-conf ("k1, k2"; KEPT) are left alone.
 *   Every other key is inserted as "--conf", "k=v" right after "driver", in
 *   the block's order (FILLED). spark-submit ranks --conf above the
 *   properties file, so these win over spark.properties. A second run finds
 *   its own --conf pairs and changes nothing.
 *
 * flinkConf {k: v} (Flink roles; ignored on Spark pods): Flink's decorators
 *   set args ["bash", "-c", CMD] (KubernetesUtils.getStartCommandWithBashWrapper)
 *   with CMD = "kubernetes-jobmanager.sh kubernetes-application|kubernetes-session
 *   [entrypoint args]" (CmdJobManagerDecorator) or "kubernetes-taskmanager.sh
 *   -Dk='v' … -D k=v … [entrypoint args]" (CmdTaskManagerDecorator: dynamic
 *   properties from BootstrapTools.getDynamicPropertiesAsString, then the
 *   resource -D k=v from TaskExecutorProcessUtils). The same shape is
 *   accepted in command. CMD is split into shell words (quotes, backslashes);
 *   an unterminated quote or another first word → skipped. A key present in
 *   any word form (-Dk=v, -D k=v, -Dk='v') is left alone (same value →
 *   nothing; different → KEPT). Others are inserted as -Dk='v' (the
 *   getDynamicPropertiesAsString form, ' written '\'') right after the script
 *   name (TaskManager) or after kubernetes-application / kubernetes-session
 *   (JobManager), where kubernetes-*.sh pass them on as dynamic properties.
 *   Keys must be [A-Za-z0-9._-]+ and values free of control characters,
 *   otherwise skipped (cannot be passed safely).
 *
 * Re-running on the output with the same block changes nothing.
 */

#define CMD_CAP (1u << 20) /* a start command podtune writes stays below 1 MiB */

static int skip(struct pt_plan *p, const char *field, const char *why)
{
    return pt_plan_note(p, PT_REASON_SKIPPED, field, NULL, NULL, "%s", why);
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* ---- env ------------------------------------------------------------------ */

/* The index of the last env entry named name, or -1. */
static long env_find(const json_t *env, const char *name)
{
    long found = -1;
    size_t i;
    json_t *e;

    json_array_foreach(env, i, e)
    {
        const char *n = json_string_value(json_object_get(e, "name"));
        if (n && strcmp(n, name) == 0)
            found = (long)i;
    }
    return found;
}

static int env_append(json_t *env, const char *name, const char *value)
{
    json_t *e = json_pack("{s:s, s:s}", "name", name, "value", value);

    if (!e)
        return PT_ENOMEM;
    return json_array_append_new(env, e) == 0 ? PT_OK : PT_ENOMEM;
}

static int env_reserved(enum pt_role role, const char *key)
{
    if (pt_role_is_spark(role))
        return strcmp(key, "SPARK_EXECUTOR_MEMORY") == 0;
    return strcmp(key, "FLINK_TM_JVM_MEM_OPTS") == 0;
}

/* Fill/override of one env entry (see the top). */
static int env_set(const struct pt_plan_input *in, struct pt_plan *p, json_t *env, const char *key,
                   const char *value, const char *field)
{
    long at = env_find(env, key);
    json_t *e, *repl;
    const char *have;
    int from_ref;

    if (at < 0) {
        if (env_append(env, key, value) != 0)
            return PT_ENOMEM;
        return pt_plan_note(p, PT_REASON_FILLED, field, NULL, value, NULL);
    }
    e = json_array_get(env, (size_t)at);
    from_ref = json_object_get(e, "valueFrom") && !json_is_null(json_object_get(e, "valueFrom"));
    have = json_string_value(json_object_get(e, "value"));
    if (!from_ref && strcmp(have ? have : "", value) == 0)
        return PT_OK;
    if (!have)
        have = from_ref ? "(valueFrom)" : "";
    if (!in->override)
        return pt_plan_note(p, PT_REASON_KEPT, field, have, value,
                            "kept pod value %s over profile value %s (mode fill)", have, value);
    if (!(repl = json_pack("{s:s, s:s}", "name", key, "value", value)))
        return PT_ENOMEM;
    /* note before replacing: have may point into the entry being replaced */
    if (pt_plan_note(p, PT_REASON_OVERRIDDEN, field, have, value, NULL) != 0) {
        json_decref(repl);
        return PT_ENOMEM;
    }
    return json_array_set_new(env, (size_t)at, repl) == 0 ? PT_OK : PT_ENOMEM;
}

static int plan_env(const struct pt_plan_input *in, struct pt_plan *p, json_t *c)
{
    const json_t *want = json_object_get(in->block, "env");
    const char *key;
    json_t *val, *env;
    char field[512];
    int rc;

    if (json_object_size(want) == 0)
        return PT_OK;
    if (!(env = pt_plan_array_at(c, "env")))
        return skip(p, "env", "the main container's env is not a list; left alone");
    json_object_foreach((json_t *)want, key, val)
    {
        snprintf(field, sizeof(field), "env.%s", key);
        if (!json_is_string(val))
            continue; /* the loader only lets strings through */
        if (env_reserved(in->role, key)) {
            rc = skip(p, field, "sized from the pod's memory; not set from env");
        } else {
            rc = env_set(in, p, env, key, json_string_value(val), field);
        }
        if (rc != 0)
            return rc;
    }
    return PT_OK;
}

/* ---- javaOptions ---------------------------------------------------------- */

static int has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Options that size the JVM's memory, which belongs to the pod. */
static int heap_option(const char *opt, int flink)
{
    if (has_prefix(opt, "-Xmx") || has_prefix(opt, "-Xms"))
        return 1;
    return flink &&
           (has_prefix(opt, "-XX:MaxDirectMemorySize") || has_prefix(opt, "-XX:MaxMetaspaceSize"));
}

/* n if name is SPARK_JAVA_OPT_<n>, else -1. */
static long spark_opt_index(const char *name)
{
    const char *digits;
    char *end;
    long n;

    if (!name || !has_prefix(name, "SPARK_JAVA_OPT_"))
        return -1;
    digits = name + strlen("SPARK_JAVA_OPT_");
    if (*digits < '0' || *digits > '9')
        return -1;
    n = strtol(digits, &end, 10);
    if (*end != '\0' || n < 0 || n > 1000000)
        return -1;
    return n;
}

static int plan_spark_java(struct pt_plan *p, json_t *env, const json_t *opts)
{
    long next = 0;
    size_t i, j;
    json_t *e, *o;
    char name[48];
    int rc;

    json_array_foreach(env, i, e)
    {
        long n = spark_opt_index(json_string_value(json_object_get(e, "name")));
        if (n >= next)
            next = n + 1;
    }
    json_array_foreach(opts, i, o)
    {
        const char *opt = json_string_value(o);
        int present = 0;
        if (!opt || !*opt)
            continue;
        if (strpbrk(opt, "\r\n")) {
            if ((rc = pt_plan_note(p, PT_REASON_SKIPPED, "javaOptions", NULL, NULL,
                                   "%.60s: a line break splits SPARK_JAVA_OPT_n", opt)) != 0)
                return rc;
            continue;
        }
        if (heap_option(opt, 0)) {
            if ((rc = pt_plan_note(p, PT_REASON_SKIPPED, "javaOptions", NULL, opt,
                                   "%.40s: the heap is sized by Spark from the pod", opt)) != 0)
                return rc;
            continue;
        }
        json_array_foreach(env, j, e)
        {
            const char *v = json_string_value(json_object_get(e, "value"));
            if (spark_opt_index(json_string_value(json_object_get(e, "name"))) >= 0 && v &&
                strcmp(v, opt) == 0) {
                present = 1;
                break;
            }
        }
        if (present)
            continue;
        snprintf(name, sizeof(name), "SPARK_JAVA_OPT_%ld", next++);
        if (env_append(env, name, opt) != 0)
            return PT_ENOMEM;
        if ((rc = pt_plan_note(p, PT_REASON_FILLED, "javaOptions", NULL, opt, "as %s", name)) != 0)
            return rc;
    }
    return PT_OK;
}

/* 1 if opt is one of the whitespace-separated words of list. */
static int has_word(const char *list, const char *opt)
{
    size_t len = strlen(opt);
    const char *s = list;

    while (*s) {
        size_t n;
        s += strspn(s, " \t\r\n");
        n = strcspn(s, " \t\r\n");
        if (n == len && n > 0 && strncmp(s, opt, n) == 0)
            return 1;
        s += n;
    }
    return 0;
}

static int plan_flink_java(struct pt_plan *p, json_t *env, const json_t *opts)
{
    /* FLINK_ENV_JAVA_OPTS only when the pod already has it: creating it would
     * turn off flink-conf's env.java.opts.all / env.java.default-opts.all */
    long at_flink = env_find(env, "FLINK_ENV_JAVA_OPTS"), at_jvm = env_find(env, "JVM_ARGS");
    const char *var = at_flink >= 0 ? "FLINK_ENV_JAVA_OPTS" : "JVM_ARGS";
    long at = at_flink >= 0 ? at_flink : at_jvm;
    json_t *e = at >= 0 ? json_array_get(env, (size_t)at) : NULL;
    const char *other =
        at_flink >= 0 && at_jvm >= 0
            ? json_string_value(json_object_get(json_array_get(env, (size_t)at_jvm), "value"))
            : NULL;
    json_t *o;
    const char *have;
    char *value = NULL;
    size_t i, len;
    int rc = PT_OK, changed = 0;

    if (e && json_object_get(e, "valueFrom") && !json_is_null(json_object_get(e, "valueFrom")))
        return pt_plan_note(p, PT_REASON_SKIPPED, "javaOptions", NULL, NULL,
                            "%s comes from valueFrom; not appended to", var);
    have = json_string_value(json_object_get(e, "value"));
    if (!(value = strdup(have ? have : "")))
        return PT_ENOMEM;
    json_array_foreach(opts, i, o)
    {
        const char *opt = json_string_value(o);
        char *grown;
        if (!opt || !*opt)
            continue;
        if (strpbrk(opt, " \t\r\n")) {
            if ((rc = pt_plan_note(p, PT_REASON_SKIPPED, "javaOptions", NULL, NULL,
                                   "%.50s: has whitespace; %s is word-split", opt, var)) != 0)
                goto fail;
            continue;
        }
        if (heap_option(opt, 1)) {
            if ((rc = pt_plan_note(p, PT_REASON_SKIPPED, "javaOptions", NULL, opt,
                                   "%.40s: JVM memory is sized by Flink from the pod", opt)) != 0)
                goto fail;
            continue;
        }
        if (has_word(value, opt) || (other && has_word(other, opt)))
            continue;
        len = strlen(value);
        if (len + strlen(opt) + 2 > CMD_CAP) {
            rc = PT_ERANGE;
            goto fail;
        }
        if (!(grown = realloc(value, len + strlen(opt) + 2))) {
            rc = PT_ENOMEM;
            goto fail;
        }
        value = grown;
        snprintf(value + len, strlen(opt) + 2, "%s%s", len ? " " : "", opt);
        if ((rc = pt_plan_note(p, PT_REASON_FILLED, "javaOptions", NULL, opt, "appended to %s",
                               var)) != 0)
            goto fail;
        changed = 1;
    }
    if (changed) {
        if (e)
            rc = json_object_set_new(e, "value", json_string(value)) == 0 ? PT_OK : PT_ENOMEM;
        else
            rc = env_append(env, var, value);
    }
fail:
    free(value);
    return rc;
}

static int plan_java(const struct pt_plan_input *in, struct pt_plan *p, json_t *c)
{
    const json_t *opts = json_object_get(in->block, "javaOptions");
    json_t *env;

    if (json_array_size(opts) == 0)
        return PT_OK;
    if (in->role == PT_ROLE_SPARK_DRIVER)
        return skip(p, "javaOptions",
                    "not applied to the Spark driver; use sparkConf spark.driver.extraJavaOptions");
    if (!(env = pt_plan_array_at(c, "env")))
        return skip(p, "javaOptions", "the main container's env is not a list; left alone");
    if (in->role == PT_ROLE_SPARK_EXECUTOR)
        return plan_spark_java(p, env, opts);
    if (in->role == PT_ROLE_FLINK_JOBMANAGER || in->role == PT_ROLE_FLINK_TASKMANAGER)
        return plan_flink_java(p, env, opts);
    return PT_OK;
}

/* ---- sparkConf ------------------------------------------------------------ */

/* spark-submit options that take a value (SparkSubmitOptionParser.opts). */
static const char *const spark_value_opts[] = {"--archives",
                                               "--class",
                                               "--conf",
                                               "-c",
                                               "--deploy-mode",
                                               "--driver-class-path",
                                               "--driver-cores",
                                               "--driver-java-options",
                                               "--driver-library-path",
                                               "--driver-memory",
                                               "--executor-cores",
                                               "--executor-memory",
                                               "--files",
                                               "--jars",
                                               "--keytab",
                                               "--kill",
                                               "--master",
                                               "--name",
                                               "--num-executors",
                                               "--packages",
                                               "--exclude-packages",
                                               "--principal",
                                               "--properties-file",
                                               "--proxy-user",
                                               "--py-files",
                                               "--queue",
                                               "--repositories",
                                               "--status",
                                               "--total-executor-cores",
                                               "--remote",
                                               NULL};

static int in_list(const char *const *list, const char *s, size_t len)
{
    for (size_t i = 0; list[i]; i++) {
        if (strlen(list[i]) == len && strncmp(list[i], s, len) == 0)
            return 1;
    }
    return 0;
}

/* The value given for key by a `--conf key=value` before the application
 * resource, or NULL. Mirrors SparkSubmitOptionParser.parse: "--name=value"
 * splits at the first '='; a value option eats the next argument; switches
 * and unknown dashed arguments stand alone; the first other argument is the
 * resource and ends the options. */
static const char *driver_conf(const json_t *args, const char *key)
{
    size_t n = json_array_size(args), klen = strlen(key);
    const char *found = NULL;

    for (size_t i = 1; i < n; i++) {
        const char *a = json_string_value(json_array_get(args, i));
        const char *conf = NULL, *eq;
        if (!a)
            return found;
        if (a[0] != '-')
            break; /* the application resource */
        eq = strchr(a, '=');
        if (a[1] == '-' && eq && eq > a + 2 && eq[1]) {
            if ((size_t)(eq - a) == strlen("--conf") && strncmp(a, "--conf", 6) == 0)
                conf = eq + 1;
        } else if (in_list(spark_value_opts, a, strlen(a))) {
            if (i + 1 >= n)
                break;
            if (strcmp(a, "--conf") == 0 || strcmp(a, "-c") == 0)
                conf = json_string_value(json_array_get(args, i + 1));
            i++;
        }
        if (conf && strncmp(conf, key, klen) == 0 && conf[klen] == '=')
            found = conf + klen + 1; /* spark-submit keeps the last one */
    }
    return found;
}

/* 1 if key is listed in the comma-separated list (items trimmed). */
static int listed(const char *list, const char *key)
{
    size_t klen = strlen(key);

    while (list && *list) {
        const char *item = list + strspn(list, " \t");
        const char *end = strchr(item, ',');
        size_t n = end ? (size_t)(end - item) : strlen(item);
        while (n > 0 && (item[n - 1] == ' ' || item[n - 1] == '\t'))
            n--;
        if (n == klen && strncmp(item, key, n) == 0)
            return 1;
        list = end ? end + 1 : NULL;
    }
    return 0;
}

static int plan_spark_conf(const struct pt_plan_input *in, struct pt_plan *p, json_t *c)
{
    const json_t *conf = json_object_get(in->block, "sparkConf");
    const json_t *ann = json_object_get(json_object_get(p->pod, "metadata"), "annotations");
    const char *keep = json_string_value(json_object_get(ann, "podtune.io/keep-spark-conf"));
    const char *key, *first;
    json_t *val, *args;
    size_t at = 1;
    char field[512];
    int rc;

    if (json_object_size(conf) == 0 || pt_role_is_spark(in->role) == 0)
        return PT_OK;
    if (in->role != PT_ROLE_SPARK_DRIVER)
        return skip(p, "sparkConf", "applies to the driver; executors take it from the driver");
    args = json_object_get(c, "args");
    first = json_string_value(json_array_get(args, 0));
    if (!json_is_array(args) || !first || strcmp(first, "driver") != 0)
        return skip(p, "sparkConf", "driver args do not start with \"driver\" (custom entrypoint)");
    json_object_foreach((json_t *)conf, key, val)
    {
        const char *v = json_string_value(val), *have;
        char *pair;
        snprintf(field, sizeof(field), "sparkConf.%s", key);
        if (!v)
            continue;
        if (!*key || strchr(key, '=')) {
            if ((rc = skip(p, field, "a key with '=' cannot be passed as --conf")) != 0)
                return rc;
            continue;
        }
        if (listed(keep, key)) {
            if ((rc = pt_plan_note(p, PT_REASON_KEPT, field, NULL, v,
                                   "listed in podtune.io/keep-spark-conf")) != 0)
                return rc;
            continue;
        }
        if ((have = driver_conf(args, key))) {
            if (strcmp(have, v) != 0 &&
                (rc = pt_plan_note(p, PT_REASON_KEPT, field, have, v,
                                   "already passed as --conf %s=%s", key, have)) != 0)
                return rc;
            continue;
        }
        if (!(pair = malloc(strlen(key) + strlen(v) + 2)))
            return PT_ENOMEM;
        snprintf(pair, strlen(key) + strlen(v) + 2, "%s=%s", key, v);
        rc = json_array_insert_new(args, at, json_string("--conf")) == 0 &&
                     json_array_insert_new(args, at + 1, json_string(pair)) == 0
                 ? PT_OK
                 : PT_ENOMEM;
        free(pair);
        if (rc != 0)
            return rc;
        at += 2;
        if ((rc = pt_plan_note(p, PT_REASON_FILLED, field, NULL, v, NULL)) != 0)
            return rc;
    }
    return PT_OK;
}

/* ---- flinkConf ------------------------------------------------------------ */

/* One shell word of the start command: its text after quote removal, and
 * the offset just past it in the command. */
struct word {
    char *text;
    size_t end;
};

struct words {
    struct word *w;
    size_t n;
};

static void words_free(struct words *ws)
{
    for (size_t i = 0; i < ws->n; i++)
        free(ws->w[i].text);
    free(ws->w);
    ws->w = NULL;
    ws->n = 0;
}

/* Splits s into words the way bash would for plain words: blanks separate,
 * '…' is literal, "…" honours \\ \" \$ \` and line continuations, a backslash
 * outside quotes escapes the next character. Expansions are not performed
 * (the words podtune looks at have none). PT_EINVAL on an unterminated quote. */
static int split_words(const char *s, struct words *out)
{
    size_t len = strlen(s), i = 0;
    int rc = PT_OK;

    out->w = NULL;
    out->n = 0;
    while (i < len) {
        char *text, *t;
        struct word *grown;

        while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n'))
            i++;
        if (i >= len)
            break;
        if (!(text = malloc(len - i + 1))) {
            rc = PT_ENOMEM;
            goto fail;
        }
        t = text;
        while (i < len && s[i] != ' ' && s[i] != '\t' && s[i] != '\n') {
            if (s[i] == '\'') {
                const char *close = strchr(s + i + 1, '\'');
                if (!close) {
                    free(text);
                    rc = PT_EINVAL;
                    goto fail;
                }
                memcpy(t, s + i + 1, (size_t)(close - (s + i + 1)));
                t += close - (s + i + 1);
                i = (size_t)(close - s) + 1;
            } else if (s[i] == '"') {
                i++;
                while (i < len && s[i] != '"') {
                    if (s[i] == '\\' && i + 1 < len && strchr("\\\"$`\n", s[i + 1])) {
                        if (s[i + 1] != '\n')
                            *t++ = s[i + 1];
                        i += 2;
                    } else {
                        *t++ = s[i++];
                    }
                }
                if (i >= len) {
                    free(text);
                    rc = PT_EINVAL;
                    goto fail;
                }
                i++;
            } else if (s[i] == '\\' && i + 1 < len) {
                if (s[i + 1] != '\n')
                    *t++ = s[i + 1];
                i += 2;
            } else {
                *t++ = s[i++];
            }
        }
        *t = '\0';
        if (!(grown = realloc(out->w, (out->n + 1) * sizeof(*grown)))) {
            free(text);
            rc = PT_ENOMEM;
            goto fail;
        }
        out->w = grown;
        out->w[out->n].text = text;
        out->w[out->n].end = i;
        out->n++;
    }
    return PT_OK;
fail:
    words_free(out);
    return rc;
}

/* The value of dynamic property key in any of the forms Flink writes
 * (-Dk=v, -D k=v, -Dk='v' once unquoted), the last one winning; or NULL. */
static const char *dynamic_property(const struct words *ws, const char *key)
{
    size_t klen = strlen(key);
    const char *found = NULL;

    for (size_t i = 0; i < ws->n; i++) {
        const char *kv = NULL;
        if (strcmp(ws->w[i].text, "-D") == 0 && i + 1 < ws->n)
            kv = ws->w[++i].text;
        else if (has_prefix(ws->w[i].text, "-D") && ws->w[i].text[2])
            kv = ws->w[i].text + 2;
        if (kv && strncmp(kv, key, klen) == 0 && kv[klen] == '=')
            found = kv + klen + 1;
    }
    return found;
}

static int safe_key(const char *k)
{
    if (!*k)
        return 0;
    for (; *k; k++) {
        unsigned char ch = (unsigned char)*k;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '_' || ch == '-'))
            return 0;
    }
    return 1;
}

static int safe_value(const char *v)
{
    for (; *v; v++) {
        unsigned char ch = (unsigned char)*v;
        if (ch < 0x20 || ch == 0x7f)
            return 0;
    }
    return 1;
}

/* A growable string with a hard cap. */
struct buf {
    char *s;
    size_t n, cap;
};

static int buf_add(struct buf *b, const char *s, size_t len)
{
    if (b->n + len + 1 > CMD_CAP)
        return PT_ERANGE;
    if (b->n + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        char *grown;
        while (cap < b->n + len + 1)
            cap *= 2;
        if (!(grown = realloc(b->s, cap)))
            return PT_ENOMEM;
        b->s = grown;
        b->cap = cap;
    }
    memcpy(b->s + b->n, s, len);
    b->n += len;
    b->s[b->n] = '\0';
    return PT_OK;
}

static int buf_str(struct buf *b, const char *s)
{
    return buf_add(b, s, strlen(s));
}

/* Appends " -Dkey='value'" with ' written as '\'' (BootstrapTools'
 * escapeWithSingleQuote form). */
static int add_property(struct buf *b, const char *key, const char *value)
{
    int rc = buf_str(b, " -D");

    if (rc == 0)
        rc = buf_str(b, key);
    if (rc == 0)
        rc = buf_str(b, "='");
    for (const char *v = value; rc == 0 && *v; v++)
        rc = *v == '\'' ? buf_str(b, "'\\''") : buf_add(b, v, 1);
    if (rc == 0)
        rc = buf_str(b, "'");
    return rc;
}

/* Finds the bash -c start command: args (Flink's shape) or command. Returns
 * the array holding it, with the command string at index 2, or NULL. */
static json_t *start_command(json_t *c)
{
    const char *where[] = {"args", "command"};

    for (size_t i = 0; i < 2; i++) {
        json_t *a = json_object_get(c, where[i]);
        const char *sh = json_string_value(json_array_get(a, 0));
        const char *dash_c = json_string_value(json_array_get(a, 1));
        if (sh && dash_c && strcmp(base_name(sh), "bash") == 0 && strcmp(dash_c, "-c") == 0 &&
            json_is_string(json_array_get(a, 2)))
            return a;
    }
    return NULL;
}

/* Where dynamic properties go in cmd for role: the offset after the script
 * name (TaskManager) or after its entry point name (JobManager); 0 when the
 * command is not Flink's. */
static size_t insertion_point(const struct words *ws, enum pt_role role)
{
    if (ws->n < 1)
        return 0;
    if (role == PT_ROLE_FLINK_TASKMANAGER &&
        strcmp(base_name(ws->w[0].text), "kubernetes-taskmanager.sh") == 0)
        return ws->w[0].end;
    if (role == PT_ROLE_FLINK_JOBMANAGER && ws->n >= 2 &&
        strcmp(base_name(ws->w[0].text), "kubernetes-jobmanager.sh") == 0 &&
        (strcmp(ws->w[1].text, "kubernetes-application") == 0 ||
         strcmp(ws->w[1].text, "kubernetes-session") == 0))
        return ws->w[1].end;
    return 0;
}

static int plan_flink_conf(const struct pt_plan_input *in, struct pt_plan *p, json_t *c)
{
    const json_t *conf = json_object_get(in->block, "flinkConf");
    struct words ws = {NULL, 0};
    struct buf add = {NULL, 0, 0}, out = {NULL, 0, 0};
    const char *cmd, *key;
    json_t *holder, *val;
    size_t at;
    char field[512];
    int rc = PT_OK;

    if (json_object_size(conf) == 0 ||
        (in->role != PT_ROLE_FLINK_JOBMANAGER && in->role != PT_ROLE_FLINK_TASKMANAGER))
        return PT_OK;
    if (!(holder = start_command(c)))
        return skip(p, "flinkConf", "no bash -c start command in args or command; not applied");
    cmd = json_string_value(json_array_get(holder, 2));
    rc = split_words(cmd, &ws);
    if (rc == PT_EINVAL)
        return skip(p, "flinkConf", "start command has an unterminated quote; not applied");
    if (rc != 0)
        return rc;
    if (!(at = insertion_point(&ws, in->role))) {
        rc = skip(p, "flinkConf", "start command is not Flink's kubernetes-*.sh; not applied");
        goto done;
    }
    json_object_foreach((json_t *)conf, key, val)
    {
        const char *v = json_string_value(val), *have;
        snprintf(field, sizeof(field), "flinkConf.%s", key);
        if (!v)
            continue;
        if (!safe_key(key) || !safe_value(v)) {
            if ((rc = skip(p, field, "key or value cannot be quoted safely for bash")) != 0)
                goto done;
            continue;
        }
        if ((have = dynamic_property(&ws, key))) {
            if (strcmp(have, v) != 0 &&
                (rc = pt_plan_note(p, PT_REASON_KEPT, field, have, v,
                                   "already set in the start command to %s", have)) != 0)
                goto done;
            continue;
        }
        if ((rc = add_property(&add, key, v)) != 0)
            goto done;
        if ((rc = pt_plan_note(p, PT_REASON_FILLED, field, NULL, v, NULL)) != 0)
            goto done;
    }
    if (add.n == 0)
        goto done;
    if ((rc = buf_add(&out, cmd, at)) != 0 || (rc = buf_add(&out, add.s, add.n)) != 0 ||
        (rc = buf_str(&out, cmd + at)) != 0)
        goto done;
    rc = json_array_set_new(holder, 2, json_string(out.s)) == 0 ? PT_OK : PT_ENOMEM;
done:
    words_free(&ws);
    free(add.s);
    free(out.s);
    return rc;
}

int pt_plan__runtime(const struct pt_plan_input *in, struct pt_plan *p, struct pt_error *err)
{
    json_t *c = pt_plan_main_container(p, in);
    int rc = PT_OK;

    if (!c) {
        if ((rc = skip(p, "containers", "no main container; runtime left alone")) != 0)
            goto fail;
        return PT_OK;
    }
    if ((rc = plan_env(in, p, c)) != 0)
        goto fail;
    if ((rc = plan_java(in, p, c)) != 0)
        goto fail;
    if ((rc = plan_spark_conf(in, p, c)) != 0)
        goto fail;
    if ((rc = plan_flink_conf(in, p, c)) != 0)
        goto fail;
    return PT_OK;
fail:
    return pt_error_set(err, rc, "runtime stage: %s", pt_strerror(rc));
}
