/*
 * test_severity.c: severity and exploitation data (issue 11). The importers
 * of CVSS metrics (NVD every metric, CVE JSON 5 CNA/ADP as one record, a
 * directory tree and a zip), the CISA KEV catalog and EPSS (plain and gzip)
 * on the real shipped data plus hand-made bad records; the matcher's
 * severity precedence branch by branch (vendor, NVD v4.0 / v3.1 / v3.0 / v2,
 * CISA ADP, CNA, the record's own vector, Unknown); KEV and EPSS on
 * findings, in the finding JSON and in the match signature.
 */
#include "dd/feeds.h"
#include "dd/findout.h"
#include "dd/match.h"
#include "dd/scanner.h"
#include "test.h"

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static dd_vulndb_t *mem_db(void)
{
    dd_vulndb_t *m = NULL;
    if (dd_vulndb_open(":memory:", false, &m, NULL)) abort();
    return m;
}

static const dd_cvss_t *metric(const dd_vuln_t *v, const char *feed, const char *source, const char *version)
{
    for (size_t i = 0; v && i < v->n_cvss; i++)
        if (!strcmp(v->cvss[i].feed, feed) && !strcmp(v->cvss[i].source, source) && !strcmp(v->cvss[i].version, version))
            return &v->cvss[i];
    return NULL;
}

static int import_file(dd_vulndb_t *m, const char *rel, const char *format, dd_feed_stats_t *st)
{
    memset(st, 0, sizeof *st);
    dd_err_t e = {0};
    int rc = dd_feed_import_path(m, fixture(rel), format, NULL, st, &e);
    if (rc) fprintf(stderr, "  %s: %s\n", rel, e.msg);
    return rc;
}

TEST(nvd_keeps_every_metric)
{
    dd_vulndb_t *m = mem_db();
    dd_feed_stats_t st;
    CHECK_INT(import_file(m, "feeds/nvd/nvdcve-2.0-slice-000.json", NULL, &st), 0);
    CHECK_STR(st.format, "nvd");
    CHECK_INT(st.records, 39);
    CHECK_INT(st.skipped, 0);
    dd_vuln_t v;
    CHECK_INT(dd_vulndb_get_vuln(m, "CVE-2016-2182", &v), 0);
    const dd_cvss_t *c = metric(&v, "nvd", "nvd", "3.0");
    CHECK(c != NULL);
    if (c) {
        CHECK_STR(c->vector, "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H");
        CHECK(c->score > 9.79 && c->score < 9.81);
        CHECK_INT(c->severity, DD_SEV_CRITICAL);
        CHECK(c->primary);
        CHECK_STR(c->origin, "nvd@nist.gov");
    }
    c = metric(&v, "nvd", "nvd", "2.0");
    CHECK(c != NULL);
    if (c) CHECK_INT(c->severity, DD_SEV_HIGH); /* v2 "HIGH" kept beside cvssData */
    CHECK_STR(dd_vuln_best_cvss(&v, "nvd", NULL)->version, "3.0");
    dd_vuln_release(&v);
    /* a Secondary metric of CISA ADP inside an NVD record */
    size_t adp = 0;
    static const char *const ids[] = {"CVE-2016-2179", "CVE-2016-2180", "CVE-2016-2181", "CVE-2016-2183",
                                      "CVE-2016-6302", "CVE-2016-6303", "CVE-2016-6304", "CVE-2018-0734",
                                      "CVE-2018-5407", "CVE-2022-0456", "CVE-2025-53603", "CVE-2016-7055"};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        if (dd_vulndb_get_vuln(m, ids[i], &v)) continue;
        const dd_cvss_t *x = metric(&v, "nvd", "cisa-adp", "3.1");
        if (x) {
            adp++;
            CHECK(!x->primary);
        }
        dd_vuln_release(&v);
    }
    CHECK(adp >= 1);
    /* re-import is idempotent: metrics are replaced, not duplicated */
    dd_vulndb_status_t s1, s2;
    dd_vulndb_status(m, &s1);
    CHECK_INT(import_file(m, "feeds/nvd/nvdcve-2.0-slice-000.json", NULL, &st), 0);
    dd_vulndb_status(m, &s2);
    CHECK_INT(s1.n_cvss, s2.n_cvss);
    CHECK(s1.n_cvss > 39);
    dd_vulndb_status_release(&s1);
    dd_vulndb_status_release(&s2);
    dd_vulndb_close(m);
}

TEST(kev_catalog)
{
    dd_vulndb_t *m = mem_db();
    dd_feed_stats_t st;
    CHECK_INT(import_file(m, "feeds/kev/known_exploited_vulnerabilities.json", NULL, &st), 0);
    CHECK_STR(st.format, "kev");
    CHECK_STR(st.feed, "kev");
    CHECK_INT(st.records, 1404);
    CHECK_INT(st.skipped, 0);
    dd_vuln_t v;
    CHECK_INT(dd_vulndb_get_vuln(m, "CVE-2021-44228", &v), 0);
    CHECK(v.kev);
    CHECK_STR(v.kev_date_added, "2021-12-10");
    CHECK_STR(v.kev_due_date, "2021-12-24");
    CHECK_STR(v.kev_ransomware, "Known");
    CHECK_STR(v.kev_vendor_project, "Apache");
    dd_vuln_release(&v);
    /* the catalog is replaced in full; bad entries are reported and skipped */
    const char *doc = "{\"catalogVersion\":\"x\",\"vulnerabilities\":["
                      "{\"cveID\":\"CVE-2099-0001\",\"dateAdded\":\"2099-01-02\",\"dueDate\":\"2099-01-23\","
                      "\"knownRansomwareCampaignUse\":\"Unknown\",\"extraField\":[1]},"
                      "{\"vendorProject\":\"no id\",\"dateAdded\":\"2099-01-02\"},"
                      "{\"cveID\":\"CVE-2099-0003\"},"
                      "{\"cveID\":\"CVE-2099-0004\",\"dateAdded\":\"Jan 2\"},"
                      "7]}";
    CHECK(dd_feed_detect((const uint8_t *)doc, strlen(doc)) == dd_feed_find("kev"));
    memset(&st, 0, sizeof st);
    CHECK_INT(dd_feed_find("kev")->import_mem(m, NULL, (const uint8_t *)doc, strlen(doc), &st, NULL), 0);
    CHECK_INT(st.records, 1);
    CHECK_INT(st.skipped, 4);
    CHECK(strstr(st.msgs[0], "vulnerabilities[1]") && strstr(st.msgs[0], "no cveID"));
    CHECK(strstr(st.msgs[1], "CVE-2099-0003") && strstr(st.msgs[1], "dateAdded"));
    CHECK(strstr(st.msgs[2], "'Jan 2'"));
    CHECK(dd_vulndb_get_vuln(m, "CVE-2021-44228", &v) == DD_ENOTFOUND || !v.kev);
    dd_vuln_release(&v);
    CHECK_INT(dd_vulndb_get_vuln(m, "CVE-2099-0001", &v), 0);
    CHECK(v.kev);
    dd_vuln_release(&v);
    /* not a catalog */
    dd_err_t e = {0};
    const char *bad = "{\"vulnerabilities\":{}}";
    CHECK(dd_feed_find("kev")->import_mem(m, NULL, (const uint8_t *)bad, strlen(bad), &st, &e) != 0);
    CHECK(strstr(e.msg, "vulnerabilities array") != NULL);
    dd_vulndb_close(m);
}

/* A zip of name -> text entries, written with libarchive into out. */
static void make_zip(const char *const *names, const char *const *texts, size_t n, dd_buf_t *out)
{
    struct archive *a = archive_write_new();
    archive_write_set_format_zip(a);
    static char mem[1 << 20];
    size_t used = 0;
    archive_write_open_memory(a, mem, sizeof mem, &used);
    for (size_t i = 0; i < n; i++) {
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, names[i]);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_size(e, (la_int64_t)strlen(texts[i]));
        archive_write_header(a, e);
        archive_write_data(a, texts[i], strlen(texts[i]));
        archive_entry_free(e);
    }
    archive_write_close(a);
    archive_write_free(a);
    dd_buf_append(out, mem, used);
}

static char *slurp(const char *path)
{
    dd_buf_t b;
    dd_buf_init(&b, 0);
    if (dd_file_read(path, 1 << 24, &b, NULL)) abort();
    return dd_buf_detach(&b, NULL);
}

TEST(cve5_records_tree_and_zip)
{
    dd_vulndb_t *m = mem_db();
    dd_feed_stats_t st;
    /* one record: CISA ADP metric */
    CHECK_INT(import_file(m, "feeds/vulnrichment/2016/3xxx/CVE-2016-3714.json", NULL, &st), 0);
    CHECK_STR(st.format, "cve5");
    CHECK_INT(st.records, 1);
    dd_vuln_t v;
    CHECK_INT(dd_vulndb_get_vuln(m, "CVE-2016-3714", &v), 0);
    const dd_cvss_t *c = metric(&v, "cve5", "cisa-adp", "3.1");
    CHECK(c != NULL);
    if (c) {
        CHECK_STR(c->vector, "CVSS:3.1/AV:L/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H");
        CHECK(c->score > 8.39 && c->score < 8.41);
        CHECK_INT(c->severity, DD_SEV_HIGH);
        CHECK_STR(c->origin, "CISA-ADP");
    }
    dd_vuln_release(&v);
    /* the vulnrichment tree: a directory is detected as cve5 from its first record */
    CHECK_INT(import_file(m, "feeds/vulnrichment", NULL, &st), 0);
    CHECK_STR(st.format, "cve5");
    CHECK_INT(st.records, 300);
    CHECK_INT(st.skipped, 0);
    /* a CNA metric (cvssV3_0 of the CNA container) */
    CHECK_INT(dd_vulndb_get_vuln(m, "CVE-2023-22515", &v), 0);
    CHECK(metric(&v, "cve5", "cna", "3.0") != NULL);
    dd_vuln_release(&v);
    /* a zip of records, with a bad one and a rejected one */
    char *rec = slurp(fixture("feeds/vulnrichment/2016/3xxx/CVE-2016-3427.json"));
    const char *names[] = {"2016/3xxx/CVE-2016-3427.json", "2099/0xxx/CVE-2099-0001.json", "2016/3xxx/CVE-2016-3714.json",
                           "README.md"};
    const char *texts[] = {rec, "{\"dataType\":\"CVE_RECORD\",\"containers\":{}}",
                           "{\"dataType\":\"CVE_RECORD\",\"cveMetadata\":{\"cveId\":\"CVE-2016-3714\",\"state\":\"REJECTED\"}}",
                           "not json"};
    dd_buf_t z;
    dd_buf_init(&z, 0);
    make_zip(names, texts, 4, &z);
    char zpath[] = "/tmp/dd-test-cve5-XXXXXX";
    int fd = mkstemp(zpath);
    CHECK(fd >= 0 && write(fd, z.ptr, z.len) == (ssize_t)z.len);
    close(fd);
    memset(&st, 0, sizeof st);
    dd_err_t e = {0};
    CHECK_INT(dd_feed_import_path(m, zpath, NULL, NULL, &st, &e), 0);
    CHECK_STR(st.format, "cve5");
    CHECK_INT(st.records, 2);
    CHECK_INT(st.withdrawn, 1);
    CHECK_INT(st.skipped, 1);
    CHECK(strstr(st.msgs[0], "CVE-2099-0001.json") && strstr(st.msgs[0], "cveMetadata.cveId"));
    CHECK(dd_vulndb_get_vuln(m, "CVE-2016-3714", &v) == DD_ENOTFOUND); /* rejected: metrics dropped */
    dd_vuln_release(&v);
    /* a zip forced to osv is not read as cve5 */
    memset(&st, 0, sizeof st);
    CHECK_INT(dd_feed_import_path(m, zpath, "osv", NULL, &st, &e), 0);
    CHECK_STR(st.format, "osv");
    unlink(zpath);
    dd_buf_release(&z);
    free(rec);
    /* not a record */
    const char *bad = "\"CVE_RECORD\"";
    CHECK(dd_feed_find("cve5")->import_mem(m, NULL, (const uint8_t *)bad, strlen(bad), &st, &e) != 0);
    dd_vulndb_close(m);
}

TEST(epss_csv_plain_and_gzip)
{
    dd_vulndb_t *m = mem_db();
    const char *csv = "#model_version:v2025.03.14,score_date:2025-08-25T12:55:00Z\n"
                      "cve,epss,percentile\n"
                      "CVE-2021-44228,0.94358,0.99957\n"
                      "CVE-2099-0001,1.5,0.2\n"
                      "garbage\n"
                      "CVE-2016-2182,0.02,0.81\r\n";
    CHECK(dd_feed_detect((const uint8_t *)csv, strlen(csv)) == dd_feed_find("epss"));
    dd_feed_stats_t st = {0};
    CHECK_INT(dd_feed_find("epss")->import_mem(m, NULL, (const uint8_t *)csv, strlen(csv), &st, NULL), 0);
    CHECK_INT(st.records, 2);
    CHECK_INT(st.skipped, 2);
    CHECK(strstr(st.msgs[0], "line 4") != NULL);
    dd_vuln_t v;
    CHECK_INT(dd_vulndb_get_vuln(m, "CVE-2021-44228", &v), 0);
    CHECK(v.has_epss && v.epss_score > 0.9435 && v.epss_percentile > 0.9995);
    dd_vuln_release(&v);
    /* gzip, as epss_scores-current.csv.gz is published */
    struct archive *a = archive_write_new();
    archive_write_add_filter_gzip(a);
    archive_write_set_format_raw(a);
    static char gz[65536];
    size_t used = 0;
    archive_write_open_memory(a, gz, sizeof gz, &used);
    struct archive_entry *en = archive_entry_new();
    archive_entry_set_filetype(en, AE_IFREG);
    archive_entry_set_pathname(en, "epss.csv");
    const char *csv2 = "cve,epss,percentile\nCVE-2099-0002,0.5,0.6\n";
    archive_write_header(a, en);
    archive_write_data(a, csv2, strlen(csv2));
    archive_entry_free(en);
    archive_write_close(a);
    archive_write_free(a);
    CHECK(dd_feed_detect((const uint8_t *)gz, used) == dd_feed_find("epss"));
    memset(&st, 0, sizeof st);
    CHECK_INT(dd_feed_find("epss")->import_mem(m, NULL, (const uint8_t *)gz, used, &st, NULL), 0);
    CHECK_INT(st.records, 1);
    /* a file larger than the 64 KiB detection head: detected from the start of the stream */
    dd_buf_t big;
    dd_buf_init(&big, 0);
    dd_buf_puts(&big, "cve,epss,percentile\n");
    unsigned x = 12345;
    for (int i = 0; i < 30000; i++) {
        x = x * 1103515245u + 12345u;
        dd_buf_printf(&big, "CVE-2020-%d,0.%05u,0.%05u\n", 10000 + i, (x >> 8) % 100000, (x >> 3) % 100000);
    }
    a = archive_write_new();
    archive_write_add_filter_gzip(a);
    archive_write_set_format_raw(a);
    char gzpath[] = "/tmp/dd-test-epss-XXXXXX";
    int fd = mkstemp(gzpath);
    archive_write_open_fd(a, fd);
    en = archive_entry_new();
    archive_entry_set_filetype(en, AE_IFREG);
    archive_entry_set_pathname(en, "epss.csv");
    archive_write_header(a, en);
    archive_write_data(a, big.ptr, big.len);
    archive_entry_free(en);
    archive_write_close(a);
    archive_write_free(a);
    close(fd);
    dd_buf_release(&big);
    memset(&st, 0, sizeof st);
    dd_err_t e = {0};
    CHECK_INT(dd_feed_import_path(m, gzpath, NULL, NULL, &st, &e), 0);
    CHECK_STR(st.format, "epss");
    CHECK_INT(st.records, 30000);
    unlink(gzpath);
    const char *nohdr = "CVE-1,0.1,0.2\n";
    CHECK(dd_feed_find("epss")->import_mem(m, NULL, (const uint8_t *)nohdr, strlen(nohdr), &st, &e) != 0);
    dd_vulndb_close(m);
}

/* ---- severity precedence ----------------------------------------------- */

static dd_package_t pkg(const char *name, const char *version)
{
    dd_package_t p = {0};
    p.type = DD_PKG_DPKG;
    p.name = (char *)name;
    p.version = (char *)version;
    p.epoch = -1;
    return p;
}

/* A CVE record affecting package pkg < 2.0 in Debian:12, stored by feed. */
static void put_cve(dd_vulndb_t *m, const char *feed, const char *cve, const char *pkgname, dd_severity_t sev,
                    const char *raw, const char *vector)
{
    dd_vuln_rec_t v = {.id = cve, .modified = "2024-01-01T00:00:00Z", .severity = sev, .severity_raw = raw,
                       .cvss_vector = vector};
    if (vector && !strncmp(vector, "CVSS:3", 6)) dd_cvss3_base_score(vector, &v.cvss_score);
    dd_affected_rec_t a = {.ecosystem = "Debian:12", .package = pkgname,
                           .ranges_json = "[{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":\"0\"},{\"fixed\":\"2.0\"}]}]",
                           .fix_state = DD_FIX_FIXED, .fixed = "2.0"};
    if (dd_vulndb_put_vuln(m, feed, &v, NULL) || dd_vulndb_put_affected(m, feed, cve, &a, NULL)) abort();
}

static void put_metric(dd_vulndb_t *m, const char *feed, const char *cve, const char *source, const char *version,
                       const char *vector, double score, bool primary)
{
    dd_cvss_rec_t r = {.source = source, .origin = source, .version = version, .vector = vector, .score = score,
                       .primary = primary};
    /* add to what the feed has: read back, append, replace */
    dd_vuln_t v;
    dd_cvss_rec_t all[16];
    size_t n = 0;
    if (dd_vulndb_get_vuln(m, cve, &v) == DD_OK)
        for (size_t i = 0; i < v.n_cvss && n < 15; i++)
            if (!strcmp(v.cvss[i].feed, feed))
                all[n++] = (dd_cvss_rec_t){.source = dd_strdup(v.cvss[i].source), .origin = NULL,
                                           .version = dd_strdup(v.cvss[i].version),
                                           .vector = v.cvss[i].vector ? dd_strdup(v.cvss[i].vector) : NULL,
                                           .score = v.cvss[i].score, .severity = v.cvss[i].severity,
                                           .primary = v.cvss[i].primary};
    dd_vuln_release(&v);
    size_t old = n;
    all[n++] = r;
    if (dd_vulndb_put_cvss(m, feed, cve, all, n, NULL)) abort();
    for (size_t i = 0; i < old; i++) {
        free((char *)all[i].source);
        free((char *)all[i].version);
        free((char *)all[i].vector);
    }
}

static const dd_finding_t *by_pkg(const dd_findings_t *f, const char *name)
{
    for (size_t i = 0; i < f->n; i++)
        if (!strcmp(f->v[i].package, name)) return &f->v[i];
    return NULL;
}

#define V31_CRIT "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
#define V31_MED "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:L/A:N"
#define V30_HIGH "CVSS:3.0/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"
#define V40_LOW "CVSS:4.0/AV:L/AC:H/AT:P/PR:H/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N"
#define V2_HIGH "AV:N/AC:L/Au:N/C:C/I:C/A:C"

static void build_precedence_db(dd_vulndb_t *m)
{
    /* vendor: an AlmaLinux-style rating with its word, NVD gives cvss_* */
    put_cve(m, "osv/AlmaLinux", "CVE-2099-0100", "vendor", DD_SEV_HIGH, "Important", NULL);
    put_metric(m, "nvd", "CVE-2099-0100", "nvd", "3.1", V31_CRIT, 9.8, true);
    /* NVD v4.0 wins over v3.1 and v2 */
    put_cve(m, "osv/Debian", "CVE-2099-0101", "nvd40", DD_SEV_UNKNOWN, NULL, NULL);
    put_metric(m, "nvd", "CVE-2099-0101", "nvd", "3.1", V31_CRIT, 9.8, true);
    put_metric(m, "nvd", "CVE-2099-0101", "nvd", "4.0", V40_LOW, 1.0, true);
    put_metric(m, "nvd", "CVE-2099-0101", "nvd", "2.0", V2_HIGH, 10.0, true);
    /* NVD v3.1: Primary before Secondary, and before CISA ADP */
    put_cve(m, "osv/Debian", "CVE-2099-0102", "nvd31", DD_SEV_UNKNOWN, NULL, NULL);
    put_metric(m, "nvd", "CVE-2099-0102", "cna", "3.1", V31_CRIT, 9.8, false);
    put_metric(m, "nvd", "CVE-2099-0102", "nvd", "3.1", V31_MED, 4.2, true);
    put_metric(m, "cve5", "CVE-2099-0102", "cisa-adp", "3.1", V31_CRIT, 9.8, true);
    /* NVD v3.0 */
    put_cve(m, "osv/Debian", "CVE-2099-0103", "nvd30", DD_SEV_UNKNOWN, NULL, NULL);
    put_metric(m, "nvd", "CVE-2099-0103", "nvd", "3.0", V30_HIGH, 7.8, true);
    put_metric(m, "nvd", "CVE-2099-0103", "nvd", "2.0", V2_HIGH, 10.0, true);
    /* NVD v2 only: its own bands (9.3 is High in v2, not Critical) */
    put_cve(m, "osv/Debian", "CVE-2099-0104", "nvd2", DD_SEV_UNKNOWN, NULL, NULL);
    put_metric(m, "nvd", "CVE-2099-0104", "nvd", "2.0", "AV:N/AC:M/Au:N/C:C/I:C/A:C", 9.3, true);
    /* NVD v2 only, but CISA ADP has v3.1: newer wins */
    put_cve(m, "osv/Debian", "CVE-2099-0105", "adp_over_v2", DD_SEV_UNKNOWN, NULL, NULL);
    put_metric(m, "nvd", "CVE-2099-0105", "nvd", "2.0", V2_HIGH, 10.0, true);
    put_metric(m, "cve5", "CVE-2099-0105", "cisa-adp", "3.1", V31_MED, 4.2, true);
    /* CISA ADP only */
    put_cve(m, "osv/Debian", "CVE-2099-0106", "adp", DD_SEV_UNKNOWN, NULL, NULL);
    put_metric(m, "cve5", "CVE-2099-0106", "cna", "3.1", V31_MED, 4.2, true);
    put_metric(m, "cve5", "CVE-2099-0106", "cisa-adp", "3.1", V31_CRIT, 9.8, true);
    /* CNA (CVE JSON 5) only */
    put_cve(m, "osv/Debian", "CVE-2099-0107", "cna", DD_SEV_UNKNOWN, NULL, NULL);
    put_metric(m, "cve5", "CVE-2099-0107", "cna", "3.0", V30_HIGH, 7.8, true);
    /* the record's own vector */
    put_cve(m, "osv/Debian", "CVE-2099-0108", "own", DD_SEV_UNKNOWN, NULL, V31_CRIT);
    /* nothing at all */
    put_cve(m, "osv/Debian", "CVE-2099-0109", "none", DD_SEV_UNKNOWN, NULL, NULL);
    /* vendor words and feeds: Debian "low**", Ubuntu, Red Hat CSAF, SUSE, Rocky, Amazon, Alpine, other OSV */
    put_cve(m, "debian-tracker", "CVE-2099-0110", "v_debian", DD_SEV_LOW, "low**", NULL);
    put_cve(m, "osv/Ubuntu:22.04", "CVE-2099-0111", "v_ubuntu", DD_SEV_MEDIUM, "medium", NULL);
    put_cve(m, "redhat-csaf/rhel-9", "CVE-2099-0112", "v_redhat", DD_SEV_HIGH, "Important", NULL);
    put_cve(m, "osv/SUSE", "CVE-2099-0113", "v_suse", DD_SEV_MEDIUM, "moderate", NULL);
    put_cve(m, "osv/Rocky Linux", "CVE-2099-0114", "v_rocky", DD_SEV_LOW, "Low", NULL);
    put_cve(m, "alas/2023", "CVE-2099-0115", "v_amazon", DD_SEV_CRITICAL, "critical", NULL);
    put_cve(m, "osv/openSUSE", "CVE-2099-0116", "v_opensuse", DD_SEV_LOW, "low", NULL);
    put_cve(m, "osv/PyPI", "CVE-2099-0117", "v_osv", DD_SEV_HIGH, NULL, NULL);
    put_cve(m, "alpine/v3.19/main", "CVE-2099-0118", "v_alpine", DD_SEV_HIGH, NULL, NULL);
    /* KEV and EPSS on one CVE */
    dd_kev_rec_t k = {.cve_id = "CVE-2099-0106", .date_added = "2099-02-01", .due_date = "2099-02-22",
                      .known_ransomware = "Known", .vulnerability_name = "x"};
    if (dd_vulndb_put_kev(m, &k, NULL)) abort();
    if (dd_vulndb_put_epss(m, "CVE-2099-0106", 0.5, 0.75, "v2025.03.14", NULL, NULL)) abort();
}

static dd_inventory_t precedence_inv(dd_package_t *p, size_t *n)
{
    static const char *const names[] = {"vendor", "nvd40", "nvd31", "nvd30", "nvd2", "adp_over_v2", "adp", "cna",
                                        "own", "none", "v_debian", "v_ubuntu", "v_redhat", "v_suse", "v_rocky",
                                        "v_amazon", "v_opensuse", "v_osv", "v_alpine"};
    *n = sizeof names / sizeof names[0];
    for (size_t i = 0; i < *n; i++) p[i] = pkg(names[i], "1.0");
    dd_inventory_t inv = {0};
    inv.os.ecosystem = (char *)"Debian:12";
    inv.pkgs = p;
    inv.n = inv.cap = *n;
    return inv;
}

static void check_one(const dd_findings_t *f, const char *pkgname, dd_severity_t sev, const char *src,
                      const char *vendor_word, const char *version, const char *cvss_source)
{
    const dd_finding_t *x = by_pkg(f, pkgname);
    CHECK(x != NULL);
    if (!x) return;
    if ((int)x->severity != (int)sev) fprintf(stderr, "  package %s\n", pkgname);
    CHECK_INT(x->severity, sev);
    if (src) CHECK_STR(x->severity_source, src);
    else CHECK(x->severity_source == NULL);
    if (vendor_word) CHECK_STR(x->vendor_severity, vendor_word);
    else CHECK(x->vendor_severity == NULL);
    if (version) CHECK_STR(x->cvss_version, version);
    else CHECK(x->cvss_version == NULL && x->cvss_vector == NULL);
    if (cvss_source) CHECK_STR(x->cvss_source, cvss_source);
}

TEST(precedence_every_branch)
{
    dd_vulndb_t *m = mem_db();
    build_precedence_db(m);
    dd_package_t p[32];
    size_t n;
    dd_inventory_t inv = precedence_inv(p, &n);
    dd_findings_t f;
    dd_findings_init(&f);
    CHECK_INT(dd_match_inventory(m, &inv, NULL, &f, NULL), 0);
    CHECK_INT(f.n, n);
    check_one(&f, "vendor", DD_SEV_HIGH, "almalinux", "Important", "3.1", "nvd");
    check_one(&f, "nvd40", DD_SEV_LOW, "nvd", NULL, "4.0", "nvd");
    check_one(&f, "nvd31", DD_SEV_MEDIUM, "nvd", NULL, "3.1", "nvd");
    check_one(&f, "nvd30", DD_SEV_HIGH, "nvd", NULL, "3.0", "nvd");
    check_one(&f, "nvd2", DD_SEV_HIGH, "nvd", NULL, "2.0", "nvd");
    check_one(&f, "adp_over_v2", DD_SEV_MEDIUM, "cisa-adp", NULL, "3.1", "cisa-adp");
    check_one(&f, "adp", DD_SEV_CRITICAL, "cisa-adp", NULL, "3.1", "cisa-adp");
    check_one(&f, "cna", DD_SEV_HIGH, "cna", NULL, "3.0", "cna");
    check_one(&f, "own", DD_SEV_CRITICAL, "cvss", NULL, "3.1", "vendor");
    check_one(&f, "none", DD_SEV_UNKNOWN, NULL, NULL, NULL, NULL);
    check_one(&f, "v_debian", DD_SEV_LOW, "debian", "low**", NULL, NULL);
    check_one(&f, "v_ubuntu", DD_SEV_MEDIUM, "ubuntu", "medium", NULL, NULL);
    check_one(&f, "v_redhat", DD_SEV_HIGH, "redhat", "Important", NULL, NULL);
    check_one(&f, "v_suse", DD_SEV_MEDIUM, "suse", "moderate", NULL, NULL);
    check_one(&f, "v_rocky", DD_SEV_LOW, "rocky", "Low", NULL, NULL);
    check_one(&f, "v_amazon", DD_SEV_CRITICAL, "amazon", "critical", NULL, NULL);
    check_one(&f, "v_opensuse", DD_SEV_LOW, "suse", "low", NULL, NULL);
    check_one(&f, "v_osv", DD_SEV_HIGH, "osv", "High", NULL, NULL);
    check_one(&f, "v_alpine", DD_SEV_HIGH, "alpine", "High", NULL, NULL);
    const dd_finding_t *x = by_pkg(&f, "vendor");
    if (x) CHECK(x->cvss_score > 9.79 && x->cvss_score < 9.81);
    /* KEV and EPSS */
    x = by_pkg(&f, "adp");
    CHECK(x && x->known_exploited);
    if (x) {
        CHECK_STR(x->kev_date_added, "2099-02-01");
        CHECK_STR(x->kev_due_date, "2099-02-22");
        CHECK_STR(x->kev_ransomware, "Known");
        CHECK(x->has_epss && x->epss_score == 0.5 && x->epss_percentile == 0.75);
        /* the finding JSON the server stores and serves */
        dd_buf_t b;
        dd_buf_init(&b, 0);
        dd_finding_json(x, NULL, &b);
        json_t *j = json_loads(b.ptr, 0, NULL);
        CHECK(j != NULL);
        CHECK_STR(json_string_value(json_object_get(j, "severitySource")), "cisa-adp");
        CHECK(json_is_null(json_object_get(j, "vendorSeverity")));
        json_t *cv = json_object_get(j, "cvss");
        CHECK_STR(json_string_value(json_object_get(cv, "version")), "3.1");
        CHECK_STR(json_string_value(json_object_get(cv, "source")), "cisa-adp");
        CHECK_STR(json_string_value(json_object_get(cv, "vector")), V31_CRIT);
        CHECK(json_number_value(json_object_get(cv, "score")) > 9.79);
        CHECK(json_is_true(json_object_get(j, "knownExploited")));
        CHECK_STR(json_string_value(json_object_get(json_object_get(j, "kev"), "dateAdded")), "2099-02-01");
        CHECK_STR(json_string_value(json_object_get(json_object_get(j, "kev"), "knownRansomwareCampaignUse")), "Known");
        CHECK(json_number_value(json_object_get(json_object_get(j, "epss"), "percentile")) == 0.75);
        json_decref(j);
        dd_buf_release(&b);
    }
    x = by_pkg(&f, "none");
    if (x) {
        CHECK(!x->known_exploited && !x->has_epss);
        dd_buf_t b;
        dd_buf_init(&b, 0);
        dd_finding_json(x, NULL, &b);
        CHECK(strstr(b.ptr, "\"knownExploited\":false,\"kev\":null") != NULL);
        CHECK(strstr(b.ptr, "\"cvss\":null") != NULL && strstr(b.ptr, "\"epss\":null") != NULL);
        dd_buf_release(&b);
    }
    /* the report */
    dd_buf_t b;
    dd_buf_init(&b, 0);
    CHECK_INT(dd_report_json(NULL, &inv, &f, &b), 0);
    json_t *j = json_loads(b.ptr, 0, NULL);
    CHECK(j != NULL);
    size_t i;
    json_t *fx;
    int kev_seen = 0;
    json_array_foreach(json_object_get(j, "findings"), i, fx) {
        CHECK(json_object_get(fx, "vendor_severity") != NULL && json_object_get(fx, "epss") != NULL);
        if (json_is_true(json_object_get(fx, "known_exploited"))) {
            kev_seen++;
            CHECK_STR(json_string_value(json_object_get(json_object_get(fx, "kev"), "due_date")), "2099-02-22");
            CHECK_STR(json_string_value(json_object_get(json_object_get(fx, "cvss"), "source")), "cisa-adp");
        }
    }
    CHECK_INT(kev_seen, 1);
    json_decref(j);
    dd_buf_release(&b);
    dd_findings_release(&f);
    /* min-severity never suppresses Unknown */
    dd_match_opts_t o = {.min_severity = DD_SEV_CRITICAL};
    dd_findings_init(&f);
    dd_match_inventory(m, &inv, &o, &f, NULL);
    x = by_pkg(&f, "none");
    CHECK(x && !x->suppressed);
    x = by_pkg(&f, "nvd30");
    CHECK(x && x->suppressed);
    dd_findings_release(&f);
    dd_vulndb_close(m);
}

static void sig_of(dd_vulndb_t *m, const dd_inventory_t *inv, char out[DD_DIGEST_MAX])
{
    dd_hasher_t *h = dd_hasher_new(DD_DIGEST_SHA256);
    dd_match_signature(m, inv, h);
    dd_digest_t d;
    dd_hasher_final(h, &d);
    dd_hasher_free(h);
    snprintf(out, DD_DIGEST_MAX, "%s", d.str);
}

TEST(signature_follows_kev_and_cvss)
{
    dd_vulndb_t *m = mem_db();
    put_cve(m, "osv/Debian", "CVE-2099-0200", "a", DD_SEV_UNKNOWN, NULL, NULL);
    /* an advisory naming a CVE: the CVE's enrichment counts too */
    dd_vuln_rec_t adv = {.id = "DSA-9999-1", .modified = "2024-01-01T00:00:00Z", .upstream_json = "[\"CVE-2099-0201\"]"};
    dd_affected_rec_t aa = {.ecosystem = "Debian:12", .package = "b",
                            .ranges_json = "[{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":\"0\"},{\"fixed\":\"2.0\"}]}]",
                            .fix_state = DD_FIX_FIXED, .fixed = "2.0"};
    CHECK_INT(dd_vulndb_put_vuln(m, "osv/Debian", &adv, NULL), 0);
    CHECK_INT(dd_vulndb_put_affected(m, "osv/Debian", "DSA-9999-1", &aa, NULL), 0);
    dd_package_t p[] = {pkg("a", "1.0"), pkg("b", "1.0")};
    dd_inventory_t inv = {0};
    inv.os.ecosystem = (char *)"Debian:12";
    inv.pkgs = p;
    inv.n = inv.cap = 2;
    char s0[DD_DIGEST_MAX], s1[DD_DIGEST_MAX], s2[DD_DIGEST_MAX], s3[DD_DIGEST_MAX], s4[DD_DIGEST_MAX];
    sig_of(m, &inv, s0);
    dd_kev_rec_t k = {.cve_id = "CVE-2099-0200", .date_added = "2099-01-01"};
    CHECK_INT(dd_vulndb_put_kev(m, &k, NULL), 0);
    sig_of(m, &inv, s1);
    CHECK(strcmp(s0, s1) != 0);
    put_metric(m, "cve5", "CVE-2099-0201", "cisa-adp", "3.1", V31_CRIT, 9.8, true);
    sig_of(m, &inv, s2);
    CHECK(strcmp(s1, s2) != 0);
    dd_cvss_rec_t r = {.source = "cisa-adp", .version = "3.1", .vector = V31_MED, .score = 4.2, .primary = true};
    CHECK_INT(dd_vulndb_put_cvss(m, "cve5", "CVE-2099-0201", &r, 1, NULL), 0);
    sig_of(m, &inv, s3);
    CHECK(strcmp(s2, s3) != 0);
    sig_of(m, &inv, s4); /* stable */
    CHECK_STR(s3, s4);
    /* the advisory's finding is rated by the CVE's ADP metric */
    dd_findings_t f;
    dd_findings_init(&f);
    dd_match_inventory(m, &inv, NULL, &f, NULL);
    const dd_finding_t *x = by_pkg(&f, "b");
    CHECK(x != NULL);
    if (x) {
        CHECK_STR(x->id, "CVE-2099-0201");
        CHECK_INT(x->severity, DD_SEV_MEDIUM);
        CHECK_STR(x->severity_source, "cisa-adp");
    }
    dd_findings_release(&f);
    /* bad metrics are refused */
    dd_cvss_rec_t badm = {.source = "nvd", .version = "3.1", .score = 11};
    CHECK(dd_vulndb_put_cvss(m, "nvd", "CVE-2099-0201", &badm, 1, NULL) != 0);
    dd_vulndb_close(m);
}

TEST(severity_bands)
{
    CHECK_INT(dd_severity_from_cvss_version("2.0", 9.3), DD_SEV_HIGH);
    CHECK_INT(dd_severity_from_cvss_version("2.0", 4.0), DD_SEV_MEDIUM);
    CHECK_INT(dd_severity_from_cvss_version("2.0", 3.9), DD_SEV_LOW);
    CHECK_INT(dd_severity_from_cvss_version("3.1", 9.3), DD_SEV_CRITICAL);
    CHECK_INT(dd_severity_from_cvss_version("4.0", 0), DD_SEV_UNKNOWN);
}

TEST_MAIN(RUN(nvd_keeps_every_metric); RUN(kev_catalog); RUN(cve5_records_tree_and_zip); RUN(epss_csv_plain_and_gzip);
          RUN(precedence_every_branch); RUN(signature_follows_kev_and_cvss); RUN(severity_bands))
