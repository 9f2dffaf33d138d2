/*
 * stream.c: layers analyzed while their upload arrives (see the comment
 * below for the states), and the two upload hooks that feed them.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "dd/analyzer.h"
#include "scanner_int.h"

/* ---- layers analyzed while they are uploaded ----
 *
 * When an upload session grows past STREAM_MIN_BYTES in a scanned
 * repository, a stream thread opens the session's bytes through the blob
 * store (dd_blobstore_upload_reader) and runs the layer analyzer over them
 * as they land, waiting at the end of what has been written. The HTTP
 * thread only records the new size and signals (on_upload_progress). When
 * the upload commits (on_upload_end with its digest) the digest goes into
 * the single-flight set, so the post-commit layer task and the manifest's
 * job wait for this analysis instead of streaming the blob again; the
 * result is cached under the digest. The bytes analyzed are the bytes the
 * commit verified, so the digest is the right key. A dropped upload, a
 * session silent for STREAM_IDLE_MS or a stream that is not a layer ends
 * the thread with nothing cached. Stream states:
 *
 *   RUNNING --upload committed--> COMMITTED --analysis done--> (cached, gone)
 *      |  \--upload dropped / idle--> ABANDONED --> (gone)
 */
enum { STREAM_RUNNING, STREAM_COMMITTED, STREAM_ABANDONED };

typedef struct stream {
    dd_scanner_t *sc;
    char uuid[64];
    char digest[DD_DIGEST_MAX];
    dd_blob_reader_t rd;
    uint64_t size;        /* bytes the upload has written so far */
    uint64_t off;         /* bytes the analyzer has read */
    int64_t touched_ms;   /* last progress */
    int state;
    bool waiting;         /* the stream thread waits for more bytes */
    bool checked;         /* the cache was asked once the digest was known */
    pthread_t thread;
} stream_t;

static stream_t *stream_find(dd_scanner_t *sc, const char *uuid)
{
    for (size_t i = 0; i < sc->n_streams; i++)
        if (!strcmp(sc->streams[i]->uuid, uuid)) return sc->streams[i];
    return NULL;
}

/* The analyzer's read callback: reads what has been written, waits for
 * more until the upload ends. */
static ssize_t stream_read(void *arg, void *buf, size_t n)
{
    stream_t *st = arg;
    dd_scanner_t *sc = st->sc;
    for (;;) {
        ssize_t got = dd_blob_reader_pread(&st->rd, st->off, buf, n);
        if (got < 0) return -1;
        if (got > 0) {
            st->off += (uint64_t)got;
            return got;
        }
        pthread_mutex_lock(&sc->mu);
        int state = st->state;
        bool idle = dd_now_ms() - st->touched_ms > STREAM_IDLE_MS;
        if (state == STREAM_RUNNING && !idle && sc->running) {
            st->waiting = true;
            scanner_timed_wait(&sc->stream_cond, &sc->mu, 50);
            st->waiting = false;
        }
        pthread_mutex_unlock(&sc->mu);
        if (state == STREAM_COMMITTED && !st->checked) {
            /* the bytes were known before this upload (pushed again to
             * another repository): nothing to analyze twice */
            st->checked = true;
            int known;
            if (dd_scanstore_layer_get(sc->o.store, st->digest, DD_ANALYZER_VERSION, NULL, NULL, 0, &known, NULL) ==
                DD_OK)
                return -1;
        }
        if (state == STREAM_COMMITTED) {
            /* every byte is on disk now: a second empty read is the end */
            got = dd_blob_reader_pread(&st->rd, st->off, buf, n);
            if (got > 0) st->off += (uint64_t)got;
            return got;
        }
        if (state == STREAM_ABANDONED || idle || !sc->running) return -1;
    }
}

static void *stream_main(void *arg)
{
    stream_t *st = arg;
    dd_scanner_t *sc = st->sc;
    setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 19);
    dd_layer_result_t res;
    dd_layer_result_init(&res);
    dd_err_t e;
    dd_err_clear(&e);
    int rc = dd_layer_analyze_stream(stream_read, st, NULL, &res, &e);
    /* Decided under the lock, once: either the upload committed (the hook
     * put its digest in the single-flight set for this stream, and the
     * cache put below ends that turn) or the stream is over for the hook
     * too, which then claims nothing for it. */
    pthread_mutex_lock(&sc->mu);
    bool committed = st->state == STREAM_COMMITTED;
    if (!committed) st->state = STREAM_ABANDONED;
    pthread_mutex_unlock(&sc->mu);
    if (committed && rc == DD_OK) {
        /* counted before the put publishes the result (see images_scanned) */
        pthread_mutex_lock(&sc->mu);
        sc->ctr.layers_streamed++;
        pthread_mutex_unlock(&sc->mu);
    }
    if (committed) {
        dd_digest_t d;
        memset(&d, 0, sizeof d);
        snprintf(d.str, sizeof d.str, "%s", st->digest);
        /* a stream cut short (known layer, stop, read error) stores nothing */
        int status = rc == DD_EIO ? DD_EBUSY : rc;
        sc->cache.put(sc, &d, status, rc == DD_OK ? &res : NULL, e.msg);
    }
    dd_layer_result_release(&res);
    dd_blob_reader_close(&st->rd);
    pthread_mutex_lock(&sc->mu);
    /* out of the stream table; the thread is detached, so st is ours to free */
    for (size_t i = 0; i < sc->n_streams; i++)
        if (sc->streams[i] == st) {
            sc->streams[i] = sc->streams[--sc->n_streams];
            break;
        }
    pthread_cond_broadcast(&sc->done_cond);
    pthread_mutex_unlock(&sc->mu);
    free(st);
    return NULL;
}

/* sc->mu held; the slot of uuid in sc->seen, or -1 */
static int seen_find(const dd_scanner_t *sc, const char *uuid)
{
    for (unsigned i = 0; i < SEEN_N; i++)
        if (sc->seen[i][0] && strcmp(sc->seen[i], uuid) == 0) return (int)i;
    return -1;
}

/* sc->mu held */
static void seen_add(dd_scanner_t *sc, const char *uuid)
{
    snprintf(sc->seen[sc->seen_next], sizeof sc->seen[0], "%s", uuid);
    sc->seen_next = (sc->seen_next + 1) % SEEN_N;
}

/* sc->mu held */
static void seen_forget(dd_scanner_t *sc, const char *uuid)
{
    int i = seen_find(sc, uuid);
    if (i >= 0) sc->seen[i][0] = '\0';
}

/* The upload-progress hook (HTTP thread, called once per PROGRESS_STEP):
 * only bookkeeping under sc->mu, no I/O. A known stream gets the new size;
 * a new upload worth streaming goes into stream_q for a worker. */
void scanner_hook_upload_progress(void *ctx, const char *repo, const char *uuid, uint64_t size)
{
    dd_scanner_t *sc = ctx;
    if (!sc->o.eager_layers) return;
    pthread_mutex_lock(&sc->mu);
    stream_t *st = stream_find(sc, uuid);
    if (st) {
        /* wake the stream thread once per MiB, not per network read */
        if (size - st->size >= (1u << 20)) {
            st->size = size;
            st->touched_ms = dd_now_ms();
            if (st->waiting) pthread_cond_broadcast(&sc->stream_cond);
        }
        pthread_mutex_unlock(&sc->mu);
        return;
    }
    bool start = sc->running && size >= STREAM_MIN_BYTES && sc->n_streams + sc->n_stream_q < MAX_STREAMS &&
                 seen_find(sc, uuid) < 0;
    if (start) seen_add(sc, uuid); /* looked at once, whatever comes of it */
    if (start && dd_scanner_repo_enabled(sc, repo)) {
        snprintf(sc->stream_q[sc->n_stream_q].uuid, sizeof sc->stream_q[0].uuid, "%s", uuid);
        sc->stream_q[sc->n_stream_q].size = size;
        sc->n_stream_q++;
        pthread_cond_signal(&sc->work_cond);
        pthread_cond_signal(&sc->watch_cond); /* the watcher starts it if no worker is quicker */
    }
    pthread_mutex_unlock(&sc->mu);
}

/* A worker starts the stream a hook asked for: opens the upload's bytes
 * through the blob store, sniffs them and, if they start like a layer,
 * starts the stream thread. */
void scanner_stream_start(dd_scanner_t *sc, const char *uuid, uint64_t size)
{
    stream_t *st = dd_calloc(1, sizeof *st);
    st->sc = sc;
    snprintf(st->uuid, sizeof st->uuid, "%s", uuid);
    if (dd_blobstore_upload_reader(sc->o.blobs, uuid, &st->rd, NULL) != DD_OK) {
        free(st); /* committed or dropped meanwhile, or a driver without it */
        return;
    }
    /* only a stream that starts like a layer is worth a thread */
    unsigned char head[512];
    ssize_t got = dd_blob_reader_pread(&st->rd, 0, head, sizeof head);
    const char *comp;
    if (got <= 0 || dd_layer_sniff(head, (size_t)got, &comp) != DD_OK) {
        dd_blob_reader_close(&st->rd);
        free(st);
        return;
    }
    pthread_mutex_lock(&sc->mu);
    /* the upload may have ended while we looked (seen_forget ran) */
    if (seen_find(sc, uuid) < 0 || stream_find(sc, uuid) || sc->n_streams >= MAX_STREAMS || !sc->running) {
        pthread_mutex_unlock(&sc->mu);
        dd_blob_reader_close(&st->rd);
        free(st);
        return;
    }
    st->size = size;
    st->touched_ms = dd_now_ms();
    st->state = STREAM_RUNNING;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 512 * 1024);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    sc->streams[sc->n_streams++] = st;
    if (pthread_create(&st->thread, &attr, stream_main, st) != 0) {
        sc->n_streams--;
        pthread_mutex_unlock(&sc->mu);
        dd_blob_reader_close(&st->rd);
        free(st);
    } else {
        pthread_mutex_unlock(&sc->mu);
    }
    pthread_attr_destroy(&attr);
}

void scanner_hook_upload_end(void *ctx, const char *uuid, const char *digest)
{
    dd_scanner_t *sc = ctx;
    pthread_mutex_lock(&sc->mu);
    seen_forget(sc, uuid);
    for (size_t i = 0; i < sc->n_stream_q; i++)
        if (!strcmp(sc->stream_q[i].uuid, uuid)) {
            sc->stream_q[i] = sc->stream_q[--sc->n_stream_q];
            break;
        }
    stream_t *st = stream_find(sc, uuid);
    if (st && st->state == STREAM_RUNNING) {
        bool taken = false;
        if (digest && sc->n_inflight < MAX_INFLIGHT) {
            for (size_t i = 0; i < sc->n_inflight; i++)
                if (!strcmp(sc->inflight[i], digest)) taken = true;
            if (!taken) {
                snprintf(sc->inflight[sc->n_inflight++], DD_DIGEST_MAX, "%s", digest);
                snprintf(st->digest, sizeof st->digest, "%s", digest);
            }
        }
        st->state = digest && !taken && st->digest[0] ? STREAM_COMMITTED : STREAM_ABANDONED;
        pthread_cond_broadcast(&sc->stream_cond);
    }
    pthread_mutex_unlock(&sc->mu);
}

/* Waits for stream threads to end (they end promptly once running is
 * false: their reads fail). */
void scanner_streams_drain(dd_scanner_t *sc)
{
    pthread_mutex_lock(&sc->mu);
    while (sc->n_streams > 0) {
        pthread_cond_broadcast(&sc->stream_cond);
        scanner_timed_wait(&sc->done_cond, &sc->mu, 50);
    }
    pthread_mutex_unlock(&sc->mu);
}
