/* server.h — the HTTPS admission endpoint (libmicrohttpd) and the plain-HTTP
 * metrics endpoint: routes, body cap, timeouts, certificate rotation by
 * daemon hand-over behind podtune's own acceptor, graceful stop. */
#ifndef PODTUNE_SERVER_H
#define PODTUNE_SERVER_H

#include <stddef.h>

#include "podtune/error.h"
#include "podtune/reload.h"
#include "podtune/tls.h"

#define PT_SERVER_MAX_BODY (3u * 1024u * 1024u) /* contract §6: 413 above this */

/* The TLS priority string: TLS 1.3 and 1.2 only, AEAD ciphers, ECDHE key exchange. */
#define PT_SERVER_TLS_PRIORITIES                                                                   \
    "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:"            \
    "+CHACHA20-POLY1305:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:-MAC-ALL:+AEAD:%SERVER_PRECEDENCE"

struct pt_server_opts {
    const char *addr;         /* "host:port" for HTTPS; port 0 picks one */
    const char *metrics_addr; /* "host:port" for plain HTTP, or NULL for none */
    unsigned threads;         /* HTTPS worker threads; 0 → online CPUs */
    unsigned max_connections; /* 0 → 1024 */
    unsigned idle_timeout;    /* seconds without traffic before a connection is closed; 0 → 30 */
    unsigned body_timeout;    /* seconds for a whole request body to arrive; 0 → 10 */
    unsigned drain_timeout;   /* seconds an old daemon may keep connections after a
                                 certificate rotation; 0 → idle_timeout + 5 */
    struct pt_reload_state *state; /* borrowed: policies and credentials */
};

struct pt_server;

/* Binds both addresses and starts serving with creds (borrowed; a reference
 * is taken). Returns NULL with err set when an address cannot be bound or
 * libmicrohttpd refuses the credentials. */
struct pt_server *pt_server_start(const struct pt_server_opts *o, struct pt_tls_creds *creds,
                                  struct pt_error *err);

/* The ports actually bound (useful with port 0); 0 when there is none. */
unsigned pt_server_port(const struct pt_server *s);
unsigned pt_server_metrics_port(const struct pt_server *s);

/* Serves creds (borrowed) from now on: a new daemon with them is started and
 * podtune's acceptor hands it every new connection; the old daemon answers
 * what it has with "Connection: close" and is stopped once its connections
 * are gone (or after drain_timeout). Returns 0, or a negative code with err
 * set (the old daemon keeps serving). Call from one thread at a time, not
 * concurrently with pt_server_stop. */
int pt_server_set_creds(struct pt_server *s, struct pt_tls_creds *creds, struct pt_error *err);

/* Graceful stop: no new connections, requests in flight are finished (each
 * answered with "Connection: close"), idle keep-alive connections are closed;
 * waits at most grace_ms for busy connections. Then frees everything. */
void pt_server_stop(struct pt_server *s, unsigned grace_ms);

/* The short field name podtune_patch_operations_total{field} uses for a patch
 * operation's path: "resources", "env", "command", "tolerations", "affinity",
 * "nodeSelector", "priority", "schedulerName", "labels", "annotations",
 * "metadata" or "other". Bounded on purpose. */
const char *pt_server_patch_field(const char *path);

/* 1 when a Content-Type header value names application/json (any case,
 * parameters such as "; charset=utf-8" allowed). */
int pt_server_is_json(const char *content_type);

/* Parses "host:port" / "[v6]:port" / ":port"; host is copied into host (""
 * for any). Returns 0 or PT_EINVAL. */
int pt_server_parse_addr(const char *addr, char *host, size_t hostlen, unsigned *port);

#endif
