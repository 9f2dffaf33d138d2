/*
 * ddpl_shim.c: an LD_PRELOAD library for the power-loss crash test
 * (tests/integration/test_power_loss.py, docs/storage.md "Power loss").
 *
 * It records, in order, every call that changes the files under one
 * directory tree: open (with its flags), write/pwrite (with the bytes),
 * fsync/fdatasync, ftruncate/truncate, rename, unlink, mkdir and rmdir.
 * The test replays a prefix of that log into a crash state: what was
 * durable at the cut plus random subsets of what was not.
 *
 * An LD_PRELOAD shim rather than the blob store's fault hook: SQLite does
 * its own I/O through its unix VFS, and the blob store, meta.db, scans.db,
 * jwt.key and the vulnerability database must all be in one ordered log
 * for a cut to be a real moment in time. The shim sees all of them with
 * one mechanism and runs the unmodified server binary.
 *
 * Environment:
 *   DD_PL_ROOT    the tree to watch (absolute path); nothing else is logged
 *   DD_PL_LOG     the log file (appended; the test appends its own marks)
 *   DD_PL_ENOSPC  SUBSTRING: writes to files under the root whose path
 *                 contains it fail with ENOSPC (nothing written) while the
 *                 file DD_PL_FULL exists (always, without DD_PL_FULL): a disk
 *                 that fills up and is freed again. Works without DD_PL_LOG.
 *   DD_PL_SLOW_DIRSYNC  "SUBSTRING:MS": every fsync of a directory under
 *                 the root whose path contains SUBSTRING sleeps MS first, to
 *                 widen the window between a rename and the fsync that
 *                 makes it durable
 *
 * Log records (text header line, then raw bytes for writes):
 *   O <fd> <flags> <path>      a successful open of a path under the root
 *   W <fd> <offset> <len>      followed by len bytes
 *   S <fd>                     fsync or fdatasync returned 0
 *   T <fd> <len>               ftruncate;  t <len> <path>: truncate
 *   C <fd>                     close (logged before the real close)
 *   R <from>\t<to>             rename;  L <from>\t<to>: link;
 *   U <path> unlink;  M <path> mkdir;
 *   D <path>                   rmdir
 *   K <text>                   a mark written by the test itself
 * A write is logged before the call returns, so anything that happens
 * because of it (an fsync in another thread) comes later in the log.
 */
/* the build defines _FILE_OFFSET_BITS=64, which renames open to open64 in
 * the headers; this file defines both names itself */
#undef _FILE_OFFSET_BITS
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#define MAXFD 65536

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static char root[PATH_MAX];
static size_t rootlen;
static int logfd = -1;
static char *paths[MAXFD]; /* path of each tracked fd, NULL otherwise */
static const char *nospc_sub;
static const char *nospc_full;
static long slow_dirsync_ms;
static char slow_sub[256];

static int (*r_open)(const char *, int, ...);
static int (*r_open64)(const char *, int, ...);
static int (*r_openat)(int, const char *, int, ...);
static int (*r_openat64)(int, const char *, int, ...);
static int (*r_close)(int);
static ssize_t (*r_write)(int, const void *, size_t);
static ssize_t (*r_pwrite)(int, const void *, size_t, off_t);
static ssize_t (*r_pwrite64)(int, const void *, size_t, off_t);
static int (*r_fsync)(int);
static int (*r_fdatasync)(int);
static int (*r_ftruncate)(int, off_t);
static int (*r_ftruncate64)(int, off_t);
static int (*r_truncate)(const char *, off_t);
static int (*r_rename)(const char *, const char *);
static int (*r_renameat)(int, const char *, int, const char *);
static int (*r_unlink)(const char *);
static int (*r_unlinkat)(int, const char *, int);
static int (*r_mkdir)(const char *, mode_t);
static int (*r_rmdir)(const char *);
static int (*r_link)(const char *, const char *);
static int (*r_linkat)(int, const char *, int, const char *, int);

#define LOAD(name) r_##name = dlsym(RTLD_NEXT, #name)

static void init_once(void)
{
    LOAD(open); LOAD(open64); LOAD(openat); LOAD(openat64); LOAD(close);
    LOAD(write); LOAD(pwrite); LOAD(pwrite64); LOAD(fsync); LOAD(fdatasync);
    LOAD(ftruncate); LOAD(ftruncate64); LOAD(truncate); LOAD(rename);
    LOAD(renameat); LOAD(unlink); LOAD(unlinkat); LOAD(mkdir); LOAD(rmdir);
    LOAD(link); LOAD(linkat);
    const char *r = getenv("DD_PL_ROOT");
    if (r && *r == '/' && strlen(r) < sizeof root) {
        snprintf(root, sizeof root, "%s", r);
        while (strlen(root) > 1 && root[strlen(root) - 1] == '/') root[strlen(root) - 1] = '\0';
        rootlen = strlen(root);
    }
    const char *l = getenv("DD_PL_LOG");
    if (rootlen && l) logfd = r_open(l, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    nospc_sub = getenv("DD_PL_ENOSPC");
    if (nospc_sub && !*nospc_sub) nospc_sub = NULL;
    nospc_full = getenv("DD_PL_FULL");
    const char *sd = getenv("DD_PL_SLOW_DIRSYNC");
    const char *sc = sd ? strrchr(sd, ':') : NULL;
    if (sc && (size_t)(sc - sd) < sizeof slow_sub) {
        memcpy(slow_sub, sd, (size_t)(sc - sd));
        slow_dirsync_ms = atol(sc + 1);
    }
}

/* Every wrapper calls this first: another library's constructor may open a
 * file before ours runs. */
static pthread_once_t once = PTHREAD_ONCE_INIT;
static void init(void)
{
    pthread_once(&once, init_once);
}

__attribute__((constructor)) static void ctor(void)
{
    init();
}

/* Makes path absolute (relative to dirfd or the cwd) into out; 0 if it is
 * not under the root. No symlink resolution: the server uses the paths it
 * was given. */
static int under_root(int dirfd, const char *path, char *out, size_t outsz)
{
    if (!rootlen || !path) return 0;
    if (path[0] == '/') {
        snprintf(out, outsz, "%s", path);
    } else {
        char base[PATH_MAX];
        if (dirfd == AT_FDCWD) {
            if (!getcwd(base, sizeof base)) return 0;
        } else {
            char link[64];
            snprintf(link, sizeof link, "/proc/self/fd/%d", dirfd);
            ssize_t k = readlink(link, base, sizeof base - 1);
            if (k <= 0) return 0;
            base[k] = '\0';
        }
        snprintf(out, outsz, "%s/%s", base, path);
    }
    /* drop "/./" and a trailing "/." */
    char *p;
    while ((p = strstr(out, "/./")) != NULL) memmove(p, p + 2, strlen(p + 2) + 1);
    size_t n = strlen(out);
    while (n > 1 && out[n - 1] == '/') out[--n] = '\0';
    return strncmp(out, root, rootlen) == 0 && (out[rootlen] == '\0' || out[rootlen] == '/');
}

static void emit(const char *head, const void *data, size_t n)
{
    if (logfd < 0) return;
    struct iovec v[2] = {{(void *)head, strlen(head)}, {(void *)data, n}};
    size_t total = v[0].iov_len + n;
    /* one writev per record: the test's own marks are appended by another
     * process, and an O_APPEND write is not split by them */
    ssize_t w = writev(logfd, v, data ? 2 : 1);
    if (w != (ssize_t)total) {
        static const char msg[] = "ddpl_shim: short log write\n";
        if (r_write(2, msg, sizeof msg - 1) < 0) abort();
    }
}

static void emitf(const void *data, size_t n, const char *fmt, ...)
{
    char head[2 * PATH_MAX + 64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    emit(head, data, n);
}

static int after_open(int fd, int dirfd, const char *path, int flags)
{
    char abs[PATH_MAX];
    if (fd < 0 || fd >= MAXFD || !under_root(dirfd, path, abs, sizeof abs)) return fd;
    pthread_mutex_lock(&mu);
    free(paths[fd]);
    paths[fd] = strdup(abs);
    emitf(NULL, 0, "O %d %d %s\n", fd, flags, abs);
    pthread_mutex_unlock(&mu);
    return fd;
}

static int mode_arg(int flags, va_list ap)
{
    return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? va_arg(ap, int) : 0;
}

int open(const char *path, int flags, ...)
{
    init();
    va_list ap;
    va_start(ap, flags);
    int mode = mode_arg(flags, ap);
    va_end(ap);
    return after_open(r_open(path, flags, mode), AT_FDCWD, path, flags);
}

int open64(const char *path, int flags, ...)
{
    init();
    va_list ap;
    va_start(ap, flags);
    int mode = mode_arg(flags, ap);
    va_end(ap);
    return after_open((r_open64 ? r_open64 : r_open)(path, flags, mode), AT_FDCWD, path, flags);
}

int openat(int dirfd, const char *path, int flags, ...)
{
    init();
    va_list ap;
    va_start(ap, flags);
    int mode = mode_arg(flags, ap);
    va_end(ap);
    return after_open(r_openat(dirfd, path, flags, mode), dirfd, path, flags);
}

int openat64(int dirfd, const char *path, int flags, ...)
{
    init();
    va_list ap;
    va_start(ap, flags);
    int mode = mode_arg(flags, ap);
    va_end(ap);
    return after_open((r_openat64 ? r_openat64 : r_openat)(dirfd, path, flags, mode), dirfd, path,
                      flags);
}

static int tracked(int fd)
{
    return fd >= 0 && fd < MAXFD && paths[fd] != NULL;
}

int close(int fd)
{
    init();
    if (tracked(fd)) {
        pthread_mutex_lock(&mu);
        if (paths[fd]) {
            emitf(NULL, 0, "C %d\n", fd);
            free(paths[fd]);
            paths[fd] = NULL;
        }
        /* closed under the lock: the fd is not reused before the C record */
        int rc = r_close(fd);
        pthread_mutex_unlock(&mu);
        return rc;
    }
    return r_close(fd);
}

/* The disk-full fault: 1 when this write must fail with ENOSPC. Called
 * with the lock held. */
static int nospc(int fd)
{
    if (!nospc_sub || !strstr(paths[fd], nospc_sub)) return 0;
    return !nospc_full || access(nospc_full, F_OK) == 0;
}

static ssize_t logged_write(int fd, const void *buf, size_t n, off_t off, int positional)
{
    pthread_mutex_lock(&mu);
    if (!paths[fd]) { /* closed meanwhile: the real call reports EBADF */
        pthread_mutex_unlock(&mu);
        return positional ? r_pwrite(fd, buf, n, off) : r_write(fd, buf, n);
    }
    if (nospc(fd)) {
        pthread_mutex_unlock(&mu);
        errno = ENOSPC;
        return -1;
    }
    pthread_mutex_unlock(&mu);
    /* the write itself runs unlocked (the blob store's ring writes 1 MiB
     * buffers from its own thread); the record is added once it is done,
     * before the caller can act on it */
    ssize_t w = positional ? r_pwrite(fd, buf, n, off) : r_write(fd, buf, n);
    int err = errno;
    if (w > 0) {
        off_t at = positional ? off : lseek(fd, 0, SEEK_CUR) - w;
        pthread_mutex_lock(&mu);
        if (paths[fd]) emitf(buf, (size_t)w, "W %d %lld %zd\n", fd, (long long)at, w);
        pthread_mutex_unlock(&mu);
    }
    errno = err;
    return w;
}

ssize_t write(int fd, const void *buf, size_t n)
{
    init();
    return tracked(fd) ? logged_write(fd, buf, n, 0, 0) : r_write(fd, buf, n);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
    init();
    return tracked(fd) ? logged_write(fd, buf, n, off, 1) : r_pwrite(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off)
{
    init();
    return tracked(fd) ? logged_write(fd, buf, n, off, 1) : r_pwrite64(fd, buf, n, off);
}

static int logged_sync(int fd, int (*real)(int))
{
    struct stat sb;
    const char *p = tracked(fd) ? paths[fd] : NULL;
    if (slow_dirsync_ms > 0 && p && strstr(p, slow_sub) && fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode))
        usleep((useconds_t)slow_dirsync_ms * 1000);
    int rc = real(fd);
    if (rc == 0 && tracked(fd)) {
        int err = errno;
        pthread_mutex_lock(&mu);
        if (paths[fd]) emitf(NULL, 0, "S %d\n", fd);
        pthread_mutex_unlock(&mu);
        errno = err;
    }
    return rc;
}

int fsync(int fd)
{
    init();
    return logged_sync(fd, r_fsync);
}

int fdatasync(int fd)
{
    init();
    return logged_sync(fd, r_fdatasync);
}

static int logged_ftruncate(int fd, off_t len, int (*real)(int, off_t))
{
    int rc = real(fd, len);
    if (rc == 0 && tracked(fd)) {
        pthread_mutex_lock(&mu);
        if (paths[fd]) emitf(NULL, 0, "T %d %lld\n", fd, (long long)len);
        pthread_mutex_unlock(&mu);
    }
    return rc;
}

int ftruncate(int fd, off_t len)
{
    init();
    return logged_ftruncate(fd, len, r_ftruncate);
}

int ftruncate64(int fd, off_t len)
{
    init();
    return logged_ftruncate(fd, len, r_ftruncate64 ? r_ftruncate64 : r_ftruncate);
}

/* Runs a path call under the lock and logs it on success, so the records
 * of namespace changes are in the order the kernel saw them. */
int truncate(const char *path, off_t len)
{
    init();
    char a[PATH_MAX];
    if (!under_root(AT_FDCWD, path, a, sizeof a)) return r_truncate(path, len);
    pthread_mutex_lock(&mu);
    int rc = r_truncate(path, len);
    if (rc == 0) emitf(NULL, 0, "t %lld %s\n", (long long)len, a);
    pthread_mutex_unlock(&mu);
    return rc;
}

static int path_op(char op, int dirfd, const char *path, int (*call)(void *), void *arg)
{
    char a[PATH_MAX];
    if (!under_root(dirfd, path, a, sizeof a)) return call(arg);
    pthread_mutex_lock(&mu);
    int rc = call(arg);
    int err = errno;
    if (rc == 0) emitf(NULL, 0, "%c %s\n", op, a);
    pthread_mutex_unlock(&mu);
    errno = err;
    return rc;
}

struct pargs {
    int dirfd, flags;
    const char *path;
    mode_t mode;
};

static int do_unlink(void *p) { struct pargs *a = p; return r_unlink(a->path); }
static int do_rmdir(void *p) { struct pargs *a = p; return r_rmdir(a->path); }
static int do_mkdir(void *p) { struct pargs *a = p; return r_mkdir(a->path, a->mode); }
static int do_unlinkat(void *p) { struct pargs *a = p; return r_unlinkat(a->dirfd, a->path, a->flags); }

int unlink(const char *path)
{
    init();
    struct pargs a = {.path = path};
    return path_op('U', AT_FDCWD, path, do_unlink, &a);
}

int rmdir(const char *path)
{
    init();
    struct pargs a = {.path = path};
    return path_op('D', AT_FDCWD, path, do_rmdir, &a);
}

int mkdir(const char *path, mode_t mode)
{
    init();
    struct pargs a = {.path = path, .mode = mode};
    return path_op('M', AT_FDCWD, path, do_mkdir, &a);
}

int unlinkat(int dirfd, const char *path, int flags)
{
    init();
    struct pargs a = {.dirfd = dirfd, .path = path, .flags = flags};
    return path_op(flags & AT_REMOVEDIR ? 'D' : 'U', dirfd, path, do_unlinkat, &a);
}

static int logged_rename(int fd1, const char *from, int fd2, const char *to)
{
    char a[PATH_MAX], b[PATH_MAX];
    int in1 = under_root(fd1, from, a, sizeof a), in2 = under_root(fd2, to, b, sizeof b);
    if (!in1 && !in2) return r_renameat(fd1, from, fd2, to);
    pthread_mutex_lock(&mu);
    int rc = r_renameat(fd1, from, fd2, to);
    int err = errno;
    if (rc == 0) {
        if (in1 && in2) emitf(NULL, 0, "R %s\t%s\n", a, b);
        else if (in1) emitf(NULL, 0, "U %s\n", a); /* moved out of the tree */
        else emitf(NULL, 0, "X %s\n", b);          /* moved in: unknown bytes */
    }
    pthread_mutex_unlock(&mu);
    errno = err;
    return rc;
}

int rename(const char *from, const char *to)
{
    init();
    return logged_rename(AT_FDCWD, from, AT_FDCWD, to);
}

int renameat(int fd1, const char *from, int fd2, const char *to)
{
    init();
    return logged_rename(fd1, from, fd2, to);
}

static int logged_link(int fd1, const char *from, int fd2, const char *to, int flags)
{
    char a[PATH_MAX], b[PATH_MAX];
    int in1 = under_root(fd1, from, a, sizeof a), in2 = under_root(fd2, to, b, sizeof b);
    if (!in2) return r_linkat(fd1, from, fd2, to, flags);
    pthread_mutex_lock(&mu);
    int rc = r_linkat(fd1, from, fd2, to, flags);
    int err = errno;
    if (rc == 0) {
        if (in1) emitf(NULL, 0, "L %s\t%s\n", a, b);
        else emitf(NULL, 0, "X %s\n", b); /* linked in from outside: unknown bytes */
    }
    pthread_mutex_unlock(&mu);
    errno = err;
    return rc;
}

int link(const char *from, const char *to)
{
    init();
    return logged_link(AT_FDCWD, from, AT_FDCWD, to, 0);
}

int linkat(int fd1, const char *from, int fd2, const char *to, int flags)
{
    init();
    return logged_link(fd1, from, fd2, to, flags);
}
