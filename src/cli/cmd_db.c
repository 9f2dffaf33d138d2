/*
 * cmd_db.c: `drydock db import|update|export|status`, the vulnerability
 * database front end (see docs/vulndb.md and docs/feeds.md). It parses flags
 * and prints; downloading, the NVD sync and the OCI artifact are library code
 * (dbsync.h: src/feeds/fetch.c, src/feeds/nvd_sync.c, src/vulndb/artifact.c).
 *
 *   import PATH...   imports feed files, directories or zips (format detected)
 *   update           downloads the selected feeds (table `sources` below),
 *                    sending the stored ETag / Last-Modified; unchanged feeds
 *                    (304) are skipped, changed feeds replace what they stored
 *                    before, each in its own savepoint; NVD is synced through
 *                    its API (full, then incremental, resumable)
 *   update --from    replaces the database with an exported artifact
 *   export           writes the database as an OCI artifact (layout, registry)
 *   status           feeds, database version, last update, record counts
 *
 * Every change is built in a temp copy and swapped in atomically
 * (dd_vulndb_update_*, dd_vulndb_replace), so running scans never see half
 * an update.
 */
#include "cli.h"
#include "progress.h"
#include "dd/dbsync.h"
#include "dd/feeds.h"
#include "dd/vulndb.h"

#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_OSV_ECOSYSTEMS \
    "Debian,Ubuntu,AlmaLinux,Rocky Linux,SUSE,openSUSE,Go,PyPI,npm,Maven,RubyGems,crates.io,Packagist,NuGet"
#define DEFAULT_SECDB_BRANCHES "v3.18,v3.19,v3.20,v3.21,v3.22"
#define DEFAULT_FEEDS "osv,debian-tracker,alpine-secdb,nvd,kev,epss,vulnrichment,redhat-csaf,alas"
#define MAX_DOWNLOAD (4LL << 30)

/* The sources `db update` knows, sorted by name. Fields:
 *   name     the word in --feeds
 *   format   the importer (dd_feed_find); a source whose importer is not in
 *            this build is skipped with a note
 *   flag     the option that sets its URL (without "--")
 *   env      the environment variable that sets it (the flag wins)
 *   def      the live default
 *   shape    how the URLs are derived (shown by --help) */
typedef struct source {
    const char *name, *format, *flag, *env, *def, *shape;
} source_t;

enum { S_ALAS, S_SECDB, S_TRACKER, S_EPSS, S_KEV, S_NVD, S_OSV, S_CSAF, S_VULNR, S_N };
static const source_t sources[S_N] = {
    [S_ALAS] = {"alas", "alas", "alas-urls", "DRYDOCK_ALAS_URLS",
                "2=https://cdn.amazonlinux.com/2/core/latest/x86_64/mirror.list,"
                "2023=https://cdn.amazonlinux.com/al2023/core/mirrors/latest/x86_64/mirror.list",
                "RELEASE=URL,..., feed alas/RELEASE; URL an updateinfo.xml[.gz], or a mirror.list\n"
                "        (then MIRROR/repodata/repomd.xml names the updateinfo file)"},
    [S_SECDB] = {"alpine-secdb", "alpine-secdb", "alpine-secdb-url", "DRYDOCK_ALPINE_SECDB_URL",
                 "https://secdb.alpinelinux.org", "BASE/<branch>/{main,community}.json, branches --alpine-branches"},
    [S_TRACKER] = {"debian-tracker", "debian-tracker", "debian-tracker-url", "DRYDOCK_DEBIAN_TRACKER_URL",
                   "https://security-tracker.debian.org/tracker/data/json", "URL"},
    [S_EPSS] = {"epss", "epss", "epss-url", "DRYDOCK_EPSS_URL", "https://epss.cyentia.com/epss_scores-current.csv.gz",
                "URL (CSV, gzip-compressed or plain)"},
    [S_KEV] = {"kev", "kev", "kev-url", "DRYDOCK_KEV_URL",
               "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json", "URL"},
    [S_NVD] = {"nvd", "nvd", "nvd-url", "DRYDOCK_NVD_URL", "https://services.nvd.nist.gov/rest/json/cves/2.0",
               "the CVE API 2.0 (paged; incremental by lastModStartDate/lastModEndDate)"},
    [S_OSV] = {"osv", "osv", "osv-url", "DRYDOCK_OSV_URL", "https://osv-vulnerabilities.storage.googleapis.com",
               "BASE/<Ecosystem>/all.zip, ecosystems --osv-ecosystems"},
    [S_CSAF] = {"redhat-csaf", "csaf-vex", "redhat-csaf-url", "DRYDOCK_REDHAT_CSAF_URL",
                "https://security.access.redhat.com/data/csaf/v2/vex",
                "BASE/archive_latest.txt names the archive, BASE/<name> (tar.zst)"},
    [S_VULNR] = {"vulnrichment", "cve5", "vulnrichment-url", "DRYDOCK_VULNRICHMENT_URL",
                 "https://github.com/cisagov/vulnrichment/archive/refs/heads/develop.zip",
                 "an archive (zip or tar.gz) of the repository, feed cve5"},
};

static const char *envor(const char *name, const char *def)
{
    const char *v = getenv(name);
    return v && *v ? v : def;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: drydock db import [--format F] [--feed NAME] PATH...  (PATH: file, all.zip, directory\n"
            "                         of OSV records, or a tree of feed files such as tests/fixtures/feeds)\n"
            "       drydock db update [--feeds LIST] [--quiet] [--nvd-api-key KEY] [--<source>-url URL]...\n"
            "                         [--osv-ecosystems LIST] [--alpine-branches LIST]\n"
            "       drydock db update --from oci://HOST[:PORT]/REPO[:TAG|@DIGEST] | oci-layout:DIR[:TAG]\n"
            "                         [--insecure]\n"
            "       drydock db export [--output DIR] [--tag TAG] [oci://HOST[:PORT]/REPO:TAG] [--insecure]\n"
            "       drydock db status [--json]\n"
            "common options: --data-dir DIR, --db PATH (default DATA_DIR/vulndb/vuln.db)\n"
            "formats: ");
    size_t n;
    const dd_feed_t *const *fs = dd_feeds(&n);
    for (size_t i = 0; i < n; i++) fprintf(out, "%s%s", i ? ", " : "", fs[i]->name);
    fprintf(out, "\nupdate sources (--feeds, default %s):\n", DEFAULT_FEEDS);
    for (int i = 0; i < S_N; i++)
        fprintf(out, "  %-15s --%s (or $%s)\n        default %s\n        %s\n", sources[i].name, sources[i].flag,
                sources[i].env, sources[i].def[0] ? sources[i].def : "(none)", sources[i].shape);
    fprintf(out, "  --osv-ecosystems default \"%s\"\n  --alpine-branches default %s\n"
                 "  --nvd-api-key KEY (or $DRYDOCK_NVD_API_KEY): sent as the apiKey header, 50 requests\n"
                 "        per 30 s instead of 5\n",
            DEFAULT_OSV_ECOSYSTEMS, DEFAULT_SECDB_BRANCHES);
}

static void print_stats(const char *what, const dd_feed_stats_t *st)
{
    printf("%s: %s feed '%s': %ld records, %ld affected entries, %ld withdrawn, %ld not stored, "
           "%ld bad records skipped\n",
           what, st->format, st->feed, st->records, st->affected, st->withdrawn, st->ignored, st->skipped);
    for (int i = 0; i < st->n_msgs; i++) printf("  bad record: %s\n", st->msgs[i]);
    if (st->skipped > st->n_msgs) printf("  (%ld more bad records not shown)\n", st->skipped - st->n_msgs);
}

/* ---- import ---------------------------------------------------------------- */

static int tree_done(const char *path, const dd_feed_stats_t *st, void *arg)
{
    dd_err_t e = {0};
    int rc = dd_vulndb_set_feed(arg, st->feed[0] ? st->feed : "unknown", path, NULL, NULL, st->records,
                                st->skipped, &e);
    if (rc) fprintf(stderr, "drydock: %s\n", e.msg);
    else print_stats(path, st);
    return rc;
}

static int db_import(const char *dbpath, const char *format, const char *feed, int n, char **paths)
{
    if (n == 0) return cli_usage_error("db", "import needs at least one PATH");
    dd_err_t e = {0};
    dd_vulndb_update_t *u = NULL;
    if (dd_vulndb_update_begin(dbpath, &u, &e)) return cli_error("%s", e.msg);
    dd_vulndb_t *db = dd_vulndb_update_db(u);
    for (int i = 0; i < n; i++) {
        dd_feed_stats_t st = {0};
        struct stat sb;
        if (!format && !feed && stat(paths[i], &sb) == 0 && S_ISDIR(sb.st_mode)) {
            /* a tree of feed files (the shipped sample) or a directory of OSV records */
            if (dd_feed_import_tree(db, paths[i], tree_done, db, &e)) {
                dd_vulndb_update_abort(u);
                return cli_error("import of '%s' failed, database unchanged: %s", paths[i], e.msg);
            }
            continue;
        }
        if (dd_feed_import_path(db, paths[i], format, feed, &st, &e)) {
            dd_vulndb_update_abort(u);
            return cli_error("import of '%s' failed, database unchanged: %s", paths[i], e.msg);
        }
        if (dd_vulndb_set_feed(db, st.feed[0] ? st.feed : "unknown", paths[i], NULL, NULL, st.records, st.skipped,
                               &e)) {
            dd_vulndb_update_abort(u);
            return cli_error("%s", e.msg);
        }
        print_stats(paths[i], &st);
    }
    if (dd_vulndb_update_commit(u, &e)) return cli_error("%s", e.msg);
    int64_t v = 0;
    dd_vulndb_current_version(dbpath, &v, NULL);
    printf("database %s now at version %lld\n", dbpath, (long long)v);
    return 0;
}

/* ---- update ------------------------------------------------------------------ */

struct update_opts {
    const char *feeds, *osv_ecos, *secdb_branches, *api_key, *from;
    const char *url[S_N];
    bool quiet, insecure;
};

static void add_job(dd_update_job_t **jobs, size_t *n, dd_src_kind_t kind, const char *feed, const char *url,
                    const char *format)
{
    *jobs = dd_realloc(*jobs, (*n + 1) * sizeof **jobs);
    dd_update_job_t *j = &(*jobs)[(*n)++];
    j->kind = kind;
    snprintf(j->feed, sizeof j->feed, "%s", feed);
    snprintf(j->url, sizeof j->url, "%s", url);
    j->format = format;
}

static bool in_list(const char *list, const char *word)
{
    size_t wl = strlen(word);
    for (const char *p = list; *p;) {
        size_t l = strcspn(p, ",");
        if (l == wl && !strncmp(p, word, l)) return true;
        p += l;
        if (*p) p++;
    }
    return false;
}

static void trim_slash(char *s)
{
    size_t n = strlen(s);
    while (n && s[n - 1] == '/') s[--n] = 0;
}

static long env_long(const char *name, long def)
{
    const char *v = getenv(name);
    char *end = NULL;
    long n = v && *v ? strtol(v, &end, 10) : def;
    return end && *end ? def : n;
}

/* The jobs of the selected sources; -1 (message printed) on a bad --feeds. */
static int plan(const struct update_opts *o, dd_update_job_t **jobs, size_t *nj)
{
    for (const char *p = o->feeds; *p;) {
        size_t l = strcspn(p, ",");
        bool known = false;
        for (int i = 0; i < S_N; i++) known |= strlen(sources[i].name) == l && !strncmp(sources[i].name, p, l);
        if (l && !known) return cli_usage_error("db", "unknown feed '%.*s' in --feeds (known: %s)", (int)l, p,
                                                DEFAULT_FEEDS), -1;
        p += l;
        if (*p) p++;
    }
    char base[1024], url[1200], feed[96];
    for (int s = 0; s < S_N; s++) {
        if (!in_list(o->feeds, sources[s].name)) continue;
        snprintf(base, sizeof base, "%s", o->url[s]);
        switch (s) {
        case S_OSV:
            trim_slash(base);
            for (const char *p = o->osv_ecos; *p;) {
                size_t l = strcspn(p, ",");
                if (l) {
                    /* "Rocky Linux" -> Rocky%20Linux in the URL, the name in the feed */
                    dd_buf_t b;
                    dd_buf_init(&b, 0);
                    char *eco = dd_strndup(p, l);
                    dd_buf_printf(&b, "%s/", base);
                    dd_buf_pct_encode(&b, eco, NULL);
                    dd_buf_puts(&b, "/all.zip");
                    snprintf(feed, sizeof feed, "osv/%s", eco);
                    add_job(jobs, nj, DD_SRC_FILE, feed, b.ptr, "osv");
                    free(eco);
                    dd_buf_release(&b);
                }
                p += l;
                if (*p) p++;
            }
            break;
        case S_SECDB:
            trim_slash(base);
            for (const char *p = o->secdb_branches; *p;) {
                size_t l = strcspn(p, ",");
                static const char *const repos[] = {"main", "community"};
                for (int r = 0; l && r < 2; r++) {
                    snprintf(url, sizeof url, "%s/%.*s/%s.json", base, (int)l, p, repos[r]);
                    snprintf(feed, sizeof feed, "alpine/%.*s/%s", (int)l, p, repos[r]);
                    add_job(jobs, nj, DD_SRC_FILE, feed, url, "alpine-secdb");
                }
                p += l;
                if (*p) p++;
            }
            break;
        case S_ALAS:
            /* RELEASE=URL,RELEASE=URL */
            for (const char *p = base; *p;) {
                size_t l = strcspn(p, ",");
                const char *eq = memchr(p, '=', l);
                if (l && !eq) {
                    return cli_usage_error("db", "--alas-urls wants RELEASE=URL, got '%.*s'", (int)l, p), -1;
                } else if (l) {
                    snprintf(feed, sizeof feed, "alas/%.*s", (int)(eq - p), p);
                    snprintf(url, sizeof url, "%.*s", (int)(l - (size_t)(eq + 1 - p)), eq + 1);
                    add_job(jobs, nj, dd_str_endswith(url, "mirror.list") ? DD_SRC_MIRROR : DD_SRC_FILE, feed, url, "alas");
                }
                p += l;
                if (*p) p++;
            }
            break;
        case S_CSAF:
            trim_slash(base);
            add_job(jobs, nj, DD_SRC_CSAF, "redhat-csaf", base, sources[s].format);
            break;
        case S_VULNR: add_job(jobs, nj, DD_SRC_ARCHIVE, "cve5", base, sources[s].format); break;
        case S_NVD: add_job(jobs, nj, DD_SRC_NVD, "nvd", base, "nvd"); break;
        default: add_job(jobs, nj, DD_SRC_FILE, sources[s].name, base, sources[s].format); break;
        }
    }
    return 0;
}

typedef struct prog_arg {
    cli_progress_t *p;
    const char *label;
    const char *nvd_state; /* where a failed NVD sync keeps its pages */
} prog_arg_t;

static void on_bytes(void *arg, long long done, long long total)
{
    prog_arg_t *a = arg;
    cli_progress_bytes(a->p, a->label, done, total);
}

static void on_feed_bytes(void *arg, const char *feed, long long done, long long total)
{
    prog_arg_t *a = arg;
    cli_progress_bytes(a->p, feed, done, total);
}

static void on_nvd(void *arg, const dd_nvd_progress_t *np)
{
    prog_arg_t *a = arg;
    char detail[128];
    if (np->importing) snprintf(detail, sizeof detail, "%ld records, importing", np->records);
    else if (np->full) snprintf(detail, sizeof detail, "%ld records of %ld", np->records, np->total);
    else snprintf(detail, sizeof detail, "%ld records, window %d/%d", np->records, np->window, np->n_windows);
    cli_progress_count(a->p, "nvd", "pages", np->pages, 0, detail);
}

/* One line per source: results on stdout, failures on stderr. */
static void on_result(void *arg, const dd_update_event_t *ev)
{
    prog_arg_t *a = arg;
    cli_progress_end(a->p);
    const char *feed = ev->job->feed;
    switch (ev->outcome) {
    case DD_UPD_SKIPPED:
        printf("%s: skipped, its importer ('%s') is not in this build\n", feed, ev->job->format);
        break;
    case DD_UPD_UNCHANGED: printf("%s: unchanged (304 Not Modified)\n", feed); break;
    case DD_UPD_NOT_FOUND: printf("%s: not found (404) at %s, skipped\n", feed, ev->url); break;
    case DD_UPD_FAILED:
        if (ev->job->kind == DD_SRC_NVD)
            fprintf(stderr, "drydock: nvd: %s: sync failed, previous data kept (fetched pages kept in '%s' "
                            "for the next run): %s\n", ev->url, a->nvd_state, ev->msg);
        else if (ev->importing)
            fprintf(stderr, "drydock: %s: import failed, previous data kept: %s: %s\n", feed, ev->url, ev->msg);
        else fprintf(stderr, "drydock: %s: %s, previous data kept\n", feed, ev->msg);
        break;
    case DD_UPD_CHANGED:
        if (ev->nvd && ev->nvd->full)
            printf("nvd: full sync%s: %d pages, %d requests\n", ev->nvd->resumed ? " (resumed)" : "", ev->nvd->pages,
                   ev->nvd->requests);
        else if (ev->nvd)
            printf("nvd: incremental sync%s %s .. %s: %d windows, %d pages, %d requests\n",
                   ev->nvd->resumed ? " (resumed)" : "", ev->nvd->since, ev->nvd->until, ev->nvd->windows,
                   ev->nvd->pages, ev->nvd->requests);
        print_stats(feed, ev->st);
        break;
    }
    fflush(stdout);
}

static int update_from(const char *dbpath, const struct update_opts *o)
{
    cli_progress_t *p = cli_progress_new(stderr, o->quiet);
    prog_arg_t pa = {p, o->from, NULL};
    dd_oci_remote_opts_t ro = {.insecure = o->insecure, .progress = on_bytes, .progress_arg = &pa};
    dd_err_t e = {0};
    int64_t v = 0;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = dd_vulndb_artifact_pull(o->from, dbpath, &ro, &v, &e);
    curl_global_cleanup();
    cli_progress_free(p);
    if (rc) return cli_error("update from '%s' failed, database unchanged: %s", o->from, e.msg);
    printf("database %s replaced from %s, now at version %lld\n", dbpath, o->from, (long long)v);
    return 0;
}

static int db_update(const char *dbpath, const struct update_opts *o)
{
    if (o->from) return update_from(dbpath, o);
    dd_update_job_t *jobs = NULL;
    size_t nj = 0;
    if (plan(o, &jobs, &nj) < 0) {
        free(jobs);
        return 2;
    }
    if (nj == 0) {
        free(jobs);
        return cli_usage_error("db", "no feeds selected (--feeds %s)", DEFAULT_FEEDS);
    }
    char *state = dd_asprintf("%s.nvd-sync", dbpath);
    prog_arg_t pa = {cli_progress_new(stderr, o->quiet), NULL, state};
    dd_update_opts_t uo = {
        .nvd_api_key = o->api_key,
        .nvd_page_size = (int)env_long("DRYDOCK_NVD_PAGE_SIZE", 0),
        .nvd_window_days = (int)env_long("DRYDOCK_NVD_WINDOW_DAYS", 0),
        .nvd_rate_window_ms = env_long("DRYDOCK_NVD_RATE_WINDOW_MS", 0),
        .backoff_ms = env_long("DRYDOCK_FETCH_BACKOFF_MS", 0),
        .max_bytes = MAX_DOWNLOAD,
        .on_progress = on_feed_bytes,
        .on_nvd_progress = on_nvd,
        .on_result = on_result,
        .arg = &pa,
    };
    const char *now = getenv("DRYDOCK_NVD_NOW");
    struct tm tm = {0};
    if (now && *now && strptime(now, "%Y-%m-%dT%H:%M:%S", &tm)) uo.nvd_now = timegm(&tm);
    dd_update_summary_t sum;
    dd_err_t e = {0};
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = dd_feeds_update(dbpath, jobs, nj, &uo, &sum, &e);
    curl_global_cleanup();
    cli_progress_free(pa.p);
    free(jobs);
    free(state);
    if (rc) return cli_error("%s", e.msg);
    if (sum.committed)
        printf("database updated to version %lld (%d feeds changed, %d unchanged, %d failed, %d skipped)\n",
               (long long)sum.version, sum.changed, sum.unchanged, sum.failed, sum.skipped);
    else
        printf("database unchanged (version %lld, %d feeds unchanged, %d failed, %d skipped)\n",
               (long long)sum.version, sum.unchanged, sum.failed, sum.skipped);
    return sum.failed ? 1 : 0;
}

/* ---- export ------------------------------------------------------------------- */

static int db_export(const char *dbpath, const char *output, const char *tag, const char *push, bool insecure,
                     bool quiet)
{
    if (!output && !push) return cli_usage_error("db", "export needs --output DIR and/or oci://HOST/REPO:TAG");
    if (push && !dd_str_startswith(push, "oci://"))
        return cli_usage_error("db", "export target '%s' is not oci://HOST[:PORT]/REPO:TAG", push);
    char *dir = dd_strdup(dbpath);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = '\0';
    else snprintf(dir, strlen(dir) + 1, ".");
    dd_err_t e = {0};
    dd_vulndb_artifact_t a;
    int rc = dd_vulndb_artifact_build(dbpath, dir, &a, &e);
    free(dir);
    if (rc) return cli_error("export failed: %s", e.msg);
    if (output) {
        if ((rc = dd_vulndb_artifact_write_layout(&a, output, tag ? tag : "latest", &e)))
            rc = cli_error("export to '%s' failed: %s", output, e.msg);
        else printf("exported database version %lld to %s (tag %s): manifest %s, layer %s (%lld bytes)\n",
                    (long long)a.version, output, tag ? tag : "latest", a.manifest_digest, a.layer_digest,
                    a.layer_size);
    }
    if (!rc && push) {
        cli_progress_t *p = cli_progress_new(stderr, quiet);
        prog_arg_t pa = {p, push, NULL};
        dd_oci_remote_opts_t ro = {.insecure = insecure, .progress = on_bytes, .progress_arg = &pa};
        curl_global_init(CURL_GLOBAL_DEFAULT);
        rc = dd_vulndb_artifact_push(&a, push + strlen("oci://"), &ro, &e);
        curl_global_cleanup();
        cli_progress_free(p);
        if (rc) rc = cli_error("push to '%s' failed: %s", push, e.msg);
        else printf("pushed database version %lld to %s: manifest %s\n", (long long)a.version, push,
                    a.manifest_digest);
    }
    dd_vulndb_artifact_release(&a);
    return rc ? 1 : 0;
}

/* ---- status ---------------------------------------------------------------- */

static int db_status(const char *dbpath, bool json)
{
    dd_err_t e = {0};
    dd_vulndb_t *db = NULL;
    int rc = dd_vulndb_open(dbpath, true, &db, &e);
    if (rc == DD_ENOTFOUND && json) {
        printf("{\"path\":");
        dd_buf_t b;
        dd_buf_init(&b, 0);
        dd_buf_json_str(&b, dbpath);
        printf("%s,\"present\":false}\n", b.ptr);
        dd_buf_release(&b);
        return 1;
    }
    if (rc) return cli_error("%s", e.msg);
    dd_vulndb_status_t st;
    dd_vulndb_status(db, &st);
    dd_vulndb_close(db);
    if (json) {
        dd_buf_t b;
        dd_buf_init(&b, 0);
        dd_buf_puts(&b, "{\"path\":");
        dd_buf_json_str(&b, dbpath);
        dd_buf_printf(&b, ",\"present\":true,\"schema_version\":%d,\"version\":%lld,\"built\":", st.schema_version,
                      (long long)st.version);
        dd_buf_json_str(&b, st.built);
        dd_buf_puts(&b, ",\"updated\":");
        dd_buf_json_str(&b, st.updated);
        dd_buf_printf(&b, ",\"vulnerabilities\":%ld,\"affected\":%ld,\"nvd\":%ld,", st.n_vulns, st.n_affected,
                      st.n_nvd);
        dd_buf_printf(&b, "\"cvss\":%ld,\"kev\":%ld,\"epss\":%ld,\"feeds\":[", st.n_cvss, st.n_kev, st.n_epss);
        for (size_t i = 0; i < st.n_feeds; i++) {
            dd_vulndb_feed_info_t *f = &st.feeds[i];
            dd_buf_puts(&b, i ? ",{\"name\":" : "{\"name\":");
            dd_buf_json_str(&b, f->name);
            dd_buf_puts(&b, ",\"source\":");
            dd_buf_json_str(&b, f->source);
            dd_buf_puts(&b, ",\"etag\":");
            dd_buf_json_str(&b, f->etag);
            dd_buf_puts(&b, ",\"last_modified\":");
            dd_buf_json_str(&b, f->last_modified);
            dd_buf_puts(&b, ",\"updated\":");
            dd_buf_json_str(&b, f->updated);
            dd_buf_printf(&b, ",\"records\":%ld,\"errors\":%ld}", f->records, f->errors);
        }
        dd_buf_puts(&b, "]}");
        printf("%s\n", b.ptr);
        dd_buf_release(&b);
    } else {
        printf("database:  %s\nschema:    %d\nversion:   %lld\nbuilt:     %s\nupdated:   %s\n"
               "records:   %ld vulnerabilities, %ld affected entries, %ld NVD entries\n",
               dbpath, st.schema_version, (long long)st.version, st.built, st.updated, st.n_vulns, st.n_affected,
               st.n_nvd);
        printf("enrichment: %ld CVSS metrics, %ld KEV entries, %ld EPSS scores\nfeeds:\n", st.n_cvss, st.n_kev, st.n_epss);
        printf("  %-24s %9s %7s  %-20s  %s\n", "NAME", "RECORDS", "ERRORS", "UPDATED", "SOURCE");
        for (size_t i = 0; i < st.n_feeds; i++) {
            dd_vulndb_feed_info_t *f = &st.feeds[i];
            printf("  %-24s %9ld %7ld  %-20s  %s\n", f->name, f->records, f->errors, f->updated, f->source);
        }
    }
    dd_vulndb_status_release(&st);
    return 0;
}

int cmd_db(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *sub = argv[1];
    const char *data_dir = NULL, *dbpath = NULL, *format = NULL, *feed = NULL, *output = NULL, *tag = NULL;
    bool json = false;
    struct update_opts uo = {
        .feeds = DEFAULT_FEEDS,
        .osv_ecos = DEFAULT_OSV_ECOSYSTEMS,
        .secdb_branches = DEFAULT_SECDB_BRANCHES,
        .api_key = envor("DRYDOCK_NVD_API_KEY", NULL),
    };
    for (int i = 0; i < S_N; i++) uo.url[i] = envor(sources[i].env, sources[i].def);
    enum { O_DATA = 256, O_DB, O_FORMAT, O_FEED, O_JSON, O_FEEDS, O_OSVE, O_BRANCHES, O_HELP, O_KEY, O_QUIET,
           O_FROM, O_INSECURE, O_OUTPUT, O_TAG, O_URL0 };
    static const struct option opts[] = {
        {"alas-urls", required_argument, NULL, O_URL0 + S_ALAS},
        {"alpine-branches", required_argument, NULL, O_BRANCHES},
        {"alpine-secdb-url", required_argument, NULL, O_URL0 + S_SECDB},
        {"data-dir", required_argument, NULL, O_DATA},
        {"db", required_argument, NULL, O_DB},
        {"debian-tracker-url", required_argument, NULL, O_URL0 + S_TRACKER},
        {"epss-url", required_argument, NULL, O_URL0 + S_EPSS},
        {"feed", required_argument, NULL, O_FEED},
        {"feeds", required_argument, NULL, O_FEEDS},
        {"format", required_argument, NULL, O_FORMAT},
        {"from", required_argument, NULL, O_FROM},
        {"help", no_argument, NULL, O_HELP},
        {"insecure", no_argument, NULL, O_INSECURE},
        {"json", no_argument, NULL, O_JSON},
        {"kev-url", required_argument, NULL, O_URL0 + S_KEV},
        {"nvd-api-key", required_argument, NULL, O_KEY},
        {"nvd-url", required_argument, NULL, O_URL0 + S_NVD},
        {"osv-ecosystems", required_argument, NULL, O_OSVE},
        {"osv-url", required_argument, NULL, O_URL0 + S_OSV},
        {"output", required_argument, NULL, O_OUTPUT},
        {"quiet", no_argument, NULL, O_QUIET},
        {"redhat-csaf-url", required_argument, NULL, O_URL0 + S_CSAF},
        {"tag", required_argument, NULL, O_TAG},
        {"vulnrichment-url", required_argument, NULL, O_URL0 + S_VULNR},
        {NULL, 0, NULL, 0},
    };
    optind = 1;
    int c;
    while ((c = getopt_long(argc - 1, argv + 1, "q", opts, NULL)) != -1) {
        if (c >= O_URL0 && c < O_URL0 + S_N) {
            uo.url[c - O_URL0] = optarg;
            continue;
        }
        switch (c) {
        case O_DATA: data_dir = optarg; break;
        case O_DB: dbpath = optarg; break;
        case O_FORMAT: format = optarg; break;
        case O_FEED: feed = optarg; break;
        case O_JSON: json = true; break;
        case O_FEEDS: uo.feeds = optarg; break;
        case O_OSVE: uo.osv_ecos = optarg; break;
        case O_BRANCHES: uo.secdb_branches = optarg; break;
        case O_KEY: uo.api_key = optarg; break;
        case 'q':
        case O_QUIET: uo.quiet = true; break;
        case O_FROM: uo.from = optarg; break;
        case O_INSECURE: uo.insecure = true; break;
        case O_OUTPUT: output = optarg; break;
        case O_TAG: tag = optarg; break;
        case O_HELP: usage(stdout); return 0;
        default: return cli_usage_error("db", "bad option");
        }
    }
    if (format && !dd_feed_find(format)) return cli_usage_error("db", "unknown format '%s'", format);
    char *own = NULL;
    if (!dbpath) dbpath = own = dd_vulndb_default_path(data_dir ? data_dir : cli_default_data_dir());
    int rc;
    int npos = argc - 1 - optind;
    char **pos = argv + 1 + optind;
    if (!strcmp(sub, "import")) rc = db_import(dbpath, format, feed, npos, pos);
    else if (!strcmp(sub, "update")) rc = npos ? cli_usage_error("db", "update takes no arguments") : db_update(dbpath, &uo);
    else if (!strcmp(sub, "export"))
        rc = npos > 1 ? cli_usage_error("db", "export takes at most one oci:// target")
                      : db_export(dbpath, output, tag, npos ? pos[0] : NULL, uo.insecure, uo.quiet);
    else if (!strcmp(sub, "status")) rc = npos ? cli_usage_error("db", "status takes no arguments") : db_status(dbpath, json);
    else rc = cli_usage_error("db", "unknown subcommand '%s'", sub);
    free(own);
    return rc;
}
