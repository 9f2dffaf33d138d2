/*
 * catalog_int.h: private glue between catalog.c and the catalogers in
 * src/catalog/ (not part of the public API in include/dd/catalog.h).
 */
#ifndef DD_CATALOG_INT_H
#define DD_CATALOG_INT_H

#include "dd/catalog.h"

/* True if the interest table row or path rule that matches path belongs to
 * owner ("os", "owned", "dpkg", "apk", "rpm", "python", ...). */
bool dd_catalog_wants_owner(const char *path, const char *owner);

/* The catalogers (one per file), referenced by the table in catalog.c. */
extern const dd_cataloger_t dd_cataloger_apk;
extern const dd_cataloger_t dd_cataloger_cargo;
extern const dd_cataloger_t dd_cataloger_dpkg;
extern const dd_cataloger_t dd_cataloger_golang;
extern const dd_cataloger_t dd_cataloger_python;
extern const dd_cataloger_t dd_cataloger_rpm;
/* application packages (node.c, ruby.c, php.c, dotnet.c, java.c) */
extern const dd_cataloger_t dd_cataloger_composer;
extern const dd_cataloger_t dd_cataloger_gem;
extern const dd_cataloger_t dd_cataloger_maven;
extern const dd_cataloger_t dd_cataloger_npm;
extern const dd_cataloger_t dd_cataloger_nuget;

/* The extractors (one per file), referenced by the table in catalog.c. */
extern const dd_extractor_t dd_extractor_elf;
extern const dd_extractor_t dd_extractor_jar;

/* Copies [s, s+n) into a with surrounding blanks (space, tab, CR) removed;
 * NULL when the result is empty or longer than DD_CATALOG_MAX_FIELD. */
char *dd_catalog_field_dup(dd_arena_t *a, const char *s, size_t n);

/* Records e's message as a warning "<db_path>: <msg>". */
void dd_catalog_warn_err(dd_inventory_t *inv, const char *db_path, const dd_err_t *e);

/* True if f is a record of the "elf" extractor (golang.c); then payload and
 * n are its payload (borrowed). */
bool dd_catalog_elf_record(const dd_file_t *f, const char **payload, size_t *n);

/* Parsers of the application catalogers (exported for tests and fuzzing).
 * Each adds its packages to inv with db_path and layer, and reports
 * recoverable problems as inventory warnings. */
/* The Go lines of an "elf" record payload (golang.c). DD_OK if it held Go
 * build info, DD_DECLINED if not, DD_ELIMIT over a bound. */
int dd_golang_parse_record(const char *payload, size_t n, const char *db_path, int layer, dd_inventory_t *inv);
/* A Cargo.lock file (cargo.c): DD_OK, or DD_ECORRUPT / DD_ELIMIT with e. */
int dd_cargo_lock_parse(const char *data, size_t len, const char *db_path, int layer, dd_inventory_t *inv,
                        dd_err_t *e);
/* cargo-auditable JSON (cargo.c). */
int dd_cargo_audit_parse(const char *json, size_t len, const char *db_path, int layer, dd_inventory_t *inv,
                         dd_err_t *e);

#endif
