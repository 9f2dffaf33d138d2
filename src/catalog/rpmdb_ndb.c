/*
 * rpmdb_ndb.c: reads rpm's NDB "Packages.db" (SUSE's default backend) from
 * memory. Little-endian throughout.
 *
 *   header (32 bytes): u32 magic "RpmP", u32 version (0), u32 generation,
 *     u32 slotnpages, u32 nextpkgidx, padding
 *   slots: from byte 32 to slotnpages * 4096, 16 bytes each:
 *     u32 magic "Slot", u32 pkgidx, u32 blkoff, u32 blkcnt (blkoff 0: free)
 *   blobs at blkoff * 16, blkcnt * 16 bytes long:
 *     head: u32 magic "BlbS", u32 pkgidx, u32 timestamp, u32 bloblen
 *     bloblen bytes (one rpm header blob), zero padding,
 *     tail (last 12 bytes): u32 adler32, u32 bloblen, u32 magic "BlbE"
 *
 * Every slot and blob is bounds-checked against the file; a slot with a bad
 * magic or a blob whose head/tail do not agree makes the database corrupt.
 * Slots pointing at the same blob cannot multiply the work: the blobs handed
 * out may not add up to more than the file size.
 */
#include "catalog/catalog_int.h"

#include <string.h>

#define NDB_PAGE 4096u
#define NDB_BLK 16u
#define NDB_HDR 32u
#define BLOB_HEAD 16u
#define BLOB_TAIL 12u
#define NDB_MAX_SLOTPAGES 4096u

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

int dd_rpmdb_ndb_each(const uint8_t *data, size_t len, dd_rpmdb_blob_fn fn, void *arg, dd_err_t *e)
{
    if (len < NDB_HDR || memcmp(data, "RpmP", 4) != 0) return dd_err(e, DD_ECORRUPT, "ndb: bad magic");
    uint32_t version = le32(data + 4), slotnpages = le32(data + 12);
    if (version != 0) return dd_err(e, DD_EUNSUPPORTED, "ndb: version %u not supported", version);
    if (slotnpages == 0 || slotnpages > NDB_MAX_SLOTPAGES)
        return dd_err(e, DD_ECORRUPT, "ndb: bad slot page count %u", slotnpages);
    size_t slot_end = (size_t)slotnpages * NDB_PAGE;
    if (slot_end > len) return dd_err(e, DD_ECORRUPT, "ndb: truncated slot pages");
    size_t min_blkoff = slot_end / NDB_BLK;
    /* blobs do not overlap in a sane file: their total is bounded by it */
    uint64_t budget = (uint64_t)len;
    for (size_t o = NDB_HDR; o + 16 <= slot_end; o += 16) {
        const uint8_t *s = data + o;
        if (memcmp(s, "Slot", 4) != 0) return dd_err(e, DD_ECORRUPT, "ndb: bad slot magic at %zu", o);
        uint32_t pkgidx = le32(s + 4), blkoff = le32(s + 8), blkcnt = le32(s + 12);
        if (blkoff == 0) continue; /* free slot */
        if (blkoff < min_blkoff || blkcnt == 0 || pkgidx == 0)
            return dd_err(e, DD_ECORRUPT, "ndb: bad slot at %zu", o);
        uint64_t boff = (uint64_t)blkoff * NDB_BLK, bsz = (uint64_t)blkcnt * NDB_BLK;
        if (boff + bsz > len || bsz < BLOB_HEAD + BLOB_TAIL)
            return dd_err(e, DD_ECORRUPT, "ndb: blob of slot at %zu out of bounds", o);
        const uint8_t *b = data + boff;
        uint32_t bloblen = le32(b + 12);
        if (memcmp(b, "BlbS", 4) != 0 || le32(b + 4) != pkgidx || (uint64_t)BLOB_HEAD + bloblen + BLOB_TAIL > bsz)
            return dd_err(e, DD_ECORRUPT, "ndb: bad blob head for package %u", pkgidx);
        const uint8_t *t = b + bsz - BLOB_TAIL;
        if (le32(t + 4) != bloblen || memcmp(t + 8, "BlbE", 4) != 0)
            return dd_err(e, DD_ECORRUPT, "ndb: bad blob tail for package %u", pkgidx);
        if (bloblen > DD_CATALOG_MAX_RPM_BLOB)
            return dd_err(e, DD_ELIMIT, "ndb: blob of %u bytes is over the limit", bloblen);
        if (bloblen > budget) return dd_err(e, DD_ELIMIT, "ndb: blobs overlap (work budget exceeded)");
        budget -= bloblen;
        int rc = fn(b + BLOB_HEAD, bloblen, arg);
        if (rc) return rc;
    }
    return DD_OK;
}
