/*
 * test_catalog_app.c: application packages: the path rules, the extractor
 * hook in the layer analyzer and in the unpacked-root loader (with a tiny
 * fake extractor), and the records they keep.
 */
#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dd/analyzer.h"
#include "dd/catalog.h"
#include "test.h"

/* ---- path rules ------------------------------------------------------------ */

TEST(rules_sorted)
{
    CHECK(dd_catalog_rules_sorted());
}

TEST(rules_python)
{
    CHECK(dd_catalog_wants("usr/lib/python3/dist-packages/requests-2.28.1.dist-info/METADATA"));
    CHECK(dd_catalog_wants("app/venv/lib/python3.11/site-packages/PyYAML-5.3.dist-info/METADATA"));
    CHECK(dd_catalog_wants("x.dist-info/METADATA"));
    CHECK(!dd_catalog_wants(".dist-info/METADATA"));  /* "*SUFFIX" needs more than the suffix */
    CHECK(!dd_catalog_wants("METADATA"));
    CHECK(!dd_catalog_wants("usr/lib/foo/METADATA"));
    CHECK(!dd_catalog_wants("a.dist-info/RECORD"));
    CHECK(!dd_catalog_wants("a.dist-info/sub/METADATA"));
    CHECK(dd_catalog_wants("usr/lib/python3/dist-packages/six-1.16.0.egg-info/PKG-INFO"));
    CHECK(dd_catalog_wants("usr/lib/python3/dist-packages/six-1.16.0.egg-info"));
    CHECK(!dd_catalog_wants("usr/lib/python3/dist-packages/six-1.16.0.egg-info/top_level.txt"));
    CHECK(!dd_catalog_wants(".egg-info"));
    CHECK_INT(dd_catalog_max_file_size("a/b.dist-info/METADATA"), 1u << 20);
    CHECK_STR(dd_catalog_rule_owner("a/b.dist-info/METADATA"), "python");
    CHECK(dd_catalog_rule_owner("etc/os-release") == NULL);
    CHECK(dd_catalog_rule_owner("etc/passwd") == NULL);
    CHECK(!dd_catalog_wants_link("a/b.dist-info/METADATA"));
    /* the OS table still answers first */
    CHECK(dd_catalog_wants("var/lib/dpkg/status"));
    CHECK_INT(dd_catalog_max_file_size("var/lib/dpkg/status"), 64u << 20);
}

TEST(rules_dpkg_file_lists)
{
    CHECK(dd_catalog_wants("var/lib/dpkg/info/python3-requests.list"));
    CHECK(dd_catalog_wants("var/lib/dpkg/info/libc6:amd64.list"));
    CHECK(!dd_catalog_wants("var/lib/dpkg/info/libc6:amd64.md5sums"));
    CHECK(!dd_catalog_wants("var/lib/dpkg/info/libc6.postinst"));
    CHECK(!dd_catalog_wants("var/lib/dpkg/info/sub/x.list"));
    CHECK(!dd_catalog_wants("usr/var/lib/dpkg/info/x.list"));
}

/* ---- a fake extractor --------------------------------------------------------- */

/* Claims files starting with "FAKE"; the payload is "size=<n>\n" plus the
 * bytes after the 4-byte magic up to the first newline. "FAKEBAD" files
 * fail; "FAKENONE" files hold nothing. */
static int fake_calls;

static bool fake_sniff(const char *path, const unsigned char *head, size_t n, uint64_t size)
{
    (void)path;
    (void)size;
    return n >= 4 && memcmp(head, "FAKE", 4) == 0;
}

static int fake_extract(dd_extract_read_fn read, void *arg, uint64_t size, const char *path, dd_buf_t *rec,
                        dd_err_t *e)
{
    (void)path;
    fake_calls++;
    char buf[7];
    size_t got = 0;
    dd_buf_t all;
    dd_buf_init(&all, 1u << 20);
    for (;;) {
        ssize_t r = read(arg, buf, sizeof buf); /* small reads: cross the head boundary */
        if (r < 0) {
            dd_buf_release(&all);
            return dd_err(e, DD_EIO, "read failed");
        }
        if (r == 0) break;
        got += (size_t)r;
        dd_buf_append(&all, buf, (size_t)r);
    }
    int rc = DD_OK;
    if (got != size) {
        rc = dd_err(e, DD_ECORRUPT, "short read");
    } else if (all.len >= 7 && memcmp(all.ptr, "FAKEBAD", 7) == 0) {
        rc = dd_err(e, DD_ECORRUPT, "bad fake file\nsecond line");
    } else if (!(all.len >= 8 && memcmp(all.ptr, "FAKENONE", 8) == 0)) {
        dd_buf_printf(rec, "size=%llu\n", (unsigned long long)size);
        size_t nl = strcspn(all.ptr + 4, "\n");
        dd_buf_append(rec, all.ptr + 4, nl);
    }
    dd_buf_release(&all);
    return rc;
}

static const dd_extractor_t fake = {DD_EXTRACTOR_V1, "fake", fake_sniff, fake_extract};

static bool record_of(const dd_file_t *f, const char *name, const char *payload)
{
    const char *nm;
    size_t nl, pl;
    const unsigned char *p;
    if (!f || !dd_catalog_record(f->data, f->len, &nm, &nl, &p, &pl)) return false;
    return nl == strlen(name) && memcmp(nm, name, nl) == 0 && pl == strlen(payload) &&
           memcmp(p, payload, pl) == 0;
}

TEST(record_parse)
{
    CHECK(!dd_catalog_record((const unsigned char *)"plain", 5, NULL, NULL, NULL, NULL));
    CHECK(!dd_catalog_record((const unsigned char *)DD_EXTRACT_MAGIC "\n", 7, NULL, NULL, NULL, NULL));
    CHECK(!dd_catalog_record((const unsigned char *)DD_EXTRACT_MAGIC "elf", 9, NULL, NULL, NULL, NULL));
    dd_buf_t b;
    dd_buf_init(&b, 0);
    dd_catalog_record_error(&b, "elf", "truncated\nsecond");
    dd_file_t f = {.data = (unsigned char *)b.ptr, .len = b.len};
    CHECK(record_of(&f, "elf", "!truncated"));
    dd_buf_release(&b);
}

/* ---- the layer hook ----------------------------------------------------------- */

static la_ssize_t wr_cb(struct archive *a, void *arg, const void *p, size_t n)
{
    (void)a;
    dd_buf_append(arg, p, n);
    return (la_ssize_t)n;
}

static struct archive *tar_begin(dd_buf_t *out)
{
    dd_buf_init(out, 0);
    struct archive *a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    archive_write_set_bytes_in_last_block(a, 1);
    archive_write_open(a, out, NULL, wr_cb, NULL);
    return a;
}

static void tar_add(struct archive *a, const char *name, const void *data, size_t n, int mode,
                    const char *hardlink)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, name);
    if (hardlink) {
        archive_entry_set_hardlink(e, hardlink);
        archive_entry_set_size(e, 0);
    } else {
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_size(e, (la_int64_t)n);
    }
    archive_entry_set_perm(e, (mode_t)mode);
    archive_write_header(a, e);
    if (n && !hardlink) archive_write_data(a, data, n);
    archive_entry_free(e);
}

static void tar_str(struct archive *a, const char *name, const char *s, int mode)
{
    tar_add(a, name, s, strlen(s), mode, NULL);
}

static void tar_end(struct archive *a)
{
    archive_write_close(a);
    archive_write_free(a);
}

TEST(layer_hook)
{
    dd_buf_t tar;
    struct archive *a = tar_begin(&tar);
    tar_str(a, "etc/os-release", "ID=debian\nVERSION_ID=12\n", 0644);
    /* a fake binary of 200 KiB: the head is 64 bytes, the rest streamed */
    size_t big = 200 * 1024;
    char *bin = malloc(big);
    memset(bin, 'x', big);
    memcpy(bin, "FAKEpayload-one\n", 16);
    tar_add(a, "usr/bin/tool", bin, big, 0755, NULL);
    tar_add(a, "usr/bin/tool-link", NULL, 0, 0755, "usr/bin/tool");
    tar_str(a, "usr/bin/short", "FAKE", 0755);        /* under the head size */
    tar_str(a, "usr/bin/bad", "FAKEBAD........", 0755);
    tar_str(a, "usr/bin/none", "FAKENONE", 0755);
    tar_str(a, "usr/bin/plain", "#!/bin/sh\necho hi\n", 0755);
    tar_str(a, "usr/bin/empty", "", 0755);
    tar_str(a, "usr/lib/python3/dist-packages/a-1.0.dist-info/METADATA", "Name: a\nVersion: 1.0\n", 0644);
    /* a METADATA over the rule's 1 MiB: a "!" record, not a layer error */
    size_t huge = (1u << 20) + 1;
    char *h = malloc(huge);
    memset(h, 'y', huge);
    tar_add(a, "usr/lib/python3/dist-packages/b-1.0.dist-info/METADATA", h, huge, 0644, NULL);
    tar_end(a);

    dd_catalog_test_extractor(&fake);
    fake_calls = 0;
    dd_layer_result_t r;
    dd_layer_result_init(&r);
    dd_err_t e = {0};
    CHECK_INT(dd_layer_analyze_mem(tar.ptr, tar.len, NULL, &r, &e), DD_OK);
    CHECK(record_of(dd_fileset_get(&r.files, "usr/bin/tool"), "fake", "size=204800\npayload-one"));
    CHECK(record_of(dd_fileset_get(&r.files, "usr/bin/tool-link"), "fake", "size=204800\npayload-one"));
    CHECK(record_of(dd_fileset_get(&r.files, "usr/bin/short"), "fake", "size=4\n"));
    CHECK(record_of(dd_fileset_get(&r.files, "usr/bin/bad"), "fake", "!bad fake file"));
    CHECK(dd_fileset_get(&r.files, "usr/bin/none") == NULL);
    CHECK(dd_fileset_get(&r.files, "usr/bin/plain") == NULL);
    CHECK(dd_fileset_get(&r.files, "usr/bin/empty") == NULL);
    CHECK_INT(fake_calls, 4);
    const dd_file_t *f = dd_fileset_get(&r.files, "usr/bin/tool");
    CHECK(f && (f->mode & 0777) == 0755);
    f = dd_fileset_get(&r.files, "usr/lib/python3/dist-packages/a-1.0.dist-info/METADATA");
    CHECK(f && f->len == 21);
    CHECK(record_of(dd_fileset_get(&r.files, "usr/lib/python3/dist-packages/b-1.0.dist-info/METADATA"),
                    "python", "!file is 1048577 bytes, over the 1048576 byte limit for it"));

    /* records survive the layer-result cache format */
    dd_buf_t ser;
    dd_buf_init(&ser, 0);
    CHECK_INT(dd_layer_result_serialize(&r, &ser), DD_OK);
    dd_layer_result_t r2;
    CHECK_INT(dd_layer_result_deserialize(ser.ptr, ser.len, &r2, &e), DD_OK);
    CHECK(record_of(dd_fileset_get(&r2.files, "usr/bin/tool"), "fake", "size=204800\npayload-one"));
    CHECK_INT(r2.files.n, r.files.n);
    dd_layer_result_release(&r2);
    dd_buf_release(&ser);
    dd_layer_result_release(&r);

    /* records count against the kept-bytes budget */
    dd_analyze_limits_t l;
    dd_analyze_limits_default(&l);
    l.max_kept_bytes = 256;
    dd_layer_result_init(&r);
    CHECK_INT(dd_layer_analyze_mem(tar.ptr, tar.len, &l, &r, &e), DD_ELIMIT);
    dd_layer_result_release(&r);

    /* without the test extractor nothing is extracted */
    dd_catalog_test_extractor(NULL);
    dd_layer_result_init(&r);
    CHECK_INT(dd_layer_analyze_mem(tar.ptr, tar.len, NULL, &r, &e), DD_OK);
    CHECK(dd_fileset_get(&r.files, "usr/bin/tool") == NULL);
    dd_layer_result_release(&r);
    free(bin);
    free(h);
    dd_buf_release(&tar);
}

/* A truncated layer: the extractor's read fails and so does the layer. */
TEST(layer_hook_truncated)
{
    dd_buf_t tar;
    struct archive *a = tar_begin(&tar);
    size_t big = 64 * 1024;
    char *bin = malloc(big);
    memset(bin, 'x', big);
    memcpy(bin, "FAKEz\n", 6);
    tar_add(a, "usr/bin/tool", bin, big, 0755, NULL);
    tar_end(a);
    dd_catalog_test_extractor(&fake);
    dd_layer_result_t r;
    dd_layer_result_init(&r);
    dd_err_t e = {0};
    CHECK(dd_layer_analyze_mem(tar.ptr, 512 + 4096, NULL, &r, &e) < 0);
    dd_layer_result_release(&r);
    dd_catalog_test_extractor(NULL);
    free(bin);
    dd_buf_release(&tar);
}

/* ---- the unpacked-root loader --------------------------------------------------- */

static void write_file(const char *root, const char *rel, const char *text)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", root, rel);
    /* create the parents */
    for (char *s = p + strlen(root) + 1; (s = strchr(s, '/')) != NULL; s++) {
        *s = '\0';
        mkdir(p, 0755);
        *s = '/';
    }
    FILE *f = fopen(p, "w");
    CHECK(f != NULL);
    if (!f) return;
    fputs(text, f);
    fclose(f);
}

TEST(load_dir_rules_and_extractors)
{
    char root[] = "/tmp/dd-catalog-app-XXXXXX";
    CHECK(mkdtemp(root) != NULL);
    write_file(root, "etc/os-release", "ID=debian\n");
    write_file(root, "opt/app/venv/lib/python3.11/site-packages/requests-2.19.0.dist-info/METADATA",
               "Name: requests\nVersion: 2.19.0\n");
    write_file(root, "opt/app/venv/lib/python3.11/site-packages/requests-2.19.0.dist-info/RECORD", "x");
    write_file(root, "usr/local/bin/tool", "FAKEfrom-dir\nrest");
    write_file(root, "usr/local/bin/bad", "FAKEBAD");
    write_file(root, "usr/local/bin/plain", "plain");
    write_file(root, "proc/x.dist-info/METADATA", "Name: proc\n"); /* never walked at the root */
    dd_catalog_test_extractor(&fake);
    dd_fileset_t fs;
    dd_fileset_init(&fs);
    dd_err_t e = {0};
    CHECK_INT(dd_fileset_load_dir(&fs, root, &e), DD_OK);
    CHECK(dd_fileset_get(&fs, "etc/os-release") != NULL);
    CHECK(dd_fileset_get(&fs, "opt/app/venv/lib/python3.11/site-packages/requests-2.19.0.dist-info/METADATA"));
    CHECK(!dd_fileset_get(&fs, "opt/app/venv/lib/python3.11/site-packages/requests-2.19.0.dist-info/RECORD"));
    CHECK(record_of(dd_fileset_get(&fs, "usr/local/bin/tool"), "fake", "size=17\nfrom-dir"));
    CHECK(record_of(dd_fileset_get(&fs, "usr/local/bin/bad"), "fake", "!bad fake file"));
    CHECK(!dd_fileset_get(&fs, "usr/local/bin/plain"));
    CHECK(!dd_fileset_get(&fs, "proc/x.dist-info/METADATA"));
    CHECK_INT(fs.n, 4);
    dd_fileset_release(&fs);
    dd_catalog_test_extractor(NULL);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    CHECK(system(cmd) == 0);
}

/* ---- Python ----------------------------------------------------------------- */

/* The head of requests 2.19.0's METADATA as published on PyPI (wheel
 * requests-2.19.0-py2.py3-none-any.whl), body shortened. */
static const char requests_meta[] =
    "Metadata-Version: 2.1\r\n"
    "Name: requests\r\n"
    "Version: 2.19.0\r\n"
    "Summary: Python HTTP for Humans.\r\n"
    "Home-page: http://python-requests.org\r\n"
    "Author: Kenneth Reitz\r\n"
    "License: Apache 2.0\r\n"
    "Description: Requests: HTTP for Humans\r\n"
    "        =========================\r\n"
    "Platform: UNKNOWN\r\n"
    "\r\n"
    "Name: not-this\r\n";

TEST(python_metadata)
{
    dd_inventory_t inv;
    dd_inventory_init(&inv);
    dd_err_t e = {0};
    CHECK_INT(dd_python_metadata_parse(requests_meta, sizeof requests_meta - 1, "a/requests-2.19.0.dist-info/METADATA",
                                       2, &inv, &e),
              DD_OK);
    CHECK_INT(inv.n, 1);
    if (inv.n == 1) {
        CHECK_INT(inv.pkgs[0].type, DD_PKG_PYPI);
        CHECK_STR(inv.pkgs[0].name, "requests");
        CHECK_STR(inv.pkgs[0].version, "2.19.0");
        CHECK_STR(inv.pkgs[0].license, "Apache 2.0");
        CHECK_STR(inv.pkgs[0].db_path, "a/requests-2.19.0.dist-info/METADATA");
        CHECK_INT(inv.pkgs[0].layer, 2);
    }
    /* name as published; License-Expression preferred; UNKNOWN dropped */
    const char *m2 = "Metadata-Version: 2.4\nName: PyYAML\nVersion: 5.3\nLicense: UNKNOWN\n";
    CHECK_INT(dd_python_metadata_parse(m2, strlen(m2), "x", 0, &inv, &e), DD_OK);
    CHECK(inv.n == 2 && !strcmp(inv.pkgs[1].name, "PyYAML") && inv.pkgs[1].license == NULL);
    const char *m3 = "Name: x\nLicense-Expression: MIT\nLicense: long text\nVersion: 1\n";
    CHECK_INT(dd_python_metadata_parse(m3, strlen(m3), "x", 0, &inv, &e), DD_OK);
    CHECK(inv.n == 3 && !strcmp(inv.pkgs[2].license, "MIT"));
    /* malformed: nothing added */
    const char *bad[] = {"Name: x\n", "Version: 1\n", "garbage line\nName: x\nVersion: 1\n", "Name: a b\nVersion: 1\n",
                         "", "\nName: x\nVersion: 1\n", ": x\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK(dd_python_metadata_parse(bad[i], strlen(bad[i]), "x", 0, &inv, &e) == DD_ECORRUPT);
    CHECK_INT(inv.n, 3);
    dd_inventory_release(&inv);
}

TEST(python_cataloger)
{
    dd_fileset_t fs;
    dd_fileset_init(&fs);
    dd_fileset_put(&fs, "usr/lib/python3/dist-packages/requests-2.19.0.dist-info/METADATA", requests_meta,
                   sizeof requests_meta - 1, 1, 0100644);
    const char *egg = "Metadata-Version: 1.1\nName: six\nVersion: 1.16.0\n";
    dd_fileset_put(&fs, "usr/lib/python3/dist-packages/six-1.16.0.egg-info", egg, strlen(egg), 0, 0100644);
    dd_fileset_put(&fs, "usr/lib/python3/dist-packages/chardet-3.0.4.egg-info/PKG-INFO",
                   "Name: chardet\nVersion: 3.0.4\n", 28, 0, 0100644);
    dd_fileset_put(&fs, "opt/bad.dist-info/METADATA", "Summary: no name\n", 17, 0, 0100644);
    dd_buf_t rec;
    dd_buf_init(&rec, 0);
    dd_catalog_record_error(&rec, "python", "file is 2000000 bytes, over the 1048576 byte limit for it");
    dd_fileset_put(&fs, "opt/huge.dist-info/METADATA", rec.ptr, rec.len, 0, 0100644);
    dd_buf_release(&rec);
    dd_inventory_t inv;
    dd_inventory_init(&inv);
    dd_err_t e = {0};
    CHECK_INT(dd_catalog_run(&fs, &inv, &e), DD_OK);
    CHECK_INT(inv.n, 3);
    if (inv.n == 3) {
        CHECK_STR(inv.pkgs[0].name, "chardet");
        CHECK_STR(inv.pkgs[1].name, "requests");
        CHECK_INT(inv.pkgs[1].layer, 1);
        CHECK_STR(inv.pkgs[2].name, "six");
        CHECK_STR(inv.pkgs[2].db_path, "usr/lib/python3/dist-packages/six-1.16.0.egg-info");
    }
    CHECK_INT(inv.nwarnings, 2);
    bool saw_huge = false, saw_bad = false;
    for (size_t i = 0; i < inv.nwarnings; i++) {
        if (strstr(inv.warnings[i], "opt/huge.dist-info/METADATA: file is 2000000 bytes")) saw_huge = true;
        if (strstr(inv.warnings[i], "opt/bad.dist-info/METADATA: metadata without a Name")) saw_bad = true;
    }
    CHECK(saw_huge && saw_bad);
    dd_inventory_release(&inv);
    dd_fileset_release(&fs);
}

/* ---- OS-file ownership ------------------------------------------------------- */

static void be32put(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16), p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

TEST(ownership)
{
    dd_owned_t o;
    dd_owned_init(&o);
    const char *list = "/.\n/usr\n/usr/lib/python3/dist-packages/requests-2.28.1.egg-info\n"
                       "/usr/lib/python3/dist-packages/requests-2.28.1.egg-info/PKG-INFO\n";
    dd_owned_add_dpkg_list(&o, list, strlen(list));
    const char *apk = "P:py3-six\nV:1.16.0-r1\nF:usr/lib/python3.11/site-packages/six-1.16.0.dist-info\n"
                      "R:METADATA\nR:RECORD\n\nP:musl\nR:orphan\n";
    dd_owned_add_apk(&o, apk, strlen(apk));
    /* an rpm header: DIRINDEXES {0, 1}, BASENAMES {"METADATA", "x"}, DIRNAMES {"/usr/lib/a.dist-info/", "/b/"} */
    unsigned char blob[256] = {0};
    const char strs_b[] = "METADATA\0x";
    const char strs_d[] = "/usr/lib/a.dist-info/\0/b/";
    size_t dl = 8 + sizeof strs_b + sizeof strs_d;
    be32put(blob, 3);
    be32put(blob + 4, (uint32_t)dl);
    unsigned char *idx = blob + 8, *data = blob + 8 + 3 * 16;
    be32put(idx, 1116), be32put(idx + 4, 4), be32put(idx + 8, 0), be32put(idx + 12, 2);
    be32put(idx + 16, 1117), be32put(idx + 20, 8), be32put(idx + 24, 8), be32put(idx + 28, 2);
    be32put(idx + 32, 1118), be32put(idx + 36, 8), be32put(idx + 40, (uint32_t)(8 + sizeof strs_b));
    be32put(idx + 44, 2);
    be32put(data, 0), be32put(data + 4, 1);
    memcpy(data + 8, strs_b, sizeof strs_b);
    memcpy(data + 8 + sizeof strs_b, strs_d, sizeof strs_d);
    CHECK_INT(dd_owned_add_rpm_header(&o, blob, 8 + 3 * 16 + dl), DD_OK);
    CHECK(dd_owned_has(&o, "usr/lib/python3/dist-packages/requests-2.28.1.egg-info/PKG-INFO"));
    CHECK(dd_owned_has(&o, "usr/lib/python3.11/site-packages/six-1.16.0.dist-info/METADATA"));
    CHECK(dd_owned_has(&o, "usr/lib/a.dist-info/METADATA"));
    CHECK(dd_owned_has(&o, "b/x"));
    CHECK(dd_owned_has(&o, "orphan")); /* R: before any F: is at the root */
    CHECK(!dd_owned_has(&o, "usr/lib/python3/dist-packages/requests-2.19.0.egg-info/PKG-INFO"));
    CHECK(!dd_owned_has(&o, "usr/lib/a.dist-info/x"));
    /* a header whose DIRINDEXES point past DIRNAMES is rejected */
    be32put(data + 4, 7);
    CHECK_INT(dd_owned_add_rpm_header(&o, blob, 8 + 3 * 16 + dl), DD_ECORRUPT);
    CHECK_INT(dd_owned_add_rpm_header(&o, blob, 20), DD_ECORRUPT);
    dd_owned_release(&o);

    /* dd_catalog_run: the dpkg-owned egg-info is the dpkg package only */
    dd_fileset_t fs;
    dd_fileset_init(&fs);
    const char *status = "Package: python3-requests\nStatus: install ok installed\nVersion: 2.28.1+dfsg-1\n"
                         "Architecture: all\n\n";
    dd_fileset_put(&fs, "etc/os-release", "ID=debian\nVERSION_ID=12\n", 24, 0, 0100644);
    dd_fileset_put(&fs, "var/lib/dpkg/status", status, strlen(status), 0, 0100644);
    dd_fileset_put(&fs, "var/lib/dpkg/info/python3-requests.list", list, strlen(list), 0, 0100644);
    dd_fileset_put(&fs, "usr/lib/python3/dist-packages/requests-2.28.1.egg-info/PKG-INFO",
                   "Name: requests\nVersion: 2.28.1\n", 30, 0, 0100644);
    dd_fileset_put(&fs, "opt/venv/lib/python3.11/site-packages/requests-2.19.0.dist-info/METADATA",
                   "Name: requests\nVersion: 2.19.0\n", 30, 1, 0100644);
    dd_inventory_t inv;
    dd_inventory_init(&inv);
    dd_err_t e = {0};
    CHECK_INT(dd_catalog_run(&fs, &inv, &e), DD_OK);
    CHECK_INT(inv.n, 2);
    if (inv.n == 2) {
        CHECK_INT(inv.pkgs[0].type, DD_PKG_DPKG);
        CHECK_STR(inv.pkgs[0].name, "python3-requests");
        CHECK_INT(inv.pkgs[1].type, DD_PKG_PYPI);
        CHECK_STR(inv.pkgs[1].version, "2.19.0");
    }
    CHECK_INT(inv.owned_dropped[DD_PKG_PYPI], 1);
    dd_inventory_release(&inv);
    dd_fileset_release(&fs);
}

TEST_MAIN(RUN(rules_sorted); RUN(rules_python); RUN(rules_dpkg_file_lists); RUN(record_parse);
          RUN(layer_hook); RUN(layer_hook_truncated); RUN(load_dir_rules_and_extractors);
          RUN(python_metadata); RUN(python_cataloger); RUN(ownership))
