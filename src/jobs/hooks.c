/*
 * hooks.c: the scanner's registry hooks (registry.h), called on HTTP
 * threads: each records work (a layer-queue entry, a durable job row or an
 * unref in the scan store, a stream request) and signals the workers. No
 * blob is opened or read here and no thread is started; the upload hooks
 * live with the streams they feed (stream.c). Also the repository filter
 * (scan on push, include / exclude globs).
 */
#include <fnmatch.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "scanner_int.h"

/* ---- repository patterns ---- */

static bool glob_list_match(const char *list, const char *repo)
{
    if (!list || !*list) return false;
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", list);
    char *save = NULL;
    for (char *g = strtok_r(buf, ", ", &save); g; g = strtok_r(NULL, ", ", &save))
        if (fnmatch(g, repo, 0) == 0) return true;
    return false;
}

bool dd_scanner_repo_enabled(dd_scanner_t *sc, const char *repo)
{
    if (!sc->o.enabled) return false;
    if (sc->exclude && glob_list_match(sc->exclude, repo)) return false;
    if (sc->include && *sc->include) return glob_list_match(sc->include, repo);
    return true;
}

/* ---- hooks (HTTP threads: quick) ---- */

static void hook_blob(void *ctx, const char *repo, const char *digest, uint64_t size)
{
    dd_scanner_t *sc = ctx;
    (void)size;
    if (!sc->o.eager_layers || !dd_scanner_repo_enabled(sc, repo)) return;
    pthread_mutex_lock(&sc->mu);
    if (sc->lq_len < LAYER_QUEUE_MAX) {
        size_t at = (sc->lq_head + sc->lq_len) % LAYER_QUEUE_MAX;
        snprintf(sc->layer_q[at], DD_DIGEST_MAX, "%s", digest);
        sc->lq_len++;
        pthread_cond_signal(&sc->work_cond);
    }
    pthread_mutex_unlock(&sc->mu);
}

static void hook_manifest_put(void *ctx, const char *repo, const char *digest, const char *media_type,
                              const char *tag)
{
    dd_scanner_t *sc = ctx;
    bool created = false;
    dd_err_t e;
    bool on = dd_scanner_repo_enabled(sc, repo);
    if (dd_scanstore_image_pushed(sc->o.store, repo, digest, media_type, tag, on, &created, &e) != DD_OK) {
        dd_log(DD_LOG_ERROR, "scanner", "cannot record push of %s@%s: %s", repo, digest, e.msg);
        return;
    }
    if (created && on) {
        pthread_mutex_lock(&sc->mu);
        pthread_cond_signal(&sc->work_cond);
        pthread_mutex_unlock(&sc->mu);
    }
}

static void hook_manifest_deleted(void *ctx, const char *repo, const char *digest)
{
    dd_scanner_t *sc = ctx;
    dd_err_t e;
    if (dd_scanstore_image_unref(sc->o.store, repo, digest, &e) != DD_OK)
        dd_log(DD_LOG_ERROR, "scanner", "cannot forget %s@%s: %s", repo, digest, e.msg);
}

void dd_scanner_registry_hooks(dd_scanner_t *sc, dd_registry_hooks_t *out)
{
    memset(out, 0, sizeof *out);
    out->ctx = sc;
    out->on_blob_committed = hook_blob;
    out->on_manifest_put = hook_manifest_put;
    out->on_manifest_deleted = hook_manifest_deleted;
    out->on_upload_progress = scanner_hook_upload_progress;
    out->on_upload_end = scanner_hook_upload_end;
}
