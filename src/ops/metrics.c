/*
 * metrics.c: the process-wide Prometheus metrics (see dd/metrics.h): fixed
 * counters, HTTP request counters and latency histograms per route class,
 * the scan duration histogram, and the text-format renderer.
 *
 * Everything on the request path is a relaxed atomic add into static arrays:
 * no lock, no allocation. Status codes are counted in a [class][100..599]
 * array and only the non-zero cells are rendered.
 */
#include "dd/metrics.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

/* The fixed counters (same order as dd_metric_t). Fields: metric name,
 * label set ("" for none), help text. */
static const struct {
    const char *name;
    const char *labels;
    const char *help;
} counters[DD_M_N_COUNTERS] = {
    {"drydock_gc_runs_total", "", "garbage collection runs"},
    {"drydock_gc_reclaimed_bytes_total", "", "bytes reclaimed by garbage collection"},
    {"drydock_gc_reclaimed_blobs_total", "", "blobs reclaimed by garbage collection"},
    {"drydock_webhook_deliveries_total", "", "webhook deliveries attempted"},
    {"drydock_webhook_failures_total", "", "webhook delivery attempts that failed"},
    {"drydock_feed_updates_total", "result=\"ok\"", "vulnerability feed updates by result"},
    {"drydock_feed_updates_total", "result=\"failed\"", "vulnerability feed updates by result"},
};

static _Atomic uint64_t counter_vals[DD_M_N_COUNTERS];

/* Route classes (dd_metrics_route_class). */
enum { RC_REGISTRY, RC_API, RC_AUTH, RC_OPS, RC_UI, RC_N };
static const char *const rc_names[RC_N] = {"registry", "api", "auth", "ops", "ui"};

/* Histogram bucket upper bounds, seconds. */
static const double http_bounds[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
#define N_HTTP_B (sizeof http_bounds / sizeof http_bounds[0])
static const double scan_bounds[] = {0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300};
#define N_SCAN_B (sizeof scan_bounds / sizeof scan_bounds[0])

typedef struct {
    _Atomic uint64_t b[N_HTTP_B + 1]; /* last: beyond every bound (+Inf only) */
    _Atomic uint64_t count;
    _Atomic uint64_t sum_us;
} hist_t;

static _Atomic uint64_t http_status[RC_N][500]; /* status 100..599 */
static hist_t http_lat[RC_N];
static _Atomic uint64_t http_in[RC_N], http_out[RC_N];
static hist_t scan_lat;

void dd_metric_add(dd_metric_t m, uint64_t n)
{
    if ((unsigned)m < DD_M_N_COUNTERS) atomic_fetch_add_explicit(&counter_vals[m], n, memory_order_relaxed);
}

uint64_t dd_metric_get(dd_metric_t m)
{
    return (unsigned)m < DD_M_N_COUNTERS ? atomic_load_explicit(&counter_vals[m], memory_order_relaxed) : 0;
}

static bool has_prefix(const char *p, const char *pre)
{
    size_t n = strlen(pre);
    return !strncmp(p, pre, n) && (p[n] == '\0' || p[n] == '/' || p[n] == '?');
}

static int route_class(const char *path)
{
    if (!path) return RC_UI;
    if (has_prefix(path, "/v2")) return RC_REGISTRY;
    if (has_prefix(path, "/api")) return RC_API;
    if (has_prefix(path, "/auth")) return RC_AUTH;
    if (has_prefix(path, "/metrics") || has_prefix(path, "/healthz") || has_prefix(path, "/readyz"))
        return RC_OPS;
    return RC_UI;
}

const char *dd_metrics_route_class(const char *path)
{
    return rc_names[route_class(path)];
}

static void hist_observe(hist_t *h, const double *bounds, size_t nb, int64_t ns)
{
    double s = (double)ns / 1e9;
    size_t i = 0;
    while (i < nb && s > bounds[i]) i++;
    atomic_fetch_add_explicit(&h->b[i], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->sum_us, ns > 0 ? (uint64_t)(ns / 1000) : 0, memory_order_relaxed);
}

void dd_metrics_http_done(const char *path, int status, int64_t ns, uint64_t in, uint64_t out)
{
    int c = route_class(path);
    if (status >= 100 && status <= 599)
        atomic_fetch_add_explicit(&http_status[c][status - 100], 1, memory_order_relaxed);
    hist_observe(&http_lat[c], http_bounds, N_HTTP_B, ns);
    atomic_fetch_add_explicit(&http_in[c], in, memory_order_relaxed);
    atomic_fetch_add_explicit(&http_out[c], out, memory_order_relaxed);
}

void dd_metrics_scan_observe(int64_t ns)
{
    hist_observe(&scan_lat, scan_bounds, N_SCAN_B, ns);
}

/* ---- rendering ----------------------------------------------------------- */
static void head(dd_buf_t *o, const char *name, const char *type, const char *help)
{
    dd_buf_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void hist_render(dd_buf_t *o, const char *name, const char *label, hist_t *h, const double *bounds,
                        size_t nb)
{
    uint64_t cum = 0;
    const char *sep = *label ? "," : "";
    for (size_t i = 0; i <= nb; i++) {
        cum += atomic_load_explicit(&h->b[i], memory_order_relaxed);
        if (i < nb)
            dd_buf_printf(o, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, label, sep, bounds[i], (unsigned long long)cum);
        else
            dd_buf_printf(o, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, label, sep, (unsigned long long)cum);
    }
    /* count = the +Inf bucket, so a scrape racing an observation stays consistent */
    dd_buf_printf(o, "%s_sum%s%s%s %.6f\n", name, *label ? "{" : "", label, *label ? "}" : "",
                  (double)atomic_load_explicit(&h->sum_us, memory_order_relaxed) / 1e6);
    dd_buf_printf(o, "%s_count%s%s%s %llu\n", name, *label ? "{" : "", label, *label ? "}" : "",
                  (unsigned long long)cum);
}

static void gauge(dd_buf_t *o, const char *name, const char *type, const char *help, int64_t v)
{
    if (v < 0) return;
    head(o, name, type, help);
    dd_buf_printf(o, "%s %lld\n", name, (long long)v);
}

void dd_metrics_render(const dd_metrics_gauges_t *g, dd_buf_t *o)
{
    head(o, "drydock_http_requests_total", "counter", "HTTP requests by route class and status");
    for (int c = 0; c < RC_N; c++)
        for (int s = 0; s < 500; s++) {
            uint64_t v = atomic_load_explicit(&http_status[c][s], memory_order_relaxed);
            if (v)
                dd_buf_printf(o, "drydock_http_requests_total{class=\"%s\",status=\"%d\"} %llu\n", rc_names[c],
                              s + 100, (unsigned long long)v);
        }
    head(o, "drydock_http_request_duration_seconds", "histogram", "HTTP request latency by route class");
    for (int c = 0; c < RC_N; c++) {
        char label[32];
        snprintf(label, sizeof label, "class=\"%s\"", rc_names[c]);
        hist_render(o, "drydock_http_request_duration_seconds", label, &http_lat[c], http_bounds, N_HTTP_B);
    }
    head(o, "drydock_http_received_bytes_total", "counter", "request body bytes received by route class");
    for (int c = 0; c < RC_N; c++)
        dd_buf_printf(o, "drydock_http_received_bytes_total{class=\"%s\"} %llu\n", rc_names[c],
                      (unsigned long long)atomic_load_explicit(&http_in[c], memory_order_relaxed));
    head(o, "drydock_http_sent_bytes_total", "counter", "response body bytes sent by route class");
    for (int c = 0; c < RC_N; c++)
        dd_buf_printf(o, "drydock_http_sent_bytes_total{class=\"%s\"} %llu\n", rc_names[c],
                      (unsigned long long)atomic_load_explicit(&http_out[c], memory_order_relaxed));
    head(o, "drydock_scan_duration_seconds", "histogram", "image scan duration");
    hist_render(o, "drydock_scan_duration_seconds", "", &scan_lat, scan_bounds, N_SCAN_B);
    for (int i = 0; i < DD_M_N_COUNTERS; i++) {
        if (i == 0 || strcmp(counters[i].name, counters[i - 1].name))
            head(o, counters[i].name, "counter", counters[i].help);
        const char *l = counters[i].labels;
        dd_buf_printf(o, "%s%s%s%s %llu\n", counters[i].name, *l ? "{" : "", l, *l ? "}" : "",
                      (unsigned long long)atomic_load_explicit(&counter_vals[i], memory_order_relaxed));
    }
    if (!g) return;
    gauge(o, "drydock_storage_bytes", "gauge", "bytes of stored blobs", g->storage_bytes);
    gauge(o, "drydock_storage_blobs", "gauge", "stored blobs", g->blobs);
    gauge(o, "drydock_uploads_in_progress", "gauge", "blob uploads in progress", g->uploads_in_progress);
    gauge(o, "drydock_scan_queue_depth", "gauge", "scan jobs queued or running", g->scan_queue);
    gauge(o, "drydock_layers_analyzed_total", "counter", "layers analyzed", g->layers_analyzed);
    gauge(o, "drydock_layers_reused_total", "counter", "layer results reused from the cache", g->layers_reused);
    gauge(o, "drydock_images_scanned_total", "counter", "images scanned", g->images_scanned);
    gauge(o, "drydock_images_scan_failed_total", "counter", "image scans that failed", g->images_failed);
    gauge(o, "drydock_vulndb_version", "gauge", "vulnerability database version in use (0 = none)", g->db_version);
    gauge(o, "drydock_vulndb_age_seconds", "gauge", "age of the vulnerability data", g->db_age_s);
    if (g->n_sev > 0 && g->n_sev <= 8) {
        head(o, "drydock_findings", "gauge", "findings of the stored images by severity");
        for (size_t i = 0; i < g->n_sev; i++)
            dd_buf_printf(o, "drydock_findings{severity=\"%s\"} %lld\n", g->sev_names[i], (long long)g->findings[i]);
    }
    if (g->healthy >= 0) {
        head(o, "drydock_images", "gauge", "stored images by health verdict");
        dd_buf_printf(o, "drydock_images{health=\"healthy\"} %lld\n", (long long)g->healthy);
        dd_buf_printf(o, "drydock_images{health=\"unhealthy\"} %lld\n", (long long)g->unhealthy);
        dd_buf_printf(o, "drydock_images{health=\"not_assessed\"} %lld\n", (long long)g->not_assessed);
    }
}
