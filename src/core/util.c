/*
 * util.c: clocks, time formatting, string and file helpers.
 */
#include "dd/core.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int64_t dd_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t dd_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void dd_time_rfc3339(int64_t epoch_s, char buf[32])
{
    time_t t = (time_t)epoch_s;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if ((*p)[i] < '0' || (*p)[i] > '9') return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

int dd_time_parse(const char *s, int64_t *out)
{
    int Y, M, D, h = 0, m = 0, sec = 0;
    const char *p = s;
    if (digits(&p, 4, &Y) || *p++ != '-' || digits(&p, 2, &M) || *p++ != '-' || digits(&p, 2, &D))
        return DD_EINVAL;
    if (M < 1 || M > 12 || D < 1 || D > 31) return DD_EINVAL;
    int64_t offset = 0;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &m)) return DD_EINVAL;
        if (*p == ':') {
            p++;
            if (digits(&p, 2, &sec)) return DD_EINVAL;
        }
        if (*p == '.') {
            p++;
            while (*p >= '0' && *p <= '9') p++;
        }
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p == '-' ? -1 : 1, oh, om = 0;
            p++;
            if (digits(&p, 2, &oh)) return DD_EINVAL;
            if (*p == ':') p++;
            if (*p) { if (digits(&p, 2, &om)) return DD_EINVAL; }
            offset = sign * (oh * 3600 + om * 60);
        }
    }
    if (*p) return DD_EINVAL;
    if (h > 23 || m > 59 || sec > 60) return DD_EINVAL;
    /* days from civil (Howard Hinnant's algorithm, public domain description) */
    int y = Y - (M <= 2);
    int era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (unsigned)((153 * (M + (M > 2 ? -3 : 9)) + 2) / 5 + D - 1);
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = (int64_t)era * 146097 + (int64_t)doe - 719468;
    *out = days * 86400 + h * 3600 + m * 60 + sec - offset;
    return DD_OK;
}

bool dd_str_startswith(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool dd_str_endswith(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

bool dd_ct_equal(const void *a, const void *b, size_t n)
{
    const volatile unsigned char *x = a, *y = b;
    unsigned char d = 0;
    for (size_t i = 0; i < n; i++) d |= x[i] ^ y[i];
    return d == 0;
}

int dd_random_bytes(void *buf, size_t n)
{
    unsigned char *p = buf;
    while (n > 0) {
        ssize_t r = getrandom(p, n, 0);
        if (r < 0) {
            if (errno == EINTR) continue;
            return DD_EIO;
        }
        p += r;
        n -= (size_t)r;
    }
    return DD_OK;
}

void dd_random_hex(char *out, size_t nbytes)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char tmp[64];
    size_t o = 0;
    while (nbytes > 0) {
        size_t k = nbytes > sizeof tmp ? sizeof tmp : nbytes;
        if (dd_random_bytes(tmp, k) != DD_OK) DD_BUG("getrandom failed");
        for (size_t i = 0; i < k; i++) {
            out[o++] = hex[tmp[i] >> 4];
            out[o++] = hex[tmp[i] & 15];
        }
        nbytes -= k;
    }
    out[o] = '\0';
}

int dd_file_read(const char *path, size_t max, dd_buf_t *out, dd_err_t *e)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return dd_err_errno(e, errno == ENOENT ? DD_ENOTFOUND : DD_EIO, errno, "cannot open '%s'", path);
    dd_buf_reset(out);
    char tmp[65536];
    for (;;) {
        ssize_t n = read(fd, tmp, sizeof tmp);
        if (n < 0) {
            if (errno == EINTR) continue;
            int err = errno;
            close(fd);
            return dd_err_errno(e, DD_EIO, err, "cannot read '%s'", path);
        }
        if (n == 0) break;
        if (out->len + (size_t)n > max || dd_buf_append(out, tmp, (size_t)n) != DD_OK) {
            close(fd);
            return dd_err(e, DD_ELIMIT, "file '%s' is larger than %zu bytes", path, max);
        }
    }
    close(fd);
    if (!out->ptr) dd_buf_append(out, "", 0);
    return DD_OK;
}

int dd_fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return DD_EIO;
    int rc = fsync(fd) == 0 ? DD_OK : DD_EIO;
    close(fd);
    return rc;
}

int dd_file_write_atomic(const char *path, const void *data, size_t len, dd_err_t *e)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp.%d.%lx", path, (int)getpid(), (unsigned long)dd_mono_ns());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return dd_err_errno(e, DD_EIO, errno, "cannot create '%s'", tmp);
    const char *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t n = write(fd, p, left);
        if (n < 0) {
            if (errno == EINTR) continue;
            int err = errno;
            close(fd);
            unlink(tmp);
            return dd_err_errno(e, DD_EIO, err, "cannot write '%s'", tmp);
        }
        p += n;
        left -= (size_t)n;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        int err = errno;
        unlink(tmp);
        return dd_err_errno(e, DD_EIO, err, "cannot sync '%s'", tmp);
    }
    if (rename(tmp, path) != 0) {
        int err = errno;
        unlink(tmp);
        return dd_err_errno(e, DD_EIO, err, "cannot rename to '%s'", path);
    }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    dd_fsync_dir(dirname(dir));
    return DD_OK;
}

/* Creates the directory path (mode) if missing; 1 if it created it. A new
 * directory's name is durable only once its parent is fsynced (a power loss
 * could otherwise take the directory and all that was synced inside it), so
 * the parent is synced, best effort: a parent we may not read is left. */
static int mkdir_synced(char *path, int mode)
{
    if (mkdir(path, (mode_t)mode) != 0) return errno == EEXIST ? 0 : -1;
    char *slash = strrchr(path, '/');
    if (!slash) {
        dd_fsync_dir(".");
    } else if (slash == path) {
        dd_fsync_dir("/");
    } else {
        *slash = '\0';
        dd_fsync_dir(path);
        *slash = '/';
    }
    return 1;
}

void dd_file_create_private(const char *path)
{
    if (!path || !*path || path[0] == ':' || !strncmp(path, "file:", 5)) return;
    /* O_EXCL: never open (and so never close) an existing database, as closing
     * any descriptor of a file drops every POSIX lock this process holds on
     * it, SQLite's included */
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd >= 0) close(fd);
}

int dd_mkdirs(const char *path, int mode, dd_err_t *e)
{
    char tmp[4096];
    size_t len = strlen(path);
    if (len >= sizeof tmp) return dd_err(e, DD_EINVAL, "path too long '%s'", path);
    memcpy(tmp, path, len + 1);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir_synced(tmp, mode) < 0)
            return dd_err_errno(e, DD_EIO, errno, "cannot create directory '%s'", tmp);
        *p = '/';
    }
    if (mkdir_synced(tmp, mode) < 0)
        return dd_err_errno(e, DD_EIO, errno, "cannot create directory '%s'", tmp);
    return DD_OK;
}
