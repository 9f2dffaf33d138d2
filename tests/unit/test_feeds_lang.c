/*
 * test_feeds_lang.c: the OSV importer on the application ecosystems (PyPI,
 * Go, npm, Maven, RubyGems, crates.io, Packagist, NuGet) with the records
 * of tests/fixtures/osv-lang/ (PyPI, Go) and tests/fixtures/feeds/ghsa-osv/
 * (the others): lookup-name normalization, each ecosystem's
 * version ordering through dd_match_affected (versions inside and outside
 * every range), GHSA severities, GIT ranges and withdrawn records.
 */
#include "dd/feeds.h"
#include "dd/match.h"
#include "dd/vercmp.h"
#include "dd/vulndb.h"
#include "test.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[256];
static char dbpath[300];

static void setup(void)
{
    if (tmpdir[0]) return;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/dd-test-feeds-lang-XXXXXX");
    if (!mkdtemp(tmpdir)) abort();
    snprintf(dbpath, sizeof dbpath, "%s/vuln.db", tmpdir);
}

static int import_path(const char *path, dd_feed_stats_t *st)
{
    dd_err_t e = {0};
    dd_vulndb_update_t *u = NULL;
    if (dd_vulndb_update_begin(dbpath, &u, &e)) return -1;
    memset(st, 0, sizeof *st);
    int rc = dd_feed_import_path(dd_vulndb_update_db(u), path, "osv", NULL, st, &e);
    if (rc) {
        fprintf(stderr, "import %s: %s\n", path, e.msg);
        dd_vulndb_update_abort(u);
        return rc;
    }
    return dd_vulndb_update_commit(u, &e);
}

typedef struct {
    const char *id;
    const char *version;
    dd_verscheme_t scheme;
    int hits; /* entries of id that match */
    int seen; /* entries of id */
} probe_t;

static int probe_cb(const dd_affected_t *a, void *arg)
{
    probe_t *p = arg;
    if (strcmp(a->vuln_id, p->id)) return 0;
    p->seen++;
    if (dd_match_affected(p->scheme, p->version, a, NULL)) p->hits++;
    return 0;
}

/* Whether version of (ecosystem, name as a catalog would write it) is
 * affected by record id; -1 if the record has no entry for that package. */
static int affected(dd_vulndb_t *db, const char *eco, const char *name, const char *version, const char *id)
{
    probe_t p = {id, version, 0, 0, 0};
    if (dd_verscheme_from_ecosystem(eco, &p.scheme)) return -2;
    dd_vulndb_each_affected(db, eco, name, probe_cb, &p);
    return p.seen ? p.hits > 0 : -1;
}

TEST(pkgname_normalize)
{
    static const struct {
        const char *eco, *in, *out;
    } t[] = {
        {"PyPI", "PyYAML", "pyyaml"},
        {"PyPI", "zope.interface", "zope-interface"},
        {"PyPI", "Foo__Bar-.-baz", "foo-bar-baz"},
        {"pypi", "requests", "requests"},
        {"NuGet", "Newtonsoft.Json", "newtonsoft.json"},
        {"Packagist", "Symfony/Http-Kernel", "symfony/http-kernel"},
        {"npm", "@Babel/Core", "@Babel/Core"},
        {"Maven", "org.apache.logging.log4j:log4j-core", "org.apache.logging.log4j:log4j-core"},
        {"Go", "github.com/BurntSushi/toml", "github.com/BurntSushi/toml"},
        {"crates.io", "Inflector", "Inflector"},
        {"RubyGems", "ActiveSupport", "ActiveSupport"},
        {"Debian:12", "Foo_Bar", "Foo_Bar"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char buf[128], again[128];
        CHECK_STR(dd_pkgname_normalize(t[i].eco, t[i].in, buf, sizeof buf), t[i].out);
        CHECK_STR(dd_pkgname_normalize(t[i].eco, buf, again, sizeof again), t[i].out); /* idempotent */
    }
    char small[4];
    CHECK_STR(dd_pkgname_normalize("PyPI", "ABCDEF", small, sizeof small), "abc");
    CHECK_STR(dd_pkgname_normalize(NULL, NULL, small, sizeof small), "");
    CHECK_STR(dd_osv_severity_source("osv/npm", "GHSA-35jh-r3h4-6jhm"), "ghsa");
    CHECK_STR(dd_osv_severity_source("osv/PyPI", "PYSEC-2018-28"), "osv");
    CHECK_STR(dd_osv_severity_source("osv", "GO-2022-0969"), "osv");
    CHECK(dd_osv_severity_source("debian-tracker", "CVE-2021-1") == NULL);
    CHECK(dd_osv_severity_source("osvx", "GHSA-1") == NULL);
}

TEST(import_and_match)
{
    setup();
    static const struct {
        const char *dir;
        long records;
    } dirs[] = {
        {"osv-lang/PyPI", 20},           {"osv-lang/Go", 20},
        {"feeds/ghsa-osv/npm", 2},       {"feeds/ghsa-osv/Maven", 2},
        {"feeds/ghsa-osv/RubyGems", 2},  {"feeds/ghsa-osv/crates.io", 2},
        {"feeds/ghsa-osv/Packagist", 2}, {"feeds/ghsa-osv/NuGet", 1},
    };
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        dd_feed_stats_t st;
        CHECK_INT(import_path(fixture(dirs[i].dir), &st), 0);
        CHECK_INT(st.records, dirs[i].records);
        CHECK_INT(st.skipped, 0);
        char want[64];
        snprintf(want, sizeof want, "osv/%s", strrchr(dirs[i].dir, '/') + 1);
        CHECK_STR(st.feed, want);
    }
    dd_vulndb_t *db = NULL;
    CHECK_INT(dd_vulndb_open(dbpath, true, &db, NULL), 0);
    if (!db) return;
    static const struct {
        const char *eco, *name, *version, *id;
        int want;
    } t[] = {
        /* PyPI (PEP 440, PEP 503 names): issue 13's image */
        {"PyPI", "requests", "2.19.0", "PYSEC-2018-28", 1},      /* CVE-2018-18074, fixed 2.20.0 */
        {"PyPI", "requests", "2.20.0", "PYSEC-2018-28", 0},
        {"PyPI", "urllib3", "1.24.1", "PYSEC-2019-132", 1},      /* CVE-2019-11236, fixed 1.24.3 */
        {"PyPI", "urllib3", "1.24.3", "PYSEC-2019-132", 0},
        {"PyPI", "PyYAML", "5.3", "PYSEC-2020-96", 1},           /* fixed 5.3.1; name as published */
        {"PyPI", "pyyaml", "5.3.1", "PYSEC-2020-96", 0},
        {"PyPI", "py_yaml", "5.3", "PYSEC-2020-96", -1},         /* another project */
        /* Go (semver with pseudo-versions; OSV versions without "v") */
        {"Go", "stdlib", "1.19.5", "GO-2023-1571", 1},
        {"Go", "stdlib", "1.19.8", "GO-2023-1571", 0},
        {"Go", "stdlib", "1.20.0", "GO-2023-1571", 1},
        {"Go", "golang.org/x/text", "v0.3.6", "GO-2021-0113", 1},
        {"Go", "golang.org/x/text", "v0.3.7", "GO-2021-0113", 0},
        {"Go", "golang.org/x/net", "v0.0.0-20210520170845-000000000000", "GO-2021-0238", 1},
        {"Go", "golang.org/x/net", "v0.0.0-20210520170846-37e1c6afe023", "GO-2021-0238", 0},
        {"Go", "golang.org/x/net", "v0.1.0", "GO-2021-0238", 0},
        /* npm (semver) */
        {"npm", "lodash", "4.17.20", "GHSA-35jh-r3h4-6jhm", 1},
        {"npm", "lodash", "4.17.21", "GHSA-35jh-r3h4-6jhm", 0},
        {"npm", "minimist", "0.2.3", "GHSA-xvch-5gv4-984h", 1},
        {"npm", "minimist", "0.2.4", "GHSA-xvch-5gv4-984h", 0},
        {"npm", "minimist", "1.2.5", "GHSA-xvch-5gv4-984h", 1},
        {"npm", "minimist", "1.2.6", "GHSA-xvch-5gv4-984h", 0},
        {"npm", "Lodash", "4.17.20", "GHSA-35jh-r3h4-6jhm", -1}, /* npm names as is */
        {"npm", "lodash-es", "4.17.20", "GHSA-35jh-r3h4-6jhm", 1},
        /* Maven (ComparableVersion: 2.4 == 2.4.0, 2.0-beta9 < 2.3.1, 2.12.6.1 > 2.12.6) */
        {"Maven", "org.apache.logging.log4j:log4j-core", "2.14.1", "GHSA-p6xc-xr62-6r2g", 1},
        {"Maven", "org.apache.logging.log4j:log4j-core", "2.17.0", "GHSA-p6xc-xr62-6r2g", 0},
        {"Maven", "org.apache.logging.log4j:log4j-core", "2.17.0-rc1", "GHSA-p6xc-xr62-6r2g", 1},
        {"Maven", "org.apache.logging.log4j:log4j-core", "2.12.2", "GHSA-p6xc-xr62-6r2g", 1},
        {"Maven", "org.apache.logging.log4j:log4j-core", "2.12.3", "GHSA-p6xc-xr62-6r2g", 0},
        {"Maven", "org.apache.logging.log4j:log4j-core", "2.4", "GHSA-p6xc-xr62-6r2g", 1},
        {"Maven", "org.apache.logging.log4j:log4j-core", "2.3.1", "GHSA-p6xc-xr62-6r2g", 0},
        {"Maven", "org.apache.logging.log4j:log4j-core", "2.0-beta9", "GHSA-p6xc-xr62-6r2g", 1},
        {"Maven", "com.fasterxml.jackson.core:jackson-databind", "2.12.6", "GHSA-57j2-w4cx-62h2", 1},
        {"Maven", "com.fasterxml.jackson.core:jackson-databind", "2.12.6.1", "GHSA-57j2-w4cx-62h2", 0},
        {"Maven", "com.fasterxml.jackson.core:jackson-databind", "2.13.2", "GHSA-57j2-w4cx-62h2", 1},
        {"Maven", "com.fasterxml.jackson.core:jackson-databind", "2.13.2.1", "GHSA-57j2-w4cx-62h2", 0},
        {"Maven", "com.fasterxml.jackson.core:jackson-databind", "2.14.0", "GHSA-57j2-w4cx-62h2", 0},
        /* RubyGems (Gem::Version: 2.0.9.1 > 2.0.9, "2.1" == 2.1.0, a letter = prerelease) */
        {"RubyGems", "rack", "2.0.9", "GHSA-wq4h-7r42-5hrr", 1},
        {"RubyGems", "rack", "2.0.9.1", "GHSA-wq4h-7r42-5hrr", 0},
        {"RubyGems", "rack", "2.1.0", "GHSA-wq4h-7r42-5hrr", 1},
        {"RubyGems", "rack", "2.2.3", "GHSA-wq4h-7r42-5hrr", 1},
        {"RubyGems", "rack", "2.2.3.1", "GHSA-wq4h-7r42-5hrr", 0},
        {"RubyGems", "rack", "3.0.0", "GHSA-wq4h-7r42-5hrr", 0},
        {"RubyGems", "nokogiri", "1.13.4.rc1", "GHSA-crjr-9rc5-ghw8", 1},
        {"RubyGems", "nokogiri", "1.13.4", "GHSA-crjr-9rc5-ghw8", 0},
        /* crates.io (semver; GHSA's "0.1" reads as 0.1.0; its first entry has no fix) */
        {"crates.io", "time", "0.2.22", "GHSA-wcg3-cvx6-7396", 1},
        {"crates.io", "time", "0.1.45", "GHSA-wcg3-cvx6-7396", 1},
        {"crates.io", "time", "0.0.9", "GHSA-wcg3-cvx6-7396", 0},
        {"crates.io", "tar", "0.4.15", "GHSA-2367-c296-3mp2", 1},
        {"crates.io", "tar", "0.4.16", "GHSA-2367-c296-3mp2", 0},
        {"crates.io", "tar", "0.4.16-rc.1", "GHSA-2367-c296-3mp2", 1},
        /* Packagist (composer: v prefix, lowercase names) */
        {"Packagist", "guzzlehttp/guzzle", "7.4.4", "GHSA-q559-8m2m-g699", 1},
        {"Packagist", "GuzzleHttp/Guzzle", "v7.4.5", "GHSA-q559-8m2m-g699", 0},
        {"Packagist", "guzzlehttp/guzzle", "6.5.7", "GHSA-q559-8m2m-g699", 1},
        {"Packagist", "guzzlehttp/guzzle", "7.0.0-beta1", "GHSA-q559-8m2m-g699", 0}, /* between the ranges */
        {"Packagist", "guzzlehttp/guzzle", "3.8.1", "GHSA-w248-ffj2-4v5q", 0},        /* below 4.0.0 */
        {"Packagist", "guzzlehttp/guzzle", "6.5.6", "GHSA-w248-ffj2-4v5q", 1},
        {"Packagist", "guzzlehttp/guzzle", "7.4.4", "GHSA-w248-ffj2-4v5q", 0},
        /* NuGet (4 parts, case-insensitive names) */
        {"NuGet", "Newtonsoft.Json", "12.0.3", "GHSA-5crp-9r3c-p9vr", 1},
        {"NuGet", "newtonsoft.json", "13.0.1", "GHSA-5crp-9r3c-p9vr", 0},
        {"NuGet", "NEWTONSOFT.JSON", "13.0.1.0", "GHSA-5crp-9r3c-p9vr", 0},
        {"NuGet", "Newtonsoft.Json", "13.0.1-beta1", "GHSA-5crp-9r3c-p9vr", 1},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        int got = affected(db, t[i].eco, t[i].name, t[i].version, t[i].id);
        if (got != t[i].want) {
            fprintf(stderr, "  %s %s %s vs %s: got %d, want %d\n", t[i].eco, t[i].name, t[i].version, t[i].id,
                    got, t[i].want);
            t_failed_checks++;
        }
    }
    /* GHSA severities: database_specific.severity (MODERATE = Medium, LOW) and the CVSS v3 base score */
    dd_vuln_t v;
    CHECK_INT(dd_vulndb_get_vuln(db, "GHSA-wcg3-cvx6-7396", &v), 0);
    CHECK_INT(v.severity, DD_SEV_MEDIUM);
    CHECK_STR(v.severity_raw, "MODERATE");
    CHECK_STR(v.cvss_vector, "CVSS:3.1/AV:L/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H");
    CHECK(v.cvss_score > 6.15 && v.cvss_score < 6.25); /* 6.2 */
    dd_vuln_release(&v);
    CHECK_INT(dd_vulndb_get_vuln(db, "GHSA-xvch-5gv4-984h", &v), 0);
    CHECK_INT(v.severity, DD_SEV_CRITICAL);
    CHECK(v.cvss_score > 9.75 && v.cvss_score < 9.85); /* 9.8 */
    dd_vuln_release(&v);
    CHECK_INT(dd_vulndb_get_vuln(db, "GHSA-5crp-9r3c-p9vr", &v), 0); /* no CVSS, no alias */
    CHECK_INT(v.severity, DD_SEV_LOW);
    CHECK(v.cvss_vector == NULL);
    dd_vuln_release(&v);
    CHECK_INT(dd_vulndb_get_vuln(db, "GHSA-2367-c296-3mp2", &v), 0); /* a CVSS 3.0 vector */
    CHECK_INT(v.severity, DD_SEV_HIGH);
    CHECK(v.cvss_score > 7.45 && v.cvss_score < 7.55);
    dd_vuln_release(&v);
    dd_vulndb_close(db);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f) abort();
    fputs(text, f);
    fclose(f);
}

TEST(git_ranges_and_withdrawn)
{
    setup();
    char dir[400], path[500];
    snprintf(dir, sizeof dir, "%s/npm-extra", tmpdir);
    mkdir(dir, 0700);
    snprintf(path, sizeof path, "%s/GHSA-test-git.json", dir);
    /* a GIT range beside an ECOSYSTEM one, and an entry with only a GIT range */
    write_file(path,
               "{\"id\":\"GHSA-test-git0-0000\",\"modified\":\"2024-01-01T00:00:00Z\",\"affected\":["
               "{\"package\":{\"ecosystem\":\"npm\",\"name\":\"gitpkg\"},\"ranges\":["
               "{\"type\":\"GIT\",\"repo\":\"https://example.org/x\",\"events\":[{\"introduced\":\"0\"},"
               "{\"fixed\":\"deadbeef\"}]},"
               "{\"type\":\"SEMVER\",\"events\":[{\"introduced\":\"1.0.0\"},{\"last_affected\":\"1.2.0\"}]}]},"
               "{\"package\":{\"ecosystem\":\"npm\",\"name\":\"gitonly\"},\"ranges\":["
               "{\"type\":\"GIT\",\"repo\":\"https://example.org/y\",\"events\":[{\"introduced\":\"0\"}]}]},"
               "{\"package\":{\"ecosystem\":\"npm\",\"name\":\"listed\"},\"versions\":[\"0.1.0\",\"0.1.1\"]},"
               "{\"package\":{\"ecosystem\":\"npm\",\"name\":\"limited\"},\"ranges\":[{\"type\":\"SEMVER\","
               "\"events\":[{\"introduced\":\"0\"},{\"limit\":\"2.0.0\"}]}]}]}");
    dd_feed_stats_t st;
    CHECK_INT(import_path(dir, &st), 0);
    CHECK_INT(st.records, 1);
    CHECK_INT(st.ignored, 2);  /* two GIT ranges */
    CHECK_INT(st.affected, 3); /* "gitonly" not stored */
    dd_vulndb_t *db = NULL;
    CHECK_INT(dd_vulndb_open(dbpath, true, &db, NULL), 0);
    if (!db) return;
    CHECK_INT(affected(db, "npm", "gitpkg", "1.2.0", "GHSA-test-git0-0000"), 1); /* last_affected */
    CHECK_INT(affected(db, "npm", "gitpkg", "1.2.1", "GHSA-test-git0-0000"), 0);
    CHECK_INT(affected(db, "npm", "gitpkg", "0.9.0", "GHSA-test-git0-0000"), 0);
    CHECK_INT(affected(db, "npm", "gitonly", "1.0.0", "GHSA-test-git0-0000"), -1);
    CHECK_INT(affected(db, "npm", "listed", "0.1.1", "GHSA-test-git0-0000"), 1); /* explicit versions */
    CHECK_INT(affected(db, "npm", "listed", "0.1.2", "GHSA-test-git0-0000"), 0);
    CHECK_INT(affected(db, "npm", "limited", "1.9.9", "GHSA-test-git0-0000"), 1); /* limit */
    CHECK_INT(affected(db, "npm", "limited", "2.0.0", "GHSA-test-git0-0000"), 0);
    dd_vulndb_close(db);

    /* the same record withdrawn: its entries go, its vulns row stays marked */
    write_file(path,
               "{\"id\":\"GHSA-test-git0-0000\",\"modified\":\"2024-02-01T00:00:00Z\","
               "\"withdrawn\":\"2024-02-01T00:00:00Z\",\"affected\":["
               "{\"package\":{\"ecosystem\":\"npm\",\"name\":\"listed\"},\"versions\":[\"0.1.0\",\"0.1.1\"]}]}");
    CHECK_INT(import_path(dir, &st), 0);
    CHECK_INT(st.withdrawn, 1);
    CHECK_INT(st.affected, 0);
    CHECK_INT(dd_vulndb_open(dbpath, true, &db, NULL), 0);
    if (!db) return;
    CHECK_INT(affected(db, "npm", "listed", "0.1.1", "GHSA-test-git0-0000"), -1);
    CHECK_INT(affected(db, "npm", "gitpkg", "1.2.0", "GHSA-test-git0-0000"), -1);
    dd_vuln_t v;
    CHECK_INT(dd_vulndb_get_vuln(db, "GHSA-test-git0-0000", &v), 0);
    CHECK(v.withdrawn != NULL);
    dd_vuln_release(&v);
    dd_vulndb_close(db);
}

TEST_MAIN(RUN(pkgname_normalize); RUN(import_and_match); RUN(git_ranges_and_withdrawn))
