/*
 * vercmp_int.h: helpers shared by the version comparators in src/vercmp/.
 * Internal to the module; the public API is include/dd/vercmp.h.
 *
 * All helpers work on byte ranges [p, p + n) of the caller's strings and
 * never allocate, so the comparators stay allocation-free.
 */
#ifndef DD_VERCMP_INT_H
#define DD_VERCMP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* ASCII-only classes (the real tools use C-locale classes, not the
 * process locale, and treat bytes >= 0x80 as "other"). */
static inline bool vc_isdigit(int c) { return c >= '0' && c <= '9'; }
static inline bool vc_islower(int c) { return c >= 'a' && c <= 'z'; }
static inline bool vc_isupper(int c) { return c >= 'A' && c <= 'Z'; }
static inline bool vc_isalpha(int c) { return vc_islower(c) || vc_isupper(c); }
static inline bool vc_isalnum(int c) { return vc_isdigit(c) || vc_isalpha(c); }
static inline int vc_tolower(int c) { return vc_isupper(c) ? c + ('a' - 'A') : c; }

static inline int vc_sign(long v) { return (v > 0) - (v < 0); }

/* Compares two decimal digit strings by numeric value, with no limit on
 * their length (no overflow): leading zeros are ignored, then the longer
 * one is larger, then bytewise. An empty string counts as 0. */
static inline int vc_numcmp(const char *a, size_t an, const char *b, size_t bn)
{
    while (an > 0 && *a == '0') a++, an--;
    while (bn > 0 && *b == '0') b++, bn--;
    if (an != bn) return an < bn ? -1 : 1;
    if (an == 0) return 0;
    int r = memcmp(a, b, an);
    return vc_sign(r);
}

/* Bytewise comparison, a shorter prefix sorting first (apk's blob sort). */
static inline int vc_bytecmp(const char *a, size_t an, const char *b, size_t bn)
{
    size_t n = an < bn ? an : bn;
    int r = n ? memcmp(a, b, n) : 0;
    if (r) return vc_sign(r);
    if (an != bn) return an < bn ? -1 : 1;
    return 0;
}

/* Length of the run of decimal digits at p. */
static inline size_t vc_digits(const char *p)
{
    size_t n = 0;
    while (vc_isdigit((unsigned char)p[n])) n++;
    return n;
}

/* The fallback order for schemes whose invalid strings have no ordering of
 * their own (semver, pep440, go): invalid < valid, and invalid strings
 * among themselves by strcmp. Returns the comparison, given validity. */
static inline int vc_invalid_order(bool va, bool vb, const char *a, const char *b)
{
    if (va != vb) return va ? 1 : -1;
    return vc_sign(strcmp(a, b));
}

#endif
