/*
 * analyzer_int.h: internals shared by the analyzer's files (not installed).
 *
 * dd_decomp_t is the streaming decompressor in front of libarchive: it pulls
 * compressed bytes from a dd_read_fn into a fixed input buffer and hands out
 * decompressed chunks (pointers into its own fixed output buffer, or into the
 * input buffer for plain tar), enforcing the size and ratio limits.
 *
 * The dd_reg_* helpers (WWW-Authenticate parsing, Basic and Bearer headers)
 * are the registry client auth pieces of source_registry.c, also used by
 * vulndb/artifact.c for `db export` / `db update --from oci://`.
 */
#ifndef DD_ANALYZER_INT_H
#define DD_ANALYZER_INT_H

#include "dd/analyzer.h"

#define DD_DECOMP_BUF (256u << 10)

enum { DD_COMP_NONE = 0, DD_COMP_GZIP = 1, DD_COMP_ZSTD = 2 };

typedef struct dd_decomp dd_decomp_t;

/* Reads the first bytes and detects the compression. DD_DECLINED if the
 * stream is not a layer. On success *out must be freed with dd_decomp_free. */
int dd_decomp_open(dd_read_fn fn, void *arg, const dd_analyze_limits_t *lim, dd_decomp_t **out,
                   dd_err_t *e);
/* Next decompressed chunk: > 0 bytes at *p (valid until the next call), 0 at
 * the end of the stream, < 0 an rc with e set. */
ssize_t dd_decomp_next(dd_decomp_t *d, const void **p, dd_err_t *e);
int dd_decomp_kind(const dd_decomp_t *d);
uint64_t dd_decomp_bytes_in(const dd_decomp_t *d);
uint64_t dd_decomp_bytes_out(const dd_decomp_t *d);
/* Finishes the DiffID hash (if limits asked for it). */
void dd_decomp_diff_id(dd_decomp_t *d, dd_digest_t *out);
void dd_decomp_free(dd_decomp_t *d);

/* Registry auth helpers (source_registry.c), shared with vulndb/artifact.c. */
/* Copies the value of key=value or key="value" in a WWW-Authenticate
 * challenge into out; false if absent or longer than n - 1. */
bool dd_reg_chal_param(const char *ch, const char *key, char *out, size_t n);
/* "Authorization: Basic base64(user:pass)"; pass may be NULL. Free it. */
char *dd_reg_basic_header(const char *user, const char *pass);
/* "Authorization: Bearer T" from a token service's JSON answer ("token",
 * else "access_token"); NULL if there is none or it is over 16 KiB or holds
 * CR/LF. Free it. */
char *dd_reg_bearer_header(const char *body, size_t len);

#endif
