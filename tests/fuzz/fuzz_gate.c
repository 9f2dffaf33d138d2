/*
 * fuzz_gate.c: libFuzzer driver for the accept gate's look at a request's
 * header block (dd_http_gate_verdict, src/http/gate.c): any bytes, a verdict
 * of 0, 400 or 413 and no read outside them.
 */
#include "http/gate_int.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size ? size : 1);
    memcpy(buf, data, size);
    int v = dd_http_gate_verdict(buf, size);
    if (v != 0 && v != 400 && v != 413) abort();
    free(buf);
    return 0;
}
