/*
 * image_int.h: the image-source vtable shared by image.c and the source_*.c
 * transports (not installed).
 *
 * A transport registers one dd_source_ops_t in the sorted table in image.c
 * (store:, opened only through dd_image_open_store, is not in it).
 * Transports that serve content-addressed manifests (oci:, docker://)
 * implement fetch() and let dd_source_list_generic() walk indexes; the
 * docker-archive transport lists its images itself.
 */
#ifndef DD_IMAGE_INT_H
#define DD_IMAGE_INT_H

#include "dd/image.h"

typedef struct dd_source_ops dd_source_ops_t;

struct dd_image_source {
    const dd_source_ops_t *ops;
    char *platform;           /* copied from opts */
    bool insecure;
    char *user, *password;
    dd_analyze_limits_t limits;
    char *tag_filter;         /* oci: the TAG of oci:DIR:TAG, else NULL */
};

enum { DD_FETCH_ROOT = 0, DD_FETCH_MANIFEST = 1, DD_FETCH_BLOB = 2 };

struct dd_source_ops {
    int version;              /* 1, or 2 with analyze_layer */
    const char *prefix;       /* "docker-archive:", "docker://", "fs:", "oci:", "rootfs:": table sorted by it */
    /* rest is the reference without the prefix. */
    int (*open)(const char *rest, dd_image_source_t **out, dd_err_t *e);
    /* Fetches a small document into out (at most max bytes), verified against
     * d->digest. kind ROOT (d == NULL) returns the starting document and its
     * media type (*mt, malloc'd, may be NULL) and digest (*dg may stay empty
     * when the document isn't content-addressed, like index.json). */
    int (*fetch)(dd_image_source_t *src, int kind, const dd_descriptor_t *d, size_t max,
                 dd_buf_t *out, char **mt, dd_digest_t *dg, dd_err_t *e);
    /* Lists images itself (NULL: dd_source_list_generic). */
    int (*list)(dd_image_source_t *src, dd_image_desc_t **imgs, size_t *n, dd_err_t *e);
    /* Analyzes the layers of img whose todo[i] is true into res[i] (init'ed),
     * verifying digests. */
    int (*analyze)(dd_image_source_t *src, const dd_image_desc_t *img, const bool *todo,
                   dd_layer_result_t *res, dd_err_t *e);
    void (*close)(dd_image_source_t *src);
    /* version 2, optional: analyzes the one layer d names into out (init'ed):
     * DD_OK, DD_DECLINED when the blob is not a layer (out empty), or an
     * error. When set, dd_image_analyze goes layer by layer through it
     * (analyze is then unused). */
    int (*analyze_layer)(dd_image_source_t *src, const dd_descriptor_t *d, dd_layer_result_t *out, dd_err_t *e);
};

extern const dd_source_ops_t dd_source_oci, dd_source_docker_archive, dd_source_registry, dd_source_fs,
    dd_source_rootfs, dd_source_store;

int dd_source_list_generic(dd_image_source_t *src, dd_image_desc_t **imgs, size_t *n, dd_err_t *e);
/* Fills img->cfg/platform from config bytes and appends; used by transports. */
void dd_image_desc_release(dd_image_desc_t *d);
void dd_descriptor_copy(dd_descriptor_t *dst, const dd_descriptor_t *src);
/* A read function wrapper that hashes and counts what passes through. */
typedef struct dd_hashing_reader {
    dd_read_fn fn;
    void *arg;
    dd_hasher_t *h;
    uint64_t n;
    uint64_t max;             /* fail past this many bytes (the descriptor size) */
} dd_hashing_reader_t;
ssize_t dd_hashing_read(void *arg, void *buf, size_t n);
/* Checks a fetched document b against its descriptor's size and digest. */
int dd_source_check_blob(const dd_descriptor_t *d, const dd_buf_t *b, dd_err_t *e);
/* Analyzes one layer through a hashing reader and checks digest and size. */
int dd_source_analyze_verified(dd_image_source_t *src, const dd_descriptor_t *d, dd_read_fn fn,
                               void *arg, dd_layer_result_t *out, dd_err_t *e);

#endif
