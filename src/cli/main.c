/*
 * main.c: the drydock binary. Dispatches argv[1] through the command table.
 */
#include "cli.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The command table: keep it sorted by name.
 *   name: the subcommand as typed
 *   fn:   its entry point, called with argv[0] == name
 *   help: one line for `drydock help` */
static const struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help;
} commands[] = {
    {"db", cmd_db, "manage the vulnerability database (import, update, status)"},
    {"findings", cmd_findings, "show the findings of an image from a running server"},
    {"fsck", cmd_fsck, "check the stores of a stopped server for consistency"},
    {"gc", cmd_gc, "remove blobs no manifest references from a stopped server (--dry-run)"},
    {"images", cmd_images, "list images and their scan status from a running server"},
    {"query", cmd_query, "run a Kusto-like query over registry and security data"},
    {"scan", cmd_scan, "scan an image (oci:DIR, docker-archive:FILE, docker://HOST/REPO:TAG)"},
    {"serve", cmd_serve, "run the registry server"},
    {"token", cmd_token, "manage machine tokens"},
    {"user", cmd_user, "manage users"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: drydock <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].help);
    fprintf(out, "\nevery command takes --data-dir DIR (default $DRYDOCK_DATA or ./drydock-data)\n"
                 "run 'drydock <command> --help' for its options\n");
}

const char *cli_default_data_dir(void)
{
    const char *d = getenv("DRYDOCK_DATA");
    return d && *d ? d : "./drydock-data";
}

int cli_error(const char *fmt, ...)
{
    va_list ap;
    fputs("drydock: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 1;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "drydock %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nrun 'drydock %s --help' for usage\n", cmd);
    return 2;
}

int main(int argc, char **argv)
{
    /* Before any SQLite use: SQLite's memory statistics take one global
     * mutex on every allocation, which every HTTP thread's metadata lookup
     * then contends for (manifest GET +30% without it, docs/PERFORMANCE.md).
     * Nothing here reads those statistics. */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *name = argv[1];
    if (!strcmp(name, "help") || !strcmp(name, "--help") || !strcmp(name, "-h")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(name, "version") || !strcmp(name, "--version")) {
        printf("drydock %s\n", DD_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(commands[i].name, name)) return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "drydock: unknown command '%s'\n", name);
    usage(stderr);
    return 2;
}
