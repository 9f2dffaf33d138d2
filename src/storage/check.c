/*
 * check.c: dd_storage_check(), the cross-store consistency check
 * (see include/dd/storecheck.h for what it checks and why).
 *
 * It runs in three passes, all through the public interfaces only:
 *   1. manifests_each: each manifest's bytes are present and hash right,
 *      its blobs exist, its index children are manifests of its repository;
 *   2. links_each: each linked blob exists with the linked size;
 *   3. the blob store's each(): counts blobs, re-hashes them all with
 *      DD_STORECHECK_HASH_ALL, and counts orphans (and their bytes) via
 *      dd_meta_blob_refs; DD_STORECHECK_REPAIR removes each orphan as it is
 *      found (unlinking the entry readdir just returned is safe).
 * Memory stays bounded: nothing is collected between passes.
 */
#include "dd/storecheck.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HASH_BUF (256u * 1024u)

int dd_storage_verify_blob(dd_blobstore_t *bs, const dd_digest_t *d, uint64_t *size, dd_err_t *e)
{
    dd_blob_reader_t r;
    int rc = dd_blobstore_open_read(bs, d, &r, e);
    if (rc != DD_OK) return rc;
    if (size) *size = r.size;
    dd_hasher_t *h = dd_hasher_new(d->alg);
    char *buf = dd_malloc(HASH_BUF);
    uint64_t off = 0;
    while (off < r.size) {
        size_t want = r.size - off < HASH_BUF ? (size_t)(r.size - off) : HASH_BUF;
        ssize_t k = dd_blob_reader_pread(&r, off, buf, want);
        if (k <= 0) {
            rc = dd_err(e, DD_EIO, "cannot read blob '%s'", d->str);
            break;
        }
        dd_hasher_update(h, buf, (size_t)k);
        off += (uint64_t)k;
    }
    free(buf);
    dd_blob_reader_close(&r);
    dd_digest_t got;
    dd_hasher_final(h, &got);
    dd_hasher_free(h);
    if (rc == DD_OK && strcmp(got.str, d->str) != 0)
        rc = dd_err(e, DD_EDIGEST, "blob '%s' hashes to '%s'", d->str, got.str);
    return rc;
}

struct ctx {
    dd_blobstore_t *bs;
    dd_meta_t *meta;
    unsigned flags;
    dd_storecheck_report_t *out;
    void (*on_problem)(const char *msg, void *arg);
    void *arg;
};

static void problem(struct ctx *c, size_t *counter, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void problem(struct ctx *c, size_t *counter, const char *fmt, ...)
{
    (*counter)++;
    c->out->problems++;
    if (!c->on_problem) return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    c->on_problem(msg, c->arg);
}

static int manifest_cb(const dd_manifest_rec_t *rec, const dd_manifest_refs_t *refs, void *arg)
{
    struct ctx *c = arg;
    dd_storecheck_report_t *o = c->out;
    o->manifests++;
    uint64_t size = 0;
    dd_err_t e;
    int rc = dd_storage_verify_blob(c->bs, &rec->digest, &size, &e);
    if (rc == DD_ENOTFOUND)
        problem(c, &o->missing_manifest, "manifest %s@%s: bytes missing from the blob store", rec->repo,
                rec->digest.str);
    else if (rc == DD_EDIGEST)
        problem(c, &o->bad_digest, "manifest %s@%s: %s", rec->repo, rec->digest.str, e.msg);
    else if (rc != DD_OK)
        problem(c, &o->bad_digest, "manifest %s@%s: %s", rec->repo, rec->digest.str, e.msg);
    else if (size != rec->size)
        problem(c, &o->bad_digest, "manifest %s@%s: size %llu, recorded %llu", rec->repo, rec->digest.str,
                (unsigned long long)size, (unsigned long long)rec->size);
    for (size_t i = 0; i < refs->n_blobs; i++) {
        if (dd_blobstore_stat(c->bs, &refs->blobs[i], NULL) != DD_OK)
            problem(c, &o->missing_ref, "manifest %s@%s references missing blob %s", rec->repo, rec->digest.str,
                    refs->blobs[i].str);
    }
    for (size_t i = 0; i < refs->n_manifests; i++) {
        dd_manifest_rec_t child;
        if (dd_meta_manifest_get(c->meta, rec->repo, refs->manifests[i].str, &child) != DD_OK) {
            problem(c, &o->missing_ref, "index %s@%s references missing manifest %s", rec->repo, rec->digest.str,
                    refs->manifests[i].str);
            continue;
        }
        dd_manifest_rec_release(&child);
    }
    return 0;
}

static int link_cb(const char *repo, const dd_digest_t *d, uint64_t size, void *arg)
{
    struct ctx *c = arg;
    c->out->links++;
    uint64_t have = 0;
    if (dd_blobstore_stat(c->bs, d, &have) != DD_OK)
        problem(c, &c->out->missing_link, "blob %s linked into %s is missing", d->str, repo);
    else if (have != size)
        problem(c, &c->out->bad_digest, "blob %s linked into %s: size %llu, linked as %llu", d->str, repo,
                (unsigned long long)have, (unsigned long long)size);
    return 0;
}

static int blob_cb(const dd_digest_t *d, uint64_t size, void *arg)
{
    struct ctx *c = arg;
    c->out->blobs++;
    uint64_t refs = 0;
    if (dd_meta_blob_refs(c->meta, d, &refs) == DD_OK && refs == 0) {
        c->out->orphans++;
        c->out->orphan_bytes += size;
        if ((c->flags & DD_STORECHECK_REPAIR) && dd_blobstore_remove(c->bs, d) == DD_OK) {
            c->out->removed++;
            c->out->removed_bytes += size;
            return 0;
        }
    }
    if (c->flags & DD_STORECHECK_HASH_ALL) {
        dd_err_t e;
        c->out->blobs_hashed++;
        int rc = dd_storage_verify_blob(c->bs, d, NULL, &e);
        if (rc != DD_OK && rc != DD_ENOTFOUND) /* ENOTFOUND: removed meanwhile */
            problem(c, &c->out->bad_digest, "blob %s: %s", d->str, e.msg);
    }
    return 0;
}

int dd_storage_check(dd_blobstore_t *bs, dd_meta_t *meta, unsigned flags, dd_storecheck_report_t *out,
                     void (*on_problem)(const char *msg, void *arg), void *arg, dd_err_t *e)
{
    memset(out, 0, sizeof *out);
    struct ctx c = {bs, meta, flags, out, on_problem, arg};
    int rc = dd_meta_manifests_each(meta, manifest_cb, &c);
    if (rc != DD_OK) return dd_err(e, rc, "cannot walk manifests: %s", dd_rc_name(rc));
    rc = dd_meta_links_each(meta, link_cb, &c);
    if (rc != DD_OK) return dd_err(e, rc, "cannot walk blob links: %s", dd_rc_name(rc));
    rc = dd_blobstore_each(bs, blob_cb, &c);
    if (rc != DD_OK) return dd_err(e, rc, "cannot walk blobs: %s", dd_rc_name(rc));
    return DD_OK;
}
