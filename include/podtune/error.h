/* error.h — return codes and the error struct that carries one error's text and position. */
#ifndef PODTUNE_ERROR_H
#define PODTUNE_ERROR_H

#include <stddef.h>

/* Functions return 0 on success or one of these negative codes. */
#define PT_OK     0
#define PT_EINVAL (-1) /* bad input: malformed document, wrong type, bad value */
#define PT_ENOMEM (-2) /* allocation failed */
#define PT_EIO    (-3) /* reading or writing a file failed */
#define PT_ERANGE (-4) /* a number does not fit */
#define PT_ENOENT (-5) /* a named thing does not exist */
#define PT_ESTATE (-6) /* the operation does not fit the current state */

/* One error: where it was found (optional) and what is wrong. The first error
 * set wins: later pt_error_set calls on an error that already holds text are
 * ignored, so the innermost cause is kept. Caller storage, no heap. */
struct pt_error {
    int code;
    char source[256]; /* file name or "" */
    int line;         /* 1-based; 0 = unknown */
    int column;       /* 1-based; 0 = unknown */
    char text[512];
};

/* Resets err to "no error". NULL is a no-op. */
void pt_error_clear(struct pt_error *err);

/* Records code and a printf-style message in err (NULL is a no-op) and
 * returns code, so callers can write `return pt_error_set(err, PT_EINVAL, ...)`. */
int pt_error_set(struct pt_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Same as pt_error_set with a position. */
int pt_error_setpos(struct pt_error *err, int code, const char *source, int line, int column,
                    const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Writes "source:line:col: text" (parts that are unknown are left out) into buf. */
void pt_error_format(const struct pt_error *err, char *buf, size_t len);

/* A short name for a code: "invalid input", "out of memory", … */
const char *pt_strerror(int code);

#endif
