/*
 * test.h: the unit-test harness. A test program is a list of TEST()s run by
 * TEST_MAIN(); each CHECK that fails prints file:line and marks the test
 * failed. The program ends with the line "N passed, N failed" and exits
 * non-zero if any test failed.
 *
 *   TEST(digest_parse) { CHECK(dd_digest_parse("sha256:..", &d, NULL) == DD_OK); }
 *   TEST_MAIN(RUN(digest_parse))
 *
 * DD_SOURCE_DIR (set by CMake) locates tests/fixtures.
 */
#ifndef DD_TEST_H
#define DD_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_failed_checks;
static int t_passed, t_failed;
static const char *t_only;

#define TEST(name) static void test_##name(void)

#define CHECK(cond)                                                                   \
    do {                                                                              \
        if (!(cond)) {                                                                \
            fprintf(stderr, "  FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);         \
            t_failed_checks++;                                                        \
        }                                                                             \
    } while (0)

#define CHECK_INT(a, b)                                                               \
    do {                                                                              \
        long long _a = (long long)(a), _b = (long long)(b);                           \
        if (_a != _b) {                                                               \
            fprintf(stderr, "  FAIL %s:%d: %s == %s (%lld != %lld)\n", __FILE__,      \
                    __LINE__, #a, #b, _a, _b);                                        \
            t_failed_checks++;                                                        \
        }                                                                             \
    } while (0)

#define CHECK_STR(a, b)                                                               \
    do {                                                                              \
        const char *_a = (a), *_b = (b);                                              \
        if (!_a || !_b || strcmp(_a, _b) != 0) {                                      \
            fprintf(stderr, "  FAIL %s:%d: %s == %s (\"%s\" != \"%s\")\n", __FILE__,  \
                    __LINE__, #a, #b, _a ? _a : "(null)", _b ? _b : "(null)");        \
            t_failed_checks++;                                                        \
        }                                                                             \
    } while (0)

#define RUN(name)                                                                     \
    do {                                                                              \
        if (t_only && strcmp(t_only, #name) != 0) break;                              \
        int _before = t_failed_checks;                                                \
        test_##name();                                                                \
        if (t_failed_checks == _before) {                                             \
            t_passed++;                                                               \
        } else {                                                                      \
            t_failed++;                                                               \
            fprintf(stderr, "not ok %s\n", #name);                                    \
        }                                                                             \
    } while (0)

#define TEST_MAIN(...)                                                                \
    int main(int argc, char **argv)                                                   \
    {                                                                                 \
        if (argc > 1) t_only = argv[1];                                               \
        __VA_ARGS__;                                                                  \
        printf("%d passed, %d failed\n", t_passed, t_failed);                         \
        return t_failed ? 1 : 0;                                                      \
    }

/* Path of a fixture file under tests/fixtures. */
static inline const char *fixture(const char *rel)
{
    static char buf[4][4096];
    static int i;
    i = (i + 1) % 4;
    snprintf(buf[i], sizeof buf[i], "%s/tests/fixtures/%s", DD_SOURCE_DIR, rel);
    return buf[i];
}

#endif
