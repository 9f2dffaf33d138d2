/*
 * test_scanner.c: the scanner's workers without a server: re-assessment of
 * stored inventories (run on several threads in parallel) finds the same
 * findings as one thread, a second pass changes nothing, a database update
 * is picked up as a new snapshot, and dd_scanner_with_db serves the current
 * snapshot.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dd/blobstore.h"
#include "dd/scanner.h"
#include "dd/scanstore.h"
#include "dd/vulndb.h"
#include "test.h"
#include "vulndb_update.h"

static char dir[256], dbpath[300];

static void setup(void)
{
    if (dir[0]) return;
    snprintf(dir, sizeof dir, "/tmp/dd-test-scanner-XXXXXX");
    if (!mkdtemp(dir)) abort();
    snprintf(dbpath, sizeof dbpath, "%s/vuln.db", dir);
}

static int db_add(const char *id, const char *pkg)
{
    return test_vulndb_add(dbpath, "Debian:11", id, pkg);
}

/* Stores image i: Debian 11 with packages p0..p(n-1) at version 1. */
static void put_image(dd_scanstore_t *st, int i, int n)
{
    dd_inventory_t inv;
    dd_inventory_init(&inv);
    dd_arena_t *a = dd_inventory_arena(&inv);
    inv.os.id = dd_arena_strdup(a, "debian");
    inv.os.version_id = dd_arena_strdup(a, "11");
    inv.os.ecosystem = dd_arena_strdup(a, "Debian:11");
    for (int k = 0; k < n; k++) {
        dd_package_t *p = dd_inventory_add(&inv);
        p->type = DD_PKG_DPKG;
        p->name = dd_arena_printf(a, "p%d", k);
        p->version = dd_arena_strdup(a, "1");
        p->source_name = dd_arena_strdup(a, p->name);
        p->source_version = dd_arena_strdup(a, "1");
        p->layer = 0;
    }
    dd_buf_t b;
    dd_buf_init(&b, 0);
    dd_inventory_encode(&inv, NULL, 0, &b);
    char digest[80];
    snprintf(digest, sizeof digest, "sha256:%064x", i);
    dd_scanstore_image_pushed(st, "t/repo", digest, "application/vnd.oci.image.manifest.v1+json", NULL, false, NULL,
                              NULL);
    dd_image_rec_t r;
    dd_scanstore_image_get(st, digest, &r);
    r.state = DD_SCAN_DONE;
    r.error[0] = '\0';
    dd_scanstore_image_update(st, &r);
    dd_scanstore_inventory_put(st, digest, b.ptr, b.len);
    dd_buf_release(&b);
    dd_inventory_release(&inv);
}

static int version_cb(dd_vulndb_t *db, void *arg)
{
    *(int64_t *)arg = db ? dd_vulndb_version(db) : -1;
    return 0;
}

static void run(unsigned workers, size_t *n_new_first, size_t *n_new_update)
{
    char p[400];
    snprintf(p, sizeof p, "%s/w%u", dir, workers);
    CHECK(mkdir(p, 0700) == 0);
    snprintf(p, sizeof p, "%s/w%u/scans.db", dir, workers);
    dd_scanstore_t *st = NULL;
    CHECK_INT(dd_scanstore_open(p, &st, NULL), DD_OK);
    snprintf(p, sizeof p, "%s/w%u/blobs", dir, workers);
    dd_blobstore_t *bs = NULL;
    CHECK_INT(dd_blobstore_open("fs", p, &bs, NULL), DD_OK);
    if (!st || !bs) return;
    for (int i = 0; i < 150; i++) put_image(st, i, 1 + i % 3);
    dd_scanner_opts_t o;
    dd_scanner_opts_default(&o);
    o.blobs = bs;
    o.store = st;
    o.vulndb_path = dbpath;
    o.workers = workers;
    dd_scanner_t *sc = NULL;
    CHECK_INT(dd_scanner_new(&o, &sc, NULL), DD_OK);
    if (!sc) return;
    int64_t before = 0;
    dd_vulndb_current_version(dbpath, &before, NULL);
    int64_t v = 0;
    dd_scanner_with_db(sc, version_cb, &v);
    CHECK_INT(v, before);

    dd_rematch_stats_t s;
    CHECK_INT(dd_scanner_rematch_all(sc, &s, NULL), DD_OK);
    CHECK_INT(s.images, 150);
    CHECK_INT(s.failed, 0);
    CHECK_INT(s.db_version, before);
    *n_new_first = s.n_new;
    /* nothing changed: nothing new, nothing resolved */
    CHECK_INT(dd_scanner_rematch_all(sc, &s, NULL), DD_OK);
    CHECK_INT(s.images, 150);
    CHECK_INT(s.changed, 0);
    CHECK_INT(s.n_new + s.n_resolved, 0);

    /* an update: the next pass runs on the new snapshot */
    char id[32];
    snprintf(id, sizeof id, "CVE-W%u", workers);
    CHECK_INT(db_add(id, "p2"), DD_OK);
    CHECK_INT(dd_scanner_rematch_all(sc, &s, NULL), DD_OK);
    CHECK_INT(s.db_version, before + 1);
    CHECK_INT(s.changed, 50); /* the images with a p2 */
    *n_new_update = s.n_new;
    dd_scanner_with_db(sc, version_cb, &v);
    CHECK_INT(v, before + 1);
    dd_image_rec_t r;
    char digest[80];
    snprintf(digest, sizeof digest, "sha256:%064x", 2);
    CHECK_INT(dd_scanstore_image_get(st, digest, &r), DD_OK);
    CHECK_INT(r.db_version, before + 1);
    dd_scanner_free(sc);
    dd_scanstore_close(st);
    dd_blobstore_close(bs);
}

TEST(rematch_parallel_same_as_serial)
{
    setup();
    CHECK_INT(db_add("CVE-1", "p0"), DD_OK);
    CHECK_INT(db_add("CVE-2", "p1"), DD_OK);
    size_t first1 = 0, upd1 = 0, first4 = 0, upd4 = 0;
    run(1, &first1, &upd1);
    run(4, &first4, &upd4);
    /* 150 images with p0, 100 with p1; the second run also sees the first
     * run's update (p2, 50 images) */
    CHECK_INT(first1, 250);
    CHECK_INT(first4, 300);
    CHECK_INT(upd1, 50);
    CHECK_INT(upd4, 50);
}

TEST(cleanup)
{
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (dir[0]) CHECK_INT(system(cmd), 0);
}

TEST_MAIN(RUN(rematch_parallel_same_as_serial); RUN(cleanup))
