/*
 * alas.c: the Amazon Linux Security Advisories (ALAS) importer. Each Amazon
 * Linux release repository serves its advisories as yum updateinfo XML
 * (repodata/updateinfo.xml.gz, named in repodata/repomd.xml):
 *
 *   <updates>
 *     <update author="..." from="..." status="final" type="security" version="1.4">
 *       <id>ALAS2-2023-2100</id> <title>...</title>
 *       <issued date="2023-06-27 18:17"/> <updated date="..."/>
 *       <severity>important</severity> <description>...</description>
 *       <references><reference href="..." id="CVE-2023-2650" type="cve" title=""/></references>
 *       <pkglist><collection short="amazon-linux-2"><name>Amazon Linux 2</name>
 *         <package name="openssl" epoch="1" version="1.0.2k" release="24.amzn2.0.7" arch="x86_64">
 *           <filename>...</filename></package></collection></pkglist>
 *     </update>
 *   </updates>
 *
 * Read with libxml2's streaming xmlTextReader (no DTD, no network, no entity
 * expansion). One record per <update>: the advisory id is the vulnerability
 * id, its CVE references its upstream ids, <severity> the vendor severity
 * (kept as written), and each binary package name (src skipped, arches
 * merged) one affected row, fixed at the package's EVR (epoch kept when
 * non-zero), ecosystem "Amazon Linux:<release>". The release comes from the
 * feed name ("alas/2" -> 2, "alas/2023", "alas/1" for 2018.03), else from
 * the advisory id (ALAS-… 1, ALAS2-…/ALAS2KERNEL-… 2, ALAS2023-… 2023).
 * Updates of a type other than "security" are not stored.
 */
#include "feeds_int.h"

#include "dd/vercmp.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/xmlreader.h>

#define ALAS_MAX_PACKAGES 100000
#define ALAS_MAX_REFS 10000

static bool alas_detect(const uint8_t *head, size_t n)
{
    return feeds_has(head, n, "<updates") && feeds_has(head, n, "<update ") && feeds_has(head, n, "<id>");
}

typedef struct rec {
    int index;          /* position among <update> elements */
    char *id, *title, *severity, *description;
    char issued[32], updated[32];
    bool other_type;    /* type="bugfix" ... */
    json_t *cves;       /* ["CVE-..."] */
    json_t *urls;       /* ["https://..."] */
    json_t *pkgs;       /* {"name": "evr"} */
    long n_pkgs, n_refs;
    char bad[200];      /* first problem found, or "" */
} rec_t;

static void rec_clear(rec_t *r)
{
    free(r->id);
    free(r->title);
    free(r->severity);
    free(r->description);
    json_decref(r->cves);
    json_decref(r->urls);
    json_decref(r->pkgs);
    memset(r, 0, sizeof *r);
}

static void rec_bad(rec_t *r, const char *msg)
{
    if (!r->bad[0]) snprintf(r->bad, sizeof r->bad, "%s", msg);
}

/* "2023-06-27 18:17[:SS]" -> "2023-06-27T18:17:00Z"; other forms kept as is. */
static void alas_date(const char *in, char *out, size_t n)
{
    out[0] = 0;
    if (!in) return;
    unsigned y, mo, d, h = 0, mi = 0, s = 0;
    int k = sscanf(in, "%4u-%2u-%2u %2u:%2u:%2u", &y, &mo, &d, &h, &mi, &s);
    if (k >= 3) snprintf(out, n, "%04u-%02u-%02uT%02u:%02u:%02uZ", y, mo, d, h, mi, s);
    else snprintf(out, n, "%.20s", in);
}

/* The release of an advisory id: ALAS2023-… "2023", ALAS2-… "2", ALAS-… "1". */
static bool release_of_id(const char *id, char *rel, size_t n)
{
    if (strncmp(id, "ALAS", 4)) return false;
    size_t d = strspn(id + 4, "0123456789");
    if (d > 4) return false;
    if (d == 0) snprintf(rel, n, "1");
    else snprintf(rel, n, "%.*s", (int)d, id + 4);
    return true;
}

static char *attr(xmlTextReaderPtr rd, const char *name)
{
    return (char *)xmlTextReaderGetAttribute(rd, (const xmlChar *)name);
}

static void on_package(xmlTextReaderPtr rd, rec_t *r)
{
    char *name = attr(rd, "name"), *ep = attr(rd, "epoch"), *ver = attr(rd, "version"), *rel = attr(rd, "release"),
         *arch = attr(rd, "arch");
    if (++r->n_pkgs > ALAS_MAX_PACKAGES) rec_bad(r, "too many packages");
    else if (!name || !*name || !ver || !*ver || !rel || !*rel)
        rec_bad(r, "package without name, version or release");
    else if (ep && *ep && strspn(ep, "0123456789") != strlen(ep))
        rec_bad(r, "package with a non-numeric epoch");
    else if (strlen(name) > 255 || strlen(ver) + strlen(rel) > 200)
        rec_bad(r, "package name or version too long");
    else if (!arch || strcmp(arch, "src")) {
        char evr[256];
        const char *e = ep ? ep : "";
        while (e[0] == '0' && e[1]) e++;
        if (!*e || !strcmp(e, "0")) snprintf(evr, sizeof evr, "%s-%s", ver, rel);
        else snprintf(evr, sizeof evr, "%s:%s-%s", e, ver, rel);
        const char *old = json_string_value(json_object_get(r->pkgs, name));
        if (!old || dd_vercmp_rpm(evr, old) > 0) json_object_set_new(r->pkgs, name, json_string(evr));
    }
    xmlFree(name);
    xmlFree(ep);
    xmlFree(ver);
    xmlFree(rel);
    xmlFree(arch);
}

static void on_reference(xmlTextReaderPtr rd, rec_t *r)
{
    char *type = attr(rd, "type"), *id = attr(rd, "id"), *href = attr(rd, "href"), *title = attr(rd, "title");
    if (++r->n_refs > ALAS_MAX_REFS) rec_bad(r, "too many references");
    else {
        /* the CVE id is in id= (any case); tolerate it only in title= */
        char ids[1][64];
        const char *cve = NULL;
        if (type && !strcasecmp(type, "cve")) {
            if (id && dd_feed_extract_ids(id, ids, 1) == 1 && !strncmp(ids[0], "CVE-", 4)) cve = ids[0];
            else if (title && dd_feed_extract_ids(title, ids, 1) == 1 && !strncmp(ids[0], "CVE-", 4)) cve = ids[0];
        }
        if (cve) {
            bool dup = false;
            size_t i;
            json_t *v;
            json_array_foreach(r->cves, i, v) dup |= !strcmp(json_string_value(v), cve);
            if (!dup) json_array_append_new(r->cves, json_string(cve));
        }
        if (href && *href && strlen(href) < 2048) json_array_append_new(r->urls, json_string(href));
    }
    xmlFree(type);
    xmlFree(id);
    xmlFree(href);
    xmlFree(title);
}

/* Stores one complete <update>. */
static int emit(dd_vulndb_t *db, const char *feed, const char *feed_rel, rec_t *r, dd_feed_stats_t *st, dd_err_t *e)
{
    if (!r->id || !*r->id || strlen(r->id) > 128) return dd_err(e, DD_EINVAL, "update without an id");
    if (r->bad[0]) return dd_err(e, DD_EINVAL, "%s: %s", r->id, r->bad);
    char rel[16];
    if (feed_rel) snprintf(rel, sizeof rel, "%s", feed_rel);
    else if (!release_of_id(r->id, rel, sizeof rel))
        return dd_err(e, DD_EINVAL, "%s: no release in the advisory id (name the feed alas/<release>)", r->id);
    char eco[64];
    snprintf(eco, sizeof eco, "Amazon Linux:%s", rel);
    dd_vuln_rec_t v = {0};
    v.id = r->id;
    v.summary = r->title;
    v.details = r->description;
    v.published = r->issued[0] ? r->issued : NULL;
    v.modified = r->updated[0] ? r->updated : NULL;
    v.severity = dd_severity_parse(r->severity);
    v.severity_raw = v.severity != DD_SEV_UNKNOWN ? r->severity : NULL;
    char *uj = feeds_jdump(r->cves), *rj = feeds_jdump(r->urls);
    v.upstream_json = uj;
    v.refs_json = rj;
    int rc = dd_vulndb_put_vuln(db, feed, &v, e);
    free(uj);
    free(rj);
    const char *name;
    json_t *evr;
    json_object_foreach(r->pkgs, name, evr) {
        if (rc) break;
        const char *fixed = json_string_value(evr);
        json_t *jr = json_pack("[{s:s,s:[{s:s},{s:s}]}]", "type", "ECOSYSTEM", "events", "introduced", "0",
                               "fixed", fixed);
        char *ranges = json_dumps(jr, JSON_COMPACT);
        json_decref(jr);
        dd_affected_rec_t a = {0};
        a.ecosystem = eco;
        a.package = name;
        a.ranges_json = ranges;
        a.fix_state = DD_FIX_FIXED;
        a.fixed = fixed;
        a.severity = v.severity;
        a.severity_raw = v.severity_raw;
        rc = dd_vulndb_put_affected(db, feed, r->id, &a, e);
        free(ranges);
        if (!rc) st->affected++;
    }
    return rc;
}

typedef struct xml_errs {
    char msg[200];
    int line;
} xml_errs_t;

static void on_xml_error(void *arg, const char *msg, xmlParserSeverities sev, xmlTextReaderLocatorPtr loc)
{
    xml_errs_t *x = arg;
    if (x->msg[0] || (sev != XML_PARSER_SEVERITY_ERROR && sev != XML_PARSER_SEVERITY_VALIDITY_ERROR)) return;
    snprintf(x->msg, sizeof x->msg, "%s", msg ? msg : "error");
    size_t l = strlen(x->msg);
    while (l && (x->msg[l - 1] == '\n' || x->msg[l - 1] == ' ')) x->msg[--l] = 0;
    x->line = loc ? xmlTextReaderLocatorLineNumber(loc) : 0;
}

/* Takes the text of the current element (and moves nothing). */
static void take_text(xmlTextReaderPtr rd, char **dst)
{
    free(*dst);
    char *s = (char *)xmlTextReaderReadString(rd);
    *dst = dd_strdup(s ? s : "");
    xmlFree(s);
    /* trim surrounding whitespace */
    char *p = *dst;
    size_t n = strlen(p);
    while (n && isspace((unsigned char)p[n - 1])) p[--n] = 0;
    size_t k = strspn(p, " \t\r\n");
    if (k) memmove(p, p + k, n - k + 1);
}

static int alas_import(dd_vulndb_t *db, const char *feed_opt, const uint8_t *data, size_t len, dd_feed_stats_t *st,
                       dd_err_t *e)
{
    snprintf(st->format, sizeof st->format, "alas");
    if (len > (size_t)INT_MAX || len > DD_FEED_MAX_DOC)
        return dd_err(e, DD_ELIMIT, "document of %zu bytes exceeds the limit", len);
    const char *feed_rel = NULL;
    if (feed_opt) snprintf(st->feed, sizeof st->feed, "%s", feed_opt);
    if (feed_opt && !strncmp(feed_opt, "alas/", 5) && feed_opt[5] && strlen(feed_opt + 5) < 8 &&
        strspn(feed_opt + 5, "0123456789") == strlen(feed_opt + 5))
        feed_rel = feed_opt + 5;
    xmlTextReaderPtr rd = xmlReaderForMemory((const char *)data, (int)len, NULL, NULL,
                                             XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!rd) return dd_err(e, DD_EINVAL, "cannot start the xml reader");
    xml_errs_t xe = {0};
    xmlTextReaderSetErrorHandler(rd, on_xml_error, &xe);
    rec_t r = {0};
    bool root = false, in_update = false;
    int updates = 0, res, rc = DD_OK;
    while ((res = xmlTextReaderRead(rd)) == 1) {
        int type = xmlTextReaderNodeType(rd), depth = xmlTextReaderDepth(rd);
        const char *nm = (const char *)xmlTextReaderConstLocalName(rd);
        if (!nm) continue;
        if (type == XML_READER_TYPE_ELEMENT && depth == 0) {
            if (strcmp(nm, "updates")) {
                rc = dd_err(e, DD_EINVAL, "not an updateinfo document (root element '%.40s')", nm);
                break;
            }
            root = true;
            continue;
        }
        bool end = type == XML_READER_TYPE_END_ELEMENT ||
                   (type == XML_READER_TYPE_ELEMENT && xmlTextReaderIsEmptyElement(rd));
        if (type == XML_READER_TYPE_ELEMENT && depth == 1 && !strcmp(nm, "update")) {
            rec_clear(&r);
            r.index = updates++;
            r.cves = json_array();
            r.urls = json_array();
            r.pkgs = json_object();
            char *t = attr(rd, "type");
            r.other_type = t && strcmp(t, "security");
            xmlFree(t);
            in_update = true;
        } else if (type == XML_READER_TYPE_ELEMENT && in_update) {
            if (depth == 2 && !strcmp(nm, "id")) take_text(rd, &r.id);
            else if (depth == 2 && !strcmp(nm, "title")) take_text(rd, &r.title);
            else if (depth == 2 && !strcmp(nm, "severity")) take_text(rd, &r.severity);
            else if (depth == 2 && !strcmp(nm, "description")) take_text(rd, &r.description);
            else if (depth == 2 && (!strcmp(nm, "issued") || !strcmp(nm, "updated"))) {
                char *d = attr(rd, "date");
                alas_date(d, nm[0] == 'i' ? r.issued : r.updated, sizeof r.issued);
                xmlFree(d);
            } else if (!strcmp(nm, "reference")) on_reference(rd, &r);
            else if (!strcmp(nm, "package")) on_package(rd, &r);
        }
        if (end && depth == 1 && in_update && !strcmp(nm, "update")) {
            in_update = false;
            if (r.other_type) {
                st->ignored++;
                continue;
            }
            dd_err_t re = {0};
            long before = st->affected;
            dd_vulndb_rec_begin(db);
            char rel[16];
            if (!st->feed[0] && r.id && release_of_id(r.id, rel, sizeof rel))
                snprintf(st->feed, sizeof st->feed, "alas/%s", rel); /* from the first advisory */
            int rrc = emit(db, st->feed[0] ? st->feed : "alas", feed_rel, &r, st, &re);
            dd_vulndb_rec_end(db, rrc == DD_OK);
            if (rrc) {
                st->affected = before;
                st->skipped++;
                dd_feed_stats_msg(st, "update[%d]: %s", r.index, re.msg);
            } else {
                st->records++;
            }
        }
    }
    if (!rc && res < 0) {
        if (in_update) st->skipped++;
        if (in_update || updates == 0)
            dd_feed_stats_msg(st, "update[%d] %.64s: cut off by malformed or truncated xml", in_update ? r.index : 0,
                              in_update && r.id ? r.id : "");
        else
            dd_feed_stats_msg(st, "after update[%d] %.64s: cut off by malformed or truncated xml", r.index,
                              r.id ? r.id : "");
        rc = dd_err(e, DD_ECORRUPT, "malformed or truncated xml at line %d: %s", xe.line,
                    xe.msg[0] ? xe.msg : "parse error");
    } else if (!rc && !root) {
        rc = dd_err(e, DD_EINVAL, "not an updateinfo document (no <updates> element)");
    }
    rec_clear(&r);
    xmlFreeTextReader(rd);
    return rc;
}

const dd_feed_t dd_feed_alas = {
    .version = DD_FEED_V1,
    .name = "alas",
    .desc = "Amazon Linux ALAS updateinfo.xml[.gz] of one release (feed alas/1, alas/2, alas/2023)",
    .detect = alas_detect,
    .import_mem = alas_import,
};
