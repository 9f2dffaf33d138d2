/*
 * sqldb.h: the one SQLite layer under the metadata store (src/meta/sqlite),
 * the vulnerability database (src/vulndb) and the scan store
 * (src/jobs/scanstore.c).
 *
 * It does what each of them used to do its own way:
 *   - open a file with the store's profile (read-write or read-only
 *     immutable, threading mode, busy timeout, pragmas such as WAL);
 *   - one migration scheme: an ordered table of dd_sql_migration_t applied
 *     above PRAGMA user_version, each step in the transaction that bumps
 *     user_version, so a crash never leaves half a migration, and a file
 *     newer than this binary is refused;
 *   - a statement cache keyed by the SQL literal's address (prepared once
 *     with SQLITE_PREPARE_PERSISTENT, reset and unbound on each use);
 *   - SQLite errors into dd_err_t: BUSY/LOCKED -> DD_EBUSY, CONSTRAINT ->
 *     DD_ECONFLICT, anything else DD_EIO, the message prefixed with the
 *     store's name.
 * Locking stays with each store (a mutex, a connection per thread...).
 */
#ifndef DD_SQLDB_H
#define DD_SQLDB_H

#include "dd/core.h"

#include <sqlite3.h>

/* One step of a schema. APPEND only: never edit or reorder a shipped one. */
typedef struct dd_sql_migration {
    int version;      /* 1, 2, ...: the index in the table plus one */
    const char *what; /* one line: what the step adds */
    const char *sql;  /* statements run in the step's transaction */
} dd_sql_migration_t;

typedef struct dd_sqldb_opts {
    const char *name;    /* the store's name in error messages ("scan store") */
    bool readonly;       /* open read-only with immutable=1: the file never changes in place */
    bool shared;         /* the handle is used by several threads (SQLITE_OPEN_FULLMUTEX) */
    int busy_ms;         /* busy timeout, 0 = none */
    const char *pragmas; /* run after open (read-write only), NULL = none */
} dd_sqldb_opts_t;

/* Opens path with o. DD_ENOTFOUND if a read-only file does not exist. */
int dd_sqldb_open(const char *path, const dd_sqldb_opts_t *o, sqlite3 **out, dd_err_t *e);
/* Runs sql (one or more statements). */
int dd_sqldb_exec(sqlite3 *db, const char *name, const char *sql, dd_err_t *e);
/* The dd rc for a failed SQLite call (src = its result code), with the
 * connection's message in e. */
int dd_sqldb_err(sqlite3 *db, const char *name, int src, dd_err_t *e);
/* Applies m[user_version .. n) in order (see above). */
int dd_sqldb_migrate(sqlite3 *db, const char *name, const dd_sql_migration_t *m, size_t n, dd_err_t *e);

/* ---- statement cache ---- */
#define DD_SQLCACHE_SLOTS 128

typedef struct dd_sqlcache {
    sqlite3 *db;
    const char *name;
    struct {
        const char *sql;
        sqlite3_stmt *st;
    } slot[DD_SQLCACHE_SLOTS];
} dd_sqlcache_t;

void dd_sqlcache_init(dd_sqlcache_t *c, sqlite3 *db, const char *name);
/* Finalizes every statement (the connection stays open). */
void dd_sqlcache_release(dd_sqlcache_t *c);
/* The prepared statement for sql, which must be a string with static
 * storage (it is found by address), reset and unbound; NULL with e filled
 * if it does not prepare. Hand it back with dd_sql_done(). */
sqlite3_stmt *dd_sqlcache_get(dd_sqlcache_t *c, const char *sql, dd_err_t *e);
/* Resets st and clears its bindings (NULL is fine). */
void dd_sql_done(sqlite3_stmt *st);

#endif
