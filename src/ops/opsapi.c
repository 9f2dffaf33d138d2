/*
 * opsapi.c: the operator endpoints (issue 17): GET /healthz (the process is
 * up), GET /readyz (stores open, vulnerability database loaded, not shutting
 * down; 503 with the failed checks otherwise) and GET /metrics (Prometheus
 * text format, see metrics.c).
 *
 * /metrics is read with the metrics-token (Authorization: Bearer TOKEN) or,
 * without it, through the auth rules as an admin action (dd_http_authorize).
 */
#include "dd/metrics.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>

struct dd_ops {
    dd_ops_opts_t o;
    char *token;
    atomic_bool shutting_down;
};

static int h_healthz(dd_req_t *req)
{
    dd_resp_header(req, "Cache-Control", "no-store");
    return dd_resp_text(req, 200, "ok\n");
}

static int h_readyz(dd_req_t *req)
{
    dd_ops_t *ops = req->ctx;
    bool stores = !ops->o.stores_ok || ops->o.stores_ok(ops->o.ctx);
    bool db = !ops->o.db_loaded || ops->o.db_loaded(ops->o.ctx);
    bool down = atomic_load(&ops->shutting_down);
    bool ready = stores && db && !down;
    dd_buf_t b;
    dd_buf_init(&b, 0);
    dd_buf_printf(&b, "{\"ready\":%s,\"checks\":{\"stores\":%s,\"database\":%s,\"shutting_down\":%s}}\n",
                  ready ? "true" : "false", stores ? "true" : "false", db ? "true" : "false",
                  down ? "true" : "false");
    dd_resp_header(req, "Cache-Control", "no-store");
    return dd_resp_json(req, ready ? 200 : 503, &b);
}

static bool token_ok(dd_ops_t *ops, dd_req_t *req)
{
    if (!ops->token) return false;
    const char *h = dd_req_header(req, "Authorization");
    if (!h || strncasecmp(h, "Bearer ", 7)) return false;
    const char *t = h + 7;
    size_t n = strlen(ops->token);
    return strlen(t) == n && dd_ct_equal(t, ops->token, n);
}

static int h_metrics(dd_req_t *req)
{
    dd_ops_t *ops = req->ctx;
    if (!token_ok(ops, req)) {
        int rc = dd_http_authorize(req, DD_ACT_ADMIN, NULL);
        if (rc != DD_OK) return rc;
    }
    dd_metrics_gauges_t g;
    memset(&g, 0xff, sizeof g); /* every gauge -1: unknown */
    g.n_sev = 0;
    if (ops->o.collect) ops->o.collect(ops->o.ctx, &g);
    dd_buf_t b;
    dd_buf_init(&b, 0);
    dd_metrics_render(&g, &b);
    dd_resp_header(req, "Cache-Control", "no-store");
    int rc = dd_resp_bytes(req, 200, "text/plain; version=0.0.4; charset=utf-8", b.ptr, b.len);
    dd_buf_release(&b);
    return rc;
}

static const dd_route_t routes[] = {
    {"GET", "/healthz", h_healthz, DD_ACT_NONE, 0},
    {"GET", "/metrics", h_metrics, DD_ACT_NONE, 0},
    {"GET", "/readyz", h_readyz, DD_ACT_NONE, 0},
};

dd_ops_t *dd_ops_register(dd_http_server_t *srv, const dd_ops_opts_t *o)
{
    dd_ops_t *ops = dd_calloc(1, sizeof *ops);
    ops->o = *o;
    ops->token = o->metrics_token && *o->metrics_token ? dd_strdup(o->metrics_token) : NULL;
    ops->o.metrics_token = ops->token;
    atomic_init(&ops->shutting_down, false);
    dd_http_register_routes(srv, routes, sizeof routes / sizeof routes[0], ops);
    return ops;
}

void dd_ops_set_shutting_down(dd_ops_t *ops)
{
    if (ops) atomic_store(&ops->shutting_down, true);
}

void dd_ops_free(dd_ops_t *ops)
{
    if (!ops) return;
    free(ops->token);
    free(ops);
}
