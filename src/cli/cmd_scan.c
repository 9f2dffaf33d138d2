/*
 * cmd_scan.c: `drydock scan TARGET`: scans an image (OCI layout,
 * docker-archive tarball, registry), a directory tree (fs:, rootfs:) or an
 * SBOM (sbom:), or an image of the --data-dir registry's own stores (store:),
 * writes the report in the chosen format (dd_report_write),
 * and acts as a CI gate.
 *
 * Pipeline per platform image: dd_image_analyze (layers, cached in the data
 * directory's scan store unless --no-cache; never for fs:/rootfs:) ->
 * dd_overlay -> dd_catalog_run -> dd_match_inventory -> ignore files and VEX
 * (dd_suppress_apply) -> output (table unless --format says otherwise).
 * sbom: skips analysis: the SBOM's purls are the inventory.
 *
 * The gate (docs/cli.md#the-gate, docs/severity.md) fails safe: with
 * --exit-code N (or --exit-on), the command exits N when
 *   - the target was not assessed: no database, a database older than
 *     --max-db-age, an OS that is unknown or has no data (unless
 *     --allow-unassessed);
 *   - the target could not be read or analyzed, an ignore/VEX file is bad
 *     (always: there is no report to trust);
 *   - a reported finding meets a condition: --severity-threshold (Unknown
 *     counts unless --ignore-unknown; any reported finding when no threshold
 *     and no --exit-on is given) or any --exit-on condition.
 * The reason is always the last line on stderr ("drydock: ...").
 */
#include <ctype.h>
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
#include "dd/meta.h"
#include "dd/report.h"
#include "dd/sbom.h"
#include "dd/scanner.h"
#include "dd/scanstore.h"
#include "dd/suppress.h"
#include "dd/vulndb.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: drydock scan [options] TARGET\n\n"
            "TARGET is one of\n"
            "  oci:DIR[:TAG]                 an OCI image layout\n"
            "  docker-archive:FILE           a `docker save` tarball\n"
            "  docker://HOST[:PORT]/REPO[:TAG|@DIGEST]  an image in a registry\n"
            "  NAME[:TAG|@DIGEST]            an image in --registry / $DRYDOCK_REGISTRY\n"
            "  fs:DIR, rootfs:DIR            a directory tree (an unpacked root filesystem)\n"
            "  sbom:FILE                     a CycloneDX 1.4-1.6 or SPDX 2.2/2.3 JSON SBOM\n"
            "  store:REPO[:TAG|@DIGEST]      an image in the --data-dir registry's own stores\n\n"
            "output:\n"
            "  --format FORMAT               table, json, cyclonedx, cyclonedx-vex, spdx, sarif, github\n"
            "                                (default: table, also when piped; json for scripts)\n"
            "  -o, --output FILE             write the report to FILE\n"
            "  --platform OS/ARCH[/VARIANT]  scan only this platform of a multi-platform image\n"
            "filters (suppressed findings stay in the report, marked):\n"
            "  --min-severity SEV            suppress findings below SEV (Unknown is kept)\n"
            "  --ignore-unfixed              suppress findings that have no fix\n"
            "  --ignore ID[,ID...]           suppress these vulnerability ids (repeatable)\n"
            "  --ignorefile FILE             ignore file (repeatable; default ./.drydockignore,\n"
            "                                ./.trivyignore and ./.trivyignore.yaml when present)\n"
            "  --vex FILE                    OpenVEX document (repeatable)\n"
            "gate:\n"
            "  --exit-code N                 exit with N when the gate fails (see docs/cli.md)\n"
            "  --severity-threshold SEV      fail on a reported finding at SEV or above (Unknown counts)\n"
            "  --ignore-unknown              Unknown severity does not count toward the threshold\n"
            "  --exit-on COND[,COND...]      fail on: severity>=SEV | SEV | known-exploited | fixable |\n"
            "                                a vulnerability id (CVE-2024-1234)  (repeatable)\n"
            "  --max-db-age DURATION         not assessed if the database is older (30m, 24h, 7d, 2w)\n"
            "  --allow-unassessed            don't fail when the target could not be assessed\n"
            "sources:\n"
            "  --db PATH                     vulnerability database (default DATA/vulndb/vuln.db)\n"
            "  --data-dir DIR                data directory (default $DRYDOCK_DATA or ./drydock-data)\n"
            "  --registry HOST[:PORT]        registry for bare image names (default $DRYDOCK_REGISTRY)\n"
            "  --no-cache                    don't reuse or store layer analyses\n"
            "  --insecure                    plain http for docker:// registries\n"
            "  --no-progress                 no progress indicator on a terminal\n"
            "  -q, --quiet                   no progress and no package-database warnings (ignore-file\n"
            "                                expiry warnings and the gate's verdict are always printed)\n");
}

static int sev_from(const char *s, dd_severity_t *out)
{
    return dd_severity_name_parse(s, out) == DD_OK ? 0 : -1;
}

/* ---- layer cache over the scan store ---- */

static int cache_get(void *arg, const dd_digest_t *layer, dd_layer_result_t *out, dd_err_t *e)
{
    (void)e;
    dd_buf_t b;
    dd_buf_init(&b, 0);
    int status = DD_EIO;
    int rc = dd_scanstore_layer_get(arg, layer->str, DD_ANALYZER_VERSION, &b, NULL, 0, &status, NULL);
    if (rc == DD_OK && status == DD_OK) rc = dd_layer_result_deserialize(b.ptr, b.len, out, NULL);
    else rc = DD_ENOTFOUND; /* unknown, not a result, or the cache failed: analyzed here */
    dd_buf_release(&b);
    return rc == DD_OK ? DD_OK : DD_ENOTFOUND;
}

/* Only results are kept: a failure is the transport's to report each time. */
static void cache_put(void *arg, const dd_digest_t *layer, int status, const dd_layer_result_t *r, const char *error)
{
    (void)error;
    if (status != DD_OK) return;
    dd_buf_t b;
    dd_buf_init(&b, 0);
    if (dd_layer_result_serialize(r, &b) == DD_OK)
        dd_scanstore_layer_put(arg, layer->str, DD_ANALYZER_VERSION, DD_OK, b.ptr, b.len, NULL,
                               NULL); /* a cache that cannot keep it costs the next run time only */
    dd_buf_release(&b);
}

/* ---- progress: bytes analyzed per layer ---- */

typedef struct progress {
    bool on;
    char prefix[160];        /* "[1/2] linux/amd64" */
    size_t layer, n_layers;  /* layer being analyzed (1-based) */
    uint64_t last_out;
    int64_t last_ms;
} progress_t;

static void on_bytes(void *arg, uint64_t in, uint64_t out)
{
    (void)in;
    progress_t *p = arg;
    if (out < p->last_out || p->layer == 0) p->layer++; /* counters restart with each layer */
    p->last_out = out;
    int64_t now = dd_now_ms();
    if (now - p->last_ms < 200) return;
    p->last_ms = now;
    fprintf(stderr, "\r\033[K%s: analyzing layer %zu/%zu: %.1f MiB", p->prefix,
            p->layer > p->n_layers ? p->n_layers : p->layer, p->n_layers, (double)out / (1024.0 * 1024.0));
}

/* ---- targets ---- */

static const char *const transports[] = {"docker-archive:", "docker://", "fs:", "oci:", "rootfs:", "sbom:",
                                         "store:"};

/* Does the first path component of a bare name name a registry host? */
static bool has_host(const char *name)
{
    const char *slash = strchr(name, '/');
    if (!slash) return false;
    size_t n = (size_t)(slash - name);
    return memchr(name, '.', n) || memchr(name, ':', n) || (n == 9 && !strncmp(name, "localhost", 9));
}

/* The target as a reference dd_image_open understands (malloc'd), or NULL
 * with a message. */
static char *resolve_target(const char *ref, const char *registry, char *msg, size_t msgsz)
{
    for (size_t i = 0; i < sizeof transports / sizeof *transports; i++)
        if (dd_str_startswith(ref, transports[i])) return dd_strdup(ref);
    bool plausible = *ref && !strchr(ref, ' ') && ref[0] != '/' && ref[0] != '.';
    if (plausible && has_host(ref)) return dd_asprintf("docker://%s", ref);
    if (plausible && registry && *registry) {
        while (dd_str_startswith(registry, "docker://")) registry += 9;
        size_t rl = strlen(registry);
        while (rl && registry[rl - 1] == '/') rl--;
        return dd_asprintf("docker://%.*s/%s", (int)rl, registry, ref);
    }
    snprintf(msg, msgsz,
             "cannot tell where '%.200s' is: name it docker://HOST/NAME:TAG (or set --registry / "
             "DRYDOCK_REGISTRY for bare names), oci:DIR[:TAG], docker-archive:FILE, fs:DIR, rootfs:DIR, "
             "sbom:FILE or store:REPO[:TAG]",
             ref);
    return NULL;
}

/* ---- store: the data directory's own registry ---- */

/* The stores of data_dir, read by a server's scan workers the same way:
 * REPO[:TAG|@DIGEST] (tag "latest" by default) is resolved in the metadata
 * store and opened as a store: image source on the blob store. */
typedef struct store_ref {
    dd_blobstore_t *bs;
    dd_meta_t *meta;
} store_ref_t;

static int open_store_ref(const char *data_dir, const char *rest, const dd_image_opts_t *io, store_ref_t *st,
                          dd_image_source_t **src, dd_err_t *e)
{
    char repo[DD_REPO_MAX + 1];
    const char *at = strchr(rest, '@'), *slash = strrchr(rest, '/');
    const char *colon = strrchr(slash ? slash : rest, ':');
    const char *end = at ? at : colon ? colon : rest + strlen(rest);
    const char *reference = at ? at + 1 : colon ? colon + 1 : "latest";
    if (end == rest || (size_t)(end - rest) >= sizeof repo || !*reference)
        return dd_err(e, DD_EINVAL, "store: needs REPO[:TAG|@DIGEST], not '%.200s'", rest);
    snprintf(repo, sizeof repo, "%.*s", (int)(end - rest), rest);
    char *meta_path = dd_asprintf("%s/meta.db", data_dir), *blobs = dd_asprintf("%s/blobs", data_dir);
    struct stat sb;
    int rc = stat(meta_path, &sb) == 0 ? DD_OK
                                       : dd_err(e, DD_ENOTFOUND, "'%s' is not a drydock data directory (no meta.db)",
                                                data_dir);
    if (rc == DD_OK) rc = dd_meta_open("sqlite", meta_path, &st->meta, e);
    if (rc == DD_OK) rc = dd_blobstore_open("fs", blobs, &st->bs, e);
    free(meta_path);
    free(blobs);
    dd_manifest_rec_t m;
    if (rc == DD_OK && dd_meta_manifest_get(st->meta, repo, reference, &m) != DD_OK)
        rc = dd_err(e, DD_ENOTFOUND, "no image '%s' in repository '%s' of '%s'", reference, repo, data_dir);
    else if (rc == DD_OK) {
        rc = dd_image_open_store(st->bs, m.digest.str, m.media_type, io, src, e);
        dd_manifest_rec_release(&m);
    }
    return rc;
}

/* ---- the gate ---- */

enum { COND_SEVERITY = 1, COND_KEV, COND_FIXABLE, COND_ID };

typedef struct cond {
    int kind;
    dd_severity_t sev;
    char *id;
} cond_t;

typedef struct gate {
    cond_t *v;
    size_t n;
    bool ignore_unknown;
} gate_t;

static void gate_add(gate_t *g, int kind, dd_severity_t sev, const char *id)
{
    g->v = dd_realloc(g->v, (g->n + 1) * sizeof *g->v);
    g->v[g->n++] = (cond_t){kind, sev, id ? dd_strdup(id) : NULL};
}

/* COND := severity>=SEV | SEV | known-exploited | fixable | ID, comma separated. */
static int gate_parse(gate_t *g, const char *list, char *msg, size_t msgsz)
{
    char *dup = dd_strdup(list), *save = NULL;
    int rc = 0;
    for (char *t = strtok_r(dup, ",", &save); t && !rc; t = strtok_r(NULL, ",", &save)) {
        while (*t == ' ') t++;
        size_t l = strlen(t);
        while (l && t[l - 1] == ' ') t[--l] = '\0';
        dd_severity_t s;
        if (!*t) continue;
        if (!strncasecmp(t, "severity>=", 10)) {
            if (sev_from(t + 10, &s)) rc = -1;
            else gate_add(g, COND_SEVERITY, s, NULL);
        } else if (!strcasecmp(t, "known-exploited") || !strcasecmp(t, "kev")) {
            gate_add(g, COND_KEV, 0, NULL);
        } else if (!strcasecmp(t, "fixable")) {
            gate_add(g, COND_FIXABLE, 0, NULL);
        } else if (sev_from(t, &s) == 0) {
            gate_add(g, COND_SEVERITY, s, NULL);
        } else if (strchr(t, '-') && isalpha((unsigned char)t[0])) {
            gate_add(g, COND_ID, 0, t);
        } else {
            rc = -1;
        }
        if (rc) snprintf(msg, msgsz, "unknown --exit-on condition '%.100s' (severity>=SEV, SEV, known-exploited, "
                                     "fixable or a vulnerability id)", t);
    }
    free(dup);
    return rc;
}

static bool finding_is(const dd_finding_t *x, const char *id)
{
    if (!strcasecmp(x->id, id)) return true;
    for (size_t k = 0; k < x->n_aliases; k++)
        if (!strcasecmp(x->aliases[k], id)) return true;
    for (size_t k = 0; k < x->n_advisories; k++)
        if (!strcasecmp(x->advisories[k], id)) return true;
    return false;
}

/* The first condition x meets, described into why; false if none. */
static bool gate_hit(const gate_t *g, const dd_finding_t *x, char *why, size_t whysz)
{
    for (size_t i = 0; i < g->n; i++) {
        const cond_t *c = &g->v[i];
        switch (c->kind) {
        case COND_SEVERITY:
            if (x->severity == DD_SEV_UNKNOWN ? !g->ignore_unknown : x->severity >= c->sev) {
                snprintf(why, whysz, "severity %s%s", dd_severity_name(x->severity),
                         x->severity == DD_SEV_UNKNOWN ? " (Unknown counts; --ignore-unknown to skip it)" : "");
                return true;
            }
            break;
        case COND_KEV:
            if (x->known_exploited) {
                snprintf(why, whysz, "known exploited (CISA KEV)");
                return true;
            }
            break;
        case COND_FIXABLE:
            if (x->fixed_version && *x->fixed_version) {
                snprintf(why, whysz, "fixable in %s", x->fixed_version);
                return true;
            }
            break;
        case COND_ID:
            if (finding_is(x, c->id)) {
                snprintf(why, whysz, "listed in --exit-on");
                return true;
            }
            break;
        }
    }
    return false;
}

/* "30s", "15m", "24h", "7d", "2w", or plain seconds -> seconds; -1 if bad. */
static int64_t parse_duration(const char *s)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (end == s || v < 0 || v > 100000000LL) return -1;
    int64_t mul = 1;
    if (!*end || !strcmp(end, "s")) mul = 1;
    else if (!strcmp(end, "m")) mul = 60;
    else if (!strcmp(end, "h")) mul = 3600;
    else if (!strcmp(end, "d")) mul = 86400;
    else if (!strcmp(end, "w")) mul = 7 * 86400;
    else return -1;
    return (int64_t)v * mul;
}

static void human_age(int64_t s, char *out, size_t n)
{
    if (s >= 2 * 86400) snprintf(out, n, "%lld days", (long long)(s / 86400));
    else if (s >= 2 * 3600) snprintf(out, n, "%lld hours", (long long)(s / 3600));
    else snprintf(out, n, "%lld minutes", (long long)(s / 60));
}

/* ---- main ---- */

enum { OPT_FORMAT = 256, OPT_PLATFORM, OPT_MINSEV, OPT_UNFIXED, OPT_IGNORE, OPT_EXIT, OPT_THRESH, OPT_DB,
       OPT_DATA, OPT_NOCACHE, OPT_INSECURE, OPT_NOPROGRESS, OPT_EXITON, OPT_IGNUNKNOWN, OPT_MAXAGE, OPT_ALLOW,
       OPT_IGNOREFILE, OPT_VEX, OPT_REGISTRY };

typedef struct strv {
    char **v;
    size_t n;
} strv_t;

static void strv_add(strv_t *s, const char *x)
{
    s->v = dd_realloc(s->v, (s->n + 1) * sizeof *s->v);
    s->v[s->n++] = dd_strdup(x);
}

static void strv_clear(strv_t *s)
{
    for (size_t i = 0; i < s->n; i++) free(s->v[i]);
    free(s->v);
}

int cmd_scan(int argc, char **argv)
{
    static const struct option opts[] = {
        {"allow-unassessed", no_argument, 0, OPT_ALLOW},
        {"data-dir", required_argument, 0, OPT_DATA},
        {"db", required_argument, 0, OPT_DB},
        {"exit-code", required_argument, 0, OPT_EXIT},
        {"exit-on", required_argument, 0, OPT_EXITON},
        {"format", required_argument, 0, OPT_FORMAT},
        {"help", no_argument, 0, 'h'},
        {"ignore", required_argument, 0, OPT_IGNORE},
        {"ignore-unfixed", no_argument, 0, OPT_UNFIXED},
        {"ignore-unknown", no_argument, 0, OPT_IGNUNKNOWN},
        {"ignorefile", required_argument, 0, OPT_IGNOREFILE},
        {"insecure", no_argument, 0, OPT_INSECURE},
        {"max-db-age", required_argument, 0, OPT_MAXAGE},
        {"min-severity", required_argument, 0, OPT_MINSEV},
        {"no-cache", no_argument, 0, OPT_NOCACHE},
        {"no-progress", no_argument, 0, OPT_NOPROGRESS},
        {"output", required_argument, 0, 'o'},
        {"platform", required_argument, 0, OPT_PLATFORM},
        {"quiet", no_argument, 0, 'q'},
        {"registry", required_argument, 0, OPT_REGISTRY},
        {"severity-threshold", required_argument, 0, OPT_THRESH},
        {"vex", required_argument, 0, OPT_VEX},
        {0, 0, 0, 0},
    };
    const char *format = NULL, *output = NULL, *platform = NULL, *dbpath = NULL;
    const char *data_dir = cli_default_data_dir(), *registry = getenv("DRYDOCK_REGISTRY");
    int exit_code = 0;
    bool no_cache = false, insecure = false, allow_unassessed = false, have_threshold = false, quiet = false;
    dd_severity_t threshold = DD_SEV_UNKNOWN;
    int64_t max_age = -1;
    dd_match_opts_t mo = {0};
    dd_report_format_t fmt = DD_REPORT_TABLE;
    strv_t ignore = {0}, ignorefiles = {0}, vexfiles = {0};
    gate_t g = {0};
    progress_t prog = {.on = isatty(2)};
    char msg[600];
    int c, status = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "ho:q", opts, NULL)) != -1) {
        switch (c) {
        case 'h': usage(stdout); goto out;
        case 'o': output = optarg; break;
        case 'q':
            quiet = true;
            prog.on = false;
            break;
        case OPT_FORMAT:
            if (dd_report_format_parse(optarg, &fmt) != DD_OK) {
                status = cli_usage_error("scan", "unknown format '%s' (table, json, cyclonedx, cyclonedx-vex, spdx, "
                                                 "sarif, github)", optarg);
                goto out;
            }
            format = optarg;
            break;
        case OPT_PLATFORM: platform = optarg; break;
        case OPT_MINSEV:
            if (sev_from(optarg, &mo.min_severity)) {
                status = cli_usage_error("scan", "unknown severity '%s'", optarg);
                goto out;
            }
            break;
        case OPT_THRESH:
            if (sev_from(optarg, &threshold)) {
                status = cli_usage_error("scan", "unknown severity '%s'", optarg);
                goto out;
            }
            have_threshold = true;
            break;
        case OPT_UNFIXED: mo.ignore_unfixed = true; break;
        case OPT_IGNORE: {
            char *dup = dd_strdup(optarg), *save = NULL;
            for (char *t = strtok_r(dup, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) strv_add(&ignore, t);
            free(dup);
            break;
        }
        case OPT_EXIT: {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || end == optarg || v < 0 || v > 255) {
                status = cli_usage_error("scan", "invalid exit code '%s'", optarg);
                goto out;
            }
            exit_code = (int)v;
            break;
        }
        case OPT_EXITON:
            if (gate_parse(&g, optarg, msg, sizeof msg)) {
                status = cli_usage_error("scan", "%s", msg);
                goto out;
            }
            break;
        case OPT_IGNUNKNOWN: g.ignore_unknown = true; break;
        case OPT_MAXAGE:
            if ((max_age = parse_duration(optarg)) < 0) {
                status = cli_usage_error("scan", "invalid duration '%s' (like 30m, 24h, 7d, 2w)", optarg);
                goto out;
            }
            break;
        case OPT_ALLOW: allow_unassessed = true; break;
        case OPT_IGNOREFILE: strv_add(&ignorefiles, optarg); break;
        case OPT_VEX: strv_add(&vexfiles, optarg); break;
        case OPT_REGISTRY: registry = optarg; break;
        case OPT_DB: dbpath = optarg; break;
        case OPT_DATA: data_dir = optarg; break;
        case OPT_NOCACHE: no_cache = true; break;
        case OPT_INSECURE: insecure = true; break;
        case OPT_NOPROGRESS: prog.on = false; break;
        default: status = cli_usage_error("scan", "unknown option"); goto out;
        }
    }
    if (optind != argc - 1) {
        status = cli_usage_error("scan", "expected one TARGET argument");
        goto out;
    }
    /* --exit-on without --exit-code gates with 1; the threshold is one more
     * condition; with neither, any reported finding fails the gate. */
    if (g.n && !exit_code) exit_code = 1;
    if (have_threshold) gate_add(&g, COND_SEVERITY, threshold, NULL);
    else if (!g.n) gate_add(&g, COND_SEVERITY, DD_SEV_NEGLIGIBLE, NULL);
    const int fail = exit_code ? exit_code : 1; /* status for errors */

    const char *ref = argv[optind];
    char *target = resolve_target(ref, registry, msg, sizeof msg);
    if (!target) {
        status = exit_code ? exit_code : 2;
        cli_error("%s", msg);
        goto out;
    }
    if (!format) fmt = DD_REPORT_TABLE; /* on a terminal, piped or to a file, as Trivy */
    mo.ignore = (const char *const *)ignore.v;
    mo.n_ignore = ignore.n;
    bool is_sbom = dd_str_startswith(target, "sbom:");
    bool is_dir = dd_str_startswith(target, "fs:") || dd_str_startswith(target, "rootfs:");
    if (is_dir) no_cache = true;

    char *dbdefault = dd_asprintf("%s/vulndb/vuln.db", data_dir);
    if (!dbpath) dbpath = dbdefault;
    dd_err_t e;
    dd_err_clear(&e);
    dd_vulndb_t *db = NULL;
    dd_scanstore_t *cache_store = NULL;
    dd_image_source_t *src = NULL;
    dd_image_desc_t *imgs = NULL;
    size_t n_imgs = 0;
    store_ref_t sref = {NULL, NULL};
    FILE *out = stdout;
    dd_buf_t all;
    dd_buf_init(&all, 0);
    dd_report_image_t *rimgs = NULL;
    dd_inventory_t *invs = NULL;
    dd_findings_t *finds = NULL;
    size_t n_done = 0;
    dd_suppress_t sup;
    dd_suppress_init(&sup);
    char *unassessed = NULL;   /* why the target was not assessed (first reason) */
    char db_updated[32] = "";
    bool stale = false;        /* the database is older than --max-db-age */
    int rc;

    /* ignore files and VEX first: a bad one stops the scan (fail closed) */
    if (ignorefiles.n == 0) {
        static const char *const defaults[] = {".drydockignore", ".trivyignore", ".trivyignore.yaml"};
        for (size_t i = 0; i < sizeof defaults / sizeof *defaults; i++) {
            rc = dd_suppress_load_file(&sup, defaults[i], DD_SUPP_IGNORE, &e);
            if (rc != DD_OK && rc != DD_ENOTFOUND) {
                status = fail;
                cli_error("invalid ignore file: %s", e.msg);
                goto done;
            }
        }
    }
    for (size_t i = 0; i < ignorefiles.n; i++) {
        if ((rc = dd_suppress_load_file(&sup, ignorefiles.v[i], DD_SUPP_IGNORE, &e))) {
            status = fail;
            cli_error("%s: %s", rc == DD_ENOTFOUND ? "ignore file not found" : "invalid ignore file", e.msg);
            goto done;
        }
    }
    for (size_t i = 0; i < vexfiles.n; i++) {
        if ((rc = dd_suppress_load_file(&sup, vexfiles.v[i], DD_SUPP_VEX, &e))) {
            status = fail;
            cli_error("%s: %s", rc == DD_ENOTFOUND ? "VEX document not found" : "invalid VEX document", e.msg);
            goto done;
        }
    }
    for (size_t i = 0; i < sup.n_warnings; i++) fprintf(stderr, "drydock: warning: %s\n", sup.warnings[i]);

    /* the database */
    rc = dd_vulndb_open(dbpath, true, &db, &e);
    if (rc == DD_ENOTFOUND) {
        unassessed = dd_asprintf("no vulnerability database at '%s' (run 'drydock db update' or "
                                 "'drydock db import')", dbpath);
        db = NULL;
    } else if (rc) {
        status = fail;
        cli_error("%s", e.msg);
        goto done;
    } else {
        int64_t upd = 0;
        if (dd_vulndb_updated(db, db_updated) != DD_OK || dd_time_parse(db_updated, &upd) != DD_OK) upd = 0;
        int64_t age = dd_now_ms() / 1000 - upd;
        if (max_age >= 0 && (upd == 0 || age > max_age)) {
            stale = true;
            char h[64];
            human_age(age, h, sizeof h);
            unassessed = upd ? dd_asprintf("the vulnerability database is %s old (updated %s), over --max-db-age; "
                                           "run 'drydock db update'", h, db_updated)
                             : dd_strdup("the vulnerability database has no update time; cannot check "
                                         "--max-db-age");
        }
    }

    if (output && !(out = fopen(output, "w"))) {
        status = fail;
        cli_error("cannot write '%s'", output);
        out = stdout;
        goto done;
    }

    if (is_sbom) {
        /* an SBOM: its purls are the inventory */
        n_imgs = 1;
        rimgs = dd_calloc(1, sizeof *rimgs);
        invs = dd_calloc(1, sizeof *invs);
        finds = dd_calloc(1, sizeof *finds);
        dd_inventory_init(&invs[0]);
        dd_findings_init(&finds[0]);
        n_done = 1;
        dd_sbom_info_t si;
        if ((rc = dd_sbom_load(target + 5, &invs[0], &si, &e))) {
            status = fail;
            cli_error("cannot read SBOM '%s': %s", target + 5, e.msg);
            goto done;
        }
    } else {
        if (!no_cache) {
            struct stat sb;
            if (stat(data_dir, &sb) == 0 && S_ISDIR(sb.st_mode)) {
                char *p = dd_asprintf("%s/scans.db", data_dir);
                if (dd_scanstore_open(p, &cache_store, NULL) != DD_OK) cache_store = NULL;
                free(p);
            }
        }
        dd_analyze_limits_t lim;
        dd_analyze_limits_default(&lim);
        if (prog.on) {
            lim.progress = on_bytes;
            lim.progress_arg = &prog;
        }
        dd_image_opts_t io = {.platform = platform, .insecure = insecure, .limits = &lim};
        if (prog.on) fprintf(stderr, "\r\033[Kopening %s ...", target);
        if (dd_str_startswith(target, "store:")) rc = open_store_ref(data_dir, target + 6, &io, &sref, &src, &e);
        else rc = dd_image_open(target, &io, &src, &e);
        if (rc || (rc = dd_image_list(src, &imgs, &n_imgs, &e))) {
            if (prog.on) fprintf(stderr, "\r\033[K");
            status = fail;
            cli_error("cannot read image '%s': %s", target, e.msg);
            goto done;
        }
        rimgs = dd_calloc(n_imgs ? n_imgs : 1, sizeof *rimgs);
        invs = dd_calloc(n_imgs ? n_imgs : 1, sizeof *invs);
        finds = dd_calloc(n_imgs ? n_imgs : 1, sizeof *finds);
    }
    dd_layer_cache_t cache = {cache_get, cache_put, cache_store};
    for (size_t i = 0; i < n_imgs; i++) {
        dd_image_desc_t *img = is_sbom ? NULL : &imgs[i];
        char plat[128] = "sbom";
        dd_inventory_t *inv = &invs[i];
        dd_findings_t *f = &finds[i];
        if (img) {
            if (is_dir) snprintf(plat, sizeof plat, "%s", target);
            else dd_platform_format(&img->platform, plat, sizeof plat);
            snprintf(prog.prefix, sizeof prog.prefix, "[%zu/%zu] %s", i + 1, n_imgs, plat);
            prog.layer = 0;
            prog.n_layers = img->n_layers;
            prog.last_out = 0;
            if (prog.on) fprintf(stderr, "\r\033[K%s: analyzing %zu layers ...", prog.prefix, img->n_layers);
            dd_layer_result_t *layers = NULL;
            size_t n_analyzed = 0;
            rc = dd_image_analyze(src, img, cache_store ? &cache : NULL, &layers, &n_analyzed, &e);
            if (rc) {
                if (prog.on) fprintf(stderr, "\r\033[K");
                status = fail;
                cli_error("cannot analyze %s (%s): %s", is_dir ? target : img->digest.str, plat, e.msg);
                goto done;
            }
            dd_inventory_init(inv);
            dd_findings_init(f);
            n_done = i + 1;
            if (prog.on) fprintf(stderr, "\r\033[K%s: reading package databases ...", prog.prefix);
            dd_err_clear(&e);
            rc = dd_scan_inventory(layers, img->n_layers, inv, &e);
            if (rc == DD_OK && e.code && !quiet) fprintf(stderr, "drydock: warning: %s\n", e.msg);
            for (size_t k = 0; k < img->n_layers; k++) dd_layer_result_release(&layers[k]);
            free(layers);
            if (rc) {
                if (prog.on) fprintf(stderr, "\r\033[K");
                status = fail;
                cli_error("cannot read the packages of %s: %s", is_dir ? target : img->digest.str, e.msg);
                goto done;
            }
        }
        for (size_t w = 0; w < inv->nwarnings && !quiet; w++)
            fprintf(stderr, "drydock: warning: %s\n", inv->warnings[w]);
        if (prog.on) fprintf(stderr, "\r\033[K[%zu/%zu] %s: matching %zu packages ...", i + 1, n_imgs, plat, inv->n);
        rc = DD_OK;
        if (db) {
            rc = dd_match_inventory(db, inv, &mo, f, &e);
        } else {
            f->assessed = false;
            f->reason = "no vulnerability data";
        }
        if (prog.on) fprintf(stderr, "\r\033[K");
        if (rc) {
            status = fail;
            cli_error("matching failed: %s", e.msg);
            goto done;
        }
        dd_supp_target_t st = {.ref = ref, .digest = img && !is_dir ? img->digest.str : NULL};
        dd_suppress_apply(&sup, inv, &st, f);
        if (db && stale && f->assessed) {
            /* as the API says of stale data: never Healthy, findings kept */
            f->assessed = f->healthy = false;
            f->reason = dd_arena_strdup(&f->arena, unassessed);
        }
        if (db && !f->assessed && !unassessed)
            unassessed = dd_asprintf("%s%s%s was not assessed: %s", is_sbom || is_dir ? ref : plat,
                                     is_sbom || is_dir ? "" : " of ", is_sbom || is_dir ? "" : ref,
                                     f->reason ? f->reason : "no vulnerability data");
        const char *name = is_sbom || is_dir ? ref : img->ref ? img->ref : ref;
        rimgs[i] = (dd_report_image_t){.img = is_sbom || is_dir ? NULL : img, .name = name, .inv = inv, .f = f};
    }
    dd_report_t report = {.target = ref, .images = rimgs, .n_images = n_imgs,
                          .db_updated = db_updated[0] ? db_updated : NULL, .tool_version = DD_VERSION};
    if (dd_report_write(fmt, &report, &all, &e) != DD_OK) {
        status = fail;
        cli_error("%s", e.msg);
        goto done;
    }
    fwrite(all.ptr, 1, all.len, out);
    fflush(out);

    /* the verdict: not assessed first, then the findings; the reason is the last line */
    size_t n_hits = 0;
    char why[200] = "", first[300] = "";
    for (size_t i = 0; i < n_done; i++)
        for (size_t k = 0; k < finds[i].n; k++) {
            const dd_finding_t *x = &finds[i].v[k];
            if (x->suppressed || !gate_hit(&g, x, why, sizeof why)) continue;
            if (!n_hits++) snprintf(first, sizeof first, "%s in %s %s: %s", x->id, x->package, x->version, why);
        }
    if (unassessed) {
        if (exit_code && !allow_unassessed) {
            status = exit_code;
            cli_error("gate failed: not assessed: %s", unassessed);
        } else if (exit_code) {
            if (n_hits) {
                status = exit_code;
                cli_error("gate failed: %zu finding%s met the exit conditions (first: %s); also not assessed: %s",
                          n_hits, n_hits == 1 ? "" : "s", first, unassessed);
            } else {
                cli_error("warning: not assessed (allowed by --allow-unassessed): %s", unassessed);
            }
        } else {
            cli_error("warning: not assessed: %s", unassessed);
        }
    } else if (exit_code && n_hits) {
        status = exit_code;
        cli_error("gate failed: %zu finding%s met the exit conditions (first: %s)", n_hits, n_hits == 1 ? "" : "s",
                  first);
    }
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
    dd_image_descs_free(imgs, n_imgs && !is_sbom ? n_imgs : 0);
    dd_image_close(src);
    dd_blobstore_close(sref.bs);
    dd_meta_close(sref.meta);
    if (cache_store) dd_scanstore_close(cache_store);
    if (db) dd_vulndb_close(db);
    dd_suppress_release(&sup);
    free(unassessed);
    free(dbdefault);
    free(target);
out:
    strv_clear(&ignore);
    strv_clear(&ignorefiles);
    strv_clear(&vexfiles);
    for (size_t i = 0; i < g.n; i++) free(g.v[i].id);
    free(g.v);
    return status;
}
