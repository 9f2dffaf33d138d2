/*
 * fuzz_authz.c: libFuzzer driver for the Authorization header parsing and
 * the access decision (src/auth/hook.c): the input is a "Basic ..." header
 * value split into user and password, then the decision for an identity
 * built from the input (role byte, glob list) on a repository from the input.
 */
#include "auth/auth_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || size > 8192) return 0;
    dd_req_t req;
    memset(&req, 0, sizeof req);
    dd_arena_init(&req.arena);
    char *hdr = dd_arena_alloc(&req.arena, size + 7);
    memcpy(hdr, "Basic ", 6);
    memcpy(hdr + 6, data + 1, size - 1);
    hdr[size + 5] = '\0';
    const char *user = NULL, *pass = NULL;
    if (auth_parse_basic(&req, hdr, &user, &pass) == DD_OK) {
        if (!user || !pass) __builtin_trap();
        (void)dd_user_name_valid(user);
        (void)dd_password_check(pass, NULL);
    }
    /* decision: role from data[0], globs and repo from the rest */
    ident_t id;
    memset(&id, 0, sizeof id);
    id.kind = (data[0] & 1) ? ID_USER : ID_ANON;
    id.role = (dd_role_t)((data[0] >> 1) % 6);
    size_t half = (size - 1) / 2;
    size_t gl = half < sizeof id.repos - 1 ? half : sizeof id.repos - 1;
    memcpy(id.repos, data + 1, gl);
    id.repos[gl] = '\0';
    char *repo = dd_arena_strndup(&req.arena, (const char *)data + 1 + half, size - 1 - half);
    id.anon = id.repos;
    for (int a = DD_ACT_NONE; a <= DD_ACT_AUTHENTICATED; a++) {
        bool may = auth_ident_may(&id, (dd_action_t)a, repo);
        if (may && id.kind == ID_ANON && a != DD_ACT_PULL) __builtin_trap();
        if (may && id.kind == ID_USER && !dd_role_allows(id.role, (dd_action_t)a)) __builtin_trap();
    }
    dd_arena_release(&req.arena);
    return 0;
}
