/*
 * meta.c: the metadata-store driver table, the dd_meta_* wrappers the rest
 * of Drydock calls, and dd_manifest_rec_release().
 *
 * The wrappers only dispatch through m->ops; a call site never sees SQL.
 * Drivers register in the sorted table below, by name.
 */
#include "meta/meta_int.h"

#include <stdlib.h>
#include <string.h>

/* ---- driver table (sorted by name) ------------------------------------------ */

static const dd_meta_ops_t *const drivers[] = {
    &dd_meta_sqlite_ops, /* "sqlite": dsn is a database file path */
};

int dd_meta_open(const char *driver, const char *dsn, dd_meta_t **out, dd_err_t *e)
{
    *out = NULL;
    for (size_t i = 0; i < sizeof drivers / sizeof drivers[0]; i++) {
        if (strcmp(drivers[i]->name, driver) == 0) return drivers[i]->open(dsn, out, e);
    }
    return dd_err(e, DD_EUNSUPPORTED, "unknown metadata driver '%s'", driver);
}

void dd_meta_close(dd_meta_t *m)
{
    if (m) m->ops->close(m);
}

void dd_manifest_rec_release(dd_manifest_rec_t *m)
{
    if (!m) return;
    free(m->annotations_json);
    m->annotations_json = NULL;
}

int dd_meta_blob_link(dd_meta_t *m, const char *repo, const dd_digest_t *d, uint64_t size, dd_err_t *e)
{
    return m->ops->blob_link(m, repo, d, size, e);
}

int dd_meta_blob_linked(dd_meta_t *m, const char *repo, const dd_digest_t *d, uint64_t *size)
{
    uint64_t dummy;
    return m->ops->blob_linked(m, repo, d, size ? size : &dummy);
}

int dd_meta_blob_unlink(dd_meta_t *m, const char *repo, const dd_digest_t *d, dd_err_t *e)
{
    return m->ops->blob_unlink(m, repo, d, e);
}

int dd_meta_blob_refs(dd_meta_t *m, const dd_digest_t *d, uint64_t *count)
{
    return m->ops->blob_refs(m, d, count);
}

int dd_meta_blob_repos(dd_meta_t *m, const dd_digest_t *d, int (*fn)(const char *repo, void *arg), void *arg)
{
    if (m->ops->version < 3 || !m->ops->blob_repos) return DD_EUNSUPPORTED;
    return m->ops->blob_repos(m, d, fn, arg);
}

int dd_meta_manifest_put(dd_meta_t *m, const dd_manifest_rec_t *rec, const dd_manifest_refs_t *refs,
                         const char *tag, dd_err_t *e)
{
    return m->ops->manifest_put(m, rec, refs, tag, e);
}

int dd_meta_manifest_get(dd_meta_t *m, const char *repo, const char *reference, dd_manifest_rec_t *out)
{
    return m->ops->manifest_get(m, repo, reference, out);
}

int dd_meta_manifest_delete(dd_meta_t *m, const char *repo, const dd_digest_t *d, dd_err_t *e)
{
    return m->ops->manifest_delete(m, repo, d, e);
}

int dd_meta_tag_delete(dd_meta_t *m, const char *repo, const char *tag, dd_err_t *e)
{
    return m->ops->tag_delete(m, repo, tag, e);
}

int dd_meta_tags_list(dd_meta_t *m, const char *repo, const char *last, size_t n,
                      int (*fn)(const char *tag, void *arg), void *arg)
{
    return m->ops->tags_list(m, repo, last, n, fn, arg);
}

int dd_meta_catalog(dd_meta_t *m, const char *last, size_t n, int (*fn)(const char *repo, void *arg), void *arg)
{
    return m->ops->catalog(m, last, n, fn, arg);
}

int dd_meta_repo_exists(dd_meta_t *m, const char *repo)
{
    return m->ops->repo_exists(m, repo);
}

int dd_meta_referrers(dd_meta_t *m, const char *repo, const dd_digest_t *subject, const char *artifact_type,
                      int (*fn)(const dd_referrer_t *r, void *arg), void *arg)
{
    return m->ops->referrers(m, repo, subject, artifact_type, fn, arg);
}

int dd_meta_upload_put(dd_meta_t *m, const dd_upload_rec_t *u, dd_err_t *e)
{
    return m->ops->upload_put(m, u, e);
}

int dd_meta_upload_get(dd_meta_t *m, const char *uuid, dd_upload_rec_t *out)
{
    return m->ops->upload_get(m, uuid, out);
}

int dd_meta_upload_delete(dd_meta_t *m, const char *uuid)
{
    return m->ops->upload_delete(m, uuid);
}

int dd_meta_uploads_stale(dd_meta_t *m, int64_t before_ms, int (*fn)(const dd_upload_rec_t *u, void *arg),
                          void *arg)
{
    return m->ops->uploads_stale(m, before_ms, fn, arg);
}

int dd_meta_manifests_each(dd_meta_t *m,
                           int (*fn)(const dd_manifest_rec_t *rec, const dd_manifest_refs_t *refs, void *arg),
                           void *arg)
{
    return m->ops->manifests_each(m, fn, arg);
}

int dd_meta_links_each(dd_meta_t *m, int (*fn)(const char *repo, const dd_digest_t *d, uint64_t size, void *arg),
                       void *arg)
{
    return m->ops->links_each(m, fn, arg);
}

/* ---- users and tokens (ops version 2, issue 6) ------------------------------ */

#define NEED_V2(m, e)                                                                    \
    do {                                                                                 \
        if ((m)->ops->version < 2 || !(m)->ops->auth_generation)                          \
            return dd_err(e, DD_EUNSUPPORTED, "metadata driver '%s' has no users or tokens", \
                          (m)->ops->name);                                               \
    } while (0)

int dd_meta_user_put(dd_meta_t *m, const dd_user_rec_t *u, bool create, dd_err_t *e)
{
    NEED_V2(m, e);
    return m->ops->user_put(m, u, create, e);
}

int dd_meta_user_get(dd_meta_t *m, const char *name, dd_user_rec_t *out)
{
    NEED_V2(m, NULL);
    return m->ops->user_get(m, name, out);
}

int dd_meta_user_delete(dd_meta_t *m, const char *name, dd_err_t *e)
{
    NEED_V2(m, e);
    return m->ops->user_delete(m, name, e);
}

int dd_meta_users_each(dd_meta_t *m, int (*fn)(const dd_user_rec_t *u, void *arg), void *arg)
{
    NEED_V2(m, NULL);
    return m->ops->users_each(m, fn, arg);
}

int dd_meta_token_put(dd_meta_t *m, const dd_token_rec_t *t, dd_err_t *e)
{
    NEED_V2(m, e);
    return m->ops->token_put(m, t, e);
}

int dd_meta_token_revoke(dd_meta_t *m, const char *id, int64_t now_ms, dd_err_t *e)
{
    NEED_V2(m, e);
    return m->ops->token_revoke(m, id, now_ms, e);
}

int dd_meta_tokens_each(dd_meta_t *m, int (*fn)(const dd_token_rec_t *t, void *arg), void *arg)
{
    NEED_V2(m, NULL);
    return m->ops->tokens_each(m, fn, arg);
}

int dd_meta_auth_generation(dd_meta_t *m, uint64_t *gen)
{
    NEED_V2(m, NULL);
    return m->ops->auth_generation(m, gen);
}
