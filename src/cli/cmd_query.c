/*
 * cmd_query.c: `drydock query 'KQL'` runs a Kusto-like query and prints the
 * result as an aligned table or as Resource-Graph-shaped JSON.
 *
 *   --data FILE     run locally over tables from a JSON file
 *                   {"securityresources": [...], "resources": [...]}
 *   --server URL    POST {"query": ..., "options": {"$top", "$skip"}} to
 *                   URL/api/v1/query (token from $DRYDOCK_TOKEN)
 *   --json          print JSON instead of a table
 *   --top N, --skip N, --max-rows N, --timeout MS
 */
#include "cli.h"

#include "dd/query.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out,
            "usage: drydock query 'KQL' (--data FILE | --server URL) [--json] [--top N] [--skip N]\n"
            "                     [--max-rows N] [--timeout MS]\n"
            "       (a query of '-' is read from standard input)\n"
            "\n"
            "  --data FILE     run over tables from a JSON file {\"table\": [rows...], ...}\n"
            "  --server URL    send the query to a running server (POST URL/api/v1/query);\n"
            "                  the token, if any, is read from $DRYDOCK_TOKEN\n"
            "  --json          print Resource-Graph-shaped JSON instead of a table\n"
            "  --top N         rows to print (default: all kept rows)\n"
            "  --skip N        rows to skip first\n"
            "  --max-rows N    result-row cap (default 10000)\n"
            "  --timeout MS    wall-clock budget for the query\n"
            "\nexample: drydock query 'securityresources | summarize count() by tostring(properties.status.severity)' --data data.json\n");
}

/* ---- table output --------------------------------------------------------------- */
typedef struct table {
    size_t ncols, nrows;
    char **head;     /* ncols */
    char **cells;    /* nrows * ncols */
} table_t;

static size_t disp_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80) w++;
    return w;
}

static void print_table(const table_t *t)
{
    size_t *w = dd_calloc(t->ncols + 1, sizeof *w);
    for (size_t c = 0; c < t->ncols; c++) {
        w[c] = disp_width(t->head[c]);
        for (size_t r = 0; r < t->nrows; r++) {
            size_t x = disp_width(t->cells[r * t->ncols + c]);
            if (x > w[c]) w[c] = x;
        }
        if (w[c] > 60) w[c] = 60;
    }
    for (int pass = 0; pass < 2; pass++) {
        for (size_t c = 0; c < t->ncols; c++) {
            const char *s = t->head[c];
            if (pass == 0) printf("%s%s%*s", c ? "  " : "", s, (int)(w[c] > disp_width(s) ? w[c] - disp_width(s) : 0), "");
            else {
                printf("%s", c ? "  " : "");
                for (size_t k = 0; k < w[c]; k++) putchar('-');
            }
        }
        putchar('\n');
    }
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t c = 0; c < t->ncols; c++) {
            const char *s = t->cells[r * t->ncols + c];
            size_t dw = disp_width(s);
            if (dw > w[c]) {
                /* cut long cells (on a character boundary) */
                size_t k = 0, chars = 0;
                while (s[k] && chars < w[c] - 3) {
                    k++;
                    while (((unsigned char)s[k] & 0xC0) == 0x80) k++;
                    chars++;
                }
                printf("%s%.*s...", c ? "  " : "", (int)k, s);
            } else {
                printf("%s%s%*s", c ? "  " : "", s, c + 1 < t->ncols ? (int)(w[c] - dw) : 0, "");
            }
        }
        putchar('\n');
    }
    free(w);
}

static void table_free(table_t *t)
{
    for (size_t i = 0; i < t->nrows * t->ncols; i++) free(t->cells[i]);
    free(t->cells);
    free(t->head);
}

static char *one_line(char *s)
{
    for (char *p = s; *p; p++)
        if (*p == '\n' || *p == '\r' || *p == '\t') *p = ' ';
    return s;
}

/* ---- local run ---------------------------------------------------------------------- */
static int run_local(const char *query, const char *data, bool json, size_t top, size_t skip,
                     const dd_query_limits_t *lim)
{
    dd_qcatalog_t cat;
    dd_qjson_tables_t *tables = NULL;
    dd_err_t e = {0};
    dd_qcatalog_init(&cat);
    if (dd_qjson_tables_load(data, &cat, &tables, &e)) {
        dd_qcatalog_release(&cat);
        return cli_error("%s", e.msg);
    }
    dd_qresult_t r;
    int rc = dd_query_run(query, &cat, lim, &r, &e);
    int status = 0;
    if (rc) {
        status = cli_error("%s", e.msg);
    } else if (json) {
        dd_buf_t b;
        dd_buf_init(&b, 0);
        dd_qresult_to_json(&r, skip, top, &b);
        printf("%s\n", b.ptr);
        dd_buf_release(&b);
    } else {
        size_t from = skip < r.nrows ? skip : r.nrows;
        size_t to = top && top < r.nrows - from ? from + top : r.nrows;
        table_t t = {r.ncolumns, to - from, dd_calloc(r.ncolumns + 1, sizeof(char *)), NULL};
        t.cells = dd_calloc(t.nrows * t.ncols + 1, sizeof(char *));
        for (size_t c = 0; c < t.ncols; c++) t.head[c] = (char *)r.columns[c].name;
        dd_buf_t b;
        dd_buf_init(&b, 0);
        for (size_t i = from; i < to; i++)
            for (size_t c = 0; c < t.ncols; c++) {
                dd_buf_reset(&b);
                dd_qval_to_text(&r.cells[i * r.ncolumns + c], &b);
                t.cells[(i - from) * t.ncols + c] = one_line(dd_strdup(b.ptr ? b.ptr : ""));
            }
        dd_buf_release(&b);
        print_table(&t);
        printf("(%zu of %llu rows%s)\n", t.nrows, (unsigned long long)r.total_rows, r.truncated ? ", truncated by the row cap" : "");
        table_free(&t);
    }
    dd_qresult_release(&r);
    dd_qjson_tables_free(tables);
    dd_qcatalog_release(&cat);
    return status;
}

/* ---- server run ------------------------------------------------------------------------- */
static size_t on_body(char *p, size_t sz, size_t n, void *arg)
{
    dd_buf_t *b = arg;
    return dd_buf_append(b, p, sz * n) == DD_OK ? sz * n : 0;
}

static int run_server(const char *query, const char *server, bool json, size_t top, size_t skip)
{
    json_t *req = json_pack("{s:s}", "query", query);
    json_t *opts = json_object();
    if (top) json_object_set_new(opts, "$top", json_integer((json_int_t)top));
    if (skip) json_object_set_new(opts, "$skip", json_integer((json_int_t)skip));
    json_object_set_new(req, "options", opts);
    char *body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    size_t sl = strlen(server);
    while (sl && server[sl - 1] == '/') sl--;
    char *url = dd_asprintf("%.*s/api/v1/query", (int)sl, server);
    CURL *c = curl_easy_init();
    dd_buf_t resp;
    dd_buf_init(&resp, 256u << 20);
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    const char *tok = getenv("DRYDOCK_TOKEN");
    char *auth = NULL;
    if (tok && *tok) {
        auth = dd_asprintf("Authorization: Bearer %s", tok);
        h = curl_slist_append(h, auth);
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
    CURLcode cc = curl_easy_perform(c);
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    free(auth);
    free(body);
    int status = 0;
    if (cc != CURLE_OK) {
        status = cli_error("cannot reach %s: %s", url, curl_easy_strerror(cc));
    } else if (json && code == 200) {
        printf("%s\n", resp.ptr ? resp.ptr : "");
    } else {
        json_t *j = json_loadb(resp.ptr ? resp.ptr : "", resp.len, 0, NULL);
        if (code != 200) {
            json_t *err = j ? json_object_get(j, "error") : NULL;
            const char *m = json_is_string(err) ? json_string_value(err)
                          : json_is_object(err) && json_is_string(json_object_get(err, "message")) ? json_string_value(json_object_get(err, "message"))
                          : resp.ptr ? resp.ptr : "";
            status = cli_error("server answered %ld: %s", code, m);
        } else {
            json_t *data = j ? json_object_get(j, "data") : NULL;
            if (!json_is_array(data)) status = cli_error("unexpected answer from %s", url);
            else {
                json_t *first = json_array_get(data, 0);
                table_t t = {first ? json_object_size(first) : 0, json_array_size(data), NULL, NULL};
                t.head = dd_calloc(t.ncols + 1, sizeof(char *));
                t.cells = dd_calloc(t.ncols * t.nrows + 1, sizeof(char *));
                const char *k;
                json_t *v;
                size_t c = 0;
                if (first) json_object_foreach(first, k, v) t.head[c++] = (char *)k;
                for (size_t r = 0; r < t.nrows; r++)
                    for (c = 0; c < t.ncols; c++) {
                        json_t *x = json_object_get(json_array_get(data, r), t.head[c]);
                        char *s = json_is_string(x) ? dd_strdup(json_string_value(x))
                                : !x || json_is_null(x) ? dd_strdup("")
                                : json_dumps(x, JSON_COMPACT | JSON_ENCODE_ANY);
                        t.cells[r * t.ncols + c] = one_line(s ? s : dd_strdup(""));
                    }
                print_table(&t);
                json_t *tr = json_object_get(j, "totalRecords");
                printf("(%zu of %lld rows)\n", t.nrows, json_is_integer(tr) ? (long long)json_integer_value(tr) : (long long)t.nrows);
                table_free(&t);
            }
        }
        json_decref(j);
    }
    dd_buf_release(&resp);
    free(url);
    return status;
}

int cmd_query(int argc, char **argv)
{
    const char *query = NULL, *data = NULL, *server = NULL;
    bool json = false;
    size_t top = 0, skip = 0;
    dd_query_limits_t lim;
    dd_query_limits_default(&lim);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); return 0; }
        else if (!strcmp(a, "--json")) json = true;
        else if (!strcmp(a, "--data") || !strcmp(a, "--server") || !strcmp(a, "--top") || !strcmp(a, "--skip") ||
                 !strcmp(a, "--max-rows") || !strcmp(a, "--timeout") || !strcmp(a, "--data-dir")) {
            if (!val) return cli_usage_error("query", "%s needs a value", a);
            i++;
            char *end;
            long long n = strtoll(val, &end, 10);
            bool num = *val && !*end && n >= 0;
            if (!strcmp(a, "--data")) data = val;
            else if (!strcmp(a, "--server")) server = val;
            else if (!strcmp(a, "--data-dir")) { /* accepted for uniformity; unused */ }
            else if (!num) return cli_usage_error("query", "%s expects a non-negative number, got '%s'", a, val);
            else if (!strcmp(a, "--top")) top = (size_t)n;
            else if (!strcmp(a, "--skip")) skip = (size_t)n;
            else if (!strcmp(a, "--max-rows")) lim.max_result_rows = (size_t)n;
            else lim.timeout_ms = n;
        } else if (a[0] == '-' && a[1] == '-') {
            return cli_usage_error("query", "unknown option '%s'", a);
        } else if (!query) {
            query = a;
        } else {
            return cli_usage_error("query", "unexpected argument '%s' (quote the query)", a);
        }
    }
    if (!query) return cli_usage_error("query", "missing the query");
    if (!strcmp(query, "-")) {
        /* read the query from stdin */
        static char buf[64 * 1024 + 1];
        size_t n = fread(buf, 1, sizeof buf - 1, stdin);
        buf[n] = 0;
        query = buf;
    }
    if (data && server) return cli_usage_error("query", "use either --data or --server");
    if (!data && !server) {
        server = getenv("DRYDOCK_SERVER");
        if (!server || !*server) return cli_usage_error("query", "no data source: give --data FILE or --server URL (or set $DRYDOCK_SERVER)");
    }
    if (data) return run_local(query, data, json, top, skip, &lim);
    return run_server(query, server, json, top, skip);
}
