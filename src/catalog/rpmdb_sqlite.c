/*
 * rpmdb_sqlite.c: reads rpm's SQLite database (rpmdb.sqlite, rpm >= 4.16)
 * from memory: table Packages(hnum INTEGER PRIMARY KEY, blob BLOB), one rpm
 * header blob per row.
 *
 * The bytes are copied into a SQLite-owned buffer and opened with
 * sqlite3_deserialize(), read-only, so nothing touches the disk. rpm keeps
 * the database in WAL mode (header bytes 18/19 == 2), which an in-memory
 * database cannot open; the copy is switched to rollback-journal mode (1/1)
 * first. Changes still only in a -wal file are therefore not seen (images
 * normally ship a checkpointed database).
 *
 * Hostile files: SQLite's own corruption checks, defensive mode, a blob
 * length limit and a progress-handler step budget bound the work.
 */
#include "catalog/catalog_int.h"

#include <sqlite3.h>
#include <string.h>

#define SQLITE_STEP_BUDGET 200000 /* progress callbacks (x 1000 VM ops) */

static int budget_cb(void *arg)
{
    int *left = arg;
    return --*left <= 0; /* non-zero interrupts the statement */
}

int dd_rpmdb_sqlite_each(const uint8_t *data, size_t len, dd_rpmdb_blob_fn fn, void *arg, dd_err_t *e)
{
    if (len < 100 || memcmp(data, "SQLite format 3", 16) != 0)
        return dd_err(e, DD_ECORRUPT, "sqlite: not an sqlite database");
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return dd_err(e, DD_ENOMEM, "sqlite: cannot open an in-memory database");
    }
    unsigned char *copy = sqlite3_malloc64(len);
    if (!copy) {
        sqlite3_close(db);
        return dd_err(e, DD_ENOMEM, "sqlite: out of memory for %zu bytes", len);
    }
    memcpy(copy, data, len);
    if (copy[18] == 2) copy[18] = 1; /* WAL -> rollback journal, write version */
    if (copy[19] == 2) copy[19] = 1; /* read version */
    int rc = sqlite3_deserialize(db, "main", copy, (sqlite3_int64)len, (sqlite3_int64)len,
                                 SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_READONLY);
    if (rc != SQLITE_OK) {
        sqlite3_close(db);
        return dd_err(e, DD_ECORRUPT, "sqlite: cannot load database: %s", sqlite3_errstr(rc));
    }
    sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
    sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
    sqlite3_limit(db, SQLITE_LIMIT_LENGTH, (int)DD_CATALOG_MAX_RPM_BLOB);
    int left = SQLITE_STEP_BUDGET;
    sqlite3_progress_handler(db, 1000, budget_cb, &left);

    /* Packages must be a real table (not a view doing arbitrary work) */
    sqlite3_stmt *st = NULL;
    bool is_table = false;
    if (sqlite3_prepare_v2(db, "SELECT type FROM sqlite_master WHERE name = 'Packages'", -1, &st, NULL) ==
        SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW) {
            const unsigned char *t = sqlite3_column_text(st, 0);
            is_table = t && strcmp((const char *)t, "table") == 0;
        }
    }
    sqlite3_finalize(st);
    st = NULL;
    if (!is_table) {
        sqlite3_close(db);
        return dd_err(e, DD_ECORRUPT, "sqlite: no Packages table");
    }
    rc = sqlite3_prepare_v2(db, "SELECT blob FROM Packages ORDER BY hnum", -1, &st, NULL);
    if (rc != SQLITE_OK) {
        int out = dd_err(e, DD_ECORRUPT, "sqlite: no readable Packages table: %s", sqlite3_errmsg(db));
        sqlite3_close(db);
        return out;
    }
    int ret = DD_OK;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const void *b = sqlite3_column_blob(st, 0);
        int n = sqlite3_column_bytes(st, 0);
        if (!b || n <= 0) continue;
        int frc = fn(b, (size_t)n, arg);
        if (frc) {
            ret = frc;
            break;
        }
    }
    if (ret == DD_OK && rc != SQLITE_DONE) {
        if (rc == SQLITE_INTERRUPT)
            ret = dd_err(e, DD_ELIMIT, "sqlite: work budget exceeded");
        else
            ret = dd_err(e, DD_ECORRUPT, "sqlite: reading Packages failed: %s", sqlite3_errmsg(db));
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return ret;
}
