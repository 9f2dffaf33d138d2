/*
 * vercmp.c: the version-scheme registry: dispatch of dd_vercmp() and
 * dd_version_valid() to the per-scheme comparators (dpkg.c, apk.c, rpm.c,
 * semver.c, pep440.c, maven.c, gem.c, nuget.c, composer.c), scheme names, and the mapping from feed/OSV
 * ecosystem names to schemes.
 */
#include <strings.h>

#include "dd/core.h"
#include "dd/vercmp.h"
#include "vercmp/vercmp_int.h"

/* One entry per scheme, indexed by dd_verscheme_t.
 *   name:  short name used in logs and docs
 *   cmp:   total-order comparator
 *   valid: validator */
static const struct {
    const char *name;
    int (*cmp)(const char *, const char *);
    bool (*valid)(const char *);
} schemes[] = {
    [DD_VS_DPKG] = { "dpkg", dd_vercmp_dpkg, dd_version_valid_dpkg },
    [DD_VS_APK] = { "apk", dd_vercmp_apk, dd_version_valid_apk },
    [DD_VS_RPM] = { "rpm", dd_vercmp_rpm, dd_version_valid_rpm },
    [DD_VS_SEMVER] = { "semver", dd_vercmp_semver, dd_version_valid_semver },
    [DD_VS_PEP440] = { "pep440", dd_vercmp_pep440, dd_version_valid_pep440 },
    [DD_VS_GO] = { "go", dd_vercmp_go, dd_version_valid_go },
    [DD_VS_MAVEN] = { "maven", dd_vercmp_maven, dd_version_valid_maven },
    [DD_VS_GEM] = { "gem", dd_vercmp_gem, dd_version_valid_gem },
    [DD_VS_NUGET] = { "nuget", dd_vercmp_nuget, dd_version_valid_nuget },
    [DD_VS_COMPOSER] = { "composer", dd_vercmp_composer, dd_version_valid_composer },
    [DD_VS_CARGO] = { "cargo", dd_vercmp_cargo, dd_version_valid_cargo },
};

static bool known(dd_verscheme_t s)
{
    return (int)s >= DD_VS_DPKG && (int)s <= DD_VS_CARGO;
}

int dd_vercmp(dd_verscheme_t s, const char *a, const char *b)
{
    switch (s) {  /* direct calls: this is the matcher's hot path */
    case DD_VS_DPKG: return dd_vercmp_dpkg(a, b);
    case DD_VS_APK: return dd_vercmp_apk(a, b);
    case DD_VS_RPM: return dd_vercmp_rpm(a, b);
    case DD_VS_SEMVER: return dd_vercmp_semver(a, b);
    case DD_VS_PEP440: return dd_vercmp_pep440(a, b);
    case DD_VS_GO: return dd_vercmp_go(a, b);
    case DD_VS_MAVEN: return dd_vercmp_maven(a, b);
    case DD_VS_GEM: return dd_vercmp_gem(a, b);
    case DD_VS_NUGET: return dd_vercmp_nuget(a, b);
    case DD_VS_COMPOSER: return dd_vercmp_composer(a, b);
    case DD_VS_CARGO: return dd_vercmp_cargo(a, b);
    }
    return vc_sign(strcmp(a ? a : "", b ? b : ""));
}

bool dd_version_valid(dd_verscheme_t s, const char *v)
{
    if (!known(s)) return false;
    return schemes[s].valid(v);
}

const char *dd_verscheme_name(dd_verscheme_t s)
{
    if (!known(s)) return "unknown";
    return schemes[s].name;
}

/* Ecosystem name (the part before the first ':', matched case-insensitively)
 * to scheme. Sorted by name (case-insensitively); keep it sorted.
 * Names are OSV's ecosystem names plus the distribution names the OS
 * detector produces. */
static const struct {
    const char *name;
    dd_verscheme_t scheme;
} ecosystems[] = {
    { "AlmaLinux", DD_VS_RPM },
    { "Alpaquita", DD_VS_APK },
    { "Alpine", DD_VS_APK },
    { "Amazon Linux", DD_VS_RPM },
    { "Azure Linux", DD_VS_RPM },
    { "BellSoft Hardened Containers", DD_VS_APK },
    { "CBL-Mariner", DD_VS_RPM },
    { "CentOS", DD_VS_RPM },
    { "Chainguard", DD_VS_APK },
    { "crates.io", DD_VS_CARGO },
    { "Debian", DD_VS_DPKG },
    { "Fedora", DD_VS_RPM },
    { "Go", DD_VS_GO },
    { "Mageia", DD_VS_RPM },
    { "Maven", DD_VS_MAVEN },
    { "npm", DD_VS_SEMVER },
    { "NuGet", DD_VS_NUGET },
    { "openEuler", DD_VS_RPM },
    { "openSUSE", DD_VS_RPM },
    { "Oracle Linux", DD_VS_RPM },
    { "Packagist", DD_VS_COMPOSER },
    { "Photon OS", DD_VS_RPM },
    { "PyPI", DD_VS_PEP440 },
    { "Red Hat", DD_VS_RPM },
    { "Rocky Linux", DD_VS_RPM },
    { "RubyGems", DD_VS_GEM },
    { "SUSE", DD_VS_RPM },
    { "Ubuntu", DD_VS_DPKG },
    { "Wolfi", DD_VS_APK },
};

int dd_verscheme_from_ecosystem(const char *ecosystem, dd_verscheme_t *out)
{
    if (!ecosystem) return DD_ENOTFOUND;
    const char *colon = strchr(ecosystem, ':');
    size_t n = colon ? (size_t)(colon - ecosystem) : strlen(ecosystem);
    for (size_t i = 0; i < sizeof ecosystems / sizeof ecosystems[0]; i++) {
        if (strlen(ecosystems[i].name) == n &&
            strncasecmp(ecosystems[i].name, ecosystem, n) == 0) {
            if (out) *out = ecosystems[i].scheme;
            return DD_OK;
        }
    }
    return DD_ENOTFOUND;
}
