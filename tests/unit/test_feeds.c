/*
 * test_feeds.c: imports every real feed fixture (tests/fixtures/feeds/) and
 * checks the exact counts from the data's README, spot-checks records,
 * idempotency, and that a bad record is skipped and reported.
 */
#include "dd/feeds.h"
#include "dd/vulndb.h"
#include "test.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[256];
static char dbpath[300];

static void setup(void)
{
    if (tmpdir[0]) return;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/dd-test-feeds-XXXXXX");
    if (!mkdtemp(tmpdir)) abort();
    snprintf(dbpath, sizeof dbpath, "%s/vuln.db", tmpdir);
}

static long sql_count(const char *path, const char *sql)
{
    sqlite3 *h = NULL;
    sqlite3_stmt *st = NULL;
    long n = -1;
    if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        n = (long)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return n;
}

/* A digest of the database content that does not depend on row ids. */
static unsigned long long content_digest(const char *path)
{
    static const char *const q[] = {
        "SELECT feed,vuln_id,ecosystem,package,ranges,versions,fix_state,fixed,severity FROM affected"
        " ORDER BY feed,vuln_id,ecosystem,package,ranges,versions",
        "SELECT id,summary,details,published,modified,withdrawn,severity,cvss_vector,aliases,upstream,refs"
        " FROM vulns ORDER BY id",
    };
    unsigned long long h = 1469598103934665603ull;
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return 0;
    }
    for (size_t k = 0; k < 2; k++) {
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(db, q[k], -1, &st, NULL) != SQLITE_OK) break;
        while (sqlite3_step(st) == SQLITE_ROW)
            for (int c = 0; c < sqlite3_column_count(st); c++) {
                const unsigned char *t = sqlite3_column_text(st, c);
                for (const unsigned char *p = t ? t : (const unsigned char *)"\x01"; *p; p++)
                    h = (h ^ *p) * 1099511628211ull;
                h = (h ^ 0xff) * 1099511628211ull;
            }
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return h;
}

static int import_one(const char *rel, const char *format, dd_feed_stats_t *st)
{
    dd_err_t e = {0};
    dd_vulndb_update_t *u = NULL;
    if (dd_vulndb_update_begin(dbpath, &u, &e)) {
        fprintf(stderr, "begin: %s\n", e.msg);
        return -1;
    }
    memset(st, 0, sizeof *st);
    int rc = dd_feed_import_path(dd_vulndb_update_db(u), fixture(rel), format, NULL, st, &e);
    if (rc) {
        fprintf(stderr, "import %s: %s\n", rel, e.msg);
        dd_vulndb_update_abort(u);
        return rc;
    }
    dd_vulndb_set_feed(dd_vulndb_update_db(u), st->feed, rel, NULL, NULL, st->records, st->skipped, &e);
    return dd_vulndb_update_commit(u, &e);
}

struct collect {
    int n;
    const dd_affected_t *hits[1024];
};

static int collect_cb(const dd_affected_t *a, void *arg)
{
    struct collect *c = arg;
    if (c->n < 1024) c->hits[c->n] = a;
    c->n++;
    return 0;
}

static const dd_affected_t *find(struct collect *c, const char *id)
{
    for (int i = 0; i < c->n && i < 1024; i++)
        if (!strcmp(c->hits[i]->vuln_id, id)) return c->hits[i];
    return NULL;
}

TEST(debian_osv_zip)
{
    setup();
    dd_feed_stats_t st;
    CHECK_INT(import_one("feeds/debian-osv/all.zip", NULL, &st), 0);
    CHECK_STR(st.feed, "osv/Debian");
    CHECK_INT(st.records, 8940);
    CHECK_INT(st.skipped, 0);
    CHECK_INT(st.withdrawn, 0);
    CHECK_INT(st.affected, 10460);
    CHECK_INT(sql_count(dbpath, "SELECT count(*) FROM vulns v WHERE (id LIKE 'DSA-%' OR id LIKE 'DLA-%')"
                                " AND NOT EXISTS (SELECT 1 FROM affected a WHERE a.vuln_id=v.id)"),
              34);
    dd_vulndb_t *db = NULL;
    CHECK_INT(dd_vulndb_open(dbpath, true, &db, NULL), 0);
    if (!db) return;
    static const struct { const char *eco; long n; } ecos[] = {
        {"Debian:3.0", 803}, {"Debian:3.1", 707}, {"Debian:4", 677},  {"Debian:5", 585},
        {"Debian:6", 1144},  {"Debian:7", 1797},  {"Debian:8", 1824}, {"Debian:9", 1568},
        {"Debian:10", 945},  {"Debian:11", 410},
    };
    for (size_t i = 0; i < sizeof ecos / sizeof ecos[0]; i++)
        CHECK_INT(dd_vulndb_count_ecosystem(db, ecos[i].eco), ecos[i].n);
    struct collect c = {0};
    dd_vulndb_each_affected(db, "Debian:11", "xorg-server", collect_cb, &c);
    const dd_affected_t *a = find(&c, "DSA-5380-1");
    CHECK(a != NULL);
    if (a) {
        CHECK_STR(a->fixed, "2:1.20.11-1+deb11u6");
        CHECK_INT(a->fix_state, DD_FIX_FIXED);
        CHECK_INT(a->n_ranges, 1);
        CHECK_INT(a->ranges[0].n_events, 2);
        CHECK_INT(a->ranges[0].events[0].kind, DD_EV_INTRODUCED);
        CHECK_STR(a->ranges[0].events[0].version, "0");
        CHECK_INT(a->ranges[0].events[1].kind, DD_EV_FIXED);
        CHECK_STR(a->feed, "osv/Debian");
    }
    dd_vuln_t v;
    CHECK_INT(dd_vulndb_get_vuln(db, "DSA-5380-1", &v), 0);
    CHECK_STR(v.summary, "xorg-server - security update");
    CHECK(v.upstream_json && strstr(v.upstream_json, "CVE-2023-1393"));
    CHECK(v.refs_json && strstr(v.refs_json, "dsa-5380"));
    dd_vuln_release(&v);
    CHECK_INT(dd_vulndb_get_vuln(db, "DSA-0000-0", &v), DD_ENOTFOUND);
    dd_vulndb_close(db);
}

TEST(idempotent_reimport)
{
    setup();
    long before_aff = sql_count(dbpath, "SELECT count(*) FROM affected");
    long before_v = sql_count(dbpath, "SELECT count(*) FROM vulns");
    unsigned long long before_digest = content_digest(dbpath);
    int64_t v1 = 0, v2 = 0;
    dd_vulndb_current_version(dbpath, &v1, NULL);
    dd_feed_stats_t st;
    CHECK_INT(import_one("feeds/debian-osv/all.zip", NULL, &st), 0);
    CHECK_INT(st.records, 8940);
    CHECK_INT(st.affected, 10460);
    CHECK_INT(sql_count(dbpath, "SELECT count(*) FROM affected"), before_aff);
    CHECK_INT(sql_count(dbpath, "SELECT count(*) FROM vulns"), before_v);
    CHECK(content_digest(dbpath) == before_digest); /* same content, not only counts */
    dd_vulndb_current_version(dbpath, &v2, NULL);
    CHECK_INT(v2, v1 + 1);
}

TEST(ubuntu_osv_dir_and_zip)
{
    setup();
    dd_feed_stats_t st;
    CHECK_INT(import_one("feeds/ubuntu-osv", NULL, &st), 0);
    CHECK_STR(st.feed, "osv/Ubuntu");
    CHECK_INT(st.records, 9);
    CHECK_INT(st.withdrawn, 3);
    CHECK_INT(st.affected, 48);
    CHECK_INT(import_one("feeds/ubuntu-osv/all.zip", NULL, &st), 0);
    CHECK_INT(st.records, 9);
    CHECK_INT(st.withdrawn, 3);
    CHECK_INT(st.affected, 48);
    dd_vulndb_t *db = NULL;
    CHECK_INT(dd_vulndb_open(dbpath, true, &db, NULL), 0);
    if (!db) return;
    struct collect c = {0};
    dd_vulndb_each_affected(db, "Ubuntu:16.04", "unzip", collect_cb, &c);
    const dd_affected_t *a = find(&c, "UBUNTU-CVE-2014-9913");
    CHECK(a != NULL);
    if (a) {
        CHECK_STR(a->fixed, "6.0-20ubuntu1.1");
        CHECK_INT(a->severity, DD_SEV_NEGLIGIBLE);
        CHECK_INT(a->n_versions, 4);
    }
    memset(&c, 0, sizeof c);
    /* "Ubuntu:Pro:14.04:LTS" is normalized, and unfixed ranges stay not-fixed */
    dd_vulndb_each_affected(db, "Ubuntu:Pro:14.04:LTS", "eglibc", collect_cb, &c);
    a = find(&c, "UBUNTU-CVE-2016-20013");
    CHECK(a != NULL);
    if (a) {
        CHECK_INT(a->fix_state, DD_FIX_NOT_FIXED);
        CHECK(a->fixed == NULL);
        CHECK_INT(a->n_versions, 29);
    }
    /* withdrawn: stored but no affected entries */
    memset(&c, 0, sizeof c);
    dd_vulndb_each_affected(db, "Ubuntu:14.04", "tpp", collect_cb, &c);
    CHECK_INT(c.n, 0);
    dd_vuln_t v;
    CHECK_INT(dd_vulndb_get_vuln(db, "UBUNTU-CVE-2013-2208", &v), 0);
    CHECK(v.withdrawn != NULL);
    dd_vuln_release(&v);
    CHECK_INT(dd_vulndb_get_vuln(db, "UBUNTU-CVE-2014-2901", &v), 0);
    CHECK(v.cvss_vector && !strncmp(v.cvss_vector, "CVSS:3.1/", 9));
    CHECK(v.cvss_score > 7.49 && v.cvss_score < 7.51);
    CHECK_INT(v.severity, DD_SEV_MEDIUM);
    dd_vuln_release(&v);
    dd_vulndb_close(db);
}

TEST(go_and_pypi)
{
    setup();
    dd_feed_stats_t st;
    CHECK_INT(import_one("feeds/go-osv/all.zip", NULL, &st), 0);
    CHECK_STR(st.feed, "osv/Go");
    CHECK_INT(st.records, 4291);
    CHECK_INT(st.withdrawn, 17);
    CHECK_INT(st.skipped, 0);
    CHECK_INT(st.affected, 6106);
    CHECK_INT(import_one("feeds/pypi-osv/all.zip", NULL, &st), 0);
    CHECK_STR(st.feed, "osv/PyPI");
    CHECK_INT(st.records, 2661);
    CHECK_INT(st.withdrawn, 10);
    CHECK_INT(st.skipped, 0);
    CHECK_INT(st.affected, 2651);
}

TEST(debian_tracker)
{
    setup();
    dd_feed_stats_t st;
    CHECK_INT(import_one("feeds/debian-tracker/debian.json", NULL, &st), 0);
    CHECK_STR(st.format, "debian-tracker");
    CHECK_STR(st.feed, "debian-tracker");
    CHECK_INT(st.records, 7); /* incl. chromium-browser CVE-2022-0358 with "releases": [] */
    CHECK_INT(st.skipped, 0);
    for (int i = 0; i < st.n_msgs; i++) fprintf(stderr, "  msg: %s\n", st.msgs[i]);
    CHECK_INT(st.ignored, 4); /* prototypejs CVE-2007-2383: fixed_version "0" in 4 releases */
    CHECK_INT(st.affected, 21);
    dd_vulndb_t *db = NULL;
    CHECK_INT(dd_vulndb_open(dbpath, true, &db, NULL), 0);
    if (!db) return;
    struct collect c = {0};
    dd_vulndb_each_affected(db, "Debian:10", "chromium", collect_cb, &c);
    const dd_affected_t *a = find(&c, "CVE-2022-0456");
    CHECK(a && a->fix_state == DD_FIX_EOL);
    memset(&c, 0, sizeof c);
    dd_vulndb_each_affected(db, "Debian:11", "chromium", collect_cb, &c);
    a = find(&c, "CVE-2022-0456");
    CHECK(a && a->fix_state == DD_FIX_FIXED);
    if (a) CHECK_STR(a->fixed, "98.0.4758.80-1~deb11u1");
    memset(&c, 0, sizeof c);
    dd_vulndb_each_affected(db, "Debian:9", "prototypejs", collect_cb, &c);
    CHECK_INT(c.n, 1); /* only CVE-2008-7220; CVE-2007-2383 is not affected */
    if (c.n == 1) {
        CHECK_STR(c.hits[0]->vuln_id, "CVE-2008-7220");
        CHECK_INT(c.hits[0]->severity, DD_SEV_HIGH);
        CHECK_STR(c.hits[0]->severity_raw, "high**");
    }
    memset(&c, 0, sizeof c);
    dd_vulndb_each_affected(db, "Debian:sid", "sope", collect_cb, &c);
    CHECK_INT(c.n, 1);
    dd_vulndb_close(db);
}

TEST(alpine_secdb)
{
    setup();
    static const struct { const char *file; long pkgs; } files[] = {
        {"v3.3/main", 91},  {"v3.3/community", 0},  {"v3.4/main", 117},  {"v3.4/community", 2},
        {"v3.5/main", 131}, {"v3.5/community", 20}, {"v3.6/main", 134},  {"v3.6/community", 31},
        {"v3.7/main", 163}, {"v3.7/community", 37}, {"v3.8/main", 164},  {"v3.8/community", 44},
        {"v3.9/main", 161}, {"v3.9/community", 58}, {"v3.10/main", 166}, {"v3.10/community", 73},
        {"v3.11/main", 175}, {"v3.11/community", 85},
    };
    long total = 0;
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char rel[128];
        snprintf(rel, sizeof rel, "feeds/alpine-secdb/%s.json", files[i].file);
        dd_feed_stats_t st;
        CHECK_INT(import_one(rel, NULL, &st), 0);
        CHECK_STR(st.format, "alpine-secdb");
        CHECK_INT(st.records, files[i].pkgs);
        CHECK_INT(st.skipped, 0);
        char feed[64];
        snprintf(feed, sizeof feed, "alpine/%s", files[i].file);
        CHECK_STR(st.feed, feed);
        total += st.records;
        if (!strcmp(files[i].file, "v3.8/main")) CHECK_INT(st.ignored, 5); /* "0" entries */
    }
    CHECK_INT(total, 1652);
    dd_vulndb_t *db = NULL;
    CHECK_INT(dd_vulndb_open(dbpath, true, &db, NULL), 0);
    if (!db) return;
    struct collect c = {0};
    dd_vulndb_each_affected(db, "Alpine:v3.10", "xen", collect_cb, &c);
    CHECK(find(&c, "XSA-207") != NULL);
    CHECK(find(&c, "XSA-182") != NULL);
    CHECK(find(&c, "CVE-2016-6258") != NULL);
    CHECK(find(&c, "XSA-295") != NULL);
    memset(&c, 0, sizeof c);
    dd_vulndb_each_affected(db, "Alpine:v3.10", "tcpdump", collect_cb, &c);
    CHECK(find(&c, "CVE-2018-14881") != NULL);
    memset(&c, 0, sizeof c);
    dd_vulndb_each_affected(db, "Alpine:3.9", "ansible", collect_cb, &c); /* "3.9" normalized */
    CHECK(find(&c, "CVE-2018-16859") != NULL);
    memset(&c, 0, sizeof c);
    dd_vulndb_each_affected(db, "Alpine:v3.10", "apache2", collect_cb, &c);
    const dd_affected_t *a = find(&c, "CVE-2019-10081");
    CHECK(a != NULL);
    if (a) CHECK_STR(a->fixed, "2.4.41-r0");
    dd_vulndb_close(db);
}

TEST(nvd_page)
{
    setup();
    dd_feed_stats_t st;
    CHECK_INT(import_one("feeds/nvd/nvdcve-2.0-page.json", NULL, &st), 0);
    CHECK_STR(st.format, "nvd");
    CHECK_INT(st.records, 38);
    CHECK_INT(st.skipped, 0);
    CHECK_INT(sql_count(dbpath, "SELECT count(*) FROM nvd"), 38);
    dd_vulndb_t *db = NULL;
    CHECK_INT(dd_vulndb_open(dbpath, true, &db, NULL), 0);
    if (!db) return;
    dd_vuln_t v;
    CHECK_INT(dd_vulndb_get_vuln(db, "CVE-2023-27314", &v), 0);
    CHECK(v.has_nvd);
    CHECK(v.cvss3_score > 7.49 && v.cvss3_score < 7.51);
    CHECK_STR(v.cvss3_vector, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H");
    CHECK_INT(v.cvss3_severity, DD_SEV_HIGH);
    CHECK_STR(v.cwe_json, "[\"CWE-400\"]");
    CHECK(v.nvd_description && !strncmp(v.nvd_description, "ONTAP 9", 7));
    dd_vuln_release(&v);
    dd_vulndb_status_t s;
    CHECK_INT(dd_vulndb_status(db, &s), 0);
    CHECK_INT(s.schema_version, DD_VULNDB_SCHEMA_VERSION);
    CHECK_INT(s.n_nvd, 38);
    CHECK(s.n_feeds >= 5);
    dd_vulndb_status_release(&s);
    dd_vulndb_close(db);
}

TEST(bad_record_skipped)
{
    dd_vulndb_t *db = NULL;
    CHECK_INT(dd_vulndb_open(":memory:", false, &db, NULL), 0);
    if (!db) return;
    const char *doc =
        "[{\"id\":\"OSV-1\",\"modified\":\"2024-01-01T00:00:00Z\",\"affected\":[{\"package\":"
        "{\"ecosystem\":\"PyPI\",\"name\":\"a\"},\"ranges\":[{\"type\":\"ECOSYSTEM\",\"events\":"
        "[{\"introduced\":\"0\"},{\"fixed\":\"1.0\"}]}]}]},"
        "{\"id\":\"OSV-2\",\"modified\":\"x\",\"affected\":[{\"package\":{\"ecosystem\":\"PyPI\","
        "\"name\":\"b\"},\"ranges\":[{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":5}]}]}]},"
        "{\"id\":\"OSV-3\",\"modified\":\"2024-01-01T00:00:00Z\",\"affected\":[{\"package\":"
        "{\"ecosystem\":\"PyPI\",\"name\":\"c\"},\"versions\":[\"1.0\",\"1.1\"]}]}]";
    const dd_feed_t *f = dd_feed_detect((const uint8_t *)doc, strlen(doc));
    CHECK(f != NULL);
    if (f) CHECK_STR(f->name, "osv");
    dd_feed_stats_t st = {0};
    dd_err_t e = {0};
    CHECK_INT(dd_feed_find("osv")->import_mem(db, NULL, (const uint8_t *)doc, strlen(doc), &st, &e), 0);
    CHECK_INT(st.records, 2);
    CHECK_INT(st.skipped, 1);
    CHECK_INT(st.n_msgs, 1);
    CHECK(strstr(st.msgs[0], "OSV-2") != NULL);
    CHECK_INT(dd_vulndb_count_ecosystem(db, "PyPI"), 2);
    /* secdb: a bad package in the middle */
    const char *sec = "{\"distroversion\":\"v3.18\",\"reponame\":\"main\",\"packages\":["
                      "{\"pkg\":{\"name\":\"x\",\"secfixes\":{\"1.0-r0\":[\"CVE-2020-0001\"]}}},"
                      "{\"pkg\":{\"secfixes\":{}}},"
                      "{\"pkg\":{\"name\":\"y\",\"secfixes\":{\"2.0-r1\":null,\"0\":[\"CVE-2020-0002\"]}}}]}";
    memset(&st, 0, sizeof st);
    f = dd_feed_detect((const uint8_t *)sec, strlen(sec));
    CHECK(f && !strcmp(f->name, "alpine-secdb"));
    if (f) CHECK_INT(f->import_mem(db, NULL, (const uint8_t *)sec, strlen(sec), &st, &e), 0);
    CHECK_INT(st.records, 2);
    CHECK_INT(st.skipped, 1);
    CHECK_INT(st.affected, 1);
    CHECK_INT(st.ignored, 1);
    CHECK_STR(st.feed, "alpine/v3.18/main");
    dd_vulndb_close(db);
}

TEST(extract_ids)
{
    char ids[8][64];
    CHECK_INT(dd_feed_extract_ids("CVE-2016-6258 XSA-182", ids, 8), 2);
    CHECK_STR(ids[0], "CVE-2016-6258");
    CHECK_STR(ids[1], "XSA-182");
    CHECK_INT(dd_feed_extract_ids("CVE_2019-2426", ids, 8), 1);
    CHECK_STR(ids[0], "CVE-2019-2426");
    CHECK_INT(dd_feed_extract_ids("CVE 2018-16859", ids, 8), 1);
    CHECK_STR(ids[0], "CVE-2018-16859");
    CHECK_INT(dd_feed_extract_ids("CVE-\?\?\?\?-\?\?\?\?\?  XSA-295", ids, 8), 1);
    CHECK_STR(ids[0], "XSA-295");
    CHECK_INT(dd_feed_extract_ids("CVE-2018-14881 (BGP)", ids, 8), 1);
    CHECK_STR(ids[0], "CVE-2018-14881");
    CHECK_INT(dd_feed_extract_ids("nothing here", ids, 8), 0);
    CHECK_INT(dd_feed_extract_ids("wnpa-sec-2017-18", ids, 8), 1);
    CHECK_STR(ids[0], "wnpa-sec-2017-18");
    CHECK_INT(dd_feed_extract_ids("2018-16859 (v1.2-3)", ids, 8), 0);
}

TEST(cleanup)
{
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (tmpdir[0]) CHECK_INT(system(cmd), 0);
}

TEST_MAIN(RUN(debian_osv_zip); RUN(idempotent_reimport); RUN(ubuntu_osv_dir_and_zip); RUN(go_and_pypi);
          RUN(debian_tracker); RUN(alpine_secdb); RUN(nvd_page); RUN(bad_record_skipped); RUN(extract_ids);
          RUN(cleanup))
