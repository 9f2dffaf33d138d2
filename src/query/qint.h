/*
 * qint.h: internals of the query engine shared by the src/query files.
 *
 * Pipeline of a query:
 *   text --lex.c--> tokens --parse.c--> AST (qstmt/qpipe/qop/qexpr, in the
 *   query arena) --ops.c--> a chain of push-based operator nodes whose
 *   expressions were resolved against the schema flowing down the pipe
 *   (eval.c) --> rows pushed from the table provider, through the chain,
 *   into a sink that fills the result.
 *
 * Memory: two dd_arena_t per query. `perm` holds the AST, operator state and
 * every value an operator keeps (rows of sort/summarize/join, the result);
 * `tmp` holds per-row scratch values and is reset to a mark after each row
 * has been pushed through the chain. An operator that keeps a value copies
 * it with qval_copy(perm, ...).
 */
#ifndef DD_QUERY_QINT_H
#define DD_QUERY_QINT_H

#include "dd/query.h"

#include <regex.h>

/* ---- memory ---------------------------------------------------------------- */
/* The query's arenas are dd_arena_t (core.h) with marks and a shared budget
 * counter (dd_arena_init_budget). qstrndup copies exactly n bytes (a query
 * string may hold a NUL) and terminates them. */
char *qstrndup(dd_arena_t *a, const char *s, size_t n);

/* ---- values --------------------------------------------------------------- */
static inline bool qv_isnull(const dd_qval_t *v) { return v->t == DD_QT_NULL; }
static inline bool qv_isnum(const dd_qval_t *v) { return v->t == DD_QT_LONG || v->t == DD_QT_REAL; }
static inline double qv_num(const dd_qval_t *v) { return v->t == DD_QT_LONG ? (double)v->u.l : v->u.d; }

dd_qval_t qval_copy(dd_arena_t *a, const dd_qval_t *v);           /* deep */
/* Deep copy into one flat block: qval_flat_size() bytes (8-aligned) are
 * consumed from *cursor. Used for values replaced often (arg_max rows). */
size_t qval_flat_size(const dd_qval_t *v);
dd_qval_t qval_flat_copy(char **cursor, const dd_qval_t *v);
dd_qval_t qval_str_copy(dd_arena_t *a, const char *s, size_t n);
/* Three-way ordering for sort/min/max; nulls sort first. */
int qval_cmp(const dd_qval_t *a, const dd_qval_t *b);
/* Equality for grouping/distinct/join (null == null here). */
bool qval_same(const dd_qval_t *a, const dd_qval_t *b);
uint64_t qval_hash(const dd_qval_t *v);
dd_qval_t qval_from_json(dd_arena_t *a, const void *json, int depth);
/* String form used by tostring(): "" for null, JSON text for dynamic
 * containers, ISO 8601 for datetimes. Result in a (or pointing into v). */
dd_qval_t qval_tostring(dd_arena_t *a, const dd_qval_t *v);
/* Parses an ISO 8601 / RFC 3339 date or date-time; ticks OUT. */
bool qparse_datetime(const char *s, size_t n, int64_t *ticks);
/* Parses "1d", "2h", "30m", "10s", "100ms", "1.5h", "10tick", "1.02:03:04". */
bool qparse_timespan(const char *s, size_t n, int64_t *ticks);
void qfmt_datetime(int64_t ticks, char buf[48]);
/* The calendar date (UTC) of a datetime. */
void qcivil(int64_t ticks, int64_t *y, unsigned *m, unsigned *d);
void qfmt_timespan(int64_t ticks, char buf[48]);
/* Appends s[0..n) as a JSON string literal; invalid UTF-8 becomes U+FFFD. */
int qjson_str(dd_buf_t *out, const char *s, size_t n);
/* Dynamic member lookup; NULL if absent. */
const dd_qval_t *qobj_get(const dd_qobject_t *o, const char *k, size_t klen);

/* ---- lexer ---------------------------------------------------------------- */
enum {
    TK_EOF = 0, TK_IDENT, TK_STRING, TK_LONG, TK_REAL, TK_TIMESPAN,
    TK_RAW,            /* raw text of datetime(...) / dynamic(...) / timespan(...) literal */
    TK_PIPE, TK_COMMA, TK_SEMI, TK_LPAREN, TK_RPAREN, TK_LBRACK, TK_RBRACK, TK_DOT, TK_DOTDOT,
    TK_EQ, TK_EQEQ, TK_NE, TK_EQTILDE, TK_NETILDE, TK_LT, TK_LE, TK_GT, TK_GE,
    TK_PLUS, TK_MINUS, TK_STAR, TK_SLASH, TK_PERCENT, TK_COLON, TK_LBRACE, TK_RBRACE,
    TK_BANGWORD,       /* !contains, !has, !in, !in~, !between, ... text in s */
};
typedef struct qtok {
    int kind;
    int line, col;
    const char *s;     /* ident/bang-word text or decoded string (arena), NUL-terminated */
    size_t n;
    int64_t l;         /* TK_LONG, TK_TIMESPAN */
    double d;          /* TK_REAL */
    const char *raw_kind; /* TK_RAW: "datetime" | "dynamic" | "timespan" */
} qtok_t;

typedef struct qlexer {
    const char *src;
    size_t len, pos;
    int line, col;
    dd_arena_t *a;
} qlexer_t;

/* Tokenizes the whole text; tokens in arena. On error fills e (with
 * position) and returns DD_EINVAL. */
int qlex_all(const char *src, size_t len, dd_arena_t *a, qtok_t **toks, size_t *ntoks,
             int *eline, int *ecol, dd_err_t *e);

/* ---- AST ------------------------------------------------------------------ */
enum {  /* binary and unary operators */
    OP_OR = 1, OP_AND, OP_EQ, OP_NE, OP_EQCI, OP_NECI, OP_LT, OP_LE, OP_GT, OP_GE,
    OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD, OP_NEG,
    OP_STR,          /* string operators: strop holds which */
    OP_IN, OP_NIN, OP_INCI, OP_NINCI, OP_BETWEEN, OP_NBETWEEN, OP_MATCHES,
    OP_HAS_ANY, OP_HAS_ALL,
};
enum {  /* string operators */
    SO_CONTAINS = 1, SO_HAS, SO_STARTSWITH, SO_ENDSWITH, SO_HASPREFIX, SO_HASSUFFIX,
};
enum { E_LIT = 1, E_COL, E_MEMBER, E_INDEX, E_CALL, E_BIN, E_UN, E_STAR };

typedef struct qfunc qfunc_t;
typedef struct qexpr qexpr_t;
struct qexpr {
    int kind, op;
    int strop; bool neg, cs;       /* OP_STR: which, negated (!op), case-sensitive (_cs) */
    int line, col;
    dd_qval_t lit;                 /* E_LIT */
    const char *name;              /* E_COL, E_MEMBER (key), E_CALL */
    int colidx;                    /* E_COL after resolution */
    const qfunc_t *fn;             /* E_CALL after resolution */
    qexpr_t **args;                /* E_CALL args, E_BIN [l,r], E_UN [x], E_INDEX [obj,idx], E_MEMBER [obj], OP_IN [l, items...] */
    int nargs;
    dd_qtype_t type;               /* static type after resolution (DD_QT_DYNAMIC: unknown) */
    regex_t *re;                   /* compiled constant regex */
    int re_icase;
};

enum {
    Q_WHERE = 1, Q_PROJECT, Q_PROJECT_AWAY, Q_PROJECT_RENAME, Q_EXTEND, Q_SUMMARIZE,
    Q_SORT, Q_TOP, Q_TAKE, Q_DISTINCT, Q_COUNT, Q_MVEXPAND, Q_JOIN, Q_UNION, Q_PROJECT_REORDER,
};
enum { J_INNERUNIQUE = 1, J_INNER, J_LEFTOUTER, J_LEFTSEMI, J_LEFTANTI };

typedef struct qpipe qpipe_t;
typedef struct qop {
    int kind, line, col;
    /* where: exprs[0]; project/extend/summarize aggs: exprs[] with names[] (NULL = derive) */
    qexpr_t **exprs; const char **names; int *elines, *ecols; int n;
    /* summarize by / sort keys / distinct columns */
    qexpr_t **by; const char **bynames; int nby;
    bool *desc, *nullsfirst;       /* sort/top keys */
    int64_t count;                 /* take/top N, mv-expand limit */
    int jkind;                     /* join */
    qpipe_t *right;
    const char **lkeys, **rkeys; int *klines, *kcols; int nkeys;
    qpipe_t **subs; int nsubs;     /* union */
    struct qop *next;
} qop_t;

struct qpipe {
    int line, col;
    const char *table;             /* source table or let name */
    qexpr_t **print_exprs; const char **print_names; int nprint;   /* `print` source */
    bool is_print;
    qpipe_t **subs; int nsubs;     /* `union` source */
    qop_t *ops;
};

typedef struct qlet {
    const char *name;
    qexpr_t *scalar;               /* let x = expr; */
    qpipe_t *pipe;                 /* let T = tabular; */
    struct qlet *next;
} qlet_t;

typedef struct qquery { qlet_t *lets; qpipe_t *main; } qquery_t;

int qparse(const char *text, size_t len, dd_arena_t *a, int max_depth, qquery_t **out,
           int *eline, int *ecol, dd_err_t *e);

/* ---- evaluation ------------------------------------------------------------ */
typedef struct qctx {
    const dd_qcatalog_t *cat;
    dd_query_limits_t lim;
    dd_arena_t perm, tmp;
    size_t mem_used;
    uint64_t steps;
    int64_t deadline_ns;           /* 0 = none */
    int64_t now_ticks;             /* now() fixed for the whole query */
    qlet_t *lets;
    int depth;
    int err_line, err_col;
    dd_err_t *e;
    int ncolumn_names;             /* for ColumnN naming */
    struct qre *regexes;           /* constant regexes to regfree at the end */
    struct qdefer *defers;         /* cleanups run by dd_qresult_release */
} qctx_t;

struct qre { regex_t re; struct qre *next; };
struct qdefer { void (*fn)(void *); void *arg; struct qdefer *next; };

typedef struct qschema { int n; dd_qcolumn_t *cols; } qschema_t;

/* Position-carrying error (sets ctx err_line/err_col). */
int qerr_at(qctx_t *q, int line, int col, int code, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Counts n units of work; DD_ELIMIT once over budget, deadline or memory. */
int qstep(qctx_t *q, uint64_t n);

int qschema_find(const qschema_t *s, const char *name);
/* Resolves columns, functions and static types of x against s (recursively). */
int qexpr_resolve(qctx_t *q, qexpr_t *x, const qschema_t *s);
/* Evaluates x over row; result memory in q->tmp. */
int qexpr_eval(qctx_t *q, qexpr_t *x, const dd_qval_t *row, dd_qval_t *out);
/* Truth of a predicate result (null and non-bool are false). */
static inline bool qv_true(const dd_qval_t *v) { return v->t == DD_QT_BOOL && v->u.b; }
/* Name Kusto derives for an unnamed expression (column name, a.b.c -> a_b_c,
 * f(col) -> col); NULL when none. */
const char *qexpr_derive_name(dd_arena_t *a, const qexpr_t *x);

/* Functions table (funcs.c). Aggregates have agg != 0. */
typedef int (*qfn_t)(qctx_t *q, qexpr_t *x, const dd_qval_t *args, int nargs, dd_qval_t *out);
struct qfunc {
    const char *name;
    int minargs, maxargs;
    dd_qtype_t ret;                /* DD_QT_DYNAMIC: depends on args */
    qfn_t fn;                      /* scalar; NULL for aggregates and specials */
    int agg;                       /* aggregate kind (ops.c), 0 for scalar */
    bool lazy;                     /* args evaluated by fn itself (iff, case, coalesce) */
};
const qfunc_t *qfunc_find(const char *name);
const qfunc_t *qagg_find(const char *name);
enum { AG_COUNT = 1, AG_COUNTIF, AG_DCOUNT, AG_SUM, AG_AVG, AG_MIN, AG_MAX, AG_MAKE_SET,
       AG_MAKE_LIST, AG_ARG_MAX, AG_ARG_MIN, AG_TAKE_ANY };
#define AG_IF 100   /* added to an aggregate code: the ...if variant (predicate is the last argument) */

/* String-operator helpers (funcs.c). */
bool qstr_contains(const char *h, size_t hn, const char *n, size_t nn, bool cs);
bool qstr_has(const char *h, size_t hn, const char *n, size_t nn, bool cs);
bool qstr_startswith(const char *h, size_t hn, const char *n, size_t nn, bool cs);
bool qstr_endswith(const char *h, size_t hn, const char *n, size_t nn, bool cs);
bool qstr_eqci(const char *a, size_t an, const char *b, size_t bn);
/* Compiles a regex pattern into re (leading "(?i)" sets case-insensitivity;
 * \d \D and lazy quantifiers are translated for POSIX ERE). The caller
 * regfree()s it. */
int qregex_compile(qctx_t *q, const char *pat, size_t n, regex_t *re, int line, int col);
/* Same, for a constant pattern: allocated in perm and freed with the query. */
int qregex_const(qctx_t *q, const char *pat, size_t n, regex_t **out, int line, int col);

#endif
