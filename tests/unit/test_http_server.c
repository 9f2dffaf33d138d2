/*
 * test_http_server.c: the HTTP front in-process: a server on an ephemeral
 * loopback port with a test route table, driven with libcurl. Covers route
 * registration, variables and {name}, 404/405, the auth hook (401 with
 * WWW-Authenticate, 403), streamed and buffered bodies (with the cap),
 * response helpers (fd/sendfile, HEAD), X-Request-Id and the error function;
 * on raw sockets: the accept gate's verdict and its 400 to a TLS ClientHello
 * (issue 15 item 1), one clean answer to a malformed Content-Length on a
 * keep-alive connection's second request (issue 20 item 4).
 */
#include "dd/http.h"
#include "http/gate_int.h"
#include "test.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static dd_http_server_t *srv;
static char base[64];
static char tmpfile_path[64];

/* ---- handlers -------------------------------------------------------------*/

static int h_hello(dd_req_t *req)
{
    const char *who = dd_req_query(req, "who");
    char buf[128];
    snprintf(buf, sizeof buf, "hello %s %s", who ? who : "-", req->name ? req->name : "-");
    dd_resp_header(req, "X-Var", dd_req_var(req, "x") ? dd_req_var(req, "x") : "");
    return dd_resp_text(req, 200, buf);
}

typedef struct {
    uint64_t n;
    unsigned sum;
} count_t;

static int count_data(dd_req_t *req, const char *data, size_t n)
{
    count_t *c = req->user;
    c->n += n;
    for (size_t i = 0; i < n; i++) c->sum += (unsigned char)data[i];
    return DD_OK;
}

static int count_done(dd_req_t *req)
{
    count_t *c = req->user;
    char buf[64];
    snprintf(buf, sizeof buf, "%llu %u", (unsigned long long)c->n, c->sum);
    return dd_resp_text(req, 201, buf);
}

static int h_stream(dd_req_t *req)
{
    req->user = dd_arena_alloc(&req->arena, sizeof(count_t));
    return dd_req_read_body(req, count_data, count_done);
}

static int buf_done(dd_req_t *req)
{
    if (dd_req_body_rc(req) == DD_ELIMIT) return dd_resp_error(req, 413, "TOO_LARGE", "too large");
    size_t n;
    const char *b = dd_req_body(req, &n);
    return dd_resp_bytes(req, 200, "application/octet-stream", b, n);
}

static int h_echo(dd_req_t *req)
{
    return dd_req_buffer_body(req, 1000, buf_done);
}

static int h_file(dd_req_t *req)
{
    int fd = open(tmpfile_path, O_RDONLY);
    if (fd < 0) return DD_EIO;
    return dd_resp_fd(req, 200, "text/plain", fd, 2, 10);
}

static int h_fail(dd_req_t *req)
{
    (void)req;
    return DD_EIO;
}

static int auth_hook(void *ctx, dd_req_t *req, dd_action_t action, const char *repo)
{
    (void)ctx;
    const char *tok = dd_req_header(req, "Authorization");
    if (!tok) {
        dd_resp_header(req, "WWW-Authenticate", "Bearer realm=\"test\"");
        return DD_EAUTH;
    }
    if (action == DD_ACT_PUSH && repo && strcmp(tok, "Bearer pusher") != 0) return DD_EDENIED;
    return DD_OK;
}

static const dd_route_t routes[] = {
    {"GET", "/t/hello/{x}", h_hello, DD_ACT_NONE, 0},
    {"GET", "/t/r/{name}/hello", h_hello, DD_ACT_NONE, DD_ROUTE_REPO_NAME},
    {"PUT", "/t/stream", h_stream, DD_ACT_NONE, 0},
    {"POST", "/t/echo", h_echo, DD_ACT_NONE, 0},
    {"GET", "/t/file", h_file, DD_ACT_NONE, 0},
    {"GET", "/t/fail", h_fail, DD_ACT_NONE, 0},
    {"GET", "/t/private/{name}", h_hello, DD_ACT_PULL, 0},
    {"PUT", "/t/private/{name}", h_hello, DD_ACT_PUSH, 0},
};

/* ---- client ---------------------------------------------------------------*/

typedef struct {
    long status;
    dd_buf_t body;
    dd_buf_t hdrs;
} resp_t;

static size_t on_body(char *p, size_t s, size_t n, void *arg)
{
    dd_buf_append(&((resp_t *)arg)->body, p, s * n);
    return s * n;
}

static size_t on_hdr(char *p, size_t s, size_t n, void *arg)
{
    dd_buf_append(&((resp_t *)arg)->hdrs, p, s * n);
    return s * n;
}

static void request(const char *method, const char *path, const char *body, size_t body_len,
                    const char *hdr, resp_t *r)
{
    memset(r, 0, sizeof *r);
    dd_buf_init(&r->body, 0);
    dd_buf_init(&r->hdrs, 0);
    char url[512];
    snprintf(url, sizeof url, "%s%s", base, path);
    CURL *c = curl_easy_init();
    struct curl_slist *h = NULL;
    if (hdr) h = curl_slist_append(h, hdr);
    h = curl_slist_append(h, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_hdr);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    if (!strcmp(method, "HEAD")) curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)body_len);
    }
    CHECK_INT(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
}

static void resp_release(resp_t *r)
{
    dd_buf_release(&r->body);
    dd_buf_release(&r->hdrs);
}

static bool has_header(resp_t *r, const char *needle)
{
    return r->hdrs.ptr && strcasestr(r->hdrs.ptr, needle) != NULL;
}

/* ---- tests ----------------------------------------------------------------*/

TEST(start)
{
    dd_log_set_level(DD_LOG_WARN);
    dd_http_opts_t o = {.listen = "127.0.0.1:0", .threads = 2, .idle_timeout_s = 5};
    dd_err_t e;
    CHECK_INT(dd_http_server_new(&o, &srv, &e), DD_OK);
    dd_http_register_routes(srv, routes, sizeof routes / sizeof routes[0], NULL);
    dd_http_set_auth_hook(srv, auth_hook, NULL);
    CHECK_INT(dd_http_start(srv, &e), DD_OK);
    CHECK(dd_http_port(srv) > 0);
    snprintf(tmpfile_path, sizeof tmpfile_path, "/tmp/dd-http-test-%d", (int)getpid());
    CHECK_INT(dd_file_write_atomic(tmpfile_path, "# Drydock build file", 20, &e), DD_OK);
    snprintf(base, sizeof base, "http://127.0.0.1:%u", dd_http_port(srv));
}

TEST(routing)
{
    resp_t r;
    request("GET", "/t/hello/abc?who=w%20x", NULL, 0, NULL, &r);
    CHECK_INT(r.status, 200);
    CHECK_STR(r.body.ptr, "hello w x -");
    CHECK(has_header(&r, "X-Var: abc"));
    CHECK(has_header(&r, "X-Request-Id: "));
    resp_release(&r);
    request("GET", "/t/r/a/b/c/hello", NULL, 0, NULL, &r);
    CHECK_INT(r.status, 200);
    CHECK_STR(r.body.ptr, "hello - a/b/c");
    resp_release(&r);
    request("GET", "/t/r/A/hello", NULL, 0, NULL, &r);
    CHECK_INT(r.status, 400);
    CHECK(strstr(r.body.ptr, "NAME_INVALID") != NULL);
    resp_release(&r);
    request("GET", "/t/r/a%2Fb/hello", NULL, 0, NULL, &r);
    CHECK_INT(r.status, 400);
    resp_release(&r);
    request("GET", "/t/nothing", NULL, 0, NULL, &r);
    CHECK_INT(r.status, 404);
    resp_release(&r);
    request("DELETE", "/t/hello/x", NULL, 0, NULL, &r);
    CHECK_INT(r.status, 405);
    resp_release(&r);
    request("HEAD", "/t/hello/x", NULL, 0, NULL, &r);
    CHECK_INT(r.status, 200);
    CHECK(has_header(&r, "Content-Length: 9"));
    resp_release(&r);
    request("GET", "/t/fail", NULL, 0, NULL, &r);
    CHECK_INT(r.status, 500);
    resp_release(&r);
}

TEST(auth_hook)
{
    resp_t r;
    request("GET", "/t/private/x", NULL, 0, NULL, &r);
    CHECK_INT(r.status, 401);
    CHECK(has_header(&r, "WWW-Authenticate: Bearer realm=\"test\""));
    CHECK(strstr(r.body.ptr, "UNAUTHORIZED") != NULL);
    resp_release(&r);
    request("GET", "/t/private/x", NULL, 0, "Authorization: Bearer reader", &r);
    CHECK_INT(r.status, 200);
    resp_release(&r);
    request("PUT", "/t/private/x", NULL, 0, "Authorization: Bearer reader", &r);
    CHECK_INT(r.status, 403);
    CHECK(strstr(r.body.ptr, "DENIED") != NULL);
    resp_release(&r);
    request("PUT", "/t/private/x", NULL, 0, "Authorization: Bearer pusher", &r);
    CHECK_INT(r.status, 200);
    resp_release(&r);
}

TEST(bodies)
{
    size_t n = 3 << 20;
    char *big = dd_malloc(n);
    unsigned sum = 0;
    for (size_t i = 0; i < n; i++) {
        big[i] = (char)(i * 7);
        sum += (unsigned char)big[i];
    }
    resp_t r;
    request("PUT", "/t/stream", big, n, NULL, &r);
    CHECK_INT(r.status, 201);
    char want[64];
    snprintf(want, sizeof want, "%zu %u", n, sum);
    CHECK_STR(r.body.ptr, want);
    resp_release(&r);
    request("POST", "/t/echo", "abc", 3, NULL, &r);
    CHECK_INT(r.status, 200);
    CHECK_STR(r.body.ptr, "abc");
    resp_release(&r);
    request("POST", "/t/echo", big, 5000, NULL, &r);
    CHECK_INT(r.status, 413);
    resp_release(&r);
    free(big);
}

TEST(fd_response)
{
    resp_t r;
    request("GET", "/t/file", NULL, 0, NULL, &r);
    CHECK_INT(r.status, 200);
    CHECK_INT(r.body.len, 10);
    CHECK(r.body.ptr && strncmp(r.body.ptr, "Drydock bu", 10) == 0);
    resp_release(&r);
}

/* An error function recodes the server's generic codes under its prefix;
 * elsewhere the generic code stands (the registry's /v2/ format, without the
 * server knowing /v2/). */
static int recode_error(dd_req_t *req, int status, const char *code, const char *message)
{
    char buf[128];
    snprintf(buf, sizeof buf, "recoded %s: %s", code, message);
    return dd_resp_text(req, status, buf);
}

TEST(error_fn_by_prefix)
{
    resp_t r;
    request("GET", "/t/hello/%zz", NULL, 0, NULL, &r);
    CHECK_INT(r.status, 400);
    CHECK(r.body.ptr && strstr(r.body.ptr, "\"BAD_REQUEST\"") != NULL);
    resp_release(&r);
    dd_http_set_error_fn(srv, "/t/", recode_error);
    request("GET", "/t/hello/%zz", NULL, 0, NULL, &r);
    CHECK_INT(r.status, 400);
    CHECK_STR(r.body.ptr, "recoded BAD_REQUEST: invalid path");
    resp_release(&r);
    request("GET", "/t/nothing", NULL, 0, NULL, &r);
    CHECK_INT(r.status, 404);
    CHECK_STR(r.body.ptr, "recoded NOT_FOUND: no such endpoint");
    resp_release(&r);
}

/* The gate's verdict on first bytes (issue 15 item 1). */
TEST(gate_sniff)
{
#define SNIFF(lit) dd_http_gate_sniff((const unsigned char *)(lit), sizeof(lit) - 1)
    CHECK_INT(SNIFF("GET / HTTP/1.1\r\n"), DD_GATE_HTTP);
    CHECK_INT(SNIFF("\r\nPUT /v2/"), DD_GATE_HTTP);
    CHECK_INT(SNIFF("M-SEARCH * "), DD_GATE_HTTP);
    CHECK_INT(SNIFF(""), DD_GATE_MORE);
    CHECK_INT(SNIFF("\r\n"), DD_GATE_MORE);
    CHECK_INT(SNIFF("GE"), DD_GATE_MORE);
    CHECK_INT(SNIFF("\x16"), DD_GATE_TLS);
    CHECK_INT(SNIFF("\x16\x03\x01\x02\x00\x01"), DD_GATE_TLS);
    CHECK_INT(SNIFF("\r\n\x16\x03"), DD_GATE_TLS);
    CHECK_INT(SNIFF(" GET /"), DD_GATE_JUNK);
    CHECK_INT(SNIFF("hello\n"), DD_GATE_JUNK);
    CHECK_INT(SNIFF("GET\t/"), DD_GATE_JUNK);
    CHECK_INT(SNIFF("\x80\x01"), DD_GATE_JUNK);
    CHECK_INT(SNIFF("ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEF"), DD_GATE_JUNK); /* 32: no method is that long */
    CHECK_INT(SNIFF("ABCDEFGHIJKLMNOPQRSTUVWXYZABCDE"), DD_GATE_MORE);
#undef SNIFF
}

static int raw_connect(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)dd_http_port(srv))};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    CHECK_INT(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

/* Reads until the server closes (or 5 s pass); out is NUL-terminated. */
static size_t raw_read_all(int fd, char *out, size_t cap)
{
    size_t n = 0;
    ssize_t k;
    while (n + 1 < cap && (k = recv(fd, out + n, cap - 1 - n, 0)) > 0) n += (size_t)k;
    out[n] = '\0';
    return n;
}

static size_t count_of(const char *hay, const char *needle)
{
    size_t c = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p++) c++;
    return c;
}

/* A TLS ClientHello on the plain port gets an HTTP 400 at once, also when
 * its first byte arrives alone (issue 15 item 1). */
TEST(tls_hello_gets_http_400)
{
    static const unsigned char hello[] = {0x16, 0x03, 0x01, 0x00, 0x2f, 0x01, 0x00, 0x00, 0x2b, 0x03, 0x03,
                                          0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a, 0x0a};
    for (int split = 0; split < 2; split++) {
        int fd = raw_connect();
        if (split) {
            CHECK_INT(send(fd, hello, 1, 0), 1);
            usleep(50 * 1000);
            (void)!send(fd, hello + 1, sizeof hello - 1, MSG_NOSIGNAL);
        } else {
            CHECK_INT(send(fd, hello, sizeof hello, 0), (long long)sizeof hello);
        }
        char out[2048];
        raw_read_all(fd, out, sizeof out);
        close(fd);
        CHECK(strncmp(out, "HTTP/1.1 400 ", 13) == 0);
        CHECK_INT(count_of(out, "HTTP/1.1"), 1);
        CHECK(strstr(out, "\"BAD_REQUEST\"") != NULL);
    }
}

/* A keep-alive connection: a good request, then one with a malformed
 * Content-Length, gets one clean 400 (issue 20 item 4). */
TEST(bad_content_length_on_second_request)
{
    const char *bad[] = {"Content-Length: -1", "Content-Length: +5", "Content-Length: 1e3",
                         "Content-Length: 3\r\nContent-Length: 4", "Content-Length: 3\r\nTransfer-Encoding: chunked"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int fd = raw_connect();
        const char *first = "GET /t/hello/x HTTP/1.1\r\nHost: x\r\n\r\n";
        CHECK_INT(send(fd, first, strlen(first), 0), (long long)strlen(first));
        char out[4096] = "";
        size_t n = 0;
        while (n < sizeof out - 1 && !strstr(out, "hello - -")) { /* the first answer's body */
            ssize_t k = recv(fd, out + n, sizeof out - 1 - n, 0);
            if (k <= 0) break;
            n += (size_t)k;
            out[n] = '\0';
        }
        CHECK(strncmp(out, "HTTP/1.1 200 ", 13) == 0);
        char req[256];
        int k = snprintf(req, sizeof req, "POST /t/echo HTTP/1.1\r\nHost: x\r\n%s\r\n\r\nabc", bad[i]);
        CHECK_INT(send(fd, req, (size_t)k, 0), k);
        raw_read_all(fd, out, sizeof out);
        close(fd);
        CHECK(strncmp(out, "HTTP/1.1 400 ", 13) == 0);
        CHECK_INT(count_of(out, "HTTP/1.1"), 1);
        CHECK(strstr(out, "Connection: close\r\n") != NULL);
        CHECK(strstr(out, "\"UNSUPPORTED\"") != NULL);
    }
}

TEST(stop)
{
    dd_http_stop(srv);
    dd_http_server_free(srv);
    srv = NULL;
    unlink(tmpfile_path);
}

TEST_MAIN(curl_global_init(CURL_GLOBAL_DEFAULT); RUN(start); RUN(routing); RUN(auth_hook); RUN(bodies);
          RUN(fd_response); RUN(gate_sniff); RUN(tls_hello_gets_http_400); RUN(bad_content_length_on_second_request);
          RUN(error_fn_by_prefix); RUN(stop); curl_global_cleanup())
