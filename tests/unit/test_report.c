/*
 * test_report.c: the report writers (src/report/) on hand-made inventories
 * and findings: CycloneDX ratings (CVSS method and source per finding),
 * KEV and severity provenance as properties, the VEX analysis states,
 * SARIF levels and security-severity, SPDX ids and namespace, the GitHub
 * snapshot's required fields, and several platform images in one document.
 * Every document is parsed back with jansson. Schema validation of real
 * scans is in tests/integration/test_report_formats.py.
 */
#include "dd/report.h"
#include "test.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static dd_package_t pkgs[2] = {
    {.type = DD_PKG_DPKG, .name = "libssl3", .version = "3.0.11-1~deb12u1", .source_name = "openssl",
     .source_version = "3.0.11-1~deb12u1", .arch = "amd64", .epoch = -1, .layer = 0, .db_path = "var/lib/dpkg/status"},
    {.type = DD_PKG_DPKG, .name = "zlib1g", .version = "1:1.2.13.dfsg-1", .source_name = "zlib",
     .source_version = "1:1.2.13.dfsg-1", .arch = "amd64", .epoch = 1, .layer = 1, .db_path = "var/lib/dpkg/status"},
};

static dd_finding_t fv[] = {
    /* 0: vendor High, NVD CVSS 3.1 7.5, KEV */
    {.id = "CVE-2024-0001", .pkg_index = 0, .package = "libssl3", .version = "3.0.11-1~deb12u1",
     .fixed_version = "3.0.13-1~deb12u1", .fix_state = DD_FIX_FIXED, .severity = DD_SEV_HIGH,
     .severity_source = "debian", .vendor_severity = "high", .cvss_score = 7.5,
     .cvss_vector = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", .cvss_version = "3.1", .cvss_source = "nvd",
     .known_exploited = true, .kev_date_added = "2024-02-01", .kev_due_date = "2024-02-22", .kev_ransomware = "Known",
     .title = "openssl: denial of service", .description = "A crafted input exhausts memory.",
     .refs = {"https://www.openssl.org/news/secadv/20240101.txt"}, .n_refs = 1},
    /* 1: Critical from NVD's own CVSS 4.0 9.3 */
    {.id = "CVE-2024-0002", .pkg_index = 1, .package = "zlib1g", .version = "1:1.2.13.dfsg-1",
     .fix_state = DD_FIX_NOT_FIXED, .severity = DD_SEV_CRITICAL, .severity_source = "nvd", .cvss_score = 9.3,
     .cvss_vector = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", .cvss_version = "4.0",
     .cvss_source = "nvd"},
    /* 2: High but a CVSS 2.0 score outside the band, hidden by a VEX "fixed" statement */
    {.id = "CVE-2015-0003", .pkg_index = 1, .package = "zlib1g", .version = "1:1.2.13.dfsg-1",
     .fix_state = DD_FIX_NOT_FIXED, .severity = DD_SEV_HIGH, .severity_source = "ubuntu", .cvss_score = 9.8,
     .cvss_version = "2.0", .cvss_source = "vendor", .suppressed = true, .suppressed_by = "vex:fixed"},
    /* 3: Unknown, hidden by a plain VEX statement */
    {.id = "CVE-2024-0004", .pkg_index = 0, .package = "libssl3", .version = "3.0.11-1~deb12u1",
     .fix_state = DD_FIX_NOT_FIXED, .severity = DD_SEV_UNKNOWN, .suppressed = true, .suppressed_by = "vex"},
    /* 4: ignored by the ignore list: left out of every document */
    {.id = "CVE-2024-0005", .pkg_index = 0, .package = "libssl3", .version = "3.0.11-1~deb12u1",
     .fix_state = DD_FIX_NOT_FIXED, .severity = DD_SEV_LOW, .suppressed = true, .suppressed_by = "ignore-list"},
};

static dd_inventory_t inv;
static dd_findings_t fs;
static dd_image_desc_t imgs[2];
static dd_report_image_t rimgs[2];

static void setup(void)
{
    inv.os.id = "debian";
    inv.os.version_id = "12";
    inv.os.pretty_name = "Debian GNU/Linux 12 (bookworm)";
    inv.os.ecosystem = "Debian:12";
    inv.pkgs = pkgs;
    inv.n = 2;
    fs.v = fv;
    fs.n = sizeof fv / sizeof fv[0];
    fs.n_reported = 2;
    fs.n_suppressed = 3;
    fs.assessed = true;
    static const char *const digests[] = {"sha256:1111111111111111111111111111111111111111111111111111111111111111",
                                          "sha256:2222222222222222222222222222222222222222222222222222222222222222"};
    static char *archs[] = {"amd64", "arm64"};
    for (int i = 0; i < 2; i++) {
        dd_digest_parse(digests[i], &imgs[i].digest, NULL);
        imgs[i].ref = "v1";
        imgs[i].platform.os = "linux";
        imgs[i].platform.architecture = archs[i];
        rimgs[i] = (dd_report_image_t){.img = &imgs[i], .name = "v1", .inv = &inv, .f = &fs};
    }
}

static json_t *write_doc(const char *fmt, size_t n_images, dd_report_t *over)
{
    setup();
    dd_report_format_t f;
    if (dd_report_format_parse(fmt, &f) != DD_OK) return NULL;
    dd_report_t r = {.target = "oci:/tmp/lay:v1", .images = rimgs, .n_images = n_images, .tool_version = "1.2.3"};
    if (over) {
        r.git_sha = over->git_sha;
        r.git_ref = over->git_ref;
        r.job_correlator = over->job_correlator;
        r.job_id = over->job_id;
    }
    dd_buf_t b;
    dd_buf_init(&b, 0);
    dd_err_t e = {0};
    json_t *j = NULL;
    if (dd_report_write(f, &r, &b, &e) == DD_OK) {
        json_error_t je;
        j = json_loadb(b.ptr, b.len, JSON_REJECT_DUPLICATES, &je);
        if (!j) fprintf(stderr, "%s: %s at %d\n%s\n", fmt, je.text, je.position, b.ptr);
    } else {
        fprintf(stderr, "%s: %s\n", fmt, e.msg);
    }
    dd_buf_release(&b);
    return j;
}

static json_t *vuln(json_t *doc, const char *id)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(doc, "vulnerabilities"), i, v) if (!strcmp(
        json_string_value(json_object_get(v, "id")), id)) return v;
    return NULL;
}

static const char *prop(json_t *o, const char *name)
{
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(o, "properties"), i, p) if (!strcmp(
        json_string_value(json_object_get(p, "name")), name)) return json_string_value(json_object_get(p, "value"));
    return NULL;
}

static const char *s(json_t *o, const char *path)
{
    /* "a.b.0.c" */
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    json_t *cur = o;
    for (char *tok = strtok(buf, "."); tok && cur; tok = strtok(NULL, "."))
        cur = json_is_array(cur) ? json_array_get(cur, (size_t)atoi(tok)) : json_object_get(cur, tok);
    return json_is_string(cur) ? json_string_value(cur) : NULL;
}

TEST(format_names)
{
    static const char *const names[] = {"table", "json", "cyclonedx", "cyclonedx-vex", "spdx", "sarif", "github"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        dd_report_format_t f;
        CHECK_INT(dd_report_format_parse(names[i], &f), DD_OK);
        CHECK_STR(dd_report_format_name(f), names[i]);
    }
    dd_report_format_t f;
    CHECK_INT(dd_report_format_parse("spdx-json", &f), DD_OK);
    CHECK_INT(f, DD_REPORT_SPDX);
    CHECK_INT(dd_report_format_parse("xml", &f), DD_EINVAL);
    CHECK_INT(dd_report_format_parse(NULL, &f), DD_EINVAL);
}

TEST(cyclonedx_ratings)
{
    json_t *d = write_doc("cyclonedx", 1, NULL);
    CHECK(d != NULL);
    if (!d) return;
    CHECK_STR(s(d, "specVersion"), "1.5");
    CHECK_STR(s(d, "metadata.component.name"), "/tmp/lay:v1");
    json_t *v = vuln(d, "CVE-2024-0001");
    CHECK(v != NULL);
    /* NVD's CVSS rating and Debian's own word, two sources */
    CHECK_INT(json_array_size(json_object_get(v, "ratings")), 2);
    CHECK_STR(s(v, "ratings.0.method"), "CVSSv31");
    CHECK_STR(s(v, "ratings.0.source.name"), "NVD");
    CHECK_STR(s(v, "ratings.0.severity"), "high");
    CHECK(json_real_value(json_object_get(json_array_get(json_object_get(v, "ratings"), 0), "score")) == 7.5);
    CHECK_STR(s(v, "ratings.1.source.name"), "Debian");
    CHECK_STR(s(v, "ratings.1.severity"), "high");
    CHECK_STR(prop(v, "drydock:kev"), "true");
    CHECK_STR(prop(v, "drydock:kev:dateAdded"), "2024-02-01");
    CHECK_STR(prop(v, "drydock:severity:source"), "debian");
    CHECK_STR(prop(v, "drydock:severity:vendor"), "high");
    CHECK_STR(s(v, "advisories.0.url"), "https://www.openssl.org/news/secadv/20240101.txt");
    CHECK_STR(s(v, "affects.0.ref"), "pkg:deb/debian/libssl3@3.0.11-1~deb12u1?arch=amd64&upstream=openssl&distro=debian-12");
    /* severity from NVD's own CVSS 4.0: one rating */
    v = vuln(d, "CVE-2024-0002");
    CHECK_INT(json_array_size(json_object_get(v, "ratings")), 1);
    CHECK_STR(s(v, "ratings.0.method"), "CVSSv4");
    CHECK_STR(s(v, "ratings.0.severity"), "critical");
    CHECK_STR(prop(v, "drydock:kev"), "false");
    /* suppressed findings are not in the SBOM */
    CHECK(vuln(d, "CVE-2015-0003") == NULL);
    CHECK(vuln(d, "CVE-2024-0005") == NULL);
    json_decref(d);
}

TEST(cyclonedx_version_from_vector)
{
    /* no cvss_version / cvss_source (older databases): read off the vector,
     * and a severity taken from NVD is the NVD score's band */
    setup();
    dd_finding_t saved = fv[1];
    fv[1].cvss_version = NULL;
    fv[1].cvss_source = NULL;
    fv[1].cvss_vector = "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
    fv[1].cvss_score = 9.8;
    json_t *d = write_doc("cyclonedx", 1, NULL);
    fv[1].cvss_vector = "AV:N/AC:L/Au:N/C:P/I:P/A:P";
    fv[1].cvss_score = 7.5;
    fv[1].severity = DD_SEV_HIGH;
    json_t *d2 = write_doc("cyclonedx", 1, NULL);
    fv[1] = saved;
    CHECK(d && d2);
    if (!d || !d2) return;
    json_t *v = vuln(d, "CVE-2024-0002");
    CHECK_INT(json_array_size(json_object_get(v, "ratings")), 1);
    CHECK_STR(s(v, "ratings.0.method"), "CVSSv3");
    CHECK_STR(s(v, "ratings.0.source.name"), "NVD");
    CHECK_STR(s(vuln(d2, "CVE-2024-0002"), "ratings.0.method"), "CVSSv2");
    json_decref(d);
    json_decref(d2);
}

TEST(cyclonedx_vex_states)
{
    json_t *d = write_doc("cyclonedx-vex", 1, NULL);
    CHECK(d != NULL);
    if (!d) return;
    CHECK(json_object_get(d, "components") == NULL);
    CHECK_STR(s(vuln(d, "CVE-2024-0001"), "analysis.state"), "exploitable");
    CHECK_STR(s(vuln(d, "CVE-2024-0001"), "analysis.response.0"), "update");
    CHECK_STR(s(vuln(d, "CVE-2024-0002"), "analysis.state"), "exploitable");
    CHECK_STR(s(vuln(d, "CVE-2015-0003"), "analysis.state"), "resolved");
    CHECK_STR(s(vuln(d, "CVE-2015-0003"), "ratings.0.method"), "CVSSv2");
    CHECK_STR(s(vuln(d, "CVE-2015-0003"), "ratings.0.severity"), "high"); /* v2 has no critical */
    CHECK_STR(s(vuln(d, "CVE-2015-0003"), "ratings.0.source.name"), "vendor");
    CHECK_STR(s(vuln(d, "CVE-2015-0003"), "ratings.1.source.name"), "Ubuntu");
    CHECK_STR(s(vuln(d, "CVE-2024-0004"), "analysis.state"), "not_affected");
    CHECK_STR(s(vuln(d, "CVE-2024-0004"), "ratings.0.severity"), "unknown");
    CHECK(vuln(d, "CVE-2024-0005") == NULL);
    json_decref(d);
}

static json_t *rule(json_t *d, const char *id)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(json_object_get(json_object_get(json_array_get(json_object_get(d, "runs"), 0),
                                                                       "tool"), "driver"), "rules"),
                       i, v) if (!strcmp(json_string_value(json_object_get(v, "id")), id)) return v;
    return NULL;
}

TEST(sarif_levels_and_scores)
{
    json_t *d = write_doc("sarif", 1, NULL);
    CHECK(d != NULL);
    if (!d) return;
    CHECK_STR(s(d, "version"), "2.1.0");
    json_t *run = json_array_get(json_object_get(d, "runs"), 0);
    CHECK_STR(s(run, "tool.driver.name"), "drydock");
    CHECK_STR(s(run, "tool.driver.version"), "1.2.3");
    CHECK_INT(json_array_size(json_object_get(run, "results")), 2);
    json_t *r1 = rule(d, "CVE-2024-0001"), *r2 = rule(d, "CVE-2024-0002");
    CHECK(r1 && r2);
    if (!r1 || !r2) return;
    CHECK_STR(s(r1, "properties.security-severity"), "7.5");
    CHECK_STR(s(r2, "properties.security-severity"), "9.3");
    CHECK_STR(s(r1, "defaultConfiguration.level"), "error");
    CHECK_STR(s(r1, "helpUri"), "https://nvd.nist.gov/vuln/detail/CVE-2024-0001");
    CHECK(strstr(s(r1, "help.text"), "fixed in 3.0.13-1~deb12u1") != NULL);
    CHECK_STR(s(r1, "shortDescription.text"), "CVE-2024-0001: openssl: denial of service");
    CHECK_STR(s(r1, "properties.tags.3"), "known-exploited");
    CHECK(rule(d, "CVE-2024-0005") == NULL);
    json_t *res = json_array_get(json_object_get(run, "results"), 0);
    CHECK_STR(s(res, "ruleId"), "CVE-2024-0001");
    CHECK_INT(json_integer_value(json_object_get(res, "ruleIndex")), 0);
    CHECK_STR(s(res, "locations.0.physicalLocation.artifactLocation.uri"), "var/lib/dpkg/status");
    CHECK(strstr(s(res, "message.text"), "Image: /tmp/lay:v1 (linux/amd64)") != NULL);
    json_t *region = json_object_get(
        json_object_get(json_array_get(json_object_get(res, "locations"), 0), "physicalLocation"), "region");
    CHECK_INT(json_integer_value(json_object_get(region, "startLine")), 1);
    json_decref(d);
}

TEST(sarif_band_midpoint)
{
    /* a score outside the severity's band gives the band's middle */
    setup();
    dd_finding_t saved = fv[1];
    fv[1].severity = DD_SEV_MEDIUM;
    fv[1].severity_source = "debian";
    json_t *d = write_doc("sarif", 1, NULL);
    fv[1] = saved;
    CHECK(d != NULL);
    if (!d) return;
    CHECK_STR(s(rule(d, "CVE-2024-0002"), "properties.security-severity"), "5.5");
    CHECK_STR(s(rule(d, "CVE-2024-0002"), "defaultConfiguration.level"), "warning");
    json_decref(d);
}

TEST(spdx_document)
{
    json_t *d = write_doc("spdx", 1, NULL);
    CHECK(d != NULL);
    if (!d) return;
    CHECK_STR(s(d, "spdxVersion"), "SPDX-2.3");
    CHECK_STR(s(d, "documentNamespace"),
              "https://drydock.dev/spdx/1111111111111111111111111111111111111111111111111111111111111111");
    CHECK_STR(s(d, "creationInfo.creators.0"), "Tool: drydock-1.2.3");
    CHECK_STR(s(d, "packages.0.SPDXID"), "SPDXRef-Image-0");
    CHECK_STR(s(d, "packages.0.primaryPackagePurpose"), "CONTAINER");
    CHECK_STR(s(d, "packages.0.externalRefs.0.referenceLocator"),
              "pkg:oci/lay@sha256%3A1111111111111111111111111111111111111111111111111111111111111111?arch=amd64");
    CHECK_STR(s(d, "packages.1.primaryPackagePurpose"), "OPERATING_SYSTEM");
    CHECK_STR(s(d, "packages.2.SPDXID"), "SPDXRef-Package-0-0");
    CHECK_STR(s(d, "packages.2.externalRefs.0.referenceCategory"), "PACKAGE-MANAGER");
    CHECK_STR(s(d, "relationships.0.relationshipType"), "DESCRIBES");
    CHECK_STR(s(d, "relationships.2.relatedSpdxElement"), "SPDXRef-Package-0-0");
    json_decref(d);
    /* two images: one document, two roots, a namespace of both digests */
    d = write_doc("spdx", 2, NULL);
    CHECK(d != NULL);
    if (!d) return;
    CHECK_INT(json_array_size(json_object_get(d, "packages")), 8);
    CHECK_STR(s(d, "packages.4.SPDXID"), "SPDXRef-Image-1");
    CHECK(strncmp(s(d, "documentNamespace"), "https://drydock.dev/spdx/1111", 29) != 0);
    json_decref(d);
}

TEST(github_snapshot)
{
    dd_report_t over = {.git_sha = "0123456789abcdef0123456789abcdef01234567", .git_ref = "refs/heads/main",
                        .job_correlator = "ci/scan", .job_id = "7"};
    json_t *d = write_doc("github", 2, &over);
    CHECK(d != NULL);
    if (!d) return;
    CHECK_INT(json_integer_value(json_object_get(d, "version")), 0);
    CHECK_STR(s(d, "sha"), over.git_sha);
    CHECK_STR(s(d, "job.correlator"), "ci/scan");
    CHECK_STR(s(d, "job.id"), "7");
    CHECK_STR(s(d, "detector.name"), "drydock");
    CHECK_STR(s(d, "detector.version"), "1.2.3");
    json_t *m = json_object_get(json_object_get(d, "manifests"), "/tmp/lay:v1 (linux/arm64)");
    CHECK(m != NULL);
    CHECK_STR(s(m, "file.source_location"), "/tmp/lay:v1");
    json_t *p = json_object_get(json_object_get(m, "resolved"),
                                "pkg:deb/debian/zlib1g@1%3A1.2.13.dfsg-1?arch=amd64&upstream=zlib&distro=debian-12");
    CHECK_STR(s(p, "relationship"), "direct");
    CHECK_STR(s(p, "scope"), "runtime");
    json_decref(d);
    /* no commit: an error, not a snapshot GitHub would refuse */
    setenv("GITHUB_SHA", "", 1);
    over.git_sha = "main";
    CHECK(write_doc("github", 1, &over) == NULL);
}

TEST(multi_image_documents_parse)
{
    static const char *const names[] = {"json", "cyclonedx", "cyclonedx-vex", "spdx", "sarif"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        json_t *d = write_doc(names[i], 2, NULL);
        CHECK(d != NULL);
        CHECK(json_is_object(d));
        json_decref(d);
    }
    json_t *d = write_doc("cyclonedx", 2, NULL);
    if (!d) return;
    CHECK_STR(s(d, "components.1.type"), "container");
    CHECK_STR(s(d, "components.1.components.1.bom-ref"),
              "linux/arm64|pkg:deb/debian/libssl3@3.0.11-1~deb12u1?arch=amd64&upstream=openssl&distro=debian-12");
    json_decref(d);
}

TEST(no_manifest)
{
    /* fs:, rootfs:, sbom: targets have no manifest: every format still writes a document */
    static const char *const names[] = {"json", "cyclonedx", "cyclonedx-vex", "spdx", "sarif", "github", "table"};
    setenv("GITHUB_SHA", "0123456789abcdef0123456789abcdef01234567", 1);
    setenv("GITHUB_REF", "refs/heads/main", 1);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        setup();
        dd_report_image_t im = {.img = NULL, .name = "rootfs:/srv/root", .inv = &inv, .f = &fs};
        dd_report_t r = {.target = "rootfs:/srv/root", .images = &im, .n_images = 1};
        dd_report_format_t f;
        CHECK_INT(dd_report_format_parse(names[i], &f), DD_OK);
        dd_buf_t b;
        dd_buf_init(&b, 0);
        dd_err_t e = {0};
        CHECK_INT(dd_report_write(f, &r, &b, &e), DD_OK);
        if (f != DD_REPORT_TABLE) {
            json_t *j = json_loadb(b.ptr, b.len, 0, NULL);
            CHECK(j != NULL);
            if (f == DD_REPORT_SPDX) {
                CHECK_STR(s(j, "packages.0.name"), "rootfs:/srv/root");
                CHECK(strlen(s(j, "documentNamespace")) == strlen("https://drydock.dev/spdx/") + 64);
            }
            json_decref(j);
        } else {
            CHECK(strstr(b.ptr, "Image:    rootfs:/srv/root\n") != NULL);
        }
        dd_buf_release(&b);
    }
    unsetenv("GITHUB_SHA");
    unsetenv("GITHUB_REF");
}

TEST(table_has_every_image)
{
    setup();
    dd_report_t r = {.target = "oci:/tmp/lay:v1", .images = rimgs, .n_images = 2};
    dd_buf_t b;
    dd_buf_init(&b, 0);
    CHECK_INT(dd_report_write(DD_REPORT_TABLE, &r, &b, NULL), DD_OK);
    CHECK(strstr(b.ptr, "(linux/amd64)") && strstr(b.ptr, "(linux/arm64)"));
    CHECK(strstr(b.ptr, "CVE-2024-0001") != NULL);
    CHECK(strstr(b.ptr, "CVE-2024-0005") == NULL);
    dd_buf_release(&b);
}

TEST_MAIN(RUN(format_names); RUN(cyclonedx_ratings); RUN(cyclonedx_version_from_vector); RUN(cyclonedx_vex_states); RUN(sarif_levels_and_scores);
          RUN(sarif_band_midpoint); RUN(spdx_document); RUN(github_snapshot); RUN(multi_image_documents_parse);
          RUN(no_manifest); RUN(table_has_every_image))
