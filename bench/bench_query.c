/*
 * bench_query.c: the query engine benchmark. Generates N (default
 * 1,000,000) finding rows in memory, shaped like Drydock's Azure-compatible
 * sub-assessments, serves them through a table provider that builds each
 * row's `properties` bag on the fly (as the server's findings store will),
 * and times where + summarize queries over them.
 *
 * Reference, in the same run: SQLite in memory over the same rows, once
 * with flat columns and once with the properties as JSON text queried with
 * json_extract (the closest SQL analogue of KQL over dynamic columns).
 *
 *   usage: bench_query [ROWS]
 */
#include "dd/query.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct frow {
    uint32_t repo;     /* index into repos */
    uint8_t sev;       /* index into sevs */
    uint8_t patchable;
    uint16_t cvss10;   /* cvss * 10 */
    uint32_t cve;      /* CVE number */
    int64_t time_s;
} frow_t;

static const char *sevs[] = {"Critical", "High", "Medium", "Low"};
static char repos[200][32];
static frow_t *rows;
static size_t nrows;

static const dd_qcolumn_t cols[] = {
    {"id", DD_QT_STRING}, {"name", DD_QT_STRING}, {"type", DD_QT_STRING}, {"properties", DD_QT_DYNAMIC},
};

static dd_qval_t obj(dd_qobject_t *o) { dd_qval_t v = {0}; v.t = DD_QT_OBJECT; v.u.o = o; return v; }
static void kv(dd_qobject_t *o, int i, const char *k, dd_qval_t v) { o->kv[i].key = k; o->kv[i].klen = (uint32_t)strlen(k); o->kv[i].v = v; }

/* Formats "prefix" + decimal n into buf (snprintf is slow enough to show). */
static int fmt_id(char *buf, const char *prefix, uint64_t n)
{
    int k = 0;
    while (*prefix) buf[k++] = *prefix++;
    char tmp[24];
    int t = 0;
    do { tmp[t++] = (char)('0' + n % 10); n /= 10; } while (n);
    while (t) buf[k++] = tmp[--t];
    buf[k] = 0;
    return k;
}

static int scan(void *self, dd_qscan_t *s, dd_err_t *e)
{
    (void)self; (void)e;
    for (size_t i = 0; i < nrows; i++) {
        const frow_t *r = &rows[i];
        char *name = dd_qscan_alloc(s, 24);
        int nl = fmt_id(name, "f-", i);
        char *cve = dd_qscan_alloc(s, 24);
        int cl = fmt_id(cve, "CVE-2024-", r->cve);
        dd_qobject_t *status = dd_qscan_object(s, 2);
        kv(status, 0, "code", dd_qval_str("Unhealthy"));
        kv(status, 1, "severity", dd_qval_str(sevs[r->sev]));
        dd_qobject_t *base = dd_qscan_object(s, 1);
        kv(base, 0, "base", dd_qval_real(r->cvss10 / 10.0));
        dd_qobject_t *cvss = dd_qscan_object(s, 1);
        kv(cvss, 0, "3.0", obj(base));
        dd_qobject_t *ad = dd_qscan_object(s, 6);
        kv(ad, 0, "assessedResourceType", dd_qval_str("ContainerRegistryVulnerability"));
        kv(ad, 1, "type", dd_qval_str("Vulnerability"));
        kv(ad, 2, "cvss", obj(cvss));
        kv(ad, 3, "patchable", dd_qval_bool(r->patchable));
        kv(ad, 4, "repositoryName", dd_qval_str(repos[r->repo]));
        kv(ad, 5, "registryHost", dd_qval_str("registry.example.com"));
        dd_qobject_t *p = dd_qscan_object(s, 5);
        kv(p, 0, "id", dd_qval_strn(cve, (size_t)cl));
        kv(p, 1, "displayName", dd_qval_strn(cve, (size_t)cl));
        kv(p, 2, "status", obj(status));
        kv(p, 3, "timeGenerated", dd_qval_str("2024-06-01T00:00:00Z"));
        kv(p, 4, "additionalData", obj(ad));
        dd_qval_t row[4] = {dd_qval_strn(name, (size_t)nl), dd_qval_strn(name, (size_t)nl),
                            dd_qval_str("microsoft.security/assessments/subassessments"), obj(p)};
        int rc = dd_qscan_emit(s, row);
        if (rc == DD_DECLINED) return DD_OK;
        if (rc) return rc;
    }
    return DD_OK;
}

static double now_s(void) { return (double)dd_mono_ns() / 1e9; }

/* CPU time of this (single) thread: the engine runs a query on one thread,
 * so on an idle machine wall time equals this; on a loaded shared machine
 * it is the stable figure. */
static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}


static double run_kql(dd_qcatalog_t *cat, const char *q, size_t *groups, double *cpu_best)
{
    *cpu_best = 1e9;
    dd_query_limits_t lim;
    dd_query_limits_default(&lim);
    lim.max_steps = 100ULL * 1000 * 1000;
    double best = 1e9;
    for (int rep = 0; rep < 3; rep++) {
        dd_qresult_t r;
        dd_err_t e = {0};
        double t0 = now_s(), c0 = cpu_s();
        int rc = dd_query_run(q, cat, &lim, &r, &e);
        double t = now_s() - t0, c = cpu_s() - c0;
        if (c < *cpu_best) *cpu_best = c;
        if (rc) { fprintf(stderr, "query failed: %s\n", e.msg); exit(1); }
        *groups = r.nrows;
        dd_qresult_release(&r);
        if (t < best) best = t;
    }
    return best;
}

static double run_sql(sqlite3 *db, const char *sql, size_t *groups, double *cpu_best)
{
    double best = 1e9;
    *cpu_best = 1e9;
    for (int rep = 0; rep < 3; rep++) {
        sqlite3_stmt *st;
        double t0 = now_s(), c0 = cpu_s();
        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) { fprintf(stderr, "sqlite: %s\n", sqlite3_errmsg(db)); exit(1); }
        size_t n = 0;
        while (sqlite3_step(st) == SQLITE_ROW) n++;
        sqlite3_finalize(st);
        double t = now_s() - t0, c = cpu_s() - c0;
        if (c < *cpu_best) *cpu_best = c;
        *groups = n;
        if (t < best) best = t;
    }
    return best;
}

int main(int argc, char **argv)
{
    nrows = argc > 1 ? (size_t)atol(argv[1]) : 1000000;
    rows = dd_calloc(nrows, sizeof *rows);
    for (int i = 0; i < 200; i++) snprintf(repos[i], sizeof repos[i], "team%02d/service-%03d", i % 17, i);
    uint64_t x = 88172645463325252ULL;
    for (size_t i = 0; i < nrows; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        rows[i].repo = (uint32_t)(x % 200);
        unsigned s = (unsigned)((x >> 16) % 100);
        rows[i].sev = s < 5 ? 0 : s < 30 ? 1 : s < 70 ? 2 : 3;
        rows[i].patchable = (x >> 24) & 1;
        rows[i].cvss10 = (uint16_t)(20 + (x >> 32) % 80);
        rows[i].cve = (uint32_t)((x >> 40) % 50000);
    }
    dd_qtable_provider_t prov = {DD_QPROVIDER_VERSION, "securityresources", 4, cols, scan, NULL};
    dd_qcatalog_t cat;
    dd_qcatalog_init(&cat);
    dd_qcatalog_add(&cat, &prov, NULL);

    /* reference: SQLite in memory */
    sqlite3 *db;
    sqlite3_open(":memory:", &db);
    sqlite3_exec(db, "CREATE TABLE f(id TEXT /* cve */, severity TEXT, repo TEXT, cvss REAL, properties TEXT, patchable INTEGER)", NULL, NULL, NULL);
    sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
    sqlite3_stmt *ins;
    sqlite3_prepare_v2(db, "INSERT INTO f VALUES(?,?,?,?,?,?)", -1, &ins, NULL);
    char props[512];
    for (size_t i = 0; i < nrows; i++) {
        char id[24];
        snprintf(id, sizeof id, "CVE-2024-%u", rows[i].cve);   /* the CVE id, as dcount(properties.id) */
        snprintf(props, sizeof props,
                 "{\"id\":\"CVE-2024-%u\",\"status\":{\"code\":\"Unhealthy\",\"severity\":\"%s\"},"
                 "\"additionalData\":{\"assessedResourceType\":\"ContainerRegistryVulnerability\",\"cvss\":{\"3.0\":{\"base\":%.1f}},"
                 "\"patchable\":%s,\"repositoryName\":\"%s\"}}",
                 rows[i].cve, sevs[rows[i].sev], rows[i].cvss10 / 10.0, rows[i].patchable ? "true" : "false", repos[rows[i].repo]);
        sqlite3_bind_text(ins, 1, id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(ins, 2, sevs[rows[i].sev], -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 3, repos[rows[i].repo], -1, SQLITE_STATIC);
        sqlite3_bind_double(ins, 4, rows[i].cvss10 / 10.0);
        sqlite3_bind_text(ins, 5, props, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(ins, 6, rows[i].patchable);
        sqlite3_step(ins);
        sqlite3_reset(ins);
    }
    sqlite3_finalize(ins);
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);

    struct { const char *name, *kql, *sql_flat, *sql_json; } cases[] = {
        {"where severity == High | summarize count() by repository",
         "securityresources | where properties.status.severity == \"High\" | summarize count() by tostring(properties.additionalData.repositoryName)",
         "SELECT repo, count(*) FROM f WHERE severity = 'High' GROUP BY repo",
         "SELECT json_extract(properties,'$.additionalData.repositoryName'), count(*) FROM f "
         "WHERE json_extract(properties,'$.status.severity') = 'High' GROUP BY 1"},
        {"summarize count() by severity",
         "securityresources | where type == \"microsoft.security/assessments/subassessments\" | summarize count() by tostring(properties.status.severity)",
         "SELECT severity, count(*) FROM f GROUP BY severity",
         "SELECT json_extract(properties,'$.status.severity'), count(*) FROM f GROUP BY 1"},
        {"where cvss >= 7 and patchable | summarize dcount(cve), avg(cvss) by repository",
         "securityresources | where todouble(properties.additionalData.cvss[\"3.0\"].base) >= 7 and properties.additionalData.patchable == true "
         "| summarize dcount(tostring(properties.id)), avg(todouble(properties.additionalData.cvss[\"3.0\"].base)) by tostring(properties.additionalData.repositoryName)",
         "SELECT repo, count(DISTINCT id), avg(cvss) FROM f WHERE cvss >= 7 AND patchable = 1 GROUP BY repo",
         "SELECT json_extract(properties,'$.additionalData.repositoryName'), count(DISTINCT json_extract(properties,'$.id')), "
         "avg(json_extract(properties,'$.additionalData.cvss.\"3.0\".base')) FROM f "
         "WHERE json_extract(properties,'$.additionalData.cvss.\"3.0\".base') >= 7 AND json_extract(properties,'$.additionalData.patchable') = 1 GROUP BY 1"},
    };
    printf("rows: %zu (best of 3 runs each; cpu = CPU time of the query thread, wall = elapsed)\n", nrows);
    int slow = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t g1, g2, g3;
        double ck, cf, cj;
        double tk = run_kql(&cat, cases[i].kql, &g1, &ck);
        double tf = run_sql(db, cases[i].sql_flat, &g2, &cf);
        double tj = run_sql(db, cases[i].sql_json, &g3, &cj);
        printf("%s\n  cpu:  kql %.3f s (%zu groups) | sqlite flat columns %.3f s (%zu) | sqlite json_extract %.3f s (%zu) | kql/sqlite-json %.2fx\n"
               "  wall: kql %.3f s | sqlite flat %.3f s | sqlite json %.3f s\n",
               cases[i].name, ck, g1, cf, g2, cj, g3, ck / cj, tk, tf, tj);
        if (i == 0 && ck >= 1.0) slow = 1;
    }
    sqlite3_close(db);
    dd_qcatalog_release(&cat);
    free(rows);
    if (slow) printf("TARGET MISSED: where + summarize over %zu rows took >= 1 s\n", nrows);
    else printf("target met: where + summarize over %zu rows under 1 s\n", nrows);
    return slow;
}
