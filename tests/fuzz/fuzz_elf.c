/*
 * fuzz_elf.c: libFuzzer driver for the "elf" extractor (src/catalog/elf.c)
 * over arbitrary bytes, read in pieces whose size the first byte picks, and
 * for the Go and cargo-auditable parsers over the record it produces.
 */
#include "catalog/catalog_int.h"

#include <string.h>

struct mem {
    const uint8_t *p;
    size_t n, at, step;
};

static ssize_t mem_read(void *arg, void *buf, size_t n)
{
    struct mem *m = arg;
    if (n > m->step) n = m->step;
    if (n > m->n - m->at) n = m->n - m->at;
    memcpy(buf, m->p + m->at, n);
    m->at += n;
    return (ssize_t)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    size_t step = (size_t)(data[0] + 1) * 61;
    data++, size--;
    const dd_extractor_t *x = dd_catalog_sniff("usr/bin/x", data, size < DD_EXTRACT_HEAD ? size : DD_EXTRACT_HEAD,
                                               size);
    if (!x) return 0;
    struct mem m = {data, size, 0, step};
    dd_buf_t rec;
    dd_buf_init(&rec, 0);
    dd_catalog_extract(x, mem_read, &m, size, "usr/bin/x", &rec);
    if (rec.len) {
        dd_fileset_t fs;
        dd_fileset_init(&fs);
        dd_fileset_put(&fs, "usr/bin/x", rec.ptr, rec.len, 0, 0100755);
        dd_inventory_t inv;
        dd_inventory_init(&inv);
        (void)dd_catalog_run(&fs, &inv, NULL);
        dd_inventory_release(&inv);
        dd_fileset_release(&fs);
    }
    dd_buf_release(&rec);
    return 0;
}
