/*
 * fuzz_rpm_header.c: libFuzzer driver for the rpm header blob parser.
 */
#include "dd/catalog.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dd_rpm_header_t h;
    if (dd_rpm_header_parse(data, size, &h, NULL) == DD_OK) {
        /* every returned string must be readable up to its NUL */
        const char *s[] = {h.name, h.version, h.release, h.arch, h.sourcerpm, h.license};
        size_t total = 0;
        for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
            if (s[i]) total += strlen(s[i]);
        (void)total;
    }
    return 0;
}
