/*
 * bench_match.c: measures (1) the import time of every shipped feed
 * fixture (tests/fixtures/feeds: Debian/Ubuntu/Go/PyPI OSV, Debian tracker,
 * Alpine secdb, NVD) into a fresh database, and (2) the time to match a
 * 500-package Debian 11 inventory (source names taken from the database,
 * half of them at vulnerable versions) once the ecosystem cache is warm,
 * plus the first (cold) match. Prints one "key: value" line per result.
 *
 *   bench_match FIXTURES_DIR WORK_DIR [iterations]
 */
#include "dd/feeds.h"
#include "dd/match.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double now_ms(void) { return (double)dd_mono_ns() / 1e6; }

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_match FIXTURES_DIR WORK_DIR [iterations]\n");
        return 2;
    }
    int iters = argc > 3 ? atoi(argv[3]) : 2000;
    char *dbpath = dd_asprintf("%s/vuln.db", argv[2]);
    static const char *const feeds[] = {
        "debian-osv/all.zip", "ubuntu-osv/all.zip", "go-osv/all.zip", "pypi-osv/all.zip",
        "debian-tracker/debian.json", "nvd/nvdcve-2.0-page.json",
        "alpine-secdb/v3.3/main.json", "alpine-secdb/v3.4/main.json", "alpine-secdb/v3.4/community.json",
        "alpine-secdb/v3.5/main.json", "alpine-secdb/v3.5/community.json", "alpine-secdb/v3.6/main.json",
        "alpine-secdb/v3.6/community.json", "alpine-secdb/v3.7/main.json", "alpine-secdb/v3.7/community.json",
        "alpine-secdb/v3.8/main.json", "alpine-secdb/v3.8/community.json", "alpine-secdb/v3.9/main.json",
        "alpine-secdb/v3.9/community.json", "alpine-secdb/v3.10/main.json", "alpine-secdb/v3.10/community.json",
        "alpine-secdb/v3.11/main.json", "alpine-secdb/v3.11/community.json",
    };
    dd_err_t e = {0};
    double t0 = now_ms();
    dd_vulndb_update_t *u = NULL;
    if (dd_vulndb_update_begin(dbpath, &u, &e)) return fprintf(stderr, "%s\n", e.msg), 1;
    long records = 0;
    for (size_t i = 0; i < sizeof feeds / sizeof feeds[0]; i++) {
        char *p = dd_asprintf("%s/%s", argv[1], feeds[i]);
        dd_feed_stats_t st = {0};
        if (dd_feed_import_path(dd_vulndb_update_db(u), p, NULL, NULL, &st, &e))
            return fprintf(stderr, "%s: %s\n", p, e.msg), 1;
        records += st.records;
        free(p);
    }
    if (dd_vulndb_update_commit(u, &e)) return fprintf(stderr, "%s\n", e.msg), 1;
    double t_import = now_ms() - t0;
    printf("import_records: %ld\nimport_ms: %.1f\n", records, t_import);

    /* 500 packages: distinct Debian 11 source names, then synthetic ones */
    sqlite3 *h = NULL;
    sqlite3_stmt *st = NULL;
    sqlite3_open_v2(dbpath, &h, SQLITE_OPEN_READONLY, NULL);
    sqlite3_prepare_v2(h, "SELECT DISTINCT package FROM affected WHERE ecosystem='Debian:11' ORDER BY package",
                       -1, &st, NULL);
    enum { N = 500 };
    dd_package_t *pk = calloc(N, sizeof *pk);
    size_t n = 0;
    while (n < N && sqlite3_step(st) == SQLITE_ROW) {
        pk[n].name = dd_strdup((const char *)sqlite3_column_text(st, 0));
        n++;
    }
    sqlite3_finalize(st);
    sqlite3_close(h);
    size_t real = n;
    for (; n < N; n++) pk[n].name = dd_asprintf("synthetic-pkg-%zu", n);
    for (size_t i = 0; i < N; i++) {
        pk[i].type = DD_PKG_DPKG;
        pk[i].source_name = pk[i].name;
        /* every other real package at an old version (vulnerable), the rest very new */
        pk[i].version = dd_strdup(i % 2 == 0 && i < real ? "0.1-1" : "99:1.0-1");
        pk[i].source_version = pk[i].version;
        pk[i].layer = 0;
        pk[i].epoch = -1;
    }
    dd_inventory_t inv = {0};
    inv.os.ecosystem = "Debian:11";
    inv.pkgs = pk;
    inv.n = inv.cap = N;

    dd_vulndb_t *db = NULL;
    if (dd_vulndb_open(dbpath, true, &db, &e)) return fprintf(stderr, "%s\n", e.msg), 1;
    dd_findings_t f;
    double c0 = now_ms();
    dd_findings_init(&f);
    dd_match_inventory(db, &inv, NULL, &f, &e);
    double cold = now_ms() - c0;
    size_t nf = f.n;
    dd_findings_release(&f);
    double *samples = calloc((size_t)iters, sizeof *samples);
    for (int i = 0; i < iters; i++) {
        double s0 = now_ms();
        dd_findings_init(&f);
        dd_match_inventory(db, &inv, NULL, &f, &e);
        dd_findings_release(&f);
        samples[i] = now_ms() - s0;
    }
    qsort(samples, (size_t)iters, sizeof *samples, cmp_double);
    double sum = 0;
    for (int i = 0; i < iters; i++) sum += samples[i];
    printf("match_packages: %d (%zu with data)\nmatch_findings: %zu\nmatch_cold_ms: %.3f\n"
           "match_median_ms: %.3f\nmatch_mean_ms: %.3f\nmatch_p99_ms: %.3f\n",
           N, real, nf, cold, samples[iters / 2], sum / iters, samples[iters * 99 / 100]);

    /* a realistic image: same packages, all up to date (no findings) */
    for (size_t i = 0; i < N; i++) pk[i].source_version = "99:1.0-1";
    for (int i = 0; i < iters; i++) {
        double s0 = now_ms();
        dd_findings_init(&f);
        dd_match_inventory(db, &inv, NULL, &f, &e);
        dd_findings_release(&f);
        samples[i] = now_ms() - s0;
    }
    qsort(samples, (size_t)iters, sizeof *samples, cmp_double);
    printf("match_clean_median_ms: %.3f\n", samples[iters / 2]);
    dd_vulndb_close(db);
    for (size_t i = 0; i < N; i++) {
        free(pk[i].name);
        free(pk[i].version);
    }
    free(pk);
    free(samples);
    free(dbpath);
    return 0;
}
