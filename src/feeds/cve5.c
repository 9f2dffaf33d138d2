/*
 * cve5.c: the CVE JSON 5 importer (CVE Record Format 5.x,
 * https://github.com/CVEProject/cve-schema), enrichment only. Accepts one
 * record, a JSON array of records, a directory tree of records as
 * github.com/cisagov/vulnrichment lays them out (<year>/<NNxxx>/CVE-*.json),
 * or a zip of such a tree.
 *
 * Per record (dataType "CVE_RECORD", cveMetadata.cveId) it stores the CVSS
 * metrics of the CNA container and of every ADP container (table cvss,
 * feed "cve5"): metrics[].cvssV4_0 / cvssV3_1 / cvssV3_0 / cvssV2_0 with
 * vectorString, baseScore and baseSeverity (v2 has none: the band of its
 * score). Source: an ADP container whose providerMetadata.shortName is
 * "CISA-ADP" -> "cisa-adp", another ADP -> "adp", the CNA -> "cna"; origin:
 * that shortName. A REJECTED record drops what the feed stored for its id.
 * Other metric kinds ("other": ssvc, kev), affected, descriptions and the
 * fields records add are ignored: the vulns rows of vendor feeds and NVD
 * stay the descriptions shown. See docs/feeds.md#cve5.
 */
#include "feeds_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#define CVE5_MAX_METRICS 32

static bool cve5_detect(const uint8_t *head, size_t n)
{
    return feeds_has(head, n, "\"CVE_RECORD\"") ||
           (feeds_has(head, n, "\"cveMetadata\"") && feeds_has(head, n, "\"containers\""));
}

/* The CVSS metrics of one container into m[*n..max). */
static void container_metrics(json_t *c, const char *source, dd_cvss_rec_t *m, size_t *n, size_t max)
{
    static const struct { const char *key, *version; } kinds[] = {
        {"cvssV4_0", "4.0"}, {"cvssV3_1", "3.1"}, {"cvssV3_0", "3.0"}, {"cvssV2_0", "2.0"},
    };
    const char *origin = feeds_jstr(json_object_get(c, "providerMetadata"), "shortName");
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(c, "metrics"), i, x) {
        for (size_t k = 0; k < sizeof kinds / sizeof kinds[0] && *n < max; k++) {
            json_t *d = json_object_get(x, kinds[k].key);
            if (!json_is_object(d)) continue;
            dd_cvss_rec_t *r = &m[*n];
            memset(r, 0, sizeof *r);
            r->source = source;
            r->origin = origin;
            r->version = kinds[k].version;
            r->vector = feeds_jstr(d, "vectorString");
            json_t *sc = json_object_get(d, "baseScore");
            r->score = json_is_number(sc) ? json_number_value(sc) : 0;
            r->severity = dd_severity_parse(feeds_jstr(d, "baseSeverity"));
            r->primary = true;
            if ((!r->vector && r->score <= 0) || r->score < 0 || r->score > 10) continue;
            (*n)++;
        }
    }
}

static int one_record(dd_vulndb_t *db, const char *feed, json_t *rec, dd_feed_stats_t *st, dd_err_t *e)
{
    if (!json_is_object(rec)) return dd_err(e, DD_EINVAL, "record is not an object");
    json_t *meta = json_object_get(rec, "cveMetadata");
    const char *id = feeds_jstr(meta, "cveId");
    if (!id || strncmp(id, "CVE-", 4) || strlen(id) > 32)
        return dd_err(e, DD_EINVAL, "record without a valid cveMetadata.cveId");
    const char *dt = feeds_jstr(rec, "dataType");
    if (dt && strcmp(dt, "CVE_RECORD")) return dd_err(e, DD_EINVAL, "%s: dataType '%s' is not CVE_RECORD", id, dt);
    const char *state = feeds_jstr(meta, "state");
    json_t *cont = json_object_get(rec, "containers");
    if (state && !strcmp(state, "REJECTED")) {
        st->withdrawn++;
        return dd_vulndb_put_cvss(db, feed, id, NULL, 0, e);
    }
    if (!json_is_object(cont)) return dd_err(e, DD_EINVAL, "%s: record without containers", id);
    dd_cvss_rec_t m[CVE5_MAX_METRICS];
    size_t n = 0;
    container_metrics(json_object_get(cont, "cna"), "cna", m, &n, CVE5_MAX_METRICS);
    size_t i;
    json_t *adp;
    json_array_foreach(json_object_get(cont, "adp"), i, adp) {
        const char *sn = feeds_jstr(json_object_get(adp, "providerMetadata"), "shortName");
        container_metrics(adp, sn && !strcmp(sn, "CISA-ADP") ? "cisa-adp" : "adp", m, &n, CVE5_MAX_METRICS);
    }
    if (n == 0) st->ignored++;
    return dd_vulndb_put_cvss(db, feed, id, m, n, e);
}

typedef struct cve5_ctx {
    dd_vulndb_t *db;
    const char *feed;
    dd_feed_stats_t *st;
} cve5_ctx_t;

/* One document (a record or an array of records), each record in its own
 * savepoint; a bad one is reported (file, record id, reason) and skipped. */
static int import_doc(const char *name, const uint8_t *data, size_t len, void *arg)
{
    cve5_ctx_t *c = arg;
    dd_err_t e = {0};
    json_t *j = feeds_json_parse(data, len, &e);
    if (!j) {
        c->st->skipped++;
        dd_feed_stats_msg(c->st, "%s: %s", name, e.msg);
        return DD_OK;
    }
    size_t n = json_is_array(j) ? json_array_size(j) : 1;
    for (size_t i = 0; i < n; i++) {
        json_t *rec = json_is_array(j) ? json_array_get(j, i) : j;
        dd_err_clear(&e);
        dd_vulndb_rec_begin(c->db);
        int rc = one_record(c->db, c->feed, rec, c->st, &e);
        dd_vulndb_rec_end(c->db, rc == DD_OK);
        if (rc) {
            c->st->skipped++;
            dd_feed_stats_msg(c->st, "%s: %s", name, e.msg);
        } else {
            c->st->records++;
        }
    }
    json_decref(j);
    return DD_OK;
}

static void init_stats(const char *feed, dd_feed_stats_t *st)
{
    snprintf(st->format, sizeof st->format, "cve5");
    snprintf(st->feed, sizeof st->feed, "%s", feed ? feed : "cve5");
}

int dd_feed_cve5_import_dir(dd_vulndb_t *db, const char *dir, const char *feed, dd_feed_stats_t *st, dd_err_t *e)
{
    init_stats(feed, st);
    cve5_ctx_t c = {db, st->feed, st};
    return feeds_each_json_dir(dir, import_doc, &c, st, e);
}

int dd_feed_cve5_import_zip(dd_vulndb_t *db, const char *path, const uint8_t *mem, size_t len, const char *feed,
                            dd_feed_stats_t *st, dd_err_t *e)
{
    init_stats(feed, st);
    cve5_ctx_t c = {db, st->feed, st};
    return feeds_each_json_zip(path, mem, len, import_doc, &c, st, e);
}

static int cve5_import(dd_vulndb_t *db, const char *feed, const uint8_t *data, size_t len, dd_feed_stats_t *st,
                       dd_err_t *e)
{
    if (len >= 4 && !memcmp(data, "PK\3\4", 4)) return dd_feed_cve5_import_zip(db, NULL, data, len, feed, st, e);
    init_stats(feed, st);
    cve5_ctx_t c = {db, st->feed, st};
    json_t *j = feeds_json_parse(data, len, e);
    if (!j) return e ? e->code : DD_EINVAL;
    bool ok = json_is_object(j) || json_is_array(j);
    json_decref(j);
    if (!ok) return dd_err(e, DD_EINVAL, "cve5 document is neither a record nor an array of records");
    return import_doc("record", data, len, &c);
}

/* A directory tree or a zip of records (a single record file goes through
 * cve5_import). */
static int cve5_import_path(dd_vulndb_t *db, const char *path, const char *feed, dd_feed_stats_t *st, dd_err_t *e)
{
    struct stat sb;
    if (stat(path, &sb) != 0) return dd_err_errno(e, DD_EIO, errno, "cannot stat '%s'", path);
    if (S_ISDIR(sb.st_mode)) return dd_feed_cve5_import_dir(db, path, feed, st, e);
    uint8_t head[4];
    size_t n = 0;
    bool tar = false, comp = false;
    feeds_sniff(path, head, sizeof head, &n, &tar, &comp);
    if (!tar && !comp && n == 4 && !memcmp(head, "PK\3\4", 4)) return dd_feed_cve5_import_zip(db, path, NULL, 0, feed, st, e);
    dd_buf_t b;
    dd_buf_init(&b, DD_FEED_MAX_DOC);
    int rc = feeds_read_file(path, DD_FEED_MAX_DOC, &b, e);
    if (rc == DD_OK) rc = cve5_import(db, feed, (const uint8_t *)b.ptr, b.len, st, e);
    dd_buf_release(&b);
    return rc;
}

const dd_feed_t dd_feed_cve5 = {
    .version = DD_FEED_V1,
    .name = "cve5",
    .desc = "CVE JSON 5 records (CNA and CISA ADP CVSS metrics): one record, a directory tree, or a zip",
    .detect = cve5_detect,
    .import_mem = cve5_import,
    .import_path = cve5_import_path,
};
