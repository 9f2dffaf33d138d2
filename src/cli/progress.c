/*
 * progress.c: the one-line terminal progress display (see progress.h).
 */
#include "progress.h"

#include "dd/core.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BAR_WIDTH 30
#define MIN_REDRAW_MS 100

struct cli_progress {
    FILE *out;
    bool active;
    bool drawn;             /* a line is on screen */
    int64_t last_ms;        /* time of the last redraw */
    char label[128];        /* label of the last redraw */
};

cli_progress_t *cli_progress_new(FILE *out, bool quiet)
{
    cli_progress_t *p = dd_calloc(1, sizeof *p);
    p->out = out ? out : stderr;
    p->active = !quiet && isatty(fileno(p->out));
    return p;
}

bool cli_progress_active(const cli_progress_t *p) { return p && p->active; }

/* True if this update should be drawn now. */
static bool due(cli_progress_t *p, const char *label, bool final)
{
    if (!p || !p->active) return false;
    int64_t now = dd_now_ms();
    bool same = !strncmp(p->label, label, sizeof p->label - 1);
    if (same && !final && now - p->last_ms < MIN_REDRAW_MS) return false;
    p->last_ms = now;
    snprintf(p->label, sizeof p->label, "%s", label);
    return true;
}

static void human(long long n, char out[32])
{
    if (n >= 1LL << 30) snprintf(out, 32, "%.1f GiB", (double)n / (1 << 30));
    else if (n >= 1LL << 20) snprintf(out, 32, "%.1f MiB", (double)n / (1 << 20));
    else if (n >= 1LL << 10) snprintf(out, 32, "%.1f KiB", (double)n / (1 << 10));
    else snprintf(out, 32, "%lld B", n);
}

void cli_progress_bytes(cli_progress_t *p, const char *label, long long done, long long total)
{
    if (!due(p, label, total > 0 && done >= total)) return;
    char a[32], b[32];
    human(done, a);
    if (total > 0) {
        if (done > total) done = total;
        int fill = (int)(done * BAR_WIDTH / total);
        char bar[BAR_WIDTH + 1];
        memset(bar, '#', (size_t)fill);
        memset(bar + fill, '.', (size_t)(BAR_WIDTH - fill));
        bar[BAR_WIDTH] = '\0';
        human(total, b);
        fprintf(p->out, "\r\033[K%-24.24s [%s] %3d%%  %s / %s", label, bar, (int)(done * 100 / total), a, b);
    } else {
        fprintf(p->out, "\r\033[K%-24.24s %s", label, a);
    }
    fflush(p->out);
    p->drawn = true;
}

void cli_progress_count(cli_progress_t *p, const char *label, const char *unit, long done, long total,
                        const char *detail)
{
    if (!due(p, label, total > 0 && done >= total)) return;
    if (total > 0) fprintf(p->out, "\r\033[K%-24.24s %ld/%ld %s", label, done, total, unit);
    else fprintf(p->out, "\r\033[K%-24.24s %ld %s", label, done, unit);
    if (detail && *detail) fprintf(p->out, "  %s", detail);
    fflush(p->out);
    p->drawn = true;
}

void cli_progress_end(cli_progress_t *p)
{
    if (!p || !p->active || !p->drawn) return;
    fputs("\r\033[K", p->out);
    fflush(p->out);
    p->drawn = false;
    p->label[0] = '\0';
}

void cli_progress_free(cli_progress_t *p)
{
    cli_progress_end(p);
    free(p);
}
