/*
 * test_router.c: the HTTP router's pure pieces: path pattern matching,
 * path/query decoding, Range and Content-Range parsing, and the pagination
 * Link header (the name and tag grammars: test_reference.c).
 */
#include "dd/http.h"
#include "dd/registry.h"
#include "test.h"

static const char *m_name;
static const char *m_names[DD_ROUTE_VARS], *m_vals[DD_ROUTE_VARS];
static size_t m_n;
static dd_arena_t A;

static bool match(const char *pat, const char *path)
{
    return dd_route_match(pat, path, &A, &m_name, m_names, m_vals, &m_n);
}

TEST(match_literal)
{
    dd_arena_init(&A);
    CHECK(match("/v2/", "/v2/"));
    CHECK(!match("/v2/", "/v2"));
    CHECK(match("/v2/_catalog", "/v2/_catalog"));
    CHECK(!match("/v2/_catalog", "/v2/_catalog/"));
    CHECK(match("/api/v1/x/{id}", "/api/v1/x/42"));
    CHECK_INT(m_n, 1);
    CHECK_STR(m_names[0], "id");
    CHECK_STR(m_vals[0], "42");
    CHECK(!match("/api/v1/x/{id}", "/api/v1/x/"));
    dd_arena_release(&A);
}

TEST(match_name_from_right)
{
    dd_arena_init(&A);
    CHECK(match("/v2/{name}/blobs/{digest}", "/v2/library/ubuntu/blobs/sha256:abc"));
    CHECK_STR(m_name, "library/ubuntu");
    CHECK_STR(m_vals[0], "sha256:abc");
    CHECK(match("/v2/{name}/blobs/{digest}", "/v2/a/blobs/blobs/blobs/x"));
    CHECK_STR(m_name, "a/blobs/blobs");
    CHECK(match("/v2/{name}/manifests/{reference}", "/v2/a/b/c/manifests/latest"));
    CHECK_STR(m_name, "a/b/c");
    CHECK_STR(m_vals[0], "latest");
    CHECK(match("/v2/{name}/blobs/uploads/", "/v2/foo/bar/blobs/uploads/"));
    CHECK_STR(m_name, "foo/bar");
    CHECK(!match("/v2/{name}/blobs/{digest}", "/v2/foo/blobs/uploads/"));
    CHECK(match("/v2/{name}/blobs/uploads/{uuid}", "/v2/foo/blobs/uploads/1234"));
    CHECK_STR(m_name, "foo");
    CHECK_STR(m_vals[0], "1234");
    CHECK(match("/v2/{name}/tags/list", "/v2/x/tags/list"));
    CHECK(!match("/v2/{name}/tags/list", "/v2/tags/list"));
    CHECK(!match("/v2/{name}/tags/list", "/v2//tags/list"));
    CHECK(match("/v2/{name}/tags/list", "/v2/a//b/tags/list")); /* NAME_INVALID later */
    CHECK_STR(m_name, "a//b");
    CHECK(match("/v2/{name}/tags/list", "/v2/a/b//tags/list"));
    CHECK_STR(m_name, "a/b/");
    CHECK(match("/v2/{name}/referrers/{digest}", "/v2/a/referrers/sha256:1"));
    CHECK(!match("/v2/{name}/referrers/{digest}", "/v2/a/referrers/"));
    dd_arena_release(&A);
}

TEST(path_decode)
{
    dd_arena_init(&A);
    char *out;
    CHECK_INT(dd_http_path_decode("/v2/a%62c/", 10, &A, &out), DD_OK);
    CHECK_STR(out, "/v2/abc/");
    CHECK_INT(dd_http_path_decode("/v2/a%2Fb/x", 11, &A, &out), DD_EINVAL);
    CHECK_INT(dd_http_path_decode("/v2/a%2fb/x", 11, &A, &out), DD_EINVAL);
    CHECK_INT(dd_http_path_decode("/v2/../x", 8, &A, &out), DD_EINVAL);
    CHECK_INT(dd_http_path_decode("/v2/%2e%2e/x", 12, &A, &out), DD_EINVAL);
    CHECK_INT(dd_http_path_decode("/v2/./x", 7, &A, &out), DD_EINVAL);
    CHECK_INT(dd_http_path_decode("/v2/a..b/x", 10, &A, &out), DD_OK);
    CHECK_INT(dd_http_path_decode("/v2/%", 5, &A, &out), DD_EINVAL);
    CHECK_INT(dd_http_path_decode("/v2/%4", 6, &A, &out), DD_EINVAL);
    CHECK_INT(dd_http_path_decode("/v2/%zz", 7, &A, &out), DD_EINVAL);
    CHECK_INT(dd_http_path_decode("/v2/%00", 7, &A, &out), DD_EINVAL);
    const char *q = dd_http_query_decode("a+b%3Dc", 7, &A);
    CHECK_STR(q, "a b=c");
    CHECK(dd_http_query_decode("%", 1, &A) == NULL);
    CHECK(dd_http_query_decode("%g0", 3, &A) == NULL);
    dd_arena_release(&A);
}

TEST(range)
{
    uint64_t a, b;
    CHECK_INT(dd_http_parse_range("bytes=0-9", 100, &a, &b), DD_OK);
    CHECK_INT(a, 0);
    CHECK_INT(b, 9);
    CHECK_INT(dd_http_parse_range("bytes=10-", 100, &a, &b), DD_OK);
    CHECK_INT(a, 10);
    CHECK_INT(b, 99);
    CHECK_INT(dd_http_parse_range("bytes=-10", 100, &a, &b), DD_OK);
    CHECK_INT(a, 90);
    CHECK_INT(b, 99);
    CHECK_INT(dd_http_parse_range("bytes=-1000", 100, &a, &b), DD_OK);
    CHECK_INT(a, 0);
    CHECK_INT(dd_http_parse_range("bytes=50-1000", 100, &a, &b), DD_OK);
    CHECK_INT(b, 99);
    CHECK_INT(dd_http_parse_range("bytes=100-", 100, &a, &b), DD_ERANGE);
    CHECK_INT(dd_http_parse_range("bytes=100-200", 100, &a, &b), DD_ERANGE);
    CHECK_INT(dd_http_parse_range("bytes=-0", 100, &a, &b), DD_ERANGE);
    CHECK_INT(dd_http_parse_range("bytes=0-", 0, &a, &b), DD_ERANGE);
    CHECK_INT(dd_http_parse_range("bytes=5-1", 100, &a, &b), DD_ERANGE); /* last < first: refused */
    CHECK_INT(dd_http_parse_range("bytes=0-1,5-6", 100, &a, &b), DD_DECLINED);
    CHECK_INT(dd_http_parse_range("items=0-1", 100, &a, &b), DD_DECLINED);
    CHECK_INT(dd_http_parse_range("bytes=x-1", 100, &a, &b), DD_DECLINED);
    CHECK_INT(dd_http_parse_range("bytes=99999999999999999999-", 100, &a, &b), DD_DECLINED);
    CHECK_INT(dd_http_parse_range("bytes = 1-2", 100, &a, &b), DD_OK);
}

TEST(content_range)
{
    uint64_t a, b;
    CHECK_INT(dd_http_parse_content_range("0-99", &a, &b), DD_OK);
    CHECK_INT(a, 0);
    CHECK_INT(b, 99);
    CHECK_INT(dd_http_parse_content_range("bytes 100-199/*", &a, &b), DD_OK);
    CHECK_INT(a, 100);
    CHECK_INT(dd_http_parse_content_range("bytes 100-199/1000", &a, &b), DD_OK);
    CHECK_INT(dd_http_parse_content_range("bytes=0-3", &a, &b), DD_EINVAL);
    CHECK_INT(dd_http_parse_content_range("5-4", &a, &b), DD_EINVAL);
    CHECK_INT(dd_http_parse_content_range("5-", &a, &b), DD_EINVAL);
    CHECK_INT(dd_http_parse_content_range("-5", &a, &b), DD_EINVAL);
    CHECK_INT(dd_http_parse_content_range("", &a, &b), DD_EINVAL);
    CHECK_INT(dd_http_parse_content_range("1-2x", &a, &b), DD_EINVAL);
}

TEST(link_next)
{
    dd_arena_init(&A);
    CHECK_STR(dd_registry_link_next(&A, "a/b", 2, "v1"), "</v2/a/b/tags/list?n=2&last=v1>; rel=\"next\"");
    CHECK_STR(dd_registry_link_next(&A, NULL, 10, "x/y"), "</v2/_catalog?n=10&last=x/y>; rel=\"next\"");
    CHECK_STR(dd_registry_link_next(&A, NULL, 1, "a&b"), "</v2/_catalog?n=1&last=a%26b>; rel=\"next\"");
    dd_arena_release(&A);
}

TEST(error_table)
{
    CHECK_INT(dd_regerr_status(DD_REGERR_BLOB_UNKNOWN), 404);
    CHECK_STR(dd_regerr_code(DD_REGERR_MANIFEST_BLOB_UNKNOWN), "MANIFEST_BLOB_UNKNOWN");
    CHECK_INT(dd_regerr_status(DD_REGERR_RANGE_INVALID), 416);
    CHECK_INT(dd_regerr_from_rc(DD_EDIGEST, DD_REGERR_BLOB_UNKNOWN, DD_REGERR_NAME_INVALID),
              DD_REGERR_DIGEST_INVALID);
    CHECK_INT(dd_regerr_from_rc(DD_ENOTFOUND, DD_REGERR_BLOB_UNKNOWN, DD_REGERR_NAME_INVALID),
              DD_REGERR_BLOB_UNKNOWN);
    for (int i = 0; i < DD_REGERR__COUNT; i++) CHECK(dd_regerr_code((dd_regerr_t)i) != NULL);
}

TEST_MAIN(RUN(match_literal); RUN(match_name_from_right); RUN(path_decode);
          RUN(range); RUN(content_range); RUN(link_next); RUN(error_table))
