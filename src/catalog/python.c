/*
 * python.c: the Python cataloger. Reads the core metadata of installed
 * distributions: *.dist-info/METADATA (wheels, pip), *.egg-info/PKG-INFO
 * (setuptools, directory form; Debian's python3-* packages) and *.egg-info
 * files (the older file form). The path rules in catalog.c keep them.
 *
 * The format is RFC 822-style headers ("Name: requests"), one per line,
 * continuation lines starting with a space or tab, ending at the first blank
 * line (the body: the long description). Kept: Name (as published, e.g.
 * "PyYAML"; the matcher normalizes it per PEP 503), Version (as published),
 * and License-Expression, else the first line of License (skipped when it is
 * "UNKNOWN" or empty). A file without Name or Version, or whose header
 * section has a line that is neither "Key: value" nor a continuation, is
 * skipped with a warning. Every field is bounded (DD_CATALOG_MAX_FIELD).
 */
#include "catalog/catalog_int.h"

#include <string.h>
#include <strings.h>

enum { F_NAME, F_VERSION, F_LICENSE, F_LICENSE_EXPR, F_N };

static const char *const keys[F_N] = {"Name", "Version", "License", "License-Expression"};

/* True for a name or version as published: printable ASCII without blanks. */
static bool token_ok(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f) return false;
    return true;
}

int dd_python_metadata_parse(const char *data, size_t len, const char *db_path, int layer,
                             dd_inventory_t *inv, dd_err_t *e)
{
    const char *v[F_N] = {0};
    size_t vn[F_N] = {0};
    size_t i = 0;
    if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0) i = 3; /* UTF-8 BOM */
    while (i < len) {
        size_t ls = i;
        const char *nl = memchr(data + i, '\n', len - i);
        size_t le = nl ? (size_t)(nl - data) : len;
        i = nl ? le + 1 : len;
        if (le > ls && data[le - 1] == '\r') le--;
        if (le == ls) break; /* end of the headers: the body follows */
        if (data[ls] == ' ' || data[ls] == '\t') continue; /* continuation */
        const char *colon = memchr(data + ls, ':', le - ls);
        if (!colon || colon == data + ls)
            return dd_err(e, DD_ECORRUPT, "malformed metadata header at byte %zu", ls);
        size_t kl = (size_t)(colon - (data + ls));
        for (int f = 0; f < F_N; f++) {
            if (v[f] || strlen(keys[f]) != kl || strncasecmp(keys[f], data + ls, kl) != 0) continue;
            v[f] = colon + 1;
            vn[f] = le - (size_t)(colon + 1 - data);
        }
    }
    dd_arena_t *a = dd_inventory_arena(inv);
    char *name = v[F_NAME] ? dd_catalog_field_dup(a, v[F_NAME], vn[F_NAME]) : NULL;
    char *ver = v[F_VERSION] ? dd_catalog_field_dup(a, v[F_VERSION], vn[F_VERSION]) : NULL;
    if (!name || !ver)
        return dd_err(e, DD_ECORRUPT, "metadata without %s", name ? "a Version" : "a Name");
    if (!token_ok(name) || !token_ok(ver))
        return dd_err(e, DD_ECORRUPT, "bad name or version '%.64s' '%.64s'", name, ver);
    char *lic = NULL;
    if (v[F_LICENSE_EXPR]) lic = dd_catalog_field_dup(a, v[F_LICENSE_EXPR], vn[F_LICENSE_EXPR]);
    if (!lic && v[F_LICENSE]) {
        lic = dd_catalog_field_dup(a, v[F_LICENSE], vn[F_LICENSE]);
        if (lic && strcmp(lic, "UNKNOWN") == 0) lic = NULL;
    }
    dd_package_t *p = dd_inventory_add(inv);
    if (!p) return dd_err(e, DD_ELIMIT, "too many packages");
    p->type = DD_PKG_PYPI;
    p->name = name;
    p->version = ver;
    p->source_name = name;
    p->source_version = ver;
    p->license = lic;
    p->layer = layer;
    p->db_path = dd_arena_strdup(a, db_path);
    return DD_OK;
}

static bool python_wants(const char *path)
{
    return dd_catalog_wants_owner(path, "python");
}

struct run_ctx {
    dd_inventory_t *inv;
    int nread;
};

static int one(const dd_file_t *f, void *arg)
{
    struct run_ctx *c = arg;
    if (!python_wants(f->path)) return 0;
    const char *nm;
    size_t nl, pl;
    const unsigned char *pay;
    if (dd_catalog_record(f->data, f->len, &nm, &nl, &pay, &pl)) {
        /* the analyzer's "!" record: over the size limit */
        if (pl && pay[0] == '!') dd_inventory_warn(c->inv, "%s: %.*s", f->path, (int)(pl - 1), pay + 1);
        return 0;
    }
    dd_err_t e = {0};
    if (dd_python_metadata_parse((const char *)f->data, f->len, f->path, f->layer, c->inv, &e) == DD_OK)
        c->nread++;
    else
        dd_catalog_warn_err(c->inv, f->path, &e);
    return 0;
}

static int python_run(dd_fileset_t *fs, dd_inventory_t *inv, dd_err_t *e)
{
    (void)e;
    struct run_ctx c = {.inv = inv};
    dd_fileset_each_prefix(fs, "", one, &c);
    return c.nread ? DD_OK : DD_DECLINED;
}

const dd_cataloger_t dd_cataloger_python = {
    .version = DD_CATALOGER_V1,
    .name = "python",
    .wants = python_wants,
    .run = python_run,
};
