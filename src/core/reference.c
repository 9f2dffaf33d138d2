/*
 * reference.c: the distribution-spec grammars for repository names and tags
 * (see reference.h), used by the HTTP router, the registry and the token
 * endpoint. Pure functions over NUL-terminated strings.
 */
#include "dd/reference.h"

#include <string.h>

static bool alnum_lc(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool dd_repo_name_valid(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len > DD_REPO_NAME_MAX) return false;
    const char *p = name;
    for (;;) {
        /* component: alnum+ (sep alnum+)* */
        if (!alnum_lc(*p)) return false;
        while (alnum_lc(*p)) p++;
        while (*p == '.' || *p == '_' || *p == '-') {
            if (*p == '.') {
                p++;
            } else if (*p == '_') {
                p++;
                if (*p == '_') p++;
            } else {
                while (*p == '-') p++;
            }
            if (!alnum_lc(*p)) return false;
            while (alnum_lc(*p)) p++;
        }
        if (*p == '\0') return true;
        if (*p != '/') return false;
        p++;
    }
}

bool dd_tag_valid(const char *tag)
{
    size_t n = strlen(tag);
    if (n == 0 || n > DD_TAG_LEN_MAX) return false;
    for (size_t i = 0; i < n; i++) {
        char c = tag[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                  (i > 0 && (c == '.' || c == '-'));
        if (!ok) return false;
    }
    return true;
}
