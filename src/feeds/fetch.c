/*
 * fetch.c: dd_fetch_file(), the one HTTP GET that `db update` uses for every
 * feed download and NVD page (see dbsync.h).
 *
 * One request per attempt with libcurl: conditional headers from the
 * caller's stored ETag / Last-Modified, extra headers (NVD's apiKey), the
 * body streamed to the file under a size limit, response headers ETag,
 * Last-Modified and Retry-After captured. Retryable answers (403, 429, 503
 * and transient transport errors: timeouts, connections cut mid-transfer;
 * not unresolvable or refusing hosts) are retried after Retry-After seconds when the
 * server sends it as a number, else after backoff_ms doubling per try
 * (capped at 64 times the first wait).
 */
#include "dd/dbsync.h"

#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct xfer {
    FILE *f;
    long long n, max;
    bool too_big;
    bool transient;        /* a transport error worth retrying (timeout, cut connection) */
    char etag[256];
    char last_modified[64];
    char retry_after[32];
    const dd_fetch_opts_t *o;
} xfer_t;

static size_t on_body(char *p, size_t sz, size_t nm, void *arg)
{
    xfer_t *x = arg;
    size_t n = sz * nm;
    if (x->n + (long long)n > x->max) {
        x->too_big = true;
        return 0;
    }
    x->n += (long long)n;
    return fwrite(p, 1, n, x->f);
}

static void header_value(const char *line, size_t n, const char *name, char *out, size_t outsz)
{
    size_t nl = strlen(name);
    if (n <= nl + 1 || strncasecmp(line, name, nl) != 0 || line[nl] != ':') return;
    const char *v = line + nl + 1, *end = line + n;
    while (v < end && (*v == ' ' || *v == '\t')) v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ')) end--;
    size_t l = (size_t)(end - v) < outsz - 1 ? (size_t)(end - v) : outsz - 1;
    memcpy(out, v, l);
    out[l] = '\0';
}

static size_t on_header(char *p, size_t sz, size_t nm, void *arg)
{
    xfer_t *x = arg;
    size_t n = sz * nm;
    /* a new response (redirect, retry) starts with its status line */
    if (n > 5 && !strncmp(p, "HTTP/", 5)) x->etag[0] = x->last_modified[0] = x->retry_after[0] = '\0';
    header_value(p, n, "ETag", x->etag, sizeof x->etag);
    header_value(p, n, "Last-Modified", x->last_modified, sizeof x->last_modified);
    header_value(p, n, "Retry-After", x->retry_after, sizeof x->retry_after);
    return n;
}

static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    (void)ultotal;
    (void)ulnow;
    xfer_t *x = arg;
    if (x->o->progress) x->o->progress(x->o->progress_arg, (long long)dlnow, (long long)dltotal);
    return 0;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* One attempt. Returns the HTTP status, or 0 with msg set on a transport error. */
static long attempt(const char *url, const char *path, const dd_fetch_opts_t *o, xfer_t *x, char *msg, size_t msgsz)
{
    x->f = fopen(path, "wb");
    if (!x->f) {
        snprintf(msg, msgsz, "cannot create '%s': %s", path, strerror(errno));
        return -1;
    }
    x->n = 0;
    x->too_big = false;
    x->etag[0] = x->last_modified[0] = x->retry_after[0] = '\0';
    CURL *c = curl_easy_init();
    if (!c) {
        fclose(x->f);
        snprintf(msg, msgsz, "cannot start a transfer");
        return -1;
    }
    struct curl_slist *hdrs = NULL;
    char h[400];
    if (o->etag && o->etag[0]) {
        snprintf(h, sizeof h, "If-None-Match: %s", o->etag);
        hdrs = curl_slist_append(hdrs, h);
    }
    if (o->last_modified && o->last_modified[0]) {
        snprintf(h, sizeof h, "If-Modified-Since: %s", o->last_modified);
        hdrs = curl_slist_append(hdrs, h);
    }
    for (const char *const *p = o->headers; p && *p; p++) hdrs = curl_slist_append(hdrs, *p);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, x);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, o->progress ? 0L : 1L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "drydock-db-update");
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, ""); /* the tracker and NVD JSON compress well */
    CURLcode cr = curl_easy_perform(c);
    long status = 0;
    /* a host that does not resolve or refuses is not retried: offline
     * sites would otherwise wait out every backoff of every feed */
    x->transient = cr == CURLE_OPERATION_TIMEDOUT || cr == CURLE_PARTIAL_FILE || cr == CURLE_RECV_ERROR ||
                   cr == CURLE_SEND_ERROR || cr == CURLE_GOT_NOTHING || cr == CURLE_HTTP2 ||
                   cr == CURLE_HTTP2_STREAM;
    if (cr == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    else if (x->too_big) snprintf(msg, msgsz, "%s: larger than %lld bytes", url, x->max);
    else snprintf(msg, msgsz, "%s: %s", url, curl_easy_strerror(cr));
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);
    if (fclose(x->f) != 0 && status) {
        snprintf(msg, msgsz, "cannot write '%s'", path);
        status = -1;
    }
    x->f = NULL;
    return status;
}

int dd_fetch_file(const char *url, const char *path, const dd_fetch_opts_t *o, dd_fetch_result_t *r, dd_err_t *e)
{
    static const dd_fetch_opts_t none = {0};
    if (!o) o = &none;
    memset(r, 0, sizeof *r);
    int max = o->max_attempts > 0 ? o->max_attempts : 6;
    long backoff = o->backoff_ms > 0 ? o->backoff_ms : 1000, wait = backoff;
    xfer_t x = {.o = o, .max = o->max_bytes > 0 ? o->max_bytes : (4LL << 30)};
    char msg[600] = "";
    for (int i = 0; i < max; i++) {
        long status = attempt(url, path, o, &x, msg, sizeof msg);
        r->attempts = i + 1;
        if (status < 0) return dd_err(e, DD_EIO, "%s", msg);
        if (x.too_big) return dd_err(e, DD_ELIMIT, "%s", msg);
        bool retry = (status == 0 && x.transient) || status == 403 || status == 429 || status == 503;
        if (!retry || i + 1 == max) {
            if (status == 0) return dd_err(e, DD_EIO, "%s (after %d tries)", msg, i + 1);
            r->status = status;
            r->bytes = x.n;
            snprintf(r->etag, sizeof r->etag, "%s", x.etag);
            snprintf(r->last_modified, sizeof r->last_modified, "%s", x.last_modified);
            return DD_OK;
        }
        long ms = wait;
        char *end = NULL;
        long ra = x.retry_after[0] ? strtol(x.retry_after, &end, 10) : -1;
        if (ra >= 0 && end && *end == '\0') ms = (ra > 3600 ? 3600 : ra) * 1000;
        sleep_ms(ms);
        if (wait < backoff * 64) wait *= 2;
    }
    return dd_err(e, DD_EIO, "%s: no answer", url);
}

/* ---- archive extraction (feeds served as tar.gz) --------------------------- */

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>

#define EXTRACT_MAX_ENTRIES 2000000
#define EXTRACT_MAX_BYTES (16LL << 30)

/* True if name is a safe relative path: no leading '/', no ".." component. */
static bool safe_rel(const char *name)
{
    if (!*name || name[0] == '/') return false;
    for (const char *p = name; *p;) {
        size_t l = strcspn(p, "/");
        if (l == 2 && p[0] == '.' && p[1] == '.') return false;
        p += l;
        while (*p == '/') p++;
    }
    return true;
}

int dd_fetch_extract_tar(const char *path, const char *dir, dd_err_t *e)
{
    int rc = dd_mkdirs(dir, 0755, e);
    if (rc) return rc;
    struct archive *ar = archive_read_new();
    archive_read_support_format_tar(ar);
    archive_read_support_format_gnutar(ar);
    archive_read_support_filter_gzip(ar);
    archive_read_support_filter_zstd(ar);
    archive_read_support_filter_xz(ar);
    archive_read_support_filter_bzip2(ar);
    if (archive_read_open_filename(ar, path, 1 << 16) != ARCHIVE_OK) {
        rc = dd_err(e, DD_EINVAL, "'%s': not a tar archive: %s", path, archive_error_string(ar));
        archive_read_free(ar);
        return rc;
    }
    struct archive_entry *en;
    long n = 0;
    long long bytes = 0;
    int r;
    char buf[65536];
    while ((r = archive_read_next_header(ar, &en)) == ARCHIVE_OK && !rc) {
        const char *name = archive_entry_pathname(en);
        if (++n > EXTRACT_MAX_ENTRIES) {
            rc = dd_err(e, DD_ELIMIT, "'%s': more than %d entries", path, EXTRACT_MAX_ENTRIES);
            break;
        }
        mode_t t = archive_entry_filetype(en);
        if (!name || !safe_rel(name) || (t != AE_IFREG && t != AE_IFDIR)) continue; /* links, devices: skipped */
        char *out = dd_asprintf("%s/%s", dir, name);
        if (t == AE_IFDIR) {
            rc = dd_mkdirs(out, 0755, e);
            free(out);
            continue;
        }
        char *slash = strrchr(out, '/');
        *slash = '\0';
        rc = dd_mkdirs(out, 0755, e);
        *slash = '/';
        int fd = rc ? -1 : open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (!rc && fd < 0) rc = dd_err_errno(e, DD_EIO, errno, "cannot create '%s'", out);
        la_ssize_t got;
        while (!rc && (got = archive_read_data(ar, buf, sizeof buf)) != 0) {
            if (got < 0) rc = dd_err(e, DD_ECORRUPT, "'%s': %s", path, archive_error_string(ar));
            else if ((bytes += got) > EXTRACT_MAX_BYTES) rc = dd_err(e, DD_ELIMIT, "'%s': too large", path);
            else if (write(fd, buf, (size_t)got) != got) rc = dd_err_errno(e, DD_EIO, errno, "cannot write '%s'", out);
        }
        if (fd >= 0) close(fd);
        free(out);
    }
    if (!rc && r != ARCHIVE_EOF && r != ARCHIVE_OK)
        rc = dd_err(e, DD_ECORRUPT, "'%s': truncated or corrupt archive: %s", path, archive_error_string(ar));
    archive_read_free(ar);
    return rc;
}

int dd_fetch_remove_tree(const char *dir)
{
    struct stat sb;
    if (lstat(dir, &sb) != 0) return DD_OK;
    if (!S_ISDIR(sb.st_mode)) return unlink(dir) == 0 ? DD_OK : DD_EIO;
    DIR *d = opendir(dir);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        char *p = dd_asprintf("%s/%s", dir, de->d_name);
        dd_fetch_remove_tree(p);
        free(p);
    }
    if (d) closedir(d);
    return rmdir(dir) == 0 ? DD_OK : DD_EIO;
}
