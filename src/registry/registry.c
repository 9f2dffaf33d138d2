/*
 * registry.c: the OCI Distribution v1.1 registry object: its route table,
 * the base endpoint, tags list and catalog (with n/last pagination and Link
 * headers), event hooks, and the janitor thread that expires stale upload
 * sessions.
 *
 * Blob and upload handlers live in blobs.c, manifest and referrers handlers
 * in manifests.c.
 */
#include "dd/auth.h"
#include "registry_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int h_base(dd_req_t *req);
static int h_catalog(dd_req_t *req);
static int h_tags(dd_req_t *req);

#define R DD_ROUTE_REPO_NAME

/* The /v2/ route table. Order matters only where patterns overlap (first
 * match wins); these don't. GET routes also answer HEAD.
 *   method, pattern, handler, action (auth hook), flags */
static const dd_route_t routes[] = {
    {"GET", "/v2/", h_base, DD_ACT_AUTHENTICATED, 0},
    {"GET", "/v2/_catalog", h_catalog, DD_ACT_CATALOG, 0},
    {"GET", "/v2/{name}/blobs/{digest}", reg_blob_get, DD_ACT_PULL, R},
    {"DELETE", "/v2/{name}/blobs/{digest}", reg_blob_delete, DD_ACT_DELETE, R},
    {"POST", "/v2/{name}/blobs/uploads/", reg_upload_start, DD_ACT_PUSH, R},
    {"POST", "/v2/{name}/blobs/uploads", reg_upload_start, DD_ACT_PUSH, R},
    {"GET", "/v2/{name}/blobs/uploads/{uuid}", reg_upload_status, DD_ACT_PUSH, R},
    {"PATCH", "/v2/{name}/blobs/uploads/{uuid}", reg_upload_patch, DD_ACT_PUSH, R},
    {"PUT", "/v2/{name}/blobs/uploads/{uuid}", reg_upload_put, DD_ACT_PUSH, R},
    {"DELETE", "/v2/{name}/blobs/uploads/{uuid}", reg_upload_cancel, DD_ACT_PUSH, R},
    {"GET", "/v2/{name}/manifests/{reference}", reg_manifest_get, DD_ACT_PULL, R},
    {"PUT", "/v2/{name}/manifests/{reference}", reg_manifest_put, DD_ACT_PUSH, R},
    {"DELETE", "/v2/{name}/manifests/{reference}", reg_manifest_delete, DD_ACT_DELETE, R},
    {"GET", "/v2/{name}/referrers/{digest}", reg_referrers, DD_ACT_PULL, R},
    {"GET", "/v2/{name}/tags/list", h_tags, DD_ACT_PULL, R},
};

int dd_registry_new(const dd_registry_opts_t *opts, dd_registry_t **out, dd_err_t *e)
{
    if (!opts->blobs || !opts->meta) return dd_err(e, DD_EINVAL, "registry needs a blob store and a metadata store");
    int vrc = reg_immutable_validate(opts->immutable_tags, e);
    if (vrc != DD_OK) return vrc;
    dd_registry_t *r = dd_calloc(1, sizeof *r);
    r->o = *opts;
    if (!r->o.manifest_max) r->o.manifest_max = 4u << 20;
    if (!r->o.upload_max_age_ms) r->o.upload_max_age_ms = 24LL * 3600 * 1000;
    if (!r->o.janitor_interval_ms) r->o.janitor_interval_ms = 5LL * 60 * 1000;
    if (!r->o.list_max) r->o.list_max = 10000;
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    *out = r;
    return DD_OK;
}

void dd_registry_free(dd_registry_t *r)
{
    if (!r) return;
    if (r->janitor_running) {
        pthread_mutex_lock(&r->mu);
        r->stopping = true;
        pthread_cond_broadcast(&r->cv);
        pthread_mutex_unlock(&r->mu);
        pthread_join(r->janitor, NULL);
    }
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
    free(r);
}

void dd_registry_set_hooks(dd_registry_t *r, const dd_registry_hooks_t *h)
{
    if (h)
        r->hooks = *h;
    else
        memset(&r->hooks, 0, sizeof r->hooks);
}

void dd_registry_register(dd_registry_t *r, dd_http_server_t *srv)
{
    dd_http_register_routes(srv, routes, sizeof routes / sizeof routes[0], r);
    dd_http_set_error_fn(srv, "/v2/", dd_registry_http_error);
    dd_http_set_error_fn(srv, "/v2", dd_registry_http_error);
}

bool reg_parse_digest(dd_req_t *req, const char *s, dd_digest_t *out)
{
    dd_err_t e;
    if (!s || dd_digest_parse(s, out, &e) != DD_OK) {
        dd_registry_error(req, DD_REGERR_DIGEST_INVALID, s ? e.msg : "missing digest");
        return false;
    }
    return true;
}

int reg_not_found(dd_req_t *req, dd_regerr_t err)
{
    dd_registry_t *r = req->ctx;
    if (dd_meta_repo_exists(r->o.meta, req->name) == DD_ENOTFOUND)
        return dd_registry_error(req, DD_REGERR_NAME_UNKNOWN, NULL);
    return dd_registry_error(req, err, NULL);
}

/* ---- janitor -------------------------------------------------------------*/

typedef struct {
    char (*uuids)[64];
    size_t n, cap;
} stale_t;

static int stale_cb(const dd_upload_rec_t *u, void *arg)
{
    stale_t *st = arg;
    if (st->n == st->cap) {
        st->cap = st->cap ? st->cap * 2 : 64;
        st->uuids = dd_realloc(st->uuids, st->cap * sizeof *st->uuids);
    }
    snprintf(st->uuids[st->n++], 64, "%s", u->uuid);
    return st->n >= 100000; /* one pass handles at most this many */
}

int dd_registry_expire_uploads(dd_registry_t *r, size_t *n_expired)
{
    size_t n = 0;
    int64_t before = dd_now_ms() - r->o.upload_max_age_ms;
    /* collect first, then drop: no store calls while the listing runs */
    stale_t st = {NULL, 0, 0};
    int rc = dd_meta_uploads_stale(r->o.meta, before, stale_cb, &st);
    for (size_t i = 0; i < st.n; i++) {
        dd_blobstore_upload_abort(r->o.blobs, st.uuids[i]);
        dd_meta_upload_delete(r->o.meta, st.uuids[i]);
    }
    free(st.uuids);
    int rc2 = dd_blobstore_upload_expire(r->o.blobs, r->o.upload_max_age_ms, &n);
    if (n_expired) *n_expired = n > st.n ? n : st.n;
    return rc ? rc : rc2;
}

static void *janitor_main(void *arg)
{
    dd_registry_t *r = arg;
    pthread_mutex_lock(&r->mu);
    while (!r->stopping) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t ns = (int64_t)ts.tv_nsec + (r->o.janitor_interval_ms % 1000) * 1000000LL;
        ts.tv_sec += (time_t)(r->o.janitor_interval_ms / 1000) + (time_t)(ns / 1000000000LL);
        ts.tv_nsec = (long)(ns % 1000000000LL);
        int rc = 0;
        while (!r->stopping && rc != ETIMEDOUT) rc = pthread_cond_timedwait(&r->cv, &r->mu, &ts);
        if (r->stopping) break;
        pthread_mutex_unlock(&r->mu);
        size_t n = 0;
        int erc = dd_registry_expire_uploads(r, &n);
        if (erc)
            dd_log(DD_LOG_WARN, "janitor", "upload expiry failed: %s", dd_rc_name(erc));
        else if (n)
            dd_log(DD_LOG_INFO, "janitor", "expired %zu stale upload sessions", n);
        pthread_mutex_lock(&r->mu);
    }
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

int dd_registry_start_janitor(dd_registry_t *r, dd_err_t *e)
{
    if (r->janitor_running) return DD_OK;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setstacksize(&at, 256 * 1024);
    int rc = pthread_create(&r->janitor, &at, janitor_main, r);
    pthread_attr_destroy(&at);
    if (rc) return dd_err_errno(e, DD_EIO, rc, "cannot start the janitor thread");
    r->janitor_running = true;
    return DD_OK;
}

/* ---- GET /v2/ ------------------------------------------------------------*/

static int h_base(dd_req_t *req)
{
    dd_resp_header(req, "Docker-Distribution-API-Version", "registry/2.0");
    return dd_resp_bytes(req, 200, "application/json", "{}", 2);
}

/* ---- lists: tags and catalog ---------------------------------------------*/

typedef struct {
    dd_arena_t *a;
    const char **items;
    size_t n, cap;
} list_t;

static int list_add(const char *s, void *arg)
{
    list_t *l = arg;
    if (l->n == l->cap) return 1;
    l->items[l->n++] = dd_arena_strdup(l->a, s);
    return 0;
}

/* Reads n (and last) from the query. Returns false after answering 400. */
static bool page_params(dd_req_t *req, size_t list_max, size_t *n, bool *has_n, const char **last)
{
    const char *ns = dd_req_query(req, "n");
    *last = dd_req_query(req, "last");
    if (*last && !**last) *last = NULL;
    *has_n = false;
    *n = list_max;
    if (ns) {
        char *end;
        errno = 0;
        long long v = strtoll(ns, &end, 10);
        if (!*ns || *end || errno || v < 0) {
            dd_registry_error(req, DD_REGERR_PAGINATION, "n must be a non-negative integer");
            return false;
        }
        *has_n = true;
        *n = (size_t)v > list_max ? list_max : (size_t)v;
    }
    return true;
}

static int send_list(dd_req_t *req, const char *name, list_t *l, size_t n)
{
    bool more = l->n > n;
    if (more) l->n = n;
    dd_buf_t b;
    dd_buf_init(&b, 0);
    if (name) {
        dd_buf_puts(&b, "{\"name\":");
        dd_buf_json_str(&b, name);
        dd_buf_puts(&b, ",\"tags\":[");
    } else {
        dd_buf_puts(&b, "{\"repositories\":[");
    }
    for (size_t i = 0; i < l->n; i++) {
        if (i) dd_buf_putc(&b, ',');
        dd_buf_json_str(&b, l->items[i]);
    }
    dd_buf_puts(&b, "]}");
    if (more && n > 0)
        dd_resp_header(req, "Link", dd_registry_link_next(&req->arena, name, n, l->items[n - 1]));
    return dd_resp_json(req, 200, &b);
}

static int h_tags(dd_req_t *req)
{
    dd_registry_t *r = req->ctx;
    size_t n;
    bool has_n;
    const char *last;
    if (!page_params(req, r->o.list_max, &n, &has_n, &last)) return DD_OK;
    if (dd_meta_repo_exists(r->o.meta, req->name) != DD_OK)
        return dd_registry_error(req, DD_REGERR_NAME_UNKNOWN, NULL);
    list_t l = {&req->arena, NULL, 0, n + 1};
    l.items = dd_arena_alloc(&req->arena, (n + 1) * sizeof *l.items);
    if (n > 0) {
        int rc = dd_meta_tags_list(r->o.meta, req->name, last, n + 1, list_add, &l);
        if (rc == DD_ENOTFOUND) return dd_registry_error(req, DD_REGERR_NAME_UNKNOWN, NULL);
        if (rc != DD_OK) return dd_registry_error(req, DD_REGERR_INTERNAL, "tags list failed");
    }
    return send_list(req, req->name, &l, n);
}

/* _catalog lists only what the caller may see (auth.h): filtered pages are
 * refilled from the store until n + 1 visible names or the end. */
typedef struct {
    list_t *l;
    dd_req_t *req;
    const char *last_seen;
    size_t seen;
} catalog_filter_t;

static int catalog_visible(const char *repo, void *arg)
{
    catalog_filter_t *f = arg;
    f->seen++;
    f->last_seen = dd_arena_strdup(&f->req->arena, repo);
    if (!dd_auth_may(f->req, DD_ACT_CATALOG, repo)) return 0;
    return list_add(repo, f->l);
}

static int h_catalog(dd_req_t *req)
{
    dd_registry_t *r = req->ctx;
    size_t n;
    bool has_n;
    const char *last;
    if (!page_params(req, r->o.list_max, &n, &has_n, &last)) return DD_OK;
    list_t l = {&req->arena, NULL, 0, n + 1};
    l.items = dd_arena_alloc(&req->arena, (n + 1) * sizeof *l.items);
    if (n > 0) {
        for (const char *from = last;;) {
            catalog_filter_t f = {&l, req, NULL, 0};
            int rc = dd_meta_catalog(r->o.meta, from, n + 1, catalog_visible, &f);
            if (rc != DD_OK) return dd_registry_error(req, DD_REGERR_INTERNAL, "catalog failed");
            if (l.n > n || f.seen < n + 1 || !f.last_seen) break;
            from = f.last_seen;
        }
    }
    return send_list(req, NULL, &l, n);
}
