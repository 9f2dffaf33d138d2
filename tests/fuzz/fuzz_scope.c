/*
 * fuzz_scope.c: libFuzzer driver for the Docker token scope parser and the
 * repository glob matcher (src/auth/policy.c). The input up to the first NUL
 * is a scope; if there is more, the rest is split at the next NUL into a
 * glob list and a repository name for dd_globs_match.
 */
#include "dd/auth.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* strndup without reading past n (the input is not NUL-terminated, and
 * ASan's strict_string_checks flags strndup over it) */
static char *dup_n(const char *p, size_t n)
{
    char *s = malloc(n + 1);
    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096) return 0;
    const char *s = (const char *)data;
    const char *nul = memchr(s, '\0', size);
    size_t n = nul ? (size_t)(nul - s) : size;
    dd_scope_t sc;
    if (dd_scope_parse(s, n, &sc, NULL) == DD_OK) {
        if (strlen(sc.type) >= sizeof sc.type || strlen(sc.name) >= sizeof sc.name) __builtin_trap();
        if (sc.actions & ~0xfu) __builtin_trap();
        dd_buf_t b;
        dd_buf_init(&b, 0);
        dd_scope_actions_str(sc.actions, &b);
        dd_buf_release(&b);
    }
    if (!nul) return 0;
    const char *rest = nul + 1;
    size_t rn = size - n - 1;
    const char *nul2 = memchr(rest, '\0', rn);
    if (!nul2) return 0;
    char *globs = dup_n(rest, (size_t)(nul2 - rest));
    char *repo = dup_n(nul2 + 1, rn - (size_t)(nul2 - rest) - 1);
    bool m = dd_globs_match(globs, repo);
    if (!globs[0] && !m) __builtin_trap();              /* "" matches all */
    if (!strcmp(globs, "*") && !m) __builtin_trap();
    if (!strchr(repo, ',') && !strchr(repo, ' ') && !dd_glob_match(repo, repo) && !strpbrk(repo, "*?"))
        __builtin_trap();                              /* a literal matches itself */
    (void)dd_globs_match_any(globs, repo);
    free(globs);
    free(repo);
    return 0;
}
