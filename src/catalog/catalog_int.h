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
extern const dd_cataloger_t dd_cataloger_dpkg;
extern const dd_cataloger_t dd_cataloger_python;
extern const dd_cataloger_t dd_cataloger_rpm;
/* application packages (node.c, ruby.c, php.c, dotnet.c, java.c) */
extern const dd_cataloger_t dd_cataloger_composer;
extern const dd_cataloger_t dd_cataloger_gem;
extern const dd_cataloger_t dd_cataloger_maven;
extern const dd_cataloger_t dd_cataloger_npm;
extern const dd_cataloger_t dd_cataloger_nuget;

/* The extractors (one per file), referenced by the table in catalog.c. */
extern const dd_extractor_t dd_extractor_jar;

/* Copies [s, s+n) into a with surrounding blanks (space, tab, CR) removed;
 * NULL when the result is empty or longer than DD_CATALOG_MAX_FIELD. */
char *dd_catalog_field_dup(dd_arena_t *a, const char *s, size_t n);

/* Records e's message as a warning "<db_path>: <msg>". */
void dd_catalog_warn_err(dd_inventory_t *inv, const char *db_path, const dd_err_t *e);

#endif
