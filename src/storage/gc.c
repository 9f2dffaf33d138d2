/*
 * gc.c: dd_storage_gc(), offline mark-and-sweep garbage collection
 * (see include/dd/storegc.h for the rules and docs/storage.md).
 *
 * Passes, all through the public interfaces only:
 *   1. manifests_each marks "repo\ndigest" for each manifest's own bytes and
 *      each blob it references (a sorted array, searched with bsearch);
 *   2. links_each sweeps every link its repository's manifests don't mark
 *      (links_each calls fn with no statement active, so unlinking from it
 *      is safe), remembering the swept digests;
 *   3. a dry run counts the blobs whose references would all be gone
 *      (blob_refs minus the links it would sweep); a real run hands the
 *      orphan removal to dd_storage_check's DD_STORECHECK_REPAIR pass.
 * Memory: one string per reference; fine for the stores this serves.
 */
#include "dd/storegc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dd/storecheck.h"

typedef struct strvec {
    char **v;
    size_t n, cap;
} strvec_t;

static void sv_push(strvec_t *s, char *str)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 256;
        s->v = dd_realloc(s->v, s->cap * sizeof *s->v);
    }
    s->v[s->n++] = str;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void sv_free(strvec_t *s)
{
    for (size_t i = 0; i < s->n; i++) free(s->v[i]);
    free(s->v);
}

/* how many entries equal key (s sorted) */
static size_t sv_count(const strvec_t *s, const char *key)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(s->v[mid], key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t n = 0;
    while (lo + n < s->n && strcmp(s->v[lo + n], key) == 0) n++;
    return n;
}

struct gc {
    dd_blobstore_t *bs;
    dd_meta_t *meta;
    unsigned flags;
    dd_storegc_report_t *out;
    void (*on_item)(const char *msg, void *arg);
    void *arg;
    strvec_t marked; /* "repo\ndigest" */
    strvec_t swept;  /* digests of swept links (dry run: that would be swept) */
    int rc;
    dd_err_t *e;
};

static void item(struct gc *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void item(struct gc *g, const char *fmt, ...)
{
    if (!g->on_item) return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    g->on_item(msg, g->arg);
}

static int mark_cb(const dd_manifest_rec_t *rec, const dd_manifest_refs_t *refs, void *arg)
{
    struct gc *g = arg;
    g->out->manifests++;
    sv_push(&g->marked, dd_asprintf("%s\n%s", rec->repo, rec->digest.str));
    for (size_t i = 0; i < refs->n_blobs; i++)
        sv_push(&g->marked, dd_asprintf("%s\n%s", rec->repo, refs->blobs[i].str));
    return 0;
}

static int sweep_link_cb(const char *repo, const dd_digest_t *d, uint64_t size, void *arg)
{
    struct gc *g = arg;
    g->out->links++;
    char *key = dd_asprintf("%s\n%s", repo, d->str);
    size_t n = sv_count(&g->marked, key);
    free(key);
    if (n) return 0;
    if (!(g->flags & DD_STOREGC_DRY_RUN)) {
        int rc = dd_meta_blob_unlink(g->meta, repo, d, g->e);
        if (rc != DD_OK && rc != DD_ENOTFOUND) {
            g->rc = rc;
            return 1;
        }
    }
    g->out->links_swept++;
    sv_push(&g->swept, dd_strdup(d->str));
    item(g, "link %s -> %s (%llu bytes)", repo, d->str, (unsigned long long)size);
    return 0;
}

static int dry_blob_cb(const dd_digest_t *d, uint64_t size, void *arg)
{
    struct gc *g = arg;
    g->out->blobs++;
    uint64_t refs = 0;
    if (dd_meta_blob_refs(g->meta, d, &refs) != DD_OK) return 0;
    if (refs > sv_count(&g->swept, d->str)) return 0;
    g->out->blobs_swept++;
    g->out->bytes_swept += size;
    item(g, "blob %s (%llu bytes)", d->str, (unsigned long long)size);
    return 0;
}

int dd_storage_gc(dd_blobstore_t *bs, dd_meta_t *meta, unsigned flags, dd_storegc_report_t *out,
                  void (*on_item)(const char *msg, void *arg), void *arg, dd_err_t *e)
{
    memset(out, 0, sizeof *out);
    struct gc g = {.bs = bs, .meta = meta, .flags = flags, .out = out, .on_item = on_item, .arg = arg, .e = e};
    int rc = dd_meta_manifests_each(meta, mark_cb, &g);
    if (rc != DD_OK) {
        rc = dd_err(e, rc, "cannot walk manifests: %s", dd_rc_name(rc));
        goto out;
    }
    if (g.marked.n) qsort(g.marked.v, g.marked.n, sizeof *g.marked.v, cmp_str);
    rc = dd_meta_links_each(meta, sweep_link_cb, &g);
    if (g.rc != DD_OK) {
        rc = g.rc; /* e filled by dd_meta_blob_unlink */
        goto out;
    }
    if (rc != DD_OK) {
        rc = dd_err(e, rc, "cannot walk blob links: %s", dd_rc_name(rc));
        goto out;
    }
    if (g.swept.n) qsort(g.swept.v, g.swept.n, sizeof *g.swept.v, cmp_str);
    if (flags & DD_STOREGC_DRY_RUN) {
        rc = dd_blobstore_each(bs, dry_blob_cb, &g);
        if (rc != DD_OK) rc = dd_err(e, rc, "cannot walk blobs: %s", dd_rc_name(rc));
        goto out;
    }
    dd_storecheck_report_t cr;
    rc = dd_storage_check(bs, meta, DD_STORECHECK_REPAIR, &cr, NULL, NULL, e);
    if (rc != DD_OK) goto out;
    out->blobs = cr.blobs;
    out->blobs_swept = cr.removed;
    out->bytes_swept = cr.removed_bytes;
out:
    sv_free(&g.marked);
    sv_free(&g.swept);
    return rc;
}
