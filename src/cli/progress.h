/*
 * progress.h: one-line progress display for long CLI operations (feed
 * downloads, the NVD sync; the scan command may use it too).
 *
 *   cli_progress_t *p = cli_progress_new(stderr, quiet);
 *   cli_progress_bytes(p, "osv/Debian", done, total);  // bar when total > 0
 *   cli_progress_count(p, "nvd", "pages", 3, 0, "12000 records");
 *   cli_progress_end(p);   // clears the line before normal output
 *   cli_progress_free(p);
 *
 * It draws only when out is a terminal and quiet is false; otherwise every
 * call is a no-op, so callers need no checks of their own. Redraws are
 * throttled to ten a second (a change of label always redraws). The line is
 * redrawn in place with '\r' and cleared with "\r\033[K"; nothing is kept in
 * scrollback. Not thread-safe: one progress per thread.
 */
#ifndef DD_CLI_PROGRESS_H
#define DD_CLI_PROGRESS_H

#include <stdbool.h>
#include <stdio.h>

typedef struct cli_progress cli_progress_t;

/* A progress display on out (NULL = stderr); inactive when out is not a tty
 * or quiet is true. Never NULL. */
cli_progress_t *cli_progress_new(FILE *out, bool quiet);
/* True when it draws (the caller may skip costly formatting otherwise). */
bool cli_progress_active(const cli_progress_t *p);
/* "label  [#####.....]  42%  12.3 MiB / 29.0 MiB"; total <= 0: bytes only. */
void cli_progress_bytes(cli_progress_t *p, const char *label, long long done, long long total);
/* "label  3/10 pages  detail" (total <= 0: "3 pages"); detail may be NULL. */
void cli_progress_count(cli_progress_t *p, const char *label, const char *unit, long done, long total,
                        const char *detail);
/* Clears the line (call before printing results). */
void cli_progress_end(cli_progress_t *p);
void cli_progress_free(cli_progress_t *p);

#endif
