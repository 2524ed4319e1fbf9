/* reload.h — the current policy set and TLS credentials (refcounted snapshots
 * swapped atomically), and the thread that reloads them when their files
 * change or on SIGHUP. */
#ifndef PODTUNE_RELOAD_H
#define PODTUNE_RELOAD_H

#include <pthread.h>

#include "podtune/error.h"
#include "podtune/policy.h"
#include "podtune/tls.h"

/* The snapshots requests read. Each pointer owns one reference. A reader takes
 * its own reference under mu (two loads and an atomic increment, no
 * allocation), so a swap can never free a set between a reader loading the
 * pointer and counting itself; the planning itself runs without any lock. */
struct pt_reload_state {
    pthread_mutex_t mu;
    struct pt_policy_set *policy; /* NULL until a valid set was loaded */
    struct pt_tls_creds *creds;   /* NULL until a valid pair was loaded */
};

void pt_reload_state_init(struct pt_reload_state *st);
/* Drops both references. */
void pt_reload_state_cleanup(struct pt_reload_state *st);

/* A new reference to the current set (caller unrefs), or NULL if none yet. */
struct pt_policy_set *pt_reload_policy_get(struct pt_reload_state *st);
/* Installs set (takes its reference; NULL clears) and drops the old one. */
void pt_reload_policy_put(struct pt_reload_state *st, struct pt_policy_set *set);
/* The same for the credentials. */
struct pt_tls_creds *pt_reload_creds_get(struct pt_reload_state *st);
void pt_reload_creds_put(struct pt_reload_state *st, struct pt_tls_creds *creds);

/* 1 when both a policy set and credentials are installed (→ /readyz 200). */
int pt_reload_ready(struct pt_reload_state *st);

/* Loads dir, logs each error as file:line:col and counts the attempt
 * (pt_metrics_policy_reload). A valid set is installed; an invalid one is
 * dropped and the last good set stays. why says what triggered it (for the
 * log). Returns 0 when a valid set was loaded, else PT_EINVAL / PT_EIO. */
int pt_reload_policies(struct pt_reload_state *st, const char *dir, const char *why);

/* Called by the reload thread with new, checked credentials before they are
 * installed: the server starts serving them (borrowed; take a reference to
 * keep them). Return 0, or a negative code with err set to keep the old ones. */
typedef int (*pt_reload_creds_fn)(void *arg, struct pt_tls_creds *creds, struct pt_error *err);

struct pt_reload_opts {
    const char *policies_dir;
    const char *cert_path, *key_path;
    struct pt_reload_state *state; /* borrowed; outlives the reloader */
    pt_reload_creds_fn on_creds;   /* may be NULL */
    void *arg;
    int debounce_ms; /* quiet time before a reload; 0 → 100 */
};

/* Loads cert and key with pt_tls_load, logs and counts the attempt
 * (pt_metrics_tls_reload). When they differ from the installed pair, calls
 * on_creds and installs them. Returns 0 (also when unchanged) or negative. */
int pt_reload_creds(const struct pt_reload_opts *o, const char *why);

struct pt_reloader;

/* Starts the reload thread: inotify on the policy directory (recursively) and
 * on the certificate and key directories, debounced; SIGHUP through a
 * signalfd. The caller must have blocked SIGHUP in every thread (block it
 * before starting any thread). o is copied; its strings must outlive the
 * reloader. Returns NULL with err set on failure. */
struct pt_reloader *pt_reload_start(const struct pt_reload_opts *o, struct pt_error *err);
/* Stops and joins the thread and frees r. NULL is a no-op. */
void pt_reload_stop(struct pt_reloader *r);

#endif
