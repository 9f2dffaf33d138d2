/*
 * gate_int.h: the accept gate of plain HTTP (gate.c), used by server.c only.
 * Lifecycle: open (bind + listen) -> MHD started with no listen socket ->
 * run (the thread accepts, answers a connection that does not start like an
 * HTTP request, e.g. a TLS ClientHello, with a 400, hands the others to MHD)
 * -> close_listen (at stop: no new connections) -> free.
 */
#ifndef DD_HTTP_GATE_INT_H
#define DD_HTTP_GATE_INT_H

#include "dd/core.h"

#include <microhttpd.h>
#include <sys/socket.h>

typedef struct dd_http_gate dd_http_gate_t;

int dd_http_gate_open(const struct sockaddr_storage *ss, dd_http_gate_t **out, dd_err_t *e);
unsigned dd_http_gate_port(dd_http_gate_t *g);
int dd_http_gate_run(dd_http_gate_t *g, struct MHD_Daemon *d, dd_err_t *e);
void dd_http_gate_close_listen(dd_http_gate_t *g);
void dd_http_gate_free(dd_http_gate_t *g);

typedef enum {
    DD_GATE_HTTP, /* a method token and a space: hand it to MHD */
    DD_GATE_MORE, /* not enough bytes to tell yet */
    DD_GATE_TLS,  /* a TLS handshake record: answer 400 */
    DD_GATE_JUNK, /* anything else: answer 400 */
} dd_gate_verdict_t;

/* The verdict on a connection's first n bytes (any bytes, n may be 0).
 * Exposed for the unit test and the fuzz driver. */
dd_gate_verdict_t dd_http_gate_sniff(const unsigned char *buf, size_t n);

#endif
