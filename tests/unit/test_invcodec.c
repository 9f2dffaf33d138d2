/*
 * test_invcodec.c: unit tests of the stored inventory (src/jobs/invcodec.c):
 * a round trip keeps every field, version 1 still reads, every truncation
 * and malformed length is rejected with the inventory and its arena as they
 * were, and decoding goes to the inventory's arena (its own or a borrowed
 * job arena).
 */
#include "dd/scanner.h"
#include "test.h"

/* Appends a byte string in the codec's layout. */
static void put_u32(dd_buf_t *b, uint32_t v)
{
    unsigned char p[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    dd_buf_append(b, p, 4);
}

static void put_str(dd_buf_t *b, const char *s)
{
    if (!s) {
        put_u32(b, 0xffffffffu);
        return;
    }
    put_u32(b, (uint32_t)strlen(s));
    dd_buf_append(b, s, strlen(s));
}

/* A three-package inventory (dpkg, apk with NULL fields, modular rpm). */
static void sample(dd_inventory_t *inv)
{
    dd_inventory_init(inv);
    dd_arena_t *a = dd_inventory_arena(inv);
    inv->os.id = dd_arena_strdup(a, "almalinux");
    inv->os.version_id = dd_arena_strdup(a, "8.8");
    inv->os.pretty_name = dd_arena_strdup(a, "AlmaLinux 8.8 (Sapphire Caracal)");
    inv->os.ecosystem = dd_arena_strdup(a, "AlmaLinux:8");
    dd_package_t *p = dd_inventory_add(inv);
    p->type = DD_PKG_DPKG;
    p->name = dd_arena_strdup(a, "libc6");
    p->version = dd_arena_strdup(a, "2.36-9+deb12u4");
    p->source_name = dd_arena_strdup(a, "glibc");
    p->source_version = dd_arena_strdup(a, "2.36-9+deb12u4");
    p->arch = dd_arena_strdup(a, "amd64");
    p->db_path = dd_arena_strdup(a, "var/lib/dpkg/status");
    p->layer = 0;
    p = dd_inventory_add(inv);
    p->type = DD_PKG_APK;
    p->name = dd_arena_strdup(a, "musl");
    p->version = dd_arena_strdup(a, "1.2.4-r2");
    p->layer = 1;
    p = dd_inventory_add(inv);
    p->type = DD_PKG_RPM;
    p->name = dd_arena_strdup(a, "nodejs");
    p->version = dd_arena_strdup(a, "1:18.17.1-1.module_el8.8.0+3613+e2a2fd5d");
    p->epoch = 1;
    p->rpm_version = dd_arena_strdup(a, "18.17.1");
    p->rpm_release = dd_arena_strdup(a, "1.module_el8.8.0+3613+e2a2fd5d");
    p->source_rpm = dd_arena_strdup(a, "nodejs-18.17.1-1.module_el8.8.0+3613+e2a2fd5d.src.rpm");
    p->license = dd_arena_strdup(a, "MIT");
    p->module = dd_arena_strdup(a, "nodejs:18:8080020230825:a75119d5");
    p->layer = 2;
}

static char *const sample_layers[] = {"sha256:aaaa", "sha256:bbbb", "sha256:cccc"};

static void encode_sample(dd_buf_t *b)
{
    dd_inventory_t inv;
    sample(&inv);
    dd_buf_init(b, 1 << 20);
    CHECK_INT(dd_inventory_encode(&inv, sample_layers, 3, b), DD_OK);
    dd_inventory_release(&inv);
}

static bool same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool same_pkg(const dd_package_t *x, const dd_package_t *y)
{
    return x->type == y->type && x->epoch == y->epoch && x->layer == y->layer && same_str(x->name, y->name) &&
           same_str(x->version, y->version) && same_str(x->source_name, y->source_name) &&
           same_str(x->source_version, y->source_version) && same_str(x->arch, y->arch) &&
           same_str(x->rpm_version, y->rpm_version) && same_str(x->rpm_release, y->rpm_release) &&
           same_str(x->source_rpm, y->source_rpm) && same_str(x->license, y->license) &&
           same_str(x->db_path, y->db_path) && same_str(x->module, y->module);
}

TEST(round_trip_keeps_every_field)
{
    dd_inventory_t want;
    sample(&want);
    dd_buf_t b;
    encode_sample(&b);
    dd_inventory_t got;
    dd_inventory_init(&got);
    char **layers = NULL;
    size_t nl = 0;
    dd_err_t e = {0};
    CHECK_INT(dd_inventory_decode(b.ptr, b.len, &got, &layers, &nl, &e), DD_OK);
    CHECK_INT(got.n, 3);
    for (size_t i = 0; i < got.n && i < want.n; i++) CHECK(same_pkg(&got.pkgs[i], &want.pkgs[i]));
    CHECK_STR(got.os.id, "almalinux");
    CHECK_STR(got.os.version_id, "8.8");
    CHECK(got.os.name == NULL && got.os.codename == NULL);
    CHECK_STR(got.os.ecosystem, "AlmaLinux:8");
    CHECK_INT(nl, 3);
    if (nl == 3) CHECK_STR(layers[2], "sha256:cccc");
    /* re-encoding gives the same bytes */
    dd_buf_t b2;
    dd_buf_init(&b2, 1 << 20);
    CHECK_INT(dd_inventory_encode(&got, layers, nl, &b2), DD_OK);
    CHECK(b2.len == b.len && memcmp(b2.ptr, b.ptr, b.len) == 0);
    dd_buf_release(&b2);
    dd_buf_release(&b);
    dd_inventory_release(&got);
    dd_inventory_release(&want);
}

TEST(empty_inventory)
{
    dd_inventory_t inv;
    dd_inventory_init(&inv);
    dd_buf_t b;
    dd_buf_init(&b, 0);
    CHECK_INT(dd_inventory_encode(&inv, NULL, 0, &b), DD_OK);
    dd_inventory_t got;
    dd_inventory_init(&got);
    char **layers = NULL;
    size_t nl = 7;
    CHECK_INT(dd_inventory_decode(b.ptr, b.len, &got, &layers, &nl, NULL), DD_OK);
    CHECK_INT(got.n, 0);
    CHECK_INT(nl, 0);
    CHECK(got.os.id == NULL);
    dd_buf_release(&b);
    dd_inventory_release(&got);
}

TEST(version_1_without_module_still_reads)
{
    dd_buf_t b;
    dd_buf_init(&b, 0);
    dd_buf_append(&b, "DDIV", 4);
    put_u32(&b, 1);
    const char *os[6] = {"debian", "12", NULL, NULL, "bookworm", "Debian:12"};
    for (int i = 0; i < 6; i++) put_str(&b, os[i]);
    put_u32(&b, 1);
    unsigned char t = DD_PKG_DPKG;
    dd_buf_append(&b, &t, 1);
    put_u32(&b, 0xffffffffu); /* epoch -1 */
    put_u32(&b, 0);
    const char *ss[10] = {"zlib1g", "1:1.2.13.dfsg-1", "zlib", "1:1.2.13.dfsg-1", "amd64",
                          NULL,     NULL,              NULL,   NULL,              "var/lib/dpkg/status"};
    for (int i = 0; i < 10; i++) put_str(&b, ss[i]);
    put_u32(&b, 1);
    put_str(&b, "sha256:1111");
    dd_inventory_t got;
    dd_inventory_init(&got);
    char **layers = NULL;
    size_t nl = 0;
    CHECK_INT(dd_inventory_decode(b.ptr, b.len, &got, &layers, &nl, NULL), DD_OK);
    CHECK_INT(got.n, 1);
    if (got.n == 1) {
        CHECK_STR(got.pkgs[0].name, "zlib1g");
        CHECK_INT(got.pkgs[0].epoch, -1);
        CHECK(got.pkgs[0].module == NULL && got.pkgs[0].license == NULL);
    }
    CHECK_STR(got.os.codename, "bookworm");
    CHECK_INT(nl, 1);
    dd_buf_release(&b);
    dd_inventory_release(&got);
}

/* Decoding b must fail with rc and leave inv (holding one package already)
 * and its arena as they were. */
static void check_rejected(const void *p, size_t n, int rc)
{
    dd_inventory_t inv;
    dd_inventory_init(&inv);
    dd_package_t *k = dd_inventory_add(&inv);
    k->type = DD_PKG_APK;
    k->name = dd_arena_strdup(dd_inventory_arena(&inv), "kept");
    k->version = dd_arena_strdup(dd_inventory_arena(&inv), "1");
    size_t total = inv.own.total;
    char **layers = NULL;
    size_t nl = 0;
    dd_err_t e = {0};
    CHECK_INT(dd_inventory_decode(p, n, &inv, &layers, &nl, &e), rc);
    CHECK(e.msg[0] != '\0');
    CHECK_INT(inv.n, 1);
    CHECK_STR(inv.pkgs[0].name, "kept");
    CHECK(inv.os.id == NULL);
    CHECK(inv.own.total == total);
    CHECK(layers == NULL);
    dd_inventory_release(&inv);
}

TEST(every_truncation_is_rejected)
{
    dd_buf_t b;
    encode_sample(&b);
    for (size_t n = 0; n < b.len; n++) check_rejected(b.ptr, n, DD_ECORRUPT);
    /* a trailing byte too */
    dd_buf_putc(&b, 0);
    check_rejected(b.ptr, b.len, DD_ECORRUPT);
    dd_buf_release(&b);
}

TEST(malformed_fields_are_rejected)
{
    dd_buf_t b;
    encode_sample(&b);
    char *p = dd_malloc(b.len);
    /* bad magic; another version is declined, not corrupt */
    memcpy(p, b.ptr, b.len);
    p[0] = 'X';
    check_rejected(p, b.len, DD_ECORRUPT);
    memcpy(p, b.ptr, b.len);
    p[4] = 3;
    check_rejected(p, b.len, DD_DECLINED);
    /* a NUL inside a string (the OS id "almalinux" starts at offset 12) */
    memcpy(p, b.ptr, b.len);
    p[14] = '\0';
    check_rejected(p, b.len, DD_ECORRUPT);
    /* a package type out of range: the first package follows the six OS
     * strings and the count */
    size_t off = 8;
    for (int i = 0; i < 6; i++) {
        uint32_t len = (uint32_t)(unsigned char)b.ptr[off] | (uint32_t)(unsigned char)b.ptr[off + 1] << 8;
        off += 4;
        if ((unsigned char)b.ptr[off - 1] != 0xff) off += len;
    }
    size_t count_off = off;
    memcpy(p, b.ptr, b.len);
    p[count_off + 4] = DD_PKG_TYPE_LAST + 1;
    check_rejected(p, b.len, DD_ECORRUPT);
    /* a package count far beyond the bytes left allocates nothing and fails */
    memcpy(p, b.ptr, b.len);
    p[count_off] = (char)0x40, p[count_off + 1] = (char)0x42, p[count_off + 2] = 0x0f, p[count_off + 3] = 0;
    check_rejected(p, b.len, DD_ECORRUPT);
    /* a string length beyond the input */
    memcpy(p, b.ptr, b.len);
    p[8 + 3] = 0x7f;
    check_rejected(p, b.len, DD_ECORRUPT);
    free(p);
    dd_buf_release(&b);

    /* a package without a name */
    dd_buf_t c;
    dd_buf_init(&c, 0);
    dd_buf_append(&c, "DDIV", 4);
    put_u32(&c, 2);
    for (int i = 0; i < 6; i++) put_str(&c, NULL);
    put_u32(&c, 1);
    unsigned char t = DD_PKG_DPKG;
    dd_buf_append(&c, &t, 1);
    put_u32(&c, 0);
    put_u32(&c, 0);
    put_str(&c, NULL);
    put_str(&c, "1.0");
    for (int i = 0; i < 9; i++) put_str(&c, NULL);
    put_u32(&c, 0);
    check_rejected(c.ptr, c.len, DD_ECORRUPT);
    dd_buf_release(&c);
}

TEST(decodes_into_a_borrowed_job_arena)
{
    dd_buf_t b;
    encode_sample(&b);
    dd_arena_t job;
    dd_arena_init(&job);
    dd_inventory_t inv;
    dd_inventory_init_in(&inv, &job);
    CHECK(dd_inventory_arena(&inv) == &job);
    char **layers = NULL;
    size_t nl = 0;
    CHECK_INT(dd_inventory_decode(b.ptr, b.len, &inv, &layers, &nl, NULL), DD_OK);
    CHECK(job.total > 0);
    CHECK(inv.own.total == 0);
    /* a second image appends after the first, in the same arena */
    CHECK_INT(dd_inventory_decode(b.ptr, b.len, &inv, NULL, NULL, NULL), DD_OK);
    CHECK_INT(inv.n, 6);
    /* a failed decode leaves the job arena as it was */
    size_t total = job.total;
    CHECK_INT(dd_inventory_decode(b.ptr, b.len - 1, &inv, NULL, NULL, NULL), DD_ECORRUPT);
    CHECK(job.total == total);
    CHECK_INT(inv.n, 6);
    /* releasing the inventory leaves the job's arena (and the strings) alone */
    const char *name = inv.pkgs[5].name;
    dd_inventory_release(&inv);
    CHECK(dd_inventory_arena(&inv) == &job && inv.n == 0);
    CHECK_STR(name, "nodejs");
    CHECK_STR(layers[0], "sha256:aaaa");
    dd_arena_release(&job);
    dd_buf_release(&b);
}

TEST_MAIN(RUN(round_trip_keeps_every_field); RUN(empty_inventory); RUN(version_1_without_module_still_reads);
          RUN(every_truncation_is_rejected); RUN(malformed_fields_are_rejected);
          RUN(decodes_into_a_borrowed_job_arena))
