/*
 * log.c: structured logging. Each event is one line written with a single
 * write(2), so lines from concurrent threads never interleave:
 *
 *   ts=2026-11-23T03:15:00.123Z level=info id=r-1a2b msg="..."
 *
 * or, after dd_log_set_json(true) (log-format=json), one JSON object:
 *
 *   {"ts":"2026-11-23T03:15:00.123Z","level":"info","id":"r-1a2b","msg":"..."}
 *
 * Request and audit logs write JSON objects through dd_log_raw().
 */
#include "dd/core.h"

#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int min_level = DD_LOG_INFO;
static bool json_lines; /* set once at startup, before threads */
static const char *level_names[] = {"debug", "info", "warn", "error"};

void dd_log_set_json(bool json)
{
    json_lines = json;
}

void dd_log_set_level(int level)
{
    min_level = level;
}

bool dd_log_enabled(int level)
{
    return level >= min_level;
}

int dd_log_level_parse(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(s, level_names[i]) == 0) return i;
    if (strcmp(s, "warning") == 0) return DD_LOG_WARN;
    return -1;
}

void dd_log_raw(const char *line, size_t len)
{
    /* best effort: a failing stderr must not take the server down */
    while (len > 0) {
        ssize_t n = write(2, line, len);
        if (n <= 0) return;
        line += n;
        len -= (size_t)n;
    }
}

void dd_log(int level, const char *ctx, const char *fmt, ...)
{
    if (level < min_level) return;
    char line[2048];
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    int n = snprintf(line, sizeof line, "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03dZ level=%s",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec, (int)(tv.tv_usec / 1000),
                     level_names[level < 0 ? 0 : level > 3 ? 3 : level]);
    if (json_lines) {
        /* ts and level were written above as text: rewrite as JSON */
        char ts[40];
        snprintf(ts, sizeof ts, "%.24s", line + 3);
        char msg[1600];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        dd_buf_t b;
        dd_buf_init(&b, 0);
        dd_buf_printf(&b, "{\"ts\":\"%s\",\"level\":\"%s\"", ts, level_names[level < 0 ? 0 : level > 3 ? 3 : level]);
        if (ctx) {
            dd_buf_puts(&b, ",\"id\":");
            dd_buf_json_str(&b, ctx);
        }
        dd_buf_puts(&b, ",\"msg\":");
        dd_buf_json_str(&b, msg);
        dd_buf_puts(&b, "}\n");
        dd_log_raw(b.ptr, b.len);
        dd_buf_release(&b);
        return;
    }
    if (ctx && n < (int)sizeof line)
        n += snprintf(line + n, sizeof line - (size_t)n, " id=%s", ctx);
    if (n < (int)sizeof line - 8) {
        memcpy(line + n, " msg=\"", 6);
        n += 6;
        char msg[1600];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        for (const char *p = msg; *p && n < (int)sizeof line - 4; p++) {
            if (*p == '"' || *p == '\\') line[n++] = '\\';
            line[n++] = (*p == '\n') ? ' ' : *p;
        }
        line[n++] = '"';
    }
    if (n > (int)sizeof line - 2) n = (int)sizeof line - 2;
    line[n++] = '\n';
    dd_log_raw(line, (size_t)n);
}
