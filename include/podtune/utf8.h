/* utf8.h — UTF-8 checks for text that podtune cuts or quotes before it goes
 * into JSON (warnings, audit annotations) or logs. */
#ifndef PODTUNE_UTF8_H
#define PODTUNE_UTF8_H

#include <stddef.h>

/* Length of the valid UTF-8 sequence at s (looking at most n bytes), or 0
 * when the bytes there are not one (overlong forms and surrogates included). */
size_t pt_utf8_seq(const unsigned char *s, size_t n);

/* Drops, in place, every byte of the NUL-terminated s that is not part of a
 * valid UTF-8 sequence, e.g. the half of a character a byte-counted cut
 * ("%.40s", a full snprintf buffer) left behind. Returns the new length.
 * NULL is a no-op returning 0. */
size_t pt_utf8_scrub(char *s);

/* Shortens the NUL-terminated s in place to at most max bytes (max > 3) when
 * it is longer, cutting on a character boundary and ending it with "...".
 * Returns the new length. */
size_t pt_utf8_truncate(char *s, size_t max);

/* The 1-based line and column (in characters, as libyaml counts them) of byte
 * offset off in buf[0..len); an offset past the end gives the end's position. */
void pt_utf8_position(const char *buf, size_t len, size_t off, int *line, int *col);

/* Clamps a 1-based line:col a parser reported to the end of buf[0..len) when it
 * lies beyond it (libyaml adds a line break after input that lacks one, so its
 * marks at the end can name a line the text does not have). */
void pt_utf8_clamp_position(const char *buf, size_t len, int *line, int *col);

#endif
