/*
 * fuzz_gemspec.c: libFuzzer driver for the gemspec reader (dd_gem_parse_gemspec, src/catalog/).
 */
#include "catalog/lang_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dd_inventory_t inv;
    dd_inventory_init(&inv);
    dd_err_t e = {0};
    (void)dd_gem_parse_gemspec((const char *)data, size, "specifications/x-1.0.gemspec", 0, &inv, &e);
    dd_inventory_release(&inv);
    return 0;
}
