/*
 * cmd_findings.c: `drydock findings REPO[:TAG|@DIGEST]`: the findings of an
 * image from a running server (GET /api/v1/repositories/<name>/images/<ref>
 * /findings, following pagination), as a table or JSON.
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

int cmd_findings(int argc, char **argv)
{
    static const struct option opts[] = {
        {"fix-state", required_argument, 0, 'f'}, {"help", no_argument, 0, 'h'},
        {"id", required_argument, 0, 'i'},        {"json", no_argument, 0, 'j'},
        {"min-severity", required_argument, 0, 'm'}, {"package", required_argument, 0, 'p'},
        {"server", required_argument, 0, 's'},    {"severity", required_argument, 0, 'S'},
        {0, 0, 0, 0},
    };
    const char *server = NULL;
    const char *filters[5][2] = {{"severity", NULL}, {"min_severity", NULL}, {"fix_state", NULL},
                                 {"package", NULL}, {"id", NULL}};
    bool as_json = false;
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
                   "  --json               print the server's JSON\n"
                   "  --server URL         default $DRYDOCK_SERVER or http://127.0.0.1:5000\n");
            return 0;
        case 'S': filters[0][1] = optarg; break;
        case 'm': filters[1][1] = optarg; break;
        case 'f': filters[2][1] = optarg; break;
        case 'p': filters[3][1] = optarg; break;
        case 'i': filters[4][1] = optarg; break;
        case 'j': as_json = true; break;
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
            printf("Image:  %s@%s\nStatus: %s\nFindings: %zu\n\n", repo, jstr(first, "digest"), jstr(first, "status"),
                   json_array_size(all));
            if (json_array_size(all)) {
                printf("%-28s %-26s %-26s %-18s %-10s %s\n", "PACKAGE", "INSTALLED", "FIXED", "VULNERABILITY",
                       "SEVERITY", "STATE");
                size_t i;
                json_t *f;
                json_array_foreach(all, i, f)
                {
                    printf("%-28.28s %-26.26s %-26.26s %-18s %-10s %s\n", jstr(f, "package"), jstr(f, "installedVersion"),
                           jstr(f, "fixedVersion"), jstr(f, "id"), jstr(f, "severity"), jstr(f, "fixState"));
                }
            }
        }
    }
    json_decref(first);
    json_decref(all);
    free(next);
    dd_buf_release(&path);
    free(ref);
    return rc;
}
