/*
 * report.c: the scan report as JSON (schema in docs/report-schema.md):
 * image digest, OS, database version, status, filters, counts by severity,
 * the inventory, and the findings.
 */
#include "dd/match.h"

#include <stdio.h>
#include <string.h>

static void jstr(dd_buf_t *b, const char *key, const char *v)
{
    dd_buf_printf(b, "\"%s\":", key);
    if (v) dd_buf_json_str(b, v);
    else dd_buf_puts(b, "null");
}

static void jarr(dd_buf_t *b, const char *key, const char *const *v, size_t n)
{
    dd_buf_printf(b, "\"%s\":[", key);
    for (size_t i = 0; i < n; i++) {
        if (i) dd_buf_putc(b, ',');
        dd_buf_json_str(b, v[i]);
    }
    dd_buf_putc(b, ']');
}

static const char *status_of(const dd_findings_t *f)
{
    if (f->n_reported) return "Unhealthy"; /* findings decide, assessed or not */
    if (!f->assessed) return "NotAssessed";
    return "Healthy";
}

int dd_report_json(const char *image_digest, const dd_inventory_t *inv, const dd_findings_t *f, dd_buf_t *b)
{
    dd_buf_puts(b, "{\"schema\":\"drydock.report/v1\",");
    dd_buf_puts(b, "\"image\":{");
    jstr(b, "digest", image_digest);
    dd_buf_puts(b, "},\"os\":{");
    jstr(b, "id", inv->os.id);
    dd_buf_putc(b, ',');
    jstr(b, "version_id", inv->os.version_id);
    dd_buf_putc(b, ',');
    jstr(b, "pretty_name", inv->os.pretty_name);
    dd_buf_putc(b, ',');
    jstr(b, "ecosystem", inv->os.ecosystem);
    dd_buf_printf(b, "},\"database\":{\"version\":%lld},", (long long)f->db_version);
    jstr(b, "status", status_of(f));
    dd_buf_putc(b, ',');
    jstr(b, "status_reason", f->reason);
    dd_buf_puts(b, ",\"filters\":{");
    jstr(b, "min_severity", dd_severity_name(f->opts.min_severity));
    dd_buf_printf(b, ",\"ignore_unfixed\":%s,", f->opts.ignore_unfixed ? "true" : "false");
    jarr(b, "ignore", f->opts.ignore, f->opts.n_ignore);
    dd_buf_puts(b, "},\"counts\":{");
    for (int s = DD_SEV_CRITICAL; s >= DD_SEV_UNKNOWN; s--)
        dd_buf_printf(b, "\"%s\":%zu,", dd_severity_name((dd_severity_t)s), f->counts[s]);
    dd_buf_printf(b, "\"total\":%zu,\"suppressed\":%zu},", f->n_reported, f->n_suppressed);
    dd_buf_puts(b, "\"inventory\":[");
    for (size_t i = 0; i < inv->n; i++) {
        const dd_package_t *p = &inv->pkgs[i];
        dd_buf_puts(b, i ? ",{" : "{");
        jstr(b, "type", dd_pkg_type_name(p->type));
        dd_buf_putc(b, ',');
        jstr(b, "name", p->name);
        dd_buf_putc(b, ',');
        jstr(b, "version", p->version);
        dd_buf_putc(b, ',');
        jstr(b, "source_name", p->source_name);
        dd_buf_putc(b, ',');
        jstr(b, "source_version", p->source_version);
        dd_buf_putc(b, ',');
        jstr(b, "arch", p->arch);
        if (p->module) {
            dd_buf_putc(b, ',');
            jstr(b, "module", p->module);
        }
        if (dd_pkg_type_is_app(p->type)) {
            dd_buf_putc(b, ',');
            jstr(b, "path", p->db_path);
        }
        dd_buf_printf(b, ",\"layer\":%d}", p->layer);
    }
    dd_buf_puts(b, "],\"owned_by_os\":{");
    /* application packages not listed because an OS package owns their file */
    for (int t = DD_PKG_PYPI, n = 0; t <= DD_PKG_TYPE_LAST; t++)
        if (inv->owned_dropped[t])
            dd_buf_printf(b, "%s\"%s\":%zu", n++ ? "," : "", dd_pkg_type_name((dd_pkg_type_t)t), inv->owned_dropped[t]);
    dd_buf_puts(b, "}");
    dd_buf_puts(b, ",\"findings\":[");
    for (size_t i = 0; i < f->n; i++) {
        const dd_finding_t *x = &f->v[i];
        dd_buf_puts(b, i ? ",{" : "{");
        jstr(b, "id", x->id);
        dd_buf_putc(b, ',');
        jarr(b, "aliases", x->aliases, x->n_aliases);
        dd_buf_putc(b, ',');
        jarr(b, "advisories", x->advisories, x->n_advisories);
        dd_buf_puts(b, ",\"package\":{");
        jstr(b, "type", dd_pkg_type_name(x->pkg_type));
        dd_buf_putc(b, ',');
        jstr(b, "name", x->package);
        dd_buf_putc(b, ',');
        jstr(b, "version", x->version);
        dd_buf_putc(b, ',');
        jstr(b, "source_name", x->source_name);
        dd_buf_putc(b, ',');
        jstr(b, "source_version", x->source_version);
        if (x->path) {
            dd_buf_putc(b, ',');
            jstr(b, "path", x->path);
        }
        dd_buf_printf(b, ",\"layer\":%d},", x->layer);
        jstr(b, "ecosystem", x->ecosystem);
        dd_buf_putc(b, ',');
        jstr(b, "fixed_version", x->fixed_version);
        dd_buf_putc(b, ',');
        jstr(b, "fix_state", dd_fix_state_name(x->fix_state));
        dd_buf_putc(b, ',');
        jstr(b, "severity", dd_severity_name(x->severity));
        dd_buf_putc(b, ',');
        jstr(b, "severity_source", x->severity_source);
        dd_buf_putc(b, ',');
        jstr(b, "vendor_severity", x->vendor_severity);
        dd_buf_puts(b, ",\"cvss\":");
        if (x->cvss_vector || x->cvss_score > 0) {
            dd_buf_putc(b, '{');
            jstr(b, "version", x->cvss_version);
            dd_buf_putc(b, ',');
            jstr(b, "vector", x->cvss_vector);
            if (x->cvss_score > 0) dd_buf_printf(b, ",\"score\":%.1f,", x->cvss_score);
            else dd_buf_puts(b, ",\"score\":null,");
            jstr(b, "source", x->cvss_source);
            dd_buf_putc(b, '}');
        } else {
            dd_buf_puts(b, "null");
        }
        dd_buf_printf(b, ",\"known_exploited\":%s,\"kev\":", x->known_exploited ? "true" : "false");
        if (x->known_exploited) {
            dd_buf_putc(b, '{');
            jstr(b, "date_added", x->kev_date_added);
            dd_buf_putc(b, ',');
            jstr(b, "due_date", x->kev_due_date);
            dd_buf_putc(b, ',');
            jstr(b, "known_ransomware_campaign_use", x->kev_ransomware);
            dd_buf_putc(b, '}');
        } else {
            dd_buf_puts(b, "null");
        }
        if (x->has_epss) dd_buf_printf(b, ",\"epss\":{\"score\":%.5f,\"percentile\":%.5f}", x->epss_score, x->epss_percentile);
        else dd_buf_puts(b, ",\"epss\":null");
        dd_buf_putc(b, ',');
        jstr(b, "title", x->title);
        dd_buf_putc(b, ',');
        jstr(b, "description", x->description);
        dd_buf_putc(b, ',');
        jstr(b, "published", x->published);
        dd_buf_putc(b, ',');
        jarr(b, "references", x->refs, x->n_refs);
        dd_buf_putc(b, ',');
        jstr(b, "feeds", x->feeds);
        dd_buf_printf(b, ",\"suppressed\":%s,", x->suppressed ? "true" : "false");
        jstr(b, "suppressed_by", x->suppressed_by);
        dd_buf_putc(b, ',');
        jstr(b, "suppressed_note", x->suppressed_note);
        dd_buf_putc(b, '}');
    }
    return dd_buf_puts(b, "]}");
}
