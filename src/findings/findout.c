/*
 * findout.c: the one writer of a finding's JSON object (see dd/findout.h),
 * from the dd_finding_t struct, on the one JSON writer. It used to be
 * spliced by hand in jobs/scanner.c.
 */
#include "dd/findout.h"

#include "dd/vulndb.h"

static void kv_str(dd_jw_t *w, const char *k, const char *v)
{
    dd_jw_key(w, k);
    dd_jw_str(w, v);
}

static void str_array(dd_jw_t *w, const char *k, const char *const *v, size_t n)
{
    dd_jw_key(w, k);
    dd_jw_arr(w);
    for (size_t i = 0; i < n; i++) dd_jw_str(w, v[i]);
    dd_jw_end(w);
}

void dd_finding_jw(dd_jw_t *w, const dd_finding_t *f, const char *layer_digest)
{
    dd_jw_obj(w);
    kv_str(w, "id", f->id);
    str_array(w, "aliases", f->aliases, f->n_aliases);
    str_array(w, "advisories", f->advisories, f->n_advisories);
    kv_str(w, "package", f->package ? f->package : "");
    kv_str(w, "type", dd_pkg_type_name(f->pkg_type));
    kv_str(w, "installedVersion", f->version ? f->version : "");
    kv_str(w, "sourcePackage", f->source_name ? f->source_name : "");
    kv_str(w, "sourceVersion", f->source_version ? f->source_version : "");
    kv_str(w, "ecosystem", f->ecosystem ? f->ecosystem : "");
    kv_str(w, "path", f->path);
    dd_jw_key(w, "layerIndex");
    dd_jw_int(w, f->layer);
    kv_str(w, "layer", layer_digest);
    kv_str(w, "fixedVersion", f->fixed_version);
    kv_str(w, "fixState", dd_fix_state_name(f->fix_state));
    kv_str(w, "severity", dd_severity_name(f->severity));
    kv_str(w, "severitySource", f->severity_source);
    kv_str(w, "vendorSeverity", f->vendor_severity);
    dd_jw_key(w, "cvss");
    if (f->cvss_score > 0 || f->cvss_vector) {
        dd_jw_obj(w);
        kv_str(w, "version", f->cvss_version);
        kv_str(w, "vector", f->cvss_vector);
        kv_str(w, "source", f->cvss_source);
        dd_jw_key(w, "score");
        if (f->cvss_score > 0) dd_jw_fixed(w, f->cvss_score, 1);
        else dd_jw_null(w);
        dd_jw_end(w);
    } else {
        dd_jw_null(w);
    }
    dd_jw_key(w, "knownExploited");
    dd_jw_bool(w, f->known_exploited);
    dd_jw_key(w, "kev");
    if (f->known_exploited) {
        dd_jw_obj(w);
        kv_str(w, "dateAdded", f->kev_date_added);
        kv_str(w, "dueDate", f->kev_due_date);
        kv_str(w, "knownRansomwareCampaignUse", f->kev_ransomware);
        dd_jw_end(w);
    } else {
        dd_jw_null(w);
    }
    dd_jw_key(w, "epss");
    if (f->has_epss) {
        dd_jw_obj(w);
        dd_jw_key(w, "score");
        dd_jw_fixed(w, f->epss_score, 5);
        dd_jw_key(w, "percentile");
        dd_jw_fixed(w, f->epss_percentile, 5);
        dd_jw_end(w);
    } else {
        dd_jw_null(w);
    }
    kv_str(w, "title", f->title);
    kv_str(w, "description", f->description);
    kv_str(w, "published", f->published);
    kv_str(w, "feeds", f->feeds);
    str_array(w, "references", f->refs, f->n_refs);
    dd_jw_end(w);
}

int dd_finding_json(const dd_finding_t *f, const char *layer_digest, dd_buf_t *out)
{
    dd_jw_t w;
    dd_jw_init(&w, out);
    dd_finding_jw(&w, f, layer_digest);
    return dd_jw_finish(&w);
}
