/*
 * authcli.h: what `drydock user` and `drydock token` share (authcli.c):
 * opening the metadata store the server uses, flag parsing and the audit log.
 */
#ifndef DD_CLI_AUTHCLI_H
#define DD_CLI_AUTHCLI_H

#include "dd/auth.h"
#include "dd/config.h"
#include "dd/meta.h"

typedef struct authcli {
    dd_config_t cfg;
    dd_meta_t *meta;
    dd_audit_t *audit;
    char **args;   /* argv entries that are not config keys (options and operands) */
    int n_args;
} authcli_t;

/* Loads the configuration (--data-dir, $DRYDOCK_DATA, --config, meta-dsn ...)
 * from argv[1..], opens DATA/meta.db (or meta-dsn) and the audit log.
 * Prints an error and returns non-zero on failure. */
int authcli_open(authcli_t *c, const char *cmd, int argc, char **argv);
void authcli_close(authcli_t *c);
/* The value of option --name (in c->args, "--name V" or "--name=V"), NULL if
 * absent; sets *bad when the option is given without a value. */
const char *authcli_opt(authcli_t *c, const char *name, bool *bad);
bool authcli_flag(authcli_t *c, const char *name);
/* The i-th operand (not an option, nor the value of an option listed in
 * with_value), NULL if none. */
const char *authcli_operand(authcli_t *c, int i, const char *const *with_value);
/* Reports the first option not in known (NULL-terminated); returns non-zero. */
int authcli_check_opts(authcli_t *c, const char *cmd, const char *const *known_with_value,
                       const char *const *known_flags);
/* Reads one line from stdin (no trailing newline) into buf. */
int authcli_read_stdin_line(char *buf, size_t n);

#endif
