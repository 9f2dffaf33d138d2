/*
 * auth.c: the SQLite metadata driver's users and robot tokens (ops version 2,
 * migration 2 in schema.c). The auth module (src/auth/) gives roles and repo
 * globs their meaning; this file only stores rows.
 *
 * Design notes
 *   These calls are rare (CLI commands, and the server reloading its cache
 *   when the generation moves), so statements are prepared per call on the
 *   calling thread's connection (dd_meta_sqlite_db) instead of joining the
 *   driver's statement cache. The one hot call, auth_generation, is a single
 *   primary-key read of a one-row table.
 *
 *   Every mutation runs as BEGIN IMMEDIATE ... COMMIT together with
 *   "UPDATE auth_gen SET gen = gen + 1", so a server sharing the database
 *   (another process: `drydock user add` while `serve` runs) sees the change
 *   on its next request.
 */
#include "meta/meta_int.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ATTEMPTS 5

static int sqerr(sqlite3 *db, int rc, dd_err_t *e)
{
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
        return dd_err(e, DD_EBUSY, "database is busy: %s", sqlite3_errmsg(db));
    if (rc == SQLITE_CONSTRAINT) return dd_err(e, DD_EEXIST, "sqlite: %s", sqlite3_errmsg(db));
    return dd_err(e, DD_EIO, "sqlite: %s", sqlite3_errmsg(db));
}

static int prep(sqlite3 *db, const char *sql, sqlite3_stmt **s, dd_err_t *e)
{
    int rc = sqlite3_prepare_v2(db, sql, -1, s, NULL);
    if (rc != SQLITE_OK) return dd_err(e, DD_EIO, "sqlite prepare: %s", sqlite3_errmsg(db));
    return DD_OK;
}

static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
    sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
}

static void copy_col(sqlite3_stmt *s, int col, char *dst, size_t n)
{
    const unsigned char *t = sqlite3_column_text(s, col);
    snprintf(dst, n, "%s", t ? (const char *)t : "");
}

typedef int (*body_fn)(sqlite3 *db, void *arg, dd_err_t *e);

/* Runs body in BEGIN IMMEDIATE ... (gen bump) ... COMMIT, retrying on busy. */
static int tx(dd_meta_t *m, body_fn body, void *arg, dd_err_t *e)
{
    sqlite3 *db;
    int rc = dd_meta_sqlite_db(m, &db, e);
    if (rc != DD_OK) return rc;
    for (int attempt = 0;; attempt++) {
        int src = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
        if (src != SQLITE_OK) {
            rc = sqerr(db, src, e);
        } else {
            rc = body(db, arg, e);
            if (rc == DD_OK) {
                src = sqlite3_exec(db, "UPDATE auth_gen SET gen = gen + 1 WHERE id = 1", NULL, NULL, NULL);
                if (src == SQLITE_OK) src = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
                if (src != SQLITE_OK) rc = sqerr(db, src, e);
            }
            if (rc != DD_OK && !sqlite3_get_autocommit(db)) sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        }
        if (rc != DD_EBUSY || attempt + 1 >= ATTEMPTS) return rc;
        struct timespec ts = {0, 1000000L * (1 + attempt * 5)};
        nanosleep(&ts, NULL);
    }
}

/* Steps a statement that returns no rows; *changes gets the row count. */
static int run(sqlite3 *db, sqlite3_stmt *s, int *changes, dd_err_t *e)
{
    int rc = sqlite3_step(s);
    int out = rc == SQLITE_DONE ? DD_OK : sqerr(db, rc, e);
    if (changes) *changes = sqlite3_changes(db);
    sqlite3_finalize(s);
    return out;
}

/* ---- users ------------------------------------------------------------------- */

struct user_put_arg {
    const dd_user_rec_t *u;
    bool create;
};

static int user_put_body(sqlite3 *db, void *arg, dd_err_t *e)
{
    struct user_put_arg *a = arg;
    sqlite3_stmt *s;
    const char *sql = a->create ? "INSERT INTO users(name, role, repos, pwhash, created_ms, updated_ms)"
                                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                                : "UPDATE users SET role = ?2, repos = ?3, pwhash = ?4, updated_ms = ?6"
                                  " WHERE name = ?1";
    int rc = prep(db, sql, &s, e);
    if (rc) return rc;
    bind_text(s, 1, a->u->name);
    bind_text(s, 2, a->u->role);
    bind_text(s, 3, a->u->repos);
    bind_text(s, 4, a->u->pwhash);
    sqlite3_bind_int64(s, 5, a->u->created_ms);
    sqlite3_bind_int64(s, 6, a->u->updated_ms);
    int changes = 0;
    rc = run(db, s, &changes, e);
    if (rc == DD_EEXIST) return dd_err(e, DD_EEXIST, "user '%s' already exists", a->u->name);
    if (rc == DD_OK && changes == 0) return dd_err(e, DD_ENOTFOUND, "no such user '%s'", a->u->name);
    return rc;
}

int dd_sq_user_put(dd_meta_t *m, const dd_user_rec_t *u, bool create, dd_err_t *e)
{
    struct user_put_arg a = {u, create};
    return tx(m, user_put_body, &a, e);
}

#define USER_COLS "name, role, repos, pwhash, created_ms, updated_ms"

static void read_user(sqlite3_stmt *s, dd_user_rec_t *u)
{
    memset(u, 0, sizeof *u);
    copy_col(s, 0, u->name, sizeof u->name);
    copy_col(s, 1, u->role, sizeof u->role);
    copy_col(s, 2, u->repos, sizeof u->repos);
    copy_col(s, 3, u->pwhash, sizeof u->pwhash);
    u->created_ms = sqlite3_column_int64(s, 4);
    u->updated_ms = sqlite3_column_int64(s, 5);
}

int dd_sq_user_get(dd_meta_t *m, const char *name, dd_user_rec_t *out)
{
    sqlite3 *db;
    sqlite3_stmt *s;
    int rc = dd_meta_sqlite_db(m, &db, NULL);
    if (rc || (rc = prep(db, "SELECT " USER_COLS " FROM users WHERE name = ?1", &s, NULL))) return rc;
    bind_text(s, 1, name);
    int src = sqlite3_step(s);
    if (src == SQLITE_ROW) {
        read_user(s, out);
        rc = DD_OK;
    } else {
        rc = src == SQLITE_DONE ? DD_ENOTFOUND : sqerr(db, src, NULL);
    }
    sqlite3_finalize(s);
    return rc;
}

static int user_del_body(sqlite3 *db, void *arg, dd_err_t *e)
{
    const char *name = arg;
    sqlite3_stmt *s;
    int rc = prep(db, "DELETE FROM users WHERE name = ?1", &s, e);
    if (rc) return rc;
    bind_text(s, 1, name);
    int changes = 0;
    rc = run(db, s, &changes, e);
    if (rc == DD_OK && changes == 0) return dd_err(e, DD_ENOTFOUND, "no such user '%s'", name);
    return rc;
}

int dd_sq_user_delete(dd_meta_t *m, const char *name, dd_err_t *e)
{
    return tx(m, user_del_body, (void *)name, e);
}

int dd_sq_users_each(dd_meta_t *m, int (*fn)(const dd_user_rec_t *u, void *arg), void *arg)
{
    sqlite3 *db;
    sqlite3_stmt *s;
    int rc = dd_meta_sqlite_db(m, &db, NULL);
    if (rc || (rc = prep(db, "SELECT " USER_COLS " FROM users ORDER BY name", &s, NULL))) return rc;
    /* the tables are small: read them whole, then call fn outside the read */
    dd_user_rec_t *v = NULL;
    size_t n = 0;
    int src;
    while ((src = sqlite3_step(s)) == SQLITE_ROW) {
        v = dd_realloc(v, (n + 1) * sizeof *v);
        read_user(s, &v[n++]);
    }
    rc = src == SQLITE_DONE ? DD_OK : sqerr(db, src, NULL);
    sqlite3_finalize(s);
    for (size_t i = 0; i < n && rc == DD_OK; i++) rc = fn(&v[i], arg);
    free(v);
    return rc;
}

/* ---- tokens ------------------------------------------------------------------ */

static int token_put_body(sqlite3 *db, void *arg, dd_err_t *e)
{
    const dd_token_rec_t *t = arg;
    sqlite3_stmt *s;
    int rc = prep(db,
                  "INSERT INTO tokens(id, name, role, repos, hash, created_ms, expires_ms, revoked_ms)"
                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                  &s, e);
    if (rc) return rc;
    bind_text(s, 1, t->id);
    bind_text(s, 2, t->name);
    bind_text(s, 3, t->role);
    bind_text(s, 4, t->repos);
    bind_text(s, 5, t->hash);
    sqlite3_bind_int64(s, 6, t->created_ms);
    sqlite3_bind_int64(s, 7, t->expires_ms);
    sqlite3_bind_int64(s, 8, t->revoked_ms);
    rc = run(db, s, NULL, e);
    if (rc == DD_EEXIST) return dd_err(e, DD_EEXIST, "token '%s' already exists", t->id);
    return rc;
}

int dd_sq_token_put(dd_meta_t *m, const dd_token_rec_t *t, dd_err_t *e)
{
    return tx(m, token_put_body, (void *)t, e);
}

struct revoke_arg {
    const char *id;
    int64_t now_ms;
};

static int revoke_body(sqlite3 *db, void *arg, dd_err_t *e)
{
    struct revoke_arg *a = arg;
    sqlite3_stmt *s;
    int rc = prep(db, "UPDATE tokens SET revoked_ms = ?2 WHERE id = ?1 AND revoked_ms = 0", &s, e);
    if (rc) return rc;
    bind_text(s, 1, a->id);
    sqlite3_bind_int64(s, 2, a->now_ms > 0 ? a->now_ms : 1);
    int changes = 0;
    rc = run(db, s, &changes, e);
    if (rc == DD_OK && changes == 0) return dd_err(e, DD_ENOTFOUND, "no such active token '%s'", a->id);
    return rc;
}

int dd_sq_token_revoke(dd_meta_t *m, const char *id, int64_t now_ms, dd_err_t *e)
{
    struct revoke_arg a = {id, now_ms};
    return tx(m, revoke_body, &a, e);
}

int dd_sq_tokens_each(dd_meta_t *m, int (*fn)(const dd_token_rec_t *t, void *arg), void *arg)
{
    sqlite3 *db;
    sqlite3_stmt *s;
    int rc = dd_meta_sqlite_db(m, &db, NULL);
    if (rc || (rc = prep(db,
                         "SELECT id, name, role, repos, hash, created_ms, expires_ms, revoked_ms"
                         " FROM tokens ORDER BY created_ms, id",
                         &s, NULL)))
        return rc;
    dd_token_rec_t *v = NULL;
    size_t n = 0;
    int src;
    while ((src = sqlite3_step(s)) == SQLITE_ROW) {
        v = dd_realloc(v, (n + 1) * sizeof *v);
        dd_token_rec_t *t = &v[n++];
        memset(t, 0, sizeof *t);
        copy_col(s, 0, t->id, sizeof t->id);
        copy_col(s, 1, t->name, sizeof t->name);
        copy_col(s, 2, t->role, sizeof t->role);
        copy_col(s, 3, t->repos, sizeof t->repos);
        copy_col(s, 4, t->hash, sizeof t->hash);
        t->created_ms = sqlite3_column_int64(s, 5);
        t->expires_ms = sqlite3_column_int64(s, 6);
        t->revoked_ms = sqlite3_column_int64(s, 7);
    }
    rc = src == SQLITE_DONE ? DD_OK : sqerr(db, src, NULL);
    sqlite3_finalize(s);
    for (size_t i = 0; i < n && rc == DD_OK; i++) rc = fn(&v[i], arg);
    free(v);
    return rc;
}

int dd_sq_auth_generation(dd_meta_t *m, uint64_t *gen)
{
    sqlite3 *db;
    sqlite3_stmt *s;
    int rc = dd_meta_sqlite_db(m, &db, NULL);
    if (rc || (rc = prep(db, "SELECT gen FROM auth_gen WHERE id = 1", &s, NULL))) return rc;
    int src = sqlite3_step(s);
    if (src == SQLITE_ROW) {
        *gen = (uint64_t)sqlite3_column_int64(s, 0);
        rc = DD_OK;
    } else {
        rc = src == SQLITE_DONE ? DD_ECORRUPT : sqerr(db, src, NULL);
    }
    sqlite3_finalize(s);
    return rc;
}
