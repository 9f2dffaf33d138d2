/*
 * tls.c: HTTPS served natively by libmicrohttpd with GnuTLS (issue 6). The
 * certificate chain and key come from the tls-cert / tls-key config keys as
 * PEM text; the priority string keeps TLS 1.2 as the minimum. Kept apart
 * from server.c, which only calls dd_http_tls_options() when a certificate
 * is configured, and the two calls that let server.c answer on a TLS
 * connection itself (a 413 while the body still arrives, a malformed
 * Content-Length; issue 20 items 4 and 5): they write on the connection's
 * GnuTLS session, which libmicrohttpd hands out
 * (MHD_CONNECTION_INFO_GNUTLS_SESSION).
 */
#include "http/tls_int.h"

#include <errno.h>
#include <gnutls/gnutls.h>
#include <poll.h>

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

static gnutls_session_t session_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    return ci ? (gnutls_session_t)ci->tls_session : NULL;
}

int dd_http_tls_write(struct MHD_Connection *conn, int fd, const char *buf, size_t n)
{
    gnutls_session_t ses = session_of(conn);
    if (!ses) return DD_EIO;
    size_t off = 0;
    int64_t deadline = dd_mono_ns() + 2000000000LL;
    while (off < n) {
        ssize_t w = gnutls_record_send(ses, buf + off, n - off);
        if (w > 0) {
            off += (size_t)w;
        } else if ((w == GNUTLS_E_AGAIN || w == GNUTLS_E_INTERRUPTED) && dd_mono_ns() < deadline) {
            /* GnuTLS keeps the record: the next call with the same data sends it */
            struct pollfd pf = {fd, POLLOUT, 0};
            poll(&pf, 1, 100);
        } else {
            return DD_EIO;
        }
    }
    return DD_OK;
}

void dd_http_tls_close_write(struct MHD_Connection *conn)
{
    gnutls_session_t ses = session_of(conn);
    if (ses) (void)gnutls_bye(ses, GNUTLS_SHUT_WR); /* close_notify; best effort on a non-blocking socket */
}
