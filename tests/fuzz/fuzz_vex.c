/*
 * fuzz_vex.c: libFuzzer driver for the OpenVEX reader (src/match/suppress.c):
 * arbitrary bytes are parsed as an OpenVEX document and, if accepted,
 * applied to a small fixed set of findings (exercising product and purl
 * matching on whatever the document holds).
 */
#include "dd/suppress.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20)) return 0;
    dd_suppress_t s;
    dd_suppress_init(&s);
    dd_err_t e = {0};
    if (dd_suppress_parse_vex(&s, (const char *)data, size, "fuzz.vex.json", &e) == DD_OK) {
        dd_inventory_t inv;
        dd_inventory_init(&inv);
        dd_package_t *p = dd_inventory_add(&inv);
        p->type = DD_PKG_DPKG;
        p->name = dd_arena_strdup(dd_inventory_arena(&inv), "zlib1g");
        p->version = dd_arena_strdup(dd_inventory_arena(&inv), "1:1.2.13.dfsg-1");
        p->source_name = dd_arena_strdup(dd_inventory_arena(&inv), "zlib");
        p->arch = dd_arena_strdup(dd_inventory_arena(&inv), "amd64");
        dd_findings_t f;
        dd_findings_init(&f);
        f.v = dd_calloc(1, sizeof *f.v);
        f.n = f.cap = 1;
        f.v[0].id = "CVE-2099-0001";
        f.v[0].aliases[0] = "GHSA-xxxx-yyyy-zzzz";
        f.v[0].n_aliases = 1;
        f.v[0].package = "zlib1g";
        f.v[0].version = "1:1.2.13.dfsg-1";
        dd_supp_target_t t = {"oci:./app:1.0", "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"};
        dd_suppress_apply(&s, &inv, &t, &f);
        dd_findings_release(&f);
        dd_inventory_release(&inv);
    }
    dd_suppress_release(&s);
    return 0;
}
