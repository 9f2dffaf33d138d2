/*
 * maven.c: Maven version ordering (DD_VS_MAVEN), the rules of Maven's
 * org.apache.maven.artifact.versioning.ComparableVersion as shipped in
 * maven-artifact 3.8.7 (Debian 12's libmaven3-core-java), which is what
 * the Maven resolver and the GitHub advisory database's Maven ranges use.
 *
 * Parsing (the string is lowercased, ASCII only):
 *   - '.' ends an item; '-' ends an item and opens a sub-list (a nested
 *     list holding everything after it); an empty item is the number 0;
 *   - a change from digits to letters or letters to digits ends an item
 *     and opens a sub-list; a letter run followed by a digit opens it
 *     BEFORE the letters too when the current list already has items
 *     ("treat .X as -X": 1.0.RC1 == 1.0-RC1), and so does a trailing
 *     letter run ("1.0.a" == "1.0-a");
 *   - numbers are compared by value (leading zeros dropped, any length);
 *   - words are qualifiers: "a", "b", "m" directly followed by a digit mean
 *     alpha, beta, milestone; "ga", "final", "release" mean ""; "cr" means
 *     rc. Known qualifiers order alpha < beta < milestone < rc < snapshot <
 *     "" < sp, and every other word sorts after them, words among
 *     themselves by byte.
 * Normalization: every list (innermost first) drops its trailing "null"
 * items: 0, "" and empty sub-lists; a sub-list is always the last element
 * of its list, so the version is a chain of lists.
 * Comparison, element by element, a missing element being null, with the
 * elements in six classes:
 *   words below "" (alpha < beta < milestone < rc < snapshot)
 *   < lists below null (their first element that is not null is below it)
 *   < null ( = missing = "")
 *   < words above "" (sp, then any other word by its bytes)
 *   < lists above null
 *   < numbers (by value, 0 included);
 * within a class: words by qualifier, lists element by element (the same
 * rule, recursively), numbers by value. Trailing zeros are gone by then
 * (normalization), so 1.0 == 1 and 1-0 == 1.
 * So 1-alpha < 1-beta < 1-milestone < 1-rc == 1-cr < 1-snapshot < 1 ==
 * 1.0 == 1-ga == 1-final < 1-sp < 1-foo < 1-1 < 1.0.1 < 1.1.
 *
 * Maven's own compareTo() is not transitive on some inputs: it puts numbers
 * above lists above words whatever the null in between says, so "1-sp" >
 * "1" > "1-0-rc" > "1-sp", and "1.0.alpha.1" > "1-1" > "1" > "1.0.alpha.1".
 * The classes above are a total order that agrees with Maven except where
 * (a) a list below null meets a word above "", (b) a middle 0 is followed
 * by a word below "" ("1.0.0.RC.1" is above "1" here, below it in Maven),
 * (c) a middle "" ("ga", "final", "release" followed by more) meets a list.
 *
 * Limits: Java lowercases and classifies digits by Unicode; here only ASCII
 * letters are lowercased and only ASCII digits are digits. A version of
 * more than MAX_ITEMS items is "invalid": invalid strings sort below all
 * others and among themselves by strcmp (Maven itself accepts any string).
 */
#include "dd/vercmp.h"
#include "vercmp/vercmp_int.h"

#define MAX_ITEMS 96

enum { K_INT = 1, K_STR, K_LIST, K_NONE };

/* Qualifier ranks; unknown words get Q_OTHER and compare by their bytes. */
enum { Q_ALPHA, Q_BETA, Q_MILESTONE, Q_RC, Q_SNAPSHOT, Q_RELEASE, Q_SP, Q_OTHER };

typedef struct {
    unsigned char kind;  /* K_INT or K_STR */
    unsigned char q;     /* K_STR: qualifier rank */
    unsigned short depth;
    bool keep;           /* survives normalization */
    const char *p;       /* K_INT: digits without leading zeros; K_STR: the word */
    size_t n;
} mitem_t;

typedef struct {
    mitem_t it[MAX_ITEMS];
    size_t n;
    int maxdepth;        /* deepest non-empty list after normalization, -1: empty version */
} mver_t;

static bool ieq(const char *p, size_t n, const char *w)
{
    size_t l = strlen(w);
    if (l != n) return false;
    for (size_t i = 0; i < n; i++)
        if (vc_tolower((unsigned char)p[i]) != w[i]) return false;
    return true;
}

/* Known qualifiers and aliases, lowercase. */
static const struct {
    const char *word;
    unsigned char q;
} quals[] = {
    {"alpha", Q_ALPHA}, {"beta", Q_BETA}, {"milestone", Q_MILESTONE}, {"rc", Q_RC},
    {"cr", Q_RC},       {"snapshot", Q_SNAPSHOT}, {"", Q_RELEASE}, {"ga", Q_RELEASE},
    {"final", Q_RELEASE}, {"release", Q_RELEASE}, {"sp", Q_SP},
};

static unsigned char qual_of(const char *p, size_t n, bool before_digit)
{
    if (before_digit && n == 1) {
        int c = vc_tolower((unsigned char)p[0]);
        if (c == 'a') return Q_ALPHA;
        if (c == 'b') return Q_BETA;
        if (c == 'm') return Q_MILESTONE;
    }
    for (size_t i = 0; i < sizeof quals / sizeof quals[0]; i++)
        if (ieq(p, n, quals[i].word)) return quals[i].q;
    return Q_OTHER;
}

static bool add(mver_t *v, bool digit, const char *p, size_t n, int depth, bool before_digit)
{
    if (v->n >= MAX_ITEMS || depth > 65535) return false;
    mitem_t *it = &v->it[v->n++];
    it->depth = (unsigned short)depth;
    it->keep = true;
    if (digit) {
        while (n > 0 && *p == '0') p++, n--;
        it->kind = K_INT;
        it->q = 0;
    } else {
        it->kind = K_STR;
        it->q = qual_of(p, n, before_digit);
    }
    it->p = p;
    it->n = n;
    return true;
}

static bool is_null_item(const mitem_t *it)
{
    return it->kind == K_INT ? it->n == 0 : it->q == Q_RELEASE;
}

/* Parses s into v; false if it has more than MAX_ITEMS items. */
static bool parse(const char *s, mver_t *v)
{
    v->n = 0;
    v->maxdepth = -1;
    int depth = 0;
    size_t cur = 0;    /* items in the current list, a sub-list counting as one */
    bool isdigit_ = false;
    size_t start = 0, i = 0;
    for (; s[i]; i++) {
        int c = (unsigned char)s[i];
        if (c == '.' || c == '-') {
            /* an empty item is the number 0 */
            if (!add(v, isdigit_ || i == start, s + start, i - start, depth, false)) return false;
            start = i + 1;
            if (c == '-') {
                depth++;
                cur = 0;
            } else {
                cur++;
            }
        } else if (vc_isdigit(c)) {
            if (!isdigit_ && i > start) {
                if (cur > 0) {
                    depth++;
                    cur = 0;
                }
                if (!add(v, false, s + start, i - start, depth, true)) return false;
                start = i;
                depth++;
                cur = 0;
            }
            isdigit_ = true;
        } else {
            if (isdigit_ && i > start) {
                if (!add(v, true, s + start, i - start, depth, false)) return false;
                start = i;
                depth++;
                cur = 0;
            }
            isdigit_ = false;
        }
    }
    if (i > start) {
        if (!isdigit_ && cur > 0) depth++;
        if (!add(v, isdigit_, s + start, i - start, depth, false)) return false;
    }
    /* normalize: in every list, drop the trailing null items of its own */
    for (size_t k = v->n; k-- > 0;) {
        mitem_t *it = &v->it[k];
        bool last_own = true; /* no kept item of the same depth after it */
        for (size_t j = k + 1; j < v->n && v->it[j].depth == it->depth; j++)
            if (v->it[j].keep) last_own = false;
        if (last_own && is_null_item(it)) it->keep = false;
    }
    for (size_t k = 0; k < v->n; k++)
        if (v->it[k].keep && (int)v->it[k].depth > v->maxdepth) v->maxdepth = v->it[k].depth;
    return true;
}

/* One element of the list at depth d: an item, the sub-list, or none. */
typedef struct {
    int kind;
    const mitem_t *it;
    int depth; /* K_LIST: its depth */
} elem_t;

/* Cursor over the elements of the list at depth d. */
typedef struct {
    const mver_t *v;
    int depth;
    size_t pos;   /* next item index to look at */
    bool done;
} cursor_t;

static void cur_init(cursor_t *c, const mver_t *v, int depth)
{
    c->v = v;
    c->depth = depth;
    c->pos = 0;
    c->done = false;
    while (c->pos < v->n && v->it[c->pos].depth < depth) c->pos++;
}

static elem_t cur_next(cursor_t *c)
{
    elem_t e = {K_NONE, NULL, 0};
    if (c->done) return e;
    const mver_t *v = c->v;
    while (c->pos < v->n && v->it[c->pos].depth == c->depth) {
        const mitem_t *it = &v->it[c->pos++];
        if (!it->keep) continue;
        e.kind = it->kind;
        e.it = it;
        return e;
    }
    c->done = true;
    if (c->depth < v->maxdepth) {
        e.kind = K_LIST;
        e.depth = c->depth + 1;
    }
    return e;
}

static int qcmp(const mitem_t *a, const mitem_t *b)
{
    if (a->q != b->q) return a->q < b->q ? -1 : 1;
    if (a->q != Q_OTHER) return 0;
    size_t n = a->n < b->n ? a->n : b->n;
    for (size_t i = 0; i < n; i++) {
        int x = vc_tolower((unsigned char)a->p[i]), y = vc_tolower((unsigned char)b->p[i]);
        if (x != y) return x < y ? -1 : 1;
    }
    return a->n == b->n ? 0 : a->n < b->n ? -1 : 1;
}

static int list_cmp(const mver_t *a, int da, const mver_t *b, int db);

/* The class of an element in the total order (see the header comment):
 * 0 words below "" (alpha..snapshot), 1 lists below null, 2 null (missing,
 * ""), 3 words above "" (sp, others), 4 lists above null, 5 numbers. */
static int elem_class(const mver_t *v, elem_t x)
{
    switch (x.kind) {
    case K_INT: return 5;
    case K_STR: return x.it->q == Q_RELEASE ? 2 : x.it->q < Q_RELEASE ? 0 : 3;
    case K_LIST: { /* its elements against null until one differs (MNG-6964) */
        cursor_t c;
        cur_init(&c, v, x.depth);
        for (;;) {
            elem_t y = cur_next(&c);
            if (y.kind == K_NONE) return 2; /* not reached: a kept list is not null */
            int k = elem_class(v, y);
            if (k != 2) return k < 2 ? 1 : 4;
        }
    }
    }
    return 2;
}

static int elem_cmp(const mver_t *a, elem_t x, const mver_t *b, elem_t y)
{
    int ka = elem_class(a, x), kb = elem_class(b, y);
    if (ka != kb) return ka < kb ? -1 : 1;
    switch (ka) {
    case 0:
    case 3: return qcmp(x.it, y.it);
    case 1:
    case 4: return list_cmp(a, x.depth, b, y.depth);
    case 5: return vc_numcmp(x.it->p, x.it->n, y.it->p, y.it->n);
    }
    return 0;
}

static int list_cmp(const mver_t *a, int da, const mver_t *b, int db)
{
    cursor_t ca, cb;
    cur_init(&ca, a, da);
    cur_init(&cb, b, db);
    for (;;) {
        elem_t x = cur_next(&ca), y = cur_next(&cb);
        if (x.kind == K_NONE && y.kind == K_NONE) return 0;
        int r = elem_cmp(a, x, b, y);
        if (r) return r;
    }
}

int dd_vercmp_maven(const char *a, const char *b)
{
    mver_t va, vb;
    if (!a) a = "";
    if (!b) b = "";
    bool oka = parse(a, &va), okb = parse(b, &vb);
    if (!oka || !okb) return vc_invalid_order(oka, okb, a, b);
    return list_cmp(&va, 0, &vb, 0);
}

/* Maven accepts any string; "valid" here means what a published artifact
 * version looks like: non-empty, printable ASCII without blanks, '/', ':'
 * or XML-special characters, at most MAX_ITEMS items. */
bool dd_version_valid_maven(const char *v)
{
    if (!v || !*v) return false;
    for (const char *p = v; *p; p++) {
        int c = (unsigned char)*p;
        if (c <= ' ' || c >= 0x7f || c == '/' || c == ':' || c == '<' || c == '>' || c == '&' ||
            c == '"' || c == '\'' || c == '\\' || c == ',' || c == '[' || c == ']' || c == '(' ||
            c == ')')
            return false;
    }
    mver_t m;
    return parse(v, &m);
}
