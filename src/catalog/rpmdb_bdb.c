/*
 * rpmdb_bdb.c: reads rpm's Berkeley DB "Packages" file (rpm < 4.16) from
 * memory, without libdb. Only what rpm writes is supported: a hash access
 * method database, unencrypted, without page checksums.
 *
 * Layout (integers in the byte order of the machine that wrote the file,
 * told by the magic):
 *   page 0, the hash metadata page:
 *     off 12 u32 magic 0x00061561   off 16 u32 version (8..10)
 *     off 20 u32 pagesize           off 24 u8 encrypt_alg   off 25 u8 type (8)
 *     off 26 u8 metaflags (bit 0: page checksums)
 *   every page starts with a 26-byte header:
 *     off 0 lsn(8) off 8 u32 pgno  off 12 u32 prev_pgno  off 16 u32 next_pgno
 *     off 20 u16 entries  off 22 u16 hf_offset  off 24 u8 level  off 25 u8 type
 *   hash pages (type 13, or 2 in old files): after the header, `entries`
 *     u16 item offsets; items alternate key, data. Item i spans
 *     [inp[i], i == 0 ? pagesize : inp[i-1]); its first byte is its kind:
 *       1 H_KEYDATA  the bytes follow
 *       3 H_OFFPAGE  u8 kind, 3 unused, u32 pgno, u32 tlen: the value lives
 *                    in a chain of overflow pages
 *   overflow pages (type 7): hf_offset is the number of data bytes on the
 *     page, which follow the header; next_pgno continues the chain (0 ends).
 * rpm's keys are 4-byte package numbers; key 0 holds a counter, not a header.
 *
 * Every offset is checked against the page and the file; overflow chains are
 * bounded by the page count (no loops) and DD_CATALOG_MAX_RPM_BLOB, and all
 * values together by twice the file size (shared chains or items cannot
 * multiply the work).
 */
#include "catalog/catalog_int.h"

#include <stdlib.h>
#include <string.h>

#define BDB_HASH_MAGIC 0x00061561u
#define P_HASH_UNSORTED 2
#define P_OVERFLOW 7
#define P_HASHMETA 8
#define P_HASH 13
#define H_KEYDATA 1
#define H_OFFPAGE 3
#define PAGE_HDR 26

struct bdb {
    const uint8_t *data;
    size_t len, psize, npages;
    bool swap; /* big-endian file */
};

static uint32_t rd32(const struct bdb *db, const uint8_t *p)
{
    if (db->swap) return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static uint16_t rd16(const struct bdb *db, const uint8_t *p)
{
    if (db->swap) return (uint16_t)(p[0] << 8 | p[1]);
    return (uint16_t)(p[1] << 8 | p[0]);
}

/* Collects an overflow chain into a new buffer (caller frees). */
static int read_overflow(const struct bdb *db, uint32_t pgno, uint32_t tlen, uint8_t **out, dd_err_t *e)
{
    if (tlen > DD_CATALOG_MAX_RPM_BLOB)
        return dd_err(e, DD_ELIMIT, "bdb: value of %u bytes is over the limit", tlen);
    uint8_t *buf = malloc(tlen ? tlen : 1);
    if (!buf) return dd_err(e, DD_ENOMEM, "bdb: out of memory");
    size_t got = 0, hops = 0;
    while (got < tlen) {
        if (pgno == 0 || pgno >= db->npages || ++hops > db->npages) {
            free(buf);
            return dd_err(e, DD_ECORRUPT, "bdb: broken overflow chain at page %u", pgno);
        }
        const uint8_t *pg = db->data + (size_t)pgno * db->psize;
        if (pg[25] != P_OVERFLOW) {
            free(buf);
            return dd_err(e, DD_ECORRUPT, "bdb: page %u is not an overflow page", pgno);
        }
        size_t n = rd16(db, pg + 22);
        if (n > db->psize - PAGE_HDR || n > tlen - got || n == 0) {
            free(buf);
            return dd_err(e, DD_ECORRUPT, "bdb: bad overflow length on page %u", pgno);
        }
        memcpy(buf + got, pg + PAGE_HDR, n);
        got += n;
        pgno = rd32(db, pg + 16);
    }
    *out = buf;
    return DD_OK;
}

int dd_rpmdb_bdb_each(const uint8_t *data, size_t len, dd_rpmdb_blob_fn fn, void *arg, dd_err_t *e)
{
    if (len < 512) return dd_err(e, DD_ECORRUPT, "bdb: file too small (%zu bytes)", len);
    struct bdb db = {.data = data, .len = len};
    uint32_t le_magic = (uint32_t)data[15] << 24 | (uint32_t)data[14] << 16 | (uint32_t)data[13] << 8 | data[12];
    if (le_magic == BDB_HASH_MAGIC) db.swap = false;
    else if (((uint32_t)data[12] << 24 | (uint32_t)data[13] << 16 | (uint32_t)data[14] << 8 | data[15]) == BDB_HASH_MAGIC)
        db.swap = true;
    else return dd_err(e, DD_ECORRUPT, "bdb: not a berkeley db hash file");
    uint32_t version = rd32(&db, data + 16);
    uint32_t psize = rd32(&db, data + 20);
    if (version < 8 || version > 10) return dd_err(e, DD_EUNSUPPORTED, "bdb: hash version %u not supported", version);
    if (psize < 512 || psize > 65536 || (psize & (psize - 1)))
        return dd_err(e, DD_ECORRUPT, "bdb: bad page size %u", psize);
    if (data[24] != 0) return dd_err(e, DD_EUNSUPPORTED, "bdb: encrypted database");
    if (data[25] != P_HASHMETA) return dd_err(e, DD_ECORRUPT, "bdb: page 0 is not a hash metadata page");
    if (data[26] & 1) return dd_err(e, DD_EUNSUPPORTED, "bdb: page checksums not supported");
    db.psize = psize;
    db.npages = len / psize;
    /* In a sane file every byte belongs to at most one value: values that add
     * up to more than twice the file mean items or chains are shared. */
    uint64_t budget = 2 * (uint64_t)len + (1u << 20);

    for (size_t pgno = 1; pgno < db.npages; pgno++) {
        const uint8_t *pg = data + pgno * psize;
        if (pg[25] != P_HASH && pg[25] != P_HASH_UNSORTED) continue;
        size_t nent = rd16(&db, pg + 20);
        if (PAGE_HDR + nent * 2 > psize)
            return dd_err(e, DD_ECORRUPT, "bdb: page %zu has too many entries (%zu)", pgno, nent);
        const uint8_t *inp = pg + PAGE_HDR;
        for (size_t i = 0; i + 1 < nent; i += 2) {
            size_t koff = rd16(&db, inp + 2 * i), doff = rd16(&db, inp + 2 * (i + 1));
            size_t kend = i == 0 ? psize : rd16(&db, inp + 2 * (i - 1));
            size_t dend = koff;
            if (koff < PAGE_HDR + nent * 2 || kend > psize || koff >= kend || doff < PAGE_HDR + nent * 2 ||
                doff >= dend)
                return dd_err(e, DD_ECORRUPT, "bdb: bad item offsets on page %zu", pgno);
            /* key 0 is rpm's instance counter, not a package */
            if (pg[koff] == H_KEYDATA && kend - koff == 5) {
                const uint8_t *k = pg + koff + 1;
                if (k[0] == 0 && k[1] == 0 && k[2] == 0 && k[3] == 0) continue;
            }
            int rc = 0;
            if (pg[doff] == H_KEYDATA) {
                if (dend - doff - 1 > budget) return dd_err(e, DD_ELIMIT, "bdb: values overlap (work budget exceeded)");
                budget -= dend - doff - 1;
                rc = fn(pg + doff + 1, dend - doff - 1, arg);
            } else if (pg[doff] == H_OFFPAGE) {
                if (dend - doff < 12) return dd_err(e, DD_ECORRUPT, "bdb: short off-page item on page %zu", pgno);
                uint8_t *blob = NULL;
                uint32_t opg = rd32(&db, pg + doff + 4), tlen = rd32(&db, pg + doff + 8);
                if (tlen > budget) return dd_err(e, DD_ELIMIT, "bdb: values overlap (work budget exceeded)");
                budget -= tlen;
                int orc = read_overflow(&db, opg, tlen, &blob, e);
                if (orc != DD_OK) return orc;
                rc = fn(blob, tlen, arg);
                free(blob);
            } else {
                continue; /* duplicates: rpm does not use them */
            }
            if (rc) return rc;
        }
    }
    return DD_OK;
}
