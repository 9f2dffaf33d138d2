/*
 * rpm.c: the rpm cataloger and the rpm header blob parser.
 *
 * The three rpm database formats (SQLite rpmdb.sqlite, Berkeley DB hash
 * Packages, NDB Packages.db) all store the same thing: one header blob per
 * installed package. The container readers (rpmdb_sqlite.c, rpmdb_bdb.c,
 * rpmdb_ndb.c) hand each blob to dd_rpm_header_parse() here.
 *
 * Header blob layout (as stored in the databases: no lead, no header magic),
 * all integers big-endian:
 *   be32 il          number of index entries (1..0xffff)
 *   be32 dl          size of the data store (<= 256 MiB)
 *   il x { be32 tag, be32 type, be32 offset, be32 count }
 *   dl bytes of data; offset is relative to the start of the data store
 * Types used here: INT32 (4), STRING (6), STRING_ARRAY (8), I18NSTRING (9).
 * Strings are NUL-terminated inside the data store; a kept string longer than
 * DD_CATALOG_MAX_FIELD is ignored (NULL). Region tags (61-63) and
 * everything else are ignored; when a tag appears twice the later one wins.
 *
 * Database choice: the first of these present that reads cleanly is used;
 * the others (stale leftovers of a backend migration) are ignored:
 *   usr/lib/sysimage/rpm/rpmdb.sqlite, var/lib/rpm/rpmdb.sqlite,
 *   usr/lib/sysimage/rpm/Packages.db,  var/lib/rpm/Packages.db,
 *   usr/lib/sysimage/rpm/Packages,     var/lib/rpm/Packages
 * gpg-pubkey pseudo-packages (imported signing keys) are not packages and
 * are skipped.
 */
#include "catalog/catalog_int.h"

#include <stdlib.h>
#include <string.h>

enum {
    TAG_NAME = 1000,
    TAG_VERSION = 1001,
    TAG_RELEASE = 1002,
    TAG_EPOCH = 1003,
    TAG_LICENSE = 1014,
    TAG_ARCH = 1022,
    TAG_SOURCERPM = 1044,
    TAG_MODULARITYLABEL = 5096,
};
enum { T_INT32 = 4, T_STRING = 6, T_STRING_ARRAY = 8, T_I18NSTRING = 9 };

#define HDR_MAX_TAGS 0xffffu
#define HDR_MAX_DATA 0x0fffffffu

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int dd_rpm_header_parse(const uint8_t *b, size_t len, dd_rpm_header_t *h, dd_err_t *e)
{
    memset(h, 0, sizeof *h);
    h->epoch = -1;
    if (len < 8) return dd_err(e, DD_ECORRUPT, "rpm header: truncated (%zu bytes)", len);
    uint32_t il = be32(b), dl = be32(b + 4);
    if (il == 0 || il > HDR_MAX_TAGS) return dd_err(e, DD_ECORRUPT, "rpm header: bad index count %u", il);
    if (dl > HDR_MAX_DATA) return dd_err(e, DD_ECORRUPT, "rpm header: bad data size %u", dl);
    uint64_t need = 8 + (uint64_t)il * 16 + dl;
    if (need > len)
        return dd_err(e, DD_ECORRUPT, "rpm header: truncated (%zu of %llu bytes)", len,
                      (unsigned long long)need);
    const uint8_t *idx = b + 8;
    const uint8_t *data = idx + (size_t)il * 16;
    for (uint32_t i = 0; i < il; i++) {
        const uint8_t *ent = idx + (size_t)i * 16;
        uint32_t tag = be32(ent), type = be32(ent + 4), off = be32(ent + 8), cnt = be32(ent + 12);
        const char **dst = NULL;
        switch (tag) {
        case TAG_NAME: dst = &h->name; break;
        case TAG_VERSION: dst = &h->version; break;
        case TAG_RELEASE: dst = &h->release; break;
        case TAG_LICENSE: dst = &h->license; break;
        case TAG_ARCH: dst = &h->arch; break;
        case TAG_SOURCERPM: dst = &h->sourcerpm; break;
        case TAG_MODULARITYLABEL: dst = &h->modularitylabel; break;
        case TAG_EPOCH:
            if (type != T_INT32 || cnt < 1 || off > dl || dl - off < 4)
                return dd_err(e, DD_ECORRUPT, "rpm header: bad epoch entry");
            {
                uint32_t ep = be32(data + off);
                if (ep > 0x7fffffff) return dd_err(e, DD_ECORRUPT, "rpm header: bad epoch %u", ep);
                h->epoch = (int)ep;
            }
            continue;
        default:
            continue;
        }
        if (type != T_STRING && type != T_STRING_ARRAY && type != T_I18NSTRING)
            return dd_err(e, DD_ECORRUPT, "rpm header: tag %u has type %u, not a string", tag, type);
        if (cnt < 1 || off >= dl) return dd_err(e, DD_ECORRUPT, "rpm header: tag %u out of bounds", tag);
        /* Scan at most one field's length for the NUL, so that a header
         * listing the same tag 65535 times costs O(il), not O(il * dl). */
        const uint8_t *s = data + off;
        size_t window = dl - off;
        bool capped = window > DD_CATALOG_MAX_FIELD + 1;
        if (capped) window = DD_CATALOG_MAX_FIELD + 1;
        if (!memchr(s, '\0', window)) {
            if (!capped) return dd_err(e, DD_ECORRUPT, "rpm header: tag %u string not terminated", tag);
            *dst = NULL; /* oversized: ignored, like any field over DD_CATALOG_MAX_FIELD */
            continue;
        }
        *dst = (const char *)s; /* first string of an array or i18n table */
    }
    return DD_OK;
}

/* ---- header -> package -------------------------------------------------- */

/* Splits "name-V-R.src.rpm" (or .nosrc.rpm) into name and "V-R". */
static bool split_srpm(dd_arena_t *a, const char *srpm, char **name, char **vr)
{
    size_t n = strlen(srpm);
    if (dd_str_endswith(srpm, ".src.rpm")) n -= 8;
    else if (dd_str_endswith(srpm, ".nosrc.rpm")) n -= 10;
    else return false;
    const char *r = NULL, *v = NULL;
    for (size_t i = n; i-- > 0;) {
        if (srpm[i] != '-') continue;
        if (!r) r = srpm + i;
        else { v = srpm + i; break; }
    }
    if (!v || v == srpm || r - v < 2 || (size_t)(srpm + n - r) < 2) return false;
    *name = dd_arena_strndup(a, srpm, (size_t)(v - srpm));
    *vr = dd_arena_strndup(a, v + 1, (size_t)(srpm + n - v - 1));
    return true;
}

static char *fdup(dd_arena_t *a, const char *s)
{
    return s ? dd_catalog_field_dup(a, s, strlen(s)) : NULL;
}

struct blob_ctx {
    dd_inventory_t *inv;
    char *db_path;         /* the arena copy every package of the database shares */
    int layer;
    size_t count, bad;
    dd_err_t *e;
};

static int on_blob(const uint8_t *blob, size_t len, void *arg)
{
    struct blob_ctx *c = arg;
    dd_rpm_header_t h;
    dd_err_t he = {0};
    if (dd_rpm_header_parse(blob, len, &h, &he) != DD_OK) {
        c->bad++;
        dd_catalog_warn_err(c->inv, c->db_path, &he);
        return 0;
    }
    if (!h.name || !h.version || !h.release) {
        c->bad++;
        dd_inventory_warn(c->inv, "%s: rpm header without name, version or release skipped", c->db_path);
        return 0;
    }
    if (strcmp(h.name, "gpg-pubkey") == 0) return 0;
    if (++c->count > DD_CATALOG_MAX_PKGS)
        return dd_err(c->e, DD_ELIMIT, "%s: more than %d packages", c->db_path, DD_CATALOG_MAX_PKGS);
    dd_arena_t *a = dd_inventory_arena(c->inv);
    char *name = fdup(a, h.name), *ver = fdup(a, h.version), *rel = fdup(a, h.release);
    if (!name || !ver || !rel) {
        c->bad++;
        dd_inventory_warn(c->inv, "%s: rpm header with an empty or oversized field skipped", c->db_path);
        return 0;
    }
    dd_package_t *p = dd_inventory_add(c->inv);
    if (!p) return dd_err(c->e, DD_ELIMIT, "%s: too many packages", c->db_path);
    p->type = DD_PKG_RPM;
    p->name = name;
    p->rpm_version = ver;
    p->rpm_release = rel;
    p->epoch = h.epoch;
    if (h.epoch > 0) p->version = dd_arena_printf(a, "%d:%s-%s", h.epoch, ver, rel);
    else p->version = dd_arena_printf(a, "%s-%s", ver, rel);
    p->arch = fdup(a, h.arch);
    p->license = fdup(a, h.license);
    p->source_rpm = fdup(a, h.sourcerpm);
    p->module = h.modularitylabel && *h.modularitylabel ? fdup(a, h.modularitylabel) : NULL;
    char *sname = NULL, *svr = NULL;
    if (p->source_rpm && split_srpm(a, p->source_rpm, &sname, &svr)) {
        p->source_name = sname;
        p->source_version = h.epoch > 0 ? dd_arena_printf(a, "%d:%s", h.epoch, svr) : svr;
    } else {
        p->source_name = name;
        p->source_version = p->version;
    }
    p->layer = c->layer;
    p->db_path = c->db_path;
    return 0;
}

int dd_rpmdb_parse(const uint8_t *data, size_t len, const char *db_path, int layer,
                   dd_inventory_t *inv, dd_err_t *e)
{
    struct blob_ctx c = {.inv = inv, .db_path = dd_arena_strdup(dd_inventory_arena(inv), db_path), .layer = layer, .e = e};
    int rc;
    if (len >= 16 && memcmp(data, "SQLite format 3", 16) == 0)
        rc = dd_rpmdb_sqlite_each(data, len, on_blob, &c, e);
    else if (len >= 4 && memcmp(data, "RpmP", 4) == 0)
        rc = dd_rpmdb_ndb_each(data, len, on_blob, &c, e);
    else if (len >= 16 && ((data[12] == 0x61 && data[13] == 0x15 && data[14] == 0x06 && data[15] == 0) ||
                           (data[12] == 0 && data[13] == 0x06 && data[14] == 0x15 && data[15] == 0x61)))
        rc = dd_rpmdb_bdb_each(data, len, on_blob, &c, e);
    else
        return dd_err(e, DD_ECORRUPT, "%s: not an rpm database (unknown format)", db_path);
    if (rc != DD_OK) return rc;
    if (c.count == 0 && c.bad > 0)
        return dd_err(e, DD_ECORRUPT, "%s: no readable package header", db_path);
    return DD_OK;
}

/* ---- the cataloger ------------------------------------------------------ */

static bool rpm_wants(const char *path)
{
    return dd_catalog_wants_owner(path, "rpm");
}

static const char *const rpm_dbs[] = {
    "usr/lib/sysimage/rpm/rpmdb.sqlite", "var/lib/rpm/rpmdb.sqlite",
    "usr/lib/sysimage/rpm/Packages.db",  "var/lib/rpm/Packages.db",
    "usr/lib/sysimage/rpm/Packages",     "var/lib/rpm/Packages",
};

static int rpm_run(dd_fileset_t *fs, dd_inventory_t *inv, dd_err_t *e)
{
    int first_rc = DD_DECLINED;
    for (size_t i = 0; i < sizeof rpm_dbs / sizeof rpm_dbs[0]; i++) {
        const dd_file_t *f = dd_fileset_get(fs, rpm_dbs[i]);
        if (!f) continue;
        size_t n0 = inv->n;
        dd_err_t e1 = {0};
        int rc = dd_rpmdb_parse(f->data, f->len, f->path, f->layer, inv, &e1);
        if (rc == DD_OK) return DD_OK;
        /* a database that fails contributes nothing; try the next one */
        while (inv->n > n0) dd_inventory_pop(inv);
        dd_catalog_warn_err(inv, f->path, &e1);
        if (first_rc == DD_DECLINED) {
            first_rc = rc;
            if (e) *e = e1;
        }
    }
    return first_rc;
}

const dd_cataloger_t dd_cataloger_rpm = {
    .version = DD_CATALOGER_V1,
    .name = "rpm",
    .wants = rpm_wants,
    .run = rpm_run,
};
