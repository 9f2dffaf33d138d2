/*
 * lang.c: helpers shared by the application-package catalogers (node.c,
 * ruby.c, php.c, dotnet.c, java.c): adding a package with the common field
 * rules, dropping duplicates, and the per-file run() loop. See lang_int.h.
 */
#include "catalog/lang_int.h"

#include <stdlib.h>
#include <string.h>

int dd_lang_add(dd_inventory_t *inv, dd_pkg_type_t type, const char *name, size_t nn,
                const char *version, size_t vn, char *db_path, int layer, dd_err_t *e)
{
    dd_arena_t *a = dd_inventory_arena(inv);
    char *n = name ? dd_catalog_field_dup(a, name, nn) : NULL;
    char *v = version ? dd_catalog_field_dup(a, version, vn) : NULL;
    if (!n || !v) {
        dd_inventory_warn(inv, "%s: package %s%s%s without a usable %s skipped", db_path,
                          n ? "'" : "", n ? n : "", n ? "'" : "", n ? "version" : "name");
        return 0;
    }
    dd_package_t *p = dd_inventory_add(inv);
    if (!p) return dd_err(e, DD_ELIMIT, "%s: too many packages", db_path);
    p->type = type;
    p->name = n;
    p->version = v;
    p->source_name = n;
    p->source_version = v;
    p->layer = layer;
    p->db_path = db_path;
    return 1;
}

static int cmp_nvp(const void *x, const void *y)
{
    const dd_package_t *a = x, *b = y;
    if (a->type != b->type) return (int)a->type - (int)b->type;
    int c = strcmp(a->name, b->name);
    if (c == 0) c = strcmp(a->version, b->version);
    if (c == 0) c = strcmp(a->db_path, b->db_path);
    return c;
}

void dd_lang_dedup(dd_inventory_t *inv, size_t from)
{
    if (inv->n < from + 2) return;
    dd_package_t *v = inv->pkgs + from;
    size_t n = inv->n - from, o = 1;
    qsort(v, n, sizeof *v, cmp_nvp);
    for (size_t i = 1; i < n; i++)
        if (cmp_nvp(&v[i], &v[o - 1]) != 0) v[o++] = v[i];
    inv->n = from + o;
}

struct each_ctx {
    const char *owner;
    int (*fn)(const dd_file_t *f, void *arg);
    void *arg;
};

static int each_one(const dd_file_t *f, void *arg)
{
    struct each_ctx *c = arg;
    if (!dd_catalog_wants_owner(f->path, c->owner)) return 0;
    return c->fn(f, c->arg);
}

int dd_lang_each(dd_fileset_t *fs, const char *owner, int (*fn)(const dd_file_t *f, void *arg),
                 void *arg)
{
    struct each_ctx c = {.owner = owner, .fn = fn, .arg = arg};
    return dd_fileset_each_prefix(fs, "", each_one, &c);
}

struct run_ctx {
    dd_fileset_t *fs;
    dd_lang_file_fn fn;
    dd_inventory_t *inv;
    int nfiles, nok, first_rc;
    dd_err_t first;
};

static int run_one(const dd_file_t *f, void *arg)
{
    struct run_ctx *c = arg;
    dd_err_t e1 = {0};
    size_t from = c->inv->n;
    c->nfiles++;
    const char *nm;
    size_t nl, pl;
    const unsigned char *pay;
    if (dd_catalog_record(f->data, f->len, &nm, &nl, &pay, &pl)) {
        /* a "!" record: the analyzer could not keep the file (over its cap) */
        if (pl && pay[0] == '!')
            dd_inventory_warn(c->inv, "%s: %.*s", f->path, (int)(pl - 1 > 300 ? 300 : pl - 1),
                              (const char *)pay + 1);
        c->nok++;
        return 0;
    }
    int rc = c->fn(c->fs, f, c->inv, &e1);
    dd_lang_dedup(c->inv, from);
    if (rc == DD_OK || rc == DD_DECLINED) {
        c->nok++;
        return 0;
    }
    dd_catalog_warn_err(c->inv, f->path, &e1);
    if (c->first_rc == DD_OK) {
        c->first_rc = rc;
        c->first = e1;
    }
    /* a full inventory stops the walk; anything else is one bad file */
    return c->inv->n >= DD_CATALOG_MAX_TOTAL_PKGS ? 1 : 0;
}

int dd_lang_run(dd_fileset_t *fs, const char *owner, dd_lang_file_fn fn, dd_inventory_t *inv,
                dd_err_t *e)
{
    struct run_ctx c = {.fs = fs, .fn = fn, .inv = inv};
    dd_lang_each(fs, owner, run_one, &c);
    if (c.nfiles == 0) return DD_DECLINED;
    if (c.nok > 0 || c.first_rc == DD_OK) return DD_OK;
    if (e) *e = c.first;
    return c.first_rc;
}
