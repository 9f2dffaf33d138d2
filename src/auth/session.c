/*
 * session.c: sign-in for the web console (issue 16): a session cookie
 * carrying the same users and roles as the API.
 *
 *   GET    /api/v1/session   who the caller is: {"authRequired", "signedIn",
 *                            "user", "role", "repos", "csrf"}; always 200
 *   POST   /api/v1/session   {"user": .., "password": ..} (application/json)
 *                            -> Set-Cookie dd_session=..; the same answer
 *   DELETE /api/v1/session   sign out (X-CSRF-Token needed), clears the cookie
 *
 * Design notes
 *
 *   The cookie holds an HS256 JWT signed with the server's key (jwt.key)
 *   whose audience is "<service>-console", so it is never accepted as a
 *   Bearer token (audience <service>) nor the reverse. Its subject must still
 *   exist on every request (hook.c), so deleting a user ends its sessions at
 *   once; role and repository globs are read from the store each time.
 *   Cookie attributes: HttpOnly; SameSite=Strict; Path=/; Max-Age = the
 *   session lifetime (12 h); Secure when the server speaks TLS.
 *
 *   CSRF: a request authenticated by the cookie whose method changes state
 *   (anything but GET/HEAD) must carry X-CSRF-Token = hex(HMAC-SHA256(key,
 *   "csrf:" + the session's jti)), which only a page of this origin can read
 *   (GET /api/v1/session). SameSite=Strict is the second fence. The sign-in
 *   POST itself needs a JSON body, which no cross-site form can send
 *   without a CORS preflight that this server never approves.
 *
 *   Sign-out revokes the session's jti in a small in-memory table (until the
 *   token expires), so a copied cookie stops working after sign-out; a
 *   restart forgets the table (the 12 h lifetime still bounds it).
 *
 *   Failed sign-ins go through the same rate limits and audit events as
 *   Basic credentials (auth_check_basic). Robot token secrets cannot sign
 *   in: sessions are for people.
 */
#include "auth/auth_int.h"

#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define SESSION_TTL_S (12 * 3600)
#define SESSION_COOKIE "dd_session"
#define LOGIN_BODY_MAX 8192
#define REVOKED_MAX 256

static pthread_mutex_t rv_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
    char jti[40];
    int64_t exp;
} revoked[REVOKED_MAX];
static size_t rv_next;

static bool is_revoked(const char *jti, int64_t now)
{
    bool r = false;
    pthread_mutex_lock(&rv_mu);
    for (size_t i = 0; i < REVOKED_MAX && !r; i++)
        r = revoked[i].exp > now && !strcmp(revoked[i].jti, jti);
    pthread_mutex_unlock(&rv_mu);
    return r;
}

static void revoke(const char *jti, int64_t exp)
{
    pthread_mutex_lock(&rv_mu);
    snprintf(revoked[rv_next].jti, sizeof revoked[rv_next].jti, "%s", jti);
    revoked[rv_next].exp = exp;
    rv_next = (rv_next + 1) % REVOKED_MAX;
    pthread_mutex_unlock(&rv_mu);
}

static void audience(const dd_auth_t *a, char *out, size_t n)
{
    snprintf(out, n, "%s-console", a->service);
}

void auth_session_csrf(const dd_auth_t *a, const char *jti, char out[65])
{
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    char msg[64];
    int n = snprintf(msg, sizeof msg, "csrf:%s", jti);
    crypto_auth_hmacsha256(mac, (const unsigned char *)msg, (unsigned long long)n, a->key);
    sodium_bin2hex(out, 65, mac, sizeof mac);
}

const char *dd_cookie_find(const char *header, const char *name, size_t *len)
{
    size_t kl = strlen(name);
    for (const char *p = header; p && *p;) {
        while (*p == ' ' || *p == '\t' || *p == ';') p++;
        if (!strncmp(p, name, kl) && p[kl] == '=') {
            const char *v = p + kl + 1;
            size_t n = strcspn(v, ";");
            while (n && (v[n - 1] == ' ' || v[n - 1] == '\t')) n--;
            *len = n;
            return v;
        }
        p = strchr(p, ';');
    }
    return NULL;
}

/* The dd_session cookie's value in the request arena, or NULL. */
static const char *cookie_value(dd_req_t *req)
{
    size_t n = 0;
    const char *v = dd_cookie_find(dd_req_header(req, "Cookie"), SESSION_COOKIE, &n);
    if (!v || n == 0 || n > DD_JWT_MAX) return NULL;
    return dd_arena_strndup(&req->arena, v, n);
}

int auth_session_identify(dd_auth_t *a, dd_req_t *req, ident_t *id, dd_jwt_claims_t *c)
{
    const char *tok = cookie_value(req);
    if (!tok) return DD_ENOTFOUND;
    char aud[160];
    audience(a, aud, sizeof aud);
    dd_err_t e;
    int64_t now = dd_now_ms() / 1000;
    if (dd_jwt_verify(a->key, sizeof a->key, "drydock", aud, now, 30, tok, strlen(tok), c, &e) != DD_OK) {
        dd_log(DD_LOG_DEBUG, req->id, "session cookie refused: %s", e.msg);
        return DD_EAUTH;
    }
    if (!c->sub[0] || !strncmp(c->sub, "robot:", 6) || is_revoked(c->jti, now)) return DD_EAUTH;
    if (!auth_lookup_subject(a, c->sub, id)) return DD_EAUTH;
    return DD_OK;
}

bool auth_session_csrf_ok(dd_auth_t *a, dd_req_t *req, const dd_jwt_claims_t *c)
{
    const char *m = req->method;
    if (!strcmp(m, "GET") || !strcmp(m, "HEAD")) return true;
    const char *got = dd_req_header(req, "X-CSRF-Token");
    char want[65];
    auth_session_csrf(a, c->jti, want);
    return got && strlen(got) == 64 && sodium_memcmp(got, want, 64) == 0;
}

/* {"authRequired":..,"signedIn":..,"user":..,"role":..,"repos":..,"csrf":..} */
static int answer(dd_req_t *req, int status, bool required, const ident_t *id, const char *csrf)
{
    bool in = id && (id->kind == ID_LOCAL || id->kind == ID_USER || id->kind == ID_TOKEN);
    dd_buf_t b;
    dd_buf_init(&b, 256);
    dd_buf_printf(&b, "{\"authRequired\":%s,\"signedIn\":%s,\"user\":", required ? "true" : "false",
                  in ? "true" : "false");
    if (in) dd_buf_json_str(&b, id->name);
    else dd_buf_puts(&b, "null");
    dd_buf_puts(&b, ",\"role\":");
    if (in) dd_buf_json_str(&b, dd_role_name(id->role));
    else dd_buf_puts(&b, "null");
    dd_buf_puts(&b, ",\"repos\":");
    if (in) dd_buf_json_str(&b, id->repos);
    else dd_buf_puts(&b, "null");
    dd_buf_puts(&b, ",\"csrf\":");
    if (csrf) dd_buf_json_str(&b, csrf);
    else dd_buf_puts(&b, "null");
    dd_buf_puts(&b, "}");
    dd_resp_header(req, "Cache-Control", "no-store");
    return dd_resp_json(req, status, &b);
}

static void set_cookie(dd_auth_t *a, dd_req_t *req, const char *value, int64_t max_age)
{
    dd_resp_headerf(req, "Set-Cookie", SESSION_COOKIE "=%s; Path=/; Max-Age=%lld; HttpOnly; SameSite=Strict%s", value,
                    (long long)max_age, a->tls ? "; Secure" : "");
}

static int h_session_get(dd_req_t *req)
{
    dd_auth_t *a = req->ctx;
    bool required = true;
    if (auth_refresh(a, &required) != DD_OK)
        return dd_resp_error(req, 503, "UNAVAILABLE", "authentication backend unavailable");
    ident_t id;
    if (!required) {
        auth_set_local(a, &id);
        return answer(req, 200, false, &id, NULL);
    }
    dd_jwt_claims_t *c = dd_arena_alloc(&req->arena, sizeof *c);
    if (auth_session_identify(a, req, &id, c) != DD_OK) return answer(req, 200, true, NULL, NULL);
    char csrf[65];
    auth_session_csrf(a, c->jti, csrf);
    return answer(req, 200, true, &id, csrf);
}

static int login_done(dd_req_t *req)
{
    dd_auth_t *a = req->ctx;
    if (dd_req_body_rc(req) == DD_ELIMIT) return dd_resp_error(req, 413, "BAD_REQUEST", "sign-in body too large");
    size_t n = 0;
    const char *body = dd_req_body(req, &n);
    json_error_t je;
    json_t *j = body ? json_loadb(body, n, 0, &je) : NULL;
    const char *user = j ? json_string_value(json_object_get(j, "user")) : NULL;
    const char *pass = j ? json_string_value(json_object_get(j, "password")) : NULL;
    if (!user || !pass) {
        json_decref(j);
        return dd_resp_error(req, 400, "BAD_REQUEST", "expected {\"user\": .., \"password\": ..}");
    }
    ident_t id;
    int64_t retry = 0;
    int rc = DD_EAUTH;
    if (*user && !dd_str_startswith(pass, DD_TOKEN_PREFIX)) rc = auth_check_basic(a, req, user, pass, &id, &retry);
    json_decref(j);
    if (rc == DD_ELIMIT) {
        dd_resp_headerf(req, "Retry-After", "%lld", (long long)retry);
        return dd_resp_error(req, 429, "TOOMANYREQUESTS", "too many failed sign-ins; retry later");
    }
    if (rc != DD_OK || id.kind != ID_USER)
        return dd_resp_error(req, 401, "UNAUTHORIZED", "wrong user name or password");
    dd_buf_t tok;
    dd_buf_init(&tok, 1024);
    char aud[160];
    audience(a, aud, sizeof aud);
    if (dd_jwt_sign(a->key, sizeof a->key, a->kid, "drydock", aud, id.name, dd_now_ms() / 1000, SESSION_TTL_S, NULL,
                    0, &tok) != DD_OK || !tok.ptr) {
        dd_buf_release(&tok);
        return dd_resp_error(req, 500, "INTERNAL_ERROR", "cannot sign the session");
    }
    dd_jwt_claims_t c;
    dd_err_t e;
    if (dd_jwt_verify(a->key, sizeof a->key, "drydock", aud, dd_now_ms() / 1000, 30, tok.ptr, tok.len, &c, &e) !=
        DD_OK) {
        dd_buf_release(&tok);
        return dd_resp_error(req, 500, "INTERNAL_ERROR", "cannot sign the session");
    }
    set_cookie(a, req, tok.ptr, SESSION_TTL_S);
    dd_buf_release(&tok);
    dd_audit_event(a->audit, "session", id.name, dd_req_peer(req), req->method, req->path, NULL, NULL, 0, NULL);
    char csrf[65];
    auth_session_csrf(a, c.jti, csrf);
    return answer(req, 200, true, &id, csrf);
}

static int h_session_post(dd_req_t *req)
{
    dd_auth_t *a = req->ctx;
    bool required = true;
    if (auth_refresh(a, &required) != DD_OK)
        return dd_resp_error(req, 503, "UNAVAILABLE", "authentication backend unavailable");
    if (!required) {
        ident_t id;
        auth_set_local(a, &id);
        return answer(req, 200, false, &id, NULL);
    }
    const char *ct = dd_req_header(req, "Content-Type");
    if (!ct || strncasecmp(ct, "application/json", 16))
        return dd_resp_error(req, 415, "UNSUPPORTED", "sign-in takes application/json");
    return dd_req_buffer_body(req, LOGIN_BODY_MAX, login_done);
}

static int h_session_delete(dd_req_t *req)
{
    dd_auth_t *a = req->ctx;
    ident_t id;
    dd_jwt_claims_t *c = dd_arena_alloc(&req->arena, sizeof *c);
    if (auth_session_identify(a, req, &id, c) == DD_OK) {
        if (!auth_session_csrf_ok(a, req, c))
            return dd_resp_error(req, 403, "DENIED", "missing or invalid csrf token");
        revoke(c->jti, c->exp);
        dd_audit_event(a->audit, "session_end", id.name, dd_req_peer(req), req->method, req->path, NULL, NULL, 0,
                       NULL);
    }
    set_cookie(a, req, "", 0);
    return dd_resp_empty(req, 204);
}

const dd_route_t auth_session_routes[] = {
    {"DELETE", "/api/v1/session", h_session_delete, DD_ACT_NONE, 0},
    {"GET", "/api/v1/session", h_session_get, DD_ACT_NONE, 0},
    {"POST", "/api/v1/session", h_session_post, DD_ACT_NONE, 0},
};
const size_t auth_n_session_routes = sizeof auth_session_routes / sizeof auth_session_routes[0];
