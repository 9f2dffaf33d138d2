/*
 * auth_int.h: what hook.c (identities, the auth hook) shares with
 * tokenendpoint.c (/auth/token).
 */
#ifndef DD_AUTH_INT_H
#define DD_AUTH_INT_H

#include <pthread.h>

#include "dd/auth.h"

#define PWCACHE_SLOTS 64
#define PWCACHE_TTL_MS (5 * 60 * 1000)

typedef enum { ID_LOCAL, ID_ANON, ID_USER, ID_TOKEN } id_kind_t;

/* The caller of a request (req->auth), in the request's arena. */
typedef struct ident {
    id_kind_t kind;
    char name[DD_JWT_SUB_MAX];   /* "alice", "robot:t_..", "anonymous", "local" */
    dd_role_t role;
    char repos[DD_AUTH_REPOS_MAX];
    const char *anon;            /* anonymous-pull globs (borrowed from dd_auth_t) */
    dd_jwt_claims_t *jwt;        /* the Bearer JWT's claims; NULL for Basic */
} ident_t;

struct dd_auth {
    dd_meta_t *meta;
    char *service, *anon, *realm;
    bool loopback_only, insecure_no_auth, tls;
    int64_t token_ttl_s;
    uint8_t key[32];
    char kid[17];
    dd_audit_t *audit;
    dd_ratelimit_t *rl;     /* failed logins per (user, address): "ua:USER@ADDR" */
    dd_ratelimit_t *rl_ip;  /* failed logins per address, 10x the burst and rate: "ip:ADDR" */
    /* identity cache, reloaded when the store's auth generation moves */
    pthread_rwlock_t lk;
    bool loaded;
    uint64_t gen;
    dd_user_rec_t *users;
    size_t n_users;
    dd_token_rec_t *tokens;
    size_t n_tokens;
    /* passwords verified recently: key = SHA-256(pepper, name, password) */
    pthread_mutex_t cmu;
    struct pwc {
        uint8_t k[32];
        uint64_t gen;
        int64_t exp_ms;
    } pwc[PWCACHE_SLOTS];
    size_t pwc_next;
    uint8_t pepper[32];
};

/* Brings the identity cache up to date; *required = auth applies now. */
int auth_refresh(dd_auth_t *a, bool *required);
/* Checks Basic credentials (user password or robot token secret) with the
 * failed-login rate limits. DD_OK (id filled), DD_EAUTH, or DD_ELIMIT with
 * *retry_s set. */
int auth_check_basic(dd_auth_t *a, dd_req_t *req, const char *user, const char *pass, ident_t *id,
                     int64_t *retry_s);
/* Splits "Basic base64(user:pass)" into arena strings; DD_EINVAL if malformed. */
int auth_parse_basic(dd_req_t *req, const char *hdr, const char **user, const char **pass);
bool auth_ident_may(const ident_t *id, dd_action_t a, const char *repo);
void auth_set_local(dd_auth_t *a, ident_t *id);
void auth_set_anon(dd_auth_t *a, ident_t *id);
/* The user or robot token named by a JWT subject, if it still exists. */
bool auth_lookup_subject(dd_auth_t *a, const char *sub, ident_t *id);

/* ---- web console sessions (session.c) ---- */
/* Verifies the dd_session cookie into id and c: DD_OK, DD_ENOTFOUND (no
 * cookie) or DD_EAUTH (invalid, expired, signed out, subject gone). */
int auth_session_identify(dd_auth_t *a, dd_req_t *req, ident_t *id, dd_jwt_claims_t *c);
/* True for GET/HEAD, else when X-CSRF-Token matches the session's token. */
bool auth_session_csrf_ok(dd_auth_t *a, dd_req_t *req, const dd_jwt_claims_t *c);
/* The session's CSRF token: hex HMAC-SHA256(key, "csrf:" + jti). */
void auth_session_csrf(const dd_auth_t *a, const char *jti, char out[65]);
/* GET/POST/DELETE /api/v1/session. */
extern const dd_route_t auth_session_routes[];
extern const size_t auth_n_session_routes;

/* /api/v1/admin/users and /api/v1/admin/tokens (admin_api.c). */
extern const dd_route_t auth_admin_routes[];
extern const size_t auth_n_admin_routes;

/* GET and POST /auth/token (tokenendpoint.c). */
int auth_h_token(dd_req_t *req);

#endif
