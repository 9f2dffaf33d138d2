/*
 * fuzz_apk.c: libFuzzer driver for the apk installed-database parser.
 */
#include "dd/catalog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dd_inventory_t inv;
    dd_inventory_init(&inv);
    (void)dd_apk_parse((const char *)data, size, "lib/apk/db/installed", 0, &inv, NULL);
    dd_inventory_release(&inv);
    return 0;
}
