/*
 * fuzz_json_str.c: libFuzzer driver for dd_buf_json_str, the one writer of
 * JSON strings (issue 20 item 1): whatever the bytes, the output must be a
 * JSON string that jansson (strict UTF-8) parses, and valid UTF-8 input
 * (control characters included, which come back from their escapes) must
 * round-trip unchanged.
 */
#include "dd/core.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0'; /* the writer takes C strings: stop at the first NUL */
    dd_buf_t b;
    dd_buf_init(&b, 0);
    if (dd_buf_json_str(&b, s) == DD_OK) {
        json_error_t je;
        json_t *j = json_loadb(b.ptr, b.len, JSON_DECODE_ANY, &je);
        if (!j || !json_is_string(j)) abort();
        /* round trip when the input was valid UTF-8 */
        dd_buf_t v;
        dd_buf_init(&v, 0);
        size_t n = strlen(s);
        dd_buf_utf8_valid(&v, s, n);
        if (v.len == n && strcmp(json_string_value(j), s) != 0) abort();
        dd_buf_release(&v);
        json_decref(j);
    }
    dd_buf_release(&b);
    free(s);
    return 0;
}
