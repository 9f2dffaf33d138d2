/*
 * fuzz_range.c: libFuzzer driver for Range and Content-Range parsing. The
 * first 8 bytes give the resource size; the rest is the header value.
 */
#include "dd/http.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 8 || size > 4096) return 0;
    uint64_t rsize;
    memcpy(&rsize, data, 8);
    char buf[4100];
    memcpy(buf, data + 8, size - 8);
    buf[size - 8] = '\0';
    uint64_t a = 0, b = 0;
    if (dd_http_parse_range(buf, rsize, &a, &b) == DD_OK) {
        if (!(a <= b && b < rsize)) __builtin_trap();
    }
    if (dd_http_parse_content_range(buf, &a, &b) == DD_OK) {
        if (a > b) __builtin_trap();
    }
    return 0;
}
