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

#define DEFAULT_OSV_ECOSYSTEMS "Debian,Ubuntu,Go,PyPI,AlmaLinux,Rocky Linux,SUSE,openSUSE"
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

typedef enum {
    J_FILE,    /* one document at url */
    J_ARCHIVE, /* a zip (imported as is) or a tar archive (extracted, imported as a directory) */
    J_CSAF,    /* url is a base: base/archive_latest.txt names the archive */
    J_MIRROR,  /* url is a yum mirror.list: resolved to the repository's updateinfo (ALAS) */
    J_NVD,     /* the NVD API sync */
} job_kind_t;

typedef struct job {
    job_kind_t kind;
    char feed[96];
    char url[1200];
    const char *format;
} job_t;

struct update_opts {
    const char *feeds, *osv_ecos, *secdb_branches, *api_key, *from;
    const char *url[S_N];
    bool quiet, insecure;
};

static void add_job(job_t **jobs, size_t *n, job_kind_t kind, const char *feed, const char *url, const char *format)
{
    *jobs = dd_realloc(*jobs, (*n + 1) * sizeof **jobs);
    job_t *j = &(*jobs)[(*n)++];
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
static int plan(const struct update_opts *o, job_t **jobs, size_t *nj)
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
                    add_job(jobs, nj, J_FILE, feed, b.ptr, "osv");
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
                    add_job(jobs, nj, J_FILE, feed, url, "alpine-secdb");
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
                    add_job(jobs, nj, dd_str_endswith(url, "mirror.list") ? J_MIRROR : J_FILE, feed, url, "alas");
                }
                p += l;
                if (*p) p++;
            }
            break;
        case S_CSAF:
            trim_slash(base);
            add_job(jobs, nj, J_CSAF, "redhat-csaf", base, sources[s].format);
            break;
        case S_VULNR: add_job(jobs, nj, J_ARCHIVE, "cve5", base, sources[s].format); break;
        case S_NVD: add_job(jobs, nj, J_NVD, "nvd", base, "nvd"); break;
        default: add_job(jobs, nj, J_FILE, sources[s].name, base, sources[s].format); break;
        }
    }
    return 0;
}

typedef struct prog_arg {
    cli_progress_t *p;
    const char *label;
} prog_arg_t;

static void on_bytes(void *arg, long long done, long long total)
{
    prog_arg_t *a = arg;
    cli_progress_bytes(a->p, a->label, done, total);
}

static void on_nvd(void *arg, const dd_nvd_progress_t *np)
{
    prog_arg_t *a = arg;
    char detail[128];
    if (np->importing) snprintf(detail, sizeof detail, "%ld records, importing", np->records);
    else if (np->full) snprintf(detail, sizeof detail, "%ld records of %ld", np->records, np->total);
    else snprintf(detail, sizeof detail, "%ld records, window %d/%d", np->records, np->window, np->n_windows);
    cli_progress_count(a->p, a->label, "pages", np->pages, 0, detail);
}

/* Reads the archive name from archive_latest.txt: one line, a file name. */
static int csaf_latest(const char *base, const char *tmp, const dd_fetch_opts_t *fo, char *url, size_t usz,
                       char *msg, size_t msz)
{
    char *lu = dd_asprintf("%s/archive_latest.txt", base);
    dd_fetch_result_t fr;
    dd_err_t e = {0};
    int rc = dd_fetch_file(lu, tmp, fo, &fr, &e);
    if (rc) snprintf(msg, msz, "%s", e.msg);
    else if (fr.status != 200) {
        snprintf(msg, msz, "%s: HTTP %ld", lu, fr.status);
        rc = DD_EIO;
    }
    free(lu);
    if (rc) return rc;
    dd_buf_t b;
    dd_buf_init(&b, 4096);
    rc = dd_file_read(tmp, 4096, &b, &e);
    if (rc) {
        snprintf(msg, msz, "archive_latest.txt: %s", e.msg);
        dd_buf_release(&b);
        return rc;
    }
    size_t l = 0;
    while (l < b.len && b.ptr[l] != '\n' && b.ptr[l] != '\r') l++;
    bool ok = l > 0;
    for (size_t i = 0; i < l; i++) {
        char c = b.ptr[i];
        ok &= (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-';
    }
    if (ok) snprintf(url, usz, "%s/%.*s", base, (int)l, b.ptr);
    else snprintf(msg, msz, "%s/archive_latest.txt does not name an archive", base);
    dd_buf_release(&b);
    return ok ? DD_OK : DD_EINVAL;
}

/* tmp, or tmp-NAME when the URL ends in a plain file name NAME. */
static char *download_name(const char *tmp, const char *url)
{
    size_t end = strcspn(url, "?#");
    size_t start = end;
    while (start > 0 && url[start - 1] != '/') start--;
    bool ok = end > start && end - start < 128 && url[start] != '.';
    for (size_t i = start; ok && i < end; i++) {
        char c = url[i];
        ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
             c == '-';
    }
    return ok ? dd_asprintf("%s-%.*s", tmp, (int)(end - start), url + start) : dd_strdup(tmp);
}

/* Imports a downloaded file of a job; dir is a scratch directory name. */
static int import_download(dd_vulndb_t *db, const job_t *j, const char *path, const char *dir, dd_feed_stats_t *st,
                           dd_err_t *e)
{
    if (j->kind == J_ARCHIVE) {
        unsigned char head[8] = {0};
        FILE *f = fopen(path, "rb");
        size_t n = f ? fread(head, 1, sizeof head, f) : 0;
        if (f) fclose(f);
        bool zip = n >= 4 && !memcmp(head, "PK\3\4", 4);
        if (!zip) {
            /* tar.gz (or other compressed tar): import the extracted tree */
            dd_fetch_remove_tree(dir);
            int rc = dd_fetch_extract_tar(path, dir, e);
            if (!rc) rc = dd_feed_import_path(db, dir, j->format, j->feed, st, e);
            dd_fetch_remove_tree(dir);
            return rc;
        }
    }
    return dd_feed_import_path(db, path, j->format, j->feed, st, e);
}

static int update_from(const char *dbpath, const struct update_opts *o)
{
    cli_progress_t *p = cli_progress_new(stderr, o->quiet);
    prog_arg_t pa = {p, o->from};
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
    job_t *jobs = NULL;
    size_t nj = 0;
    if (plan(o, &jobs, &nj) < 0) {
        free(jobs);
        return 2;
    }
    if (nj == 0) {
        free(jobs);
        return cli_usage_error("db", "no feeds selected (--feeds %s)", DEFAULT_FEEDS);
    }
    dd_err_t e = {0};
    dd_vulndb_update_t *u = NULL;
    if (dd_vulndb_update_begin(dbpath, &u, &e)) {
        free(jobs);
        return cli_error("%s", e.msg);
    }
    dd_vulndb_t *db = dd_vulndb_update_db(u);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    cli_progress_t *prog = cli_progress_new(stderr, o->quiet);
    char *tmp = dd_asprintf("%s.download.%ld", dbpath, (long)getpid());
    char *tmpdir = dd_asprintf("%s.d", tmp);
    char *nvd_state = dd_asprintf("%s.nvd-sync", dbpath);
    bool nvd_synced = false;
    long backoff = env_long("DRYDOCK_FETCH_BACKOFF_MS", 0);
    int changed = 0, failed = 0, unchanged = 0, skipped = 0;
    for (size_t i = 0; i < nj; i++) {
        job_t *j = &jobs[i];
        if (!dd_feed_find(j->format)) {
            printf("%s: skipped, its importer ('%s') is not in this build\n", j->feed, j->format);
            skipped++;
            continue;
        }
        prog_arg_t pa = {prog, j->feed};
        dd_err_clear(&e);
        if (j->kind == J_NVD) {
            dd_nvd_sync_opts_t no = {
                .url = j->url,
                .api_key = o->api_key,
                .state_dir = nvd_state,
                .page_size = (int)env_long("DRYDOCK_NVD_PAGE_SIZE", 0),
                .window_days = (int)env_long("DRYDOCK_NVD_WINDOW_DAYS", 0),
                .rate_window_ms = env_long("DRYDOCK_NVD_RATE_WINDOW_MS", 0),
                .backoff_ms = backoff,
                .progress = on_nvd,
                .progress_arg = &pa,
            };
            const char *now = getenv("DRYDOCK_NVD_NOW");
            struct tm tm = {0};
            if (now && *now && strptime(now, "%Y-%m-%dT%H:%M:%S", &tm)) no.now = timegm(&tm);
            dd_nvd_sync_result_t r;
            int rc = dd_nvd_sync(db, &no, &r, &e);
            cli_progress_end(prog);
            if (rc) {
                failed++;
                fprintf(stderr, "drydock: nvd: %s: sync failed, previous data kept (fetched pages kept in '%s' "
                                "for the next run): %s\n", j->url, nvd_state, e.msg);
                continue;
            }
            if (r.full) printf("nvd: full sync%s: %d pages, %d requests\n", r.resumed ? " (resumed)" : "", r.pages,
                               r.requests);
            else printf("nvd: incremental sync%s %s .. %s: %d windows, %d pages, %d requests\n",
                        r.resumed ? " (resumed)" : "", r.since, r.until, r.windows, r.pages, r.requests);
            print_stats("nvd", &r.st);
            nvd_synced = true;
            changed++;
            continue;
        }
        char url[1200];
        char msg[700] = "";
        snprintf(url, sizeof url, "%s", j->url);
        dd_fetch_opts_t fo = {.backoff_ms = backoff, .max_bytes = MAX_DOWNLOAD, .progress = on_bytes,
                              .progress_arg = &pa};
        if (j->kind == J_CSAF && csaf_latest(j->url, tmp, &fo, url, sizeof url, msg, sizeof msg)) {
            cli_progress_end(prog);
            failed++;
            fprintf(stderr, "drydock: %s: %s, previous data kept\n", j->feed, msg);
            continue;
        }
        if (j->kind == J_MIRROR && dd_alas_resolve(j->url, tmp, &fo, url, sizeof url, &e)) {
            cli_progress_end(prog);
            failed++;
            fprintf(stderr, "drydock: %s: %s, previous data kept\n", j->feed, e.msg);
            continue;
        }
        dd_vulndb_feed_info_t prev;
        bool have_prev = dd_vulndb_get_feed(db, j->feed, &prev) == DD_OK;
        /* conditional only against the same URL (the CSAF archive name changes) */
        if (have_prev && !strcmp(prev.source, url)) {
            fo.etag = prev.etag;
            fo.last_modified = prev.last_modified;
        }
        /* the download keeps the URL's file name (csaf_vex_....tar.zst,
         * updateinfo.xml.gz) for importers that go by the extension */
        char *dl = download_name(tmp, url);
        dd_fetch_result_t fr;
        int frc = dd_fetch_file(url, dl, &fo, &fr, &e);
        cli_progress_end(prog);
        if (frc) {
            failed++;
            fprintf(stderr, "drydock: %s: %s, previous data kept\n", j->feed, e.msg);
        } else if (fr.status == 304) {
            printf("%s: unchanged (304 Not Modified)\n", j->feed);
            unchanged++;
        } else if (fr.status == 200) {
            dd_feed_stats_t st = {0};
            /* each feed in its own savepoint: a feed that fails to import
             * (corrupt zip, not its format) keeps its previous data and the
             * other feeds still update */
            dd_vulndb_rec_begin(db);
            int rc = dd_vulndb_clear_feed(db, j->feed, &e);
            if (!rc) rc = import_download(db, j, dl, tmpdir, &st, &e);
            if (!rc) rc = dd_vulndb_set_feed(db, j->feed, url, fr.etag, fr.last_modified, st.records, st.skipped, &e);
            dd_vulndb_rec_end(db, rc == DD_OK);
            if (rc) {
                failed++;
                fprintf(stderr, "drydock: %s: import failed, previous data kept: %s: %s\n", j->feed, url, e.msg);
            } else {
                print_stats(j->feed, &st);
                changed++;
            }
        } else if (fr.status == 404) {
            printf("%s: not found (404) at %s, skipped\n", j->feed, url);
        } else {
            failed++;
            fprintf(stderr, "drydock: %s: HTTP %ld from %s, previous data kept\n", j->feed, fr.status, url);
        }
        if (strcmp(dl, tmp)) unlink(dl);
        free(dl);
    }
    unlink(tmp);
    dd_fetch_remove_tree(tmpdir);
    free(tmp);
    free(tmpdir);
    free(jobs);
    cli_progress_free(prog);
    curl_global_cleanup();
    int rc = failed ? 1 : 0;
    int64_t v = 0;
    if (changed == 0) {
        dd_vulndb_update_abort(u);
        dd_vulndb_current_version(dbpath, &v, NULL);
        printf("database unchanged (version %lld, %d feeds unchanged, %d failed, %d skipped)\n", (long long)v,
               unchanged, failed, skipped);
    } else if (dd_vulndb_update_commit(u, &e)) {
        rc = cli_error("%s", e.msg);
    } else {
        if (nvd_synced) dd_nvd_sync_finish(nvd_state);
        dd_vulndb_current_version(dbpath, &v, NULL);
        printf("database updated to version %lld (%d feeds changed, %d unchanged, %d failed, %d skipped)\n",
               (long long)v, changed, unchanged, failed, skipped);
    }
    free(nvd_state);
    return rc;
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
        prog_arg_t pa = {p, push};
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
        dd_buf_printf(&b, ",\"vulnerabilities\":%ld,\"affected\":%ld,\"nvd\":%ld,\"feeds\":[", st.n_vulns,
                      st.n_affected, st.n_nvd);
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
               "records:   %ld vulnerabilities, %ld affected entries, %ld NVD entries\nfeeds:\n",
               dbpath, st.schema_version, (long long)st.version, st.built, st.updated, st.n_vulns, st.n_affected,
               st.n_nvd);
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
