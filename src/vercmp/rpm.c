/*
 * rpm.c: RPM version ordering: rpmvercmp() applied to epoch, version and
 * release of "[E:]V[-R]" strings, as rpm 4.16+ does (rpmverCmp).
 *
 * rpmvercmp(a, b) walks both strings segment by segment:
 *   - bytes that are not ASCII alphanumerics, '~' or '^' are separators
 *     and only split segments (their kind and count do not matter);
 *   - '~' sorts before anything, even the end of the string
 *     ("1.0~rc1" < "1.0");
 *   - '^' sorts after the end of the string but before any other segment
 *     ("1.0" < "1.0^git1" < "1.0.1");
 *   - a segment is a maximal run of digits or of ASCII letters; a numeric
 *     segment is newer than an alphabetic one, numbers compare by value
 *     (leading zeros ignored), letters with strcmp;
 *   - if all segments agree, the string with segments left over is newer.
 *
 * "[E:]V[-R]": the epoch is the leading digits when followed by ':'
 * (missing = 0), the release what follows the last '-'. Epochs, then
 * versions, then releases are compared with rpmvercmp.
 *
 * A missing release sorts before any release of the same epoch and
 * version, even an empty one ("1.0" < "1.0-" < "1.0-1"), as rpm.vercmp()
 * of rpm 4.18 does. (rpm's dependency matching, rpmdsCompare, instead
 * ignores the release when one side lacks it; that relation is not
 * transitive and is not what a version order needs.)
 */
#include "dd/vercmp.h"
#include "vercmp/vercmp_int.h"

static bool issep(int c) { return !vc_isalnum(c) && c != '~' && c != '^'; }

/* rpmvercmp over [a, ae) and [b, be). */
static int rpmvercmp_range(const char *a, const char *ae, const char *b, const char *be)
{
    if (ae - a == be - b && memcmp(a, b, (size_t)(ae - a)) == 0) return 0;
    for (;;) {
        while (a < ae && issep((unsigned char)*a)) a++;
        while (b < be && issep((unsigned char)*b)) b++;
        bool aend = a >= ae, bend = b >= be;
        if (aend && bend) return 0;

        /* '~' sorts before everything, the end included */
        if ((!aend && *a == '~') || (!bend && *b == '~')) {
            if (aend || *a != '~') return 1;
            if (bend || *b != '~') return -1;
            a++, b++;
            continue;
        }
        /* '^' sorts after the end, before any segment */
        if ((!aend && *a == '^') || (!bend && *b == '^')) {
            if (aend) return -1;
            if (bend) return 1;
            if (*a != '^') return 1;
            if (*b != '^') return -1;
            a++, b++;
            continue;
        }
        if (aend || bend) break;

        const char *sa = a, *sb = b;
        bool isnum = vc_isdigit((unsigned char)*a);
        if (isnum) {
            while (a < ae && vc_isdigit((unsigned char)*a)) a++;
            while (b < be && vc_isdigit((unsigned char)*b)) b++;
        } else {
            while (a < ae && vc_isalpha((unsigned char)*a)) a++;
            while (b < be && vc_isalpha((unsigned char)*b)) b++;
        }
        /* b's segment is of the other kind: numeric is newer */
        if (b == sb) return isnum ? 1 : -1;
        int r = isnum ? vc_numcmp(sa, (size_t)(a - sa), sb, (size_t)(b - sb))
                      : vc_bytecmp(sa, (size_t)(a - sa), sb, (size_t)(b - sb));
        if (r) return r;
    }
    /* one side has segments left over: it is newer */
    return a >= ae ? -1 : 1;
}

int dd_rpmvercmp(const char *a, const char *b)
{
    if (!a) a = "";
    if (!b) b = "";
    return rpmvercmp_range(a, a + strlen(a), b, b + strlen(b));
}

typedef struct {
    const char *ep, *epe;  /* epoch ("0" when absent) */
    const char *v, *ve;
    const char *r, *re;
    bool has_rel;
} evr_t;

static void split(const char *s, evr_t *e)
{
    const char *p = s;
    const char *end = s + strlen(s);
    while (vc_isdigit((unsigned char)*p)) p++;
    if (*p == ':' && p > s) {
        e->ep = s;
        e->epe = p;
        s = p + 1;
    } else if (*p == ':') {  /* ":V": empty epoch means 0 */
        e->ep = "0";
        e->epe = e->ep + 1;
        s = p + 1;
    } else {
        e->ep = "0";
        e->epe = e->ep + 1;
    }
    const char *hyphen = strrchr(s, '-');
    e->v = s;
    if (hyphen) {
        e->ve = hyphen;
        e->r = hyphen + 1;
        e->re = end;
        e->has_rel = true;
    } else {
        e->ve = end;
        e->r = e->re = end;
        e->has_rel = false;
    }
}

int dd_vercmp_rpm(const char *a, const char *b)
{
    evr_t ea, eb;
    if (!a) a = "";
    if (!b) b = "";
    split(a, &ea);
    split(b, &eb);
    int r = rpmvercmp_range(ea.ep, ea.epe, eb.ep, eb.epe);
    if (r) return r;
    r = rpmvercmp_range(ea.v, ea.ve, eb.v, eb.ve);
    if (r) return r;
    if (ea.has_rel != eb.has_rel) return ea.has_rel ? 1 : -1;
    return rpmvercmp_range(ea.r, ea.re, eb.r, eb.re);
}

/* What rpm accepts in a version or release tag: alphanumerics and
 * ._+~^ (rpmbuild rejects '-' inside V and R). */
static bool valid_part(const char *p, const char *e)
{
    if (p == e) return false;
    for (; p < e; p++) {
        int c = (unsigned char)*p;
        if (!vc_isalnum(c) && !strchr("._+~^", c)) return false;
    }
    return true;
}

bool dd_version_valid_rpm(const char *s)
{
    if (!s || !*s) return false;
    evr_t e;
    split(s, &e);
    if (strchr(e.v, ':') && strchr(e.v, ':') < e.ve) return false;
    if (!valid_part(e.v, e.ve)) return false;
    if (e.has_rel && !valid_part(e.r, e.re)) return false;
    return true;
}
