/*
 * registry_int.h: shared between the files of src/registry (not public).
 *   registry.c        the registry object, route table, base, catalog, tags, janitor
 *   blobs.c           blob HEAD/GET/DELETE and upload sessions
 *   manifests.c       manifest PUT/GET/HEAD/DELETE and the referrers API
 *   manifest_check.c  manifest / index validation (jansson)
 *   name.c            name and tag grammars, the error table, Link headers
 *   immutable.c       tag immutability rules (immutable-tags)
 */
#ifndef DD_REGISTRY_INT_H
#define DD_REGISTRY_INT_H

#include "dd/registry.h"

#include <pthread.h>

struct dd_registry {
    dd_registry_opts_t o;
    dd_registry_hooks_t hooks;
    pthread_t janitor;
    bool janitor_running;
    bool stopping;
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

/* Handlers (route table in registry.c). */
int reg_blob_get(dd_req_t *req);
int reg_blob_delete(dd_req_t *req);
int reg_upload_start(dd_req_t *req);
int reg_upload_status(dd_req_t *req);
int reg_upload_patch(dd_req_t *req);
int reg_upload_put(dd_req_t *req);
int reg_upload_cancel(dd_req_t *req);
int reg_manifest_get(dd_req_t *req);
int reg_manifest_put(dd_req_t *req);
int reg_manifest_delete(dd_req_t *req);
int reg_referrers(dd_req_t *req);

int dd_registry_http_error(dd_req_t *req, int status, const char *code, const char *message);

/* Answers a miss: 404 NAME_UNKNOWN when req->name is no repository at all,
 * else 404 err (BLOB_UNKNOWN, MANIFEST_UNKNOWN). Only on the miss path. */
int reg_not_found(dd_req_t *req, dd_regerr_t err);

/* Parses a digest from a request; answers 400 DIGEST_INVALID and returns
 * false when it is malformed or unsupported. */
bool reg_parse_digest(dd_req_t *req, const char *s, dd_digest_t *out);

/* ---- immutable.c ---- */
/* DD_EINVAL for an empty or over-long rule (checked once, at dd_registry_new). */
int reg_immutable_validate(const char *rules, dd_err_t *e);
/* Whether a rule of rules ("[REPOGLOB:]TAGGLOB,...") covers repo's tag;
 * the first matching rule is copied to rule. */
bool reg_immutable_rule(const char *rules, const char *repo, const char *tag, char *rule, size_t rule_n);
/* DD_OK when tag may point at d; else answers 403 DENIED with the rule and
 * the digest the tag names, and returns DD_EDENIED. */
int reg_check_immutable(dd_req_t *req, const char *tag, const dd_digest_t *d);

/* ---- manifest_check.c ---- */
typedef enum { MKIND_IMAGE = 1, MKIND_INDEX = 2 } mkind_t;

typedef struct mdesc {
    dd_digest_t digest;
    uint64_t size;
    bool foreign;       /* has urls: not required to be in the registry */
} mdesc_t;

typedef struct mcheck {
    mkind_t kind;
    const char *media_type;     /* the effective media type */
    mdesc_t *blobs;             /* config + layers (image) */
    size_t n_blobs;
    mdesc_t *children;          /* manifests (index) */
    size_t n_children;
    char subject[DD_DIGEST_MAX];    /* "" if none */
    const char *artifact_type;      /* "" if none */
    const char *annotations_json;   /* NULL if none */
} mcheck_t;

/* Validates a manifest or index body against the image spec (through
 * dd_manifest_parse_ex). content_type is the request's Content-Type (NULL if
 * absent). Memory from a. DD_EINVAL: invalid (MANIFEST_INVALID);
 * DD_EUNSUPPORTED: unknown media type, schema 1 or digest algorithm. */
int reg_manifest_check(const char *body, size_t n, const char *content_type, dd_arena_t *a, mcheck_t *out,
                       dd_err_t *e);

#endif
