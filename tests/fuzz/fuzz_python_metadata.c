/*
 * fuzz_python_metadata.c: libFuzzer driver for the Python core-metadata
 * parser (METADATA, PKG-INFO, .egg-info files).
 */
#include "dd/catalog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dd_inventory_t inv;
    dd_inventory_init(&inv);
    (void)dd_python_metadata_parse((const char *)data, size, "x.dist-info/METADATA", 0, &inv, NULL);
    dd_inventory_release(&inv);
    return 0;
}
