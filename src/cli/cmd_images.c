/*
 * cmd_images.c: `drydock images`: lists the images of a running server with
 * their scan status and finding counts (GET /api/v1/images).
 *
 * One row per image: repository, tags, digest (12 hex digits, the full
 * "sha256:..." with --no-trunc), platform, OS, status, and the findings by
 * severity in six columns (CRITICAL HIGH MEDIUM LOW NEGLIGIBLE UNKNOWN).
 * An index is one row whose PLATFORM lists its platforms, followed by one
 * indented row per platform image (the index's `manifests`; a platform
 * image the list lacks is fetched by digest). Platform images are not
 * listed again on their own.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "dd/digest.h"

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

/* The severity columns, highest first. Fields: header, key in `counts`. */
static const struct {
    const char *head, *key;
} sev_cols[] = {
    {"CRITICAL", "critical"}, {"HIGH", "high"}, {"MEDIUM", "medium"},
    {"LOW", "low"},           {"NEGLIGIBLE", "negligible"}, {"UNKNOWN", "unknown"},
};
#define N_SEV (sizeof sev_cols / sizeof sev_cols[0])

/* The text columns of a row. */
enum { C_REPO, C_TAGS, C_DIGEST, C_PLATFORM, C_OS, C_STATUS, N_COLS };
static const char *const col_head[N_COLS] = {"REPOSITORY", "TAGS", "DIGEST", "PLATFORM", "OS", "STATUS"};
/* widest a column gets without --no-trunc */
static const size_t col_max[N_COLS] = {40, 30, 71, 40, 20, 11};

typedef struct {
    char *col[N_COLS];
    long long counts[N_SEV];
} row_t;

typedef struct {
    row_t *v;
    size_t n, cap;
} rows_t;

static void digest_cell(const char *dg, bool no_trunc, char out[DD_DIGEST_MAX])
{
    const char *colon = strchr(dg, ':');
    if (no_trunc || !colon) snprintf(out, DD_DIGEST_MAX, "%s", dg);
    else snprintf(out, DD_DIGEST_MAX, "%.12s", colon + 1);
}

static void tags_cell(json_t *im, dd_buf_t *b)
{
    size_t k;
    json_t *t;
    json_array_foreach(json_object_get(im, "tags"), k, t)
    {
        if (k) dd_buf_putc(b, ',');
        dd_buf_puts(b, json_is_string(t) ? json_string_value(t) : "");
    }
}

static void add_row(rows_t *rs, json_t *im, const char *repo, const char *platform, bool no_trunc)
{
    if (rs->n == rs->cap) {
        rs->cap = rs->cap ? rs->cap * 2 : 32;
        rs->v = realloc(rs->v, rs->cap * sizeof *rs->v);
        if (!rs->v) abort();
    }
    row_t *r = &rs->v[rs->n++];
    dd_buf_t tags;
    dd_buf_init(&tags, 0);
    tags_cell(im, &tags);
    char dg[DD_DIGEST_MAX];
    digest_cell(jstr(im, "digest"), no_trunc, dg);
    const char *os = jstr(im, "os");
    r->col[C_REPO] = dd_strdup(repo);
    r->col[C_TAGS] = dd_strdup(tags.len ? tags.ptr : repo[0] == ' ' ? "-" : "<none>");
    r->col[C_DIGEST] = dd_strdup(dg);
    r->col[C_PLATFORM] = dd_strdup(platform && *platform ? platform : "-");
    r->col[C_OS] = dd_strdup(*os ? os : "-");
    r->col[C_STATUS] = dd_strdup(jstr(im, "status"));
    json_t *cnt = json_object_get(im, "counts");
    for (size_t k = 0; k < N_SEV; k++) r->counts[k] = jint(cnt, sev_cols[k].key);
    dd_buf_release(&tags);
}

static void print_rows(const rows_t *rs, bool no_trunc)
{
    size_t w[N_COLS];
    for (int c = 0; c < N_COLS; c++) {
        w[c] = strlen(col_head[c]);
        for (size_t i = 0; i < rs->n; i++)
            if (strlen(rs->v[i].col[c]) > w[c]) w[c] = strlen(rs->v[i].col[c]);
        if (!no_trunc && w[c] > col_max[c]) w[c] = col_max[c];
    }
    for (int c = 0; c < N_COLS; c++) printf("%-*s  ", (int)w[c], col_head[c]);
    for (size_t k = 0; k < N_SEV; k++) printf("%s%s", sev_cols[k].head, k + 1 < N_SEV ? "  " : "\n");
    for (size_t i = 0; i < rs->n; i++) {
        for (int c = 0; c < N_COLS; c++) printf("%-*.*s  ", (int)w[c], (int)w[c], rs->v[i].col[c]);
        for (size_t k = 0; k < N_SEV; k++)
            printf("%*lld%s", (int)strlen(sev_cols[k].head), rs->v[i].counts[k], k + 1 < N_SEV ? "  " : "\n");
    }
}

/* The summary of one platform image: from the list when it is there, else
 * fetched (GET /api/v1/repositories/<repo>/images/<digest>). New reference. */
static json_t *child_summary(json_t *by_key, const char *server, const char *repo, const char *digest)
{
    char *key = dd_asprintf("%s@%s", repo, digest);
    json_t *c = json_object_get(by_key, key);
    free(key);
    if (c) return json_incref(c);
    dd_buf_t url, body;
    dd_buf_init(&url, 0);
    dd_buf_init(&body, 1u << 20);
    dd_buf_printf(&url, "%s/api/v1/repositories/", cli_server_url(server));
    cli_url_escape(&url, repo, true);
    dd_buf_puts(&url, "/images/");
    cli_url_escape(&url, digest, false);
    char err[512] = "";
    long st = cli_http("GET", url.ptr, NULL, &body, err, sizeof err);
    json_t *j = st == 200 ? json_loads(body.ptr, 0, NULL) : NULL;
    dd_buf_release(&url);
    dd_buf_release(&body);
    return j;
}

static int print_table(json_t *imgs, const char *server, bool no_trunc)
{
    /* "repo@digest" -> summary, and the platform images of each listed index */
    json_t *by_key = json_object(), *children = json_object();
    size_t i, k;
    json_t *im, *d;
    json_array_foreach(imgs, i, im)
    {
        char *key = dd_asprintf("%s@%s", jstr(im, "repository"), jstr(im, "digest"));
        json_object_set(by_key, key, im);
        free(key);
        json_array_foreach(json_object_get(im, "manifests"), k, d) if (json_is_string(d))
        {
            key = dd_asprintf("%s@%s", jstr(im, "repository"), json_string_value(d));
            json_object_set_new(children, key, json_true());
            free(key);
        }
    }
    rows_t rs = {0};
    json_array_foreach(imgs, i, im)
    {
        const char *repo = jstr(im, "repository");
        char *key = dd_asprintf("%s@%s", repo, jstr(im, "digest"));
        bool is_child = json_object_get(children, key) != NULL;
        free(key);
        if (is_child) continue; /* listed under its index */
        if (!json_is_true(json_object_get(im, "isIndex"))) {
            add_row(&rs, im, repo, jstr(im, "platform"), no_trunc);
            continue;
        }
        /* the index, then one row per platform image */
        json_t *kids = json_array();
        dd_buf_t plats;
        dd_buf_init(&plats, 0);
        json_array_foreach(json_object_get(im, "manifests"), k, d)
        {
            json_t *c = json_is_string(d) ? child_summary(by_key, server, repo, json_string_value(d)) : NULL;
            if (!c) continue;
            if (plats.len) dd_buf_putc(&plats, ',');
            dd_buf_puts(&plats, *jstr(c, "platform") ? jstr(c, "platform") : "?");
            json_array_append_new(kids, c);
        }
        add_row(&rs, im, repo, plats.len ? plats.ptr : "index", no_trunc);
        char *indented = dd_asprintf("  %s", repo);
        json_t *c;
        json_array_foreach(kids, k, c) add_row(&rs, c, indented, jstr(c, "platform"), no_trunc);
        free(indented);
        dd_buf_release(&plats);
        json_decref(kids);
    }
    print_rows(&rs, no_trunc);
    for (size_t r = 0; r < rs.n; r++)
        for (int c = 0; c < N_COLS; c++) free(rs.v[r].col[c]);
    free(rs.v);
    json_decref(by_key);
    json_decref(children);
    return 0;
}

int cmd_images(int argc, char **argv)
{
    static const struct option opts[] = {
        {"help", no_argument, 0, 'h'},       {"json", no_argument, 0, 'j'},
        {"no-trunc", no_argument, 0, 'n'},   {"repository", required_argument, 0, 'r'},
        {"server", required_argument, 0, 's'}, {0, 0, 0, 0},
    };
    const char *server = NULL, *repo = NULL;
    bool as_json = false, no_trunc = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "hjr:s:", opts, NULL)) != -1) {
        switch (c) {
        case 'h':
            printf("usage: drydock images [--repository NAME] [--no-trunc] [--json] [--server URL]\n\n"
                   "Lists the images of a running server (default $DRYDOCK_SERVER or http://127.0.0.1:5000)\n"
                   "with their scan status and findings by severity. An index is listed with its\n"
                   "platforms, then one indented row per platform image.\n\n"
                   "  --repository NAME   only this repository\n"
                   "  --no-trunc          full digests and columns\n"
                   "  --json              print the server's JSON\n");
            return 0;
        case 'j': as_json = true; break;
        case 'n': no_trunc = true; break;
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
        rc = json_is_array(imgs) ? print_table(imgs, server, no_trunc) : cli_error("unexpected answer from the server");
        json_decref(j);
    }
    dd_buf_release(&url);
    dd_buf_release(&body);
    return rc;
}
