/*
 * test_vulndb_live.c: the live vulnerability database as reference-counted
 * snapshots: no file gives no snapshot, a refresh swaps in a new version, a
 * snapshot held across an update keeps serving its old data until released,
 * and readers racing with refreshes never see a closed handle.
 */
#include "dd/vulndb.h"
#include "test.h"
#include "vulndb_update.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[256], dbpath[300];

static void setup(void)
{
    if (tmpdir[0]) return;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/dd-test-vlive-XXXXXX");
    if (!mkdtemp(tmpdir)) abort();
    snprintf(dbpath, sizeof dbpath, "%s/vuln.db", tmpdir);
}

static int update_add(const char *id, const char *pkg)
{
    return test_vulndb_add(dbpath, "Debian:12", id, pkg);
}

static int count_cb(const dd_affected_t *a, void *arg)
{
    (void)a;
    (*(int *)arg)++;
    return 0;
}

static int count(dd_vulndb_snap_t *s, const char *pkg)
{
    int n = 0;
    dd_vulndb_each_affected(s->db, "Debian:12", pkg, count_cb, &n);
    return n;
}

TEST(no_database)
{
    dd_vulndb_live_t *l = NULL;
    CHECK_INT(dd_vulndb_live_new(NULL, &l, NULL), DD_OK);
    CHECK(dd_vulndb_live_acquire(l) == NULL);
    bool changed = true;
    CHECK_INT(dd_vulndb_live_refresh(l, &changed, NULL), DD_OK);
    CHECK(!changed);
    dd_vulndb_live_free(l);
    setup();
    CHECK_INT(dd_vulndb_live_new(dbpath, &l, NULL), DD_OK); /* file not there yet */
    CHECK(dd_vulndb_live_acquire(l) == NULL);
    CHECK_INT(dd_vulndb_live_version(l, NULL), 0);
    dd_vulndb_live_free(l);
}

TEST(snapshot_outlives_swap)
{
    setup();
    CHECK_INT(update_add("CVE-1", "a"), DD_OK);
    dd_vulndb_live_t *l = NULL;
    CHECK_INT(dd_vulndb_live_new(dbpath, &l, NULL), DD_OK);
    dd_vulndb_snap_t *old = dd_vulndb_live_acquire(l);
    CHECK(old != NULL);
    if (!old) return;
    int64_t v1 = old->version;
    CHECK(v1 > 0);
    CHECK_INT(dd_vulndb_live_version(l, NULL), v1);
    bool changed = true;
    CHECK_INT(dd_vulndb_live_refresh(l, &changed, NULL), DD_OK);
    CHECK(!changed); /* same file */

    CHECK_INT(update_add("CVE-2", "b"), DD_OK);
    CHECK_INT(dd_vulndb_live_refresh(l, &changed, NULL), DD_OK);
    CHECK(changed);
    CHECK_INT(dd_vulndb_live_version(l, NULL), v1 + 1);
    dd_vulndb_snap_t *cur = dd_vulndb_live_acquire(l);
    CHECK(cur && cur->version == v1 + 1);
    /* the old snapshot still answers from its own file */
    CHECK_INT(count(old, "a"), 1);
    CHECK_INT(count(old, "b"), 0);
    if (cur) CHECK_INT(count(cur, "b"), 1);
    dd_vulndb_snap_release(old);
    /* freeing the live handle leaves held snapshots valid */
    dd_vulndb_live_free(l);
    if (cur) CHECK_INT(count(cur, "a"), 1);
    dd_vulndb_snap_release(cur);
    dd_vulndb_snap_release(NULL);
}

typedef struct race {
    dd_vulndb_live_t *l;
    atomic_int stop;
    atomic_long reads;
    atomic_int bad;
    int64_t base; /* version before the updates: version base+k has k "c" entries */
} race_t;

static void *reader(void *arg)
{
    race_t *r = arg;
    while (!atomic_load(&r->stop)) {
        dd_vulndb_snap_t *s = dd_vulndb_live_acquire(r->l);
        if (!s) continue;
        if (count(s, "c") != s->version - r->base || dd_vulndb_version(s->db) != s->version)
            atomic_store(&r->bad, 1);
        dd_vulndb_snap_release(s);
        atomic_fetch_add(&r->reads, 1);
    }
    return NULL;
}

TEST(readers_race_refreshes)
{
    setup();
    static race_t r;
    CHECK_INT(dd_vulndb_current_version(dbpath, &r.base, NULL), DD_OK);
    CHECK_INT(dd_vulndb_live_new(dbpath, &r.l, NULL), DD_OK);
    pthread_t t[3];
    for (int i = 0; i < 3; i++) pthread_create(&t[i], NULL, reader, &r);
    for (int i = 0; i < 4; i++) {
        char id[32];
        snprintf(id, sizeof id, "CVE-R%d", i);
        CHECK_INT(update_add(id, "c"), DD_OK);
        bool changed = false;
        CHECK_INT(dd_vulndb_live_refresh(r.l, &changed, NULL), DD_OK);
        CHECK(changed);
    }
    atomic_store(&r.stop, 1);
    for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
    CHECK(atomic_load(&r.reads) > 0);
    CHECK_INT(atomic_load(&r.bad), 0);
    dd_vulndb_live_free(r.l);
}

TEST(cleanup)
{
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (tmpdir[0]) CHECK_INT(system(cmd), 0);
}

TEST_MAIN(RUN(no_database); RUN(snapshot_outlives_swap); RUN(readers_race_refreshes); RUN(cleanup))
