/*
 * audit.c: the audit log, DATA/audit.log: one JSON object per line per
 * security event (logins, denials, pushes, deletes, user and token changes).
 * Each line is built in memory and written with ONE write(2) on an O_APPEND
 * descriptor, so lines from the server's threads and from CLI processes
 * never interleave. Callers never pass secrets: passwords, token secrets and
 * Authorization headers have no field here.
 */
#include "dd/auth.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct dd_audit {
    int fd;
};

int dd_audit_open(const char *path, dd_audit_t **out, dd_err_t *e)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return dd_err_errno(e, DD_EIO, errno, "cannot open audit log '%s'", path);
    dd_audit_t *a = dd_calloc(1, sizeof *a);
    a->fd = fd;
    *out = a;
    return DD_OK;
}

void dd_audit_close(dd_audit_t *a)
{
    if (!a) return;
    close(a->fd);
    free(a);
}

static void field(dd_buf_t *b, const char *k, const char *v)
{
    if (!v) return;
    dd_buf_printf(b, ",\"%s\":", k);
    dd_buf_json_str(b, v);
}

void dd_audit_event(dd_audit_t *a, const char *event, const char *actor, const char *ip, const char *method,
                    const char *path, const char *repo, const char *action, int status, const char *detail)
{
    if (!a) return;
    char ts[32];
    int64_t now = dd_now_ms();
    dd_time_rfc3339(now / 1000, ts);
    dd_buf_t b;
    dd_buf_init(&b, 16384);
    dd_buf_puts(&b, "{\"ts\":");
    dd_buf_json_str(&b, ts);
    field(&b, "event", event);
    field(&b, "actor", actor);
    field(&b, "ip", ip);
    field(&b, "method", method);
    field(&b, "path", path);
    field(&b, "repo", repo);
    field(&b, "action", action);
    if (status) dd_buf_printf(&b, ",\"status\":%d", status);
    field(&b, "detail", detail);
    if (dd_buf_puts(&b, "}\n") == DD_OK) {
        ssize_t w = write(a->fd, b.ptr, b.len);
        if (w != (ssize_t)b.len) dd_log(DD_LOG_WARN, NULL, "audit log write failed");
    } else {
        dd_log(DD_LOG_WARN, NULL, "audit event too long, dropped");
    }
    dd_buf_release(&b);
}

void dd_audit_change(dd_audit_t *a, const char *event, const char *actor, const char *target, const char *detail)
{
    if (!a) return;
    char ts[32];
    dd_time_rfc3339(dd_now_ms() / 1000, ts);
    dd_buf_t b;
    dd_buf_init(&b, 16384);
    dd_buf_puts(&b, "{\"ts\":");
    dd_buf_json_str(&b, ts);
    field(&b, "event", event);
    field(&b, "actor", actor);
    field(&b, "target", target);
    field(&b, "detail", detail);
    if (dd_buf_puts(&b, "}\n") == DD_OK && write(a->fd, b.ptr, b.len) != (ssize_t)b.len)
        dd_log(DD_LOG_WARN, NULL, "audit log write failed");
    dd_buf_release(&b);
}
