/*
 * values.c: the normalized vocabulary of the vulnerability database: fix
 * states, severity bands, ecosystem names, and the CVSS v3 base score
 * computed from a vector (OSV records carry vectors without scores).
 */
#include "dd/vulndb.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const fix_names[] = {
    [DD_FIX_UNKNOWN] = "unknown",     [DD_FIX_FIXED] = "fixed",
    [DD_FIX_NOT_FIXED] = "not-fixed", [DD_FIX_WONT_FIX] = "will-not-fix",
    [DD_FIX_DEFERRED] = "deferred",   [DD_FIX_EOL] = "end-of-life",
    [DD_FIX_NOT_AFFECTED] = "not-affected",
};

const char *dd_fix_state_name(dd_fix_state_t s)
{
    if ((unsigned)s >= sizeof fix_names / sizeof fix_names[0]) return "unknown";
    return fix_names[s];
}

int dd_fix_state_parse(const char *s, dd_fix_state_t *out)
{
    for (size_t i = 0; i < sizeof fix_names / sizeof fix_names[0]; i++)
        if (s && !strcmp(s, fix_names[i])) {
            *out = (dd_fix_state_t)i;
            return DD_OK;
        }
    return DD_EINVAL;
}

static const char *const sev_names[] = {
    [DD_SEV_UNKNOWN] = "Unknown", [DD_SEV_NEGLIGIBLE] = "Negligible", [DD_SEV_LOW] = "Low",
    [DD_SEV_MEDIUM] = "Medium",   [DD_SEV_HIGH] = "High",             [DD_SEV_CRITICAL] = "Critical",
};

const char *dd_severity_name(dd_severity_t s)
{
    if ((unsigned)s >= sizeof sev_names / sizeof sev_names[0]) return "Unknown";
    return sev_names[s];
}

dd_severity_t dd_severity_parse(const char *s)
{
    if (!s) return DD_SEV_UNKNOWN;
    char w[32];
    size_t n = 0;
    while (s[n] && s[n] != '*' && n < sizeof w - 1) {
        w[n] = s[n];
        n++;
    }
    w[n] = 0;
    static const struct { const char *word; dd_severity_t sev; } words[] = {
        {"critical", DD_SEV_CRITICAL}, {"high", DD_SEV_HIGH},        {"important", DD_SEV_HIGH},
        {"low", DD_SEV_LOW},           {"medium", DD_SEV_MEDIUM},    {"moderate", DD_SEV_MEDIUM},
        {"negligible", DD_SEV_NEGLIGIBLE}, {"unimportant", DD_SEV_NEGLIGIBLE},
    };
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (!strcasecmp(w, words[i].word)) return words[i].sev;
    return DD_SEV_UNKNOWN;
}

int dd_severity_name_parse(const char *s, dd_severity_t *out)
{
    for (int i = DD_SEV_UNKNOWN; i <= DD_SEV_CRITICAL; i++)
        if (!strcasecmp(s, dd_severity_name((dd_severity_t)i))) {
            *out = (dd_severity_t)i;
            return DD_OK;
        }
    return DD_EINVAL;
}

dd_severity_t dd_severity_from_cvss(double score)
{
    if (score <= 0) return DD_SEV_UNKNOWN;
    if (score < 4.0) return DD_SEV_LOW;
    if (score < 7.0) return DD_SEV_MEDIUM;
    if (score < 9.0) return DD_SEV_HIGH;
    return DD_SEV_CRITICAL;
}

/* CVSS v3.1 "Roundup": smallest number with one decimal >= x, computed on
 * integers to avoid floating point surprises (spec appendix A). */
static double roundup(double x)
{
    long long i = llround(x * 100000.0);
    if (i % 10000 == 0) return (double)i / 100000.0;
    return (floor((double)i / 10000.0) + 1) / 10.0;
}

static int metric(const char *vec, const char *key, char *val)
{
    size_t kl = strlen(key);
    for (const char *p = vec; (p = strstr(p, key)); p++) {
        if ((p == vec || p[-1] == '/') && p[kl] == ':' && p[kl + 1] && (p[kl + 2] == '/' || !p[kl + 2])) {
            *val = p[kl + 1];
            return 1;
        }
    }
    return 0;
}

int dd_cvss3_base_score(const char *vector, double *out)
{
    if (!vector || (strncmp(vector, "CVSS:3.0/", 9) && strncmp(vector, "CVSS:3.1/", 9)))
        return DD_EINVAL;
    char av, ac, pr, ui, s, c, i, a;
    if (!metric(vector, "AV", &av) || !metric(vector, "AC", &ac) || !metric(vector, "PR", &pr) ||
        !metric(vector, "UI", &ui) || !metric(vector, "S", &s) || !metric(vector, "C", &c) ||
        !metric(vector, "I", &i) || !metric(vector, "A", &a))
        return DD_EINVAL;
    double vav, vac, vpr, vui, cia[3];
    switch (av) {
    case 'N': vav = 0.85; break;
    case 'A': vav = 0.62; break;
    case 'L': vav = 0.55; break;
    case 'P': vav = 0.2; break;
    default: return DD_EINVAL;
    }
    switch (ac) {
    case 'L': vac = 0.77; break;
    case 'H': vac = 0.44; break;
    default: return DD_EINVAL;
    }
    if (s != 'U' && s != 'C') return DD_EINVAL;
    switch (pr) {
    case 'N': vpr = 0.85; break;
    case 'L': vpr = s == 'C' ? 0.68 : 0.62; break;
    case 'H': vpr = s == 'C' ? 0.5 : 0.27; break;
    default: return DD_EINVAL;
    }
    switch (ui) {
    case 'N': vui = 0.85; break;
    case 'R': vui = 0.62; break;
    default: return DD_EINVAL;
    }
    char m[3] = {c, i, a};
    for (int k = 0; k < 3; k++) {
        switch (m[k]) {
        case 'H': cia[k] = 0.56; break;
        case 'L': cia[k] = 0.22; break;
        case 'N': cia[k] = 0; break;
        default: return DD_EINVAL;
        }
    }
    double iss = 1 - (1 - cia[0]) * (1 - cia[1]) * (1 - cia[2]);
    double impact = s == 'U' ? 6.42 * iss : 7.52 * (iss - 0.029) - 3.25 * pow(iss - 0.02, 15);
    double expl = 8.22 * vav * vac * vpr * vui;
    if (impact <= 0) {
        *out = 0;
        return DD_OK;
    }
    double sum = s == 'U' ? impact + expl : 1.08 * (impact + expl);
    *out = roundup(sum < 10 ? sum : 10);
    return DD_OK;
}

/* SUSE files SLE packages under the product or module that ships them and
 * the support phase: "SUSE:Linux Enterprise Module for Basesystem 15 SP5",
 * "SUSE:Linux Enterprise Server 15 SP5-LTSS", "SUSE:Linux Enterprise Server
 * for SAP Applications 15 SP5", "SUSE:Linux Enterprise High Performance
 * Computing 15 SP5-ESPOS". Every one of them is a part of (or a variant of) the
 * server release an image's os-release names, so all become
 * "SUSE:Linux Enterprise Server 15 SP5" (what the OS detector derives from
 * ID=sles VERSION_ID=15.5). Other SUSE products (Micro, Desktop, Storage,
 * Manager) are kept as written. */
static bool suse_server_release(const char *in, char *out, size_t outsz)
{
    static const char *const products[] = {
        "SUSE:Linux Enterprise High Performance Computing ",
        "SUSE:Linux Enterprise Module for ",
        "SUSE:Linux Enterprise Server ",
    };
    bool known = false;
    for (size_t i = 0; i < sizeof products / sizeof products[0]; i++)
        if (!strncmp(in, products[i], strlen(products[i]))) known = true;
    if (!known) return false;
    size_t end = strlen(in);
    /* a support-phase suffix: "-LTSS", "-ESPOS", "-BCL" (letters only) */
    const char *dash = strrchr(in, '-');
    if (dash && dash[1]) {
        bool letters = true;
        for (const char *q = dash + 1; *q; q++)
            if (!isalpha((unsigned char)*q)) letters = false;
        if (letters) end = (size_t)(dash - in);
    }
    /* the release at the end: " <N> SP<M>" or " <N>" */
    size_t i = end;
    while (i > 0 && isdigit((unsigned char)in[i - 1])) i--;
    if (i == end) return false;
    size_t start = i;
    if (i >= 3 && !strncmp(in + i - 3, " SP", 3)) {
        size_t j = i - 3;
        while (j > 0 && isdigit((unsigned char)in[j - 1])) j--;
        if (j == i - 3 || j == 0 || in[j - 1] != ' ') return false;
        start = j;
    } else if (in[i - 1] != ' ') {
        return false;
    }
    snprintf(out, outsz, "SUSE:Linux Enterprise Server %.*s", (int)(end - start), in + start);
    return true;
}

void dd_ecosystem_normalize(const char *in, char *out, size_t outsz)
{
    if (!in) in = "";
    char tmp[128];
    snprintf(tmp, sizeof tmp, "%s", in);
    size_t n = strlen(tmp);
    /* "Ubuntu:22.04:LTS", "Ubuntu:Pro:18.04:LTS", "Ubuntu:Pro:FIPS..." */
    if (!strncmp(tmp, "Ubuntu:", 7) && n > 4 && !strcmp(tmp + n - 4, ":LTS")) tmp[n - 4] = 0;
    /* "Alpine:3.18" -> "Alpine:v3.18" */
    if (!strncmp(tmp, "Alpine:", 7) && isdigit((unsigned char)tmp[7])) {
        snprintf(out, outsz, "Alpine:v%s", tmp + 7);
        return;
    }
    if (suse_server_release(tmp, out, outsz)) return;
    snprintf(out, outsz, "%s", tmp);
}

/* Ecosystems whose package names are not looked up as written; sorted
 * (case-insensitively). fold: lowercase; pep503: runs of -_. -> '-'. */
static const struct {
    const char *eco;
    bool fold, pep503;
} pkgname_rules[] = {
    {"NuGet", true, false},
    {"Packagist", true, false},
    {"PyPI", true, true},
};

char *dd_pkgname_normalize(const char *ecosystem, const char *name, char *buf, size_t n)
{
    if (!buf || n == 0) return buf;
    if (!name) name = "";
    if (!ecosystem) ecosystem = "";
    size_t el = strcspn(ecosystem, ":");
    bool fold = false, pep503 = false;
    for (size_t i = 0; i < sizeof pkgname_rules / sizeof pkgname_rules[0]; i++)
        if (strlen(pkgname_rules[i].eco) == el && !strncasecmp(ecosystem, pkgname_rules[i].eco, el)) {
            fold = pkgname_rules[i].fold;
            pep503 = pkgname_rules[i].pep503;
        }
    size_t o = 0;
    for (const char *p = name; *p && o + 1 < n; p++) {
        char c = *p;
        if (pep503 && (c == '-' || c == '_' || c == '.')) {
            while (p[1] == '-' || p[1] == '_' || p[1] == '.') p++;
            c = '-';
        } else if (fold && c >= 'A' && c <= 'Z') {
            c = (char)(c - 'A' + 'a');
        }
        buf[o++] = c;
    }
    buf[o] = 0;
    return buf;
}

const char *dd_osv_severity_source(const char *feed, const char *vuln_id)
{
    if (!feed || strncmp(feed, "osv", 3) || (feed[3] && feed[3] != '/')) return NULL;
    if (vuln_id && !strncmp(vuln_id, "GHSA-", 5)) return "ghsa";
    return "osv";
}

dd_severity_t dd_severity_from_cvss_version(const char *version, double score)
{
    if (version && version[0] == '2') {
        if (score <= 0) return DD_SEV_UNKNOWN;
        return score < 4.0 ? DD_SEV_LOW : score < 7.0 ? DD_SEV_MEDIUM : DD_SEV_HIGH;
    }
    return dd_severity_from_cvss(score);
}

/* Rank of a CVSS version: 4.0 > 3.1 > 3.0 > 2.0 > anything else. */
static int cvss_rank(const char *v)
{
    if (!v) return 0;
    if (!strcmp(v, "4.0")) return 4;
    if (!strcmp(v, "3.1")) return 3;
    if (!strcmp(v, "3.0")) return 2;
    if (!strcmp(v, "2.0")) return 1;
    return 0;
}

const dd_cvss_t *dd_vuln_best_cvss(const dd_vuln_t *v, const char *feed, const char *source)
{
    const dd_cvss_t *best = NULL;
    for (size_t i = 0; v && i < v->n_cvss; i++) {
        const dd_cvss_t *c = &v->cvss[i];
        if ((feed && (!c->feed || strcmp(c->feed, feed))) || (source && (!c->source || strcmp(c->source, source))))
            continue;
        if (!c->vector && c->score <= 0) continue;
        int r = cvss_rank(c->version);
        if (!best || r > cvss_rank(best->version) || (r == cvss_rank(best->version) && c->primary && !best->primary))
            best = c;
    }
    return best;
}
