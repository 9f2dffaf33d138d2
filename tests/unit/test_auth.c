/*
 * test_auth.c: unit tests of src/auth (issue 6): the role matrix, globs,
 * scopes, JWT sign/verify (tampering, alg none, expiry, audience, issuer,
 * scope coverage), argon2id round trip, token secrets, durations, the
 * failed-login rate limiter, the audit log, and the metadata store's users
 * and tokens (sqlite driver, migration 2).
 */
#include "test.h"

#include "dd/auth.h"
#include "dd/meta.h"

#include <fcntl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const uint8_t KEY[32] = "0123456789abcdef0123456789abcde";

/* ---- roles ------------------------------------------------------------------ */

TEST(role_parse)
{
    dd_role_t r;
    CHECK_INT(dd_role_parse("Reader", &r), DD_OK);
    CHECK_INT(r, DD_ROLE_READER);
    CHECK_INT(dd_role_parse("security-reader", &r), DD_OK);
    CHECK_INT(r, DD_ROLE_SECURITY_READER);
    CHECK_INT(dd_role_parse("SecurityReader", &r), DD_OK);
    CHECK_INT(r, DD_ROLE_SECURITY_READER);
    CHECK_INT(dd_role_parse("owner", &r), DD_OK);
    CHECK_STR(dd_role_name(r), "owner");
    CHECK_INT(dd_role_parse("admin", &r), DD_EINVAL);
    CHECK_INT(dd_role_parse("", &r), DD_EINVAL);
}

TEST(role_matrix)
{
    /* rows: reader, writer, deleter, owner, securityreader;
     * cols: pull push delete catalog scan-read admin authenticated */
    static const struct {
        dd_role_t r;
        int want[7];
    } m[] = {
        /* issue 15: a role that may pull reads scan results */
        {DD_ROLE_READER, {1, 0, 0, 1, 1, 0, 1}},
        {DD_ROLE_WRITER, {1, 1, 0, 1, 1, 0, 1}},
        {DD_ROLE_DELETER, {0, 0, 1, 1, 0, 0, 1}},
        {DD_ROLE_OWNER, {1, 1, 1, 1, 1, 1, 1}},
        {DD_ROLE_SECURITY_READER, {0, 0, 0, 1, 1, 0, 1}},
    };
    static const dd_action_t acts[7] = {DD_ACT_PULL, DD_ACT_PUSH, DD_ACT_DELETE, DD_ACT_CATALOG,
                                        DD_ACT_SCAN_READ, DD_ACT_ADMIN, DD_ACT_AUTHENTICATED};
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
        for (int k = 0; k < 7; k++) {
            if (dd_role_allows(m[i].r, acts[k]) != (bool)m[i].want[k])
                fprintf(stderr, "  role %s action %s\n", dd_role_name(m[i].r), dd_action_name(acts[k]));
            CHECK(dd_role_allows(m[i].r, acts[k]) == (bool)m[i].want[k]);
        }
    CHECK(!dd_role_allows(DD_ROLE_NONE, DD_ACT_PULL));
    CHECK(!dd_role_allows(DD_ROLE_OWNER, (dd_action_t)99));
}

/* ---- globs ------------------------------------------------------------------ */

TEST(glob)
{
    CHECK(dd_glob_match("*", "a/b/c"));
    CHECK(dd_glob_match("team/*", "team/app"));
    CHECK(dd_glob_match("team/*", "team/a/b"));
    CHECK(!dd_glob_match("team/*", "teamx/app"));
    CHECK(!dd_glob_match("team/*", "team"));
    CHECK(dd_glob_match("team/ap?", "team/app"));
    CHECK(!dd_glob_match("team/ap?", "team/ap"));
    CHECK(dd_glob_match("*/app", "x/y/app"));
    CHECK(dd_glob_match("a*b*c", "axxbyyc"));
    CHECK(!dd_glob_match("a*b*c", "axxbyy"));
    CHECK(dd_glob_match("exact", "exact"));
    CHECK(!dd_glob_match("exact", "exactly"));
    CHECK(dd_glob_match("**", ""));
    /* a '*' in the name is not a literal match for the pattern's '*' (fuzz_scope) */
    CHECK(dd_glob_match("*", "**c"));
    CHECK(dd_glob_match("a*", "a*x"));
    /* pathological pattern stays fast (no exponential backtracking) */
    CHECK(!dd_glob_match("*a*a*a*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
}

TEST(glob_lists)
{
    CHECK(dd_globs_match("", "anything"));
    CHECK(dd_globs_match(NULL, "anything"));
    CHECK(!dd_globs_match_any("", "anything"));
    CHECK(dd_globs_match("a/*, b/*", "b/x"));
    CHECK(dd_globs_match("a/*,b/*", "a/x"));
    CHECK(!dd_globs_match("a/*,b/*", "c/x"));
    CHECK(dd_globs_match_any("public/*", "public/debian"));
    CHECK(!dd_globs_match("a/*", NULL));
    dd_err_t e;
    CHECK_INT(dd_globs_validate("team/*,lib-?", &e), DD_OK);
    CHECK_INT(dd_globs_validate("Team/*", &e), DD_EINVAL);
    CHECK_INT(dd_globs_validate("a;b", &e), DD_EINVAL);
}

/* ---- scopes ----------------------------------------------------------------- */

static int parse(const char *s, dd_scope_t *sc)
{
    return dd_scope_parse(s, strlen(s), sc, NULL);
}

TEST(scope_parse)
{
    dd_scope_t s;
    CHECK_INT(parse("repository:team/app:pull,push", &s), DD_OK);
    CHECK_STR(s.type, "repository");
    CHECK_STR(s.name, "team/app");
    CHECK_INT(s.actions, DD_SCOPE_PULL | DD_SCOPE_PUSH);
    CHECK_INT(parse("registry:catalog:*", &s), DD_OK);
    CHECK_STR(s.type, "registry");
    CHECK_STR(s.name, "catalog");
    CHECK_INT(s.actions, DD_SCOPE_ALL);
    CHECK_INT(parse("repository(plugin):x:pull", &s), DD_OK);
    CHECK_STR(s.type, "repository");
    /* a name with a port: the actions follow the last ':' */
    CHECK_INT(parse("repository:localhost:5000/app:delete", &s), DD_OK);
    CHECK_STR(s.name, "localhost:5000/app");
    CHECK_INT(s.actions, DD_SCOPE_DELETE);
    CHECK_INT(parse("repository:a:bogus,pull", &s), DD_OK);
    CHECK_INT(s.actions, DD_SCOPE_PULL);
    CHECK_INT(parse("repository:a:", &s), DD_OK);
    CHECK_INT(s.actions, 0);
    CHECK_INT(parse("repository", &s), DD_EINVAL);
    CHECK_INT(parse("repository:a", &s), DD_EINVAL);
    CHECK_INT(parse(":a:pull", &s), DD_EINVAL);
    CHECK_INT(parse("repository::pull", &s), DD_EINVAL);
    CHECK_INT(parse("Repo:a:pull", &s), DD_EINVAL);
    CHECK_INT(parse("repository(x:a:pull", &s), DD_EINVAL);
    CHECK_INT(parse("repository:a b:pull", &s), DD_EINVAL);
    char big[1024];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    memcpy(big, "repository:", 11);
    CHECK_INT(parse(big, &s), DD_EINVAL);
    dd_buf_t b;
    dd_buf_init(&b, 0);
    dd_scope_actions_str(DD_SCOPE_PULL | DD_SCOPE_DELETE, &b);
    CHECK_STR(b.ptr, "pull,delete");
    dd_buf_release(&b);
}

/* ---- JWT -------------------------------------------------------------------- */

static void sign(const char *sub, int64_t now, int64_t ttl, const dd_scope_t *acc, size_t n, dd_buf_t *out)
{
    dd_buf_init(out, 0);
    CHECK_INT(dd_jwt_sign(KEY, sizeof KEY, "kid1", "drydock", "drydock", sub, now, ttl, acc, n, out), DD_OK);
}

static int verify(const char *tok, int64_t now, dd_jwt_claims_t *c)
{
    return dd_jwt_verify(KEY, sizeof KEY, "drydock", "drydock", now, 30, tok, strlen(tok), c, NULL);
}

TEST(jwt_roundtrip)
{
    dd_scope_t acc[2];
    memset(acc, 0, sizeof acc);
    strcpy(acc[0].type, "repository");
    strcpy(acc[0].name, "team/app");
    acc[0].actions = DD_SCOPE_PULL | DD_SCOPE_PUSH;
    strcpy(acc[1].type, "registry");
    strcpy(acc[1].name, "catalog");
    acc[1].actions = DD_SCOPE_ALL;
    dd_buf_t t;
    sign("alice", 1000000, 300, acc, 2, &t);
    dd_jwt_claims_t c;
    CHECK_INT(verify(t.ptr, 1000100, &c), DD_OK);
    CHECK_STR(c.sub, "alice");
    CHECK_INT(c.exp, 1000300);
    CHECK_INT(c.n_access, 2);
    CHECK(dd_jwt_covers(&c, DD_ACT_PULL, "team/app"));
    CHECK(dd_jwt_covers(&c, DD_ACT_PUSH, "team/app"));
    CHECK(!dd_jwt_covers(&c, DD_ACT_DELETE, "team/app"));
    CHECK(!dd_jwt_covers(&c, DD_ACT_PULL, "team/other")); /* token for A used on B */
    CHECK(!dd_jwt_covers(&c, DD_ACT_PULL, NULL));
    CHECK(dd_jwt_covers(&c, DD_ACT_CATALOG, NULL));
    CHECK(!dd_jwt_covers(&c, DD_ACT_SCAN_READ, "team/app"));
    dd_buf_release(&t);
}

TEST(jwt_expiry_and_times)
{
    dd_buf_t t;
    sign("alice", 1000000, 300, NULL, 0, &t);
    dd_jwt_claims_t c;
    CHECK_INT(verify(t.ptr, 1000300 + 29, &c), DD_OK);  /* within leeway */
    CHECK_INT(verify(t.ptr, 1000300 + 31, &c), DD_EAUTH); /* expired */
    CHECK_INT(verify(t.ptr, 1000000 - 31, &c), DD_EAUTH); /* not valid yet */
    CHECK_INT(verify(t.ptr, 1000000 - 29, &c), DD_OK);
    dd_buf_release(&t);
}

TEST(jwt_wrong_key_aud_iss)
{
    dd_buf_t t;
    sign("alice", 1000000, 300, NULL, 0, &t);
    dd_jwt_claims_t c;
    uint8_t other[32];
    memcpy(other, KEY, 32);
    other[0] ^= 1;
    CHECK_INT(dd_jwt_verify(other, 32, "drydock", "drydock", 1000000, 30, t.ptr, t.len, &c, NULL), DD_EAUTH);
    CHECK_INT(dd_jwt_verify(KEY, 32, "drydock", "other-service", 1000000, 30, t.ptr, t.len, &c, NULL), DD_EAUTH);
    CHECK_INT(dd_jwt_verify(KEY, 32, "someone", "drydock", 1000000, 30, t.ptr, t.len, &c, NULL), DD_EAUTH);
    dd_buf_release(&t);
}

static char *b64u(const char *s)
{
    size_t cap = sodium_base64_ENCODED_LEN(strlen(s), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *out = malloc(cap);
    sodium_bin2base64(out, cap, (const unsigned char *)s, strlen(s), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return out;
}

TEST(jwt_tampered)
{
    dd_buf_t t;
    sign("alice", 1000000, 300, NULL, 0, &t);
    dd_jwt_claims_t c;
    char *d1 = strchr(t.ptr, '.'), *d2 = strrchr(t.ptr, '.');
    /* payload replaced (sub: admin), signature kept */
    char *payload = b64u("{\"iss\":\"drydock\",\"sub\":\"admin\",\"aud\":\"drydock\",\"exp\":1000300,"
                         "\"access\":[{\"type\":\"repository\",\"name\":\"x\",\"actions\":[\"push\"]}]}");
    char *forged = dd_asprintf("%.*s.%s%s", (int)(d1 - t.ptr), t.ptr, payload, d2);
    CHECK_INT(verify(forged, 1000000, &c), DD_EAUTH);
    free(forged);
    /* one signature character flipped */
    char *flip = dd_strdup(t.ptr);
    size_t last = strlen(flip) - 2;
    flip[last] = flip[last] == 'A' ? 'B' : 'A';
    CHECK_INT(verify(flip, 1000000, &c), DD_EAUTH);
    free(flip);
    /* alg none with an empty signature */
    char *hnone = b64u("{\"alg\":\"none\",\"typ\":\"JWT\"}");
    char *none = dd_asprintf("%s.%s.", hnone, payload);
    CHECK_INT(verify(none, 1000000, &c), DD_EAUTH);
    free(none);
    /* alg none with the original signature, and other algorithms */
    char *none2 = dd_asprintf("%s.%.*s", hnone, (int)(strlen(d1 + 1)), d1 + 1);
    CHECK_INT(verify(none2, 1000000, &c), DD_EAUTH);
    free(none2);
    free(hnone);
    char *hrs = b64u("{\"alg\":\"RS256\"}");
    char *rs = dd_asprintf("%s%s", hrs, d1);
    CHECK_INT(verify(rs, 1000000, &c), DD_EAUTH);
    free(rs);
    free(hrs);
    free(payload);
    /* structure */
    CHECK_INT(verify("", 1000000, &c), DD_EAUTH);
    CHECK_INT(verify("abc", 1000000, &c), DD_EAUTH);
    CHECK_INT(verify("a.b", 1000000, &c), DD_EAUTH);
    CHECK_INT(verify("a.b.c.d", 1000000, &c), DD_EAUTH);
    CHECK_INT(verify("!!.!!.!!", 1000000, &c), DD_EAUTH);
    char *extra = dd_asprintf("%s.", t.ptr);
    CHECK_INT(verify(extra, 1000000, &c), DD_EAUTH);
    free(extra);
    dd_buf_release(&t);
}

/* A correctly signed token whose claims are hostile. */
static int verify_claims(const char *claims_json, dd_jwt_claims_t *c)
{
    char *h = b64u("{\"alg\":\"HS256\",\"typ\":\"JWT\"}");
    char *p = b64u(claims_json);
    char *si = dd_asprintf("%s.%s", h, p);
    unsigned char mac[32];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, KEY, sizeof KEY);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)si, strlen(si));
    crypto_auth_hmacsha256_final(&st, mac);
    char sig[64];
    sodium_bin2base64(sig, sizeof sig, mac, 32, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *tok = dd_asprintf("%s.%s", si, sig);
    int rc = verify(tok, 1000000, c);
    free(h);
    free(p);
    free(si);
    free(tok);
    return rc;
}

TEST(jwt_hostile_claims)
{
    dd_jwt_claims_t c;
    CHECK_INT(verify_claims("{\"iss\":\"drydock\",\"aud\":\"drydock\",\"exp\":1000300,\"sub\":\"a\"}", &c), DD_OK);
    CHECK_INT(verify_claims("{\"iss\":\"drydock\",\"aud\":[\"x\",\"drydock\"],\"exp\":1000300}", &c), DD_OK);
    CHECK_INT(verify_claims("{\"iss\":\"drydock\",\"aud\":\"drydock\"}", &c), DD_EAUTH);           /* no exp */
    CHECK_INT(verify_claims("{\"iss\":\"drydock\",\"aud\":\"drydock\",\"exp\":\"1\"}", &c), DD_EAUTH); /* string */
    CHECK_INT(verify_claims("{\"aud\":\"drydock\",\"exp\":1000300}", &c), DD_EAUTH);              /* no iss */
    CHECK_INT(verify_claims("[1,2]", &c), DD_EAUTH);
    CHECK_INT(verify_claims("{\"iss\":\"drydock\",\"aud\":\"drydock\",\"exp\":1000300,\"access\":{}}", &c),
              DD_EAUTH);
    CHECK_INT(verify_claims("{\"iss\":\"drydock\",\"aud\":\"drydock\",\"exp\":1000300,\"access\":[1]}", &c),
              DD_EAUTH);
    CHECK_INT(verify_claims("{\"iss\":\"drydock\",\"iss\":\"drydock\",\"aud\":\"drydock\",\"exp\":1000300}", &c),
              DD_EAUTH); /* duplicate keys */
    /* too many access entries */
    dd_buf_t b;
    dd_buf_init(&b, 0);
    dd_buf_puts(&b, "{\"iss\":\"drydock\",\"aud\":\"drydock\",\"exp\":1000300,\"access\":[");
    for (int i = 0; i < DD_JWT_ACCESS_MAX + 1; i++)
        dd_buf_printf(&b, "%s{\"type\":\"repository\",\"name\":\"r%d\",\"actions\":[\"pull\"]}", i ? "," : "", i);
    dd_buf_puts(&b, "]}");
    CHECK_INT(verify_claims(b.ptr, &c), DD_EAUTH);
    dd_buf_release(&b);
    /* "*" on a repository covers every repository action */
    CHECK_INT(verify_claims("{\"iss\":\"drydock\",\"aud\":\"drydock\",\"exp\":1000300,\"access\":[{\"type\":"
                            "\"repository\",\"name\":\"r\",\"actions\":[\"*\"]}]}",
                            &c),
              DD_OK);
    CHECK(dd_jwt_covers(&c, DD_ACT_DELETE, "r"));
    CHECK(!dd_jwt_covers(&c, DD_ACT_CATALOG, NULL));
}

/* ---- credentials ------------------------------------------------------------ */

TEST(password_roundtrip)
{
    char h[DD_AUTH_PWHASH_MAX];
    CHECK_INT(dd_password_hash("correct horse", h, NULL), DD_OK);
    CHECK(dd_str_startswith(h, "$argon2id$"));
    CHECK(dd_password_verify(h, "correct horse"));
    CHECK(!dd_password_verify(h, "correct horsE"));
    CHECK(!dd_password_verify(h, ""));
    CHECK(!dd_password_verify("garbage", "correct horse"));
    char h2[DD_AUTH_PWHASH_MAX];
    CHECK_INT(dd_password_hash("correct horse", h2, NULL), DD_OK);
    CHECK(strcmp(h, h2) != 0); /* salted */
    CHECK_INT(dd_password_hash("", h, NULL), DD_EINVAL);
    CHECK_INT(dd_password_hash("a\nb", h, NULL), DD_EINVAL);
}

TEST(names_tokens_durations)
{
    CHECK(dd_user_name_valid("alice"));
    CHECK(dd_user_name_valid("ci-bot.2"));
    CHECK(!dd_user_name_valid("Alice"));
    CHECK(!dd_user_name_valid("a:b"));
    CHECK(!dd_user_name_valid("-a"));
    CHECK(!dd_user_name_valid(""));
    char id[DD_TOKEN_ID_MAX], secret[DD_TOKEN_SECRET_MAX], hash[65], again[65];
    dd_token_generate(id, secret, hash);
    CHECK(dd_str_startswith(id, "t_"));
    CHECK(dd_str_startswith(secret, "ddt_"));
    CHECK_INT(strlen(secret), 4 + 43);
    dd_token_hash(secret, again);
    CHECK_STR(hash, again);
    CHECK_INT(strlen(hash), 64);
    int64_t s;
    CHECK_INT(dd_duration_parse("90s", &s, NULL), DD_OK);
    CHECK_INT(s, 90);
    CHECK_INT(dd_duration_parse("30d", &s, NULL), DD_OK);
    CHECK_INT(s, 30 * 86400);
    CHECK_INT(dd_duration_parse("1y", &s, NULL), DD_OK);
    CHECK_INT(dd_duration_parse("never", &s, NULL), DD_OK);
    CHECK_INT(s, 0);
    CHECK_INT(dd_duration_parse("-5m", &s, NULL), DD_EINVAL);
    CHECK_INT(dd_duration_parse("5x", &s, NULL), DD_EINVAL);
    CHECK_INT(dd_duration_parse("", &s, NULL), DD_EINVAL);
    CHECK(dd_listen_is_loopback("127.0.0.1:5000"));
    CHECK(dd_listen_is_loopback("localhost:5000"));
    CHECK(dd_listen_is_loopback("[::1]:5000"));
    CHECK(!dd_listen_is_loopback("0.0.0.0:5000"));
    CHECK(!dd_listen_is_loopback(":5000"));
    CHECK(!dd_listen_is_loopback("10.1.2.3:5000"));
}

/* ---- rate limiter ------------------------------------------------------------ */

/* issue 20 item 8: growing delays, and a correct login clears its key */
TEST(ratelimit_growing)
{
    dd_ratelimit_t *r = dd_ratelimit_new(64, 2, 1000); /* 2 at once, then one per second */
    int64_t t = 5000000;
    dd_ratelimit_hit(r, "ua:v@1.2.3.4", t);
    CHECK_INT(dd_ratelimit_check(r, "ua:v@1.2.3.4", t), 0);
    dd_ratelimit_hit(r, "ua:v@1.2.3.4", t); /* empty: strike 1, a token in 1 s */
    CHECK_INT(dd_ratelimit_check(r, "ua:v@1.2.3.4", t), 2);
    int64_t next_ms = 1000; /* when the next try is allowed */
    for (int k = 2; k < 9; k++) {
        t += next_ms;
        CHECK_INT(dd_ratelimit_check(r, "ua:v@1.2.3.4", t), 0);
        dd_ratelimit_hit(r, "ua:v@1.2.3.4", t);
        /* strike k: locked 1 s << (k - 2), then a token after 1 s more */
        next_ms = (1000LL << (k - 2)) + 1000;
        CHECK_INT(dd_ratelimit_check(r, "ua:v@1.2.3.4", t), next_ms / 1000 + 1);
        CHECK(dd_ratelimit_check(r, "ua:v@1.2.3.4", t + next_ms - 1) > 0);
    }
    CHECK_INT(dd_ratelimit_check(r, "ua:v@5.6.7.8", t), 0); /* the owner elsewhere */
    dd_ratelimit_reset(r, "ua:v@1.2.3.4", t);
    CHECK_INT(dd_ratelimit_check(r, "ua:v@1.2.3.4", t), 0);
    dd_ratelimit_hit(r, "ua:v@1.2.3.4", t);
    CHECK_INT(dd_ratelimit_check(r, "ua:v@1.2.3.4", t), 0); /* strikes were forgotten */
    /* the delay is capped at an hour */
    for (int i = 0; i < 40; i++) dd_ratelimit_hit(r, "ua:x@1.2.3.4", t);
    CHECK_INT(dd_ratelimit_check(r, "ua:x@1.2.3.4", t), 3600 + 2 + 1);
    dd_ratelimit_free(r);
}

TEST(ratelimit)
{
    dd_ratelimit_t *r = dd_ratelimit_new(64, 3, 10000); /* 3 at once, then one per 10 s */
    int64_t t = 1000000;
    CHECK_INT(dd_ratelimit_check(r, "ip:1.2.3.4", t), 0);
    for (int i = 0; i < 3; i++) {
        CHECK_INT(dd_ratelimit_check(r, "ip:1.2.3.4", t), 0);
        dd_ratelimit_hit(r, "ip:1.2.3.4", t);
    }
    int64_t w = dd_ratelimit_check(r, "ip:1.2.3.4", t);
    CHECK(w >= 9 && w <= 11);
    CHECK_INT(dd_ratelimit_check(r, "ip:5.6.7.8", t), 0); /* other keys unaffected */
    CHECK(dd_ratelimit_check(r, "ip:1.2.3.4", t + 5000) > 0);
    CHECK_INT(dd_ratelimit_check(r, "ip:1.2.3.4", t + 10000), 0); /* one token back */
    dd_ratelimit_hit(r, "ip:1.2.3.4", t + 10000);
    CHECK(dd_ratelimit_check(r, "ip:1.2.3.4", t + 10000) > 0);
    CHECK_INT(dd_ratelimit_check(r, "ip:1.2.3.4", t + 60000), 0);
    dd_ratelimit_free(r);
    /* a tiny table: many keys never lose a limited bucket's state silently */
    r = dd_ratelimit_new(2, 1, 60000);
    dd_ratelimit_hit(r, "user:a", t);
    char k[32];
    for (int i = 0; i < 50; i++) {
        snprintf(k, sizeof k, "user:x%d", i);
        dd_ratelimit_hit(r, k, t);
    }
    CHECK(dd_ratelimit_check(r, "user:a", t) > 0);
    dd_ratelimit_free(r);
}

/* ---- audit log ------------------------------------------------------------------ */

static char tmpdir[256];

static const char *tmp(void)
{
    if (!tmpdir[0]) {
        snprintf(tmpdir, sizeof tmpdir, "/tmp/dd-test-auth-XXXXXX");
        if (!mkdtemp(tmpdir)) abort();
    }
    return tmpdir;
}

TEST(audit_lines)
{
    char *p = dd_asprintf("%s/audit.log", tmp());
    dd_audit_t *a;
    CHECK_INT(dd_audit_open(p, &a, NULL), DD_OK);
    dd_audit_event(a, "login_failed", "bob\"x", "127.0.0.1", "GET", "/v2/", NULL, NULL, 401, NULL);
    dd_audit_change(a, "user_add", "cli", "carol", "role reader");
    dd_audit_close(a);
    struct stat st;
    CHECK_INT(stat(p, &st), 0);
    CHECK_INT(st.st_mode & 0777, 0600);
    dd_buf_t b;
    dd_buf_init(&b, 0);
    CHECK_INT(dd_file_read(p, 1 << 20, &b, NULL), DD_OK);
    int lines = 0;
    for (char *line = b.ptr, *nl; line && *line; line = nl + 1) {
        nl = strchr(line, '\n');
        CHECK(nl != NULL);
        if (!nl) break;
        json_t *j = json_loadb(line, (size_t)(nl - line), 0, NULL);
        CHECK(json_is_object(j));
        if (lines == 0) {
            CHECK_STR(json_string_value(json_object_get(j, "actor")), "bob\"x");
            CHECK_INT(json_integer_value(json_object_get(j, "status")), 401);
        } else {
            CHECK_STR(json_string_value(json_object_get(j, "target")), "carol");
        }
        json_decref(j);
        lines++;
    }
    CHECK_INT(lines, 2);
    dd_buf_release(&b);
    unlink(p);
    free(p);
}

/* ---- metadata store: users and tokens ------------------------------------------ */

static int count_user(const dd_user_rec_t *u, void *arg)
{
    (void)u;
    (*(int *)arg)++;
    return 0;
}

static int find_token(const dd_token_rec_t *t, void *arg)
{
    dd_token_rec_t *want = arg;
    if (!strcmp(t->id, want->id)) *want = *t;
    return 0;
}

TEST(meta_users_tokens)
{
    char *p = dd_asprintf("%s/meta.db", tmp());
    dd_meta_t *m;
    CHECK_INT(dd_meta_open("sqlite", p, &m, NULL), DD_OK);
    uint64_t g0, g1;
    CHECK_INT(dd_meta_auth_generation(m, &g0), DD_OK);
    dd_user_rec_t u;
    memset(&u, 0, sizeof u);
    strcpy(u.name, "alice");
    strcpy(u.role, "writer");
    strcpy(u.repos, "team/*");
    strcpy(u.pwhash, "$argon2id$fake");
    u.created_ms = u.updated_ms = 5;
    dd_err_t e;
    CHECK_INT(dd_meta_user_put(m, &u, true, &e), DD_OK);
    CHECK_INT(dd_meta_user_put(m, &u, true, &e), DD_EEXIST);
    CHECK_INT(dd_meta_auth_generation(m, &g1), DD_OK);
    CHECK(g1 > g0);
    dd_user_rec_t got;
    CHECK_INT(dd_meta_user_get(m, "alice", &got), DD_OK);
    CHECK_STR(got.role, "writer");
    CHECK_STR(got.repos, "team/*");
    CHECK_INT(dd_meta_user_get(m, "nobody", &got), DD_ENOTFOUND);
    strcpy(u.role, "owner");
    CHECK_INT(dd_meta_user_put(m, &u, false, &e), DD_OK);
    CHECK_INT(dd_meta_user_get(m, "alice", &got), DD_OK);
    CHECK_STR(got.role, "owner");
    strcpy(u.name, "ghost");
    CHECK_INT(dd_meta_user_put(m, &u, false, &e), DD_ENOTFOUND);
    int n = 0;
    CHECK_INT(dd_meta_users_each(m, count_user, &n), DD_OK);
    CHECK_INT(n, 1);
    CHECK_INT(dd_meta_user_delete(m, "alice", &e), DD_OK);
    CHECK_INT(dd_meta_user_delete(m, "alice", &e), DD_ENOTFOUND);
    dd_token_rec_t t;
    memset(&t, 0, sizeof t);
    char secret[DD_TOKEN_SECRET_MAX];
    dd_token_generate(t.id, secret, t.hash);
    strcpy(t.role, "reader");
    t.created_ms = 10;
    t.expires_ms = 20;
    CHECK_INT(dd_meta_token_put(m, &t, &e), DD_OK);
    CHECK_INT(dd_meta_token_put(m, &t, &e), DD_EEXIST);
    CHECK_INT(dd_meta_token_revoke(m, t.id, 99, &e), DD_OK);
    CHECK_INT(dd_meta_token_revoke(m, t.id, 100, &e), DD_ENOTFOUND); /* already revoked */
    CHECK_INT(dd_meta_token_revoke(m, "t_nope", 100, &e), DD_ENOTFOUND);
    dd_token_rec_t want;
    memset(&want, 0, sizeof want);
    strcpy(want.id, t.id);
    CHECK_INT(dd_meta_tokens_each(m, find_token, &want), DD_OK);
    CHECK_INT(want.revoked_ms, 99);
    CHECK_STR(want.hash, t.hash);
    CHECK(strstr(want.hash, "ddt_") == NULL); /* only the hash is stored */
    dd_meta_close(m);
    /* persisted across reopen */
    CHECK_INT(dd_meta_open("sqlite", p, &m, NULL), DD_OK);
    memset(&want, 0, sizeof want);
    strcpy(want.id, t.id);
    CHECK_INT(dd_meta_tokens_each(m, find_token, &want), DD_OK);
    CHECK_INT(want.expires_ms, 20);
    dd_meta_close(m);
    unlink(p);
    char *wal = dd_asprintf("%s-wal", p), *shm = dd_asprintf("%s-shm", p);
    unlink(wal);
    unlink(shm);
    free(wal);
    free(shm);
    free(p);
}

static void cleanup(void)
{
    if (tmpdir[0]) rmdir(tmpdir);
}

TEST_MAIN(RUN(role_parse); RUN(role_matrix); RUN(glob); RUN(glob_lists); RUN(scope_parse); RUN(jwt_roundtrip);
          RUN(jwt_expiry_and_times); RUN(jwt_wrong_key_aud_iss); RUN(jwt_tampered); RUN(jwt_hostile_claims);
          RUN(password_roundtrip); RUN(names_tokens_durations); RUN(ratelimit); RUN(ratelimit_growing); RUN(audit_lines);
          RUN(meta_users_tokens); cleanup())
