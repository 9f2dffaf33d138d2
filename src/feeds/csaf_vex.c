/*
 * csaf_vex.c: the Red Hat CSAF VEX importer. Red Hat publishes one CSAF 2.0
 * document of category "csaf_vex" per CVE
 * (https://security.access.redhat.com/data/csaf/v2/vex/YYYY/cve-YYYY-NNNN.json)
 * and all of them as one archive (csaf_vex_YYYY-MM-DD.tar.zst, named in
 * .../vex/archive_latest.txt). Input: one document, a directory tree of
 * *.json documents (walked sorted), or the archive (plain or compressed tar,
 * read entry by entry with libarchive, never extracted).
 *
 * Mapping (see docs/feeds.md, "Red Hat CSAF VEX"):
 *   - product_tree: every product with a CPE cpe:/[ao]:redhat:enterprise_linux:N[.M][::variant]
 *     is the platform "Red Hat:N" (UBI images use it too); other products
 *     (EUS/AUS/TUS/E4S streams, other Red Hat products) are not stored;
 *   - a product id in product_status is "<platform id>:<component>", the
 *     component being a NEVRA "curl-0:7.61.1-30.el8_8.3.x86_64" (fixed), a
 *     package name "curl" (unfixed), a module-qualified NEVRA
 *     "nodejs:18:8080020230825132346:63b34585:nodejs-1:18.17.1-1.module+el8.8.0+19757+8ca87034.x86_64"
 *     or a module-qualified name "nodejs:18/nodejs";
 *   - fixed -> fix state fixed, range introduced 0 / fixed at the EVR (epoch
 *     kept when non-zero), .src NEVRAs skipped (binary rpm names only;
 *     unfixed entries name the source package, arch=src);
 *     known_affected -> from its remediation: "Will not fix" will-not-fix,
 *     "Out of support scope" end-of-life, "Fix deferred" deferred, else
 *     not-fixed; under_investigation -> unknown (the matcher reports it as not
 *     fixed); known_not_affected -> not stored;
 *   - module "name:stream" from the component (or "*" for a .module+elN
 *     build without one) goes to affected.module;
 *   - threats[category=impact].details ("Important") is the vendor severity,
 *     per product when the threat lists product_ids; scores[].cvss_v3 the CVSS.
 * One (ecosystem, module, package) row per vulnerability: a fixed entry wins
 * over unfixed ones, the highest fixed EVR over lower ones.
 */
#include "feeds_int.h"

#include "dd/vercmp.h"

#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define CSAF_FEED "redhat-csaf"
#define CSAF_MAX_DEPTH 16

static bool csaf_detect(const uint8_t *head, size_t n)
{
    return feeds_has(head, n, "\"csaf_vex\"") && feeds_has(head, n, "\"document\"");
}

/* ---- product tree --------------------------------------------------------- */

typedef struct platform {
    const char *id;   /* product id (borrowed from the document) */
    char eco[32];     /* "Red Hat:9", or "" for a product we do not store */
} platform_t;

typedef struct doc {
    platform_t *plat;   /* products with a CPE */
    size_t n_plat, cap_plat;
    json_t *purls;      /* product id -> purl (components, module builds) */
    json_t *rels;       /* relationship product id -> [product_reference, relates_to_product_reference] */
} doc_t;

/* "cpe:/o:redhat:enterprise_linux:9::baseos" -> "Red Hat:9". */
static bool cpe_ecosystem(const char *cpe, char *eco, size_t n)
{
    if (strncmp(cpe, "cpe:/", 5) || (cpe[5] != 'o' && cpe[5] != 'a') || cpe[6] != ':') return false;
    const char *p = cpe + 7;
    if (strncmp(p, "redhat:enterprise_linux:", 24)) return false;
    p += 24;
    size_t d = strspn(p, "0123456789");
    /* "…:enterprise_linux:10.0" (RHEL 10 names the minor; the EUS-style
     * streams use other products: rhel_eus, rhel_aus, …) */
    size_t m = p[d] == '.' ? strspn(p + d + 1, "0123456789") + 1 : 0;
    if (d == 0 || d > 3 || m == 1 || (p[d + m] && p[d + m] != ':')) return false;
    snprintf(eco, n, "Red Hat:%.*s", (int)d, p);
    return true;
}

static void add_platform(doc_t *d, json_t *product)
{
    const char *id = feeds_jstr(product, "product_id");
    json_t *helper = json_object_get(product, "product_identification_helper");
    const char *cpe = feeds_jstr(helper, "cpe"), *purl = feeds_jstr(helper, "purl");
    if (id && *id && purl && !json_object_get(d->purls, id)) json_object_set_new(d->purls, id, json_string(purl));
    if (!id || !*id || !cpe) return;
    if (d->n_plat == d->cap_plat) {
        d->cap_plat = d->cap_plat ? d->cap_plat * 2 : 16;
        d->plat = dd_realloc(d->plat, d->cap_plat * sizeof *d->plat);
    }
    platform_t *p = &d->plat[d->n_plat++];
    p->id = id;
    if (!cpe_ecosystem(cpe, p->eco, sizeof p->eco)) p->eco[0] = 0;
}

static void walk_branches(doc_t *d, json_t *branches, int depth)
{
    if (depth > CSAF_MAX_DEPTH || !json_is_array(branches)) return;
    size_t i;
    json_t *b;
    json_array_foreach(branches, i, b) {
        json_t *prod = json_object_get(b, "product");
        if (json_is_object(prod)) add_platform(d, prod);
        walk_branches(d, json_object_get(b, "branches"), depth + 1);
    }
}

static const platform_t *platform_by_id(const doc_t *d, const char *id)
{
    for (size_t i = 0; i < d->n_plat; i++)
        if (!strcmp(d->plat[i].id, id)) return &d->plat[i];
    return NULL;
}

/* The platform whose id is the longest prefix of pid followed by ':'; *rest
 * points at the component after it (documents without relationships). */
static const platform_t *find_platform(const doc_t *d, const char *pid, const char **rest)
{
    const platform_t *best = NULL;
    size_t best_len = 0;
    for (size_t i = 0; i < d->n_plat; i++) {
        size_t l = strlen(d->plat[i].id);
        if (l > best_len && !strncmp(pid, d->plat[i].id, l) && pid[l] == ':') {
            best = &d->plat[i];
            best_len = l;
        }
    }
    if (best) *rest = pid + best_len + 1;
    return best;
}

/* ---- components ------------------------------------------------------------ */

typedef struct comp {
    char name[256];
    char evr[256];    /* "" for a bare package name */
    char module[128]; /* "nodejs:18", "*" or "" */
    bool src;
} comp_t;

static bool all_digits(const char *s, size_t n)
{
    if (!n) return false;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i])) return false;
    return true;
}

static bool all_hex(const char *s, size_t n)
{
    if (!n) return false;
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[i])) return false;
    return true;
}

static const char *const arches[] = {"aarch64", "i386", "i686", "ia64",   "noarch", "ppc",
                                     "ppc64",   "ppc64le", "s390", "s390x", "src",    "x86_64"};

/* Length of s without a trailing ".<arch>"; *src set for ".src". */
static size_t strip_arch(const char *s, size_t len, bool *src)
{
    const char *dot = NULL;
    for (size_t i = len; i > 0; i--)
        if (s[i - 1] == '.') {
            dot = s + i - 1;
            break;
        }
    if (!dot) return len;
    size_t al = len - (size_t)(dot + 1 - s);
    for (size_t k = 0; k < sizeof arches / sizeof arches[0]; k++)
        if (strlen(arches[k]) == al && !strncmp(dot + 1, arches[k], al)) {
            *src = !strcmp(arches[k], "src");
            return (size_t)(dot - s);
        }
    return len;
}

/* "name-E:V-R[.arch]" or "name" into c. DD_EINVAL if it looks like a NEVRA
 * but is not one. */
static int parse_nevra(const char *s, comp_t *c)
{
    size_t len = strlen(s);
    const char *colon = strchr(s, ':');
    if (!colon) {
        /* a bare package name (unfixed components): "util-linux", "curl.src" */
        if (!len || len >= sizeof c->name) return DD_EINVAL;
        if (dd_str_endswith(s, ".src")) len -= 4;
        snprintf(c->name, sizeof c->name, "%.*s", (int)len, s);
        return len ? DD_OK : DD_EINVAL;
    }
    const char *dash = NULL;
    for (const char *p = colon; p > s; p--)
        if (p[-1] == '-') {
            dash = p - 1;
            break;
        }
    if (!dash || dash == s || !all_digits(dash + 1, (size_t)(colon - dash - 1))) return DD_EINVAL;
    const char *vr = colon + 1;
    size_t vrlen = strip_arch(vr, strlen(vr), &c->src);
    const char *rdash = NULL;
    for (size_t i = vrlen; i > 0; i--)
        if (vr[i - 1] == '-') {
            rdash = vr + i - 1;
            break;
        }
    if (!rdash || rdash == vr || (size_t)(rdash - vr) + 1 >= vrlen) return DD_EINVAL;
    if ((size_t)(dash - s) >= sizeof c->name || vrlen + 16 >= sizeof c->evr) return DD_EINVAL;
    snprintf(c->name, sizeof c->name, "%.*s", (int)(dash - s), s);
    const char *ep = dash + 1;
    size_t eplen = (size_t)(colon - ep);
    while (eplen > 1 && *ep == '0') ep++, eplen--;
    if (eplen == 1 && *ep == '0') snprintf(c->evr, sizeof c->evr, "%.*s", (int)vrlen, vr);
    else snprintf(c->evr, sizeof c->evr, "%.*s:%.*s", (int)eplen, ep, (int)vrlen, vr);
    for (const char *p = vr; p < vr + vrlen; p++)
        if (p[0] == '.' && !strncmp(p + 1, "module", 6) && (p[7] == '+' || p[7] == '_')) {
            if (!c->module[0]) snprintf(c->module, sizeof c->module, "*");
            break;
        }
    return DD_OK;
}

/* A component after the platform id (see the header). DD_DECLINED for a
 * component that is not an rpm (a container image "rhel9/ruby-30"). */
static int parse_component(const char *s, comp_t *c)
{
    memset(c, 0, sizeof *c);
    const char *slash = strchr(s, '/');
    if (slash) {
        /* "nodejs:18/nodejs": an unfixed package of a module stream */
        const char *colon = memchr(s, ':', (size_t)(slash - s));
        if (!colon) return DD_DECLINED; /* a container image ("rhel9/ruby-30"), not an rpm */
        if (colon == s || (size_t)(slash - s) >= sizeof c->module) return DD_EINVAL;
        snprintf(c->module, sizeof c->module, "%.*s", (int)(slash - s), s);
        return parse_nevra(slash + 1, c);
    }
    /* "name:stream:version:context:<NEVRA>": a package of a module build */
    const char *f[5];
    f[0] = s;
    int nf = 1;
    for (const char *p = s; *p && nf < 5; p++)
        if (*p == ':') f[nf++] = p + 1;
    if (nf == 5 && all_digits(f[2], (size_t)(f[3] - f[2] - 1)) && f[3] - f[2] - 1 >= 8 &&
        all_hex(f[3], (size_t)(f[4] - f[3] - 1)) && strchr(f[4], '-')) {
        if ((size_t)(f[2] - s) >= sizeof c->module) return DD_EINVAL;
        snprintf(c->module, sizeof c->module, "%.*s", (int)(f[2] - s - 1), s);
        return parse_nevra(f[4], c);
    }
    return parse_nevra(s, c);
}


/* Percent-decodes src[0..n) into dst (size dn). */
static void pct_decode(const char *src, size_t n, char *dst, size_t dn)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 1 < dn; i++) {
        if (src[i] == '%' && i + 2 < n + 0 && isxdigit((unsigned char)src[i + 1]) && isxdigit((unsigned char)src[i + 2])) {
            char hex[3] = {src[i + 1], src[i + 2], 0};
            dst[o++] = (char)strtol(hex, NULL, 16);
            i += 2;
        } else {
            dst[o++] = src[i];
        }
    }
    dst[o] = 0;
}

/* The value of qualifier key in a purl's "?k=v&k=v" part, decoded, or false. */
static bool purl_qualifier(const char *q, const char *key, char *out, size_t n)
{
    size_t kl = strlen(key);
    for (const char *p = q; p && *p;) {
        const char *amp = strchr(p, '&');
        size_t l = amp ? (size_t)(amp - p) : strlen(p);
        if (l > kl && !strncmp(p, key, kl) && p[kl] == '=') {
            pct_decode(p + kl + 1, l - kl - 1, out, n);
            return true;
        }
        p = amp ? amp + 1 : NULL;
    }
    return false;
}

/* "pkg:rpm/redhat/NAME[@VERSION-RELEASE][?arch=A&epoch=E&rpmmod=N:S:V:C]" into c;
 * "pkg:rpmmod/redhat/NAME@STREAM:VERSION:CONTEXT" gives the module "NAME:STREAM".
 * False if purl is not one of these. */
static bool parse_purl(const char *purl, comp_t *c, char *module, size_t mn)
{
    bool mod = !strncmp(purl, "pkg:rpmmod/", 11);
    if (!mod && strncmp(purl, "pkg:rpm/", 8)) return false;
    const char *p = purl + (mod ? 11 : 8);
    const char *slash = strchr(p, '/');
    if (!slash) return false;
    p = slash + 1;
    const char *q = strchr(p, '?');
    size_t l = q ? (size_t)(q - p) : strlen(p);
    const char *hash = memchr(p, '#', l);
    if (hash) l = (size_t)(hash - p);
    const char *at = memchr(p, '@', l);
    size_t nl = at ? (size_t)(at - p) : l;
    char name[256], ver[256];
    if (!nl || nl >= sizeof name) return false;
    pct_decode(p, nl, name, sizeof name);
    ver[0] = 0;
    if (at) pct_decode(at + 1, l - nl - 1, ver, sizeof ver);
    if (mod) {
        if (!module) return false;
        size_t sl = strcspn(ver, ":");
        snprintf(module, mn, "%s:%.*s", name, (int)sl, ver);
        return sl > 0;
    }
    if (!c) return false;
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "%s", name);
    char arch[32] = "", epoch[16] = "", rpmmod[128] = "";
    if (q) {
        purl_qualifier(q + 1, "arch", arch, sizeof arch);
        purl_qualifier(q + 1, "epoch", epoch, sizeof epoch);
        purl_qualifier(q + 1, "rpmmod", rpmmod, sizeof rpmmod);
    }
    c->src = !strcmp(arch, "src");
    if (ver[0]) {
        if (!strchr(ver, '-') || strspn(epoch, "0123456789") != strlen(epoch)) return false;
        const char *ep = epoch;
        while (ep[0] == '0' && ep[1]) ep++;
        if (!*ep || !strcmp(ep, "0")) snprintf(c->evr, sizeof c->evr, "%s", ver);
        else snprintf(c->evr, sizeof c->evr, "%s:%s", ep, ver);
    }
    if (rpmmod[0]) {
        size_t a = strcspn(rpmmod, ":");
        size_t b = rpmmod[a] ? strcspn(rpmmod + a + 1, ":") : 0;
        snprintf(c->module, sizeof c->module, "%.*s", (int)(a + (b ? b + 1 : 0)), rpmmod);
    }
    if (!c->module[0] && (strstr(ver, ".module+") || strstr(ver, ".module_"))) snprintf(c->module, sizeof c->module, "*");
    return true;
}

/* Resolves a product_status id to its platform and component: through the
 * relationships (component purl, module build in between) when the
 * document has them, else by parsing the id. Returns 1 if resolved to a
 * stored platform, 0 if the product is not one we store, DD_EINVAL if the
 * component cannot be parsed. */
static int resolve(const doc_t *d, const char *pid, const platform_t **plat, comp_t *c)
{
    json_t *rel = json_object_get(d->rels, pid);
    if (rel) {
        const char *ref = json_string_value(json_array_get(rel, 0));
        const char *to = json_string_value(json_array_get(rel, 1));
        char module[128] = "";
        json_t *mrel = json_object_get(d->rels, to);
        if (mrel) { /* the component of a module build of a platform */
            const char *mpurl = json_string_value(json_object_get(d->purls, json_string_value(json_array_get(mrel, 0))));
            if (mpurl) parse_purl(mpurl, NULL, module, sizeof module);
            to = json_string_value(json_array_get(mrel, 1));
        }
        const platform_t *p = to ? platform_by_id(d, to) : NULL;
        if (!p || !p->eco[0]) return 0;
        *plat = p;
        const char *purl = json_string_value(json_object_get(d->purls, ref));
        if (purl && strncmp(purl, "pkg:rpm/", 8) && strncmp(purl, "pkg:rpmmod/", 11))
            return 0; /* a container image or another non-rpm component */
        if (purl && !strncmp(purl, "pkg:rpmmod/redhat/", 18) && strchr(purl + 18, '/')) {
            /* "pkg:rpmmod/redhat/postgresql:15/postgresql": an unfixed package of a stream */
            char path[400];
            pct_decode(purl + 18, strcspn(purl + 18, "?#"), path, sizeof path);
            int r = parse_component(path, c);
            if (r != DD_OK) return r == DD_DECLINED ? 0 : DD_EINVAL;
        } else if (!purl || !parse_purl(purl, c, NULL, 0) || (!c->evr[0] && strchr(ref, ':') && !strchr(ref, '/'))) {
            /* no usable purl (or one without the version the id has): the id names it */
            int r = parse_component(ref, c);
            if (r != DD_OK) return r == DD_DECLINED ? 0 : DD_EINVAL;
        }
        if (module[0]) snprintf(c->module, sizeof c->module, "%s", module);
        return 1;
    }
    const char *rest = NULL;
    const platform_t *p = find_platform(d, pid, &rest);
    if (!p || !p->eco[0] || !*rest) return 0;
    *plat = p;
    int r = parse_component(rest, c);
    return r == DD_OK ? 1 : r == DD_DECLINED ? 0 : DD_EINVAL;
}

/* ---- rows ------------------------------------------------------------------ */

typedef struct row {
    char eco[32];
    comp_t c;
    dd_fix_state_t state;
    const char *sev_raw;
} row_t;

typedef struct rows {
    row_t *v;
    size_t n, cap;
    json_t *index; /* "eco\x1fmodule\x1fname" -> position in v */
} rows_t;

static int state_rank(dd_fix_state_t s)
{
    switch (s) {
    case DD_FIX_FIXED: return 6;
    case DD_FIX_NOT_FIXED: return 5;
    case DD_FIX_DEFERRED: return 4;
    case DD_FIX_WONT_FIX: return 3;
    case DD_FIX_EOL: return 2;
    default: return 1;
    }
}

static void add_row(rows_t *r, const char *eco, const comp_t *c, dd_fix_state_t state, const char *sev)
{
    char key[600];
    snprintf(key, sizeof key, "%s\x1f%s\x1f%s", eco, c->module, c->name);
    json_t *pos = json_object_get(r->index, key);
    if (pos) {
        row_t *o = &r->v[json_integer_value(pos)];
        bool better = state_rank(state) > state_rank(o->state) ||
                      (state == DD_FIX_FIXED && o->state == DD_FIX_FIXED && dd_vercmp_rpm(c->evr, o->c.evr) > 0);
        const char *osev = o->sev_raw;
        if (better) {
            o->c = *c;
            o->state = state;
        }
        o->sev_raw = dd_severity_parse(sev) > dd_severity_parse(osev) ? sev : osev;
        return;
    }
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 32;
        r->v = dd_realloc(r->v, r->cap * sizeof *r->v);
    }
    row_t *o = &r->v[r->n];
    snprintf(o->eco, sizeof o->eco, "%s", eco);
    o->c = *c;
    o->state = state;
    o->sev_raw = sev;
    json_object_set_new(r->index, key, json_integer((json_int_t)r->n));
    r->n++;
}

/* ---- one vulnerability ------------------------------------------------------ */

/* The fix state of a known_affected product from its remediation. */
static dd_fix_state_t affected_state(json_t *rem)
{
    const char *cat = feeds_jstr(rem, "category"), *det = feeds_jstr(rem, "details");
    if (det) {
        if (!strcasecmp(det, "Will not fix")) return DD_FIX_WONT_FIX;
        if (!strcasecmp(det, "Out of support scope")) return DD_FIX_EOL;
        if (!strcasecmp(det, "Fix deferred") || !strcasecmp(det, "Deferred")) return DD_FIX_DEFERRED;
        if (!strcasecmp(det, "Affected")) return DD_FIX_NOT_FIXED;
    }
    if (cat && !strcmp(cat, "no_fix_planned")) return DD_FIX_WONT_FIX;
    return DD_FIX_NOT_FIXED;
}

/* product id -> remediation (state-bearing categories) and -> impact word */
static void index_products(json_t *list, const char *key, json_t *map, bool remediations, const char **dflt)
{
    size_t i, k;
    json_t *o, *pid;
    json_array_foreach(list, i, o) {
        const char *cat = feeds_jstr(o, "category");
        if (!cat) continue;
        if (remediations) {
            if (strcmp(cat, "vendor_fix") && strcmp(cat, "no_fix_planned") && strcmp(cat, "none_available")) continue;
        } else if (strcmp(cat, "impact") || !feeds_jstr(o, key)) {
            continue;
        }
        json_t *pids = json_object_get(o, "product_ids");
        if (!remediations && !json_is_array(pids) && dflt && !*dflt) *dflt = feeds_jstr(o, key);
        json_array_foreach(pids, k, pid) {
            const char *s = json_string_value(pid);
            if (s && !json_object_get(map, s)) json_object_set(map, s, remediations ? o : json_object_get(o, key));
        }
    }
}

static int one_vuln(dd_vulndb_t *db, const char *feed, const doc_t *d, json_t *document, json_t *vu,
                    dd_feed_stats_t *st, dd_err_t *e)
{
    const char *cve = feeds_jstr(vu, "cve");
    if (!cve || strncmp(cve, "CVE-", 4) || strlen(cve) > 64) return dd_err(e, DD_EINVAL, "vulnerability without a valid cve");
    json_t *ps = json_object_get(vu, "product_status");
    if (ps && !json_is_object(ps)) return dd_err(e, DD_EINVAL, "%s: product_status is not an object", cve);
    json_t *remj = json_object_get(vu, "remediations"), *thr = json_object_get(vu, "threats");
    if ((remj && !json_is_array(remj)) || (thr && !json_is_array(thr)))
        return dd_err(e, DD_EINVAL, "%s: remediations or threats is not an array", cve);

    dd_vuln_rec_t v = {0};
    v.id = cve;
    v.summary = feeds_jstr(vu, "title");
    if (!v.summary) v.summary = feeds_jstr(document, "title");
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(vu, "notes"), i, x) {
        const char *cat = feeds_jstr(x, "category");
        if (cat && !strcmp(cat, "description") && !v.details) v.details = feeds_jstr(x, "text");
    }
    v.published = feeds_jstr(vu, "release_date");
    if (!v.published) v.published = feeds_jstr(vu, "discovery_date");
    v.modified = feeds_jstr(json_object_get(document, "tracking"), "current_release_date");
    json_array_foreach(json_object_get(vu, "scores"), i, x) {
        json_t *c3 = json_object_get(x, "cvss_v3");
        const char *vec = feeds_jstr(c3, "vectorString");
        if (!vec) continue;
        v.cvss_vector = vec;
        json_t *bs = json_object_get(c3, "baseScore");
        double sc;
        if (json_is_number(bs)) v.cvss_score = json_number_value(bs);
        else if (dd_cvss3_base_score(vec, &sc) == DD_OK) v.cvss_score = sc;
        break;
    }
    json_t *sevmap = json_object(), *remmap = json_object();
    const char *doc_sev = NULL;
    index_products(thr, "details", sevmap, false, &doc_sev);
    index_products(remj, "details", remmap, true, NULL);
    if (!doc_sev) doc_sev = feeds_jstr(json_object_get(document, "aggregate_severity"), "text");
    if (!doc_sev) { /* every impact threat is per product: the highest is the record's */
        const char *k;
        json_t *w;
        json_object_foreach(sevmap, k, w)
            if (dd_severity_parse(json_string_value(w)) > dd_severity_parse(doc_sev)) doc_sev = json_string_value(w);
    }
    if (doc_sev && dd_severity_parse(doc_sev) != DD_SEV_UNKNOWN) {
        v.severity = dd_severity_parse(doc_sev);
        v.severity_raw = doc_sev;
    }
    json_t *refs = json_array();
    json_array_foreach(json_object_get(vu, "references"), i, x) {
        json_t *u = json_object_get(x, "url");
        if (json_is_string(u)) json_array_append(refs, u);
    }
    char *rj = feeds_jdump(refs);
    json_decref(refs);
    v.refs_json = rj;

    static const struct {
        const char *key;
        int kind; /* 0 fixed, 1 affected, 2 investigation, 3 not affected */
    } lists[] = {
        {"fixed", 0}, {"known_affected", 1}, {"under_investigation", 2}, {"known_not_affected", 3},
    };
    rows_t rows = {.index = json_object()};
    int rc = DD_OK;
    long ignored = 0;
    for (size_t l = 0; l < sizeof lists / sizeof lists[0] && !rc; l++) {
        json_t *arr = json_object_get(ps, lists[l].key);
        if (!arr) continue;
        if (!json_is_array(arr)) {
            rc = dd_err(e, DD_EINVAL, "%s: product_status.%s is not an array", cve, lists[l].key);
            break;
        }
        json_array_foreach(arr, i, x) {
            const char *pid = json_string_value(x);
            if (!pid) {
                rc = dd_err(e, DD_EINVAL, "%s: product_status.%s[%zu] is not a string", cve, lists[l].key, i);
                break;
            }
            if (lists[l].kind == 3) {
                ignored++;
                continue;
            }
            const platform_t *p = NULL;
            comp_t c;
            int r = resolve(d, pid, &p, &c);
            if (r == 0) {
                ignored++;
                continue;
            }
            if (r < 0 && lists[l].kind == 0) { /* a fix without a usable version: a broken range */
                rc = dd_err(e, DD_EINVAL, "%s: cannot parse product '%.120s'", cve, pid);
                break;
            }
            if (r < 0) { /* an unfixed product we cannot read: reported, not stored */
                ignored++;
                dd_feed_stats_msg(st, "%s: product '%.120s' not understood, not stored", cve, pid);
                continue;
            }
            /* a fixed source rpm is skipped (its binaries are listed); an
             * unfixed component is the source package ("pkg:rpm/redhat/util-linux?arch=src"),
             * matched through the rpms' source name */
            if (c.src && lists[l].kind == 0) continue;
            dd_fix_state_t state = DD_FIX_UNKNOWN;
            if (lists[l].kind == 0) {
                if (!c.evr[0]) {
                    rc = dd_err(e, DD_EINVAL, "%s: fixed product '%.120s' has no version", cve, pid);
                    break;
                }
                state = DD_FIX_FIXED;
            } else {
                c.evr[0] = 0;
                if (lists[l].kind == 1) state = affected_state(json_object_get(remmap, pid));
            }
            const char *sev = json_string_value(json_object_get(sevmap, pid));
            add_row(&rows, p->eco, &c, state, sev ? sev : v.severity_raw);
        }
    }
    if (!rc) rc = dd_vulndb_put_vuln(db, feed, &v, e);
    for (size_t k = 0; k < rows.n && !rc; k++) {
        row_t *r = &rows.v[k];
        json_t *jr = r->state == DD_FIX_FIXED
                         ? json_pack("[{s:s,s:[{s:s},{s:s}]}]", "type", "ECOSYSTEM", "events", "introduced", "0",
                                     "fixed", r->c.evr)
                         : json_pack("[{s:s,s:[{s:s}]}]", "type", "ECOSYSTEM", "events", "introduced", "0");
        char *ranges = json_dumps(jr, JSON_COMPACT);
        json_decref(jr);
        dd_affected_rec_t a = {0};
        a.ecosystem = r->eco;
        a.package = r->c.name;
        a.ranges_json = ranges;
        a.fix_state = r->state;
        a.fixed = r->state == DD_FIX_FIXED ? r->c.evr : NULL;
        a.severity = dd_severity_parse(r->sev_raw);
        a.severity_raw = a.severity != DD_SEV_UNKNOWN ? r->sev_raw : NULL;
        a.module = r->c.module[0] ? r->c.module : NULL;
        rc = dd_vulndb_put_affected(db, feed, cve, &a, e);
        free(ranges);
    }
    if (!rc) {
        st->affected += (long)rows.n;
        st->ignored += ignored;
    }
    free(rows.v);
    json_decref(rows.index);
    json_decref(sevmap);
    json_decref(remmap);
    free(rj);
    return rc;
}

/* ---- one document -------------------------------------------------------------- */

/* Imports one document. A document that is not a CSAF VEX document (or not
 * JSON) fails with rc; bad vulnerabilities are skipped and reported with
 * name (the file or archive entry) and the CVE. */
static int csaf_doc(dd_vulndb_t *db, const char *feed, const char *name, const uint8_t *data, size_t len,
                    dd_feed_stats_t *st, dd_err_t *e)
{
    json_t *j = feeds_json_parse(data, len, e);
    if (!j) return e ? e->code : DD_EINVAL;
    json_t *document = json_object_get(j, "document");
    const char *cat = feeds_jstr(document, "category");
    json_t *vulns = json_object_get(j, "vulnerabilities");
    int rc = DD_OK;
    if (!cat || strcmp(cat, "csaf_vex"))
        rc = dd_err(e, DD_EINVAL, "not a csaf_vex document (category '%.40s')", cat ? cat : "");
    else if (vulns && !json_is_array(vulns))
        rc = dd_err(e, DD_EINVAL, "'vulnerabilities' is not an array");
    if (rc) {
        json_decref(j);
        return rc;
    }
    doc_t d = {.purls = json_object(), .rels = json_object()};
    json_t *tree = json_object_get(j, "product_tree");
    walk_branches(&d, json_object_get(tree, "branches"), 0);
    size_t i;
    json_t *fp;
    json_array_foreach(json_object_get(tree, "full_product_names"), i, fp) add_platform(&d, fp);
    json_array_foreach(json_object_get(tree, "relationships"), i, fp) {
        const char *id = feeds_jstr(json_object_get(fp, "full_product_name"), "product_id");
        const char *ref = feeds_jstr(fp, "product_reference"), *to = feeds_jstr(fp, "relates_to_product_reference");
        if (id && ref && to && !json_object_get(d.rels, id))
            json_object_set_new(d.rels, id, json_pack("[s,s]", ref, to));
    }
    json_t *vu;
    json_array_foreach(vulns, i, vu) {
        dd_err_t re = {0};
        dd_vulndb_rec_begin(db);
        rc = json_is_object(vu) ? one_vuln(db, feed, &d, document, vu, st, &re)
                              : dd_err(&re, DD_EINVAL, "vulnerability is not an object");
        dd_vulndb_rec_end(db, rc == DD_OK);
        if (rc) {
            st->skipped++;
            dd_feed_stats_msg(st, "%s: vulnerabilities[%zu]: %s", name, i, re.msg);
        } else {
            st->records++;
        }
    }
    free(d.plat);
    json_decref(d.purls);
    json_decref(d.rels);
    json_decref(j);
    return DD_OK;
}

static void set_names(dd_feed_stats_t *st, const char *feed)
{
    snprintf(st->format, sizeof st->format, "csaf-vex");
    snprintf(st->feed, sizeof st->feed, "%s", feed);
}

static int csaf_import_mem(dd_vulndb_t *db, const char *feed, const uint8_t *data, size_t len,
                           dd_feed_stats_t *st, dd_err_t *e)
{
    set_names(st, feed ? feed : CSAF_FEED);
    return csaf_doc(db, st->feed, "document", data, len, st, e);
}

/* A document inside a directory or archive: its failure is one skipped
 * record, reported, and the import goes on. */
static void csaf_member(dd_vulndb_t *db, const char *name, const uint8_t *data, size_t len, dd_feed_stats_t *st)
{
    dd_err_t e = {0};
    if (csaf_doc(db, st->feed, name, data, len, st, &e) != DD_OK) {
        st->skipped++;
        dd_feed_stats_msg(st, "%s: %s", name, e.msg);
    }
}

/* ---- directory tree and archive ------------------------------------------------- */

static int walk_dir(dd_vulndb_t *db, const char *dir, int depth, long *nfiles, dd_buf_t *b, dd_feed_stats_t *st,
                    dd_err_t *e)
{
    if (depth > 8) return DD_OK;
    struct dirent **list = NULL;
    int n = scandir(dir, &list, NULL, alphasort);
    if (n < 0) return dd_err_errno(e, DD_EIO, errno, "cannot read directory '%s'", dir);
    int rc = DD_OK;
    for (int i = 0; i < n; i++) {
        if (rc || list[i]->d_name[0] == '.') {
            free(list[i]);
            continue;
        }
        char *p = dd_asprintf("%s/%s", dir, list[i]->d_name);
        struct stat sb;
        if (stat(p, &sb) == 0) {
            if (S_ISDIR(sb.st_mode)) {
                rc = walk_dir(db, p, depth + 1, nfiles, b, st, e);
            } else if (S_ISREG(sb.st_mode) && dd_str_endswith(p, ".json")) {
                dd_err_t fe = {0};
                dd_buf_reset(b);
                if (++*nfiles > DD_FEED_MAX_ENTRIES)
                    rc = dd_err(e, DD_ELIMIT, "more than %d files under '%s'", DD_FEED_MAX_ENTRIES, dir);
                else if (dd_file_read(p, DD_FEED_MAX_RECORD, b, &fe) != DD_OK) {
                    st->skipped++;
                    dd_feed_stats_msg(st, "%s: %s", p, fe.msg);
                } else {
                    csaf_member(db, p, (const uint8_t *)b->ptr, b->len, st);
                }
            }
        }
        free(p);
        free(list[i]);
    }
    free(list);
    return rc;
}

static int import_archive(dd_vulndb_t *db, const char *path, dd_buf_t *b, dd_feed_stats_t *st, dd_err_t *e)
{
    struct archive *ar = archive_read_new();
    archive_read_support_filter_all(ar);
    archive_read_support_format_tar(ar);
    if (archive_read_open_filename(ar, path, 1 << 16) != ARCHIVE_OK) {
        int rc = dd_err(e, DD_EINVAL, "cannot open archive '%s': %s", path, archive_error_string(ar));
        archive_read_free(ar);
        return rc;
    }
    struct archive_entry *ent;
    long entries = 0;
    int r, rc = DD_OK;
    while ((r = archive_read_next_header(ar, &ent)) == ARCHIVE_OK) {
        if (++entries > DD_FEED_MAX_ENTRIES) {
            rc = dd_err(e, DD_ELIMIT, "archive has more than %d entries", DD_FEED_MAX_ENTRIES);
            break;
        }
        const char *name = archive_entry_pathname(ent);
        if (!name || archive_entry_filetype(ent) != AE_IFREG || !dd_str_endswith(name, ".json")) continue;
        char ename[256];
        snprintf(ename, sizeof ename, "%s", name);
        if (archive_entry_size_is_set(ent) && archive_entry_size(ent) > (la_int64_t)DD_FEED_MAX_RECORD) {
            st->skipped++;
            dd_feed_stats_msg(st, "%s: entry larger than %u bytes", ename, DD_FEED_MAX_RECORD);
            continue;
        }
        dd_buf_reset(b);
        char chunk[65536];
        la_ssize_t n;
        bool too_big = false;
        while ((n = archive_read_data(ar, chunk, sizeof chunk)) > 0)
            if (dd_buf_append(b, chunk, (size_t)n) != DD_OK) {
                too_big = true;
                break;
            }
        if (n < 0) {
            st->skipped++;
            dd_feed_stats_msg(st, "%s: %s", ename, archive_error_string(ar));
            rc = dd_err(e, DD_ECORRUPT, "corrupt archive entry '%s': %s", ename, archive_error_string(ar));
            break;
        }
        if (too_big) {
            st->skipped++;
            dd_feed_stats_msg(st, "%s: entry too large", ename);
            continue;
        }
        csaf_member(db, ename, (const uint8_t *)b->ptr, b->len, st);
    }
    if (rc == DD_OK && r != ARCHIVE_EOF)
        rc = dd_err(e, DD_ECORRUPT, "corrupt archive '%s': %s", path, archive_error_string(ar));
    archive_read_free(ar);
    return rc;
}

static int csaf_import_path(dd_vulndb_t *db, const char *path, const char *feed, dd_feed_stats_t *st, dd_err_t *e)
{
    set_names(st, feed ? feed : CSAF_FEED);
    struct stat sb;
    if (stat(path, &sb) != 0) return dd_err_errno(e, DD_EIO, errno, "cannot stat '%s'", path);
    dd_buf_t b;
    dd_buf_init(&b, DD_FEED_MAX_RECORD);
    int rc;
    if (S_ISDIR(sb.st_mode)) {
        long nfiles = 0;
        rc = walk_dir(db, path, 0, &nfiles, &b, st, e);
    } else {
        uint8_t head[512];
        size_t n = 0;
        bool tar = false, comp = false;
        feeds_sniff(path, head, sizeof head, &n, &tar, &comp);
        if (tar) {
            rc = import_archive(db, path, &b, st, e);
        } else {
            dd_buf_release(&b);
            dd_buf_init(&b, DD_FEED_MAX_DOC);
            rc = feeds_read_file(path, DD_FEED_MAX_DOC, &b, e);
            if (rc == DD_OK) rc = csaf_doc(db, st->feed, path, (const uint8_t *)b.ptr, b.len, st, e);
        }
    }
    dd_buf_release(&b);
    return rc;
}

const dd_feed_t dd_feed_csaf_vex = {
    .version = DD_FEED_V1,
    .name = "csaf-vex",
    .desc = "Red Hat CSAF VEX documents: one file, a directory tree, or csaf_vex_YYYY-MM-DD.tar.zst",
    .detect = csaf_detect,
    .import_mem = csaf_import_mem,
    .import_path = csaf_import_path,
};
