/*
 * test_analyzer_layer.c: layer analysis (tar, gzip, zstd), whiteouts, the
 * overlay, hostile layers and the layer-result cache format. Layers are built
 * in the test with libarchive's writer and compressed with ISA-L / libzstd.
 */
#include <archive.h>
#include <archive_entry.h>
#include <isa-l/igzip_lib.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "dd/analyzer.h"
#include "test.h"

/* ---- building layers ----------------------------------------------------- */

static bool t_wants(const char *p, void *arg)
{
    (void)arg;
    return strcmp(p, "etc/os-release") == 0 || strcmp(p, "usr/lib/os-release") == 0 ||
           strcmp(p, "var/lib/dpkg/status") == 0 || strcmp(p, "lib/apk/db/installed") == 0 ||
           strncmp(p, "var/lib/dpkg/status.d/", 22) == 0;
}

static size_t t_max(const char *p, void *arg)
{
    (void)arg;
    return t_wants(p, NULL) ? (1u << 20) : 0;
}

static dd_analyze_limits_t lim(void)
{
    dd_analyze_limits_t l;
    dd_analyze_limits_default(&l);
    l.wants = t_wants;
    l.max_file_size = t_max;
    return l;
}

static la_ssize_t wr_cb(struct archive *a, void *arg, const void *p, size_t n)
{
    (void)a;
    dd_buf_append(arg, p, n);
    return (la_ssize_t)n;
}

typedef struct tarw {
    struct archive *a;
    dd_buf_t out;
} tarw_t;

static void tar_begin(tarw_t *t)
{
    dd_buf_init(&t->out, 0);
    t->a = archive_write_new();
    archive_write_set_format_pax_restricted(t->a);
    archive_write_set_bytes_in_last_block(t->a, 1);
    archive_write_open(t->a, &t->out, NULL, wr_cb, NULL);
}

static void tar_file(tarw_t *t, const char *name, const char *data)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, (la_int64_t)strlen(data));
    archive_write_header(t->a, e);
    archive_write_data(t->a, data, strlen(data));
    archive_entry_free(e);
}

/* A file of size bytes of zeros (written in chunks). */
static void tar_zeros(tarw_t *t, const char *name, size_t size)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, (la_int64_t)size);
    archive_write_header(t->a, e);
    static char z[65536];
    for (size_t off = 0; off < size; off += sizeof z)
        archive_write_data(t->a, z, size - off < sizeof z ? size - off : sizeof z);
    archive_entry_free(e);
}

static void tar_other(tarw_t *t, const char *name, unsigned type, const char *link, bool hard)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, type);
    archive_entry_set_perm(e, 0755);
    archive_entry_set_size(e, 0);
    if (link && hard) archive_entry_set_hardlink(e, link);
    else if (link) archive_entry_set_symlink(e, link);
    archive_write_header(t->a, e);
    archive_entry_free(e);
}

static void tar_end(tarw_t *t)
{
    archive_write_close(t->a);
    archive_write_free(t->a);
}

static void gzip_member(const void *p, size_t n, dd_buf_t *out)
{
    struct isal_zstream s;
    isal_deflate_init(&s);
    s.gzip_flag = IGZIP_GZIP;
    s.end_of_stream = 1;
    s.flush = NO_FLUSH;
    size_t cap = n + n / 2 + 1024;
    unsigned char *buf = malloc(cap);
    s.next_in = (uint8_t *)p;
    s.avail_in = (uint32_t)n;
    s.next_out = buf;
    s.avail_out = (uint32_t)cap;
    isal_deflate(&s);
    CHECK(s.internal_state.state == ZSTATE_END);
    dd_buf_append(out, buf, s.total_out);
    free(buf);
}

static void gzip_level1(const void *p, size_t n, dd_buf_t *out)
{
    struct isal_zstream s;
    isal_deflate_init(&s);
    s.gzip_flag = IGZIP_GZIP;
    s.level = 1;
    s.level_buf_size = ISAL_DEF_LVL1_DEFAULT;
    s.level_buf = malloc(s.level_buf_size);
    s.end_of_stream = 1;
    size_t cap = n / 2 + (1u << 20);
    unsigned char *buf = malloc(cap);
    s.next_in = (uint8_t *)p;
    s.avail_in = (uint32_t)n;
    s.next_out = buf;
    s.avail_out = (uint32_t)cap;
    isal_deflate(&s);
    CHECK(s.internal_state.state == ZSTATE_END);
    dd_buf_append(out, buf, s.total_out);
    free(buf);
    free(s.level_buf);
}

static void zstd_frame(const void *p, size_t n, dd_buf_t *out)
{
    size_t cap = ZSTD_compressBound(n);
    void *buf = malloc(cap);
    size_t z = ZSTD_compress(buf, cap, p, n, 3);
    CHECK(!ZSTD_isError(z));
    dd_buf_append(out, buf, z);
    free(buf);
}

/* The standard small base layer. */
static void base_layer(dd_buf_t *out)
{
    tarw_t t;
    tar_begin(&t);
    tar_other(&t, "./", AE_IFDIR, NULL, false);
    tar_other(&t, "etc/", AE_IFDIR, NULL, false);
    tar_file(&t, "./etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n");
    tar_file(&t, "etc/passwd", "root:x:0:0::/root:/bin/sh\n");
    tar_file(&t, "var/lib/dpkg/status", "Package: libc6\nStatus: install ok installed\n");
    tar_file(&t, "var/lib/dpkg/status.d/foo", "Package: foo\n");
    tar_file(&t, "usr/bin/big", "not kept");
    tar_end(&t);
    *out = t.out;
}

static int analyze(const dd_buf_t *b, dd_analyze_limits_t *l, dd_layer_result_t *r, dd_err_t *e)
{
    dd_layer_result_init(r);
    return dd_layer_analyze_mem(b->ptr, b->len, l, r, e);
}

static void check_base(dd_layer_result_t *r)
{
    CHECK_INT(r->files.n, 3);
    const dd_file_t *f = dd_fileset_get(&r->files, "etc/os-release");
    CHECK(f && f->len == 26 && memcmp(f->data, "ID=debian", 9) == 0);
    CHECK(f && f->layer == -1 && (f->mode & 0777) == 0644);
    CHECK(dd_fileset_get(&r->files, "var/lib/dpkg/status") != NULL);
    CHECK(dd_fileset_get(&r->files, "var/lib/dpkg/status.d/foo") != NULL);
    CHECK(dd_fileset_get(&r->files, "etc/passwd") == NULL);
    CHECK_INT(r->entries, 7);
    CHECK_INT(r->n_whiteouts, 0);
}

/* ---- tests --------------------------------------------------------------- */

TEST(plain_tar)
{
    dd_buf_t tar;
    base_layer(&tar);
    dd_analyze_limits_t l = lim();
    l.compute_diff_id = true;
    dd_layer_result_t r;
    dd_err_t e = {0};
    CHECK_INT(analyze(&tar, &l, &r, &e), DD_OK);
    CHECK_STR(r.compression, "none");
    check_base(&r);
    CHECK_INT(r.bytes_in, tar.len);
    CHECK_INT(r.bytes_out, tar.len);
    dd_digest_t want;
    dd_digest_buf(DD_DIGEST_SHA256, tar.ptr, tar.len, &want);
    CHECK_STR(r.diff_id.str, want.str);
    const char *c;
    CHECK_INT(dd_layer_sniff(tar.ptr, tar.len, &c), DD_OK);
    CHECK_STR(c, "none");
    dd_layer_result_release(&r);
    dd_buf_release(&tar);
}

TEST(gzip_and_zstd)
{
    dd_buf_t tar, gz, zs;
    base_layer(&tar);
    dd_buf_init(&gz, 0);
    dd_buf_init(&zs, 0);
    gzip_member(tar.ptr, tar.len, &gz);
    zstd_frame(tar.ptr, tar.len, &zs);
    dd_analyze_limits_t l = lim();
    l.compute_diff_id = true;
    dd_digest_t want;
    dd_digest_buf(DD_DIGEST_SHA256, tar.ptr, tar.len, &want);
    dd_layer_result_t r;
    dd_err_t e = {0};
    CHECK_INT(analyze(&gz, &l, &r, &e), DD_OK);
    CHECK_STR(r.compression, "gzip");
    check_base(&r);
    CHECK_INT(r.bytes_in, gz.len);
    CHECK_INT(r.bytes_out, tar.len);
    CHECK_STR(r.diff_id.str, want.str);
    dd_layer_result_release(&r);
    CHECK_INT(analyze(&zs, &l, &r, &e), DD_OK);
    CHECK_STR(r.compression, "zstd");
    check_base(&r);
    CHECK_STR(r.diff_id.str, want.str);
    dd_layer_result_release(&r);
    dd_buf_release(&tar);
    dd_buf_release(&gz);
    dd_buf_release(&zs);
}

TEST(multi_member_gzip_and_zstd_frames)
{
    dd_buf_t tar, gz, zs;
    base_layer(&tar);
    dd_buf_init(&gz, 0);
    dd_buf_init(&zs, 0);
    size_t cut[] = {0, 100, 777, 2048, tar.len};
    for (int i = 0; i < 4; i++) {
        gzip_member(tar.ptr + cut[i], cut[i + 1] - cut[i], &gz);
        zstd_frame(tar.ptr + cut[i], cut[i + 1] - cut[i], &zs);
    }
    dd_analyze_limits_t l = lim();
    dd_layer_result_t r;
    dd_err_t e = {0};
    CHECK_INT(analyze(&gz, &l, &r, &e), DD_OK);
    check_base(&r);
    CHECK_INT(r.bytes_out, tar.len);
    dd_layer_result_release(&r);
    CHECK_INT(analyze(&zs, &l, &r, &e), DD_OK);
    check_base(&r);
    dd_layer_result_release(&r);
    /* zero padding after the last member is accepted */
    for (int i = 0; i < 100; i++) dd_buf_putc(&gz, 0);
    CHECK_INT(analyze(&gz, &l, &r, &e), DD_OK);
    dd_layer_result_release(&r);
    /* garbage is not */
    dd_buf_puts(&gz, "garbage");
    CHECK_INT(analyze(&gz, &l, &r, &e), DD_ECORRUPT);
    CHECK(strstr(e.msg, "trailing garbage") != NULL);
    dd_buf_release(&tar);
    dd_buf_release(&gz);
    dd_buf_release(&zs);
}

static void on_progress(void *arg, uint64_t in, uint64_t out)
{
    uint64_t *last = arg;
    CHECK(out >= last[1] && in >= last[0]);
    last[0] = in;
    last[1] = out;
    last[2]++;
}

TEST(big_layer_level1)
{
    /* several MiB through the 256 KiB buffers, kept file at the end */
    tarw_t t;
    tar_begin(&t);
    tar_zeros(&t, "usr/lib/zeros", 3u << 20);
    char *text = malloc(1u << 20);
    for (size_t i = 0; i < (1u << 20) - 1; i++) text[i] = (char)('a' + (i * 7 + i / 13) % 26);
    text[(1u << 20) - 1] = '\0';
    tar_file(&t, "usr/share/text", text);
    tar_file(&t, "var/lib/dpkg/status", text + 1000);
    tar_end(&t);
    dd_buf_t gz;
    dd_buf_init(&gz, 0);
    gzip_level1(t.out.ptr, t.out.len, &gz);
    dd_analyze_limits_t l = lim();
    uint64_t prog[3] = {0, 0, 0};
    l.progress = on_progress;
    l.progress_arg = prog;
    dd_layer_result_t r;
    dd_err_t e = {0};
    CHECK_INT(analyze(&gz, &l, &r, &e), DD_OK);
    CHECK(prog[2] > 10);
    CHECK_INT(prog[1], t.out.len);
    const dd_file_t *f = dd_fileset_get(&r.files, "var/lib/dpkg/status");
    CHECK(f && f->len == strlen(text + 1000) && memcmp(f->data, text + 1000, f->len) == 0);
    CHECK_INT(r.bytes_out, t.out.len);
    dd_layer_result_release(&r);
    free(text);
    dd_buf_release(&t.out);
    dd_buf_release(&gz);
}

TEST(whiteouts_and_opaque)
{
    tarw_t t;
    tar_begin(&t);
    tar_file(&t, "var/lib/dpkg/.wh.status", "");
    tar_file(&t, "etc/.wh..wh..opq", "");
    tar_file(&t, ".wh.top", "");
    tar_file(&t, "a/.wh..wh.plnk", "");
    tar_file(&t, "./lib/apk/db/installed", "P:musl\n");
    tar_end(&t);
    dd_analyze_limits_t l = lim();
    dd_layer_result_t r;
    dd_err_t e = {0};
    CHECK_INT(analyze(&t.out, &l, &r, &e), DD_OK);
    CHECK_INT(r.n_whiteouts, 2);
    if (r.n_whiteouts == 2) {
        CHECK_STR(r.whiteouts[0], "var/lib/dpkg/status");
        CHECK_STR(r.whiteouts[1], "top");
    }
    CHECK_INT(r.n_opaque, 1);
    if (r.n_opaque == 1) CHECK_STR(r.opaque_dirs[0], "etc");
    CHECK_INT(r.files.n, 1);
    dd_layer_result_release(&r);
    dd_buf_release(&t.out);
}

static void layer_of(dd_layer_result_t *r, void (*build)(tarw_t *))
{
    tarw_t t;
    tar_begin(&t);
    build(&t);
    tar_end(&t);
    dd_analyze_limits_t l = lim();
    dd_layer_result_init(r);
    dd_err_t e = {0};
    CHECK_INT(dd_layer_analyze_mem(t.out.ptr, t.out.len, &l, r, &e), DD_OK);
    dd_buf_release(&t.out);
}

static void l0(tarw_t *t)
{
    tar_file(t, "etc/os-release", "ID=debian\n");
    tar_file(t, "var/lib/dpkg/status", "Package: a\n");
    tar_file(t, "var/lib/dpkg/status.d/x", "Package: x\n");
    tar_file(t, "var/lib/dpkg/status.d/y", "Package: y\n");
}
static void l1(tarw_t *t)
{
    tar_file(t, "var/lib/dpkg/.wh.status", "");          /* package db deleted */
    tar_file(t, "var/lib/dpkg/status.d/.wh..wh..opq", ""); /* opaque */
    tar_file(t, "var/lib/dpkg/status.d/z", "Package: z\n");
}
static void l2(tarw_t *t)
{
    tar_file(t, "etc/os-release", "ID=ubuntu\n");
    tar_file(t, "lib/apk/db/installed", "P:x\n");
}
static void l3(tarw_t *t)
{
    tar_file(t, "lib/.wh.apk", ""); /* a whole directory */
    tar_file(t, "var/lib/dpkg/status", "Package: b\n");
    tar_file(t, "var/lib/dpkg/.wh.status", ""); /* same layer: does not hide it */
}

TEST(overlay)
{
    dd_layer_result_t L[4];
    layer_of(&L[0], l0);
    layer_of(&L[1], l1);
    layer_of(&L[2], l2);
    layer_of(&L[3], l3);
    dd_fileset_t fs;
    dd_fileset_init(&fs);
    CHECK_INT(dd_overlay(L, 2, &fs, NULL), DD_OK);
    CHECK(dd_fileset_get(&fs, "var/lib/dpkg/status") == NULL);
    CHECK(dd_fileset_get(&fs, "var/lib/dpkg/status.d/x") == NULL);
    const dd_file_t *f = dd_fileset_get(&fs, "var/lib/dpkg/status.d/z");
    CHECK(f && f->layer == 1);
    f = dd_fileset_get(&fs, "etc/os-release");
    CHECK(f && f->layer == 0);
    CHECK_INT(fs.n, 2);
    dd_fileset_release(&fs);

    dd_fileset_init(&fs);
    CHECK_INT(dd_overlay(L, 4, &fs, NULL), DD_OK);
    f = dd_fileset_get(&fs, "etc/os-release");
    CHECK(f && f->layer == 2 && strcmp((char *)f->data, "ID=ubuntu\n") == 0);
    CHECK(dd_fileset_get(&fs, "lib/apk/db/installed") == NULL);
    f = dd_fileset_get(&fs, "var/lib/dpkg/status");
    CHECK(f && f->layer == 3);
    CHECK_INT(fs.n, 3);
    dd_fileset_release(&fs);
    for (int i = 0; i < 4; i++) dd_layer_result_release(&L[i]);
}

static int hostile(void (*build)(tarw_t *), dd_err_t *e)
{
    tarw_t t;
    tar_begin(&t);
    build(&t);
    tar_end(&t);
    dd_analyze_limits_t l = lim();
    dd_layer_result_t r;
    dd_layer_result_init(&r);
    int rc = dd_layer_analyze_mem(t.out.ptr, t.out.len, &l, &r, e);
    CHECK_INT(r.files.n, 0); /* released on error */
    dd_layer_result_release(&r);
    dd_buf_release(&t.out);
    return rc;
}

static void h_dotdot(tarw_t *t) { tar_file(t, "../../etc/os-release", "x"); }
static void h_dotdot2(tarw_t *t) { tar_file(t, "a/../../etc/os-release", "x"); }
static void h_abs(tarw_t *t) { tar_file(t, "/etc/os-release", "x"); }
static void h_wh(tarw_t *t) { tar_file(t, "etc/.wh...", ""); }

TEST(traversal_names)
{
    dd_err_t e = {0};
    CHECK_INT(hostile(h_dotdot, &e), DD_ECORRUPT);
    CHECK(strstr(e.msg, "hostile layer") && strstr(e.msg, "escapes the root"));
    CHECK_INT(hostile(h_dotdot2, &e), DD_ECORRUPT);
    CHECK_INT(hostile(h_abs, &e), DD_ECORRUPT);
    CHECK(strstr(e.msg, "absolute") != NULL);
    CHECK_INT(hostile(h_wh, &e), DD_ECORRUPT);
}

static void links(tarw_t *t)
{
    tar_file(t, "var/lib/dpkg/status", "Package: a\n");
    tar_other(t, "var/lib/dpkg/status.d/hl", AE_IFREG, "var/lib/dpkg/status", true);
    tar_other(t, "var/lib/dpkg/status.d/hl2", AE_IFREG, "etc/shadow", true);
    tar_other(t, "etc/os-release", AE_IFLNK, "../../../../etc/shadow", false);
    tar_other(t, "usr/lib/os-release", AE_IFLNK, "/etc/passwd", false);
}

TEST(links)
{
    dd_layer_result_t r;
    layer_of(&r, links);
    CHECK_INT(r.files.n, 4);
    const dd_file_t *f = dd_fileset_get(&r.files, "var/lib/dpkg/status.d/hl");
    CHECK(f && strcmp((char *)f->data, "Package: a\n") == 0);
    /* OS release links are kept as links: the target as written, never the
     * content of what it names (dd_os_detect resolves it inside the image) */
    f = dd_fileset_get(&r.files, "etc/os-release");
    CHECK(f && (f->mode & 0170000) == 0120000 && strcmp((char *)f->data, "../../../../etc/shadow") == 0);
    f = dd_fileset_get(&r.files, "usr/lib/os-release");
    CHECK(f && (f->mode & 0170000) == 0120000 && strcmp((char *)f->data, "/etc/passwd") == 0);
    CHECK_INT(r.n_whiteouts, 1); /* hl2 (unknown content) */
    dd_layer_result_release(&r);
}

TEST(bomb_ratio)
{
    tarw_t t;
    tar_begin(&t);
    tar_zeros(&t, "zeros", 64u << 20);
    tar_end(&t);
    dd_buf_t gz;
    dd_buf_init(&gz, 0);
    gzip_level1(t.out.ptr, t.out.len, &gz);
    dd_buf_release(&t.out);
    dd_analyze_limits_t l = lim();
    dd_layer_result_t r;
    dd_err_t e = {0};
    CHECK_INT(analyze(&gz, &l, &r, &e), DD_ELIMIT);
    CHECK(strstr(e.msg, "decompression bomb") != NULL);
    /* a generous ratio passes, an absolute cap stops it */
    l.max_ratio = 100000;
    CHECK_INT(analyze(&gz, &l, &r, &e), DD_OK);
    dd_layer_result_release(&r);
    l.max_out_bytes = 8u << 20;
    CHECK_INT(analyze(&gz, &l, &r, &e), DD_ELIMIT);
    CHECK(strstr(e.msg, "more than") != NULL);
    dd_buf_release(&gz);
}

TEST(corrupt_streams)
{
    dd_buf_t tar, gz, zs;
    base_layer(&tar);
    dd_buf_init(&gz, 0);
    dd_buf_init(&zs, 0);
    gzip_member(tar.ptr, tar.len, &gz);
    zstd_frame(tar.ptr, tar.len, &zs);
    dd_analyze_limits_t l = lim();
    dd_layer_result_t r;
    dd_err_t e = {0};
    /* truncated at many points */
    for (size_t cut = 4; cut < gz.len; cut += gz.len / 17 + 1) {
        dd_buf_t b = {gz.ptr, cut, cut, 0};
        CHECK_INT(analyze(&b, &l, &r, &e), DD_ECORRUPT);
    }
    for (size_t cut = 5; cut < zs.len; cut += zs.len / 17 + 1) {
        dd_buf_t b = {zs.ptr, cut, cut, 0};
        CHECK_INT(analyze(&b, &l, &r, &e), DD_ECORRUPT);
    }
    /* a flipped CRC byte */
    gz.ptr[gz.len - 6] ^= 0x55;
    CHECK_INT(analyze(&gz, &l, &r, &e), DD_ECORRUPT);
    CHECK(strstr(e.msg, "gzip") != NULL);
    /* a flipped byte inside the zstd frame */
    zs.ptr[zs.len / 2] ^= 0xff;
    int rc = analyze(&zs, &l, &r, &e);
    CHECK(rc == DD_ECORRUPT);
    dd_layer_result_release(&r);
    /* a truncated plain tar in the middle of a kept file */
    dd_buf_t b = {tar.ptr, 512 * 4 + 100, 0, 0};
    CHECK_INT(analyze(&b, &l, &r, &e), DD_ECORRUPT);
    dd_buf_release(&tar);
    dd_buf_release(&gz);
    dd_buf_release(&zs);
}

TEST(zstd_window_limit)
{
    /* a frame declaring a 256 MiB window (over windowLogMax 27) */
    dd_buf_t tar;
    base_layer(&tar);
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(cc, ZSTD_c_windowLog, 28);
    ZSTD_CCtx_setParameter(cc, ZSTD_c_contentSizeFlag, 0);
    size_t cap = ZSTD_compressBound(tar.len) + 1024;
    char *buf = malloc(cap);
    ZSTD_outBuffer ob = {buf, cap, 0};
    ZSTD_inBuffer ib = {tar.ptr, tar.len, 0};
    ZSTD_compressStream2(cc, &ob, &ib, ZSTD_e_continue);
    ZSTD_inBuffer none = {NULL, 0, 0};
    while (ZSTD_compressStream2(cc, &ob, &none, ZSTD_e_end) != 0) {}
    dd_buf_t zs = {buf, ob.pos, cap, 0};
    dd_analyze_limits_t l = lim();
    dd_layer_result_t r;
    dd_err_t e = {0};
    CHECK_INT(analyze(&zs, &l, &r, &e), DD_ELIMIT);
    CHECK(strstr(e.msg, "window") != NULL);
    ZSTD_freeCCtx(cc);
    free(buf);
    dd_buf_release(&tar);
}

TEST(endless_file)
{
    /* a ustar header claiming 64 GiB of data, 8 KiB of it, then the end */
    dd_buf_t b;
    dd_buf_init(&b, 0);
    char h[512] = {0};
    strcpy(h, "usr/bin/endless");
    strcpy(h + 100, "0000644");
    strcpy(h + 108, "0000000");
    strcpy(h + 116, "0000000");
    strcpy(h + 124, "01000000000000"); /* 12 bytes: 11 octal digits + NUL, 64 GiB */
    h[124 + 11] = '\0';
    memcpy(h + 124, "01000000000", 11);
    strcpy(h + 136, "00000000000");
    h[156] = '0';
    memcpy(h + 257, "ustar\0" "00", 8);
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (int i = 0; i < 512; i++) sum += (unsigned char)h[i];
    snprintf(h + 148, 8, "%06o", sum);
    dd_buf_append(&b, h, 512);
    static char junk[8192];
    dd_buf_append(&b, junk, sizeof junk);
    dd_analyze_limits_t l = lim();
    dd_layer_result_t r;
    dd_err_t e = {0};
    CHECK_INT(analyze(&b, &l, &r, &e), DD_ECORRUPT);
    /* the same stream gzipped */
    dd_buf_t gz;
    dd_buf_init(&gz, 0);
    gzip_member(b.ptr, b.len, &gz);
    CHECK_INT(analyze(&gz, &l, &r, &e), DD_ECORRUPT);
    dd_buf_release(&gz);
    dd_buf_release(&b);
}

TEST(unpadded_tar)
{
    /* umoci 0.4 writes layers that end right after the last file's data */
    tarw_t t;
    tar_begin(&t);
    tar_file(&t, "etc/passwd", "root\n");
    tar_file(&t, "var/lib/dpkg/status", "Package: x\n");
    tar_end(&t);
    size_t cut = t.out.len - 1024 - 512 + 11;
    dd_buf_t gz;
    dd_buf_init(&gz, 0);
    gzip_member(t.out.ptr, cut, &gz);
    dd_analyze_limits_t l = lim();
    l.compute_diff_id = true;
    dd_layer_result_t r;
    dd_err_t e = {0};
    CHECK_INT(analyze(&gz, &l, &r, &e), DD_OK);
    const dd_file_t *f = dd_fileset_get(&r.files, "var/lib/dpkg/status");
    CHECK(f && f->len == 11 && memcmp(f->data, "Package: x\n", 11) == 0);
    CHECK_INT(r.bytes_out, cut);
    dd_digest_t want;
    dd_digest_buf(DD_DIGEST_SHA256, t.out.ptr, cut, &want);
    CHECK_STR(r.diff_id.str, want.str); /* the padding is not part of the DiffID */
    dd_layer_result_release(&r);
    /* ending inside a header is still truncated */
    dd_buf_t b = {t.out.ptr, 512 * 2 + 100, 0, 0};
    CHECK_INT(analyze(&b, &l, &r, &e), DD_ECORRUPT);
    dd_buf_release(&gz);
    dd_buf_release(&t.out);
}

TEST(not_a_layer)
{
    dd_analyze_limits_t l = lim();
    dd_layer_result_t r;
    dd_err_t e = {0};
    dd_buf_t b = {(char *)"{\"schemaVersion\":2}", 19, 0, 0};
    CHECK_INT(analyze(&b, &l, &r, &e), DD_DECLINED);
    CHECK(strstr(e.msg, "not a layer") != NULL);
    dd_buf_t empty = {(char *)"", 0, 0, 0};
    CHECK_INT(analyze(&empty, &l, &r, &e), DD_DECLINED);
    const char *c;
    CHECK_INT(dd_layer_sniff("\x28\xb5\x2f\xfd", 4, &c), DD_OK);
    CHECK_STR(c, "zstd");
    CHECK_INT(dd_layer_sniff("\x1f\x8b", 2, &c), DD_OK);
    CHECK_STR(c, "gzip");
    CHECK_INT(dd_layer_sniff("PK", 2, &c), DD_DECLINED);
}

TEST(empty_layer)
{
    char zeros[1024] = {0};
    dd_buf_t gz;
    dd_buf_init(&gz, 0);
    gzip_member(zeros, sizeof zeros, &gz);
    dd_analyze_limits_t l = lim();
    dd_layer_result_t r;
    dd_err_t e = {0};
    CHECK_INT(analyze(&gz, &l, &r, &e), DD_OK);
    CHECK_INT(r.entries, 0);
    CHECK_INT(r.files.n, 0);
    dd_layer_result_release(&r);
    dd_buf_t b = {zeros, sizeof zeros, 0, 0};
    CHECK_INT(analyze(&b, &l, &r, &e), DD_OK);
    dd_layer_result_release(&r);
    dd_buf_release(&gz);
}

static size_t small_max(const char *p, void *arg)
{
    (void)arg;
    (void)p;
    return 10;
}

TEST(size_limits)
{
    dd_buf_t tar;
    base_layer(&tar);
    dd_analyze_limits_t l = lim();
    l.max_file_size = small_max;
    dd_layer_result_t r;
    dd_err_t e = {0};
    CHECK_INT(analyze(&tar, &l, &r, &e), DD_ELIMIT);
    CHECK(strstr(e.msg, "over the 10 byte limit") != NULL);
    l = lim();
    l.max_kept_bytes = 40;
    CHECK_INT(analyze(&tar, &l, &r, &e), DD_ELIMIT);
    CHECK(strstr(e.msg, "kept files exceed") != NULL);
    /* whiteouts count against the same budget */
    tarw_t t;
    tar_begin(&t);
    char name[300];
    for (int i = 0; i < 200; i++) {
        snprintf(name, sizeof name, "usr/share/%0200d/.wh.x", i);
        tar_file(&t, name, "");
    }
    tar_end(&t);
    l = lim();
    l.max_kept_bytes = 16384;
    CHECK_INT(analyze(&t.out, &l, &r, &e), DD_ELIMIT);
    CHECK(strstr(e.msg, "whiteouts") != NULL);
    l.max_kept_bytes = 1 << 20;
    CHECK_INT(analyze(&t.out, &l, &r, &e), DD_OK);
    CHECK_INT(r.n_whiteouts, 200);
    dd_layer_result_release(&r);
    dd_buf_release(&t.out);
    l = lim();
    l.max_entries = 3;
    CHECK_INT(analyze(&tar, &l, &r, &e), DD_ELIMIT);
    CHECK(strstr(e.msg, "entries") != NULL);
    dd_buf_release(&tar);
}

TEST(serialize_roundtrip)
{
    dd_layer_result_t L;
    layer_of(&L, l1);
    dd_buf_t tar;
    base_layer(&tar);
    dd_analyze_limits_t l = lim();
    l.compute_diff_id = true;
    dd_layer_result_t r;
    CHECK_INT(analyze(&tar, &l, &r, NULL), DD_OK);
    dd_buf_t ser;
    dd_buf_init(&ser, 0);
    CHECK_INT(dd_layer_result_serialize(&r, &ser), DD_OK);
    dd_layer_result_t back;
    dd_err_t e = {0};
    CHECK_INT(dd_layer_result_deserialize(ser.ptr, ser.len, &back, &e), DD_OK);
    check_base(&back);
    CHECK_STR(back.diff_id.str, r.diff_id.str);
    CHECK_STR(back.compression, "none");
    CHECK_INT(back.bytes_in, r.bytes_in);
    dd_buf_t ser2;
    dd_buf_init(&ser2, 0);
    dd_layer_result_serialize(&back, &ser2);
    CHECK(ser2.len == ser.len && memcmp(ser.ptr, ser2.ptr, ser.len) == 0);
    dd_layer_result_release(&back);
    /* every truncation is rejected cleanly */
    for (size_t n = 0; n < ser.len; n++)
        CHECK_INT(dd_layer_result_deserialize(ser.ptr, n, &back, NULL), DD_ECORRUPT);
    /* another analyzer version is declined */
    ser.ptr[4] = 99;
    CHECK_INT(dd_layer_result_deserialize(ser.ptr, ser.len, &back, NULL), DD_DECLINED);
    /* whiteouts and opaque dirs round-trip too */
    dd_buf_reset(&ser);
    dd_layer_result_serialize(&L, &ser);
    CHECK_INT(dd_layer_result_deserialize(ser.ptr, ser.len, &back, NULL), DD_OK);
    CHECK_INT(back.n_whiteouts, 1);
    CHECK_INT(back.n_opaque, 1);
    dd_layer_result_t cp;
    dd_layer_result_copy(&cp, &back);
    CHECK_INT(cp.n_opaque, 1);
    CHECK_INT(cp.files.n, 1);
    dd_layer_result_release(&cp);
    dd_layer_result_release(&back);
    dd_layer_result_release(&L);
    dd_layer_result_release(&r);
    dd_buf_release(&ser);
    dd_buf_release(&ser2);
    dd_buf_release(&tar);
}

TEST_MAIN(RUN(plain_tar); RUN(gzip_and_zstd); RUN(multi_member_gzip_and_zstd_frames);
          RUN(big_layer_level1); RUN(whiteouts_and_opaque); RUN(overlay); RUN(traversal_names);
          RUN(links); RUN(bomb_ratio); RUN(corrupt_streams); RUN(endless_file); RUN(zstd_window_limit); RUN(unpadded_tar); RUN(not_a_layer);
          RUN(empty_layer); RUN(size_limits); RUN(serialize_roundtrip))
