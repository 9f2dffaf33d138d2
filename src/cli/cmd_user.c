/*
 * cmd_user.c: `drydock user add|del|list|passwd`: users in the metadata
 * store (the one `drydock serve` uses: DATA/meta.db or meta-dsn), with
 * argon2id password hashes. Every change goes to DATA/audit.log; passwords
 * never do.
 */
#include "authcli.h"
#include "cli.h"

#include <stdio.h>
#include <string.h>

static const char *const VALUED[] = {"role", "repos", "password", NULL};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: drydock user add NAME --role ROLE [--repos GLOB,...] [--password PW | --password-stdin]\n"
            "       drydock user del NAME\n"
            "       drydock user list [--json]\n"
            "       drydock user passwd NAME [--password PW | --password-stdin]\n"
            "       (all take --data-dir DIR or $DRYDOCK_DATA, and --config FILE)\n\n"
            "Roles: reader (pull), writer (pull, push), deleter (delete), owner (everything),\n"
            "securityreader (scan results and queries, no image content).\n"
            "--repos limits the role to repositories matching the globs ('*' matches any\n"
            "characters, '/' included); without it the role applies to every repository.\n");
}

static int get_password(authcli_t *c, char *pw, size_t n)
{
    bool bad = false;
    const char *p = authcli_opt(c, "password", &bad);
    if (bad) return cli_usage_error("user", "option '--password' needs a value");
    if (p && authcli_flag(c, "password-stdin"))
        return cli_usage_error("user", "use either --password or --password-stdin");
    if (p) {
        if (strlen(p) >= n) return cli_error("password too long");
        snprintf(pw, n, "%s", p);
    } else if (authcli_flag(c, "password-stdin")) {
        if (authcli_read_stdin_line(pw, n)) return cli_error("no password on standard input");
    } else {
        return cli_usage_error("user", "a password is required (--password PW or --password-stdin)");
    }
    dd_err_t e;
    if (dd_password_check(pw, &e)) return cli_error("%s", e.msg);
    return 0;
}

static int user_add(authcli_t *c)
{
    static const char *const flags[] = {"password-stdin", NULL};
    if (authcli_check_opts(c, "user", VALUED, flags)) return 2;
    const char *name = authcli_operand(c, 0, VALUED);
    if (!name) return cli_usage_error("user", "user add needs a NAME");
    if (authcli_operand(c, 1, VALUED)) return cli_usage_error("user", "unexpected argument '%s'", authcli_operand(c, 1, VALUED));
    if (!dd_user_name_valid(name))
        return cli_error("invalid user name '%s' (lowercase letters, digits, '.', '_', '-'; at most 64)", name);
    bool bad = false;
    const char *role_s = authcli_opt(c, "role", &bad), *repos = authcli_opt(c, "repos", &bad);
    if (bad) return cli_usage_error("user", "an option needs a value");
    dd_role_t role;
    if (!role_s) return cli_usage_error("user", "user add needs --role ROLE");
    if (dd_role_parse(role_s, &role))
        return cli_error("invalid role '%s' (reader, writer, deleter, owner, securityreader)", role_s);
    dd_err_t e;
    if (repos && dd_globs_validate(repos, &e)) return cli_error("%s", e.msg);
    char pw[1100];
    int rc = get_password(c, pw, sizeof pw);
    if (rc) return rc;
    dd_user_rec_t u;
    memset(&u, 0, sizeof u);
    snprintf(u.name, sizeof u.name, "%s", name);
    snprintf(u.role, sizeof u.role, "%s", dd_role_name(role));
    snprintf(u.repos, sizeof u.repos, "%s", repos ? repos : "");
    u.created_ms = u.updated_ms = dd_now_ms();
    rc = dd_password_hash(pw, u.pwhash, &e);
    memset(pw, 0, sizeof pw);
    if (rc == DD_OK) rc = dd_meta_user_put(c->meta, &u, true, &e);
    if (rc) return cli_error("%s", e.msg);
    char detail[1200];
    snprintf(detail, sizeof detail, "role %s, repos '%s'", u.role, u.repos);
    dd_audit_change(c->audit, "user_add", "cli", name, detail);
    printf("user '%s' added (role %s%s%s)\n", name, u.role, u.repos[0] ? ", repos " : "", u.repos);
    return 0;
}

static int user_del(authcli_t *c)
{
    if (authcli_check_opts(c, "user", VALUED, NULL)) return 2;
    const char *name = authcli_operand(c, 0, VALUED);
    if (!name) return cli_usage_error("user", "user del needs a NAME");
    dd_err_t e;
    if (dd_meta_user_delete(c->meta, name, &e)) return cli_error("%s", e.msg);
    dd_audit_change(c->audit, "user_del", "cli", name, NULL);
    printf("user '%s' deleted\n", name);
    return 0;
}

static int list_one(const dd_user_rec_t *u, void *arg)
{
    bool json = *(bool *)arg;
    char ts[32];
    dd_time_rfc3339(u->created_ms / 1000, ts);
    if (json) {
        dd_buf_t b;
        dd_buf_init(&b, 0);
        dd_buf_puts(&b, "{\"name\":");
        dd_buf_json_str(&b, u->name);
        dd_buf_puts(&b, ",\"role\":");
        dd_buf_json_str(&b, u->role);
        dd_buf_puts(&b, ",\"repos\":");
        dd_buf_json_str(&b, u->repos);
        dd_buf_printf(&b, ",\"created\":\"%s\"}", ts);
        printf("%s\n", b.ptr);
        dd_buf_release(&b);
    } else {
        printf("%-24s %-15s %-20s %s\n", u->name, u->role, ts, u->repos[0] ? u->repos : "*");
    }
    return 0;
}

static int user_list(authcli_t *c)
{
    static const char *const flags[] = {"json", NULL};
    if (authcli_check_opts(c, "user", NULL, flags)) return 2;
    bool json = authcli_flag(c, "json");
    if (!json) printf("%-24s %-15s %-20s %s\n", "NAME", "ROLE", "CREATED", "REPOS");
    if (dd_meta_users_each(c->meta, list_one, &json)) return cli_error("cannot list users");
    return 0;
}

static int user_passwd(authcli_t *c)
{
    static const char *const flags[] = {"password-stdin", NULL};
    if (authcli_check_opts(c, "user", VALUED, flags)) return 2;
    const char *name = authcli_operand(c, 0, VALUED);
    if (!name) return cli_usage_error("user", "user passwd needs a NAME");
    dd_user_rec_t u;
    if (dd_meta_user_get(c->meta, name, &u) != DD_OK) return cli_error("no such user '%s'", name);
    char pw[1100];
    int rc = get_password(c, pw, sizeof pw);
    if (rc) return rc;
    dd_err_t e;
    rc = dd_password_hash(pw, u.pwhash, &e);
    memset(pw, 0, sizeof pw);
    u.updated_ms = dd_now_ms();
    if (rc == DD_OK) rc = dd_meta_user_put(c->meta, &u, false, &e);
    if (rc) return cli_error("%s", e.msg);
    dd_audit_change(c->audit, "user_passwd", "cli", name, NULL);
    printf("password of '%s' changed\n", name);
    return 0;
}

int cmd_user(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    static const struct {
        const char *name;
        int (*fn)(authcli_t *c);
    } subs[] = {{"add", user_add}, {"del", user_del}, {"list", user_list}, {"passwd", user_passwd}};
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
        if (strcmp(argv[1], subs[i].name)) continue;
        authcli_t c;
        int rc = authcli_open(&c, "user", argc - 1, argv + 1);
        if (rc == 0) rc = subs[i].fn(&c);
        authcli_close(&c);
        return rc;
    }
    return cli_usage_error("user", "unknown subcommand '%s' (add, del, list, passwd)", argv[1]);
}
