/*
 * gem.c: RubyGems version ordering (DD_VS_GEM), the rules of Gem::Version
 * (rubygems lib/rubygems/version.rb, RubyGems 3.x as in Debian 12's ruby).
 *
 *   valid   = \s* [ [0-9]+ ("." [0-9a-zA-Z]+)* ("-" [0-9A-Za-z-]+ ("." [0-9A-Za-z-]+)*)? ] \s*
 *             (blank or empty means "0")
 *   each "-" reads as ".pre." (1.0-rc1 == 1.0.pre.rc1);
 *   segments = the runs of digits and of letters ("1.0a1" -> 1, 0, "a", 1),
 *              numbers by value, letters case-sensitive;
 *   canonical segments: the numeric part before the first letter run and the
 *              part from it on each lose their trailing zeros
 *              (1.0 == 1, 1.a.0 == 1.a);
 *   comparison: segment by segment, a missing segment is 0; a letter
 *              segment is below a number (1.0.a < 1.0 < 1.0.0.1: any
 *              letter makes a prerelease), letters compare bytewise.
 *
 * Invalid strings (what Gem::Version.new rejects as "Malformed version
 * number string") sort below all valid ones and among themselves by strcmp;
 * so do versions of more than MAX_SEGS segments (a bound of this code).
 */
#include "dd/vercmp.h"
#include "vercmp/vercmp_int.h"

#define MAX_SEGS 128

typedef struct {
    const char *p;
    size_t n;
    bool num;
} seg_t;

typedef struct {
    seg_t s[MAX_SEGS];
    size_t n;
} gver_t;

/* Ruby's \s and String#strip's set (NUL aside). */
static bool isblank_(int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }

static bool isword(int c) { return vc_isalnum(c) || c == '-'; }

/* Checks the anchored pattern on [p, e). */
static bool match(const char *p, const char *e)
{
    if (p == e) return true; /* the version part is optional */
    if (!vc_isdigit((unsigned char)*p)) return false;
    while (p < e && vc_isdigit((unsigned char)*p)) p++;
    while (p < e && *p == '.') {
        const char *q = ++p;
        while (p < e && vc_isalnum((unsigned char)*p)) p++;
        if (p == q) return false;
    }
    if (p < e && *p == '-') {
        for (;;) {
            const char *q = ++p;
            while (p < e && isword((unsigned char)*p)) p++;
            if (p == q) return false;
            if (p < e && *p == '.') continue;
            break;
        }
    }
    return p == e;
}

static const char pre[] = "pre";

static bool parse(const char *s, gver_t *v)
{
    const char *p = s, *e = s + strlen(s);
    while (p < e && isblank_((unsigned char)*p)) p++;
    while (e > p && isblank_((unsigned char)e[-1])) e--;
    if (!match(p, e)) return false;
    v->n = 0;
    if (p == e) { /* blank: "0" */
        v->s[v->n++] = (seg_t){"0", 1, true};
        return true;
    }
    while (p < e) {
        int c = (unsigned char)*p;
        if (c == '-') {
            if (v->n >= MAX_SEGS) return false;
            v->s[v->n++] = (seg_t){pre, 3, false};
            p++;
        } else if (vc_isdigit(c) || vc_isalpha(c)) {
            bool num = vc_isdigit(c);
            const char *q = p;
            while (p < e && (num ? vc_isdigit((unsigned char)*p) : vc_isalpha((unsigned char)*p))) p++;
            if (v->n >= MAX_SEGS) return false;
            v->s[v->n++] = (seg_t){q, (size_t)(p - q), num};
        } else {
            p++;
        }
    }
    /* canonical: drop the trailing zeros of the numeric part and of the rest */
    size_t first_str = v->n;
    for (size_t i = 0; i < v->n; i++)
        if (!v->s[i].num) {
            first_str = i;
            break;
        }
    gver_t *o = v; /* compacted in place */
    size_t k = 0;
    for (int part = 0; part < 2; part++) {
        size_t b = part == 0 ? 0 : first_str, end = part == 0 ? first_str : v->n;
        while (end > b && v->s[end - 1].num && vc_numcmp(v->s[end - 1].p, v->s[end - 1].n, "", 0) == 0) end--;
        for (size_t i = b; i < end; i++) o->s[k++] = v->s[i];
    }
    /* the loop above reads v->s[i] with i >= k: never overwritten before use */
    o->n = k;
    return true;
}

static int seg_cmp(const seg_t *a, const seg_t *b)
{
    static const seg_t zero = {"0", 1, true};
    if (!a) a = &zero;
    if (!b) b = &zero;
    if (a->num && b->num) return vc_numcmp(a->p, a->n, b->p, b->n);
    if (a->num != b->num) return a->num ? 1 : -1;
    return vc_bytecmp(a->p, a->n, b->p, b->n);
}

int dd_vercmp_gem(const char *a, const char *b)
{
    gver_t va, vb;
    if (!a) a = "";
    if (!b) b = "";
    bool oka = parse(a, &va), okb = parse(b, &vb);
    if (!oka || !okb) return vc_invalid_order(oka, okb, a, b);
    size_t n = va.n > vb.n ? va.n : vb.n;
    for (size_t i = 0; i < n; i++) {
        int r = seg_cmp(i < va.n ? &va.s[i] : NULL, i < vb.n ? &vb.s[i] : NULL);
        if (r) return r;
    }
    return 0;
}

bool dd_version_valid_gem(const char *v)
{
    gver_t g;
    return v && parse(v, &g);
}
