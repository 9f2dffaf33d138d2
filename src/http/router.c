/*
 * router.c: the pure pieces of the HTTP front, kept free of libmicrohttpd so
 * unit tests and fuzzers drive them directly: path pattern matching, path and
 * query percent-decoding, and Range / Content-Range parsing.
 *
 * Pattern matching (see http.h): the pattern and the path are split on '/'.
 * Literal segments before "{name}" are matched from the left, those after it
 * from the right, and "{name}" takes the one or more segments in between.
 * "{x}" matches exactly one non-empty segment.
 */
#include "dd/http.h"

#include <ctype.h>
#include <strings.h>
#include <string.h>

#define MAX_SEGS 300 /* a 255-byte repository name has at most 128 components */

typedef struct {
    const char *p;
    size_t n;
} seg_t;

/* Splits s (after its leading '/') into segments. Returns count or -1. */
static int split(const char *s, seg_t *out, int max)
{
    if (*s != '/') return -1;
    s++;
    int n = 0;
    for (;;) {
        const char *slash = strchr(s, '/');
        size_t len = slash ? (size_t)(slash - s) : strlen(s);
        if (n == max) return -1;
        out[n].p = s;
        out[n].n = len;
        n++;
        if (!slash) break;
        s = slash + 1;
    }
    return n;
}

static bool is_var(const seg_t *s)
{
    return s->n >= 3 && s->p[0] == '{' && s->p[s->n - 1] == '}';
}

static bool is_name_var(const seg_t *s)
{
    return s->n == 6 && memcmp(s->p, "{name}", 6) == 0;
}

/* Matches one segment; binds a variable. */
static bool match_seg(const seg_t *ps, const seg_t *xs, dd_arena_t *a, const char **var_names,
                      const char **var_vals, size_t *n_vars)
{
    if (is_var(ps)) {
        if (xs->n == 0) return false;
        if (*n_vars < DD_ROUTE_VARS) {
            var_names[*n_vars] = dd_arena_strndup(a, ps->p + 1, ps->n - 2);
            var_vals[*n_vars] = dd_arena_strndup(a, xs->p, xs->n);
            (*n_vars)++;
        }
        return true;
    }
    return ps->n == xs->n && memcmp(ps->p, xs->p, ps->n) == 0;
}

bool dd_route_match(const char *pattern, const char *path, dd_arena_t *a, const char **name,
                    const char **var_names, const char **var_vals, size_t *n_vars)
{
    seg_t ps[MAX_SEGS], xs[MAX_SEGS];
    int np = split(pattern, ps, MAX_SEGS);
    int nx = split(path, xs, MAX_SEGS);
    if (np < 0 || nx < 0) return false;
    *name = NULL;
    *n_vars = 0;
    int name_at = -1;
    for (int i = 0; i < np; i++)
        if (is_name_var(&ps[i])) {
            name_at = i;
            break;
        }
    if (name_at < 0) {
        if (np != nx) return false;
        for (int i = 0; i < np; i++)
            if (!match_seg(&ps[i], &xs[i], a, var_names, var_vals, n_vars)) return false;
        return true;
    }
    int after = np - name_at - 1;     /* pattern segments after {name} */
    if (nx < name_at + 1 + after) return false;
    for (int i = 0; i < name_at; i++)
        if (!match_seg(&ps[i], &xs[i], a, var_names, var_vals, n_vars)) return false;
    /* name spans xs[name_at .. nx-after-1] */
    int name_end = nx - after;        /* exclusive */
    for (int i = 0; i < after; i++)
        if (!match_seg(&ps[name_at + 1 + i], &xs[name_end + i], a, var_names, var_vals, n_vars))
            return false;
    const char *start = xs[name_at].p;
    const char *end = xs[name_end - 1].p + xs[name_end - 1].n;
    /* empty components ("a//b", a trailing '/') stay in the name: the name
     * grammar refuses them later with NAME_INVALID rather than a 404 */
    if (name_end - name_at == 1 && xs[name_at].n == 0) return false;
    *name = dd_arena_strndup(a, start, (size_t)(end - start));
    return true;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int dd_http_path_decode(const char *raw, size_t n, dd_arena_t *a, char **out)
{
    char *o = dd_arena_alloc(a, n + 1);
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        char c = raw[i];
        if (c == '%') {
            if (i + 2 >= n) return DD_EINVAL;
            int h = hexval((unsigned char)raw[i + 1]), l = hexval((unsigned char)raw[i + 2]);
            if (h < 0 || l < 0) return DD_EINVAL;
            c = (char)(h * 16 + l);
            if (c == '/' || c == '\0' || c == '\\') return DD_EINVAL;
            i += 2;
        } else if (c == '\0') {
            return DD_EINVAL;
        }
        o[j++] = c;
    }
    o[j] = '\0';
    /* refuse "." and ".." segments */
    for (const char *s = o; *s;) {
        if (*s == '/') {
            s++;
            continue;
        }
        const char *e = strchr(s, '/');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.')) return DD_EINVAL;
        s += len;
    }
    *out = o;
    return DD_OK;
}

char *dd_http_query_decode(const char *raw, size_t n, dd_arena_t *a)
{
    char *o = dd_arena_alloc(a, n + 1);
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        char c = raw[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            if (i + 2 >= n) return NULL;
            int h = hexval((unsigned char)raw[i + 1]), l = hexval((unsigned char)raw[i + 2]);
            if (h < 0 || l < 0) return NULL;
            c = (char)(h * 16 + l);
            if (c == '\0') return NULL;
            i += 2;
        } else if (c == '\0') {
            return NULL;
        }
        o[j++] = c;
    }
    o[j] = '\0';
    return o;
}

/* Parses a decimal uint64 of at most 19 digits; advances *s. */
static bool parse_u64(const char **s, uint64_t *out)
{
    const char *p = *s;
    uint64_t v = 0;
    int nd = 0;
    while (*p >= '0' && *p <= '9') {
        if (nd == 19) return false;
        v = v * 10 + (uint64_t)(*p - '0');
        p++;
        nd++;
    }
    if (nd == 0) return false;
    *s = p;
    *out = v;
    return true;
}

static const char *skip_ws(const char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    return s;
}

int dd_http_parse_range(const char *h, uint64_t size, uint64_t *first, uint64_t *last)
{
    const char *s = skip_ws(h);
    if (strncasecmp(s, "bytes", 5) != 0) return DD_DECLINED;
    s = skip_ws(s + 5);
    if (*s != '=') return DD_DECLINED;
    s = skip_ws(s + 1);
    if (strchr(s, ',')) return DD_DECLINED; /* multiple ranges: serve it whole */
    uint64_t a = 0, b = 0;
    if (*s == '-') {
        s++;
        if (!parse_u64(&s, &b)) return DD_DECLINED;
        s = skip_ws(s);
        if (*s) return DD_DECLINED;
        if (b == 0 || size == 0) return DD_ERANGE;
        if (b > size) b = size;
        *first = size - b;
        *last = size - 1;
        return DD_OK;
    }
    if (!parse_u64(&s, &a)) return DD_DECLINED;
    if (*s != '-') return DD_DECLINED;
    s++;
    bool open = true;
    if (*s >= '0' && *s <= '9') {
        if (!parse_u64(&s, &b)) return DD_DECLINED;
        open = false;
    }
    s = skip_ws(s);
    if (*s) return DD_DECLINED;
    if (!open && b < a) return DD_ERANGE; /* last < first: unsatisfiable (RFC 9110 lets us refuse it) */
    if (a >= size) return DD_ERANGE;
    *first = a;
    *last = (open || b >= size) ? size - 1 : b;
    return DD_OK;
}

int dd_http_parse_content_range(const char *h, uint64_t *first, uint64_t *last)
{
    const char *s = skip_ws(h);
    if (strncasecmp(s, "bytes ", 6) == 0) s = skip_ws(s + 6); /* RFC 9110 form; "bytes=" is not one */
    uint64_t a, b;
    if (!parse_u64(&s, &a)) return DD_EINVAL;
    if (*s != '-') return DD_EINVAL;
    s++;
    if (!parse_u64(&s, &b)) return DD_EINVAL;
    if (*s == '/') {
        s++;
        uint64_t total;
        if (*s == '*') {
            s++;
        } else if (!parse_u64(&s, &total)) {
            return DD_EINVAL;
        }
    }
    s = skip_ws(s);
    if (*s || b < a) return DD_EINVAL;
    *first = a;
    *last = b;
    return DD_OK;
}
