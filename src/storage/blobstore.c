/*
 * blobstore.c: the blob-store driver table, the dd_blobstore_* wrappers the
 * rest of Drydock calls, and the fault-injection hook drivers consult.
 *
 * Design notes
 *   - Drivers register in one sorted table, by name. The wrappers only
 *     dispatch through bs->ops (like sqlite3OsRead -> pMethods->xRead), so
 *     a call site never knows which driver it talks to.
 *   - Fault injection lives here, not in the drivers' logic: a driver asks
 *     dd_storage_fault("blob_write") before a system call and fails it on
 *     true. One point is armed at a time; the Nth hit fires once.
 */
#include "storage/storage_int.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- driver table (sorted by name) --------------------------------------- */

static const dd_blobstore_ops_t *const drivers[] = {
    &dd_blobstore_fs_ops, /* "fs": a directory on a local filesystem */
};

int dd_blobstore_open(const char *driver, const char *root, dd_blobstore_t **out, dd_err_t *e)
{
    *out = NULL;
    for (size_t i = 0; i < sizeof drivers / sizeof drivers[0]; i++) {
        if (strcmp(drivers[i]->name, driver) == 0) return drivers[i]->open(root, out, e);
    }
    return dd_err(e, DD_EUNSUPPORTED, "unknown blob store driver '%s'", driver);
}

void dd_blobstore_close(dd_blobstore_t *bs)
{
    if (bs) bs->ops->close(bs);
}

int dd_blobstore_stat(dd_blobstore_t *bs, const dd_digest_t *d, uint64_t *size)
{
    return bs->ops->stat(bs, d, size);
}

int dd_blobstore_open_read(dd_blobstore_t *bs, const dd_digest_t *d, dd_blob_reader_t *out, dd_err_t *e)
{
    memset(out, 0, sizeof *out);
    out->fd = -1;
    return bs->ops->open_read(bs, d, out, e);
}

void dd_blob_reader_close(dd_blob_reader_t *r)
{
    if (!r) return;
    if (r->close) {
        r->close(r);
    } else if (r->fd >= 0) {
        close(r->fd);
    }
    r->fd = -1;
    r->close = NULL;
    r->read = NULL;
    r->priv = NULL;
}

ssize_t dd_blob_reader_pread(dd_blob_reader_t *r, uint64_t off, void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t k;
        if (r->fd >= 0)
            k = pread(r->fd, (char *)buf + got, n - got, (off_t)(off + got));
        else if (r->read)
            k = r->read(r, off + got, (char *)buf + got, n - got);
        else
            return -1;
        if (k < 0) return -1;
        if (k == 0) break;
        got += (size_t)k;
    }
    return (ssize_t)got;
}

int dd_blobstore_put(dd_blobstore_t *bs, const dd_digest_t *d, const void *p, size_t n, dd_err_t *e)
{
    return bs->ops->put(bs, d, p, n, e);
}

int dd_blobstore_remove(dd_blobstore_t *bs, const dd_digest_t *d)
{
    return bs->ops->remove(bs, d);
}

int dd_blobstore_upload_create(dd_blobstore_t *bs, const char *uuid, dd_upload_t **out, dd_err_t *e)
{
    *out = NULL;
    return bs->ops->upload_create(bs, uuid, out, e);
}

int dd_blobstore_upload_open(dd_blobstore_t *bs, const char *uuid, dd_upload_t **out, dd_err_t *e)
{
    *out = NULL;
    return bs->ops->upload_open(bs, uuid, out, e);
}

uint64_t dd_upload_size(dd_upload_t *u)
{
    return u->bs->ops->upload_size(u);
}

int dd_upload_sync(dd_upload_t *u, uint64_t *size, dd_err_t *e)
{
    const dd_blobstore_ops_t *ops = u->bs->ops;
    if (ops->version < 3 || !ops->upload_sync) {
        *size = ops->upload_size(u);
        return DD_OK;
    }
    return ops->upload_sync(u, size, e);
}

void dd_upload_expect(dd_upload_t *u, uint64_t n)
{
    const dd_blobstore_ops_t *ops = u->bs->ops;
    if (ops->version >= 4 && ops->upload_expect) ops->upload_expect(u, n);
}

int dd_upload_write(dd_upload_t *u, const void *p, size_t n, dd_err_t *e)
{
    return u->bs->ops->upload_write(u, p, n, e);
}

int dd_upload_commit(dd_upload_t *u, const dd_digest_t *expected, uint64_t *size, dd_err_t *e)
{
    uint64_t dummy;
    return u->bs->ops->upload_commit(u, expected, size ? size : &dummy, e);
}

void dd_upload_release(dd_upload_t *u)
{
    if (u) u->bs->ops->upload_release(u);
}

int dd_blobstore_upload_abort(dd_blobstore_t *bs, const char *uuid)
{
    return bs->ops->upload_abort(bs, uuid);
}

int dd_blobstore_upload_expire(dd_blobstore_t *bs, int64_t max_age_ms, size_t *n_expired)
{
    size_t dummy;
    return bs->ops->upload_expire(bs, max_age_ms, n_expired ? n_expired : &dummy);
}

int dd_blobstore_each(dd_blobstore_t *bs, int (*fn)(const dd_digest_t *d, uint64_t size, void *arg),
                      void *arg)
{
    return bs->ops->each(bs, fn, arg);
}

int dd_blobstore_upload_stat(dd_blobstore_t *bs, const char *uuid, uint64_t *size, dd_err_t *e)
{
    if (bs->ops->version < 5 || !bs->ops->upload_stat)
        return dd_err(e, DD_EUNSUPPORTED, "blob store '%s' cannot report uploads in progress", bs->ops->name);
    return bs->ops->upload_stat(bs, uuid, size, e);
}

int dd_blobstore_upload_reader(dd_blobstore_t *bs, const char *uuid, dd_blob_reader_t *out, dd_err_t *e)
{
    if (bs->ops->version < 2 || !bs->ops->upload_reader)
        return dd_err(e, DD_EUNSUPPORTED, "blob store '%s' cannot read uploads in progress", bs->ops->name);
    return bs->ops->upload_reader(bs, uuid, out, e);
}

/* ---- fault injection ------------------------------------------------------ */

static pthread_mutex_t fault_mu = PTHREAD_MUTEX_INITIALIZER;
static char fault_point[32];
static long fault_nth;     /* 0 = disarmed */
static long fault_hits;
static atomic_int fault_armed; /* fast path: nothing armed */
static pthread_once_t fault_env_once = PTHREAD_ONCE_INIT;

static void fault_from_env(void)
{
    const char *s = getenv("DD_FAULT");
    if (!s || !*s) return;
    const char *colon = strchr(s, ':');
    if (!colon || (size_t)(colon - s) >= sizeof fault_point) return;
    long nth = strtol(colon + 1, NULL, 10);
    if (nth <= 0) return;
    pthread_mutex_lock(&fault_mu);
    memcpy(fault_point, s, (size_t)(colon - s));
    fault_point[colon - s] = '\0';
    fault_nth = nth;
    fault_hits = 0;
    atomic_store(&fault_armed, 1);
    pthread_mutex_unlock(&fault_mu);
}

void dd_storage_fault_set(const char *point, long nth)
{
    pthread_once(&fault_env_once, fault_from_env);
    pthread_mutex_lock(&fault_mu);
    if (!point || nth <= 0) {
        fault_point[0] = '\0';
        fault_nth = 0;
        atomic_store(&fault_armed, 0);
    } else {
        snprintf(fault_point, sizeof fault_point, "%s", point);
        fault_nth = nth;
        atomic_store(&fault_armed, 1);
    }
    fault_hits = 0;
    pthread_mutex_unlock(&fault_mu);
}

bool dd_storage_fault(const char *point)
{
    pthread_once(&fault_env_once, fault_from_env);
    if (!atomic_load(&fault_armed)) return false;
    bool fire = false;
    pthread_mutex_lock(&fault_mu);
    if (fault_nth > 0 && strcmp(point, fault_point) == 0 && ++fault_hits == fault_nth) {
        fire = true;
        fault_nth = 0;
        atomic_store(&fault_armed, 0);
    }
    pthread_mutex_unlock(&fault_mu);
    return fire;
}
