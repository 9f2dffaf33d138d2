/*
 * cmd_gc.c: `drydock gc`: offline garbage collection of a stopped server's
 * stores (include/dd/storegc.h). Blob links that no manifest of their
 * repository references (left by manifest deletes) are removed, then every
 * blob referenced by nothing. --dry-run lists what would go and the bytes,
 * changing nothing. A real run takes the data directory's lock exclusively
 * (`drydock serve` holds it shared), like `fsck --repair`. Exit status 0 on
 * success, 1 on errors, 2 on usage errors.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "dd/blobstore.h"
#include "dd/meta.h"
#include "dd/storegc.h"

static void on_item(const char *msg, void *arg)
{
    printf("%s: %s\n", (const char *)arg, msg);
}

int cmd_gc(int argc, char **argv)
{
    static const struct option opts[] = {
        {"data-dir", required_argument, 0, 'd'},
        {"dry-run", no_argument, 0, 'n'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *data = cli_default_data_dir();
    unsigned flags = 0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': data = optarg; break;
        case 'n': flags |= DD_STOREGC_DRY_RUN; break;
        case 'h':
            printf("usage: drydock gc [--data-dir DIR] [--dry-run]\n\n"
                   "Removes blobs no manifest references from a stopped server's stores\n"
                   "(see docs/operations.md). --dry-run lists what would go and changes nothing.\n"
                   "A real run refuses to start while a server uses the data directory.\n");
            return 0;
        default: return cli_usage_error("gc", "unknown option");
        }
    }
    if (optind != argc) return cli_usage_error("gc", "unexpected argument '%s'", argv[optind]);
    bool dry = flags & DD_STOREGC_DRY_RUN;
    cli_stores_t st;
    if (cli_stores_open(data, "collect", !dry, "a server is using it (stop it first, or use --dry-run)", &st))
        return 1;
    dd_err_t e;
    int status = 1;
    dd_storegc_report_t r;
    if (dd_storage_gc(st.bs, st.meta, flags, &r, on_item, dry ? "would remove" : "removed", &e)) {
        cli_error("gc failed: %s", e.msg);
        goto out;
    }
    printf("gc%s: %zu manifests, %zu links (%zu %s), %zu blobs: %zu %s (%llu bytes)\n", dry ? " (dry run)" : "",
           r.manifests, r.links, r.links_swept, dry ? "to remove" : "removed", r.blobs, r.blobs_swept,
           dry ? "to remove" : "removed", (unsigned long long)r.bytes_swept);
    status = 0;
out:
    cli_stores_close(&st);
    return status;
}
