/*
 * layer.c: analysis of one image layer, and the layer-result cache format.
 *
 * The layer is read once: dd_decomp_t (decompress.c) turns the compressed
 * stream into tar bytes, libarchive's tar reader (ustar, GNU, pax; no
 * libarchive filters: we decompress ourselves) walks the entries from a read
 * callback, and each entry is classified:
 *
 *   .wh..wh..opq         -> opaque dir (its directory)
 *   .wh.NAME             -> whiteout of NAME in the same directory
 *   .wh..wh.* (others)   -> ignored (AUFS internals)
 *   hardlink             -> copy of a file kept earlier in this layer, if the
 *                           link's own path is wanted; otherwise a whiteout
 *                           of that path (content unknown, lower file hidden)
 *   regular, wanted      -> kept (size capped per path and in total); an
 *                           application file (path rule) over its cap is
 *                           kept as a "!" record instead (not an error)
 *   regular, not wanted  -> its first DD_EXTRACT_HEAD bytes are offered to
 *                           dd_catalog_sniff(); an extractor that claims it
 *                           reads the rest as a stream and its record
 *                           (catalog.h) is kept under the file's path
 *                           (default filter only; records count as kept);
 *                           a claimed file without a record, or an
 *                           executable no extractor claims, is a whiteout
 *                           of its path (it replaces a lower binary's record)
 *   symlink at an OS release path (dd_catalog_wants_link) -> kept as a link:
 *                           mode S_IFLNK, data = the target as written
 *   other type, wanted   -> whiteout (a symlink/device/dir replaces the file)
 *   anything else        -> data skipped (archive_read_data_skip)
 *
 * Names are checked before anything else: absolute names and names that
 * escape the root with ".." make the whole layer fail (hostile layer). After
 * the tar end-of-archive the rest of the stream is still decompressed, so
 * gzip CRCs are verified, bombs hidden after the end are caught, and a
 * caller hashing the input sees every byte.
 */
#include "analyzer_int.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dd/catalog.h"

#define PATH_MAX_LEN 4096

void dd_analyze_limits_default(dd_analyze_limits_t *l)
{
    memset(l, 0, sizeof *l);
    l->max_out_bytes = 8ull << 30;
    l->max_ratio = 200;
    l->max_entries = 1000000;
    l->max_kept_bytes = 256u << 20;
}

void dd_layer_result_init(dd_layer_result_t *r)
{
    memset(r, 0, sizeof *r);
    dd_fileset_init(&r->files);
}

static void free_strv(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

void dd_layer_result_release(dd_layer_result_t *r)
{
    dd_fileset_release(&r->files);
    free_strv(r->whiteouts, r->n_whiteouts);
    free_strv(r->opaque_dirs, r->n_opaque);
    dd_layer_result_init(r);
}

static void strv_push(char ***v, size_t *n, const char *s)
{
    /* grow by doubling: capacity is the next power of two >= n */
    if ((*n & (*n - 1)) == 0) *v = dd_realloc(*v, (*n ? *n * 2 : 1) * sizeof **v);
    (*v)[(*n)++] = dd_strdup(s);
}

void dd_layer_result_copy(dd_layer_result_t *dst, const dd_layer_result_t *src)
{
    dd_layer_result_init(dst);
    for (size_t i = 0; i < src->files.n; i++) {
        const dd_file_t *f = &src->files.files[i];
        dd_fileset_put(&dst->files, f->path, f->data, f->len, f->layer, f->mode);
    }
    for (size_t i = 0; i < src->n_whiteouts; i++)
        strv_push(&dst->whiteouts, &dst->n_whiteouts, src->whiteouts[i]);
    for (size_t i = 0; i < src->n_opaque; i++)
        strv_push(&dst->opaque_dirs, &dst->n_opaque, src->opaque_dirs[i]);
    dst->entries = src->entries;
    dst->bytes_in = src->bytes_in;
    dst->bytes_out = src->bytes_out;
    memcpy(dst->compression, src->compression, sizeof dst->compression);
    dst->diff_id = src->diff_id;
}

/* ---- analysis ------------------------------------------------------------ */

typedef struct ctx {
    dd_decomp_t *d;
    int drc;            /* rc of a decompressor failure seen by the callback */
    dd_err_t derr;
    const dd_analyze_limits_t *lim;
    dd_layer_result_t *out;
    uint64_t tar_bytes;  /* decompressed bytes handed to libarchive */
    size_t meta_bytes;   /* bytes of recorded paths (whiteouts, opaque dirs, kept files) */
    bool padded;
} ctx_t;

static const unsigned char zero_block[512];

/* Hands decompressed chunks to libarchive. A stream that ends inside a
 * 512-byte block (the last file's padding and the end-of-archive blocks
 * missing, as umoci 0.4 writes layers) is completed with zeros up to the
 * block boundary; integrity is still guaranteed by the compression checksum
 * and the layer digest, and anything still short is reported as truncated. */
static la_ssize_t read_cb(struct archive *a, void *arg, const void **buf)
{
    ctx_t *c = arg;
    ssize_t n = dd_decomp_next(c->d, buf, &c->derr);
    if (n < 0) {
        c->drc = (int)n;
        archive_set_error(a, EIO, "%s", c->derr.msg);
        return -1;
    }
    if (n == 0 && !c->padded && c->tar_bytes % 512) {
        c->padded = true;
        *buf = zero_block;
        return (la_ssize_t)(512 - c->tar_bytes % 512);
    }
    c->tar_bytes += (uint64_t)n;
    return n;
}

static bool wants(const ctx_t *c, const char *path)
{
    if (c->lim->wants) return c->lim->wants(path, c->lim->filter_arg);
    return dd_catalog_wants(path);
}

static size_t max_size(const ctx_t *c, const char *path)
{
    if (c->lim->max_file_size) return c->lim->max_file_size(path, c->lim->filter_arg);
    return dd_catalog_max_file_size(path);
}

/* DD_OK with norm filled, DD_DECLINED for the root itself ("./"), or an error. */
static int check_name(const char *name, char *norm, dd_err_t *e)
{
    if (name[0] == '/')
        return dd_err(e, DD_ECORRUPT, "hostile layer: absolute entry name '%.200s'", name);
    const char *p = name;
    bool only_dots = true;
    while (*p && only_dots) {
        while (*p == '/') p++;
        if (!*p) break;
        if (p[0] == '.' && (p[1] == '/' || p[1] == '\0')) p++;
        else only_dots = false;
    }
    if (only_dots) return DD_DECLINED;
    int rc = dd_path_normalize(name, norm, PATH_MAX_LEN);
    if (rc == DD_ELIMIT) return dd_err(e, DD_ECORRUPT, "hostile layer: entry name too long");
    if (rc != DD_OK)
        return dd_err(e, DD_ECORRUPT, "hostile layer: entry name '%.200s' escapes the root", name);
    return DD_OK;
}

/* Keeps a small buffer (a record) under path, within max_kept_bytes. */
static int keep_bytes(ctx_t *c, struct archive_entry *ent, const char *path, const void *p, size_t n,
                      dd_err_t *e)
{
    size_t kept_other = c->out->files.bytes;
    const dd_file_t *old = dd_fileset_get(&c->out->files, path);
    if (old) kept_other -= old->len;
    c->meta_bytes += strlen(path) + 1 + sizeof(dd_file_t);
    if (kept_other + c->meta_bytes + n > c->lim->max_kept_bytes)
        return dd_err(e, DD_ELIMIT, "kept files exceed %zu bytes (at '%s')", c->lim->max_kept_bytes,
                      path);
    dd_fileset_put(&c->out->files, path, p, n, -1, (uint32_t)archive_entry_mode(ent));
    return DD_OK;
}

static int keep_file(ctx_t *c, struct archive *a, struct archive_entry *ent, const char *path,
                     dd_err_t *e)
{
    int64_t size = archive_entry_size_is_set(ent) ? archive_entry_size(ent) : 0;
    size_t cap = max_size(c, path);
    if (size < 0) return dd_err(e, DD_ECORRUPT, "corrupt tar: negative size for '%s'", path);
    if ((uint64_t)size > cap) {
        const char *owner = c->lim->max_file_size ? NULL : dd_catalog_rule_owner(path);
        if (!owner)
            return dd_err(e, DD_ELIMIT, "file '%s' is %lld bytes, over the %zu byte limit for it", path,
                          (long long)size, cap);
        /* an application file: skipped with a "!" record for its cataloger */
        char msg[128];
        snprintf(msg, sizeof msg, "file is %lld bytes, over the %zu byte limit for it", (long long)size,
                 cap);
        dd_buf_t rec;
        dd_buf_init(&rec, 0);
        dd_catalog_record_error(&rec, owner, msg);
        int rc = keep_bytes(c, ent, path, rec.ptr, rec.len, e);
        dd_buf_release(&rec);
        return rc;
    }
    size_t kept_other = c->out->files.bytes;
    const dd_file_t *old = dd_fileset_get(&c->out->files, path);
    if (old) kept_other -= old->len;
    c->meta_bytes += strlen(path) + 1 + sizeof(dd_file_t); /* paths count too */
    if (kept_other + c->meta_bytes + (uint64_t)size > c->lim->max_kept_bytes)
        return dd_err(e, DD_ELIMIT, "kept files exceed %zu bytes (at '%s')", c->lim->max_kept_bytes,
                      path);
    unsigned char *data = dd_malloc((size_t)size + 1);
    size_t got = 0;
    while (got < (size_t)size) {
        la_ssize_t r = archive_read_data(a, data + got, (size_t)size - got);
        if (r < 0) {
            free(data);
            if (c->drc) return dd_err(e, c->drc, "%s", c->derr.msg);
            return dd_err(e, DD_ECORRUPT, "corrupt tar reading '%s': %s", path, archive_error_string(a));
        }
        if (r == 0) break;
        got += (size_t)r;
    }
    if (got != (size_t)size) {
        free(data);
        return dd_err(e, DD_ECORRUPT, "corrupt tar: '%s' is truncated", path);
    }
    /* hand the buffer to the fileset instead of copying it (kept files can be
     * tens of MiB): put an empty entry, then swap its data for ours */
    data[got] = '\0';
    dd_fileset_put(&c->out->files, path, "", 0, -1, (uint32_t)archive_entry_mode(ent));
    dd_file_t *f = (dd_file_t *)dd_fileset_get(&c->out->files, path);
    free(f->data);
    f->data = data;
    f->len = got;
    c->out->files.bytes += got;
    return DD_OK;
}

/* Reads an entry's data for an extractor: first the head already read,
 * then libarchive. A failure of the tar or the decompressor is remembered:
 * it fails the layer, not just the file. */
typedef struct xread {
    ctx_t *c;
    struct archive *a;
    const unsigned char *head;
    size_t nhead, off;
    bool failed;
} xread_t;

static ssize_t xread_fn(void *arg, void *buf, size_t n)
{
    xread_t *x = arg;
    if (x->off < x->nhead) {
        size_t k = x->nhead - x->off < n ? x->nhead - x->off : n;
        memcpy(buf, x->head + x->off, k);
        x->off += k;
        return (ssize_t)k;
    }
    if (x->failed) return -1;
    la_ssize_t r = archive_read_data(x->a, buf, n);
    if (r < 0) {
        x->failed = true;
        return -1;
    }
    return (ssize_t)r;
}

/* Records a whiteout or opaque path; their bytes count against
 * max_kept_bytes together with the kept files, so a layer of a million long
 * whiteouts can't exhaust memory. */
static int record(ctx_t *c, char ***v, size_t *n, const char *path, dd_err_t *e)
{
    c->meta_bytes += strlen(path) + 1 + sizeof(char *);
    if (c->meta_bytes + c->out->files.bytes > c->lim->max_kept_bytes)
        return dd_err(e, DD_ELIMIT, "whiteouts and kept files exceed %zu bytes", c->lim->max_kept_bytes);
    strv_push(v, n, path);
    return DD_OK;
}

/* A file no rule wants and no record comes from, at path: it hides a record
 * a lower layer (or an earlier entry of this layer) kept there, so it is a
 * whiteout for the overlay. */
static int hide_lower(ctx_t *c, const char *path, dd_err_t *e)
{
    dd_fileset_remove(&c->out->files, path);
    return record(c, &c->out->whiteouts, &c->out->n_whiteouts, path, e);
}

/* A regular file no rule wants: its head goes to the extractors. */
static int sniff_file(ctx_t *c, struct archive *a, struct archive_entry *ent, const char *path,
                      dd_err_t *e)
{
    int64_t size = archive_entry_size_is_set(ent) ? archive_entry_size(ent) : 0;
    if (size <= 0) return DD_OK;
    unsigned char head[DD_EXTRACT_HEAD];
    size_t want = (uint64_t)size < sizeof head ? (size_t)size : sizeof head, nh = 0;
    while (nh < want) {
        la_ssize_t r = archive_read_data(a, head + nh, want - nh);
        if (r < 0) {
            if (c->drc) return dd_err(e, c->drc, "%s", c->derr.msg);
            return dd_err(e, DD_ECORRUPT, "corrupt tar reading '%s': %s", path, archive_error_string(a));
        }
        if (r == 0) break;
        nh += (size_t)r;
    }
    const dd_extractor_t *x = nh ? dd_catalog_sniff(path, head, nh, (uint64_t)size) : NULL;
    if (!x) {
        /* an executable no extractor claims (a script, a C binary of another
         * format) may replace a binary a lower layer's record came from */
        if (archive_entry_mode(ent) & 0111) return hide_lower(c, path, e);
        return DD_OK;
    }
    xread_t xr = {.c = c, .a = a, .head = head, .nhead = nh};
    dd_buf_t rec;
    dd_buf_init(&rec, 0);
    dd_catalog_extract(x, xread_fn, &xr, (uint64_t)size, path, &rec);
    int rc = DD_OK;
    if (xr.failed) {
        rc = c->drc ? dd_err(e, c->drc, "%s", c->derr.msg)
                    : dd_err(e, DD_ECORRUPT, "corrupt tar reading '%s': %s", path,
                             archive_error_string(a) ? archive_error_string(a) : "read error");
    } else if (rec.len) {
        rc = keep_bytes(c, ent, path, rec.ptr, rec.len, e);
    } else {
        /* claimed but nothing in it (a C binary, a jar without metadata):
         * it still replaces whatever a lower layer had at this path */
        rc = hide_lower(c, path, e);
    }
    dd_buf_release(&rec);
    return rc;
}

static int entry(ctx_t *c, struct archive *a, struct archive_entry *ent, dd_err_t *e)
{
    const char *name = archive_entry_pathname(ent);
    if (!name) return dd_err(e, DD_ECORRUPT, "corrupt tar: entry without a name");
    char path[PATH_MAX_LEN];
    int rc = check_name(name, path, e);
    if (rc == DD_DECLINED) return DD_OK;
    if (rc != DD_OK) return rc;

    char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    if (strncmp(base, ".wh.", 4) == 0) {
        char dir[PATH_MAX_LEN];
        size_t dl = slash ? (size_t)(slash - path) : 0;
        memcpy(dir, path, dl);
        dir[dl] = '\0';
        if (strcmp(base, ".wh..wh..opq") == 0) {
            return record(c, &c->out->opaque_dirs, &c->out->n_opaque, dir, e);
        } else if (strncmp(base, ".wh..wh.", 8) == 0) {
            /* reserved AUFS names: ignored */
        } else {
            const char *victim = base + 4;
            if (!*victim || strcmp(victim, ".") == 0 || strcmp(victim, "..") == 0)
                return dd_err(e, DD_ECORRUPT, "hostile layer: bad whiteout name '%.200s'", name);
            /* the same path without ".wh." */
            size_t bo = (size_t)(base - path);
            memmove(path + bo, victim, strlen(victim) + 1);
            return record(c, &c->out->whiteouts, &c->out->n_whiteouts, path, e);
        }
        return DD_OK;
    }

    const char *link = archive_entry_hardlink(ent);
    if (link) {
        char target[PATH_MAX_LEN];
        const dd_file_t *t = NULL;
        if (link[0] != '/' && dd_path_normalize(link, target, sizeof target) == DD_OK)
            t = dd_fileset_get(&c->out->files, target);
        if (!wants(c, path)) {
            /* a hard link to a file an extractor read: the same record */
            if (!t || c->lim->wants || !dd_catalog_record(t->data, t->len, NULL, NULL, NULL, NULL))
                return DD_OK;
            size_t len = t->len;
            unsigned char *copy = dd_malloc(len + 1);
            memcpy(copy, t->data, len);
            int rc2 = keep_bytes(c, ent, path, copy, len, e);
            free(copy);
            return rc2;
        }
        if (!t) {
            dd_fileset_remove(&c->out->files, path);
            return record(c, &c->out->whiteouts, &c->out->n_whiteouts, path, e);
        }
        if ((uint64_t)t->len > max_size(c, path))
            return dd_err(e, DD_ELIMIT, "file '%s' is %zu bytes, over the limit for it", path, t->len);
        c->meta_bytes += strlen(path) + 1 + sizeof(dd_file_t);
        if (c->out->files.bytes + c->meta_bytes + t->len > c->lim->max_kept_bytes)
            return dd_err(e, DD_ELIMIT, "kept files exceed %zu bytes (at '%s')",
                          c->lim->max_kept_bytes, path);
        /* t points into the fileset, which put() may reallocate: copy first */
        size_t len = t->len;
        uint32_t mode = t->mode;
        unsigned char *copy = dd_malloc(len + 1);
        memcpy(copy, t->data, len);
        dd_fileset_put(&c->out->files, path, copy, len, -1, mode);
        free(copy);
        return DD_OK;
    }

    mode_t type = archive_entry_filetype(ent);
    if (type == AE_IFDIR) return DD_OK;
    if (!wants(c, path)) {
        if (type == AE_IFREG && !c->lim->wants) return sniff_file(c, a, ent, path, e);
        return DD_OK;
    }
    if (type == AE_IFREG) return keep_file(c, a, ent, path, e);
    if (type == AE_IFLNK && dd_catalog_wants_link(path)) {
        /* an OS release file that is a link: kept as one (target as data) */
        const char *t = archive_entry_symlink(ent);
        size_t tl = t ? strlen(t) : 0;
        if (tl == 0 || tl >= PATH_MAX_LEN)
            return dd_err(e, DD_ECORRUPT, "bad symlink target for '%s'", path);
        c->meta_bytes += strlen(path) + 1 + sizeof(dd_file_t);
        dd_fileset_put(&c->out->files, path, t, tl, -1, (uint32_t)archive_entry_mode(ent));
        return DD_OK;
    }
    /* symlink, device, fifo at a wanted path: hides the lower file */
    dd_fileset_remove(&c->out->files, path);
    return record(c, &c->out->whiteouts, &c->out->n_whiteouts, path, e);
}

static int walk(ctx_t *c, struct archive *a, dd_err_t *e)
{
    struct archive_entry *ent;
    for (;;) {
        int r = archive_read_next_header(a, &ent);
        if (r == ARCHIVE_EOF) return DD_OK;
        if (r < ARCHIVE_WARN) {
            if (c->drc) return dd_err(e, c->drc, "%s", c->derr.msg);
            return dd_err(e, DD_ECORRUPT, "corrupt tar: %s",
                          archive_error_string(a) ? archive_error_string(a) : "bad header");
        }
        if (++c->out->entries > c->lim->max_entries)
            return dd_err(e, DD_ELIMIT, "layer has more than %llu entries",
                          (unsigned long long)c->lim->max_entries);
        int rc = entry(c, a, ent, e);
        if (rc != DD_OK) return rc;
        /* unread data (everything not kept) is skipped; a no-op after a full read */
        if (archive_read_data_skip(a) != ARCHIVE_OK) {
            if (c->drc) return dd_err(e, c->drc, "%s", c->derr.msg);
            return dd_err(e, DD_ECORRUPT, "corrupt tar: %s",
                          archive_error_string(a) ? archive_error_string(a) : "truncated entry");
        }
    }
}

int dd_layer_analyze_stream(dd_read_fn read_fn, void *arg, const dd_analyze_limits_t *lim,
                            dd_layer_result_t *out, dd_err_t *e)
{
    dd_analyze_limits_t defl;
    if (!lim) {
        dd_analyze_limits_default(&defl);
        lim = &defl;
    }
    ctx_t c = {.lim = lim, .out = out};
    int rc = dd_decomp_open(read_fn, arg, lim, &c.d, e);
    if (rc != DD_OK) return rc;
    static const char *names[] = {"none", "gzip", "zstd"};
    snprintf(out->compression, sizeof out->compression, "%s", names[dd_decomp_kind(c.d)]);

    struct archive *a = archive_read_new();
    archive_read_support_format_tar(a);
    archive_read_support_format_gnutar(a);
    archive_read_support_format_empty(a);
    if (archive_read_open(a, &c, NULL, read_cb, NULL) != ARCHIVE_OK) {
        rc = c.drc ? dd_err(e, c.drc, "%s", c.derr.msg)
                   : dd_err(e, DD_ECORRUPT, "corrupt tar: %s",
                            archive_error_string(a) ? archive_error_string(a) : "cannot open");
    } else {
        rc = walk(&c, a, e);
    }
    if (rc == DD_OK) {
        /* drain: trailing padding, later gzip members, CRC checks */
        const void *p;
        ssize_t n;
        while ((n = dd_decomp_next(c.d, &p, e)) > 0) {}
        if (n < 0) rc = (int)n;
    }
    archive_read_free(a);
    out->bytes_in = dd_decomp_bytes_in(c.d);
    out->bytes_out = dd_decomp_bytes_out(c.d);
    if (rc == DD_OK) dd_decomp_diff_id(c.d, &out->diff_id);
    dd_decomp_free(c.d);
    if (rc != DD_OK) dd_layer_result_release(out);
    return rc;
}

static ssize_t fd_read(void *arg, void *buf, size_t n)
{
    return read(*(int *)arg, buf, n);
}

int dd_layer_analyze_fd(int fd, const dd_analyze_limits_t *lim, dd_layer_result_t *out, dd_err_t *e)
{
    return dd_layer_analyze_stream(fd_read, &fd, lim, out, e);
}

int dd_layer_analyze_file(const char *path, const dd_analyze_limits_t *lim, dd_layer_result_t *out,
                          dd_err_t *e)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return dd_err_errno(e, DD_EIO, errno, "cannot open layer '%s'", path);
    int rc = dd_layer_analyze_fd(fd, lim, out, e);
    close(fd);
    return rc;
}

typedef struct mem_src {
    const unsigned char *p;
    size_t n, off;
} mem_src_t;

static ssize_t mem_read(void *arg, void *buf, size_t n)
{
    mem_src_t *m = arg;
    size_t k = m->n - m->off < n ? m->n - m->off : n;
    memcpy(buf, m->p + m->off, k);
    m->off += k;
    return (ssize_t)k;
}

int dd_layer_analyze_mem(const void *p, size_t n, const dd_analyze_limits_t *lim,
                         dd_layer_result_t *out, dd_err_t *e)
{
    mem_src_t m = {p, n, 0};
    return dd_layer_analyze_stream(mem_read, &m, lim, out, e);
}

/* ---- serialization ------------------------------------------------------- */
/*
 * Layout (little-endian):
 *   "DDLR" u32 version u64 entries u64 bytes_in u64 bytes_out
 *   str compression  str diff_id
 *   u32 nfiles  { str path  u32 mode  u64 len  bytes[len] } * nfiles
 *   u32 nwhiteouts { str } *   u32 nopaque { str } *
 * where str = u32 len + bytes (no NUL).
 */
#define SER_MAX_COUNT 1000000u
#define SER_MAX_DATA (1ull << 30)

static int put_u32(dd_buf_t *b, uint32_t v)
{
    unsigned char x[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    return dd_buf_append(b, x, 4);
}

static int put_u64(dd_buf_t *b, uint64_t v)
{
    int rc = put_u32(b, (uint32_t)v);
    return rc ? rc : put_u32(b, (uint32_t)(v >> 32));
}

static int put_str(dd_buf_t *b, const char *s)
{
    size_t n = strlen(s);
    int rc = put_u32(b, (uint32_t)n);
    return rc ? rc : dd_buf_append(b, s, n);
}

int dd_layer_result_serialize(const dd_layer_result_t *r, dd_buf_t *out)
{
    int rc = dd_buf_append(out, "DDLR", 4);
    if (!rc) rc = put_u32(out, DD_ANALYZER_VERSION);
    if (!rc) rc = put_u64(out, r->entries);
    if (!rc) rc = put_u64(out, r->bytes_in);
    if (!rc) rc = put_u64(out, r->bytes_out);
    if (!rc) rc = put_str(out, r->compression);
    if (!rc) rc = put_str(out, r->diff_id.str);
    if (!rc) rc = put_u32(out, (uint32_t)r->files.n);
    for (size_t i = 0; !rc && i < r->files.n; i++) {
        const dd_file_t *f = &r->files.files[i];
        rc = put_str(out, f->path);
        if (!rc) rc = put_u32(out, f->mode);
        if (!rc) rc = put_u64(out, f->len);
        if (!rc) rc = dd_buf_append(out, f->data, f->len);
    }
    if (!rc) rc = put_u32(out, (uint32_t)r->n_whiteouts);
    for (size_t i = 0; !rc && i < r->n_whiteouts; i++) rc = put_str(out, r->whiteouts[i]);
    if (!rc) rc = put_u32(out, (uint32_t)r->n_opaque);
    for (size_t i = 0; !rc && i < r->n_opaque; i++) rc = put_str(out, r->opaque_dirs[i]);
    return rc;
}

typedef struct rd {
    const unsigned char *p;
    size_t n, off;
} rd_t;

static bool get_u32(rd_t *r, uint32_t *v)
{
    if (r->n - r->off < 4) return false;
    const unsigned char *x = r->p + r->off;
    *v = (uint32_t)x[0] | (uint32_t)x[1] << 8 | (uint32_t)x[2] << 16 | (uint32_t)x[3] << 24;
    r->off += 4;
    return true;
}

static bool get_u64(rd_t *r, uint64_t *v)
{
    uint32_t lo, hi;
    if (!get_u32(r, &lo) || !get_u32(r, &hi)) return false;
    *v = (uint64_t)hi << 32 | lo;
    return true;
}

/* A string of at most max bytes without NULs, into out (size max + 1). */
static bool get_str(rd_t *r, char *out, size_t max)
{
    uint32_t n;
    if (!get_u32(r, &n) || n > max || r->n - r->off < n) return false;
    if (memchr(r->p + r->off, 0, n)) return false;
    memcpy(out, r->p + r->off, n);
    out[n] = '\0';
    r->off += n;
    return true;
}

static bool is_normalized(const char *s, bool allow_empty)
{
    if (!*s) return allow_empty;
    char tmp[PATH_MAX_LEN];
    return dd_path_normalize(s, tmp, sizeof tmp) == DD_OK && strcmp(tmp, s) == 0;
}

int dd_layer_result_deserialize(const void *p, size_t n, dd_layer_result_t *out, dd_err_t *e)
{
    rd_t r = {p, n, 0};
    uint32_t ver, cnt;
    char s[PATH_MAX_LEN + 1];
    dd_layer_result_init(out);
    if (n < 8 || memcmp(p, "DDLR", 4) != 0) return dd_err(e, DD_ECORRUPT, "not a layer result");
    r.off = 4;
    get_u32(&r, &ver);
    if (ver != DD_ANALYZER_VERSION)
        return dd_err(e, DD_DECLINED, "layer result from analyzer version %u", ver);
    if (!get_u64(&r, &out->entries) || !get_u64(&r, &out->bytes_in) || !get_u64(&r, &out->bytes_out))
        goto bad;
    if (!get_str(&r, s, sizeof out->compression - 1)) goto bad;
    if (strcmp(s, "gzip") && strcmp(s, "zstd") && strcmp(s, "none") && *s) goto bad;
    memcpy(out->compression, s, strlen(s) + 1);
    if (!get_str(&r, s, DD_DIGEST_MAX - 1)) goto bad;
    if (*s && dd_digest_parse(s, &out->diff_id, NULL) != DD_OK) goto bad;
    if (!get_u32(&r, &cnt) || cnt > SER_MAX_COUNT) goto bad;
    uint64_t total = 0;
    for (uint32_t i = 0; i < cnt; i++) {
        uint32_t mode;
        uint64_t len;
        if (!get_str(&r, s, PATH_MAX_LEN - 1) || !is_normalized(s, false)) goto bad;
        if (!get_u32(&r, &mode) || !get_u64(&r, &len)) goto bad;
        if (len > r.n - r.off || (total += len) > SER_MAX_DATA) goto bad;
        dd_fileset_put(&out->files, s, r.p + r.off, (size_t)len, -1, mode);
        r.off += (size_t)len;
    }
    if (out->files.n != cnt) goto bad; /* duplicate paths */
    if (!get_u32(&r, &cnt) || cnt > SER_MAX_COUNT) goto bad;
    for (uint32_t i = 0; i < cnt; i++) {
        if (!get_str(&r, s, PATH_MAX_LEN - 1) || !is_normalized(s, false)) goto bad;
        strv_push(&out->whiteouts, &out->n_whiteouts, s);
    }
    if (!get_u32(&r, &cnt) || cnt > SER_MAX_COUNT) goto bad;
    for (uint32_t i = 0; i < cnt; i++) {
        if (!get_str(&r, s, PATH_MAX_LEN - 1) || !is_normalized(s, true)) goto bad;
        strv_push(&out->opaque_dirs, &out->n_opaque, s);
    }
    if (r.off != r.n) goto bad;
    return DD_OK;
bad:
    dd_layer_result_release(out);
    return dd_err(e, DD_ECORRUPT, "corrupt layer result at byte %zu", r.off);
}
