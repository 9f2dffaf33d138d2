/*
 * value.c: the query engine's values: deep copies into an arena (per-row
 * scratch memory is a dd_arena_t reset to a mark), ordering, hashing,
 * conversion from jansson, and the text forms of datetimes and timespans.
 *
 * Datetimes and timespans are int64 counts of 100 ns ticks (Kusto's unit);
 * datetimes count from the Unix epoch.
 */
#include "query/qint.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- memory --------------------------------------------------------------- */
char *qstrndup(dd_arena_t *a, const char *s, size_t n)
{
    char *p = dd_arena_alloc(a, n + 1);
    if (n) memcpy(p, s, n);
    p[n] = 0;
    return p;
}

/* ---- basics ---------------------------------------------------------------- */
dd_qval_t dd_qval_str(const char *s)
{
    if (!s) s = "";
    return dd_qval_strn(s, strlen(s));
}

const char *dd_qtype_name(dd_qtype_t t)
{
    switch (t) {
    case DD_QT_NULL: return "null";
    case DD_QT_BOOL: return "bool";
    case DD_QT_LONG: return "long";
    case DD_QT_REAL: return "real";
    case DD_QT_STRING: return "string";
    case DD_QT_DATETIME: return "datetime";
    case DD_QT_TIMESPAN: return "timespan";
    case DD_QT_ARRAY: return "dynamic";
    case DD_QT_OBJECT: return "dynamic";
    case DD_QT_DYNAMIC: return "dynamic";
    }
    return "dynamic";
}

dd_qval_t qval_str_copy(dd_arena_t *a, const char *s, size_t n)
{
    return dd_qval_strn(qstrndup(a, s, n), n);
}

dd_qval_t qval_copy(dd_arena_t *a, const dd_qval_t *v)
{
    dd_qval_t r = *v;
    switch (v->t) {
    case DD_QT_STRING:
        r.u.s = qstrndup(a, v->u.s, v->len);
        break;
    case DD_QT_ARRAY: {
        dd_qarray_t *arr = dd_arena_alloc(a, sizeof *arr + v->u.a->n * sizeof(dd_qval_t));
        arr->n = v->u.a->n;
        for (uint32_t i = 0; i < arr->n; i++) arr->v[i] = qval_copy(a, &v->u.a->v[i]);
        r.u.a = arr;
        break;
    }
    case DD_QT_OBJECT: {
        dd_qobject_t *o = dd_arena_alloc(a, sizeof *o + v->u.o->n * sizeof(dd_qkv_t));
        o->n = v->u.o->n;
        for (uint32_t i = 0; i < o->n; i++) {
            o->kv[i].key = qstrndup(a, v->u.o->kv[i].key, v->u.o->kv[i].klen);
            o->kv[i].klen = v->u.o->kv[i].klen;
            o->kv[i].v = qval_copy(a, &v->u.o->kv[i].v);
        }
        r.u.o = o;
        break;
    }
    default:
        break;
    }
    return r;
}

static size_t al8(size_t n) { return (n + 7) & ~(size_t)7; }

size_t qval_flat_size(const dd_qval_t *v)
{
    switch (v->t) {
    case DD_QT_STRING: return al8(v->len + 1);
    case DD_QT_ARRAY: {
        size_t n = al8(sizeof(dd_qarray_t) + v->u.a->n * sizeof(dd_qval_t));
        for (uint32_t i = 0; i < v->u.a->n; i++) n += qval_flat_size(&v->u.a->v[i]);
        return n;
    }
    case DD_QT_OBJECT: {
        size_t n = al8(sizeof(dd_qobject_t) + v->u.o->n * sizeof(dd_qkv_t));
        for (uint32_t i = 0; i < v->u.o->n; i++) n += al8(v->u.o->kv[i].klen + 1) + qval_flat_size(&v->u.o->kv[i].v);
        return n;
    }
    default: return 0;
    }
}

dd_qval_t qval_flat_copy(char **cur, const dd_qval_t *v)
{
    dd_qval_t r = *v;
    switch (v->t) {
    case DD_QT_STRING: {
        char *p = *cur;
        if (v->len) memcpy(p, v->u.s, v->len);
        p[v->len] = 0;
        *cur += al8(v->len + 1);
        r.u.s = p;
        break;
    }
    case DD_QT_ARRAY: {
        dd_qarray_t *a = (dd_qarray_t *)*cur;
        *cur += al8(sizeof *a + v->u.a->n * sizeof(dd_qval_t));
        a->n = v->u.a->n;
        for (uint32_t i = 0; i < a->n; i++) a->v[i] = qval_flat_copy(cur, &v->u.a->v[i]);
        r.u.a = a;
        break;
    }
    case DD_QT_OBJECT: {
        dd_qobject_t *o = (dd_qobject_t *)*cur;
        *cur += al8(sizeof *o + v->u.o->n * sizeof(dd_qkv_t));
        o->n = v->u.o->n;
        for (uint32_t i = 0; i < o->n; i++) {
            char *k = *cur;
            memcpy(k, v->u.o->kv[i].key, v->u.o->kv[i].klen);
            k[v->u.o->kv[i].klen] = 0;
            *cur += al8(v->u.o->kv[i].klen + 1);
            o->kv[i].key = k;
            o->kv[i].klen = v->u.o->kv[i].klen;
            o->kv[i].v = qval_flat_copy(cur, &v->u.o->kv[i].v);
        }
        r.u.o = o;
        break;
    }
    default:
        break;
    }
    return r;
}

const dd_qval_t *qobj_get(const dd_qobject_t *o, const char *k, size_t klen)
{
    for (uint32_t i = 0; i < o->n; i++)
        if (o->kv[i].klen == klen && memcmp(o->kv[i].key, k, klen) == 0) return &o->kv[i].v;
    return NULL;
}

static int bytes_cmp(const char *a, size_t an, const char *b, size_t bn)
{
    size_t m = an < bn ? an : bn;
    int c = m ? memcmp(a, b, m) : 0;
    if (c) return c < 0 ? -1 : 1;
    return an < bn ? -1 : an > bn ? 1 : 0;
}

static int type_rank(int t)
{
    switch (t) {
    case DD_QT_NULL: return 0;
    case DD_QT_BOOL: return 1;
    case DD_QT_LONG: case DD_QT_REAL: return 2;
    case DD_QT_DATETIME: return 3;
    case DD_QT_TIMESPAN: return 4;
    case DD_QT_STRING: return 5;
    case DD_QT_ARRAY: return 6;
    default: return 7;
    }
}

int qval_cmp(const dd_qval_t *a, const dd_qval_t *b)
{
    int ra = type_rank(a->t), rb = type_rank(b->t);
    if (ra != rb) return ra < rb ? -1 : 1;
    switch (a->t) {
    case DD_QT_NULL: return 0;
    case DD_QT_BOOL: return (int)a->u.b - (int)b->u.b;
    case DD_QT_LONG:
    case DD_QT_REAL:
        if (a->t == DD_QT_LONG && b->t == DD_QT_LONG)
            return a->u.l < b->u.l ? -1 : a->u.l > b->u.l ? 1 : 0;
        else {
            double x = qv_num(a), y = qv_num(b);
            if (isnan(x) || isnan(y)) return isnan(x) ? (isnan(y) ? 0 : -1) : 1;
            return x < y ? -1 : x > y ? 1 : 0;
        }
    case DD_QT_DATETIME:
    case DD_QT_TIMESPAN:
        return a->u.l < b->u.l ? -1 : a->u.l > b->u.l ? 1 : 0;
    case DD_QT_STRING:
        return bytes_cmp(a->u.s, a->len, b->u.s, b->len);
    case DD_QT_ARRAY: {
        uint32_t n = a->u.a->n < b->u.a->n ? a->u.a->n : b->u.a->n;
        for (uint32_t i = 0; i < n; i++) {
            int c = qval_cmp(&a->u.a->v[i], &b->u.a->v[i]);
            if (c) return c;
        }
        return a->u.a->n < b->u.a->n ? -1 : a->u.a->n > b->u.a->n ? 1 : 0;
    }
    case DD_QT_OBJECT: {
        uint32_t n = a->u.o->n < b->u.o->n ? a->u.o->n : b->u.o->n;
        for (uint32_t i = 0; i < n; i++) {
            int c = bytes_cmp(a->u.o->kv[i].key, a->u.o->kv[i].klen, b->u.o->kv[i].key, b->u.o->kv[i].klen);
            if (c) return c;
            c = qval_cmp(&a->u.o->kv[i].v, &b->u.o->kv[i].v);
            if (c) return c;
        }
        return a->u.o->n < b->u.o->n ? -1 : a->u.o->n > b->u.o->n ? 1 : 0;
    }
    }
    return 0;
}

bool qval_same(const dd_qval_t *a, const dd_qval_t *b)
{
    if (a->t == DD_QT_STRING && b->t == DD_QT_STRING)
        return a->len == b->len && (a->len == 0 || memcmp(a->u.s, b->u.s, a->len) == 0);
    if (a->t == DD_QT_LONG && b->t == DD_QT_LONG) return a->u.l == b->u.l;
    return qval_cmp(a, b) == 0;
}

static uint64_t hash_bytes(const void *p, size_t n, uint64_t h)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

uint64_t qval_hash(const dd_qval_t *v)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    switch (v->t) {
    case DD_QT_NULL: return 1;
    case DD_QT_BOOL: return v->u.b ? 3 : 2;
    case DD_QT_LONG:
    case DD_QT_REAL: {
        /* equal numbers hash equally whether long or real */
        double d = qv_num(v);
        if (v->t == DD_QT_LONG || (d == floor(d) && fabs(d) < 9e18)) {
            int64_t l = v->t == DD_QT_LONG ? v->u.l : (int64_t)d;
            return hash_bytes(&l, sizeof l, h ^ 5);
        }
        return hash_bytes(&d, sizeof d, h ^ 6);
    }
    case DD_QT_DATETIME:
    case DD_QT_TIMESPAN:
        return hash_bytes(&v->u.l, sizeof v->u.l, h ^ (uint64_t)v->t);
    case DD_QT_STRING:
        return hash_bytes(v->u.s, v->len, h);
    case DD_QT_ARRAY:
        h ^= 77;
        for (uint32_t i = 0; i < v->u.a->n; i++) h = (h ^ qval_hash(&v->u.a->v[i])) * 0x100000001b3ULL;
        return h;
    case DD_QT_OBJECT:
        h ^= 99;
        for (uint32_t i = 0; i < v->u.o->n; i++) {
            h = hash_bytes(v->u.o->kv[i].key, v->u.o->kv[i].klen, h);
            h = (h ^ qval_hash(&v->u.o->kv[i].v)) * 0x100000001b3ULL;
        }
        return h;
    }
    return h;
}

/* ---- JSON in --------------------------------------------------------------- */
dd_qval_t qval_from_json(dd_arena_t *a, const void *jp, int depth)
{
    const json_t *j = jp;
    dd_qval_t v = dd_qval_null();
    if (!j || depth > 100) return v;
    switch (json_typeof(j)) {
    case JSON_NULL: break;
    case JSON_TRUE: v = dd_qval_bool(true); break;
    case JSON_FALSE: v = dd_qval_bool(false); break;
    case JSON_INTEGER: v = dd_qval_long(json_integer_value(j)); break;
    case JSON_REAL: v = dd_qval_real(json_real_value(j)); break;
    case JSON_STRING: v = qval_str_copy(a, json_string_value(j), json_string_length(j)); break;
    case JSON_ARRAY: {
        size_t n = json_array_size(j);
        dd_qarray_t *arr = dd_arena_alloc(a, sizeof *arr + n * sizeof(dd_qval_t));
        arr->n = (uint32_t)n;
        for (size_t i = 0; i < n; i++) arr->v[i] = qval_from_json(a, json_array_get(j, i), depth + 1);
        v.t = DD_QT_ARRAY;
        v.u.a = arr;
        break;
    }
    case JSON_OBJECT: {
        size_t n = json_object_size(j);
        dd_qobject_t *o = dd_arena_alloc(a, sizeof *o + n * sizeof(dd_qkv_t));
        const char *k;
        json_t *x;
        uint32_t i = 0;
        json_object_foreach((json_t *)j, k, x) {
            if (i >= n) break;
            o->kv[i].klen = (uint32_t)strlen(k);
            o->kv[i].key = qstrndup(a, k, o->kv[i].klen);
            o->kv[i].v = qval_from_json(a, x, depth + 1);
            i++;
        }
        o->n = i;
        v.t = DD_QT_OBJECT;
        v.u.o = o;
        break;
    }
    }
    v.dyn = 1;
    return v;
}

/* ---- datetimes --------------------------------------------------------------- */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static bool digits(const char *s, size_t n, size_t *i, int count, int *out)
{
    int v = 0;
    for (int k = 0; k < count; k++) {
        if (*i >= n || s[*i] < '0' || s[*i] > '9') return false;
        v = v * 10 + (s[*i] - '0');
        (*i)++;
    }
    *out = v;
    return true;
}

bool qparse_datetime(const char *s, size_t n, int64_t *ticks)
{
    size_t i = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t')) i++;
    while (n > i && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
    int Y, M, D, h = 0, mi = 0, sec = 0;
    if (!digits(s, n, &i, 4, &Y) || i >= n || s[i++] != '-' || !digits(s, n, &i, 2, &M) ||
        i >= n || s[i++] != '-' || !digits(s, n, &i, 2, &D))
        return false;
    if (M < 1 || M > 12 || D < 1 || D > 31) return false;
    int64_t frac = 0, off = 0;
    if (i < n && (s[i] == 'T' || s[i] == ' ')) {
        i++;
        if (!digits(s, n, &i, 2, &h) || i >= n || s[i++] != ':' || !digits(s, n, &i, 2, &mi)) return false;
        if (i < n && s[i] == ':') {
            i++;
            if (!digits(s, n, &i, 2, &sec)) return false;
            if (i < n && s[i] == '.') {
                i++;
                int nd = 0;
                while (i < n && s[i] >= '0' && s[i] <= '9') {
                    if (nd < 7) frac = frac * 10 + (s[i] - '0');
                    nd++;
                    i++;
                }
                if (nd == 0) return false;
                for (; nd < 7; nd++) frac *= 10;
            }
        }
        if (h > 23 || mi > 59 || sec > 60) return false;
        if (i < n && (s[i] == 'Z' || s[i] == 'z')) i++;
        else if (i < n && (s[i] == '+' || s[i] == '-')) {
            int sign = s[i++] == '-' ? -1 : 1, oh, om = 0;
            if (!digits(s, n, &i, 2, &oh)) return false;
            if (i < n && s[i] == ':') i++;
            if (i < n && !digits(s, n, &i, 2, &om)) return false;
            off = sign * (oh * 3600 + om * 60);
        }
    }
    if (i != n) return false;
    int64_t days = days_from_civil(Y, (unsigned)M, (unsigned)D);
    int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - off;
    *ticks = secs * DD_QTICKS_PER_SEC + frac;
    return true;
}

bool qparse_timespan(const char *s, size_t n, int64_t *ticks)
{
    while (n && (s[n - 1] == ' ')) n--;
    while (n && *s == ' ') { s++; n--; }
    if (!n) return false;
    char buf[64];
    if (n >= sizeof buf) return false;
    memcpy(buf, s, n);
    buf[n] = 0;
    int neg = 0;
    char *p = buf;
    if (*p == '-') { neg = 1; p++; }
    /* [d.]hh:mm[:ss[.fffffff]] */
    if (strchr(p, ':')) {
        long long d = 0, h = 0, m = 0;
        double sec = 0;
        char *dot = strchr(p, '.'), *colon = strchr(p, ':');
        if (dot && dot < colon) {
            d = strtoll(p, NULL, 10);
            p = dot + 1;
        }
        char *end;
        h = strtoll(p, &end, 10);
        if (*end != ':') return false;
        m = strtoll(end + 1, &end, 10);
        if (*end == ':') {
            sec = strtod(end + 1, &end);
        }
        if (*end) return false;
        double t = ((double)d * 86400 + (double)h * 3600 + (double)m * 60 + sec) * DD_QTICKS_PER_SEC;
        *ticks = (int64_t)llround(neg ? -t : t);
        return true;
    }
    char *end;
    double num = strtod(p, &end);
    if (end == p) return false;
    double unit;
    if (!strcmp(end, "d") || !strcmp(end, "day") || !strcmp(end, "days")) unit = 86400.0 * DD_QTICKS_PER_SEC;
    else if (!strcmp(end, "h") || !strcmp(end, "hr") || !strcmp(end, "hrs") || !strcmp(end, "hour") || !strcmp(end, "hours")) unit = 3600.0 * DD_QTICKS_PER_SEC;
    else if (!strcmp(end, "m") || !strcmp(end, "min") || !strcmp(end, "minute") || !strcmp(end, "minutes")) unit = 60.0 * DD_QTICKS_PER_SEC;
    else if (!strcmp(end, "s") || !strcmp(end, "sec") || !strcmp(end, "second") || !strcmp(end, "seconds")) unit = DD_QTICKS_PER_SEC;
    else if (!strcmp(end, "ms") || !strcmp(end, "milli") || !strcmp(end, "millis") || !strcmp(end, "millisecond") || !strcmp(end, "milliseconds")) unit = DD_QTICKS_PER_SEC / 1000.0;
    else if (!strcmp(end, "microsecond") || !strcmp(end, "microseconds")) unit = 10;
    else if (!strcmp(end, "tick") || !strcmp(end, "ticks")) unit = 1;
    else return false;
    double t = num * unit;
    if (!(fabs(t) < 9e18)) return false;
    *ticks = (int64_t)llround(neg ? -t : t);
    return true;
}

void qcivil(int64_t ticks, int64_t *y, unsigned *m, unsigned *d)
{
    int64_t secs = ticks / DD_QTICKS_PER_SEC - (ticks % DD_QTICKS_PER_SEC < 0);
    int64_t days = secs / 86400 - (secs % 86400 < 0);
    civil_from_days(days, y, m, d);
}

void qfmt_datetime(int64_t ticks, char buf[48])
{
    int64_t secs = ticks / DD_QTICKS_PER_SEC, frac = ticks % DD_QTICKS_PER_SEC;
    if (frac < 0) { frac += DD_QTICKS_PER_SEC; secs--; }
    int64_t days = secs / 86400, rem = secs % 86400;
    if (rem < 0) { rem += 86400; days--; }
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    int n = snprintf(buf, 48, "%04lld-%02u-%02uT%02d:%02d:%02d", (long long)y, m, d, (int)(rem / 3600),
                     (int)(rem % 3600 / 60), (int)(rem % 60));
    if (frac) {
        n += snprintf(buf + n, 48 - (size_t)n, ".%07lld", (long long)frac);
        while (buf[n - 1] == '0') buf[--n] = 0;
    }
    snprintf(buf + n, 48 - (size_t)n, "Z");
}

void qfmt_timespan(int64_t ticks, char buf[48])
{
    int neg = ticks < 0;
    uint64_t t = neg ? (uint64_t)(-(ticks + 1)) + 1 : (uint64_t)ticks;
    uint64_t frac = t % DD_QTICKS_PER_SEC, secs = t / DD_QTICKS_PER_SEC;
    uint64_t d = secs / 86400, h = secs % 86400 / 3600, m = secs % 3600 / 60, s = secs % 60;
    int n = 0;
    if (d) n = snprintf(buf, 48, "%s%llu.%02llu:%02llu:%02llu", neg ? "-" : "", (unsigned long long)d,
                        (unsigned long long)h, (unsigned long long)m, (unsigned long long)s);
    else n = snprintf(buf, 48, "%s%02llu:%02llu:%02llu", neg ? "-" : "", (unsigned long long)h,
                      (unsigned long long)m, (unsigned long long)s);
    if (frac) snprintf(buf + n, 48 - (size_t)n, ".%07llu", (unsigned long long)frac);
}

/* ---- text forms ---------------------------------------------------------------- */
static int real_to_buf(double d, dd_buf_t *out, bool json)
{
    if (isnan(d)) return dd_buf_puts(out, json ? "\"NaN\"" : "NaN");
    if (isinf(d)) return dd_buf_puts(out, d > 0 ? (json ? "\"Infinity\"" : "Infinity") : (json ? "\"-Infinity\"" : "-Infinity"));
    char tmp[40];
    snprintf(tmp, sizeof tmp, "%.15g", d);
    if (strtod(tmp, NULL) != d) snprintf(tmp, sizeof tmp, "%.17g", d);
    return dd_buf_puts(out, tmp);
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (!len || len > n) return 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    if (len == 2 && c < 0xC2) return 0;                          /* overlong */
    if (len == 3 && c == 0xE0 && s[1] < 0xA0) return 0;         /* overlong */
    if (len == 3 && c == 0xED && s[1] >= 0xA0) return 0;        /* surrogates */
    if (len == 4 && ((c == 0xF0 && s[1] < 0x90) || c > 0xF4 || (c == 0xF4 && s[1] >= 0x90))) return 0;
    return len;
}

/* A JSON string literal of s[0..n); invalid UTF-8 becomes U+FFFD, so the
 * output is always valid JSON. */
int qjson_str(dd_buf_t *out, const char *s, size_t n)
{
    int rc = dd_buf_putc(out, '"');
    for (size_t i = 0; i < n && rc == DD_OK;) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80) {
            size_t l = utf8_seq((const unsigned char *)s + i, n - i);
            if (l) rc = dd_buf_append(out, s + i, l), i += l;
            else rc = dd_buf_puts(out, "\\ufffd"), i++;
            continue;
        }
        switch (c) {
        case '"': rc = dd_buf_puts(out, "\\\""); break;
        case '\\': rc = dd_buf_puts(out, "\\\\"); break;
        case '\n': rc = dd_buf_puts(out, "\\n"); break;
        case '\r': rc = dd_buf_puts(out, "\\r"); break;
        case '\t': rc = dd_buf_puts(out, "\\t"); break;
        default:
            if (c < 0x20 || c == 0x7f) rc = dd_buf_printf(out, "\\u%04x", c);
            else rc = dd_buf_putc(out, (char)c);
        }
        i++;
    }
    if (rc == DD_OK) rc = dd_buf_putc(out, '"');
    return rc;
}

int dd_qval_to_json(const dd_qval_t *v, dd_buf_t *out)
{
    char tmp[48];
    switch (v->t) {
    case DD_QT_NULL: return dd_buf_puts(out, "null");
    case DD_QT_BOOL: return dd_buf_puts(out, v->u.b ? "true" : "false");
    case DD_QT_LONG: return dd_buf_printf(out, "%lld", (long long)v->u.l);
    case DD_QT_REAL: return real_to_buf(v->u.d, out, true);
    case DD_QT_STRING: return qjson_str(out, v->u.s, v->len);
    case DD_QT_DATETIME: qfmt_datetime(v->u.l, tmp); return dd_buf_printf(out, "\"%s\"", tmp);
    case DD_QT_TIMESPAN: qfmt_timespan(v->u.l, tmp); return dd_buf_printf(out, "\"%s\"", tmp);
    case DD_QT_ARRAY: {
        int rc = dd_buf_putc(out, '[');
        for (uint32_t i = 0; i < v->u.a->n && rc == DD_OK; i++) {
            if (i) rc = dd_buf_putc(out, ',');
            if (rc == DD_OK) rc = dd_qval_to_json(&v->u.a->v[i], out);
        }
        return rc ? rc : dd_buf_putc(out, ']');
    }
    case DD_QT_OBJECT: {
        int rc = dd_buf_putc(out, '{');
        for (uint32_t i = 0; i < v->u.o->n && rc == DD_OK; i++) {
            if (i) rc = dd_buf_putc(out, ',');
            if (rc == DD_OK) rc = qjson_str(out, v->u.o->kv[i].key, v->u.o->kv[i].klen);
            if (rc == DD_OK) rc = dd_buf_putc(out, ':');
            if (rc == DD_OK) rc = dd_qval_to_json(&v->u.o->kv[i].v, out);
        }
        return rc ? rc : dd_buf_putc(out, '}');
    }
    }
    return dd_buf_puts(out, "null");
}

int dd_qval_to_text(const dd_qval_t *v, dd_buf_t *out)
{
    char tmp[48];
    switch (v->t) {
    case DD_QT_NULL: return DD_OK;
    case DD_QT_REAL: return real_to_buf(v->u.d, out, false);
    case DD_QT_STRING: return dd_buf_append(out, v->u.s, v->len);
    case DD_QT_DATETIME: qfmt_datetime(v->u.l, tmp); return dd_buf_puts(out, tmp);
    case DD_QT_TIMESPAN: qfmt_timespan(v->u.l, tmp); return dd_buf_puts(out, tmp);
    default: return dd_qval_to_json(v, out);
    }
}

dd_qval_t qval_tostring(dd_arena_t *a, const dd_qval_t *v)
{
    if (v->t == DD_QT_STRING) {
        dd_qval_t r = *v;
        r.dyn = 0;
        return r;
    }
    if (v->t == DD_QT_NULL) return dd_qval_strn("", 0);
    dd_buf_t b;
    dd_buf_init(&b, 0);
    dd_qval_to_text(v, &b);
    dd_qval_t r = qval_str_copy(a, b.ptr ? b.ptr : "", b.len);
    dd_buf_release(&b);
    return r;
}
