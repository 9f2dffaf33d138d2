/*
 * web.c: serves the web console (issue 16) from the assets compiled into
 * the binary: the page at `/` (also `/ui`, `/ui/`) and its scripts and
 * styles at `/ui/<build>/<file>`.
 *
 * Caching by content hash: <build> is a hash over every asset's name and
 * content hash, so a URL never changes meaning and assets are sent with
 * `Cache-Control: public, max-age=31536000, immutable`; the page itself is
 * `no-cache` (revalidated with its ETag) and carries the current <build>.
 * A request for another build's URL (a tab open across an upgrade) still
 * gets today's file, but `no-cache`.
 *
 * Every response carries a strict Content-Security-Policy: scripts and
 * styles only from this origin (no inline script, no inline style, no
 * eval), no frames of this page anywhere, no plugins, connections only to
 * this origin. The assets are public (they hold no data), so these routes
 * do not go through the auth hook; the data comes from the API, which does.
 */
#include "dd/web.h"
#include "web/web_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char CSP[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

struct dd_web {
    dd_web_opts_t o;
    char *index;      /* index.html with the build id filled in */
    size_t index_len;
    char index_etag[40];
};
typedef struct dd_web web_t;

const char *dd_web_build_id(void)
{
    return dd_web_build;
}

static const dd_web_asset_t *find_asset(const char *path)
{
    size_t lo = 0, hi = dd_web_n_assets;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(path, dd_web_assets[mid].path);
        if (c == 0) return &dd_web_assets[mid];
        if (c < 0) hi = mid;
        else lo = mid + 1;
    }
    return NULL;
}

void dd_web_security_headers(dd_req_t *req)
{
    dd_resp_header(req, "Content-Security-Policy", CSP);
    dd_resp_header(req, "X-Content-Type-Options", "nosniff");
    dd_resp_header(req, "X-Frame-Options", "DENY");
    dd_resp_header(req, "Referrer-Policy", "no-referrer");
    dd_resp_header(req, "Cross-Origin-Opener-Policy", "same-origin");
    dd_resp_header(req, "Cross-Origin-Resource-Policy", "same-origin");
}

/* True when If-None-Match names etag (a list, or "*"). */
static bool not_modified(dd_req_t *req, const char *etag)
{
    const char *inm = dd_req_header(req, "If-None-Match");
    if (!inm) return false;
    return strstr(inm, etag) != NULL || !strcmp(inm, "*");
}

static void common(dd_req_t *req, const web_t *w)
{
    dd_web_security_headers(req);
    if (w->o.tls) dd_resp_header(req, "Strict-Transport-Security", "max-age=31536000");
}

static int h_index(dd_req_t *req)
{
    const web_t *w = req->ctx;
    common(req, w);
    dd_resp_header(req, "Cache-Control", "no-cache");
    dd_resp_header(req, "ETag", w->index_etag);
    if (not_modified(req, w->index_etag)) return dd_resp_empty(req, 304);
    return dd_resp_bytes(req, 200, "text/html; charset=utf-8", w->index, w->index_len);
}

static int h_asset(dd_req_t *req)
{
    const web_t *w = req->ctx;
    const char *build = dd_req_var(req, "build");
    const dd_web_asset_t *a = req->name ? find_asset(req->name) : NULL;
    common(req, w);
    if (!a || !strcmp(a->path, "index.html")) return dd_resp_error(req, 404, "NOT_FOUND", "no such file");
    char etag[24];
    snprintf(etag, sizeof etag, "\"%s\"", a->hash);
    dd_resp_header(req, "ETag", etag);
    if (build && !strcmp(build, dd_web_build))
        dd_resp_header(req, "Cache-Control", "public, max-age=31536000, immutable");
    else
        dd_resp_header(req, "Cache-Control", "no-cache");
    if (not_modified(req, etag)) return dd_resp_empty(req, 304);
    return dd_resp_bytes(req, 200, a->type, a->data, a->len);
}

static const dd_route_t routes[] = {
    {"GET", "/", h_index, DD_ACT_NONE, 0},
    {"GET", "/ui", h_index, DD_ACT_NONE, 0},
    {"GET", "/ui/", h_index, DD_ACT_NONE, 0},
    {"GET", "/ui/{build}/{name}", h_asset, DD_ACT_NONE, 0},
};

/* index.html with every "{{BUILD}}" replaced by the build id. */
static void build_index(web_t *w)
{
    const dd_web_asset_t *a = find_asset("index.html");
    const char *src = a ? (const char *)a->data : "<!doctype html><title>Drydock</title><p>console missing</p>";
    dd_buf_t b;
    dd_buf_init(&b, 4096);
    const char *p = src, *q;
    while ((q = strstr(p, "{{BUILD}}"))) {
        dd_buf_append(&b, p, (size_t)(q - p));
        dd_buf_puts(&b, dd_web_build);
        p = q + 9;
    }
    dd_buf_puts(&b, p);
    w->index = dd_buf_detach(&b, &w->index_len);
    snprintf(w->index_etag, sizeof w->index_etag, "\"%s\"", dd_web_build);
}

dd_web_t *dd_web_register(dd_http_server_t *srv, const dd_web_opts_t *o)
{
    web_t *w = dd_calloc(1, sizeof *w);
    if (o) w->o = *o;
    build_index(w);
    dd_http_register_routes(srv, routes, sizeof routes / sizeof routes[0], w);
    return w;
}

void dd_web_free(dd_web_t *w)
{
    if (!w) return;
    free(w->index);
    free(w);
}
