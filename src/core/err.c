/*
 * err.c: result codes, error details and fatal programmer errors.
 */
#include "dd/core.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int dd_err(dd_err_t *e, int code, const char *fmt, ...)
{
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
        va_end(ap);
        e->code = code;
    }
    return code;
}

int dd_err_errno(dd_err_t *e, int code, int errno_val, const char *fmt, ...)
{
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(e->msg, sizeof e->msg, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < sizeof e->msg)
            snprintf(e->msg + n, sizeof e->msg - (size_t)n, ": %s", strerror(errno_val));
        e->code = code;
    }
    return code;
}

void dd_err_clear(dd_err_t *e)
{
    if (e) {
        e->code = DD_OK;
        e->msg[0] = '\0';
    }
}

const char *dd_rc_name(int rc)
{
    switch (rc) {
    case DD_OK: return "OK";
    case DD_DECLINED: return "DECLINED";
    case DD_EINVAL: return "EINVAL";
    case DD_ENOTFOUND: return "ENOTFOUND";
    case DD_EEXIST: return "EEXIST";
    case DD_EIO: return "EIO";
    case DD_ENOMEM: return "ENOMEM";
    case DD_ELIMIT: return "ELIMIT";
    case DD_EUNSUPPORTED: return "EUNSUPPORTED";
    case DD_ECONFLICT: return "ECONFLICT";
    case DD_EDIGEST: return "EDIGEST";
    case DD_ECORRUPT: return "ECORRUPT";
    case DD_EAUTH: return "EAUTH";
    case DD_EDENIED: return "EDENIED";
    case DD_ERANGE: return "ERANGE";
    case DD_EBUSY: return "EBUSY";
    }
    return "E?";
}

void dd_bug(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "BUG at %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}

static void oom(size_t n)
{
    fprintf(stderr, "fatal: out of memory allocating %zu bytes\n", n);
    abort();
}

void *dd_malloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) oom(n);
    return p;
}

void *dd_calloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) oom(n * size);
    return p;
}

void *dd_realloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) oom(n);
    return q;
}

char *dd_strdup(const char *s)
{
    return dd_strndup(s, strlen(s));
}

char *dd_strndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *p = dd_malloc(len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *dd_asprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = NULL;
    int n = vasprintf(&p, fmt, ap);
    va_end(ap);
    if (n < 0) oom(0);
    return p;
}
