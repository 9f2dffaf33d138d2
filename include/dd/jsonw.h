/*
 * jsonw.h: the one JSON writer. Values are appended to a dd_buf_t; commas
 * and nesting are tracked, strings are escaped and their UTF-8 validated
 * (an invalid sequence is written as U+FFFD, so the output is always valid
 * JSON), and the first failure (buffer cap, nesting too deep, a key where a
 * value belongs) is sticky: later calls do nothing and dd_jw_finish()
 * returns it. Callers write a whole document and check once.
 *
 *     dd_jw_t w;
 *     dd_jw_init(&w, &buf);
 *     dd_jw_obj(&w);
 *     dd_jw_key(&w, "id"); dd_jw_str(&w, id);
 *     dd_jw_end(&w);
 *     rc = dd_jw_finish(&w);
 */
#ifndef DD_JSONW_H
#define DD_JSONW_H

#include "dd/core.h"

#define DD_JW_DEPTH 32

typedef struct dd_jw {
    dd_buf_t *b;
    int rc;                     /* sticky: DD_OK or the first failure */
    int depth;
    bool first[DD_JW_DEPTH];    /* nothing written yet at this level */
    char close[DD_JW_DEPTH];    /* '}' or ']' */
    bool after_key;             /* a key was written: a value comes next */
} dd_jw_t;

void dd_jw_init(dd_jw_t *w, dd_buf_t *b);
void dd_jw_obj(dd_jw_t *w);     /* { */
void dd_jw_arr(dd_jw_t *w);     /* [ */
void dd_jw_end(dd_jw_t *w);     /* } or ] of the innermost open one */
void dd_jw_key(dd_jw_t *w, const char *k);
void dd_jw_str(dd_jw_t *w, const char *s);   /* NULL writes null */
void dd_jw_int(dd_jw_t *w, int64_t v);
void dd_jw_fixed(dd_jw_t *w, double v, int decimals); /* 7.5 with decimals 1: 7.5 */
void dd_jw_bool(dd_jw_t *w, bool v);
void dd_jw_null(dd_jw_t *w);
/* A value that is already serialized JSON (written as is). */
void dd_jw_raw(dd_jw_t *w, const char *json, size_t n);
/* The sticky rc; DD_EINVAL if an object or array is left open. */
int dd_jw_finish(dd_jw_t *w);

#endif
