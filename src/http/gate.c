/*
 * gate.c: the accept gate in front of libmicrohttpd for plain HTTP (issue 15
 * item 1). A client that speaks TLS to a plain-HTTP port (the docker CLI and
 * every Go client try https:// first for an insecure registry) must get an
 * HTTP response, so that it reports "server gave HTTP response to HTTPS
 * client" and falls back to http://. libmicrohttpd 0.9.75 closes such a
 * connection without a word whenever the ClientHello's bytes up to its first
 * 0x0a hold no space (about one in ten: the hello is random bytes), and
 * before this gate waited for a header block a hello never has. So the
 * server owns the listening socket: this thread accepts, peeks (MSG_PEEK,
 * the bytes stay for MHD) at the first bytes, answers a connection that does
 * not start like an HTTP request line (a TLS record, binary junk) with one
 * 400 and a lingering close, and hands every other connection to MHD with
 * MHD_add_connection() as soon as its method and the space after it are
 * there. Malformed request framing (Content-Length) is server.c's, for
 * every request of a connection and under TLS too.
 *
 * Design notes:
 *   - A connection here is WAITING (no verdict yet) or CLOSING (refused:
 *     the answer is sent and the write side shut; we read and drop what the
 *     client still sends until it closes or GATE_LINGER_MS pass, so that our
 *     close never meets unread bytes, which would send an RST that can
 *     destroy the answer before the client reads it).
 *   - Both wait in one edge-triggered epoll set (peeked bytes stay readable,
 *     so level-triggered would spin). A WAITING connection is handed over
 *     once its verdict is "HTTP", or when GATE_WAIT_MS passed with no
 *     verdict (a slow client is then MHD's and the header watchdog's), or
 *     when more than GATE_MAX connections wait.
 *   - The verdict (dd_http_gate_sniff) needs only the first bytes: a first
 *     byte 0x16 is a TLS handshake record; otherwise a method token (RFC
 *     9110 tchar, shorter than GATE_METHOD_MAX) followed by a space is HTTP and
 *     anything else is junk. Leading empty lines are allowed (RFC 9112 2.2).
 *   - Under TLS the bytes are ciphertext: no gate, MHD listens itself.
 *   - Stop: the thread closes the listening socket, hands over what waits
 *     and closes what is closing.
 */
#include "http/gate_int.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define GATE_PEEK 64          /* bytes looked at: leading CRLFs and a method */
#define GATE_METHOD_MAX 32    /* longest method token taken for HTTP */
#define GATE_WAIT_MS 2000     /* longest a connection waits for its first bytes */
#define GATE_LINGER_MS 2000   /* longest a refused connection is drained */
#define GATE_MAX 4096         /* connections here at once; beyond, handed over at once */

typedef struct pending {
    int fd;
    bool closing; /* refused, answer sent: draining until EOF */
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
    pending_t *pend; /* connections here (unordered list) */
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

/* ---- the verdict on a connection's first bytes ---- */

static bool is_tchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

dd_gate_verdict_t dd_http_gate_sniff(const unsigned char *buf, size_t n)
{
    size_t i = 0;
    while (i < n && (buf[i] == '\r' || buf[i] == '\n')) i++;
    if (i == n) return DD_GATE_MORE;
    if (buf[i] == 0x16) return DD_GATE_TLS; /* TLS record type "handshake" */
    size_t m = i;
    while (m < n && is_tchar(buf[m])) m++;
    if (m - i >= GATE_METHOD_MAX) return DD_GATE_JUNK;
    if (m == n) return DD_GATE_MORE;
    return m > i && buf[m] == ' ' ? DD_GATE_HTTP : DD_GATE_JUNK;
}

/* ---- connections ---- */

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

static void drop(dd_http_gate_t *g, pending_t *p)
{
    int fd = p->fd;
    forget(g, p);
    close(fd);
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

/* Reads and drops what the client sent. Returns false once it has closed
 * (or failed): time to close our side. */
static bool drain(int fd)
{
    char sink[4096];
    for (;;) {
        ssize_t k = recv(fd, sink, sizeof sink, MSG_DONTWAIT);
        if (k > 0) continue;
        return k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR);
    }
}

/* Answers 400 with the server's generic JSON error body and starts the
 * lingering close: the bytes received so far are read, the answer sent, the
 * write side shut (FIN after the answer), and the connection stays here,
 * CLOSING, until the client closes. */
static void refuse(dd_http_gate_t *g, pending_t *p, dd_gate_verdict_t v)
{
    const char *what = v == DD_GATE_TLS ? "tls handshake sent to a plain http port (use http://)"
                                        : "not an http request";
    char body[160], out[400];
    snprintf(body, sizeof body, "{\"errors\":[{\"code\":\"BAD_REQUEST\",\"message\":\"%s\"}]}", what);
    int k = snprintf(out, sizeof out,
                     "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n%s",
                     strlen(body), body);
    bool open = drain(p->fd);
    (void)!send(p->fd, out, (size_t)k, MSG_NOSIGNAL | MSG_DONTWAIT); /* a fresh socket's buffer takes it */
    shutdown(p->fd, SHUT_WR);
    dd_log(DD_LOG_DEBUG, NULL, "refused a connection at the accept gate: %s", what);
    if (!open) {
        drop(g, p);
        return;
    }
    p->closing = true;
    p->t0_ms = now_ms();
}

/* Looks at p's bytes so far; hands it over, refuses it, or lets it wait. */
static void look(dd_http_gate_t *g, pending_t *p, bool timed_out)
{
    if (p->closing) {
        if (timed_out || !drain(p->fd)) drop(g, p);
        return;
    }
    unsigned char buf[GATE_PEEK];
    ssize_t n = recv(p->fd, buf, sizeof buf, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        drop(g, p); /* gone before sending a request */
        return;
    }
    dd_gate_verdict_t v = dd_http_gate_sniff(buf, n < 0 ? 0 : (size_t)n);
    if (v == DD_GATE_TLS || v == DD_GATE_JUNK) refuse(g, p, v);
    else if (v == DD_GATE_HTTP || n == (ssize_t)sizeof buf || timed_out) hand_over(g, p);
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
        look(g, p, false); /* the first bytes may be there already */
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
            if (t - p->t0_ms >= (p->closing ? GATE_LINGER_MS : GATE_WAIT_MS)) look(g, p, true);
        }
    }
    while (g->pend) {
        if (g->pend->closing) drop(g, g->pend);
        else hand_over(g, g->pend);
    }
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
