/*
 * test_blobstore_check.c: dd_storage_check() over a real fs blob store and
 * sqlite metadata store: a consistent store has no problems; each kind of
 * damage (missing layer, missing manifest bytes, corrupt bytes, missing
 * linked blob, missing index child) is found and counted.
 */
#include <dirent.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dd/storecheck.h"
#include "test.h"

static char dir[256];

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
    (void)sb, (void)flag, (void)f;
    return remove(p);
}

struct lines {
    char s[8192];
    int n;
};

static void on_problem(const char *msg, void *arg)
{
    struct lines *l = arg;
    strncat(l->s, msg, sizeof l->s - strlen(l->s) - 2);
    strcat(l->s, "\n");
    l->n++;
}

static dd_digest_t put(dd_blobstore_t *bs, const char *content)
{
    dd_digest_t d;
    dd_digest_buf(DD_DIGEST_SHA256, content, strlen(content), &d);
    if (dd_blobstore_put(bs, &d, content, strlen(content), NULL) != DD_OK) abort();
    return d;
}

static void blob_file(const dd_digest_t *d, char *out, size_t n)
{
    const char *hex = dd_digest_hex(d);
    snprintf(out, n, "%s/blobs/%s/%.2s/%s", dir, dd_digest_alg_name(d->alg), hex, hex);
}

TEST(check_finds_damage)
{
    snprintf(dir, sizeof dir, "/tmp/dd-test-check-XXXXXX");
    if (!mkdtemp(dir)) abort();
    char p[400];
    dd_blobstore_t *bs;
    dd_meta_t *m;
    snprintf(p, sizeof p, "%s/blobs", dir);
    CHECK_INT(dd_blobstore_open("fs", p, &bs, NULL), DD_OK);
    snprintf(p, sizeof p, "%s/meta.db", dir);
    CHECK_INT(dd_meta_open("sqlite", p, &m, NULL), DD_OK);

    /* a consistent store: image manifest (config + layer) and an index */
    dd_digest_t cfg = put(bs, "config"), layer = put(bs, "layer-bytes");
    CHECK_INT(dd_meta_blob_link(m, "app", &cfg, 6, NULL), DD_OK);
    CHECK_INT(dd_meta_blob_link(m, "app", &layer, 11, NULL), DD_OK);
    const char *man = "{\"manifest\":1}";
    dd_digest_t md = put(bs, man);
    dd_manifest_rec_t r;
    memset(&r, 0, sizeof r);
    snprintf(r.repo, sizeof r.repo, "app");
    r.digest = md;
    snprintf(r.media_type, sizeof r.media_type, "application/vnd.oci.image.manifest.v1+json");
    r.size = strlen(man);
    dd_digest_t blobs[2] = {cfg, layer};
    dd_manifest_refs_t refs = {blobs, 2, NULL, 0};
    CHECK_INT(dd_meta_manifest_put(m, &r, &refs, "v1", NULL), DD_OK);
    const char *idx = "{\"index\":1}";
    dd_manifest_rec_t ri = r;
    ri.digest = put(bs, idx);
    ri.size = strlen(idx);
    dd_manifest_refs_t irefs = {NULL, 0, &md, 1};
    CHECK_INT(dd_meta_manifest_put(m, &ri, &irefs, "multi", NULL), DD_OK);
    put(bs, "orphan");

    dd_storecheck_report_t rep;
    struct lines l;
    memset(&l, 0, sizeof l);
    dd_err_t e;
    CHECK_INT(dd_storage_check(bs, m, DD_STORECHECK_HASH_ALL, &rep, on_problem, &l, &e), DD_OK);
    CHECK_INT(rep.problems, 0);
    CHECK_INT(l.n, 0);
    CHECK_INT(rep.manifests, 2);
    CHECK_INT(rep.links, 2);
    CHECK_INT(rep.blobs, 5);
    CHECK_INT(rep.blobs_hashed, 5);
    CHECK_INT(rep.orphans, 1);

    /* corrupt the layer's bytes: found only when hashing everything */
    char f[600];
    blob_file(&layer, f, sizeof f);
    FILE *fp = fopen(f, "w");
    if (fp) {
        fputs("LAYER-BYTES", fp);
        fclose(fp);
    }
    CHECK_INT(dd_storage_check(bs, m, 0, &rep, NULL, NULL, &e), DD_OK);
    CHECK_INT(rep.problems, 0);
    CHECK_INT(rep.blobs_hashed, 0);
    CHECK_INT(dd_storage_check(bs, m, DD_STORECHECK_HASH_ALL, &rep, NULL, NULL, &e), DD_OK);
    CHECK_INT(rep.bad_digest, 1);
    CHECK_INT(rep.problems, 1);
    CHECK_INT(dd_storage_verify_blob(bs, &layer, NULL, &e), DD_EDIGEST);

    /* remove the layer: missing reference and missing link */
    CHECK_INT(dd_blobstore_remove(bs, &layer), DD_OK);
    memset(&l, 0, sizeof l);
    CHECK_INT(dd_storage_check(bs, m, 0, &rep, on_problem, &l, &e), DD_OK);
    CHECK_INT(rep.missing_ref, 1);
    CHECK_INT(rep.missing_link, 1);
    CHECK_INT(rep.problems, 2);
    CHECK_INT(l.n, 2);
    CHECK(strstr(l.s, "references missing blob") != NULL);

    /* manifest bytes gone, and the index's child deleted from meta */
    CHECK_INT(dd_blobstore_remove(bs, &md), DD_OK);
    CHECK_INT(dd_storage_check(bs, m, 0, &rep, NULL, NULL, &e), DD_OK);
    CHECK_INT(rep.missing_manifest, 1);
    CHECK_INT(dd_meta_manifest_delete(m, "app", &md, NULL), DD_OK);
    memset(&l, 0, sizeof l);
    CHECK_INT(dd_storage_check(bs, m, 0, &rep, on_problem, &l, &e), DD_OK);
    CHECK_INT(rep.manifests, 1);
    CHECK_INT(rep.missing_ref, 1);
    CHECK(strstr(l.s, "references missing manifest") != NULL);

    /* corrupt manifest bytes */
    blob_file(&ri.digest, f, sizeof f);
    fp = fopen(f, "w");
    if (fp) {
        fputs("{\"index\":2}", fp);
        fclose(fp);
    }
    CHECK_INT(dd_storage_check(bs, m, 0, &rep, NULL, NULL, &e), DD_OK);
    CHECK_INT(rep.bad_digest, 1);

    dd_meta_close(m);
    dd_blobstore_close(bs);
    nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* The child pushes images in the order the registry must follow: layer
 * bytes (chunked upload), link, manifest bytes (put), then manifest_put with
 * a tag; forever, until it is killed. */
static _Noreturn void pusher(const char *blobs, const char *db, unsigned seed)
{
    dd_blobstore_t *bs;
    dd_meta_t *m;
    if (dd_blobstore_open("fs", blobs, &bs, NULL) != DD_OK || dd_meta_open("sqlite", db, &m, NULL) != DD_OK)
        _exit(3);
    static unsigned char chunk[200000];
    for (unsigned i = 0;; i++) {
        char uuid[64], man[256], tag[32];
        unsigned x = seed * 7919u + i;
        for (size_t k = 0; k < sizeof chunk; k++) chunk[k] = (unsigned char)(x + k * 31u);
        snprintf(uuid, sizeof uuid, "s%u-%u", seed, i);
        dd_upload_t *u;
        if (dd_blobstore_upload_create(bs, uuid, &u, NULL) != DD_OK) _exit(4);
        dd_hasher_t *h = dd_hasher_new(DD_DIGEST_SHA256);
        size_t total = 0;
        for (int c = 0; c < 5; c++) {
            if (dd_upload_write(u, chunk, sizeof chunk, NULL) != DD_OK) _exit(5);
            dd_hasher_update(h, chunk, sizeof chunk);
            total += sizeof chunk;
        }
        dd_digest_t layer;
        dd_hasher_final(h, &layer);
        dd_hasher_free(h);
        if (dd_upload_commit(u, &layer, NULL, NULL) != DD_OK) _exit(6);
        if (dd_meta_blob_link(m, "crash/app", &layer, total, NULL) != DD_OK) _exit(7);
        snprintf(man, sizeof man, "{\"layer\":\"%s\",\"i\":%u}", layer.str, i);
        dd_manifest_rec_t r;
        memset(&r, 0, sizeof r);
        snprintf(r.repo, sizeof r.repo, "crash/app");
        dd_digest_buf(DD_DIGEST_SHA256, man, strlen(man), &r.digest);
        snprintf(r.media_type, sizeof r.media_type, "application/vnd.oci.image.manifest.v1+json");
        r.size = strlen(man);
        if (dd_blobstore_put(bs, &r.digest, man, strlen(man), NULL) != DD_OK) _exit(8);
        dd_manifest_refs_t refs = {&layer, 1, NULL, 0};
        snprintf(tag, sizeof tag, "t%u", i % 7);
        if (dd_meta_manifest_put(m, &r, &refs, tag, NULL) != DD_OK) _exit(9);
        /* leave a session half-written now and then, to be resumed or expired */
        if (i % 3 == 0) {
            snprintf(uuid, sizeof uuid, "open%u-%u", seed, i);
            if (dd_blobstore_upload_create(bs, uuid, &u, NULL) == DD_OK) {
                dd_upload_write(u, chunk, 1000 + i, NULL);
                dd_upload_release(u);
            }
        }
    }
}

TEST(kill9_leaves_consistent_store)
{
    snprintf(dir, sizeof dir, "/tmp/dd-test-crash-XXXXXX");
    if (!mkdtemp(dir)) abort();
    char blobs[400], db[400];
    snprintf(blobs, sizeof blobs, "%s/blobs", dir);
    snprintf(db, sizeof db, "%s/meta.db", dir);
    srand((unsigned)getpid());
    size_t manifests = 0;
    for (unsigned round = 0; round < 6; round++) {
        pid_t pid = fork();
        if (pid == 0) pusher(blobs, db, round);
        /* kill at a random moment (what is asserted never depends on it) */
        struct timespec ts = {0, (long)(30 + rand() % 150) * 1000000L};
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        int st = 0;
        waitpid(pid, &st, 0);
        CHECK(WIFSIGNALED(st)); /* not an early _exit(n) failure */

        dd_blobstore_t *bs;
        dd_meta_t *m;
        CHECK_INT(dd_blobstore_open("fs", blobs, &bs, NULL), DD_OK);
        CHECK_INT(dd_meta_open("sqlite", db, &m, NULL), DD_OK);
        dd_storecheck_report_t rep;
        struct lines l;
        memset(&l, 0, sizeof l);
        dd_err_t e;
        CHECK_INT(dd_storage_check(bs, m, DD_STORECHECK_HASH_ALL, &rep, on_problem, &l, &e), DD_OK);
        CHECK_INT(rep.problems, 0);
        if (l.n) fprintf(stderr, "%s", l.s);
        CHECK(rep.manifests >= manifests);
        manifests = rep.manifests;
        /* leftover sessions can be resumed: their size is what is on disk */
        char up[500];
        snprintf(up, sizeof up, "%s/_uploads", blobs);
        DIR *dh = opendir(up);
        struct dirent *de;
        while (dh && (de = readdir(dh)) != NULL) {
            if (de->d_name[0] == '.') continue;
            dd_upload_t *u;
            int rc = dd_blobstore_upload_open(bs, de->d_name, &u, NULL);
            CHECK(rc == DD_OK || rc == DD_ENOTFOUND);
            if (rc == DD_OK) dd_upload_release(u);
        }
        if (dh) closedir(dh);
        dd_meta_close(m);
        dd_blobstore_close(bs);
    }
    if (getenv("DD_TEST_VERBOSE")) fprintf(stderr, "crash test: %zu manifests survived\n", manifests);
    nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

TEST_MAIN(RUN(check_finds_damage); RUN(kill9_leaves_consistent_store))
