/*
 * dotnet.c: the .NET cataloger ("nuget"). Reads <app>.deps.json, the
 * dependency manifest `dotnet publish` writes next to an application:
 *
 *     {"runtimeTarget": {"name": ".NETCoreApp,Version=v6.0"},
 *      "targets": {".NETCoreApp,Version=v6.0": {"Newtonsoft.Json/13.0.1": {...}}},
 *      "libraries": {"MyApp/1.0.0": {"type": "project"},
 *                    "Newtonsoft.Json/13.0.1": {"type": "package", ...}}}
 *
 * Design notes
 *   - Every "libraries" entry of type "package" is a NuGet package; its key
 *     is "Name/Version" (split at the last '/'). "project" and "reference"
 *     entries are the application's own assemblies: skipped.
 *   - When the runtime target (runtimeTarget.name) is listed in "targets",
 *     a package missing from it is not part of what runs (a compile-time
 *     only dependency) and is skipped.
 *   - Names are kept as published ("Newtonsoft.Json"); NuGet names are
 *     case-insensitive, which the matcher's normalization handles.
 */
#include "catalog/lang_int.h"

#include <jansson.h>
#include <string.h>

int dd_nuget_parse_deps_json(const char *data, size_t len, const char *path, int layer,
                             dd_inventory_t *inv, dd_err_t *e)
{
    json_error_t je;
    json_t *doc = json_loadb(data, len, 0, &je);
    if (!doc) return dd_err(e, DD_ECORRUPT, "not valid JSON: %s (line %d)", je.text, je.line);
    json_t *libs = json_object_get(doc, "libraries");
    int rc = DD_OK;
    if (!json_is_object(libs)) {
        rc = dd_err(e, DD_ECORRUPT, "deps.json without a libraries object");
        goto out;
    }
    if (json_object_size(libs) > DD_CATALOG_MAX_PKGS) {
        rc = dd_err(e, DD_ELIMIT, "more than %d packages", DD_CATALOG_MAX_PKGS);
        goto out;
    }
    json_t *rt = json_object_get(json_object_get(doc, "runtimeTarget"), "name");
    json_t *target = json_is_string(rt) ? json_object_get(json_object_get(doc, "targets"), json_string_value(rt))
                                        : NULL;
    if (!json_is_object(target)) target = NULL;
    char *dbp = dd_arena_strdup(dd_inventory_arena(inv), path);
    const char *k;
    json_t *v;
    json_object_foreach(libs, k, v) {
        json_t *type = json_object_get(v, "type");
        if (!json_is_string(type)) {
            dd_inventory_warn(inv, "%s: library '%.200s' without a type skipped", path, k);
            continue;
        }
        if (strcmp(json_string_value(type), "package") != 0) continue;
        if (target && !json_object_get(target, k)) continue;
        const char *slash = strrchr(k, '/');
        if (!slash) {
            dd_inventory_warn(inv, "%s: library '%.200s' is not name/version: skipped", path, k);
            continue;
        }
        int r = dd_lang_add(inv, DD_PKG_NUGET, k, (size_t)(slash - k), slash + 1, strlen(slash + 1), dbp,
                            layer, e);
        if (r < 0) {
            rc = r;
            break;
        }
    }
out:
    json_decref(doc);
    return rc;
}

static bool nuget_wants(const char *path)
{
    return dd_catalog_wants_owner(path, "nuget");
}

static int nuget_file(dd_fileset_t *fs, const dd_file_t *f, dd_inventory_t *inv, dd_err_t *e)
{
    (void)fs;
    return dd_nuget_parse_deps_json((const char *)f->data, f->len, f->path, f->layer, inv, e);
}

static int nuget_run(dd_fileset_t *fs, dd_inventory_t *inv, dd_err_t *e)
{
    return dd_lang_run(fs, "nuget", nuget_file, inv, e);
}

const dd_cataloger_t dd_cataloger_nuget = {
    .version = DD_CATALOGER_V1,
    .name = "nuget",
    .wants = nuget_wants,
    .run = nuget_run,
};
