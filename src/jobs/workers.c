/*
 * workers.c: the scanner's workers: the worker pool, the layer cache the
 * pipeline calls (the scan store behind a single-flight set), one image's
 * scan through the pipeline shared with `drydock scan` (a store: image
 * source, analyze -> catalog -> match), continuous re-assessment and the
 * database watcher (see include/dd/scanner.h for the design; the registry
 * hooks are in hooks.c, layers analyzed during their upload in stream.c).
 *
 * Threads:
 *   - HTTP threads call the hooks: they append to the in-memory layer queue
 *     or write one job row, signal the workers and return.
 *   - N workers: layer tasks first (so a manifest usually finds its layers
 *     analyzed), then durable jobs from the scan store; each job's memory
 *     (inventory, layer digests) lives in one arena released at its end.
 *   - one watcher: polls the vulnerability DB version every db_poll_ms and
 *     runs dd_scanner_rematch_all() when it changes.
 *
 * Layer analysis is single-flight: a digest being analyzed is in `inflight`
 * (the turn a layer-cache get hands out, ended by its put, or taken by an
 * upload stream when the upload commits); anyone else wanting it waits on
 * done_cond in get instead of analyzing it again.
 *
 * The vulnerability database is a live snapshot (dd_vulndb_live_t in
 * vulndb.h): a match or an API call takes a reference and runs without any
 * scanner lock; a new database version is swapped in atomically while
 * older snapshots finish their work.
 */
#include "scanner_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "dd/analyzer.h"
#include "dd/findout.h"
#include "dd/manifest.h"
#include "dd/meta.h"
#include "dd/vulndb.h"


void dd_scanner_opts_default(dd_scanner_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->workers = 2;
    o->enabled = true;
    o->eager_layers = true;
    o->stale_after_s = 7 * 86400;
    o->db_poll_ms = 1000;
}

/* Waits on cond (with sc->mu held) for at most ms milliseconds. */
void scanner_timed_wait(pthread_cond_t *cond, pthread_mutex_t *mu, int64_t ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t ns = ts.tv_nsec + ms * 1000000LL;
    ts.tv_sec += (time_t)(ns / 1000000000LL);
    ts.tv_nsec = (long)(ns % 1000000000LL);
    pthread_cond_timedwait(cond, mu, &ts);
}

/* Takes digest out of the single-flight set. Caller holds sc->mu. */
void scanner_inflight_remove(dd_scanner_t *sc, const char *digest)
{
    for (size_t i = 0; i < sc->n_inflight; i++)
        if (!strcmp(sc->inflight[i], digest)) {
            memmove(sc->inflight[i], sc->inflight[i + 1], (sc->n_inflight - i - 1) * DD_DIGEST_MAX);
            sc->n_inflight--;
            return;
        }
}

/* ---- vulnerability DB handle ---- */

/* Swaps in a new database version if the file changed (logged). Returns
 * true if the snapshot in use changed. */
static bool db_refresh(dd_scanner_t *sc)
{
    bool changed = false;
    dd_err_t e;
    if (dd_vulndb_live_refresh(sc->live, &changed, &e) != DD_OK)
        dd_log(DD_LOG_WARN, "scanner", "cannot open vulnerability database: %s", e.msg);
    if (changed)
        dd_log(DD_LOG_INFO, "scanner", "vulnerability database version %lld loaded",
               (long long)dd_vulndb_live_version(sc->live, NULL));
    return changed;
}

int dd_scanner_with_db(dd_scanner_t *sc, int (*fn)(dd_vulndb_t *db, void *arg), void *arg)
{
    db_refresh(sc);
    dd_vulndb_snap_t *snap = dd_vulndb_live_acquire(sc->live);
    int rc = fn(snap ? snap->db : NULL, arg);
    dd_vulndb_snap_release(snap);
    return rc;
}

/* ---- lifecycle ---- */

static int layer_cache_get(void *arg, const dd_digest_t *layer, dd_layer_result_t *out, dd_err_t *e);
static void layer_cache_put(void *arg, const dd_digest_t *layer, int status, const dd_layer_result_t *r,
                            const char *error);

int dd_scanner_new(const dd_scanner_opts_t *o, dd_scanner_t **out, dd_err_t *e)
{
    if (!o->blobs || !o->store) return dd_err(e, DD_EINVAL, "scanner needs a blob store and a scan store");
    dd_scanner_t *sc = dd_calloc(1, sizeof *sc);
    sc->o = *o;
    sc->vulndb_path = o->vulndb_path ? dd_strdup(o->vulndb_path) : NULL;
    sc->include = o->include ? dd_strdup(o->include) : NULL;
    sc->exclude = o->exclude ? dd_strdup(o->exclude) : NULL;
    sc->registry_host = dd_strdup(o->registry_host ? o->registry_host : "localhost");
    if (!sc->o.workers) sc->o.workers = 2;
    if (!sc->o.db_poll_ms) sc->o.db_poll_ms = 1000;
    sc->layer_q = dd_calloc(LAYER_QUEUE_MAX, sizeof *sc->layer_q);
    pthread_mutex_init(&sc->mu, NULL);
    pthread_cond_init(&sc->work_cond, NULL);
    pthread_cond_init(&sc->done_cond, NULL);
    pthread_cond_init(&sc->watch_cond, NULL);
    pthread_cond_init(&sc->stream_cond, NULL);
    pthread_mutex_init(&sc->rematch_mu, NULL);
    dd_vulndb_live_new(sc->vulndb_path, &sc->live, NULL);
    sc->cache = (dd_layer_cache_t){layer_cache_get, layer_cache_put, sc};
    int rc = dd_image_open_store(o->blobs, NULL, NULL, NULL, &sc->layers_src, e);
    if (rc != DD_OK) {
        dd_scanner_free(sc);
        return rc;
    }
    db_refresh(sc);
    *out = sc;
    return DD_OK;
}

void dd_scanner_free(dd_scanner_t *sc)
{
    if (!sc) return;
    dd_scanner_stop(sc);
    dd_vulndb_live_free(sc->live);
    dd_image_close(sc->layers_src);
    pthread_mutex_destroy(&sc->mu);
    pthread_cond_destroy(&sc->work_cond);
    pthread_cond_destroy(&sc->done_cond);
    pthread_cond_destroy(&sc->watch_cond);
    pthread_cond_destroy(&sc->stream_cond);
    pthread_mutex_destroy(&sc->rematch_mu);
    free(sc->layer_q);
    free(sc->vulndb_path);
    free(sc->include);
    free(sc->exclude);
    free(sc->registry_host);
    free(sc);
}


/* ---- the layer cache: the scan store behind a single-flight set ----
 *
 * The pipeline (dd_image_analyze_layer) calls get before and put after each
 * layer it analyzes; so do the eager layer tasks and, for put, the upload
 * streams (stream.c). get waits while the digest is in `inflight` (another
 * thread analyzes it), then reads the scan store; a miss puts the digest in
 * `inflight` (the caller's turn) until its put. Both steps run under sc->mu,
 * so no two threads ever analyze the same layer, and the counters are kept
 * in one place. */

static bool inflight_has(const dd_scanner_t *sc, const char *digest)
{
    for (size_t i = 0; i < sc->n_inflight; i++)
        if (strcmp(sc->inflight[i], digest) == 0) return true;
    return false;
}

static int layer_cache_get(void *arg, const dd_digest_t *layer, dd_layer_result_t *out, dd_err_t *e)
{
    dd_scanner_t *sc = arg;
    const char *digest = layer->str;
    dd_buf_t buf;
    dd_buf_init(&buf, 0);
    char why[512] = "";
    pthread_mutex_lock(&sc->mu);
    /* wait for another thread's turn on this layer, or for room in the set */
    while (inflight_has(sc, digest) || sc->n_inflight >= MAX_INFLIGHT) pthread_cond_wait(&sc->done_cond, &sc->mu);
    int status = DD_OK;
    dd_err_t se;
    int rc = dd_scanstore_layer_get(sc->o.store, digest, DD_ANALYZER_VERSION, &buf, why, sizeof why, &status, &se);
    if (rc == DD_OK) rc = status; /* known: its result, or why it is no layer */
    else if (rc != DD_ENOTFOUND) {
        /* the store failed: this scan fails, nobody's turn was taken */
        pthread_mutex_unlock(&sc->mu);
        dd_buf_release(&buf);
        return dd_err(e, rc, "%s", se.msg);
    }
    if (rc == DD_OK) {
        sc->ctr.layer_cache_hits++;
        pthread_mutex_unlock(&sc->mu);
        rc = dd_layer_result_deserialize(buf.ptr, buf.len, out, e);
        dd_buf_release(&buf);
        if (rc != DD_DECLINED) return rc;
        /* written by another analyzer version: this caller redoes it */
        pthread_mutex_lock(&sc->mu);
        while (inflight_has(sc, digest) || sc->n_inflight >= MAX_INFLIGHT)
            pthread_cond_wait(&sc->done_cond, &sc->mu);
        rc = DD_ENOTFOUND;
    } else {
        dd_buf_release(&buf);
    }
    if (rc == DD_ENOTFOUND) snprintf(sc->inflight[sc->n_inflight++], DD_DIGEST_MAX, "%s", digest);
    pthread_mutex_unlock(&sc->mu);
    if (rc == DD_DECLINED) return dd_err(e, DD_DECLINED, "not a layer: %s", why);
    if (rc != DD_OK && rc != DD_ENOTFOUND) return dd_err(e, rc, "layer %s failed earlier: %s", digest, why);
    return rc;
}

static void layer_cache_put(void *arg, const dd_digest_t *layer, int status, const dd_layer_result_t *r,
                            const char *error)
{
    dd_scanner_t *sc = arg;
    int rc = DD_OK;
    dd_err_t se;
    dd_err_clear(&se);
    if (status == DD_OK) {
        dd_buf_t ser;
        dd_buf_init(&ser, 0);
        rc = dd_layer_result_serialize(r, &ser);
        if (rc == DD_OK)
            rc = dd_scanstore_layer_put(sc->o.store, layer->str, DD_ANALYZER_VERSION, DD_OK, ser.ptr, ser.len, NULL,
                                        &se);
        else
            dd_err(&se, rc, "cannot serialize the analysis");
        dd_buf_release(&ser);
    } else if (status == DD_DECLINED || status == DD_ECORRUPT || status == DD_ELIMIT) {
        /* remembered: the same bytes give the same answer */
        rc = dd_scanstore_layer_put(sc->o.store, layer->str, DD_ANALYZER_VERSION, status, NULL, 0,
                                    error ? error : "", &se);
    }
    /* not cached: the next scan analyzes the layer again (no result is
     * lost, the caller has it), so a warning is enough here */
    if (rc != DD_OK) dd_log(DD_LOG_WARN, "scanner", "cannot cache the analysis of layer %s: %s", layer->str, se.msg);
    pthread_mutex_lock(&sc->mu);
    if (status == DD_OK) sc->ctr.layers_analyzed++;
    else if (status == DD_DECLINED) sc->ctr.layers_declined++;
    scanner_inflight_remove(sc, layer->str);
    pthread_cond_broadcast(&sc->done_cond);
    pthread_mutex_unlock(&sc->mu);
}

/* A layer task: a committed blob analyzed before its manifest arrives (a
 * blob that is not a layer is remembered as such). */
static void layer_task(dd_scanner_t *sc, const char *digest)
{
    dd_err_t e;
    dd_err_clear(&e);
    dd_descriptor_t d;
    memset(&d, 0, sizeof d);
    d.size = -1; /* whatever the store holds */
    dd_layer_result_t res;
    dd_layer_result_init(&res);
    int rc = dd_digest_parse(digest, &d.digest, &e);
    if (rc == DD_OK) rc = dd_image_analyze_layer(sc->layers_src, &d, &sc->cache, &res, NULL, &e);
    dd_layer_result_release(&res);
    if (rc != DD_OK && rc != DD_DECLINED) dd_log(DD_LOG_WARN, "scanner", "layer %s: %s", digest, e.msg);
}

/* ---- one image ---- */

/* Matches inv and stores findings + summary into rec. Caller fills rec's
 * identity fields. */
static int match_and_store(dd_scanner_t *sc, dd_image_rec_t *rec, const dd_inventory_t *inv,
                           char *const *layer_digests, size_t n_layers, bool record_history, size_t *n_new,
                           size_t *n_resolved, dd_err_t *e)
{
    if (n_new) *n_new = 0;
    if (n_resolved) *n_resolved = 0;
    db_refresh(sc);
    /* one snapshot for the whole match, no lock held (see vulndb.h) */
    dd_vulndb_snap_t *snap = dd_vulndb_live_acquire(sc->live);
    dd_vulndb_t *db = snap ? snap->db : NULL;
    int64_t dbv = snap ? snap->version : 0;
    /* The match signature (see dd_match_signature) plus what else shapes the
     * stored findings: filters and layer digests. Re-assessment of an image
     * whose signature did not change stops here. */
    dd_hasher_t *h = dd_hasher_new(DD_DIGEST_SHA256);
    if (db) dd_match_signature(db, inv, h);
    else dd_hasher_update(h, "no-db", 6);
    int opts[2] = {(int)sc->o.match.min_severity, sc->o.match.ignore_unfixed};
    dd_hasher_update(h, opts, sizeof opts);
    for (size_t i = 0; i < sc->o.match.n_ignore; i++)
        dd_hasher_update(h, sc->o.match.ignore[i], strlen(sc->o.match.ignore[i]) + 1);
    for (size_t i = 0; i < n_layers; i++) dd_hasher_update(h, layer_digests[i], strlen(layer_digests[i]) + 1);
    dd_digest_t hd;
    dd_hasher_final(h, &hd);
    dd_hasher_free(h);
    char stored[DD_DIGEST_MAX] = "";
    if (record_history && dd_scanstore_findings_hash(sc->o.store, rec->digest, stored, sizeof stored, NULL) == DD_OK &&
        !strcmp(stored, hd.str)) { /* a failed read only means a rewrite */
        dd_vulndb_snap_release(snap);
        rec->db_version = dbv;
        return DD_OK;
    }
    dd_findings_t f;
    dd_findings_init(&f);
    int rc = DD_OK;
    if (db) rc = dd_match_inventory(db, inv, &sc->o.match, &f, e);
    dd_vulndb_snap_release(snap);
    if (rc != DD_OK) {
        dd_findings_release(&f);
        return rc;
    }
    rec->db_version = dbv;
    rec->n_packages = (int)inv->n;
    /* not assessed (an ecosystem without data): unsupported unless findings
     * from the ecosystems that have data already make it Unhealthy */
    if (!f.assessed && inv->n > 0 && db && f.n_reported == 0) {
        rec->state = DD_SCAN_UNSUPPORTED;
        snprintf(rec->error, sizeof rec->error, "%s", f.reason ? f.reason : "no vulnerability data for this OS");
    } else {
        rec->state = DD_SCAN_DONE;
        rec->error[0] = '\0';
    }
    dd_finding_row_t *rows = dd_calloc(f.n ? f.n : 1, sizeof *rows);
    dd_buf_t *jsons = dd_calloc(f.n ? f.n : 1, sizeof *jsons);
    size_t n = 0;
    memset(rec->counts, 0, sizeof rec->counts);
    rec->n_fixable = 0;
    for (size_t i = 0; i < f.n; i++) {
        const dd_finding_t *x = &f.v[i];
        if (x->suppressed) continue;
        dd_buf_init(&jsons[n], 0);
        const char *ld = x->layer >= 0 && (size_t)x->layer < n_layers ? layer_digests[x->layer] : NULL;
        dd_finding_json(x, ld, &jsons[n]);
        rows[n] = (dd_finding_row_t){x->id,
                                     x->package ? x->package : "",
                                     x->version,
                                     x->fixed_version ? x->fixed_version : "",
                                     dd_fix_state_name(x->fix_state),
                                     (int)x->severity,
                                     x->layer,
                                     jsons[n].ptr};
        if ((int)x->severity >= 0 && (int)x->severity < DD_NSEV) rec->counts[x->severity]++;
        if (x->fixed_version) rec->n_fixable++;
        n++;
    }
    rc = dd_scanstore_findings_replace(sc->o.store, rec->digest, rows, n, hd.str, dbv, record_history, n_new,
                                       n_resolved, e);
    for (size_t i = 0; i < n; i++) dd_buf_release(&jsons[i]);
    free(jsons);
    free(rows);
    dd_findings_release(&f);
    return rc;
}

/* One image manifest through the pipeline shared with `drydock scan`:
 * dd_image_list (config) -> dd_image_analyze (layers, through the layer
 * cache) -> dd_scan_inventory -> match_and_store. The inventory lives in
 * the job's arena. */
static int scan_image(dd_scanner_t *sc, dd_image_rec_t *rec, dd_image_source_t *src, const dd_manifest_t *m,
                      dd_arena_t *job, dd_err_t *e)
{
    /* artifacts are not container images */
    const char *cmt = m->config.media_type ? m->config.media_type : "";
    if (m->artifact_type || (strcmp(cmt, DD_MT_OCI_CONFIG) != 0 && strcmp(cmt, DD_MT_DOCKER_CONFIG) != 0)) {
        rec->state = DD_SCAN_UNSUPPORTED;
        snprintf(rec->error, sizeof rec->error, "not a container image (artifact type '%s')",
                 m->artifact_type ? m->artifact_type : cmt);
        return DD_OK;
    }
    dd_image_desc_t *imgs = NULL;
    size_t n_imgs = 0;
    int rc = dd_image_list(src, &imgs, &n_imgs, e);
    if (rc != DD_OK) return rc;
    dd_image_desc_t *img = &imgs[0];
    const dd_image_config_t *cfg = &img->cfg;
    snprintf(rec->platform, sizeof rec->platform, "%s/%s%s%s", cfg->os ? cfg->os : "?",
             cfg->architecture ? cfg->architecture : "?", cfg->variant ? "/" : "", cfg->variant ? cfg->variant : "");
    rec->size = img->config.size;
    char **ldig = dd_arena_alloc(job, (img->n_layers ? img->n_layers : 1) * sizeof *ldig);
    for (size_t i = 0; i < img->n_layers; i++) {
        rec->size += img->layers[i].size;
        ldig[i] = img->layers[i].digest.str;
    }
    dd_layer_result_t *layers = NULL;
    rc = dd_image_analyze(src, img, &sc->cache, &layers, NULL, e);
    dd_inventory_t inv;
    dd_inventory_init_in(&inv, job);
    if (rc == DD_OK) {
        rc = dd_scan_inventory(layers, img->n_layers, &inv, e);
        for (size_t i = 0; i < img->n_layers; i++) dd_layer_result_release(&layers[i]);
        free(layers);
    }
    if (rc == DD_OK) {
        snprintf(rec->os, sizeof rec->os, "%s", inv.os.ecosystem ? inv.os.ecosystem : "");
        snprintf(rec->os_pretty, sizeof rec->os_pretty, "%s",
                 inv.os.pretty_name ? inv.os.pretty_name : inv.os.id ? inv.os.id : "");
        if (!inv.os.id && !inv.os.ecosystem && inv.n == 0) {
            rec->state = DD_SCAN_UNSUPPORTED;
            snprintf(rec->error, sizeof rec->error, "no OS release file or package database found");
            rec->n_packages = 0;
        } else {
            dd_buf_t enc;
            dd_buf_init(&enc, 0);
            rc = dd_inventory_encode(&inv, ldig, img->n_layers, &enc);
            if (rc != DD_OK) dd_err(e, rc, "cannot encode the inventory of %s", rec->digest);
            else rc = dd_scanstore_inventory_put(sc->o.store, rec->digest, enc.ptr, enc.len, e);
            dd_buf_release(&enc);
            if (rc == DD_OK) rc = match_and_store(sc, rec, &inv, ldig, img->n_layers, false, NULL, NULL, e);
        }
    }
    dd_inventory_release(&inv);
    dd_image_descs_free(imgs, n_imgs);
    return rc;
}

/* An index: each child gets its image row and job; the children are kept
 * as rows in index order. */
static int scan_index(dd_scanner_t *sc, dd_image_rec_t *rec, const dd_manifest_t *m, const char *repo,
                      dd_arena_t *job, dd_err_t *e)
{
    rec->is_index = true;
    const char **kids = dd_arena_alloc(job, (m->n_manifests ? m->n_manifests : 1) * sizeof *kids);
    int rc = DD_OK;
    for (size_t i = 0; rc == DD_OK && i < m->n_manifests; i++) {
        kids[i] = m->manifests[i].digest.str;
        /* make sure each platform image has a job */
        dd_image_rec_t child;
        rc = dd_scanstore_image_get(sc->o.store, m->manifests[i].digest.str, &child, e);
        if (rc == DD_ENOTFOUND)
            rc = dd_scanstore_image_pushed(sc->o.store, repo && *repo ? repo : "_", m->manifests[i].digest.str,
                                           m->manifests[i].media_type, NULL, true, NULL, e);
        else if (rc == DD_OK && repo && *repo)
            rc = dd_scanstore_image_pushed(sc->o.store, repo, m->manifests[i].digest.str,
                                           m->manifests[i].media_type, NULL, false, NULL, e);
    }
    if (rc == DD_OK) rc = dd_scanstore_children_set(sc->o.store, rec->digest, kids, m->n_manifests, e);
    pthread_mutex_lock(&sc->mu);
    pthread_cond_broadcast(&sc->work_cond);
    pthread_mutex_unlock(&sc->mu);
    if (rc == DD_OK) {
        rec->state = DD_SCAN_DONE;
        rec->error[0] = '\0';
    }
    return rc;
}

int dd_scanner_scan_digest(dd_scanner_t *sc, const char *digest, const char *repo, dd_err_t *e)
{
    dd_err_t local;
    if (!e) e = &local;
    dd_err_clear(e);
    dd_image_rec_t rec;
    int rc = dd_scanstore_image_get(sc->o.store, digest, &rec, e);
    if (rc != DD_OK) return rc;
    rec.state = DD_SCAN_ANALYZING;
    if ((rc = dd_scanstore_image_update(sc->o.store, &rec, e)) != DD_OK) return rc;

    /* the job's arena: its inventory and scratch, released at the end */
    dd_arena_t job;
    dd_arena_init(&job);
    dd_image_source_t *src = NULL;
    dd_manifest_t m;
    bool have_m = false;
    rc = dd_image_open_store(sc->o.blobs, digest, rec.media_type, NULL, &src, e);
    if (rc == DD_OK) {
        rc = dd_image_root(src, &m, e);
        have_m = rc == DD_OK;
    }
    if (rc == DD_OK && m.kind == DD_MANIFEST_INDEX) rc = scan_index(sc, &rec, &m, repo, &job, e);
    else if (rc == DD_OK) rc = scan_image(sc, &rec, src, &m, &job, e);
    if (have_m) dd_manifest_release(&m);
    dd_image_close(src);
    dd_arena_release(&job);
    rec.scanned_ms = dd_now_ms();
    if (rc != DD_OK) {
        rec.state = DD_SCAN_FAILED;
        snprintf(rec.error, sizeof rec.error, "%s", e->msg[0] ? e->msg : dd_rc_name(rc));
    }
    /* counted before the state is published: whoever sees the image done
     * sees it counted (the counters were read a moment too early under
     * load: test_shared_layers_analyzed_once) */
    pthread_mutex_lock(&sc->mu);
    if (rc == DD_OK) sc->ctr.images_scanned++;
    else sc->ctr.images_failed++;
    pthread_mutex_unlock(&sc->mu);
    dd_err_t ue;
    int urc = dd_scanstore_image_update(sc->o.store, &rec, &ue);
    if (urc != DD_OK && rc == DD_OK) {
        /* the scan's outcome is lost */
        rc = urc;
        *e = ue;
        snprintf(rec.error, sizeof rec.error, "%s", ue.msg);
        pthread_mutex_lock(&sc->mu);
        sc->ctr.images_scanned--;
        sc->ctr.images_failed++;
        pthread_mutex_unlock(&sc->mu);
    }
    if (rc != DD_OK) dd_log(DD_LOG_WARN, "scanner", "scan of %s failed: %s", digest, rec.error);
    return rc;
}

/* ---- re-assessment ----
 *
 * The walk of stored inventories (dd_scanstore_each_inventory, on the
 * calling thread) feeds a bounded queue; `workers` match threads take
 * images from it and match them in parallel, each against the database
 * snapshot it acquires (no lock is held across a match, see vulndb.h).
 * Writes go through the scan store, which serializes them itself. */

#define REMATCH_QUEUE 64

typedef struct rematch_item {
    char digest[DD_DIGEST_MAX];
    void *p;
    size_t n;
} rematch_item_t;

typedef struct rematch_ctx {
    dd_scanner_t *sc;
    dd_rematch_stats_t *st;  /* guarded by mu */
    pthread_mutex_t mu;
    pthread_cond_t cond;     /* the queue changed */
    rematch_item_t q[REMATCH_QUEUE];
    size_t head, len;
    bool end;                /* the walk is over */
} rematch_ctx_t;

/* One image, its inventory decoded into the thread's arena (reset to mark
 * afterwards: one image's memory at a time). */
static void rematch_one(rematch_ctx_t *ctx, dd_arena_t *arena, const char *digest, const void *p, size_t n)
{
    dd_scanner_t *sc = ctx->sc;
    dd_image_rec_t rec;
    dd_err_t e;
    int grc = dd_scanstore_image_get(sc->o.store, digest, &rec, &e);
    if (grc == DD_ENOTFOUND) return; /* deleted since the walk read it */
    if (grc != DD_OK) {
        dd_log(DD_LOG_WARN, "scanner", "re-assessment of %s: %s", digest, e.msg);
        pthread_mutex_lock(&ctx->mu);
        ctx->st->images++;
        ctx->st->failed++;
        pthread_mutex_unlock(&ctx->mu);
        return;
    }
    if (rec.state != DD_SCAN_DONE && rec.state != DD_SCAN_UNSUPPORTED) return;
    dd_inventory_t inv;
    char **layers = NULL;
    size_t n_layers = 0;
    size_t nn = 0, nr = 0;
    dd_arena_mark_t mark = dd_arena_mark(arena);
    dd_inventory_init_in(&inv, arena);
    bool failed = dd_inventory_decode(p, n, &inv, &layers, &n_layers, &e) != DD_OK;
    if (!failed) {
        dd_image_rec_t before = rec;
        failed = match_and_store(sc, &rec, &inv, layers, n_layers, true, &nn, &nr, &e) != DD_OK;
        if (!failed) {
            /* the summary row is rewritten only when something in it
             * changed; the database version of unchanged images is set in
             * bulk after the pass */
            before.db_version = rec.db_version;
            if (memcmp(&before, &rec, sizeof rec) != 0) {
                rec.scanned_ms = dd_now_ms();
                failed = dd_scanstore_image_update(sc->o.store, &rec, &e) != DD_OK;
            }
        }
    }
    if (failed) dd_log(DD_LOG_WARN, "scanner", "re-assessment of %s: %s", digest, e.msg);
    dd_inventory_release(&inv);
    dd_arena_reset(arena, mark);
    pthread_mutex_lock(&ctx->mu);
    ctx->st->images++;
    if (failed) {
        ctx->st->failed++;
    } else {
        ctx->st->n_new += nn;
        ctx->st->n_resolved += nr;
        if (nn || nr) ctx->st->changed++;
    }
    pthread_mutex_unlock(&ctx->mu);
}

/* The walk's callback: queues a copy of the stored inventory. */
static int rematch_enqueue(const char *digest, const void *p, size_t n, void *arg)
{
    rematch_ctx_t *ctx = arg;
    void *copy = dd_malloc(n ? n : 1);
    memcpy(copy, p, n);
    pthread_mutex_lock(&ctx->mu);
    while (ctx->len == REMATCH_QUEUE) pthread_cond_wait(&ctx->cond, &ctx->mu);
    rematch_item_t *it = &ctx->q[(ctx->head + ctx->len) % REMATCH_QUEUE];
    snprintf(it->digest, sizeof it->digest, "%s", digest);
    it->p = copy;
    it->n = n;
    ctx->len++;
    pthread_cond_broadcast(&ctx->cond);
    pthread_mutex_unlock(&ctx->mu);
    return 0;
}

static void *rematch_main(void *arg)
{
    rematch_ctx_t *ctx = arg;
    dd_arena_t arena;
    dd_arena_init(&arena);
    pthread_mutex_lock(&ctx->mu);
    for (;;) {
        while (ctx->len == 0 && !ctx->end) pthread_cond_wait(&ctx->cond, &ctx->mu);
        if (ctx->len == 0) break;
        rematch_item_t it = ctx->q[ctx->head];
        ctx->head = (ctx->head + 1) % REMATCH_QUEUE;
        ctx->len--;
        pthread_cond_broadcast(&ctx->cond);
        pthread_mutex_unlock(&ctx->mu);
        rematch_one(ctx, &arena, it.digest, it.p, it.n);
        free(it.p);
        pthread_mutex_lock(&ctx->mu);
    }
    pthread_mutex_unlock(&ctx->mu);
    dd_arena_release(&arena);
    return NULL;
}

int dd_scanner_rematch_all(dd_scanner_t *sc, dd_rematch_stats_t *st, dd_err_t *e)
{
    dd_rematch_stats_t local;
    if (!st) st = &local;
    memset(st, 0, sizeof *st);
    pthread_mutex_lock(&sc->rematch_mu);
    int64_t t0 = dd_mono_ns();
    rematch_ctx_t *ctx = dd_calloc(1, sizeof *ctx);
    ctx->sc = sc;
    ctx->st = st;
    pthread_mutex_init(&ctx->mu, NULL);
    pthread_cond_init(&ctx->cond, NULL);
    unsigned nt = sc->o.workers ? sc->o.workers : 1, started = 0;
    pthread_t *th = dd_calloc(nt, sizeof *th);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 512 * 1024);
    for (unsigned i = 0; i < nt; i++)
        if (pthread_create(&th[started], &attr, rematch_main, ctx) == 0) started++;
    pthread_attr_destroy(&attr);
    dd_err_t we;
    int rc = started ? dd_scanstore_each_inventory(sc->o.store, rematch_enqueue, ctx, &we)
                     : dd_err(&we, DD_EIO, "cannot start re-assessment threads");
    pthread_mutex_lock(&ctx->mu);
    ctx->end = true;
    pthread_cond_broadcast(&ctx->cond);
    pthread_mutex_unlock(&ctx->mu);
    for (unsigned i = 0; i < started; i++) pthread_join(th[i], NULL);
    free(th);
    pthread_cond_destroy(&ctx->cond);
    pthread_mutex_destroy(&ctx->mu);
    free(ctx);
    st->db_version = dd_vulndb_live_version(sc->live, NULL);
    if (rc == DD_OK) rc = dd_scanstore_set_db_version(sc->o.store, st->db_version, &we);
    st->seconds = (double)(dd_mono_ns() - t0) / 1e9;
    pthread_mutex_lock(&sc->mu);
    sc->ctr.rematches++;
    pthread_mutex_unlock(&sc->mu);
    /* only a whole pass is recorded: after a restart a failed one runs again */
    if (rc == DD_OK) rc = dd_scanstore_kv_set(sc->o.store, "rematched_db_version", st->db_version, &we);
    pthread_mutex_unlock(&sc->rematch_mu);
    dd_log(DD_LOG_INFO, "scanner",
           "re-assessed %zu images against database version %lld in %.3f s: %zu changed, %zu new, %zu resolved",
           st->images, (long long)st->db_version, st->seconds, st->changed, st->n_new, st->n_resolved);
    if (rc) return dd_err(e, rc, "re-assessment failed: %s", we.msg);
    return DD_OK;
}

/* ---- threads ---- */

/* Starts the newest stream a hook queued, if any (sc->mu held; dropped
 * while the stream starts). Workers and the watcher both do this, so a
 * stream starts promptly even when the workers are busy or starved at nice
 * 19 (the watcher runs at normal priority). */
static bool stream_req_run(dd_scanner_t *sc)
{
    if (sc->n_stream_q == 0) return false;
    char uuid[64];
    uint64_t size = sc->stream_q[sc->n_stream_q - 1].size;
    memcpy(uuid, sc->stream_q[sc->n_stream_q - 1].uuid, sizeof uuid);
    sc->n_stream_q--;
    sc->busy++;
    pthread_mutex_unlock(&sc->mu);
    scanner_stream_start(sc, uuid, size);
    pthread_mutex_lock(&sc->mu);
    sc->busy--;
    return true;
}

static void *worker_main(void *arg)
{
    dd_scanner_t *sc = arg;
    /* Scans yield to the registry: workers run at a lower priority than
     * the HTTP threads, so a busy scanner costs pushes little CPU. (Linux:
     * the nice value of a thread, set through its tid.) */
    if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 19) != 0)
        dd_log(DD_LOG_DEBUG, "scanner", "cannot lower the worker's priority");
    pthread_mutex_lock(&sc->mu);
    while (sc->running) {
        if (stream_req_run(sc)) continue; /* first: an upload is arriving now */
        if (sc->lq_len > 0) {
            char digest[DD_DIGEST_MAX];
            memcpy(digest, sc->layer_q[sc->lq_head], DD_DIGEST_MAX);
            sc->lq_head = (sc->lq_head + 1) % LAYER_QUEUE_MAX;
            sc->lq_len--;
            sc->busy++;
            pthread_mutex_unlock(&sc->mu);
            layer_task(sc, digest);
            pthread_mutex_lock(&sc->mu);
            sc->busy--;
            continue;
        }
        sc->busy++;
        pthread_mutex_unlock(&sc->mu);
        dd_job_t job;
        dd_err_t e;
        int rc = dd_scanstore_job_claim(sc->o.store, &job, &e);
        if (rc == DD_OK) {
            dd_err_clear(&e);
            dd_scanner_scan_digest(sc, job.digest, job.repo, &e);
            if (dd_scanstore_job_done(sc->o.store, job.id, &e) != DD_OK)
                dd_log(DD_LOG_WARN, "scanner", "job %lld of %s stays queued: %s", (long long)job.id, job.digest,
                       e.msg);
        } else if (rc != DD_ENOTFOUND) {
            dd_log(DD_LOG_WARN, "scanner", "cannot claim a scan job: %s", e.msg);
        }
        pthread_mutex_lock(&sc->mu);
        sc->busy--;
        if (rc == DD_OK) continue;
        if (!sc->running) break;
        /* idle: sleep until a hook signals work (or a second passes, for
         * jobs queued by other means, e.g. an index's children) */
        if (sc->lq_len == 0 && sc->n_stream_q == 0) scanner_timed_wait(&sc->work_cond, &sc->mu, 1000);
    }
    pthread_mutex_unlock(&sc->mu);
    return NULL;
}

static void *watcher_main(void *arg)
{
    dd_scanner_t *sc = arg;
    int64_t seen = 0;
    dd_err_t e;
    int krc = dd_scanstore_kv_get(sc->o.store, "rematched_db_version", &seen, &e);
    if (krc != DD_OK && krc != DD_ENOTFOUND) dd_log(DD_LOG_WARN, "scanner", "%s", e.msg);
    pthread_mutex_lock(&sc->mu);
    while (sc->running) {
        if (stream_req_run(sc)) continue;
        pthread_mutex_unlock(&sc->mu);
        db_refresh(sc);
        int64_t v = dd_vulndb_live_version(sc->live, NULL);
        if (v != seen) {
            if ((seen != 0 || v != 0) && dd_scanner_rematch_all(sc, NULL, &e) != DD_OK)
                dd_log(DD_LOG_WARN, "scanner", "%s", e.msg);
            seen = v;
        }
        pthread_mutex_lock(&sc->mu);
        if (!sc->running) break;
        if (sc->n_stream_q == 0) scanner_timed_wait(&sc->watch_cond, &sc->mu, sc->o.db_poll_ms);
    }
    pthread_mutex_unlock(&sc->mu);
    return NULL;
}

/* ---- reconciliation with the metadata store (after a crash) ---- */

typedef struct {
    dd_scanner_t *sc;
    const char *repo;
    bool found;
    size_t n;
    int rc;       /* a scan-store failure that stopped the walk, */
    dd_err_t e;   /* and why */
} recon_t;

static int recon_ref(const char *repo, const char *tag, void *arg)
{
    recon_t *r = arg;
    (void)tag;
    if (strcmp(repo, r->repo) != 0) return 0;
    r->found = true;
    return 1;
}

static int recon_manifest(const dd_manifest_rec_t *m, const dd_manifest_refs_t *refs, void *arg)
{
    recon_t *r = arg;
    (void)refs;
    r->repo = m->repo;
    r->found = false;
    dd_err_t e;
    if (dd_scanstore_image_repos(r->sc->o.store, m->digest.str, recon_ref, r, &e) != DD_OK) {
        r->rc = e.code;
        r->e = e;
        return 1; /* the walk stops: the store fails */
    }
    if (r->found) return 0;
    bool created = false;
    if (dd_scanstore_image_pushed(r->sc->o.store, m->repo, m->digest.str, m->media_type, NULL,
                                  dd_scanner_repo_enabled(r->sc, m->repo), &created, &e) != DD_OK) {
        dd_log(DD_LOG_WARN, "scanner", "cannot record %s@%s for scanning: %s", m->repo, m->digest.str, e.msg);
        return 0;
    }
    r->n++;
    return 0;
}

int dd_scanner_reconcile(dd_scanner_t *sc, dd_meta_t *meta, size_t *n, dd_err_t *e)
{
    recon_t r = {.sc = sc};
    int rc = dd_meta_manifests_each(meta, recon_manifest, &r);
    if (n) *n = r.n;
    if (r.rc != DD_OK) return dd_err(e, r.rc, "%s", r.e.msg);
    if (rc < 0) return dd_err(e, rc, "cannot walk the manifests of the metadata store");
    if (r.n) dd_log(DD_LOG_INFO, "scanner", "recorded %zu pushed images the scan store did not know", r.n);
    size_t nt = 0;
    if (scanner_reconcile_tags(sc, meta, &nt) != DD_OK)
        dd_log(DD_LOG_WARN, "scanner", "cannot compare the scan store's tags with the registry's");
    else if (nt)
        dd_log(DD_LOG_INFO, "scanner", "brought %zu image references in line with the registry's tags", nt);
    return DD_OK;
}

int dd_scanner_start(dd_scanner_t *sc, dd_err_t *e)
{
    size_t requeued = 0;
    int rc = dd_scanstore_jobs_requeue(sc->o.store, &requeued, e);
    if (rc != DD_OK) return rc;
    if (requeued) dd_log(DD_LOG_INFO, "scanner", "re-queued %zu scan jobs left running by a previous run", requeued);
    pthread_mutex_lock(&sc->mu);
    sc->running = true;
    pthread_mutex_unlock(&sc->mu);
    sc->threads = dd_calloc(sc->o.workers, sizeof *sc->threads);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 512 * 1024);
    for (unsigned i = 0; i < sc->o.workers; i++) {
        if (pthread_create(&sc->threads[i], &attr, worker_main, sc) != 0) {
            pthread_attr_destroy(&attr);
            dd_scanner_stop(sc);
            return dd_err(e, DD_EIO, "cannot start scan workers");
        }
        sc->n_threads++;
    }
    if (pthread_create(&sc->watcher, &attr, watcher_main, sc) == 0) sc->watcher_started = true;
    pthread_attr_destroy(&attr);
    return DD_OK;
}

void dd_scanner_stop(dd_scanner_t *sc)
{
    pthread_mutex_lock(&sc->mu);
    sc->running = false;
    pthread_cond_broadcast(&sc->work_cond);
    pthread_cond_broadcast(&sc->watch_cond);
    pthread_cond_broadcast(&sc->done_cond);
    pthread_mutex_unlock(&sc->mu);
    for (unsigned i = 0; i < sc->n_threads; i++) pthread_join(sc->threads[i], NULL);
    sc->n_threads = 0;
    free(sc->threads);
    sc->threads = NULL;
    if (sc->watcher_started) pthread_join(sc->watcher, NULL);
    sc->watcher_started = false;
    scanner_streams_drain(sc);
}

bool dd_scanner_wait_idle(dd_scanner_t *sc, int64_t timeout_ms)
{
    int64_t deadline = dd_mono_ns() + timeout_ms * 1000000LL;
    for (;;) {
        pthread_mutex_lock(&sc->mu);
        bool idle = sc->lq_len == 0 && sc->n_stream_q == 0 && sc->busy == 0;
        pthread_mutex_unlock(&sc->mu);
        int64_t pending = 0;
        if (idle && dd_scanstore_jobs_pending(sc->o.store, &pending, NULL) == DD_OK && pending == 0) return true;
        if (dd_mono_ns() > deadline) return false;
        struct timespec ts = {0, 5 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

void dd_scanner_counters(dd_scanner_t *sc, dd_scanner_counters_t *out)
{
    pthread_mutex_lock(&sc->mu);
    *out = sc->ctr;
    pthread_mutex_unlock(&sc->mu);
    out->db_version = dd_vulndb_live_version(sc->live, &out->db_updated_s);
    if (dd_scanstore_jobs_pending(sc->o.store, &out->jobs_pending, NULL) != DD_OK) out->jobs_pending = -1;
}

const char *dd_scanner_assess(dd_scanner_t *sc, const dd_image_rec_t *img, char *reason, size_t reasonsz)
{
    reason[0] = '\0';
    switch (img->state) {
    case DD_SCAN_QUEUED:
    case DD_SCAN_ANALYZING:
        snprintf(reason, reasonsz, "scan %s", dd_scan_state_name(img->state));
        return "NotAssessed";
    case DD_SCAN_FAILED:
        snprintf(reason, reasonsz, "scan failed: %s", img->error);
        return "NotAssessed";
    case DD_SCAN_UNSUPPORTED:
        snprintf(reason, reasonsz, "unsupported: %s", img->error);
        return "NotAssessed";
    case DD_SCAN_DONE:
        break;
    }
    if (img->is_index) return "Healthy"; /* the API aggregates children */
    db_refresh(sc);
    int64_t upd = 0;
    int64_t v = dd_vulndb_live_version(sc->live, &upd);
    if (v == 0 || img->db_version == 0) {
        snprintf(reason, reasonsz, "not assessed: no vulnerability data");
        return "NotAssessed";
    }
    int64_t age = upd ? dd_now_ms() / 1000 - upd : 0;
    if (sc->o.stale_after_s > 0 && age > sc->o.stale_after_s) {
        snprintf(reason, reasonsz, "stale data, %lld days old", (long long)(age / 86400));
        return "NotAssessed";
    }
    int total = 0;
    for (int i = 0; i < DD_NSEV; i++) total += img->counts[i];
    return total ? "Unhealthy" : "Healthy";
}
