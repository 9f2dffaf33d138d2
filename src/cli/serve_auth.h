/*
 * serve_auth.h: the auth and TLS part of `drydock serve` (serve_auth.c),
 * kept out of cmd_serve.c, which calls these three functions.
 */
#ifndef DD_CLI_SERVE_AUTH_H
#define DD_CLI_SERVE_AUTH_H

#include "dd/config.h"
#include "dd/http.h"
#include "dd/meta.h"

typedef struct serve_auth serve_auth_t;

/* Before dd_http_server_new: loads tls-cert/tls-key into ho (HTTPS), or
 * refuses plain HTTP beyond loopback without insecure-http. Prints the
 * error and returns non-zero on failure; *out is always set (free it). */
int serve_tls_setup(const dd_config_t *cfg, dd_http_opts_t *ho, serve_auth_t **out);
/* Before dd_http_start: opens the auth module, creates the first admin when
 * needed (its password printed once to stdout), installs the auth hook and
 * /auth/token. Prints the error and returns non-zero on failure. */
int serve_auth_setup(serve_auth_t *sa, const dd_config_t *cfg, dd_meta_t *meta, dd_http_server_t *srv);
/* After the server is freed. NULL is a no-op. */
void serve_auth_free(serve_auth_t *sa);

#endif
