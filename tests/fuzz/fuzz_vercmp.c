/*
 * fuzz_vercmp.c: libFuzzer target for the version comparators.
 *
 * Input: byte 0 picks the scheme (dpkg, apk, rpm, semver, pep440, go, maven,
 * gem, nuget, composer, cargo, or an unknown one); the rest is split at NUL bytes into up to three strings a,
 * b, c. Checks the order laws every comparator promises on any input:
 *   cmp(a, a) == 0; sign(cmp(a, b)) == -sign(cmp(b, a));
 *   transitivity on (a, b, c); equal strings compare equal to the same
 *   things; dd_version_valid never crashes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dd/vercmp.h"

#define MAXLEN 1024

static int sgn(int x) { return (x > 0) - (x < 0); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 3 * MAXLEN) return 0;
    dd_verscheme_t s = (dd_verscheme_t)(data[0] % 12 + 1); /* 12 = unknown scheme */
    char buf[3][MAXLEN + 1];
    int n = 0;
    size_t len = 0;
    memset(buf, 0, sizeof buf);
    for (size_t i = 1; i < size && n < 3; i++) {
        if (data[i] == 0) {
            buf[n][len] = 0;
            n++;
            len = 0;
            continue;
        }
        if (len < MAXLEN) buf[n][len++] = (char)data[i];
    }
    const char *a = buf[0], *b = buf[1], *c = buf[2];

    (void)dd_version_valid(s, a);
    (void)dd_version_valid(s, b);
    if (dd_vercmp(s, a, a) != 0) abort();
    if (dd_vercmp(s, b, b) != 0) abort();
    int ab = sgn(dd_vercmp(s, a, b)), ba = sgn(dd_vercmp(s, b, a));
    if (ab != -ba) abort();
    int bc = sgn(dd_vercmp(s, b, c)), ac = sgn(dd_vercmp(s, a, c));
    if (ab <= 0 && bc <= 0 && ac > 0) abort();
    if (ab >= 0 && bc >= 0 && ac < 0) abort();
    if (ab == 0 && ac != bc) abort();
    return 0;
}
