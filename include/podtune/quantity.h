/* quantity.h — Kubernetes resource quantities ("500m", "1.5Gi", "1e3") and JVM memory
 * sizes ("512m", "4g"): parse, compare, do exact arithmetic, format canonically. */
#ifndef PODTUNE_QUANTITY_H
#define PODTUNE_QUANTITY_H

#include <stddef.h>
#include <stdint.h>

#include "podtune/error.h"

/* The suffix family a quantity was written in; canonical output keeps it,
 * as Kubernetes' resource.Quantity does. */
enum pt_quantity_format {
    PT_QUANTITY_DECIMAL_SI,       /* n u m "" k M G T P E */
    PT_QUANTITY_BINARY_SI,        /* Ki Mi Gi Ti Pi Ei */
    PT_QUANTITY_DECIMAL_EXPONENT, /* 1e3, 2E-3 */
};

/* A quantity as an exact count of nano-units (value * 10^9). Values Kubernetes
 * cannot represent below 1n are rounded up, as the apiserver does. Plain value. */
struct pt_quantity {
    __int128 nano;
    enum pt_quantity_format format;
};

/* Large enough for any canonical quantity string. */
#define PT_QUANTITY_BUFSZ 64

/* Parses s (the whole string; no surrounding space) as Kubernetes does.
 * Returns 0, PT_EINVAL (with a message saying what is wrong) or PT_ERANGE. */
int pt_quantity_parse(const char *s, struct pt_quantity *out, struct pt_error *err);

/* <0, 0, >0 as a is less than, equal to or greater than b (by value). */
int pt_quantity_cmp(const struct pt_quantity *a, const struct pt_quantity *b);

/* Writes the canonical form the apiserver would store ("1.5Gi" → "1536Mi",
 * "0.5" → "500m", "2.0" → "2"). Returns 0, or PT_ERANGE if buf is too small. */
int pt_quantity_format(const struct pt_quantity *q, char *buf, size_t len);

/* out = a - b, in a's format. PT_ERANGE on overflow. */
int pt_quantity_sub(const struct pt_quantity *a, const struct pt_quantity *b,
                    struct pt_quantity *out);

/* out = a + b, in a's format. PT_ERANGE on overflow. */
int pt_quantity_add(const struct pt_quantity *a, const struct pt_quantity *b,
                    struct pt_quantity *out);

/* out = q / ratio rounded up to the precision q is written in (whole units when
 * q is whole, else milli-units), in q's format. Used for maxLimitRequestRatio:
 * the result never makes limit/request exceed ratio. PT_EINVAL if ratio <= 0. */
int pt_quantity_div_ceil(const struct pt_quantity *q, const struct pt_quantity *ratio,
                         struct pt_quantity *out);

/* A quantity of v whole units in the given format. */
void pt_quantity_from_int(int64_t v, enum pt_quantity_format format, struct pt_quantity *out);

/* The value in whole units, rounded up (as Kubernetes' Value()). PT_ERANGE if
 * it does not fit in int64. */
int pt_quantity_to_int(const struct pt_quantity *q, int64_t *out);

/* Parses a JVM / Spark memory size as -Xmx and SPARK_EXECUTOR_MEMORY take it:
 * digits with an optional case-insensitive suffix k, m, g, t (binary units:
 * 1k = 1024); no suffix means bytes. Returns 0 or PT_EINVAL / PT_ERANGE. */
int pt_jvm_size_parse(const char *s, int64_t *bytes, struct pt_error *err);

/* Writes bytes as a JVM size in whole MiB rounded down ("3584m"), the form
 * Spark itself writes SPARK_EXECUTOR_MEMORY in. Returns 0 or PT_ERANGE. */
int pt_jvm_size_format(int64_t bytes, char *buf, size_t len);

#endif
