/*
 * cli.h: the drydock command-line front end. One file per subcommand
 * (cmd_serve.c, cmd_scan.c, ...), each defining
 *
 *     int cmd_NAME(int argc, char **argv);   // argv[0] is "NAME"
 *
 * listed in the command table in main.c. A command returns its exit status.
 * Only code under src/cli/ may print to the user or exit the process.
 */
#ifndef DD_CLI_H
#define DD_CLI_H

#include "dd/blobstore.h"
#include "dd/core.h"
#include "dd/meta.h"

int cmd_serve(int argc, char **argv);
int cmd_scan(int argc, char **argv);
int cmd_db(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_user(int argc, char **argv);
int cmd_token(int argc, char **argv);
int cmd_images(int argc, char **argv);
int cmd_findings(int argc, char **argv);
int cmd_fsck(int argc, char **argv);
int cmd_gc(int argc, char **argv);

/* The data directory: --data-dir DIR (handled by each command), else
 * $DRYDOCK_DATA, else "./drydock-data". */
const char *cli_default_data_dir(void);
/* DATA/lock: `serve` holds it shared, `fsck --repair` exclusively */
#define DD_DATA_LOCK "lock"

/* ---- a stopped server's stores (stores.c), for fsck and gc ---- */
typedef struct cli_stores {
    dd_blobstore_t *bs;
    dd_meta_t *meta;
    int lockfd;            /* DATA/lock held exclusively, or -1 */
} cli_stores_t;
/* Opens DATA's blob and metadata stores after checking that DATA is a data
 * directory (exists, holds meta.db: nothing is created). exclusive: take
 * DATA/lock exclusively first; when a server holds it, the error line says
 * busy_hint. verb names the command in error lines ("check", "collect").
 * Returns 0, or prints one error line and returns 1 (s left closed). */
int cli_stores_open(const char *data, const char *verb, bool exclusive, const char *busy_hint,
                    cli_stores_t *s);
void cli_stores_close(cli_stores_t *s);

/* Prints "drydock: <msg>" to stderr and returns exit status 1 (or the given
 * status), git's error() idiom for the CLI. */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- talking to a running server (client.c) ---- */
/* The server base URL: flag, else $DRYDOCK_SERVER, else http://$DRYDOCK_LISTEN,
 * else http://127.0.0.1:5000. */
const char *cli_server_url(const char *flag);
/* Performs a request; body (JSON) may be NULL. Returns the HTTP status, or 0
 * with err set when the server could not be reached. */
long cli_http(const char *method, const char *url, const char *body, dd_buf_t *out, char *err, size_t errsz);
/* Percent-encodes s into b (keeping '/' when keep_slash). */
void cli_url_escape(dd_buf_t *b, const char *s, bool keep_slash);

#endif
