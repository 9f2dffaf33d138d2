/*
 * overview_api.c: GET /api/v1/overview, everything the web console's
 * overview shows in one document (issue 16), answered from the scan store
 * without building per-finding objects:
 *
 *   {"images", "healthy", "unhealthy", "notAssessed",
 *    "counts": {"critical", ..., "unknown", "total"},   (as /api/v1/summary)
 *    "knownExploited",                 findings in the CISA KEV catalog
 *    "notAssessedReasons": [{"reason", "images"}],     most images first
 *    "topVulnerabilities": [{"id", "severity", "images"}],
 *    "topRepositories": [{"repository", "images", "counts"}],
 *    "days": [{"day", "new", "resolved"}],   re-assessment history, 30 days
 *    "dbVersion", "jobsPending", "computedAt", "cached"}
 *
 * Health and severity totals come from one pass over the images (the same
 * rule as /api/v1/summary: an index by its platform images, an index's
 * counts not added twice); the top vulnerabilities, the known-exploited
 * count and the days are SQL aggregates (dd_scanstore_vuln_stats,
 * dd_scanstore_history_days). A caller who may read every repository gets
 * a cached copy while the scan store has written nothing since, the
 * vulnerability database version is the same and it is under CACHE_MS old
 * (the health of an image also depends on the database's age); a caller
 * limited to some repositories gets a fresh answer over the images it may
 * see.
 */
#include "dd/auth.h"
#include "dd/findings.h"
#include "dd/scanner.h"
#include "dd/scanstore.h"
#include "findings_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_MS 30000 /* longest life of a cached overview */
#define TOP_DEFAULT 10
#define TOP_MAX 100
#define DAYS 30

static const char *const sev_names[DD_NSEV] = {"unknown", "negligible", "low", "medium", "high", "critical"};

/* one image of the pass */
typedef struct ov_img {
    char *digest;
    char *reason;  /* not assessed: why (else NULL) */
    char status;   /* 'H'ealthy, 'U'nhealthy, 'N'ot assessed */
    bool is_index, visible;
    int counts[DD_NSEV];
    int last_repo; /* ordinal of the last repository that counted it */
} ov_img_t;

typedef struct ov_repo {
    char *name;
    int images, total;
    int counts[DD_NSEV];
} ov_repo_t;

typedef struct ov {
    dd_findings_api_t *api;
    bool restricted;
    ov_img_t *img;
    size_t n, cap;
    ov_repo_t *rp;
    size_t n_rp, cap_rp;
    int repo_ordinal;
    char last_repo[256];
    bool last_repo_visible;
} ov_t;

static int img_cmp(const void *a, const void *b)
{
    return strcmp(((const ov_img_t *)a)->digest, ((const ov_img_t *)b)->digest);
}

static ov_img_t *img_find(ov_t *o, const char *digest)
{
    ov_img_t key = {.digest = (char *)digest};
    return bsearch(&key, o->img, o->n, sizeof *o->img, img_cmp);
}

/* the images arrive in digest order (dd_scanstore_images), so o->img stays
 * sorted for img_find */
static int image_cb(const dd_image_rec_t *r, void *arg)
{
    ov_t *o = arg;
    if (o->n == o->cap) {
        o->cap = o->cap ? o->cap * 2 : 256;
        o->img = dd_realloc(o->img, o->cap * sizeof *o->img);
    }
    ov_img_t *m = &o->img[o->n++];
    memset(m, 0, sizeof *m);
    m->digest = dd_strdup(r->digest);
    m->is_index = r->is_index;
    m->last_repo = -1;
    m->visible = !o->restricted; /* restricted: decided by its references (ref_cb) */
    char reason[600];
    const char *st = dd_findings_image_health(o->api, r, m->counts, reason, sizeof reason);
    m->status = !strcmp(st, "Healthy") ? 'H' : !strcmp(st, "Unhealthy") ? 'U' : 'N';
    if (m->status == 'N') m->reason = dd_strdup(reason[0] ? reason : "no reason given");
    return 0;
}

/* refs arrive grouped by repository: each repository's distinct images and
 * their findings (an index's are its children's, counted there) */
static int ref_cb(const char *repo, const char *digest, const char *tag, void *arg)
{
    (void)tag;
    ov_t *o = arg;
    if (!o->n_rp || strcmp(o->last_repo, repo) != 0) {
        snprintf(o->last_repo, sizeof o->last_repo, "%s", repo);
        o->last_repo_visible = dd_auth_may_current(DD_ACT_SCAN_READ, repo); /* auth.h: only what the caller may see */
        o->repo_ordinal++;
        if (o->n_rp == o->cap_rp) {
            o->cap_rp = o->cap_rp ? o->cap_rp * 2 : 64;
            o->rp = dd_realloc(o->rp, o->cap_rp * sizeof *o->rp);
        }
        ov_repo_t *p = &o->rp[o->n_rp++];
        memset(p, 0, sizeof *p);
        p->name = dd_strdup(repo);
        if (!o->last_repo_visible) p->total = -1; /* dropped at output */
    }
    if (!o->last_repo_visible) return 0;
    ov_img_t *m = img_find(o, digest);
    if (!m || m->last_repo == o->repo_ordinal) return 0;
    m->last_repo = o->repo_ordinal;
    m->visible = true;
    ov_repo_t *p = &o->rp[o->n_rp - 1];
    p->images++;
    if (!m->is_index)
        for (int k = 0; k < DD_NSEV; k++) {
            p->counts[k] += m->counts[k];
            p->total += m->counts[k];
        }
    return 0;
}

typedef struct reason_count {
    const char *reason;
    int images;
} reason_count_t;

static int str_ptr_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int reason_cmp(const void *a, const void *b)
{
    const reason_count_t *x = a, *y = b;
    if (x->images != y->images) return x->images > y->images ? -1 : 1;
    return strcmp(x->reason, y->reason);
}

static int repo_cmp(const void *a, const void *b)
{
    const ov_repo_t *x = a, *y = b;
    if (x->total != y->total) return x->total > y->total ? -1 : 1;
    return strcmp(x->name, y->name);
}

static void counts_json(dd_buf_t *b, const int counts[DD_NSEV])
{
    dd_buf_putc(b, '{');
    int total = 0;
    for (int k = DD_NSEV - 1; k >= 0; k--) {
        dd_buf_printf(b, "\"%s\":%d,", sev_names[k], counts[k]);
        total += counts[k];
    }
    dd_buf_printf(b, "\"total\":%d}", total);
}

typedef struct emit {
    dd_buf_t *b;
    int n;
} emit_t;

static int vuln_cb(const dd_vuln_stat_t *v, void *arg)
{
    emit_t *e = arg;
    if (e->n++) dd_buf_putc(e->b, ',');
    dd_buf_puts(e->b, "{\"id\":");
    dd_buf_json_str(e->b, v->vuln_id);
    int sev = v->severity >= 0 && v->severity < DD_NSEV ? v->severity : 0;
    dd_buf_printf(e->b, ",\"severity\":\"%s\",\"images\":%lld}", sev_names[sev], (long long)v->images);
    return 0;
}

static int day_cb(const char *day, int64_t n_new, int64_t n_resolved, void *arg)
{
    emit_t *e = arg;
    if (e->n++) dd_buf_putc(e->b, ',');
    dd_buf_puts(e->b, "{\"day\":");
    dd_buf_json_str(e->b, day);
    dd_buf_printf(e->b, ",\"new\":%lld,\"resolved\":%lld}", (long long)n_new, (long long)n_resolved);
    return 0;
}

static void ov_release(ov_t *o)
{
    for (size_t i = 0; i < o->n; i++) {
        free(o->img[i].digest);
        free(o->img[i].reason);
    }
    free(o->img);
    for (size_t i = 0; i < o->n_rp; i++) free(o->rp[i].name);
    free(o->rp);
}

/* The overview document (without "cached" and the closing brace) into b;
 * an error of the scan store (e filled) leaves b unspecified. */
static int compute(dd_findings_api_t *api, bool restricted, size_t top, dd_buf_t *b, dd_err_t *e)
{
    dd_scanstore_t *store = dd_findings_api_store(api);
    ov_t o = {.api = api, .restricted = restricted};
    int rc = dd_scanstore_images(store, NULL, NULL, 0, image_cb, &o, e);
    if (rc == DD_OK) rc = dd_scanstore_refs(store, NULL, ref_cb, &o, e);
    if (rc != DD_OK) {
        ov_release(&o);
        return rc;
    }

    int images = 0, healthy = 0, unhealthy = 0, not_assessed = 0, counts[DD_NSEV] = {0};
    char **why = dd_malloc((o.n ? o.n : 1) * sizeof *why);
    size_t n_why = 0;
    dd_buf_t set; /* restricted: the JSON array of the manifests whose findings count */
    dd_buf_init(&set, 0);
    dd_buf_putc(&set, '[');
    int n_set = 0;
    for (size_t i = 0; i < o.n; i++) {
        ov_img_t *m = &o.img[i];
        if (!m->visible) continue;
        images++;
        if (m->status == 'H') healthy++;
        else if (m->status == 'U') unhealthy++;
        else {
            not_assessed++;
            why[n_why++] = m->reason;
        }
        if (!m->is_index)
            for (int k = 0; k < DD_NSEV; k++) counts[k] += m->counts[k];
        if (restricted) {
            if (n_set++) dd_buf_putc(&set, ',');
            dd_buf_json_str(&set, m->digest);
            if (m->is_index) { /* its platform images count with it */
                dd_image_child_t *ch = NULL;
                size_t nch = 0;
                dd_scanstore_children(store, m->digest, &ch, &nch, NULL);
                for (size_t j = 0; j < nch; j++) {
                    dd_buf_putc(&set, ',');
                    dd_buf_json_str(&set, ch[j].digest);
                }
                free(ch);
            }
        }
    }
    dd_buf_putc(&set, ']');

    dd_buf_printf(b, "{\"images\":%d,\"healthy\":%d,\"unhealthy\":%d,\"notAssessed\":%d,\"counts\":", images,
                  healthy, unhealthy, not_assessed);
    counts_json(b, counts);

    int64_t kev = 0;
    dd_buf_t tv;
    dd_buf_init(&tv, 0);
    emit_t ev = {&tv, 0};
    rc = dd_scanstore_vuln_stats(store, restricted ? set.ptr : NULL, top, vuln_cb, &ev, &kev, e);
    dd_buf_printf(b, ",\"knownExploited\":%lld,\"notAssessedReasons\":[", (long long)kev);

    qsort(why, n_why, sizeof *why, str_ptr_cmp);
    reason_count_t *rcs = dd_malloc((n_why ? n_why : 1) * sizeof *rcs);
    size_t n_rc = 0;
    for (size_t i = 0; i < n_why; i++) {
        if (n_rc && !strcmp(rcs[n_rc - 1].reason, why[i])) rcs[n_rc - 1].images++;
        else rcs[n_rc++] = (reason_count_t){why[i], 1};
    }
    qsort(rcs, n_rc, sizeof *rcs, reason_cmp);
    for (size_t i = 0; i < n_rc && i < TOP_MAX; i++) {
        if (i) dd_buf_putc(b, ',');
        dd_buf_puts(b, "{\"reason\":");
        dd_buf_json_str(b, rcs[i].reason);
        dd_buf_printf(b, ",\"images\":%d}", rcs[i].images);
    }
    free(rcs);
    free(why);

    dd_buf_puts(b, "],\"topVulnerabilities\":[");
    if (tv.len) dd_buf_append(b, tv.ptr, tv.len);
    dd_buf_release(&tv);

    dd_buf_puts(b, "],\"topRepositories\":[");
    qsort(o.rp, o.n_rp, sizeof *o.rp, repo_cmp);
    size_t shown = 0;
    for (size_t i = 0; i < o.n_rp && shown < top; i++) {
        if (o.rp[i].total < 0) continue; /* not visible to the caller */
        if (shown++) dd_buf_putc(b, ',');
        dd_buf_puts(b, "{\"repository\":");
        dd_buf_json_str(b, o.rp[i].name);
        dd_buf_printf(b, ",\"images\":%d,\"counts\":", o.rp[i].images);
        counts_json(b, o.rp[i].counts);
        dd_buf_putc(b, '}');
    }

    dd_buf_puts(b, "],\"days\":[");
    emit_t ed = {b, 0};
    int64_t since = dd_now_ms() - (int64_t)DAYS * 86400 * 1000;
    since -= since % (86400 * 1000); /* from the start of that day */
    if (rc == DD_OK) rc = dd_scanstore_history_days(store, restricted ? set.ptr : NULL, since, day_cb, &ed, e);
    dd_buf_release(&set);

    dd_scanner_counters_t ctr;
    dd_scanner_counters(dd_findings_api_scanner(api), &ctr);
    char at[32];
    dd_time_rfc3339(dd_now_ms() / 1000, at);
    dd_buf_printf(b, "],\"dbVersion\":%lld,\"jobsPending\":%lld,\"computedAt\":\"%s\"", (long long)ctr.db_version,
                  (long long)ctr.jobs_pending, at);

    ov_release(&o);
    return rc;
}

/* The cached overview of unrestricted callers (see the header comment). */
static struct {
    pthread_mutex_t mu;
    dd_findings_api_t *api;
    size_t top;
    int64_t changes, db_version, at_ms;
    char *json;
    size_t len;
} cache = {.mu = PTHREAD_MUTEX_INITIALIZER};

static int bad_param(dd_req_t *req, const char *param, const char *message)
{
    dd_buf_t b;
    dd_buf_init(&b, 0);
    dd_buf_puts(&b, "{\"error\":{\"code\":\"INVALID_PARAMETER\",\"parameter\":");
    dd_buf_json_str(&b, param);
    dd_buf_puts(&b, ",\"message\":");
    dd_buf_json_str(&b, message);
    dd_buf_puts(&b, "}}");
    return dd_resp_json(req, 400, &b);
}

static int store_error(dd_req_t *req, dd_buf_t *b, const dd_err_t *e)
{
    dd_buf_release(b);
    dd_log(DD_LOG_ERROR, req->id, "overview: %s", e->msg);
    return dd_resp_error(req, 500, "INTERNAL_ERROR", "cannot read the scan store");
}

static int h_overview(dd_req_t *req)
{
    dd_findings_api_t *api = req->ctx;
    size_t top = TOP_DEFAULT;
    const char *t = dd_req_query(req, "top");
    if (t) {
        char *end;
        long v = strtol(t, &end, 10);
        if (!*t || *end || v < 1 || v > TOP_MAX) {
            char msg[128];
            snprintf(msg, sizeof msg, "top '%.20s' is not a number from 1 to %d", t, TOP_MAX);
            return bad_param(req, "top", msg);
        }
        top = (size_t)v;
    }
    bool restricted = !dd_auth_current_unrestricted(DD_ACT_SCAN_READ);
    dd_buf_t b;
    dd_buf_init(&b, 0);
    dd_err_t e;
    if (restricted) {
        if (compute(api, true, top, &b, &e) != DD_OK) return store_error(req, &b, &e);
        dd_buf_puts(&b, ",\"cached\":false}");
        return dd_resp_json(req, 200, &b);
    }
    dd_scanstore_t *store = dd_findings_api_store(api);
    dd_scanner_counters_t ctr;
    dd_scanner_counters(dd_findings_api_scanner(api), &ctr);
    int64_t changes = dd_scanstore_changes(store), now = dd_now_ms();
    pthread_mutex_lock(&cache.mu);
    if (cache.json && cache.api == api && cache.top == top && cache.changes == changes &&
        cache.db_version == ctr.db_version && now - cache.at_ms < CACHE_MS) {
        dd_buf_append(&b, cache.json, cache.len);
        pthread_mutex_unlock(&cache.mu);
        dd_buf_puts(&b, ",\"cached\":true}");
        return dd_resp_json(req, 200, &b);
    }
    pthread_mutex_unlock(&cache.mu);
    if (compute(api, false, top, &b, &e) != DD_OK) return store_error(req, &b, &e);
    pthread_mutex_lock(&cache.mu);
    free(cache.json);
    cache.json = dd_malloc(b.len ? b.len : 1);
    memcpy(cache.json, b.ptr, b.len);
    cache.len = b.len;
    cache.api = api;
    cache.top = top;
    cache.changes = changes; /* read before computing: a write meanwhile invalidates */
    cache.db_version = ctr.db_version;
    cache.at_ms = now;
    pthread_mutex_unlock(&cache.mu);
    dd_buf_puts(&b, ",\"cached\":false}");
    return dd_resp_json(req, 200, &b);
}

static const dd_route_t routes[] = {
    {"GET", "/api/v1/overview", h_overview, DD_ACT_SCAN_READ, 0},
};

void dd_findings_overview_register(dd_findings_api_t *api, dd_http_server_t *srv)
{
    dd_http_register_routes(srv, routes, sizeof routes / sizeof routes[0], api);
}
