/*
 * github.c: a GitHub dependency submission snapshot (POST
 * /repos/{owner}/{repo}/dependency-graph/snapshots), version 0.
 *
 * One manifest per platform image, keyed and named by the image name (with
 * " (<platform>)" when the report holds several), file.source_location the
 * image name, and every OS package in `resolved` keyed by its purl: direct,
 * runtime, no dependencies (package databases do not say which package
 * pulled in which). sha, ref and job come from dd_report_t, else from the
 * environment GitHub Actions sets; without a 40-hex sha or a ref the writer
 * fails (GitHub would refuse the snapshot).
 */
#include "report_int.h"

#include <jansson.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *env_or(const char *v, const char *name)
{
    if (v && *v) return v;
    const char *s = getenv(name);
    return s && *s ? s : NULL;
}

static bool is_sha(const char *s)
{
    if (strlen(s) != 40) return false;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') || (*s >= 'A' && *s <= 'F'))) return false;
    return true;
}

int report_github(const dd_report_t *r, dd_buf_t *b, dd_err_t *e)
{
    const char *sha = env_or(r->git_sha, "GITHUB_SHA");
    const char *ref = env_or(r->git_ref, "GITHUB_REF");
    if (!sha || !is_sha(sha))
        return dd_err(e, DD_EINVAL, "the github format needs the commit as 40 hex digits in GITHUB_SHA (got '%.60s')",
                      sha ? sha : "");
    if (!ref || strncmp(ref, "refs/", 5) != 0)
        return dd_err(e, DD_EINVAL, "the github format needs the git ref (refs/heads/...) in GITHUB_REF (got '%.200s')",
                      ref ? ref : "");
    char *correlator = NULL;
    if (r->job_correlator && *r->job_correlator) {
        correlator = dd_strdup(r->job_correlator);
    } else {
        const char *wf = getenv("GITHUB_WORKFLOW"), *job = getenv("GITHUB_JOB");
        correlator = dd_asprintf("%s/%s drydock %s", wf && *wf ? wf : "drydock", job && *job ? job : "scan",
                                 r->target ? r->target : "");
    }
    const char *job_id = env_or(r->job_id, "GITHUB_RUN_ID");
    char now[32];
    dd_time_rfc3339(dd_now_ms() / 1000, now);
    dd_buf_puts(b, "{\"version\":0,\"job\":{\"correlator\":");
    dd_buf_json_str(b, correlator);
    dd_buf_puts(b, ",\"id\":");
    dd_buf_json_str(b, job_id ? job_id : "0");
    dd_buf_puts(b, "},\"sha\":");
    dd_buf_json_str(b, sha);
    dd_buf_puts(b, ",\"ref\":");
    dd_buf_json_str(b, ref);
    dd_buf_puts(b, ",\"detector\":{\"name\":\"drydock\",\"version\":");
    dd_buf_json_str(b, report_tool_version(r));
    dd_buf_puts(b, ",\"url\":\"" REPORT_TOOL_URL "\"},\"scanned\":");
    dd_buf_json_str(b, now);
    dd_buf_puts(b, ",\"manifests\":{");
    free(correlator);
    json_t *keys = json_object(); /* manifest names used so far */
    for (size_t i = 0; i < r->n_images; i++) {
        const dd_report_image_t *im = &r->images[i];
        dd_buf_t name, key;
        dd_buf_init(&name, 0);
        dd_buf_init(&key, 0);
        report_image_name(r, im, &name);
        char plat[128];
        report_platform(im, plat);
        dd_buf_puts(&key, name.ptr);
        if (r->n_images > 1) dd_buf_printf(&key, " (%s)", *plat ? plat : im->img ? im->img->digest.str : "image");
        if (json_object_get(keys, key.ptr)) dd_buf_printf(&key, " #%zu", i); /* two images, one platform */
        json_object_set_new_nocheck(keys, key.ptr, json_true());
        if (i) dd_buf_putc(b, ',');
        dd_buf_json_str(b, key.ptr);
        dd_buf_puts(b, ":{\"name\":");
        dd_buf_json_str(b, key.ptr);
        dd_buf_puts(b, ",\"file\":{\"source_location\":");
        dd_buf_json_str(b, name.ptr);
        dd_buf_puts(b, "}");
        if (im->img || *plat) {
            dd_buf_puts(b, ",\"metadata\":{");
            if (im->img) {
                dd_buf_puts(b, "\"digest\":");
                dd_buf_json_str(b, im->img->digest.str);
            }
            if (*plat) {
                dd_buf_puts(b, im->img ? ",\"platform\":" : "\"platform\":");
                dd_buf_json_str(b, plat);
            }
            dd_buf_putc(b, '}');
        }
        dd_buf_puts(b, ",\"resolved\":{");
        json_t *seen = json_object();
        for (size_t j = 0, n = 0; j < im->inv->n; j++) {
            dd_buf_t pu;
            dd_buf_init(&pu, 0);
            dd_report_purl(im->inv, &im->inv->pkgs[j], &pu);
            if (json_object_get(seen, pu.ptr)) { /* the same package listed twice: one key */
                dd_buf_release(&pu);
                continue;
            }
            json_object_set_new_nocheck(seen, pu.ptr, json_true());
            if (n++) dd_buf_putc(b, ',');
            dd_buf_json_str(b, pu.ptr);
            dd_buf_puts(b, ":{\"package_url\":");
            dd_buf_json_str(b, pu.ptr);
            dd_buf_puts(b, ",\"relationship\":\"direct\",\"scope\":\"runtime\",\"dependencies\":[]}");
            dd_buf_release(&pu);
        }
        dd_buf_puts(b, "}}");
        json_decref(seen);
        dd_buf_release(&name);
        dd_buf_release(&key);
    }
    json_decref(keys);
    dd_buf_puts(b, "}}");
    return dd_buf_putc(b, '\n');
}
