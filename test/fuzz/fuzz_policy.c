/* fuzz_policy.c — libFuzzer target: the policy loader on any file contents never crashes or
 * leaks, and either returns a well-formed set or says where the problem is; a set that loads
 * then tunes the fixture pods with patches that apply and converge. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "podtune/diag.h"
#include "podtune/engine.h"
#include "podtune/policy.h"

#include "fuzz_util.h"

/* The loader reads files, and has no in-memory entry point (pt_policy__parse is internal), so
 * each input is written to one private temporary file, reused for every run. */
static char tmp_path[4096];
static int tmp_fd = -1;
static json_t *pods; /* fixture pods ($PODTUNE_FIXTURES, default test/fixtures/pods) */

static void remove_tmp(void)
{
    if (tmp_fd >= 0) {
        close(tmp_fd);
        unlink(tmp_path);
    }
    json_decref(pods);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *dir = getenv("TMPDIR");
    const char *fixtures = getenv("PODTUNE_FIXTURES");
    (void)argc;
    (void)argv;
    snprintf(tmp_path, sizeof(tmp_path), "%s/podtune-fuzz-policy-XXXXXX.yaml",
             dir && dir[0] ? dir : "/tmp");
    tmp_fd = mkstemps(tmp_path, 5);
    if (tmp_fd < 0) {
        perror("fuzz_policy: mkstemps");
        exit(2);
    }
    pods = fz_load_pods(fixtures && fixtures[0] ? fixtures : "test/fixtures/pods");
    atexit(remove_tmp);
    return 0;
}

static void write_input(const uint8_t *data, size_t size)
{
    size_t off = 0;
    if (ftruncate(tmp_fd, 0) != 0 || lseek(tmp_fd, 0, SEEK_SET) != 0)
        fz_fail("cannot rewrite %s", tmp_path);
    while (off < size) {
        ssize_t w = write(tmp_fd, data + off, size - off);
        if (w <= 0)
            fz_fail("cannot write %s", tmp_path);
        off += (size_t)w;
    }
}

/* An upper bound on the number of lines libyaml can see: every byte that can end a line
 * (\n, \r, and the last bytes of NEL U+0085, LS U+2028, PS U+2029) starts a new one. */
static int max_lines(const uint8_t *data, size_t size)
{
    size_t n = 1;
    for (size_t i = 0; i < size; i++)
        if (data[i] == '\n' || data[i] == '\r' || data[i] == 0x85 || data[i] == 0xA8 ||
            data[i] == 0xA9)
            n++;
    return n > 1000000000 ? 1000000000 : (int)n;
}

/* Loads the temp file; checks everything the result and its diagnostics promise. */
/* Regression (test/fuzz/crashes/policy-eof-line-past-end): at the end of a file that does not
 * end in a newline, libyaml forces one and used to make the loader report its syntax errors on
 * the line after the last. The loader now clamps them; this stays 0 so the fuzzer holds it. */
#ifndef TOLERATE_EOF_LINE
#define TOLERATE_EOF_LINE 0
#endif

static struct pt_policy_set *load_checked(const uint8_t *data, size_t size, struct pt_diags *d)
{
    const char *paths[1] = {tmp_path};
    struct pt_policy_set *set = pt_policy_load_files(paths, 1, d);
    size_t errors = 0, warnings = 0, positioned = 0;
    int lines = max_lines(data, size);

    for (size_t i = 0; i < d->n; i++) {
        const struct pt_diag *g = &d->items[i];
        if (g->severity == PT_SEV_ERROR)
            errors++;
        else if (g->severity == PT_SEV_WARNING)
            warnings++;
        else
            fz_fail("diagnostic %zu has severity %d", i, (int)g->severity);
        if (!g->text || !g->text[0] || !g->file)
            fz_fail("diagnostic %zu has no text or file", i);
        if (g->line < 0 || g->column < 0 || (g->line == 0 && g->column != 0) ||
            (g->line > lines && !(TOLERATE_EOF_LINE && g->line == lines + 1 && g->column == 1)))
            fz_fail("diagnostic %zu at %d:%d is outside the input (%d lines): %s", i, g->line,
                    g->column, lines, g->text);
        if (g->column > 0 && (size_t)g->column > size + 1)
            fz_fail("diagnostic %zu column %d is past the end of a %zu-byte input: %s", i,
                    g->column, size, g->text);
        if (g->severity == PT_SEV_ERROR && g->line >= 1) {
            positioned++;
            if (strcmp(g->file, tmp_path) != 0)
                fz_fail("error %zu names file '%s', not the input: %s", i, g->file, g->text);
        }
    }
    if (errors != d->errors || warnings != d->warnings)
        fz_fail("diag counters %zu/%zu disagree with the list %zu/%zu", d->errors, d->warnings,
                errors, warnings);
    if (set && errors)
        fz_fail("a set was returned despite %zu errors (first: %s)", errors, d->items[0].text);
    if (!set && !positioned) {
        fz_fail("no set and no error with a position (%zu errors, %zu diags; first: %s)", errors,
                d->n, d->n ? d->items[0].text : "-");
    }
    if (!set)
        return NULL;

    /* A set: sorted unique names each findable, a digest, effective blocks with a mode. */
    if (atomic_load(&set->refs) != 1 || strncmp(set->digest, "sha256:", 7) != 0 ||
        strlen(set->digest) != 19)
        fz_fail("set header is wrong: refs %d digest '%.31s'", atomic_load(&set->refs),
                set->digest);
    for (size_t i = 0; i < set->n; i++) {
        const struct pt_profile *p = &set->profiles[i];
        if (!p->name || !p->name[0] || !p->description || !p->file)
            fz_fail("profile %zu lacks a name, description or file", i);
        if (i > 0 && strcmp(set->profiles[i - 1].name, p->name) >= 0)
            fz_fail("profiles not sorted or not unique: '%s' then '%s'",
                    set->profiles[i - 1].name, p->name);
        if (pt_policy_find(set, p->name) != p)
            fz_fail("pt_policy_find('%s') does not find it", p->name);
        if (p->line < 1 || p->line > lines || p->name_line < 1 || p->name_line > lines)
            fz_fail("profile '%s' position %d / name %d outside the input", p->name, p->line,
                    p->name_line);
        if (!json_is_object(p->match_labels))
            fz_fail("profile '%s' match_labels is not an object", p->name);
        for (int r = 0; r < PT_ROLE_COUNT; r++) {
            const json_t *b = p->roles[r];
            const char *mode = json_string_value(json_object_get(b, "mode"));
            if (b && (!json_is_object(b) || !mode ||
                      (strcmp(mode, "fill") != 0 && strcmp(mode, "override") != 0)))
                fz_fail("profile '%s' role %s block has no valid mode", p->name, pt_role_name(r));
        }
    }
    return set;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct pt_diags d1, d2;
    struct pt_policy_set *s1, *s2;

    write_input(data, size);
    pt_diags_init(&d1);
    pt_diags_init(&d2);
    s1 = load_checked(data, size, &d1);

    /* Loading is deterministic: the same diagnostics and the same digest again. */
    s2 = load_checked(data, size, &d2);
    if (!s1 != !s2 || d1.n != d2.n || (s1 && strcmp(s1->digest, s2->digest) != 0))
        fz_fail("loading the same file twice differs");
    for (size_t i = 0; i < d1.n; i++)
        if (strcmp(d1.items[i].text, d2.items[i].text) != 0 || d1.items[i].line != d2.items[i].line)
            fz_fail("diagnostic %zu differs between two loads: '%s' vs '%s'", i, d1.items[i].text,
                    d2.items[i].text);
    pt_policy_set_unref(s2);

    /* The printer copes with whatever was reported. */
    if (d1.n) {
        FILE *null = fopen("/dev/null", "w");
        if (null) {
            pt_diags_sort(&d1);
            pt_diags_print(&d1, null, 1);
            fclose(null);
        }
    }

    /* A set that validated must be safe to apply: every fixture pod, in its own namespace. */
    if (s1 && s1->n) {
        for (size_t i = 0; i < json_array_size(pods); i++) {
            const json_t *pod = json_array_get(pods, i);
            struct pt_outcome oc;
            char what[64];
            if (pt_engine_run(s1, pod, NULL, &oc) != 0)
                fz_fail("engine out of memory on fixture pod %zu", i);
            snprintf(what, sizeof(what), "fixture pod %zu", i);
            fz_check_outcome(s1, pod, NULL, &oc, what);
            pt_outcome_cleanup(&oc);
        }
    }

    /* References: one more, then both dropped; the set is freed once (ASan/LSan watch). */
    if (s1 && pt_policy_set_ref(s1) != s1)
        fz_fail("pt_policy_set_ref does not return the set");
    pt_policy_set_unref(s1);
    pt_policy_set_unref(s1);
    pt_diags_cleanup(&d1);
    pt_diags_cleanup(&d2);
    return 0;
}
