/*
 * feeds.c: the feed registry (one sorted static table), format detection,
 * dd_feed_import_path() (file, directory, zip, tar or compressed file), and
 * helpers shared by the importers.
 */
#include "feeds_int.h"

#include <archive.h>
#include <archive_entry.h>

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
    &dd_feed_alas,
    &dd_feed_alpine_secdb,
    &dd_feed_csaf_vex,
    &dd_feed_cve5,
    &dd_feed_debian_tracker,
    &dd_feed_epss,
    &dd_feed_kev,
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

/* ---- walking a directory tree or a zip of JSON documents ------------------ */

static int visible(const struct dirent *d) { return d->d_name[0] != '.'; }

static int walk_json(const char *dir, int depth, long *nfiles, feeds_doc_fn fn, void *arg, dd_buf_t *b,
                     dd_feed_stats_t *st, dd_err_t *e)
{
    if (depth > 8) return DD_OK;
    struct dirent **list = NULL;
    int n = scandir(dir, &list, visible, alphasort);
    if (n < 0) return dd_err_errno(e, DD_EIO, errno, "cannot read directory '%s'", dir);
    int rc = DD_OK;
    for (int i = 0; i < n; i++) {
        char *p = dd_asprintf("%s/%s", dir, list[i]->d_name);
        struct stat sb;
        if (rc == DD_OK && stat(p, &sb) == 0) {
            if (S_ISDIR(sb.st_mode)) {
                rc = walk_json(p, depth + 1, nfiles, fn, arg, b, st, e);
            } else if (S_ISREG(sb.st_mode) && dd_str_endswith(list[i]->d_name, ".json")) {
                if (++*nfiles > DD_FEED_MAX_ENTRIES) {
                    rc = dd_err(e, DD_ELIMIT, "more than %d files under '%s'", DD_FEED_MAX_ENTRIES, dir);
                } else {
                    dd_err_t fe = {0};
                    dd_buf_reset(b);
                    if (dd_file_read(p, DD_FEED_MAX_RECORD, b, &fe) != DD_OK) {
                        st->skipped++;
                        dd_feed_stats_msg(st, "%s: %s", list[i]->d_name, fe.msg);
                    } else {
                        rc = fn(list[i]->d_name, (const uint8_t *)b->ptr, b->len, arg);
                    }
                }
            }
        }
        free(p);
        free(list[i]);
    }
    free(list);
    return rc;
}

int feeds_each_json_dir(const char *dir, feeds_doc_fn fn, void *arg, dd_feed_stats_t *st, dd_err_t *e)
{
    long nfiles = 0;
    dd_buf_t b;
    dd_buf_init(&b, DD_FEED_MAX_RECORD);
    int rc = walk_json(dir, 0, &nfiles, fn, arg, &b, st, e);
    dd_buf_release(&b);
    return rc;
}

int feeds_each_json_zip(const char *path, const uint8_t *mem, size_t len, feeds_doc_fn fn, void *arg,
                        dd_feed_stats_t *st, dd_err_t *e)
{
    struct archive *ar = archive_read_new();
    archive_read_support_format_zip(ar);
    int r = path ? archive_read_open_filename(ar, path, 1 << 16) : archive_read_open_memory(ar, mem, len);
    if (r != ARCHIVE_OK) {
        int rc = dd_err(e, DD_EINVAL, "cannot open zip '%s': %s", path ? path : "(memory)", archive_error_string(ar));
        archive_read_free(ar);
        return rc;
    }
    dd_buf_t b;
    dd_buf_init(&b, DD_FEED_MAX_RECORD);
    struct archive_entry *ent;
    long entries = 0;
    int rc = DD_OK;
    while ((r = archive_read_next_header(ar, &ent)) == ARCHIVE_OK) {
        if (++entries > DD_FEED_MAX_ENTRIES) {
            rc = dd_err(e, DD_ELIMIT, "zip has more than %d entries", DD_FEED_MAX_ENTRIES);
            break;
        }
        const char *name = archive_entry_pathname(ent);
        if (!name || archive_entry_filetype(ent) != AE_IFREG || !dd_str_endswith(name, ".json")) continue;
        if (archive_entry_size_is_set(ent) && archive_entry_size(ent) > (la_int64_t)DD_FEED_MAX_RECORD) {
            st->skipped++;
            dd_feed_stats_msg(st, "%s: entry larger than %u bytes", name, DD_FEED_MAX_RECORD);
            continue;
        }
        dd_buf_reset(&b);
        char chunk[65536];
        la_ssize_t n;
        bool too_big = false;
        while ((n = archive_read_data(ar, chunk, sizeof chunk)) > 0)
            if (dd_buf_append(&b, chunk, (size_t)n) != DD_OK) {
                too_big = true;
                break;
            }
        if (n < 0) {
            st->skipped++;
            dd_feed_stats_msg(st, "%s: %s", name, archive_error_string(ar));
            rc = dd_err(e, DD_ECORRUPT, "corrupt zip entry '%s': %s", name, archive_error_string(ar));
            break;
        }
        if (too_big) {
            st->skipped++;
            dd_feed_stats_msg(st, "%s: entry too large", name);
            continue;
        }
        if ((rc = fn(name, (const uint8_t *)b.ptr, b.len, arg))) break;
    }
    if (rc == DD_OK && r != ARCHIVE_EOF)
        rc = dd_err(e, DD_ECORRUPT, "corrupt zip '%s': %s", path ? path : "(memory)", archive_error_string(ar));
    dd_buf_release(&b);
    archive_read_free(ar);
    return rc;
}

typedef struct first_doc {
    const dd_feed_t *f;
} first_doc_t;

static int detect_first(const char *name, const uint8_t *data, size_t len, void *arg)
{
    (void)name;
    first_doc_t *d = arg;
    d->f = dd_feed_detect(data, len < 65536 ? len : 65536);
    return 1; /* stop after the first document */
}

const dd_feed_t *feeds_detect_dir(const char *dir)
{
    first_doc_t d = {NULL};
    dd_feed_stats_t st = {0};
    feeds_each_json_dir(dir, detect_first, &d, &st, NULL);
    return d.f;
}

const dd_feed_t *feeds_detect_zip(const char *path)
{
    first_doc_t d = {NULL};
    dd_feed_stats_t st = {0};
    feeds_each_json_zip(path, NULL, 0, detect_first, &d, &st, NULL);
    return d.f;
}

/* ---- reading files as the importers see them ------------------------------ */

static bool compressed_magic(const uint8_t *h, size_t n)
{
    return (n >= 2 && h[0] == 0x1f && h[1] == 0x8b) ||                              /* gzip */
           (n >= 4 && !memcmp(h, "\x28\xb5\x2f\xfd", 4)) ||                          /* zstd */
           (n >= 6 && !memcmp(h, "\xfd" "7zXZ\0", 6)) || (n >= 3 && !memcmp(h, "BZh", 3)); /* xz, bzip2 */
}

static bool tar_magic(const uint8_t *h, size_t n)
{
    return n >= 262 && !memcmp(h + 257, "ustar", 5);
}

static size_t read_head(const char *path, uint8_t *head, size_t cap)
{
    size_t n = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t r;
    while (n < cap && (r = read(fd, head + n, cap - n)) > 0) n += (size_t)r;
    close(fd);
    return n;
}

static struct archive *open_any(const char *path, bool tar)
{
    struct archive *a = archive_read_new();
    archive_read_support_filter_all(a);
    if (tar) archive_read_support_format_tar(a);
    archive_read_support_format_raw(a);
    if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK) {
        archive_read_free(a);
        return NULL;
    }
    return a;
}

int feeds_sniff(const char *path, uint8_t *head, size_t cap, size_t *n_out, bool *is_tar, bool *is_compressed)
{
    size_t n = read_head(path, head, cap);
    *is_tar = tar_magic(head, n);
    *is_compressed = compressed_magic(head, n);
    *n_out = n;
    if (!*is_tar && !*is_compressed) return DD_OK;
    *n_out = 0;
    struct archive *a = open_any(path, true);
    if (!a) return DD_ECORRUPT;
    struct archive_entry *ent;
    n = 0;
    while (archive_read_next_header(a, &ent) == ARCHIVE_OK) {
        bool raw = archive_format(a) == ARCHIVE_FORMAT_RAW;
        if (!raw) {
            *is_tar = true;
            const char *name = archive_entry_pathname(ent);
            if (archive_entry_filetype(ent) != AE_IFREG || !name || !dd_str_endswith(name, ".json")) continue;
        }
        la_ssize_t r;
        while (n < cap && (r = archive_read_data(a, head + n, cap - n)) > 0) n += (size_t)r;
        break;
    }
    archive_read_free(a);
    *n_out = n;
    return DD_OK;
}

int feeds_read_file(const char *path, size_t max, dd_buf_t *b, dd_err_t *e)
{
    uint8_t h[8];
    size_t n = read_head(path, h, sizeof h);
    if (!compressed_magic(h, n)) return dd_file_read(path, max, b, e);
    struct archive *a = open_any(path, false);
    struct archive_entry *ent;
    if (!a || archive_read_next_header(a, &ent) != ARCHIVE_OK) {
        if (a) archive_read_free(a);
        return dd_err(e, DD_ECORRUPT, "cannot decompress '%s'", path);
    }
    char chunk[65536];
    la_ssize_t r;
    int rc = DD_OK;
    while ((r = archive_read_data(a, chunk, sizeof chunk)) > 0)
        if (dd_buf_append(b, chunk, (size_t)r) != DD_OK) {
            rc = dd_err(e, DD_ELIMIT, "'%s' decompresses to more than %zu bytes", path, max);
            break;
        }
    if (rc == DD_OK && r < 0) rc = dd_err(e, DD_ECORRUPT, "corrupt compressed file '%s': %s", path, archive_error_string(a));
    archive_read_free(a);
    return rc;
}

/* The first *.json under dir (sorted, depth first), malloc'd, or NULL. */
static char *first_json(const char *dir, int depth)
{
    if (depth > 8) return NULL;
    struct dirent **list = NULL;
    int n = scandir(dir, &list, NULL, alphasort);
    if (n < 0) return NULL;
    char *found = NULL;
    for (int pass = 0; pass < 2 && !found; pass++)
        for (int i = 0; i < n && !found; i++) {
            if (list[i]->d_name[0] == '.') continue;
            char *p = dd_asprintf("%s/%s", dir, list[i]->d_name);
            struct stat sb;
            if (stat(p, &sb) == 0) {
                if (pass == 0 && S_ISREG(sb.st_mode) && dd_str_endswith(p, ".json")) found = dd_strdup(p);
                else if (pass == 1 && S_ISDIR(sb.st_mode)) found = first_json(p, depth + 1);
            }
            free(p);
        }
    for (int i = 0; i < n; i++) free(list[i]);
    free(list);
    return found;
}

/* ---- import by path ----------------------------------------------------- */

static int import_path(dd_vulndb_t *db, const char *path, const dd_feed_t *forced, const char *feed,
                       dd_feed_stats_t *st, dd_err_t *e)
{
    struct stat sb;
    if (stat(path, &sb) != 0) return dd_err_errno(e, DD_EIO, errno, "cannot stat '%s'", path);
    uint8_t *head = malloc(65536);
    if (!head) return dd_err(e, DD_ENOMEM, "out of memory");
    size_t n = 0;
    bool tar = false, comp = false;
    int rc;
    if (S_ISDIR(sb.st_mode)) {
        const dd_feed_t *f = forced;
        if (!f) {
            char *first = first_json(path, 0);
            if (first) f = dd_feed_detect(head, read_head(first, head, 65536));
            free(first);
        }
        free(head);
        if (f && f->import_path) return f->import_path(db, path, feed, st, e);
        if (forced && strcmp(forced->name, "osv"))
            return dd_err(e, DD_EINVAL, "'%s': a directory can only hold osv or cve5 records or csaf-vex documents", path);
        return dd_feed_osv_import_dir(db, path, feed, st, e);
    }
    n = read_head(path, head, 65536);
    if (n >= 4 && !memcmp(head, "PK\3\4", 4)) {
        free(head);
        const dd_feed_t *zf = forced ? forced : feeds_detect_zip(path);
        if (zf && zf->import_path && strcmp(zf->name, "osv")) return zf->import_path(db, path, feed, st, e);
        if (forced && strcmp(forced->name, "osv"))
            return dd_err(e, DD_EINVAL, "'%s': a zip can only hold osv or cve5 records", path);
        return dd_feed_osv_import_zip(db, path, NULL, 0, feed, st, e);
    }
    if (tar_magic(head, n) || compressed_magic(head, n)) feeds_sniff(path, head, 65536, &n, &tar, &comp);
    const dd_feed_t *f = forced ? forced : dd_feed_detect(head, n);
    free(head);
    if (!f) return dd_err(e, DD_EUNSUPPORTED, "'%s': not a known feed format", path);
    if (f->import_path) return f->import_path(db, path, feed, st, e);
    if (tar) return dd_err(e, DD_EINVAL, "'%s': a tar archive can only hold csaf-vex documents", path);
    dd_buf_t b;
    dd_buf_init(&b, DD_FEED_MAX_DOC);
    rc = feeds_read_file(path, DD_FEED_MAX_DOC, &b, e);
    if (rc == DD_OK) rc = f->import_mem(db, feed, (const uint8_t *)b.ptr, b.len, st, e);
    dd_buf_release(&b);
    return rc;
}

int dd_feed_import_path(dd_vulndb_t *db, const char *path, const char *format, const char *feed,
                        dd_feed_stats_t *st, dd_err_t *e)
{
    const dd_feed_t *forced = NULL;
    if (format && !(forced = dd_feed_find(format))) return dd_err(e, DD_EINVAL, "unknown feed format '%s'", format);
    int rc = import_path(db, path, forced, feed, st, e);
    if (rc && e && !strstr(e->msg, path)) {
        char tmp[sizeof e->msg];
        snprintf(tmp, sizeof tmp, "%s", e->msg);
        dd_err(e, rc, "'%s': %s", path, tmp);
    }
    return rc;
}

/* ---- import of a directory tree ------------------------------------------- */

/* True if every entry of dir is a directory named like the vulnrichment
 * repository's <year> ("2024") or <NNxxx> ("12xxx") folders. */
static bool vulnrichment_layout(const char *dir, struct dirent **list, int n)
{
    for (int i = 0; i < n; i++) {
        const char *nm = list[i]->d_name;
        size_t len = strlen(nm), digits = 0;
        while (digits < len && isdigit((unsigned char)nm[digits])) digits++;
        bool year = len == 4 && digits == 4;
        bool bucket = digits >= 1 && len == digits + 3 && !strcmp(nm + digits, "xxx");
        if (!year && !bucket) return false;
        char *p = dd_asprintf("%s/%s", dir, nm);
        struct stat sb;
        bool isdir = stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
        free(p);
        if (!isdir) return false;
    }
    return true;
}

/* The format of the file at path, from its first 64 KiB. */
static const dd_feed_t *detect_file(const char *path)
{
    uint8_t *head = malloc(65536);
    if (!head) return NULL;
    const dd_feed_t *f = dd_feed_detect(head, read_head(path, head, 65536));
    free(head);
    return f;
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
    const dd_feed_t *first = !nzip && njson ? detect_file(paths[first_json]) : NULL;
    bool whole_dir = first && !strcmp(first->name, "osv");
    if (!nzip && !njson && n > 0 && vulnrichment_layout(dir, list, n)) {
        /* a tree of CVE JSON 5 records (vulnrichment: <year>/<NNxxx>/CVE-*.json) is one import */
        const dd_feed_t *f = feeds_detect_dir(dir);
        if (f && !strcmp(f->name, "cve5")) first = f;
    }
    if (whole_dir) {
        dd_feed_stats_t st = {0};
        rc = dd_feed_osv_import_dir(db, dir, NULL, &st, e);
        if (!rc && done) rc = done(dir, &st, arg);
    } else if (first && first->import_path) {
        /* a directory of documents of a format with import_path (cve5, csaf-vex): one import */
        dd_feed_stats_t st = {0};
        rc = first->import_path(db, dir, NULL, &st, e);
        if (!rc && done) rc = done(dir, &st, arg);
        whole_dir = true; /* its files are done */
    }
    for (int i = 0; i < n && !rc && !whole_dir; i++) {
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
