/*
 * feeds_int.h: helpers shared by the feed importers (not a public header).
 */
#ifndef DD_FEEDS_INT_H
#define DD_FEEDS_INT_H

#include "dd/feeds.h"

#include <jansson.h>

extern const dd_feed_t dd_feed_alas;
extern const dd_feed_t dd_feed_alpine_secdb;
extern const dd_feed_t dd_feed_cve5;
extern const dd_feed_t dd_feed_csaf_vex;
extern const dd_feed_t dd_feed_debian_tracker;
extern const dd_feed_t dd_feed_epss;
extern const dd_feed_t dd_feed_kev;
extern const dd_feed_t dd_feed_nvd;
extern const dd_feed_t dd_feed_osv;

/* Parses a JSON document with bounded size (depth is bounded by jansson). */
json_t *feeds_json_parse(const uint8_t *data, size_t len, dd_err_t *e);
/* A string member or NULL. */
const char *feeds_jstr(json_t *obj, const char *key);
/* Compact JSON text of v (malloc'd), or NULL if v is NULL/empty array. */
char *feeds_jdump(json_t *v);
/* Bounded case-sensitive search in the first n bytes. */
bool feeds_has(const uint8_t *head, size_t n, const char *needle);
/* Imports one parsed OSV record (used by the OSV file, dir and zip paths). */
int feeds_osv_record(dd_vulndb_t *db, const char *feed, json_t *rec, dd_feed_stats_t *st, dd_err_t *e);

/* One JSON document of a directory tree or a zip (name: the file or entry
 * name, for messages). Returning non-zero stops the walk with that rc. */
typedef int (*feeds_doc_fn)(const char *name, const uint8_t *data, size_t len, void *arg);
/* Calls fn for every *.json file under dir (sorted, recursive, depth <= 8,
 * dotfiles skipped, at most DD_FEED_MAX_ENTRIES files). A file that cannot
 * be read or is larger than DD_FEED_MAX_RECORD is counted skipped in st. */
int feeds_each_json_dir(const char *dir, feeds_doc_fn fn, void *arg, dd_feed_stats_t *st, dd_err_t *e);
/* Same for the *.json entries of a zip (path, else mem/len), read entry by
 * entry with libarchive (never extracted). A corrupt archive is an error. */
int feeds_each_json_zip(const char *path, const uint8_t *mem, size_t len, feeds_doc_fn fn, void *arg,
                        dd_feed_stats_t *st, dd_err_t *e);
/* The feed format of the first *.json file under dir / entry of a zip (by
 * its first 64 KiB), or NULL. */
const dd_feed_t *feeds_detect_dir(const char *dir);
const dd_feed_t *feeds_detect_zip(const char *path);
/* The first bytes of path as importers see them (at most cap into head): a
 * compressed stream (gzip, zstd, xz, bzip2) is decompressed; of a tar
 * archive, plain or compressed, the first regular *.json entry is read.
 * *is_tar / *is_compressed say what the file was. */
int feeds_sniff(const char *path, uint8_t *head, size_t cap, size_t *n_out, bool *is_tar, bool *is_compressed);
/* Reads a whole file into b (capped at max), decompressing a single
 * gzip/zstd/xz/bzip2 stream. */
int feeds_read_file(const char *path, size_t max, dd_buf_t *b, dd_err_t *e);

#endif
