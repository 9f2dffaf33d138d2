/*
 * fuzz_invcodec.c: libFuzzer driver for the stored inventory decoder
 * (dd_inventory_decode, src/jobs/invcodec.c), which reads the scan store's
 * inventory blobs back for re-assessment. Arbitrary bytes are decoded into
 * a borrowed arena that already holds a package; a rejected input must leave
 * the inventory and the arena as they were, and an accepted version-2 input
 * must re-encode to exactly the same bytes.
 */
#include "dd/scanner.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20)) return 0;
    dd_arena_t job;
    dd_arena_init(&job);
    dd_inventory_t inv;
    dd_inventory_init_in(&inv, &job);
    dd_package_t *k = dd_inventory_add(&inv);
    k->type = DD_PKG_APK;
    k->name = dd_arena_strdup(&job, "kept");
    k->version = dd_arena_strdup(&job, "1");
    size_t total = job.total;
    char **layers = NULL;
    size_t nl = 0;
    dd_err_t e = {0};
    int rc = dd_inventory_decode(data, size, &inv, &layers, &nl, &e);
    if (rc != DD_OK) {
        if (inv.n != 1 || job.total != total || strcmp(inv.pkgs[0].name, "kept") != 0) abort();
    } else if (size >= 8 && data[4] == 2) {
        /* drop the kept package and re-encode what was decoded */
        memmove(inv.pkgs, inv.pkgs + 1, (inv.n - 1) * sizeof *inv.pkgs);
        inv.n--;
        dd_buf_t b;
        dd_buf_init(&b, 0);
        if (dd_inventory_encode(&inv, layers, nl, &b) != DD_OK) abort();
        if (b.len != size || memcmp(b.ptr, data, size) != 0) abort();
        dd_buf_release(&b);
    }
    dd_inventory_release(&inv);
    dd_arena_release(&job);
    return 0;
}
