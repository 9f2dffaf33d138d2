/*
 * elf.c: the "elf" extractor: application packages built into ELF binaries,
 * read from a stream in one pass with bounded memory. It finds
 *   - Go build information (the `.go.buildinfo` data that `go version -m`
 *     prints: the toolchain version, the main module, every dependency and
 *     its `=>` replacement), in both layouts: Go >= 1.18 inline strings and
 *     Go 1.13-1.17 pointers to string headers;
 *   - Rust cargo-auditable data (the `.dep-v0` section: zlib-compressed JSON,
 *     {"packages":[{"name","version","source","kind","dependencies","root"}]}).
 *
 * Record payload (after DD_EXTRACT_MAGIC "elf\n"), one item per line:
 *   go\t<toolchain>              the Go version as built in ("go1.19.8",
 *                                "devel go1.22-abc...")
 *   path\t<path>                 Go: the main package path   } the lines of
 *   mod\t<path>\t<version>[\t<sum>]  the main module         } Go's module
 *   dep\t<path>\t<version>[\t<sum>]  a dependency            } info, as the
 *   =>\t<path>\t<version>[\t<sum>]   replacement of the line } toolchain
 *                                    before it               } wrote them
 *   rust <json>                  the inflated cargo-auditable JSON on one
 *                                line (CR/LF turned into spaces)
 *   !<message>                   a problem with this file (the cataloger
 *                                reports it as a warning; other lines stand)
 * `build` lines of the Go module info are dropped. A file with none of these
 * gives an empty record (nothing kept).
 *
 * Design notes (one pass, bounded memory)
 *   - sniff: the ELF magic, a known class/byte order/version, type EXEC or
 *     DYN, and program header entries of the class's size. Not the name.
 *   - The ELF header and the program headers must lie in the first 64 KiB
 *     chunk (they follow the header in every linker's output). The PT_LOAD
 *     headers map virtual addresses to file offsets; PT_NOTE segments in
 *     that chunk tell whether it is a Go binary (a note named "Go", type 4:
 *     the Go build ID, which every Go linker mode writes near the start).
 *   - The file is read in 64 KiB chunks. Bytes wanted later are kept as
 *     they pass by "captures" (offset, length, buffer): a capture is
 *     registered when its offset is known and still ahead; bytes that have
 *     already passed can't be read again (that case is reported with "!").
 *   - Go: the 16-byte-aligned magic "\xff Go buildinf:" is looked for in the
 *     writable PT_LOAD ranges of every binary (one compare per 16 bytes, in
 *     the small data segments). From the magic on, up to 512 KiB are
 *     captured. Inline layout (flags & 2): two uvarint-length strings follow
 *     the 32-byte header. Pointer layout: the header holds the addresses of
 *     two string headers (pointer, length) in the data segment, ahead of
 *     .go.buildinfo, captured when they pass; their string bytes usually
 *     lie in .rodata, before it. So in a Go binary (build ID note) the
 *     read-only ranges are searched as they pass for the modinfo start
 *     sentinel (16 bytes; up to 4 captures of up to 256 KiB) and for "go1."
 *     (up to 64 captures of 64 bytes); a string whose bytes are in neither
 *     and already passed gives "!".
 *   - Rust: the section header table (e_shoff) is at the end of files from
 *     GNU ld, lld and objcopy, and `.dep-v0` is not allocated (cargo-auditable
 *     writes it with sh_flags 0), so linkers put it after every loaded
 *     segment, among .comment, .symtab, .strtab and .shstrtab. The
 *     capture is therefore the tail: from the end of the loaded data (or 8
 *     MiB before e_shoff, whichever is later) through the section headers.
 *     When the section headers come first (the Go linker's layout), the
 *     section-name table and `.dep-v0` are captured when they pass. A
 *     `.dep-v0` outside every capture gives "!". Inflation stops at the
 *     record's size (DD_EXTRACT_MAX_RECORD).
 *   - Reading stops as soon as nothing more is wanted (the caller skips the
 *     rest): after the section headers and the writable segments.
 *   - Broken input (truncated headers, tables or segments outside the file,
 *     absurd counts, a bad varint, addresses outside every segment) gives an
 *     error rc (the header itself) or a "!" line, never unbounded memory.
 */
#include "catalog/catalog_int.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define CHUNK ((size_t)64 * 1024)
#define CARRY 32                          /* bytes kept before a chunk for unaligned searches */
#define MAX_PHDRS 256
#define MAX_SHDRS 8192
#define MAX_CAPS 96
#define TAIL_CAP ((uint64_t)8 << 20)      /* tail bytes kept before e_shoff */
#define SHSTR_CAP ((uint64_t)1 << 20)
#define DEP_CAP ((uint64_t)8 << 20)       /* compressed .dep-v0 */
#define BI_CAP ((uint64_t)512 << 10)      /* from the buildinfo magic on */
#define SENT_CAP ((uint64_t)256 << 10)    /* modinfo captured from its sentinel */
#define MAX_SENT 4
#define GO1_LEN 64
#define MAX_GO1 64
#define MAX_GO_STR ((uint64_t)512 << 10)

enum { PT_LOAD = 1, PT_NOTE = 4, PF_W = 2, SHT_NOBITS = 8, SHF_COMPRESSED = 0x800 };

static const unsigned char bi_magic[14] = "\xff Go buildinf:";
/* Go's modinfo string starts and ends with these 16 bytes (cmd/go). */
static const unsigned char mod_start[16] = {0x30, 0x77, 0xaf, 0x0c, 0x92, 0x74, 0x08, 0x02,
                                            0x41, 0xe1, 0xc1, 0x07, 0xe6, 0xd6, 0x18, 0xe6};

typedef struct {
    uint64_t off, len; /* file range wanted */
    unsigned char *data;
    uint64_t got;      /* contiguous bytes held from off */
} cap_t;

typedef struct {
    uint64_t off, vaddr, filesz;
    uint32_t type, flags;
} seg_t;

typedef struct {
    uint64_t size;
    bool be, is64;
    unsigned psz;
    uint64_t phoff, shoff;
    unsigned phnum, phent, shnum, shent, shstrndx;
    seg_t seg[MAX_PHDRS];
    unsigned nseg;
    uint64_t load_end, w_end;  /* end of all PT_LOAD data; of the writable ones */
    bool go_note;
    uint64_t pos;              /* offset of the next byte to read */
    uint64_t avail;            /* offset of the first byte still in the window */
    uint64_t sent_from, go1_from; /* unaligned searches: first offset not yet searched */
    cap_t cap[MAX_CAPS];
    unsigned ncap, nsent, ngo1;
    /* Go */
    int bi;                    /* capture of the buildinfo, -1 until found */
    bool bi_inline, bi_parsed;
    uint64_t bi_vaddr[2];      /* pointer layout: addresses of the two string headers */
    int bi_hdr[2];             /* their captures, -1 (-3: already held) */
    bool bi_strs;              /* the strings' captures are registered */
    /* Rust */
    int shdr, shstr, dep;      /* captures, -1 */
    bool sh_parsed, shstr_parsed;
    uint64_t dep_off, dep_len;
    dd_buf_t warn;             /* "!" lines */
} ex_t;

/* ---- byte order -------------------------------------------------------- */

static uint64_t rd(const ex_t *x, const unsigned char *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++) v = x->be ? (v << 8) | p[i] : v | ((uint64_t)p[i] << (8 * i));
    return v;
}
#define U16(p) ((unsigned)rd(x, (p), 2))
#define U32(p) ((uint32_t)rd(x, (p), 4))
#define UPTR(p) rd(x, (p), x->psz)

static void warnf(ex_t *x, const char *fmt, const char *a, uint64_t n)
{
    if (x->warn.len > 4096) return;
    dd_buf_putc(&x->warn, '!');
    dd_buf_printf(&x->warn, fmt, a, (unsigned long long)n);
    dd_buf_putc(&x->warn, '\n');
}

/* ---- sniff ------------------------------------------------------------- */

static bool elf_sniff(const char *path, const unsigned char *h, size_t n, uint64_t size)
{
    (void)path;
    if (n < 52 || memcmp(h, "\x7f" "ELF", 4) != 0) return false;
    if ((h[4] != 1 && h[4] != 2) || (h[5] != 1 && h[5] != 2) || h[6] != 1) return false;
    bool be = h[5] == 2, is64 = h[4] == 2;
    if (is64 && n < 64) return false;
    unsigned type = be ? (unsigned)(h[16] << 8 | h[17]) : (unsigned)(h[17] << 8 | h[16]);
    if (type != 2 && type != 3) return false; /* ET_EXEC, ET_DYN */
    const unsigned char *pe = h + (is64 ? 54 : 42);
    unsigned phent = be ? (unsigned)(pe[0] << 8 | pe[1]) : (unsigned)(pe[1] << 8 | pe[0]);
    return phent == (is64 ? 56u : 32u) && size >= (is64 ? 64u : 52u);
}

/* ---- captures ---------------------------------------------------------- */

/* The bytes [off, off+len) if a capture holds them all, else NULL. */
static const unsigned char *held(const ex_t *x, uint64_t off, uint64_t len)
{
    for (unsigned i = 0; i < x->ncap; i++) {
        const cap_t *c = &x->cap[i];
        if (off >= c->off && len <= c->got && off - c->off <= c->got - len) return c->data + (off - c->off);
    }
    return NULL;
}

/* Registers a capture of [off, off+len) (clamped to the file). Returns its
 * index, or -1 when the table is full or the bytes already left the
 * window. The caller feeds the window again (feed is idempotent). */
static int want(ex_t *x, uint64_t off, uint64_t len)
{
    if (off >= x->size || len == 0) return -1;
    if (len > x->size - off) len = x->size - off;
    if (off < x->avail || x->ncap >= MAX_CAPS) return -1;
    cap_t *c = &x->cap[x->ncap];
    c->off = off;
    c->len = len;
    c->got = 0;
    c->data = dd_malloc((size_t)len);
    return (int)x->ncap++;
}

/* Copies what the window [woff, woff+n) holds of every capture (idempotent). */
static void feed(ex_t *x, uint64_t woff, const unsigned char *w, size_t n)
{
    uint64_t wend = woff + n;
    for (unsigned i = 0; i < x->ncap; i++) {
        cap_t *c = &x->cap[i];
        uint64_t from = c->off + c->got, to = c->off + c->len;
        if (from >= to || from < woff || from >= wend) continue;
        if (to > wend) to = wend;
        memcpy(c->data + c->got, w + (from - woff), (size_t)(to - from));
        c->got += to - from;
    }
}

static bool complete(const ex_t *x, int i) { return i >= 0 && x->cap[i].got == x->cap[i].len; }

/* File offset of virtual address va with n bytes in the same PT_LOAD, or -1. */
static int64_t va2off(const ex_t *x, uint64_t va, uint64_t n)
{
    for (unsigned i = 0; i < x->nseg; i++) {
        const seg_t *s = &x->seg[i];
        if (s->type != PT_LOAD || va < s->vaddr) continue;
        uint64_t d = va - s->vaddr;
        if (d <= s->filesz && n <= s->filesz - d) return (int64_t)(s->off + d);
    }
    return -1;
}

/* ---- the ELF header ---------------------------------------------------- */

static void notes(ex_t *x, const unsigned char *p, uint64_t len)
{
    uint64_t i = 0;
    while (len - i >= 12) {
        uint32_t nsz = U32(p + i), dsz = U32(p + i + 4), type = U32(p + i + 8);
        uint64_t nsz4 = ((uint64_t)nsz + 3) & ~(uint64_t)3, dsz4 = ((uint64_t)dsz + 3) & ~(uint64_t)3;
        if (nsz4 > len - i - 12 || dsz4 > len - i - 12 - nsz4) return;
        if (type == 4 && nsz == 3 && memcmp(p + i + 12, "Go\0", 3) == 0) x->go_note = true;
        if (type == 4 && nsz == 4 && memcmp(p + i + 12, "Go\0\0", 4) == 0) x->go_note = true;
        i += 12 + nsz4 + dsz4;
    }
}

static int header(ex_t *x, const unsigned char *h, size_t n, dd_err_t *e)
{
    if (n < 52) return dd_err(e, DD_ECORRUPT, "truncated elf header");
    x->is64 = h[4] == 2;
    x->be = h[5] == 2;
    x->psz = x->is64 ? 8 : 4;
    if (x->is64 && n < 64) return dd_err(e, DD_ECORRUPT, "truncated elf header");
    if (x->is64) {
        x->phoff = rd(x, h + 32, 8);
        x->shoff = rd(x, h + 40, 8);
        x->phent = U16(h + 54), x->phnum = U16(h + 56);
        x->shent = U16(h + 58), x->shnum = U16(h + 60), x->shstrndx = U16(h + 62);
    } else {
        x->phoff = U32(h + 28);
        x->shoff = U32(h + 32);
        x->phent = U16(h + 42), x->phnum = U16(h + 44);
        x->shent = U16(h + 46), x->shnum = U16(h + 48), x->shstrndx = U16(h + 50);
    }
    if (x->phent != (x->is64 ? 56u : 32u)) return dd_err(e, DD_ECORRUPT, "bad elf program header size %u", x->phent);
    if (x->phnum > MAX_PHDRS) return dd_err(e, DD_ELIMIT, "elf has %u program headers, over %d", x->phnum, MAX_PHDRS);
    if (x->phoff > x->size || (uint64_t)x->phnum * x->phent > x->size - x->phoff)
        return dd_err(e, DD_ECORRUPT, "elf program headers outside the file");
    if (x->phoff > n || (uint64_t)x->phnum * x->phent > n - x->phoff)
        return dd_err(e, DD_EUNSUPPORTED, "elf program headers not within the first %zu bytes", CHUNK);
    for (unsigned i = 0; i < x->phnum; i++) {
        const unsigned char *p = h + x->phoff + (uint64_t)i * x->phent;
        seg_t *s = &x->seg[x->nseg];
        s->type = U32(p);
        if (x->is64) {
            s->flags = U32(p + 4);
            s->off = rd(x, p + 8, 8), s->vaddr = rd(x, p + 16, 8), s->filesz = rd(x, p + 32, 8);
        } else {
            s->off = U32(p + 4), s->vaddr = U32(p + 8), s->filesz = U32(p + 16), s->flags = U32(p + 24);
        }
        if (s->type != PT_LOAD && s->type != PT_NOTE) continue;
        if (s->off > x->size || s->filesz > x->size - s->off)
            return dd_err(e, DD_ECORRUPT, "elf segment at offset %llu outside the file",
                          (unsigned long long)s->off);
        if (s->type == PT_NOTE && s->off < n) notes(x, h + s->off, (n - s->off < s->filesz) ? n - s->off : s->filesz);
        if (s->type == PT_LOAD) {
            uint64_t end = s->off + s->filesz;
            if (end > x->load_end) x->load_end = end;
            if ((s->flags & PF_W) && end > x->w_end) x->w_end = end;
        }
        x->nseg++;
    }
    if (x->shoff && x->shnum) {
        if (x->shent != (x->is64 ? 64u : 40u)) return dd_err(e, DD_ECORRUPT, "bad elf section header size %u", x->shent);
        if (x->shnum > MAX_SHDRS) return dd_err(e, DD_ELIMIT, "elf has %u sections, over %d", x->shnum, MAX_SHDRS);
        uint64_t tlen = (uint64_t)x->shnum * x->shent;
        if (x->shoff > x->size || tlen > x->size - x->shoff)
            return dd_err(e, DD_ECORRUPT, "elf section headers outside the file");
        uint64_t from = x->shoff;
        if (x->shoff >= x->load_end) from = x->shoff - x->load_end > TAIL_CAP ? x->shoff - TAIL_CAP : x->load_end;
        x->shdr = want(x, from, x->shoff + tlen - from);
    }
    return DD_OK;
}

/* ---- Go ----------------------------------------------------------------- */

/* Searches the window for the buildinfo magic at 16-aligned offsets inside
 * writable segments. */
static void scan_magic(ex_t *x, uint64_t woff, const unsigned char *w, size_t n)
{
    if (x->bi != -1) return;
    for (unsigned i = 0; i < x->nseg; i++) {
        const seg_t *s = &x->seg[i];
        if (s->type != PT_LOAD || !(s->flags & PF_W)) continue;
        uint64_t a = s->off > woff ? s->off : woff, b = s->off + s->filesz;
        if (b > woff + n) b = woff + n;
        a = (a + 15) & ~(uint64_t)15;
        for (; a + 14 <= b; a += 16) {
            const unsigned char *p = w + (a - woff);
            if (p[0] != 0xff || memcmp(p, bi_magic, 14) != 0) continue;
            uint64_t left = s->off + s->filesz - a;
            x->bi = want(x, a, BI_CAP < left ? BI_CAP : left);
            if (x->bi == -1) x->bi = -2;
            return;
        }
    }
}

/* Registers a capture of caplen bytes at each match of pat in the window
 * that starts at or after *from (up to max captures in *count). */
static void search(ex_t *x, uint64_t woff, const unsigned char *w, size_t n, const void *pat, size_t L,
                   uint64_t *from, unsigned *count, unsigned max, uint64_t caplen)
{
    uint64_t s = *from > woff ? *from : woff;
    const unsigned char *p = w + (s - woff), *end = w + n;
    while (*count < max && p < end) {
        const unsigned char *m = memmem(p, (size_t)(end - p), pat, L);
        if (!m) break;
        if (want(x, woff + (uint64_t)(m - w), caplen) >= 0) (*count)++;
        p = m + 1;
    }
    /* a match ending past the window is searched again with the carry */
    *from = woff + n >= L ? woff + n - L + 1 : 0;
}

/* In a Go binary, while the buildinfo is not found or is in the pointer
 * layout, keeps the places where its strings may be (see design notes). */
static void scan_strings(ex_t *x, uint64_t woff, const unsigned char *w, size_t n)
{
    if (!x->go_note || (x->bi_parsed && x->bi_inline)) return;
    search(x, woff, w, n, mod_start, 16, &x->sent_from, &x->nsent, MAX_SENT, SENT_CAP);
    search(x, woff, w, n, "go1.", 4, &x->go1_from, &x->ngo1, MAX_GO1, GO1_LEN);
}

static bool uvarint(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
    *v = 0;
    for (unsigned sh = 0; sh < 64 && *p < end; sh += 7) {
        unsigned char b = *(*p)++;
        *v |= (uint64_t)(b & 0x7f) << sh;
        if (!(b & 0x80)) return true;
    }
    return false;
}

/* Parses the buildinfo header once its capture is complete. */
static void bi_header(ex_t *x)
{
    if (x->bi_parsed || !complete(x, x->bi)) return;
    x->bi_parsed = true;
    const cap_t *c = &x->cap[x->bi];
    if (c->len < 32) {
        warnf(x, "go build info%s truncated at offset %llu", "", c->off);
        x->bi = -2;
        return;
    }
    unsigned psz = c->data[14], flags = c->data[15];
    if (flags & 2) {
        x->bi_inline = true;
        return;
    }
    if (psz != 4 && psz != 8) {
        warnf(x, "go build info%s: bad pointer size %llu", "", psz);
        x->bi = -2;
        return;
    }
    bool be = x->be;
    unsigned opsz = x->psz;
    x->be = (flags & 1) != 0;
    x->psz = psz;
    for (int k = 0; k < 2; k++) {
        x->bi_vaddr[k] = UPTR(c->data + 16 + (unsigned)k * psz);
        int64_t off = va2off(x, x->bi_vaddr[k], 2u * psz);
        x->bi_hdr[k] = -1;
        if (off < 0) continue;
        x->bi_hdr[k] = held(x, (uint64_t)off, 2u * psz) ? -3 : want(x, (uint64_t)off, 2u * psz);
    }
    x->be = be;
    x->psz = opsz;
}

/* Pointer layout, once a string header is held: its bytes are captured when
 * they are still ahead (bi_string reads them at the end). */
static void bi_want_strings(ex_t *x)
{
    if (x->bi < 0 || !x->bi_parsed || x->bi_inline || x->bi_strs) return;
    const cap_t *c = &x->cap[x->bi];
    unsigned psz = c->data[14];
    int done = 0;
    for (int k = 0; k < 2; k++) {
        int64_t hoff = va2off(x, x->bi_vaddr[k], 2u * psz);
        const unsigned char *h = hoff < 0 ? NULL : held(x, (uint64_t)hoff, 2u * psz);
        if (hoff < 0 || (!h && x->bi_hdr[k] == -1)) {
            done++; /* never to be read: reported at the end */
            continue;
        }
        if (!h) continue;
        done++;
        bool be = x->be;
        x->be = (c->data[15] & 1) != 0;
        uint64_t va = rd(x, h, psz), n = rd(x, h + psz, psz);
        x->be = be;
        int64_t off = n && n <= MAX_GO_STR ? va2off(x, va, n) : -1;
        if (off >= 0 && !held(x, (uint64_t)off, n)) (void)want(x, (uint64_t)off, n);
    }
    if (done == 2) x->bi_strs = true;
}

static void put_field(dd_buf_t *rec, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) dd_buf_putc(rec, s[i] == '\n' || s[i] == '\t' || s[i] == '\r' ? ' ' : s[i]);
}

/* Appends the modinfo's path/mod/dep/=> lines (without its sentinels). */
static void put_modinfo(dd_buf_t *rec, const unsigned char *m, size_t n)
{
    if (n >= 33 && m[n - 17] == '\n') {
        m += 16;
        n -= 32;
    } else {
        return;
    }
    const unsigned char *p = m, *end = m + n;
    while (p < end) {
        const unsigned char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if ((ll > 5 && memcmp(p, "path\t", 5) == 0) || (ll > 4 && memcmp(p, "mod\t", 4) == 0) ||
            (ll > 4 && memcmp(p, "dep\t", 4) == 0) || (ll > 3 && memcmp(p, "=>\t", 3) == 0)) {
            for (size_t i = 0; i < ll; i++) dd_buf_putc(rec, p[i] == '\r' || p[i] == '\0' ? ' ' : (char)p[i]);
            dd_buf_putc(rec, '\n');
        }
        p += ll + 1;
    }
}

/* The pointer layout: reads string k (0 version, 1 modinfo) through its
 * header; NULL (and *len 0) when not held. */
static const unsigned char *bi_string(ex_t *x, int k, uint64_t *len, const char **why)
{
    *len = 0;
    const cap_t *c = &x->cap[x->bi];
    unsigned psz = c->data[14];
    int64_t hoff = va2off(x, x->bi_vaddr[k], 2u * psz);
    if (hoff < 0) return *why = "string header address outside the segments", NULL;
    const unsigned char *h = held(x, (uint64_t)hoff, 2u * psz);
    if (!h) return *why = "string header not read", NULL;
    bool be = x->be;
    x->be = (c->data[15] & 1) != 0;
    uint64_t va = rd(x, h, psz), n = rd(x, h + psz, psz);
    x->be = be;
    if (n == 0) return (const unsigned char *)"";
    if (n > MAX_GO_STR) return *why = "string too long", NULL;
    int64_t off = va2off(x, va, n);
    if (off < 0) return *why = "string address outside the segments", NULL;
    const unsigned char *s = held(x, (uint64_t)off, n);
    if (!s) return *why = "string bytes passed before their address was known", NULL;
    *len = n;
    return s;
}

static void emit_go(ex_t *x, dd_buf_t *rec)
{
    if (x->bi < 0 || !x->bi_parsed) {
        if (x->bi >= 0) warnf(x, "go build info%s at offset %llu is truncated", "", x->cap[x->bi].off);
        return;
    }
    const cap_t *c = &x->cap[x->bi];
    const unsigned char *ver = NULL, *mod = NULL;
    uint64_t vl = 0, ml = 0;
    if (x->bi_inline) {
        const unsigned char *p = c->data + 32, *end = c->data + c->got;
        if (!uvarint(&p, end, &vl) || vl > (uint64_t)(end - p)) {
            warnf(x, "go build info%s at offset %llu: bad or truncated version string", "", c->off);
            return;
        }
        ver = p;
        p += vl;
        if (!uvarint(&p, end, &ml) || ml > (uint64_t)(end - p)) {
            warnf(x, "go build info%s at offset %llu: bad or truncated module string", "", c->off);
            return;
        }
        mod = p;
    } else {
        const char *why = NULL;
        ver = bi_string(x, 0, &vl, &why);
        if (!ver) {
            warnf(x, "go build info (pointer layout): version %s (offset %llu)", why, c->off);
            return;
        }
        mod = bi_string(x, 1, &ml, &why);
        if (!mod) warnf(x, "go build info (pointer layout): module info %s (offset %llu)", why, c->off);
    }
    if (vl == 0) return;
    dd_buf_puts(rec, "go\t");
    put_field(rec, (const char *)ver, (size_t)vl);
    dd_buf_putc(rec, '\n');
    if (mod) put_modinfo(rec, mod, (size_t)ml);
}

/* ---- Rust ---------------------------------------------------------------- */

static void sections(ex_t *x)
{
    if (!x->sh_parsed && complete(x, x->shdr)) {
        x->sh_parsed = true;
        const unsigned char *t = held(x, x->shoff, (uint64_t)x->shnum * x->shent);
        if (!t || x->shstrndx >= x->shnum) return;
        const unsigned char *s = t + (uint64_t)x->shstrndx * x->shent;
        uint64_t off = x->is64 ? rd(x, s + 24, 8) : U32(s + 16);
        uint64_t size = x->is64 ? rd(x, s + 32, 8) : U32(s + 20);
        if (size == 0 || size > SHSTR_CAP || off > x->size || size > x->size - off) return;
        x->shstr = held(x, off, size) ? -3 : want(x, off, size);
    }
    if (x->sh_parsed && !x->shstr_parsed && (x->shstr == -3 || complete(x, x->shstr))) {
        x->shstr_parsed = true;
        const unsigned char *t = held(x, x->shoff, (uint64_t)x->shnum * x->shent);
        const unsigned char *s = t + (uint64_t)x->shstrndx * x->shent;
        uint64_t soff = x->is64 ? rd(x, s + 24, 8) : U32(s + 16);
        uint64_t ssize = x->is64 ? rd(x, s + 32, 8) : U32(s + 20);
        const unsigned char *names = held(x, soff, ssize);
        for (unsigned i = 0; names && i < x->shnum; i++) {
            const unsigned char *h = t + (uint64_t)i * x->shent;
            uint32_t name = U32(h), type = U32(h + 4);
            if (name >= ssize || ssize - name < 8 || memcmp(names + name, ".dep-v0", 8) != 0) continue;
            uint64_t flags = x->is64 ? rd(x, h + 8, 8) : U32(h + 8);
            uint64_t off = x->is64 ? rd(x, h + 24, 8) : U32(h + 16);
            uint64_t size = x->is64 ? rd(x, h + 32, 8) : U32(h + 20);
            if (type == SHT_NOBITS || size == 0) return;
            if (flags & SHF_COMPRESSED) return warnf(x, "cargo-auditable data%s: compressed section (offset %llu)", "", off);
            if (size > DEP_CAP) return warnf(x, "cargo-auditable data%s over 8 MiB (%llu bytes)", "", size);
            if (off > x->size || size > x->size - off)
                return warnf(x, "cargo-auditable data%s outside the file (offset %llu)", "", off);
            x->dep_off = off, x->dep_len = size;
            x->dep = held(x, off, size) ? -3 : want(x, off, size);
            if (x->dep == -1)
                warnf(x, "cargo-auditable data%s at offset %llu passed before the section headers", "", off);
            return;
        }
    }
}

static void emit_rust(ex_t *x, dd_buf_t *rec)
{
    if (!x->dep_len || x->dep == -1) return;
    const unsigned char *z = held(x, x->dep_off, x->dep_len);
    if (!z) return warnf(x, "cargo-auditable data%s at offset %llu is truncated", "", x->dep_off);
    size_t room = DD_EXTRACT_MAX_RECORD > rec->len + 64 ? DD_EXTRACT_MAX_RECORD - rec->len - 64 : 0;
    unsigned char *out = dd_malloc(room + 1);
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit(&zs) != Z_OK) {
        free(out);
        return warnf(x, "cargo-auditable data%s: zlib init failed (%llu)", "", 0);
    }
    zs.next_in = (unsigned char *)z;
    zs.avail_in = (uInt)x->dep_len;
    zs.next_out = out;
    zs.avail_out = (uInt)room;
    int zr = inflate(&zs, Z_FINISH);
    size_t n = room - zs.avail_out;
    inflateEnd(&zs);
    if (zr != Z_STREAM_END) {
        free(out);
        if (zs.avail_out == 0)
            return warnf(x, "cargo-auditable data%s inflates to more than %llu bytes", "", (uint64_t)room);
        return warnf(x, "cargo-auditable data%s: bad zlib stream (offset %llu)", "", x->dep_off);
    }
    if (memchr(out, '\0', n)) {
        free(out);
        return warnf(x, "cargo-auditable data%s holds a NUL byte (offset %llu)", "", x->dep_off);
    }
    for (size_t i = 0; i < n; i++)
        if (out[i] == '\n' || out[i] == '\r') out[i] = ' ';
    dd_buf_puts(rec, "rust ");
    dd_buf_append(rec, out, n);
    dd_buf_putc(rec, '\n');
    free(out);
}

/* ---- the pass ------------------------------------------------------------ */

static void progress(ex_t *x)
{
    bi_header(x);
    bi_want_strings(x);
    sections(x);
    sections(x);
}

static bool need_more(const ex_t *x)
{
    if (x->bi == -1 && x->pos < x->w_end) return true;
    if (x->go_note && !x->bi_parsed && x->pos < x->load_end) return true;
    for (unsigned i = 0; i < x->ncap; i++)
        if (x->cap[i].got < x->cap[i].len && x->cap[i].off + x->cap[i].got >= x->pos) return true;
    return false;
}

/* Reads up to n bytes (fewer only at the end). -1 on a read error. */
static ssize_t fill(dd_extract_read_fn read, void *arg, unsigned char *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(arg, buf + got, n - got);
        if (r < 0) return -1;
        if (r == 0) break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

static int elf_extract(dd_extract_read_fn read, void *arg, uint64_t size, const char *path, dd_buf_t *rec,
                       dd_err_t *e)
{
    (void)path;
    ex_t *x = dd_calloc(1, sizeof *x);
    x->size = size;
    x->bi = x->shdr = x->shstr = x->dep = -1;
    x->bi_hdr[0] = x->bi_hdr[1] = -1;
    dd_buf_init(&x->warn, 8192);
    unsigned char *win = dd_malloc(CARRY + CHUNK);
    size_t carry = 0;
    int rc = DD_OK;
    for (bool first = true;; first = false) {
        if (!first && !need_more(x)) break;
        ssize_t n = fill(read, arg, win + carry, CHUNK);
        if (n < 0) {
            rc = dd_err(e, DD_EIO, "cannot read the binary");
            break;
        }
        if (n == 0) break;
        uint64_t start = x->pos;
        x->pos += (uint64_t)n;
        x->avail = start - carry;
        if (first) {
            rc = header(x, win, (size_t)n, e);
            if (rc != DD_OK) break;
        }
        feed(x, x->avail, win, carry + (size_t)n);
        scan_magic(x, start, win + carry, (size_t)n);
        scan_strings(x, x->avail, win, carry + (size_t)n);
        /* new captures may lie in this window already: feed until stable */
        for (unsigned before = (unsigned)-1; before != x->ncap;) {
            before = x->ncap;
            feed(x, x->avail, win, carry + (size_t)n);
            progress(x);
        }
        size_t keep = carry + (size_t)n < CARRY ? carry + (size_t)n : CARRY;
        memmove(win, win + carry + (size_t)n - keep, keep);
        carry = keep;
    }
    if (rc == DD_OK) {
        if (x->pos < x->size && need_more(x))
            warnf(x, "binary ends early%s (%llu bytes read)", "", x->pos);
        emit_go(x, rec);
        emit_rust(x, rec);
        if (x->warn.len) dd_buf_append(rec, x->warn.ptr, x->warn.len);
    }
    for (unsigned i = 0; i < x->ncap; i++) free(x->cap[i].data);
    dd_buf_release(&x->warn);
    free(win);
    free(x);
    return rc;
}

const dd_extractor_t dd_extractor_elf = {
    .version = DD_EXTRACTOR_V1,
    .name = "elf",
    .sniff = elf_sniff,
    .extract = elf_extract,
};
