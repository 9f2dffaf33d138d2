/*
 * vulndb_update.h: a helper for unit tests that need a live vulnerability
 * database file to change under a reader: one atomic update adding one
 * advisory. Included by test_vulndb_live.c and test_scanner.c.
 */
#ifndef DD_TEST_VULNDB_UPDATE_H
#define DD_TEST_VULNDB_UPDATE_H

#include "dd/vulndb.h"

/* One update of the live file at path adding vulnerability id: package pkg
 * of ecosystem eco, affected from 0, fixed in "2". */
static inline int test_vulndb_add(const char *path, const char *eco, const char *id, const char *pkg)
{
    dd_vulndb_update_t *u = NULL;
    int rc = dd_vulndb_update_begin(path, &u, NULL);
    if (rc) return rc;
    dd_vulndb_t *db = dd_vulndb_update_db(u);
    dd_vuln_rec_t v = {.id = id, .summary = "s"};
    dd_affected_rec_t a = {.ecosystem = eco, .package = pkg,
                           .ranges_json = "[{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":\"0\"},{\"fixed\":\"2\"}]}]",
                           .fix_state = DD_FIX_FIXED, .fixed = "2"};
    rc = dd_vulndb_put_vuln(db, "test", &v, NULL);
    if (!rc) rc = dd_vulndb_put_affected(db, "test", id, &a, NULL);
    if (rc) {
        dd_vulndb_update_abort(u);
        return rc;
    }
    return dd_vulndb_update_commit(u, NULL);
}

#endif
