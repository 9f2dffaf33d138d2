/*
 * fuzz_npm_package_json.c: libFuzzer driver for an installed package.json (dd_npm_parse_package_json, src/catalog/).
 */
#include "catalog/lang_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dd_inventory_t inv;
    dd_inventory_init(&inv);
    dd_err_t e = {0};
    (void)dd_npm_parse_package_json((const char *)data, size, "node_modules/x/package.json", 0, &inv, &e);
    dd_inventory_release(&inv);
    return 0;
}
