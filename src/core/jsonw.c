/*
 * jsonw.c: the one JSON writer (see dd/jsonw.h): separators and nesting
 * tracked, strings through dd_buf_json_str() (escaped, UTF-8 validated),
 * the first failure sticky.
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

/* The string itself: dd_buf_json_str() is the one escaper (control
 * characters escaped, bytes outside well-formed UTF-8 as U+FFFD). */
static void put_string(dd_jw_t *w, const char *s)
{
    if (w->rc == DD_OK && dd_buf_json_str(w->b, s) != DD_OK) fail(w, DD_ELIMIT);
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
