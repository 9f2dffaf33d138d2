/*
 * vercmp.h: version ordering, each ecosystem's own.
 *
 * One comparator per version scheme, each following the rules of the
 * ecosystem's real tool (see docs/vercmp.md for the exact rules and the
 * few documented deviations):
 *
 *   DD_VS_DPKG    Debian/Ubuntu: dpkg (Debian Policy 5.6.12), epoch, '~', revision
 *   DD_VS_APK     Alpine: apk-tools version rules (_alpha.._rc < none < _cvs.._p, -rN)
 *   DD_VS_RPM     RPM distros: rpmvercmp over epoch, version, release ('~', '^')
 *   DD_VS_SEMVER  npm: semver 2.0.0 precedence, node-semver strict syntax (optional "v")
 *   DD_VS_PEP440  PyPI: PEP 440 (epochs, pre/post/dev, local, normalization)
 *   DD_VS_GO      Go modules: semver with 'v' (optional), pseudo-versions,
 *                 "+incompatible" ignored
 *   DD_VS_MAVEN   Maven: ComparableVersion (maven-artifact 3.8.7): items,
 *                 qualifiers alpha < beta < milestone < rc < snapshot < "" < sp
 *   DD_VS_GEM     RubyGems: Gem::Version (segments, a letter = prerelease)
 *   DD_VS_NUGET   NuGet: SemVer 2 with a 4th number, labels case-insensitive
 *   DD_VS_COMPOSER Packagist: composer/semver normalize() + version_compare()
 *   DD_VS_CARGO   crates.io: semver 2.0.0 precedence; "0.1" and "1" read as
 *                 0.1.0 and 1.0.0 (GHSA's crates.io ranges write them so)
 *
 * Every comparator is a total preorder on arbitrary NUL-terminated strings
 * (invalid input included): antisymmetric, transitive, cmp(a,a) == 0, and it
 * never crashes, never allocates, never reads past the terminating NUL.
 * NULL is treated as "". Thread-safe (no state).
 */
#ifndef DD_VERCMP_H
#define DD_VERCMP_H

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    DD_VS_DPKG = 1,
    DD_VS_APK,
    DD_VS_RPM,
    DD_VS_SEMVER,
    DD_VS_PEP440,
    DD_VS_GO,
    DD_VS_MAVEN,
    DD_VS_GEM,
    DD_VS_NUGET,
    DD_VS_COMPOSER,
    DD_VS_CARGO,
} dd_verscheme_t;

/* <0, 0, >0 like strcmp. Total order even on invalid input (never crashes).
 * An unknown scheme compares with strcmp. */
int dd_vercmp(dd_verscheme_t s, const char *a, const char *b);

/* Whether v is a well-formed version of scheme s (what the real tool would
 * accept without complaint). Comparison does not require validity. */
bool dd_version_valid(dd_verscheme_t s, const char *v);

/* Maps a feed/OSV ecosystem name to its scheme: "Debian", "Debian:12",
 * "Ubuntu:22.04", "Ubuntu:Pro:18.04:LTS" -> DPKG; "Alpine", "Alpine:v3.18"
 * -> APK; "Red Hat:8", "AlmaLinux:9", "Rocky Linux:9", "CBL-Mariner:2.0",
 * "Azure Linux:3.0", "SUSE:...", "openSUSE:...", "Photon OS:..",
 * "Oracle Linux", "Fedora", "CentOS" -> RPM; "npm" -> SEMVER; "crates.io" -> CARGO;
 * "PyPI" -> PEP440; "Go" -> GO; "Maven" -> MAVEN; "RubyGems" -> GEM;
 * "NuGet" -> NUGET; "Packagist" -> COMPOSER. The part before the first ':' is matched
 * case-insensitively. Returns DD_OK (and sets *out) or DD_ENOTFOUND. */
int dd_verscheme_from_ecosystem(const char *ecosystem, dd_verscheme_t *out);

/* "dpkg", "apk", "rpm", "semver", "pep440", "go", "maven", "gem", "nuget",
 * "composer", "cargo"; "unknown" otherwise. */
const char *dd_verscheme_name(dd_verscheme_t s);

/* Per-scheme comparators and validators (same contracts as above). */
int dd_vercmp_dpkg(const char *a, const char *b);
int dd_vercmp_apk(const char *a, const char *b);
int dd_vercmp_rpm(const char *a, const char *b);
int dd_vercmp_semver(const char *a, const char *b);
int dd_vercmp_pep440(const char *a, const char *b);
int dd_vercmp_go(const char *a, const char *b);
int dd_vercmp_maven(const char *a, const char *b);
int dd_vercmp_gem(const char *a, const char *b);
int dd_vercmp_nuget(const char *a, const char *b);
int dd_vercmp_composer(const char *a, const char *b);
int dd_vercmp_cargo(const char *a, const char *b);

bool dd_version_valid_dpkg(const char *v);
bool dd_version_valid_apk(const char *v);
bool dd_version_valid_rpm(const char *v);
bool dd_version_valid_semver(const char *v);
bool dd_version_valid_pep440(const char *v);
bool dd_version_valid_go(const char *v);
bool dd_version_valid_maven(const char *v);
bool dd_version_valid_gem(const char *v);
bool dd_version_valid_nuget(const char *v);
bool dd_version_valid_composer(const char *v);
bool dd_version_valid_cargo(const char *v);

/* Composer's VersionParser::normalize() of v into buf (n bytes, truncated):
 * "v1.2" -> "1.2.0.0", "1.0b2" -> "1.0.0.0-beta2", "dev-main" -> itself.
 * 0, or -1 if composer rejects v. */
int dd_version_normalize_composer(const char *v, char *buf, size_t n);

/* rpm's own rpmvercmp() on one segment string (no epoch/release split),
 * exposed for tests and for callers that compare E, V and R separately. */
int dd_rpmvercmp(const char *a, const char *b);

#endif
