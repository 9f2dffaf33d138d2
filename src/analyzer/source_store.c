/*
 * source_store.c: the store: transport, the registry's own blob store as an
 * image source, so the server's scan workers run the same pipeline as
 * `drydock scan` (dd_image_root -> dd_image_list -> dd_image_analyze ->
 * dd_scan_inventory -> dd_match_inventory).
 *
 * Opened with dd_image_open_store() on one manifest digest (there is no
 * reference string: the workers hold the blob store). Every byte is read
 * through the blob-reader API (dd_blob_reader_pread), so a driver without a
 * file descriptor works the same:
 *   - the root document is the manifest itself (image or index), at most
 *     DD_MANIFEST_MAX bytes; manifests and configs named by a descriptor are
 *     checked against its size and digest, as the other transports do;
 *   - layers go one by one (analyze_layer), streamed into the analyzer and
 *     checked against their descriptor's size; their digest is not hashed
 *     again, the blob store verified it when the upload committed
 *     (blobstore.h invariant 1). A blob that is not a tar, gzip or zstd
 *     stream is DD_DECLINED: in a pushed image it contributes no files.
 */
#include "image_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dd/blobstore.h"

typedef struct store_src {
    dd_image_source_t super;
    dd_blobstore_t *bs;       /* borrowed */
    dd_digest_t root;
    char *root_mt;            /* NULL when unknown */
} store_src_t;

static int store_open(const char *rest, dd_image_source_t **out, dd_err_t *e)
{
    (void)rest;
    (void)out;
    return dd_err(e, DD_EUNSUPPORTED, "store: images are opened by the server on its own blob store");
}

/* Reads the whole blob d into out (at most max bytes). */
static int read_blob(store_src_t *s, const dd_digest_t *d, size_t max, dd_buf_t *out, dd_err_t *e)
{
    dd_blob_reader_t rd;
    int rc = dd_blobstore_open_read(s->bs, d, &rd, e);
    if (rc) return rc;
    if (rd.size > max) {
        dd_blob_reader_close(&rd);
        return dd_err(e, DD_ELIMIT, "blob %s is larger than %zu bytes", d->str, max);
    }
    dd_buf_reset(out);
    char tmp[65536];
    uint64_t off = 0;
    while (off < rd.size) {
        size_t want = rd.size - off > sizeof tmp ? sizeof tmp : (size_t)(rd.size - off);
        ssize_t got = dd_blob_reader_pread(&rd, off, tmp, want);
        if (got <= 0 || dd_buf_append(out, tmp, (size_t)got) != DD_OK) {
            dd_blob_reader_close(&rd);
            return dd_err(e, DD_EIO, "cannot read blob %s", d->str);
        }
        off += (uint64_t)got;
    }
    dd_blob_reader_close(&rd);
    if (!out->ptr && dd_buf_append(out, "", 0) != DD_OK) return dd_err(e, DD_ENOMEM, "out of memory");
    return DD_OK;
}

static int store_fetch(dd_image_source_t *src, int kind, const dd_descriptor_t *d, size_t max, dd_buf_t *out,
                       char **mt, dd_digest_t *dg, dd_err_t *e)
{
    store_src_t *s = (store_src_t *)src;
    if (kind == DD_FETCH_ROOT) {
        if (!s->root.str[0]) return dd_err(e, DD_EINVAL, "store: source opened without a manifest");
        if (mt) *mt = s->root_mt ? dd_strdup(s->root_mt) : NULL;
        if (dg) *dg = s->root;
        return read_blob(s, &s->root, max, out, e);
    }
    if (d->size > (int64_t)max)
        return dd_err(e, DD_ELIMIT, "blob %s is %lld bytes, over %zu", d->digest.str, (long long)d->size, max);
    int rc = read_blob(s, &d->digest, max, out, e);
    return rc == DD_OK ? dd_source_check_blob(d, out, e) : rc;
}

typedef struct blob_rd {
    dd_blob_reader_t *r;
    uint64_t off;
} blob_rd_t;

static ssize_t blob_read(void *arg, void *buf, size_t n)
{
    blob_rd_t *st = arg;
    if (st->off >= st->r->size) return 0;
    if (n > st->r->size - st->off) n = (size_t)(st->r->size - st->off);
    ssize_t got = dd_blob_reader_pread(st->r, st->off, buf, n);
    if (got > 0) st->off += (uint64_t)got;
    return got;
}

static int store_analyze_layer(dd_image_source_t *src, const dd_descriptor_t *d, dd_layer_result_t *out,
                               dd_err_t *e)
{
    store_src_t *s = (store_src_t *)src;
    dd_blob_reader_t rd;
    int rc = dd_blobstore_open_read(s->bs, &d->digest, &rd, e);
    if (rc != DD_OK) return rc;
    if (d->size >= 0 && rd.size != (uint64_t)d->size) {
        dd_blob_reader_close(&rd);
        return dd_err(e, DD_EDIGEST, "layer %s has %llu bytes, not %lld", d->digest.str,
                      (unsigned long long)rd.size, (long long)d->size);
    }
    blob_rd_t st = {&rd, 0};
    rc = dd_layer_analyze_stream(blob_read, &st, &src->limits, out, e);
    dd_blob_reader_close(&rd);
    if (rc == DD_DECLINED) return dd_err(e, DD_DECLINED, "blob is not a tar, gzip or zstd stream");
    return rc;
}

static int store_analyze(dd_image_source_t *src, const dd_image_desc_t *img, const bool *todo,
                         dd_layer_result_t *res, dd_err_t *e)
{
    (void)src, (void)img, (void)todo, (void)res;
    return dd_err(e, DD_EUNSUPPORTED, "store: analyzes layer by layer"); /* dd_image_analyze uses analyze_layer */
}

static void store_close(dd_image_source_t *src)
{
    store_src_t *s = (store_src_t *)src;
    free(s->root_mt);
    free(s);
}

const dd_source_ops_t dd_source_store = {
    .version = 2,
    .prefix = "store:",
    .open = store_open,
    .fetch = store_fetch,
    .list = NULL,
    .analyze = store_analyze,
    .close = store_close,
    .analyze_layer = store_analyze_layer,
};

int dd_image_open_store(struct dd_blobstore *bs, const char *manifest, const char *media_type,
                        const dd_image_opts_t *opts, dd_image_source_t **out, dd_err_t *e)
{
    *out = NULL;
    if (!bs) return dd_err(e, DD_EINVAL, "store: needs a blob store");
    dd_digest_t d;
    memset(&d, 0, sizeof d);
    int rc = manifest ? dd_digest_parse(manifest, &d, e) : DD_OK;
    if (rc != DD_OK) return rc;
    store_src_t *s = dd_calloc(1, sizeof *s);
    s->bs = bs;
    s->root = d;
    s->root_mt = media_type && *media_type ? dd_strdup(media_type) : NULL;
    s->super.ops = &dd_source_store;
    if (opts && opts->platform) s->super.platform = dd_strdup(opts->platform);
    if (opts && opts->limits) s->super.limits = *opts->limits;
    else dd_analyze_limits_default(&s->super.limits);
    *out = &s->super;
    return DD_OK;
}
