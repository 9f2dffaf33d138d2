/*
 * fuzz_maven_record.c: libFuzzer driver for the maven cataloger's reading of jar extractor records (dd_maven_parse_record, src/catalog/).
 */
#include "catalog/lang_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dd_inventory_t inv;
    dd_inventory_init(&inv);
    dd_err_t e = {0};
    (void)dd_maven_parse_record((const char *)data, size, "app.war", 0, &inv, &e);
    dd_inventory_release(&inv);
    return 0;
}
