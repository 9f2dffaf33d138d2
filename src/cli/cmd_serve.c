/*
 * cmd_serve.c: `drydock serve`: loads the configuration (defaults, file,
 * environment, flags), opens the blob and metadata stores, starts the HTTP
 * server with the registry routes and the upload janitor, and runs until
 * SIGTERM or SIGINT. Shutdown is graceful: stop accepting, let in-flight
 * requests finish (bounded by shutdown-grace), close the stores, exit 0.
 */
#include "cli.h"
#include "serve_auth.h"

#include "dd/blobstore.h"
#include "dd/config.h"
#include "dd/http.h"
#include "dd/metrics.h"
#include "dd/meta.h"
#include "dd/findings.h"
#include "dd/registry.h"
#include "dd/scanner.h"
#include "dd/scanstore.h"
#include "dd/web.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- /metrics and /readyz glue (src/ops, issue 17) ---- */
typedef struct serve_ops {
    dd_blobstore_t *bs;
    dd_scanner_t *scanner;
    const char *data_dir;
    char *uploads_dir;       /* the fs driver's upload sessions; NULL for other drivers */
    pthread_mutex_t mu;      /* guards the storage cache */
    int64_t storage_at_ms;   /* when storage_bytes/blobs were counted (0 = never) */
    int64_t storage_bytes, blobs;
    dd_scanstore_t *scans;
    int64_t findings[DD_NSEV];
    int64_t health[3];       /* healthy, unhealthy, not assessed */
} serve_ops_t;

#define STORAGE_CACHE_MS 30000 /* the blob walk runs at most this often */

static int count_blob(const dd_digest_t *d, uint64_t size, void *arg)
{
    (void)d;
    int64_t *acc = arg;
    acc[0] += (int64_t)size;
    acc[1]++;
    return DD_OK;
}

/* Lowercase severity label for counts[i] (dd_severity_t order). */
static const char *sev_label(int i)
{
    static const char *const names[] = {"unknown", "negligible", "low", "medium", "high", "critical"};
    return i >= 0 && i < 6 ? names[i] : "unknown";
}

static int count_image(const dd_image_rec_t *r, void *arg)
{
    serve_ops_t *so = arg;
    if (r->is_index) return DD_OK; /* its platform images count */
    for (int i = 0; i < DD_NSEV; i++) so->findings[i] += r->counts[i];
    char reason[256];
    const char *v = so->scanner ? dd_scanner_assess(so->scanner, r, reason, sizeof reason) : "NotAssessed";
    so->health[!strcmp(v, "Healthy") ? 0 : !strcmp(v, "Unhealthy") ? 1 : 2]++;
    return DD_OK;
}

static void ops_collect(void *ctx, dd_metrics_gauges_t *g)
{
    serve_ops_t *so = ctx;
    pthread_mutex_lock(&so->mu);
    int64_t now = dd_now_ms();
    if (!so->storage_at_ms || now - so->storage_at_ms >= STORAGE_CACHE_MS) {
        int64_t acc[2] = {0, 0};
        if (dd_blobstore_each(so->bs, count_blob, acc) == DD_OK) {
            so->storage_bytes = acc[0];
            so->blobs = acc[1];
            so->storage_at_ms = now;
        }
        memset(so->findings, 0, sizeof so->findings);
        memset(so->health, 0, sizeof so->health);
        dd_err_t ie;
        if (so->scans && dd_scanstore_images(so->scans, NULL, NULL, 0, count_image, so, &ie) != DD_OK)
            dd_log(DD_LOG_WARN, NULL, "metrics: cannot count the images: %s", ie.msg);
    }
    if (so->uploads_dir) {
        DIR *d = opendir(so->uploads_dir);
        if (d) {
            int64_t n = 0;
            for (struct dirent *de; (de = readdir(d));)
                if (de->d_name[0] != '.') n++;
            closedir(d);
            g->uploads_in_progress = n;
        }
    }
    if (so->storage_at_ms) {
        g->storage_bytes = so->storage_bytes;
        g->blobs = so->blobs;
        g->n_sev = DD_NSEV;
        for (int i = 0; i < DD_NSEV; i++) {
            g->sev_names[i] = sev_label(i);
            g->findings[i] = so->findings[i];
        }
        g->healthy = so->health[0];
        g->unhealthy = so->health[1];
        g->not_assessed = so->health[2];
    }
    pthread_mutex_unlock(&so->mu);
    if (!so->scanner) return;
    dd_scanner_counters_t c;
    dd_scanner_counters(so->scanner, &c);
    g->scan_queue = c.jobs_pending;
    g->layers_analyzed = (int64_t)c.layers_analyzed;
    g->layers_reused = (int64_t)c.layer_cache_hits;
    g->images_scanned = (int64_t)c.images_scanned;
    g->images_failed = (int64_t)c.images_failed;
    g->db_version = c.db_version;
    if (c.db_updated_s > 0) g->db_age_s = now / 1000 > c.db_updated_s ? now / 1000 - c.db_updated_s : 0;
}

static bool ops_stores_ok(void *ctx)
{
    serve_ops_t *so = ctx;
    struct stat st;
    return so->bs && stat(so->data_dir, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool ops_db_loaded(void *ctx)
{
    serve_ops_t *so = ctx;
    if (!so->scanner) return false;
    dd_scanner_counters_t c;
    dd_scanner_counters(so->scanner, &c);
    return c.db_version > 0;
}

static void print_line(const char *line, void *arg)
{
    fprintf((FILE *)arg, "%s\n", line);
}

/* Files of the data directory that hold secrets or private data, checked at
 * start (issue 20 item 2). Sorted by name; the -wal/-shm of each database
 * take the database's mode, so they are checked too. */
static const char *const private_files[] = {
    "audit.log", "jwt.key", "meta.db", "meta.db-shm", "meta.db-wal", "scans.db", "scans.db-shm", "scans.db-wal",
};

/* Warns about the data directory (wanted 0700) and each private file (wanted
 * 0600) that other local users may read. Warns only: an operator may have
 * chosen group access on purpose, and the fix is one chmod. */
static void warn_loose_modes(const dd_config_t *cfg)
{
    struct stat sb;
    if (stat(cfg->data_dir, &sb) == 0 && (sb.st_mode & 077))
        dd_log(DD_LOG_WARN, NULL, "data directory '%s' is mode %04o: other local users may read it "
               "(chmod 700 '%s')", cfg->data_dir, (unsigned)(sb.st_mode & 07777), cfg->data_dir);
    char *paths[sizeof private_files / sizeof private_files[0] + 3];
    size_t n = 0;
    for (size_t i = 0; i < sizeof private_files / sizeof private_files[0]; i++)
        paths[n++] = dd_asprintf("%s/%s", cfg->data_dir, private_files[i]);
    paths[n++] = dd_strdup(cfg->vulndb_path);
    if (cfg->meta_dsn && strcmp(cfg->meta_dsn, paths[2])) paths[n++] = dd_strdup(cfg->meta_dsn);
    for (size_t i = 0; i < n; i++) {
        if (stat(paths[i], &sb) == 0 && S_ISREG(sb.st_mode) && (sb.st_mode & 077))
            dd_log(DD_LOG_WARN, NULL, "'%s' is mode %04o: other local users may read it (chmod 600 '%s')",
                   paths[i], (unsigned)(sb.st_mode & 07777), paths[i]);
        free(paths[i]);
    }
}

static void usage(FILE *out)
{
    fprintf(out, "usage: drydock serve [--config FILE] [--KEY VALUE]...\n\n"
                 "Runs the registry server (OCI distribution-spec v1.1 under /v2/).\n\n"
                 "Settings come from built-in defaults, then the config file (--config FILE or\n"
                 "$DRYDOCK_CONFIG; 'key = value' lines), then DRYDOCK_<KEY> environment\n"
                 "variables, then flags. Keys:\n\n");
    dd_config_help(print_line, out);
    fprintf(out, "\nSee docs/config.md.\n");
}

static int scan_severity(const char *s, dd_severity_t *out)
{
    return dd_severity_name_parse(s, out) == DD_OK ? 0 : -1;
}

int cmd_serve(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        }
    dd_config_t cfg;
    dd_err_t e;
    int *rest = dd_calloc((size_t)argc + 1, sizeof *rest);
    int n_rest = 0;
    int rc = dd_config_load(&cfg, argc - 1, argv + 1, rest, &n_rest, &e);
    if (rc) {
        free(rest);
        dd_config_release(&cfg);
        return cli_usage_error("serve", "%s", e.msg);
    }
    if (n_rest > 0) {
        int r = cli_usage_error("serve", "unknown option '%s'", argv[1 + rest[0]]);
        free(rest);
        dd_config_release(&cfg);
        return r;
    }
    free(rest);
    dd_log_set_level(dd_log_level_parse(cfg.log_level));
    if (strcmp(cfg.log_format, "text") && strcmp(cfg.log_format, "json")) {
        int r = cli_usage_error("serve", "invalid log-format '%s' (text or json)", cfg.log_format);
        dd_config_release(&cfg);
        return r;
    }
    dd_log_set_json(!strcmp(cfg.log_format, "json"));

    /* Signals are handled by sigwait in this thread only: block them before
     * any thread starts so every thread inherits the mask. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    dd_blobstore_t *bs = NULL;
    dd_meta_t *meta = NULL;
    dd_registry_t *reg = NULL;
    dd_http_server_t *srv = NULL;
    dd_scanstore_t *scans = NULL;
    dd_scanner_t *scanner = NULL;
    dd_findings_api_t *fapi = NULL;
    serve_auth_t *sauth = NULL; /* auth + TLS (serve_auth.c) */
    dd_web_t *web = NULL;       /* the web console (src/web) */
    dd_ops_t *ops = NULL;       /* /healthz, /readyz, /metrics (src/ops) */
    serve_ops_t sops = {.data_dir = cfg.data_dir};
    pthread_mutex_init(&sops.mu, NULL);
    char **ignore = NULL;
    size_t n_ignore = 0;
    int status = 1;
    int lockfd = -1;
    if ((rc = dd_mkdirs(cfg.data_dir, 0700, &e))) {
        cli_error("cannot create data directory: %s", e.msg);
        goto out;
    }
    /* held shared while serving: `fsck --repair` takes it exclusively */
    char *lockp = dd_asprintf("%s/%s", cfg.data_dir, DD_DATA_LOCK);
    lockfd = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    free(lockp);
    if (lockfd < 0 || flock(lockfd, LOCK_SH | LOCK_NB) != 0) {
        cli_error("cannot lock the data directory '%s'%s", cfg.data_dir,
                  lockfd >= 0 ? ": 'drydock fsck --repair' is running on it" : "");
        goto out;
    }
    if ((rc = dd_blobstore_open(cfg.blob_driver, cfg.blob_root, &bs, &e))) {
        cli_error("cannot open the blob store: %s", e.msg);
        goto out;
    }
    if ((rc = dd_meta_open(cfg.meta_driver, cfg.meta_dsn, &meta, &e))) {
        cli_error("cannot open the metadata store: %s", e.msg);
        goto out;
    }
    dd_registry_opts_t ro = {
        .blobs = bs,
        .meta = meta,
        .manifest_max = (size_t)cfg.manifest_max,
        .upload_max_age_ms = cfg.upload_max_age * 1000,
        .janitor_interval_ms = cfg.janitor_interval * 1000,
        .list_max = (size_t)cfg.list_max,
        .delete_disabled = !cfg.delete_enabled,
        .immutable_tags = cfg.immutable_tags,
    };
    if ((rc = dd_registry_new(&ro, &reg, &e))) {
        cli_error("%s", e.msg);
        goto out;
    }
    dd_http_opts_t ho = {
        .listen = cfg.listen,
        .threads = (unsigned)cfg.threads,
        .conn_memory_limit = (size_t)cfg.max_header_size,
        .idle_timeout_s = (unsigned)cfg.idle_timeout,
        .header_timeout_s = (unsigned)cfg.header_timeout,
        .thread_stack_size = (size_t)cfg.thread_stack,
        .shutdown_grace_s = (unsigned)cfg.shutdown_grace,
        .turbo = cfg.turbo,
    };
    if (serve_tls_setup(&cfg, &ho, &sauth)) goto out;
    if ((rc = dd_http_server_new(&ho, &srv, &e))) {
        cli_error("%s", e.msg);
        goto out;
    }
    dd_registry_register(reg, srv);
    /* scanning: scan store, scanner (hooks into the registry), findings API */
    {
        char *p = dd_asprintf("%s/scans.db", cfg.data_dir);
        rc = dd_scanstore_open(p, &scans, &e);
        free(p);
        if (rc) {
            cli_error("cannot open the scan store: %s", e.msg);
            goto out;
        }
        char *vdir = dd_strdup(cfg.vulndb_path);
        char *slash = strrchr(vdir, '/');
        if (slash) {
            *slash = '\0';
            dd_mkdirs(vdir, 0700, NULL);
        }
        free(vdir);
        dd_scanner_opts_t so;
        dd_scanner_opts_default(&so);
        so.blobs = bs;
        so.store = scans;
        so.vulndb_path = cfg.vulndb_path;
        so.registry_host = cfg.registry_host && *cfg.registry_host ? cfg.registry_host : cfg.listen;
        so.workers = (unsigned)cfg.scan_workers;
        so.enabled = cfg.scan;
        so.include = cfg.scan_include;
        so.exclude = cfg.scan_exclude;
        so.eager_layers = cfg.scan_eager_layers;
        so.stale_after_s = cfg.stale_after;
        so.db_poll_ms = (unsigned)(cfg.db_poll_interval * 1000);
        if (scan_severity(cfg.scan_min_severity, &so.match.min_severity)) {
            cli_error("invalid scan-min-severity '%s'", cfg.scan_min_severity);
            goto out;
        }
        so.match.ignore_unfixed = cfg.scan_ignore_unfixed;
        if (cfg.scan_ignore && *cfg.scan_ignore) {
            char *dup = dd_strdup(cfg.scan_ignore), *save = NULL;
            for (char *t = strtok_r(dup, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
                ignore = dd_realloc(ignore, (n_ignore + 1) * sizeof *ignore);
                ignore[n_ignore++] = dd_strdup(t);
            }
            free(dup);
        }
        so.match.ignore = (const char *const *)ignore;
        so.match.n_ignore = n_ignore;
        if ((rc = dd_scanner_new(&so, &scanner, &e))) {
            cli_error("%s", e.msg);
            goto out;
        }
        dd_registry_hooks_t hooks;
        dd_scanner_registry_hooks(scanner, &hooks);
        dd_registry_set_hooks(reg, &hooks);
        dd_findings_api_opts_t fo = {.meta = meta, .store = scans, .scanner = scanner,
                                     .registry_host = so.registry_host, .data_dir = cfg.data_dir,
                                     .vulndb_path = cfg.vulndb_path};
        if ((rc = dd_findings_api_new(&fo, &fapi, &e))) {
            cli_error("%s", e.msg);
            goto out;
        }
        dd_findings_api_register(fapi, srv);
        if (dd_scanner_reconcile(scanner, meta, NULL, &e) != DD_OK)
            dd_log(DD_LOG_WARN, NULL, "%s", e.msg); /* the pushes still work; their scans wait */
        if ((rc = dd_scanner_start(scanner, &e))) {
            cli_error("%s", e.msg);
            goto out;
        }
        dd_scanner_counters_t ctr;
        dd_scanner_counters(scanner, &ctr);
        if (ctr.db_version == 0)
            dd_log(DD_LOG_WARN, NULL, "no vulnerability database at %s: images will be reported as "
                   "'not assessed: no vulnerability data' until 'drydock db import' or 'drydock db update' runs",
                   cfg.vulndb_path);
    }
    /* later subsystems (auth, web UI) register here */
    if (serve_auth_setup(sauth, &cfg, meta, srv)) goto out;
    sops.bs = bs;
    sops.scanner = scanner;
    sops.scans = scans;
    if (!strcmp(cfg.blob_driver, "fs")) sops.uploads_dir = dd_asprintf("%s/_uploads", cfg.blob_root);
    ops = dd_ops_register(srv, &(dd_ops_opts_t){.metrics_token = cfg.metrics_token, .collect = ops_collect,
                                                 .stores_ok = ops_stores_ok, .db_loaded = ops_db_loaded,
                                                 .ctx = &sops});
    web = dd_web_register(srv, &(dd_web_opts_t){.tls = ho.tls_cert_pem != NULL});
    if ((rc = dd_http_start(srv, &e))) {
        cli_error("%s", e.msg);
        goto out;
    }
    if ((rc = dd_registry_start_janitor(reg, &e))) {
        cli_error("%s", e.msg);
        goto out;
    }
    warn_loose_modes(&cfg);
    dd_log(DD_LOG_INFO, NULL, "drydock serving on %s (port %u), data in %s, %lld threads", cfg.listen,
           dd_http_port(srv), cfg.data_dir, (long long)cfg.threads);
    dd_log(DD_LOG_INFO, NULL, "web console at %s://%s/", ho.tls_cert_pem ? "https" : "http", cfg.listen);
    int sig = 0;
    sigwait(&sigs, &sig);
    dd_log(DD_LOG_INFO, NULL, "received %s, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
    dd_ops_set_shutting_down(ops);
    dd_http_stop(srv);
    status = 0;
out:
    if (scanner) dd_scanner_stop(scanner);
    dd_http_server_free(srv);
    dd_web_free(web);
    dd_ops_free(ops);
    pthread_mutex_destroy(&sops.mu);
    free(sops.uploads_dir);
    serve_auth_free(sauth);
    dd_registry_free(reg);
    dd_findings_api_free(fapi);
    dd_scanner_free(scanner);
    dd_scanstore_close(scans);
    for (size_t i = 0; i < n_ignore; i++) free(ignore[i]);
    free(ignore);
    if (meta) dd_meta_close(meta);
    if (bs) dd_blobstore_close(bs);
    if (lockfd >= 0) close(lockfd);
    dd_config_release(&cfg);
    if (status == 0) dd_log(DD_LOG_INFO, NULL, "stopped");
    return status;
}
