/*
 * sqldb.c: the one SQLite layer (see dd/sqldb.h): open with a profile, the
 * migration scheme on PRAGMA user_version, the statement cache, and SQLite
 * errors into dd_err_t. The metadata store, the vulnerability database and
 * the scan store all open and migrate through here.
 */
#include "dd/sqldb.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int dd_sqldb_err(sqlite3 *db, const char *name, int src, dd_err_t *e)
{
    const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(src);
    int prim = src & 0xff;
    int code = (prim == SQLITE_BUSY || prim == SQLITE_LOCKED) ? DD_EBUSY
               : prim == SQLITE_CONSTRAINT                    ? DD_ECONFLICT
                                                              : DD_EIO;
    if (code == DD_EBUSY) return dd_err(e, code, "%s: database is busy: %s", name, msg);
    return dd_err(e, code, "%s: %s", name, msg);
}

int dd_sqldb_exec(sqlite3 *db, const char *name, const char *sql, dd_err_t *e)
{
    char *msg = NULL;
    int src = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (src == SQLITE_OK) return DD_OK;
    int prim = src & 0xff;
    int code = (prim == SQLITE_BUSY || prim == SQLITE_LOCKED) ? DD_EBUSY
               : prim == SQLITE_CONSTRAINT                    ? DD_ECONFLICT
                                                              : DD_EIO;
    dd_err(e, code, "%s: %s", name, msg ? msg : sqlite3_errstr(src));
    sqlite3_free(msg);
    return code;
}

/* "file:" URI for a path, percent-escaping what URIs reserve. */
static char *file_uri(const char *path, const char *query)
{
    dd_buf_t b;
    dd_buf_init(&b, 0);
    int rc = dd_buf_puts(&b, "file:");
    for (const char *p = path; rc == DD_OK && *p; p++) {
        if (*p == '%' || *p == '?' || *p == '#') rc = dd_buf_printf(&b, "%%%02X", (unsigned char)*p);
        else rc = dd_buf_putc(&b, *p);
    }
    if (rc == DD_OK) rc = dd_buf_puts(&b, query);
    if (rc != DD_OK) {
        dd_buf_release(&b);
        return NULL;
    }
    return dd_buf_detach(&b, NULL);
}

int dd_sqldb_open(const char *path, const dd_sqldb_opts_t *o, sqlite3 **out, dd_err_t *e)
{
    *out = NULL;
    sqlite3 *db = NULL;
    int flags = o->shared ? SQLITE_OPEN_FULLMUTEX : SQLITE_OPEN_NOMUTEX;
    int src;
    if (o->readonly) {
        struct stat sb;
        if (stat(path, &sb) != 0) {
            if (errno == ENOENT) return dd_err(e, DD_ENOTFOUND, "%s: no database at '%s'", o->name, path);
            return dd_err_errno(e, DD_EIO, errno, "%s: stat '%s'", o->name, path);
        }
        char *uri = file_uri(path, "?immutable=1");
        if (!uri) return dd_err(e, DD_ENOMEM, "%s: out of memory", o->name);
        src = sqlite3_open_v2(uri, &db, flags | SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
        free(uri);
    } else {
        dd_file_create_private(path); /* 0600, and so its -wal/-shm (issue 20 item 2) */
        src = sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    }
    if (src != SQLITE_OK) {
        int rc = dd_err(e, DD_EIO, "%s: cannot open '%s': %s", o->name, path,
                        db ? sqlite3_errmsg(db) : sqlite3_errstr(src));
        sqlite3_close_v2(db);
        return rc;
    }
    sqlite3_extended_result_codes(db, 0);
    if (o->busy_ms > 0) sqlite3_busy_timeout(db, o->busy_ms);
    if (!o->readonly && o->pragmas) {
        int rc = dd_sqldb_exec(db, o->name, o->pragmas, e);
        if (rc != DD_OK) {
            sqlite3_close_v2(db);
            return rc;
        }
    }
    *out = db;
    return DD_OK;
}

int dd_sqldb_migrate(sqlite3 *db, const char *name, const dd_sql_migration_t *m, size_t n, dd_err_t *e)
{
    int rc = dd_sqldb_exec(db, name, "BEGIN IMMEDIATE", e);
    if (rc != DD_OK) return rc;
    sqlite3_stmt *st = NULL;
    int version = 0;
    int src = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);
    if (src == SQLITE_OK && (src = sqlite3_step(st)) == SQLITE_ROW) version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (src != SQLITE_ROW) {
        rc = dd_sqldb_err(db, name, src, e);
        dd_sqldb_exec(db, name, "ROLLBACK", NULL);
        return rc;
    }
    if (version > (int)n) {
        dd_sqldb_exec(db, name, "ROLLBACK", NULL);
        return dd_err(e, DD_EUNSUPPORTED, "%s: schema version %d is newer than this drydock (%zu)", name, version,
                      n);
    }
    for (size_t i = (size_t)version; i < n; i++) {
        if (m[i].version != (int)i + 1) DD_BUG("%s: migration %zu has version %d", name, i, m[i].version);
        char pragma[48];
        snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", m[i].version);
        rc = dd_sqldb_exec(db, name, m[i].sql, e);
        if (rc == DD_OK) rc = dd_sqldb_exec(db, name, pragma, e);
        if (rc != DD_OK) {
            if (e) {
                char msg[sizeof e->msg];
                snprintf(msg, sizeof msg, "%s", e->msg);
                dd_err(e, rc, "%s (migration %d: %s)", msg, m[i].version, m[i].what);
            }
            dd_sqldb_exec(db, name, "ROLLBACK", NULL);
            return rc;
        }
    }
    return dd_sqldb_exec(db, name, "COMMIT", e);
}

/* ---- statement cache ---- */

void dd_sqlcache_init(dd_sqlcache_t *c, sqlite3 *db, const char *name)
{
    memset(c, 0, sizeof *c);
    c->db = db;
    c->name = name;
}

void dd_sqlcache_release(dd_sqlcache_t *c)
{
    for (size_t i = 0; i < DD_SQLCACHE_SLOTS; i++) {
        sqlite3_finalize(c->slot[i].st);
        c->slot[i].st = NULL;
        c->slot[i].sql = NULL;
    }
}

void dd_sql_done(sqlite3_stmt *st)
{
    if (!st) return;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

sqlite3_stmt *dd_sqlcache_get(dd_sqlcache_t *c, const char *sql, dd_err_t *e)
{
    size_t h = ((uintptr_t)sql >> 3) % DD_SQLCACHE_SLOTS;
    for (size_t k = 0; k < DD_SQLCACHE_SLOTS; k++) {
        size_t i = (h + k) % DD_SQLCACHE_SLOTS;
        if (c->slot[i].sql == sql) {
            dd_sql_done(c->slot[i].st); /* in case a path returned without dd_sql_done() */
            return c->slot[i].st;
        }
        if (c->slot[i].sql) continue;
        sqlite3_stmt *st = NULL;
        int src = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
        if (src != SQLITE_OK) {
            dd_sqldb_err(c->db, c->name, src, e);
            return NULL;
        }
        c->slot[i].sql = sql;
        c->slot[i].st = st;
        return st;
    }
    dd_err(e, DD_ELIMIT, "%s: statement cache full", c->name);
    return NULL;
}
