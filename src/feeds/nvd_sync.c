/*
 * nvd_sync.c: dd_nvd_sync(), a complete local copy of NVD through the CVE
 * API 2.0 (https://nvd.nist.gov/developers/vulnerabilities), see dbsync.h.
 *
 *   full:        GET URL?resultsPerPage=2000&startIndex=S for S = 0, 2000, ...
 *                until totalResults (the next S is startIndex plus the
 *                records the page really held, so a server that pages
 *                smaller is followed)
 *   incremental: the same paging per lastModStartDate/lastModEndDate window
 *                of at most window_days (the API refuses more than 120),
 *                from the last completed sync to now
 *
 * The last completed sync is kept in the database: feed row "nvd" with
 * etag SYNC_MARK, source the API URL and last_modified the RFC 3339 time the
 * sync covers up to. A full sync therefore happens on a new database, when
 * the URL changes, or after a plain `db import` of an NVD page.
 *
 * Resuming (design note, states of state_dir/state.json):
 *   NONE -> FETCHING {url, full, since, until, windows, window, next, total,
 *   pages, records} (rewritten atomically after each page file is renamed
 *   into place) -> FETCHED (done: true) -> removed by dd_nvd_sync_finish()
 *   after the database update that imported the pages is committed.
 *   A state whose url/full/since do not match what the database implies is
 *   stale (its sync was committed, or the URL changed) and is discarded.
 *
 * Rate limit: at most rate_max requests per rolling rate_window_ms (NVD: 5
 * per 30 s public, 50 with an apiKey); retries of 403/429/503 are done by
 * dd_fetch_file() with backoff and Retry-After.
 */
#include "feeds_int.h"

#include "dd/dbsync.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SYNC_MARK "nvd-api-2.0-sync"
#define MAX_PAGES 100000

typedef struct state {
    char url[1024];
    bool full, done;
    char since[32], until[32]; /* RFC 3339 UTC, since empty for full */
    int windows, window;       /* window: 0-based, the one being fetched */
    long next, total;          /* startIndex to ask next in this window; its totalResults */
    int pages;
    long records;
} state_t;

typedef struct limiter {
    int64_t *ts; /* monotonic ms of the last requests, a ring */
    int max, n, head;
    long window_ms;
} limiter_t;

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void limiter_wait(limiter_t *l)
{
    if (l->n == l->max) {
        int64_t wait = l->ts[l->head] + l->window_ms - mono_ms();
        if (wait > 0) {
            struct timespec ts = {wait / 1000, (wait % 1000) * 1000000L};
            while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
            }
        }
    }
    l->ts[l->head] = mono_ms();
    l->head = (l->head + 1) % l->max;
    if (l->n < l->max) l->n++;
}

static bool parse_time(const char *s, time_t *out)
{
    struct tm tm = {0};
    const char *end = s && *s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
    if (!end) return false;
    *out = timegm(&tm);
    return true;
}

static void fmt_time(time_t t, char out[32])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The API's date form: 2024-01-31T00:00:00.000+00:00, '+' percent-encoded. */
static void api_time(const char *rfc, char out[48])
{
    time_t t = 0;
    parse_time(rfc, &t);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 48, "%Y-%m-%dT%H:%M:%S.000%%2B00:00", &tm);
}

static char *state_path(const char *dir) { return dd_asprintf("%s/state.json", dir); }
static char *page_path(const char *dir, int n) { return dd_asprintf("%s/page-%06d.json", dir, n); }

static bool state_load(const char *dir, state_t *s)
{
    char *p = state_path(dir);
    json_error_t je;
    json_t *j = json_load_file(p, 0, &je);
    free(p);
    if (!json_is_object(j)) {
        json_decref(j);
        return false;
    }
    memset(s, 0, sizeof *s);
    const char *v;
    if ((v = feeds_jstr(j, "url"))) snprintf(s->url, sizeof s->url, "%s", v);
    if ((v = feeds_jstr(j, "since"))) snprintf(s->since, sizeof s->since, "%s", v);
    if ((v = feeds_jstr(j, "until"))) snprintf(s->until, sizeof s->until, "%s", v);
    s->full = json_is_true(json_object_get(j, "full"));
    s->done = json_is_true(json_object_get(j, "done"));
    s->windows = (int)json_integer_value(json_object_get(j, "windows"));
    s->window = (int)json_integer_value(json_object_get(j, "window"));
    s->next = (long)json_integer_value(json_object_get(j, "next"));
    s->total = (long)json_integer_value(json_object_get(j, "total"));
    s->pages = (int)json_integer_value(json_object_get(j, "pages"));
    s->records = (long)json_integer_value(json_object_get(j, "records"));
    json_decref(j);
    return s->url[0] && s->until[0] && s->pages >= 0 && s->pages <= MAX_PAGES && s->windows >= 0 &&
           s->window >= 0 && s->next >= 0;
}

static int state_save(const char *dir, const state_t *s, dd_err_t *e)
{
    json_t *j = json_pack("{s:s,s:b,s:b,s:s,s:s,s:i,s:i,s:I,s:I,s:i,s:I}", "url", s->url, "full", s->full, "done",
                          s->done, "since", s->since, "until", s->until, "windows", s->windows, "window", s->window,
                          "next", (json_int_t)s->next, "total", (json_int_t)s->total, "pages", s->pages, "records",
                          (json_int_t)s->records);
    char *txt = j ? json_dumps(j, JSON_INDENT(1)) : NULL;
    json_decref(j);
    if (!txt) return dd_err(e, DD_ENOMEM, "nvd: cannot encode the sync state");
    char *p = state_path(dir);
    int rc = dd_file_write_atomic(p, txt, strlen(txt), e);
    free(p);
    free(txt);
    return rc;
}

void dd_nvd_sync_finish(const char *state_dir)
{
    DIR *d = opendir(state_dir);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (!dd_str_startswith(de->d_name, "page-") && strcmp(de->d_name, "state.json") &&
            !dd_str_startswith(de->d_name, "state.json.tmp") && !dd_str_startswith(de->d_name, "part-"))
            continue;
        char *f = dd_asprintf("%s/%s", state_dir, de->d_name);
        unlink(f);
        free(f);
    }
    if (d) closedir(d);
    rmdir(state_dir);
}

/* Checks a fetched page; count gets its number of records. */
static int check_page(const char *path, long want_start, long *count, long *total, dd_err_t *e)
{
    dd_buf_t b;
    dd_buf_init(&b, DD_FEED_MAX_DOC);
    int rc = dd_file_read(path, DD_FEED_MAX_DOC, &b, e);
    json_t *j = rc ? NULL : feeds_json_parse((const uint8_t *)b.ptr, b.len, e);
    dd_buf_release(&b);
    if (rc) return rc;
    if (!j) return e ? e->code : DD_EINVAL;
    json_t *v = json_object_get(j, "vulnerabilities"), *t = json_object_get(j, "totalResults"),
           *si = json_object_get(j, "startIndex");
    if (!json_is_array(v) || !json_is_integer(t) || json_integer_value(t) < 0)
        rc = dd_err(e, DD_EINVAL, "not an nvd api page (no vulnerabilities array or totalResults)");
    else if (si && json_is_integer(si) && json_integer_value(si) != want_start)
        rc = dd_err(e, DD_EINVAL, "page answers startIndex %lld, asked %ld", (long long)json_integer_value(si),
                    want_start);
    else {
        *count = (long)json_array_size(v);
        *total = (long)json_integer_value(t);
    }
    json_decref(j);
    return rc;
}

static void report(const dd_nvd_sync_opts_t *o, const state_t *s, bool importing)
{
    if (!o->progress) return;
    dd_nvd_progress_t p = {.full = s->full, .window = s->window + 1, .n_windows = s->windows, .pages = s->pages,
                           .records = s->records, .total = s->total, .importing = importing};
    o->progress(o->progress_arg, &p);
}

static int fetch_all(const dd_nvd_sync_opts_t *o, state_t *s, dd_nvd_sync_result_t *r, dd_err_t *e)
{
    int page_size = o->page_size > 0 ? o->page_size : 2000;
    bool key = o->api_key && o->api_key[0];
    limiter_t lim = {.max = o->rate_max > 0 ? o->rate_max : key ? 50 : 5,
                     .window_ms = o->rate_window_ms > 0 ? o->rate_window_ms : 30000};
    lim.ts = dd_calloc((size_t)lim.max, sizeof *lim.ts);
    char *keyhdr = key ? dd_asprintf("apiKey: %s", o->api_key) : NULL;
    const char *hdrs[] = {keyhdr, NULL};
    dd_fetch_opts_t fo = {.headers = key ? hdrs : NULL, .backoff_ms = o->backoff_ms, .max_attempts = o->max_attempts,
                          .max_bytes = DD_FEED_MAX_DOC};
    time_t since = 0, until = 0;
    parse_time(s->since, &since);
    parse_time(s->until, &until);
    long wsec = (long)(o->window_days > 0 ? o->window_days : 120) * 86400L;
    const char *sep = strchr(o->url, '?') ? "&" : "?";
    int rc = DD_OK;
    char *part = dd_asprintf("%s/part-%ld.json", o->state_dir, (long)getpid());
    while (!rc && s->window < (s->full ? 1 : s->windows)) {
        dd_buf_t url;
        dd_buf_init(&url, 0);
        dd_buf_printf(&url, "%s%sresultsPerPage=%d&startIndex=%ld", o->url, sep, page_size, s->next);
        if (!s->full) {
            char a[32], b[32], qa[48], qb[48];
            time_t ws = since + (time_t)s->window * wsec, we = ws + wsec;
            if (we > until || s->window + 1 == s->windows) we = until;
            fmt_time(ws, a);
            fmt_time(we, b);
            api_time(a, qa);
            api_time(b, qb);
            dd_buf_printf(&url, "&lastModStartDate=%s&lastModEndDate=%s", qa, qb);
        }
        limiter_wait(&lim);
        dd_fetch_result_t fr;
        rc = dd_fetch_file(url.ptr, part, &fo, &fr, e);
        r->requests += fr.attempts;
        if (!rc && fr.status != 200) rc = dd_err(e, DD_EIO, "nvd: HTTP %ld from %s", fr.status, url.ptr);
        long count = 0, total = 0;
        if (!rc && (rc = check_page(part, s->next, &count, &total, e)) != DD_OK) {
            char tmp[sizeof e->msg];
            snprintf(tmp, sizeof tmp, "%s", e ? e->msg : "");
            rc = dd_err(e, rc, "nvd: %s: %s", url.ptr, tmp);
        }
        if (!rc && count == 0 && s->next < total)
            rc = dd_err(e, DD_EINVAL, "nvd: %s: empty page before totalResults %ld", url.ptr, total);
        if (!rc && s->pages >= MAX_PAGES) rc = dd_err(e, DD_ELIMIT, "nvd: more than %d pages", MAX_PAGES);
        if (!rc) {
            char *pp = page_path(o->state_dir, s->pages);
            if (rename(part, pp) != 0) rc = dd_err_errno(e, DD_EIO, errno, "nvd: cannot keep page '%s'", pp);
            free(pp);
        }
        if (!rc) {
            s->pages++;
            s->records += count;
            s->total = total;
            s->next += count;
            if (s->next >= total) {
                s->window++;
                s->next = 0;
            }
            rc = state_save(o->state_dir, s, e);
            report(o, s, false);
        }
        dd_buf_release(&url);
    }
    unlink(part);
    free(part);
    free(keyhdr);
    free(lim.ts);
    return rc;
}

int dd_nvd_sync(dd_vulndb_t *db, const dd_nvd_sync_opts_t *o, dd_nvd_sync_result_t *r, dd_err_t *e)
{
    memset(r, 0, sizeof *r);
    if (!o->url || !o->url[0] || !o->state_dir) return dd_err(e, DD_EINVAL, "nvd: no api url or state directory");
    int rc = dd_mkdirs(o->state_dir, 0755, e);
    if (rc) return rc;
    /* what the database implies: full, or windows since its last sync */
    dd_vulndb_feed_info_t prev;
    time_t last = 0, now = o->now ? o->now : time(NULL);
    bool incremental = dd_vulndb_get_feed(db, "nvd", &prev) == DD_OK && !strcmp(prev.etag, SYNC_MARK) &&
                       !strcmp(prev.source, o->url) && parse_time(prev.last_modified, &last);
    if (incremental && last > now) now = last; /* a clock that went back: one empty window */
    state_t s;
    if (state_load(o->state_dir, &s) && !strcmp(s.url, o->url) && s.full == !incremental &&
        (!incremental || !strcmp(s.since, prev.last_modified))) {
        r->resumed = true;
    } else {
        dd_nvd_sync_finish(o->state_dir); /* stale or none */
        if ((rc = dd_mkdirs(o->state_dir, 0755, e))) return rc;
        memset(&s, 0, sizeof s);
        snprintf(s.url, sizeof s.url, "%s", o->url);
        s.full = !incremental;
        if (incremental) snprintf(s.since, sizeof s.since, "%s", prev.last_modified);
        fmt_time(now, s.until);
        long wsec = (long)(o->window_days > 0 ? o->window_days : 120) * 86400L;
        s.windows = incremental ? (int)(((long)(now - last) + wsec - 1) / wsec) : 0;
        if (incremental && s.windows == 0) s.windows = 1;
        if ((rc = state_save(o->state_dir, &s, e))) return rc;
    }
    r->full = s.full;
    r->windows = s.windows;
    snprintf(r->since, sizeof r->since, "%s", s.since);
    snprintf(r->until, sizeof r->until, "%s", s.until);
    if (!s.done) {
        if ((rc = fetch_all(o, &s, r, e))) return rc;
        s.done = true;
        if ((rc = state_save(o->state_dir, &s, e))) return rc;
    }
    report(o, &s, true);
    /* import every page in one savepoint: all of this sync or none of it */
    dd_vulndb_rec_begin(db);
    for (int i = 0; i < s.pages && !rc; i++) {
        char *pp = page_path(o->state_dir, i);
        rc = dd_feed_import_path(db, pp, "nvd", "nvd", &r->st, e);
        free(pp);
    }
    /* the feed row counts every NVD record held, not just this sync's */
    dd_vulndb_status_t vs;
    long held = !rc && dd_vulndb_status(db, &vs) == DD_OK ? vs.n_nvd : r->st.records;
    if (!rc) dd_vulndb_status_release(&vs);
    if (!rc) rc = dd_vulndb_set_feed(db, "nvd", o->url, SYNC_MARK, s.until, held, r->st.skipped, e);
    dd_vulndb_rec_end(db, rc == DD_OK);
    r->pages = s.pages;
    return rc;
}
