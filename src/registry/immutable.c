/*
 * immutable.c: tag immutability (issue 17). The registry option
 * immutable_tags (config key immutable-tags) is a comma-separated list of
 * rules "TAGGLOB" (every repository) or "REPOGLOB:TAGGLOB" (neither a
 * repository name nor a tag can hold ':'); globs are fnmatch(3) patterns
 * where '*' also matches '/'. A manifest PUT that would move a tag a rule
 * covers to another manifest is refused with 403 DENIED; re-pushing the
 * manifest the tag already names, and setting a new tag, are allowed.
 * Deleting a tag is not covered by a rule (the `delete` key governs that).
 */
#include "registry_int.h"

#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

int reg_immutable_validate(const char *rules, dd_err_t *e)
{
    for (const char *p = rules ? rules : ""; *p;) {
        size_t len = strcspn(p, ",");
        const char *colon = memchr(p, ':', len);
        size_t tlen = colon ? len - (size_t)(colon - p) - 1 : len;
        if (len >= 512 || strspn(colon ? colon + 1 : p, " ") >= tlen)
            return dd_err(e, DD_EINVAL, "invalid immutable-tags rule '%.*s'", (int)(len < 512 ? len : 64), p);
        p += len;
        if (*p == ',') p++;
    }
    return DD_OK;
}

bool reg_immutable_rule(const char *rules, const char *repo, const char *tag, char *rule, size_t rule_n)
{
    if (!rules || !tag) return false;
    const char *p = rules;
    while (*p) {
        size_t len = strcspn(p, ",");
        char buf[512];
        if (len > 0 && len < sizeof buf) {
            memcpy(buf, p, len);
            buf[len] = '\0';
            char *start = buf;
            while (*start == ' ') start++;
            char *end = start + strlen(start);
            while (end > start && end[-1] == ' ') *--end = '\0';
            char *colon = strchr(start, ':');
            const char *rglob = "*", *tglob = start;
            if (colon) {
                *colon = '\0';
                rglob = start;
                tglob = colon + 1;
            }
            if (*tglob && fnmatch(rglob, repo, 0) == 0 && fnmatch(tglob, tag, 0) == 0) {
                if (colon) *colon = ':';
                snprintf(rule, rule_n, "%s", start);
                return true;
            }
        }
        p += len;
        if (*p == ',') p++;
    }
    return false;
}

int reg_check_immutable(dd_req_t *req, const char *tag, const dd_digest_t *d)
{
    dd_registry_t *r = req->ctx;
    char rule[512];
    if (!reg_immutable_rule(r->o.immutable_tags, req->name, tag, rule, sizeof rule)) return DD_OK;
    dd_manifest_rec_t cur;
    memset(&cur, 0, sizeof cur);
    if (dd_meta_manifest_get(r->o.meta, req->name, tag, &cur) != DD_OK) return DD_OK; /* a new tag */
    bool same = strcmp(cur.digest.str, d->str) == 0;
    char msg[1024];
    snprintf(msg, sizeof msg, "tag '%s' of '%s' is immutable (rule '%s'): it already names '%s'; push under a new tag",
             tag, req->name, rule, cur.digest.str);
    dd_manifest_rec_release(&cur);
    if (same) return DD_OK;
    dd_registry_error(req, DD_REGERR_DENIED, msg);
    return DD_EDENIED;
}
