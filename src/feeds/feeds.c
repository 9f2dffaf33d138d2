/*
 * feeds.c: the feed registry (one sorted static table), format detection,
 * dd_feed_import_path() (file, directory or zip), and helpers shared by the
 * importers.
 */
#include "feeds_int.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The registered feeds, sorted by name. */
static const dd_feed_t *const feeds[] = {
    &dd_feed_alpine_secdb,
    &dd_feed_debian_tracker,
    &dd_feed_nvd,
    &dd_feed_osv,
};

const dd_feed_t *const *dd_feeds(size_t *n_out)
{
    *n_out = sizeof feeds / sizeof feeds[0];
    return feeds;
}

const dd_feed_t *dd_feed_find(const char *name)
{
    for (size_t i = 0; i < sizeof feeds / sizeof feeds[0]; i++)
        if (!strcmp(feeds[i]->name, name)) return feeds[i];
    return NULL;
}

const dd_feed_t *dd_feed_detect(const uint8_t *head, size_t n)
{
    for (size_t i = 0; i < sizeof feeds / sizeof feeds[0]; i++)
        if (feeds[i]->detect(head, n)) return feeds[i];
    return NULL;
}

void dd_feed_stats_msg(dd_feed_stats_t *st, const char *fmt, ...)
{
    if (st->n_msgs >= DD_FEED_MAX_MSGS) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->msgs[st->n_msgs++], sizeof st->msgs[0], fmt, ap);
    va_end(ap);
}

json_t *feeds_json_parse(const uint8_t *data, size_t len, dd_err_t *e)
{
    if (len > DD_FEED_MAX_DOC) {
        dd_err(e, DD_ELIMIT, "document of %zu bytes exceeds the limit", len);
        return NULL;
    }
    json_error_t je;
    json_t *j = json_loadb((const char *)data, len, JSON_ALLOW_NUL, &je);
    if (!j) dd_err(e, DD_EINVAL, "invalid json at line %d: %s", je.line, je.text);
    return j;
}

const char *feeds_jstr(json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

char *feeds_jdump(json_t *v)
{
    if (!v || (json_is_array(v) && json_array_size(v) == 0)) return NULL;
    return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

bool feeds_has(const uint8_t *head, size_t n, const char *needle)
{
    return memmem(head, n, needle, strlen(needle)) != NULL;
}

/* ---- advisory id extraction (secdb strings) ------------------------------ */

static bool is_idchar(int c) { return isalnum(c) || c == '-' || c == '_' || c == '.'; }

int dd_feed_extract_ids(const char *s, char ids[][64], int max)
{
    int n = 0;
    size_t len = strlen(s);
    /* CVE ids, tolerant of '_' or ' ' after "CVE" */
    for (size_t i = 0; i + 3 < len && n < max; i++) {
        if (strncasecmp(s + i, "CVE", 3) || (i > 0 && isalnum((unsigned char)s[i - 1]))) continue;
        size_t j = i + 3;
        if (s[j] != '-' && s[j] != '_' && s[j] != ' ') continue;
        j++;
        size_t y = j;
        while (j < len && isdigit((unsigned char)s[j])) j++;
        if (j - y != 4 || s[j] != '-') continue;
        j++;
        size_t d = j;
        while (j < len && isdigit((unsigned char)s[j]) && j - d < 12) j++;
        if (j - d < 4) continue;
        snprintf(ids[n++], 64, "CVE-%.4s-%.*s", s + y, (int)(j - d), s + d);
        i = j - 1;
    }
    /* other advisory ids: TOKEN-digits... (XSA-182, GHSA-xxxx-..) not starting with CVE */
    for (size_t i = 0; i < len && n < max;) {
        while (i < len && !is_idchar((unsigned char)s[i])) i++;
        size_t st = i;
        while (i < len && is_idchar((unsigned char)s[i])) i++;
        size_t tl = i - st;
        if (!tl || tl >= 64 || !strncasecmp(s + st, "CVE", 3)) continue;
        /* a letters-only prefix and a "-<digit>" part: XSA-182, wnpa-sec-2017-18 */
        bool dashdigit = false, alpha_prefix = true;
        size_t k = st;
        while (k < i && s[k] != '-') alpha_prefix &= isalpha((unsigned char)s[k++]) != 0;
        for (; k + 1 < i; k++)
            if (s[k] == '-' && isdigit((unsigned char)s[k + 1])) dashdigit = true;
        if (k == st || !alpha_prefix || (!dashdigit && strncmp(s + st, "GHSA-", 5))) continue;
        snprintf(ids[n++], 64, "%.*s", (int)tl, s + st);
    }
    return n;
}

/* ---- import by path ----------------------------------------------------- */

int dd_feed_import_path(dd_vulndb_t *db, const char *path, const char *format, const char *feed,
                        dd_feed_stats_t *st, dd_err_t *e)
{
    struct stat sb;
    if (stat(path, &sb) != 0) return dd_err_errno(e, DD_EIO, errno, "cannot stat '%s'", path);
    if (S_ISDIR(sb.st_mode)) {
        if (format && strcmp(format, "osv"))
            return dd_err(e, DD_EINVAL, "'%s': a directory can only hold osv records", path);
        return dd_feed_osv_import_dir(db, path, feed, st, e);
    }
    uint8_t head[65536];
    size_t n = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return dd_err_errno(e, DD_EIO, errno, "cannot open '%s'", path);
    ssize_t r;
    while (n < sizeof head && (r = read(fd, head + n, sizeof head - n)) > 0) n += (size_t)r;
    close(fd);
    if (n >= 4 && !memcmp(head, "PK\3\4", 4)) {
        if (format && strcmp(format, "osv"))
            return dd_err(e, DD_EINVAL, "'%s': a zip can only hold osv records", path);
        return dd_feed_osv_import_zip(db, path, NULL, 0, feed, st, e);
    }
    const dd_feed_t *f = format ? dd_feed_find(format) : dd_feed_detect(head, n);
    if (!f) {
        if (format) return dd_err(e, DD_EINVAL, "unknown feed format '%s'", format);
        return dd_err(e, DD_EUNSUPPORTED, "'%s': not a known feed format", path);
    }
    dd_buf_t b;
    dd_buf_init(&b, DD_FEED_MAX_DOC);
    int rc = dd_file_read(path, DD_FEED_MAX_DOC, &b, e);
    if (rc == DD_OK) rc = f->import_mem(db, feed, (const uint8_t *)b.ptr, b.len, st, e);
    dd_buf_release(&b);
    if (rc && e && !strstr(e->msg, path)) {
        char tmp[sizeof e->msg];
        snprintf(tmp, sizeof tmp, "%s", e->msg);
        dd_err(e, rc, "'%s': %s", path, tmp);
    }
    return rc;
}

/* ---- import of a directory tree ------------------------------------------- */

static int visible(const struct dirent *d) { return d->d_name[0] != '.'; }

static bool head_is_osv(const char *path)
{
    uint8_t head[65536];
    size_t n = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    ssize_t r;
    while (n < sizeof head && (r = read(fd, head + n, sizeof head - n)) > 0) n += (size_t)r;
    close(fd);
    const dd_feed_t *f = dd_feed_detect(head, n);
    return f && !strcmp(f->name, "osv");
}

static int tree(dd_vulndb_t *db, const char *dir, int depth,
                int (*done)(const char *, const dd_feed_stats_t *, void *), void *arg, dd_err_t *e)
{
    if (depth > 8) return DD_OK;
    struct dirent **list = NULL;
    int n = scandir(dir, &list, visible, alphasort);
    if (n < 0) return dd_err_errno(e, DD_EIO, errno, "cannot read directory '%s'", dir);
    char **paths = dd_calloc((size_t)n + 1, sizeof *paths);
    int nzip = 0, njson = 0, first_json = -1;
    for (int i = 0; i < n; i++) {
        paths[i] = dd_asprintf("%s/%s", dir, list[i]->d_name);
        if (dd_str_endswith(list[i]->d_name, ".zip")) nzip++;
        else if (dd_str_endswith(list[i]->d_name, ".json")) {
            if (first_json < 0) first_json = i;
            njson++;
        }
    }
    int rc = DD_OK;
    bool osv_dir = !nzip && njson && head_is_osv(paths[first_json]);
    if (osv_dir) {
        dd_feed_stats_t st = {0};
        rc = dd_feed_osv_import_dir(db, dir, NULL, &st, e);
        if (!rc && done) rc = done(dir, &st, arg);
    }
    for (int i = 0; i < n && !rc && !osv_dir; i++) {
        struct stat sb;
        if (stat(paths[i], &sb) != 0) continue;
        bool is_zip = dd_str_endswith(list[i]->d_name, ".zip");
        bool is_json = dd_str_endswith(list[i]->d_name, ".json");
        if (S_ISDIR(sb.st_mode)) {
            rc = tree(db, paths[i], depth + 1, done, arg, e);
        } else if (S_ISREG(sb.st_mode) && (is_zip || (is_json && !nzip))) {
            dd_feed_stats_t st = {0};
            rc = dd_feed_import_path(db, paths[i], NULL, NULL, &st, e);
            if (!rc && done) rc = done(paths[i], &st, arg);
        }
    }
    for (int i = 0; i < n; i++) {
        free(paths[i]);
        free(list[i]);
    }
    free(paths);
    free(list);
    return rc;
}

int dd_feed_import_tree(dd_vulndb_t *db, const char *dir,
                        int (*done)(const char *path, const dd_feed_stats_t *st, void *arg), void *arg,
                        dd_err_t *e)
{
    return tree(db, dir, 0, done, arg, e);
}
