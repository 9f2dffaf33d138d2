/*
 * golang.c: the Go cataloger: Go modules built into binaries, from the
 * records of the "elf" extractor (elf.c documents the record lines).
 *
 * Per binary (db_path = the binary's path in the image, layer = its layer):
 *   - the main module ("mod" line) with its version as written; "(devel)"
 *     (a build from a work tree) is kept as is; it is not a valid Go version,
 *     so it matches nothing;
 *   - every dependency ("dep"), or, when a "=>" line follows it, the
 *     replacement, which is what was built in (module@version of the
 *     replacement). A replacement by a local directory (no version) is not
 *     a published module: that dependency is left out;
 *   - the toolchain as the package "stdlib": "go1.19.8" gives version
 *     "1.19.8", "go1.21rc2" gives "1.21.0-rc.2" (the Go vulnerability
 *     database's spelling); a "devel" toolchain is not reported.
 * Pseudo-versions and "+incompatible" are kept as written: the Go comparator
 * (src/vercmp/semver.c) orders them. "!" lines of a record become warnings.
 */
#include "catalog/catalog_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GO_MAX_DEPS 20000 /* packages per binary */

bool dd_catalog_elf_record(const dd_file_t *f, const char **payload, size_t *n)
{
    const char *name;
    size_t nl;
    const unsigned char *p;
    if (!dd_catalog_record(f->data, f->len, &name, &nl, &p, n) || nl != 3 || memcmp(name, "elf", 3) != 0)
        return false;
    *payload = (const char *)p;
    return true;
}

/* Splits a tab-separated line into at most max fields; returns the count. */
static int fields(const char *s, size_t n, const char **f, size_t *fl, int max)
{
    int k = 0;
    while (k < max) {
        const char *t = memchr(s, '\t', n);
        size_t l = t ? (size_t)(t - s) : n;
        f[k] = s;
        fl[k++] = l;
        if (!t) break;
        s = t + 1;
        n -= l + 1;
    }
    return k;
}

static int add(dd_inventory_t *inv, const char *name, size_t nl, const char *ver, size_t vl,
               const char *db_path, int layer)
{
    dd_arena_t *a = dd_inventory_arena(inv);
    char *n = dd_catalog_field_dup(a, name, nl), *v = dd_catalog_field_dup(a, ver, vl);
    if (!n || !v) return DD_DECLINED;
    dd_package_t *p = dd_inventory_add(inv);
    if (!p) return DD_ELIMIT;
    p->type = DD_PKG_GOLANG;
    p->name = n;
    p->version = v;
    p->db_path = dd_arena_strdup(a, db_path);
    p->layer = layer;
    return DD_OK;
}

/* "go1.19.8" -> "1.19.8"; "go1.21rc2" -> "1.21.0-rc.2"; "go1.20" -> "1.20";
 * false for anything else ("devel ..."). */
static bool toolchain_version(const char *s, size_t n, char *out, size_t outsz)
{
    size_t end = 0;
    while (end < n && s[end] != ' ' && s[end] != '\t') end++;
    if (end < 3 || memcmp(s, "go1", 3) != 0 || end - 2 >= outsz) return false;
    const char *v = s + 2;
    size_t vl = end - 2;
    for (const char *tag = "rc"; tag; tag = strcmp(tag, "rc") == 0 ? "beta" : NULL) {
        const char *m = memmem(v, vl, tag, strlen(tag));
        if (!m) continue;
        int num = (int)(m - v);
        size_t dots = 0;
        for (int i = 0; i < num; i++) dots += v[i] == '.';
        const char *pre = m + strlen(tag);
        int pl = (int)(vl - (size_t)(pre - v));
        if (pl <= 0) return false;
        return snprintf(out, outsz, "%.*s%s-%s.%.*s", num, v, dots == 1 ? ".0" : "", tag, pl, pre) <
               (int)outsz;
    }
    memcpy(out, v, vl);
    out[vl] = '\0';
    for (size_t i = 0; i < vl; i++)
        if (!(out[i] == '.' || (out[i] >= '0' && out[i] <= '9'))) return false;
    return true;
}

int dd_golang_parse_record(const char *p, size_t n, const char *db_path, int layer, dd_inventory_t *inv)
{
    const char *end = p + n;
    const char *dep = NULL, *depv = NULL;
    size_t depl = 0, depvl = 0;
    int count = 0, rc = DD_OK;
    bool any = false;
    for (;;) {
        const char *nl = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;
        size_t ll = p < end ? (nl ? (size_t)(nl - p) : (size_t)(end - p)) : 0;
        const char *f[4];
        size_t fl[4];
        int k = p < end ? fields(p, ll, f, fl, 4) : 0;
        bool is_repl = k >= 2 && fl[0] == 2 && memcmp(f[0], "=>", 2) == 0;
        /* a pending dep is added unless this line replaces it */
        if (dep && !is_repl) {
            if (add(inv, dep, depl, depv, depvl, db_path, layer) == DD_ELIMIT) return DD_ELIMIT;
            dep = NULL;
        }
        if (p >= end) break;
        if (++count > GO_MAX_DEPS) {
            dd_inventory_warn(inv, "%s: go build info lists more than %d lines", db_path, GO_MAX_DEPS);
            return DD_ELIMIT;
        }
        if (ll && p[0] == '!') {
            dd_inventory_warn(inv, "%s: %.*s", db_path, (int)(ll - 1 > 400 ? 400 : ll - 1), p + 1);
        } else if (k >= 2 && fl[0] == 2 && memcmp(f[0], "go", 2) == 0) {
            char v[64];
            if (toolchain_version(f[1], fl[1], v, sizeof v)) {
                any = true;
                if ((rc = add(inv, "stdlib", 6, v, strlen(v), db_path, layer)) == DD_ELIMIT) return rc;
            }
        } else if (k >= 3 && fl[0] == 3 && memcmp(f[0], "mod", 3) == 0) {
            any = true;
            if (add(inv, f[1], fl[1], f[2], fl[2], db_path, layer) == DD_ELIMIT) return DD_ELIMIT;
        } else if (k >= 3 && fl[0] == 3 && memcmp(f[0], "dep", 3) == 0) {
            any = true;
            dep = f[1], depl = fl[1], depv = f[2], depvl = fl[2];
        } else if (is_repl) {
            /* the replacement is what was built in; a local directory (no
             * version) is not a module and is left out */
            dep = NULL;
            if (k >= 3 && fl[2] > 0 &&
                add(inv, f[1], fl[1], f[2], fl[2], db_path, layer) == DD_ELIMIT)
                return DD_ELIMIT;
        }
        p = nl ? nl + 1 : end;
    }
    return any ? DD_OK : DD_DECLINED;
}

struct walk {
    dd_inventory_t *inv;
    bool any;
    int rc;
};

static int each(const dd_file_t *f, void *arg)
{
    struct walk *w = arg;
    const char *p;
    size_t n;
    if (!dd_catalog_elf_record(f, &p, &n)) return 0;
    /* the Go lines; "rust" lines are the cargo cataloger's, and "!" lines
     * are reported here once for the whole record */
    int rc = dd_golang_parse_record(p, n, f->path, f->layer, w->inv);
    if (rc == DD_OK) w->any = true;
    if (rc == DD_ELIMIT && w->rc == DD_OK) w->rc = rc;
    return 0;
}

static bool wants(const char *path)
{
    (void)path;
    return false; /* reads extractor records only */
}

static int run(dd_fileset_t *fs, dd_inventory_t *inv, dd_err_t *e)
{
    struct walk w = {.inv = inv, .rc = DD_OK};
    dd_fileset_each_prefix(fs, "", each, &w);
    if (!w.any && w.rc != DD_OK) return dd_err(e, w.rc, "go build info over a limit");
    return w.any ? DD_OK : DD_DECLINED;
}

const dd_cataloger_t dd_cataloger_golang = {
    .version = DD_CATALOGER_V1,
    .name = "golang",
    .wants = wants,
    .run = run,
};
