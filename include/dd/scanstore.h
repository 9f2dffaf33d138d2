/*
 * scanstore.h: where scan results live: the per-layer analysis cache, the
 * images the registry holds and their scan state, each image's inventory,
 * its findings, the history of changes from re-assessment, and the durable
 * scan-job queue.
 *
 * It is the third store beside the blob store and the metadata store, kept
 * separate so that the registry's hot path never waits on scan writes. Each
 * call dispatches through the store's driver vtable (dd_scanstore_ops_t in
 * src/jobs/scanstore_int.h). The SQLite driver (src/jobs/scanstore.c, file
 * DATA/scans.db, WAL, opened and migrated by the shared SQLite layer
 * dd/sqldb.h) is the only one now; a PostgreSQL one follows with the
 * scale-out work, so no SQL leaks above this interface.
 *
 * Image states (one row per manifest digest, shared by every repository
 * that holds it):
 *
 *     (push) -> QUEUED -> ANALYZING -> DONE
 *                  ^          |  \--> FAILED      (error text)
 *                  |          \-----> UNSUPPORTED (reason: no OS / packages)
 *                  +-- re-queued after a restart if it was ANALYZING
 *
 * Invariants:
 *   1. A job row exists for every image in QUEUED or ANALYZING; a restart
 *      turns ANALYZING jobs back into QUEUED ones (no job is lost).
 *   2. An image's findings are replaced in one transaction with the history
 *      rows that describe the change (new / resolved), so readers never see
 *      half a re-assessment.
 *   3. Deleting an image's last reference removes its results.
 */
#ifndef DD_SCANSTORE_H
#define DD_SCANSTORE_H

#include "dd/core.h"
#include "dd/digest.h"

typedef struct dd_scanstore dd_scanstore_t;

typedef enum {
    DD_SCAN_QUEUED = 0,
    DD_SCAN_ANALYZING = 1,
    DD_SCAN_DONE = 2,
    DD_SCAN_FAILED = 3,
    DD_SCAN_UNSUPPORTED = 4,
} dd_scan_state_t;

const char *dd_scan_state_name(dd_scan_state_t s); /* "queued", ... */
int dd_scan_state_parse(const char *s, dd_scan_state_t *out);

/* Number of severity bands (dd_severity_t in vulndb.h: Unknown..Critical). */
#define DD_NSEV 6

typedef struct dd_image_rec {
    char digest[DD_DIGEST_MAX];
    char media_type[256];
    bool is_index;
    dd_scan_state_t state;
    char error[512];         /* failure or unsupported reason, "" if none */
    char os[128];            /* ecosystem ("Debian:12") or "" */
    char os_pretty[128];
    char platform[64];       /* "linux/amd64" or "" */
    int64_t pushed_ms;
    int64_t scanned_ms;      /* 0 if never */
    int64_t db_version;      /* vulnerability DB version of the findings, 0 if none */
    int64_t size;            /* sum of config + layer sizes */
    int n_packages;
    int counts[DD_NSEV];     /* findings by severity (after filters: all findings) */
    int n_fixable;           /* findings with a fixed version */
} dd_image_rec_t;

/* One child manifest of an index (dd_scanstore_children). */
typedef struct dd_image_child {
    char digest[DD_DIGEST_MAX];
} dd_image_child_t;

/* One finding as stored; the full JSON object (as the report writes it) is
 * kept verbatim in json. */
typedef struct dd_finding_row {
    const char *vuln_id;
    const char *package;
    const char *version;     /* installed */
    const char *fixed;       /* "" if none */
    const char *fix_state;   /* "fixed", "not-fixed", ... */
    int severity;            /* dd_severity_t */
    int layer;
    const char *json;
} dd_finding_row_t;

typedef struct dd_findings_filter {
    int min_severity;        /* -1 = any; Unknown findings are always kept (a severity
                                filter never drops what nobody rated) */
    int severity;            /* exact band (dd_severity_t), -1 = any */
    const char *fix_state;   /* NULL = any */
    const char *package;     /* NULL = any */
    const char *vuln_id;     /* NULL = any */
    int known_exploited;     /* 0 = any, 1 = in the CISA KEV catalog only, -1 = not in it */
    size_t offset, limit;    /* limit 0 = no limit */
} dd_findings_filter_t;

typedef struct dd_history_row {
    int64_t id;
    const char *image;
    int64_t ts_ms;
    const char *change;      /* "new" | "resolved" */
    const char *vuln_id;
    const char *package;
    int64_t db_version;
} dd_history_row_t;

typedef struct dd_job {
    int64_t id;
    char digest[DD_DIGEST_MAX];
    char repo[256];
    int attempts;
} dd_job_t;

/* Every call that can fail returns DD_OK or a negative DD_E* code and fills
 * e (may be NULL) where it failed: the store's own message ("scan store:
 * ..."; DD_EBUSY when the database stayed locked past its busy timeout,
 * DD_EIO for other SQLite failures), or DD_ENOTFOUND with what was missing.
 * Nothing is logged here: callers decide. */
int dd_scanstore_open(const char *path, dd_scanstore_t **out, dd_err_t *e);
void dd_scanstore_close(dd_scanstore_t *s);

/* ---- layer analysis cache (key: layer digest + analyzer version) ---- */
/* DD_OK when the layer is known: *status (OUT) is DD_OK with the serialized
 * result in out (may be NULL), DD_DECLINED if the blob is not a layer, or
 * the rc its analysis failed with for good; why (may be NULL) gets the
 * stored error text. DD_ENOTFOUND when it is not known. */
int dd_scanstore_layer_get(dd_scanstore_t *s, const char *digest, int version, dd_buf_t *out,
                           char *why, size_t whysz, int *status, dd_err_t *e);
/* status: DD_OK (result = serialized), DD_DECLINED (not a layer) or an
 * error rc (error text kept). */
int dd_scanstore_layer_put(dd_scanstore_t *s, const char *digest, int version, int status,
                           const void *result, size_t n, const char *error, dd_err_t *e);
/* number of cached layer analyses (for the counters in the API) */
int dd_scanstore_layer_count(dd_scanstore_t *s, int64_t *n, dd_err_t *e);

/* ---- images and their references ---- */
/* Records that repo holds digest (tag may be NULL; a tag that named another
 * digest in repo moves, leaving that one untagged). A new image is created
 * QUEUED with a job when enqueue, else UNSUPPORTED with DD_SCAN_OFF_REASON;
 * an image left that way is queued when a later push has enqueue set.
 * *created tells whether a job was made. */
#define DD_SCAN_OFF_REASON "scanning is off for this repository"
int dd_scanstore_image_pushed(dd_scanstore_t *s, const char *repo, const char *digest,
                              const char *media_type, const char *tag, bool enqueue,
                              bool *created, dd_err_t *e);
/* Removes repo's reference; when none is left the image and its results go. */
int dd_scanstore_image_unref(dd_scanstore_t *s, const char *repo, const char *digest, dd_err_t *e);
/* Tag deleted in repo (issue 15): its reference goes; the manifest it named
 * stays in the repository by digest, so that image keeps an untagged
 * reference there (it is listed with no tags, not dropped). Tags are
 * references with tag != "": a tag moved by dd_scanstore_image_pushed
 * leaves the previous image untagged the same way. */
int dd_scanstore_tag_removed(dd_scanstore_t *s, const char *repo, const char *tag, dd_err_t *e);
/* DD_ENOTFOUND when the store does not know digest. */
int dd_scanstore_image_get(dd_scanstore_t *s, const char *digest, dd_image_rec_t *out, dd_err_t *e);
/* Stores state, error and the summary fields of rec (by rec->digest). */
int dd_scanstore_image_update(dd_scanstore_t *s, const dd_image_rec_t *rec, dd_err_t *e);
/* Images, optionally only those referenced by repo, in digest order after
 * `after` (NULL = start), at most limit (0 = all). fn returns nonzero to
 * stop. */
int dd_scanstore_images(dd_scanstore_t *s, const char *repo, const char *after, size_t limit,
                        int (*fn)(const dd_image_rec_t *r, void *arg), void *arg, dd_err_t *e);
/* Replaces the child manifests of index digest with children[0..n), kept
 * in index order, one row each (no limit on their number). */
int dd_scanstore_children_set(dd_scanstore_t *s, const char *digest, const char *const *children, size_t n,
                              dd_err_t *e);
/* The children of index digest in index order: *out (OUT: free() it, NULL
 * when there are none) holds *n entries. */
int dd_scanstore_children(dd_scanstore_t *s, const char *digest, dd_image_child_t **out, size_t *n,
                          dd_err_t *e);
/* Repositories holding digest. */
int dd_scanstore_image_repos(dd_scanstore_t *s, const char *digest,
                             int (*fn)(const char *repo, const char *tag, void *arg), void *arg, dd_err_t *e);
/* Repositories with their image references (repo, digest, tag or NULL). */
int dd_scanstore_refs(dd_scanstore_t *s, const char *repo,
                      int (*fn)(const char *repo, const char *digest, const char *tag, void *arg), void *arg,
                      dd_err_t *e);

/* ---- inventories ---- */
int dd_scanstore_inventory_put(dd_scanstore_t *s, const char *digest, const void *p, size_t n, dd_err_t *e);
/* DD_ENOTFOUND when digest has no stored inventory. */
int dd_scanstore_inventory_get(dd_scanstore_t *s, const char *digest, dd_buf_t *out, dd_err_t *e);
/* Every image with a stored inventory (for re-assessment). */
int dd_scanstore_each_inventory(dd_scanstore_t *s,
                                int (*fn)(const char *digest, const void *p, size_t n, void *arg), void *arg,
                                dd_err_t *e);

/* ---- findings ---- */
/* Replaces digest's findings with rows[] and records, in the same
 * transaction, a history row per new and per resolved (vuln, package) pair
 * (none when record_history is false: the first scan). Returns the number of
 * new and resolved findings. hash (may be NULL) is stored with them: a
 * re-assessment compares it (dd_scanstore_findings_hash) and skips the
 * rewrite when the findings did not change. */
int dd_scanstore_findings_replace(dd_scanstore_t *s, const char *digest, const dd_finding_row_t *rows,
                                  size_t n, const char *hash, int64_t db_version, bool record_history,
                                  size_t *n_new, size_t *n_resolved, dd_err_t *e);
/* The hash stored with digest's findings ("" if none); DD_ENOTFOUND for an
 * unknown image. */
int dd_scanstore_findings_hash(dd_scanstore_t *s, const char *digest, char *out, size_t outsz, dd_err_t *e);
/* Records db_version on every done image (after a re-assessment pass). */
int dd_scanstore_set_db_version(dd_scanstore_t *s, int64_t db_version, dd_err_t *e);
/* Findings of digest matching f; *total gets the count before offset/limit.
 * fn may be NULL to count only. */
int dd_scanstore_findings(dd_scanstore_t *s, const char *digest, const dd_findings_filter_t *f,
                          int (*fn)(const dd_finding_row_t *r, void *arg), void *arg, size_t *total,
                          dd_err_t *e);
/* Images whose findings include vuln_id. */
int dd_scanstore_images_with_vuln(dd_scanstore_t *s, const char *vuln_id,
                                  int (*fn)(const char *digest, const dd_finding_row_t *r, void *arg),
                                  void *arg, dd_err_t *e);
/* History rows, newest first; image NULL = all; since_ms 0 = all. */
int dd_scanstore_history(dd_scanstore_t *s, const char *image, int64_t since_ms, size_t limit,
                         int (*fn)(const dd_history_row_t *r, void *arg), void *arg, dd_err_t *e);

/* ---- durable job queue ---- */
int dd_scanstore_job_add(dd_scanstore_t *s, const char *digest, const char *repo, dd_err_t *e);
/* Claims the oldest queued job (marks it running). DD_ENOTFOUND if none. */
int dd_scanstore_job_claim(dd_scanstore_t *s, dd_job_t *out, dd_err_t *e);
int dd_scanstore_job_done(dd_scanstore_t *s, int64_t id, dd_err_t *e);
/* Puts running jobs back in the queue (at startup); *n (may be NULL) says
 * how many. */
int dd_scanstore_jobs_requeue(dd_scanstore_t *s, size_t *n, dd_err_t *e);
/* Jobs queued or running. */
int dd_scanstore_jobs_pending(dd_scanstore_t *s, int64_t *n, dd_err_t *e);

/* ---- key/value settings (db version seen, counters) ---- */
/* DD_ENOTFOUND when key was never set. */
int dd_scanstore_kv_get(dd_scanstore_t *s, const char *key, int64_t *out, dd_err_t *e);
int dd_scanstore_kv_set(dd_scanstore_t *s, const char *key, int64_t v, dd_err_t *e);

#endif
