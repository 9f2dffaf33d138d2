/*
 * fuzz_cargolock.c: libFuzzer driver for the Cargo.lock reader
 * (dd_cargo_lock_parse, src/catalog/cargo.c).
 */
#include "catalog/catalog_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dd_inventory_t inv;
    dd_inventory_init(&inv);
    (void)dd_cargo_lock_parse((const char *)data, size, "Cargo.lock", 0, &inv, NULL);
    dd_inventory_sort(&inv);
    dd_inventory_release(&inv);
    return 0;
}
