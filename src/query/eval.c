/*
 * eval.c: scalar expressions. qexpr_resolve() binds column names to row
 * positions, functions to the function table, infers static types and
 * rejects type errors it can see (with the expression's line and column);
 * qexpr_eval() computes a value for one row, allocating in the scratch arena.
 *
 * Null semantics (as in Kusto): arithmetic and comparisons with a null
 * operand give null, and `where` keeps only rows whose predicate is true.
 * Strings are never null: tostring(null) is "", and string operators read a
 * null operand as "". Values taken out of dynamic (a.b, a[0]) keep their JSON
 * kind; comparing a dynamic string with a datetime parses the string.
 */
#include "query/qint.h"

#include <ctype.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int qschema_find(const qschema_t *s, const char *name)
{
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->cols[i].name, name)) return i;
    return -1;
}

static const char *op_name(const qexpr_t *x)
{
    switch (x->op) {
    case OP_OR: return "or";
    case OP_AND: return "and";
    case OP_EQ: return "==";
    case OP_NE: return "!=";
    case OP_EQCI: return "=~";
    case OP_NECI: return "!~";
    case OP_LT: return "<";
    case OP_LE: return "<=";
    case OP_GT: return ">";
    case OP_GE: return ">=";
    case OP_ADD: return "+";
    case OP_SUB: return "-";
    case OP_MUL: return "*";
    case OP_DIV: return "/";
    case OP_MOD: return "%";
    case OP_NEG: return "-";
    case OP_MATCHES: return "matches regex";
    case OP_BETWEEN: return "between";
    case OP_NBETWEEN: return "!between";
    default: return "operator";
    }
}

static bool known(dd_qtype_t t) { return t != DD_QT_DYNAMIC && t != DD_QT_NULL && t != DD_QT_ARRAY && t != DD_QT_OBJECT; }
static bool numt(dd_qtype_t t) { return t == DD_QT_LONG || t == DD_QT_REAL; }

static bool comparable(dd_qtype_t a, dd_qtype_t b)
{
    if (!known(a) || !known(b)) return true;
    if (a == b) return true;
    if (numt(a) && numt(b)) return true;
    return false;
}

static int arith_type(qctx_t *q, qexpr_t *x, dd_qtype_t a, dd_qtype_t b, dd_qtype_t *out)
{
    *out = DD_QT_DYNAMIC;
    if (!known(a) || !known(b)) {
        if (numt(a) && !known(b)) *out = DD_QT_DYNAMIC;
        return DD_OK;
    }
    int op = x->op;
    if (numt(a) && numt(b)) { *out = (a == DD_QT_REAL || b == DD_QT_REAL) ? DD_QT_REAL : DD_QT_LONG; return DD_OK; }
    if (a == DD_QT_DATETIME && b == DD_QT_DATETIME && op == OP_SUB) { *out = DD_QT_TIMESPAN; return DD_OK; }
    if (a == DD_QT_DATETIME && b == DD_QT_TIMESPAN && (op == OP_ADD || op == OP_SUB)) { *out = DD_QT_DATETIME; return DD_OK; }
    if (a == DD_QT_TIMESPAN && b == DD_QT_DATETIME && op == OP_ADD) { *out = DD_QT_DATETIME; return DD_OK; }
    if (a == DD_QT_TIMESPAN && b == DD_QT_TIMESPAN && (op == OP_ADD || op == OP_SUB || op == OP_MOD)) { *out = DD_QT_TIMESPAN; return DD_OK; }
    if (a == DD_QT_TIMESPAN && b == DD_QT_TIMESPAN && op == OP_DIV) { *out = DD_QT_REAL; return DD_OK; }
    if (a == DD_QT_TIMESPAN && numt(b) && (op == OP_MUL || op == OP_DIV)) { *out = DD_QT_TIMESPAN; return DD_OK; }
    if (numt(a) && b == DD_QT_TIMESPAN && op == OP_MUL) { *out = DD_QT_TIMESPAN; return DD_OK; }
    return qerr_at(q, x->line, x->col, DD_EINVAL, "type error: cannot apply '%s' to %s and %s", op_name(x),
                   dd_qtype_name(a), dd_qtype_name(b));
}

static qexpr_t *find_let(qctx_t *q, const char *name)
{
    for (qlet_t *l = q->lets; l; l = l->next)
        if (l->scalar && !strcmp(l->name, name)) return l->scalar;
    return NULL;
}

int qexpr_resolve(qctx_t *q, qexpr_t *x, const qschema_t *s)
{
    int rc;
    if (++q->depth > q->lim.max_depth) {
        q->depth--;
        return qerr_at(q, x->line, x->col, DD_EINVAL, "query nesting too deep");
    }
    switch (x->kind) {
    case E_LIT:
        x->type = x->lit.dyn ? DD_QT_DYNAMIC : (dd_qtype_t)x->lit.t;
        if (x->lit.t == DD_QT_NULL && !x->lit.dyn && x->type == DD_QT_NULL) x->type = DD_QT_DYNAMIC;
        break;
    case E_COL: {
        int i = qschema_find(s, x->name);
        if (i >= 0) {
            x->colidx = i;
            x->type = s->cols[i].type;
            break;
        }
        qexpr_t *l = find_let(q, x->name);
        if (l) {
            if (l->kind == E_COL && !strcmp(l->name, x->name)) return qerr_at(q, x->line, x->col, DD_EINVAL, "let '%s' refers to itself", x->name);
            int line = x->line, col = x->col;
            *x = *l;          /* inline a copy of the let's expression */
            x->line = line;
            x->col = col;
            rc = qexpr_resolve(q, x, s);
            q->depth--;
            return rc;
        }
        if (!strcmp(x->name, "null")) { x->kind = E_LIT; x->lit = dd_qval_null(); x->type = DD_QT_DYNAMIC; break; }
        q->depth--;
        return qerr_at(q, x->line, x->col, DD_EINVAL, "unknown column '%s'", x->name);
    }
    case E_STAR:
        q->depth--;
        return qerr_at(q, x->line, x->col, DD_EINVAL, "'*' is not allowed here");
    case E_MEMBER:
    case E_INDEX:
        for (int i = 0; i < x->nargs; i++)
            if ((rc = qexpr_resolve(q, x->args[i], s))) { q->depth--; return rc; }
        if (known(x->args[0]->type)) {
            q->depth--;
            return qerr_at(q, x->line, x->col, DD_EINVAL, "type error: cannot take %s of a %s value",
                           x->kind == E_MEMBER ? "a property" : "an element", dd_qtype_name(x->args[0]->type));
        }
        x->type = DD_QT_DYNAMIC;
        break;
    case E_UN:
        if ((rc = qexpr_resolve(q, x->args[0], s))) { q->depth--; return rc; }
        if (known(x->args[0]->type) && !numt(x->args[0]->type) && x->args[0]->type != DD_QT_TIMESPAN) {
            q->depth--;
            return qerr_at(q, x->line, x->col, DD_EINVAL, "type error: cannot negate a %s value", dd_qtype_name(x->args[0]->type));
        }
        x->type = x->args[0]->type;
        break;
    case E_CALL: {
        const qfunc_t *f = qfunc_find(x->name);
        if (!f) {
            q->depth--;
            if (qagg_find(x->name))
                return qerr_at(q, x->line, x->col, DD_EINVAL, "aggregation function '%s' is only allowed in summarize", x->name);
            return qerr_at(q, x->line, x->col, DD_EINVAL, "unknown function '%s'", x->name);
        }
        if (x->nargs < f->minargs || x->nargs > f->maxargs) {
            q->depth--;
            if (f->minargs == f->maxargs)
                return qerr_at(q, x->line, x->col, DD_EINVAL, "function '%s' expects %d argument%s", f->name, f->minargs, f->minargs == 1 ? "" : "s");
            if (f->maxargs > 60)
                return qerr_at(q, x->line, x->col, DD_EINVAL, "function '%s' expects at least %d argument%s", f->name, f->minargs, f->minargs == 1 ? "" : "s");
            return qerr_at(q, x->line, x->col, DD_EINVAL, "function '%s' expects %d to %d arguments", f->name, f->minargs, f->maxargs);
        }
        x->fn = f;
        for (int i = 0; i < x->nargs; i++)
            if ((rc = qexpr_resolve(q, x->args[i], s))) { q->depth--; return rc; }
        x->type = f->ret;
        const char *n = f->name;
        if (!strcmp(n, "iff") || !strcmp(n, "iif")) {
            if (known(x->args[0]->type) && x->args[0]->type != DD_QT_BOOL) {
                q->depth--;
                return qerr_at(q, x->args[0]->line, x->args[0]->col, DD_EINVAL, "type error: %s expects a bool condition, got %s", n, dd_qtype_name(x->args[0]->type));
            }
            x->type = x->args[1]->type;
        } else if (!strcmp(n, "coalesce") || !strcmp(n, "bin") || !strcmp(n, "floor") || !strcmp(n, "abs") ||
                   !strcmp(n, "max_of") || !strcmp(n, "min_of")) {
            x->type = x->args[0]->type;
        } else if (!strcmp(n, "case")) {
            if (x->nargs % 2 == 0) {
                q->depth--;
                return qerr_at(q, x->line, x->col, DD_EINVAL, "function 'case' expects predicate/value pairs and an else value (an odd number of arguments)");
            }
            x->type = x->args[1]->type;
        } else if (!strcmp(n, "extract") || !strcmp(n, "matches")) {
            /* compile a constant pattern once */
            if (x->args[0]->kind == E_LIT && x->args[0]->lit.t == DD_QT_STRING) {
                if ((rc = qregex_const(q, x->args[0]->lit.u.s, x->args[0]->lit.len, &x->re, x->args[0]->line, x->args[0]->col))) {
                    q->depth--;
                    return rc;
                }
            }
        } else if (!strcmp(n, "strlen") || !strcmp(n, "tolower") || !strcmp(n, "toupper")) {
            dd_qtype_t t = x->args[0]->type;
            if (known(t) && t != DD_QT_STRING) {
                q->depth--;
                return qerr_at(q, x->args[0]->line, x->args[0]->col, DD_EINVAL, "type error: function '%s' expects a string argument, got %s", n, dd_qtype_name(t));
            }
        }
        break;
    }
    case E_BIN: {
        for (int i = 0; i < x->nargs; i++)
            if ((rc = qexpr_resolve(q, x->args[i], s))) { q->depth--; return rc; }
        dd_qtype_t a = x->args[0]->type, b = x->nargs > 1 ? x->args[1]->type : DD_QT_DYNAMIC;
        switch (x->op) {
        case OP_AND:
        case OP_OR:
            for (int i = 0; i < 2; i++) {
                dd_qtype_t t = x->args[i]->type;
                if (known(t) && t != DD_QT_BOOL) {
                    q->depth--;
                    return qerr_at(q, x->args[i]->line, x->args[i]->col, DD_EINVAL, "type error: '%s' expects bool operands, got %s", op_name(x), dd_qtype_name(t));
                }
            }
            x->type = DD_QT_BOOL;
            break;
        case OP_EQ: case OP_NE: case OP_LT: case OP_LE: case OP_GT: case OP_GE:
            if (!comparable(a, b)) {
                q->depth--;
                return qerr_at(q, x->line, x->col, DD_EINVAL, "type error: cannot compare %s with %s using '%s'", dd_qtype_name(a), dd_qtype_name(b), op_name(x));
            }
            x->type = DD_QT_BOOL;
            break;
        case OP_ADD: case OP_SUB: case OP_MUL: case OP_DIV: case OP_MOD:
            if ((rc = arith_type(q, x, a, b, &x->type))) { q->depth--; return rc; }
            break;
        case OP_MATCHES:
            if (x->args[1]->kind == E_LIT && x->args[1]->lit.t == DD_QT_STRING) {
                if ((rc = qregex_const(q, x->args[1]->lit.u.s, x->args[1]->lit.len, &x->re, x->args[1]->line, x->args[1]->col))) {
                    q->depth--;
                    return rc;
                }
            }
            x->type = DD_QT_BOOL;
            break;
        default:
            x->type = DD_QT_BOOL;
            break;
        }
        break;
    }
    default:
        break;
    }
    q->depth--;
    return DD_OK;
}

/* ---- evaluation --------------------------------------------------------- */

/* Compares a and b for the comparison operators: -1/0/1, or 2 when the
 * values cannot be compared (null involved, incompatible kinds). */
static int cmp_for_op(const dd_qval_t *a, const dd_qval_t *b)
{
    if (a->t == DD_QT_NULL || b->t == DD_QT_NULL) return 2;
    if (qv_isnum(a) && qv_isnum(b)) {
        if (a->t == DD_QT_LONG && b->t == DD_QT_LONG) return a->u.l < b->u.l ? -1 : a->u.l > b->u.l;
        double x = qv_num(a), y = qv_num(b);
        if (isnan(x) || isnan(y)) return 2;
        return x < y ? -1 : x > y;
    }
    if (a->t == b->t) return qval_cmp(a, b);
    /* a string against a datetime/timespan/number: parse the string */
    const dd_qval_t *s = a->t == DD_QT_STRING ? a : b->t == DD_QT_STRING ? b : NULL;
    const dd_qval_t *o = s == a ? b : a;
    if (s) {
        dd_qval_t conv;
        int64_t ticks;
        if (o->t == DD_QT_DATETIME && qparse_datetime(s->u.s, s->len, &ticks)) conv = dd_qval_datetime(ticks);
        else if (o->t == DD_QT_TIMESPAN && qparse_timespan(s->u.s, s->len, &ticks)) conv = dd_qval_timespan(ticks);
        else if (qv_isnum(o) && s->len && s->len < 64) {
            char buf[64];
            memcpy(buf, s->u.s, s->len);
            buf[s->len] = 0;
            char *end;
            double d = strtod(buf, &end);
            if (*end) return 2;
            conv = dd_qval_real(d);
        } else return 2;
        int c = s == a ? cmp_for_op(&conv, b) : cmp_for_op(a, &conv);
        return c;
    }
    return 2;
}

static int arith(qctx_t *q, qexpr_t *x, const dd_qval_t *a, const dd_qval_t *b, dd_qval_t *out)
{
    (void)q;
    *out = dd_qval_null();
    if (a->t == DD_QT_NULL || b->t == DD_QT_NULL) return DD_OK;
    int op = x->op;
    if (a->t == DD_QT_LONG && b->t == DD_QT_LONG) {
        int64_t r, l1 = a->u.l, l2 = b->u.l;
        bool ovf = false;
        switch (op) {
        case OP_ADD: ovf = __builtin_add_overflow(l1, l2, &r); break;
        case OP_SUB: ovf = __builtin_sub_overflow(l1, l2, &r); break;
        case OP_MUL: ovf = __builtin_mul_overflow(l1, l2, &r); break;
        case OP_DIV: if (l2 == 0 || (l1 == INT64_MIN && l2 == -1)) return DD_OK; r = l1 / l2; break;
        case OP_MOD: if (l2 == 0 || (l1 == INT64_MIN && l2 == -1)) return DD_OK; r = l1 % l2; break;
        default: return DD_OK;
        }
        if (!ovf) *out = dd_qval_long(r);
        return DD_OK;
    }
    if (qv_isnum(a) && qv_isnum(b)) {
        double d1 = qv_num(a), d2 = qv_num(b), r;
        switch (op) {
        case OP_ADD: r = d1 + d2; break;
        case OP_SUB: r = d1 - d2; break;
        case OP_MUL: r = d1 * d2; break;
        case OP_DIV: r = d1 / d2; break;
        case OP_MOD: r = fmod(d1, d2); break;
        default: return DD_OK;
        }
        *out = dd_qval_real(r);
        return DD_OK;
    }
    int ta = a->t, tb = b->t;
    int64_t r;
    if (ta == DD_QT_DATETIME && tb == DD_QT_DATETIME && op == OP_SUB) {
        if (!__builtin_sub_overflow(a->u.l, b->u.l, &r)) *out = dd_qval_timespan(r);
    } else if (ta == DD_QT_DATETIME && tb == DD_QT_TIMESPAN && (op == OP_ADD || op == OP_SUB)) {
        if (!(op == OP_ADD ? __builtin_add_overflow(a->u.l, b->u.l, &r) : __builtin_sub_overflow(a->u.l, b->u.l, &r))) *out = dd_qval_datetime(r);
    } else if (ta == DD_QT_TIMESPAN && tb == DD_QT_DATETIME && op == OP_ADD) {
        if (!__builtin_add_overflow(a->u.l, b->u.l, &r)) *out = dd_qval_datetime(r);
    } else if (ta == DD_QT_TIMESPAN && tb == DD_QT_TIMESPAN) {
        if (op == OP_ADD && !__builtin_add_overflow(a->u.l, b->u.l, &r)) *out = dd_qval_timespan(r);
        else if (op == OP_SUB && !__builtin_sub_overflow(a->u.l, b->u.l, &r)) *out = dd_qval_timespan(r);
        else if (op == OP_DIV && b->u.l) *out = dd_qval_real((double)a->u.l / (double)b->u.l);
        else if (op == OP_MOD && b->u.l && !(a->u.l == INT64_MIN && b->u.l == -1)) *out = dd_qval_timespan(a->u.l % b->u.l);
    } else if (ta == DD_QT_TIMESPAN && qv_isnum(b) && (op == OP_MUL || op == OP_DIV)) {
        double d = op == OP_MUL ? (double)a->u.l * qv_num(b) : (double)a->u.l / qv_num(b);
        if (fabs(d) < 9e18) *out = dd_qval_timespan((int64_t)d);
    } else if (qv_isnum(a) && tb == DD_QT_TIMESPAN && op == OP_MUL) {
        double d = (double)b->u.l * qv_num(a);
        if (fabs(d) < 9e18) *out = dd_qval_timespan((int64_t)d);
    }
    return DD_OK;
}

static bool str_of(qctx_t *q, const dd_qval_t *v, const char **s, size_t *n)
{
    if (v->t == DD_QT_STRING) { *s = v->u.s; *n = v->len; return true; }
    dd_qval_t t = qval_tostring(&q->tmp, v);
    *s = t.u.s;
    *n = t.len;
    return v->t != DD_QT_NULL;
}

static bool in_match(const dd_qval_t *l, const dd_qval_t *item, bool ci)
{
    if (item->t == DD_QT_ARRAY) {
        for (uint32_t i = 0; i < item->u.a->n; i++)
            if (in_match(l, &item->u.a->v[i], ci)) return true;
        return false;
    }
    if (l->t == DD_QT_STRING && item->t == DD_QT_STRING)
        return ci ? qstr_eqci(l->u.s, l->len, item->u.s, item->len)
                  : (l->len == item->len && !memcmp(l->u.s, item->u.s, l->len));
    return cmp_for_op(l, item) == 0;
}

static int regex_match(qctx_t *q, qexpr_t *x, regex_t *pre, const dd_qval_t *pat, const char *s, size_t n, bool *out)
{
    regex_t *re = pre, local;
    if (!re) {
        if (pat->t != DD_QT_STRING) { *out = false; return DD_OK; }
        int rc = qregex_compile(q, pat->u.s, pat->len, &local, x->line, x->col);
        if (rc) return rc;
        re = &local;
    }
    char *z = qstrndup(&q->tmp, s, n);
    regmatch_t m[1];
    *out = regexec(re, z, 1, m, 0) == 0;
    if (!pre) regfree(re);
    return DD_OK;
}

static int eval_lazy(qctx_t *q, qexpr_t *x, const dd_qval_t *row, dd_qval_t *out)
{
    dd_qval_t v;
    int rc;
    switch (x->fn->agg) {
    case -1: /* iff */
        if ((rc = qexpr_eval(q, x->args[0], row, &v))) return rc;
        return qexpr_eval(q, x->args[qv_true(&v) ? 1 : 2], row, out);
    case -2: /* case */
        for (int i = 0; i + 1 < x->nargs; i += 2) {
            if ((rc = qexpr_eval(q, x->args[i], row, &v))) return rc;
            if (qv_true(&v)) return qexpr_eval(q, x->args[i + 1], row, out);
        }
        return qexpr_eval(q, x->args[x->nargs - 1], row, out);
    case -3: /* coalesce */
        for (int i = 0; i < x->nargs; i++) {
            if ((rc = qexpr_eval(q, x->args[i], row, out))) return rc;
            if (out->t != DD_QT_NULL && !(out->t == DD_QT_STRING && out->len == 0)) return DD_OK;
        }
        return DD_OK;
    }
    *out = dd_qval_null();
    return DD_OK;
}

int qexpr_eval(qctx_t *q, qexpr_t *x, const dd_qval_t *row, dd_qval_t *out)
{
    int rc;
    dd_qval_t a, b;
    switch (x->kind) {
    case E_LIT:
        *out = x->lit;
        return DD_OK;
    case E_COL:
        *out = row[x->colidx];
        return DD_OK;
    case E_MEMBER:
        if ((rc = qexpr_eval(q, x->args[0], row, &a))) return rc;
        if (a.t == DD_QT_OBJECT) {
            const dd_qval_t *m = qobj_get(a.u.o, x->name, strlen(x->name));
            *out = m ? *m : dd_qval_null();
        } else *out = dd_qval_null();
        out->dyn = 1;
        return DD_OK;
    case E_INDEX:
        if ((rc = qexpr_eval(q, x->args[0], row, &a))) return rc;
        if ((rc = qexpr_eval(q, x->args[1], row, &b))) return rc;
        *out = dd_qval_null();
        if (a.t == DD_QT_ARRAY && b.t == DD_QT_LONG) {
            int64_t i = b.u.l, n = a.u.a->n;
            if (i < 0) i += n;
            if (i >= 0 && i < n) *out = a.u.a->v[i];
        } else if (a.t == DD_QT_OBJECT && b.t == DD_QT_STRING) {
            const dd_qval_t *m = qobj_get(a.u.o, b.u.s, b.len);
            if (m) *out = *m;
        }
        out->dyn = 1;
        return DD_OK;
    case E_UN:
        if ((rc = qexpr_eval(q, x->args[0], row, &a))) return rc;
        *out = dd_qval_null();
        if (a.t == DD_QT_LONG && a.u.l != INT64_MIN) *out = dd_qval_long(-a.u.l);
        else if (a.t == DD_QT_REAL) *out = dd_qval_real(-a.u.d);
        else if (a.t == DD_QT_TIMESPAN && a.u.l != INT64_MIN) *out = dd_qval_timespan(-a.u.l);
        return DD_OK;
    case E_CALL: {
        if (x->fn->lazy) return eval_lazy(q, x, row, out);
        dd_qval_t stackv[8], *args = stackv;
        if (x->nargs > 8) args = dd_arena_alloc(&q->tmp, (size_t)x->nargs * sizeof *args);
        for (int i = 0; i < x->nargs; i++)
            if ((rc = qexpr_eval(q, x->args[i], row, &args[i]))) return rc;
        return x->fn->fn(q, x, args, x->nargs, out);
    }
    case E_BIN:
        break;
    default:
        *out = dd_qval_null();
        return DD_OK;
    }

    /* binary operators */
    int op = x->op;
    if (op == OP_AND || op == OP_OR) {
        if ((rc = qexpr_eval(q, x->args[0], row, &a))) return rc;
        if (op == OP_AND && a.t == DD_QT_BOOL && !a.u.b) { *out = dd_qval_bool(false); return DD_OK; }
        if (op == OP_OR && a.t == DD_QT_BOOL && a.u.b) { *out = dd_qval_bool(true); return DD_OK; }
        if ((rc = qexpr_eval(q, x->args[1], row, &b))) return rc;
        if (b.t != DD_QT_BOOL) { *out = dd_qval_null(); if (op == OP_AND && a.t == DD_QT_BOOL && !a.u.b) *out = dd_qval_bool(false); return DD_OK; }
        if (a.t != DD_QT_BOOL) { *out = (op == OP_OR && b.u.b) ? dd_qval_bool(true) : (op == OP_AND && !b.u.b) ? dd_qval_bool(false) : dd_qval_null(); return DD_OK; }
        *out = dd_qval_bool(op == OP_AND ? (a.u.b && b.u.b) : (a.u.b || b.u.b));
        return DD_OK;
    }
    if ((rc = qexpr_eval(q, x->args[0], row, &a))) return rc;
    if (op == OP_HAS_ANY || op == OP_HAS_ALL) {
        /* has_any: some item is a whole term of the left side; has_all: every item */
        const char *s1;
        size_t n1;
        str_of(q, &a, &s1, &n1);
        bool any = false, all = true;
        for (int i = 1; i < x->nargs; i++) {
            if ((rc = qexpr_eval(q, x->args[i], row, &b))) return rc;
            const dd_qval_t *items = b.t == DD_QT_ARRAY ? b.u.a->v : &b;
            uint32_t ni = b.t == DD_QT_ARRAY ? b.u.a->n : 1;
            for (uint32_t k = 0; k < ni; k++) {
                const char *s2;
                size_t n2;
                str_of(q, &items[k], &s2, &n2);
                if (qstr_has(s1, n1, s2, n2, false)) any = true;
                else all = false;
            }
        }
        *out = dd_qval_bool(op == OP_HAS_ANY ? any : all);
        return DD_OK;
    }
    if (op == OP_IN || op == OP_NIN || op == OP_INCI || op == OP_NINCI) {
        bool ci = op == OP_INCI || op == OP_NINCI, neg = op == OP_NIN || op == OP_NINCI, found = false;
        if (a.t == DD_QT_NULL) { *out = dd_qval_bool(neg); return DD_OK; }
        if (ci && a.t != DD_QT_STRING) a = qval_tostring(&q->tmp, &a);
        for (int i = 1; i < x->nargs && !found; i++) {
            if ((rc = qexpr_eval(q, x->args[i], row, &b))) return rc;
            if (ci && b.t != DD_QT_STRING && b.t != DD_QT_ARRAY) b = qval_tostring(&q->tmp, &b);
            found = in_match(&a, &b, ci);
        }
        *out = dd_qval_bool(found != neg);
        return DD_OK;
    }
    if ((rc = qexpr_eval(q, x->args[1], row, &b))) return rc;
    switch (op) {
    case OP_EQ: case OP_NE: case OP_LT: case OP_LE: case OP_GT: case OP_GE: {
        int c;
        if ((a.t == DD_QT_ARRAY || a.t == DD_QT_OBJECT) && (op == OP_EQ || op == OP_NE)) c = a.t == b.t ? (qval_same(&a, &b) ? 0 : 1) : 2;
        else c = cmp_for_op(&a, &b);
        if (c == 2) { *out = dd_qval_null(); return DD_OK; }
        bool r = op == OP_EQ ? c == 0 : op == OP_NE ? c != 0 : op == OP_LT ? c < 0 : op == OP_LE ? c <= 0 : op == OP_GT ? c > 0 : c >= 0;
        *out = dd_qval_bool(r);
        return DD_OK;
    }
    case OP_EQCI: case OP_NECI: {
        const char *s1, *s2;
        size_t n1, n2;
        str_of(q, &a, &s1, &n1);
        str_of(q, &b, &s2, &n2);
        bool eq = qstr_eqci(s1, n1, s2, n2);
        *out = dd_qval_bool(op == OP_EQCI ? eq : !eq);
        return DD_OK;
    }
    case OP_ADD: case OP_SUB: case OP_MUL: case OP_DIV: case OP_MOD:
        return arith(q, x, &a, &b, out);
    case OP_STR: {
        const char *s1, *s2;
        size_t n1, n2;
        str_of(q, &a, &s1, &n1);
        str_of(q, &b, &s2, &n2);
        bool r = false;
        switch (x->strop) {
        case SO_CONTAINS: r = qstr_contains(s1, n1, s2, n2, x->cs); break;
        case SO_HAS: r = qstr_has(s1, n1, s2, n2, x->cs); break;
        case SO_STARTSWITH: r = qstr_startswith(s1, n1, s2, n2, x->cs); break;
        case SO_ENDSWITH: r = qstr_endswith(s1, n1, s2, n2, x->cs); break;
        case SO_HASPREFIX: {
            /* a term of s1 starts with s2 */
            for (size_t i = 0; i + n2 <= n1 && !r; i++) {
                if (i > 0 && (isalnum((unsigned char)s1[i - 1]) || (unsigned char)s1[i - 1] >= 0x80)) continue;
                r = qstr_startswith(s1 + i, n1 - i, s2, n2, x->cs);
            }
            break;
        }
        case SO_HASSUFFIX: {
            for (size_t e = n2; e <= n1 && !r; e++) {
                if (e < n1 && (isalnum((unsigned char)s1[e]) || (unsigned char)s1[e] >= 0x80)) continue;
                r = qstr_endswith(s1, e, s2, n2, x->cs);
            }
            break;
        }
        }
        *out = dd_qval_bool(x->neg ? !r : r);
        return DD_OK;
    }
    case OP_BETWEEN: case OP_NBETWEEN: {
        dd_qval_t hi;
        if ((rc = qexpr_eval(q, x->args[2], row, &hi))) return rc;
        if (hi.t == DD_QT_TIMESPAN && b.t == DD_QT_DATETIME) hi = dd_qval_datetime(b.u.l + hi.u.l);
        int c1 = cmp_for_op(&a, &b), c2 = cmp_for_op(&a, &hi);
        if (c1 == 2 || c2 == 2) { *out = dd_qval_null(); return DD_OK; }
        bool in = c1 >= 0 && c2 <= 0;
        *out = dd_qval_bool(op == OP_BETWEEN ? in : !in);
        return DD_OK;
    }
    case OP_MATCHES: {
        const char *s1;
        size_t n1;
        str_of(q, &a, &s1, &n1);
        bool m;
        if ((rc = regex_match(q, x, x->re, &b, s1, n1, &m))) return rc;
        *out = dd_qval_bool(m);
        return DD_OK;
    }
    }
    *out = dd_qval_null();
    return DD_OK;
}

const char *qexpr_derive_name(dd_arena_t *a, const qexpr_t *x)
{
    switch (x->kind) {
    case E_COL:
        return x->name;
    case E_MEMBER:
    case E_INDEX: {
        const char *base = qexpr_derive_name(a, x->args[0]);
        if (!base) return NULL;
        if (x->kind == E_MEMBER) {
            size_t bl = strlen(base), nl = strlen(x->name);
            char *r = dd_arena_alloc(a, bl + nl + 2);
            memcpy(r, base, bl);
            r[bl] = '_';
            memcpy(r + bl + 1, x->name, nl);
            return r;
        }
        const qexpr_t *i = x->args[1];
        if (i->kind == E_LIT && i->lit.t == DD_QT_STRING) {
            size_t bl = strlen(base);
            char *r = dd_arena_alloc(a, bl + i->lit.len + 2);
            memcpy(r, base, bl);
            r[bl] = '_';
            memcpy(r + bl + 1, i->lit.u.s, i->lit.len);
            return r;
        }
        return base;
    }
    case E_CALL:
        return x->nargs > 0 ? qexpr_derive_name(a, x->args[0]) : NULL;
    default:
        return NULL;
    }
}
