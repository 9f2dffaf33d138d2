/*
 * fuzz_sbom.c: libFuzzer driver for the SBOM reader (src/catalog/sbom.c):
 * arbitrary bytes are read as a CycloneDX or SPDX JSON SBOM into an
 * inventory, and the first line also goes through the purl parser.
 */
#include "dd/sbom.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20)) return 0;
    dd_inventory_t inv;
    dd_inventory_init(&inv);
    dd_err_t e = {0};
    (void)dd_sbom_parse((const char *)data, size, "fuzz.json", &inv, NULL, &e);
    dd_inventory_release(&inv);
    size_t n = 0;
    while (n < size && n < 4096 && data[n] != '\n' && data[n] != '\0') n++;
    char *line = dd_strndup((const char *)data, n);
    dd_purl_t *u = malloc(sizeof *u);
    (void)dd_purl_parse(line, u);
    free(u);
    free(line);
    return 0;
}
