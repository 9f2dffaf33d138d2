/*
 * cmd_token.c: `drydock token create|list|revoke`: robot tokens for
 * machines. A token is a random secret ("ddt_" + 32 bytes, base64url) shown
 * once at creation; the store keeps only its SHA-256, its role, repository
 * globs, expiry and revocation time. Changes go to DATA/audit.log.
 */
#include "authcli.h"
#include "cli.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

static const char *const VALUED[] = {"role", "repos", "expires", "name", NULL};

static void usage(FILE *out)
{
    fprintf(out, "usage: drydock token create --role ROLE [--repos GLOB,...] --expires DURATION [--name N] [--json]\n"
                 "       drydock token list [--json]\n"
                 "       drydock token revoke ID\n"
                 "       (all take --data-dir DIR or $DRYDOCK_DATA, and --config FILE)\n\n"
                 "DURATION: 90s, 30m, 12h, 30d, 2w, 1y or never. The secret is printed once; use it as\n"
                 "the password with any user name (docker login, skopeo --creds x:SECRET) or as\n"
                 "'Authorization: Bearer SECRET'.\n");
}

static int token_create(authcli_t *c)
{
    static const char *const flags[] = {"json", NULL};
    if (authcli_check_opts(c, "token", VALUED, flags)) return 2;
    if (authcli_operand(c, 0, VALUED))
        return cli_usage_error("token", "unexpected argument '%s'", authcli_operand(c, 0, VALUED));
    bool bad = false;
    const char *role_s = authcli_opt(c, "role", &bad), *repos = authcli_opt(c, "repos", &bad);
    const char *exp_s = authcli_opt(c, "expires", &bad), *name = authcli_opt(c, "name", &bad);
    if (bad) return cli_usage_error("token", "an option needs a value");
    if (!role_s) return cli_usage_error("token", "token create needs --role ROLE");
    if (!exp_s) return cli_usage_error("token", "token create needs --expires DURATION (or 'never')");
    dd_role_t role;
    if (dd_role_parse(role_s, &role))
        return cli_error("invalid role '%s' (reader, writer, deleter, owner, securityreader)", role_s);
    dd_err_t e;
    int64_t secs;
    if (dd_duration_parse(exp_s, &secs, &e)) return cli_error("%s", e.msg);
    if (repos && dd_globs_validate(repos, &e)) return cli_error("%s", e.msg);
    if (name && (strlen(name) >= DD_AUTH_NAME_MAX || strpbrk(name, "\r\n\"\\")))
        return cli_error("invalid token name");
    dd_token_rec_t t;
    memset(&t, 0, sizeof t);
    char secret[DD_TOKEN_SECRET_MAX];
    dd_token_generate(t.id, secret, t.hash);
    snprintf(t.name, sizeof t.name, "%s", name ? name : "");
    snprintf(t.role, sizeof t.role, "%s", dd_role_name(role));
    snprintf(t.repos, sizeof t.repos, "%s", repos ? repos : "");
    t.created_ms = dd_now_ms();
    t.expires_ms = secs ? t.created_ms + secs * 1000 : 0;
    if (dd_meta_token_put(c->meta, &t, &e)) {
        memset(secret, 0, sizeof secret);
        return cli_error("%s", e.msg);
    }
    char detail[1200];
    snprintf(detail, sizeof detail, "role %s, repos '%s', expires %s", t.role, t.repos, exp_s);
    dd_audit_change(c->audit, "token_create", "cli", t.id, detail);
    char ts[32] = "never";
    if (t.expires_ms) dd_time_rfc3339(t.expires_ms / 1000, ts);
    if (authcli_flag(c, "json")) {
        /* every string through the one JSON writer (issue 20 item 1) */
        dd_buf_t b;
        dd_buf_init(&b, 0);
        dd_buf_puts(&b, "{\"id\":");
        dd_buf_json_str(&b, t.id);
        dd_buf_puts(&b, ",\"secret\":");
        dd_buf_json_str(&b, secret);
        dd_buf_puts(&b, ",\"role\":");
        dd_buf_json_str(&b, t.role);
        dd_buf_puts(&b, ",\"expires\":");
        dd_buf_json_str(&b, ts);
        printf("%s}\n", b.ptr);
        sodium_memzero(b.ptr, b.len);
        dd_buf_release(&b);
    } else {
        printf("token %s created (role %s, expires %s); its secret, shown only now:\n%s\n", t.id, t.role, ts,
               secret);
    }
    memset(secret, 0, sizeof secret);
    return 0;
}

static int list_one(const dd_token_rec_t *t, void *arg)
{
    bool json = *(bool *)arg;
    char created[32], exp[32] = "never";
    dd_time_rfc3339(t->created_ms / 1000, created);
    if (t->expires_ms) dd_time_rfc3339(t->expires_ms / 1000, exp);
    int64_t now = dd_now_ms();
    const char *state = t->revoked_ms ? "revoked" : (t->expires_ms && t->expires_ms <= now) ? "expired" : "active";
    if (json) {
        dd_buf_t b;
        dd_buf_init(&b, 0);
        dd_buf_puts(&b, "{\"id\":");
        dd_buf_json_str(&b, t->id);
        dd_buf_puts(&b, ",\"name\":");
        dd_buf_json_str(&b, t->name);
        dd_buf_puts(&b, ",\"role\":");
        dd_buf_json_str(&b, t->role);
        dd_buf_puts(&b, ",\"repos\":");
        dd_buf_json_str(&b, t->repos);
        dd_buf_printf(&b, ",\"created\":\"%s\",\"expires\":\"%s\",\"state\":\"%s\"}", created, exp, state);
        printf("%s\n", b.ptr);
        dd_buf_release(&b);
    } else {
        printf("%-20s %-16s %-15s %-8s %-20s %s\n", t->id, t->name[0] ? t->name : "-", t->role, state, exp,
               t->repos[0] ? t->repos : "*");
    }
    return 0;
}

static int token_list(authcli_t *c)
{
    static const char *const flags[] = {"json", NULL};
    if (authcli_check_opts(c, "token", NULL, flags)) return 2;
    bool json = authcli_flag(c, "json");
    if (!json) printf("%-20s %-16s %-15s %-8s %-20s %s\n", "ID", "NAME", "ROLE", "STATE", "EXPIRES", "REPOS");
    if (dd_meta_tokens_each(c->meta, list_one, &json)) return cli_error("cannot list tokens");
    return 0;
}

static int token_revoke(authcli_t *c)
{
    if (authcli_check_opts(c, "token", NULL, NULL)) return 2;
    const char *id = authcli_operand(c, 0, NULL);
    if (!id) return cli_usage_error("token", "token revoke needs an ID");
    dd_err_t e;
    if (dd_meta_token_revoke(c->meta, id, dd_now_ms(), &e)) return cli_error("%s", e.msg);
    dd_audit_change(c->audit, "token_revoke", "cli", id, NULL);
    printf("token %s revoked\n", id);
    return 0;
}

int cmd_token(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    static const struct {
        const char *name;
        int (*fn)(authcli_t *c);
    } subs[] = {{"create", token_create}, {"list", token_list}, {"revoke", token_revoke}};
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
        if (strcmp(argv[1], subs[i].name)) continue;
        authcli_t c;
        int rc = authcli_open(&c, "token", argc - 1, argv + 1);
        if (rc == 0) rc = subs[i].fn(&c);
        authcli_close(&c);
        return rc;
    }
    return cli_usage_error("token", "unknown subcommand '%s' (create, list, revoke)", argv[1]);
}
