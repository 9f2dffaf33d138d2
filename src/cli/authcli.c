/*
 * authcli.c: shared plumbing of `drydock user` and `drydock token`: config
 * loading, the metadata store, option lookup, reading a secret from stdin.
 */
#include "authcli.h"
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int authcli_open(authcli_t *c, const char *cmd, int argc, char **argv)
{
    memset(c, 0, sizeof *c);
    dd_err_t e;
    int *rest = dd_calloc((size_t)argc + 1, sizeof *rest);
    int n_rest = 0;
    int rc = dd_config_load(&c->cfg, argc - 1, argv + 1, rest, &n_rest, &e);
    if (rc) {
        free(rest);
        return cli_usage_error(cmd, "%s", e.msg);
    }
    c->args = dd_calloc((size_t)n_rest + 1, sizeof *c->args);
    for (int i = 0; i < n_rest; i++) c->args[c->n_args++] = argv[1 + rest[i]];
    free(rest);
    dd_log_set_level(DD_LOG_WARN);
    if ((rc = dd_mkdirs(c->cfg.data_dir, 0700, &e))) return cli_error("cannot create data directory: %s", e.msg);
    if ((rc = dd_meta_open(c->cfg.meta_driver, c->cfg.meta_dsn, &c->meta, &e)))
        return cli_error("cannot open the metadata store: %s", e.msg);
    char *ap = dd_asprintf("%s/audit.log", c->cfg.data_dir);
    rc = dd_audit_open(ap, &c->audit, &e);
    free(ap);
    if (rc) return cli_error("%s", e.msg);
    return 0;
}

void authcli_close(authcli_t *c)
{
    if (c->meta) dd_meta_close(c->meta);
    dd_audit_close(c->audit);
    free(c->args);
    dd_config_release(&c->cfg);
}

const char *authcli_opt(authcli_t *c, const char *name, bool *bad)
{
    size_t n = strlen(name);
    for (int i = 0; i < c->n_args; i++) {
        const char *a = c->args[i];
        if (strncmp(a, "--", 2) || strncmp(a + 2, name, n)) continue;
        if (a[2 + n] == '=') return a + 3 + n;
        if (a[2 + n] == '\0') {
            if (i + 1 < c->n_args) return c->args[i + 1];
            if (bad) *bad = true;
            return NULL;
        }
    }
    return NULL;
}

bool authcli_flag(authcli_t *c, const char *name)
{
    for (int i = 0; i < c->n_args; i++)
        if (!strncmp(c->args[i], "--", 2) && !strcmp(c->args[i] + 2, name)) return true;
    return false;
}

static bool is_valued(const char *a, const char *const *with_value)
{
    for (size_t k = 0; with_value && with_value[k]; k++) {
        size_t n = strlen(with_value[k]);
        if (!strncmp(a + 2, with_value[k], n) && a[2 + n] == '\0') return true;
    }
    return false;
}

const char *authcli_operand(authcli_t *c, int idx, const char *const *with_value)
{
    int seen = 0;
    for (int i = 0; i < c->n_args; i++) {
        const char *a = c->args[i];
        if (!strncmp(a, "--", 2)) {
            if (is_valued(a, with_value)) i++; /* skip its value */
            continue;
        }
        if (seen++ == idx) return a;
    }
    return NULL;
}

int authcli_check_opts(authcli_t *c, const char *cmd, const char *const *with_value, const char *const *flags)
{
    for (int i = 0; i < c->n_args; i++) {
        const char *a = c->args[i];
        if (strncmp(a, "--", 2)) continue;
        const char *eq = strchr(a, '=');
        size_t n = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
        bool ok = false;
        for (size_t k = 0; with_value && with_value[k] && !ok; k++)
            ok = strlen(with_value[k]) == n && !strncmp(a + 2, with_value[k], n);
        for (size_t k = 0; flags && flags[k] && !ok; k++)
            ok = !eq && !strcmp(a + 2, flags[k]);
        if (!ok) return cli_usage_error(cmd, "unknown option '%s'", a);
    }
    return 0;
}

int authcli_read_stdin_line(char *buf, size_t n)
{
    if (!fgets(buf, (int)n, stdin)) return -1;
    size_t l = strlen(buf);
    while (l && (buf[l - 1] == '\n' || buf[l - 1] == '\r')) buf[--l] = '\0';
    return 0;
}
