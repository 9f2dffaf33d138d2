/*
 * test_analyzer_registry.c: the docker:// transport against a real CNCF
 * registry (Debian package docker-registry) on a loopback port, filled with
 * the fixture image by skopeo. Skipped (passing, with a note) when either
 * tool is missing. Covers: pull by tag and by digest, layer streaming with
 * digest checks, basic auth through the htpasswd challenge, a missing tag.
 */
#include <arpa/inet.h>
#include <errno.h>
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

TEST_MAIN(RUN(anonymous_pull); RUN(basic_auth_pull))
