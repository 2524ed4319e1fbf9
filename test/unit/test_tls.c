/* test_tls.c — certificate generation and credential loading, checked with OpenSSL itself. */
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
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "podtune/tls.h"

static char root[64];      /* temp dir for the whole file */
static char dir1[128];     /* a generated set */
static char dir2[128];     /* a second, unrelated set */
static char scratch[128];  /* hand-made files */
static char bundle1[8192]; /* caBundle returned for dir1 */

static const char *const test_dns[] = {"localhost", "podtune.podtune.svc"};
static const char *const test_ips[] = {"127.0.0.1", "::1"};

/* ---- helpers ------------------------------------------------------------------ */

static void path_in(char *buf, size_t len, const char *dir, const char *name)
{
    int n = snprintf(buf, len, "%s/%s", dir, name);
    assert_true(n > 0 && (size_t)n < len);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = malloc(1 << 21);
    assert_non_null(buf);
    size_t n = fread(buf, 1, (1 << 21) - 1, f);
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

static void spit(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static X509 *read_cert(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    assert_non_null(x);
    return x;
}

static int generate(const char *dir, int days, char *bundle_out, size_t bundle_len)
{
    struct pt_certs_opts o = {.out_dir = dir, .dns = test_dns, .n_dns = 2,
                              .ips = test_ips, .n_ips = 2, .days = days};
    struct pt_error err;
    char *b64 = NULL;
    pt_error_clear(&err);
    int rc = pt_certs_generate(&o, &b64, &err);
    if (rc != 0) {
        print_error("pt_certs_generate: %s\n", err.text);
        return rc;
    }
    assert_non_null(b64);
    if (bundle_out)
        snprintf(bundle_out, bundle_len, "%s", b64);
    free(b64);
    return 0;
}

/* Writes a self-signed P-256 certificate valid from now+from_s to now+to_s
 * and its key, to scratch/<name>.crt and .key. */
static void make_cert_with_validity(const char *name, long from_s, long to_s)
{
    char crt[256], key[256];
    snprintf(crt, sizeof(crt), "%s/%s.crt", scratch, name);
    snprintf(key, sizeof(key), "%s/%s.key", scratch, name);
    EVP_PKEY *pk = EVP_EC_gen("P-256");
    assert_non_null(pk);
    X509 *x = X509_new();
    assert_non_null(x);
    assert_int_equal(X509_set_version(x, X509_VERSION_3), 1);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 4242);
    assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), from_s));
    assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), to_s));
    X509_NAME *n = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"old", -1, -1, 0);
    X509_set_issuer_name(x, n);
    X509_set_pubkey(x, pk);
    assert_true(X509_sign(x, pk, EVP_sha256()) > 0);
    FILE *f = fopen(crt, "w");
    assert_non_null(f);
    assert_int_equal(PEM_write_X509(f, x), 1);
    fclose(f);
    f = fopen(key, "w");
    assert_non_null(f);
    assert_int_equal(PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL), 1);
    fclose(f);
    X509_free(x);
    EVP_PKEY_free(pk);
}

/* Loads and expects failure with code and a message containing want. */
static void expect_refused(const char *crt, const char *key, int code, const char *want)
{
    struct pt_error err;
    pt_error_clear(&err);
    struct pt_tls_creds *c = pt_tls_load(crt, key, &err);
    if (c) {
        pt_tls_creds_unref(c);
        fail_msg("loaded %s + %s; expected \"%s\"", crt, key, want);
    }
    assert_int_equal(err.code, code);
    if (!strstr(err.text, want))
        fail_msg("error \"%s\" does not contain \"%s\"", err.text, want);
    assert_int_equal(ERR_peek_error(), 0); /* OpenSSL's error queue left clean */
}

static int group_setup(void **state)
{
    (void)state;
    snprintf(root, sizeof(root), "/tmp/podtune-test-tls-XXXXXX");
    if (!mkdtemp(root))
        return -1;
    snprintf(dir1, sizeof(dir1), "%s/one", root);
    snprintf(dir2, sizeof(dir2), "%s/two/nested", root); /* parents are created too */
    snprintf(scratch, sizeof(scratch), "%s/scratch", root);
    if (mkdir(scratch, 0700) != 0)
        return -1;
    if (generate(dir1, 30, bundle1, sizeof(bundle1)) != 0 || generate(dir2, 0, NULL, 0) != 0)
        return -1;
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    test_rm_tree(root);
    return 0;
}

/* ---- tests ---------------------------------------------------------------------- */

static void test_load_generated(void **state)
{
    (void)state;
    char crt[256], key[256];
    path_in(crt, sizeof(crt), dir1, "tls.crt");
    path_in(key, sizeof(key), dir1, "tls.key");
    struct pt_error err;
    pt_error_clear(&err);
    struct pt_tls_creds *c = pt_tls_load(crt, key, &err);
    if (!c)
        fail_msg("pt_tls_load: %s", err.text);
    assert_int_equal(atomic_load(&c->refs), 1);
    assert_non_null(strstr(c->subject, "CN=localhost"));
    assert_non_null(strstr(c->subject, "O=podtune"));
    /* 30 days starting 5 minutes in the past. */
    assert_int_equal(c->not_after - c->not_before, 30 * 86400 + 300);
    int64_t now = (int64_t)time(NULL);
    assert_true(c->not_before <= now - 290 && c->not_before >= now - 400);
    /* 128 random bits with the top bit cleared and the next set: 32 hex digits. */
    assert_int_equal(strlen(c->serial), 32);
    assert_int_equal(strspn(c->serial, "0123456789ABCDEF"), 32);
    /* PEM kept exactly as read. */
    char *file = slurp(crt, NULL);
    assert_string_equal(c->cert_pem, file);
    free(file);
    file = slurp(key, NULL);
    assert_string_equal(c->key_pem, file);
    assert_non_null(strstr(file, "-----BEGIN PRIVATE KEY-----"));
    free(file);
    pt_tls_creds_unref(c);
}

static void test_certificate_contents(void **state)
{
    (void)state;
    char crt[256], ca_path[256];
    path_in(crt, sizeof(crt), dir1, "tls.crt");
    path_in(ca_path, sizeof(ca_path), dir1, "ca.crt");
    X509 *leaf = read_cert(crt);
    X509 *ca = read_cert(ca_path);

    /* SANs */
    assert_int_equal(X509_check_host(leaf, "localhost", 0, 0, NULL), 1);
    assert_int_equal(X509_check_host(leaf, "podtune.podtune.svc", 0, 0, NULL), 1);
    assert_int_equal(X509_check_host(leaf, "evil.example.com", 0, 0, NULL), 0);
    assert_int_equal(X509_check_ip_asc(leaf, "127.0.0.1", 0), 1);
    assert_int_equal(X509_check_ip_asc(leaf, "::1", 0), 1);
    assert_int_equal(X509_check_ip_asc(leaf, "10.0.0.1", 0), 0);

    /* usages */
    assert_true(X509_get_extension_flags(leaf) & EXFLAG_XKUSAGE);
    assert_true(X509_get_extended_key_usage(leaf) & XKU_SSL_SERVER);
    assert_true(X509_get_key_usage(leaf) & KU_DIGITAL_SIGNATURE);
    assert_false(X509_get_key_usage(leaf) & KU_KEY_CERT_SIGN);
    assert_int_equal(X509_check_ca(leaf), 0);
    assert_true(X509_check_ca(ca) >= 1);
    assert_true(X509_get_key_usage(ca) & KU_KEY_CERT_SIGN);
    assert_int_equal(X509_check_issued(ca, leaf), X509_V_OK);

    /* ECDSA P-256 keys */
    char group[64];
    size_t glen = 0;
    EVP_PKEY *pk = X509_get0_pubkey(leaf);
    assert_true(EVP_PKEY_is_a(pk, "EC"));
    assert_int_equal(EVP_PKEY_get_group_name(pk, group, sizeof(group), &glen), 1);
    assert_string_equal(group, "prime256v1");
    assert_true(EVP_PKEY_is_a(X509_get0_pubkey(ca), "EC"));

    /* the chain verifies for a TLS server */
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    assert_non_null(store);
    assert_non_null(ctx);
    assert_int_equal(X509_STORE_add_cert(store, ca), 1);
    assert_int_equal(X509_STORE_CTX_init(ctx, store, leaf, NULL), 1);
    X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
    int ok = X509_verify_cert(ctx);
    if (ok != 1)
        fail_msg("verify: %s", X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);

    /* a certificate from the other CA does not verify against this one */
    char other[256];
    path_in(other, sizeof(other), dir2, "tls.crt");
    X509 *foreign = read_cert(other);
    assert_int_not_equal(X509_check_issued(ca, foreign), X509_V_OK);
    X509_free(foreign);
    X509_free(leaf);
    X509_free(ca);
}

static void test_file_modes_and_no_leftovers(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        unsigned mode;
    } want[] = {{"ca.key", 0600}, {"tls.key", 0600}, {"ca.crt", 0644}, {"tls.crt", 0644}};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        char p[256];
        struct stat st;
        path_in(p, sizeof(p), dir1, want[i].name);
        assert_int_equal(stat(p, &st), 0);
        assert_true(S_ISREG(st.st_mode));
        if ((st.st_mode & 0777) != want[i].mode)
            fail_msg("%s has mode %o, want %o", want[i].name, st.st_mode & 0777, want[i].mode);
    }
    DIR *d = opendir(dir1);
    assert_non_null(d);
    struct dirent *e;
    int files = 0;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (e->d_name[0] == '.')
            fail_msg("temporary file left behind: %s", e->d_name);
        files++;
    }
    closedir(d);
    assert_int_equal(files, 4);
}

static void test_ca_bundle_is_base64_of_ca_crt(void **state)
{
    (void)state;
    char p[256];
    size_t len;
    path_in(p, sizeof(p), dir1, "ca.crt");
    char *pem = slurp(p, &len);
    assert_null(strchr(bundle1, '\n'));
    size_t blen = strlen(bundle1);
    assert_int_equal(blen % 4, 0);
    unsigned char *dec = malloc(blen);
    assert_non_null(dec);
    int n = EVP_DecodeBlock(dec, (const unsigned char *)bundle1, (int)blen);
    /* DecodeBlock counts padding bytes as zeros: trim them. */
    while (n > 0 && blen >= 1 && bundle1[blen - 1] == '=') {
        n--;
        blen--;
    }
    assert_int_equal((size_t)n, len);
    assert_memory_equal(dec, pem, len);
    free(dec);
    free(pem);
}

static void test_openssl_cli_verifies(void **state)
{
    (void)state;
    if (system("command -v openssl >/dev/null 2>&1") != 0) {
        skip();
        return;
    }
    char cmd[1024];
    snprintf(cmd, sizeof(cmd),
             "openssl verify -purpose sslserver -CAfile '%s/ca.crt' '%s/tls.crt' >/dev/null 2>&1",
             dir1, dir1);
    assert_int_equal(system(cmd), 0);
    /* and refuses the other CA's certificate */
    snprintf(cmd, sizeof(cmd), "openssl verify -CAfile '%s/ca.crt' '%s/tls.crt' >/dev/null 2>&1",
             dir1, dir2);
    assert_int_not_equal(system(cmd), 0);
}

static void test_mismatched_key_refused(void **state)
{
    (void)state;
    char crt[256], key[256], cakey[256];
    path_in(crt, sizeof(crt), dir1, "tls.crt");
    path_in(key, sizeof(key), dir2, "tls.key");
    path_in(cakey, sizeof(cakey), dir1, "ca.key");
    expect_refused(crt, key, PT_EINVAL, "does not match");
    expect_refused(crt, cakey, PT_EINVAL, "does not match");
}

static void test_truncated_refused(void **state)
{
    (void)state;
    char crt[256], key[256], cut[256];
    size_t len;
    path_in(crt, sizeof(crt), dir1, "tls.crt");
    path_in(key, sizeof(key), dir1, "tls.key");
    path_in(cut, sizeof(cut), scratch, "cut.pem");

    char *pem = slurp(crt, &len);
    spit(cut, pem, len / 2);
    expect_refused(cut, key, PT_EINVAL, "malformed or truncated (half-written?)");
    /* the END line missing only */
    spit(cut, pem, len - 10);
    expect_refused(cut, key, PT_EINVAL, "malformed or truncated");
    free(pem);

    pem = slurp(key, &len);
    spit(cut, pem, len / 2);
    expect_refused(crt, cut, PT_EINVAL, "private key is malformed or truncated");
    free(pem);
}

static void test_empty_and_garbage_refused(void **state)
{
    (void)state;
    char crt[256], key[256], p[256];
    path_in(crt, sizeof(crt), dir1, "tls.crt");
    path_in(key, sizeof(key), dir1, "tls.key");
    path_in(p, sizeof(p), scratch, "empty.pem");

    spit(p, "", 0);
    expect_refused(p, key, PT_EINVAL, "no PEM certificate found (file empty or half-written?)");
    expect_refused(crt, p, PT_EINVAL, "no PEM private key found");

    spit(p, "hello\n", 6);
    expect_refused(p, key, PT_EINVAL, "no PEM certificate found");

    spit(p, "-----BEGIN CERTIFICATE-----\n\0\n", 31);
    expect_refused(p, key, PT_EINVAL, "NUL byte");

    /* a key where the certificate should be, and the reverse */
    expect_refused(key, key, PT_EINVAL, "tls.key: no PEM certificate found");
    expect_refused(crt, crt, PT_EINVAL, "tls.crt: no PEM private key found");

    /* larger than the cap */
    char *big = malloc(1100 * 1024);
    assert_non_null(big);
    memset(big, 'A', 1100 * 1024);
    spit(p, big, 1100 * 1024);
    free(big);
    expect_refused(p, key, PT_EINVAL, "larger than");

    /* an encrypted key is named as such rather than prompting for a passphrase */
    spit(p, "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
         78);
    expect_refused(crt, p, PT_EINVAL, "encrypted");
}

static void test_missing_file(void **state)
{
    (void)state;
    char crt[256], nope[256];
    path_in(crt, sizeof(crt), dir1, "tls.crt");
    path_in(nope, sizeof(nope), scratch, "does-not-exist.key");
    expect_refused(crt, nope, PT_EIO, "does-not-exist.key: cannot open");
    expect_refused(scratch, nope, PT_EIO, "not a regular file");
    struct pt_error err;
    pt_error_clear(&err);
    assert_null(pt_tls_load(NULL, NULL, &err));
    assert_null(pt_tls_load(crt, NULL, NULL)); /* no err: still no crash */
}

static void test_expired_and_not_yet_valid(void **state)
{
    (void)state;
    char crt[256], key[256];

    make_cert_with_validity("expired", -10 * 86400, -86400);
    snprintf(crt, sizeof(crt), "%s/expired.crt", scratch);
    snprintf(key, sizeof(key), "%s/expired.key", scratch);
    expect_refused(crt, key, PT_EINVAL, "certificate expired at ");

    /* the message carries the date: yesterday, in UTC */
    char want[64];
    time_t y = time(NULL) - 86400;
    struct tm tm;
    gmtime_r(&y, &tm);
    strftime(want, sizeof(want), "expired at %Y-%m-%dT", &tm);
    expect_refused(crt, key, PT_EINVAL, want);

    make_cert_with_validity("future", 86400, 10 * 86400);
    snprintf(crt, sizeof(crt), "%s/future.crt", scratch);
    snprintf(key, sizeof(key), "%s/future.key", scratch);
    expect_refused(crt, key, PT_EINVAL, "not valid before");

    /* a valid self-signed certificate made the same way loads */
    make_cert_with_validity("current", -60, 86400);
    snprintf(crt, sizeof(crt), "%s/current.crt", scratch);
    snprintf(key, sizeof(key), "%s/current.key", scratch);
    struct pt_error err;
    pt_error_clear(&err);
    struct pt_tls_creds *c = pt_tls_load(crt, key, &err);
    if (!c)
        fail_msg("pt_tls_load: %s", err.text);
    assert_string_equal(c->serial, "1092"); /* 4242 */
    assert_string_equal(c->subject, "CN=old");
    pt_tls_creds_unref(c);
}

static void test_chain_file_loads(void **state)
{
    (void)state;
    char crt[256], key[256], ca_path[256], chain[256];
    size_t a, b;
    path_in(crt, sizeof(crt), dir1, "tls.crt");
    path_in(key, sizeof(key), dir1, "tls.key");
    path_in(ca_path, sizeof(ca_path), dir1, "ca.crt");
    path_in(chain, sizeof(chain), scratch, "chain.pem");
    char *leaf = slurp(crt, &a), *ca = slurp(ca_path, &b);
    char *both = malloc(a + b + 1);
    assert_non_null(both);
    memcpy(both, leaf, a);
    memcpy(both + a, ca, b);
    both[a + b] = '\0';
    spit(chain, both, a + b);

    struct pt_error err;
    pt_error_clear(&err);
    struct pt_tls_creds *c = pt_tls_load(chain, key, &err);
    if (!c)
        fail_msg("pt_tls_load: %s", err.text);
    assert_string_equal(c->cert_pem, both);
    assert_non_null(strstr(c->subject, "CN=localhost"));
    pt_tls_creds_unref(c);

    /* the leaf must come first: CA first means the key matches no leaf */
    memcpy(both, ca, b);
    memcpy(both + b, leaf, a);
    spit(chain, both, a + b);
    expect_refused(chain, key, PT_EINVAL, "does not match");

    /* a broken second certificate is reported as such */
    spit(chain, leaf, a);
    FILE *f = fopen(chain, "a");
    assert_non_null(f);
    fputs("-----BEGIN CERTIFICATE-----\nMIIB\n", f);
    fclose(f);
    expect_refused(chain, key, PT_EINVAL, "certificate 2 is malformed");
    free(both);
    free(leaf);
    free(ca);
}

static void test_refcount(void **state)
{
    (void)state;
    char crt[256], key[256];
    path_in(crt, sizeof(crt), dir1, "tls.crt");
    path_in(key, sizeof(key), dir1, "tls.key");
    struct pt_tls_creds *c = pt_tls_load(crt, key, NULL);
    assert_non_null(c);
    assert_ptr_equal(pt_tls_creds_ref(c), c);
    assert_int_equal(atomic_load(&c->refs), 2);
    pt_tls_creds_unref(c);
    assert_int_equal(atomic_load(&c->refs), 1);
    pt_tls_creds_unref(c); /* freed here; valgrind checks */
    pt_tls_creds_unref(NULL);
    assert_null(pt_tls_creds_ref(NULL));
}

static void test_regenerate_replaces(void **state)
{
    (void)state;
    char dir[256], crt[256], key[256];
    snprintf(dir, sizeof(dir), "%s/regen", root);
    path_in(crt, sizeof(crt), dir, "tls.crt");
    path_in(key, sizeof(key), dir, "tls.key");
    assert_int_equal(generate(dir, 1, NULL, 0), 0);
    struct pt_tls_creds *a = pt_tls_load(crt, key, NULL);
    assert_non_null(a);
    assert_int_equal(a->not_after - a->not_before, 86400 + 300);
    assert_int_equal(generate(dir, 2, NULL, 0), 0);
    struct pt_tls_creds *b = pt_tls_load(crt, key, NULL);
    assert_non_null(b);
    assert_string_not_equal(a->serial, b->serial);
    assert_string_not_equal(a->key_pem, b->key_pem);
    assert_int_equal(b->not_after - b->not_before, 2 * 86400 + 300);
    struct stat st;
    assert_int_equal(stat(key, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    pt_tls_creds_unref(a);
    pt_tls_creds_unref(b);
}

static void test_long_name_goes_in_san_only(void **state)
{
    (void)state;
    char dir[256], crt[256], key[256];
    /* 63 + 1 + 11 = 75 characters: too long for a CN, fine as a SAN */
    const char *names[] = {"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijk."
                           "example.com",
                           "*.wild.example.com"};
    snprintf(dir, sizeof(dir), "%s/long", root);
    struct pt_certs_opts o = {.out_dir = dir, .dns = names, .n_dns = 2, .days = 5};
    char *b64 = NULL;
    struct pt_error err;
    pt_error_clear(&err);
    if (pt_certs_generate(&o, &b64, &err) != 0)
        fail_msg("pt_certs_generate: %s", err.text);
    free(b64);
    path_in(crt, sizeof(crt), dir, "tls.crt");
    path_in(key, sizeof(key), dir, "tls.key");
    struct pt_tls_creds *c = pt_tls_load(crt, key, &err);
    assert_non_null(c);
    assert_null(strstr(c->subject, "CN="));
    pt_tls_creds_unref(c);
    X509 *x = read_cert(crt);
    assert_int_equal(X509_check_host(x, names[0], 0, 0, NULL), 1);
    assert_int_equal(X509_check_host(x, "a.wild.example.com", 0, 0, NULL), 1);
    X509_free(x);
}

static void test_bad_options(void **state)
{
    (void)state;
    char dir[256], file[256];
    snprintf(dir, sizeof(dir), "%s/bad", root);
    const char *ok_dns[] = {"ok.example"};
    const char *bad_dns[][1] = {{"a b"}, {"a..b"}, {""}, {".a"}, {"a/b"}, {"x\n"}};
    const char *bad_ip[] = {"300.1.1.1"};
    const char *bad_ip2[] = {"localhost"};
    struct pt_error err;
    char *b64 = (char *)"untouched";

    struct pt_certs_opts o = {.out_dir = dir, .dns = ok_dns, .n_dns = 0};
    pt_error_clear(&err);
    assert_int_equal(pt_certs_generate(&o, &b64, &err), PT_EINVAL);
    assert_null(b64);
    assert_non_null(strstr(err.text, "at least one DNS name"));

    for (size_t i = 0; i < sizeof(bad_dns) / sizeof(bad_dns[0]); i++) {
        o.dns = bad_dns[i];
        o.n_dns = 1;
        pt_error_clear(&err);
        assert_int_equal(pt_certs_generate(&o, &b64, &err), PT_EINVAL);
        assert_non_null(strstr(err.text, "not a valid DNS name"));
    }
    o.dns = ok_dns;
    o.ips = bad_ip;
    o.n_ips = 1;
    pt_error_clear(&err);
    assert_int_equal(pt_certs_generate(&o, &b64, &err), PT_EINVAL);
    assert_non_null(strstr(err.text, "300.1.1.1"));
    o.ips = bad_ip2;
    pt_error_clear(&err);
    assert_int_equal(pt_certs_generate(&o, &b64, &err), PT_EINVAL);

    o.n_ips = 0;
    o.days = -1;
    pt_error_clear(&err);
    assert_int_equal(pt_certs_generate(&o, &b64, &err), PT_ERANGE);
    o.days = 36501;
    pt_error_clear(&err);
    assert_int_equal(pt_certs_generate(&o, &b64, &err), PT_ERANGE);
    struct stat st;
    assert_int_not_equal(stat(dir, &st), 0); /* nothing was created */

    /* out_dir is a file */
    o.days = 1;
    snprintf(file, sizeof(file), "%s/a-file", scratch);
    spit(file, "x", 1);
    o.out_dir = file;
    pt_error_clear(&err);
    assert_int_equal(pt_certs_generate(&o, &b64, &err), PT_EIO);
    assert_non_null(strstr(err.text, "not a directory"));

    o.out_dir = NULL;
    pt_error_clear(&err);
    assert_int_equal(pt_certs_generate(&o, &b64, &err), PT_EINVAL);
    assert_int_equal(pt_certs_generate(NULL, &b64, NULL), PT_EINVAL);
    o.out_dir = dir;
    assert_int_equal(pt_certs_generate(&o, NULL, NULL), PT_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_generated),
        cmocka_unit_test(test_certificate_contents),
        cmocka_unit_test(test_file_modes_and_no_leftovers),
        cmocka_unit_test(test_ca_bundle_is_base64_of_ca_crt),
        cmocka_unit_test(test_openssl_cli_verifies),
        cmocka_unit_test(test_mismatched_key_refused),
        cmocka_unit_test(test_truncated_refused),
        cmocka_unit_test(test_empty_and_garbage_refused),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_expired_and_not_yet_valid),
        cmocka_unit_test(test_chain_file_loads),
        cmocka_unit_test(test_refcount),
        cmocka_unit_test(test_regenerate_replaces),
        cmocka_unit_test(test_long_name_goes_in_san_only),
        cmocka_unit_test(test_bad_options),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
