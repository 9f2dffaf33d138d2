/*
 * ops.c: tabular operators and query execution.
 *
 * Design notes
 *   - A pipe compiles into a chain of push-based nodes. Each node has
 *     push(row) and finish(); rows flow from the source (a provider scan, a
 *     `print`, or a let-bound pipe) through the chain into a terminal node
 *     (the result sink, or the collector of a join's right side).
 *   - push returns DD_OK, DD_DECLINED when the chain wants no more rows
 *     (take reached its count), or an error. A node that gets DD_DECLINED
 *     from downstream stops forwarding and returns it upstream; the source
 *     then stops scanning. finish() is always called once, top to bottom,
 *     after the last push: blocking nodes (summarize, sort, top, count)
 *     emit their rows there and then call next->finish().
 *   - Row values are borrowed for the duration of push. A node that keeps a
 *     row (sort, summarize keys, distinct, join build side, the sink) copies
 *     it into q->perm. Scratch memory (q->tmp) is reset after every row the
 *     source (or a blocking node's finish) pushes.
 *   - Every row a node receives costs one step; a query stops with DD_ELIMIT
 *     when steps, memory or the deadline run out (qstep).
 *
 * Schemas are computed while compiling, so unknown columns, functions and
 * type errors are reported before any row is read, with line and column.
 */
#include "query/qint.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct qnode qnode_t;
struct qnode {
    int (*push)(qnode_t *n, const dd_qval_t *row);
    int (*finish)(qnode_t *n);
    qnode_t *next;
    qctx_t *q;
    qschema_t in, out;
};

/* ---- errors and budget ------------------------------------------------------- */
int qerr_at(qctx_t *q, int line, int col, int code, const char *fmt, ...)
{
    va_list ap;
    char m[400];
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    q->err_line = line;
    q->err_col = col;
    return dd_err(q->e, code, "%s", m);
}

int qstep(qctx_t *q, uint64_t n)
{
    q->steps += n;
    if (q->steps > q->lim.max_steps)
        return dd_err(q->e, DD_ELIMIT, "query exceeded its work budget (%llu rows processed)", (unsigned long long)q->lim.max_steps);
    if (q->mem_used > q->lim.max_memory)
        return dd_err(q->e, DD_ELIMIT, "query exceeded its memory budget (%zu MiB)", q->lim.max_memory >> 20);
    if (q->deadline_ns && (q->steps & 1023) < n && dd_mono_ns() > q->deadline_ns)
        return dd_err(q->e, DD_ELIMIT, "query exceeded its time budget (%lld ms)", (long long)q->lim.timeout_ms);
    return DD_OK;
}

/* Runs fn(arg) when the result is released (also after an error). */
static void qdefer(qctx_t *q, void (*fn)(void *), void *arg)
{
    struct qdefer *d = dd_arena_alloc(&q->perm, sizeof *d);
    d->fn = fn;
    d->arg = arg;
    d->next = q->defers;
    q->defers = d;
}

/* ---- helpers ------------------------------------------------------------------- */
static dd_qval_t *copy_row(qctx_t *q, const dd_qval_t *row, int n)
{
    dd_qval_t *r = dd_arena_alloc(&q->perm, (size_t)(n ? n : 1) * sizeof *r);
    for (int i = 0; i < n; i++) r[i] = qval_copy(&q->perm, &row[i]);
    return r;
}

static void schema_alloc(qctx_t *q, qschema_t *s, int n)
{
    s->n = 0;
    s->cols = dd_arena_alloc(&q->perm, (size_t)(n ? n : 1) * sizeof *s->cols);
}

static void schema_add(qschema_t *s, const char *name, dd_qtype_t t)
{
    s->cols[s->n].name = name;
    s->cols[s->n].type = t;
    s->n++;
}

/* A name not yet in s: base, else base1, base2, ... */
static const char *unique_name(qctx_t *q, const qschema_t *s, const char *base)
{
    if (qschema_find(s, base) < 0) return base;
    for (int k = 1;; k++) {
        char *n = dd_arena_alloc(&q->perm, strlen(base) + 16);
        sprintf(n, "%s%d", base, k);
        if (qschema_find(s, n) < 0) return n;
    }
}

static const char *column_n(qctx_t *q, const qschema_t *s)
{
    for (int k = 1;; k++) {
        char *n = dd_arena_alloc(&q->perm, 24);
        sprintf(n, "Column%d", k);
        if (qschema_find(s, n) < 0) return n;
    }
}

static int fwd_finish(qnode_t *n) { return n->next->finish(n->next); }

/* Pushes a row from a blocking node's finish (resets scratch after). */
static int emit(qnode_t *n, const dd_qval_t *row)
{
    dd_arena_mark_t m = dd_arena_mark(&n->q->tmp);
    int rc = n->next->push(n->next, row);
    dd_arena_reset(&n->q->tmp, m);
    return rc;
}

/* ---- where ---------------------------------------------------------------------- */
typedef struct { qnode_t super; qexpr_t *pred; } where_t;

static int where_push(qnode_t *n, const dd_qval_t *row)
{
    where_t *w = (where_t *)n;
    dd_qval_t v;
    int rc = qstep(n->q, 1);
    if (rc) return rc;
    if ((rc = qexpr_eval(n->q, w->pred, row, &v))) return rc;
    return qv_true(&v) ? n->next->push(n->next, row) : DD_OK;
}

/* ---- project / extend / project-away / project-rename -------------------------- */
typedef struct {
    qnode_t super;
    int nout;
    int *src;            /* per output column: input index, or -1 */
    qexpr_t **expr;      /* per output column: expression (src == -1) */
    bool extend;         /* extend: row starts as a copy of the input */
} proj_t;

static int proj_push(qnode_t *n, const dd_qval_t *row)
{
    proj_t *p = (proj_t *)n;
    int rc = qstep(n->q, 1);
    if (rc) return rc;
    dd_qval_t *out = dd_arena_alloc(&n->q->tmp, (size_t)(p->nout ? p->nout : 1) * sizeof *out);
    if (p->extend) {
        memcpy(out, row, (size_t)n->in.n * sizeof *out);
        for (int i = 0; i < p->nout; i++)
            if (p->expr[i] && (rc = qexpr_eval(n->q, p->expr[i], out, &out[i]))) return rc;
    } else {
        for (int i = 0; i < p->nout; i++) {
            if (p->src[i] >= 0) out[i] = row[p->src[i]];
            else if ((rc = qexpr_eval(n->q, p->expr[i], row, &out[i]))) return rc;
        }
    }
    return n->next->push(n->next, out);
}

static proj_t *proj_new(qctx_t *q, const qschema_t *in, int maxout)
{
    proj_t *p = dd_arena_alloc(&q->perm, sizeof *p);
    p->super.push = proj_push;
    p->super.finish = fwd_finish;
    p->super.q = q;
    p->super.in = *in;
    p->src = dd_arena_alloc(&q->perm, (size_t)(maxout ? maxout : 1) * sizeof(int));
    p->expr = dd_arena_alloc(&q->perm, (size_t)(maxout ? maxout : 1) * sizeof(qexpr_t *));
    schema_alloc(q, &p->super.out, maxout);
    return p;
}

static int compile_project(qctx_t *q, qop_t *op, const qschema_t *in, qnode_t **out)
{
    int rc;
    proj_t *p = proj_new(q, in, op->n);
    for (int i = 0; i < op->n; i++) {
        qexpr_t *x = op->exprs[i];
        if ((rc = qexpr_resolve(q, x, in))) return rc;
        const char *name = op->names[i];
        if (!name) name = qexpr_derive_name(&q->perm, x);
        if (!name) name = column_n(q, &p->super.out);
        if (qschema_find(&p->super.out, name) >= 0)
            return qerr_at(q, op->elines[i], op->ecols[i], DD_EINVAL, "duplicate column name '%s' in project", name);
        p->src[i] = x->kind == E_COL ? x->colidx : -1;
        p->expr[i] = x;
        schema_add(&p->super.out, name, x->type);
    }
    p->nout = op->n;
    *out = &p->super;
    return DD_OK;
}

static int compile_extend(qctx_t *q, qop_t *op, const qschema_t *in, qnode_t **out)
{
    int rc;
    proj_t *p = proj_new(q, in, in->n + op->n);
    p->extend = true;
    for (int i = 0; i < in->n; i++) { schema_add(&p->super.out, in->cols[i].name, in->cols[i].type); p->src[i] = i; }
    for (int i = 0; i < op->n; i++) {
        qexpr_t *x = op->exprs[i];
        if ((rc = qexpr_resolve(q, x, &p->super.out))) return rc;
        const char *name = op->names[i];
        if (!name) name = qexpr_derive_name(&q->perm, x);
        if (!name || (!op->names[i] && qschema_find(&p->super.out, name) >= 0)) name = column_n(q, &p->super.out);
        int k = qschema_find(&p->super.out, name);
        if (k < 0) { k = p->super.out.n; schema_add(&p->super.out, name, x->type); }
        else p->super.out.cols[k].type = x->type;
        p->src[k] = -1;
        p->expr[k] = x;
    }
    p->nout = p->super.out.n;
    *out = &p->super;
    return DD_OK;
}

static int compile_away_rename(qctx_t *q, qop_t *op, const qschema_t *in, qnode_t **out)
{
    proj_t *p = proj_new(q, in, in->n);
    bool *drop = dd_arena_alloc(&q->perm, (size_t)(in->n ? in->n : 1));
    const char **rename = dd_arena_alloc(&q->perm, (size_t)(in->n ? in->n : 1) * sizeof(char *));
    for (int i = 0; i < op->n; i++) {
        qexpr_t *x = op->exprs[i];
        if (x->kind != E_COL)
            return qerr_at(q, x->line, x->col, DD_EINVAL, "%s expects column names",
                           op->kind == Q_PROJECT_AWAY ? "project-away" : op->kind == Q_PROJECT_REORDER ? "project-reorder" : "project-rename");
        int k = qschema_find(in, x->name);
        if (k < 0) return qerr_at(q, x->line, x->col, DD_EINVAL, "unknown column '%s'", x->name);
        if (op->kind == Q_PROJECT_AWAY) drop[k] = true;
        else if (op->kind == Q_PROJECT_RENAME) rename[k] = op->names[i];
        else if (!drop[k]) {
            /* project-reorder: the named columns first, in the given order */
            drop[k] = true;
            p->src[p->super.out.n] = k;
            schema_add(&p->super.out, in->cols[k].name, in->cols[k].type);
        }
    }
    if (op->kind == Q_PROJECT_REORDER) {
        for (int i = 0; i < in->n; i++)
            if (!drop[i]) { p->src[p->super.out.n] = i; schema_add(&p->super.out, in->cols[i].name, in->cols[i].type); }
        p->nout = p->super.out.n;
        *out = &p->super;
        return DD_OK;
    }
    for (int i = 0; i < in->n; i++) {
        if (drop[i]) continue;
        const char *name = rename[i] ? rename[i] : in->cols[i].name;
        if (qschema_find(&p->super.out, name) >= 0)
            return qerr_at(q, op->line, op->col, DD_EINVAL, "duplicate column name '%s' after project-rename", name);
        p->src[p->super.out.n] = i;
        schema_add(&p->super.out, name, in->cols[i].type);
    }
    /* a renamed column may not collide with a later original name either */
    p->nout = p->super.out.n;
    *out = &p->super;
    return DD_OK;
}

/* ---- take -------------------------------------------------------------------------- */
typedef struct { qnode_t super; int64_t left; } take_t;

static int take_push(qnode_t *n, const dd_qval_t *row)
{
    take_t *t = (take_t *)n;
    int rc = qstep(n->q, 1);
    if (rc) return rc;
    if (t->left <= 0) return DD_DECLINED;
    t->left--;
    rc = n->next->push(n->next, row);
    if (rc == DD_OK && t->left == 0) return DD_DECLINED;
    return rc;
}

/* ---- count -------------------------------------------------------------------------- */
typedef struct { qnode_t super; int64_t count; } count_t;

static int count_push(qnode_t *n, const dd_qval_t *row)
{
    (void)row;
    ((count_t *)n)->count++;
    return qstep(n->q, 1);
}

static int count_finish(qnode_t *n)
{
    dd_qval_t v = dd_qval_long(((count_t *)n)->count);
    int rc = emit(n, &v);
    if (rc < 0) return rc;
    return n->next->finish(n->next);
}

/* ---- hash table of rows (summarize groups, distinct, join) -------------------------- */
typedef struct hent { uint64_t h; dd_qval_t *key; void *data; struct hent *chain; } hent_t;
typedef struct htab { hent_t **b; size_t nb, n; } htab_t;

static uint64_t key_hash(const dd_qval_t *k, int n)
{
    uint64_t h = 0x9e3779b97f4a7c15ULL;
    for (int i = 0; i < n; i++) h = (h ^ qval_hash(&k[i])) * 0x100000001b3ULL + (uint64_t)i;
    return h;
}

static bool key_eq(const dd_qval_t *a, const dd_qval_t *b, int n)
{
    for (int i = 0; i < n; i++)
        if (!qval_same(&a[i], &b[i])) return false;
    return true;
}

static hent_t *ht_find(htab_t *t, uint64_t h, const dd_qval_t *k, int n)
{
    if (!t->nb) return NULL;
    for (hent_t *e = t->b[h & (t->nb - 1)]; e; e = e->chain)
        if (e->h == h && key_eq(e->key, k, n)) return e;
    return NULL;
}

/* Inserts a new entry (caller checked absence); key must be in perm. */
static hent_t *ht_add(qctx_t *q, htab_t *t, uint64_t h, dd_qval_t *key)
{
    if (t->n * 2 >= t->nb) {
        size_t nb = t->nb ? t->nb * 2 : 64;
        hent_t **b = dd_arena_alloc(&q->perm, nb * sizeof *b);
        for (size_t i = 0; i < t->nb; i++) {
            hent_t *e = t->b[i];
            while (e) {
                hent_t *nx = e->chain;
                e->chain = b[e->h & (nb - 1)];
                b[e->h & (nb - 1)] = e;
                e = nx;
            }
        }
        t->b = b;
        t->nb = nb;
    }
    hent_t *e = dd_arena_alloc(&q->perm, sizeof *e);
    e->h = h;
    e->key = key;
    e->chain = t->b[h & (t->nb - 1)];
    t->b[h & (t->nb - 1)] = e;
    t->n++;
    return e;
}

/* ---- summarize ------------------------------------------------------------------------ */
typedef struct aggdef {
    int kind;
    qexpr_t *arg;          /* the aggregated expression (countif: predicate) */
    int64_t limit;         /* make_set / make_list */
    qexpr_t *pred;         /* the ...if variants: rows where it is false are skipped */
    int nret;              /* arg_max/arg_min: returned columns */
    qexpr_t **ret;
    int outcol;            /* first output column */
} aggdef_t;

typedef struct aggst {
    int64_t n;             /* count, countif, avg count, list length */
    int64_t l;             /* sum (long) */
    double d;              /* sum (real), avg */
    bool real, seen;
    dd_qval_t v;           /* min/max/take_any/arg best */
    dd_qval_t *rowv;       /* arg_max/arg_min returned values (in blk) */
    void *blk;             /* arg_max/arg_min: malloc'd flat copy of v and rowv */
    size_t blksz;
    htab_t set;            /* dcount / make_set */
    dd_qval_t *items;      /* make_list / make_set, in order */
    size_t cap;
} aggst_t;

typedef struct group { dd_qval_t *key; aggst_t *st; struct group *nextg; } group_t;

typedef struct {
    qnode_t super;
    int nby, nagg;
    qexpr_t **by;
    aggdef_t *aggs;
    htab_t groups;
    group_t *first, **tail;
    dd_qval_t *keybuf;
    /* aggregations inside larger expressions, e.g. round(avg(x), 2): the
     * aggregations are "hidden" (states after the direct ones), and each
     * such item is an expression over [by keys..., hidden results...] */
    int nhidden, ncomp;
    aggdef_t *hidden;
    qexpr_t **comp;
    int *compcol;
    dd_qval_t *syn;
} summ_t;

static size_t al8(size_t n) { return (n + 7) & ~(size_t)7; }

static void list_push(qctx_t *q, aggst_t *s, const dd_qval_t *v)
{
    if ((size_t)s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 8;
        dd_qval_t *ni = dd_arena_alloc(&q->perm, nc * sizeof *ni);
        if (s->n) memcpy(ni, s->items, (size_t)s->n * sizeof *ni);
        s->items = ni;
        s->cap = nc;
    }
    s->items[s->n++] = qval_copy(&q->perm, v);
}

static int agg_update(qctx_t *q, aggdef_t *a, aggst_t *s, const dd_qval_t *row)
{
    dd_qval_t v = dd_qval_null();
    int rc;
    if (!a->kind) return DD_OK;   /* a computed item: nothing to accumulate */
    if (a->pred) {
        if ((rc = qexpr_eval(q, a->pred, row, &v))) return rc;
        if (!qv_true(&v)) return DD_OK;
    }
    if (a->kind == AG_COUNT) { s->n++; return DD_OK; }
    if ((rc = qexpr_eval(q, a->arg, row, &v))) return rc;
    switch (a->kind) {
    case AG_COUNTIF:
        if (qv_true(&v)) s->n++;
        break;
    case AG_SUM:
    case AG_AVG:
        if (v.t == DD_QT_LONG && !s->real && a->kind == AG_SUM) {
            if (__builtin_add_overflow(s->l, v.u.l, &s->l)) { s->real = true; s->d = (double)s->l + (double)v.u.l; }
            s->seen = true;
        } else if (qv_isnum(&v)) {
            if (!s->real && a->kind == AG_SUM) { s->real = true; s->d = (double)s->l; }
            s->d += qv_num(&v);
            s->n++;
            s->seen = true;
        } else if (v.t == DD_QT_TIMESPAN && a->kind == AG_SUM) {
            s->l += v.u.l;
            s->seen = true;
            s->v.t = DD_QT_TIMESPAN;
        }
        break;
    case AG_MIN:
    case AG_MAX:
        if (v.t == DD_QT_NULL) break;
        if (!s->seen || (a->kind == AG_MIN ? qval_cmp(&v, &s->v) < 0 : qval_cmp(&v, &s->v) > 0)) {
            s->v = qval_copy(&q->perm, &v);
            s->seen = true;
        }
        break;
    case AG_TAKE_ANY:
        if (!s->seen && v.t != DD_QT_NULL) { s->v = qval_copy(&q->perm, &v); s->seen = true; }
        break;
    case AG_DCOUNT:
    case AG_MAKE_SET: {
        if (v.t == DD_QT_NULL) break;
        if (a->kind == AG_MAKE_SET && v.t == DD_QT_ARRAY) {
            /* make_set of arrays adds their elements */
            for (uint32_t i = 0; i < v.u.a->n; i++) {
                const dd_qval_t *el = &v.u.a->v[i];
                uint64_t h = qval_hash(el);
                if (ht_find(&s->set, h, el, 1) || s->n >= a->limit) continue;
                dd_qval_t *k = dd_arena_alloc(&q->perm, sizeof *k);
                *k = qval_copy(&q->perm, el);
                ht_add(q, &s->set, h, k);
                list_push(q, s, k);
            }
            break;
        }
        uint64_t h = qval_hash(&v);
        if (ht_find(&s->set, h, &v, 1)) break;
        if (a->kind == AG_MAKE_SET && s->n >= a->limit) break;
        dd_qval_t *k = dd_arena_alloc(&q->perm, sizeof *k);
        *k = qval_copy(&q->perm, &v);
        ht_add(q, &s->set, h, k);
        if (a->kind == AG_MAKE_SET) list_push(q, s, k);
        else s->n++;
        break;
    }
    case AG_MAKE_LIST:
        if (v.t == DD_QT_NULL || s->n >= a->limit) break;
        if (v.t == DD_QT_ARRAY) {
            for (uint32_t i = 0; i < v.u.a->n && s->n < a->limit; i++) list_push(q, s, &v.u.a->v[i]);
        } else list_push(q, s, &v);
        break;
    case AG_ARG_MAX:
    case AG_ARG_MIN:
        if (v.t == DD_QT_NULL && s->seen) break;
        if (!s->seen || (v.t != DD_QT_NULL && (s->v.t == DD_QT_NULL ||
                         (a->kind == AG_ARG_MAX ? qval_cmp(&v, &s->v) > 0 : qval_cmp(&v, &s->v) < 0)))) {
            /* the best row changes often (e.g. ascending input): keep it in
             * one malloc'd block that is replaced, not in the query arena */
            dd_qval_t *ret = dd_arena_alloc(&q->tmp, (size_t)(a->nret + 1) * sizeof *ret);
            size_t sz = al8((size_t)(a->nret + 1) * sizeof(dd_qval_t)) + qval_flat_size(&v);
            for (int i = 0; i < a->nret; i++) {
                if ((rc = qexpr_eval(q, a->ret[i], row, &ret[i]))) return rc;
                sz += qval_flat_size(&ret[i]);
            }
            char *blk = dd_malloc(sz), *cur = blk;
            dd_qval_t *vals = (dd_qval_t *)cur;
            cur += al8((size_t)(a->nret + 1) * sizeof(dd_qval_t));
            vals[0] = qval_flat_copy(&cur, &v);
            for (int i = 0; i < a->nret; i++) vals[1 + i] = qval_flat_copy(&cur, &ret[i]);
            if (s->blk) { free(s->blk); q->mem_used -= s->blksz; }
            s->blk = blk;
            s->blksz = sz;
            q->mem_used += sz;
            s->v = vals[0];
            s->rowv = vals + 1;
            s->seen = true;
        }
        break;
    }
    return DD_OK;
}

static void agg_result(qctx_t *q, aggdef_t *a, aggst_t *s, dd_qval_t *out)
{
    switch (a->kind) {
    case AG_COUNT:
    case AG_COUNTIF:
    case AG_DCOUNT:
        out[0] = dd_qval_long(s->n);
        break;
    case AG_SUM:
        if (s->v.t == DD_QT_TIMESPAN) out[0] = dd_qval_timespan(s->l);
        else if (s->real) out[0] = dd_qval_real(s->d);
        else out[0] = dd_qval_long(s->l);
        break;
    case AG_AVG:
        out[0] = s->n ? dd_qval_real(s->d / (double)s->n) : dd_qval_null();
        break;
    case AG_MIN:
    case AG_MAX:
    case AG_TAKE_ANY:
        out[0] = s->seen ? s->v : dd_qval_null();
        break;
    case AG_MAKE_SET:
    case AG_MAKE_LIST: {
        dd_qarray_t *arr = dd_arena_alloc(&q->perm, sizeof *arr + (size_t)s->n * sizeof(dd_qval_t));
        arr->n = (uint32_t)s->n;
        for (int64_t i = 0; i < s->n; i++) { arr->v[i] = s->items[i]; arr->v[i].dyn = 1; }
        out[0] = dd_qval_null();
        out[0].t = DD_QT_ARRAY;
        out[0].u.a = arr;
        out[0].dyn = 1;
        break;
    }
    case AG_ARG_MAX:
    case AG_ARG_MIN:
        out[0] = s->seen ? s->v : dd_qval_null();
        for (int i = 0; i < a->nret; i++) out[1 + i] = s->rowv ? s->rowv[i] : dd_qval_null();
        break;
    }
}

static void summ_cleanup(void *arg)
{
    summ_t *s = arg;
    for (group_t *g = s->first; g; g = g->nextg)
        for (int i = 0; i < s->nagg + s->nhidden; i++) free(g->st[i].blk);
}

static group_t *new_group(summ_t *s, uint64_t h, const dd_qval_t *key)
{
    qctx_t *q = s->super.q;
    group_t *g = dd_arena_alloc(&q->perm, sizeof *g);
    g->key = copy_row(q, key, s->nby);
    g->st = dd_arena_alloc(&q->perm, (size_t)(s->nagg + s->nhidden + 1) * sizeof *g->st);
    ht_add(q, &s->groups, h, g->key)->data = g;
    *s->tail = g;
    s->tail = &g->nextg;
    return g;
}

static int summ_push(qnode_t *n, const dd_qval_t *row)
{
    summ_t *s = (summ_t *)n;
    int rc = qstep(n->q, 1);
    if (rc) return rc;
    for (int i = 0; i < s->nby; i++)
        if ((rc = qexpr_eval(n->q, s->by[i], row, &s->keybuf[i]))) return rc;
    uint64_t h = key_hash(s->keybuf, s->nby);
    hent_t *e = ht_find(&s->groups, h, s->keybuf, s->nby);
    group_t *g = e ? e->data : new_group(s, h, s->keybuf);
    for (int i = 0; i < s->nagg; i++)
        if ((rc = agg_update(n->q, &s->aggs[i], &g->st[i], row))) return rc;
    for (int i = 0; i < s->nhidden; i++)
        if ((rc = agg_update(n->q, &s->hidden[i], &g->st[s->nagg + i], row))) return rc;
    return DD_OK;
}

static int summ_finish(qnode_t *n)
{
    summ_t *s = (summ_t *)n;
    qctx_t *q = n->q;
    if (!s->first && s->nby == 0) new_group(s, key_hash(NULL, 0), NULL);
    dd_qval_t *out = dd_arena_alloc(&q->perm, (size_t)(n->out.n ? n->out.n : 1) * sizeof *out);
    int rc = DD_OK;
    for (group_t *g = s->first; g; g = g->nextg) {
        if ((rc = qstep(q, 1))) return rc;
        for (int i = 0; i < s->nby; i++) out[i] = g->key[i];
        for (int i = 0; i < s->nagg; i++) agg_result(q, &s->aggs[i], &g->st[i], &out[s->aggs[i].outcol]);
        if (s->ncomp) {
            dd_arena_mark_t m = dd_arena_mark(&q->tmp);
            for (int i = 0; i < s->nby; i++) s->syn[i] = g->key[i];
            for (int i = 0; i < s->nhidden; i++) agg_result(q, &s->hidden[i], &g->st[s->nagg + i], &s->syn[s->nby + i]);
            for (int i = 0; i < s->ncomp; i++) {
                dd_qval_t v;
                if ((rc = qexpr_eval(q, s->comp[i], s->syn, &v))) return rc;
                out[s->compcol[i]] = qval_copy(&q->perm, &v);
            }
            dd_arena_reset(&q->tmp, m);
        }
        rc = emit(n, out);
        if (rc == DD_DECLINED) break;
        if (rc) return rc;
    }
    return n->next->finish(n->next);
}

static const char *agg_prefix(int kind)
{
    switch (kind) {
    case AG_DCOUNT: return "dcount_";
    case AG_SUM: return "sum_";
    case AG_AVG: return "avg_";
    case AG_MIN: return "min_";
    case AG_MAX: return "max_";
    case AG_MAKE_SET: return "set_";
    case AG_MAKE_LIST: return "list_";
    case AG_TAKE_ANY: return "any_";
    default: return "";
    }
}

/* Validates an aggregation call x (function f) and fills a; *rt gets the
 * result type. */
static int agg_setup(qctx_t *q, aggdef_t *a, qexpr_t *x, const qfunc_t *f, const qschema_t *in, dd_qtype_t *rt)
{
    int rc;
    if (x->nargs < f->minargs || x->nargs > f->maxargs) {
        if (f->minargs == f->maxargs)
            return qerr_at(q, x->line, x->col, DD_EINVAL, "function '%s' expects %d argument%s", f->name, f->minargs, f->minargs == 1 ? "" : "s");
        if (f->maxargs > 60)
            return qerr_at(q, x->line, x->col, DD_EINVAL, "function '%s' expects at least %d argument%s", f->name, f->minargs, f->minargs == 1 ? "" : "s");
        return qerr_at(q, x->line, x->col, DD_EINVAL, "function '%s' expects %d to %d arguments", f->name, f->minargs, f->maxargs);
    }
    a->kind = f->agg;
    a->limit = 1048576;
    /* the arguments without the predicate of an ...if variant (the AST is
     * not changed: a let-bound pipe may be compiled twice) */
    qexpr_t *args[8];
    int nargs = 0;
    for (int i = 0; i < x->nargs && nargs < 8; i++) {
        if (a->kind > AG_IF && i == 1) continue;
        args[nargs++] = x->args[i];
    }
    if (a->kind > AG_IF) {
        a->kind -= AG_IF;
        qexpr_t *p = x->args[1];  /* sumif(x, p), dcountif(x, p [, acc]), make_set_if(x, p [, max]) */
        if ((rc = qexpr_resolve(q, p, in))) return rc;
        if (p->type != DD_QT_BOOL && p->type != DD_QT_DYNAMIC)
            return qerr_at(q, p->line, p->col, DD_EINVAL, "type error: %s expects a bool predicate, got %s", f->name, dd_qtype_name(p->type));
        a->pred = p;
    }
    if (nargs > 0) {
        a->arg = args[0];
        if ((rc = qexpr_resolve(q, a->arg, in))) return rc;
    }
    if ((a->kind == AG_MAKE_SET || a->kind == AG_MAKE_LIST) && nargs == 2) {
        if (args[1]->kind != E_LIT || args[1]->lit.t != DD_QT_LONG || args[1]->lit.u.l < 0)
            return qerr_at(q, args[1]->line, args[1]->col, DD_EINVAL, "%s expects a constant maximum size", f->name);
        a->limit = args[1]->lit.u.l;
    }
    if (a->kind == AG_DCOUNT && nargs == 2 && (rc = qexpr_resolve(q, args[1], in))) return rc;
    dd_qtype_t at = a->arg ? a->arg->type : DD_QT_DYNAMIC;
    if ((a->kind == AG_SUM || a->kind == AG_AVG) && (at == DD_QT_STRING || at == DD_QT_BOOL || at == DD_QT_DATETIME))
        return qerr_at(q, x->line, x->col, DD_EINVAL, "type error: %s() expects a numeric argument, got %s", f->name, dd_qtype_name(at));
    if (a->kind == AG_COUNTIF && at != DD_QT_BOOL && at != DD_QT_DYNAMIC)
        return qerr_at(q, x->line, x->col, DD_EINVAL, "type error: countif() expects a bool predicate, got %s", dd_qtype_name(at));
    *rt = f->ret;
    if (a->kind == AG_MIN || a->kind == AG_MAX || a->kind == AG_TAKE_ANY || a->kind == AG_ARG_MAX || a->kind == AG_ARG_MIN) *rt = at;
    if (a->kind == AG_SUM) *rt = at == DD_QT_LONG || at == DD_QT_TIMESPAN ? at : at == DD_QT_REAL ? DD_QT_REAL : DD_QT_DYNAMIC;
    return DD_OK;
}

static bool is_agg_call(const qexpr_t *x) { return x->kind == E_CALL && qagg_find(x->name) && !qfunc_find(x->name); }

static int count_aggs(const qexpr_t *x)
{
    if (is_agg_call(x)) return 1;
    int n = 0;
    for (int i = 0; i < x->nargs; i++) n += count_aggs(x->args[i]);
    return n;
}

/* Replaces every aggregation call inside x by a reference to a hidden
 * aggregation column of the synthetic schema syn. */
static int lift_aggs(qctx_t *q, summ_t *s, qexpr_t *x, const qschema_t *in, qschema_t *syn)
{
    int rc;
    if (is_agg_call(x)) {
        const qfunc_t *f = qagg_find(x->name);
        if (f->agg == AG_ARG_MAX || f->agg == AG_ARG_MIN)
            return qerr_at(q, x->line, x->col, DD_EINVAL, "%s cannot be used inside an expression", f->name);
        aggdef_t *a = &s->hidden[s->nhidden];
        dd_qtype_t rt;
        if ((rc = agg_setup(q, a, x, f, in, &rt))) return rc;
        char *nm = dd_arena_alloc(&q->perm, 24);
        sprintf(nm, "__agg%d", s->nhidden);
        schema_add(syn, nm, rt);
        s->nhidden++;
        x->kind = E_COL;
        x->name = nm;
        x->nargs = 0;
        x->args = NULL;
        return DD_OK;
    }
    for (int i = 0; i < x->nargs; i++)
        if ((rc = lift_aggs(q, s, x->args[i], in, syn))) return rc;
    return DD_OK;
}

static int compile_summarize(qctx_t *q, qop_t *op, const qschema_t *in, qnode_t **out)
{
    int rc;
    summ_t *s = dd_arena_alloc(&q->perm, sizeof *s);
    s->super.push = summ_push;
    s->super.finish = summ_finish;
    s->super.q = q;
    qdefer(q, summ_cleanup, s);
    s->super.in = *in;
    s->tail = &s->first;
    s->nby = op->nby;
    s->by = op->by;
    s->keybuf = dd_arena_alloc(&q->perm, (size_t)(op->nby ? op->nby : 1) * sizeof *s->keybuf);
    s->nagg = op->n;
    s->aggs = dd_arena_alloc(&q->perm, (size_t)(op->n ? op->n : 1) * sizeof *s->aggs);
    /* count output columns: arg_max(x, *) may add many */
    int maxcols = op->nby;
    for (int i = 0; i < op->n; i++) maxcols += 1 + (op->exprs[i]->kind == E_CALL ? op->exprs[i]->nargs + in->n : 0);
    qschema_t *os = &s->super.out;
    schema_alloc(q, os, maxcols);
    for (int i = 0; i < op->nby; i++) {
        qexpr_t *x = op->by[i];
        if ((rc = qexpr_resolve(q, x, in))) return rc;
        const char *name = op->bynames[i];
        if (!name) name = qexpr_derive_name(&q->perm, x);
        if (!name) name = column_n(q, os);
        if (qschema_find(os, name) >= 0) return qerr_at(q, x->line, x->col, DD_EINVAL, "duplicate column name '%s' in summarize", name);
        schema_add(os, name, x->type);
    }
    /* the synthetic row of computed items: by keys, then hidden aggregations */
    int nh = 0;
    for (int i = 0; i < op->n; i++)
        if (!is_agg_call(op->exprs[i])) nh += count_aggs(op->exprs[i]);
    qschema_t syn;
    schema_alloc(q, &syn, op->nby + nh);
    for (int i = 0; i < op->nby; i++) schema_add(&syn, os->cols[i].name, os->cols[i].type);
    if (nh) {
        s->hidden = dd_arena_alloc(&q->perm, (size_t)nh * sizeof *s->hidden);
        s->comp = dd_arena_alloc(&q->perm, (size_t)op->n * sizeof *s->comp);
        s->compcol = dd_arena_alloc(&q->perm, (size_t)op->n * sizeof *s->compcol);
        s->syn = dd_arena_alloc(&q->perm, (size_t)(op->nby + nh) * sizeof *s->syn);
    }
    for (int i = 0; i < op->n; i++) {
        qexpr_t *x = op->exprs[i];
        aggdef_t *a = &s->aggs[i];
        const qfunc_t *f = is_agg_call(x) ? qagg_find(x->name) : NULL;
        if (!f) {
            if (x->kind == E_CALL && !qfunc_find(x->name) && !qagg_find(x->name))
                return qerr_at(q, x->line, x->col, DD_EINVAL, "unknown aggregation function '%s'", x->name);
            if (count_aggs(x) == 0)
                return qerr_at(q, x->line, x->col, DD_EINVAL, "summarize expects an aggregation function such as count() or sum(x)");
            if ((rc = lift_aggs(q, s, x, in, &syn))) return rc;
            if ((rc = qexpr_resolve(q, x, &syn))) return rc;
            const char *name = op->names[i];
            if (!name) name = column_n(q, os);
            else if (qschema_find(os, name) >= 0)
                return qerr_at(q, x->line, x->col, DD_EINVAL, "duplicate column name '%s' in summarize", name);
            s->comp[s->ncomp] = x;
            s->compcol[s->ncomp++] = os->n;
            schema_add(os, name, x->type);
            continue;
        }
        dd_qtype_t rt;
        if ((rc = agg_setup(q, a, x, f, in, &rt))) return rc;
        a->outcol = os->n;
        const char *name = op->names[i];
        if (a->kind == AG_ARG_MAX || a->kind == AG_ARG_MIN) {
            const char *dn = qexpr_derive_name(&q->perm, a->arg);
            if (!name) name = dn ? dn : (a->kind == AG_ARG_MAX ? "max_" : "min_");
            name = unique_name(q, os, name);
            schema_add(os, name, rt);
            /* returned columns */
            qexpr_t **ret = dd_arena_alloc(&q->perm, (size_t)(x->nargs + in->n) * sizeof *ret);
            for (int k = 1; k < x->nargs; k++) {
                qexpr_t *r = x->args[k];
                if (r->kind == E_STAR) {
                    for (int c = 0; c < in->n; c++) {
                        if (qschema_find(os, in->cols[c].name) >= 0) continue;
                        qexpr_t *cx = dd_arena_alloc(&q->perm, sizeof *cx);
                        cx->kind = E_COL;
                        cx->name = in->cols[c].name;
                        cx->colidx = c;
                        cx->type = in->cols[c].type;
                        ret[a->nret++] = cx;
                        schema_add(os, cx->name, cx->type);
                    }
                    continue;
                }
                if ((rc = qexpr_resolve(q, r, in))) return rc;
                const char *rn = qexpr_derive_name(&q->perm, r);
                if (!rn) rn = column_n(q, os);
                ret[a->nret++] = r;
                schema_add(os, unique_name(q, os, rn), r->type);
            }
            a->ret = ret;
            continue;
        }
        if (!name) {
            const char *dn = a->arg ? qexpr_derive_name(&q->perm, a->arg) : NULL;
            const char *pre = a->kind == AG_COUNT ? "count_" : a->kind == AG_COUNTIF ? "countif_" : agg_prefix(a->kind);
            if (a->pred && (a->kind == AG_SUM || a->kind == AG_AVG || a->kind == AG_DCOUNT)) {
                char *pp = dd_arena_alloc(&q->perm, strlen(f->name) + 2);   /* sumif_x, avgif_x, dcountif_x */
                sprintf(pp, "%s_", f->name);
                pre = pp;
            }
            if (a->kind == AG_COUNT || a->kind == AG_COUNTIF || !dn) name = pre;
            else {
                char *nn = dd_arena_alloc(&q->perm, strlen(pre) + strlen(dn) + 1);
                strcpy(nn, pre);
                strcat(nn, dn);
                name = nn;
            }
            name = unique_name(q, os, name);
        } else if (qschema_find(os, name) >= 0) {
            return qerr_at(q, x->line, x->col, DD_EINVAL, "duplicate column name '%s' in summarize", name);
        }
        schema_add(os, name, rt);
    }
    *out = &s->super;
    return DD_OK;
}

/* ---- sort / top ---------------------------------------------------------------------- */
typedef struct srow { dd_qval_t *row, *keys; size_t seq; } srow_t;
typedef struct {
    qnode_t super;
    int nkeys;
    qexpr_t **keys;
    bool *desc, *nf;
    int64_t limit;        /* top N, or -1 */
    srow_t *rows;
    size_t n, cap, seq;
    bool trimmed;         /* top: rows[limit-1] is the current N-th row */
    dd_arena_t *store;      /* top: the kept rows, compacted on each trim */
} sort_t;

static void store_release(void *arg) { dd_arena_release(arg); }

static __thread sort_t *g_sort;   /* qsort has no context argument */

static int srow_cmp(const void *pa, const void *pb)
{
    const srow_t *a = pa, *b = pb;
    for (int i = 0; i < g_sort->nkeys; i++) {
        const dd_qval_t *x = &a->keys[i], *y = &b->keys[i];
        bool xn = x->t == DD_QT_NULL, yn = y->t == DD_QT_NULL;
        if (xn || yn) {
            if (xn && yn) continue;
            return (xn ? -1 : 1) * (g_sort->nf[i] ? 1 : -1);
        }
        int c = qval_cmp(x, y);
        if (c) return g_sort->desc[i] ? -c : c;
    }
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static void sort_rows(sort_t *s)
{
    if (s->n < 2) return;
    sort_t *save = g_sort;
    g_sort = s;
    qsort(s->rows, s->n, sizeof *s->rows, srow_cmp);
    g_sort = save;
}

static int sort_push(qnode_t *n, const dd_qval_t *row)
{
    sort_t *s = (sort_t *)n;
    qctx_t *q = n->q;
    int rc = qstep(q, 1);
    if (rc) return rc;
    if (s->limit == 0) return DD_OK;
    dd_qval_t *keys = dd_arena_alloc(&q->tmp, (size_t)s->nkeys * sizeof *keys);
    for (int i = 0; i < s->nkeys; i++)
        if ((rc = qexpr_eval(q, s->keys[i], row, &keys[i]))) return rc;
    if (s->trimmed) {
        /* top N: a row sorting after the current N-th can never be kept */
        srow_t cand = {NULL, keys, s->seq};
        sort_t *save = g_sort;
        g_sort = s;
        int c = srow_cmp(&cand, &s->rows[s->limit - 1]);
        g_sort = save;
        if (c > 0) { s->seq++; return DD_OK; }
    }
    if (s->n == s->cap) {
        if (s->limit > 0 && s->n >= (size_t)s->limit * 2 && s->n >= 64) {
            sort_rows(s);
            s->n = (size_t)s->limit;
            s->trimmed = true;
            /* move the kept rows to a fresh arena, free the dropped ones */
            dd_arena_t fresh;
            dd_arena_init_budget(&fresh, &q->mem_used);
            for (size_t i = 0; i < s->n; i++) {
                dd_qval_t *k = dd_arena_alloc(&fresh, (size_t)s->nkeys * sizeof *k), *r = dd_arena_alloc(&fresh, (size_t)(n->in.n ? n->in.n : 1) * sizeof *r);
                for (int j = 0; j < s->nkeys; j++) k[j] = qval_copy(&fresh, &s->rows[i].keys[j]);
                for (int j = 0; j < n->in.n; j++) r[j] = qval_copy(&fresh, &s->rows[i].row[j]);
                s->rows[i].keys = k;
                s->rows[i].row = r;
            }
            dd_arena_release(s->store);
            *s->store = fresh;
        } else {
            size_t nc = s->cap ? s->cap * 2 : 256;
            srow_t *nr = dd_arena_alloc(&q->perm, nc * sizeof *nr);
            if (s->n) memcpy(nr, s->rows, s->n * sizeof *nr);
            s->rows = nr;
            s->cap = nc;
        }
    }
    srow_t *r = &s->rows[s->n];
    dd_arena_t *a = s->store ? s->store : &q->perm;
    r->keys = dd_arena_alloc(a, (size_t)(s->nkeys ? s->nkeys : 1) * sizeof *r->keys);
    for (int i = 0; i < s->nkeys; i++) r->keys[i] = qval_copy(a, &keys[i]);
    r->row = dd_arena_alloc(a, (size_t)(n->in.n ? n->in.n : 1) * sizeof *r->row);
    for (int i = 0; i < n->in.n; i++) r->row[i] = qval_copy(a, &row[i]);
    r->seq = s->seq++;
    s->n++;
    return DD_OK;
}

static int sort_finish(qnode_t *n)
{
    sort_t *s = (sort_t *)n;
    int rc = qstep(n->q, s->n);
    if (rc) return rc;
    sort_rows(s);
    size_t lim = s->limit >= 0 && (size_t)s->limit < s->n ? (size_t)s->limit : s->n;
    for (size_t i = 0; i < lim; i++) {
        rc = emit(n, s->rows[i].row);
        if (rc == DD_DECLINED) break;
        if (rc) return rc;
    }
    return n->next->finish(n->next);
}

static int compile_sort(qctx_t *q, qop_t *op, const qschema_t *in, qnode_t **out)
{
    int rc;
    sort_t *s = dd_arena_alloc(&q->perm, sizeof *s);
    s->super.push = sort_push;
    s->super.finish = sort_finish;
    s->super.q = q;
    s->super.in = *in;
    s->super.out = *in;
    s->nkeys = op->nby;
    s->keys = op->by;
    s->desc = op->desc;
    s->nf = op->nullsfirst;
    s->limit = op->kind == Q_TOP ? op->count : -1;
    /* `order by ... | take N` keeps only N rows, like top */
    if (op->kind == Q_SORT && op->next && op->next->kind == Q_TAKE) s->limit = op->next->count;
    if (s->limit > 0) {
        s->store = dd_arena_alloc(&q->perm, sizeof *s->store);
        dd_arena_init_budget(s->store, &q->mem_used);
        qdefer(q, store_release, s->store);
    }
    for (int i = 0; i < op->nby; i++)
        if ((rc = qexpr_resolve(q, op->by[i], in))) return rc;
    *out = &s->super;
    return DD_OK;
}

/* ---- distinct -------------------------------------------------------------------------- */
typedef struct { qnode_t super; int n; qexpr_t **exprs; htab_t seen; } distinct_t;

static int distinct_push(qnode_t *n, const dd_qval_t *row)
{
    distinct_t *d = (distinct_t *)n;
    qctx_t *q = n->q;
    int rc = qstep(q, 1);
    if (rc) return rc;
    const dd_qval_t *key = row;
    if (d->exprs) {
        dd_qval_t *k = dd_arena_alloc(&q->tmp, (size_t)(d->n ? d->n : 1) * sizeof *k);
        for (int i = 0; i < d->n; i++)
            if ((rc = qexpr_eval(q, d->exprs[i], row, &k[i]))) return rc;
        key = k;
    }
    uint64_t h = key_hash(key, d->n);
    if (ht_find(&d->seen, h, key, d->n)) return DD_OK;
    ht_add(q, &d->seen, h, copy_row(q, key, d->n));
    return n->next->push(n->next, key);
}

static int compile_distinct(qctx_t *q, qop_t *op, const qschema_t *in, qnode_t **out)
{
    distinct_t *d = dd_arena_alloc(&q->perm, sizeof *d);
    d->super.push = distinct_push;
    d->super.finish = fwd_finish;
    d->super.q = q;
    d->super.in = *in;
    if (op->n == 0) {
        d->n = in->n;
        d->super.out = *in;
    } else {
        qnode_t *pn;
        int rc = compile_project(q, op, in, &pn);
        if (rc) return rc;
        d->n = op->n;
        d->exprs = op->exprs;
        d->super.out = pn->out;
    }
    *out = &d->super;
    return DD_OK;
}

/* ---- mv-expand ---------------------------------------------------------------------------- */
typedef struct { qnode_t super; int n; qexpr_t **exprs; int *dst; int64_t limit; } mvx_t;

static int mvx_push(qnode_t *n, const dd_qval_t *row)
{
    mvx_t *m = (mvx_t *)n;
    qctx_t *q = n->q;
    int rc = qstep(q, 1);
    if (rc) return rc;
    dd_qval_t *vals = dd_arena_alloc(&q->tmp, (size_t)m->n * sizeof *vals);
    int64_t rows = 0;
    for (int i = 0; i < m->n; i++) {
        if ((rc = qexpr_eval(q, m->exprs[i], row, &vals[i]))) return rc;
        int64_t c = vals[i].t == DD_QT_ARRAY ? vals[i].u.a->n : vals[i].t == DD_QT_OBJECT ? vals[i].u.o->n : 1;
        if (c > rows) rows = c;
    }
    if (rows > m->limit) rows = m->limit;
    dd_qval_t *out = dd_arena_alloc(&q->tmp, (size_t)n->out.n * sizeof *out);
    memcpy(out, row, (size_t)n->in.n * sizeof *out);
    for (int64_t r = 0; r < rows; r++) {
        if ((rc = qstep(q, 1))) return rc;
        for (int i = 0; i < m->n; i++) {
            const dd_qval_t *v = &vals[i];
            dd_qval_t x = dd_qval_null();
            if (v->t == DD_QT_ARRAY) { if (r < v->u.a->n) x = v->u.a->v[r]; }
            else if (v->t == DD_QT_OBJECT) {
                if (r < v->u.o->n) {
                    dd_qobject_t *o = dd_arena_alloc(&q->tmp, sizeof *o + sizeof(dd_qkv_t));
                    o->n = 1;
                    o->kv[0] = v->u.o->kv[r];
                    x.t = DD_QT_OBJECT;
                    x.u.o = o;
                }
            } else if (r == 0) x = *v;
            x.dyn = 1;
            out[m->dst[i]] = x;
        }
        rc = n->next->push(n->next, out);
        if (rc) return rc;
    }
    return DD_OK;
}

static int compile_mvexpand(qctx_t *q, qop_t *op, const qschema_t *in, qnode_t **out)
{
    int rc;
    mvx_t *m = dd_arena_alloc(&q->perm, sizeof *m);
    m->super.push = mvx_push;
    m->super.finish = fwd_finish;
    m->super.q = q;
    m->super.in = *in;
    m->n = op->n;
    m->exprs = op->exprs;
    m->limit = op->count;
    m->dst = dd_arena_alloc(&q->perm, (size_t)op->n * sizeof(int));
    qschema_t *os = &m->super.out;
    schema_alloc(q, os, in->n + op->n);
    for (int i = 0; i < in->n; i++) schema_add(os, in->cols[i].name, in->cols[i].type);
    for (int i = 0; i < op->n; i++) {
        qexpr_t *x = op->exprs[i];
        if ((rc = qexpr_resolve(q, x, in))) return rc;
        const char *name = op->names[i];
        if (!name) name = qexpr_derive_name(&q->perm, x);
        if (!name) name = column_n(q, os);
        int k = qschema_find(os, name);
        if (k < 0) { k = os->n; schema_add(os, name, DD_QT_DYNAMIC); }
        else os->cols[k].type = DD_QT_DYNAMIC;
        m->dst[i] = k;
    }
    *out = &m->super;
    return DD_OK;
}

/* ---- collector (join build side) and sink ------------------------------------------------- */
typedef struct { qnode_t super; dd_qval_t **rows; size_t n, cap; } coll_t;

static int coll_push(qnode_t *n, const dd_qval_t *row)
{
    coll_t *c = (coll_t *)n;
    int rc = qstep(n->q, 1);
    if (rc) return rc;
    if (c->n == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 64;
        dd_qval_t **nr = dd_arena_alloc(&n->q->perm, nc * sizeof *nr);
        if (c->n) memcpy(nr, c->rows, c->n * sizeof *nr);
        c->rows = nr;
        c->cap = nc;
    }
    c->rows[c->n++] = copy_row(n->q, row, n->in.n);
    return DD_OK;
}

static int noop_finish(qnode_t *n) { (void)n; return DD_OK; }

typedef struct { qnode_t super; dd_qresult_t *res; size_t cap; } sink_t;

static int sink_push(qnode_t *n, const dd_qval_t *row)
{
    sink_t *s = (sink_t *)n;
    dd_qresult_t *r = s->res;
    r->total_rows++;
    if (r->nrows >= n->q->lim.max_result_rows) { r->truncated = true; return DD_OK; }
    if (r->nrows == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 64;
        dd_qval_t *cells = dd_arena_alloc(&n->q->perm, nc * (size_t)(n->in.n ? n->in.n : 1) * sizeof *cells);
        if (r->nrows) memcpy(cells, r->cells, r->nrows * (size_t)n->in.n * sizeof *cells);
        r->cells = cells;
        s->cap = nc;
    }
    for (int i = 0; i < n->in.n; i++) r->cells[r->nrows * (size_t)n->in.n + (size_t)i] = qval_copy(&n->q->perm, &row[i]);
    r->nrows++;
    return DD_OK;
}

/* ---- join ---------------------------------------------------------------------------------- */
typedef struct {
    qnode_t super;
    int kind, nkeys;
    int *lk, *rk;
    int nright;
    htab_t right;          /* key -> list of right rows (data: jlist_t) */
    htab_t seenleft;       /* innerunique */
} join_t;

typedef struct jlist { dd_qval_t *row; struct jlist *nx; } jlist_t;

static int join_push(qnode_t *n, const dd_qval_t *row)
{
    join_t *j = (join_t *)n;
    qctx_t *q = n->q;
    int rc = qstep(q, 1);
    if (rc) return rc;
    dd_qval_t *key = dd_arena_alloc(&q->tmp, (size_t)j->nkeys * sizeof *key);
    bool nullkey = false;
    for (int i = 0; i < j->nkeys; i++) {
        key[i] = row[j->lk[i]];
        key[i].dyn = 0;
        if (key[i].t == DD_QT_NULL) nullkey = true;
    }
    uint64_t h = key_hash(key, j->nkeys);
    if (j->kind == J_INNERUNIQUE) {
        if (ht_find(&j->seenleft, h, key, j->nkeys)) return DD_OK;
        ht_add(q, &j->seenleft, h, copy_row(q, key, j->nkeys));
    }
    hent_t *e = nullkey ? NULL : ht_find(&j->right, h, key, j->nkeys);
    if (j->kind == J_LEFTSEMI) return e ? n->next->push(n->next, row) : DD_OK;
    if (j->kind == J_LEFTANTI) return e ? DD_OK : n->next->push(n->next, row);
    dd_qval_t *out = dd_arena_alloc(&q->tmp, (size_t)n->out.n * sizeof *out);
    memcpy(out, row, (size_t)n->in.n * sizeof *out);
    if (!e) {
        if (j->kind != J_LEFTOUTER) return DD_OK;
        for (int i = 0; i < j->nright; i++) out[n->in.n + i] = dd_qval_null();
        return n->next->push(n->next, out);
    }
    for (jlist_t *l = e->data; l; l = l->nx) {
        if ((rc = qstep(q, 1))) return rc;
        memcpy(out + n->in.n, l->row, (size_t)j->nright * sizeof *out);
        if ((rc = n->next->push(n->next, out))) return rc;
    }
    return DD_OK;
}

struct src;
static int compile_pipe(qctx_t *q, qpipe_t *p, qnode_t **first, qnode_t **last, qschema_t *schema,
                        struct src **src);

/* ---- sources ------------------------------------------------------------------------------- */
struct src {
    const dd_qtable_provider_t *prov;   /* table */
    qpipe_t *print;                     /* print */
    struct usub *u;                     /* union: the sub-queries */
};

/* ---- union ------------------------------------------------------------------------------- */
/* A remap node maps the rows of one union input onto the merged schema and
 * forwards them; its finish does nothing (the union finishes downstream
 * once, after the last input). */
typedef struct { qnode_t super; int *map; bool declined; } remap_t;

static int remap_push(qnode_t *n, const dd_qval_t *row)
{
    remap_t *r = (remap_t *)n;
    dd_qval_t *out = dd_arena_alloc(&n->q->tmp, (size_t)(n->out.n ? n->out.n : 1) * sizeof *out);
    for (int i = 0; i < n->out.n; i++) out[i] = r->map[i] >= 0 ? row[r->map[i]] : dd_qval_null();
    int rc = n->next->push(n->next, out);
    if (rc == DD_DECLINED) r->declined = true;
    return rc;
}

/* The inputs of a union after the first: each is run into its remap. */
typedef struct usub { int n; struct src **src; qnode_t **first; remap_t **remap; } usub_t;

static int noop_finish2(qnode_t *n) { (void)n; return DD_OK; }

static remap_t *remap_new(qctx_t *q, const qschema_t *in, const qschema_t *merged)
{
    remap_t *r = dd_arena_alloc(&q->perm, sizeof *r);
    r->super.push = remap_push;
    r->super.finish = noop_finish2;
    r->super.q = q;
    r->super.in = *in;
    r->super.out = *merged;
    r->map = dd_arena_alloc(&q->perm, (size_t)(merged->n ? merged->n : 1) * sizeof(int));
    for (int i = 0; i < merged->n; i++) r->map[i] = qschema_find(in, merged->cols[i].name);
    return r;
}

/* Merged schema: every column name in order of first appearance; a column
 * whose inputs disagree on the type is dynamic. */
static void merge_schemas(qctx_t *q, const qschema_t *ss, int k, qschema_t *out)
{
    int total = 0;
    for (int i = 0; i < k; i++) total += ss[i].n;
    schema_alloc(q, out, total);
    for (int i = 0; i < k; i++)
        for (int c = 0; c < ss[i].n; c++) {
            int j = qschema_find(out, ss[i].cols[c].name);
            if (j < 0) schema_add(out, ss[i].cols[c].name, ss[i].cols[c].type);
            else if (out->cols[j].type != ss[i].cols[c].type) out->cols[j].type = DD_QT_DYNAMIC;
        }
}

static int run_source(qctx_t *q, struct src *src, qnode_t *first);

/* Runs the union inputs u into next (without finishing it). */
static int run_usub(qctx_t *q, usub_t *u, qnode_t *next)
{
    for (int i = 0; i < u->n; i++) {
        u->remap[i]->super.next = next;
        int rc = run_source(q, u->src[i], u->first[i]);
        if (rc < 0) return rc;
        if (u->remap[i]->declined) return DD_DECLINED;
    }
    return DD_OK;
}

typedef struct { qnode_t super; remap_t *left; usub_t *u; } union_t;

static int union_push(qnode_t *n, const dd_qval_t *row)
{
    union_t *u = (union_t *)n;
    int rc = qstep(n->q, 1);
    if (rc) return rc;
    u->left->super.next = n->next;
    return u->left->super.push(&u->left->super, row);
}

static int union_finish(qnode_t *n)
{
    union_t *u = (union_t *)n;
    if (!u->left->declined) {
        int rc = run_usub(n->q, u->u, n->next);
        if (rc < 0) return rc;
    }
    return n->next->finish(n->next);
}

static int compile_pipe(qctx_t *q, qpipe_t *p, qnode_t **first, qnode_t **last, qschema_t *schema,
                        struct src **src);

/* Compiles union inputs; schemas[0] is reserved for the caller's first input. */
static int compile_usub(qctx_t *q, qpipe_t **pipes, int n, qschema_t *schemas, qnode_t **lasts, usub_t **out)
{
    usub_t *u = dd_arena_alloc(&q->perm, sizeof *u);
    u->n = n;
    u->src = dd_arena_alloc(&q->perm, (size_t)n * sizeof *u->src);
    u->first = dd_arena_alloc(&q->perm, (size_t)n * sizeof *u->first);
    u->remap = dd_arena_alloc(&q->perm, (size_t)n * sizeof *u->remap);
    for (int i = 0; i < n; i++) {
        int rc = compile_pipe(q, pipes[i], &u->first[i], &lasts[i], &schemas[i + 1], &u->src[i]);
        if (rc) return rc;
    }
    *out = u;
    return DD_OK;
}

static void attach_remaps(qctx_t *q, usub_t *u, const qschema_t *schemas, qnode_t **lasts, const qschema_t *merged)
{
    for (int i = 0; i < u->n; i++) {
        u->remap[i] = remap_new(q, &schemas[i + 1], merged);
        if (lasts[i]) lasts[i]->next = &u->remap[i]->super;
        else u->first[i] = &u->remap[i]->super;
    }
}

static int compile_union_op(qctx_t *q, qop_t *op, const qschema_t *in, qnode_t **out)
{
    if (++q->depth > q->lim.max_depth) return qerr_at(q, op->line, op->col, DD_EINVAL, "query nesting too deep");
    qschema_t *schemas = dd_arena_alloc(&q->perm, (size_t)(op->nsubs + 1) * sizeof *schemas);
    qnode_t **lasts = dd_arena_alloc(&q->perm, (size_t)(op->nsubs + 1) * sizeof *lasts);
    schemas[0] = *in;
    union_t *u = dd_arena_alloc(&q->perm, sizeof *u);
    int rc = compile_usub(q, op->subs, op->nsubs, schemas, lasts, &u->u);
    if (rc) return rc;
    q->depth--;
    u->super.push = union_push;
    u->super.finish = union_finish;
    u->super.q = q;
    u->super.in = *in;
    merge_schemas(q, schemas, op->nsubs + 1, &u->super.out);
    u->left = remap_new(q, in, &u->super.out);
    attach_remaps(q, u->u, schemas, lasts, &u->super.out);
    *out = &u->super;
    return DD_OK;
}

struct dd_qscan {
    qctx_t *q;
    qnode_t *first;
    dd_arena_mark_t mark;
    bool stopped;
    const dd_qtable_provider_t *prov;
    int err;                /* the first error emit returned (sticky) */
};

void *dd_qscan_alloc(dd_qscan_t *s, size_t n) { return dd_arena_alloc(&s->q->tmp, n); }

dd_qarray_t *dd_qscan_array(dd_qscan_t *s, uint32_t n)
{
    dd_qarray_t *a = dd_arena_alloc(&s->q->tmp, sizeof *a + (size_t)n * sizeof(dd_qval_t));
    a->n = n;
    return a;
}

dd_qobject_t *dd_qscan_object(dd_qscan_t *s, uint32_t n)
{
    dd_qobject_t *o = dd_arena_alloc(&s->q->tmp, sizeof *o + (size_t)n * sizeof(dd_qkv_t));
    o->n = n;
    return o;
}

dd_qval_t dd_qscan_json(dd_qscan_t *s, const void *json) { return qval_from_json(&s->q->tmp, json, 0); }

int dd_qscan_emit(dd_qscan_t *s, const dd_qval_t *vals)
{
    if (s->stopped) return s->err ? s->err : DD_DECLINED;   /* sticky */
    int rc = qstep(s->q, 1);
    if (rc == DD_OK) rc = s->first->push(s->first, vals);
    dd_arena_reset(&s->q->tmp, s->mark);
    if (rc == DD_DECLINED) s->stopped = true;
    else if (rc < 0) { s->stopped = true; s->err = rc; }
    return rc;
}

int dd_qscan_emit_json(dd_qscan_t *s, const void *json_object)
{
    const dd_qtable_provider_t *p = s->prov;
    dd_qval_t *vals = dd_arena_alloc(&s->q->tmp, (p->ncolumns ? p->ncolumns : 1) * sizeof *vals);
    for (size_t c = 0; c < p->ncolumns; c++) {
        json_t *v = json_is_object((const json_t *)json_object) ? json_object_get(json_object, p->columns[c].name) : NULL;
        dd_qval_t x = qval_from_json(&s->q->tmp, v, 0);
        dd_qtype_t ct = p->columns[c].type;
        if (ct != DD_QT_DYNAMIC) x.dyn = 0;
        if (ct == DD_QT_STRING && x.t != DD_QT_STRING) x = x.t == DD_QT_NULL ? dd_qval_strn("", 0) : qval_tostring(&s->q->tmp, &x);
        else if (ct == DD_QT_REAL && x.t == DD_QT_LONG) x = dd_qval_real((double)x.u.l);
        else if (ct == DD_QT_DATETIME && x.t == DD_QT_STRING) {
            int64_t t;
            x = qparse_datetime(x.u.s, x.len, &t) ? dd_qval_datetime(t) : dd_qval_null();
        } else if (ct == DD_QT_TIMESPAN && x.t == DD_QT_STRING) {
            int64_t t;
            x = qparse_timespan(x.u.s, x.len, &t) ? dd_qval_timespan(t) : dd_qval_null();
        } else if (ct != DD_QT_DYNAMIC && x.t != DD_QT_NULL && x.t != (int)ct && !(ct == DD_QT_REAL && x.t == DD_QT_REAL)) {
            x = dd_qval_null();   /* a value that does not fit the declared type */
        }
        vals[c] = x;
    }
    return dd_qscan_emit(s, vals);
}

static int run_source(qctx_t *q, struct src *src, qnode_t *first)
{
    int rc = DD_OK;
    if (src->u) {
        rc = run_usub(q, src->u, first);
        if (rc == DD_DECLINED) rc = DD_OK;
    } else if (src->print) {
        qpipe_t *p = src->print;
        dd_qval_t *row = dd_arena_alloc(&q->perm, (size_t)(p->nprint ? p->nprint : 1) * sizeof *row);
        dd_arena_mark_t m = dd_arena_mark(&q->tmp);
        for (int i = 0; i < p->nprint && rc == DD_OK; i++) rc = qexpr_eval(q, p->print_exprs[i], row, &row[i]);
        if (rc == DD_OK) rc = first->push(first, row);
        dd_arena_reset(&q->tmp, m);
    } else {
        dd_qscan_t scan = {q, first, dd_arena_mark(&q->tmp), false, src->prov, 0};
        rc = src->prov->scan(src->prov->self, &scan, q->e);
        if (scan.err && rc >= 0) rc = scan.err;   /* a provider that swallowed the error */
        dd_arena_reset(&q->tmp, scan.mark);
        if (rc == DD_DECLINED) rc = DD_OK;
    }
    if (rc < 0) return rc;
    return first->finish(first);
}

static int compile_join(qctx_t *q, qop_t *op, const qschema_t *in, qnode_t **out)
{
    int rc;
    /* run the right side now, into a collector */
    qnode_t *rf, *rl;
    qschema_t rs;
    struct src *rsrc;
    if (++q->depth > q->lim.max_depth) return qerr_at(q, op->line, op->col, DD_EINVAL, "query nesting too deep");
    if ((rc = compile_pipe(q, op->right, &rf, &rl, &rs, &rsrc))) return rc;
    q->depth--;
    coll_t *c = dd_arena_alloc(&q->perm, sizeof *c);
    c->super.push = coll_push;
    c->super.finish = noop_finish;
    c->super.q = q;
    c->super.in = rs;
    if (rl) rl->next = &c->super;
    else rf = &c->super;

    join_t *j = dd_arena_alloc(&q->perm, sizeof *j);
    j->super.push = join_push;
    j->super.finish = fwd_finish;
    j->super.q = q;
    j->super.in = *in;
    j->kind = op->jkind;
    j->nkeys = op->nkeys;
    j->lk = dd_arena_alloc(&q->perm, (size_t)op->nkeys * sizeof(int));
    j->rk = dd_arena_alloc(&q->perm, (size_t)op->nkeys * sizeof(int));
    for (int i = 0; i < op->nkeys; i++) {
        j->lk[i] = qschema_find(in, op->lkeys[i]);
        if (j->lk[i] < 0) return qerr_at(q, op->klines[i], op->kcols[i], DD_EINVAL, "unknown column '%s' in the left side of join", op->lkeys[i]);
        j->rk[i] = qschema_find(&rs, op->rkeys[i]);
        if (j->rk[i] < 0) return qerr_at(q, op->klines[i], op->kcols[i], DD_EINVAL, "unknown column '%s' in the right side of join", op->rkeys[i]);
    }
    qschema_t *os = &j->super.out;
    if (j->kind == J_LEFTSEMI || j->kind == J_LEFTANTI) {
        *os = *in;
    } else {
        schema_alloc(q, os, in->n + rs.n);
        for (int i = 0; i < in->n; i++) schema_add(os, in->cols[i].name, in->cols[i].type);
        for (int i = 0; i < rs.n; i++) schema_add(os, unique_name(q, os, rs.cols[i].name), rs.cols[i].type);
        j->nright = rs.n;
    }
    if ((rc = run_source(q, rsrc, rf))) return rc;
    for (size_t r = 0; r < c->n; r++) {
        dd_qval_t *row = c->rows[r];
        dd_qval_t *key = dd_arena_alloc(&q->perm, (size_t)j->nkeys * sizeof *key);
        bool nullkey = false;
        for (int i = 0; i < j->nkeys; i++) {
            key[i] = row[j->rk[i]];
            key[i].dyn = 0;
            if (key[i].t == DD_QT_NULL) nullkey = true;
        }
        if (nullkey) continue;
        uint64_t h = key_hash(key, j->nkeys);
        hent_t *e = ht_find(&j->right, h, key, j->nkeys);
        if (!e) e = ht_add(q, &j->right, h, key);
        jlist_t *l = dd_arena_alloc(&q->perm, sizeof *l);
        l->row = row;
        /* keep right rows in input order */
        jlist_t **t = (jlist_t **)&e->data;
        while (*t) t = &(*t)->nx;
        *t = l;
        if ((rc = qstep(q, 1))) return rc;
    }
    *out = &j->super;
    return DD_OK;
}

/* ---- compiling a pipe ------------------------------------------------------------------------ */
static int compile_op(qctx_t *q, qop_t *op, const qschema_t *in, qnode_t **out)
{
    switch (op->kind) {
    case Q_WHERE: {
        int rc = qexpr_resolve(q, op->exprs[0], in);
        if (rc) return rc;
        dd_qtype_t t = op->exprs[0]->type;
        if (t != DD_QT_BOOL && t != DD_QT_DYNAMIC && t != DD_QT_NULL)
            return qerr_at(q, op->exprs[0]->line, op->exprs[0]->col, DD_EINVAL, "type error: where expects a bool predicate, got %s", dd_qtype_name(t));
        where_t *w = dd_arena_alloc(&q->perm, sizeof *w);
        w->super.push = where_push;
        w->super.finish = fwd_finish;
        w->super.q = q;
        w->super.in = *in;
        w->super.out = *in;
        w->pred = op->exprs[0];
        *out = &w->super;
        return DD_OK;
    }
    case Q_PROJECT: return compile_project(q, op, in, out);
    case Q_EXTEND: return compile_extend(q, op, in, out);
    case Q_PROJECT_AWAY:
    case Q_PROJECT_REORDER:
    case Q_PROJECT_RENAME: return compile_away_rename(q, op, in, out);
    case Q_SUMMARIZE: return compile_summarize(q, op, in, out);
    case Q_SORT:
    case Q_TOP: return compile_sort(q, op, in, out);
    case Q_TAKE: {
        take_t *t = dd_arena_alloc(&q->perm, sizeof *t);
        t->super.push = take_push;
        t->super.finish = fwd_finish;
        t->super.q = q;
        t->super.in = *in;
        t->super.out = *in;
        t->left = op->count;
        *out = &t->super;
        return DD_OK;
    }
    case Q_DISTINCT: return compile_distinct(q, op, in, out);
    case Q_COUNT: {
        count_t *c = dd_arena_alloc(&q->perm, sizeof *c);
        c->super.push = count_push;
        c->super.finish = count_finish;
        c->super.q = q;
        c->super.in = *in;
        schema_alloc(q, &c->super.out, 1);
        schema_add(&c->super.out, "Count", DD_QT_LONG);
        *out = &c->super;
        return DD_OK;
    }
    case Q_MVEXPAND: return compile_mvexpand(q, op, in, out);
    case Q_JOIN: return compile_join(q, op, in, out);
    case Q_UNION: return compile_union_op(q, op, in, out);
    }
    return qerr_at(q, op->line, op->col, DD_EINVAL, "unsupported operator");
}

static qlet_t *find_tab_let(qctx_t *q, const char *name)
{
    for (qlet_t *l = q->lets; l; l = l->next)
        if (l->pipe && !strcmp(l->name, name)) return l;
    return NULL;
}

static int compile_pipe(qctx_t *q, qpipe_t *p, qnode_t **first, qnode_t **last, qschema_t *schema,
                        struct src **srcp)
{
    int rc;
    if (++q->depth > q->lim.max_depth) return qerr_at(q, p->line, p->col, DD_EINVAL, "query nesting too deep");
    *first = *last = NULL;
    struct src *src = dd_arena_alloc(&q->perm, sizeof *src);
    qschema_t s;
    if (p->nsubs) {
        /* union source: all inputs are sub-queries run one after another */
        qschema_t *schemas = dd_arena_alloc(&q->perm, (size_t)(p->nsubs + 1) * sizeof *schemas);
        qnode_t **lasts = dd_arena_alloc(&q->perm, (size_t)(p->nsubs + 1) * sizeof *lasts);
        usub_t *u;
        if ((rc = compile_usub(q, p->subs, p->nsubs, schemas - 1 + 1, lasts, &u))) return rc;
        merge_schemas(q, schemas + 1, p->nsubs, &s);
        attach_remaps(q, u, schemas, lasts, &s);
        src->u = u;
    } else if (p->is_print) {
        schema_alloc(q, &s, p->nprint);
        qschema_t empty = {0, NULL};
        for (int i = 0; i < p->nprint; i++) {
            qexpr_t *x = p->print_exprs[i];
            if ((rc = qexpr_resolve(q, x, &empty))) return rc;
            const char *name = p->print_names[i];
            if (!name) {
                char *nn = dd_arena_alloc(&q->perm, 24);
                sprintf(nn, "print_%d", i);
                name = nn;
            }
            schema_add(&s, name, x->type);
        }
        src->print = p;
    } else {
        qlet_t *l = find_tab_let(q, p->table);
        if (l) {
            qnode_t *f, *t;
            if ((rc = compile_pipe(q, l->pipe, &f, &t, &s, &src))) return rc;
            *first = f;
            *last = t;
        } else {
            src->prov = dd_qcatalog_find(q->cat, p->table, strlen(p->table));
            if (!src->prov) return qerr_at(q, p->line, p->col, DD_EINVAL, "unknown table '%s'", p->table);
            s.n = (int)src->prov->ncolumns;
            s.cols = (dd_qcolumn_t *)src->prov->columns;
        }
    }
    for (qop_t *op = p->ops; op; op = op->next) {
        qnode_t *nd;
        if ((rc = compile_op(q, op, &s, &nd))) return rc;
        if (*last) (*last)->next = nd;
        else *first = nd;
        *last = nd;
        s = nd->out;
    }
    *schema = s;
    *srcp = src;
    q->depth--;
    return DD_OK;
}

/* ---- entry points ---------------------------------------------------------------------------- */
void dd_query_limits_default(dd_query_limits_t *l)
{
    l->max_query_len = 64 * 1024;
    l->max_result_rows = 10000;
    l->max_steps = 50 * 1000 * 1000;
    l->max_memory = 512u << 20;
    l->timeout_ms = 0;
    l->max_depth = 128;
}

/* Rewrites e->msg as "<msg> at line L, column C" plus the query line and a caret. */
static void decorate(dd_err_t *e, const char *text, size_t len, int line, int col)
{
    if (!e || line <= 0) return;
    const char *p = text, *end = text + len;
    for (int l = 1; l < line && p < end; p++)
        if (*p == '\n') l++;
    const char *le = p;
    while (le < end && *le != '\n' && *le != '\r') le++;
    size_t ll = (size_t)(le - p);
    size_t c0 = (size_t)(col - 1), from = 0;
    if (c0 > 60) from = c0 - 60;
    size_t show = ll > from ? ll - from : 0;
    if (show > 100) show = 100;
    char base[260];
    snprintf(base, sizeof base, "%.250s", e->msg);
    char line_s[104];
    size_t k = 0;
    for (size_t i = 0; i < show && k < sizeof line_s - 1; i++) {
        char ch = p[from + i];
        line_s[k++] = (ch == '\t' || (unsigned char)ch < 0x20) ? ' ' : ch;
    }
    line_s[k] = 0;
    size_t caret = c0 - from;
    if (caret > 100) caret = 100;
    snprintf(e->msg, sizeof e->msg, "%.250s at line %d, column %d\n%s%.100s\n%*s^", base, line, col,
             from ? "..." : "", line_s, (int)(caret + (from ? 3 : 0)), "");
}

void dd_qresult_release(dd_qresult_t *r)
{
    if (!r) return;
    qctx_t *q = r->priv;
    if (q) {
        for (struct qdefer *d = q->defers; d; d = d->next) d->fn(d->arg);
    for (struct qre *x = q->regexes; x; x = x->next) regfree(&x->re);
        dd_arena_release(&q->tmp);
        dd_arena_release(&q->perm);
        free(q);
    }
    memset(r, 0, sizeof *r);
}

int dd_query_run(const char *text, const dd_qcatalog_t *tables, const dd_query_limits_t *lim,
                 dd_qresult_t *out, dd_err_t *e)
{
    memset(out, 0, sizeof *out);
    dd_err_t elocal;
    if (!e) e = &elocal;
    dd_err_clear(e);
    qctx_t *q = dd_calloc(1, sizeof *q);
    out->priv = q;
    q->cat = tables;
    if (lim) q->lim = *lim;
    else dd_query_limits_default(&q->lim);
    dd_query_limits_t def;
    dd_query_limits_default(&def);
    if (!q->lim.max_query_len) q->lim.max_query_len = def.max_query_len;
    if (!q->lim.max_steps) q->lim.max_steps = def.max_steps;
    if (!q->lim.max_memory) q->lim.max_memory = def.max_memory;
    if (q->lim.max_depth <= 0) q->lim.max_depth = def.max_depth;
    if (!q->lim.max_result_rows) q->lim.max_result_rows = def.max_result_rows;
    dd_arena_init_budget(&q->perm, &q->mem_used);
    dd_arena_init_budget(&q->tmp, &q->mem_used);
    q->e = e;
    if (q->lim.timeout_ms > 0) q->deadline_ns = dd_mono_ns() + q->lim.timeout_ms * 1000000LL;
    q->now_ticks = dd_now_ms() * 10000LL;

    size_t len = text ? strlen(text) : 0;
    if (len > q->lim.max_query_len)
        return dd_err(e, DD_ELIMIT, "query text too long (%zu bytes, limit %zu)", len, q->lim.max_query_len);
    qquery_t *ast;
    int rc = qparse(text ? text : "", len, &q->perm, q->lim.max_depth, &ast, &q->err_line, &q->err_col, e);
    if (rc == DD_OK) {
        q->lets = ast->lets;
        qnode_t *first, *last;
        qschema_t s;
        struct src *src;
        rc = compile_pipe(q, ast->main, &first, &last, &s, &src);
        if (rc == DD_OK) {
            sink_t *sink = dd_arena_alloc(&q->perm, sizeof *sink);
            sink->super.push = sink_push;
            sink->super.finish = noop_finish;
            sink->super.q = q;
            sink->super.in = s;
            sink->res = out;
            if (last) last->next = &sink->super;
            else first = &sink->super;
            out->ncolumns = (size_t)s.n;
            out->columns = dd_arena_alloc(&q->perm, (size_t)(s.n ? s.n : 1) * sizeof *out->columns);
            for (int i = 0; i < s.n; i++) {
                out->columns[i].name = s.cols[i].name;
                out->columns[i].type = s.cols[i].type == DD_QT_ARRAY || s.cols[i].type == DD_QT_OBJECT || s.cols[i].type == DD_QT_NULL ? DD_QT_DYNAMIC : s.cols[i].type;
            }
            rc = run_source(q, src, first);
        }
    }
    out->steps = q->steps;
    if (rc < 0) {
        if (e->code == 0) dd_err(e, rc, "query failed");
        if (q->err_line > 0 && (rc == DD_EINVAL)) {
            out->err_line = q->err_line;
            out->err_col = q->err_col;
            decorate(e, text ? text : "", len, q->err_line, q->err_col);
        }
        out->nrows = 0;
        out->total_rows = 0;
        return rc;
    }
    return DD_OK;
}
