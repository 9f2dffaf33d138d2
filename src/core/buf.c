/*
 * buf.c: dd_buf_t, a growable byte buffer with a hard cap. Every decoder of
 * untrusted input gets a buffer whose cap is its limit, so exceeding the
 * limit is an ordinary error (DD_ELIMIT) rather than an allocation storm.
 */
#include "dd/core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void dd_buf_init(dd_buf_t *b, size_t max)
{
    b->ptr = NULL;
    b->len = b->cap = 0;
    b->max = max;
}

void dd_buf_release(dd_buf_t *b)
{
    free(b->ptr);
    b->ptr = NULL;
    b->len = b->cap = 0;
}

void dd_buf_reset(dd_buf_t *b)
{
    b->len = 0;
    if (b->ptr) b->ptr[0] = '\0';
}

static int grow(dd_buf_t *b, size_t extra)
{
    if (b->max && (extra > b->max || b->len > b->max - extra))
        return DD_ELIMIT;
    size_t need = b->len + extra + 1;
    if (need <= b->cap) return DD_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) cap *= 2;
    if (b->max && cap > b->max + 1) cap = b->max + 1;
    b->ptr = dd_realloc(b->ptr, cap);
    b->cap = cap;
    return DD_OK;
}

int dd_buf_append(dd_buf_t *b, const void *p, size_t n)
{
    if (grow(b, n) != DD_OK) return DD_ELIMIT;
    if (n) memcpy(b->ptr + b->len, p, n);
    b->len += n;
    b->ptr[b->len] = '\0';
    return DD_OK;
}

int dd_buf_puts(dd_buf_t *b, const char *s)
{
    return dd_buf_append(b, s, strlen(s));
}

int dd_buf_putc(dd_buf_t *b, char c)
{
    return dd_buf_append(b, &c, 1);
}

int dd_buf_vprintf(dd_buf_t *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    char tmp[256];
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap2);
    va_end(ap2);
    if (n < 0) return DD_EINVAL;
    if ((size_t)n < sizeof tmp) return dd_buf_append(b, tmp, (size_t)n);
    if (grow(b, (size_t)n) != DD_OK) return DD_ELIMIT;
    vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return DD_OK;
}

int dd_buf_printf(dd_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = dd_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

/* Length of the well-formed UTF-8 sequence at p (1-4), or 0 when the bytes
 * there are not one (bad lead byte, bad or missing continuation, overlong
 * form, surrogate, beyond U+10FFFF). Stops at the terminating NUL, which is
 * never a continuation byte. */
static size_t utf8_seq(const unsigned char *p)
{
    unsigned c = p[0];
    if (c < 0x80) return 1;
    size_t n;
    unsigned lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) n = 2;
    else if (c == 0xe0) { n = 3; lo = 0xa0; }
    else if (c == 0xed) { n = 3; hi = 0x9f; }
    else if (c >= 0xe1 && c <= 0xef) n = 3;
    else if (c == 0xf0) { n = 4; lo = 0x90; }
    else if (c == 0xf4) { n = 4; hi = 0x8f; }
    else if (c >= 0xf1 && c <= 0xf3) n = 4;
    else return 0;
    if (p[1] < lo || p[1] > hi) return 0;
    for (size_t i = 2; i < n; i++)
        if ((p[i] & 0xc0) != 0x80) return 0;
    return n;
}

size_t dd_utf8_prefix(const char *s, size_t max)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t at = 0;
    while (p[at]) {
        size_t n = utf8_seq(p + at);
        if (!n) n = 1; /* an invalid byte stands alone; the writer makes it U+FFFD */
        if (at + n > max) break;
        at += n;
    }
    return at;
}

int dd_buf_utf8_valid(dd_buf_t *b, const void *bytes, size_t n)
{
    const unsigned char *p = bytes, *end = p + n, *run = p;
    while (p < end) {
        size_t k = 1;
        if (*p >= 0x80) {
            /* utf8_seq stops at a NUL; look only inside [p, end) */
            unsigned char tmp[5] = {0};
            memcpy(tmp, p, (size_t)(end - p) < 4 ? (size_t)(end - p) : 4);
            k = utf8_seq(tmp);
            if (!k) {
                if (dd_buf_append(b, run, (size_t)(p - run)) || dd_buf_append(b, "\xef\xbf\xbd", 3))
                    return DD_ELIMIT;
                run = p + 1;
                k = 1;
            }
        }
        p += k;
    }
    return dd_buf_append(b, run, (size_t)(p - run));
}

/* Every JSON string Drydock writes goes through here, so this is where the
 * output is made valid whatever the input: ", \ and every control character
 * (C0, DEL and the C1 range U+0080-U+009F) are escaped, and a byte that does
 * not begin a well-formed UTF-8 sequence becomes U+FFFD (one per byte, as the
 * Unicode "maximal subpart" practice would give at most). */
int dd_buf_json_str(dd_buf_t *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    if (dd_buf_putc(b, '"')) return DD_ELIMIT;
    const unsigned char *p = (const unsigned char *)s;
    const unsigned char *run = p;
    while (*p) {
        const char *esc = NULL;
        char u[7];
        size_t n = 1;
        unsigned cp = *p;
        switch (*p) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        default:
            if (*p >= 0x80) {
                n = utf8_seq(p);
                if (!n) {
                    esc = "\xef\xbf\xbd"; /* U+FFFD */
                    n = 1;
                    break;
                }
                if (n == 2) cp = ((p[0] & 0x1fu) << 6) | (p[1] & 0x3fu);
            }
            if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) {
                u[0] = '\\'; u[1] = 'u'; u[2] = '0'; u[3] = '0';
                u[4] = hex[cp >> 4]; u[5] = hex[cp & 15]; u[6] = 0;
                esc = u;
            }
        }
        if (esc) {
            if (dd_buf_append(b, run, (size_t)(p - run))) return DD_ELIMIT;
            if (dd_buf_puts(b, esc)) return DD_ELIMIT;
            run = p + n;
        }
        p += n;
    }
    if (dd_buf_append(b, run, (size_t)(p - run))) return DD_ELIMIT;
    return dd_buf_putc(b, '"');
}

int dd_buf_pct_encode(dd_buf_t *b, const char *s, const char *keep)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~", *p) || (keep && strchr(keep, *p))) {
            if (dd_buf_putc(b, (char)*p)) return DD_ELIMIT;
        } else {
            char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            if (dd_buf_append(b, e, 3)) return DD_ELIMIT;
        }
    }
    return DD_OK;
}

char *dd_buf_detach(dd_buf_t *b, size_t *len_out)
{
    char *p = b->ptr;
    if (!p) p = dd_calloc(1, 1);
    if (len_out) *len_out = b->len;
    dd_buf_init(b, b->max);
    return p;
}
