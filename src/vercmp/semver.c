/*
 * semver.c: Semantic Versioning 2.0.0 precedence, for npm (DD_VS_SEMVER),
 * Go modules (DD_VS_GO) and crates.io (DD_VS_CARGO).
 *
 *   version    = [prefix] major "." minor "." patch ["-" prerelease] ["+" build]
 *   major etc. = "0" | [1-9][0-9]*            (no leading zeros)
 *   prerelease = ident ("." ident)*           ident: [0-9A-Za-z-]+, and a
 *                                             numeric ident has no leading zero
 *   build      = [0-9A-Za-z-]+ ("." [0-9A-Za-z-]+)*
 *
 * Precedence (semver.org section 11): major, minor, patch numerically; a
 * version with a prerelease is lower than the same version without;
 * prereleases compare identifier by identifier: numeric ones numerically,
 * alphanumeric ones in ASCII order, numeric < alphanumeric, and a shorter
 * list that is a prefix of the other is lower. Build metadata is ignored.
 *
 * npm: as node-semver's strict parser (what npm uses): an optional leading
 * lowercase "v"; major, minor and patch at most 2^53 - 1 (JavaScript's
 * safe integers); at most 256 bytes.
 * Go (golang.org/x/mod/semver): the "v" is optional here because OSV's Go
 * ecosystem writes versions without it; "v1" and "v1.2" are shorthands for
 * v1.0.0 and v1.2.0 (only without prerelease or build). Pseudo-versions
 * (v0.0.0-20191109021931-daa7c04131f5, vX.Y.Z-pre.0.yyyymmdd...-hash) are
 * ordinary prereleases, and "+incompatible" is build metadata: ignored.
 *
 * crates.io (DD_VS_CARGO): Cargo's versions are semver 2.0.0 with the same
 * precedence (the semver crate), and no "v"; a version of crates.io is valid
 * under the npm rules minus the 2^53 and 256-byte limits. GHSA's crates.io
 * ranges write events as "0.1" or "1": those compare as 0.1.0 and 1.0.0,
 * as Cargo reads a partial version in a requirement (Go's shorthand rule).
 *
 * Invalid strings sort before valid ones and among themselves by strcmp
 * (golang.org/x/mod/semver makes them all equal; strcmp refines that into
 * a total order). Numbers have no size limit.
 */
#include "dd/vercmp.h"
#include "vercmp/vercmp_int.h"

typedef struct {
    const char *num[3];
    size_t numlen[3];
    const char *pre;   /* prerelease without '-', NULL when absent */
    size_t prelen;
} semver_t;

static bool isident(int c) { return vc_isalnum(c) || c == '-'; }

/* Parses a number without leading zeros; returns its length, 0 if none. */
static size_t parse_num(const char *p)
{
    size_t n = vc_digits(p);
    if (n > 1 && p[0] == '0') return 0;
    return n;
}

/* Parses dot-separated identifiers at p; numeric ones must not have
 * leading zeros when strict_num. Returns the length, or 0 if malformed. */
static size_t parse_idents(const char *p, bool strict_num)
{
    const char *s = p;
    for (;;) {
        const char *id = p;
        bool alldig = true;
        while (isident((unsigned char)*p)) {
            if (!vc_isdigit((unsigned char)*p)) alldig = false;
            p++;
        }
        size_t n = (size_t)(p - id);
        if (n == 0) return 0;
        if (strict_num && alldig && n > 1 && id[0] == '0') return 0;
        if (*p != '.') break;
        p++;
    }
    return (size_t)(p - s);
}

/* go: allow the v1 / v1.2 shorthands. Returns true if s is valid. */
static bool parse(const char *s, semver_t *v, bool go)
{
    const char *p = s;
    if (*p == 'v') p++;
    for (int i = 0; i < 3; i++) {
        v->num[i] = "0";
        v->numlen[i] = 1;
    }
    v->pre = NULL;
    v->prelen = 0;
    for (int i = 0; i < 3; i++) {
        if (i > 0) {
            if (go && *p == 0) return true; /* "v1" or "v1.2" */
            if (*p != '.') return false;
            p++;
        }
        size_t n = parse_num(p);
        if (n == 0) return false;
        if (!go && (n > 16 || (n == 16 && memcmp(p, "9007199254740991", 16) > 0)))
            return false; /* node-semver: "Invalid major version" etc. */
        v->num[i] = p;
        v->numlen[i] = n;
        p += n;
    }
    if (*p == '-') {
        p++;
        size_t n = parse_idents(p, true);
        if (n == 0) return false;
        v->pre = p;
        v->prelen = n;
        p += n;
    }
    if (*p == '+') {
        p++;
        size_t n = parse_idents(p, false);
        if (n == 0) return false;
        p += n;
    }
    if (*p != 0) return false;
    return go || p - s <= 256; /* node-semver's MAX_LENGTH */
}

static bool all_digits(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!vc_isdigit((unsigned char)p[i])) return false;
    return n > 0;
}

static int cmp_pre(const char *a, size_t an, const char *b, size_t bn)
{
    const char *ae = a + an, *be = b + bn;
    while (a < ae && b < be) {
        const char *ia = a, *ib = b;
        while (a < ae && *a != '.') a++;
        while (b < be && *b != '.') b++;
        size_t la = (size_t)(a - ia), lb = (size_t)(b - ib);
        bool na = all_digits(ia, la), nb = all_digits(ib, lb);
        int r;
        if (na && nb)
            r = vc_numcmp(ia, la, ib, lb);
        else if (na != nb)
            r = na ? -1 : 1;
        else
            r = vc_bytecmp(ia, la, ib, lb);
        if (r) return r;
        if (a < ae) a++;
        if (b < be) b++;
    }
    if (a < ae) return 1;
    if (b < be) return -1;
    return 0;
}

static int cmp_parsed(const semver_t *a, const semver_t *b)
{
    for (int i = 0; i < 3; i++) {
        int r = vc_numcmp(a->num[i], a->numlen[i], b->num[i], b->numlen[i]);
        if (r) return r;
    }
    if (!a->pre || !b->pre) {
        if (a->pre) return -1;
        if (b->pre) return 1;
        return 0;
    }
    return cmp_pre(a->pre, a->prelen, b->pre, b->prelen);
}

static int cmp(const char *a, const char *b, bool go)
{
    semver_t sa, sb;
    if (!a) a = "";
    if (!b) b = "";
    bool va = parse(a, &sa, go), vb = parse(b, &sb, go);
    if (!va || !vb) return vc_invalid_order(va, vb, a, b);
    return cmp_parsed(&sa, &sb);
}

int dd_vercmp_semver(const char *a, const char *b) { return cmp(a, b, false); }
int dd_vercmp_go(const char *a, const char *b) { return cmp(a, b, true); }
int dd_vercmp_cargo(const char *a, const char *b) { return cmp(a, b, true); }

bool dd_version_valid_semver(const char *v)
{
    semver_t s;
    return v && parse(v, &s, false);
}

bool dd_version_valid_cargo(const char *v)
{
    semver_t s;
    /* a full semver version, no "v", no shorthand */
    if (!v || *v == 'v' || !parse(v, &s, true)) return false;
    size_t dots = 0;
    for (const char *p = v; *p && *p != '-' && *p != '+'; p++) dots += *p == '.';
    return dots == 2;
}

bool dd_version_valid_go(const char *v)
{
    semver_t s;
    return v && parse(v, &s, true);
}
