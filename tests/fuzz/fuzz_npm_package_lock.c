/*
 * fuzz_npm_package_lock.c: libFuzzer driver for the package-lock.json reader (v1 tree, v2/v3 packages map) (dd_npm_parse_package_lock, src/catalog/).
 */
#include "catalog/lang_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dd_inventory_t inv;
    dd_inventory_init(&inv);
    dd_err_t e = {0};
    (void)dd_npm_parse_package_lock((const char *)data, size, "package-lock.json", 0, &inv, &e);
    dd_inventory_release(&inv);
    return 0;
}
