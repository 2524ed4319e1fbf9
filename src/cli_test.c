/* cli_test.c — `podtune test`: golden cases (pod.yaml → expected.yaml or
 * expected-patch.json, optional case.yaml), plus properties every case must
 * keep: the patch applies to the pod and gives the tuned pod, re-planning the
 * tuned pod changes nothing, and every limit stays at or above its request. */
#include <dirent.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "podtune/cli.h"
#include "podtune/cli_util.h"
#include "podtune/engine.h"
#include "podtune/jsonpatch.h"
#include "podtune/manifest.h"
#include "podtune/quantity.h"
#include "podtune/textdiff.h"

struct test_run {
    const struct pt_policy_set *set;
    int update; /* rewrite expected files from the actual result */
    int verbose;
    size_t passed, failed;
};

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Reads the first document of path; NULL (after printing why) if none. */
static json_t *read_one(const char *path)
{
    json_t *docs = pt_cli_read_documents(path), *doc;
    if (!docs)
        return NULL;
    doc = json_incref(json_array_get(docs, 0));
    json_decref(docs);
    if (!doc)
        fprintf(stderr, "%s: no document\n", path);
    return doc;
}

static void show_yaml_diff(const char *what, const json_t *expected, const json_t *actual)
{
    char *a = pt_manifest_to_yaml(expected), *b = pt_manifest_to_yaml(actual);
    char an[300], bn[300];
    snprintf(an, sizeof(an), "expected %s", what);
    snprintf(bn, sizeof(bn), "actual %s", what);
    if (a && b)
        pt_textdiff_unified(stdout, an, a, bn, b, 0);
    free(a);
    free(b);
}

/* A pod value as the pod writes it ("1.5", "1600m"), for messages. */
static void as_written(const json_t *v, char *buf, size_t len)
{
    char *text = json_is_string(v) ? NULL : json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    snprintf(buf, len, "%s", json_is_string(v) ? json_string_value(v) : text ? text : "?");
    free(text);
}

/* Every container's limit ≥ request for resources that have both. */
static int check_limits(const json_t *pod, char *why, size_t len)
{
    const json_t *spec = json_object_get(pod, "spec");
    const char *lists[] = {"containers", "initContainers"};
    for (size_t l = 0; l < 2; l++) {
        const json_t *arr = json_object_get(spec, lists[l]), *c;
        size_t i;
        json_array_foreach(arr, i, c)
        {
            const json_t *res = json_object_get(c, "resources");
            const json_t *req = json_object_get(res, "requests"),
                         *lim = json_object_get(res, "limits");
            const char *name;
            json_t *lv;
            json_object_foreach((json_t *)lim, name, lv)
            {
                const json_t *rv = json_object_get(req, name);
                struct pt_quantity ql, qr;
                char ls[64], rs[64];
                if (!rv)
                    continue;
                /* read as the planner reads pod quantities */
                if (pt_plan_pod_quantity(lv, &ql) == 0 && pt_plan_pod_quantity(rv, &qr) == 0 &&
                    pt_quantity_cmp(&ql, &qr) < 0) {
                    as_written(lv, ls, sizeof(ls));
                    as_written(rv, rs, sizeof(rs));
                    snprintf(why, len, "%s[%zu] limit %s %s is below request %s", lists[l], i, name,
                             ls, rs);
                    return -1;
                }
            }
        }
    }
    return 0;
}

/* Checks what case.yaml expects: profile, status, warnings (each a substring of
 * a distinct warning; the counts must match when the list is given). */
static int check_case_yaml(const json_t *cy, const struct pt_outcome *oc, char *why, size_t len)
{
    const json_t *v;

    if ((v = json_object_get(cy, "profile"))) {
        const char *want = json_string_value(v);
        const char *got = oc->sel.profile ? oc->sel.profile->name : NULL;
        if ((want && (!got || strcmp(want, got) != 0)) || (!want && got)) {
            snprintf(why, len, "profile: expected %s, got %s", want ? want : "none",
                     got ? got : "none");
            return -1;
        }
    }
    if ((v = json_object_get(cy, "status")) && json_is_string(v) &&
        strcmp(json_string_value(v), pt_status_name(oc->status)) != 0) {
        snprintf(why, len, "status: expected %s, got %s", json_string_value(v),
                 pt_status_name(oc->status));
        return -1;
    }
    if ((v = json_object_get(cy, "warnings"))) {
        size_t i, n = json_array_size(v);
        char used[64] = {0};
        const json_t *w;
        if (n != oc->n_warnings || n > sizeof(used)) {
            snprintf(why, len, "warnings: expected %zu, got %zu%s%s", n, oc->n_warnings,
                     oc->n_warnings ? ", first: " : "", oc->n_warnings ? oc->warnings[0] : "");
            return -1;
        }
        json_array_foreach(v, i, w)
        {
            size_t k;
            for (k = 0; k < oc->n_warnings; k++)
                if (!used[k] && json_string_value(w) &&
                    strstr(oc->warnings[k], json_string_value(w)))
                    break;
            if (k == oc->n_warnings) {
                snprintf(why, len, "warnings: none contains \"%s\"", json_string_value(w));
                return -1;
            }
            used[k] = 1;
        }
    }
    return 0;
}

static int write_json_file(const char *path, const json_t *v)
{
    FILE *f = fopen(path, "w");
    int rc = -1;
    if (f) {
        rc = json_dumpf(v, f, JSON_INDENT(2));
        fputc('\n', f);
        rc |= fclose(f);
    }
    return rc;
}

static int write_yaml_file(const char *path, const json_t *v)
{
    FILE *f = fopen(path, "w");
    int rc = -1;
    if (f) {
        rc = pt_manifest_write_yaml(f, v);
        rc |= fclose(f);
    }
    return rc;
}

/* Runs the case in dir; prints ok/FAIL. */
static void run_case(struct test_run *t, const char *dir)
{
    char path[PATH_MAX], why[600] = "";
    json_t *pod = NULL, *expected = NULL, *cy = NULL, *applied = NULL;
    struct pt_outcome oc, again;
    struct pt_error err;
    const json_t *tuned;
    const char *ns = NULL;
    int have_yaml, have_patch, ok = 0;

    memset(&oc, 0, sizeof(oc));
    memset(&again, 0, sizeof(again));
    pt_error_clear(&err);
    snprintf(path, sizeof(path), "%s/pod.yaml", dir);
    if (!(pod = read_one(path))) {
        snprintf(why, sizeof(why), "cannot read pod.yaml");
        goto report;
    }
    snprintf(path, sizeof(path), "%s/case.yaml", dir);
    if (file_exists(path) && !(cy = read_one(path))) {
        snprintf(why, sizeof(why), "cannot read case.yaml");
        goto report;
    }
    ns = json_string_value(json_object_get(cy, "namespace"));
    if (pt_engine_run(t->set, pod, ns, &oc) != 0) {
        snprintf(why, sizeof(why), "out of memory");
        goto report;
    }
    tuned = pt_outcome_pod(&oc, pod);

    /* properties every case keeps */
    if (pt_patch_apply(pod, oc.patch, &applied, &err) != 0) {
        snprintf(why, sizeof(why), "patch does not apply: %s", err.text);
        goto report;
    }
    if (!json_equal(applied, (json_t *)tuned)) {
        snprintf(why, sizeof(why), "applying the patch does not give the tuned pod");
        goto report;
    }
    if (pt_engine_run(t->set, tuned, ns, &again) != 0 || json_array_size(again.patch) != 0) {
        char *p = json_dumps(again.patch, JSON_COMPACT);
        snprintf(why, sizeof(why), "not idempotent: planning the tuned pod again gives %.400s",
                 p ? p : "?");
        free(p);
        goto report;
    }
    if (check_limits(tuned, why, sizeof(why)) != 0)
        goto report;
    if (cy && check_case_yaml(cy, &oc, why, sizeof(why)) != 0)
        goto report;

    snprintf(path, sizeof(path), "%s/expected.yaml", dir);
    have_yaml = file_exists(path);
    if (t->update) {
        /* --update (re)writes the expected file the case uses (expected.yaml by default) */
        char pp[PATH_MAX];
        snprintf(pp, sizeof(pp), "%s/expected-patch.json", dir);
        if (file_exists(pp) ? write_json_file(pp, oc.patch) != 0
                            : write_yaml_file(path, tuned) != 0) {
            snprintf(why, sizeof(why), "cannot write the expected file");
            goto report;
        }
        have_yaml = file_exists(path);
    }
    if (have_yaml) {
        if (!(expected = read_one(path))) {
            snprintf(why, sizeof(why), "cannot read expected.yaml");
            goto report;
        }
        if (!json_equal(expected, (json_t *)tuned)) {
            snprintf(why, sizeof(why), "tuned pod differs from expected.yaml");
            show_yaml_diff("pod", expected, tuned);
            goto report;
        }
    }
    snprintf(path, sizeof(path), "%s/expected-patch.json", dir);
    have_patch = file_exists(path);
    if (have_patch) {
        json_decref(expected);
        if (!(expected = json_load_file(path, 0, NULL))) {
            snprintf(why, sizeof(why), "cannot parse expected-patch.json");
            goto report;
        }
        if (!json_equal(expected, oc.patch)) {
            snprintf(why, sizeof(why), "patch differs from expected-patch.json");
            show_yaml_diff("patch", expected, oc.patch);
            goto report;
        }
    }
    if (!have_yaml && !have_patch) {
        snprintf(why, sizeof(why), "no expected.yaml or expected-patch.json");
        goto report;
    }
    ok = 1;
report:
    if (ok) {
        t->passed++;
        printf("ok    %s (%s%s%s)\n", dir, pt_status_name(oc.status),
               oc.sel.profile ? ", profile " : "", oc.sel.profile ? oc.sel.profile->name : "");
    } else {
        t->failed++;
        printf("FAIL  %s: %s\n", dir, why);
        for (size_t i = 0; i < oc.n_warnings && why[0]; i++)
            printf("      warning: %s\n", oc.warnings[i]);
    }
    json_decref(pod);
    json_decref(expected);
    json_decref(cy);
    json_decref(applied);
    pt_outcome_cleanup(&oc);
    pt_outcome_cleanup(&again);
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs dir as a case when it holds pod.yaml, else every subdirectory, sorted. */
static int run_tree(struct test_run *t, const char *dir, int depth)
{
    char path[PATH_MAX];
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    DIR *d;

    snprintf(path, sizeof(path), "%s/pod.yaml", dir);
    if (file_exists(path)) {
        run_case(t, dir);
        return 0;
    }
    if (depth > 8 || !(d = opendir(dir))) {
        fprintf(stderr, "%s: cannot open case directory\n", dir);
        return -1;
    }
    while ((e = readdir(d))) {
        struct stat st;
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
            continue;
        if (n == cap) {
            char **nn = realloc(names, (cap = cap ? cap * 2 : 16) * sizeof(*names));
            if (!nn)
                break;
            names = nn;
        }
        names[n++] = strdup(path);
    }
    closedir(d);
    qsort(names, n, sizeof(*names), name_cmp);
    for (size_t i = 0; i < n; i++) {
        if (names[i])
            run_tree(t, names[i], depth + 1);
        free(names[i]);
    }
    free(names);
    return 0;
}

int pt_cli_test(int argc, char **argv)
{
    static const struct option opts[] = {{"policies", required_argument, NULL, 'p'},
                                         {"update", no_argument, NULL, 'u'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0}};
    static const char usage[] = "usage: podtune test --policies DIR [--update] CASES_DIR...\n";
    struct pt_policy_set *set;
    struct test_run t = {0};
    const char *dir = NULL;
    int c, rc = 0;

    optind = 1;
    while ((c = getopt_long(argc, argv, "p:h", opts, NULL)) != -1) {
        switch (c) {
        case 'p': dir = optarg; break;
        case 'u': t.update = 1; break;
        case 'h':
            printf("%s\nEach case is a folder with pod.yaml and expected.yaml (the tuned pod)\n"
                   "or expected-patch.json, and optionally case.yaml: {profile, status,\n"
                   "namespace, warnings: [substring, ...]}. Every case is also checked for:\n"
                   "the patch applies and gives the tuned pod; planning the tuned pod again\n"
                   "gives an empty patch; every limit is at or above its request.\n"
                   "--update writes the expected files from the actual results (review them!).\n",
                   usage);
            return PT_EXIT_OK;
        default: fputs(usage, stderr); return PT_EXIT_USAGE;
        }
    }
    if (!(set = pt_cli_begin(dir, argc, optind, usage, &rc)))
        return rc;
    t.set = set;
    for (int i = optind; i < argc; i++)
        if (run_tree(&t, argv[i], 0) != 0)
            rc = PT_EXIT_USAGE;
    printf("cases: %zu passed, %zu failed\n", t.passed, t.failed);
    pt_policy_set_unref(set);
    if (rc)
        return rc;
    return t.failed || !t.passed ? PT_EXIT_FAIL : PT_EXIT_OK;
}
