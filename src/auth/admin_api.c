/*
 * admin_api.c: users and robot tokens over HTTP for Owners (the web
 * console's Administration page, issue 16); the same store operations as
 * `drydock user list` and `drydock token create|list|revoke`.
 *
 *   GET    /api/v1/admin/users          {"users": [{name, role, repos, created}]}
 *   GET    /api/v1/admin/tokens         {"tokens": [{id, name, role, repos, created, expires, state}]}
 *   POST   /api/v1/admin/tokens         {"role", "expires", "repos"?, "name"?}
 *                                       -> 201 {id, secret, role, repos, expires}: the secret only now
 *   DELETE /api/v1/admin/tokens/{id}    -> 204; 404 for an unknown id
 *   PUT    /api/v1/admin/users/{user}   {"role", "repos"?} -> 200 the user (role and repository
 *                                       globs changed; repos absent = unchanged); 404 for an unknown
 *                                       user, 409 when it would leave no Owner
 *
 * Every route needs DD_ACT_ADMIN (Owner). Changes go to the audit log with
 * the caller as actor; the secret never does. Password hashes are never
 * returned.
 */
#include "auth/auth_int.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define BODY_MAX 8192

static int user_one(const dd_user_rec_t *u, void *arg)
{
    dd_buf_t *b = arg;
    char created[32];
    dd_time_rfc3339(u->created_ms / 1000, created);
    if (b->ptr[b->len - 1] != '[') dd_buf_puts(b, ",");
    dd_buf_puts(b, "{\"name\":");
    dd_buf_json_str(b, u->name);
    dd_buf_puts(b, ",\"role\":");
    dd_buf_json_str(b, u->role);
    dd_buf_puts(b, ",\"repos\":");
    dd_buf_json_str(b, u->repos);
    dd_buf_printf(b, ",\"created\":\"%s\"}", created);
    return 0;
}

static int h_users(dd_req_t *req)
{
    dd_auth_t *a = req->ctx;
    dd_buf_t b;
    dd_buf_init(&b, 0);
    dd_buf_puts(&b, "{\"users\":[");
    if (dd_meta_users_each(a->meta, user_one, &b) != DD_OK) {
        dd_buf_release(&b);
        return dd_resp_error(req, 500, "INTERNAL_ERROR", "cannot list users");
    }
    dd_buf_puts(&b, "]}");
    dd_resp_header(req, "Cache-Control", "no-store");
    return dd_resp_json(req, 200, &b);
}

static int token_one(const dd_token_rec_t *t, void *arg)
{
    dd_buf_t *b = arg;
    char created[32], exp[32] = "never";
    dd_time_rfc3339(t->created_ms / 1000, created);
    if (t->expires_ms) dd_time_rfc3339(t->expires_ms / 1000, exp);
    int64_t now = dd_now_ms();
    const char *state = t->revoked_ms ? "revoked" : (t->expires_ms && t->expires_ms <= now) ? "expired" : "active";
    if (b->ptr[b->len - 1] != '[') dd_buf_puts(b, ",");
    dd_buf_printf(b, "{\"id\":\"%s\",\"name\":", t->id);
    dd_buf_json_str(b, t->name);
    dd_buf_puts(b, ",\"role\":");
    dd_buf_json_str(b, t->role);
    dd_buf_puts(b, ",\"repos\":");
    dd_buf_json_str(b, t->repos);
    dd_buf_printf(b, ",\"created\":\"%s\",\"expires\":\"%s\",\"state\":\"%s\"}", created, exp, state);
    return 0;
}

static int h_tokens(dd_req_t *req)
{
    dd_auth_t *a = req->ctx;
    dd_buf_t b;
    dd_buf_init(&b, 0);
    dd_buf_puts(&b, "{\"tokens\":[");
    if (dd_meta_tokens_each(a->meta, token_one, &b) != DD_OK) {
        dd_buf_release(&b);
        return dd_resp_error(req, 500, "INTERNAL_ERROR", "cannot list tokens");
    }
    dd_buf_puts(&b, "]}");
    dd_resp_header(req, "Cache-Control", "no-store");
    return dd_resp_json(req, 200, &b);
}

static int bad(dd_req_t *req, const char *msg)
{
    return dd_resp_error(req, 400, "INVALID_PARAMETER", msg);
}

static int create_done(dd_req_t *req)
{
    dd_auth_t *a = req->ctx;
    if (dd_req_body_rc(req) == DD_ELIMIT) return dd_resp_error(req, 413, "BAD_REQUEST", "body too large");
    size_t n = 0;
    const char *body = dd_req_body(req, &n);
    json_error_t je;
    json_t *j = body ? json_loadb(body, n, 0, &je) : NULL;
    if (!json_is_object(j)) {
        json_decref(j);
        return bad(req, "expected a JSON object {\"role\", \"expires\", \"repos\", \"name\"}");
    }
    const char *role_s = json_string_value(json_object_get(j, "role"));
    const char *exp_s = json_string_value(json_object_get(j, "expires"));
    const char *repos = json_string_value(json_object_get(j, "repos"));
    const char *name = json_string_value(json_object_get(j, "name"));
    dd_role_t role;
    dd_err_t e;
    int64_t secs = 0;
    char msg[300];
    int rc = DD_OK;
    if (!role_s || dd_role_parse(role_s, &role) != DD_OK) {
        rc = bad(req, "invalid role (reader, writer, deleter, owner, securityreader)");
    } else if (!exp_s || dd_duration_parse(exp_s, &secs, &e) != DD_OK) {
        snprintf(msg, sizeof msg, "%s", exp_s ? e.msg : "expires is required (e.g. 30d, or never)");
        rc = bad(req, msg);
    } else if (repos && (strlen(repos) >= DD_AUTH_REPOS_MAX || dd_globs_validate(repos, &e) != DD_OK)) {
        rc = bad(req, "invalid repos globs");
    } else if (name && (strlen(name) >= DD_AUTH_NAME_MAX || strpbrk(name, "\r\n\"\\"))) {
        rc = bad(req, "invalid token name");
    } else {
        rc = 1;
    }
    if (rc != 1) {
        json_decref(j);
        return rc;
    }
    dd_token_rec_t t;
    memset(&t, 0, sizeof t);
    char secret[DD_TOKEN_SECRET_MAX];
    dd_token_generate(t.id, secret, t.hash);
    snprintf(t.name, sizeof t.name, "%s", name ? name : "");
    snprintf(t.role, sizeof t.role, "%s", dd_role_name(role));
    snprintf(t.repos, sizeof t.repos, "%s", repos ? repos : "");
    t.created_ms = dd_now_ms();
    t.expires_ms = secs ? t.created_ms + secs * 1000 : 0;
    char detail[1200];
    snprintf(detail, sizeof detail, "role %s, repos '%s', expires %s", t.role, t.repos, exp_s);
    json_decref(j);
    if (dd_meta_token_put(a->meta, &t, &e) != DD_OK) {
        sodium_memzero(secret, sizeof secret);
        return dd_resp_error(req, 500, "INTERNAL_ERROR", "cannot store the token");
    }
    dd_audit_change(a->audit, "token_create", dd_auth_actor(req), t.id, detail);
    char ts[32] = "never";
    if (t.expires_ms) dd_time_rfc3339(t.expires_ms / 1000, ts);
    dd_buf_t b;
    dd_buf_init(&b, 0);
    dd_buf_printf(&b, "{\"id\":\"%s\",\"secret\":\"%s\",\"name\":", t.id, secret);
    dd_buf_json_str(&b, t.name);
    dd_buf_printf(&b, ",\"role\":\"%s\",\"repos\":", t.role);
    dd_buf_json_str(&b, t.repos);
    dd_buf_printf(&b, ",\"expires\":\"%s\"}", ts);
    sodium_memzero(secret, sizeof secret);
    dd_resp_header(req, "Cache-Control", "no-store");
    return dd_resp_json(req, 201, &b);
}

static int h_token_create(dd_req_t *req)
{
    const char *ct = dd_req_header(req, "Content-Type");
    if (!ct || strncasecmp(ct, "application/json", 16))
        return dd_resp_error(req, 415, "UNSUPPORTED", "expected application/json");
    return dd_req_buffer_body(req, BODY_MAX, create_done);
}

static int h_token_revoke(dd_req_t *req)
{
    dd_auth_t *a = req->ctx;
    const char *id = dd_req_var(req, "id");
    dd_err_t e;
    int rc = dd_meta_token_revoke(a->meta, id, dd_now_ms(), &e);
    if (rc == DD_ENOTFOUND) return dd_resp_error(req, 404, "NOT_FOUND", "no such token");
    if (rc != DD_OK) return dd_resp_error(req, 500, "INTERNAL_ERROR", "cannot revoke the token");
    dd_audit_change(a->audit, "token_revoke", dd_auth_actor(req), id, NULL);
    return dd_resp_empty(req, 204);
}

static int count_owner(const dd_user_rec_t *u, void *arg)
{
    if (!strcmp(u->role, "owner")) ++*(int *)arg;
    return 0;
}

static int user_put_done(dd_req_t *req)
{
    dd_auth_t *a = req->ctx;
    if (dd_req_body_rc(req) == DD_ELIMIT) return dd_resp_error(req, 413, "BAD_REQUEST", "body too large");
    const char *name = dd_req_var(req, "user");
    size_t n = 0;
    const char *body = dd_req_body(req, &n);
    json_error_t je;
    json_t *j = body ? json_loadb(body, n, 0, &je) : NULL;
    if (!json_is_object(j)) {
        json_decref(j);
        return bad(req, "expected a JSON object {\"role\", \"repos\"}");
    }
    const char *role_s = json_string_value(json_object_get(j, "role"));
    json_t *rj = json_object_get(j, "repos");
    const char *repos = json_string_value(rj);
    dd_role_t role;
    dd_err_t e;
    int rc = 1;
    if (!role_s || dd_role_parse(role_s, &role) != DD_OK) {
        rc = bad(req, "invalid role (reader, writer, deleter, owner, securityreader)");
    } else if ((rj && !repos) ||
               (repos && (strlen(repos) >= DD_AUTH_REPOS_MAX || dd_globs_validate(repos, &e) != DD_OK))) {
        rc = bad(req, "invalid repos globs");
    }
    if (rc != 1) {
        json_decref(j);
        return rc;
    }
    dd_user_rec_t u;
    if (dd_meta_user_get(a->meta, name, &u) != DD_OK) {
        json_decref(j);
        return dd_resp_error(req, 404, "NOT_FOUND", "no such user");
    }
    if (!strcmp(u.role, "owner") && role != DD_ROLE_OWNER) {
        int owners = 0;
        dd_meta_users_each(a->meta, count_owner, &owners);
        if (owners <= 1) {
            json_decref(j);
            return dd_resp_error(req, 409, "CONFLICT", "the last owner keeps the owner role");
        }
    }
    char detail[1200];
    snprintf(detail, sizeof detail, "role %s -> %s, repos '%s' -> '%s'", u.role, dd_role_name(role), u.repos,
             repos ? repos : u.repos);
    snprintf(u.role, sizeof u.role, "%s", dd_role_name(role));
    if (repos) snprintf(u.repos, sizeof u.repos, "%s", repos);
    json_decref(j);
    u.updated_ms = dd_now_ms();
    if (dd_meta_user_put(a->meta, &u, false, &e) != DD_OK)
        return dd_resp_error(req, 500, "INTERNAL_ERROR", "cannot store the user");
    dd_audit_change(a->audit, "user_role", dd_auth_actor(req), u.name, detail);
    dd_buf_t b;
    dd_buf_init(&b, 0);
    dd_buf_puts(&b, "[");
    user_one(&u, &b);
    dd_resp_header(req, "Cache-Control", "no-store");
    dd_buf_t out;
    dd_buf_init(&out, 0);
    dd_buf_append(&out, b.ptr + 1, b.len - 1); /* user_one writes a list item */
    dd_buf_release(&b);
    return dd_resp_json(req, 200, &out);
}

static int h_user_put(dd_req_t *req)
{
    const char *ct = dd_req_header(req, "Content-Type");
    if (!ct || strncasecmp(ct, "application/json", 16))
        return dd_resp_error(req, 415, "UNSUPPORTED", "expected application/json");
    return dd_req_buffer_body(req, BODY_MAX, user_put_done);
}

const dd_route_t auth_admin_routes[] = {
    {"DELETE", "/api/v1/admin/tokens/{id}", h_token_revoke, DD_ACT_ADMIN, 0},
    {"GET", "/api/v1/admin/tokens", h_tokens, DD_ACT_ADMIN, 0},
    {"GET", "/api/v1/admin/users", h_users, DD_ACT_ADMIN, 0},
    {"POST", "/api/v1/admin/tokens", h_token_create, DD_ACT_ADMIN, 0},
    {"PUT", "/api/v1/admin/users/{user}", h_user_put, DD_ACT_ADMIN, 0},
};
const size_t auth_n_admin_routes = sizeof auth_admin_routes / sizeof auth_admin_routes[0];
