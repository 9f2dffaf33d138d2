/*
 * policy.c: roles and the role x action matrix, repository globs (ACR scope
 * maps), and Docker token scopes ("repository:team/app:pull,push").
 *
 * The matrix follows Azure Container Registry's built-in roles (AcrPull,
 * AcrPush, AcrDelete, Owner) plus the "Security Reader" of the scanning
 * product: see the table in docs/auth.md. Every role that may pull a
 * repository may also read its scan results (issue 15): whoever can pull an
 * image can scan it themselves, and the people who push and deploy it are
 * the ones who must see its findings (Harbor shows a project's scans to its
 * members). Repository globs bound both alike.
 */
#include "dd/auth.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

/* ---- roles ----------------------------------------------------------------- */

/* The role table (sorted by role value). allows: bit (1 << dd_action_t). */
#define A(x) (1u << (x))
static const struct role {
    dd_role_t role;
    const char *name;
    unsigned allows;
} roles[] = {
    {DD_ROLE_READER, "reader", A(DD_ACT_PULL) | A(DD_ACT_CATALOG) | A(DD_ACT_SCAN_READ) | A(DD_ACT_AUTHENTICATED)},
    {DD_ROLE_WRITER, "writer",
     A(DD_ACT_PULL) | A(DD_ACT_PUSH) | A(DD_ACT_CATALOG) | A(DD_ACT_SCAN_READ) | A(DD_ACT_AUTHENTICATED)},
    {DD_ROLE_DELETER, "deleter", A(DD_ACT_DELETE) | A(DD_ACT_CATALOG) | A(DD_ACT_AUTHENTICATED)},
    {DD_ROLE_OWNER, "owner",
     A(DD_ACT_PULL) | A(DD_ACT_PUSH) | A(DD_ACT_DELETE) | A(DD_ACT_CATALOG) | A(DD_ACT_SCAN_READ) |
         A(DD_ACT_ADMIN) | A(DD_ACT_AUTHENTICATED)},
    {DD_ROLE_SECURITY_READER, "securityreader", A(DD_ACT_SCAN_READ) | A(DD_ACT_CATALOG) | A(DD_ACT_AUTHENTICATED)},
};
#undef A

int dd_role_parse(const char *s, dd_role_t *out)
{
    if (!s) return DD_EINVAL;
    if (!strcasecmp(s, "security-reader") || !strcasecmp(s, "security_reader")) s = "securityreader";
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
        if (!strcasecmp(s, roles[i].name)) {
            *out = roles[i].role;
            return DD_OK;
        }
    return DD_EINVAL;
}

const char *dd_role_name(dd_role_t r)
{
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
        if (roles[i].role == r) return roles[i].name;
    return "none";
}

bool dd_role_allows(dd_role_t r, dd_action_t a)
{
    if ((unsigned)a >= 32) return false;
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
        if (roles[i].role == r) return (roles[i].allows >> a) & 1u;
    return false;
}

/* ---- globs ----------------------------------------------------------------- */

/* Iterative matcher with one backtrack point: linear in practice, never
 * exponential ('*' runs collapse). */
static bool glob_n(const char *p, size_t pn, const char *s)
{
    size_t pi = 0, si = 0, sn = strlen(s);
    size_t star_p = (size_t)-1, star_s = 0;
    while (si < sn) {
        if (pi < pn && p[pi] == '*') {
            star_p = pi++;
            star_s = si;
        } else if (pi < pn && (p[pi] == '?' || p[pi] == s[si])) {
            pi++;
            si++;
        } else if (star_p != (size_t)-1) {
            pi = star_p + 1;
            si = ++star_s;
        } else {
            return false;
        }
    }
    while (pi < pn && p[pi] == '*') pi++;
    return pi == pn;
}

bool dd_glob_match(const char *pat, const char *s)
{
    return glob_n(pat, strlen(pat), s);
}

static bool list_match(const char *list, const char *repo, bool empty_matches)
{
    if (!list || !*list) return empty_matches;
    if (!repo) return false;
    const char *p = list;
    for (;;) {
        while (*p == ' ' || *p == ',') p++;
        if (!*p) return false;
        const char *end = p;
        while (*end && *end != ',') end++;
        size_t n = (size_t)(end - p);
        while (n && p[n - 1] == ' ') n--;
        if (n && glob_n(p, n, repo)) return true;
        p = end;
    }
}

bool dd_globs_match(const char *list, const char *repo)
{
    return list_match(list, repo, true);
}

bool dd_globs_match_any(const char *list, const char *repo)
{
    return list_match(list, repo, false);
}

int dd_globs_validate(const char *list, dd_err_t *e)
{
    if (!list) return DD_OK;
    if (strlen(list) >= DD_AUTH_REPOS_MAX) return dd_err(e, DD_EINVAL, "repository globs too long");
    for (const char *p = list; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (!(islower(c) || isdigit(c) || strchr("._-/*?, ", c)))
            return dd_err(e, DD_EINVAL, "invalid character '%c' in repository glob '%s'", isprint(c) ? c : '?',
                          list);
    }
    return DD_OK;
}

/* ---- scopes -------------------------------------------------------------- */

static unsigned action_bit(const char *a, size_t n)
{
    if (n == 4 && !memcmp(a, "pull", 4)) return DD_SCOPE_PULL;
    if (n == 4 && !memcmp(a, "push", 4)) return DD_SCOPE_PUSH;
    if (n == 6 && !memcmp(a, "delete", 6)) return DD_SCOPE_DELETE;
    if (n == 1 && a[0] == '*') return DD_SCOPE_ALL;
    return 0; /* unknown actions are ignored (token spec) */
}

int dd_scope_parse(const char *s, size_t n, dd_scope_t *out, dd_err_t *e)
{
    memset(out, 0, sizeof *out);
    if (n > DD_SCOPE_TYPE_MAX + DD_REPO_MAX + 64) return dd_err(e, DD_EINVAL, "scope too long");
    const char *c1 = memchr(s, ':', n);
    if (!c1) return dd_err(e, DD_EINVAL, "scope without ':'");
    const char *c2 = NULL;
    for (const char *p = s + n; p > c1 + 1; p--)
        if (p[-1] == ':') {
            c2 = p - 1;
            break;
        }
    if (!c2 || c2 == c1) return dd_err(e, DD_EINVAL, "scope without actions");
    size_t tn = (size_t)(c1 - s);
    /* "repository(plugin)": keep the type without the class */
    const char *paren = memchr(s, '(', tn);
    if (paren) {
        if (s[tn - 1] != ')') return dd_err(e, DD_EINVAL, "malformed scope type");
        tn = (size_t)(paren - s);
    }
    if (tn == 0 || tn >= sizeof out->type) return dd_err(e, DD_EINVAL, "invalid scope type");
    for (size_t i = 0; i < tn; i++)
        if (!islower((unsigned char)s[i])) return dd_err(e, DD_EINVAL, "invalid scope type");
    memcpy(out->type, s, tn);
    size_t nn = (size_t)(c2 - c1 - 1);
    if (nn == 0 || nn >= sizeof out->name) return dd_err(e, DD_EINVAL, "invalid scope name");
    for (size_t i = 0; i < nn; i++) {
        unsigned char ch = (unsigned char)c1[1 + i];
        if (ch < 0x21 || ch > 0x7e) return dd_err(e, DD_EINVAL, "invalid character in scope name");
    }
    memcpy(out->name, c1 + 1, nn);
    const char *a = c2 + 1, *end = s + n;
    while (a < end) {
        const char *comma = memchr(a, ',', (size_t)(end - a));
        const char *ae = comma ? comma : end;
        out->actions |= action_bit(a, (size_t)(ae - a));
        a = comma ? comma + 1 : end;
    }
    return DD_OK;
}

void dd_scope_actions_str(unsigned actions, dd_buf_t *b)
{
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {{DD_SCOPE_PULL, "pull"}, {DD_SCOPE_PUSH, "push"}, {DD_SCOPE_DELETE, "delete"}, {DD_SCOPE_ALL, "*"}};
    bool first = true;
    for (size_t i = 0; i < 4; i++)
        if (actions & names[i].bit) {
            if (!first) dd_buf_putc(b, ',');
            dd_buf_puts(b, names[i].name);
            first = false;
        }
}
