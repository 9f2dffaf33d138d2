/*
 * cyclonedx.c: CycloneDX 1.5 JSON, as an SBOM (`cyclonedx`) and as a VEX
 * (`cyclonedx-vex`).
 *
 * SBOM: the image is the metadata component, its OS and packages are
 * components (bom-ref = purl), and the reported findings are vulnerabilities
 * affecting them. Several platform images: the metadata component is the
 * target, each platform image is a container component with its OS and
 * packages nested under it (bom-refs "<platform>|<purl>"), and each finding
 * affects the package of its own image.
 *
 * VEX: no components; one vulnerability per finding, affects naming the
 * package by purl, and an analysis: "exploitable" for a reported finding,
 * "not_affected" when the vendor says so or a VEX statement hid it,
 * "resolved" when a VEX statement says it is fixed. Findings hidden by
 * display filters (ignore list, min severity, unfixed) are left out.
 *
 * Ratings (both): one per source. The CVSS score with its method
 * (CVSSv2/CVSSv3/CVSSv31/CVSSv4 from cvss_version), vector and source
 * (cvss_source), and the severity word of severity_source when that is a
 * different source. KEV, EPSS and the severity's provenance are properties.
 */
#include "report_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *purl_type(dd_pkg_type_t t)
{
    return t == DD_PKG_DPKG ? "deb" : t == DD_PKG_APK ? "apk" : "rpm";
}

/* The purl of an application package (github.com/package-url/purl-spec,
 * PURL-TYPES): type, then the namespace and name segments each
 * percent-encoded, "@" and the version as published.
 *   pypi      pkg:pypi/<name lowercased, "_" -> "-">@<v>
 *   npm       pkg:npm/%40scope/name@<v> (the scope's "@" encoded), pkg:npm/name@<v>
 *   golang    pkg:golang/<module path, "/" kept>@<v>
 *   maven     pkg:maven/<group>/<artifact>@<v> (name "group:artifact")
 *   composer  pkg:composer/<vendor>/<name>@<v>
 *   gem, cargo, nuget: pkg:<type>/<name>@<v> */
static void app_purl(const dd_package_t *p, dd_buf_t *b)
{
    const char *name = p->name ? p->name : "";
    dd_buf_printf(b, "pkg:%s/", dd_pkg_type_name(p->type));
    switch (p->type) {
    case DD_PKG_PYPI:
        for (const char *c = name; *c; c++) {
            char ch = *c == '_' ? '-' : (*c >= 'A' && *c <= 'Z') ? (char)(*c - 'A' + 'a') : *c;
            char one[2] = {ch, 0};
            dd_buf_pct_encode(b, one, NULL);
        }
        break;
    case DD_PKG_MAVEN: {
        const char *colon = strchr(name, ':');
        if (colon) {
            char *g = dd_strndup(name, (size_t)(colon - name));
            dd_buf_pct_encode(b, g, NULL);
            free(g);
            dd_buf_putc(b, '/');
            dd_buf_pct_encode(b, colon + 1, NULL);
        } else {
            dd_buf_pct_encode(b, name, NULL);
        }
        break;
    }
    case DD_PKG_NPM:
    case DD_PKG_GOLANG:
    case DD_PKG_COMPOSER:
        /* segments split at "/"; each encoded ("@" of an npm scope too) */
        dd_buf_pct_encode(b, name, "/");
        break;
    default:
        dd_buf_pct_encode(b, name, NULL);
        break;
    }
    dd_buf_putc(b, '@');
    dd_buf_pct_encode(b, p->version ? p->version : "", NULL);
}

void dd_report_purl(const dd_inventory_t *inv, const dd_package_t *p, dd_buf_t *b)
{
    if (dd_pkg_type_is_app(p->type)) {
        app_purl(p, b);
        return;
    }
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

/* CycloneDX's severity words: negligible is "info". */
static const char *cdx_severity(dd_severity_t s)
{
    return s == DD_SEV_NEGLIGIBLE ? "info" : report_sev_lower(s);
}

/* The severity band of a CVSS score (v3/v4 bands; v2 has no critical). */
static const char *score_severity(double score, const char *version)
{
    bool v2 = version && !strcmp(version, "2.0");
    if (score >= 9.0 && !v2) return "critical";
    if (score >= 7.0) return "high";
    if (score >= 4.0) return "medium";
    if (score > 0.0) return "low";
    return "none";
}

static void put_source(dd_buf_t *b, const char *key)
{
    const char *url;
    const char *name = report_source_name(key, &url);
    dd_buf_puts(b, "\"source\":{\"name\":");
    dd_buf_json_str(b, name);
    if (url) {
        dd_buf_puts(b, ",\"url\":");
        dd_buf_json_str(b, url);
    }
    dd_buf_putc(b, '}');
}

static void put_ratings(dd_buf_t *b, const dd_finding_t *x)
{
    int n = 0;
    dd_buf_puts(b, ",\"ratings\":[");
    bool cvss = x->cvss_score > 0;
    const char *version = report_cvss_version(x);
    const char *src = report_cvss_source(x);
    /* the severity is the CVSS rating's own when both come from the same place */
    bool same = cvss && x->severity_source &&
                (!strcmp(x->severity_source, "cvss") || (src && !strcmp(x->severity_source, src)));
    if (cvss) {
        dd_buf_putc(b, '{');
        if (src) {
            put_source(b, src);
            dd_buf_putc(b, ',');
        }
        dd_buf_printf(b, "\"score\":%.1f,\"severity\":", x->cvss_score);
        dd_buf_json_str(b, same && x->severity != DD_SEV_UNKNOWN ? cdx_severity(x->severity)
                                                                 : score_severity(x->cvss_score, version));
        dd_buf_puts(b, ",\"method\":");
        dd_buf_json_str(b, report_cvss_method(version));
        if (x->cvss_vector) {
            dd_buf_puts(b, ",\"vector\":");
            dd_buf_json_str(b, x->cvss_vector);
        }
        dd_buf_putc(b, '}');
        n++;
    }
    if (!same && (x->severity != DD_SEV_UNKNOWN || !cvss)) {
        if (n++) dd_buf_putc(b, ',');
        dd_buf_putc(b, '{');
        if (x->severity_source) {
            put_source(b, x->severity_source);
            dd_buf_putc(b, ',');
        }
        dd_buf_puts(b, "\"severity\":");
        dd_buf_json_str(b, cdx_severity(x->severity));
        dd_buf_puts(b, ",\"method\":\"other\"}");
    }
    dd_buf_putc(b, ']');
}

static void prop(dd_buf_t *b, int *n, const char *name, const char *value)
{
    if (!value) return;
    dd_buf_puts(b, (*n)++ ? ",{\"name\":" : "{\"name\":");
    dd_buf_json_str(b, name);
    dd_buf_puts(b, ",\"value\":");
    dd_buf_json_str(b, value);
    dd_buf_putc(b, '}');
}

static void put_vuln_properties(dd_buf_t *b, const dd_finding_t *x, const char *platform)
{
    int n = 0;
    dd_buf_puts(b, ",\"properties\":[");
    prop(b, &n, "drydock:severity", dd_severity_name(x->severity));
    prop(b, &n, "drydock:severity:source", x->severity_source);
    prop(b, &n, "drydock:severity:vendor", x->vendor_severity);
    prop(b, &n, "drydock:fix:state", dd_fix_state_name(x->fix_state));
    if (x->fixed_version) prop(b, &n, "drydock:fix:version", x->fixed_version);
    prop(b, &n, "drydock:kev", x->known_exploited ? "true" : "false");
    if (x->known_exploited) {
        prop(b, &n, "drydock:kev:dateAdded", x->kev_date_added);
        prop(b, &n, "drydock:kev:dueDate", x->kev_due_date);
        prop(b, &n, "drydock:kev:knownRansomwareCampaignUse", x->kev_ransomware);
    }
    if (x->has_epss) {
        char s[64];
        snprintf(s, sizeof s, "%.5f", x->epss_score);
        prop(b, &n, "drydock:epss:score", s);
        snprintf(s, sizeof s, "%.5f", x->epss_percentile);
        prop(b, &n, "drydock:epss:percentile", s);
    }
    for (size_t k = 0; k < x->n_advisories; k++) prop(b, &n, "drydock:advisory", x->advisories[k]);
    for (size_t k = 0; k < x->n_aliases; k++) prop(b, &n, "drydock:alias", x->aliases[k]);
    if (platform && *platform) prop(b, &n, "drydock:platform", platform);
    prop(b, &n, "drydock:feeds", x->feeds);
    dd_buf_putc(b, ']');
}

/* "2022-08-28T00:00:00Z": only well-formed RFC 3339 times go into date-time fields. */
static bool is_datetime(const char *s)
{
    if (!s || strlen(s) < 20) return false;
    for (int i = 0; i < 19; i++) {
        char c = s[i];
        bool digit = c >= '0' && c <= '9';
        if (i == 4 || i == 7 ? c != '-' : i == 10 ? c != 'T' : i == 13 || i == 16 ? c != ':' : !digit) return false;
    }
    return true;
}

/* One vulnerability object. ref: the bom-ref (or purl) of the package.
 * state: the VEX analysis state, or NULL for the SBOM. */
static void put_vuln(dd_buf_t *b, const dd_finding_t *x, const char *ref, const char *platform, const char *state)
{
    dd_buf_puts(b, "{\"id\":");
    dd_buf_json_str(b, x->id);
    if (!strncmp(x->id, "CVE-", 4)) {
        dd_buf_puts(b, ",\"source\":{\"name\":\"NVD\",\"url\":");
        char *u = dd_asprintf("https://nvd.nist.gov/vuln/detail/%s", x->id);
        dd_buf_json_str(b, u);
        free(u);
        dd_buf_putc(b, '}');
    }
    put_ratings(b, x);
    if (x->description || x->title) {
        dd_buf_puts(b, ",\"description\":");
        dd_buf_json_str(b, x->description ? x->description : x->title);
    }
    if (x->fixed_version) {
        dd_buf_puts(b, ",\"recommendation\":");
        char *r = dd_asprintf("Upgrade %s to %s", x->package, x->fixed_version);
        dd_buf_json_str(b, r);
        free(r);
    }
    if (x->n_refs) {
        dd_buf_puts(b, ",\"advisories\":[");
        for (size_t k = 0; k < x->n_refs; k++) {
            if (k) dd_buf_putc(b, ',');
            dd_buf_puts(b, "{\"url\":");
            dd_buf_json_str(b, x->refs[k]);
            dd_buf_putc(b, '}');
        }
        dd_buf_putc(b, ']');
    }
    if (is_datetime(x->published)) {
        dd_buf_puts(b, ",\"published\":");
        dd_buf_json_str(b, x->published);
    }
    if (state) {
        dd_buf_puts(b, ",\"analysis\":{\"state\":");
        dd_buf_json_str(b, state);
        const char *resp = NULL;
        if (!strcmp(state, "exploitable"))
            resp = x->fix_state == DD_FIX_FIXED      ? "update"
                   : x->fix_state == DD_FIX_WONT_FIX ? "will_not_fix"
                   : x->fix_state == DD_FIX_NOT_FIXED || x->fix_state == DD_FIX_EOL ? "can_not_fix"
                                                                                    : NULL;
        if (resp) dd_buf_printf(b, ",\"response\":[\"%s\"]", resp);
        const char *vex = report_vex_status(x);
        char *detail = vex ? dd_asprintf("hidden by a VEX statement%s%s", *vex ? ": " : "", vex)
                       : x->fix_state == DD_FIX_NOT_AFFECTED ? dd_strdup("the vendor states this release is not affected")
                       : x->fixed_version ? dd_asprintf("installed %s %s; fixed in %s", x->package, x->version,
                                                        x->fixed_version)
                                          : dd_asprintf("installed %s %s; %s", x->package, x->version,
                                                        dd_fix_state_name(x->fix_state));
        dd_buf_puts(b, ",\"detail\":");
        dd_buf_json_str(b, detail);
        free(detail);
        dd_buf_putc(b, '}');
    }
    dd_buf_puts(b, ",\"affects\":[{\"ref\":");
    dd_buf_json_str(b, ref);
    dd_buf_puts(b, "}]");
    put_vuln_properties(b, x, platform);
    dd_buf_putc(b, '}');
}

/* bom-ref of a package: its purl, prefixed by "<platform>|" (or the image
 * digest) when the BOM holds several images. */
static void pkg_ref(const dd_report_image_t *im, bool multi, size_t idx, const dd_package_t *p, dd_buf_t *out)
{
    if (multi) {
        char plat[128];
        report_platform(im, plat);
        dd_buf_printf(out, "%s|", *plat ? plat : im->img ? im->img->digest.str : "image");
        (void)idx;
    }
    dd_report_purl(im->inv, p, out);
}

static void image_ref(const dd_report_image_t *im, size_t idx, dd_buf_t *out)
{
    if (im->img) dd_buf_puts(out, im->img->digest.str);
    else dd_buf_printf(out, "image-%zu", idx);
}

static void header(dd_buf_t *b, const dd_report_t *r)
{
    char serial[33];
    dd_random_hex(serial, 16);
    char now[32];
    dd_time_rfc3339(dd_now_ms() / 1000, now);
    dd_buf_printf(b, "{\"$schema\":\"http://cyclonedx.org/schema/bom-1.5.schema.json\","
                     "\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.5\","
                     "\"serialNumber\":\"urn:uuid:%.8s-%.4s-%.4s-%.4s-%.12s\",\"version\":1,",
                  serial, serial + 8, serial + 12, serial + 16, serial + 20);
    dd_buf_puts(b, "\"metadata\":{\"timestamp\":");
    dd_buf_json_str(b, now);
    dd_buf_puts(b, ",\"tools\":{\"components\":[{\"type\":\"application\",\"name\":\"drydock\",\"version\":");
    dd_buf_json_str(b, report_tool_version(r));
    dd_buf_puts(b, "}]},\"component\":{\"type\":\"container\",\"bom-ref\":");
    dd_buf_t name;
    dd_buf_init(&name, 0);
    if (r->n_images == 1) {
        const dd_report_image_t *im = &r->images[0];
        report_image_name(r, im, &name);
        dd_buf_t ref;
        dd_buf_init(&ref, 0);
        image_ref(im, 0, &ref);
        dd_buf_json_str(b, ref.ptr);
        dd_buf_release(&ref);
        dd_buf_puts(b, ",\"name\":");
        dd_buf_json_str(b, name.ptr);
        if (im->img) {
            dd_buf_puts(b, ",\"version\":");
            dd_buf_json_str(b, im->img->digest.str);
        }
        char plat[128];
        report_platform(im, plat);
        if (*plat) {
            dd_buf_puts(b, ",\"properties\":[{\"name\":\"drydock:platform\",\"value\":");
            dd_buf_json_str(b, plat);
            dd_buf_puts(b, "}]");
        }
    } else {
        dd_buf_puts(&name, r->target ? r->target : "images");
        dd_buf_puts(b, "\"target\",\"name\":");
        dd_buf_json_str(b, name.ptr);
    }
    dd_buf_puts(b, "}}");
    dd_buf_release(&name);
}

/* The OS and package components of one image. */
static void image_components(dd_buf_t *b, const dd_report_image_t *im, size_t idx, bool multi)
{
    const dd_inventory_t *inv = im->inv;
    int n = 0;
    if (inv->os.id) {
        dd_buf_puts(b, "{\"type\":\"operating-system\",\"bom-ref\":");
        dd_buf_t ref;
        dd_buf_init(&ref, 0);
        if (multi) image_ref(im, idx, &ref), dd_buf_puts(&ref, "|os");
        else dd_buf_puts(&ref, "os");
        dd_buf_json_str(b, ref.ptr);
        dd_buf_release(&ref);
        dd_buf_puts(b, ",\"name\":");
        dd_buf_json_str(b, inv->os.id);
        dd_buf_puts(b, ",\"version\":");
        dd_buf_json_str(b, inv->os.version_id ? inv->os.version_id : "");
        dd_buf_puts(b, "}");
        n++;
    }
    for (size_t i = 0; i < inv->n; i++) {
        const dd_package_t *p = &inv->pkgs[i];
        if (n++) dd_buf_putc(b, ',');
        dd_buf_t pu, ref;
        dd_buf_init(&pu, 0);
        dd_buf_init(&ref, 0);
        dd_report_purl(inv, p, &pu);
        pkg_ref(im, multi, idx, p, &ref);
        dd_buf_puts(b, "{\"type\":\"library\",\"bom-ref\":");
        dd_buf_json_str(b, ref.ptr);
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
        if (p->db_path) {
            /* an application package: the file in the image it was read from */
            dd_buf_puts(b, dd_pkg_type_is_app(p->type) ? "},{\"name\":\"drydock:package:path\",\"value\":"
                                                      : "},{\"name\":\"drydock:package:database\",\"value\":");
            dd_buf_json_str(b, p->db_path);
        }
        dd_buf_printf(b, "},{\"name\":\"drydock:layer\",\"value\":\"%d\"}]}", p->layer);
        dd_buf_release(&pu);
        dd_buf_release(&ref);
    }
}

int report_cyclonedx(const dd_report_t *r, dd_buf_t *out, dd_err_t *e)
{
    (void)e;
    bool multi = r->n_images > 1;
    header(out, r);
    dd_buf_puts(out, ",\"components\":[");
    for (size_t i = 0; i < r->n_images; i++) {
        const dd_report_image_t *im = &r->images[i];
        if (!multi) {
            image_components(out, im, i, false);
            continue;
        }
        if (i) dd_buf_putc(out, ',');
        dd_buf_t ref, name;
        dd_buf_init(&ref, 0);
        dd_buf_init(&name, 0);
        image_ref(im, i, &ref);
        report_image_name(r, im, &name);
        char plat[128];
        report_platform(im, plat);
        dd_buf_puts(out, "{\"type\":\"container\",\"bom-ref\":");
        dd_buf_json_str(out, ref.ptr);
        dd_buf_puts(out, ",\"name\":");
        dd_buf_json_str(out, name.ptr);
        if (im->img) {
            dd_buf_puts(out, ",\"version\":");
            dd_buf_json_str(out, im->img->digest.str);
        }
        if (*plat) {
            dd_buf_puts(out, ",\"properties\":[{\"name\":\"drydock:platform\",\"value\":");
            dd_buf_json_str(out, plat);
            dd_buf_puts(out, "}]");
        }
        dd_buf_puts(out, ",\"components\":[");
        image_components(out, im, i, true);
        dd_buf_puts(out, "]}");
        dd_buf_release(&ref);
        dd_buf_release(&name);
    }
    dd_buf_puts(out, "],\"vulnerabilities\":[");
    size_t nv = 0;
    for (size_t i = 0; i < r->n_images; i++) {
        const dd_report_image_t *im = &r->images[i];
        char plat[128];
        report_platform(im, plat);
        for (size_t k = 0; k < im->f->n; k++) {
            const dd_finding_t *x = &im->f->v[k];
            if (x->suppressed) continue;
            if (nv++) dd_buf_putc(out, ',');
            dd_buf_t ref;
            dd_buf_init(&ref, 0);
            pkg_ref(im, multi, i, &im->inv->pkgs[x->pkg_index], &ref);
            put_vuln(out, x, ref.ptr, multi ? plat : NULL, NULL);
            dd_buf_release(&ref);
        }
    }
    dd_buf_puts(out, "]}");
    return dd_buf_putc(out, '\n');
}

/* The VEX analysis state of a finding, or NULL to leave it out. */
static const char *vex_state(const dd_finding_t *x)
{
    const char *vex = report_vex_status(x);
    if (vex) return !strcmp(vex, "fixed") || !strcmp(vex, "resolved") ? "resolved" : "not_affected";
    if (x->suppressed) return NULL;
    return x->fix_state == DD_FIX_NOT_AFFECTED ? "not_affected" : "exploitable";
}

int report_cyclonedx_vex(const dd_report_t *r, dd_buf_t *out, dd_err_t *e)
{
    (void)e;
    bool multi = r->n_images > 1;
    header(out, r);
    dd_buf_puts(out, ",\"vulnerabilities\":[");
    size_t nv = 0;
    for (size_t i = 0; i < r->n_images; i++) {
        const dd_report_image_t *im = &r->images[i];
        char plat[128];
        report_platform(im, plat);
        for (size_t k = 0; k < im->f->n; k++) {
            const dd_finding_t *x = &im->f->v[k];
            const char *state = vex_state(x);
            if (!state) continue;
            if (nv++) dd_buf_putc(out, ',');
            dd_buf_t pu;
            dd_buf_init(&pu, 0);
            dd_report_purl(im->inv, &im->inv->pkgs[x->pkg_index], &pu);
            put_vuln(out, x, pu.ptr, multi ? plat : NULL, state);
            dd_buf_release(&pu);
        }
    }
    dd_buf_puts(out, "]}");
    return dd_buf_putc(out, '\n');
}
