/*
 * test_query.c: tests of the query engine (src/query). Unit tests for the
 * API (providers, limits, errors, result JSON) and the case corpus under
 * tests/fixtures/query/cases/ (one .txt file per topic) run over tests/fixtures/query/data.json.
 *
 * Case file format:
 *   === name
 *   query text (any number of lines)
 *   --- rows            then a JSON array of the expected rows, in order
 *   --- error           then a substring of the expected error message
 *   --- count           then the expected totalRecords
 * Set DD_QUERY_PRINT=1 to print each case's actual result (for authoring).
 */
#include "test.h"

#include "dd/query.h"

#include <dirent.h>
#include <jansson.h>

static dd_qcatalog_t cat;
static dd_qjson_tables_t *tables;

static void load_data(void)
{
    if (tables) return;
    dd_err_t e = {0};
    dd_qcatalog_init(&cat);
    int rc = dd_qjson_tables_load(fixture("query/data.json"), &cat, &tables, &e);
    if (rc) fprintf(stderr, "load: %s\n", e.msg);
}

static int run_json(const char *q, const dd_query_limits_t *lim, char **json, dd_err_t *e)
{
    dd_qresult_t r;
    int rc = dd_query_run(q, &cat, lim, &r, e);
    if (rc == DD_OK && json) {
        dd_buf_t b;
        dd_buf_init(&b, 0);
        dd_qresult_to_json(&r, 0, 0, &b);
        *json = dd_buf_detach(&b, NULL);
    }
    dd_qresult_release(&r);
    return rc;
}

/* ---- corpus ------------------------------------------------------------------ */
typedef struct qcase {
    char name[128];
    dd_buf_t query, expect;
    char kind[16];
    char file[256];
    int line;
} qcase_t;

static int corpus_pass, corpus_fail;

static void run_case(qcase_t *c)
{
    dd_err_t e = {0};
    dd_qresult_t r;
    bool print = getenv("DD_QUERY_PRINT") != NULL;
    const char *q = c->query.ptr ? c->query.ptr : "";
    int rc = dd_query_run(q, &cat, NULL, &r, &e);
    bool ok = false;
    char why[1400] = "";
    dd_buf_t b;
    dd_buf_init(&b, 0);
    if (rc == DD_OK) dd_qresult_to_json(&r, 0, 0, &b);
    json_t *actual = rc == DD_OK ? json_loads(b.ptr, 0, NULL) : NULL;
    json_t *data = actual ? json_object_get(actual, "data") : NULL;
    const char *exp = c->expect.ptr ? c->expect.ptr : "";
    while (*exp == ' ' || *exp == '\n') exp++;
    if (!strcmp(c->kind, "error")) {
        char want[512];
        snprintf(want, sizeof want, "%s", exp);
        size_t l = strlen(want);
        while (l && (want[l - 1] == '\n' || want[l - 1] == ' ')) want[--l] = 0;
        ok = rc != DD_OK && strstr(e.msg, want) != NULL;
        if (!ok) snprintf(why, sizeof why, "expected error containing '%s', got rc=%d '%s'", want, rc, rc ? e.msg : "no error");
    } else if (rc != DD_OK) {
        snprintf(why, sizeof why, "query failed: %s", e.msg);
    } else if (!strcmp(c->kind, "count")) {
        long long want = atoll(exp);
        ok = (long long)r.total_rows == want;
        if (!ok) snprintf(why, sizeof why, "expected %lld rows, got %llu", want, (unsigned long long)r.total_rows);
    } else {
        json_error_t je;
        json_t *want = json_loads(exp, 0, &je);
        if (!want) snprintf(why, sizeof why, "bad expected JSON: %s (line %d)", je.text, je.line);
        else {
            ok = json_equal(want, data);
            /* json_equal ignores member order: check the column order too */
            for (size_t i = 0; ok && i < json_array_size(want); i++) {
                void *iw = json_object_iter(json_array_get(want, i)), *ig = json_object_iter(json_array_get(data, i));
                for (; ok && iw && ig; iw = json_object_iter_next(json_array_get(want, i), iw),
                                       ig = json_object_iter_next(json_array_get(data, i), ig))
                    ok = !strcmp(json_object_iter_key(iw), json_object_iter_key(ig));
            }
            if (!ok) {
                char *got = json_dumps(data, JSON_COMPACT);
                snprintf(why, sizeof why, "rows differ; got %.500s", got ? got : "?");
                free(got);
            }
        }
        json_decref(want);
    }
    if (print) {
        /* the rows as the engine wrote them (shortest exact reals) */
        const char *ds = b.ptr ? strstr(b.ptr, "\"data\":") : NULL;
        const char *de = b.ptr ? strstr(b.ptr, ",\"facets\":") : NULL;
        int dl = ds && de ? (int)(de - ds - 7) : 4;
        printf("=== %s\n%s--- %s\n%.*s\n", c->name, q, rc ? "error" : "rows", rc ? (int)strlen(e.msg) : dl,
               rc ? e.msg : ds && de ? ds + 7 : "null");
    }
    if (ok) {
        corpus_pass++;
        if (!print) printf("ok   %s\n", c->name);
    } else {
        corpus_fail++;
        printf("FAIL %s (%s:%d): %s\n", c->name, c->file, c->line, why);
    }
    json_decref(actual);
    dd_buf_release(&b);
    dd_qresult_release(&r);
}

static int cmpstr(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void run_file(const char *path, const char *fname)
{
    FILE *f = fopen(path, "r");
    if (!f) return;
    char line[8192];
    qcase_t c;
    bool have = false;
    int section = 0, ln = 0; /* 0 none, 1 query, 2 expect */
    while (fgets(line, sizeof line, f)) {
        ln++;
        if (!strncmp(line, "=== ", 4)) {
            if (have) { run_case(&c); dd_buf_release(&c.query); dd_buf_release(&c.expect); }
            memset(&c, 0, sizeof c);
            dd_buf_init(&c.query, 0);
            dd_buf_init(&c.expect, 0);
            snprintf(c.name, sizeof c.name, "%.127s", line + 4);
            c.name[strcspn(c.name, "\n")] = 0;
            snprintf(c.file, sizeof c.file, "%s", fname);
            c.line = ln;
            have = true;
            section = 1;
            continue;
        }
        if (have && !strncmp(line, "--- ", 4)) {
            snprintf(c.kind, sizeof c.kind, "%.15s", line + 4);
            c.kind[strcspn(c.kind, "\n ")] = 0;
            section = 2;
            continue;
        }
        if (section == 1) dd_buf_puts(&c.query, line);
        else if (section == 2) dd_buf_puts(&c.expect, line);
    }
    if (have) { run_case(&c); dd_buf_release(&c.query); dd_buf_release(&c.expect); }
    fclose(f);
}

TEST(corpus)
{
    load_data();
    const char *dir = fixture("query/cases");
    DIR *d = opendir(dir);
    CHECK(d != NULL);
    if (!d) return;
    char *names[256];
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) && n < 256)
        if (dd_str_endswith(de->d_name, ".txt")) names[n++] = dd_strdup(de->d_name);
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, cmpstr);
    char path[4096];
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        run_file(path, names[i]);
        free(names[i]);
    }
    printf("corpus: %d passed, %d failed\n", corpus_pass, corpus_fail);
    CHECK_INT(corpus_fail, 0);
    CHECK(corpus_pass >= 150);
}

/* ---- a struct-backed provider, as the server would write ------------------------- */
typedef struct finding { const char *repo, *sev; double cvss; } finding_t;
static const finding_t findings[] = {
    {"a", "High", 7.5}, {"a", "Low", 2.0}, {"b", "High", 8.1}, {"b", "High", 9.0}, {"c", "Medium", 5.0},
};
static const dd_qcolumn_t fcols[] = {{"id", DD_QT_LONG}, {"properties", DD_QT_DYNAMIC}};

static int fscan(void *self, dd_qscan_t *s, dd_err_t *e)
{
    (void)self; (void)e;
    for (size_t i = 0; i < sizeof findings / sizeof findings[0]; i++) {
        dd_qobject_t *st = dd_qscan_object(s, 1);
        st->kv[0] = (dd_qkv_t){"severity", 8, dd_qval_str(findings[i].sev)};
        dd_qobject_t *p = dd_qscan_object(s, 3);
        p->kv[0] = (dd_qkv_t){"repositoryName", 14, dd_qval_str(findings[i].repo)};
        p->kv[1].key = "status"; p->kv[1].klen = 6;
        p->kv[1].v.t = DD_QT_OBJECT; p->kv[1].v.u.o = st;
        p->kv[2] = (dd_qkv_t){"cvss", 4, dd_qval_real(findings[i].cvss)};
        dd_qval_t row[2] = {dd_qval_long((int64_t)i), {0}};
        row[1].t = DD_QT_OBJECT;
        row[1].u.o = p;
        int rc = dd_qscan_emit(s, row);
        if (rc == DD_DECLINED) return DD_OK;
        if (rc) return rc;
    }
    return DD_OK;
}

static const dd_qtable_provider_t fprov = {DD_QPROVIDER_VERSION, "findings", 2, fcols, fscan, NULL};

TEST(struct_provider)
{
    dd_qcatalog_t c;
    dd_qcatalog_init(&c);
    CHECK_INT(dd_qcatalog_add(&c, &fprov, NULL), DD_OK);
    dd_qresult_t r;
    dd_err_t e = {0};
    int rc = dd_query_run("Findings | where properties.status.severity == 'High' "
                          "| summarize n = count(), top = max(todouble(properties.cvss)) by repo = tostring(properties.repositoryName) "
                          "| order by repo asc", &c, NULL, &r, &e);
    CHECK_INT(rc, DD_OK);
    CHECK_INT(r.nrows, 2);
    CHECK_INT(r.ncolumns, 3);
    if (r.nrows == 2) {
        CHECK_STR(r.columns[0].name, "repo");
        CHECK_INT(r.cells[1].u.l, 1);
        CHECK_INT(r.cells[4].u.l, 2);
        CHECK(r.cells[5].u.d == 9.0);
    }
    dd_qresult_release(&r);
    /* take stops the scan early */
    rc = dd_query_run("findings | take 2", &c, NULL, &r, &e);
    CHECK_INT(rc, DD_OK);
    CHECK_INT(r.nrows, 2);
    CHECK(r.steps < 10);
    dd_qresult_release(&r);
    dd_qcatalog_release(&c);
}

/* Many rows in ascending order: the worst case for top N desc and arg_max,
 * which must still run in bounded memory. */
static int many_scan(void *self, dd_qscan_t *s, dd_err_t *e)
{
    (void)self; (void)e;
    for (long i = 0; i < 200000; i++) {
        dd_qobject_t *p = dd_qscan_object(s, 2);
        p->kv[0] = (dd_qkv_t){"text", 4, dd_qval_str("a string long enough to make each copied row count for something")};
        p->kv[1] = (dd_qkv_t){"n", 1, dd_qval_long(i)};
        dd_qval_t row[2] = {dd_qval_long(i), {0}};
        row[1].t = DD_QT_OBJECT;
        row[1].u.o = p;
        int rc = dd_qscan_emit(s, row);
        if (rc == DD_DECLINED) return DD_OK;
        if (rc) return rc;
    }
    return DD_OK;
}

TEST(bounded_memory)
{
    static const dd_qcolumn_t cols[] = {{"i", DD_QT_LONG}, {"properties", DD_QT_DYNAMIC}};
    dd_qtable_provider_t p = {DD_QPROVIDER_VERSION, "many", 2, cols, many_scan, NULL};
    dd_qcatalog_t c;
    dd_qcatalog_init(&c);
    dd_qcatalog_add(&c, &p, NULL);
    dd_query_limits_t lim;
    dd_query_limits_default(&lim);
    lim.max_memory = 8u << 20;
    const char *qs[] = {"many | top 3 by i desc", "many | order by i desc | take 2", "many | summarize arg_max(i, *)",
                        "many | where i % 2 == 0 | summarize count() by b = bin(i, 1000) | count"};
    const long long want[] = {199999, 199999, 199999, 200};
    for (int k = 0; k < 4; k++) {
        dd_qresult_t r;
        dd_err_t e = {0};
        int rc = dd_query_run(qs[k], &c, &lim, &r, &e);
        CHECK_INT(rc, DD_OK);
        if (rc) fprintf(stderr, "  %s: %s\n", qs[k], e.msg);
        else CHECK_INT(r.cells[0].u.l, want[k]);
        dd_qresult_release(&r);
    }
    /* a full sort of everything does not fit and says so */
    dd_qresult_t r;
    dd_err_t e = {0};
    CHECK_INT(dd_query_run("many | order by i desc", &c, &lim, &r, &e), DD_ELIMIT);
    CHECK(strstr(e.msg, "memory budget") != NULL);
    dd_qresult_release(&r);
    dd_qcatalog_release(&c);
}

/* A provider serving rows that exist as JSON objects. */
static int jscan(void *self, dd_qscan_t *s, dd_err_t *e)
{
    (void)self; (void)e;
    const char *rows[] = {
        "{\"id\": \"a\", \"n\": 1, \"when\": \"2024-01-02T03:04:05Z\", \"properties\": {\"sev\": \"High\"}}",
        "{\"id\": 7, \"n\": \"x\", \"properties\": {\"sev\": \"Low\"}}",
        "{\"extra\": true}",
    };
    for (size_t i = 0; i < 3; i++) {
        json_t *j = json_loads(rows[i], 0, NULL);
        int rc = dd_qscan_emit_json(s, j);
        json_decref(j);
        if (rc == DD_DECLINED) return DD_OK;
        if (rc) return rc;
    }
    return DD_OK;
}

TEST(emit_json)
{
    static const dd_qcolumn_t cols[] = {{"id", DD_QT_STRING}, {"n", DD_QT_LONG}, {"when", DD_QT_DATETIME}, {"properties", DD_QT_DYNAMIC}};
    dd_qtable_provider_t p = {DD_QPROVIDER_VERSION, "j", 4, cols, jscan, NULL};
    dd_qcatalog_t c;
    dd_qcatalog_init(&c);
    dd_qcatalog_add(&c, &p, NULL);
    dd_qresult_t r;
    dd_err_t e = {0};
    CHECK_INT(dd_query_run("j | extend d = when + 1d, s = tostring(properties.sev)", &c, NULL, &r, &e), DD_OK);
    dd_buf_t b;
    dd_buf_init(&b, 0);
    dd_qresult_to_json(&r, 0, 0, &b);
    CHECK_STR(b.ptr, "{\"totalRecords\":3,\"count\":3,\"data\":["
                     "{\"id\":\"a\",\"n\":1,\"when\":\"2024-01-02T03:04:05Z\",\"properties\":{\"sev\":\"High\"},\"d\":\"2024-01-03T03:04:05Z\",\"s\":\"High\"},"
                     "{\"id\":\"7\",\"n\":null,\"when\":null,\"properties\":{\"sev\":\"Low\"},\"d\":null,\"s\":\"Low\"},"
                     "{\"id\":\"\",\"n\":null,\"when\":null,\"properties\":null,\"d\":null,\"s\":\"\"}],"
                     "\"facets\":[],\"resultTruncated\":\"false\"}");
    dd_buf_release(&b);
    dd_qresult_release(&r);
    dd_qcatalog_release(&c);
}

TEST(syntax_error_position)
{
    load_data();
    dd_err_t e = {0};
    int rc = run_json("securityresources\n| where name ==\n| take 1", NULL, NULL, &e);
    CHECK_INT(rc, DD_EINVAL);
    CHECK(strstr(e.msg, "line 3, column 1") != NULL);
    CHECK(strstr(e.msg, "\n| take 1\n^") != NULL);
    dd_qresult_t r;
    rc = dd_query_run("resources | where x", &cat, NULL, &r, &e);
    CHECK_INT(rc, DD_EINVAL);
    CHECK_INT(r.err_line, 1);
    CHECK_INT(r.err_col, 19);
    CHECK(strstr(e.msg, "unknown column 'x'") != NULL);
    CHECK(strstr(e.msg, "resources | where x\n                  ^") != NULL);
    dd_qresult_release(&r);
}

TEST(limits)
{
    load_data();
    dd_query_limits_t lim;
    dd_query_limits_default(&lim);
    lim.max_steps = 500;
    dd_err_t e = {0};
    int rc = run_json("securityresources | join kind=inner (securityresources) on type | join kind=inner (securityresources) on type", &lim, NULL, &e);
    CHECK_INT(rc, DD_ELIMIT);
    CHECK(strstr(e.msg, "query exceeded its work budget") != NULL);
    rc = run_json("resources | mv-expand a = dynamic([1,2,3,4,5,6,7,8,9,10]) | mv-expand b = dynamic([1,2,3,4,5,6,7,8,9,10]) | mv-expand c = dynamic([1,2,3,4,5,6,7,8,9,10])", &lim, NULL, &e);
    CHECK_INT(rc, DD_ELIMIT);
    dd_query_limits_default(&lim);
    lim.max_query_len = 10;
    rc = run_json("resources | take 1", &lim, NULL, &e);
    CHECK_INT(rc, DD_ELIMIT);
    CHECK(strstr(e.msg, "too long") != NULL);
    /* the row cap truncates but counts everything */
    dd_query_limits_default(&lim);
    lim.max_result_rows = 3;
    dd_qresult_t r;
    rc = dd_query_run("securityresources", &cat, &lim, &r, &e);
    CHECK_INT(rc, DD_OK);
    CHECK_INT(r.nrows, 3);
    CHECK_INT(r.total_rows, 28);
    CHECK(r.truncated);
    dd_buf_t b;
    dd_buf_init(&b, 0);
    dd_qresult_to_json(&r, 0, 0, &b);
    CHECK(strstr(b.ptr, "\"resultTruncated\":\"true\"") != NULL);
    CHECK(strstr(b.ptr, "\"totalRecords\":28,\"count\":3") != NULL);
    dd_buf_release(&b);
    dd_qresult_release(&r);
    /* deep nesting is refused, not a stack overflow */
    char deep[4000];
    size_t k = 0;
    k += (size_t)sprintf(deep, "print x = ");
    for (int i = 0; i < 1000; i++) deep[k++] = '(';
    deep[k++] = '1';
    for (int i = 0; i < 1000; i++) deep[k++] = ')';
    deep[k] = 0;
    rc = run_json(deep, NULL, NULL, &e);
    CHECK_INT(rc, DD_EINVAL);
    CHECK(strstr(e.msg, "nesting too deep") != NULL);
}

TEST(paging_json)
{
    load_data();
    dd_qresult_t r;
    dd_err_t e = {0};
    int rc = dd_query_run("resources | where type == 'drydock/repositories' | project name | order by name asc", &cat, NULL, &r, &e);
    CHECK_INT(rc, DD_OK);
    dd_buf_t b;
    dd_buf_init(&b, 0);
    dd_qresult_to_json(&r, 1, 2, &b);
    CHECK_STR(b.ptr, "{\"totalRecords\":6,\"count\":2,\"data\":[{\"name\":\"app/web\"},{\"name\":\"app/worker\"}],"
                     "\"facets\":[],\"resultTruncated\":\"false\",\"$skipToken\":\"ddq1-3\"}");
    size_t skip = 0;
    CHECK_INT(dd_qskiptoken_decode("ddq1-3", &skip), DD_OK);
    CHECK_INT(skip, 3);
    CHECK(dd_qskiptoken_decode("bogus", &skip) != DD_OK);
    dd_buf_reset(&b);
    dd_qresult_to_json(&r, 4, 10, &b);
    CHECK(strstr(b.ptr, "$skipToken") == NULL);
    CHECK(strstr(b.ptr, "\"count\":2") != NULL);
    dd_buf_release(&b);
    dd_qresult_release(&r);
}

TEST(values_text)
{
    dd_buf_t b;
    dd_buf_init(&b, 0);
    dd_qval_t v = dd_qval_datetime(0);
    dd_qval_to_json(&v, &b);
    CHECK_STR(b.ptr, "\"1970-01-01T00:00:00Z\"");
    dd_buf_reset(&b);
    v = dd_qval_timespan(DD_QTICKS_PER_SEC * 90061 + 5);
    dd_qval_to_text(&v, &b);
    CHECK_STR(b.ptr, "1.01:01:01.0000005");
    dd_buf_reset(&b);
    v = dd_qval_strn("a\"b\n", 4);
    dd_qval_to_json(&v, &b);
    CHECK_STR(b.ptr, "\"a\\\"b\\n\"");
    /* invalid UTF-8 never makes invalid JSON */
    dd_buf_reset(&b);
    v = dd_qval_strn("ok\xff\xc3\xa9\xe2\x82", 7);
    dd_qval_to_json(&v, &b);
    CHECK_STR(b.ptr, "\"ok\\ufffd\xc3\xa9\\ufffd\\ufffd\"");
    dd_buf_release(&b);
}

static void cleanup(void)
{
    dd_qjson_tables_free(tables);
    dd_qcatalog_release(&cat);
}

TEST_MAIN(RUN(values_text); RUN(struct_provider); RUN(bounded_memory); RUN(emit_json); RUN(syntax_error_position); RUN(limits); RUN(paging_json);
          RUN(corpus); cleanup())
