/*
 * stores.c: a stopped server's stores, opened by the offline commands
 * (`drydock fsck`, `drydock gc`): the data directory is checked first (a
 * wrong --data-dir is an error, never an empty store created on the spot),
 * then DATA/lock is taken exclusively when the command writes (`serve`
 * holds it shared, so a running server makes the command refuse), then the
 * blob store and the metadata store are opened.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

int cli_stores_open(const char *data, const char *verb, bool exclusive, const char *busy_hint,
                    cli_stores_t *s)
{
    memset(s, 0, sizeof *s);
    s->lockfd = -1;
    struct stat st;
    if (stat(data, &st) != 0) return cli_error("cannot %s '%s': %s", verb, data, strerror(errno));
    if (!S_ISDIR(st.st_mode)) return cli_error("cannot %s '%s': not a directory", verb, data);
    char *meta_path = dd_asprintf("%s/meta.db", data);
    int rc = 0;
    if (stat(meta_path, &st) != 0) {
        rc = cli_error("cannot %s '%s': not a drydock data directory (no meta.db)", verb, data);
        goto out;
    }
    if (exclusive) {
        char *lp = dd_asprintf("%s/%s", data, DD_DATA_LOCK);
        s->lockfd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        free(lp);
        if (s->lockfd < 0 || flock(s->lockfd, LOCK_EX | LOCK_NB) != 0) {
            rc = cli_error("cannot %s '%s': %s", verb, data,
                           s->lockfd >= 0 && errno == EWOULDBLOCK ? busy_hint : "cannot lock the data directory");
            goto out;
        }
    }
    char *blobs = dd_asprintf("%s/blobs", data);
    dd_err_t e;
    if (dd_blobstore_open("fs", blobs, &s->bs, &e) || dd_meta_open("sqlite", meta_path, &s->meta, &e))
        rc = cli_error("cannot open the stores in '%s': %s", data, e.msg);
    free(blobs);
out:
    free(meta_path);
    if (rc) cli_stores_close(s);
    return rc;
}

void cli_stores_close(cli_stores_t *s)
{
    if (s->meta) dd_meta_close(s->meta);
    if (s->bs) dd_blobstore_close(s->bs);
    if (s->lockfd >= 0) close(s->lockfd);
    memset(s, 0, sizeof *s);
    s->lockfd = -1;
}
