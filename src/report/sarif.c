/*
 * sarif.c: SARIF 2.1.0 for GitHub code scanning.
 *
 * One run; tool.driver "drydock" with one rule per vulnerability id (over
 * every image of the report), one result per reported finding pointing at
 * its rule by ruleId and ruleIndex. GitHub's requirements met here:
 *   - rule: shortDescription, fullDescription, helpUri, help (text and
 *     markdown, with the fix per package), properties.security-severity (a
 *     CVSS-like number as a string: the finding's CVSS score when it falls
 *     in its severity's band, else the band's middle) and tags;
 *   - result: level (error for Critical/High, warning for Medium and
 *     Unknown, note for Low/Negligible), message.text naming the package,
 *     installed and fixed versions, one location with
 *     physicalLocation.artifactLocation.uri (the package database the
 *     package was read from, e.g. var/lib/dpkg/status, else the image name)
 *     and region.startLine, and partialFingerprints (a hash of image name,
 *     platform, package, version and id) so re-uploads do not duplicate.
 * Several platform images: the same run; each result's message names its
 * image and platform and its properties carry them.
 * Suppressed findings are left out.
 */
#include "report_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A rule: the first finding with that id (the rule's text comes from it). */
typedef struct {
    const char *id;
    const dd_finding_t *x;
    dd_severity_t sev;          /* highest severity among its findings */
    double score;               /* highest CVSS score among its findings */
} rule_t;

typedef struct {
    rule_t *v;
    size_t n, cap;
} rules_t;

static size_t rule_find(const rules_t *rs, const char *id)
{
    for (size_t i = 0; i < rs->n; i++)
        if (!strcmp(rs->v[i].id, id)) return i;
    return (size_t)-1;
}

static int rules_add(rules_t *rs, const dd_finding_t *x, dd_err_t *e)
{
    size_t i = rule_find(rs, x->id);
    if (i == (size_t)-1) {
        if (rs->n == rs->cap) {
            size_t cap = rs->cap ? rs->cap * 2 : 64;
            rule_t *v = realloc(rs->v, cap * sizeof *v);
            if (!v) return dd_err(e, DD_ENOMEM, "out of memory");
            rs->v = v;
            rs->cap = cap;
        }
        rs->v[rs->n++] = (rule_t){x->id, x, x->severity, x->cvss_score};
        return DD_OK;
    }
    if (x->severity > rs->v[i].sev) rs->v[i].sev = x->severity;
    if (x->cvss_score > rs->v[i].score) rs->v[i].score = x->cvss_score;
    return DD_OK;
}

/* security-severity: GitHub reads > 9.0 critical, 7.0-8.9 high, 4.0-6.9
 * medium, 0.1-3.9 low. NULL for Unknown (no number is better than a made-up one). */
static const char *security_severity(dd_severity_t s, double score, char buf[16])
{
    static const struct {
        double lo, hi, mid;
    } bands[] = {
        [DD_SEV_NEGLIGIBLE] = {0.1, 1.9, 1.0}, [DD_SEV_LOW] = {0.1, 3.9, 2.0}, [DD_SEV_MEDIUM] = {4.0, 6.9, 5.5},
        [DD_SEV_HIGH] = {7.0, 8.9, 8.0},       [DD_SEV_CRITICAL] = {9.1, 10.0, 9.5},
    };
    if (s <= DD_SEV_UNKNOWN || s > DD_SEV_CRITICAL) return NULL;
    double v = score >= bands[s].lo && score <= bands[s].hi ? score : bands[s].mid;
    snprintf(buf, 16, "%.1f", v);
    return buf;
}

static const char *level(dd_severity_t s)
{
    switch (s) {
    case DD_SEV_CRITICAL:
    case DD_SEV_HIGH: return "error";
    case DD_SEV_MEDIUM:
    case DD_SEV_UNKNOWN: return "warning";
    default: return "note";
    }
}

static const char *help_uri(const dd_finding_t *x, dd_buf_t *tmp)
{
    if (!strncmp(x->id, "CVE-", 4)) {
        dd_buf_printf(tmp, "https://nvd.nist.gov/vuln/detail/%s", x->id);
        return tmp->ptr;
    }
    for (size_t k = 0; k < x->n_refs; k++)
        if (!strncmp(x->refs[k], "https://", 8) || !strncmp(x->refs[k], "http://", 7)) return x->refs[k];
    if (!strncmp(x->id, "GHSA-", 5)) {
        dd_buf_printf(tmp, "https://github.com/advisories/%s", x->id);
        return tmp->ptr;
    }
    dd_buf_printf(tmp, "https://osv.dev/vulnerability/%s", x->id);
    return tmp->ptr;
}

static void text_obj(dd_buf_t *b, const char *key, const char *text)
{
    dd_buf_printf(b, ",\"%s\":{\"text\":", key);
    dd_buf_json_str(b, text);
    dd_buf_putc(b, '}');
}

static void put_rule(dd_buf_t *b, const dd_report_t *r, const rule_t *rl)
{
    const dd_finding_t *x = rl->x;
    dd_buf_puts(b, "{\"id\":");
    dd_buf_json_str(b, rl->id);
    dd_buf_puts(b, ",\"name\":\"OsPackageVulnerability\"");
    dd_buf_t s, md, tmp;
    dd_buf_init(&s, 0);
    dd_buf_init(&md, 0);
    dd_buf_init(&tmp, 0);
    dd_buf_printf(&s, "%s: %s", rl->id, x->title ? x->title : x->package);
    text_obj(b, "shortDescription", s.ptr);
    text_obj(b, "fullDescription", x->description ? x->description : x->title ? x->title : s.ptr);
    dd_buf_puts(b, ",\"defaultConfiguration\":{\"level\":");
    dd_buf_json_str(b, level(rl->sev));
    dd_buf_puts(b, "},\"helpUri\":");
    const char *uri = help_uri(x, &tmp);
    dd_buf_json_str(b, uri);
    /* help: what it is and how to fix it, per package that has it */
    dd_buf_reset(&s);
    dd_buf_printf(&s, "Vulnerability %s\nSeverity: %s\n", rl->id, dd_severity_name(rl->sev));
    dd_buf_printf(&md, "**Vulnerability %s**\n\n| Package | Installed | Fixed version | Severity |\n"
                       "| --- | --- | --- | --- |\n", rl->id);
    for (size_t i = 0; i < r->n_images; i++) {
        const dd_findings_t *f = r->images[i].f;
        for (size_t k = 0; k < f->n; k++) {
            const dd_finding_t *y = &f->v[k];
            if (y->suppressed || strcmp(y->id, rl->id) != 0) continue;
            if (y->fixed_version)
                dd_buf_printf(&s, "Package: %s %s, fixed in %s\n", y->package, y->version, y->fixed_version);
            else
                dd_buf_printf(&s, "Package: %s %s, %s\n", y->package, y->version, dd_fix_state_name(y->fix_state));
            dd_buf_printf(&md, "| %s | %s | %s | %s |\n", y->package, y->version,
                          y->fixed_version ? y->fixed_version : dd_fix_state_name(y->fix_state),
                          dd_severity_name(y->severity));
        }
    }
    if (x->description) dd_buf_printf(&s, "%s\n", x->description);
    dd_buf_printf(&s, "Link: %s", uri);
    if (x->description) dd_buf_printf(&md, "\n%s\n", x->description);
    dd_buf_printf(&md, "\n[%s](%s)", rl->id, uri);
    dd_buf_puts(b, ",\"help\":{\"text\":");
    dd_buf_json_str(b, s.ptr);
    dd_buf_puts(b, ",\"markdown\":");
    dd_buf_json_str(b, md.ptr);
    dd_buf_puts(b, "},\"properties\":{\"precision\":\"very-high\"");
    char ss[16];
    if (security_severity(rl->sev, rl->score, ss)) dd_buf_printf(b, ",\"security-severity\":\"%s\"", ss);
    dd_buf_puts(b, ",\"tags\":[\"vulnerability\",\"security\",");
    dd_buf_json_str(b, dd_severity_name(rl->sev));
    if (x->known_exploited) dd_buf_puts(b, ",\"known-exploited\"");
    dd_buf_puts(b, "]}}");
    dd_buf_release(&s);
    dd_buf_release(&md);
    dd_buf_release(&tmp);
}

static void put_result(dd_buf_t *b, const dd_report_t *r, const dd_report_image_t *im, const dd_finding_t *x,
                       size_t rule_index)
{
    dd_buf_t name, msg, fp;
    dd_buf_init(&name, 0);
    dd_buf_init(&msg, 0);
    dd_buf_init(&fp, 0);
    report_image_name(r, im, &name);
    char plat[128];
    report_platform(im, plat);
    dd_buf_puts(b, "{\"ruleId\":");
    dd_buf_json_str(b, x->id);
    dd_buf_printf(b, ",\"ruleIndex\":%zu,\"level\":", rule_index);
    dd_buf_json_str(b, level(x->severity));
    dd_buf_printf(&msg, "Package: %s\nInstalled Version: %s\nVulnerability: %s\nSeverity: %s\nFixed Version: %s\n"
                        "Image: %s",
                  x->package, x->version, x->id, dd_severity_name(x->severity),
                  x->fixed_version ? x->fixed_version : dd_fix_state_name(x->fix_state), name.ptr);
    if (*plat) dd_buf_printf(&msg, " (%s)", plat);
    if (x->path) dd_buf_printf(&msg, "\nType: %s\nPath: %s", dd_pkg_type_name(x->pkg_type), x->path);
    if (x->known_exploited) dd_buf_puts(&msg, "\nKnown exploited (CISA KEV)");
    text_obj(b, "message", msg.ptr);
    const dd_package_t *p = &im->inv->pkgs[x->pkg_index];
    const char *uri = p->db_path && *p->db_path ? p->db_path : name.ptr;
    dd_buf_puts(b, ",\"locations\":[{\"physicalLocation\":{\"artifactLocation\":{\"uri\":");
    dd_buf_json_str(b, uri);
    dd_buf_puts(b, "},\"region\":{\"startLine\":1,\"startColumn\":1,\"endLine\":1,\"endColumn\":1}}");
    dd_buf_reset(&msg);
    dd_buf_printf(&msg, "%s: %s@%s", name.ptr, x->package, x->version);
    text_obj(b, "message", msg.ptr);
    dd_buf_puts(b, "}],\"partialFingerprints\":{\"drydockFinding/v1\":");
    dd_buf_printf(&fp, "%s\n%s\n%s\n%s\n%s", name.ptr, plat, x->package, x->version, x->id);
    if (x->path) dd_buf_printf(&fp, "\n%s\n%s", dd_pkg_type_name(x->pkg_type), x->path); /* OS: unchanged */
    char hex[65];
    report_sha256_hex(fp.ptr, fp.len, hex);
    dd_buf_json_str(b, hex);
    dd_buf_puts(b, "},\"properties\":{\"image\":");
    dd_buf_json_str(b, name.ptr);
    if (im->img) {
        dd_buf_puts(b, ",\"imageDigest\":");
        dd_buf_json_str(b, im->img->digest.str);
    }
    if (*plat) {
        dd_buf_puts(b, ",\"platform\":");
        dd_buf_json_str(b, plat);
    }
    dd_buf_puts(b, ",\"package\":");
    dd_buf_json_str(b, x->package);
    dd_buf_puts(b, ",\"packageType\":");
    dd_buf_json_str(b, dd_pkg_type_name(x->pkg_type));
    if (x->path) {
        dd_buf_puts(b, ",\"path\":");
        dd_buf_json_str(b, x->path);
    }
    dd_buf_puts(b, ",\"installedVersion\":");
    dd_buf_json_str(b, x->version);
    if (x->fixed_version) {
        dd_buf_puts(b, ",\"fixedVersion\":");
        dd_buf_json_str(b, x->fixed_version);
    }
    dd_buf_puts(b, ",\"fixState\":");
    dd_buf_json_str(b, dd_fix_state_name(x->fix_state));
    dd_buf_printf(b, ",\"knownExploited\":%s}}", x->known_exploited ? "true" : "false");
    dd_buf_release(&name);
    dd_buf_release(&msg);
    dd_buf_release(&fp);
}

int report_sarif(const dd_report_t *r, dd_buf_t *b, dd_err_t *e)
{
    rules_t rs = {0};
    int rc = DD_OK;
    for (size_t i = 0; i < r->n_images && rc == DD_OK; i++)
        for (size_t k = 0; k < r->images[i].f->n && rc == DD_OK; k++)
            if (!r->images[i].f->v[k].suppressed) rc = rules_add(&rs, &r->images[i].f->v[k], e);
    if (rc) {
        free(rs.v);
        return rc;
    }
    dd_buf_puts(b, "{\"$schema\":\"https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/"
                   "sarif-schema-2.1.0.json\",\"version\":\"2.1.0\",\"runs\":[{\"tool\":{\"driver\":"
                   "{\"name\":\"drydock\",\"fullName\":\"Drydock container image scanner\",\"version\":");
    dd_buf_json_str(b, report_tool_version(r));
    dd_buf_puts(b, ",\"rules\":[");
    for (size_t i = 0; i < rs.n; i++) {
        if (i) dd_buf_putc(b, ',');
        put_rule(b, r, &rs.v[i]);
    }
    dd_buf_puts(b, "]}},\"results\":[");
    size_t n = 0;
    for (size_t i = 0; i < r->n_images; i++) {
        const dd_findings_t *f = r->images[i].f;
        for (size_t k = 0; k < f->n; k++) {
            if (f->v[k].suppressed) continue;
            if (n++) dd_buf_putc(b, ',');
            put_result(b, r, &r->images[i], &f->v[k], rule_find(&rs, f->v[k].id));
        }
    }
    dd_buf_puts(b, "],\"columnKind\":\"utf16CodeUnits\"");
    if (r->target) {
        dd_buf_puts(b, ",\"properties\":{\"target\":");
        dd_buf_json_str(b, r->target);
        dd_buf_putc(b, '}');
    }
    dd_buf_puts(b, "}]}");
    free(rs.v);
    return dd_buf_putc(b, '\n');
}
