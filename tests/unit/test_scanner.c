/*
 * test_scanner.c: the scanner's workers without a server: re-assessment of
 * stored inventories (run on several threads in parallel) finds the same
 * findings as one thread, a second pass changes nothing, a database update
 * is picked up as a new snapshot, and dd_scanner_with_db serves the current
 * snapshot; one image's scan through the shared pipeline (a store: image
 * source over a blob store holding tests/fixtures/analyzer/oci): images
 * scanned at once on several threads analyze each shared layer once, an
 * index gets its children, a blob that is not a layer contributes no files
 * and an artifact is unsupported (issue 12).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dd/analyzer.h"
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
    dd_scanstore_image_get(st, digest, &r, NULL);
    r.state = DD_SCAN_DONE;
    r.error[0] = '\0';
    dd_scanstore_image_update(st, &r, NULL);
    dd_scanstore_inventory_put(st, digest, b.ptr, b.len, NULL);
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
    CHECK_INT(dd_scanstore_image_get(st, digest, &r, NULL), DD_OK);
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


/* ---- one image through the pipeline (store: source, layer cache) ---- */

#define V1 "sha256:adc11982448da4b4a0688ccc6162804b975c1d2297c2ee18852608defd887773"
#define V2 "sha256:5d4666c191ccc7062d67391d9d683312e56748387ace9d840ecc3b362efd0350"
#define OCI_MT "application/vnd.oci.image.manifest.v1+json"

static const char *const fixture_blobs[] = {
    "0993820fef09b164d207fd7050b04db246e8d61f7179e92541b0fe78d1a27a3c",
    "1e105e6eb1650dc12a891d9ee449c4eeb745d6165f67e5891f93f4f7705fb802",
    "35d116b8f8657fa3dd5d282487d41623c59e09b7561dba84cf96afc02164e471",
    "5d4666c191ccc7062d67391d9d683312e56748387ace9d840ecc3b362efd0350",
    "adc11982448da4b4a0688ccc6162804b975c1d2297c2ee18852608defd887773",
    "da36ee278659b52165f8fbcc03c0fc0c3cb970f4e8e7952e38cd02a89e27781c",
    "e73f0dc785be0307a7c2735c7bf939e547b9e1b1e0a6c1d2e3c73a4aed1025d8",
};

/* Puts p into bs; its digest into d. */
static void put_blob(dd_blobstore_t *bs, const char *p, size_t n, dd_digest_t *d)
{
    dd_digest_buf(DD_DIGEST_SHA256, p, n, d);
    CHECK_INT(dd_blobstore_put(bs, d, p, n, NULL), DD_OK);
}

typedef struct scan_arg {
    dd_scanner_t *sc;
    const char *digest;
    int rc;
} scan_arg_t;

static void *scan_thread(void *arg)
{
    scan_arg_t *a = arg;
    a->rc = dd_scanner_scan_digest(a->sc, a->digest, "t/app", NULL);
    return NULL;
}

TEST(store_pipeline)
{
    setup();
    char p[400];
    snprintf(p, sizeof p, "%s/pipe", dir);
    CHECK(mkdir(p, 0700) == 0);
    snprintf(p, sizeof p, "%s/pipe/scans.db", dir);
    dd_scanstore_t *st = NULL;
    CHECK_INT(dd_scanstore_open(p, &st, NULL), DD_OK);
    snprintf(p, sizeof p, "%s/pipe/blobs", dir);
    dd_blobstore_t *bs = NULL;
    CHECK_INT(dd_blobstore_open("fs", p, &bs, NULL), DD_OK);
    if (!st || !bs) return;
    for (size_t i = 0; i < sizeof fixture_blobs / sizeof *fixture_blobs; i++) {
        char rel[200];
        snprintf(rel, sizeof rel, "analyzer/oci/blobs/sha256/%s", fixture_blobs[i]);
        dd_buf_t b;
        dd_buf_init(&b, 0);
        CHECK_INT(dd_file_read(fixture(rel), 1 << 20, &b, NULL), DD_OK);
        dd_digest_t d;
        put_blob(bs, b.ptr, b.len, &d);
        CHECK(strcmp(d.str + 7, fixture_blobs[i]) == 0);
        dd_buf_release(&b);
    }
    /* an index of v1 and v2; v1 with a fourth blob that is not a layer; an artifact */
    char idx[1024];
    snprintf(idx, sizeof idx,
             "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":["
             "{\"mediaType\":\"" OCI_MT "\",\"digest\":\"" V1 "\",\"size\":501},"
             "{\"mediaType\":\"" OCI_MT "\",\"digest\":\"" V2 "\",\"size\":654}]}");
    dd_digest_t idx_d, junk_d, odd_d, art_d;
    put_blob(bs, idx, strlen(idx), &idx_d);
    const char *junk = "just some text, not a layer";
    put_blob(bs, junk, strlen(junk), &junk_d);
    char odd[1400];
    snprintf(odd, sizeof odd,
             "{\"schemaVersion\":2,\"mediaType\":\"" OCI_MT "\",\"config\":{\"mediaType\":"
             "\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:%s\",\"size\":577},\"layers\":["
             "{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:%s\",\"size\":408},"
             "{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:%s\",\"size\":25868},"
             "{\"mediaType\":\"application/octet-stream\",\"digest\":\"%s\",\"size\":%zu}]}",
             fixture_blobs[0], fixture_blobs[2], fixture_blobs[6], junk_d.str, strlen(junk));
    put_blob(bs, odd, strlen(odd), &odd_d);
    char art[600];
    snprintf(art, sizeof art,
             "{\"schemaVersion\":2,\"mediaType\":\"" OCI_MT "\",\"artifactType\":\"application/x-test\","
             "\"config\":{\"mediaType\":\"application/vnd.oci.empty.v1+json\",\"digest\":\"%s\",\"size\":%zu},"
             "\"layers\":[]}", junk_d.str, strlen(junk));
    put_blob(bs, art, strlen(art), &art_d);
    const char *all[] = {V1, V2, idx_d.str, odd_d.str, art_d.str};
    for (size_t i = 0; i < 5; i++)
        CHECK_INT(dd_scanstore_image_pushed(st, "t/app", all[i], i == 2 ? "application/vnd.oci.image.index.v1+json"
                                                                          : OCI_MT, NULL, false, NULL, NULL), DD_OK);
    dd_scanner_opts_t o;
    dd_scanner_opts_default(&o);
    o.blobs = bs;
    o.store = st;
    o.vulndb_path = dbpath;
    dd_scanner_t *sc = NULL;
    CHECK_INT(dd_scanner_new(&o, &sc, NULL), DD_OK);
    if (!sc) return;
    /* v1 and v2 share two layers: 6 scans at once analyze 3 layers */
    scan_arg_t args[6];
    pthread_t th[6];
    for (int i = 0; i < 6; i++) {
        args[i] = (scan_arg_t){sc, i % 2 ? V2 : V1, -1};
        CHECK(pthread_create(&th[i], NULL, scan_thread, &args[i]) == 0);
    }
    for (int i = 0; i < 6; i++) {
        pthread_join(th[i], NULL);
        CHECK_INT(args[i].rc, DD_OK);
    }
    dd_scanner_counters_t c;
    dd_scanner_counters(sc, &c);
    CHECK_INT(c.layers_analyzed, 3);
    CHECK_INT(c.layer_cache_hits, 3 * (2 + 3) - 3); /* v1: 2 layers, v2: 3 */
    CHECK_INT(c.images_scanned, 6);
    dd_image_rec_t r;
    CHECK_INT(dd_scanstore_image_get(st, V2, &r, NULL), DD_OK);
    CHECK(strstr(r.os, "Ubuntu") != NULL);
    CHECK(strcmp(r.platform, "linux/amd64") == 0);
    CHECK_INT(r.size, 714 + 408 + 25868 + 90);

    /* the index: its children as rows, in order */
    CHECK_INT(dd_scanner_scan_digest(sc, idx_d.str, "t/app", NULL), DD_OK);
    CHECK_INT(dd_scanstore_image_get(st, idx_d.str, &r, NULL), DD_OK);
    CHECK(r.is_index);
    CHECK_INT(r.state, DD_SCAN_DONE);
    dd_image_child_t *kids = NULL;
    size_t nk = 0;
    CHECK_INT(dd_scanstore_children(st, idx_d.str, &kids, &nk, NULL), DD_OK);
    CHECK_INT(nk, 2);
    if (nk == 2) CHECK(strcmp(kids[0].digest, V1) == 0 && strcmp(kids[1].digest, V2) == 0);
    free(kids);

    /* a blob that is not a layer: no files from it, remembered */
    dd_err_t e;
    CHECK_INT(dd_scanner_scan_digest(sc, odd_d.str, "t/app", &e), DD_OK);
    CHECK_INT(dd_scanstore_image_get(st, odd_d.str, &r, NULL), DD_OK);
    CHECK(strstr(r.os, "Ubuntu") != NULL); /* its other layers were read */
    dd_scanner_counters(sc, &c);
    CHECK_INT(c.layers_declined, 1);
    int status = -1;
    CHECK_INT(dd_scanstore_layer_get(st, junk_d.str, DD_ANALYZER_VERSION, NULL, NULL, 0, &status, NULL), DD_OK);
    CHECK_INT(status, DD_DECLINED);

    /* an artifact is not a container image */
    CHECK_INT(dd_scanner_scan_digest(sc, art_d.str, "t/app", &e), DD_OK);
    CHECK_INT(dd_scanstore_image_get(st, art_d.str, &r, NULL), DD_OK);
    CHECK_INT(r.state, DD_SCAN_UNSUPPORTED);
    CHECK(strstr(r.error, "not a container image (artifact type 'application/x-test')") != NULL);

    /* a manifest the blob store does not hold fails with the store's reason */
    const char *gone = "sha256:0000000000000000000000000000000000000000000000000000000000000001";
    CHECK_INT(dd_scanstore_image_pushed(st, "t/app", gone, OCI_MT, NULL, false, NULL, NULL), DD_OK);
    CHECK(dd_scanner_scan_digest(sc, gone, "t/app", &e) != DD_OK);
    CHECK_INT(dd_scanstore_image_get(st, gone, &r, NULL), DD_OK);
    CHECK_INT(r.state, DD_SCAN_FAILED);
    CHECK(r.error[0] != '\0');
    dd_scanner_counters(sc, &c);
    CHECK_INT(c.images_failed, 1);
    dd_scanner_free(sc);
    dd_scanstore_close(st);
    dd_blobstore_close(bs);
}

TEST(cleanup)
{
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (dir[0]) CHECK_INT(system(cmd), 0);
}

TEST_MAIN(RUN(rematch_parallel_same_as_serial); RUN(store_pipeline); RUN(cleanup))
