/*
 * buf.c: dd_buf_t, a growable byte buffer with a hard cap. Every decoder of
 * untrusted input gets a buffer whose cap is its limit, so exceeding the
 * limit is an ordinary error (DD_ELIMIT) rather than an allocation storm.
 */
#include "dd/core.h"
#include "dd/jsonw.h"

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

int dd_buf_json_str(dd_buf_t *b, const char *s)
{
    /* the one JSON writer's string: escaped, UTF-8 validated */
    dd_jw_t w;
    dd_jw_init(&w, b);
    dd_jw_str(&w, s);
    return dd_jw_finish(&w);
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
