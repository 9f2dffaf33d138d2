/*
 * test_catalog_rpm.c: cross-checks our rpm header parser against librpm's.
 * Every header blob our container readers (SQLite, Berkeley DB, NDB) find in
 * the real fixture databases is also loaded with librpm's headerImport(),
 * and NAME, VERSION, RELEASE, EPOCH, ARCH, SOURCERPM and LICENSE must agree.
 * For NDB, which Debian's rpm cannot open, this is the independent check that
 * the blobs we extract are whole, valid rpm headers.
 */
#include "dd/catalog.h"
#include "test.h"

#include <rpm/header.h>
#include <rpm/rpmtag.h>
#include <stdlib.h>
#include <string.h>

struct xcheck {
    int blobs, mismatches;
};

static bool same(const char *a, const char *b)
{
    if (!a || !b) return a == b;
    return strcmp(a, b) == 0;
}

static int check_blob(const uint8_t *blob, size_t len, void *arg)
{
    struct xcheck *x = arg;
    x->blobs++;
    dd_rpm_header_t ours;
    dd_err_t e = {0};
    int rc = dd_rpm_header_parse(blob, len, &ours, &e);
    CHECK_INT(rc, DD_OK);
    Header h = headerImport((void *)blob, (unsigned int)len, HEADERIMPORT_COPY);
    CHECK(h != NULL);
    if (rc != DD_OK || !h) {
        x->mismatches++;
        headerFree(h);
        return 0;
    }
    int epoch = headerIsEntry(h, RPMTAG_EPOCH) ? (int)headerGetNumber(h, RPMTAG_EPOCH) : -1;
    bool ok = same(ours.name, headerGetString(h, RPMTAG_NAME)) &&
              same(ours.version, headerGetString(h, RPMTAG_VERSION)) &&
              same(ours.release, headerGetString(h, RPMTAG_RELEASE)) &&
              same(ours.arch, headerGetString(h, RPMTAG_ARCH)) &&
              same(ours.sourcerpm, headerGetString(h, RPMTAG_SOURCERPM)) &&
              same(ours.license, headerGetString(h, RPMTAG_LICENSE)) && ours.epoch == epoch;
    if (!ok) {
        fprintf(stderr, "  mismatch for %s: ours %s-%s epoch %d, librpm %s-%s epoch %d\n", ours.name,
                ours.version, ours.release, ours.epoch, headerGetString(h, RPMTAG_VERSION),
                headerGetString(h, RPMTAG_RELEASE), epoch);
        x->mismatches++;
    }
    headerFree(h);
    return 0;
}

static uint8_t *slurp(const char *rel, size_t *len)
{
    dd_buf_t b;
    dd_buf_init(&b, 0);
    dd_err_t e = {0};
    CHECK_INT(dd_file_read(fixture(rel), 64u << 20, &b, &e), DD_OK);
    return (uint8_t *)dd_buf_detach(&b, len);
}

typedef int (*each_fn)(const uint8_t *, size_t, dd_rpmdb_blob_fn, void *, dd_err_t *);

static void xcheck_db(const char *rel, each_fn each, int want)
{
    size_t len = 0;
    uint8_t *data = slurp(rel, &len);
    struct xcheck x = {0};
    dd_err_t e = {0};
    CHECK_INT(each(data, len, check_blob, &x, &e), DD_OK);
    CHECK_INT(x.blobs, want);
    CHECK_INT(x.mismatches, 0);
    free(data);
}

TEST(librpm_agrees_sqlite)
{
    xcheck_db("catalog/rpm/cbl-mariner-2.0/rpmdb.sqlite", dd_rpmdb_sqlite_each, 129);
}

TEST(librpm_agrees_bdb)
{
    xcheck_db("catalog/rpm/libuuid-bdb/Packages", dd_rpmdb_bdb_each, 1);
}

TEST(librpm_agrees_ndb)
{
    xcheck_db("catalog/rpm/sle15-ndb/Packages.db", dd_rpmdb_ndb_each, 35);
}

TEST_MAIN(RUN(librpm_agrees_sqlite); RUN(librpm_agrees_bdb); RUN(librpm_agrees_ndb))
