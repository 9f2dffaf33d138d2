/*
 * cyclonedx.c: CycloneDX 1.5 JSON: the image as the metadata component, the
 * OS and its packages as components (with purls), and the reported
 * findings as vulnerabilities affecting them.
 */
#include "report_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *purl_type(dd_pkg_type_t t)
{
    return t == DD_PKG_DPKG ? "deb" : t == DD_PKG_APK ? "apk" : "rpm";
}

void dd_report_purl(const dd_inventory_t *inv, const dd_package_t *p, dd_buf_t *b)
{
    const char *ns = inv->os.id ? inv->os.id : "unknown";
    dd_buf_printf(b, "pkg:%s/", purl_type(p->type));
    dd_buf_pct_encode(b, ns, NULL);
    dd_buf_putc(b, '/');
    dd_buf_pct_encode(b, p->name, NULL);
    dd_buf_putc(b, '@');
    dd_buf_pct_encode(b, p->version, NULL);
    char sep = '?';
    if (p->arch) {
        dd_buf_printf(b, "%carch=", sep);
        dd_buf_pct_encode(b, p->arch, NULL);
        sep = '&';
    }
    if (p->source_name && strcmp(p->source_name, p->name) != 0 && p->type != DD_PKG_RPM) {
        dd_buf_printf(b, "%cupstream=", sep);
        dd_buf_pct_encode(b, p->source_name, NULL);
        sep = '&';
    }
    if (inv->os.id && inv->os.version_id) {
        dd_buf_printf(b, "%cdistro=", sep);
        dd_buf_pct_encode(b, inv->os.id, NULL);
        dd_buf_putc(b, '-');
        dd_buf_pct_encode(b, inv->os.version_id, NULL);
    }
}

static void cyclonedx_image(dd_buf_t *b, const dd_report_image_t *im)
{
    const dd_image_desc_t *img = im->img;
    const dd_inventory_t *inv = im->inv;
    const dd_findings_t *f = im->f;
    const char *digest = img ? img->digest.str : "";
    const char *name = im->name ? im->name : img && img->ref ? img->ref : digest;
    char serial[33];
    dd_random_hex(serial, 16);
    char now[32];
    dd_time_rfc3339(dd_now_ms() / 1000, now);
    dd_buf_printf(b, "{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.5\","
                     "\"serialNumber\":\"urn:uuid:%.8s-%.4s-%.4s-%.4s-%.12s\",\"version\":1,",
                  serial, serial + 8, serial + 12, serial + 16, serial + 20);
    dd_buf_puts(b, "\"metadata\":{\"timestamp\":");
    dd_buf_json_str(b, now);
    dd_buf_puts(b, ",\"tools\":{\"components\":[{\"type\":\"application\",\"name\":\"drydock\"}]},"
                   "\"component\":{\"type\":\"container\",\"bom-ref\":");
    dd_buf_json_str(b, *digest ? digest : name);
    dd_buf_puts(b, ",\"name\":");
    dd_buf_json_str(b, name);
    dd_buf_puts(b, ",\"version\":");
    dd_buf_json_str(b, digest);
    dd_buf_puts(b, "}},\"components\":[");
    if (inv->os.id) {
        dd_buf_puts(b, "{\"type\":\"operating-system\",\"bom-ref\":\"os\",\"name\":");
        dd_buf_json_str(b, inv->os.id);
        dd_buf_puts(b, ",\"version\":");
        dd_buf_json_str(b, inv->os.version_id ? inv->os.version_id : "");
        dd_buf_puts(b, "}");
    }
    for (size_t i = 0; i < inv->n; i++) {
        const dd_package_t *p = &inv->pkgs[i];
        if (i || inv->os.id) dd_buf_putc(b, ',');
        dd_buf_t pu;
        dd_buf_init(&pu, 0);
        dd_report_purl(inv, p, &pu);
        dd_buf_puts(b, "{\"type\":\"library\",\"bom-ref\":");
        dd_buf_json_str(b, pu.ptr);
        dd_buf_puts(b, ",\"name\":");
        dd_buf_json_str(b, p->name);
        dd_buf_puts(b, ",\"version\":");
        dd_buf_json_str(b, p->version);
        dd_buf_puts(b, ",\"purl\":");
        dd_buf_json_str(b, pu.ptr);
        if (p->license) {
            dd_buf_puts(b, ",\"licenses\":[{\"expression\":");
            dd_buf_json_str(b, p->license);
            dd_buf_puts(b, "}]");
        }
        dd_buf_puts(b, ",\"properties\":[{\"name\":\"drydock:package:type\",\"value\":");
        dd_buf_json_str(b, dd_pkg_type_name(p->type));
        dd_buf_puts(b, "},{\"name\":\"drydock:package:source\",\"value\":");
        dd_buf_json_str(b, p->source_name ? p->source_name : p->name);
        dd_buf_printf(b, "},{\"name\":\"drydock:layer\",\"value\":\"%d\"}]}", p->layer);
        dd_buf_release(&pu);
    }
    dd_buf_puts(b, "],\"vulnerabilities\":[");
    size_t nv = 0;
    for (size_t i = 0; i < f->n; i++) {
        const dd_finding_t *x = &f->v[i];
        if (x->suppressed) continue;
        if (nv++) dd_buf_putc(b, ',');
        dd_buf_t pu;
        dd_buf_init(&pu, 0);
        dd_report_purl(inv, &inv->pkgs[x->pkg_index], &pu);
        dd_buf_puts(b, "{\"id\":");
        dd_buf_json_str(b, x->id);
        dd_buf_puts(b, ",\"ratings\":[{\"severity\":");
        char sev[16];
        snprintf(sev, sizeof sev, "%s", dd_severity_name(x->severity));
        for (char *c = sev; *c; c++) *c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
        dd_buf_json_str(b, !strcmp(sev, "negligible") ? "info" : sev);
        if (x->cvss_score > 0) dd_buf_printf(b, ",\"score\":%.1f,\"method\":\"CVSSv31\"", x->cvss_score);
        if (x->cvss_vector) {
            dd_buf_puts(b, ",\"vector\":");
            dd_buf_json_str(b, x->cvss_vector);
        }
        dd_buf_puts(b, "}]");
        if (x->description) {
            dd_buf_puts(b, ",\"description\":");
            dd_buf_json_str(b, x->description);
        }
        if (x->n_advisories) {
            dd_buf_puts(b, ",\"advisories\":[");
            for (size_t k = 0; k < x->n_advisories; k++) {
                if (k) dd_buf_putc(b, ',');
                dd_buf_puts(b, "{\"title\":");
                dd_buf_json_str(b, x->advisories[k]);
                dd_buf_puts(b, "}");
            }
            dd_buf_putc(b, ']');
        }
        dd_buf_puts(b, ",\"affects\":[{\"ref\":");
        dd_buf_json_str(b, pu.ptr);
        dd_buf_puts(b, "}]");
        if (x->fixed_version) {
            dd_buf_puts(b, ",\"recommendation\":");
            char *r = dd_asprintf("Upgrade %s to %s", x->package, x->fixed_version);
            dd_buf_json_str(b, r);
            free(r);
        }
        dd_buf_putc(b, '}');
        dd_buf_release(&pu);
    }
    dd_buf_puts(b, "]}");
}


int report_cyclonedx(const dd_report_t *r, dd_buf_t *out, dd_err_t *e)
{
    (void)e;
    if (r->n_images > 1) dd_buf_putc(out, '[');
    for (size_t i = 0; i < r->n_images; i++) {
        if (i) dd_buf_putc(out, ',');
        cyclonedx_image(out, &r->images[i]);
    }
    if (r->n_images > 1) dd_buf_putc(out, ']');
    return dd_buf_putc(out, '\n');
}
