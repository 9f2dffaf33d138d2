/*
 * scanstore_int.h: the scan store's driver vtable, shared by the dispatching
 * wrappers (src/jobs/scanstore_api.c) and the drivers: SQLite
 * (src/jobs/scanstore.c) now, PostgreSQL with the scale-out work.
 *
 * A driver's store embeds dd_scanstore_t first; each operation has the
 * contract of the dd_scanstore_* function of the same name in
 * dd/scanstore.h, which only calls through s->ops.
 */
#ifndef DD_SCANSTORE_INT_H
#define DD_SCANSTORE_INT_H

#include "dd/scanstore.h"

typedef struct dd_scanstore_ops {
    const char *name; /* driver name ("sqlite") */
    int (*open)(const char *dsn, dd_scanstore_t **out, dd_err_t *e);
    void (*close)(dd_scanstore_t *s);
    int (*layer_get)(dd_scanstore_t *s, const char *digest, int version, dd_buf_t *out, char *why, size_t whysz,
        int *status, dd_err_t *e);
    int (*layer_put)(dd_scanstore_t *s, const char *digest, int version, int status, const void *result, size_t n,
        const char *error, dd_err_t *e);
    int (*layer_count)(dd_scanstore_t *s, int64_t *n, dd_err_t *e);
    int (*image_pushed)(dd_scanstore_t *s, const char *repo, const char *digest, const char *media_type,
        const char *tag, bool enqueue, bool *created, dd_err_t *e);
    int (*image_unref)(dd_scanstore_t *s, const char *repo, const char *digest, dd_err_t *e);
    int (*tag_removed)(dd_scanstore_t *s, const char *repo, const char *tag, dd_err_t *e);
    int (*image_get)(dd_scanstore_t *s, const char *digest, dd_image_rec_t *out, dd_err_t *e);
    int (*image_update)(dd_scanstore_t *s, const dd_image_rec_t *rec, dd_err_t *e);
    int (*images)(dd_scanstore_t *s, const char *repo, const char *after, size_t limit,
        int (*fn)(const dd_image_rec_t *r, void *arg), void *arg, dd_err_t *e);
    int (*children_set)(dd_scanstore_t *s, const char *digest, const char *const *children, size_t n, dd_err_t *e);
    int (*children)(dd_scanstore_t *s, const char *digest, dd_image_child_t **out, size_t *n, dd_err_t *e);
    int (*image_repos)(dd_scanstore_t *s, const char *digest, int (*fn)(const char *repo, const char *tag, void *arg),
        void *arg, dd_err_t *e);
    int (*refs)(dd_scanstore_t *s, const char *repo, int (*fn)(const char *repo, const char *digest, const char *tag,
        void *arg), void *arg, dd_err_t *e);
    int (*inventory_put)(dd_scanstore_t *s, const char *digest, const void *p, size_t n, dd_err_t *e);
    int (*inventory_get)(dd_scanstore_t *s, const char *digest, dd_buf_t *out, dd_err_t *e);
    int (*each_inventory)(dd_scanstore_t *s, int (*fn)(const char *digest, const void *p, size_t n, void *arg),
        void *arg, dd_err_t *e);
    int (*findings_replace)(dd_scanstore_t *s, const char *digest, const dd_finding_row_t *rows, size_t n,
        const char *hash, int64_t db_version, bool record_history, size_t *n_new, size_t *n_resolved, dd_err_t *e);
    int (*findings_hash)(dd_scanstore_t *s, const char *digest, char *out, size_t outsz, dd_err_t *e);
    int (*set_db_version)(dd_scanstore_t *s, int64_t db_version, dd_err_t *e);
    int (*findings)(dd_scanstore_t *s, const char *digest, const dd_findings_filter_t *f,
        int (*fn)(const dd_finding_row_t *r, void *arg), void *arg, size_t *total, dd_err_t *e);
    int (*images_with_vuln)(dd_scanstore_t *s, const char *vuln_id, int (*fn)(const char *digest,
        const dd_finding_row_t *r, void *arg), void *arg, dd_err_t *e);
    int (*history)(dd_scanstore_t *s, const char *image, int64_t since_ms, size_t limit,
        int (*fn)(const dd_history_row_t *r, void *arg), void *arg, dd_err_t *e);
    int (*job_add)(dd_scanstore_t *s, const char *digest, const char *repo, dd_err_t *e);
    int (*job_claim)(dd_scanstore_t *s, dd_job_t *out, dd_err_t *e);
    int (*job_done)(dd_scanstore_t *s, int64_t id, dd_err_t *e);
    int (*jobs_requeue)(dd_scanstore_t *s, size_t *n, dd_err_t *e);
    int (*jobs_pending)(dd_scanstore_t *s, int64_t *n, dd_err_t *e);
    int (*kv_get)(dd_scanstore_t *s, const char *key, int64_t *out, dd_err_t *e);
    int (*kv_set)(dd_scanstore_t *s, const char *key, int64_t v, dd_err_t *e);
} dd_scanstore_ops_t;

struct dd_scanstore {
    const dd_scanstore_ops_t *ops;
};

extern const dd_scanstore_ops_t dd_scanstore_sqlite_ops;

#endif
