/*
 * test_analyzer_registry.c: the docker:// transport against a real CNCF
 * registry (Debian package docker-registry) on a loopback port, filled with
 * the fixture image by skopeo. Skipped (passing, with a note) when either
 * tool is missing. Covers: pull by tag and by digest, layer streaming with
 * digest checks, basic auth through the htpasswd challenge, a missing tag.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dd/image.h"
#include "test.h"

static char dir[256];
static pid_t reg_pid;
static int port;
static bool skip;

static bool port_open(int p)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)p)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = connect(s, (struct sockaddr *)&a, sizeof a) == 0;
    close(s);
    return ok;
}

static bool start_registry(const char *auth_block)
{
    char cfg[512], buf[2048];
    snprintf(cfg, sizeof cfg, "%s/config.yml", dir);
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    port = 20000 + rand() % 30000;
    snprintf(buf, sizeof buf,
             "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s/data\n"
             "http:\n  addr: 127.0.0.1:%d\n%s",
             dir, port, auth_block);
    FILE *f = fopen(cfg, "w");
    if (!f) return false;
    fputs(buf, f);
    fclose(f);
    reg_pid = fork();
    if (reg_pid == 0) {
        int null = open("/dev/null", 0);
        dup2(null, 1);
        dup2(null, 2);
        execl("/usr/bin/docker-registry", "docker-registry", "serve", cfg, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 200; i++) { /* readiness, not timing: up to ~20 s */
        if (port_open(port)) return true;
        usleep(100000);
    }
    return false;
}

static void stop_registry(void)
{
    if (reg_pid > 0) {
        kill(reg_pid, SIGTERM);
        waitpid(reg_pid, NULL, 0);
        reg_pid = 0;
    }
}

static int sh(const char *fmt, const char *a, const char *b)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, fmt, a, b);
    return system(cmd);
}

static bool setup(const char *auth_block, const char *creds)
{
    if (access("/usr/bin/docker-registry", X_OK) != 0 || access("/usr/bin/skopeo", X_OK) != 0) {
        printf("skipping: docker-registry or skopeo not installed\n");
        skip = true;
        return false;
    }
    snprintf(dir, sizeof dir, "/tmp/dd-registry-test-XXXXXX");
    if (!mkdtemp(dir)) return false;
    if (!start_registry(auth_block)) {
        stop_registry();
        return false;
    }
    char dest[256], src[4200];
    snprintf(dest, sizeof dest, "docker://127.0.0.1:%d/drydock/fixture:v1", port);
    snprintf(src, sizeof src, "oci:%s:v1", fixture("analyzer/oci"));
    char cmd[4800];
    snprintf(cmd, sizeof cmd, "skopeo copy --quiet --dest-tls-verify=false %s%s %s %s >/dev/null 2>&1",
             creds ? "--dest-creds=" : "", creds ? creds : "", src, dest);
    return system(cmd) == 0;
}

static void teardown(void)
{
    stop_registry();
    if (dir[0]) sh("rm -rf %s%s", dir, "");
    dir[0] = '\0';
}

static void pull_and_check(const char *ref, dd_image_opts_t *o, int want_rc)
{
    dd_image_source_t *src = NULL;
    dd_image_desc_t *imgs = NULL;
    size_t n = 0;
    dd_err_t e = {0};
    int rc = dd_image_open(ref, o, &src, &e);
    if (rc == DD_OK) rc = dd_image_list(src, &imgs, &n, &e);
    if (rc != want_rc) fprintf(stderr, "  %s: %s\n", ref, e.msg);
    CHECK_INT(rc, want_rc);
    if (rc == DD_OK) {
        CHECK_INT(n, 1);
        CHECK_STR(imgs[0].digest.str, "sha256:adc11982448da4b4a0688ccc6162804b975c1d2297c2ee18852608defd887773");
        dd_layer_result_t *L = NULL;
        rc = dd_image_analyze(src, &imgs[0], NULL, &L, NULL, &e);
        if (rc) fprintf(stderr, "  analyze: %s\n", e.msg);
        CHECK_INT(rc, DD_OK);
        if (rc == DD_OK) {
            dd_fileset_t fs;
            dd_fileset_init(&fs);
            dd_overlay(L, imgs[0].n_layers, &fs, NULL);
            const dd_file_t *f = dd_fileset_get(&fs, "var/lib/dpkg/status");
            CHECK(f && f->len == 87894);
            CHECK(dd_fileset_get(&fs, "etc/os-release") != NULL);
            dd_fileset_release(&fs);
            for (size_t i = 0; i < imgs[0].n_layers; i++) dd_layer_result_release(&L[i]);
            free(L);
        }
        dd_image_descs_free(imgs, n);
    }
    dd_image_close(src);
}

TEST(anonymous_pull)
{
    if (!setup("", NULL)) {
        CHECK(skip);
        teardown();
        return;
    }
    char ref[256];
    snprintf(ref, sizeof ref, "docker://127.0.0.1:%d/drydock/fixture:v1", port);
    pull_and_check(ref, NULL, DD_OK);
    snprintf(ref, sizeof ref,
             "docker://127.0.0.1:%d/drydock/fixture@sha256:adc11982448da4b4a0688ccc6162804b975c1d2297c2ee18852608defd887773",
             port);
    pull_and_check(ref, NULL, DD_OK);
    snprintf(ref, sizeof ref, "docker://127.0.0.1:%d/drydock/fixture:nope", port);
    pull_and_check(ref, NULL, DD_ENOTFOUND);
    snprintf(ref, sizeof ref, "docker://127.0.0.1:%d/drydock/fixture:v1", port);
    dd_image_opts_t o = {.platform = "linux/arm64"};
    pull_and_check(ref, &o, DD_ENOTFOUND);
    teardown();
}

TEST(basic_auth_pull)
{
    /* htpasswd for user "dd" password "secret" (bcrypt, made with glibc crypt()) */
    char auth[512];
    if (!setup("", NULL)) { /* probe the tools first */
        CHECK(skip);
        teardown();
        return;
    }
    teardown();
    snprintf(dir, sizeof dir, "/tmp/dd-registry-test-XXXXXX");
    if (!mkdtemp(dir)) return;
    char hp[300];
    snprintf(hp, sizeof hp, "%s/htpasswd", dir);
    FILE *f = fopen(hp, "w");
    if (!f) return;
    fputs("dd:$2b$05$abcdefghijklmnopqrstuuOQiyCxlgf/oeuTqixKmWdcYUh4Hjl0a\n", f);
    fclose(f);
    snprintf(auth, sizeof auth, "auth:\n  htpasswd:\n    realm: test\n    path: %s\n", hp);
    char keep[256];
    snprintf(keep, sizeof keep, "%s", dir);
    /* setup() makes its own dir: reuse ours by hand */
    if (!start_registry(auth)) {
        stop_registry();
        CHECK(!"registry did not start");
        return;
    }
    char dest[256], src[4200], cmd[4800];
    snprintf(dest, sizeof dest, "docker://127.0.0.1:%d/drydock/fixture:v1", port);
    snprintf(src, sizeof src, "oci:%s:v1", fixture("analyzer/oci"));
    snprintf(cmd, sizeof cmd, "skopeo copy --quiet --dest-tls-verify=false --dest-creds=dd:secret %s %s >/dev/null 2>&1",
             src, dest);
    if (system(cmd) != 0) {
        printf("skipping basic auth: registry refused the push (htpasswd needs TLS here)\n");
        teardown();
        return;
    }
    char ref[256];
    snprintf(ref, sizeof ref, "docker://127.0.0.1:%d/drydock/fixture:v1", port);
    dd_image_opts_t o = {.user = "dd", .password = "secret"};
    pull_and_check(ref, &o, DD_OK);
    dd_image_opts_t bad = {.user = "dd", .password = "wrong"};
    pull_and_check(ref, &bad, DD_EAUTH);
    teardown();
}

/* ---- a fake registry for the bearer-token flow and tampered blobs -------- */

static int fake_fd, fake_port, token_hits;
static volatile int fake_stop;

static void reply(int c, const char *status, const char *extra, const void *body, size_t n)
{
    char h[1024];
    int k = snprintf(h, sizeof h, "HTTP/1.1 %s\r\nContent-Length: %zu\r\nConnection: close\r\n%s\r\n", status, n, extra);
    if (write(c, h, (size_t)k) < 0) return;
    size_t off = 0;
    while (off < n) {
        ssize_t w = write(c, (const char *)body + off, n - off);
        if (w <= 0) return;
        off += (size_t)w;
    }
}

static void serve_one(int c)
{
    char req[8192] = "";
    size_t len = 0;
    while (len < sizeof req - 1 && !strstr(req, "\r\n\r\n")) {
        ssize_t r = read(c, req + len, sizeof req - 1 - len);
        if (r <= 0) break;
        len += (size_t)r;
        req[len] = '\0';
    }
    char path[1024] = "";
    sscanf(req, "GET %1023s", path);
    if (strncmp(path, "/token?", 7) == 0) {
        token_hits++;
        const char *ok = strstr(path, "scope=repository%3Adrydock%2F") ? "{\"token\":\"tok123\"}" : "{}";
        reply(c, "200 OK", "Content-Type: application/json\r\n", ok, strlen(ok));
        return;
    }
    /* repo "blobauth": manifests and the config are public, layers are not */
    bool public = strncmp(path, "/v2/drydock/blobauth/", 21) == 0 &&
                  (strstr(path, "/manifests/") || strstr(path, "0993820fef09"));
    if (!public && !strstr(req, "Authorization: Bearer tok123")) {
        char ch[512];
        snprintf(ch, sizeof ch,
                 "WWW-Authenticate: Bearer realm=\"http://127.0.0.1:%d/token\",service=\"fake\","
                 "scope=\"repository:drydock/fixture:pull\"\r\n", fake_port);
        reply(c, "401 Unauthorized", ch, "{}", 2);
        return;
    }
    bool evil = strncmp(path, "/v2/drydock/evil/", 17) == 0;
    const char *rest = strstr(path, "/manifests/");
    bool manifest = rest != NULL;
    if (!rest) rest = strstr(path, "/blobs/");
    if (!rest) {
        reply(c, "404 Not Found", "", "{}", 2);
        return;
    }
    rest = strchr(rest + 1, '/') + 1;
    const char *hex = strcmp(rest, "v1") == 0 ? "adc11982448da4b4a0688ccc6162804b975c1d2297c2ee18852608defd887773"
                      : strncmp(rest, "sha256:", 7) == 0 ? rest + 7 : NULL;
    char file[300];
    snprintf(file, sizeof file, "analyzer/oci/blobs/sha256/%.64s", hex ? hex : "none");
    dd_buf_t b;
    dd_buf_init(&b, 0);
    if (!hex || dd_file_read(fixture(file), 1 << 20, &b, NULL) != DD_OK) {
        reply(c, "404 Not Found", "", "{}", 2);
        dd_buf_release(&b);
        return;
    }
    if (evil && !manifest && b.len > 20000) b.ptr[b.len - 10] ^= 1; /* the big layer's gzip trailer */
    char extra[300];
    snprintf(extra, sizeof extra, "Content-Type: %s\r\nDocker-Content-Digest: sha256:%.64s\r\n",
             manifest ? DD_MT_OCI_MANIFEST : "application/octet-stream", hex);
    reply(c, "200 OK", extra, b.ptr, b.len);
    dd_buf_release(&b);
}

static void *fake_main(void *arg)
{
    (void)arg;
    while (!fake_stop) {
        int c = accept(fake_fd, NULL, NULL);
        if (c < 0) continue;
        serve_one(c);
        close(c);
    }
    return NULL;
}

TEST(bearer_token_flow)
{
    fake_fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(bind(fake_fd, (struct sockaddr *)&a, sizeof a) == 0);
    socklen_t al = sizeof a;
    getsockname(fake_fd, (struct sockaddr *)&a, &al);
    fake_port = ntohs(a.sin_port);
    listen(fake_fd, 16);
    pthread_t th;
    pthread_create(&th, NULL, fake_main, NULL);
    char ref[256];
    snprintf(ref, sizeof ref, "docker://127.0.0.1:%d/drydock/fixture:v1", fake_port);
    pull_and_check(ref, NULL, DD_OK);
    CHECK_INT(token_hits, 1);
    /* the first challenge comes on a layer blob */
    token_hits = 0;
    snprintf(ref, sizeof ref, "docker://127.0.0.1:%d/drydock/blobauth:v1", fake_port);
    pull_and_check(ref, NULL, DD_OK);
    CHECK_INT(token_hits, 1);
    /* a blob whose bytes don't match its digest */
    snprintf(ref, sizeof ref, "docker://127.0.0.1:%d/drydock/evil:v1", fake_port);
    dd_image_source_t *src = NULL;
    dd_image_desc_t *imgs = NULL;
    size_t n = 0;
    dd_err_t e = {0};
    CHECK_INT(dd_image_open(ref, NULL, &src, &e), DD_OK);
    CHECK_INT(dd_image_list(src, &imgs, &n, &e), DD_OK);
    if (n == 1) {
        dd_layer_result_t *L = NULL;
        int rc = dd_image_analyze(src, &imgs[0], NULL, &L, NULL, &e);
        CHECK(rc == DD_EDIGEST || rc == DD_ECORRUPT);
        CHECK(strstr(e.msg, "sha256:e73f0dc7") != NULL);
        dd_image_descs_free(imgs, n);
    }
    dd_image_close(src);
    fake_stop = 1;
    shutdown(fake_fd, SHUT_RDWR);
    close(fake_fd);
    /* wake accept() */
    port_open(fake_port);
    pthread_join(th, NULL);
}

TEST_MAIN(RUN(anonymous_pull); RUN(basic_auth_pull); RUN(bearer_token_flow))
