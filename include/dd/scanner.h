/*
 * scanner.h: scan on push and continuous re-assessment.
 *
 * The scanner joins the registry to the scanning engine. It installs
 * registry hooks (registry.h) that only record work and return at once:
 *
 *   blob committed    -> in-memory layer task: sniff the first bytes; if they
 *                        show a tar, gzip or zstd stream, analyze the layer
 *                        now and cache the result by (digest, analyzer
 *                        version) in the scan store;
 *   manifest put      -> durable job in the scan store (survives restarts);
 *                        re-pushing a digest that is already known does not
 *                        rescan;
 *   manifest deleted  -> the repository's reference goes; results go with
 *                        the last reference.
 *   tag deleted       -> the tag's reference goes; the image stays listed in
 *                        the repository untagged (a tag moved by a push
 *                        leaves its previous image untagged the same way).
 *   upload progress   -> (past 4 MiB) the upload goes on the stream queue: a
 *                        worker opens its bytes through the blob store and,
 *                        if they start like a layer, a stream thread
 *                        analyzes them while they arrive;
 *   upload end        -> the stream gets the verified digest (or stops).
 *
 * A bounded pool of worker threads runs the jobs (never on HTTP threads)
 * through the pipeline `drydock scan` uses, the registry's blob store being
 * the image source (store:, dd_image_open_store in image.h) and the scan
 * store its layer cache: manifest -> config + layers (dd_image_analyze:
 * cached analyses, or analyze now; a layer is analyzed by one thread while
 * the others wait for its result) -> dd_scan_inventory (overlay -> catalog
 * -> attribution) -> inventory (stored) -> match -> findings (stored). An
 * index records its children and makes sure each has a job.
 *
 * A watcher thread polls the vulnerability database's version; when it
 * changes, the new database is swapped in as the live snapshot (vulndb.h)
 * and every stored inventory is matched again on `workers` threads in
 * parallel (no re-analysis); the new and resolved findings are recorded in
 * the history. Matches and dd_scanner_with_db() hold a snapshot reference,
 * never a scanner lock.
 *
 * Thread safety: all entry points may be called from any thread.
 */
#ifndef DD_SCANNER_H
#define DD_SCANNER_H

#include "dd/analyzer.h"
#include "dd/blobstore.h"
#include "dd/catalog.h"
#include "dd/core.h"
#include "dd/match.h"
#include "dd/registry.h"
#include "dd/scanstore.h"

typedef struct dd_scanner dd_scanner_t;

typedef struct dd_scanner_opts {
    dd_blobstore_t *blobs;      /* borrowed */
    dd_scanstore_t *store;      /* borrowed */
    const char *vulndb_path;    /* the live vulnerability DB file */
    const char *registry_host;  /* for reports ("127.0.0.1:5000") */
    unsigned workers;           /* worker threads (default 2) */
    bool enabled;               /* scan on push */
    const char *include;        /* comma-separated repository globs to scan; NULL/"" = all */
    const char *exclude;        /* comma-separated repository globs never scanned */
    bool eager_layers;          /* analyze layers when their upload completes */
    dd_match_opts_t match;      /* filters deciding Healthy / Unhealthy */
    int64_t stale_after_s;      /* vulnerability data older than this is "stale" */
    unsigned db_poll_ms;        /* how often to look for a new vulnerability DB */
} dd_scanner_opts_t;

void dd_scanner_opts_default(dd_scanner_opts_t *o);

int dd_scanner_new(const dd_scanner_opts_t *o, dd_scanner_t **out, dd_err_t *e);
/* Starts the workers and the DB watcher; re-queues jobs a crash left
 * running. */
int dd_scanner_start(dd_scanner_t *sc, dd_err_t *e);
/* Records, as a push would, every manifest of the metadata store that the
 * scan store does not know in its repository: a push acknowledged just
 * before a crash, or whose scan record could not be written (disk full),
 * gets its scan then. Call before dd_scanner_start; *n: how many. */
int dd_scanner_reconcile(dd_scanner_t *sc, struct dd_meta *meta, size_t *n, dd_err_t *e);
/* Stops threads (running jobs finish first); queued jobs stay queued. */
void dd_scanner_stop(dd_scanner_t *sc);
void dd_scanner_free(dd_scanner_t *sc);

/* The hooks to give dd_registry_set_hooks(). */
void dd_scanner_registry_hooks(dd_scanner_t *sc, dd_registry_hooks_t *out);

/* Is scanning on for this repository (global switch + include/exclude)? */
bool dd_scanner_repo_enabled(dd_scanner_t *sc, const char *repo);

/* Scans one stored manifest now, on the calling thread (workers and tests). */
int dd_scanner_scan_digest(dd_scanner_t *sc, const char *digest, const char *repo, dd_err_t *e);

/* Matches every stored inventory again against the current database. */
typedef struct dd_rematch_stats {
    size_t images, changed, n_new, n_resolved, failed;
    int64_t db_version;
    double seconds;
} dd_rematch_stats_t;
int dd_scanner_rematch_all(dd_scanner_t *sc, dd_rematch_stats_t *st, dd_err_t *e);

/* Waits until no job is queued or running (tests, benchmarks); false on
 * timeout. */
bool dd_scanner_wait_idle(dd_scanner_t *sc, int64_t timeout_ms);

/* Counters (monotonic since start). */
typedef struct dd_scanner_counters {
    uint64_t layers_analyzed;     /* layer streams actually analyzed */
    uint64_t layers_streamed;     /* ... of which while their upload arrived */
    uint64_t layer_cache_hits;    /* layer results reused from the cache */
    uint64_t layers_declined;     /* blobs that were not layers */
    uint64_t images_scanned;
    uint64_t images_failed;
    uint64_t rematches;           /* re-assessment passes */
    int64_t db_version;           /* vulnerability DB version in use (0 = none) */
    int64_t db_updated_s;         /* its last-update time, epoch seconds (0 = unknown) */
    int64_t jobs_pending;         /* -1 when the scan store cannot say */
} dd_scanner_counters_t;
void dd_scanner_counters(dd_scanner_t *sc, dd_scanner_counters_t *out);

/* Assessment of an image as the API reports it: "Healthy", "Unhealthy" or
 * "NotAssessed", with a reason for the last ("no vulnerability data",
 * "stale data, 12 days old", "scan failed: ...", "unsupported: ...",
 * "scan pending"). */
const char *dd_scanner_assess(dd_scanner_t *sc, const dd_image_rec_t *img, char *reason, size_t reasonsz);

/* Runs fn with the current vulnerability DB handle (NULL if none), for API
 * handlers that need details. fn holds a reference to that snapshot and no
 * lock: it may run while an update swaps in a new one. */
int dd_scanner_with_db(dd_scanner_t *sc, int (*fn)(dd_vulndb_t *db, void *arg), void *arg);

/* ---- the shared scan pipeline (pipeline.c) ---- */
/* Overlays an image's ordered layer results, reads its packages into inv
 * (dd_inventory_init'ed) and attributes each package to the layer that first
 * added it. Errors as dd_catalog_run. */
int dd_scan_inventory(const dd_layer_result_t *layers, size_t n, dd_inventory_t *inv, dd_err_t *e);

/* ---- stored inventories (invcodec.c) ---- */
/* Encodes inv and the image's layer digests (may be NULL/0). */
int dd_inventory_encode(const dd_inventory_t *inv, char *const *layers, size_t n_layers, dd_buf_t *out);
/* Untrusted-safe. inv must be dd_inventory_init'ed (or _init_in'ed, to
 * decode into a job's arena); its OS is replaced and the packages are
 * appended. Every string, and the layer digest array that layers (may be
 * NULL) receives, lives in the inventory's arena: nothing to free one by one.
 * DD_ECORRUPT (inv and its arena as they were) for malformed bytes,
 * DD_DECLINED for another format version. */
int dd_inventory_decode(const void *p, size_t n, dd_inventory_t *inv, char ***layers, size_t *n_layers,
                        dd_err_t *e);

#endif
