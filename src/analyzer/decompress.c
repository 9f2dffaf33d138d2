/*
 * decompress.c: the streaming decompressor in front of the tar reader.
 *
 * Design notes
 *   - One fixed input buffer (DD_DECOMP_BUF) filled from the caller's read
 *     function, one fixed output buffer of the same size. Memory does not
 *     depend on the layer: ISA-L's inflate_state is ~200 KiB, a zstd
 *     DStream is bounded by ZSTD_d_windowLogMax (27, 128 MiB worst case for
 *     --long frames; ordinary levels use 8 MiB or less).
 *   - gzip: ISA-L igzip with crc_flag = ISAL_GZIP, so headers are parsed and
 *     every member's CRC32 and ISIZE are verified. After a member ends the
 *     next bytes must be another member (1f 8b: multi-member gzip, as pigz
 *     and concatenated streams produce) or zero padding up to the end.
 *   - zstd: ZSTD_decompressStream; concatenated and skippable frames are
 *     handled by libzstd. A stream that ends inside a frame is truncated.
 *   - none: chunks are handed out straight from the input buffer (no copy).
 *   - Limits are checked after every chunk: absolute output, and the
 *     output/input ratio once output passes DD_ANALYZE_RATIO_GRACE.
 *
 * States: SNIFF -> STREAM -> (member end -> STREAM)* -> END | ERROR.
 * An error is sticky: every later call returns the same rc.
 */
#include "analyzer_int.h"

#include <errno.h>
#include <isa-l/igzip_lib.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>
#include <zstd_errors.h>

struct dd_decomp {
    int kind;
    dd_read_fn fn;
    void *arg;
    dd_analyze_limits_t lim;
    uint8_t *in;
    size_t in_len, in_pos;
    bool in_eof;
    uint8_t *out;
    struct inflate_state *gz;
    bool member_done;
    ZSTD_DStream *zs;
    size_t zlast;          /* last ZSTD_decompressStream return: 0 at frame end */
    bool ended;
    int err_rc;
    dd_err_t err;
    uint64_t bytes_in, bytes_out;
    dd_hasher_t *diff;
};

/* Reads more input into the buffer, keeping unread bytes. Returns bytes
 * added (0 at EOF) or an rc < 0. */
static ssize_t fill(dd_decomp_t *d)
{
    if (d->in_eof) return 0;
    if (d->in_pos > 0) {
        memmove(d->in, d->in + d->in_pos, d->in_len - d->in_pos);
        d->in_len -= d->in_pos;
        d->in_pos = 0;
    }
    if (d->in_len == DD_DECOMP_BUF) return 0;
    for (;;) {
        ssize_t r = d->fn(d->arg, d->in + d->in_len, DD_DECOMP_BUF - d->in_len);
        if (r < 0) {
            if (errno == EINTR) continue;
            d->err_rc = dd_err(&d->err, DD_EIO, "error reading layer stream");
            return d->err_rc;
        }
        if (r == 0) d->in_eof = true;
        if ((size_t)r > DD_DECOMP_BUF - d->in_len) {
            d->err_rc = dd_err(&d->err, DD_EIO, "layer reader returned too many bytes");
            return d->err_rc;
        }
        d->in_len += (size_t)r;
        d->bytes_in += (uint64_t)r;
        return r;
    }
}

static bool looks_tar(const uint8_t *h, size_t n)
{
    if (n < 512) return false;
    if (memcmp(h + 257, "ustar", 5) == 0) return true;
    /* all-zero first block: an empty archive */
    bool zero = true;
    for (size_t i = 0; i < 512 && zero; i++) zero = h[i] == 0;
    if (zero) return true;
    /* v7 tar: the header checksum must match (octal at 148, 8 bytes) */
    unsigned long want = 0;
    size_t i = 148;
    while (i < 156 && h[i] == ' ') i++;
    if (i == 156 || h[i] < '0' || h[i] > '7') return false;
    for (; i < 156 && h[i] >= '0' && h[i] <= '7'; i++) want = want * 8 + (unsigned long)(h[i] - '0');
    unsigned long sum = 0;
    for (i = 0; i < 512; i++) sum += (i >= 148 && i < 156) ? ' ' : h[i];
    return sum == want;
}

int dd_layer_sniff(const void *p, size_t n, const char **compression)
{
    const uint8_t *b = p;
    const char *c = NULL;
    if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b) c = "gzip";
    else if (n >= 4 && b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f && b[3] == 0xfd) c = "zstd";
    else if (looks_tar(b, n)) c = "none";
    if (!c) return DD_DECLINED;
    if (compression) *compression = c;
    return DD_OK;
}

int dd_decomp_open(dd_read_fn fn, void *arg, const dd_analyze_limits_t *lim, dd_decomp_t **out,
                   dd_err_t *e)
{
    dd_decomp_t *d = dd_calloc(1, sizeof *d);
    d->fn = fn;
    d->arg = arg;
    d->lim = *lim;
    d->in = dd_malloc(DD_DECOMP_BUF);
    while (d->in_len < 512 && !d->in_eof) {
        ssize_t r = fill(d);
        if (r < 0) {
            int rc = dd_err(e, d->err_rc, "%s", d->err.msg);
            dd_decomp_free(d);
            return rc;
        }
    }
    const char *c;
    if (dd_layer_sniff(d->in, d->in_len, &c) != DD_OK) {
        dd_decomp_free(d);
        return dd_err(e, DD_DECLINED, "not a layer: unknown first bytes (not gzip, zstd or tar)");
    }
    if (strcmp(c, "gzip") == 0) {
        d->kind = DD_COMP_GZIP;
        d->gz = dd_malloc(sizeof *d->gz);
        isal_inflate_init(d->gz);
        d->gz->crc_flag = ISAL_GZIP;
    } else if (strcmp(c, "zstd") == 0) {
        d->kind = DD_COMP_ZSTD;
        d->zs = ZSTD_createDStream();
        if (!d->zs) {
            dd_decomp_free(d);
            return dd_err(e, DD_ENOMEM, "cannot create zstd stream");
        }
        ZSTD_DCtx_setParameter(d->zs, ZSTD_d_windowLogMax, 27);
        d->zlast = 1;
    } else {
        d->kind = DD_COMP_NONE;
    }
    if (d->kind != DD_COMP_NONE) d->out = dd_malloc(DD_DECOMP_BUF);
    if (lim->compute_diff_id) d->diff = dd_hasher_new(DD_DIGEST_SHA256);
    *out = d;
    return DD_OK;
}

/* gzip: after a member, either another member, zero padding, or the end. */
static int gzip_next_member(dd_decomp_t *d)
{
    for (;;) {
        while (d->in_pos < d->in_len && d->in[d->in_pos] == 0) d->in_pos++;
        if (d->in_pos == d->in_len) {
            ssize_t r = fill(d);
            if (r < 0) return (int)r;
            if (r == 0 && d->in_pos == d->in_len) {
                d->ended = true;
                return DD_OK;
            }
            continue;
        }
        if (d->in_len - d->in_pos < 2 && !d->in_eof) {
            ssize_t r = fill(d);
            if (r < 0) return (int)r;
            continue;
        }
        if (d->in_len - d->in_pos >= 2 && d->in[d->in_pos] == 0x1f && d->in[d->in_pos + 1] == 0x8b) {
            isal_inflate_reset(d->gz);
            d->gz->crc_flag = ISAL_GZIP;
            d->member_done = false;
            return DD_OK;
        }
        return d->err_rc = dd_err(&d->err, DD_ECORRUPT, "corrupt gzip stream: trailing garbage after member");
    }
}

static const char *isal_msg(int r)
{
    switch (r) {
    case ISAL_INVALID_BLOCK: return "invalid deflate block";
    case ISAL_INVALID_SYMBOL: return "invalid deflate symbol";
    case ISAL_INVALID_LOOKBACK: return "invalid lookback distance";
    case ISAL_INVALID_WRAPPER: return "invalid gzip header";
    case ISAL_UNSUPPORTED_METHOD: return "unsupported compression method";
    case ISAL_INCORRECT_CHECKSUM: return "checksum mismatch";
    case ISAL_NEED_DICT: return "needs a dictionary";
    default: return "decompression error";
    }
}

static ssize_t gzip_chunk(dd_decomp_t *d)
{
    size_t produced = 0;
    while (produced < DD_DECOMP_BUF / 2 && !d->ended) {
        if (d->member_done) {
            int rc = gzip_next_member(d);
            if (rc < 0) return rc;
            continue;
        }
        if (d->in_pos == d->in_len) {
            ssize_t r = fill(d);
            if (r < 0) return r;
        }
        struct inflate_state *s = d->gz;
        s->next_in = d->in + d->in_pos;
        s->avail_in = (uint32_t)(d->in_len - d->in_pos);
        s->next_out = d->out + produced;
        s->avail_out = (uint32_t)(DD_DECOMP_BUF - produced);
        uint32_t before_in = s->avail_in, before_out = s->avail_out;
        int r = isal_inflate(s);
        d->in_pos += before_in - s->avail_in;
        produced += before_out - s->avail_out;
        if (r < 0 || r == ISAL_NEED_DICT)
            return d->err_rc = dd_err(&d->err, DD_ECORRUPT, "corrupt gzip stream: %s", isal_msg(r));
        if (s->block_state == ISAL_BLOCK_FINISH) {
            d->member_done = true;
            continue;
        }
        if (before_in == s->avail_in && before_out == s->avail_out && d->in_eof &&
            d->in_pos == d->in_len)
            return d->err_rc = dd_err(&d->err, DD_ECORRUPT, "corrupt gzip stream: truncated");
        if (s->avail_out == 0) break;
    }
    return (ssize_t)produced;
}

/* A zstd error: a frame asking for a window over windowLogMax is a limit,
 * anything else a corrupt stream. */
static ssize_t zstd_fail(dd_decomp_t *d, size_t z)
{
    if (ZSTD_getErrorCode(z) == ZSTD_error_frameParameter_windowTooLarge)
        return d->err_rc = dd_err(&d->err, DD_ELIMIT, "zstd frame needs a window over 128 MiB (limit)");
    return d->err_rc = dd_err(&d->err, DD_ECORRUPT, "corrupt zstd stream: %s", ZSTD_getErrorName(z));
}

static ssize_t zstd_chunk(dd_decomp_t *d)
{
    ZSTD_outBuffer ob = {d->out, DD_DECOMP_BUF, 0};
    while (ob.pos < DD_DECOMP_BUF / 2 && !d->ended) {
        if (d->in_pos == d->in_len) {
            ssize_t r = fill(d);
            if (r < 0) return r;
            if (r == 0 && d->in_pos == d->in_len) {
                /* no more input: all output must be flushed and the frame complete */
                if (d->zlast != 0) {
                    size_t before = ob.pos;
                    ZSTD_inBuffer ib = {d->in, 0, 0};
                    size_t z = ZSTD_decompressStream(d->zs, &ob, &ib);
                    if (ZSTD_isError(z)) return zstd_fail(d, z);
                    d->zlast = z;
                    if (ob.pos > before) continue;
                    if (z != 0)
                        return d->err_rc = dd_err(&d->err, DD_ECORRUPT, "corrupt zstd stream: truncated");
                }
                d->ended = true;
                break;
            }
        }
        ZSTD_inBuffer ib = {d->in + d->in_pos, d->in_len - d->in_pos, 0};
        size_t z = ZSTD_decompressStream(d->zs, &ob, &ib);
        d->in_pos += ib.pos;
        if (ZSTD_isError(z)) return zstd_fail(d, z);
        d->zlast = z;
        if (ob.pos == ob.size) break;
    }
    return (ssize_t)ob.pos;
}

static int check_limits(dd_decomp_t *d)
{
    if (d->bytes_out > d->lim.max_out_bytes)
        return d->err_rc = dd_err(&d->err, DD_ELIMIT,
                                  "layer decompresses to more than %llu bytes (limit)",
                                  (unsigned long long)d->lim.max_out_bytes);
    if (d->kind != DD_COMP_NONE && d->bytes_out > DD_ANALYZE_RATIO_GRACE && d->lim.max_ratio &&
        d->bytes_out / (d->bytes_in ? d->bytes_in : 1) > d->lim.max_ratio)
        return d->err_rc = dd_err(&d->err, DD_ELIMIT,
                                  "decompression bomb: %llu bytes from %llu compressed (ratio over %u)",
                                  (unsigned long long)d->bytes_out, (unsigned long long)d->bytes_in,
                                  d->lim.max_ratio);
    return DD_OK;
}

ssize_t dd_decomp_next(dd_decomp_t *d, const void **p, dd_err_t *e)
{
    if (d->err_rc) return dd_err(e, d->err_rc, "%s", d->err.msg);
    ssize_t n = 0;
    if (d->kind == DD_COMP_NONE) {
        if (d->in_pos == d->in_len) {
            d->in_pos = d->in_len = 0;
            n = fill(d);
            if (n < 0) return dd_err(e, d->err_rc, "%s", d->err.msg);
        }
        n = (ssize_t)(d->in_len - d->in_pos);
        *p = d->in + d->in_pos;
        d->in_pos = d->in_len;
    } else {
        n = d->kind == DD_COMP_GZIP ? gzip_chunk(d) : zstd_chunk(d);
        if (n < 0) return dd_err(e, d->err_rc, "%s", d->err.msg);
        *p = d->out;
    }
    d->bytes_out += (uint64_t)n;
    if (n > 0 && d->diff) dd_hasher_update(d->diff, *p, (size_t)n);
    if (check_limits(d) < 0) return dd_err(e, d->err_rc, "%s", d->err.msg);
    if (n > 0 && d->lim.progress) d->lim.progress(d->lim.progress_arg, d->bytes_in, d->bytes_out);
    return n;
}

int dd_decomp_kind(const dd_decomp_t *d) { return d->kind; }
uint64_t dd_decomp_bytes_in(const dd_decomp_t *d) { return d->bytes_in; }
uint64_t dd_decomp_bytes_out(const dd_decomp_t *d) { return d->bytes_out; }

void dd_decomp_diff_id(dd_decomp_t *d, dd_digest_t *out)
{
    memset(out, 0, sizeof *out);
    if (!d->diff) return;
    dd_hasher_final(d->diff, out);
    dd_hasher_free(d->diff);
    d->diff = NULL;
}

void dd_decomp_free(dd_decomp_t *d)
{
    if (!d) return;
    free(d->in);
    free(d->out);
    free(d->gz);
    if (d->zs) ZSTD_freeDStream(d->zs);
    dd_hasher_free(d->diff);
    free(d);
}
