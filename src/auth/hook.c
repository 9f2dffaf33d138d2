/*
 * hook.c: the server side of authentication: the identity cache, the auth
 * hook the HTTP front calls before every protected route, dd_auth_may() for
 * handlers that filter lists, and the first-start bootstrap (JWT key,
 * admin user).
 *
 * Design notes
 *
 *   When auth applies (auth_refresh): never while no user and no active
 *   robot token exists AND the server listens on loopback only (or was
 *   started with --insecure-no-auth); always otherwise. The store's auth
 *   generation (one primary-key read) is checked on every request, so a
 *   `drydock user add`, `user del` or `token revoke` run by another process
 *   takes effect on the next request.
 *
 *   A request (hook):
 *     no Authorization      -> anonymous: pulls of anonymous-pull repos only
 *     Basic user:password   -> user (argon2id; verified passwords are cached
 *                              5 min under a keyed hash, per generation)
 *     Basic any:ddt_...     -> robot token (SHA-256 of the secret looked up)
 *     Bearer ddt_...        -> robot token
 *     Bearer <JWT>          -> token endpoint's JWT: signature, iss, aud,
 *                              exp/nbf/iat, and its subject must still exist
 *     Cookie dd_session=..  -> the web console's session (session.c), with
 *                              X-CSRF-Token on every state change
 *   Then the decision: the identity's role must allow the route's action,
 *   its repository globs must match the repository, and for a JWT on a
 *   registry action the token's access claim must also grant it (the
 *   intersection, so a revoked or downgraded identity loses access at once).
 *
 *   401 (UNAUTHORIZED + WWW-Authenticate: Bearer on /v2/, Basic elsewhere)
 *   when there are no valid credentials or an anonymous caller is refused;
 *   403 (DENIED) when an authenticated caller is not allowed; 429
 *   (TOOMANYREQUESTS + Retry-After) when failed logins for the user from
 *   this address (or, ten times as many, from the address for any user)
 *   exhausted their bucket. Never per user alone: an attacker elsewhere must
 *   not lock the owner out (issue 20 item 8), and a correct login clears its
 *   (user, address) bucket.
 */
#include "auth/auth_int.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define JWT_LEEWAY_S 30

/* ---- identity cache -------------------------------------------------------- */

struct collect {
    void *v;
    size_t n;
    size_t size;
};

static int collect_user(const dd_user_rec_t *u, void *arg)
{
    struct collect *c = arg;
    c->v = dd_realloc(c->v, (c->n + 1) * c->size);
    memcpy((char *)c->v + c->n * c->size, u, c->size);
    c->n++;
    return 0;
}

static int collect_token(const dd_token_rec_t *t, void *arg)
{
    struct collect *c = arg;
    c->v = dd_realloc(c->v, (c->n + 1) * c->size);
    memcpy((char *)c->v + c->n * c->size, t, c->size);
    c->n++;
    return 0;
}

static bool token_active(const dd_token_rec_t *t, int64_t now_ms)
{
    return t->revoked_ms == 0 && (t->expires_ms == 0 || t->expires_ms > now_ms);
}

static bool required_locked(dd_auth_t *a)
{
    if (a->n_users > 0) return true;
    int64_t now = dd_now_ms();
    for (size_t i = 0; i < a->n_tokens; i++)
        if (token_active(&a->tokens[i], now)) return true;
    return !(a->loopback_only || a->insecure_no_auth);
}

int auth_refresh(dd_auth_t *a, bool *required)
{
    uint64_t g = 0;
    int rc = dd_meta_auth_generation(a->meta, &g);
    if (rc != DD_OK) {
        *required = true; /* fail closed */
        return rc;
    }
    pthread_rwlock_rdlock(&a->lk);
    if (a->loaded && a->gen == g) {
        *required = required_locked(a);
        pthread_rwlock_unlock(&a->lk);
        return DD_OK;
    }
    pthread_rwlock_unlock(&a->lk);
    struct collect cu = {NULL, 0, sizeof(dd_user_rec_t)}, ct = {NULL, 0, sizeof(dd_token_rec_t)};
    rc = dd_meta_users_each(a->meta, collect_user, &cu);
    if (rc == DD_OK) rc = dd_meta_tokens_each(a->meta, collect_token, &ct);
    if (rc != DD_OK) {
        free(cu.v);
        free(ct.v);
        *required = true;
        return rc;
    }
    pthread_rwlock_wrlock(&a->lk);
    if (!a->loaded || a->gen != g) {
        if (a->users) sodium_memzero(a->users, a->n_users * sizeof *a->users);
        free(a->users);
        free(a->tokens);
        a->users = cu.v;
        a->n_users = cu.n;
        a->tokens = ct.v;
        a->n_tokens = ct.n;
        a->gen = g;
        a->loaded = true;
        cu.v = ct.v = NULL;
    }
    *required = required_locked(a);
    pthread_rwlock_unlock(&a->lk);
    free(cu.v);
    free(ct.v);
    return DD_OK;
}

void auth_set_local(dd_auth_t *a, ident_t *id)
{
    (void)a;
    memset(id, 0, sizeof *id);
    id->kind = ID_LOCAL;
    id->role = DD_ROLE_OWNER;
    snprintf(id->name, sizeof id->name, "local");
}

void auth_set_anon(dd_auth_t *a, ident_t *id)
{
    memset(id, 0, sizeof *id);
    id->kind = ID_ANON;
    id->anon = a->anon;
    snprintf(id->name, sizeof id->name, "anonymous");
}

/* Finds an active robot token by its secret (constant-time hash compare). */
static bool lookup_token_secret(dd_auth_t *a, const char *secret, ident_t *id)
{
    char hex[65];
    dd_token_hash(secret, hex);
    int64_t now = dd_now_ms();
    bool found = false;
    pthread_rwlock_rdlock(&a->lk);
    for (size_t i = 0; i < a->n_tokens; i++) {
        const dd_token_rec_t *t = &a->tokens[i];
        if (dd_ct_equal(t->hash, hex, 64) && token_active(t, now) && !found) {
            memset(id, 0, sizeof *id);
            id->kind = ID_TOKEN;
            snprintf(id->name, sizeof id->name, "robot:%s", t->id);
            if (dd_role_parse(t->role, &id->role) != DD_OK) id->role = DD_ROLE_NONE;
            snprintf(id->repos, sizeof id->repos, "%s", t->repos);
            found = true;
        }
    }
    pthread_rwlock_unlock(&a->lk);
    return found;
}

/* Finds a JWT's subject; false if it no longer exists (or was revoked). */
bool auth_lookup_subject(dd_auth_t *a, const char *sub, ident_t *id)
{
    int64_t now = dd_now_ms();
    bool found = false;
    pthread_rwlock_rdlock(&a->lk);
    if (!strncmp(sub, "robot:", 6)) {
        for (size_t i = 0; i < a->n_tokens && !found; i++) {
            const dd_token_rec_t *t = &a->tokens[i];
            if (strcmp(t->id, sub + 6) || !token_active(t, now)) continue;
            memset(id, 0, sizeof *id);
            id->kind = ID_TOKEN;
            snprintf(id->name, sizeof id->name, "%s", sub);
            if (dd_role_parse(t->role, &id->role) != DD_OK) id->role = DD_ROLE_NONE;
            snprintf(id->repos, sizeof id->repos, "%s", t->repos);
            found = true;
        }
    } else {
        for (size_t i = 0; i < a->n_users && !found; i++) {
            const dd_user_rec_t *u = &a->users[i];
            if (strcmp(u->name, sub)) continue;
            memset(id, 0, sizeof *id);
            id->kind = ID_USER;
            snprintf(id->name, sizeof id->name, "%s", u->name);
            if (dd_role_parse(u->role, &id->role) != DD_OK) id->role = DD_ROLE_NONE;
            snprintf(id->repos, sizeof id->repos, "%s", u->repos);
            found = true;
        }
    }
    pthread_rwlock_unlock(&a->lk);
    return found;
}

static void pw_key(dd_auth_t *a, const char *user, const char *pass, uint8_t k[32])
{
    crypto_hash_sha256_state c;
    crypto_hash_sha256_init(&c);
    crypto_hash_sha256_update(&c, a->pepper, sizeof a->pepper);
    crypto_hash_sha256_update(&c, (const unsigned char *)user, strlen(user) + 1);
    crypto_hash_sha256_update(&c, (const unsigned char *)pass, strlen(pass));
    crypto_hash_sha256_final(&c, k);
}

static bool pwcache_hit(dd_auth_t *a, const uint8_t k[32], uint64_t gen, int64_t now)
{
    bool hit = false;
    pthread_mutex_lock(&a->cmu);
    for (size_t i = 0; i < PWCACHE_SLOTS; i++)
        if (a->pwc[i].exp_ms > now && a->pwc[i].gen == gen && dd_ct_equal(a->pwc[i].k, k, 32)) hit = true;
    pthread_mutex_unlock(&a->cmu);
    return hit;
}

static void pwcache_put(dd_auth_t *a, const uint8_t k[32], uint64_t gen, int64_t now)
{
    pthread_mutex_lock(&a->cmu);
    struct pwc *p = &a->pwc[a->pwc_next++ % PWCACHE_SLOTS];
    memcpy(p->k, k, 32);
    p->gen = gen;
    p->exp_ms = now + PWCACHE_TTL_MS;
    pthread_mutex_unlock(&a->cmu);
}

/* Verifies a user's password (argon2id, or the cache). */
static bool check_user_password(dd_auth_t *a, const char *user, const char *pass, ident_t *id, bool *cached)
{
    char hash[DD_AUTH_PWHASH_MAX] = "";
    bool found = false;
    uint64_t gen;
    *cached = false;
    pthread_rwlock_rdlock(&a->lk);
    gen = a->gen;
    for (size_t i = 0; i < a->n_users && !found; i++) {
        const dd_user_rec_t *u = &a->users[i];
        if (strcmp(u->name, user)) continue;
        memset(id, 0, sizeof *id);
        id->kind = ID_USER;
        snprintf(id->name, sizeof id->name, "%s", u->name);
        if (dd_role_parse(u->role, &id->role) != DD_OK) id->role = DD_ROLE_NONE;
        snprintf(id->repos, sizeof id->repos, "%s", u->repos);
        memcpy(hash, u->pwhash, sizeof hash);
        found = true;
    }
    pthread_rwlock_unlock(&a->lk);
    uint8_t k[32];
    pw_key(a, user, pass, k);
    int64_t now = dd_now_ms();
    if (!found) {
        /* spend comparable time so a missing user is not told apart */
        static const char dummy[] =
            "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$ZHVtbXloYXNoZHVtbXloYXNoZHVtbXloYXNoZHVtbXk";
        (void)dd_password_verify(dummy, pass);
        return false;
    }
    if (pwcache_hit(a, k, gen, now)) {
        *cached = true;
        return true;
    }
    bool ok = dd_password_verify(hash, pass);
    sodium_memzero(hash, sizeof hash);
    if (ok) pwcache_put(a, k, gen, now);
    return ok;
}

int auth_parse_basic(dd_req_t *req, const char *hdr, const char **user, const char **pass)
{
    const char *p = hdr + 6;
    while (*p == ' ') p++;
    size_t n = strlen(p);
    while (n && p[n - 1] == ' ') n--;
    if (n == 0 || n > 4096) return DD_EINVAL;
    char *out = dd_arena_alloc(&req->arena, n + 1);
    size_t bin = 0;
    if (sodium_base642bin((unsigned char *)out, n, p, n, NULL, &bin, NULL, sodium_base64_VARIANT_ORIGINAL) != 0)
        return DD_EINVAL;
    out[bin] = '\0';
    if (strlen(out) != bin) return DD_EINVAL;
    char *colon = strchr(out, ':');
    if (!colon) return DD_EINVAL;
    *colon = '\0';
    *user = out;
    *pass = colon + 1;
    return DD_OK;
}

int auth_check_basic(dd_auth_t *a, dd_req_t *req, const char *user, const char *pass, ident_t *id,
                     int64_t *retry_s)
{
    const char *ip = dd_req_peer(req);
    char kip[80], kpair[160];
    snprintf(kip, sizeof kip, "ip:%s", ip);
    /* a bare robot secret has no user name: its pair is the address's */
    snprintf(kpair, sizeof kpair, "ua:%.64s@%s", user, ip);
    int64_t now = dd_now_ms();
    const char *who = dd_user_name_valid(user) ? user : "(invalid)";
    int64_t w1 = dd_ratelimit_check(a->rl_ip, kip, now), w2 = dd_ratelimit_check(a->rl, kpair, now);
    if (w1 || w2) {
        *retry_s = w1 > w2 ? w1 : w2;
        dd_audit_event(a->audit, "login_limited", who, ip, req->method, req->path, NULL, NULL, 429, NULL);
        return DD_ELIMIT;
    }
    bool ok, cached = false;
    if (dd_str_startswith(pass, DD_TOKEN_PREFIX)) {
        ok = lookup_token_secret(a, pass, id);
    } else {
        ok = dd_user_name_valid(user) && dd_password_check(pass, NULL) == DD_OK &&
             check_user_password(a, user, pass, id, &cached);
    }
    if (!ok) {
        dd_ratelimit_hit(a->rl_ip, kip, now);
        dd_ratelimit_hit(a->rl, kpair, now);
        dd_audit_event(a->audit, "login_failed", who, ip, req->method, req->path, NULL, NULL, 401, NULL);
        /* the failure that locks a pair or an address is the sign of an
         * attack: say so in the audit log and the server log */
        int64_t l1 = dd_ratelimit_check(a->rl_ip, kip, now), l2 = dd_ratelimit_check(a->rl, kpair, now);
        if (l1 || l2) {
            int64_t l = l1 > l2 ? l1 : l2;
            char detail[96];
            snprintf(detail, sizeof detail, "locked for %llds (%s)", (long long)l,
                     l1 ? "address, any user" : "this user from this address");
            dd_audit_event(a->audit, "login_attack", who, ip, req->method, req->path, NULL, NULL, 429, detail);
            dd_log(DD_LOG_WARN, NULL, "repeated failed logins for '%s' from %s: %s", who, ip, detail);
        }
        return DD_EAUTH;
    }
    dd_ratelimit_reset(a->rl, kpair, now);
    if (!cached) dd_audit_event(a->audit, "login", id->name, ip, req->method, req->path, NULL, NULL, 0, NULL);
    return DD_OK;
}

/* ---- the decision ------------------------------------------------------------- */

static bool registry_action(dd_action_t a)
{
    return a == DD_ACT_PULL || a == DD_ACT_PUSH || a == DD_ACT_DELETE || a == DD_ACT_CATALOG;
}

bool auth_ident_may(const ident_t *id, dd_action_t a, const char *repo)
{
    switch (id->kind) {
    case ID_LOCAL: return true;
    case ID_ANON:
        if (a != DD_ACT_PULL || !repo || !dd_globs_match_any(id->anon, repo)) return false;
        return !id->jwt || dd_jwt_covers(id->jwt, a, repo);
    case ID_USER:
    case ID_TOKEN:
        if (!dd_role_allows(id->role, a)) return false;
        if (repo && !dd_globs_match(id->repos, repo)) return false;
        if (id->jwt && registry_action(a)) return dd_jwt_covers(id->jwt, a, a == DD_ACT_CATALOG ? NULL : repo);
        return true;
    }
    return false;
}

bool dd_auth_may(const dd_req_t *req, dd_action_t a, const char *repo)
{
    const ident_t *id = req->auth;
    if (!id) return true; /* no auth hook installed */
    return auth_ident_may(id, a, repo);
}

/* The identity of the request this thread is in (copied without its JWT:
 * dd_auth_may_current serves non-registry actions such as SCAN_READ). */
static __thread ident_t tl_ident;
static __thread bool tl_set, tl_had_jwt;

static void set_current(const ident_t *id)
{
    tl_ident = *id;
    tl_had_jwt = id->jwt != NULL;
    tl_ident.jwt = NULL;
    tl_set = true;
}

bool dd_auth_may_current(dd_action_t a, const char *repo)
{
    if (!tl_set) return true; /* no auth hook ran on this thread */
    if (registry_action(a) && tl_had_jwt) return false; /* the token's access claim is gone: refuse */
    return auth_ident_may(&tl_ident, a, repo);
}

bool dd_auth_current_unrestricted(dd_action_t a)
{
    if (!tl_set || tl_ident.kind == ID_LOCAL) return true;
    if (tl_ident.kind != ID_USER && tl_ident.kind != ID_TOKEN) return false;
    return !tl_ident.repos[0] && dd_role_allows(tl_ident.role, a) && !(registry_action(a) && tl_had_jwt);
}

const char *dd_auth_actor(const dd_req_t *req)
{
    const ident_t *id = req->auth;
    return id ? id->name : "local";
}

/* ---- the hook ---------------------------------------------------------------- */

static bool host_ok(const char *h)
{
    if (!h || !*h || strlen(h) > 255) return false;
    for (const char *p = h; *p; p++)
        if (!(isalnum((unsigned char)*p) || strchr(".-:[]", *p))) return false;
    return true;
}

static void challenge(dd_auth_t *a, dd_req_t *req, dd_action_t action, const char *repo, const char *error)
{
    /* the web console asks for no challenge: a Basic challenge would make
     * the browser open its own password dialog over the sign-in page */
    if (dd_req_header(req, "X-Drydock-Console")) return;
    if (!dd_str_startswith(req->path, "/v2/")) {
        dd_resp_header(req, "WWW-Authenticate", "Basic realm=\"drydock\", charset=\"UTF-8\"");
        return;
    }
    dd_buf_t b;
    dd_buf_init(&b, 2048);
    if (a->realm && *a->realm) {
        dd_buf_printf(&b, "Bearer realm=\"%s\"", a->realm);
    } else {
        const char *host = dd_req_header(req, "Host");
        dd_buf_printf(&b, "Bearer realm=\"%s://%s/auth/token\"", a->tls ? "https" : "http",
                      host_ok(host) ? host : "localhost");
    }
    dd_buf_printf(&b, ",service=\"%s\"", a->service);
    const char *acts = NULL;
    if (action == DD_ACT_PULL) acts = "pull";
    else if (action == DD_ACT_PUSH) acts = "pull,push";
    else if (action == DD_ACT_DELETE) acts = "delete";
    if (acts && repo) dd_buf_printf(&b, ",scope=\"repository:%s:%s\"", repo, acts);
    else if (action == DD_ACT_CATALOG) dd_buf_puts(&b, ",scope=\"registry:catalog:*\"");
    if (error) dd_buf_printf(&b, ",error=\"%s\"", error);
    if (b.ptr) dd_resp_header(req, "WWW-Authenticate", b.ptr);
    dd_buf_release(&b);
}

static int too_many(dd_req_t *req, int64_t retry_s)
{
    dd_resp_headerf(req, "Retry-After", "%lld", (long long)retry_s);
    dd_resp_error(req, 429, "TOOMANYREQUESTS", "too many failed logins; retry later");
    return DD_EDENIED;
}

/* Resolves the Authorization header into id. DD_OK, DD_EAUTH (invalid
 * credentials: *error names the Bearer error), or DD_EDENIED with a 429
 * response set. */
static int identify(dd_auth_t *a, dd_req_t *req, ident_t *id, const char **error)
{
    const char *h = dd_req_header(req, "Authorization");
    *error = NULL;
    if (!h) {
        /* the web console's session cookie (session.c); an invalid or
         * expired one is ignored: the caller is anonymous */
        dd_jwt_claims_t *c = dd_arena_alloc(&req->arena, sizeof *c);
        if (auth_session_identify(a, req, id, c) == DD_OK) {
            if (!auth_session_csrf_ok(a, req, c)) {
                dd_resp_error(req, 403, "DENIED", "missing or invalid csrf token");
                return DD_EDENIED;
            }
            return DD_OK;
        }
        auth_set_anon(a, id);
        return DD_OK;
    }
    if (!strncasecmp(h, "Basic ", 6)) {
        const char *user, *pass;
        if (auth_parse_basic(req, h, &user, &pass) != DD_OK) return DD_EAUTH;
        int64_t retry = 0;
        int rc = auth_check_basic(a, req, user, pass, id, &retry);
        if (rc == DD_ELIMIT) return too_many(req, retry);
        return rc;
    }
    if (!strncasecmp(h, "Bearer ", 7)) {
        const char *t = h + 7;
        while (*t == ' ') t++;
        if (dd_str_startswith(t, DD_TOKEN_PREFIX)) {
            int64_t retry = 0;
            int rc = auth_check_basic(a, req, "", t, id, &retry);
            if (rc == DD_ELIMIT) return too_many(req, retry);
            return rc;
        }
        dd_jwt_claims_t *c = dd_arena_alloc(&req->arena, sizeof *c);
        dd_err_t e;
        if (dd_jwt_verify(a->key, sizeof a->key, "drydock", a->service, dd_now_ms() / 1000, JWT_LEEWAY_S, t,
                          strlen(t), c, &e) != DD_OK) {
            dd_log(DD_LOG_DEBUG, req->id, "bearer token refused: %s", e.msg);
            *error = "invalid_token";
            return DD_EAUTH;
        }
        if (!c->sub[0]) {
            auth_set_anon(a, id);
        } else if (!auth_lookup_subject(a, c->sub, id)) {
            *error = "invalid_token";
            return DD_EAUTH;
        }
        id->jwt = c;
        return DD_OK;
    }
    return DD_EAUTH;
}

static int hook(void *ctx, dd_req_t *req, dd_action_t action, const char *repo)
{
    dd_auth_t *a = ctx;
    ident_t *id = dd_arena_alloc(&req->arena, sizeof *id);
    bool required = true;
    if (auth_refresh(a, &required) != DD_OK) {
        dd_log(DD_LOG_ERROR, req->id, "auth: cannot read users and tokens");
        dd_resp_error(req, 503, "UNAVAILABLE", "authentication backend unavailable");
        return DD_EDENIED;
    }
    tl_set = false;
    if (!required) {
        auth_set_local(a, id);
        req->auth = id;
        set_current(id);
        return DD_OK;
    }
    const char *error = NULL;
    int rc = identify(a, req, id, &error);
    if (rc == DD_EDENIED) return rc; /* 429 set */
    if (rc != DD_OK) {
        challenge(a, req, action, repo, error);
        return DD_EAUTH;
    }
    req->auth = id;
    set_current(id);
    if (!auth_ident_may(id, action, repo)) {
        if (id->kind == ID_ANON) {
            challenge(a, req, action, repo, NULL);
            return DD_EAUTH;
        }
        if (id->jwt && registry_action(action)) {
            /* the identity may, only this token does not say so: 401 with the
             * scope, so the client fetches a token that covers it */
            ident_t plain = *id;
            plain.jwt = NULL;
            if (auth_ident_may(&plain, action, repo)) {
                challenge(a, req, action, repo, "insufficient_scope");
                return DD_EAUTH;
            }
        }
        dd_audit_event(a->audit, "denied", id->name, dd_req_peer(req), req->method, req->path, repo,
                       dd_action_name(action), 403, NULL);
        return DD_EDENIED;
    }
    if (action == DD_ACT_PUSH && !strcmp(req->method, "PUT") && strstr(req->path, "/manifests/"))
        dd_audit_event(a->audit, "push", id->name, dd_req_peer(req), req->method, req->path, repo, "push", 0, NULL);
    else if (action == DD_ACT_DELETE)
        dd_audit_event(a->audit, "delete", id->name, dd_req_peer(req), req->method, req->path, repo, "delete", 0,
                       NULL);
    return DD_OK;
}

/* ---- lifecycle ----------------------------------------------------------------- */

/* Reads DATA/jwt.key (32 bytes) or creates it (0600) on first start. The
 * key is written to jwt.key.tmp, fsynced, linked into place and the
 * directory fsynced: after a power loss jwt.key is either absent or whole,
 * never an empty file that would stop the server from starting, and once
 * tokens are signed with it, it is still there. */
static int load_key(const char *dir, uint8_t key[32], dd_err_t *e)
{
    char *path = dd_asprintf("%s/jwt.key", dir);
    char *tmp = dd_asprintf("%s/jwt.key.tmp", dir);
    int rc = DD_OK;
    struct stat st;
    if (stat(path, &st) != 0 && errno == ENOENT) {
        unlink(tmp); /* left by a crash */
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0) {
            rc = dd_err_errno(e, DD_EIO, errno, "cannot create '%s'", tmp);
        } else {
            uint8_t k[32];
            dd_random_bytes(k, sizeof k);
            if (write(fd, k, sizeof k) != (ssize_t)sizeof k || fsync(fd) != 0)
                rc = dd_err_errno(e, DD_EIO, errno, "cannot write '%s'", tmp);
            close(fd);
            sodium_memzero(k, sizeof k);
            if (rc == DD_OK && link(tmp, path) != 0 && errno != EEXIST)
                rc = dd_err_errno(e, DD_EIO, errno, "cannot create '%s'", path);
            unlink(tmp);
            if (rc == DD_OK && dd_fsync_dir(dir) != DD_OK)
                rc = dd_err(e, DD_EIO, "cannot sync directory '%s'", dir);
        }
    }
    free(tmp);
    if (rc == DD_OK) {
        int fd;
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            rc = dd_err_errno(e, DD_EIO, errno, "cannot read '%s'", path);
        } else {
            if (fstat(fd, &st) == 0 && (st.st_mode & 077))
                dd_log(DD_LOG_WARN, NULL, "%s is readable by others (chmod 600 it)", path);
            if (read(fd, key, 32) != 32) rc = dd_err(e, DD_ECORRUPT, "'%s' is not a 32-byte key", path);
            close(fd);
        }
    }
    free(path);
    return rc;
}

int dd_auth_new(const dd_auth_opts_t *o, dd_auth_t **out, dd_err_t *e)
{
    if (sodium_init() < 0) return dd_err(e, DD_EIO, "libsodium failed to initialize");
    dd_auth_t *a = dd_calloc(1, sizeof *a);
    a->meta = o->meta;
    a->service = dd_strdup(o->service && *o->service ? o->service : "drydock");
    a->anon = dd_strdup(o->anonymous_pull ? o->anonymous_pull : "");
    a->realm = dd_strdup(o->realm ? o->realm : "");
    a->loopback_only = o->loopback_only;
    a->insecure_no_auth = o->insecure_no_auth;
    a->tls = o->tls;
    a->token_ttl_s = o->token_ttl_s > 0 ? o->token_ttl_s : 300;
    unsigned burst = o->fail_burst ? o->fail_burst : 10, per_min = o->fail_per_min ? o->fail_per_min : 10;
    a->rl = dd_ratelimit_new(4096, burst, 60000 / per_min);
    a->rl_ip = dd_ratelimit_new(4096, burst * 10, 60000 / per_min / 10 ? 60000 / per_min / 10 : 1);
    pthread_rwlock_init(&a->lk, NULL);
    pthread_mutex_init(&a->cmu, NULL);
    dd_random_bytes(a->pepper, sizeof a->pepper);
    int rc = dd_globs_validate(a->anon, e);
    if (rc == DD_OK) rc = load_key(o->data_dir, a->key, e);
    if (rc == DD_OK) {
        unsigned char md[32];
        crypto_hash_sha256(md, a->key, sizeof a->key);
        for (int i = 0; i < 8; i++) snprintf(a->kid + 2 * i, 3, "%02x", md[i]);
        char *ap = dd_asprintf("%s/audit.log", o->data_dir);
        rc = dd_audit_open(ap, &a->audit, e);
        free(ap);
    }
    if (rc == DD_OK) {
        bool req;
        rc = auth_refresh(a, &req);
        if (rc != DD_OK) dd_err(e, rc, "cannot read users and tokens from the metadata store");
    }
    if (rc != DD_OK) {
        dd_auth_free(a);
        return rc;
    }
    *out = a;
    return DD_OK;
}

void dd_auth_free(dd_auth_t *a)
{
    if (!a) return;
    sodium_memzero(a->key, sizeof a->key);
    if (a->users) sodium_memzero(a->users, a->n_users * sizeof *a->users);
    free(a->users);
    free(a->tokens);
    dd_ratelimit_free(a->rl);
    dd_ratelimit_free(a->rl_ip);
    dd_audit_close(a->audit);
    pthread_rwlock_destroy(&a->lk);
    pthread_mutex_destroy(&a->cmu);
    free(a->service);
    free(a->anon);
    free(a->realm);
    free(a);
}

dd_audit_t *dd_auth_audit(dd_auth_t *a)
{
    return a ? a->audit : NULL;
}

int dd_auth_bootstrap(dd_auth_t *a, char *pw, size_t pw_size, bool *created, dd_err_t *e)
{
    *created = false;
    bool req;
    int rc = auth_refresh(a, &req);
    if (rc != DD_OK) return dd_err(e, rc, "cannot read users from the metadata store");
    pthread_rwlock_rdlock(&a->lk);
    size_t n_users = a->n_users;
    pthread_rwlock_unlock(&a->lk);
    if (n_users > 0 || a->loopback_only || a->insecure_no_auth) return DD_OK;
    if (pw_size < 33) return dd_err(e, DD_EINVAL, "password buffer too small");
    unsigned char raw[18];
    dd_random_bytes(raw, sizeof raw);
    sodium_bin2base64(pw, pw_size, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
    dd_user_rec_t u;
    memset(&u, 0, sizeof u);
    snprintf(u.name, sizeof u.name, "admin");
    snprintf(u.role, sizeof u.role, "%s", dd_role_name(DD_ROLE_OWNER));
    u.created_ms = u.updated_ms = dd_now_ms();
    rc = dd_password_hash(pw, u.pwhash, e);
    if (rc == DD_OK) rc = dd_meta_user_put(a->meta, &u, true, e);
    sodium_memzero(&u, sizeof u);
    if (rc != DD_OK) {
        sodium_memzero(pw, pw_size);
        return rc;
    }
    dd_audit_change(a->audit, "user_add", "drydock serve", "admin", "first admin (role owner), created at start");
    *created = true;
    return auth_refresh(a, &req);
}

static const dd_route_t routes[] = {
    {"GET", "/auth/token", auth_h_token, DD_ACT_NONE, 0},
    {"POST", "/auth/token", auth_h_token, DD_ACT_NONE, 0},
};

void dd_auth_register(dd_auth_t *a, dd_http_server_t *srv)
{
    dd_http_register_routes(srv, routes, sizeof routes / sizeof routes[0], a);
    dd_http_register_routes(srv, auth_session_routes, auth_n_session_routes, a);
    dd_http_register_routes(srv, auth_admin_routes, auth_n_admin_routes, a);
    dd_http_set_auth_hook(srv, hook, a);
}
