/*
 * storegc.h: offline garbage collection of a stopped server's stores
 * (issue 17, first part; see docs/storage.md "Garbage collection").
 *
 * Mark: every manifest row (tagged, untagged, index child, referrer) marks
 * its own bytes and the blobs it references (config, layers), per
 * repository. Sweep: every blob link (repository, digest) that no manifest
 * of that repository marks is removed, then every blob referenced by
 * nothing (dd_meta_blob_refs == 0) is removed by the consistency check's
 * orphan pass (dd_storage_check with DD_STORECHECK_REPAIR): the same scan
 * `drydock fsck --repair` runs, not a copy.
 *
 * Blob links carry no timestamp yet, so there is no grace period: a blob
 * uploaded but not yet referenced by a manifest would be taken. Run it only
 * on a stopped store (`drydock gc` takes the data directory's lock
 * exclusively, as `fsck --repair` does).
 */
#ifndef DD_STOREGC_H
#define DD_STOREGC_H

#include "dd/blobstore.h"
#include "dd/meta.h"

enum {
    DD_STOREGC_DRY_RUN = 1 << 0, /* report what would go; change nothing */
};

typedef struct dd_storegc_report {
    size_t manifests;      /* manifests walked (the mark roots) */
    size_t links;          /* blob links walked */
    size_t links_swept;    /* links no manifest of their repository references */
    size_t blobs;          /* blobs in the blob store */
    size_t blobs_swept;    /* blobs removed (dry run: that would be removed) */
    uint64_t bytes_swept;  /* their bytes */
} dd_storegc_report_t;

/* Runs one collection. on_item (may be NULL) gets one line per link or blob
 * that goes (or would go), e.g. "blob sha256:.. (1234 bytes)". */
int dd_storage_gc(dd_blobstore_t *bs, dd_meta_t *meta, unsigned flags, dd_storegc_report_t *out,
                  void (*on_item)(const char *msg, void *arg), void *arg, dd_err_t *e);

#endif
