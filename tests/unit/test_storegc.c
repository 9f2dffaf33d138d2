/*
 * test_storegc.c: dd_storage_gc() over a real fs blob store and sqlite
 * metadata store: links no manifest of their repository references are
 * swept, blobs referenced by nothing go with them, a dry run changes
 * nothing and predicts exactly what a real run removes.
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dd/storecheck.h"
#include "dd/storegc.h"
#include "test.h"

static char dir[256];

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
    (void)sb, (void)flag, (void)f;
    return remove(p);
}

static dd_digest_t put(dd_blobstore_t *bs, const char *content)
{
    dd_digest_t d;
    dd_digest_buf(DD_DIGEST_SHA256, content, strlen(content), &d);
    if (dd_blobstore_put(bs, &d, content, strlen(content), NULL) != DD_OK) abort();
    return d;
}

static dd_digest_t image(dd_blobstore_t *bs, dd_meta_t *m, const char *repo, const char *tag, const char *body,
                         dd_digest_t *blobs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (dd_meta_blob_link(m, repo, &blobs[i], 1, NULL) != DD_OK) abort();
    dd_manifest_rec_t r;
    memset(&r, 0, sizeof r);
    snprintf(r.repo, sizeof r.repo, "%s", repo);
    r.digest = put(bs, body);
    snprintf(r.media_type, sizeof r.media_type, "application/vnd.oci.image.manifest.v1+json");
    r.size = strlen(body);
    dd_manifest_refs_t refs = {blobs, n, NULL, 0};
    if (dd_meta_manifest_put(m, &r, &refs, tag, NULL) != DD_OK) abort();
    return r.digest;
}

struct lines {
    char s[4096];
    int n;
};

static void on_item(const char *msg, void *arg)
{
    struct lines *l = arg;
    strncat(l->s, msg, sizeof l->s - strlen(l->s) - 2);
    strcat(l->s, "\n");
    l->n++;
}

TEST(gc_sweeps_unreferenced)
{
    snprintf(dir, sizeof dir, "/tmp/dd-test-gc-XXXXXX");
    if (!mkdtemp(dir)) abort();
    char p[400];
    dd_blobstore_t *bs;
    dd_meta_t *m;
    snprintf(p, sizeof p, "%s/blobs", dir);
    CHECK_INT(dd_blobstore_open("fs", p, &bs, NULL), DD_OK);
    snprintf(p, sizeof p, "%s/meta.db", dir);
    CHECK_INT(dd_meta_open("sqlite", p, &m, NULL), DD_OK);

    dd_digest_t shared = put(bs, "s"), a_only = put(bs, "a"), b_only = put(bs, "b"), lone = put(bs, "l");
    dd_digest_t keep[2] = {shared, a_only}, gone[2] = {shared, b_only};
    image(bs, m, "app", "keep", "{\"keep\":1}", keep, 2);
    dd_digest_t del = image(bs, m, "app", "old", "{\"old\":1}", gone, 2);
    CHECK_INT(dd_meta_blob_link(m, "other", &lone, 1, NULL), DD_OK);
    CHECK_INT(dd_meta_manifest_delete(m, "app", &del, NULL), DD_OK);

    dd_storegc_report_t r;
    struct lines l;
    memset(&l, 0, sizeof l);
    dd_err_t e;
    CHECK_INT(dd_storage_gc(bs, m, DD_STOREGC_DRY_RUN, &r, on_item, &l, &e), DD_OK);
    CHECK_INT(r.manifests, 1);
    CHECK_INT(r.links, 4);
    CHECK_INT(r.links_swept, 2); /* app -> b, other -> l */
    CHECK_INT(r.blobs, 6);
    CHECK_INT(r.blobs_swept, 3); /* b, l, the deleted manifest's bytes */
    CHECK_INT((int)r.bytes_swept, 1 + 1 + 9);
    CHECK_INT(l.n, 5);
    CHECK(strstr(l.s, b_only.str) != NULL && strstr(l.s, lone.str) != NULL && strstr(l.s, del.str) != NULL);
    CHECK(strstr(l.s, shared.str) == NULL && strstr(l.s, a_only.str) == NULL);
    CHECK_INT(dd_blobstore_stat(bs, &b_only, NULL), DD_OK); /* dry run: nothing removed */

    CHECK_INT(dd_storage_gc(bs, m, 0, &r, NULL, NULL, &e), DD_OK);
    CHECK_INT(r.links_swept, 2);
    CHECK_INT(r.blobs_swept, 3);
    CHECK_INT((int)r.bytes_swept, 11);
    CHECK_INT(dd_blobstore_stat(bs, &b_only, NULL), DD_ENOTFOUND);
    CHECK_INT(dd_blobstore_stat(bs, &shared, NULL), DD_OK);
    CHECK_INT(dd_blobstore_stat(bs, &a_only, NULL), DD_OK);

    /* a second run finds nothing, and the store is consistent */
    CHECK_INT(dd_storage_gc(bs, m, 0, &r, NULL, NULL, &e), DD_OK);
    CHECK_INT(r.links_swept, 0);
    CHECK_INT(r.blobs_swept, 0);
    dd_storecheck_report_t cr;
    CHECK_INT(dd_storage_check(bs, m, DD_STORECHECK_HASH_ALL, &cr, NULL, NULL, &e), DD_OK);
    CHECK_INT(cr.problems, 0);
    CHECK_INT(cr.orphans, 0);

    dd_meta_close(m);
    dd_blobstore_close(bs);
    nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

TEST_MAIN(RUN(gc_sweeps_unreferenced))
