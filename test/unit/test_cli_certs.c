/* test_cli_certs.c — `podtune certs`: argument handling, exit statuses and what it prints. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_util.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "podtune/cli.h"

static char root[64];
static char out_path[128], err_path[128];
static char *out_text, *err_text; /* what the last run printed */

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = malloc(1 << 16);
    assert_non_null(buf);
    size_t n = fread(buf, 1, (1 << 16) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

/* Runs `podtune certs ARGS...` (NULL-terminated) with stdout and stderr
 * captured into out_text and err_text; returns the exit status. */
static int run(const char *first, ...)
{
    char *argv[32];
    int argc = 0;
    va_list ap;
    argv[argc++] = (char *)"certs";
    va_start(ap, first);
    for (const char *a = first; a && argc < 31; a = va_arg(ap, const char *))
        argv[argc++] = (char *)a;
    va_end(ap);
    argv[argc] = NULL;

    free(out_text);
    free(err_text);
    fflush(stdout);
    fflush(stderr);
    int save_out = dup(1), save_err = dup(2);
    int fo = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int fe = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(save_out >= 0 && save_err >= 0 && fo >= 0 && fe >= 0);
    dup2(fo, 1);
    dup2(fe, 2);
    int rc = pt_cli_certs(argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(save_out, 1);
    dup2(save_err, 2);
    close(save_out);
    close(save_err);
    close(fo);
    close(fe);
    out_text = slurp(out_path);
    err_text = slurp(err_path);
    return rc;
}

static void assert_contains(const char *hay, const char *needle)
{
    if (!strstr(hay, needle))
        fail_msg("\"%s\" does not contain \"%s\"", hay, needle);
}

static int group_setup(void **state)
{
    (void)state;
    snprintf(root, sizeof(root), "/tmp/podtune-test-cli-certs-XXXXXX");
    if (!mkdtemp(root))
        return -1;
    snprintf(out_path, sizeof(out_path), "%s/stdout", root);
    snprintf(err_path, sizeof(err_path), "%s/stderr", root);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    free(out_text);
    free(err_text);
    test_rm_tree(root);
    return 0;
}

static void test_help(void **state)
{
    (void)state;
    assert_int_equal(run("--help", NULL), 0);
    assert_contains(out_text, "usage: podtune certs --out DIR --dns NAME");
    assert_string_equal(err_text, "");
    assert_int_equal(run("-h", NULL), 0);
}

static void test_usage_errors(void **state)
{
    (void)state;
    char dir[256];
    snprintf(dir, sizeof(dir), "%s/never", root);
    static const struct {
        const char *args[6];
        const char *msg;
    } cases[] = {
        {{NULL}, "--out DIR is required"},
        {{"--out", "X", NULL}, "at least one --dns NAME is required"},
        {{"--dns", "a", NULL}, "--out DIR is required"},
        {{"--out", "X", "--dns", NULL}, "--dns needs a value"},
        {{"--out", "X", "--dns", "a,,b", NULL}, "--dns: empty value"},
        {{"--out", "X", "--dns", "a,", NULL}, "--dns: empty value"},
        {{"--out", "X", "--dns", "a", "--days", "0"}, "--days: '0' is not a whole number"},
        {{"--out", "X", "--dns", "a", "--days", "7x"}, "--days: '7x'"},
        {{"--out", "X", "--dns", "a", "--days", "99999999999"}, "is not a whole number"},
        {{"--out", "X", "--dns", "a", "--bogus", NULL}, "unknown option '--bogus'"},
        {{"--out", "X", "--dns", "a", "stray", NULL}, "unexpected argument 'stray'"},
        {{"--out=", "--dns", "a", NULL}, "--out: empty directory name"},
        {{"--outx", "X", NULL}, "unknown option '--outx'"},
        {{"--out", "X", "--dns", "a b", NULL}, "'a b' is not a valid DNS name"},
        {{"--out", "X", "--dns", "a", "--ip", "1.2.3"}, "'1.2.3' is not an IPv4 or IPv6 address"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *a[6];
        for (size_t k = 0; k < 6; k++)
            a[k] = cases[i].args[k] && strcmp(cases[i].args[k], "X") == 0 ? dir : cases[i].args[k];
        int rc = run(a[0], a[1], a[2], a[3], a[4], a[5], NULL);
        if (rc != 2)
            fail_msg("case %zu: exit %d, want 2 (stderr: %s)", i, rc, err_text);
        assert_string_equal(out_text, ""); /* nothing on stdout */
        assert_contains(err_text, cases[i].msg);
    }
    struct stat st;
    assert_int_not_equal(stat(dir, &st), 0); /* no failed run wrote anything */
}

static void test_generates(void **state)
{
    (void)state;
    char dir[256], opt_out[300], p[512];
    snprintf(dir, sizeof(dir), "%s/out/nested", root);
    snprintf(opt_out, sizeof(opt_out), "--out=%s", dir);
    int rc = run(opt_out, "--dns", "localhost,podtune.podtune.svc", "--dns=podtune.example",
                 "--ip", "127.0.0.1", "--ip=::1,10.1.2.3", "--days", "10", NULL);
    if (rc != 0)
        fail_msg("exit %d: %s", rc, err_text);

    /* stdout: exactly one line, the base64 of ca.crt */
    size_t len = strlen(out_text);
    assert_true(len > 1);
    assert_int_equal(out_text[len - 1], '\n');
    assert_ptr_equal(strchr(out_text, '\n'), out_text + len - 1);
    snprintf(p, sizeof(p), "%s/ca.crt", dir);
    char *ca = slurp(p);
    unsigned char *dec = malloc(len);
    assert_non_null(dec);
    int n = EVP_DecodeBlock(dec, (const unsigned char *)out_text, (int)(len - 1));
    assert_true(n >= (int)strlen(ca));
    assert_memory_equal(dec, ca, strlen(ca));
    free(dec);
    free(ca);

    /* stderr: the summary */
    assert_contains(err_text, "wrote ");
    assert_contains(err_text, "DNS:localhost, DNS:podtune.podtune.svc, DNS:podtune.example");
    assert_contains(err_text, "IP:127.0.0.1, IP:::1, IP:10.1.2.3");
    assert_contains(err_text, "expires: ");
    assert_contains(err_text, "CN=localhost");

    /* the certificate holds every SAN and lasts 10 days */
    snprintf(p, sizeof(p), "%s/tls.crt", dir);
    FILE *f = fopen(p, "r");
    assert_non_null(f);
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    assert_non_null(x);
    assert_int_equal(X509_check_host(x, "podtune.example", 0, 0, NULL), 1);
    assert_int_equal(X509_check_host(x, "podtune.podtune.svc", 0, 0, NULL), 1);
    assert_int_equal(X509_check_ip_asc(x, "10.1.2.3", 0), 1);
    assert_int_equal(X509_check_ip_asc(x, "::1", 0), 1);
    int days = 0, secs = 0;
    assert_int_equal(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(x), X509_get0_notAfter(x)), 1);
    assert_int_equal(days, 10);
    assert_int_equal(secs, 300);
    X509_free(x);

    snprintf(p, sizeof(p), "%s/tls.key", dir);
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
}

static void test_io_error_is_exit_2(void **state)
{
    (void)state;
    char file[256];
    snprintf(file, sizeof(file), "%s/plain-file", root);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(run("--out", file, "--dns", "localhost", NULL), 2);
    assert_contains(err_text, "not a directory");
    assert_string_equal(out_text, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_help),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_generates),
        cmocka_unit_test(test_io_error_is_exit_2),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
