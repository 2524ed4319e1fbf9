/* quantity.c — Kubernetes resource quantities and JVM sizes: exact parsing, arithmetic and
 * canonical output. */
#include "podtune/quantity.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define NANO_PER_UNIT  ((__int128)1000000000)
#define NANO_PER_MILLI ((__int128)1000000)

/* Every quantity podtune holds has a whole-unit value that fits int64, so
 * Value() never overflows and nano * 10^9 still fits in __int128 (div_ceil). */
#define NANO_POS_LIMIT ((__int128)INT64_MAX * NANO_PER_UNIT)
#define NANO_NEG_LIMIT ((__int128)INT64_MIN * NANO_PER_UNIT)

/* Longest part of a bad input quoted back in an error message. */
#define QUOTE_MAX 48

static bool in_range(__int128 nano)
{
    return nano >= NANO_NEG_LIMIT && nano <= NANO_POS_LIMIT;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Copies s into buf for an error message: at most QUOTE_MAX bytes, control
 * and non-ASCII bytes shown as '?', so junk input cannot garble logs. */
static void quote(const char *s, char *buf, size_t len)
{
    size_t n = 0;
    size_t i;
    for (i = 0; s[i] && i < QUOTE_MAX && n + 1 < len; i++) {
        unsigned char c = (unsigned char)s[i];
        buf[n++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    if (s[i] && n + 4 < len) {
        memcpy(buf + n, "...", 3);
        n += 3;
    }
    buf[n] = '\0';
}

/* A suffix Kubernetes would take if its case were different ("gi" → "Gi"),
 * for a friendlier message; NULL when there is no such suffix. */
static const char *case_hint(const char *suffix)
{
    static const char *const known[] = {"Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        if (strcasecmp(suffix, known[i]) == 0 && strcmp(suffix, known[i]) != 0)
            return known[i];
    return NULL;
}

/* Looks up a fixed suffix: base-10 exponent or base-2 exponent and format. */
static bool lookup_suffix(const char *s, size_t n, int *exp10, int *exp2,
                          enum pt_quantity_format *format)
{
    static const struct {
        const char *name;
        int exp10;
        int exp2;
    } table[] = {
        {"", 0, 0},    {"n", -9, 0},  {"u", -6, 0},  {"m", -3, 0},  {"k", 3, 0},   {"M", 6, 0},
        {"G", 9, 0},   {"T", 12, 0},  {"P", 15, 0},  {"E", 18, 0},  {"Ki", 0, 10}, {"Mi", 0, 20},
        {"Gi", 0, 30}, {"Ti", 0, 40}, {"Pi", 0, 50}, {"Ei", 0, 60},
    };
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        if (strlen(table[i].name) == n && memcmp(table[i].name, s, n) == 0) {
            *exp10 = table[i].exp10;
            *exp2 = table[i].exp2;
            *format = table[i].exp2 ? PT_QUANTITY_BINARY_SI : PT_QUANTITY_DECIMAL_SI;
            return true;
        }
    }
    return false;
}

/* Parses the digits after 'e'/'E' ("3", "+3", "-12"). 0, PT_EINVAL when it is
 * not a signed integer, PT_ERANGE when it does not fit int32 (Kubernetes
 * would silently wrap it). */
static int parse_exponent(const char *s, size_t n, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    int64_t v = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        neg = s[i++] == '-';
    if (i == n)
        return PT_EINVAL;
    for (; i < n; i++) {
        if (!is_digit(s[i]))
            return PT_EINVAL;
        v = v * 10 + (s[i] - '0');
        if (v > (int64_t)INT32_MAX + 1)
            return PT_ERANGE;
    }
    if (neg)
        v = -v;
    if (v > INT32_MAX || v < INT32_MIN)
        return PT_ERANGE;
    *out = v;
    return 0;
}

/* The parts of a quantity string, as Kubernetes' scanner splits it. */
struct scan {
    bool negative;
    const char *digits; /* integer digits with leading zeros stripped */
    size_t nint;
    const char *frac; /* digits after '.' */
    size_t nfrac;
    const char *suffix;
    size_t nsuffix;
};

/* Splits s into sign, number and suffix; PT_EINVAL with a message on bad syntax. */
static int scan_quantity(const char *s, struct scan *sc, struct pt_error *err)
{
    char q[QUOTE_MAX + 8];
    size_t i = 0;
    size_t ndigits;

    memset(sc, 0, sizeof(*sc));
    if (s[i] == '+' || s[i] == '-')
        sc->negative = s[i++] == '-';
    while (s[i] == '0')
        i++;
    ndigits = i - (sc->negative || s[0] == '+' ? 1 : 0);
    sc->digits = s + i;
    while (is_digit(s[i]))
        i++;
    sc->nint = (size_t)(s + i - sc->digits);
    ndigits += sc->nint;
    sc->frac = s + i;
    if (s[i] == '.') {
        sc->frac = s + ++i;
        while (is_digit(s[i]))
            i++;
        sc->nfrac = (size_t)(s + i - sc->frac);
        ndigits += sc->nfrac;
    }
    sc->suffix = s + i;
    /* Same shape Kubernetes accepts: [eEinumkKMGTP]*[-+]?[0-9]* to the end. */
    while (s[i] && strchr("eEinumkKMGTP", s[i]))
        i++;
    if (s[i] == '+' || s[i] == '-')
        i++;
    while (is_digit(s[i]))
        i++;
    if (s[i]) {
        const char *hint = case_hint(sc->suffix);
        quote(s, q, sizeof(q));
        if (hint)
            return pt_error_set(err, PT_EINVAL,
                                "invalid quantity \"%s\": unknown suffix \"%s\" (suffixes are "
                                "case-sensitive: did you mean \"%s\"?)",
                                q, sc->suffix, hint);
        if (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')
            return pt_error_set(err, PT_EINVAL,
                                "invalid quantity \"%s\": whitespace at offset %zu is not allowed",
                                q, i);
        return pt_error_set(err, PT_EINVAL,
                            "invalid quantity \"%s\": unexpected character '%c' at offset %zu", q,
                            (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?', i);
    }
    sc->nsuffix = (size_t)(s + i - sc->suffix);
    /* Kubernetes reads a number without digits ("Mi", "-", ".") as 0; that is
     * always a typo, so it is refused here. */
    if (ndigits == 0) {
        quote(s, q, sizeof(q));
        return pt_error_set(err, PT_EINVAL, "invalid quantity \"%s\": no digits before the suffix",
                            q);
    }
    return 0;
}

/* Digit k of the number written as digits ++ frac (0 past the end). */
static int digit_at(const struct scan *sc, int64_t k)
{
    if (k < 0)
        return 0;
    if ((uint64_t)k < sc->nint)
        return sc->digits[k] - '0';
    k -= (int64_t)sc->nint;
    if ((uint64_t)k < sc->nfrac)
        return sc->frac[k] - '0';
    return 0;
}

/*
 * value = 0.d1d2d3... (the digits) * 10^point * 2^exp2, in nano-units rounded
 * away from zero. The digits left of the nano point are accumulated with an
 * overflow check; the ones right of it are multiplied by 2^exp2 from the
 * right, so the carry into the integer part is exact and no big numbers are
 * needed, whatever the length of the input.
 */
static int to_nano(const struct scan *sc, int64_t point, int exp2, __int128 limit, __int128 *out)
{
    const int64_t len = (int64_t)(sc->nint + sc->nfrac);
    __int128 acc = 0;
    uint64_t carry = 0;
    bool inexact = false;
    int64_t k;

    /* Integer part: digits [0, point). Past the written digits only zeros
     * follow; once acc is non-zero those overflow within a few steps. */
    for (k = 0; k < point; k++) {
        if (k >= len && acc == 0)
            break;
        acc = acc * 10 + digit_at(sc, k);
        if (acc > limit)
            return PT_ERANGE;
    }
    /* Fraction: digits [point, len), preceded by zeros when point < 0. */
    for (k = len - 1; k >= point && k >= 0; k--) {
        uint64_t v = ((uint64_t)digit_at(sc, k) << exp2) + carry;
        if (v % 10)
            inexact = true;
        carry = v / 10;
    }
    for (k = -1; k >= point && carry; k--) {
        if (carry % 10)
            inexact = true;
        carry /= 10;
    }
    if (acc > (limit >> exp2))
        return PT_ERANGE;
    acc <<= exp2;
    acc += (__int128)carry + (inexact ? 1 : 0);
    if (acc > limit)
        return PT_ERANGE;
    *out = acc;
    return 0;
}

int pt_quantity_parse(const char *s, struct pt_quantity *out, struct pt_error *err)
{
    char q[QUOTE_MAX + 8];
    char suffix[QUOTE_MAX + 8];
    struct scan sc;
    enum pt_quantity_format format;
    int exp10 = 0;
    int exp2 = 0;
    int64_t point;
    __int128 mag;
    int rc;

    if (!s || !*s)
        return pt_error_set(err, PT_EINVAL, "invalid quantity: empty string");
    rc = scan_quantity(s, &sc, err);
    if (rc)
        return rc;

    quote(sc.suffix, suffix, sizeof(suffix));
    if (!lookup_suffix(sc.suffix, sc.nsuffix, &exp10, &exp2, &format)) {
        int64_t e = 0;
        const char *hint = case_hint(suffix);
        quote(s, q, sizeof(q));
        if (sc.nsuffix > 1 && (sc.suffix[0] == 'e' || sc.suffix[0] == 'E')) {
            rc = parse_exponent(sc.suffix + 1, sc.nsuffix - 1, &e);
            if (rc == PT_ERANGE)
                return pt_error_set(err, PT_ERANGE,
                                    "quantity \"%s\" is out of range: exponent too large", q);
            if (rc)
                return pt_error_set(err, PT_EINVAL, "invalid quantity \"%s\": bad exponent \"%s\"",
                                    q, suffix);
            exp10 = (int)e;
            format = PT_QUANTITY_DECIMAL_EXPONENT;
        } else if (hint) {
            return pt_error_set(err, PT_EINVAL,
                                "invalid quantity \"%s\": unknown suffix \"%s\" (suffixes are "
                                "case-sensitive: did you mean \"%s\"?)",
                                q, suffix, hint);
        } else if (strcmp(suffix, "e") == 0) {
            return pt_error_set(err, PT_EINVAL,
                                "invalid quantity \"%s\": exponent \"e\" without digits", q);
        } else {
            return pt_error_set(err, PT_EINVAL, "invalid quantity \"%s\": unknown suffix \"%s\"", q,
                                suffix);
        }
    }

    point = (int64_t)sc.nint + exp10 + 9;
    rc = to_nano(&sc, point, exp2, sc.negative ? -NANO_NEG_LIMIT : NANO_POS_LIMIT, &mag);
    if (rc) {
        quote(s, q, sizeof(q));
        return pt_error_set(err, PT_ERANGE,
                            "quantity \"%s\" is out of range: at most 2^63-1 whole units", q);
    }
    /* As Kubernetes: a binary quantity below one unit is kept as decimal. */
    if (format == PT_QUANTITY_BINARY_SI && mag > 0 && mag < NANO_PER_UNIT)
        format = PT_QUANTITY_DECIMAL_SI;
    out->nano = sc.negative ? -mag : mag;
    out->format = format;
    return 0;
}

int pt_quantity_cmp(const struct pt_quantity *a, const struct pt_quantity *b)
{
    return (a->nano > b->nano) - (a->nano < b->nano);
}

/* Appends the decimal digits of v to buf at *n; PT_ERANGE if they do not fit. */
static int put_u128(unsigned __int128 v, char *buf, size_t len, size_t *n)
{
    char tmp[40];
    size_t k = 0;
    do {
        tmp[k++] = (char)('0' + (int)(v % 10));
        v /= 10;
    } while (v);
    if (*n + k >= len)
        return PT_ERANGE;
    while (k)
        buf[(*n)++] = tmp[--k];
    buf[*n] = '\0';
    return 0;
}

static int put_str(const char *s, char *buf, size_t len, size_t *n)
{
    size_t k = strlen(s);
    if (*n + k >= len)
        return PT_ERANGE;
    memcpy(buf + *n, s, k + 1);
    *n += k;
    return 0;
}

int pt_quantity_format(const struct pt_quantity *q, char *buf, size_t len)
{
    static const char *const bin[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
    static const char *const dec[] = {"n", "u", "m", "", "k", "M", "G", "T", "P", "E"};
    enum pt_quantity_format format = q->format;
    unsigned __int128 mag;
    size_t n = 0;
    int exp = -9;
    int rc;

    if (!buf || len == 0)
        return PT_ERANGE;
    buf[0] = '\0';
    if (q->nano == 0)
        return put_str("0", buf, len, &n);
    mag = q->nano < 0 ? -(unsigned __int128)q->nano : (unsigned __int128)q->nano;
    if (q->nano < 0 && (rc = put_str("-", buf, len, &n)))
        return rc;

    /* Binary only for whole values of at least 1Ki, as Kubernetes: anything
     * else would lose precision or confuse, so it is shown as DecimalSI. */
    if (format == PT_QUANTITY_BINARY_SI) {
        if (mag < (unsigned __int128)(1024 * NANO_PER_UNIT) || mag % NANO_PER_UNIT)
            format = PT_QUANTITY_DECIMAL_SI;
    }
    if (format == PT_QUANTITY_BINARY_SI) {
        unsigned __int128 units = mag / NANO_PER_UNIT;
        size_t e = 0;
        while (units % 1024 == 0 && e + 1 < sizeof(bin) / sizeof(bin[0])) {
            units /= 1024;
            e++;
        }
        /* Not a multiple of 1Ki: Kubernetes prints the bare integer, which
         * reads back as DecimalSI ("832000" → "832k" on the next round trip).
         * Printing the DecimalSI form now makes the output a fixed point. */
        if (e > 0) {
            if ((rc = put_u128(units, buf, len, &n)))
                return rc;
            return put_str(bin[e], buf, len, &n);
        }
        format = PT_QUANTITY_DECIMAL_SI;
    }

    /* Mantissa without trailing zeros, exponent lowered to a multiple of 3. */
    while (mag % 10 == 0) {
        mag /= 10;
        exp++;
    }
    while (exp % 3 != 0) {
        mag *= 10;
        exp--;
    }
    if ((rc = put_u128(mag, buf, len, &n)))
        return rc;
    if (format == PT_QUANTITY_DECIMAL_SI && exp <= 18)
        return put_str(dec[(exp + 9) / 3], buf, len, &n);
    if (exp == 0)
        return 0;
    /* DecimalExponent, or DecimalSI beyond "E" (only for values built by hand). */
    {
        char e[16];
        snprintf(e, sizeof(e), "e%d", exp);
        return put_str(e, buf, len, &n);
    }
}

int pt_quantity_sub(const struct pt_quantity *a, const struct pt_quantity *b,
                    struct pt_quantity *out)
{
    __int128 r;
    if (!in_range(a->nano) || !in_range(b->nano))
        return PT_ERANGE;
    r = a->nano - b->nano;
    if (!in_range(r))
        return PT_ERANGE;
    out->nano = r;
    out->format = a->format;
    return 0;
}

int pt_quantity_add(const struct pt_quantity *a, const struct pt_quantity *b,
                    struct pt_quantity *out)
{
    __int128 r;
    if (!in_range(a->nano) || !in_range(b->nano))
        return PT_ERANGE;
    r = a->nano + b->nano;
    if (!in_range(r))
        return PT_ERANGE;
    out->nano = r;
    out->format = a->format;
    return 0;
}

/* ceil(num / den) for den > 0 (C division truncates toward zero). */
static __int128 ceil_div(__int128 num, __int128 den)
{
    __int128 r = num / den;
    if (num % den != 0 && num > 0)
        r++;
    return r;
}

int pt_quantity_div_ceil(const struct pt_quantity *q, const struct pt_quantity *ratio,
                         struct pt_quantity *out)
{
    __int128 step;
    __int128 r;
    if (ratio->nano <= 0)
        return PT_EINVAL;
    if (!in_range(q->nano) || !in_range(ratio->nano))
        return PT_ERANGE;
    step = q->nano % NANO_PER_UNIT == 0 ? NANO_PER_UNIT : NANO_PER_MILLI;
    /* q/ratio in nano is q.nano * 10^9 / ratio.nano; both products stay far
     * below 2^127 because every operand is within int64 whole units. */
    r = ceil_div(q->nano * NANO_PER_UNIT, ratio->nano * step) * step;
    if (!in_range(r))
        return PT_ERANGE;
    out->nano = r;
    out->format = q->format;
    return 0;
}

void pt_quantity_from_int(int64_t v, enum pt_quantity_format format, struct pt_quantity *out)
{
    out->nano = (__int128)v * NANO_PER_UNIT;
    out->format = format;
}

int pt_quantity_to_int(const struct pt_quantity *q, int64_t *out)
{
    __int128 v = q->nano / NANO_PER_UNIT;
    /* Away from zero, as Quantity.Value(). */
    if (q->nano % NANO_PER_UNIT)
        v += q->nano > 0 ? 1 : -1;
    if (v > INT64_MAX || v < INT64_MIN)
        return PT_ERANGE;
    *out = (int64_t)v;
    return 0;
}

int pt_jvm_size_parse(const char *s, int64_t *bytes, struct pt_error *err)
{
    char q[QUOTE_MAX + 8];
    uint64_t v = 0;
    uint64_t mult = 1;
    size_t i = 0;

    if (!s || !*s)
        return pt_error_set(err, PT_EINVAL, "invalid JVM size: empty string");
    quote(s, q, sizeof(q));
    if (!is_digit(s[0]))
        return pt_error_set(err, PT_EINVAL,
                            "invalid JVM size \"%s\": must start with a digit (e.g. 512m, 4g)", q);
    for (; is_digit(s[i]); i++) {
        uint64_t d = (uint64_t)(s[i] - '0');
        /* checked before multiplying: v * 10 could wrap past 2^64 */
        if (v > ((uint64_t)INT64_MAX - d) / 10)
            return pt_error_set(err, PT_ERANGE, "JVM size \"%s\" is out of range", q);
        v = v * 10 + d;
    }
    if (s[i]) {
        switch (s[i]) {
        case 'k':
        case 'K': mult = 1ULL << 10; break;
        case 'm':
        case 'M': mult = 1ULL << 20; break;
        case 'g':
        case 'G': mult = 1ULL << 30; break;
        case 't':
        case 'T': mult = 1ULL << 40; break;
        default:
            return pt_error_set(err, PT_EINVAL,
                                "invalid JVM size \"%s\": expected a whole number with an optional "
                                "k, m, g or t suffix",
                                q);
        }
        if (s[i + 1])
            return pt_error_set(err, PT_EINVAL,
                                "invalid JVM size \"%s\": unexpected text after the suffix", q);
    }
    if (v > (uint64_t)INT64_MAX / mult)
        return pt_error_set(err, PT_ERANGE, "JVM size \"%s\" is out of range", q);
    *bytes = (int64_t)(v * mult);
    return 0;
}

int pt_jvm_size_format(int64_t bytes, char *buf, size_t len)
{
    int n;
    if (!buf || len == 0 || bytes < 0)
        return PT_ERANGE;
    n = snprintf(buf, len, "%" PRId64 "m", bytes >> 20);
    if (n < 0 || (size_t)n >= len) {
        buf[0] = '\0';
        return PT_ERANGE;
    }
    return 0;
}
