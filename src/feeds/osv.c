/*
 * osv.c: the OSV importer (https://ossf.github.io/osv-schema/). Accepts one
 * record, a JSON array of records, a directory of *.json records (walked
 * recursively, sorted), or an all.zip export read entry by entry with
 * libarchive (bounded per-entry size, never extracted to disk); both walks
 * are feeds_each_json_dir / feeds_each_json_zip of feeds.c.
 *
 * Mapping (see docs/feeds.md):
 *   id, summary, details, published, modified, withdrawn, aliases, upstream,
 *   references[].url -> vulns; severity[] CVSS_V3 (else CVSS_V4) vector, with
 *   the v3 base score computed; a severity of a vendor type ("Ubuntu", ...)
 *   or database_specific.severity -> vendor severity;
 *   affected[] -> one affected row per entry: normalized ecosystem, package
 *   name as dd_pkgname_normalize() writes it (PyPI PEP 503, NuGet and
 *   Packagist lowercase), ranges (ECOSYSTEM/SEMVER, known event keys only;
 *   GIT ranges dropped and counted as ignored, an entry left with neither
 *   ranges nor versions skipped) and versions; fix state "fixed" when some
 *   range has a fixed event, else "not-fixed".
 *   Withdrawn records keep their vulns row but get no affected rows (and a
 *   withdrawn update drops the rows an earlier import of the record added).
 * Vendor rules: AlmaLinux/Rocky/SUSE/openSUSE advisories list their CVEs in
 *   `related` (taken as upstream ids); AlmaLinux/Rocky severity is the word
 *   before the summary's colon ("Important: ..."); a USN entry's severity is
 *   the Ubuntu priority of database_specific.cves_map; an rpm entry whose
 *   versions are modular builds (".module_el8") gets module "*".
 */
#include "feeds_int.h"
#include "dd/vercmp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool osv_detect(const uint8_t *head, size_t n)
{
    size_t i = 0;
    while (i < n && (head[i] == ' ' || head[i] == '\n' || head[i] == '\r' || head[i] == '\t')) i++;
    if (i >= n || (head[i] != '{' && head[i] != '[')) return false;
    return feeds_has(head, n, "\"id\"") && feeds_has(head, n, "\"modified\"") &&
           !feeds_has(head, n, "\"resultsPerPage\"") && !feeds_has(head, n, "\"distroversion\"");
}

/* Copies ranges keeping known types (ECOSYSTEM, SEMVER) and event keys;
 * GIT ranges (commit hashes, which no package version can be compared with)
 * are dropped and counted in *n_git; *first_fixed reports the first fixed
 * event. Returns NULL and sets e on malformed input. */
static json_t *clean_ranges(json_t *ranges, const char **first_fixed, long *n_git, const char *id, dd_err_t *e)
{
    json_t *out = json_array();
    size_t i;
    json_t *r;
    json_array_foreach(ranges, i, r) {
        const char *type = feeds_jstr(r, "type");
        json_t *evs = json_object_get(r, "events");
        if (!type || !json_is_array(evs)) {
            json_decref(out);
            dd_err(e, DD_EINVAL, "%s: range without type or events", id);
            return NULL;
        }
        if (!strcmp(type, "GIT")) {
            (*n_git)++;
            continue;
        }
        if (strcmp(type, "ECOSYSTEM") && strcmp(type, "SEMVER")) continue;
        json_t *cevs = json_array();
        size_t k;
        json_t *ev;
        json_array_foreach(evs, k, ev) {
            static const char *const keys[] = {"introduced", "fixed", "last_affected", "limit"};
            for (size_t q = 0; q < 4; q++) {
                json_t *v = json_object_get(ev, keys[q]);
                if (!v) continue;
                if (!json_is_string(v)) {
                    json_decref(cevs);
                    json_decref(out);
                    dd_err(e, DD_EINVAL, "%s: event '%s' is not a string", id, keys[q]);
                    return NULL;
                }
                json_t *o = json_object();
                json_object_set(o, keys[q], v);
                json_array_append_new(cevs, o);
                if (q == 1 && !*first_fixed) *first_fixed = json_string_value(v);
                break;
            }
        }
        json_t *cr = json_object();
        json_object_set_new(cr, "type", json_string(type));
        json_object_set_new(cr, "events", cevs);
        json_array_append_new(out, cr);
    }
    return out;
}

static json_t *string_array(json_t *a)
{
    json_t *out = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v) if (json_is_string(v)) json_array_append(out, v);
    return out;
}

static void eco_base(const char *eco, char *out, size_t n)
{
    size_t l = strcspn(eco, ":");
    snprintf(out, n, "%.*s", (int)l, eco);
}

/* Vendors whose OSV advisories (ALSA/RLSA, SUSE-SU/openSUSE-SU) name the CVEs
 * they fix in `related` only (no aliases/upstream): for these the CVE ids of
 * `related` become the record's upstream ids, so the matcher reports one
 * finding per CVE with the advisory kept. Sorted (strcmp order). Elsewhere
 * `related` is a loose "see also" and is not followed. */
static const char *const related_is_upstream[] = {"AlmaLinux", "Rocky Linux", "SUSE", "openSUSE"};

static bool eco_in(const char *base, const char *const *set, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(base, set[i])) return true;
    return false;
}

static bool has_cve(json_t *a)
{
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v) if (json_is_string(v) && !strncmp(json_string_value(v), "CVE-", 4)) return true;
    return false;
}

/* "Important: bcel security update" (AlmaLinux, Rocky Linux): the Red Hat
 * style severity word that prefixes the summary, or UNKNOWN. */
static dd_severity_t summary_severity(const char *summary, char *word, size_t wn)
{
    if (!summary) return DD_SEV_UNKNOWN;
    size_t l = strcspn(summary, ":");
    if (summary[l] != ':' || l == 0 || l >= wn) return DD_SEV_UNKNOWN;
    static const char *const words[] = {"Critical", "Important", "Low", "Moderate"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strlen(words[i]) == l && !strncmp(summary, words[i], l)) {
            snprintf(word, wn, "%s", words[i]);
            return dd_severity_parse(word);
        }
    return DD_SEV_UNKNOWN;
}

/* The highest Ubuntu priority among the CVEs of a USN entry's
 * database_specific.cves_map (UNKNOWN if none); *raw gets its word. */
static dd_severity_t cves_map_severity(json_t *entry, const char **raw)
{
    json_t *cves = json_object_get(json_object_get(json_object_get(entry, "database_specific"), "cves_map"), "cves");
    dd_severity_t best = DD_SEV_UNKNOWN;
    size_t i, k;
    json_t *c, *s;
    json_array_foreach(cves, i, c) {
        json_array_foreach(json_object_get(c, "severity"), k, s) {
            const char *type = feeds_jstr(s, "type"), *score = feeds_jstr(s, "score");
            if (!type || !score || strcmp(type, "Ubuntu")) continue;
            dd_severity_t v = dd_severity_parse(score);
            if (v > best) {
                best = v;
                *raw = score;
            }
        }
    }
    return best;
}

/* "*" when some event or listed version of an rpm entry is a modular build
 * (".module_el8..." as AlmaLinux/Rocky write it, ".module+el8..." as Red Hat
 * does): the feed does not say the stream (docs/vulndb.md, module streams). */
static const char *rpm_module_of(json_t *ranges, json_t *versions)
{
    size_t i, k;
    json_t *r, *ev, *v;
    const char *key;
    json_array_foreach(ranges, i, r) json_array_foreach(json_object_get(r, "events"), k, ev)
        json_object_foreach(ev, key, v) {
            const char *s = json_string_value(v);
            if (s && (strstr(s, ".module_") || strstr(s, ".module+"))) return "*";
        }
    json_array_foreach(versions, i, v) {
        const char *s = json_string_value(v);
        if (s && (strstr(s, ".module_") || strstr(s, ".module+"))) return "*";
    }
    return NULL;
}

int feeds_osv_record(dd_vulndb_t *db, const char *feed_opt, json_t *rec, dd_feed_stats_t *st, dd_err_t *e)
{
    if (!json_is_object(rec)) return dd_err(e, DD_EINVAL, "record is not an object");
    const char *id = feeds_jstr(rec, "id");
    if (!id || !*id || strlen(id) > 255) return dd_err(e, DD_EINVAL, "record without a valid id");
    json_t *affected = json_object_get(rec, "affected");
    if (affected && !json_is_array(affected) && !json_is_null(affected))
        return dd_err(e, DD_EINVAL, "%s: 'affected' is not an array", id);
    json_t *sev = json_object_get(rec, "severity");
    if (sev && !json_is_array(sev) && !json_is_null(sev))
        return dd_err(e, DD_EINVAL, "%s: 'severity' is not an array", id);

    /* feed name: given, else "osv/<ecosystem base>" of the first affected entry */
    char feed[64];
    if (feed_opt) snprintf(feed, sizeof feed, "%s", feed_opt);
    else {
        const char *eco = feeds_jstr(json_object_get(json_array_get(affected, 0), "package"), "ecosystem");
        if (eco) {
            char b[48];
            eco_base(eco, b, sizeof b);
            snprintf(feed, sizeof feed, "osv/%s", b);
        } else snprintf(feed, sizeof feed, "%s", st->feed[0] ? st->feed : "osv");
    }
    if (!st->feed[0]) snprintf(st->feed, sizeof st->feed, "%s", feed);

    dd_vuln_rec_t v = {0};
    v.id = id;
    v.summary = feeds_jstr(rec, "summary");
    v.details = feeds_jstr(rec, "details");
    v.published = feeds_jstr(rec, "published");
    v.modified = feeds_jstr(rec, "modified");
    v.withdrawn = feeds_jstr(rec, "withdrawn");
    size_t i;
    json_t *s;
    const char *v4 = NULL;
    json_array_foreach(sev, i, s) {
        const char *type = feeds_jstr(s, "type"), *score = feeds_jstr(s, "score");
        if (!type || !score) continue;
        if (!strcmp(type, "CVSS_V3")) {
            if (!v.cvss_vector) {
                v.cvss_vector = score;
                double sc;
                if (dd_cvss3_base_score(score, &sc) == DD_OK) v.cvss_score = sc;
            }
        } else if (!strcmp(type, "CVSS_V4")) {
            v4 = score;
        } else if (strcmp(type, "CVSS_V2")) {
            /* a vendor rating ("Ubuntu": "medium") */
            dd_severity_t vs = dd_severity_parse(score);
            if (vs != DD_SEV_UNKNOWN) {
                v.severity = vs;
                v.severity_raw = score;
            }
        }
    }
    if (!v.cvss_vector && v4) v.cvss_vector = v4;
    if (v.severity == DD_SEV_UNKNOWN) {
        const char *ds = feeds_jstr(json_object_get(rec, "database_specific"), "severity");
        if (ds && (v.severity = dd_severity_parse(ds)) != DD_SEV_UNKNOWN) v.severity_raw = ds;
    }
    json_t *aliases = string_array(json_object_get(rec, "aliases"));
    json_t *upstream = string_array(json_object_get(rec, "upstream"));
    /* ecosystem base of the first affected entry (vendor specific rules) */
    char base[48] = "";
    {
        const char *eco0 = feeds_jstr(json_object_get(json_array_get(affected, 0), "package"), "ecosystem");
        if (eco0) eco_base(eco0, base, sizeof base);
    }
    if (eco_in(base, related_is_upstream, sizeof related_is_upstream / sizeof related_is_upstream[0]) &&
        !has_cve(aliases) && !has_cve(upstream)) {
        json_t *rel = json_object_get(rec, "related");
        size_t ri;
        json_t *rv;
        json_array_foreach(rel, ri, rv) if (json_is_string(rv) && !strncmp(json_string_value(rv), "CVE-", 4))
            json_array_append(upstream, rv);
    }
    char sumword[16];
    if (v.severity == DD_SEV_UNKNOWN && (!strcmp(base, "AlmaLinux") || !strcmp(base, "Rocky Linux"))) {
        dd_severity_t ss = summary_severity(v.summary, sumword, sizeof sumword);
        if (ss != DD_SEV_UNKNOWN) {
            v.severity = ss;
            v.severity_raw = sumword;
        }
    }
    json_t *refs = json_array();
    json_t *r;
    json_array_foreach(json_object_get(rec, "references"), i, r) {
        json_t *u = json_object_get(r, "url");
        if (json_is_string(u)) json_array_append(refs, u);
    }
    char *aj = feeds_jdump(aliases), *uj = feeds_jdump(upstream), *rj = feeds_jdump(refs);
    v.aliases_json = aj;
    v.upstream_json = uj;
    v.refs_json = rj;
    json_decref(aliases);
    json_decref(upstream);
    json_decref(refs);

    int rc = dd_vulndb_put_vuln(db, feed, &v, e);
    free(aj);
    free(uj);
    free(rj);
    if (rc) return rc;
    if (v.withdrawn) {
        st->withdrawn++;
        return DD_OK;
    }
    if (!strncmp(id, "ALBA-", 5) || !strncmp(id, "ALEA-", 5) || !strncmp(id, "RLBA-", 5) ||
        !strncmp(id, "RLEA-", 5)) {
        /* AlmaLinux/Rocky bug fix and enhancement advisories are not
         * vulnerabilities: their record is kept, their entries never match */
        st->ignored += (long)json_array_size(affected);
        return DD_OK;
    }
    long n_aff = 0;
    json_t *a;
    json_array_foreach(affected, i, a) {
        json_t *pkg = json_object_get(a, "package");
        const char *eco = feeds_jstr(pkg, "ecosystem"), *name = feeds_jstr(pkg, "name");
        if (!eco || !name || !*eco || !*name)
            return dd_err(e, DD_EINVAL, "%s: affected[%zu] without package ecosystem and name", id, i);
        json_t *ranges = json_object_get(a, "ranges");
        json_t *versions = json_object_get(a, "versions");
        if ((ranges && !json_is_array(ranges) && !json_is_null(ranges)) ||
            (versions && !json_is_array(versions) && !json_is_null(versions)))
            return dd_err(e, DD_EINVAL, "%s: affected[%zu] ranges/versions are not arrays", id, i);
        const char *first_fixed = NULL;
        long n_git = 0;
        json_t *cr = clean_ranges(ranges, &first_fixed, &n_git, id, e);
        if (!cr) return e ? e->code : DD_EINVAL;
        json_t *cv = string_array(versions);
        st->ignored += n_git;
        if (n_git && json_array_size(cr) == 0 && json_array_size(cv) == 0) {
            /* only commit ranges: nothing a package version can match */
            json_decref(cr);
            json_decref(cv);
            continue;
        }
        char normeco[128];
        dd_ecosystem_normalize(eco, normeco, sizeof normeco);
        char normname[512];
        if (strlen(name) >= sizeof normname) {
            json_decref(cr);
            json_decref(cv);
            return dd_err(e, DD_EINVAL, "%s: affected[%zu] package name too long", id, i);
        }
        dd_pkgname_normalize(normeco, name, normname, sizeof normname);
        char *crj = feeds_jdump(cr), *cvj = feeds_jdump(cv);
        dd_affected_rec_t ar = {0};
        ar.ecosystem = normeco;
        ar.package = normname;
        ar.ranges_json = crj;
        ar.versions_json = cvj;
        ar.fix_state = first_fixed ? DD_FIX_FIXED : DD_FIX_NOT_FIXED;
        ar.fixed = first_fixed;
        ar.severity = v.severity;
        ar.severity_raw = v.severity_raw;
        const char *es = feeds_jstr(json_object_get(a, "ecosystem_specific"), "severity");
        if (!es) es = feeds_jstr(json_object_get(a, "database_specific"), "severity");
        if (es && dd_severity_parse(es) != DD_SEV_UNKNOWN) {
            ar.severity = dd_severity_parse(es);
            ar.severity_raw = es;
        } else if (ar.severity == DD_SEV_UNKNOWN) {
            /* a USN: the Ubuntu priority its cves_map gives the CVEs it fixes */
            const char *raw = NULL;
            dd_severity_t cs = cves_map_severity(a, &raw);
            if (cs != DD_SEV_UNKNOWN) {
                ar.severity = cs;
                ar.severity_raw = raw;
            }
        }
        dd_verscheme_t vs;
        if (dd_verscheme_from_ecosystem(normeco, &vs) == DD_OK && vs == DD_VS_RPM)
            ar.module = rpm_module_of(ranges, versions);
        rc = dd_vulndb_put_affected(db, feed, id, &ar, e);
        free(crj);
        free(cvj);
        json_decref(cr);
        json_decref(cv);
        if (rc) return rc;
        n_aff++;
    }
    st->affected += n_aff;
    return DD_OK;
}

/* One record (or array of records) in memory, each in its own savepoint. */
static int import_doc(dd_vulndb_t *db, const char *feed, const char *name, const uint8_t *data,
                      size_t len, dd_feed_stats_t *st)
{
    dd_err_t e = {0};
    json_t *j = feeds_json_parse(data, len, &e);
    if (!j) {
        st->skipped++;
        dd_feed_stats_msg(st, "%s: %s", name, e.msg);
        return DD_OK;
    }
    size_t n = json_is_array(j) ? json_array_size(j) : 1;
    for (size_t i = 0; i < n; i++) {
        json_t *rec = json_is_array(j) ? json_array_get(j, i) : j;
        dd_err_clear(&e);
        dd_vulndb_rec_begin(db);
        int rc = feeds_osv_record(db, feed, rec, st, &e);
        dd_vulndb_rec_end(db, rc == DD_OK);
        if (rc) {
            st->skipped++;
            dd_feed_stats_msg(st, "%s: %s", name, e.msg);
        } else {
            st->records++;
        }
    }
    json_decref(j);
    return DD_OK;
}

static int osv_import_mem(dd_vulndb_t *db, const char *feed, const uint8_t *data, size_t len,
                          dd_feed_stats_t *st, dd_err_t *e)
{
    snprintf(st->format, sizeof st->format, "osv");
    if (len >= 4 && !memcmp(data, "PK\3\4", 4)) return dd_feed_osv_import_zip(db, NULL, data, len, feed, st, e);
    return import_doc(db, feed, "record", data, len, st);
}

/* Walk adapter: one document of a zip or directory tree. */
typedef struct osv_walk {
    dd_vulndb_t *db;
    const char *feed;
    dd_feed_stats_t *st;
} osv_walk_t;

static int walk_doc(const char *name, const uint8_t *data, size_t len, void *arg)
{
    osv_walk_t *w = arg;
    return import_doc(w->db, w->feed, name, data, len, w->st);
}

int dd_feed_osv_import_zip(dd_vulndb_t *db, const char *path, const uint8_t *mem, size_t len,
                           const char *feed, dd_feed_stats_t *st, dd_err_t *e)
{
    snprintf(st->format, sizeof st->format, "osv");
    osv_walk_t w = {db, feed, st};
    return feeds_each_json_zip(path, mem, len, walk_doc, &w, st, e);
}

int dd_feed_osv_import_dir(dd_vulndb_t *db, const char *dir, const char *feed, dd_feed_stats_t *st,
                           dd_err_t *e)
{
    snprintf(st->format, sizeof st->format, "osv");
    osv_walk_t w = {db, feed, st};
    return feeds_each_json_dir(dir, walk_doc, &w, st, e);
}

const dd_feed_t dd_feed_osv = {
    .version = DD_FEED_V1,
    .name = "osv",
    .desc = "OSV JSON records: one file, a directory, or an all.zip export",
    .detect = osv_detect,
    .import_mem = osv_import_mem,
};
