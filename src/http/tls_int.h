/*
 * tls_int.h: HTTPS for the HTTP front (issue 6): what server.c asks tls.c.
 */
#ifndef DD_HTTP_TLS_INT_H
#define DD_HTTP_TLS_INT_H

#include <microhttpd.h>

#include "dd/http.h"

/* The default GnuTLS priorities: TLS 1.3 and 1.2 only; forward-secret key
 * exchange only (ECDHE, DHE: "-RSA" drops static RSA) and AEAD ciphers only
 * (no CBC), issue 20 item 11. */
#define DD_TLS_PRIORITIES                                                                                      \
    "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-RSA:-CIPHER-ALL:+AES-256-GCM:+CHACHA20-POLY1305:+AES-128-GCM"

/* Writes the TLS options (key, certificate, priorities) to ops (room for 3)
 * and adds MHD_USE_TLS to *flags. Returns how many options were written. */
int dd_http_tls_options(const dd_http_opts_t *o, struct MHD_OptionItem *ops, unsigned *flags);

/* Sends n bytes as application data on conn's TLS session, whose socket is
 * fd. Only from one of conn's own callbacks (its thread; libmicrohttpd
 * writes nothing meanwhile). Waits at most 2 s for room. DD_OK or DD_EIO. */
int dd_http_tls_write(struct MHD_Connection *conn, int fd, const char *buf, size_t n);

/* Sends TLS close_notify on conn's session (best effort), same rules. */
void dd_http_tls_close_write(struct MHD_Connection *conn);

#endif
