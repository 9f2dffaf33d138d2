/*
 * gate.c: the accept gate in front of libmicrohttpd for plain HTTP (issue 20
 * item 4). Debian 12's libmicrohttpd 0.9.75 answers a request whose
 * Content-Length is not a number (`-1`, `abc`) or too large by itself, before
 * any callback of ours, and sends that answer's status line and headers
 * twice (see docs/http.md). So the server owns the listening socket: this
 * thread accepts, peeks (MSG_PEEK, the bytes stay for MHD) at the first
 * request's header block, answers a malformed Content-Length with one clean
 * 400 (or 413 for a number of 10^18 or more) and closes, and hands every other
 * connection to MHD with MHD_add_connection().
 *
 * Design notes:
 *   - Pending connections wait in an edge-triggered epoll set (peeked bytes
 *     stay readable, so level-triggered would spin). A connection is handed
 *     over as soon as its header block is complete, or GATE_PEEK bytes have
 *     arrived, or GATE_WAIT_MS has passed (a slow client is then MHD's and
 *     the header watchdog's), or more than GATE_MAX connections wait.
 *   - Only the first request of a connection passes the gate; a keep-alive
 *     follow-up with a malformed Content-Length still meets the library's
 *     answer. Under TLS the bytes are ciphertext: no gate, MHD listens.
 *   - Stop: the thread closes the listening socket and hands over what waits.
 */
#include "http/gate_int.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define GATE_PEEK 8192      /* bytes of the first request looked at */
#define GATE_WAIT_MS 2000   /* longest a connection waits at the gate */
#define GATE_MAX 4096       /* connections waiting at once; beyond, handed over at once */

typedef struct pending {
    int fd;
    struct sockaddr_storage addr;
    socklen_t alen;
    int64_t t0_ms;
    struct pending *next;
} pending_t;

struct dd_http_gate {
    int lfd;
    int ep;
    struct MHD_Daemon *d;
    pthread_t th;
    bool running;
    atomic_bool stop;
    pending_t *pend; /* waiting connections (unordered list) */
    size_t n_pend;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int dd_http_gate_open(const struct sockaddr_storage *ss, dd_http_gate_t **out, dd_err_t *e)
{
    int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return dd_err_errno(e, DD_EIO, errno, "cannot create the listening socket");
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ss->ss_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    socklen_t len = ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    if (bind(fd, (const struct sockaddr *)ss, len) != 0 || listen(fd, 1024) != 0) {
        int err = errno;
        close(fd);
        return dd_err_errno(e, DD_EIO, err, "cannot listen");
    }
    dd_http_gate_t *g = dd_calloc(1, sizeof *g);
    g->lfd = fd;
    g->ep = -1;
    *out = g;
    return DD_OK;
}

unsigned dd_http_gate_port(dd_http_gate_t *g)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(g->lfd, (struct sockaddr *)&ss, &len) != 0) return 0;
    if (ss.ss_family == AF_INET6) return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* ---- the first request's Content-Length ---- */

int dd_http_gate_verdict(const char *buf, size_t n)
{
    const char *p = memchr(buf, '\n', n);
    while (p && (size_t)(p + 1 - buf) < n) {
        const char *line = p + 1, *end = memchr(line, '\n', n - (size_t)(line - buf));
        if (!end) break;
        size_t len = (size_t)(end - line);
        if (len && line[len - 1] == '\r') len--;
        if (len == 0) break; /* end of the header block */
        if (len > 15 && !strncasecmp(line, "Content-Length:", 15)) {
            const char *v = line + 15, *ve = line + len;
            while (v < ve && (*v == ' ' || *v == '\t')) v++;
            while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t')) ve--;
            if (v == ve) return 400;
            for (const char *q = v; q < ve; q++)
                if (*q < '0' || *q > '9') return 400;
            while (ve - v > 1 && *v == '0') v++;
            if (ve - v > 18) return 413; /* 10^18 and up: no body limit comes near */
        }
        p = end;
    }
    return 0;
}

/* Answers status and closes fd: the peeked bytes are read first, so the
 * close sends FIN, not the RST that unread data would cause and that could
 * destroy the answer before the client reads it. */
static void refuse(int fd, int status, const char *buf, size_t n)
{
    const char *sp = memchr(buf, ' ', n);
    bool v2 = sp && (size_t)(sp - buf) + 4 <= n && !strncmp(sp + 1, "/v2", 3);
    char body[256], out[512];
    const char *what = status == 413 ? "Content-Length too large" : "invalid Content-Length header";
    if (v2)
        snprintf(body, sizeof body, "{\"errors\":[{\"code\":\"%s\",\"message\":\"%s\"}]}",
                 status == 413 ? "SIZE_INVALID" : "UNSUPPORTED", what);
    else
        snprintf(body, sizeof body, "{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}",
                 status == 413 ? "TOO_LARGE" : "BAD_REQUEST", what);
    int k = snprintf(out, sizeof out,
                     "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n%s",
                     status, status == 413 ? "Content Too Large" : "Bad Request", strlen(body), body);
    char sink[GATE_PEEK];
    while (recv(fd, sink, sizeof sink, MSG_DONTWAIT) > 0) {
    }
    (void)!send(fd, out, (size_t)k, MSG_NOSIGNAL | MSG_DONTWAIT);
    shutdown(fd, SHUT_WR);
    close(fd);
    dd_log(DD_LOG_INFO, NULL, "refused a request with %s (%d)", what, status);
}

static void forget(dd_http_gate_t *g, pending_t *p)
{
    for (pending_t **pp = &g->pend; *pp; pp = &(*pp)->next)
        if (*pp == p) {
            *pp = p->next;
            g->n_pend--;
            break;
        }
    epoll_ctl(g->ep, EPOLL_CTL_DEL, p->fd, NULL);
    free(p);
}

static void hand_over(dd_http_gate_t *g, pending_t *p)
{
    int fd = p->fd;
    struct sockaddr_storage addr = p->addr;
    socklen_t alen = p->alen;
    forget(g, p);
    /* MHD closes the socket itself when it cannot take it */
    MHD_add_connection(g->d, fd, (const struct sockaddr *)&addr, alen);
}

/* Looks at p's bytes so far; hands it over, refuses it, or lets it wait. */
static void look(dd_http_gate_t *g, pending_t *p, bool timed_out)
{
    char buf[GATE_PEEK];
    ssize_t n = recv(p->fd, buf, sizeof buf, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        int fd = p->fd;
        forget(g, p);
        close(fd); /* gone before sending a request */
        return;
    }
    if (n < 0) n = 0;
    bool complete = memmem(buf, (size_t)n, "\r\n\r\n", 4) || memmem(buf, (size_t)n, "\n\n", 2);
    if (complete) {
        int v = dd_http_gate_verdict(buf, (size_t)n);
        if (v) {
            int fd = p->fd;
            forget(g, p);
            refuse(fd, v, buf, (size_t)n);
            return;
        }
    }
    if (complete || (size_t)n == sizeof buf || timed_out) hand_over(g, p);
}

static void accept_all(dd_http_gate_t *g)
{
    for (;;) {
        struct sockaddr_storage addr;
        socklen_t alen = sizeof addr;
        int fd = accept4(g->lfd, (struct sockaddr *)&addr, &alen, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            /* out of descriptors or memory: the listen socket stays readable,
             * so pause rather than spin (EAGAIN: all taken) */
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                struct timespec ts = {0, 10 * 1000000L};
                nanosleep(&ts, NULL);
            }
            return;
        }
        pending_t *p = dd_calloc(1, sizeof *p);
        p->fd = fd;
        p->addr = addr;
        p->alen = alen;
        p->t0_ms = now_ms();
        p->next = g->pend;
        g->pend = p;
        g->n_pend++;
        struct epoll_event ev = {.events = EPOLLIN | EPOLLET | EPOLLRDHUP, .data.ptr = p};
        if (g->n_pend > GATE_MAX || epoll_ctl(g->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
            hand_over(g, p);
            continue;
        }
        look(g, p, false); /* the request may be there already */
    }
}

static void *gate_main(void *arg)
{
    dd_http_gate_t *g = arg;
    struct epoll_event evs[64];
    while (!atomic_load(&g->stop)) {
        int n = epoll_wait(g->ep, evs, 64, 100);
        for (int i = 0; i < n; i++) {
            if (evs[i].data.ptr == NULL) accept_all(g);
            else look(g, evs[i].data.ptr, false);
        }
        int64_t t = now_ms();
        for (pending_t *p = g->pend, *next; p; p = next) {
            next = p->next;
            if (t - p->t0_ms >= GATE_WAIT_MS) look(g, p, true);
        }
    }
    while (g->pend) hand_over(g, g->pend);
    return NULL;
}

int dd_http_gate_run(dd_http_gate_t *g, struct MHD_Daemon *d, dd_err_t *e)
{
    g->d = d;
    g->ep = epoll_create1(EPOLL_CLOEXEC);
    if (g->ep < 0) return dd_err_errno(e, DD_EIO, errno, "epoll_create1");
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    if (epoll_ctl(g->ep, EPOLL_CTL_ADD, g->lfd, &ev) != 0) return dd_err_errno(e, DD_EIO, errno, "epoll_ctl");
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setstacksize(&at, 256 * 1024);
    int rc = pthread_create(&g->th, &at, gate_main, g);
    pthread_attr_destroy(&at);
    if (rc != 0) return dd_err(e, DD_EIO, "cannot start the accept gate");
    g->running = true;
    return DD_OK;
}

void dd_http_gate_close_listen(dd_http_gate_t *g)
{
    if (!g) return;
    if (g->running) {
        atomic_store(&g->stop, true);
        pthread_join(g->th, NULL);
        g->running = false;
    }
    if (g->lfd >= 0) close(g->lfd);
    g->lfd = -1;
}

void dd_http_gate_free(dd_http_gate_t *g)
{
    if (!g) return;
    dd_http_gate_close_listen(g);
    while (g->pend) {
        pending_t *p = g->pend;
        g->pend = p->next;
        close(p->fd);
        free(p);
    }
    if (g->ep >= 0) close(g->ep);
    free(g);
}
