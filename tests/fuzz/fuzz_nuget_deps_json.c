/*
 * fuzz_nuget_deps_json.c: libFuzzer driver for the .NET deps.json reader (dd_nuget_parse_deps_json, src/catalog/).
 */
#include "catalog/lang_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dd_inventory_t inv;
    dd_inventory_init(&inv);
    dd_err_t e = {0};
    (void)dd_nuget_parse_deps_json((const char *)data, size, "app.deps.json", 0, &inv, &e);
    dd_inventory_release(&inv);
    return 0;
}
