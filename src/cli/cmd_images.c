/*
 * cmd_images.c: `drydock images`: lists the images of a running server with
 * their scan status and finding counts (GET /api/v1/images).
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* Prints the error body of a failed API call. Shared with cmd_findings. */
int cli_api_error(long status, const dd_buf_t *body, const char *err)
{
    if (status == 0) return cli_error("%s", err);
    json_t *j = json_loads(body->ptr ? body->ptr : "", 0, NULL);
    json_t *m = j ? json_object_get(json_object_get(j, "error"), "message") : NULL;
    if (!m && j) m = json_object_get(json_array_get(json_object_get(j, "errors"), 0), "message");
    int rc = cli_error("server answered %ld: %s", status, json_is_string(m) ? json_string_value(m) : "(no message)");
    json_decref(j);
    return rc;
}

static const char *jstr(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : "";
}

static long long jint(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_integer(v) ? (long long)json_integer_value(v) : 0;
}

int cmd_images(int argc, char **argv)
{
    static const struct option opts[] = {
        {"help", no_argument, 0, 'h'},       {"json", no_argument, 0, 'j'},
        {"repository", required_argument, 0, 'r'}, {"server", required_argument, 0, 's'},
        {0, 0, 0, 0},
    };
    const char *server = NULL, *repo = NULL;
    bool as_json = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "hjr:s:", opts, NULL)) != -1) {
        switch (c) {
        case 'h':
            printf("usage: drydock images [--repository NAME] [--json] [--server URL]\n\n"
                   "Lists the images of a running server (default $DRYDOCK_SERVER or http://127.0.0.1:5000)\n"
                   "with their scan status and finding counts.\n");
            return 0;
        case 'j': as_json = true; break;
        case 'r': repo = optarg; break;
        case 's': server = optarg; break;
        default: return cli_usage_error("images", "unknown option");
        }
    }
    if (optind != argc) return cli_usage_error("images", "unexpected argument '%s'", argv[optind]);
    dd_buf_t url, body;
    dd_buf_init(&url, 0);
    dd_buf_init(&body, 64u << 20);
    dd_buf_printf(&url, "%s/api/v1/images", cli_server_url(server));
    if (repo) {
        dd_buf_puts(&url, "?repository=");
        cli_url_escape(&url, repo, false);
    }
    char err[512] = "";
    long st = cli_http("GET", url.ptr, NULL, &body, err, sizeof err);
    int rc = 0;
    if (st != 200) {
        rc = cli_api_error(st, &body, err);
    } else if (as_json) {
        fwrite(body.ptr, 1, body.len, stdout);
        fputc('\n', stdout);
    } else {
        json_t *j = json_loads(body.ptr, 0, NULL);
        json_t *imgs = json_object_get(j, "images");
        if (!json_is_array(imgs)) {
            rc = cli_error("unexpected answer from the server");
        } else {
            printf("%-30s %-20s %-19s %-16s %-11s %5s %5s %5s %5s %5s\n", "REPOSITORY", "TAGS", "DIGEST", "OS",
                   "STATUS", "CRIT", "HIGH", "MED", "LOW", "OTHER");
            size_t i;
            json_t *im;
            json_array_foreach(imgs, i, im)
            {
                char tags[256] = "";
                size_t k;
                json_t *t;
                json_array_foreach(json_object_get(im, "tags"), k, t)
                {
                    size_t l = strlen(tags);
                    snprintf(tags + l, sizeof tags - l, "%s%s", l ? "," : "", json_string_value(t));
                }
                json_t *cnt = json_object_get(im, "counts");
                const char *dg = jstr(im, "digest");
                const char *colon = strchr(dg, ':');
                printf("%-30.30s %-20.20s %-19.19s %-16.16s %-11s %5lld %5lld %5lld %5lld %5lld\n", jstr(im, "repository"),
                       tags[0] ? tags : "<none>", colon ? colon + 1 : dg, jstr(im, "os")[0] ? jstr(im, "os") : "-",
                       jstr(im, "status"), jint(cnt, "critical"), jint(cnt, "high"), jint(cnt, "medium"),
                       jint(cnt, "low"), jint(cnt, "negligible") + jint(cnt, "unknown"));
            }
        }
        json_decref(j);
    }
    dd_buf_release(&url);
    dd_buf_release(&body);
    return rc;
}
