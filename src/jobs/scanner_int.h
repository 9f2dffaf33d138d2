/*
 * scanner_int.h: the scanner's state shared by its three files: hooks.c
 * (registry hooks, HTTP threads: record work and return), stream.c (layers
 * analyzed while their upload arrives) and workers.c (the worker pool, the
 * layer cache, one image's scan through the shared pipeline,
 * re-assessment). Not a public header.
 */
#ifndef DD_SCANNER_INT_H
#define DD_SCANNER_INT_H

#include <pthread.h>

#include "dd/image.h"
#include "dd/scanner.h"
#include "dd/vulndb.h"

#define LAYER_QUEUE_MAX 4096
#define MAX_INFLIGHT 64
#define MAX_STREAMS 4                 /* uploads analyzed while they arrive */
#define STREAM_MIN_BYTES (4u << 20)   /* smaller blobs are analyzed after the commit */
#define SEEN_N 64                      /* uploads remembered as looked at (see dd_scanner.seen) */
#define STREAM_IDLE_MS 60000          /* an upload silent this long is given up */

struct dd_scanner {
    dd_scanner_opts_t o;
    char *vulndb_path, *include, *exclude, *registry_host;

    pthread_mutex_t mu;        /* queue, inflight, running flags, counters */
    pthread_cond_t work_cond;  /* work arrived, or stop: workers wait here */
    pthread_cond_t done_cond;  /* a layer analysis finished: single-flight waiters */
    pthread_cond_t watch_cond; /* stop, or a stream request: the watcher waits here between polls */
    char (*layer_q)[DD_DIGEST_MAX];
    size_t lq_head, lq_len;
    char inflight[MAX_INFLIGHT][DD_DIGEST_MAX]; /* layers being analyzed: one thread's turn each */
    size_t n_inflight;
    unsigned busy;             /* workers running a job or layer task */
    bool running;
    pthread_t *threads;
    unsigned n_threads;
    pthread_t watcher;
    bool watcher_started;
    dd_scanner_counters_t ctr;

    dd_vulndb_live_t *live;    /* the vulnerability DB snapshots */
    /* the pipeline's layer cache: the scan store behind the single-flight
     * set `inflight` (workers.c), used by jobs, layer tasks and streams */
    dd_layer_cache_t cache;
    dd_image_source_t *layers_src; /* store: without a manifest, for layer tasks */
    pthread_mutex_t rematch_mu; /* one re-assessment at a time */

    /* layers analyzed while their upload is still arriving (stream_*) */
    struct stream *streams[MAX_STREAMS];
    size_t n_streams;
    /* uploads a hook asked to stream: a worker opens and sniffs them and
     * starts their thread (the hook itself does no I/O) */
    struct { char uuid[64]; uint64_t size; } stream_q[MAX_STREAMS];
    size_t n_stream_q;
    pthread_cond_t stream_cond; /* an upload grew or ended */
    /* uploads already sniffed (not a layer) or streamed once: no second
     * look on every further network read (a small ring; forgotten at the
     * upload's end) */
    char seen[SEEN_N][64];
    unsigned seen_next;
};

/* Waits on cond (with mu held) for at most ms milliseconds. */
void scanner_timed_wait(pthread_cond_t *cond, pthread_mutex_t *mu, int64_t ms);
/* Takes digest out of the single-flight set. Caller holds sc->mu. */
void scanner_inflight_remove(dd_scanner_t *sc, const char *digest);

/* hooks.c: brings the scan store's image references (tags, untagged
 * manifests) in line with the metadata store's at start-up; *n: references
 * fixed. Called by dd_scanner_reconcile. */
int scanner_reconcile_tags(dd_scanner_t *sc, struct dd_meta *meta, size_t *n);

/* stream.c */
/* The upload hooks (HTTP threads): bookkeeping under sc->mu only. */
void scanner_hook_upload_progress(void *ctx, const char *repo, const char *uuid, uint64_t size);
void scanner_hook_upload_end(void *ctx, const char *uuid, const char *digest);
/* A worker or the watcher starts the stream a hook queued in sc->stream_q. */
void scanner_stream_start(dd_scanner_t *sc, const char *uuid, uint64_t size);
/* Waits for stream threads to end (after running went false). */
void scanner_streams_drain(dd_scanner_t *sc);

#endif
