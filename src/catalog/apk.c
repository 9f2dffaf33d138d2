/*
 * apk.c: the apk cataloger. Reads lib/apk/db/installed: stanzas separated by
 * blank lines, one "X:value" line per field with a one-letter key.
 *
 * Kept: P (name), V (version), A (arch), o (origin, the source package),
 * L (license). Stanzas without P or V are skipped with a warning (the real
 * alpine fixture has one without V). CRLF line ends are accepted.
 */
#include "catalog/catalog_int.h"

#include <stdlib.h>
#include <string.h>

struct stanza {
    const char *v[5];   /* P V A o L */
    size_t n[5];
    bool any;
};

enum { F_P, F_V, F_A, F_O, F_L };

/* db_path is the arena copy every package of the database shares. */
static int emit(struct stanza *st, char *db_path, int layer, dd_inventory_t *inv, dd_err_t *e)
{
    if (!st->any) return 0;
    dd_arena_t *a = dd_inventory_arena(inv);
    char *name = st->v[F_P] ? dd_catalog_field_dup(a, st->v[F_P], st->n[F_P]) : NULL;
    char *ver = st->v[F_V] ? dd_catalog_field_dup(a, st->v[F_V], st->n[F_V]) : NULL;
    if (!name || !ver) {
        dd_inventory_warn(inv, "%s: stanza %s%s%s without %s skipped", db_path, name ? "'" : "",
                          name ? name : "", name ? "'" : "", name ? "V:" : "P:");
        return 0;
    }
    dd_package_t *p = dd_inventory_add(inv);
    if (!p) return dd_err(e, DD_ELIMIT, "%s: too many packages", db_path);
    p->type = DD_PKG_APK;
    p->name = name;
    p->version = ver;
    p->arch = st->v[F_A] ? dd_catalog_field_dup(a, st->v[F_A], st->n[F_A]) : NULL;
    p->license = st->v[F_L] ? dd_catalog_field_dup(a, st->v[F_L], st->n[F_L]) : NULL;
    p->source_name = st->v[F_O] ? dd_catalog_field_dup(a, st->v[F_O], st->n[F_O]) : NULL;
    if (!p->source_name) p->source_name = name;
    p->source_version = ver;
    p->layer = layer;
    p->db_path = db_path;
    return 1;
}

int dd_apk_parse(const char *data, size_t len, const char *db_path, int layer,
                 dd_inventory_t *inv, dd_err_t *e)
{
    struct stanza st = {0};
    size_t i = 0, count = 0;
    char *dbp = dd_arena_strdup(dd_inventory_arena(inv), db_path);
    for (;;) {
        size_t ls = i;
        while (i < len && data[i] != '\n') i++;
        size_t le = i;
        bool at_end = i >= len;
        i++;
        if (le > ls && data[le - 1] == '\r') le--;
        bool blank = le == ls;
        if (!blank && le - ls >= 2 && data[ls + 1] == ':') {
            int f = -1;
            switch (data[ls]) {
            case 'P': f = F_P; break;
            case 'V': f = F_V; break;
            case 'A': f = F_A; break;
            case 'o': f = F_O; break;
            case 'L': f = F_L; break;
            default: break;
            }
            st.any = true;
            if (f >= 0) {
                st.v[f] = data + ls + 2;
                st.n[f] = le - ls - 2;
            }
        }
        if (blank || at_end) {
            int rc = emit(&st, dbp, layer, inv, e);
            if (rc < 0) return rc;
            if (rc > 0 && ++count > DD_CATALOG_MAX_PKGS) {
                dd_inventory_pop(inv);
                return dd_err(e, DD_ELIMIT, "%s: more than %d packages", db_path, DD_CATALOG_MAX_PKGS);
            }
            memset(&st, 0, sizeof st);
        }
        if (at_end) break;
    }
    return DD_OK;
}

static bool apk_wants(const char *path)
{
    return dd_catalog_wants_owner(path, "apk");
}

static int apk_run(dd_fileset_t *fs, dd_inventory_t *inv, dd_err_t *e)
{
    const dd_file_t *f = dd_fileset_get(fs, "lib/apk/db/installed");
    if (!f) return DD_DECLINED;
    dd_err_t e1 = {0};
    int rc = dd_apk_parse((const char *)f->data, f->len, f->path, f->layer, inv, &e1);
    if (rc != DD_OK) {
        dd_catalog_warn_err(inv, f->path, &e1);
        if (e) *e = e1;
    }
    return rc;
}

const dd_cataloger_t dd_cataloger_apk = {
    .version = DD_CATALOGER_V1,
    .name = "apk",
    .wants = apk_wants,
    .run = apk_run,
};
