/*
 * registry.h: the OCI Distribution v1.1 API (the /v2/ endpoints) on top of
 * the blob store (blobstore.h) and the metadata store (meta.h), served
 * through the HTTP front (http.h).
 *
 *     dd_registry_t *reg;
 *     dd_registry_new(&opts, &reg, &e);        // borrows opts.blobs / opts.meta
 *     dd_registry_set_hooks(reg, &hooks);      // optional (scanner)
 *     dd_registry_register(reg, srv);          // route table + /v2/ error format
 *     dd_registry_start_janitor(reg);          // expires stale uploads
 *     ...
 *     dd_registry_free(reg);                   // stops the janitor
 *
 * Repository names and tags follow the distribution-spec grammar of the
 * core reference module (reference.h, included here).
 */
#ifndef DD_REGISTRY_H
#define DD_REGISTRY_H

#include "dd/blobstore.h"
#include "dd/core.h"
#include "dd/digest.h"
#include "dd/http.h"
#include "dd/meta.h"
#include "dd/reference.h"

typedef struct dd_registry dd_registry_t;

typedef struct dd_registry_opts {
    dd_blobstore_t *blobs;       /* borrowed */
    dd_meta_t *meta;             /* borrowed */
    size_t manifest_max;         /* bytes; default 4 MiB */
    int64_t upload_max_age_ms;   /* idle upload sessions expire after this; default 24 h */
    int64_t janitor_interval_ms; /* how often the janitor runs; default 5 min */
    size_t list_max;             /* cap on n for tags list / catalog; default 10000 */
    bool delete_disabled;        /* DELETE of manifests, tags, blobs: 405 UNSUPPORTED (the spec's "disabled") */
    const char *immutable_tags;  /* borrowed; "[REPOGLOB:]TAGGLOB,...": tags that never move (NULL = none) */
} dd_registry_opts_t;

/* Event hooks for the scanner. Called on the HTTP thread after the store has
 * committed; they must be quick (queue work, don't do it). ctx is hooks.ctx.
 * Strings are borrowed for the duration of the call. Any slot may be NULL. */
typedef struct dd_registry_hooks {
    void *ctx;
    void (*on_blob_committed)(void *ctx, const char *repo, const char *digest, uint64_t size);
    /* tag is NULL for a push by digest; called once per tag a PUT sets */
    void (*on_manifest_put)(void *ctx, const char *repo, const char *digest, const char *media_type,
                            const char *tag);
    void (*on_manifest_deleted)(void *ctx, const char *repo, const char *digest);
    /* An upload session's bytes grew to size (called when a request body's
     * writes carry the size past a multiple of 256 KiB; must be cheap). */
    void (*on_upload_progress)(void *ctx, const char *repo, const char *uuid, uint64_t size);
    /* The session ended: committed as digest, or dropped (digest NULL).
     * Called before on_blob_committed. */
    void (*on_upload_end)(void *ctx, const char *uuid, const char *digest);
    /* A tag was deleted (DELETE /v2/<repo>/manifests/<tag>); the manifest it
     * named stays in the repository, reachable by digest. A tag moved to
     * another manifest is an on_manifest_put with that tag instead. */
    void (*on_tag_deleted)(void *ctx, const char *repo, const char *tag);
} dd_registry_hooks_t;

int dd_registry_new(const dd_registry_opts_t *opts, dd_registry_t **out, dd_err_t *e);
void dd_registry_free(dd_registry_t *reg);
/* Copies *h (NULL clears). Set before serving. */
void dd_registry_set_hooks(dd_registry_t *reg, const dd_registry_hooks_t *h);
/* Registers the /v2/ route table and the registry error format for /v2/. */
void dd_registry_register(dd_registry_t *reg, dd_http_server_t *srv);
/* Starts the background thread that expires stale upload sessions. */
int dd_registry_start_janitor(dd_registry_t *reg, dd_err_t *e);
/* One expiry pass (what the janitor runs); reports sessions dropped. */
int dd_registry_expire_uploads(dd_registry_t *reg, size_t *n_expired);

/* ---- errors: the one table mapping registry errors to status and code ---- */
typedef enum {
    DD_REGERR_BLOB_UNKNOWN,
    DD_REGERR_BLOB_UPLOAD_INVALID,
    DD_REGERR_BLOB_UPLOAD_UNKNOWN,
    DD_REGERR_DIGEST_INVALID,
    DD_REGERR_MANIFEST_BLOB_UNKNOWN,
    DD_REGERR_MANIFEST_INVALID,
    DD_REGERR_MANIFEST_UNKNOWN,
    DD_REGERR_NAME_INVALID,
    DD_REGERR_NAME_UNKNOWN,
    DD_REGERR_SIZE_INVALID,
    DD_REGERR_UNAUTHORIZED,
    DD_REGERR_DENIED,
    DD_REGERR_UNSUPPORTED,
    DD_REGERR_TOOMANYREQUESTS,
    DD_REGERR_RANGE_INVALID,      /* 416, code BLOB_UPLOAD_INVALID */
    DD_REGERR_TOO_LARGE,          /* 413, code SIZE_INVALID */
    DD_REGERR_METHOD,             /* 405, code UNSUPPORTED */
    DD_REGERR_PAGINATION,         /* 400, code UNSUPPORTED (the spec table has no pagination code) */
    DD_REGERR_MANIFEST_CHILD_UNKNOWN, /* 400, code MANIFEST_UNKNOWN (index child missing) */
    DD_REGERR_INTERNAL,           /* 500, code UNKNOWN */
    DD_REGERR_UNAVAILABLE,        /* 503, code UNAVAILABLE (busy) */
    DD_REGERR__COUNT
} dd_regerr_t;

/* Status and spec code of err. */
int dd_regerr_status(dd_regerr_t err);
const char *dd_regerr_code(dd_regerr_t err);
/* Answers with the spec error body {"errors":[{"code","message","detail"}]}.
 * detail may be NULL. */
int dd_registry_error(dd_req_t *req, dd_regerr_t err, const char *detail);
/* Maps a storage rc to a registry error: DD_ENOTFOUND -> notfound,
 * DD_EDIGEST -> DIGEST_INVALID, DD_EINVAL -> invalid, DD_ELIMIT -> 413,
 * DD_EBUSY -> 503, DD_EAUTH/DD_EDENIED -> 401/403, anything else 500. */
dd_regerr_t dd_regerr_from_rc(int rc, dd_regerr_t notfound, dd_regerr_t invalid);

/* ---- pieces exposed for tests --------------------------------------------*/
/* Builds the value of a Link header for the next page:
 * </v2/<name>/tags/list?n=N&last=X>; rel="next" (name NULL: /v2/_catalog). */
char *dd_registry_link_next(dd_arena_t *a, const char *name, size_t n, const char *last);

#endif
