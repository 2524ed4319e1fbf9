/* log.h — structured log lines (JSON or logfmt-style text), one write(2) per line. */
#ifndef PODTUNE_LOG_H
#define PODTUNE_LOG_H

#include <stddef.h>
#include <stdint.h>

enum pt_log_level { PT_LOG_DEBUG, PT_LOG_INFO, PT_LOG_WARN, PT_LOG_ERROR };
enum pt_log_format { PT_LOG_TEXT, PT_LOG_JSON };

enum pt_log_type { PT_LOG_T_STR, PT_LOG_T_INT, PT_LOG_T_DBL };

/* One key = value pair of a log line. Strings are borrowed for the call; NULL
 * strings are written as "". */
struct pt_log_field {
    const char *key;
    enum pt_log_type type;
    const char *s;
    int64_t i;
    double d;
};

#define PT_LS(k, v) ((struct pt_log_field){.key = (k), .type = PT_LOG_T_STR, .s = (v)})
#define PT_LI(k, v) ((struct pt_log_field){.key = (k), .type = PT_LOG_T_INT, .i = (int64_t)(v)})
#define PT_LD(k, v) ((struct pt_log_field){.key = (k), .type = PT_LOG_T_DBL, .d = (double)(v)})

/* Writes one line: time, level, msg, then the fields in order.
 * pt_log(PT_LOG_INFO, "admission", PT_LS("uid", uid), PT_LI("us", 12)); */
#define pt_log(level, msg, ...)                                                                    \
    pt_log_fields((level), (msg), (const struct pt_log_field[]){__VA_ARGS__},                      \
                  sizeof((const struct pt_log_field[]){__VA_ARGS__}) /                             \
                      sizeof(struct pt_log_field))

/* Sets the output (a file descriptor, 2 by default), the format and the lowest
 * level written. Call before threads start; later calls are not synchronised. */
void pt_log_init(int fd, enum pt_log_format format, enum pt_log_level min_level);

/* Parses "json" / "text"; returns 0 or PT_EINVAL. */
int pt_log_parse_format(const char *s, enum pt_log_format *out);
/* Parses "debug" / "info" / "warn" / "warning" / "error"; returns 0 or PT_EINVAL. */
int pt_log_parse_level(const char *s, enum pt_log_level *out);

/* 1 if a line at level would be written. */
int pt_log_enabled(enum pt_log_level level);

/* Writes one line with n fields (see pt_log). Lines longer than 8 KiB are
 * truncated, keeping them valid JSON / text. Safe from any thread. */
void pt_log_fields(enum pt_log_level level, const char *msg, const struct pt_log_field *fields,
                   size_t n);

/* Formats the same line into buf (for tests); returns its length without the
 * NUL. buf always ends with '\n' and a NUL when len >= 2. */
size_t pt_log_format_line(char *buf, size_t len, enum pt_log_format format, int64_t unix_ms,
                          enum pt_log_level level, const char *msg,
                          const struct pt_log_field *fields, size_t n);

#endif
