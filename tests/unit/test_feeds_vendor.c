/*
 * test_feeds_vendor.c: the vendor-format importers, Red Hat CSAF VEX
 * (csaf-vex) and Amazon Linux ALAS updateinfo (alas).
 *
 * Fixtures (tests/fixtures/vendor-feeds/, see tests/fixtures/feeds/README.md):
 *   - redhat-csaf/2022/cve-2022-0563.json, 2024/cve-2024-28085.json: two real
 *     Red Hat VEX files, byte for byte (security.access.redhat.com/data/csaf/v2/vex/,
 *     as mirrored in github.com/aquasecurity/vuln-list-redhat; CC BY 4.0, Red Hat);
 *   - redhat-csaf/2099/cve-2099-000N.json: documents written for these tests
 *     in the same layout (product_family / architecture branches,
 *     relationships, purls, product_status, remediations, threats, scores)
 *     with fictitious ids, to cover fixed rpms, every state and module streams;
 *   - redhat-csaf-archive/csaf_vex_2024-11-06.tar.zst: those six documents
 *     packed like Red Hat's csaf_vex_YYYY-MM-DD.tar.zst;
 *   - alas/{1,2,2023}/updateinfo.xml[.gz]: the yum updateinfo served by the
 *     Amazon Linux repositories (repodata/updateinfo.xml.gz).
 * The written documents' versions and states are chosen to cover every
 * mapping; the ALAS files are written too (no real copy offline) and are not
 * Amazon's actual advisories.
 */
#include "dd/feeds.h"
#include "dd/vulndb.h"
#include "test.h"

#include <archive.h>
#include <archive_entry.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[256];

static void setup(void)
{
    if (tmpdir[0]) return;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/dd-test-vendor-XXXXXX");
    if (!mkdtemp(tmpdir)) abort();
}

/* One row of affected as "state|fixed|severity_raw|module" (empty for NULL). */
static const char *row(const char *db, const char *vuln, const char *eco, const char *pkg, const char *module)
{
    static char out[512];
    snprintf(out, sizeof out, "(none)");
    sqlite3 *h = NULL;
    sqlite3_stmt *st = NULL;
    if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(h,
                           "SELECT fix_state, ifnull(fixed,''), ifnull(severity_raw,''), ifnull(module,''),"
                           " count(*) OVER () FROM affected WHERE vuln_id=?1 AND ecosystem=?2 AND package=?3"
                           " AND ifnull(module,'')=?4",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, vuln, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, eco, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, pkg, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, module ? module : "", -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW)
            snprintf(out, sizeof out, "%s|%s|%s|%s%s",
                     dd_fix_state_name((dd_fix_state_t)sqlite3_column_int(st, 0)),
                     (const char *)sqlite3_column_text(st, 1), (const char *)sqlite3_column_text(st, 2),
                     (const char *)sqlite3_column_text(st, 3), sqlite3_column_int(st, 4) > 1 ? " (dup)" : "");
    }
    sqlite3_finalize(st);
    sqlite3_close(h);
    return out;
}

static long count(const char *db, const char *sql)
{
    sqlite3 *h = NULL;
    sqlite3_stmt *st = NULL;
    long n = -1;
    if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        n = (long)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return n;
}

/* Imports paths (format, feed may be NULL) into a fresh database file name;
 * the stats of the last import in *st. Returns the rc of the first failure. */
static int import_into(const char *name, const char *format, const char *feed, dd_feed_stats_t *st,
                       dd_err_t *e, int n, const char *const *paths)
{
    setup();
    char path[400];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    dd_vulndb_update_t *u = NULL;
    if (dd_vulndb_update_begin(path, &u, e)) return -100;
    int rc = DD_OK;
    for (int i = 0; i < n && !rc; i++) {
        memset(st, 0, sizeof *st);
        rc = dd_feed_import_path(dd_vulndb_update_db(u), paths[i], format, feed, st, e);
    }
    if (rc) {
        dd_vulndb_update_abort(u);
        return rc;
    }
    return dd_vulndb_update_commit(u, e);
}

static const char *dbfile(const char *name)
{
    static char p[400];
    snprintf(p, sizeof p, "%s/%s", tmpdir, name);
    return p;
}

/* ---- Red Hat CSAF VEX ------------------------------------------------------ */

static void check_csaf_rows(const char *db)
{
    /* real: CVE-2022-0563, RHEL 6/7 "Out of support scope" (unfixed source
     * packages, purl arch=src), RHEL 8/9 not affected; CVE-2024-28085 not
     * affected anywhere (stored without rows) */
    CHECK_STR(row(db, "CVE-2022-0563", "Red Hat:6", "util-linux-ng", NULL), "end-of-life||Moderate|");
    CHECK_STR(row(db, "CVE-2022-0563", "Red Hat:7", "util-linux", NULL), "end-of-life||Moderate|");
    CHECK_STR(row(db, "CVE-2022-0563", "Red Hat:8", "util-linux", NULL), "(none)");
    CHECK_INT(count(db, "SELECT count(*) FROM affected WHERE vuln_id='CVE-2024-28085'"), 0);
    CHECK_INT(count(db, "SELECT count(*) FROM vulns WHERE id='CVE-2024-28085' AND severity=2"
                        " AND cvss_vector='CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:L/I:L/A:N'"
                        " AND summary='util-linux: CVE-2024-28085: wall: escape sequence injection'"
                        " AND details LIKE 'wall in util-linux through 2.40%'"
                        " AND published='2024-03-27T00:00:00+00:00' AND modified='2025-07-05T10:06:38+00:00'"
                        " AND refs LIKE '[\"https://access.redhat.com/security/cve/CVE-2024-28085\",%'"),
              1);
    /* written: fixed in RHEL 9 (x86_64 and aarch64 merged, .src skipped); the
     * EUS stream (cpe rhel_eus) and the not-affected RHEL 7/8 are not stored */
    CHECK_STR(row(db, "CVE-2099-0001", "Red Hat:9", "curl", NULL), "fixed|7.76.1-26.el9_3.2|Important|");
    CHECK_STR(row(db, "CVE-2099-0001", "Red Hat:9", "libcurl-minimal", NULL), "fixed|7.76.1-26.el9_3.2|Important|");
    CHECK_STR(row(db, "CVE-2099-0001", "Red Hat:8", "curl", NULL), "(none)");
    CHECK_INT(count(db, "SELECT count(*) FROM affected WHERE vuln_id='CVE-2099-0001'"), 3);
    /* every known_affected state, and under_investigation */
    CHECK_STR(row(db, "CVE-2099-0002", "Red Hat:6", "util-linux-ng", NULL), "end-of-life||Moderate|");
    CHECK_STR(row(db, "CVE-2099-0002", "Red Hat:7", "util-linux", NULL), "will-not-fix||Moderate|");
    CHECK_STR(row(db, "CVE-2099-0002", "Red Hat:8", "util-linux", NULL), "not-fixed||Moderate|");
    CHECK_STR(row(db, "CVE-2099-0002", "Red Hat:9", "util-linux", NULL), "unknown||Moderate|");
    CHECK_STR(row(db, "CVE-2099-0003", "Red Hat:9", "util-linux", NULL), "deferred||Low|");
    CHECK_STR(row(db, "CVE-2099-0003", "Red Hat:8", "libuuid", NULL), "fixed|2.32.1-43.el8|Low|");
    /* module streams: the stream of the module build, epoch kept */
    CHECK_STR(row(db, "CVE-2099-0004", "Red Hat:8", "nodejs", "nodejs:18"),
              "fixed|1:18.18.2-2.module+el8.8.0+20364+c4d5a5b4|Important|nodejs:18");
    CHECK_STR(row(db, "CVE-2099-0004", "Red Hat:8", "npm", "nodejs:18"),
              "fixed|1:9.8.1-1.18.18.2.2.module+el8.8.0+20364+c4d5a5b4|Important|nodejs:18");
    CHECK_STR(row(db, "CVE-2099-0004", "Red Hat:8", "nodejs", "nodejs:16"), "end-of-life||Important|nodejs:16");
    CHECK_STR(row(db, "CVE-2099-0004", "Red Hat:8", "nodejs", "nodejs:20"), "unknown||Important|nodejs:20");
    CHECK_STR(row(db, "CVE-2099-0004", "Red Hat:8", "nodejs", NULL), "(none)");
    CHECK_INT(count(db, "SELECT count(*) FROM vulns WHERE id='CVE-2099-0001' AND severity=4 AND cvss_score=8.1"
                        " AND cvss_vector='CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H'"),
              1);
    CHECK_INT(count(db, "SELECT count(*) FROM affected WHERE feed='redhat-csaf'"), 17);
}

TEST(csaf_directory_tree)
{
    dd_feed_stats_t st;
    dd_err_t e = {0};
    const char *p[] = {fixture("vendor-feeds/redhat-csaf")};
    /* a directory whose first *.json is a VEX document: detected */
    CHECK_INT(import_into("csaf-dir.db", NULL, NULL, &st, &e, 1, p), 0);
    CHECK_STR(st.format, "csaf-vex");
    CHECK_STR(st.feed, "redhat-csaf");
    CHECK_INT(st.records, 6);
    CHECK_INT(st.affected, 17);
    CHECK_INT(st.ignored, 12); /* 2 EUS products, 10 known_not_affected */
    CHECK_INT(st.skipped, 0);
    check_csaf_rows(dbfile("csaf-dir.db"));
    /* re-importing (forced format) is idempotent */
    CHECK_INT(import_into("csaf-dir.db", "csaf-vex", NULL, &st, &e, 1, p), 0);
    CHECK_INT(count(dbfile("csaf-dir.db"), "SELECT count(*) FROM affected"), 17);
    CHECK_INT(count(dbfile("csaf-dir.db"), "SELECT count(*) FROM vulns"), 6);
}

TEST(csaf_archive_and_single_file)
{
    dd_feed_stats_t st;
    dd_err_t e = {0};
    const char *a[] = {fixture("vendor-feeds/redhat-csaf-archive/csaf_vex_2024-11-06.tar.zst")};
    CHECK_INT(import_into("csaf-tar.db", NULL, NULL, &st, &e, 1, a), 0);
    CHECK_STR(st.format, "csaf-vex");
    CHECK_INT(st.records, 6);
    CHECK_INT(st.affected, 17);
    check_csaf_rows(dbfile("csaf-tar.db"));
    const char *f[] = {fixture("vendor-feeds/redhat-csaf/2099/cve-2099-0004.json")};
    CHECK_INT(import_into("csaf-one.db", NULL, "redhat-test", &st, &e, 1, f), 0);
    CHECK_STR(st.feed, "redhat-test");
    CHECK_INT(st.records, 1);
    CHECK_INT(st.affected, 4);
    CHECK_INT(st.ignored, 1);
}

static int tree_done(const char *path, const dd_feed_stats_t *st, void *arg)
{
    long *n = arg;
    if (strcmp(st->format, "csaf-vex") || !strstr(path, "redhat-csaf/20")) return -1;
    n[0]++;
    n[1] += st->records;
    n[2] += st->affected;
    return 0;
}

TEST(csaf_in_an_import_tree)
{
    /* `drydock db import DIR`: each directory of VEX documents is one import */
    dd_vulndb_t *db = NULL;
    CHECK_INT(dd_vulndb_open(":memory:", false, &db, NULL), 0);
    if (!db) return;
    long n[3] = {0};
    dd_err_t e = {0};
    CHECK_INT(dd_feed_import_tree(db, fixture("vendor-feeds/redhat-csaf"), tree_done, n, &e), 0);
    CHECK_INT(n[0], 3); /* 2022, 2024, 2099 */
    CHECK_INT(n[1], 6);
    CHECK_INT(n[2], 17);
    dd_vulndb_close(db);
}

TEST(csaf_truncated_archive_fails)
{
    setup();
    dd_buf_t b;
    dd_buf_init(&b, 1 << 20);
    CHECK_INT(dd_file_read(fixture("vendor-feeds/redhat-csaf-archive/csaf_vex_2024-11-06.tar.zst"), 1 << 20, &b, NULL),
              0);
    char cut[400];
    snprintf(cut, sizeof cut, "%s/csaf_vex_cut.tar.zst", tmpdir);
    CHECK_INT(dd_file_write_atomic(cut, b.ptr, b.len * 2 / 3, NULL), 0);
    dd_buf_release(&b);
    dd_feed_stats_t st;
    dd_err_t e = {0};
    const char *p[] = {cut};
    int rc = import_into("csaf-cut.db", "csaf-vex", NULL, &st, &e, 1, p);
    CHECK(rc == DD_ECORRUPT);
    CHECK(strstr(e.msg, "csaf_vex_cut.tar.zst") != NULL);
}

/* A document without relationships: the product ids are parsed (platform id
 * prefix, then NEVRA / name / module-qualified forms). */
static const char *const no_rel_doc =
    "{\"document\":{\"category\":\"csaf_vex\",\"csaf_version\":\"2.0\",\"title\":\"t\","
    "\"tracking\":{\"id\":\"CVE-2099-0001\",\"current_release_date\":\"2024-01-02T00:00:00+00:00\"}},"
    "\"product_tree\":{\"branches\":[{\"category\":\"vendor\",\"name\":\"Red Hat\",\"branches\":["
    "{\"category\":\"product_name\",\"name\":\"AS8\",\"product\":{\"name\":\"AS8\",\"product_id\":\"rhel-8.10.z::appstream\","
    "\"product_identification_helper\":{\"cpe\":\"cpe:/a:redhat:enterprise_linux:8::appstream\"}}},"
    "{\"category\":\"product_name\",\"name\":\"R9\",\"product\":{\"name\":\"R9\",\"product_id\":\"red_hat_enterprise_linux_9\","
    "\"product_identification_helper\":{\"cpe\":\"cpe:/o:redhat:enterprise_linux:9\"}}},"
    "{\"category\":\"product_name\",\"name\":\"R10\",\"product\":{\"name\":\"R10\",\"product_id\":\"rhel-10.0\","
    "\"product_identification_helper\":{\"cpe\":\"cpe:/o:redhat:enterprise_linux:10.0\"}}},"
    "{\"category\":\"product_name\",\"name\":\"E8\",\"product\":{\"name\":\"E8\",\"product_id\":\"rhel-8.8.0.z\","
    "\"product_identification_helper\":{\"cpe\":\"cpe:/a:redhat:rhel_eus:8.8\"}}}]}]},"
    "\"vulnerabilities\":[{\"cve\":\"CVE-2099-0001\",\"title\":\"x\","
    "\"threats\":[{\"category\":\"impact\",\"details\":\"Critical\"}],"
    "\"product_status\":{\"fixed\":["
    "\"rhel-8.10.z::appstream:perl:5.32:8100020240101000000:9fe1d287:perl-4:5.32.1-480.module+el8.10.0+1+2.x86_64\","
    "\"rhel-8.10.z::appstream:bind-32:9.11.36-16.el8_10.2.noarch\","
    "\"rhel-8.10.z::appstream:postgresql-0:15.6-1.module+el8.10.0+3+4.x86_64\","
    "\"rhel-10.0:glibc-0:2.39-37.el10.x86_64\",\"rhel-8.8.0.z:glibc-0:2.28-225.el8_8.6.x86_64\"],"
    "\"known_affected\":[\"red_hat_enterprise_linux_9:php:8.1/php\",\"red_hat_enterprise_linux_9:zlib\","
    "\"red_hat_enterprise_linux_9:rhel9/ruby-30\"]},"
    "\"remediations\":[{\"category\":\"none_available\",\"details\":\"Affected\",\"product_ids\":"
    "[\"red_hat_enterprise_linux_9:zlib\"]}]}]}";

struct want {
    const char *eco, *pkg, *module, *fixed;
    dd_fix_state_t state;
    int seen;
};

static int want_cb(const dd_affected_t *a, void *arg)
{
    struct want *x = arg;
    bool ok = a->fix_state == x->state && !strcmp(a->vuln_id, "CVE-2099-0001") &&
              ((!a->module && !x->module) || (a->module && x->module && !strcmp(a->module, x->module))) &&
              ((!a->fixed && !x->fixed) || (a->fixed && x->fixed && !strcmp(a->fixed, x->fixed))) &&
              a->severity == DD_SEV_CRITICAL && a->severity_raw && !strcmp(a->severity_raw, "Critical");
    if (!ok)
        fprintf(stderr, "  got %s %s module=%s fixed=%s state=%d\n", a->ecosystem, a->package,
                a->module ? a->module : "(null)", a->fixed ? a->fixed : "(null)", (int)a->fix_state);
    x->seen += ok;
    return 0;
}

static int pg_cb(const dd_affected_t *a, void *arg)
{
    if (a->module && !strcmp(a->module, "postgresql:15") && a->fix_state == DD_FIX_DEFERRED) ++*(int *)arg;
    return 0;
}

TEST(csaf_ids_without_relationships)
{
    dd_vulndb_t *db = NULL;
    CHECK_INT(dd_vulndb_open(":memory:", false, &db, NULL), 0);
    if (!db) return;
    const dd_feed_t *f = dd_feed_detect((const uint8_t *)no_rel_doc, strlen(no_rel_doc));
    CHECK(f && !strcmp(f->name, "csaf-vex"));
    dd_feed_stats_t st = {0};
    dd_err_t e = {0};
    CHECK_INT(dd_feed_find("csaf-vex")->import_mem(db, NULL, (const uint8_t *)no_rel_doc, strlen(no_rel_doc), &st, &e),
              0);
    CHECK_INT(st.records, 1);
    CHECK_INT(st.affected, 6);
    CHECK_INT(st.ignored, 2); /* the container image, the EUS stream */
    CHECK_INT(st.skipped, 0);
    struct want w[] = {
        {"Red Hat:8", "perl", "perl:5.32", "4:5.32.1-480.module+el8.10.0+1+2", DD_FIX_FIXED, 0},
        {"Red Hat:8", "bind", NULL, "32:9.11.36-16.el8_10.2", DD_FIX_FIXED, 0},
        {"Red Hat:8", "postgresql", "*", "15.6-1.module+el8.10.0+3+4", DD_FIX_FIXED, 0},
        {"Red Hat:9", "php", "php:8.1", NULL, DD_FIX_NOT_FIXED, 0},
        {"Red Hat:9", "zlib", NULL, NULL, DD_FIX_NOT_FIXED, 0},
        {"Red Hat:10", "glibc", NULL, "2.39-37.el10", DD_FIX_FIXED, 0},
    };
    for (size_t i = 0; i < sizeof w / sizeof w[0]; i++) {
        struct want *x = &w[i];
        dd_vulndb_each_affected(db, x->eco, x->pkg, want_cb, x);
        CHECK_INT(x->seen, 1);
    }
    dd_vulndb_close(db);
}

TEST(csaf_module_purl_of_unfixed_stream)
{
    /* Red Hat's unfixed packages of a module stream: product_reference "postgresql"
     * with purl "pkg:rpmmod/redhat/postgresql:15/postgresql" */
    const char *doc =
        "{\"document\":{\"category\":\"csaf_vex\"},\"product_tree\":{\"branches\":[{\"branches\":["
        "{\"category\":\"product_name\",\"product\":{\"product_id\":\"red_hat_enterprise_linux_8\","
        "\"product_identification_helper\":{\"cpe\":\"cpe:/o:redhat:enterprise_linux:8\"}}},"
        "{\"category\":\"product_version\",\"product\":{\"product_id\":\"pg15\","
        "\"product_identification_helper\":{\"purl\":\"pkg:rpmmod/redhat/postgresql:15/postgresql\"}}}]}],"
        "\"relationships\":[{\"category\":\"default_component_of\",\"full_product_name\":{\"product_id\":"
        "\"red_hat_enterprise_linux_8:pg15\"},\"product_reference\":\"pg15\",\"relates_to_product_reference\":"
        "\"red_hat_enterprise_linux_8\"}]},"
        "\"vulnerabilities\":[{\"cve\":\"CVE-2099-0010\",\"product_status\":{\"known_affected\":"
        "[\"red_hat_enterprise_linux_8:pg15\"]},\"remediations\":[{\"category\":\"none_available\","
        "\"details\":\"Fix deferred\",\"product_ids\":[\"red_hat_enterprise_linux_8:pg15\"]}]}]}";
    dd_vulndb_t *db = NULL;
    CHECK_INT(dd_vulndb_open(":memory:", false, &db, NULL), 0);
    if (!db) return;
    dd_feed_stats_t st = {0};
    dd_err_t e = {0};
    CHECK_INT(dd_feed_find("csaf-vex")->import_mem(db, NULL, (const uint8_t *)doc, strlen(doc), &st, &e), 0);
    CHECK_INT(st.affected, 1);
    int seen = 0;
    dd_vulndb_each_affected(db, "Red Hat:8", "postgresql", pg_cb, &seen);
    CHECK_INT(seen, 1);
    dd_vulndb_close(db);
}

TEST(csaf_bad_records_and_wrong_format)
{
    dd_vulndb_t *db = NULL;
    CHECK_INT(dd_vulndb_open(":memory:", false, &db, NULL), 0);
    if (!db) return;
    const dd_feed_t *f = dd_feed_find("csaf-vex");
    const char *doc =
        "{\"document\":{\"category\":\"csaf_vex\"},\"product_tree\":{\"branches\":[{\"category\":\"product_name\","
        "\"product\":{\"product_id\":\"R8\",\"product_identification_helper\":{\"cpe\":\"cpe:/o:redhat:enterprise_linux:8\"}}}]},"
        "\"vulnerabilities\":["
        "{\"title\":\"no cve\"},"
        "{\"cve\":\"CVE-2099-0002\",\"product_status\":{\"fixed\":\"R8:a-0:1-1.el8.x86_64\"}},"
        "{\"cve\":\"CVE-2099-0003\",\"product_status\":{\"fixed\":[\"R8:broken-X:1.x86_64\"]}},"
        "{\"cve\":\"CVE-2099-0004\",\"product_status\":{\"fixed\":[\"R8:zlib\"]}},"
        "{\"cve\":\"CVE-2099-0005\",\"product_status\":{\"fixed\":[\"R8:zlib-0:1.2.11-25.el8.x86_64\"],"
        "\"known_affected\":[\"R8:odd:thing\"]}}]}";
    dd_feed_stats_t st = {0};
    dd_err_t e = {0};
    CHECK_INT(f->import_mem(db, NULL, (const uint8_t *)doc, strlen(doc), &st, &e), 0);
    CHECK_INT(st.records, 1);
    CHECK_INT(st.skipped, 4);
    CHECK_INT(st.ignored, 1);
    CHECK_INT(st.n_msgs, 5);
    CHECK(strstr(st.msgs[4], "CVE-2099-0005: product 'R8:odd:thing' not understood") != NULL);
    CHECK(strstr(st.msgs[0], "vulnerabilities[0]") && strstr(st.msgs[0], "without a valid cve"));
    CHECK(strstr(st.msgs[1], "CVE-2099-0002") && strstr(st.msgs[1], "not an array"));
    CHECK(strstr(st.msgs[2], "CVE-2099-0003") && strstr(st.msgs[2], "cannot parse product"));
    CHECK(strstr(st.msgs[3], "CVE-2099-0004") && strstr(st.msgs[3], "has no version"));
    CHECK_INT(dd_vulndb_count_ecosystem(db, "Red Hat:8"), 1);
    /* a CSAF advisory (not VEX), truncated JSON: the document fails */
    const char *adv = "{\"document\":{\"category\":\"csaf_security_advisory\"},\"vulnerabilities\":[]}";
    CHECK_INT(f->import_mem(db, NULL, (const uint8_t *)adv, strlen(adv), &st, &e), DD_EINVAL);
    CHECK(strstr(e.msg, "not a csaf_vex document") != NULL);
    CHECK_INT(f->import_mem(db, NULL, (const uint8_t *)doc, strlen(doc) / 2, &st, &e), DD_EINVAL);
    CHECK(strstr(e.msg, "invalid json") != NULL);
    CHECK(!f->detect((const uint8_t *)"<updates>", 9));
    dd_vulndb_close(db);

    /* inside a directory, a bad document is one skipped record with its file name */
    setup();
    char dir[400], p[500];
    snprintf(dir, sizeof dir, "%s/csafbad", tmpdir);
    CHECK_INT(dd_mkdirs(dir, 0755, NULL), 0);
    snprintf(p, sizeof p, "%s/a-good.json", dir);
    CHECK_INT(dd_file_write_atomic(p, no_rel_doc, strlen(no_rel_doc), NULL), 0);
    snprintf(p, sizeof p, "%s/b-cut.json", dir);
    CHECK_INT(dd_file_write_atomic(p, doc, strlen(doc) / 2, NULL), 0);
    const char *paths[] = {dir};
    CHECK_INT(import_into("csaf-bad.db", "csaf-vex", NULL, &st, &e, 1, paths), 0);
    CHECK_INT(st.records, 1);
    CHECK_INT(st.skipped, 1);
    CHECK(strstr(st.msgs[0], "b-cut.json") && strstr(st.msgs[0], "invalid json"));
}

static const char *const alas_small =
    "<?xml version=\"1.0\" ?><updates><update type=\"security\"><id>ALAS2-2099-0009</id>"
    "<severity>low</severity><pkglist><collection><package name=\"z\" epoch=\"0\" version=\"1\" "
    "release=\"1.amzn2\" arch=\"x86_64\"/></collection></pkglist></update></updates>";

/* Writes one entry (name, data) into a new file path; filter: a libarchive
 * filter code, format: raw (single compressed stream) or pax tar. */
static int write_archive(const char *path, bool tar, int filter, const char *name, const char *data)
{
    struct archive *a = archive_write_new();
    archive_write_add_filter(a, filter);
    if (tar) archive_write_set_format_pax_restricted(a);
    else archive_write_set_format_raw(a);
    if (archive_write_open_filename(a, path) != ARCHIVE_OK) {
        archive_write_free(a);
        return -1;
    }
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, (la_int64_t)strlen(data));
    int rc = archive_write_header(a, e) == ARCHIVE_OK &&
                     archive_write_data(a, data, strlen(data)) == (la_ssize_t)strlen(data)
                 ? 0
                 : -1;
    archive_entry_free(e);
    if (archive_write_close(a) != ARCHIVE_OK) rc = -1;
    archive_write_free(a);
    return rc;
}

TEST(compressed_and_tar_inputs)
{
    setup();
    char p[400];
    dd_feed_stats_t st;
    dd_err_t e = {0};
    /* an xz-compressed single document of a format without import_path */
    snprintf(p, sizeof p, "%s/updateinfo.xml.xz", tmpdir);
    CHECK_INT(write_archive(p, false, ARCHIVE_FILTER_XZ, "updateinfo.xml", alas_small), 0);
    const char *a[] = {p};
    CHECK_INT(import_into("xz.db", NULL, NULL, &st, &e, 1, a), 0);
    CHECK_STR(st.format, "alas");
    CHECK_INT(st.records, 1);
    /* a gzip'd tar of VEX documents */
    snprintf(p, sizeof p, "%s/vex.tar.gz", tmpdir);
    CHECK_INT(write_archive(p, true, ARCHIVE_FILTER_GZIP, "2099/cve-2099-0001.json", no_rel_doc), 0);
    CHECK_INT(import_into("targz.db", NULL, NULL, &st, &e, 1, a), 0);
    CHECK_STR(st.format, "csaf-vex");
    CHECK_INT(st.records, 1);
    CHECK_INT(st.affected, 6);
    /* a tar of another format is refused */
    snprintf(p, sizeof p, "%s/osv.tar", tmpdir);
    CHECK_INT(write_archive(p, true, ARCHIVE_FILTER_NONE, "a.json",
                            "{\"id\":\"OSV-1\",\"modified\":\"2024-01-01T00:00:00Z\"}"),
              0);
    CHECK_INT(import_into("tar-osv.db", NULL, NULL, &st, &e, 1, a), DD_EINVAL);
    CHECK(strstr(e.msg, "a tar archive can only hold csaf-vex documents") != NULL);
    /* a directory cannot be forced to a format without import_path */
    const char *d[] = {fixture("vendor-feeds/alas")};
    CHECK_INT(import_into("dir-alas.db", "alas", NULL, &st, &e, 1, d), DD_EINVAL);
    CHECK(strstr(e.msg, "a directory can only hold") != NULL);
}

/* ---- Amazon Linux ALAS ------------------------------------------------------ */

TEST(alas_releases)
{
    dd_feed_stats_t st;
    dd_err_t e = {0};
    const char *p23[] = {fixture("vendor-feeds/alas/2023/updateinfo.xml")};
    CHECK_INT(import_into("alas.db", NULL, NULL, &st, &e, 1, p23), 0);
    CHECK_STR(st.format, "alas");
    CHECK_STR(st.feed, "alas/2023"); /* from the advisory ids */
    CHECK_INT(st.records, 3);
    CHECK_INT(st.affected, 6);
    CHECK_INT(st.ignored, 1); /* the bugfix update */
    CHECK_INT(st.skipped, 0);
    const char *db = dbfile("alas.db");
    /* arches merged, .src skipped, epoch kept, the vendor word as written */
    CHECK_STR(row(db, "ALAS2023-2023-236", "Amazon Linux:2023", "openssl-libs", NULL),
              "fixed|1:3.0.8-1.amzn2023.0.3|important|");
    CHECK_STR(row(db, "ALAS2023-2023-181", "Amazon Linux:2023", "libcurl-minimal", NULL),
              "fixed|8.0.1-2.amzn2023.0.1|medium|");
    CHECK_STR(row(db, "ALAS2023-2023-181", "Amazon Linux:2023", "curl", NULL), "(none)");
    CHECK_STR(row(db, "ALAS2023-2023-240", "Amazon Linux:2023", "bash", NULL), "(none)");
    CHECK_INT(count(db, "SELECT count(*) FROM vulns WHERE id='ALAS2023-2023-181' AND severity=3"
                        " AND upstream='[\"CVE-2023-28321\",\"CVE-2023-28322\"]'"
                        " AND published='2023-05-23T20:37:00Z' AND modified='2023-05-24T19:27:00Z'"
                        " AND summary LIKE 'Amazon Linux 2023 - ALAS2023-2023-181:%' AND details LIKE 'Package updates%'"),
              1);
    /* AL2 from a gzip'd updateinfo, named by --feed; AL1 (2018.03) */
    const char *p2[] = {fixture("vendor-feeds/alas/2/updateinfo.xml.gz")};
    CHECK_INT(import_into("alas.db", "alas", "alas/2", &st, &e, 1, p2), 0);
    CHECK_INT(st.records, 2);
    CHECK_INT(st.affected, 3);
    CHECK_STR(row(db, "ALAS2-2023-2100", "Amazon Linux:2", "openssl-libs", NULL), "fixed|1:1.0.2k-24.amzn2.0.7|important|");
    CHECK_STR(row(db, "ALAS2KERNEL-5.10-2023-032", "Amazon Linux:2", "kernel", NULL),
              "fixed|5.10.179-118.499.amzn2|important|");
    const char *p1[] = {fixture("vendor-feeds/alas/1/updateinfo.xml")};
    CHECK_INT(import_into("alas.db", NULL, NULL, &st, &e, 1, p1), 0);
    CHECK_STR(st.feed, "alas/1");
    CHECK_STR(row(db, "ALAS-2023-1768", "Amazon Linux:1", "openssl", NULL), "fixed|1:1.0.2k-16.163.amzn1|important|");
    /* the feed name decides the release over the id */
    CHECK_INT(import_into("alas-named.db", "alas", "alas/2", &st, &e, 1, p23), 0);
    CHECK_STR(row(dbfile("alas-named.db"), "ALAS2023-2023-236", "Amazon Linux:2", "openssl-libs", NULL),
              "fixed|1:3.0.8-1.amzn2023.0.3|important|");
}

static int d_cb(const dd_affected_t *a, void *arg)
{
    if (a->fixed && !strcmp(a->fixed, "2-3.amzn2") && !strcmp(a->vuln_id, "ALAS2-2099-0004") &&
        a->severity_raw && !strcmp(a->severity_raw, "critical"))
        ++*(int *)arg;
    return 0;
}

static const char *const alas_bad =
    "<?xml version=\"1.0\" ?>\n<updates>\n"
    "<update type=\"security\"><title>no id</title></update>\n"
    "<update type=\"security\"><id>ALAS2-2099-0001</id><severity>low</severity><pkglist><collection>"
    "<package name=\"a\" epoch=\"0\" release=\"1.amzn2\" arch=\"x86_64\"/></collection></pkglist></update>\n"
    "<update type=\"security\"><id>ALAS2-2099-0002</id><pkglist><collection>"
    "<package name=\"b\" epoch=\"x\" version=\"1\" release=\"1.amzn2\" arch=\"x86_64\"/></collection></pkglist></update>\n"
    "<update><id>FOO-2099-0003</id><pkglist><collection>"
    "<package name=\"c\" version=\"1\" release=\"1\" arch=\"x86_64\"/></collection></pkglist></update>\n"
    "<update type=\"security\" extra=\"tolerated\"><id>ALAS2-2099-0004</id><severity>critical</severity>"
    "<release>Amazon Linux 2</release><references><reference type=\"cve\" id=\"CVE-2099-0004\" href=\"https://x/\"/>"
    "<reference type=\"cve\" id=\"CVE-2099-0004\"/><reference type=\"bugzilla\" id=\"1\"/>"
    "<reference type=\"CVE\" id=\"cve-2099-0005\"/><reference type=\"cve\" title=\"CVE-2099-0006 in x\"/>"
    "<reference type=\"cve\" id=\"not-a-cve\"/></references>"
    "<pkglist><collection short=\"amazon-linux-2\"><name>Amazon Linux 2</name>"
    "<package name=\"d\" epoch=\"0\" version=\"2\" release=\"1.amzn2\" arch=\"x86_64\" src=\"d.src.rpm\">"
    "<filename>d.rpm</filename><reboot_suggested>True</reboot_suggested></package>"
    "<package name=\"d\" epoch=\"0\" version=\"2\" release=\"3.amzn2\" arch=\"aarch64\"/>"
    "</collection></pkglist></update>\n"
    "</updates>\n";

TEST(alas_bad_records_truncated_wrong_format)
{
    dd_vulndb_t *db = NULL;
    CHECK_INT(dd_vulndb_open(":memory:", false, &db, NULL), 0);
    if (!db) return;
    const dd_feed_t *f = dd_feed_detect((const uint8_t *)alas_bad, strlen(alas_bad));
    CHECK(f && !strcmp(f->name, "alas"));
    f = dd_feed_find("alas");
    dd_feed_stats_t st = {0};
    dd_err_t e = {0};
    CHECK_INT(f->import_mem(db, NULL, (const uint8_t *)alas_bad, strlen(alas_bad), &st, &e), 0);
    CHECK_INT(st.records, 1);
    CHECK_INT(st.skipped, 4);
    CHECK_INT(st.affected, 1);
    CHECK(strstr(st.msgs[0], "update[0]") && strstr(st.msgs[0], "without an id"));
    CHECK(strstr(st.msgs[1], "ALAS2-2099-0001") && strstr(st.msgs[1], "without name, version or release"));
    CHECK(strstr(st.msgs[2], "ALAS2-2099-0002") && strstr(st.msgs[2], "non-numeric epoch"));
    CHECK(strstr(st.msgs[3], "FOO-2099-0003") && strstr(st.msgs[3], "no release"));
    dd_vuln_t v;
    CHECK_INT(dd_vulndb_get_vuln(db, "ALAS2-2099-0004", &v), 0);
    CHECK_STR(v.upstream_json, "[\"CVE-2099-0004\",\"CVE-2099-0005\",\"CVE-2099-0006\"]");
    CHECK_INT(v.severity, DD_SEV_CRITICAL);
    dd_vuln_release(&v);
    /* the highest EVR of a package listed twice */
    int seen = 0;
    dd_vulndb_each_affected(db, "Amazon Linux:2", "d", d_cb, &seen);
    CHECK_INT(seen, 1);

    /* truncated: the records before the cut are kept, the file fails */
    memset(&st, 0, sizeof st);
    size_t cut = (size_t)(strstr(alas_bad, "ALAS2-2099-0004") - alas_bad);
    CHECK_INT(f->import_mem(db, "alas/2", (const uint8_t *)alas_bad, cut, &st, &e), DD_ECORRUPT);
    CHECK(strstr(e.msg, "truncated") != NULL);
    CHECK(st.n_msgs >= 1 && strstr(st.msgs[st.n_msgs - 1], "cut off"));
    /* a default namespace on the root is tolerated (local names are read) */
    const char *ns = "<?xml version=\"1.0\"?><updates xmlns=\"http://example.invalid/ns\"><update type=\"security\">"
                     "<id>ALAS2023-2099-0001</id><severity>Important</severity><pkglist><collection>"
                     "<package name=\"zlib\" version=\"1.2.13\" release=\"2.amzn2023\" arch=\"x86_64\"/>"
                     "</collection></pkglist></update></updates>";
    memset(&st, 0, sizeof st);
    CHECK_INT(f->import_mem(db, NULL, (const uint8_t *)ns, strlen(ns), &st, &e), 0);
    CHECK_INT(st.records, 1);
    CHECK_INT(st.affected, 1);
    CHECK_STR(st.feed, "alas/2023");
    CHECK_INT(dd_vulndb_count_ecosystem(db, "Amazon Linux:2023"), 1);
    /* wrong format */
    const char *other = "<?xml version=\"1.0\"?><repomd><data type=\"updateinfo\"/></repomd>";
    CHECK_INT(f->import_mem(db, NULL, (const uint8_t *)other, strlen(other), &st, &e), DD_EINVAL);
    CHECK(strstr(e.msg, "not an updateinfo document") != NULL);
    CHECK_INT(f->import_mem(db, NULL, (const uint8_t *)"{\"a\":1}", 7, &st, &e), DD_ECORRUPT);
    CHECK(!f->detect((const uint8_t *)no_rel_doc, strlen(no_rel_doc)));
    dd_vulndb_close(db);
}

TEST_MAIN(RUN(csaf_directory_tree); RUN(csaf_archive_and_single_file); RUN(csaf_in_an_import_tree); RUN(csaf_truncated_archive_fails);
          RUN(csaf_ids_without_relationships); RUN(csaf_module_purl_of_unfixed_stream); RUN(csaf_bad_records_and_wrong_format); RUN(compressed_and_tar_inputs); RUN(alas_releases);
          RUN(alas_bad_records_truncated_wrong_format))
