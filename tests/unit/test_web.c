/*
 * test_web.c: the web console's pure pieces: the embedded asset table
 * (sorted, every file there, hashes and build id well-formed) and the
 * Cookie header lookup used by the session (dd_cookie_find).
 */
#include "test.h"

#include "dd/auth.h"
#include "dd/web.h"
#include "web/web_int.h"

#include <ctype.h>

static bool hex(const char *s, size_t n)
{
    if (strlen(s) != n) return false;
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i])) return false;
    return true;
}

TEST(assets_table)
{
    CHECK(dd_web_n_assets >= 10);
    CHECK(hex(dd_web_build_id(), 12));
    bool index = false, app = false, overview = false;
    for (size_t i = 0; i < dd_web_n_assets; i++) {
        const dd_web_asset_t *a = &dd_web_assets[i];
        if (i) CHECK(strcmp(dd_web_assets[i - 1].path, a->path) < 0); /* sorted: binary search */
        CHECK(hex(a->hash, 16));
        CHECK(a->data[a->len] == 0);
        CHECK(a->len > 0);
        if (!strcmp(a->path, "index.html")) {
            index = true;
            CHECK(!strncmp(a->type, "text/html", 9));
            CHECK(strstr((const char *)a->data, "{{BUILD}}/app.js") != NULL);
            CHECK(strstr((const char *)a->data, "<script>") == NULL);  /* no inline script */
            CHECK(strstr((const char *)a->data, " style=") == NULL);   /* no inline style */
        }
        if (!strcmp(a->path, "app.js")) app = !strncmp(a->type, "text/javascript", 15);
        if (!strcmp(a->path, "pages/overview.js")) overview = true;
        if (strstr(a->path, ".js")) CHECK(strstr((const char *)a->data, "innerHTML") == NULL);
    }
    CHECK(index && app && overview);
}

TEST(cookie_find)
{
    size_t n = 0;
    const char *v = dd_cookie_find("dd_session=abc.def; other=1", "dd_session", &n);
    CHECK(v && n == 7 && !strncmp(v, "abc.def", 7));
    v = dd_cookie_find("a=1;dd_session=x ; b=2", "dd_session", &n);
    CHECK(v && n == 1 && *v == 'x');
    v = dd_cookie_find("xdd_session=1; dd_session=2", "dd_session", &n);
    CHECK(v && n == 1 && *v == '2');
    v = dd_cookie_find("dd_session=", "dd_session", &n);
    CHECK(v && n == 0);
    CHECK(dd_cookie_find("dd_sessionx=1", "dd_session", &n) == NULL);
    CHECK(dd_cookie_find("dd_session", "dd_session", &n) == NULL);
    CHECK(dd_cookie_find("", "dd_session", &n) == NULL);
    CHECK(dd_cookie_find(NULL, "dd_session", &n) == NULL);
    CHECK(dd_cookie_find(";;; ;", "dd_session", &n) == NULL);
}

TEST_MAIN(RUN(assets_table); RUN(cookie_find))
