/*
 * analyzer.h: layer analysis and overlay.
 *
 * A layer is streamed exactly once: its compression is detected from the
 * first bytes (gzip 1f 8b -> ISA-L igzip, zstd 28 b5 2f fd -> libzstd, a tar
 * header -> none), the decompressed bytes go to libarchive's tar reader
 * through a read callback, and only the files the catalogers want
 * (dd_catalog_wants) are kept, together with the layer's whiteouts. Nothing
 * is ever written to disk; memory is a few fixed buffers plus the kept bytes
 * (capped).
 *
 * The per-layer result is keyed by (layer digest, DD_ANALYZER_VERSION) and can
 * be cached in serialized form; dd_overlay() turns an image's ordered layer
 * results into the image's view of the kept files.
 *
 * Hostile layers (see docs/analyzer.md):
 *   - entry names that are absolute or escape the root with ".." -> DD_ECORRUPT
 *     ("hostile layer: ...");
 *   - a wanted file over dd_catalog_max_file_size(), or kept bytes over
 *     max_kept_bytes -> DD_ELIMIT (never silently skipped: a scan must not look
 *     clean because a package database was dropped);
 *   - decompressed size over max_out_bytes, or output/input ratio over
 *     max_ratio once past 16 MiB of output -> DD_ELIMIT;
 *   - more than max_entries entries -> DD_ELIMIT;
 *   - corrupt or truncated gzip/zstd/tar -> DD_ECORRUPT;
 *   - symlinks and hardlinks are never followed; a hardlink to a file kept
 *     earlier in the same layer is kept as a copy; a non-regular entry at a
 *     wanted path hides lower layers' file there (recorded as a whiteout).
 */
#ifndef DD_ANALYZER_H
#define DD_ANALYZER_H

#include <sys/types.h>

#include "dd/core.h"
#include "dd/digest.h"
#include "dd/fileset.h"

/* Bumped whenever what a layer result contains changes (new kept paths,
 * different whiteout handling): cached results with another version are
 * recomputed. */
#define DD_ANALYZER_VERSION 4 /* 2: symlinks at OS release paths are kept as links;
                                 3: application files (path rules) and extractor records;
                                 4: binaries without a record hide lower records */

/* Output stays under 16 MiB before the ratio limit applies. */
#define DD_ANALYZE_RATIO_GRACE (16u << 20)

typedef struct dd_analyze_limits {
    uint64_t max_out_bytes;  /* absolute decompressed cap (default 8 GiB) */
    uint32_t max_ratio;      /* decompressed/compressed ratio cap (default 200),
                                checked once past DD_ANALYZE_RATIO_GRACE of output */
    uint64_t max_entries;    /* tar entries (default 1,000,000) */
    size_t max_kept_bytes;   /* kept file bytes + recorded paths (default 256 MiB) */
    /* Which paths to keep and their size cap. NULL = dd_catalog_wants /
     * dd_catalog_max_file_size (the one interest table). Tests and other
     * callers may pass their own; arg is handed to both. Extractors
     * (catalog.h) only run with the default filter (wants == NULL). */
    bool (*wants)(const char *path, void *arg);
    size_t (*max_file_size)(const char *path, void *arg);
    void *filter_arg;
    /* If set, out->diff_id receives the sha256 of the decompressed tar
     * stream (the layer's DiffID); costs one hash pass over the output. */
    bool compute_diff_id;
    /* If set, called after every decompressed chunk (about 128-256 KiB) with
     * the compressed bytes read and decompressed bytes produced so far, for
     * progress indicators. Must not call back into the analyzer. */
    void (*progress)(void *arg, uint64_t bytes_in, uint64_t bytes_out);
    void *progress_arg;
} dd_analyze_limits_t;

void dd_analyze_limits_default(dd_analyze_limits_t *l);

typedef struct dd_layer_result {
    dd_fileset_t files;      /* kept files; layer = -1 until dd_overlay assigns it */
    char **whiteouts;        /* normalized paths deleted by .wh.NAME (or hidden by a
                                non-regular entry at a wanted path) */
    size_t n_whiteouts;
    char **opaque_dirs;      /* dirs made opaque by .wh..wh..opq ("" = the root) */
    size_t n_opaque;
    uint64_t entries;        /* tar entries seen */
    uint64_t bytes_in;       /* compressed bytes read */
    uint64_t bytes_out;      /* decompressed bytes */
    char compression[8];     /* "gzip" | "zstd" | "none" */
    dd_digest_t diff_id;     /* when limits.compute_diff_id, else alg 0 / "" */
} dd_layer_result_t;

void dd_layer_result_init(dd_layer_result_t *r);
void dd_layer_result_release(dd_layer_result_t *r);   /* frees contents, not r */
/* Deep copy of src into dst (dst must not hold data). */
void dd_layer_result_copy(dd_layer_result_t *dst, const dd_layer_result_t *src);

/* A streaming source: returns bytes read (> 0), 0 at end of stream, or -1 on
 * error (the caller keeps its own error detail; the analyzer reports DD_EIO). */
typedef ssize_t (*dd_read_fn)(void *arg, void *buf, size_t n);

/* Sniffs the first bytes of a blob (at least 512 for a plain tar to be
 * recognized). DD_OK and *compression ("gzip", "zstd", "none") when it looks
 * like a layer, DD_DECLINED otherwise (also for fewer bytes than needed). */
int dd_layer_sniff(const void *p, size_t n, const char **compression);

/* Analyzes one layer read from read_fn until its end. out must be
 * dd_layer_result_init'ed; on error it is released (left empty) and e says why.
 * DD_DECLINED when the stream isn't a layer (unknown first bytes). lim may be
 * NULL for the defaults. The whole input is consumed (trailing bytes after the
 * tar end are decompressed and checked too) so that a caller hashing the
 * stream sees every byte. */
int dd_layer_analyze_stream(dd_read_fn read_fn, void *arg, const dd_analyze_limits_t *lim,
                            dd_layer_result_t *out, dd_err_t *e);
int dd_layer_analyze_fd(int fd, const dd_analyze_limits_t *lim, dd_layer_result_t *out,
                        dd_err_t *e);
int dd_layer_analyze_file(const char *path, const dd_analyze_limits_t *lim,
                          dd_layer_result_t *out, dd_err_t *e);
/* Analyzes an in-memory layer (fuzzing, small blobs). */
int dd_layer_analyze_mem(const void *p, size_t n, const dd_analyze_limits_t *lim,
                         dd_layer_result_t *out, dd_err_t *e);

/* ---- cache serialization ------------------------------------------------- */
/* Binary, little-endian, versioned ("DDLR", DD_ANALYZER_VERSION). */
int dd_layer_result_serialize(const dd_layer_result_t *r, dd_buf_t *out);
/* Untrusted-safe: every length is checked, paths must be normalized, caps as
 * in the default limits. DD_ECORRUPT for malformed input, DD_DECLINED for a
 * result written by another analyzer version (recompute it). */
int dd_layer_result_deserialize(const void *p, size_t n, dd_layer_result_t *out, dd_err_t *e);

/* ---- overlay ------------------------------------------------------------- */
/* Applies n layer results in order (0 = base) into out (dd_fileset_init'ed):
 * for each layer its opaque dirs (everything below them from lower layers
 * goes), then its whiteouts (the path and everything below), then its files,
 * which get file.layer = the layer's index. layers are not modified. */
int dd_overlay(const dd_layer_result_t *layers, size_t n, dd_fileset_t *out, dd_err_t *e);

#endif
