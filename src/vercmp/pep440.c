/*
 * pep440.c: Python version ordering, PEP 440 (as the "packaging" library
 * implements it: parse, normalize, compare).
 *
 * Accepted form (case-insensitive, surrounding whitespace ignored):
 *
 *   [v] [N!] N(.N)* [pre] [post] [dev] [+local]
 *   pre   = [-_.]? (a|alpha|b|beta|rc|c|pre|preview) [-_.]? [N]
 *   post  = "-" N  |  [-_.]? (post|rev|r) [-_.]? [N]
 *   dev   = [-_.]? dev [-_.]? [N]
 *   local = [a-z0-9]+ ([-_.][a-z0-9]+)*
 *
 * A missing number is 0; alpha=a, beta=b, c/pre/preview=rc. So "1.0a1",
 * "1.0.0-alpha.1" and "1.0ALPHA1" are equal, and "1.0-1" is 1.0.post1.
 *
 * Order: epoch; release with implicit zero padding ("1.0" == "1.0.0");
 * then the pre-release key, where a version with only a dev part sorts
 * before every pre-release ("1.0.dev0" < "1.0a0"), pre-releases order by
 * (a < b < rc, number), and no pre-release sorts after them; then post
 * (none lowest); then dev (none highest, so "1.0a1.dev1" < "1.0a1");
 * then local (none lowest; segment by segment, a numeric segment is above
 * any alphanumeric one, numbers by value, strings case-insensitively, a
 * shorter prefix lower).
 *
 * Invalid strings sort before valid ones and among themselves by strcmp.
 * Numbers have no size limit. Parsing is a single left-to-right pass that
 * takes each optional part greedily; it accepts exactly what packaging's
 * regular expression accepts because the parts start with distinct words.
 */
#include "dd/vercmp.h"
#include "vercmp/vercmp_int.h"

enum { PRE_A, PRE_B, PRE_RC };

typedef struct {
    const char *epoch; size_t epochlen;     /* "" = 0 */
    const char *rel, *rele;                 /* "N(.N)*" */
    int pre;                                /* -1 or PRE_* */
    const char *pren; size_t prenlen;
    bool post;
    const char *postn; size_t postnlen;
    bool dev;
    const char *devn; size_t devnlen;
    const char *local, *locale;             /* after '+', NULL when absent */
} pep_t;

/* Python's str.isspace() on ASCII: \t \n \v \f \r, \x1c-\x1f and space */
static bool isws(int c) { return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f); }
static bool issep(int c) { return c == '-' || c == '_' || c == '.'; }

/* Case-insensitive match of word at p; returns its length or 0. */
static size_t word(const char *p, const char *w)
{
    size_t n = 0;
    for (; w[n]; n++)
        if (vc_tolower((unsigned char)p[n]) != w[n]) return 0;
    return n;
}

/* Matches one of the words (tried in order) at p, returns its index or -1
 * and the length in *len. */
static int words(const char *p, const char *const *ws, int nws, size_t *len)
{
    for (int i = 0; i < nws; i++) {
        size_t n = word(p, ws[i]);
        if (n) {
            *len = n;
            return i;
        }
    }
    return -1;
}

/* [-_.]? WORD [-_.]? [N] at *pp. Returns the word index, -1 if absent
 * (then *pp is unchanged). */
static int part(const char **pp, const char *const *ws, int nws,
                const char **num, size_t *numlen)
{
    const char *p = *pp;
    if (issep((unsigned char)*p)) p++;
    size_t wl;
    int w = words(p, ws, nws, &wl);
    if (w < 0) return -1;
    p += wl;
    if (issep((unsigned char)*p)) p++; /* even with no number after: "1.0a-" */
    *num = p;
    *numlen = vc_digits(p);
    p += *numlen;
    *pp = p;
    return w;
}

static bool parse(const char *s, pep_t *v)
{
    static const char *const pre_words[] = { "alpha", "a", "beta", "b", "preview", "pre", "c", "rc" };
    static const int pre_kind[] = { PRE_A, PRE_A, PRE_B, PRE_B, PRE_RC, PRE_RC, PRE_RC, PRE_RC };
    static const char *const post_words[] = { "post", "rev", "r" };
    static const char *const dev_words[] = { "dev" };
    const char *p = s;

    memset(v, 0, sizeof *v);
    v->pre = -1;
    v->epoch = "";
    while (isws((unsigned char)*p)) p++;
    if (*p == 'v' || *p == 'V') p++;

    size_t n = vc_digits(p);
    if (n == 0) return false;
    if (p[n] == '!') {
        v->epoch = p;
        v->epochlen = n;
        p += n + 1;
        if (vc_digits(p) == 0) return false;
    }
    v->rel = p;
    for (;;) {
        p += vc_digits(p);
        if (*p == '.' && vc_isdigit((unsigned char)p[1])) {
            p++;
            continue;
        }
        break;
    }
    v->rele = p;

    const char *num;
    size_t numlen;
    int w = part(&p, pre_words, 8, &num, &numlen);
    if (w >= 0) {
        v->pre = pre_kind[w];
        v->pren = num;
        v->prenlen = numlen;
    }
    if (*p == '-' && vc_isdigit((unsigned char)p[1])) {
        p++;
        v->post = true;
        v->postn = p;
        v->postnlen = vc_digits(p);
        p += v->postnlen;
    } else if (part(&p, post_words, 3, &num, &numlen) >= 0) {
        v->post = true;
        v->postn = num;
        v->postnlen = numlen;
    }
    if (part(&p, dev_words, 1, &num, &numlen) >= 0) {
        v->dev = true;
        v->devn = num;
        v->devnlen = numlen;
    }
    if (*p == '+') {
        p++;
        v->local = p;
        for (;;) {
            const char *seg = p;
            while (vc_isalnum((unsigned char)*p)) p++;
            if (p == seg) return false;
            if (issep((unsigned char)*p) && vc_isalnum((unsigned char)p[1])) {
                p++;
                continue;
            }
            break;
        }
        v->locale = p;
    }
    while (isws((unsigned char)*p)) p++;
    return *p == 0;
}

/* Compares release segments with implicit zero padding. */
static int cmp_release(const char *a, const char *ae, const char *b, const char *be)
{
    while (a < ae || b < be) {
        size_t la = 0, lb = 0;
        if (a < ae) la = vc_digits(a);
        if (b < be) lb = vc_digits(b);
        int r = vc_numcmp(a, la, b, lb);
        if (r) return r;
        a += la;
        b += lb;
        if (a < ae) a++; /* '.' */
        if (b < be) b++;
    }
    return 0;
}

static bool all_digits(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!vc_isdigit((unsigned char)p[i])) return false;
    return true;
}

static int cmp_ci(const char *a, size_t an, const char *b, size_t bn)
{
    size_t n = an < bn ? an : bn;
    for (size_t i = 0; i < n; i++) {
        int ca = vc_tolower((unsigned char)a[i]), cb = vc_tolower((unsigned char)b[i]);
        if (ca != cb) return ca < cb ? -1 : 1;
    }
    if (an != bn) return an < bn ? -1 : 1;
    return 0;
}

static int cmp_local(const char *a, const char *ae, const char *b, const char *be)
{
    if (!a || !b) {
        if (a) return 1;
        if (b) return -1;
        return 0;
    }
    while (a < ae && b < be) {
        const char *sa = a, *sb = b;
        while (a < ae && !issep((unsigned char)*a)) a++;
        while (b < be && !issep((unsigned char)*b)) b++;
        size_t la = (size_t)(a - sa), lb = (size_t)(b - sb);
        bool na = all_digits(sa, la), nb = all_digits(sb, lb);
        int r;
        if (na && nb)
            r = vc_numcmp(sa, la, sb, lb);
        else if (na != nb)
            r = na ? 1 : -1;
        else
            r = cmp_ci(sa, la, sb, lb);
        if (r) return r;
        if (a < ae) a++;
        if (b < be) b++;
    }
    if (a < ae) return 1;
    if (b < be) return -1;
    return 0;
}

/* Pre-release class: 0 = dev-only release (below all pre-releases),
 * 1 = has a pre-release, 2 = none (above all pre-releases). */
static int pre_class(const pep_t *v)
{
    if (v->pre >= 0) return 1;
    if (!v->post && v->dev) return 0;
    return 2;
}

static int cmp_parsed(const pep_t *a, const pep_t *b)
{
    int r = vc_numcmp(a->epoch, a->epochlen, b->epoch, b->epochlen);
    if (r) return r;
    r = cmp_release(a->rel, a->rele, b->rel, b->rele);
    if (r) return r;
    int ca = pre_class(a), cb = pre_class(b);
    if (ca != cb) return ca < cb ? -1 : 1;
    if (ca == 1) {
        if (a->pre != b->pre) return a->pre < b->pre ? -1 : 1;
        r = vc_numcmp(a->pren, a->prenlen, b->pren, b->prenlen);
        if (r) return r;
    }
    if (a->post != b->post) return a->post ? 1 : -1;
    if (a->post) {
        r = vc_numcmp(a->postn, a->postnlen, b->postn, b->postnlen);
        if (r) return r;
    }
    if (a->dev != b->dev) return a->dev ? -1 : 1;
    if (a->dev) {
        r = vc_numcmp(a->devn, a->devnlen, b->devn, b->devnlen);
        if (r) return r;
    }
    return cmp_local(a->local, a->locale, b->local, b->locale);
}

int dd_vercmp_pep440(const char *a, const char *b)
{
    pep_t pa, pb;
    if (!a) a = "";
    if (!b) b = "";
    bool va = parse(a, &pa), vb = parse(b, &pb);
    if (!va || !vb) return vc_invalid_order(va, vb, a, b);
    return cmp_parsed(&pa, &pb);
}

bool dd_version_valid_pep440(const char *v)
{
    pep_t p;
    return v && parse(v, &p);
}
