/*
 * vulndb_int.h: internals shared by the vulndb source files (the handle and
 * its per-ecosystem cache). Not a public header.
 */
#ifndef DD_VULNDB_INT_H
#define DD_VULNDB_INT_H

#include "dd/vulndb.h"

#include <pthread.h>
#include <sqlite3.h>

enum { VDB_PUT_VULN, VDB_DROP_AFF, VDB_DROP_AFF_PKG, VDB_PUT_AFF, VDB_PUT_NVD, VDB_GET_VULN, VDB_GET_NVD,
       VDB_DROP_CVSS, VDB_PUT_CVSS, VDB_PUT_KEV, VDB_PUT_EPSS, VDB_GET_CVSS, VDB_GET_KEV, VDB_GET_EPSS, VDB_NSTMT };

/* All affected entries of one ecosystem, sorted by package name (memcmp
 * order, as SQLite's BINARY collation), in an arena. */
typedef struct vdb_eco {
    struct vdb_eco *next;
    char *name;
    size_t n;
    dd_affected_t *ents;
    dd_arena_t arena;
} vdb_eco_t;

typedef struct vdb_vnode {
    struct vdb_vnode *next;
    bool found;
    dd_vuln_t v;
    char key[];
} vdb_vnode_t;

#define VDB_VBUCKETS 4096

struct dd_vulndb {
    sqlite3 *h;
    bool readonly;
    int64_t version;
    sqlite3_stmt *st[VDB_NSTMT];
    pthread_mutex_t lock;   /* guards the handle's statements and the cache list */
    vdb_eco_t *ecos;
    vdb_vnode_t **vbuckets; /* memoized dd_vulndb_vuln_cached() records */
    bool no_cvss, no_kev, no_epss; /* read-only handle whose table is empty: skip the look-up */
};

sqlite3_stmt *vdb_stmt(dd_vulndb_t *db, int which);
void vdb_cache_free(dd_vulndb_t *db);

#endif
