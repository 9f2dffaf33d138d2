/*
 * apk.c: Alpine version ordering, following the version rules of current
 * apk-tools (3.x). apk-tools 2.x agrees on valid versions except for
 * '.N' components with leading zeros and "~hash" (docs/vercmp.md).
 *
 * Grammar: digit{.digit}...{letter}{_suffix{digits}}...{~hash}{-rN}
 *
 * A version is read as a sequence of tokens, each with a type (in this
 * order, which matters below):
 *
 *   INITIAL   the leading number            compared numerically
 *   DIGIT     ".N"                          numerically, but if either side
 *                                           has a leading '0' as a string
 *                                           ("1.05" < "1.5", "1.0" < "1.00")
 *   LETTER    one [a-z] after a number      by byte
 *   SUFFIX    "_alpha" "_beta" "_pre" "_rc" (pre-releases) < no suffix <
 *             "_cvs" "_svn" "_git" "_hg" "_p"   (post-releases)
 *   SUFFIX_NO digits after a suffix         numerically
 *   HASH      "~" + lowercase hex           as a string
 *   REVISION  "-r" + digits                 numerically
 *   END       end of string
 *   INVALID   anything that breaks the grammar (ends the comparison)
 *
 * Both token streams are walked while their types agree and values are
 * equal. When the types differ (or one stream ended), the decision is:
 * a pre-release suffix loses; otherwise the token with the larger type
 * loses, i.e. the version with more components is greater ("1.2" <
 * "1.2.1" < "1.2.1-r1") and an invalid tail sorts lowest. Two streams
 * reaching END together, or INVALID together, are equal.
 *
 * Deviation: numbers are compared at any length (apk-tools uses 64-bit
 * integers; differs only beyond 2^64).
 */
#include "dd/vercmp.h"
#include "vercmp/vercmp_int.h"

enum { T_INITIAL, T_DIGIT, T_LETTER, T_SUFFIX, T_SUFFIX_NO, T_HASH, T_REVISION, T_END, T_INVALID };

enum { S_ALPHA, S_BETA, S_PRE, S_RC, S_NONE, S_CVS, S_SVN, S_GIT, S_HG, S_P, S_INVALID };

typedef struct {
    int type;
    int suffix;          /* S_* when type == T_SUFFIX */
    const char *val;     /* token text (digits, letter, suffix name, hash) */
    size_t len;
    const char *p;       /* read position */
} tok_t;

/* Suffix names by S_* value (S_NONE has none). Sorted by value. */
static const char *const suffix_names[] = {
    [S_ALPHA] = "alpha", [S_BETA] = "beta", [S_PRE] = "pre", [S_RC] = "rc",
    [S_NONE] = NULL, [S_CVS] = "cvs", [S_SVN] = "svn", [S_GIT] = "git",
    [S_HG] = "hg", [S_P] = "p",
};

static int suffix_value(const char *s, size_t n)
{
    for (int i = 0; i < S_INVALID; i++) {
        const char *name = suffix_names[i];
        if (name && strlen(name) == n && memcmp(name, s, n) == 0) return i;
    }
    return S_INVALID;
}

static bool ishex(int c) { return vc_isdigit(c) || (c >= 'a' && c <= 'f'); }

static void parse_digits(tok_t *t)
{
    t->val = t->p;
    t->len = vc_digits(t->p);
    t->p += t->len;
    if (t->len == 0) t->type = T_INVALID;
}

static void tok_first(tok_t *t, const char *s)
{
    t->p = s;
    t->type = T_INITIAL;
    t->suffix = S_INVALID;
    parse_digits(t);
}

static void tok_next(tok_t *t)
{
    int c = (unsigned char)*t->p;
    if (c == 0) {
        t->type = T_END;
        return;
    }
    if (vc_islower(c)) {
        if (t->type > T_DIGIT) goto invalid;
        t->val = t->p++;
        t->len = 1;
        t->type = T_LETTER;
        return;
    }
    if (c == '.' || vc_isdigit(c)) {
        if (c == '.') {
            if (t->type > T_DIGIT) goto invalid;
            t->p++;
        }
        if (t->type == T_INITIAL || t->type == T_DIGIT)
            t->type = T_DIGIT;
        else if (t->type == T_SUFFIX)
            t->type = T_SUFFIX_NO;
        else
            goto invalid;
        parse_digits(t);
        return;
    }
    switch (c) {
    case '_':
        if (t->type > T_SUFFIX_NO) goto invalid;
        t->p++;
        t->val = t->p;
        while (vc_islower((unsigned char)*t->p)) t->p++;
        t->len = (size_t)(t->p - t->val);
        t->suffix = suffix_value(t->val, t->len);
        if (t->suffix == S_INVALID) goto invalid;
        t->type = T_SUFFIX;
        return;
    case '~':
        if (t->type >= T_HASH) goto invalid;
        t->p++;
        t->val = t->p;
        while (ishex((unsigned char)*t->p)) t->p++;
        t->len = (size_t)(t->p - t->val);
        if (t->len == 0) goto invalid;
        t->type = T_HASH;
        return;
    case '-':
        if (t->type >= T_REVISION) goto invalid;
        if (t->p[1] != 'r') goto invalid;
        t->p += 2;
        t->type = T_REVISION;
        parse_digits(t);
        return;
    default:
        break;
    }
invalid:
    t->type = T_INVALID;
}

static int tok_cmp(const tok_t *a, const tok_t *b)
{
    switch (a->type) {
    case T_DIGIT:
        if (a->val[0] == '0' || b->val[0] == '0')
            return vc_bytecmp(a->val, a->len, b->val, b->len);
        return vc_numcmp(a->val, a->len, b->val, b->len);
    case T_INITIAL:
    case T_SUFFIX_NO:
    case T_REVISION:
        return vc_numcmp(a->val, a->len, b->val, b->len);
    case T_LETTER:
        return vc_sign((long)(unsigned char)a->val[0] - (long)(unsigned char)b->val[0]);
    case T_SUFFIX:
        return vc_sign((long)a->suffix - (long)b->suffix);
    default: /* T_HASH */
        return vc_bytecmp(a->val, a->len, b->val, b->len);
    }
}

int dd_vercmp_apk(const char *a, const char *b)
{
    tok_t ta, tb;
    if (!a) a = "";
    if (!b) b = "";
    for (tok_first(&ta, a), tok_first(&tb, b); ta.type == tb.type && ta.type < T_END;
         tok_next(&ta), tok_next(&tb)) {
        int r = tok_cmp(&ta, &tb);
        if (r) return r;
    }
    if (ta.type == tb.type) return 0;
    if (ta.type == T_SUFFIX && ta.suffix < S_NONE) return -1;
    if (tb.type == T_SUFFIX && tb.suffix < S_NONE) return 1;
    return ta.type > tb.type ? -1 : 1;
}

bool dd_version_valid_apk(const char *v)
{
    tok_t t;
    if (!v) return false;
    for (tok_first(&t, v); t.type < T_END; tok_next(&t))
        ;
    return t.type == T_END;
}
