/*
 * storecheck.h: a consistency check across the blob store and the metadata
 * store, for the registry's crash test and a future `drydock fsck`.
 *
 * It checks the invariants that must survive kill -9 at any moment:
 *   - every manifest's own bytes exist in the blob store, have the recorded
 *     size and hash to its digest;
 *   - every blob a manifest references (config, layers) exists;
 *   - every child manifest an index references is a manifest of the same
 *     repository;
 *   - every blob linked into a repository exists with the linked size;
 *   - with DD_STORECHECK_HASH_ALL: every blob in the blob store hashes to
 *     its digest (reads every byte: slow on a big store).
 * Orphan blobs (in the store, referenced by nothing: no repository link, no
 * manifest reference, not a manifest's own bytes) are counted with their
 * bytes (reclaimable space), not reported as problems: a crash between
 * publishing a blob and recording it leaves one. DD_STORECHECK_REPAIR
 * removes them (issue 20 item 9); only on a stopped store (`drydock fsck
 * --repair` makes sure no server holds the data directory).
 *
 * Run it on a quiescent store (e.g. after a restart, before traffic): a
 * delete that lands between the walk and a lookup could show up as a
 * spurious missing reference.
 */
#ifndef DD_STORECHECK_H
#define DD_STORECHECK_H

#include "dd/blobstore.h"
#include "dd/meta.h"

enum {
    DD_STORECHECK_HASH_ALL = 1 << 0, /* re-hash every blob, not only manifests */
    DD_STORECHECK_REPAIR = 1 << 1,   /* remove orphan blobs */
};

typedef struct dd_storecheck_report {
    size_t manifests;        /* manifests checked */
    size_t links;            /* blob links checked */
    size_t blobs;            /* blobs in the blob store */
    size_t blobs_hashed;     /* blobs whose bytes were re-hashed */
    size_t orphans;          /* blobs neither linked nor referenced (not a problem) */
    uint64_t orphan_bytes;   /* their size: space a repair would reclaim */
    size_t removed;          /* DD_STORECHECK_REPAIR: orphans removed */
    uint64_t removed_bytes;  /* and their bytes */
    size_t problems;         /* total of the counts below */
    size_t bad_digest;       /* a blob whose bytes don't match its digest or size */
    size_t missing_manifest; /* manifest bytes missing from the blob store */
    size_t missing_ref;      /* a referenced blob or child manifest is missing */
    size_t missing_link;     /* a linked blob is missing from the blob store */
} dd_storecheck_report_t;

/* Runs the check. on_problem (may be NULL) gets one line per problem, e.g.
 * "manifest app@sha256:.. references missing blob sha256:..". Returns DD_OK
 * when the check ran (look at out->problems), or an error if it could not
 * run (e.g. the metadata store failed). */
int dd_storage_check(dd_blobstore_t *bs, dd_meta_t *meta, unsigned flags, dd_storecheck_report_t *out,
                     void (*on_problem)(const char *msg, void *arg), void *arg, dd_err_t *e);

/* Hashes a stored blob with d's algorithm: DD_OK if it matches d,
 * DD_EDIGEST if not, DD_ENOTFOUND if absent. size (may be NULL) gets its size. */
int dd_storage_verify_blob(dd_blobstore_t *bs, const dd_digest_t *d, uint64_t *size, dd_err_t *e);

#endif
