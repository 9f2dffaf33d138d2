/*
 * fuzz_jwt.c: libFuzzer driver for the JWT verifier (src/auth/jwt.c). The
 * input is a token verified with a fixed key; a token built from the input
 * (its bytes as the subject and a repository name, signed with the key) must
 * verify and round-trip, so the fuzzer also reaches the claims parser behind
 * a valid signature.
 */
#include "dd/auth.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t KEY[32] = "fuzz-key-fuzz-key-fuzz-key-fuzz";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > DD_JWT_MAX + 16) return 0;
    dd_jwt_claims_t c;
    int rc = dd_jwt_verify(KEY, sizeof KEY, "drydock", "drydock", 1000000, 30, (const char *)data, size, &c, NULL);
    if (rc == DD_OK) {
        if (c.n_access > DD_JWT_ACCESS_MAX) __builtin_trap();
        (void)dd_jwt_covers(&c, DD_ACT_PULL, "a/b");
        (void)dd_jwt_covers(&c, DD_ACT_CATALOG, NULL);
    }
    /* sign something made of the input, then verify it */
    char sub[64];
    size_t n = size < sizeof sub - 1 ? size : sizeof sub - 1;
    memcpy(sub, data, n);
    sub[n] = '\0';
    dd_scope_t acc;
    memset(&acc, 0, sizeof acc);
    strcpy(acc.type, "repository");
    memcpy(acc.name, sub, strlen(sub) + 1);
    acc.actions = size ? data[0] & 0xf : 0;
    dd_buf_t t;
    dd_buf_init(&t, 0);
    if (dd_jwt_sign(KEY, sizeof KEY, "k", "drydock", "drydock", sub, 1000000, 300, &acc, 1, &t) == DD_OK) {
        if (dd_jwt_verify(KEY, sizeof KEY, "drydock", "drydock", 1000000, 30, t.ptr, t.len, &c, NULL) != DD_OK)
            __builtin_trap();
        if (strcmp(c.sub, sub) || c.n_access != 1 || strcmp(c.access[0].name, sub)) __builtin_trap();
    }
    dd_buf_release(&t);
    return 0;
}
