/*
 * digest.h: content digests as the OCI image spec defines them,
 * "algorithm:encoded", and streaming hashers over OpenSSL's libcrypto.
 *
 * Grammar (image-spec descriptor.md):
 *   digest     ::= algorithm ":" encoded
 *   algorithm  ::= algorithm-component (algorithm-separator algorithm-component)*
 *   algorithm-component ::= [a-z0-9]+
 *   algorithm-separator ::= [+._-]
 *   encoded    ::= [a-zA-Z0-9=_-]+
 * Registered algorithms: sha256 (64 lowercase hex), sha512 (128 lowercase hex).
 */
#ifndef DD_DIGEST_H
#define DD_DIGEST_H

#include "dd/core.h"

typedef enum { DD_DIGEST_SHA256 = 1, DD_DIGEST_SHA512 = 2 } dd_digest_alg_t;

#define DD_DIGEST_MAX 136 /* "sha512:" + 128 hex + NUL */

typedef struct dd_digest {
    dd_digest_alg_t alg;
    char str[DD_DIGEST_MAX]; /* canonical "sha256:<hex>" */
} dd_digest_t;

/* Parses and validates s. DD_EINVAL for a malformed digest, DD_EUNSUPPORTED
 * for a well-formed digest with an algorithm other than sha256/sha512. */
int dd_digest_parse(const char *s, dd_digest_t *out, dd_err_t *e);
/* The hex part of a parsed digest. */
const char *dd_digest_hex(const dd_digest_t *d);
const char *dd_digest_alg_name(dd_digest_alg_t alg);

/* Streaming hasher. */
typedef struct dd_hasher dd_hasher_t;
dd_hasher_t *dd_hasher_new(dd_digest_alg_t alg);
void dd_hasher_update(dd_hasher_t *h, const void *p, size_t n);
/* Finishes into out (canonical string). The hasher can't be updated after. */
void dd_hasher_final(dd_hasher_t *h, dd_digest_t *out);
/* Copies the state (to report the digest so far without ending the stream). */
dd_hasher_t *dd_hasher_dup(const dd_hasher_t *h);
/* Sets dst's state to src's (same algorithm): a snapshot to go back to. */
void dd_hasher_copy(dd_hasher_t *dst, const dd_hasher_t *src);
void dd_hasher_free(dd_hasher_t *h);

/* One-shot digest of a buffer. */
void dd_digest_buf(dd_digest_alg_t alg, const void *p, size_t n, dd_digest_t *out);

#endif
