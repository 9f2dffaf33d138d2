/*
 * cmd_gc.c: `drydock gc`: offline garbage collection of a stopped server's
 * stores (include/dd/storegc.h). Blob links that no manifest of their
 * repository references (left by manifest deletes) are removed, then every
 * blob referenced by nothing. --dry-run lists what would go and the bytes,
 * changing nothing. A real run takes the data directory's lock exclusively
 * (`drydock serve` holds it shared), like `fsck --repair`. Exit status 0 on
 * success, 1 on errors, 2 on usage errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

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
    char *blobs = dd_asprintf("%s/blobs", data), *meta_path = dd_asprintf("%s/meta.db", data);
    dd_blobstore_t *bs = NULL;
    dd_meta_t *meta = NULL;
    dd_err_t e;
    int status = 1;
    int lockfd = -1;
    struct stat st;
    if (stat(meta_path, &st) != 0) {
        cli_error("cannot collect '%s': not a drydock data directory (no meta.db)", data);
        goto out;
    }
    if (!dry) {
        char *lp = dd_asprintf("%s/%s", data, DD_DATA_LOCK);
        lockfd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        free(lp);
        if (lockfd < 0 || flock(lockfd, LOCK_EX | LOCK_NB) != 0) {
            cli_error("cannot collect '%s': %s", data,
                      lockfd >= 0 && errno == EWOULDBLOCK ? "a server is using it (stop it first, or use --dry-run)"
                                                           : "cannot lock the data directory");
            goto out;
        }
    }
    if (dd_blobstore_open("fs", blobs, &bs, &e) || dd_meta_open("sqlite", meta_path, &meta, &e)) {
        cli_error("cannot open the stores in '%s': %s", data, e.msg);
        goto out;
    }
    dd_storegc_report_t r;
    if (dd_storage_gc(bs, meta, flags, &r, on_item, dry ? "would remove" : "removed", &e)) {
        cli_error("gc failed: %s", e.msg);
        goto out;
    }
    printf("gc%s: %zu manifests, %zu links (%zu %s), %zu blobs: %zu %s (%llu bytes)\n", dry ? " (dry run)" : "",
           r.manifests, r.links, r.links_swept, dry ? "to remove" : "removed", r.blobs, r.blobs_swept,
           dry ? "to remove" : "removed", (unsigned long long)r.bytes_swept);
    status = 0;
out:
    if (lockfd >= 0) close(lockfd);
    if (meta) dd_meta_close(meta);
    if (bs) dd_blobstore_close(bs);
    free(blobs);
    free(meta_path);
    return status;
}
