/*
 * dbupdate_api.c: "update now" for the vulnerability database, for Owners
 * (the web console's Administration page, issue 16):
 *
 *   POST /api/v1/admin/db/update   -> 202 the status below (a run started);
 *                                     409 CONFLICT while one is running
 *   GET  /api/v1/admin/db/update   {"state": "idle"|"running"|"succeeded"|"failed",
 *                                    "started", "finished" (RFC 3339 or null),
 *                                    "exitCode" (null until it ends), "actor",
 *                                    "output" (the last OUTPUT_MAX bytes)}
 *
 * A run is exactly `drydock db update --db <vulndb-path> --quiet`: this
 * binary (/proc/self/exe) started in the background with the server's
 * environment (so the DRYDOCK_*_URL feed settings apply), its stdout and
 * stderr collected by a thread that waits for it. The server's database
 * watcher picks the new database up as after a command-line update. One
 * run at a time per server process; start and end go to the audit log
 * (db_update, db_update_end).
 */
#include "dd/auth.h"
#include "dd/findings.h"
#include "findings_int.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define OUTPUT_MAX 8192

extern char **environ;

static struct {
    pthread_mutex_t mu;
    bool running, ran;
    int exit_code;         /* -1 = killed by a signal */
    int64_t started_ms, finished_ms;
    char actor[96];
    char out[OUTPUT_MAX];  /* the last bytes of the output */
    size_t out_len;
    dd_audit_t *audit;
} run = {.mu = PTHREAD_MUTEX_INITIALIZER};

typedef struct waiter {
    pid_t pid;
    int fd;
} waiter_t;

static void out_add(const char *p, size_t n)
{
    if (n >= OUTPUT_MAX) {
        p += n - OUTPUT_MAX;
        n = OUTPUT_MAX;
    }
    if (run.out_len + n > OUTPUT_MAX) { /* drop the oldest bytes */
        size_t drop = run.out_len + n - OUTPUT_MAX;
        memmove(run.out, run.out + drop, run.out_len - drop);
        run.out_len -= drop;
    }
    memcpy(run.out + run.out_len, p, n);
    run.out_len += n;
}

static void *wait_thread(void *arg)
{
    waiter_t w = *(waiter_t *)arg;
    free(arg);
    char buf[4096];
    ssize_t n;
    while ((n = read(w.fd, buf, sizeof buf)) != 0) {
        if (n < 0) break;
        pthread_mutex_lock(&run.mu);
        out_add(buf, (size_t)n);
        pthread_mutex_unlock(&run.mu);
    }
    close(w.fd);
    int status = 0;
    while (waitpid(w.pid, &status, 0) < 0 && errno == EINTR) {
    }
    pthread_mutex_lock(&run.mu);
    run.running = false;
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    run.finished_ms = dd_now_ms();
    char detail[64];
    snprintf(detail, sizeof detail, "exit code %d", run.exit_code);
    char actor[96];
    snprintf(actor, sizeof actor, "%s", run.actor);
    dd_audit_t *audit = run.audit;
    pthread_mutex_unlock(&run.mu);
    dd_audit_change(audit, "db_update_end", actor, "vulndb", detail);
    return NULL;
}

static void put_time(dd_buf_t *b, const char *key, int64_t ms)
{
    dd_buf_printf(b, ",\"%s\":", key);
    if (!ms) {
        dd_buf_puts(b, "null");
        return;
    }
    char t[32];
    dd_time_rfc3339(ms / 1000, t);
    dd_buf_printf(b, "\"%s\"", t);
}

static int status_json(dd_req_t *req, int code)
{
    dd_buf_t b;
    dd_buf_init(&b, 0);
    pthread_mutex_lock(&run.mu);
    const char *state = run.running ? "running" : !run.ran ? "idle" : run.exit_code == 0 ? "succeeded" : "failed";
    dd_buf_printf(&b, "{\"state\":\"%s\"", state);
    put_time(&b, "started", run.started_ms);
    put_time(&b, "finished", run.running ? 0 : run.finished_ms);
    if (run.ran && !run.running) dd_buf_printf(&b, ",\"exitCode\":%d", run.exit_code);
    else dd_buf_puts(&b, ",\"exitCode\":null");
    dd_buf_puts(&b, ",\"actor\":");
    if (run.ran) dd_buf_json_str(&b, run.actor);
    else dd_buf_puts(&b, "null");
    /* the output as text: invalid UTF-8 bytes become '?' (the JSON writer wants text) */
    char *text = dd_malloc(run.out_len + 1);
    for (size_t i = 0; i < run.out_len; i++) text[i] = (run.out[i] & 0x80) ? '?' : run.out[i];
    text[run.out_len] = '\0';
    pthread_mutex_unlock(&run.mu);
    dd_buf_puts(&b, ",\"output\":");
    dd_buf_json_str(&b, text);
    free(text);
    dd_buf_putc(&b, '}');
    dd_resp_header(req, "Cache-Control", "no-store");
    return dd_resp_json(req, code, &b);
}

static int h_status(dd_req_t *req)
{
    return status_json(req, 200);
}

static int h_start(dd_req_t *req)
{
    dd_findings_api_t *api = req->ctx;
    const char *dbpath = dd_findings_api_vulndb_path(api);
    if (!dbpath || !*dbpath) return dd_resp_error(req, 404, "NOT_FOUND", "this server has no vulnerability database path");
    pthread_mutex_lock(&run.mu);
    if (run.running) {
        pthread_mutex_unlock(&run.mu);
        return dd_resp_error(req, 409, "CONFLICT", "a database update is already running");
    }
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) {
        pthread_mutex_unlock(&run.mu);
        return dd_resp_error(req, 500, "INTERNAL_ERROR", "cannot start the update");
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    posix_spawn_file_actions_adddup2(&fa, p[1], 2);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addclosefrom_np(&fa, 3); /* not the server's sockets */
    char *argv[] = {"drydock", "db", "update", "--db", (char *)dbpath, "--quiet", NULL};
    pid_t pid;
    int rc = posix_spawn(&pid, "/proc/self/exe", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(p[1]);
    if (rc != 0) {
        close(p[0]);
        pthread_mutex_unlock(&run.mu);
        dd_log(DD_LOG_ERROR, req->id, "cannot start drydock db update: %s", strerror(rc));
        return dd_resp_error(req, 500, "INTERNAL_ERROR", "cannot start the update");
    }
    run.running = run.ran = true;
    run.started_ms = dd_now_ms();
    run.finished_ms = 0;
    run.out_len = 0;
    run.exit_code = 0;
    run.audit = dd_findings_api_audit(api);
    snprintf(run.actor, sizeof run.actor, "%s", dd_auth_actor(req));
    waiter_t *w = dd_malloc(sizeof *w);
    w->pid = pid;
    w->fd = p[0];
    pthread_t t;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &at, wait_thread, w) != 0) { /* collect it here then */
        pthread_attr_destroy(&at);
        pthread_mutex_unlock(&run.mu);
        wait_thread(w);
    } else {
        pthread_attr_destroy(&at);
        pthread_mutex_unlock(&run.mu);
    }
    dd_audit_change(dd_findings_api_audit(api), "db_update", dd_auth_actor(req), "vulndb", NULL);
    return status_json(req, 202);
}

static const dd_route_t routes[] = {
    {"GET", "/api/v1/admin/db/update", h_status, DD_ACT_ADMIN, 0},
    {"POST", "/api/v1/admin/db/update", h_start, DD_ACT_ADMIN, 0},
};

void dd_findings_dbupdate_register(dd_findings_api_t *api, dd_http_server_t *srv)
{
    dd_http_register_routes(srv, routes, sizeof routes / sizeof routes[0], api);
}
