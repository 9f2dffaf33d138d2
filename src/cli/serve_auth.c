/*
 * serve_auth.c: `drydock serve`'s authentication and TLS setup (issue 6):
 * HTTPS from tls-cert/tls-key, the plain-HTTP-beyond-loopback guard, the
 * auth module (dd_auth_*) and the first admin user, whose generated
 * password is printed once to stdout and never logged.
 */
#include "cli.h"
#include "serve_auth.h"

#include "dd/auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct serve_auth {
    dd_buf_t cert, key;
    dd_auth_t *auth;
};

int serve_tls_setup(const dd_config_t *cfg, dd_http_opts_t *ho, serve_auth_t **out)
{
    serve_auth_t *sa = dd_calloc(1, sizeof *sa);
    *out = sa;
    dd_buf_init(&sa->cert, 0);
    dd_buf_init(&sa->key, 0);
    bool has_cert = cfg->tls_cert && *cfg->tls_cert, has_key = cfg->tls_key && *cfg->tls_key;
    if (has_cert != has_key) return cli_error("tls-cert and tls-key must be set together");
    if (has_cert) {
        dd_err_t e;
        if (dd_file_read(cfg->tls_cert, 1 << 20, &sa->cert, &e) != DD_OK)
            return cli_error("cannot read tls-cert: %s", e.msg);
        if (dd_file_read(cfg->tls_key, 1 << 20, &sa->key, &e) != DD_OK)
            return cli_error("cannot read tls-key: %s", e.msg);
        if (!sa->cert.ptr || !strstr(sa->cert.ptr, "-----BEGIN"))
            return cli_error("tls-cert '%s' is not a PEM file", cfg->tls_cert);
        if (!sa->key.ptr || !strstr(sa->key.ptr, "-----BEGIN"))
            return cli_error("tls-key '%s' is not a PEM file", cfg->tls_key);
        ho->tls_cert_pem = sa->cert.ptr;
        ho->tls_key_pem = sa->key.ptr;
        ho->tls_priorities = cfg->tls_priorities;
        return 0;
    }
    if (!dd_listen_is_loopback(cfg->listen) && !cfg->insecure_http)
        return cli_error("refusing plain HTTP on '%s' (not loopback): set tls-cert and tls-key, or pass "
                         "--insecure-http",
                         cfg->listen);
    return 0;
}

int serve_auth_setup(serve_auth_t *sa, const dd_config_t *cfg, dd_meta_t *meta, dd_http_server_t *srv)
{
    dd_auth_opts_t o = {
        .meta = meta,
        .data_dir = cfg->data_dir,
        .service = "drydock",
        .anonymous_pull = cfg->anonymous_pull,
        .realm = cfg->auth_realm,
        .loopback_only = dd_listen_is_loopback(cfg->listen),
        .insecure_no_auth = cfg->insecure_no_auth,
        .tls = sa->cert.ptr != NULL,
        .token_ttl_s = cfg->auth_token_ttl,
        .fail_burst = (unsigned)cfg->login_fail_burst,
        .fail_per_min = (unsigned)cfg->login_fail_rate,
    };
    dd_err_t e;
    if (dd_auth_new(&o, &sa->auth, &e) != DD_OK) return cli_error("auth: %s", e.msg);
    char pw[64];
    bool created = false;
    if (dd_auth_bootstrap(sa->auth, pw, sizeof pw, &created, &e) != DD_OK)
        return cli_error("auth: cannot create the first admin: %s", e.msg);
    if (created) {
        /* stdout only, once: never the log */
        printf("drydock: created user 'admin' (role owner) with password: %s\n"
               "drydock: change it with 'drydock user passwd admin'\n",
               pw);
        fflush(stdout);
        memset(pw, 0, sizeof pw);
    }
    dd_auth_register(sa->auth, srv);
    if (cfg->insecure_no_auth && !o.loopback_only)
        dd_log(DD_LOG_WARN, NULL, "--insecure-no-auth: anyone who can reach %s may push and delete while no user "
               "exists", cfg->listen);
    return 0;
}

void serve_auth_free(serve_auth_t *sa)
{
    if (!sa) return;
    dd_auth_free(sa->auth);
    dd_buf_release(&sa->cert);
    if (sa->key.ptr) memset(sa->key.ptr, 0, sa->key.len);
    dd_buf_release(&sa->key);
    free(sa);
}
