/*
 * gate_int.h: the accept gate of plain HTTP (gate.c), used by server.c only.
 * Lifecycle: open (bind + listen) -> MHD started with no listen socket ->
 * run (the thread accepts, checks each first request's Content-Length,
 * hands connections to MHD) -> close_listen (at stop: no new connections)
 * -> free.
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
/* The verdict on a request's header block (buf, n bytes, from the request
 * line up to the blank line or cut short): 0 when every Content-Length is a
 * decimal number under 10^18 (or there is none), 400 when one is not a
 * number, 413 when one is 10^18 or more. Exposed for the fuzz driver. */
int dd_http_gate_verdict(const char *buf, size_t n);

#endif
