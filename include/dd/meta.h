/*
 * meta.h: the interface between Drydock's core and its metadata store.
 *
 * The metadata store holds everything that is not blob bytes: repositories,
 * which blobs each repository may read (links), manifests and the blobs and
 * child manifests they reference, tags, referrers (manifests with a subject),
 * and upload sessions. Later issues append scan jobs, findings, users and
 * tokens (ops->version grows; new slots are appended, never reordered).
 *
 * Drivers implement dd_meta_ops_t and register by name in the table in
 * src/meta/meta.c ("sqlite" now; "pg" later). Core code calls the dd_meta_*
 * wrappers only; no SQL leaks above this interface.
 *
 * Concurrency: a dd_meta_t is shared by all threads; the driver gives each
 * thread what it needs (e.g. a connection per thread). Every mutating call is
 * one transaction: either all of it is visible or none of it is.
 */
#ifndef DD_META_H
#define DD_META_H

#include "dd/core.h"
#include "dd/digest.h"

typedef struct dd_meta dd_meta_t;

#define DD_REPO_MAX 256      /* bytes, including NUL */
#define DD_TAG_MAX 129       /* tags are at most 128 chars */
#define DD_MEDIATYPE_MAX 256

/* A stored manifest (or index). Bytes live in the blob store under digest. */
typedef struct dd_manifest_rec {
    char repo[DD_REPO_MAX];
    dd_digest_t digest;
    char media_type[DD_MEDIATYPE_MAX];
    char artifact_type[DD_MEDIATYPE_MAX]; /* "" if none (after the config mediaType rule) */
    uint64_t size;
    char subject[DD_DIGEST_MAX];          /* "" if no subject */
    char *annotations_json;               /* owned (free); NULL if none; used by referrers */
    int64_t pushed_ms;
} dd_manifest_rec_t;

void dd_manifest_rec_release(dd_manifest_rec_t *m);

/* What a manifest references; given to manifest_put so the store can keep
 * blob and child-manifest references for deletes and garbage collection. */
typedef struct dd_manifest_refs {
    const dd_digest_t *blobs;     /* config + layers */
    size_t n_blobs;
    const dd_digest_t *manifests; /* index children */
    size_t n_manifests;
} dd_manifest_refs_t;

/* A referrer as the referrers API lists it. */
typedef struct dd_referrer {
    const char *media_type;
    const char *digest;
    uint64_t size;
    const char *artifact_type;    /* "" if none */
    const char *annotations_json; /* NULL if none */
} dd_referrer_t;

typedef struct dd_upload_rec {
    char uuid[64];
    char repo[DD_REPO_MAX];
    uint64_t offset;
    int64_t created_ms, updated_ms;
} dd_upload_rec_t;

/* A user (issue 6). role and repos are stored as text; the auth module
 * gives them meaning (auth.h). */
#define DD_AUTH_NAME_MAX 65    /* user names and token names, incl. NUL */
#define DD_AUTH_ROLE_MAX 32
#define DD_AUTH_REPOS_MAX 1024 /* comma-separated repository globs; "" = all */
#define DD_AUTH_PWHASH_MAX 128 /* crypto_pwhash_STRBYTES */
typedef struct dd_user_rec {
    char name[DD_AUTH_NAME_MAX];
    char role[DD_AUTH_ROLE_MAX];
    char repos[DD_AUTH_REPOS_MAX];
    char pwhash[DD_AUTH_PWHASH_MAX]; /* argon2id string ("$argon2id$...") */
    int64_t created_ms, updated_ms;
} dd_user_rec_t;

/* A robot token: only the SHA-256 of its secret is stored. */
#define DD_TOKEN_ID_MAX 33
typedef struct dd_token_rec {
    char id[DD_TOKEN_ID_MAX];        /* public id, e.g. "t_3f9a..." */
    char name[DD_AUTH_NAME_MAX];     /* free label, "" if none */
    char role[DD_AUTH_ROLE_MAX];
    char repos[DD_AUTH_REPOS_MAX];
    char hash[65];                   /* hex SHA-256 of the secret */
    int64_t created_ms, expires_ms;  /* expires_ms 0 = never */
    int64_t revoked_ms;              /* 0 = not revoked */
} dd_token_rec_t;

typedef struct dd_meta_ops {
    int version; /* 3 (1: registry core; 2: appended users and tokens; 3: blob_repos) */
    const char *name;
    /* dsn: driver-specific (sqlite: a database file path). */
    int (*open)(const char *dsn, dd_meta_t **out, dd_err_t *e);
    void (*close)(dd_meta_t *m);

    /* --- blob links: which repository may read which blob --- */
    int (*blob_link)(dd_meta_t *m, const char *repo, const dd_digest_t *d, uint64_t size, dd_err_t *e);
    /* DD_OK with size, or DD_ENOTFOUND */
    int (*blob_linked)(dd_meta_t *m, const char *repo, const dd_digest_t *d, uint64_t *size);
    int (*blob_unlink)(dd_meta_t *m, const char *repo, const dd_digest_t *d, dd_err_t *e);
    /* number of repository links plus manifest references to d, plus
     * manifests whose own bytes are d (0 = garbage) */
    int (*blob_refs)(dd_meta_t *m, const dd_digest_t *d, uint64_t *count);

    /* --- manifests and tags --- */
    /* Stores rec (replacing an identical digest), its references, its referrer
     * entry if rec->subject is set, and points tag at it if tag != NULL: all
     * in one transaction. Creates the repository if needed. */
    int (*manifest_put)(dd_meta_t *m, const dd_manifest_rec_t *rec, const dd_manifest_refs_t *refs,
                        const char *tag, dd_err_t *e);
    /* reference is a tag or a digest string; DD_ENOTFOUND if absent. */
    int (*manifest_get)(dd_meta_t *m, const char *repo, const char *reference, dd_manifest_rec_t *out);
    /* Deletes the manifest, the tags pointing at it and its referrer entry. */
    int (*manifest_delete)(dd_meta_t *m, const char *repo, const dd_digest_t *d, dd_err_t *e);
    int (*tag_delete)(dd_meta_t *m, const char *repo, const char *tag, dd_err_t *e);
    /* Tags of repo in lexical order, strictly after last (NULL = from the
     * start), at most n (0 = no limit). fn returns non-zero to stop.
     * DD_ENOTFOUND if the repository does not exist. */
    int (*tags_list)(dd_meta_t *m, const char *repo, const char *last, size_t n,
                     int (*fn)(const char *tag, void *arg), void *arg);
    /* Repositories in lexical order, after last, at most n. */
    int (*catalog)(dd_meta_t *m, const char *last, size_t n, int (*fn)(const char *repo, void *arg),
                   void *arg);
    int (*repo_exists)(dd_meta_t *m, const char *repo);  /* DD_OK or DD_ENOTFOUND */
    /* Manifests in repo whose subject is subject; artifact_type NULL = all. */
    int (*referrers)(dd_meta_t *m, const char *repo, const dd_digest_t *subject, const char *artifact_type,
                     int (*fn)(const dd_referrer_t *r, void *arg), void *arg);

    /* --- upload sessions --- */
    int (*upload_put)(dd_meta_t *m, const dd_upload_rec_t *u, dd_err_t *e);   /* insert or update */
    int (*upload_get)(dd_meta_t *m, const char *uuid, dd_upload_rec_t *out);  /* DD_ENOTFOUND */
    int (*upload_delete)(dd_meta_t *m, const char *uuid);
    /* Sessions last updated before before_ms (oldest first). fn may write to
     * the store, e.g. delete the session it is given. */
    int (*uploads_stale)(dd_meta_t *m, int64_t before_ms, int (*fn)(const dd_upload_rec_t *u, void *arg),
                         void *arg);

    /* --- walks, for consistency checks (storecheck.h) and garbage collection --- */
    /* Every manifest of every repository (by repository, then digest) with
     * its references; rec and refs are borrowed for the call. fn returns
     * non-zero to stop, and that value is returned. fn may write to the
     * store (garbage collection deletes what it walks). */
    int (*manifests_each)(dd_meta_t *m,
                          int (*fn)(const dd_manifest_rec_t *rec, const dd_manifest_refs_t *refs, void *arg),
                          void *arg);
    /* Every blob link (by repository, then digest); same stop rule. */
    int (*links_each)(dd_meta_t *m, int (*fn)(const char *repo, const dd_digest_t *d, uint64_t size, void *arg),
                      void *arg);

    /* --- version 2: users and robot tokens (issue 6, see auth.h) --- */
    /* Inserts (create) or updates (!create) a user; DD_EEXIST / DD_ENOTFOUND.
     * Bumps the auth generation. */
    int (*user_put)(dd_meta_t *m, const dd_user_rec_t *u, bool create, dd_err_t *e);
    int (*user_get)(dd_meta_t *m, const char *name, dd_user_rec_t *out);   /* DD_ENOTFOUND */
    int (*user_delete)(dd_meta_t *m, const char *name, dd_err_t *e);       /* DD_ENOTFOUND */
    /* Every user by name; fn returns non-zero to stop (that value is returned). */
    int (*users_each)(dd_meta_t *m, int (*fn)(const dd_user_rec_t *u, void *arg), void *arg);
    int (*token_put)(dd_meta_t *m, const dd_token_rec_t *t, dd_err_t *e);  /* insert; DD_EEXIST */
    /* Marks a token revoked at now_ms; DD_ENOTFOUND. Bumps the generation. */
    int (*token_revoke)(dd_meta_t *m, const char *id, int64_t now_ms, dd_err_t *e);
    int (*tokens_each)(dd_meta_t *m, int (*fn)(const dd_token_rec_t *t, void *arg), void *arg);
    /* A counter bumped by every user or token change (also by other
     * processes sharing the store): cheap, called per request. */
    int (*auth_generation)(dd_meta_t *m, uint64_t *gen);

    /* --- version 3 (issue 15) --- */
    /* The repositories d is linked to, by name (a cross-repository mount
     * without `from`); fn returns non-zero to stop. */
    int (*blob_repos)(dd_meta_t *m, const dd_digest_t *d, int (*fn)(const char *repo, void *arg), void *arg);
} dd_meta_ops_t;

struct dd_meta {
    const dd_meta_ops_t *ops;
};

int dd_meta_open(const char *driver, const char *dsn, dd_meta_t **out, dd_err_t *e);
void dd_meta_close(dd_meta_t *m);

int dd_meta_blob_link(dd_meta_t *m, const char *repo, const dd_digest_t *d, uint64_t size, dd_err_t *e);
int dd_meta_blob_linked(dd_meta_t *m, const char *repo, const dd_digest_t *d, uint64_t *size);
int dd_meta_blob_unlink(dd_meta_t *m, const char *repo, const dd_digest_t *d, dd_err_t *e);
int dd_meta_blob_refs(dd_meta_t *m, const dd_digest_t *d, uint64_t *count);
/* DD_EUNSUPPORTED from a driver older than version 3. */
int dd_meta_blob_repos(dd_meta_t *m, const dd_digest_t *d, int (*fn)(const char *repo, void *arg), void *arg);
int dd_meta_manifest_put(dd_meta_t *m, const dd_manifest_rec_t *rec, const dd_manifest_refs_t *refs,
                         const char *tag, dd_err_t *e);
int dd_meta_manifest_get(dd_meta_t *m, const char *repo, const char *reference, dd_manifest_rec_t *out);
int dd_meta_manifest_delete(dd_meta_t *m, const char *repo, const dd_digest_t *d, dd_err_t *e);
int dd_meta_tag_delete(dd_meta_t *m, const char *repo, const char *tag, dd_err_t *e);
int dd_meta_tags_list(dd_meta_t *m, const char *repo, const char *last, size_t n,
                      int (*fn)(const char *tag, void *arg), void *arg);
int dd_meta_catalog(dd_meta_t *m, const char *last, size_t n, int (*fn)(const char *repo, void *arg), void *arg);
int dd_meta_repo_exists(dd_meta_t *m, const char *repo);
int dd_meta_referrers(dd_meta_t *m, const char *repo, const dd_digest_t *subject, const char *artifact_type,
                      int (*fn)(const dd_referrer_t *r, void *arg), void *arg);
int dd_meta_upload_put(dd_meta_t *m, const dd_upload_rec_t *u, dd_err_t *e);
int dd_meta_upload_get(dd_meta_t *m, const char *uuid, dd_upload_rec_t *out);
int dd_meta_upload_delete(dd_meta_t *m, const char *uuid);
int dd_meta_uploads_stale(dd_meta_t *m, int64_t before_ms, int (*fn)(const dd_upload_rec_t *u, void *arg),
                          void *arg);
int dd_meta_manifests_each(dd_meta_t *m,
                           int (*fn)(const dd_manifest_rec_t *rec, const dd_manifest_refs_t *refs, void *arg),
                           void *arg);
int dd_meta_links_each(dd_meta_t *m, int (*fn)(const char *repo, const dd_digest_t *d, uint64_t size, void *arg),
                       void *arg);
/* users and tokens (ops version 2; DD_EUNSUPPORTED on older drivers) */
int dd_meta_user_put(dd_meta_t *m, const dd_user_rec_t *u, bool create, dd_err_t *e);
int dd_meta_user_get(dd_meta_t *m, const char *name, dd_user_rec_t *out);
int dd_meta_user_delete(dd_meta_t *m, const char *name, dd_err_t *e);
int dd_meta_users_each(dd_meta_t *m, int (*fn)(const dd_user_rec_t *u, void *arg), void *arg);
int dd_meta_token_put(dd_meta_t *m, const dd_token_rec_t *t, dd_err_t *e);
int dd_meta_token_revoke(dd_meta_t *m, const char *id, int64_t now_ms, dd_err_t *e);
int dd_meta_tokens_each(dd_meta_t *m, int (*fn)(const dd_token_rec_t *t, void *arg), void *arg);
int dd_meta_auth_generation(dd_meta_t *m, uint64_t *gen);

#endif
