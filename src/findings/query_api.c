/*
 * query_api.c: the query endpoint, POST /api/v1/query, and the two tables it
 * offers to the Kusto-like language (include/dd/query.h):
 *
 *   securityresources  assessments (one per image) and sub-assessments (one
 *                      per finding of an Unhealthy image), in the row shape of
 *                      Azure Resource Graph: id, name, type (lower case, as
 *                      Resource Graph normalizes it), tenantId,
 *                      subscriptionId, resourceGroup, properties (dynamic) -
 *                      properties are the Azure-compatible view's objects
 *                      (a sub-assessment's additionalData carries
 *                      severitySource, vendorSeverity, cvss, knownExploited,
 *                      kev and epss, and softwareDetails); two columns of
 *                      Drydock's own for sub-assessments: packageType
 *                      ("dpkg", "pypi", "golang"...) and path (the file in
 *                      the image an application package was read from,
 *                      else null);
 *   resources          repositories and images: id, name, type
 *                      ("drydock/repositories" | "drydock/images"),
 *                      repository, tags, digest, pushedTime, size,
 *                      scanStatus, status, os, platform, counts, properties
 *                      (an image's properties.knownExploitedFindings: how many
 *                      of its findings are in the CISA KEV catalog).
 *
 * Rows are built from the scan store and the metadata store for each query
 * (providers are re-entrant) and filtered to the repositories the caller may
 * see (the request's auth identity, when auth is on).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dd/findings.h"
#include "dd/query.h"
#include "findings_int.h"

typedef struct qctx {
    dd_findings_api_t *api;
    dd_req_t *req;
    dd_qscan_t *scan;
    int rc;        /* first emit or scan-store result that stops the walk */
} qctx_t;

/* A scan-store failure stops the walk (logged with its reason). */
static int store_failed(qctx_t *q, int rc, const dd_err_t *e)
{
    if (rc == DD_OK) return 0;
    dd_log(DD_LOG_ERROR, "query", "%s", e->msg);
    if (q->rc == DD_OK) q->rc = rc;
    return 1;
}

/* ---- securityresources ---- */

typedef struct srctx {
    qctx_t *q;
    const char *repo;
    const char *digest;
    int64_t time_ms;
    dd_buf_t b;
} srctx_t;

static int sub_cb(const dd_finding_row_t *r, void *arg)
{
    srctx_t *s = arg;
    dd_buf_reset(&s->b);
    dd_buf_puts(&s->b, "{\"tenantId\":\"\",\"subscriptionId\":\"\",\"resourceGroup\":\"\",");
    dd_buf_t az;
    dd_buf_init(&az, 0);
    dd_azure_subassessment_json(dd_findings_api_host(s->q->api), s->repo, s->digest, r, s->time_ms, &az);
    /* lower-case type as Resource Graph has it, then the object's members */
    dd_buf_puts(&s->b, "\"type\":\"microsoft.security/assessments/subassessments\",");
    const char *p = az.ptr + 1; /* skip '{' */
    dd_buf_append(&s->b, p, az.len - 1);
    dd_buf_release(&az);
    /* the object now has "type" twice; jansson keeps the last: fix order */
    json_t *j = json_loads(s->b.ptr, 0, NULL);
    int rc = DD_OK;
    if (j) {
        json_object_set_new(j, "type", json_string("microsoft.security/assessments/subassessments"));
        /* the package type and, for an application package, its path in the image */
        json_t *fj = json_loads(r->json ? r->json : "{}", 0, NULL);
        json_t *pt = json_object_get(fj, "type"), *pp = json_object_get(fj, "path");
        json_object_set_new(j, "packageType", json_is_string(pt) ? json_copy(pt) : json_null());
        json_object_set_new(j, "path", json_is_string(pp) ? json_copy(pp) : json_null());
        json_decref(fj);
        rc = dd_qscan_emit_json(s->q->scan, j);
        json_decref(j);
    }
    if (rc != DD_OK) {
        s->q->rc = rc;
        return 1;
    }
    return 0;
}

static int sr_image(srctx_t *s, const dd_image_rec_t *r);

static int sr_image_cb(const dd_image_rec_t *r, void *arg)
{
    return sr_image(arg, r);
}

static int sr_image(srctx_t *s, const dd_image_rec_t *r)
{
    qctx_t *q = s->q;
    if (r->is_index) return 0; /* platform images carry the findings */
    dd_buf_t b;
    dd_buf_init(&b, 0);
    dd_findings_assessment_json(q->api, s->repo, r, &b);
    json_t *j = json_loads(b.ptr, 0, NULL);
    dd_buf_release(&b);
    if (j) {
        json_object_set_new(j, "type", json_string("microsoft.security/assessments"));
        json_object_set_new(j, "tenantId", json_string(""));
        json_object_set_new(j, "subscriptionId", json_string(""));
        json_object_set_new(j, "resourceGroup", json_string(""));
        int rc = dd_qscan_emit_json(q->scan, j);
        json_decref(j);
        if (rc != DD_OK) {
            q->rc = rc;
            return 1;
        }
    }
    char why[512];
    if (strcmp(dd_scanner_assess(dd_findings_api_scanner(q->api), r, why, sizeof why), "Unhealthy") != 0) return 0;
    s->digest = r->digest;
    s->time_ms = r->scanned_ms;
    dd_findings_filter_t f = {.min_severity = -1, .severity = -1};
    dd_err_t se;
    store_failed(q, dd_scanstore_findings(dd_findings_api_store(q->api), r->digest, &f, sub_cb, s, NULL, &se), &se);
    return q->rc != DD_OK;
}

static int sr_repo_cb(const char *repo, void *arg)
{
    qctx_t *q = arg;
    if (!dd_findings_may_see(q->api, q->req, repo)) return 0;
    srctx_t s = {.q = q, .repo = repo};
    dd_buf_init(&s.b, 0);
    char *keep = dd_strdup(repo);
    s.repo = keep;
    dd_err_t se;
    store_failed(q, dd_scanstore_images(dd_findings_api_store(q->api), keep, NULL, 0, sr_image_cb, &s, &se), &se);
    free(keep);
    dd_buf_release(&s.b);
    return q->rc != DD_OK;
}

static const dd_qcolumn_t sr_columns[] = {
    {"id", DD_QT_STRING},       {"name", DD_QT_STRING},          {"type", DD_QT_STRING},
    {"tenantId", DD_QT_STRING}, {"subscriptionId", DD_QT_STRING}, {"resourceGroup", DD_QT_STRING},
    {"properties", DD_QT_DYNAMIC},
    /* Drydock's columns (sub-assessments only; null for assessments) */
    {"packageType", DD_QT_STRING}, {"path", DD_QT_STRING},
};

/* ---- resources ---- */

static const dd_qcolumn_t rs_columns[] = {
    {"id", DD_QT_STRING},        {"name", DD_QT_STRING},       {"type", DD_QT_STRING},
    {"repository", DD_QT_STRING}, {"tags", DD_QT_DYNAMIC},      {"digest", DD_QT_STRING},
    {"pushedTime", DD_QT_DATETIME}, {"size", DD_QT_LONG},       {"scanStatus", DD_QT_STRING},
    {"status", DD_QT_STRING},    {"os", DD_QT_STRING},         {"platform", DD_QT_STRING},
    {"counts", DD_QT_DYNAMIC},   {"properties", DD_QT_DYNAMIC},
};

typedef struct rsctx {
    qctx_t *q;
    const char *repo;
    int images, healthy, unhealthy;
    int counts[DD_NSEV];
} rsctx_t;

static int rs_image_cb(const dd_image_rec_t *r, void *arg)
{
    rsctx_t *s = arg;
    qctx_t *q = s->q;
    dd_buf_t b;
    dd_buf_init(&b, 0);
    dd_findings_image_summary(q->api, s->repo, r, &b);
    json_t *sum = json_loads(b.ptr, 0, NULL);
    dd_buf_release(&b);
    if (!sum) return 0;
    json_t *row = json_object();
    char *id = dd_asprintf("/registries/%s/repositories/%s/images/%s", dd_findings_api_host(q->api), s->repo,
                           r->digest);
    json_object_set_new(row, "id", json_string(id));
    free(id);
    json_object_set(row, "name", json_object_get(sum, "digest"));
    json_object_set_new(row, "type", json_string("drydock/images"));
    json_object_set_new(row, "repository", json_string(s->repo));
    json_object_set(row, "tags", json_object_get(sum, "tags"));
    json_object_set(row, "digest", json_object_get(sum, "digest"));
    json_object_set(row, "pushedTime", json_object_get(json_object_get(sum, "scan"), "pushedAt"));
    json_object_set(row, "size", json_object_get(sum, "size"));
    json_object_set(row, "scanStatus", json_object_get(json_object_get(sum, "scan"), "state"));
    json_object_set(row, "status", json_object_get(sum, "status"));
    json_object_set(row, "os", json_object_get(sum, "os"));
    json_object_set(row, "platform", json_object_get(sum, "platform"));
    json_object_set(row, "counts", json_object_get(sum, "counts"));
    if (!r->is_index) {
        /* how many of its findings are in the CISA KEV catalog */
        dd_findings_filter_t kf = {.min_severity = -1, .severity = -1, .known_exploited = 1};
        size_t nkev = 0;
        dd_err_t se;
        if (store_failed(q, dd_scanstore_findings(dd_findings_api_store(q->api), r->digest, &kf, NULL, NULL, &nkev,
                                                  &se), &se)) {
            json_decref(row);
            json_decref(sum);
            return 1;
        }
        json_object_set_new(sum, "knownExploitedFindings", json_integer((json_int_t)nkev));
    }
    json_object_set(row, "properties", sum);
    int rc = dd_qscan_emit_json(q->scan, row);
    json_decref(row);
    json_decref(sum);
    s->images++;
    for (int k = 0; k < DD_NSEV; k++) s->counts[k] += r->is_index ? 0 : r->counts[k];
    if (rc != DD_OK) {
        q->rc = rc;
        return 1;
    }
    return 0;
}

static int rs_repo_cb(const char *repo, void *arg)
{
    qctx_t *q = arg;
    if (!dd_findings_may_see(q->api, q->req, repo)) return 0;
    char *keep = dd_strdup(repo);
    rsctx_t s = {.q = q, .repo = keep};
    dd_err_t se;
    store_failed(q, dd_scanstore_images(dd_findings_api_store(q->api), keep, NULL, 0, rs_image_cb, &s, &se), &se);
    if (q->rc == DD_OK) {
        static const char *names[DD_NSEV] = {"unknown", "negligible", "low", "medium", "high", "critical"};
        json_t *row = json_object();
        char *id = dd_asprintf("/registries/%s/repositories/%s", dd_findings_api_host(q->api), keep);
        json_object_set_new(row, "id", json_string(id));
        free(id);
        json_object_set_new(row, "name", json_string(keep));
        json_object_set_new(row, "type", json_string("drydock/repositories"));
        json_object_set_new(row, "repository", json_string(keep));
        json_t *counts = json_object();
        int total = 0;
        for (int k = 0; k < DD_NSEV; k++) {
            json_object_set_new(counts, names[k], json_integer(s.counts[k]));
            total += s.counts[k];
        }
        json_object_set_new(counts, "total", json_integer(total));
        json_object_set(row, "counts", counts);
        json_t *props = json_object();
        json_object_set_new(props, "images", json_integer(s.images));
        json_object_set(props, "counts", counts);
        json_object_set_new(row, "properties", props);
        json_decref(counts);
        int rc = dd_qscan_emit_json(q->scan, row);
        json_decref(row);
        if (rc != DD_OK) q->rc = rc;
    }
    free(keep);
    return q->rc != DD_OK;
}

/* ---- providers (one pair per request, so scans know the caller) ---- */

typedef struct reqtables {
    dd_findings_api_t *api;
    dd_req_t *req;
    dd_qtable_provider_t sr, rs;
} reqtables_t;

static int walk(reqtables_t *t, dd_qscan_t *scan, int (*repo_cb)(const char *, void *))
{
    qctx_t q = {t->api, t->req, scan, DD_OK};
    dd_meta_catalog(dd_findings_api_meta(t->api), NULL, 0, repo_cb, &q);
    return q.rc == DD_DECLINED ? DD_OK : q.rc;
}

static int sr_scan(void *self, dd_qscan_t *scan, dd_err_t *e)
{
    (void)e;
    return walk(self, scan, sr_repo_cb);
}

static int rs_scan(void *self, dd_qscan_t *scan, dd_err_t *e)
{
    (void)e;
    return walk(self, scan, rs_repo_cb);
}

static int query_done(dd_req_t *req)
{
    dd_findings_api_t *api = req->ctx;
    if (dd_req_body_rc(req) == DD_ELIMIT) {
        dd_resp_error(req, 413, "TOO_LARGE", "query body larger than 1 MiB");
        return DD_OK;
    }
    size_t n = 0;
    const char *body = dd_req_body(req, &n);
    json_error_t je;
    json_t *j = body ? json_loadb(body, n, 0, &je) : NULL;
    json_t *qv = j ? json_object_get(j, "query") : NULL;
    if (!json_is_string(qv)) {
        json_decref(j);
        dd_buf_t b;
        dd_buf_init(&b, 0);
        dd_buf_puts(&b, "{\"error\":{\"code\":\"INVALID_PARAMETER\",\"parameter\":\"query\",\"message\":"
                        "\"the body must be a JSON object with a string member 'query'\"}}");
        return dd_resp_json(req, 400, &b);
    }
    size_t top = 1000, skip = 0;
    json_t *opts = json_object_get(j, "options");
    const char *bad = NULL;
    if (opts && !json_is_object(opts)) bad = "options";
    json_t *v;
    if (!bad && (v = json_object_get(opts, "$top"))) {
        if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 1000) bad = "$top";
        else top = (size_t)json_integer_value(v);
    }
    if (!bad && (v = json_object_get(opts, "$skip"))) {
        if (!json_is_integer(v) || json_integer_value(v) < 0) bad = "$skip";
        else skip = (size_t)json_integer_value(v);
    }
    if (!bad && (v = json_object_get(opts, "$skipToken"))) {
        if (!json_is_string(v) || dd_qskiptoken_decode(json_string_value(v), &skip) != DD_OK) bad = "$skipToken";
    }
    if (bad) {
        json_decref(j);
        dd_buf_t b;
        dd_buf_init(&b, 0);
        dd_buf_puts(&b, "{\"error\":{\"code\":\"INVALID_PARAMETER\",\"parameter\":");
        dd_buf_json_str(&b, bad);
        char msg[64];
        snprintf(msg, sizeof msg, "invalid value of option %s", bad);
        dd_buf_puts(&b, ",\"message\":");
        dd_buf_json_str(&b, msg);
        dd_buf_puts(&b, "}}");
        return dd_resp_json(req, 400, &b);
    }
    reqtables_t t = {api, req, {0}, {0}};
    t.sr = (dd_qtable_provider_t){DD_QPROVIDER_VERSION, "securityresources", sizeof sr_columns / sizeof sr_columns[0],
                                  sr_columns, sr_scan, &t};
    t.rs = (dd_qtable_provider_t){DD_QPROVIDER_VERSION, "resources", sizeof rs_columns / sizeof rs_columns[0],
                                  rs_columns, rs_scan, &t};
    dd_qcatalog_t cat;
    dd_qcatalog_init(&cat);
    dd_qcatalog_add(&cat, &t.sr, NULL);
    dd_qcatalog_add(&cat, &t.rs, NULL);
    dd_query_limits_t lim;
    dd_query_limits_default(&lim);
    lim.timeout_ms = 30000;
    lim.max_memory = 256u << 20;
    dd_qresult_t res;
    dd_err_t e;
    dd_err_clear(&e);
    int rc = dd_query_run(json_string_value(qv), &cat, &lim, &res, &e);
    json_decref(j);
    dd_buf_t b;
    dd_buf_init(&b, 0);
    int status = 200;
    if (rc == DD_OK) {
        dd_qresult_to_json(&res, skip, top, &b);
    } else {
        /* a query over its limits is the client's to fix, like a syntax error:
           400 with code QUERY_LIMIT (docs/query.md, "HTTP errors") */
        status = rc == DD_EINVAL || rc == DD_ELIMIT ? 400 : 500;
        dd_buf_puts(&b, "{\"error\":{\"code\":");
        dd_buf_json_str(&b, rc == DD_EINVAL ? "INVALID_QUERY" : rc == DD_ELIMIT ? "QUERY_LIMIT" : "INTERNAL");
        dd_buf_puts(&b, ",\"message\":");
        dd_buf_json_str(&b, e.msg);
        if (res.err_line) dd_buf_printf(&b, ",\"line\":%d,\"column\":%d", res.err_line, res.err_col);
        dd_buf_puts(&b, "}}");
    }
    dd_qresult_release(&res);
    dd_qcatalog_release(&cat);
    return dd_resp_json(req, status, &b);
}

int dd_findings_h_query(dd_req_t *req)
{
    return dd_req_buffer_body(req, 1u << 20, query_done);
}
