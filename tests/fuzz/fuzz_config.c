/*
 * fuzz_config.c: libFuzzer driver for the config file parser.
 */
#include "dd/config.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536) return 0;
    dd_config_t c;
    dd_config_init(&c);
    dd_err_t e;
    (void)dd_config_parse(&c, (const char *)data, size, "fuzz.conf", &e);
    (void)dd_config_finish(&c, &e);
    dd_config_release(&c);
    return 0;
}
