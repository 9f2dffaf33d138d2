/*
 * scanstore_api.c: the dd_scanstore_* calls the rest of Drydock makes
 * (dd/scanstore.h), dispatched through the store's driver vtable
 * (scanstore_int.h), and the scan-state names. No SQL here.
 */
#include "jobs/scanstore_int.h"

#include <string.h>

const char *dd_scan_state_name(dd_scan_state_t s)
{
    switch (s) {
    case DD_SCAN_QUEUED: return "queued";
    case DD_SCAN_ANALYZING: return "analyzing";
    case DD_SCAN_DONE: return "done";
    case DD_SCAN_FAILED: return "failed";
    case DD_SCAN_UNSUPPORTED: return "unsupported";
    }
    return "unknown";
}

int dd_scan_state_parse(const char *s, dd_scan_state_t *out)
{
    for (int i = 0; i <= DD_SCAN_UNSUPPORTED; i++)
        if (strcmp(s, dd_scan_state_name((dd_scan_state_t)i)) == 0) {
            *out = (dd_scan_state_t)i;
            return DD_OK;
        }
    return DD_EINVAL;
}

int dd_scanstore_open(const char *path, dd_scanstore_t **out, dd_err_t *e)
{
    return dd_scanstore_sqlite_ops.open(path, out, e);
}

void dd_scanstore_close(dd_scanstore_t *s)
{
    if (s) s->ops->close(s);
}

int dd_scanstore_layer_get(dd_scanstore_t *s, const char *digest, int version, dd_buf_t *out, char *why, size_t whysz,
                           int *status, dd_err_t *e)
{
    return s->ops->layer_get(s, digest, version, out, why, whysz, status, e);
}

int dd_scanstore_layer_put(dd_scanstore_t *s, const char *digest, int version, int status, const void *result,
                           size_t n, const char *error, dd_err_t *e)
{
    return s->ops->layer_put(s, digest, version, status, result, n, error, e);
}

int dd_scanstore_layer_count(dd_scanstore_t *s, int64_t *n, dd_err_t *e)
{
    return s->ops->layer_count(s, n, e);
}

int dd_scanstore_image_pushed(dd_scanstore_t *s, const char *repo, const char *digest, const char *media_type,
                              const char *tag, bool enqueue, bool *created, dd_err_t *e)
{
    return s->ops->image_pushed(s, repo, digest, media_type, tag, enqueue, created, e);
}

int dd_scanstore_image_unref(dd_scanstore_t *s, const char *repo, const char *digest, dd_err_t *e)
{
    return s->ops->image_unref(s, repo, digest, e);
}

int dd_scanstore_tag_removed(dd_scanstore_t *s, const char *repo, const char *tag, dd_err_t *e)
{
    return s->ops->tag_removed(s, repo, tag, e);
}

int dd_scanstore_image_get(dd_scanstore_t *s, const char *digest, dd_image_rec_t *out, dd_err_t *e)
{
    return s->ops->image_get(s, digest, out, e);
}

int dd_scanstore_image_update(dd_scanstore_t *s, const dd_image_rec_t *rec, dd_err_t *e)
{
    return s->ops->image_update(s, rec, e);
}

int dd_scanstore_images(dd_scanstore_t *s, const char *repo, const char *after, size_t limit,
                        int (*fn)(const dd_image_rec_t *r, void *arg), void *arg, dd_err_t *e)
{
    return s->ops->images(s, repo, after, limit, fn, arg, e);
}

int dd_scanstore_children_set(dd_scanstore_t *s, const char *digest, const char *const *children, size_t n,
                              dd_err_t *e)
{
    return s->ops->children_set(s, digest, children, n, e);
}

int dd_scanstore_children(dd_scanstore_t *s, const char *digest, dd_image_child_t **out, size_t *n, dd_err_t *e)
{
    return s->ops->children(s, digest, out, n, e);
}

int dd_scanstore_image_repos(dd_scanstore_t *s, const char *digest, int (*fn)(const char *repo, const char *tag,
                             void *arg), void *arg, dd_err_t *e)
{
    return s->ops->image_repos(s, digest, fn, arg, e);
}

int dd_scanstore_refs(dd_scanstore_t *s, const char *repo, int (*fn)(const char *repo, const char *digest,
                      const char *tag, void *arg), void *arg, dd_err_t *e)
{
    return s->ops->refs(s, repo, fn, arg, e);
}

int dd_scanstore_inventory_put(dd_scanstore_t *s, const char *digest, const void *p, size_t n, dd_err_t *e)
{
    return s->ops->inventory_put(s, digest, p, n, e);
}

int dd_scanstore_inventory_get(dd_scanstore_t *s, const char *digest, dd_buf_t *out, dd_err_t *e)
{
    return s->ops->inventory_get(s, digest, out, e);
}

int dd_scanstore_each_inventory(dd_scanstore_t *s, int (*fn)(const char *digest, const void *p, size_t n, void *arg),
                                void *arg, dd_err_t *e)
{
    return s->ops->each_inventory(s, fn, arg, e);
}

int dd_scanstore_findings_replace(dd_scanstore_t *s, const char *digest, const dd_finding_row_t *rows, size_t n,
                                  const char *hash, int64_t db_version, bool record_history, size_t *n_new,
                                  size_t *n_resolved, dd_err_t *e)
{
    return s->ops->findings_replace(s, digest, rows, n, hash, db_version, record_history, n_new, n_resolved, e);
}

int dd_scanstore_findings_hash(dd_scanstore_t *s, const char *digest, char *out, size_t outsz, dd_err_t *e)
{
    return s->ops->findings_hash(s, digest, out, outsz, e);
}

int dd_scanstore_set_db_version(dd_scanstore_t *s, int64_t db_version, dd_err_t *e)
{
    return s->ops->set_db_version(s, db_version, e);
}

int dd_scanstore_findings(dd_scanstore_t *s, const char *digest, const dd_findings_filter_t *f,
                          int (*fn)(const dd_finding_row_t *r, void *arg), void *arg, size_t *total, dd_err_t *e)
{
    return s->ops->findings(s, digest, f, fn, arg, total, e);
}

int dd_scanstore_images_with_vuln(dd_scanstore_t *s, const char *vuln_id, int (*fn)(const char *digest,
                                  const dd_finding_row_t *r, void *arg), void *arg, dd_err_t *e)
{
    return s->ops->images_with_vuln(s, vuln_id, fn, arg, e);
}

int dd_scanstore_history(dd_scanstore_t *s, const char *image, int64_t since_ms, size_t limit,
                         int (*fn)(const dd_history_row_t *r, void *arg), void *arg, dd_err_t *e)
{
    return s->ops->history(s, image, since_ms, limit, fn, arg, e);
}

int dd_scanstore_job_add(dd_scanstore_t *s, const char *digest, const char *repo, dd_err_t *e)
{
    return s->ops->job_add(s, digest, repo, e);
}

int dd_scanstore_job_claim(dd_scanstore_t *s, dd_job_t *out, dd_err_t *e)
{
    return s->ops->job_claim(s, out, e);
}

int dd_scanstore_job_done(dd_scanstore_t *s, int64_t id, dd_err_t *e)
{
    return s->ops->job_done(s, id, e);
}

int dd_scanstore_jobs_requeue(dd_scanstore_t *s, size_t *n, dd_err_t *e)
{
    return s->ops->jobs_requeue(s, n, e);
}

int dd_scanstore_jobs_pending(dd_scanstore_t *s, int64_t *n, dd_err_t *e)
{
    return s->ops->jobs_pending(s, n, e);
}

int dd_scanstore_kv_get(dd_scanstore_t *s, const char *key, int64_t *out, dd_err_t *e)
{
    return s->ops->kv_get(s, key, out, e);
}

int dd_scanstore_kv_set(dd_scanstore_t *s, const char *key, int64_t v, dd_err_t *e)
{
    return s->ops->kv_set(s, key, v, e);
}
