/*
 * cmd_scan.c: `drydock scan IMAGE`: scans an image from an OCI layout, a
 * docker-archive tarball or a registry, and prints the report as a table
 * (terminal), JSON (docs/report-schema.md) or a CycloneDX 1.5 SBOM.
 *
 * Pipeline per platform image: dd_image_analyze (layers, cached in the data
 * directory's scan store unless --no-cache) -> dd_overlay -> dd_catalog_run
 * -> dd_match_inventory -> output. --exit-code N makes the command exit N
 * when a reported finding reaches --severity-threshold (CI gates).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "dd/analyzer.h"
#include "dd/catalog.h"
#include "dd/image.h"
#include "dd/match.h"
#include "dd/report.h"
#include "dd/scanner.h"
#include "dd/scanstore.h"
#include "dd/vulndb.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: drydock scan [options] IMAGE\n\n"
            "IMAGE is one of\n"
            "  oci:DIR[:TAG]                 an OCI image layout\n"
            "  docker-archive:FILE           a `docker save` tarball\n"
            "  docker://HOST[:PORT]/REPO[:TAG|@DIGEST]  an image in a registry\n\n"
            "options:\n"
            "  --format FORMAT               table, json, cyclonedx, cyclonedx-vex, spdx, sarif, github\n"
            "                                (default: table on a terminal, else json)\n"
            "  -o, --output FILE             write the report to FILE\n"
            "  --platform OS/ARCH[/VARIANT]  scan only this platform of a multi-platform image\n"
            "  --min-severity SEV            suppress findings below SEV (critical..negligible, unknown)\n"
            "  --ignore-unfixed              suppress findings that have no fix\n"
            "  --ignore ID[,ID...]           suppress these vulnerability ids (repeatable)\n"
            "  --exit-code N                 exit with N when a finding reaches the threshold\n"
            "  --severity-threshold SEV      threshold for --exit-code (default: any reported finding)\n"
            "  --db PATH                     vulnerability database (default DATA/vulndb/vuln.db)\n"
            "  --data-dir DIR                data directory (default $DRYDOCK_DATA or ./drydock-data)\n"
            "  --no-cache                    don't reuse or store layer analyses\n"
            "  --insecure                    plain http for docker:// registries\n"
            "  --no-progress                 no progress indicator on a terminal\n");
}

static int sev_from(const char *s, dd_severity_t *out)
{
    return dd_severity_name_parse(s, out) == DD_OK ? 0 : -1;
}

/* ---- layer cache over the scan store ---- */

static int cache_get(void *arg, const dd_digest_t *layer, dd_layer_result_t *out)
{
    dd_buf_t b;
    dd_buf_init(&b, 0);
    int rc = dd_scanstore_layer_get(arg, layer->str, DD_ANALYZER_VERSION, &b, NULL, 0);
    if (rc == DD_OK) rc = dd_layer_result_deserialize(b.ptr, b.len, out, NULL);
    dd_buf_release(&b);
    return rc == DD_OK ? DD_OK : DD_ENOTFOUND;
}

static void cache_put(void *arg, const dd_digest_t *layer, const dd_layer_result_t *r)
{
    dd_buf_t b;
    dd_buf_init(&b, 0);
    if (dd_layer_result_serialize(r, &b) == DD_OK)
        dd_scanstore_layer_put(arg, layer->str, DD_ANALYZER_VERSION, DD_OK, b.ptr, b.len, NULL);
    dd_buf_release(&b);
}

/* ---- output ---- */

/* ---- main ---- */

enum { OPT_FORMAT = 256, OPT_PLATFORM, OPT_MINSEV, OPT_UNFIXED, OPT_IGNORE, OPT_EXIT, OPT_THRESH, OPT_DB,
       OPT_DATA, OPT_NOCACHE, OPT_INSECURE, OPT_NOPROGRESS };

int cmd_scan(int argc, char **argv)
{
    static const struct option opts[] = {
        {"data-dir", required_argument, 0, OPT_DATA},
        {"db", required_argument, 0, OPT_DB},
        {"exit-code", required_argument, 0, OPT_EXIT},
        {"format", required_argument, 0, OPT_FORMAT},
        {"help", no_argument, 0, 'h'},
        {"ignore", required_argument, 0, OPT_IGNORE},
        {"ignore-unfixed", no_argument, 0, OPT_UNFIXED},
        {"insecure", no_argument, 0, OPT_INSECURE},
        {"min-severity", required_argument, 0, OPT_MINSEV},
        {"no-cache", no_argument, 0, OPT_NOCACHE},
        {"no-progress", no_argument, 0, OPT_NOPROGRESS},
        {"output", required_argument, 0, 'o'},
        {"platform", required_argument, 0, OPT_PLATFORM},
        {"severity-threshold", required_argument, 0, OPT_THRESH},
        {0, 0, 0, 0},
    };
    const char *format = NULL, *output = NULL, *platform = NULL, *dbpath = NULL;
    const char *data_dir = cli_default_data_dir();
    int exit_code = 0;
    bool no_cache = false, insecure = false, progress = isatty(2);
    dd_severity_t threshold = DD_SEV_UNKNOWN;
    dd_match_opts_t mo = {0};
    dd_report_format_t fmt = DD_REPORT_TABLE;
    char **ignore = NULL;
    size_t n_ignore = 0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
        switch (c) {
        case 'h': usage(stdout); return 0;
        case 'o': output = optarg; break;
        case OPT_FORMAT:
            if (dd_report_format_parse(optarg, &fmt) != DD_OK)
                return cli_usage_error("scan", "unknown format '%s' (table, json, cyclonedx, cyclonedx-vex, spdx, "
                                               "sarif, github)", optarg);
            format = optarg;
            break;
        case OPT_PLATFORM: platform = optarg; break;
        case OPT_MINSEV:
            if (sev_from(optarg, &mo.min_severity)) return cli_usage_error("scan", "unknown severity '%s'", optarg);
            break;
        case OPT_THRESH:
            if (sev_from(optarg, &threshold)) return cli_usage_error("scan", "unknown severity '%s'", optarg);
            break;
        case OPT_UNFIXED: mo.ignore_unfixed = true; break;
        case OPT_IGNORE: {
            char *dup = dd_strdup(optarg), *save = NULL;
            for (char *t = strtok_r(dup, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
                ignore = dd_realloc(ignore, (n_ignore + 1) * sizeof *ignore);
                ignore[n_ignore++] = dd_strdup(t);
            }
            free(dup);
            break;
        }
        case OPT_EXIT: {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || v < 0 || v > 255) return cli_usage_error("scan", "invalid exit code '%s'", optarg);
            exit_code = (int)v;
            break;
        }
        case OPT_DB: dbpath = optarg; break;
        case OPT_DATA: data_dir = optarg; break;
        case OPT_NOCACHE: no_cache = true; break;
        case OPT_INSECURE: insecure = true; break;
        case OPT_NOPROGRESS: progress = false; break;
        default: return cli_usage_error("scan", "unknown option");
        }
    }
    if (optind != argc - 1) return cli_usage_error("scan", "expected one IMAGE argument");
    const char *ref = argv[optind];
    if (!format) fmt = isatty(output ? -1 : 1) ? DD_REPORT_TABLE : DD_REPORT_JSON;
    mo.ignore = (const char *const *)ignore;
    mo.n_ignore = n_ignore;

    char *dbdefault = dd_asprintf("%s/vulndb/vuln.db", data_dir);
    if (!dbpath) dbpath = dbdefault;
    int status = 0;
    dd_err_t e;
    dd_err_clear(&e);
    dd_vulndb_t *db = NULL;
    dd_scanstore_t *cache_store = NULL;
    dd_image_source_t *src = NULL;
    dd_image_desc_t *imgs = NULL;
    size_t n_imgs = 0;
    FILE *out = stdout;
    dd_buf_t all;
    dd_buf_init(&all, 0);
    dd_report_image_t *rimgs = NULL;
    dd_inventory_t *invs = NULL;
    dd_findings_t *finds = NULL;
    size_t n_done = 0;

    int rc;
    if (!no_cache) {
        struct stat sb;
        if (stat(data_dir, &sb) == 0 && S_ISDIR(sb.st_mode)) {
            char *p = dd_asprintf("%s/scans.db", data_dir);
            if (dd_scanstore_open(p, &cache_store, NULL) != DD_OK) cache_store = NULL;
            free(p);
        }
    }
    dd_image_opts_t io = {.platform = platform, .insecure = insecure};
    if (progress) fprintf(stderr, "\r\033[Kopening %s ...", ref);
    if ((rc = dd_image_open(ref, &io, &src, &e)) || (rc = dd_image_list(src, &imgs, &n_imgs, &e))) {
        if (progress) fprintf(stderr, "\r\033[K");
        status = cli_error("cannot read image '%s': %s", ref, e.msg);
        goto done;
    }
    rc = dd_vulndb_open(dbpath, true, &db, &e);
    if (rc == DD_ENOTFOUND) {
        fprintf(stderr, "drydock: warning: no vulnerability database at '%s' (run 'drydock db import' or "
                        "'drydock db update'); reporting the inventory only\n", dbpath);
        db = NULL;
    } else if (rc) {
        status = cli_error("%s", e.msg);
        goto done;
    }
    if (output && !(out = fopen(output, "w"))) {
        status = cli_error("cannot write '%s'", output);
        out = stdout;
        goto done;
    }
    dd_layer_cache_t cache = {cache_get, cache_put, cache_store};
    bool gate = false;
    rimgs = dd_calloc(n_imgs ? n_imgs : 1, sizeof *rimgs);
    invs = dd_calloc(n_imgs ? n_imgs : 1, sizeof *invs);
    finds = dd_calloc(n_imgs ? n_imgs : 1, sizeof *finds);
    for (size_t i = 0; i < n_imgs; i++) {
        dd_image_desc_t *img = &imgs[i];
        char plat[128];
        dd_platform_format(&img->platform, plat, sizeof plat);
        if (progress)
            fprintf(stderr, "\r\033[K[%zu/%zu] %s: analyzing %zu layers ...", i + 1, n_imgs, plat, img->n_layers);
        dd_layer_result_t *layers = NULL;
        size_t n_analyzed = 0;
        rc = dd_image_analyze(src, img, cache_store ? &cache : NULL, &layers, &n_analyzed, &e);
        if (rc) {
            if (progress) fprintf(stderr, "\r\033[K");
            status = cli_error("cannot analyze %s (%s): %s", img->digest.str, plat, e.msg);
            goto done;
        }
        dd_inventory_t *inv = &invs[i];
        dd_inventory_init(inv);
        dd_findings_t *f = &finds[i];
        dd_findings_init(f);
        n_done = i + 1;
        if (progress) fprintf(stderr, "\r\033[K[%zu/%zu] %s: reading package databases ...", i + 1, n_imgs, plat);
        dd_err_clear(&e);
        rc = dd_scan_inventory(layers, img->n_layers, inv, &e);
        if (rc == DD_OK && e.code) fprintf(stderr, "drydock: warning: %s\n", e.msg);
        for (size_t k = 0; k < img->n_layers; k++) dd_layer_result_release(&layers[k]);
        free(layers);
        if (rc) {
            if (progress) fprintf(stderr, "\r\033[K");
            status = cli_error("cannot read the packages of %s: %s", img->digest.str, e.msg);
            goto done;
        }
        for (size_t w = 0; w < inv->nwarnings; w++) fprintf(stderr, "drydock: warning: %s\n", inv->warnings[w]);
        if (progress) fprintf(stderr, "\r\033[K[%zu/%zu] %s: matching %zu packages ...", i + 1, n_imgs, plat, inv->n);
        if (db) {
            rc = dd_match_inventory(db, inv, &mo, f, &e);
        } else {
            f->assessed = false;
            f->reason = "no vulnerability data";
        }
        if (progress) fprintf(stderr, "\r\033[K");
        if (rc) {
            status = cli_error("matching failed: %s", e.msg);
            goto done;
        }
        for (size_t k = 0; k < f->n; k++)
            if (!f->v[k].suppressed && f->v[k].severity >= threshold) gate = true;
        rimgs[i] = (dd_report_image_t){.img = img, .name = img->ref ? img->ref : ref, .inv = inv, .f = f};
    }
    dd_report_t report = {.target = ref, .images = rimgs, .n_images = n_imgs};
    if (dd_report_write(fmt, &report, &all, &e) != DD_OK) {
        status = cli_error("%s", e.msg);
        goto done;
    }
    fwrite(all.ptr, 1, all.len, out);
    if (exit_code && gate) status = exit_code;
done:
    for (size_t i = 0; i < n_done; i++) {
        dd_findings_release(&finds[i]);
        dd_inventory_release(&invs[i]);
    }
    free(rimgs);
    free(invs);
    free(finds);
    if (out != stdout) fclose(out);
    dd_buf_release(&all);
    dd_image_descs_free(imgs, n_imgs);
    dd_image_close(src);
    if (cache_store) dd_scanstore_close(cache_store);
    if (db) dd_vulndb_close(db);
    for (size_t i = 0; i < n_ignore; i++) free(ignore[i]);
    free(ignore);
    free(dbdefault);
    return status;
}
