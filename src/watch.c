/* watch.c — inotify watches over policy and certificate directories, with tags and recursion. */
#include "podtune/watch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#define WATCH_MASK                                                                                 \
    (IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CLOSE_WRITE | IN_ATTRIB |            \
     IN_DELETE_SELF | IN_MOVE_SELF)
#define MAX_WATCHES 1024 /* a bound on a hostile or runaway tree */
#define MAX_DEPTH   16

/* One inotify watch descriptor: which directory it is and which tags it feeds. */
struct wentry {
    int wd;
    char *path;
    unsigned tags; /* bit set */
    int recursive;
    int depth;
};

struct pt_watch {
    int fd;
    struct wentry *e;
    size_t n, cap;
};

struct pt_watch *pt_watch_new(struct pt_error *err)
{
    struct pt_watch *w = calloc(1, sizeof(*w));
    if (!w) {
        pt_error_set(err, PT_ENOMEM, "out of memory");
        return NULL;
    }
    w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (w->fd < 0) {
        pt_error_set(err, PT_EIO, "inotify_init1: %s", strerror(errno));
        free(w);
        return NULL;
    }
    return w;
}

void pt_watch_free(struct pt_watch *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->n; i++)
        free(w->e[i].path);
    free(w->e);
    close(w->fd);
    free(w);
}

int pt_watch_fd(const struct pt_watch *w)
{
    return w->fd;
}

static struct wentry *find_wd(struct pt_watch *w, int wd)
{
    for (size_t i = 0; i < w->n; i++)
        if (w->e[i].wd == wd)
            return &w->e[i];
    return NULL;
}

static void drop_wd(struct pt_watch *w, int wd)
{
    for (size_t i = 0; i < w->n; i++)
        if (w->e[i].wd == wd) {
            free(w->e[i].path);
            w->e[i] = w->e[--w->n];
            return;
        }
}

/* Adds one directory (not its children). The kernel returns the same wd for
 * the same inode, so a repeat only merges tags. */
static int add_one(struct pt_watch *w, const char *dir, unsigned tags, int recursive, int depth,
                   struct pt_error *err)
{
    struct wentry *e;
    int wd;

    if (w->n >= MAX_WATCHES)
        return pt_error_set(err, PT_ERANGE, "%s: more than %d watched directories", dir,
                            MAX_WATCHES);
    wd = inotify_add_watch(w->fd, dir, WATCH_MASK | IN_ONLYDIR);
    if (wd < 0)
        return pt_error_set(err, PT_EIO, "watch %s: %s", dir, strerror(errno));
    e = find_wd(w, wd);
    if (e) {
        e->tags |= tags;
        e->recursive |= recursive;
        if (strcmp(e->path, dir) != 0) { /* same inode seen under a newer name */
            char *p = strdup(dir);
            if (p) {
                free(e->path);
                e->path = p;
            }
        }
        return 0;
    }
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 8;
        struct wentry *ne = realloc(w->e, cap * sizeof(*ne));
        if (!ne)
            return pt_error_set(err, PT_ENOMEM, "out of memory");
        w->e = ne;
        w->cap = cap;
    }
    e = &w->e[w->n];
    e->path = strdup(dir);
    if (!e->path)
        return pt_error_set(err, PT_ENOMEM, "out of memory");
    e->wd = wd;
    e->tags = tags;
    e->recursive = recursive;
    e->depth = depth;
    w->n++;
    return 0;
}

/* Adds dir and, when recursive, every real subdirectory below it. Symlinked
 * directories are not followed (the "..data" link's target is a real
 * directory that is found on its own). */
static int add_tree(struct pt_watch *w, const char *dir, unsigned tags, int recursive, int depth,
                    struct pt_error *err)
{
    DIR *d;
    struct dirent *de;
    int rc = add_one(w, dir, tags, recursive, depth, err);

    if (rc < 0 || !recursive || depth >= MAX_DEPTH)
        return rc;
    d = opendir(dir);
    if (!d)
        return 0; /* gone already: the event that removed it is queued */
    while ((de = readdir(d)) != NULL) {
        char path[PATH_MAX];
        struct stat st;
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= (int)sizeof(path))
            continue;
        if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode))
            continue;
        rc = add_tree(w, path, tags, recursive, depth + 1, err);
        if (rc < 0)
            break;
    }
    closedir(d);
    return rc;
}

int pt_watch_add(struct pt_watch *w, const char *dir, unsigned tag, int recursive,
                 struct pt_error *err)
{
    if (tag > 31)
        return pt_error_set(err, PT_EINVAL, "watch tag %u out of range", tag);
    return add_tree(w, dir, 1u << tag, recursive, 0, err);
}

unsigned pt_watch_read(struct pt_watch *w)
{
    unsigned changed = 0;
    char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));

    for (;;) {
        ssize_t n = read(w->fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        for (char *p = buf; p < buf + n;) {
            const struct inotify_event *ev = (const struct inotify_event *)p;
            struct wentry *e;
            p += sizeof(*ev) + ev->len;
            if (ev->mask & IN_Q_OVERFLOW) {
                for (size_t i = 0; i < w->n; i++) /* lost events: reload everything */
                    changed |= w->e[i].tags;
                continue;
            }
            e = find_wd(w, ev->wd);
            if (!e)
                continue;
            if (ev->mask & IN_IGNORED) {
                changed |= e->tags;
                drop_wd(w, ev->wd);
                continue;
            }
            changed |= e->tags;
            if (e->recursive && (ev->mask & IN_ISDIR) && (ev->mask & (IN_CREATE | IN_MOVED_TO)) &&
                ev->len > 0) {
                char path[PATH_MAX];
                unsigned tags = e->tags;
                int depth = e->depth + 1;
                if (snprintf(path, sizeof(path), "%s/%s", e->path, ev->name) < (int)sizeof(path)) {
                    struct pt_error ignored;
                    pt_error_clear(&ignored);
                    /* e may move when the table grows: copy what we need first. */
                    (void)add_tree(w, path, tags, 1, depth, &ignored);
                }
            }
        }
    }
    return changed;
}
