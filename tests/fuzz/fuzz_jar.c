/*
 * fuzz_jar.c: libFuzzer driver for the jar extractor (src/catalog/java.c):
 * the input is streamed through it as a file named app.war, as the layer
 * analyzer does, and the record it gives is read back by the maven
 * cataloger's record parser.
 */
#include "catalog/lang_int.h"

#include <string.h>

struct mem {
    const uint8_t *p;
    size_t len, off;
};

static ssize_t mem_read(void *arg, void *buf, size_t n)
{
    struct mem *m = arg;
    size_t k = m->len - m->off < n ? m->len - m->off : n;
    memcpy(buf, m->p + m->off, k);
    m->off += k;
    return (ssize_t)k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mem m = {data, size, 0};
    dd_buf_t rec;
    dd_buf_init(&rec, 0);
    dd_catalog_extract(&dd_extractor_jar, mem_read, &m, size, "opt/app.war", &rec);
    const char *name;
    size_t nl, pl;
    const unsigned char *pay;
    if (dd_catalog_record(rec.ptr ? (const unsigned char *)rec.ptr : (const unsigned char *)"", rec.len, &name,
                          &nl, &pay, &pl)) {
        dd_inventory_t inv;
        dd_inventory_init(&inv);
        dd_err_t e = {0};
        (void)dd_maven_parse_record((const char *)pay, pl, "opt/app.war", 0, &inv, &e);
        dd_inventory_release(&inv);
    }
    dd_buf_release(&rec);
    return 0;
}
