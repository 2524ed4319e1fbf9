/* cli_util.c — helpers shared by validate, mutate, explain and test. */
#include "podtune/cli_util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "podtune/diag.h"
#include "podtune/manifest.h"

struct pt_policy_set *pt_cli_load_policies(const char *dir, int show_source, int *exit_code)
{
    struct pt_diags diags;
    struct pt_policy_set *set;
    struct stat st;

    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "%s: error: %s\n", dir,
                errno && stat(dir, &st) != 0 ? strerror(errno) : "not a directory");
        *exit_code = PT_EXIT_USAGE;
        return NULL;
    }
    pt_diags_init(&diags);
    set = pt_policy_load_dir(dir, &diags);
    pt_diags_sort(&diags);
    pt_diags_print(&diags, stderr, show_source);
    *exit_code = set ? PT_EXIT_OK : PT_EXIT_FAIL;
    if (!set)
        fprintf(stderr, "%s: %zu error%s; policy set rejected\n", dir, diags.errors,
                diags.errors == 1 ? "" : "s");
    pt_diags_cleanup(&diags);
    return set;
}

struct pt_policy_set *pt_cli_begin(const char *dir, int argc, int first_arg, const char *usage,
                                   int *exit_code)
{
    if (!dir || first_arg >= argc) {
        fputs(usage, stderr);
        *exit_code = PT_EXIT_USAGE;
        return NULL;
    }
    return pt_cli_load_policies(dir, 0, exit_code);
}

int pt_cli_for_each_document(int argc, char **argv, int first, int stop_on_error,
                             int (*fn)(const char *src, json_t *doc, size_t index, void *ctx),
                             void *ctx)
{
    int rc = PT_EXIT_OK;

    for (int i = first; i < argc; i++) {
        const char *src = strcmp(argv[i], "-") == 0 ? "<stdin>" : argv[i];
        json_t *docs = pt_cli_read_documents(argv[i]), *doc;
        size_t k;

        if (!docs) {
            rc = PT_EXIT_USAGE;
        } else {
            json_array_foreach(docs, k, doc)
            {
                if (fn(src, doc, k, ctx) != 0) {
                    rc = PT_EXIT_USAGE;
                    if (stop_on_error)
                        break;
                }
            }
            json_decref(docs);
        }
        if (rc != PT_EXIT_OK && stop_on_error)
            break;
    }
    return rc;
}

int pt_cli_is_review(const json_t *doc)
{
    const char *kind = json_string_value(json_object_get(doc, "kind"));
    return kind && strcmp(kind, "AdmissionReview") == 0;
}

int pt_cli_is_pod(const json_t *doc)
{
    const char *kind = json_string_value(json_object_get(doc, "kind"));
    if (kind)
        return strcmp(kind, "Pod") == 0;
    return json_is_array(json_object_get(json_object_get(doc, "spec"), "containers"));
}

json_t *pt_cli_read_documents(const char *path)
{
    struct pt_error err;
    char *buf = NULL, msg[1024];
    size_t len = 0;
    json_t *docs = NULL, *one;
    size_t i = 0;

    pt_error_clear(&err);
    if (pt_read_file(path, PT_CLI_MAX_INPUT, &buf, &len, &err) != 0)
        goto fail;
    while (i < len && (buf[i] == ' ' || buf[i] == '\n' || buf[i] == '\t' || buf[i] == '\r'))
        i++;
    if (i < len && buf[i] == '{') {
        one = json_loadb(buf, len, 0, NULL);
        if (one && pt_cli_is_review(one)) {
            docs = json_array();
            json_array_append_new(docs, one);
            free(buf);
            return docs;
        }
        json_decref(one);
    }
    if (pt_manifest_parse(buf, len, strcmp(path, "-") == 0 ? "<stdin>" : path, &docs, &err) != 0)
        goto fail;
    free(buf);
    return docs;
fail:
    if (!err.source[0])
        snprintf(err.source, sizeof(err.source), "%s", strcmp(path, "-") == 0 ? "<stdin>" : path);
    pt_error_format(&err, msg, sizeof(msg));
    fprintf(stderr, "%s\n", msg);
    free(buf);
    return NULL;
}

const char *pt_cli_pod_name(const json_t *pod, char *buf, size_t len)
{
    const json_t *meta = json_object_get(pod, "metadata");
    const char *ns = json_string_value(json_object_get(meta, "namespace"));
    const char *name = json_string_value(json_object_get(meta, "name"));
    const char *gen = json_string_value(json_object_get(meta, "generateName"));

    if (name)
        snprintf(buf, len, "%s/%s", ns ? ns : "default", name);
    else if (gen)
        snprintf(buf, len, "%s/%s*", ns ? ns : "default", gen);
    else
        snprintf(buf, len, "%s/(unnamed)", ns ? ns : "default");
    return buf;
}

json_t *pt_cli_review_for_pod(const json_t *pod, const char *uid)
{
    const json_t *meta = json_object_get(pod, "metadata");
    const char *ns = json_string_value(json_object_get(meta, "namespace"));
    const char *name = json_string_value(json_object_get(meta, "name"));

    return json_pack("{s:s, s:s, s:{s:s, s:{s:s, s:s, s:s}, s:{s:s, s:s, s:s}, s:s, s:s, s:s, "
                     "s:s, s:O}}",
                     "apiVersion", "admission.k8s.io/v1", "kind", "AdmissionReview", "request",
                     "uid", uid, "kind", "group", "", "version", "v1", "kind", "Pod", "resource",
                     "group", "", "version", "v1", "resource", "pods", "operation", "CREATE",
                     "namespace", ns ? ns : "default", "name", name ? name : "", "subResource", "",
                     "object", pod);
}
