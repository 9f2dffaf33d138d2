/*
 * web.h: the web console (issue 16), served by `drydock serve` at `/` and
 * `/ui/...` from assets compiled into the binary (the files under src/web/assets turned
 * into a C source by cmake/embed_assets.cmake). See docs/ui.md.
 *
 *     dd_web_t *web = dd_web_register(srv, &(dd_web_opts_t){.tls = tls});
 *     ... serve; stop the server ...
 *     dd_web_free(web);
 *
 * Every page talks to the public REST API only (/api/v1, /v2); the sign-in
 * endpoints (/api/v1/session) belong to the auth module (src/auth/session.c).
 */
#ifndef DD_WEB_H
#define DD_WEB_H

#include "dd/http.h"

typedef struct dd_web_opts {
    bool tls; /* served over HTTPS: adds Strict-Transport-Security */
} dd_web_opts_t;

typedef struct dd_web dd_web_t;

/* Registers GET /, /ui, /ui/ (the page) and /ui/<build>/<file> (assets).
 * The options are copied. Free the result after the server stopped. */
dd_web_t *dd_web_register(dd_http_server_t *srv, const dd_web_opts_t *o);
void dd_web_free(dd_web_t *w);

/* Sets the console's security headers on a response: Content-Security-Policy
 * (no inline script or style, frame-ancestors 'none'), X-Content-Type-Options
 * nosniff, X-Frame-Options DENY, Referrer-Policy no-referrer. */
void dd_web_security_headers(dd_req_t *req);

/* The build hash of the embedded asset set (12 hex digits). */
const char *dd_web_build_id(void);

#endif
