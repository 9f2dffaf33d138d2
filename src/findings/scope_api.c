/*
 * scope_api.c: the scan scope (which repositories are scanned) read and
 * changed at run time by Owners (the web console's Administration page,
 * issue 16):
 *
 *   GET /api/v1/admin/scan-scope   {"enabled", "include", "exclude", "source"}
 *   PUT /api/v1/admin/scan-scope   {"include", "exclude"} -> 200 the same document
 *
 * include and exclude are comma-separated repository globs as in the
 * scan-include / scan-exclude settings ("" = every repository / none);
 * enabled is the `scan` setting (not editable here). A change applies to
 * pushes from then on (an image skipped before is scanned at its next
 * push), is written to DATA/scan-scope.json (0600, replaced atomically),
 * which overrides the configuration's globs at the next start ("source":
 * "console" then, "config" before any change), and goes to the audit log
 * (event scan_scope, the caller as actor).
 */
#include "dd/auth.h"
#include "dd/findings.h"
#include "dd/scanner.h"
#include "findings_int.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define SCOPE_FILE "scan-scope.json"
#define GLOBS_MAX 1000 /* the scanner matches lists of up to this many bytes */
#define BODY_MAX 8192

static int check_globs(const char *name, const char *v, char *msg, size_t msgsz)
{
    dd_err_t e;
    if (strlen(v) >= GLOBS_MAX) {
        snprintf(msg, msgsz, "%s is longer than %d bytes", name, GLOBS_MAX - 1);
        return DD_EINVAL;
    }
    if (*v && dd_globs_validate(v, &e) != DD_OK) {
        snprintf(msg, msgsz, "%s: %s", name, e.msg);
        return DD_EINVAL;
    }
    return DD_OK;
}

int dd_findings_scope_load(dd_scanner_t *sc, const char *data_dir, dd_err_t *e)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", data_dir, SCOPE_FILE);
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je);
    if (!j) {
        if (access(path, F_OK) != 0 && errno == ENOENT) return DD_OK; /* never changed: the configuration's */
        return dd_err(e, DD_EINVAL, "scan scope '%s': %s", path, je.text);
    }
    const char *in = json_string_value(json_object_get(j, "include"));
    const char *ex = json_string_value(json_object_get(j, "exclude"));
    char msg[512];
    int rc = DD_OK;
    if (!json_is_object(j) || !in || !ex) rc = dd_err(e, DD_EINVAL, "scan scope '%s': expected {\"include\", \"exclude\"}", path);
    else if (check_globs("include", in, msg, sizeof msg) || check_globs("exclude", ex, msg, sizeof msg))
        rc = dd_err(e, DD_EINVAL, "scan scope '%s': %s", path, msg);
    else dd_scanner_scope_set(sc, in, ex);
    json_decref(j);
    return rc;
}

static int scope_json(dd_req_t *req, dd_findings_api_t *api)
{
    char *in, *ex;
    bool enabled;
    dd_scanner_scope_get(dd_findings_api_scanner(api), &in, &ex, &enabled);
    const char *dir = dd_findings_api_data_dir(api);
    bool saved = false;
    if (dir) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, SCOPE_FILE);
        saved = access(path, F_OK) == 0;
    }
    dd_buf_t b;
    dd_buf_init(&b, 0);
    dd_buf_printf(&b, "{\"enabled\":%s,\"include\":", enabled ? "true" : "false");
    dd_buf_json_str(&b, in);
    dd_buf_puts(&b, ",\"exclude\":");
    dd_buf_json_str(&b, ex);
    dd_buf_printf(&b, ",\"source\":\"%s\"}", saved ? "console" : "config");
    free(in);
    free(ex);
    dd_resp_header(req, "Cache-Control", "no-store");
    return dd_resp_json(req, 200, &b);
}

static int h_scope_get(dd_req_t *req)
{
    return scope_json(req, req->ctx);
}

/* DATA/scan-scope.json, replaced atomically */
static int save(const char *dir, const char *in, const char *ex)
{
    char path[4096], tmp[4200];
    snprintf(path, sizeof path, "%s/%s", dir, SCOPE_FILE);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    json_t *j = json_pack("{s:s, s:s}", "include", in, "exclude", ex);
    char *text = j ? json_dumps(j, JSON_SORT_KEYS) : NULL;
    json_decref(j);
    if (!text) return DD_EIO;
    int rc = DD_EIO;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd >= 0) {
        size_t n = strlen(text);
        bool ok = write(fd, text, n) == (ssize_t)n && write(fd, "\n", 1) == 1 && fsync(fd) == 0;
        if (close(fd) == 0 && ok && rename(tmp, path) == 0) rc = DD_OK;
        else unlink(tmp);
    }
    free(text);
    return rc;
}

static int put_done(dd_req_t *req)
{
    dd_findings_api_t *api = req->ctx;
    if (dd_req_body_rc(req) == DD_ELIMIT) return dd_resp_error(req, 413, "BAD_REQUEST", "body too large");
    size_t n = 0;
    const char *body = dd_req_body(req, &n);
    json_error_t je;
    json_t *j = body ? json_loadb(body, n, 0, &je) : NULL;
    const char *in = json_string_value(json_object_get(j, "include"));
    const char *ex = json_string_value(json_object_get(j, "exclude"));
    char msg[512];
    if (!json_is_object(j) || !in || !ex) {
        json_decref(j);
        return dd_resp_error(req, 400, "INVALID_PARAMETER",
                             "expected a JSON object {\"include\", \"exclude\"} of repository globs (\"\" = all / none)");
    }
    if (check_globs("include", in, msg, sizeof msg) || check_globs("exclude", ex, msg, sizeof msg)) {
        json_decref(j);
        return dd_resp_error(req, 400, "INVALID_PARAMETER", msg);
    }
    const char *dir = dd_findings_api_data_dir(api);
    if (dir && save(dir, in, ex) != DD_OK) {
        json_decref(j);
        dd_log(DD_LOG_ERROR, req->id, "cannot write %s/%s", dir, SCOPE_FILE);
        return dd_resp_error(req, 500, "INTERNAL_ERROR", "cannot store the scan scope");
    }
    char *old_in, *old_ex;
    dd_scanner_scope_get(dd_findings_api_scanner(api), &old_in, &old_ex, NULL);
    char detail[4200];
    snprintf(detail, sizeof detail, "include '%s' -> '%s', exclude '%s' -> '%s'", old_in, in, old_ex, ex);
    free(old_in);
    free(old_ex);
    dd_scanner_scope_set(dd_findings_api_scanner(api), in, ex);
    json_decref(j);
    dd_audit_change(dd_findings_api_audit(api), "scan_scope", dd_auth_actor(req), "scan-scope", detail);
    return scope_json(req, api);
}

static int h_scope_put(dd_req_t *req)
{
    const char *ct = dd_req_header(req, "Content-Type");
    if (!ct || strncasecmp(ct, "application/json", 16))
        return dd_resp_error(req, 415, "UNSUPPORTED", "expected application/json");
    return dd_req_buffer_body(req, BODY_MAX, put_done);
}

static const dd_route_t routes[] = {
    {"GET", "/api/v1/admin/scan-scope", h_scope_get, DD_ACT_ADMIN, 0},
    {"PUT", "/api/v1/admin/scan-scope", h_scope_put, DD_ACT_ADMIN, 0},
};

void dd_findings_scope_register(dd_findings_api_t *api, dd_http_server_t *srv)
{
    dd_http_register_routes(srv, routes, sizeof routes / sizeof routes[0], api);
}
