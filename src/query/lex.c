/*
 * lex.c: the query tokenizer. Turns the whole text into an array of tokens,
 * each with its 1-based line and column.
 *
 * Kusto-specific lexing:
 *   - hyphenated operator names (project-away, mv-expand, ...) are one
 *     identifier; `in~` is one identifier; `!contains`, `!in~`, ... are one
 *     TK_BANGWORD token;
 *   - number immediately followed by a unit is a timespan (1d, 30m, 1.5h);
 *   - datetime(...), timespan(...) and dynamic(...) keep their raw text
 *     (TK_RAW), parsed by the parser (dynamic via jansson);
 *   - strings: '...' and "..." with backslash escapes, @'...' verbatim;
 *   - comments: // to the end of the line.
 */
#include "query/qint.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int lex_err(qlexer_t *lx, int line, int col, int *eline, int *ecol, dd_err_t *e, const char *msg)
{
    (void)lx;
    *eline = line;
    *ecol = col;
    return dd_err(e, DD_EINVAL, "syntax error: %s", msg);
}

static char peek(qlexer_t *lx, size_t k) { return lx->pos + k < lx->len ? lx->src[lx->pos + k] : 0; }

static void adv(qlexer_t *lx)
{
    if (lx->pos < lx->len) {
        if (lx->src[lx->pos] == '\n') { lx->line++; lx->col = 1; }
        else lx->col++;
        lx->pos++;
    }
}

static bool is_id0(char c) { return isalpha((unsigned char)c) || c == '_' || c == '$'; }
static bool is_id(char c) { return isalnum((unsigned char)c) || c == '_'; }

static const char *hyphen_words[] = {"project-away", "project-keep", "project-rename", "project-reorder",
                                     "mv-expand", NULL};

static void push_utf8(dd_buf_t *b, unsigned cp)
{
    if (cp < 0x80) dd_buf_putc(b, (char)cp);
    else if (cp < 0x800) { dd_buf_putc(b, (char)(0xC0 | (cp >> 6))); dd_buf_putc(b, (char)(0x80 | (cp & 0x3F))); }
    else { dd_buf_putc(b, (char)(0xE0 | (cp >> 12))); dd_buf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3F))); dd_buf_putc(b, (char)(0x80 | (cp & 0x3F))); }
}

int qlex_all(const char *src, size_t len, dd_arena_t *a, qtok_t **toks_out, size_t *ntoks,
             int *eline, int *ecol, dd_err_t *e)
{
    qlexer_t lxs = {src, len, 0, 1, 1, a}, *lx = &lxs;
    size_t cap = 64, n = 0;
    qtok_t *toks = dd_malloc(cap * sizeof *toks);
    dd_buf_t sb;
    dd_buf_init(&sb, 0);
    int rc = DD_OK;
    char msg[96];

    for (;;) {
        /* skip blanks and comments */
        for (;;) {
            char c = peek(lx, 0);
            if (c == ' ' || c == '\t' || c == '\r' || c == '\n') adv(lx);
            else if (c == '/' && peek(lx, 1) == '/') { while (lx->pos < lx->len && peek(lx, 0) != '\n') adv(lx); }
            else break;
        }
        if (n + 1 >= cap) { cap *= 2; toks = dd_realloc(toks, cap * sizeof *toks); }
        qtok_t *t = &toks[n];
        memset(t, 0, sizeof *t);
        t->line = lx->line;
        t->col = lx->col;
        if (lx->pos >= lx->len) { t->kind = TK_EOF; n++; break; }
        char c = peek(lx, 0);
        size_t start = lx->pos;

        if (c == '\0') { rc = lex_err(lx, t->line, t->col, eline, ecol, e, "unexpected NUL byte"); goto out; }

        /* strings */
        if (c == '\'' || c == '"' || (c == '@' && (peek(lx, 1) == '\'' || peek(lx, 1) == '"'))) {
            bool verbatim = c == '@';
            if (verbatim) adv(lx);
            char q = peek(lx, 0);
            adv(lx);
            dd_buf_reset(&sb);
            for (;;) {
                if (lx->pos >= lx->len || peek(lx, 0) == '\n') {
                    rc = lex_err(lx, t->line, t->col, eline, ecol, e, "unterminated string literal");
                    goto out;
                }
                char ch = peek(lx, 0);
                if (ch == q) {
                    if (verbatim && peek(lx, 1) == q) { dd_buf_putc(&sb, q); adv(lx); adv(lx); continue; }
                    adv(lx);
                    break;
                }
                if (ch == '\\' && !verbatim) {
                    char x = peek(lx, 1);
                    int ecl = lx->col;
                    adv(lx); adv(lx);
                    switch (x) {
                    case 'n': dd_buf_putc(&sb, '\n'); break;
                    case 't': dd_buf_putc(&sb, '\t'); break;
                    case 'r': dd_buf_putc(&sb, '\r'); break;
                    case '\\': dd_buf_putc(&sb, '\\'); break;
                    case '\'': dd_buf_putc(&sb, '\''); break;
                    case '"': dd_buf_putc(&sb, '"'); break;
                    case '0': dd_buf_putc(&sb, '\0'); break;
                    case 'u': {
                        unsigned cp = 0;
                        for (int k = 0; k < 4; k++) {
                            char h = peek(lx, 0);
                            if (!isxdigit((unsigned char)h)) {
                                rc = lex_err(lx, lx->line, lx->col, eline, ecol, e, "bad \\u escape in string literal");
                                goto out;
                            }
                            cp = cp * 16 + (unsigned)(isdigit((unsigned char)h) ? h - '0' : (tolower((unsigned char)h) - 'a' + 10));
                            adv(lx);
                        }
                        push_utf8(&sb, cp);
                        break;
                    }
                    default:
                        rc = lex_err(lx, lx->line, ecl, eline, ecol, e, "unknown escape sequence in string literal");
                        goto out;
                    }
                    continue;
                }
                dd_buf_putc(&sb, ch);
                adv(lx);
            }
            t->kind = TK_STRING;
            t->s = qstrndup(a, sb.ptr ? sb.ptr : "", sb.len);
            t->n = sb.len;
            n++;
            continue;
        }

        /* numbers and timespans */
        if (isdigit((unsigned char)c) || (c == '.' && isdigit((unsigned char)peek(lx, 1)))) {
            bool real = false;
            while (isdigit((unsigned char)peek(lx, 0))) adv(lx);
            if (peek(lx, 0) == '.' && isdigit((unsigned char)peek(lx, 1))) {
                real = true;
                adv(lx);
                while (isdigit((unsigned char)peek(lx, 0))) adv(lx);
            }
            if ((peek(lx, 0) == 'e' || peek(lx, 0) == 'E') &&
                (isdigit((unsigned char)peek(lx, 1)) || ((peek(lx, 1) == '-' || peek(lx, 1) == '+') && isdigit((unsigned char)peek(lx, 2))))) {
                real = true;
                adv(lx); adv(lx);
                while (isdigit((unsigned char)peek(lx, 0))) adv(lx);
            }
            size_t numend = lx->pos;
            if (isalpha((unsigned char)peek(lx, 0))) {
                while (isalpha((unsigned char)peek(lx, 0))) adv(lx);
                int64_t ticks;
                if (!qparse_timespan(src + start, lx->pos - start, &ticks)) {
                    snprintf(msg, sizeof msg, "invalid number or timespan literal '%.*s'", (int)(lx->pos - start > 40 ? 40 : lx->pos - start), src + start);
                    rc = lex_err(lx, t->line, t->col, eline, ecol, e, msg);
                    goto out;
                }
                t->kind = TK_TIMESPAN;
                t->l = ticks;
                n++;
                continue;
            }
            char num[64];
            size_t nl = numend - start;
            if (nl >= sizeof num) { rc = lex_err(lx, t->line, t->col, eline, ecol, e, "number literal too long"); goto out; }
            memcpy(num, src + start, nl);
            num[nl] = 0;
            if (real) { t->kind = TK_REAL; t->d = strtod(num, NULL); }
            else {
                char *end;
                errno = 0;
                long long v = strtoll(num, &end, 10);
                if (errno) { t->kind = TK_REAL; t->d = strtod(num, NULL); }
                else { t->kind = TK_LONG; t->l = v; }
            }
            n++;
            continue;
        }

        /* identifiers, keywords, raw literals */
        if (is_id0(c)) {
            adv(lx);
            while (is_id(peek(lx, 0))) adv(lx);
            if (peek(lx, 0) == '-' && isalpha((unsigned char)peek(lx, 1))) {
                size_t save_pos = lx->pos;
                int sl = lx->line, sc = lx->col;
                adv(lx);
                while (is_id(peek(lx, 0))) adv(lx);
                bool ok = false;
                for (int k = 0; hyphen_words[k]; k++)
                    if (strlen(hyphen_words[k]) == lx->pos - start && !strncmp(hyphen_words[k], src + start, lx->pos - start)) ok = true;
                if (!ok) { lx->pos = save_pos; lx->line = sl; lx->col = sc; }
            }
            if (lx->pos - start == 2 && !strncmp(src + start, "in", 2) && peek(lx, 0) == '~') adv(lx);
            size_t idn = lx->pos - start;
            t->kind = TK_IDENT;
            t->s = qstrndup(a, src + start, idn);
            t->n = idn;
            /* raw literal? */
            if ((idn == 8 && (!strncmp(t->s, "datetime", 8) || !strncmp(t->s, "timespan", 8))) ||
                (idn == 7 && !strncmp(t->s, "dynamic", 7)) || (idn == 4 && !strncmp(t->s, "time", 4))) {
                size_t p = lx->pos;
                while (p < len && (src[p] == ' ' || src[p] == '\t' || src[p] == '\n' || src[p] == '\r')) p++;
                if (p < len && src[p] == '(') {
                    while (lx->pos < p) adv(lx);
                    adv(lx); /* ( */
                    size_t rs = lx->pos;
                    int depth = 1;
                    char inq = 0;
                    while (lx->pos < lx->len) {
                        char ch = peek(lx, 0);
                        if (inq) {
                            if (ch == '\\') { adv(lx); }
                            else if (ch == inq) inq = 0;
                        } else if (ch == '"' || ch == '\'') inq = ch;
                        else if (ch == '(' || ch == '[' || ch == '{') depth++;
                        else if (ch == ')' || ch == ']' || ch == '}') {
                            if (--depth == 0) break;
                        }
                        adv(lx);
                    }
                    if (lx->pos >= lx->len || peek(lx, 0) != ')') {
                        snprintf(msg, sizeof msg, "unterminated %s(...) literal", t->s);
                        rc = lex_err(lx, t->line, t->col, eline, ecol, e, msg);
                        goto out;
                    }
                    t->kind = TK_RAW;
                    t->raw_kind = t->s[0] == 'd' && t->s[1] == 'y' ? "dynamic" : t->s[0] == 'd' ? "datetime" : "timespan";
                    t->s = qstrndup(a, src + rs, lx->pos - rs);
                    t->n = lx->pos - rs;
                    adv(lx); /* ) */
                }
            }
            n++;
            continue;
        }

        /* !word */
        if (c == '!' && isalpha((unsigned char)peek(lx, 1))) {
            adv(lx);
            size_t ws = lx->pos;
            while (is_id(peek(lx, 0))) adv(lx);
            if (peek(lx, 0) == '~') adv(lx);
            t->kind = TK_BANGWORD;
            t->s = qstrndup(a, src + ws, lx->pos - ws);
            t->n = lx->pos - ws;
            n++;
            continue;
        }

        /* punctuation */
        char c1 = peek(lx, 1);
        int k = 0, w = 1;
        switch (c) {
        case '|': k = TK_PIPE; break;
        case ',': k = TK_COMMA; break;
        case ';': k = TK_SEMI; break;
        case '(': k = TK_LPAREN; break;
        case ')': k = TK_RPAREN; break;
        case '[': k = TK_LBRACK; break;
        case ']': k = TK_RBRACK; break;
        case '{': k = TK_LBRACE; break;
        case '}': k = TK_RBRACE; break;
        case ':': k = TK_COLON; break;
        case '.': if (c1 == '.') { k = TK_DOTDOT; w = 2; } else k = TK_DOT; break;
        case '=': if (c1 == '=') { k = TK_EQEQ; w = 2; } else if (c1 == '~') { k = TK_EQTILDE; w = 2; } else k = TK_EQ; break;
        case '!': if (c1 == '=') { k = TK_NE; w = 2; } else if (c1 == '~') { k = TK_NETILDE; w = 2; } break;
        case '<': if (c1 == '=') { k = TK_LE; w = 2; } else if (c1 == '>') { k = TK_NE; w = 2; } else k = TK_LT; break;
        case '>': if (c1 == '=') { k = TK_GE; w = 2; } else k = TK_GT; break;
        case '+': k = TK_PLUS; break;
        case '-': k = TK_MINUS; break;
        case '*': k = TK_STAR; break;
        case '/': k = TK_SLASH; break;
        case '%': k = TK_PERCENT; break;
        default: break;
        }
        if (!k) {
            if ((unsigned char)c >= 0x20 && (unsigned char)c < 0x7f) snprintf(msg, sizeof msg, "unexpected character '%c'", c);
            else snprintf(msg, sizeof msg, "unexpected byte 0x%02x", (unsigned char)c);
            rc = lex_err(lx, t->line, t->col, eline, ecol, e, msg);
            goto out;
        }
        t->kind = k;
        for (int i = 0; i < w; i++) adv(lx);
        n++;
    }
out:
    dd_buf_release(&sb);
    if (rc != DD_OK) {
        free(toks);
        return rc;
    }
    qtok_t *copy = dd_arena_alloc(a, n * sizeof *copy);
    memcpy(copy, toks, n * sizeof *copy);
    free(toks);
    *toks_out = copy;
    *ntoks = n;
    return DD_OK;
}
