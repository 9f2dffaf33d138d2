/*
 * vulndb.h: the vulnerability database, one normalized SQLite schema that
 * every feed importer (feeds.h) writes and the matcher (match.h) reads.
 *
 * Life cycle of the file (see docs/vulndb.md):
 *   - readers open the live file read-only and immutable; nobody ever writes
 *     to the live file in place;
 *   - writers go through dd_vulndb_update_begin(): the live database is
 *     copied into a temp file next to it, the importers write there inside
 *     one transaction, and dd_vulndb_update_commit() bumps the database
 *     version, fsyncs and rename()s the temp file over the live one. A scan
 *     that opened the old file keeps reading the old inode, so it never sees
 *     half an update. Writers are serialized by an flock() on PATH.lock.
 *   - long-lived readers (the server) call dd_vulndb_current_version(path)
 *     (cheap: one stat plus, if the inode changed, one read of the meta
 *     table) and re-open when it differs from dd_vulndb_version(db).
 */
#ifndef DD_VULNDB_H
#define DD_VULNDB_H

#include "dd/core.h"

#define DD_VULNDB_SCHEMA_VERSION 2

typedef struct dd_vulndb dd_vulndb_t;

/* ---- normalized values -------------------------------------------------- */

/* Fix state of one affected entry (per ecosystem and package). */
typedef enum {
    DD_FIX_UNKNOWN = 0,
    DD_FIX_FIXED = 1,        /* a fixed version exists */
    DD_FIX_NOT_FIXED = 2,    /* affected, no fix yet (open / unfixed / undetermined) */
    DD_FIX_WONT_FIX = 3,     /* vendor will not fix (Debian no-dsa "ignored") */
    DD_FIX_DEFERRED = 4,     /* fix postponed (Debian no-dsa, "postponed") */
    DD_FIX_EOL = 5,          /* release or package is end-of-life */
    DD_FIX_NOT_AFFECTED = 6, /* vendor states the release is not affected */
} dd_fix_state_t;

/* Severity bands, ordered. */
typedef enum {
    DD_SEV_UNKNOWN = 0,
    DD_SEV_NEGLIGIBLE = 1,
    DD_SEV_LOW = 2,
    DD_SEV_MEDIUM = 3,
    DD_SEV_HIGH = 4,
    DD_SEV_CRITICAL = 5,
} dd_severity_t;

const char *dd_fix_state_name(dd_fix_state_t s);      /* "fixed", "not-fixed", ... */
int dd_fix_state_parse(const char *s, dd_fix_state_t *out);
const char *dd_severity_name(dd_severity_t s);        /* "Critical" ... "Unknown" */
/* Case-insensitive; accepts vendor words too: "unimportant" and
 * "negligible" -> Negligible, "moderate"/"medium" -> Medium, "important" ->
 * High; a trailing '*' (Debian) is ignored. Unknown words give UNKNOWN. */
dd_severity_t dd_severity_parse(const char *s);
/* Strict: one of the band names (any case), "unknown" included; DD_EINVAL
 * for anything else. For user input (filters, flags, config). */
int dd_severity_name_parse(const char *s, dd_severity_t *out);
/* CVSS v3 band: 0 none->UNKNOWN, <4 LOW, <7 MEDIUM, <9 HIGH, else CRITICAL. */
dd_severity_t dd_severity_from_cvss(double score);
/* CVSS v3.0/v3.1 base score from a vector "CVSS:3.1/AV:N/...". DD_EINVAL if
 * the vector is not a complete v3 base vector. */
int dd_cvss3_base_score(const char *vector, double *out);

/* Normalizes an ecosystem name: "Ubuntu:22.04:LTS" -> "Ubuntu:22.04",
 * "Ubuntu:Pro:18.04:LTS" -> "Ubuntu:Pro:18.04", "Alpine:3.18" ->
 * "Alpine:v3.18"; others unchanged. out holds at least 128 bytes. */
void dd_ecosystem_normalize(const char *in, char *out, size_t outsz);

/* The lookup name of a package in an ecosystem: what the OSV importer
 * stores and what the matcher must look up (docs/vulndb.md#package-names).
 * The ecosystem's part before ':' is matched case-insensitively:
 *   PyPI       PEP 503: lowercase, each run of '-', '_', '.' -> one '-'
 *              ("PyYAML" -> "pyyaml", "zope.interface" -> "zope-interface")
 *   NuGet      lowercase ("Newtonsoft.Json" -> "newtonsoft.json")
 *   Packagist  lowercase "vendor/package"
 *   npm, Maven ("group:artifact"), Go (module path), crates.io, RubyGems,
 *   every OS ecosystem: unchanged.
 * Writes at most n bytes (NUL included, truncated) into buf and returns
 * buf; NULL name is "". Idempotent: normalizing twice changes nothing. */
char *dd_pkgname_normalize(const char *ecosystem, const char *name, char *buf, size_t n);

/* Who rated an OSV record's severity: "ghsa" for the GitHub advisory
 * database's records (id "GHSA-..."), "osv" for other records of an OSV
 * feed ("osv/..."), NULL for every other feed (whose vendor rates it). */
const char *dd_osv_severity_source(const char *feed, const char *vuln_id);

/* ---- affected entries --------------------------------------------------- */

typedef enum {
    DD_EV_INTRODUCED = 1,
    DD_EV_FIXED = 2,
    DD_EV_LAST_AFFECTED = 3,
    DD_EV_LIMIT = 4,
} dd_event_kind_t;

typedef enum { DD_RANGE_ECOSYSTEM = 1, DD_RANGE_SEMVER = 2, DD_RANGE_GIT = 3 } dd_range_type_t;

typedef struct dd_event {
    dd_event_kind_t kind;
    const char *version;
} dd_event_t;

typedef struct dd_range {
    dd_range_type_t type;
    size_t n_events;
    dd_event_t *events;
} dd_range_t;

/* One (vulnerability, ecosystem, package) entry. All pointers are borrowed
 * from the database handle's cache and stay valid until dd_vulndb_close(). */
typedef struct dd_affected {
    const char *vuln_id;    /* DSA-5380-1, CVE-2022-0456, GO-2022-0001 ... */
    const char *feed;       /* feed that produced it: "osv/Debian" ... */
    const char *ecosystem;  /* normalized: "Debian:12" */
    const char *package;    /* source package where the feed names sources */
    size_t n_ranges;
    dd_range_t *ranges;
    size_t n_versions;      /* explicit affected versions (OSV "versions") */
    const char **versions;
    dd_fix_state_t fix_state;
    const char *fixed;      /* the fixed version to show (NULL if none) */
    dd_severity_t severity; /* vendor severity for this entry, or UNKNOWN */
    const char *severity_raw; /* vendor word as written ("low**"), or NULL */
    const char *module;     /* rpm module stream this entry applies to ("nodejs:18"), "*" for
                               a modular build of unknown stream (".module_el8" in the fixed
                               version), NULL for non-modular packages (docs/vulndb.md) */
} dd_affected_t;

/* ---- vulnerabilities ---------------------------------------------------- */

/* One CVSS metric of a CVE as a source gave it (table cvss, see
 * docs/vulndb.md#cvss). A CVE has as many as its sources give: NVD's
 * Primary and Secondary metrics per CVSS version, CISA ADP and CNA metrics
 * of the CVE JSON 5 record. */
typedef struct dd_cvss {
    char *feed;             /* feed that stored it: "nvd", "cve5" */
    char *source;           /* normalized: "nvd", "cisa-adp", "cna" */
    char *origin;           /* the source as written ("nvd@nist.gov", "CISA-ADP", a CNA short name) */
    char *version;          /* "4.0", "3.1", "3.0", "2.0" */
    char *vector;
    double score;           /* base score, 0 if none */
    dd_severity_t severity; /* base severity as given, else the band of score */
    bool primary;           /* NVD type "Primary" (NVD's own); CVE 5 CNA metrics count as primary */
} dd_cvss_t;

/* A vulnerability with its NVD enrichment. Strings are owned by the struct:
 * release with dd_vuln_release(). JSON arrays are kept as JSON text. */
typedef struct dd_vuln {
    char *id;
    char *summary;
    char *details;
    char *published;          /* RFC 3339 or NULL */
    char *modified;
    char *withdrawn;          /* non-NULL if withdrawn */
    dd_severity_t severity;   /* vendor severity (record level) */
    char *severity_raw;       /* the vendor's word for it as written, or NULL */
    char *cvss_vector;        /* from the record's own severity[] */
    double cvss_score;        /* 0 if none */
    char *aliases_json;       /* ["CVE-..."] (aliases) */
    char *upstream_json;      /* ["CVE-..."] (upstream) */
    char *refs_json;          /* ["https://..."] */
    /* NVD enrichment of this id (or its first CVE alias/upstream) */
    bool has_nvd;
    char *nvd_id;
    char *nvd_description;
    char *nvd_published;
    double cvss3_score;
    char *cvss3_vector;
    dd_severity_t cvss3_severity;
    double cvss4_score;
    char *cvss4_vector;
    dd_severity_t cvss4_severity;
    char *cwe_json;           /* ["CWE-79"] */
    char *nvd_refs_json;
    /* Every CVSS metric stored for that CVE (NVD, CVE JSON 5), in a stable
     * order (feed, source, version descending). */
    size_t n_cvss;
    dd_cvss_t *cvss;
    /* CISA Known Exploited Vulnerabilities catalog entry of that CVE */
    bool kev;
    char *kev_date_added, *kev_due_date, *kev_ransomware, *kev_name, *kev_vendor_project,
        *kev_product, *kev_required_action, *kev_notes;
    /* EPSS of that CVE (feed "epss") */
    bool has_epss;
    double epss_score, epss_percentile;
} dd_vuln_t;

/* The best metric of v for (feed, source) (either NULL = any): the highest
 * CVSS version (4.0, 3.1, 3.0, then 2.0), and within one version a primary
 * metric first. NULL if none has a vector or score. */
const dd_cvss_t *dd_vuln_best_cvss(const dd_vuln_t *v, const char *feed, const char *source);
/* Severity band of a CVSS base score of the given version: v2 bands are
 * Low < 4.0 <= Medium < 7.0 <= High; v3/v4 bands as dd_severity_from_cvss. */
dd_severity_t dd_severity_from_cvss_version(const char *version, double score);

void dd_vuln_release(dd_vuln_t *v);

/* ---- status ------------------------------------------------------------- */

typedef struct dd_vulndb_feed_info {
    char name[64];
    char source[512];
    char etag[256];
    char last_modified[64];
    char updated[32];
    long records;
    long errors;
} dd_vulndb_feed_info_t;

typedef struct dd_vulndb_status {
    int schema_version;
    int64_t version;        /* monotonic, +1 per committed update */
    char built[32];         /* RFC 3339 of first creation */
    char updated[32];       /* RFC 3339 of last commit */
    long n_vulns;
    long n_affected;
    long n_nvd;
    size_t n_feeds;
    long n_cvss;            /* CVSS metrics (all sources) */
    long n_kev;             /* KEV catalog entries */
    long n_epss;            /* EPSS scores */
    dd_vulndb_feed_info_t *feeds;  /* owned; dd_vulndb_status_release() */
} dd_vulndb_status_t;

void dd_vulndb_status_release(dd_vulndb_status_t *st);

/* ---- reading ------------------------------------------------------------ */

/* Opens a database file. readonly: the live file, immutable (no locks). A
 * missing file gives DD_ENOTFOUND. !readonly: creates the schema if absent
 * (used for temp files, tests and ":memory:"). */
int dd_vulndb_open(const char *path, bool readonly, dd_vulndb_t **out, dd_err_t *e);
void dd_vulndb_close(dd_vulndb_t *db);
int64_t dd_vulndb_version(dd_vulndb_t *db);

/* The version of the live file at path (0 if absent). Cheap enough to call
 * before every scan. */
int dd_vulndb_current_version(const char *path, int64_t *out, dd_err_t *e);

/* Calls cb for every affected entry of (ecosystem, package), in a stable
 * order. ecosystem is normalized first, and pkg with dd_pkgname_normalize. cb returning non-zero stops the walk
 * and that value is returned. Entries are served from an in-memory cache
 * loaded per ecosystem on first use. */
int dd_vulndb_each_affected(dd_vulndb_t *db, const char *ecosystem, const char *pkg,
                            int (*cb)(const dd_affected_t *a, void *arg), void *arg);
/* Number of affected entries of an ecosystem (loads its cache). */
long dd_vulndb_count_ecosystem(dd_vulndb_t *db, const char *ecosystem);

/* Details of id plus the enrichment of id (if a CVE) or of its first CVE
 * alias/upstream id: NVD, CVSS metrics, KEV, EPSS. DD_ENOTFOUND if none of
 * these exists. A CVE id with only NVD data gives a record with has_nvd. */
int dd_vulndb_get_vuln(dd_vulndb_t *db, const char *id, dd_vuln_t *out /* OUT */);

/* Like dd_vulndb_get_vuln but memoized in the handle: the record (borrowed)
 * stays valid until dd_vulndb_close() (or the next write on a writable
 * handle). NULL if unknown. Thread-safe. */
const dd_vuln_t *dd_vulndb_vuln_cached(dd_vulndb_t *db, const char *id);

int dd_vulndb_status(dd_vulndb_t *db, dd_vulndb_status_t *out /* OUT */);
/* Just meta `updated` (RFC 3339, "" if absent -> DD_ENOTFOUND): cheap, unlike
 * dd_vulndb_status, which counts rows. */
int dd_vulndb_updated(dd_vulndb_t *db, char out[32] /* OUT */);

/* ---- writing (importers) ------------------------------------------------ */

typedef struct dd_vuln_rec {
    const char *id;
    const char *summary, *details, *published, *modified, *withdrawn;
    dd_severity_t severity;
    const char *severity_raw;
    const char *cvss_vector;
    double cvss_score;
    const char *aliases_json, *upstream_json, *refs_json;
} dd_vuln_rec_t;

typedef struct dd_affected_rec {
    const char *ecosystem;     /* normalized by the writer */
    const char *package;
    const char *ranges_json;   /* [{"type":"ECOSYSTEM","events":[{"introduced":"0"},...]}] */
    const char *versions_json; /* ["1.0", ...] or NULL */
    dd_fix_state_t fix_state;
    const char *fixed;
    dd_severity_t severity;
    const char *severity_raw;
    const char *module;        /* see dd_affected_t.module; NULL for non-modular */
} dd_affected_rec_t;

typedef struct dd_nvd_rec {
    const char *id, *description, *published, *modified;
    double cvss3_score;
    const char *cvss3_vector;
    dd_severity_t cvss3_severity;
    double cvss4_score;
    const char *cvss4_vector;
    dd_severity_t cvss4_severity;
    const char *cwe_json, *refs_json;
} dd_nvd_rec_t;

/* Writes are only allowed on a writable handle (inside an update). */
/* Upserts the vulnerability and drops the affected entries this feed had for
 * it, so re-importing the same record is idempotent. Non-NULL fields win over
 * what another feed stored for the same id. */
int dd_vulndb_put_vuln(dd_vulndb_t *db, const char *feed, const dd_vuln_rec_t *v, dd_err_t *e);
int dd_vulndb_put_affected(dd_vulndb_t *db, const char *feed, const char *vuln_id,
                           const dd_affected_rec_t *a, dd_err_t *e);
/* Drops the affected entries a feed stored for (vuln_id, ecosystem, package);
 * vuln_id NULL means every vulnerability of that package. Used by feeds whose
 * records are keyed by package rather than by vulnerability. */
int dd_vulndb_drop_affected(dd_vulndb_t *db, const char *feed, const char *vuln_id,
                            const char *ecosystem, const char *package, dd_err_t *e);
int dd_vulndb_put_nvd(dd_vulndb_t *db, const dd_nvd_rec_t *n, dd_err_t *e);

/* One CVSS metric to store (strings borrowed; see dd_cvss_t). */
typedef struct dd_cvss_rec {
    const char *source, *origin, *version, *vector;
    double score;
    dd_severity_t severity;
    bool primary;
} dd_cvss_rec_t;

/* Replaces the metrics feed stored for cve with m[0..n) (n 0: drops them).
 * A metric without version, or without both vector and score, is DD_EINVAL. */
int dd_vulndb_put_cvss(dd_vulndb_t *db, const char *feed, const char *cve, const dd_cvss_rec_t *m, size_t n,
                       dd_err_t *e);

/* One CISA KEV catalog entry (field names as in the catalog). */
typedef struct dd_kev_rec {
    const char *cve_id, *vendor_project, *product, *vulnerability_name, *date_added, *due_date,
        *known_ransomware, *required_action, *notes, *short_description;
} dd_kev_rec_t;

/* Upserts one KEV entry (cve_id "CVE-..." and date_added required). */
int dd_vulndb_put_kev(dd_vulndb_t *db, const dd_kev_rec_t *k, dd_err_t *e);
/* Forgets the whole catalog (the KEV importer replaces it in full). */
int dd_vulndb_clear_kev(dd_vulndb_t *db, dd_err_t *e);
/* Upserts the EPSS score and percentile (0..1) of cve. */
int dd_vulndb_put_epss(dd_vulndb_t *db, const char *cve, double score, double percentile, const char *model,
                       const char *score_date, dd_err_t *e);
/* Per-record savepoint: a bad record is rolled back alone (ok=false) and the
 * import goes on. */
int dd_vulndb_rec_begin(dd_vulndb_t *db);
void dd_vulndb_rec_end(dd_vulndb_t *db, bool ok);
/* Forgets every affected entry of a feed (full refresh of that feed). The
 * enrichment tables are not touched: CVSS metrics are replaced CVE by CVE by
 * their importers (so an incremental NVD page keeps the rest), the KEV
 * catalog in full by the kev importer. */
int dd_vulndb_clear_feed(dd_vulndb_t *db, const char *feed, dd_err_t *e);
/* Records a feed's bookkeeping row (any NULL string keeps the stored one). */
int dd_vulndb_set_feed(dd_vulndb_t *db, const char *feed, const char *source, const char *etag,
                       const char *last_modified, long records, long errors, dd_err_t *e);
/* Reads a feed's stored ETag / Last-Modified (empty strings if unknown). */
int dd_vulndb_get_feed(dd_vulndb_t *db, const char *feed, dd_vulndb_feed_info_t *out);

/* ---- atomic update ------------------------------------------------------ */

typedef struct dd_vulndb_update dd_vulndb_update_t;

/* Locks PATH.lock, copies the live database (if any) into a temp file next to
 * it and opens it writable inside a transaction. */
int dd_vulndb_update_begin(const char *path, dd_vulndb_update_t **out, dd_err_t *e);
dd_vulndb_t *dd_vulndb_update_db(dd_vulndb_update_t *u);
/* Bumps the version, commits, fsyncs and renames the temp file over the live
 * one; frees u in all cases. */
int dd_vulndb_update_commit(dd_vulndb_update_t *u, dd_err_t *e);
/* Discards the temp file; frees u. NULL is a no-op. */
void dd_vulndb_update_abort(dd_vulndb_update_t *u);

/* Replaces the live database at path with the database file src (renamed
 * over it, so src must be on the same filesystem; e.g. next to path). src
 * must open as a vulndb of DD_VULNDB_SCHEMA_VERSION and pass SQLite's
 * quick_check. Its meta.version becomes max(src's, live's) + 1 so that
 * long-lived readers re-open it; *version (may be NULL) gets it. Holds the
 * writer lock while swapping. */
int dd_vulndb_replace(const char *path, const char *src, int64_t *version, dd_err_t *e);

/* The default database path under a data dir: DIR/vulndb/vuln.db (malloc'd). */
char *dd_vulndb_default_path(const char *data_dir);

/* ---- the live snapshot (live.c) ----------------------------------------- */

/* Long-lived readers (the server's scanner, workers and API handlers) share
 * the live database through reference-counted snapshots. A snapshot is one
 * open read-only handle plus its version; dd_vulndb_live_refresh() opens
 * the new file when its version changed and swaps it in atomically.
 * Readers take a reference with dd_vulndb_live_acquire() and match or serve
 * from it without any lock; the old handle is closed when its last reader
 * releases it. The handle itself is thread-safe (its cache has its own
 * lock), so any number of threads can use one snapshot at once. */
typedef struct dd_vulndb_snap {
    dd_vulndb_t *db;        /* never NULL */
    int64_t version;        /* dd_vulndb_version(db) */
    int64_t updated_s;      /* its last-update time, epoch seconds (0 = unknown) */
} dd_vulndb_snap_t;

typedef struct dd_vulndb_live dd_vulndb_live_t;

/* path may be NULL (no database: every acquire gives NULL). Opens the file
 * if it is there; a missing or unreadable file is not an error. */
int dd_vulndb_live_new(const char *path, dd_vulndb_live_t **out, dd_err_t *e);
/* Frees the live handle; snapshots still held stay valid until released. */
void dd_vulndb_live_free(dd_vulndb_live_t *l);
/* Looks at the file's version; opens and swaps in the new database if it
 * changed (or drops the snapshot if the file went). *changed (may be NULL)
 * tells whether the snapshot in use changed. A file that cannot be opened
 * keeps the current snapshot and gives the error. Serialized internally;
 * never blocks readers for longer than the pointer swap. */
int dd_vulndb_live_refresh(dd_vulndb_live_t *l, bool *changed, dd_err_t *e);
/* A new reference to the current snapshot, or NULL if there is none. */
dd_vulndb_snap_t *dd_vulndb_live_acquire(dd_vulndb_live_t *l);
/* Version of the current snapshot (0 = none), without taking a reference. */
int64_t dd_vulndb_live_version(dd_vulndb_live_t *l, int64_t *updated_s /* OUT, may be NULL */);
/* Drops a reference; the last one closes the handle. NULL is a no-op. */
void dd_vulndb_snap_release(dd_vulndb_snap_t *s);

#endif
