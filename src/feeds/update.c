/*
 * update.c: dd_feeds_update(), one `drydock db update` run as library code
 * (see dbsync.h): the caller (src/cli/cmd_db.c) turns flags into jobs and
 * prints the events; this file downloads, imports and swaps.
 *
 * Per job: skipped when its importer is absent; NVD through dd_nvd_sync();
 * otherwise resolve the URL (CSAF: archive_latest.txt; mirror: mirror.list
 * and repomd.xml), fetch it (conditional when the URL is the stored one),
 * and on 200 clear the feed and import the file in one savepoint. The
 * database update is committed if any job changed something.
 */
#include "dd/dbsync.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct prog {
    const dd_update_opts_t *o;
    const char *feed;
} prog_t;

static void on_bytes(void *arg, long long done, long long total)
{
    prog_t *p = arg;
    if (p->o->on_progress) p->o->on_progress(p->o->arg, p->feed, done, total);
}

static void on_nvd(void *arg, const dd_nvd_progress_t *np)
{
    prog_t *p = arg;
    if (p->o->on_nvd_progress) p->o->on_nvd_progress(p->o->arg, np);
}

/* The archive name from BASE/archive_latest.txt: one line, a plain file name. */
static int csaf_latest(const char *base, const char *tmp, const dd_fetch_opts_t *fo, char *url, size_t usz,
                       dd_err_t *e)
{
    char *lu = dd_asprintf("%s/archive_latest.txt", base);
    dd_fetch_result_t fr;
    int rc = dd_fetch_file(lu, tmp, fo, &fr, e);
    if (!rc && fr.status != 200) rc = dd_err(e, DD_EIO, "%s: HTTP %ld", lu, fr.status);
    free(lu);
    if (rc) return rc;
    dd_buf_t b;
    dd_buf_init(&b, 4096);
    rc = dd_file_read(tmp, 4096, &b, e);
    if (rc) {
        dd_buf_release(&b);
        return rc;
    }
    size_t l = 0;
    while (l < b.len && b.ptr[l] != '\n' && b.ptr[l] != '\r') l++;
    bool ok = l > 0 && b.ptr[0] != '.';
    for (size_t i = 0; i < l; i++) {
        char c = b.ptr[i];
        ok &= (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-';
    }
    if (ok) snprintf(url, usz, "%s/%.*s", base, (int)l, b.ptr);
    else rc = dd_err(e, DD_EINVAL, "%s/archive_latest.txt does not name an archive", base);
    dd_buf_release(&b);
    return rc;
}

/* tmp, or tmp-NAME when the URL ends in a plain file name NAME (kept for
 * importers that go by the extension: .tar.zst, .xml.gz). */
static char *download_name(const char *tmp, const char *url)
{
    size_t end = strcspn(url, "?#");
    size_t start = end;
    while (start > 0 && url[start - 1] != '/') start--;
    bool ok = end > start && end - start < 128 && url[start] != '.';
    for (size_t i = start; ok && i < end; i++) {
        char c = url[i];
        ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
             c == '-';
    }
    return ok ? dd_asprintf("%s-%.*s", tmp, (int)(end - start), url + start) : dd_strdup(tmp);
}

static int import_download(dd_vulndb_t *db, const dd_update_job_t *j, const char *path, const char *dir,
                           dd_feed_stats_t *st, dd_err_t *e)
{
    if (j->kind == DD_SRC_ARCHIVE) {
        unsigned char head[4] = {0};
        FILE *f = fopen(path, "rb");
        size_t n = f ? fread(head, 1, sizeof head, f) : 0;
        if (f) fclose(f);
        if (!(n == 4 && !memcmp(head, "PK\3\4", 4))) {
            /* a tar (gz, zst, xz, bz2): import the extracted tree */
            dd_fetch_remove_tree(dir);
            int rc = dd_fetch_extract_tar(path, dir, e);
            if (!rc) rc = dd_feed_import_path(db, dir, j->format, j->feed, st, e);
            dd_fetch_remove_tree(dir);
            return rc;
        }
    }
    return dd_feed_import_path(db, path, j->format, j->feed, st, e);
}

static void emit(const dd_update_opts_t *o, const dd_update_event_t *ev, dd_update_summary_t *sum)
{
    switch (ev->outcome) {
    case DD_UPD_CHANGED: sum->changed++; break;
    case DD_UPD_UNCHANGED: sum->unchanged++; break;
    case DD_UPD_NOT_FOUND: sum->not_found++; break;
    case DD_UPD_FAILED: sum->failed++; break;
    case DD_UPD_SKIPPED: sum->skipped++; break;
    }
    if (o->on_result) o->on_result(o->arg, ev);
}

static void run_nvd(dd_vulndb_t *db, const dd_update_job_t *j, const dd_update_opts_t *o, const char *state,
                    prog_t *pa, dd_update_summary_t *sum, bool *synced)
{
    dd_nvd_sync_opts_t no = {
        .url = j->url,
        .api_key = o->nvd_api_key,
        .state_dir = state,
        .page_size = o->nvd_page_size,
        .window_days = o->nvd_window_days,
        .rate_window_ms = o->nvd_rate_window_ms,
        .backoff_ms = o->backoff_ms,
        .now = o->nvd_now,
        .progress = on_nvd,
        .progress_arg = pa,
    };
    dd_nvd_sync_result_t r;
    dd_err_t e = {0};
    dd_update_event_t ev = {.job = j, .url = j->url};
    if (dd_nvd_sync(db, &no, &r, &e)) {
        ev.outcome = DD_UPD_FAILED;
        ev.msg = e.msg;
    } else {
        ev.outcome = DD_UPD_CHANGED;
        ev.st = &r.st;
        ev.nvd = &r;
        *synced = true;
    }
    emit(o, &ev, sum);
}

static void run_file(dd_vulndb_t *db, const dd_update_job_t *j, const dd_update_opts_t *o, const char *tmp,
                     const char *tmpdir, prog_t *pa, dd_update_summary_t *sum)
{
    dd_err_t e = {0};
    char url[1200];
    snprintf(url, sizeof url, "%s", j->url);
    dd_fetch_opts_t fo = {.backoff_ms = o->backoff_ms, .max_bytes = o->max_bytes, .progress = on_bytes,
                          .progress_arg = pa};
    dd_update_event_t ev = {.job = j, .url = url};
    if ((j->kind == DD_SRC_CSAF && csaf_latest(j->url, tmp, &fo, url, sizeof url, &e)) ||
        (j->kind == DD_SRC_MIRROR && dd_alas_resolve(j->url, tmp, &fo, url, sizeof url, &e))) {
        ev.outcome = DD_UPD_FAILED;
        ev.msg = e.msg;
        emit(o, &ev, sum);
        return;
    }
    dd_vulndb_feed_info_t prev;
    /* conditional only against the same URL (the CSAF archive name changes) */
    if (dd_vulndb_get_feed(db, j->feed, &prev) == DD_OK && !strcmp(prev.source, url)) {
        fo.etag = prev.etag;
        fo.last_modified = prev.last_modified;
    }
    char *dl = download_name(tmp, url);
    dd_fetch_result_t fr;
    dd_feed_stats_t st = {0};
    char msg[sizeof e.msg];
    if (dd_fetch_file(url, dl, &fo, &fr, &e)) {
        ev.outcome = DD_UPD_FAILED;
        ev.msg = e.msg;
    } else if (fr.status == 304) {
        ev.outcome = DD_UPD_UNCHANGED;
    } else if (fr.status == 404) {
        ev.outcome = DD_UPD_NOT_FOUND;
    } else if (fr.status != 200) {
        ev.outcome = DD_UPD_FAILED;
        snprintf(msg, sizeof msg, "HTTP %ld from %s", fr.status, url);
        ev.msg = msg;
    } else {
        dd_vulndb_rec_begin(db);
        int rc = dd_vulndb_clear_feed(db, j->feed, &e);
        if (!rc) rc = import_download(db, j, dl, tmpdir, &st, &e);
        if (!rc) rc = dd_vulndb_set_feed(db, j->feed, url, fr.etag, fr.last_modified, st.records, st.skipped, &e);
        dd_vulndb_rec_end(db, rc == DD_OK);
        ev.outcome = rc ? DD_UPD_FAILED : DD_UPD_CHANGED;
        ev.importing = rc != DD_OK;
        ev.msg = rc ? e.msg : NULL;
        ev.st = &st;
    }
    emit(o, &ev, sum);
    if (strcmp(dl, tmp)) unlink(dl);
    free(dl);
}

int dd_feeds_update(const char *dbpath, const dd_update_job_t *jobs, size_t n, const dd_update_opts_t *o,
                    dd_update_summary_t *sum, dd_err_t *e)
{
    memset(sum, 0, sizeof *sum);
    dd_vulndb_update_t *u = NULL;
    int rc = dd_vulndb_update_begin(dbpath, &u, e);
    if (rc) return rc;
    dd_vulndb_t *db = dd_vulndb_update_db(u);
    char *tmp = dd_asprintf("%s.download.%ld", dbpath, (long)getpid());
    char *tmpdir = dd_asprintf("%s.d", tmp);
    char *state = dd_asprintf("%s.nvd-sync", dbpath);
    bool synced = false;
    for (size_t i = 0; i < n; i++) {
        const dd_update_job_t *j = &jobs[i];
        prog_t pa = {o, j->feed};
        if (!dd_feed_find(j->format)) {
            dd_update_event_t ev = {.job = j, .outcome = DD_UPD_SKIPPED, .url = j->url};
            emit(o, &ev, sum);
        } else if (j->kind == DD_SRC_NVD) {
            run_nvd(db, j, o, state, &pa, sum, &synced);
        } else {
            run_file(db, j, o, tmp, tmpdir, &pa, sum);
        }
    }
    unlink(tmp);
    dd_fetch_remove_tree(tmpdir);
    free(tmp);
    free(tmpdir);
    if (sum->changed == 0) {
        dd_vulndb_update_abort(u);
    } else if ((rc = dd_vulndb_update_commit(u, e)) == DD_OK) {
        sum->committed = true;
        if (synced) dd_nvd_sync_finish(state);
    }
    free(state);
    if (!rc) dd_vulndb_current_version(dbpath, &sum->version, NULL);
    return rc;
}
