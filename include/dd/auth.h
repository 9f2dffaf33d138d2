/*
 * auth.h: authentication, role-based access and audit for the HTTP front
 * (issue 6). See docs/auth.md for the roles table, the flows and the audit
 * log format.
 *
 * Pieces, one file each under src/auth/:
 *   policy.c       roles, the role x action matrix, repository globs, scopes
 *   users.c        password hashing (argon2id, libsodium), token secrets,
 *                  durations, names
 *   jwt.c          HS256 JSON Web Tokens carrying the Docker "access" claim
 *   ratelimit.c    token buckets for failed logins (per user and address, per address)
 *   audit.c        the audit log: one JSON line per event, O_APPEND
 *   hook.c         the server side: identity cache, the auth hook, dd_auth_may
 *   tokenendpoint.c  GET/POST /auth/token (Docker token authentication)
 *
 * Server wiring (cmd_serve.c):
 *
 *     dd_auth_t *auth;
 *     dd_auth_new(&opts, &auth, &e);          // borrows opts.meta
 *     dd_auth_bootstrap(auth, pw, sizeof pw, &created, &e);  // maybe an admin
 *     dd_auth_register(auth, srv);            // hook + /auth/token
 *     ...
 *     dd_auth_free(auth);
 */
#ifndef DD_AUTH_H
#define DD_AUTH_H

#include "dd/core.h"
#include "dd/http.h"
#include "dd/meta.h"

/* ---- roles and the access matrix (policy.c) ------------------------------ */
typedef enum {
    DD_ROLE_NONE = 0,
    DD_ROLE_READER,          /* pull */
    DD_ROLE_WRITER,          /* pull, push */
    DD_ROLE_DELETER,         /* delete (no pull, as ACR's AcrDelete) */
    DD_ROLE_OWNER,           /* everything, incl. users, tokens, settings */
    DD_ROLE_SECURITY_READER, /* scan results and queries, no image content */
} dd_role_t;

/* "reader", "writer", "deleter", "owner", "securityreader" (also
 * "security-reader"), case-insensitive. DD_EINVAL otherwise. */
int dd_role_parse(const char *s, dd_role_t *out);
const char *dd_role_name(dd_role_t r);
/* Does the role permit the action at all (before repository globs)? */
bool dd_role_allows(dd_role_t r, dd_action_t a);

/* Glob over repository names: '*' matches any run of characters including
 * '/', '?' one character; everything else is literal. */
bool dd_glob_match(const char *pat, const char *s);
/* list: comma-separated globs; "" (or NULL) matches every repository. */
bool dd_globs_match(const char *list, const char *repo);
/* Same as dd_globs_match, but "" matches nothing (anonymous-pull). */
bool dd_globs_match_any(const char *list, const char *repo);
/* Checks a glob list (characters of repository names plus '*', '?', ','). */
int dd_globs_validate(const char *list, dd_err_t *e);

/* ---- Docker token scopes (policy.c) ---------------------------------------*/
enum {
    DD_SCOPE_PULL = 1u,
    DD_SCOPE_PUSH = 2u,
    DD_SCOPE_DELETE = 4u,
    DD_SCOPE_ALL = 8u, /* "*" */
};
#define DD_SCOPE_TYPE_MAX 32
typedef struct dd_scope {
    char type[DD_SCOPE_TYPE_MAX]; /* "repository", "registry" */
    char name[DD_REPO_MAX];       /* "team/app", "catalog" */
    unsigned actions;             /* DD_SCOPE_* bits; unknown actions are ignored */
} dd_scope_t;

/* Parses "type[(class)]:name:action,action". The name may hold ':' (the
 * actions follow the last one). DD_EINVAL on malformed input. */
int dd_scope_parse(const char *s, size_t n, dd_scope_t *out, dd_err_t *e);
/* "pull,push" into b (as the token's access claim lists them). */
void dd_scope_actions_str(unsigned actions, dd_buf_t *b);

/* ---- credentials (users.c) ------------------------------------------------*/
/* User names: [a-z0-9][a-z0-9._-]{0,63} (no ':', which Basic auth splits on). */
bool dd_user_name_valid(const char *name);
/* argon2id through crypto_pwhash_str with the INTERACTIVE limits. */
int dd_password_hash(const char *pw, char out[DD_AUTH_PWHASH_MAX], dd_err_t *e);
/* Constant-time; false for a malformed hash. */
bool dd_password_verify(const char *hash, const char *pw);
/* Passwords: 1..1024 bytes, no NUL/CR/LF. */
int dd_password_check(const char *pw, dd_err_t *e);

#define DD_TOKEN_SECRET_MAX 64 /* "ddt_" + 43 base64url chars + NUL */
#define DD_TOKEN_PREFIX "ddt_"
/* A new robot token: id "t_" + 16 hex, secret "ddt_" + 32 random bytes in
 * base64url, and the hex SHA-256 of the secret (what is stored). */
void dd_token_generate(char id[DD_TOKEN_ID_MAX], char secret[DD_TOKEN_SECRET_MAX], char hash_hex[65]);
void dd_token_hash(const char *secret, char hex[65]);
/* "90s", "30m", "12h", "7d", "2w", "1y" -> seconds; "never" -> 0. */
int dd_duration_parse(const char *s, int64_t *secs, dd_err_t *e);

/* ---- JWT (jwt.c) ------------------------------------------------------------*/
#define DD_JWT_MAX 8192         /* longest token accepted */
#define DD_JWT_ACCESS_MAX 32    /* access entries per token */
#define DD_JWT_SUB_MAX 96

typedef struct dd_jwt_claims {
    char sub[DD_JWT_SUB_MAX];   /* "alice", "robot:t_..." or "" (anonymous) */
    char jti[40];
    int64_t iat, nbf, exp;
    dd_scope_t access[DD_JWT_ACCESS_MAX];
    size_t n_access;
} dd_jwt_claims_t;

/* Signs a token (HS256): header {"alg":"HS256","typ":"JWT","kid":kid},
 * claims iss, sub, aud, exp = now + ttl, nbf = iat = now, jti, access. */
int dd_jwt_sign(const uint8_t *key, size_t keylen, const char *kid, const char *iss, const char *aud,
                const char *sub, int64_t now, int64_t ttl, const dd_scope_t *access, size_t n_access,
                dd_buf_t *out);
/* Verifies signature (HS256 only; "none" and every other alg are refused),
 * iss, aud (string or array holding aud), exp/nbf/iat against now with
 * leeway seconds, and parses the access claim. DD_EAUTH (with a reason) on
 * any failure, never a crash on hostile input. */
int dd_jwt_verify(const uint8_t *key, size_t keylen, const char *iss, const char *aud, int64_t now,
                  int64_t leeway, const char *tok, size_t len, dd_jwt_claims_t *out, dd_err_t *e);
/* Does the access claim grant the action on repo (repository:repo) or, for
 * DD_ACT_CATALOG, registry:catalog:*? */
bool dd_jwt_covers(const dd_jwt_claims_t *c, dd_action_t a, const char *repo);

/* ---- rate limiting of failed logins (ratelimit.c) -------------------------*/
typedef struct dd_ratelimit dd_ratelimit_t;
/* A token bucket per key: burst failures at once, then one per
 * refill_ms. Fixed memory (slots buckets); a key whose slot is taken by an
 * active bucket shares it (errs toward limiting). */
dd_ratelimit_t *dd_ratelimit_new(size_t slots, unsigned burst, int64_t refill_ms);
void dd_ratelimit_free(dd_ratelimit_t *r);
/* 0 if key may try now, else the seconds until it may (Retry-After). */
int64_t dd_ratelimit_check(dd_ratelimit_t *r, const char *key, int64_t now_ms);
/* Records one failure for key. From the second failure that leaves the key
 * without a token on, it is also locked for refill_ms, then twice that at
 * the next one, and so on (growing delays, at most an hour). */
void dd_ratelimit_hit(dd_ratelimit_t *r, const char *key, int64_t now_ms);
/* Forgets key's failures (a correct login). */
void dd_ratelimit_reset(dd_ratelimit_t *r, const char *key, int64_t now_ms);

/* ---- audit log (audit.c) -------------------------------------------------*/
typedef struct dd_audit dd_audit_t;
/* Opens (creates, 0600) path for appending. */
int dd_audit_open(const char *path, dd_audit_t **out, dd_err_t *e);
void dd_audit_close(dd_audit_t *a);
/* One JSON line, written with a single write(2) on an O_APPEND fd:
 * {"ts":..,"event":..,"actor":..,"ip":..,"method":..,"path":..,"repo":..,
 *  "action":..,"status":..,"detail":..}. NULL fields are left out; status 0
 * is left out. Never pass secrets. a may be NULL (no-op). */
void dd_audit_event(dd_audit_t *a, const char *event, const char *actor, const char *ip, const char *method,
                    const char *path, const char *repo, const char *action, int status, const char *detail);
/* A change to a user or token: {"ts","event","actor","target","detail"}. */
void dd_audit_change(dd_audit_t *a, const char *event, const char *actor, const char *target, const char *detail);

/* ---- the server side (hook.c, tokenendpoint.c) -----------------------------*/
typedef struct dd_auth dd_auth_t;

typedef struct dd_auth_opts {
    dd_meta_t *meta;            /* borrowed */
    const char *data_dir;       /* DATA: jwt.key and audit.log live here */
    const char *service;        /* token audience and "service" (default "drydock") */
    const char *anonymous_pull; /* comma-separated globs anyone may pull ("" = none) */
    const char *realm;          /* token endpoint URL; "" = derived from Host */
    bool loopback_only;         /* the server listens on loopback only */
    bool insecure_no_auth;      /* --insecure-no-auth: no auth while no user exists */
    bool tls;                   /* https in the derived realm */
    int64_t token_ttl_s;        /* JWT lifetime (default 300) */
    unsigned fail_burst;        /* failed logins allowed at once (default 10) */
    unsigned fail_per_min;      /* then this many per minute (default 10) */
} dd_auth_opts_t;

int dd_auth_new(const dd_auth_opts_t *o, dd_auth_t **out, dd_err_t *e);
void dd_auth_free(dd_auth_t *a);
/* If no user exists and the server listens beyond loopback without
 * insecure_no_auth: creates user "admin" (Owner) with a random password,
 * returned in pw (once; the caller prints it to stdout, never to the log)
 * and *created = true. */
int dd_auth_bootstrap(dd_auth_t *a, char *pw, size_t pw_size, bool *created, dd_err_t *e);
/* Installs the auth hook and the /auth/token routes. */
void dd_auth_register(dd_auth_t *a, dd_http_server_t *srv);
dd_audit_t *dd_auth_audit(dd_auth_t *a);

/* May the caller of req do action on repo (NULL: no repository)? For
 * handlers that filter lists (_catalog, findings, query results). A request
 * that went through no auth hook (auth not installed) may do everything. */
bool dd_auth_may(const dd_req_t *req, dd_action_t a, const char *repo);
/* The same for the request this thread is handling now (set by the auth
 * hook just before the handler): for callbacks deep in a handler that have
 * no req at hand (the findings API's repository walks). Valid only during
 * the synchronous part of a handler whose route went through the hook. */
bool dd_auth_may_current(dd_action_t a, const char *repo);
/* True when the current caller may do a on every repository (no globs):
 * lets a filtering walk skip its per-item checks. */
bool dd_auth_current_unrestricted(dd_action_t a);
/* The caller's name for logs ("alice", "robot:t_..", "anonymous", "local"). */
const char *dd_auth_actor(const dd_req_t *req);

/* The value of cookie name in a Cookie header ("a=1; name=v; b=2"): a
 * pointer into header and its length (trailing blanks dropped), or NULL
 * (also for a NULL header). For the web console's session (session.c). */
const char *dd_cookie_find(const char *header, const char *name, size_t *len);

/* "127.0.0.1:5000", "localhost:5000", "[::1]:5000" -> true. */
bool dd_listen_is_loopback(const char *listen);

#endif
