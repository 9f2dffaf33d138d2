/* test_sqldb.c: unit tests of src/sqldb/sqldb.c (the one SQLite layer:
 * open, migrations, statement cache, errors into dd_err_t). */
#include "dd/sqldb.h"
#include "test.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char path[256];

static const dd_sqldb_opts_t rw = {.name = "test store", .busy_ms = 1000, .pragmas = "PRAGMA journal_mode=WAL;"};

static void fresh_path(void)
{
    snprintf(path, sizeof path, "/tmp/dd-test-sqldb-%d.db", (int)getpid());
    unlink(path);
    char p[300];
    snprintf(p, sizeof p, "%s-wal", path); unlink(p);
    snprintf(p, sizeof p, "%s-shm", path); unlink(p);
}

static int user_version(sqlite3 *db)
{
    sqlite3_stmt *st;
    int v = -1;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

static const dd_sql_migration_t steps[] = {
    {1, "t", "CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER NOT NULL);"},
    {2, "t.note", "ALTER TABLE t ADD COLUMN note TEXT NOT NULL DEFAULT '';"},
};

/* A new database file at path, opened read-write. */
static sqlite3 *fresh_db(void)
{
    fresh_path();
    sqlite3 *db = NULL;
    dd_err_t e;
    CHECK_INT(dd_sqldb_open(path, &rw, &db, &e), DD_OK);
    return db;
}

TEST(migrations_apply_once_in_order)
{
    sqlite3 *db = fresh_db();
    dd_err_t e;
    CHECK_INT(dd_sqldb_migrate(db, "test store", steps, 1, &e), DD_OK);
    CHECK_INT(user_version(db), 1);
    CHECK_INT(dd_sqldb_migrate(db, "test store", steps, 2, &e), DD_OK);
    CHECK_INT(user_version(db), 2);
    CHECK_INT(dd_sqldb_migrate(db, "test store", steps, 2, &e), DD_OK); /* nothing left to do */
    CHECK_INT(dd_sqldb_exec(db, "test store", "INSERT INTO t(k, v, note) VALUES ('a', 1, 'x')", &e), DD_OK);
    /* a file newer than the table is refused, untouched */
    CHECK_INT(dd_sqldb_migrate(db, "test store", steps, 1, &e), DD_EUNSUPPORTED);
    CHECK(strstr(e.msg, "test store: schema version 2 is newer") != NULL);
    CHECK_INT(user_version(db), 2);
    sqlite3_close_v2(db);
    unlink(path);
}

TEST(failed_migration_rolls_back)
{
    static const dd_sql_migration_t bad[] = {
        {1, "t", "CREATE TABLE t (k TEXT);"},
        {2, "broken", "CREATE TABLE u (x); CREATE TABLE t (k TEXT);"},
    };
    sqlite3 *db = fresh_db();
    dd_err_t e;
    CHECK_INT(dd_sqldb_migrate(db, "test store", bad, 2, &e), DD_EIO);
    CHECK(strstr(e.msg, "migration 2: broken") != NULL);
    /* all or nothing: neither step 1 nor half of step 2 is left */
    CHECK_INT(user_version(db), 0);
    CHECK_INT(dd_sqldb_exec(db, "test store", "SELECT * FROM u", &e), DD_EIO);
    sqlite3_close_v2(db);
    unlink(path);
}

TEST(errors_and_statement_cache)
{
    sqlite3 *db = fresh_db();
    dd_err_t e;
    CHECK_INT(dd_sqldb_migrate(db, "test store", steps, 2, &e), DD_OK);
    dd_sqlcache_t c;
    dd_sqlcache_init(&c, db, "test store");
    static const char ins[] = "INSERT INTO t(k, v) VALUES (?, ?)";
    sqlite3_stmt *st = dd_sqlcache_get(&c, ins, &e);
    CHECK(st != NULL);
    sqlite3_bind_text(st, 1, "a", -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, 1);
    CHECK_INT(sqlite3_step(st), SQLITE_DONE);
    dd_sql_done(st);
    CHECK(dd_sqlcache_get(&c, ins, &e) == st); /* prepared once */
    sqlite3_bind_text(st, 1, "a", -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, 2);
    int src = sqlite3_step(st);
    CHECK_INT(dd_sqldb_err(db, "test store", src, &e), DD_ECONFLICT);
    CHECK(strncmp(e.msg, "test store: ", 12) == 0);
    dd_sql_done(st);
    CHECK(dd_sqlcache_get(&c, "SELECT nope FROM nowhere", &e) == NULL);
    CHECK_INT(e.code, DD_EIO);
    CHECK(strstr(e.msg, "nowhere") != NULL);
    dd_sqlcache_release(&c);
    sqlite3_close_v2(db);
    /* read-only opens an existing file immutable, and names a missing one */
    dd_sqldb_opts_t ro = {.name = "test store", .readonly = true};
    CHECK_INT(dd_sqldb_open(path, &ro, &db, &e), DD_OK);
    CHECK_INT(dd_sqldb_exec(db, "test store", "SELECT k FROM t", &e), DD_OK);
    CHECK(dd_sqldb_exec(db, "test store", "INSERT INTO t(k, v) VALUES ('b', 1)", &e) != DD_OK);
    sqlite3_close_v2(db);
    unlink(path);
    CHECK_INT(dd_sqldb_open(path, &ro, &db, &e), DD_ENOTFOUND);
    CHECK(strstr(e.msg, "no database at") != NULL);
}

TEST_MAIN(RUN(migrations_apply_once_in_order); RUN(failed_migration_rolls_back); RUN(errors_and_statement_cache))
