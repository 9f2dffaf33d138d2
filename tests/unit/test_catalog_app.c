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

TEST_MAIN(RUN(rules_sorted); RUN(rules_python); RUN(rules_dpkg_file_lists); RUN(record_parse);
          RUN(layer_hook); RUN(layer_hook_truncated); RUN(load_dir_rules_and_extractors))
