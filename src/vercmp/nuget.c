/*
 * nuget.c: NuGet version ordering (DD_VS_NUGET), the rules of
 * NuGet.Versioning's NuGetVersion and VersionComparer.Default
 * (https://learn.microsoft.com/nuget/concepts/package-versioning):
 *
 *   version = N ["." N ["." N ["." N]]] ["-" label ("." label)*] ["+" meta ("." meta)*]
 *   N       = [0-9]+ with a value below 2^31 (leading zeros allowed)
 *   label   = [0-9A-Za-z-]+           surrounding blanks are trimmed
 *
 * SemVer 2.0.0 plus a fourth "revision" number, System.Version-like:
 * missing numbers are 0, so 1.0 == 1.0.0 == 1.0.0.0. A version with
 * labels is below the same version without. Labels compare one by one:
 * two numeric labels (what .NET's int.TryParse accepts: an optional '-' and
 * digits, in int range) by value, a numeric label below a non-numeric one,
 * others case-insensitively (OrdinalIgnoreCase); fewer labels is lower.
 * Metadata is ignored (1.0.0+a == 1.0.0+b).
 *
 * Invalid strings sort below all valid ones and among themselves by strcmp.
 */
#include "dd/vercmp.h"
#include "vercmp/vercmp_int.h"

typedef struct {
    const char *num[4];
    size_t numlen[4];
    const char *rel;  /* labels, NULL if none */
    size_t rellen;
} nver_t;

static bool isblank_(int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }
static bool islabel(int c) { return vc_isalnum(c) || c == '-'; }

/* Whether the digit string [p, p+n) (leading zeros allowed) is at most max. */
static bool fits(const char *p, size_t n, const char *max)
{
    while (n > 0 && *p == '0') p++, n--;
    return vc_numcmp(p, n, max, strlen(max)) <= 0;
}

/* Dot-separated non-empty labels at p up to e; length consumed or 0. */
static size_t labels(const char *p, const char *e)
{
    const char *s = p;
    for (;;) {
        const char *q = p;
        while (p < e && islabel((unsigned char)*p)) p++;
        if (p == q) return 0;
        if (p < e && *p == '.') {
            p++;
            continue;
        }
        return (size_t)(p - s);
    }
}

static bool parse(const char *s, nver_t *v)
{
    const char *p = s, *e = s + strlen(s);
    while (p < e && isblank_((unsigned char)*p)) p++;
    while (e > p && isblank_((unsigned char)e[-1])) e--;
    for (int i = 0; i < 4; i++) {
        v->num[i] = "0";
        v->numlen[i] = 1;
    }
    v->rel = NULL;
    v->rellen = 0;
    for (int i = 0; i < 4; i++) {
        if (i > 0) {
            if (p == e || *p == '-' || *p == '+') break;
            if (*p != '.') return false;
            p++;
        }
        size_t n = 0;
        while (p + n < e && vc_isdigit((unsigned char)p[n])) n++;
        if (n == 0 || !fits(p, n, "2147483647")) return false;
        v->num[i] = p;
        v->numlen[i] = n;
        p += n;
    }
    if (p < e && *p == '-') {
        p++;
        size_t n = labels(p, e);
        if (n == 0) return false;
        v->rel = p;
        v->rellen = n;
        p += n;
    }
    if (p < e && *p == '+') {
        p++;
        size_t n = labels(p, e);
        if (n == 0) return false;
        p += n;
    }
    return p == e;
}

/* int.TryParse on a label: optional '-', digits, in int range. */
static bool label_int(const char *p, size_t n, bool *neg, const char **d, size_t *dn)
{
    *neg = n > 0 && *p == '-';
    if (*neg) p++, n--;
    if (n == 0) return false;
    for (size_t i = 0; i < n; i++)
        if (!vc_isdigit((unsigned char)p[i])) return false;
    if (!fits(p, n, *neg ? "2147483648" : "2147483647")) return false;
    while (n > 0 && *p == '0') p++, n--;
    *d = p;
    *dn = n;
    if (n == 0) *neg = false; /* -0 == 0 */
    return true;
}

static int label_cmp(const char *a, size_t an, const char *b, size_t bn)
{
    bool na, nb;
    const char *da, *db;
    size_t dan, dbn;
    bool ia = label_int(a, an, &na, &da, &dan), ib = label_int(b, bn, &nb, &db, &dbn);
    if (ia && ib) {
        if (na != nb) return na ? -1 : 1;
        int r = vc_numcmp(da, dan, db, dbn);
        return na ? -r : r;
    }
    if (ia != ib) return ia ? -1 : 1;
    size_t n = an < bn ? an : bn;
    for (size_t i = 0; i < n; i++) {
        int x = (unsigned char)a[i], y = (unsigned char)b[i];
        if (vc_islower(x)) x -= 'a' - 'A';
        if (vc_islower(y)) y -= 'a' - 'A';
        if (x != y) return x < y ? -1 : 1;
    }
    return an == bn ? 0 : an < bn ? -1 : 1;
}

static int rel_cmp(const char *a, size_t an, const char *b, size_t bn)
{
    const char *ae = a + an, *be = b + bn;
    for (;;) {
        bool ha = a < ae, hb = b < be;
        if (!ha || !hb) return ha == hb ? 0 : ha ? 1 : -1;
        const char *ia = a, *ib = b;
        while (a < ae && *a != '.') a++;
        while (b < be && *b != '.') b++;
        int r = label_cmp(ia, (size_t)(a - ia), ib, (size_t)(b - ib));
        if (r) return r;
        if (a < ae) a++;
        if (b < be) b++;
    }
}

int dd_vercmp_nuget(const char *a, const char *b)
{
    nver_t va, vb;
    if (!a) a = "";
    if (!b) b = "";
    bool oka = parse(a, &va), okb = parse(b, &vb);
    if (!oka || !okb) return vc_invalid_order(oka, okb, a, b);
    for (int i = 0; i < 4; i++) {
        int r = vc_numcmp(va.num[i], va.numlen[i], vb.num[i], vb.numlen[i]);
        if (r) return r;
    }
    if (!va.rel || !vb.rel) return va.rel == vb.rel ? 0 : va.rel ? -1 : 1;
    return rel_cmp(va.rel, va.rellen, vb.rel, vb.rellen);
}

bool dd_version_valid_nuget(const char *v)
{
    nver_t n;
    return v && parse(v, &n);
}
