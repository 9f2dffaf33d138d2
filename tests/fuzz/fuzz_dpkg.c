/*
 * fuzz_dpkg.c: libFuzzer driver for the dpkg status parser (dd_dpkg_parse).
 * The first byte picks status (even) or status.d (odd) mode.
 */
#include "dd/catalog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    dd_inventory_t inv;
    dd_inventory_init(&inv);
    (void)dd_dpkg_parse((const char *)data + 1, size - 1, data[0] & 1, "var/lib/dpkg/status", 0, &inv, NULL);
    dd_inventory_sort(&inv);
    dd_inventory_release(&inv);
    return 0;
}
