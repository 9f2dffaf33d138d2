/*
 * epss.c: the FIRST EPSS scores importer, enrichment only
 * (https://epss.cyentia.com/epss_scores-current.csv.gz, also
 * https://epss.empiricalsecurity.com/): a CSV, plain or gzip-compressed
 * (decompressed with libarchive's raw format, bounded by DD_FEED_MAX_DOC):
 *
 *   #model_version:v2023.03.01,score_date:2024-01-01T00:00:00+0000
 *   cve,epss,percentile
 *   CVE-1999-0001,0.01141,0.83624
 *
 * Each row upserts (cve, score, percentile, model version, score date) into
 * table epss. The comment line is optional; the header line is required. A
 * bad row (no CVE id, numbers outside 0..1) is reported by line and skipped.
 * See docs/feeds.md#epss.
 */
#include "feeds_int.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Decompresses a gzip stream (at most max bytes of output) into out. */
static int gunzip(const uint8_t *data, size_t len, size_t max, dd_buf_t *out, dd_err_t *e)
{
    struct archive *ar = archive_read_new();
    archive_read_support_filter_gzip(ar);
    archive_read_support_format_raw(ar);
    struct archive_entry *ent;
    int rc = DD_OK;
    if (archive_read_open_memory(ar, data, len) != ARCHIVE_OK || archive_read_next_header(ar, &ent) != ARCHIVE_OK) {
        rc = dd_err(e, DD_EINVAL, "cannot read gzip stream: %s", archive_error_string(ar));
    } else {
        /* small reads: a truncated stream (detect() sees 64 KiB) still
         * yields what precedes the cut */
        char chunk[4096];
        la_ssize_t n;
        while ((n = archive_read_data(ar, chunk, sizeof chunk)) > 0) {
            if (out->len + (size_t)n > max) {
                rc = dd_err(e, DD_ELIMIT, "decompressed document exceeds %zu bytes", max);
                break;
            }
            dd_buf_append(out, chunk, (size_t)n);
        }
        if (n < 0 && rc == DD_OK) rc = dd_err(e, DD_ECORRUPT, "corrupt gzip stream: %s", archive_error_string(ar));
    }
    archive_read_free(ar);
    return rc;
}

static bool text_is_epss(const uint8_t *p, size_t n)
{
    return (n >= 14 && !memcmp(p, "#model_version", 14)) || (n >= 19 && !memcmp(p, "cve,epss,percentile", 19));
}

static bool epss_detect(const uint8_t *head, size_t n)
{
    if (text_is_epss(head, n)) return true;
    if (n < 2 || head[0] != 0x1f || head[1] != 0x8b) return false;
    /* a gzip: look at the start of what it holds (a truncated head is fine) */
    dd_buf_t b;
    dd_buf_init(&b, 0);
    gunzip(head, n, 4096, &b, NULL);
    bool ok = b.ptr && text_is_epss((const uint8_t *)b.ptr, b.len);
    dd_buf_release(&b);
    return ok;
}

/* Copies the value of key ("model_version:" ...) from the comment line. */
static void comment_value(const char *line, const char *key, char *out, size_t n)
{
    out[0] = 0;
    const char *p = strstr(line, key);
    if (!p) return;
    p += strlen(key);
    size_t k = 0;
    while (p[k] && p[k] != ',' && p[k] != '\r' && k + 1 < n) {
        out[k] = p[k];
        k++;
    }
    out[k] = 0;
}

static bool parse_unit(const char *s, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || (*end && *end != '\r') || !(v >= 0 && v <= 1)) return false;
    *out = v;
    return true;
}

static int import_text(dd_vulndb_t *db, char *text, dd_feed_stats_t *st, dd_err_t *e)
{
    char model[64] = "", date[64] = "";
    bool header = false;
    long lineno = 0;
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = 0;
        lineno++;
        size_t ll = strlen(line);
        if (ll && line[ll - 1] == '\r') line[--ll] = 0;
        if (!ll) continue;
        if (line[0] == '#') {
            comment_value(line, "model_version:", model, sizeof model);
            comment_value(line, "score_date:", date, sizeof date);
            continue;
        }
        if (!header) {
            if (strcmp(line, "cve,epss,percentile"))
                return dd_err(e, DD_EINVAL, "line %ld: header 'cve,epss,percentile' expected", lineno);
            header = true;
            continue;
        }
        char *c1 = strchr(line, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
        double score = 0, pct = 0;
        dd_err_t re = {0};
        int rc;
        if (!c1 || !c2) {
            rc = dd_err(&re, DD_EINVAL, "three fields expected");
        } else {
            *c1 = *c2 = 0;
            if (!parse_unit(c1 + 1, &score) || !parse_unit(c2 + 1, &pct))
                rc = dd_err(&re, DD_EINVAL, "%s: epss and percentile must be numbers from 0 to 1", line);
            else rc = dd_vulndb_put_epss(db, line, score, pct, model[0] ? model : NULL, date[0] ? date : NULL, &re);
        }
        if (rc) {
            st->skipped++;
            dd_feed_stats_msg(st, "line %ld: %s", lineno, re.msg);
        } else {
            st->records++;
        }
    }
    if (!header) return dd_err(e, DD_EINVAL, "no 'cve,epss,percentile' header");
    return DD_OK;
}

static int epss_import(dd_vulndb_t *db, const char *feed, const uint8_t *data, size_t len, dd_feed_stats_t *st,
                       dd_err_t *e)
{
    snprintf(st->format, sizeof st->format, "epss");
    snprintf(st->feed, sizeof st->feed, "%s", feed ? feed : "epss");
    dd_buf_t b;
    dd_buf_init(&b, 0);
    int rc = DD_OK;
    if (len >= 2 && data[0] == 0x1f && data[1] == 0x8b) rc = gunzip(data, len, DD_FEED_MAX_DOC, &b, e);
    else if (len > DD_FEED_MAX_DOC) rc = dd_err(e, DD_ELIMIT, "document of %zu bytes exceeds the limit", len);
    else dd_buf_append(&b, data, len);
    if (rc == DD_OK) {
        dd_buf_putc(&b, 0);
        if (memchr(b.ptr, 0, b.len - 1)) rc = dd_err(e, DD_EINVAL, "epss csv holds a NUL byte");
        else rc = import_text(db, b.ptr, st, e);
    }
    dd_buf_release(&b);
    return rc;
}

const dd_feed_t dd_feed_epss = {
    .version = DD_FEED_V1,
    .name = "epss",
    .desc = "FIRST EPSS scores CSV (plain or gzip): exploit prediction enrichment",
    .detect = epss_detect,
    .import_mem = epss_import,
};
