/* metrics.h — process-wide counters and histograms, rendered in Prometheus text
 * format 0.0.4. Updates are lock-free (atomics) and safe from any thread. */
#ifndef PODTUNE_METRICS_H
#define PODTUNE_METRICS_H

#include <stddef.h>
#include <stdint.h>

/* Resets every metric and records the start time. Call once before threads start. */
void pt_metrics_init(const char *version);

/* One admission answered: podtune_admission_requests_total{role,profile,result}
 * (+1) and podtune_admission_duration_seconds (histogram). profile may be
 * NULL or "" (rendered as profile=""). Strings are copied when first seen. */
void pt_metrics_admission(const char *role, const char *profile, const char *result,
                          double seconds);

/* podtune_patch_operations_total{field} += n. */
void pt_metrics_patch_ops(const char *field, uint64_t n);

/* A policy reload attempt: podtune_policy_reloads_total{result="success"|"error"};
 * on success also podtune_policy_profiles and
 * podtune_policy_last_reload_success_timestamp_seconds (now). */
void pt_metrics_policy_reload(int ok, size_t profiles);

/* A certificate reload attempt, podtune_tls_reloads_total{result}; on success
 * podtune_tls_certificate_expiry_timestamp_seconds = not_after. */
void pt_metrics_tls_reload(int ok, int64_t not_after);

/* An HTTP request refused before admission: podtune_http_errors_total{code}. */
void pt_metrics_http_error(int status);

/* Renders every metric, plus process_resident_memory_bytes,
 * process_cpu_seconds_total, process_open_fds, process_start_time_seconds
 * (read from /proc) and podtune_build_info{version}. Returns a new
 * NUL-terminated buffer (caller frees) and its length in *len, or NULL. */
char *pt_metrics_render(size_t *len);

#endif
