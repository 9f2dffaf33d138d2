/*
 * tls_int.h: HTTPS for the HTTP front (issue 6): what server.c asks tls.c.
 */
#ifndef DD_HTTP_TLS_INT_H
#define DD_HTTP_TLS_INT_H

#include <microhttpd.h>

#include "dd/http.h"

/* The default GnuTLS priorities: TLS 1.3 and 1.2 only. */
/* TLS 1.3 and 1.2 only; forward-secret key exchange only (ECDHE, DHE: "-RSA"
 * drops static RSA) and AEAD ciphers only (no CBC), issue 20 item 11. */
#define DD_TLS_PRIORITIES                                                                                      \
    "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-RSA:-CIPHER-ALL:+AES-256-GCM:+CHACHA20-POLY1305:+AES-128-GCM"

/* Writes the TLS options (key, certificate, priorities) to ops (room for 3)
 * and adds MHD_USE_TLS to *flags. Returns how many options were written. */
int dd_http_tls_options(const dd_http_opts_t *o, struct MHD_OptionItem *ops, unsigned *flags);

#endif
