/*
 * config.h: Drydock's configuration: one key table (name, type, field offset,
 * default, help) in src/config/config.c, filled in four layers, each
 * overriding the one before:
 *
 *   1. built-in defaults (the table)
 *   2. a config file: `key = value` lines, '#' comments, optional
 *      "[section]" headers (a key "k" under "[s]" is "s.k"), values may be
 *      double-quoted; errors cite file:line
 *   3. environment: DRYDOCK_<KEY> (key upper-cased, '-' and '.' -> '_'),
 *      e.g. DRYDOCK_LISTEN, DRYDOCK_DATA_DIR; DRYDOCK_DATA also sets data-dir
 *   4. flags with the same names: --listen 0.0.0.0:5000, --data-dir=DIR
 *
 * Paths that default to "" are derived from data-dir after loading
 * (dd_config_finish): blob-root = DATA/blobs, meta-dsn = DATA/meta.db.
 */
#ifndef DD_CONFIG_H
#define DD_CONFIG_H

#include "dd/core.h"

typedef struct dd_config {
    char *data_dir;          /* data-dir */
    char *listen;            /* listen */
    char *log_level;         /* log-level */
    char *blob_driver;       /* blob-driver ("fs") */
    char *blob_root;         /* blob-root (default DATA/blobs) */
    char *meta_driver;       /* meta-driver ("sqlite") */
    char *meta_dsn;          /* meta-dsn (default DATA/meta.db) */
    int64_t threads;         /* threads: HTTP thread pool size */
    int64_t thread_stack;    /* thread-stack: bytes per HTTP thread (0 = system default) */
    int64_t max_header_size; /* max-header-size: per-connection memory (bounds headers) */
    int64_t manifest_max;    /* manifest-max: bytes */
    int64_t idle_timeout;    /* idle-timeout: seconds */
    int64_t header_timeout;  /* header-timeout: seconds */
    int64_t upload_max_age;  /* upload-max-age: seconds */
    int64_t janitor_interval; /* janitor-interval: seconds */
    int64_t shutdown_grace;  /* shutdown-grace: seconds */
    int64_t list_max;        /* list-max: max page size for tags list / catalog */
    bool turbo;              /* turbo: MHD_USE_TURBO */
    bool delete_enabled;     /* delete: DELETE of manifests, tags and blobs allowed */
    char *immutable_tags;    /* immutable-tags: "[REPOGLOB:]TAGGLOB,..." tags that never move */
    /* scanning (issue 4; see docs/config.md) */
    bool scan;               /* scan: scan images on push */
    char *scan_include;      /* scan-include: repository globs to scan ("" = all) */
    char *scan_exclude;      /* scan-exclude: repository globs never scanned */
    int64_t scan_workers;    /* scan-workers: scan worker threads */
    bool scan_eager_layers;  /* scan-eager-layers: analyze layers as their upload completes */
    char *scan_min_severity; /* scan-min-severity: findings below it don't make an image Unhealthy */
    bool scan_ignore_unfixed; /* scan-ignore-unfixed: unfixed findings don't count */
    char *scan_ignore;       /* scan-ignore: comma-separated vulnerability ids to ignore */
    char *vulndb_path;       /* vulndb-path (default DATA/vulndb/vuln.db) */
    int64_t stale_after;     /* stale-after: seconds; older vulnerability data is "stale" */
    int64_t db_poll_interval; /* db-poll-interval: seconds between DB version checks */
    char *registry_host;     /* registry-host: host name in reports (default: listen) */
    /* authentication and TLS (issue 6; see docs/auth.md) */
    char *anonymous_pull;    /* anonymous-pull: repository globs anyone may pull */
    char *auth_realm;        /* auth-realm: token endpoint URL in challenges ("" = derived) */
    int64_t auth_token_ttl;  /* auth-token-ttl: seconds */
    bool insecure_http;      /* insecure-http: plain HTTP beyond loopback */
    bool insecure_no_auth;   /* insecure-no-auth: no auth without users beyond loopback */
    int64_t login_fail_burst; /* login-fail-burst */
    int64_t login_fail_rate; /* login-fail-rate: per minute */
    char *tls_cert;          /* tls-cert: PEM file */
    char *tls_key;           /* tls-key: PEM file */
    char *tls_priorities;    /* tls-priorities: GnuTLS priority string */
    /* operations (issue 17; see docs/operations.md) */
    char *log_format;        /* log-format: "text" or "json" application log lines */
    char *metrics_token;     /* metrics-token: bearer token for /metrics ("" = none) */
    char *config_file;       /* the file that was loaded, NULL if none */
} dd_config_t;

/* Sets the defaults. */
void dd_config_init(dd_config_t *c);
void dd_config_release(dd_config_t *c);

/* Sets key to the string value (parsed per the key's type). DD_ENOTFOUND for
 * an unknown key, DD_EINVAL for a bad value. */
int dd_config_set(dd_config_t *c, const char *key, const char *value, dd_err_t *e);
/* Parses config text; where names the source in errors ("FILE:LINE: ..."). */
int dd_config_parse(dd_config_t *c, const char *text, size_t len, const char *where, dd_err_t *e);
int dd_config_load_file(dd_config_t *c, const char *path, dd_err_t *e);
/* Applies DRYDOCK_<KEY> variables from the environment. */
int dd_config_load_env(dd_config_t *c, dd_err_t *e);
/* Applies --key value / --key=value flags from argv[0..argc) (argv[0] is not
 * skipped). Flags that are not config keys are left for the caller: their
 * indexes are written to rest (which must hold argc entries) and counted in
 * *n_rest. "--config FILE" is consumed but ignored here (see dd_config_load). */
int dd_config_load_flags(dd_config_t *c, int argc, char **argv, int *rest, int *n_rest, dd_err_t *e);
/* All layers: defaults, file (--config FILE, else $DRYDOCK_CONFIG, else
 * none), env, flags; then dd_config_finish. */
int dd_config_load(dd_config_t *c, int argc, char **argv, int *rest, int *n_rest, dd_err_t *e);
/* Derives the defaults that depend on other keys (paths under data-dir). */
int dd_config_finish(dd_config_t *c, dd_err_t *e);
/* Prints the key table (name, default, help) for --help. */
void dd_config_help(void (*out)(const char *line, void *arg), void *arg);

#endif
