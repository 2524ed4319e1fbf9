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

#endif
