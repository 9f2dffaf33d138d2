/*
 * meta_int.h: what the metadata wrapper layer (src/meta/meta.c) shares with
 * its drivers: the driver vtables, and the SQLite driver's migrations.
 */
#ifndef DD_META_INT_H
#define DD_META_INT_H

#include "dd/meta.h"
#include "dd/sqldb.h"

extern const dd_meta_ops_t dd_meta_sqlite_ops;

/* The SQLite driver's schema (src/meta/sqlite/schema.c), applied by the
 * shared SQLite layer: migration i (1-based) takes PRAGMA user_version from
 * i-1 to i. */
extern const dd_sql_migration_t dd_meta_sqlite_migrations[];
extern const size_t dd_meta_sqlite_n_migrations;

/* The SQLite driver's users and tokens (src/meta/sqlite/auth.c), which
 * reach the calling thread's connection through dd_meta_sqlite_db(). */
struct sqlite3;
int dd_meta_sqlite_db(dd_meta_t *m, struct sqlite3 **out, dd_err_t *e);
int dd_sq_user_put(dd_meta_t *m, const dd_user_rec_t *u, bool create, dd_err_t *e);
int dd_sq_user_get(dd_meta_t *m, const char *name, dd_user_rec_t *out);
int dd_sq_user_delete(dd_meta_t *m, const char *name, dd_err_t *e);
int dd_sq_users_each(dd_meta_t *m, int (*fn)(const dd_user_rec_t *u, void *arg), void *arg);
int dd_sq_token_put(dd_meta_t *m, const dd_token_rec_t *t, dd_err_t *e);
int dd_sq_token_revoke(dd_meta_t *m, const char *id, int64_t now_ms, dd_err_t *e);
int dd_sq_tokens_each(dd_meta_t *m, int (*fn)(const dd_token_rec_t *t, void *arg), void *arg);
int dd_sq_auth_generation(dd_meta_t *m, uint64_t *gen);

#endif
