/*
 * jsonw.c: the one JSON writer (see dd/jsonw.h): separators and nesting
 * tracked, strings escaped with their UTF-8 validated, the first failure
 * sticky.
 */
#include "dd/jsonw.h"

#include <stdio.h>
#include <string.h>

void dd_jw_init(dd_jw_t *w, dd_buf_t *b)
{
    memset(w, 0, sizeof *w);
    w->b = b;
    w->first[0] = true;
}

static void fail(dd_jw_t *w, int rc)
{
    if (w->rc == DD_OK) w->rc = rc;
}

static void put(dd_jw_t *w, const void *p, size_t n)
{
    if (w->rc == DD_OK && dd_buf_append(w->b, p, n) != DD_OK) fail(w, DD_ELIMIT);
}

/* Before a value (or a key): the separator, if one is due. */
static bool value_start(dd_jw_t *w)
{
    if (w->rc != DD_OK) return false;
    if (w->after_key) {
        w->after_key = false;
        return true;
    }
    if (w->depth > 0 && w->close[w->depth] == '}') {
        fail(w, DD_EINVAL); /* a value where a key belongs */
        return false;
    }
    if (!w->first[w->depth]) put(w, ",", 1);
    w->first[w->depth] = false;
    return w->rc == DD_OK;
}

static void open_(dd_jw_t *w, char open, char close)
{
    if (!value_start(w)) return;
    if (w->depth + 1 >= DD_JW_DEPTH) {
        fail(w, DD_ELIMIT);
        return;
    }
    put(w, &open, 1);
    w->depth++;
    w->first[w->depth] = true;
    w->close[w->depth] = close;
}

void dd_jw_obj(dd_jw_t *w) { open_(w, '{', '}'); }
void dd_jw_arr(dd_jw_t *w) { open_(w, '[', ']'); }

void dd_jw_end(dd_jw_t *w)
{
    if (w->rc != DD_OK) return;
    if (w->depth == 0 || w->after_key) {
        fail(w, DD_EINVAL);
        return;
    }
    put(w, &w->close[w->depth], 1);
    w->depth--;
}

/* Length of the valid UTF-8 sequence at p (1..4), or 0 if invalid. */
static size_t utf8_len(const unsigned char *p)
{
    unsigned c = p[0];
    if (c < 0x80) return 1;
    size_t n;
    unsigned min;
    if (c >= 0xc2 && c <= 0xdf) n = 2, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef) n = 3, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4) n = 4, min = 0x10000;
    else return 0;
    unsigned cp = c & (0x3f >> (n - 1));
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return n;
}

static void put_string(dd_jw_t *w, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    put(w, "\"", 1);
    const unsigned char *p = (const unsigned char *)s, *run = p;
    while (*p && w->rc == DD_OK) {
        const char *esc = NULL;
        char u[7];
        size_t n = 1;
        switch (*p) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        default:
            if (*p < 0x20) {
                snprintf(u, sizeof u, "\\u00%c%c", hex[*p >> 4], hex[*p & 15]);
                esc = u;
            } else if (*p >= 0x80 && (n = utf8_len(p)) == 0) {
                esc = "\xef\xbf\xbd"; /* U+FFFD for an invalid byte */
                n = 1;
            }
        }
        if (esc) {
            put(w, run, (size_t)(p - run));
            put(w, esc, strlen(esc));
            run = p + n;
        }
        p += n;
    }
    put(w, run, (size_t)(p - run));
    put(w, "\"", 1);
}

void dd_jw_key(dd_jw_t *w, const char *k)
{
    if (w->rc != DD_OK) return;
    if (w->depth == 0 || w->close[w->depth] != '}' || w->after_key) {
        fail(w, DD_EINVAL);
        return;
    }
    if (!w->first[w->depth]) put(w, ",", 1);
    w->first[w->depth] = false;
    put_string(w, k);
    put(w, ":", 1);
    w->after_key = true;
}

void dd_jw_str(dd_jw_t *w, const char *s)
{
    if (!s) {
        dd_jw_null(w);
        return;
    }
    if (value_start(w)) put_string(w, s);
}

static void put_fmt(dd_jw_t *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put_fmt(dd_jw_t *w, const char *fmt, ...)
{
    char tmp[64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp) fail(w, DD_ELIMIT);
    else put(w, tmp, (size_t)n);
}

void dd_jw_int(dd_jw_t *w, int64_t v)
{
    if (value_start(w)) put_fmt(w, "%lld", (long long)v);
}

void dd_jw_fixed(dd_jw_t *w, double v, int decimals)
{
    if (!value_start(w)) return;
    if (v != v || v > 1e300 || v < -1e300) put(w, "null", 4); /* JSON has no NaN or infinity */
    else put_fmt(w, "%.*f", decimals, v);
}

void dd_jw_bool(dd_jw_t *w, bool v)
{
    if (value_start(w)) put(w, v ? "true" : "false", v ? 4 : 5);
}

void dd_jw_null(dd_jw_t *w)
{
    if (value_start(w)) put(w, "null", 4);
}

void dd_jw_raw(dd_jw_t *w, const char *json, size_t n)
{
    if (value_start(w)) put(w, json, n);
}

int dd_jw_finish(dd_jw_t *w)
{
    if (w->rc == DD_OK && (w->depth != 0 || w->after_key)) w->rc = DD_EINVAL;
    return w->rc;
}
