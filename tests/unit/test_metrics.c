/*
 * test_metrics.c: the metrics module (src/ops/metrics.c): route classes,
 * fixed counters, HTTP counters and histograms, and the text rendering.
 */
#include "dd/metrics.h"
#include "test.h"

#include <string.h>

static char *render(const dd_metrics_gauges_t *g, dd_buf_t *b)
{
    dd_buf_init(b, 0);
    dd_metrics_render(g, b);
    return b->ptr;
}

TEST(route_class)
{
    CHECK_STR(dd_metrics_route_class("/v2/"), "registry");
    CHECK_STR(dd_metrics_route_class("/v2"), "registry");
    CHECK_STR(dd_metrics_route_class("/v2x"), "ui");
    CHECK_STR(dd_metrics_route_class("/api/v1/images"), "api");
    CHECK_STR(dd_metrics_route_class("/auth/token"), "auth");
    CHECK_STR(dd_metrics_route_class("/metrics"), "ops");
    CHECK_STR(dd_metrics_route_class("/healthz"), "ops");
    CHECK_STR(dd_metrics_route_class("/"), "ui");
    CHECK_STR(dd_metrics_route_class(NULL), "ui");
}

TEST(counters)
{
    dd_metric_add(DD_M_GC_RUNS, 2);
    dd_metric_add(DD_M_GC_BYTES_RECLAIMED, 4096);
    dd_metric_add(DD_M_N_COUNTERS, 1); /* out of range: ignored */
    CHECK(dd_metric_get(DD_M_GC_RUNS) == 2);
    dd_buf_t b;
    char *t = render(NULL, &b);
    CHECK(strstr(t, "\ndrydock_gc_runs_total 2\n") != NULL);
    CHECK(strstr(t, "\ndrydock_gc_reclaimed_bytes_total 4096\n") != NULL);
    CHECK(strstr(t, "drydock_feed_updates_total{result=\"failed\"} 0\n") != NULL);
    /* one HELP/TYPE per family even when two counters share it */
    const char *h = strstr(t, "# TYPE drydock_feed_updates_total counter");
    CHECK(h && !strstr(h + 1, "# TYPE drydock_feed_updates_total"));
    /* no gauges without a collector */
    CHECK(!strstr(t, "drydock_storage_bytes"));
    dd_buf_release(&b);
}

TEST(http_and_histogram)
{
    dd_metrics_http_done("/v2/a/blobs/x", 201, 3000000, 100, 5);        /* 3 ms */
    dd_metrics_http_done("/v2/a/blobs/x", 201, 2000000000LL, 0, 7);     /* 2 s */
    dd_metrics_http_done("/api/v1/images", 404, 1000, 0, 0);
    dd_metrics_http_done("/v2/", 999, 1000, 0, 0); /* status out of range: latency only (1 us) */
    dd_metrics_scan_observe(400000000LL);
    dd_metrics_gauges_t g = {.storage_bytes = 123, .blobs = 4, .uploads_in_progress = -1, .scan_queue = 0,
                             .layers_analyzed = -1, .layers_reused = -1, .images_scanned = -1,
                             .images_failed = -1, .db_version = 7, .db_age_s = 60, .n_sev = 2,
                             .sev_names = {"low", "critical"}, .findings = {5, 1}, .healthy = 2, .unhealthy = 1,
                             .not_assessed = 0};
    dd_buf_t b;
    char *t = render(&g, &b);
    CHECK(strstr(t, "drydock_http_requests_total{class=\"registry\",status=\"201\"} 2\n") != NULL);
    CHECK(strstr(t, "drydock_http_requests_total{class=\"api\",status=\"404\"} 1\n") != NULL);
    CHECK(strstr(t, "drydock_http_request_duration_seconds_bucket{class=\"registry\",le=\"0.005\"} 2\n") != NULL);
    CHECK(strstr(t, "drydock_http_request_duration_seconds_bucket{class=\"registry\",le=\"1\"} 2\n") != NULL);
    CHECK(strstr(t, "drydock_http_request_duration_seconds_bucket{class=\"registry\",le=\"2.5\"} 3\n") != NULL);
    CHECK(strstr(t, "drydock_http_request_duration_seconds_bucket{class=\"registry\",le=\"+Inf\"} 3\n") != NULL);
    CHECK(strstr(t, "drydock_http_request_duration_seconds_count{class=\"registry\"} 3\n") != NULL);
    CHECK(strstr(t, "drydock_http_received_bytes_total{class=\"registry\"} 100\n") != NULL);
    CHECK(strstr(t, "drydock_http_sent_bytes_total{class=\"registry\"} 12\n") != NULL);
    CHECK(strstr(t, "drydock_scan_duration_seconds_bucket{le=\"0.5\"} 1\n") != NULL);
    CHECK(strstr(t, "drydock_scan_duration_seconds_bucket{le=\"0.25\"} 0\n") != NULL);
    CHECK(strstr(t, "\ndrydock_storage_bytes 123\n") != NULL);
    CHECK(strstr(t, "\ndrydock_scan_queue_depth 0\n") != NULL);
    CHECK(strstr(t, "\ndrydock_vulndb_age_seconds 60\n") != NULL);
    CHECK(!strstr(t, "drydock_uploads_in_progress"));
    CHECK(strstr(t, "drydock_findings{severity=\"critical\"} 1\n") != NULL);
    CHECK(strstr(t, "drydock_images{health=\"unhealthy\"} 1\n") != NULL);
    CHECK(strstr(t, "drydock_images{health=\"not_assessed\"} 0\n") != NULL);
    dd_buf_release(&b);
}

TEST_MAIN(RUN(route_class); RUN(counters); RUN(http_and_histogram))
