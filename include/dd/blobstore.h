/*
 * blobstore.h: the interface between the registry and blob storage.
 *
 * A blob store holds content-addressed blobs (layers, configs and manifest
 * bytes), one copy per digest shared by every repository, plus upload
 * sessions whose bytes are still arriving. Which repository may read which
 * blob is NOT the blob store's business: that lives in the metadata store
 * (meta.h).
 *
 * Drivers implement dd_blobstore_ops_t and register by name in the table in
 * src/storage/blobstore.c ("fs" now; "s3" later). Core code calls only the
 * dd_blobstore_* wrappers below, never a driver directly, and never sees a
 * file path: no path or SQL leaks above this interface.
 *
 * Invariants every driver keeps:
 *   1. A blob is visible (stat/open_read succeed) only once all its bytes are
 *      durable and they hash to its digest. Crashes and kill -9 never leave a
 *      visible blob whose bytes don't match (temp file, fsync, rename).
 *   2. Upload bytes are hashed as they arrive; a blob is never held whole in
 *      memory.
 *   3. Upload sessions survive a restart: after one, the session's bytes are
 *      re-hashed on first use, so it can be resumed. Stale sessions expire
 *      through dd_blobstore_upload_expire().
 *   4. Concurrent commits of the same digest are safe: the second finds the
 *      blob present and discards its own copy.
 */
#ifndef DD_BLOBSTORE_H
#define DD_BLOBSTORE_H

#include <sys/types.h> /* ssize_t */

#include "dd/core.h"
#include "dd/digest.h"

typedef struct dd_blobstore dd_blobstore_t;
typedef struct dd_upload dd_upload_t;

/* An open blob for reading. For local drivers fd >= 0 and the HTTP layer
 * uses sendfile(2); otherwise fd == -1 and read() is used. Code outside
 * the HTTP layer's sendfile path never touches fd: it reads through
 * dd_blob_reader_pread(), which works for every driver. */
typedef struct dd_blob_reader {
    int fd;           /* owned; closed by dd_blob_reader_close */
    uint64_t size;
    /* for drivers without an fd; NULL when fd >= 0 */
    ssize_t (*read)(struct dd_blob_reader *r, uint64_t off, void *buf, size_t n);
    void (*close)(struct dd_blob_reader *r);
    void *priv;
} dd_blob_reader_t;

typedef struct dd_blobstore_ops {
    int version;          /* 1 */
    const char *name;     /* "fs" */
    /* root: driver-specific location (fs: a directory). */
    int (*open)(const char *root, dd_blobstore_t **out, dd_err_t *e);
    void (*close)(dd_blobstore_t *bs);

    int (*stat)(dd_blobstore_t *bs, const dd_digest_t *d, uint64_t *size /* OUT */);
    int (*open_read)(dd_blobstore_t *bs, const dd_digest_t *d, dd_blob_reader_t *out, dd_err_t *e);
    /* Stores a small blob given whole (manifests), verifying its digest. */
    int (*put)(dd_blobstore_t *bs, const dd_digest_t *d, const void *p, size_t n, dd_err_t *e);
    int (*remove)(dd_blobstore_t *bs, const dd_digest_t *d);

    /* Upload sessions, identified by a uuid chosen by the caller. */
    int (*upload_create)(dd_blobstore_t *bs, const char *uuid, dd_upload_t **out, dd_err_t *e);
    /* Opens an existing session for more data; DD_ENOTFOUND if unknown.
     * Only one holder at a time: DD_EBUSY if another request holds it. */
    int (*upload_open)(dd_blobstore_t *bs, const char *uuid, dd_upload_t **out, dd_err_t *e);
    /* Bytes durably written so far (flushes any gathered writes first; a
     * failed flush shrinks the size back: use it for the Range header). */
    uint64_t (*upload_size)(dd_upload_t *u);
    int (*upload_write)(dd_upload_t *u, const void *p, size_t n, dd_err_t *e);
    /* Verifies the bytes against expected, makes the blob visible and ends
     * the session. On DD_EDIGEST the session is ended and its bytes dropped.
     * The handle is consumed whatever the result: do NOT call upload_release
     * after upload_commit. (On DD_EIO before publishing, the session stays
     * on disk and can be opened again.) */
    int (*upload_commit)(dd_upload_t *u, const dd_digest_t *expected, uint64_t *size /* OUT */,
                         dd_err_t *e);
    /* Lets go of the handle; the session stays for a later request. */
    void (*upload_release)(dd_upload_t *u);
    /* Drops a session (and its bytes), held or not. */
    int (*upload_abort)(dd_blobstore_t *bs, const char *uuid);
    /* Drops sessions not written for max_age_ms; reports how many. */
    int (*upload_expire)(dd_blobstore_t *bs, int64_t max_age_ms, size_t *n_expired /* OUT */);
    /* Calls fn for every blob digest (for garbage collection and checks). */
    int (*each)(dd_blobstore_t *bs, int (*fn)(const dd_digest_t *d, uint64_t size, void *arg), void *arg);

    /* --- version 2 --- */
    /* Opens the bytes of an upload session still being written, to read
     * them while they arrive (the scanner analyzes layers during the
     * upload). out->size is 0: reads past the bytes written so far return
     * 0. The reader stays valid after the session commits or is aborted.
     * NULL slot: not supported (the caller waits for the commit). */
    int (*upload_reader)(dd_blobstore_t *bs, const char *uuid, dd_blob_reader_t *out, dd_err_t *e);

    /* --- version 3 --- */
    /* Like upload_size, but waits for writes the driver still runs in the
     * background and reports the first that failed since the last call
     * (the size is then cut back to what is durably there). NULL slot:
     * writes never fail late; upload_size is used. */
    int (*upload_sync)(dd_upload_t *u, uint64_t *size /* OUT */, dd_err_t *e);

    /* --- version 4 --- */
    /* A hint: about n more bytes are coming in this hold (a request body's
     * Content-Length), so a driver can set up for a long stream before the
     * first write rather than after its first MiB. NULL slot: no use for it. */
    void (*upload_expect)(dd_upload_t *u, uint64_t n);

    /* --- version 5 --- */
    /* Bytes of session uuid stored so far, whether or not another request
     * holds it (for an upload's status while it is being written): no
     * handle is taken and nothing waits. DD_ENOTFOUND if unknown. NULL
     * slot: the caller falls back to the metadata record's offset. */
    int (*upload_stat)(dd_blobstore_t *bs, const char *uuid, uint64_t *size /* OUT */, dd_err_t *e);
} dd_blobstore_ops_t;

/* Opens the driver registered as name ("fs"). */
int dd_blobstore_open(const char *driver, const char *root, dd_blobstore_t **out, dd_err_t *e);
void dd_blobstore_close(dd_blobstore_t *bs);

int dd_blobstore_stat(dd_blobstore_t *bs, const dd_digest_t *d, uint64_t *size);
int dd_blobstore_open_read(dd_blobstore_t *bs, const dd_digest_t *d, dd_blob_reader_t *out, dd_err_t *e);
void dd_blob_reader_close(dd_blob_reader_t *r);
/* Reads [off, off+n) from r, looping on short reads; returns bytes read or -1. */
ssize_t dd_blob_reader_pread(dd_blob_reader_t *r, uint64_t off, void *buf, size_t n);
int dd_blobstore_put(dd_blobstore_t *bs, const dd_digest_t *d, const void *p, size_t n, dd_err_t *e);
int dd_blobstore_remove(dd_blobstore_t *bs, const dd_digest_t *d);

int dd_blobstore_upload_create(dd_blobstore_t *bs, const char *uuid, dd_upload_t **out, dd_err_t *e);
int dd_blobstore_upload_open(dd_blobstore_t *bs, const char *uuid, dd_upload_t **out, dd_err_t *e);
uint64_t dd_upload_size(dd_upload_t *u);
/* upload_sync, or upload_size for drivers without it. */
int dd_upload_sync(dd_upload_t *u, uint64_t *size, dd_err_t *e);
/* upload_expect where the driver has it; nothing otherwise. */
void dd_upload_expect(dd_upload_t *u, uint64_t n);
int dd_upload_write(dd_upload_t *u, const void *p, size_t n, dd_err_t *e);
int dd_upload_commit(dd_upload_t *u, const dd_digest_t *expected, uint64_t *size, dd_err_t *e);
void dd_upload_release(dd_upload_t *u);
int dd_blobstore_upload_abort(dd_blobstore_t *bs, const char *uuid);
int dd_blobstore_upload_expire(dd_blobstore_t *bs, int64_t max_age_ms, size_t *n_expired);
int dd_blobstore_each(dd_blobstore_t *bs, int (*fn)(const dd_digest_t *d, uint64_t size, void *arg),
                      void *arg);
/* DD_EUNSUPPORTED when the driver has no upload_stat. */
int dd_blobstore_upload_stat(dd_blobstore_t *bs, const char *uuid, uint64_t *size, dd_err_t *e);
/* DD_EUNSUPPORTED when the driver has no upload_reader. */
int dd_blobstore_upload_reader(dd_blobstore_t *bs, const char *uuid, dd_blob_reader_t *out, dd_err_t *e);

/* Every driver's base struct starts with this. */
struct dd_blobstore {
    const dd_blobstore_ops_t *ops;
};
struct dd_upload {
    dd_blobstore_t *bs;
};

#endif
