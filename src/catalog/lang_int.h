/*
 * lang_int.h: helpers shared by the application-package catalogers of
 * node.c, ruby.c, php.c, dotnet.c and java.c (private to src/catalog/).
 */
#ifndef DD_CATALOG_LANG_INT_H
#define DD_CATALOG_LANG_INT_H

#include "catalog/catalog_int.h"

/* Appends one application package: name and version are copied (n bytes
 * each, blanks trimmed, as dd_catalog_field_dup), source_name/version are
 * the same strings, db_path must already live in the inventory's arena.
 * Returns 1 when added, 0 when name or version is empty or too long (a
 * warning "<db_path>: ..." is recorded), DD_ELIMIT when the inventory is full. */
int dd_lang_add(dd_inventory_t *inv, dd_pkg_type_t type, const char *name, size_t nn,
                const char *version, size_t vn, char *db_path, int layer, dd_err_t *e);

/* Drops duplicate (type, name, version, db_path) packages among
 * inv->pkgs[from..n) (their order changes). */
void dd_lang_dedup(dd_inventory_t *inv, size_t from);

/* Calls fn for each file of fs whose path the interest rows of owner want
 * (dd_catalog_wants_owner), in path order; fn returns non-zero to stop. */
int dd_lang_each(dd_fileset_t *fs, const char *owner, int (*fn)(const dd_file_t *f, void *arg),
                 void *arg);

/* The shared run() loop of a cataloger whose files are read one by one:
 * fn(fs, file, inv, e) for each file owner wants; a file that fails is a
 * warning "<path>: <message>" and the others go on; duplicates among a
 * file's packages are dropped. DD_DECLINED when no file was there, DD_OK
 * when one was read, else the first failure's rc (and e). */
typedef int (*dd_lang_file_fn)(dd_fileset_t *fs, const dd_file_t *f, dd_inventory_t *inv, dd_err_t *e);
int dd_lang_run(dd_fileset_t *fs, const char *owner, dd_lang_file_fn fn, dd_inventory_t *inv,
                dd_err_t *e);

/* ---- the parsers (exported for tests and fuzzing) ------------------------
 * Each reads one file held in memory (path is the file's path in the image,
 * recorded as db_path; layer its layer) and appends its packages to inv.
 * DD_OK, DD_DECLINED (a file with nothing to report, e.g. a package.json
 * without name/version), or DD_ECORRUPT/DD_ELIMIT with e for a file that
 * can't be read at all; packages it can't use are skipped with a warning. */
/* node.c: node_modules/.../package.json, package-lock.json (v1-v3),
 * yarn.lock (v1 and berry), pnpm-lock.yaml (v5, v6, v9). */
int dd_npm_parse_package_json(const char *data, size_t len, const char *path, int layer,
                              dd_inventory_t *inv, dd_err_t *e);
int dd_npm_parse_package_lock(const char *data, size_t len, const char *path, int layer,
                              dd_inventory_t *inv, dd_err_t *e);
int dd_npm_parse_yarn_lock(const char *data, size_t len, const char *path, int layer,
                           dd_inventory_t *inv, dd_err_t *e);
int dd_npm_parse_pnpm_lock(const char *data, size_t len, const char *path, int layer,
                           dd_inventory_t *inv, dd_err_t *e);
/* ruby.c: an installed gem's specifications/<name>-<version>.gemspec. */
int dd_gem_parse_gemspec(const char *data, size_t len, const char *path, int layer,
                         dd_inventory_t *inv, dd_err_t *e);
/* php.c: vendor/composer/installed.json (Composer 1 and 2). */
int dd_composer_parse_installed(const char *data, size_t len, const char *path, int layer,
                                dd_inventory_t *inv, dd_err_t *e);
/* dotnet.c: <app>.deps.json. */
int dd_nuget_parse_deps_json(const char *data, size_t len, const char *path, int layer,
                             dd_inventory_t *inv, dd_err_t *e);
/* java.c: the jar extractor's record payload (after the record header). */
int dd_maven_parse_record(const char *data, size_t len, const char *path, int layer,
                          dd_inventory_t *inv, dd_err_t *e);

#endif
