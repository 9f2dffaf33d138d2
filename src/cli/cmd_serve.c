/*
 * cmd_serve.c: `drydock serve`: loads the configuration (defaults, file,
 * environment, flags), opens the blob and metadata stores, starts the HTTP
 * server with the registry routes and the upload janitor, and runs until
 * SIGTERM or SIGINT. Shutdown is graceful: stop accepting, let in-flight
 * requests finish (bounded by shutdown-grace), close the stores, exit 0.
 */
#include "cli.h"

#include "dd/blobstore.h"
#include "dd/config.h"
#include "dd/http.h"
#include "dd/meta.h"
#include "dd/registry.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_line(const char *line, void *arg)
{
    fprintf((FILE *)arg, "%s\n", line);
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
    int status = 1;
    if ((rc = dd_mkdirs(cfg.data_dir, 0750, &e))) {
        cli_error("cannot create data directory: %s", e.msg);
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
        .thread_stack_size = (size_t)cfg.thread_stack,
        .shutdown_grace_s = (unsigned)cfg.shutdown_grace,
        .turbo = cfg.turbo,
    };
    if ((rc = dd_http_server_new(&ho, &srv, &e))) {
        cli_error("%s", e.msg);
        goto out;
    }
    dd_registry_register(reg, srv);
    /* later subsystems (findings API, auth, web UI) register here */
    if ((rc = dd_http_start(srv, &e))) {
        cli_error("%s", e.msg);
        goto out;
    }
    if ((rc = dd_registry_start_janitor(reg, &e))) {
        cli_error("%s", e.msg);
        goto out;
    }
    dd_log(DD_LOG_INFO, NULL, "drydock serving on %s (port %u), data in %s, %lld threads", cfg.listen,
           dd_http_port(srv), cfg.data_dir, (long long)cfg.threads);
    int sig = 0;
    sigwait(&sigs, &sig);
    dd_log(DD_LOG_INFO, NULL, "received %s, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
    dd_http_stop(srv);
    status = 0;
out:
    dd_http_server_free(srv);
    dd_registry_free(reg);
    if (meta) dd_meta_close(meta);
    if (bs) dd_blobstore_close(bs);
    dd_config_release(&cfg);
    if (status == 0) dd_log(DD_LOG_INFO, NULL, "stopped");
    return status;
}
