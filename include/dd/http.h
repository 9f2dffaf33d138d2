/*
 * http.h: Drydock's HTTP front: a libmicrohttpd server, a small router from
 * method + path pattern to handler, per-request state (dd_req_t) and response
 * helpers, plus the auth hook slot.
 *
 * Subsystems add endpoints WITHOUT editing src/http: each owns a static route
 * table and registers it at startup:
 *
 *     static int h_ping(dd_req_t *req) { return dd_resp_text(req, 200, "pong\n"); }
 *     static const dd_route_t routes[] = {
 *         {"GET", "/api/v1/ping", h_ping, DD_ACT_NONE, 0},
 *     };
 *     dd_http_register_routes(srv, routes, sizeof routes / sizeof routes[0], my_ctx);
 *
 * Patterns are '/'-separated segments; a segment is a literal, "{x}" (exactly
 * one non-empty segment, bound as a route variable) or "{name}" (one or more
 * segments: a repository name that may contain slashes; at most one per
 * pattern). "{name}" is matched from the right: the literal segments after it
 * fix where it ends. Routes are tried in registration order (tables in the
 * order they were registered, entries in table order): the first match wins.
 * A path that matches some pattern but not the method gets 405.
 *
 * Lifecycle of a request (one MHD connection thread runs all of it):
 *   1. headers arrive -> route match -> auth hook (if the route's action is
 *      not DD_ACT_NONE) -> handler fn(req).
 *   2. The handler either answers at once (dd_resp_*), or asks for the body:
 *      dd_req_read_body() streams each chunk to a callback as it arrives
 *      (uploads), dd_req_buffer_body() collects it up to a cap (manifests,
 *      JSON). Its done callback then answers.
 *   3. The response is sent; a log line is written when the request completes
 *      and the request's arena is released (running its cleanups).
 */
#ifndef DD_HTTP_H
#define DD_HTTP_H

#include <sys/types.h> /* ssize_t */

#include "dd/core.h"

typedef struct dd_http_server dd_http_server_t;
typedef struct dd_req dd_req_t;

/* Actions a route requires; passed to the auth hook. */
typedef enum {
    DD_ACT_NONE = 0,   /* public: auth hook not called */
    DD_ACT_PULL,       /* read a repository */
    DD_ACT_PUSH,       /* write a repository */
    DD_ACT_DELETE,     /* delete from a repository */
    DD_ACT_CATALOG,    /* list repositories (registry-wide read) */
    DD_ACT_SCAN_READ,  /* read scan results / findings */
    DD_ACT_ADMIN,      /* administration */
    DD_ACT_AUTHENTICATED, /* any authenticated identity (e.g. GET /v2/) */
} dd_action_t;

const char *dd_action_name(dd_action_t a);

/* Returns DD_OK when the response is set (or the body was requested), or an
 * rc; a handler that returns an error without setting a response gets a
 * generic 500 JSON answer. */
typedef int (*dd_handler_fn)(dd_req_t *req);

/* One route. Tables are static arrays; see the top of this file. */
typedef struct dd_route {
    const char *method;   /* "GET", "HEAD", "PUT", ... ; "*" matches any */
    const char *pattern;  /* "/v2/{name}/blobs/{digest}" */
    dd_handler_fn fn;
    dd_action_t action;   /* what the auth hook is asked to allow */
    unsigned flags;       /* DD_ROUTE_* */
} dd_route_t;

/* The route takes the repository name from "{name}" and validates it
 * with the distribution-spec grammar before the handler (400 NAME_INVALID
 * through the server's name-error function). */
#define DD_ROUTE_REPO_NAME 0x1u

/* Auth hook: called before the handler when the route's action is not
 * DD_ACT_NONE. repo is the matched repository name or NULL. Returns DD_OK to
 * allow; DD_EAUTH to answer 401 (the hook adds its WWW-Authenticate header
 * with dd_resp_header first), DD_EDENIED to answer 403. It may also set a
 * full response itself and return DD_EAUTH/DD_EDENIED; the server only
 * writes its default error body when none was set. */
typedef int (*dd_auth_hook_fn)(void *ctx, dd_req_t *req, dd_action_t action, const char *repo);

/* Answers an error on behalf of the server (auth failures, 404/405, bad
 * names). A subsystem (the registry) installs one so that errors on its
 * paths use its error format; prefix selects the paths ("/v2/"). */
typedef int (*dd_error_fn)(dd_req_t *req, int status, const char *code, const char *message);

/* ---- server -------------------------------------------------------------- */
typedef struct dd_http_opts {
    const char *listen;          /* "HOST:PORT" ("[::1]:5000" for IPv6) */
    unsigned threads;            /* MHD thread pool size */
    size_t conn_memory_limit;    /* per-connection memory: bounds the header size */
    unsigned idle_timeout_s;     /* idle / slow connection timeout */
    unsigned header_timeout_s;   /* request headers must be complete within this (default 30) */
    size_t thread_stack_size;    /* 0 = default */
    unsigned shutdown_grace_s;   /* how long in-flight requests may finish */
    bool turbo;                  /* MHD_USE_TURBO */
    /* TLS (issue 6, src/http/tls.c): HTTPS when tls_cert_pem is set */
    const char *tls_cert_pem;    /* certificate chain, PEM text (borrowed while the server lives) */
    const char *tls_key_pem;     /* private key, PEM text */
    const char *tls_priorities;  /* GnuTLS priorities; NULL = TLS 1.2 minimum */
} dd_http_opts_t;

int dd_http_server_new(const dd_http_opts_t *o, dd_http_server_t **out, dd_err_t *e);
/* Routes are borrowed (static tables); ctx is given to handlers as req->ctx. */
void dd_http_register_routes(dd_http_server_t *s, const dd_route_t *routes, size_t n, void *ctx);
void dd_http_set_auth_hook(dd_http_server_t *s, dd_auth_hook_fn fn, void *ctx);
void dd_http_set_error_fn(dd_http_server_t *s, const char *path_prefix, dd_error_fn fn);
/* Runs the auth hook for action from a handler (a DD_ACT_NONE route that
 * allows some callers itself, e.g. /metrics with its own token). DD_OK when
 * allowed or no hook is set; otherwise the 401/403 response is set and the
 * rc (DD_EAUTH/DD_EDENIED) is returned for the handler to return. */
int dd_http_authorize(dd_req_t *req, dd_action_t action, const char *repo);
/* Starts listening; the port is known afterwards. */
int dd_http_start(dd_http_server_t *s, dd_err_t *e);
unsigned dd_http_port(dd_http_server_t *s);
/* Graceful stop: stop accepting, wait up to shutdown_grace_s for in-flight
 * requests, then close all connections. */
void dd_http_stop(dd_http_server_t *s);
void dd_http_server_free(dd_http_server_t *s);

/* ---- request --------------------------------------------------------------*/
#define DD_ROUTE_VARS 4

struct dd_req {
    const char *method;      /* "GET" ... */
    const char *path;        /* percent-decoded path, without the query */
    const char *raw_uri;     /* as received */
    const char *query;       /* raw query string after '?', "" if none */
    char id[64];             /* request id, also sent as X-Request-Id (a sane incoming one is kept) */
    dd_arena_t arena;        /* per-request memory, released after the response */
    void *ctx;               /* the ctx given with the route table */
    const dd_route_t *route;
    const char *name;        /* the {name} variable, NULL if the route has none */
    /* other route variables, in pattern order: var_names[i] = var_vals[i] */
    const char *var_names[DD_ROUTE_VARS];
    const char *var_vals[DD_ROUTE_VARS];
    size_t n_vars;
    uint64_t bytes_in;       /* request body bytes received */
    void *user;              /* free for the handler */
    void *auth;              /* set by the auth hook (identity) */
    struct dd_req_priv *priv;
};

/* The value of route variable "{var}" ("digest"), NULL if none. */
const char *dd_req_var(const dd_req_t *req, const char *var);
/* A request header (case-insensitive), NULL if absent. */
const char *dd_req_header(dd_req_t *req, const char *name);
/* The first query parameter named name, percent-decoded into the arena;
 * NULL if absent. */
const char *dd_req_query(dd_req_t *req, const char *name);
/* All values of a repeated query parameter; returns how many (<= max). */
size_t dd_req_query_all(dd_req_t *req, const char *name, const char **out, size_t max);
/* The request's Content-Length: DD_OK, DD_ENOTFOUND (absent: chunked or none)
 * or DD_EINVAL. */
int dd_req_content_length(dd_req_t *req, uint64_t *out);
bool dd_req_is_head(const dd_req_t *req);
/* The client's address ("127.0.0.1", "::1") in the arena; "" if unknown. */
const char *dd_req_peer(dd_req_t *req);

/* Body: call from the handler (phase 1), at most one of them. */
typedef int (*dd_body_data_fn)(dd_req_t *req, const char *data, size_t n);
/* Streams the body: on_data(chunk) as bytes arrive (zero copies). If on_data
 * returns an error, the rest of the body is read and dropped and
 * dd_req_body_rc() reports the error. on_done(req) is called once the body is
 * complete (also after an error) and must answer. */
int dd_req_read_body(dd_req_t *req, dd_body_data_fn on_data, dd_handler_fn on_done);
/* Collects the body in req memory up to max bytes; beyond that the rest is
 * dropped and dd_req_body_rc() is DD_ELIMIT. on_done answers. */
int dd_req_buffer_body(dd_req_t *req, size_t max, dd_handler_fn on_done);
const char *dd_req_body(dd_req_t *req, size_t *len);
int dd_req_body_rc(dd_req_t *req);

/* ---- responses ----------------------------------------------------------- */
/* Adds a response header (copied). Call before or after choosing the body. */
void dd_resp_header(dd_req_t *req, const char *name, const char *value);
void dd_resp_headerf(dd_req_t *req, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Body from memory (copied). For HEAD requests the body is not sent but
 * Content-Length is. content_type may be NULL. */
int dd_resp_bytes(dd_req_t *req, int status, const char *content_type, const void *p, size_t n);
int dd_resp_text(dd_req_t *req, int status, const char *text);
/* Takes b's memory (b is re-initialized). Content-Type application/json. */
int dd_resp_json(dd_req_t *req, int status, dd_buf_t *b);
/* No body (Content-Length: 0). */
int dd_resp_empty(dd_req_t *req, int status);
/* Body of length n from fd at offset off, sent with sendfile(2). Takes
 * ownership of fd (closed after the response, also on failure). */
int dd_resp_fd(dd_req_t *req, int status, const char *content_type, int fd, uint64_t off, uint64_t n);
/* Headers only, Content-Length: n (for HEAD answers that know the size). */
int dd_resp_head(dd_req_t *req, int status, const char *content_type, uint64_t n);
/* Body produced by a callback (drivers without an fd). read_fn(arg, pos, buf,
 * max) returns bytes written, 0 is not allowed before n, -1 on error.
 * free_fn(arg) runs when the response is done. */
int dd_resp_callback(dd_req_t *req, int status, const char *content_type, uint64_t n,
                     ssize_t (*read_fn)(void *arg, uint64_t pos, char *buf, size_t max),
                     void (*free_fn)(void *arg), void *arg);
/* {"errors":[{"code":code,"message":message}]} through the error function
 * registered for the path (registry format under /v2/), else a plain JSON
 * error. */
int dd_resp_error(dd_req_t *req, int status, const char *code, const char *message);
bool dd_resp_is_set(const dd_req_t *req);

/* ---- pieces exposed for tests and fuzzing -------------------------------- */
/* Matches path against pattern; on success fills name/vars (pointing into
 * the arena). Returns true on match. */
bool dd_route_match(const char *pattern, const char *path, dd_arena_t *a, const char **name,
                    const char **var_names, const char **var_vals, size_t *n_vars);
/* Decodes %XX in a path. Refuses (DD_EINVAL) encoded '/' and NUL, malformed
 * escapes, and "." / ".." segments. */
int dd_http_path_decode(const char *raw, size_t n, dd_arena_t *a, char **out);
/* Decodes a query component (%XX and '+' = space). NULL on malformed input. */
char *dd_http_query_decode(const char *raw, size_t n, dd_arena_t *a);

/* Range: "bytes=a-b" | "bytes=a-" | "bytes=-n" against a resource of size.
 * DD_OK with [*first, *last] (inclusive); DD_DECLINED when the header should
 * be ignored (multiple ranges, another unit, malformed: RFC 9110 allows a
 * server to ignore it); DD_ERANGE when unsatisfiable (416). */
int dd_http_parse_range(const char *h, uint64_t size, uint64_t *first, uint64_t *last);
/* Content-Range of an upload chunk: "a-b" (distribution spec) or
 * "bytes a-b[/len|*]". DD_OK or DD_EINVAL. */
int dd_http_parse_content_range(const char *h, uint64_t *first, uint64_t *last);

#endif
