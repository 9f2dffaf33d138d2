/*
 * bench_analyzer.c: layer analysis throughput. Usage: bench_analyzer LAYER [RUNS]
 * Analyzes LAYER (gzip / zstd / tar) RUNS times with the default limits and
 * the catalog's interest table, and prints the best run as
 *   analyzer: ... in <s> s = <MB/s> MB/s, cpu <s> s = <MB/s> MB/s per cpu-second, peak RSS
 * where MB/s counts compressed input bytes (the measure); the CPU
 * figure is what to compare on a shared, loaded machine.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "dd/analyzer.h"

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s LAYER [RUNS]\n", argv[0]);
        return 2;
    }
    int runs = argc > 2 ? atoi(argv[2]) : 3;
    double best = 1e30, best_cpu = 1e30;
    uint64_t in = 0, out = 0;
    size_t kept = 0;
    for (int i = 0; i < runs; i++) {
        dd_analyze_limits_t l;
        dd_analyze_limits_default(&l);
        dd_layer_result_t r;
        dd_layer_result_init(&r);
        dd_err_t e = {0};
        struct rusage u0, u1;
        getrusage(RUSAGE_SELF, &u0);
        int64_t t0 = dd_mono_ns();
        int rc = dd_layer_analyze_file(argv[1], &l, &r, &e);
        double s = (double)(dd_mono_ns() - t0) / 1e9;
        getrusage(RUSAGE_SELF, &u1);
        double cpu = (double)(u1.ru_utime.tv_sec - u0.ru_utime.tv_sec + u1.ru_stime.tv_sec - u0.ru_stime.tv_sec) +
                     (double)(u1.ru_utime.tv_usec - u0.ru_utime.tv_usec + u1.ru_stime.tv_usec - u0.ru_stime.tv_usec) / 1e6;
        if (cpu < best_cpu) best_cpu = cpu;
        if (rc != DD_OK) {
            fprintf(stderr, "analyze failed: %s\n", e.msg);
            return 1;
        }
        if (s < best) best = s;
        in = r.bytes_in;
        out = r.bytes_out;
        kept = r.files.n;
        dd_layer_result_release(&r);
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("analyzer: %.1f MB compressed (%.1f MB tar, %zu kept files) in %.3f s = %.1f MB/s, "
           "cpu %.3f s = %.1f MB/s per cpu-second, peak RSS %ld KiB\n",
           (double)in / 1e6, (double)out / 1e6, kept, best, (double)in / 1e6 / best, best_cpu,
           (double)in / 1e6 / best_cpu, ru.ru_maxrss);
    return 0;
}
