/*
 * table.c: the table catalog, a ready-made table provider over JSON rows
 * (used by `drydock query --data`, the tests and the fuzzer), and the
 * Resource-Graph-shaped JSON form of a result.
 */
#include "query/qint.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- catalog ------------------------------------------------------------------ */
void dd_qcatalog_init(dd_qcatalog_t *c) { memset(c, 0, sizeof *c); }

void dd_qcatalog_release(dd_qcatalog_t *c)
{
    free(c->tables);
    memset(c, 0, sizeof *c);
}

const dd_qtable_provider_t *dd_qcatalog_find(const dd_qcatalog_t *c, const char *name, size_t n)
{
    for (size_t i = 0; c && i < c->n; i++)
        if (strlen(c->tables[i]->name) == n && !strncasecmp(c->tables[i]->name, name, n)) return c->tables[i];
    return NULL;
}

int dd_qcatalog_add(dd_qcatalog_t *c, const dd_qtable_provider_t *p, dd_err_t *e)
{
    if (!p || !p->name || !p->scan || p->version < 1)
        return dd_err(e, DD_EINVAL, "invalid table provider");
    if (p->version > DD_QPROVIDER_VERSION)
        return dd_err(e, DD_EUNSUPPORTED, "table provider '%s' has version %d, newer than %d", p->name, p->version, DD_QPROVIDER_VERSION);
    for (size_t i = 0; i < c->n; i++)
        if (!strcasecmp(c->tables[i]->name, p->name)) { c->tables[i] = p; return DD_OK; }
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 8;
        c->tables = dd_realloc(c->tables, c->cap * sizeof *c->tables);
    }
    c->tables[c->n++] = p;
    return DD_OK;
}

/* ---- JSON table ------------------------------------------------------------------ */
struct dd_qjson_table {
    dd_qtable_provider_t prov;
    char *name;
    dd_qcolumn_t *cols;
    size_t ncols;
    dd_qval_t *cells;       /* nrows * ncols, converted once at load */
    size_t nrows;
    dd_arena_t arena;
};

static int json_scan(void *self, dd_qscan_t *scan, dd_err_t *e)
{
    (void)e;
    dd_qjson_table_t *t = self;
    for (size_t r = 0; r < t->nrows; r++) {
        int rc = dd_qscan_emit(scan, &t->cells[r * t->ncols]);
        if (rc == DD_DECLINED) return DD_OK;
        if (rc) return rc;
    }
    return DD_OK;
}

enum { K_STR = 1, K_INT = 2, K_REAL = 4, K_BOOL = 8, K_DYN = 16 };

int dd_qjson_table_new(const char *name, void *rowsp, dd_qjson_table_t **out, dd_err_t *e)
{
    json_t *rows = rowsp;
    *out = NULL;
    if (!json_is_array(rows)) return dd_err(e, DD_EINVAL, "table '%s': rows must be a JSON array", name);
    dd_qjson_table_t *t = dd_calloc(1, sizeof *t);
    dd_arena_init(&t->arena);
    t->name = dd_strdup(name);
    size_t cap = 16;
    t->cols = dd_calloc(cap, sizeof *t->cols);
    int *kinds = dd_calloc(cap, sizeof *kinds);
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        if (!json_is_object(row)) {
            free(kinds);
            dd_qjson_table_free(t);
            return dd_err(e, DD_EINVAL, "table '%s': row %zu is not a JSON object", name, i);
        }
        const char *k;
        json_t *v;
        json_object_foreach(row, k, v) {
            size_t c;
            for (c = 0; c < t->ncols; c++)
                if (!strcmp(t->cols[c].name, k)) break;
            if (c == t->ncols) {
                if (t->ncols == cap) {
                    cap *= 2;
                    t->cols = dd_realloc(t->cols, cap * sizeof *t->cols);
                    kinds = dd_realloc(kinds, cap * sizeof *kinds);
                }
                t->cols[c].name = qstrndup(&t->arena, k, strlen(k));
                kinds[c] = 0;
                t->ncols++;
            }
            switch (json_typeof(v)) {
            case JSON_STRING: kinds[c] |= K_STR; break;
            case JSON_INTEGER: kinds[c] |= K_INT; break;
            case JSON_REAL: kinds[c] |= K_REAL; break;
            case JSON_TRUE: case JSON_FALSE: kinds[c] |= K_BOOL; break;
            case JSON_NULL: break;
            default: kinds[c] |= K_DYN; break;
            }
        }
    }
    for (size_t c = 0; c < t->ncols; c++) {
        int k = kinds[c];
        t->cols[c].type = k == K_STR ? DD_QT_STRING : k == K_INT ? DD_QT_LONG : (k == K_REAL || k == (K_INT | K_REAL)) ? DD_QT_REAL
                        : k == K_BOOL ? DD_QT_BOOL : DD_QT_DYNAMIC;
    }
    free(kinds);
    t->nrows = json_array_size(rows);
    t->cells = dd_arena_alloc(&t->arena, (t->nrows * t->ncols + 1) * sizeof *t->cells);
    json_array_foreach(rows, i, row) {
        for (size_t c = 0; c < t->ncols; c++) {
            json_t *v = json_object_get(row, t->cols[c].name);
            dd_qval_t x = qval_from_json(&t->arena, v, 0);
            dd_qtype_t ct = t->cols[c].type;
            if (ct != DD_QT_DYNAMIC) x.dyn = 0;
            if (ct == DD_QT_STRING && x.t == DD_QT_NULL) x = dd_qval_strn("", 0);
            if (ct == DD_QT_REAL && x.t == DD_QT_LONG) x = dd_qval_real((double)x.u.l);
            t->cells[i * t->ncols + c] = x;
        }
    }
    t->prov.version = DD_QPROVIDER_VERSION;
    t->prov.name = t->name;
    t->prov.ncolumns = t->ncols;
    t->prov.columns = t->cols;
    t->prov.scan = json_scan;
    t->prov.self = t;
    *out = t;
    return DD_OK;
}

const dd_qtable_provider_t *dd_qjson_table_provider(dd_qjson_table_t *t) { return &t->prov; }

void dd_qjson_table_free(dd_qjson_table_t *t)
{
    if (!t) return;
    dd_arena_release(&t->arena);
    free(t->cols);
    free(t->name);
    free(t);
}

struct dd_qjson_tables { dd_qjson_table_t **t; size_t n; };

void dd_qjson_tables_free(dd_qjson_tables_t *ts)
{
    if (!ts) return;
    for (size_t i = 0; i < ts->n; i++) dd_qjson_table_free(ts->t[i]);
    free(ts->t);
    free(ts);
}

int dd_qjson_tables_from_json(void *rootp, dd_qcatalog_t *c, dd_qjson_tables_t **out, dd_err_t *e)
{
    json_t *root = rootp;
    *out = NULL;
    if (!json_is_object(root)) return dd_err(e, DD_EINVAL, "data must be a JSON object of tables");
    dd_qjson_tables_t *ts = dd_calloc(1, sizeof *ts);
    ts->t = dd_calloc(json_object_size(root) + 1, sizeof *ts->t);
    const char *k;
    json_t *v;
    json_object_foreach(root, k, v) {
        dd_qjson_table_t *t;
        int rc = dd_qjson_table_new(k, v, &t, e);
        if (rc == DD_OK) {
            ts->t[ts->n++] = t;
            rc = dd_qcatalog_add(c, &t->prov, e);
        }
        if (rc) { dd_qjson_tables_free(ts); return rc; }
    }
    *out = ts;
    return DD_OK;
}

int dd_qjson_tables_load(const char *path, dd_qcatalog_t *c, dd_qjson_tables_t **out, dd_err_t *e)
{
    dd_buf_t b;
    dd_buf_init(&b, 0);
    int rc = dd_file_read(path, 1024u << 20, &b, e);
    if (rc) { dd_buf_release(&b); return rc; }
    json_error_t je;
    json_t *root = json_loadb(b.ptr ? b.ptr : "", b.len, 0, &je);
    dd_buf_release(&b);
    if (!root) return dd_err(e, DD_EINVAL, "%s:%d: invalid JSON: %s", path, je.line, je.text);
    rc = dd_qjson_tables_from_json(root, c, out, e);
    json_decref(root);
    return rc;
}

/* ---- result as JSON -------------------------------------------------------------- */
int dd_qskiptoken_decode(const char *token, size_t *skip_out)
{
    if (!token || strncmp(token, "ddq1-", 5)) return DD_EINVAL;
    char *end;
    unsigned long long v = strtoull(token + 5, &end, 10);
    if (end == token + 5 || *end) return DD_EINVAL;
    *skip_out = (size_t)v;
    return DD_OK;
}

int dd_qresult_to_json(const dd_qresult_t *r, size_t skip, size_t top, dd_buf_t *out)
{
    size_t from = skip < r->nrows ? skip : r->nrows;
    size_t to = top && top < r->nrows - from ? from + top : r->nrows;
    int rc = dd_buf_printf(out, "{\"totalRecords\":%llu,\"count\":%zu,\"data\":[", (unsigned long long)r->total_rows, to - from);
    for (size_t i = from; i < to && rc == DD_OK; i++) {
        rc = dd_buf_puts(out, i > from ? ",{" : "{");
        for (size_t c = 0; c < r->ncolumns && rc == DD_OK; c++) {
            if (c) rc = dd_buf_putc(out, ',');
            if (rc == DD_OK) rc = qjson_str(out, r->columns[c].name, strlen(r->columns[c].name));
            if (rc == DD_OK) rc = dd_buf_putc(out, ':');
            if (rc == DD_OK) rc = dd_qval_to_json(&r->cells[i * r->ncolumns + c], out);
        }
        if (rc == DD_OK) rc = dd_buf_putc(out, '}');
    }
    if (rc == DD_OK)
        rc = dd_buf_printf(out, "],\"facets\":[],\"resultTruncated\":\"%s\"", r->truncated ? "true" : "false");
    if (rc == DD_OK && to < r->nrows) rc = dd_buf_printf(out, ",\"$skipToken\":\"ddq1-%zu\"", to);
    if (rc == DD_OK) rc = dd_buf_putc(out, '}');
    return rc;
}
