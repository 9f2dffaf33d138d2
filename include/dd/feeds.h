/*
 * feeds.h: vulnerability feed importers. One file per source format under
 * src/feeds/, registered in ONE sorted static table (feeds.c):
 *
 *   alas            Amazon Linux updateinfo.xml[.gz] (ALAS advisories of one release)
 *   alpine-secdb    Alpine secdb JSON (secdb.alpinelinux.org/v3.N/main.json)
 *   csaf-vex        Red Hat CSAF VEX: one document, a directory tree of them, or
 *                   the published csaf_vex_YYYY-MM-DD.tar.zst archive
 *   cve5            CVE JSON 5 records (CNA and CISA ADP CVSS metrics; one record, a
 *                   directory tree as github.com/cisagov/vulnrichment lays it out, or a zip)
 *   debian-tracker  Debian security tracker JSON (security-tracker.debian.org/tracker/data/json)
 *   epss            FIRST EPSS scores CSV (epss.cyentia.com/epss_scores-current.csv.gz, plain or gzip)
 *   kev             CISA Known Exploited Vulnerabilities catalog JSON (enrichment only)
 *   nvd             NVD CVE API 2.0 result page (enrichment only)
 *   osv             OSV JSON: one record, an array of records, a directory, or an all.zip export
 *
 * Each importer writes into a writable dd_vulndb_t (normally the temp file of
 * a dd_vulndb_update_t). A bad record is rolled back alone, counted and its
 * message kept (the first DD_FEED_MAX_MSGS), and the import goes on.
 * See docs/feeds.md for the mapping of each format onto the schema.
 */
#ifndef DD_FEEDS_H
#define DD_FEEDS_H

#include "dd/core.h"
#include "dd/vulndb.h"

#define DD_FEED_V1 1
#define DD_FEED_MAX_MSGS 5
#define DD_FEED_MAX_DOC (1024u << 20)      /* one JSON document (tracker is ~100 MB live) */
#define DD_FEED_MAX_RECORD (16u << 20)     /* one OSV record / zip entry */
#define DD_FEED_MAX_ENTRIES 2000000        /* zip entries or directory files */

typedef struct dd_feed_stats {
    char feed[64];      /* feed name records were stored under ("osv/Debian") */
    char format[32];    /* importer used */
    long records;       /* records imported (OSV records, tracker package/CVE pairs,
                           secdb packages, NVD CVEs, CSAF vulnerabilities, ALAS updates) */
    long affected;      /* affected entries written */
    long withdrawn;     /* withdrawn records (stored without affected entries) */
    long ignored;       /* entries deliberately not stored (not affected, unknown release,
                           products other than RHEL, non-security updates) */
    long skipped;       /* bad records skipped */
    int n_msgs;         /* messages kept in msgs[] (first few bad records) */
    char msgs[DD_FEED_MAX_MSGS][256];
} dd_feed_stats_t;

typedef struct dd_feed {
    int version;        /* DD_FEED_V1; members are only appended */
    const char *name;   /* the table is sorted by name */
    const char *desc;
    /* True if head (the first bytes of a file, up to 64 KiB) is this format. */
    bool (*detect)(const uint8_t *head, size_t n);
    /* Imports one document held in memory. feed: the feed name to store under,
     * or NULL to derive it from the content. */
    int (*import_mem)(dd_vulndb_t *db, const char *feed, const uint8_t *data, size_t len,
                      dd_feed_stats_t *st, dd_err_t *e);
    /* Optional: imports a file, directory or archive by path, streaming
     * (formats whose input is too large to hold in memory). NULL: the file
     * is read (decompressed if gzip/zstd/xz) and passed to import_mem. */
    int (*import_path)(dd_vulndb_t *db, const char *path, const char *feed, dd_feed_stats_t *st,
                       dd_err_t *e);
} dd_feed_t;

const dd_feed_t *const *dd_feeds(size_t *n_out);
const dd_feed_t *dd_feed_find(const char *name);
/* The format of a document from its first bytes, or NULL. */
const dd_feed_t *dd_feed_detect(const uint8_t *head, size_t n);

/* Imports a file or directory. A directory is OSV unless its first *.json
 * (depth first, sorted) is of a format with import_path (cve5, csaf-vex); a
 * zip holds OSV or CVE JSON 5 records, told apart by its first *.json; a tar
 * archive (compressed or not) goes to the import_path of the format of its
 * first *.json entry; other files (plain, or a single gzip/zstd/xz stream)
 * are detected from their first decompressed bytes. format forces the
 * format. feed as in import_mem. */
int dd_feed_import_path(dd_vulndb_t *db, const char *path, const char *format, const char *feed,
                        dd_feed_stats_t *st, dd_err_t *e);

/* Imports a directory tree of feed files, e.g. the shipped sample
 * tests/fixtures/feeds/. Per directory (entries sorted, dotfiles skipped):
 * every *.zip is an OSV (or CVE JSON 5) export (and the directory's loose
 * *.json records are then ignored as copies of it); else if its first *.json
 * is an OSV record the whole directory (recursively) is one OSV import; if it
 * is of a format with import_path (cve5, csaf-vex) the directory is one
 * import of it; a directory holding only <year>/<NNxxx> folders of CVE JSON
 * 5 records (the vulnrichment layout) is one cve5 import; else each *.json is
 * imported on its own with its format detected. Subdirectories are walked
 * the same way (depth <= 8). done() is called after each import with the
 * path imported and its stats. Stops at the first import that fails. */
int dd_feed_import_tree(dd_vulndb_t *db, const char *dir,
                        int (*done)(const char *path, const dd_feed_stats_t *st, void *arg), void *arg,
                        dd_err_t *e);

/* OSV entry points used by dd_feed_import_path (exported for tests/fuzzing). */
int dd_feed_osv_import_zip(dd_vulndb_t *db, const char *path, const uint8_t *mem, size_t len,
                           const char *feed, dd_feed_stats_t *st, dd_err_t *e);
int dd_feed_osv_import_dir(dd_vulndb_t *db, const char *dir, const char *feed,
                           dd_feed_stats_t *st, dd_err_t *e);
/* CVE JSON 5 entry points (a directory tree or a zip of records). */
int dd_feed_cve5_import_dir(dd_vulndb_t *db, const char *dir, const char *feed, dd_feed_stats_t *st,
                            dd_err_t *e);
int dd_feed_cve5_import_zip(dd_vulndb_t *db, const char *path, const uint8_t *mem, size_t len,
                            const char *feed, dd_feed_stats_t *st, dd_err_t *e);

/* Extracts advisory ids from a free-form secdb string: "CVE-2016-6258 XSA-182"
 * -> CVE-2016-6258, XSA-182; "CVE_2019-2426" -> CVE-2019-2426; "CVE 2018-16859"
 * -> CVE-2018-16859; "CVE-????-?????  XSA-295" -> XSA-295. Returns the number of
 * ids written (at most max), each of at most 63 chars. */
int dd_feed_extract_ids(const char *s, char ids[][64], int max);

/* Records a bad-record message in st (kept if fewer than DD_FEED_MAX_MSGS). */
void dd_feed_stats_msg(dd_feed_stats_t *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
