/*
 * api.c: the findings REST API (see include/dd/findings.h and docs/API.md).
 *
 * Every handler resolves what it needs through the metadata store (tags ->
 * digests, repository existence) and the scan store (scan state, findings,
 * history), builds its JSON in a dd_buf and answers. Nothing here writes.
 */
#include "dd/auth.h"
#include "dd/findings.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dd/digest.h"
#include "dd/vulndb.h"
#include "findings_int.h"

struct dd_findings_api {
    dd_findings_api_opts_t o;
    char *host;
};

/* ---- helpers ---- */

static int api_error(dd_req_t *req, int status, const char *code, const char *message)
{
    dd_buf_t b;
    dd_buf_init(&b, 0);
    dd_buf_puts(&b, "{\"error\":{\"code\":");
    dd_buf_json_str(&b, code);
    dd_buf_puts(&b, ",\"message\":");
    dd_buf_json_str(&b, message);
    dd_buf_puts(&b, "}}");
    return dd_resp_json(req, status, &b);
}

/* A scan-store failure while answering (e from the dd_scanstore_* call):
 * logged, 500 with the store's message; the body built so far is dropped. */
static int store_error(dd_req_t *req, dd_buf_t *b, const dd_err_t *e)
{
    if (b) dd_buf_release(b);
    dd_log(DD_LOG_ERROR, "findings", "%s", e->msg);
    return api_error(req, 500, "INTERNAL_ERROR", e->msg);
}

/* Copies v into out (n bytes), cut on a UTF-8 character boundary so that a
 * message quoting a long value never ends in half a character. Returns out. */
static const char *clip(const char *v, char *out, size_t n)
{
    size_t k = dd_utf8_prefix(v, n - 1);
    memcpy(out, v, k);
    out[k] = 0;
    return out;
}

/* 404 NAME_UNKNOWN for repo. */
static int repo_unknown(dd_req_t *req, const char *repo)
{
    char msg[400], c[256];
    snprintf(msg, sizeof msg, "repository '%s' not found", clip(repo, c, sizeof c));
    return api_error(req, 404, "NAME_UNKNOWN", msg);
}

static int bad_param(dd_req_t *req, const char *param, const char *fmt, const char *val)
{
    char msg[512], c[256];
    snprintf(msg, sizeof msg, fmt, clip(val, c, sizeof c));
    dd_buf_t b;
    dd_buf_init(&b, 0);
    dd_buf_puts(&b, "{\"error\":{\"code\":\"INVALID_PARAMETER\",\"parameter\":");
    dd_buf_json_str(&b, param);
    dd_buf_puts(&b, ",\"message\":");
    dd_buf_json_str(&b, msg);
    dd_buf_puts(&b, "}}");
    return dd_resp_json(req, 400, &b);
}

static int parse_size(const char *s, size_t max, size_t *out)
{
    if (!s || !*s) return DD_EINVAL;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || s[0] == '-' || v > max) return DD_EINVAL;
    *out = (size_t)v;
    return DD_OK;
}

static int sev_parse(const char *s)
{
    dd_severity_t v;
    return dd_severity_name_parse(s, &v) == DD_OK ? (int)v : -1;
}

/* Appends "&k=v" for each of keys present in the request's query, so a
 * next-page link keeps the caller's filters. */
static void keep_params(dd_buf_t *b, dd_req_t *req, const char *const *keys, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        const char *v = dd_req_query(req, keys[k]);
        if (!v) continue;
        dd_buf_printf(b, "&%s=", keys[k]);
        dd_buf_pct_encode(b, v, NULL);
    }
}

static void put_time(dd_buf_t *b, int64_t ms)
{
    if (!ms) {
        dd_buf_puts(b, "null");
        return;
    }
    char t[32];
    dd_time_rfc3339(ms / 1000, t);
    dd_buf_json_str(b, t);
}

/* Resolves repo + reference (tag or digest) to a digest. */
static int resolve(dd_findings_api_t *api, dd_req_t *req, const char *repo, const char *ref,
                   char digest[DD_DIGEST_MAX])
{
    if (dd_meta_repo_exists(api->o.meta, repo) != DD_OK) {
        repo_unknown(req, repo);
        return DD_ENOTFOUND;
    }
    dd_manifest_rec_t m;
    memset(&m, 0, sizeof m);
    if (dd_meta_manifest_get(api->o.meta, repo, ref, &m) != DD_OK) {
        char msg[600], c1[256], c2[256];
        snprintf(msg, sizeof msg, "image '%s' not found in repository '%s'", clip(ref, c1, sizeof c1),
                 clip(repo, c2, sizeof c2));
        api_error(req, 404, "MANIFEST_UNKNOWN", msg);
        return DD_ENOTFOUND;
    }
    snprintf(digest, DD_DIGEST_MAX, "%s", m.digest.str);
    dd_manifest_rec_release(&m);
    return DD_OK;
}

/* The image record, or a stand-in for an image the scanner never saw
 * (scanning off, or pushed before scanning was on). */
static void image_or_standin(dd_findings_api_t *api, const char *digest, dd_image_rec_t *r, bool *known)
{
    *known = dd_scanstore_image_get(api->o.store, digest, r, NULL) == DD_OK;
    if (!*known) {
        memset(r, 0, sizeof *r);
        snprintf(r->digest, sizeof r->digest, "%s", digest);
        r->state = DD_SCAN_UNSUPPORTED;
        snprintf(r->error, sizeof r->error, "%s", DD_SCAN_OFF_REASON);
    }
}

static const char *sev_names[DD_NSEV] = {"unknown", "negligible", "low", "medium", "high", "critical"};

/* Aggregate of an index's children (or just the image). For an index
 * (issue 15): counts add up its platform images' (one finding per platform,
 * as `drydock findings` lists them), size is the sum of theirs, platforms
 * their platforms in index order; a child the index lists twice counts once. */
typedef struct agg {
    int counts[DD_NSEV];
    int n_fixable, n_packages;
    const char *status;
    char reason[600];
    int64_t db_version, scanned_ms;
    int64_t size;
    dd_buf_t platforms;     /* comma-separated, each once ("" if none); agg_release */
} agg_t;

static void agg_release(agg_t *a)
{
    dd_buf_release(&a->platforms);
}

/* Adds p to the comma-separated list b unless it is empty or there already. */
static void platform_add(dd_buf_t *b, const char *p)
{
    if (!p || !*p) return;
    size_t n = strlen(p);
    for (const char *q = b->len ? b->ptr : ""; *q;) {
        const char *comma = strchr(q, ',');
        size_t len = comma ? (size_t)(comma - q) : strlen(q);
        if (len == n && !memcmp(q, p, n)) return;
        q += len + (comma ? 1 : 0);
    }
    if (b->len) dd_buf_putc(b, ',');
    dd_buf_puts(b, p);
}

/* True if ch[i]'s digest appeared at an earlier position. */
static bool child_repeated(const dd_image_child_t *ch, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (!strcmp(ch[j].digest, ch[i].digest)) return true;
    return false;
}

static void aggregate(dd_findings_api_t *api, const dd_image_rec_t *r, agg_t *a)
{
    memset(a, 0, sizeof *a);
    dd_buf_init(&a->platforms, 0);
    if (!r->is_index || r->state != DD_SCAN_DONE) {
        memcpy(a->counts, r->counts, sizeof a->counts);
        a->n_fixable = r->n_fixable;
        a->n_packages = r->n_packages;
        a->status = dd_scanner_assess(api->o.scanner, r, a->reason, sizeof a->reason);
        a->db_version = r->db_version;
        a->scanned_ms = r->scanned_ms;
        a->size = r->size;
        platform_add(&a->platforms, r->platform);
        return;
    }
    dd_image_child_t *ch;
    size_t nch;
    dd_scanstore_children(api->o.store, r->digest, &ch, &nch, NULL);
    bool any_unhealthy = false, any_assessed = false;
    for (size_t i = 0; i < nch; i++) {
        dd_image_rec_t c;
        if (child_repeated(ch, i)) continue;
        if (dd_scanstore_image_get(api->o.store, ch[i].digest, &c, NULL) != DD_OK) continue;
        char why[512];
        const char *st = dd_scanner_assess(api->o.scanner, &c, why, sizeof why);
        for (int k = 0; k < DD_NSEV; k++) a->counts[k] += c.counts[k];
        a->n_fixable += c.n_fixable;
        a->n_packages += c.n_packages;
        a->size += c.size;
        platform_add(&a->platforms, c.platform);
        if (c.db_version > a->db_version) a->db_version = c.db_version;
        if (c.scanned_ms > a->scanned_ms) a->scanned_ms = c.scanned_ms;
        if (!strcmp(st, "Unhealthy")) any_unhealthy = true;
        if (strcmp(st, "NotAssessed")) any_assessed = true;
        else if (!a->reason[0]) snprintf(a->reason, sizeof a->reason, "%.40s: %.500s", c.platform, why);
    }
    free(ch);
    a->status = any_unhealthy ? "Unhealthy" : any_assessed ? "Healthy" : "NotAssessed";
    if (strcmp(a->status, "NotAssessed")) a->reason[0] = '\0';
}

typedef struct tagctx {
    dd_buf_t *b;
    const char *repo;
    int n;
} tagctx_t;

static int tag_cb(const char *rp, const char *tag, void *arg)
{
    tagctx_t *tc = arg;
    if (!tag || (tc->repo && strcmp(rp, tc->repo) != 0)) return 0;
    if (tc->n++) dd_buf_putc(tc->b, ',');
    dd_buf_json_str(tc->b, tag);
    return 0;
}

static void image_summary_json(dd_findings_api_t *api, dd_buf_t *b, const char *repo, const dd_image_rec_t *r,
                               bool known)
{
    agg_t a;
    aggregate(api, r, &a);
    dd_buf_puts(b, "{\"repository\":");
    dd_buf_json_str(b, repo ? repo : "");
    dd_buf_puts(b, ",\"digest\":");
    dd_buf_json_str(b, r->digest);
    dd_buf_puts(b, ",\"mediaType\":");
    dd_buf_json_str(b, r->media_type);
    /* tags of this digest in this repository */
    dd_buf_puts(b, ",\"tags\":[");
    tagctx_t tc = {b, repo, 0};
    dd_scanstore_image_repos(api->o.store, r->digest, tag_cb, &tc, NULL); /* no tags then */
    dd_buf_puts(b, "],\"scan\":{\"state\":");
    dd_buf_json_str(b, known ? dd_scan_state_name(r->state) : "not-scanned");
    dd_buf_puts(b, ",\"error\":");
    if (r->error[0]) dd_buf_json_str(b, r->error);
    else dd_buf_puts(b, "null");
    dd_buf_puts(b, ",\"scannedAt\":");
    put_time(b, a.scanned_ms);
    dd_buf_puts(b, ",\"pushedAt\":");
    put_time(b, r->pushed_ms);
    dd_buf_printf(b, ",\"dbVersion\":%lld},\"status\":", (long long)a.db_version);
    dd_buf_json_str(b, a.status);
    dd_buf_puts(b, ",\"statusReason\":");
    if (a.reason[0]) dd_buf_json_str(b, a.reason);
    else dd_buf_puts(b, "null");
    dd_buf_puts(b, ",\"os\":");
    dd_buf_json_str(b, r->os);
    dd_buf_puts(b, ",\"osName\":");
    dd_buf_json_str(b, r->os_pretty);
    /* an index: its platforms, comma-separated here and as a list below */
    dd_buf_puts(b, ",\"platform\":");
    dd_buf_json_str(b, a.platforms.len ? a.platforms.ptr : "");
    dd_buf_puts(b, ",\"platforms\":[");
    for (const char *q = a.platforms.len ? a.platforms.ptr : ""; *q;) {
        const char *comma = strchr(q, ',');
        size_t len = comma ? (size_t)(comma - q) : strlen(q);
        char p[128]; /* a platform: "os/arch/variant" (64 bytes in dd_image_rec_t) */
        snprintf(p, sizeof p, "%.*s", (int)(len < sizeof p ? len : sizeof p - 1), q);
        if (q != a.platforms.ptr) dd_buf_putc(b, ',');
        dd_buf_json_str(b, p);
        q += len + (comma ? 1 : 0);
    }
    dd_buf_printf(b, "],\"isIndex\":%s,\"size\":%lld,\"packages\":%d,\"fixable\":%d,\"counts\":{",
                  r->is_index ? "true" : "false", (long long)a.size, a.n_packages, a.n_fixable);
    int total = 0;
    for (int k = DD_NSEV - 1; k >= 0; k--) {
        dd_buf_printf(b, "\"%s\":%d,", sev_names[k], a.counts[k]);
        total += a.counts[k];
    }
    dd_buf_printf(b, "\"total\":%d}", total);
    if (r->is_index) {
        dd_image_child_t *ch;
        size_t nch;
        dd_scanstore_children(api->o.store, r->digest, &ch, &nch, NULL);
        if (nch) {
            dd_buf_puts(b, ",\"manifests\":[");
            for (size_t i = 0; i < nch; i++) {
                if (i) dd_buf_putc(b, ',');
                dd_buf_json_str(b, ch[i].digest);
            }
            dd_buf_putc(b, ']');
        }
        free(ch);
    }
    dd_buf_putc(b, '}');
    agg_release(&a);
}

/* ---- /api/v1/repositories/<name>/images/<ref> ---- */

static int h_image(dd_req_t *req)
{
    dd_findings_api_t *api = req->ctx;
    char digest[DD_DIGEST_MAX];
    if (resolve(api, req, req->name, dd_req_var(req, "ref"), digest)) return DD_OK;
    dd_image_rec_t r;
    bool known;
    image_or_standin(api, digest, &r, &known);
    dd_buf_t b;
    dd_buf_init(&b, 0);
    image_summary_json(api, &b, req->name, &r, known);
    return dd_resp_json(req, 200, &b);
}

/* ---- findings ---- */

typedef struct fctx {
    dd_buf_t *b;
    int n;
    const char *platform;   /* set for index children */
    const char *child;
} fctx_t;

static int finding_cb(const dd_finding_row_t *r, void *arg)
{
    fctx_t *c = arg;
    if (c->n++) dd_buf_putc(c->b, ',');
    if (c->child) {
        /* splice the child's digest and platform into the stored object */
        size_t len = strlen(r->json);
        if (len >= 2 && r->json[len - 1] == '}') {
            dd_buf_append(c->b, r->json, len - 1);
            dd_buf_puts(c->b, ",\"imageDigest\":");
            dd_buf_json_str(c->b, c->child);
            dd_buf_puts(c->b, ",\"platform\":");
            dd_buf_json_str(c->b, c->platform ? c->platform : "");
            dd_buf_putc(c->b, '}');
            return 0;
        }
    }
    dd_buf_puts(c->b, r->json);
    return 0;
}

/* True if the query names key at all, even with a value that does not
 * percent-decode (dd_req_query then gives NULL): such a filter is a 400, never
 * "no filter". */
static bool param_given(dd_req_t *req, const char *key)
{
    size_t kl = strlen(key);
    for (const char *q = req->query; q && *q;) {
        const char *amp = strchr(q, '&');
        size_t len = amp ? (size_t)(amp - q) : strlen(q);
        const char *eq = memchr(q, '=', len);
        size_t klen = eq ? (size_t)(eq - q) : len;
        if (klen == kl && !memcmp(q, key, kl)) return true;
        if (!amp) break;
        q = amp + 1;
    }
    return false;
}

/* The filter parameters: each one given must have a valid value. */
static int check_filter_values(dd_req_t *req, const char *const *keys, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (param_given(req, keys[i]) && !dd_req_query(req, keys[i]))
            return bad_param(req, keys[i], "invalid value for '%s' (not a valid percent-encoded string)", keys[i]),
                   DD_EINVAL;
    return DD_OK;
}

/* known_exploited=true|false (also 1/0): 1 / -1 into *out. */
static int parse_kev_filter(dd_req_t *req, int *out)
{
    const char *v = dd_req_query(req, "known_exploited");
    *out = 0;
    if (!v) return DD_OK;
    if (!strcmp(v, "true") || !strcmp(v, "1")) *out = 1;
    else if (!strcmp(v, "false") || !strcmp(v, "0")) *out = -1;
    else return bad_param(req, "known_exploited", "invalid known_exploited '%s' (true or false)", v), DD_EINVAL;
    return DD_OK;
}

static int parse_filter(dd_req_t *req, dd_findings_filter_t *f, size_t page_max)
{
    memset(f, 0, sizeof *f);
    f->min_severity = -1;
    f->severity = -1;
    f->limit = 100;
    const char *v;
    static const char *const fkeys[] = {"severity", "min_severity", "fix_state", "package", "id", "vulnerability",
                                        "known_exploited", "limit", "offset"};
    if (check_filter_values(req, fkeys, sizeof fkeys / sizeof fkeys[0])) return DD_EINVAL;
    if (parse_kev_filter(req, &f->known_exploited)) return DD_EINVAL;
    if ((v = dd_req_query(req, "severity"))) {
        if ((f->severity = sev_parse(v)) < 0)
            return bad_param(req, "severity", "invalid severity '%s' (critical, high, medium, low, negligible, unknown)", v), DD_EINVAL;
    }
    if ((v = dd_req_query(req, "min_severity"))) {
        if ((f->min_severity = sev_parse(v)) < 0)
            return bad_param(req, "min_severity", "invalid severity '%s' (critical, high, medium, low, negligible, unknown)", v), DD_EINVAL;
    }
    if ((v = dd_req_query(req, "fix_state"))) {
        dd_fix_state_t fs;
        if (dd_fix_state_parse(v, &fs) != DD_OK)
            return bad_param(req, "fix_state", "invalid fix state '%s' (fixed, not-fixed, will-not-fix, deferred, end-of-life)", v), DD_EINVAL;
        f->fix_state = dd_fix_state_name(fs);
    }
    if ((v = dd_req_query(req, "package"))) {
        if (!*v) return bad_param(req, "package", "empty package name%s", ""), DD_EINVAL;
        f->package = v;
    }
    if ((v = dd_req_query(req, "id")) || (v = dd_req_query(req, "vulnerability"))) {
        if (!*v) return bad_param(req, "id", "empty vulnerability id%s", ""), DD_EINVAL;
        f->vuln_id = v;
    }
    if ((v = dd_req_query(req, "limit")) && (parse_size(v, page_max, &f->limit) || f->limit == 0)) {
        char msg[64];
        snprintf(msg, sizeof msg, "%zu", page_max);
        return bad_param(req, "limit", "limit must be an integer from 1 to %s", msg), DD_EINVAL;
    }
    if ((v = dd_req_query(req, "offset")) && parse_size(v, (size_t)1 << 40, &f->offset))
        return bad_param(req, "offset", "invalid offset '%s'", v), DD_EINVAL;
    return DD_OK;
}

static int h_findings(dd_req_t *req)
{
    dd_findings_api_t *api = req->ctx;
    dd_findings_filter_t f;
    if (parse_filter(req, &f, api->o.page_max)) return DD_OK;
    char digest[DD_DIGEST_MAX];
    if (resolve(api, req, req->name, dd_req_var(req, "ref"), digest)) return DD_OK;
    dd_image_rec_t r;
    bool known;
    image_or_standin(api, digest, &r, &known);
    dd_buf_t b;
    dd_buf_init(&b, 0);
    dd_buf_puts(&b, "{\"repository\":");
    dd_buf_json_str(&b, req->name);
    dd_buf_puts(&b, ",\"reference\":");
    dd_buf_json_str(&b, dd_req_var(req, "ref"));
    dd_buf_puts(&b, ",\"digest\":");
    dd_buf_json_str(&b, digest);
    agg_t a;
    aggregate(api, &r, &a);
    dd_buf_puts(&b, ",\"status\":");
    dd_buf_json_str(&b, a.status);
    agg_release(&a);
    dd_buf_puts(&b, ",\"findings\":[");
    size_t total = 0;
    fctx_t c = {&b, 0, NULL, NULL};
    dd_err_t se;
    int src = DD_OK;
    if (r.is_index) {
        /* findings of every platform image, each tagged with its platform */
        dd_image_child_t *ch;
        size_t nch, skip = f.offset, left = f.limit;
        src = dd_scanstore_children(api->o.store, r.digest, &ch, &nch, &se);
        for (size_t i = 0; src == DD_OK && i < nch; i++) {
            dd_image_rec_t cr;
            if (child_repeated(ch, i)) continue; /* listed twice in the index: its findings once */
            if (dd_scanstore_image_get(api->o.store, ch[i].digest, &cr, NULL)) continue; /* not recorded yet */
            dd_findings_filter_t cf = f;
            cf.offset = 0;
            cf.limit = 0;
            size_t ctot = 0;
            /* count first, then page across children */
            if ((src = dd_scanstore_findings(api->o.store, cr.digest, &cf, NULL, NULL, &ctot, &se)) != DD_OK) break;
            total += ctot;
            if (left == 0 || skip >= ctot) {
                skip -= skip >= ctot ? ctot : skip;
                continue;
            }
            cf.offset = skip;
            cf.limit = left;
            skip = 0;
            c.child = cr.digest;
            c.platform = cr.platform;
            int before = c.n;
            if ((src = dd_scanstore_findings(api->o.store, cr.digest, &cf, finding_cb, &c, NULL, &se)) != DD_OK) break;
            left -= (size_t)(c.n - before) < left ? (size_t)(c.n - before) : left;
        }
        free(ch);
    } else {
        src = dd_scanstore_findings(api->o.store, digest, &f, finding_cb, &c, &total, &se);
    }
    if (src != DD_OK) return store_error(req, &b, &se);
    dd_buf_printf(&b, "],\"total\":%zu,\"offset\":%zu,\"limit\":%zu,\"next\":", total, f.offset, f.limit);
    if (f.offset + (size_t)c.n < total) {
        dd_buf_puts(&b, "\"");
        dd_buf_printf(&b, "/api/v1/repositories/%s/images/%s/findings?offset=%zu&limit=%zu", req->name,
                      dd_req_var(req, "ref"), f.offset + (size_t)c.n, f.limit);
        static const char *const keys[] = {"severity", "min_severity", "fix_state", "package", "id", "known_exploited"};
        keep_params(&b, req, keys, sizeof keys / sizeof keys[0]);
        dd_buf_puts(&b, "\"");
    } else {
        dd_buf_puts(&b, "null");
    }
    dd_buf_putc(&b, '}');
    return dd_resp_json(req, 200, &b);
}

/* ---- repositories and images ---- */

typedef struct listctx {
    dd_findings_api_t *api;
    dd_buf_t *b;
    int n;
    const char *repo;
    int counts[DD_NSEV];
    int images, healthy, unhealthy, not_assessed;
} listctx_t;

static void tally(listctx_t *c, const dd_image_rec_t *r)
{
    agg_t a;
    aggregate(c->api, r, &a);
    c->images++;
    if (!r->is_index)
        for (int k = 0; k < DD_NSEV; k++) c->counts[k] += a.counts[k];
    if (!strcmp(a.status, "Healthy")) c->healthy++;
    else if (!strcmp(a.status, "Unhealthy")) c->unhealthy++;
    else c->not_assessed++;
    agg_release(&a);
}

static int image_list_cb(const dd_image_rec_t *r, void *arg)
{
    listctx_t *c = arg;
    if (c->n++) dd_buf_putc(c->b, ',');
    image_summary_json(c->api, c->b, c->repo, r, true);
    return 0;
}

static int h_repo_images(dd_req_t *req)
{
    dd_findings_api_t *api = req->ctx;
    if (dd_meta_repo_exists(api->o.meta, req->name) != DD_OK) {
        return repo_unknown(req, req->name);
    }
    dd_buf_t b;
    dd_buf_init(&b, 0);
    dd_buf_puts(&b, "{\"repository\":");
    dd_buf_json_str(&b, req->name);
    dd_buf_puts(&b, ",\"images\":[");
    listctx_t c = {.api = api, .b = &b, .repo = req->name};
    dd_err_t se;
    if (dd_scanstore_images(api->o.store, req->name, NULL, 0, image_list_cb, &c, &se) != DD_OK)
        return store_error(req, &b, &se);
    dd_buf_puts(&b, "]}");
    return dd_resp_json(req, 200, &b);
}

static int tally_cb(const dd_image_rec_t *r, void *arg)
{
    tally(arg, r);
    return 0;
}

/* auth.h: an image is visible when one of its repositories is. */
static int visible_repo_cb(const char *repo, const char *tag, void *arg)
{
    (void)tag;
    if (!dd_auth_may_current(DD_ACT_SCAN_READ, repo)) return 0;
    *(bool *)arg = true;
    return 1;
}

static bool image_visible(dd_findings_api_t *api, const char *digest)
{
    if (dd_auth_current_unrestricted(DD_ACT_SCAN_READ)) return true;
    bool v = false;
    dd_scanstore_image_repos(api->o.store, digest, visible_repo_cb, &v, NULL); /* not visible then */
    return v;
}

static int tally_visible_cb(const dd_image_rec_t *r, void *arg)
{
    listctx_t *c = arg;
    if (image_visible(c->api, r->digest)) tally(c, r);
    return 0;
}

static void summary_json(dd_buf_t *b, const listctx_t *c)
{
    dd_buf_printf(b, "\"images\":%d,\"healthy\":%d,\"unhealthy\":%d,\"notAssessed\":%d,\"counts\":{", c->images,
                  c->healthy, c->unhealthy, c->not_assessed);
    int total = 0;
    for (int k = DD_NSEV - 1; k >= 0; k--) {
        dd_buf_printf(b, "\"%s\":%d,", sev_names[k], c->counts[k]);
        total += c->counts[k];
    }
    dd_buf_printf(b, "\"total\":%d}", total);
}

static int h_repo_summary(dd_req_t *req)
{
    dd_findings_api_t *api = req->ctx;
    if (dd_meta_repo_exists(api->o.meta, req->name) != DD_OK) {
        return repo_unknown(req, req->name);
    }
    listctx_t c = {.api = api, .repo = req->name};
    dd_err_t se;
    if (dd_scanstore_images(api->o.store, req->name, NULL, 0, tally_cb, &c, &se) != DD_OK)
        return store_error(req, NULL, &se);
    dd_buf_t b;
    dd_buf_init(&b, 0);
    dd_buf_puts(&b, "{\"repository\":");
    dd_buf_json_str(&b, req->name);
    dd_buf_putc(&b, ',');
    summary_json(&b, &c);
    dd_buf_putc(&b, '}');
    return dd_resp_json(req, 200, &b);
}

typedef struct repos_ctx {
    dd_findings_api_t *api;
    dd_buf_t *b;
    int n;
} repos_ctx_t;

static int repo_cb(const char *repo, void *arg)
{
    repos_ctx_t *rc = arg;
    if (!dd_auth_may_current(DD_ACT_SCAN_READ, repo)) return 0; /* auth.h: only what the caller may see */
    listctx_t c = {.api = rc->api, .repo = repo};
    dd_scanstore_images(rc->api->o.store, repo, NULL, 0, tally_cb, &c, NULL);
    if (rc->n++) dd_buf_putc(rc->b, ',');
    dd_buf_puts(rc->b, "{\"repository\":");
    dd_buf_json_str(rc->b, repo);
    dd_buf_putc(rc->b, ',');
    summary_json(rc->b, &c);
    dd_buf_putc(rc->b, '}');
    return 0;
}

static int h_repos(dd_req_t *req)
{
    dd_findings_api_t *api = req->ctx;
    dd_buf_t b;
    dd_buf_init(&b, 0);
    dd_buf_puts(&b, "{\"repositories\":[");
    repos_ctx_t rc = {api, &b, 0};
    dd_meta_catalog(api->o.meta, NULL, 0, repo_cb, &rc);
    dd_buf_puts(&b, "]}");
    return dd_resp_json(req, 200, &b);
}

typedef struct images_ctx {
    dd_findings_api_t *api;
    dd_buf_t *b;
    int n;
} images_ctx_t;

static int images_repo_cb(const char *repo, void *arg)
{
    images_ctx_t *ic = arg;
    if (!dd_auth_may_current(DD_ACT_SCAN_READ, repo)) return 0; /* auth.h: only what the caller may see */
    listctx_t c = {.api = ic->api, .b = ic->b, .n = ic->n, .repo = repo};
    dd_scanstore_images(ic->api->o.store, repo, NULL, 0, image_list_cb, &c, NULL);
    ic->n = c.n;
    return 0;
}

static int h_images(dd_req_t *req)
{
    dd_findings_api_t *api = req->ctx;
    const char *repo = dd_req_query(req, "repository");
    dd_buf_t b;
    dd_buf_init(&b, 0);
    dd_buf_puts(&b, "{\"images\":[");
    images_ctx_t ic = {api, &b, 0};
    if (repo) images_repo_cb(repo, &ic);
    else dd_meta_catalog(api->o.meta, NULL, 0, images_repo_cb, &ic);
    dd_buf_puts(&b, "]}");
    return dd_resp_json(req, 200, &b);
}

static int h_summary(dd_req_t *req)
{
    dd_findings_api_t *api = req->ctx;
    listctx_t c = {.api = api};
    dd_err_t se;
    if (dd_scanstore_images(api->o.store, NULL, NULL, 0, tally_visible_cb, &c, &se) != DD_OK)
        return store_error(req, NULL, &se);
    dd_scanner_counters_t ctr;
    dd_scanner_counters(api->o.scanner, &ctr);
    dd_buf_t b;
    dd_buf_init(&b, 0);
    dd_buf_puts(&b, "{");
    summary_json(&b, &c);
    dd_buf_printf(&b, ",\"dbVersion\":%lld,\"jobsPending\":%lld}", (long long)ctr.db_version,
                  (long long)ctr.jobs_pending);
    return dd_resp_json(req, 200, &b);
}

/* ---- vulnerabilities ---- */

typedef struct vctx {
    dd_findings_api_t *api;
    dd_buf_t *b;
    int n;
    char last[DD_DIGEST_MAX];
} vctx_t;

typedef struct repoof {
    vctx_t *c;
    const char *digest;
    const dd_finding_row_t *r;
    char last_repo[DD_REPO_MAX];
} repoof_t;

/* One entry per repository holding the image (refs list a repository once
 * per tag, adjacent). */
static int repo_of(const char *repo, const char *tag, void *arg)
{
    repoof_t *x = arg;
    (void)tag;
    if (!strcmp(x->last_repo, repo)) return 0;
    if (!dd_auth_may_current(DD_ACT_SCAN_READ, repo)) return 0; /* auth.h: only what the caller may see */
    snprintf(x->last_repo, sizeof x->last_repo, "%s", repo);
    vctx_t *c = x->c;
    if (c->n++) dd_buf_putc(c->b, ',');
    dd_buf_puts(c->b, "{\"repository\":");
    dd_buf_json_str(c->b, repo);
    dd_buf_puts(c->b, ",\"digest\":");
    dd_buf_json_str(c->b, x->digest);
    dd_buf_puts(c->b, ",\"package\":");
    dd_buf_json_str(c->b, x->r->package);
    dd_buf_puts(c->b, ",\"installedVersion\":");
    dd_buf_json_str(c->b, x->r->version);
    dd_buf_puts(c->b, ",\"fixedVersion\":");
    if (x->r->fixed[0]) dd_buf_json_str(c->b, x->r->fixed);
    else dd_buf_puts(c->b, "null");
    dd_buf_puts(c->b, ",\"severity\":");
    dd_buf_json_str(c->b, dd_severity_name((dd_severity_t)x->r->severity));
    dd_buf_putc(c->b, '}');
    return 0;
}

static int vuln_image_cb(const char *digest, const dd_finding_row_t *r, void *arg)
{
    vctx_t *c = arg;
    if (!strcmp(c->last, digest)) return 0; /* one entry per image */
    snprintf(c->last, sizeof c->last, "%s", digest);
    repoof_t x = {c, digest, r, ""};
    dd_scanstore_image_repos(c->api->o.store, digest, repo_of, &x, NULL);
    return 0;
}

static bool vuln_id_valid(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > 128) return false;
    for (const char *p = id; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr("-_.:", *p)))
            return false;
    return true;
}

static int h_vuln_images(dd_req_t *req)
{
    dd_findings_api_t *api = req->ctx;
    const char *id = dd_req_var(req, "id");
    if (!vuln_id_valid(id)) return bad_param(req, "id", "invalid vulnerability id '%s'", id);
    dd_buf_t b;
    dd_buf_init(&b, 0);
    dd_buf_puts(&b, "{\"id\":");
    dd_buf_json_str(&b, id);
    dd_buf_puts(&b, ",\"images\":[");
    vctx_t c = {api, &b, 0, ""};
    dd_err_t se;
    if (dd_scanstore_images_with_vuln(api->o.store, id, vuln_image_cb, &c, &se) != DD_OK)
        return store_error(req, &b, &se);
    dd_buf_puts(&b, "]}");
    return dd_resp_json(req, 200, &b);
}

typedef struct fixed_ctx {
    dd_findings_api_t *api;
    const char *id;
    dd_buf_t *b;
    int n;
    char **affected; /* digests affected */
    size_t n_affected;
    char **repos;    /* repositories with an affected image */
    size_t n_repos;
} fixed_ctx_t;

static int collect_affected(const char *digest, const dd_finding_row_t *r, void *arg)
{
    fixed_ctx_t *c = arg;
    (void)r;
    if (c->n_affected && !strcmp(c->affected[c->n_affected - 1], digest)) return 0;
    c->affected = dd_realloc(c->affected, (c->n_affected + 1) * sizeof *c->affected);
    c->affected[c->n_affected++] = dd_strdup(digest);
    return 0;
}

static int collect_repo(const char *repo, const char *tag, void *arg)
{
    fixed_ctx_t *c = arg;
    (void)tag;
    if (!dd_auth_may_current(DD_ACT_SCAN_READ, repo)) return 0; /* auth.h: only what the caller may see */
    for (size_t i = 0; i < c->n_repos; i++)
        if (!strcmp(c->repos[i], repo)) return 0;
    c->repos = dd_realloc(c->repos, (c->n_repos + 1) * sizeof *c->repos);
    c->repos[c->n_repos++] = dd_strdup(repo);
    return 0;
}

static const char *fixed_repo;

static int fixed_image_cb(const dd_image_rec_t *r, void *arg)
{
    fixed_ctx_t *c = arg;
    if (r->state != DD_SCAN_DONE || r->is_index) return 0;
    for (size_t i = 0; i < c->n_affected; i++)
        if (!strcmp(c->affected[i], r->digest)) return 0;
    if (c->n++) dd_buf_putc(c->b, ',');
    image_summary_json(c->api, c->b, fixed_repo, r, true);
    return 0;
}

/* Images where the vulnerability is fixed: scanned images, in the
 * repositories that hold an affected image (or the one named by
 * ?repository=), whose findings don't include it. */
static int h_vuln_fixed(dd_req_t *req)
{
    dd_findings_api_t *api = req->ctx;
    const char *id = dd_req_var(req, "id");
    if (!vuln_id_valid(id)) return bad_param(req, "id", "invalid vulnerability id '%s'", id);
    const char *repo = dd_req_query(req, "repository");
    if (repo && !dd_auth_may(req, DD_ACT_SCAN_READ, repo)) return api_error(req, 403, "DENIED", "access denied");
    if (repo && dd_meta_repo_exists(api->o.meta, repo) != DD_OK) {
        return repo_unknown(req, repo);
    }
    dd_buf_t b;
    dd_buf_init(&b, 0);
    fixed_ctx_t c = {api, id, &b, 0, NULL, 0, NULL, 0};
    dd_err_t se;
    int src = dd_scanstore_images_with_vuln(api->o.store, id, collect_affected, &c, &se);
    if (src == DD_OK && repo) collect_repo(repo, NULL, &c);
    else
        for (size_t i = 0; src == DD_OK && i < c.n_affected; i++)
            src = dd_scanstore_image_repos(api->o.store, c.affected[i], collect_repo, &c, &se);
    dd_buf_puts(&b, "{\"id\":");
    dd_buf_json_str(&b, id);
    dd_buf_puts(&b, ",\"images\":[");
    for (size_t i = 0; src == DD_OK && i < c.n_repos; i++) {
        fixed_repo = c.repos[i];
        src = dd_scanstore_images(api->o.store, c.repos[i], NULL, 0, fixed_image_cb, &c, &se);
    }
    dd_buf_puts(&b, "]}");
    for (size_t i = 0; i < c.n_affected; i++) free(c.affected[i]);
    for (size_t i = 0; i < c.n_repos; i++) free(c.repos[i]);
    free(c.affected);
    free(c.repos);
    if (src != DD_OK) return store_error(req, &b, &se);
    return dd_resp_json(req, 200, &b);
}

typedef struct vdetail {
    const char *id;
    dd_buf_t *b;
    int found;
} vdetail_t;

static void put_json_or_null(dd_buf_t *b, const char *raw)
{
    if (raw && *raw) dd_buf_puts(b, raw);
    else dd_buf_puts(b, "null");
}

static void put_str_or_null(dd_buf_t *b, const char *s)
{
    if (s) dd_buf_json_str(b, s);
    else dd_buf_puts(b, "null");
}

static int vuln_detail_db(dd_vulndb_t *db, void *arg)
{
    vdetail_t *d = arg;
    if (!db) return 0;
    dd_vuln_t v;
    memset(&v, 0, sizeof v);
    if (dd_vulndb_get_vuln(db, d->id, &v) != DD_OK) return 0;
    d->found = 1;
    dd_buf_t *b = d->b;
    dd_buf_puts(b, ",\"summary\":");
    put_str_or_null(b, v.summary);
    dd_buf_puts(b, ",\"details\":");
    put_str_or_null(b, v.details ? v.details : v.nvd_description);
    dd_buf_puts(b, ",\"published\":");
    put_str_or_null(b, v.published ? v.published : v.nvd_published);
    dd_buf_puts(b, ",\"modified\":");
    put_str_or_null(b, v.modified);
    dd_severity_t sev = v.severity ? v.severity : v.cvss3_severity;
    if (sev == DD_SEV_UNKNOWN) {
        /* as the matcher: NVD first, then CISA ADP, then any source */
        const dd_cvss_t *m = dd_vuln_best_cvss(&v, "nvd", NULL);
        if (!m) m = dd_vuln_best_cvss(&v, "cve5", "cisa-adp");
        if (!m) m = dd_vuln_best_cvss(&v, NULL, NULL);
        if (m) sev = m->severity;
    }
    dd_buf_puts(b, ",\"severity\":");
    dd_buf_json_str(b, dd_severity_name(sev));
    dd_buf_puts(b, ",\"aliases\":");
    put_json_or_null(b, v.aliases_json);
    dd_buf_puts(b, ",\"upstream\":");
    put_json_or_null(b, v.upstream_json);
    dd_buf_puts(b, ",\"references\":");
    put_json_or_null(b, v.refs_json);
    if (v.cvss3_score > 0) {
        dd_buf_printf(b, ",\"cvss3\":{\"score\":%.1f,\"vector\":", v.cvss3_score);
        put_str_or_null(b, v.cvss3_vector);
        dd_buf_putc(b, '}');
    }
    if (v.cvss4_score > 0) {
        dd_buf_printf(b, ",\"cvss4\":{\"score\":%.1f,\"vector\":", v.cvss4_score);
        put_str_or_null(b, v.cvss4_vector);
        dd_buf_putc(b, '}');
    }
    dd_buf_puts(b, ",\"cwe\":");
    put_json_or_null(b, v.cwe_json);
    /* every CVSS metric stored, with its source (docs/vulndb.md#cvss) */
    dd_buf_puts(b, ",\"cvssMetrics\":[");
    for (size_t i = 0; i < v.n_cvss; i++) {
        const dd_cvss_t *m = &v.cvss[i];
        dd_buf_puts(b, i ? ",{\"feed\":" : "{\"feed\":");
        put_str_or_null(b, m->feed);
        dd_buf_puts(b, ",\"source\":");
        put_str_or_null(b, m->source);
        dd_buf_puts(b, ",\"origin\":");
        put_str_or_null(b, m->origin);
        dd_buf_puts(b, ",\"version\":");
        put_str_or_null(b, m->version);
        dd_buf_puts(b, ",\"vector\":");
        put_str_or_null(b, m->vector);
        if (m->score > 0) dd_buf_printf(b, ",\"score\":%.1f", m->score);
        else dd_buf_puts(b, ",\"score\":null");
        dd_buf_puts(b, ",\"severity\":");
        dd_buf_json_str(b, dd_severity_name(m->severity));
        dd_buf_printf(b, ",\"primary\":%s}", m->primary ? "true" : "false");
    }
    dd_buf_printf(b, "],\"knownExploited\":%s,\"kev\":", v.kev ? "true" : "false");
    if (v.kev) {
        const char *kv[] = {"dateAdded", v.kev_date_added, "dueDate", v.kev_due_date,
                            "knownRansomwareCampaignUse", v.kev_ransomware, "vulnerabilityName", v.kev_name,
                            "vendorProject", v.kev_vendor_project, "product", v.kev_product,
                            "requiredAction", v.kev_required_action, "notes", v.kev_notes};
        for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i += 2) {
            dd_buf_printf(b, "%s\"%s\":", i ? "," : "{", kv[i]);
            put_str_or_null(b, kv[i + 1]);
        }
        dd_buf_putc(b, '}');
    } else {
        dd_buf_puts(b, "null");
    }
    if (v.has_epss) dd_buf_printf(b, ",\"epss\":{\"score\":%.5f,\"percentile\":%.5f}", v.epss_score, v.epss_percentile);
    else dd_buf_puts(b, ",\"epss\":null");
    dd_vuln_release(&v);
    return 0;
}

static int h_vuln(dd_req_t *req)
{
    dd_findings_api_t *api = req->ctx;
    const char *id = dd_req_var(req, "id");
    if (!vuln_id_valid(id)) return bad_param(req, "id", "invalid vulnerability id '%s'", id);
    dd_buf_t b;
    dd_buf_init(&b, 0);
    dd_buf_puts(&b, "{\"id\":");
    dd_buf_json_str(&b, id);
    vdetail_t d = {id, &b, 0};
    dd_scanner_with_db(api->o.scanner, vuln_detail_db, &d);
    dd_buf_puts(&b, ",\"images\":[");
    vctx_t c = {api, &b, 0, ""};
    dd_err_t se;
    if (dd_scanstore_images_with_vuln(api->o.store, id, vuln_image_cb, &c, &se) != DD_OK)
        return store_error(req, &b, &se);
    dd_buf_puts(&b, "]}");
    if (!d.found && c.n == 0) {
        dd_buf_release(&b);
        char msg[300], c[256];
        snprintf(msg, sizeof msg, "vulnerability '%s' not found", clip(id, c, sizeof c));
        return api_error(req, 404, "NOT_FOUND", msg);
    }
    return dd_resp_json(req, 200, &b);
}

/* ---- database, history, scanner ---- */

static int db_status_cb(dd_vulndb_t *db, void *arg)
{
    dd_buf_t *b = arg;
    if (!db) {
        dd_buf_puts(b, "{\"status\":\"empty\",\"message\":\"no vulnerability data: run 'drydock db import' or 'drydock db update'\",\"feeds\":[]}");
        return 0;
    }
    dd_vulndb_status_t st;
    if (dd_vulndb_status(db, &st) != DD_OK) {
        dd_buf_puts(b, "{\"status\":\"error\"}");
        return 0;
    }
    dd_buf_printf(b, "{\"status\":\"ok\",\"schemaVersion\":%d,\"version\":%lld,\"built\":", st.schema_version,
                  (long long)st.version);
    dd_buf_json_str(b, st.built);
    dd_buf_puts(b, ",\"updated\":");
    dd_buf_json_str(b, st.updated);
    dd_buf_printf(b, ",\"records\":{\"vulnerabilities\":%ld,\"affected\":%ld,\"nvd\":%ld,", st.n_vulns,
                  st.n_affected, st.n_nvd);
    dd_buf_printf(b, "\"cvss\":%ld,\"kev\":%ld,\"epss\":%ld},\"feeds\":[", st.n_cvss, st.n_kev, st.n_epss);
    for (size_t i = 0; i < st.n_feeds; i++) {
        const dd_vulndb_feed_info_t *f = &st.feeds[i];
        if (i) dd_buf_putc(b, ',');
        dd_buf_puts(b, "{\"name\":");
        dd_buf_json_str(b, f->name);
        dd_buf_puts(b, ",\"source\":");
        dd_buf_json_str(b, f->source);
        dd_buf_puts(b, ",\"updated\":");
        dd_buf_json_str(b, f->updated);
        dd_buf_printf(b, ",\"records\":%ld,\"errors\":%ld}", f->records, f->errors);
    }
    dd_buf_puts(b, "]}");
    dd_vulndb_status_release(&st);
    return 0;
}

static int h_db(dd_req_t *req)
{
    dd_findings_api_t *api = req->ctx;
    dd_buf_t b;
    dd_buf_init(&b, 0);
    dd_scanner_with_db(api->o.scanner, db_status_cb, &b);
    return dd_resp_json(req, 200, &b);
}

typedef struct hctx {
    dd_buf_t *b;
    int n;
    dd_findings_api_t *api;
} hctx_t;

static int history_cb(const dd_history_row_t *h, void *arg)
{
    hctx_t *c = arg;
    if (!image_visible(c->api, h->image)) return 0; /* auth.h: only what the caller may see */
    if (c->n++) dd_buf_putc(c->b, ',');
    dd_buf_printf(c->b, "{\"id\":%lld,\"time\":", (long long)h->id);
    put_time(c->b, h->ts_ms);
    dd_buf_puts(c->b, ",\"image\":");
    dd_buf_json_str(c->b, h->image);
    dd_buf_puts(c->b, ",\"change\":");
    dd_buf_json_str(c->b, h->change);
    dd_buf_puts(c->b, ",\"vulnerability\":");
    dd_buf_json_str(c->b, h->vuln_id);
    dd_buf_puts(c->b, ",\"package\":");
    dd_buf_json_str(c->b, h->package);
    dd_buf_printf(c->b, ",\"dbVersion\":%lld}", (long long)h->db_version);
    return 0;
}

static int h_history(dd_req_t *req)
{
    dd_findings_api_t *api = req->ctx;
    const char *image = dd_req_query(req, "image");
    const char *since = dd_req_query(req, "since");
    const char *lim = dd_req_query(req, "limit");
    int64_t since_s = 0;
    size_t limit = 1000;
    if (image) {
        dd_digest_t d;
        if (dd_digest_parse(image, &d, NULL) != DD_OK) return bad_param(req, "image", "invalid image digest '%s'", image);
    }
    if (since && dd_time_parse(since, &since_s) != DD_OK)
        return bad_param(req, "since", "invalid time '%s' (RFC 3339, e.g. 2026-01-31T00:00:00Z)", since);
    if (lim && (parse_size(lim, 100000, &limit) || !limit))
        return bad_param(req, "limit", "invalid limit '%s'", lim);
    dd_buf_t b;
    dd_buf_init(&b, 0);
    dd_buf_puts(&b, "{\"changes\":[");
    hctx_t c = {&b, 0, api};
    dd_err_t se;
    if (dd_scanstore_history(api->o.store, image, since_s * 1000, limit, history_cb, &c, &se) != DD_OK)
        return store_error(req, &b, &se);
    dd_buf_puts(&b, "]}");
    return dd_resp_json(req, 200, &b);
}

static int h_scanner(dd_req_t *req)
{
    dd_findings_api_t *api = req->ctx;
    dd_scanner_counters_t c;
    dd_scanner_counters(api->o.scanner, &c);
    int64_t cached = 0;
    dd_err_t se;
    if (dd_scanstore_layer_count(api->o.store, &cached, &se) != DD_OK) return store_error(req, NULL, &se);
    dd_buf_t b;
    dd_buf_init(&b, 0);
    dd_buf_printf(&b,
                  "{\"layersAnalyzed\":%llu,\"layersStreamed\":%llu,\"layerCacheHits\":%llu,\"layersDeclined\":%llu,\"layersCached\":%lld,"
                  "\"imagesScanned\":%llu,\"imagesFailed\":%llu,\"rematches\":%llu,\"dbVersion\":%lld,"
                  "\"jobsPending\":%lld}",
                  (unsigned long long)c.layers_analyzed, (unsigned long long)c.layers_streamed,
                  (unsigned long long)c.layer_cache_hits,
                  (unsigned long long)c.layers_declined, (long long)cached,
                  (unsigned long long)c.images_scanned, (unsigned long long)c.images_failed,
                  (unsigned long long)c.rematches, (long long)c.db_version, (long long)c.jobs_pending);
    return dd_resp_json(req, 200, &b);
}

/* ---- the Azure-compatible view ---- */

static void guid_of(const char *a, const char *b, const char *c, char out[37])
{
    dd_hasher_t *h = dd_hasher_new(DD_DIGEST_SHA256);
    dd_hasher_update(h, a, strlen(a));
    dd_hasher_update(h, "\n", 1);
    dd_hasher_update(h, b, strlen(b));
    dd_hasher_update(h, "\n", 1);
    dd_hasher_update(h, c, strlen(c));
    dd_digest_t d;
    dd_hasher_final(h, &d);
    dd_hasher_free(h);
    const char *x = dd_digest_hex(&d);
    snprintf(out, 37, "%.8s-%.4s-4%.3s-a%.3s-%.12s", x, x + 8, x + 13, x + 17, x + 20);
}

static const char *json_str(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static void link_for(const char *id, char *out, size_t n)
{
    if (!strncmp(id, "CVE-", 4)) snprintf(out, n, "https://nvd.nist.gov/vuln/detail/%s", id);
    else if (!strncmp(id, "DSA-", 4) || !strncmp(id, "DLA-", 4) || !strncmp(id, "DTSA-", 5))
        snprintf(out, n, "https://security-tracker.debian.org/tracker/%s", id);
    else if (!strncmp(id, "USN-", 4)) snprintf(out, n, "https://ubuntu.com/security/notices/%s", id);
    else if (!strncmp(id, "GHSA-", 5)) snprintf(out, n, "https://github.com/advisories/%s", id);
    else snprintf(out, n, "https://osv.dev/vulnerability/%s", id);
}

int dd_azure_subassessment_json(const char *registry_host, const char *repo, const char *digest,
                                const dd_finding_row_t *f, int64_t time_ms, dd_buf_t *b)
{
    json_t *j = json_loads(f->json, 0, NULL);
    if (!j) j = json_object();
    char guid[37];
    guid_of(digest, f->vuln_id, f->package, guid);
    const char *title = json_str(j, "title");
    const char *desc = json_str(j, "description");
    const char *eco = json_str(j, "ecosystem");
    const char *published = json_str(j, "published");
    const char *sev = dd_severity_name((dd_severity_t)f->severity);
    dd_buf_puts(b, "{\"id\":");
    char *id = dd_asprintf("/registries/%s/repositories/%s/images/%s/providers/Microsoft.Security/assessments/"
                           DD_AZURE_ASSESSMENT_KEY "/subAssessments/%s",
                           registry_host, repo, digest, guid);
    dd_buf_json_str(b, id);
    free(id);
    dd_buf_puts(b, ",\"name\":");
    dd_buf_json_str(b, guid);
    dd_buf_puts(b, ",\"type\":\"Microsoft.Security/assessments/subAssessments\",\"properties\":{\"id\":");
    dd_buf_json_str(b, f->vuln_id);
    dd_buf_puts(b, ",\"displayName\":");
    char *dn = dd_asprintf("%s: %s %s", f->vuln_id, f->package, title ? title : "");
    size_t dl = strlen(dn);
    while (dl && dn[dl - 1] == ' ') dn[--dl] = '\0';
    dd_buf_json_str(b, dn);
    free(dn);
    dd_buf_puts(b, ",\"status\":{\"code\":\"Unhealthy\",\"severity\":");
    dd_buf_json_str(b, sev);
    dd_buf_puts(b, ",\"cause\":null,\"description\":");
    char *sd = dd_asprintf("%s severity vulnerability in %s %s", sev, f->package, f->version);
    dd_buf_json_str(b, sd);
    free(sd);
    dd_buf_puts(b, "},\"remediation\":");
    char *rem = f->fixed[0] ? dd_asprintf("Upgrade %s from %s to %s or later.", f->package, f->version, f->fixed)
                            : dd_asprintf("No fix is available yet for %s %s (%s); track the vendor advisory.",
                                          f->package, f->version, f->fix_state);
    dd_buf_json_str(b, rem);
    free(rem);
    dd_buf_puts(b, ",\"impact\":");
    char *imp = dd_asprintf("The image contains %s %s, which is affected by %s.", f->package, f->version, f->vuln_id);
    dd_buf_json_str(b, imp);
    free(imp);
    dd_buf_puts(b, ",\"category\":");
    char cat[64] = "";
    if (eco) {
        snprintf(cat, sizeof cat, "%s", eco);
        char *colon = strchr(cat, ':');
        if (colon) *colon = '\0';
    }
    dd_buf_json_str(b, cat[0] ? cat : "OS package");
    dd_buf_puts(b, ",\"description\":");
    put_str_or_null(b, desc ? desc : title);
    dd_buf_puts(b, ",\"timeGenerated\":");
    put_time(b, time_ms);
    dd_buf_puts(b, ",\"resourceDetails\":{\"source\":\"Drydock\",\"id\":");
    char *rid = dd_asprintf("/registries/%s/repositories/%s/images/%s", registry_host, repo, digest);
    dd_buf_json_str(b, rid);
    free(rid);
    dd_buf_puts(b, "},\"additionalData\":{\"assessedResourceType\":\"ContainerRegistryVulnerability\","
                   "\"type\":\"Vulnerability\",\"cvss\":");
    json_t *cvss = json_object_get(j, "cvss");
    if (json_is_object(cvss) && json_is_number(json_object_get(cvss, "score"))) {
        const char *vec = json_str(cvss, "vector");
        const char *ver = json_str(cvss, "version");
        /* Azure keys CVSS by major version: "2.0", "3.0" (3.0 and 3.1), and "4.0" */
        const char *key = ver ? (ver[0] == '2' ? "2.0" : ver[0] == '4' ? "4.0" : "3.0")
                              : (!vec || !strncmp(vec, "CVSS:3", 6)) ? "3.0" : !strncmp(vec, "CVSS:4", 6) ? "4.0" : "2.0";
        dd_buf_printf(b, "{%s\"%s\":{\"base\":%.1f,\"cvssVectorString\":", strcmp(key, "2.0") ? "\"2.0\":null," : "",
                      key, json_number_value(json_object_get(cvss, "score")));
        put_str_or_null(b, vec);
        dd_buf_puts(b, ",\"version\":");
        put_str_or_null(b, ver);
        dd_buf_puts(b, ",\"source\":");
        put_str_or_null(b, json_str(cvss, "source"));
        dd_buf_puts(b, "}}");
    } else {
        dd_buf_puts(b, "{\"2.0\":null,\"3.0\":null}");
    }
    /* severity provenance and exploitation, as the finding carries them */
    dd_buf_puts(b, ",\"severitySource\":");
    put_str_or_null(b, json_str(j, "severitySource"));
    dd_buf_puts(b, ",\"vendorSeverity\":");
    put_str_or_null(b, json_str(j, "vendorSeverity"));
    dd_buf_printf(b, ",\"knownExploited\":%s", json_is_true(json_object_get(j, "knownExploited")) ? "true" : "false");
    static const char *const objs[] = {"kev", "epss"};
    for (size_t k = 0; k < 2; k++) {
        json_t *o = json_object_get(j, objs[k]);
        char *txt = json_is_object(o) ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        dd_buf_printf(b, ",\"%s\":%s", objs[k], txt ? txt : "null");
        free(txt);
    }
    /* Azure's softwareDetails (the MDVM shape: category "OS" or "Language",
     * language, packageName, version, fixedVersion, fixStatus, evidence);
     * evidence is the path in the image the package was read from, and
     * packageType / path / layer carry Drydock's own names for them */
    const char *ptype = json_str(j, "type");
    const char *ppath = json_str(j, "path");
    static const struct { const char *type, *language; } langs[] = {
        {"cargo", "rust"}, {"composer", "php"}, {"gem", "ruby"},     {"golang", "go"},
        {"maven", "java"}, {"npm", "javascript"}, {"nuget", ".net"}, {"pypi", "python"},
    };
    const char *lang = NULL;
    for (size_t k = 0; ptype && k < sizeof langs / sizeof langs[0]; k++)
        if (!strcmp(ptype, langs[k].type)) lang = langs[k].language;
    dd_buf_puts(b, ",\"softwareDetails\":{\"category\":");
    dd_buf_json_str(b, lang ? "Language" : "OS");
    dd_buf_puts(b, ",\"language\":");
    dd_buf_json_str(b, lang ? lang : "");
    dd_buf_puts(b, ",\"packageName\":");
    dd_buf_json_str(b, f->package);
    dd_buf_puts(b, ",\"version\":");
    dd_buf_json_str(b, f->version);
    dd_buf_puts(b, ",\"fixedVersion\":");
    dd_buf_json_str(b, f->fixed);
    dd_buf_puts(b, ",\"fixStatus\":");
    dd_buf_json_str(b, f->fixed[0] ? "FixAvailable"
                       : !strcmp(f->fix_state, "will-not-fix") || !strcmp(f->fix_state, "end-of-life") ? "WontFix"
                       : !strcmp(f->fix_state, "not-fixed") || !strcmp(f->fix_state, "deferred") ? "NoFixAvailable"
                                                                                                  : "Unknown");
    dd_buf_puts(b, ",\"evidence\":[");
    if (ppath) dd_buf_json_str(b, ppath);
    dd_buf_puts(b, "],\"packageType\":");
    put_str_or_null(b, ptype);
    dd_buf_puts(b, ",\"path\":");
    put_str_or_null(b, ppath);
    dd_buf_puts(b, ",\"layer\":");
    put_str_or_null(b, json_str(j, "layer"));
    dd_buf_puts(b, "}");
    dd_buf_printf(b, ",\"patchable\":%s,\"cve\":[", f->fixed[0] ? "true" : "false");
    /* the finding's CVE ids: its id and CVE aliases */
    int nc = 0;
    char link[256];
    if (!strncmp(f->vuln_id, "CVE-", 4)) {
        link_for(f->vuln_id, link, sizeof link);
        dd_buf_puts(b, "{\"title\":");
        dd_buf_json_str(b, f->vuln_id);
        dd_buf_puts(b, ",\"link\":");
        dd_buf_json_str(b, link);
        dd_buf_putc(b, '}');
        nc++;
    }
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(j, "aliases"), i, v)
    {
        if (!json_is_string(v) || strncmp(json_string_value(v), "CVE-", 4)) continue;
        if (!strcmp(json_string_value(v), f->vuln_id)) continue;
        link_for(json_string_value(v), link, sizeof link);
        if (nc++) dd_buf_putc(b, ',');
        dd_buf_puts(b, "{\"title\":");
        dd_buf_json_str(b, json_string_value(v));
        dd_buf_puts(b, ",\"link\":");
        dd_buf_json_str(b, link);
        dd_buf_putc(b, '}');
    }
    dd_buf_puts(b, "],\"publishedTime\":");
    put_str_or_null(b, published);
    dd_buf_puts(b, ",\"vendorReferences\":[");
    int nv = 0;
    json_array_foreach(json_object_get(j, "advisories"), i, v)
    {
        if (!json_is_string(v)) continue;
        link_for(json_string_value(v), link, sizeof link);
        if (nv++) dd_buf_putc(b, ',');
        dd_buf_puts(b, "{\"title\":");
        dd_buf_json_str(b, json_string_value(v));
        dd_buf_puts(b, ",\"link\":");
        dd_buf_json_str(b, link);
        dd_buf_putc(b, '}');
    }
    json_array_foreach(json_object_get(j, "references"), i, v)
    {
        if (!json_is_string(v) || nv >= 10) continue;
        if (nv++) dd_buf_putc(b, ',');
        dd_buf_puts(b, "{\"title\":");
        dd_buf_json_str(b, json_string_value(v));
        dd_buf_puts(b, ",\"link\":");
        dd_buf_json_str(b, json_string_value(v));
        dd_buf_putc(b, '}');
    }
    dd_buf_puts(b, "],\"repositoryName\":");
    dd_buf_json_str(b, repo);
    dd_buf_puts(b, ",\"imageDigest\":");
    dd_buf_json_str(b, digest);
    dd_buf_puts(b, ",\"registryHost\":");
    dd_buf_json_str(b, registry_host);
    dd_buf_puts(b, ",\"package\":{\"name\":");
    dd_buf_json_str(b, f->package);
    dd_buf_puts(b, ",\"installedVersion\":");
    dd_buf_json_str(b, f->version);
    dd_buf_puts(b, ",\"fixedVersion\":");
    if (f->fixed[0]) dd_buf_json_str(b, f->fixed);
    else dd_buf_puts(b, "null");
    dd_buf_puts(b, "}}}}");
    json_decref(j);
    return DD_OK;
}

typedef struct azctx {
    dd_findings_api_t *api;
    dd_buf_t *b;
    size_t skip, top, seen, emitted;
    const char *repo, *digest;
    int64_t time_ms;
    int known_exploited;        /* the known_exploited filter (dd_findings_filter_t) */
    int src;                    /* a scan-store failure ends the walk: its rc, */
    dd_err_t se;                /* and why */
} azctx_t;

static int az_finding_cb(const dd_finding_row_t *r, void *arg)
{
    azctx_t *c = arg;
    size_t idx = c->seen++;
    if (idx < c->skip || c->emitted >= c->top) return 0;
    if (c->emitted++) dd_buf_putc(c->b, ',');
    dd_azure_subassessment_json(c->api->host, c->repo, c->digest, r, c->time_ms, c->b);
    return 0;
}

static void az_image(azctx_t *c, const char *repo, const dd_image_rec_t *r)
{
    if (r->state != DD_SCAN_DONE) return;
    if (r->is_index) {
        dd_image_child_t *ch;
        size_t nch;
        dd_scanstore_children(c->api->o.store, r->digest, &ch, &nch, NULL);
        for (size_t i = 0; i < nch; i++) {
            dd_image_rec_t cr;
            if (dd_scanstore_image_get(c->api->o.store, ch[i].digest, &cr, NULL) == DD_OK) az_image(c, repo, &cr);
        }
        free(ch);
        return;
    }
    char why[512];
    if (strcmp(dd_scanner_assess(c->api->o.scanner, r, why, sizeof why), "Unhealthy") != 0) return;
    c->repo = repo;
    c->digest = r->digest;
    c->time_ms = r->scanned_ms;
    size_t total = 0;
    dd_findings_filter_t f = {.min_severity = -1, .severity = -1, .known_exploited = c->known_exploited};
    /* count-only when the whole image lies before the page */
    dd_scanstore_findings(c->api->o.store, r->digest, &f, NULL, NULL, &total, NULL);
    if (c->seen + total <= c->skip || c->emitted >= c->top) {
        c->seen += total;
        return;
    }
    dd_scanstore_findings(c->api->o.store, r->digest, &f, az_finding_cb, c, NULL, NULL);
}

static int az_image_cb(const dd_image_rec_t *r, void *arg)
{
    azctx_t *c = arg;
    az_image(c, c->repo, r);
    return 0;
}

static int az_repo_cb(const char *repo, void *arg)
{
    azctx_t *c = arg;
    if (!dd_auth_may_current(DD_ACT_SCAN_READ, repo)) return 0; /* auth.h: only what the caller may see */
    char *keep = dd_strdup(repo);
    c->repo = keep;
    c->src = dd_scanstore_images(c->api->o.store, keep, NULL, 0, az_image_cb, c, &c->se);
    free(keep);
    return c->src != DD_OK;
}

static int parse_top_skip(dd_req_t *req, size_t page_max, size_t *top, size_t *skip)
{
    const char *v;
    *top = 100;
    *skip = 0;
    if ((v = dd_req_query(req, "$top")) && (parse_size(v, page_max, top) || !*top))
        return bad_param(req, "$top", "invalid $top '%s'", v), DD_EINVAL;
    if ((v = dd_req_query(req, "$skipToken")) && parse_size(v, (size_t)1 << 40, skip))
        return bad_param(req, "$skipToken", "invalid $skipToken '%s'", v), DD_EINVAL;
    return DD_OK;
}

static int h_subassessments(dd_req_t *req)
{
    dd_findings_api_t *api = req->ctx;
    size_t top, skip;
    if (parse_top_skip(req, api->o.page_max, &top, &skip)) return DD_OK;
    const char *repo = dd_req_query(req, "repository");
    const char *ref = dd_req_query(req, "digest");
    if (repo && !dd_auth_may(req, DD_ACT_SCAN_READ, repo)) return api_error(req, 403, "DENIED", "access denied");
    if (!ref) ref = dd_req_query(req, "reference");
    if (ref && !repo) return bad_param(req, "repository", "repository is required with a digest%s", "");
    dd_buf_t b;
    dd_buf_init(&b, 0);
    azctx_t c = {api, &b, skip, top, 0, 0, NULL, NULL, 0, 0, DD_OK, {0}};
    static const char *const akeys[] = {"repository", "digest", "reference", "known_exploited"};
    if (check_filter_values(req, akeys, sizeof akeys / sizeof akeys[0]) ||
        parse_kev_filter(req, &c.known_exploited)) {
        dd_buf_release(&b);
        return DD_OK;
    }
    if (repo && ref) {
        char digest[DD_DIGEST_MAX];
        if (resolve(api, req, repo, ref, digest)) {
            dd_buf_release(&b);
            return DD_OK;
        }
        dd_image_rec_t r;
        dd_buf_puts(&b, "{\"value\":[");
        c.repo = repo;
        if (dd_scanstore_image_get(api->o.store, digest, &r, NULL) == DD_OK) az_image(&c, repo, &r);
    } else if (repo) {
        if (dd_meta_repo_exists(api->o.meta, repo) != DD_OK) {
            dd_buf_release(&b);
            return repo_unknown(req, repo);
        }
        dd_buf_puts(&b, "{\"value\":[");
        az_repo_cb(repo, &c);
    } else {
        dd_buf_puts(&b, "{\"value\":[");
        dd_meta_catalog(api->o.meta, NULL, 0, az_repo_cb, &c);
    }
    if (c.src != DD_OK) return store_error(req, &b, &c.se);
    dd_buf_puts(&b, "],\"nextLink\":");
    if (c.seen > skip + c.emitted) {
        dd_buf_printf(&b, "\"/api/v1/subAssessments?$top=%zu&$skipToken=%zu", top, skip + c.emitted);
        static const char *const keys[] = {"repository", "digest", "reference", "known_exploited"};
        keep_params(&b, req, keys, sizeof keys / sizeof keys[0]);
        dd_buf_putc(&b, '"');
    } else {
        dd_buf_puts(&b, "null");
    }
    dd_buf_putc(&b, '}');
    return dd_resp_json(req, 200, &b);
}

typedef struct asctx {
    dd_findings_api_t *api;
    dd_buf_t *b;
    int n;
    const char *repo;
    dd_req_t *req;
    int src;                    /* a scan-store failure ends the walk: its rc, */
    dd_err_t se;                /* and why */
} asctx_t;

void dd_findings_assessment_json(dd_findings_api_t *api, const char *repo, const dd_image_rec_t *r, dd_buf_t *b)
{
    agg_t a;
    aggregate(api, r, &a);
    const char *code = !strcmp(a.status, "NotAssessed") ? "NotApplicable" : a.status;
    char *rid = dd_asprintf("/registries/%s/repositories/%s/images/%s", api->host, repo, r->digest);
    char *id = dd_asprintf("%s/providers/Microsoft.Security/assessments/" DD_AZURE_ASSESSMENT_KEY, rid);
    dd_buf_puts(b, "{\"id\":");
    dd_buf_json_str(b, id);
    dd_buf_puts(b, ",\"name\":\"" DD_AZURE_ASSESSMENT_KEY "\",\"type\":\"Microsoft.Security/assessments\","
                   "\"properties\":{\"displayName\":\"Container registry images should have vulnerability "
                   "findings resolved\",\"status\":{\"code\":");
    dd_buf_json_str(b, code);
    dd_buf_puts(b, ",\"cause\":");
    if (a.reason[0]) dd_buf_json_str(b, a.reason);
    else dd_buf_puts(b, "null");
    dd_buf_puts(b, ",\"description\":");
    int total = 0;
    for (int k = 0; k < DD_NSEV; k++) total += a.counts[k];
    char *desc = dd_asprintf("%d vulnerabilities found", total);
    dd_buf_json_str(b, desc);
    free(desc);
    dd_buf_puts(b, "},\"resourceDetails\":{\"source\":\"Drydock\",\"id\":");
    dd_buf_json_str(b, rid);
    dd_buf_puts(b, "},\"additionalData\":{\"assessedResourceType\":\"ContainerRegistryVulnerability\",\"repositoryName\":");
    dd_buf_json_str(b, repo);
    dd_buf_puts(b, ",\"imageDigest\":");
    dd_buf_json_str(b, r->digest);
    dd_buf_puts(b, ",\"registryHost\":");
    dd_buf_json_str(b, api->host);
    dd_buf_puts(b, ",\"counts\":{");
    for (int k = DD_NSEV - 1; k >= 0; k--) dd_buf_printf(b, "\"%s\":%d%s", sev_names[k], a.counts[k], k ? "," : "");
    dd_buf_puts(b, "}");
    if (!strcmp(code, "Unhealthy")) {
        dd_buf_puts(b, ",\"subAssessmentsLink\":\"/api/v1/subAssessments?repository=");
        dd_buf_pct_encode(b, repo, NULL);
        dd_buf_puts(b, "&digest=");
        dd_buf_pct_encode(b, r->digest, NULL);
        dd_buf_putc(b, '"');
    }
    dd_buf_puts(b, "}}}");
    free(rid);
    free(id);
    agg_release(&a);
}

static int as_image_cb(const dd_image_rec_t *r, void *arg)
{
    asctx_t *c = arg;
    if (!dd_findings_may_see(c->api, c->req, c->repo)) return 0;
    if (c->n++) dd_buf_putc(c->b, ',');
    dd_findings_assessment_json(c->api, c->repo, r, c->b);
    return 0;
}

static int as_repo_cb(const char *repo, void *arg)
{
    asctx_t *c = arg;
    if (!dd_auth_may_current(DD_ACT_SCAN_READ, repo)) return 0; /* auth.h: only what the caller may see */
    char *keep = dd_strdup(repo);
    c->repo = keep;
    c->src = dd_scanstore_images(c->api->o.store, keep, NULL, 0, as_image_cb, c, &c->se);
    free(keep);
    return c->src != DD_OK;
}

static int h_assessments(dd_req_t *req)
{
    dd_findings_api_t *api = req->ctx;
    const char *repo = dd_req_query(req, "repository");
    dd_buf_t b;
    dd_buf_init(&b, 0);
    dd_buf_puts(&b, "{\"value\":[");
    asctx_t c = {api, &b, 0, NULL, req, DD_OK, {0}};
    if (repo) as_repo_cb(repo, &c);
    else dd_meta_catalog(api->o.meta, NULL, 0, as_repo_cb, &c);
    if (c.src != DD_OK) return store_error(req, &b, &c.se);
    dd_buf_puts(&b, "],\"nextLink\":null}");
    return dd_resp_json(req, 200, &b);
}

/* ---- registration ---- */

#define R DD_ROUTE_REPO_NAME
static const dd_route_t routes[] = {
    {"GET", "/api/v1/assessments", h_assessments, DD_ACT_SCAN_READ, 0},
    {"GET", "/api/v1/db", h_db, DD_ACT_SCAN_READ, 0},
    {"GET", "/api/v1/history", h_history, DD_ACT_SCAN_READ, 0},
    {"GET", "/api/v1/images", h_images, DD_ACT_SCAN_READ, 0},
    {"POST", "/api/v1/query", dd_findings_h_query, DD_ACT_SCAN_READ, 0},
    {"GET", "/api/v1/repositories", h_repos, DD_ACT_SCAN_READ, 0},
    {"GET", "/api/v1/repositories/{name}/images", h_repo_images, DD_ACT_SCAN_READ, R},
    {"GET", "/api/v1/repositories/{name}/images/{ref}", h_image, DD_ACT_SCAN_READ, R},
    {"GET", "/api/v1/repositories/{name}/images/{ref}/findings", h_findings, DD_ACT_SCAN_READ, R},
    {"GET", "/api/v1/repositories/{name}/summary", h_repo_summary, DD_ACT_SCAN_READ, R},
    {"GET", "/api/v1/scanner", h_scanner, DD_ACT_SCAN_READ, 0},
    {"GET", "/api/v1/subAssessments", h_subassessments, DD_ACT_SCAN_READ, 0},
    {"GET", "/api/v1/summary", h_summary, DD_ACT_SCAN_READ, 0},
    {"GET", "/api/v1/vulnerabilities/{id}", h_vuln, DD_ACT_SCAN_READ, 0},
    {"GET", "/api/v1/vulnerabilities/{id}/fixed", h_vuln_fixed, DD_ACT_SCAN_READ, 0},
    {"GET", "/api/v1/vulnerabilities/{id}/images", h_vuln_images, DD_ACT_SCAN_READ, 0},
};
#undef R

const char *dd_findings_api_host(dd_findings_api_t *api) { return api->host; }
dd_scanstore_t *dd_findings_api_store(dd_findings_api_t *api) { return api->o.store; }
dd_meta_t *dd_findings_api_meta(dd_findings_api_t *api) { return api->o.meta; }
dd_scanner_t *dd_findings_api_scanner(dd_findings_api_t *api) { return api->o.scanner; }

bool dd_findings_may_see(dd_findings_api_t *api, dd_req_t *req, const char *repo)
{
    (void)api;
    return dd_auth_may(req, DD_ACT_SCAN_READ, repo); /* auth.h: the caller's role and repository globs */
}

void dd_findings_image_summary(dd_findings_api_t *api, const char *repo, const dd_image_rec_t *r, dd_buf_t *b)
{
    image_summary_json(api, b, repo, r, true);
}

static int api_error_fn(dd_req_t *req, int status, const char *code, const char *message)
{
    return api_error(req, status, code, message);
}

int dd_findings_api_new(const dd_findings_api_opts_t *o, dd_findings_api_t **out, dd_err_t *e)
{
    if (!o->meta || !o->store || !o->scanner) return dd_err(e, DD_EINVAL, "findings api needs meta, store and scanner");
    dd_findings_api_t *api = dd_calloc(1, sizeof *api);
    api->o = *o;
    if (!api->o.page_max) api->o.page_max = 1000;
    api->host = dd_strdup(o->registry_host ? o->registry_host : "localhost");
    *out = api;
    return DD_OK;
}

void dd_findings_api_free(dd_findings_api_t *api)
{
    if (!api) return;
    free(api->host);
    free(api);
}

void dd_findings_api_register(dd_findings_api_t *api, dd_http_server_t *srv)
{
    dd_http_register_routes(srv, routes, sizeof routes / sizeof routes[0], api);
    dd_findings_ui_register(api, srv); /* packages and SBOM (ui_api.c) */
    dd_http_set_error_fn(srv, "/api/", api_error_fn);
}
