/*
 * users.c: credentials: user names, password hashing (argon2id through
 * libsodium's crypto_pwhash_str with the INTERACTIVE limits: 2 passes over
 * 64 MiB), robot token secrets (stored only as SHA-256), durations, and the
 * loopback test for listen addresses.
 */
#include "dd/auth.h"

#include <ctype.h>
#include <openssl/sha.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void sodium_once(void)
{
    static int done;
    if (!__atomic_load_n(&done, __ATOMIC_ACQUIRE)) {
        if (sodium_init() < 0) DD_BUG("sodium_init failed");
        __atomic_store_n(&done, 1, __ATOMIC_RELEASE);
    }
}

bool dd_user_name_valid(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n >= DD_AUTH_NAME_MAX) return false;
    if (!islower((unsigned char)name[0]) && !isdigit((unsigned char)name[0])) return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (!(islower(c) || isdigit(c) || c == '.' || c == '_' || c == '-')) return false;
    }
    return true;
}

int dd_password_check(const char *pw, dd_err_t *e)
{
    size_t n = pw ? strlen(pw) : 0;
    if (n == 0) return dd_err(e, DD_EINVAL, "empty password");
    if (n > 1024) return dd_err(e, DD_EINVAL, "password longer than 1024 bytes");
    if (strpbrk(pw, "\r\n")) return dd_err(e, DD_EINVAL, "password contains a line break");
    return DD_OK;
}

int dd_password_hash(const char *pw, char out[DD_AUTH_PWHASH_MAX], dd_err_t *e)
{
    sodium_once();
    int rc = dd_password_check(pw, e);
    if (rc) return rc;
    if (crypto_pwhash_str(out, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return dd_err(e, DD_ENOMEM, "password hashing failed (out of memory)");
    return DD_OK;
}

bool dd_password_verify(const char *hash, const char *pw)
{
    sodium_once();
    if (!hash || !pw || !memchr(hash, '\0', DD_AUTH_PWHASH_MAX)) return false;
    return crypto_pwhash_str_verify(hash, pw, strlen(pw)) == 0;
}

void dd_token_hash(const char *secret, char hex[65])
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)secret, strlen(secret), md);
    for (int i = 0; i < SHA256_DIGEST_LENGTH; i++) snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

void dd_token_generate(char id[DD_TOKEN_ID_MAX], char secret[DD_TOKEN_SECRET_MAX], char hash_hex[65])
{
    sodium_once();
    char hex[17];
    dd_random_hex(hex, 8);
    snprintf(id, DD_TOKEN_ID_MAX, "t_%s", hex);
    unsigned char raw[32];
    if (dd_random_bytes(raw, sizeof raw) != DD_OK) DD_BUG("no randomness");
    memcpy(secret, DD_TOKEN_PREFIX, 4);
    sodium_bin2base64(secret + 4, DD_TOKEN_SECRET_MAX - 4, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
    dd_token_hash(secret, hash_hex);
}

int dd_duration_parse(const char *s, int64_t *secs, dd_err_t *e)
{
    if (!s || !*s) return dd_err(e, DD_EINVAL, "empty duration");
    if (!strcmp(s, "never") || !strcmp(s, "0")) {
        *secs = 0;
        return DD_OK;
    }
    char *end;
    long long n = strtoll(s, &end, 10);
    if (end == s || n <= 0 || n > 1000000) return dd_err(e, DD_EINVAL, "invalid duration '%s'", s);
    int64_t mul;
    if (!strcmp(end, "s") || !*end) mul = 1;
    else if (!strcmp(end, "m")) mul = 60;
    else if (!strcmp(end, "h")) mul = 3600;
    else if (!strcmp(end, "d")) mul = 86400;
    else if (!strcmp(end, "w")) mul = 7 * 86400;
    else if (!strcmp(end, "y")) mul = 365 * 86400;
    else return dd_err(e, DD_EINVAL, "invalid duration '%s' (use e.g. 90s, 30m, 12h, 30d, 1y, never)", s);
    if (n * mul > 100LL * 365 * 86400) return dd_err(e, DD_EINVAL, "duration '%s' too long", s);
    *secs = n * mul;
    return DD_OK;
}

bool dd_listen_is_loopback(const char *listen)
{
    if (!listen) return false;
    const char *colon = strrchr(listen, ':');
    size_t hl = colon ? (size_t)(colon - listen) : strlen(listen);
    char host[256];
    if (hl >= sizeof host) return false;
    memcpy(host, listen, hl);
    host[hl] = '\0';
    if (!strcmp(host, "localhost") || !strcmp(host, "[::1]")) return true;
    return !strncmp(host, "127.", 4);
}
