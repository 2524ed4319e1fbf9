/* reload.c — current policy/TLS snapshots and the reload thread (inotify + SIGHUP, debounced). */
#include "podtune/reload.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "podtune/diag.h"
#include "podtune/log.h"
#include "podtune/metrics.h"
#include "podtune/watch.h"

enum { TAG_POLICY = 0, TAG_TLS = 1 };

#define MAX_BATCH_MS 1000 /* a steady stream of events still reloads this often */

void pt_reload_state_init(struct pt_reload_state *st)
{
    pthread_mutex_init(&st->mu, NULL);
    st->policy = NULL;
    st->creds = NULL;
}

void pt_reload_state_cleanup(struct pt_reload_state *st)
{
    pt_policy_set_unref(st->policy);
    pt_tls_creds_unref(st->creds);
    st->policy = NULL;
    st->creds = NULL;
    pthread_mutex_destroy(&st->mu);
}

struct pt_policy_set *pt_reload_policy_get(struct pt_reload_state *st)
{
    struct pt_policy_set *s;
    pthread_mutex_lock(&st->mu);
    s = pt_policy_set_ref(st->policy);
    pthread_mutex_unlock(&st->mu);
    return s;
}

void pt_reload_policy_put(struct pt_reload_state *st, struct pt_policy_set *set)
{
    struct pt_policy_set *old;
    pthread_mutex_lock(&st->mu);
    old = st->policy;
    st->policy = set;
    pthread_mutex_unlock(&st->mu);
    pt_policy_set_unref(old); /* outside the lock: freeing a set takes a while */
}

struct pt_tls_creds *pt_reload_creds_get(struct pt_reload_state *st)
{
    struct pt_tls_creds *c;
    pthread_mutex_lock(&st->mu);
    c = pt_tls_creds_ref(st->creds);
    pthread_mutex_unlock(&st->mu);
    return c;
}

void pt_reload_creds_put(struct pt_reload_state *st, struct pt_tls_creds *creds)
{
    struct pt_tls_creds *old;
    pthread_mutex_lock(&st->mu);
    old = st->creds;
    st->creds = creds;
    pthread_mutex_unlock(&st->mu);
    pt_tls_creds_unref(old);
}

int pt_reload_ready(struct pt_reload_state *st)
{
    int ok;
    pthread_mutex_lock(&st->mu);
    ok = st->policy != NULL && st->creds != NULL;
    pthread_mutex_unlock(&st->mu);
    return ok;
}

int pt_reload_policies(struct pt_reload_state *st, const char *dir, const char *why)
{
    struct pt_diags diags;
    struct pt_policy_set *set, *old;
    int rc = 0;

    pt_diags_init(&diags);
    set = pt_policy_load_dir(dir, &diags);
    pt_diags_sort(&diags);
    for (size_t i = 0; i < diags.n; i++) {
        const struct pt_diag *d = &diags.items[i];
        pt_log(d->severity == PT_SEV_ERROR ? PT_LOG_ERROR : PT_LOG_WARN,
               d->severity == PT_SEV_ERROR ? "policy error" : "policy warning",
               PT_LS("file", d->file), PT_LI("line", d->line), PT_LI("col", d->column),
               PT_LS("error", d->text));
    }
    old = pt_reload_policy_get(st);
    if (!set) {
        pt_metrics_policy_reload(0, 0);
        pt_log(PT_LOG_ERROR, "policy reload failed, keeping the last good set", PT_LS("dir", dir),
               PT_LS("trigger", why), PT_LI("errors", diags.errors),
               PT_LS("serving_digest", old ? old->digest : "none"));
        rc = diags.errors ? PT_EINVAL : PT_EIO;
        goto done;
    }
    pt_metrics_policy_reload(1, set->n);
    if (old && strcmp(old->digest, set->digest) == 0) {
        pt_log(PT_LOG_INFO, "policy reload: unchanged", PT_LS("dir", dir), PT_LS("trigger", why),
               PT_LS("digest", set->digest), PT_LI("profiles", set->n));
        pt_policy_set_unref(set);
        goto done;
    }
    pt_log(PT_LOG_INFO, "policy loaded", PT_LS("dir", dir), PT_LS("trigger", why),
           PT_LS("digest", set->digest), PT_LI("profiles", set->n),
           PT_LS("previous_digest", old ? old->digest : "none"), PT_LI("warnings", diags.warnings));
    pt_reload_policy_put(st, set);
done:
    pt_policy_set_unref(old);
    pt_diags_cleanup(&diags);
    return rc;
}

int pt_reload_creds(const struct pt_reload_opts *o, const char *why)
{
    struct pt_error err;
    struct pt_tls_creds *c, *cur;
    int rc = 0;

    pt_error_clear(&err);
    c = pt_tls_load(o->cert_path, o->key_path, &err);
    if (!c) {
        char msg[800];
        pt_error_format(&err, msg, sizeof(msg));
        pt_metrics_tls_reload(0, 0);
        pt_log(PT_LOG_ERROR, "tls reload failed, keeping the current certificate",
               PT_LS("cert", o->cert_path), PT_LS("key", o->key_path), PT_LS("trigger", why),
               PT_LS("error", msg));
        return err.code ? err.code : PT_EINVAL;
    }
    cur = pt_reload_creds_get(o->state);
    if (cur && strcmp(cur->cert_pem, c->cert_pem) == 0 && strcmp(cur->key_pem, c->key_pem) == 0) {
        pt_log(PT_LOG_DEBUG, "tls reload: unchanged", PT_LS("serial", c->serial),
               PT_LS("trigger", why));
        goto done;
    }
    if (o->on_creds && o->on_creds(o->arg, c, &err) < 0) {
        char msg[800];
        pt_error_format(&err, msg, sizeof(msg));
        pt_metrics_tls_reload(0, 0);
        pt_log(PT_LOG_ERROR, "tls reload failed, keeping the current certificate",
               PT_LS("serial", c->serial), PT_LS("trigger", why), PT_LS("error", msg));
        rc = err.code ? err.code : PT_EIO;
        goto done;
    }
    pt_metrics_tls_reload(1, c->not_after);
    pt_log(PT_LOG_INFO, cur ? "tls certificate rotated" : "tls certificate loaded",
           PT_LS("serial", c->serial), PT_LS("subject", c->subject),
           PT_LI("not_after", c->not_after), PT_LS("previous_serial", cur ? cur->serial : "none"),
           PT_LS("trigger", why));
    pt_reload_creds_put(o->state, pt_tls_creds_ref(c));
done:
    pt_tls_creds_unref(cur);
    pt_tls_creds_unref(c);
    return rc;
}

struct pt_reloader {
    struct pt_reload_opts o;
    struct pt_watch *w;
    int sig_fd, stop_fd;
    pthread_t thread;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Copies the directory part of path into out ("." when there is none). */
static void dir_of(const char *path, char *out, size_t len)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(out, len, ".");
    else if (slash == path)
        snprintf(out, len, "/");
    else
        snprintf(out, len, "%.*s", (int)(slash - path), path);
}

/* Watches one file's directory, and the directory of the file it finally
 * resolves to when that is elsewhere (a hand-made symlink). */
static void watch_file_dir(struct pt_reloader *r, const char *file)
{
    char dir[PATH_MAX], real[PATH_MAX];
    struct pt_error err;

    pt_error_clear(&err);
    dir_of(file, dir, sizeof(dir));
    if (pt_watch_add(r->w, dir, TAG_TLS, 0, &err) < 0)
        pt_log(PT_LOG_WARN, "cannot watch certificate directory", PT_LS("dir", dir),
               PT_LS("error", err.text));
    if (realpath(file, real)) {
        char rdir[PATH_MAX];
        dir_of(real, rdir, sizeof(rdir));
        if (strcmp(rdir, dir) != 0) {
            pt_error_clear(&err);
            (void)pt_watch_add(r->w, rdir, TAG_TLS, 0, &err);
        }
    }
}

/* (Re)adds the root watches; the kernel keeps one watch per inode, so repeating
 * this after every change is cheap and picks up replaced directories. */
static void add_watches(struct pt_reloader *r)
{
    struct pt_error err;
    pt_error_clear(&err);
    if (pt_watch_add(r->w, r->o.policies_dir, TAG_POLICY, 1, &err) < 0)
        pt_log(PT_LOG_WARN, "cannot watch policy directory", PT_LS("dir", r->o.policies_dir),
               PT_LS("error", err.text));
    watch_file_dir(r, r->o.cert_path);
    watch_file_dir(r, r->o.key_path);
}

static void run_reloads(struct pt_reloader *r, unsigned what, const char *why)
{
    if (what & (1u << TAG_POLICY))
        (void)pt_reload_policies(r->o.state, r->o.policies_dir, why);
    if (what & (1u << TAG_TLS))
        (void)pt_reload_creds(&r->o, why);
    add_watches(r);
}

static void *reload_main(void *arg)
{
    struct pt_reloader *r = arg;
    unsigned pending = 0;
    int64_t first = 0, last = 0;

    for (;;) {
        struct pollfd p[3] = {
            {r->stop_fd, POLLIN, 0}, {r->sig_fd, POLLIN, 0}, {pt_watch_fd(r->w), POLLIN, 0}};
        int timeout = -1;
        int64_t now = now_ms();

        if (pending) {
            int64_t due = last + r->o.debounce_ms;
            if (due > first + MAX_BATCH_MS)
                due = first + MAX_BATCH_MS;
            timeout = due > now ? (int)(due - now) : 0;
        }
        if (poll(p, 3, timeout) < 0 && errno != EINTR)
            break;
        if (p[0].revents)
            break;
        if (p[1].revents & POLLIN) {
            struct signalfd_siginfo si;
            int got = 0;
            while (read(r->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
                got = 1;
            if (got) {
                pt_log(PT_LOG_INFO, "SIGHUP: reloading policies and certificate",
                       PT_LI("pending", pending));
                run_reloads(r, (1u << TAG_POLICY) | (1u << TAG_TLS), "SIGHUP");
                pending = 0;
                continue;
            }
        }
        if (p[2].revents & POLLIN) {
            unsigned bits = pt_watch_read(r->w);
            if (bits) {
                now = now_ms();
                if (!pending)
                    first = now;
                last = now;
                pending |= bits;
            }
        }
        now = now_ms();
        if (pending && (now >= last + r->o.debounce_ms || now >= first + MAX_BATCH_MS)) {
            unsigned what = pending;
            pending = 0;
            run_reloads(r, what, "file change");
        }
    }
    return NULL;
}

struct pt_reloader *pt_reload_start(const struct pt_reload_opts *o, struct pt_error *err)
{
    struct pt_reloader *r = calloc(1, sizeof(*r));
    sigset_t hup;

    if (!r) {
        pt_error_set(err, PT_ENOMEM, "out of memory");
        return NULL;
    }
    r->o = *o;
    if (r->o.debounce_ms <= 0)
        r->o.debounce_ms = 100;
    r->sig_fd = r->stop_fd = -1;
    r->w = pt_watch_new(err);
    if (!r->w)
        goto fail;
    sigemptyset(&hup);
    sigaddset(&hup, SIGHUP);
    r->sig_fd = signalfd(-1, &hup, SFD_NONBLOCK | SFD_CLOEXEC);
    if (r->sig_fd < 0) {
        pt_error_set(err, PT_EIO, "signalfd: %s", strerror(errno));
        goto fail;
    }
    r->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (r->stop_fd < 0) {
        pt_error_set(err, PT_EIO, "eventfd: %s", strerror(errno));
        goto fail;
    }
    add_watches(r);
    if (pthread_create(&r->thread, NULL, reload_main, r) != 0) {
        pt_error_set(err, PT_EIO, "cannot start the reload thread");
        goto fail;
    }
    return r;
fail:
    if (r->sig_fd >= 0)
        close(r->sig_fd);
    if (r->stop_fd >= 0)
        close(r->stop_fd);
    pt_watch_free(r->w);
    free(r);
    return NULL;
}

void pt_reload_stop(struct pt_reloader *r)
{
    uint64_t one = 1;
    if (!r)
        return;
    if (write(r->stop_fd, &one, sizeof(one)) < 0) {
        /* an eventfd write only fails on overflow; the thread is woken anyway */
    }
    pthread_join(r->thread, NULL);
    close(r->sig_fd);
    close(r->stop_fd);
    pt_watch_free(r->w);
    free(r);
}
