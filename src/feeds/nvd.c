/*
 * nvd.c: the NVD CVE API 2.0 importer, enrichment only
 * (https://services.nvd.nist.gov/rest/json/cves/2.0, one result page:
 * {resultsPerPage, startIndex, totalResults, format "NVD_CVE", version,
 *  timestamp, vulnerabilities: [{cve: {...}}]}).
 *
 * Per CVE it keeps: the English description, published and lastModified, the
 * CVSS v3.1 (else v3.0) and v4.0 base score, vector and severity, preferring
 * the "Primary" (NVD) metric over "Secondary" ones, the CWE ids of
 * weaknesses, and reference URLs (table nvd); and every CVSS metric of
 * cvssMetricV40/V31/V30/V2, Primary and Secondary, with its source
 * (table cvss, feed "nvd": "nvd@nist.gov" -> source "nvd", the CISA ADP
 * UUID -> "cisa-adp", any other (a CNA) -> "cna"). Other metric kinds
 * (ssvcV203...) and fields NVD adds are ignored. NVD adds no affected
 * entries (its CPE configurations are not used for matching).
 */
#include "feeds_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool nvd_detect(const uint8_t *head, size_t n)
{
    return feeds_has(head, n, "\"vulnerabilities\"") &&
           (feeds_has(head, n, "\"NVD_CVE\"") || feeds_has(head, n, "\"resultsPerPage\""));
}

/* The preferred metric of a list: type Primary first, else the first. */
static json_t *pick_metric(json_t *list)
{
    size_t i;
    json_t *m;
    json_array_foreach(list, i, m) {
        const char *t = feeds_jstr(m, "type");
        if (t && !strcmp(t, "Primary")) return json_object_get(m, "cvssData");
    }
    return json_object_get(json_array_get(list, 0), "cvssData");
}

/* The UUID under which NVD lists CISA ADP ("CISA-ADP") metrics. */
#define CISA_ADP_UUID "134c704f-9b21-4f2e-91b3-4a467353bcc0"

static const char *norm_source(const char *src)
{
    if (!src) return "cna";
    if (!strcmp(src, "nvd@nist.gov")) return "nvd";
    if (!strcmp(src, CISA_ADP_UUID)) return "cisa-adp";
    return "cna";
}

#define NVD_MAX_METRICS 32

/* Every metric of the four CVSS lists of metrics into m (at most max). */
static size_t all_metrics(json_t *metrics, dd_cvss_rec_t *m, size_t max)
{
    static const struct { const char *key, *version; } lists[] = {
        {"cvssMetricV40", "4.0"}, {"cvssMetricV31", "3.1"}, {"cvssMetricV30", "3.0"}, {"cvssMetricV2", "2.0"},
    };
    size_t n = 0;
    for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++) {
        size_t i;
        json_t *x;
        json_array_foreach(json_object_get(metrics, lists[l].key), i, x) {
            json_t *d = json_object_get(x, "cvssData");
            if (!json_is_object(d) || n >= max) continue;
            dd_cvss_rec_t *c = &m[n];
            memset(c, 0, sizeof *c);
            c->origin = feeds_jstr(x, "source");
            c->source = norm_source(c->origin);
            c->version = feeds_jstr(d, "version");
            if (!c->version) c->version = lists[l].version;
            c->vector = feeds_jstr(d, "vectorString");
            json_t *sc = json_object_get(d, "baseScore");
            c->score = json_is_number(sc) ? json_number_value(sc) : 0;
            const char *bs = feeds_jstr(d, "baseSeverity");
            if (!bs) bs = feeds_jstr(x, "baseSeverity"); /* v2 keeps it beside cvssData */
            c->severity = dd_severity_parse(bs);
            const char *t = feeds_jstr(x, "type");
            c->primary = t && !strcmp(t, "Primary");
            if (!c->vector && c->score <= 0) continue; /* nothing usable */
            if (c->score < 0 || c->score > 10) continue;
            n++;
        }
    }
    return n;
}

static int one_cve(dd_vulndb_t *db, json_t *cve, dd_err_t *e)
{
    const char *id = feeds_jstr(cve, "id");
    if (!id || strncmp(id, "CVE-", 4)) return dd_err(e, DD_EINVAL, "cve without a valid id");
    dd_nvd_rec_t n = {0};
    n.id = id;
    n.published = feeds_jstr(cve, "published");
    n.modified = feeds_jstr(cve, "lastModified");
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(cve, "descriptions"), i, d) {
        const char *lang = feeds_jstr(d, "lang");
        if (lang && !strcmp(lang, "en")) {
            n.description = feeds_jstr(d, "value");
            break;
        }
    }
    json_t *metrics = json_object_get(cve, "metrics");
    json_t *m3 = pick_metric(json_object_get(metrics, "cvssMetricV31"));
    if (!m3) m3 = pick_metric(json_object_get(metrics, "cvssMetricV30"));
    if (m3) {
        n.cvss3_vector = feeds_jstr(m3, "vectorString");
        n.cvss3_score = json_number_value(json_object_get(m3, "baseScore"));
        n.cvss3_severity = dd_severity_parse(feeds_jstr(m3, "baseSeverity"));
        if (n.cvss3_severity == DD_SEV_UNKNOWN) n.cvss3_severity = dd_severity_from_cvss(n.cvss3_score);
    }
    json_t *m4 = pick_metric(json_object_get(metrics, "cvssMetricV40"));
    if (m4) {
        n.cvss4_vector = feeds_jstr(m4, "vectorString");
        n.cvss4_score = json_number_value(json_object_get(m4, "baseScore"));
        n.cvss4_severity = dd_severity_parse(feeds_jstr(m4, "baseSeverity"));
    }
    json_t *cwes = json_array();
    json_t *w;
    json_array_foreach(json_object_get(cve, "weaknesses"), i, w) {
        size_t k;
        json_array_foreach(json_object_get(w, "description"), k, d) {
            const char *v = feeds_jstr(d, "value");
            if (!v || strncmp(v, "CWE-", 4)) continue;
            bool dup = false;
            size_t q;
            json_t *x;
            json_array_foreach(cwes, q, x) if (!strcmp(json_string_value(x), v)) dup = true;
            if (!dup) json_array_append_new(cwes, json_string(v));
        }
    }
    json_t *refs = json_array();
    json_t *r;
    json_array_foreach(json_object_get(cve, "references"), i, r) {
        json_t *u = json_object_get(r, "url");
        if (json_is_string(u)) json_array_append(refs, u);
    }
    char *cj = feeds_jdump(cwes), *rj = feeds_jdump(refs);
    n.cwe_json = cj;
    n.refs_json = rj;
    int rc = dd_vulndb_put_nvd(db, &n, e);
    if (rc == DD_OK) {
        dd_cvss_rec_t m[NVD_MAX_METRICS];
        size_t nm = all_metrics(metrics, m, NVD_MAX_METRICS);
        rc = dd_vulndb_put_cvss(db, "nvd", id, m, nm, e);
    }
    free(cj);
    free(rj);
    json_decref(cwes);
    json_decref(refs);
    return rc;
}

static int nvd_import(dd_vulndb_t *db, const char *feed_opt, const uint8_t *data, size_t len,
                      dd_feed_stats_t *st, dd_err_t *e)
{
    snprintf(st->format, sizeof st->format, "nvd");
    snprintf(st->feed, sizeof st->feed, "%s", feed_opt ? feed_opt : "nvd");
    json_t *j = feeds_json_parse(data, len, e);
    if (!j) return e ? e->code : DD_EINVAL;
    json_t *vulns = json_object_get(j, "vulnerabilities");
    if (!json_is_array(vulns)) {
        json_decref(j);
        return dd_err(e, DD_EINVAL, "nvd page without a vulnerabilities array");
    }
    size_t i;
    json_t *v;
    json_array_foreach(vulns, i, v) {
        dd_err_t re = {0};
        dd_vulndb_rec_begin(db);
        int rc = one_cve(db, json_object_get(v, "cve"), &re);
        dd_vulndb_rec_end(db, rc == DD_OK);
        if (rc) {
            st->skipped++;
            dd_feed_stats_msg(st, "vulnerabilities[%zu]: %s", i, re.msg);
        } else {
            st->records++;
        }
    }
    json_decref(j);
    return DD_OK;
}

const dd_feed_t dd_feed_nvd = {
    .version = DD_FEED_V1,
    .name = "nvd",
    .desc = "NVD CVE API 2.0 result page (CVSS, CWE, description enrichment)",
    .detect = nvd_detect,
    .import_mem = nvd_import,
};
