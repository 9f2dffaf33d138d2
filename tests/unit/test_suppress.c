/*
 * test_suppress.c: ignore files (text and YAML), OpenVEX, purl matching and
 * dd_suppress_apply (src/match/suppress.c), and the SBOM reader
 * (src/catalog/sbom.c).
 */
#include "dd/sbom.h"
#include "dd/suppress.h"
#include "test.h"

static void init_today(dd_suppress_t *s)
{
    dd_suppress_init(s);
    memcpy(s->today, "2026-06-01", 11);
}

TEST(ignore_text)
{
    dd_suppress_t s;
    init_today(&s);
    const char *t = "# header\n\nCVE-1  \n  GHSA-a-b-c exp:2030-01-01 # note\nCVE-2 exp:2026-06-01\r\nCVE-3 exp:2026-05-31";
    CHECK_INT(dd_suppress_parse_ignore(&s, t, strlen(t), "f", NULL), DD_OK);
    CHECK_INT(s.n, 4);
    CHECK_STR(s.v[0].id, "CVE-1");
    CHECK_INT(s.v[0].line, 3);
    CHECK_STR(s.v[1].id, "GHSA-a-b-c");
    CHECK(!s.v[1].expired);
    CHECK(s.v[2].expired); /* expires on the day itself */
    CHECK(s.v[3].expired);
    CHECK_INT(s.n_warnings, 2);
    CHECK_STR(s.warnings[0], "f:5: ignore entry 'CVE-2' expired on 2026-06-01; it no longer ignores");
    dd_err_t e;
    CHECK_INT(dd_suppress_parse_ignore(&s, "CVE-4 exp:2026-13-01\n", 21, "g", &e), DD_EINVAL);
    CHECK(strstr(e.msg, "g:1:") != NULL);
    CHECK_INT(dd_suppress_parse_ignore(&s, "CVE-4 CVE-5\n", 12, "g", &e), DD_EINVAL);
    dd_suppress_release(&s);
}

TEST(ignore_yaml)
{
    dd_suppress_t s;
    init_today(&s);
    const char *y = "vulnerabilities:\n"
                    "  - id: CVE-1\n"
                    "    paths: [\"var/lib/dpkg/*\"]\n"
                    "    purls:\n      - pkg:deb/debian/zlib1g\n"
                    "    statement: ok\n"
                    "    expired_at: 2020-01-01\n"
                    "  - id: CVE-2\n"
                    "secrets:\n";
    CHECK_INT(dd_suppress_parse_ignore_yaml(&s, y, strlen(y), "y.yaml", NULL), DD_OK);
    CHECK_INT(s.n, 2);
    CHECK_INT(s.v[0].n_paths, 1);
    CHECK_INT(s.v[0].n_purls, 1);
    CHECK_STR(s.v[0].statement, "ok");
    CHECK(s.v[0].expired);
    CHECK_INT(s.v[0].line, 2);
    CHECK_INT(s.v[1].line, 8);
    dd_err_t e;
    CHECK_INT(dd_suppress_parse_ignore_yaml(&s, "vulnerabilities: [{paths: []}]", 30, "y", &e), DD_EINVAL);
    CHECK_INT(dd_suppress_parse_ignore_yaml(&s, "vulnerabilities: {", 18, "y", &e), DD_EINVAL);
    CHECK_INT(dd_suppress_parse_ignore_yaml(&s, "", 0, "y", &e), DD_OK);
    dd_suppress_release(&s);
}

TEST(purl_covers)
{
    const char *pkg = "pkg:deb/debian/zlib1g@1%3A1.2.13.dfsg-1?arch=amd64&upstream=zlib&distro=debian-12";
    CHECK(dd_purl_covers("pkg:deb/debian/zlib1g", pkg));
    CHECK(dd_purl_covers("pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1", pkg));
    CHECK(dd_purl_covers("pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64", pkg));
    CHECK(!dd_purl_covers("pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=arm64", pkg));
    CHECK(!dd_purl_covers("pkg:deb/debian/zlib1g@1.2.13", pkg));
    CHECK(!dd_purl_covers("pkg:deb/debian/zlib", pkg));
    CHECK(!dd_purl_covers("pkg:deb/ubuntu/zlib1g", pkg));
    CHECK(!dd_purl_covers("zlib1g", pkg));
}

static void one_finding(dd_inventory_t *inv, dd_findings_t *f, const char *id)
{
    dd_inventory_init(inv);
    dd_package_t *p = dd_inventory_add(inv);
    p->type = DD_PKG_DPKG;
    p->name = dd_arena_strdup(dd_inventory_arena(inv), "zlib1g");
    p->version = dd_arena_strdup(dd_inventory_arena(inv), "1:1.2.13.dfsg-1");
    p->source_name = dd_arena_strdup(dd_inventory_arena(inv), "zlib");
    p->arch = dd_arena_strdup(dd_inventory_arena(inv), "amd64");
    p->db_path = dd_arena_strdup(dd_inventory_arena(inv), "var/lib/dpkg/status");
    inv->os.id = dd_arena_strdup(dd_inventory_arena(inv), "debian");
    inv->os.version_id = dd_arena_strdup(dd_inventory_arena(inv), "12");
    dd_findings_init(f);
    f->assessed = true;
    f->v = dd_calloc(1, sizeof *f->v);
    f->n = f->cap = 1;
    f->v[0].id = id;
    f->v[0].package = "zlib1g";
    f->v[0].version = "1:1.2.13.dfsg-1";
    f->v[0].severity = DD_SEV_HIGH;
}

TEST(apply_ignore_and_vex)
{
    dd_suppress_t s;
    init_today(&s);
    const char *y = "vulnerabilities:\n  - id: CVE-1\n    paths: [\"usr/*\"]\n  - id: CVE-2\n    purls: [pkg:deb/debian/zlib1g]\n";
    CHECK_INT(dd_suppress_parse_ignore_yaml(&s, y, strlen(y), "y", NULL), DD_OK);
    const char *v = "{\"@context\":\"https://openvex.dev/ns/v0.2.0\",\"statements\":["
                    "{\"vulnerability\":{\"name\":\"CVE-1\"},\"products\":[{\"@id\":\"pkg:oci/app@sha256%3Aabc\","
                    "\"subcomponents\":[{\"@id\":\"pkg:deb/debian/zlib1g\"}]}],\"status\":\"not_affected\","
                    "\"justification\":\"inline_mitigations_already_exist\"}]}";
    CHECK_INT(dd_suppress_parse_vex(&s, v, strlen(v), "v.json", NULL), DD_OK);
    dd_supp_target_t t = {"oci:./app", "sha256:abc"};
    dd_inventory_t inv;
    dd_findings_t f;
    one_finding(&inv, &f, "CVE-2");
    dd_suppress_apply(&s, &inv, &t, &f);
    CHECK(f.v[0].suppressed);
    CHECK_STR(f.v[0].suppressed_by, "ignore-file");
    CHECK_INT(f.n_reported, 0);
    CHECK(f.healthy);
    dd_findings_release(&f);
    dd_inventory_release(&inv);
    one_finding(&inv, &f, "CVE-1"); /* path does not match the ignore entry; the VEX does */
    dd_suppress_apply(&s, &inv, &t, &f);
    CHECK_STR(f.v[0].suppressed_by, "vex:not_affected");
    CHECK_STR(f.v[0].suppressed_note, "v.json: not_affected (inline_mitigations_already_exist)");
    dd_findings_release(&f);
    dd_inventory_release(&inv);
    one_finding(&inv, &f, "CVE-1"); /* another image: the VEX does not apply */
    dd_supp_target_t other = {"oci:./other", "sha256:def"};
    dd_suppress_apply(&s, &inv, &other, &f);
    CHECK(!f.v[0].suppressed);
    CHECK_INT(f.n_reported, 1);
    CHECK_INT(f.counts[DD_SEV_HIGH], 1);
    dd_findings_release(&f);
    dd_inventory_release(&inv);
    dd_err_t e;
    const char *bad = "{\"@context\":\"https://openvex.dev/ns/v0.2.0\",\"statements\":[{"
                      "\"vulnerability\":{\"name\":\"CVE-1\"},\"status\":\"maybe\"}]}";
    CHECK_INT(dd_suppress_parse_vex(&s, bad, strlen(bad), "v", &e), DD_EINVAL);
    CHECK(strstr(e.msg, "unknown status") != NULL);
    dd_suppress_release(&s);
}

TEST(sbom_cyclonedx_and_spdx)
{
    const char *cdx =
        "{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.6\",\"components\":["
        "{\"type\":\"library\",\"purl\":\"pkg:apk/alpine/libcrypto3@3.1.4-r1?arch=x86_64&upstream=openssl&distro=3.18.4\"},"
        "{\"type\":\"library\",\"purl\":\"pkg:npm/left-pad@1.0.0\"}]}";
    dd_inventory_t inv;
    dd_inventory_init(&inv);
    dd_sbom_info_t si;
    CHECK_INT(dd_sbom_parse(cdx, strlen(cdx), "a.json", &inv, &si, NULL), DD_OK);
    CHECK_INT(inv.n, 1);
    CHECK_INT(si.n_skipped, 1);
    CHECK_STR(si.format, "CycloneDX 1.6");
    CHECK_STR(inv.pkgs[0].name, "libcrypto3");
    CHECK_STR(inv.pkgs[0].source_name, "openssl");
    CHECK_STR(inv.os.ecosystem, "Alpine:v3.18");
    dd_inventory_release(&inv);
    const char *spdx =
        "{\"spdxVersion\":\"SPDX-2.2\",\"packages\":[{\"name\":\"x\",\"externalRefs\":[{\"referenceType\":\"purl\","
        "\"referenceLocator\":\"pkg:rpm/redhat/openssl-libs@3.0.7-24.el9?arch=x86_64&epoch=1&upstream=openssl-3.0.7-"
        "24.el9.src.rpm&distro=rhel-9.2\"}]}]}";
    dd_inventory_init(&inv);
    CHECK_INT(dd_sbom_parse(spdx, strlen(spdx), "b.json", &inv, NULL, NULL), DD_OK);
    CHECK_INT(inv.n, 1);
    CHECK_STR(inv.pkgs[0].version, "1:3.0.7-24.el9");
    CHECK_STR(inv.pkgs[0].rpm_version, "3.0.7");
    CHECK_STR(inv.pkgs[0].rpm_release, "24.el9");
    CHECK_STR(inv.pkgs[0].source_name, "openssl");
    CHECK_STR(inv.pkgs[0].source_version, "3.0.7-24.el9");
    CHECK_STR(inv.os.id, "rhel");
    CHECK_STR(inv.os.ecosystem, "Red Hat:9");
    dd_inventory_release(&inv);
    dd_err_t e;
    dd_inventory_init(&inv);
    CHECK_INT(dd_sbom_parse("{\"spdxVersion\":\"SPDX-2.1\"}", 26, "c", &inv, NULL, &e), DD_EINVAL);
    CHECK_INT(dd_sbom_parse("[]", 2, "c", &inv, NULL, &e), DD_EINVAL);
    dd_inventory_release(&inv);
}

TEST(purl_parse)
{
    dd_purl_t u;
    CHECK_INT(dd_purl_parse("pkg:deb/debian/bash@5.2.15-2%2Bb2?arch=amd64&distro=debian-12#sub", &u), DD_OK);
    CHECK_STR(u.type, "deb");
    CHECK_STR(u.namespace_, "debian");
    CHECK_STR(u.name, "bash");
    CHECK_STR(u.version, "5.2.15-2+b2");
    CHECK_STR(u.q_distro, "debian-12");
    CHECK_INT(dd_purl_parse("pkg:deb", &u), DD_EINVAL);
    CHECK_INT(dd_purl_parse("pkg:deb/x@1%00", &u), DD_EINVAL);
    CHECK_INT(dd_purl_parse("deb/x@1", &u), DD_EINVAL);
}

TEST_MAIN(RUN(ignore_text); RUN(ignore_yaml); RUN(purl_covers); RUN(apply_ignore_and_vex); RUN(sbom_cyclonedx_and_spdx);
          RUN(purl_parse))
