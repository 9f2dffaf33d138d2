/*
 * scanstore.c: the SQLite implementation of scanstore.h (DATA/scans.db).
 *
 * One connection in WAL mode, guarded by a mutex: scan writes are off the
 * registry's hot path, and every call is short. Each mutating call is one
 * transaction. Opening, the migrations and the statement cache are the
 * shared SQLite layer's (dd/sqldb.h).
 */
#include "jobs/scanstore_int.h"
#include "dd/sqldb.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME "scan store" /* in error messages */

typedef struct sq_store {
    dd_scanstore_t super; /* ops = &dd_scanstore_sqlite_ops */
    sqlite3 *db;
    pthread_mutex_t mu;
    dd_sqlcache_t cache; /* prepared statements by SQL literal (prep/done), under mu */
} sq_store_t;

#define SQ(base) ((sq_store_t *)(base))

static const dd_sql_migration_t migrations[] = {
    {1, "layers, images, references, findings, history, jobs, settings",
    "CREATE TABLE layers (digest TEXT NOT NULL, version INTEGER NOT NULL, status INTEGER NOT NULL,"
    " result BLOB, error TEXT, analyzed_ms INTEGER NOT NULL, PRIMARY KEY (digest, version));"
    "CREATE TABLE images (digest TEXT PRIMARY KEY, media_type TEXT NOT NULL DEFAULT '',"
    " is_index INTEGER NOT NULL DEFAULT 0, state INTEGER NOT NULL DEFAULT 0, error TEXT NOT NULL DEFAULT '',"
    " os TEXT NOT NULL DEFAULT '', os_pretty TEXT NOT NULL DEFAULT '', platform TEXT NOT NULL DEFAULT '',"
    " pushed_ms INTEGER NOT NULL DEFAULT 0, scanned_ms INTEGER NOT NULL DEFAULT 0,"
    " db_version INTEGER NOT NULL DEFAULT 0, size INTEGER NOT NULL DEFAULT 0,"
    " n_packages INTEGER NOT NULL DEFAULT 0, c0 INTEGER NOT NULL DEFAULT 0, c1 INTEGER NOT NULL DEFAULT 0,"
    " c2 INTEGER NOT NULL DEFAULT 0, c3 INTEGER NOT NULL DEFAULT 0, c4 INTEGER NOT NULL DEFAULT 0,"
    " c5 INTEGER NOT NULL DEFAULT 0, n_fixable INTEGER NOT NULL DEFAULT 0, children TEXT NOT NULL DEFAULT '',"
    " inventory BLOB);"
    "CREATE TABLE refs (repo TEXT NOT NULL, digest TEXT NOT NULL, tag TEXT NOT NULL DEFAULT '',"
    " PRIMARY KEY (repo, digest, tag));"
    "CREATE INDEX refs_digest ON refs(digest);"
    "CREATE TABLE findings (image TEXT NOT NULL, vuln_id TEXT NOT NULL, package TEXT NOT NULL,"
    " version TEXT NOT NULL, fixed TEXT NOT NULL, fix_state TEXT NOT NULL, severity INTEGER NOT NULL,"
    " layer INTEGER NOT NULL, json TEXT NOT NULL);"
    "CREATE INDEX findings_image ON findings(image, severity DESC, vuln_id, package);"
    "CREATE INDEX findings_vuln ON findings(vuln_id);"
    "CREATE TABLE history (id INTEGER PRIMARY KEY AUTOINCREMENT, image TEXT NOT NULL, ts_ms INTEGER NOT NULL,"
    " change TEXT NOT NULL, vuln_id TEXT NOT NULL, package TEXT NOT NULL, db_version INTEGER NOT NULL);"
    "CREATE INDEX history_image ON history(image, id);"
    "CREATE TABLE jobs (id INTEGER PRIMARY KEY AUTOINCREMENT, digest TEXT NOT NULL, repo TEXT NOT NULL,"
    " state INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0, created_ms INTEGER NOT NULL);"
    "CREATE INDEX jobs_state ON jobs(state, id);"
    "CREATE TABLE kv (key TEXT PRIMARY KEY, value INTEGER NOT NULL);"},
    {2, "a hash of each image's findings, to skip unchanged rewrites",
     "ALTER TABLE images ADD COLUMN findings_hash TEXT NOT NULL DEFAULT '';"},
    /* the 2048-byte JSON column lost the list from 28 children on */
    {3, "an index's children as rows",
     "CREATE TABLE image_children (image TEXT NOT NULL, idx INTEGER NOT NULL, child TEXT NOT NULL,"
    " PRIMARY KEY (image, idx)) WITHOUT ROWID;"
    "INSERT INTO image_children(image, idx, child) SELECT images.digest, j.key, j.value"
    " FROM images, json_each(images.children) AS j WHERE images.children <> '' AND json_valid(images.children);"
    "ALTER TABLE images DROP COLUMN children;"},
};

static int exec(sq_store_t *s, const char *sql, dd_err_t *e)
{
    return dd_sqldb_exec(s->db, NAME, sql, e);
}

static int sq_open(const char *path, dd_scanstore_t **out, dd_err_t *e)
{
    static const dd_sqldb_opts_t opts = {
        .name = NAME,
        .busy_ms = 10000,
        /* FULL, as meta.db: the image row and its job are committed before the
         * manifest PUT is answered, and NORMAL could lose them on power loss
         * (the image then stayed "not-scanned" for good) */
        .pragmas = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;",
    };
    sqlite3 *db;
    int rc = dd_sqldb_open(path, &opts, &db, e);
    if (rc == DD_OK) rc = dd_sqldb_migrate(db, NAME, migrations, sizeof migrations / sizeof migrations[0], e);
    if (rc != DD_OK) {
        sqlite3_close_v2(db);
        return rc;
    }
    sq_store_t *s = dd_calloc(1, sizeof *s);
    s->super.ops = &dd_scanstore_sqlite_ops;
    pthread_mutex_init(&s->mu, NULL);
    s->db = db;
    dd_sqlcache_init(&s->cache, db, NAME);
    *out = &s->super;
    return DD_OK;
}

static void sq_close(dd_scanstore_t *base)
{
    sq_store_t *s = SQ(base);
    dd_sqlcache_release(&s->cache);
    sqlite3_close_v2(s->db);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

#define done dd_sql_done

/* A cached prepared statement for sql, a string literal, so the hot paths
 * (the manifest-push hook, the findings API) don't parse SQL on every call.
 * Hand it back with done() before unlocking. NULL, with e filled, if it does
 * not prepare. */
static sqlite3_stmt *prep(sq_store_t *s, const char *sql, dd_err_t *e)
{
    return dd_sqlcache_get(&s->cache, sql, e);
}

/* The rc of the store's last failed call (mu held), its message in e. */
static int fail(sq_store_t *s, dd_err_t *e)
{
    return dd_sqldb_err(s->db, NAME, sqlite3_extended_errcode(s->db), e);
}

/* Steps a statement that returns no rows. */
static int step_done(sq_store_t *s, sqlite3_stmt *st, dd_err_t *e)
{
    return sqlite3_step(st) == SQLITE_DONE ? DD_OK : fail(s, e);
}

/* The end of a rows loop: DD_OK at the end, else the failure. */
static int rows_end(sq_store_t *s, int src, dd_err_t *e)
{
    return src == SQLITE_DONE ? DD_OK : fail(s, e);
}

#define LOCK(s) pthread_mutex_lock(&(s)->mu)
#define UNLOCK(s) pthread_mutex_unlock(&(s)->mu)

static const char *col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : "";
}

static void copy_str(char *dst, size_t n, const char *src)
{
    snprintf(dst, n, "%s", src ? src : "");
}

/* ---- layers ---- */

static int sq_layer_get(dd_scanstore_t *base, const char *digest, int version, dd_buf_t *out, char *why,
                           size_t whysz, int *status, dd_err_t *e)
{
    sq_store_t *s = SQ(base);
    LOCK(s);
    int rc = DD_EIO;
    sqlite3_stmt *st = prep(s, "SELECT status, result, error FROM layers WHERE digest=? AND version=?", e);
    if (st) {
        sqlite3_bind_text(st, 1, digest, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 2, version);
        int src = sqlite3_step(st);
        if (src == SQLITE_ROW) {
            rc = DD_OK;
            *status = sqlite3_column_int(st, 0);
            if (why) copy_str(why, whysz, col_text(st, 2));
            if (*status == DD_OK && out) {
                dd_buf_reset(out);
                if (dd_buf_append(out, sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1)))
                    rc = dd_err(e, DD_ELIMIT, NAME ": the analysis of layer '%s' is too large", digest);
            }
        } else if (src == SQLITE_DONE) {
            rc = dd_err(e, DD_ENOTFOUND, NAME ": no analysis of layer '%s'", digest);
        } else {
            rc = fail(s, e);
        }
        done(st);
    }
    UNLOCK(s);
    return rc;
}

static int sq_layer_put(dd_scanstore_t *base, const char *digest, int version, int status, const void *result,
                           size_t n, const char *error, dd_err_t *e)
{
    sq_store_t *s = SQ(base);
    LOCK(s);
    int rc = DD_EIO;
    sqlite3_stmt *st = prep(s, "INSERT OR REPLACE INTO layers(digest, version, status, result, error, analyzed_ms)"
                               " VALUES (?,?,?,?,?,?)", e);
    if (st) {
        sqlite3_bind_text(st, 1, digest, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 2, version);
        sqlite3_bind_int(st, 3, status);
        if (result) sqlite3_bind_blob64(st, 4, result, n, SQLITE_STATIC);
        else sqlite3_bind_null(st, 4);
        sqlite3_bind_text(st, 5, error ? error : "", -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 6, dd_now_ms());
        rc = step_done(s, st, e);
        done(st);
    }
    UNLOCK(s);
    return rc;
}

/* One integer from sql (with arg bound to ?1 if not NULL) into *out. */
static int scalar_i64(sq_store_t *s, const char *sql, const char *arg, int64_t *out, dd_err_t *e)
{
    *out = 0;
    sqlite3_stmt *st = prep(s, sql, e);
    if (!st) return DD_EIO;
    if (arg) sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
    int src = sqlite3_step(st);
    int rc = DD_OK;
    if (src == SQLITE_ROW) *out = sqlite3_column_int64(st, 0);
    else rc = rows_end(s, src, e);
    done(st);
    return rc;
}

static int sq_layer_count(dd_scanstore_t *base, int64_t *n, dd_err_t *e)
{
    sq_store_t *s = SQ(base);
    LOCK(s);
    int rc = scalar_i64(s, "SELECT count(*) FROM layers WHERE status=0", NULL, n, e);
    UNLOCK(s);
    return rc;
}

/* ---- images ---- */

#define IMAGE_COLS                                                                                  \
    "digest, media_type, is_index, state, error, os, os_pretty, platform, pushed_ms, scanned_ms,"   \
    " db_version, size, n_packages, c0, c1, c2, c3, c4, c5, n_fixable"

static void read_image(sqlite3_stmt *st, dd_image_rec_t *r)
{
    memset(r, 0, sizeof *r);
    copy_str(r->digest, sizeof r->digest, col_text(st, 0));
    copy_str(r->media_type, sizeof r->media_type, col_text(st, 1));
    r->is_index = sqlite3_column_int(st, 2) != 0;
    r->state = (dd_scan_state_t)sqlite3_column_int(st, 3);
    copy_str(r->error, sizeof r->error, col_text(st, 4));
    copy_str(r->os, sizeof r->os, col_text(st, 5));
    copy_str(r->os_pretty, sizeof r->os_pretty, col_text(st, 6));
    copy_str(r->platform, sizeof r->platform, col_text(st, 7));
    r->pushed_ms = sqlite3_column_int64(st, 8);
    r->scanned_ms = sqlite3_column_int64(st, 9);
    r->db_version = sqlite3_column_int64(st, 10);
    r->size = sqlite3_column_int64(st, 11);
    r->n_packages = sqlite3_column_int(st, 12);
    for (int i = 0; i < DD_NSEV; i++) r->counts[i] = sqlite3_column_int(st, 13 + i);
    r->n_fixable = sqlite3_column_int(st, 19);
}

static int sq_image_pushed(dd_scanstore_t *base, const char *repo, const char *digest, const char *media_type,
                              const char *tag, bool enqueue, bool *created, dd_err_t *e)
{
    sq_store_t *s = SQ(base);
    LOCK(s);
    int rc = DD_EIO;
    bool made = false;
    if ((rc = exec(s, "BEGIN IMMEDIATE", e)) != DD_OK) {
        UNLOCK(s);
        return rc;
    }
    /* a push into a repository that is not scanned records the image as
     * unsupported with DD_SCAN_OFF_REASON; a later push of the same digest
     * into a scanned repository queues it after all */
    sqlite3_stmt *st = prep(s, "INSERT OR IGNORE INTO images(digest, media_type, state, error, pushed_ms)"
                               " VALUES (?,?,?,?,?)", e);
    if (!st) { rc = DD_EIO; goto out; }
    sqlite3_bind_text(st, 1, digest, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, media_type ? media_type : "", -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, enqueue ? DD_SCAN_QUEUED : DD_SCAN_UNSUPPORTED);
    sqlite3_bind_text(st, 4, enqueue ? "" : DD_SCAN_OFF_REASON, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, dd_now_ms());
    if ((rc = step_done(s, st, e)) != DD_OK) { done(st); goto out; }
    made = sqlite3_changes(s->db) > 0;
    done(st);
    if (!made && enqueue) {
        st = prep(s, "UPDATE images SET state=0, error='' WHERE digest=? AND state=? AND error=?", e);
        if (!st) { rc = DD_EIO; goto out; }
        sqlite3_bind_text(st, 1, digest, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 2, DD_SCAN_UNSUPPORTED);
        sqlite3_bind_text(st, 3, DD_SCAN_OFF_REASON, -1, SQLITE_STATIC);
        if ((rc = step_done(s, st, e)) != DD_OK) { done(st); goto out; }
        made = sqlite3_changes(s->db) > 0;
        done(st);
    }
    st = prep(s, "INSERT OR IGNORE INTO refs(repo, digest, tag) VALUES (?,?,?)", e);
    if (!st) { rc = DD_EIO; goto out; }
    sqlite3_bind_text(st, 1, repo, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, digest, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, tag ? tag : "", -1, SQLITE_STATIC);
    if ((rc = step_done(s, st, e)) != DD_OK) { done(st); goto out; }
    done(st);
    if (tag && *tag) {
        /* a tag names one digest per repository: it moves, and the manifest
         * it named stays in the repository untagged (issue 15) */
        static const char *const moves[] = {
            "INSERT OR IGNORE INTO refs(repo, digest, tag) SELECT repo, digest, '' FROM refs"
            " WHERE repo=?1 AND tag=?2 AND digest<>?3",
            "DELETE FROM refs WHERE repo=?1 AND tag=?2 AND digest<>?3",
        };
        for (size_t i = 0; i < sizeof moves / sizeof moves[0]; i++) {
            st = prep(s, moves[i], e);
            if (!st) { rc = DD_EIO; goto out; }
            sqlite3_bind_text(st, 1, repo, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 2, tag, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 3, digest, -1, SQLITE_STATIC);
            rc = step_done(s, st, e);
            done(st);
            if (rc != DD_OK) goto out;
        }
    }
    if (made && enqueue) {
        st = prep(s, "INSERT INTO jobs(digest, repo, state, created_ms) VALUES (?,?,0,?)", e);
        if (!st) { rc = DD_EIO; goto out; }
        sqlite3_bind_text(st, 1, digest, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, repo, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, dd_now_ms());
        if ((rc = step_done(s, st, e)) != DD_OK) { done(st); goto out; }
        done(st);
    }
    rc = exec(s, "COMMIT", e);
out:
    if (rc != DD_OK) exec(s, "ROLLBACK", NULL);
    UNLOCK(s);
    if (created) *created = made && rc == DD_OK;
    return rc;
}

static int delete_image_locked(sq_store_t *s, const char *digest, dd_err_t *e)
{
    static const char *const sqls[] = {
        "DELETE FROM images WHERE digest=?", "DELETE FROM findings WHERE image=?",
        "DELETE FROM jobs WHERE digest=?",   "DELETE FROM history WHERE image=?",
        "DELETE FROM image_children WHERE image=?",
    };
    for (size_t i = 0; i < sizeof sqls / sizeof sqls[0]; i++) {
        sqlite3_stmt *st = prep(s, sqls[i], e);
        if (!st) return DD_EIO;
        sqlite3_bind_text(st, 1, digest, -1, SQLITE_STATIC);
        int rc = step_done(s, st, e);
        done(st);
        if (rc != DD_OK) return rc;
    }
    return DD_OK;
}

static int sq_image_unref(dd_scanstore_t *base, const char *repo, const char *digest, dd_err_t *e)
{
    sq_store_t *s = SQ(base);
    LOCK(s);
    int rc = exec(s, "BEGIN IMMEDIATE", e);
    if (rc != DD_OK) goto done;
    sqlite3_stmt *st = prep(s, "DELETE FROM refs WHERE repo=? AND digest=?", e);
    if (!st) rc = DD_EIO;
    if (st) {
        sqlite3_bind_text(st, 1, repo, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, digest, -1, SQLITE_STATIC);
        rc = step_done(s, st, e);
        done(st);
    }
    int64_t left = 0;
    if (rc == DD_OK) rc = scalar_i64(s, "SELECT count(*) FROM refs WHERE digest=?", digest, &left, e);
    if (rc == DD_OK && left == 0) rc = delete_image_locked(s, digest, e);
    if (rc == DD_OK) rc = exec(s, "COMMIT", e);
    if (rc != DD_OK) exec(s, "ROLLBACK", NULL);
done:
    UNLOCK(s);
    return rc;
}

static int sq_tag_removed(dd_scanstore_t *base, const char *repo, const char *tag, dd_err_t *e)
{
    sq_store_t *s = SQ(base);
    if (!tag || !*tag) return dd_err(e, DD_EINVAL, NAME ": a tag to remove is needed");
    static const char *const sqls[] = {
        "INSERT OR IGNORE INTO refs(repo, digest, tag) SELECT repo, digest, '' FROM refs WHERE repo=?1 AND tag=?2",
        "DELETE FROM refs WHERE repo=?1 AND tag=?2",
    };
    LOCK(s);
    int rc = exec(s, "BEGIN IMMEDIATE", e);
    for (size_t i = 0; rc == DD_OK && i < sizeof sqls / sizeof sqls[0]; i++) {
        sqlite3_stmt *st = prep(s, sqls[i], e);
        if (!st) {
            rc = DD_EIO;
            break;
        }
        sqlite3_bind_text(st, 1, repo, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, tag, -1, SQLITE_STATIC);
        rc = step_done(s, st, e);
        done(st);
    }
    if (rc == DD_OK) rc = exec(s, "COMMIT", e);
    else exec(s, "ROLLBACK", NULL);
    UNLOCK(s);
    return rc;
}

static int sq_image_get(dd_scanstore_t *base, const char *digest, dd_image_rec_t *out, dd_err_t *e)
{
    sq_store_t *s = SQ(base);
    LOCK(s);
    int rc = DD_EIO;
    sqlite3_stmt *st = prep(s, "SELECT " IMAGE_COLS " FROM images WHERE digest=?", e);
    if (st) {
        sqlite3_bind_text(st, 1, digest, -1, SQLITE_STATIC);
        int src = sqlite3_step(st);
        if (src == SQLITE_ROW) {
            read_image(st, out);
            rc = DD_OK;
        } else if (src == SQLITE_DONE) {
            rc = dd_err(e, DD_ENOTFOUND, "no image '%s' in the scan store", digest);
        } else {
            rc = fail(s, e);
        }
        done(st);
    }
    UNLOCK(s);
    return rc;
}

static int sq_image_update(dd_scanstore_t *base, const dd_image_rec_t *r, dd_err_t *e)
{
    sq_store_t *s = SQ(base);
    LOCK(s);
    int rc = DD_EIO;
    sqlite3_stmt *st = prep(s, "UPDATE images SET media_type=?, is_index=?, state=?, error=?, os=?, os_pretty=?,"
                               " platform=?, scanned_ms=?, db_version=?, size=?, n_packages=?, c0=?, c1=?, c2=?,"
                               " c3=?, c4=?, c5=?, n_fixable=? WHERE digest=?", e);
    if (st) {
        int i = 1;
        sqlite3_bind_text(st, i++, r->media_type, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, i++, r->is_index);
        sqlite3_bind_int(st, i++, (int)r->state);
        sqlite3_bind_text(st, i++, r->error, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, i++, r->os, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, i++, r->os_pretty, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, i++, r->platform, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, i++, r->scanned_ms);
        sqlite3_bind_int64(st, i++, r->db_version);
        sqlite3_bind_int64(st, i++, r->size);
        sqlite3_bind_int(st, i++, r->n_packages);
        for (int k = 0; k < DD_NSEV; k++) sqlite3_bind_int(st, i++, r->counts[k]);
        sqlite3_bind_int(st, i++, r->n_fixable);
        sqlite3_bind_text(st, i++, r->digest, -1, SQLITE_STATIC);
        rc = step_done(s, st, e);
        if (rc == DD_OK && !sqlite3_changes(s->db))
            rc = dd_err(e, DD_ENOTFOUND, "no image '%s' in the scan store", r->digest);
        done(st);
    }
    UNLOCK(s);
    return rc;
}

static int sq_images(dd_scanstore_t *base, const char *repo, const char *after, size_t limit,
                        int (*fn)(const dd_image_rec_t *r, void *arg), void *arg, dd_err_t *e)
{
    sq_store_t *s = SQ(base);
    LOCK(s);
    sqlite3_stmt *st = repo ? prep(s, "SELECT " IMAGE_COLS " FROM images WHERE digest IN"
                                      " (SELECT digest FROM refs WHERE repo=?1) AND digest > ?2"
                                      " ORDER BY digest LIMIT ?3", e)
                            : prep(s, "SELECT " IMAGE_COLS " FROM images WHERE digest > ?2"
                                      " ORDER BY digest LIMIT ?3", e);
    if (!st) {
        UNLOCK(s);
        return DD_EIO;
    }
    if (repo) sqlite3_bind_text(st, 1, repo, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, after ? after : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, limit ? (int64_t)limit : -1);
    /* collect first so callbacks may call back into the store */
    size_t n = 0, cap = 0;
    dd_image_rec_t *recs = NULL;
    int src;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            recs = dd_realloc(recs, cap * sizeof *recs);
        }
        read_image(st, &recs[n++]);
    }
    int rc = rows_end(s, src, e);
    done(st);
    UNLOCK(s);
    for (size_t i = 0; rc == DD_OK && i < n; i++)
        if (fn(&recs[i], arg)) break;
    free(recs);
    return rc;
}

typedef struct strrow { char *a, *b, *c; } strrow_t;

static int collect_rows(sq_store_t *s, sqlite3_stmt *st, int ncol, strrow_t **rows, size_t *n, dd_err_t *e)
{
    size_t cap = 0;
    *rows = NULL;
    *n = 0;
    int src;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            *rows = dd_realloc(*rows, cap * sizeof **rows);
        }
        strrow_t *r = &(*rows)[(*n)++];
        r->a = dd_strdup(col_text(st, 0));
        r->b = ncol > 1 ? dd_strdup(col_text(st, 1)) : NULL;
        r->c = ncol > 2 ? dd_strdup(col_text(st, 2)) : NULL;
    }
    int rc = rows_end(s, src, e);
    done(st);
    return rc;
}

static void free_rows(strrow_t *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(rows[i].a);
        free(rows[i].b);
        free(rows[i].c);
    }
    free(rows);
}

static int sq_children_set(dd_scanstore_t *base, const char *digest, const char *const *children, size_t n,
                              dd_err_t *e)
{
    sq_store_t *s = SQ(base);
    LOCK(s);
    int rc = exec(s, "BEGIN IMMEDIATE", e);
    sqlite3_stmt *st = rc == DD_OK ? prep(s, "DELETE FROM image_children WHERE image=?", e) : NULL;
    if (st) {
        sqlite3_bind_text(st, 1, digest, -1, SQLITE_STATIC);
        rc = step_done(s, st, e);
        done(st);
    } else {
        rc = rc == DD_OK ? DD_EIO : rc;
    }
    for (size_t i = 0; rc == DD_OK && i < n; i++) {
        st = prep(s, "INSERT OR REPLACE INTO image_children(image, idx, child) VALUES (?,?,?)", e);
        if (!st) {
            rc = DD_EIO;
            break;
        }
        sqlite3_bind_text(st, 1, digest, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, (int64_t)i);
        sqlite3_bind_text(st, 3, children[i], -1, SQLITE_STATIC);
        rc = step_done(s, st, e);
        done(st);
    }
    if (rc == DD_OK) rc = exec(s, "COMMIT", e);
    if (rc != DD_OK) exec(s, "ROLLBACK", NULL);
    UNLOCK(s);
    return rc;
}

static int sq_children(dd_scanstore_t *base, const char *digest, dd_image_child_t **out, size_t *n, dd_err_t *e)
{
    sq_store_t *s = SQ(base);
    *out = NULL;
    *n = 0;
    LOCK(s);
    sqlite3_stmt *st = prep(s, "SELECT child FROM image_children WHERE image=? ORDER BY idx", e);
    if (!st) {
        UNLOCK(s);
        return DD_EIO;
    }
    sqlite3_bind_text(st, 1, digest, -1, SQLITE_STATIC);
    size_t cap = 0;
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            *out = dd_realloc(*out, cap * sizeof **out);
        }
        copy_str((*out)[(*n)++].digest, DD_DIGEST_MAX, col_text(st, 0));
    }
    int rc = rows_end(s, r, e);
    done(st);
    UNLOCK(s);
    return rc;
}

static int sq_image_repos(dd_scanstore_t *base, const char *digest,
                             int (*fn)(const char *repo, const char *tag, void *arg), void *arg, dd_err_t *e)
{
    sq_store_t *s = SQ(base);
    LOCK(s);
    sqlite3_stmt *st = prep(s, "SELECT repo, tag FROM refs WHERE digest=? ORDER BY repo, tag", e);
    if (!st) {
        UNLOCK(s);
        return DD_EIO;
    }
    sqlite3_bind_text(st, 1, digest, -1, SQLITE_STATIC);
    strrow_t *rows;
    size_t n;
    int rc = collect_rows(s, st, 2, &rows, &n, e);
    UNLOCK(s);
    for (size_t i = 0; rc == DD_OK && i < n; i++)
        if (fn(rows[i].a, rows[i].b[0] ? rows[i].b : NULL, arg)) break;
    free_rows(rows, n);
    return rc;
}

static int sq_refs(dd_scanstore_t *base, const char *repo,
                      int (*fn)(const char *repo, const char *digest, const char *tag, void *arg), void *arg,
                      dd_err_t *e)
{
    sq_store_t *s = SQ(base);
    LOCK(s);
    sqlite3_stmt *st = repo ? prep(s, "SELECT repo, digest, tag FROM refs WHERE repo=? ORDER BY repo, tag, digest", e)
                            : prep(s, "SELECT repo, digest, tag FROM refs ORDER BY repo, tag, digest", e);
    if (!st) {
        UNLOCK(s);
        return DD_EIO;
    }
    if (repo) sqlite3_bind_text(st, 1, repo, -1, SQLITE_STATIC);
    strrow_t *rows;
    size_t n;
    int rc = collect_rows(s, st, 3, &rows, &n, e);
    UNLOCK(s);
    for (size_t i = 0; rc == DD_OK && i < n; i++)
        if (fn(rows[i].a, rows[i].b, rows[i].c[0] ? rows[i].c : NULL, arg)) break;
    free_rows(rows, n);
    return rc;
}

/* ---- inventories ---- */

static int sq_inventory_put(dd_scanstore_t *base, const char *digest, const void *p, size_t n, dd_err_t *e)
{
    sq_store_t *s = SQ(base);
    LOCK(s);
    int rc = DD_EIO;
    sqlite3_stmt *st = prep(s, "UPDATE images SET inventory=? WHERE digest=?", e);
    if (st) {
        sqlite3_bind_blob64(st, 1, p, n, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, digest, -1, SQLITE_STATIC);
        rc = step_done(s, st, e);
        done(st);
    }
    UNLOCK(s);
    return rc;
}

static int sq_inventory_get(dd_scanstore_t *base, const char *digest, dd_buf_t *out, dd_err_t *e)
{
    sq_store_t *s = SQ(base);
    LOCK(s);
    int rc = DD_EIO;
    sqlite3_stmt *st = prep(s, "SELECT inventory FROM images WHERE digest=? AND inventory IS NOT NULL", e);
    if (st) {
        sqlite3_bind_text(st, 1, digest, -1, SQLITE_STATIC);
        int src = sqlite3_step(st);
        if (src == SQLITE_ROW) {
            dd_buf_reset(out);
            rc = dd_buf_append(out, sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0));
            if (rc != DD_OK) rc = dd_err(e, rc, NAME ": the inventory of '%s' is too large", digest);
        } else if (src == SQLITE_DONE) {
            rc = dd_err(e, DD_ENOTFOUND, "no inventory of '%s' in the scan store", digest);
        } else {
            rc = fail(s, e);
        }
        done(st);
    }
    UNLOCK(s);
    return rc;
}

static int sq_each_inventory(dd_scanstore_t *base,
                                int (*fn)(const char *digest, const void *p, size_t n, void *arg), void *arg,
                                dd_err_t *e)
{
    sq_store_t *s = SQ(base);
    /* Walk in digest order, a batch at a time, so the callback runs unlocked
     * (it writes findings back through this store). */
    char after[DD_DIGEST_MAX] = "";
    for (;;) {
        LOCK(s);
        sqlite3_stmt *st = prep(s, "SELECT digest, inventory FROM images WHERE inventory IS NOT NULL AND digest > ?"
                                   " ORDER BY digest LIMIT 256", e);
        if (!st) {
            UNLOCK(s);
            return DD_EIO;
        }
        sqlite3_bind_text(st, 1, after, -1, SQLITE_STATIC);
        size_t n = 0, cap = 0;
        struct item { char digest[DD_DIGEST_MAX]; void *p; size_t len; } *items = NULL;
        int src;
        while ((src = sqlite3_step(st)) == SQLITE_ROW) {
            if (n == cap) {
                cap = cap ? cap * 2 : 64;
                items = dd_realloc(items, cap * sizeof *items);
            }
            copy_str(items[n].digest, sizeof items[n].digest, col_text(st, 0));
            items[n].len = (size_t)sqlite3_column_bytes(st, 1);
            items[n].p = dd_malloc(items[n].len + 1);
            memcpy(items[n].p, sqlite3_column_blob(st, 1), items[n].len);
            n++;
        }
        int rc = rows_end(s, src, e);
        done(st);
        UNLOCK(s);
        int stop = rc != DD_OK;
        for (size_t i = 0; i < n; i++) {
            if (!stop) stop = fn(items[i].digest, items[i].p, items[i].len, arg);
            free(items[i].p);
        }
        if (n) copy_str(after, sizeof after, items[n - 1].digest);
        free(items);
        if (rc != DD_OK) return rc;
        if (stop || n < 256) return DD_OK;
    }
}

/* ---- findings ---- */

typedef struct fkey { char *vuln, *pkg; } fkey_t;

static int fkey_cmp(const void *a, const void *b)
{
    const fkey_t *x = a, *y = b;
    int c = strcmp(x->vuln, y->vuln);
    return c ? c : strcmp(x->pkg, y->pkg);
}

static int sq_findings_hash(dd_scanstore_t *base, const char *digest, char *out, size_t outsz, dd_err_t *e)
{
    sq_store_t *s = SQ(base);
    LOCK(s);
    int rc = DD_EIO;
    sqlite3_stmt *st = prep(s, "SELECT findings_hash FROM images WHERE digest=?", e);
    if (st) {
        sqlite3_bind_text(st, 1, digest, -1, SQLITE_STATIC);
        int src = sqlite3_step(st);
        if (src == SQLITE_ROW) {
            copy_str(out, outsz, col_text(st, 0));
            rc = DD_OK;
        } else if (src == SQLITE_DONE) {
            rc = dd_err(e, DD_ENOTFOUND, "no image '%s' in the scan store", digest);
        } else {
            rc = fail(s, e);
        }
        done(st);
    }
    UNLOCK(s);
    return rc;
}

static int sq_findings_replace(dd_scanstore_t *base, const char *digest, const dd_finding_row_t *rows, size_t n,
                                  const char *hash, int64_t db_version, bool record_history, size_t *n_new,
                                  size_t *n_resolved, dd_err_t *e)
{
    sq_store_t *s = SQ(base);
    LOCK(s);
    size_t nn = 0, nr = 0;
    int rc = DD_EIO;
    fkey_t *old = NULL, *cur = NULL;
    size_t nold = 0, oldcap = 0;
    sqlite3_stmt *st;
    if ((rc = exec(s, "BEGIN IMMEDIATE", e)) != DD_OK) goto out;
    if (record_history) {
        st = prep(s, "SELECT DISTINCT vuln_id, package FROM findings WHERE image=?", e);
        if (!st) { rc = DD_EIO; goto out; }
        sqlite3_bind_text(st, 1, digest, -1, SQLITE_STATIC);
        int src;
        while ((src = sqlite3_step(st)) == SQLITE_ROW) {
            if (nold == oldcap) {
                oldcap = oldcap ? oldcap * 2 : 64;
                old = dd_realloc(old, oldcap * sizeof *old);
            }
            old[nold].vuln = dd_strdup(col_text(st, 0));
            old[nold].pkg = dd_strdup(col_text(st, 1));
            nold++;
        }
        rc = rows_end(s, src, e);
        done(st);
        if (rc != DD_OK) goto out;
    }
    st = prep(s, "DELETE FROM findings WHERE image=?", e);
    if (!st) { rc = DD_EIO; goto out; }
    sqlite3_bind_text(st, 1, digest, -1, SQLITE_STATIC);
    rc = step_done(s, st, e);
    done(st);
    if (rc != DD_OK) goto out;
    st = prep(s, "INSERT INTO findings(image, vuln_id, package, version, fixed, fix_state, severity, layer, json)"
                 " VALUES (?,?,?,?,?,?,?,?,?)", e);
    if (!st) { rc = DD_EIO; goto out; }
    for (size_t i = 0; i < n; i++) {
        const dd_finding_row_t *r = &rows[i];
        sqlite3_bind_text(st, 1, digest, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, r->vuln_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, r->package, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, r->version ? r->version : "", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, r->fixed ? r->fixed : "", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 6, r->fix_state ? r->fix_state : "", -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 7, r->severity);
        sqlite3_bind_int(st, 8, r->layer);
        sqlite3_bind_text(st, 9, r->json ? r->json : "{}", -1, SQLITE_STATIC);
        if ((rc = step_done(s, st, e)) != DD_OK) {
            done(st);
            goto out;
        }
        sqlite3_reset(st);
    }
    done(st);
    if (record_history) {
        cur = dd_malloc((n ? n : 1) * sizeof *cur);
        for (size_t i = 0; i < n; i++) {
            cur[i].vuln = (char *)rows[i].vuln_id;
            cur[i].pkg = (char *)rows[i].package;
        }
        qsort(cur, n, sizeof *cur, fkey_cmp);
        if (nold) qsort(old, nold, sizeof *old, fkey_cmp);
        st = prep(s, "INSERT INTO history(image, ts_ms, change, vuln_id, package, db_version) VALUES (?,?,?,?,?,?)", e);
        if (!st) { rc = DD_EIO; goto out; }
        int64_t now = dd_now_ms();
        size_t i = 0, j = 0;
        while (i < nold || j < n) {
            int c;
            if (i >= nold) c = 1;
            else if (j >= n) c = -1;
            else c = fkey_cmp(&old[i], &cur[j]);
            const fkey_t *k = NULL;
            const char *change = NULL;
            if (c < 0) { k = &old[i++]; change = "resolved"; nr++; }
            else if (c > 0) {
                k = &cur[j++];
                /* duplicates in cur (same vuln+package, several versions) count once */
                if (j >= 2 && fkey_cmp(&cur[j - 2], k) == 0) continue;
                change = "new"; nn++;
            } else {
                fkey_t *same = &cur[j];
                i++;
                while (j < n && fkey_cmp(&cur[j], same) == 0) j++;
                continue;
            }
            sqlite3_bind_text(st, 1, digest, -1, SQLITE_STATIC);
            sqlite3_bind_int64(st, 2, now);
            sqlite3_bind_text(st, 3, change, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 4, k->vuln, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 5, k->pkg, -1, SQLITE_STATIC);
            sqlite3_bind_int64(st, 6, db_version);
            if ((rc = step_done(s, st, e)) != DD_OK) {
                done(st);
                goto out;
            }
            sqlite3_reset(st);
        }
        done(st);
    }
    st = prep(s, "UPDATE images SET findings_hash=? WHERE digest=?", e);
    if (!st) { rc = DD_EIO; goto out; }
    sqlite3_bind_text(st, 1, hash ? hash : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, digest, -1, SQLITE_STATIC);
    rc = step_done(s, st, e);
    done(st);
    if (rc == DD_OK) rc = exec(s, "COMMIT", e);
out:
    if (rc != DD_OK) {
        exec(s, "ROLLBACK", NULL);
        nn = nr = 0;
    }
    UNLOCK(s);
    for (size_t i = 0; i < nold; i++) {
        free(old[i].vuln);
        free(old[i].pkg);
    }
    free(old);
    free(cur);
    if (n_new) *n_new = nn;
    if (n_resolved) *n_resolved = nr;
    return rc;
}

typedef struct frow {
    char *vuln, *pkg, *ver, *fixed, *state, *json;
    int sev, layer;
    char *image;
} frow_t;

static void frow_free(frow_t *r, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(r[i].vuln); free(r[i].pkg); free(r[i].ver); free(r[i].fixed);
        free(r[i].state); free(r[i].json); free(r[i].image);
    }
    free(r);
}

static int collect_findings(sq_store_t *s, sqlite3_stmt *st, frow_t **out, size_t *nout, bool with_image,
                            dd_err_t *e)
{
    size_t n = 0, cap = 0;
    frow_t *rows = NULL;
    int src;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            rows = dd_realloc(rows, cap * sizeof *rows);
        }
        frow_t *r = &rows[n++];
        r->vuln = dd_strdup(col_text(st, 0));
        r->pkg = dd_strdup(col_text(st, 1));
        r->ver = dd_strdup(col_text(st, 2));
        r->fixed = dd_strdup(col_text(st, 3));
        r->state = dd_strdup(col_text(st, 4));
        r->sev = sqlite3_column_int(st, 5);
        r->layer = sqlite3_column_int(st, 6);
        r->json = dd_strdup(col_text(st, 7));
        r->image = with_image ? dd_strdup(col_text(st, 8)) : NULL;
    }
    int rc = rows_end(s, src, e);
    done(st);
    *out = rows;
    *nout = n;
    return rc;
}

static void to_row(const frow_t *f, dd_finding_row_t *r)
{
    r->vuln_id = f->vuln;
    r->package = f->pkg;
    r->version = f->ver;
    r->fixed = f->fixed;
    r->fix_state = f->state;
    r->severity = f->sev;
    r->layer = f->layer;
    r->json = f->json;
}

#define FINDING_COLS "vuln_id, package, version, fixed, fix_state, severity, layer, json"
#define FINDING_WHERE                                                                                      \
    " WHERE image=?1 AND (?2 < 0 OR severity >= ?2 OR severity = 0) AND (?3 IS NULL OR severity = ?3)"    \
    " AND (?4 IS NULL OR fix_state = ?4) AND (?5 IS NULL OR package = ?5) AND (?6 IS NULL OR vuln_id = ?6)" \
    " AND (?9 = 0 OR (?9 > 0) = (coalesce(json_extract(json, '$.knownExploited'), 0) = 1))"

static void bind_filter(sqlite3_stmt *st, const char *digest, const dd_findings_filter_t *f)
{
    sqlite3_bind_text(st, 1, digest, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, f ? f->min_severity : -1);
    if (f && f->severity >= 0) {
        sqlite3_bind_int(st, 3, f->severity);
    } else {
        sqlite3_bind_null(st, 3);
    }
    if (f && f->fix_state) sqlite3_bind_text(st, 4, f->fix_state, -1, SQLITE_STATIC);
    else sqlite3_bind_null(st, 4);
    if (f && f->package) sqlite3_bind_text(st, 5, f->package, -1, SQLITE_STATIC);
    else sqlite3_bind_null(st, 5);
    if (f && f->vuln_id) sqlite3_bind_text(st, 6, f->vuln_id, -1, SQLITE_STATIC);
    else sqlite3_bind_null(st, 6);
    sqlite3_bind_int(st, 9, f ? f->known_exploited : 0);
}

static int sq_findings(dd_scanstore_t *base, const char *digest, const dd_findings_filter_t *f,
                          int (*fn)(const dd_finding_row_t *r, void *arg), void *arg, size_t *total, dd_err_t *e)
{
    sq_store_t *s = SQ(base);
    LOCK(s);
    sqlite3_stmt *st = prep(s, "SELECT count(*) FROM findings" FINDING_WHERE, e);
    if (!st) {
        UNLOCK(s);
        return DD_EIO;
    }
    bind_filter(st, digest, f);
    int src = sqlite3_step(st);
    size_t tot = src == SQLITE_ROW ? (size_t)sqlite3_column_int64(st, 0) : 0;
    int rc = src == SQLITE_ROW ? DD_OK : fail(s, e);
    done(st);
    if (total) *total = tot;
    if (!fn || rc != DD_OK) {
        UNLOCK(s);
        return rc;
    }
    st = prep(s, "SELECT " FINDING_COLS " FROM findings" FINDING_WHERE
                 " ORDER BY severity DESC, vuln_id, package LIMIT ?7 OFFSET ?8", e);
    if (!st) {
        UNLOCK(s);
        return DD_EIO;
    }
    bind_filter(st, digest, f);
    sqlite3_bind_int64(st, 7, f && f->limit ? (int64_t)f->limit : -1);
    sqlite3_bind_int64(st, 8, f ? (int64_t)f->offset : 0);
    frow_t *rows;
    size_t n;
    rc = collect_findings(s, st, &rows, &n, false, e);
    UNLOCK(s);
    if (total) *total = tot;
    for (size_t i = 0; rc == DD_OK && i < n; i++) {
        dd_finding_row_t r;
        to_row(&rows[i], &r);
        if (fn(&r, arg)) break;
    }
    frow_free(rows, n);
    return rc;
}

static int sq_images_with_vuln(dd_scanstore_t *base, const char *vuln_id,
                                  int (*fn)(const char *digest, const dd_finding_row_t *r, void *arg), void *arg,
                                  dd_err_t *e)
{
    sq_store_t *s = SQ(base);
    LOCK(s);
    sqlite3_stmt *st =
        prep(s, "SELECT " FINDING_COLS ", image FROM findings WHERE vuln_id=? ORDER BY image, package", e);
    if (!st) {
        UNLOCK(s);
        return DD_EIO;
    }
    sqlite3_bind_text(st, 1, vuln_id, -1, SQLITE_STATIC);
    frow_t *rows;
    size_t n;
    int rc = collect_findings(s, st, &rows, &n, true, e);
    UNLOCK(s);
    for (size_t i = 0; rc == DD_OK && i < n; i++) {
        dd_finding_row_t r;
        to_row(&rows[i], &r);
        if (fn(rows[i].image, &r, arg)) break;
    }
    frow_free(rows, n);
    return rc;
}

static int sq_history(dd_scanstore_t *base, const char *image, int64_t since_ms, size_t limit,
                         int (*fn)(const dd_history_row_t *r, void *arg), void *arg, dd_err_t *e)
{
    sq_store_t *s = SQ(base);
    LOCK(s);
    sqlite3_stmt *st = prep(s, "SELECT id, image, ts_ms, change, vuln_id, package, db_version FROM history"
                               " WHERE (?1 IS NULL OR image=?1) AND ts_ms >= ?2 ORDER BY id DESC LIMIT ?3", e);
    if (!st) {
        UNLOCK(s);
        return DD_EIO;
    }
    if (image) sqlite3_bind_text(st, 1, image, -1, SQLITE_STATIC);
    else sqlite3_bind_null(st, 1);
    sqlite3_bind_int64(st, 2, since_ms);
    sqlite3_bind_int64(st, 3, limit ? (int64_t)limit : -1);
    size_t n = 0, cap = 0;
    struct h { int64_t id, ts, dbv; char *img, *chg, *vuln, *pkg; } *rows = NULL;
    int src;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            rows = dd_realloc(rows, cap * sizeof *rows);
        }
        rows[n].id = sqlite3_column_int64(st, 0);
        rows[n].img = dd_strdup(col_text(st, 1));
        rows[n].ts = sqlite3_column_int64(st, 2);
        rows[n].chg = dd_strdup(col_text(st, 3));
        rows[n].vuln = dd_strdup(col_text(st, 4));
        rows[n].pkg = dd_strdup(col_text(st, 5));
        rows[n].dbv = sqlite3_column_int64(st, 6);
        n++;
    }
    int rc = rows_end(s, src, e);
    done(st);
    UNLOCK(s);
    bool stop = rc != DD_OK;
    for (size_t i = 0; i < n; i++) {
        if (!stop) {
            dd_history_row_t r = {rows[i].id, rows[i].img, rows[i].ts, rows[i].chg, rows[i].vuln, rows[i].pkg,
                                  rows[i].dbv};
            stop = fn(&r, arg) != 0;
        }
        free(rows[i].img); free(rows[i].chg); free(rows[i].vuln); free(rows[i].pkg);
    }
    free(rows);
    return rc;
}

/* ---- jobs ---- */

static int sq_job_add(dd_scanstore_t *base, const char *digest, const char *repo, dd_err_t *e)
{
    sq_store_t *s = SQ(base);
    LOCK(s);
    int rc = DD_EIO;
    sqlite3_stmt *st = prep(s, "INSERT INTO jobs(digest, repo, state, created_ms) VALUES (?,?,0,?)", e);
    if (st) {
        sqlite3_bind_text(st, 1, digest, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, repo ? repo : "", -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, dd_now_ms());
        rc = step_done(s, st, e);
        done(st);
    }
    UNLOCK(s);
    return rc;
}

static int sq_job_claim(dd_scanstore_t *base, dd_job_t *out, dd_err_t *e)
{
    sq_store_t *s = SQ(base);
    LOCK(s);
    int rc = DD_EIO;
    sqlite3_stmt *st = prep(s, "UPDATE jobs SET state=1, attempts=attempts+1 WHERE id ="
                               " (SELECT id FROM jobs WHERE state=0 ORDER BY id LIMIT 1)"
                               " RETURNING id, digest, repo, attempts", e);
    if (st) {
        int src = sqlite3_step(st);
        rc = src == SQLITE_ROW    ? DD_OK
             : src == SQLITE_DONE ? dd_err(e, DD_ENOTFOUND, "no queued scan job")
                                  : fail(s, e);
        if (src == SQLITE_ROW) {
            out->id = sqlite3_column_int64(st, 0);
            copy_str(out->digest, sizeof out->digest, col_text(st, 1));
            copy_str(out->repo, sizeof out->repo, col_text(st, 2));
            out->attempts = sqlite3_column_int(st, 3);
        }
        done(st);
    }
    UNLOCK(s);
    return rc;
}

static int sq_job_done(dd_scanstore_t *base, int64_t id, dd_err_t *e)
{
    sq_store_t *s = SQ(base);
    LOCK(s);
    int rc = DD_EIO;
    sqlite3_stmt *st = prep(s, "DELETE FROM jobs WHERE id=?", e);
    if (st) {
        sqlite3_bind_int64(st, 1, id);
        rc = step_done(s, st, e);
        done(st);
    }
    UNLOCK(s);
    return rc;
}

static int sq_jobs_requeue(dd_scanstore_t *base, size_t *n, dd_err_t *e)
{
    sq_store_t *s = SQ(base);
    LOCK(s);
    int rc = exec(s, "UPDATE jobs SET state=0 WHERE state=1", e);
    if (n) *n = rc == DD_OK ? (size_t)sqlite3_changes(s->db) : 0;
    UNLOCK(s);
    return rc;
}

static int sq_jobs_pending(dd_scanstore_t *base, int64_t *n, dd_err_t *e)
{
    sq_store_t *s = SQ(base);
    LOCK(s);
    int rc = scalar_i64(s, "SELECT count(*) FROM jobs", NULL, n, e);
    UNLOCK(s);
    return rc;
}

static int sq_set_db_version(dd_scanstore_t *base, int64_t db_version, dd_err_t *e)
{
    sq_store_t *s = SQ(base);
    LOCK(s);
    int rc = DD_EIO;
    sqlite3_stmt *st = prep(s, "UPDATE images SET db_version=? WHERE state=? AND db_version<>?", e);
    if (st) {
        sqlite3_bind_int64(st, 1, db_version);
        sqlite3_bind_int(st, 2, DD_SCAN_DONE);
        sqlite3_bind_int64(st, 3, db_version);
        rc = step_done(s, st, e);
        done(st);
    }
    UNLOCK(s);
    return rc;
}

static int sq_kv_get(dd_scanstore_t *base, const char *key, int64_t *out, dd_err_t *e)
{
    sq_store_t *s = SQ(base);
    LOCK(s);
    int rc = DD_EIO;
    sqlite3_stmt *st = prep(s, "SELECT value FROM kv WHERE key=?", e);
    if (st) {
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        int src = sqlite3_step(st);
        if (src == SQLITE_ROW) {
            *out = sqlite3_column_int64(st, 0);
            rc = DD_OK;
        } else {
            rc = src == SQLITE_DONE ? dd_err(e, DD_ENOTFOUND, "no setting '%s' in the scan store", key) : fail(s, e);
        }
        done(st);
    }
    UNLOCK(s);
    return rc;
}

static int sq_kv_set(dd_scanstore_t *base, const char *key, int64_t v, dd_err_t *e)
{
    sq_store_t *s = SQ(base);
    LOCK(s);
    int rc = DD_EIO;
    sqlite3_stmt *st = prep(s, "INSERT OR REPLACE INTO kv(key, value) VALUES (?,?)", e);
    if (st) {
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, v);
        rc = step_done(s, st, e);
        done(st);
    }
    UNLOCK(s);
    return rc;
}

const dd_scanstore_ops_t dd_scanstore_sqlite_ops = {
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .layer_get = sq_layer_get,
    .layer_put = sq_layer_put,
    .layer_count = sq_layer_count,
    .image_pushed = sq_image_pushed,
    .image_unref = sq_image_unref,
    .tag_removed = sq_tag_removed,
    .image_get = sq_image_get,
    .image_update = sq_image_update,
    .images = sq_images,
    .children_set = sq_children_set,
    .children = sq_children,
    .image_repos = sq_image_repos,
    .refs = sq_refs,
    .inventory_put = sq_inventory_put,
    .inventory_get = sq_inventory_get,
    .each_inventory = sq_each_inventory,
    .findings_replace = sq_findings_replace,
    .findings_hash = sq_findings_hash,
    .set_db_version = sq_set_db_version,
    .findings = sq_findings,
    .images_with_vuln = sq_images_with_vuln,
    .history = sq_history,
    .job_add = sq_job_add,
    .job_claim = sq_job_claim,
    .job_done = sq_job_done,
    .jobs_requeue = sq_jobs_requeue,
    .jobs_pending = sq_jobs_pending,
    .kv_get = sq_kv_get,
    .kv_set = sq_kv_set,
};
