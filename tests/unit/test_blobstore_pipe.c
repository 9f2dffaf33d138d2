/*
 * test_blobstore_pipe.c: the "fs" driver's ring (large uploads are written
 * and hashed on helper threads while the holder fills the next buffer),
 * through the page cache. Checks that the digest stays right across holds,
 * odd write sizes, a failed write in the middle of a pipelined stream, an
 * abort while the pipe runs, and a sha512 commit.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dd/blobstore.h"
#include "storage/storage_int.h"
#include "test.h"

static char root[256];

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
    (void)sb, (void)flag, (void)f;
    return remove(p);
}

static void cleanup(void)
{
    if (root[0]) nftw(root, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    root[0] = '\0';
}

static dd_blobstore_t *fresh(void)
{
    cleanup();
    snprintf(root, sizeof root, "/tmp/dd-test-pipe-XXXXXX");
    if (!mkdtemp(root)) abort();
    char p[300];
    snprintf(p, sizeof p, "%s/blobs", root);
    dd_blobstore_t *bs = NULL;
    if (dd_blobstore_open("fs", p, &bs, NULL) != DD_OK) abort();
    return bs;
}

static unsigned char *pattern(size_t n, unsigned seed)
{
    unsigned char *p = malloc(n);
    unsigned x = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        p[i] = (unsigned char)(x >> 16);
    }
    return p;
}

static int blob_equals(dd_blobstore_t *bs, const dd_digest_t *d, const void *want, size_t n)
{
    dd_blob_reader_t r;
    if (dd_blobstore_open_read(bs, d, &r, NULL) != DD_OK) return 0;
    unsigned char *got = malloc(n);
    int ok = r.size == n && dd_blob_reader_pread(&r, 0, got, n) == (ssize_t)n && memcmp(got, want, n) == 0;
    free(got);
    dd_blob_reader_close(&r);
    return ok;
}

/* Writes data[off, end) in pieces cycling through sizes[]. */
static int write_pieces(dd_upload_t *u, const unsigned char *data, size_t off, size_t end)
{
    static const size_t sizes[] = {32768, 29696, 1, 262144, 100000, 1048576 + 3, 4096};
    size_t k = 0;
    while (off < end) {
        size_t c = sizes[k++ % 7];
        if (c > end - off) c = end - off;
        int rc = dd_upload_write(u, data + off, c, NULL);
        if (rc != DD_OK) return rc;
        off += c;
    }
    return DD_OK;
}

/* Test data of n bytes (seed), its sha256 in *d, and a new upload uuid. */
static unsigned char *begin(dd_blobstore_t *bs, const char *uuid, size_t n, unsigned seed, dd_digest_t *d,
                            dd_upload_t **u)
{
    unsigned char *data = pattern(n, seed);
    dd_digest_buf(DD_DIGEST_SHA256, data, n, d);
    if (dd_blobstore_upload_create(bs, uuid, u, NULL) != DD_OK) abort();
    return data;
}

TEST(pipelined_upload_across_holds)
{
    dd_blobstore_t *bs = fresh();
    size_t n = 21 * 1024 * 1024 + 12345; /* several KICK ranges, unaligned */
    dd_digest_t d;
    dd_upload_t *u;
    unsigned char *data = begin(bs, "p1", n, 7, &d, &u);
    /* three holds, like POST + PATCH + PATCH + PUT */
    size_t cut1 = 700000, cut2 = 9 * 1024 * 1024 + 1;
    CHECK_INT(write_pieces(u, data, 0, cut1), DD_OK);
    CHECK_INT(dd_upload_size(u), cut1);
    dd_upload_release(u);
    CHECK_INT(dd_blobstore_upload_open(bs, "p1", &u, NULL), DD_OK);
    CHECK_INT(write_pieces(u, data, cut1, cut2), DD_OK);
    CHECK_INT(dd_upload_size(u), cut2);
    dd_upload_release(u);
    CHECK_INT(dd_blobstore_upload_open(bs, "p1", &u, NULL), DD_OK);
    CHECK_INT(dd_upload_size(u), cut2);
    CHECK_INT(write_pieces(u, data, cut2, n), DD_OK);
    uint64_t size = 0;
    CHECK_INT(dd_upload_commit(u, &d, &size, NULL), DD_OK);
    CHECK_INT(size, n);
    CHECK(blob_equals(bs, &d, data, n));
    free(data);
    dd_blobstore_close(bs);
}

/* A ring write fails (fault point `point`); the session resumes from the
 * size it reports and commits with the right digest. */
static void fault_then_resume(const char *point)
{
    dd_blobstore_t *bs = fresh();
    size_t n = 6 * 1024 * 1024 + 5;
    dd_digest_t d;
    dd_upload_t *u;
    unsigned char *data = begin(bs, "pf", n, 9, &d, &u);
    CHECK_INT(write_pieces(u, data, 0, 3 * 1024 * 1024), DD_OK); /* the ring runs by now */
    uint64_t synced = 0;
    CHECK_INT(dd_upload_sync(u, &synced, NULL), DD_OK); /* so the fault hits a later buffer */
    CHECK_INT(synced, 3 * 1024 * 1024);
    dd_storage_fault_set(point, 1);
    int rc = write_pieces(u, data, 3 * 1024 * 1024, n);
    /* buffers are written in the background: the failure shows in a later
     * write or, at the latest, in dd_upload_sync */
    if (rc == DD_OK) rc = dd_upload_sync(u, &synced, NULL);
    dd_storage_fault_set(NULL, 0);
    CHECK_INT(rc, DD_EIO);
    CHECK_INT(dd_upload_sync(u, &synced, NULL), DD_OK); /* reported once */
    /* the reported size is what is on disk and hashed: resume from it */
    uint64_t at = dd_upload_size(u);
    char p[400];
    struct stat sb;
    snprintf(p, sizeof p, "%s/blobs/_uploads/pf/data", root);
    CHECK(stat(p, &sb) == 0 && (uint64_t)sb.st_size == at);
    CHECK(at >= 2 * 1024 * 1024 && at < n); /* gathered, unwritten bytes are dropped too */
    CHECK_INT(write_pieces(u, data, (size_t)at, n), DD_OK);
    CHECK_INT(dd_upload_commit(u, &d, NULL, NULL), DD_OK);
    CHECK(blob_equals(bs, &d, data, n));

    /* a digest mismatch after a pipelined stream drops the session */
    CHECK_INT(dd_blobstore_upload_create(bs, "pm", &u, NULL), DD_OK);
    CHECK_INT(write_pieces(u, data, 0, n - 1), DD_OK);
    CHECK_INT(dd_upload_commit(u, &d, NULL, NULL), DD_EDIGEST);
    CHECK_INT(dd_blobstore_upload_open(bs, "pm", &u, NULL), DD_ENOTFOUND);
    free(data);
    dd_blobstore_close(bs);
}

TEST(pipelined_write_fault_then_resume)
{
    /* the write fails at once: the hasher may or may not have the buffer */
    fault_then_resume("blob_write");
    /* the write fails after 50 ms: the hasher has hashed the buffer (and
     * maybe the next ones) and the drain must put the hash back */
    fault_then_resume("blob_write_late");
}

TEST(pipelined_abort_and_sha512)
{
    dd_blobstore_t *bs = fresh();
    size_t n = 5 * 1024 * 1024 + 77;
    unsigned char *data = pattern(n, 11);
    dd_upload_t *u;
    /* aborted by another request while the pipe runs: writes fail, release frees */
    CHECK_INT(dd_blobstore_upload_create(bs, "pa", &u, NULL), DD_OK);
    CHECK_INT(write_pieces(u, data, 0, 2 * 1024 * 1024), DD_OK);
    CHECK_INT(dd_blobstore_upload_abort(bs, "pa"), DD_OK);
    CHECK(dd_upload_write(u, data, 4096, NULL) != DD_OK);
    dd_upload_release(u);
    /* sha512 is re-hashed from the file at commit */
    dd_digest_t d;
    dd_digest_buf(DD_DIGEST_SHA512, data, n, &d);
    CHECK_INT(dd_blobstore_upload_create(bs, "p5", &u, NULL), DD_OK);
    CHECK_INT(write_pieces(u, data, 0, n), DD_OK);
    CHECK_INT(dd_upload_commit(u, &d, NULL, NULL), DD_OK);
    CHECK(blob_equals(bs, &d, data, n));
    free(data);
    dd_blobstore_close(bs);
}

TEST(ring_followed_by_a_reader)
{
    /* a reader opened mid-upload (the scanner) reads every byte as
     * written, and the digest holds */
    dd_blobstore_t *bs = fresh();
    size_t n = 9 * 1024 * 1024 + 333;
    dd_digest_t d;
    dd_upload_t *u;
    unsigned char *data = begin(bs, "rf", n, 13, &d, &u);
    CHECK_INT(write_pieces(u, data, 0, 4 * 1024 * 1024 + 7), DD_OK);
    dd_blob_reader_t r;
    CHECK_INT(dd_blobstore_upload_reader(bs, "rf", &r, NULL), DD_OK);
    CHECK_INT(write_pieces(u, data, 4 * 1024 * 1024 + 7, n), DD_OK);
    uint64_t at = 0;
    CHECK_INT(dd_upload_sync(u, &at, NULL), DD_OK);
    CHECK_INT(at, n);
    unsigned char *got = malloc(n);
    size_t have = 0;
    while (have < n) {
        ssize_t k = pread(r.fd, got + have, n - have, (off_t)have);
        if (k <= 0) break;
        have += (size_t)k;
    }
    CHECK_INT(have, n);
    CHECK(memcmp(got, data, n) == 0);
    free(got);
    dd_blob_reader_close(&r);
    CHECK_INT(dd_upload_commit(u, &d, NULL, NULL), DD_OK);
    CHECK(blob_equals(bs, &d, data, n));
    free(data);
    dd_blobstore_close(bs);
}

/* Pages of [off, off+len) of published blob d resident in the page cache,
 * or -1. */
static long blob_resident(const dd_digest_t *d, size_t off, size_t len)
{
    char path[400];
    snprintf(path, sizeof path, "%s/blobs/sha256/%.2s/%s", root, dd_digest_hex(d), dd_digest_hex(d));
    int fd = open(path, O_RDONLY);
    if (fd < 0) return -1;
    void *m = mmap(NULL, off + len, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (m == MAP_FAILED) return -1;
    size_t pg = (size_t)sysconf(_SC_PAGESIZE), np = len / pg;
    unsigned char *v = malloc(np);
    long in = -1;
    if (mincore((char *)m + off, np * pg, v) == 0) {
        in = 0;
        for (size_t i = 0; i < np; i++) in += v[i] & 1;
    }
    free(v);
    munmap(m, off + len);
    return in;
}

TEST(fresh_blob_stays_in_the_page_cache)
{
    /* the ring writes through the page cache and nothing drops the pages
     * after the commit's fsync, so the first pull of a just-pushed blob is
     * served from memory (issue 15; the ring used to write with O_DIRECT),
     * whether or not a reader looked at the first bytes meanwhile */
    dd_blobstore_t *bs = fresh();
    size_t n = 16 * 1024 * 1024;
    dd_digest_t d;
    dd_upload_t *u;
    unsigned char *data = begin(bs, "sn", n, 19, &d, &u);
    dd_upload_expect(u, n);
    CHECK_INT(write_pieces(u, data, 0, 2 * 1024 * 1024), DD_OK);
    uint64_t at = 0;
    CHECK_INT(dd_upload_sync(u, &at, NULL), DD_OK); /* the ring wrote them */
    dd_blob_reader_t r;
    CHECK_INT(dd_blobstore_upload_reader(bs, "sn", &r, NULL), DD_OK);
    unsigned char head[512];
    CHECK(pread(r.fd, head, sizeof head, 0) > 0);
    dd_blob_reader_close(&r);
    CHECK_INT(write_pieces(u, data, 2 * 1024 * 1024, n), DD_OK);
    CHECK_INT(dd_upload_commit(u, &d, NULL, NULL), DD_OK);
    long in = blob_resident(&d, 0, n);
    CHECK(in >= 0);
    CHECK(in >= 4096 * 9 / 10); /* of 4096 (a little slack for memory pressure) */
    CHECK(blob_equals(bs, &d, data, n));
    free(data);
    dd_blobstore_close(bs);
}

TEST(announced_hold_starts_the_ring_at_once)
{
    /* upload_expect of a long body: the ring takes the stream from its
     * first byte (without the announcement the first MiB is gathered and
     * written inline); a second hold, announced or not, continues the
     * same digest */
    dd_blobstore_t *bs = fresh();
    size_t n = 6 * 1024 * 1024 + 4097, first = 3 * 1024 * 1024;
    dd_digest_t d;
    dd_upload_t *u;
    unsigned char *data = begin(bs, "ex", n, 23, &d, &u);
    dd_upload_expect(u, first);
    CHECK_INT(write_pieces(u, data, 0, first), DD_OK);
    dd_upload_release(u);
    CHECK_INT(dd_blobstore_upload_open(bs, "ex", &u, NULL), DD_OK);
    CHECK_INT(write_pieces(u, data, first, n), DD_OK); /* not announced */
    CHECK_INT(dd_upload_commit(u, &d, NULL, NULL), DD_OK);
    CHECK(blob_equals(bs, &d, data, n));
    free(data);
    dd_blobstore_close(bs);
}

TEST(hold_refused_a_ring_goes_inline_then_gets_one)
{
    /* while one hold has the ring (one per two CPUs: the only one on
     * small machines), another writes inline, with early writeback; when
     * the ring is let go, the second hold takes it a MiB later, mid-way
     * through its stream; both digests hold */
    dd_blobstore_t *bs = fresh();
    size_t n = 12 * 1024 * 1024 + 77;
    dd_digest_t da, db;
    dd_upload_t *ua, *ub;
    unsigned char *a = begin(bs, "ra", n, 29, &da, &ua);
    unsigned char *b = begin(bs, "rb", n, 31, &db, &ub);
    CHECK_INT(write_pieces(ua, a, 0, 2 * 1024 * 1024), DD_OK); /* ua has the ring now */
    CHECK_INT(write_pieces(ub, b, 0, 5 * 1024 * 1024), DD_OK); /* inline, asking again per MiB */
    CHECK_INT(write_pieces(ua, a, 2 * 1024 * 1024, n), DD_OK);
    CHECK_INT(dd_upload_commit(ua, &da, NULL, NULL), DD_OK);   /* the ring is free */
    CHECK_INT(write_pieces(ub, b, 5 * 1024 * 1024, n), DD_OK);
    uint64_t at = 0;
    CHECK_INT(dd_upload_sync(ub, &at, NULL), DD_OK);
    CHECK_INT(at, n);
    CHECK_INT(dd_upload_commit(ub, &db, NULL, NULL), DD_OK);
    CHECK(blob_equals(bs, &da, a, n));
    CHECK(blob_equals(bs, &db, b, n));
    free(a);
    free(b);
    dd_blobstore_close(bs);
}

TEST(large_duplicate_is_dropped_in_the_background)
{
    /* a second upload of a published 9 MiB blob commits without touching
     * the published copy; its own bytes are unlinked off the caller's
     * thread (renamed into _tmp/ first), so _tmp/ empties soon after */
    dd_blobstore_t *bs = fresh();
    size_t n = 9 * 1024 * 1024 + 1;
    dd_digest_t d;
    dd_upload_t *u;
    unsigned char *data = begin(bs, "d1", n, 17, &d, &u);
    CHECK_INT(write_pieces(u, data, 0, n), DD_OK);
    CHECK_INT(dd_upload_commit(u, &d, NULL, NULL), DD_OK);
    CHECK_INT(dd_blobstore_upload_create(bs, "d2", &u, NULL), DD_OK);
    CHECK_INT(write_pieces(u, data, 0, n), DD_OK);
    uint64_t size = 0;
    CHECK_INT(dd_upload_commit(u, &d, &size, NULL), DD_OK);
    CHECK_INT(size, n);
    CHECK(blob_equals(bs, &d, data, n));
    char p[400];
    snprintf(p, sizeof p, "%s/blobs/_uploads/d2", root);
    struct stat sb;
    CHECK(stat(p, &sb) != 0); /* the session is gone */
    snprintf(p, sizeof p, "%s/blobs/_tmp", root);
    int left = -1;
    for (int tries = 0; tries < 200 && left != 0; tries++) {
        left = 0;
        DIR *dh = opendir(p);
        struct dirent *de;
        while (dh && (de = readdir(dh)) != NULL)
            if (de->d_name[0] != '.') left++;
        if (dh) closedir(dh);
        if (left) usleep(10000);
    }
    CHECK_INT(left, 0);
    free(data);
    dd_blobstore_close(bs);
}

TEST_MAIN(RUN(pipelined_upload_across_holds); RUN(pipelined_write_fault_then_resume);
          RUN(pipelined_abort_and_sha512); RUN(ring_followed_by_a_reader);
          RUN(fresh_blob_stays_in_the_page_cache); RUN(announced_hold_starts_the_ring_at_once);
          RUN(hold_refused_a_ring_goes_inline_then_gets_one);
          RUN(large_duplicate_is_dropped_in_the_background); cleanup())
