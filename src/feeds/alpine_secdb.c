/*
 * alpine_secdb.c: the Alpine secdb importer (https://secdb.alpinelinux.org/
 * v3.N/{main,community}.json):
 *
 *   {"distroversion": "v3.10", "reponame": "main", ...,
 *    "packages": [{"pkg": {"name": "<origin>", "secfixes":
 *                          {"<fixed version>": ["CVE-...", ...]}}}]}
 *
 * One record = one package. Each id of each secfixes entry becomes an
 * affected row (ecosystem "Alpine:v3.10", package = the aports origin name,
 * range introduced 0 / fixed <version>, fix state fixed). The version key "0"
 * means the branch was never affected: not stored. Advisory strings are not
 * always bare ids ("CVE-2016-6258 XSA-182", "CVE_2019-2426"): ids are
 * extracted with dd_feed_extract_ids(); a string with no id is reported. A
 * null list is an empty list.
 */
#include "feeds_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool secdb_detect(const uint8_t *head, size_t n)
{
    return feeds_has(head, n, "\"distroversion\"") && feeds_has(head, n, "\"packages\"");
}

static int one_package(dd_vulndb_t *db, const char *feed, const char *eco, json_t *p, dd_feed_stats_t *st,
                       dd_err_t *e)
{
    json_t *pkg = json_object_get(p, "pkg");
    const char *name = feeds_jstr(pkg, "name");
    if (!name || !*name) return dd_err(e, DD_EINVAL, "package entry without pkg.name");
    json_t *fixes = json_object_get(pkg, "secfixes");
    if (fixes && !json_is_object(fixes) && !json_is_null(fixes))
        return dd_err(e, DD_EINVAL, "%s: secfixes is not an object", name);
    int rc = dd_vulndb_drop_affected(db, feed, NULL, eco, name, e);
    if (rc) return rc;
    const char *ver;
    json_t *list;
    json_object_foreach(fixes, ver, list) {
        if (json_is_null(list)) continue;
        if (!json_is_array(list)) return dd_err(e, DD_EINVAL, "%s %s: id list is not an array", name, ver);
        bool never = !strcmp(ver, "0");
        json_t *jr = json_pack("[{s:s,s:[{s:s},{s:s}]}]", "type", "ECOSYSTEM", "events", "introduced", "0",
                               "fixed", ver);
        char *ranges = json_dumps(jr, JSON_COMPACT);
        json_decref(jr);
        size_t i;
        json_t *s;
        json_array_foreach(list, i, s) {
            const char *str = json_string_value(s);
            if (!str) continue;
            char ids[8][64];
            int n = dd_feed_extract_ids(str, ids, 8);
            if (n == 0) {
                dd_feed_stats_msg(st, "%s %s: no advisory id in '%.60s'", name, ver, str);
                continue;
            }
            for (int k = 0; k < n; k++) {
                if (never) {
                    st->ignored++;
                    continue;
                }
                dd_vuln_rec_t v = {0};
                v.id = ids[k];
                if ((rc = dd_vulndb_put_vuln(db, NULL, &v, e))) break;
                dd_affected_rec_t a = {0};
                a.ecosystem = eco;
                a.package = name;
                a.ranges_json = ranges;
                a.fix_state = DD_FIX_FIXED;
                a.fixed = ver;
                if ((rc = dd_vulndb_put_affected(db, feed, ids[k], &a, e))) break;
                st->affected++;
            }
            if (rc) break;
        }
        free(ranges);
        if (rc) return rc;
    }
    return DD_OK;
}

static int secdb_import(dd_vulndb_t *db, const char *feed_opt, const uint8_t *data, size_t len,
                        dd_feed_stats_t *st, dd_err_t *e)
{
    snprintf(st->format, sizeof st->format, "alpine-secdb");
    json_t *j = feeds_json_parse(data, len, e);
    if (!j) return e ? e->code : DD_EINVAL;
    const char *dv = feeds_jstr(j, "distroversion");
    const char *repo = feeds_jstr(j, "reponame");
    json_t *pkgs = json_object_get(j, "packages");
    if (!dv || !*dv || (pkgs && !json_is_array(pkgs) && !json_is_null(pkgs))) {
        json_decref(j);
        return dd_err(e, DD_EINVAL, "secdb document without distroversion or packages array");
    }
    char eco[128], raw[96];
    snprintf(raw, sizeof raw, "Alpine:%s", dv);
    dd_ecosystem_normalize(raw, eco, sizeof eco);
    if (feed_opt) snprintf(st->feed, sizeof st->feed, "%s", feed_opt);
    else snprintf(st->feed, sizeof st->feed, "alpine/%.24s/%.24s", eco + 7, repo ? repo : "main");
    size_t i;
    json_t *p;
    json_array_foreach(pkgs, i, p) {
        dd_err_t re = {0};
        long before = st->affected, ign = st->ignored;
        dd_vulndb_rec_begin(db);
        int rc = one_package(db, st->feed, eco, p, st, &re);
        dd_vulndb_rec_end(db, rc == DD_OK);
        if (rc) {
            st->affected = before;
            st->ignored = ign;
            st->skipped++;
            dd_feed_stats_msg(st, "packages[%zu]: %s", i, re.msg);
        } else {
            st->records++;
        }
    }
    json_decref(j);
    return DD_OK;
}

const dd_feed_t dd_feed_alpine_secdb = {
    .version = DD_FEED_V1,
    .name = "alpine-secdb",
    .desc = "Alpine secdb JSON (secdb.alpinelinux.org/v3.N/main.json)",
    .detect = secdb_detect,
    .import_mem = secdb_import,
};
