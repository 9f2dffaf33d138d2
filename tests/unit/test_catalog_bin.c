/*
 * test_catalog_bin.c: application packages in binaries and Rust lock files
 * (issue 13): the "elf" extractor (src/catalog/elf.c) on synthetic ELF files
 * built here byte by byte (Go build info in the inline and pointer layouts,
 * 64-bit little-endian and 32-bit big-endian, strings across chunk
 * boundaries, broken headers and pointers) and on a small real ELF with a
 * cargo-auditable `.dep-v0` section (tests/fixtures/cargo/README.md); the Go
 * cataloger (golang.c) on records, a go1.19.8 toolchain included; the Rust
 * cataloger (cargo.c) on a real Cargo.lock, lock-file variants and
 * cargo-auditable JSON. Real Go binaries built with golang-go are checked
 * against `go version -m` in tests/integration/test_scan_gobin.py.
 */
#include "catalog/catalog_int.h"
#include "test.h"

#include <stdlib.h>
#include <string.h>

/* ---- helpers ------------------------------------------------------------- */

struct mem {
    const unsigned char *p;
    size_t n, at, step; /* step: largest read (0 = any) */
};

static ssize_t mem_read(void *arg, void *buf, size_t n)
{
    struct mem *m = arg;
    if (m->step && n > m->step) n = m->step;
    if (n > m->n - m->at) n = m->n - m->at;
    memcpy(buf, m->p + m->at, n);
    m->at += n;
    return (ssize_t)n;
}

/* Runs the elf extractor the way the analyzer does; returns the record's
 * payload (NUL-terminated, caller frees) or NULL when nothing was kept. */
static char *extract(const unsigned char *p, size_t n, size_t step, size_t *read_out)
{
    const dd_extractor_t *x = dd_catalog_sniff("usr/bin/app", p, n < DD_EXTRACT_HEAD ? n : DD_EXTRACT_HEAD, n);
    CHECK(x != NULL);
    if (!x) return NULL;
    CHECK_STR(x->name, "elf");
    struct mem m = {p, n, 0, step};
    dd_buf_t rec;
    dd_buf_init(&rec, 0);
    dd_catalog_extract(x, mem_read, &m, n, "usr/bin/app", &rec);
    if (read_out) *read_out = m.at;
    const char *name;
    size_t nl, pl;
    const unsigned char *pay;
    char *out = NULL;
    if (rec.len && dd_catalog_record((const unsigned char *)rec.ptr, rec.len, &name, &nl, &pay, &pl)) out = dd_strndup((const char *)pay, pl);
    dd_buf_release(&rec);
    return out;
}

static void wr(unsigned char *p, uint64_t v, int n, bool be)
{
    for (int i = 0; i < n; i++) p[be ? n - 1 - i : i] = (unsigned char)(v >> (8 * i));
}

typedef struct {
    uint32_t type, flags;
    uint64_t off, vaddr, filesz;
} ph_t;

/* An ELF image of size n: header (EXEC) and program headers right after. */
static unsigned char *mkelf(size_t n, bool is64, bool be, const ph_t *ph, int nph)
{
    unsigned char *b = calloc(1, n);
    memcpy(b, "\x7f" "ELF", 4);
    b[4] = is64 ? 2 : 1;
    b[5] = be ? 2 : 1;
    b[6] = 1;
    wr(b + 16, 2, 2, be);
    wr(b + 18, is64 ? 62 : 20, 2, be);
    wr(b + 20, 1, 4, be);
    unsigned ehs = is64 ? 64 : 52, phs = is64 ? 56 : 32;
    if (is64) {
        wr(b + 32, ehs, 8, be);
        wr(b + 52, ehs, 2, be), wr(b + 54, phs, 2, be), wr(b + 56, (uint64_t)nph, 2, be);
        wr(b + 58, 64, 2, be);
    } else {
        wr(b + 28, ehs, 4, be);
        wr(b + 40, ehs, 2, be), wr(b + 42, phs, 2, be), wr(b + 44, (uint64_t)nph, 2, be);
        wr(b + 46, 40, 2, be);
    }
    for (int i = 0; i < nph; i++) {
        unsigned char *p = b + ehs + (size_t)i * phs;
        wr(p, ph[i].type, 4, be);
        if (is64) {
            wr(p + 4, ph[i].flags, 4, be);
            wr(p + 8, ph[i].off, 8, be), wr(p + 16, ph[i].vaddr, 8, be), wr(p + 24, ph[i].vaddr, 8, be);
            wr(p + 32, ph[i].filesz, 8, be), wr(p + 40, ph[i].filesz, 8, be), wr(p + 48, 0x1000, 8, be);
        } else {
            wr(p + 4, ph[i].off, 4, be), wr(p + 8, ph[i].vaddr, 4, be), wr(p + 12, ph[i].vaddr, 4, be);
            wr(p + 16, ph[i].filesz, 4, be), wr(p + 20, ph[i].filesz, 4, be), wr(p + 24, ph[i].flags, 4, be);
            wr(p + 28, 0x1000, 4, be);
        }
    }
    return b;
}

static const unsigned char SENT_A[16] = {0x30, 0x77, 0xaf, 0x0c, 0x92, 0x74, 0x08, 0x02,
                                         0x41, 0xe1, 0xc1, 0x07, 0xe6, 0xd6, 0x18, 0xe6};
static const unsigned char SENT_B[16] = {0xf9, 0x32, 0x43, 0x31, 0x86, 0x18, 0x20, 0x72,
                                         0x00, 0x82, 0x42, 0x10, 0x41, 0x16, 0xd8, 0xf2};

#define MODINFO                                                                            \
    "path\texample.com/app\n"                                                             \
    "mod\texample.com/app\t(devel)\t\n"                                                   \
    "dep\tgithub.com/gorilla/websocket\tv1.4.2\th1:+/NfqZ9Ij8MDAQy9QpORp8/A0lP2JDLQI4ww3uIQLIw=\n" \
    "=>\tgithub.com/gorilla/websocket\tv1.5.0\th1:PPwGk2jz7EePpoHN/+ClbZu8SPxiqlu12wZP/3sWmnc=\n" \
    "dep\tgolang.org/x/net\tv0.7.0\th1:rJrUqqhjsgNp7KqAIc25s9pZnjU7TUcSY7HcVZjdn1g=\n"      \
    "dep\tgolang.org/x/text\tv0.3.7\t\n"                                                  \
    "dep\tgithub.com/pkg/errors\tv0.9.2-0.20201214064552-5dd12d0cfe7f\t\n"                \
    "dep\tgithub.com/docker/docker\tv20.10.7+incompatible\t\n"                            \
    "dep\texample.com/local\tv1.0.0\t\n"                                                  \
    "=>\t../local\t\t\n"                                                                  \
    "build\t-compiler=gc\n"                                                               \
    "build\tCGO_ENABLED=0\n"

/* The modinfo string as the Go toolchain embeds it: sentinels around it. */
static size_t modinfo(unsigned char *out)
{
    size_t l = strlen(MODINFO);
    memcpy(out, SENT_A, 16);
    memcpy(out + 16, MODINFO, l);
    memcpy(out + 16 + l, SENT_B, 16);
    return l + 32;
}

static const char *EXPECT_PAYLOAD =
    "go\tgo1.19.8\n"
    "path\texample.com/app\n"
    "mod\texample.com/app\t(devel)\t\n"
    "dep\tgithub.com/gorilla/websocket\tv1.4.2\th1:+/NfqZ9Ij8MDAQy9QpORp8/A0lP2JDLQI4ww3uIQLIw=\n"
    "=>\tgithub.com/gorilla/websocket\tv1.5.0\th1:PPwGk2jz7EePpoHN/+ClbZu8SPxiqlu12wZP/3sWmnc=\n"
    "dep\tgolang.org/x/net\tv0.7.0\th1:rJrUqqhjsgNp7KqAIc25s9pZnjU7TUcSY7HcVZjdn1g=\n"
    "dep\tgolang.org/x/text\tv0.3.7\t\n"
    "dep\tgithub.com/pkg/errors\tv0.9.2-0.20201214064552-5dd12d0cfe7f\t\n"
    "dep\tgithub.com/docker/docker\tv20.10.7+incompatible\t\n"
    "dep\texample.com/local\tv1.0.0\t\n"
    "=>\t../local\t\t\n";

/* Go >= 1.18: the inline layout in a writable segment at file offset bi. */
static unsigned char *go_inline(size_t n, bool is64, bool be, size_t bi)
{
    ph_t ph[] = {{1, 5, 0, 0x400000, 0x1000}, {1, 6, bi & ~(size_t)0xfff, 0x500000, n - (bi & ~(size_t)0xfff)}};
    unsigned char *b = mkelf(n, is64, be, ph, 2);
    unsigned char *p = b + bi;
    memcpy(p, "\xff Go buildinf:", 14);
    p[14] = is64 ? 8 : 4;
    p[15] = 2 | (be ? 1 : 0);
    p += 32;
    *p++ = 8;
    memcpy(p, "go1.19.8", 8);
    p += 8;
    unsigned char m[1024];
    size_t ml = modinfo(m);
    *p++ = (unsigned char)(0x80 | (ml & 0x7f));
    *p++ = (unsigned char)(ml >> 7);
    memcpy(p, m, ml);
    return b;
}

/* ---- the elf extractor: Go ------------------------------------------------ */

TEST(sniff)
{
    unsigned char *b = go_inline(0x2000, true, false, 0x1000);
    CHECK(dd_catalog_sniff("x", b, 64, 0x2000) != NULL);
    CHECK(dd_catalog_sniff("x", b, 40, 0x2000) == NULL); /* too short for a header */
    b[16] = 1;                                           /* ET_REL: not a program */
    CHECK(dd_catalog_sniff("x", b, 64, 0x2000) == NULL);
    b[16] = 2;
    b[54] = 55; /* program header size of no class */
    CHECK(dd_catalog_sniff("x", b, 64, 0x2000) == NULL);
    CHECK(dd_catalog_sniff("x", (const unsigned char *)"#!/bin/sh\necho hello world, this is not an elf file at all..", 64, 64) == NULL);
    free(b);
}

TEST(go_inline_layout)
{
    unsigned char *b = go_inline(0x3000, true, false, 0x2000);
    char *p = extract(b, 0x3000, 0, NULL);
    CHECK(p != NULL);
    if (p) CHECK_STR(p, EXPECT_PAYLOAD);
    free(p);
    free(b);
    /* 32-bit big-endian, buildinfo in a later 64 KiB chunk, small reads */
    b = go_inline(0x30000, false, true, 0x21230);
    p = extract(b, 0x30000, 777, NULL);
    CHECK(p != NULL);
    if (p) CHECK_STR(p, EXPECT_PAYLOAD);
    free(p);
    free(b);
}

TEST(go_inline_broken)
{
    /* the module string's length runs past the segment: "!" line, the scan goes on */
    unsigned char *b = go_inline(0x2000, true, false, 0x1000);
    b[0x1000 + 32 + 9] = 0xff, b[0x1000 + 32 + 10] = 0xff;
    char *p = extract(b, 0x2000, 0, NULL);
    CHECK(p && strstr(p, "!go build info at offset 4096: bad or truncated module string") != NULL);
    free(p);
    /* a version varint that never ends */
    memset(b + 0x1000 + 32, 0xff, 0x1000 - 32);
    p = extract(b, 0x2000, 0, NULL);
    CHECK(p && p[0] == '!' && strstr(p, "version string"));
    free(p);
    free(b);
}

/* Go 1.13-1.17: pointers to string headers. The strings are in the read-only
 * segment before the buildinfo (the version across the first 64 KiB chunk
 * boundary, the modinfo across the second) or, with ahead, after it. */
static unsigned char *go_pointer(size_t n, bool ahead, uint64_t bad_va)
{
    ph_t ph[] = {{4, 4, 0x200, 0x400200, 20},
                 {1, 4, 0, 0x400000, 0x30000},
                 {1, 6, 0x30000, 0x530000, n - 0x30000}};
    unsigned char *b = mkelf(n, true, false, ph, 3);
    memcpy(b + 0x200, "\x04\0\0\0\x04\0\0\0\x04\0\0\0Go\0\0abcd", 20);
    size_t ver = ahead ? 0x38000 : 0xfffc, mod = ahead ? 0x38100 : 0x1fff8;
    uint64_t vva = ahead ? 0x530000 + (ver - 0x30000) : 0x400000 + ver;
    uint64_t mva = ahead ? 0x530000 + (mod - 0x30000) : 0x400000 + mod;
    memcpy(b + ver, "go1.16.15runtime", 16);
    size_t ml = modinfo(b + mod);
    unsigned char *p = b + 0x30000;
    memcpy(p, "\xff Go buildinf:", 14);
    p[14] = 8, p[15] = 0;
    wr(p + 16, bad_va ? bad_va : 0x530000 + 0x100, 8, false);
    wr(p + 24, 0x530000 + 0x110, 8, false);
    wr(b + 0x30100, vva, 8, false), wr(b + 0x30108, 9, 8, false);
    wr(b + 0x30110, mva, 8, false), wr(b + 0x30118, ml, 8, false);
    return b;
}

TEST(go_pointer_layout)
{
    const char *want = strchr(EXPECT_PAYLOAD, '\n') + 1;
    for (int ahead = 0; ahead < 2; ahead++) {
        unsigned char *b = go_pointer(0x40000, ahead, 0);
        char *p = extract(b, 0x40000, 0, NULL);
        CHECK(p != NULL);
        if (p) {
            CHECK(strncmp(p, "go\tgo1.16.15\n", 13) == 0);
            CHECK_STR(p + 13, want);
        }
        free(p);
        free(b);
    }
    /* a string header address outside every segment */
    unsigned char *b = go_pointer(0x40000, false, 0x900000);
    char *p = extract(b, 0x40000, 0, NULL);
    CHECK(p && strstr(p, "!go build info (pointer layout): version string header address outside the segments"));
    free(p);
    free(b);
}

TEST(elf_broken_headers)
{
    /* a segment beyond the end of the file (a truncated binary): an error record */
    unsigned char *b = go_inline(0x2000, true, false, 0x1000);
    char *p = extract(b, 0x1800, 0, NULL);
    CHECK(p && strstr(p, "!elf segment at offset 4096 outside the file"));
    free(p);
    /* an absurd program header count */
    wr(b + 56, 60000, 2, false);
    p = extract(b, 0x2000, 0, NULL);
    CHECK(p && strstr(p, "!elf has 60000 program headers"));
    free(p);
    /* section headers outside the file */
    wr(b + 56, 2, 2, false);
    wr(b + 40, 0x1f00, 8, false), wr(b + 60, 50, 2, false);
    p = extract(b, 0x2000, 0, NULL);
    CHECK(p && strstr(p, "!elf section headers outside the file"));
    free(p);
    /* the stream ends before the size the archive announced */
    wr(b + 60, 0, 2, false);
    const dd_extractor_t *x = dd_catalog_sniff("a", b, 64, 0x4000);
    struct mem m = {b, 0x1000, 0, 0};
    dd_buf_t rec;
    dd_buf_init(&rec, 0);
    dd_catalog_extract(x, mem_read, &m, 0x4000, "a", &rec);
    CHECK(rec.len > 0 && memmem(rec.ptr, rec.len, "!binary ends early (4096 bytes read)", 36));
    dd_buf_release(&rec);
    free(b);
}

TEST(elf_plain_binary_keeps_nothing)
{
    /* no Go build info, no .dep-v0: nothing kept; reading stops after the
     * writable segment when there are no section headers */
    unsigned char *b = go_inline(0x40000, true, false, 0x30000);
    memset(b + 0x30000, 0, 64);
    size_t got = 0;
    char *p = extract(b, 0x40000, 0, &got);
    CHECK(p == NULL);
    free(p);
    free(b);
    ph_t ph[] = {{1, 5, 0, 0x400000, 0x1000}};
    b = mkelf(0x100000, true, false, ph, 1);
    p = extract(b, 0x100000, 0, &got);
    CHECK(p == NULL);
    CHECK(got <= 0x10000); /* one chunk */
    free(p);
    free(b);
}

/* ---- the elf extractor: Rust ---------------------------------------------- */

static unsigned char *load(const char *rel, size_t *n)
{
    dd_buf_t b;
    dd_buf_init(&b, 0);
    dd_err_t e = {0};
    CHECK_INT(dd_file_read(fixture(rel), 16u << 20, &b, &e), DD_OK);
    return (unsigned char *)dd_buf_detach(&b, n);
}

TEST(rust_dep_v0)
{
    size_t n;
    unsigned char *b = load("cargo/auditable-hello.elf", &n);
    dd_buf_t json;
    dd_buf_init(&json, 0);
    dd_err_t e = {0};
    CHECK_INT(dd_file_read(fixture("cargo/audit.json"), 1 << 20, &json, &e), DD_OK);
    char *p = extract(b, n, 100, NULL);
    CHECK(p && strncmp(p, "rust ", 5) == 0);
    if (p) CHECK(strlen(p) == 5 + json.len + 1 && memcmp(p + 5, json.ptr, json.len) == 0);
    free(p);
    /* a corrupt zlib stream: a "!" line */
    unsigned char *z = memmem(b, n, "\x78", 1);
    size_t dep = 0x3037; /* .dep-v0's offset (readelf -S) */
    CHECK(b[dep] == 0x78);
    (void)z;
    b[dep + 5] ^= 0xff;
    b[dep + 6] ^= 0xff;
    p = extract(b, n, 0, NULL);
    CHECK(p && strstr(p, "!cargo-auditable data") != NULL);
    free(p);
    dd_buf_release(&json);
    free(b);
    /* a zlib bomb: refused at the record's size */
    b = load("cargo/auditable-bomb.elf", &n);
    p = extract(b, n, 0, NULL);
    CHECK(p && strstr(p, "!cargo-auditable data inflates to more than") != NULL);
    free(p);
    free(b);
}

/* ---- the Go cataloger ----------------------------------------------------- */

static const dd_package_t *find(const dd_inventory_t *inv, dd_pkg_type_t t, const char *name, const char *ver)
{
    for (size_t i = 0; i < inv->n; i++)
        if (inv->pkgs[i].type == t && strcmp(inv->pkgs[i].name, name) == 0 &&
            strcmp(inv->pkgs[i].version, ver) == 0)
            return &inv->pkgs[i];
    return NULL;
}

TEST(golang_record)
{
    dd_inventory_t inv;
    dd_inventory_init(&inv);
    CHECK_INT(dd_golang_parse_record(EXPECT_PAYLOAD, strlen(EXPECT_PAYLOAD), "usr/bin/app", 2, &inv), DD_OK);
    /* stdlib from go1.19.8, the main module, 5 deps (websocket as its
     * replacement; the locally replaced one left out) */
    CHECK_INT(inv.n, 7);
    const dd_package_t *s = find(&inv, DD_PKG_GOLANG, "stdlib", "1.19.8");
    CHECK(s && strcmp(s->db_path, "usr/bin/app") == 0 && s->layer == 2);
    CHECK(find(&inv, DD_PKG_GOLANG, "example.com/app", "(devel)"));
    CHECK(find(&inv, DD_PKG_GOLANG, "github.com/gorilla/websocket", "v1.5.0"));
    CHECK(!find(&inv, DD_PKG_GOLANG, "github.com/gorilla/websocket", "v1.4.2"));
    CHECK(find(&inv, DD_PKG_GOLANG, "golang.org/x/net", "v0.7.0"));
    CHECK(find(&inv, DD_PKG_GOLANG, "golang.org/x/text", "v0.3.7"));
    CHECK(find(&inv, DD_PKG_GOLANG, "github.com/pkg/errors", "v0.9.2-0.20201214064552-5dd12d0cfe7f"));
    CHECK(find(&inv, DD_PKG_GOLANG, "github.com/docker/docker", "v20.10.7+incompatible"));
    CHECK_INT(inv.nwarnings, 0);
    dd_inventory_release(&inv);

    /* toolchain spellings; "!" lines are warnings */
    dd_inventory_init(&inv);
    const char *r = "go\tgo1.21rc2\n!something odd\n";
    CHECK_INT(dd_golang_parse_record(r, strlen(r), "a", 0, &inv), DD_OK);
    CHECK(find(&inv, DD_PKG_GOLANG, "stdlib", "1.21.0-rc.2"));
    CHECK_INT(inv.nwarnings, 1);
    if (inv.nwarnings) CHECK_STR(inv.warnings[0], "a: something odd");
    r = "go\tgo1.20\n";
    CHECK_INT(dd_golang_parse_record(r, strlen(r), "b", 0, &inv), DD_OK);
    CHECK(find(&inv, DD_PKG_GOLANG, "stdlib", "1.20"));
    r = "go\tdevel go1.22-abcdef Mon Jan 1\n";
    CHECK_INT(dd_golang_parse_record(r, strlen(r), "c", 0, &inv), DD_DECLINED);
    r = "go\tgo1.21.0 X:boringcrypto\n";
    CHECK_INT(dd_golang_parse_record(r, strlen(r), "d", 0, &inv), DD_OK);
    CHECK(find(&inv, DD_PKG_GOLANG, "stdlib", "1.21.0"));
    CHECK_INT(inv.n, 3);
    dd_inventory_release(&inv);
}

TEST(catalog_run_binaries)
{
    /* records made by the extractor, in a fileset, through dd_catalog_run */
    dd_fileset_t fs;
    dd_fileset_init(&fs);
    unsigned char *b = go_inline(0x2000, true, false, 0x1000);
    const dd_extractor_t *x = dd_catalog_sniff("usr/bin/app", b, 64, 0x2000);
    struct mem m = {b, 0x2000, 0, 0};
    dd_buf_t rec;
    dd_buf_init(&rec, 0);
    dd_catalog_extract(x, mem_read, &m, 0x2000, "usr/bin/app", &rec);
    dd_fileset_put(&fs, "usr/bin/app", rec.ptr, rec.len, 1, 0100755);
    free(b);
    size_t n;
    b = load("cargo/auditable-hello.elf", &n);
    m = (struct mem){b, n, 0, 0};
    dd_catalog_extract(x, mem_read, &m, n, "usr/bin/hello", &rec);
    dd_fileset_put(&fs, "usr/bin/hello", rec.ptr, rec.len, 2, 0100755);
    free(b);
    dd_buf_reset(&rec);
    dd_catalog_record_error(&rec, "elf", "truncated elf header");
    dd_fileset_put(&fs, "usr/bin/broken", rec.ptr, rec.len, 2, 0100755);
    dd_buf_release(&rec);
    b = load("cargo/Cargo.lock", &n);
    dd_fileset_put(&fs, "srv/app/Cargo.lock", b, n, 3, 0100644);
    free(b);

    dd_inventory_t inv;
    dd_inventory_init(&inv);
    dd_err_t e = {0};
    CHECK_INT(dd_catalog_run(&fs, &inv, &e), DD_OK);
    CHECK_INT(inv.n, 7 + 3 + 3);
    const dd_package_t *p = find(&inv, DD_PKG_GOLANG, "stdlib", "1.19.8");
    CHECK(p && strcmp(p->db_path, "usr/bin/app") == 0 && p->layer == 1);
    p = find(&inv, DD_PKG_CARGO, "man", "0.3.0");
    CHECK(p && p->layer >= 2);
    CHECK_INT(inv.nwarnings, 1);
    if (inv.nwarnings) CHECK_STR(inv.warnings[0], "usr/bin/broken: truncated elf header");
    dd_inventory_release(&inv);
    dd_fileset_release(&fs);
}

/* ---- the Rust cataloger --------------------------------------------------- */

TEST(cargo_lock)
{
    size_t n;
    unsigned char *b = load("cargo/Cargo.lock", &n);
    dd_inventory_t inv;
    dd_inventory_init(&inv);
    dd_err_t e = {0};
    CHECK_INT(dd_cargo_lock_parse((const char *)b, n, "app/Cargo.lock", 4, &inv, &e), DD_OK);
    CHECK_INT(inv.n, 3);
    const dd_package_t *p = find(&inv, DD_PKG_CARGO, "roff", "0.1.0");
    CHECK(p && strcmp(p->db_path, "app/Cargo.lock") == 0 && p->layer == 4);
    CHECK(find(&inv, DD_PKG_CARGO, "gen_manpage", "0.1.0")); /* the workspace's own crate */
    free(b);
    dd_inventory_release(&inv);

    /* v1 with [metadata], CRLF, literal and escaped strings, a duplicate,
     * a package without a version, a key inside an array */
    const char *v1 =
        "[[package]]\r\n"
        "name = \"libc\"\r\n"
        "version = \"0.2.80\"\r\n"
        "source = \"registry+https://github.com/rust-lang/crates.io-index\"\r\n"
        "\r\n"
        "[[package]]\n"
        "name = 'smallvec'  # comment\n"
        "version = \"1.6\\u002E0\"\n"
        "dependencies = [\n"
        " \"name = \\\"x\\\"\",\n"
        "]\n"
        "[[package]]\n"
        "name = \"libc\"\n"
        "version = \"0.2.80\"\n"
        "[[package]]\n"
        "name = \"nover\"\n"
        "\n"
        "[metadata]\n"
        "\"checksum libc 0.2.80 (registry+https://github.com/rust-lang/crates.io-index)\" = \"abc\"\n"
        "name = \"not-a-package\"\n"
        "version = \"9\"\n";
    dd_inventory_init(&inv);
    CHECK_INT(dd_cargo_lock_parse(v1, strlen(v1), "Cargo.lock", 0, &inv, &e), DD_OK);
    CHECK_INT(inv.n, 2);
    CHECK(find(&inv, DD_PKG_CARGO, "libc", "0.2.80"));
    CHECK(find(&inv, DD_PKG_CARGO, "smallvec", "1.6.0"));
    CHECK_INT(inv.nwarnings, 1);
    if (inv.nwarnings) CHECK_STR(inv.warnings[0], "Cargo.lock: package at line 15 has no valid name or version");
    dd_inventory_release(&inv);

    /* not a lock file */
    dd_inventory_init(&inv);
    CHECK_INT(dd_cargo_lock_parse("hello", 5, "Cargo.lock", 0, &inv, &e), DD_ECORRUPT);
    const char *bad = "[[package]]\nname = \"a\\q\"\nversion = \"1\"\n";
    CHECK_INT(dd_cargo_lock_parse(bad, strlen(bad), "Cargo.lock", 0, &inv, &e), DD_OK);
    CHECK_INT(inv.n, 0);
    CHECK_INT(inv.nwarnings, 1);
    dd_inventory_release(&inv);
}

TEST(cargo_audit_json)
{
    const char *j = "{\"packages\":[{\"name\":\"app\",\"version\":\"0.1.0\",\"source\":\"local\",\"dependencies\":[1,2],"
                    "\"root\":true},{\"name\":\"cc\",\"version\":\"1.0.83\",\"source\":\"crates.io\",\"kind\":\"build\"},"
                    "{\"name\":\"smallvec\",\"version\":\"1.6.0\",\"source\":\"crates.io\",\"kind\":\"runtime\"},"
                    "{\"name\":\"smallvec\",\"version\":\"1.6.0\",\"source\":{\"Other\":\"x\"}},"
                    "{\"name\":7,\"version\":\"1\"}],\"format\":1}";
    dd_inventory_t inv;
    dd_inventory_init(&inv);
    dd_err_t e = {0};
    CHECK_INT(dd_cargo_audit_parse(j, strlen(j), "usr/bin/app", 0, &inv, &e), DD_OK);
    CHECK_INT(inv.n, 2);
    CHECK(find(&inv, DD_PKG_CARGO, "app", "0.1.0"));
    CHECK(find(&inv, DD_PKG_CARGO, "smallvec", "1.6.0"));
    CHECK(!find(&inv, DD_PKG_CARGO, "cc", "1.0.83"));
    CHECK_INT(inv.nwarnings, 1);
    CHECK_INT(dd_cargo_audit_parse("[1]", 3, "x", 0, &inv, &e), DD_ECORRUPT);
    CHECK_INT(dd_cargo_audit_parse("{", 1, "x", 0, &inv, &e), DD_ECORRUPT);
    dd_inventory_release(&inv);
}

TEST_MAIN(RUN(sniff); RUN(go_inline_layout); RUN(go_inline_broken); RUN(go_pointer_layout);
          RUN(elf_broken_headers); RUN(elf_plain_binary_keeps_nothing); RUN(rust_dep_v0); RUN(golang_record);
          RUN(catalog_run_binaries); RUN(cargo_lock); RUN(cargo_audit_json))
