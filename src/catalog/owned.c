/*
 * owned.c: which files OS packages own, so that an application package read
 * from a file an OS package installed is reported once, as the OS package
 * (Debian's python3-requests is the dpkg package python3-requests, not also
 * PyPI requests; Trivy reports both).
 *
 * Sources, all already in the fileset (the interest table keeps them):
 *   dpkg  var/lib/dpkg/info/<pkg>.list: one absolute path per line
 *   apk   lib/apk/db/installed: "F:dir" lines, then "R:file" lines in it
 *   rpm   each header's BASENAMES (1117), DIRNAMES (1118) and DIRINDEXES
 *         (1116): file i is DIRNAMES[DIRINDEXES[i]] + BASENAMES[i]
 *
 * Design notes
 *   - Memory: a Debian image with 300 packages owns about 50,000 paths; each
 *     is stored as a 64-bit FNV-1a hash of its normalized form (no leading
 *     "/") in one sorted array (8 bytes a path), at most DD_OWNED_MAX. A
 *     false positive needs a 64-bit collision with one of the image's
 *     owned paths.
 *   - It is built only when the inventory holds an application package
 *     (dd_catalog_run), so OS-only images pay nothing.
 */
#include "catalog/catalog_int.h"

#include <stdlib.h>
#include <string.h>

static uint64_t fnv_begin(void)
{
    return 0xcbf29ce484222325ull;
}

static uint64_t fnv_add(uint64_t h, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

void dd_owned_init(dd_owned_t *o)
{
    memset(o, 0, sizeof *o);
}

void dd_owned_release(dd_owned_t *o)
{
    free(o->h);
    dd_owned_init(o);
}

static void push(dd_owned_t *o, uint64_t h)
{
    if (o->n >= DD_OWNED_MAX) {
        o->truncated = true;
        return;
    }
    if (o->n == o->cap) {
        o->cap = o->cap ? o->cap * 2 : 1024;
        o->h = dd_realloc(o->h, o->cap * sizeof *o->h);
    }
    o->h[o->n++] = h;
    o->sorted = false;
}

/* Skips a leading "/" (or "./"). */
static void strip_root(const char **s, size_t *n)
{
    if (*n >= 2 && (*s)[0] == '.' && (*s)[1] == '/') *s += 2, *n -= 2;
    while (*n && **s == '/') (*s)++, (*n)--;
}

void dd_owned_add(dd_owned_t *o, const char *path, size_t n)
{
    strip_root(&path, &n);
    while (n && path[n - 1] == '/') n--;
    if (!n) return;
    push(o, fnv_add(fnv_begin(), path, n));
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static void finish(dd_owned_t *o)
{
    if (o->sorted) return;
    if (o->n > 1) qsort(o->h, o->n, sizeof *o->h, cmp_u64);
    size_t w = 0;
    for (size_t i = 0; i < o->n; i++)
        if (w == 0 || o->h[w - 1] != o->h[i]) o->h[w++] = o->h[i];
    o->n = w;
    o->sorted = true;
}

bool dd_owned_has(dd_owned_t *o, const char *path)
{
    finish(o);
    size_t n = strlen(path);
    strip_root(&path, &n);
    uint64_t h = fnv_add(fnv_begin(), path, n);
    size_t lo = 0, hi = o->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (o->h[mid] == h) return true;
        if (o->h[mid] < h) lo = mid + 1;
        else hi = mid;
    }
    return false;
}

/* ---- dpkg --------------------------------------------------------------- */

void dd_owned_add_dpkg_list(dd_owned_t *o, const char *data, size_t len)
{
    size_t i = 0;
    while (i < len) {
        const char *nl = memchr(data + i, '\n', len - i);
        size_t le = nl ? (size_t)(nl - data) : len;
        size_t ls = i;
        i = nl ? le + 1 : len;
        if (le > ls && data[le - 1] == '\r') le--;
        if (le > ls) dd_owned_add(o, data + ls, le - ls);
    }
}

/* ---- apk ---------------------------------------------------------------- */

void dd_owned_add_apk(dd_owned_t *o, const char *data, size_t len)
{
    const char *dir = NULL;
    size_t dl = 0, i = 0;
    while (i < len) {
        const char *nl = memchr(data + i, '\n', len - i);
        size_t le = nl ? (size_t)(nl - data) : len;
        size_t ls = i;
        i = nl ? le + 1 : len;
        if (le > ls && data[le - 1] == '\r') le--;
        if (le == ls) {
            dir = NULL; /* a new package */
            continue;
        }
        if (le - ls < 2 || data[ls + 1] != ':') continue;
        const char *v = data + ls + 2;
        size_t vn = le - ls - 2;
        if (data[ls] == 'F') {
            dir = v;
            dl = vn;
            dd_owned_add(o, v, vn);
        } else if (data[ls] == 'R' && vn) {
            const char *s = dir ? dir : "";
            size_t sn = dir ? dl : 0;
            strip_root(&s, &sn);
            uint64_t h = fnv_begin();
            if (sn) {
                h = fnv_add(h, s, sn);
                h = fnv_add(h, "/", 1);
            }
            push(o, fnv_add(h, v, vn));
        }
    }
}

/* ---- rpm ---------------------------------------------------------------- */

enum { TAG_DIRINDEXES = 1116, TAG_BASENAMES = 1117, TAG_DIRNAMES = 1118 };
enum { T_INT32 = 4, T_STRING_ARRAY = 8 };
#define RPM_MAX_DIRS 200000u

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int dd_owned_add_rpm_header(dd_owned_t *o, const uint8_t *b, size_t len)
{
    if (len < 8) return DD_ECORRUPT;
    uint32_t il = be32(b), dl = be32(b + 4);
    if (il == 0 || il > 0xffff || dl > 0x0fffffff || 8 + (uint64_t)il * 16 + dl > len) return DD_ECORRUPT;
    const uint8_t *idx = b + 8, *data = idx + (size_t)il * 16;
    uint32_t off[3] = {0}, cnt[3] = {0};
    bool have[3] = {false, false, false};
    for (uint32_t i = 0; i < il; i++) {
        const uint8_t *ent = idx + (size_t)i * 16;
        uint32_t tag = be32(ent), type = be32(ent + 4);
        if (tag < TAG_DIRINDEXES || tag > TAG_DIRNAMES) continue;
        int k = (int)(tag - TAG_DIRINDEXES);
        if (type != (k == 0 ? T_INT32 : T_STRING_ARRAY)) return DD_ECORRUPT;
        off[k] = be32(ent + 8);
        cnt[k] = be32(ent + 12);
        if (off[k] > dl) return DD_ECORRUPT;
        have[k] = true;
    }
    if (!have[0] || !have[1] || !have[2]) return DD_OK; /* no files (or old-style lists) */
    if (cnt[0] != cnt[1] || (uint64_t)cnt[0] * 4 > dl - off[0] || cnt[2] > RPM_MAX_DIRS) return DD_ECORRUPT;
    /* the directory names: offsets into the data */
    uint32_t *doff = dd_malloc(((size_t)cnt[2] + 1) * sizeof *doff);
    uint32_t *dlen = dd_malloc(((size_t)cnt[2] + 1) * sizeof *dlen);
    uint32_t p = off[2];
    int rc = DD_OK;
    for (uint32_t d = 0; d < cnt[2]; d++) {
        const uint8_t *z = p < dl ? memchr(data + p, '\0', dl - p) : NULL;
        if (!z) {
            rc = DD_ECORRUPT;
            goto out;
        }
        doff[d] = p;
        dlen[d] = (uint32_t)(z - (data + p));
        p += dlen[d] + 1;
    }
    p = off[1];
    for (uint32_t i = 0; i < cnt[1]; i++) {
        const uint8_t *z = p < dl ? memchr(data + p, '\0', dl - p) : NULL;
        uint32_t di = be32(data + off[0] + (size_t)i * 4);
        if (!z || di >= cnt[2]) {
            rc = DD_ECORRUPT;
            goto out;
        }
        const char *dn = (const char *)data + doff[di];
        size_t dn_len = dlen[di];
        strip_root(&dn, &dn_len);
        uint64_t h = fnv_add(fnv_begin(), dn, dn_len); /* DIRNAMES end in "/" */
        size_t bl = (size_t)(z - (data + p));
        push(o, fnv_add(h, (const char *)data + p, bl));
        p += (uint32_t)bl + 1;
    }
out:
    free(doff);
    free(dlen);
    return rc;
}

static int rpm_blob(const uint8_t *blob, size_t len, void *arg)
{
    (void)dd_owned_add_rpm_header(arg, blob, len); /* a bad header owns nothing */
    return 0;
}

/* ---- from a fileset ----------------------------------------------------- */

static int dpkg_list(const dd_file_t *f, void *arg)
{
    if (dd_catalog_wants_owner(f->path, "owned"))
        dd_owned_add_dpkg_list(arg, (const char *)f->data, f->len);
    return 0;
}

static const char *const rpm_dbs[] = {
    "usr/lib/sysimage/rpm/rpmdb.sqlite", "var/lib/rpm/rpmdb.sqlite",
    "usr/lib/sysimage/rpm/Packages.db",  "var/lib/rpm/Packages.db",
    "usr/lib/sysimage/rpm/Packages",     "var/lib/rpm/Packages",
};

void dd_owned_build(dd_fileset_t *fs, dd_owned_t *o)
{
    dd_fileset_each_prefix(fs, "var/lib/dpkg/info/", dpkg_list, o);
    const dd_file_t *f = dd_fileset_get(fs, "lib/apk/db/installed");
    if (f) dd_owned_add_apk(o, (const char *)f->data, f->len);
    for (size_t i = 0; i < sizeof rpm_dbs / sizeof rpm_dbs[0]; i++) {
        f = dd_fileset_get(fs, rpm_dbs[i]);
        if (!f) continue;
        const uint8_t *d = f->data;
        size_t n = f->len;
        int rc;
        if (n >= 16 && memcmp(d, "SQLite format 3", 16) == 0) rc = dd_rpmdb_sqlite_each(d, n, rpm_blob, o, NULL);
        else if (n >= 4 && memcmp(d, "RpmP", 4) == 0) rc = dd_rpmdb_ndb_each(d, n, rpm_blob, o, NULL);
        else rc = dd_rpmdb_bdb_each(d, n, rpm_blob, o, NULL);
        if (rc == DD_OK) break; /* the database the rpm cataloger read */
    }
    finish(o);
}

size_t dd_catalog_drop_owned(dd_inventory_t *inv, dd_owned_t *o)
{
    size_t w = 0, dropped = 0;
    char buf[4096];
    for (size_t i = 0; i < inv->n; i++) {
        dd_package_t *p = &inv->pkgs[i];
        bool owned = false;
        if (dd_pkg_type_is_app(p->type) && p->db_path) {
            /* "app.war!WEB-INF/lib/x.jar": the outer file is what is owned */
            const char *path = p->db_path;
            const char *bang = strchr(path, '!');
            if (bang && (size_t)(bang - path) < sizeof buf) {
                memcpy(buf, path, (size_t)(bang - path));
                buf[bang - path] = '\0';
                path = buf;
            }
            owned = dd_owned_has(o, path);
        }
        if (owned) {
            inv->owned_dropped[p->type]++;
            dropped++;
            continue;
        }
        if (w != i) inv->pkgs[w] = *p;
        w++;
    }
    inv->n = w;
    return dropped;
}
