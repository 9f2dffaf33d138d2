/*
 * feeds_int.h: helpers shared by the feed importers (not a public header).
 */
#ifndef DD_FEEDS_INT_H
#define DD_FEEDS_INT_H

#include "dd/feeds.h"

#include <jansson.h>

extern const dd_feed_t dd_feed_alas;
extern const dd_feed_t dd_feed_alpine_secdb;
extern const dd_feed_t dd_feed_csaf_vex;
extern const dd_feed_t dd_feed_debian_tracker;
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

/* The first bytes of path as importers see them (at most cap into head): a
 * compressed stream (gzip, zstd, xz, bzip2) is decompressed; of a tar
 * archive, plain or compressed, the first regular *.json entry is read.
 * *is_tar / *is_compressed say what the file was. */
int feeds_sniff(const char *path, uint8_t *head, size_t cap, size_t *n_out, bool *is_tar, bool *is_compressed);
/* Reads a whole file into b (capped at max), decompressing a single
 * gzip/zstd/xz/bzip2 stream. */
int feeds_read_file(const char *path, size_t max, dd_buf_t *b, dd_err_t *e);

#endif
