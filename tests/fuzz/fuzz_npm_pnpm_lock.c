/*
 * fuzz_npm_pnpm_lock.c: libFuzzer driver for the pnpm-lock.yaml reader (v5, v6, v9 keys) (dd_npm_parse_pnpm_lock, src/catalog/).
 */
#include "catalog/lang_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dd_inventory_t inv;
    dd_inventory_init(&inv);
    dd_err_t e = {0};
    (void)dd_npm_parse_pnpm_lock((const char *)data, size, "pnpm-lock.yaml", 0, &inv, &e);
    dd_inventory_release(&inv);
    return 0;
}
