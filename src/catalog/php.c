/*
 * php.c: the PHP cataloger ("composer"). Reads vendor/composer/installed.json,
 * which Composer writes for every package it installed into vendor/:
 * Composer 1 as a top-level array of packages, Composer 2 as
 * {"packages": [...], "dev": bool, "dev-package-names": [...]}.
 *
 * Design notes
 *   - Each package's "name" ("vendor/package", as published on Packagist)
 *     and "version" are kept. Composer writes the version as the tag was
 *     named ("v5.4.21" for Symfony), while Packagist's OSV/GHSA records
 *     give bare versions ("5.4.21"): a leading "v" before a digit is
 *     dropped, so the versions compare. Branch versions ("dev-main",
 *     "1.x-dev") are kept as written.
 *   - Development packages (Composer 2's "dev-package-names") are installed
 *     in vendor/ like the others and are reported like them: the inventory
 *     has no field to flag them (see docs/catalog.md).
 *   - An entry of the wrong JSON type, or without a string name or version,
 *     is skipped with a warning.
 */
#include "catalog/lang_int.h"

#include <ctype.h>
#include <jansson.h>
#include <string.h>

int dd_composer_parse_installed(const char *data, size_t len, const char *path, int layer,
                                dd_inventory_t *inv, dd_err_t *e)
{
    json_error_t je;
    json_t *doc = json_loadb(data, len, 0, &je);
    if (!doc) return dd_err(e, DD_ECORRUPT, "not valid JSON: %s (line %d)", je.text, je.line);
    json_t *pkgs = json_is_array(doc) ? doc : json_object_get(doc, "packages");
    int rc = DD_OK;
    if (!json_is_array(pkgs)) {
        rc = dd_err(e, DD_ECORRUPT, "installed.json without a packages array");
        goto out;
    }
    if (json_array_size(pkgs) > DD_CATALOG_MAX_PKGS) {
        rc = dd_err(e, DD_ELIMIT, "more than %d packages", DD_CATALOG_MAX_PKGS);
        goto out;
    }
    char *dbp = dd_arena_strdup(dd_inventory_arena(inv), path);
    size_t i;
    json_t *p;
    json_array_foreach(pkgs, i, p) {
        json_t *name = json_object_get(p, "name"), *ver = json_object_get(p, "version");
        if (!json_is_string(name) || !json_is_string(ver)) {
            dd_inventory_warn(inv, "%s: package %zu without a string name and version skipped", path, i);
            continue;
        }
        const char *v = json_string_value(ver);
        size_t vn = json_string_length(ver);
        if (vn > 1 && (v[0] == 'v' || v[0] == 'V') && isdigit((unsigned char)v[1])) v++, vn--;
        int r = dd_lang_add(inv, DD_PKG_COMPOSER, json_string_value(name), json_string_length(name), v,
                            vn, dbp, layer, e);
        if (r < 0) {
            rc = r;
            break;
        }
    }
out:
    json_decref(doc);
    return rc;
}

static bool composer_wants(const char *path)
{
    return dd_catalog_wants_owner(path, "composer");
}

static int composer_file(dd_fileset_t *fs, const dd_file_t *f, dd_inventory_t *inv, dd_err_t *e)
{
    (void)fs;
    return dd_composer_parse_installed((const char *)f->data, f->len, f->path, f->layer, inv, e);
}

static int composer_run(dd_fileset_t *fs, dd_inventory_t *inv, dd_err_t *e)
{
    return dd_lang_run(fs, "composer", composer_file, inv, e);
}

const dd_cataloger_t dd_cataloger_composer = {
    .version = DD_CATALOGER_V1,
    .name = "composer",
    .wants = composer_wants,
    .run = composer_run,
};
