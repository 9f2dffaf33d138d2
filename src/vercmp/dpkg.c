/*
 * dpkg.c: Debian version ordering, as dpkg --compare-versions does it
 * (Debian Policy 5.6.12 "Version", deb-version(7)).
 *
 * A version is [epoch:]upstream_version[-debian_revision]:
 *   - epoch: the digits before the first ':' (0 when absent), compared as a
 *     number (any length, no overflow);
 *   - debian_revision: what follows the last '-' ("" when absent, which
 *     compares equal to "0");
 *   - upstream_version and debian_revision are compared with the same
 *     algorithm: alternating non-digit and digit runs, left to right.
 *     Non-digit runs compare character by character with the weights
 *       '~' < end of run < letters (ASCII order) < everything else
 *     (bytes >= 0x80 weigh their value, ASCII punctuation its value + 256,
 *     exactly as dpkg on a signed-char platform), digit runs by numeric
 *     value (leading zeros ignored).
 *
 * The epoch is read like dpkg's strtol(): "+1:2" has epoch 1. Leading
 * and trailing blanks (space, tab) are trimmed, as dpkg does.
 *
 * Deviation for malformed input only: where dpkg refuses a version (an
 * epoch that is not a number, embedded blanks, empty parts), this code
 * still orders it: a prefix before ':' that is not all digits is taken as
 * part of the upstream version with epoch 0, and embedded blanks are
 * ordinary bytes.
 */
#include "dd/vercmp.h"
#include "vercmp/vercmp_int.h"

/* Weight of one byte inside a non-digit run; 0 for a digit or the end. */
static int weight(int c)
{
    if (c == 0 || vc_isdigit(c)) return 0;
    if (vc_isalpha(c)) return c;
    if (c == '~') return -1;
    if (c >= 0x80) return c;  /* (signed char)c + 256 */
    return c + 256;
}

/* dpkg's verrevcmp over [a, ae) and [b, be). */
static int verrevcmp(const char *a, const char *ae, const char *b, const char *be)
{
    while (a < ae || b < be) {
        while ((a < ae && !vc_isdigit((unsigned char)*a)) ||
               (b < be && !vc_isdigit((unsigned char)*b))) {
            int ac = a < ae ? weight((unsigned char)*a) : 0;
            int bc = b < be ? weight((unsigned char)*b) : 0;
            if (ac != bc) return ac < bc ? -1 : 1;
            /* equal non-zero weights: both are the same non-digit byte */
            a++, b++;
        }
        while (a < ae && *a == '0') a++;
        while (b < be && *b == '0') b++;
        int first_diff = 0;
        while (a < ae && b < be && vc_isdigit((unsigned char)*a) &&
               vc_isdigit((unsigned char)*b)) {
            if (!first_diff) first_diff = *a - *b;
            a++, b++;
        }
        if (a < ae && vc_isdigit((unsigned char)*a)) return 1;
        if (b < be && vc_isdigit((unsigned char)*b)) return -1;
        if (first_diff) return first_diff < 0 ? -1 : 1;
    }
    return 0;
}

typedef struct {
    const char *ep, *epe;   /* epoch digits (may be empty) */
    const char *up, *upe;   /* upstream version */
    const char *rev, *reve; /* revision (empty when absent) */
    bool has_epoch, has_rev;
} dver_t;

static bool isblank_(int c) { return c == ' ' || c == '\t'; }

/* Splits s into epoch, upstream and revision, after trimming leading and
 * trailing blanks as dpkg does. */
static void split(const char *s, dver_t *v)
{
    while (isblank_((unsigned char)*s)) s++;
    const char *end = s + strlen(s);
    while (end > s && isblank_((unsigned char)end[-1])) end--;
    const char *colon = memchr(s, ':', (size_t)(end - s));
    v->ep = v->epe = s;
    v->has_epoch = false;
    if (colon) {
        /* dpkg reads the epoch with strtol(): an optional sign, then digits
         * (dpkg refuses an empty epoch; it is ordered as 0 here) */
        const char *p = s;
        if (p < colon && (*p == '+' || *p == '-') && p + 1 < colon) p++;
        const char *d = p;
        while (p < colon && vc_isdigit((unsigned char)*p)) p++;
        if (p == colon) {
            v->ep = d;
            v->epe = colon;
            v->has_epoch = true;
            s = colon + 1;
        }
    }
    const char *hyphen = NULL;
    for (const char *p = end; p > s; p--) {
        if (p[-1] == '-') {
            hyphen = p - 1;
            break;
        }
    }
    v->up = s;
    if (hyphen) {
        v->upe = hyphen;
        v->rev = hyphen + 1;
        v->reve = end;
        v->has_rev = true;
    } else {
        v->upe = end;
        v->rev = v->reve = end;
        v->has_rev = false;
    }
}

int dd_vercmp_dpkg(const char *a, const char *b)
{
    dver_t va, vb;
    if (!a) a = "";
    if (!b) b = "";
    split(a, &va);
    split(b, &vb);
    int r = vc_numcmp(va.ep, (size_t)(va.epe - va.ep), vb.ep, (size_t)(vb.epe - vb.ep));
    if (r) return r;
    r = verrevcmp(va.up, va.upe, vb.up, vb.upe);
    if (r) return r;
    return verrevcmp(va.rev, va.reve, vb.rev, vb.reve);
}

bool dd_version_valid_dpkg(const char *s)
{
    if (!s) return false;
    while (isblank_((unsigned char)*s)) s++;
    const char *end = s + strlen(s);
    while (end > s && isblank_((unsigned char)end[-1])) end--;
    if (end == s) return false; /* "version string is empty" */
    for (const char *p = s; p < end; p++)
        if (isblank_((unsigned char)*p)) return false; /* "embedded spaces" */
    const char *colon = memchr(s, ':', (size_t)(end - s));
    if (colon) {
        /* strtol(): an optional sign, then digits */
        if (colon == s) return false; /* "epoch in version is empty" */
        const char *d = s;
        bool neg = *d == '-';
        if ((*d == '+' || *d == '-') && d + 1 < colon) d++;
        for (const char *p = d; p < colon; p++) {
            if (!vc_isdigit((unsigned char)*p)) return false; /* "not number" */
            if (neg && *p != '0') return false;               /* "negative" */
        }
        while (d < colon - 1 && *d == '0') d++;
        /* "epoch in version is too big": it must fit an int */
        if (colon - d > 10 || (colon - d == 10 && memcmp(d, "2147483647", 10) > 0))
            return false;
    }
    dver_t v;
    split(s, &v);
    if (v.up == v.upe) return false; /* "nothing after colon" */
    if (!vc_isdigit((unsigned char)*v.up)) return false;
    for (const char *p = v.up; p < v.upe; p++) {
        int c = (unsigned char)*p;
        if (!vc_isalnum(c) && !strchr(".-+~:", c)) return false;
    }
    if (v.has_rev) {
        if (v.rev == v.reve) return false; /* "revision number is empty" */
        for (const char *p = v.rev; p < v.reve; p++) {
            int c = (unsigned char)*p;
            if (!vc_isalnum(c) && !strchr(".+~", c)) return false;
        }
    }
    return true;
}
