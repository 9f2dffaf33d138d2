/*
 * funcs.c: the scalar function table, the aggregation-name table, string
 * matching helpers (contains / has / startswith / endswith) and regular
 * expressions (POSIX ERE through <regex.h>, see docs/query.md for the
 * differences from Kusto's RE2).
 *
 * Each scalar function receives its evaluated arguments and writes one
 * value, allocating in the scratch arena (q->tmp). Lazy functions (iff,
 * case, coalesce) are evaluated by eval.c; their `agg` field holds a
 * negative code naming them there.
 */
#include "query/qint.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- string helpers ------------------------------------------------------ */
static inline unsigned char lc(unsigned char c) { return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c; }

bool qstr_eqci(const char *a, size_t an, const char *b, size_t bn)
{
    if (an != bn) return false;
    for (size_t i = 0; i < an; i++)
        if (lc((unsigned char)a[i]) != lc((unsigned char)b[i])) return false;
    return true;
}

static bool eqn(const char *a, const char *b, size_t n, bool cs)
{
    if (cs) return memcmp(a, b, n) == 0;
    for (size_t i = 0; i < n; i++)
        if (lc((unsigned char)a[i]) != lc((unsigned char)b[i])) return false;
    return true;
}

static const char *find(const char *h, size_t hn, const char *n, size_t nn, bool cs, size_t from)
{
    if (nn == 0) return h + from;
    if (nn > hn) return NULL;
    unsigned char f = lc((unsigned char)n[0]), F = (unsigned char)toupper(f);
    for (size_t i = from; i + nn <= hn; i++) {
        unsigned char c = (unsigned char)h[i];
        if (cs ? c != (unsigned char)n[0] : (c != f && c != F)) continue;
        if (eqn(h + i, n, nn, cs)) return h + i;
    }
    return NULL;
}

bool qstr_contains(const char *h, size_t hn, const char *n, size_t nn, bool cs)
{
    return find(h, hn, n, nn, cs, 0) != NULL;
}

static bool term_char(unsigned char c) { return isalnum(c) || c >= 0x80; }

/* has: n occurs in h as a whole term (bounded by non-alphanumerics). */
bool qstr_has(const char *h, size_t hn, const char *n, size_t nn, bool cs)
{
    if (nn == 0) return true;
    size_t from = 0;
    const char *p;
    while ((p = find(h, hn, n, nn, cs, from))) {
        size_t i = (size_t)(p - h);
        bool left = i == 0 || !term_char((unsigned char)h[i - 1]) || !term_char((unsigned char)n[0]);
        bool right = i + nn == hn || !term_char((unsigned char)h[i + nn]) || !term_char((unsigned char)n[nn - 1]);
        if (left && right) return true;
        from = i + 1;
    }
    return false;
}

bool qstr_startswith(const char *h, size_t hn, const char *n, size_t nn, bool cs)
{
    return nn <= hn && eqn(h, n, nn, cs);
}

bool qstr_endswith(const char *h, size_t hn, const char *n, size_t nn, bool cs)
{
    return nn <= hn && eqn(h + hn - nn, n, nn, cs);
}

/* ---- regex ------------------------------------------------------------------ */

int qregex_compile(qctx_t *q, const char *pat, size_t n, regex_t *re, int line, int col)
{
    int flags = REG_EXTENDED;
    if (n >= 4 && !memcmp(pat, "(?i)", 4)) { flags |= REG_ICASE; pat += 4; n -= 4; }
    if (n > 4096) return qerr_at(q, line, col, DD_EINVAL, "regular expression too long");
    dd_buf_t b;
    dd_buf_init(&b, 0);
    bool inclass = false;
    for (size_t i = 0; i < n; i++) {
        char c = pat[i];
        if (c == 0) { dd_buf_release(&b); return qerr_at(q, line, col, DD_EINVAL, "invalid regular expression: NUL byte"); }
        if (inclass) {
            if (c == ']') inclass = false;
            dd_buf_putc(&b, c);
            continue;
        }
        if (c == '\\' && i + 1 < n) {
            char d = pat[i + 1];
            if (d >= '1' && d <= '9') {
                /* back-references can make matching exponential */
                dd_buf_release(&b);
                return qerr_at(q, line, col, DD_EINVAL, "invalid regular expression: back-references are not supported");
            }
            if (d == 'd') dd_buf_puts(&b, "[0-9]");
            else if (d == 'D') dd_buf_puts(&b, "[^0-9]");
            else { dd_buf_putc(&b, c); dd_buf_putc(&b, d); }
            i++;
            continue;
        }
        if (c == '[') {
            inclass = true;
            dd_buf_putc(&b, c);
            if (i + 1 < n && pat[i + 1] == '^') { dd_buf_putc(&b, '^'); i++; }
            if (i + 1 < n && pat[i + 1] == ']') { dd_buf_putc(&b, ']'); i++; }
            continue;
        }
        /* lazy quantifiers: POSIX has none, match greedily */
        if (c == '?' && i > 0 && (pat[i - 1] == '+' || pat[i - 1] == '*' || pat[i - 1] == '?' || pat[i - 1] == '}')) {
            if (!(i > 1 && pat[i - 2] == '\\')) continue;
        }
        dd_buf_putc(&b, c);
    }
    int rc = regcomp(re, b.ptr ? b.ptr : "", flags);
    dd_buf_release(&b);
    if (rc) {
        char m[128];
        regerror(rc, re, m, sizeof m);
        regfree(re);
        return qerr_at(q, line, col, DD_EINVAL, "invalid regular expression: %s", m);
    }
    return DD_OK;
}

int qregex_const(qctx_t *q, const char *pat, size_t n, regex_t **out, int line, int col)
{
    struct qre *r = dd_arena_alloc(&q->perm, sizeof *r);
    int rc = qregex_compile(q, pat, n, &r->re, line, col);
    if (rc) return rc;
    r->next = q->regexes;
    q->regexes = r;
    *out = &r->re;
    return DD_OK;
}

/* ---- helpers ------------------------------------------------------------------ */
static dd_qval_t tostr(qctx_t *q, const dd_qval_t *v) { return qval_tostring(&q->tmp, v); }

static char *cstr(qctx_t *q, const dd_qval_t *v)
{
    dd_qval_t s = tostr(q, v);
    return qstrndup(&q->tmp, s.u.s, s.len);
}

static bool to_long(qctx_t *q, const dd_qval_t *v, int64_t *out)
{
    switch (v->t) {
    case DD_QT_LONG: *out = v->u.l; return true;
    case DD_QT_REAL: if (!(fabs(v->u.d) < 9.2e18)) return false; *out = (int64_t)v->u.d; return true;
    case DD_QT_BOOL: *out = v->u.b; return true;
    case DD_QT_DATETIME: case DD_QT_TIMESPAN: *out = v->u.l; return true;
    case DD_QT_STRING: {
        if (!v->len || v->len > 64) return false;
        char *s = cstr(q, v), *end;
        errno = 0;
        long long l = strtoll(s, &end, 10);
        while (*end == ' ') end++;
        if (!*end && !errno) { *out = l; return true; }
        double d = strtod(s, &end);
        while (*end == ' ') end++;
        if (*end || !(fabs(d) < 9.2e18)) return false;
        *out = (int64_t)d;
        return true;
    }
    default: return false;
    }
}

static bool to_real(qctx_t *q, const dd_qval_t *v, double *out)
{
    switch (v->t) {
    case DD_QT_LONG: *out = (double)v->u.l; return true;
    case DD_QT_REAL: *out = v->u.d; return true;
    case DD_QT_BOOL: *out = v->u.b; return true;
    case DD_QT_STRING: {
        if (!v->len || v->len > 128) return false;
        char *s = cstr(q, v), *end;
        double d = strtod(s, &end);
        while (*end == ' ') end++;
        if (*end) return false;
        *out = d;
        return true;
    }
    default: return false;
    }
}

/* ---- conversion functions -------------------------------------------------- */
static int f_tostring(qctx_t *q, qexpr_t *x, const dd_qval_t *a, int n, dd_qval_t *out)
{
    (void)x; (void)n;
    *out = tostr(q, &a[0]);
    return DD_OK;
}

static int f_tolong(qctx_t *q, qexpr_t *x, const dd_qval_t *a, int n, dd_qval_t *out)
{
    (void)n;
    int64_t l;
    *out = dd_qval_null();
    if (a[0].t == DD_QT_DATETIME || a[0].t == DD_QT_TIMESPAN) return DD_OK;
    if (to_long(q, &a[0], &l)) {
        if (!strcmp(x->fn->name, "toint") && (l < INT32_MIN || l > INT32_MAX)) return DD_OK;
        *out = dd_qval_long(l);
    }
    return DD_OK;
}

static int f_todouble(qctx_t *q, qexpr_t *x, const dd_qval_t *a, int n, dd_qval_t *out)
{
    (void)x; (void)n;
    double d;
    *out = to_real(q, &a[0], &d) ? dd_qval_real(d) : dd_qval_null();
    return DD_OK;
}

static int f_tobool(qctx_t *q, qexpr_t *x, const dd_qval_t *a, int n, dd_qval_t *out)
{
    (void)x; (void)n; (void)q;
    *out = dd_qval_null();
    if (a[0].t == DD_QT_BOOL) *out = dd_qval_bool(a[0].u.b);
    else if (a[0].t == DD_QT_LONG) *out = dd_qval_bool(a[0].u.l != 0);
    else if (a[0].t == DD_QT_REAL) *out = dd_qval_bool(a[0].u.d != 0);
    else if (a[0].t == DD_QT_STRING) {
        if (qstr_eqci(a[0].u.s, a[0].len, "true", 4) || (a[0].len == 1 && a[0].u.s[0] == '1')) *out = dd_qval_bool(true);
        else if (qstr_eqci(a[0].u.s, a[0].len, "false", 5) || (a[0].len == 1 && a[0].u.s[0] == '0')) *out = dd_qval_bool(false);
    }
    return DD_OK;
}

static int f_todatetime(qctx_t *q, qexpr_t *x, const dd_qval_t *a, int n, dd_qval_t *out)
{
    (void)x; (void)n; (void)q;
    int64_t t;
    *out = dd_qval_null();
    if (a[0].t == DD_QT_DATETIME) *out = dd_qval_datetime(a[0].u.l);
    else if (a[0].t == DD_QT_STRING && qparse_datetime(a[0].u.s, a[0].len, &t)) *out = dd_qval_datetime(t);
    return DD_OK;
}

static int f_totimespan(qctx_t *q, qexpr_t *x, const dd_qval_t *a, int n, dd_qval_t *out)
{
    (void)x; (void)n; (void)q;
    int64_t t;
    *out = dd_qval_null();
    if (a[0].t == DD_QT_TIMESPAN) *out = dd_qval_timespan(a[0].u.l);
    else if (a[0].t == DD_QT_STRING && qparse_timespan(a[0].u.s, a[0].len, &t)) *out = dd_qval_timespan(t);
    return DD_OK;
}

static int f_todynamic(qctx_t *q, qexpr_t *x, const dd_qval_t *a, int n, dd_qval_t *out)
{
    (void)x; (void)n;
    if (a[0].t != DD_QT_STRING) { *out = a[0]; out->dyn = 1; return DD_OK; }
    json_error_t je;
    json_t *j = json_loadb(a[0].u.s, a[0].len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    if (!j) { *out = a[0]; out->dyn = 1; return DD_OK; }
    *out = qval_from_json(&q->tmp, j, 0);
    json_decref(j);
    return DD_OK;
}

/* ---- string functions -------------------------------------------------------- */
static int f_case(qctx_t *q, qexpr_t *x, const dd_qval_t *a, int n, dd_qval_t *out)
{
    (void)n;
    dd_qval_t s = tostr(q, &a[0]);
    char *r = dd_arena_alloc(&q->tmp, s.len + 1);
    bool up = x->fn->name[2] == 'u';
    for (uint32_t i = 0; i < s.len; i++) r[i] = (char)(up ? toupper((unsigned char)s.u.s[i]) : tolower((unsigned char)s.u.s[i]));
    *out = dd_qval_strn(r, s.len);
    return DD_OK;
}

static int64_t utf8_len(const char *s, size_t n)
{
    int64_t c = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80) c++;
    return c;
}

/* byte offset of character index ci (clamped to n) */
static size_t utf8_off(const char *s, size_t n, int64_t ci)
{
    size_t i = 0;
    int64_t c = 0;
    while (i < n) {
        if (((unsigned char)s[i] & 0xC0) != 0x80) {
            if (c == ci) return i;
            c++;
        }
        i++;
    }
    return n;
}

static int f_strlen(qctx_t *q, qexpr_t *x, const dd_qval_t *a, int n, dd_qval_t *out)
{
    (void)x; (void)n;
    dd_qval_t s = tostr(q, &a[0]);
    *out = dd_qval_long(utf8_len(s.u.s, s.len));
    return DD_OK;
}

static int f_substring(qctx_t *q, qexpr_t *x, const dd_qval_t *a, int n, dd_qval_t *out)
{
    (void)x;
    dd_qval_t s = tostr(q, &a[0]);
    int64_t start, len = INT64_MAX, total = utf8_len(s.u.s, s.len);
    if (!to_long(q, &a[1], &start) || (n > 2 && !to_long(q, &a[2], &len))) { *out = dd_qval_strn("", 0); return DD_OK; }
    if (start < 0) start = 0;
    if (len < 0) len = 0;
    if (start > total) start = total;
    if (len > total - start) len = total - start;
    size_t b0 = utf8_off(s.u.s, s.len, start), b1 = utf8_off(s.u.s, s.len, start + len);
    *out = dd_qval_strn(s.u.s + b0, b1 - b0);
    return DD_OK;
}

static int f_strcat(qctx_t *q, qexpr_t *x, const dd_qval_t *a, int n, dd_qval_t *out)
{
    (void)x;
    size_t total = 0;
    dd_qval_t *parts = dd_arena_alloc(&q->tmp, (size_t)n * sizeof *parts);
    for (int i = 0; i < n; i++) { parts[i] = tostr(q, &a[i]); total += parts[i].len; }
    if (total > 16 * 1024 * 1024) return qerr_at(q, x->line, x->col, DD_ELIMIT, "strcat result too large");
    char *r = dd_arena_alloc(&q->tmp, total + 1), *p = r;
    for (int i = 0; i < n; i++) { if (parts[i].len) memcpy(p, parts[i].u.s, parts[i].len); p += parts[i].len; }
    *out = dd_qval_strn(r, total);
    return DD_OK;
}

static int f_split(qctx_t *q, qexpr_t *x, const dd_qval_t *a, int n, dd_qval_t *out)
{
    (void)x;
    dd_qval_t s = tostr(q, &a[0]), d = tostr(q, &a[1]);
    uint32_t cnt = 1;
    if (d.len) {
        for (size_t i = 0; i + d.len <= s.len;) {
            if (!memcmp(s.u.s + i, d.u.s, d.len)) { cnt++; i += d.len; }
            else i++;
        }
    }
    dd_qarray_t *arr = dd_arena_alloc(&q->tmp, sizeof *arr + cnt * sizeof(dd_qval_t));
    size_t st = 0;
    uint32_t k = 0;
    if (d.len) {
        for (size_t i = 0; i + d.len <= s.len;) {
            if (!memcmp(s.u.s + i, d.u.s, d.len)) {
                arr->v[k] = dd_qval_strn(s.u.s + st, i - st);
                arr->v[k++].dyn = 1;
                i += d.len;
                st = i;
            } else i++;
        }
    }
    arr->v[k] = dd_qval_strn(s.u.s + st, s.len - st);
    arr->v[k++].dyn = 1;
    arr->n = k;
    if (n > 2) {
        int64_t idx;
        if (!to_long(q, &a[2], &idx) || idx < 0 || idx >= k) { *out = dd_qval_null(); out->dyn = 1; return DD_OK; }
        dd_qarray_t *one = dd_arena_alloc(&q->tmp, sizeof *one + sizeof(dd_qval_t));
        one->n = 1;
        one->v[0] = arr->v[idx];
        arr = one;
    }
    out->t = DD_QT_ARRAY;
    out->u.a = arr;
    out->dyn = 1;
    out->len = 0;
    return DD_OK;
}

static int f_extract(qctx_t *q, qexpr_t *x, const dd_qval_t *a, int n, dd_qval_t *out)
{
    (void)n;
    int64_t grp;
    *out = dd_qval_strn("", 0);
    if (!to_long(q, &a[1], &grp) || grp < 0 || grp > 9) return DD_OK;
    regex_t local, *re = x->re;
    if (!re) {
        if (a[0].t != DD_QT_STRING) return DD_OK;
        int rc = qregex_compile(q, a[0].u.s, a[0].len, &local, x->line, x->col);
        if (rc) return rc;
        re = &local;
    }
    char *s = cstr(q, &a[2]);
    regmatch_t m[10];
    if (regexec(re, s, 10, m, 0) == 0 && (size_t)grp <= re->re_nsub && m[grp].rm_so >= 0)
        *out = dd_qval_strn(s + m[grp].rm_so, (size_t)(m[grp].rm_eo - m[grp].rm_so));
    if (re == &local) regfree(&local);
    return DD_OK;
}

static int f_replace_string(qctx_t *q, qexpr_t *x, const dd_qval_t *a, int n, dd_qval_t *out)
{
    (void)n;
    dd_qval_t s = tostr(q, &a[0]), f = tostr(q, &a[1]), r = tostr(q, &a[2]);
    if (!f.len) { *out = s; return DD_OK; }
    dd_buf_t b;
    dd_buf_init(&b, 16 * 1024 * 1024);
    int rc = DD_OK;
    for (size_t i = 0; i < s.len && rc == DD_OK;) {
        if (i + f.len <= s.len && !memcmp(s.u.s + i, f.u.s, f.len)) { rc = dd_buf_append(&b, r.u.s, r.len); i += f.len; }
        else rc = dd_buf_putc(&b, s.u.s[i++]);
    }
    if (rc) { dd_buf_release(&b); return qerr_at(q, x->line, x->col, DD_ELIMIT, "replace_string result too large"); }
    *out = qval_str_copy(&q->tmp, b.ptr ? b.ptr : "", b.len);
    dd_buf_release(&b);
    return DD_OK;
}

static int f_indexof(qctx_t *q, qexpr_t *x, const dd_qval_t *a, int n, dd_qval_t *out)
{
    (void)x; (void)n;
    dd_qval_t s = tostr(q, &a[0]), f = tostr(q, &a[1]);
    const char *p = find(s.u.s, s.len, f.u.s, f.len, true, 0);
    *out = dd_qval_long(p ? utf8_len(s.u.s, (size_t)(p - s.u.s)) : -1);
    return DD_OK;
}

/* ---- predicates ------------------------------------------------------------------ */
static int f_isempty(qctx_t *q, qexpr_t *x, const dd_qval_t *a, int n, dd_qval_t *out)
{
    (void)q; (void)n;
    bool e = a[0].t == DD_QT_NULL || (a[0].t == DD_QT_STRING && a[0].len == 0);
    *out = dd_qval_bool(x->fn->name[2] == 'e' ? e : !e);
    return DD_OK;
}

static int f_isnull(qctx_t *q, qexpr_t *x, const dd_qval_t *a, int n, dd_qval_t *out)
{
    (void)q; (void)n;
    bool e = a[0].t == DD_QT_NULL;
    *out = dd_qval_bool(x->fn->name[2] == 'n' && x->fn->name[3] == 'u' ? e : !e);
    return DD_OK;
}

static int f_not(qctx_t *q, qexpr_t *x, const dd_qval_t *a, int n, dd_qval_t *out)
{
    (void)q; (void)x; (void)n;
    *out = a[0].t == DD_QT_BOOL ? dd_qval_bool(!a[0].u.b) : dd_qval_null();
    return DD_OK;
}

static int f_array_length(qctx_t *q, qexpr_t *x, const dd_qval_t *a, int n, dd_qval_t *out)
{
    (void)q; (void)x; (void)n;
    *out = a[0].t == DD_QT_ARRAY ? dd_qval_long(a[0].u.a->n) : dd_qval_null();
    return DD_OK;
}

static int f_gettype(qctx_t *q, qexpr_t *x, const dd_qval_t *a, int n, dd_qval_t *out)
{
    (void)q; (void)x; (void)n;
    const char *t;
    switch (a[0].t) {
    case DD_QT_NULL: t = "null"; break;
    case DD_QT_ARRAY: t = "array"; break;
    case DD_QT_OBJECT: t = "dictionary"; break;
    case DD_QT_REAL: t = "real"; break;
    default: t = dd_qtype_name(a[0].t);
    }
    *out = dd_qval_str(t);
    return DD_OK;
}

/* ---- time and numbers ------------------------------------------------------------- */
static int f_now(qctx_t *q, qexpr_t *x, const dd_qval_t *a, int n, dd_qval_t *out)
{
    (void)x;
    int64_t t = q->now_ticks;
    if (n > 0 && a[0].t == DD_QT_TIMESPAN) t += a[0].u.l;
    *out = dd_qval_datetime(t);
    return DD_OK;
}

static int f_ago(qctx_t *q, qexpr_t *x, const dd_qval_t *a, int n, dd_qval_t *out)
{
    (void)x; (void)n;
    *out = a[0].t == DD_QT_TIMESPAN ? dd_qval_datetime(q->now_ticks - a[0].u.l) : dd_qval_null();
    return DD_OK;
}

static int f_bin(qctx_t *q, qexpr_t *x, const dd_qval_t *a, int n, dd_qval_t *out)
{
    (void)q; (void)x; (void)n;
    const dd_qval_t *v = &a[0], *s = &a[1];
    *out = dd_qval_null();
    if (v->t == DD_QT_DATETIME || v->t == DD_QT_TIMESPAN) {
        int64_t sz = s->t == DD_QT_TIMESPAN ? s->u.l : s->t == DD_QT_LONG ? s->u.l : 0;
        if (sz <= 0) return DD_OK;
        int64_t r = v->u.l / sz * sz;
        if (v->u.l < 0 && v->u.l % sz) r -= sz;
        *out = v->t == DD_QT_DATETIME ? dd_qval_datetime(r) : dd_qval_timespan(r);
        return DD_OK;
    }
    if (!qv_isnum(v) || !qv_isnum(s)) return DD_OK;
    if (v->t == DD_QT_LONG && s->t == DD_QT_LONG) {
        if (s->u.l <= 0) return DD_OK;
        int64_t r = v->u.l / s->u.l * s->u.l;
        if (v->u.l < 0 && v->u.l % s->u.l) r -= s->u.l;
        *out = dd_qval_long(r);
        return DD_OK;
    }
    double sz = qv_num(s);
    if (!(sz > 0)) return DD_OK;
    double r = floor(qv_num(v) / sz) * sz;
    *out = v->t == DD_QT_LONG && fabs(r) < 9e18 ? dd_qval_long((int64_t)r) : dd_qval_real(r);
    return DD_OK;
}

static int f_minmax_of(qctx_t *q, qexpr_t *x, const dd_qval_t *a, int n, dd_qval_t *out)
{
    (void)q;
    bool max = x->fn->name[1] == 'a';
    *out = dd_qval_null();
    for (int i = 0; i < n; i++) {
        if (a[i].t == DD_QT_NULL) continue;   /* nulls are ignored */
        if (out->t == DD_QT_NULL || (max ? qval_cmp(&a[i], out) > 0 : qval_cmp(&a[i], out) < 0)) *out = a[i];
    }
    return DD_OK;
}

static int f_abs(qctx_t *q, qexpr_t *x, const dd_qval_t *a, int n, dd_qval_t *out)
{
    (void)q; (void)x; (void)n;
    *out = dd_qval_null();
    if (a[0].t == DD_QT_LONG && a[0].u.l != INT64_MIN) *out = dd_qval_long(a[0].u.l < 0 ? -a[0].u.l : a[0].u.l);
    else if (a[0].t == DD_QT_REAL) *out = dd_qval_real(fabs(a[0].u.d));
    else if (a[0].t == DD_QT_TIMESPAN && a[0].u.l != INT64_MIN) *out = dd_qval_timespan(a[0].u.l < 0 ? -a[0].u.l : a[0].u.l);
    return DD_OK;
}

static int f_round(qctx_t *q, qexpr_t *x, const dd_qval_t *a, int n, dd_qval_t *out)
{
    (void)x;
    double d;
    int64_t prec = 0;
    *out = dd_qval_null();
    if (!qv_isnum(&a[0]) || !to_real(q, &a[0], &d)) return DD_OK;
    if (n > 1 && !to_long(q, &a[1], &prec)) return DD_OK;
    if (prec < -15 || prec > 15) return DD_OK;
    double m = pow(10, (double)prec);
    *out = dd_qval_real(round(d * m) / m);
    return DD_OK;
}

/* ---- dynamic builders and set helpers --------------------------------------------- */
static dd_qval_t arr_val(dd_qarray_t *a) { dd_qval_t v = dd_qval_null(); v.t = DD_QT_ARRAY; v.u.a = a; v.dyn = 1; return v; }

static int f_pack_array(qctx_t *q, qexpr_t *x, const dd_qval_t *a, int n, dd_qval_t *out)
{
    (void)x;
    dd_qarray_t *arr = dd_arena_alloc(&q->tmp, sizeof *arr + (size_t)n * sizeof(dd_qval_t));
    arr->n = (uint32_t)n;
    for (int i = 0; i < n; i++) { arr->v[i] = a[i]; arr->v[i].dyn = 1; }
    *out = arr_val(arr);
    return DD_OK;
}

static int f_bag_pack(qctx_t *q, qexpr_t *x, const dd_qval_t *a, int n, dd_qval_t *out)
{
    if (n % 2) return qerr_at(q, x->line, x->col, DD_EINVAL, "function '%s' expects key/value pairs (an even number of arguments)", x->fn->name);
    dd_qobject_t *o = dd_arena_alloc(&q->tmp, sizeof *o + (size_t)(n / 2) * sizeof(dd_qkv_t));
    uint32_t k = 0;
    for (int i = 0; i + 1 < n; i += 2) {
        dd_qval_t key = tostr(q, &a[i]);
        uint32_t j;
        for (j = 0; j < k; j++)   /* a repeated key keeps the last value */
            if (o->kv[j].klen == key.len && !memcmp(o->kv[j].key, key.u.s, key.len)) break;
        o->kv[j].key = key.u.s;
        o->kv[j].klen = key.len;
        o->kv[j].v = a[i + 1];
        o->kv[j].v.dyn = 1;
        if (j == k) k++;
    }
    o->n = k;
    *out = dd_qval_null();
    out->t = DD_QT_OBJECT;
    out->u.o = o;
    out->dyn = 1;
    return DD_OK;
}

static int f_bag_keys(qctx_t *q, qexpr_t *x, const dd_qval_t *a, int n, dd_qval_t *out)
{
    (void)x; (void)n;
    *out = dd_qval_null();
    if (a[0].t != DD_QT_OBJECT) return DD_OK;
    dd_qarray_t *arr = dd_arena_alloc(&q->tmp, sizeof *arr + a[0].u.o->n * sizeof(dd_qval_t));
    arr->n = a[0].u.o->n;
    for (uint32_t i = 0; i < arr->n; i++) { arr->v[i] = dd_qval_strn(a[0].u.o->kv[i].key, a[0].u.o->kv[i].klen); arr->v[i].dyn = 1; }
    *out = arr_val(arr);
    return DD_OK;
}

static int64_t index_in(const dd_qval_t *arr, const dd_qval_t *v)
{
    for (uint32_t i = 0; i < arr->u.a->n; i++) {
        const dd_qval_t *e = &arr->u.a->v[i];
        if (e->t == DD_QT_NULL || v->t == DD_QT_NULL) continue;
        if ((qv_isnum(e) && qv_isnum(v)) || e->t == v->t)
            if (qval_cmp(e, v) == 0) return i;
    }
    return -1;
}

static int f_set_has_element(qctx_t *q, qexpr_t *x, const dd_qval_t *a, int n, dd_qval_t *out)
{
    (void)q; (void)x; (void)n;
    *out = a[0].t == DD_QT_ARRAY ? dd_qval_bool(index_in(&a[0], &a[1]) >= 0) : dd_qval_null();
    return DD_OK;
}

static int f_array_index_of(qctx_t *q, qexpr_t *x, const dd_qval_t *a, int n, dd_qval_t *out)
{
    (void)q; (void)x; (void)n;
    *out = a[0].t == DD_QT_ARRAY ? dd_qval_long(index_in(&a[0], &a[1])) : dd_qval_null();
    return DD_OK;
}

static int f_strcat_array(qctx_t *q, qexpr_t *x, const dd_qval_t *a, int n, dd_qval_t *out)
{
    (void)n;
    *out = dd_qval_strn("", 0);
    if (a[0].t != DD_QT_ARRAY) return DD_OK;
    dd_qval_t d = tostr(q, &a[1]);
    dd_buf_t b;
    dd_buf_init(&b, 16 * 1024 * 1024);
    int rc = DD_OK;
    for (uint32_t i = 0; i < a[0].u.a->n && rc == DD_OK; i++) {
        if (i) rc = dd_buf_append(&b, d.u.s, d.len);
        dd_qval_t e = tostr(q, &a[0].u.a->v[i]);
        if (rc == DD_OK) rc = dd_buf_append(&b, e.u.s, e.len);
    }
    if (rc) { dd_buf_release(&b); return qerr_at(q, x->line, x->col, DD_ELIMIT, "strcat_array result too large"); }
    *out = qval_str_copy(&q->tmp, b.ptr ? b.ptr : "", b.len);
    dd_buf_release(&b);
    return DD_OK;
}

static int f_startof(qctx_t *q, qexpr_t *x, const dd_qval_t *a, int n, dd_qval_t *out)
{
    (void)q; (void)n;
    *out = dd_qval_null();
    if (a[0].t != DD_QT_DATETIME) return DD_OK;
    const int64_t day = 86400LL * DD_QTICKS_PER_SEC;
    int64_t t = a[0].u.l, d = t / day - (t % day < 0);
    if (!strcmp(x->fn->name, "startofday")) { *out = dd_qval_datetime(d * day); return DD_OK; }
    char buf[48];
    qfmt_datetime(d * day, buf);   /* YYYY-MM-DD... */
    buf[!strcmp(x->fn->name, "startofmonth") ? 7 : 4] = 0;
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%.40s%s", buf, !strcmp(x->fn->name, "startofmonth") ? "-01" : "-01-01");
    int64_t r;
    if (qparse_datetime(tmp, strlen(tmp), &r)) *out = dd_qval_datetime(r);
    return DD_OK;
}

static int f_dayofweek(qctx_t *q, qexpr_t *x, const dd_qval_t *a, int n, dd_qval_t *out)
{
    (void)q; (void)x; (void)n;
    *out = dd_qval_null();
    if (a[0].t != DD_QT_DATETIME) return DD_OK;
    const int64_t day = 86400LL * DD_QTICKS_PER_SEC;
    int64_t d = a[0].u.l / day - (a[0].u.l % day < 0);
    int64_t w = ((d % 7) + 7 + 4) % 7;   /* 1970-01-01 was a Thursday; Sunday = 0 */
    *out = dd_qval_timespan(w * day);
    return DD_OK;
}

static int64_t floordiv(int64_t a, int64_t b) { return a / b - (a % b != 0 && ((a < 0) != (b < 0))); }

/* datetime_diff(part, a, b): the number of `part` boundaries between b and a. */
static int f_datetime_diff(qctx_t *q, qexpr_t *x, const dd_qval_t *a, int n, dd_qval_t *out)
{
    (void)n;
    *out = dd_qval_null();
    if (a[1].t != DD_QT_DATETIME || a[2].t != DD_QT_DATETIME || a[0].t != DD_QT_STRING) return DD_OK;
    const char *p = a[0].u.s;
    size_t pl = a[0].len;
    int64_t t1 = a[1].u.l, t2 = a[2].u.l, unit = 0;
    const int64_t day = 86400LL * DD_QTICKS_PER_SEC;
    if (qstr_eqci(p, pl, "year", 4) || qstr_eqci(p, pl, "quarter", 7) || qstr_eqci(p, pl, "month", 5)) {
        int64_t y1, y2;
        unsigned m1, m2, d1, d2;
        qcivil(t1, &y1, &m1, &d1);
        qcivil(t2, &y2, &m2, &d2);
        if (pl == 4) *out = dd_qval_long(y1 - y2);
        else if (pl == 5) *out = dd_qval_long((y1 * 12 + m1) - (y2 * 12 + m2));
        else *out = dd_qval_long((y1 * 4 + (m1 - 1) / 3) - (y2 * 4 + (m2 - 1) / 3));
        return DD_OK;
    }
    if (qstr_eqci(p, pl, "week", 4)) {
        /* weeks start on Sunday; 1970-01-04 was a Sunday */
        *out = dd_qval_long(floordiv(floordiv(t1, day) - 3, 7) - floordiv(floordiv(t2, day) - 3, 7));
        return DD_OK;
    }
    if (qstr_eqci(p, pl, "day", 3)) unit = day;
    else if (qstr_eqci(p, pl, "hour", 4)) unit = 3600LL * DD_QTICKS_PER_SEC;
    else if (qstr_eqci(p, pl, "minute", 6)) unit = 60LL * DD_QTICKS_PER_SEC;
    else if (qstr_eqci(p, pl, "second", 6)) unit = DD_QTICKS_PER_SEC;
    else if (qstr_eqci(p, pl, "millisecond", 11)) unit = DD_QTICKS_PER_SEC / 1000;
    else if (qstr_eqci(p, pl, "microsecond", 11)) unit = 10;
    else return qerr_at(q, x->line, x->col, DD_EINVAL, "datetime_diff: unknown period '%.*s'", (int)(pl > 20 ? 20 : pl), p);
    *out = dd_qval_long(floordiv(t1, unit) - floordiv(t2, unit));
    return DD_OK;
}

/* ---- the tables ------------------------------------------------------------------ */
#define MANY 64
/* Sorted by name.
 *   name, minargs, maxargs, ret (DD_QT_DYNAMIC: depends), fn, agg (negative: lazy
 *   code for eval.c), lazy */
static const qfunc_t funcs[] = {
    {"abs", 1, 1, DD_QT_DYNAMIC, f_abs, 0, false},
    {"ago", 1, 1, DD_QT_DATETIME, f_ago, 0, false},
    {"array_index_of", 2, 2, DD_QT_LONG, f_array_index_of, 0, false},
    {"array_length", 1, 1, DD_QT_LONG, f_array_length, 0, false},
    {"bag_keys", 1, 1, DD_QT_DYNAMIC, f_bag_keys, 0, false},
    {"bag_pack", 2, MANY, DD_QT_DYNAMIC, f_bag_pack, 0, false},
    {"bin", 2, 2, DD_QT_DYNAMIC, f_bin, 0, false},
    {"case", 3, MANY, DD_QT_DYNAMIC, NULL, -2, true},
    {"coalesce", 1, MANY, DD_QT_DYNAMIC, NULL, -3, true},
    {"datetime_diff", 3, 3, DD_QT_LONG, f_datetime_diff, 0, false},
    {"dayofweek", 1, 1, DD_QT_TIMESPAN, f_dayofweek, 0, false},
    {"extract", 3, 3, DD_QT_STRING, f_extract, 0, false},
    {"floor", 2, 2, DD_QT_DYNAMIC, f_bin, 0, false},
    {"gettype", 1, 1, DD_QT_STRING, f_gettype, 0, false},
    {"iff", 3, 3, DD_QT_DYNAMIC, NULL, -1, true},
    {"iif", 3, 3, DD_QT_DYNAMIC, NULL, -1, true},
    {"indexof", 2, 2, DD_QT_LONG, f_indexof, 0, false},
    {"isempty", 1, 1, DD_QT_BOOL, f_isempty, 0, false},
    {"isnotempty", 1, 1, DD_QT_BOOL, f_isempty, 0, false},
    {"isnotnull", 1, 1, DD_QT_BOOL, f_isnull, 0, false},
    {"isnull", 1, 1, DD_QT_BOOL, f_isnull, 0, false},
    {"max_of", 1, MANY, DD_QT_DYNAMIC, f_minmax_of, 0, false},
    {"min_of", 1, MANY, DD_QT_DYNAMIC, f_minmax_of, 0, false},
    {"not", 1, 1, DD_QT_BOOL, f_not, 0, false},
    {"now", 0, 1, DD_QT_DATETIME, f_now, 0, false},
    {"pack", 2, MANY, DD_QT_DYNAMIC, f_bag_pack, 0, false},
    {"pack_array", 1, MANY, DD_QT_DYNAMIC, f_pack_array, 0, false},
    {"parse_json", 1, 1, DD_QT_DYNAMIC, f_todynamic, 0, false},
    {"replace_string", 3, 3, DD_QT_STRING, f_replace_string, 0, false},
    {"round", 1, 2, DD_QT_REAL, f_round, 0, false},
    {"set_has_element", 2, 2, DD_QT_BOOL, f_set_has_element, 0, false},
    {"split", 2, 3, DD_QT_DYNAMIC, f_split, 0, false},
    {"startofday", 1, 1, DD_QT_DATETIME, f_startof, 0, false},
    {"startofmonth", 1, 1, DD_QT_DATETIME, f_startof, 0, false},
    {"startofyear", 1, 1, DD_QT_DATETIME, f_startof, 0, false},
    {"strcat", 1, MANY, DD_QT_STRING, f_strcat, 0, false},
    {"strcat_array", 2, 2, DD_QT_STRING, f_strcat_array, 0, false},
    {"strlen", 1, 1, DD_QT_LONG, f_strlen, 0, false},
    {"substring", 2, 3, DD_QT_STRING, f_substring, 0, false},
    {"tobool", 1, 1, DD_QT_BOOL, f_tobool, 0, false},
    {"toboolean", 1, 1, DD_QT_BOOL, f_tobool, 0, false},
    {"todatetime", 1, 1, DD_QT_DATETIME, f_todatetime, 0, false},
    {"todouble", 1, 1, DD_QT_REAL, f_todouble, 0, false},
    {"todynamic", 1, 1, DD_QT_DYNAMIC, f_todynamic, 0, false},
    {"toint", 1, 1, DD_QT_LONG, f_tolong, 0, false},
    {"tolong", 1, 1, DD_QT_LONG, f_tolong, 0, false},
    {"tolower", 1, 1, DD_QT_STRING, f_case, 0, false},
    {"toreal", 1, 1, DD_QT_REAL, f_todouble, 0, false},
    {"tostring", 1, 1, DD_QT_STRING, f_tostring, 0, false},
    {"totimespan", 1, 1, DD_QT_TIMESPAN, f_totimespan, 0, false},
    {"toupper", 1, 1, DD_QT_STRING, f_case, 0, false},
};

static int fcmp(const void *k, const void *e) { return strcmp(k, ((const qfunc_t *)e)->name); }

const qfunc_t *qfunc_find(const char *name)
{
    return bsearch(name, funcs, sizeof funcs / sizeof funcs[0], sizeof funcs[0], fcmp);
}

/* Aggregations (used by summarize in ops.c), sorted by name. */
static const qfunc_t aggs[] = {
    {"any", 1, 1, DD_QT_DYNAMIC, NULL, AG_TAKE_ANY, false},
    {"arg_max", 2, MANY, DD_QT_DYNAMIC, NULL, AG_ARG_MAX, false},
    {"arg_min", 2, MANY, DD_QT_DYNAMIC, NULL, AG_ARG_MIN, false},
    {"avg", 1, 1, DD_QT_REAL, NULL, AG_AVG, false},
    {"avgif", 2, 2, DD_QT_REAL, NULL, AG_AVG + AG_IF, false},
    {"count", 0, 0, DD_QT_LONG, NULL, AG_COUNT, false},
    {"countif", 1, 1, DD_QT_LONG, NULL, AG_COUNTIF, false},
    {"dcount", 1, 2, DD_QT_LONG, NULL, AG_DCOUNT, false},
    {"dcountif", 2, 3, DD_QT_LONG, NULL, AG_DCOUNT + AG_IF, false},
    {"make_list", 1, 2, DD_QT_DYNAMIC, NULL, AG_MAKE_LIST, false},
    {"make_list_if", 2, 3, DD_QT_DYNAMIC, NULL, AG_MAKE_LIST + AG_IF, false},
    {"make_set", 1, 2, DD_QT_DYNAMIC, NULL, AG_MAKE_SET, false},
    {"make_set_if", 2, 3, DD_QT_DYNAMIC, NULL, AG_MAKE_SET + AG_IF, false},
    {"max", 1, 1, DD_QT_DYNAMIC, NULL, AG_MAX, false},
    {"min", 1, 1, DD_QT_DYNAMIC, NULL, AG_MIN, false},
    {"sum", 1, 1, DD_QT_DYNAMIC, NULL, AG_SUM, false},
    {"sumif", 2, 2, DD_QT_DYNAMIC, NULL, AG_SUM + AG_IF, false},
    {"take_any", 1, 1, DD_QT_DYNAMIC, NULL, AG_TAKE_ANY, false},
};

const qfunc_t *qagg_find(const char *name)
{
    return bsearch(name, aggs, sizeof aggs / sizeof aggs[0], sizeof aggs[0], fcmp);
}
