/*
 * fuzz_ignorefile.c: libFuzzer driver for the ignore-file parsers
 * (src/match/suppress.c): the first byte picks the text form
 * (.trivyignore / .drydockignore) or the YAML form (.trivyignore.yaml); the
 * rest is parsed. Bad input must give an error, never a crash or a leak.
 */
#include "dd/suppress.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > (1u << 20)) return 0;
    dd_suppress_t s;
    dd_suppress_init(&s);
    memcpy(s.today, "2026-01-01", 11);
    dd_err_t e = {0};
    const char *p = (const char *)data + 1;
    if (data[0] & 1) (void)dd_suppress_parse_ignore_yaml(&s, p, size - 1, ".trivyignore.yaml", &e);
    else (void)dd_suppress_parse_ignore(&s, p, size - 1, ".trivyignore", &e);
    dd_suppress_release(&s);
    return 0;
}
