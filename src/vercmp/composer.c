/*
 * composer.c: Packagist/Composer version ordering (DD_VS_COMPOSER): a
 * version is normalized as composer/semver's VersionParser::normalize()
 * does (composer/semver 3.3, Debian 12's php-composer-semver), then two
 * normalized versions compare as PHP's version_compare() compares them
 * (what Composer's Comparator does).
 *
 * Normalization (case-insensitive):
 *   - surrounding blanks, an alias " as X", a trailing "@stable|@RC|@beta|
 *     @alpha|@dev" and build metadata "+..." are dropped;
 *   - "master", "trunk", "default" and "dev-*" are branches ("dev-NAME");
 *   - classical: v? N{1,5} (.N){0,3} -> exactly four numbers "N.N.N.N";
 *     date-based: v? YYYY followed by 1-6 two-digit groups and an optional
 *     1-3 digit group, separators [.:-] -> the digits with '.' between;
 *   - a stability suffix [._-]?(stable|beta|b|RC|alpha|a|patch|pl|p)
 *     [[.-]N...] [[.-]dev]: "-alpha"/"-beta"/"-RC"/"-patch" plus its
 *     numbers ("1.0b2" -> "1.0.0.0-beta2"), "stable" dropped, a "dev"
 *     suffix as "-dev";
 *   - "N.x-dev" style branches become "N.9999999.9999999.9999999-dev".
 * Comparison (version_compare): the normalized strings are split at '.',
 * '-' and digit/letter changes; parts compare in order, numbers by value,
 * words by dev < alpha = a < beta = b < RC = rc < (number) < pl = p =
 * patch, any other word below dev; when one side runs out, the other is
 * greater if its next part is a number or patch, lower if it is a
 * prerelease word. So 1.0.0-dev < 1.0.0-alpha1 < 1.0.0-beta2-dev <
 * 1.0.0-beta2 < 1.0.0-RC1 < 1.0.0 < 1.0.0-patch1 < 1.0.1.
 *
 * Composer makes a branch ("dev-main") comparable to nothing; here
 * branches sort below every numbered version and among themselves by
 * strcmp. Strings normalize() rejects sort below everything else, and
 * among themselves by strcmp; so do normalized forms of more than
 * NORM_MAX bytes (a bound of this code). Numbers compare exactly at any
 * length (PHP clamps them to its long).
 */
#include <stdio.h>

#include "dd/vercmp.h"
#include "vercmp/vercmp_int.h"

#define NORM_MAX 200

enum { C_INVALID = 0, C_BRANCH = 1, C_VERSION = 2 };

static bool isblank_(int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }

static bool iprefix(const char *p, const char *e, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(e - p) < n) return false;
    for (size_t i = 0; i < n; i++)
        if (vc_tolower((unsigned char)p[i]) != vc_tolower((unsigned char)w[i])) return false;
    return true;
}

typedef struct {
    char buf[NORM_MAX + 1];
    size_t n;
    bool over;
} out_t;

static void put(out_t *o, const char *p, size_t n)
{
    if (o->n + n > NORM_MAX) {
        o->over = true;
        return;
    }
    memcpy(o->buf + o->n, p, n);
    o->n += n;
    o->buf[o->n] = 0;
}

static void puts_(out_t *o, const char *s) { put(o, s, strlen(s)); }

/* The modifier regex, anchored at both ends, on [p, e):
 *   [._-]? (?: (stable|beta|b|RC|alpha|a|patch|pl|p) ((?:[.-]?\d+)*+) )? ([.-]?dev)? $
 * tried in PCRE's order. Appends the normalized suffix to o. */
static bool modifier(const char *p, const char *e, out_t *o, bool *stable)
{
    static const char *const stab[] = {"stable", "beta", "b", "RC", "alpha", "a", "patch", "pl", "p"};
    *stable = false;
    for (int sep = 1; sep >= 0; sep--) {
        const char *q = p;
        if (sep) {
            if (q < e && (*q == '.' || *q == '_' || *q == '-')) q++;
            else continue;
        }
        /* with a stability word (each alternative in order), then without */
        for (size_t w = 0; w <= sizeof stab / sizeof stab[0]; w++) {
            const char *r = q, *ds = NULL, *de = NULL;
            if (w < sizeof stab / sizeof stab[0]) {
                if (!iprefix(r, e, stab[w])) continue;
                r += strlen(stab[w]);
                ds = r;
                for (;;) { /* (?:[.-]?\d+)*+ */
                    const char *t = r;
                    if (t < e && (*t == '.' || *t == '-')) t++;
                    if (t < e && vc_isdigit((unsigned char)*t)) {
                        while (t < e && vc_isdigit((unsigned char)*t)) t++;
                        r = t;
                    } else {
                        break;
                    }
                }
                de = r;
            }
            bool dev = false;
            const char *t = r;
            if (t < e && (*t == '.' || *t == '-')) t++;
            if (iprefix(t, e, "dev") && t + 3 == e) dev = true, r = e;
            else if (iprefix(r, e, "dev") && r + 3 == e) dev = true, r = e;
            if (r != e) continue;
            if (w < sizeof stab / sizeof stab[0]) {
                if (!strcmp(stab[w], "stable") && !strncmp(q, "stable", 6)) { /* case-sensitive, as PHP */
                    *stable = true;
                    return true;
                }
                static const char *const expand[] = {"stable", "beta", "beta", "RC", "alpha", "alpha", "patch",
                                                     "patch", "patch"};
                puts_(o, "-");
                if (!strcmp(stab[w], "stable")) {
                    char low[7];
                    for (int i = 0; i < 6; i++) low[i] = (char)vc_tolower((unsigned char)q[i]);
                    low[6] = 0;
                    puts_(o, low);
                } else {
                    puts_(o, expand[w]);
                }
                while (ds < de && (*ds == '.' || *ds == '-')) ds++;
                put(o, ds, (size_t)(de - ds));
            }
            if (dev) puts_(o, "-dev");
            return true;
        }
    }
    return false;
}

/* Date-based core: \d{4} (?:[.:-]?\d{2}){1,6} (?:[.:-]?\d{1,3})? then the
 * modifier to the end. Tries the matches in PCRE's order (greedy). */
static bool date_tail(const char *s, const char *p, const char *e, int groups, out_t *o, bool *stable);

static bool date_try_end(const char *s, const char *p, const char *e, out_t *o, bool *stable)
{
    size_t keep = o->n;
    for (const char *c = s; c < p; c++) put(o, vc_isdigit((unsigned char)*c) ? c : ".", 1);
    if (modifier(p, e, o, stable)) return true;
    o->n = keep;
    o->buf[keep] = 0;
    return false;
}

static bool date_tail(const char *s, const char *p, const char *e, int groups, out_t *o, bool *stable)
{
    if (groups < 6) { /* one more two-digit group, separator first */
        for (int sep = 1; sep >= 0; sep--) {
            const char *q = p;
            if (sep) {
                if (q < e && (*q == '.' || *q == ':' || *q == '-')) q++;
                else continue;
            }
            if (e - q >= 2 && vc_isdigit((unsigned char)q[0]) && vc_isdigit((unsigned char)q[1]))
                if (date_tail(s, q + 2, e, groups + 1, o, stable)) return true;
        }
    }
    if (groups < 1) return false;
    /* the optional 1-3 digit group, greedy */
    for (int sep = 1; sep >= 0; sep--) {
        const char *q = p;
        if (sep) {
            if (q < e && (*q == '.' || *q == ':' || *q == '-')) q++;
            else continue;
        }
        for (int n = 3; n >= 1; n--) {
            if (e - q < n) continue;
            bool ok = true;
            for (int i = 0; i < n; i++)
                if (!vc_isdigit((unsigned char)q[i])) ok = false;
            if (ok && date_try_end(s, q + n, e, o, stable)) return true;
        }
    }
    return date_try_end(s, p, e, o, stable);
}

/* normalizeBranch on [p, e) (already known to end before "[.-]dev"):
 * v? N (.N|.x|.*){0,3} -> N.N.N.N with x -> 9999999, plus "-dev". */
static bool numeric_branch(const char *p, const char *e, out_t *o)
{
    while (p < e && isblank_((unsigned char)*p)) p++;
    while (e > p && isblank_((unsigned char)e[-1])) e--;
    if (p < e && (*p == 'v' || *p == 'V')) p++;
    int parts = 0;
    while (parts < 4) {
        if (parts > 0) {
            if (p == e) break;
            if (*p != '.') return false;
            p++;
            puts_(o, ".");
        }
        const char *q = p;
        while (p < e && vc_isdigit((unsigned char)*p)) p++;
        if (p > q) put(o, q, (size_t)(p - q));
        else if (parts > 0 && p < e && (*p == 'x' || *p == 'X' || *p == '*')) p++, puts_(o, "9999999");
        else return false;
        parts++;
    }
    if (p != e) return false;
    for (; parts < 4; parts++) puts_(o, ".9999999");
    puts_(o, "-dev");
    return true;
}

/* VersionParser::normalize into o; returns the class. */
static int normalize(const char *s, out_t *o)
{
    o->n = 0;
    o->buf[0] = 0;
    o->over = false;
    const char *p = s, *e = s + strlen(s);
    while (p < e && isblank_((unsigned char)*p)) p++;
    while (e > p && isblank_((unsigned char)e[-1])) e--;
    /* "X as Y" -> X */
    for (const char *c = p; c < e; c++) {
        if (*c != ' ') continue;
        const char *a = c;
        while (a < e && *a == ' ') a++;
        if (e - a > 3 && a[0] == 'a' && a[1] == 's' && a[2] == ' ') {
            const char *x = p, *y = a + 3;
            while (y < e && *y == ' ') y++;
            bool ok = y < e;
            for (const char *t = x; t < c; t++)
                if (*t == ',' || isblank_((unsigned char)*t)) ok = false;
            for (const char *t = y; t < e; t++)
                if (*t == ',' || isblank_((unsigned char)*t)) ok = false;
            if (ok && c > x) e = c;
        }
        break;
    }
    /* "@stability" */
    static const char *const flags[] = {"@stable", "@RC", "@beta", "@alpha", "@dev"};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        size_t l = strlen(flags[i]);
        if ((size_t)(e - p) >= l && iprefix(e - l, e, flags[i])) {
            e -= l;
            break;
        }
    }
    size_t len = (size_t)(e - p);
    if ((len == 6 && !strncmp(p, "master", 6)) || (len == 5 && !strncmp(p, "trunk", 5)) ||
        (len == 7 && !strncmp(p, "default", 7))) {
        puts_(o, "dev-");
        put(o, p, len);
        return o->over ? C_INVALID : C_BRANCH;
    }
    if (iprefix(p, e, "dev-")) {
        puts_(o, "dev-");
        put(o, p + 4, len - 4);
        return o->over ? C_INVALID : C_BRANCH;
    }
    /* build metadata: ^([^,\s+]++)\+[^\s]++$ */
    {
        const char *plus = NULL;
        bool ok = true;
        for (const char *c = p; c < e; c++) {
            if (isblank_((unsigned char)*c)) ok = false;
            if (!plus && *c == ',') ok = false;
            if (!plus && *c == '+') plus = c;
        }
        if (ok && plus && plus > p && plus + 1 < e) e = plus;
    }
    const char *v = p;
    if (v < e && (*v == 'v' || *v == 'V')) v++;
    bool stable;
    /* classical */
    {
        const char *q = v;
        size_t n = 0;
        while (q + n < e && vc_isdigit((unsigned char)q[n])) n++;
        if (n >= 1 && n <= 5) {
            out_t t = *o;
            put(&t, q, n);
            q += n;
            int parts = 1;
            while (parts < 4 && q + 1 < e && *q == '.' && vc_isdigit((unsigned char)q[1])) {
                const char *d = q;
                q++;
                while (q < e && vc_isdigit((unsigned char)*q)) q++;
                put(&t, d, (size_t)(q - d));
                parts++;
            }
            for (; parts < 4; parts++) puts_(&t, ".0");
            if (modifier(q, e, &t, &stable)) {
                *o = t;
                return o->over ? C_INVALID : C_VERSION;
            }
        }
    }
    /* date-based */
    {
        size_t n = 0;
        while (n < 4 && v + n < e && vc_isdigit((unsigned char)v[n])) n++;
        if (n == 4) {
            out_t t = *o;
            if (date_tail(v, v + 4, e, 0, &t, &stable)) {
                *o = t;
                return o->over ? C_INVALID : C_VERSION;
            }
        }
    }
    /* numeric branches: (.*?)[.-]?dev$ */
    if (e - p >= 3 && iprefix(e - 3, e, "dev")) { /* e may have moved (metadata) */
        const char *b = e - 3;
        if (b > p && (b[-1] == '.' || b[-1] == '-')) b--;
        out_t t = *o;
        if (numeric_branch(p, b, &t)) {
            *o = t;
            return o->over ? C_INVALID : C_VERSION;
        }
    }
    return C_INVALID;
}

/* ---- version_compare on normalized strings ---------------------------- */

typedef struct {
    const char *p, *e;
} tok_t;

/* Next part of a canonicalized version: a digit run or a run of other
 * non-separator bytes; separators are '.', '-', '_', '+' and anything not
 * alphanumeric. Returns false at the end. */
static bool next_tok(const char **pp, const char *e, tok_t *t)
{
    const char *p = *pp;
    while (p < e && !vc_isalnum((unsigned char)*p)) p++;
    if (p == e) {
        *pp = p;
        return false;
    }
    bool dig = vc_isdigit((unsigned char)*p);
    t->p = p;
    while (p < e && vc_isalnum((unsigned char)*p) && vc_isdigit((unsigned char)*p) == dig) p++;
    t->e = p;
    *pp = p;
    return true;
}

/* PHP's special forms, matched as prefixes in this order. */
static int special(const tok_t *t)
{
    static const struct {
        const char *name;
        int order;
    } forms[] = {{"dev", 0}, {"alpha", 1}, {"a", 1}, {"beta", 2}, {"b", 2}, {"RC", 3},
                 {"rc", 3},  {"#", 4},     {"pl", 5}, {"p", 5}};
    size_t n = (size_t)(t->e - t->p);
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        size_t l = strlen(forms[i].name);
        if (n >= l && !strncmp(t->p, forms[i].name, l)) return forms[i].order;
    }
    return -6;
}

static bool isnum(const tok_t *t) { return vc_isdigit((unsigned char)*t->p); }

static int php_compare(const char *a, const char *b)
{
    const char *pa = a, *ea = a + strlen(a), *pb = b, *eb = b + strlen(b);
    for (;;) {
        tok_t ta, tb;
        bool ha = next_tok(&pa, ea, &ta), hb = next_tok(&pb, eb, &tb);
        if (!ha && !hb) return 0;
        if (!ha || !hb) {
            const tok_t *t = ha ? &ta : &tb;
            int r = isnum(t) ? 1 : vc_sign(special(t) - 4);
            return ha ? r : -r;
        }
        int r;
        if (isnum(&ta) && isnum(&tb))
            r = vc_numcmp(ta.p, (size_t)(ta.e - ta.p), tb.p, (size_t)(tb.e - tb.p));
        else if (!isnum(&ta) && !isnum(&tb))
            r = vc_sign(special(&ta) - special(&tb));
        else
            r = isnum(&ta) ? vc_sign(4 - special(&tb)) : vc_sign(special(&ta) - 4);
        if (r) return r;
    }
}

int dd_vercmp_composer(const char *a, const char *b)
{
    out_t na, nb;
    if (!a) a = "";
    if (!b) b = "";
    int ca = normalize(a, &na), cb = normalize(b, &nb);
    if (ca != cb) return ca < cb ? -1 : 1;
    if (ca == C_INVALID) return vc_sign(strcmp(a, b));
    if (ca == C_BRANCH) return vc_sign(strcmp(na.buf, nb.buf));
    return php_compare(na.buf, nb.buf);
}

bool dd_version_valid_composer(const char *v)
{
    out_t o;
    return v && normalize(v, &o) == C_VERSION;
}

int dd_version_normalize_composer(const char *v, char *buf, size_t n)
{
    out_t o;
    if (!v || normalize(v, &o) == C_INVALID) return -1;
    if (buf && n) snprintf(buf, n, "%s", o.buf);
    return 0;
}
