/*
 * fuzz_npm_yarn_lock.c: libFuzzer driver for the yarn.lock reader (v1 text, berry YAML) (dd_npm_parse_yarn_lock, src/catalog/).
 */
#include "catalog/lang_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dd_inventory_t inv;
    dd_inventory_init(&inv);
    dd_err_t e = {0};
    (void)dd_npm_parse_yarn_lock((const char *)data, size, "yarn.lock", 0, &inv, &e);
    dd_inventory_release(&inv);
    return 0;
}
