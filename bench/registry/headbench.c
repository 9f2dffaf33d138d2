/*
 * headbench.c: a fixed keep-alive HTTP/1.1 load client for HEAD requests.
 *
 * Debian's wrk 4.1.0 waits for a body after a HEAD response (upstream wrk
 * issue 198), so the registry benchmark measures HEAD with this instead.
 * One thread per connection; each sends `METHOD PATH` with keep-alive in a
 * loop for the given duration, reads the response headers (and, for GET, a
 * Content-Length body), and records each request's latency. Prints
 *   requests=<n> seconds=<s> rps=<r> p50_ms=<x> p99_ms=<y> errors=<e>
 *
 * usage: headbench HOST PORT PATH CONNECTIONS SECONDS [METHOD] [ACCEPT]
 * Bounded: at most 256 connections, 60 seconds, 4M recorded latencies per
 * connection.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONN 256
#define MAX_LAT (4u << 20)

struct conn {
    pthread_t th;
    double *lat;
    size_t n;
    size_t errors;
};

static const char *g_host, *g_path, *g_method = "HEAD", *g_accept;
static int g_port;
static double g_end;
static char g_req[4096];
static size_t g_req_len;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int connect_to(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)g_port)};
    inet_pton(AF_INET, g_host, &a.sin_addr);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Reads one response; returns 0 on success (2xx/3xx/4xx all count as answered). */
static int read_response(int fd, char *buf, size_t cap)
{
    size_t have = 0;
    char *end = NULL;
    while (!end) {
        if (have == cap)
            return -1;
        ssize_t r = read(fd, buf + have, cap - have);
        if (r <= 0)
            return -1;
        have += (size_t)r;
        end = memmem(buf, have, "\r\n\r\n", 4);
    }
    size_t hdr = (size_t)(end - buf) + 4;
    if (strcmp(g_method, "HEAD") == 0)
        return have == hdr ? 0 : -1;
    long clen = 0;
    for (char *p = buf; p < end; p++) {
        if ((p == buf || p[-1] == '\n') && strncasecmp(p, "Content-Length:", 15) == 0) {
            clen = strtol(p + 15, NULL, 10);
            break;
        }
    }
    size_t body = have - hdr;
    while ((long)body < clen) {
        ssize_t r = read(fd, buf, cap);
        if (r <= 0)
            return -1;
        body += (size_t)r;
    }
    return 0;
}

static void *run(void *arg)
{
    struct conn *c = arg;
    char buf[65536];
    int fd = connect_to();
    while (now() < g_end) {
        if (fd < 0) {
            c->errors++;
            fd = connect_to();
            if (fd < 0) {
                usleep(1000);
                continue;
            }
        }
        double t0 = now();
        if (write(fd, g_req, g_req_len) != (ssize_t)g_req_len || read_response(fd, buf, sizeof buf)) {
            c->errors++;
            close(fd);
            fd = -1;
            continue;
        }
        if (c->n < MAX_LAT)
            c->lat[c->n++] = now() - t0;
    }
    if (fd >= 0)
        close(fd);
    return NULL;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: %s HOST PORT PATH CONNECTIONS SECONDS [METHOD] [ACCEPT]\n", argv[0]);
        return 2;
    }
    g_host = argv[1];
    g_port = atoi(argv[2]);
    g_path = argv[3];
    int nconn = atoi(argv[4]);
    double secs = atof(argv[5]);
    if (argc > 6)
        g_method = argv[6];
    if (argc > 7)
        g_accept = argv[7];
    if (nconn < 1 || nconn > MAX_CONN || secs <= 0 || secs > 60) {
        fprintf(stderr, "connections 1..%d, seconds 0..60\n", MAX_CONN);
        return 2;
    }
    int n = snprintf(g_req, sizeof g_req, "%s %s HTTP/1.1\r\nHost: %s:%d\r\n%s%s%s\r\n", g_method,
                     g_path, g_host, g_port, g_accept ? "Accept: " : "", g_accept ? g_accept : "",
                     g_accept ? "\r\n" : "");
    if (n < 0 || (size_t)n >= sizeof g_req)
        return 2;
    g_req_len = (size_t)n;
    struct conn *cs = calloc((size_t)nconn, sizeof *cs);
    if (!cs)
        return 1;
    double t0 = now();
    g_end = t0 + secs;
    for (int i = 0; i < nconn; i++) {
        cs[i].lat = malloc(MAX_LAT * sizeof(double));
        if (!cs[i].lat || pthread_create(&cs[i].th, NULL, run, &cs[i]))
            return 1;
    }
    size_t total = 0, errors = 0;
    for (int i = 0; i < nconn; i++) {
        pthread_join(cs[i].th, NULL);
        total += cs[i].n;
        errors += cs[i].errors;
    }
    double elapsed = now() - t0;
    double *all = malloc((total ? total : 1) * sizeof(double));
    if (!all)
        return 1;
    size_t k = 0;
    for (int i = 0; i < nconn; i++) {
        memcpy(all + k, cs[i].lat, cs[i].n * sizeof(double));
        k += cs[i].n;
        free(cs[i].lat);
    }
    qsort(all, total, sizeof(double), cmp);
    double p50 = total ? all[total / 2] * 1e3 : 0, p99 = total ? all[(size_t)(total * 0.99)] * 1e3 : 0;
    printf("requests=%zu seconds=%.2f rps=%.0f p50_ms=%.3f p99_ms=%.3f errors=%zu\n", total, elapsed,
           total / elapsed, p50, p99, errors);
    free(all);
    free(cs);
    return 0;
}
