/*
 * sqlite.c: the "sqlite" metadata driver: repositories, blob links,
 * manifests, references, tags, referrers and upload sessions in one SQLite
 * database in WAL mode. The schema lives in schema.c as migrations.
 *
 * Design notes
 *   Connections: a dd_meta_t is shared by all threads; each thread gets its
 *   own connection (a pthread key), opened on first use, with its prepared
 *   statements cached (prepared once, reset after each use). When a thread
 *   exits its connection goes back to an idle list that the next new thread
 *   takes over, so a pool of worker threads costs one connection each.
 *   dd_meta_close() closes every connection; it must run after the threads
 *   using the store have stopped calling it.
 *
 *   Durability: journal_mode=WAL, synchronous=FULL. WAL lets readers run
 *   beside the single writer; FULL fsyncs the WAL at every commit, so a call
 *   that returned DD_OK survives kill -9 AND power loss. (NORMAL would also
 *   survive kill -9 and never corrupt, but could lose the last commits on
 *   power loss, e.g. a manifest the client was told is stored.)
 *
 *   Transactions: every mutation runs in tx() as BEGIN IMMEDIATE ... COMMIT:
 *   the write lock is taken up front, so two writers never deadlock on a
 *   read-to-write upgrade; a writer waits up to busy_timeout for the lock
 *   and the whole transaction is retried a few times on SQLITE_BUSY.
 *   Reads run as single autocommit statements (a consistent snapshot each).
 *
 *   Repositories: a repository exists once a blob has been linked into it
 *   or a manifest pushed to it; deleting its content does not remove it
 *   (it keeps answering tags list with an empty list).
 */
#include "meta/meta_int.h"
#include "dd/sqldb.h"

#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BUSY_TIMEOUT_MS 10000
#define TX_ATTEMPTS 5

/* Cached statements, one slot per query; prepared on first use. */
enum {
    S_BEGIN,
    S_COMMIT,
    S_ROLLBACK,
    S_REPO_ID,
    S_REPO_INSERT,
    S_LINK_PUT,
    S_LINK_GET,
    S_LINK_DEL,
    S_REFS,
    S_MAN_UPSERT,
    S_REFS_CLEAR,
    S_REF_ADD,
    S_TAG_SET,
    S_MAN_BY_TAG,
    S_MAN_BY_DIGEST,
    S_MAN_DEL,
    S_TAG_DEL,
    S_TAGS_LIST,
    S_CATALOG,
    S_REFERRERS,
    S_REFERRERS_AT,
    S_UP_PUT,
    S_UP_GET,
    S_UP_DEL,
    S_UP_STALE,
    S_MAN_ALL,
    S_REFS_OF,
    S_LINKS_ALL,
    S_LINK_REPOS,
    S_COUNT
};

#define MAN_COLS "m.digest, m.media_type, m.artifact_type, m.size, m.subject, m.annotations_json, m.pushed_ms"

static const char *const sql_text[S_COUNT] = {
    [S_BEGIN] = "BEGIN IMMEDIATE",
    [S_COMMIT] = "COMMIT",
    [S_ROLLBACK] = "ROLLBACK",
    [S_REPO_ID] = "SELECT id FROM repos WHERE name = ?1",
    [S_REPO_INSERT] = "INSERT INTO repos(name, created_ms) VALUES (?1, ?2) ON CONFLICT(name) DO NOTHING",
    [S_LINK_PUT] = "INSERT INTO blob_links(repo_id, digest, size, linked_ms) VALUES (?1, ?2, ?3, ?4) "
                   "ON CONFLICT(repo_id, digest) DO UPDATE SET size = excluded.size",
    [S_LINK_GET] = "SELECT l.size FROM repos r JOIN blob_links l ON l.repo_id = r.id "
                   "WHERE r.name = ?1 AND l.digest = ?2",
    [S_LINK_DEL] = "DELETE FROM blob_links WHERE repo_id = (SELECT id FROM repos WHERE name = ?1) AND digest = ?2",
    [S_REFS] = "SELECT (SELECT count(*) FROM blob_links WHERE digest = ?1)"
               " + (SELECT count(*) FROM manifest_refs WHERE digest = ?1)"
               " + (SELECT count(*) FROM manifests WHERE digest = ?1)",
    [S_MAN_UPSERT] = "INSERT INTO manifests(repo_id, digest, media_type, artifact_type, size, subject,"
                     " annotations_json, pushed_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
                     "ON CONFLICT(repo_id, digest) DO UPDATE SET media_type = excluded.media_type,"
                     " artifact_type = excluded.artifact_type, size = excluded.size,"
                     " subject = excluded.subject, annotations_json = excluded.annotations_json,"
                     " pushed_ms = excluded.pushed_ms RETURNING id",
    [S_REFS_CLEAR] = "DELETE FROM manifest_refs WHERE manifest_id = ?1",
    [S_REF_ADD] = "INSERT OR IGNORE INTO manifest_refs(manifest_id, kind, digest) VALUES (?1, ?2, ?3)",
    [S_TAG_SET] = "INSERT INTO tags(repo_id, name, manifest_id, updated_ms) VALUES (?1, ?2, ?3, ?4) "
                  "ON CONFLICT(repo_id, name) DO UPDATE SET manifest_id = excluded.manifest_id,"
                  " updated_ms = excluded.updated_ms",
    [S_MAN_BY_TAG] = "SELECT " MAN_COLS " FROM repos r JOIN tags t ON t.repo_id = r.id"
                     " JOIN manifests m ON m.id = t.manifest_id WHERE r.name = ?1 AND t.name = ?2",
    [S_MAN_BY_DIGEST] = "SELECT " MAN_COLS " FROM repos r JOIN manifests m ON m.repo_id = r.id"
                        " WHERE r.name = ?1 AND m.digest = ?2",
    [S_MAN_DEL] = "DELETE FROM manifests WHERE repo_id = (SELECT id FROM repos WHERE name = ?1) AND digest = ?2",
    [S_TAG_DEL] = "DELETE FROM tags WHERE repo_id = (SELECT id FROM repos WHERE name = ?1) AND name = ?2",
    [S_TAGS_LIST] = "SELECT name FROM tags WHERE repo_id = ?1 AND name > ?2 ORDER BY name LIMIT ?3",
    [S_CATALOG] = "SELECT name FROM repos WHERE name > ?1 ORDER BY name LIMIT ?2",
    [S_REFERRERS] = "SELECT media_type, digest, size, artifact_type, annotations_json FROM manifests"
                    " WHERE repo_id = (SELECT id FROM repos WHERE name = ?1) AND subject = ?2"
                    " AND subject <> '' ORDER BY digest",
    [S_REFERRERS_AT] = "SELECT media_type, digest, size, artifact_type, annotations_json FROM manifests"
                       " WHERE repo_id = (SELECT id FROM repos WHERE name = ?1) AND subject = ?2"
                       " AND subject <> '' AND artifact_type = ?3 ORDER BY digest",
    [S_UP_PUT] = "INSERT INTO uploads(uuid, repo, offset, created_ms, updated_ms) VALUES (?1, ?2, ?3, ?4, ?5) "
                 "ON CONFLICT(uuid) DO UPDATE SET repo = excluded.repo, offset = excluded.offset,"
                 " updated_ms = excluded.updated_ms",
    [S_UP_GET] = "SELECT uuid, repo, offset, created_ms, updated_ms FROM uploads WHERE uuid = ?1",
    [S_UP_DEL] = "DELETE FROM uploads WHERE uuid = ?1",
    [S_UP_STALE] = "SELECT uuid, repo, offset, created_ms, updated_ms FROM uploads WHERE updated_ms < ?1"
                   " AND (updated_ms, uuid) > (?2, ?3) ORDER BY updated_ms, uuid LIMIT 64",
    [S_MAN_ALL] = "SELECT " MAN_COLS ", r.name, m.id FROM repos r JOIN manifests m ON m.repo_id = r.id"
                  " WHERE (r.name, m.digest) > (?1, ?2) ORDER BY r.name, m.digest LIMIT 64",
    [S_REFS_OF] = "SELECT kind, digest FROM manifest_refs WHERE manifest_id = ?1 ORDER BY kind, digest",
    [S_LINK_REPOS] = "SELECT r.name FROM repos r JOIN blob_links l ON l.repo_id = r.id WHERE l.digest = ?1"
                      " ORDER BY r.name",
    [S_LINKS_ALL] = "SELECT r.name, l.digest, l.size FROM repos r JOIN blob_links l ON l.repo_id = r.id"
                    " WHERE (r.name, l.digest) > (?1, ?2) ORDER BY r.name, l.digest LIMIT 64",
};

typedef struct sq_meta sq_meta_t;

typedef struct conn {
    sqlite3 *db;
    dd_sqlcache_t cache; /* prepared statements (sql_text[]), on first use */
    sq_meta_t *owner;
    struct conn *next;   /* all connections of the store */
    bool in_use;         /* bound to a live thread */
} conn_t;

struct sq_meta {
    dd_meta_t super;
    char *path;
    pthread_key_t key;
    pthread_mutex_t mu;
    conn_t *conns;
};

/* ---- connections ----------------------------------------------------------- */

#define NAME "metadata store" /* in error messages */

static void conn_close(conn_t *c)
{
    dd_sqlcache_release(&c->cache);
    sqlite3_close_v2(c->db);
    free(c);
}

static int conn_open(const char *path, conn_t **out, dd_err_t *e)
{
    static const dd_sqldb_opts_t opts = {
        .name = NAME,
        .busy_ms = BUSY_TIMEOUT_MS,
        .pragmas = "PRAGMA journal_mode = WAL;"
                   "PRAGMA synchronous = FULL;"
                   "PRAGMA foreign_keys = ON;"
                   "PRAGMA temp_store = MEMORY;"
                   /* 1 MiB page cache per connection (one per thread): the
                    * hot index pages fit, the OS page cache holds the rest */
                   "PRAGMA cache_size = -1024;",
    };
    sqlite3 *db;
    int rc = dd_sqldb_open(path, &opts, &db, e);
    if (rc != DD_OK) return rc;
    conn_t *c = dd_calloc(1, sizeof *c);
    c->db = db;
    dd_sqlcache_init(&c->cache, db, NAME);
    *out = c;
    return DD_OK;
}

static void conn_thread_exit(void *p)
{
    conn_t *c = p;
    sq_meta_t *m = c->owner;
    pthread_mutex_lock(&m->mu);
    c->in_use = false;
    pthread_mutex_unlock(&m->mu);
}

/* The calling thread's connection (opened or adopted on first use). */
static int get_conn(sq_meta_t *m, conn_t **out, dd_err_t *e)
{
    conn_t *c = pthread_getspecific(m->key);
    if (c) {
        *out = c;
        return DD_OK;
    }
    pthread_mutex_lock(&m->mu);
    for (c = m->conns; c; c = c->next)
        if (!c->in_use) break;
    if (c) c->in_use = true;
    pthread_mutex_unlock(&m->mu);
    if (!c) {
        int rc = conn_open(m->path, &c, e);
        if (rc != DD_OK) return rc;
        c->owner = m;
        c->in_use = true;
        pthread_mutex_lock(&m->mu);
        c->next = m->conns;
        m->conns = c;
        pthread_mutex_unlock(&m->mu);
    }
    pthread_setspecific(m->key, c);
    *out = c;
    return DD_OK;
}

/* A reset statement of c, prepared on first use. */
static sqlite3_stmt *stmt(conn_t *c, int which, dd_err_t *e)
{
    return dd_sqlcache_get(&c->cache, sql_text[which], e);
}

#define done dd_sql_done

static int sqlerr(conn_t *c, int rc, dd_err_t *e)
{
    return dd_sqldb_err(c->db, NAME, rc, e);
}

/* Steps a statement that returns no rows (or ignores them). */
static int step_done(conn_t *c, sqlite3_stmt *s, dd_err_t *e)
{
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    }
    int out = rc == SQLITE_DONE ? DD_OK : sqlerr(c, rc, e);
    done(s);
    return out;
}

static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
    sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
}

/* Runs body(c, arg, e) in BEGIN IMMEDIATE ... COMMIT, retrying on busy. */
static int tx(sq_meta_t *m, int (*body)(conn_t *c, void *arg, dd_err_t *e), void *arg, dd_err_t *e)
{
    conn_t *c;
    int rc = get_conn(m, &c, e);
    if (rc != DD_OK) return rc;
    for (int attempt = 0;; attempt++) {
        sqlite3_stmt *s = stmt(c, S_BEGIN, e);
        if (!s) return DD_EIO;
        rc = step_done(c, s, e);
        if (rc == DD_OK) {
            rc = body(c, arg, e);
            if (rc == DD_OK) {
                sqlite3_stmt *cm = stmt(c, S_COMMIT, e);
                rc = cm ? step_done(c, cm, e) : DD_EIO;
            }
            if (rc != DD_OK && !sqlite3_get_autocommit(c->db)) {
                sqlite3_stmt *rb = stmt(c, S_ROLLBACK, NULL);
                if (rb) step_done(c, rb, NULL);
            }
        }
        if (rc != DD_EBUSY || attempt + 1 >= TX_ATTEMPTS) return rc;
        struct timespec ts = {0, 1000000L * (1 + attempt * 5)};
        nanosleep(&ts, NULL);
    }
}

/* ---- open / close / migrations ---------------------------------------------- */

static int migrate(conn_t *c, dd_err_t *e)
{
    return dd_sqldb_migrate(c->db, NAME, dd_meta_sqlite_migrations, dd_meta_sqlite_n_migrations, e);
}

static int sq_open(const char *dsn, dd_meta_t **out, dd_err_t *e)
{
    if (!dsn || !*dsn) return dd_err(e, DD_EINVAL, "empty sqlite database path");
    sq_meta_t *m = dd_calloc(1, sizeof *m);
    m->super.ops = &dd_meta_sqlite_ops;
    m->path = dd_strdup(dsn);
    pthread_mutex_init(&m->mu, NULL);
    if (pthread_key_create(&m->key, conn_thread_exit) != 0) {
        free(m->path);
        free(m);
        return dd_err(e, DD_ENOMEM, "cannot create thread key");
    }
    conn_t *c;
    int rc = get_conn(m, &c, e);
    if (rc == DD_OK) rc = migrate(c, e);
    if (rc != DD_OK) {
        m->super.ops->close(&m->super);
        return rc;
    }
    *out = &m->super;
    return DD_OK;
}

static void sq_close(dd_meta_t *mm)
{
    sq_meta_t *m = (sq_meta_t *)mm;
    pthread_setspecific(m->key, NULL);
    pthread_key_delete(m->key);
    conn_t *c = m->conns;
    while (c) {
        conn_t *next = c->next;
        conn_close(c);
        c = next;
    }
    pthread_mutex_destroy(&m->mu);
    free(m->path);
    free(m);
}

/* ---- helpers ---------------------------------------------------------------- */

/* Repository id (creating the repository if create). */
static int repo_id(conn_t *c, const char *repo, bool create, int64_t *id, dd_err_t *e)
{
    sqlite3_stmt *s;
    if (create) {
        if (!(s = stmt(c, S_REPO_INSERT, e))) return DD_EIO;
        bind_text(s, 1, repo);
        sqlite3_bind_int64(s, 2, dd_now_ms());
        int rc = step_done(c, s, e);
        if (rc != DD_OK) return rc;
    }
    if (!(s = stmt(c, S_REPO_ID, e))) return DD_EIO;
    bind_text(s, 1, repo);
    int rc = sqlite3_step(s);
    int out;
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(s, 0);
        out = DD_OK;
    } else if (rc == SQLITE_DONE) {
        out = dd_err(e, DD_ENOTFOUND, "repository '%s' not found", repo);
    } else {
        out = sqlerr(c, rc, e);
    }
    done(s);
    return out;
}

static int check_repo(const char *repo, dd_err_t *e)
{
    if (!repo || !*repo || strlen(repo) >= DD_REPO_MAX) return dd_err(e, DD_EINVAL, "invalid repository name");
    return DD_OK;
}

static void copy_col(sqlite3_stmt *s, int col, char *dst, size_t n)
{
    const char *v = (const char *)sqlite3_column_text(s, col);
    snprintf(dst, n, "%s", v ? v : "");
}

/* ---- blob links --------------------------------------------------------------- */

struct link_args {
    const char *repo;
    const dd_digest_t *d;
    uint64_t size;
};

static int link_body(conn_t *c, void *arg, dd_err_t *e)
{
    struct link_args *a = arg;
    int64_t id;
    int rc = repo_id(c, a->repo, true, &id, e);
    if (rc != DD_OK) return rc;
    sqlite3_stmt *s = stmt(c, S_LINK_PUT, e);
    if (!s) return DD_EIO;
    sqlite3_bind_int64(s, 1, id);
    bind_text(s, 2, a->d->str);
    sqlite3_bind_int64(s, 3, (sqlite3_int64)a->size);
    sqlite3_bind_int64(s, 4, dd_now_ms());
    return step_done(c, s, e);
}

static int sq_blob_link(dd_meta_t *m, const char *repo, const dd_digest_t *d, uint64_t size, dd_err_t *e)
{
    int rc = check_repo(repo, e);
    if (rc != DD_OK) return rc;
    struct link_args a = {repo, d, size};
    return tx((sq_meta_t *)m, link_body, &a, e);
}

static int sq_blob_linked(dd_meta_t *mm, const char *repo, const dd_digest_t *d, uint64_t *size)
{
    conn_t *c;
    int rc = get_conn((sq_meta_t *)mm, &c, NULL);
    if (rc != DD_OK) return rc;
    sqlite3_stmt *s = stmt(c, S_LINK_GET, NULL);
    if (!s) return DD_EIO;
    bind_text(s, 1, repo);
    bind_text(s, 2, d->str);
    rc = sqlite3_step(s);
    int out;
    if (rc == SQLITE_ROW) {
        *size = (uint64_t)sqlite3_column_int64(s, 0);
        out = DD_OK;
    } else {
        out = rc == SQLITE_DONE ? DD_ENOTFOUND : sqlerr(c, rc, NULL);
    }
    done(s);
    return out;
}

static int unlink_body(conn_t *c, void *arg, dd_err_t *e)
{
    struct link_args *a = arg;
    sqlite3_stmt *s = stmt(c, S_LINK_DEL, e);
    if (!s) return DD_EIO;
    bind_text(s, 1, a->repo);
    bind_text(s, 2, a->d->str);
    int rc = step_done(c, s, e);
    if (rc == DD_OK && sqlite3_changes(c->db) == 0)
        rc = dd_err(e, DD_ENOTFOUND, "blob '%s' not linked in '%s'", a->d->str, a->repo);
    return rc;
}

static int sq_blob_unlink(dd_meta_t *m, const char *repo, const dd_digest_t *d, dd_err_t *e)
{
    struct link_args a = {repo, d, 0};
    return tx((sq_meta_t *)m, unlink_body, &a, e);
}

static int sq_blob_refs(dd_meta_t *mm, const dd_digest_t *d, uint64_t *count)
{
    conn_t *c;
    int rc = get_conn((sq_meta_t *)mm, &c, NULL);
    if (rc != DD_OK) return rc;
    sqlite3_stmt *s = stmt(c, S_REFS, NULL);
    if (!s) return DD_EIO;
    bind_text(s, 1, d->str);
    rc = sqlite3_step(s);
    int out = DD_OK;
    if (rc == SQLITE_ROW)
        *count = (uint64_t)sqlite3_column_int64(s, 0);
    else
        out = sqlerr(c, rc, NULL);
    done(s);
    return out;
}

/* ---- manifests and tags ---------------------------------------------------------- */

static int read_manifest(sqlite3_stmt *s, dd_manifest_rec_t *out);

struct put_args {
    const dd_manifest_rec_t *rec;
    const dd_manifest_refs_t *refs;
    const char *tag;
};

static int add_refs(conn_t *c, int64_t mid, int kind, const dd_digest_t *v, size_t n, dd_err_t *e)
{
    for (size_t i = 0; i < n; i++) {
        sqlite3_stmt *s = stmt(c, S_REF_ADD, e);
        if (!s) return DD_EIO;
        sqlite3_bind_int64(s, 1, mid);
        sqlite3_bind_int(s, 2, kind);
        bind_text(s, 3, v[i].str);
        int rc = step_done(c, s, e);
        if (rc != DD_OK) return rc;
    }
    return DD_OK;
}

static int put_body(conn_t *c, void *arg, dd_err_t *e)
{
    struct put_args *a = arg;
    const dd_manifest_rec_t *r = a->rec;
    int64_t rid, mid = 0;
    int rc = repo_id(c, r->repo, true, &rid, e);
    if (rc != DD_OK) return rc;

    sqlite3_stmt *s = stmt(c, S_MAN_UPSERT, e);
    if (!s) return DD_EIO;
    sqlite3_bind_int64(s, 1, rid);
    bind_text(s, 2, r->digest.str);
    bind_text(s, 3, r->media_type);
    bind_text(s, 4, r->artifact_type);
    sqlite3_bind_int64(s, 5, (sqlite3_int64)r->size);
    bind_text(s, 6, r->subject);
    if (r->annotations_json)
        bind_text(s, 7, r->annotations_json);
    else
        sqlite3_bind_null(s, 7);
    sqlite3_bind_int64(s, 8, r->pushed_ms ? r->pushed_ms : dd_now_ms());
    int src = sqlite3_step(s);
    if (src == SQLITE_ROW) {
        mid = sqlite3_column_int64(s, 0);
        rc = step_done(c, s, e);
    } else {
        rc = sqlerr(c, src, e);
        done(s);
    }
    if (rc != DD_OK) return rc;

    if (!(s = stmt(c, S_REFS_CLEAR, e))) return DD_EIO;
    sqlite3_bind_int64(s, 1, mid);
    if ((rc = step_done(c, s, e)) != DD_OK) return rc;
    if (a->refs) {
        if ((rc = add_refs(c, mid, 0, a->refs->blobs, a->refs->n_blobs, e)) != DD_OK) return rc;
        if ((rc = add_refs(c, mid, 1, a->refs->manifests, a->refs->n_manifests, e)) != DD_OK) return rc;
    }
    if (a->tag) {
        if (!(s = stmt(c, S_TAG_SET, e))) return DD_EIO;
        sqlite3_bind_int64(s, 1, rid);
        bind_text(s, 2, a->tag);
        sqlite3_bind_int64(s, 3, mid);
        sqlite3_bind_int64(s, 4, dd_now_ms());
        if ((rc = step_done(c, s, e)) != DD_OK) return rc;
    }
    return DD_OK;
}

static int sq_manifest_put(dd_meta_t *m, const dd_manifest_rec_t *rec, const dd_manifest_refs_t *refs,
                           const char *tag, dd_err_t *e)
{
    int rc = check_repo(rec->repo, e);
    if (rc != DD_OK) return rc;
    if (tag && (!*tag || strlen(tag) >= DD_TAG_MAX)) return dd_err(e, DD_EINVAL, "invalid tag");
    if (!rec->digest.str[0]) return dd_err(e, DD_EINVAL, "manifest without digest");
    struct put_args a = {rec, refs, tag};
    return tx((sq_meta_t *)m, put_body, &a, e);
}

static int sq_manifest_get(dd_meta_t *mm, const char *repo, const char *reference, dd_manifest_rec_t *out)
{
    memset(out, 0, sizeof *out);
    if (!repo || strlen(repo) >= DD_REPO_MAX || !reference) return DD_ENOTFOUND;
    conn_t *c;
    int rc = get_conn((sq_meta_t *)mm, &c, NULL);
    if (rc != DD_OK) return rc;
    bool by_digest = strchr(reference, ':') != NULL;
    sqlite3_stmt *s = stmt(c, by_digest ? S_MAN_BY_DIGEST : S_MAN_BY_TAG, NULL);
    if (!s) return DD_EIO;
    bind_text(s, 1, repo);
    bind_text(s, 2, reference);
    rc = sqlite3_step(s);
    int res = DD_OK;
    if (rc == SQLITE_ROW) {
        snprintf(out->repo, sizeof out->repo, "%s", repo);
        res = read_manifest(s, out);
        if (res != DD_OK) dd_manifest_rec_release(out);
    } else {
        res = rc == SQLITE_DONE ? DD_ENOTFOUND : sqlerr(c, rc, NULL);
    }
    done(s);
    return res;
}

struct del_args {
    const char *repo;
    const char *key;
    int which;
    const char *what;
};

static int del_body(conn_t *c, void *arg, dd_err_t *e)
{
    struct del_args *a = arg;
    sqlite3_stmt *s = stmt(c, a->which, e);
    if (!s) return DD_EIO;
    bind_text(s, 1, a->repo);
    bind_text(s, 2, a->key);
    int rc = step_done(c, s, e);
    if (rc == DD_OK && sqlite3_changes(c->db) == 0)
        rc = dd_err(e, DD_ENOTFOUND, "%s '%s' not found in '%s'", a->what, a->key, a->repo);
    return rc;
}

static int sq_manifest_delete(dd_meta_t *m, const char *repo, const dd_digest_t *d, dd_err_t *e)
{
    /* tags and references go with it (ON DELETE CASCADE) */
    struct del_args a = {repo, d->str, S_MAN_DEL, "manifest"};
    return tx((sq_meta_t *)m, del_body, &a, e);
}

static int sq_tag_delete(dd_meta_t *m, const char *repo, const char *tag, dd_err_t *e)
{
    struct del_args a = {repo, tag, S_TAG_DEL, "tag"};
    return tx((sq_meta_t *)m, del_body, &a, e);
}

static int list_names(conn_t *c, sqlite3_stmt *s, int (*fn)(const char *name, void *arg), void *arg)
{
    int rc, res = DD_OK;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(s, 0);
        if (name && fn(name, arg) != 0) break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) res = sqlerr(c, rc, NULL);
    done(s);
    return res;
}

static int sq_blob_repos(dd_meta_t *mm, const dd_digest_t *d, int (*fn)(const char *repo, void *arg), void *arg)
{
    conn_t *c;
    int rc = get_conn((sq_meta_t *)mm, &c, NULL);
    if (rc != DD_OK) return rc;
    sqlite3_stmt *s = stmt(c, S_LINK_REPOS, NULL);
    if (!s) return DD_EIO;
    bind_text(s, 1, d->str);
    return list_names(c, s, fn, arg);
}

static int sq_tags_list(dd_meta_t *mm, const char *repo, const char *last, size_t n,
                        int (*fn)(const char *tag, void *arg), void *arg)
{
    conn_t *c;
    int rc = get_conn((sq_meta_t *)mm, &c, NULL);
    if (rc != DD_OK) return rc;
    int64_t rid;
    if ((rc = repo_id(c, repo, false, &rid, NULL)) != DD_OK) return rc;
    sqlite3_stmt *s = stmt(c, S_TAGS_LIST, NULL);
    if (!s) return DD_EIO;
    sqlite3_bind_int64(s, 1, rid);
    bind_text(s, 2, last ? last : "");
    sqlite3_bind_int64(s, 3, n ? (sqlite3_int64)n : -1);
    return list_names(c, s, fn, arg);
}

static int sq_catalog(dd_meta_t *mm, const char *last, size_t n, int (*fn)(const char *repo, void *arg),
                      void *arg)
{
    conn_t *c;
    int rc = get_conn((sq_meta_t *)mm, &c, NULL);
    if (rc != DD_OK) return rc;
    sqlite3_stmt *s = stmt(c, S_CATALOG, NULL);
    if (!s) return DD_EIO;
    bind_text(s, 1, last ? last : "");
    sqlite3_bind_int64(s, 2, n ? (sqlite3_int64)n : -1);
    return list_names(c, s, fn, arg);
}

static int sq_repo_exists(dd_meta_t *mm, const char *repo)
{
    conn_t *c;
    int rc = get_conn((sq_meta_t *)mm, &c, NULL);
    if (rc != DD_OK) return rc;
    int64_t id;
    return repo_id(c, repo, false, &id, NULL);
}

static int sq_referrers(dd_meta_t *mm, const char *repo, const dd_digest_t *subject, const char *artifact_type,
                        int (*fn)(const dd_referrer_t *r, void *arg), void *arg)
{
    conn_t *c;
    int rc = get_conn((sq_meta_t *)mm, &c, NULL);
    if (rc != DD_OK) return rc;
    sqlite3_stmt *s = stmt(c, artifact_type ? S_REFERRERS_AT : S_REFERRERS, NULL);
    if (!s) return DD_EIO;
    bind_text(s, 1, repo);
    bind_text(s, 2, subject->str);
    if (artifact_type) bind_text(s, 3, artifact_type);
    int res = DD_OK;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        dd_referrer_t r;
        r.media_type = (const char *)sqlite3_column_text(s, 0);
        r.digest = (const char *)sqlite3_column_text(s, 1);
        r.size = (uint64_t)sqlite3_column_int64(s, 2);
        r.artifact_type = (const char *)sqlite3_column_text(s, 3);
        r.annotations_json = (const char *)sqlite3_column_text(s, 4);
        if (!r.media_type) r.media_type = "";
        if (!r.digest) r.digest = "";
        if (!r.artifact_type) r.artifact_type = "";
        if (fn(&r, arg) != 0) break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) res = sqlerr(c, rc, NULL);
    done(s);
    return res;
}

/* ---- upload sessions ------------------------------------------------------------ */

static int up_body(conn_t *c, void *arg, dd_err_t *e)
{
    const dd_upload_rec_t *u = arg;
    sqlite3_stmt *s = stmt(c, S_UP_PUT, e);
    if (!s) return DD_EIO;
    bind_text(s, 1, u->uuid);
    bind_text(s, 2, u->repo);
    sqlite3_bind_int64(s, 3, (sqlite3_int64)u->offset);
    int64_t now = dd_now_ms();
    sqlite3_bind_int64(s, 4, u->created_ms ? u->created_ms : now);
    sqlite3_bind_int64(s, 5, u->updated_ms ? u->updated_ms : now);
    return step_done(c, s, e);
}

static int sq_upload_put(dd_meta_t *m, const dd_upload_rec_t *u, dd_err_t *e)
{
    if (!u->uuid[0] || !memchr(u->uuid, 0, sizeof u->uuid)) return dd_err(e, DD_EINVAL, "invalid upload id");
    return tx((sq_meta_t *)m, up_body, (void *)u, e);
}

static void read_upload(sqlite3_stmt *s, dd_upload_rec_t *out)
{
    memset(out, 0, sizeof *out);
    copy_col(s, 0, out->uuid, sizeof out->uuid);
    copy_col(s, 1, out->repo, sizeof out->repo);
    out->offset = (uint64_t)sqlite3_column_int64(s, 2);
    out->created_ms = sqlite3_column_int64(s, 3);
    out->updated_ms = sqlite3_column_int64(s, 4);
}

static int sq_upload_get(dd_meta_t *mm, const char *uuid, dd_upload_rec_t *out)
{
    conn_t *c;
    int rc = get_conn((sq_meta_t *)mm, &c, NULL);
    if (rc != DD_OK) return rc;
    sqlite3_stmt *s = stmt(c, S_UP_GET, NULL);
    if (!s) return DD_EIO;
    bind_text(s, 1, uuid);
    rc = sqlite3_step(s);
    int res = DD_OK;
    if (rc == SQLITE_ROW)
        read_upload(s, out);
    else
        res = rc == SQLITE_DONE ? DD_ENOTFOUND : sqlerr(c, rc, NULL);
    done(s);
    return res;
}

struct updel_args {
    const char *uuid;
};

static int updel_body(conn_t *c, void *arg, dd_err_t *e)
{
    struct updel_args *a = arg;
    sqlite3_stmt *s = stmt(c, S_UP_DEL, e);
    if (!s) return DD_EIO;
    bind_text(s, 1, a->uuid);
    int rc = step_done(c, s, e);
    if (rc == DD_OK && sqlite3_changes(c->db) == 0) rc = DD_ENOTFOUND;
    return rc;
}

static int sq_upload_delete(dd_meta_t *m, const char *uuid)
{
    struct updel_args a = {uuid};
    return tx((sq_meta_t *)m, updel_body, &a, NULL);
}

/* Fetched in batches (keyset on updated_ms, uuid) and handed to fn with no
 * statement active, so fn may delete the sessions it is given (the
 * registry's janitor does) without its write hitting a stale read snapshot. */
static int sq_uploads_stale(dd_meta_t *mm, int64_t before_ms, int (*fn)(const dd_upload_rec_t *u, void *arg),
                            void *arg)
{
    enum { BATCH = 64 };
    conn_t *c;
    int rc = get_conn((sq_meta_t *)mm, &c, NULL);
    if (rc != DD_OK) return rc;
    dd_upload_rec_t *batch = dd_malloc(BATCH * sizeof *batch);
    int64_t after_ms = INT64_MIN;
    char after_uuid[64] = "";
    int res = DD_OK;
    for (;;) {
        sqlite3_stmt *s = stmt(c, S_UP_STALE, NULL);
        if (!s) {
            res = DD_EIO;
            break;
        }
        sqlite3_bind_int64(s, 1, before_ms);
        sqlite3_bind_int64(s, 2, after_ms);
        bind_text(s, 3, after_uuid);
        size_t n = 0;
        while (n < BATCH && (rc = sqlite3_step(s)) == SQLITE_ROW) read_upload(s, &batch[n++]);
        if (n < BATCH && rc != SQLITE_DONE) res = sqlerr(c, rc, NULL);
        done(s);
        if (res != DD_OK || n == 0) break;
        after_ms = batch[n - 1].updated_ms;
        memcpy(after_uuid, batch[n - 1].uuid, sizeof after_uuid);
        bool stop = false;
        for (size_t i = 0; i < n && !stop; i++) stop = fn(&batch[i], arg) != 0;
        if (stop || n < BATCH) break;
    }
    free(batch);
    return res;
}

/* ---- walks ----------------------------------------------------------------------- */

/* Fills out from a row of MAN_COLS starting at column 0 (repo set by caller). */
static int read_manifest(sqlite3_stmt *s, dd_manifest_rec_t *out)
{
    int res = DD_OK;
    const char *ds = (const char *)sqlite3_column_text(s, 0);
    if (!ds || dd_digest_parse(ds, &out->digest, NULL) != DD_OK) res = DD_ECORRUPT;
    copy_col(s, 1, out->media_type, sizeof out->media_type);
    copy_col(s, 2, out->artifact_type, sizeof out->artifact_type);
    out->size = (uint64_t)sqlite3_column_int64(s, 3);
    copy_col(s, 4, out->subject, sizeof out->subject);
    const char *ann = (const char *)sqlite3_column_text(s, 5);
    out->annotations_json = ann ? dd_strdup(ann) : NULL;
    out->pushed_ms = sqlite3_column_int64(s, 6);
    return res;
}

/* References of manifest mid into two growable arrays. */
static int load_refs(conn_t *c, int64_t mid, dd_digest_t **blobs, size_t *nb, size_t *capb, dd_digest_t **kids,
                     size_t *nk, size_t *capk)
{
    sqlite3_stmt *s = stmt(c, S_REFS_OF, NULL);
    if (!s) return DD_EIO;
    sqlite3_bind_int64(s, 1, mid);
    int rc, res = DD_OK;
    *nb = *nk = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int kind = sqlite3_column_int(s, 0);
        const char *ds = (const char *)sqlite3_column_text(s, 1);
        dd_digest_t d;
        if (!ds || dd_digest_parse(ds, &d, NULL) != DD_OK) {
            res = DD_ECORRUPT;
            continue;
        }
        dd_digest_t **arr = kind ? kids : blobs;
        size_t *n = kind ? nk : nb, *cap = kind ? capk : capb;
        if (*n == *cap) {
            *cap = *cap ? *cap * 2 : 16;
            *arr = dd_realloc(*arr, *cap * sizeof **arr);
        }
        (*arr)[(*n)++] = d;
    }
    if (rc != SQLITE_DONE) res = sqlerr(c, rc, NULL);
    done(s);
    return res;
}

/* The walks fetch in batches of WALK_BATCH (keyset on repository name and
 * digest) and call fn with no statement active, so fn may write (garbage
 * collection deletes what it walks) without hitting a stale read snapshot. */
#define WALK_BATCH 64

struct man_row {
    dd_manifest_rec_t rec;
    int64_t id;
};

static int sq_manifests_each(dd_meta_t *mm,
                             int (*fn)(const dd_manifest_rec_t *rec, const dd_manifest_refs_t *refs, void *arg),
                             void *arg)
{
    conn_t *c;
    int rc = get_conn((sq_meta_t *)mm, &c, NULL);
    if (rc != DD_OK) return rc;
    struct man_row *rows = dd_calloc(WALK_BATCH, sizeof *rows);
    dd_digest_t *blobs = NULL, *kids = NULL;
    size_t nb = 0, capb = 0, nk = 0, capk = 0;
    char after_repo[DD_REPO_MAX] = "", after_digest[DD_DIGEST_MAX] = "";
    int res = DD_OK;
    for (;;) {
        sqlite3_stmt *s = stmt(c, S_MAN_ALL, NULL);
        if (!s) {
            res = DD_EIO;
            break;
        }
        bind_text(s, 1, after_repo);
        bind_text(s, 2, after_digest);
        size_t n = 0;
        while (n < WALK_BATCH && (rc = sqlite3_step(s)) == SQLITE_ROW) {
            struct man_row *row = &rows[n];
            memset(row, 0, sizeof *row);
            copy_col(s, 7, row->rec.repo, sizeof row->rec.repo);
            row->id = sqlite3_column_int64(s, 8);
            /* keyset from the raw column, even for a row we can't parse */
            copy_col(s, 0, after_digest, sizeof after_digest);
            memcpy(after_repo, row->rec.repo, sizeof after_repo);
            if (read_manifest(s, &row->rec) != DD_OK) {
                dd_manifest_rec_release(&row->rec);
                res = DD_ECORRUPT;
                break;
            }
            n++;
        }
        if (res == DD_OK && n < WALK_BATCH && rc != SQLITE_DONE) res = sqlerr(c, rc, NULL);
        done(s);
        size_t i = 0;
        for (; i < n && res == DD_OK; i++) {
            res = load_refs(c, rows[i].id, &blobs, &nb, &capb, &kids, &nk, &capk);
            if (res == DD_OK) {
                dd_manifest_refs_t refs = {blobs, nb, kids, nk};
                res = fn(&rows[i].rec, &refs, arg);
            }
            dd_manifest_rec_release(&rows[i].rec);
        }
        for (; i < n; i++) dd_manifest_rec_release(&rows[i].rec);
        if (res != DD_OK || n < WALK_BATCH) break;
    }
    free(rows);
    free(blobs);
    free(kids);
    return res;
}

struct link_row {
    char repo[DD_REPO_MAX];
    dd_digest_t d;
    uint64_t size;
};

static int sq_links_each(dd_meta_t *mm, int (*fn)(const char *repo, const dd_digest_t *d, uint64_t size, void *arg),
                         void *arg)
{
    conn_t *c;
    int rc = get_conn((sq_meta_t *)mm, &c, NULL);
    if (rc != DD_OK) return rc;
    struct link_row *rows = dd_malloc(WALK_BATCH * sizeof *rows);
    char after_repo[DD_REPO_MAX] = "", after_digest[DD_DIGEST_MAX] = "";
    int res = DD_OK;
    for (;;) {
        sqlite3_stmt *s = stmt(c, S_LINKS_ALL, NULL);
        if (!s) {
            res = DD_EIO;
            break;
        }
        bind_text(s, 1, after_repo);
        bind_text(s, 2, after_digest);
        size_t n = 0;
        while (n < WALK_BATCH && (rc = sqlite3_step(s)) == SQLITE_ROW) {
            struct link_row *row = &rows[n];
            copy_col(s, 0, row->repo, sizeof row->repo);
            copy_col(s, 1, after_digest, sizeof after_digest);
            memcpy(after_repo, row->repo, sizeof after_repo);
            if (dd_digest_parse(after_digest, &row->d, NULL) != DD_OK) {
                res = DD_ECORRUPT;
                break;
            }
            row->size = (uint64_t)sqlite3_column_int64(s, 2);
            n++;
        }
        if (res == DD_OK && n < WALK_BATCH && rc != SQLITE_DONE) res = sqlerr(c, rc, NULL);
        done(s);
        for (size_t i = 0; i < n && res == DD_OK; i++) res = fn(rows[i].repo, &rows[i].d, rows[i].size, arg);
        if (res != DD_OK || n < WALK_BATCH) break;
    }
    free(rows);
    return res;
}

const dd_meta_ops_t dd_meta_sqlite_ops = {
    .version = 3,
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .blob_link = sq_blob_link,
    .blob_linked = sq_blob_linked,
    .blob_unlink = sq_blob_unlink,
    .blob_refs = sq_blob_refs,
    .manifest_put = sq_manifest_put,
    .manifest_get = sq_manifest_get,
    .manifest_delete = sq_manifest_delete,
    .tag_delete = sq_tag_delete,
    .tags_list = sq_tags_list,
    .catalog = sq_catalog,
    .repo_exists = sq_repo_exists,
    .referrers = sq_referrers,
    .upload_put = sq_upload_put,
    .upload_get = sq_upload_get,
    .upload_delete = sq_upload_delete,
    .uploads_stale = sq_uploads_stale,
    .manifests_each = sq_manifests_each,
    .links_each = sq_links_each,
    /* version 2: users and tokens (auth.c) */
    .user_put = dd_sq_user_put,
    .user_get = dd_sq_user_get,
    .user_delete = dd_sq_user_delete,
    .users_each = dd_sq_users_each,
    .token_put = dd_sq_token_put,
    .token_revoke = dd_sq_token_revoke,
    .tokens_each = dd_sq_tokens_each,
    .auth_generation = dd_sq_auth_generation,
    /* version 3: the repositories holding a blob (mount without from) */
    .blob_repos = sq_blob_repos,
};

/* For the driver's other files (auth.c): the calling thread's connection. */
int dd_meta_sqlite_db(dd_meta_t *mm, sqlite3 **out, dd_err_t *e)
{
    conn_t *c;
    int rc = get_conn((sq_meta_t *)mm, &c, e);
    if (rc == DD_OK) *out = c->db;
    return rc;
}
