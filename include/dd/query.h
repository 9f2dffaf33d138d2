/*
 * query.h: a Kusto-like query language (KQL subset) over caller-provided
 * tables. No HTTP and no storage inside: tables are plugged in through a
 * small versioned provider vtable, collected in a catalog, and a query runs
 * against that catalog with limits (result-row cap, work budget, memory,
 * optional wall-clock deadline). See docs/query.md.
 *
 *   dd_qcatalog_t cat;
 *   dd_qcatalog_init(&cat);
 *   dd_qcatalog_add(&cat, &my_provider);           // borrowed
 *   dd_qresult_t res;
 *   if (dd_query_run("securityresources | count", &cat, NULL, &res, &e) == DD_OK) {
 *       dd_qresult_to_json(&res, 0, 100, &buf);
 *   }
 *   dd_qresult_release(&res);                       // also after a failure
 *
 * Values are a 16-byte tagged union (dd_qval_t). Strings and dynamic
 * containers are immutable and live in arenas owned by the engine or the
 * result; a provider builds the values of one row with the allocator of the
 * scan (dd_qscan_alloc / dd_qval_*), hands them to dd_qscan_emit, and that
 * memory is reclaimed after the row has gone through the pipeline.
 */
#ifndef DD_QUERY_H
#define DD_QUERY_H

#include "dd/core.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- values ------------------------------------------------------------- */
typedef enum dd_qtype {
    DD_QT_NULL = 0,   /* null (of any type) */
    DD_QT_BOOL,
    DD_QT_LONG,       /* int and long */
    DD_QT_REAL,
    DD_QT_STRING,
    DD_QT_DATETIME,   /* u.l = 100 ns ticks since 1970-01-01T00:00:00Z */
    DD_QT_TIMESPAN,   /* u.l = 100 ns ticks */
    DD_QT_ARRAY,      /* dynamic array */
    DD_QT_OBJECT,     /* dynamic property bag */
    DD_QT_DYNAMIC,    /* only as a column type: values of mixed kinds */
} dd_qtype_t;

typedef struct dd_qarray dd_qarray_t;
typedef struct dd_qobject dd_qobject_t;

typedef struct dd_qval {
    uint8_t t;        /* dd_qtype_t */
    uint8_t dyn;      /* 1 if the value came out of a dynamic value */
    uint16_t pad;
    uint32_t len;     /* string length in bytes (DD_QT_STRING) */
    union {
        bool b;
        int64_t l;
        double d;
        const char *s;            /* not necessarily NUL-terminated */
        const dd_qarray_t *a;
        const dd_qobject_t *o;
    } u;
} dd_qval_t;

struct dd_qarray { uint32_t n; dd_qval_t v[]; };
typedef struct dd_qkv { const char *key; uint32_t klen; dd_qval_t v; } dd_qkv_t;
struct dd_qobject { uint32_t n; dd_qkv_t kv[]; };

static inline dd_qval_t dd_qval_null(void) { dd_qval_t v = {0}; return v; }
static inline dd_qval_t dd_qval_bool(bool b) { dd_qval_t v = {0}; v.t = DD_QT_BOOL; v.u.b = b; return v; }
static inline dd_qval_t dd_qval_long(int64_t l) { dd_qval_t v = {0}; v.t = DD_QT_LONG; v.u.l = l; return v; }
static inline dd_qval_t dd_qval_real(double d) { dd_qval_t v = {0}; v.t = DD_QT_REAL; v.u.d = d; return v; }
/* Borrowed: s must outlive the use (for a provider: until dd_qscan_emit returns). */
static inline dd_qval_t dd_qval_strn(const char *s, size_t n) { dd_qval_t v = {0}; v.t = DD_QT_STRING; v.u.s = s; v.len = (uint32_t)n; return v; }
dd_qval_t dd_qval_str(const char *s);     /* NULL gives "" (Kusto strings are never null) */
static inline dd_qval_t dd_qval_datetime(int64_t ticks) { dd_qval_t v = {0}; v.t = DD_QT_DATETIME; v.u.l = ticks; return v; }
static inline dd_qval_t dd_qval_timespan(int64_t ticks) { dd_qval_t v = {0}; v.t = DD_QT_TIMESPAN; v.u.l = ticks; return v; }
#define DD_QTICKS_PER_SEC 10000000LL

const char *dd_qtype_name(dd_qtype_t t);    /* "string", "long", "dynamic", ... */

/* ---- providers ---------------------------------------------------------- */
typedef struct dd_qcolumn {
    const char *name;
    dd_qtype_t type;   /* DD_QT_DYNAMIC for property bags (e.g. properties) */
} dd_qcolumn_t;

/* Handed to a provider's scan: the provider builds each row's values with
 * dd_qscan_alloc / dd_qscan_* and calls dd_qscan_emit once per row. */
typedef struct dd_qscan dd_qscan_t;

/* Scratch memory for the current row (zeroed), freed after dd_qscan_emit. */
void *dd_qscan_alloc(dd_qscan_t *s, size_t n);
/* Builds dynamic containers in the scan's row memory; fill v[] / kv[] after. */
dd_qarray_t *dd_qscan_array(dd_qscan_t *s, uint32_t n);
dd_qobject_t *dd_qscan_object(dd_qscan_t *s, uint32_t n);
/* Converts a jansson value (json_t *, passed as void * to keep jansson out of
 * this header) into a value in the scan's row memory. */
dd_qval_t dd_qscan_json(dd_qscan_t *s, const void *json);
/* Emits one row given as a JSON object (json_t *): each column of the
 * provider's schema takes the member of the same name (missing -> null, or
 * "" for a string column). The easiest way to serve rows that already exist
 * as JSON (e.g. the Azure-compatible findings view). Same return values as
 * dd_qscan_emit. */
int dd_qscan_emit_json(dd_qscan_t *s, const void *json_object);
/* Emits one row: vals[i] is the value of column i (ncolumns values).
 * Returns DD_OK to continue, DD_DECLINED when the query needs no more rows
 * (the provider should stop and return DD_OK), or an error (the provider
 * returns it unchanged). */
int dd_qscan_emit(dd_qscan_t *s, const dd_qval_t *vals);

#define DD_QPROVIDER_VERSION 1
typedef struct dd_qtable_provider {
    int version;                  /* DD_QPROVIDER_VERSION */
    const char *name;             /* table name, matched case-insensitively */
    size_t ncolumns;
    const dd_qcolumn_t *columns;  /* the schema, fixed for the provider's life */
    /* Calls dd_qscan_emit for every row; returns DD_OK or an error set in e.
     * Must stop (returning DD_OK) when emit returns DD_DECLINED and return
     * emit's error when it returns one. May be called several times per
     * query (self-joins) and from several threads for different queries. */
    int (*scan)(void *self, dd_qscan_t *scan, dd_err_t *e);
    void *self;
} dd_qtable_provider_t;

typedef struct dd_qcatalog {
    const dd_qtable_provider_t **tables;   /* borrowed */
    size_t n, cap;
} dd_qcatalog_t;

void dd_qcatalog_init(dd_qcatalog_t *c);
void dd_qcatalog_release(dd_qcatalog_t *c);
/* Borrowed; a later table with the same name replaces the earlier. */
int dd_qcatalog_add(dd_qcatalog_t *c, const dd_qtable_provider_t *p, dd_err_t *e);
const dd_qtable_provider_t *dd_qcatalog_find(const dd_qcatalog_t *c, const char *name, size_t n);

/* A ready-made provider over a jansson array of JSON objects (the CLI's
 * --data file, the tests). Columns are the union of the objects' top-level
 * keys in first-seen order, with their type inferred from the values. */
typedef struct dd_qjson_table dd_qjson_table_t;
/* rows: a json_t array (borrowed; converted once at creation, not kept). */
int dd_qjson_table_new(const char *name, void *rows, dd_qjson_table_t **out, dd_err_t *e);
const dd_qtable_provider_t *dd_qjson_table_provider(dd_qjson_table_t *t);
void dd_qjson_table_free(dd_qjson_table_t *t);
/* Loads {"table": [rows...], ...} from a JSON file into tables added to c;
 * *tables_out (freed with dd_qjson_tables_free) owns them. */
typedef struct dd_qjson_tables dd_qjson_tables_t;
int dd_qjson_tables_load(const char *path, dd_qcatalog_t *c, dd_qjson_tables_t **out, dd_err_t *e);
int dd_qjson_tables_from_json(void *root, dd_qcatalog_t *c, dd_qjson_tables_t **out, dd_err_t *e);
void dd_qjson_tables_free(dd_qjson_tables_t *t);

/* ---- running queries ---------------------------------------------------- */
typedef struct dd_query_limits {
    size_t max_query_len;     /* bytes of query text; default 64 KiB */
    size_t max_result_rows;   /* rows kept in the result; default 10,000 */
    uint64_t max_steps;       /* rows processed summed over operators; default 50,000,000 */
    size_t max_memory;        /* bytes of engine memory; default 512 MiB */
    int64_t timeout_ms;       /* wall-clock budget; 0 = none */
    int max_depth;            /* expression / sub-query nesting; default 128 */
} dd_query_limits_t;

void dd_query_limits_default(dd_query_limits_t *l);

typedef struct dd_qresult {
    size_t ncolumns;
    dd_qcolumn_t *columns;    /* names and types of the result columns */
    size_t nrows;             /* rows kept (<= max_result_rows) */
    dd_qval_t *cells;         /* nrows * ncolumns, row-major */
    uint64_t total_rows;      /* rows the query produced (>= nrows) */
    bool truncated;           /* total_rows > nrows because of the row cap */
    uint64_t steps;           /* work done, for logs */
    int err_line, err_col;    /* on a syntax/semantic error: 1-based position, else 0 */
    void *priv;               /* engine memory backing the values */
} dd_qresult_t;

/* Parses and runs text. On failure returns DD_EINVAL (syntax, unknown
 * column/function/table, type errors: a client error, HTTP 400) or
 * DD_ELIMIT (work budget, memory, deadline, query too long), or the error of
 * a provider, with the message in e. out is always initialized; release it. */
int dd_query_run(const char *text, const dd_qcatalog_t *tables, const dd_query_limits_t *lim,
                 dd_qresult_t *out, dd_err_t *e);
void dd_qresult_release(dd_qresult_t *r);

/* Resource-Graph-shaped JSON of rows [skip, skip+top) (top 0 = all kept):
 * {"totalRecords":N,"count":n,"data":[{col:value,...}],"facets":[],
 *  "resultTruncated":"false"|"true"[,"$skipToken":"..."]}.
 * $skipToken is present when rows remain after the page; decode it with
 * dd_qskiptoken_decode to get the next skip. */
int dd_qresult_to_json(const dd_qresult_t *r, size_t skip, size_t top, dd_buf_t *out);
int dd_qskiptoken_decode(const char *token, size_t *skip_out);
/* Appends the JSON form of one value (datetimes as ISO 8601 strings,
 * timespans as "[-][d.]hh:mm:ss[.fffffff]"). */
int dd_qval_to_json(const dd_qval_t *v, dd_buf_t *out);
/* Appends the display form (strings unquoted, dynamic as JSON). */
int dd_qval_to_text(const dd_qval_t *v, dd_buf_t *out);

#endif
