/*
 * meta_int.h: what the metadata wrapper layer (src/meta/meta.c) shares with
 * its drivers: the driver vtables, and the SQLite driver's migrations.
 */
#ifndef DD_META_INT_H
#define DD_META_INT_H

#include "dd/meta.h"

extern const dd_meta_ops_t dd_meta_sqlite_ops;

/* One schema migration of the SQLite driver (src/meta/sqlite/schema.c).
 * Migration i (1-based) takes PRAGMA user_version from i-1 to i. */
typedef struct dd_meta_migration {
    int version;
    const char *name;
    const char *sql;
} dd_meta_migration_t;

extern const dd_meta_migration_t dd_meta_sqlite_migrations[];
extern const size_t dd_meta_sqlite_n_migrations;

#endif
