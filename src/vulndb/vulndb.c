/*
 * vulndb.c: the vulnerability database file: schema, open/close, the write
 * API used by feed importers, status, record look-up, and the atomic update
 * (copy live -> temp, import, bump version, rename over live).
 *
 * Design notes
 *   Invariants:
 *     1. The live file is never written in place. Every change is made on a
 *        temp file "PATH.tmp.PID" and published with rename(2), so readers
 *        (which open the live path read-only with immutable=1) see either the
 *        old or the new database, never a mix.
 *     2. meta.version grows by one per committed update; it is what
 *        long-lived readers compare (dd_vulndb_current_version).
 *     3. affected rows are owned by (feed, vuln_id): a feed re-importing a
 *        record first drops what it stored for that record, so importing the
 *        same data twice leaves the same content.
 *     4. One writer at a time: flock(PATH.lock) is held from update_begin to
 *        commit/abort.
 *   States of an update:
 *     IDLE -> LOCKED [flock] -> BUILDING [backup live into temp, BEGIN]
 *          -> PUBLISHED [COMMIT, fsync, rename, fsync dir] | DISCARDED [unlink]
 *   Schema changes: a live file whose schema_version differs is not copied;
 *   the update starts from an empty database (feeds then refetch in full).
 */
#include "dd/vulndb.h"
#include "vulndb_int.h"
#include "dd/sqldb.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* The schema, applied by the shared SQLite layer (dd_sqldb_migrate) when a
 * file is opened for writing. meta.schema_version (DD_VULNDB_SCHEMA_VERSION)
 * stays the file's format mark for read-only readers, which cannot migrate
 * an immutable file. Every statement of migration 1 is IF NOT EXISTS: files
 * written before the migration table (user_version 0) take it as is.
 * APPEND new steps; never edit a shipped one. */
static const dd_sql_migration_t migrations[] = {
    {1, "vulnerabilities, affected packages, feeds, nvd, cvss, kev, epss",
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS feeds(name TEXT PRIMARY KEY, source TEXT, etag TEXT,"
    " last_modified TEXT, updated TEXT, records INTEGER NOT NULL DEFAULT 0,"
    " errors INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS vulns(id TEXT PRIMARY KEY, summary TEXT, details TEXT,"
    " published TEXT, modified TEXT, withdrawn TEXT, severity INTEGER NOT NULL DEFAULT 0,"
    " severity_raw TEXT, cvss_vector TEXT, cvss_score REAL, aliases TEXT, upstream TEXT,"
    " refs TEXT);"
    "CREATE TABLE IF NOT EXISTS affected(id INTEGER PRIMARY KEY, feed TEXT NOT NULL,"
    " vuln_id TEXT NOT NULL, ecosystem TEXT NOT NULL, package TEXT NOT NULL, ranges TEXT,"
    " versions TEXT, fix_state INTEGER NOT NULL, fixed TEXT, severity INTEGER NOT NULL"
    " DEFAULT 0, severity_raw TEXT, module TEXT);"
    "CREATE INDEX IF NOT EXISTS affected_pkg ON affected(ecosystem, package);"
    "CREATE INDEX IF NOT EXISTS affected_vuln ON affected(feed, vuln_id);"
    "CREATE TABLE IF NOT EXISTS nvd(id TEXT PRIMARY KEY, description TEXT, published TEXT,"
    " modified TEXT, cvss3_score REAL, cvss3_vector TEXT, cvss3_severity INTEGER,"
    " cvss4_score REAL, cvss4_vector TEXT, cvss4_severity INTEGER, cwe TEXT, refs TEXT);"
    /* every CVSS metric a source gives, owned by (feed, cve) */
    "CREATE TABLE IF NOT EXISTS cvss(id INTEGER PRIMARY KEY, feed TEXT NOT NULL, cve TEXT NOT NULL,"
    " source TEXT NOT NULL, origin TEXT, version TEXT NOT NULL, vector TEXT, score REAL,"
    " severity INTEGER NOT NULL DEFAULT 0, is_primary INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX IF NOT EXISTS cvss_cve ON cvss(cve, feed);"
    /* the CISA Known Exploited Vulnerabilities catalog, column per catalog field */
    "CREATE TABLE IF NOT EXISTS kev(cve TEXT PRIMARY KEY, vendor_project TEXT, product TEXT,"
    " vulnerability_name TEXT, date_added TEXT NOT NULL, due_date TEXT, known_ransomware TEXT,"
    " required_action TEXT, notes TEXT, short_description TEXT);"
    "CREATE TABLE IF NOT EXISTS epss(cve TEXT PRIMARY KEY, score REAL NOT NULL, percentile REAL NOT NULL,"
    " model_version TEXT, score_date TEXT);"},
};

static int sqlerr(dd_err_t *e, sqlite3 *h, const char *what)
{
    return dd_err(e, DD_EIO, "vulndb: %s: %s", what, h ? sqlite3_errmsg(h) : "no handle");
}

static int exec(sqlite3 *h, const char *sql, dd_err_t *e)
{
    return dd_sqldb_exec(h, "vulndb", sql, e);
}

static char *meta_get(sqlite3 *h, const char *key)
{
    sqlite3_stmt *st = NULL;
    char *v = NULL;
    if (sqlite3_prepare_v2(h, "SELECT value FROM meta WHERE key=?", -1, &st, NULL) != SQLITE_OK)
        return NULL;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        v = dd_strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return v;
}

static int meta_set(sqlite3 *h, const char *key, const char *val, dd_err_t *e)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(h, "INSERT OR REPLACE INTO meta(key,value) VALUES(?,?)", -1, &st,
                           NULL) != SQLITE_OK)
        return sqlerr(e, h, "meta");
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, val, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st) == SQLITE_DONE ? DD_OK : sqlerr(e, h, "meta");
    sqlite3_finalize(st);
    return rc;
}

static int64_t meta_version(sqlite3 *h)
{
    char *v = meta_get(h, "version");
    int64_t n = v ? strtoll(v, NULL, 10) : 0;
    free(v);
    return n;
}

static int ensure_schema(sqlite3 *h, dd_err_t *e)
{
    int rc = dd_sqldb_migrate(h, "vulndb", migrations, sizeof migrations / sizeof migrations[0], e);
    if (rc) return rc;
    char *sv = meta_get(h, "schema_version");
    if (!sv) {
        char buf[32], ts[32];
        snprintf(buf, sizeof buf, "%d", DD_VULNDB_SCHEMA_VERSION);
        dd_time_rfc3339(dd_now_ms() / 1000, ts);
        if ((rc = meta_set(h, "schema_version", buf, e)) || (rc = meta_set(h, "version", "0", e)) ||
            (rc = meta_set(h, "built", ts, e)) || (rc = meta_set(h, "updated", ts, e)))
            return rc;
    } else if (atoi(sv) != DD_VULNDB_SCHEMA_VERSION) {
        free(sv);
        return dd_err(e, DD_EUNSUPPORTED, "vulndb: schema version %d expected",
                      DD_VULNDB_SCHEMA_VERSION);
    }
    free(sv);
    return DD_OK;
}

static int open_handle(const char *path, bool readonly, sqlite3 **out, dd_err_t *e)
{
    /* one handle shared by the matching threads; readers open the live file
     * immutable (invariant 1) */
    const dd_sqldb_opts_t opts = {.name = "vulndb", .readonly = readonly, .shared = true, .busy_ms = 5000};
    int rc = dd_sqldb_open(path, &opts, out, e);
    if (rc == DD_ENOTFOUND)
        return dd_err(e, DD_ENOTFOUND, "vulndb: no database at '%s' (run 'drydock db import' or 'drydock db update')",
                      path);
    return rc;
}

static bool table_has_rows(sqlite3 *h, const char *sql)
{
    sqlite3_stmt *st = NULL;
    bool yes = sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return yes;
}

int dd_vulndb_open(const char *path, bool readonly, dd_vulndb_t **out, dd_err_t *e)
{
    sqlite3 *h = NULL;
    int rc = open_handle(path, readonly, &h, e);
    if (rc) return rc;
    if (!readonly) {
        exec(h, "PRAGMA journal_mode=MEMORY; PRAGMA synchronous=OFF;", NULL);
        if ((rc = ensure_schema(h, e))) {
            sqlite3_close(h);
            return rc;
        }
    } else {
        char *sv = meta_get(h, "schema_version");
        if (!sv || atoi(sv) != DD_VULNDB_SCHEMA_VERSION) {
            free(sv);
            sqlite3_close(h);
            return dd_err(e, DD_ECORRUPT, "vulndb: '%s' is not a drydock vulnerability database of schema %d",
                          path, DD_VULNDB_SCHEMA_VERSION);
        }
        free(sv);
    }
    dd_vulndb_t *db = dd_calloc(1, sizeof *db);
    db->h = h;
    db->readonly = readonly;
    db->version = meta_version(h);
    if (readonly) { /* the file never changes under a read-only handle */
        db->no_cvss = !table_has_rows(h, "SELECT 1 FROM cvss LIMIT 1");
        db->no_kev = !table_has_rows(h, "SELECT 1 FROM kev LIMIT 1");
        db->no_epss = !table_has_rows(h, "SELECT 1 FROM epss LIMIT 1");
    }
    pthread_mutex_init(&db->lock, NULL);
    *out = db;
    return DD_OK;
}

void dd_vulndb_close(dd_vulndb_t *db)
{
    if (!db) return;
    for (int i = 0; i < VDB_NSTMT; i++) sqlite3_finalize(db->st[i]);
    vdb_cache_free(db);
    sqlite3_close(db->h);
    pthread_mutex_destroy(&db->lock);
    free(db);
}

int64_t dd_vulndb_version(dd_vulndb_t *db) { return db->version; }

/* The live file never changes in place (invariant 1), so its version is a
 * function of its inode: remember the last (path, dev, ino) -> version and
 * answer repeated calls with one stat(). */
static pthread_mutex_t cv_lock = PTHREAD_MUTEX_INITIALIZER;
static char cv_path[PATH_MAX];
static dev_t cv_dev;
static ino_t cv_ino;
static struct timespec cv_mtim, cv_ctim;
static off_t cv_size;
static int64_t cv_version;

/* Inode numbers are reused after a swap frees the old file: the key also
 * holds size and the ns timestamps of the file. */
static bool same_file(const struct stat *a, dev_t dev, ino_t ino, off_t size, struct timespec m, struct timespec c)
{
    return a->st_dev == dev && a->st_ino == ino && a->st_size == size && a->st_mtim.tv_sec == m.tv_sec &&
           a->st_mtim.tv_nsec == m.tv_nsec && a->st_ctim.tv_sec == c.tv_sec && a->st_ctim.tv_nsec == c.tv_nsec;
}

int dd_vulndb_current_version(const char *path, int64_t *out, dd_err_t *e)
{
    *out = 0;
    struct stat sb;
    if (stat(path, &sb) != 0) {
        if (errno == ENOENT) return DD_OK;
        return dd_err_errno(e, DD_EIO, errno, "vulndb: stat '%s'", path);
    }
    pthread_mutex_lock(&cv_lock);
    bool hit = !strcmp(cv_path, path) && same_file(&sb, cv_dev, cv_ino, cv_size, cv_mtim, cv_ctim);
    if (hit) *out = cv_version;
    pthread_mutex_unlock(&cv_lock);
    if (hit) return DD_OK;
    sqlite3 *h = NULL;
    int rc = open_handle(path, true, &h, e);
    if (rc == DD_ENOTFOUND) {
        dd_err_clear(e);
        return DD_OK;
    }
    if (rc) return rc;
    struct stat sb2;
    int64_t v = meta_version(h);
    /* stat again through the open handle's path: if the file was swapped
     * meanwhile, do not cache (the next call re-reads) */
    bool stable = stat(path, &sb2) == 0 && same_file(&sb2, sb.st_dev, sb.st_ino, sb.st_size, sb.st_mtim, sb.st_ctim);
    sqlite3_close(h);
    *out = v;
    if (stable && strlen(path) < sizeof cv_path) {
        pthread_mutex_lock(&cv_lock);
        snprintf(cv_path, sizeof cv_path, "%s", path);
        cv_dev = sb.st_dev;
        cv_ino = sb.st_ino;
        cv_size = sb.st_size;
        cv_mtim = sb.st_mtim;
        cv_ctim = sb.st_ctim;
        cv_version = v;
        pthread_mutex_unlock(&cv_lock);
    }
    return DD_OK;
}

char *dd_vulndb_default_path(const char *data_dir)
{
    return dd_asprintf("%s/vulndb/vuln.db", data_dir);
}

/* ---- prepared statements ------------------------------------------------- */

static const char *const stmt_sql[VDB_NSTMT] = {
    [VDB_PUT_VULN] =
        "INSERT INTO vulns(id,summary,details,published,modified,withdrawn,severity,severity_raw,"
        "cvss_vector,cvss_score,aliases,upstream,refs) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)"
        " ON CONFLICT(id) DO UPDATE SET summary=coalesce(?2,summary),details=coalesce(?3,details),"
        "published=coalesce(?4,published),modified=coalesce(?5,modified),withdrawn=CASE WHEN ?14 THEN ?6 ELSE coalesce(?6,withdrawn) END,"
        "severity=CASE WHEN ?7>0 THEN ?7 ELSE severity END,severity_raw=coalesce(?8,severity_raw),"
        "cvss_vector=coalesce(?9,cvss_vector),cvss_score=coalesce(?10,cvss_score),"
        "aliases=coalesce(?11,aliases),upstream=coalesce(?12,upstream),refs=coalesce(?13,refs)",
    [VDB_DROP_AFF] = "DELETE FROM affected WHERE feed=? AND vuln_id=?",
    [VDB_DROP_AFF_PKG] = "DELETE FROM affected WHERE feed=?1 AND (?2 IS NULL OR vuln_id=?2)"
                          " AND ecosystem=?3 AND package=?4",
    [VDB_PUT_AFF] = "INSERT INTO affected(feed,vuln_id,ecosystem,package,ranges,versions,fix_state,"
                    "fixed,severity,severity_raw,module) VALUES(?,?,?,?,?,?,?,?,?,?,?)",
    [VDB_PUT_NVD] = "INSERT OR REPLACE INTO nvd(id,description,published,modified,cvss3_score,"
                    "cvss3_vector,cvss3_severity,cvss4_score,cvss4_vector,cvss4_severity,cwe,refs)"
                    " VALUES(?,?,?,?,?,?,?,?,?,?,?,?)",
    [VDB_GET_VULN] = "SELECT id,summary,details,published,modified,withdrawn,severity,cvss_vector,"
                     "cvss_score,aliases,upstream,refs,severity_raw FROM vulns WHERE id=?",
    [VDB_GET_NVD] = "SELECT id,description,published,cvss3_score,cvss3_vector,cvss3_severity,"
                    "cvss4_score,cvss4_vector,cvss4_severity,cwe,refs FROM nvd WHERE id=?",
    [VDB_DROP_CVSS] = "DELETE FROM cvss WHERE feed=? AND cve=?",
    [VDB_PUT_CVSS] = "INSERT INTO cvss(feed,cve,source,origin,version,vector,score,severity,is_primary)"
                     " VALUES(?,?,?,?,?,?,?,?,?)",
    [VDB_PUT_KEV] = "INSERT OR REPLACE INTO kev(cve,vendor_project,product,vulnerability_name,date_added,"
                    "due_date,known_ransomware,required_action,notes,short_description) VALUES(?,?,?,?,?,?,?,?,?,?)",
    [VDB_PUT_EPSS] = "INSERT OR REPLACE INTO epss(cve,score,percentile,model_version,score_date) VALUES(?,?,?,?,?)",
    [VDB_GET_CVSS] = "SELECT feed,source,origin,version,vector,score,severity,is_primary FROM cvss WHERE cve=?"
                     " ORDER BY feed,source,version DESC,is_primary DESC,id",
    [VDB_GET_KEV] = "SELECT date_added,due_date,known_ransomware,vulnerability_name,vendor_project,product,"
                    "required_action,notes FROM kev WHERE cve=?",
    [VDB_GET_EPSS] = "SELECT score,percentile FROM epss WHERE cve=?",
};

sqlite3_stmt *vdb_stmt(dd_vulndb_t *db, int which)
{
    if (!db->st[which] && sqlite3_prepare_v2(db->h, stmt_sql[which], -1, &db->st[which], NULL) != SQLITE_OK)
        return NULL;
    sqlite3_reset(db->st[which]);
    sqlite3_clear_bindings(db->st[which]);
    return db->st[which];
}

static void bind_str(sqlite3_stmt *st, int i, const char *s)
{
    if (s) sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
    else sqlite3_bind_null(st, i);
}

static int step_done(dd_vulndb_t *db, sqlite3_stmt *st, const char *what, dd_err_t *e)
{
    int r = sqlite3_step(st);
    sqlite3_reset(st);
    if (r != SQLITE_DONE) return sqlerr(e, db->h, what);
    return DD_OK;
}

static int check_writable(dd_vulndb_t *db, dd_err_t *e)
{
    if (db->readonly) return dd_err(e, DD_EINVAL, "vulndb: handle is read-only");
    if (db->ecos || db->vbuckets) vdb_cache_free(db); /* written: cached entries are stale */
    return DD_OK;
}

int dd_vulndb_put_vuln(dd_vulndb_t *db, const char *feed, const dd_vuln_rec_t *v, dd_err_t *e)
{
    int rc = check_writable(db, e);
    if (rc) return rc;
    if (!v->id || !*v->id) return dd_err(e, DD_EINVAL, "vulnerability without id");
    sqlite3_stmt *st = vdb_stmt(db, VDB_PUT_VULN);
    if (!st) return sqlerr(e, db->h, "prepare");
    bind_str(st, 1, v->id);
    bind_str(st, 2, v->summary);
    bind_str(st, 3, v->details);
    bind_str(st, 4, v->published);
    bind_str(st, 5, v->modified);
    bind_str(st, 6, v->withdrawn);
    sqlite3_bind_int(st, 7, (int)v->severity);
    bind_str(st, 8, v->severity_raw);
    bind_str(st, 9, v->cvss_vector);
    if (v->cvss_score > 0) sqlite3_bind_double(st, 10, v->cvss_score);
    else sqlite3_bind_null(st, 10);
    bind_str(st, 11, v->aliases_json);
    bind_str(st, 12, v->upstream_json);
    bind_str(st, 13, v->refs_json);
    sqlite3_bind_int(st, 14, feed != NULL);
    if ((rc = step_done(db, st, "put vuln", e))) return rc;
    if (feed) {
        st = vdb_stmt(db, VDB_DROP_AFF);
        if (!st) return sqlerr(e, db->h, "prepare");
        bind_str(st, 1, feed);
        bind_str(st, 2, v->id);
        if ((rc = step_done(db, st, "drop affected", e))) return rc;
    }
    return DD_OK;
}

int dd_vulndb_drop_affected(dd_vulndb_t *db, const char *feed, const char *vuln_id,
                            const char *ecosystem, const char *package, dd_err_t *e)
{
    int rc = check_writable(db, e);
    if (rc) return rc;
    sqlite3_stmt *st = vdb_stmt(db, VDB_DROP_AFF_PKG);
    if (!st) return sqlerr(e, db->h, "prepare");
    bind_str(st, 1, feed);
    bind_str(st, 2, vuln_id);
    bind_str(st, 3, ecosystem);
    bind_str(st, 4, package);
    return step_done(db, st, "drop affected", e);
}

int dd_vulndb_put_affected(dd_vulndb_t *db, const char *feed, const char *vuln_id,
                           const dd_affected_rec_t *a, dd_err_t *e)
{
    int rc = check_writable(db, e);
    if (rc) return rc;
    if (!a->ecosystem || !*a->ecosystem || !a->package || !*a->package)
        return dd_err(e, DD_EINVAL, "%s: affected entry without ecosystem or package", vuln_id);
    sqlite3_stmt *st = vdb_stmt(db, VDB_PUT_AFF);
    if (!st) return sqlerr(e, db->h, "prepare");
    bind_str(st, 1, feed);
    bind_str(st, 2, vuln_id);
    bind_str(st, 3, a->ecosystem);
    bind_str(st, 4, a->package);
    bind_str(st, 5, a->ranges_json);
    bind_str(st, 6, a->versions_json);
    sqlite3_bind_int(st, 7, (int)a->fix_state);
    bind_str(st, 8, a->fixed);
    sqlite3_bind_int(st, 9, (int)a->severity);
    bind_str(st, 10, a->severity_raw);
    bind_str(st, 11, a->module && *a->module ? a->module : NULL);
    return step_done(db, st, "put affected", e);
}

int dd_vulndb_put_nvd(dd_vulndb_t *db, const dd_nvd_rec_t *n, dd_err_t *e)
{
    int rc = check_writable(db, e);
    if (rc) return rc;
    if (!n->id || !*n->id) return dd_err(e, DD_EINVAL, "nvd record without id");
    sqlite3_stmt *st = vdb_stmt(db, VDB_PUT_NVD);
    if (!st) return sqlerr(e, db->h, "prepare");
    bind_str(st, 1, n->id);
    bind_str(st, 2, n->description);
    bind_str(st, 3, n->published);
    bind_str(st, 4, n->modified);
    if (n->cvss3_vector) sqlite3_bind_double(st, 5, n->cvss3_score);
    bind_str(st, 6, n->cvss3_vector);
    sqlite3_bind_int(st, 7, (int)n->cvss3_severity);
    if (n->cvss4_vector) sqlite3_bind_double(st, 8, n->cvss4_score);
    bind_str(st, 9, n->cvss4_vector);
    sqlite3_bind_int(st, 10, (int)n->cvss4_severity);
    bind_str(st, 11, n->cwe_json);
    bind_str(st, 12, n->refs_json);
    return step_done(db, st, "put nvd", e);
}

int dd_vulndb_put_cvss(dd_vulndb_t *db, const char *feed, const char *cve, const dd_cvss_rec_t *m, size_t n,
                       dd_err_t *e)
{
    int rc = check_writable(db, e);
    if (rc) return rc;
    if (!feed || !cve || !*cve) return dd_err(e, DD_EINVAL, "cvss metric without feed or cve id");
    for (size_t i = 0; i < n; i++)
        if (!m[i].version || !*m[i].version || !m[i].source || (!m[i].vector && m[i].score <= 0) ||
            m[i].score < 0 || m[i].score > 10)
            return dd_err(e, DD_EINVAL, "%s: incomplete cvss metric (version '%s')", cve,
                          m[i].version ? m[i].version : "");
    sqlite3_stmt *st = vdb_stmt(db, VDB_DROP_CVSS);
    if (!st) return sqlerr(e, db->h, "prepare");
    bind_str(st, 1, feed);
    bind_str(st, 2, cve);
    if ((rc = step_done(db, st, "drop cvss", e))) return rc;
    for (size_t i = 0; i < n; i++) {
        if (!(st = vdb_stmt(db, VDB_PUT_CVSS))) return sqlerr(e, db->h, "prepare");
        bind_str(st, 1, feed);
        bind_str(st, 2, cve);
        bind_str(st, 3, m[i].source);
        bind_str(st, 4, m[i].origin);
        bind_str(st, 5, m[i].version);
        bind_str(st, 6, m[i].vector);
        if (m[i].score > 0) sqlite3_bind_double(st, 7, m[i].score);
        dd_severity_t sev = m[i].severity != DD_SEV_UNKNOWN ? m[i].severity
                                                             : dd_severity_from_cvss_version(m[i].version, m[i].score);
        sqlite3_bind_int(st, 8, (int)sev);
        sqlite3_bind_int(st, 9, m[i].primary);
        if ((rc = step_done(db, st, "put cvss", e))) return rc;
    }
    return DD_OK;
}

int dd_vulndb_put_kev(dd_vulndb_t *db, const dd_kev_rec_t *k, dd_err_t *e)
{
    int rc = check_writable(db, e);
    if (rc) return rc;
    if (!k->cve_id || strncmp(k->cve_id, "CVE-", 4)) return dd_err(e, DD_EINVAL, "kev entry without a cve id");
    if (!k->date_added || !*k->date_added) return dd_err(e, DD_EINVAL, "%s: kev entry without dateAdded", k->cve_id);
    sqlite3_stmt *st = vdb_stmt(db, VDB_PUT_KEV);
    if (!st) return sqlerr(e, db->h, "prepare");
    const char *v[] = {k->cve_id, k->vendor_project, k->product, k->vulnerability_name, k->date_added,
                       k->due_date, k->known_ransomware, k->required_action, k->notes, k->short_description};
    for (int i = 0; i < 10; i++) bind_str(st, i + 1, v[i]);
    return step_done(db, st, "put kev", e);
}

int dd_vulndb_clear_kev(dd_vulndb_t *db, dd_err_t *e)
{
    int rc = check_writable(db, e);
    return rc ? rc : exec(db->h, "DELETE FROM kev", e);
}

int dd_vulndb_put_epss(dd_vulndb_t *db, const char *cve, double score, double percentile, const char *model,
                       const char *score_date, dd_err_t *e)
{
    int rc = check_writable(db, e);
    if (rc) return rc;
    if (!cve || strncmp(cve, "CVE-", 4)) return dd_err(e, DD_EINVAL, "epss row without a cve id");
    if (!(score >= 0 && score <= 1 && percentile >= 0 && percentile <= 1))
        return dd_err(e, DD_EINVAL, "%s: epss score or percentile outside 0..1", cve);
    sqlite3_stmt *st = vdb_stmt(db, VDB_PUT_EPSS);
    if (!st) return sqlerr(e, db->h, "prepare");
    bind_str(st, 1, cve);
    sqlite3_bind_double(st, 2, score);
    sqlite3_bind_double(st, 3, percentile);
    bind_str(st, 4, model);
    bind_str(st, 5, score_date);
    return step_done(db, st, "put epss", e);
}

int dd_vulndb_rec_begin(dd_vulndb_t *db)
{
    return exec(db->h, "SAVEPOINT rec", NULL);
}

void dd_vulndb_rec_end(dd_vulndb_t *db, bool ok)
{
    if (!ok) exec(db->h, "ROLLBACK TO rec", NULL);
    exec(db->h, "RELEASE rec", NULL);
}

int dd_vulndb_clear_feed(dd_vulndb_t *db, const char *feed, dd_err_t *e)
{
    int rc = check_writable(db, e);
    if (rc) return rc;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db->h, "DELETE FROM affected WHERE feed=?", -1, &st, NULL) != SQLITE_OK)
        return sqlerr(e, db->h, "prepare");
    bind_str(st, 1, feed);
    rc = step_done(db, st, "clear feed", e);
    sqlite3_finalize(st);
    return rc;
}

int dd_vulndb_set_feed(dd_vulndb_t *db, const char *feed, const char *source, const char *etag,
                       const char *last_modified, long records, long errors, dd_err_t *e)
{
    int rc = check_writable(db, e);
    if (rc) return rc;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db->h,
                           "INSERT INTO feeds(name,source,etag,last_modified,updated,records,errors)"
                           " VALUES(?1,?2,?3,?4,?5,?6,?7) ON CONFLICT(name) DO UPDATE SET"
                           " source=coalesce(?2,source),etag=coalesce(?3,etag),"
                           " last_modified=coalesce(?4,last_modified),updated=?5,records=?6,errors=?7",
                           -1, &st, NULL) != SQLITE_OK)
        return sqlerr(e, db->h, "prepare");
    char ts[32];
    dd_time_rfc3339(dd_now_ms() / 1000, ts);
    bind_str(st, 1, feed);
    bind_str(st, 2, source);
    bind_str(st, 3, etag);
    bind_str(st, 4, last_modified);
    bind_str(st, 5, ts);
    sqlite3_bind_int64(st, 6, records);
    sqlite3_bind_int64(st, 7, errors);
    rc = step_done(db, st, "set feed", e);
    sqlite3_finalize(st);
    return rc;
}

static void copy_col(char *dst, size_t n, sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    snprintf(dst, n, "%s", t ? (const char *)t : "");
}

static void feed_row(sqlite3_stmt *st, dd_vulndb_feed_info_t *f)
{
    copy_col(f->name, sizeof f->name, st, 0);
    copy_col(f->source, sizeof f->source, st, 1);
    copy_col(f->etag, sizeof f->etag, st, 2);
    copy_col(f->last_modified, sizeof f->last_modified, st, 3);
    copy_col(f->updated, sizeof f->updated, st, 4);
    f->records = (long)sqlite3_column_int64(st, 5);
    f->errors = (long)sqlite3_column_int64(st, 6);
}

#define FEED_COLS "name,source,etag,last_modified,updated,records,errors"

int dd_vulndb_get_feed(dd_vulndb_t *db, const char *feed, dd_vulndb_feed_info_t *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = NULL;
    int rc = DD_ENOTFOUND;
    pthread_mutex_lock(&db->lock);
    if (sqlite3_prepare_v2(db->h, "SELECT " FEED_COLS " FROM feeds WHERE name=?", -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, feed, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW) {
            feed_row(st, out);
            rc = DD_OK;
        }
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&db->lock);
    return rc;
}

static long count(sqlite3 *h, const char *sql)
{
    sqlite3_stmt *st = NULL;
    long n = 0;
    if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        n = (long)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

int dd_vulndb_updated(dd_vulndb_t *db, char out[32])
{
    pthread_mutex_lock(&db->lock);
    char *v = meta_get(db->h, "updated");
    pthread_mutex_unlock(&db->lock);
    snprintf(out, 32, "%s", v ? v : "");
    int rc = v && *v ? DD_OK : DD_ENOTFOUND;
    free(v);
    return rc;
}

int dd_vulndb_status(dd_vulndb_t *db, dd_vulndb_status_t *out)
{
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&db->lock);
    char *v = meta_get(db->h, "schema_version");
    out->schema_version = v ? atoi(v) : 0;
    free(v);
    out->version = meta_version(db->h);
    v = meta_get(db->h, "built");
    snprintf(out->built, sizeof out->built, "%s", v ? v : "");
    free(v);
    v = meta_get(db->h, "updated");
    snprintf(out->updated, sizeof out->updated, "%s", v ? v : "");
    free(v);
    out->n_vulns = count(db->h, "SELECT count(*) FROM vulns");
    out->n_affected = count(db->h, "SELECT count(*) FROM affected");
    out->n_nvd = count(db->h, "SELECT count(*) FROM nvd");
    out->n_cvss = count(db->h, "SELECT count(*) FROM cvss");
    out->n_kev = count(db->h, "SELECT count(*) FROM kev");
    out->n_epss = count(db->h, "SELECT count(*) FROM epss");
    sqlite3_stmt *st = NULL;
    size_t cap = 0;
    if (sqlite3_prepare_v2(db->h, "SELECT " FEED_COLS " FROM feeds ORDER BY name", -1, &st, NULL) == SQLITE_OK) {
        while (sqlite3_step(st) == SQLITE_ROW) {
            if (out->n_feeds == cap) {
                cap = cap ? cap * 2 : 8;
                out->feeds = dd_realloc(out->feeds, cap * sizeof *out->feeds);
            }
            feed_row(st, &out->feeds[out->n_feeds++]);
        }
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&db->lock);
    return DD_OK;
}

void dd_vulndb_status_release(dd_vulndb_status_t *st)
{
    if (!st) return;
    free(st->feeds);
    memset(st, 0, sizeof *st);
}

/* ---- record look-up ------------------------------------------------------ */

static char *col_dup(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? dd_strdup((const char *)t) : NULL;
}

/* First "CVE-..." string in a JSON array text, or NULL. */
static char *first_cve(const char *json)
{
    if (!json) return NULL;
    const char *p = strstr(json, "\"CVE-");
    if (!p) return NULL;
    p++;
    const char *q = strchr(p, '"');
    return q ? dd_strndup(p, (size_t)(q - p)) : NULL;
}

void dd_vuln_release(dd_vuln_t *v)
{
    if (!v) return;
    char **fields[] = {&v->id, &v->severity_raw, &v->summary, &v->details, &v->published, &v->modified, &v->withdrawn,
                       &v->cvss_vector, &v->aliases_json, &v->upstream_json, &v->refs_json,
                       &v->nvd_id, &v->nvd_description, &v->nvd_published, &v->cvss3_vector,
                       &v->cvss4_vector, &v->cwe_json, &v->nvd_refs_json, &v->kev_date_added,
                       &v->kev_due_date, &v->kev_ransomware, &v->kev_name, &v->kev_vendor_project,
                       &v->kev_product, &v->kev_required_action, &v->kev_notes};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) free(*fields[i]);
    for (size_t i = 0; i < v->n_cvss; i++) {
        dd_cvss_t *c = &v->cvss[i];
        free(c->feed);
        free(c->source);
        free(c->origin);
        free(c->version);
        free(c->vector);
    }
    free(v->cvss);
    memset(v, 0, sizeof *v);
}

/* CVSS metrics, KEV and EPSS of cve into out; true if any exists. Called
 * with db->lock held. */
static bool load_extra(dd_vulndb_t *db, const char *cve, dd_vuln_t *out)
{
    sqlite3_stmt *st = db->no_cvss ? NULL : vdb_stmt(db, VDB_GET_CVSS);
    size_t cap = 0;
    if (st) {
        sqlite3_bind_text(st, 1, cve, -1, SQLITE_TRANSIENT);
        while (sqlite3_step(st) == SQLITE_ROW) {
            if (out->n_cvss == cap) {
                cap = cap ? cap * 2 : 4;
                out->cvss = dd_realloc(out->cvss, cap * sizeof *out->cvss);
            }
            dd_cvss_t *c = &out->cvss[out->n_cvss++];
            c->feed = col_dup(st, 0);
            c->source = col_dup(st, 1);
            c->origin = col_dup(st, 2);
            c->version = col_dup(st, 3);
            c->vector = col_dup(st, 4);
            c->score = sqlite3_column_double(st, 5);
            c->severity = (dd_severity_t)sqlite3_column_int(st, 6);
            c->primary = sqlite3_column_int(st, 7) != 0;
        }
        sqlite3_reset(st);
    }
    if (!db->no_kev && (st = vdb_stmt(db, VDB_GET_KEV))) {
        sqlite3_bind_text(st, 1, cve, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) == SQLITE_ROW) {
            out->kev = true;
            out->kev_date_added = col_dup(st, 0);
            out->kev_due_date = col_dup(st, 1);
            out->kev_ransomware = col_dup(st, 2);
            out->kev_name = col_dup(st, 3);
            out->kev_vendor_project = col_dup(st, 4);
            out->kev_product = col_dup(st, 5);
            out->kev_required_action = col_dup(st, 6);
            out->kev_notes = col_dup(st, 7);
        }
        sqlite3_reset(st);
    }
    if (!db->no_epss && (st = vdb_stmt(db, VDB_GET_EPSS))) {
        sqlite3_bind_text(st, 1, cve, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) == SQLITE_ROW) {
            out->has_epss = true;
            out->epss_score = sqlite3_column_double(st, 0);
            out->epss_percentile = sqlite3_column_double(st, 1);
        }
        sqlite3_reset(st);
    }
    return out->n_cvss || out->kev || out->has_epss;
}

int dd_vulndb_get_vuln(dd_vulndb_t *db, const char *id, dd_vuln_t *out)
{
    memset(out, 0, sizeof *out);
    bool found = false;
    pthread_mutex_lock(&db->lock);
    sqlite3_stmt *st = vdb_stmt(db, VDB_GET_VULN);
    if (st) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) == SQLITE_ROW) {
            found = true;
            out->id = col_dup(st, 0);
            out->summary = col_dup(st, 1);
            out->details = col_dup(st, 2);
            out->published = col_dup(st, 3);
            out->modified = col_dup(st, 4);
            out->withdrawn = col_dup(st, 5);
            out->severity = (dd_severity_t)sqlite3_column_int(st, 6);
            out->cvss_vector = col_dup(st, 7);
            out->cvss_score = sqlite3_column_double(st, 8);
            out->aliases_json = col_dup(st, 9);
            out->upstream_json = col_dup(st, 10);
            out->refs_json = col_dup(st, 11);
            out->severity_raw = col_dup(st, 12);
        }
    }
    if (st) sqlite3_reset(st);
    char *cve = NULL;
    if (!strncmp(id, "CVE-", 4)) cve = dd_strdup(id);
    else if (!(cve = first_cve(out->aliases_json))) cve = first_cve(out->upstream_json);
    if (cve && (st = vdb_stmt(db, VDB_GET_NVD))) {
        sqlite3_bind_text(st, 1, cve, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) == SQLITE_ROW) {
            out->has_nvd = true;
            out->nvd_id = col_dup(st, 0);
            out->nvd_description = col_dup(st, 1);
            out->nvd_published = col_dup(st, 2);
            out->cvss3_score = sqlite3_column_double(st, 3);
            out->cvss3_vector = col_dup(st, 4);
            out->cvss3_severity = (dd_severity_t)sqlite3_column_int(st, 5);
            out->cvss4_score = sqlite3_column_double(st, 6);
            out->cvss4_vector = col_dup(st, 7);
            out->cvss4_severity = (dd_severity_t)sqlite3_column_int(st, 8);
            out->cwe_json = col_dup(st, 9);
            out->nvd_refs_json = col_dup(st, 10);
            if (!found) out->id = dd_strdup(id);
        }
        sqlite3_reset(st);
    }
    bool extra = cve && load_extra(db, cve, out);
    if (extra && !found && !out->id) out->id = dd_strdup(id);
    pthread_mutex_unlock(&db->lock);
    free(cve);
    return found || out->has_nvd || extra ? DD_OK : DD_ENOTFOUND;
}

/* ---- atomic update --------------------------------------------------------- */

struct dd_vulndb_update {
    char *path, *tmp;
    int lockfd;
    dd_vulndb_t *db;
};

static char *dir_of(const char *path)
{
    const char *s = strrchr(path, '/');
    if (!s) return dd_strdup(".");
    if (s == path) return dd_strdup("/");
    return dd_strndup(path, (size_t)(s - path));
}

static void update_free(dd_vulndb_update_t *u)
{
    if (u->lockfd >= 0) close(u->lockfd); /* releases the flock */
    free(u->path);
    free(u->tmp);
    free(u);
}

/* Removes temp and download files a crashed writer left next to path. Only
 * called with the writer lock held, so no live writer owns them. */
static void remove_stale(const char *path)
{
    char *dir = dir_of(path);
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    char *p1 = dd_asprintf("%s.tmp.", base), *p2 = dd_asprintf("%s.download.", base);
    DIR *d = opendir(dir);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (!dd_str_startswith(de->d_name, p1) && !dd_str_startswith(de->d_name, p2)) continue;
        char *f = dd_asprintf("%s/%s", dir, de->d_name);
        unlink(f);
        free(f);
    }
    if (d) closedir(d);
    free(p1);
    free(p2);
    free(dir);
}

int dd_vulndb_update_begin(const char *path, dd_vulndb_update_t **out, dd_err_t *e)
{
    char *dir = dir_of(path);
    int rc = dd_mkdirs(dir, 0700, e);
    free(dir);
    if (rc) return rc;
    dd_vulndb_update_t *u = dd_calloc(1, sizeof *u);
    u->path = dd_strdup(path);
    u->tmp = dd_asprintf("%s.tmp.%ld", path, (long)getpid());
    char *lockp = dd_asprintf("%s.lock", path);
    u->lockfd = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    free(lockp);
    if (u->lockfd < 0) {
        rc = dd_err_errno(e, DD_EIO, errno, "vulndb: cannot open lock for '%s'", path);
        update_free(u);
        return rc;
    }
    if (flock(u->lockfd, LOCK_EX) != 0) {
        rc = dd_err_errno(e, DD_EIO, errno, "vulndb: cannot lock '%s'", path);
        update_free(u);
        return rc;
    }
    remove_stale(path);
    sqlite3 *dst = NULL;
    if ((rc = open_handle(u->tmp, false, &dst, e))) {
        update_free(u);
        return rc;
    }
    /* copy the live database, if any and of our schema */
    sqlite3 *src = NULL;
    dd_err_t ignore;
    if (open_handle(path, true, &src, &ignore) == DD_OK) {
        char *sv = meta_get(src, "schema_version");
        if (sv && atoi(sv) == DD_VULNDB_SCHEMA_VERSION) {
            sqlite3_backup *bk = sqlite3_backup_init(dst, "main", src, "main");
            int brc = bk ? sqlite3_backup_step(bk, -1) : SQLITE_ERROR;
            sqlite3_backup_finish(bk);
            if (brc != SQLITE_DONE) {
                free(sv);
                sqlite3_close(src);
                rc = sqlerr(e, dst, "copy live database");
                sqlite3_close(dst);
                unlink(u->tmp);
                update_free(u);
                return rc;
            }
        }
        free(sv);
        sqlite3_close(src);
    }
    sqlite3_close(dst);
    if ((rc = dd_vulndb_open(u->tmp, false, &u->db, e))) {
        unlink(u->tmp);
        update_free(u);
        return rc;
    }
    if ((rc = exec(u->db->h, "BEGIN", e))) {
        dd_vulndb_update_abort(u);
        return rc;
    }
    *out = u;
    return DD_OK;
}

dd_vulndb_t *dd_vulndb_update_db(dd_vulndb_update_t *u) { return u->db; }

int dd_vulndb_update_commit(dd_vulndb_update_t *u, dd_err_t *e)
{
    char buf[32], ts[32];
    int64_t v = meta_version(u->db->h) + 1;
    snprintf(buf, sizeof buf, "%lld", (long long)v);
    dd_time_rfc3339(dd_now_ms() / 1000, ts);
    int rc;
    if ((rc = meta_set(u->db->h, "version", buf, e)) || (rc = meta_set(u->db->h, "updated", ts, e)) ||
        (rc = exec(u->db->h, "COMMIT", e))) {
        dd_vulndb_update_abort(u);
        return rc;
    }
    dd_vulndb_close(u->db);
    u->db = NULL;
    int fd = open(u->tmp, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0) {
        rc = dd_err_errno(e, DD_EIO, errno, "vulndb: fsync '%s'", u->tmp);
        if (fd >= 0) close(fd);
        unlink(u->tmp);
        update_free(u);
        return rc;
    }
    close(fd);
    if (rename(u->tmp, u->path) != 0) {
        rc = dd_err_errno(e, DD_EIO, errno, "vulndb: rename to '%s'", u->path);
        unlink(u->tmp);
        update_free(u);
        return rc;
    }
    char *dir = dir_of(u->path);
    dd_fsync_dir(dir);
    free(dir);
    update_free(u);
    return DD_OK;
}

void dd_vulndb_update_abort(dd_vulndb_update_t *u)
{
    if (!u) return;
    if (u->db) {
        exec(u->db->h, "ROLLBACK", NULL);
        dd_vulndb_close(u->db);
    }
    unlink(u->tmp);
    update_free(u);
}

/* ---- replacing the whole database ------------------------------------------ */

int dd_vulndb_replace(const char *path, const char *src, int64_t *version, dd_err_t *e)
{
    /* check the new file first, before taking the writer lock */
    sqlite3 *h = NULL;
    struct stat sb;
    if (stat(src, &sb) != 0 || !S_ISREG(sb.st_mode)) return dd_err(e, DD_ENOTFOUND, "vulndb: no file '%s'", src);
    int rc = open_handle(src, false, &h, e);
    if (rc) return rc;
    char *sv = meta_get(h, "schema_version");
    char *qc = NULL;
    sqlite3_stmt *st = NULL;
    if (!sv) {
        rc = dd_err(e, DD_ECORRUPT, "vulndb: '%s' is not a drydock vulnerability database", src);
    } else if (atoi(sv) != DD_VULNDB_SCHEMA_VERSION) {
        rc = dd_err(e, DD_EUNSUPPORTED, "vulndb: '%s' has schema version '%s', this drydock reads %d", src, sv,
                    DD_VULNDB_SCHEMA_VERSION);
    } else if (sqlite3_prepare_v2(h, "PRAGMA quick_check", -1, &st, NULL) != SQLITE_OK ||
               sqlite3_step(st) != SQLITE_ROW || !(qc = (char *)sqlite3_column_text(st, 0)) || strcmp(qc, "ok")) {
        rc = dd_err(e, DD_ECORRUPT, "vulndb: '%s' fails its integrity check: %s", src, qc ? qc : sqlite3_errmsg(h));
    } else {
        /* the tables the readers need must all be there */
        rc = exec(h, "SELECT count(*) FROM feeds; SELECT count(*) FROM vulns; SELECT count(*) FROM affected;"
                     " SELECT count(*) FROM nvd;", e);
    }
    sqlite3_finalize(st);
    free(sv);
    if (rc) {
        sqlite3_close(h);
        return rc;
    }
    char *dir = dir_of(path);
    rc = dd_mkdirs(dir, 0755, e);
    free(dir);
    char *lockp = dd_asprintf("%s.lock", path);
    int lockfd = rc ? -1 : open(lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    free(lockp);
    if (!rc && (lockfd < 0 || flock(lockfd, LOCK_EX) != 0))
        rc = dd_err_errno(e, DD_EIO, errno, "vulndb: cannot lock '%s'", path);
    if (rc) {
        if (lockfd >= 0) close(lockfd);
        sqlite3_close(h);
        return rc;
    }
    /* the version goes past both, so long-lived readers see a change */
    int64_t live = 0;
    sqlite3 *lh = NULL;
    dd_err_t ignore;
    if (open_handle(path, true, &lh, &ignore) == DD_OK) {
        live = meta_version(lh);
        sqlite3_close(lh);
    }
    int64_t v = meta_version(h);
    v = (v > live ? v : live) + 1;
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", (long long)v);
    rc = meta_set(h, "version", buf, e);
    if (!rc) rc = exec(h, "PRAGMA journal_mode=DELETE", e);
    sqlite3_close(h);
    int fd = rc ? -1 : open(src, O_RDONLY | O_CLOEXEC);
    if (!rc && (fd < 0 || fsync(fd) != 0)) rc = dd_err_errno(e, DD_EIO, errno, "vulndb: fsync '%s'", src);
    if (fd >= 0) close(fd);
    if (!rc && rename(src, path) != 0) rc = dd_err_errno(e, DD_EIO, errno, "vulndb: rename to '%s'", path);
    if (!rc) {
        char *d = dir_of(path);
        dd_fsync_dir(d);
        free(d);
        if (version) *version = v;
    }
    close(lockfd);
    return rc;
}
