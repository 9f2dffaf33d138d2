/*
 * rematch.c: benchmark of continuous re-assessment: N stored images (each a
 * Debian 11 inventory of P packages: one in five drawn from the source
 * packages that have advisories, mostly at versions below their fixes, the
 * rest without advisories) are matched again against the vulnerability
 * database, as after a database update.
 *
 *   rematch VULNDB PKGLIST N P
 * PKGLIST: lines "source version" (bench/scan/run.sh makes it from the feed).
 * Prints the time of the first pass (every finding new) and of a second pass
 * (nothing changed), and images/s.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dd/blobstore.h"
#include "dd/scanner.h"
#include "dd/scanstore.h"

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: rematch VULNDB PKGLIST N P\n");
        return 2;
    }
    const char *dbpath = argv[1];
    int N = atoi(argv[3]), P = atoi(argv[4]);
    FILE *f = fopen(argv[2], "r");
    if (!f) return 1;
    char (*names)[128] = malloc(4096 * sizeof *names);
    char (*vers)[128] = malloc(4096 * sizeof *vers);
    int np = 0;
    while (np < 4096 && fscanf(f, "%127s %127s", names[np], vers[np]) == 2) np++;
    fclose(f);
    char dir[] = "/tmp/dd-bench-rematch-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    char path[256];
    snprintf(path, sizeof path, "%s/scans.db", dir);
    dd_scanstore_t *st;
    dd_err_t e;
    if (dd_scanstore_open(path, &st, &e)) {
        fprintf(stderr, "%s\n", e.msg);
        return 1;
    }
    snprintf(path, sizeof path, "%s/blobs", dir);
    dd_blobstore_t *bs;
    if (dd_blobstore_open("fs", path, &bs, &e)) {
        fprintf(stderr, "%s\n", e.msg);
        return 1;
    }
    srand(42);
    int64_t t0 = dd_mono_ns();
    for (int i = 0; i < N; i++) {
        dd_inventory_t inv;
        dd_inventory_init(&inv);
        dd_arena_t *a = dd_inventory_arena(&inv);
        inv.os.id = dd_arena_strdup(a, "debian");
        inv.os.version_id = dd_arena_strdup(a, "11");
        inv.os.ecosystem = dd_arena_strdup(a, "Debian:11");
        for (int k = 0; k < P; k++) {
            dd_package_t *p = dd_inventory_add(&inv);
            p->type = DD_PKG_DPKG;
            if (rand() % 5) {
                /* most packages of an image have no advisory at all */
                p->name = dd_arena_printf(a, "clean%d", rand() % 5000);
                p->version = dd_arena_printf(a, "1.%d-1", rand() % 4);
                p->source_name = dd_arena_strdup(a, p->name);
                p->source_version = dd_arena_strdup(a, p->version);
                p->layer = k % 4;
                continue;
            }
            int j = rand() % np;
            p->name = dd_arena_printf(a, "%s-bin%d", names[j], k % 3);
            /* some are at a fixed version already */
            p->version = dd_arena_strdup(a, rand() % 8 ? vers[j] : "99:99");
            p->source_name = dd_arena_strdup(a, names[j]);
            p->source_version = dd_arena_strdup(a, p->version);
            p->layer = k % 4;
        }
        dd_buf_t b;
        dd_buf_init(&b, 0);
        dd_inventory_encode(&inv, NULL, 0, &b);
        char digest[80];
        snprintf(digest, sizeof digest, "sha256:%064x", i);
        dd_scanstore_image_pushed(st, "bench/repo", digest, "application/vnd.oci.image.manifest.v1+json", NULL,
                                  false, NULL, NULL);
        dd_image_rec_t r;
        dd_scanstore_image_get(st, digest, &r, NULL);
        r.state = DD_SCAN_DONE;
        r.error[0] = '\0';
        dd_scanstore_image_update(st, &r, NULL);
        dd_scanstore_inventory_put(st, digest, b.ptr, b.len, NULL);
        dd_buf_release(&b);
        dd_inventory_release(&inv);
    }
    fprintf(stderr, "setup: %d images x %d packages in %.2f s\n", N, P, (dd_mono_ns() - t0) / 1e9);
    dd_scanner_opts_t o;
    dd_scanner_opts_default(&o);
    o.blobs = bs;
    o.store = st;
    o.vulndb_path = dbpath;
    dd_scanner_t *sc;
    if (dd_scanner_new(&o, &sc, &e)) {
        fprintf(stderr, "%s\n", e.msg);
        return 1;
    }
    dd_rematch_stats_t s1, s2;
    dd_scanner_rematch_all(sc, &s1, &e);
    dd_scanner_rematch_all(sc, &s2, &e);
    for (int k = 0; getenv("DD_BENCH_EXTRA") && k < atoi(getenv("DD_BENCH_EXTRA")); k++) dd_scanner_rematch_all(sc, &s2, &e);
    printf("rematch first pass:  %zu images in %.3f s (%.0f images/s), %zu new findings\n", s1.images, s1.seconds,
           s1.images / s1.seconds, s1.n_new);
    printf("rematch second pass: %zu images in %.3f s (%.0f images/s), %zu changed\n", s2.images, s2.seconds,
           s2.images / s2.seconds, s2.changed);
    dd_scanner_free(sc);
    dd_scanstore_close(st);
    dd_blobstore_close(bs);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd)) return 1;
    free(names);
    free(vers);
    return 0;
}
