/*
 * manifests.c: manifest PUT/GET/HEAD/DELETE by tag and by digest, and the
 * referrers API.
 *
 * PUT: the body is buffered up to manifest-max (413 beyond), validated
 * (manifest_check.c), hashed over the exact bytes received (with the
 * algorithm of the reference when it is a digest, which the bytes must then
 * match), its blobs must be readable from the repository (with matching
 * sizes) and its index children present in it; then the bytes go to the
 * blob store and the record (with references, referrer entry and tag) to the
 * metadata store in one transaction.
 *
 * Memory (issue 20 item 3): a PUT costs its body plus the parse, which
 * DD_MANIFEST_PARSE_BUDGET bounds per manifest; the sum over the PUTs in
 * flight is bounded by MANIFEST_INFLIGHT_MAX. A PUT that would pass it gets
 * 429 TOOMANYREQUESTS with Retry-After at once (before its body is read);
 * the reservation is the Content-Length, or manifest-max when chunked, plus
 * its parse budget, and is returned when the request's arena is released.
 *
 * GET: the stored media type is served whatever the Accept header says. The
 * bytes are immutable and we never convert between formats, so refusing
 * would only break clients that send a narrow Accept (distribution's
 * reference does the same for OCI types); see docs/registry.md.
 */
#include "registry_int.h"

#include "dd/manifest.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MANIFEST_INFLIGHT_MAX ((uint64_t)128 << 20) /* bytes reserved by manifest PUTs in flight */

static _Atomic uint64_t manifest_inflight;

typedef struct {
    uint64_t bytes;
} inflight_t;

static void inflight_release(void *arg)
{
    inflight_t *f = arg;
    atomic_fetch_sub(&manifest_inflight, f->bytes);
}

/* Reserves bytes of the in-flight budget for req (returned by the arena
 * cleanup). False when the budget would be passed. */
static bool inflight_reserve(dd_req_t *req, uint64_t bytes)
{
    uint64_t cur = atomic_load(&manifest_inflight);
    do {
        if (cur + bytes > MANIFEST_INFLIGHT_MAX) return false;
    } while (!atomic_compare_exchange_weak(&manifest_inflight, &cur, cur + bytes));
    inflight_t *f = dd_arena_alloc(&req->arena, sizeof *f);
    f->bytes = bytes;
    dd_arena_cleanup_add(&req->arena, inflight_release, f);
    return true;
}

static const char *OCI_INDEX_MT = "application/vnd.oci.image.index.v1+json";

/* Parses the {reference} of a manifest route into a tag or a digest.
 * Returns false (after answering) when it is neither. */
#define SMALL_MANIFEST (64u << 10) /* served from memory up to this size */
#define MAX_TAG_PARAMS 64 /* ?tag= values on one PUT (the draft asks for at least 10) */

static bool parse_reference(dd_req_t *req, const char **tag, dd_digest_t *d, bool *is_digest, int status_bad)
{
    const char *ref = dd_req_var(req, "reference");
    *tag = NULL;
    *is_digest = false;
    if (ref && strchr(ref, ':')) {
        if (!reg_parse_digest(req, ref, d)) return false;
        *is_digest = true;
        return true;
    }
    if (!ref || !dd_tag_valid(ref)) {
        if (status_bad == 404)
            dd_registry_error(req, DD_REGERR_MANIFEST_UNKNOWN, "invalid tag");
        else
            dd_registry_error(req, DD_REGERR_MANIFEST_INVALID, "invalid tag");
        return false;
    }
    *tag = ref;
    return true;
}

int reg_manifest_get(dd_req_t *req)
{
    dd_registry_t *r = req->ctx;
    const char *tag;
    dd_digest_t d;
    bool is_digest;
    if (!parse_reference(req, &tag, &d, &is_digest, 404)) return DD_OK;
    dd_manifest_rec_t rec;
    memset(&rec, 0, sizeof rec);
    int rc = dd_meta_manifest_get(r->o.meta, req->name, is_digest ? d.str : tag, &rec);
    if (rc == DD_ENOTFOUND) return reg_not_found(req, DD_REGERR_MANIFEST_UNKNOWN);
    if (rc) return dd_registry_error(req, DD_REGERR_INTERNAL, "manifest lookup failed");
    dd_resp_header(req, "Docker-Content-Digest", rec.digest.str);
    dd_resp_headerf(req, "ETag", "\"%s\"", rec.digest.str);
    if (dd_req_is_head(req)) {
        rc = dd_resp_head(req, 200, rec.media_type, rec.size);
        dd_manifest_rec_release(&rec);
        return rc;
    }
    dd_blob_reader_t rd;
    rc = dd_blobstore_open_read(r->o.blobs, &rec.digest, &rd, NULL);
    if (rc) {
        dd_manifest_rec_release(&rec);
        return dd_registry_error(req, rc == DD_ENOTFOUND ? DD_REGERR_MANIFEST_UNKNOWN : DD_REGERR_INTERNAL,
                                 "manifest bytes missing");
    }
    if (rd.fd >= 0 && rd.size > SMALL_MANIFEST) {
        int fd = rd.fd;
        uint64_t size = rd.size;
        rd.fd = -1;
        dd_blob_reader_close(&rd);
        rc = dd_resp_fd(req, 200, rec.media_type, fd, 0, size);
    } else {
        /* small (nearly all manifests): headers and body leave in one send,
         * where sendfile costs a separate header write and cork toggling */
        char *buf = dd_arena_alloc(&req->arena, rd.size + 1);
        ssize_t n = dd_blob_reader_pread(&rd, 0, buf, rd.size);
        dd_blob_reader_close(&rd);
        if (n < 0 || (uint64_t)n != rd.size)
            rc = dd_registry_error(req, DD_REGERR_INTERNAL, "cannot read manifest");
        else
            rc = dd_resp_bytes(req, 200, rec.media_type, buf, (size_t)n);
    }
    dd_manifest_rec_release(&rec);
    return rc;
}

static int put_done(dd_req_t *req)
{
    dd_registry_t *r = req->ctx;
    const char *tag;
    dd_digest_t want;
    bool is_digest;
    if (dd_req_body_rc(req) == DD_ELIMIT)
        return dd_registry_error(req, DD_REGERR_TOO_LARGE, "manifest exceeds the size limit");
    if (!parse_reference(req, &tag, &want, &is_digest, 400)) return DD_OK;
    /* PUT by digest may name tags to point at it: ?tag=a&tag=b (the
     * distribution spec after 1.1; each accepted tag is echoed in OCI-Tag) */
    const char *qtags[MAX_TAG_PARAMS + 1];
    size_t nq = is_digest ? dd_req_query_all(req, "tag", qtags, MAX_TAG_PARAMS + 1) : 0;
    if (nq > MAX_TAG_PARAMS) return dd_registry_error(req, DD_REGERR_MANIFEST_INVALID, "too many tag parameters");
    for (size_t i = 0; i < nq; i++)
        if (!dd_tag_valid(qtags[i])) return dd_registry_error(req, DD_REGERR_MANIFEST_INVALID, "invalid tag");
    if (nq) tag = qtags[0];
    size_t n;
    const char *body = dd_req_body(req, &n);
    mcheck_t m;
    dd_err_t e;
    int rc = reg_manifest_check(body, n, dd_req_header(req, "Content-Type"), &req->arena, &m, &e);
    if (rc == DD_EUNSUPPORTED) return dd_registry_error(req, DD_REGERR_UNSUPPORTED, e.msg);
    if (rc) return dd_registry_error(req, DD_REGERR_MANIFEST_INVALID, e.msg);
    dd_digest_t d;
    dd_digest_buf(is_digest ? want.alg : DD_DIGEST_SHA256, body, n, &d);
    if (is_digest && strcmp(d.str, want.str) != 0)
        return dd_registry_error(req, DD_REGERR_DIGEST_INVALID, "manifest bytes do not match the digest");
    /* referenced blobs must be readable from this repository */
    for (size_t i = 0; i < m.n_blobs; i++) {
        uint64_t size;
        if (m.blobs[i].foreign) continue;
        if (dd_meta_blob_linked(r->o.meta, req->name, &m.blobs[i].digest, &size) != DD_OK)
            return dd_registry_error(req, DD_REGERR_MANIFEST_BLOB_UNKNOWN, m.blobs[i].digest.str);
        if (size != m.blobs[i].size)
            return dd_registry_error(req, DD_REGERR_MANIFEST_INVALID, "descriptor size does not match the blob");
    }
    dd_digest_t *children = dd_arena_alloc(&req->arena, (m.n_children + 1) * sizeof *children);
    for (size_t i = 0; i < m.n_children; i++) {
        dd_manifest_rec_t c;
        memset(&c, 0, sizeof c);
        if (dd_meta_manifest_get(r->o.meta, req->name, m.children[i].digest.str, &c) != DD_OK)
            return dd_registry_error(req, DD_REGERR_MANIFEST_CHILD_UNKNOWN, m.children[i].digest.str);
        bool size_ok = c.size == m.children[i].size;
        dd_manifest_rec_release(&c);
        if (!size_ok)
            return dd_registry_error(req, DD_REGERR_MANIFEST_INVALID, "descriptor size does not match the manifest");
        children[i] = m.children[i].digest;
    }
    dd_digest_t *blobs = dd_arena_alloc(&req->arena, (m.n_blobs + 1) * sizeof *blobs);
    size_t nb = 0;
    for (size_t i = 0; i < m.n_blobs; i++)
        if (!m.blobs[i].foreign) blobs[nb++] = m.blobs[i].digest;
    for (size_t i = 0; i < (nq ? nq : 1); i++) /* immutable tags never move (issue 17) */
        if (reg_check_immutable(req, nq ? qtags[i] : tag, &d) != DD_OK) return DD_OK;
    rc = dd_blobstore_put(r->o.blobs, &d, body, n, &e);
    if (rc) return dd_registry_error(req, DD_REGERR_INTERNAL, e.msg);
    dd_manifest_rec_t rec;
    memset(&rec, 0, sizeof rec);
    snprintf(rec.repo, sizeof rec.repo, "%s", req->name);
    rec.digest = d;
    snprintf(rec.media_type, sizeof rec.media_type, "%s", m.media_type);
    snprintf(rec.artifact_type, sizeof rec.artifact_type, "%s", m.artifact_type);
    rec.size = n;
    snprintf(rec.subject, sizeof rec.subject, "%s", m.subject);
    rec.annotations_json = (char *)m.annotations_json; /* borrowed; not released */
    rec.pushed_ms = dd_now_ms();
    dd_manifest_refs_t refs = {blobs, nb, children, m.n_children};
    rc = dd_meta_manifest_put(r->o.meta, &rec, &refs, tag, &e);
    /* further tags: the same put again (idempotent), one tag each */
    for (size_t i = 1; i < nq && rc == DD_OK; i++) rc = dd_meta_manifest_put(r->o.meta, &rec, &refs, qtags[i], &e);
    if (rc) return dd_registry_error(req, dd_regerr_from_rc(rc, DD_REGERR_MANIFEST_UNKNOWN, DD_REGERR_MANIFEST_INVALID), e.msg);
    for (size_t i = 0; i < nq; i++) dd_resp_header(req, "OCI-Tag", qtags[i]);
    dd_resp_headerf(req, "Location", "/v2/%s/manifests/%s", req->name, d.str);
    dd_resp_header(req, "Docker-Content-Digest", d.str);
    if (m.subject[0]) dd_resp_header(req, "OCI-Subject", m.subject);
    /* once per tag: every ?tag= reaches the scanner, not only the first */
    if (r->hooks.on_manifest_put) {
        r->hooks.on_manifest_put(r->hooks.ctx, req->name, d.str, m.media_type, tag);
        for (size_t i = 1; i < nq; i++) r->hooks.on_manifest_put(r->hooks.ctx, req->name, d.str, m.media_type, qtags[i]);
    }
    return dd_resp_empty(req, 201);
}

int reg_manifest_put(dd_req_t *req)
{
    dd_registry_t *r = req->ctx;
    const char *tag;
    dd_digest_t want;
    bool is_digest;
    if (!parse_reference(req, &tag, &want, &is_digest, 400)) return DD_OK;
    uint64_t cl;
    bool known = dd_req_content_length(req, &cl) == DD_OK;
    if (known && cl > r->o.manifest_max)
        return dd_registry_error(req, DD_REGERR_TOO_LARGE, "manifest exceeds the size limit");
    uint64_t body = known ? cl : r->o.manifest_max;
    if (!inflight_reserve(req, body + DD_MANIFEST_PARSE_BUDGET(body))) {
        dd_resp_header(req, "Retry-After", "1");
        return dd_registry_error(req, DD_REGERR_TOOMANYREQUESTS,
                                 "too many large manifests being pushed at once; retry");
    }
    return dd_req_buffer_body(req, r->o.manifest_max, put_done);
}

int reg_manifest_delete(dd_req_t *req)
{
    dd_registry_t *r = req->ctx;
    const char *tag;
    dd_digest_t d;
    bool is_digest;
    if (r->o.delete_disabled) return dd_registry_error(req, DD_REGERR_METHOD, "deletion is disabled on this registry");
    if (!parse_reference(req, &tag, &d, &is_digest, 404)) return DD_OK;
    dd_err_t e;
    int rc = is_digest ? dd_meta_manifest_delete(r->o.meta, req->name, &d, &e)
                       : dd_meta_tag_delete(r->o.meta, req->name, tag, &e);
    if (rc == DD_ENOTFOUND) return reg_not_found(req, DD_REGERR_MANIFEST_UNKNOWN);
    if (rc) return dd_registry_error(req, DD_REGERR_INTERNAL, e.msg);
    if (is_digest && r->hooks.on_manifest_deleted) r->hooks.on_manifest_deleted(r->hooks.ctx, req->name, d.str);
    if (!is_digest && r->hooks.on_tag_deleted) r->hooks.on_tag_deleted(r->hooks.ctx, req->name, tag);
    return dd_resp_empty(req, 202);
}

/* ---- referrers -------------------------------------------------------------*/

typedef struct {
    dd_buf_t *b;
    size_t n;
} ref_acc_t;

static int add_referrer(const dd_referrer_t *x, void *arg)
{
    ref_acc_t *acc = arg;
    dd_buf_t *b = acc->b;
    if (acc->n++) dd_buf_putc(b, ',');
    dd_buf_puts(b, "{\"mediaType\":");
    dd_buf_json_str(b, x->media_type);
    dd_buf_puts(b, ",\"digest\":");
    dd_buf_json_str(b, x->digest);
    dd_buf_printf(b, ",\"size\":%llu", (unsigned long long)x->size);
    if (x->artifact_type && *x->artifact_type) {
        dd_buf_puts(b, ",\"artifactType\":");
        dd_buf_json_str(b, x->artifact_type);
    }
    if (x->annotations_json && *x->annotations_json) {
        dd_buf_puts(b, ",\"annotations\":");
        dd_buf_puts(b, x->annotations_json); /* validated JSON object, stored compact */
    }
    dd_buf_putc(b, '}');
    return 0;
}

int reg_referrers(dd_req_t *req)
{
    dd_registry_t *r = req->ctx;
    dd_digest_t d;
    if (!reg_parse_digest(req, dd_req_var(req, "digest"), &d)) return DD_OK;
    const char *at = dd_req_query(req, "artifactType");
    if (at && !*at) at = NULL;
    dd_buf_t b;
    dd_buf_init(&b, 0);
    dd_buf_puts(&b, "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[");
    ref_acc_t acc = {&b, 0};
    int rc = dd_meta_referrers(r->o.meta, req->name, &d, at, add_referrer, &acc);
    if (rc != DD_OK && rc != DD_ENOTFOUND) {
        dd_buf_release(&b);
        return dd_registry_error(req, DD_REGERR_INTERNAL, "referrers lookup failed");
    }
    dd_buf_puts(&b, "]}");
    if (at) dd_resp_header(req, "OCI-Filters-Applied", "artifactType");
    size_t n = 0;
    char *mem = dd_buf_detach(&b, &n);
    rc = dd_resp_bytes(req, 200, OCI_INDEX_MT, mem, n);
    free(mem);
    return rc;
}
