/* error.c — the error struct: first error wins, formatted with its position. */
#include "podtune/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void pt_error_clear(struct pt_error *err)
{
    if (!err)
        return;
    memset(err, 0, sizeof(*err));
}

static int error_vset(struct pt_error *err, int code, const char *source, int line, int column,
                      const char *fmt, va_list ap)
{
    if (!err || err->text[0])
        return code;
    err->code = code;
    snprintf(err->source, sizeof(err->source), "%s", source ? source : "");
    err->line = line;
    err->column = column;
    vsnprintf(err->text, sizeof(err->text), fmt, ap);
    if (!err->text[0])
        snprintf(err->text, sizeof(err->text), "%s", pt_strerror(code));
    return code;
}

int pt_error_set(struct pt_error *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    error_vset(err, code, NULL, 0, 0, fmt, ap);
    va_end(ap);
    return code;
}

int pt_error_setpos(struct pt_error *err, int code, const char *source, int line, int column,
                    const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    error_vset(err, code, source, line, column, fmt, ap);
    va_end(ap);
    return code;
}

void pt_error_format(const struct pt_error *err, char *buf, size_t len)
{
    if (!len)
        return;
    if (!err) {
        buf[0] = '\0';
        return;
    }
    if (err->source[0] && err->line > 0 && err->column > 0)
        snprintf(buf, len, "%s:%d:%d: %s", err->source, err->line, err->column, err->text);
    else if (err->source[0] && err->line > 0)
        snprintf(buf, len, "%s:%d: %s", err->source, err->line, err->text);
    else if (err->source[0])
        snprintf(buf, len, "%s: %s", err->source, err->text);
    else
        snprintf(buf, len, "%s", err->text);
}

const char *pt_strerror(int code)
{
    switch (code) {
    case PT_OK: return "success";
    case PT_EINVAL: return "invalid input";
    case PT_ENOMEM: return "out of memory";
    case PT_EIO: return "input/output error";
    case PT_ERANGE: return "value out of range";
    case PT_ENOENT: return "not found";
    case PT_ESTATE: return "wrong state";
    default: return "unknown error";
    }
}
