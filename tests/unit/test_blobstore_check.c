/*
 * test_blobstore_check.c: dd_storage_check() over a real fs blob store and
 * sqlite metadata store: a consistent store has no problems; each kind of
 * damage (missing layer, missing manifest bytes, corrupt bytes, missing
 * linked blob, missing index child) is found and counted.
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

TEST_MAIN(RUN(check_finds_damage))
