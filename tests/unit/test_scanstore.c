/* test_scanstore.c: unit tests of src/jobs/scanstore.c (the scan-result store). */
#include "dd/scanstore.h"
#include "test.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

static char dbpath[256];

static dd_scanstore_t *fresh(void)
{
    snprintf(dbpath, sizeof dbpath, "/tmp/dd-test-scanstore-%d.db", (int)getpid());
    unlink(dbpath);
    char p[300];
    snprintf(p, sizeof p, "%s-wal", dbpath); unlink(p);
    snprintf(p, sizeof p, "%s-shm", dbpath); unlink(p);
    dd_scanstore_t *s = NULL;
    dd_err_t e;
    CHECK_INT(dd_scanstore_open(dbpath, &s, &e), DD_OK);
    return s;
}

static const char *D1 = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
static const char *D2 = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

static int count_cb(const dd_image_rec_t *r, void *arg) { (void)r; (*(int *)arg)++; return 0; }

TEST(images_and_jobs)
{
    dd_scanstore_t *s = fresh();
    bool created = false;
    CHECK_INT(dd_scanstore_image_pushed(s, "team/app", D1, "application/vnd.oci.image.manifest.v1+json", "1.0", true,
                                        &created, NULL), DD_OK);
    CHECK(created);
    CHECK_INT(dd_scanstore_image_pushed(s, "other", D1, "x", NULL, true, &created, NULL), DD_OK);
    CHECK(!created); /* same digest: no rescan */
    int64_t pending = -1;
    CHECK_INT(dd_scanstore_jobs_pending(s, &pending, NULL), DD_OK);
    CHECK_INT(pending, 1);
    dd_job_t j;
    CHECK_INT(dd_scanstore_job_claim(s, &j, NULL), DD_OK);
    CHECK_STR(j.digest, D1);
    CHECK_INT(dd_scanstore_job_claim(s, &j, NULL), DD_ENOTFOUND);
    size_t n = 0;
    CHECK_INT(dd_scanstore_jobs_requeue(s, &n, NULL), DD_OK); /* restart */
    CHECK_INT(n, 1);
    CHECK_INT(dd_scanstore_job_claim(s, &j, NULL), DD_OK);
    CHECK_INT(j.attempts, 2);
    CHECK_INT(dd_scanstore_job_done(s, j.id, NULL), DD_OK);
    CHECK_INT(dd_scanstore_jobs_pending(s, &pending, NULL), DD_OK);
    CHECK_INT(pending, 0);

    dd_image_rec_t r;
    CHECK_INT(dd_scanstore_image_get(s, D1, &r, NULL), DD_OK);
    CHECK_INT(r.state, DD_SCAN_QUEUED);
    r.state = DD_SCAN_DONE;
    r.counts[4] = 3;
    snprintf(r.os, sizeof r.os, "Debian:12");
    CHECK_INT(dd_scanstore_image_update(s, &r, NULL), DD_OK);
    CHECK_INT(dd_scanstore_image_get(s, D1, &r, NULL), DD_OK);
    CHECK_INT(r.counts[4], 3);
    CHECK_STR(r.os, "Debian:12");
    int cnt = 0;
    dd_scanstore_images(s, "team/app", NULL, 0, count_cb, &cnt, NULL);
    CHECK_INT(cnt, 1);
    cnt = 0;
    dd_scanstore_images(s, "nope", NULL, 0, count_cb, &cnt, NULL);
    CHECK_INT(cnt, 0);
    /* unref from one repo keeps it; from the last removes it */
    CHECK_INT(dd_scanstore_image_unref(s, "other", D1, NULL), DD_OK);
    CHECK_INT(dd_scanstore_image_get(s, D1, &r, NULL), DD_OK);
    CHECK_INT(dd_scanstore_image_unref(s, "team/app", D1, NULL), DD_OK);
    CHECK_INT(dd_scanstore_image_get(s, D1, &r, NULL), DD_ENOTFOUND);
    dd_scanstore_close(s);
}

static int hist_cb(const dd_history_row_t *h, void *arg)
{
    dd_buf_t *b = arg;
    dd_buf_printf(b, "%s:%s:%s;", h->change, h->vuln_id, h->package);
    return 0;
}

static int find_cb(const dd_finding_row_t *r, void *arg)
{
    dd_buf_t *b = arg;
    dd_buf_printf(b, "%s/%s;", r->vuln_id, r->package);
    return 0;
}

TEST(findings_and_history)
{
    dd_scanstore_t *s = fresh();
    CHECK_INT(dd_scanstore_image_pushed(s, "r", D2, "m", "t", true, NULL, NULL), DD_OK);
    dd_finding_row_t a[] = {
        {"CVE-1", "openssl", "1.0", "1.1", "fixed", 4, 0, "{}"},
        {"CVE-2", "zlib", "1.2", "", "not-fixed", 2, 0, "{}"},
    };
    size_t nn = 9, nr = 9;
    CHECK_INT(dd_scanstore_findings_replace(s, D2, a, 2, "h1", 1, false, &nn, &nr, NULL), DD_OK);
    CHECK_INT(nn, 0);
    dd_finding_row_t b[] = {
        {"CVE-2", "zlib", "1.2", "", "not-fixed", 2, 0, "{}"},
        {"CVE-3", "curl", "7", "8", "fixed", 5, 1, "{}"},
        {"CVE-3", "curl", "7b", "8", "fixed", 5, 1, "{}"},
    };
    CHECK_INT(dd_scanstore_findings_replace(s, D2, b, 3, "h2", 2, true, &nn, &nr, NULL), DD_OK);
    CHECK_INT(nn, 1);
    CHECK_INT(nr, 1);
    dd_buf_t buf;
    dd_buf_init(&buf, 0);
    dd_scanstore_history(s, D2, 0, 0, hist_cb, &buf, NULL);
    CHECK(strstr(buf.ptr, "new:CVE-3:curl;") != NULL);
    CHECK(strstr(buf.ptr, "resolved:CVE-1:openssl;") != NULL);
    dd_buf_reset(&buf);
    dd_findings_filter_t f = {.min_severity = 4, .severity = -1, .limit = 1};
    size_t total = 0;
    dd_scanstore_findings(s, D2, &f, find_cb, &buf, &total, NULL);
    CHECK_INT(total, 2);
    CHECK_STR(buf.ptr, "CVE-3/curl;");
    dd_buf_release(&buf);
    dd_scanstore_close(s);
    unlink(dbpath);
}

TEST(layer_cache)
{
    dd_scanstore_t *s = fresh();
    dd_buf_t b;
    dd_buf_init(&b, 0);
    int test_status = -1;
    dd_err_t e;
    CHECK_INT(dd_scanstore_layer_get(s, D1, 1, &b, NULL, 0, &test_status, &e), DD_ENOTFOUND);
    CHECK(strstr(e.msg, D1) != NULL); /* the error says what was missing */
    CHECK_INT(dd_scanstore_layer_put(s, D1, 1, DD_OK, "abc", 3, NULL, NULL), DD_OK);
    CHECK_INT(dd_scanstore_layer_get(s, D1, 1, &b, NULL, 0, &test_status, NULL), DD_OK);
    CHECK_INT(test_status, DD_OK);
    CHECK_INT(b.len, 3);
    CHECK_INT(dd_scanstore_layer_get(s, D1, 2, &b, NULL, 0, &test_status, NULL), DD_ENOTFOUND);
    CHECK_INT(dd_scanstore_layer_put(s, D2, 1, DD_DECLINED, NULL, 0, "not a layer", NULL), DD_OK);
    char why[64];
    CHECK_INT(dd_scanstore_layer_get(s, D2, 1, &b, why, sizeof why, &test_status, NULL), DD_OK);
    CHECK_INT(test_status, DD_DECLINED);
    CHECK_STR(why, "not a layer");
    int64_t cached = -1;
    CHECK_INT(dd_scanstore_layer_count(s, &cached, NULL), DD_OK);
    CHECK_INT(cached, 1);
    dd_buf_release(&b);
    dd_scanstore_close(s);
    unlink(dbpath);
}

/* An index's children are rows: 100 come back whole and in order (the old
 * 2048-byte JSON field lost the list from 28 children on). */
TEST(index_children_as_rows)
{
    dd_scanstore_t *s = fresh();
    enum { N = 100 };
    char dig[N][DD_DIGEST_MAX];
    const char *kids[N];
    for (int i = 0; i < N; i++) {
        snprintf(dig[i], sizeof dig[i], "sha256:%064d", i + 7);
        kids[i] = dig[i];
    }
    CHECK_INT(dd_scanstore_image_pushed(s, "team/app", D1, "application/vnd.oci.image.index.v1+json", "1", true,
                                        NULL, NULL), DD_OK);
    dd_err_t e;
    CHECK_INT(dd_scanstore_children_set(s, D1, kids, N, &e), DD_OK);
    dd_image_child_t *ch;
    size_t n;
    CHECK_INT(dd_scanstore_children(s, D1, &ch, &n, &e), DD_OK);
    CHECK_INT(n, N);
    for (int i = 0; i < N && (size_t)i < n; i++) CHECK_STR(ch[i].digest, dig[i]);
    free(ch);
    /* replaced as a whole */
    CHECK_INT(dd_scanstore_children_set(s, D1, kids + 98, 2, &e), DD_OK);
    CHECK_INT(dd_scanstore_children(s, D1, &ch, &n, &e), DD_OK);
    CHECK_INT(n, 2);
    if (n == 2) CHECK_STR(ch[0].digest, dig[98]);
    free(ch);
    /* the index's last reference goes: so do its children */
    CHECK_INT(dd_scanstore_image_unref(s, "team/app", D1, NULL), DD_OK);
    CHECK_INT(dd_scanstore_children(s, D1, &ch, &n, &e), DD_OK);
    CHECK_INT(n, 0);
    CHECK(ch == NULL);
    dd_scanstore_close(s);
    unlink(dbpath);
}

/* A store written before migration 3 (children in a JSON column) keeps its
 * index's children as rows after the upgrade. */
TEST(children_migrate_from_json)
{
    dd_scanstore_t *s = fresh();
    CHECK_INT(dd_scanstore_image_pushed(s, "r", D1, "x", NULL, true, NULL, NULL), DD_OK);
    dd_scanstore_close(s);
    sqlite3 *db;
    CHECK_INT(sqlite3_open(dbpath, &db), SQLITE_OK);
    char *err = NULL;
    CHECK_INT(sqlite3_exec(db,
                           "BEGIN; DROP TABLE image_children; ALTER TABLE images ADD COLUMN children TEXT NOT NULL"
                           " DEFAULT ''; UPDATE images SET children='[\"sha256:aa\",\"sha256:bb\"]';"
                           " PRAGMA user_version=2; COMMIT;",
                           NULL, NULL, &err),
              SQLITE_OK);
    sqlite3_free(err);
    sqlite3_close(db);
    dd_err_t e;
    CHECK_INT(dd_scanstore_open(dbpath, &s, &e), DD_OK);
    dd_image_child_t *ch;
    size_t n;
    CHECK_INT(dd_scanstore_children(s, D1, &ch, &n, &e), DD_OK);
    CHECK_INT(n, 2);
    if (n == 2) {
        CHECK_STR(ch[0].digest, "sha256:aa");
        CHECK_STR(ch[1].digest, "sha256:bb");
    }
    free(ch);
    dd_scanstore_close(s);
    unlink(dbpath);
}

/* Errors come back to the caller, filled where they happened (issue 12):
 * what is missing for DD_ENOTFOUND, SQLite's message for a store failure
 * (here a table dropped behind the store's back). */
TEST(errors_reported_to_the_caller)
{
    dd_scanstore_t *s = fresh();
    dd_err_t e;
    dd_image_rec_t r;
    CHECK_INT(dd_scanstore_image_get(s, D1, &r, &e), DD_ENOTFOUND);
    CHECK(strstr(e.msg, D1) != NULL);
    memset(&r, 0, sizeof r);
    snprintf(r.digest, sizeof r.digest, "%s", D2);
    CHECK_INT(dd_scanstore_image_update(s, &r, &e), DD_ENOTFOUND);
    CHECK(strstr(e.msg, D2) != NULL);
    int64_t v = 0;
    CHECK_INT(dd_scanstore_kv_get(s, "nothing", &v, &e), DD_ENOTFOUND);
    CHECK(strstr(e.msg, "'nothing'") != NULL);
    dd_job_t j;
    CHECK_INT(dd_scanstore_job_claim(s, &j, &e), DD_ENOTFOUND);
    sqlite3 *db;
    CHECK_INT(sqlite3_open(dbpath, &db), SQLITE_OK);
    CHECK_INT(sqlite3_exec(db, "DROP TABLE kv; DROP TABLE history", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    dd_err_clear(&e);
    CHECK_INT(dd_scanstore_kv_set(s, "k", 1, &e), DD_EIO);
    CHECK(strstr(e.msg, "scan store") != NULL && strstr(e.msg, "kv") != NULL);
    dd_err_clear(&e);
    CHECK(dd_scanstore_history(s, NULL, 0, 0, NULL, NULL, &e) != DD_OK);
    CHECK(strstr(e.msg, "history") != NULL);
    dd_scanstore_close(s);
    unlink(dbpath);
}

/* (repo, digest, tag) references as "repo digest tag;" ("-" for no tag) */
static int ref_cb(const char *repo, const char *digest, const char *tag, void *arg)
{
    dd_buf_printf(arg, "%s %c %s;", repo, digest[7], tag ? tag : "-");
    return 0;
}

static const char *refs(dd_scanstore_t *s, dd_buf_t *b)
{
    dd_buf_reset(b);
    CHECK_INT(dd_scanstore_refs(s, NULL, ref_cb, b, NULL), DD_OK);
    dd_buf_putc(b, 0);
    return b->ptr;
}

/* issue 15: a deleted or moved tag leaves the image untagged, not listed
 * under the tag; a digest delete removes the repository's references */
TEST(tags_removed_and_moved)
{
    dd_scanstore_t *s = fresh();
    dd_buf_t b;
    dd_buf_init(&b, 0);
    CHECK_INT(dd_scanstore_image_pushed(s, "r", D1, "m", "a", false, NULL, NULL), DD_OK);
    CHECK_INT(dd_scanstore_image_pushed(s, "r", D1, "m", "b", false, NULL, NULL), DD_OK);
    CHECK_INT(dd_scanstore_image_pushed(s, "q", D1, "m", "a", false, NULL, NULL), DD_OK);
    CHECK_STR(refs(s, &b), "q 1 a;r 1 a;r 1 b;");
    CHECK_INT(dd_scanstore_tag_removed(s, "r", "a", NULL), DD_OK);
    CHECK_STR(refs(s, &b), "q 1 a;r 1 -;r 1 b;");
    CHECK_INT(dd_scanstore_tag_removed(s, "r", "nope", NULL), DD_OK);
    CHECK_INT(dd_scanstore_tag_removed(s, "r", "", NULL), DD_EINVAL);
    /* b moves to D2: D1 keeps its untagged reference */
    CHECK_INT(dd_scanstore_image_pushed(s, "r", D2, "m", "b", false, NULL, NULL), DD_OK);
    CHECK_STR(refs(s, &b), "q 1 a;r 1 -;r 2 b;");
    /* the digest delete in r: q's reference and the image stay */
    CHECK_INT(dd_scanstore_image_unref(s, "r", D1, NULL), DD_OK);
    CHECK_STR(refs(s, &b), "q 1 a;r 2 b;");
    dd_image_rec_t rec;
    CHECK_INT(dd_scanstore_image_get(s, D1, &rec, NULL), DD_OK);
    dd_buf_release(&b);
    dd_scanstore_close(s);
    unlink(dbpath);
}

TEST_MAIN(RUN(images_and_jobs); RUN(findings_and_history); RUN(layer_cache); RUN(index_children_as_rows);
          RUN(children_migrate_from_json); RUN(errors_reported_to_the_caller); RUN(tags_removed_and_moved))
