/*
 * test_meta.c: the "sqlite" metadata driver through the dd_meta_* wrappers:
 * every operation, pagination edge cases of tags list and catalog,
 * referrers with the artifactType filter, delete cascades, 16 threads
 * pushing the same tag, persistence across reopen, and stale uploads.
 */
#include <ftw.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dd/meta.h"
#include "test.h"

static char dir[256];
static char dbpath[300];

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
    (void)sb, (void)flag, (void)f;
    return remove(p);
}

static dd_meta_t *fresh(void)
{
    if (dir[0]) nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    snprintf(dir, sizeof dir, "/tmp/dd-test-meta-XXXXXX");
    if (!mkdtemp(dir)) abort();
    snprintf(dbpath, sizeof dbpath, "%s/meta.db", dir);
    dd_meta_t *m = NULL;
    dd_err_t e;
    if (dd_meta_open("sqlite", dbpath, &m, &e) != DD_OK) {
        fprintf(stderr, "open: %s\n", e.msg);
        abort();
    }
    return m;
}

static dd_meta_t *reopen(dd_meta_t *m)
{
    dd_meta_close(m);
    dd_meta_t *n = NULL;
    if (dd_meta_open("sqlite", dbpath, &n, NULL) != DD_OK) abort();
    return n;
}

static dd_digest_t dg(const char *s)
{
    dd_digest_t d;
    dd_digest_buf(DD_DIGEST_SHA256, s, strlen(s), &d);
    return d;
}

static dd_manifest_rec_t rec(const char *repo, const char *content)
{
    dd_manifest_rec_t r;
    memset(&r, 0, sizeof r);
    snprintf(r.repo, sizeof r.repo, "%s", repo);
    r.digest = dg(content);
    snprintf(r.media_type, sizeof r.media_type, "application/vnd.oci.image.manifest.v1+json");
    r.size = strlen(content);
    return r;
}

/* collects names into a comma-separated string */
struct names {
    char s[4096];
    int n;
    int stop_after;
};

static int names_cb(const char *name, void *arg)
{
    struct names *a = arg;
    if (a->n) strncat(a->s, ",", sizeof a->s - strlen(a->s) - 1);
    strncat(a->s, name, sizeof a->s - strlen(a->s) - 1);
    a->n++;
    return a->stop_after && a->n >= a->stop_after;
}

static const char *tags(dd_meta_t *m, const char *repo, const char *last, size_t n, int *rc)
{
    static struct names a;
    memset(&a, 0, sizeof a);
    *rc = dd_meta_tags_list(m, repo, last, n, names_cb, &a);
    return a.s;
}

static const char *catalog(dd_meta_t *m, const char *last, size_t n)
{
    static struct names a;
    memset(&a, 0, sizeof a);
    if (dd_meta_catalog(m, last, n, names_cb, &a) != DD_OK) return "ERR";
    return a.s;
}

TEST(open_bad)
{
    dd_meta_t *m = NULL;
    CHECK_INT(dd_meta_open("nope", "/tmp/x.db", &m, NULL), DD_EUNSUPPORTED);
    CHECK_INT(dd_meta_open("sqlite", "/nonexistent-dir/x/y.db", &m, NULL), DD_EIO);
    CHECK(m == NULL);
}

TEST(blob_links)
{
    dd_meta_t *m = fresh();
    dd_digest_t a = dg("a"), b = dg("b");
    uint64_t size = 0, cnt = 9;
    dd_err_t e;
    CHECK_INT(dd_meta_repo_exists(m, "lib/x"), DD_ENOTFOUND);
    CHECK_INT(dd_meta_blob_linked(m, "lib/x", &a, &size), DD_ENOTFOUND);
    CHECK_INT(dd_meta_blob_refs(m, &a, &cnt), DD_OK);
    CHECK_INT(cnt, 0);
    CHECK_INT(dd_meta_blob_link(m, "lib/x", &a, 123, &e), DD_OK);
    CHECK_INT(dd_meta_blob_link(m, "lib/x", &a, 123, &e), DD_OK); /* idempotent */
    CHECK_INT(dd_meta_blob_link(m, "lib/y", &a, 123, &e), DD_OK);
    CHECK_INT(dd_meta_repo_exists(m, "lib/x"), DD_OK);
    CHECK_INT(dd_meta_blob_linked(m, "lib/x", &a, &size), DD_OK);
    CHECK_INT(size, 123);
    CHECK_INT(dd_meta_blob_linked(m, "lib/x", &b, &size), DD_ENOTFOUND);
    CHECK_INT(dd_meta_blob_linked(m, "lib/z", &a, &size), DD_ENOTFOUND);
    CHECK_INT(dd_meta_blob_refs(m, &a, &cnt), DD_OK);
    CHECK_INT(cnt, 2);
    CHECK_INT(dd_meta_blob_unlink(m, "lib/x", &a, &e), DD_OK);
    CHECK_INT(dd_meta_blob_unlink(m, "lib/x", &a, &e), DD_ENOTFOUND);
    CHECK_INT(dd_meta_blob_linked(m, "lib/x", &a, &size), DD_ENOTFOUND);
    CHECK_INT(dd_meta_blob_refs(m, &a, &cnt), DD_OK);
    CHECK_INT(cnt, 1);
    /* the repository stays after its content is gone */
    CHECK_INT(dd_meta_repo_exists(m, "lib/x"), DD_OK);
    CHECK_INT(dd_meta_blob_link(m, "", &a, 1, &e), DD_EINVAL);
    dd_meta_close(m);
}

static int collect_repo(const char *repo, void *arg)
{
    dd_buf_t *b = arg;
    dd_buf_printf(b, "%s;", repo);
    return 0;
}

/* issue 15: the repositories holding a blob, for a mount without `from` */
TEST(blob_repos)
{
    dd_meta_t *m = fresh();
    dd_digest_t a = dg("a"), b = dg("b");
    dd_err_t e;
    dd_buf_t got;
    dd_buf_init(&got, 0);
    CHECK_INT(dd_meta_blob_repos(m, &a, collect_repo, &got), DD_OK);
    CHECK_INT(got.len, 0);
    CHECK_INT(dd_meta_blob_link(m, "lib/y", &a, 1, &e), DD_OK);
    CHECK_INT(dd_meta_blob_link(m, "lib/x", &a, 1, &e), DD_OK);
    CHECK_INT(dd_meta_blob_link(m, "lib/z", &b, 1, &e), DD_OK);
    CHECK_INT(dd_meta_blob_repos(m, &a, collect_repo, &got), DD_OK);
    CHECK_STR(got.ptr, "lib/x;lib/y;");
    CHECK_INT(dd_meta_blob_unlink(m, "lib/x", &a, &e), DD_OK);
    dd_buf_reset(&got);
    CHECK_INT(dd_meta_blob_repos(m, &a, collect_repo, &got), DD_OK);
    CHECK_STR(got.ptr, "lib/y;");
    dd_buf_release(&got);
    dd_meta_close(m);
}

TEST(manifests_and_tags)
{
    dd_meta_t *m = fresh();
    dd_err_t e;
    dd_manifest_rec_t r = rec("app", "manifest-1");
    r.annotations_json = "{\"k\":\"v\"}";
    r.pushed_ms = 1700000000000;
    dd_digest_t blobs[2] = {dg("cfg"), dg("layer")};
    dd_manifest_refs_t refs = {blobs, 2, NULL, 0};
    CHECK_INT(dd_meta_manifest_put(m, &r, &refs, "latest", &e), DD_OK);
    CHECK_INT(dd_meta_repo_exists(m, "app"), DD_OK);

    dd_manifest_rec_t got;
    CHECK_INT(dd_meta_manifest_get(m, "app", "latest", &got), DD_OK);
    CHECK_STR(got.repo, "app");
    CHECK_STR(got.digest.str, r.digest.str);
    CHECK_INT(got.digest.alg, DD_DIGEST_SHA256);
    CHECK_STR(got.media_type, r.media_type);
    CHECK_STR(got.artifact_type, "");
    CHECK_STR(got.subject, "");
    CHECK_INT(got.size, r.size);
    CHECK_STR(got.annotations_json, "{\"k\":\"v\"}");
    CHECK_INT(got.pushed_ms, 1700000000000);
    dd_manifest_rec_release(&got);
    CHECK_INT(dd_meta_manifest_get(m, "app", r.digest.str, &got), DD_OK);
    CHECK_STR(got.digest.str, r.digest.str);
    dd_manifest_rec_release(&got);
    CHECK_INT(dd_meta_manifest_get(m, "app", "nope", &got), DD_ENOTFOUND);
    CHECK_INT(dd_meta_manifest_get(m, "other", "latest", &got), DD_ENOTFOUND);
    CHECK_INT(dd_meta_manifest_get(m, "app", dg("x").str, &got), DD_ENOTFOUND);

    uint64_t cnt;
    CHECK_INT(dd_meta_blob_refs(m, &blobs[1], &cnt), DD_OK);
    CHECK_INT(cnt, 1);
    CHECK_INT(dd_meta_blob_refs(m, &r.digest, &cnt), DD_OK); /* the manifest's own bytes */
    CHECK_INT(cnt, 1);

    /* the same digest again, without tag, new refs: replaced, tag kept */
    r.annotations_json = NULL;
    dd_manifest_refs_t refs2 = {blobs, 1, NULL, 0};
    CHECK_INT(dd_meta_manifest_put(m, &r, &refs2, NULL, &e), DD_OK);
    CHECK_INT(dd_meta_manifest_get(m, "app", "latest", &got), DD_OK);
    CHECK(got.annotations_json == NULL);
    dd_manifest_rec_release(&got);
    CHECK_INT(dd_meta_blob_refs(m, &blobs[1], &cnt), DD_OK);
    CHECK_INT(cnt, 0);

    /* moving the tag */
    dd_manifest_rec_t r2 = rec("app", "manifest-2");
    CHECK_INT(dd_meta_manifest_put(m, &r2, NULL, "latest", &e), DD_OK);
    CHECK_INT(dd_meta_manifest_put(m, &r2, NULL, "v2", &e), DD_OK);
    CHECK_INT(dd_meta_manifest_get(m, "app", "latest", &got), DD_OK);
    CHECK_STR(got.digest.str, r2.digest.str);
    dd_manifest_rec_release(&got);
    /* the old one is still there by digest */
    CHECK_INT(dd_meta_manifest_get(m, "app", r.digest.str, &got), DD_OK);
    dd_manifest_rec_release(&got);

    CHECK_INT(dd_meta_tag_delete(m, "app", "v2", &e), DD_OK);
    CHECK_INT(dd_meta_tag_delete(m, "app", "v2", &e), DD_ENOTFOUND);
    CHECK_INT(dd_meta_tag_delete(m, "nope", "v2", &e), DD_ENOTFOUND);
    CHECK_INT(dd_meta_manifest_get(m, "app", "v2", &got), DD_ENOTFOUND);
    CHECK_INT(dd_meta_manifest_get(m, "app", r2.digest.str, &got), DD_OK); /* manifest stays */
    dd_manifest_rec_release(&got);

    CHECK_INT(dd_meta_manifest_put(m, &r2, NULL, "", &e), DD_EINVAL);
    dd_meta_close(m);
}

TEST(manifest_delete_cascades)
{
    dd_meta_t *m = fresh();
    dd_err_t e;
    dd_digest_t blobs[1] = {dg("layer")};
    dd_digest_t kids[1] = {dg("child")};
    dd_manifest_rec_t r = rec("app", "index");
    r.subject[0] = '\0';
    dd_manifest_refs_t refs = {blobs, 1, kids, 1};
    CHECK_INT(dd_meta_manifest_put(m, &r, &refs, "a", &e), DD_OK);
    CHECK_INT(dd_meta_manifest_put(m, &r, &refs, "b", &e), DD_OK);
    dd_manifest_rec_t ref = rec("app", "sig");
    snprintf(ref.subject, sizeof ref.subject, "%s", r.digest.str);
    snprintf(ref.artifact_type, sizeof ref.artifact_type, "application/vnd.example.sig");
    CHECK_INT(dd_meta_manifest_put(m, &ref, NULL, NULL, &e), DD_OK);
    uint64_t cnt;
    CHECK_INT(dd_meta_blob_refs(m, &kids[0], &cnt), DD_OK);
    CHECK_INT(cnt, 1);

    /* delete the referrer: its referrer entry goes */
    CHECK_INT(dd_meta_manifest_delete(m, "app", &ref.digest, &e), DD_OK);
    CHECK_INT(dd_meta_manifest_delete(m, "app", &ref.digest, &e), DD_ENOTFOUND);
    int rc;
    CHECK_STR(tags(m, "app", NULL, 0, &rc), "a,b");
    CHECK_INT(dd_meta_manifest_delete(m, "app", &r.digest, &e), DD_OK);
    CHECK_STR(tags(m, "app", NULL, 0, &rc), "");
    CHECK_INT(rc, DD_OK);
    dd_manifest_rec_t got;
    CHECK_INT(dd_meta_manifest_get(m, "app", "a", &got), DD_ENOTFOUND);
    CHECK_INT(dd_meta_manifest_get(m, "app", r.digest.str, &got), DD_ENOTFOUND);
    CHECK_INT(dd_meta_blob_refs(m, &kids[0], &cnt), DD_OK);
    CHECK_INT(cnt, 0);
    CHECK_INT(dd_meta_blob_refs(m, &blobs[0], &cnt), DD_OK);
    CHECK_INT(cnt, 0);
    CHECK_INT(dd_meta_manifest_delete(m, "nope", &r.digest, &e), DD_ENOTFOUND);
    dd_meta_close(m);
}

TEST(tags_list_pagination)
{
    dd_meta_t *m = fresh();
    dd_manifest_rec_t r = rec("p/q", "m");
    const char *t[] = {"v1", "latest", "V2", "a", "v10", "_x"};
    for (int i = 0; i < 6; i++) CHECK_INT(dd_meta_manifest_put(m, &r, NULL, t[i], NULL), DD_OK);
    int rc;
    /* byte order: upper case and '_' sort before lower case */
    CHECK_STR(tags(m, "p/q", NULL, 0, &rc), "V2,_x,a,latest,v1,v10");
    CHECK_INT(rc, DD_OK);
    CHECK_STR(tags(m, "p/q", NULL, 2, &rc), "V2,_x");
    CHECK_STR(tags(m, "p/q", "_x", 2, &rc), "a,latest");
    CHECK_STR(tags(m, "p/q", "latest", 100, &rc), "v1,v10");
    CHECK_STR(tags(m, "p/q", "v10", 2, &rc), "");
    CHECK_INT(rc, DD_OK);
    CHECK_STR(tags(m, "p/q", "zzz", 0, &rc), "");
    CHECK_STR(tags(m, "p/q", "b", 1, &rc), "latest"); /* last need not be a tag */
    CHECK_STR(tags(m, "p/q", "", 1, &rc), "V2");
    tags(m, "p/nope", NULL, 0, &rc);
    CHECK_INT(rc, DD_ENOTFOUND);
    /* the callback stops early */
    struct names a;
    memset(&a, 0, sizeof a);
    a.stop_after = 3;
    CHECK_INT(dd_meta_tags_list(m, "p/q", NULL, 0, names_cb, &a), DD_OK);
    CHECK_STR(a.s, "V2,_x,a");
    /* a repository with only a blob: exists, no tags */
    dd_digest_t b = dg("b");
    CHECK_INT(dd_meta_blob_link(m, "onlyblob", &b, 1, NULL), DD_OK);
    CHECK_STR(tags(m, "onlyblob", NULL, 0, &rc), "");
    CHECK_INT(rc, DD_OK);
    dd_meta_close(m);
}

TEST(catalog_pagination)
{
    dd_meta_t *m = fresh();
    CHECK_STR(catalog(m, NULL, 0), "");
    const char *repos[] = {"b", "a/c", "a", "a/b", "z-z", "a.b"};
    dd_digest_t d = dg("x");
    for (int i = 0; i < 6; i++) CHECK_INT(dd_meta_blob_link(m, repos[i], &d, 1, NULL), DD_OK);
    CHECK_STR(catalog(m, NULL, 0), "a,a.b,a/b,a/c,b,z-z");
    CHECK_STR(catalog(m, NULL, 1), "a");
    CHECK_STR(catalog(m, "a", 2), "a.b,a/b");
    CHECK_STR(catalog(m, "a/b", 0), "a/c,b,z-z");
    CHECK_STR(catalog(m, "z-z", 5), "");
    CHECK_STR(catalog(m, "c", 5), "z-z");
    dd_meta_close(m);
}

struct refs_seen {
    char s[2048];
    int n;
};

static int ref_cb(const dd_referrer_t *r, void *arg)
{
    struct refs_seen *a = arg;
    char line[600];
    snprintf(line, sizeof line, "%s|%s|%llu|%s;", r->artifact_type, r->media_type, (unsigned long long)r->size,
             r->annotations_json ? r->annotations_json : "-");
    strncat(a->s, line, sizeof a->s - strlen(a->s) - 1);
    a->n++;
    return 0;
}

TEST(referrers)
{
    dd_meta_t *m = fresh();
    dd_manifest_rec_t subj = rec("app", "subject");
    CHECK_INT(dd_meta_manifest_put(m, &subj, NULL, "v1", NULL), DD_OK);
    const char *types[] = {"application/sig", "application/sbom", "application/sig", ""};
    for (int i = 0; i < 4; i++) {
        char content[32];
        snprintf(content, sizeof content, "ref-%d", i);
        dd_manifest_rec_t r = rec("app", content);
        snprintf(r.subject, sizeof r.subject, "%s", subj.digest.str);
        snprintf(r.artifact_type, sizeof r.artifact_type, "%s", types[i]);
        r.annotations_json = i == 1 ? "{\"a\":\"1\"}" : NULL;
        CHECK_INT(dd_meta_manifest_put(m, &r, NULL, NULL, NULL), DD_OK);
    }
    /* same subject in another repo: not listed */
    dd_manifest_rec_t other = rec("other", "ref-x");
    snprintf(other.subject, sizeof other.subject, "%s", subj.digest.str);
    CHECK_INT(dd_meta_manifest_put(m, &other, NULL, NULL, NULL), DD_OK);

    struct refs_seen a;
    memset(&a, 0, sizeof a);
    CHECK_INT(dd_meta_referrers(m, "app", &subj.digest, NULL, ref_cb, &a), DD_OK);
    CHECK_INT(a.n, 4);
    CHECK(strstr(a.s, "application/sbom|application/vnd.oci.image.manifest.v1+json|5|{\"a\":\"1\"};") != NULL);
    memset(&a, 0, sizeof a);
    CHECK_INT(dd_meta_referrers(m, "app", &subj.digest, "application/sig", ref_cb, &a), DD_OK);
    CHECK_INT(a.n, 2);
    memset(&a, 0, sizeof a);
    CHECK_INT(dd_meta_referrers(m, "app", &subj.digest, "application/none", ref_cb, &a), DD_OK);
    CHECK_INT(a.n, 0);
    /* a subject that does not exist (yet): empty list, not an error */
    dd_digest_t none = dg("none");
    memset(&a, 0, sizeof a);
    CHECK_INT(dd_meta_referrers(m, "app", &none, NULL, ref_cb, &a), DD_OK);
    CHECK_INT(a.n, 0);
    memset(&a, 0, sizeof a);
    CHECK_INT(dd_meta_referrers(m, "nope", &subj.digest, NULL, ref_cb, &a), DD_OK);
    CHECK_INT(a.n, 0);
    /* manifests without subject never show up as referrers of "" */
    dd_meta_close(m);
}

struct tag_arg {
    dd_meta_t *m;
    int idx;
    int rc;
};

static void *tag_thread(void *p)
{
    struct tag_arg *a = p;
    char content[32];
    snprintf(content, sizeof content, "m-%d", a->idx);
    dd_manifest_rec_t r = rec("race", content);
    dd_digest_t blobs[3] = {dg("shared-layer"), dg(content), dg("cfg")};
    dd_manifest_refs_t refs = {blobs, 3, NULL, 0};
    a->rc = DD_OK;
    for (int i = 0; i < 20 && a->rc == DD_OK; i++) {
        dd_err_t e;
        a->rc = dd_meta_blob_link(a->m, "race", &blobs[0], 10, &e);
        if (a->rc == DD_OK) a->rc = dd_meta_manifest_put(a->m, &r, &refs, "latest", &e);
        if (a->rc != DD_OK) fprintf(stderr, "thread %d: %s\n", a->idx, e.msg);
        dd_manifest_rec_t got;
        if (a->rc == DD_OK) {
            a->rc = dd_meta_manifest_get(a->m, "race", "latest", &got);
            dd_manifest_rec_release(&got);
        }
    }
    return NULL;
}

TEST(concurrent_same_tag)
{
    dd_meta_t *m = fresh();
    pthread_t th[16];
    struct tag_arg args[16];
    for (int i = 0; i < 16; i++) {
        args[i] = (struct tag_arg){m, i, -100};
        pthread_create(&th[i], NULL, tag_thread, &args[i]);
    }
    for (int i = 0; i < 16; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < 16; i++) CHECK_INT(args[i].rc, DD_OK);
    int rc;
    CHECK_STR(tags(m, "race", NULL, 0, &rc), "latest");
    dd_manifest_rec_t got;
    CHECK_INT(dd_meta_manifest_get(m, "race", "latest", &got), DD_OK);
    /* the tag points at one of the 16 manifests, all of which exist */
    int found = 0;
    for (int i = 0; i < 16; i++) {
        char content[32];
        snprintf(content, sizeof content, "m-%d", i);
        dd_manifest_rec_t x;
        CHECK_INT(dd_meta_manifest_get(m, "race", dg(content).str, &x), DD_OK);
        dd_manifest_rec_release(&x);
        if (strcmp(dg(content).str, got.digest.str) == 0) found++;
    }
    CHECK_INT(found, 1);
    dd_manifest_rec_release(&got);
    uint64_t cnt;
    dd_digest_t shared = dg("shared-layer");
    CHECK_INT(dd_meta_blob_refs(m, &shared, &cnt), DD_OK);
    CHECK_INT(cnt, 17); /* one link + 16 manifests */
    /* the threads are gone: their connections are reused, not leaked */
    CHECK_INT(dd_meta_repo_exists(m, "race"), DD_OK);
    for (int i = 0; i < 4; i++) {
        args[i] = (struct tag_arg){m, i, -100};
        pthread_create(&th[i], NULL, tag_thread, &args[i]);
    }
    for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < 4; i++) CHECK_INT(args[i].rc, DD_OK);
    dd_meta_close(m);
}

TEST(reopen_persists)
{
    dd_meta_t *m = fresh();
    dd_manifest_rec_t r = rec("keep", "persist");
    CHECK_INT(dd_meta_manifest_put(m, &r, NULL, "t", NULL), DD_OK);
    dd_digest_t b = dg("blob");
    CHECK_INT(dd_meta_blob_link(m, "keep", &b, 42, NULL), DD_OK);
    dd_upload_rec_t u = {.uuid = "u-1", .repo = "keep", .offset = 10, .created_ms = 5, .updated_ms = 6};
    CHECK_INT(dd_meta_upload_put(m, &u, NULL), DD_OK);
    m = reopen(m);
    m = reopen(m); /* migrations are not re-run */
    dd_manifest_rec_t got;
    CHECK_INT(dd_meta_manifest_get(m, "keep", "t", &got), DD_OK);
    CHECK_STR(got.digest.str, r.digest.str);
    dd_manifest_rec_release(&got);
    uint64_t size;
    CHECK_INT(dd_meta_blob_linked(m, "keep", &b, &size), DD_OK);
    CHECK_INT(size, 42);
    dd_upload_rec_t g;
    CHECK_INT(dd_meta_upload_get(m, "u-1", &g), DD_OK);
    CHECK_INT(g.offset, 10);
    dd_meta_close(m);
}

TEST(newer_schema_refused)
{
    dd_meta_t *m = fresh();
    dd_meta_close(m);
    sqlite3 *db;
    CHECK_INT(sqlite3_open(dbpath, &db), SQLITE_OK);
    CHECK_INT(sqlite3_exec(db, "PRAGMA user_version = 999", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    dd_err_t e = {0};
    m = NULL;
    CHECK_INT(dd_meta_open("sqlite", dbpath, &m, &e), DD_EUNSUPPORTED);
    CHECK(strstr(e.msg, "newer") != NULL);
    CHECK(m == NULL);
}

static int stale_cb(const dd_upload_rec_t *u, void *arg)
{
    return names_cb(u->uuid, arg);
}

TEST(uploads)
{
    dd_meta_t *m = fresh();
    dd_upload_rec_t u = {.uuid = "s1", .repo = "r", .offset = 0, .created_ms = 1000, .updated_ms = 1000};
    dd_err_t e;
    CHECK_INT(dd_meta_upload_put(m, &u, &e), DD_OK);
    u.offset = 500;
    u.updated_ms = 3000;
    CHECK_INT(dd_meta_upload_put(m, &u, &e), DD_OK); /* update */
    dd_upload_rec_t u2 = {.uuid = "s2", .repo = "r2", .offset = 7, .created_ms = 1500, .updated_ms = 2000};
    CHECK_INT(dd_meta_upload_put(m, &u2, &e), DD_OK);
    dd_upload_rec_t g;
    CHECK_INT(dd_meta_upload_get(m, "s1", &g), DD_OK);
    CHECK_STR(g.uuid, "s1");
    CHECK_STR(g.repo, "r");
    CHECK_INT(g.offset, 500);
    CHECK_INT(g.created_ms, 1000);
    CHECK_INT(g.updated_ms, 3000);
    CHECK_INT(dd_meta_upload_get(m, "nope", &g), DD_ENOTFOUND);

    struct names a;
    memset(&a, 0, sizeof a);
    CHECK_INT(dd_meta_uploads_stale(m, 2500, stale_cb, &a), DD_OK);
    CHECK_STR(a.s, "s2");
    memset(&a, 0, sizeof a);
    CHECK_INT(dd_meta_uploads_stale(m, 5000, stale_cb, &a), DD_OK);
    CHECK_STR(a.s, "s2,s1");
    memset(&a, 0, sizeof a);
    CHECK_INT(dd_meta_uploads_stale(m, 1000, stale_cb, &a), DD_OK);
    CHECK_STR(a.s, "");

    CHECK_INT(dd_meta_upload_delete(m, "s2"), DD_OK);
    CHECK_INT(dd_meta_upload_delete(m, "s2"), DD_ENOTFOUND);
    CHECK_INT(dd_meta_upload_get(m, "s2", &g), DD_ENOTFOUND);
    /* an upload session alone does not make a repository */
    CHECK_INT(dd_meta_repo_exists(m, "r"), DD_ENOTFOUND);
    dd_meta_close(m);
}

struct del_ctx {
    dd_meta_t *m;
    int n, failed;
};

static int stale_delete_cb(const dd_upload_rec_t *u, void *arg)
{
    struct del_ctx *c = arg;
    c->n++;
    if (dd_meta_upload_delete(c->m, u->uuid) != DD_OK) c->failed++;
    return 0;
}

static int each_put_cb(const dd_manifest_rec_t *rec, const dd_manifest_refs_t *refs, void *arg)
{
    struct del_ctx *c = arg;
    (void)refs;
    c->n++;
    if (dd_meta_manifest_put(c->m, rec, NULL, "seen", NULL) != DD_OK) c->failed++;
    return 0;
}

/* The registry's janitor deletes sessions from inside uploads_stale: a write
 * while the listing statement is active on the same connection. */
TEST(write_inside_callbacks)
{
    dd_meta_t *m = fresh();
    for (int i = 0; i < 5; i++) {
        dd_upload_rec_t u = {.offset = 0, .created_ms = 10, .updated_ms = 10 + i};
        snprintf(u.uuid, sizeof u.uuid, "u%d", i);
        snprintf(u.repo, sizeof u.repo, "r");
        CHECK_INT(dd_meta_upload_put(m, &u, NULL), DD_OK);
    }
    struct del_ctx c = {m, 0, 0};
    CHECK_INT(dd_meta_uploads_stale(m, 100, stale_delete_cb, &c), DD_OK);
    CHECK_INT(c.n, 5);
    CHECK_INT(c.failed, 0);
    dd_upload_rec_t g;
    for (int i = 0; i < 5; i++) {
        char id[16];
        snprintf(id, sizeof id, "u%d", i);
        CHECK_INT(dd_meta_upload_get(m, id, &g), DD_ENOTFOUND);
    }
    dd_manifest_rec_t r = rec("w", "one");
    CHECK_INT(dd_meta_manifest_put(m, &r, NULL, NULL, NULL), DD_OK);
    r = rec("w", "two");
    CHECK_INT(dd_meta_manifest_put(m, &r, NULL, NULL, NULL), DD_OK);
    c = (struct del_ctx){m, 0, 0};
    CHECK_INT(dd_meta_manifests_each(m, each_put_cb, &c), DD_OK);
    CHECK_INT(c.n, 2);
    CHECK_INT(c.failed, 0);
    int rc;
    CHECK_STR(tags(m, "w", NULL, 0, &rc), "seen");
    dd_meta_close(m);
}

static int link_names_cb(const char *repo, const dd_digest_t *d, uint64_t size, void *arg)
{
    (void)d;
    char s[300];
    snprintf(s, sizeof s, "%s:%llu", repo, (unsigned long long)size);
    return names_cb(s, arg);
}

struct writer_arg {
    dd_meta_t *m;
    atomic_int stop;
    int rc;
};

static void *writer_thread(void *p)
{
    struct writer_arg *a = p;
    for (int i = 0; !atomic_load(&a->stop) && a->rc == DD_OK; i++) {
        dd_upload_rec_t u = {.offset = (uint64_t)i, .created_ms = 0, .updated_ms = 0};
        snprintf(u.uuid, sizeof u.uuid, "fresh%d", i % 10);
        snprintf(u.repo, sizeof u.repo, "r");
        a->rc = dd_meta_upload_put(a->m, &u, NULL); /* updated_ms = now: not stale */
    }
    return NULL;
}

/* Many stale sessions (several batches), each deleted from the callback,
 * while another thread keeps committing writes. */
TEST(stale_delete_under_concurrent_writes)
{
    dd_meta_t *m = fresh();
    for (int i = 0; i < 150; i++) {
        dd_upload_rec_t u = {.offset = 0, .created_ms = 10, .updated_ms = 10 + i % 7};
        snprintf(u.uuid, sizeof u.uuid, "old%03d", i);
        snprintf(u.repo, sizeof u.repo, "r");
        CHECK_INT(dd_meta_upload_put(m, &u, NULL), DD_OK);
    }
    struct writer_arg w = {.m = m, .rc = DD_OK};
    atomic_init(&w.stop, 0);
    pthread_t th;
    pthread_create(&th, NULL, writer_thread, &w);
    struct del_ctx c = {m, 0, 0};
    CHECK_INT(dd_meta_uploads_stale(m, 1000, stale_delete_cb, &c), DD_OK);
    atomic_store(&w.stop, 1);
    pthread_join(th, NULL);
    CHECK_INT(w.rc, DD_OK);
    CHECK_INT(c.n, 150);
    CHECK_INT(c.failed, 0);
    c = (struct del_ctx){m, 0, 0};
    CHECK_INT(dd_meta_uploads_stale(m, 1000, stale_delete_cb, &c), DD_OK);
    CHECK_INT(c.n, 0);
    /* stopping early */
    struct names a;
    memset(&a, 0, sizeof a);
    a.stop_after = 1;
    dd_upload_rec_t u = {.uuid = "x1", .repo = "r", .updated_ms = 5};
    CHECK_INT(dd_meta_upload_put(m, &u, NULL), DD_OK);
    snprintf(u.uuid, sizeof u.uuid, "x2");
    CHECK_INT(dd_meta_upload_put(m, &u, NULL), DD_OK);
    CHECK_INT(dd_meta_uploads_stale(m, 1000, stale_cb, &a), DD_OK);
    CHECK_STR(a.s, "x1");
    dd_meta_close(m);
}

TEST(walks)
{
    dd_meta_t *m = fresh();
    dd_digest_t a = dg("a"), b = dg("b");
    CHECK_INT(dd_meta_blob_link(m, "y", &a, 1, NULL), DD_OK);
    CHECK_INT(dd_meta_blob_link(m, "x", &b, 2, NULL), DD_OK);
    struct names n;
    memset(&n, 0, sizeof n);
    CHECK_INT(dd_meta_links_each(m, link_names_cb, &n), DD_OK);
    CHECK_STR(n.s, "x:2,y:1");
    memset(&n, 0, sizeof n);
    n.stop_after = 1;
    CHECK_INT(dd_meta_links_each(m, link_names_cb, &n), 1);
    CHECK_STR(n.s, "x:2");
    dd_meta_close(m);
}

struct walk_ctx {
    dd_meta_t *m;
    int n, out_of_order, failed;
    char last[400];
};

static int gc_cb(const dd_manifest_rec_t *rec, const dd_manifest_refs_t *refs, void *arg)
{
    struct walk_ctx *c = arg;
    char key[400];
    snprintf(key, sizeof key, "%s@%s", rec->repo, rec->digest.str);
    if (c->n && strcmp(key, c->last) <= 0) c->out_of_order++;
    snprintf(c->last, sizeof c->last, "%s", key);
    if (refs->n_blobs != 1) c->failed++;
    c->n++;
    /* garbage collection deletes what it walks */
    if (dd_meta_manifest_delete(c->m, rec->repo, &rec->digest, NULL) != DD_OK) c->failed++;
    return 0;
}

static int gc_link_cb(const char *repo, const dd_digest_t *d, uint64_t size, void *arg)
{
    struct walk_ctx *c = arg;
    (void)size;
    c->n++;
    if (dd_meta_blob_unlink(c->m, repo, d, NULL) != DD_OK) c->failed++;
    return 0;
}

/* Walks over several batches, deleting from the callback. */
TEST(walks_batches_with_deletes)
{
    dd_meta_t *m = fresh();
    for (int i = 0; i < 150; i++) {
        char content[32], repo[16];
        snprintf(content, sizeof content, "man-%d", i);
        snprintf(repo, sizeof repo, "repo%d", i % 3);
        dd_manifest_rec_t r = rec(repo, content);
        dd_digest_t layer = dg(content);
        dd_manifest_refs_t refs = {&layer, 1, NULL, 0};
        CHECK_INT(dd_meta_manifest_put(m, &r, &refs, i % 10 ? NULL : "t", NULL), DD_OK);
        CHECK_INT(dd_meta_blob_link(m, repo, &layer, 1, NULL), DD_OK);
    }
    struct walk_ctx c;
    memset(&c, 0, sizeof c);
    c.m = m;
    CHECK_INT(dd_meta_manifests_each(m, gc_cb, &c), DD_OK);
    CHECK_INT(c.n, 150);
    CHECK_INT(c.out_of_order, 0);
    CHECK_INT(c.failed, 0);
    memset(&c, 0, sizeof c);
    c.m = m;
    CHECK_INT(dd_meta_manifests_each(m, gc_cb, &c), DD_OK);
    CHECK_INT(c.n, 0);
    CHECK_INT(dd_meta_links_each(m, gc_link_cb, &c), DD_OK);
    CHECK_INT(c.n, 150);
    CHECK_INT(c.failed, 0);
    memset(&c, 0, sizeof c);
    CHECK_INT(dd_meta_links_each(m, gc_link_cb, &c), DD_OK);
    CHECK_INT(c.n, 0);
    dd_meta_close(m);
}

static void cleanup(void)
{
    if (dir[0]) nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    dir[0] = '\0';
}

TEST_MAIN(RUN(open_bad); RUN(blob_links); RUN(blob_repos); RUN(manifests_and_tags); RUN(manifest_delete_cascades);
          RUN(tags_list_pagination); RUN(catalog_pagination); RUN(referrers); RUN(concurrent_same_tag);
          RUN(reopen_persists); RUN(newer_schema_refused); RUN(uploads); RUN(write_inside_callbacks); RUN(stale_delete_under_concurrent_writes);
          RUN(walks); RUN(walks_batches_with_deletes); cleanup())
