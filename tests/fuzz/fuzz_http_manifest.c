/*
 * fuzz_http_manifest.c: libFuzzer driver for the registry's manifest
 * validation (src/registry/manifest_check.c): the bytes of a pushed manifest
 * with each known Content-Type and none.
 */
#include "registry/registry_int.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1 << 20)) return 0;
    static const char *types[] = {NULL, "application/vnd.oci.image.manifest.v1+json",
                                  "application/vnd.oci.image.index.v1+json",
                                  "application/vnd.docker.distribution.manifest.v2+json"};
    const char *ct = types[size % 4];
    dd_arena_t a;
    dd_arena_init(&a);
    mcheck_t m;
    dd_err_t e;
    (void)reg_manifest_check((const char *)data, size, ct, &a, &m, &e);
    dd_arena_release(&a);
    return 0;
}
