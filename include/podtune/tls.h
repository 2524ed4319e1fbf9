/* tls.h — serving credentials (checked with OpenSSL before use) and the
 * development CA / serving certificate generator behind `podtune certs`. */
#ifndef PODTUNE_TLS_H
#define PODTUNE_TLS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "podtune/error.h"

/* An immutable, refcounted key + certificate pair in PEM, as libmicrohttpd
 * takes it. */
struct pt_tls_creds {
    atomic_int refs;
    char *cert_pem;                /* NUL-terminated; the chain as read */
    char *key_pem;                 /* NUL-terminated */
    int64_t not_before, not_after; /* Unix seconds */
    char serial[80];               /* hex, upper case */
    char subject[256];
};

/* Reads cert_path and key_path and checks them with OpenSSL: both parse, the
 * key matches the certificate, and the certificate is valid now. Returns new
 * credentials with one reference, or NULL with err saying which check failed. */
struct pt_tls_creds *pt_tls_load(const char *cert_path, const char *key_path, struct pt_error *err);
struct pt_tls_creds *pt_tls_creds_ref(struct pt_tls_creds *c);
void pt_tls_creds_unref(struct pt_tls_creds *c);

/* Options for pt_certs_generate. */
struct pt_certs_opts {
    const char *out_dir;
    const char *const *dns; /* SAN DNS names; dns[0] is also the CN */
    size_t n_dns;
    const char *const *ips; /* SAN IP addresses */
    size_t n_ips;
    int days; /* serving certificate validity */
};

/* Makes a CA and a serving certificate (ECDSA P-256) signed by it, written as
 * out_dir/ca.crt, tls.crt, tls.key (keys mode 0600; the CA key as ca.key).
 * Returns 0 and the base64 of ca.crt in *ca_bundle_b64 (caller frees), or a
 * negative code with err set. */
int pt_certs_generate(const struct pt_certs_opts *opts, char **ca_bundle_b64, struct pt_error *err);

#endif
