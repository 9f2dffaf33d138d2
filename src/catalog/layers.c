/*
 * layers.c: which layer added each package.
 *
 * After the overlay, a package database file carries the layer that wrote
 * it last, so every package in it would be attributed to that layer. When
 * the caller (the layer analyzer) still has the earlier versions of the
 * file, one per layer that wrote it, dd_catalog_attribute_layers() refines
 * each package's layer to the first layer from which on every version of
 * its database lists it with the same name, version and arch.
 *
 * Design notes
 *   - hist[] versions are grouped by path and ordered by layer; versions of
 *     paths no package came from are ignored.
 *   - A version that does not parse ends the walk down for that database:
 *     packages keep the earliest layer above it (never a guess below it).
 *   - Cost: one parse per version, then a binary search per package and
 *     version.
 *   - Memory: one scratch arena for the pass; each database path's versions,
 *     keys and key sets go at a reset to the mark taken before it.
 */
#include "catalog/catalog_int.h"

#include <stdlib.h>
#include <string.h>

static char *pkg_key(dd_arena_t *a, const dd_package_t *p)
{
    return dd_arena_printf(a, "%s\t%s\t%s", p->name ? p->name : "", p->version ? p->version : "", p->arch ? p->arch : "");
}

static int cmp_strp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_file_layer(const void *a, const void *b)
{
    const dd_file_t *x = *(const dd_file_t *const *)a, *y = *(const dd_file_t *const *)b;
    return (x->layer > y->layer) - (x->layer < y->layer);
}

struct keyset {
    char **keys;
    size_t n;
    bool ok;    /* false: this version could not be read */
    int layer;
};

/* Parses one version of a database by its path. */
static int parse_version(const dd_file_t *f, dd_inventory_t *tmp, dd_err_t *e)
{
    if (strcmp(f->path, "var/lib/dpkg/status") == 0)
        return dd_dpkg_parse((const char *)f->data, f->len, false, f->path, f->layer, tmp, e);
    if (dd_str_startswith(f->path, "var/lib/dpkg/status.d/"))
        return dd_dpkg_parse((const char *)f->data, f->len, true, f->path, f->layer, tmp, e);
    if (strcmp(f->path, "lib/apk/db/installed") == 0)
        return dd_apk_parse((const char *)f->data, f->len, f->path, f->layer, tmp, e);
    if (dd_catalog_wants_owner(f->path, "rpm"))
        return dd_rpmdb_parse(f->data, f->len, f->path, f->layer, tmp, e);
    return DD_DECLINED;
}

static void keyset_load(struct keyset *ks, const dd_file_t *f, dd_arena_t *a)
{
    dd_inventory_t tmp;
    dd_inventory_init_in(&tmp, a);
    dd_err_t e = {0};
    ks->layer = f->layer;
    ks->ok = parse_version(f, &tmp, &e) == DD_OK;
    ks->n = tmp.n;
    ks->keys = dd_arena_alloc(a, (tmp.n ? tmp.n : 1) * sizeof *ks->keys);
    for (size_t i = 0; i < tmp.n; i++) ks->keys[i] = pkg_key(a, &tmp.pkgs[i]);
    qsort(ks->keys, ks->n, sizeof *ks->keys, cmp_strp);
    dd_inventory_release(&tmp);
}

static bool keyset_has(const struct keyset *ks, const char *key)
{
    return bsearch(&key, ks->keys, ks->n, sizeof *ks->keys, cmp_strp) != NULL;
}

int dd_catalog_attribute_layers(dd_inventory_t *inv, const dd_file_t *hist, size_t nhist, dd_err_t *e)
{
    (void)e;
    if (nhist == 0 || inv->n == 0) return DD_OK;
    const dd_file_t **order = dd_malloc(nhist * sizeof *order);
    bool *done = dd_calloc(nhist, sizeof *done);
    dd_arena_t scratch;
    dd_arena_init(&scratch);
    for (size_t i = 0; i < nhist; i++) {
        if (done[i] || !hist[i].path) continue;
        /* gather this path's versions, in layer order */
        size_t nv = 0;
        for (size_t j = i; j < nhist; j++) {
            if (!done[j] && hist[j].path && strcmp(hist[j].path, hist[i].path) == 0) {
                order[nv++] = &hist[j];
                done[j] = true;
            }
        }
        bool used = false;
        for (size_t k = 0; k < inv->n && !used; k++)
            used = inv->pkgs[k].db_path && strcmp(inv->pkgs[k].db_path, hist[i].path) == 0;
        if (!used) continue;
        qsort(order, nv, sizeof *order, cmp_file_layer);
        dd_arena_mark_t mark = dd_arena_mark(&scratch);
        struct keyset *ks = dd_arena_alloc(&scratch, nv * sizeof *ks);
        for (size_t v = 0; v < nv; v++) keyset_load(&ks[v], order[v], &scratch);
        for (size_t k = 0; k < inv->n; k++) {
            dd_package_t *p = &inv->pkgs[k];
            if (!p->db_path || strcmp(p->db_path, hist[i].path) != 0) continue;
            char *key = pkg_key(&scratch, p);
            int layer = p->layer;
            /* walk down from the newest version not above the package's own layer */
            for (size_t v = nv; v-- > 0;) {
                if (p->layer >= 0 && ks[v].layer > p->layer) continue;
                if (!ks[v].ok || !keyset_has(&ks[v], key)) break;
                layer = ks[v].layer;
            }
            p->layer = layer;
        }
        dd_arena_reset(&scratch, mark);
    }
    dd_arena_release(&scratch);
    free(order);
    free(done);
    return DD_OK;
}
