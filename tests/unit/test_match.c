/*
 * test_match.c: the matcher against the real imported feeds (Debian OSV,
 * Debian tracker, Alpine secdb, Ubuntu OSV, Go OSV) with hand-made
 * inventories, the OSV range semantics on hand-made entries (last_affected,
 * limit, versions, multiple ranges), filters, severity fallback to NVD, and
 * the JSON report.
 */
#include "dd/feeds.h"
#include "dd/match.h"
#include "test.h"

#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[256], dbpath[300];
static dd_vulndb_t *db;

static void setup(void)
{
    if (db) return;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/dd-test-match-XXXXXX");
    if (!mkdtemp(tmpdir)) abort();
    snprintf(dbpath, sizeof dbpath, "%s/vuln.db", tmpdir);
    dd_err_t e = {0};
    dd_vulndb_update_t *u = NULL;
    if (dd_vulndb_update_begin(dbpath, &u, &e)) abort();
    static const char *const files[] = {
        "feeds/debian-osv/all.zip", "feeds/debian-tracker/debian.json", "feeds/alpine-secdb/v3.10/main.json",
        "feeds/ubuntu-osv",         "feeds/go-osv/all.zip",          "apps/pypi-osv",
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        dd_feed_stats_t st = {0};
        if (dd_feed_import_path(dd_vulndb_update_db(u), fixture(files[i]), NULL, NULL, &st, &e)) {
            fprintf(stderr, "%s: %s\n", files[i], e.msg);
            abort();
        }
    }
    if (dd_vulndb_update_commit(u, &e)) abort();
    if (dd_vulndb_open(dbpath, true, &db, &e)) abort();
}

static dd_package_t pkg(dd_pkg_type_t t, const char *name, const char *version, const char *src, const char *srcver)
{
    dd_package_t p = {0};
    p.type = t;
    p.name = (char *)name;
    p.version = (char *)version;
    p.source_name = (char *)src;
    p.source_version = (char *)srcver;
    p.epoch = -1;
    p.layer = 0;
    return p;
}

static dd_inventory_t inv_of(const char *eco, dd_package_t *pkgs, size_t n)
{
    dd_inventory_t inv = {0};
    inv.os.ecosystem = (char *)eco;
    inv.pkgs = pkgs;
    inv.n = inv.cap = n;
    return inv;
}

static const dd_finding_t *find(const dd_findings_t *f, const char *pkgname, const char *id)
{
    for (size_t i = 0; i < f->n; i++)
        if (!strcmp(f->v[i].id, id) && (!pkgname || !strcmp(f->v[i].package, pkgname))) return &f->v[i];
    return NULL;
}

static bool has(const char *const *arr, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(arr[i], s)) return true;
    return false;
}

TEST(debian_dsa_below_fix)
{
    setup();
    dd_package_t p[] = {
        pkg(DD_PKG_DPKG, "libssl1.1", "1.1.1n-0+deb11u3", "openssl", "1.1.1n-0+deb11u3"),
        pkg(DD_PKG_DPKG, "openssl", "1.1.1n-0+deb11u3", "openssl", "1.1.1n-0+deb11u3"),
    };
    dd_inventory_t inv = inv_of("Debian:11", p, 2);
    dd_findings_t f;
    dd_findings_init(&f);
    CHECK_INT(dd_match_inventory(db, &inv, NULL, &f, NULL), 0);
    CHECK(f.assessed);
    CHECK(!f.healthy);
    /* DSA-5343-1: 5 CVEs, fixed in 1.1.1n-0+deb11u4, for each binary package */
    CHECK_INT(f.n, 10);
    static const char *const cves[] = {"CVE-2022-2097", "CVE-2022-4304", "CVE-2022-4450", "CVE-2023-0215",
                                       "CVE-2023-0286"};
    for (size_t i = 0; i < 5; i++) {
        const dd_finding_t *x = find(&f, "libssl1.1", cves[i]);
        CHECK(x != NULL);
        if (!x) continue;
        CHECK_INT(x->n_advisories, 1);
        CHECK(has(x->advisories, x->n_advisories, "DSA-5343-1"));
        CHECK_STR(x->fixed_version, "1.1.1n-0+deb11u4");
        CHECK_INT(x->fix_state, DD_FIX_FIXED);
        CHECK_STR(x->source_name, "openssl");
        CHECK_STR(x->title, "openssl - security update");
        CHECK(find(&f, "openssl", cves[i]) != NULL);
    }
    dd_findings_release(&f);

    /* equal to the fix: nothing */
    dd_package_t q[] = {pkg(DD_PKG_DPKG, "libssl1.1", "1.1.1n-0+deb11u4", "openssl", "1.1.1n-0+deb11u4")};
    inv = inv_of("Debian:11", q, 1);
    dd_findings_init(&f);
    CHECK_INT(dd_match_inventory(db, &inv, NULL, &f, NULL), 0);
    CHECK_INT(f.n, 0);
    CHECK(f.healthy);
    dd_findings_release(&f);

    /* two DSAs behind: both advisories' CVEs, each with its own fix */
    dd_package_t r[] = {pkg(DD_PKG_DPKG, "xserver-xorg-core", "2:1.20.11-1+deb11u4", "xorg-server",
                            "2:1.20.11-1+deb11u4")};
    inv = inv_of("Debian:11", r, 1);
    dd_findings_init(&f);
    CHECK_INT(dd_match_inventory(db, &inv, NULL, &f, NULL), 0);
    CHECK_INT(f.n, 2);
    const dd_finding_t *x = find(&f, NULL, "CVE-2023-0494");
    CHECK(x && x->fixed_version && !strcmp(x->fixed_version, "2:1.20.11-1+deb11u5"));
    x = find(&f, NULL, "CVE-2023-1393");
    CHECK(x && x->fixed_version && !strcmp(x->fixed_version, "2:1.20.11-1+deb11u6"));
    if (x) CHECK(has(x->advisories, x->n_advisories, "DSA-5380-1"));
    dd_findings_release(&f);
}

TEST(debian_tracker_states)
{
    setup();
    dd_package_t p[] = {pkg(DD_PKG_DPKG, "chromium", "90.0.4430.212-1~deb10u1", "chromium", "90.0.4430.212-1~deb10u1")};
    dd_inventory_t inv = inv_of("Debian:10", p, 1);
    dd_findings_t f;
    dd_findings_init(&f);
    dd_match_inventory(db, &inv, NULL, &f, NULL);
    const dd_finding_t *x = find(&f, NULL, "CVE-2022-0456");
    CHECK(x != NULL);
    if (x) {
        CHECK_INT(x->fix_state, DD_FIX_EOL);
        CHECK(x->fixed_version == NULL);
        CHECK(x->description == NULL); /* this tracker entry has no description, and no NVD data */
    }
    dd_findings_release(&f);
    inv = inv_of("Debian:11", p, 1);
    dd_findings_init(&f);
    dd_match_inventory(db, &inv, NULL, &f, NULL);
    x = find(&f, NULL, "CVE-2022-0456");
    CHECK(x && x->fix_state == DD_FIX_FIXED && !strcmp(x->fixed_version, "98.0.4758.80-1~deb11u1"));
    dd_findings_release(&f);
    /* prototypejs: CVE-2008-7220 urgency high** (vendor severity); CVE-2007-2383 not affected */
    dd_package_t q[] = {pkg(DD_PKG_DPKG, "libjs-prototype", "1.6.0.1-1", "prototypejs", "1.6.0.1-1")};
    inv = inv_of("Debian:9", q, 1);
    dd_findings_init(&f);
    dd_match_inventory(db, &inv, NULL, &f, NULL);
    CHECK_INT(f.n, 1);
    x = find(&f, NULL, "CVE-2008-7220");
    CHECK(x && x->severity == DD_SEV_HIGH && !strcmp(x->severity_source, "debian"));
    dd_findings_release(&f);
}

TEST(alpine_origin)
{
    setup();
    dd_package_t p[] = {
        pkg(DD_PKG_APK, "apache2-utils", "2.4.39-r0", "apache2", "2.4.39-r0"),
        pkg(DD_PKG_APK, "apache2", "2.4.41-r0", "apache2", "2.4.41-r0"),
    };
    dd_inventory_t inv = inv_of("Alpine:v3.10", p, 2);
    dd_findings_t f;
    dd_findings_init(&f);
    dd_match_inventory(db, &inv, NULL, &f, NULL);
    /* 2.4.39-r0 is fixed for the 2.4.39 set, vulnerable to the 2.4.41-r0 set (6 CVEs) */
    CHECK_INT(f.n, 6);
    const dd_finding_t *x = find(&f, "apache2-utils", "CVE-2019-10081");
    CHECK(x && !strcmp(x->fixed_version, "2.4.41-r0"));
    CHECK(find(&f, "apache2-utils", "CVE-2019-0211") == NULL);
    CHECK(find(&f, "apache2", "CVE-2019-10081") == NULL);
    dd_findings_release(&f);
}

TEST(ubuntu_versions_and_unfixed)
{
    setup();
    dd_package_t p[] = {
        pkg(DD_PKG_DPKG, "unzip", "6.0-19ubuntu2", "unzip", "6.0-19ubuntu2"),
        pkg(DD_PKG_DPKG, "gitlab", "8.4.3+dfsg-9", "gitlab", "8.4.3+dfsg-9"),
    };
    dd_inventory_t inv = inv_of("Ubuntu:16.04", p, 2);
    dd_findings_t f;
    dd_findings_init(&f);
    dd_match_inventory(db, &inv, NULL, &f, NULL);
    const dd_finding_t *x = find(&f, "unzip", "CVE-2014-9913");
    CHECK(x != NULL);
    if (x) {
        CHECK(has(x->advisories, x->n_advisories, "UBUNTU-CVE-2014-9913"));
        CHECK_STR(x->fixed_version, "6.0-20ubuntu1.1");
        CHECK_INT(x->severity, DD_SEV_NEGLIGIBLE);
        CHECK_STR(x->severity_source, "ubuntu");
        CHECK(x->cvss_vector && !strncmp(x->cvss_vector, "CVSS:3.0/", 9));
    }
    x = find(&f, "gitlab", "CVE-2026-1403");
    CHECK(x != NULL);
    if (x) {
        CHECK_INT(x->fix_state, DD_FIX_NOT_FIXED);
        CHECK(x->fixed_version == NULL);
        CHECK_INT(x->severity, DD_SEV_MEDIUM);
    }
    dd_findings_release(&f);
    /* ignore unfixed + ignore list => healthy */
    const char *ign[] = {"UBUNTU-CVE-2014-9913"};
    dd_match_opts_t o = {.ignore_unfixed = true, .ignore = ign, .n_ignore = 1};
    dd_findings_init(&f);
    dd_match_inventory(db, &inv, &o, &f, NULL);
    CHECK_INT(f.n, 2);
    CHECK_INT(f.n_suppressed, 2);
    CHECK_INT(f.n_reported, 0);
    CHECK(f.healthy);
    dd_findings_release(&f);
    /* min severity Low suppresses the Negligible one only */
    dd_match_opts_t o2 = {.min_severity = DD_SEV_LOW};
    dd_findings_init(&f);
    dd_match_inventory(db, &inv, &o2, &f, NULL);
    CHECK_INT(f.n_reported, 1);
    CHECK_INT(f.counts[DD_SEV_MEDIUM], 1);
    CHECK(!f.healthy);
    dd_findings_release(&f);
}

struct first {
    const dd_affected_t *a;
    const char *id;
};

static int first_cb(const dd_affected_t *a, void *arg)
{
    struct first *f = arg;
    if (!strcmp(a->vuln_id, f->id)) {
        f->a = a;
        return 1;
    }
    return 0;
}

TEST(go_semver_multiple_ranges)
{
    setup();
    struct first fa = {NULL, "GO-2023-1571"};
    dd_vulndb_each_affected(db, "Go", "stdlib", first_cb, &fa);
    CHECK(fa.a != NULL);
    if (!fa.a) return;
    const char *fx = NULL;
    CHECK(dd_match_affected(DD_VS_GO, "1.19.5", fa.a, &fx));
    CHECK_STR(fx, "1.19.6");
    CHECK(!dd_match_affected(DD_VS_GO, "1.19.6", fa.a, NULL));
    CHECK(dd_match_affected(DD_VS_GO, "v1.20.0", fa.a, &fx));
    CHECK_STR(fx, "1.20.1");
    CHECK(!dd_match_affected(DD_VS_GO, "1.20.1", fa.a, NULL));
}

TEST(osv_semantics)
{
    dd_event_t e1[] = {{DD_EV_INTRODUCED, "1.0"}, {DD_EV_LAST_AFFECTED, "1.5"}};
    dd_event_t e2[] = {{DD_EV_INTRODUCED, "0"}, {DD_EV_LIMIT, "2.0"}};
    dd_event_t e3[] = {{DD_EV_FIXED, "3.2"}, {DD_EV_INTRODUCED, "3.0"}}; /* unsorted on purpose */
    dd_event_t e4[] = {{DD_EV_INTRODUCED, "0"}, {DD_EV_LIMIT, "*"}};
    dd_range_t r1 = {DD_RANGE_ECOSYSTEM, 2, e1}, r2 = {DD_RANGE_ECOSYSTEM, 2, e2},
               r3[] = {{DD_RANGE_ECOSYSTEM, 2, e1}, {DD_RANGE_ECOSYSTEM, 2, e3}}, r4 = {DD_RANGE_ECOSYSTEM, 2, e4},
               rg = {DD_RANGE_GIT, 2, e2};
    const char *vers[] = {"9.9", "10.1"};
    dd_affected_t a = {0};
    a.fix_state = DD_FIX_NOT_FIXED;
    /* last_affected: inclusive upper bound */
    a.n_ranges = 1;
    a.ranges = &r1;
    CHECK(!dd_match_affected(DD_VS_PEP440, "0.9", &a, NULL));
    CHECK(dd_match_affected(DD_VS_PEP440, "1.0", &a, NULL));
    CHECK(dd_match_affected(DD_VS_PEP440, "1.5", &a, NULL));
    CHECK(!dd_match_affected(DD_VS_PEP440, "1.5.1", &a, NULL));
    /* limit: versions at or above it are outside the range */
    a.ranges = &r2;
    CHECK(dd_match_affected(DD_VS_PEP440, "1.9", &a, NULL));
    CHECK(!dd_match_affected(DD_VS_PEP440, "2.0", &a, NULL));
    a.ranges = &r4;
    CHECK(dd_match_affected(DD_VS_PEP440, "99", &a, NULL));
    /* multiple ranges, unsorted events */
    a.n_ranges = 2;
    a.ranges = r3;
    const char *fx = NULL;
    CHECK(dd_match_affected(DD_VS_PEP440, "3.1", &a, &fx));
    CHECK_STR(fx, "3.2");
    CHECK(!dd_match_affected(DD_VS_PEP440, "3.2", &a, NULL));
    CHECK(!dd_match_affected(DD_VS_PEP440, "2.0", &a, NULL));
    CHECK(dd_match_affected(DD_VS_PEP440, "1.2", &a, &fx));
    CHECK(fx == NULL);
    /* GIT ranges are ignored; explicit versions match */
    a.n_ranges = 1;
    a.ranges = &rg;
    CHECK(!dd_match_affected(DD_VS_PEP440, "1.0", &a, NULL));
    a.n_versions = 2;
    a.versions = vers;
    CHECK(dd_match_affected(DD_VS_PEP440, "10.1", &a, NULL));
    CHECK(!dd_match_affected(DD_VS_PEP440, "10.2", &a, NULL));
    /* not-affected entries never match */
    a.fix_state = DD_FIX_NOT_AFFECTED;
    CHECK(!dd_match_affected(DD_VS_PEP440, "10.1", &a, NULL));
}

TEST(nvd_severity_fallback_and_report)
{
    dd_vulndb_t *m = NULL;
    CHECK_INT(dd_vulndb_open(":memory:", false, &m, NULL), 0);
    if (!m) return;
    const char *rec = "{\"id\":\"DSA-9999-1\",\"modified\":\"2024-01-01T00:00:00Z\",\"summary\":\"foo - security update\","
                      "\"upstream\":[\"CVE-2099-0001\",\"CVE-2099-0002\"],\"affected\":[{\"package\":{\"ecosystem\":"
                      "\"Debian:12\",\"name\":\"foo\"},\"ranges\":[{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":"
                      "\"0\"},{\"fixed\":\"1.2-1+deb12u1\"}]}]}]}";
    dd_feed_stats_t st = {0};
    CHECK_INT(dd_feed_find("osv")->import_mem(m, NULL, (const uint8_t *)rec, strlen(rec), &st, NULL), 0);
    CHECK_INT(st.records, 1);
    dd_nvd_rec_t n = {.id = "CVE-2099-0001", .description = "a bad bug", .published = "2099-01-01T00:00:00",
                      .cvss3_score = 9.8, .cvss3_vector = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                      .cvss3_severity = DD_SEV_CRITICAL};
    CHECK_INT(dd_vulndb_put_nvd(m, &n, NULL), 0);
    dd_package_t p[] = {pkg(DD_PKG_DPKG, "libfoo1", "1.2-1", "foo", "1.2-1")};
    dd_inventory_t inv = inv_of("Debian:12", p, 1);
    dd_findings_t f;
    dd_findings_init(&f);
    CHECK_INT(dd_match_inventory(m, &inv, NULL, &f, NULL), 0);
    CHECK_INT(f.n, 2);
    CHECK_STR(f.v[0].id, "CVE-2099-0001"); /* sorted: Critical first */
    CHECK_INT(f.v[0].severity, DD_SEV_CRITICAL);
    CHECK_STR(f.v[0].severity_source, "nvd");
    CHECK_STR(f.v[0].description, "a bad bug");
    CHECK(f.v[0].cvss_score > 9.79 && f.v[0].cvss_score < 9.81);
    CHECK_STR(f.v[1].id, "CVE-2099-0002");
    CHECK_INT(f.v[1].severity, DD_SEV_UNKNOWN);
    CHECK_INT(f.counts[DD_SEV_CRITICAL], 1);
    CHECK_INT(f.counts[DD_SEV_UNKNOWN], 1);
    dd_buf_t b;
    dd_buf_init(&b, 0);
    CHECK_INT(dd_report_json("sha256:abc", &inv, &f, &b), 0);
    json_error_t je;
    json_t *j = json_loads(b.ptr, 0, &je);
    CHECK(j != NULL);
    if (j) {
        CHECK_STR(json_string_value(json_object_get(j, "status")), "Unhealthy");
        CHECK_STR(json_string_value(json_object_get(json_object_get(j, "image"), "digest")), "sha256:abc");
        CHECK_INT(json_integer_value(json_object_get(json_object_get(j, "counts"), "Critical")), 1);
        CHECK_INT(json_integer_value(json_object_get(json_object_get(j, "counts"), "total")), 2);
        json_t *f0 = json_array_get(json_object_get(j, "findings"), 0);
        CHECK_STR(json_string_value(json_object_get(f0, "id")), "CVE-2099-0001");
        CHECK_STR(json_string_value(json_object_get(f0, "fix_state")), "fixed");
        CHECK_STR(json_string_value(json_object_get(f0, "fixed_version")), "1.2-1+deb12u1");
        CHECK_STR(json_string_value(json_array_get(json_object_get(f0, "advisories"), 0)), "DSA-9999-1");
        CHECK_STR(json_string_value(json_object_get(json_object_get(f0, "package"), "name")), "libfoo1");
        CHECK_INT(json_array_size(json_object_get(j, "inventory")), 1);
        json_decref(j);
    }
    dd_buf_release(&b);
    dd_findings_release(&f);
    /* unknown ecosystem: not assessed, never healthy */
    inv = inv_of("Debian:13", p, 1);
    dd_findings_init(&f);
    dd_match_inventory(m, &inv, NULL, &f, NULL);
    CHECK(!f.assessed);
    CHECK(!f.healthy);
    CHECK(f.reason != NULL);
    dd_findings_release(&f);
    dd_vulndb_close(m);
}

TEST(advisory_with_many_cves)
{
    dd_vulndb_t *m = NULL;
    CHECK_INT(dd_vulndb_open(":memory:", false, &m, NULL), 0);
    if (!m) return;
    dd_buf_t b;
    dd_buf_init(&b, 0);
    dd_buf_puts(&b, "{\"id\":\"DSA-9998-1\",\"modified\":\"2024-01-01T00:00:00Z\",\"upstream\":[");
    for (int i = 0; i < 40; i++) dd_buf_printf(&b, "%s\"CVE-2099-%04d\"", i ? "," : "", i);
    dd_buf_puts(&b, "],\"affected\":[{\"package\":{\"ecosystem\":\"Debian:12\",\"name\":\"gpac\"},"
                    "\"ranges\":[{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":\"0\"},"
                    "{\"fixed\":\"2.0-1\"}]}]}]}");
    dd_feed_stats_t st = {0};
    CHECK_INT(dd_feed_find("osv")->import_mem(m, NULL, (const uint8_t *)b.ptr, b.len, &st, NULL), 0);
    dd_buf_release(&b);
    dd_package_t p[] = {pkg(DD_PKG_DPKG, "gpac", "1.0-1", "gpac", "1.0-1")};
    dd_inventory_t inv = inv_of("Debian:12", p, 1);
    dd_findings_t f;
    dd_findings_init(&f);
    dd_match_inventory(m, &inv, NULL, &f, NULL);
    CHECK_INT(f.n, 40); /* one finding per CVE, none dropped */
    CHECK(find(&f, NULL, "CVE-2099-0039") != NULL);
    dd_findings_release(&f);
    dd_vulndb_close(m);
}

struct thr {
    dd_vulndb_t *db;
    size_t n;
    bool same;
};

static void *match_thread(void *arg)
{
    struct thr *t = arg;
    dd_package_t p[] = {
        pkg(DD_PKG_DPKG, "libssl1.1", "1.1.1k-1", "openssl", "1.1.1k-1"),
        pkg(DD_PKG_DPKG, "curl", "7.74.0-1.3", "curl", "7.74.0-1.3"),
        pkg(DD_PKG_DPKG, "xserver-xorg-core", "2:1.20.11-1", "xorg-server", "2:1.20.11-1"),
    };
    dd_inventory_t inv = inv_of("Debian:11", p, 3);
    t->same = true;
    for (int i = 0; i < 20; i++) {
        dd_findings_t f;
        dd_findings_init(&f);
        dd_match_inventory(t->db, &inv, NULL, &f, NULL);
        if (i == 0) t->n = f.n;
        else if (f.n != t->n) t->same = false;
        dd_findings_release(&f);
    }
    return NULL;
}

TEST(concurrent_matching_one_handle)
{
    setup();
    dd_vulndb_t *h = NULL; /* fresh handle: threads race on the cold caches */
    CHECK_INT(dd_vulndb_open(dbpath, true, &h, NULL), 0);
    if (!h) return;
    struct thr t[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        t[i].db = h;
        pthread_create(&th[i], NULL, match_thread, &t[i]);
    }
    for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < 4; i++) {
        CHECK(t[i].same);
        CHECK_INT(t[i].n, t[0].n);
    }
    CHECK(t[0].n > 40);
    dd_vulndb_close(h);
}

/* Application packages: matched in their OSV ecosystem whatever the OS,
 * PyPI names per PEP 503, Go's toolchain as stdlib, the assessment rule, and
 * the match signature. */
static void sig_of(const dd_inventory_t *inv, dd_digest_t *d)
{
    dd_hasher_t *h = dd_hasher_new(DD_DIGEST_SHA256);
    dd_match_signature(db, inv, h);
    dd_hasher_final(h, d);
    dd_hasher_free(h);
}

TEST(application_packages)
{
    setup();
    dd_package_t pk[4];
    pk[0] = pkg(DD_PKG_PYPI, "PyYAML", "5.3", "PyYAML", "5.3");
    pk[0].db_path = "app/PyYAML-5.3.dist-info/METADATA";
    pk[0].layer = 2;
    pk[1] = pkg(DD_PKG_PYPI, "URLLib3", "1.24.1", "URLLib3", "1.24.1"); /* any case: PEP 503 */
    pk[1].db_path = "app/urllib3-1.24.1.dist-info/METADATA";
    pk[2] = pkg(DD_PKG_GOLANG, "stdlib", "go1.19.5", "stdlib", "go1.19.5");
    pk[2].db_path = "usr/local/bin/app";
    pk[3] = pkg(DD_PKG_NPM, "left-pad", "1.0.0", "left-pad", "1.0.0");
    /* no OS at all (a scratch image): assessed by the language feeds */
    dd_inventory_t inv = inv_of(NULL, pk, 3);
    dd_findings_t f;
    dd_findings_init(&f);
    dd_err_t e = {0};
    CHECK_INT(dd_match_inventory(db, &inv, NULL, &f, &e), DD_OK);
    CHECK(f.assessed && !f.healthy && f.reason == NULL);
    const dd_finding_t *x = find(&f, "PyYAML", "CVE-2020-1747");
    CHECK(x != NULL);
    if (x) {
        CHECK_STR(x->ecosystem, "PyPI");
        CHECK_STR(x->fixed_version, "5.3.1");
        CHECK_STR(x->path, "app/PyYAML-5.3.dist-info/METADATA");
        CHECK_INT(x->layer, 2);
        CHECK_INT(x->pkg_type, DD_PKG_PYPI);
        CHECK(has(x->advisories, x->n_advisories, "PYSEC-2020-96"));
    }
    CHECK(find(&f, "URLLib3", "CVE-2019-11324") != NULL);
    bool go = false;
    for (size_t i = 0; i < f.n; i++)
        if (!strcmp(f.v[i].package, "stdlib") && has(f.v[i].advisories, f.v[i].n_advisories, "GO-2023-1571")) {
            go = true;
            CHECK_STR(f.v[i].ecosystem, "Go");
            CHECK_STR(f.v[i].fixed_version, "1.19.6");
        }
    CHECK(go);
    size_t n3 = f.n_reported;
    dd_findings_release(&f);

    /* an ecosystem without data: not assessed, with the reason; the rest is matched */
    inv = inv_of(NULL, pk, 4);
    dd_findings_init(&f);
    CHECK_INT(dd_match_inventory(db, &inv, NULL, &f, &e), DD_OK);
    CHECK(!f.assessed && !f.healthy && f.reason != NULL);
    CHECK(f.reason && strstr(f.reason, "no vulnerability data for 'npm' (1 npm package)") != NULL);
    CHECK_INT(f.n_reported, n3);
    dd_findings_release(&f);

    /* OS packages in the image's ecosystem, the PyPI one in PyPI */
    dd_package_t mix[2] = {pkg(DD_PKG_DPKG, "libssl1.1", "1.1.1n-0+deb11u3", "openssl", "1.1.1n-0+deb11u3"), pk[0]};
    inv = inv_of("Debian:11", mix, 2);
    dd_findings_init(&f);
    CHECK_INT(dd_match_inventory(db, &inv, NULL, &f, &e), DD_OK);
    CHECK(f.assessed);
    CHECK(find(&f, "libssl1.1", "CVE-2023-0286") != NULL);
    x = find(&f, "libssl1.1", "CVE-2023-0286");
    CHECK(x && x->path == NULL && !strcmp(x->ecosystem, "Debian:11"));
    CHECK(find(&f, "PyYAML", "CVE-2020-1747") != NULL);
    dd_findings_release(&f);
    /* an unknown OS with only application packages does not need OS data */
    inv = inv_of("Nope:1", pk, 1);
    dd_findings_init(&f);
    CHECK_INT(dd_match_inventory(db, &inv, NULL, &f, &e), DD_OK);
    CHECK(f.assessed);
    dd_findings_release(&f);

    /* the signature sees application packages */
    dd_digest_t s1, s2, s3;
    inv = inv_of("Debian:11", mix, 1);
    sig_of(&inv, &s1);
    inv = inv_of("Debian:11", mix, 2);
    sig_of(&inv, &s2);
    CHECK(strcmp(s1.str, s2.str) != 0);
    dd_package_t fixed = pk[0];
    fixed.version = "5.4";
    dd_package_t mix2[2] = {mix[0], fixed};
    inv = inv_of("Debian:11", mix2, 2);
    sig_of(&inv, &s3);
    CHECK(strcmp(s2.str, s3.str) != 0);
}

TEST(cleanup)
{
    dd_vulndb_close(db);
    db = NULL;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (tmpdir[0]) CHECK_INT(system(cmd), 0);
}

TEST_MAIN(RUN(debian_dsa_below_fix); RUN(debian_tracker_states); RUN(alpine_origin); RUN(ubuntu_versions_and_unfixed);
          RUN(go_semver_multiple_ranges); RUN(osv_semantics); RUN(nvd_severity_fallback_and_report); RUN(advisory_with_many_cves); RUN(concurrent_matching_one_handle);
          RUN(application_packages); RUN(cleanup))
