/* tls.c — serving credentials checked with OpenSSL, and the CA / serving certificate generator. */
#include "podtune/tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define TLS_FILE_MAX       (1024 * 1024) /* a PEM chain or key larger than this is not one */
#define CLOCK_SKEW_SECONDS 300           /* generated certificates start this far in the past */
#define DAYS_DEFAULT       365
#define DAYS_MAX           36500

/* ---- small helpers -------------------------------------------------------- */

/* The reason of OpenSSL's most recent error, or a fallback; clears the queue. */
static const char *ssl_reason(const char *fallback)
{
    unsigned long e = ERR_peek_last_error();
    const char *r = e ? ERR_reason_error_string(e) : NULL;
    ERR_clear_error();
    return r ? r : fallback;
}

/* Formats Unix seconds as "2026-01-02T03:04:05Z" into buf. */
static void format_utc(int64_t t, char *buf, size_t len)
{
    struct tm tm;
    time_t tt = (time_t)t;
    if (!gmtime_r(&tt, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(buf, len, "@%lld", (long long)t);
}

/* Converts an ASN1_TIME to Unix seconds. Returns 0 or -1. */
static int asn1_time_to_unix(const ASN1_TIME *at, int64_t *out)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    if (!at || ASN1_TIME_to_tm(at, &tm) != 1)
        return -1;
    *out = (int64_t)timegm(&tm);
    return 0;
}

/* Reads a whole file of at most TLS_FILE_MAX bytes into a new NUL-terminated
 * buffer (caller frees). Files holding a NUL byte are refused: libmicrohttpd
 * takes the PEM as a C string. */
static int read_small_file(const char *path, char **out, size_t *out_len, struct pt_error *err)
{
    char *buf = NULL;
    size_t len = 0;
    int rc;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return pt_error_set(err, PT_EIO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        rc = pt_error_set(err, PT_EIO, "%s: cannot stat: %s", path, strerror(errno));
        goto fail;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = pt_error_set(err, PT_EIO, "%s: not a regular file", path);
        goto fail;
    }
    buf = malloc(TLS_FILE_MAX + 2);
    if (!buf) {
        rc = pt_error_set(err, PT_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    for (;;) {
        ssize_t n = read(fd, buf + len, TLS_FILE_MAX + 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = pt_error_set(err, PT_EIO, "%s: read failed: %s", path, strerror(errno));
            goto fail;
        }
        if (n == 0)
            break;
        len += (size_t)n;
        if (len > TLS_FILE_MAX) {
            rc = pt_error_set(err, PT_EINVAL,
                              "%s: larger than %d bytes; not a PEM key or certificate", path,
                              TLS_FILE_MAX);
            goto fail;
        }
    }
    buf[len] = '\0';
    if (memchr(buf, '\0', len)) {
        rc = pt_error_set(err, PT_EINVAL, "%s: contains a NUL byte; expected PEM text", path);
        goto fail;
    }
    close(fd);
    *out = buf;
    *out_len = len;
    return 0;
fail:
    if (buf)
        OPENSSL_clear_free(buf, TLS_FILE_MAX + 2);
    close(fd);
    return rc;
}

/* Fails instead of prompting on the terminal for a passphrase. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1;
}

/* Parses every certificate in pem. Returns the chain (leaf first, caller frees
 * with sk_X509_pop_free) or NULL with err set. */
static STACK_OF(X509) *
    parse_chain(const char *path, const char *pem, size_t len, struct pt_error *err)
{
    STACK_OF(X509) *chain = sk_X509_new_null();
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    if (!chain || !bio) {
        pt_error_set(err, PT_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    ERR_clear_error();
    for (;;) {
        X509 *x = PEM_read_bio_X509(bio, NULL, no_passphrase, NULL);
        if (!x) {
            unsigned long e = ERR_peek_last_error();
            if (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE &&
                sk_X509_num(chain) > 0) {
                ERR_clear_error(); /* the normal end of the chain */
                break;
            }
            if (sk_X509_num(chain) == 0 &&
                (len == 0 ||
                 (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE))) {
                ERR_clear_error();
                pt_error_set(err, PT_EINVAL,
                             "%s: no PEM certificate found (file empty or half-written?)", path);
            } else {
                pt_error_set(err, PT_EINVAL,
                             "%s: certificate %d is malformed or truncated (half-written?): %s",
                             path, sk_X509_num(chain) + 1, ssl_reason("parse error"));
            }
            goto fail;
        }
        if (!sk_X509_push(chain, x)) {
            X509_free(x);
            pt_error_set(err, PT_ENOMEM, "%s: out of memory", path);
            goto fail;
        }
    }
    BIO_free(bio);
    return chain;
fail:
    BIO_free(bio);
    sk_X509_pop_free(chain, X509_free);
    return NULL;
}

/* Parses the one private key in pem. Returns it (caller frees) or NULL with err set. */
static EVP_PKEY *parse_key(const char *path, const char *pem, size_t len, struct pt_error *err)
{
    if (len == 0 || !strstr(pem, "-----BEGIN")) {
        pt_error_set(err, PT_EINVAL, "%s: no PEM private key found (file empty or half-written?)",
                     path);
        return NULL;
    }
    /* "PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY", "ENCRYPTED PRIVATE KEY" */
    if (!strstr(pem, "PRIVATE KEY-----")) {
        pt_error_set(err, PT_EINVAL,
                     "%s: no PEM private key found (a certificate where the key belongs?)", path);
        return NULL;
    }
    if (strstr(pem, "ENCRYPTED")) {
        pt_error_set(err, PT_EINVAL, "%s: private key is encrypted; podtune needs it unencrypted",
                     path);
        return NULL;
    }
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    if (!bio) {
        pt_error_set(err, PT_ENOMEM, "%s: out of memory", path);
        return NULL;
    }
    ERR_clear_error();
    EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
    BIO_free(bio);
    if (!key)
        pt_error_set(err, PT_EINVAL,
                     "%s: private key is malformed or truncated (half-written?): %s", path,
                     ssl_reason("parse error"));
    return key;
}

/* ---- loading ---------------------------------------------------------------- */

static void creds_free(struct pt_tls_creds *c)
{
    if (!c)
        return;
    free(c->cert_pem);
    if (c->key_pem)
        OPENSSL_clear_free(c->key_pem, strlen(c->key_pem) + 1);
    free(c);
}

struct pt_tls_creds *pt_tls_load(const char *cert_path, const char *key_path, struct pt_error *err)
{
    struct pt_tls_creds *c = NULL;
    STACK_OF(X509) *chain = NULL;
    EVP_PKEY *key = NULL;
    BIGNUM *bn = NULL;
    char *hex = NULL;
    BIO *mem = NULL;
    size_t cert_len = 0, key_len = 0;

    if (!cert_path || !key_path) {
        pt_error_set(err, PT_EINVAL, "certificate and key paths are required");
        return NULL;
    }
    c = calloc(1, sizeof(*c));
    if (!c) {
        pt_error_set(err, PT_ENOMEM, "out of memory");
        return NULL;
    }
    atomic_init(&c->refs, 1);
    if (read_small_file(cert_path, &c->cert_pem, &cert_len, err) != 0)
        goto fail;
    if (read_small_file(key_path, &c->key_pem, &key_len, err) != 0)
        goto fail;
    chain = parse_chain(cert_path, c->cert_pem, cert_len, err);
    if (!chain)
        goto fail;
    key = parse_key(key_path, c->key_pem, key_len, err);
    if (!key)
        goto fail;

    X509 *leaf = sk_X509_value(chain, 0);
    if (X509_check_private_key(leaf, key) != 1) {
        ERR_clear_error();
        pt_error_set(err, PT_EINVAL, "%s does not match %s (the key is not the certificate's)",
                     key_path, cert_path);
        goto fail;
    }

    if (asn1_time_to_unix(X509_get0_notBefore(leaf), &c->not_before) != 0 ||
        asn1_time_to_unix(X509_get0_notAfter(leaf), &c->not_after) != 0) {
        pt_error_set(err, PT_EINVAL, "%s: certificate has an unreadable validity period",
                     cert_path);
        goto fail;
    }
    int64_t now = (int64_t)time(NULL);
    char when[40];
    if (now > c->not_after) {
        format_utc(c->not_after, when, sizeof(when));
        pt_error_set(err, PT_EINVAL, "%s: certificate expired at %s", cert_path, when);
        goto fail;
    }
    if (now < c->not_before) {
        format_utc(c->not_before, when, sizeof(when));
        pt_error_set(err, PT_EINVAL, "%s: certificate is not valid before %s (clock skew?)",
                     cert_path, when);
        goto fail;
    }

    bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(leaf), NULL);
    hex = bn ? BN_bn2hex(bn) : NULL;
    if (!hex) {
        pt_error_set(err, PT_ENOMEM, "%s: cannot read the serial number", cert_path);
        goto fail;
    }
    snprintf(c->serial, sizeof(c->serial), "%s", hex);

    mem = BIO_new(BIO_s_mem());
    if (!mem || X509_NAME_print_ex(mem, X509_get_subject_name(leaf), 0, XN_FLAG_RFC2253) < 0) {
        pt_error_set(err, PT_ENOMEM, "%s: cannot print the subject", cert_path);
        goto fail;
    }
    char *data = NULL;
    long n = BIO_get_mem_data(mem, &data);
    if (n < 0)
        n = 0;
    if ((size_t)n >= sizeof(c->subject))
        n = (long)sizeof(c->subject) - 1;
    if (n > 0)
        memcpy(c->subject, data, (size_t)n);
    c->subject[n] = '\0';

    BIO_free(mem);
    OPENSSL_free(hex);
    BN_free(bn);
    EVP_PKEY_free(key);
    sk_X509_pop_free(chain, X509_free);
    ERR_clear_error();
    return c;
fail:
    BIO_free(mem);
    OPENSSL_free(hex);
    BN_free(bn);
    EVP_PKEY_free(key);
    sk_X509_pop_free(chain, X509_free);
    creds_free(c);
    ERR_clear_error();
    return NULL;
}

struct pt_tls_creds *pt_tls_creds_ref(struct pt_tls_creds *c)
{
    if (c)
        atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed);
    return c;
}

void pt_tls_creds_unref(struct pt_tls_creds *c)
{
    if (c && atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) == 1)
        creds_free(c);
}

/* ---- generating --------------------------------------------------------------- */

/* A DNS SAN: letters, digits, '-', '.', and a leading "*." wildcard; 1..253 chars. */
static int dns_name_ok(const char *s)
{
    size_t n = strlen(s), label = 0;
    if (n == 0 || n > 253)
        return 0;
    if (s[0] == '*' && s[1] == '.')
        s += 2;
    if (*s == '\0' || *s == '.')
        return 0;
    for (; *s; s++) {
        char ch = *s;
        if (ch == '.') {
            if (label == 0)
                return 0;
            label = 0;
            continue;
        }
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '-'))
            return 0;
        if (++label > 63)
            return 0;
    }
    return 1;
}

/* Sets a random positive 128-bit serial number. Returns 0 or -1. */
static int set_random_serial(X509 *x)
{
    unsigned char raw[16];
    int rc = -1;
    if (RAND_bytes(raw, sizeof(raw)) != 1)
        return -1;
    raw[0] &= 0x7f; /* positive */
    raw[0] |= 0x40; /* full 16 bytes, never zero */
    BIGNUM *bn = BN_bin2bn(raw, sizeof(raw), NULL);
    ASN1_INTEGER *ai = bn ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
    if (ai && X509_set_serialNumber(x, ai) == 1)
        rc = 0;
    ASN1_INTEGER_free(ai);
    BN_free(bn);
    return rc;
}

/* Adds one extension from its OpenSSL config text (e.g. "critical,CA:TRUE"). */
static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (!ext)
        return -1;
    int ok = X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    return ok == 1 ? 0 : -1;
}

/* Adds subjectAltName from the options' names and addresses, built as
 * GENERAL_NAMEs directly so no name is ever parsed as config text. */
static int add_san(X509 *x, const struct pt_certs_opts *o)
{
    GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
    int rc = -1;
    if (!gens)
        return -1;
    for (size_t i = 0; i < o->n_dns; i++) {
        GENERAL_NAME *g = GENERAL_NAME_new();
        ASN1_IA5STRING *s = ASN1_IA5STRING_new();
        if (!g || !s || ASN1_STRING_set(s, o->dns[i], (int)strlen(o->dns[i])) != 1) {
            GENERAL_NAME_free(g);
            ASN1_IA5STRING_free(s);
            goto fail;
        }
        GENERAL_NAME_set0_value(g, GEN_DNS, s);
        if (!sk_GENERAL_NAME_push(gens, g)) {
            GENERAL_NAME_free(g);
            goto fail;
        }
    }
    for (size_t i = 0; i < o->n_ips; i++) {
        ASN1_OCTET_STRING *ip = a2i_IPADDRESS(o->ips[i]);
        GENERAL_NAME *g = ip ? GENERAL_NAME_new() : NULL;
        if (!g) {
            ASN1_OCTET_STRING_free(ip);
            goto fail;
        }
        GENERAL_NAME_set0_value(g, GEN_IPADD, ip);
        if (!sk_GENERAL_NAME_push(gens, g)) {
            GENERAL_NAME_free(g);
            goto fail;
        }
    }
    if (X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, X509V3_ADD_DEFAULT) == 1)
        rc = 0;
fail:
    GENERAL_NAMES_free(gens);
    return rc;
}

/* Makes a certificate for key, signed by issuer_key (issuer NULL: self-signed),
 * valid from CLOCK_SKEW_SECONDS ago for `days`. Returns it or NULL. */
static X509 *make_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key, int days,
                       const struct pt_certs_opts *o)
{
    X509 *x = X509_new();
    if (!x || X509_set_version(x, X509_VERSION_3) != 1 || set_random_serial(x) != 0)
        goto fail;
    if (!X509_gmtime_adj(X509_getm_notBefore(x), -CLOCK_SKEW_SECONDS) ||
        !X509_time_adj_ex(X509_getm_notAfter(x), days, 0, NULL))
        goto fail;
    if (X509_set_pubkey(x, key) != 1)
        goto fail;
    X509_NAME *name = X509_get_subject_name(x);
    if (X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)"podtune", -1,
                                   -1, 0) != 1)
        goto fail;
    /* CN is limited to 64 characters; a longer name lives in the SAN only. */
    if (strlen(cn) <= 64 && X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                                       (const unsigned char *)cn, -1, -1, 0) != 1)
        goto fail;
    if (X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name) != 1)
        goto fail;
    if (add_ext(x, issuer, NID_subject_key_identifier, "hash") != 0)
        goto fail;
    if (!issuer) {
        if (add_ext(x, NULL, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") != 0 ||
            add_ext(x, NULL, NID_key_usage, "critical,keyCertSign,cRLSign") != 0)
            goto fail;
    } else {
        if (add_ext(x, issuer, NID_authority_key_identifier, "keyid:always") != 0 ||
            add_ext(x, issuer, NID_basic_constraints, "critical,CA:FALSE") != 0 ||
            add_ext(x, issuer, NID_key_usage, "critical,digitalSignature") != 0 ||
            add_ext(x, issuer, NID_ext_key_usage, "serverAuth") != 0 || add_san(x, o) != 0)
            goto fail;
    }
    if (X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) <= 0)
        goto fail;
    return x;
fail:
    X509_free(x);
    return NULL;
}

/* PEM text of a certificate (key NULL) or a PKCS#8 private key (x NULL), as a
 * new NUL-terminated buffer (caller frees with OPENSSL_clear_free), or NULL. */
static char *to_pem(X509 *x, EVP_PKEY *key, size_t *len)
{
    BIO *mem = BIO_new(BIO_s_mem());
    char *out = NULL, *data = NULL;
    if (!mem)
        return NULL;
    int ok = x ? PEM_write_bio_X509(mem, x)
               : PEM_write_bio_PrivateKey(mem, key, NULL, NULL, 0, NULL, NULL);
    long n = ok == 1 ? BIO_get_mem_data(mem, &data) : -1;
    if (n > 0 && (out = OPENSSL_malloc((size_t)n + 1)) != NULL) {
        memcpy(out, data, (size_t)n);
        out[n] = '\0';
        *len = (size_t)n;
    }
    BIO_free_all(mem); /* a memory BIO's buffer is cleansed on free */
    return out;
}

/* Creates dir and its missing parents (mode 0755). */
static int mkdir_p(const char *dir, struct pt_error *err)
{
    char path[4096];
    int n = snprintf(path, sizeof(path), "%s", dir);
    if (n <= 0 || (size_t)n >= sizeof(path))
        return pt_error_set(err, PT_EINVAL, "output directory name is empty or too long");
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST)
            return pt_error_set(err, PT_EIO, "%s: cannot create directory: %s", path,
                                strerror(errno));
        *p = '/';
    }
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        return pt_error_set(err, PT_EIO, "%s: cannot create directory: %s", path, strerror(errno));
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return pt_error_set(err, PT_EIO, "%s: not a directory", path);
    return 0;
}

/* One output file: written to tmp first, renamed onto path at the end. */
struct out_file {
    char path[4096];
    char tmp[4096];
    int written;
};

/* Writes data to a fresh temporary file next to f->path with the given mode
 * (mkstemp creates it 0600, so a key is never readable by others, not even briefly). */
static int write_temp(struct out_file *f, const char *dir, const char *name, const char *data,
                      size_t len, mode_t mode, struct pt_error *err)
{
    if ((size_t)snprintf(f->path, sizeof(f->path), "%s/%s", dir, name) >= sizeof(f->path) ||
        (size_t)snprintf(f->tmp, sizeof(f->tmp), "%s/.%s.tmp.XXXXXX", dir, name) >= sizeof(f->tmp))
        return pt_error_set(err, PT_EINVAL, "%s: path too long", dir);
    int fd = mkstemp(f->tmp);
    if (fd < 0)
        return pt_error_set(err, PT_EIO, "%s: cannot create: %s", f->path, strerror(errno));
    f->written = 1;
    size_t off = 0;
    while (off < len) {
        ssize_t n = write(fd, data + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            pt_error_set(err, PT_EIO, "%s: write failed: %s", f->path, strerror(errno));
            close(fd);
            return PT_EIO;
        }
        off += (size_t)n;
    }
    if (fchmod(fd, mode) != 0 || fsync(fd) != 0) {
        pt_error_set(err, PT_EIO, "%s: %s", f->path, strerror(errno));
        close(fd);
        return PT_EIO;
    }
    if (close(fd) != 0)
        return pt_error_set(err, PT_EIO, "%s: close failed: %s", f->path, strerror(errno));
    return 0;
}

/* Base64 of data without newlines, as a new string (caller frees), or NULL. */
static char *base64(const char *data, size_t len)
{
    if (len > (size_t)(INT32_MAX / 4 * 3 - 3))
        return NULL;
    char *out = malloc(4 * ((len + 2) / 3) + 1);
    if (out)
        EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)data, (int)len);
    return out;
}

int pt_certs_generate(const struct pt_certs_opts *opts, char **ca_bundle_b64, struct pt_error *err)
{
    enum { CA_KEY, CA_CRT, TLS_KEY, TLS_CRT, N_FILES };
    static const char *const names[N_FILES] = {"ca.key", "ca.crt", "tls.key", "tls.crt"};
    static const mode_t modes[N_FILES] = {0600, 0644, 0600, 0644};
    struct out_file files[N_FILES];
    char *pem[N_FILES] = {NULL, NULL, NULL, NULL};
    size_t pem_len[N_FILES] = {0, 0, 0, 0};
    EVP_PKEY *ca_key = NULL, *key = NULL;
    X509 *ca = NULL, *leaf = NULL;
    int rc = PT_EINVAL;

    memset(files, 0, sizeof(files));
    if (ca_bundle_b64)
        *ca_bundle_b64 = NULL;
    if (!opts || !ca_bundle_b64 || !opts->out_dir || !opts->out_dir[0]) {
        rc = pt_error_set(err, PT_EINVAL, "an output directory is required");
        goto fail;
    }
    if (opts->n_dns == 0 || !opts->dns) {
        rc = pt_error_set(err, PT_EINVAL, "at least one DNS name is required");
        goto fail;
    }
    for (size_t i = 0; i < opts->n_dns; i++) {
        if (!opts->dns[i] || !dns_name_ok(opts->dns[i])) {
            rc = pt_error_set(err, PT_EINVAL, "'%s' is not a valid DNS name",
                              opts->dns[i] ? opts->dns[i] : "(null)");
            goto fail;
        }
    }
    for (size_t i = 0; i < opts->n_ips; i++) {
        unsigned char buf[16];
        const char *ip = opts->ips ? opts->ips[i] : NULL;
        if (!ip || (inet_pton(AF_INET, ip, buf) != 1 && inet_pton(AF_INET6, ip, buf) != 1)) {
            rc = pt_error_set(err, PT_EINVAL, "'%s' is not an IPv4 or IPv6 address",
                              ip ? ip : "(null)");
            goto fail;
        }
    }
    int days = opts->days == 0 ? DAYS_DEFAULT : opts->days;
    if (days < 1 || days > DAYS_MAX) {
        rc = pt_error_set(err, PT_ERANGE, "days must be between 1 and %d, not %d", DAYS_MAX,
                          opts->days);
        goto fail;
    }

    rc = PT_EINVAL;
    ca_key = EVP_EC_gen("P-256");
    key = ca_key ? EVP_EC_gen("P-256") : NULL;
    if (!key) {
        pt_error_set(err, PT_EINVAL, "cannot generate a P-256 key: %s", ssl_reason("unknown"));
        goto fail;
    }
    /* The CA outlives the serving certificate by a day so renewal order never matters. */
    ca = make_cert(ca_key, "podtune CA", NULL, NULL, days + 1, opts);
    leaf = ca ? make_cert(key, opts->dns[0], ca, ca_key, days, opts) : NULL;
    if (!leaf) {
        pt_error_set(err, PT_EINVAL, "cannot make the certificates: %s", ssl_reason("unknown"));
        goto fail;
    }
    pem[CA_KEY] = to_pem(NULL, ca_key, &pem_len[CA_KEY]);
    pem[CA_CRT] = to_pem(ca, NULL, &pem_len[CA_CRT]);
    pem[TLS_KEY] = to_pem(NULL, key, &pem_len[TLS_KEY]);
    pem[TLS_CRT] = to_pem(leaf, NULL, &pem_len[TLS_CRT]);
    for (int i = 0; i < N_FILES; i++) {
        if (!pem[i]) {
            rc = pt_error_set(err, PT_ENOMEM, "cannot encode %s as PEM", names[i]);
            goto fail;
        }
    }

    if ((rc = mkdir_p(opts->out_dir, err)) != 0)
        goto fail;
    for (int i = 0; i < N_FILES; i++) {
        rc = write_temp(&files[i], opts->out_dir, names[i], pem[i], pem_len[i], modes[i], err);
        if (rc != 0)
            goto fail;
    }
    /* Every file is complete before any is replaced; keys go first so a watcher
     * that reacts to tls.crt finds the matching tls.key already in place. */
    for (int i = 0; i < N_FILES; i++) {
        if (rename(files[i].tmp, files[i].path) != 0) {
            rc = pt_error_set(err, PT_EIO, "%s: cannot rename into place: %s", files[i].path,
                              strerror(errno));
            goto fail;
        }
        files[i].written = 0;
    }
    *ca_bundle_b64 = base64(pem[CA_CRT], pem_len[CA_CRT]);
    if (!*ca_bundle_b64) {
        rc = pt_error_set(err, PT_ENOMEM, "out of memory");
        goto fail;
    }
    rc = 0;
fail:
    for (int i = 0; i < N_FILES; i++) {
        if (files[i].written)
            unlink(files[i].tmp);
        if (pem[i])
            OPENSSL_clear_free(pem[i], pem_len[i] + 1);
    }
    X509_free(leaf);
    X509_free(ca);
    EVP_PKEY_free(key);
    EVP_PKEY_free(ca_key);
    ERR_clear_error();
    return rc;
}
