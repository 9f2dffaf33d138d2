/*
 * spdx.c: SPDX 2.3 JSON: one document describing the scanned image(s).
 *
 * Each platform image is a root package (primaryPackagePurpose CONTAINER,
 * an oci purl when the digest is known) that the document DESCRIBES; its
 * OS (OPERATING_SYSTEM) and OS packages are packages it CONTAINS, each
 * package with its purl as a PACKAGE-MANAGER external reference. SPDXIDs
 * are positional ("SPDXRef-Image-0", "SPDXRef-Package-0-12"), so the same
 * inventory always gives the same ids. documentNamespace is derived from
 * the image digest (several images: the SHA-256 of their digests; no
 * manifest: of the target and the purls), never random. Licenses are
 * NOASSERTION: package databases do not hold SPDX expressions; the text
 * they give goes into licenseComments.
 */
#include "report_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The part of the namespace that identifies the document. */
static void doc_key(const dd_report_t *r, char out[65])
{
    if (r->n_images == 1 && r->images[0].img) {
        snprintf(out, 65, "%s", dd_digest_hex(&r->images[0].img->digest));
        return;
    }
    dd_buf_t k;
    dd_buf_init(&k, 0);
    dd_buf_puts(&k, r->target ? r->target : "");
    for (size_t i = 0; i < r->n_images; i++) {
        const dd_report_image_t *im = &r->images[i];
        dd_buf_putc(&k, '\n');
        if (im->img) {
            dd_buf_puts(&k, im->img->digest.str);
            continue;
        }
        for (size_t j = 0; j < im->inv->n; j++) {
            dd_buf_putc(&k, '\n');
            dd_report_purl(im->inv, &im->inv->pkgs[j], &k);
        }
    }
    report_sha256_hex(k.ptr ? k.ptr : "", k.len, out);
    dd_buf_release(&k);
}

static void purl_ref(dd_buf_t *b, const char *purl)
{
    dd_buf_puts(b, ",\"externalRefs\":[{\"referenceCategory\":\"PACKAGE-MANAGER\",\"referenceType\":\"purl\","
                   "\"referenceLocator\":");
    dd_buf_json_str(b, purl);
    dd_buf_puts(b, "}]");
}

static void relationship(dd_buf_t *b, int *n, const char *from, const char *type, const char *to)
{
    dd_buf_puts(b, (*n)++ ? ",{" : "{");
    dd_buf_printf(b, "\"spdxElementId\":\"%s\",\"relationshipType\":\"%s\",\"relatedSpdxElement\":\"%s\"}", from, type,
                  to);
}

/* The oci purl of an image: pkg:oci/<last path part>@<digest>?arch=... */
static void image_purl(const dd_report_image_t *im, const char *name, dd_buf_t *out)
{
    const char *base = name;
    /* "registry/ns/app:1.0" or "./layouts/app:1.0" -> "app" */
    const char *slash = strrchr(name, '/');
    if (slash && slash[1]) base = slash + 1;
    size_t len = strcspn(base, ":@");
    char buf[256];
    snprintf(buf, sizeof buf, "%.*s", (int)(len < 200 ? len : 200), base);
    for (char *c = buf; *c; c++)
        if (*c >= 'A' && *c <= 'Z') *c = (char)(*c + 32);
    dd_buf_puts(out, "pkg:oci/");
    dd_buf_pct_encode(out, *buf ? buf : "image", NULL);
    dd_buf_putc(out, '@');
    dd_buf_pct_encode(out, im->img->digest.str, NULL);
    if (im->img->platform.architecture) {
        dd_buf_puts(out, "?arch=");
        dd_buf_pct_encode(out, im->img->platform.architecture, NULL);
    }
}

int report_spdx(const dd_report_t *r, dd_buf_t *b, dd_err_t *e)
{
    (void)e;
    char key[65], now[32];
    doc_key(r, key);
    dd_time_rfc3339(dd_now_ms() / 1000, now);
    dd_buf_t name;
    dd_buf_init(&name, 0);
    if (r->n_images == 1) report_image_name(r, &r->images[0], &name);
    else dd_buf_puts(&name, r->target ? r->target : "images");

    dd_buf_puts(b, "{\"spdxVersion\":\"SPDX-2.3\",\"dataLicense\":\"CC0-1.0\",\"SPDXID\":\"SPDXRef-DOCUMENT\",\"name\":");
    dd_buf_json_str(b, name.ptr);
    dd_buf_printf(b, ",\"documentNamespace\":\"https://drydock.dev/spdx/%s\",", key);
    dd_buf_puts(b, "\"creationInfo\":{\"created\":");
    dd_buf_json_str(b, now);
    dd_buf_puts(b, ",\"creators\":[");
    char *tool = dd_asprintf("Tool: drydock-%s", report_tool_version(r));
    dd_buf_json_str(b, tool);
    free(tool);
    dd_buf_puts(b, "]},\"packages\":[");
    int np = 0;
    for (size_t i = 0; i < r->n_images; i++) {
        const dd_report_image_t *im = &r->images[i];
        const dd_inventory_t *inv = im->inv;
        dd_buf_t iname;
        dd_buf_init(&iname, 0);
        report_image_name(r, im, &iname);
        char plat[128];
        report_platform(im, plat);
        if (np++) dd_buf_putc(b, ',');
        dd_buf_printf(b, "{\"SPDXID\":\"SPDXRef-Image-%zu\",\"name\":", i);
        dd_buf_json_str(b, iname.ptr);
        if (im->img) {
            dd_buf_puts(b, ",\"versionInfo\":");
            dd_buf_json_str(b, im->img->digest.str);
            dd_buf_printf(b, ",\"checksums\":[{\"algorithm\":\"%s\",\"checksumValue\":\"%s\"}]",
                          im->img->digest.alg == DD_DIGEST_SHA512 ? "SHA512" : "SHA256",
                          dd_digest_hex(&im->img->digest));
        }
        dd_buf_puts(b, ",\"downloadLocation\":\"NOASSERTION\",\"filesAnalyzed\":false,"
                       "\"primaryPackagePurpose\":\"CONTAINER\"");
        if (*plat) {
            dd_buf_puts(b, ",\"comment\":");
            char *c = dd_asprintf("platform %s", plat);
            dd_buf_json_str(b, c);
            free(c);
        }
        if (im->img) {
            dd_buf_t pu;
            dd_buf_init(&pu, 0);
            image_purl(im, iname.ptr, &pu);
            purl_ref(b, pu.ptr);
            dd_buf_release(&pu);
        }
        dd_buf_putc(b, '}');
        dd_buf_release(&iname);
        if (inv->os.id) {
            dd_buf_printf(b, ",{\"SPDXID\":\"SPDXRef-OS-%zu\",\"name\":", i);
            dd_buf_json_str(b, inv->os.id);
            if (inv->os.version_id) {
                dd_buf_puts(b, ",\"versionInfo\":");
                dd_buf_json_str(b, inv->os.version_id);
            }
            dd_buf_puts(b, ",\"downloadLocation\":\"NOASSERTION\",\"filesAnalyzed\":false,"
                           "\"primaryPackagePurpose\":\"OPERATING_SYSTEM\"");
            if (inv->os.pretty_name) {
                dd_buf_puts(b, ",\"description\":");
                dd_buf_json_str(b, inv->os.pretty_name);
            }
            dd_buf_putc(b, '}');
        }
        for (size_t j = 0; j < inv->n; j++) {
            const dd_package_t *p = &inv->pkgs[j];
            dd_buf_printf(b, ",{\"SPDXID\":\"SPDXRef-Package-%zu-%zu\",\"name\":", i, j);
            dd_buf_json_str(b, p->name);
            dd_buf_puts(b, ",\"versionInfo\":");
            dd_buf_json_str(b, p->version);
            dd_buf_puts(b, ",\"downloadLocation\":\"NOASSERTION\",\"filesAnalyzed\":false,"
                           "\"licenseConcluded\":\"NOASSERTION\",\"licenseDeclared\":\"NOASSERTION\","
                           "\"copyrightText\":\"NOASSERTION\",\"primaryPackagePurpose\":\"LIBRARY\"");
            if (p->license) {
                dd_buf_puts(b, ",\"licenseComments\":");
                char *c = dd_asprintf("the package database gives: %s", p->license);
                dd_buf_json_str(b, c);
                free(c);
            }
            if (p->source_name && strcmp(p->source_name, p->name) != 0) {
                dd_buf_puts(b, ",\"sourceInfo\":");
                char *c = dd_asprintf("built from source package %s %s", p->source_name,
                                      p->source_version ? p->source_version : p->version);
                dd_buf_json_str(b, c);
                free(c);
            }
            dd_buf_t pu;
            dd_buf_init(&pu, 0);
            dd_report_purl(inv, p, &pu);
            purl_ref(b, pu.ptr);
            dd_buf_release(&pu);
            dd_buf_putc(b, '}');
        }
    }
    dd_buf_puts(b, "],\"relationships\":[");
    int nr = 0;
    char from[64], to[64];
    for (size_t i = 0; i < r->n_images; i++) {
        const dd_inventory_t *inv = r->images[i].inv;
        snprintf(from, sizeof from, "SPDXRef-Image-%zu", i);
        relationship(b, &nr, "SPDXRef-DOCUMENT", "DESCRIBES", from);
        if (inv->os.id) {
            snprintf(to, sizeof to, "SPDXRef-OS-%zu", i);
            relationship(b, &nr, from, "CONTAINS", to);
        }
        for (size_t j = 0; j < inv->n; j++) {
            snprintf(to, sizeof to, "SPDXRef-Package-%zu-%zu", i, j);
            relationship(b, &nr, from, "CONTAINS", to);
        }
    }
    dd_buf_puts(b, "]}");
    dd_buf_release(&name);
    return dd_buf_putc(b, '\n');
}
