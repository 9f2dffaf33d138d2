/*
 * test_catalog.c: OS detection and the dpkg/apk/rpm catalogers, on the real
 * package databases in tests/fixtures/catalog (checked against the output of
 * dpkg-query and rpm stored by gen_expected.sh) and on hand-written and
 * malformed inputs.
 */
#include "dd/catalog.h"
#include "test.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Drops an os and the arena its strings were allocated in. */
static void os_reset(dd_os_t *os, dd_arena_t *a)
{
    dd_arena_release(a);
    memset(os, 0, sizeof *os);
}

/* ---- helpers ------------------------------------------------------------ */

static void load_root(dd_fileset_t *fs, const char *rel)
{
    dd_fileset_init(fs);
    dd_err_t e = {0};
    int rc = dd_fileset_load_dir(fs, fixture(rel), &e);
    if (rc != DD_OK) fprintf(stderr, "  load %s: %s\n", rel, e.msg);
    CHECK_INT(rc, DD_OK);
}

static void put_fixture(dd_fileset_t *fs, const char *fixture_rel, const char *as, int layer)
{
    dd_buf_t b;
    dd_buf_init(&b, 0);
    dd_err_t e = {0};
    CHECK_INT(dd_file_read(fixture(fixture_rel), 512u << 20, &b, &e), DD_OK);
    dd_fileset_put(fs, as, b.ptr, b.len, layer, 0100644);
    dd_buf_release(&b);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

struct lines {
    char **v;
    size_t n;
};

static void lines_add(struct lines *l, char *s)
{
    l->v = realloc(l->v, (l->n + 1) * sizeof *l->v);
    l->v[l->n++] = s;
}

static void lines_free(struct lines *l)
{
    for (size_t i = 0; i < l->n; i++) free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

static void read_expected(const char *rel, struct lines *out)
{
    dd_buf_t b;
    dd_buf_init(&b, 0);
    dd_err_t e = {0};
    CHECK_INT(dd_file_read(fixture(rel), 1 << 20, &b, &e), DD_OK);
    char *save = NULL;
    for (char *ln = b.ptr ? strtok_r(b.ptr, "\n", &save) : NULL; ln; ln = strtok_r(NULL, "\n", &save))
        lines_add(out, dd_strdup(ln));
    dd_buf_release(&b);
    qsort(out->v, out->n, sizeof *out->v, cmp_str);
}

static const char *nz(const char *s, const char *dflt)
{
    return s ? s : dflt;
}

/* Same line format as gen_expected.sh. */
static char *pkg_line(const dd_package_t *p)
{
    if (p->type == DD_PKG_RPM)
        return dd_asprintf("%s\t%d\t%s\t%s\t%s\t%s\t%s", p->name, p->epoch, p->rpm_version, p->rpm_release,
                           nz(p->arch, "(none)"), nz(p->source_rpm, "(none)"), nz(p->license, "(none)"));
    return dd_asprintf("%s\t%s\t%s\t%s\t%s", p->name, p->version, p->source_name, p->source_version,
                       nz(p->arch, ""));
}

static void compare_expected(const dd_inventory_t *inv, const char *rel)
{
    struct lines want = {0}, got = {0};
    read_expected(rel, &want);
    for (size_t i = 0; i < inv->n; i++) lines_add(&got, pkg_line(&inv->pkgs[i]));
    qsort(got.v, got.n, sizeof *got.v, cmp_str);
    CHECK_INT(got.n, want.n);
    size_t n = got.n < want.n ? got.n : want.n;
    int shown = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(got.v[i], want.v[i]) != 0 && shown++ < 5) CHECK_STR(got.v[i], want.v[i]);
    }
    CHECK_INT(shown, 0);
    lines_free(&want);
    lines_free(&got);
}

static const dd_package_t *find_pkg(const dd_inventory_t *inv, const char *name)
{
    for (size_t i = 0; i < inv->n; i++)
        if (strcmp(inv->pkgs[i].name, name) == 0) return &inv->pkgs[i];
    return NULL;
}

static bool has_warning(const dd_inventory_t *inv, const char *needle)
{
    for (size_t i = 0; i < inv->nwarnings; i++)
        if (strstr(inv->warnings[i], needle)) return true;
    return false;
}

/* ---- real databases ------------------------------------------------------ */

TEST(dpkg_ubuntu_vs_dpkg_query)
{
    dd_fileset_t fs;
    load_root(&fs, "catalog/ubuntu-18.04");
    dd_inventory_t inv;
    dd_inventory_init(&inv);
    dd_err_t e = {0};
    CHECK_INT(dd_catalog_run(&fs, &inv, &e), DD_OK);
    CHECK_INT(e.code, 0);
    CHECK_INT(inv.n, 90);
    compare_expected(&inv, "catalog/expected/dpkg.tsv");
    CHECK(find_pkg(&inv, "git") == NULL); /* deinstall ok config-files */
    const dd_package_t *p = find_pkg(&inv, "libaudit1");
    CHECK(p != NULL);
    if (p) {
        CHECK_STR(p->version, "1:2.8.2-1ubuntu1");
        CHECK_INT(p->epoch, 1);
        CHECK_STR(p->source_name, "audit");
        CHECK_INT(p->type, DD_PKG_DPKG);
        CHECK_STR(p->db_path, "var/lib/dpkg/status");
        CHECK_INT(p->layer, 0);
        CHECK(p->rpm_version == NULL && p->license == NULL);
    }
    p = find_pkg(&inv, "fdisk");
    CHECK(p && strcmp(p->source_name, "util-linux") == 0);
    p = find_pkg(&inv, "bash");
    CHECK(p && p->epoch == -1);
    CHECK_STR(inv.os.id, "ubuntu");
    CHECK_STR(inv.os.version_id, "18.04");
    CHECK_STR(inv.os.codename, "bionic");
    CHECK_STR(inv.os.ecosystem, "Ubuntu:18.04");
    CHECK_STR(inv.os.pretty_name, "Ubuntu 18.04.1 LTS");
    dd_inventory_release(&inv);
    dd_fileset_release(&fs);
}

TEST(apk_alpine34)
{
    dd_fileset_t fs;
    load_root(&fs, "catalog/alpine-3.4");
    dd_inventory_t inv;
    dd_inventory_init(&inv);
    CHECK_INT(dd_catalog_run(&fs, &inv, NULL), DD_OK);
    CHECK_INT(inv.n, 15); /* 16 stanzas, one without V: */
    CHECK(find_pkg(&inv, "invalidPackageWithoutAVersion") == NULL);
    CHECK(has_warning(&inv, "invalidPackageWithoutAVersion"));
    const dd_package_t *p = find_pkg(&inv, "musl");
    CHECK(p != NULL);
    if (p) {
        CHECK_STR(p->version, "1.1.14-r10");
        CHECK_STR(p->source_name, "musl");
        CHECK_STR(p->source_version, "1.1.14-r10");
        CHECK_STR(p->arch, "x86_64");
        CHECK_STR(p->license, "MIT");
        CHECK_INT(p->type, DD_PKG_APK);
        CHECK_INT(p->epoch, -1);
    }
    p = find_pkg(&inv, "test");
    CHECK(p && strcmp(p->source_name, "test-parent") == 0 && strcmp(p->version, "2.9.11_pre20061021-r2") == 0);
    p = find_pkg(&inv, "busybox");
    CHECK(p && strcmp(p->version, "1.24.2-r9") == 0);
    CHECK_STR(inv.os.ecosystem, "Alpine:v3.4");
    CHECK_STR(inv.os.version_id, "3.4.6");
    dd_inventory_release(&inv);
    dd_fileset_release(&fs);
}

TEST(rpm_sqlite_mariner_vs_rpm)
{
    dd_fileset_t fs;
    dd_fileset_init(&fs);
    put_fixture(&fs, "catalog/rpm/cbl-mariner-2.0/rpmdb.sqlite", "var/lib/rpm/rpmdb.sqlite", 2);
    dd_inventory_t inv;
    dd_inventory_init(&inv);
    dd_err_t e = {0};
    CHECK_INT(dd_catalog_run(&fs, &inv, &e), DD_OK);
    CHECK_INT(inv.n, 129);
    compare_expected(&inv, "catalog/expected/rpm-cbl-mariner-2.0.tsv");
    const dd_package_t *p = find_pkg(&inv, "curl");
    CHECK(p != NULL);
    if (p) {
        CHECK_STR(p->version, "7.76.0-6.cm2");
        CHECK_STR(p->source_name, "curl");
        CHECK_STR(p->source_version, "7.76.0-6.cm2");
        CHECK_STR(p->source_rpm, "curl-7.76.0-6.cm2.src.rpm");
        CHECK_INT(p->epoch, -1);
        CHECK_INT(p->layer, 2);
        CHECK_STR(p->db_path, "var/lib/rpm/rpmdb.sqlite");
    }
    p = find_pkg(&inv, "ca-certificates-base");
    CHECK(p != NULL);
    if (p) {
        CHECK_INT(p->epoch, 1);
        CHECK_STR(p->version, "1:2.0.0-1.cm2");
        CHECK_STR(p->source_name, "ca-certificates");
        CHECK_STR(p->source_version, "1:2.0.0-1.cm2");
    }
    CHECK(inv.os.ecosystem == NULL); /* no os-release in this fixture */
    dd_inventory_release(&inv);
    dd_fileset_release(&fs);
}

TEST(rpm_bdb_libuuid_vs_rpm)
{
    dd_fileset_t fs;
    dd_fileset_init(&fs);
    put_fixture(&fs, "catalog/rpm/libuuid-bdb/Packages", "var/lib/rpm/Packages", 0);
    dd_inventory_t inv;
    dd_inventory_init(&inv);
    CHECK_INT(dd_catalog_run(&fs, &inv, NULL), DD_OK);
    compare_expected(&inv, "catalog/expected/rpm-libuuid-bdb.tsv");
    CHECK_INT(inv.n, 1);
    if (inv.n == 1) {
        CHECK_STR(inv.pkgs[0].version, "2.32.1-42.el8_8");
        CHECK_STR(inv.pkgs[0].source_name, "util-linux");
        CHECK_STR(inv.pkgs[0].source_version, "2.32.1-42.el8_8");
        CHECK_STR(inv.pkgs[0].arch, "x86_64");
    }
    dd_inventory_release(&inv);
    dd_fileset_release(&fs);
}

TEST(rpm_ndb_sle15)
{
    dd_fileset_t fs;
    dd_fileset_init(&fs);
    put_fixture(&fs, "catalog/rpm/sle15-ndb/Packages.db", "usr/lib/sysimage/rpm/Packages.db", 1);
    dd_inventory_t inv;
    dd_inventory_init(&inv);
    CHECK_INT(dd_catalog_run(&fs, &inv, NULL), DD_OK);
    CHECK_INT(inv.n, 35); /* images/README.md, from go-rpmdb's expectations */
    const dd_package_t *p = find_pkg(&inv, "sles-release");
    CHECK(p && strcmp(p->version, "15.3-55.4.1") == 0);
    p = find_pkg(&inv, "glibc");
    CHECK(p && strcmp(p->version, "2.31-9.3.2") == 0);
    p = find_pkg(&inv, "libpcre1");
    CHECK(p != NULL);
    if (p) {
        CHECK_STR(p->version, "8.45-20.10.1");
        CHECK_STR(p->source_rpm, "pcre-8.45-20.10.1.src.rpm");
        CHECK_STR(p->source_name, "pcre");
        CHECK_STR(p->source_version, "8.45-20.10.1");
        CHECK_INT(p->layer, 1);
    }
    CHECK_INT(inv.nwarnings, 0);
    dd_inventory_release(&inv);
    dd_fileset_release(&fs);
}

/* The first readable database wins; a corrupt newer one falls back. */
TEST(rpm_db_preference_and_fallback)
{
    dd_fileset_t fs;
    dd_fileset_init(&fs);
    put_fixture(&fs, "catalog/rpm/libuuid-bdb/Packages", "var/lib/rpm/Packages", 0);
    put_fixture(&fs, "catalog/rpm/sle15-ndb/Packages.db", "var/lib/rpm/Packages.db", 0);
    dd_inventory_t inv;
    dd_inventory_init(&inv);
    CHECK_INT(dd_catalog_run(&fs, &inv, NULL), DD_OK);
    CHECK_INT(inv.n, 35);
    dd_inventory_release(&inv);

    dd_fileset_put(&fs, "var/lib/rpm/rpmdb.sqlite", "SQLite format 3\0garbage", 24, 0, 0);
    dd_inventory_init(&inv);
    dd_err_t e = {0};
    CHECK_INT(dd_catalog_run(&fs, &inv, &e), DD_OK);
    CHECK_INT(inv.n, 35);
    CHECK(has_warning(&inv, "rpmdb.sqlite"));
    dd_inventory_release(&inv);
    dd_fileset_release(&fs);
}

/* ---- OS detection -------------------------------------------------------- */

static void os_case(const char *text, const char *id, const char *ver, const char *eco, const char *codename)
{
    dd_os_t os = {0};
    dd_arena_t a;
    dd_arena_init(&a);
    CHECK_INT(dd_os_release_parse(text, strlen(text), &a, &os), DD_OK);
    CHECK_STR(os.id, id);
    if (ver) CHECK_STR(os.version_id, ver);
    else CHECK(os.version_id == NULL);
    if (eco) CHECK_STR(os.ecosystem, eco);
    else CHECK(os.ecosystem == NULL);
    if (codename) CHECK_STR(os.codename, codename);
    os_reset(&os, &a);
}

TEST(os_release_samples)
{
    os_case("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\n"
            "VERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=debian\n",
            "debian", "12", "Debian:12", "bookworm");
    os_case("NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.18.4\nPRETTY_NAME=\"Alpine Linux v3.18\"\n", "alpine",
            "3.18.4", "Alpine:v3.18", NULL);
    os_case("PRETTY_NAME=\"Ubuntu 22.04.3 LTS\"\nNAME=\"Ubuntu\"\nVERSION_ID=\"22.04\"\n"
            "VERSION=\"22.04.3 LTS (Jammy Jellyfish)\"\nVERSION_CODENAME=jammy\nID=ubuntu\nID_LIKE=debian\n",
            "ubuntu", "22.04", "Ubuntu:22.04", "jammy");
    os_case("NAME=\"Red Hat Enterprise Linux\"\nVERSION=\"8.6 (Ootpa)\"\nID=\"rhel\"\nID_LIKE=\"fedora\"\n"
            "VERSION_ID=\"8.6\"\nPLATFORM_ID=\"platform:el8\"\n",
            "rhel", "8.6", "Red Hat:8", "ootpa");
    os_case("NAME=\"AlmaLinux\"\nVERSION=\"9.2 (Turquoise Kodkod)\"\nID=\"almalinux\"\nVERSION_ID=\"9.2\"\n",
            "almalinux", "9.2", "AlmaLinux:9", NULL);
    os_case("NAME=\"Rocky Linux\"\nVERSION=\"9.1 (Blue Onyx)\"\nID=\"rocky\"\nVERSION_ID=\"9.1\"\n", "rocky", "9.1",
            "Rocky Linux:9", NULL);
    os_case("NAME=\"Common Base Linux Mariner\"\nVERSION=\"2.0.20230630\"\nID=mariner\nVERSION_ID=\"2.0\"\n",
            "mariner", "2.0", "CBL-Mariner:2.0", NULL);
    os_case("NAME=\"Microsoft Azure Linux\"\nVERSION=\"3.0.20240727\"\nID=azurelinux\nVERSION_ID=\"3.0\"\n",
            "azurelinux", "3.0", "Azure Linux:3.0", NULL);
    os_case("NAME=\"SLES\"\nVERSION=\"15-SP3\"\nVERSION_ID=\"15.3\"\nID=\"sles\"\n", "sles", "15.3",
            "SUSE:Linux Enterprise Server 15 SP3", NULL);
    /* distroless: PRETTY_NAME is "Distroless", VERSION names the release */
    os_case("PRETTY_NAME=\"Distroless\"\nNAME=\"Debian GNU/Linux\"\nID=\"debian\"\nVERSION_ID=\"12\"\n"
            "VERSION=\"Debian GNU/Linux 12 (bookworm)\"\nHOME_URL=\"https://github.com/GoogleContainerTools/distroless\"\n",
            "debian", "12", "Debian:12", "bookworm");
    /* comments, blanks, CRLF, single quotes, escapes, unknown distro */
    os_case("# a comment\r\n\r\n  ID='foo'\r\nVERSION_ID=\"1\\\"2\"\r\nNAME=Foo # trailing\r\n", "foo", "1\"2", NULL,
            NULL);
    /* Debian testing: no VERSION_ID */
    os_case("PRETTY_NAME=\"Debian GNU/Linux trixie/sid\"\nID=debian\nVERSION_CODENAME=trixie\n", "debian", NULL,
            NULL, "trixie");

    dd_os_t os = {0};

    dd_arena_t a;

    dd_arena_init(&a);
    CHECK_INT(dd_os_release_parse("NAME=x\nVERSION_ID=1\n", 20, &a, &os), DD_EINVAL);
    os_reset(&os, &a);
    CHECK_INT(dd_os_release_parse("", 0, &a, &os), DD_EINVAL);
    os_reset(&os, &a);
}

static void detect_case(const char *path, const char *text, const char *id, const char *ver, const char *eco)
{
    dd_fileset_t fs;
    dd_fileset_init(&fs);
    dd_fileset_put(&fs, path, text, strlen(text), 0, 0100644);
    dd_os_t os = {0};
    dd_arena_t a;
    dd_arena_init(&a);
    CHECK_INT(dd_os_detect(&fs, &a, &os), DD_OK);
    CHECK_STR(os.id, id);
    if (ver) CHECK_STR(os.version_id, ver);
    else CHECK(os.version_id == NULL);
    if (eco) CHECK_STR(os.ecosystem, eco);
    else CHECK(os.ecosystem == NULL);
    os_reset(&os, &a);
    dd_fileset_release(&fs);
}

TEST(os_detect_fallbacks)
{
    detect_case("etc/debian_version", "12.4\n", "debian", "12.4", "Debian:12");
    detect_case("etc/debian_version", "bookworm/sid\n", "debian", NULL, NULL);
    detect_case("etc/alpine-release", "3.18.4\n", "alpine", "3.18.4", "Alpine:v3.18");
    detect_case("etc/redhat-release", "Red Hat Enterprise Linux release 8.6 (Ootpa)\n", "rhel", "8.6", "Red Hat:8");
    detect_case("etc/redhat-release", "Rocky Linux release 9.1 (Blue Onyx)\n", "rocky", "9.1", "Rocky Linux:9");
    detect_case("etc/redhat-release", "AlmaLinux release 9.2 (Turquoise Kodkod)\n", "almalinux", "9.2",
                "AlmaLinux:9");
    detect_case("etc/redhat-release", "CentOS Linux release 7.9.2009 (Core)\n", "centos", "7.9.2009", "CentOS:7");
    detect_case("usr/lib/os-release", "ID=debian\nVERSION_ID=\"11\"\n", "debian", "11", "Debian:11");

    /* etc/os-release wins over usr/lib/os-release and over debian_version */
    dd_fileset_t fs;
    dd_fileset_init(&fs);
    dd_fileset_put(&fs, "etc/os-release", "ID=ubuntu\nVERSION_ID=22.04\n", 27, 0, 0);
    dd_fileset_put(&fs, "usr/lib/os-release", "ID=debian\nVERSION_ID=12\n", 24, 0, 0);
    dd_fileset_put(&fs, "etc/debian_version", "bookworm/sid\n", 13, 0, 0);
    dd_os_t os = {0};
    dd_arena_t a;
    dd_arena_init(&a);
    CHECK_INT(dd_os_detect(&fs, &a, &os), DD_OK);
    CHECK_STR(os.ecosystem, "Ubuntu:22.04");
    os_reset(&os, &a);
    /* a symlink recorded as such is followed inside the image (to usr/lib/os-release) */
    dd_fileset_put(&fs, "etc/os-release", "../usr/lib/os-release", 21, 0, 0120777);
    CHECK_INT(dd_os_detect(&fs, &a, &os), DD_OK);
    CHECK_STR(os.ecosystem, "Debian:12");
    os_reset(&os, &a);
    dd_fileset_release(&fs);

    dd_fileset_init(&fs);
    CHECK_INT(dd_os_detect(&fs, &a, &os), DD_DECLINED);
    CHECK(os.id == NULL && os.ecosystem == NULL);
    dd_fileset_release(&fs);

    char *eco = dd_os_ecosystem("sles", "15");
    CHECK_STR(eco, "SUSE:Linux Enterprise Server 15");
    free(eco);
    eco = dd_os_ecosystem("mariner", "2");
    CHECK_STR(eco, "CBL-Mariner:2.0");
    free(eco);
    CHECK(dd_os_ecosystem("alpine", "edge") == NULL);
    /* Amazon Linux: 2 and 2023 as is, the 2018.03 AMI is release 1 (the ALAS feeds' names) */
    static const char *const amzn[][2] = {
        {"2", "Amazon Linux:2"}, {"2023", "Amazon Linux:2023"}, {"2018.03", "Amazon Linux:1"}, {"2017.09", "Amazon Linux:1"},
    };
    for (size_t i = 0; i < sizeof amzn / sizeof amzn[0]; i++) {
        eco = dd_os_ecosystem("amzn", amzn[i][0]);
        CHECK_STR(eco, amzn[i][1]);
        free(eco);
    }
    /* every row of the (binary-searched) ecosystem table is reachable */
    static const char *const eco_rows[][3] = {
        {"almalinux", "8.9", "AlmaLinux:8"},      {"alpine", "3.19.1", "Alpine:v3.19"},
        {"amzn", "2023", "Amazon Linux:2023"},    {"azurelinux", "3.0", "Azure Linux:3.0"},
        {"centos", "7", "CentOS:7"},              {"chainguard", NULL, "Chainguard"},
        {"debian", "11", "Debian:11"},            {"fedora", "39", "Fedora:39"},
        {"mariner", "1.0", "CBL-Mariner:1.0"},    {"ol", "9.3", "Oracle Linux:9"},
        {"opensuse-leap", "15.5", "openSUSE:Leap 15.5"},
        {"opensuse-tumbleweed", "20240101", "openSUSE:Tumbleweed"},
        {"photon", "5.0", "Photon OS:5.0"},       {"rhel", "9.3", "Red Hat:9"},
        {"rocky", "8.9", "Rocky Linux:8"},        {"sles", "15.5", "SUSE:Linux Enterprise Server 15 SP5"},
        {"ubuntu", "24.04", "Ubuntu:24.04"},      {"wolfi", "20230201", "Wolfi"},
    };
    for (size_t i = 0; i < sizeof eco_rows / sizeof eco_rows[0]; i++) {
        eco = dd_os_ecosystem(eco_rows[i][0], eco_rows[i][1]);
        CHECK_STR(eco, eco_rows[i][2]);
        free(eco);
    }
    CHECK(dd_os_ecosystem("gentoo", "2.14") == NULL);
    CHECK(dd_os_ecosystem(NULL, "1") == NULL);
}

TEST(os_detect_fixtures)
{
    dd_fileset_t fs;
    load_root(&fs, "catalog/ubuntu-18.04");
    dd_os_t os = {0};
    dd_arena_t a;
    dd_arena_init(&a);
    CHECK_INT(dd_os_detect(&fs, &a, &os), DD_OK);
    CHECK_STR(os.ecosystem, "Ubuntu:18.04");
    os_reset(&os, &a);
    dd_fileset_release(&fs);
    load_root(&fs, "catalog/alpine-3.4");
    CHECK_INT(dd_os_detect(&fs, &a, &os), DD_OK);
    CHECK_STR(os.ecosystem, "Alpine:v3.4");
    CHECK_STR(os.name, "Alpine Linux");
    os_reset(&os, &a);
    dd_fileset_release(&fs);
}

/* ---- dpkg edge cases ----------------------------------------------------- */

TEST(dpkg_edge_cases)
{
    const char *status =
        "Package: a\r\nStatus: install ok installed\r\nVersion: 1.0-1\r\nArchitecture: amd64\r\n"
        "Description: x\r\n continuation: not a field\r\n .\r\n\r\n"
        "Package: b\nStatus: hold ok installed\nSource: bsrc (2:1.5-2)\nVersion: 1.5-2+b1\n\n"
        "Package: c\nStatus: deinstall ok config-files\nVersion: 3\n\n"
        "Package: d\nStatus: install ok half-installed\nVersion: 4\n\n"
        "Package: e\nVersion: 5\n\n"                            /* no Status in status file */
        "Package: f\nStatus: install ok installed\n\n"          /* no Version */
        "package: g\nstatus: install ok installed\nversion: 7:7\nsource: gsrc\n\n\n\n"
        "Package: h\nStatus: install ok installed\nVersion: 8"; /* no final newline */
    dd_inventory_t inv;
    dd_inventory_init(&inv);
    CHECK_INT(dd_dpkg_parse(status, strlen(status), false, "var/lib/dpkg/status", 3, &inv, NULL), DD_OK);
    CHECK_INT(inv.n, 4);
    const dd_package_t *p = find_pkg(&inv, "a");
    CHECK(p && strcmp(p->version, "1.0-1") == 0 && strcmp(p->arch, "amd64") == 0 && p->layer == 3);
    p = find_pkg(&inv, "b");
    CHECK(p != NULL);
    if (p) {
        CHECK_STR(p->source_name, "bsrc");
        CHECK_STR(p->source_version, "2:1.5-2");
        CHECK_INT(p->epoch, -1);
    }
    p = find_pkg(&inv, "g");
    CHECK(p && strcmp(p->source_name, "gsrc") == 0 && strcmp(p->source_version, "7:7") == 0 && p->epoch == 7);
    p = find_pkg(&inv, "h");
    CHECK(p && strcmp(p->version, "8") == 0);
    CHECK(has_warning(&inv, "without Version"));
    dd_inventory_release(&inv);

    dd_inventory_init(&inv);
    CHECK_INT(dd_dpkg_parse("", 0, false, "s", 0, &inv, NULL), DD_OK);
    CHECK_INT(dd_dpkg_parse("\n\n\n", 3, false, "s", 0, &inv, NULL), DD_OK);
    CHECK_INT(dd_dpkg_parse(":::\n: x\nPackage:\nVersion:\n", 24, true, "s", 0, &inv, NULL), DD_OK);
    CHECK_INT(inv.n, 0);
    dd_inventory_release(&inv);
}

TEST(dpkg_distroless_status_d)
{
    dd_fileset_t fs;
    dd_fileset_init(&fs);
    const char *base = "Package: base-files\nVersion: 12.4+deb12u5\nArchitecture: amd64\n";
    const char *libc = "Package: libc6\nVersion: 2.36-9+deb12u4\nSource: glibc\nArchitecture: amd64\n\n"
                       "Package: libc-bin\nVersion: 2.36-9+deb12u4\nSource: glibc\n";
    dd_fileset_put(&fs, "var/lib/dpkg/status.d/base", base, strlen(base), 0, 0100644);
    dd_fileset_put(&fs, "var/lib/dpkg/status.d/libc6", libc, strlen(libc), 2, 0100644);
    dd_fileset_put(&fs, "var/lib/dpkg/status.d/libc6.md5sums", "Package: bogus\nVersion: 1\n", 26, 2, 0100644);
    const char *osr = "PRETTY_NAME=\"Distroless\"\nNAME=\"Debian GNU/Linux\"\nID=\"debian\"\nVERSION_ID=\"12\"\n"
                      "VERSION=\"Debian GNU/Linux 12 (bookworm)\"\n";
    dd_fileset_put(&fs, "etc/os-release", osr, strlen(osr), 0, 0100644);
    dd_inventory_t inv;
    dd_inventory_init(&inv);
    CHECK_INT(dd_catalog_run(&fs, &inv, NULL), DD_OK);
    CHECK_INT(inv.n, 3);
    CHECK(find_pkg(&inv, "bogus") == NULL);
    const dd_package_t *p = find_pkg(&inv, "libc-bin");
    CHECK(p && p->layer == 2 && strcmp(p->source_name, "glibc") == 0 &&
          strcmp(p->db_path, "var/lib/dpkg/status.d/libc6") == 0);
    p = find_pkg(&inv, "base-files");
    CHECK(p && p->layer == 0);
    CHECK_STR(inv.os.ecosystem, "Debian:12");
    CHECK_STR(inv.os.codename, "bookworm");
    dd_inventory_release(&inv);
    dd_fileset_release(&fs);
}

TEST(apk_edge_cases)
{
    const char *db = "C:Q1abc=\r\nP:one\r\nV:1.0-r0\r\nA:aarch64\r\n\r\n"
                     "P:two\nV:2.0-r1\no:twosrc\nL:GPL-2.0-only AND MIT\nF:usr/bin\nR:two\n\n"
                     "V:3.0-r0\n\n" /* no P: */
                     "P:four\nV:4";
    dd_inventory_t inv;
    dd_inventory_init(&inv);
    CHECK_INT(dd_apk_parse(db, strlen(db), "lib/apk/db/installed", 1, &inv, NULL), DD_OK);
    CHECK_INT(inv.n, 3);
    const dd_package_t *p = find_pkg(&inv, "one");
    CHECK(p && strcmp(p->arch, "aarch64") == 0 && strcmp(p->source_name, "one") == 0);
    p = find_pkg(&inv, "two");
    CHECK(p && strcmp(p->source_name, "twosrc") == 0 && strcmp(p->license, "GPL-2.0-only AND MIT") == 0);
    p = find_pkg(&inv, "four");
    CHECK(p && strcmp(p->version, "4") == 0 && p->layer == 1);
    CHECK(has_warning(&inv, "without P:"));
    dd_inventory_release(&inv);
}

/* ---- malformed rpm input ------------------------------------------------- */

static size_t put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
    return 4;
}

/* Builds a header blob with NAME, VERSION, RELEASE (strings) and EPOCH. */
static size_t make_header(uint8_t *b, int epoch)
{
    const char strs[] = "pkg\0" "1.0\0" "3.el9\0";
    size_t il = epoch >= 0 ? 4 : 3;
    size_t dl = sizeof strs - 1 + (epoch >= 0 ? 4 : 0);
    uint8_t *p = b;
    p += put_be32(p, (uint32_t)il);
    p += put_be32(p, (uint32_t)dl);
    uint32_t ents[4][4] = {{1000, 6, 0, 1}, {1001, 6, 4, 1}, {1002, 6, 8, 1}, {1003, 4, sizeof strs - 1, 1}};
    for (size_t i = 0; i < il; i++)
        for (int j = 0; j < 4; j++) p += put_be32(p, ents[i][j]);
    memcpy(p, strs, sizeof strs - 1);
    p += sizeof strs - 1;
    if (epoch >= 0) p += put_be32(p, (uint32_t)epoch);
    return (size_t)(p - b);
}

TEST(rpm_header_malformed)
{
    uint8_t b[256];
    dd_rpm_header_t h;
    dd_err_t e = {0};
    size_t n = make_header(b, 2);
    CHECK_INT(dd_rpm_header_parse(b, n, &h, &e), DD_OK);
    CHECK_STR(h.name, "pkg");
    CHECK_STR(h.version, "1.0");
    CHECK_STR(h.release, "3.el9");
    CHECK_INT(h.epoch, 2);
    CHECK(h.arch == NULL && h.sourcerpm == NULL);
    /* every truncation fails cleanly */
    for (size_t cut = 0; cut < n; cut++) CHECK_INT(dd_rpm_header_parse(b, cut, &h, &e), DD_ECORRUPT);
    uint8_t c[256];
    memcpy(c, b, n);
    put_be32(c, 0x7fffffff); /* huge index count */
    CHECK_INT(dd_rpm_header_parse(c, n, &h, &e), DD_ECORRUPT);
    memcpy(c, b, n);
    put_be32(c + 4, 0xfffffff0); /* huge data size */
    CHECK_INT(dd_rpm_header_parse(c, n, &h, &e), DD_ECORRUPT);
    memcpy(c, b, n);
    put_be32(c + 8 + 8, 0xffffff00); /* NAME offset out of bounds */
    CHECK_INT(dd_rpm_header_parse(c, n, &h, &e), DD_ECORRUPT);
    /* a string running into the epoch bytes without a NUL */
    uint8_t d[64] = {0};
    size_t o = 0;
    o += put_be32(d + o, 1), o += put_be32(d + o, 4);
    o += put_be32(d + o, 1000), o += put_be32(d + o, 6), o += put_be32(d + o, 0), o += put_be32(d + o, 1);
    memcpy(d + o, "abcd", 4);
    CHECK_INT(dd_rpm_header_parse(d, o + 4, &h, &e), DD_ECORRUPT);
    /* an epoch with the wrong type */
    memcpy(c, b, n);
    put_be32(c + 8 + 3 * 16 + 4, 6);
    CHECK_INT(dd_rpm_header_parse(c, n, &h, &e), DD_ECORRUPT);
    /* NAME with a non-string type */
    memcpy(c, b, n);
    put_be32(c + 8 + 4, 4);
    CHECK_INT(dd_rpm_header_parse(c, n, &h, &e), DD_ECORRUPT);
    CHECK_INT(dd_rpm_header_parse(NULL, 0, &h, &e), DD_ECORRUPT);

    /* 65535 index entries all naming one long unterminated string: the scan
     * per entry is capped, the oversized field is ignored */
    size_t il = 0xffff, dl = 1u << 20;
    size_t blen = 8 + il * 16 + dl;
    uint8_t *big = malloc(blen);
    memset(big, 'a', blen);
    put_be32(big, (uint32_t)il);
    put_be32(big + 4, (uint32_t)dl);
    for (size_t i = 0; i < il; i++) {
        uint8_t *ent = big + 8 + i * 16;
        put_be32(ent, 1000), put_be32(ent + 4, 6), put_be32(ent + 8, 0), put_be32(ent + 12, 1);
    }
    big[blen - 1] = '\0';
    CHECK_INT(dd_rpm_header_parse(big, blen, &h, &e), DD_OK);
    CHECK(h.name == NULL);
    big[blen - 1] = 'a'; /* and truly unterminated near the end: corrupt */
    put_be32(big + 8 + 8, (uint32_t)(dl - 10));
    CHECK_INT(dd_rpm_header_parse(big, blen, &h, &e), DD_ECORRUPT);
    free(big);
}

static uint8_t *slurp(const char *rel, size_t *len)
{
    dd_buf_t b;
    dd_buf_init(&b, 0);
    dd_err_t e = {0};
    CHECK_INT(dd_file_read(fixture(rel), 64u << 20, &b, &e), DD_OK);
    return (uint8_t *)dd_buf_detach(&b, len);
}

static int count_blob(const uint8_t *blob, size_t len, void *arg)
{
    (void)blob, (void)len;
    (*(int *)arg)++;
    return 0;
}

TEST(rpm_containers_malformed)
{
    size_t len;
    dd_err_t e = {0};
    int n = 0;
    dd_inventory_t inv;

    /* BDB: truncated at page boundaries and inside, corrupted pages */
    uint8_t *bdb = slurp("catalog/rpm/libuuid-bdb/Packages", &len);
    CHECK_INT(dd_rpmdb_bdb_each(bdb, len, count_blob, &n, &e), DD_OK);
    CHECK_INT(n, 1);
    for (size_t cut = 0; cut < len; cut += 1021) {
        dd_inventory_init(&inv);
        int rc = dd_rpmdb_parse(bdb, cut, "Packages", 0, &inv, &e);
        CHECK(rc != DD_OK || inv.n <= 1);
        dd_inventory_release(&inv);
    }
    /* overflow chain loop: page 3's next points back to itself */
    uint8_t *loop = malloc(len);
    memcpy(loop, bdb, len);
    memcpy(loop + 3 * 4096 + 16, "\x03\0\0\0", 4);
    n = 0;
    CHECK_INT(dd_rpmdb_bdb_each(loop, len, count_blob, &n, &e), DD_ECORRUPT);
    /* item offsets pointing outside the page */
    memcpy(loop, bdb, len);
    loop[2 * 4096 + 26] = 0xff, loop[2 * 4096 + 27] = 0xff;
    CHECK_INT(dd_rpmdb_bdb_each(loop, len, count_blob, &n, &e), DD_ECORRUPT);
    /* huge entry count */
    memcpy(loop, bdb, len);
    loop[2 * 4096 + 20] = 0xff, loop[2 * 4096 + 21] = 0xff;
    CHECK_INT(dd_rpmdb_bdb_each(loop, len, count_blob, &n, &e), DD_ECORRUPT);
    /* bad page size */
    memcpy(loop, bdb, len);
    loop[20] = 0x01;
    CHECK_INT(dd_rpmdb_bdb_each(loop, len, count_blob, &n, &e), DD_ECORRUPT);
    free(loop);
    free(bdb);

    /* NDB */
    uint8_t *ndb = slurp("catalog/rpm/sle15-ndb/Packages.db", &len);
    n = 0;
    CHECK_INT(dd_rpmdb_ndb_each(ndb, len, count_blob, &n, &e), DD_OK);
    CHECK_INT(n, 35);
    for (size_t cut = 0; cut < len; cut += 4093) {
        dd_inventory_init(&inv);
        int rc = dd_rpmdb_parse(ndb, cut, "Packages.db", 0, &inv, &e);
        CHECK(rc != DD_OK || inv.n <= 35);
        dd_inventory_release(&inv);
    }
    uint8_t *bad = malloc(len);
    memcpy(bad, ndb, len);
    memcpy(bad + 12, "\xff\xff\xff\x7f", 4); /* huge slot page count */
    CHECK_INT(dd_rpmdb_ndb_each(bad, len, count_blob, &n, &e), DD_ECORRUPT);
    memcpy(bad, ndb, len);
    memcpy(bad + 32 + 8, "\xff\xff\xff\x0f", 4); /* first slot's blob far outside */
    CHECK_INT(dd_rpmdb_ndb_each(bad, len, count_blob, &n, &e), DD_ECORRUPT);
    memcpy(bad, ndb, len);
    memcpy(bad + 48, "Slop", 4);
    CHECK_INT(dd_rpmdb_ndb_each(bad, len, count_blob, &n, &e), DD_ECORRUPT);
    /* every slot pointing at the largest blob: the work budget stops it */
    memcpy(bad, ndb, len);
    {
        size_t best = 0, bestcnt = 0;
        for (size_t o = 32; o < 4096; o += 16) {
            size_t cnt = bad[o + 12] | (size_t)bad[o + 13] << 8 | (size_t)bad[o + 14] << 16;
            if (cnt > bestcnt) bestcnt = cnt, best = o;
        }
        for (size_t o = 32; o < 4096; o += 16) memcpy(bad + o, bad + best, 16);
        n = 0;
        CHECK_INT(dd_rpmdb_ndb_each(bad, len, count_blob, &n, &e), DD_ELIMIT);
        CHECK(n > 0 && n < 255);
    }
    free(bad);
    free(ndb);

    /* SQLite: truncated and garbage */
    uint8_t *sq = slurp("catalog/rpm/cbl-mariner-2.0/rpmdb.sqlite", &len);
    for (size_t cut = 0; cut < len; cut += len / 7) {
        dd_inventory_init(&inv);
        (void)dd_rpmdb_parse(sq, cut, "rpmdb.sqlite", 0, &inv, &e);
        CHECK(inv.n <= 129);
        dd_inventory_release(&inv);
    }
    CHECK(len > 100);
    uint8_t *garb = malloc(len > 100 ? len : 100);
    memcpy(garb, sq, len > 100 ? 100 : len);
    for (size_t i = 100; i < len; i++) garb[i] = (uint8_t)(i * 2654435761u >> 13);
    dd_inventory_init(&inv);
    CHECK(dd_rpmdb_parse(garb, len, "rpmdb.sqlite", 0, &inv, &e) != DD_OK);
    CHECK_INT(inv.n, 0);
    dd_inventory_release(&inv);
    free(garb);
    free(sq);

    dd_inventory_init(&inv);
    CHECK_INT(dd_rpmdb_parse((const uint8_t *)"hello world, not a db", 21, "x", 0, &inv, &e), DD_ECORRUPT);
    dd_inventory_release(&inv);
}

/* A corrupt database is a warning when another one was read, an error when
 * it was the only one. */
TEST(catalog_run_partial_failure)
{
    dd_fileset_t fs;
    dd_fileset_init(&fs);
    dd_fileset_put(&fs, "var/lib/rpm/Packages", "\0\0\0\0\0\0\0\0\0\0\0\0\x61\x15\x06\0", 16, 0, 0);
    dd_inventory_t inv;
    dd_inventory_init(&inv);
    dd_err_t e = {0};
    CHECK_INT(dd_catalog_run(&fs, &inv, &e), DD_ECORRUPT);
    CHECK(e.code != 0 && strstr(e.msg, "bdb") != NULL);
    CHECK(has_warning(&inv, "var/lib/rpm/Packages"));
    dd_inventory_release(&inv);

    const char *apk = "P:x\nV:1\n";
    dd_fileset_put(&fs, "lib/apk/db/installed", apk, strlen(apk), 0, 0);
    dd_inventory_init(&inv);
    dd_err_clear(&e);
    CHECK_INT(dd_catalog_run(&fs, &inv, &e), DD_OK);
    CHECK_INT(inv.n, 1);
    CHECK_INT(e.code, DD_ECORRUPT);
    dd_inventory_release(&inv);
    dd_fileset_release(&fs);

    /* nothing at all: DD_OK, empty */
    dd_fileset_init(&fs);
    dd_inventory_init(&inv);
    CHECK_INT(dd_catalog_run(&fs, &inv, &e), DD_OK);
    CHECK_INT(inv.n, 0);
    CHECK_INT(e.code, 0);
    dd_inventory_release(&inv);
    dd_fileset_release(&fs);
}

TEST(limits)
{
    /* more than DD_CATALOG_MAX_PKGS stanzas */
    dd_buf_t b;
    dd_buf_init(&b, 0);
    for (int i = 0; i <= DD_CATALOG_MAX_PKGS; i++) dd_buf_printf(&b, "P:p%d\nV:1\n\n", i);
    dd_inventory_t inv;
    dd_inventory_init(&inv);
    dd_err_t e = {0};
    CHECK_INT(dd_apk_parse(b.ptr, b.len, "db", 0, &inv, &e), DD_ELIMIT);
    CHECK_INT(inv.n, DD_CATALOG_MAX_PKGS);
    dd_inventory_release(&inv);
    dd_buf_release(&b);

    /* an oversized field skips the package */
    char *big = malloc(DD_CATALOG_MAX_FIELD + 64);
    int k = snprintf(big, 64, "P:x\nV:");
    memset(big + k, '1', DD_CATALOG_MAX_FIELD + 1);
    big[k + DD_CATALOG_MAX_FIELD + 1] = '\n';
    dd_inventory_init(&inv);
    CHECK_INT(dd_apk_parse(big, (size_t)k + DD_CATALOG_MAX_FIELD + 2, "db", 0, &inv, &e), DD_OK);
    CHECK_INT(inv.n, 0);
    dd_inventory_release(&inv);
    free(big);

    /* warnings are capped */
    dd_inventory_init(&inv);
    for (int i = 0; i < DD_CATALOG_MAX_WARNINGS + 10; i++) dd_inventory_warn(&inv, "w%d", i);
    CHECK_INT(inv.nwarnings, DD_CATALOG_MAX_WARNINGS);
    CHECK_INT(inv.nwarnings_dropped, 10);
    dd_inventory_release(&inv);
}

/* A big-endian (s390x, ppc64) Berkeley DB: the libuuid fixture with every
 * field the reader uses byte-swapped. */
static void swap32(uint8_t *p)
{
    uint8_t t = p[0];
    p[0] = p[3], p[3] = t, t = p[1], p[1] = p[2], p[2] = t;
}

static void swap16(uint8_t *p)
{
    uint8_t t = p[0];
    p[0] = p[1], p[1] = t;
}

TEST(rpm_bdb_big_endian)
{
    size_t len;
    uint8_t *d = slurp("catalog/rpm/libuuid-bdb/Packages", &len);
    const size_t ps = 4096;
    swap32(d + 12), swap32(d + 16), swap32(d + 20);
    for (size_t pg = 1; pg < len / ps; pg++) {
        uint8_t *p = d + pg * ps;
        uint16_t nent = (uint16_t)(p[20] | p[21] << 8);
        if (p[25] == 13) {
            for (size_t i = 0; i < nent; i++) {
                uint8_t *inp = p + 26 + 2 * i;
                size_t off = (size_t)(inp[0] | inp[1] << 8);
                if (i % 2 == 1 && p[off] == 3) swap32(p + off + 4), swap32(p + off + 8);
                swap16(inp);
            }
        }
        swap32(p + 8), swap32(p + 12), swap32(p + 16), swap16(p + 20), swap16(p + 22);
    }
    dd_inventory_t inv;
    dd_inventory_init(&inv);
    dd_err_t e = {0};
    CHECK_INT(dd_rpmdb_parse(d, len, "var/lib/rpm/Packages", 0, &inv, &e), DD_OK);
    CHECK_INT(inv.n, 1);
    if (inv.n) CHECK_STR(inv.pkgs[0].version, "2.32.1-42.el8_8");
    dd_inventory_release(&inv);
    free(d);
}

/* ---- layer attribution -------------------------------------------------- */

TEST(attribute_layers)
{
    /* layer 0 installs a and b; layer 2 upgrades b and adds c; layer 3
     * adds d; the final view has layer 3's file */
    const char *v0 = "Package: a\nStatus: install ok installed\nVersion: 1\n\n"
                     "Package: b\nStatus: install ok installed\nVersion: 1\n";
    const char *v2 = "Package: a\nStatus: install ok installed\nVersion: 1\n\n"
                     "Package: b\nStatus: install ok installed\nVersion: 2\n\n"
                     "Package: c\nStatus: install ok installed\nVersion: 1\n";
    const char *v3 = "Package: a\nStatus: install ok installed\nVersion: 1\n\n"
                     "Package: b\nStatus: install ok installed\nVersion: 2\n\n"
                     "Package: c\nStatus: install ok installed\nVersion: 1\n\n"
                     "Package: d\nStatus: install ok installed\nVersion: 1\n";
    dd_fileset_t fs;
    dd_fileset_init(&fs);
    dd_fileset_put(&fs, "var/lib/dpkg/status", v3, strlen(v3), 3, 0100644);
    const char *apk = "P:x\nV:1\n";
    dd_fileset_put(&fs, "lib/apk/db/installed", apk, strlen(apk), 1, 0100644);
    dd_inventory_t inv;
    dd_inventory_init(&inv);
    CHECK_INT(dd_catalog_run(&fs, &inv, NULL), DD_OK);
    CHECK_INT(inv.n, 5);
    dd_file_t hist[] = {
        {.path = "var/lib/dpkg/status", .data = (unsigned char *)v3, .len = strlen(v3), .layer = 3},
        {.path = "var/lib/dpkg/status", .data = (unsigned char *)v0, .len = strlen(v0), .layer = 0},
        {.path = "var/lib/dpkg/status", .data = (unsigned char *)v2, .len = strlen(v2), .layer = 2},
    };
    CHECK_INT(dd_catalog_attribute_layers(&inv, hist, 3, NULL), DD_OK);
    CHECK_INT(find_pkg(&inv, "a")->layer, 0);
    CHECK_INT(find_pkg(&inv, "b")->layer, 2);
    CHECK_INT(find_pkg(&inv, "c")->layer, 2);
    CHECK_INT(find_pkg(&inv, "d")->layer, 3);
    CHECK_INT(find_pkg(&inv, "x")->layer, 1); /* no history: unchanged */
    dd_inventory_release(&inv);

    /* history of a path no package came from is ignored; a gap (no layer-2
     * version given) is fine */
    dd_inventory_init(&inv);
    CHECK_INT(dd_catalog_run(&fs, &inv, NULL), DD_OK);
    dd_file_t hist2[] = {
        {.path = "var/lib/dpkg/status", .data = (unsigned char *)v0, .len = strlen(v0), .layer = 0},
        {.path = "var/lib/rpm/Packages", .data = (unsigned char *)"junk", .len = 4, .layer = 1},
        {.path = "var/lib/dpkg/status", .data = (unsigned char *)v3, .len = strlen(v3), .layer = 3},
    };
    CHECK_INT(dd_catalog_attribute_layers(&inv, hist2, 3, NULL), DD_OK);
    CHECK_INT(find_pkg(&inv, "a")->layer, 0);
    CHECK_INT(find_pkg(&inv, "c")->layer, 3);
    dd_inventory_release(&inv);
    dd_fileset_release(&fs);

    /* rpm: an unreadable older version stops the walk down */
    dd_fileset_init(&fs);
    put_fixture(&fs, "catalog/rpm/sle15-ndb/Packages.db", "var/lib/rpm/Packages.db", 4);
    dd_inventory_init(&inv);
    CHECK_INT(dd_catalog_run(&fs, &inv, NULL), DD_OK);
    const dd_file_t *top = dd_fileset_get(&fs, "var/lib/rpm/Packages.db");
    dd_file_t hist3[] = {
        {.path = "var/lib/rpm/Packages.db", .data = top->data, .len = top->len, .layer = 4},
        {.path = "var/lib/rpm/Packages.db", .data = (unsigned char *)"RpmPjunk", .len = 8, .layer = 1},
        {.path = "var/lib/rpm/Packages.db", .data = top->data, .len = top->len, .layer = 2},
    };
    CHECK_INT(dd_catalog_attribute_layers(&inv, hist3, 3, NULL), DD_OK);
    CHECK_INT(inv.n, 35);
    for (size_t i = 0; i < inv.n; i++) CHECK_INT(inv.pkgs[i].layer, 2);
    dd_inventory_release(&inv);
    dd_fileset_release(&fs);
}

/* ---- the interest table and registry ------------------------------------ */

TEST(interest_table)
{
    CHECK(dd_catalog_wants("etc/os-release"));
    CHECK(dd_catalog_wants("usr/lib/os-release"));
    CHECK(dd_catalog_wants("etc/alpine-release"));
    CHECK(dd_catalog_wants("etc/debian_version"));
    CHECK(dd_catalog_wants("etc/redhat-release"));
    CHECK(dd_catalog_wants("var/lib/dpkg/status"));
    CHECK(dd_catalog_wants("var/lib/dpkg/status.d/libc6"));
    CHECK(!dd_catalog_wants("var/lib/dpkg/status.d/libc6.md5sums"));
    CHECK(!dd_catalog_wants("var/lib/dpkg/status.d/.hidden"));
    CHECK(!dd_catalog_wants("var/lib/dpkg/status.d/a/b"));
    CHECK(!dd_catalog_wants("var/lib/dpkg/status.d"));
    CHECK(!dd_catalog_wants("var/lib/dpkg/status-old"));
    CHECK(!dd_catalog_wants("var/lib/dpkg/statu"));
    CHECK(dd_catalog_wants("lib/apk/db/installed"));
    CHECK(dd_catalog_wants("var/lib/rpm/Packages"));
    CHECK(dd_catalog_wants("var/lib/rpm/Packages.db"));
    CHECK(dd_catalog_wants("var/lib/rpm/rpmdb.sqlite"));
    CHECK(dd_catalog_wants("usr/lib/sysimage/rpm/rpmdb.sqlite"));
    CHECK(dd_catalog_wants("usr/lib/sysimage/rpm/Packages.db"));
    CHECK(dd_catalog_wants("usr/lib/sysimage/rpm/Packages"));
    CHECK(!dd_catalog_wants("var/lib/rpm/Name"));
    CHECK(!dd_catalog_wants("etc/passwd"));
    CHECK(!dd_catalog_wants(""));
    CHECK(!dd_catalog_wants("/etc/os-release"));
    CHECK(!dd_catalog_wants(NULL));
    CHECK_INT(dd_catalog_max_file_size("etc/os-release"), 64 * 1024);
    CHECK_INT(dd_catalog_max_file_size("var/lib/rpm/Packages"), 256u << 20);
    CHECK_INT(dd_catalog_max_file_size("var/lib/dpkg/status"), 64u << 20);
    CHECK_INT(dd_catalog_max_file_size("etc/passwd"), 0);

    size_t n = 0;
    const dd_cataloger_t *const *cs = dd_catalog_catalogers(&n);
    CHECK(n >= 4); /* apk, dpkg, python, rpm and the application catalogers */
    for (size_t i = 0; i < n; i++) {
        CHECK_INT(cs[i]->version, DD_CATALOGER_V1);
        if (i) CHECK(strcmp(cs[i - 1]->name, cs[i]->name) < 0);
    }
    const dd_cataloger_t *d = dd_catalog_find("dpkg");
    CHECK(d && d->wants("var/lib/dpkg/status") && !d->wants("lib/apk/db/installed"));
    d = dd_catalog_find("rpm");
    CHECK(d && d->wants("var/lib/rpm/Packages") && !d->wants("etc/os-release"));
    d = dd_catalog_find("apk");
    CHECK(d && d->wants("lib/apk/db/installed"));
    CHECK(dd_catalog_find("pip") == NULL);
}

/* ---- dd_fileset_load_dir never leaves the root --------------------------- */

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f) return;
    fputs(text, f);
    fclose(f);
}

TEST(load_dir_symlinks_stay_inside)
{
    char root[] = "/tmp/dd-catalog-root-XXXXXX";
    CHECK(mkdtemp(root) != NULL);
    char p[512], q[512];
    snprintf(p, sizeof p, "%s/etc", root);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/usr", root);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/usr/lib", root);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/var", root);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/var/lib", root);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/usr/lib/os-release", root);
    write_file(p, "ID=debian\nVERSION_ID=12\n");
    /* relative link inside the root: followed */
    snprintf(p, sizeof p, "%s/etc/os-release", root);
    CHECK(symlink("../usr/lib/os-release", p) == 0);
    /* absolute link: resolved against the root, never the host */
    snprintf(p, sizeof p, "%s/etc/debian_version", root);
    CHECK(symlink("/usr/lib/os-release", p) == 0);
    /* escaping with ..: clamped to the root, target absent there */
    snprintf(p, sizeof p, "%s/etc/redhat-release", root);
    CHECK(symlink("../../../../../../../../../../etc/hostname", p) == 0);
    /* self loop */
    snprintf(p, sizeof p, "%s/etc/alpine-release", root);
    CHECK(symlink("alpine-release", p) == 0);
    /* directory link out of the root: not walked */
    snprintf(p, sizeof p, "%s/var/lib/dpkg", root);
    CHECK(symlink("/var/lib/dpkg", p) == 0);

    dd_fileset_t fs;
    dd_fileset_init(&fs);
    dd_err_t e = {0};
    CHECK_INT(dd_fileset_load_dir(&fs, root, &e), DD_OK);
    const dd_file_t *f = dd_fileset_get(&fs, "etc/os-release");
    CHECK(f && strstr((const char *)f->data, "ID=debian") != NULL);
    f = dd_fileset_get(&fs, "etc/debian_version");
    CHECK(f && strstr((const char *)f->data, "ID=debian") != NULL); /* root's /usr/lib/os-release */
    CHECK(dd_fileset_get(&fs, "etc/redhat-release") == NULL);
    CHECK(dd_fileset_get(&fs, "etc/alpine-release") == NULL);
    CHECK(dd_fileset_get(&fs, "var/lib/dpkg/status") == NULL);
    CHECK_INT(fs.n, 3);
    dd_fileset_release(&fs);

    CHECK(dd_fileset_load_dir(&fs, "/nonexistent/dd-root", &e) == DD_ENOTFOUND);
    dd_fileset_release(&fs);

    const char *names[] = {"etc/os-release", "etc/debian_version", "etc/redhat-release", "etc/alpine-release",
                           "var/lib/dpkg", "usr/lib/os-release", "usr/lib", "usr", "var/lib", "var", "etc"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(q, sizeof q, "%s/%s", root, names[i]);
        if (unlink(q) != 0) rmdir(q);
    }
    CHECK(rmdir(root) == 0);
}

TEST_MAIN(RUN(dpkg_ubuntu_vs_dpkg_query); RUN(apk_alpine34); RUN(rpm_sqlite_mariner_vs_rpm);
          RUN(rpm_bdb_libuuid_vs_rpm); RUN(rpm_ndb_sle15); RUN(rpm_db_preference_and_fallback);
          RUN(os_release_samples); RUN(os_detect_fallbacks); RUN(os_detect_fixtures); RUN(dpkg_edge_cases);
          RUN(dpkg_distroless_status_d); RUN(apk_edge_cases); RUN(rpm_header_malformed);
          RUN(rpm_containers_malformed); RUN(catalog_run_partial_failure); RUN(limits); RUN(rpm_bdb_big_endian); RUN(attribute_layers); RUN(interest_table);
          RUN(load_dir_symlinks_stay_inside))
