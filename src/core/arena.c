/*
 * arena.c: a bump allocator for memory that lives exactly as long as one
 * request or one job. Nothing is freed one by one; dd_arena_release() runs
 * the registered cleanups (newest first) and frees every block.
 *
 * Marks: dd_arena_mark() records the current block, its fill and the newest
 * cleanup; dd_arena_reset() pops what came after. Blocks only ever get pushed
 * on the head and a block's fill only grows, so the blocks above the marked
 * one are exactly those allocated since the mark.
 */
#include "dd/core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct dd_arena_block {
    dd_arena_block_t *next;
    size_t used, size;
    _Alignas(16) unsigned char data[];
};

struct dd_arena_cleanup {
    dd_arena_cleanup_t *next;
    void (*fn)(void *);
    void *arg;
};

#define BLOCK_MIN 4096

void dd_arena_init(dd_arena_t *a)
{
    a->head = NULL;
    a->cleanups = NULL;
    a->total = 0;
    a->budget = NULL;
}

void dd_arena_init_budget(dd_arena_t *a, size_t *budget)
{
    dd_arena_init(a);
    a->budget = budget;
}

void *dd_arena_alloc(dd_arena_t *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (!n) n = 16;
    dd_arena_block_t *b = a->head;
    if (!b || b->size - b->used < n) {
        size_t size = n > BLOCK_MIN ? n : BLOCK_MIN;
        if (a->total >= 4 * BLOCK_MIN && size < 16 * BLOCK_MIN && n <= 16 * BLOCK_MIN / 4)
            size = 16 * BLOCK_MIN;
        b = dd_malloc(sizeof *b + size);
        b->used = 0;
        b->size = size;
        b->next = a->head;
        a->head = b;
        a->total += size;
        if (a->budget) *a->budget += size;
    }
    void *p = b->data + b->used;
    b->used += n;
    memset(p, 0, n);
    return p;
}

char *dd_arena_strndup(dd_arena_t *a, const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *p = dd_arena_alloc(a, len + 1);
    memcpy(p, s, len);
    return p;
}

char *dd_arena_strdup(dd_arena_t *a, const char *s)
{
    return s ? dd_arena_strndup(a, s, strlen(s)) : NULL;
}

char *dd_arena_printf(dd_arena_t *a, const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *p = dd_arena_alloc(a, (size_t)(n < 0 ? 0 : n) + 1);
    if (n > 0) vsnprintf(p, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return p;
}

void dd_arena_cleanup_add(dd_arena_t *a, void (*fn)(void *), void *arg)
{
    dd_arena_cleanup_t *c = dd_malloc(sizeof *c);
    c->fn = fn;
    c->arg = arg;
    c->next = a->cleanups;
    a->cleanups = c;
}

void dd_arena_release(dd_arena_t *a)
{
    while (a->cleanups) {
        dd_arena_cleanup_t *c = a->cleanups;
        a->cleanups = c->next;
        c->fn(c->arg);
        free(c);
    }
    while (a->head) {
        dd_arena_block_t *b = a->head;
        a->head = b->next;
        if (a->budget) *a->budget -= b->size;
        free(b);
    }
    a->total = 0;
}

dd_arena_mark_t dd_arena_mark(const dd_arena_t *a)
{
    dd_arena_mark_t m = {a->head, a->head ? a->head->used : 0, a->cleanups, a->total};
    return m;
}

void dd_arena_reset(dd_arena_t *a, dd_arena_mark_t m)
{
    while (a->cleanups && a->cleanups != m.cleanups) {
        dd_arena_cleanup_t *c = a->cleanups;
        a->cleanups = c->next;
        c->fn(c->arg);
        free(c);
    }
    while (a->head && a->head != m.head) {
        dd_arena_block_t *b = a->head;
        a->head = b->next;
        if (a->budget) *a->budget -= b->size;
        free(b);
    }
    if (a->head) a->head->used = m.used;
    a->total = m.total;
}
