/*
 * dbsync.h: bringing the vulnerability database up to date from the network
 * (see docs/vulndb.md, "drydock db"):
 *
 *   dd_fetch_file()      one HTTP(S) GET to a file: conditional headers
 *                        (ETag / Last-Modified), extra headers, retries of
 *                        403/429/503 and transport errors with exponential
 *                        backoff (Retry-After wins when given), progress
 *   dd_nvd_sync()        a complete local NVD copy through the CVE API 2.0:
 *                        full paging first, then lastModified windows from
 *                        the last successful sync; rate limited; resumable
 *                        (pages kept in a sync directory with a state file)
 *   dd_feeds_update()    one `db update`: every selected source downloaded
 *                        and imported in its own savepoint into one atomic
 *                        database update, results reported per source
 *   dd_vulndb_artifact_* the built database as an OCI artifact: written to
 *                        an OCI layout directory or pushed to a registry, and
 *                        pulled back (every digest checked) to replace the
 *                        live database atomically
 *
 * Library code: nothing here prints; progress goes through callbacks.
 * The caller runs curl_global_init() once before using these.
 */
#ifndef DD_DBSYNC_H
#define DD_DBSYNC_H

#include "dd/core.h"
#include "dd/feeds.h"
#include "dd/vulndb.h"

#include <time.h>

/* ---- one download ------------------------------------------------------- */

/* Progress of a transfer: done bytes of total (0 if unknown). */
typedef void (*dd_fetch_progress_fn)(void *arg, long long done, long long total);

typedef struct dd_fetch_opts {
    const char *etag;            /* sent as If-None-Match when non-empty */
    const char *last_modified;   /* sent as If-Modified-Since when non-empty */
    const char *const *headers;  /* extra "Name: value" lines, NULL-terminated, or NULL */
    int max_attempts;            /* tries of a retryable answer; 0 = 6 */
    long backoff_ms;             /* first backoff, doubled per retry (cap 64x); 0 = 1000 */
    long long max_bytes;         /* body limit; 0 = 4 GiB */
    dd_fetch_progress_fn progress;
    void *progress_arg;
} dd_fetch_opts_t;

typedef struct dd_fetch_result {
    long status;                 /* final HTTP status */
    long long bytes;             /* body bytes written */
    int attempts;                /* requests made */
    char etag[256];
    char last_modified[64];
} dd_fetch_result_t;

/* GETs url into path (created or truncated). Retries 403, 429, 503 and
 * transient transport errors (timeouts, cut connections; not a host that
 * does not resolve or refuses) up to max_attempts, waiting Retry-After (seconds) when the
 * server sends it, else backoff_ms * 2^n. Returns DD_OK with r->status set for
 * any final HTTP answer (the caller judges 200/304/404...), DD_EIO on a
 * transport error after the last try, DD_ELIMIT past max_bytes. */
int dd_fetch_file(const char *url, const char *path, const dd_fetch_opts_t *o, dd_fetch_result_t *r,
                  dd_err_t *e);

/* Extracts a tar archive (gzip, zstd, xz or bzip2 compressed, or plain) into
 * dir (created): regular files and directories only, names that are
 * absolute or climb with ".." are skipped. DD_ECORRUPT for a truncated or
 * corrupt archive. */
int dd_fetch_extract_tar(const char *path, const char *dir, dd_err_t *e);
/* Removes a file or a directory tree (what dd_fetch_extract_tar made). */
int dd_fetch_remove_tree(const char *dir);

/* ---- Amazon Linux ---------------------------------------------------- */

/* The updateinfo URL of an Amazon Linux repository from its mirror list
 * (".../mirror.list": the first http(s) line is the mirror; then
 * MIRROR/repodata/repomd.xml names the updateinfo file). tmp is a scratch
 * file; fo's validators are not used. url gets MIRROR/HREF. */
int dd_alas_resolve(const char *mirror_list_url, const char *tmp, const dd_fetch_opts_t *fo, char *url, size_t usz,
                    dd_err_t *e);
/* The href of <data type="updateinfo"><location href=.../> in repomd.xml:
 * relative, without "..". DD_ENOTFOUND if there is none. */
int dd_alas_repomd_updateinfo(const char *xml, size_t len, char *href, size_t hsz, dd_err_t *e);

/* ---- NVD -------------------------------------------------------------- */

typedef struct dd_nvd_progress {
    bool full;          /* full paging (else incremental windows) */
    int window, n_windows; /* 1-based window being fetched (incremental) */
    int pages;          /* pages fetched so far in this sync (resumed ones included) */
    long records;       /* CVE records in those pages */
    long total;         /* totalResults of the current window (0 before the first page) */
    bool importing;     /* fetching done, pages being imported */
} dd_nvd_progress_t;

typedef struct dd_nvd_sync_opts {
    const char *url;        /* API base, e.g. https://services.nvd.nist.gov/rest/json/cves/2.0 */
    const char *api_key;    /* sent as the apiKey header; NULL/"" = public limits */
    const char *state_dir;  /* where pages and state.json are kept (created) */
    int page_size;          /* resultsPerPage asked; 0 = 2000 (the API maximum) */
    int window_days;        /* lastMod window; 0 = 120 (the API maximum) */
    long rate_window_ms;    /* rolling rate-limit window; 0 = 30000 */
    int rate_max;           /* requests per window; 0 = 5, or 50 with an api key */
    long backoff_ms;        /* as dd_fetch_opts_t */
    int max_attempts;
    time_t now;             /* end of the sync; 0 = time(NULL) */
    void (*progress)(void *arg, const dd_nvd_progress_t *p);
    void *progress_arg;
} dd_nvd_sync_opts_t;

typedef struct dd_nvd_sync_result {
    bool full;              /* it was a full sync */
    bool resumed;           /* it continued an interrupted sync */
    int windows;            /* lastMod windows walked (0 for a full sync) */
    int pages;              /* pages imported */
    int requests;           /* HTTP requests made by this run (retries included) */
    char since[32], until[32]; /* the synced lastMod range (since empty for full) */
    dd_feed_stats_t st;     /* records imported / skipped, first messages */
} dd_nvd_sync_result_t;

/* Brings db (writable, inside an update) up to date with the NVD API: a full
 * sync when db has no completed sync of this url (feed "nvd", its
 * last_modified holds the sync time), else the windows since the last one.
 * Every page is written to state_dir before the next is asked, with
 * state_dir/state.json rewritten atomically, so a sync that is killed resumes
 * where it stopped. On success the pages are imported and the feed row says
 * the new sync time; call dd_nvd_sync_finish() once the update is committed.
 * On failure what was fetched stays in state_dir and db is unchanged. */
int dd_nvd_sync(dd_vulndb_t *db, const dd_nvd_sync_opts_t *o, dd_nvd_sync_result_t *r, dd_err_t *e);
/* Removes the pages and state of a sync that was committed. */
void dd_nvd_sync_finish(const char *state_dir);

/* ---- one whole update -------------------------------------------------- */

typedef enum {
    DD_SRC_FILE = 1, /* one document at url */
    DD_SRC_ARCHIVE,  /* a zip (imported as is) or a tar (extracted, imported as a directory) */
    DD_SRC_CSAF,     /* url is a base: base/archive_latest.txt names the archive (one file name) */
    DD_SRC_MIRROR,   /* url is a yum mirror.list, resolved with dd_alas_resolve() */
    DD_SRC_NVD,      /* the NVD API, dd_nvd_sync() */
} dd_src_kind_t;

typedef struct dd_update_job {
    dd_src_kind_t kind;
    char feed[96];           /* the feed name its data is stored under ("osv/Debian") */
    char url[1200];
    const char *format;      /* the importer (dd_feed_find); absent from the build = skipped */
} dd_update_job_t;

typedef enum {
    DD_UPD_CHANGED = 1,      /* downloaded and imported (NVD: synced) */
    DD_UPD_UNCHANGED,        /* 304 Not Modified */
    DD_UPD_NOT_FOUND,        /* 404: reported, not a failure (a branch that does not exist) */
    DD_UPD_FAILED,           /* download or import failed: its previous data is kept */
    DD_UPD_SKIPPED,          /* its importer is not in this build */
} dd_update_outcome_t;

typedef struct dd_update_event {
    const dd_update_job_t *job;
    dd_update_outcome_t outcome;
    const char *url;         /* the URL fetched (CSAF, mirror: the resolved one) */
    bool importing;          /* FAILED while importing (else while downloading) */
    const char *msg;         /* FAILED: the reason */
    const dd_feed_stats_t *st;          /* CHANGED */
    const dd_nvd_sync_result_t *nvd;    /* CHANGED, DD_SRC_NVD */
} dd_update_event_t;

typedef struct dd_update_opts {
    const char *nvd_api_key;
    int nvd_page_size, nvd_window_days; /* as dd_nvd_sync_opts_t (0 = defaults) */
    long nvd_rate_window_ms;
    time_t nvd_now;
    long backoff_ms;                    /* as dd_fetch_opts_t */
    long long max_bytes;                /* per download; 0 = 4 GiB */
    void (*on_progress)(void *arg, const char *feed, long long done, long long total);
    void (*on_nvd_progress)(void *arg, const dd_nvd_progress_t *p);
    void (*on_result)(void *arg, const dd_update_event_t *ev); /* once per job */
    void *arg;
} dd_update_opts_t;

typedef struct dd_update_summary {
    int changed, unchanged, not_found, failed, skipped;
    bool committed;          /* a new database was swapped in */
    int64_t version;         /* the database version afterwards */
} dd_update_summary_t;

/* Runs jobs in order inside one dd_vulndb_update on dbpath. Each download
 * goes to a temp file next to dbpath (conditional on the feed's stored ETag /
 * Last-Modified when the URL is the stored one); each import runs in its own
 * savepoint after clearing the feed, so a failed source keeps its previous
 * data and the others still update. NVD syncs keep their pages in
 * DBPATH.nvd-sync (removed after the commit). The update is committed when
 * any source changed, else discarded. Returns an error only when the update
 * itself cannot begin or commit; per-source failures are in sum->failed. */
int dd_feeds_update(const char *dbpath, const dd_update_job_t *jobs, size_t n, const dd_update_opts_t *o,
                    dd_update_summary_t *sum, dd_err_t *e);

/* ---- the database as an OCI artifact ------------------------------------ */

#define DD_VULNDB_ARTIFACT_TYPE "application/vnd.drydock.vulndb.v1"
#define DD_VULNDB_LAYER_TYPE "application/vnd.drydock.vulndb.layer.v1.sqlite+zstd"
#define DD_OCI_EMPTY_TYPE "application/vnd.oci.empty.v1+json"
#define DD_OCI_MANIFEST_TYPE "application/vnd.oci.image.manifest.v1+json"

typedef struct dd_vulndb_artifact {
    char *layer_path;       /* the zstd-compressed database (a temp file, removed by release) */
    char layer_digest[80];
    long long layer_size;
    char *manifest;         /* the manifest bytes as written and pushed */
    size_t manifest_len;
    char manifest_digest[80];
    int64_t version;        /* database version inside */
} dd_vulndb_artifact_t;

/* Compresses the live database at dbpath into tmpdir and builds the
 * manifest: artifactType DD_VULNDB_ARTIFACT_TYPE, the empty config, one layer
 * of DD_VULNDB_LAYER_TYPE, annotations io.drydock.vulndb.{schema,version,
 * built,updated,feeds} and org.opencontainers.image.created. */
int dd_vulndb_artifact_build(const char *dbpath, const char *tmpdir, dd_vulndb_artifact_t *out, dd_err_t *e);
void dd_vulndb_artifact_release(dd_vulndb_artifact_t *a);

typedef struct dd_oci_remote_opts {
    bool insecure;          /* plain http for any host (always for loopback) */
    const char *user, *password; /* NULL = $DRYDOCK_REGISTRY_USER / _PASSWORD */
    long long max_db_bytes;  /* limit of the decompressed database; 0 = 64 GiB */
    dd_fetch_progress_fn progress;
    void *progress_arg;
} dd_oci_remote_opts_t;

/* Writes the artifact into the OCI image layout at dir (created if needed;
 * an existing index keeps its other entries) under tag. */
int dd_vulndb_artifact_write_layout(const dd_vulndb_artifact_t *a, const char *dir, const char *tag, dd_err_t *e);
/* Pushes it to HOST[:PORT]/REPO:TAG (the part after "oci://"). */
int dd_vulndb_artifact_push(const dd_vulndb_artifact_t *a, const char *ref, const dd_oci_remote_opts_t *o,
                            dd_err_t *e);

/* Pulls a database artifact from "oci://HOST[:PORT]/REPO[:TAG|@DIGEST]" or
 * "oci-layout:DIR[:TAG]", checks the manifest, config and layer digests and
 * sizes, decompresses it next to dbpath, checks that it opens as a vulndb of
 * this schema and replaces dbpath atomically (dd_vulndb_replace). *version
 * gets the new local version. */
int dd_vulndb_artifact_pull(const char *from, const char *dbpath, const dd_oci_remote_opts_t *o, int64_t *version,
                            dd_err_t *e);

#endif
