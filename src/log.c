/* log.c — structured log lines (JSON or text), formatted on the stack, one write(2) each. */
#include "podtune/log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "podtune/error.h"
#include "podtune/utf8.h"

#define LINE_MAX_BYTES  8192
#define VALUE_MAX_BYTES 2048
#define TAIL_RESERVE    32 /* room kept for the closing `,"truncated":true}\n` */

static int log_fd = 2;
static enum pt_log_format log_format = PT_LOG_TEXT;
static enum pt_log_level log_min = PT_LOG_INFO;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

/* A bounded output buffer; writes past cap are dropped and flagged. */
struct lbuf {
    char *p;
    size_t len, cap;
    int over;
};

static void put(struct lbuf *b, const char *s, size_t n)
{
    if (b->over || b->len + n > b->cap) {
        b->over = 1;
        return;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

static void puts_(struct lbuf *b, const char *s)
{
    put(b, s, strlen(s));
}

static void putc_(struct lbuf *b, char c)
{
    put(b, &c, 1);
}

/* Writes s escaped for JSON (or, when text, for a logfmt value), at most
 * VALUE_MAX_BYTES of input; invalid UTF-8 becomes U+FFFD. */
static void put_escaped(struct lbuf *b, const char *str, int json)
{
    const unsigned char *s = (const unsigned char *)(str ? str : "");
    size_t n = strlen((const char *)s);
    int cut = 0;
    if (n > VALUE_MAX_BYTES) {
        n = VALUE_MAX_BYTES;
        cut = 1;
    }
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        char tmp[8];
        if (c == '"' || c == '\\') {
            putc_(b, '\\');
            putc_(b, (char)c);
            i++;
        } else if (c == '\n') {
            puts_(b, "\\n");
            i++;
        } else if (c == '\t') {
            puts_(b, "\\t");
            i++;
        } else if (c == '\r') {
            puts_(b, "\\r");
            i++;
        } else if (c < 0x20 || c == 0x7f) {
            snprintf(tmp, sizeof(tmp), json ? "\\u%04x" : "\\x%02x", c);
            puts_(b, tmp);
            i++;
        } else if (c < 0x80) {
            putc_(b, (char)c);
            i++;
        } else {
            size_t k = pt_utf8_seq(s + i, n - i);
            if (k == 0) {
                puts_(b, "\xef\xbf\xbd");
                i++;
            } else {
                put(b, (const char *)s + i, k);
                i += k;
            }
        }
    }
    if (cut)
        puts_(b, "...");
}

/* 1 when a text value needs quotes. */
static int needs_quotes(const char *s)
{
    if (!s || !*s)
        return 1;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= ' ' || *p == '"' || *p == '=' || *p == '\\' || *p == 0x7f)
            return 1;
    return 0;
}

static void put_value(struct lbuf *b, const struct pt_log_field *f, int json)
{
    char num[64];
    switch (f->type) {
    case PT_LOG_T_INT:
        snprintf(num, sizeof(num), "%lld", (long long)f->i);
        puts_(b, num);
        break;
    case PT_LOG_T_DBL:
        if (f->d != f->d || f->d > 1e300 || f->d < -1e300)
            snprintf(num, sizeof(num), json ? "null" : "NaN");
        else
            snprintf(num, sizeof(num), "%.6g", f->d);
        puts_(b, num);
        break;
    default:
        if (json || needs_quotes(f->s)) {
            putc_(b, '"');
            put_escaped(b, f->s, json);
            putc_(b, '"');
        } else {
            put_escaped(b, f->s, 0);
        }
    }
}

size_t pt_log_format_line(char *buf, size_t len, enum pt_log_format format, int64_t unix_ms,
                          enum pt_log_level level, const char *msg,
                          const struct pt_log_field *fields, size_t n)
{
    struct lbuf b = {buf, 0, 0, 0};
    char ts[40], tbuf[32];
    time_t secs = (time_t)(unix_ms / 1000);
    struct tm tm;
    int json = format == PT_LOG_JSON;
    int truncated = 0;

    if (len < TAIL_RESERVE + 64) {
        if (len >= 2) {
            buf[0] = '\n';
            buf[1] = '\0';
            return 1;
        }
        return 0;
    }
    b.cap = len - TAIL_RESERVE;
    if (!gmtime_r(&secs, &tm))
        memset(&tm, 0, sizeof(tm));
    strftime(tbuf, sizeof(tbuf), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(ts, sizeof(ts), "%s.%03dZ", tbuf, (int)(unix_ms % 1000));
    if ((unsigned)level > PT_LOG_ERROR)
        level = PT_LOG_ERROR;

    if (json) {
        puts_(&b, "{\"ts\":\"");
        puts_(&b, ts);
        puts_(&b, "\",\"level\":\"");
        puts_(&b, level_names[level]);
        puts_(&b, "\",\"msg\":\"");
        put_escaped(&b, msg, 1);
        putc_(&b, '"');
    } else {
        puts_(&b, ts);
        putc_(&b, ' ');
        puts_(&b, level_names[level]);
        putc_(&b, ' ');
        put_escaped(&b, msg, 0);
    }
    for (size_t i = 0; i < n && !b.over; i++) {
        size_t mark = b.len;
        if (json) {
            puts_(&b, ",\"");
            put_escaped(&b, fields[i].key, 1);
            puts_(&b, "\":");
        } else {
            putc_(&b, ' ');
            put_escaped(&b, fields[i].key, 0);
            putc_(&b, '=');
        }
        put_value(&b, &fields[i], json);
        if (b.over) {
            b.len = mark; /* drop the field that did not fit, whole */
            truncated = 1;
        }
    }
    if (b.over)
        truncated = 1;
    b.over = 0;
    b.cap = len - 1; /* the reserve is ours now */
    if (truncated)
        puts_(&b, json ? ",\"truncated\":true" : " truncated=true");
    if (json)
        putc_(&b, '}');
    putc_(&b, '\n');
    buf[b.len] = '\0';
    return b.len;
}

void pt_log_init(int fd, enum pt_log_format format, enum pt_log_level min_level)
{
    log_fd = fd;
    log_format = format;
    log_min = min_level;
}

int pt_log_parse_format(const char *s, enum pt_log_format *out)
{
    if (s && strcmp(s, "json") == 0)
        *out = PT_LOG_JSON;
    else if (s && strcmp(s, "text") == 0)
        *out = PT_LOG_TEXT;
    else
        return PT_EINVAL;
    return 0;
}

int pt_log_parse_level(const char *s, enum pt_log_level *out)
{
    if (!s)
        return PT_EINVAL;
    if (strcasecmp(s, "debug") == 0)
        *out = PT_LOG_DEBUG;
    else if (strcasecmp(s, "info") == 0)
        *out = PT_LOG_INFO;
    else if (strcasecmp(s, "warn") == 0 || strcasecmp(s, "warning") == 0)
        *out = PT_LOG_WARN;
    else if (strcasecmp(s, "error") == 0)
        *out = PT_LOG_ERROR;
    else
        return PT_EINVAL;
    return 0;
}

int pt_log_enabled(enum pt_log_level level)
{
    return level >= log_min;
}

void pt_log_fields(enum pt_log_level level, const char *msg, const struct pt_log_field *fields,
                   size_t n)
{
    char line[LINE_MAX_BYTES];
    struct timespec now;
    size_t len, off = 0;

    if (level < log_min)
        return;
    clock_gettime(CLOCK_REALTIME, &now);
    len = pt_log_format_line(line, sizeof(line), log_format,
                             (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000, level, msg, fields,
                             n);
    /* One write per line keeps lines whole between threads (pipes: PIPE_BUF is
     * 4 KiB, longer lines can interleave only with other long lines). Retried on
     * EINTR and short writes; a log that cannot be written is dropped. */
    while (off < len) {
        ssize_t w = write(log_fd, line + off, len - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        off += (size_t)w;
    }
}
