/*
 * test_registry_expire.c: the registry janitor's expiry pass with the real
 * fs blob store and sqlite metadata store: a stale session is dropped from
 * both stores, a fresh one stays.
 */
#include "dd/registry.h"
#include "test.h"

#include <stdlib.h>
#include <unistd.h>

TEST(expire_stale_sessions)
{
    char dir[] = "/tmp/dd-regexp-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char blobs[128], db[128];
    snprintf(blobs, sizeof blobs, "%s/blobs", dir);
    snprintf(db, sizeof db, "%s/meta.db", dir);
    dd_err_t e;
    dd_blobstore_t *bs = NULL;
    dd_meta_t *meta = NULL;
    CHECK_INT(dd_blobstore_open("fs", blobs, &bs, &e), DD_OK);
    CHECK_INT(dd_meta_open("sqlite", db, &meta, &e), DD_OK);
    if (!bs || !meta) return;
    dd_registry_opts_t o = {.blobs = bs, .meta = meta, .upload_max_age_ms = 3600 * 1000};
    dd_registry_t *reg;
    CHECK_INT(dd_registry_new(&o, &reg, &e), DD_OK);

    const char *uuids[] = {"0000aaaa-0000-4000-8000-000000000001", "0000aaaa-0000-4000-8000-000000000002"};
    int64_t now = dd_now_ms();
    for (int i = 0; i < 2; i++) {
        dd_upload_t *u;
        CHECK_INT(dd_blobstore_upload_create(bs, uuids[i], &u, &e), DD_OK);
        CHECK_INT(dd_upload_write(u, "abc", 3, &e), DD_OK);
        dd_upload_release(u);
        dd_upload_rec_t rec = {.offset = 3};
        snprintf(rec.uuid, sizeof rec.uuid, "%s", uuids[i]);
        snprintf(rec.repo, sizeof rec.repo, "a/b");
        /* the first was last written two hours ago, the second just now */
        rec.created_ms = rec.updated_ms = i == 0 ? now - 2 * 3600 * 1000 : now;
        CHECK_INT(dd_meta_upload_put(meta, &rec, &e), DD_OK);
    }
    size_t n = 0;
    CHECK_INT(dd_registry_expire_uploads(reg, &n), DD_OK);
    CHECK(n >= 1);
    dd_upload_rec_t got;
    CHECK_INT(dd_meta_upload_get(meta, uuids[0], &got), DD_ENOTFOUND);
    dd_upload_t *u = NULL;
    CHECK(dd_blobstore_upload_open(bs, uuids[0], &u, NULL) == DD_ENOTFOUND);
    CHECK_INT(dd_meta_upload_get(meta, uuids[1], &got), DD_OK);
    CHECK_INT(dd_blobstore_upload_open(bs, uuids[1], &u, NULL), DD_OK);
    if (u) {
        CHECK_INT(dd_upload_size(u), 3);
        dd_upload_release(u);
    }
    dd_registry_free(reg);
    dd_meta_close(meta);
    dd_blobstore_close(bs);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
}

TEST_MAIN(RUN(expire_stale_sessions))
