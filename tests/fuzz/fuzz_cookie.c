/*
 * fuzz_cookie.c: libFuzzer driver for the Cookie header lookup of the web
 * console's session (dd_cookie_find, src/auth/session.c): the input is the
 * header; the value found must lie inside it and hold no ';'.
 */
#include "dd/auth.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 16384) return 0;
    char *h = malloc(size + 1);
    memcpy(h, data, size);
    h[size] = '\0';
    size_t n = 0;
    const char *v = dd_cookie_find(h, "dd_session", &n);
    if (v) {
        if (v < h || v + n > h + strlen(h)) __builtin_trap();
        if (memchr(v, ';', n)) __builtin_trap();
        if (v < h + 11 || memcmp(v - 11, "dd_session=", 11)) __builtin_trap();
    }
    free(h);
    return 0;
}
