/*
 * image.h: image sources: open an image reference, list its platform images,
 * and analyze their layers.
 *
 * References:
 *   oci:DIR[:TAG]            OCI image layout (index.json, blobs/<alg>/<hex>);
 *                            TAG selects index.json entries by their
 *                            org.opencontainers.image.ref.name annotation
 *   docker-archive:FILE      a `docker save` / skopeo docker-archive tarball,
 *                            read in place with libarchive (never extracted)
 *   docker://HOST[:PORT]/REPO[:TAG|@DIGEST]
 *                            pulled over HTTP(S) with libcurl (plain http for
 *                            localhost / 127.0.0.1 / [::1], or opts.insecure),
 *                            Docker token auth (anonymous, or with
 *                            DRYDOCK_REGISTRY_USER / DRYDOCK_REGISTRY_PASSWORD)
 *   fs:DIR, rootfs:DIR       a directory tree, analyzed as one image with one
 *                            layer (source_dir.c: symlinks never leave DIR,
 *                            layer file-size limits); its digests are
 *                            synthetic (sha256 of the path): never cache by them
 *   store: (no reference string here) the registry's own blob store, opened
 *                            with dd_image_open_store() by the server's
 *                            workers and by `drydock scan store:REPO[:TAG]`
 *                            (which resolves the tag in the metadata store)
 *
 * Every blob is verified against its digest over the exact bytes read
 * (layers while they stream through the analyzer; nothing is stored).
 * Multi-platform indexes give one dd_image_desc_t per platform image
 * (attestation and other non-image entries are skipped); opts.platform
 * ("linux/amd64", "linux/arm64/v8") keeps only the matching ones.
 */
#ifndef DD_IMAGE_H
#define DD_IMAGE_H

#include "dd/analyzer.h"
#include "dd/manifest.h"

typedef struct dd_image_source dd_image_source_t;

typedef struct dd_image_opts {
    const char *platform;     /* NULL = every platform */
    bool insecure;            /* plain http for any docker:// host */
    const char *user, *password; /* NULL = from the environment (docker:// only) */
    const dd_analyze_limits_t *limits; /* NULL = dd_analyze_limits_default() + catalog filter */
} dd_image_opts_t;

typedef struct dd_image_desc {
    dd_digest_t digest;       /* manifest digest (docker-archive: config digest = image id) */
    char *ref;                /* tag / name when known, else NULL */
    char *media_type;         /* manifest media type (docker-archive: Docker schema 2) */
    dd_platform_t platform;   /* from the index entry, else from the config */
    dd_descriptor_t config;
    dd_descriptor_t *layers;  /* in order, base first */
    size_t n_layers;
    dd_image_config_t cfg;    /* parsed config: os, architecture, created, history */
} dd_image_desc_t;

/* A cache of layer results keyed by (layer digest, DD_ANALYZER_VERSION),
 * called by dd_image_analyze / dd_image_analyze_layer around each layer.
 *
 * get: DD_OK with out filled (dd_layer_result_init'ed by the caller);
 *      DD_DECLINED when the blob is known not to be a layer (it contributes
 *      no files; e says why); DD_ENOTFOUND when it is not cached: the
 *      caller analyzes it now and then calls put for it; another rc when an
 *      earlier analysis of the same bytes failed for good (e says why). A
 *      single-flight cache (the server's, over the scan store) hands a
 *      missing layer to one caller and makes the others wait in get until
 *      that caller's put; the pipeline then holds at most one layer's turn
 *      at a time (per-layer transports, see dd_image_analyze).
 * put: status DD_OK stores a copy of r; DD_DECLINED, DD_ECORRUPT and
 *      DD_ELIMIT are remembered with the text error (the same bytes give the
 *      same answer); any other status stores nothing and only ends the
 *      caller's turn. */
typedef struct dd_layer_cache {
    int (*get)(void *arg, const dd_digest_t *layer, dd_layer_result_t *out, dd_err_t *e);
    void (*put)(void *arg, const dd_digest_t *layer, int status, const dd_layer_result_t *r, const char *error);
    void *arg;
} dd_layer_cache_t;

/* Opens ref. DD_EINVAL for a malformed reference, DD_EUNSUPPORTED for an
 * unknown transport, DD_ENOTFOUND / DD_EIO when it can't be reached. opts may
 * be NULL; its strings are copied. */
int dd_image_open(const char *ref, const dd_image_opts_t *opts, dd_image_source_t **out, dd_err_t *e);
void dd_image_close(dd_image_source_t *src);   /* NULL is a no-op */

/* The platform images of the source (after the platform filter). DD_ENOTFOUND
 * when nothing matches. Free with dd_image_descs_free. */
int dd_image_list(dd_image_source_t *src, dd_image_desc_t **imgs, size_t *n, dd_err_t *e);
void dd_image_descs_free(dd_image_desc_t *imgs, size_t n);

/* Analyzes img's layers (cached ones are taken from cache, new ones put into
 * it; cache may be NULL). *layers_out gets img->n_layers results (free each
 * with dd_layer_result_release, then the array with free()). *n_analyzed
 * (may be NULL) counts the layers analyzed now rather than taken from the
 * cache. Transports that read layers by digest (store:) go layer by layer
 * (cache get, analyze, put), and a layer that is not a tar, gzip or zstd
 * stream gives an empty result (it contributes no files); the others
 * analyze the missing layers in one pass and fail on such a layer. */
int dd_image_analyze(dd_image_source_t *src, const dd_image_desc_t *img,
                     const dd_layer_cache_t *cache, dd_layer_result_t **layers_out,
                     size_t *n_analyzed, dd_err_t *e);

/* Analyzes one layer of src, d naming its digest and size, through cache
 * (may be NULL): DD_OK with out (dd_layer_result_init'ed) filled,
 * DD_DECLINED when the blob is not a layer (out empty), or an error.
 * *analyzed (may be NULL) tells whether it was analyzed now. Only
 * transports that read layers by digest (store:); DD_EUNSUPPORTED else. */
int dd_image_analyze_layer(dd_image_source_t *src, const dd_descriptor_t *d, const dd_layer_cache_t *cache,
                           dd_layer_result_t *out, bool *analyzed, dd_err_t *e);

/* The source's starting document parsed (free with dd_manifest_release):
 * for store: the manifest it was opened on, image or index. */
int dd_image_root(dd_image_source_t *src, dd_manifest_t *out, dd_err_t *e);

/* ---- store: the registry's blob store --------------------------------- */
struct dd_blobstore;
/* Opens the manifest with digest `manifest` in the blob store bs (borrowed,
 * must outlive the source) as an image source; manifest NULL opens the
 * store for dd_image_analyze_layer only (layers pushed before their
 * manifest; such a source may be shared by threads). media_type (may be NULL or
 * "") is the manifest's media type as the registry recorded it. Manifests
 * and configs are read through the blob-reader API and checked against
 * their digests; layers are streamed through it into the analyzer and
 * checked against their descriptor's size only (the blob store verified
 * their digest when the upload committed, blobstore.h invariant 1). */
int dd_image_open_store(struct dd_blobstore *bs, const char *manifest, const char *media_type,
                        const dd_image_opts_t *opts, dd_image_source_t **out, dd_err_t *e);

/* ---- docker:// references ------------------------------------------------ */
typedef struct dd_docker_ref {
    char host[256];           /* "registry.example:5000" */
    char repo[256];           /* "library/debian" */
    char tag[129];            /* "" when a digest is given */
    char digest[DD_DIGEST_MAX]; /* "" when a tag is given */
} dd_docker_ref_t;
/* Parses HOST[:PORT]/REPO[:TAG|@DIGEST] (no default host: the first
 * component must be the registry). The tag defaults to "latest". */
int dd_docker_ref_parse(const char *s, dd_docker_ref_t *out, dd_err_t *e);

#endif
