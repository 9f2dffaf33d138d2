/*
 * fuzz_composer.c: libFuzzer driver for Composer's vendor/composer/installed.json (dd_composer_parse_installed, src/catalog/).
 */
#include "catalog/lang_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dd_inventory_t inv;
    dd_inventory_init(&inv);
    dd_err_t e = {0};
    (void)dd_composer_parse_installed((const char *)data, size, "vendor/composer/installed.json", 0, &inv, &e);
    dd_inventory_release(&inv);
    return 0;
}
