/* fuzz_util.h — what the fuzz targets share: loud invariant failures, the fixture pods, and
 * the checks every engine outcome must pass (patch applies, converges, warnings fit). Header-only
 * so each fuzz_*.c still builds on its own. */
#ifndef PODTUNE_FUZZ_UTIL_H
#define PODTUNE_FUZZ_UTIL_H

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "podtune/engine.h"
#include "podtune/jsonpatch.h"
#include "podtune/manifest.h"
#include "podtune/policy.h"

/* Prints "fuzz: <why>" and aborts, so libFuzzer keeps the input as a crash. */
static void fz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fz_fail(const char *fmt, ...)
{
    va_list ap;
    fputs("fuzz invariant failed: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}

/* Compact JSON of v for messages; caller frees. */
static char *fz_dump(const json_t *v)
{
    char *s = v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    return s ? s : strdup("(null)");
}

static int fz_cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every document of every *.yaml file in dir (sorted by name), as a new array. Missing dir:
 * an empty array and a note on stderr. */
static json_t *fz_load_pods(const char *dir)
{
    json_t *pods = json_array();
    char *names[256];
    size_t n = 0;
    DIR *d = opendir(dir);
    struct dirent *e;

    if (!d) {
        fprintf(stderr, "fuzz: no fixture pods in %s\n", dir);
        return pods;
    }
    while ((e = readdir(d)) && n < 256) {
        size_t l = strlen(e->d_name);
        if (e->d_name[0] != '.' && l > 5 && strcmp(e->d_name + l - 5, ".yaml") == 0)
            names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(*names), fz_cmp_str);
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        json_t *docs = NULL;
        struct pt_error err;
        pt_error_clear(&err);
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        if (pt_manifest_read_file(path, &docs, &err) == 0)
            json_array_extend(pods, docs);
        else
            fprintf(stderr, "fuzz: cannot read %s: %s\n", path, err.text);
        json_decref(docs);
        free(names[i]);
    }
    return pods;
}

/* The invariants of one engine outcome oc for pod in namespace ns under set:
 *  - the patch is a JSON array; status TUNED exactly when it is not empty;
 *  - every warning is valid UTF-8 and under 120 bytes;
 *  - the patch applies to pod and gives the tuned pod;
 *  - running the engine again on the tuned pod yields an empty patch (idempotent).
 * what names the caller's context in failure messages. */
static void fz_check_outcome(const struct pt_policy_set *set, const json_t *pod, const char *ns,
                             const struct pt_outcome *oc, const char *what)
{
    json_t *tuned = NULL;
    struct pt_outcome again;
    struct pt_error err;

    if (!json_is_array(oc->patch))
        fz_fail("%s: outcome patch is not an array (status %s)", what, pt_status_name(oc->status));
    if ((oc->status == PT_STATUS_TUNED) != (json_array_size(oc->patch) > 0))
        fz_fail("%s: status %s with a patch of %zu operations", what, pt_status_name(oc->status),
                json_array_size(oc->patch));
    for (size_t i = 0; i < oc->n_warnings; i++) {
        json_t *s;
        if (!oc->warnings[i] || strlen(oc->warnings[i]) >= 120)
            fz_fail("%s: warning %zu is %zu bytes: %s", what, i,
                    oc->warnings[i] ? strlen(oc->warnings[i]) : 0, oc->warnings[i]);
        if (!(s = json_string(oc->warnings[i])))
            fz_fail("%s: warning %zu is not valid UTF-8: %s", what, i, oc->warnings[i]);
        json_decref(s);
    }
    if (json_array_size(oc->patch) == 0)
        return;

    pt_error_clear(&err);
    if (pt_patch_apply(pod, oc->patch, &tuned, &err) != 0) {
        char *p = fz_dump(oc->patch);
        fz_fail("%s: the engine's patch does not apply: %s\n  patch: %.3000s", what, err.text, p);
    }
    if (oc->plan.pod && !json_equal(tuned, oc->plan.pod)) {
        char *a = fz_dump(tuned), *b = fz_dump(oc->plan.pod);
        fz_fail("%s: patch applied to the pod differs from the planned pod\n  applied: %.3000s\n"
                "  planned: %.3000s",
                what, a, b);
    }
    if (pt_engine_run(set, tuned, ns, &again) != 0)
        fz_fail("%s: engine re-run failed (out of memory)", what);
    if (json_array_size(again.patch) != 0) {
        char *p1 = fz_dump(oc->patch), *p2 = fz_dump(again.patch);
        fz_fail("%s: not idempotent: re-running on the tuned pod gives status %s and a patch\n"
                "  first patch:  %.3000s\n  second patch: %.3000s",
                what, pt_status_name(again.status), p1, p2);
    }
    pt_outcome_cleanup(&again);
    json_decref(tuned);
}

#endif
