/*
 * fuzz_report.c: libFuzzer driver for the report writers (src/report/).
 * The input is read as an apk installed database (package names, versions,
 * licenses come from images, so they are untrusted), each package gets a
 * finding whose id, title and fixed version are also taken from its fields,
 * and every format is written for one and for two platform images. When
 * the input is valid UTF-8, every JSON format must parse back (jansson,
 * strict): an escaping slip in a writer aborts.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "dd/catalog.h"
#include "dd/report.h"

static bool valid_utf8(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n;) {
        uint8_t c = p[i];
        size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
        if (!len || i + len > n || c == 0) return false;
        if (len == 2 && c < 0xC2) return false;
        for (size_t k = 1; k < len; k++)
            if ((p[i + k] & 0xC0) != 0x80) return false;
        if (len == 3) {
            unsigned cp = ((c & 0x0Fu) << 12) | ((p[i + 1] & 0x3Fu) << 6) | (p[i + 2] & 0x3Fu);
            if (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        }
        if (len == 4) {
            unsigned cp = ((c & 0x07u) << 18) | ((p[i + 1] & 0x3Fu) << 12) | ((p[i + 2] & 0x3Fu) << 6) |
                          (p[i + 3] & 0x3Fu);
            if (cp < 0x10000 || cp > 0x10FFFF) return false;
        }
        i += len;
    }
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1u << 16) return 0;
    dd_inventory_t inv;
    dd_inventory_init(&inv);
    (void)dd_apk_parse((const char *)data, size, "lib/apk/db/installed", 0, &inv, NULL);
    inv.os.id = "alpine";
    inv.os.version_id = "3.18";
    size_t nf = inv.n < 8 ? inv.n : 8;
    dd_finding_t *fv = calloc(nf ? nf : 1, sizeof *fv);
    static const double scores[] = {9.8, 7.5, 5.0, 2.1, 0.0};
    static const char *const versions[] = {"3.1", "4.0", "2.0", NULL, "3.0"};
    static const char *const supp[] = {NULL, "vex", "ignore-list", "vex:fixed", NULL};
    for (size_t i = 0; i < nf; i++) {
        const dd_package_t *p = &inv.pkgs[i];
        fv[i] = (dd_finding_t){.id = p->name, .pkg_index = i, .package = p->name, .version = p->version,
                               .fixed_version = p->license, .fix_state = (dd_fix_state_t)(i % 7),
                               .severity = (dd_severity_t)(i % 6), .severity_source = i % 2 ? "nvd" : p->source_name,
                               .vendor_severity = p->arch, .cvss_score = scores[i % 5],
                               .cvss_vector = p->source_version, .cvss_version = versions[i % 5],
                               .known_exploited = i % 3 == 0, .kev_date_added = p->license, .title = p->source_name,
                               .description = p->license, .suppressed = supp[i % 5] != NULL,
                               .suppressed_by = supp[i % 5], .refs = {p->arch}, .n_refs = p->arch ? 1 : 0};
    }
    dd_findings_t f = {.v = fv, .n = nf, .assessed = true};
    dd_report_image_t ims[2] = {{.name = inv.n ? inv.pkgs[0].name : "x", .inv = &inv, .f = &f},
                                {.name = "y", .inv = &inv, .f = &f}};
    bool utf8 = valid_utf8(data, size);
    for (size_t n = 1; n <= 2; n++) {
        dd_report_t r = {.target = "oci:/tmp/fuzz:1", .images = ims, .n_images = n, .git_sha =
                         "0123456789abcdef0123456789abcdef01234567", .git_ref = "refs/heads/main"};
        for (int fmt = DD_REPORT_TABLE; fmt <= DD_REPORT_GITHUB; fmt++) {
            dd_buf_t b;
            dd_buf_init(&b, 0);
            int rc = dd_report_write((dd_report_format_t)fmt, &r, &b, NULL);
            if (rc == DD_OK && utf8 && fmt != DD_REPORT_TABLE) {
                json_t *j = json_loadb(b.ptr, b.len, JSON_REJECT_DUPLICATES, NULL);
                if (!j) abort();
                json_decref(j);
            }
            dd_buf_release(&b);
        }
    }
    free(fv);
    inv.os.id = NULL;
    inv.os.version_id = NULL;
    dd_inventory_release(&inv);
    return 0;
}
