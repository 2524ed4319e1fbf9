/* utf8.c — UTF-8 checks: sequence lengths and dropping broken bytes after a cut. */
#include "podtune/utf8.h"

#include <string.h>

size_t pt_utf8_seq(const unsigned char *s, size_t n)
{
    size_t need;
    unsigned c = s[0];

    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        need = 2;
    else if (c >= 0xe0 && c <= 0xef)
        need = 3;
    else if (c >= 0xf0 && c <= 0xf4)
        need = 4;
    else
        return 0;
    if (n < need)
        return 0;
    for (size_t i = 1; i < need; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    if (c == 0xe0 && s[1] < 0xa0)
        return 0; /* overlong */
    if (c == 0xed && s[1] >= 0xa0)
        return 0; /* surrogate */
    if (c == 0xf0 && s[1] < 0x90)
        return 0; /* overlong */
    if (c == 0xf4 && s[1] >= 0x90)
        return 0; /* beyond U+10FFFF */
    return need;
}

size_t pt_utf8_scrub(char *s)
{
    unsigned char *p = (unsigned char *)s;
    size_t n, r = 0, w = 0;

    if (!s)
        return 0;
    n = strlen(s);
    while (r < n) {
        size_t k = pt_utf8_seq(p + r, n - r);
        if (k == 0) {
            r++;
            continue;
        }
        memmove(p + w, p + r, k);
        w += k;
        r += k;
    }
    p[w] = '\0';
    return w;
}

void pt_utf8_position(const char *buf, size_t len, size_t off, int *line, int *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off && i < len; i++) {
        if (buf[i] == '\n') {
            ++*line;
            *col = 1;
        } else if (((unsigned char)buf[i] & 0xC0) != 0x80) {
            ++*col;
        }
    }
}

void pt_utf8_clamp_position(const char *buf, size_t len, int *line, int *col)
{
    int end_line, end_col;

    pt_utf8_position(buf, len, len, &end_line, &end_col);
    if (*line > end_line || (*line == end_line && *col > end_col)) {
        *line = end_line;
        *col = end_col;
    }
}

size_t pt_utf8_truncate(char *s, size_t max)
{
    size_t n = strlen(s), cut;

    if (n <= max)
        return n;
    cut = max - 3;
    while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
        cut--;
    memcpy(s + cut, "...", 4);
    return cut + 3;
}
