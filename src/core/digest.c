/*
 * digest.c: digest parsing (OCI grammar) and streaming SHA-256/512 hashing
 * through libcrypto's EVP interface.
 */
#include "dd/digest.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

struct dd_hasher {
    EVP_MD_CTX *ctx;
    dd_digest_alg_t alg;
};

const char *dd_digest_alg_name(dd_digest_alg_t alg)
{
    return alg == DD_DIGEST_SHA512 ? "sha512" : "sha256";
}

const char *dd_digest_hex(const dd_digest_t *d)
{
    const char *c = strchr(d->str, ':');
    return c ? c + 1 : d->str;
}

static bool is_alnum_lower(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

int dd_digest_parse(const char *s, dd_digest_t *out, dd_err_t *e)
{
    const char *colon = strchr(s, ':');
    if (!colon || colon == s)
        return dd_err(e, DD_EINVAL, "invalid digest '%.200s'", s);
    /* algorithm: components of [a-z0-9]+ joined by single separators */
    bool need_component = true;
    for (const char *p = s; p < colon; p++) {
        if (is_alnum_lower(*p)) {
            need_component = false;
        } else if (strchr("+._-", *p) && !need_component) {
            need_component = true;
        } else {
            return dd_err(e, DD_EINVAL, "invalid digest algorithm in '%.200s'", s);
        }
    }
    if (need_component) return dd_err(e, DD_EINVAL, "invalid digest algorithm in '%.200s'", s);
    const char *enc = colon + 1;
    size_t enclen = strlen(enc);
    if (enclen == 0) return dd_err(e, DD_EINVAL, "invalid digest '%.200s'", s);
    for (const char *p = enc; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '=' || c == '_' || c == '-'))
            return dd_err(e, DD_EINVAL, "invalid digest encoding in '%.200s'", s);
    }
    size_t alglen = (size_t)(colon - s);
    dd_digest_alg_t alg;
    size_t want;
    if (alglen == 6 && memcmp(s, "sha256", 6) == 0) {
        alg = DD_DIGEST_SHA256;
        want = 64;
    } else if (alglen == 6 && memcmp(s, "sha512", 6) == 0) {
        alg = DD_DIGEST_SHA512;
        want = 128;
    } else {
        return dd_err(e, DD_EUNSUPPORTED, "unsupported digest algorithm '%.*s'", (int)alglen, s);
    }
    if (enclen != want)
        return dd_err(e, DD_EINVAL, "invalid %s digest length in '%.200s'", dd_digest_alg_name(alg), s);
    for (const char *p = enc; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return dd_err(e, DD_EINVAL, "digest '%.200s' is not lowercase hex", s);
    if (out) {
        out->alg = alg;
        memcpy(out->str, s, alglen + 1 + enclen);
        out->str[alglen + 1 + enclen] = '\0';
    }
    return DD_OK;
}

dd_hasher_t *dd_hasher_new(dd_digest_alg_t alg)
{
    dd_hasher_t *h = dd_malloc(sizeof *h);
    h->alg = alg;
    h->ctx = EVP_MD_CTX_new();
    if (!h->ctx) DD_BUG("EVP_MD_CTX_new failed");
    EVP_DigestInit_ex(h->ctx, alg == DD_DIGEST_SHA512 ? EVP_sha512() : EVP_sha256(), NULL);
    return h;
}

void dd_hasher_update(dd_hasher_t *h, const void *p, size_t n)
{
    if (n) EVP_DigestUpdate(h->ctx, p, n);
}

void dd_hasher_final(dd_hasher_t *h, dd_digest_t *out)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(h->ctx, md, &len);
    const char *name = dd_digest_alg_name(h->alg);
    size_t o = strlen(name);
    memcpy(out->str, name, o);
    out->str[o++] = ':';
    for (unsigned i = 0; i < len; i++) {
        out->str[o++] = hex[md[i] >> 4];
        out->str[o++] = hex[md[i] & 15];
    }
    out->str[o] = '\0';
    out->alg = h->alg;
}

dd_hasher_t *dd_hasher_dup(const dd_hasher_t *h)
{
    dd_hasher_t *c = dd_malloc(sizeof *c);
    c->alg = h->alg;
    c->ctx = EVP_MD_CTX_new();
    if (!c->ctx || !EVP_MD_CTX_copy_ex(c->ctx, h->ctx)) DD_BUG("EVP_MD_CTX_copy failed");
    return c;
}

void dd_hasher_copy(dd_hasher_t *dst, const dd_hasher_t *src)
{
    if (dst->alg != src->alg || !EVP_MD_CTX_copy_ex(dst->ctx, src->ctx)) DD_BUG("EVP_MD_CTX_copy failed");
}

void dd_hasher_free(dd_hasher_t *h)
{
    if (!h) return;
    EVP_MD_CTX_free(h->ctx);
    free(h);
}

void dd_digest_buf(dd_digest_alg_t alg, const void *p, size_t n, dd_digest_t *out)
{
    dd_hasher_t *h = dd_hasher_new(alg);
    dd_hasher_update(h, p, n);
    dd_hasher_final(h, out);
    dd_hasher_free(h);
}
