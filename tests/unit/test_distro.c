/*
 * test_distro.c: the distribution feeds end to end (import, then match):
 * the Ubuntu USN -> UBUNTU-CVE -> CVE chain and cves_map priority, the
 * Debian tracker's urgency (real slice: "**" markers, "not yet assigned";
 * per-release urgency and DSA findings taking it), AlmaLinux/Rocky advisories
 * (CVE ids from `related`, the summary's severity word, bug fix advisories
 * ignored, modular entries), SUSE product ecosystems, the module rule, the
 * CentOS -> Red Hat fallback, and OS detection from the release files with
 * symlinks resolved inside the image only. Fixtures: tests/fixtures/distro/
 * (README there) and the shipped real Ubuntu OSV and tracker records.
 */
#include "dd/catalog.h"
#include "dd/feeds.h"
#include "dd/match.h"
#include "dd/scanner.h"
#include "test.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Drops an os and the arena its strings were allocated in. */
static void os_reset(dd_os_t *os, dd_arena_t *a)
{
    dd_arena_release(a);
    memset(os, 0, sizeof *os);
}

static char tmpdir[256], dbpath[300];
static dd_vulndb_t *db;

static void setup(void)
{
    if (db) return;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/dd-test-distro-XXXXXX");
    if (!mkdtemp(tmpdir)) abort();
    snprintf(dbpath, sizeof dbpath, "%s/vuln.db", tmpdir);
    dd_err_t e = {0};
    dd_vulndb_update_t *u = NULL;
    if (dd_vulndb_update_begin(dbpath, &u, &e)) abort();
    static const char *const files[] = {
        "feeds/ubuntu-osv/UBUNTU-CVE-2021-3782.json",
        "feeds/ubuntu-osv/USN-5614-1.json",
        "feeds/debian-tracker/debian.json",
        "distro/debian/tracker.json",
        "distro/debian/DSA-9999-1.json",
        "distro/almalinux-osv-slice.zip",
        "distro/rocky/RLSA-2024:0001.json",
        "distro/suse/SUSE-SU-2024:0160-1.json",
        "distro/suse/openSUSE-SU-2024:0001-1.json",
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        dd_feed_stats_t st = {0};
        if (dd_feed_import_path(dd_vulndb_update_db(u), fixture(files[i]), NULL, NULL, &st, &e) || st.skipped) {
            fprintf(stderr, "%s: %s %s\n", files[i], e.msg, st.n_msgs ? st.msgs[0] : "");
            abort();
        }
        if (strstr(files[i], "almalinux")) {
            /* 80 records; ALBA-2019:0973's 6 entries are deliberately not stored */
            if (st.records != 80 || st.ignored < 6) abort();
        }
    }
    if (dd_vulndb_update_commit(u, &e)) abort();
    if (dd_vulndb_open(dbpath, true, &db, &e)) abort();
}

static dd_package_t pkg(dd_pkg_type_t t, const char *name, const char *version, const char *module)
{
    dd_package_t p = {0};
    p.type = t;
    p.name = (char *)name;
    p.version = (char *)version;
    p.source_name = (char *)name;
    p.source_version = (char *)version;
    p.module = (char *)module;
    p.epoch = -1;
    return p;
}

static void match(const char *eco, dd_package_t *pkgs, size_t n, dd_findings_t *f)
{
    dd_inventory_t inv = {0};
    inv.os.ecosystem = (char *)eco;
    inv.pkgs = pkgs;
    inv.n = inv.cap = n;
    dd_findings_init(f);
    dd_err_t e = {0};
    CHECK_INT(dd_match_inventory(db, &inv, NULL, f, &e), DD_OK);
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

TEST(ubuntu_usn_chain_one_finding)
{
    setup();
    dd_package_t p = pkg(DD_PKG_DPKG, "libwayland-client0", "1.16.0-1ubuntu1.1~18.04.3", NULL);
    p.source_name = "wayland";
    dd_findings_t f;
    match("Ubuntu:18.04", &p, 1, &f);
    CHECK(f.assessed);
    CHECK_INT(f.n, 1); /* not USN-5614-1 and CVE-2021-3782 apart */
    const dd_finding_t *x = find(&f, NULL, "CVE-2021-3782");
    CHECK(x != NULL);
    if (x) {
        CHECK(has(x->advisories, x->n_advisories, "USN-5614-1"));
        CHECK(has(x->advisories, x->n_advisories, "UBUNTU-CVE-2021-3782"));
        CHECK_STR(dd_severity_name(x->severity), "Medium");
        CHECK_STR(x->severity_source, "ubuntu");
        CHECK_STR(x->fixed_version, "1.16.0-1ubuntu1.1~18.04.4");
    }
    dd_findings_release(&f);
    /* the USN alone (no UBUNTU-CVE record): its cves_map priority */
    dd_vulndb_t *db2 = NULL;
    dd_err_t e = {0};
    char p2[320];
    snprintf(p2, sizeof p2, "%s/usn.db", tmpdir);
    dd_vulndb_update_t *u = NULL;
    CHECK_INT(dd_vulndb_update_begin(p2, &u, &e), DD_OK);
    dd_feed_stats_t st = {0};
    CHECK_INT(dd_feed_import_path(dd_vulndb_update_db(u), fixture("feeds/ubuntu-osv/USN-5614-1.json"), NULL, NULL,
                                  &st, &e),
              DD_OK);
    CHECK_INT(dd_vulndb_update_commit(u, &e), DD_OK);
    CHECK_INT(dd_vulndb_open(p2, true, &db2, &e), DD_OK);
    dd_vulndb_t *keep = db;
    db = db2;
    match("Ubuntu:18.04", &p, 1, &f);
    db = keep;
    CHECK_INT(f.n, 1);
    if (f.n == 1) {
        CHECK_STR(f.v[0].id, "USN-5614-1"); /* the chain's next record is not loaded */
        CHECK_STR(dd_severity_name(f.v[0].severity), "Medium");
    }
    dd_findings_release(&f);
    dd_vulndb_close(db2);
    unlink(p2);
}

TEST(debian_tracker_urgency_real_slice)
{
    setup();
    dd_package_t p[3] = {pkg(DD_PKG_DPKG, "prototypejs", "1.6.0.1-1", NULL),
                         pkg(DD_PKG_DPKG, "txt2man", "1.5.5-4", NULL),
                         pkg(DD_PKG_DPKG, "backupninja", "0.7-1", NULL)};
    dd_findings_t f;
    match("Debian:10", p, 3, &f);
    const dd_finding_t *x = find(&f, "prototypejs", "CVE-2008-7220");
    CHECK(x && x->severity == DD_SEV_HIGH && !strcmp(x->severity_source, "debian"));
    x = find(&f, "txt2man", "CVE-2013-1444");
    CHECK(x && x->severity == DD_SEV_LOW);
    x = find(&f, "backupninja", "CVE-2005-3111");
    CHECK(x && x->severity == DD_SEV_MEDIUM);
    CHECK(find(&f, "prototypejs", "CVE-2007-2383") == NULL); /* unimportant, fixed "0": never affected */
    dd_findings_release(&f);
    /* "not yet assigned" is no vendor rating */
    dd_package_t c = pkg(DD_PKG_DPKG, "chromium", "97.0-1", NULL);
    match("Debian:11", &c, 1, &f);
    x = find(&f, "chromium", "CVE-2022-0456");
    CHECK(x && x->severity == DD_SEV_UNKNOWN && x->severity_source == NULL);
    dd_findings_release(&f);
}

TEST(dsa_takes_tracker_urgency_per_release)
{
    setup();
    /* Debian 12: 1.0-2 is fixed by the tracker's version but not by the
     * DSA's: only the DSA matches, and it takes the tracker's "low**" */
    dd_package_t p = pkg(DD_PKG_DPKG, "libfoo", "1.0-2", NULL);
    dd_findings_t f;
    match("Debian:12", &p, 1, &f);
    CHECK_INT(f.n, 1);
    const dd_finding_t *x = find(&f, "libfoo", "CVE-2099-1000");
    CHECK(x != NULL);
    if (x) {
        CHECK(has(x->advisories, x->n_advisories, "DSA-9999-1"));
        CHECK_INT(x->severity, DD_SEV_LOW);
        CHECK_STR(x->severity_source, "debian");
        CHECK_STR(x->vendor_severity, "low**");
        CHECK_STR(x->fixed_version, "1.0-3");
    }
    dd_findings_release(&f);
    /* Debian 11: the same CVE is "high" there */
    p.version = p.source_version = "0.9-1";
    match("Debian:11", &p, 1, &f);
    x = find(&f, "libfoo", "CVE-2099-1000");
    CHECK(x && x->severity == DD_SEV_HIGH && !strcmp(x->fixed_version, "0.9-1+deb11u2"));
    dd_findings_release(&f);
    /* Debian 13: "not yet assigned": the DSA finding stays without a vendor rating */
    p.version = p.source_version = "1.0-1";
    match("Debian:13", &p, 1, &f);
    x = find(&f, "libfoo", "CVE-2099-1000");
    CHECK(x && x->severity == DD_SEV_UNKNOWN);
    dd_findings_release(&f);
}

TEST(almalinux_rocky_advisories)
{
    setup();
    dd_vuln_t v;
    CHECK_INT(dd_vulndb_get_vuln(db, "RLSA-2024:0001", &v), DD_OK);
    CHECK_INT(v.severity, DD_SEV_MEDIUM);
    CHECK(v.upstream_json && strstr(v.upstream_json, "CVE-2023-45322") && strstr(v.upstream_json, "CVE-2023-39615"));
    dd_vuln_release(&v);
    dd_package_t p = pkg(DD_PKG_RPM, "libxml2", "2.9.13-4.el9", NULL);
    dd_findings_t f;
    match("Rocky Linux:9", &p, 1, &f);
    CHECK_INT(f.n, 2);
    const dd_finding_t *x = find(&f, "libxml2", "CVE-2023-39615");
    CHECK(x && x->severity == DD_SEV_MEDIUM && has(x->advisories, x->n_advisories, "RLSA-2024:0001"));
    dd_findings_release(&f);

    /* AlmaLinux: bug fix advisories never match; modular builds only match modular entries */
    dd_package_t m[3] = {
        pkg(DD_PKG_RPM, "oci-umount", "2:2.3.4-1.git87f9237.module_el8.3.0+2044+12421f43",
            "container-tools:rhel8:8030020201124131330:830107e8"),
        pkg(DD_PKG_RPM, "mailman", "3:2.1.29-1.module_el8.0.0+1+aaaa", "mailman:2.1:8000020190000:00000000"),
        pkg(DD_PKG_RPM, "perl-DBI", "1.641-1.el8", NULL), /* non-modular; perl-DBI entries are modular */
    };
    match("AlmaLinux:8", m, 3, &f);
    CHECK(f.assessed);
    for (size_t i = 0; i < f.n; i++) {
        CHECK(strncmp(f.v[i].id, "ALBA-", 5) != 0);
        CHECK(strcmp(f.v[i].package, "perl-DBI") != 0);
        CHECK(strncmp(f.v[i].id, "CVE-", 4) == 0);
    }
    bool mailman = false;
    for (size_t i = 0; i < f.n; i++)
        if (!strcmp(f.v[i].package, "mailman")) {
            mailman = true;
            CHECK(f.v[i].severity != DD_SEV_UNKNOWN && f.v[i].severity_source != NULL);
        }
    CHECK(mailman);
    dd_findings_release(&f);
}

TEST(module_rule)
{
    CHECK(dd_match_module(NULL, NULL));
    CHECK(!dd_match_module(NULL, "*"));
    CHECK(!dd_match_module(NULL, "nodejs:18"));
    CHECK(!dd_match_module("nodejs:18:8090020230810:a75119d5", NULL));
    CHECK(dd_match_module("nodejs:18:8090020230810:a75119d5", "*"));
    CHECK(dd_match_module("nodejs:18:8090020230810:a75119d5", "nodejs:18"));
    CHECK(!dd_match_module("nodejs:18:8090020230810:a75119d5", "nodejs:20"));
    CHECK(!dd_match_module("nodejs:18:8090020230810:a75119d5", "nodejs:1"));
    CHECK(!dd_match_module("nodejs:18:8090020230810:a75119d5", "nodejs"));
    CHECK(dd_match_module("", NULL));
}

TEST(suse_products_and_os)
{
    setup();
    char out[128];
    static const char *const norm[][2] = {
        {"SUSE:Linux Enterprise Module for Basesystem 15 SP5", "SUSE:Linux Enterprise Server 15 SP5"},
        {"SUSE:Linux Enterprise Module for Python 3 15 SP5", "SUSE:Linux Enterprise Server 15 SP5"},
        {"SUSE:Linux Enterprise Server 15 SP4-LTSS", "SUSE:Linux Enterprise Server 15 SP4"},
        {"SUSE:Linux Enterprise Server for SAP Applications 15 SP5", "SUSE:Linux Enterprise Server 15 SP5"},
        {"SUSE:Linux Enterprise High Performance Computing 15 SP3-ESPOS", "SUSE:Linux Enterprise Server 15 SP3"},
        {"SUSE:Linux Enterprise Server 12", "SUSE:Linux Enterprise Server 12"},
        {"SUSE:Linux Enterprise Micro 5.5", "SUSE:Linux Enterprise Micro 5.5"},
        {"openSUSE:Leap 15.5", "openSUSE:Leap 15.5"},
        {"SUSE:Linux Enterprise Module for Basesystem", "SUSE:Linux Enterprise Module for Basesystem"},
    };
    for (size_t i = 0; i < sizeof norm / sizeof norm[0]; i++) {
        dd_ecosystem_normalize(norm[i][0], out, sizeof out);
        CHECK_STR(out, norm[i][1]);
    }
    /* what the OS detector derives equals the feed's ecosystems */
    static const char *const os[][3] = {
        {"sles", "15.5", "SUSE:Linux Enterprise Server 15 SP5"},
        {"sles_sap", "15.4", "SUSE:Linux Enterprise Server 15 SP4"},
        {"opensuse-leap", "15.5", "openSUSE:Leap 15.5"},
        {"sle-micro", "5.5", "SUSE:Linux Enterprise Micro 5.5"},
    };
    dd_package_t p = pkg(DD_PKG_RPM, "libxml2-2", "2.10.3-150500.5.11.1", NULL);
    for (size_t i = 0; i < sizeof os / sizeof os[0]; i++) {
        char *eco = dd_os_ecosystem(os[i][0], os[i][1]);
        CHECK_STR(eco, os[i][2]);
        dd_findings_t f;
        match(eco, &p, 1, &f);
        if (strcmp(os[i][0], "sles_sap")) {
            /* SP4 has an LTSS fix below the SP5 build: only SP5, Leap and Micro match */
            const dd_finding_t *x = find(&f, "libxml2-2", "CVE-2023-45322");
            CHECK(x != NULL);
            if (x) CHECK(has(x->advisories, x->n_advisories, "SUSE-SU-2024:0160-1") ||
                         has(x->advisories, x->n_advisories, "openSUSE-SU-2024:0001-1"));
        } else {
            CHECK_INT(f.n, 0);
        }
        dd_findings_release(&f);
        free(eco);
    }
}

TEST(centos_falls_back_to_red_hat)
{
    setup();
    char buf[128];
    /* no CentOS:7 data: Red Hat:7 */
    CHECK_STR(dd_match_ecosystem(db, "CentOS:7", buf, sizeof buf), "Red Hat:7");
    CHECK_STR(dd_match_ecosystem(db, "AlmaLinux:8", buf, sizeof buf), "AlmaLinux:8");
    CHECK(dd_match_ecosystem(db, NULL, buf, sizeof buf) == NULL);
    dd_package_t p = pkg(DD_PKG_RPM, "openssl", "1.0.2k-19.el7", NULL);
    dd_findings_t f;
    match("CentOS:7", &p, 1, &f);
    CHECK(!f.assessed);
    CHECK(f.reason && strstr(f.reason, "CentOS:7") && strstr(f.reason, "Red Hat:7"));
    dd_findings_release(&f);
    /* an rpm OS without any feed (Fedora) stays NotAssessed with the reason */
    match("Fedora:38", &p, 1, &f);
    CHECK(!f.assessed && !f.healthy);
    CHECK_STR(f.reason, "no vulnerability data for 'Fedora:38'");
    dd_findings_release(&f);
}

static void put(dd_fileset_t *fs, const char *path, const char *data, bool link)
{
    dd_fileset_put(fs, path, data, strlen(data), 0, link ? 0120777 : 0100644);
}

static void detect(dd_fileset_t *fs, const char *eco, const char *version_id)
{
    dd_os_t os = {0};
    dd_arena_t a;
    dd_arena_init(&a);
    int rc = dd_os_detect(fs, &a, &os);
    if (eco) {
        CHECK_INT(rc, DD_OK);
        CHECK_STR(os.ecosystem, eco);
        if (version_id) CHECK_STR(os.version_id, version_id);
    } else {
        CHECK(rc == DD_DECLINED || os.ecosystem == NULL);
    }
    os_reset(&os, &a);
}

TEST(os_detection_release_files_and_links)
{
    CHECK(dd_catalog_wants("etc/centos-release") && dd_catalog_wants("etc/system-release") &&
          dd_catalog_wants("etc/fedora-release"));
    CHECK(dd_catalog_wants_link("etc/redhat-release") && dd_catalog_wants_link("etc/os-release"));
    CHECK(!dd_catalog_wants_link("var/lib/rpm/rpmdb.sqlite"));
    dd_fileset_t fs;
    /* CentOS 6: no os-release, etc/redhat-release -> centos-release */
    dd_fileset_init(&fs);
    put(&fs, "etc/centos-release", "CentOS release 6.10 (Final)\n", false);
    put(&fs, "etc/redhat-release", "centos-release", true);
    put(&fs, "etc/system-release", "centos-release", true);
    detect(&fs, "CentOS:6", "6.10");
    dd_fileset_release(&fs);
    /* links with absolute targets and ".." are taken inside the image */
    dd_fileset_init(&fs);
    put(&fs, "etc/centos-release", "CentOS Linux release 7.9.2009 (Core)\n", false);
    put(&fs, "etc/redhat-release", "/../../../etc/./centos-release", true);
    detect(&fs, "CentOS:7", "7.9.2009");
    dd_fileset_release(&fs);
    /* a link out of the image (or to a file the image lacks) is nothing: the
     * next file decides; a loop ends */
    dd_fileset_init(&fs);
    put(&fs, "etc/os-release", "../../../../etc/shadow", true);
    put(&fs, "usr/lib/os-release", "/usr/lib/os-release", true);
    put(&fs, "etc/redhat-release", "system-release", true);
    put(&fs, "etc/system-release", "redhat-release", true);
    put(&fs, "etc/fedora-release", "Fedora release 38 (Thirty Eight)\n", false);
    detect(&fs, "Fedora:38", "38");
    dd_fileset_release(&fs);
    /* etc/os-release -> ../usr/lib/os-release (the usual layout) */
    dd_fileset_init(&fs);
    put(&fs, "etc/os-release", "../usr/lib/os-release", true);
    put(&fs, "usr/lib/os-release", "ID=rocky\nVERSION_ID=\"9.3\"\n", false);
    detect(&fs, "Rocky Linux:9", "9.3");
    dd_fileset_release(&fs);
    /* Amazon Linux and Oracle Linux through etc/system-release */
    dd_fileset_init(&fs);
    put(&fs, "etc/system-release", "Amazon Linux release 2 (Karoo)\n", false);
    detect(&fs, "Amazon Linux:2", "2");
    dd_fileset_release(&fs);
    dd_fileset_init(&fs);
    put(&fs, "etc/system-release", "Oracle Linux Server release 7.9\n", false);
    detect(&fs, "Oracle Linux:7", "7.9");
    dd_fileset_release(&fs);
    /* only links: nothing */
    dd_fileset_init(&fs);
    put(&fs, "etc/redhat-release", "/proc/self/environ", true);
    detect(&fs, NULL, NULL);
    dd_fileset_release(&fs);
}

TEST(stored_inventory_keeps_module)
{
    dd_package_t p[2] = {pkg(DD_PKG_RPM, "nodejs", "1:18.17.1-1.module_el8.8.0+3613+e2a2fd5d",
                             "nodejs:18:8080020230825:a75119d5"),
                         pkg(DD_PKG_RPM, "bash", "4.4.20-4.el8", NULL)};
    dd_inventory_t inv = {0};
    inv.os.ecosystem = "AlmaLinux:8";
    inv.pkgs = p;
    inv.n = inv.cap = 2;
    dd_buf_t b;
    dd_buf_init(&b, 1 << 20);
    CHECK_INT(dd_inventory_encode(&inv, NULL, 0, &b), DD_OK);
    dd_inventory_t out;
    dd_inventory_init(&out);
    dd_err_t e = {0};
    CHECK_INT(dd_inventory_decode(b.ptr, b.len, &out, NULL, NULL, &e), DD_OK);
    CHECK_INT(out.n, 2);
    if (out.n == 2) {
        CHECK_STR(out.pkgs[0].module, "nodejs:18:8080020230825:a75119d5");
        CHECK(out.pkgs[1].module == NULL);
    }
    dd_inventory_release(&out);
    dd_buf_release(&b);
}

TEST(cleanup)
{
    if (db) dd_vulndb_close(db);
    db = NULL;
    unlink(dbpath);
    char lock[320];
    snprintf(lock, sizeof lock, "%s.lock", dbpath);
    unlink(lock);
    rmdir(tmpdir);
}

TEST_MAIN(RUN(ubuntu_usn_chain_one_finding); RUN(debian_tracker_urgency_real_slice);
          RUN(dsa_takes_tracker_urgency_per_release); RUN(almalinux_rocky_advisories); RUN(module_rule);
          RUN(suse_products_and_os); RUN(centos_falls_back_to_red_hat); RUN(os_detection_release_files_and_links);
          RUN(stored_inventory_keeps_module); RUN(cleanup))
