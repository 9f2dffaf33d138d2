/*
 * test_reference.c: the core reference module's grammars (reference.h):
 * repository names (components, separators, length) and tags.
 */
#include "dd/reference.h"
#include "test.h"

TEST(names)
{
    const char *good[] = {"a", "ab", "a/b", "library/ubuntu", "a.b", "a_b", "a__b", "a-b", "a--b", "a---b",
                          "0", "a0/b1/c2", "foo.bar_baz-qux/x", "conformance-4e3b/sub", "a.b.c"};
    const char *bad[] = {"", "A", "a/", "/a", "a//b", "a..b", "a___b", "-a", "a-", "a.", ".a", "_a",
                         "a_", "a/.b", "a/B", "a b", "a%2Fb", "..", "a/../b", "a:b", "a@b", "ä"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        if (!dd_repo_name_valid(good[i])) {
            fprintf(stderr, "  should be valid: '%s'\n", good[i]);
            CHECK(0);
        }
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (dd_repo_name_valid(bad[i])) {
            fprintf(stderr, "  should be invalid: '%s'\n", bad[i]);
            CHECK(0);
        }
    char longname[300];
    memset(longname, 'a', 255);
    longname[255] = '\0';
    CHECK(dd_repo_name_valid(longname));
    longname[255] = 'a';
    longname[256] = '\0';
    CHECK(!dd_repo_name_valid(longname));
}

TEST(tags)
{
    CHECK(dd_tag_valid("latest"));
    CHECK(dd_tag_valid("_x"));
    CHECK(dd_tag_valid("v1.2.3-rc1_A"));
    CHECK(dd_tag_valid("A"));
    CHECK(!dd_tag_valid(""));
    CHECK(!dd_tag_valid(".x"));
    CHECK(!dd_tag_valid("-x"));
    CHECK(!dd_tag_valid("a/b"));
    CHECK(!dd_tag_valid("a:b"));
    CHECK(!dd_tag_valid("sha256:abc"));
    char t[200];
    memset(t, 'a', 128);
    t[128] = '\0';
    CHECK(dd_tag_valid(t));
    t[128] = 'a';
    t[129] = '\0';
    CHECK(!dd_tag_valid(t));
}

TEST(limits)
{
    CHECK_INT(DD_REPO_NAME_MAX, 255);
    CHECK_INT(DD_TAG_LEN_MAX, 128);
}

TEST_MAIN(RUN(names); RUN(tags); RUN(limits))
