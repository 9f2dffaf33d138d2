/*
 * test_vulndb.c: the database file life cycle (atomic update, versions,
 * readers keep their snapshot, abort leaves nothing behind), the write API,
 * and the normalized vocabulary (severity, fix states, ecosystems, CVSS v3).
 */
#include "dd/vulndb.h"
#include "test.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[256], dbpath[300];

static void setup(void)
{
    if (tmpdir[0]) return;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/dd-test-vulndb-XXXXXX");
    if (!mkdtemp(tmpdir)) abort();
    snprintf(dbpath, sizeof dbpath, "%s/sub/vuln.db", tmpdir);
}

static int put_one(dd_vulndb_t *db, const char *id, const char *pkg, const char *fixed)
{
    dd_vuln_rec_t v = {.id = id, .summary = "s"};
    char ranges[256];
    snprintf(ranges, sizeof ranges,
             "[{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":\"0\"},{\"fixed\":\"%s\"}]}]", fixed);
    dd_affected_rec_t a = {.ecosystem = "Debian:12", .package = pkg, .ranges_json = ranges,
                           .fix_state = DD_FIX_FIXED, .fixed = fixed};
    int rc = dd_vulndb_put_vuln(db, "test", &v, NULL);
    if (!rc) rc = dd_vulndb_put_affected(db, "test", id, &a, NULL);
    return rc;
}

static int count_cb(const dd_affected_t *a, void *arg)
{
    (void)a;
    (*(int *)arg)++;
    return 0;
}

static int count(dd_vulndb_t *db, const char *pkg)
{
    int n = 0;
    dd_vulndb_each_affected(db, "Debian:12", pkg, count_cb, &n);
    return n;
}

static int tmp_files(void)
{
    char dir[320];
    snprintf(dir, sizeof dir, "%s/sub", tmpdir);
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *de;
    while (d && (de = readdir(d)))
        if (strstr(de->d_name, ".tmp.")) n++;
    if (d) closedir(d);
    return n;
}

TEST(lifecycle)
{
    setup();
    int64_t v = -1;
    dd_err_t e = {0};
    dd_vulndb_t *r = NULL;
    CHECK_INT(dd_vulndb_open(dbpath, true, &r, &e), DD_ENOTFOUND);
    CHECK_INT(dd_vulndb_current_version(dbpath, &v, NULL), 0);
    CHECK_INT(v, 0);

    dd_vulndb_update_t *u = NULL;
    CHECK_INT(dd_vulndb_update_begin(dbpath, &u, &e), 0);
    CHECK_INT(put_one(dd_vulndb_update_db(u), "CVE-2024-0001", "foo", "1.0-1"), 0);
    CHECK_INT(dd_vulndb_update_commit(u, &e), 0);
    CHECK_INT(dd_vulndb_current_version(dbpath, &v, NULL), 0);
    CHECK_INT(v, 1);

    /* a reader opened now keeps its snapshot across the next update */
    CHECK_INT(dd_vulndb_open(dbpath, true, &r, &e), 0);
    if (!r) return;
    CHECK_INT(dd_vulndb_version(r), 1);
    CHECK_INT(count(r, "foo"), 1);
    CHECK_INT(dd_vulndb_update_begin(dbpath, &u, &e), 0);
    CHECK_INT(put_one(dd_vulndb_update_db(u), "CVE-2024-0002", "foo", "1.0-2"), 0);
    CHECK_INT(put_one(dd_vulndb_update_db(u), "CVE-2024-0003", "bar", "2.0-1"), 0);
    /* visible inside the update, before commit */
    CHECK_INT(count(dd_vulndb_update_db(u), "foo"), 2);
    CHECK_INT(dd_vulndb_update_commit(u, &e), 0);
    CHECK_INT(count(r, "foo"), 1);
    CHECK_INT(count(r, "bar"), 0);
    CHECK_INT(dd_vulndb_current_version(dbpath, &v, NULL), 0);
    CHECK_INT(v, 2);
    CHECK(v != dd_vulndb_version(r)); /* how a long-lived reader notices */
    dd_vulndb_close(r);
    CHECK_INT(dd_vulndb_open(dbpath, true, &r, &e), 0);
    if (!r) return;
    CHECK_INT(count(r, "foo"), 2);
    CHECK_INT(count(r, "bar"), 1);

    /* an aborted update changes nothing and leaves no temp file */
    CHECK_INT(dd_vulndb_update_begin(dbpath, &u, &e), 0);
    CHECK_INT(dd_vulndb_clear_feed(dd_vulndb_update_db(u), "test", &e), 0);
    CHECK_INT(count(dd_vulndb_update_db(u), "foo"), 0);
    dd_vulndb_update_abort(u);
    CHECK_INT(dd_vulndb_current_version(dbpath, &v, NULL), 0);
    CHECK_INT(v, 2);
    CHECK_INT(tmp_files(), 0);
    dd_vulndb_close(r);
    CHECK_INT(dd_vulndb_open(dbpath, true, &r, &e), 0);
    if (!r) return;
    CHECK_INT(count(r, "foo"), 2);

    /* a crashed writer's leftovers are removed by the next update */
    char stale[400];
    snprintf(stale, sizeof stale, "%s.tmp.999999", dbpath);
    CHECK_INT(dd_file_write_atomic(stale, "x", 1, NULL), 0);
    CHECK_INT(tmp_files(), 1);
    CHECK_INT(dd_vulndb_update_begin(dbpath, &u, &e), 0);
    dd_vulndb_update_abort(u);
    CHECK_INT(tmp_files(), 0);

    /* read-only handles refuse writes */
    CHECK_INT(put_one(r, "CVE-2024-0009", "x", "1"), DD_EINVAL);
    dd_vulndb_status_t st;
    CHECK_INT(dd_vulndb_status(r, &st), 0);
    CHECK_INT(st.version, 2);
    CHECK_INT(st.n_vulns, 3);
    CHECK_INT(st.n_affected, 3);
    CHECK(st.built[0] && st.updated[0]);
    char upd[32];
    CHECK_INT(dd_vulndb_updated(r, upd), DD_OK);
    CHECK_STR(upd, st.updated);
    dd_vulndb_status_release(&st);
    dd_vulndb_close(r);
}

TEST(current_version_follows_swaps)
{
    setup();
    int64_t base = 0, v = 0;
    CHECK_INT(dd_vulndb_current_version(dbpath, &base, NULL), 0);
    for (int i = 1; i <= 6; i++) {
        dd_vulndb_update_t *u = NULL;
        CHECK_INT(dd_vulndb_update_begin(dbpath, &u, NULL), 0);
        if (!u) return;
        CHECK_INT(dd_vulndb_update_commit(u, NULL), 0);
        CHECK_INT(dd_vulndb_current_version(dbpath, &v, NULL), 0);
        CHECK_INT(v, base + i);
        CHECK_INT(dd_vulndb_current_version(dbpath, &v, NULL), 0); /* cached answer */
        CHECK_INT(v, base + i);
    }
}

TEST(reimport_replaces_feed_rows)
{
    dd_vulndb_t *db = NULL;
    CHECK_INT(dd_vulndb_open(":memory:", false, &db, NULL), 0);
    if (!db) return;
    CHECK_INT(put_one(db, "DSA-1-1", "foo", "1.0"), 0);
    CHECK_INT(put_one(db, "DSA-1-1", "foo", "1.1"), 0); /* same record again: replaced */
    CHECK_INT(count(db, "foo"), 1);
    /* another feed's entry for the same id is kept */
    dd_vuln_rec_t v = {.id = "DSA-1-1"};
    dd_affected_rec_t a = {.ecosystem = "Debian:12", .package = "foo", .fix_state = DD_FIX_NOT_FIXED};
    CHECK_INT(dd_vulndb_put_vuln(db, NULL, &v, NULL), 0);
    CHECK_INT(dd_vulndb_put_affected(db, "other", "DSA-1-1", &a, NULL), 0);
    CHECK_INT(put_one(db, "DSA-1-1", "foo", "1.2"), 0);
    CHECK_INT(count(db, "foo"), 2);
    /* a NULL field from another feed does not erase the summary */
    dd_vuln_t out;
    CHECK_INT(dd_vulndb_get_vuln(db, "DSA-1-1", &out), 0);
    CHECK_STR(out.summary, "s");
    dd_vuln_release(&out);
    const dd_vuln_t *c = dd_vulndb_vuln_cached(db, "DSA-1-1");
    CHECK(c && !strcmp(c->summary, "s"));
    CHECK(dd_vulndb_vuln_cached(db, "NOPE-1") == NULL);
    /* an affected entry without a package is refused */
    dd_affected_rec_t bad = {.ecosystem = "Debian:12", .package = ""};
    CHECK_INT(dd_vulndb_put_affected(db, "test", "DSA-1-1", &bad, NULL), DD_EINVAL);
    /* feed bookkeeping */
    CHECK_INT(dd_vulndb_set_feed(db, "test", "src", "\"e1\"", "lm", 5, 1, NULL), 0);
    CHECK_INT(dd_vulndb_set_feed(db, "test", NULL, NULL, NULL, 6, 0, NULL), 0);
    dd_vulndb_feed_info_t fi;
    CHECK_INT(dd_vulndb_get_feed(db, "test", &fi), 0);
    CHECK_STR(fi.etag, "\"e1\"");
    CHECK_STR(fi.source, "src");
    CHECK_INT(fi.records, 6);
    CHECK_INT(dd_vulndb_get_feed(db, "none", &fi), DD_ENOTFOUND);
    dd_vulndb_close(db);
}

TEST(vocabulary)
{
    CHECK_INT(dd_severity_parse("high**"), DD_SEV_HIGH);
    CHECK_INT(dd_severity_parse("unimportant"), DD_SEV_NEGLIGIBLE);
    CHECK_INT(dd_severity_parse("not yet assigned"), DD_SEV_UNKNOWN);
    CHECK_INT(dd_severity_parse("MODERATE"), DD_SEV_MEDIUM);
    CHECK_INT(dd_severity_parse(NULL), DD_SEV_UNKNOWN);
    CHECK_STR(dd_severity_name(DD_SEV_CRITICAL), "Critical");
    CHECK_INT(dd_severity_from_cvss(3.9), DD_SEV_LOW);
    CHECK_INT(dd_severity_from_cvss(4.0), DD_SEV_MEDIUM);
    CHECK_INT(dd_severity_from_cvss(9.0), DD_SEV_CRITICAL);
    CHECK_INT(dd_severity_from_cvss(0), DD_SEV_UNKNOWN);
    dd_fix_state_t fs;
    CHECK_INT(dd_fix_state_parse("will-not-fix", &fs), 0);
    CHECK_INT(fs, DD_FIX_WONT_FIX);
    CHECK_STR(dd_fix_state_name(DD_FIX_EOL), "end-of-life");
    char eco[128];
    dd_ecosystem_normalize("Ubuntu:22.04:LTS", eco, sizeof eco);
    CHECK_STR(eco, "Ubuntu:22.04");
    dd_ecosystem_normalize("Ubuntu:Pro:18.04:LTS", eco, sizeof eco);
    CHECK_STR(eco, "Ubuntu:Pro:18.04");
    dd_ecosystem_normalize("Ubuntu:23.10", eco, sizeof eco);
    CHECK_STR(eco, "Ubuntu:23.10");
    dd_ecosystem_normalize("Alpine:3.18", eco, sizeof eco);
    CHECK_STR(eco, "Alpine:v3.18");
    dd_ecosystem_normalize("Debian:12", eco, sizeof eco);
    CHECK_STR(eco, "Debian:12");
}

TEST(cvss3)
{
    static const struct { const char *v; double s; } cases[] = {
        {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5},
        {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8},
        {"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1},
        {"CVSS:3.0/AV:L/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L", 4.0},
        {"CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:L/I:L/A:H", 6.6},
        {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0},
        {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double s = -1;
        CHECK_INT(dd_cvss3_base_score(cases[i].v, &s), 0);
        CHECK(s > cases[i].s - 0.001 && s < cases[i].s + 0.001);
        if (!(s > cases[i].s - 0.001 && s < cases[i].s + 0.001)) fprintf(stderr, "  %s -> %.2f\n", cases[i].v, s);
    }
    double s;
    CHECK_INT(dd_cvss3_base_score("CVSS:2.0/AV:N", &s), DD_EINVAL);
    CHECK_INT(dd_cvss3_base_score("CVSS:3.1/AV:N/AC:L", &s), DD_EINVAL);
    CHECK_INT(dd_cvss3_base_score("CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", &s), DD_EINVAL);
}

TEST(cleanup)
{
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (tmpdir[0]) CHECK_INT(system(cmd), 0);
}

TEST_MAIN(RUN(lifecycle); RUN(current_version_follows_swaps); RUN(reimport_replaces_feed_rows); RUN(vocabulary); RUN(cvss3); RUN(cleanup))
