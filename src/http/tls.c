/*
 * tls.c: HTTPS served natively by libmicrohttpd with GnuTLS (issue 6). The
 * certificate chain and key come from the tls-cert / tls-key config keys as
 * PEM text; the priority string keeps TLS 1.2 as the minimum. Kept apart
 * from server.c, which only calls dd_http_tls_options() when a certificate
 * is configured.
 */
#include "http/tls_int.h"

int dd_http_tls_options(const dd_http_opts_t *o, struct MHD_OptionItem *ops, unsigned *flags)
{
    int k = 0;
    *flags |= MHD_USE_TLS;
    ops[k++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)o->tls_key_pem};
    ops[k++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)o->tls_cert_pem};
    ops[k++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0,
                                       (void *)(o->tls_priorities && *o->tls_priorities ? o->tls_priorities
                                                                                        : DD_TLS_PRIORITIES)};
    return k;
}
