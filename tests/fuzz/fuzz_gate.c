/*
 * fuzz_gate.c: libFuzzer driver for the accept gate's look at a
 * connection's first bytes (dd_http_gate_sniff, src/http/gate.c): any
 * bytes, one of the four verdicts, no read outside them, and a verdict that
 * more bytes cannot turn from HTTP or TLS into something else.
 */
#include "http/gate_int.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char *buf = malloc(size ? size : 1);
    memcpy(buf, data, size);
    dd_gate_verdict_t v = dd_http_gate_sniff(buf, size);
    if (v != DD_GATE_HTTP && v != DD_GATE_MORE && v != DD_GATE_TLS && v != DD_GATE_JUNK) abort();
    for (size_t k = 0; k < size; k++) {
        dd_gate_verdict_t w = dd_http_gate_sniff(buf, k); /* a prefix: MORE or the same verdict */
        if (w != DD_GATE_MORE && w != v) abort();
    }
    free(buf);
    return 0;
}
