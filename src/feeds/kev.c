/*
 * kev.c: the CISA Known Exploited Vulnerabilities catalog importer,
 * enrichment only
 * (https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json,
 * schema known_exploited_vulnerabilities_schema.json: {title,
 * catalogVersion, dateReleased, count, vulnerabilities: [{cveID,
 * vendorProject, product, vulnerabilityName, dateAdded, shortDescription,
 * requiredAction, dueDate, knownRansomwareCampaignUse, notes, cwes}]}).
 *
 * The catalog is a complete list, so an import replaces the stored catalog
 * (table kev) in full; each entry is one row keyed by cveID. An entry
 * without a CVE id or without dateAdded is reported and skipped; fields the
 * catalog adds are ignored. See docs/feeds.md#kev.
 */
#include "feeds_int.h"

#include <stdio.h>
#include <string.h>

static bool kev_detect(const uint8_t *head, size_t n)
{
    return feeds_has(head, n, "\"vulnerabilities\"") && feeds_has(head, n, "\"cveID\"") &&
           (feeds_has(head, n, "\"catalogVersion\"") || feeds_has(head, n, "\"dateAdded\""));
}

/* A string member, or NULL when absent, not a string or empty. */
static const char *str(json_t *o, const char *k)
{
    const char *s = feeds_jstr(o, k);
    return s && *s ? s : NULL;
}

static int one_entry(dd_vulndb_t *db, json_t *v, dd_err_t *e)
{
    if (!json_is_object(v)) return dd_err(e, DD_EINVAL, "entry is not an object");
    dd_kev_rec_t k = {
        .cve_id = str(v, "cveID"),
        .vendor_project = str(v, "vendorProject"),
        .product = str(v, "product"),
        .vulnerability_name = str(v, "vulnerabilityName"),
        .date_added = str(v, "dateAdded"),
        .due_date = str(v, "dueDate"),
        .known_ransomware = str(v, "knownRansomwareCampaignUse"),
        .required_action = str(v, "requiredAction"),
        .notes = str(v, "notes"),
        .short_description = str(v, "shortDescription"),
    };
    if (k.date_added && (strlen(k.date_added) != 10 || k.date_added[4] != '-' || k.date_added[7] != '-'))
        return dd_err(e, DD_EINVAL, "%s: dateAdded '%s' is not YYYY-MM-DD", k.cve_id ? k.cve_id : "entry",
                      k.date_added);
    return dd_vulndb_put_kev(db, &k, e);
}

static int kev_import(dd_vulndb_t *db, const char *feed, const uint8_t *data, size_t len, dd_feed_stats_t *st,
                      dd_err_t *e)
{
    snprintf(st->format, sizeof st->format, "kev");
    snprintf(st->feed, sizeof st->feed, "%s", feed ? feed : "kev");
    json_t *j = feeds_json_parse(data, len, e);
    if (!j) return e ? e->code : DD_EINVAL;
    json_t *vulns = json_object_get(j, "vulnerabilities");
    if (!json_is_array(vulns)) {
        json_decref(j);
        return dd_err(e, DD_EINVAL, "kev catalog without a vulnerabilities array");
    }
    int rc = dd_vulndb_clear_kev(db, e);
    if (rc) {
        json_decref(j);
        return rc;
    }
    size_t i;
    json_t *v;
    json_array_foreach(vulns, i, v) {
        dd_err_t re = {0};
        dd_vulndb_rec_begin(db);
        int r = one_entry(db, v, &re);
        dd_vulndb_rec_end(db, r == DD_OK);
        if (r) {
            const char *id = feeds_jstr(v, "cveID");
            st->skipped++;
            dd_feed_stats_msg(st, "vulnerabilities[%zu] (%s): %s", i, id ? id : "no cveID", re.msg);
        } else {
            st->records++;
        }
    }
    json_decref(j);
    return DD_OK;
}

const dd_feed_t dd_feed_kev = {
    .version = DD_FEED_V1,
    .name = "kev",
    .desc = "CISA Known Exploited Vulnerabilities catalog JSON (exploitation enrichment)",
    .detect = kev_detect,
    .import_mem = kev_import,
};
