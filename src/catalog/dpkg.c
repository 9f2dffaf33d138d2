/*
 * dpkg.c: the dpkg cataloger. Reads var/lib/dpkg/status (RFC 822-style
 * stanzas separated by blank lines) and the distroless variant
 * var/lib/dpkg/status.d/<name> (one or more stanzas per file, *.md5sums
 * ignored by the interest table).
 *
 * A stanza is a package when its Status: field's third word is "installed"
 * ("install ok installed", "hold ok installed"). In status.d files a stanza
 * without Status: is installed (distroless writes none). Field names are
 * case-insensitive; continuation lines (leading blank) are skipped since
 * none of the kept fields is multi-line; CRLF line ends are accepted.
 *
 * Kept: Package, Version, Architecture, Source ("name" or "name (version)").
 */
#include "catalog/catalog_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct stanza {
    const char *pkg, *ver, *arch, *src, *status;
    size_t pkg_n, ver_n, arch_n, src_n, status_n;
    bool any;        /* saw at least one field */
};

static bool field_is(const char *k, size_t kl, const char *name)
{
    return strlen(name) == kl && strncasecmp(k, name, kl) == 0;
}

/* Status third word == "installed". */
static bool status_installed(const char *s, size_t n)
{
    size_t i = 0;
    for (int word = 0; word < 3; word++) {
        while (i < n && (s[i] == ' ' || s[i] == '\t')) i++;
        size_t ws = i;
        while (i < n && s[i] != ' ' && s[i] != '\t' && s[i] != '\r') i++;
        if (word == 2) return i - ws == 9 && memcmp(s + ws, "installed", 9) == 0;
        if (i == ws) return false;
    }
    return false;
}

/* Epoch of a dpkg version: digits before the first ':' (-1 if none). */
static int dpkg_epoch(const char *v)
{
    const char *c = strchr(v, ':');
    if (!c || c == v) return -1;
    long e = 0;
    for (const char *p = v; p < c; p++) {
        if (!isdigit((unsigned char)*p)) return -1;
        e = e * 10 + (*p - '0');
        if (e > 0x7fffffff) return -1;
    }
    return (int)e;
}

/* Returns 1 if a package was added, 0 if the stanza was skipped, <0 on a limit. */
/* db_path is the arena copy every package of the database shares. */
static int emit(struct stanza *st, bool status_d, char *db_path, int layer,
                dd_inventory_t *inv, dd_err_t *e)
{
    if (!st->any) return 0;
    if (st->status) {
        if (!status_installed(st->status, st->status_n)) return 0;
    } else if (!status_d) {
        return 0;
    }
    dd_arena_t *a = dd_inventory_arena(inv);
    char *name = st->pkg ? dd_catalog_field_dup(a, st->pkg, st->pkg_n) : NULL;
    char *ver = st->ver ? dd_catalog_field_dup(a, st->ver, st->ver_n) : NULL;
    if (!name || !ver) {
        dd_inventory_warn(inv, "%s: installed stanza without %s skipped", db_path,
                          name ? "Version" : "Package");
        return 0;
    }
    dd_package_t *p = dd_inventory_add(inv);
    if (!p) return dd_err(e, DD_ELIMIT, "%s: too many packages", db_path);
    p->type = DD_PKG_DPKG;
    p->name = name;
    p->version = ver;
    p->epoch = dpkg_epoch(ver);
    p->arch = st->arch ? dd_catalog_field_dup(a, st->arch, st->arch_n) : NULL;
    p->layer = layer;
    p->db_path = db_path;
    char *src = st->src ? dd_catalog_field_dup(a, st->src, st->src_n) : NULL;
    if (src) {
        /* "name" or "name (version)" */
        char *sp = src;
        while (*sp && *sp != ' ' && *sp != '\t' && *sp != '(') sp++;
        const char *lp = strchr(sp, '(');
        const char *rp = lp ? strchr(lp, ')') : NULL;
        if (lp && rp && rp > lp + 1) p->source_version = dd_catalog_field_dup(a, lp + 1, (size_t)(rp - lp - 1));
        *sp = '\0';
        if (*src) p->source_name = src;
    }
    if (!p->source_name) p->source_name = name;
    if (!p->source_version) p->source_version = ver;
    return 1;
}

int dd_dpkg_parse(const char *data, size_t len, bool status_d, const char *db_path, int layer,
                  dd_inventory_t *inv, dd_err_t *e)
{
    struct stanza st = {0};
    size_t i = 0, count = 0;
    char *dbp = dd_arena_strdup(dd_inventory_arena(inv), db_path);
    while (i <= len) {
        size_t ls = i;
        while (i < len && data[i] != '\n') i++;
        size_t le = i;
        bool at_end = i >= len;
        i++;
        size_t l2 = le;
        if (l2 > ls && data[l2 - 1] == '\r') l2--;
        bool blank = true;
        for (size_t k = ls; k < l2; k++)
            if (data[k] != ' ' && data[k] != '\t') { blank = false; break; }
        if (blank) {
            int rc = emit(&st, status_d, dbp, layer, inv, e);
            if (rc < 0) return rc;
            if (rc > 0 && ++count > DD_CATALOG_MAX_PKGS) {
                dd_inventory_pop(inv);
                return dd_err(e, DD_ELIMIT, "%s: more than %d packages", db_path, DD_CATALOG_MAX_PKGS);
            }
            memset(&st, 0, sizeof st);
            if (at_end) break;
            continue;
        }
        if (data[ls] == ' ' || data[ls] == '\t' || data[ls] == '#') {
            if (at_end) {
                int rc = emit(&st, status_d, dbp, layer, inv, e);
                if (rc < 0) return rc;
                break;
            }
            continue; /* continuation line or comment */
        }
        const char *colon = memchr(data + ls, ':', l2 - ls);
        if (colon) {
            const char *k = data + ls;
            size_t kl = (size_t)(colon - k);
            const char *v = colon + 1;
            size_t vl = l2 - (size_t)(v - data);
            st.any = true;
            if (field_is(k, kl, "Package")) st.pkg = v, st.pkg_n = vl;
            else if (field_is(k, kl, "Version")) st.ver = v, st.ver_n = vl;
            else if (field_is(k, kl, "Architecture")) st.arch = v, st.arch_n = vl;
            else if (field_is(k, kl, "Source")) st.src = v, st.src_n = vl;
            else if (field_is(k, kl, "Status")) st.status = v, st.status_n = vl;
        }
        if (at_end) {
            int rc = emit(&st, status_d, dbp, layer, inv, e);
            if (rc < 0) return rc;
            if (rc > 0 && ++count > DD_CATALOG_MAX_PKGS) {
                dd_inventory_pop(inv);
                return dd_err(e, DD_ELIMIT, "%s: more than %d packages", db_path, DD_CATALOG_MAX_PKGS);
            }
            break;
        }
    }
    return DD_OK;
}

/* ---- the cataloger ------------------------------------------------------- */

static bool dpkg_wants(const char *path)
{
    return dd_catalog_wants_owner(path, "dpkg");
}

struct statusd_ctx {
    dd_inventory_t *inv;
    int nread, nfail, first_rc;
    dd_err_t first;
};

static int statusd_one(const dd_file_t *f, void *arg)
{
    struct statusd_ctx *c = arg;
    if (!dd_catalog_wants_owner(f->path, "dpkg")) return 0; /* *.md5sums, dot files */
    dd_err_t e1 = {0};
    int rc = dd_dpkg_parse((const char *)f->data, f->len, true, f->path, f->layer, c->inv, &e1);
    if (rc == DD_OK) {
        c->nread++;
    } else {
        c->nfail++;
        dd_catalog_warn_err(c->inv, f->path, &e1);
        if (!c->first_rc) {
            c->first_rc = rc;
            c->first = e1;
        }
    }
    return 0;
}

static int dpkg_run(dd_fileset_t *fs, dd_inventory_t *inv, dd_err_t *e)
{
    struct statusd_ctx c = {.inv = inv};
    const dd_file_t *f = dd_fileset_get(fs, "var/lib/dpkg/status");
    if (f) {
        dd_err_t e1 = {0};
        int rc = dd_dpkg_parse((const char *)f->data, f->len, false, f->path, f->layer, inv, &e1);
        if (rc == DD_OK) {
            c.nread++;
        } else {
            c.nfail++;
            dd_catalog_warn_err(inv, f->path, &e1);
            c.first_rc = rc;
            c.first = e1;
        }
    }
    dd_fileset_each_prefix(fs, "var/lib/dpkg/status.d/", statusd_one, &c);
    if (c.nread) return DD_OK;
    if (c.nfail) {
        if (e) *e = c.first;
        return c.first_rc;
    }
    return DD_DECLINED;
}

const dd_cataloger_t dd_cataloger_dpkg = {
    .version = DD_CATALOGER_V1,
    .name = "dpkg",
    .wants = dpkg_wants,
    .run = dpkg_run,
};
