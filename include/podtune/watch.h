/* watch.h — file-change detection for policy and certificate directories
 * (inotify; survives ConfigMap / Secret "..data" symlink swaps). */
#ifndef PODTUNE_WATCH_H
#define PODTUNE_WATCH_H

#include "podtune/error.h"

/* A set of watched directories, each with a tag bit (0..31) saying which
 * reload it feeds. Not thread-safe: one thread owns it. */
struct pt_watch;

/* A new, empty watcher (non-blocking inotify fd), or NULL with err set. */
struct pt_watch *pt_watch_new(struct pt_error *err);
/* Closes the inotify fd and frees w. NULL is a no-op. */
void pt_watch_free(struct pt_watch *w);

/* Watches dir for entries created, moved in or out, deleted, written and
 * closed, or changed attributes, under tag. recursive: every subdirectory too
 * (hidden ones such as ConfigMap "..2024_…" data directories included, since
 * that is where a swapped "..data" points), and subdirectories created later
 * are added as they appear. Adding a directory again is harmless.
 * Returns 0, or PT_EIO / PT_ENOMEM with err set. */
int pt_watch_add(struct pt_watch *w, const char *dir, unsigned tag, int recursive,
                 struct pt_error *err);

/* The inotify descriptor to poll for POLLIN. */
int pt_watch_fd(const struct pt_watch *w);

/* Reads every pending event (never blocks) and returns the bitmask
 * (1u << tag) of the tags whose directories changed; 0 when nothing relevant
 * happened. Newly created subdirectories of recursive watches are added here. */
unsigned pt_watch_read(struct pt_watch *w);

#endif
