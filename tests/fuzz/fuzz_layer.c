/*
 * fuzz_layer.c: bytes as a layer stream (gzip / zstd / tar) through the
 * analyzer, then the result through the cache format and the overlay.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dd/analyzer.h"

static bool want_all(const char *p, void *arg)
{
    (void)arg;
    return strncmp(p, "etc/", 4) == 0 || strncmp(p, "var/", 4) == 0 || strncmp(p, "lib/", 4) == 0;
}

static size_t max_1m(const char *p, void *arg)
{
    (void)p;
    (void)arg;
    return 1u << 20;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dd_analyze_limits_t l;
    dd_analyze_limits_default(&l);
    l.max_out_bytes = 32u << 20;
    l.max_kept_bytes = 4u << 20;
    l.max_entries = 10000;
    l.wants = want_all;
    l.max_file_size = max_1m;
    l.compute_diff_id = size & 1;
    dd_layer_result_t r;
    dd_layer_result_init(&r);
    if (dd_layer_analyze_mem(data, size, &l, &r, NULL) == DD_OK) {
        dd_buf_t b;
        dd_buf_init(&b, 0);
        if (dd_layer_result_serialize(&r, &b) == DD_OK) {
            dd_layer_result_t back;
            if (dd_layer_result_deserialize(b.ptr, b.len, &back, NULL) != DD_OK) abort();
            if (back.files.n != r.files.n || back.n_whiteouts != r.n_whiteouts) abort();
            dd_layer_result_t two[2] = {r, back};
            dd_fileset_t fs;
            dd_fileset_init(&fs);
            dd_overlay(two, 2, &fs, NULL);
            dd_fileset_release(&fs);
            dd_layer_result_release(&back);
        }
        dd_buf_release(&b);
    }
    dd_layer_result_release(&r);
    return 0;
}
