/*
 * fuzz_router.c: libFuzzer driver for the router's pure pieces: the input is
 * "METHOD PATH?QUERY"; the path is decoded, matched against the registry's
 * patterns, the name checked with the grammar, and the query decoded.
 */
#include "dd/http.h"
#include "dd/registry.h"

#include <stdint.h>
#include <string.h>

static const char *patterns[] = {
    "/v2/", "/v2/_catalog", "/v2/{name}/blobs/{digest}", "/v2/{name}/blobs/uploads/",
    "/v2/{name}/blobs/uploads/{uuid}", "/v2/{name}/manifests/{reference}", "/v2/{name}/referrers/{digest}",
    "/v2/{name}/tags/list", "/api/v1/{a}/{b}/{c}/{d}/{e}",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 8192) return 0;
    dd_arena_t a;
    dd_arena_init(&a);
    char *in = dd_arena_strndup(&a, (const char *)data, size);
    char *sp = strchr(in, ' ');
    const char *uri = sp ? sp + 1 : in;
    const char *q = strchr(uri, '?');
    size_t plen = q ? (size_t)(q - uri) : strlen(uri);
    char *path = NULL;
    if (dd_http_path_decode(uri, plen, &a, &path) == DD_OK && path[0] == '/') {
        for (size_t i = 0; i < sizeof patterns / sizeof *patterns; i++) {
            const char *name, *vn[DD_ROUTE_VARS], *vv[DD_ROUTE_VARS];
            size_t nv;
            if (dd_route_match(patterns[i], path, &a, &name, vn, vv, &nv)) {
                if (name) (void)dd_repo_name_valid(name);
                for (size_t j = 0; j < nv; j++) (void)dd_tag_valid(vv[j]);
            }
        }
    }
    if (q) {
        const char *s = q + 1;
        while (*s) {
            const char *amp = strchr(s, '&');
            size_t n = amp ? (size_t)(amp - s) : strlen(s);
            (void)dd_http_query_decode(s, n, &a);
            if (!amp) break;
            s = amp + 1;
        }
    }
    dd_arena_release(&a);
    return 0;
}
