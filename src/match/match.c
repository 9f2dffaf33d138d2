/*
 * match.c: the matcher. For each package of an inventory it walks the
 * affected entries of (image ecosystem, package name) from the vulndb cache,
 * evaluates them with the OSV algorithm in the ecosystem's version ordering,
 * and folds the hits into one finding per (package, vulnerability id):
 *
 *   0. The ecosystem: for OS packages the image's, or Red Hat:N for a
 *      CentOS:N image without CentOS data (dd_match_ecosystem); for an
 *      application package its own OSV ecosystem (PyPI, npm, Go...),
 *      whatever the OS, looked up by the name the importer stores
 *      (dd_pkgname_normalize). The assessment rule is at plan_build().
 *   1. An affected entry of record R matches (dd_match_affected), and its
 *      module stream fits the package's (dd_match_module).
 *   2. Its finding ids: R's id if it is a CVE, else the CVEs among R's
 *      aliases, else among its upstream ids, else the CVEs of the records
 *      its upstream ids name (USN -> UBUNTU-CVE -> CVE, one level; the
 *      intermediate id becomes an advisory and its rating applies), else
 *      R's id. R itself becomes an advisory of each finding when it is not
 *      the finding id.
 *   3. Hits on the same (package, id) merge: the highest fixed version wins
 *      (the upgrade that satisfies every source); without any fix the most
 *      specific vendor state wins (end-of-life / will-not-fix / deferred over
 *      not-fixed); the highest vendor severity wins.
 *   3b. A finding no matching entry rates takes the highest vendor rating
 *      another entry of the same ecosystem, package and CVE gives (a DSA
 *      takes the Debian tracker's urgency for that release).
 *   4. Enrichment: NVD data of the CVE (description, published), its CVSS
 *      metrics, KEV entry and EPSS. Severity: the vendor's rating first
 *      (severity_source: the vendor, from the feed name; vendor_severity:
 *      its word), else a CVSS score chosen by choose_cvss() (NVD v4.0/v3.x,
 *      CVE JSON 5 ADP then CNA, the record's own vector, v2 last), else
 *      Unknown. cvss_* describe that score, or the best one when the vendor
 *      rated the finding.
 *   5. Filters mark findings suppressed; counts and status use the rest.
 */
#include "dd/match.h"
#include "dd/digest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *dd_pkg_type_name(dd_pkg_type_t t)
{
    switch (t) {
    case DD_PKG_DPKG: return "dpkg";
    case DD_PKG_APK: return "apk";
    case DD_PKG_RPM: return "rpm";
    case DD_PKG_PYPI: return "pypi";
    case DD_PKG_NPM: return "npm";
    case DD_PKG_GOLANG: return "golang";
    case DD_PKG_MAVEN: return "maven";
    case DD_PKG_GEM: return "gem";
    case DD_PKG_CARGO: return "cargo";
    case DD_PKG_COMPOSER: return "composer";
    case DD_PKG_NUGET: return "nuget";
    }
    return "unknown";
}

const char *dd_pkg_type_ecosystem(dd_pkg_type_t t)
{
    switch (t) {
    case DD_PKG_PYPI: return "PyPI";
    case DD_PKG_NPM: return "npm";
    case DD_PKG_GOLANG: return "Go";
    case DD_PKG_MAVEN: return "Maven";
    case DD_PKG_GEM: return "RubyGems";
    case DD_PKG_CARGO: return "crates.io";
    case DD_PKG_COMPOSER: return "Packagist";
    case DD_PKG_NUGET: return "NuGet";
    default: return NULL;
    }
}

void dd_findings_init(dd_findings_t *f)
{
    memset(f, 0, sizeof *f);
    dd_arena_init(&f->arena);
}

void dd_findings_release(dd_findings_t *f)
{
    if (!f) return;
    dd_arena_release(&f->arena);
    free(f->v);
    memset(f, 0, sizeof *f);
}

/* ---- OSV evaluation -------------------------------------------------------- */

static bool is_zero(const dd_event_t *ev) { return ev->kind == DD_EV_INTRODUCED && !strcmp(ev->version, "0"); }

static int ev_cmp(dd_verscheme_t s, const dd_event_t *a, const dd_event_t *b)
{
    bool za = is_zero(a), zb = is_zero(b);
    if (za || zb) return za && zb ? 0 : za ? -1 : 1;
    return dd_vercmp(s, a->version, b->version);
}

static bool in_range(dd_verscheme_t s, const char *v, const dd_range_t *r, const char **fixed_out)
{
    if (r->type == DD_RANGE_GIT || r->n_events == 0) return false;
    /* SEMVER ranges use semver precedence; Go and crates.io keep their own
     * scheme (Go's "v" prefix and pseudo-versions, crates.io's "0.1" events) */
    if (r->type == DD_RANGE_SEMVER) s = s == DD_VS_GO || s == DD_VS_CARGO ? s : DD_VS_SEMVER;
    bool has_limit = false, before = false;
    for (size_t i = 0; i < r->n_events; i++) {
        const dd_event_t *ev = &r->events[i];
        if (ev->kind != DD_EV_LIMIT) continue;
        has_limit = true;
        if (strchr(ev->version, '*') || dd_vercmp(s, v, ev->version) < 0) before = true;
    }
    if (has_limit && !before) return false;
    /* stable insertion sort of the events by version */
    dd_event_t local[32];
    dd_event_t *evs = r->n_events <= 32 ? local : dd_malloc(r->n_events * sizeof *evs);
    size_t n = 0;
    for (size_t i = 0; i < r->n_events; i++) {
        if (r->events[i].kind == DD_EV_LIMIT) continue;
        size_t j = n++;
        while (j > 0 && ev_cmp(s, &evs[j - 1], &r->events[i]) > 0) {
            evs[j] = evs[j - 1];
            j--;
        }
        evs[j] = r->events[i];
    }
    bool vuln = false;
    for (size_t i = 0; i < n; i++) {
        const dd_event_t *ev = &evs[i];
        if (ev->kind == DD_EV_INTRODUCED) {
            if (is_zero(ev) || dd_vercmp(s, v, ev->version) >= 0) vuln = true;
        } else if (ev->kind == DD_EV_FIXED) {
            if (dd_vercmp(s, v, ev->version) >= 0) vuln = false;
        } else if (ev->kind == DD_EV_LAST_AFFECTED) {
            if (dd_vercmp(s, v, ev->version) > 0) vuln = false;
        }
    }
    if (vuln && fixed_out) {
        *fixed_out = NULL;
        for (size_t i = 0; i < n; i++)
            if (evs[i].kind == DD_EV_FIXED && dd_vercmp(s, v, evs[i].version) < 0) {
                *fixed_out = evs[i].version;
                break;
            }
    }
    if (evs != local) free(evs);
    return vuln;
}

bool dd_match_affected(dd_verscheme_t s, const char *version, const dd_affected_t *a, const char **fixed_out)
{
    if (fixed_out) *fixed_out = NULL;
    if (!version || a->fix_state == DD_FIX_NOT_AFFECTED) return false;
    for (size_t i = 0; i < a->n_ranges; i++)
        if (in_range(s, version, &a->ranges[i], fixed_out)) return true;
    for (size_t i = 0; i < a->n_versions; i++)
        if (!strcmp(a->versions[i], version) || dd_vercmp(s, a->versions[i], version) == 0) {
            /* the version is listed; a fix above it may still exist in a range */
            if (fixed_out)
                for (size_t r = 0; r < a->n_ranges && !*fixed_out; r++)
                    for (size_t k = 0; k < a->ranges[r].n_events; k++) {
                        const dd_event_t *ev = &a->ranges[r].events[k];
                        if (ev->kind == DD_EV_FIXED && dd_vercmp(s, version, ev->version) < 0) {
                            *fixed_out = ev->version;
                            break;
                        }
                    }
            return true;
        }
    return false;
}

/* ---- folding hits into findings ----------------------------------------------- */

/* (package index, id) -> finding index, open addressing; lives for one match */
typedef struct fmap {
    size_t *slots; /* finding index + 1; 0 = empty */
    size_t cap;    /* power of two */
    size_t used;
} fmap_t;

typedef struct ctx {
    dd_vulndb_t *db;
    fmap_t map;
    const dd_inventory_t *inv;
    dd_findings_t *out;
    dd_verscheme_t scheme;      /* of the package being matched */
    const char *eco;            /* its ecosystem (the image's, or its own for an
                                   application package) */
    size_t pkg_index;
    const char *name, *version; /* what is being matched */
} ctx_t;

/* Each "CVE-..." string of a JSON string array (as jansson dumps it). */
static size_t json_cves(const char *json, const char *out[], size_t max, dd_arena_t *a)
{
    size_t n = 0;
    for (const char *p = json; p && (p = strstr(p, "\"CVE-")) && n < max;) {
        p++;
        const char *q = strchr(p, '"');
        if (!q) break;
        out[n++] = dd_arena_strndup(a, p, (size_t)(q - p));
        p = q + 1;
    }
    return n;
}

/* Each string of a JSON string array that is not a CVE id. */
static size_t json_others(const char *json, const char *out[], size_t max, dd_arena_t *a)
{
    size_t n = 0;
    for (const char *p = json; p && (p = strchr(p, '"')) && n < max;) {
        p++;
        const char *q = strchr(p, '"');
        if (!q) break;
        if (strncmp(p, "CVE-", 4)) out[n++] = dd_arena_strndup(a, p, (size_t)(q - p));
        p = q + 1;
    }
    return n;
}

static void add_unique(const char *arr[], size_t *n, size_t max, const char *s)
{
    if (!s) return;
    for (size_t i = 0; i < *n; i++)
        if (!strcmp(arr[i], s)) return;
    if (*n < max) arr[(*n)++] = s;
}

/* Feed name prefix -> the vendor a rating is credited to (severity_source),
 * matched case-insensitively; sorted by prefix. Feeds of other importers
 * follow the same names: "osv/AlmaLinux", "osv/Rocky Linux", "osv/SUSE",
 * "osv/openSUSE", "redhat-csaf/...", "alas/...". Any other feed: "osv". */
static const struct {
    const char *prefix;
    const char *vendor;
} vendors[] = {
    {"alas", "amazon"},          {"alpine", "alpine"},           {"amazon", "amazon"},
    {"debian", "debian"},        {"osv/AlmaLinux", "almalinux"}, {"osv/Alpine", "alpine"},
    {"osv/Amazon", "amazon"},    {"osv/Debian", "debian"},       {"osv/openSUSE", "suse"},
    {"osv/Red Hat", "redhat"},   {"osv/Rocky Linux", "rocky"},   {"osv/SUSE", "suse"},
    {"osv/Ubuntu", "ubuntu"},    {"redhat", "redhat"},           {"rocky", "rocky"},
    {"suse", "suse"},            {"ubuntu", "ubuntu"},
};

static const char *vendor_of(const char *feed, const char *vuln_id)
{
    if (!feed) return "osv";
    for (size_t i = 0; i < sizeof vendors / sizeof vendors[0]; i++)
        if (!strncasecmp(feed, vendors[i].prefix, strlen(vendors[i].prefix))) return vendors[i].vendor;
    /* other OSV feeds (the language ecosystems): GitHub's reviewed records
     * are rated by GitHub ("ghsa"), the rest by their OSV source */
    const char *src = dd_osv_severity_source(feed, vuln_id);
    return src ? src : "osv";
}

static int fix_rank(dd_fix_state_t s)
{
    switch (s) {
    case DD_FIX_FIXED: return 5;
    case DD_FIX_EOL: return 4;
    case DD_FIX_WONT_FIX: return 3;
    case DD_FIX_DEFERRED: return 2;
    case DD_FIX_NOT_FIXED: return 1;
    default: return 0;
    }
}

static const char *adup(dd_arena_t *a, const char *s)
{
    return s ? dd_arena_strdup(a, s) : NULL;
}

static size_t fkey(size_t pkg, const char *id)
{
    size_t h = 1469598103934665603ull ^ pkg;
    while (*id) h = (h ^ (unsigned char)*id++) * 1099511628211ull;
    return h;
}

static void fmap_grow(ctx_t *c)
{
    size_t ncap = c->map.cap ? c->map.cap * 2 : 256;
    size_t *ns = dd_calloc(ncap, sizeof *ns);
    for (size_t i = 0; i < c->out->n; i++) {
        size_t k = fkey(c->out->v[i].pkg_index, c->out->v[i].id) & (ncap - 1);
        while (ns[k]) k = (k + 1) & (ncap - 1);
        ns[k] = i + 1;
    }
    free(c->map.slots);
    c->map.slots = ns;
    c->map.cap = ncap;
}

static dd_finding_t *finding_for(ctx_t *c, const char *id)
{
    dd_findings_t *o = c->out;
    if ((o->n + 1) * 2 > c->map.cap) fmap_grow(c);
    size_t k = fkey(c->pkg_index, id) & (c->map.cap - 1);
    for (; c->map.slots[k]; k = (k + 1) & (c->map.cap - 1)) {
        dd_finding_t *f = &o->v[c->map.slots[k] - 1];
        if (f->pkg_index == c->pkg_index && !strcmp(f->id, id)) return f;
    }
    c->map.slots[k] = o->n + 1;
    if (o->n == o->cap) {
        o->cap = o->cap ? o->cap * 2 : 64;
        o->v = dd_realloc(o->v, o->cap * sizeof *o->v);
    }
    dd_finding_t *f = &o->v[o->n++];
    memset(f, 0, sizeof *f);
    const dd_package_t *p = &c->inv->pkgs[c->pkg_index];
    f->id = dd_arena_strdup(&o->arena, id);
    f->pkg_index = c->pkg_index;
    f->package = adup(&o->arena, p->name);
    f->version = adup(&o->arena, p->version);
    f->source_name = adup(&o->arena, c->name);
    f->source_version = adup(&o->arena, c->version);
    f->pkg_type = p->type;
    f->path = dd_pkg_type_is_app(p->type) ? adup(&o->arena, p->db_path) : NULL;
    f->layer = p->layer;
    f->ecosystem = adup(&o->arena, c->eco);
    return f;
}

static void fold(ctx_t *c, dd_finding_t *f, const dd_affected_t *a, const char *fixed, const dd_vuln_t *rec)
{
    dd_arena_t *ar = &c->out->arena;
    if (strcmp(a->vuln_id, f->id)) add_unique(f->advisories, &f->n_advisories, DD_FINDING_MAX_IDS, a->vuln_id);
    if (rec) {
        const char *others[DD_FINDING_MAX_IDS];
        size_t n = json_others(rec->aliases_json, others, DD_FINDING_MAX_IDS, ar);
        for (size_t i = 0; i < n; i++)
            if (strcmp(others[i], f->id)) add_unique(f->aliases, &f->n_aliases, DD_FINDING_MAX_IDS, others[i]);
        const char *cves[DD_FINDING_MAX_IDS];
        n = json_cves(rec->aliases_json, cves, DD_FINDING_MAX_IDS, ar);
        for (size_t i = 0; i < n; i++)
            if (strcmp(cves[i], f->id)) add_unique(f->aliases, &f->n_aliases, DD_FINDING_MAX_IDS, cves[i]);
    }
    /* fix state and fixed version */
    dd_fix_state_t st = a->fix_state;
    if (fixed) st = DD_FIX_FIXED;
    else if (st == DD_FIX_FIXED || st == DD_FIX_UNKNOWN) st = DD_FIX_NOT_FIXED;
    if (fixed) {
        if (!f->fixed_version || dd_vercmp(c->scheme, fixed, f->fixed_version) > 0)
            f->fixed_version = dd_arena_strdup(ar, fixed);
        f->fix_state = DD_FIX_FIXED;
    } else if (fix_rank(st) > fix_rank(f->fix_state)) {
        f->fix_state = st;
    }
    /* vendor severity */
    dd_severity_t sev = a->severity;
    const char *raw = a->severity_raw;
    if (sev == DD_SEV_UNKNOWN && rec) {
        sev = rec->severity;
        raw = rec->severity_raw;
    }
    if (sev > f->severity) {
        f->severity = sev;
        f->severity_source = vendor_of(a->feed, a->vuln_id);
        f->vendor_severity = raw ? dd_arena_strdup(ar, raw) : dd_severity_name(sev);
    }
    if (rec) {
        if (!f->title && rec->summary) f->title = dd_arena_strdup(ar, rec->summary);
        if (!f->description && rec->details) f->description = dd_arena_strdup(ar, rec->details);
        if (!f->published && rec->published) f->published = dd_arena_strdup(ar, rec->published);
        if (!f->cvss_vector && rec->cvss_vector) {
            f->cvss_vector = dd_arena_strdup(ar, rec->cvss_vector);
            f->cvss_score = rec->cvss_score;
        }
        const char *refs[DD_FINDING_MAX_REFS];
        size_t n = json_others(rec->refs_json, refs, DD_FINDING_MAX_REFS, ar);
        for (size_t i = 0; i < n; i++) add_unique(f->refs, &f->n_refs, DD_FINDING_MAX_REFS, refs[i]);
    }
    if (!f->feeds) f->feeds = dd_arena_strdup(ar, a->feed);
    else if (!strstr(f->feeds, a->feed)) f->feeds = dd_arena_printf(ar, "%s,%s", f->feeds, a->feed);
}

/* The module rule (docs/vulndb.md#module-streams): a modular package (rpm
 * MODULARITYLABEL "name:stream:version:context") matches only entries of its
 * own "name:stream" or "*" (a modular build of a stream the feed does not
 * name); a non-modular package matches only entries without a module. */
bool dd_match_module(const char *pkg_label, const char *entry_module)
{
    if (!pkg_label || !*pkg_label) return entry_module == NULL;
    if (!entry_module) return false;
    if (!strcmp(entry_module, "*")) return true;
    const char *c1 = strchr(pkg_label, ':');
    if (!c1) return !strcmp(pkg_label, entry_module);
    const char *c2 = strchr(c1 + 1, ':');
    size_t n = c2 ? (size_t)(c2 - pkg_label) : strlen(pkg_label);
    return strlen(entry_module) == n && !strncmp(pkg_label, entry_module, n);
}

/* CVE ids of a non-CVE record: its aliases' CVEs, else its upstream CVEs. */
static size_t record_cves(const dd_vuln_t *rec, const char ***ids, dd_arena_t *ar)
{
    const char *src = rec->aliases_json && strstr(rec->aliases_json, "\"CVE-") ? rec->aliases_json
                                                                              : rec->upstream_json;
    size_t max = 0;
    for (const char *p = src; p && (p = strstr(p, "\"CVE-")); p++) max++;
    if (!max) return 0;
    *ids = dd_arena_alloc(ar, max * sizeof **ids);
    return json_cves(src, *ids, max, ar);
}

static int on_affected(const dd_affected_t *a, void *arg)
{
    ctx_t *c = arg;
    const char *fixed = NULL;
    if (!dd_match_module(c->inv->pkgs[c->pkg_index].module, a->module)) return 0;
    if (!dd_match_affected(c->scheme, c->version, a, &fixed)) return 0;
    const dd_vuln_t *rec = dd_vulndb_vuln_cached(c->db, a->vuln_id);
    if (rec && rec->withdrawn) return 0;
    /* an advisory may name many CVEs (DSAs with 30+ exist): no cap here */
    const char *one[1], **ids = one;
    size_t n = 0;
    if (!strncmp(a->vuln_id, "CVE-", 4)) {
        ids[n++] = a->vuln_id;
    } else if (rec) {
        n = record_cves(rec, &ids, &c->out->arena);
        if (n == 0) {
            /* the upstream chain: a USN's upstream is UBUNTU-CVE-*, whose own
             * upstream is the CVE. Followed one level; the intermediate id is
             * an advisory of the finding and its vendor rating is the one for
             * that CVE. */
            const char *up[DD_FINDING_MAX_IDS];
            size_t nu = json_others(rec->upstream_json, up, DD_FINDING_MAX_IDS, &c->out->arena);
            for (size_t u = 0; u < nu; u++) {
                const dd_vuln_t *urec = dd_vulndb_vuln_cached(c->db, up[u]);
                const char **uids = NULL;
                size_t un = urec && !urec->withdrawn ? record_cves(urec, &uids, &c->out->arena) : 0;
                for (size_t k = 0; k < un; k++) {
                    dd_affected_t a2 = *a;
                    if (urec->severity != DD_SEV_UNKNOWN && urec->severity != a->severity) {
                        a2.severity = urec->severity;
                        a2.severity_raw = NULL;
                    }
                    dd_finding_t *f = finding_for(c, uids[k]);
                    fold(c, f, &a2, fixed, rec);
                    add_unique(f->advisories, &f->n_advisories, DD_FINDING_MAX_IDS, up[u]);
                    n++;
                }
            }
            if (n) return 0;
        }
    }
    if (n == 0) {
        ids = one;
        ids[n++] = a->vuln_id;
    }
    for (size_t i = 0; i < n; i++) fold(c, finding_for(c, ids[i]), a, fixed, rec);
    return 0;
}

/* A CVSS score chosen for a finding (see the precedence in enrich). */
typedef struct pick {
    const char *sev_source;   /* severity_source when this score rates the finding */
    const char *cvss_source;  /* "nvd", "cisa-adp", "adp", "cna", "vendor" */
    const char *version, *vector;
    double score;
    dd_severity_t severity;
} pick_t;

static bool is_v2(const char *version) { return version && version[0] == '2'; }

static bool pick_metric(const dd_cvss_t *m, const char *sev_source, pick_t *out)
{
    if (!m) return false;
    out->sev_source = sev_source;
    out->cvss_source = m->source;
    out->version = m->version;
    out->vector = m->vector;
    out->score = m->score;
    out->severity = m->severity != DD_SEV_UNKNOWN ? m->severity : dd_severity_from_cvss_version(m->version, m->score);
    return true;
}

/* Version of a record's own vector: "CVSS:3.1/..." -> "3.1"; no prefix: v2. */
static const char *vector_version(const char *v)
{
    if (!strncmp(v, "CVSS:4.0/", 9)) return "4.0";
    if (!strncmp(v, "CVSS:3.1/", 9)) return "3.1";
    if (!strncmp(v, "CVSS:3.0/", 9)) return "3.0";
    return strncmp(v, "CVSS:", 5) ? "2.0" : NULL;
}

/* The best metric of cve from (feed, source) of CVSS v3.0 or newer (newer:
 * true) or of v2 (newer: false). */
static const dd_cvss_t *best_of(const dd_vuln_t *cve, const char *feed, const char *source, bool newer)
{
    const dd_cvss_t *m = dd_vuln_best_cvss(cve, feed, source);
    if (!m) return NULL;
    if (newer) return is_v2(m->version) ? NULL : m;
    /* only v2 exists in that (feed, source) when the best one is v2 */
    return is_v2(m->version) ? m : NULL;
}

/* The score that rates a finding without a vendor rating, and the one shown
 * beside a vendor rating (docs/vulndb.md#severity): the first that exists of
 *   1. NVD, CVSS v4.0, else v3.1, else v3.0 (Primary before Secondary)
 *   2. CVE JSON 5 CISA ADP, then other ADP, then CNA metrics, v4.0/v3.x
 *   3. the record's own CVSS vector (OSV severity[]), v3.x/v4.0
 *   4. CVSS v2, only when nothing newer exists: NVD, then CVE JSON 5
 * NVD data stored before the cvss table existed (nvd row only) counts as 1. */
static bool choose_cvss(const dd_vuln_t *cve, const char *own_vector, double own_score, pick_t *out)
{
    memset(out, 0, sizeof *out);
    if (pick_metric(best_of(cve, "nvd", NULL, true), "nvd", out)) return true;
    if (cve && cve->has_nvd && (cve->cvss4_vector || cve->cvss3_vector)) {
        bool v4 = cve->cvss4_vector != NULL;
        out->sev_source = "nvd";
        out->cvss_source = "nvd";
        out->vector = v4 ? cve->cvss4_vector : cve->cvss3_vector;
        out->version = vector_version(out->vector);
        out->score = v4 ? cve->cvss4_score : cve->cvss3_score;
        out->severity = v4 ? cve->cvss4_severity : cve->cvss3_severity;
        if (out->severity == DD_SEV_UNKNOWN) out->severity = dd_severity_from_cvss(out->score);
        return true;
    }
    static const struct { const char *source, *sev_source; } cve5[] = {
        {"cisa-adp", "cisa-adp"}, {"adp", "adp"}, {"cna", "cna"},
    };
    for (size_t i = 0; i < sizeof cve5 / sizeof cve5[0]; i++)
        if (pick_metric(best_of(cve, "cve5", cve5[i].source, true), cve5[i].sev_source, out)) return true;
    const char *ov = own_vector ? vector_version(own_vector) : NULL;
    if (own_vector && ov && !is_v2(ov)) {
        double sc = own_score;
        if (sc <= 0 && ov[0] == '3') dd_cvss3_base_score(own_vector, &sc);
        out->sev_source = "cvss";
        out->cvss_source = "vendor";
        out->version = ov;
        out->vector = own_vector;
        out->score = sc;
        out->severity = dd_severity_from_cvss(sc);
        return true;
    }
    if (pick_metric(best_of(cve, "nvd", NULL, false), "nvd", out)) return true;
    for (size_t i = 0; i < sizeof cve5 / sizeof cve5[0]; i++)
        if (pick_metric(best_of(cve, "cve5", cve5[i].source, false), cve5[i].sev_source, out)) return true;
    if (own_vector && ov) {
        out->sev_source = "cvss";
        out->cvss_source = "vendor";
        out->version = ov;
        out->vector = own_vector;
        out->score = own_score;
        out->severity = dd_severity_from_cvss_version(ov, own_score);
        return true;
    }
    return false;
}

/* Vendor rating of the same CVE and package from another feed: a DSA/DLA
 * (Debian OSV has no severity) takes the security tracker's urgency for that
 * CVE in that release, whether or not the tracker's own entry matched. */
typedef struct same_cve {
    dd_finding_t *f;
    dd_arena_t *arena; /* the findings' arena: strings are copied there */
} same_cve_t;

static int on_same_cve(const dd_affected_t *a, void *arg)
{
    same_cve_t *s = arg;
    if (a->severity > s->f->severity && !strcmp(a->vuln_id, s->f->id)) {
        s->f->severity = a->severity;
        s->f->severity_source = vendor_of(a->feed, a->vuln_id);
        s->f->vendor_severity = a->severity_raw ? dd_arena_strdup(s->arena, a->severity_raw) : NULL;
    }
    return 0;
}

static void enrich(dd_vulndb_t *db, dd_findings_t *o, dd_finding_t *f)
{
    dd_arena_t *ar = &o->arena;
    const dd_vuln_t *cve = dd_vulndb_vuln_cached(db, f->id);
    const char *own_vector = f->cvss_vector; /* from an advisory's record (fold) */
    double own_score = f->cvss_score;
    if (cve) {
        /* the CVE's own record (tracker description, GHSA summary) comes first */
        if (cve->details) f->description = dd_arena_strdup(ar, cve->details);
        else if (cve->has_nvd && cve->nvd_description) f->description = dd_arena_strdup(ar, cve->nvd_description);
        if (cve->summary && !f->title) f->title = dd_arena_strdup(ar, cve->summary);
        if (cve->has_nvd) {
            if (cve->nvd_published) f->published = dd_arena_strdup(ar, cve->nvd_published);
            const char *refs[DD_FINDING_MAX_REFS];
            size_t n = json_others(cve->nvd_refs_json, refs, DD_FINDING_MAX_REFS, ar);
            for (size_t i = 0; i < n; i++) add_unique(f->refs, &f->n_refs, DD_FINDING_MAX_REFS, refs[i]);
        }
        if (!f->published && cve->published) f->published = dd_arena_strdup(ar, cve->published);
        if (!own_vector && cve->cvss_vector) {
            own_vector = cve->cvss_vector;
            own_score = cve->cvss_score;
        }
        if (cve->kev) {
            f->known_exploited = true;
            f->kev_date_added = adup(ar, cve->kev_date_added);
            f->kev_due_date = adup(ar, cve->kev_due_date);
            f->kev_ransomware = adup(ar, cve->kev_ransomware);
        }
        if (cve->has_epss) {
            f->has_epss = true;
            f->epss_score = cve->epss_score;
            f->epss_percentile = cve->epss_percentile;
        }
    }
    pick_t p;
    f->cvss_vector = NULL;
    f->cvss_score = 0;
    if (choose_cvss(cve, own_vector, own_score, &p)) {
        f->cvss_vector = adup(ar, p.vector);
        f->cvss_score = p.score;
        f->cvss_version = adup(ar, p.version); /* may point into the cached record */
        f->cvss_source = p.cvss_source ? dd_arena_strdup(ar, p.cvss_source) : NULL;
        if (f->severity == DD_SEV_UNKNOWN && p.severity != DD_SEV_UNKNOWN) {
            f->severity = p.severity;
            f->severity_source = p.sev_source;
        }
    }
    if (f->severity == DD_SEV_UNKNOWN) f->severity_source = NULL;
}

static bool ignored(const dd_match_opts_t *o, const dd_finding_t *f)
{
    for (size_t i = 0; i < o->n_ignore; i++) {
        const char *x = o->ignore[i];
        if (!x) continue;
        if (!strcmp(x, f->id)) return true;
        for (size_t k = 0; k < f->n_aliases; k++)
            if (!strcmp(x, f->aliases[k])) return true;
        for (size_t k = 0; k < f->n_advisories; k++)
            if (!strcmp(x, f->advisories[k])) return true;
    }
    return false;
}

static int finding_cmp(const void *pa, const void *pb)
{
    const dd_finding_t *a = pa, *b = pb;
    if (a->severity != b->severity) return a->severity > b->severity ? -1 : 1;
    int c = strcmp(a->package ? a->package : "", b->package ? b->package : "");
    if (c) return c;
    c = strcmp(a->version ? a->version : "", b->version ? b->version : "");
    if (c) return c;
    c = strcmp(a->id, b->id);
    if (c) return c;
    return a->pkg_index < b->pkg_index ? -1 : a->pkg_index > b->pkg_index;
}

/* The names and versions a package is looked up by (see the top of match.h).
 * buf holds two names of 256 bytes (a longer application name is cut there
 * and matches nothing, as no ecosystem publishes such names). */
static void lookup_names(const dd_package_t *p, const char *names[2], const char *vers[2], char buf[2][256])
{
    switch (p->type) {
    case DD_PKG_DPKG:
        names[0] = p->source_name ? p->source_name : p->name;
        vers[0] = p->source_version ? p->source_version : p->version;
        break;
    case DD_PKG_APK:
        names[0] = p->source_name ? p->source_name : p->name;
        vers[0] = p->version;
        break;
    case DD_PKG_RPM:
        names[0] = p->name;
        vers[0] = p->version;
        if (p->source_name && strcmp(p->source_name, p->name)) {
            names[1] = p->source_name;
            vers[1] = p->source_version ? p->source_version : p->version;
        }
        break;
    default:
        /* application packages: the name as the importer stores it
         * (dd_pkgname_normalize: PyPI per PEP 503, NuGet and Packagist lowercase) */
        names[0] = dd_pkgname_normalize(dd_pkg_type_ecosystem(p->type), p->name, buf[0], sizeof buf[0]);
        vers[0] = p->version;
        /* the Go toolchain: "stdlib" entries use versions without "go" */
        if (p->type == DD_PKG_GOLANG && p->name && !strcmp(p->name, "stdlib") && vers[0] &&
            !strncmp(vers[0], "go", 2))
            vers[0] += 2;
        break;
    }
}

/* ---- which ecosystems an inventory needs --------------------------------- */

/* The assessment rule (docs/vulndb.md#matching, docs/catalog.md):
 *   - OS packages match in the image's ecosystem (dd_match_ecosystem);
 *     application packages in their own OSV ecosystem
 *     (dd_pkg_type_ecosystem), whatever the image's OS.
 *   - Needed: the image's ecosystem when the inventory holds OS packages or
 *     no package at all; each application ecosystem holding a package.
 *   - An image is assessed when every needed ecosystem is known, has a
 *     version ordering and has data in the database. Otherwise it is not
 *     assessed and the reason names each missing one; the ecosystems that
 *     have data are matched all the same, so an image with findings is
 *     Unhealthy either way, and one without is NotAssessed, never Healthy.
 *     A distroless or scratch image with only application packages is
 *     assessed once their language feeds are loaded. */
typedef struct eco_need {
    const char *eco;        /* NULL: the OS was not recognized */
    dd_verscheme_t scheme;
    int state;              /* 1 data, 0 no data, -1 no version ordering, -2 OS unknown */
    size_t npkgs;
} eco_need_t;

typedef struct plan {
    eco_need_t os;                       /* needed when os_needed */
    bool os_needed;
    eco_need_t app[DD_PKG_TYPE_LAST + 1]; /* by type; npkgs 0 = not needed */
    char ebuf[128];
} plan_t;

static void need_check(dd_vulndb_t *db, eco_need_t *n)
{
    if (!n->eco) n->state = -2;
    else if (dd_verscheme_from_ecosystem(n->eco, &n->scheme) != DD_OK) n->state = -1;
    else n->state = dd_vulndb_count_ecosystem(db, n->eco) > 0 ? 1 : 0;
}

static void plan_build(dd_vulndb_t *db, const dd_inventory_t *inv, plan_t *pl)
{
    memset(pl, 0, sizeof *pl);
    size_t n_os = 0, n_app = 0;
    for (size_t i = 0; i < inv->n; i++) {
        dd_pkg_type_t t = inv->pkgs[i].type;
        if (dd_pkg_type_is_app(t)) {
            pl->app[t].npkgs++;
            n_app++;
        } else {
            n_os++;
        }
    }
    pl->os_needed = n_os > 0 || n_app == 0;
    pl->os.npkgs = n_os;
    pl->os.eco = dd_match_ecosystem(db, inv->os.ecosystem, pl->ebuf, sizeof pl->ebuf);
    if (pl->os_needed) need_check(db, &pl->os);
    for (int t = DD_PKG_PYPI; t <= DD_PKG_TYPE_LAST; t++) {
        if (!pl->app[t].npkgs) continue;
        pl->app[t].eco = dd_pkg_type_ecosystem((dd_pkg_type_t)t);
        need_check(db, &pl->app[t]);
    }
}

/* The ecosystem a package matches in, or NULL when it can't be matched. */
static const eco_need_t *plan_for(const plan_t *pl, const dd_package_t *p)
{
    const eco_need_t *n = dd_pkg_type_is_app(p->type) ? &pl->app[p->type] : &pl->os;
    return n->state == 1 ? n : NULL;
}

/* True when every needed ecosystem can be matched; else the reason in a. */
static bool plan_assessed(const plan_t *pl, const dd_inventory_t *inv, dd_arena_t *a, const char **reason)
{
    dd_buf_t b;
    dd_buf_init(&b, 4096);
    if (pl->os_needed && pl->os.state != 1) {
        if (pl->os.state == -2) dd_buf_puts(&b, "operating system not recognized");
        else if (pl->os.state == -1)
            dd_buf_printf(&b, "no version ordering for ecosystem '%s'", pl->os.eco);
        else if (pl->os.eco != inv->os.ecosystem)
            dd_buf_printf(&b, "no vulnerability data for '%s' nor '%s'", inv->os.ecosystem, pl->os.eco);
        else
            dd_buf_printf(&b, "no vulnerability data for '%s'", pl->os.eco);
    }
    for (int t = DD_PKG_PYPI; t <= DD_PKG_TYPE_LAST; t++) {
        const eco_need_t *n = &pl->app[t];
        if (!n->npkgs || n->state == 1) continue;
        if (b.len) dd_buf_puts(&b, "; ");
        if (n->state == -1)
            dd_buf_printf(&b, "no version ordering for ecosystem '%s' (%zu %s package%s)", n->eco, n->npkgs,
                          dd_pkg_type_name((dd_pkg_type_t)t), n->npkgs == 1 ? "" : "s");
        else
            dd_buf_printf(&b, "no vulnerability data for '%s' (%zu %s package%s)", n->eco, n->npkgs,
                          dd_pkg_type_name((dd_pkg_type_t)t), n->npkgs == 1 ? "" : "s");
    }
    bool ok = b.len == 0;
    if (!ok) *reason = dd_arena_strdup(a, b.ptr);
    dd_buf_release(&b);
    return ok;
}

typedef struct sig_ctx {
    dd_vulndb_t *db;
    dd_hasher_t *h;
    dd_verscheme_t scheme;
    const char *version;
    const char *module;
    uint32_t pkg_index;
} sig_ctx_t;

static void hash_str(dd_hasher_t *h, const char *s)
{
    dd_hasher_update(h, s ? s : "", s ? strlen(s) + 1 : 1);
}

/* What enrich() reads of a CVE's record: NVD scores, every CVSS metric,
 * the KEV entry and EPSS. */
static void hash_enrichment(dd_hasher_t *h, const dd_vuln_t *v)
{
    if (v->has_nvd) {
        double sc[2] = {v->cvss3_score, v->cvss4_score};
        dd_hasher_update(h, sc, sizeof sc);
        hash_str(h, v->cvss3_vector);
        hash_str(h, v->cvss4_vector);
    }
    for (size_t i = 0; i < v->n_cvss; i++) {
        const dd_cvss_t *m = &v->cvss[i];
        hash_str(h, m->feed);
        hash_str(h, m->source);
        hash_str(h, m->version);
        hash_str(h, m->vector);
        int iv[2] = {(int)m->severity, m->primary};
        dd_hasher_update(h, iv, sizeof iv);
        dd_hasher_update(h, &m->score, sizeof m->score);
    }
    hash_str(h, v->kev ? "kev" : "no-kev");
    if (v->kev) {
        hash_str(h, v->kev_date_added);
        hash_str(h, v->kev_due_date);
        hash_str(h, v->kev_ransomware);
    }
    if (v->has_epss) {
        double ep[2] = {v->epss_score, v->epss_percentile};
        dd_hasher_update(h, ep, sizeof ep);
    }
}

static int on_affected_sig(const dd_affected_t *a, void *arg)
{
    sig_ctx_t *c = arg;
    const char *fixed = NULL;
    if (!dd_match_module(c->module, a->module)) return 0;
    if (!dd_match_affected(c->scheme, c->version, a, &fixed)) {
        /* a vendor rating may reach a finding without its entry matching
         * (on_same_cve): it decides the findings too */
        if (a->severity != DD_SEV_UNKNOWN && !strncmp(a->vuln_id, "CVE-", 4)) {
            int sv[2] = {(int)c->pkg_index, (int)a->severity};
            dd_hasher_update(c->h, sv, sizeof sv);
            hash_str(c->h, a->vuln_id);
        }
        return 0;
    }
    const dd_vuln_t *rec = dd_vulndb_vuln_cached(c->db, a->vuln_id);
    int iv[3] = {(int)c->pkg_index, (int)a->fix_state, (int)a->severity};
    dd_hasher_update(c->h, iv, sizeof iv);
    hash_str(c->h, a->vuln_id);
    hash_str(c->h, fixed);
    if (rec) {
        hash_str(c->h, rec->modified);
        hash_str(c->h, rec->withdrawn);
        hash_enrichment(c->h, rec);
    }
    /* the enrichment of each CVE this hit becomes a finding for */
    if (strncmp(a->vuln_id, "CVE-", 4) && rec) {
        const char *src = rec->aliases_json && strstr(rec->aliases_json, "\"CVE-") ? rec->aliases_json
                                                                                  : rec->upstream_json;
        for (const char *p = src; p && (p = strstr(p, "\"CVE-"));) {
            p++;
            const char *q = strchr(p, '"');
            if (!q) break;
            char id[64];
            if ((size_t)(q - p) < sizeof id) {
                memcpy(id, p, (size_t)(q - p));
                id[q - p] = 0;
                const dd_vuln_t *cv = dd_vulndb_vuln_cached(c->db, id);
                hash_str(c->h, id);
                if (cv) hash_enrichment(c->h, cv);
            }
            p = q + 1;
        }
    }
    return 0;
}

/* The ecosystem whose entries an image is matched against: its own, or
 * for a CentOS:N image without CentOS data "Red Hat:N" (CentOS is a rebuild
 * of RHEL and Red Hat's data covers it; Trivy does the same). buf holds 128
 * bytes. */
const char *dd_match_ecosystem(dd_vulndb_t *db, const char *eco, char *buf, size_t bufsz)
{
    if (!eco) return NULL;
    if (!strncmp(eco, "CentOS:", 7) && dd_vulndb_count_ecosystem(db, eco) == 0) {
        snprintf(buf, bufsz, "Red Hat:%s", eco + 7);
        return buf;
    }
    return eco;
}

int dd_match_signature(dd_vulndb_t *db, const dd_inventory_t *inv, dd_hasher_t *h)
{
    plan_t pl;
    plan_build(db, inv, &pl);
    sig_ctx_t c = {.db = db, .h = h};
    /* which ecosystems could be matched decides the verdict too */
    int st[2] = {pl.os_needed, pl.os.state};
    dd_hasher_update(h, st, sizeof st);
    hash_str(h, pl.os.eco);
    for (int t = DD_PKG_PYPI; t <= DD_PKG_TYPE_LAST; t++) {
        int s2[2] = {t, pl.app[t].npkgs ? pl.app[t].state : 9};
        dd_hasher_update(h, s2, sizeof s2);
    }
    for (size_t i = 0; i < inv->n; i++) {
        const eco_need_t *n = plan_for(&pl, &inv->pkgs[i]);
        if (!n) continue;
        const char *names[2] = {NULL, NULL}, *vers[2] = {NULL, NULL};
        char nbuf[2][256];
        lookup_names(&inv->pkgs[i], names, vers, nbuf);
        c.pkg_index = (uint32_t)i;
        c.module = inv->pkgs[i].module;
        c.scheme = n->scheme;
        for (int k = 0; k < 2 && names[k]; k++) {
            c.version = vers[k];
            dd_vulndb_each_affected(db, n->eco, names[k], on_affected_sig, &c);
        }
    }
    return DD_OK;
}

int dd_match_inventory(dd_vulndb_t *db, const dd_inventory_t *inv, const dd_match_opts_t *o, dd_findings_t *out,
                       dd_err_t *e)
{
    (void)e;
    static const dd_match_opts_t none = {0};
    if (!o) o = &none;
    out->opts = *o;
    out->db_version = dd_vulndb_version(db);
    plan_t pl;
    plan_build(db, inv, &pl);
    ctx_t c = {.db = db, .inv = inv, .out = out};
    out->assessed = plan_assessed(&pl, inv, &out->arena, &out->reason);
    for (size_t i = 0; i < inv->n; i++) {
        const dd_package_t *p = &inv->pkgs[i];
        const eco_need_t *n = plan_for(&pl, p);
        if (!n) continue;
        c.pkg_index = i;
        c.scheme = n->scheme;
        c.eco = n->eco;
        const char *names[2] = {NULL, NULL}, *vers[2] = {NULL, NULL};
        char nbuf[2][256];
        lookup_names(p, names, vers, nbuf);
        for (int k = 0; k < 2 && names[k]; k++) {
            c.name = names[k];
            c.version = vers[k];
            dd_vulndb_each_affected(db, n->eco, names[k], on_affected, &c);
        }
    }
    for (size_t i = 0; i < out->n; i++) {
        dd_finding_t *f = &out->v[i];
        if (f->severity != DD_SEV_UNKNOWN || strncmp(f->id, "CVE-", 4) || !f->source_name || !f->ecosystem) continue;
        same_cve_t sc = {.f = f, .arena = &out->arena};
        dd_vulndb_each_affected(db, f->ecosystem, f->source_name, on_same_cve, &sc);
    }
    for (size_t i = 0; i < out->n; i++) {
        dd_finding_t *f = &out->v[i];
        enrich(db, out, f);
        if (ignored(o, f)) f->suppressed_by = "ignore-list";
        else if (o->min_severity > DD_SEV_UNKNOWN && f->severity != DD_SEV_UNKNOWN && f->severity < o->min_severity)
            f->suppressed_by = "min-severity";
        else if (o->ignore_unfixed && f->fix_state != DD_FIX_FIXED) f->suppressed_by = "unfixed";
        f->suppressed = f->suppressed_by != NULL;
        if (f->suppressed) {
            out->n_suppressed++;
        } else {
            out->n_reported++;
            out->counts[f->severity]++;
        }
    }
    free(c.map.slots);
    if (out->n > 1) qsort(out->v, out->n, sizeof *out->v, finding_cmp);
    out->healthy = out->assessed && out->n_reported == 0;
    return DD_OK;
}
