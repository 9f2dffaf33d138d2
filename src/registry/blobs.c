/*
 * blobs.c: blob HEAD/GET/DELETE and the upload-session endpoints of the
 * distribution spec (monolithic POST ?digest=, POST + PUT, chunked PATCH,
 * status GET, cancel DELETE, cross-repository mount).
 *
 * Design notes (an upload session, identified by a random uuid):
 *
 *   POST .../uploads/        -> OPEN     blobstore session + meta record (offset 0)
 *   PATCH (Content-Range ok) -> OPEN     bytes streamed into dd_upload_write as
 *                                        they arrive; meta offset updated at the end
 *   PUT ?digest=             -> gone     dd_upload_commit verifies the digest and
 *                                        publishes the blob; blob linked to repo
 *   DELETE                   -> gone     dd_blobstore_upload_abort
 *   janitor (idle too long)  -> gone
 *
 * Invariants:
 *   1. The blob store's size of the session is the truth for the Range
 *      header; the meta offset is a hint for when the session is held.
 *   2. A PATCH whose client disconnects mid-body keeps the bytes received
 *      (issue 20 item 10): they are a prefix of what the client sent, in
 *      order, so the cleanup syncs them, records the offset and releases the
 *      handle; GET on the upload URL reports the offset (Range: 0-N) and the
 *      client resumes from there with a Content-Range starting at N+1 (the
 *      spec's chunked upload, "resuming an upload"). The final PUT checks
 *      the digest of the whole, so nothing unconfirmed can slip into a blob.
 *      A PUT (or monolithic POST) cut short, a failed write, a chunk whose
 *      length contradicts its Content-Range, or an error answered mid-body
 *      drop the whole session (BLOB_UPLOAD_UNKNOWN: start over). The handle
 *      is released by an arena cleanup, which runs for every request
 *      however it ends.
 *   3. A session belongs to the repository it was started in; any other name
 *      gets BLOB_UPLOAD_UNKNOWN.
 */
#include "dd/auth.h"
#include "registry_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- blob HEAD / GET / DELETE ---------------------------------------------*/

typedef struct {
    dd_blob_reader_t r;
    uint64_t base;
} reader_resp_t;

static ssize_t reader_read(void *arg, uint64_t pos, char *buf, size_t max)
{
    reader_resp_t *rr = arg;
    return dd_blob_reader_pread(&rr->r, rr->base + pos, buf, max);
}

static void reader_free(void *arg)
{
    reader_resp_t *rr = arg;
    dd_blob_reader_close(&rr->r);
    free(rr);
}

int reg_blob_get(dd_req_t *req)
{
    dd_registry_t *r = req->ctx;
    dd_digest_t d;
    if (!reg_parse_digest(req, dd_req_var(req, "digest"), &d)) return DD_OK;
    uint64_t size = 0;
    if (dd_meta_blob_linked(r->o.meta, req->name, &d, &size) != DD_OK) return reg_not_found(req, DD_REGERR_BLOB_UNKNOWN);
    dd_resp_header(req, "Docker-Content-Digest", d.str);
    dd_resp_header(req, "Accept-Ranges", "bytes");
    dd_resp_headerf(req, "ETag", "\"%s\"", d.str);
    const char *ctype = "application/octet-stream";
    const char *range = dd_req_header(req, "Range");
    if (dd_req_is_head(req) && !range) {
        /* trust the blob store's size over the link's */
        if (dd_blobstore_stat(r->o.blobs, &d, &size) != DD_OK)
            return dd_registry_error(req, DD_REGERR_BLOB_UNKNOWN, NULL);
        return dd_resp_head(req, 200, ctype, size);
    }
    dd_blob_reader_t rd;
    dd_err_t e;
    int rc = dd_blobstore_open_read(r->o.blobs, &d, &rd, &e);
    if (rc == DD_ENOTFOUND) return dd_registry_error(req, DD_REGERR_BLOB_UNKNOWN, NULL);
    if (rc) return dd_registry_error(req, DD_REGERR_INTERNAL, "cannot open blob");
    size = rd.size;
    uint64_t first = 0, last = size ? size - 1 : 0;
    int status = 200;
    if (range) {
        int prc = dd_http_parse_range(range, size, &first, &last);
        if (prc == DD_ERANGE) {
            dd_blob_reader_close(&rd);
            dd_resp_headerf(req, "Content-Range", "bytes */%llu", (unsigned long long)size);
            return dd_registry_error(req, DD_REGERR_RANGE_INVALID, "range not satisfiable");
        }
        if (prc == DD_OK) {
            status = 206;
            dd_resp_headerf(req, "Content-Range", "bytes %llu-%llu/%llu", (unsigned long long)first,
                            (unsigned long long)last, (unsigned long long)size);
        } else {
            first = 0;
            last = size ? size - 1 : 0;
        }
    }
    uint64_t len = size ? last - first + 1 : 0;
    if (dd_req_is_head(req)) {
        dd_blob_reader_close(&rd);
        return dd_resp_head(req, status, ctype, len);
    }
    if (rd.fd >= 0) {
        int fd = rd.fd;
        rd.fd = -1;
        dd_blob_reader_close(&rd);
        return dd_resp_fd(req, status, ctype, fd, first, len);
    }
    reader_resp_t *rr = dd_malloc(sizeof *rr);
    rr->r = rd;
    rr->base = first;
    return dd_resp_callback(req, status, ctype, len, reader_read, reader_free, rr);
}

int reg_blob_delete(dd_req_t *req)
{
    dd_registry_t *r = req->ctx;
    if (r->o.delete_disabled) return dd_registry_error(req, DD_REGERR_METHOD, "deletion is disabled on this registry");
    dd_digest_t d;
    if (!reg_parse_digest(req, dd_req_var(req, "digest"), &d)) return DD_OK;
    uint64_t size;
    if (dd_meta_blob_linked(r->o.meta, req->name, &d, &size) != DD_OK) return reg_not_found(req, DD_REGERR_BLOB_UNKNOWN);
    dd_err_t e;
    int rc = dd_meta_blob_unlink(r->o.meta, req->name, &d, &e);
    if (rc == DD_ENOTFOUND) return dd_registry_error(req, DD_REGERR_BLOB_UNKNOWN, NULL);
    if (rc) return dd_registry_error(req, dd_regerr_from_rc(rc, DD_REGERR_BLOB_UNKNOWN, DD_REGERR_INTERNAL), e.msg);
    /* the bytes stay until garbage collection: another repository may link
     * the same digest concurrently */
    return dd_resp_empty(req, 202);
}

/* ---- upload sessions -------------------------------------------------------*/

typedef struct upload_st {
    dd_registry_t *r;
    dd_upload_t *u;           /* held handle, NULL once released/committed */
    char uuid[64];
    dd_digest_t digest;       /* PUT / monolithic POST */
    bool finishing;           /* PUT or monolithic POST: commit at the end */
    bool monolithic;          /* POST ?digest= (no meta record) */
    bool done;                /* on_done ran: body complete */
    bool check_len;           /* Content-Range given: body must be range_len bytes */
    bool keep_partial;        /* PATCH: a body cut short keeps its bytes (invariant 2) */
    uint64_t range_len;
    uint64_t start_size;
    uint64_t written;         /* body bytes written by this request */
    const char *repo;
    dd_upload_rec_t rec;      /* PATCH: the meta record read by find_session */
} upload_st_t;

static void upload_ended(dd_registry_t *r, const char *uuid, const char *digest)
{
    if (r->hooks.on_upload_end) r->hooks.on_upload_end(r->hooks.ctx, uuid, digest);
}

/* Releases the handle and drops the session if the body never completed
 * (invariant 2). Runs as the arena cleanup, and earlier, before an error is
 * answered: MHD may finish the request (and run the cleanup) only after the
 * client, having read the answer, already sent its next request for this
 * session, which must find the session settled, not busy. */
static void upload_settle(upload_st_t *st)
{
    if (st->u) {
        dd_upload_release(st->u);
        st->u = NULL;
    }
    if (!st->done) {
        dd_blobstore_upload_abort(st->r->o.blobs, st->uuid);
        dd_meta_upload_delete(st->r->o.meta, st->uuid);
        upload_ended(st->r, st->uuid, NULL);
        st->done = true;
    }
}

/* The client went away in the middle of a PATCH body: keep what arrived and
 * record the offset (invariant 2). False when that fails (then drop). */
static bool upload_keep_partial(upload_st_t *st)
{
    uint64_t size = 0;
    if (!st->u || dd_upload_sync(st->u, &size, NULL) != DD_OK) return false;
    dd_upload_release(st->u);
    st->u = NULL;
    dd_upload_rec_t rec = st->rec;
    rec.offset = size;
    rec.updated_ms = dd_now_ms();
    dd_meta_upload_put(st->r->o.meta, &rec, NULL);
    st->done = true;
    return true;
}

static void upload_cleanup(void *arg)
{
    upload_st_t *st = arg;
    if (!st->done && st->keep_partial && upload_keep_partial(st)) return;
    upload_settle(st);
}

/* Drops the session now (its bytes can't be trusted or kept). */
static void upload_drop(upload_st_t *st)
{
    st->done = false;
    upload_settle(st);
}

static void new_uuid(char out[64])
{
    unsigned char b[16];
    dd_random_bytes(b, sizeof b);
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, 64, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
             b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

static bool uuid_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= 64) return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') || s[i] == '-')) return false;
    return true;
}

static void upload_headers(dd_req_t *req, const char *uuid, uint64_t size)
{
    dd_resp_headerf(req, "Location", "/v2/%s/blobs/uploads/%s", req->name, uuid);
    dd_resp_header(req, "Docker-Upload-UUID", uuid);
    dd_resp_headerf(req, "Range", "0-%llu", (unsigned long long)(size ? size - 1 : 0));
}

static void blob_committed(dd_req_t *req, dd_registry_t *r, const dd_digest_t *d, uint64_t size)
{
    dd_resp_headerf(req, "Location", "/v2/%s/blobs/%s", req->name, d->str);
    dd_resp_header(req, "Docker-Content-Digest", d->str);
    if (r->hooks.on_blob_committed) r->hooks.on_blob_committed(r->hooks.ctx, req->name, d->str, size);
}

/* on_upload_progress is told each time a session's size crosses a multiple
 * of this, not on every network read (16 KiB or so), which cost a lock per
 * read in the scanner */
#define PROGRESS_STEP (256u * 1024u)

static int upload_data(dd_req_t *req, const char *data, size_t n)
{
    upload_st_t *st = req->user;
    int rc = dd_upload_write(st->u, data, n, NULL);
    if (rc != DD_OK) st->keep_partial = false; /* a failed write: its bytes are not kept */
    if (rc == DD_OK) {
        uint64_t before = st->start_size + st->written;
        st->written += n;
        dd_registry_t *r = st->r;
        if (r->hooks.on_upload_progress && before / PROGRESS_STEP != (before + n) / PROGRESS_STEP)
            r->hooks.on_upload_progress(r->hooks.ctx, req->name, st->uuid, before + n);
    }
    return rc;
}

/* Commits st (PUT / monolithic POST) and answers. */
static int finish_commit(dd_req_t *req, upload_st_t *st)
{
    dd_registry_t *r = st->r;
    uint64_t size = 0;
    dd_err_t e;
    dd_upload_t *u = st->u;
    st->u = NULL; /* commit consumes the handle */
    int rc = dd_upload_commit(u, &st->digest, &size, &e);
    if (rc == DD_EDIGEST) {
        dd_meta_upload_delete(r->o.meta, st->uuid);
        upload_ended(r, st->uuid, NULL);
        return dd_registry_error(req, DD_REGERR_DIGEST_INVALID, e.msg);
    }
    if (rc) {
        upload_drop(st);
        return dd_registry_error(req, dd_regerr_from_rc(rc, DD_REGERR_BLOB_UPLOAD_UNKNOWN, DD_REGERR_BLOB_UPLOAD_INVALID), e.msg);
    }
    if (!st->monolithic) dd_meta_upload_delete(r->o.meta, st->uuid);
    upload_ended(r, st->uuid, st->digest.str);
    rc = dd_meta_blob_link(r->o.meta, req->name, &st->digest, size, &e);
    if (rc) return dd_registry_error(req, DD_REGERR_INTERNAL, e.msg);
    blob_committed(req, r, &st->digest, size);
    return dd_resp_empty(req, 201);
}

static int upload_done(dd_req_t *req)
{
    upload_st_t *st = req->user;
    dd_registry_t *r = st->r;
    st->done = true;
    int brc = dd_req_body_rc(req);
    if (brc != DD_OK) {
        upload_drop(st); /* partial chunk on disk */
        return dd_registry_error(req, dd_regerr_from_rc(brc, DD_REGERR_BLOB_UPLOAD_UNKNOWN, DD_REGERR_BLOB_UPLOAD_INVALID),
                                 "writing the upload failed");
    }
    if (st->check_len && req->bytes_in != st->range_len) {
        upload_drop(st);
        return dd_registry_error(req, DD_REGERR_RANGE_INVALID, "body length does not match Content-Range");
    }
    if (st->finishing) return finish_commit(req, st);
    /* PATCH: record the new offset, answer 202 */
    uint64_t size = 0;
    dd_err_t e;
    int src = dd_upload_sync(st->u, &size, &e);
    if (src != DD_OK) {
        upload_drop(st); /* a write failed: a disk error (500), not the client's */
        return dd_registry_error(req, dd_regerr_from_rc(src, DD_REGERR_BLOB_UPLOAD_UNKNOWN,
                                                        DD_REGERR_BLOB_UPLOAD_INVALID), e.msg);
    }
    dd_upload_release(st->u);
    st->u = NULL;
    /* The record's offset is only a hint (invariant 1) and updated_ms only
     * feeds the janitor, which expires sessions idle for upload_max_age
     * (at least 60 s). Each rewrite is a SQLite commit with an fsync, so a
     * record touched within the last max_age/16 is left alone: a client
     * streaming many PATCHes pays one commit per few seconds, not one each. */
    int64_t now = dd_now_ms();
    if (now - st->rec.updated_ms >= r->o.upload_max_age_ms / 16) {
        dd_upload_rec_t rec = st->rec;
        rec.offset = size;
        rec.updated_ms = now;
        dd_meta_upload_put(r->o.meta, &rec, NULL);
    }
    upload_headers(req, st->uuid, size);
    return dd_resp_empty(req, 202);
}

/* Reads the request body into st's upload; a Content-Length tells the
 * blob store how long the stream will be (the fs driver then starts its
 * ring at once). */
static int read_upload_body(dd_req_t *req, upload_st_t *st)
{
    uint64_t cl;
    if (dd_req_content_length(req, &cl) == DD_OK && cl) dd_upload_expect(st->u, cl);
    return dd_req_read_body(req, upload_data, upload_done);
}

/* Looks up the session named in the path for this repository; answers
 * BLOB_UPLOAD_UNKNOWN and returns false if there is none. */
static bool find_session(dd_req_t *req, dd_upload_rec_t *rec)
{
    dd_registry_t *r = req->ctx;
    const char *uuid = dd_req_var(req, "uuid");
    if (!uuid || !uuid_valid(uuid) || dd_meta_upload_get(r->o.meta, uuid, rec) != DD_OK ||
        strcmp(rec->repo, req->name) != 0) {
        dd_registry_error(req, DD_REGERR_BLOB_UPLOAD_UNKNOWN, NULL);
        return false;
    }
    return true;
}

/* Opens the session for writing and registers the cleanup. */
static upload_st_t *open_session(dd_req_t *req, const char *uuid)
{
    dd_registry_t *r = req->ctx;
    dd_upload_t *u;
    dd_err_t e;
    int rc = dd_blobstore_upload_open(r->o.blobs, uuid, &u, &e);
    if (rc == DD_EBUSY) {
        dd_registry_error(req, DD_REGERR_RANGE_INVALID, "another request is writing this upload");
        return NULL;
    }
    if (rc) {
        dd_registry_error(req, DD_REGERR_BLOB_UPLOAD_UNKNOWN, NULL);
        return NULL;
    }
    upload_st_t *st = dd_arena_alloc(&req->arena, sizeof *st);
    st->r = r;
    st->u = u;
    st->done = true; /* until we ask for a body */
    snprintf(st->uuid, sizeof st->uuid, "%s", uuid);
    st->start_size = dd_upload_size(u);
    dd_arena_cleanup_add(&req->arena, upload_cleanup, st);
    req->user = st;
    return st;
}

/* Checks Content-Range against the session; answers 416 and returns false
 * when it doesn't continue the upload. */
static bool check_content_range(dd_req_t *req, upload_st_t *st)
{
    const char *cr = dd_req_header(req, "Content-Range");
    if (!cr) return true;
    uint64_t a, b;
    if (dd_http_parse_content_range(cr, &a, &b) != DD_OK || a != st->start_size) {
        upload_settle(st); /* the session stays, unchanged */
        upload_headers(req, st->uuid, st->start_size);
        dd_registry_error(req, DD_REGERR_RANGE_INVALID, "chunk does not continue the upload");
        return false;
    }
    st->check_len = true;
    st->range_len = b - a + 1;
    uint64_t cl;
    if (dd_req_content_length(req, &cl) == DD_OK && cl != st->range_len) {
        upload_settle(st);
        upload_headers(req, st->uuid, st->start_size);
        dd_registry_error(req, DD_REGERR_RANGE_INVALID, "Content-Length does not match Content-Range");
        return false;
    }
    return true;
}

/* A mount's source found by the registry: a repository the caller may pull. */
typedef struct {
    dd_req_t *req;
    const char *repo; /* in req's arena; NULL: none */
} mount_src_t;

static int mount_src_cb(const char *repo, void *arg)
{
    mount_src_t *m = arg;
    if (!dd_repo_name_valid(repo) || !dd_auth_may(m->req, DD_ACT_PULL, repo)) return 0;
    m->repo = dd_arena_strdup(&m->req->arena, repo);
    return 1;
}

int reg_upload_start(dd_req_t *req)
{
    dd_registry_t *r = req->ctx;
    dd_err_t e;
    const char *mount = dd_req_query(req, "mount");
    const char *from = dd_req_query(req, "from");
    /* without `from` (the spec lets the registry find the blob itself): the
     * first repository holding it that the caller may pull from (issue 15) */
    mount_src_t src = {req, NULL};
    if (mount && !from && !dd_req_query(req, "digest")) {
        dd_digest_t d;
        if (dd_digest_parse(mount, &d, NULL) == DD_OK) dd_meta_blob_repos(r->o.meta, &d, mount_src_cb, &src);
        from = src.repo;
    }
    /* mounting needs pull on the source (auth.h); else a plain upload */
    if (mount && from && dd_repo_name_valid(from) && dd_auth_may(req, DD_ACT_PULL, from)) {
        dd_digest_t d;
        uint64_t size;
        if (dd_digest_parse(mount, &d, NULL) == DD_OK &&
            dd_meta_blob_linked(r->o.meta, from, &d, &size) == DD_OK &&
            dd_blobstore_stat(r->o.blobs, &d, &size) == DD_OK &&
            dd_meta_blob_link(r->o.meta, req->name, &d, size, &e) == DD_OK) {
            blob_committed(req, r, &d, size);
            return dd_resp_empty(req, 201);
        }
        /* not mountable: fall back to a new upload session */
    }
    const char *dg = dd_req_query(req, "digest");
    /* ?digest-algorithm= (end-4c, the spec after 1.1) announces the final
     * digest's algorithm: one we cannot verify is refused now (400), not
     * after the upload; the closing PUT's digest is verified as given */
    const char *dalg = dd_req_query(req, "digest-algorithm");
    if (dalg && strcmp(dalg, dd_digest_alg_name(DD_DIGEST_SHA256)) != 0 &&
        strcmp(dalg, dd_digest_alg_name(DD_DIGEST_SHA512)) != 0)
        return dd_registry_error(req, DD_REGERR_DIGEST_INVALID, "unsupported digest algorithm (sha256, sha512)");
    char uuid[64];
    new_uuid(uuid);
    dd_upload_t *u;
    int rc = dd_blobstore_upload_create(r->o.blobs, uuid, &u, &e);
    if (rc) return dd_registry_error(req, DD_REGERR_INTERNAL, e.msg);
    if (dg) {
        /* monolithic upload: the body is the whole blob */
        dd_digest_t d;
        if (dd_digest_parse(dg, &d, &e) != DD_OK) {
            dd_upload_release(u);
            dd_blobstore_upload_abort(r->o.blobs, uuid);
            return dd_registry_error(req, DD_REGERR_DIGEST_INVALID, e.msg);
        }
        upload_st_t *st = dd_arena_alloc(&req->arena, sizeof *st);
        st->r = r;
        st->u = u;
        snprintf(st->uuid, sizeof st->uuid, "%s", uuid);
        st->digest = d;
        st->finishing = st->monolithic = true;
        st->done = false;
        dd_arena_cleanup_add(&req->arena, upload_cleanup, st);
        req->user = st;
        return read_upload_body(req, st);
    }
    dd_upload_release(u);
    dd_upload_rec_t rec;
    memset(&rec, 0, sizeof rec);
    snprintf(rec.uuid, sizeof rec.uuid, "%s", uuid);
    snprintf(rec.repo, sizeof rec.repo, "%s", req->name);
    rec.created_ms = rec.updated_ms = dd_now_ms();
    rc = dd_meta_upload_put(r->o.meta, &rec, &e);
    if (rc) {
        dd_blobstore_upload_abort(r->o.blobs, uuid);
        return dd_registry_error(req, DD_REGERR_INTERNAL, e.msg);
    }
    upload_headers(req, uuid, 0);
    return dd_resp_empty(req, 202);
}

int reg_upload_status(dd_req_t *req)
{
    dd_registry_t *r = req->ctx;
    dd_upload_rec_t rec;
    if (!find_session(req, &rec)) return DD_OK;
    uint64_t size = rec.offset;
    dd_upload_t *u;
    int rc = dd_blobstore_upload_open(r->o.blobs, rec.uuid, &u, NULL);
    if (rc == DD_OK) {
        size = dd_upload_size(u);
        dd_upload_release(u);
    } else if (rc == DD_EBUSY) {
        /* another request is writing: report the bytes stored so far rather
         * than the record's offset, which is only a hint */
        uint64_t now;
        if (dd_blobstore_upload_stat(r->o.blobs, rec.uuid, &now, NULL) == DD_OK) size = now;
    } else if (rc == DD_ENOTFOUND) {
        dd_meta_upload_delete(r->o.meta, rec.uuid);
        return dd_registry_error(req, DD_REGERR_BLOB_UPLOAD_UNKNOWN, NULL);
    }
    upload_headers(req, rec.uuid, size);
    return dd_resp_empty(req, 204);
}

int reg_upload_patch(dd_req_t *req)
{
    dd_upload_rec_t rec;
    if (!find_session(req, &rec)) return DD_OK;
    upload_st_t *st = open_session(req, rec.uuid);
    if (!st) return DD_OK;
    if (!check_content_range(req, st)) return DD_OK;
    st->rec = rec;
    st->done = false;
    st->keep_partial = true;
    return read_upload_body(req, st);
}

int reg_upload_put(dd_req_t *req)
{
    dd_upload_rec_t rec;
    if (!find_session(req, &rec)) return DD_OK;
    dd_digest_t d;
    if (!reg_parse_digest(req, dd_req_query(req, "digest"), &d)) return DD_OK;
    upload_st_t *st = open_session(req, rec.uuid);
    if (!st) return DD_OK;
    if (!check_content_range(req, st)) return DD_OK;
    st->digest = d;
    st->finishing = true;
    st->done = false;
    return read_upload_body(req, st);
}

int reg_upload_cancel(dd_req_t *req)
{
    dd_registry_t *r = req->ctx;
    dd_upload_rec_t rec;
    if (!find_session(req, &rec)) return DD_OK;
    dd_blobstore_upload_abort(r->o.blobs, rec.uuid);
    dd_meta_upload_delete(r->o.meta, rec.uuid);
    upload_ended(r, rec.uuid, NULL);
    return dd_resp_empty(req, 204);
}
