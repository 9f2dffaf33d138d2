/*
 * metrics.h: process-wide Prometheus metrics (src/ops/metrics.c) and the
 * operator endpoints /metrics, /healthz and /readyz (src/ops/opsapi.c).
 *
 * Counters are fixed (an enum, one atomic each): any subsystem bumps one with
 * dd_metric_add(DD_M_GC_RUNS, 1) with no lock and no allocation. HTTP
 * requests are counted by the server when each request completes
 * (dd_metrics_http_done). Gauges that other subsystems own (storage, scan
 * queue, database age) are read at scrape time through the collector that
 * `drydock serve` installs (dd_ops_opts_t.collect).
 */
#ifndef DD_METRICS_H
#define DD_METRICS_H

#include "dd/core.h"
#include "dd/http.h"

/* Fixed counters. Names and help texts: the table in metrics.c (same order). */
typedef enum {
    DD_M_GC_RUNS = 0,            /* drydock_gc_runs_total */
    DD_M_GC_BYTES_RECLAIMED,     /* drydock_gc_reclaimed_bytes_total */
    DD_M_GC_BLOBS_RECLAIMED,     /* drydock_gc_reclaimed_blobs_total */
    DD_M_WEBHOOK_DELIVERIES,     /* drydock_webhook_deliveries_total */
    DD_M_WEBHOOK_FAILURES,       /* drydock_webhook_failures_total */
    DD_M_FEED_UPDATES_OK,        /* drydock_feed_updates_total{result="ok"} */
    DD_M_FEED_UPDATES_FAILED,    /* drydock_feed_updates_total{result="failed"} */
    DD_M_N_COUNTERS
} dd_metric_t;

void dd_metric_add(dd_metric_t m, uint64_t n);
uint64_t dd_metric_get(dd_metric_t m);

/* Scan duration histogram (seconds), observed by the scanner. */
void dd_metrics_scan_observe(int64_t ns);

/* Called by the HTTP server once per completed request: path (for the route
 * class), status, duration, bytes in and out. Lock-free, no allocation. */
void dd_metrics_http_done(const char *path, int status, int64_t ns, uint64_t in, uint64_t out);
/* The route class of a path: "registry", "api", "auth", "ops" or "ui". */
const char *dd_metrics_route_class(const char *path);

/* Gauges read at scrape time; -1 = unknown (the sample is left out). */
typedef struct dd_metrics_gauges {
    int64_t storage_bytes, blobs;
    int64_t uploads_in_progress;
    int64_t scan_queue;
    int64_t layers_analyzed, layers_reused, images_scanned, images_failed;
    int64_t db_version, db_age_s;
    /* findings by severity of the stored images: n_sev pairs (0 = left out) */
    size_t n_sev;
    const char *sev_names[8]; /* label values, static strings ("critical") */
    int64_t findings[8];
    /* images by health verdict (-1 = left out) */
    int64_t healthy, unhealthy, not_assessed;
} dd_metrics_gauges_t;

/* Renders every metric in the Prometheus text format (version 0.0.4). */
void dd_metrics_render(const dd_metrics_gauges_t *g, dd_buf_t *out);

/* ---- the endpoints (opsapi.c) ---- */
typedef struct dd_ops dd_ops_t;
typedef struct dd_ops_opts {
    const char *metrics_token;   /* bearer token that may read /metrics ("" or NULL: none) */
    /* fills the gauges at scrape time; may be NULL */
    void (*collect)(void *ctx, dd_metrics_gauges_t *g);
    /* readiness checks; NULL = true */
    bool (*stores_ok)(void *ctx);
    bool (*db_loaded)(void *ctx);
    void *ctx;
} dd_ops_opts_t;

/* Registers GET /healthz, /readyz (public) and /metrics (metrics-token, or
 * the auth rules: the admin action). */
dd_ops_t *dd_ops_register(dd_http_server_t *srv, const dd_ops_opts_t *o);
/* /readyz answers 503 from now on. */
void dd_ops_set_shutting_down(dd_ops_t *ops);
void dd_ops_free(dd_ops_t *ops);

#endif
