/*
 * jwt.c: compact JSON Web Tokens (RFC 7519) signed with HS256 (HMAC-SHA256,
 * OpenSSL libcrypto), carrying the Docker token spec's "access" claim:
 *
 *   header  {"alg":"HS256","typ":"JWT","kid":"<key id>"}
 *   claims  {"iss":..,"sub":..,"aud":..,"exp":..,"nbf":..,"iat":..,"jti":..,
 *            "access":[{"type":"repository","name":"team/app","actions":["pull"]}]}
 *
 * Verification order: size limit, three base64url parts, header JSON with
 * alg exactly "HS256" (no "none", no algorithm confusion), signature compared
 * in constant time BEFORE the claims are parsed, then iss, aud, exp, nbf,
 * iat (with leeway) and the access list (bounded: DD_JWT_ACCESS_MAX entries).
 * The key is symmetric and never leaves the server: the token endpoint signs
 * and the same process verifies.
 */
#include "dd/auth.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static void b64url(dd_buf_t *b, const void *p, size_t n)
{
    size_t cap = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *tmp = dd_malloc(cap);
    sodium_bin2base64(tmp, cap, p, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    dd_buf_puts(b, tmp);
    free(tmp);
}

/* Decodes base64url (no padding) into a new NUL-terminated buffer. */
static unsigned char *unb64url(const char *s, size_t n, size_t *out_n)
{
    unsigned char *out = dd_malloc(n + 1);
    size_t bin = 0;
    if (sodium_base642bin(out, n, s, n, NULL, &bin, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0) {
        free(out);
        return NULL;
    }
    out[bin] = '\0';
    *out_n = bin;
    return out;
}

static void hs256(const uint8_t *key, size_t keylen, const char *data, size_t n, unsigned char mac[32])
{
    unsigned int ml = 32;
    if (!HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)data, n, mac, &ml)) DD_BUG("hmac failed");
}

/* Each set returns 0 on success; a NULL value (e.g. a string that is not
 * UTF-8) makes it fail without leaking. */
static int set(json_t *o, const char *k, json_t *v)
{
    return json_object_set_new(o, k, v);
}

static json_t *access_json(const dd_scope_t *access, size_t n)
{
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {{DD_SCOPE_PULL, "pull"}, {DD_SCOPE_PUSH, "push"}, {DD_SCOPE_DELETE, "delete"}, {DD_SCOPE_ALL, "*"}};
    json_t *arr = json_array();
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *acts = json_array(), *e = json_object();
        for (size_t k = 0; k < 4; k++)
            if (access[i].actions & names[k].bit) bad |= json_array_append_new(acts, json_string(names[k].name));
        bad |= set(e, "type", json_string(access[i].type));
        bad |= set(e, "name", json_string(access[i].name));
        bad |= set(e, "actions", acts);
        bad |= json_array_append_new(arr, e);
    }
    if (bad) {
        json_decref(arr);
        return NULL;
    }
    return arr;
}

int dd_jwt_sign(const uint8_t *key, size_t keylen, const char *kid, const char *iss, const char *aud,
                const char *sub, int64_t now, int64_t ttl, const dd_scope_t *access, size_t n_access,
                dd_buf_t *out)
{
    char jti[33];
    dd_random_hex(jti, 16);
    json_t *hdr = json_object(), *cl = json_object();
    int bad = set(hdr, "alg", json_string("HS256")) | set(hdr, "typ", json_string("JWT")) |
              set(hdr, "kid", json_string(kid ? kid : ""));
    bad |= set(cl, "iss", json_string(iss)) | set(cl, "sub", json_string(sub ? sub : "")) |
           set(cl, "aud", json_string(aud)) | set(cl, "exp", json_integer((json_int_t)(now + ttl))) |
           set(cl, "nbf", json_integer((json_int_t)now)) | set(cl, "iat", json_integer((json_int_t)now)) |
           set(cl, "jti", json_string(jti)) | set(cl, "access", access_json(access, n_access));
    if (bad) {
        json_decref(hdr);
        json_decref(cl);
        return DD_EINVAL;
    }
    char *hs = json_dumps(hdr, JSON_COMPACT);
    char *cs = json_dumps(cl, JSON_COMPACT);
    json_decref(hdr);
    json_decref(cl);
    if (!hs || !cs) {
        free(hs);
        free(cs);
        return DD_ENOMEM;
    }
    dd_buf_reset(out);
    b64url(out, hs, strlen(hs));
    dd_buf_putc(out, '.');
    b64url(out, cs, strlen(cs));
    free(hs);
    free(cs);
    unsigned char mac[32];
    hs256(key, keylen, out->ptr, out->len, mac);
    dd_buf_putc(out, '.');
    b64url(out, mac, sizeof mac);
    return out->ptr ? DD_OK : DD_ENOMEM;
}

static int parse_access(json_t *acc, dd_jwt_claims_t *out, dd_err_t *e)
{
    if (!acc) return DD_OK;
    if (!json_is_array(acc)) return dd_err(e, DD_EAUTH, "access claim is not an array");
    if (json_array_size(acc) > DD_JWT_ACCESS_MAX) return dd_err(e, DD_EAUTH, "too many access entries");
    size_t i;
    json_t *it;
    json_array_foreach(acc, i, it) {
        json_t *t = json_object_get(it, "type"), *nm = json_object_get(it, "name"), *acts = json_object_get(it, "actions");
        if (!json_is_string(t) || !json_is_string(nm) || !json_is_array(acts))
            return dd_err(e, DD_EAUTH, "malformed access entry");
        dd_scope_t *s = &out->access[out->n_access];
        memset(s, 0, sizeof *s);
        if (json_string_length(t) >= sizeof s->type || json_string_length(nm) >= sizeof s->name)
            return dd_err(e, DD_EAUTH, "access entry too long");
        memcpy(s->type, json_string_value(t), json_string_length(t));
        memcpy(s->name, json_string_value(nm), json_string_length(nm));
        if (strlen(s->type) != json_string_length(t) || strlen(s->name) != json_string_length(nm))
            return dd_err(e, DD_EAUTH, "NUL in access entry");
        if (json_array_size(acts) > 16) return dd_err(e, DD_EAUTH, "too many actions");
        size_t k;
        json_t *a;
        json_array_foreach(acts, k, a) {
            if (!json_is_string(a)) return dd_err(e, DD_EAUTH, "malformed action");
            const char *v = json_string_value(a);
            if (!strcmp(v, "pull")) s->actions |= DD_SCOPE_PULL;
            else if (!strcmp(v, "push")) s->actions |= DD_SCOPE_PUSH;
            else if (!strcmp(v, "delete")) s->actions |= DD_SCOPE_DELETE;
            else if (!strcmp(v, "*")) s->actions |= DD_SCOPE_ALL;
        }
        out->n_access++;
    }
    return DD_OK;
}

static bool aud_ok(json_t *aud, const char *want)
{
    if (json_is_string(aud)) return !strcmp(json_string_value(aud), want);
    if (!json_is_array(aud) || json_array_size(aud) > 16) return false;
    size_t i;
    json_t *it;
    json_array_foreach(aud, i, it) if (json_is_string(it) && !strcmp(json_string_value(it), want)) return true;
    return false;
}

static int get_time(json_t *cl, const char *k, bool required, int64_t *out, dd_err_t *e)
{
    json_t *v = json_object_get(cl, k);
    if (!v) {
        *out = 0;
        return required ? dd_err(e, DD_EAUTH, "token has no '%s'", k) : DD_OK;
    }
    if (!json_is_integer(v)) return dd_err(e, DD_EAUTH, "'%s' is not an integer", k);
    *out = (int64_t)json_integer_value(v);
    return DD_OK;
}

int dd_jwt_verify(const uint8_t *key, size_t keylen, const char *iss, const char *aud, int64_t now,
                  int64_t leeway, const char *tok, size_t len, dd_jwt_claims_t *out, dd_err_t *e)
{
    memset(out, 0, sizeof *out);
    if (len == 0 || len > DD_JWT_MAX) return dd_err(e, DD_EAUTH, "token empty or too long");
    const char *d1 = memchr(tok, '.', len);
    if (!d1) return dd_err(e, DD_EAUTH, "malformed token");
    const char *d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - tok));
    if (!d2 || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - tok))) return dd_err(e, DD_EAUTH, "malformed token");
    size_t hn = 0, cn = 0, sn = 0;
    unsigned char *h = unb64url(tok, (size_t)(d1 - tok), &hn);
    if (!h) return dd_err(e, DD_EAUTH, "malformed token header");
    json_error_t je;
    json_t *hdr = json_loadb((const char *)h, hn, JSON_REJECT_DUPLICATES, &je);
    free(h);
    const char *alg = hdr ? json_string_value(json_object_get(hdr, "alg")) : NULL;
    bool alg_ok = alg && !strcmp(alg, "HS256");
    json_decref(hdr);
    if (!alg_ok) return dd_err(e, DD_EAUTH, "unsupported token algorithm");
    unsigned char *sig = unb64url(d2 + 1, len - (size_t)(d2 + 1 - tok), &sn);
    if (!sig) return dd_err(e, DD_EAUTH, "malformed token signature");
    unsigned char mac[32];
    hs256(key, keylen, tok, (size_t)(d2 - tok), mac);
    bool sig_ok = sn == sizeof mac && CRYPTO_memcmp(sig, mac, sizeof mac) == 0;
    free(sig);
    if (!sig_ok) return dd_err(e, DD_EAUTH, "bad token signature");
    unsigned char *c = unb64url(d1 + 1, (size_t)(d2 - d1 - 1), &cn);
    if (!c) return dd_err(e, DD_EAUTH, "malformed token claims");
    json_t *cl = json_loadb((const char *)c, cn, JSON_REJECT_DUPLICATES, &je);
    free(c);
    if (!json_is_object(cl)) {
        json_decref(cl);
        return dd_err(e, DD_EAUTH, "malformed token claims");
    }
    int rc = DD_OK;
    const char *v_iss = json_string_value(json_object_get(cl, "iss"));
    const char *v_sub = json_string_value(json_object_get(cl, "sub"));
    const char *v_jti = json_string_value(json_object_get(cl, "jti"));
    if (!v_iss || strcmp(v_iss, iss)) rc = dd_err(e, DD_EAUTH, "wrong token issuer");
    else if (!aud_ok(json_object_get(cl, "aud"), aud)) rc = dd_err(e, DD_EAUTH, "wrong token audience");
    else if ((rc = get_time(cl, "exp", true, &out->exp, e)) || (rc = get_time(cl, "nbf", false, &out->nbf, e)) ||
             (rc = get_time(cl, "iat", false, &out->iat, e))) {
    } else if (out->exp + leeway < now) rc = dd_err(e, DD_EAUTH, "token expired");
    else if (out->nbf > now + leeway) rc = dd_err(e, DD_EAUTH, "token not valid yet");
    else if (out->iat > now + leeway) rc = dd_err(e, DD_EAUTH, "token issued in the future");
    else if (v_sub && strlen(v_sub) >= sizeof out->sub) rc = dd_err(e, DD_EAUTH, "token subject too long");
    else rc = parse_access(json_object_get(cl, "access"), out, e);
    if (rc == DD_OK) {
        snprintf(out->sub, sizeof out->sub, "%s", v_sub ? v_sub : "");
        snprintf(out->jti, sizeof out->jti, "%s", v_jti ? v_jti : "");
    }
    json_decref(cl);
    if (rc != DD_OK) rc = DD_EAUTH;
    return rc;
}

bool dd_jwt_covers(const dd_jwt_claims_t *c, dd_action_t a, const char *repo)
{
    unsigned need;
    const char *type, *name;
    switch (a) {
    case DD_ACT_PULL: need = DD_SCOPE_PULL; break;
    case DD_ACT_PUSH: need = DD_SCOPE_PUSH; break;
    case DD_ACT_DELETE: need = DD_SCOPE_DELETE; break;
    case DD_ACT_CATALOG: need = DD_SCOPE_ALL; break;
    default: return false;
    }
    if (a == DD_ACT_CATALOG) {
        type = "registry";
        name = "catalog";
    } else {
        if (!repo) return false;
        type = "repository";
        name = repo;
    }
    for (size_t i = 0; i < c->n_access; i++) {
        const dd_scope_t *s = &c->access[i];
        if (strcmp(s->type, type) || strcmp(s->name, name)) continue;
        if (s->actions & need) return true;
        if (a != DD_ACT_CATALOG && (s->actions & DD_SCOPE_ALL)) return true;
    }
    return false;
}
