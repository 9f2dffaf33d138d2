/*
 * test_blobstore.c: the "fs" blob store driver through the dd_blobstore_*
 * wrappers: chunked uploads, sha512, digest mismatch, resume after a
 * restart, abort, expire, concurrent commits, put(), each(), and fault
 * injection (a failed write, fsync or rename never leaves a visible blob),
 * and upload_stat (an upload's stored size while another request holds it).
 */
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
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

static void rm_rf(const char *p)
{
    nftw(p, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static dd_blobstore_t *fresh(void)
{
    if (root[0]) rm_rf(root);
    snprintf(root, sizeof root, "/tmp/dd-test-blob-XXXXXX");
    if (!mkdtemp(root)) abort();
    char p[300];
    snprintf(p, sizeof p, "%s/blobs", root);
    dd_blobstore_t *bs = NULL;
    dd_err_t e;
    if (dd_blobstore_open("fs", p, &bs, &e) != DD_OK) {
        fprintf(stderr, "open: %s\n", e.msg);
        abort();
    }
    return bs;
}

static dd_blobstore_t *reopen(dd_blobstore_t *bs)
{
    dd_blobstore_close(bs);
    char p[300];
    snprintf(p, sizeof p, "%s/blobs", root);
    dd_blobstore_t *n = NULL;
    if (dd_blobstore_open("fs", p, &n, NULL) != DD_OK) abort();
    return n;
}

static unsigned char *pattern(size_t n, unsigned seed)
{
    unsigned char *p = malloc(n ? n : 1);
    unsigned x = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        p[i] = (unsigned char)(x >> 16);
    }
    return p;
}

/* Reads the whole blob through its fd and compares it with want. */
static int blob_equals(dd_blobstore_t *bs, const dd_digest_t *d, const void *want, size_t n)
{
    dd_blob_reader_t r;
    if (dd_blobstore_open_read(bs, d, &r, NULL) != DD_OK) return 0;
    int ok = r.fd >= 0 && r.size == n;
    if (ok) {
        unsigned char *got = malloc(n ? n : 1);
        ok = dd_blob_reader_pread(&r, 0, got, n) == (ssize_t)n && memcmp(got, want, n) == 0;
        free(got);
    }
    dd_blob_reader_close(&r);
    return ok;
}

static int count_cb(const dd_digest_t *d, uint64_t size, void *arg)
{
    (void)d, (void)size;
    (*(int *)arg)++;
    return 0;
}

static int count_blobs(dd_blobstore_t *bs)
{
    int n = 0;
    dd_blobstore_each(bs, count_cb, &n);
    return n;
}

static int count_dir(const char *sub)
{
    char p[400];
    snprintf(p, sizeof p, "%s/blobs/%s", root, sub);
    int n = 0;
    DIR *dh = opendir(p);
    if (!dh) return -1;
    struct dirent *de;
    while ((de = readdir(dh)) != NULL)
        if (de->d_name[0] != '.') n++;
    closedir(dh);
    return n;
}

TEST(chunked_upload_and_read)
{
    dd_blobstore_t *bs = fresh();
    size_t n = 3 * 1024 * 1024 + 17;
    unsigned char *data = pattern(n, 1);
    dd_digest_t d;
    dd_digest_buf(DD_DIGEST_SHA256, data, n, &d);

    dd_upload_t *u;
    dd_err_t e;
    CHECK_INT(dd_blobstore_upload_create(bs, "u1", &u, &e), DD_OK);
    /* chunks of mixed sizes: tiny, buffered, larger than the buffer */
    size_t sizes[] = {1, 100, 4096, 65536, 300000, 1000000, 7};
    size_t off = 0, k = 0;
    while (off < n) {
        size_t c = sizes[k++ % 7];
        if (c > n - off) c = n - off;
        CHECK_INT(dd_upload_write(u, data + off, c, &e), DD_OK);
        off += c;
        if (k % 3 == 0) CHECK_INT(dd_upload_size(u), off);
    }
    CHECK_INT(dd_upload_size(u), n);
    CHECK_INT(dd_blobstore_stat(bs, &d, NULL), DD_ENOTFOUND); /* not visible before commit */
    uint64_t size = 0;
    CHECK_INT(dd_upload_commit(u, &d, &size, &e), DD_OK);
    CHECK_INT(size, n);
    uint64_t st = 0;
    CHECK_INT(dd_blobstore_stat(bs, &d, &st), DD_OK);
    CHECK_INT(st, n);
    CHECK(blob_equals(bs, &d, data, n));
    /* the session is gone */
    CHECK_INT(dd_blobstore_upload_open(bs, "u1", &u, NULL), DD_ENOTFOUND);
    CHECK_INT(count_dir("_uploads"), 0);

    /* partial read through the reader */
    dd_blob_reader_t r;
    CHECK_INT(dd_blobstore_open_read(bs, &d, &r, NULL), DD_OK);
    unsigned char buf[10];
    CHECK_INT(dd_blob_reader_pread(&r, n - 5, buf, 10), 5);
    CHECK(memcmp(buf, data + n - 5, 5) == 0);
    dd_blob_reader_close(&r);
    free(data);
    dd_blobstore_close(bs);
}

TEST(empty_blob)
{
    dd_blobstore_t *bs = fresh();
    dd_digest_t d;
    dd_digest_buf(DD_DIGEST_SHA256, "", 0, &d);
    dd_upload_t *u;
    CHECK_INT(dd_blobstore_upload_create(bs, "empty", &u, NULL), DD_OK);
    uint64_t size = 99;
    CHECK_INT(dd_upload_commit(u, &d, &size, NULL), DD_OK);
    CHECK_INT(size, 0);
    CHECK(blob_equals(bs, &d, "", 0));
    dd_blobstore_close(bs);
}

TEST(sha512_commit)
{
    dd_blobstore_t *bs = fresh();
    size_t n = 500000;
    unsigned char *data = pattern(n, 2);
    dd_digest_t d;
    dd_digest_buf(DD_DIGEST_SHA512, data, n, &d);
    dd_upload_t *u;
    CHECK_INT(dd_blobstore_upload_create(bs, "u512", &u, NULL), DD_OK);
    CHECK_INT(dd_upload_write(u, data, 1000, NULL), DD_OK);
    CHECK_INT(dd_upload_write(u, data + 1000, n - 1000, NULL), DD_OK);
    uint64_t size;
    dd_err_t e;
    CHECK_INT(dd_upload_commit(u, &d, &size, &e), DD_OK);
    CHECK_INT(size, n);
    CHECK(blob_equals(bs, &d, data, n));
    CHECK_INT(count_blobs(bs), 1);
    free(data);
    dd_blobstore_close(bs);
}

TEST(digest_mismatch_drops_session)
{
    dd_blobstore_t *bs = fresh();
    dd_digest_t wrong;
    dd_digest_buf(DD_DIGEST_SHA256, "other", 5, &wrong);
    dd_upload_t *u;
    CHECK_INT(dd_blobstore_upload_create(bs, "bad", &u, NULL), DD_OK);
    CHECK_INT(dd_upload_write(u, "hello", 5, NULL), DD_OK);
    dd_err_t e = {0};
    uint64_t size;
    CHECK_INT(dd_upload_commit(u, &wrong, &size, &e), DD_EDIGEST);
    CHECK(strstr(e.msg, "mismatch") != NULL);
    CHECK_INT(dd_blobstore_upload_open(bs, "bad", &u, NULL), DD_ENOTFOUND);
    CHECK_INT(dd_blobstore_stat(bs, &wrong, NULL), DD_ENOTFOUND);
    CHECK_INT(count_blobs(bs), 0);
    CHECK_INT(count_dir("_uploads"), 0);

    /* same with sha512 */
    dd_digest_buf(DD_DIGEST_SHA512, "other", 5, &wrong);
    CHECK_INT(dd_blobstore_upload_create(bs, "bad2", &u, NULL), DD_OK);
    CHECK_INT(dd_upload_write(u, "hello", 5, NULL), DD_OK);
    CHECK_INT(dd_upload_commit(u, &wrong, &size, NULL), DD_EDIGEST);
    CHECK_INT(count_blobs(bs), 0);
    dd_blobstore_close(bs);
}

TEST(resume_after_restart)
{
    dd_blobstore_t *bs = fresh();
    size_t n = 2 * 1024 * 1024 + 3;
    unsigned char *data = pattern(n, 3);
    dd_digest_t d;
    dd_digest_buf(DD_DIGEST_SHA256, data, n, &d);
    dd_upload_t *u;
    CHECK_INT(dd_blobstore_upload_create(bs, "resume-1", &u, NULL), DD_OK);
    CHECK_INT(dd_upload_write(u, data, 1234567, NULL), DD_OK);
    dd_upload_release(u);

    /* same process: reopen without rehash, continue */
    CHECK_INT(dd_blobstore_upload_open(bs, "resume-1", &u, NULL), DD_OK);
    CHECK_INT(dd_upload_size(u), 1234567);
    CHECK_INT(dd_upload_write(u, data + 1234567, 10, NULL), DD_OK);
    dd_upload_release(u);

    /* "restart": no in-memory state, upload_open re-hashes */
    bs = reopen(bs);
    CHECK_INT(dd_blobstore_upload_open(bs, "resume-1", &u, NULL), DD_OK);
    CHECK_INT(dd_upload_size(u), 1234577);
    CHECK_INT(dd_upload_write(u, data + 1234577, n - 1234577, NULL), DD_OK);
    uint64_t size;
    CHECK_INT(dd_upload_commit(u, &d, &size, NULL), DD_OK);
    CHECK_INT(size, n);
    CHECK(blob_equals(bs, &d, data, n));
    free(data);
    dd_blobstore_close(bs);
}

TEST(busy_and_invalid)
{
    dd_blobstore_t *bs = fresh();
    dd_upload_t *u, *u2;
    CHECK_INT(dd_blobstore_upload_create(bs, "held", &u, NULL), DD_OK);
    CHECK_INT(dd_blobstore_upload_open(bs, "held", &u2, NULL), DD_EBUSY);
    CHECK_INT(dd_blobstore_upload_create(bs, "held", &u2, NULL), DD_EEXIST);
    dd_upload_release(u);
    CHECK_INT(dd_blobstore_upload_open(bs, "held", &u2, NULL), DD_OK);
    dd_upload_release(u2);
    CHECK_INT(dd_blobstore_upload_create(bs, "../x", &u, NULL), DD_EINVAL);
    CHECK_INT(dd_blobstore_upload_create(bs, "", &u, NULL), DD_EINVAL);
    CHECK_INT(dd_blobstore_upload_open(bs, "a/b", &u, NULL), DD_ENOTFOUND);
    CHECK_INT(dd_blobstore_upload_open(bs, "nope", &u, NULL), DD_ENOTFOUND);
    dd_blobstore_t *x = NULL;
    CHECK_INT(dd_blobstore_open("nope", root, &x, NULL), DD_EUNSUPPORTED);
    dd_blobstore_close(bs);
}

TEST(abort_session)
{
    dd_blobstore_t *bs = fresh();
    dd_upload_t *u;
    CHECK_INT(dd_blobstore_upload_create(bs, "ab1", &u, NULL), DD_OK);
    CHECK_INT(dd_upload_write(u, "abc", 3, NULL), DD_OK);
    dd_upload_release(u);
    CHECK_INT(dd_blobstore_upload_abort(bs, "ab1"), DD_OK);
    CHECK_INT(dd_blobstore_upload_open(bs, "ab1", &u, NULL), DD_ENOTFOUND);
    CHECK_INT(dd_blobstore_upload_abort(bs, "ab1"), DD_ENOTFOUND);

    /* abort while another request holds it: its next write fails */
    CHECK_INT(dd_blobstore_upload_create(bs, "ab2", &u, NULL), DD_OK);
    CHECK_INT(dd_blobstore_upload_abort(bs, "ab2"), DD_OK);
    CHECK(dd_upload_write(u, "abc", 3, NULL) != DD_OK);
    dd_upload_release(u);
    CHECK_INT(dd_blobstore_upload_open(bs, "ab2", &u, NULL), DD_ENOTFOUND);

    /* abort while held, then the holder commits */
    CHECK_INT(dd_blobstore_upload_create(bs, "ab3", &u, NULL), DD_OK);
    CHECK_INT(dd_upload_write(u, "abc", 3, NULL), DD_OK);
    CHECK_INT(dd_blobstore_upload_abort(bs, "ab3"), DD_OK);
    dd_digest_t d;
    dd_digest_buf(DD_DIGEST_SHA256, "abc", 3, &d);
    CHECK(dd_upload_commit(u, &d, NULL, NULL) != DD_OK);
    CHECK_INT(count_blobs(bs), 0);

    /* abort after restart (session only on disk) */
    CHECK_INT(dd_blobstore_upload_create(bs, "ab4", &u, NULL), DD_OK);
    dd_upload_release(u);
    bs = reopen(bs);
    CHECK_INT(dd_blobstore_upload_abort(bs, "ab4"), DD_OK);
    CHECK_INT(count_dir("_uploads"), 0);
    dd_blobstore_close(bs);
}

static void age(const char *uuid, int64_t seconds)
{
    char p[400];
    snprintf(p, sizeof p, "%s/blobs/_uploads/%s/data", root, uuid);
    struct timespec ts[2];
    clock_gettime(CLOCK_REALTIME, &ts[0]);
    ts[0].tv_sec -= seconds;
    ts[1] = ts[0];
    utimensat(AT_FDCWD, p, ts, 0);
}

TEST(expire)
{
    dd_blobstore_t *bs = fresh();
    dd_upload_t *u, *held;
    CHECK_INT(dd_blobstore_upload_create(bs, "old1", &u, NULL), DD_OK);
    CHECK_INT(dd_upload_write(u, "x", 1, NULL), DD_OK);
    dd_upload_release(u);
    CHECK_INT(dd_blobstore_upload_create(bs, "old-held", &held, NULL), DD_OK);
    CHECK_INT(dd_blobstore_upload_create(bs, "new1", &u, NULL), DD_OK);
    dd_upload_release(u);
    CHECK_INT(dd_blobstore_upload_create(bs, "old2", &u, NULL), DD_OK);
    dd_upload_release(u);
    age("old1", 7200);
    age("old-held", 7200);
    age("old2", 7200);
    size_t n = 99;
    CHECK_INT(dd_blobstore_upload_expire(bs, 3600 * 1000, &n), DD_OK);
    CHECK_INT(n, 2);
    CHECK_INT(dd_blobstore_upload_open(bs, "old1", &u, NULL), DD_ENOTFOUND);
    CHECK_INT(dd_blobstore_upload_open(bs, "old2", &u, NULL), DD_ENOTFOUND);
    CHECK_INT(dd_blobstore_upload_open(bs, "new1", &u, NULL), DD_OK);
    dd_upload_release(u);
    dd_upload_release(held);
    CHECK_INT(dd_blobstore_upload_open(bs, "old-held", &u, NULL), DD_OK);
    dd_upload_release(u);
    /* after a restart, on-disk sessions expire too */
    bs = reopen(bs);
    age("new1", 7200);
    CHECK_INT(dd_blobstore_upload_expire(bs, 3600 * 1000, &n), DD_OK);
    CHECK_INT(n, 2);
    CHECK_INT(count_dir("_uploads"), 0);
    dd_blobstore_close(bs);
}

struct cc_arg {
    dd_blobstore_t *bs;
    const unsigned char *data;
    size_t n;
    const dd_digest_t *d;
    int idx;
    int rc;
};

static void *cc_thread(void *p)
{
    struct cc_arg *a = p;
    char uuid[32];
    snprintf(uuid, sizeof uuid, "cc-%d", a->idx);
    dd_upload_t *u;
    a->rc = dd_blobstore_upload_create(a->bs, uuid, &u, NULL);
    if (a->rc != DD_OK) return NULL;
    for (size_t off = 0; off < a->n; off += 65536) {
        size_t c = a->n - off < 65536 ? a->n - off : 65536;
        if ((a->rc = dd_upload_write(u, a->data + off, c, NULL)) != DD_OK) {
            dd_upload_release(u);
            return NULL;
        }
    }
    a->rc = dd_upload_commit(u, a->d, NULL, NULL);
    return NULL;
}

TEST(concurrent_commits_same_digest)
{
    dd_blobstore_t *bs = fresh();
    size_t n = 1024 * 1024 + 5;
    unsigned char *data = pattern(n, 4);
    dd_digest_t d;
    dd_digest_buf(DD_DIGEST_SHA256, data, n, &d);
    pthread_t th[8];
    struct cc_arg args[8];
    for (int i = 0; i < 8; i++) {
        args[i] = (struct cc_arg){bs, data, n, &d, i, -100};
        pthread_create(&th[i], NULL, cc_thread, &args[i]);
    }
    for (int i = 0; i < 8; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < 8; i++) CHECK_INT(args[i].rc, DD_OK);
    CHECK_INT(count_blobs(bs), 1);
    CHECK(blob_equals(bs, &d, data, n));
    CHECK_INT(count_dir("_uploads"), 0);
    /* put() of the same digest in parallel with nothing: still one copy */
    CHECK_INT(dd_blobstore_put(bs, &d, data, n, NULL), DD_OK);
    CHECK_INT(count_blobs(bs), 1);
    free(data);
    dd_blobstore_close(bs);
}

TEST(put_small_blobs_and_each)
{
    dd_blobstore_t *bs = fresh();
    const char *m = "{\"schemaVersion\":2}";
    dd_digest_t d, d512, wrong;
    dd_digest_buf(DD_DIGEST_SHA256, m, strlen(m), &d);
    dd_digest_buf(DD_DIGEST_SHA512, m, strlen(m), &d512);
    dd_digest_buf(DD_DIGEST_SHA256, "zzz", 3, &wrong);
    dd_err_t e;
    CHECK_INT(dd_blobstore_put(bs, &d, m, strlen(m), &e), DD_OK);
    CHECK_INT(dd_blobstore_put(bs, &d, m, strlen(m), &e), DD_OK); /* idempotent */
    CHECK_INT(dd_blobstore_put(bs, &d512, m, strlen(m), &e), DD_OK);
    CHECK_INT(dd_blobstore_put(bs, &wrong, m, strlen(m), &e), DD_EDIGEST);
    CHECK_INT(dd_blobstore_stat(bs, &wrong, NULL), DD_ENOTFOUND);
    CHECK(blob_equals(bs, &d, m, strlen(m)));
    CHECK(blob_equals(bs, &d512, m, strlen(m)));
    CHECK_INT(count_blobs(bs), 2);
    CHECK_INT(count_dir("_tmp"), 0);

    /* a stray file in a fan-out dir is not a blob */
    char p[400];
    snprintf(p, sizeof p, "%s/blobs/sha256/00/junk", root);
    FILE *f = fopen(p, "w");
    if (f) fclose(f);
    CHECK_INT(count_blobs(bs), 2);

    CHECK_INT(dd_blobstore_remove(bs, &d), DD_OK);
    CHECK_INT(dd_blobstore_remove(bs, &d), DD_ENOTFOUND);
    CHECK_INT(dd_blobstore_stat(bs, &d, NULL), DD_ENOTFOUND);
    dd_blob_reader_t r;
    CHECK_INT(dd_blobstore_open_read(bs, &d, &r, &e), DD_ENOTFOUND);
    CHECK_INT(count_blobs(bs), 1);
    dd_blobstore_close(bs);
}

static int stop_cb(const dd_digest_t *d, uint64_t size, void *arg)
{
    (void)d, (void)size;
    (*(int *)arg)++;
    return 7;
}

TEST(each_stops)
{
    dd_blobstore_t *bs = fresh();
    for (int i = 0; i < 5; i++) {
        char s[16];
        snprintf(s, sizeof s, "b%d", i);
        dd_digest_t d;
        dd_digest_buf(DD_DIGEST_SHA256, s, strlen(s), &d);
        CHECK_INT(dd_blobstore_put(bs, &d, s, strlen(s), NULL), DD_OK);
    }
    CHECK_INT(count_blobs(bs), 5);
    int n = 0;
    CHECK_INT(dd_blobstore_each(bs, stop_cb, &n), 7);
    CHECK_INT(n, 1);
    dd_blobstore_close(bs);
}

TEST(fault_write_keeps_size_consistent)
{
    dd_blobstore_t *bs = fresh();
    size_t n = 1024 * 1024;
    unsigned char *data = pattern(n, 5);
    dd_digest_t d;
    dd_digest_buf(DD_DIGEST_SHA256, data, n, &d);
    dd_upload_t *u;
    CHECK_INT(dd_blobstore_upload_create(bs, "fw", &u, NULL), DD_OK);
    CHECK_INT(dd_upload_write(u, data, 300000, NULL), DD_OK); /* written directly */
    CHECK_INT(dd_upload_size(u), 300000);
    dd_storage_fault_set("blob_write", 1);
    dd_err_t e = {0};
    CHECK_INT(dd_upload_write(u, data + 300000, 300000, &e), DD_EIO);
    CHECK(strstr(e.msg, "No space") != NULL);
    CHECK_INT(dd_upload_size(u), 300000);
    char p[400];
    struct stat sb;
    snprintf(p, sizeof p, "%s/blobs/_uploads/fw/data", root);
    CHECK(stat(p, &sb) == 0 && sb.st_size == 300000);
    /* the client resumes from the reported size */
    CHECK_INT(dd_upload_write(u, data + 300000, n - 300000, NULL), DD_OK);
    CHECK_INT(dd_upload_commit(u, &d, NULL, NULL), DD_OK);
    CHECK(blob_equals(bs, &d, data, n));

    /* a failed flush of gathered small writes: size goes back too */
    CHECK_INT(dd_blobstore_upload_create(bs, "fw2", &u, NULL), DD_OK);
    CHECK_INT(dd_upload_write(u, data, 1000, NULL), DD_OK);
    CHECK_INT(dd_upload_size(u), 1000);
    CHECK_INT(dd_upload_write(u, data + 1000, 1000, NULL), DD_OK);
    dd_storage_fault_set("blob_write", 1);
    CHECK_INT(dd_upload_size(u), 1000);
    dd_upload_release(u);
    dd_storage_fault_set(NULL, 0);
    free(data);
    dd_blobstore_close(bs);
}

TEST(fault_publish_leaves_no_visible_blob)
{
    dd_blobstore_t *bs = fresh();
    size_t n = 100000;
    unsigned char *data = pattern(n, 6);
    dd_digest_t d;
    dd_digest_buf(DD_DIGEST_SHA256, data, n, &d);
    dd_upload_t *u;

    /* fsync fails at commit: nothing visible, session can be retried */
    CHECK_INT(dd_blobstore_upload_create(bs, "ff", &u, NULL), DD_OK);
    CHECK_INT(dd_upload_write(u, data, n, NULL), DD_OK);
    dd_storage_fault_set("blob_fsync", 1);
    CHECK_INT(dd_upload_commit(u, &d, NULL, NULL), DD_EIO);
    CHECK_INT(dd_blobstore_stat(bs, &d, NULL), DD_ENOTFOUND);
    CHECK_INT(dd_blobstore_upload_open(bs, "ff", &u, NULL), DD_OK);
    CHECK_INT(dd_upload_size(u), n);
    /* rename fails: nothing visible, session gone */
    dd_storage_fault_set("blob_rename", 1);
    CHECK_INT(dd_upload_commit(u, &d, NULL, NULL), DD_EIO);
    CHECK_INT(dd_blobstore_stat(bs, &d, NULL), DD_ENOTFOUND);
    CHECK_INT(count_dir("_uploads"), 0);

    /* put(): each fault point leaves nothing visible and no temp file */
    const char *pts[] = {"blob_write", "blob_fsync", "blob_rename"};
    for (int i = 0; i < 3; i++) {
        dd_storage_fault_set(pts[i], 1);
        CHECK_INT(dd_blobstore_put(bs, &d, data, n, NULL), DD_EIO);
        CHECK_INT(dd_blobstore_stat(bs, &d, NULL), DD_ENOTFOUND);
        CHECK_INT(count_dir("_tmp"), 0);
    }
    CHECK_INT(count_blobs(bs), 0);
    /* the Nth hit: the 2nd write fails */
    dd_storage_fault_set("blob_write", 2);
    CHECK_INT(dd_blobstore_put(bs, &d, data, n, NULL), DD_OK);
    CHECK_INT(dd_blobstore_upload_create(bs, "ff2", &u, NULL), DD_OK);
    CHECK_INT(dd_upload_write(u, data, n, NULL), DD_OK); /* gathered */
    CHECK_INT(dd_upload_size(u), 0);                     /* the flush failed */
    dd_upload_release(u);
    CHECK(blob_equals(bs, &d, data, n));
    dd_storage_fault_set(NULL, 0);
    free(data);
    dd_blobstore_close(bs);
}

struct stress_arg {
    dd_blobstore_t *bs;
    unsigned seed;
    int unexpected;
    int commits;
};

/* Random operations on 4 shared session ids from several threads: every
 * result must be one the contract allows, and ASan watches the table. */
static void *stress_thread(void *p)
{
    struct stress_arg *a = p;
    unsigned x = a->seed;
    static const char data[] = "0123456789abcdef0123456789abcdef";
    for (int i = 0; i < 400; i++) {
        x = x * 1103515245u + 12345u;
        char uuid[16];
        snprintf(uuid, sizeof uuid, "st%u", (x >> 8) % 4);
        dd_upload_t *u = NULL;
        int rc;
        switch ((x >> 16) % 5) {
        case 0:
            rc = dd_blobstore_upload_create(a->bs, uuid, &u, NULL);
            if (rc != DD_OK && rc != DD_EEXIST) a->unexpected++;
            break;
        case 1:
            rc = dd_blobstore_upload_open(a->bs, uuid, &u, NULL);
            if (rc != DD_OK && rc != DD_EBUSY && rc != DD_ENOTFOUND) a->unexpected++;
            break;
        case 2:
            rc = dd_blobstore_upload_abort(a->bs, uuid);
            if (rc != DD_OK && rc != DD_ENOTFOUND) a->unexpected++;
            break;
        case 3: {
            size_t n;
            if (dd_blobstore_upload_expire(a->bs, -1000, &n) != DD_OK) a->unexpected++;
            break;
        }
        default:
            break;
        }
        if (!u) continue;
        /* write a few pieces; an abort from another thread may cut in */
        int w = (int)((x >> 20) % 4);
        for (int k = 0; k < w; k++) {
            rc = dd_upload_write(u, data, (x >> 4) % 32 + 1, NULL);
            if (rc != DD_OK && rc != DD_ENOTFOUND) a->unexpected++;
        }
        (void)dd_upload_size(u);
        if ((x >> 24) % 3 == 0) {
            /* commit with whatever digest the bytes have: read them back first */
            dd_digest_t d;
            dd_digest_buf(DD_DIGEST_SHA256, "nope", 4, &d);
            rc = dd_upload_commit(u, &d, NULL, NULL);
            if (rc != DD_EDIGEST && rc != DD_ENOTFOUND && rc != DD_EIO) a->unexpected++;
            a->commits++;
        } else {
            dd_upload_release(u);
        }
    }
    return NULL;
}

TEST(session_table_stress)
{
    dd_blobstore_t *bs = fresh();
    pthread_t th[6];
    struct stress_arg args[6];
    for (int i = 0; i < 6; i++) {
        args[i] = (struct stress_arg){bs, (unsigned)i * 7919u + 1, 0, 0};
        pthread_create(&th[i], NULL, stress_thread, &args[i]);
    }
    for (int i = 0; i < 6; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < 6; i++) CHECK_INT(args[i].unexpected, 0);
    CHECK_INT(count_blobs(bs), 0);
    /* everything left is idle: expire clears it all */
    size_t n;
    CHECK_INT(dd_blobstore_upload_expire(bs, -1000, &n), DD_OK);
    CHECK_INT(count_dir("_uploads"), 0);
    dd_blobstore_close(bs);
}

/* upload_stat reports the bytes stored so far, whether or not a request
 * holds the session, and DD_ENOTFOUND once it is committed or unknown. */
TEST(upload_stat_while_held)
{
    dd_blobstore_t *bs = fresh();
    dd_upload_t *u = NULL;
    CHECK_INT(dd_blobstore_upload_create(bs, "0123456789abcdef0123456789abcdef", &u, NULL), DD_OK);
    if (!u) return;
    size_t n = 3 << 20;
    unsigned char *p = pattern(n, 7);
    CHECK_INT(dd_upload_write(u, p, n, NULL), DD_OK);
    uint64_t sz = 0;
    CHECK_INT(dd_upload_sync(u, &sz, NULL), DD_OK);
    CHECK(sz == n);
    /* still held: upload_open says busy, upload_stat answers */
    dd_upload_t *u2 = NULL;
    CHECK_INT(dd_blobstore_upload_open(bs, "0123456789abcdef0123456789abcdef", &u2, NULL), DD_EBUSY);
    uint64_t st = 0;
    CHECK_INT(dd_blobstore_upload_stat(bs, "0123456789abcdef0123456789abcdef", &st, NULL), DD_OK);
    CHECK(st == n);
    dd_upload_release(u);
    CHECK_INT(dd_blobstore_upload_stat(bs, "0123456789abcdef0123456789abcdef", &st, NULL), DD_OK);
    CHECK(st == n);
    dd_err_t e;
    CHECK_INT(dd_blobstore_upload_stat(bs, "ffffffffffffffffffffffffffffffff", &st, &e), DD_ENOTFOUND);
    CHECK_INT(dd_blobstore_upload_stat(bs, "../x", &st, &e), DD_EINVAL);
    CHECK_INT(dd_blobstore_upload_abort(bs, "0123456789abcdef0123456789abcdef"), DD_OK);
    CHECK_INT(dd_blobstore_upload_stat(bs, "0123456789abcdef0123456789abcdef", &st, NULL), DD_ENOTFOUND);
    free(p);
    dd_blobstore_close(bs);
}

static void cleanup(void)
{
    if (root[0]) rm_rf(root);
    root[0] = '\0';
}

TEST_MAIN(RUN(chunked_upload_and_read); RUN(empty_blob); RUN(sha512_commit);
          RUN(digest_mismatch_drops_session); RUN(resume_after_restart); RUN(busy_and_invalid);
          RUN(abort_session); RUN(expire); RUN(concurrent_commits_same_digest);
          RUN(put_small_blobs_and_each); RUN(each_stops); RUN(fault_write_keeps_size_consistent);
          RUN(fault_publish_leaves_no_visible_blob); RUN(session_table_stress);
          RUN(upload_stat_while_held); cleanup())
