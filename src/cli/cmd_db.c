/*
 * cmd_db.c: `drydock db import|update|status`, the vulnerability database
 * front end (see docs/vulndb.md and docs/feeds.md).
 *
 *   import PATH...   imports feed files, directories or zips (format detected)
 *   update           downloads the configured feeds with libcurl, sending the
 *                    stored ETag / Last-Modified; unchanged feeds (304) are
 *                    skipped; changed feeds replace what they stored before
 *   status           feeds, database version, last update, record counts
 *
 * Every change is built in a temp copy and swapped in atomically
 * (dd_vulndb_update_*), so running scans never see half an update.
 */
#include "cli.h"
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
#include <unistd.h>

#define DEFAULT_OSV_URL "https://osv-vulnerabilities.storage.googleapis.com"
#define DEFAULT_OSV_ECOSYSTEMS "Debian,Ubuntu,Go,PyPI"
#define DEFAULT_TRACKER_URL "https://security-tracker.debian.org/tracker/data/json"
#define DEFAULT_SECDB_URL "https://secdb.alpinelinux.org"
#define DEFAULT_SECDB_BRANCHES "v3.18,v3.19,v3.20,v3.21,v3.22"
#define DEFAULT_NVD_URL "https://services.nvd.nist.gov/rest/json/cves/2.0"
/* NVD is opt-in: the API pages from its oldest CVEs, so one unparameterized
 * page is no useful enrichment; it is fetched when --nvd-url (or
 * $DRYDOCK_NVD_URL) names the page to use, or --feeds lists nvd. */
#define DEFAULT_FEEDS "osv,debian-tracker,alpine-secdb"
#define MAX_DOWNLOAD (1024LL << 20)

static void usage(FILE *out)
{
    fprintf(out,
            "usage: drydock db import [--format F] [--feed NAME] PATH...  (PATH: file, all.zip, directory\n"
            "                         of OSV records, or a tree of feed files such as tests/fixtures/feeds)\n"
            "       drydock db update [--feeds LIST] [--osv-url BASE] [--osv-ecosystems LIST]\n"
            "                         [--debian-tracker-url URL] [--alpine-secdb-url BASE]\n"
            "                         [--alpine-branches LIST] [--nvd-url URL]\n"
            "       drydock db status [--json]\n"
            "common options: --data-dir DIR, --db PATH (default DATA_DIR/vulndb/vuln.db)\n"
            "formats: osv, cve5 (file, directory, all.zip), debian-tracker, alpine-secdb, nvd, kev, epss,\n"
            "  csaf-vex (Red Hat VEX file, directory or csaf_vex_*.tar.zst; feed redhat-csaf),\n"
            "  alas (Amazon updateinfo.xml[.gz]; --feed alas/1|alas/2|alas/2023)\n"
            "update defaults (also from $DRYDOCK_OSV_URL, $DRYDOCK_DEBIAN_TRACKER_URL,\n"
            "  $DRYDOCK_ALPINE_SECDB_URL, $DRYDOCK_NVD_URL):\n"
            "  --feeds %s\n  --osv-url %s (BASE/<Ecosystem>/all.zip)\n"
            "  --osv-ecosystems %s\n  --debian-tracker-url %s\n"
            "  --alpine-secdb-url %s (BASE/<branch>/{main,community}.json)\n"
            "  --alpine-branches %s\n  --nvd-url %s (NVD is fetched only when --nvd-url or\n"
            "    $DRYDOCK_NVD_URL is given, or --feeds lists nvd)\n",
            DEFAULT_FEEDS, DEFAULT_OSV_URL, DEFAULT_OSV_ECOSYSTEMS, DEFAULT_TRACKER_URL, DEFAULT_SECDB_URL,
            DEFAULT_SECDB_BRANCHES, DEFAULT_NVD_URL);
}

static const char *envor(const char *name, const char *def)
{
    const char *v = getenv(name);
    return v && *v ? v : def;
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

/* ---- download -------------------------------------------------------------- */

typedef struct dl {
    FILE *f;
    long long n;
    char etag[256];
    char last_modified[64];
} dl_t;

static size_t on_body(char *p, size_t sz, size_t nm, void *arg)
{
    dl_t *d = arg;
    size_t n = sz * nm;
    if (d->n + (long long)n > MAX_DOWNLOAD) return 0;
    d->n += (long long)n;
    return fwrite(p, 1, n, d->f);
}

static void header_value(const char *line, size_t n, char *out, size_t outsz)
{
    const char *c = memchr(line, ':', n);
    if (!c) return;
    c++;
    while (c < line + n && (*c == ' ' || *c == '\t')) c++;
    size_t l = (size_t)(line + n - c);
    while (l && (c[l - 1] == '\r' || c[l - 1] == '\n' || c[l - 1] == ' ')) l--;
    if (l >= outsz) l = outsz - 1;
    memcpy(out, c, l);
    out[l] = 0;
}

static size_t on_header(char *p, size_t sz, size_t nm, void *arg)
{
    dl_t *d = arg;
    size_t n = sz * nm;
    if (n > 5 && !strncasecmp(p, "ETag:", 5)) header_value(p, n, d->etag, sizeof d->etag);
    else if (n > 14 && !strncasecmp(p, "Last-Modified:", 14))
        header_value(p, n, d->last_modified, sizeof d->last_modified);
    return n;
}

/* Fetches url into path. Returns the HTTP status (0 on transport error, msg set). */
static long fetch(const char *url, const char *path, const dd_vulndb_feed_info_t *prev, dl_t *d, char *msg,
                  size_t msgsz)
{
    memset(d, 0, sizeof *d);
    d->f = fopen(path, "wb");
    if (!d->f) {
        snprintf(msg, msgsz, "cannot create '%s': %s", path, strerror(errno));
        return 0;
    }
    CURL *c = curl_easy_init();
    struct curl_slist *hdrs = NULL;
    char h[400];
    if (prev && prev->etag[0]) {
        snprintf(h, sizeof h, "If-None-Match: %s", prev->etag);
        hdrs = curl_slist_append(hdrs, h);
    }
    if (prev && prev->last_modified[0]) {
        snprintf(h, sizeof h, "If-Modified-Since: %s", prev->last_modified);
        hdrs = curl_slist_append(hdrs, h);
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, d);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, d);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "drydock-db-update");
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, ""); /* the tracker JSON compresses well */
    CURLcode cr = curl_easy_perform(c);
    long status = 0;
    if (cr != CURLE_OK) snprintf(msg, msgsz, "%s: %s", url, curl_easy_strerror(cr));
    else curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);
    if (fclose(d->f) != 0 && cr == CURLE_OK) {
        snprintf(msg, msgsz, "cannot write '%s'", path);
        status = 0;
    }
    d->f = NULL;
    return status;
}

typedef struct job {
    char feed[64];
    char url[1024];
    const char *format;
} job_t;

static int add_job(job_t **jobs, size_t *n, const char *feed, const char *url, const char *format)
{
    *jobs = realloc(*jobs, (*n + 1) * sizeof **jobs);
    if (!*jobs) return -1;
    job_t *j = &(*jobs)[(*n)++];
    snprintf(j->feed, sizeof j->feed, "%s", feed);
    snprintf(j->url, sizeof j->url, "%s", url);
    j->format = format;
    return 0;
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

struct update_opts {
    const char *feeds, *osv_url, *osv_ecos, *tracker_url, *secdb_url, *secdb_branches, *nvd_url;
    bool nvd_explicit; /* --nvd-url or $DRYDOCK_NVD_URL given */
};

static int db_update(const char *dbpath, const struct update_opts *o)
{
    job_t *jobs = NULL;
    size_t nj = 0;
    char base[1024], url[1100], feed[64];
    if (in_list(o->feeds, "osv")) {
        snprintf(base, sizeof base, "%s", o->osv_url);
        trim_slash(base);
        for (const char *p = o->osv_ecos; *p;) {
            size_t l = strcspn(p, ",");
            if (l) {
                snprintf(url, sizeof url, "%s/%.*s/all.zip", base, (int)l, p);
                snprintf(feed, sizeof feed, "osv/%.*s", (int)l, p);
                add_job(&jobs, &nj, feed, url, "osv");
            }
            p += l;
            if (*p) p++;
        }
    }
    if (in_list(o->feeds, "debian-tracker")) add_job(&jobs, &nj, "debian-tracker", o->tracker_url, "debian-tracker");
    if (in_list(o->feeds, "alpine-secdb")) {
        snprintf(base, sizeof base, "%s", o->secdb_url);
        trim_slash(base);
        for (const char *p = o->secdb_branches; *p;) {
            size_t l = strcspn(p, ",");
            static const char *const repos[] = {"main", "community"};
            for (int r = 0; l && r < 2; r++) {
                snprintf(url, sizeof url, "%s/%.*s/%s.json", base, (int)l, p, repos[r]);
                snprintf(feed, sizeof feed, "alpine/%.*s/%s", (int)l, p, repos[r]);
                add_job(&jobs, &nj, feed, url, "alpine-secdb");
            }
            p += l;
            if (*p) p++;
        }
    }
    if (in_list(o->feeds, "nvd") || o->nvd_explicit) add_job(&jobs, &nj, "nvd", o->nvd_url, "nvd");
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
    char *tmp = dd_asprintf("%s.download.%ld", dbpath, (long)getpid());
    int changed = 0, failed = 0, unchanged = 0;
    for (size_t i = 0; i < nj; i++) {
        job_t *j = &jobs[i];
        dd_vulndb_feed_info_t prev;
        bool have_prev = dd_vulndb_get_feed(db, j->feed, &prev) == DD_OK;
        dl_t d;
        char msg[512] = "";
        long status = fetch(j->url, tmp, have_prev ? &prev : NULL, &d, msg, sizeof msg);
        if (status == 304) {
            printf("%s: unchanged (304 Not Modified)\n", j->feed);
            unchanged++;
        } else if (status == 200) {
            dd_feed_stats_t st = {0};
            dd_err_clear(&e);
            /* each feed in its own savepoint: a feed that fails to import
             * (corrupt zip, not its format) keeps its previous data and the
             * other feeds still update */
            dd_vulndb_rec_begin(db);
            int rc = dd_vulndb_clear_feed(db, j->feed, &e);
            if (!rc) rc = dd_feed_import_path(db, tmp, j->format, j->feed, &st, &e);
            if (!rc)
                rc = dd_vulndb_set_feed(db, j->feed, j->url, d.etag, d.last_modified, st.records, st.skipped, &e);
            dd_vulndb_rec_end(db, rc == DD_OK);
            if (rc) {
                failed++;
                fprintf(stderr, "drydock: %s: import failed, previous data kept: %s\n", j->feed, e.msg);
                continue;
            }
            print_stats(j->feed, &st);
            changed++;
        } else if (status == 404) {
            printf("%s: not found (404) at %s, skipped\n", j->feed, j->url);
        } else {
            failed++;
            if (status) fprintf(stderr, "drydock: %s: HTTP %ld from %s\n", j->feed, status, j->url);
            else fprintf(stderr, "drydock: %s: %s\n", j->feed, msg);
        }
    }
    unlink(tmp);
    free(tmp);
    free(jobs);
    curl_global_cleanup();
    if (changed == 0) {
        dd_vulndb_update_abort(u);
        int64_t v = 0;
        dd_vulndb_current_version(dbpath, &v, NULL);
        printf("database unchanged (version %lld, %d feeds unchanged, %d failed)\n", (long long)v, unchanged,
               failed);
        return failed ? 1 : 0;
    }
    if (dd_vulndb_update_commit(u, &e)) return cli_error("%s", e.msg);
    int64_t v = 0;
    dd_vulndb_current_version(dbpath, &v, NULL);
    printf("database updated to version %lld (%d feeds changed, %d unchanged, %d failed)\n", (long long)v, changed,
           unchanged, failed);
    return failed ? 1 : 0;
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
    const char *data_dir = NULL, *dbpath = NULL, *format = NULL, *feed = NULL;
    bool json = false;
    struct update_opts uo = {
        .feeds = DEFAULT_FEEDS,
        .osv_url = envor("DRYDOCK_OSV_URL", DEFAULT_OSV_URL),
        .osv_ecos = DEFAULT_OSV_ECOSYSTEMS,
        .tracker_url = envor("DRYDOCK_DEBIAN_TRACKER_URL", DEFAULT_TRACKER_URL),
        .secdb_url = envor("DRYDOCK_ALPINE_SECDB_URL", DEFAULT_SECDB_URL),
        .secdb_branches = DEFAULT_SECDB_BRANCHES,
        .nvd_url = envor("DRYDOCK_NVD_URL", DEFAULT_NVD_URL),
        .nvd_explicit = getenv("DRYDOCK_NVD_URL") && *getenv("DRYDOCK_NVD_URL"),
    };
    enum { O_DATA = 256, O_DB, O_FORMAT, O_FEED, O_JSON, O_FEEDS, O_OSV, O_OSVE, O_TRACKER, O_SECDB, O_BRANCHES,
           O_NVD, O_HELP };
    static const struct option opts[] = {
        {"alpine-branches", required_argument, NULL, O_BRANCHES},
        {"alpine-secdb-url", required_argument, NULL, O_SECDB},
        {"data-dir", required_argument, NULL, O_DATA},
        {"db", required_argument, NULL, O_DB},
        {"debian-tracker-url", required_argument, NULL, O_TRACKER},
        {"feed", required_argument, NULL, O_FEED},
        {"feeds", required_argument, NULL, O_FEEDS},
        {"format", required_argument, NULL, O_FORMAT},
        {"help", no_argument, NULL, O_HELP},
        {"json", no_argument, NULL, O_JSON},
        {"nvd-url", required_argument, NULL, O_NVD},
        {"osv-ecosystems", required_argument, NULL, O_OSVE},
        {"osv-url", required_argument, NULL, O_OSV},
        {NULL, 0, NULL, 0},
    };
    optind = 1;
    int c;
    while ((c = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
        switch (c) {
        case O_DATA: data_dir = optarg; break;
        case O_DB: dbpath = optarg; break;
        case O_FORMAT: format = optarg; break;
        case O_FEED: feed = optarg; break;
        case O_JSON: json = true; break;
        case O_FEEDS: uo.feeds = optarg; break;
        case O_OSV: uo.osv_url = optarg; break;
        case O_OSVE: uo.osv_ecos = optarg; break;
        case O_TRACKER: uo.tracker_url = optarg; break;
        case O_SECDB: uo.secdb_url = optarg; break;
        case O_BRANCHES: uo.secdb_branches = optarg; break;
        case O_NVD:
            uo.nvd_url = optarg;
            uo.nvd_explicit = true;
            break;
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
    else if (!strcmp(sub, "status")) rc = npos ? cli_usage_error("db", "status takes no arguments") : db_status(dbpath, json);
    else rc = cli_usage_error("db", "unknown subcommand '%s'", sub);
    free(own);
    return rc;
}
