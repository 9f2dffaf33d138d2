/*
 * cmd_findings.c: `drydock findings REPO[:TAG|@DIGEST]`: the findings of an
 * image from a running server (GET /api/v1/repositories/<name>/images/<ref>
 * /findings, following pagination), as a table or JSON.
 *
 * For an index the API returns the findings of every platform image, each
 * with its `platform` and `imageDigest`: the table then has a PLATFORM
 * column, one row per finding and platform. A row the pages repeat (same
 * image, vulnerability, package and version) is printed once. Columns are
 * as wide as their longest value up to a cap; --no-trunc lifts the cap.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_api_error(long status, const dd_buf_t *body, const char *err);

static const char *jstr(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : "-";
}

/* The table columns. Fields: header, key in a finding, cap without --no-trunc. */
static const struct {
    const char *head, *key;
    size_t cap;
} cols[] = {
    {"PLATFORM", "platform", 24},       {"PACKAGE", "package", 28},   {"INSTALLED", "installedVersion", 26},
    {"FIXED", "fixedVersion", 26},      {"VULNERABILITY", "id", 24},  {"SEVERITY", "severity", 10},
    {"STATE", "fixState", 12},
};
#define N_COLS (sizeof cols / sizeof cols[0])

/* The findings in all, each once (an index's pages may repeat a row). */
static json_t *unique_rows(json_t *all)
{
    json_t *seen = json_object(), *out = json_array();
    size_t i;
    json_t *f;
    json_array_foreach(all, i, f)
    {
        char *key = dd_asprintf("%s|%s|%s|%s|%s", jstr(f, "imageDigest"), jstr(f, "platform"), jstr(f, "id"),
                                jstr(f, "package"), jstr(f, "installedVersion"));
        if (!json_object_get(seen, key)) {
            json_object_set_new(seen, key, json_true());
            json_array_append(out, f);
        }
        free(key);
    }
    json_decref(seen);
    return out;
}

static void print_table(const char *repo, json_t *first, json_t *all, bool no_trunc)
{
    json_t *rows = unique_rows(all);
    bool by_platform = false;
    size_t i;
    json_t *f;
    json_array_foreach(rows, i, f) if (json_is_string(json_object_get(f, "platform"))) by_platform = true;
    /* counts by severity, and the platforms in order of appearance */
    static const char *const sevs[] = {"Critical", "High", "Medium", "Low", "Negligible", "Unknown"};
    size_t counts[6] = {0};
    dd_buf_t plats;
    dd_buf_init(&plats, 0);
    json_t *seen_plat = json_object();
    json_array_foreach(rows, i, f)
    {
        for (size_t k = 0; k < 6; k++)
            if (!strcmp(jstr(f, "severity"), sevs[k])) counts[k]++;
        const char *p = jstr(f, "platform");
        if (by_platform && !json_object_get(seen_plat, p)) {
            json_object_set_new(seen_plat, p, json_true());
            dd_buf_printf(&plats, "%s%s", plats.len ? ", " : "", p);
        }
    }
    json_decref(seen_plat);
    printf("Image:    %s@%s\nStatus:   %s\n", repo, jstr(first, "digest"), jstr(first, "status"));
    if (by_platform) printf("Platforms: %s\n", plats.ptr);
    printf("Findings: %zu (critical %zu, high %zu, medium %zu, low %zu, negligible %zu, unknown %zu)\n\n",
           json_array_size(rows), counts[0], counts[1], counts[2], counts[3], counts[4], counts[5]);
    dd_buf_release(&plats);
    if (json_array_size(rows)) {
        size_t w[N_COLS];
        for (size_t c = 0; c < N_COLS; c++) {
            w[c] = strlen(cols[c].head);
            json_array_foreach(rows, i, f) if (strlen(jstr(f, cols[c].key)) > w[c]) w[c] = strlen(jstr(f, cols[c].key));
            if (!no_trunc && w[c] > cols[c].cap) w[c] = cols[c].cap;
        }
        for (size_t c = by_platform ? 0 : 1; c < N_COLS; c++)
            if (c + 1 < N_COLS) printf("%-*s  ", (int)w[c], cols[c].head);
            else printf("%s\n", cols[c].head);
        json_array_foreach(rows, i, f)
        {
            for (size_t c = by_platform ? 0 : 1; c < N_COLS; c++) {
                if (c + 1 < N_COLS) printf("%-*.*s  ", (int)w[c], (int)w[c], jstr(f, cols[c].key));
                else printf("%s\n", jstr(f, cols[c].key));
            }
        }
    }
    json_decref(rows);
}

int cmd_findings(int argc, char **argv)
{
    static const struct option opts[] = {
        {"fix-state", required_argument, 0, 'f'}, {"help", no_argument, 0, 'h'},
        {"id", required_argument, 0, 'i'},        {"json", no_argument, 0, 'j'},
        {"min-severity", required_argument, 0, 'm'}, {"no-trunc", no_argument, 0, 'n'},
        {"package", required_argument, 0, 'p'},
        {"server", required_argument, 0, 's'},    {"severity", required_argument, 0, 'S'},
        {0, 0, 0, 0},
    };
    const char *server = NULL;
    const char *filters[5][2] = {{"severity", NULL}, {"min_severity", NULL}, {"fix_state", NULL},
                                 {"package", NULL}, {"id", NULL}};
    bool as_json = false, no_trunc = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "hjs:", opts, NULL)) != -1) {
        switch (c) {
        case 'h':
            printf("usage: drydock findings [options] REPO[:TAG|@DIGEST]\n\n"
                   "  --severity SEV       only this severity\n"
                   "  --min-severity SEV   this severity or higher\n"
                   "  --fix-state STATE    fixed, not-fixed, will-not-fix, deferred, end-of-life\n"
                   "  --package NAME       only this package\n"
                   "  --id ID              only this vulnerability\n"
                   "  --no-trunc           do not shorten long columns\n"
                   "  --json               print the server's JSON\n"
                   "  --server URL         default $DRYDOCK_SERVER or http://127.0.0.1:5000\n");
            return 0;
        case 'S': filters[0][1] = optarg; break;
        case 'm': filters[1][1] = optarg; break;
        case 'f': filters[2][1] = optarg; break;
        case 'p': filters[3][1] = optarg; break;
        case 'i': filters[4][1] = optarg; break;
        case 'j': as_json = true; break;
        case 'n': no_trunc = true; break;
        case 's': server = optarg; break;
        default: return cli_usage_error("findings", "unknown option");
        }
    }
    if (optind != argc - 1) return cli_usage_error("findings", "expected one REPO[:TAG|@DIGEST] argument");
    char *ref = dd_strdup(argv[optind]);
    char *repo = ref, *reference = NULL;
    char *at = strchr(ref, '@');
    if (at) {
        *at = '\0';
        reference = at + 1;
    } else {
        char *colon = strrchr(ref, ':');
        if (colon && !strchr(colon, '/')) {
            *colon = '\0';
            reference = colon + 1;
        } else {
            reference = "latest";
        }
    }
    if (!*repo || !*reference) {
        free(ref);
        return cli_usage_error("findings", "invalid image reference '%s'", argv[optind]);
    }
    dd_buf_t path;
    dd_buf_init(&path, 0);
    dd_buf_printf(&path, "/api/v1/repositories/");
    cli_url_escape(&path, repo, true);
    dd_buf_puts(&path, "/images/");
    cli_url_escape(&path, reference, false);
    dd_buf_puts(&path, "/findings?limit=1000");
    for (int i = 0; i < 5; i++)
        if (filters[i][1]) {
            dd_buf_printf(&path, "&%s=", filters[i][0]);
            cli_url_escape(&path, filters[i][1], false);
        }
    json_t *all = json_array();
    json_t *first = NULL;
    int rc = 0;
    char *next = dd_strdup(path.ptr);
    while (next) {
        dd_buf_t url, body;
        dd_buf_init(&url, 0);
        dd_buf_init(&body, 256u << 20);
        dd_buf_printf(&url, "%s%s", cli_server_url(server), next);
        free(next);
        next = NULL;
        char err[512] = "";
        long st = cli_http("GET", url.ptr, NULL, &body, err, sizeof err);
        if (st != 200) {
            rc = cli_api_error(st, &body, err);
        } else {
            json_t *j = json_loads(body.ptr, 0, NULL);
            if (!j) {
                rc = cli_error("unexpected answer from the server");
            } else {
                json_array_extend(all, json_object_get(j, "findings"));
                json_t *n = json_object_get(j, "next");
                if (json_is_string(n)) next = dd_strdup(json_string_value(n));
                if (!first) first = j;
                else json_decref(j);
            }
        }
        dd_buf_release(&url);
        dd_buf_release(&body);
        if (rc) break;
    }
    if (!rc) {
        if (as_json) {
            json_object_set(first, "findings", all);
            json_object_set_new(first, "next", json_null());
            json_object_set_new(first, "offset", json_integer(0));
            json_object_del(first, "limit");
            char *s = json_dumps(first, JSON_INDENT(2));
            puts(s);
            free(s);
        } else {
            print_table(repo, first, all, no_trunc);
        }
    }
    json_decref(first);
    json_decref(all);
    free(next);
    dd_buf_release(&path);
    free(ref);
    return rc;
}
