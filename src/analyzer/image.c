/*
 * image.c: image sources: the transport table, listing platform images
 * through manifests and indexes, and analyzing an image's layers with an
 * optional per-layer cache.
 *
 * Listing (dd_source_list_generic, for content-addressed transports):
 *   root document -> image manifest: one image
 *                 -> index: each entry (filtered by the oci: TAG and by
 *                    opts.platform); nested indexes are followed to depth 3;
 *                    entries that are not image manifests, attestation
 *                    manifests (platform unknown/unknown) and artifacts whose
 *                    config is not an image config are skipped.
 * Each image manifest's config blob is fetched (verified) and parsed.
 */
#include "image_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Transports, sorted by prefix. */
static const dd_source_ops_t *const transports[] = {
    &dd_source_docker_archive,
    &dd_source_registry,
    &dd_source_fs,
    &dd_source_oci,
    &dd_source_rootfs,
};

int dd_image_open(const char *ref, const dd_image_opts_t *opts, dd_image_source_t **out, dd_err_t *e)
{
    *out = NULL;
    for (size_t i = 0; i < sizeof transports / sizeof *transports; i++) {
        const dd_source_ops_t *t = transports[i];
        if (!dd_str_startswith(ref, t->prefix)) continue;
        dd_image_source_t *src = NULL;
        int rc = t->open(ref + strlen(t->prefix), &src, e);
        if (rc != DD_OK) return rc;
        src->ops = t;
        if (opts && opts->platform) src->platform = dd_strdup(opts->platform);
        src->insecure = opts && opts->insecure;
        const char *u = opts && opts->user ? opts->user : getenv("DRYDOCK_REGISTRY_USER");
        const char *p = opts && opts->password ? opts->password : getenv("DRYDOCK_REGISTRY_PASSWORD");
        if (u && *u) src->user = dd_strdup(u);
        if (p && *p) src->password = dd_strdup(p);
        if (opts && opts->limits) src->limits = *opts->limits;
        else dd_analyze_limits_default(&src->limits);
        *out = src;
        return DD_OK;
    }
    return dd_err(e, DD_EUNSUPPORTED,
                  "unsupported image reference '%.200s' (use oci:DIR[:TAG], docker-archive:FILE, "
                  "docker://HOST/REPO[:TAG], fs:DIR or rootfs:DIR)", ref);
}

void dd_image_close(dd_image_source_t *src)
{
    if (!src) return;
    free(src->platform);
    free(src->user);
    if (src->password) {
        memset(src->password, 0, strlen(src->password));
        free(src->password);
    }
    free(src->tag_filter);
    src->ops->close(src);
}

void dd_descriptor_copy(dd_descriptor_t *dst, const dd_descriptor_t *s)
{
    *dst = *s;
    dst->media_type = s->media_type ? dd_strdup(s->media_type) : NULL;
    dst->artifact_type = s->artifact_type ? dd_strdup(s->artifact_type) : NULL;
    dst->ref_name = s->ref_name ? dd_strdup(s->ref_name) : NULL;
    dst->platform.os = s->platform.os ? dd_strdup(s->platform.os) : NULL;
    dst->platform.architecture = s->platform.architecture ? dd_strdup(s->platform.architecture) : NULL;
    dst->platform.variant = s->platform.variant ? dd_strdup(s->platform.variant) : NULL;
    dst->platform.os_version = s->platform.os_version ? dd_strdup(s->platform.os_version) : NULL;
}

void dd_image_desc_release(dd_image_desc_t *d)
{
    free(d->ref);
    free(d->media_type);
    free(d->platform.os);
    free(d->platform.architecture);
    free(d->platform.variant);
    free(d->platform.os_version);
    dd_descriptor_release(&d->config);
    for (size_t i = 0; i < d->n_layers; i++) dd_descriptor_release(&d->layers[i]);
    free(d->layers);
    dd_image_config_release(&d->cfg);
    memset(d, 0, sizeof *d);
}

void dd_image_descs_free(dd_image_desc_t *imgs, size_t n)
{
    for (size_t i = 0; i < n; i++) dd_image_desc_release(&imgs[i]);
    free(imgs);
}

int dd_image_list(dd_image_source_t *src, dd_image_desc_t **imgs, size_t *n, dd_err_t *e)
{
    *imgs = NULL;
    *n = 0;
    int rc = src->ops->list ? src->ops->list(src, imgs, n, e) : dd_source_list_generic(src, imgs, n, e);
    if (rc == DD_OK && *n == 0) {
        free(*imgs);
        *imgs = NULL;
        if (src->platform) return dd_err(e, DD_ENOTFOUND, "no image for platform '%s'", src->platform);
        if (src->tag_filter) return dd_err(e, DD_ENOTFOUND, "no image tagged '%s'", src->tag_filter);
        return dd_err(e, DD_ENOTFOUND, "no image found");
    }
    return rc;
}

/* ---- generic listing ----------------------------------------------------- */

typedef struct lister {
    dd_image_source_t *src;
    dd_image_desc_t *imgs;
    size_t n, cap;
} lister_t;

static bool is_image_config(const char *mt)
{
    return strcmp(mt, DD_MT_OCI_CONFIG) == 0 || strcmp(mt, DD_MT_DOCKER_CONFIG) == 0;
}

static int add_image(lister_t *L, const dd_manifest_t *m, const dd_digest_t *dg,
                     const dd_descriptor_t *entry, const char *ref, dd_err_t *e)
{
    if (!is_image_config(m->config.media_type)) return DD_OK; /* an artifact, not an image */
    dd_buf_t cfg;
    dd_buf_init(&cfg, DD_CONFIG_MAX);
    int rc = L->src->ops->fetch(L->src, DD_FETCH_BLOB, &m->config, DD_CONFIG_MAX, &cfg, NULL, NULL, e);
    dd_image_desc_t d;
    memset(&d, 0, sizeof d);
    if (rc == DD_OK) rc = dd_image_config_parse(cfg.ptr, cfg.len, &d.cfg, e);
    dd_buf_release(&cfg);
    if (rc != DD_OK) return rc;
    const dd_platform_t *p = entry && entry->has_platform ? &entry->platform : NULL;
    dd_platform_t fromcfg = {d.cfg.os, d.cfg.architecture, d.cfg.variant, NULL};
    if (!p) p = &fromcfg;
    if (L->src->platform && !dd_platform_match(p, L->src->platform)) {
        dd_image_config_release(&d.cfg);
        return DD_OK;
    }
    d.platform.os = p->os ? dd_strdup(p->os) : NULL;
    d.platform.architecture = p->architecture ? dd_strdup(p->architecture) : NULL;
    d.platform.variant = p->variant ? dd_strdup(p->variant) : NULL;
    d.platform.os_version = p->os_version ? dd_strdup(p->os_version) : NULL;
    d.digest = *dg;
    d.ref = ref ? dd_strdup(ref) : NULL;
    d.media_type = dd_strdup(m->media_type);
    dd_descriptor_copy(&d.config, &m->config);
    d.layers = dd_calloc(m->n_layers ? m->n_layers : 1, sizeof *d.layers);
    for (size_t i = 0; i < m->n_layers; i++) dd_descriptor_copy(&d.layers[i], &m->layers[i]);
    d.n_layers = m->n_layers;
    if (L->n == L->cap) {
        L->cap = L->cap ? L->cap * 2 : 4;
        L->imgs = dd_realloc(L->imgs, L->cap * sizeof *L->imgs);
    }
    L->imgs[L->n++] = d;
    return DD_OK;
}

static int walk(lister_t *L, const dd_manifest_t *m, const dd_digest_t *dg, const dd_descriptor_t *entry,
                const char *ref, int depth, bool root, dd_err_t *e)
{
    if (m->kind == DD_MANIFEST_IMAGE) return add_image(L, m, dg, entry, ref, e);
    if (depth > 3) return dd_err(e, DD_ELIMIT, "indexes nested too deeply");
    for (size_t i = 0; i < m->n_manifests; i++) {
        const dd_descriptor_t *c = &m->manifests[i];
        if (root && L->src->tag_filter && (!c->ref_name || strcmp(c->ref_name, L->src->tag_filter) != 0))
            continue;
        bool is_index = strcmp(c->media_type, DD_MT_OCI_INDEX) == 0 || strcmp(c->media_type, DD_MT_DOCKER_LIST) == 0;
        bool is_image = strcmp(c->media_type, DD_MT_OCI_MANIFEST) == 0 ||
                        strcmp(c->media_type, DD_MT_DOCKER_MANIFEST) == 0;
        if (!is_index && !is_image) continue;
        if (c->has_platform && c->platform.os && strcmp(c->platform.os, "unknown") == 0) continue;
        if (is_image && c->has_platform && L->src->platform && !dd_platform_match(&c->platform, L->src->platform))
            continue;
        dd_buf_t b;
        dd_buf_init(&b, DD_MANIFEST_MAX);
        int rc = L->src->ops->fetch(L->src, DD_FETCH_MANIFEST, c, DD_MANIFEST_MAX, &b, NULL, NULL, e);
        dd_manifest_t child;
        if (rc == DD_OK) rc = dd_manifest_parse(b.ptr, b.len, c->media_type, &child, e);
        dd_buf_release(&b);
        if (rc != DD_OK) return rc;
        const char *cref = c->ref_name ? c->ref_name : ref;
        rc = walk(L, &child, &c->digest, c->has_platform ? c : entry, cref, depth + 1, false, e);
        dd_manifest_release(&child);
        if (rc != DD_OK) return rc;
    }
    return DD_OK;
}

/* The root document parsed into m, and its digest (of the bytes read when
 * the transport gives none). */
static int root_doc(dd_image_source_t *src, dd_manifest_t *m, dd_digest_t *dg, dd_err_t *e)
{
    dd_buf_t b;
    dd_buf_init(&b, DD_MANIFEST_MAX);
    char *mt = NULL;
    memset(dg, 0, sizeof *dg);
    int rc = src->ops->fetch(src, DD_FETCH_ROOT, NULL, DD_MANIFEST_MAX, &b, &mt, dg, e);
    if (rc == DD_OK) rc = dd_manifest_parse(b.ptr, b.len, mt, m, e);
    free(mt);
    if (rc == DD_OK && !dg->str[0]) dd_digest_buf(DD_DIGEST_SHA256, b.ptr, b.len, dg);
    dd_buf_release(&b);
    return rc;
}

int dd_source_list_generic(dd_image_source_t *src, dd_image_desc_t **imgs, size_t *n, dd_err_t *e)
{
    dd_digest_t dg;
    dd_manifest_t m;
    int rc = root_doc(src, &m, &dg, e);
    if (rc != DD_OK) return rc;
    lister_t L = {.src = src};
    rc = walk(&L, &m, &dg, NULL, src->tag_filter, 0, true, e);
    dd_manifest_release(&m);
    if (rc != DD_OK) {
        dd_image_descs_free(L.imgs, L.n);
        return rc;
    }
    *imgs = L.imgs;
    *n = L.n;
    return DD_OK;
}

/* ---- analysis ------------------------------------------------------------ */

ssize_t dd_hashing_read(void *arg, void *buf, size_t n)
{
    dd_hashing_reader_t *h = arg;
    ssize_t r = h->fn(h->arg, buf, n);
    if (r > 0) {
        dd_hasher_update(h->h, buf, (size_t)r);
        h->n += (uint64_t)r;
        if (h->n > h->max) return -1;
    }
    return r;
}

int dd_source_analyze_verified(dd_image_source_t *src, const dd_descriptor_t *d, dd_read_fn fn,
                               void *arg, dd_layer_result_t *out, dd_err_t *e)
{
    dd_hashing_reader_t h = {fn, arg, dd_hasher_new(d->digest.alg), 0, (uint64_t)d->size};
    int rc = dd_layer_analyze_stream(dd_hashing_read, &h, &src->limits, out, e);
    if (rc == DD_DECLINED) {
        rc = dd_err(e, DD_EUNSUPPORTED, "layer %s is not a tar, gzip or zstd stream", d->digest.str);
    } else if (h.n > (uint64_t)d->size) {
        dd_layer_result_release(out);
        rc = dd_err(e, DD_EDIGEST, "layer %s is longer than its size %lld", d->digest.str, (long long)d->size);
    } else if (rc != DD_OK) {
        dd_err_t inner = e ? *e : (dd_err_t){0};
        rc = dd_err(e, rc, "layer %s: %s", d->digest.str, inner.msg);
    } else {
        dd_digest_t got;
        dd_hasher_final(h.h, &got);
        if (h.n != (uint64_t)d->size)
            rc = dd_err(e, DD_EDIGEST, "layer %s has %llu bytes, not %lld", d->digest.str,
                        (unsigned long long)h.n, (long long)d->size);
        else if (strcmp(got.str, d->digest.str) != 0)
            rc = dd_err(e, DD_EDIGEST, "layer digest mismatch: expected %s, got %s", d->digest.str, got.str);
        if (rc != DD_OK) dd_layer_result_release(out);
    }
    dd_hasher_free(h.h);
    return rc;
}

int dd_image_analyze_layer(dd_image_source_t *src, const dd_descriptor_t *d, const dd_layer_cache_t *cache,
                           dd_layer_result_t *out, bool *analyzed, dd_err_t *e)
{
    dd_err_t local;
    if (!e) e = &local;
    dd_err_clear(e);
    if (analyzed) *analyzed = false;
    if (!src->ops->analyze_layer)
        return dd_err(e, DD_EUNSUPPORTED, "%s images are not analyzed layer by layer", src->ops->prefix);
    if (cache) {
        int rc = cache->get(cache->arg, &d->digest, out, e);
        if (rc != DD_ENOTFOUND) return rc;
        dd_err_clear(e);
    }
    int rc = src->ops->analyze_layer(src, d, out, e);
    if (analyzed) *analyzed = true;
    if (cache) cache->put(cache->arg, &d->digest, rc, rc == DD_OK ? out : NULL, rc == DD_OK ? NULL : e->msg);
    return rc;
}

/* Layer by layer: each one's cache turn ends before the next begins, so
 * two images sharing layers in another order never wait on each other. */
static int analyze_each(dd_image_source_t *src, const dd_image_desc_t *img, const dd_layer_cache_t *cache,
                        dd_layer_result_t *res, size_t *count, dd_err_t *e)
{
    for (size_t i = 0; i < img->n_layers; i++) {
        bool now = false;
        dd_layer_result_init(&res[i]);
        int rc = dd_image_analyze_layer(src, &img->layers[i], cache, &res[i], &now, e);
        if (now) (*count)++;
        if (rc == DD_DECLINED) {
            /* not a tar, gzip or zstd stream (foreign media): no files */
            dd_layer_result_release(&res[i]);
            dd_layer_result_init(&res[i]);
            rc = DD_OK;
        }
        if (rc != DD_OK) return rc;
    }
    return DD_OK;
}

/* In one pass of the transport over the layers the cache does not have. */
static int analyze_batch(dd_image_source_t *src, const dd_image_desc_t *img, const dd_layer_cache_t *cache,
                         dd_layer_result_t *res, size_t *count, dd_err_t *e)
{
    size_t n = img->n_layers;
    bool *todo = dd_calloc(n ? n : 1, sizeof *todo);
    int rc = DD_OK;
    for (size_t i = 0; i < n; i++) {
        dd_layer_result_init(&res[i]);
        /* anything but a result is analyzed again: the transport says why */
        todo[i] = !cache || cache->get(cache->arg, &img->layers[i].digest, &res[i], NULL) != DD_OK;
        if (todo[i]) {
            dd_layer_result_release(&res[i]);
            (*count)++;
        }
    }
    if (*count) rc = src->ops->analyze(src, img, todo, res, e);
    if (cache)
        for (size_t i = 0; i < n; i++)
            if (todo[i]) cache->put(cache->arg, &img->layers[i].digest, rc == DD_OK ? DD_OK : DD_EBUSY,
                                    rc == DD_OK ? &res[i] : NULL, NULL);
    free(todo);
    return rc;
}

int dd_image_analyze(dd_image_source_t *src, const dd_image_desc_t *img, const dd_layer_cache_t *cache,
                     dd_layer_result_t **layers_out, size_t *n_analyzed, dd_err_t *e)
{
    size_t n = img->n_layers, count = 0;
    dd_layer_result_t *res = dd_calloc(n ? n : 1, sizeof *res);
    int rc = src->ops->analyze_layer ? analyze_each(src, img, cache, res, &count, e)
                                     : analyze_batch(src, img, cache, res, &count, e);
    if (rc != DD_OK) {
        for (size_t i = 0; i < n; i++) dd_layer_result_release(&res[i]);
        free(res);
        return rc;
    }
    *layers_out = res;
    if (n_analyzed) *n_analyzed = count;
    return DD_OK;
}

int dd_image_root(dd_image_source_t *src, dd_manifest_t *out, dd_err_t *e)
{
    dd_digest_t dg;
    return root_doc(src, out, &dg, e);
}

int dd_source_check_blob(const dd_descriptor_t *d, const dd_buf_t *b, dd_err_t *e)
{
    if ((int64_t)b->len != d->size)
        return dd_err(e, DD_EDIGEST, "blob %s has %zu bytes, not %lld", d->digest.str, b->len, (long long)d->size);
    dd_digest_t got;
    dd_digest_buf(d->digest.alg, b->ptr, b->len, &got);
    if (strcmp(got.str, d->digest.str) != 0)
        return dd_err(e, DD_EDIGEST, "blob digest mismatch: expected %s, got %s", d->digest.str, got.str);
    return DD_OK;
}
