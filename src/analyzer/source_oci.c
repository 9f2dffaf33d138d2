/*
 * source_oci.c: the oci:DIR[:TAG] transport, an OCI image layout on disk
 * (image-spec image-layout.md): DIR/oci-layout, DIR/index.json and
 * content-addressed DIR/blobs/<alg>/<hex>. index.json is the root document;
 * TAG selects its entries by org.opencontainers.image.ref.name. Every blob
 * read is checked against its descriptor's size and digest.
 */
#include "image_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct oci_src {
    dd_image_source_t super;
    char *dir;
} oci_src_t;

static bool has_index(const char *dir)
{
    char p[4096];
    struct stat st;
    snprintf(p, sizeof p, "%s/index.json", dir);
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static int oci_open(const char *rest, dd_image_source_t **out, dd_err_t *e)
{
    if (!*rest) return dd_err(e, DD_EINVAL, "oci: needs a directory");
    if (strlen(rest) >= 4000) return dd_err(e, DD_EINVAL, "oci: path too long");
    char *dir = dd_strdup(rest), *tag = NULL;
    if (!has_index(dir)) {
        char *colon = strrchr(dir, ':');
        if (colon) {
            *colon = '\0';
            tag = colon + 1;
        }
        if (!colon || !has_index(dir) || !*tag) {
            free(dir);
            return dd_err(e, DD_ENOTFOUND, "oci: no OCI image layout (index.json) at '%.200s'", rest);
        }
    }
    oci_src_t *s = dd_calloc(1, sizeof *s);
    s->dir = dir;
    if (tag) s->super.tag_filter = dd_strdup(tag);
    *out = &s->super;
    return DD_OK;
}

static void blob_path(const oci_src_t *s, const dd_digest_t *d, char *p, size_t n)
{
    snprintf(p, n, "%s/blobs/%s/%s", s->dir, dd_digest_alg_name(d->alg), dd_digest_hex(d));
}

static int oci_fetch(dd_image_source_t *src, int kind, const dd_descriptor_t *d, size_t max, dd_buf_t *out,
                     char **mt, dd_digest_t *dg, dd_err_t *e)
{
    oci_src_t *s = (oci_src_t *)src;
    char p[4200];
    if (kind == DD_FETCH_ROOT) {
        snprintf(p, sizeof p, "%s/index.json", s->dir);
        if (mt) *mt = NULL;
        (void)dg;
        return dd_file_read(p, max, out, e);
    }
    if (d->size > (int64_t)max)
        return dd_err(e, DD_ELIMIT, "blob %s is %lld bytes, over %zu", d->digest.str, (long long)d->size, max);
    blob_path(s, &d->digest, p, sizeof p);
    int rc = dd_file_read(p, max, out, e);
    return rc == DD_OK ? dd_source_check_blob(d, out, e) : rc;
}

static ssize_t fd_read(void *arg, void *buf, size_t n)
{
    return read(*(int *)arg, buf, n);
}

static int oci_analyze(dd_image_source_t *src, const dd_image_desc_t *img, const bool *todo,
                       dd_layer_result_t *res, dd_err_t *e)
{
    oci_src_t *s = (oci_src_t *)src;
    for (size_t i = 0; i < img->n_layers; i++) {
        if (!todo[i]) continue;
        char p[4200];
        blob_path(s, &img->layers[i].digest, p, sizeof p);
        int fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd < 0) return dd_err_errno(e, DD_ENOTFOUND, errno, "oci: cannot open layer blob '%s'", p);
        dd_layer_result_init(&res[i]);
        int rc = dd_source_analyze_verified(src, &img->layers[i], fd_read, &fd, &res[i], e);
        close(fd);
        if (rc != DD_OK) return rc;
    }
    return DD_OK;
}

static void oci_close(dd_image_source_t *src)
{
    oci_src_t *s = (oci_src_t *)src;
    free(s->dir);
    free(s);
}

const dd_source_ops_t dd_source_oci = {
    .version = 1,
    .prefix = "oci:",
    .open = oci_open,
    .fetch = oci_fetch,
    .list = NULL,
    .analyze = oci_analyze,
    .close = oci_close,
};
