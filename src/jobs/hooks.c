/*
 * hooks.c: the scanner's registry hooks (registry.h), called on HTTP
 * threads: each records work (a layer-queue entry, a durable job row, an
 * unref or a tag removal in the scan store, a stream request) and signals
 * the workers. No blob is opened or read here and no thread is started; the upload hooks
 * live with the streams they feed (stream.c). Also the repository filter
 * (scan on push, include / exclude globs), and the start-up pass that
 * brings the scan store's tags back in line with the registry's
 * (scanner_reconcile_tags).
 */
#include <fnmatch.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dd/meta.h"

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

/* A deleted tag leaves the scan side too (issue 15): its reference goes, the
 * image stays listed untagged (its manifest is still in the repository). */
static void hook_tag_deleted(void *ctx, const char *repo, const char *tag)
{
    dd_scanner_t *sc = ctx;
    dd_err_t e;
    if (dd_scanstore_tag_removed(sc->o.store, repo, tag, &e) != DD_OK)
        dd_log(DD_LOG_ERROR, "scanner", "cannot record the deletion of tag %s:%s: %s", repo, tag, e.msg);
}

void dd_scanner_registry_hooks(dd_scanner_t *sc, dd_registry_hooks_t *out)
{
    memset(out, 0, sizeof *out);
    out->ctx = sc;
    out->on_blob_committed = hook_blob;
    out->on_manifest_put = hook_manifest_put;
    out->on_manifest_deleted = hook_manifest_deleted;
    out->on_tag_deleted = hook_tag_deleted;
    out->on_upload_progress = scanner_hook_upload_progress;
    out->on_upload_end = scanner_hook_upload_end;
}

/* ---- tags at start-up (issue 15) ----
 *
 * A hook runs after the metadata store's commit, so a crash between the two
 * (or a scan store written by an older version, which kept deleted tags)
 * can leave the scan store's references behind the registry. Two passes:
 * every reference of the scan store is checked against the metadata store
 * (a tag gone or moved, a manifest gone), then every tag of the metadata
 * store is recorded where the scan store lacks it. */

typedef struct {
    dd_scanner_t *sc;
    dd_meta_t *meta;
    size_t fixed;
} tagfix_t;

/* Records, as a push by tag does, that repo's tag names digest. */
static void tag_record(tagfix_t *t, const char *repo, const dd_manifest_rec_t *m, const char *tag)
{
    dd_err_t e;
    if (dd_scanstore_image_pushed(t->sc->o.store, repo, m->digest.str, m->media_type, tag,
                                  dd_scanner_repo_enabled(t->sc, repo), NULL, &e) == DD_OK)
        t->fixed++;
    else
        dd_log(DD_LOG_WARN, "scanner", "cannot record tag %s:%s: %s", repo, tag, e.msg);
}

static int check_ref(const char *repo, const char *digest, const char *tag, void *arg)
{
    tagfix_t *t = arg;
    if (!dd_repo_name_valid(repo)) return 0; /* "_": children recorded without a repository */
    dd_manifest_rec_t m;
    memset(&m, 0, sizeof m);
    int rc = dd_meta_manifest_get(t->meta, repo, tag ? tag : digest, &m);
    if (rc == DD_ENOTFOUND) {
        dd_err_t e;
        rc = tag ? dd_scanstore_tag_removed(t->sc->o.store, repo, tag, &e)
                 : dd_scanstore_image_unref(t->sc->o.store, repo, digest, &e);
        if (rc == DD_OK) t->fixed++;
        else dd_log(DD_LOG_WARN, "scanner", "cannot forget %s %s: %s", repo, tag ? tag : digest, e.msg);
    } else if (rc == DD_OK && tag && strcmp(m.digest.str, digest) != 0) {
        tag_record(t, repo, &m, tag);
    }
    dd_manifest_rec_release(&m);
    return 0;
}

typedef struct {
    char **v;
    size_t n, cap;
} strlist_t;

static int strlist_add(const char *s, void *arg)
{
    strlist_t *l = arg;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->v = dd_realloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = dd_strdup(s);
    return 0;
}

static void strlist_free(strlist_t *l)
{
    for (size_t i = 0; i < l->n; i++) free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

typedef struct {
    const char *repo, *tag;
    bool found;
} has_tag_t;

static int has_tag_cb(const char *repo, const char *tag, void *arg)
{
    has_tag_t *h = arg;
    if (tag && !strcmp(repo, h->repo) && !strcmp(tag, h->tag)) {
        h->found = true;
        return 1;
    }
    return 0;
}

int scanner_reconcile_tags(dd_scanner_t *sc, dd_meta_t *meta, size_t *n)
{
    tagfix_t t = {sc, meta, 0};
    int rc = dd_scanstore_refs(sc->o.store, NULL, check_ref, &t, NULL); /* the caller logs a failure */
    strlist_t repos = {0};
    if (rc == DD_OK) rc = dd_meta_catalog(meta, NULL, 0, strlist_add, &repos);
    for (size_t i = 0; rc == DD_OK && i < repos.n; i++) {
        strlist_t tags = {0};
        if (dd_meta_tags_list(meta, repos.v[i], NULL, 0, strlist_add, &tags) == DD_OK) {
            for (size_t k = 0; k < tags.n; k++) {
                dd_manifest_rec_t m;
                memset(&m, 0, sizeof m);
                if (dd_meta_manifest_get(meta, repos.v[i], tags.v[k], &m) == DD_OK) {
                    has_tag_t h = {repos.v[i], tags.v[k], false};
                    dd_scanstore_image_repos(sc->o.store, m.digest.str, has_tag_cb, &h, NULL); /* else recorded again */
                    if (!h.found) tag_record(&t, repos.v[i], &m, tags.v[k]);
                }
                dd_manifest_rec_release(&m);
            }
        }
        strlist_free(&tags);
    }
    strlist_free(&repos);
    if (n) *n = t.fixed;
    return rc;
}
