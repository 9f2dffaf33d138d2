/*
 * source_dir.c: the fs:DIR and rootfs:DIR transports, a directory tree
 * analyzed like an image with one layer.
 *
 * The directory is one platform image with one "layer" whose result is the
 * wanted files (dd_catalog_wants) loaded by dd_fileset_load_dir(): symlinks
 * are resolved inside DIR and never followed out of it, each file is held to
 * the same size cap as in a layer (dd_catalog_max_file_size), and the kept
 * bytes to limits.max_kept_bytes. There is no manifest: the image and layer
 * digests are sha256 of "dir:" + the directory's real path, so they are
 * stable per directory but name no content; callers must not cache the
 * result by them (`drydock scan` doesn't).
 *
 * fs: and rootfs: behave the same today (both read OS package databases);
 * they are distinct names so that fs: can later add project lockfiles.
 */
#include "image_int.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dd/catalog.h"

#define DIR_LAYER_MT "application/vnd.drydock.directory"

typedef struct dir_src {
    dd_image_source_t super;
    char *dir;               /* real path */
} dir_src_t;

static int dir_open(const char *rest, dd_image_source_t **out, dd_err_t *e)
{
    if (!*rest) return dd_err(e, DD_EINVAL, "a directory is needed (fs:DIR or rootfs:DIR)");
    char real[PATH_MAX];
    if (!realpath(rest, real))
        return dd_err_errno(e, errno == ENOENT ? DD_ENOTFOUND : DD_EIO, errno, "cannot open directory '%.200s'",
                            rest);
    struct stat st;
    if (stat(real, &st) != 0 || !S_ISDIR(st.st_mode))
        return dd_err(e, DD_EINVAL, "'%.200s' is not a directory", rest);
    dir_src_t *s = dd_calloc(1, sizeof *s);
    s->dir = dd_strdup(real);
    *out = &s->super;
    return DD_OK;
}

static int dir_list(dd_image_source_t *src, dd_image_desc_t **imgs, size_t *n, dd_err_t *e)
{
    (void)e;
    dir_src_t *s = (dir_src_t *)src;
    char *key = dd_asprintf("dir:%s", s->dir);
    dd_image_desc_t *d = dd_calloc(1, sizeof *d);
    dd_digest_buf(DD_DIGEST_SHA256, key, strlen(key), &d->digest);
    free(key);
    d->ref = dd_strdup(s->dir);
    d->layers = dd_calloc(1, sizeof *d->layers);
    d->layers[0].digest = d->digest;
    d->layers[0].media_type = dd_strdup(DIR_LAYER_MT);
    d->n_layers = 1;
    *imgs = d;
    *n = 1;
    return DD_OK;
}

static int dir_analyze(dd_image_source_t *src, const dd_image_desc_t *img, const bool *todo,
                       dd_layer_result_t *res, dd_err_t *e)
{
    dir_src_t *s = (dir_src_t *)src;
    if (img->n_layers != 1 || !todo[0]) return DD_OK;
    dd_layer_result_init(&res[0]);
    int rc = dd_fileset_load_dir(&res[0].files, s->dir, e);
    if (rc == DD_OK && res[0].files.bytes > src->limits.max_kept_bytes)
        rc = dd_err(e, DD_ELIMIT, "'%s': wanted files hold %zu bytes, over the %zu byte limit", s->dir,
                    res[0].files.bytes, src->limits.max_kept_bytes);
    if (rc != DD_OK) {
        dd_layer_result_release(&res[0]);
        return rc;
    }
    res[0].bytes_out = res[0].files.bytes;
    snprintf(res[0].compression, sizeof res[0].compression, "none");
    return DD_OK;
}

static void dir_close(dd_image_source_t *src)
{
    dir_src_t *s = (dir_src_t *)src;
    free(s->dir);
    free(s);
}

const dd_source_ops_t dd_source_fs = {
    .version = 1,
    .prefix = "fs:",
    .open = dir_open,
    .fetch = NULL,
    .list = dir_list,
    .analyze = dir_analyze,
    .close = dir_close,
};

const dd_source_ops_t dd_source_rootfs = {
    .version = 1,
    .prefix = "rootfs:",
    .open = dir_open,
    .fetch = NULL,
    .list = dir_list,
    .analyze = dir_analyze,
    .close = dir_close,
};
