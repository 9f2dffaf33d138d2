/*
 * server.c: the libmicrohttpd glue: daemon setup, request lifecycle, body
 * streaming, response helpers, per-request log lines and graceful stop.
 *
 * Design notes (request state machine, one MHD connection thread per request):
 *
 *   uri_log_cb            -> NEW        req allocated, raw URI kept, id assigned;
 *                                       on the header-phase list (see below)
 *   access_cb (1st call)  -> READY      off the list; framing checked (two
 *                                       different Content-Lengths, Content-Length
 *                                       with Transfer-Encoding, a coding other
 *                                       than chunked: answered and closed by
 *                                       refuse_now()); path decoded, route
 *                                       matched, auth hook,
 *                                       handler run. If it set a response: with a
 *                                       request body, it is queued now (MHD skips
 *                                       the body and closes); without one, it is
 *                                       queued in the next call (keep-alive).
 *                                       If the handler asked for the body:
 *   access_cb (data)      -> BODY       each chunk goes to on_data (or the
 *                                       bounded buffer); after an error the rest
 *                                       is dropped (bounded: see DROP_MAX).
 *                                       A buffered body over its limit (chunked,
 *                                       so not refused at the 1st call) is
 *                                       answered at once: early_answer() writes
 *                                       the handler's response (413) to the
 *                                       socket (or TLS session) itself, as MHD
 *                                       0.9.75 queues only before or after a
 *                                       whole body; then the rest is dropped and
 *                                       the connection closed
 *   access_cb (size 0)    -> DONE       on_done answers; response queued
 *   completed_cb          -> freed      log line, arena released (cleanups run:
 *                                       upload handles, fds), req freed
 *
 * A malformed Content-Length (issue 20 item 4): libmicrohttpd 0.9.75 answers
 * it itself, before access_cb, and sends its status line and headers twice
 * (parse_connection_headers() builds the answer's header, then its caller
 * overwrites the connection state and the header is built again). It logs
 * the error first, through mhd_logger(), in the connection's own thread,
 * while the connection is in the state MHD_CONNECTION_HEADERS_RECEIVED. So
 * every request between uri_log_cb and its first access_cb call sits on a
 * header-phase list with its thread; mhd_logger() picks the one of its own
 * thread whose headers are complete (MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE
 * answers only from that state on, and a request leaves the list at the
 * first access_cb call, which follows that state in the same pass: no other
 * can match), and refuse_now() writes one clean answer to the socket (or
 * the TLS session) and shuts the write side; the library's own bytes then
 * fail to send and it closes the connection. This holds for every request
 * of a keep-alive connection, plain or TLS.
 *
 * Invariants: a response is queued exactly once; every req reaches
 * completed_cb (MHD calls it once uri_log_cb made the connection
 * "client aware"), so arena cleanups always run, also for aborted requests.
 * The in-flight counter counts requests between uri_log_cb and completed_cb;
 * dd_http_stop() waits for it to reach zero after quiescing the listen socket.
 */
#include "dd/http.h"
#include "dd/metrics.h"
#include "dd/reference.h"
#include "http/gate_int.h"
#include "http/tls_int.h"

#include <microhttpd.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define MAX_TABLES 32
#define MAX_ERRFNS 8
#define DROP_MAX (64u << 20) /* bytes of body we read and drop after an error */

typedef struct {
    const dd_route_t *routes;
    size_t n;
    void *ctx;
} route_table_t;

struct dd_http_server {
    dd_http_opts_t opts;
    char *listen;
    struct MHD_Daemon *d;
    dd_http_gate_t *gate;  /* plain HTTP: our listening socket and accept gate (gate.c) */
    route_table_t tables[MAX_TABLES];
    size_t n_tables;
    dd_auth_hook_fn auth_fn;
    void *auth_ctx;
    struct {
        const char *prefix;
        dd_error_fn fn;
    } errfns[MAX_ERRFNS];
    size_t n_errfns;
    atomic_long inflight;
    atomic_ullong next_id;
    char id_prefix[8];
    unsigned port;
    /* header watchdog (see conn_t) */
    pthread_mutex_t conns_mu;
    struct conn *conns;
    pthread_t watchdog;
    bool watchdog_running, stopping;
    pthread_cond_t stop_cv;
    bool tls;
    /* requests between uri_log_cb and their first access_cb call (see the
     * design notes: the malformed Content-Length answer) */
    pthread_mutex_t hdr_mu;
    struct dd_req_priv *hdr_list;
};

/* A connection, tracked so a watchdog can end those whose request headers
 * take too long (slow-loris): MHD's own timeout is an idle timeout that a
 * client trickling a byte a second never hits. deadline_ns is when the
 * current request's headers must be complete (0 while a request is being
 * handled); it is armed at connect and after each completed request. */
typedef struct conn {
    struct conn *prev, *next;
    int fd;
    _Atomic int64_t deadline_ns;
    bool shut;
} conn_t;

typedef struct hdr {
    struct hdr *next;
    const char *name, *value;
} hdr_t;

enum { ST_NEW, ST_READY, ST_BODY, ST_DONE };
enum { BODY_NONE, BODY_STREAM, BODY_BUFFER };

struct dd_req_priv {
    dd_http_server_t *srv;
    struct MHD_Connection *conn;
    int state;
    int64_t t0;
    hdr_t *hdrs;               /* headers added before the response existed */
    struct MHD_Response *resp;
    int status;
    uint64_t bytes_out;
    int body_mode;
    dd_body_data_fn on_data;
    dd_handler_fn on_done;
    int body_rc;
    uint64_t dropped;
    dd_buf_t body;
    bool head;
    bool queued;
    bool capture;              /* send_now() follows: keep a copy of the response body */
    bool early_sent;           /* the response went out by send_now() */
    dd_buf_t early_body;
    dd_req_t *req;             /* the request this belongs to */
    bool in_hdr_list;          /* on srv->hdr_list (owner thread: thr) */
    pthread_t thr;
    struct dd_req_priv *hdr_prev, *hdr_next;
};

/* ---- small helpers --------------------------------------------------------*/

const char *dd_action_name(dd_action_t a)
{
    static const char *names[] = {"none", "pull", "push", "delete", "catalog", "scan-read", "admin",
                                  "authenticated"};
    return (unsigned)a < sizeof names / sizeof names[0] ? names[a] : "?";
}

const char *dd_req_var(const dd_req_t *req, const char *var)
{
    for (size_t i = 0; i < req->n_vars; i++)
        if (!strcmp(req->var_names[i], var)) return req->var_vals[i];
    return NULL;
}

const char *dd_req_header(dd_req_t *req, const char *name)
{
    return MHD_lookup_connection_value(req->priv->conn, MHD_HEADER_KIND, name);
}

size_t dd_req_query_all(dd_req_t *req, const char *name, const char **out, size_t max)
{
    size_t found = 0;
    size_t nlen = strlen(name);
    const char *q = req->query;
    while (*q && found < max) {
        const char *amp = strchr(q, '&');
        size_t len = amp ? (size_t)(amp - q) : strlen(q);
        const char *eq = memchr(q, '=', len);
        size_t klen = eq ? (size_t)(eq - q) : len;
        /* keys may arrive percent-encoded ("%24top" for "$top") */
        bool hit = klen == nlen && !memcmp(q, name, nlen);
        if (!hit && memchr(q, '%', klen)) {
            const char *k = dd_http_query_decode(q, klen, &req->arena);
            hit = k && !strcmp(k, name);
        }
        if (hit) {
            const char *v = eq ? dd_http_query_decode(eq + 1, len - klen - 1, &req->arena) : "";
            if (v) out[found++] = v;
        }
        if (!amp) break;
        q = amp + 1;
    }
    return found;
}

const char *dd_req_query(dd_req_t *req, const char *name)
{
    const char *v = NULL;
    return dd_req_query_all(req, name, &v, 1) ? v : NULL;
}

int dd_req_content_length(dd_req_t *req, uint64_t *out)
{
    const char *h = dd_req_header(req, "Content-Length");
    if (!h) return DD_ENOTFOUND;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(h, &end, 10);
    if (errno || end == h || *end || *h == '-') return DD_EINVAL;
    *out = v;
    return DD_OK;
}

bool dd_req_is_head(const dd_req_t *req)
{
    return req->priv->head;
}

const char *dd_req_peer(dd_req_t *req)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(req->priv->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    char buf[INET6_ADDRSTRLEN] = "";
    if (ci && ci->client_addr) {
        const struct sockaddr *sa = ci->client_addr;
        if (sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf, sizeof buf);
        else if (sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, buf, sizeof buf);
    }
    return dd_arena_strdup(&req->arena, buf);
}

int dd_req_read_body(dd_req_t *req, dd_body_data_fn on_data, dd_handler_fn on_done)
{
    req->priv->body_mode = BODY_STREAM;
    req->priv->on_data = on_data;
    req->priv->on_done = on_done;
    return DD_OK;
}

int dd_req_buffer_body(dd_req_t *req, size_t max, dd_handler_fn on_done)
{
    req->priv->body_mode = BODY_BUFFER;
    dd_buf_init(&req->priv->body, max);
    req->priv->on_done = on_done;
    return DD_OK;
}

const char *dd_req_body(dd_req_t *req, size_t *len)
{
    *len = req->priv->body.len;
    return req->priv->body.ptr ? req->priv->body.ptr : "";
}

int dd_req_body_rc(dd_req_t *req)
{
    return req->priv->body_rc;
}

/* ---- responses ------------------------------------------------------------*/

void dd_resp_header(dd_req_t *req, const char *name, const char *value)
{
    struct dd_req_priv *p = req->priv;
    if (p->resp) {
        MHD_add_response_header(p->resp, name, value);
        return;
    }
    hdr_t *h = dd_arena_alloc(&req->arena, sizeof *h);
    h->name = dd_arena_strdup(&req->arena, name);
    h->value = dd_arena_strdup(&req->arena, value);
    h->next = p->hdrs;
    p->hdrs = h;
}

void dd_resp_headerf(dd_req_t *req, const char *name, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n >= (int)sizeof buf) {
        va_start(ap, fmt);
        char *big = NULL;
        if (vasprintf(&big, fmt, ap) >= 0) {
            dd_resp_header(req, name, big);
            free(big);
        }
        va_end(ap);
        return;
    }
    dd_resp_header(req, name, buf);
}

/* Installs r as the response (replacing an earlier one). */
static int set_resp(dd_req_t *req, int status, const char *ctype, struct MHD_Response *r, uint64_t n)
{
    struct dd_req_priv *p = req->priv;
    if (!r) return DD_ENOMEM;
    if (p->resp) MHD_destroy_response(p->resp);
    p->resp = r;
    p->status = status;
    p->bytes_out = p->head ? 0 : n;
    /* headers were pushed to the front: apply oldest first */
    hdr_t *rev = NULL;
    for (hdr_t *h = p->hdrs, *next; h; h = next) {
        next = h->next;
        h->next = rev;
        rev = h;
    }
    for (hdr_t *h = rev; h; h = h->next) MHD_add_response_header(r, h->name, h->value);
    p->hdrs = NULL;
    if (ctype) MHD_add_response_header(r, "Content-Type", ctype);
    MHD_add_response_header(r, "X-Request-Id", req->id);
    return DD_OK;
}

bool dd_resp_is_set(const dd_req_t *req)
{
    return req->priv->resp != NULL;
}

int dd_resp_bytes(dd_req_t *req, int status, const char *content_type, const void *p, size_t n)
{
    if (req->priv->capture) {
        dd_buf_reset(&req->priv->early_body);
        dd_buf_append(&req->priv->early_body, p, n);
    }
    return set_resp(req, status, content_type,
                    MHD_create_response_from_buffer(n, (void *)p, MHD_RESPMEM_MUST_COPY), n);
}

int dd_resp_text(dd_req_t *req, int status, const char *text)
{
    return dd_resp_bytes(req, status, "text/plain; charset=utf-8", text, strlen(text));
}

int dd_resp_json(dd_req_t *req, int status, dd_buf_t *b)
{
    size_t n = 0;
    char *mem = dd_buf_detach(b, &n);
    if (!mem) return dd_resp_bytes(req, status, "application/json", "", 0);
    if (req->priv->capture) {
        dd_buf_reset(&req->priv->early_body);
        dd_buf_append(&req->priv->early_body, mem, n);
    }
    struct MHD_Response *r = MHD_create_response_from_buffer_with_free_callback(n, mem, free);
    if (!r) free(mem);
    return set_resp(req, status, "application/json", r, n);
}

int dd_resp_empty(dd_req_t *req, int status)
{
    return set_resp(req, status, NULL,
                    MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT), 0);
}

int dd_resp_fd(dd_req_t *req, int status, const char *content_type, int fd, uint64_t off, uint64_t n)
{
    struct MHD_Response *r = MHD_create_response_from_fd_at_offset64(n, fd, off);
    if (!r) {
        close(fd);
        return DD_ENOMEM;
    }
    return set_resp(req, status, content_type, r, n);
}

static ssize_t never_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)cls;
    (void)pos;
    (void)buf;
    (void)max;
    return MHD_CONTENT_READER_END_WITH_ERROR;
}

int dd_resp_head(dd_req_t *req, int status, const char *content_type, uint64_t n)
{
    return set_resp(req, status, content_type,
                    MHD_create_response_from_callback(n, 4096, never_read, NULL, NULL), n);
}

typedef struct {
    ssize_t (*read_fn)(void *arg, uint64_t pos, char *buf, size_t max);
    void (*free_fn)(void *arg);
    void *arg;
} cb_resp_t;

static ssize_t cb_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    cb_resp_t *c = cls;
    ssize_t n = c->read_fn(c->arg, pos, buf, max);
    return n <= 0 ? MHD_CONTENT_READER_END_WITH_ERROR : n;
}

static void cb_free(void *cls)
{
    cb_resp_t *c = cls;
    if (c->free_fn) c->free_fn(c->arg);
    free(c);
}

int dd_resp_callback(dd_req_t *req, int status, const char *content_type, uint64_t n,
                     ssize_t (*read_fn)(void *arg, uint64_t pos, char *buf, size_t max),
                     void (*free_fn)(void *arg), void *arg)
{
    cb_resp_t *c = dd_malloc(sizeof *c);
    c->read_fn = read_fn;
    c->free_fn = free_fn;
    c->arg = arg;
    struct MHD_Response *r = MHD_create_response_from_callback(n, 64 * 1024, cb_read, c, cb_free);
    if (!r) {
        cb_free(c);
        return DD_ENOMEM;
    }
    return set_resp(req, status, content_type, r, n);
}

int dd_resp_error(dd_req_t *req, int status, const char *code, const char *message)
{
    dd_http_server_t *s = req->priv->srv;
    const char *path = req->path ? req->path : req->raw_uri;
    for (size_t i = 0; i < s->n_errfns; i++)
        if (path && dd_str_startswith(path, s->errfns[i].prefix))
            return s->errfns[i].fn(req, status, code, message);
    dd_buf_t b;
    dd_buf_init(&b, 0);
    dd_buf_puts(&b, "{\"errors\":[{\"code\":");
    dd_buf_json_str(&b, code);
    dd_buf_puts(&b, ",\"message\":");
    dd_buf_json_str(&b, message);
    dd_buf_puts(&b, "}]}");
    return dd_resp_json(req, status, &b);
}

/* ---- MHD callbacks --------------------------------------------------------*/

static void *uri_log_cb(void *cls, const char *uri, struct MHD_Connection *conn)
{
    dd_http_server_t *s = cls;
    dd_req_t *req = dd_calloc(1, sizeof *req + sizeof(struct dd_req_priv));
    req->priv = (struct dd_req_priv *)(req + 1);
    req->priv->srv = s;
    req->priv->conn = conn;
    req->priv->t0 = dd_mono_ns();
    dd_arena_init(&req->arena);
    req->raw_uri = dd_arena_strdup(&req->arena, uri ? uri : "");
    unsigned long long id = atomic_fetch_add(&s->next_id, 1);
    snprintf(req->id, sizeof req->id, "%s%010llx", s->id_prefix, id & 0xffffffffffULL);
    atomic_fetch_add(&s->inflight, 1);
    struct dd_req_priv *p = req->priv;
    p->req = req;
    p->thr = pthread_self();
    pthread_mutex_lock(&s->hdr_mu);
    p->hdr_next = s->hdr_list;
    if (s->hdr_list) s->hdr_list->hdr_prev = p;
    s->hdr_list = p;
    p->in_hdr_list = true;
    pthread_mutex_unlock(&s->hdr_mu);
    return req;
}

/* Takes p off the header-phase list (no-op if it is not on it). */
static void hdr_list_remove(dd_http_server_t *s, struct dd_req_priv *p)
{
    pthread_mutex_lock(&s->hdr_mu);
    if (p->in_hdr_list) {
        if (p->hdr_prev) p->hdr_prev->hdr_next = p->hdr_next;
        else s->hdr_list = p->hdr_next;
        if (p->hdr_next) p->hdr_next->hdr_prev = p->hdr_prev;
        p->hdr_prev = p->hdr_next = NULL;
        p->in_hdr_list = false;
    }
    pthread_mutex_unlock(&s->hdr_mu);
}

static void log_request(dd_req_t *req, enum MHD_RequestTerminationCode toe)
{
    if (!dd_log_enabled(DD_LOG_INFO)) return;
    struct dd_req_priv *p = req->priv;
    double ms = (double)(dd_mono_ns() - p->t0) / 1e6;
    char ts[32];
    dd_time_rfc3339(dd_now_ms() / 1000, ts);
    dd_buf_t b;
    dd_buf_init(&b, 8192);
    dd_buf_printf(&b, "{\"ts\":\"%s\",\"level\":\"info\",\"msg\":\"request\",\"id\":\"%s\",\"method\":", ts,
                  req->id);
    dd_buf_json_str(&b, req->method ? req->method : "");
    dd_buf_puts(&b, ",\"path\":");
    const char *path = req->raw_uri ? req->raw_uri : "";
    /* log the path without the query (it may hold tokens) */
    const char *q = strchr(path, '?');
    char *pcopy = dd_arena_strndup(&req->arena, path, q ? (size_t)(q - path) : strlen(path));
    pcopy[dd_utf8_prefix(pcopy, 1024)] = '\0';
    dd_buf_json_str(&b, pcopy);
    dd_buf_printf(&b, ",\"status\":%d,\"bytes\":%llu,\"bytes_in\":%llu,\"duration_ms\":%.3f", p->status,
                  (unsigned long long)p->bytes_out, (unsigned long long)req->bytes_in, ms);
    if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK) {
        static const char *toes[] = {"ok", "error", "timeout", "shutdown", "read_error", "client_abort"};
        dd_buf_printf(&b, ",\"termination\":\"%s\"", (unsigned)toe < 6 ? toes[toe] : "other");
    }
    dd_buf_puts(&b, "}\n");
    dd_log_raw(b.ptr, b.len);
    dd_buf_release(&b);
}

static void completed_cb(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    dd_http_server_t *s = cls;
    dd_req_t *req = *con_cls;
    const union MHD_ConnectionInfo *ci = conn ? MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT)
                                              : NULL;
    if (ci && ci->socket_context && s->opts.header_timeout_s)
        atomic_store(&((conn_t *)ci->socket_context)->deadline_ns,
                     dd_mono_ns() + (int64_t)s->opts.header_timeout_s * 1000000000LL);
    if (!req) return;
    *con_cls = NULL;
    hdr_list_remove(s, req->priv);
    dd_metrics_http_done(req->path ? req->path : req->raw_uri, req->priv->status, dd_mono_ns() - req->priv->t0,
                         req->bytes_in, req->priv->bytes_out);
    log_request(req, toe);
    if (req->priv->resp && !req->priv->queued) MHD_destroy_response(req->priv->resp);
    dd_buf_release(&req->priv->body);
    dd_arena_release(&req->arena);
    free(req);
    atomic_fetch_sub(&s->inflight, 1);
}

/* Finds the route; answers 404/405/400 itself when there is none. */
static const dd_route_t *find_route(dd_http_server_t *s, dd_req_t *req)
{
    bool path_matched = false;
    for (size_t t = 0; t < s->n_tables; t++) {
        for (size_t i = 0; i < s->tables[t].n; i++) {
            const dd_route_t *r = &s->tables[t].routes[i];
            const char *name;
            size_t nv = 0;
            if (!dd_route_match(r->pattern, req->path, &req->arena, &name, req->var_names,
                                req->var_vals, &nv))
                continue;
            bool m_ok = !strcmp(r->method, "*") || !strcmp(r->method, req->method) ||
                        (!strcmp(r->method, "GET") && !strcmp(req->method, "HEAD"));
            if (!m_ok) {
                path_matched = true;
                continue;
            }
            req->name = name;
            req->n_vars = nv;
            req->ctx = s->tables[t].ctx;
            req->route = r;
            return r;
        }
    }
    if (path_matched)
        dd_resp_error(req, 405, "UNSUPPORTED", "method not allowed");
    else
        dd_resp_error(req, 404, "NOT_FOUND", "no such endpoint");
    return NULL;
}

/* A client's X-Request-Id replaces the generated one when it is sane: 1 to
 * sizeof id - 1 characters of [A-Za-z0-9._:-] (it goes into logs as is). */
static void adopt_request_id(dd_req_t *req)
{
    const char *h = dd_req_header(req, "X-Request-Id");
    if (!h) return;
    size_t n = strlen(h);
    if (n == 0 || n >= sizeof req->id) return;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)h[i]) && !strchr("._:-", h[i])) return;
    memcpy(req->id, h, n + 1);
}

/* Phase 1: route, authorize, run the handler. */
static void dispatch(dd_http_server_t *s, dd_req_t *req)
{
    adopt_request_id(req);
    const char *raw = req->raw_uri;
    const char *q = strchr(raw, '?');
    size_t plen = q ? (size_t)(q - raw) : strlen(raw);
    req->query = q ? q + 1 : "";
    char *path = NULL;
    if (plen == 0 || raw[0] != '/' || dd_http_path_decode(raw, plen, &req->arena, &path) != DD_OK) {
        req->path = dd_arena_strndup(&req->arena, raw, plen);
        dd_resp_error(req, 400, "BAD_REQUEST", "invalid path"); /* the prefix's error fn may recode it */
        return;
    }
    req->path = path;
    const dd_route_t *r = find_route(s, req);
    if (!r) return;
    if ((r->flags & DD_ROUTE_REPO_NAME) && req->name && !dd_repo_name_valid(req->name)) {
        dd_resp_error(req, 400, "NAME_INVALID", "invalid repository name");
        return;
    }
    if (r->action != DD_ACT_NONE && s->auth_fn) {
        int rc = s->auth_fn(s->auth_ctx, req, r->action, req->name);
        if (rc == DD_EAUTH) {
            if (!dd_resp_is_set(req)) dd_resp_error(req, 401, "UNAUTHORIZED", "authentication required");
            return;
        }
        if (rc != DD_OK) {
            if (!dd_resp_is_set(req)) dd_resp_error(req, 403, "DENIED", "access denied");
            return;
        }
    }
    int rc = r->fn(req);
    if (rc != DD_OK && !dd_resp_is_set(req) && req->priv->body_mode == BODY_NONE)
        dd_resp_error(req, 500, "INTERNAL", "internal error");
}

int dd_http_authorize(dd_req_t *req, dd_action_t action, const char *repo)
{
    dd_http_server_t *s = req->priv->srv;
    if (!s->auth_fn) return DD_OK;
    int rc = s->auth_fn(s->auth_ctx, req, action, repo);
    if (rc == DD_OK) return DD_OK;
    if (rc == DD_EAUTH) {
        if (!dd_resp_is_set(req)) dd_resp_error(req, 401, "UNAUTHORIZED", "authentication required");
        return rc;
    }
    if (!dd_resp_is_set(req)) dd_resp_error(req, 403, "DENIED", "access denied");
    return rc == DD_EDENIED ? rc : DD_EDENIED;
}

static bool request_has_body(dd_req_t *req)
{
    uint64_t cl;
    int rc = dd_req_content_length(req, &cl);
    if (rc == DD_OK) return cl > 0;
    if (rc == DD_EINVAL) return true;
    return dd_req_header(req, "Transfer-Encoding") != NULL;
}

static enum MHD_Result queue(dd_req_t *req)
{
    struct dd_req_priv *p = req->priv;
    if (!p->resp) dd_resp_error(req, 500, "INTERNAL", "handler set no response");
    if (!p->resp) return MHD_NO;
    enum MHD_Result ret = MHD_queue_response(p->conn, (unsigned)p->status, p->resp);
    MHD_destroy_response(p->resp); /* MHD keeps its own reference */
    p->resp = NULL;
    p->queued = true;
    p->state = ST_DONE;
    return ret;
}

/* send(2)s n bytes to a non-blocking socket, waiting at most 2 s for room. */
static int plain_write(int fd, const char *buf, size_t n)
{
    size_t off = 0;
    int64_t deadline = dd_mono_ns() + 2000000000LL;
    while (off < n && dd_mono_ns() < deadline) {
        ssize_t w = send(fd, buf + off, n - off, MSG_NOSIGNAL);
        if (w > 0) {
            off += (size_t)w;
        } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            struct pollfd pf = {fd, POLLOUT, 0};
            poll(&pf, 1, 100);
        } else {
            return DD_EIO;
        }
    }
    return off == n ? DD_OK : DD_EIO;
}

/* Writes n bytes to the client now, from one of the connection's own
 * callbacks (MHD writes nothing meanwhile): to the socket, or under TLS as
 * application data on the connection's session (tls.c). A small answer: the
 * send buffer takes it; waits at most 2 s for room. The socket is uncorked
 * after: libmicrohttpd leaves a TLS connection's socket corked between
 * responses (it pushes with TCP_NODELAY), so the bytes would wait for the
 * cork's 200 ms ceiling, and a close before that (the body dropped, an RST)
 * would discard them. No response follows on this connection, so the
 * library's idea of the cork state no longer matters. */
static int conn_write(dd_http_server_t *s, struct dd_req_priv *p, const char *buf, size_t n)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(p->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (!ci) return DD_EIO;
    int fd = ci->connect_fd;
    int rc = s->tls ? dd_http_tls_write(p->conn, fd, buf, n) : plain_write(fd, buf, n);
    int off = 0;
    setsockopt(fd, IPPROTO_TCP, TCP_CORK, &off, sizeof off);
    return rc;
}

static enum MHD_Result early_hdr(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    if (strcasecmp(key, "Content-Length") && strcasecmp(key, "Connection"))
        dd_buf_printf(cls, "%s: %s\r\n", key, value);
    return MHD_YES;
}

/* Sends the request's response (set while p->capture was on, so its body is
 * in p->early_body) with "Connection: close" by conn_write(), instead of
 * queuing it with MHD. Returns true when it went out. */
static bool send_now(dd_http_server_t *s, dd_req_t *req)
{
    struct dd_req_priv *p = req->priv;
    if (!p->resp) {
        dd_buf_release(&p->early_body);
        return false;
    }
    dd_buf_t out;
    dd_buf_init(&out, 0);
    const char *reason = MHD_get_reason_phrase_for((unsigned)p->status);
    dd_buf_printf(&out, "HTTP/1.1 %d %s\r\n", p->status, reason && *reason ? reason : "Status");
    char date[64];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    dd_buf_printf(&out, "Date: %s\r\n", date);
    MHD_get_response_headers(p->resp, early_hdr, &out);
    dd_buf_printf(&out, "Content-Length: %zu\r\nConnection: close\r\n\r\n", p->early_body.len);
    if (!p->head) dd_buf_append(&out, p->early_body.ptr ? p->early_body.ptr : "", p->early_body.len);
    int rc = conn_write(s, p, out.ptr, out.len);
    dd_buf_release(&out);
    p->bytes_out = p->head ? 0 : p->early_body.len;
    dd_buf_release(&p->early_body);
    MHD_destroy_response(p->resp);
    p->resp = NULL;
    p->early_sent = true;
    return rc == DD_OK;
}

/* Answers now, while the client is still sending a body that went over its
 * buffer limit (issue 20 item 5): runs on_done (which sees DD_ELIMIT and sets
 * the 413), then sends that response with send_now(). libmicrohttpd 0.9.75
 * refuses MHD_queue_response() between the first call and the end of the
 * body, and a client that reads while it sends (as HTTP/1.1 clients should)
 * would otherwise wait for up to DROP_MAX bytes and then see a cut
 * connection. Plain and TLS alike. Returns true when the response was sent. */
static bool early_answer(dd_http_server_t *s, dd_req_t *req)
{
    struct dd_req_priv *p = req->priv;
    p->capture = true;
    dd_buf_init(&p->early_body, 0);
    int rc = p->on_done(req);
    if (rc != DD_OK && !p->resp) dd_resp_error(req, 500, "INTERNAL", "internal error");
    p->capture = false;
    return send_now(s, req);
}

/* Answers status (the path's error format, code and message) with
 * "Connection: close" and shuts our side of the connection: TLS
 * close_notify, then FIN; what the client sent so far is read and dropped,
 * so that the close that follows does not turn into an RST. The caller then
 * has MHD close the connection (access_cb returns MHD_NO; after
 * mhd_logger() the library's own answer fails to send). */
static void refuse_now(dd_http_server_t *s, dd_req_t *req, int status, const char *code, const char *message)
{
    struct dd_req_priv *p = req->priv;
    p->capture = true;
    dd_buf_init(&p->early_body, 0);
    dd_resp_error(req, status, code, message);
    p->capture = false;
    send_now(s, req);
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(p->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (!ci) return;
    int fd = ci->connect_fd;
    if (s->tls) dd_http_tls_close_write(p->conn);
    shutdown(fd, SHUT_WR);
    char sink[4096];
    while (recv(fd, sink, sizeof sink, MSG_DONTWAIT) > 0) {
    }
    dd_log(DD_LOG_DEBUG, req->id, "refused a request: %s (%d)", message, status);
}

/* A header-phase request of the calling thread whose headers are complete:
 * the one libmicrohttpd is parsing now (see the design notes), or NULL. */
static dd_req_t *parsing_now(dd_http_server_t *s)
{
    dd_req_t *found = NULL;
    pthread_t self = pthread_self();
    pthread_mutex_lock(&s->hdr_mu);
    for (struct dd_req_priv *p = s->hdr_list; p; p = p->hdr_next)
        if (pthread_equal(p->thr, self) &&
            MHD_get_connection_info(p->conn, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE) != NULL) {
            found = p->req;
            break;
        }
    pthread_mutex_unlock(&s->hdr_mu);
    if (found) hdr_list_remove(s, found->priv);
    return found;
}

typedef struct {
    int n_cl, n_te;
    const char *cl, *te;
    bool cl_differ;
} framing_t;

static enum MHD_Result framing_hdr(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    framing_t *f = cls;
    (void)kind;
    if (!strcasecmp(key, "Content-Length")) {
        if (f->n_cl++ && strcmp(f->cl, value)) f->cl_differ = true;
        f->cl = value;
    } else if (!strcasecmp(key, "Transfer-Encoding")) {
        f->n_te++;
        f->te = value;
    }
    return MHD_YES;
}

/* The request's framing as RFC 9112 section 6 wants it, beyond what
 * libmicrohttpd checks (it takes the first of several Content-Lengths and
 * lets Transfer-Encoding win over Content-Length: both are how requests get
 * smuggled past a proxy). Returns 0, or the status to refuse with (message
 * in *msg). */
static int framing_error(dd_req_t *req, const char **msg)
{
    framing_t f = {0};
    MHD_get_connection_values(req->priv->conn, MHD_HEADER_KIND, framing_hdr, &f);
    if (f.cl_differ) {
        *msg = "conflicting Content-Length headers";
        return 400;
    }
    if (f.n_cl && f.n_te) {
        *msg = "Content-Length together with Transfer-Encoding";
        return 400;
    }
    if (f.n_te && (f.n_te > 1 || strcasecmp(f.te, "chunked"))) {
        *msg = "unsupported Transfer-Encoding (only chunked)";
        return 501;
    }
    return 0;
}

/* True when the client has closed its side and nothing more is to be read
 * (a peek returns 0). After an early answer the client stops sending and
 * closes; libmicrohttpd 0.9.75 (edge-triggered epoll) takes a short read
 * as "drained", so when the FIN came with the last bytes it never reads
 * again and holds the connection until its idle timeout. */
static bool peer_closed(struct dd_req_priv *p)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(p->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    char c;
    return ci && recv(ci->connect_fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

static enum MHD_Result access_cb(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **con_cls)
{
    dd_http_server_t *s = cls;
    (void)url;
    (void)version;
    dd_req_t *req = *con_cls;
    if (!req) { /* no uri_log_cb (should not happen) */
        req = uri_log_cb(s, url, conn);
        *con_cls = req;
    }
    struct dd_req_priv *p = req->priv;
    if (p->state == ST_NEW && p->early_sent) { /* refused by mhd_logger() (should not get here) */
        *upload_data_size = 0;
        return MHD_NO;
    }
    if (p->state == ST_NEW) {
        hdr_list_remove(s, p);
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        if (ci && ci->socket_context) atomic_store(&((conn_t *)ci->socket_context)->deadline_ns, 0);
        req->method = method;
        p->head = !strcmp(method, "HEAD");
        const char *msg = NULL;
        int bad = framing_error(req, &msg);
        if (bad) {
            p->state = ST_DONE;
            refuse_now(s, req, bad, "UNSUPPORTED", msg);
            return MHD_NO;
        }
        dispatch(s, req);
        if (p->resp || p->body_mode == BODY_NONE) {
            /* Queuing in this first call makes MHD close the connection
             * (it can't know what follows); without a body, answer in the
             * next call and keep the connection alive. */
            if (request_has_body(req)) return queue(req);
            p->state = ST_READY;
            return MHD_YES;
        }
        p->state = ST_BODY;
        return MHD_YES;
    }
    if (p->state == ST_DONE) {
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (p->state == ST_READY) {
        if (*upload_data_size > 0) {
            req->bytes_in += *upload_data_size;
            *upload_data_size = 0;
            return MHD_YES;
        }
        return queue(req);
    }
    /* ST_BODY */
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        req->bytes_in += n;
        if (p->body_rc != DD_OK) {
            p->dropped += n;
            if (p->early_sent && peer_closed(p)) return MHD_NO;
            return p->dropped > DROP_MAX ? MHD_NO : MHD_YES;
        }
        if (p->body_mode == BODY_STREAM) {
            int rc = p->on_data(req, upload_data, n);
            if (rc != DD_OK) p->body_rc = rc;
        } else if (dd_buf_append(&p->body, upload_data, n) != DD_OK) {
            p->body_rc = DD_ELIMIT;
            dd_buf_release(&p->body);
            early_answer(s, req);
        }
        return MHD_YES;
    }
    if (p->early_sent) return MHD_NO; /* answered already; close */
    int rc = p->on_done(req);
    if (rc != DD_OK && !p->resp) dd_resp_error(req, 500, "INTERNAL", "internal error");
    return queue(req);
}

static void notify_conn_cb(void *cls, struct MHD_Connection *conn, void **socket_context,
                           enum MHD_ConnectionNotificationCode code)
{
    dd_http_server_t *s = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        conn_t *c = dd_calloc(1, sizeof *c);
        c->fd = ci ? ci->connect_fd : -1;
        atomic_init(&c->deadline_ns,
                    s->opts.header_timeout_s ? dd_mono_ns() + (int64_t)s->opts.header_timeout_s * 1000000000LL : 0);
        pthread_mutex_lock(&s->conns_mu);
        c->next = s->conns;
        if (s->conns) s->conns->prev = c;
        s->conns = c;
        pthread_mutex_unlock(&s->conns_mu);
        *socket_context = c;
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        conn_t *c = *socket_context;
        if (!c) return;
        pthread_mutex_lock(&s->conns_mu);
        if (c->prev) c->prev->next = c->next;
        else s->conns = c->next;
        if (c->next) c->next->prev = c->prev;
        pthread_mutex_unlock(&s->conns_mu);
        *socket_context = NULL;
        free(c);
    }
}

/* Once a second: shuts down (not closes: MHD owns the fd) connections whose
 * headers are overdue; MHD then sees EOF and closes them itself. The fd stays
 * valid while the entry is in the list (the CLOSED notification removes it
 * under the same lock before MHD closes the socket). */
static void *watchdog_main(void *arg)
{
    dd_http_server_t *s = arg;
    pthread_mutex_lock(&s->conns_mu);
    while (!s->stopping) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 1;
        pthread_cond_timedwait(&s->stop_cv, &s->conns_mu, &ts);
        int64_t now = dd_mono_ns();
        for (conn_t *c = s->conns; c; c = c->next) {
            int64_t dl = atomic_load(&c->deadline_ns);
            if (dl && now > dl && !c->shut && c->fd >= 0) {
                shutdown(c->fd, SHUT_RDWR);
                c->shut = true;
                dd_log(DD_LOG_DEBUG, NULL, "closing a connection whose request headers took too long");
            }
        }
    }
    pthread_mutex_unlock(&s->conns_mu);
    return NULL;
}

/* libmicrohttpd's messages (debug level). Two of them say that the request
 * being parsed has a malformed Content-Length: the library is about to send
 * its doubled answer, so refuse_now() answers first (see the design notes).
 * The texts are libmicrohttpd 0.9.75's (0.9.77's are the same). */
static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
    dd_http_server_t *s = cls;
    if (s && strstr(fmt, "Content-Length' header")) {
        bool big = strstr(fmt, "Too large") != NULL;
        dd_req_t *req = parsing_now(s);
        if (req)
            refuse_now(s, req, big ? 413 : 400, big ? "SIZE_INVALID" : "UNSUPPORTED",
                       big ? "Content-Length too large" : "invalid Content-Length header");
    }
    if (!dd_log_enabled(DD_LOG_DEBUG)) return;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && msg[n - 1] == '\n') msg[--n] = '\0';
    dd_log(DD_LOG_DEBUG, NULL, "mhd: %s", msg);
}

/* ---- server lifecycle -----------------------------------------------------*/

int dd_http_server_new(const dd_http_opts_t *o, dd_http_server_t **out, dd_err_t *e)
{
    dd_http_server_t *s = dd_calloc(1, sizeof *s);
    s->opts = *o;
    s->listen = dd_strdup(o->listen ? o->listen : "127.0.0.1:5000");
    s->opts.listen = s->listen;
    if (!s->opts.threads) s->opts.threads = 4;
    if (!s->opts.conn_memory_limit) s->opts.conn_memory_limit = 32 * 1024;
    unsigned char rnd[3];
    dd_random_bytes(rnd, sizeof rnd);
    snprintf(s->id_prefix, sizeof s->id_prefix, "%02x%02x%02x", rnd[0], rnd[1], rnd[2]);
    if (!s->opts.header_timeout_s) s->opts.header_timeout_s = 30;
    pthread_mutex_init(&s->conns_mu, NULL);
    pthread_mutex_init(&s->hdr_mu, NULL);
    pthread_cond_init(&s->stop_cv, NULL);
    atomic_init(&s->inflight, 0);
    atomic_init(&s->next_id, 1);
    *out = s;
    (void)e;
    return DD_OK;
}

void dd_http_register_routes(dd_http_server_t *s, const dd_route_t *routes, size_t n, void *ctx)
{
    if (s->n_tables == MAX_TABLES) DD_BUG("too many route tables");
    s->tables[s->n_tables].routes = routes;
    s->tables[s->n_tables].n = n;
    s->tables[s->n_tables].ctx = ctx;
    s->n_tables++;
}

void dd_http_set_auth_hook(dd_http_server_t *s, dd_auth_hook_fn fn, void *ctx)
{
    s->auth_fn = fn;
    s->auth_ctx = ctx;
}

void dd_http_set_error_fn(dd_http_server_t *s, const char *path_prefix, dd_error_fn fn)
{
    if (s->n_errfns == MAX_ERRFNS) DD_BUG("too many error functions");
    s->errfns[s->n_errfns].prefix = path_prefix;
    s->errfns[s->n_errfns].fn = fn;
    s->n_errfns++;
}

/* Parses "HOST:PORT", "[V6]:PORT" or ":PORT" into a sockaddr. */
static int parse_listen(const char *l, struct sockaddr_storage *ss, dd_err_t *e)
{
    memset(ss, 0, sizeof *ss);
    const char *colon = strrchr(l, ':');
    if (!colon) return dd_err(e, DD_EINVAL, "invalid listen address '%s' (want HOST:PORT)", l);
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || end == colon + 1 || port < 0 || port > 65535)
        return dd_err(e, DD_EINVAL, "invalid port in listen address '%s'", l);
    char host[256];
    size_t hl = (size_t)(colon - l);
    if (hl >= sizeof host) return dd_err(e, DD_EINVAL, "invalid listen address '%s'", l);
    memcpy(host, l, hl);
    host[hl] = '\0';
    if (host[0] == '[') {
        size_t n = strlen(host);
        if (n < 2 || host[n - 1] != ']') return dd_err(e, DD_EINVAL, "invalid listen address '%s'", l);
        host[n - 1] = '\0';
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host + 1, &a6->sin6_addr) != 1)
            return dd_err(e, DD_EINVAL, "invalid IPv6 address in '%s'", l);
        return DD_OK;
    }
    struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)port);
    if (!host[0] || !strcmp(host, "0.0.0.0") || !strcmp(host, "*")) {
        a4->sin_addr.s_addr = htonl(INADDR_ANY);
    } else if (!strcmp(host, "localhost")) {
        a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    } else if (inet_pton(AF_INET, host, &a4->sin_addr) != 1) {
        return dd_err(e, DD_EINVAL, "invalid IPv4 address in '%s' (use a numeric address)", l);
    }
    return DD_OK;
}

int dd_http_start(dd_http_server_t *s, dd_err_t *e)
{
    struct sockaddr_storage ss;
    int rc = parse_listen(s->opts.listen, &ss, e);
    if (rc) return rc;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC | MHD_USE_ERROR_LOG;
    if (ss.ss_family == AF_INET6) flags |= MHD_USE_IPv6;
    if (s->opts.turbo) flags |= MHD_USE_TURBO;
    struct MHD_OptionItem ops[20];
    int k = 0;
    /* first, so that no message goes to the library's own logger */
    ops[k++] = (struct MHD_OptionItem){MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_logger, s};
    s->tls = s->opts.tls_cert_pem != NULL;
    if (s->opts.tls_cert_pem) {
        ops[k++] = (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, &ss};
    } else {
        /* plain HTTP: the gate owns the listening socket (issue 20 item 4) */
        if (dd_http_gate_open(&ss, &s->gate, e) != DD_OK)
            return dd_err(e, DD_EIO, "cannot listen on '%s' (address in use or not available)", s->opts.listen);
        flags |= MHD_USE_NO_LISTEN_SOCKET;
    }
    ops[k++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, (intptr_t)s->opts.threads, NULL};
    ops[k++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                                       (intptr_t)s->opts.conn_memory_limit, NULL};
    if (s->opts.idle_timeout_s)
        ops[k++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)s->opts.idle_timeout_s,
                                           NULL};
    if (s->opts.thread_stack_size)
        ops[k++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_STACK_SIZE,
                                           (intptr_t)s->opts.thread_stack_size, NULL};
    ops[k++] = (struct MHD_OptionItem){MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)uri_log_cb, s};
    ops[k++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)completed_cb, s};

    if (!s->gate) ops[k++] = (struct MHD_OptionItem){MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, NULL};
    ops[k++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)notify_conn_cb, s};
    if (s->opts.tls_cert_pem) k += dd_http_tls_options(&s->opts, &ops[k], &flags); /* tls.c */
    ops[k++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    s->d = MHD_start_daemon(flags, 0, NULL, NULL, access_cb, s, MHD_OPTION_ARRAY, ops, MHD_OPTION_END);
    if (!s->d) {
        dd_http_gate_free(s->gate);
        s->gate = NULL;
        return dd_err(e, DD_EIO, "cannot listen on '%s' (address in use or not available)", s->opts.listen);
    }
    if (s->gate) {
        s->port = dd_http_gate_port(s->gate);
        if (dd_http_gate_run(s->gate, s->d, e) != DD_OK) {
            MHD_stop_daemon(s->d);
            s->d = NULL;
            dd_http_gate_free(s->gate);
            s->gate = NULL;
            return DD_EIO;
        }
    } else {
        const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
        s->port = info ? info->port : 0;
    }
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setstacksize(&at, 128 * 1024);
    if (pthread_create(&s->watchdog, &at, watchdog_main, s) == 0) s->watchdog_running = true;
    pthread_attr_destroy(&at);
    return DD_OK;
}

unsigned dd_http_port(dd_http_server_t *s)
{
    return s->port;
}

void dd_http_stop(dd_http_server_t *s)
{
    if (!s->d) return;
    if (s->gate) {
        dd_http_gate_close_listen(s->gate); /* stop accepting; waiting connections go to MHD */
    } else {
        MHD_socket fd = MHD_quiesce_daemon(s->d);
        if (fd != MHD_INVALID_SOCKET) close(fd);
    }
    int64_t deadline = dd_mono_ns() + (int64_t)(s->opts.shutdown_grace_s ? s->opts.shutdown_grace_s : 10) *
                                           1000000000LL;
    while (atomic_load(&s->inflight) > 0 && dd_mono_ns() < deadline) {
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
    if (s->watchdog_running) {
        pthread_mutex_lock(&s->conns_mu);
        s->stopping = true;
        pthread_cond_broadcast(&s->stop_cv);
        pthread_mutex_unlock(&s->conns_mu);
        pthread_join(s->watchdog, NULL);
        s->watchdog_running = false;
    }
    MHD_stop_daemon(s->d);
    s->d = NULL;
    dd_http_gate_free(s->gate);
    s->gate = NULL;
}

void dd_http_server_free(dd_http_server_t *s)
{
    if (!s) return;
    if (s->d) dd_http_stop(s);
    pthread_mutex_destroy(&s->conns_mu);
    pthread_mutex_destroy(&s->hdr_mu);
    pthread_cond_destroy(&s->stop_cv);
    free(s->listen);
    free(s);
}
