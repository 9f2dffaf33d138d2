/*
 * invcodec.c: the stored form of an image's inventory, so re-assessment can
 * match it again without re-analyzing layers.
 *
 * Binary, little-endian:
 *   "DDIV" u32 version (2; version 1, without the module string, is still read)
 *   6 strings: os id, version_id, name, pretty_name, codename, ecosystem
 *   u32 n, then per package: u8 type, i32 epoch, i32 layer, and 10 strings:
 *   name, version, source_name, source_version, arch, rpm_version,
 *   rpm_release, source_rpm, license, db_path, then (version 2) module
 *   u32 n_layers, then n_layers strings: the image's layer digests, so a
 *   finding can name the layer that added its package
 * A string is u32 length (0xffffffff = NULL) and its bytes.
 * The decoder treats its input as untrusted: every length and count is
 * checked against the bytes left before anything is allocated for it.
 * Decoding allocates the strings and the layer list in the inventory's
 * arena (one bump each), so re-assessment reads 100,000 packages with a
 * handful of mallocs; a failed decode resets the arena to where it was.
 */
#include "dd/scanner.h"

#include <stdlib.h>
#include <string.h>

#define INV_MAGIC "DDIV"
#define INV_VERSION 2u
#define NONE 0xffffffffu

static int put_u32(dd_buf_t *b, uint32_t v)
{
    unsigned char p[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    return dd_buf_append(b, p, 4);
}

static int put_str(dd_buf_t *b, const char *s)
{
    if (!s) return put_u32(b, NONE);
    size_t n = strlen(s);
    if (put_u32(b, (uint32_t)n)) return DD_ELIMIT;
    return dd_buf_append(b, s, n);
}

int dd_inventory_encode(const dd_inventory_t *inv, char *const *layers, size_t n_layers, dd_buf_t *out)
{
    int rc = dd_buf_append(out, INV_MAGIC, 4);
    rc |= put_u32(out, INV_VERSION);
    const dd_os_t *os = &inv->os;
    const char *oss[6] = {os->id, os->version_id, os->name, os->pretty_name, os->codename, os->ecosystem};
    for (int i = 0; i < 6; i++) rc |= put_str(out, oss[i]);
    rc |= put_u32(out, (uint32_t)inv->n);
    for (size_t i = 0; i < inv->n; i++) {
        const dd_package_t *p = &inv->pkgs[i];
        unsigned char t = (unsigned char)p->type;
        rc |= dd_buf_append(out, &t, 1);
        rc |= put_u32(out, (uint32_t)p->epoch);
        rc |= put_u32(out, (uint32_t)p->layer);
        const char *ss[10] = {p->name,        p->version,     p->source_name, p->source_version, p->arch,
                              p->rpm_version, p->rpm_release, p->source_rpm,  p->license,        p->db_path};
        for (int k = 0; k < 10; k++) rc |= put_str(out, ss[k]);
        rc |= put_str(out, p->module);
    }
    rc |= put_u32(out, (uint32_t)n_layers);
    for (size_t i = 0; i < n_layers; i++) rc |= put_str(out, layers[i]);
    return rc ? DD_ELIMIT : DD_OK;
}

typedef struct rd {
    const unsigned char *p;
    size_t n, off;
    bool bad;
} rd_t;

static uint32_t get_u32(rd_t *r)
{
    if (r->bad || r->n - r->off < 4) {
        r->bad = true;
        return 0;
    }
    const unsigned char *q = r->p + r->off;
    r->off += 4;
    return (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 | (uint32_t)q[3] << 24;
}

/* Each package takes at least this many input bytes: type, epoch, layer and
 * ten string lengths (a count above what is left is corrupt, checked before
 * anything is allocated for it). */
#define PKG_MIN_BYTES (1u + 4u + 4u + 10u * 4u)

static char *get_str(rd_t *r, dd_arena_t *a)
{
    uint32_t len = get_u32(r);
    if (r->bad || len == NONE) return NULL;
    /* the encoder writes C strings: a NUL inside one is corruption (it would
     * silently shorten the string) */
    if (len > DD_CATALOG_MAX_FIELD * 16u || r->n - r->off < len || memchr(r->p + r->off, '\0', len)) {
        r->bad = true;
        return NULL;
    }
    char *s = dd_arena_strndup(a, (const char *)r->p + r->off, len);
    r->off += len;
    return s;
}

int dd_inventory_decode(const void *p, size_t n, dd_inventory_t *inv, char ***layers, size_t *n_layers,
                        dd_err_t *e)
{
    rd_t r = {p, n, 0, false};
    if (n < 8 || memcmp(p, INV_MAGIC, 4) != 0) return dd_err(e, DD_ECORRUPT, "not a stored inventory");
    r.off = 4;
    uint32_t ver = get_u32(&r);
    if (ver != 1 && ver != INV_VERSION) return dd_err(e, DD_DECLINED, "stored inventory has another version");
    dd_arena_t *a = dd_inventory_arena(inv);
    dd_arena_mark_t mark = dd_arena_mark(a);
    size_t n0 = inv->n;
    dd_os_t os = {0};
    char **os_fields[6] = {&os.id, &os.version_id, &os.name, &os.pretty_name, &os.codename, &os.ecosystem};
    for (int k = 0; k < 6; k++) *os_fields[k] = get_str(&r, a);
    uint32_t count = get_u32(&r);
    if (count > DD_CATALOG_MAX_TOTAL_PKGS || count > (r.n - r.off) / PKG_MIN_BYTES) r.bad = true;
    if (!r.bad && inv->n + count > inv->cap) {
        inv->cap = inv->n + count;
        inv->pkgs = dd_realloc(inv->pkgs, (inv->cap ? inv->cap : 1) * sizeof *inv->pkgs);
    }
    for (uint32_t i = 0; i < count && !r.bad; i++) {
        if (r.off >= r.n) {
            r.bad = true;
            break;
        }
        dd_package_t *pk = dd_inventory_add(inv);
        if (!pk) {
            r.bad = true;
            break;
        }
        pk->type = (dd_pkg_type_t)r.p[r.off++];
        pk->epoch = (int)get_u32(&r);
        pk->layer = (int)get_u32(&r);
        char **ss[10] = {&pk->name,        &pk->version,     &pk->source_name, &pk->source_version, &pk->arch,
                         &pk->rpm_version, &pk->rpm_release, &pk->source_rpm,  &pk->license,        &pk->db_path};
        for (int k = 0; k < 10; k++) *ss[k] = get_str(&r, a);
        if (ver >= 2) pk->module = get_str(&r, a);
        if (!pk->name || !pk->version || pk->type < DD_PKG_DPKG || pk->type > DD_PKG_TYPE_LAST) r.bad = true;
    }
    char **ls = NULL;
    uint32_t nl = 0;
    if (!r.bad) {
        nl = get_u32(&r);
        /* a layer digest takes at least its 4 length bytes */
        if (nl > 100000 || nl > (r.n - r.off) / 4) r.bad = true;
        else ls = dd_arena_alloc(a, (nl ? nl : 1) * sizeof *ls);
        for (uint32_t i = 0; i < nl && !r.bad; i++)
            if (!(ls[i] = get_str(&r, a))) r.bad = true;
    }
    if (r.bad || r.off != r.n) {
        inv->n = n0;
        dd_arena_reset(a, mark);
        return dd_err(e, DD_ECORRUPT, "stored inventory is corrupt");
    }
    inv->os = os;
    if (layers) {
        *layers = ls;
        *n_layers = nl;
    }
    return DD_OK;
}
