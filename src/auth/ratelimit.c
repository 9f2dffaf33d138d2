/*
 * ratelimit.c: token buckets for failed logins, keyed by "ip:ADDR" and
 * "user:NAME". Each key starts with burst tokens; a failed login takes one;
 * tokens come back one per refill_ms. A key with no token left is refused
 * (429 + Retry-After) before its credentials are even checked, so a guessing
 * client cannot make the server burn argon2id time either.
 *
 * Growing delays (issue 20 item 8): each failure that leaves a key without
 * a token is a strike. From the second strike on, the key is also locked for
 * refill_ms << (strikes - 2), at most an hour, and tokens come back only
 * after the lock ends, so a guesser that waits for each token back waits
 * about twice as long each time. Strikes end when the bucket has refilled
 * completely (a quiet period) or dd_ratelimit_reset() clears the key (a
 * correct login).
 *
 * Memory is fixed: slots buckets in an open-addressed table (4 probes). A
 * bucket that has refilled completely is free for any key. When all probes
 * hold active buckets of other keys, the key shares the first one: that
 * errs toward limiting, never toward letting more attempts through.
 */
#include "dd/auth.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define PROBES 4

typedef struct {
    uint64_t key;      /* FNV-1a of the key string; 0 = empty */
    double tokens;
    int64_t last_ms;   /* when tokens was last brought up to date */
    int64_t until_ms;  /* locked until then (growing delay); 0 = not */
    unsigned strikes;  /* failures that found or left the bucket empty */
} bucket_t;

#define MAX_DELAY_MS (3600 * 1000LL)

struct dd_ratelimit {
    pthread_mutex_t mu;
    bucket_t *b;
    size_t n;
    unsigned burst;
    int64_t refill_ms;
};

dd_ratelimit_t *dd_ratelimit_new(size_t slots, unsigned burst, int64_t refill_ms)
{
    dd_ratelimit_t *r = dd_calloc(1, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
    r->n = slots ? slots : 1024;
    r->b = dd_calloc(r->n, sizeof *r->b);
    r->burst = burst ? burst : 1;
    r->refill_ms = refill_ms > 0 ? refill_ms : 1;
    return r;
}

void dd_ratelimit_free(dd_ratelimit_t *r)
{
    if (!r) return;
    pthread_mutex_destroy(&r->mu);
    free(r->b);
    free(r);
}

static uint64_t fnv(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h ? h : 1;
}

static void refill(dd_ratelimit_t *r, bucket_t *b, int64_t now)
{
    int64_t from = b->last_ms > b->until_ms ? b->last_ms : b->until_ms; /* no refill while locked */
    if (now > from) {
        b->tokens += (double)(now - from) / (double)r->refill_ms;
        if (b->tokens >= r->burst) {
            b->tokens = r->burst;
            b->strikes = 0;
        }
    }
    if (now > b->last_ms) b->last_ms = now;
}

/* The bucket of key; create: take a free slot if it has none. */
static bucket_t *find(dd_ratelimit_t *r, uint64_t k, int64_t now, bool create)
{
    bucket_t *free_slot = NULL;
    for (size_t i = 0; i < PROBES; i++) {
        bucket_t *b = &r->b[(k + i) % r->n];
        if (b->key == k) {
            refill(r, b, now);
            return b;
        }
        if (!free_slot) {
            if (b->key) refill(r, b, now);
            if (!b->key || (b->tokens >= r->burst && !b->strikes && now >= b->until_ms)) free_slot = b;
        }
    }
    if (!create) return NULL;
    if (!free_slot) return &r->b[k % r->n]; /* share: errs toward limiting */
    free_slot->key = k;
    free_slot->tokens = r->burst;
    free_slot->last_ms = now;
    free_slot->until_ms = 0;
    free_slot->strikes = 0;
    return free_slot;
}

int64_t dd_ratelimit_check(dd_ratelimit_t *r, const char *key, int64_t now_ms)
{
    pthread_mutex_lock(&r->mu);
    bucket_t *b = find(r, fnv(key), now_ms, false);
    int64_t wait = 0;
    if (b && (b->tokens < 1.0 || b->until_ms > now_ms)) {
        double ms = b->tokens < 1.0 ? (1.0 - b->tokens) * (double)r->refill_ms : 0;
        if (b->until_ms > now_ms) ms += (double)(b->until_ms - now_ms);
        wait = (int64_t)(ms / 1000.0) + 1;
    }
    pthread_mutex_unlock(&r->mu);
    return wait;
}

void dd_ratelimit_hit(dd_ratelimit_t *r, const char *key, int64_t now_ms)
{
    pthread_mutex_lock(&r->mu);
    bucket_t *b = find(r, fnv(key), now_ms, true);
    b->tokens -= 1.0;
    if (b->tokens < -1.0) b->tokens = -1.0;
    if (b->tokens < 1.0) {
        b->strikes++;
        if (b->strikes >= 2) {
            unsigned sh = b->strikes - 2 < 20 ? b->strikes - 2 : 20;
            int64_t delay = r->refill_ms << sh;
            if (delay > MAX_DELAY_MS || delay <= 0) delay = MAX_DELAY_MS;
            b->until_ms = now_ms + delay;
        }
    }
    pthread_mutex_unlock(&r->mu);
}

void dd_ratelimit_reset(dd_ratelimit_t *r, const char *key, int64_t now_ms)
{
    pthread_mutex_lock(&r->mu);
    bucket_t *b = find(r, fnv(key), now_ms, false);
    if (b && b->key == fnv(key)) {
        b->tokens = r->burst;
        b->strikes = 0;
        b->until_ms = 0;
    }
    pthread_mutex_unlock(&r->mu);
}
