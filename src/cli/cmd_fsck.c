/*
 * cmd_fsck.c: `drydock fsck`: checks a stopped server's stores for the
 * invariants that must survive crashes (include/dd/storecheck.h): every
 * manifest's bytes present and hashing to its digest, every referenced blob
 * and child manifest present, every linked blob present; --hash-all also
 * re-hashes every blob. Orphan blobs (referenced by nothing, left by a kill
 * between publishing and recording a blob) are reported as reclaimable space;
 * --repair removes them, after taking the data directory's lock exclusively
 * (`drydock serve` holds it shared), so never while a server could be in the
 * middle of an upload or a manifest push. Exit status 0 when consistent, 1
 * when problems were found (one line each), 2 on usage errors.
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
#include "dd/storecheck.h"

static void on_problem(const char *msg, void *arg)
{
    (void)arg;
    printf("problem: %s\n", msg);
}

int cmd_fsck(int argc, char **argv)
{
    static const struct option opts[] = {
        {"data-dir", required_argument, 0, 'd'},
        {"hash-all", no_argument, 0, 'a'},
        {"repair", no_argument, 0, 'r'},
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
        case 'a': flags |= DD_STORECHECK_HASH_ALL; break;
        case 'r': flags |= DD_STORECHECK_REPAIR; break;
        case 'h':
            printf("usage: drydock fsck [--data-dir DIR] [--hash-all] [--repair]\n\n"
                   "Checks the blob and metadata stores of a stopped server (see docs/storage.md).\n"
                   "--repair removes orphan blobs (referenced by nothing); it refuses to run\n"
                   "while a server uses the data directory.\n");
            return 0;
        default: return cli_usage_error("fsck", "unknown option");
        }
    }
    if (optind != argc) return cli_usage_error("fsck", "unexpected argument '%s'", argv[optind]);
    char *blobs = dd_asprintf("%s/blobs", data), *meta_path = dd_asprintf("%s/meta.db", data);
    dd_blobstore_t *bs = NULL;
    dd_meta_t *meta = NULL;
    dd_err_t e;
    int status = 1;
    int lockfd = -1;
    /* checking a directory that holds no stores must not create them and
     * report "0 problems": that would pass a wrong --data-dir silently */
    struct stat st;
    if (stat(data, &st) != 0) {
        cli_error("cannot check '%s': %s", data, strerror(errno));
        goto out;
    }
    if (!S_ISDIR(st.st_mode)) {
        cli_error("cannot check '%s': not a directory", data);
        goto out;
    }
    if (stat(meta_path, &st) != 0) {
        cli_error("cannot check '%s': not a drydock data directory (no meta.db)", data);
        goto out;
    }
    if (flags & DD_STORECHECK_REPAIR) {
        char *lp = dd_asprintf("%s/%s", data, DD_DATA_LOCK);
        lockfd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        free(lp);
        if (lockfd < 0 || flock(lockfd, LOCK_EX | LOCK_NB) != 0) {
            cli_error("cannot repair '%s': %s", data,
                      lockfd >= 0 && errno == EWOULDBLOCK ? "a server is using it (stop it first)"
                                                           : "cannot lock the data directory");
            goto out;
        }
    }
    if (dd_blobstore_open("fs", blobs, &bs, &e) || dd_meta_open("sqlite", meta_path, &meta, &e)) {
        cli_error("cannot open the stores in '%s': %s", data, e.msg);
        goto out;
    }
    dd_storecheck_report_t r;
    if (dd_storage_check(bs, meta, flags, &r, on_problem, NULL, &e)) {
        cli_error("check failed: %s", e.msg);
        goto out;
    }
    printf("%zu manifests, %zu links, %zu blobs (%zu hashed, %zu orphans, %llu bytes reclaimable): %zu problems\n",
           r.manifests, r.links, r.blobs, r.blobs_hashed, r.orphans,
           (unsigned long long)(r.orphan_bytes - r.removed_bytes), r.problems);
    if (flags & DD_STORECHECK_REPAIR)
        printf("repair: removed %zu orphan blobs (%llu bytes)\n", r.removed, (unsigned long long)r.removed_bytes);
    status = r.problems ? 1 : 0;
out:
    if (lockfd >= 0) close(lockfd);
    if (meta) dd_meta_close(meta);
    if (bs) dd_blobstore_close(bs);
    free(blobs);
    free(meta_path);
    return status;
}
