/*
 * ui_api.c: an image's packages and its SBOM, for the web console's image
 * page (issue 16) and for scripts:
 *
 *   GET /api/v1/repositories/<name>/images/<ref>/packages[?q=&limit=&offset=]
 *       {"repository", "digest", "os", "packages": [{name, version, type,
 *        sourceName, sourceVersion, arch, license, path, layerIndex, purl}],
 *        "total", "offset", "limit", "next"}
 *   GET /api/v1/repositories/<name>/images/<ref>/sbom
 *       the CycloneDX 1.5 JSON SBOM (the report module's writer, the same
 *       document as `drydock scan --format cyclonedx`, components only),
 *       as an attachment
 *
 * Both read the inventory the scanner stored for the image (scan store,
 * invcodec.c); an image without one (not scanned yet, unsupported, or an
 * index: ask for one of its platform images) is 404 NOT_FOUND with a reason.
 * Packages are listed in inventory order; q keeps the names that contain it.
 */
#include "dd/findings.h"
#include "dd/report.h"
#include "dd/scanner.h"
#include "dd/scanstore.h"
#include "findings_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int err(dd_req_t *req, int status, const char *code, const char *param, const char *message)
{
    dd_buf_t b;
    dd_buf_init(&b, 0);
    dd_buf_puts(&b, "{\"error\":{\"code\":");
    dd_buf_json_str(&b, code);
    if (param) {
        dd_buf_puts(&b, ",\"parameter\":");
        dd_buf_json_str(&b, param);
    }
    dd_buf_puts(&b, ",\"message\":");
    dd_buf_json_str(&b, message);
    dd_buf_puts(&b, "}}");
    return dd_resp_json(req, status, &b);
}

/* Resolves the request's image and decodes its stored inventory into inv
 * (dd_inventory_init'ed). DD_OK, or an error response was set. */
static int load(dd_findings_api_t *api, dd_req_t *req, char digest[DD_DIGEST_MAX], dd_inventory_t *inv)
{
    const char *repo = req->name, *ref = dd_req_var(req, "ref");
    char msg[600];
    if (dd_meta_repo_exists(dd_findings_api_meta(api), repo) != DD_OK) {
        snprintf(msg, sizeof msg, "repository '%s' not found", repo);
        err(req, 404, "NAME_UNKNOWN", NULL, msg);
        return DD_ENOTFOUND;
    }
    dd_manifest_rec_t m;
    memset(&m, 0, sizeof m);
    if (dd_meta_manifest_get(dd_findings_api_meta(api), repo, ref, &m) != DD_OK) {
        snprintf(msg, sizeof msg, "image '%s' not found in repository '%s'", ref, repo);
        err(req, 404, "MANIFEST_UNKNOWN", NULL, msg);
        return DD_ENOTFOUND;
    }
    snprintf(digest, DD_DIGEST_MAX, "%s", m.digest.str);
    dd_manifest_rec_release(&m);
    dd_buf_t raw;
    dd_buf_init(&raw, 0);
    dd_err_t se;
    int src = dd_scanstore_inventory_get(dd_findings_api_store(api), digest, &raw, &se);
    if (src != DD_OK && src != DD_ENOTFOUND) {
        dd_buf_release(&raw);
        dd_log(DD_LOG_ERROR, req->id, "%s", se.msg);
        err(req, 500, "INTERNAL_ERROR", NULL, se.msg);
        return src;
    }
    if (src != DD_OK) {
        dd_buf_release(&raw);
        err(req, 404, "NOT_FOUND", NULL,
            "no package inventory for this image (not scanned yet, not supported, or an index: "
            "ask for one of its platform images)");
        return DD_ENOTFOUND;
    }
    dd_err_t e;
    int rc = dd_inventory_decode(raw.ptr, raw.len, inv, NULL, NULL, &e);
    dd_buf_release(&raw);
    if (rc != DD_OK) {
        dd_log(DD_LOG_ERROR, req->id, "stored inventory of %s: %s", digest, e.msg);
        err(req, 500, "INTERNAL_ERROR", NULL, "cannot read the stored inventory");
        return rc;
    }
    return DD_OK;
}

static int parse_size(const char *s, size_t max, size_t *out)
{
    if (!s || !*s || s[0] == '-') return DD_EINVAL;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || v > max) return DD_EINVAL;
    *out = (size_t)v;
    return DD_OK;
}

static void opt_str(dd_buf_t *b, const char *key, const char *v)
{
    dd_buf_printf(b, ",\"%s\":", key);
    if (v) dd_buf_json_str(b, v);
    else dd_buf_puts(b, "null");
}

static int h_packages(dd_req_t *req)
{
    dd_findings_api_t *api = req->ctx;
    size_t limit = 100, offset = 0;
    const char *ls = dd_req_query(req, "limit"), *os = dd_req_query(req, "offset"), *q = dd_req_query(req, "q");
    if (ls && (parse_size(ls, 1000, &limit) || limit == 0))
        return err(req, 400, "INVALID_PARAMETER", "limit", "limit must be 1 to 1000");
    if (os && parse_size(os, (size_t)1 << 40, &offset))
        return err(req, 400, "INVALID_PARAMETER", "offset", "offset must be a number >= 0");
    if (q && strlen(q) > 256) return err(req, 400, "INVALID_PARAMETER", "q", "q is longer than 256 bytes");
    char digest[DD_DIGEST_MAX];
    dd_inventory_t inv;
    dd_inventory_init(&inv);
    if (load(api, req, digest, &inv) != DD_OK) {
        dd_inventory_release(&inv);
        return DD_OK;
    }
    dd_buf_t b, purl;
    dd_buf_init(&b, 0); /* no cap: the page is bounded by `limit` */
    dd_buf_init(&purl, 256);
    dd_buf_puts(&b, "{\"repository\":");
    dd_buf_json_str(&b, req->name);
    dd_buf_printf(&b, ",\"digest\":\"%s\"", digest);
    opt_str(&b, "os", inv.os.ecosystem);
    dd_buf_puts(&b, ",\"packages\":[");
    size_t total = 0, shown = 0;
    for (size_t i = 0; i < inv.n; i++) {
        const dd_package_t *p = &inv.pkgs[i];
        if (q && *q && (!p->name || !strstr(p->name, q))) continue;
        if (total++ < offset || shown >= limit) continue;
        if (shown++) dd_buf_puts(&b, ",");
        dd_buf_puts(&b, "{\"name\":");
        dd_buf_json_str(&b, p->name ? p->name : "");
        opt_str(&b, "version", p->version);
        opt_str(&b, "type", dd_pkg_type_name(p->type));
        opt_str(&b, "sourceName", p->source_name);
        opt_str(&b, "sourceVersion", p->source_version);
        opt_str(&b, "arch", p->arch);
        opt_str(&b, "license", p->license);
        opt_str(&b, "path", dd_pkg_type_is_app(p->type) ? p->db_path : NULL);
        if (p->layer >= 0) dd_buf_printf(&b, ",\"layerIndex\":%d", p->layer);
        else dd_buf_puts(&b, ",\"layerIndex\":null");
        purl.len = 0;
        dd_report_purl(&inv, p, &purl);
        opt_str(&b, "purl", purl.len ? purl.ptr : NULL);
        dd_buf_puts(&b, "}");
    }
    dd_buf_printf(&b, "],\"total\":%zu,\"offset\":%zu,\"limit\":%zu,\"next\":", total, offset, limit);
    if (offset + shown < total) {
        dd_buf_t next;
        dd_buf_init(&next, 256);
        dd_buf_printf(&next, "/api/v1/repositories/%s/images/%s/packages?offset=%zu&limit=%zu", req->name,
                      dd_req_var(req, "ref"), offset + shown, limit);
        if (q && *q) {
            dd_buf_puts(&next, "&q=");
            for (const unsigned char *c = (const unsigned char *)q; *c; c++) {
                if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                    strchr("-._~", *c))
                    dd_buf_append(&next, c, 1);
                else dd_buf_printf(&next, "%%%02X", *c);
            }
        }
        dd_buf_json_str(&b, next.ptr);
        dd_buf_release(&next);
    } else {
        dd_buf_puts(&b, "null");
    }
    dd_buf_puts(&b, "}");
    dd_buf_release(&purl);
    dd_inventory_release(&inv);
    return dd_resp_json(req, 200, &b);
}

static int h_sbom(dd_req_t *req)
{
    dd_findings_api_t *api = req->ctx;
    char digest[DD_DIGEST_MAX];
    dd_inventory_t inv;
    dd_inventory_init(&inv);
    if (load(api, req, digest, &inv) != DD_OK) {
        dd_inventory_release(&inv);
        return DD_OK;
    }
    char *name = dd_asprintf("%s/%s@%s", dd_findings_api_host(api), req->name, digest);
    dd_findings_t none;
    memset(&none, 0, sizeof none);
    dd_report_image_t im = {.img = NULL, .name = name, .inv = &inv, .f = &none};
    dd_report_t r = {.target = name, .images = &im, .n_images = 1};
    dd_buf_t out;
    dd_buf_init(&out, 16384);
    dd_err_t e;
    int rc = dd_report_write(DD_REPORT_CYCLONEDX, &r, &out, &e);
    free(name);
    dd_inventory_release(&inv);
    if (rc != DD_OK) {
        dd_buf_release(&out);
        dd_log(DD_LOG_ERROR, req->id, "sbom of %s: %s", digest, e.msg);
        return err(req, 500, "INTERNAL_ERROR", NULL, "cannot write the sbom");
    }
    const char *hex = strchr(digest, ':');
    dd_resp_headerf(req, "Content-Disposition", "attachment; filename=\"sbom-%.12s.cdx.json\"", hex ? hex + 1 : digest);
    int ret = dd_resp_bytes(req, 200, "application/vnd.cyclonedx+json; version=1.5", out.ptr, out.len);
    dd_buf_release(&out);
    return ret;
}

#define R DD_ROUTE_REPO_NAME
static const dd_route_t routes[] = {
    {"GET", "/api/v1/repositories/{name}/images/{ref}/packages", h_packages, DD_ACT_SCAN_READ, R},
    {"GET", "/api/v1/repositories/{name}/images/{ref}/sbom", h_sbom, DD_ACT_SCAN_READ, R},
};

void dd_findings_ui_register(dd_findings_api_t *api, dd_http_server_t *srv)
{
    dd_http_register_routes(srv, routes, sizeof routes / sizeof routes[0], api);
}
