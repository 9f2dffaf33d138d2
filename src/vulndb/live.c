/*
 * live.c: the live vulnerability database as reference-counted snapshots
 * (see "the live snapshot" in include/dd/vulndb.h and docs/vulndb.md).
 *
 * Locking: `mu` guards only the `cur` pointer and is held for a pointer
 * copy plus a reference increment, never across a match, an API call or a
 * file open. `refresh_mu` serializes refreshes, so two threads seeing a new
 * version open it once; opening the new file happens outside `mu`, and the
 * swap is one pointer store under it. The live handle holds one reference
 * to `cur`; every reader holds its own, and the last release closes the
 * handle.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "dd/vulndb.h"

typedef struct snap {
    dd_vulndb_snap_t pub; /* first: a dd_vulndb_snap_t * is a snap_t * */
    atomic_int refs;
} snap_t;

struct dd_vulndb_live {
    char *path;                /* NULL: no database */
    pthread_mutex_t mu;        /* cur */
    pthread_mutex_t refresh_mu;
    snap_t *cur;               /* NULL: none */
};

void dd_vulndb_snap_release(dd_vulndb_snap_t *s)
{
    if (!s) return;
    snap_t *x = (snap_t *)s;
    if (atomic_fetch_sub_explicit(&x->refs, 1, memory_order_acq_rel) == 1) {
        dd_vulndb_close(x->pub.db);
        free(x);
    }
}

/* Opens path as a new snapshot with one reference. */
static int snap_open(const char *path, snap_t **out, dd_err_t *e)
{
    dd_vulndb_t *db = NULL;
    int rc = dd_vulndb_open(path, true, &db, e);
    if (rc != DD_OK) return rc;
    snap_t *x = dd_calloc(1, sizeof *x);
    x->pub.db = db;
    x->pub.version = dd_vulndb_version(db);
    dd_vulndb_status_t st;
    if (dd_vulndb_status(db, &st) == DD_OK) {
        int64_t t;
        if (st.updated[0] && dd_time_parse(st.updated, &t) == DD_OK) x->pub.updated_s = t;
        dd_vulndb_status_release(&st);
    }
    atomic_init(&x->refs, 1);
    *out = x;
    return DD_OK;
}

/* Puts x (whose reference the live handle takes over) in place of cur. */
static void snap_swap(dd_vulndb_live_t *l, snap_t *x)
{
    pthread_mutex_lock(&l->mu);
    snap_t *old = l->cur;
    l->cur = x;
    pthread_mutex_unlock(&l->mu);
    if (old) dd_vulndb_snap_release(&old->pub);
}

int dd_vulndb_live_new(const char *path, dd_vulndb_live_t **out, dd_err_t *e)
{
    dd_vulndb_live_t *l = dd_calloc(1, sizeof *l);
    l->path = path ? dd_strdup(path) : NULL;
    pthread_mutex_init(&l->mu, NULL);
    pthread_mutex_init(&l->refresh_mu, NULL);
    *out = l;
    dd_err_t ign;
    dd_vulndb_live_refresh(l, NULL, &ign); /* absent or unreadable: no snapshot yet */
    (void)e;
    return DD_OK;
}

void dd_vulndb_live_free(dd_vulndb_live_t *l)
{
    if (!l) return;
    snap_swap(l, NULL);
    pthread_mutex_destroy(&l->mu);
    pthread_mutex_destroy(&l->refresh_mu);
    free(l->path);
    free(l);
}

int dd_vulndb_live_refresh(dd_vulndb_live_t *l, bool *changed, dd_err_t *e)
{
    if (changed) *changed = false;
    if (!l->path) return DD_OK;
    pthread_mutex_lock(&l->refresh_mu);
    int64_t v = 0;
    if (dd_vulndb_current_version(l->path, &v, NULL) != DD_OK) v = 0;
    int64_t have = dd_vulndb_live_version(l, NULL);
    int rc = DD_OK;
    if (v == 0 && have != 0) {
        snap_swap(l, NULL);
        if (changed) *changed = true;
    } else if (v != 0 && v != have) {
        snap_t *x = NULL;
        rc = snap_open(l->path, &x, e);
        if (rc == DD_OK) {
            snap_swap(l, x);
            if (changed) *changed = true;
        }
    }
    pthread_mutex_unlock(&l->refresh_mu);
    return rc;
}

dd_vulndb_snap_t *dd_vulndb_live_acquire(dd_vulndb_live_t *l)
{
    pthread_mutex_lock(&l->mu);
    snap_t *x = l->cur;
    if (x) atomic_fetch_add_explicit(&x->refs, 1, memory_order_relaxed);
    pthread_mutex_unlock(&l->mu);
    return x ? &x->pub : NULL;
}

int64_t dd_vulndb_live_version(dd_vulndb_live_t *l, int64_t *updated_s)
{
    pthread_mutex_lock(&l->mu);
    int64_t v = l->cur ? l->cur->pub.version : 0;
    if (updated_s) *updated_s = l->cur ? l->cur->pub.updated_s : 0;
    pthread_mutex_unlock(&l->mu);
    return v;
}
