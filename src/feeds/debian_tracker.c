/*
 * debian_tracker.c: the Debian security tracker JSON importer
 * (https://security-tracker.debian.org/tracker/data/json):
 *
 *   {"<source package>": {"<CVE or TEMP id>": {description, scope, debianbug,
 *     releases: {"<codename>": {status, repositories, fixed_version, urgency,
 *                               nodsa, nodsa_reason}}}}}
 *
 * One record = one (source package, id) pair; one affected row per release
 * whose codename maps to a Debian version. State mapping (docs/feeds.md):
 *   resolved, fixed_version "0"         -> not stored (never affected)
 *   resolved, fixed_version V           -> fixed, range introduced 0 / fixed V
 *   open|undetermined, urgency end-of-life -> end-of-life
 *   open|undetermined, nodsa_reason "ignored"   -> will-not-fix
 *   open|undetermined, nodsa_reason "postponed" -> deferred
 *   open|undetermined, nodsa (no reason)        -> deferred (minor issue, no
 *                                      DSA; may be fixed in a point release)
 *   open|undetermined otherwise         -> not-fixed
 * The urgency is the vendor severity: unimportant -> Negligible, low, medium,
 * high (a trailing "*" or "**" is dropped), "not yet assigned" -> Unknown.
 */
#include "feeds_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Debian codenames and their release numbers, sorted by codename. */
static const struct codename {
    const char *name;
    const char *version;
} codenames[] = {
    {"bookworm", "12"}, {"bullseye", "11"}, {"buster", "10"}, {"etch", "4"},
    {"forky", "14"},    {"jessie", "8"},    {"lenny", "5"},   {"sarge", "3.1"},
    {"sid", "sid"},     {"squeeze", "6"},   {"stretch", "9"}, {"trixie", "13"},
    {"wheezy", "7"},    {"woody", "3.0"},
};

static const char *release_version(const char *codename)
{
    size_t lo = 0, hi = sizeof codenames / sizeof codenames[0];
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(codename, codenames[mid].name);
        if (!c) return codenames[mid].version;
        if (c < 0) hi = mid;
        else lo = mid + 1;
    }
    return NULL;
}

/* {"<pkg>": {"CVE-...": ...: the first key's value holds an id-like key. */
static bool tracker_detect(const uint8_t *h, size_t n)
{
    size_t i = 0;
#define SKIPWS() while (i < n && isspace(h[i])) i++
    SKIPWS();
    if (i >= n || h[i++] != '{') return false;
    SKIPWS();
    if (i >= n || h[i++] != '"') return false;
    while (i < n && h[i] != '"') i += h[i] == '\\' ? 2 : 1;
    i++;
    SKIPWS();
    if (i >= n || h[i++] != ':') return false;
    SKIPWS();
    if (i >= n || h[i++] != '{') return false;
    SKIPWS();
    if (i >= n || h[i++] != '"') return false;
    return (n - i >= 4 && !memcmp(h + i, "CVE-", 4)) || (n - i >= 5 && !memcmp(h + i, "TEMP-", 5)) ||
           (n - i >= 4 && !memcmp(h + i, "DSA-", 4)) || (n - i >= 4 && !memcmp(h + i, "DLA-", 4));
#undef SKIPWS
}

static int one_record(dd_vulndb_t *db, const char *feed, const char *pkg, const char *id, json_t *rec,
                      dd_feed_stats_t *st, dd_err_t *e)
{
    if (!json_is_object(rec)) return dd_err(e, DD_EINVAL, "%s/%s: entry is not an object", pkg, id);
    json_t *rels = json_object_get(rec, "releases");
    if (json_is_array(rels) && json_array_size(rels) == 0) rels = NULL; /* real data: "releases": [] */
    if (rels && !json_is_object(rels))
        return dd_err(e, DD_EINVAL, "%s/%s: 'releases' is not an object", pkg, id);
    dd_vuln_rec_t v = {0};
    v.id = id;
    v.details = feeds_jstr(rec, "description");
    int rc = dd_vulndb_put_vuln(db, NULL, &v, e);
    if (rc) return rc;
    const char *codename;
    json_t *r;
    json_object_foreach(rels, codename, r) {
        if (!json_is_object(r))
            return dd_err(e, DD_EINVAL, "%s/%s: release '%s' is not an object", pkg, id, codename);
        const char *ver = release_version(codename);
        if (!ver) {
            st->ignored++;
            continue;
        }
        char eco[64];
        snprintf(eco, sizeof eco, "Debian:%s", ver);
        if ((rc = dd_vulndb_drop_affected(db, feed, id, eco, pkg, e))) return rc;
        const char *status = feeds_jstr(r, "status");
        const char *fixed = feeds_jstr(r, "fixed_version");
        const char *urgency = feeds_jstr(r, "urgency");
        const char *nodsa_reason = feeds_jstr(r, "nodsa_reason");
        bool nodsa = json_object_get(r, "nodsa") != NULL;
        if (!status) return dd_err(e, DD_EINVAL, "%s/%s/%s: release without status", pkg, id, codename);
        dd_affected_rec_t a = {0};
        a.ecosystem = eco;
        a.package = pkg;
        a.severity = dd_severity_parse(urgency);
        a.severity_raw = urgency;
        char *ranges = NULL;
        if (!strcmp(status, "resolved")) {
            if (!fixed || !strcmp(fixed, "0")) {
                st->ignored++;
                continue;
            }
            json_t *j = json_pack("[{s:s,s:[{s:s},{s:s}]}]", "type", "ECOSYSTEM", "events", "introduced", "0",
                                  "fixed", fixed);
            ranges = json_dumps(j, JSON_COMPACT);
            json_decref(j);
            a.fix_state = DD_FIX_FIXED;
            a.fixed = fixed;
        } else if (!strcmp(status, "open") || !strcmp(status, "undetermined")) {
            ranges = dd_strdup("[{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":\"0\"}]}]");
            if (urgency && !strcmp(urgency, "end-of-life")) a.fix_state = DD_FIX_EOL;
            else if (nodsa_reason && !strcmp(nodsa_reason, "ignored")) a.fix_state = DD_FIX_WONT_FIX;
            else if (nodsa_reason && !strcmp(nodsa_reason, "postponed")) a.fix_state = DD_FIX_DEFERRED;
            else if (nodsa) a.fix_state = DD_FIX_DEFERRED;
            else a.fix_state = DD_FIX_NOT_FIXED;
        } else {
            return dd_err(e, DD_EINVAL, "%s/%s/%s: unknown status '%s'", pkg, id, codename, status);
        }
        a.ranges_json = ranges;
        rc = dd_vulndb_put_affected(db, feed, id, &a, e);
        free(ranges);
        if (rc) return rc;
        st->affected++;
    }
    return DD_OK;
}

static int tracker_import(dd_vulndb_t *db, const char *feed_opt, const uint8_t *data, size_t len,
                          dd_feed_stats_t *st, dd_err_t *e)
{
    snprintf(st->format, sizeof st->format, "debian-tracker");
    const char *feed = feed_opt ? feed_opt : "debian-tracker";
    snprintf(st->feed, sizeof st->feed, "%s", feed);
    json_t *j = feeds_json_parse(data, len, e);
    if (!j) return e ? e->code : DD_EINVAL;
    if (!json_is_object(j)) {
        json_decref(j);
        return dd_err(e, DD_EINVAL, "debian tracker document is not an object");
    }
    const char *pkg;
    json_t *ids;
    json_object_foreach(j, pkg, ids) {
        if (!json_is_object(ids)) {
            st->skipped++;
            dd_feed_stats_msg(st, "%s: package entry is not an object", pkg);
            continue;
        }
        const char *id;
        json_t *rec;
        json_object_foreach(ids, id, rec) {
            dd_err_t re = {0};
            long aff_before = st->affected;
            dd_vulndb_rec_begin(db);
            int rc = one_record(db, feed, pkg, id, rec, st, &re);
            dd_vulndb_rec_end(db, rc == DD_OK);
            if (rc) {
                st->affected = aff_before;
                st->skipped++;
                dd_feed_stats_msg(st, "%s", re.msg);
            } else {
                st->records++;
            }
        }
    }
    json_decref(j);
    return DD_OK;
}

const dd_feed_t dd_feed_debian_tracker = {
    .version = DD_FEED_V1,
    .name = "debian-tracker",
    .desc = "Debian security tracker JSON (tracker/data/json)",
    .detect = tracker_detect,
    .import_mem = tracker_import,
};
