/*
 * parse.c: recursive-descent parser from tokens to the query AST (qint.h).
 *
 *   query    := (let NAME = (pipe | expr) ;)* pipe [;]
 *   pipe     := (NAME | print items | ( pipe )) (| op)*
 *   op       := where e | project items | project-away names | project-keep names
 *             | project-rename n = o, ... | extend items | summarize [items] [by items]
 *             | (order|sort) by keys | top N by keys | (take|limit) N
 *             | distinct (* | items) | count | mv-expand [kind=array] items [limit N]
 *             | join [kind=K] (pipe | NAME) on key, ...
 *   expr     := or;  or := and (or and)*;  and := cmp (and cmp)*
 *   cmp      := add [(== != =~ !~ < <= > >=) add | strop add | in-op ( list )
 *                    | [!]between ( add .. add ) | matches regex add]
 *   add      := mul ((+|-) mul)*;  mul := unary ((*|/|%) unary)*
 *   unary    := - unary | postfix;  postfix := primary (. NAME | [ expr ])*
 *   primary  := literal | NAME ( args ) | NAME | ( expr )
 *
 * Every node records the line and column of its first token for messages.
 */
#include "query/qint.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

typedef struct parser {
    qtok_t *t;
    size_t n, i;
    dd_arena_t *a;
    int depth, max_depth;
    int *eline, *ecol;
    dd_err_t *e;
} parser_t;

static qtok_t *cur(parser_t *p) { return &p->t[p->i]; }
static qtok_t *peekn(parser_t *p, size_t k) { return p->i + k < p->n ? &p->t[p->i + k] : &p->t[p->n - 1]; }

static const char *tok_desc(const qtok_t *t, char *buf, size_t bn)
{
    switch (t->kind) {
    case TK_EOF: return "end of query";
    case TK_IDENT: snprintf(buf, bn, "'%.40s'", t->s); return buf;
    case TK_BANGWORD: snprintf(buf, bn, "'!%.40s'", t->s); return buf;
    case TK_STRING: return "string literal";
    case TK_LONG: case TK_REAL: return "number";
    case TK_TIMESPAN: return "timespan literal";
    case TK_RAW: snprintf(buf, bn, "%s literal", t->raw_kind); return buf;
    case TK_PIPE: return "'|'";
    case TK_COMMA: return "','";
    case TK_SEMI: return "';'";
    case TK_LPAREN: return "'('";
    case TK_RPAREN: return "')'";
    case TK_LBRACK: return "'['";
    case TK_RBRACK: return "']'";
    case TK_LBRACE: return "'{'";
    case TK_RBRACE: return "'}'";
    case TK_DOT: return "'.'";
    case TK_DOTDOT: return "'..'";
    case TK_EQ: return "'='";
    case TK_EQEQ: return "'=='";
    case TK_NE: return "'!='";
    case TK_EQTILDE: return "'=~'";
    case TK_NETILDE: return "'!~'";
    case TK_LT: return "'<'";
    case TK_LE: return "'<='";
    case TK_GT: return "'>'";
    case TK_GE: return "'>='";
    case TK_PLUS: return "'+'";
    case TK_MINUS: return "'-'";
    case TK_STAR: return "'*'";
    case TK_SLASH: return "'/'";
    case TK_PERCENT: return "'%'";
    case TK_COLON: return "':'";
    }
    return "token";
}

static int perr(parser_t *p, const qtok_t *t, const char *fmt, const char *arg)
{
    char d[64], m[200];
    *p->eline = t->line;
    *p->ecol = t->col;
    snprintf(m, sizeof m, fmt, arg ? arg : tok_desc(t, d, sizeof d));
    return dd_err(p->e, DD_EINVAL, "syntax error: %s", m);
}

static bool is_word(const qtok_t *t, const char *w) { return t->kind == TK_IDENT && !strcmp(t->s, w); }
static bool accept(parser_t *p, int kind) { if (cur(p)->kind == kind) { p->i++; return true; } return false; }
static bool accept_word(parser_t *p, const char *w) { if (is_word(cur(p), w)) { p->i++; return true; } return false; }

static int expect(parser_t *p, int kind, const char *what)
{
    if (cur(p)->kind == kind) { p->i++; return DD_OK; }
    char m[120], d[64];
    snprintf(m, sizeof m, "expected %s but found %s", what, tok_desc(cur(p), d, sizeof d));
    return perr(p, cur(p), "%s", m);
}

static qexpr_t *node(parser_t *p, int kind, const qtok_t *at)
{
    qexpr_t *x = dd_arena_alloc(p->a, sizeof *x);
    x->kind = kind;
    x->line = at->line;
    x->col = at->col;
    x->colidx = -1;
    x->type = DD_QT_DYNAMIC;
    return x;
}

static qexpr_t *bin(parser_t *p, int op, const qtok_t *at, qexpr_t *l, qexpr_t *r)
{
    qexpr_t *x = node(p, E_BIN, at);
    x->op = op;
    x->args = dd_arena_alloc(p->a, 2 * sizeof *x->args);
    x->args[0] = l;
    x->args[1] = r;
    x->nargs = 2;
    x->line = l->line;
    x->col = l->col;
    return x;
}

static int parse_expr(parser_t *p, qexpr_t **out);

/* A growable pointer list in the arena (copied out when done). */
typedef struct plist { void **v; int n, cap; } plist_t;
static void pl_push(parser_t *p, plist_t *l, void *x)
{
    if (l->n == l->cap) {
        int nc = l->cap ? l->cap * 2 : 8;
        void **nv = dd_arena_alloc(p->a, (size_t)nc * sizeof *nv);
        if (l->n) memcpy(nv, l->v, (size_t)l->n * sizeof *nv);
        l->v = nv;
        l->cap = nc;
    }
    l->v[l->n++] = x;
}

static int parse_literal_raw(parser_t *p, qtok_t *t, qexpr_t **out)
{
    qexpr_t *x = node(p, E_LIT, t);
    const char *s = t->s;
    size_t n = t->n;
    while (n && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')) { s++; n--; }
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r')) n--;
    if (!strcmp(t->raw_kind, "dynamic")) {
        json_error_t je;
        if (n == 4 && !memcmp(s, "null", 4)) { x->lit = dd_qval_null(); x->lit.dyn = 1; }
        else {
            json_t *j = json_loadb(s, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
            if (!j) return perr(p, t, "invalid dynamic literal: %s", je.text);
            x->lit = qval_from_json(p->a, j, 0);
            json_decref(j);
        }
        x->type = DD_QT_DYNAMIC;
    } else {
        if (n >= 2 && (s[0] == '"' || s[0] == '\'') && s[n - 1] == s[0]) { s++; n -= 2; }
        if (n == 4 && !memcmp(s, "null", 4)) x->lit = dd_qval_null();
        else if (!strcmp(t->raw_kind, "datetime")) {
            int64_t ticks;
            if (!qparse_datetime(s, n, &ticks)) return perr(p, t, "invalid datetime literal '%s'", qstrndup(p->a, s, n > 60 ? 60 : n));
            x->lit = dd_qval_datetime(ticks);
        } else {
            int64_t ticks;
            if (!qparse_timespan(s, n, &ticks)) return perr(p, t, "invalid timespan literal '%s'", qstrndup(p->a, s, n > 60 ? 60 : n));
            x->lit = dd_qval_timespan(ticks);
        }
        x->type = !strcmp(t->raw_kind, "datetime") ? DD_QT_DATETIME : DD_QT_TIMESPAN;
    }
    *out = x;
    return DD_OK;
}

static int parse_primary(parser_t *p, qexpr_t **out)
{
    qtok_t *t = cur(p);
    int rc;
    switch (t->kind) {
    case TK_LONG: p->i++; *out = node(p, E_LIT, t); (*out)->lit = dd_qval_long(t->l); (*out)->type = DD_QT_LONG; return DD_OK;
    case TK_REAL: p->i++; *out = node(p, E_LIT, t); (*out)->lit = dd_qval_real(t->d); (*out)->type = DD_QT_REAL; return DD_OK;
    case TK_TIMESPAN: p->i++; *out = node(p, E_LIT, t); (*out)->lit = dd_qval_timespan(t->l); (*out)->type = DD_QT_TIMESPAN; return DD_OK;
    case TK_STRING: p->i++; *out = node(p, E_LIT, t); (*out)->lit = dd_qval_strn(t->s, t->n); (*out)->type = DD_QT_STRING; return DD_OK;
    case TK_RAW: p->i++; return parse_literal_raw(p, t, out);
    case TK_LPAREN: {
        p->i++;
        if ((rc = parse_expr(p, out))) return rc;
        return expect(p, TK_RPAREN, "')'");
    }
    case TK_STAR: p->i++; *out = node(p, E_STAR, t); return DD_OK;
    case TK_IDENT: {
        p->i++;
        if (!strcmp(t->s, "true") || !strcmp(t->s, "false")) {
            *out = node(p, E_LIT, t);
            (*out)->lit = dd_qval_bool(t->s[0] == 't');
            (*out)->type = DD_QT_BOOL;
            return DD_OK;
        }
        if (cur(p)->kind == TK_LPAREN) {
            p->i++;
            qexpr_t *x = node(p, E_CALL, t);
            x->name = t->s;
            plist_t args = {0};
            if (!accept(p, TK_RPAREN)) {
                for (;;) {
                    qexpr_t *a;
                    if ((rc = parse_expr(p, &a))) return rc;
                    pl_push(p, &args, a);
                    if (accept(p, TK_COMMA)) continue;
                    if ((rc = expect(p, TK_RPAREN, "',' or ')'"))) return rc;
                    break;
                }
            }
            x->args = (qexpr_t **)args.v;
            x->nargs = args.n;
            *out = x;
            return DD_OK;
        }
        qexpr_t *x = node(p, E_COL, t);
        x->name = t->s;
        *out = x;
        return DD_OK;
    }
    default:
        return perr(p, t, "unexpected %s in expression", NULL);
    }
}

static int parse_postfix(parser_t *p, qexpr_t **out)
{
    int rc = parse_primary(p, out);
    if (rc) return rc;
    for (;;) {
        qtok_t *t = cur(p);
        if (t->kind == TK_DOT) {
            p->i++;
            qtok_t *m = cur(p);
            qexpr_t *x = node(p, E_MEMBER, m);
            if (m->kind == TK_IDENT) x->name = m->s;
            else if (m->kind == TK_LBRACK) continue; /* a.['b'] */
            else return perr(p, m, "expected a property name after '.' but found %s", NULL);
            p->i++;
            x->args = dd_arena_alloc(p->a, sizeof *x->args);
            x->args[0] = *out;
            x->nargs = 1;
            x->line = (*out)->line;
            x->col = (*out)->col;
            *out = x;
        } else if (t->kind == TK_LBRACK) {
            p->i++;
            qexpr_t *idx;
            if ((rc = parse_expr(p, &idx))) return rc;
            if ((rc = expect(p, TK_RBRACK, "']'"))) return rc;
            qexpr_t *x = node(p, E_INDEX, t);
            x->args = dd_arena_alloc(p->a, 2 * sizeof *x->args);
            x->args[0] = *out;
            x->args[1] = idx;
            x->nargs = 2;
            x->line = (*out)->line;
            x->col = (*out)->col;
            *out = x;
        } else {
            return DD_OK;
        }
    }
}

static int parse_unary(parser_t *p, qexpr_t **out)
{
    qtok_t *t = cur(p);
    if (t->kind == TK_MINUS || t->kind == TK_PLUS) {
        p->i++;
        if (++p->depth > p->max_depth) return perr(p, t, "%s", "query nesting too deep");
        qexpr_t *x;
        int rc = parse_unary(p, &x);
        p->depth--;
        if (rc) return rc;
        if (t->kind == TK_PLUS) { *out = x; return DD_OK; }
        if (x->kind == E_LIT && x->lit.t == DD_QT_LONG && x->lit.u.l != INT64_MIN) { x->lit.u.l = -x->lit.u.l; x->line = t->line; x->col = t->col; *out = x; return DD_OK; }
        if (x->kind == E_LIT && x->lit.t == DD_QT_REAL) { x->lit.u.d = -x->lit.u.d; x->line = t->line; x->col = t->col; *out = x; return DD_OK; }
        if (x->kind == E_LIT && x->lit.t == DD_QT_TIMESPAN) { x->lit.u.l = -x->lit.u.l; x->line = t->line; x->col = t->col; *out = x; return DD_OK; }
        qexpr_t *u = node(p, E_UN, t);
        u->op = OP_NEG;
        u->args = dd_arena_alloc(p->a, sizeof *u->args);
        u->args[0] = x;
        u->nargs = 1;
        *out = u;
        return DD_OK;
    }
    return parse_postfix(p, out);
}

static int parse_mul(parser_t *p, qexpr_t **out)
{
    int rc = parse_unary(p, out);
    while (!rc) {
        qtok_t *t = cur(p);
        int op = t->kind == TK_STAR ? OP_MUL : t->kind == TK_SLASH ? OP_DIV : t->kind == TK_PERCENT ? OP_MOD : 0;
        if (!op) break;
        p->i++;
        qexpr_t *r;
        if ((rc = parse_unary(p, &r))) return rc;
        *out = bin(p, op, t, *out, r);
    }
    return rc;
}

static int parse_add(parser_t *p, qexpr_t **out)
{
    int rc = parse_mul(p, out);
    while (!rc) {
        qtok_t *t = cur(p);
        int op = t->kind == TK_PLUS ? OP_ADD : t->kind == TK_MINUS ? OP_SUB : 0;
        if (!op) break;
        p->i++;
        qexpr_t *r;
        if ((rc = parse_mul(p, &r))) return rc;
        *out = bin(p, op, t, *out, r);
    }
    return rc;
}

/* string operator words: name -> (strop, cs) */
static const struct { const char *w; int so; bool cs; } strops[] = {
    {"contains", SO_CONTAINS, false}, {"contains_cs", SO_CONTAINS, true},
    {"endswith", SO_ENDSWITH, false}, {"endswith_cs", SO_ENDSWITH, true},
    {"has", SO_HAS, false}, {"has_cs", SO_HAS, true},
    {"hasprefix", SO_HASPREFIX, false}, {"hasprefix_cs", SO_HASPREFIX, true},
    {"hassuffix", SO_HASSUFFIX, false}, {"hassuffix_cs", SO_HASSUFFIX, true},
    {"startswith", SO_STARTSWITH, false}, {"startswith_cs", SO_STARTSWITH, true},
};

static int parse_cmp(parser_t *p, qexpr_t **out)
{
    int rc = parse_add(p, out);
    if (rc) return rc;
    qtok_t *t = cur(p);
    int op = 0;
    switch (t->kind) {
    case TK_EQEQ: op = OP_EQ; break;
    case TK_NE: op = OP_NE; break;
    case TK_EQTILDE: op = OP_EQCI; break;
    case TK_NETILDE: op = OP_NECI; break;
    case TK_LT: op = OP_LT; break;
    case TK_LE: op = OP_LE; break;
    case TK_GT: op = OP_GT; break;
    case TK_GE: op = OP_GE; break;
    default: break;
    }
    if (op) {
        p->i++;
        qexpr_t *r;
        if ((rc = parse_add(p, &r))) return rc;
        *out = bin(p, op, t, *out, r);
        return DD_OK;
    }
    if (t->kind != TK_IDENT && t->kind != TK_BANGWORD) return DD_OK;
    bool neg = t->kind == TK_BANGWORD;
    const char *w = t->s;
    for (size_t k = 0; k < sizeof strops / sizeof strops[0]; k++) {
        if (!strcmp(w, strops[k].w)) {
            p->i++;
            qexpr_t *r;
            if ((rc = parse_add(p, &r))) return rc;
            qexpr_t *x = bin(p, OP_STR, t, *out, r);
            x->strop = strops[k].so;
            x->cs = strops[k].cs;
            x->neg = neg;
            *out = x;
            return DD_OK;
        }
    }
    if (!strcmp(w, "in") || !strcmp(w, "in~") || (!neg && (!strcmp(w, "has_any") || !strcmp(w, "has_all")))) {
        p->i++;
        if (w[0] == 'h') op = w[4] == 'a' && w[5] == 'n' ? OP_HAS_ANY : OP_HAS_ALL;
        else op = w[2] == '~' ? (neg ? OP_NINCI : OP_INCI) : (neg ? OP_NIN : OP_IN);
        if ((rc = expect(p, TK_LPAREN, "'(' after in"))) return rc;
        plist_t items = {0};
        pl_push(p, &items, *out);
        if (!accept(p, TK_RPAREN)) {
            for (;;) {
                qexpr_t *a;
                if ((rc = parse_expr(p, &a))) return rc;
                pl_push(p, &items, a);
                if (accept(p, TK_COMMA)) continue;
                if ((rc = expect(p, TK_RPAREN, "',' or ')'"))) return rc;
                break;
            }
        }
        qexpr_t *x = node(p, E_BIN, t);
        x->op = op;
        x->args = (qexpr_t **)items.v;
        x->nargs = items.n;
        x->line = (*out)->line;
        x->col = (*out)->col;
        *out = x;
        return DD_OK;
    }
    if (!strcmp(w, "between")) {
        p->i++;
        if ((rc = expect(p, TK_LPAREN, "'(' after between"))) return rc;
        qexpr_t *lo, *hi;
        if ((rc = parse_add(p, &lo))) return rc;
        if ((rc = expect(p, TK_DOTDOT, "'..'"))) return rc;
        if ((rc = parse_add(p, &hi))) return rc;
        if ((rc = expect(p, TK_RPAREN, "')'"))) return rc;
        qexpr_t *x = node(p, E_BIN, t);
        x->op = neg ? OP_NBETWEEN : OP_BETWEEN;
        x->args = dd_arena_alloc(p->a, 3 * sizeof *x->args);
        x->args[0] = *out;
        x->args[1] = lo;
        x->args[2] = hi;
        x->nargs = 3;
        x->line = (*out)->line;
        x->col = (*out)->col;
        *out = x;
        return DD_OK;
    }
    if (!neg && !strcmp(w, "matches")) {
        p->i++;
        if (!accept_word(p, "regex")) return perr(p, cur(p), "expected 'regex' after 'matches' but found %s", NULL);
        qexpr_t *r;
        if ((rc = parse_add(p, &r))) return rc;
        *out = bin(p, OP_MATCHES, t, *out, r);
        return DD_OK;
    }
    if (neg) return perr(p, t, "unknown operator %s", NULL);
    return DD_OK;
}

static int parse_and(parser_t *p, qexpr_t **out)
{
    int rc = parse_cmp(p, out);
    while (!rc && is_word(cur(p), "and")) {
        qtok_t *t = cur(p);
        p->i++;
        qexpr_t *r;
        if ((rc = parse_cmp(p, &r))) return rc;
        *out = bin(p, OP_AND, t, *out, r);
    }
    return rc;
}

static int parse_expr(parser_t *p, qexpr_t **out)
{
    if (++p->depth > p->max_depth) return perr(p, cur(p), "%s", "query nesting too deep");
    int rc = parse_and(p, out);
    while (!rc && is_word(cur(p), "or")) {
        qtok_t *t = cur(p);
        p->i++;
        qexpr_t *r;
        if ((rc = parse_and(p, &r))) break;
        *out = bin(p, OP_OR, t, *out, r);
    }
    p->depth--;
    return rc;
}

static int parse_name(parser_t *p, const char **out, const char *what)
{
    qtok_t *t = cur(p);
    if (t->kind != TK_IDENT) {
        char m[80];
        snprintf(m, sizeof m, "expected %s but found %%s", what);
        return perr(p, t, m, NULL);
    }
    p->i++;
    *out = t->s;
    return DD_OK;
}

/* items := [NAME =] expr (, ...)*; names[i] NULL when not given */
static int parse_items(parser_t *p, qop_t *op, bool allow_names)
{
    plist_t ex = {0}, nm = {0}, ln = {0}, cl = {0};
    int rc;
    for (;;) {
        const char *name = NULL;
        qtok_t *t = cur(p);
        if (allow_names && t->kind == TK_IDENT && peekn(p, 1)->kind == TK_EQ) {
            name = t->s;
            p->i += 2;
        }
        qexpr_t *x;
        if ((rc = parse_expr(p, &x))) return rc;
        pl_push(p, &ex, x);
        pl_push(p, &nm, (void *)name);
        pl_push(p, &ln, (void *)(intptr_t)t->line);
        pl_push(p, &cl, (void *)(intptr_t)t->col);
        if (!accept(p, TK_COMMA)) break;
    }
    op->exprs = (qexpr_t **)ex.v;
    op->names = (const char **)nm.v;
    op->n = ex.n;
    op->elines = dd_arena_alloc(p->a, (size_t)ex.n * sizeof(int));
    op->ecols = dd_arena_alloc(p->a, (size_t)ex.n * sizeof(int));
    for (int i = 0; i < ex.n; i++) { op->elines[i] = (int)(intptr_t)ln.v[i]; op->ecols[i] = (int)(intptr_t)cl.v[i]; }
    return DD_OK;
}

static int parse_sort_keys(parser_t *p, qop_t *op)
{
    plist_t ex = {0};
    int rc;
    bool desc[256], nf[256];
    for (;;) {
        qexpr_t *x;
        if ((rc = parse_expr(p, &x))) return rc;
        if (ex.n >= 256) return perr(p, cur(p), "%s", "too many sort keys");
        bool d = true;
        if (accept_word(p, "asc")) d = false;
        else accept_word(p, "desc");
        bool nulls_first = !d;
        if (accept_word(p, "nulls")) {
            if (accept_word(p, "first")) nulls_first = true;
            else if (accept_word(p, "last")) nulls_first = false;
            else return perr(p, cur(p), "expected 'first' or 'last' after 'nulls' but found %s", NULL);
        }
        desc[ex.n] = d;
        nf[ex.n] = nulls_first;
        pl_push(p, &ex, x);
        if (!accept(p, TK_COMMA)) break;
    }
    op->by = (qexpr_t **)ex.v;
    op->nby = ex.n;
    op->desc = dd_arena_alloc(p->a, (size_t)ex.n * sizeof(bool));
    op->nullsfirst = dd_arena_alloc(p->a, (size_t)ex.n * sizeof(bool));
    memcpy(op->desc, desc, (size_t)ex.n * sizeof(bool));
    memcpy(op->nullsfirst, nf, (size_t)ex.n * sizeof(bool));
    return DD_OK;
}

static int parse_count(parser_t *p, int64_t *out)
{
    qtok_t *t = cur(p);
    if (t->kind != TK_LONG || t->l < 0) return perr(p, t, "expected a row count but found %s", NULL);
    p->i++;
    *out = t->l;
    return DD_OK;
}

static int parse_pipe(parser_t *p, qpipe_t **out);

/* union items: (pipe) or a table name, comma separated; kind=outer accepted */
static int parse_union_items(parser_t *p, qpipe_t ***subs, int *nsubs)
{
    int rc;
    plist_t l = {0};
    if (is_word(cur(p), "kind") && peekn(p, 1)->kind == TK_EQ) {
        p->i += 2;
        if (!accept_word(p, "outer")) return perr(p, cur(p), "%s", "only union kind=outer is supported");
    }
    for (;;) {
        qtok_t *t = cur(p);
        qpipe_t *sp;
        if (accept(p, TK_LPAREN)) {
            if ((rc = parse_pipe(p, &sp))) return rc;
            if ((rc = expect(p, TK_RPAREN, "')'"))) return rc;
        } else if (t->kind == TK_IDENT) {
            p->i++;
            sp = dd_arena_alloc(p->a, sizeof *sp);
            sp->table = t->s;
            sp->line = t->line;
            sp->col = t->col;
        } else {
            return perr(p, t, "expected a table or '(' in union but found %s", NULL);
        }
        pl_push(p, &l, sp);
        if (!accept(p, TK_COMMA)) break;
    }
    *subs = (qpipe_t **)l.v;
    *nsubs = l.n;
    return DD_OK;
}

static int parse_op(parser_t *p, qop_t **out)
{
    qtok_t *t = cur(p);
    int rc;
    if (t->kind != TK_IDENT) return perr(p, t, "expected a tabular operator after '|' but found %s", NULL);
    p->i++;
    qop_t *op = dd_arena_alloc(p->a, sizeof *op);
    op->line = t->line;
    op->col = t->col;
    const char *w = t->s;
    *out = op;
    if (!strcmp(w, "where") || !strcmp(w, "filter")) {
        op->kind = Q_WHERE;
        op->exprs = dd_arena_alloc(p->a, sizeof *op->exprs);
        op->n = 1;
        return parse_expr(p, &op->exprs[0]);
    }
    if (!strcmp(w, "project") || !strcmp(w, "extend") || !strcmp(w, "project-keep")) {
        op->kind = w[0] == 'e' ? Q_EXTEND : Q_PROJECT;
        return parse_items(p, op, w[0] == 'e' || w[7] == 0);
    }
    if (!strcmp(w, "project-away") || !strcmp(w, "project-reorder")) {
        op->kind = w[8] == 'a' ? Q_PROJECT_AWAY : Q_PROJECT_REORDER;
        return parse_items(p, op, false);
    }
    if (!strcmp(w, "project-rename")) {
        op->kind = Q_PROJECT_RENAME;
        if ((rc = parse_items(p, op, true))) return rc;
        for (int i = 0; i < op->n; i++)
            if (!op->names[i] || op->exprs[i]->kind != E_COL)
                return perr(p, &(qtok_t){.line = op->elines[i], .col = op->ecols[i]}, "%s", "project-rename expects NewName = ExistingName");
        return DD_OK;
    }
    if (!strcmp(w, "summarize")) {
        op->kind = Q_SUMMARIZE;
        if (!is_word(cur(p), "by")) {
            if ((rc = parse_items(p, op, true))) return rc;
        }
        if (accept_word(p, "by")) {
            qop_t tmp = {0};
            if ((rc = parse_items(p, &tmp, true))) return rc;
            op->by = tmp.exprs;
            op->bynames = tmp.names;
            op->nby = tmp.n;
        }
        if (op->n == 0 && op->nby == 0) return perr(p, cur(p), "%s", "summarize needs an aggregation or a 'by' clause");
        return DD_OK;
    }
    if (!strcmp(w, "order") || !strcmp(w, "sort")) {
        op->kind = Q_SORT;
        if (!accept_word(p, "by")) return perr(p, cur(p), "expected 'by' but found %s", NULL);
        return parse_sort_keys(p, op);
    }
    if (!strcmp(w, "top")) {
        op->kind = Q_TOP;
        if ((rc = parse_count(p, &op->count))) return rc;
        if (!accept_word(p, "by")) return perr(p, cur(p), "expected 'by' but found %s", NULL);
        return parse_sort_keys(p, op);
    }
    if (!strcmp(w, "take") || !strcmp(w, "limit")) {
        op->kind = Q_TAKE;
        return parse_count(p, &op->count);
    }
    if (!strcmp(w, "distinct")) {
        op->kind = Q_DISTINCT;
        if (accept(p, TK_STAR)) return DD_OK;
        return parse_items(p, op, true);
    }
    if (!strcmp(w, "count")) {
        op->kind = Q_COUNT;
        return DD_OK;
    }
    if (!strcmp(w, "mv-expand") || !strcmp(w, "mvexpand")) {
        op->kind = Q_MVEXPAND;
        op->count = INT32_MAX;
        if (is_word(cur(p), "kind") && peekn(p, 1)->kind == TK_EQ) {
            p->i += 2;
            if (!accept_word(p, "array")) return perr(p, cur(p), "%s", "only mv-expand kind=array is supported");
        }
        if ((rc = parse_items(p, op, true))) return rc;
        /* optional `to typeof(T)` after the last item is accepted and ignored */
        if (accept_word(p, "to")) {
            if (!accept_word(p, "typeof")) return perr(p, cur(p), "expected 'typeof' but found %s", NULL);
            if ((rc = expect(p, TK_LPAREN, "'('"))) return rc;
            const char *tn;
            if ((rc = parse_name(p, &tn, "a type name"))) return rc;
            if ((rc = expect(p, TK_RPAREN, "')'"))) return rc;
        }
        if (accept_word(p, "limit")) return parse_count(p, &op->count);
        return DD_OK;
    }
    if (!strcmp(w, "union")) {
        op->kind = Q_UNION;
        return parse_union_items(p, &op->subs, &op->nsubs);
    }
    if (!strcmp(w, "join")) {
        op->kind = Q_JOIN;
        op->jkind = J_INNERUNIQUE;
        while (cur(p)->kind == TK_IDENT && peekn(p, 1)->kind == TK_EQ && !is_word(cur(p), "on")) {
            qtok_t *k = cur(p);
            p->i += 2;
            qtok_t *v = cur(p);
            if (v->kind != TK_IDENT) return perr(p, v, "expected a value but found %s", NULL);
            p->i++;
            if (!strcmp(k->s, "kind")) {
                if (!strcmp(v->s, "inner")) op->jkind = J_INNER;
                else if (!strcmp(v->s, "innerunique")) op->jkind = J_INNERUNIQUE;
                else if (!strcmp(v->s, "leftouter")) op->jkind = J_LEFTOUTER;
                else if (!strcmp(v->s, "leftsemi")) op->jkind = J_LEFTSEMI;
                else if (!strcmp(v->s, "leftanti") || !strcmp(v->s, "anti") || !strcmp(v->s, "leftantisemi")) op->jkind = J_LEFTANTI;
                else return perr(p, v, "unsupported join kind '%s'", v->s);
            } /* other hints (hint.strategy=...) are ignored */
        }
        if (accept(p, TK_LPAREN)) {
            if ((rc = parse_pipe(p, &op->right))) return rc;
            if ((rc = expect(p, TK_RPAREN, "')'"))) return rc;
        } else {
            qtok_t *nt = cur(p);
            if (nt->kind != TK_IDENT) return perr(p, nt, "expected a table or '(' after join but found %s", NULL);
            p->i++;
            op->right = dd_arena_alloc(p->a, sizeof *op->right);
            op->right->table = nt->s;
            op->right->line = nt->line;
            op->right->col = nt->col;
        }
        if (!accept_word(p, "on")) return perr(p, cur(p), "expected 'on' but found %s", NULL);
        plist_t lk = {0}, rk = {0}, ln = {0}, cl = {0};
        for (;;) {
            qtok_t *k = cur(p);
            const char *l, *r;
            if (is_word(k, "$left") || is_word(k, "$right")) {
                bool lfirst = is_word(k, "$left");
                const char *a1, *a2;
                p->i++;
                if ((rc = expect(p, TK_DOT, "'.'")) || (rc = parse_name(p, &a1, "a column name"))) return rc;
                if ((rc = expect(p, TK_EQEQ, "'=='"))) return rc;
                qtok_t *k2 = cur(p);
                if (!is_word(k2, lfirst ? "$right" : "$left")) return perr(p, k2, "expected %s", lfirst ? "$right" : "$left");
                p->i++;
                if ((rc = expect(p, TK_DOT, "'.'")) || (rc = parse_name(p, &a2, "a column name"))) return rc;
                l = lfirst ? a1 : a2;
                r = lfirst ? a2 : a1;
            } else {
                if ((rc = parse_name(p, &l, "a join key"))) return rc;
                r = l;
            }
            pl_push(p, &lk, (void *)l);
            pl_push(p, &rk, (void *)r);
            pl_push(p, &ln, (void *)(intptr_t)k->line);
            pl_push(p, &cl, (void *)(intptr_t)k->col);
            if (!accept(p, TK_COMMA)) break;
        }
        op->lkeys = (const char **)lk.v;
        op->rkeys = (const char **)rk.v;
        op->nkeys = lk.n;
        op->klines = dd_arena_alloc(p->a, (size_t)lk.n * sizeof(int));
        op->kcols = dd_arena_alloc(p->a, (size_t)lk.n * sizeof(int));
        for (int i = 0; i < lk.n; i++) { op->klines[i] = (int)(intptr_t)ln.v[i]; op->kcols[i] = (int)(intptr_t)cl.v[i]; }
        return DD_OK;
    }
    *p->eline = t->line;
    *p->ecol = t->col;
    return dd_err(p->e, DD_EINVAL, "unknown tabular operator '%.60s'", w);
}

static int parse_pipe(parser_t *p, qpipe_t **out)
{
    qtok_t *t = cur(p);
    int rc;
    if (++p->depth > p->max_depth) return perr(p, t, "%s", "query nesting too deep");
    qpipe_t *pp = dd_arena_alloc(p->a, sizeof *pp);
    pp->line = t->line;
    pp->col = t->col;
    if (is_word(t, "union") && peekn(p, 1)->kind != TK_PIPE && peekn(p, 1)->kind != TK_EOF && peekn(p, 1)->kind != TK_RPAREN) {
        p->i++;
        if ((rc = parse_union_items(p, &pp->subs, &pp->nsubs))) return rc;
    } else if (is_word(t, "print")) {
        p->i++;
        qop_t tmp = {0};
        if ((rc = parse_items(p, &tmp, true))) return rc;
        pp->is_print = true;
        pp->print_exprs = tmp.exprs;
        pp->print_names = tmp.names;
        pp->nprint = tmp.n;
    } else if (t->kind == TK_IDENT) {
        p->i++;
        pp->table = t->s;
    } else if (t->kind == TK_LPAREN) {
        p->i++;
        qpipe_t *inner;
        if ((rc = parse_pipe(p, &inner))) return rc;
        if ((rc = expect(p, TK_RPAREN, "')'"))) return rc;
        pp = inner;
    } else {
        return perr(p, t, "expected a table name but found %s", NULL);
    }
    qop_t **tail = &pp->ops;
    while (*tail) tail = &(*tail)->next;
    while (accept(p, TK_PIPE)) {
        qop_t *op = NULL;
        if ((rc = parse_op(p, &op))) return rc;
        *tail = op;
        tail = &op->next;
    }
    p->depth--;
    *out = pp;
    return DD_OK;
}

/* Is the statement starting at the current token tabular? */
static bool let_is_tabular(parser_t *p)
{
    int depth = 0;
    size_t n = 0;
    for (size_t k = p->i; k < p->n; k++, n++) {
        int kind = p->t[k].kind;
        if (kind == TK_EOF) break;
        if (kind == TK_LPAREN || kind == TK_LBRACK) depth++;
        else if (kind == TK_RPAREN || kind == TK_RBRACK) depth--;
        else if (depth == 0 && kind == TK_SEMI) break;
        else if (depth == 0 && kind == TK_PIPE) return true;
    }
    return n == 1 && cur(p)->kind == TK_IDENT && strcmp(cur(p)->s, "true") && strcmp(cur(p)->s, "false");
}

int qparse(const char *text, size_t len, dd_arena_t *a, int max_depth, qquery_t **out,
           int *eline, int *ecol, dd_err_t *e)
{
    qtok_t *toks;
    size_t n;
    int rc = qlex_all(text, len, a, &toks, &n, eline, ecol, e);
    if (rc) return rc;
    parser_t ps = {toks, n, 0, a, 0, max_depth, eline, ecol, e}, *p = &ps;
    qquery_t *q = dd_arena_alloc(a, sizeof *q);
    qlet_t **ltail = &q->lets;
    while (is_word(cur(p), "let")) {
        p->i++;
        qlet_t *l = dd_arena_alloc(a, sizeof *l);
        if ((rc = parse_name(p, &l->name, "a name after let"))) return rc;
        if ((rc = expect(p, TK_EQ, "'='"))) return rc;
        if (let_is_tabular(p)) rc = parse_pipe(p, &l->pipe);
        else rc = parse_expr(p, &l->scalar);
        if (rc) return rc;
        if ((rc = expect(p, TK_SEMI, "';' after let statement"))) return rc;
        *ltail = l;
        ltail = &l->next;
    }
    if (cur(p)->kind == TK_EOF) return perr(p, cur(p), "%s", "empty query");
    if ((rc = parse_pipe(p, &q->main))) return rc;
    accept(p, TK_SEMI);
    if (cur(p)->kind != TK_EOF) return perr(p, cur(p), "unexpected %s after the end of the query", NULL);
    *out = q;
    return DD_OK;
}
