/*
 * table.c: the human-readable report: per image a header (image name and
 * digest, platform, OS, package and finding counts, status) and one row per
 * reported finding; several images one after the other.
 */
#include "report_int.h"

#include <string.h>

static void image_table(dd_buf_t *b, const dd_report_t *r, const dd_report_image_t *im)
{
    const dd_inventory_t *inv = im->inv;
    const dd_findings_t *f = im->f;
    char plat[128] = "";
    if (im->img) dd_platform_format(&im->img->platform, plat, sizeof plat);
    dd_buf_t nb;
    dd_buf_init(&nb, 0);
    report_image_name(r, im, &nb);
    const char *name = nb.ptr ? nb.ptr : "";
    if (im->img && !strcmp(name, im->img->digest.str)) name = "";
    dd_buf_printf(b, "Image:    %s%s%s", name, *name && im->img ? " " : "", im->img ? im->img->digest.str : "");
    dd_buf_release(&nb);
    if (*plat) dd_buf_printf(b, " (%s)", plat);
    dd_buf_printf(b, "\nOS:       %s%s%s%s\n",
                  inv->os.pretty_name ? inv->os.pretty_name : inv->os.id ? inv->os.id : "unknown",
                  inv->os.ecosystem ? " [" : "", inv->os.ecosystem ? inv->os.ecosystem : "",
                  inv->os.ecosystem ? "]" : "");
    dd_buf_printf(b, "Packages: %zu", inv->n);
    /* application packages an OS package owns are reported once, as that package */
    for (int t = DD_PKG_PYPI, n = 0; t <= DD_PKG_TYPE_LAST; t++)
        if (inv->owned_dropped[t])
            dd_buf_printf(b, "%s%zu %s owned by OS packages", n++ ? ", " : " (not counted again: ", inv->owned_dropped[t],
                          dd_pkg_type_name((dd_pkg_type_t)t));
    for (int t = DD_PKG_PYPI; t <= DD_PKG_TYPE_LAST; t++)
        if (inv->owned_dropped[t]) {
            dd_buf_putc(b, ')');
            break;
        }
    dd_buf_putc(b, '\n');
    dd_buf_printf(b, "Findings: %zu (critical %zu, high %zu, medium %zu, low %zu, negligible %zu, unknown %zu)",
                  f->n_reported, f->counts[DD_SEV_CRITICAL], f->counts[DD_SEV_HIGH], f->counts[DD_SEV_MEDIUM],
                  f->counts[DD_SEV_LOW], f->counts[DD_SEV_NEGLIGIBLE], f->counts[DD_SEV_UNKNOWN]);
    if (f->n_suppressed) dd_buf_printf(b, ", %zu suppressed", f->n_suppressed);
    dd_buf_printf(b, "\nStatus:   %s%s%s%s\n\n", f->n_reported ? "Unhealthy" : !f->assessed ? "NotAssessed" : "Healthy",
                  f->reason ? " (" : "", f->reason ? f->reason : "", f->reason ? ")" : "");
    if (f->n_reported == 0) return;
    size_t wp = 7, wi = 9, wf = 5, wv = 13;
    for (size_t i = 0; i < f->n; i++) {
        const dd_finding_t *x = &f->v[i];
        if (x->suppressed) continue;
        if (strlen(x->package) > wp) wp = strlen(x->package);
        if (strlen(x->version) > wi) wi = strlen(x->version);
        if (x->fixed_version && strlen(x->fixed_version) > wf) wf = strlen(x->fixed_version);
        if (strlen(x->id) > wv) wv = strlen(x->id);
    }
    if (wp > 40) wp = 40;
    if (wi > 40) wi = 40;
    if (wf > 40) wf = 40;
    /* application findings add TYPE and PATH columns (OS-only tables stay as they were) */
    bool apps = false;
    for (size_t i = 0; i < f->n && !apps; i++) apps = !f->v[i].suppressed && f->v[i].path;
    if (apps)
        dd_buf_printf(b, "%-*s  %-8s  %-*s  %-*s  %-*s  %-10s  %-9s  %s\n", (int)wp, "PACKAGE", "TYPE", (int)wi,
                      "INSTALLED", (int)wf, "FIXED", (int)wv, "VULNERABILITY", "SEVERITY", "STATE", "PATH");
    else
        dd_buf_printf(b, "%-*s  %-*s  %-*s  %-*s  %-10s  %s\n", (int)wp, "PACKAGE", (int)wi, "INSTALLED", (int)wf,
                      "FIXED", (int)wv, "VULNERABILITY", "SEVERITY", "STATE");
    for (size_t i = 0; i < f->n; i++) {
        const dd_finding_t *x = &f->v[i];
        if (x->suppressed) continue;
        if (apps)
            dd_buf_printf(b, "%-*.*s  %-8s  %-*.*s  %-*.*s  %-*s  %-10s  %-9s  %s%s\n", (int)wp, (int)wp, x->package,
                          dd_pkg_type_name(x->pkg_type), (int)wi, (int)wi, x->version, (int)wf, (int)wf,
                          x->fixed_version ? x->fixed_version : "-", (int)wv, x->id, dd_severity_name(x->severity),
                          dd_fix_state_name(x->fix_state), x->path ? x->path : "-",
                          x->known_exploited ? "  known-exploited" : "");
        else
            dd_buf_printf(b, "%-*.*s  %-*.*s  %-*.*s  %-*s  %-10s  %s%s\n", (int)wp, (int)wp, x->package, (int)wi,
                          (int)wi, x->version, (int)wf, (int)wf, x->fixed_version ? x->fixed_version : "-", (int)wv,
                          x->id, dd_severity_name(x->severity), dd_fix_state_name(x->fix_state),
                          x->known_exploited ? "  known-exploited" : "");
    }
    dd_buf_putc(b, '\n');
}

int report_table(const dd_report_t *r, dd_buf_t *out, dd_err_t *e)
{
    (void)e;
    for (size_t i = 0; i < r->n_images; i++) {
        if (i) dd_buf_putc(out, '\n');
        image_table(out, r, &r->images[i]);
    }
    return DD_OK;
}
