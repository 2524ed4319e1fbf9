/* cli_engine.c — the offline subcommands over the engine: validate, mutate, explain. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "podtune/cli.h"
#include "podtune/cli_util.h"
#include "podtune/engine.h"
#include "podtune/manifest.h"
#include "podtune/review.h"
#include "podtune/textdiff.h"

/* ---- validate ------------------------------------------------------------ */

int pt_cli_validate(int argc, char **argv)
{
    static const struct option opts[] = {
        {"policies", required_argument, NULL, 'p'}, {"help", no_argument, NULL, 'h'}, {0}};
    const char *dir = NULL;
    struct pt_policy_set *set;
    int c, rc;

    optind = 1;
    while ((c = getopt_long(argc, argv, "p:h", opts, NULL)) != -1) {
        switch (c) {
        case 'p': dir = optarg; break;
        case 'h':
            puts("usage: podtune validate --policies DIR\n\n"
                 "Checks every profile in DIR. Errors and warnings go to stderr as\n"
                 "file:line:col. Exit 0 valid, 1 invalid, 2 usage or I/O error.");
            return PT_EXIT_OK;
        default: return PT_EXIT_USAGE;
        }
    }
    if (!dir || optind != argc) {
        fputs("usage: podtune validate --policies DIR\n", stderr);
        return PT_EXIT_USAGE;
    }
    set = pt_cli_load_policies(dir, 1, &rc);
    if (!set)
        return rc;
    printf("%s: %zu profile%s valid, digest %s\n", dir, set->n, set->n == 1 ? "" : "s",
           set->digest);
    for (size_t i = 0; i < set->n; i++) {
        const struct pt_profile *p = &set->profiles[i];
        printf("  %-20s priority %-4lld roles:", p->name, (long long)p->priority);
        for (int r = 0; r < PT_ROLE_COUNT; r++)
            if (p->roles[r])
                printf(" %s", pt_role_name((enum pt_role)r));
        printf("%s\n", p->has_match ? "" : "  (annotation only)");
    }
    pt_policy_set_unref(set);
    return PT_EXIT_OK;
}

/* ---- mutate -------------------------------------------------------------- */

enum out_format { OUT_YAML, OUT_JSON, OUT_PATCH, OUT_REVIEW };

struct mutate_opts {
    const struct pt_policy_set *set;
    enum out_format format;
    int diff;
    int color;
    size_t n_out; /* documents printed so far */
    json_t *json_items;
};

static void print_warnings(const char *src, const json_t *pod, const struct pt_outcome *oc)
{
    char name[300];
    for (size_t i = 0; i < oc->n_warnings; i++)
        fprintf(stderr, "%s: %s: %s\n", src, pt_cli_pod_name(pod, name, sizeof(name)),
                oc->warnings[i]);
}

static int emit_yaml(struct mutate_opts *o, const json_t *doc)
{
    if (o->n_out++)
        fputs("---\n", stdout);
    return pt_manifest_write_yaml(stdout, doc) == 0 ? 0 : -1;
}

static int emit_json(FILE *out, const json_t *doc)
{
    if (json_dumpf(doc, out, JSON_INDENT(2)) != 0)
        return -1;
    fputc('\n', out);
    return 0;
}

static int emit_diff(struct mutate_opts *o, const json_t *before, const json_t *after)
{
    char *a = pt_manifest_to_yaml(before), *b = pt_manifest_to_yaml(after);
    char name[300], an[320], bn[320];
    int rc = -1;

    if (a && b) {
        pt_cli_pod_name(before, name, sizeof(name));
        snprintf(an, sizeof(an), "a/%s", name);
        snprintf(bn, sizeof(bn), "b/%s", name);
        rc = pt_textdiff_unified(stdout, an, a, bn, b, o->color) < 0 ? -1 : 0;
    }
    free(a);
    free(b);
    return rc;
}

/* Handles one input document: a pod, a review, or anything else (passed through). */
static int mutate_doc(const struct pt_policy_set *set, const char *src, json_t *doc,
                      struct mutate_opts *o, size_t index)
{
    struct pt_outcome oc;
    json_t *resp = NULL;
    const json_t *pod = doc, *tuned;
    struct pt_review rv;
    struct pt_error err;
    char uid[64];
    int rc = -1;

    memset(&rv, 0, sizeof(rv));
    memset(&oc, 0, sizeof(oc));
    pt_error_clear(&err);
    if (pt_cli_is_review(doc)) {
        if (pt_review_decode_value(json_incref(doc), &rv, &err) != 0) {
            fprintf(stderr, "%s: document %zu: %s\n", src, index + 1, err.text);
            return -1;
        }
        pod = rv.object;
    } else if (!pt_cli_is_pod(doc)) {
        /* not a pod: passes through unchanged */
        if (o->format == OUT_YAML && !o->diff)
            return emit_yaml(o, doc);
        if (o->format == OUT_JSON && !o->diff)
            return json_array_append(o->json_items, doc);
        return 0;
    } else {
        json_t *review_json;
        snprintf(uid, sizeof(uid), "podtune-mutate-%zu", index + 1);
        if (!(review_json = pt_cli_review_for_pod(doc, uid))) {
            fprintf(stderr, "%s: document %zu: out of memory\n", src, index + 1);
            return -1;
        }
        if (pt_review_decode_value(review_json, &rv, &err) != 0) {
            fprintf(stderr, "%s: document %zu: %s\n", src, index + 1, err.text);
            return -1;
        }
        pod = rv.object;
    }

    resp = pt_review_respond(set, &rv, &oc);
    if (!resp)
        goto done;
    if (pod)
        print_warnings(src, pod, &oc);
    tuned = pod ? pt_outcome_pod(&oc, pod) : NULL;
    if (o->diff) {
        rc = tuned ? emit_diff(o, pod, tuned) : 0;
        goto done;
    }
    switch (o->format) {
    case OUT_REVIEW: rc = emit_json(stdout, resp); break;
    case OUT_PATCH: rc = emit_json(stdout, oc.patch); break;
    case OUT_JSON: rc = tuned ? json_array_append(o->json_items, (json_t *)tuned) : 0; break;
    case OUT_YAML: rc = tuned ? emit_yaml(o, tuned) : 0; break;
    }
done:
    json_decref(resp);
    pt_outcome_cleanup(&oc);
    pt_review_cleanup(&rv);
    return rc;
}

static int mutate_each(const char *src, json_t *doc, size_t index, void *ctx)
{
    struct mutate_opts *o = ctx;
    return mutate_doc(o->set, src, doc, o, index);
}

static int parse_format(const char *s, enum out_format *f)
{
    static const struct {
        const char *name;
        enum out_format f;
    } names[] = {
        {"yaml", OUT_YAML}, {"json", OUT_JSON}, {"patch", OUT_PATCH}, {"review", OUT_REVIEW}};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(s, names[i].name) == 0) {
            *f = names[i].f;
            return 0;
        }
    return -1;
}

int pt_cli_mutate(int argc, char **argv)
{
    static const struct option opts[] = {
        {"policies", required_argument, NULL, 'p'}, {"output", required_argument, NULL, 'o'},
        {"diff", no_argument, NULL, 'd'},           {"color", no_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},           {0}};
    static const char usage[] =
        "usage: podtune mutate --policies DIR [-o yaml|json|patch|review] [--diff] FILE...|-\n";
    struct mutate_opts o = {.format = OUT_YAML};
    struct pt_policy_set *set = NULL;
    const char *dir = NULL;
    int c, rc = PT_EXIT_OK;

    optind = 1;
    while ((c = getopt_long(argc, argv, "p:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'p': dir = optarg; break;
        case 'o':
            if (parse_format(optarg, &o.format) != 0) {
                fprintf(stderr, "podtune mutate: unknown output format '%s'\n%s", optarg, usage);
                return PT_EXIT_USAGE;
            }
            break;
        case 'd': o.diff = 1; break;
        case 'c': o.color = 1; break;
        case 'h':
            printf("%s\nPrints each pod as podtune would admit it: YAML (default), JSON (one\n"
                   "object, or a List for several), the JSON Patch per pod, the\n"
                   "AdmissionReview response, or a unified diff. Non-pod documents pass\n"
                   "through. Warnings go to stderr.\n",
                   usage);
            return PT_EXIT_OK;
        default: fputs(usage, stderr); return PT_EXIT_USAGE;
        }
    }
    if (!(set = pt_cli_begin(dir, argc, optind, usage, &rc)))
        return rc;
    o.set = set;
    o.json_items = json_array();
    rc = pt_cli_for_each_document(argc, argv, optind, 1, mutate_each, &o);
    if (rc == PT_EXIT_OK && o.format == OUT_JSON && !o.diff) {
        if (json_array_size(o.json_items) == 1)
            emit_json(stdout, json_array_get(o.json_items, 0));
        else {
            json_t *list = json_pack("{s:s, s:s, s:O}", "apiVersion", "v1", "kind", "List", "items",
                                     o.json_items);
            emit_json(stdout, list);
            json_decref(list);
        }
    }
    json_decref(o.json_items);
    pt_policy_set_unref(set);
    if (fflush(stdout) != 0)
        rc = PT_EXIT_USAGE;
    return rc;
}

/* ---- explain ------------------------------------------------------------- */

static void explain_pod(const struct pt_policy_set *set, const char *src, const json_t *pod,
                        const char *ns)
{
    struct pt_outcome oc;
    char name[300];
    const json_t *containers = json_object_get(json_object_get(pod, "spec"), "containers");

    if (pt_engine_run(set, pod, ns, &oc) != 0) {
        fprintf(stderr, "%s: out of memory\n", src);
        return;
    }
    printf("pod %s (%s)\n", pt_cli_pod_name(pod, name, sizeof(name)), src);
    printf("  role:      %s — %s\n", pt_role_name(oc.cls.role), oc.cls.reason);
    if (oc.cls.role == PT_ROLE_NONE) {
        printf("  result:    not a target: left unchanged\n\n");
        pt_outcome_cleanup(&oc);
        return;
    }
    printf("  container: %s (index %d)\n",
           json_string_value(
               json_object_get(json_array_get(containers, (size_t)oc.cls.main_container), "name"))
               ?: "(unnamed)",
           oc.cls.main_container);
    printf("  profiles:\n");
    for (size_t i = 0; i < oc.sel.n_candidates; i++) {
        const struct pt_candidate *c = &oc.sel.candidates[i];
        printf("    %s %-20s %s\n", c->matched ? "+" : "-", c->profile->name, c->why);
    }
    switch (oc.sel.outcome) {
    case PT_SELECT_PROFILE:
        printf("  winner:    %s (by %s, priority %lld%s)\n", oc.sel.profile->name, oc.sel.by,
               (long long)oc.sel.profile->priority, oc.sel.profile->enforce ? ", enforced" : "");
        break;
    case PT_SELECT_NONE: printf("  winner:    none — no profile selects this pod\n"); break;
    case PT_SELECT_SKIPPED:
        printf("  winner:    none — annotation podtune.io/skip and the profile does not enforce\n");
        break;
    case PT_SELECT_UNKNOWN_PROFILE: printf("  winner:    none — %s\n", oc.sel.warning); break;
    }
    if (oc.status == PT_STATUS_ERROR)
        printf("  error:     %s\n", oc.error);
    if (oc.plan.n) {
        printf("  changes:\n");
        for (size_t i = 0; i < oc.plan.n; i++) {
            const struct pt_change *ch = &oc.plan.changes[i];
            printf("    %-10s %s", pt_reason_name(ch->reason), ch->field);
            if (ch->from || ch->to)
                printf(": %s → %s", ch->from ? ch->from : "(unset)", ch->to ? ch->to : "(unset)");
            if (ch->note)
                printf("  (%s)", ch->note);
            putchar('\n');
        }
    }
    printf("  result:    %s, %zu patch operation%s, %zu warning%s\n\n", pt_status_name(oc.status),
           json_array_size(oc.patch), json_array_size(oc.patch) == 1 ? "" : "s", oc.n_warnings,
           oc.n_warnings == 1 ? "" : "s");
    pt_outcome_cleanup(&oc);
}

static int explain_each(const char *src, json_t *doc, size_t index, void *ctx)
{
    const struct pt_policy_set *set = ctx;

    (void)index;
    if (pt_cli_is_review(doc)) {
        const json_t *req = json_object_get(doc, "request");
        explain_pod(set, src, json_object_get(req, "object"),
                    json_string_value(json_object_get(req, "namespace")));
    } else if (pt_cli_is_pod(doc)) {
        explain_pod(set, src, doc, NULL);
    }
    return 0;
}

int pt_cli_explain(int argc, char **argv)
{
    static const struct option opts[] = {
        {"policies", required_argument, NULL, 'p'}, {"help", no_argument, NULL, 'h'}, {0}};
    static const char usage[] = "usage: podtune explain --policies DIR FILE...|-\n";
    struct pt_policy_set *set;
    const char *dir = NULL;
    int c, rc = PT_EXIT_OK;

    optind = 1;
    while ((c = getopt_long(argc, argv, "p:h", opts, NULL)) != -1) {
        switch (c) {
        case 'p': dir = optarg; break;
        case 'h':
            printf("%s\nShows, for each pod: its role and main container, every profile and\n"
                   "why it matched or not, the winner, and every change with its reason.\n",
                   usage);
            return PT_EXIT_OK;
        default: fputs(usage, stderr); return PT_EXIT_USAGE;
        }
    }
    if (!(set = pt_cli_begin(dir, argc, optind, usage, &rc)))
        return rc;
    rc = pt_cli_for_each_document(argc, argv, optind, 0, explain_each, set);
    pt_policy_set_unref(set);
    return rc;
}
