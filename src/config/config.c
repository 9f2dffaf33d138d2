/*
 * config.c: the configuration key table and its four layers (defaults, file,
 * environment, flags). See include/dd/config.h for the file format and the
 * precedence; docs/config.md lists every key.
 *
 * The table is data: each key names its type, the dd_config_t field it sets
 * (offsetof), its default as text (parsed by the same setter as any other
 * value) and one line of help. Keep it sorted by name.
 */
#include "dd/config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef enum {
    T_STR,      /* char* (owned) */
    T_INT,      /* int64_t, plain integer */
    T_SIZE,     /* int64_t bytes; suffixes k, m, g (KiB...) */
    T_DURATION, /* int64_t seconds; suffixes s, m, h, d */
    T_BOOL,     /* bool: true/false/yes/no/on/off/1/0 */
    T_LOGLEVEL, /* char*: debug|info|warn|error */
} key_type_t;

/* The key table (sorted by name).
 *   name:  as written in files and flags ("--name"); env DRYDOCK_NAME
 *   type:  how the value is parsed
 *   off:   offsetof the field in dd_config_t
 *   def:   default, as text ("" = derived later or none)
 *   min/max: bounds for numeric types (0,0 = none)
 *   help:  one line for --help and docs/config.md */
static const struct key {
    const char *name;
    key_type_t type;
    size_t off;
    const char *def;
    int64_t min, max;
    const char *help;
} keys[] = {
    {"anonymous-pull", T_STR, offsetof(dd_config_t, anonymous_pull), "", 0, 0,
     "comma-separated repository globs anyone may pull without credentials"},
    {"auth-realm", T_STR, offsetof(dd_config_t, auth_realm), "", 0, 0,
     "token endpoint URL in 401 challenges (default: http(s)://HOST/auth/token)"},
    {"auth-token-ttl", T_DURATION, offsetof(dd_config_t, auth_token_ttl), "5m", 30, 86400,
     "lifetime of the JWTs the token endpoint issues"},
    {"blob-driver", T_STR, offsetof(dd_config_t, blob_driver), "fs", 0, 0, "blob store driver"},
    {"blob-root", T_STR, offsetof(dd_config_t, blob_root), "", 0, 0,
     "blob store location (default DATA/blobs)"},
    {"data-dir", T_STR, offsetof(dd_config_t, data_dir), "./drydock-data", 0, 0,
     "data directory (also $DRYDOCK_DATA)"},
    {"db-poll-interval", T_DURATION, offsetof(dd_config_t, db_poll_interval), "1s", 1, 3600,
     "how often the server looks for a new vulnerability database"},
    {"delete", T_BOOL, offsetof(dd_config_t, delete_enabled), "true", 0, 0,
     "allow DELETE of manifests, tags and blobs (false: 405 UNSUPPORTED)"},
    {"header-timeout", T_DURATION, offsetof(dd_config_t, header_timeout), "30s", 1, 3600,
     "request headers must arrive within this (slow clients are dropped)"},
    {"idle-timeout", T_DURATION, offsetof(dd_config_t, idle_timeout), "60s", 1, 86400,
     "close idle or stalled connections after this long"},
    {"immutable-tags", T_STR, offsetof(dd_config_t, immutable_tags), "", 0, 0,
     "comma-separated [REPOGLOB:]TAGGLOB rules: such a tag never moves to another manifest (403 DENIED)"},
    {"insecure-http", T_BOOL, offsetof(dd_config_t, insecure_http), "false", 0, 0,
     "allow plain HTTP on a non-loopback address (no tls-cert)"},
    {"insecure-no-auth", T_BOOL, offsetof(dd_config_t, insecure_no_auth), "false", 0, 0,
     "no authentication while no user exists, even beyond loopback"},
    {"janitor-interval", T_DURATION, offsetof(dd_config_t, janitor_interval), "5m", 1, 86400,
     "how often stale upload sessions are expired"},
    {"list-max", T_INT, offsetof(dd_config_t, list_max), "10000", 1, 1000000,
     "largest page (n) for tags list and catalog"},
    {"listen", T_STR, offsetof(dd_config_t, listen), "127.0.0.1:5000", 0, 0,
     "address to listen on, HOST:PORT"},
    {"log-format", T_STR, offsetof(dd_config_t, log_format), "text", 0, 0,
     "application log lines: text (key=value) or json (the request log is JSON either way)"},
    {"log-level", T_LOGLEVEL, offsetof(dd_config_t, log_level), "info", 0, 0,
     "debug, info, warn or error (requests log at info)"},
    {"login-fail-burst", T_INT, offsetof(dd_config_t, login_fail_burst), "10", 1, 100000,
     "failed logins allowed at once per (user, address); 10x per address"},
    {"login-fail-rate", T_INT, offsetof(dd_config_t, login_fail_rate), "10", 1, 100000,
     "failed logins allowed per minute after the burst"},
    {"manifest-max", T_SIZE, offsetof(dd_config_t, manifest_max), "4m", 1024, 64LL << 20,
     "largest manifest accepted"},
    {"max-header-size", T_SIZE, offsetof(dd_config_t, max_header_size), "32k", 8192, 16LL << 20,
     "per-connection memory (bounds request line + headers; also the read buffer)"},
    {"meta-driver", T_STR, offsetof(dd_config_t, meta_driver), "sqlite", 0, 0, "metadata store driver"},
    {"meta-dsn", T_STR, offsetof(dd_config_t, meta_dsn), "", 0, 0,
     "metadata store location (default DATA/meta.db)"},
    {"metrics-token", T_STR, offsetof(dd_config_t, metrics_token), "", 0, 0,
     "bearer token that may read /metrics besides admins (\"\" = admins only)"},
    {"registry-host", T_STR, offsetof(dd_config_t, registry_host), "", 0, 0,
     "registry host name in findings and reports (default: the listen address)"},
    {"scan", T_BOOL, offsetof(dd_config_t, scan), "true", 0, 0, "scan images when they are pushed"},
    {"scan-eager-layers", T_BOOL, offsetof(dd_config_t, scan_eager_layers), "true", 0, 0,
     "analyze layers as soon as their blob upload completes"},
    {"scan-exclude", T_STR, offsetof(dd_config_t, scan_exclude), "", 0, 0,
     "comma-separated repository globs never scanned"},
    {"scan-ignore", T_STR, offsetof(dd_config_t, scan_ignore), "", 0, 0,
     "comma-separated vulnerability ids that don't count"},
    {"scan-ignore-unfixed", T_BOOL, offsetof(dd_config_t, scan_ignore_unfixed), "false", 0, 0,
     "findings without a fix don't make an image Unhealthy"},
    {"scan-include", T_STR, offsetof(dd_config_t, scan_include), "", 0, 0,
     "comma-separated repository globs to scan (empty: all)"},
    {"scan-min-severity", T_STR, offsetof(dd_config_t, scan_min_severity), "unknown", 0, 0,
     "findings below this severity don't count (critical, high, medium, low, negligible, unknown)"},
    {"scan-workers", T_INT, offsetof(dd_config_t, scan_workers), "2", 1, 64, "scan worker threads"},
    {"shutdown-grace", T_DURATION, offsetof(dd_config_t, shutdown_grace), "10s", 0, 3600,
     "how long in-flight requests may finish on SIGTERM"},
    {"stale-after", T_DURATION, offsetof(dd_config_t, stale_after), "7d", 0, 3650LL * 86400,
     "vulnerability data older than this makes images 'not assessed: stale data' (0 = never)"},
    {"thread-stack", T_SIZE, offsetof(dd_config_t, thread_stack), "0", 0, 64LL << 20,
     "stack size of HTTP threads (0 = system default)"},
    {"threads", T_INT, offsetof(dd_config_t, threads), "4", 1, 1024, "HTTP thread pool size"},
    {"tls-cert", T_STR, offsetof(dd_config_t, tls_cert), "", 0, 0,
     "PEM certificate chain: serve HTTPS (with tls-key)"},
    {"tls-key", T_STR, offsetof(dd_config_t, tls_key), "", 0, 0, "PEM private key for tls-cert"},
    {"tls-priorities", T_STR, offsetof(dd_config_t, tls_priorities),
     "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-RSA:-CIPHER-ALL:+AES-256-GCM:+CHACHA20-POLY1305:+AES-128-GCM", 0, 0,
     "GnuTLS priority string (default: TLS 1.2 minimum, forward-secret AEAD suites only)"},
    {"turbo", T_BOOL, offsetof(dd_config_t, turbo), "true", 0, 0,
     "libmicrohttpd turbo mode (fewer syscalls per request)"},
    {"upload-max-age", T_DURATION, offsetof(dd_config_t, upload_max_age), "24h", 60, 365LL * 86400,
     "upload sessions idle this long expire"},
    {"vulndb-path", T_STR, offsetof(dd_config_t, vulndb_path), "", 0, 0,
     "vulnerability database file (default DATA/vulndb/vuln.db)"},
};

#define N_KEYS (sizeof keys / sizeof keys[0])

static const struct key *find_key(const char *name, size_t n)
{
    for (size_t i = 0; i < N_KEYS; i++)
        if (strlen(keys[i].name) == n && !strncmp(keys[i].name, name, n)) return &keys[i];
    /* accept '_' for '-' (TOML style) */
    for (size_t i = 0; i < N_KEYS; i++) {
        if (strlen(keys[i].name) != n) continue;
        size_t j = 0;
        for (; j < n; j++) {
            char a = keys[i].name[j], b = name[j];
            if (a != b && !(a == '-' && b == '_')) break;
        }
        if (j == n) return &keys[i];
    }
    return NULL;
}

static int parse_num(const struct key *k, const char *v, int64_t *out, dd_err_t *e)
{
    errno = 0;
    char *end;
    long long n = strtoll(v, &end, 10);
    if (end == v || errno) return dd_err(e, DD_EINVAL, "invalid value '%s' for '%s'", v, k->name);
    int64_t mul = 1;
    while (*end == ' ') end++;
    if (k->type == T_SIZE) {
        switch (tolower((unsigned char)*end)) {
        case '\0': break;
        case 'k': mul = 1024; end++; break;
        case 'm': mul = 1024 * 1024; end++; break;
        case 'g': mul = 1024LL * 1024 * 1024; end++; break;
        default: return dd_err(e, DD_EINVAL, "invalid size '%s' for '%s' (use e.g. 64k, 4m)", v, k->name);
        }
        if (*end && (!strcasecmp(end, "b") || !strcasecmp(end, "ib") || !strcasecmp(end, "iB"))) end += strlen(end);
    } else if (k->type == T_DURATION) {
        switch (*end) {
        case '\0':
        case 's': break;
        case 'm': mul = 60; break;
        case 'h': mul = 3600; break;
        case 'd': mul = 86400; break;
        default:
            return dd_err(e, DD_EINVAL, "invalid duration '%s' for '%s' (use e.g. 30s, 5m, 24h)", v, k->name);
        }
        if (*end) end++;
    }
    if (*end) return dd_err(e, DD_EINVAL, "invalid value '%s' for '%s'", v, k->name);
    if (n < 0 || (mul > 1 && n > INT64_MAX / mul))
        return dd_err(e, DD_EINVAL, "value '%s' for '%s' out of range", v, k->name);
    n *= mul;
    if ((k->min || k->max) && (n < k->min || n > k->max))
        return dd_err(e, DD_EINVAL, "value '%s' for '%s' out of range [%lld, %lld]", v, k->name,
                      (long long)k->min, (long long)k->max);
    *out = n;
    return DD_OK;
}

static int set_key(dd_config_t *c, const struct key *k, const char *v, dd_err_t *e)
{
    void *field = (char *)c + k->off;
    switch (k->type) {
    case T_LOGLEVEL:
        if (dd_log_level_parse(v) < 0)
            return dd_err(e, DD_EINVAL, "invalid log level '%s' (debug, info, warn, error)", v);
        /* fall through */
    case T_STR: {
        char **s = field;
        free(*s);
        *s = dd_strdup(v);
        return DD_OK;
    }
    case T_INT:
    case T_SIZE:
    case T_DURATION: return parse_num(k, v, (int64_t *)field, e);
    case T_BOOL: {
        bool *b = field;
        if (!strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcasecmp(v, "on") || !strcmp(v, "1"))
            *b = true;
        else if (!strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcasecmp(v, "off") || !strcmp(v, "0"))
            *b = false;
        else
            return dd_err(e, DD_EINVAL, "invalid boolean '%s' for '%s'", v, k->name);
        return DD_OK;
    }
    }
    return DD_BUG("bad key type"), DD_EINVAL;
}

void dd_config_init(dd_config_t *c)
{
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < N_KEYS; i++)
        if (set_key(c, &keys[i], keys[i].def, NULL) != DD_OK) DD_BUG("bad default for '%s'", keys[i].name);
}

void dd_config_release(dd_config_t *c)
{
    for (size_t i = 0; i < N_KEYS; i++)
        if (keys[i].type == T_STR || keys[i].type == T_LOGLEVEL) {
            char **s = (char **)((char *)c + keys[i].off);
            free(*s);
            *s = NULL;
        }
    free(c->config_file);
    c->config_file = NULL;
}

int dd_config_set(dd_config_t *c, const char *key, const char *value, dd_err_t *e)
{
    const struct key *k = find_key(key, strlen(key));
    if (!k) return dd_err(e, DD_ENOTFOUND, "unknown config key '%s'", key);
    return set_key(c, k, value, e);
}

static void trim(const char **s, const char **end)
{
    while (*s < *end && isspace((unsigned char)**s)) (*s)++;
    while (*end > *s && isspace((unsigned char)(*end)[-1])) (*end)--;
}

#define LINE_MAX_LEN 4096

int dd_config_parse(dd_config_t *c, const char *text, size_t len, const char *where, dd_err_t *e)
{
    const char *p = text, *tend = text + len;
    char section[64] = "";
    for (int lineno = 1; p < tend; lineno++) {
        const char *nl = memchr(p, '\n', (size_t)(tend - p));
        const char *le = nl ? nl : tend;
        const char *s = p, *end = le;
        p = nl ? nl + 1 : tend;
        if (memchr(s, '\0', (size_t)(end - s)))
            return dd_err(e, DD_EINVAL, "%s:%d: NUL byte in line", where, lineno);
        if (end - s > LINE_MAX_LEN) return dd_err(e, DD_EINVAL, "%s:%d: line too long", where, lineno);
        trim(&s, &end);
        if (s == end || *s == '#' || *s == ';') continue;
        if (*s == '[') {
            if (end[-1] != ']' || end - s < 3 || end - s - 2 >= (long)sizeof section)
                return dd_err(e, DD_EINVAL, "%s:%d: malformed section header", where, lineno);
            memcpy(section, s + 1, (size_t)(end - s - 2));
            section[end - s - 2] = '\0';
            continue;
        }
        const char *eq = memchr(s, '=', (size_t)(end - s));
        if (!eq) return dd_err(e, DD_EINVAL, "%s:%d: expected 'key = value'", where, lineno);
        const char *ks = s, *ke = eq;
        trim(&ks, &ke);
        const char *vs = eq + 1, *ve = end;
        trim(&vs, &ve);
        if (ks == ke) return dd_err(e, DD_EINVAL, "%s:%d: missing key", where, lineno);
        /* value: "quoted" (with \" and \\ escapes) or bare up to a " #" comment */
        char val[LINE_MAX_LEN + 1];
        size_t vn = 0;
        if (vs < ve && *vs == '"') {
            const char *q = vs + 1;
            for (; q < ve && *q != '"'; q++) {
                if (*q == '\\' && q + 1 < ve) q++;
                val[vn++] = *q;
            }
            if (q >= ve) return dd_err(e, DD_EINVAL, "%s:%d: unterminated string", where, lineno);
            q++;
            while (q < ve && isspace((unsigned char)*q)) q++;
            if (q < ve && *q != '#')
                return dd_err(e, DD_EINVAL, "%s:%d: unexpected text after string", where, lineno);
        } else {
            const char *q = vs;
            for (; q < ve; q++) {
                if (*q == '#' && q > vs && isspace((unsigned char)q[-1])) break;
                val[vn++] = *q;
            }
            while (vn && isspace((unsigned char)val[vn - 1])) vn--;
        }
        val[vn] = '\0';
        char key[192];
        size_t kl = (size_t)(ke - ks);
        int n = section[0] ? snprintf(key, sizeof key, "%s.%.*s", section, (int)kl, ks)
                           : snprintf(key, sizeof key, "%.*s", (int)kl, ks);
        if (n < 0 || n >= (int)sizeof key) return dd_err(e, DD_EINVAL, "%s:%d: key too long", where, lineno);
        /* sections are namespaces for later keys; known keys are top-level
         * (also accepted under [server] / [storage] for readability) */
        const struct key *k = find_key(key, strlen(key));
        if (!k && section[0]) k = find_key(ks, kl);
        if (!k) return dd_err(e, DD_ENOTFOUND, "%s:%d: unknown key '%s'", where, lineno, key);
        dd_err_t e2;
        int rc = set_key(c, k, val, &e2);
        if (rc) return dd_err(e, rc, "%s:%d: %s", where, lineno, e2.msg);
    }
    return DD_OK;
}

int dd_config_load_file(dd_config_t *c, const char *path, dd_err_t *e)
{
    dd_buf_t b;
    dd_buf_init(&b, 0);
    int rc = dd_file_read(path, 1 << 20, &b, e);
    if (rc == DD_OK) rc = dd_config_parse(c, b.ptr ? b.ptr : "", b.len, path, e);
    dd_buf_release(&b);
    if (rc == DD_OK) {
        free(c->config_file);
        c->config_file = dd_strdup(path);
    }
    return rc;
}

int dd_config_load_env(dd_config_t *c, dd_err_t *e)
{
    const char *data = getenv("DRYDOCK_DATA");
    if (data && *data) {
        int rc = dd_config_set(c, "data-dir", data, e);
        if (rc) return rc;
    }
    for (size_t i = 0; i < N_KEYS; i++) {
        char var[96] = "DRYDOCK_";
        size_t j = 8;
        for (const char *s = keys[i].name; *s && j < sizeof var - 1; s++)
            var[j++] = (*s == '-' || *s == '.') ? '_' : (char)toupper((unsigned char)*s);
        var[j] = '\0';
        const char *v = getenv(var);
        if (!v) continue;
        dd_err_t e2;
        int rc = set_key(c, &keys[i], v, &e2);
        if (rc) return dd_err(e, rc, "$%s: %s", var, e2.msg);
    }
    return DD_OK;
}

int dd_config_load_flags(dd_config_t *c, int argc, char **argv, int *rest, int *n_rest, dd_err_t *e)
{
    *n_rest = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2) != 0 || a[2] == '\0') {
            rest[(*n_rest)++] = i;
            continue;
        }
        const char *name = a + 2;
        const char *eq = strchr(name, '=');
        size_t nl = eq ? (size_t)(eq - name) : strlen(name);
        bool is_config = nl == 6 && !strncmp(name, "config", 6);
        const struct key *k = is_config ? NULL : find_key(name, nl);
        if (!k && !is_config) {
            rest[(*n_rest)++] = i;
            continue;
        }
        const char *v;
        if (eq) {
            v = eq + 1;
        } else if (k && k->type == T_BOOL && (i + 1 >= argc || strncmp(argv[i + 1], "--", 2) == 0)) {
            v = "true";
        } else {
            if (i + 1 >= argc) return dd_err(e, DD_EINVAL, "option '--%.*s' needs a value", (int)nl, name);
            v = argv[++i];
        }
        if (is_config) continue;
        dd_err_t e2;
        int rc = set_key(c, k, v, &e2);
        if (rc) return dd_err(e, rc, "--%s: %s", k->name, e2.msg);
    }
    return DD_OK;
}

/* Finds --config FILE / --config=FILE in argv. */
static const char *flag_config(int argc, char **argv)
{
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--config") && i + 1 < argc) return argv[i + 1];
        if (!strncmp(argv[i], "--config=", 9)) return argv[i] + 9;
    }
    return NULL;
}

int dd_config_load(dd_config_t *c, int argc, char **argv, int *rest, int *n_rest, dd_err_t *e)
{
    dd_config_init(c);
    const char *file = flag_config(argc, argv);
    if (!file) {
        const char *env = getenv("DRYDOCK_CONFIG");
        if (env && *env) file = env;
    }
    int rc = DD_OK;
    if (file) rc = dd_config_load_file(c, file, e);
    if (!rc) rc = dd_config_load_env(c, e);
    if (!rc) rc = dd_config_load_flags(c, argc, argv, rest, n_rest, e);
    if (!rc) rc = dd_config_finish(c, e);
    return rc;
}

int dd_config_finish(dd_config_t *c, dd_err_t *e)
{
    if (!c->data_dir || !*c->data_dir) return dd_err(e, DD_EINVAL, "data-dir must not be empty");
    if (!c->blob_root || !*c->blob_root) {
        free(c->blob_root);
        c->blob_root = dd_asprintf("%s/blobs", c->data_dir);
    }
    if (!c->meta_dsn || !*c->meta_dsn) {
        free(c->meta_dsn);
        c->meta_dsn = dd_asprintf("%s/meta.db", c->data_dir);
    }
    if (!c->vulndb_path || !*c->vulndb_path) {
        free(c->vulndb_path);
        c->vulndb_path = dd_asprintf("%s/vulndb/vuln.db", c->data_dir);
    }
    return DD_OK;
}

void dd_config_help(void (*out)(const char *line, void *arg), void *arg)
{
    for (size_t i = 0; i < N_KEYS; i++) {
        char line[512];
        if (keys[i].def[0])
            snprintf(line, sizeof line, "  --%-18s %s (default: %s)", keys[i].name, keys[i].help, keys[i].def);
        else
            snprintf(line, sizeof line, "  --%-18s %s", keys[i].name, keys[i].help);
        out(line, arg);
    }
}
