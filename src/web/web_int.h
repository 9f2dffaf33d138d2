/*
 * web_int.h: the embedded asset table that cmake/embed_assets.cmake
 * generates (web_assets.c in the build tree) and web.c serves.
 */
#ifndef DD_WEB_INT_H
#define DD_WEB_INT_H

#include <stddef.h>

typedef struct dd_web_asset {
    const char *path;          /* relative to src/web/assets, e.g. "pages/image.js" */
    const char *type;          /* Content-Type */
    const unsigned char *data; /* the bytes (NUL-terminated, not counted in len) */
    size_t len;
    const char *hash;          /* first 16 hex digits of SHA-256(data): the ETag */
} dd_web_asset_t;

/* Sorted by path (strcmp order). */
extern const dd_web_asset_t dd_web_assets[];
extern const size_t dd_web_n_assets;
extern const char dd_web_build[];

#endif
