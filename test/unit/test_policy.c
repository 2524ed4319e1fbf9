/* test_policy.c — unit tests for policy loading: schema, merge, digest, ties, globs, ConfigMap
 * directories, the invalid corpus. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_util.h"

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/policy_internal.h"
#include "podtune/policy.h"

/* ---- helpers ------------------------------------------------------------------ */

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[1024];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

static char *make_tmpdir(void)
{
    char tmpl[] = "/tmp/podtune-policy-XXXXXX";
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return strdup(d);
}

static void rm_tree(char *dir)
{
    test_rm_tree(dir);
    free(dir);
}

/* Loads one YAML text as dir/policy.yaml; the caller owns dir and diags. */
static struct pt_policy_set *load_text(const char *text, char **dir, struct pt_diags *d)
{
    *dir = make_tmpdir();
    write_file(*dir, "policy.yaml", text);
    pt_diags_init(d);
    return pt_policy_load_dir(*dir, d);
}

/* The first diagnostic of severity sev (after sorting), or NULL. */
static const struct pt_diag *first_of(struct pt_diags *d, enum pt_severity sev)
{
    pt_diags_sort(d);
    for (size_t i = 0; i < d->n; i++)
        if (d->items[i].severity == sev)
            return &d->items[i];
    return NULL;
}

static int has_text(const struct pt_diags *d, enum pt_severity sev, const char *needle)
{
    for (size_t i = 0; i < d->n; i++)
        if (d->items[i].severity == sev && strstr(d->items[i].text, needle))
            return 1;
    return 0;
}

static const char *str_at(const json_t *o, const char *k1, const char *k2, const char *k3)
{
    const json_t *v = json_object_get(o, k1);
    if (k2)
        v = json_object_get(v, k2);
    if (k3)
        v = json_object_get(v, k3);
    return json_string_value(v);
}

#define HEAD "apiVersion: podtune.io/v1\nkind: Profile\n"

static const char *const full_profile =
    HEAD "metadata:\n"
         "  name: batch-etl\n"
         "  labels: {owner: data}\n"
         "spec:\n"
         "  description: Nightly ETL\n"
         "  priority: 10\n"
         "  enforce: true\n"
         "  namespaces: [\"etl-*\", analytics]\n"
         "  match:\n"
         "    workloads: [spark, flink-taskmanager]\n"
         "    labels: {team: data}\n"
         "  roles:\n"
         "    all:\n"
         "      resources:\n"
         "        requests: {cpu: 1, memory: 1.5Gi}\n"
         "        limits: {cpu: \"2\", memory: 6Gi, ephemeral-storage: 20Gi}\n"
         "        min: {cpu: \"0.5\"}\n"
         "        max: {cpu: 8, memory: 64Gi}\n"
         "        maxLimitRequestRatio: {cpu: 4}\n"
         "      nodeSelector: {node-type: high-memory, gpu: true}\n"
         "      tolerations:\n"
         "        - {key: dedicated, value: spark, effect: NoSchedule}\n"
         "        - {operator: Exists, effect: NoExecute, tolerationSeconds: 30}\n"
         "      javaOptions: [\"-XX:+UseG1GC\"]\n"
         "      labels: {cost-center: data-platform}\n"
         "      annotations: {example.com/note: \"any text: here\"}\n"
         "      env: {A: one, B: 2}\n"
         "    spark-driver:\n"
         "      mode: override\n"
         "      priorityClassName: spark-batch\n"
         "      priorityValue: 1000\n"
         "      schedulerName: yunikorn\n"
         "      nodeAffinity:\n"
         "        required:\n"
         "          - {key: node-type, operator: In, values: [high-memory]}\n"
         "          - {key: cores, operator: Gt, values: [\"8\"]}\n"
         "        preferred:\n"
         "          - weight: 50\n"
         "            matchExpressions: [{key: disk, operator: Exists}]\n"
         "      sparkConf:\n"
         "        spark.sql.shuffle.partitions: 400\n"
         "        spark.dynamicAllocation.enabled: true\n"
         "    spark-executor:\n"
         "      resources:\n"
         "        limits: {memory: 8Gi}\n"
         "      env: {B: three}\n"
         "      tolerations: []\n"
         "      javaOptions: [\"-XX:+ExitOnOutOfMemoryError\"]\n"
         "    flink-taskmanager:\n"
         "      flinkConf: {taskmanager.numberOfTaskSlots: 4}\n";

/* ---- valid sets ------------------------------------------------------------------ */

static void test_full_profile(void **state)
{
    struct pt_diags d;
    char *dir;
    struct pt_policy_set *set = load_text(full_profile, &dir, &d);
    const struct pt_profile *p;
    const json_t *drv, *exe, *tm, *jm, *tol;

    (void)state;
    if (!set)
        pt_diags_print(&d, stderr, 0);
    assert_non_null(set);
    assert_int_equal(d.errors, 0);
    assert_int_equal(d.warnings, 0);
    assert_int_equal(set->n, 1);
    assert_int_equal(strncmp(set->digest, "sha256:", 7), 0);
    assert_int_equal(strlen(set->digest), 19);
    assert_string_equal(set->source, dir);
    p = pt_policy_find(set, "batch-etl");
    assert_ptr_equal(p, &set->profiles[0]);
    assert_null(pt_policy_find(set, "batch"));
    assert_null(pt_policy_find(NULL, "batch-etl"));
    assert_string_equal(p->description, "Nightly ETL");
    assert_int_equal(p->priority, 10);
    assert_int_equal(p->enforce, 1);
    assert_int_equal(p->n_namespaces, 2);
    assert_string_equal(p->namespaces[0], "etl-*");
    assert_string_equal(p->namespaces[1], "analytics");
    assert_int_equal(p->has_match, 1);
    assert_int_equal(p->match_roles, (1u << PT_ROLE_SPARK_DRIVER) | (1u << PT_ROLE_SPARK_EXECUTOR) |
                                         (1u << PT_ROLE_FLINK_TASKMANAGER));
    assert_string_equal(str_at(p->match_labels, "team", NULL, NULL), "data");
    assert_int_equal(p->line, 1);
    assert_int_equal(p->column, 1);
    assert_int_equal(p->name_line, 4);
    assert_int_equal(p->name_column, 9);
    assert_non_null(strstr(p->file, "policy.yaml"));

    drv = p->roles[PT_ROLE_SPARK_DRIVER];
    exe = p->roles[PT_ROLE_SPARK_EXECUTOR];
    jm = p->roles[PT_ROLE_FLINK_JOBMANAGER];
    tm = p->roles[PT_ROLE_FLINK_TASKMANAGER];
    assert_non_null(drv);
    assert_non_null(exe);
    assert_non_null(jm); /* `all` alone gives every role a block */
    assert_non_null(tm);

    /* quantities in canonical form, numbers written plainly accepted */
    assert_string_equal(str_at(drv, "resources", "requests", "cpu"), "1");
    assert_string_equal(str_at(drv, "resources", "requests", "memory"), "1536Mi");
    assert_string_equal(str_at(drv, "resources", "min", "cpu"), "500m");
    assert_string_equal(str_at(drv, "resources", "max", "cpu"), "8");
    assert_string_equal(str_at(drv, "resources", "maxLimitRequestRatio", "cpu"), "4");
    /* mode: given, default */
    assert_string_equal(str_at(drv, "mode", NULL, NULL), "override");
    assert_string_equal(str_at(exe, "mode", NULL, NULL), "fill");
    assert_string_equal(str_at(jm, "mode", NULL, NULL), "fill");
    /* plain scalars in string maps become their text */
    assert_string_equal(str_at(drv, "nodeSelector", "gpu", NULL), "true");
    assert_string_equal(str_at(drv, "sparkConf", "spark.sql.shuffle.partitions", NULL), "400");
    assert_string_equal(str_at(drv, "sparkConf", "spark.dynamicAllocation.enabled", NULL), "true");
    assert_string_equal(str_at(tm, "flinkConf", "taskmanager.numberOfTaskSlots", NULL), "4");
    assert_string_equal(str_at(drv, "annotations", "example.com/note", NULL), "any text: here");
    /* integers stay integers */
    assert_true(json_is_integer(json_object_get(drv, "priorityValue")));
    assert_int_equal(json_integer_value(json_object_get(drv, "priorityValue")), 1000);
    assert_string_equal(str_at(drv, "priorityClassName", NULL, NULL), "spark-batch");
    assert_string_equal(str_at(drv, "schedulerName", NULL, NULL), "yunikorn");
    {
        const json_t *aff = json_object_get(drv, "nodeAffinity");
        const json_t *pref = json_array_get(json_object_get(aff, "preferred"), 0);
        const json_t *req1 = json_array_get(json_object_get(aff, "required"), 1);
        assert_int_equal(json_array_size(json_object_get(aff, "required")), 2);
        assert_int_equal(json_integer_value(json_object_get(pref, "weight")), 50);
        assert_string_equal(str_at(json_array_get(json_object_get(pref, "matchExpressions"), 0),
                                   "operator", NULL, NULL),
                            "Exists");
        assert_null(json_object_get(json_array_get(json_object_get(pref, "matchExpressions"), 0),
                                    "values"));
        assert_string_equal(json_string_value(json_array_get(json_object_get(req1, "values"), 0)),
                            "8");
    }
    /* tolerations: operator defaults to Equal; tolerationSeconds an integer */
    tol = json_object_get(drv, "tolerations");
    assert_int_equal(json_array_size(tol), 2);
    assert_string_equal(str_at(json_array_get(tol, 0), "operator", NULL, NULL), "Equal");
    assert_string_equal(str_at(json_array_get(tol, 0), "value", NULL, NULL), "spark");
    assert_null(json_object_get(json_array_get(tol, 1), "key"));
    assert_int_equal(
        json_integer_value(json_object_get(json_array_get(tol, 1), "tolerationSeconds")), 30);

    /* merge: mappings key by key, role wins; lists replaced whole */
    assert_string_equal(str_at(exe, "resources", "limits", "memory"), "8Gi");
    assert_string_equal(str_at(exe, "resources", "limits", "cpu"), "2");
    assert_string_equal(str_at(exe, "resources", "limits", "ephemeral-storage"), "20Gi");
    assert_string_equal(str_at(exe, "env", "A", NULL), "one");
    assert_string_equal(str_at(exe, "env", "B", NULL), "three");
    assert_string_equal(str_at(jm, "env", "B", NULL), "2");
    assert_int_equal(json_array_size(json_object_get(exe, "tolerations")), 0);
    assert_int_equal(json_array_size(json_object_get(exe, "javaOptions")), 1);
    assert_string_equal(json_string_value(json_array_get(json_object_get(exe, "javaOptions"), 0)),
                        "-XX:+ExitOnOutOfMemoryError");
    assert_string_equal(json_string_value(json_array_get(json_object_get(tm, "javaOptions"), 0)),
                        "-XX:+UseG1GC");
    /* javaOptions from `all` do not reach the driver (its JVM options go through sparkConf) */
    assert_null(json_object_get(drv, "javaOptions"));
    assert_null(json_object_get(exe, "sparkConf"));
    assert_null(json_object_get(jm, "flinkConf"));

    pt_policy_set_unref(set);
    pt_diags_cleanup(&d);
    rm_tree(dir);
}

static void test_defaults_and_missing_roles(void **state)
{
    struct pt_diags d;
    char *dir;
    struct pt_policy_set *set =
        load_text(HEAD "metadata: {name: minimal}\nspec: {}\n---\n" HEAD
                       "metadata: {name: one-role}\nspec:\n  roles:\n    spark-executor: {}\n",
                  &dir, &d);
    const struct pt_profile *m, *o;

    (void)state;
    assert_non_null(set);
    assert_int_equal(set->n, 2);
    m = pt_policy_find(set, "minimal");
    o = pt_policy_find(set, "one-role");
    assert_non_null(m);
    assert_non_null(o);
    assert_string_equal(m->description, "");
    assert_int_equal(m->priority, 0);
    assert_int_equal(m->enforce, 0);
    assert_int_equal(m->n_namespaces, 0);
    assert_int_equal(m->has_match, 0);
    assert_int_equal(m->match_roles, 0xfu);
    assert_int_equal(json_object_size(m->match_labels), 0);
    for (int r = 0; r < PT_ROLE_COUNT; r++)
        assert_null(m->roles[r]);
    assert_null(o->roles[PT_ROLE_SPARK_DRIVER]);
    assert_non_null(o->roles[PT_ROLE_SPARK_EXECUTOR]);
    assert_string_equal(str_at(o->roles[PT_ROLE_SPARK_EXECUTOR], "mode", NULL, NULL), "fill");
    assert_int_equal(json_object_size(o->roles[PT_ROLE_SPARK_EXECUTOR]), 1);
    /* the profile applies in every namespace */
    assert_int_equal(pt_profile_admits_namespace(m, "anything"), 1);
    pt_policy_set_unref(set);
    pt_diags_cleanup(&d);
    rm_tree(dir);
}

static void test_sorted_and_multiple_files(void **state)
{
    char *dir = make_tmpdir();
    struct pt_diags d;
    struct pt_policy_set *set;
    char sub[1100];

    (void)state;
    write_file(dir, "z.yaml", HEAD "metadata: {name: alpha}\nspec: {}\n");
    write_file(dir, "a.yml", HEAD "metadata: {name: zulu}\nspec: {}\n---\n---\n# only a comment\n");
    write_file(dir, "notes.txt", "not: [yaml");
    write_file(dir, ".hidden.yaml", "this: [is broken");
    snprintf(sub, sizeof(sub), "%s/nested", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    write_file(sub, "m.yaml", HEAD "metadata: {name: mike}\nspec: {}\n");
    pt_diags_init(&d);
    set = pt_policy_load_dir(dir, &d);
    assert_non_null(set);
    assert_int_equal(d.errors, 0);
    assert_int_equal(set->n, 3);
    assert_string_equal(set->profiles[0].name, "alpha");
    assert_string_equal(set->profiles[1].name, "mike");
    assert_string_equal(set->profiles[2].name, "zulu");
    assert_non_null(strstr(set->profiles[1].file, "/nested/m.yaml"));
    pt_policy_set_unref(set);
    pt_diags_cleanup(&d);
    rm_tree(dir);
}

static void test_load_files(void **state)
{
    char *dir = make_tmpdir();
    char a[1100], b[1100];
    const char *paths[2] = {a, b};
    struct pt_diags d;
    struct pt_policy_set *set;

    (void)state;
    write_file(dir, "a.yaml", HEAD "metadata: {name: one}\nspec: {priority: 1}\n");
    write_file(dir, "b.yaml", HEAD "metadata: {name: two}\nspec: {priority: 2}\n");
    snprintf(a, sizeof(a), "%s/a.yaml", dir);
    snprintf(b, sizeof(b), "%s/b.yaml", dir);
    pt_diags_init(&d);
    set = pt_policy_load_files(paths, 2, &d);
    assert_non_null(set);
    assert_int_equal(set->n, 2);
    assert_int_equal(pt_policy_find(set, "two")->priority, 2);
    pt_policy_set_unref(set);
    /* only the first */
    set = pt_policy_load_files(paths, 1, &d);
    assert_non_null(set);
    assert_int_equal(set->n, 1);
    pt_policy_set_unref(set);
    /* a missing file is an error naming it */
    snprintf(b, sizeof(b), "%s/missing.yaml", dir);
    set = pt_policy_load_files(paths, 2, &d);
    assert_null(set);
    assert_int_equal(d.errors, 1);
    assert_string_equal(d.items[d.n - 1].file, b);
    pt_diags_cleanup(&d);
    rm_tree(dir);
}

static void test_refcount(void **state)
{
    struct pt_diags d;
    char *dir;
    struct pt_policy_set *set = load_text(full_profile, &dir, &d);

    (void)state;
    assert_non_null(set);
    assert_int_equal(atomic_load(&set->refs), 1);
    assert_ptr_equal(pt_policy_set_ref(set), set);
    assert_ptr_equal(pt_policy_set_ref(set), set);
    assert_int_equal(atomic_load(&set->refs), 3);
    pt_policy_set_unref(set);
    pt_policy_set_unref(set);
    assert_int_equal(atomic_load(&set->refs), 1);
    assert_string_equal(set->profiles[0].name, "batch-etl"); /* still alive */
    pt_policy_set_unref(set);                                /* freed: valgrind / ASan check */
    assert_null(pt_policy_set_ref(NULL));
    pt_policy_set_unref(NULL);
    pt_diags_cleanup(&d);
    rm_tree(dir);
}

/* ---- digest ------------------------------------------------------------------------ */

static void digest_of(const char *text, char out[32])
{
    struct pt_diags d;
    char *dir;
    struct pt_policy_set *set = load_text(text, &dir, &d);

    if (!set)
        pt_diags_print(&d, stderr, 0);
    assert_non_null(set);
    memcpy(out, set->digest, 32);
    pt_policy_set_unref(set);
    pt_diags_cleanup(&d);
    rm_tree(dir);
}

static void test_digest(void **state)
{
    static const char *const base = HEAD "metadata: {name: a}\n"
                                         "spec:\n"
                                         "  priority: 5\n"
                                         "  match: {workloads: [spark], labels: {team: x}}\n"
                                         "  roles:\n"
                                         "    all:\n"
                                         "      resources: {requests: {cpu: 1, memory: 1Gi}}\n"
                                         "    spark-executor:\n"
                                         "      env: {K: v}\n"
                                         "---\n" HEAD "metadata: {name: b}\nspec: {}\n";
    /* the same meaning: block style, other key order, comments, quotes, other
     * quantity spellings, documents swapped, `mode: fill` spelled out */
    static const char *const same = "# reformatted\n" HEAD "metadata:\n  name: b\nspec: {}\n---\n"
                                    "kind: Profile\n"
                                    "apiVersion: \"podtune.io/v1\"\n"
                                    "spec:\n"
                                    "  roles:\n"
                                    "    spark-executor:\n"
                                    "      env:\n"
                                    "        K: 'v'\n"
                                    "      mode: fill\n"
                                    "    all:\n"
                                    "      resources:\n"
                                    "        requests:\n"
                                    "          memory: 1024Mi\n"
                                    "          cpu: \"1000m\"\n"
                                    "  match:\n"
                                    "    labels:\n"
                                    "      team: x\n"
                                    "    workloads: [spark-executor, spark-driver]\n"
                                    "  description: descriptions are not part of the digest\n"
                                    "  priority: 5\n"
                                    "metadata: {name: a}\n";
    static const char *const edits[] = {
        "priority: 5\n|priority: 6\n",
        "cpu: 1,|cpu: 2,",
        "env: {K: v}|env: {K: w}",
        "labels: {team: x}|labels: {team: y}",
        "workloads: [spark]|workloads: [spark-driver]",
        "name: b}\nspec: {}|name: b}\nspec: {enforce: true}",
        "name: b}\nspec: {}|name: b}\nspec: {namespaces: [x]}",
        "env: {K: v}|env: {K: v}\n      mode: override",
    };
    char d1[32], d2[32], d3[32];

    (void)state;
    digest_of(base, d1);
    digest_of(same, d2);
    assert_string_equal(d1, d2);
    digest_of(base, d3);
    assert_string_equal(d1, d3);
    for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
        char text[2048], from[128];
        const char *bar = strchr(edits[i], '|');
        const char *at;
        size_t fl = (size_t)(bar - edits[i]);

        memcpy(from, edits[i], fl);
        from[fl] = '\0';
        at = strstr(base, from);
        assert_non_null(at);
        snprintf(text, sizeof(text), "%.*s%s%s", (int)(at - base), base, bar + 1, at + fl);
        digest_of(text, d3);
        if (strcmp(d1, d3) == 0)
            fail_msg("edit %zu (%s) did not change the digest", i, edits[i]);
    }
}

/* ---- warnings ----------------------------------------------------------------------- */

static void test_tie_warnings(void **state)
{
    static const char *const prof =
        HEAD "metadata: {name: %s}\nspec:\n  priority: %d\n%s  match: %s\n"
             "  roles:\n    %s: {}\n";
    struct {
        int prio_b;
        const char *ns_a, *ns_b, *match_a, *match_b, *role_a, *role_b;
        int warned;
    } rows[] = {
        {10, "", "", "{workloads: [spark]}", "{workloads: [spark-executor]}", "spark-executor",
         "spark-executor", 1},
        {11, "", "", "{workloads: [spark]}", "{workloads: [spark]}", "spark-executor",
         "spark-executor", 0},
        {10, "", "", "{labels: {team: a}}", "{labels: {team: b}}", "spark-executor",
         "spark-executor", 0},
        {10, "", "", "{labels: {team: a}}", "{labels: {env: prod}}", "spark-executor",
         "spark-executor", 1},
        {10, "  namespaces: [\"etl-*\"]\n", "  namespaces: [\"ml-*\"]\n", "{}", "{}", "all", "all",
         0},
        {10, "  namespaces: [\"etl-*\"]\n", "  namespaces: [\"*-prod\"]\n", "{}", "{}", "all",
         "all", 1},
        {10, "  namespaces: [\"team-[a-c]\"]\n", "  namespaces: [\"team-[d-f]*\"]\n", "{}", "{}",
         "all", "all", 0},
        {10, "", "", "{workloads: [spark]}", "{workloads: [flink]}", "all", "all", 0},
        {10, "", "", "{}", "{}", "spark-driver", "spark-executor", 0},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char text[2048], a[600], b[600];
        struct pt_diags d;
        char *dir;
        struct pt_policy_set *set;

        snprintf(a, sizeof(a), prof, "aaa", 10, rows[i].ns_a, rows[i].match_a, rows[i].role_a);
        snprintf(b, sizeof(b), prof, "bbb", rows[i].prio_b, rows[i].ns_b, rows[i].match_b,
                 rows[i].role_b);
        snprintf(text, sizeof(text), "%s---\n%s", b, a);
        set = load_text(text, &dir, &d);
        if (!set)
            pt_diags_print(&d, stderr, 0);
        assert_non_null(set);
        if ((int)d.warnings != rows[i].warned)
            fail_msg("row %zu: %zu warnings, expected %d", i, d.warnings, rows[i].warned);
        pt_policy_set_unref(set);
        pt_diags_cleanup(&d);
        rm_tree(dir);
    }
    {
        struct pt_diags d;
        char *dir;
        struct pt_policy_set *set =
            load_text(HEAD "metadata: {name: b}\nspec:\n  priority: 10\n  match: {}\n  roles: "
                           "{spark-executor: {}}\n---\n" HEAD
                           "metadata: {name: a}\nspec:\n  priority: 10\n  match: {workloads: "
                           "[spark]}\n  roles: {all: {}}\n",
                      &dir, &d);
        const struct pt_diag *w;
        assert_non_null(set);
        w = first_of(&d, PT_SEV_WARNING);
        assert_non_null(w);
        assert_string_equal(
            w->text, "profiles 'a' and 'b' can both match spark-executor pods with priority 10; "
                     "'a' wins by name");
        assert_int_equal(w->line, 3); /* at b's name */
        pt_policy_set_unref(set);
        pt_diags_cleanup(&d);
        rm_tree(dir);
    }
}

/* Many tying profiles: at most 50 tie warnings, then one summary line. */
static void test_tie_warnings_capped(void **state)
{
    size_t cap = 60 * 200, used = 0;
    char *text = calloc(1, cap);
    struct pt_diags d;
    char *dir;
    struct pt_policy_set *set;

    (void)state;
    assert_non_null(text);
    for (int i = 0; i < 60; i++)
        used += (size_t)snprintf(
            text + used, cap - used,
            HEAD "metadata: {name: p%02d}\nspec: {match: {}, roles: {all: {}}}\n---\n", i);
    set = load_text(text, &dir, &d);
    assert_non_null(set);
    assert_int_equal(set->n, 60);
    assert_int_equal(d.warnings, 51);
    assert_true(has_text(&d, PT_SEV_WARNING, "1720 more pairs of profiles can tie"));
    pt_policy_set_unref(set);
    pt_diags_cleanup(&d);
    rm_tree(dir);
    free(text);
}

static void test_other_warnings(void **state)
{
    struct pt_diags d;
    char *dir;
    struct pt_policy_set *set = load_text(HEAD "metadata: {name: w}\n"
                                               "spec:\n"
                                               "  match: {workloads: [spark]}\n"
                                               "  roles:\n"
                                               "    spark-driver:\n"
                                               "      priorityClassName: batch\n"
                                               "      sparkConf: {partitions: 4}\n"
                                               "    flink-jobmanager: {}\n",
                                          &dir, &d);

    (void)state;
    assert_non_null(set);
    assert_int_equal(d.errors, 0);
    assert_int_equal(d.warnings, 3);
    assert_true(has_text(&d, PT_SEV_WARNING,
                         "spec.roles.spark-driver.priorityClassName: no priorityValue"));
    assert_true(has_text(&d, PT_SEV_WARNING, "'partitions' does not start with 'spark.'"));
    assert_true(has_text(&d, PT_SEV_WARNING, "spec.match.workloads excludes flink-jobmanager"));
    pt_policy_set_unref(set);
    pt_diags_cleanup(&d);
    rm_tree(dir);

    /* a class in `all` without a value: one warning, not four */
    set = load_text(HEAD
                    "metadata: {name: w}\nspec:\n  roles:\n    all: {priorityClassName: batch}\n",
                    &dir, &d);
    assert_non_null(set);
    assert_int_equal(d.warnings, 1);
    assert_true(has_text(&d, PT_SEV_WARNING, "spec.roles.all.priorityClassName: no priorityValue"));
    pt_policy_set_unref(set);
    pt_diags_cleanup(&d);
    rm_tree(dir);
}

/* ---- errors ------------------------------------------------------------------------- */

static void test_collects_all_errors(void **state)
{
    struct pt_diags d;
    char *dir;
    struct pt_policy_set *set =
        load_text(HEAD "metadata: {name: e}\n"
                       "spec:\n"
                       "  priority: high\n"
                       "  bogus: 1\n"
                       "  roles:\n"
                       "    all:\n"
                       "      resources: {requests: {cpu: 4}, limits: {cpu: 2, memory: x}}\n"
                       "      env: {SPARK_EXECUTOR_MEMORY: 1g}\n"
                       "---\n" HEAD "metadata: {name: E}\nspec: {}\n",
                  &dir, &d);
    static const int lines[] = {5, 6, 9, 9, 10, 14};

    (void)state;
    assert_null(set);
    pt_diags_sort(&d);
    if (d.errors != 6)
        pt_diags_print(&d, stderr, 0);
    assert_int_equal(d.errors, 6);
    for (size_t i = 0; i < 6; i++)
        if (d.items[i].line != lines[i]) {
            pt_diags_print(&d, stderr, 0);
            fail_msg("error %zu at line %d, expected %d", i, d.items[i].line, lines[i]);
        }
    assert_true(has_text(&d, PT_SEV_ERROR, "requests.cpu 4 is above limits.cpu 2"));
    pt_diags_cleanup(&d);
    rm_tree(dir);
}

/* A flood of errors is cut at 100 plus one "too many" line; the set is still rejected. */
static void test_error_cap(void **state)
{
    size_t cap = 64 + 5000 * 16, used;
    char *text = calloc(1, cap);
    struct pt_diags d;
    char *dir;

    (void)state;
    assert_non_null(text);
    used = (size_t)snprintf(text, cap, HEAD "metadata: {name: p}\nspec:\n");
    for (int i = 0; i < 5000; i++)
        used += (size_t)snprintf(text + used, cap - used, "  k%d: 1\n", i);
    assert_null(load_text(text, &dir, &d));
    assert_int_equal(d.errors, 101);
    assert_string_equal(d.items[100].text, "too many errors; the rest are not shown");
    pt_diags_cleanup(&d);
    rm_tree(dir);
    free(text);
}

static int read_line(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    size_t n;

    if (!f || !fgets(buf, (int)len, f)) {
        if (f)
            fclose(f);
        return -1;
    }
    fclose(f);
    n = strlen(buf);
    if (n && buf[n - 1] == '\n')
        buf[n - 1] = '\0';
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every case in test/policies/invalid: the first error is the one in case/error. */
static void test_invalid_corpus(void **state)
{
    const char *root = "test/policies/invalid";
    DIR *dp = opendir(root);
    struct dirent *de;
    char *names[512];
    size_t n = 0, failed = 0;

    (void)state;
    assert_non_null(dp);
    while ((de = readdir(dp)) && n < 512)
        if (de->d_name[0] != '.')
            names[n++] = strdup(de->d_name);
    closedir(dp);
    qsort(names, n, sizeof(*names), cmp_str);
    assert_true(n >= 40);
    for (size_t i = 0; i < n; i++) {
        char dir[600], expect_file[700], expected[1200], got[1200], policy[700];
        struct pt_diags d;
        struct pt_policy_set *set;
        const struct pt_diag *e;

        snprintf(dir, sizeof(dir), "%s/%s", root, names[i]);
        snprintf(expect_file, sizeof(expect_file), "%s/error", dir);
        snprintf(policy, sizeof(policy), "%s/policy.yaml", dir);
        assert_int_equal(read_line(expect_file, expected, sizeof(expected)), 0);
        pt_diags_init(&d);
        set = pt_policy_load_dir(dir, &d);
        e = first_of(&d, PT_SEV_ERROR);
        if (set || !e) {
            fprintf(stderr, "%s: loaded without errors\n", names[i]);
            failed++;
        } else {
            snprintf(got, sizeof(got), "%d:%d: %s", e->line, e->column, e->text);
            if (strcmp(e->file, policy) != 0 || strcmp(got, expected) != 0) {
                fprintf(stderr, "%s:\n  expected %s: %s\n  got      %s: %s\n", names[i], policy,
                        expected, e->file, got);
                failed++;
            }
        }
        pt_policy_set_unref(set);
        pt_diags_cleanup(&d);
        free(names[i]);
    }
    assert_int_equal(failed, 0);
}

/* Every case in test/policies/valid loads; its warnings are exactly the lines
 * of case/warnings ("LINE:COL: MESSAGE", sorted; no file means none). */
static void test_valid_corpus(void **state)
{
    const char *root = "test/policies/valid";
    DIR *dp = opendir(root);
    struct dirent *de;
    size_t cases = 0, failed = 0;

    (void)state;
    assert_non_null(dp);
    while ((de = readdir(dp))) {
        char dir[600], wfile[700], line[1200], got[1200];
        struct pt_diags d;
        struct pt_policy_set *set;
        FILE *f;
        size_t w = 0;

        if (de->d_name[0] == '.')
            continue;
        cases++;
        snprintf(dir, sizeof(dir), "%s/%s", root, de->d_name);
        snprintf(wfile, sizeof(wfile), "%s/warnings", dir);
        pt_diags_init(&d);
        set = pt_policy_load_dir(dir, &d);
        pt_diags_sort(&d);
        if (!set || d.errors) {
            pt_diags_print(&d, stderr, 0);
            failed++;
        }
        f = fopen(wfile, "r");
        while (f && fgets(line, sizeof(line), f)) {
            line[strcspn(line, "\n")] = '\0';
            while (w < d.n && d.items[w].severity != PT_SEV_WARNING)
                w++;
            if (w == d.n) {
                fprintf(stderr, "%s: missing warning %s\n", de->d_name, line);
                failed++;
                break;
            }
            snprintf(got, sizeof(got), "%d:%d: %s", d.items[w].line, d.items[w].column,
                     d.items[w].text);
            if (strcmp(got, line) != 0) {
                fprintf(stderr, "%s:\n  expected %s\n  got      %s\n", de->d_name, line, got);
                failed++;
            }
            w++;
        }
        if (f)
            fclose(f);
        else if (d.warnings) {
            pt_diags_print(&d, stderr, 0);
            failed++;
        }
        if (f && w < d.n && d.warnings > w) {
            fprintf(stderr, "%s: more warnings than expected\n", de->d_name);
            failed++;
        }
        pt_policy_set_unref(set);
        pt_diags_cleanup(&d);
    }
    closedir(dp);
    assert_true(cases >= 4);
    assert_int_equal(failed, 0);
}

/* Every prefix of a valid file either loads or reports errors: never a crash. */
static void test_truncations_never_crash(void **state)
{
    size_t len = strlen(full_profile);
    char *dir = make_tmpdir();

    (void)state;
    for (size_t cut = 0; cut <= len; cut += 3) {
        char *text = strndup(full_profile, cut);
        struct pt_diags d;
        struct pt_policy_set *set;

        write_file(dir, "policy.yaml", text);
        pt_diags_init(&d);
        set = pt_policy_load_dir(dir, &d);
        assert_true(set ? d.errors == 0 : d.errors > 0);
        pt_policy_set_unref(set);
        pt_diags_cleanup(&d);
        free(text);
    }
    rm_tree(dir);
}

/* ---- directories ---------------------------------------------------------------------- */

static void test_configmap_layout(void **state)
{
    char *dir = make_tmpdir();
    char ts[1100], link[1100], target[1100];
    struct pt_diags d;
    struct pt_policy_set *set;

    (void)state;
    /* what the kubelet's atomic writer makes for a ConfigMap with two keys */
    snprintf(ts, sizeof(ts), "%s/..2024_01_01_00_00_00.123456789", dir);
    assert_int_equal(mkdir(ts, 0755), 0);
    write_file(ts, "batch.yaml", HEAD "metadata: {name: batch}\nspec: {}\n");
    write_file(ts, "stream.yml", HEAD "metadata: {name: stream}\nspec: {}\n");
    snprintf(link, sizeof(link), "%s/..data", dir);
    assert_int_equal(symlink("..2024_01_01_00_00_00.123456789", link), 0);
    snprintf(link, sizeof(link), "%s/batch.yaml", dir);
    assert_int_equal(symlink("..data/batch.yaml", link), 0);
    snprintf(link, sizeof(link), "%s/stream.yml", dir);
    assert_int_equal(symlink("..data/stream.yml", link), 0);
    /* an old timestamped dir left behind is skipped, too */
    snprintf(ts, sizeof(ts), "%s/..2023_12_31_00_00_00.1", dir);
    assert_int_equal(mkdir(ts, 0755), 0);
    write_file(ts, "batch.yaml", "broken: [");

    pt_diags_init(&d);
    set = pt_policy_load_dir(dir, &d);
    assert_non_null(set);
    assert_int_equal(d.n, 0);
    assert_int_equal(set->n, 2);
    assert_string_equal(set->profiles[0].name, "batch");
    assert_string_equal(set->profiles[1].name, "stream");
    snprintf(target, sizeof(target), "%s/batch.yaml", dir);
    assert_string_equal(set->profiles[0].file, target); /* the path the user knows */
    pt_policy_set_unref(set);

    /* a dangling link (a key being removed) is a warning, not an error */
    snprintf(link, sizeof(link), "%s/gone.yaml", dir);
    assert_int_equal(symlink("..data/gone.yaml", link), 0);
    set = pt_policy_load_dir(dir, &d);
    assert_non_null(set);
    assert_int_equal(d.errors, 0);
    assert_true(has_text(&d, PT_SEV_WARNING, "dangling symlink"));
    pt_policy_set_unref(set);

    /* a symlink loop does not hang */
    snprintf(link, sizeof(link), "%s/loop", dir);
    assert_int_equal(symlink(".", link), 0);
    set = pt_policy_load_dir(dir, &d);
    assert_non_null(set);
    assert_int_equal(set->n, 2);
    assert_true(has_text(&d, PT_SEV_WARNING, "directory loop"));
    pt_policy_set_unref(set);
    pt_diags_cleanup(&d);
    rm_tree(dir);
}

static void test_unreadable(void **state)
{
    char *dir = make_tmpdir();
    char path[1100];
    struct pt_diags d;
    struct pt_policy_set *set;

    (void)state;
    pt_diags_init(&d);
    snprintf(path, sizeof(path), "%s/does-not-exist", dir);
    assert_null(pt_policy_load_dir(path, &d));
    assert_int_equal(d.errors, 1);
    assert_string_equal(d.items[0].file, path);
    assert_non_null(strstr(d.items[0].text, "cannot read"));
    pt_diags_cleanup(&d);

    /* a file where a directory is expected on the way */
    write_file(dir, "f.yaml", HEAD "metadata: {name: f}\nspec: {}\n");
    snprintf(path, sizeof(path), "%s/f.yaml/sub", dir);
    pt_diags_init(&d);
    assert_null(pt_policy_load_dir(path, &d));
    assert_int_equal(d.errors, 1);
    pt_diags_cleanup(&d);

    /* a directory that cannot be listed (root can list anything: then it loads) */
    snprintf(path, sizeof(path), "%s/locked", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    write_file(path, "x.yaml", HEAD "metadata: {name: x}\nspec: {}\n");
    assert_int_equal(chmod(path, 0), 0);
    pt_diags_init(&d);
    set = pt_policy_load_dir(path, &d);
    if (geteuid() != 0) {
        assert_null(set);
        assert_int_equal(d.errors, 1);
        assert_non_null(strstr(d.items[0].text, "cannot read directory"));
    } else {
        assert_non_null(set);
        assert_int_equal(set->n, 1);
    }
    pt_policy_set_unref(set);
    pt_diags_cleanup(&d);
    chmod(path, 0700);

    /* an empty directory is an empty set, with a warning */
    snprintf(path, sizeof(path), "%s/empty", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    pt_diags_init(&d);
    set = pt_policy_load_dir(path, &d);
    assert_non_null(set);
    assert_int_equal(set->n, 0);
    assert_int_equal(d.warnings, 1);
    pt_policy_set_unref(set);
    pt_diags_cleanup(&d);
    rm_tree(dir);
}

/* ---- globs ---------------------------------------------------------------------------- */

static void test_glob_match(void **state)
{
    static const struct {
        const char *glob, *s;
        int m;
    } rows[] = {
        {"etl", "etl", 1},
        {"etl", "etl2", 0},
        {"etl", "et", 0},
        {"etl-*", "etl-", 1},
        {"etl-*", "etl-prod", 1},
        {"etl-*", "etl", 0},
        {"*", "", 1},
        {"*", "anything", 1},
        {"*-prod", "ml-prod", 1},
        {"*-prod", "ml-prod-2", 0},
        {"a*b*c", "abc", 1},
        {"a*b*c", "axxbyyc", 1},
        {"a*b*c", "axxbyy", 0},
        {"a*b*c", "abcbc", 1},
        {"?", "a", 1},
        {"?", "", 0},
        {"?", "ab", 0},
        {"team-?", "team-a", 1},
        {"[abc]", "b", 1},
        {"[abc]", "d", 0},
        {"[a-c]x", "bx", 1},
        {"[a-c]x", "dx", 0},
        {"[!a-c]x", "dx", 1},
        {"[!a-c]x", "ax", 0},
        {"[-a]", "-", 1},
        {"[a-]", "-", 1},
        {"team-[0-9][0-9]", "team-42", 1},
        {"team-[0-9][0-9]", "team-4x", 0},
        {"*[0-9]", "ns7", 1},
        {"*[0-9]", "ns", 0},
        {"[abc", "[abc", 1},
        {"[abc", "a", 0},
        {"", "", 1},
        {"", "a", 0},
        {"**", "x", 1},
        {"a**", "a", 1},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        if (pt_glob_match(rows[i].glob, rows[i].s) != rows[i].m)
            fail_msg("glob %s on \"%s\": expected %d", rows[i].glob, rows[i].s, rows[i].m);
    assert_int_equal(pt_glob_match(NULL, "a"), 0);
    assert_int_equal(pt_glob_match("a", NULL), 0);
}

static void test_glob_check_and_overlap(void **state)
{
    static const struct {
        const char *glob;
        const char *why; /* NULL: valid */
    } checks[] = {
        {"etl-*", NULL},
        {"team-[a-c]?", NULL},
        {"[!x]*", NULL},
        {"[-a]", NULL},
        {"", "must not be empty"},
        {"etl-[", "unclosed '['"},
        {"a]", "']' without '['"},
        {"a!", "'!' is only allowed right after '['"},
        {"[]", "empty character class '[]'"},
        {"[!]", "empty character class '[]'"},
        {"[z-a]", "range 'z-a' is reversed"},
        {"Etl", "character 'E' is not allowed"},
        {"a_b", "character '_' is not allowed"},
        {"[a*]", "character '*' is not allowed inside [...]"},
    };
    static const struct {
        const char *a, *b;
        int overlap;
    } pairs[] = {
        {"etl-*", "etl-prod", 1}, {"etl-*", "ml-*", 0}, {"etl-*", "*-prod", 1},
        {"a?c", "ab*", 1},        {"a?c", "abd", 0},    {"[a-c]x", "[c-e]x", 1},
        {"[a-c]x", "[d-f]x", 0},  {"[!a]", "a", 0},     {"*", "x", 1},
        {"x*y", "*z", 0},         {"*a*", "*b*", 1},    {"abc", "abc", 1},
        {"abc", "abcd", 0},       {"ab*", "a", 0},      {"?", "", 0},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
        char why[200] = "";
        int rc = pt_policy__glob_check(checks[i].glob, why, sizeof(why));
        if (!checks[i].why) {
            if (rc != 0)
                fail_msg("glob \"%s\" rejected: %s", checks[i].glob, why);
        } else if (rc == 0 || !strstr(why, checks[i].why)) {
            fail_msg("glob \"%s\": expected '%s', got rc %d '%s'", checks[i].glob, checks[i].why,
                     rc, why);
        }
    }
    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
        if (pt_policy__globs_overlap(pairs[i].a, pairs[i].b) != pairs[i].overlap ||
            pt_policy__globs_overlap(pairs[i].b, pairs[i].a) != pairs[i].overlap)
            fail_msg("overlap(%s, %s): expected %d", pairs[i].a, pairs[i].b, pairs[i].overlap);
    }
}

static void test_admits_namespace(void **state)
{
    struct pt_diags d;
    char *dir;
    struct pt_policy_set *set = load_text(
        HEAD "metadata: {name: n}\nspec:\n  namespaces: [\"etl-*\", analytics, \"team-[ab]\"]\n",
        &dir, &d);
    const struct pt_profile *p;

    (void)state;
    assert_non_null(set);
    p = &set->profiles[0];
    assert_int_equal(pt_profile_admits_namespace(p, "etl-prod"), 1);
    assert_int_equal(pt_profile_admits_namespace(p, "analytics"), 1);
    assert_int_equal(pt_profile_admits_namespace(p, "team-b"), 1);
    assert_int_equal(pt_profile_admits_namespace(p, "team-c"), 0);
    assert_int_equal(pt_profile_admits_namespace(p, "analytics2"), 0);
    assert_int_equal(pt_profile_admits_namespace(p, "default"), 0);
    assert_int_equal(pt_profile_admits_namespace(p, NULL), 0);
    assert_int_equal(pt_profile_admits_namespace(NULL, "etl-a"), 0);
    pt_policy_set_unref(set);
    pt_diags_cleanup(&d);
    rm_tree(dir);
}

static void test_names(void **state)
{
    static const struct {
        int (*fn)(const char *, char *, size_t);
        const char *s;
        int ok;
    } rows[] = {
        {pt_policy__is_dns1123_label, "batch-etl", 1},
        {pt_policy__is_dns1123_label, "a", 1},
        {pt_policy__is_dns1123_label, "0abc", 1},
        {pt_policy__is_dns1123_label, "-a", 0},
        {pt_policy__is_dns1123_label, "a.b", 0},
        {pt_policy__is_dns1123_label, "", 0},
        {pt_policy__is_dns1123_subdomain, "a.b-c.d", 1},
        {pt_policy__is_dns1123_subdomain, "a..b", 0},
        {pt_policy__is_dns1123_subdomain, "a.", 0},
        {pt_policy__is_dns1123_subdomain, "A.b", 0},
        {pt_policy__is_qualified_name, "app.kubernetes.io/name", 1},
        {pt_policy__is_qualified_name, "Team_Name.x", 1},
        {pt_policy__is_qualified_name, "/name", 0},
        {pt_policy__is_qualified_name, "example.com/", 0},
        {pt_policy__is_qualified_name, "Example.com/a", 0},
        {pt_policy__is_qualified_name, "a_", 0},
        {pt_policy__is_label_value, "", 1},
        {pt_policy__is_label_value, "v1.2_x-y", 1},
        {pt_policy__is_label_value, "a b", 0},
        {pt_policy__is_label_value, "_a", 0},
    };
    char long_label[70];

    (void)state;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char why[200] = "";
        if (rows[i].fn(rows[i].s, why, sizeof(why)) != rows[i].ok)
            fail_msg("row %zu (\"%s\"): expected %d", i, rows[i].s, rows[i].ok);
        if (!rows[i].ok && !why[0])
            fail_msg("row %zu (\"%s\"): no reason given", i, rows[i].s);
    }
    memset(long_label, 'a', 63);
    long_label[63] = '\0';
    assert_int_equal(pt_policy__is_dns1123_label(long_label, NULL, 0), 1);
    assert_int_equal(pt_policy__is_label_value(long_label, NULL, 0), 1);
    long_label[63] = 'a';
    long_label[64] = '\0';
    assert_int_equal(pt_policy__is_dns1123_label(long_label, NULL, 0), 0);
    assert_int_equal(pt_policy__is_label_value(long_label, NULL, 0), 0);
}

static void test_roles(void **state)
{
    (void)state;
    assert_string_equal(pt_role_name(PT_ROLE_SPARK_EXECUTOR), "spark-executor");
    assert_string_equal(pt_role_name(PT_ROLE_NONE), "none");
    assert_int_equal(pt_role_from_name("flink-taskmanager"), PT_ROLE_FLINK_TASKMANAGER);
    assert_int_equal(pt_role_from_name("spark"), PT_ROLE_NONE);
    assert_int_equal(pt_role_from_name(NULL), PT_ROLE_NONE);
    assert_int_equal(pt_role_is_spark(PT_ROLE_SPARK_DRIVER), 1);
    assert_int_equal(pt_role_is_spark(PT_ROLE_FLINK_JOBMANAGER), 0);
}

/* The bundled example policies load without errors or warnings. */
static void test_bundled_policies(void **state)
{
    struct pt_diags d;
    struct pt_policy_set *set;

    (void)state;
    pt_diags_init(&d);
    set = pt_policy_load_dir("policies", &d);
    if (!set || d.n)
        pt_diags_print(&d, stderr, 0);
    assert_non_null(set);
    assert_int_equal(d.n, 0);
    assert_true(set->n >= 1);
    pt_policy_set_unref(set);
    pt_diags_cleanup(&d);
}

/* jansson's allocator for the next test: counts live values, fails the
 * allocation numbered oom_fail_at (-1: none). */
static long oom_allocs, oom_fail_at = -1, oom_live;

static void *oom_malloc(size_t n)
{
    if (oom_allocs++ == oom_fail_at)
        return NULL;
    oom_live++;
    return malloc(n);
}

static void oom_free(void *p)
{
    if (p)
        oom_live--;
    free(p);
}

/* Loading the bundled set with each jansson allocation failing in turn: the
 * load is refused or gives the same set (same digest), and nothing is
 * leaked either way. */
static void test_load_out_of_memory(void **state)
{
    char digest[sizeof(((struct pt_policy_set *)0)->digest)];
    long total;
    (void)state;

    json_set_alloc_funcs(oom_malloc, oom_free);
    {
        struct pt_diags d;
        struct pt_policy_set *set;
        pt_diags_init(&d);
        oom_allocs = 0;
        set = pt_policy_load_dir("policies", &d);
        assert_non_null(set);
        total = oom_allocs;
        memcpy(digest, set->digest, sizeof(digest));
        pt_policy_set_unref(set);
        pt_diags_cleanup(&d);
    }
    for (long k = 0; k < total; k++) {
        struct pt_diags d;
        struct pt_policy_set *set;
        long before = oom_live;

        pt_diags_init(&d);
        oom_allocs = 0;
        oom_fail_at = k;
        set = pt_policy_load_dir("policies", &d);
        oom_fail_at = -1;
        if (set && strcmp(set->digest, digest) != 0)
            fail_msg("allocation %ld failed: digest %s, want %s", k, set->digest, digest);
        pt_policy_set_unref(set);
        pt_diags_cleanup(&d);
        if (oom_live != before)
            fail_msg("allocation %ld of %ld failed: %ld values leaked", k, total,
                     oom_live - before);
    }
    json_set_alloc_funcs(malloc, free);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_profile),
        cmocka_unit_test(test_defaults_and_missing_roles),
        cmocka_unit_test(test_sorted_and_multiple_files),
        cmocka_unit_test(test_load_files),
        cmocka_unit_test(test_refcount),
        cmocka_unit_test(test_digest),
        cmocka_unit_test(test_tie_warnings),
        cmocka_unit_test(test_tie_warnings_capped),
        cmocka_unit_test(test_other_warnings),
        cmocka_unit_test(test_collects_all_errors),
        cmocka_unit_test(test_error_cap),
        cmocka_unit_test(test_invalid_corpus),
        cmocka_unit_test(test_valid_corpus),
        cmocka_unit_test(test_truncations_never_crash),
        cmocka_unit_test(test_configmap_layout),
        cmocka_unit_test(test_unreadable),
        cmocka_unit_test(test_glob_match),
        cmocka_unit_test(test_glob_check_and_overlap),
        cmocka_unit_test(test_admits_namespace),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_roles),
        cmocka_unit_test(test_bundled_policies),
        cmocka_unit_test(test_load_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
