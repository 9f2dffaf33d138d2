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
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

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
    cli_stores_t st;
    if (cli_stores_open(data, "check", flags & DD_STORECHECK_REPAIR, "a server is using it (stop it first)", &st))
        return 1;
    dd_err_t e;
    int status = 1;
    dd_storecheck_report_t r;
    if (dd_storage_check(st.bs, st.meta, flags, &r, on_problem, NULL, &e)) {
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
    cli_stores_close(&st);
    return status;
}
