/*
 * report.c: the report module's entry point. dd_report_write() dispatches
 * to one writer per format (table.c, json in src/match/report.c,
 * cyclonedx.c for the SBOM and the VEX, spdx.c, sarif.c, github.c); the
 * format names live in one sorted table here, with the helpers the writers
 * share (image names, severity words, rating sources).
 */
#include "dd/report.h"
#include "report_int.h"

#include <stdio.h>
#include <string.h>

#include "dd/digest.h"

/* Format names, sorted by name. Fields: the name users type, the format. */
static const struct {
    const char *name;
    dd_report_format_t fmt;
} formats[] = {
    {"cyclonedx", DD_REPORT_CYCLONEDX},
    {"cyclonedx-vex", DD_REPORT_CYCLONEDX_VEX},
    {"github", DD_REPORT_GITHUB},
    {"json", DD_REPORT_JSON},
    {"sarif", DD_REPORT_SARIF},
    {"spdx", DD_REPORT_SPDX},
    {"spdx-json", DD_REPORT_SPDX},
    {"table", DD_REPORT_TABLE},
};

int dd_report_format_parse(const char *name, dd_report_format_t *out)
{
    for (size_t i = 0; name && i < sizeof formats / sizeof formats[0]; i++)
        if (!strcmp(formats[i].name, name)) {
            *out = formats[i].fmt;
            return DD_OK;
        }
    return DD_EINVAL;
}

const char *dd_report_format_name(dd_report_format_t f)
{
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        if (formats[i].fmt == f) return formats[i].name;
    return "unknown";
}

/* The JSON report of one image, or {"images":[...]} for several. */
static int write_json(const dd_report_t *r, dd_buf_t *b, dd_err_t *e)
{
    (void)e;
    bool multi = r->n_images > 1;
    if (multi) dd_buf_puts(b, "{\"images\":[");
    for (size_t i = 0; i < r->n_images; i++) {
        const dd_report_image_t *im = &r->images[i];
        if (i) dd_buf_putc(b, ',');
        dd_report_json(im->img ? im->img->digest.str : NULL, im->inv, im->f, b);
    }
    if (multi) dd_buf_puts(b, "]}");
    return dd_buf_putc(b, '\n');
}

int dd_report_write(dd_report_format_t fmt, const dd_report_t *r, dd_buf_t *out, dd_err_t *e)
{
    switch (fmt) {
    case DD_REPORT_TABLE: return report_table(r, out, e);
    case DD_REPORT_JSON: return write_json(r, out, e);
    case DD_REPORT_CYCLONEDX: return report_cyclonedx(r, out, e);
    case DD_REPORT_CYCLONEDX_VEX: return report_cyclonedx_vex(r, out, e);
    case DD_REPORT_SPDX: return report_spdx(r, out, e);
    case DD_REPORT_SARIF: return report_sarif(r, out, e);
    case DD_REPORT_GITHUB: return report_github(r, out, e);
    default: break;
    }
    return dd_err(e, DD_EUNSUPPORTED, "report format '%s' is not implemented", dd_report_format_name(fmt));
}

/* ---- helpers shared by the writers ---- */

void report_image_name(const dd_report_t *r, const dd_report_image_t *im, dd_buf_t *out)
{
    const dd_image_desc_t *img = im->img;
    if (r->target && !strncmp(r->target, "oci:", 4) && r->target[4]) {
        /* oci:DIR[:TAG]: the tag is whatever follows the last ':' after the last '/' */
        const char *path = r->target + 4;
        const char *slash = strrchr(path, '/');
        const char *colon = strrchr(slash ? slash : path, ':');
        dd_buf_puts(out, path);
        if (!colon && img && img->ref) dd_buf_printf(out, ":%s", img->ref);
        return;
    }
    if (im->name && *im->name) dd_buf_puts(out, im->name);
    else if (img && img->ref) dd_buf_puts(out, img->ref);
    else if (img) dd_buf_puts(out, img->digest.str);
    else dd_buf_puts(out, r->target ? r->target : "image");
}

void report_platform(const dd_report_image_t *im, char buf[128])
{
    buf[0] = '\0';
    if (im->img) dd_platform_format(&im->img->platform, buf, 128);
}

const char *report_sev_lower(dd_severity_t s)
{
    static const char *const names[] = {"unknown", "negligible", "low", "medium", "high", "critical"};
    return (int)s >= 0 && (size_t)s < sizeof names / sizeof names[0] ? names[s] : "unknown";
}

const char *report_cvss_version(const dd_finding_t *x)
{
    if (x->cvss_version && *x->cvss_version) return x->cvss_version;
    const char *v = x->cvss_vector;
    if (!v) return NULL;
    if (!strncmp(v, "CVSS:2.0/", 9)) return "2.0";
    if (!strncmp(v, "CVSS:3.0/", 9)) return "3.0";
    if (!strncmp(v, "CVSS:3.1/", 9)) return "3.1";
    if (!strncmp(v, "CVSS:4.0/", 9)) return "4.0";
    if (!strncmp(v, "AV:", 3) && strstr(v, "/Au:")) return "2.0";
    return NULL;
}

const char *report_cvss_source(const dd_finding_t *x)
{
    if (x->cvss_source && *x->cvss_source) return x->cvss_source;
    const char *s = x->severity_source;
    if (s && (!strcmp(s, "nvd") || !strcmp(s, "cvss"))) return !strcmp(s, "cvss") ? "vendor" : s;
    return NULL;
}

const char *report_cvss_method(const char *v)
{
    if (!v) return "other";
    if (!strcmp(v, "2.0")) return "CVSSv2";
    if (!strcmp(v, "3.0")) return "CVSSv3";
    if (!strcmp(v, "3.1")) return "CVSSv31";
    if (!strcmp(v, "4.0")) return "CVSSv4";
    return "other";
}

/* Severity and score sources, sorted by key. Fields: the key a finding
 * carries (severity_source / cvss_source), the name reports show, the
 * source's home page. */
static const struct {
    const char *key, *name, *url;
} sources[] = {
    {"almalinux", "AlmaLinux", "https://errata.almalinux.org/"},
    {"alpine", "Alpine", "https://secdb.alpinelinux.org/"},
    {"amazon", "Amazon Linux", "https://alas.aws.amazon.com/"},
    {"cisa-adp", "CISA ADP", "https://www.cve.org/"},
    {"cvss", "CVSS", NULL},
    {"debian", "Debian", "https://security-tracker.debian.org/tracker/"},
    {"nvd", "NVD", "https://nvd.nist.gov/"},
    {"osv", "OSV", "https://osv.dev/"},
    {"redhat", "Red Hat", "https://access.redhat.com/security/"},
    {"rocky", "Rocky Linux", "https://errata.rockylinux.org/"},
    {"suse", "SUSE", "https://www.suse.com/security/cve/"},
    {"ubuntu", "Ubuntu", "https://ubuntu.com/security/cves"},
    {"vendor", "vendor", NULL},
};

const char *report_source_name(const char *key, const char **url_out)
{
    if (url_out) *url_out = NULL;
    if (!key) return NULL;
    for (size_t i = 0; i < sizeof sources / sizeof sources[0]; i++)
        if (!strcmp(sources[i].key, key)) {
            if (url_out) *url_out = sources[i].url;
            return sources[i].name;
        }
    return key;
}

const char *report_vex_status(const dd_finding_t *x)
{
    if (!x->suppressed || !x->suppressed_by || strncmp(x->suppressed_by, "vex", 3) != 0) return NULL;
    if (x->suppressed_by[3] == '\0') return "";
    return x->suppressed_by[3] == ':' ? x->suppressed_by + 4 : NULL;
}

void report_sha256_hex(const void *p, size_t n, char out[65])
{
    dd_hasher_t *h = dd_hasher_new(DD_DIGEST_SHA256);
    dd_digest_t d;
    dd_hasher_update(h, p, n);
    dd_hasher_final(h, &d);
    dd_hasher_free(h);
    snprintf(out, 65, "%s", dd_digest_hex(&d));
}

const char *report_tool_version(const dd_report_t *r)
{
    return r->tool_version && *r->tool_version ? r->tool_version : "unknown";
}
