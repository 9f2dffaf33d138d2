/* test_core.c: unit tests of src/core (errors, buffers, arena, digest, fileset, time). */
#include "dd/core.h"
#include "dd/digest.h"
#include "dd/fileset.h"
#include "test.h"

TEST(buf_cap)
{
    dd_buf_t b;
    dd_buf_init(&b, 8);
    CHECK_INT(dd_buf_puts(&b, "12345678"), DD_OK);
    CHECK_INT(dd_buf_putc(&b, '9'), DD_ELIMIT);
    CHECK_INT(b.len, 8);
    CHECK_STR(b.ptr, "12345678");
    dd_buf_release(&b);
    dd_buf_init(&b, 0);
    dd_buf_printf(&b, "%s-%d", "x", 42);
    dd_buf_json_str(&b, "a\"b\n\x01");
    CHECK_STR(b.ptr, "x-42\"a\\\"b\\n\\u0001\"");
    dd_buf_release(&b);
}

/* issue 20 item 1: every JSON string is valid whatever the bytes */
TEST(json_str_utf8)
{
    dd_buf_t b;
    dd_buf_init(&b, 0);
    /* valid multi-byte text passes through */
    dd_buf_json_str(&b, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xb3");
    CHECK_STR(b.ptr, "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xb3\"");
    dd_buf_reset(&b);
    /* Latin-1, a lone continuation, a cut sequence, overlong, surrogate, > U+10FFFF */
    dd_buf_json_str(&b, "M\xfcller \x80|\xe2\x82|\xc0\xaf|\xed\xa0\x80|\xf4\x90\x80\x80");
    CHECK_STR(b.ptr, "\"M\xef\xbf\xbdller \xef\xbf\xbd|\xef\xbf\xbd\xef\xbf\xbd|\xef\xbf\xbd\xef\xbf\xbd|"
                     "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd|\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
    dd_buf_reset(&b);
    /* a sequence cut by the end of the string */
    dd_buf_json_str(&b, "x\xf0\x9f");
    CHECK_STR(b.ptr, "\"x\xef\xbf\xbd\xef\xbf\xbd\"");
    dd_buf_reset(&b);
    /* DEL and C1 controls are escaped too */
    dd_buf_json_str(&b, "a\x7f\xc2\x85\x1b");
    CHECK_STR(b.ptr, "\"a\\u007f\\u0085\\u001b\"");
    dd_buf_release(&b);
    /* cutting on a character boundary */
    CHECK(dd_utf8_prefix("ab\xc3\xa9", 3) == 2);
    CHECK(dd_utf8_prefix("ab\xc3\xa9", 4) == 4);
    CHECK(dd_utf8_prefix("ab\xff", 3) == 3);
    CHECK(dd_utf8_prefix("\xe2\x82\xac", 2) == 0);
}

TEST(pct_encode)
{
    dd_buf_t b;
    dd_buf_init(&b, 0);
    dd_buf_pct_encode(&b, "team/app 1:2+x~y", NULL);
    CHECK_STR(b.ptr, "team%2Fapp%201%3A2%2Bx~y");
    dd_buf_reset(&b);
    dd_buf_pct_encode(&b, "team/app", "/");
    CHECK_STR(b.ptr, "team/app");
    dd_buf_release(&b);
}

TEST(arena)
{
    dd_arena_t a;
    dd_arena_init(&a);
    char *s = dd_arena_printf(&a, "%d-%s", 7, "z");
    CHECK_STR(s, "7-z");
    for (int i = 0; i < 1000; i++) CHECK(dd_arena_alloc(&a, 100) != NULL);
    void *big = dd_arena_alloc(&a, 1 << 20);
    CHECK(big != NULL);
    dd_arena_release(&a);
}

static void count_cleanup(void *arg) { (*(int *)arg)++; }

TEST(arena_mark)
{
    dd_arena_t a;
    dd_arena_init(&a);
    int before = 0, after = 0;
    char *keep = dd_arena_strdup(&a, "kept");
    dd_arena_cleanup_add(&a, count_cleanup, &before);
    dd_arena_mark_t m = dd_arena_mark(&a);
    size_t total = a.total;
    /* fill the current block, then force new ones */
    char *same = dd_arena_strdup(&a, "scratch");
    for (int i = 0; i < 2000; i++) CHECK(dd_arena_alloc(&a, 100) != NULL);
    CHECK(dd_arena_alloc(&a, 1 << 20) != NULL);
    dd_arena_cleanup_add(&a, count_cleanup, &after);
    CHECK(a.total > total);
    dd_arena_reset(&a, m);
    CHECK_INT(after, 1);
    CHECK_INT(before, 0);
    CHECK(a.total == total);
    CHECK_STR(keep, "kept");
    /* the rewound block hands out the same bytes again */
    char *again = dd_arena_strdup(&a, "again");
    CHECK(again == same);
    /* a mark on an empty arena resets to empty */
    dd_arena_t b;
    dd_arena_init(&b);
    dd_arena_mark_t m0 = dd_arena_mark(&b);
    CHECK(dd_arena_strdup(&b, "x") != NULL);
    dd_arena_reset(&b, m0);
    CHECK(b.head == NULL && b.total == 0);
    dd_arena_release(&b);
    dd_arena_release(&a);
    CHECK_INT(before, 1);
    CHECK_INT(after, 1);
}

TEST(arena_budget)
{
    /* two arenas share one counter, which follows their blocks */
    size_t used = 0;
    dd_arena_t x, y;
    dd_arena_init_budget(&x, &used);
    dd_arena_init_budget(&y, &used);
    CHECK(dd_arena_alloc(&x, 100) != NULL);
    dd_arena_mark_t m = dd_arena_mark(&y);
    CHECK(dd_arena_alloc(&y, 1 << 20) != NULL);
    CHECK(used == x.total + y.total && used > (1u << 20));
    dd_arena_reset(&y, m);
    CHECK(used == x.total && y.total == 0);
    dd_arena_release(&x);
    dd_arena_release(&y);
    CHECK(used == 0);
}

TEST(digest_parse)
{
    dd_digest_t d;
    dd_err_t e;
    const char *ok = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    CHECK_INT(dd_digest_parse(ok, &d, &e), DD_OK);
    CHECK_STR(d.str, ok);
    CHECK_INT(d.alg, DD_DIGEST_SHA256);
    CHECK_INT(dd_digest_parse("sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", &d, &e), DD_EINVAL);
    CHECK_INT(dd_digest_parse("sha256:abc", &d, &e), DD_EINVAL);
    CHECK_INT(dd_digest_parse("sha256", &d, &e), DD_EINVAL);
    CHECK_INT(dd_digest_parse(":abc", &d, &e), DD_EINVAL);
    CHECK_INT(dd_digest_parse("md5:d41d8cd98f00b204e9800998ecf8427e", &d, &e), DD_EUNSUPPORTED);
    CHECK_INT(dd_digest_parse("sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564", &d, &e), DD_EUNSUPPORTED);
    CHECK_INT(dd_digest_parse("SHA256:abc", &d, &e), DD_EINVAL);
    CHECK_INT(dd_digest_parse("sha256:ab/c", &d, &e), DD_EINVAL);
    dd_digest_buf(DD_DIGEST_SHA256, "", 0, &d);
    CHECK_STR(d.str, ok);
    dd_digest_buf(DD_DIGEST_SHA512, "abc", 3, &d);
    CHECK_STR(d.str, "sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
                     "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
}

TEST(fileset)
{
    dd_fileset_t fs;
    dd_fileset_init(&fs);
    dd_fileset_put(&fs, "var/lib/dpkg/status", "x", 1, 0, 0);
    dd_fileset_put(&fs, "etc/os-release", "ID=debian", 9, 0, 0);
    dd_fileset_put(&fs, "var/lib/dpkg/status.d/base", "y", 1, 1, 0);
    dd_fileset_put(&fs, "etc/os-release", "ID=alpine", 9, 2, 0);
    CHECK_INT(fs.n, 3);
    const dd_file_t *f = dd_fileset_get(&fs, "etc/os-release");
    CHECK(f && f->layer == 2 && strcmp((char *)f->data, "ID=alpine") == 0);
    CHECK_INT(dd_fileset_remove_under(&fs, "var/lib/dpkg"), 2);
    CHECK(dd_fileset_get(&fs, "var/lib/dpkg/status") == NULL);
    CHECK(dd_fileset_remove(&fs, "etc/os-release"));
    CHECK_INT(fs.n, 0);
    dd_fileset_release(&fs);
}

TEST(path_normalize)
{
    char out[256];
    CHECK_INT(dd_path_normalize("./etc//os-release", out, sizeof out), DD_OK);
    CHECK_STR(out, "etc/os-release");
    CHECK_INT(dd_path_normalize("/a/b/../c", out, sizeof out), DD_OK);
    CHECK_STR(out, "a/c");
    CHECK_INT(dd_path_normalize("../etc/passwd", out, sizeof out), DD_EINVAL);
    CHECK_INT(dd_path_normalize("a/../../x", out, sizeof out), DD_EINVAL);
    CHECK_INT(dd_path_normalize("./", out, sizeof out), DD_EINVAL);
}

TEST(time_parse)
{
    int64_t t;
    CHECK_INT(dd_time_parse("1970-01-01T00:00:00Z", &t), DD_OK);
    CHECK_INT(t, 0);
    CHECK_INT(dd_time_parse("2023-04-02T00:00:00Z", &t), DD_OK);
    CHECK_INT(t, 1680393600);
    CHECK_INT(dd_time_parse("2023-04-02T01:00:00.123+01:00", &t), DD_OK);
    CHECK_INT(t, 1680393600);
    CHECK_INT(dd_time_parse("2023-04-02", &t), DD_OK);
    CHECK_INT(t, 1680393600);
    CHECK_INT(dd_time_parse("2023-13-02", &t), DD_EINVAL);
    char buf[32];
    dd_time_rfc3339(1680393600, buf);
    CHECK_STR(buf, "2023-04-02T00:00:00Z");
}

TEST(ct_equal)
{
    CHECK(dd_ct_equal("abc", "abc", 3));
    CHECK(!dd_ct_equal("abc", "abd", 3));
}

TEST_MAIN(RUN(buf_cap); RUN(json_str_utf8); RUN(pct_encode); RUN(arena); RUN(arena_mark); RUN(arena_budget);
          RUN(digest_parse); RUN(fileset); RUN(path_normalize);
          RUN(time_parse); RUN(ct_equal))
