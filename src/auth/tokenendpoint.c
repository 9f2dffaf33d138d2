/*
 * tokenendpoint.c: the Docker token authentication endpoint.
 *
 *   GET  /auth/token?service=drydock&scope=repository:team/app:pull,push[&scope=..]
 *        Authorization: Basic base64(user:password | any:ddt_secret)   (optional)
 *   POST /auth/token  (application/x-www-form-urlencoded, OAuth2 password grant)
 *        grant_type=password&username=..&password=..&service=..&scope=..
 *
 * Answers {"token":JWT,"access_token":JWT,"expires_in":N,"issued_at":RFC3339}
 * where the JWT's access claim holds, for each requested scope, only the
 * actions the caller is actually allowed (Docker token spec: a scope the
 * caller may not use is granted with fewer actions or left out, never an
 * error). Without credentials the caller is anonymous: pull of the
 * anonymous-pull repositories only. Wrong credentials: 401; too many failed
 * logins: 429 with Retry-After.
 */
#include "auth/auth_int.h"

#include "dd/reference.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define MAX_SCOPES DD_JWT_ACCESS_MAX
#define FORM_MAX 8192

static int token_error(dd_req_t *req, int status, const char *code, const char *msg)
{
    if (status == 401) dd_resp_header(req, "WWW-Authenticate", "Basic realm=\"drydock\", charset=\"UTF-8\"");
    return dd_resp_error(req, status, code, msg);
}

/* Adds each space-separated scope of s to access (merging by type+name). */
static void add_scopes(const char *s, dd_scope_t *access, size_t *n)
{
    while (s && *s) {
        while (*s == ' ') s++;
        const char *end = strchr(s, ' ');
        size_t len = end ? (size_t)(end - s) : strlen(s);
        dd_scope_t sc;
        if (len && dd_scope_parse(s, len, &sc, NULL) == DD_OK) {
            size_t i = 0;
            for (; i < *n; i++)
                if (!strcmp(access[i].type, sc.type) && !strcmp(access[i].name, sc.name)) break;
            if (i < *n) access[i].actions |= sc.actions;
            else if (*n < MAX_SCOPES) access[(*n)++] = sc;
        }
        s += len;
    }
}

/* Keeps only what id may do. */
static size_t grant(const ident_t *id, dd_scope_t *access, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        dd_scope_t s = access[i];
        unsigned want = s.actions, got = 0;
        if (!strcmp(s.type, "repository") && dd_repo_name_valid(s.name)) {
            if (want & DD_SCOPE_ALL) want |= DD_SCOPE_PULL | DD_SCOPE_PUSH | DD_SCOPE_DELETE;
            if ((want & DD_SCOPE_PULL) && auth_ident_may(id, DD_ACT_PULL, s.name)) got |= DD_SCOPE_PULL;
            if ((want & DD_SCOPE_PUSH) && auth_ident_may(id, DD_ACT_PUSH, s.name)) got |= DD_SCOPE_PUSH;
            if ((want & DD_SCOPE_DELETE) && auth_ident_may(id, DD_ACT_DELETE, s.name)) got |= DD_SCOPE_DELETE;
        } else if (!strcmp(s.type, "registry") && !strcmp(s.name, "catalog")) {
            if ((want & DD_SCOPE_ALL) && auth_ident_may(id, DD_ACT_CATALOG, NULL)) got = DD_SCOPE_ALL;
        }
        if (!got) continue;
        s.actions = got;
        access[k++] = s;
    }
    return k;
}

/* The value of key in an x-www-form-urlencoded body (decoded), or NULL. */
static const char *form_get(dd_req_t *req, const char *body, size_t n, const char *key, const char **all, size_t max,
                            size_t *count)
{
    size_t kl = strlen(key), found = 0;
    const char *p = body, *end = body + n, *first = NULL;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *pe = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(pe - p));
        if (eq && (size_t)(eq - p) == kl && !memcmp(p, key, kl)) {
            const char *v = dd_http_query_decode(eq + 1, (size_t)(pe - eq - 1), &req->arena);
            if (v) {
                if (!first) first = v;
                if (all && found < max) all[found] = v;
                found++;
            }
        }
        p = amp ? amp + 1 : end;
    }
    if (count) *count = found < max ? found : max;
    return first;
}

static int issue(dd_req_t *req, const char *user, const char *pass, bool have_creds, const char **scopes,
                 size_t n_scopes, const char *service)
{
    dd_auth_t *a = req->ctx;
    if (service && *service && strcmp(service, a->service))
        return token_error(req, 400, "UNSUPPORTED", "unknown service");
    ident_t id;
    bool required = true;
    if (auth_refresh(a, &required) != DD_OK)
        return dd_resp_error(req, 503, "UNAVAILABLE", "authentication backend unavailable");
    if (!required) {
        auth_set_local(a, &id); /* auth is off: any client is the local owner */
    } else if (have_creds) {
        int64_t retry = 0;
        int rc = auth_check_basic(a, req, user, pass, &id, &retry);
        if (rc == DD_ELIMIT) {
            dd_resp_headerf(req, "Retry-After", "%lld", (long long)retry);
            return dd_resp_error(req, 429, "TOOMANYREQUESTS", "too many failed logins; retry later");
        }
        if (rc != DD_OK) return token_error(req, 401, "UNAUTHORIZED", "invalid credentials");
    } else {
        auth_set_anon(a, &id);
    }
    dd_scope_t access[MAX_SCOPES];
    size_t n = 0;
    for (size_t i = 0; i < n_scopes; i++) add_scopes(scopes[i], access, &n);
    n = grant(&id, access, n);
    const char *sub = id.kind == ID_ANON ? "" : id.name;
    int64_t now = dd_now_ms() / 1000;
    dd_buf_t jwt;
    dd_buf_init(&jwt, DD_JWT_MAX);
    int rc = dd_jwt_sign(a->key, sizeof a->key, a->kid, "drydock", a->service, sub, now, a->token_ttl_s, access, n,
                         &jwt);
    if (rc != DD_OK) {
        dd_buf_release(&jwt);
        return dd_resp_error(req, 500, "INTERNAL", "cannot sign token");
    }
    dd_buf_t detail;
    dd_buf_init(&detail, 4096);
    for (size_t i = 0; i < n; i++) {
        dd_buf_printf(&detail, "%s%s:%s:", i ? " " : "", access[i].type, access[i].name);
        dd_scope_actions_str(access[i].actions, &detail);
    }
    if (id.kind != ID_ANON)
        dd_audit_event(a->audit, "token_issued", id.name, dd_req_peer(req), req->method, req->path, NULL, NULL, 200,
                       detail.ptr ? detail.ptr : "");
    dd_buf_release(&detail);
    char ts[32];
    dd_time_rfc3339(now, ts);
    dd_buf_t b;
    dd_buf_init(&b, 0);
    dd_buf_puts(&b, "{\"token\":");
    dd_buf_json_str(&b, jwt.ptr);
    dd_buf_puts(&b, ",\"access_token\":");
    dd_buf_json_str(&b, jwt.ptr);
    dd_buf_printf(&b, ",\"expires_in\":%lld,\"issued_at\":\"%s\"}", (long long)a->token_ttl_s, ts);
    dd_buf_release(&jwt);
    dd_resp_header(req, "Cache-Control", "no-store");
    return dd_resp_json(req, 200, &b);
}

static int post_done(dd_req_t *req)
{
    if (dd_req_body_rc(req) != DD_OK) return token_error(req, 413, "SIZE_INVALID", "form too large");
    size_t n;
    const char *body = dd_req_body(req, &n);
    const char *gt = form_get(req, body, n, "grant_type", NULL, 0, NULL);
    if (!gt || strcmp(gt, "password"))
        return token_error(req, 400, "UNSUPPORTED", "unsupported grant_type (only 'password')");
    const char *user = form_get(req, body, n, "username", NULL, 0, NULL);
    const char *pass = form_get(req, body, n, "password", NULL, 0, NULL);
    if (!user || !pass) return token_error(req, 400, "UNSUPPORTED", "username and password are required");
    const char *scopes[MAX_SCOPES];
    size_t ns = 0;
    form_get(req, body, n, "scope", scopes, MAX_SCOPES, &ns);
    return issue(req, user, pass, true, scopes, ns, form_get(req, body, n, "service", NULL, 0, NULL));
}

int auth_h_token(dd_req_t *req)
{
    if (!strcmp(req->method, "POST")) return dd_req_buffer_body(req, FORM_MAX, post_done);
    const char *scopes[MAX_SCOPES];
    size_t ns = dd_req_query_all(req, "scope", scopes, MAX_SCOPES);
    const char *h = dd_req_header(req, "Authorization");
    const char *user = NULL, *pass = NULL;
    if (h) {
        if (strncasecmp(h, "Basic ", 6) || auth_parse_basic(req, h, &user, &pass) != DD_OK)
            return token_error(req, 401, "UNAUTHORIZED", "malformed Basic credentials");
    }
    return issue(req, user, pass, h != NULL, scopes, ns, dd_req_query(req, "service"));
}
