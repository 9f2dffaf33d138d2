/* test_vercmp.c: unit tests of src/vercmp (version ordering per ecosystem).
 *
 * Three kinds of checks:
 *   - hand-written tables of tricky pairs and chains per scheme, from the
 *     specs (Debian Policy 5.6.12, apk-tools rules, rpmvercmp, semver.org,
 *     PEP 440, golang.org/x/mod/semver);
 *   - expectation files produced by the REAL tools (dpkg --compare-versions,
 *     rpm.vercmp, python3-packaging) over thousands of generated and real
 *     pairs: tests/fixtures/vercmp/NAME_pairs.txt (regenerate with gen.sh);
 *   - order properties: antisymmetry, reflexivity, and a sort of every
 *     fixture version whose result must be consistent (transitivity).
 */
#include "dd/core.h"
#include "dd/vercmp.h"
#include "test.h"

static int sgn(int x) { return (x > 0) - (x < 0); }

/* Checks sign(cmp(a,b)) == want and the mirrored pair, printing the pair
 * on failure. Returns 1 on failure. */
static int check_pair(dd_verscheme_t s, const char *a, const char *b, int want, const char *where,
                      int line)
{
    int r1 = sgn(dd_vercmp(s, a, b)), r2 = sgn(dd_vercmp(s, b, a));
    if (r1 == want && r2 == -want) return 0;
    fprintf(stderr, "  FAIL %s:%d: %s cmp('%s', '%s') = %d / reversed %d, want %d\n", where, line,
            dd_verscheme_name(s), a, b, r1, r2, want);
    t_failed_checks++;
    return 1;
}

typedef struct {
    const char *a, *b;
    int want; /* -1: a < b, 0: equal, 1: a > b */
} pair_t;

static void run_pairs(dd_verscheme_t s, const pair_t *p, size_t n, int line)
{
    for (size_t i = 0; i < n; i++) check_pair(s, p[i].a, p[i].b, p[i].want, __FILE__, line);
}
#define RUN_PAIRS(s, arr) run_pairs(s, arr, sizeof(arr) / sizeof(arr[0]), __LINE__)

/* A strictly increasing chain: every earlier element is below every later one. */
static void run_chain(dd_verscheme_t s, const char *const *v, size_t n, int line)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            check_pair(s, v[i], v[j], i < j ? -1 : i > j ? 1 : 0, __FILE__, line);
}
#define RUN_CHAIN(s, arr) run_chain(s, arr, sizeof(arr) / sizeof(arr[0]), __LINE__)

/* Every element equal to every other. */
static void run_equal(dd_verscheme_t s, const char *const *v, size_t n, int line)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) check_pair(s, v[i], v[j], 0, __FILE__, line);
}
#define RUN_EQUAL(s, arr) run_equal(s, arr, sizeof(arr) / sizeof(arr[0]), __LINE__)

typedef struct {
    const char *v;
    bool valid;
} valid_t;

static void run_valid(dd_verscheme_t s, const valid_t *v, size_t n, int line)
{
    for (size_t i = 0; i < n; i++) {
        if (dd_version_valid(s, v[i].v) != v[i].valid) {
            fprintf(stderr, "  FAIL %s:%d: %s valid('%s') != %d\n", __FILE__, line,
                    dd_verscheme_name(s), v[i].v, v[i].valid);
            t_failed_checks++;
        }
        /* whatever the validity: reflexive */
        check_pair(s, v[i].v, v[i].v, 0, __FILE__, line);
    }
}
#define RUN_VALID(s, arr) run_valid(s, arr, sizeof(arr) / sizeof(arr[0]), __LINE__)

/* ---- dpkg ---------------------------------------------------------------- */

TEST(dpkg_table)
{
    /* Debian Policy 5.6.12: "~~, ~~a, ~, the empty part, a" */
    static const char *const tilde[] = { "1~~", "1~~a", "1~", "1", "1a" };
    RUN_CHAIN(DD_VS_DPKG, tilde);
    static const char *const chain[] = {
        "0.9",         "1.0~alpha1",   "1.0~beta",      "1.0~rc1",         "1.0",
        "1.0-0.1",     "1.0-1~bpo1",   "1.0-1",         "1.0-1ubuntu1",    "1.0-1ubuntu1.1",
        "1.0-1+b1",    "1.0-1+deb12u1", "1.0-1+deb12u10", "1.0-2",         "1.0a",
        "1.0+dfsg",    "1.0.0",        "1.0.1",         "1.00001.2",       "1.2",
        "1.10",        "2",            "10",            "1:0.1",           "1:1.0",
        "2:0",         "10:0",
    };
    RUN_CHAIN(DD_VS_DPKG, chain);
    static const pair_t pairs[] = {
        { "1.0", "1.0-0", 0 },            /* missing revision == "0" */
        { "0:1.0", "1.0", 0 },            /* missing epoch == 0 */
        { "00:1.0", "0:1.0", 0 },
        { "1.01", "1.1", 0 },             /* numbers by value */
        { "1.0-01", "1.0-1", 0 },
        { "1.0a", "1.0+", -1 },           /* letters < other characters */
        { "1.0+", "1.0.", -1 },           /* '+' (43) < '.' (46) */
        { "1.0.", "1.0", 1 },
        { "1.0-1-1", "1.0-1", 1 },        /* revision after the LAST hyphen */
        { "1.0-1-1", "1.0-2", 1 },        /* upstream 1.0-1 vs 1.0: '-' > end */
        { "1.0-1ubuntu1", "1.0-1+b1", -1 }, /* 'u' (letter) < '+' */
        { "+1:1.0", "1:1.0", 0 },         /* dpkg reads the epoch with strtol */
        { "+0:4~r~ac", "0:4~r~ac", 0 },
        { " 1.0\t", "1.0", 0 },          /* dpkg trims blanks */
        { "\t1:1.0-1 ", "1:1.0-1", 0 },
        { "1.0-1 ", "1.0-1+", -1 },
        { "7.6p2-4", "7.6-0", 1 },
        { "2.30-1", "2.3-1", 1 },
        { "1:1.2.3-1", "1:1.2.3-1ubuntu1", -1 },
        { "2.20.1-2+deb10u3", "2.20.1-2+deb10u10", -1 },
        { "1:2.20.1-2+deb10u3", "2.30", 1 },
        { "1.2.3-1~deb12u1", "1.2.3-1", -1 },
        { "2:1.20.11-1+deb11u6", "2:1.20.11-1+deb11u5", 1 },
        { "9:1", "10:1", -1 },            /* epochs are numbers */
        { "99999999999999999999:1", "99999999999999999998:2", 1 }, /* no overflow */
        { "1.0~", "1.0", -1 },
        { "1.0~~", "1.0~", -1 },
        { "1.0~a", "1.0~", 1 },
        { "1.0~a", "1.0~b", -1 },
        { "1.0A", "1.0a", -1 },           /* ASCII: uppercase first */
        { "1.0Z", "1.0a", -1 },
        { "1.0z", "1.0.", -1 },
        /* malformed input is still ordered */
        { "abc", "abd", -1 },
        { "x:1.0", "1.0", 1 },            /* not an epoch: upstream "x:1.0" */
        { "", "0", 0 },
        { "", "1", -1 },
        { "1.0\xe9", "1.0z", 1 },         /* bytes >= 0x80 after letters */
        { "1.0\xe9", "1.0.", -1 },        /* ... before ASCII punctuation */
    };
    RUN_PAIRS(DD_VS_DPKG, pairs);
    static const valid_t valid[] = {
        { "1.0", true },        { "1:1.0-1", true },     { "1.0-1ubuntu0.1~18.04", true },
        { "0:1.0", true },      { "1.0-1-1", true },     { "2.0+dfsg~rc1-3+b2", true },
        { "1:2:3", true },      { "", false },           { "1.0-", false },
        { "a1.0", false },      { "1:", false },         { "x:1.0", false },
        { "1.0 1", false },     { "1.0_1", false },      { "1.0-1_2", false },
        { "-1", false },        { "2147483648:1", false }, { "2147483647:1", true },
        { "1.0-1:2", false },   { "+1:1.0", true },      { "-0:1.0", true },
        { "-1:1.0", false },    { "+:1.0", false },      { " 1.0-1\t", true },
        { "1 .0", false },      { "  ", false },         { ":1.0", false },
        { "1.0\n", false },
    };
    RUN_VALID(DD_VS_DPKG, valid);
}

/* ---- apk ----------------------------------------------------------------- */

TEST(apk_table)
{
    static const char *const suffixes[] = {
        "1.0_alpha", "1.0_alpha1", "1.0_alpha2", "1.0_beta", "1.0_beta3", "1.0_pre",
        "1.0_pre1", "1.0_rc", "1.0_rc1", "1.0_rc10", "1.0", "1.0-r0", "1.0-r1", "1.0-r10",
        "1.0_cvs", "1.0_svn", "1.0_git", "1.0_git20230101", "1.0_hg", "1.0_p", "1.0_p1",
        "1.0_p1-r1", "1.0_p2", "1.0a", "1.0b", "1.0z", "1.0.0", "1.0.1", "1.1", "1.10", "2",
    };
    RUN_CHAIN(DD_VS_APK, suffixes);
    static const char *const zeros[] = {
        /* components after the first with a leading zero compare as strings */
        "1.0", "1.00", "1.001", "1.01", "1.010", "1.02", "1.1", "1.9", "1.10", "1.100",
    };
    RUN_CHAIN(DD_VS_APK, zeros);
    static const pair_t pairs[] = {
        { "01", "1", 0 },                 /* first component: numeric */
        { "006", "1.0.0", 1 },
        { "1.05", "1.5", -1 },
        { "1.0", "1.0-r0", -1 },          /* more tokens is greater */
        { "1.0_alpha_pre2", "1.0_alpha", -1 },  /* pre suffix after suffix loses */
        { "1.0_alpha_p1", "1.0_alpha", 1 },
        { "1.0_rc1-r5", "1.0", -1 },
        { "1.0_p1", "1.0-r5", 1 },
        { "1.0a", "1.0.1", -1 },          /* letter vs .N: letter is the smaller type */
        { "1.0a-r1", "1.0a", 1 },
        { "1.2.3_rc1", "1.2.3_rc1.1", 1 },/* invalid tail sorts lowest */
        { "2.9.11_pre20061021-r2", "2.9.11-r0", -1 },
        { "2.9.11_pre20051101-r3", "2.9.11_pre20061021-r1", -1 },
        { "1.0.0_pre20191002222144-r0", "1.0.0_pre20210530193627-r0", -1 },
        { "1.0_pre99999999999999999999999", "1.0_pre99999999999999999999998", 1 },
        { "1.0~abc", "1.0~abd", -1 },     /* commit hash: string order */
        { "1.0~abc", "1.0~abc-r1", -1 },
        { "1.0~abc", "1.0", 1 },
        { "1.0_git1~abc", "1.0_git1", 1 },
        { "1.0~ab", "1.0~abc", -1 },
        { "1.0bc", "1.0", 1 },            /* "1.0" ends; "1.0b" then invalid */
        { "1.0_foo", "1.0", -1 },         /* invalid suffix: lowest */
        { "1.0_foo", "1.0_bar", 0 },      /* equal up to the invalid token */
        { "abc", "xyz", 0 },
        { "abc", "0", -1 },
        { "23_foo", "4_beta", 1 },
        { "1.0-r1", "1.0-r01", 0 },
        { "3.0.3-r5", "3.0.3-r10", -1 },
        { "1.1.1g-r0", "1.1.1k-r0", -1 },
        { "1.1.1k-r0", "1.1.1-r0", 1 },
        { "1.2.07.8", "1.2.12.04", -1 },  /* "07" < "12" as strings */
        { "1.02.07", "1.02.10-r1", -1 },
        { "1.07-r1", "1.07.5", -1 },      /* -rN vs .N: more components wins */
        { "0.9.28.1", "087-r1", -1 },
        { "3.0.20060720", "20060720", -1 },
        { "2.12r-r4", "2.12r-r5", -1 },
        { "0.59s-r11", "0.65", -1 },
        { "1.3_pre1-r1", "1.3.2", -1 },
        { "1.0_p10-r0", "1.0_p9-r0", 1 },
        { "1.6d", "1.2.07.8", 1 },
    };
    RUN_PAIRS(DD_VS_APK, pairs);
    static const valid_t valid[] = {
        { "1.0", true },              { "1.0a", true },              { "1.0_rc1_p2-r3", true },
        { "1.0~deadbeef-r0", true },  { "2.9.11_pre20061021-r2", true }, { "0", true },
        { "1.0_git20230101~abc12", true }, { "", false },            { "1.0ab", false },
        { "1.0-r", false },           { "1.0-1", false },            { "1.0_foo", false },
        { "1.0_rc1.1", false },       { "1.0~XYZ", false },          { "v1.0", false },
        { "1..0", false },            { "1.0.", false },             { "1.0-r1-r2", false },
        { "1.0A", false },            { "1.0a1", false },            { "1.0~", false },
        { "1.0_", false },
    };
    RUN_VALID(DD_VS_APK, valid);
}

/* ---- rpm ----------------------------------------------------------------- */

TEST(rpm_table)
{
    static const char *const chain[] = {
        "1.0~~",     "1.0~",      "1.0~rc1",  "1.0~rc1^git1", "1.0~rc2",  "1.0",
        "1.0^",      "1.0^git1",  "1.0^git2", "1.0a",         "1.0b",     "1.0.0",
        "1.0.1",     "1.1",       "1.9",      "1.10",         "2",        "1:0.1",
    };
    RUN_CHAIN(DD_VS_RPM, chain);
    static const pair_t pairs[] = {
        { "1.0", "1..0", 0 },             /* separators only split */
        { "1.0", "1_0", 0 },
        { "1.0", "1.0.", 0 },
        { "1a", "1.a", 0 },
        { "1.010", "1.10", 0 },
        { "1.0001", "1.1", 0 },
        { "1.0a", "1.0.1", -1 },          /* numeric newer than alpha */
        { "a", "b", -1 },
        { "A", "a", -1 },
        { "abc", "ab", 1 },
        { "1:1.0-1", "2.0-1", 1 },
        { "0:1.0-1", "1.0-1", 0 },
        { ":1.0-1", "1.0-1", 0 },         /* empty epoch is 0 */
        { "01:1", "1:1", 0 },
        { "1.0-1", "1.0-1.el8", -1 },
        { "1.0-1.el8", "1.0-2.el8", -1 },
        { "1.2.3-4.el8_8", "1.2.3-4.el8", 1 },
        { "1.0", "1.0-1", -1 },           /* missing release sorts first */
        { "1.0", "1.0-", -1 },
        { "1.0", "1.0-~1", -1 },
        { "1.0-~1", "1.0-", -1 },
        { "1-2-3", "1-2-4", -1 },         /* release after the last hyphen */
        { "1-2-3", "1-3", 1 },
        { "7.76.0-6.cm2", "7.76.0-10.cm2", -1 },
        { "2.31-9.3.2", "2.31-9.3.10", -1 },
        { "a:1", "1", -1 },               /* not an epoch */
        { "1.0^", "1.0~", 1 },
        { "1.0^a", "1.0a", -1 },
        { "99999999999999999999999", "99999999999999999999998", 1 },
        { "1.0\xe9" "a", "1.0.a", 0 },    /* bytes >= 0x80 are separators */
    };
    RUN_PAIRS(DD_VS_RPM, pairs);
    CHECK_INT(dd_rpmvercmp("1.0~rc1", "1.0"), -1);
    CHECK_INT(dd_rpmvercmp("1.0-1", "1.0.1"), 0); /* no EVR split */
    static const valid_t valid[] = {
        { "1.0", true },   { "1:1.0-1.el8", true }, { "1.0~rc1^git2-1", true },
        { "1.0_1", true }, { "", false },           { "1.0-", false },
        { "-1", false },   { "1.0 1", false },      { "1.0-1-", false },
    };
    RUN_VALID(DD_VS_RPM, valid);
}

/* ---- semver -------------------------------------------------------------- */

TEST(semver_table)
{
    /* semver.org section 11 */
    static const char *const chain[] = {
        "0.0.0-0", "0.0.0", "0.1.0", "1.0.0-0", "1.0.0-alpha", "1.0.0-alpha.1",
        "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1",
        "1.0.0", "1.0.1", "1.9.0", "1.10.0", "1.11.0", "2.0.0", "2.1.0", "2.1.1",
        "10.0.0", "9007199254740991.0.0",
    };
    RUN_CHAIN(DD_VS_SEMVER, chain);
    static const char *const same[] = { "1.2.3", "v1.2.3", "1.2.3+build.5",
                                        "v1.2.3+20130313144700" };
    RUN_EQUAL(DD_VS_SEMVER, same);
    static const pair_t pairs[] = {
        { "1.0.0-2", "1.0.0-10", -1 },     /* numeric identifiers by value */
        { "1.0.0-a2", "1.0.0-a10", 1 },    /* alphanumeric: ASCII */
        { "1.0.0-999", "1.0.0-a", -1 },    /* numeric < alphanumeric */
        { "1.0.0-A", "1.0.0-a", -1 },
        { "1.0.0-x-y-z.--", "1.0.0-x-y-z", 1 },
        { "1.0.0-rc.1+b1", "1.0.0-rc.1+b2", 0 },
        { "1.0", "0.0.0", -1 },            /* invalid < valid */
        { "1.0", "1.0.x", -1 },            /* invalid among themselves: strcmp */
        { "", "0.0.0", -1 },
        { "1.2.3-99999999999999999999", "1.2.3-99999999999999999998", 1 }, /* by value */
        { "9007199254740992.0.0", "0.0.0", -1 }, /* too big for npm: invalid */
    };
    RUN_PAIRS(DD_VS_SEMVER, pairs);
    /* node-semver's 256-byte limit */
    char longv[300];
    memset(longv, 0, sizeof longv);
    memcpy(longv, "1.2.3-", 6);
    memset(longv + 6, 'a', 250);
    CHECK(dd_version_valid(DD_VS_SEMVER, longv));
    longv[256] = 'a';
    CHECK(!dd_version_valid(DD_VS_SEMVER, longv));
    CHECK(dd_version_valid(DD_VS_GO, "v1.2.3-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
    static const valid_t valid[] = {
        { "1.2.3", true },           { "v1.2.3", true },        { "1.0.0-0a", true },
        { "1.2.3+01", true },        { "1.0.0-x-y-z.--", true },{ "1.2.3-rc.1+build.1", true },
        { "1.2", false },            { "01.2.3", false },       { "1.02.3", false },
        { "1.2.3-01", false },       { "1.2.3-", false },       { "1.2.3-a..b", false },
        { "1.2.3+", false },         { "1.2.3.4", false },      { "", false },
        { "1.2.3 ", false },         { "1.2.3-a_b", false },    { "vv1.2.3", false },
        { "V1.2.3", false },         { "=1.2.3", false },       { "v=1.2.3", false },
        { "9007199254740992.0.0", false }, { "1.9007199254740991.0", true },
        { "99999999999999999999.0.0", false }, { "1.2.3-99999999999999999999", true },
    };
    RUN_VALID(DD_VS_SEMVER, valid);
}

/* ---- Go ------------------------------------------------------------------ */

TEST(go_table)
{
    static const char *const chain[] = {
        "v0.0.0-20191109021931-daa7c04131f5", /* pseudo-version of no tag */
        "v0.0.0-20200101000000-aaaaaaaaaaaa",
        "v0.0.0",
        "v0.0.1",
        "v1.2.3-pre",
        "v1.2.3-pre.0.20191109021931-daa7c04131f5", /* pseudo after a prerelease */
        "v1.2.3",
        "v1.2.4-0.20191109021931-daa7c04131f5",     /* pseudo after a release */
        "v1.2.4",
        "v1.10.0",
        "v2.0.0",
    };
    RUN_CHAIN(DD_VS_GO, chain);
    static const char *const same[] = { "v2.0.0", "2.0.0", "v2.0.0+incompatible", "v2", "v2.0",
                                        "2.0.0+meta" };
    RUN_EQUAL(DD_VS_GO, same);
    static const pair_t pairs[] = {
        { "v1.2-pre", "v0.0.0", -1 },   /* invalid: shorthand with prerelease */
        { "v1.2.3.4", "v0.0.0", -1 },
        { "1.20.5", "1.20.10", -1 },    /* OSV Go versions lack the "v" */
        { "v1.0.0-rc.1", "v1.0.0-rc.1.0.20230101000000-abcdefabcdef", -1 },
        /* go.dev/ref/mod#pseudo-versions: vX.Y.(Z+1)-0.ts-hash sorts after vX.Y.Z, before
         * vX.Y.(Z+1); "+incompatible" is build metadata (go.dev/ref/mod#incompatible-versions) */
        { "v2.0.1-0.20190101000000-abcdefabcdef+incompatible", "v2.0.0+incompatible", 1 },
        { "v2.0.1-0.20190101000000-abcdefabcdef+incompatible", "v2.0.1+incompatible", -1 },
        { "v0.0.0-20230101000000-abcdefabcdef", "v0.0.0-20221231235959-ffffffffffff", 1 },
        { "0.7.0", "v0.0.0-20230101000000-abcdefabcdef", 1 },
    };
    RUN_PAIRS(DD_VS_GO, pairs);
    static const valid_t valid[] = {
        { "v1.2.3", true }, { "1.2.3", true },   { "v1", true },      { "v1.2", true },
        { "v0.0.0-20191109021931-daa7c04131f5", true }, { "v2.0.0+incompatible", true },
        { "v1.2-pre", false }, { "v01.2.3", false }, { "V1.2.3", false }, { "", false },
        { "v1.2.3-", false },
    };
    RUN_VALID(DD_VS_GO, valid);
}

/* ---- Maven --------------------------------------------------------------- */

TEST(maven_table)
{
    /* Maven's version order specification (maven.apache.org/pom.html#Version_Order_Specification)
     * and ComparableVersionTest's VERSIONS_QUALIFIER / VERSIONS_NUMBER chains;
     * checked against maven-artifact 3.8.7 (tests/integration/test_vercmp_tools.py). */
    static const char *const qualifiers[] = {
        "1-alpha2snapshot", "1-alpha2", "1-alpha-123", "1-beta-2", "1-beta123", "1-m2",
        "1-m11", "1-rc", "1-cr2", "1-rc123", "1-SNAPSHOT", "1", "1-sp", "1-sp2", "1-sp123",
        "1-abc", "1-def", "1-pom-1", "1-1-snapshot", "1-1", "1-2", "1-123",
    };
    RUN_CHAIN(DD_VS_MAVEN, qualifiers);
    static const char *const numbers[] = {
        "2.0", "2.0.a", "2-1", "2.0.2", "2.0.123", "2.1.0", "2.1-a", "2.1b",
        "2.1-c", "2.1-1", "2.1.0.1", "2.2", "2.123", "11.a2", "11.a11", "11.b2", "11.b11",
        "11.m2", "11.m11", "11", "11.a", "11b", "11c", "11m",
    };
    RUN_CHAIN(DD_VS_MAVEN, numbers);
    static const char *const same1[] = { "1", "1.0", "1.0.0", "1-0", "1.0-0", "1-ga", "1-final",
                                         "1-release", "1.GA", "1.FINAL", "1.0.0-ga" };
    RUN_EQUAL(DD_VS_MAVEN, same1);
    static const char *const same2[] = { "1a1", "1-a1", "1-alpha-1", "1.0alpha1", "1.0-ALPHA1" };
    RUN_EQUAL(DD_VS_MAVEN, same2);
    static const char *const same3[] = { "1.0.RC1", "1.0-cr1", "1-rc-1", "1.0.0-RC1" };
    RUN_EQUAL(DD_VS_MAVEN, same3);
    /* a trailing ".X" reads as "-X" (3.8.x; Maven 3.9 orders "2.0.a" above "2-1") */
    static const char *const same4[] = { "2.0.a", "2.0.0.a", "2-a", "2.0-a" };
    RUN_EQUAL(DD_VS_MAVEN, same4);
    static const pair_t pairs[] = {
        { "1.0.0.RC.1", "1", 1 },             /* Maven: -1; its order is not transitive there
                                                 (docs/vercmp.md#maven, case b) */
        { "1-0.snapshot", "1", -1 },
        { "1-0-rc", "1", -1 },                 /* MNG-6964: a list against null */
        { "1-sp", "1", 1 },
        { "1-0-rc", "1-sp", -1 },              /* Maven: 1, a cycle with the two above */
        { "2.0.2", "2-1", 1 },                 /* numbers above lists */
        { "2.1.0.1", "2.1-1", 1 },
        { "2.12.7.1", "2.12.7", 1 },          /* jackson-databind micro patches */
        { "2.9.10.8", "2.9.10", 1 },
        { "2.14.0-rc1", "2.14.0", -1 },
        { "2.15.0", "2.14.9999", 1 },
        { "2.17.0", "2.17.0-rc1", 1 },        /* log4j-core */
        { "2.3.1", "2.3.0", 1 },
        { "31.1-jre", "31.1-android", 1 },    /* unknown qualifiers by name */
        { "1.0-SNAPSHOT", "1.0", -1 },
        { "1.0-sp1", "1.0", 1 },
        { "99999999999999999999", "99999999999999999998", 1 }, /* BigInteger items */
        { "1.007", "1.7", 0 },
    };
    RUN_PAIRS(DD_VS_MAVEN, pairs);
    static const valid_t valid[] = {
        { "1.0", true }, { "2.17.0-rc1", true }, { "31.1-jre", true }, { "1.0-SNAPSHOT", true },
        { "", false },   { "1.0 1", false },     { "[1.0,2.0)", false }, { "1.0\xe9", false },
    };
    RUN_VALID(DD_VS_MAVEN, valid);
}

/* ---- RubyGems ------------------------------------------------------------ */

TEST(gem_table)
{
    /* Gem::Version's documentation (rubygems lib/rubygems/version.rb) and
     * test_gem_version.rb; checked against ruby 3.1's RubyGems. */
    static const char *const chain[] = {
        "0.9", "1.0.a", "1.0.a.1", "1.0.a2", "1.0.b1", "1.0.pre", "1.0.rc1", "1.0",
        "1.0.0.1", "1.0.1", "1.1.a", "1.1", "1.2.3", "1.2.10", "1.10", "2", "10.0",
    };
    RUN_CHAIN(DD_VS_GEM, chain);
    static const char *const same[] = { "1.0", "1", "1.0.0", "1.00", " 1.0 ", "1.0.0.0" };
    RUN_EQUAL(DD_VS_GEM, same);
    static const char *const pre[] = { "1.0.a1", "1.0a1", "1.0.a.1", "1.0.a.1.0" };
    RUN_EQUAL(DD_VS_GEM, pre);
    static const pair_t pairs[] = {
        { "1.0-1", "1.0", -1 },            /* "-" reads as ".pre.": a prerelease */
        { "1.0-1", "1.0.pre.1", 0 },
        { "1.0.A", "1.0.a", -1 },          /* letters are case-sensitive, bytewise */
        { "1.13.10", "1.13.9", 1 },        /* nokogiri */
        { "1.13.10.rc1", "1.13.10", -1 },
        { "2.2.6.4", "2.2.6.3", 1 },       /* rack */
        { "3.0.0.beta1", "2.2.8", 1 },
        { "", "0", 0 },                    /* blank is "0" */
        { "1..0", "0", -1 },               /* malformed: below every valid version */
        { "99999999999999999999", "99999999999999999998", 1 },
    };
    RUN_PAIRS(DD_VS_GEM, pairs);
    static const valid_t valid[] = {
        { "1.0", true },   { "1.0.a", true },   { "1.0-rc.1", true }, { " 1.2 ", true },
        { "", true },      { "1..0", false },   { "a1", false },      { "1.0.", false },
        { "1.0-", false }, { "1.0+x", false },  { "1 0", false },
    };
    RUN_VALID(DD_VS_GEM, valid);
}

/* ---- NuGet --------------------------------------------------------------- */

TEST(nuget_table)
{
    /* learn.microsoft.com/nuget/concepts/package-versioning (version
     * precedence, normalization) and NuGet.Versioning's VersionComparer
     * tests (case-insensitive labels, metadata ignored). */
    static const char *const chain[] = {
        "0.9.9", "1.0.0-0", "1.0.0-1", "1.0.0-10", "1.0.0-alpha", "1.0.0-alpha.1",
        "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1",
        "1.0.0", "1.0.0.1-alpha", "1.0.0.1", "1.0.1", "1.1", "2.0.0.0", "13.0.1",
    };
    RUN_CHAIN(DD_VS_NUGET, chain);
    static const char *const same[] = { "1.0", "1.0.0", "1.0.0.0", "1", "01.0.0", "1.0.0+build.5",
                                        "1.0.0.0+abc", " 1.0.0 " };
    RUN_EQUAL(DD_VS_NUGET, same);
    static const char *const ci[] = { "1.0.0-RC.1", "1.0.0-rc.1", "1.0.0-Rc.01+x" };
    RUN_EQUAL(DD_VS_NUGET, ci);
    static const pair_t pairs[] = {
        { "12.0.3", "13.0.1", -1 },          /* Newtonsoft.Json */
        { "4.5.1", "4.7.2", -1 },            /* System.Text.Encodings.Web */
        { "5.0.0-preview.8.20407.11", "5.0.0", -1 },
        { "5.0.0-preview.8.20407.11", "5.0.0-preview.10.1", -1 },
        { "1.0.0--1", "1.0.0-0", -1 },       /* int.TryParse("-1"): a negative number */
        { "1.0.0-2147483648", "1.0.0-a", -1 }, /* not an int: a string; "2" < "A" */
        { "1.0.0-2147483647", "1.0.0-2147483648", -1 },
        { "2147483648.0.0", "0.0.1", -1 },   /* out of range: invalid, lowest */
    };
    RUN_PAIRS(DD_VS_NUGET, pairs);
    static const valid_t valid[] = {
        { "1.0.0", true },     { "1.0.0.0", true },   { "1", true },        { "1.0.0-beta.1+m.2", true },
        { "1.0.0.0.0", false }, { "1.0.0-", false },  { "1.0.0-a..b", false }, { "1.0.0+", false },
        { "v1.0.0", false },   { "1.0.0-a_b", false }, { "", false },        { "2147483648", false },
    };
    RUN_VALID(DD_VS_NUGET, valid);
}

/* ---- Cargo (crates.io) --------------------------------------------------- */

TEST(cargo_table)
{
    /* semver.org section 11 precedence (Cargo's semver crate), plus GHSA's
     * partial event versions ("0.1" in GHSA-wcg3-cvx6-7396) read as 0.1.0 */
    static const char *const chain[] = {
        "0.0.1", "0.1.0-alpha.1", "0.1", "0.1.45", "0.2.7", "0.2.22", "0.2.23", "0.3.0",
        "1.0.0-rc.1", "1", "1.6.1", "10.0.0",
    };
    RUN_CHAIN(DD_VS_CARGO, chain);
    static const char *const same[] = { "0.1.0", "0.1", "0.1.0+build.7" };
    RUN_EQUAL(DD_VS_CARGO, same);
    static const valid_t valid[] = {
        { "0.1.0", true }, { "1.0.0-alpha.1+b", true }, { "0.1", false }, { "v1.0.0", false },
        { "01.0.0", false }, { "", false },
    };
    RUN_VALID(DD_VS_CARGO, valid);
}

/* ---- Composer (Packagist) ------------------------------------------------ */

TEST(composer_table)
{
    /* composer/semver's VersionParserTest (normalization) and PHP's
     * version_compare() documentation (special forms); checked against
     * php 8.2 + composer/semver 3.3. */
    static const char *const chain[] = {
        "1.0.0-dev", "1.0.0-alpha", "1.0.0-alpha1", "1.0.0-beta1-dev", "1.0.0-beta1",
        "1.0.0-b2", "1.0.0-RC1", "1.0.0-rc2", "1.0.0", "1.0.0-patch1", "1.0.0-pl2", "1.0.1",
        "1.1.x-dev", "2.0", "7.4.5", "2010.01.02.5", "20100102", /* PHP: 2010 < 20100102 */
    };
    RUN_CHAIN(DD_VS_COMPOSER, chain);
    static const char *const same[] = { "1.0.0", "v1.0.0", "1.0", "1", "1.0.0.0", "1.0.0-stable",
                                         "1.0.0+build.1", "1.0.0@stable", " 1.0.0 ", "1.0.0 as 2.0" };
    RUN_EQUAL(DD_VS_COMPOSER, same);
    static const char *const same2[] = { "1.0.0-beta.2", "1.0.0beta2", "1.0.0-b2", "1.0.0.0-beta-2",
                                         "1.0.0_BETA2" };
    RUN_EQUAL(DD_VS_COMPOSER, same2);
    static const pair_t pairs[] = {
        { "7.4.4", "7.4.5", -1 },            /* guzzlehttp/guzzle */
        { "6.5.8", "7.0.0", -1 },
        { "4.4.50", "4.4.51", -1 },          /* symfony/http-kernel */
        { "5.4.20", "5.4.9", 1 },
        { "dev-main", "0.0.1", -1 },         /* branches: below numbered versions */
        { "dev-main", "dev-master", -1 },
        { "1.0.0-dev", "dev-main", 1 },
        { "foo", "dev-main", -1 },           /* invalid: lowest */
    };
    RUN_PAIRS(DD_VS_COMPOSER, pairs);
    static const valid_t valid[] = {
        { "1.0.0", true }, { "v2.1", true }, { "1.0.0-beta2", true }, { "2.x-dev", true },
        { "20100102", true }, { "dev-main", false }, { "1.0.0-foo", false }, { "", false },
        { "123456.1", true /* date-based */ }, { "1.0.0.0.0", false }, { "1.0.0-beta-foo", false },
        { "a+dev", false /* fuzz: the metadata cut moved the end */ },
    };
    RUN_VALID(DD_VS_COMPOSER, valid);
    static const struct {
        const char *in, *out;
    } norm[] = {
        { "1.0.0", "1.0.0.0" },        { "v1.2", "1.2.0.0" },          { "1.0b2", "1.0.0.0-beta2" },
        { "1.0.0-rc1", "1.0.0.0-RC1" }, { "1.0-p1", "1.0.0.0-patch1" }, { "1.2.x-dev", "1.2.9999999.9999999-dev" },
        { "2010-01-02", "2010.01.02" }, { "dev-feature/x", "dev-feature/x" }, { "master", "dev-master" },
        { "1.0.0-beta.1-dev", "1.0.0.0-beta1-dev" },
    };
    for (size_t i = 0; i < sizeof norm / sizeof norm[0]; i++) {
        char buf[64];
        CHECK_INT(dd_version_normalize_composer(norm[i].in, buf, sizeof buf), 0);
        CHECK_STR(buf, norm[i].out);
    }
    CHECK_INT(dd_version_normalize_composer("foo", NULL, 0), -1);
}

/* ---- PEP 440 ------------------------------------------------------------- */

TEST(pep440_table)
{
    /* the ordering example of PEP 440 ("Summary of permitted suffixes and
     * relative ordering"), extended */
    static const char *const chain[] = {
        "0.9",           "1.0.dev0",      "1.0.dev456",     "1.0a1",        "1.0a2.dev456",
        "1.0a12.dev456", "1.0a12",        "1.0b1.dev456",   "1.0b2",        "1.0b2.post345.dev456",
        "1.0b2.post345", "1.0rc1.dev456", "1.0rc1",         "1.0",          "1.0+abc.5",
        "1.0+abc.7",     "1.0+5",         "1.0.post456.dev34", "1.0.post456", "1.0.15",
        "1.1.dev1",      "1.1",           "2.0",            "1!0.1",        "2!0.0.dev0",
    };
    RUN_CHAIN(DD_VS_PEP440, chain);
    static const char *const a1[] = { "1.0a1", "1.0.0a1", "1.0alpha1", "1.0-a1", "1.0.a.1",
                                      "1.0A1", "1.0_alpha_1", "v1.0a1", " 1.0a1\n", "0!1.0a1" };
    RUN_EQUAL(DD_VS_PEP440, a1);
    static const char *const post1[] = { "1.0-1", "1.0.post1", "1.0post1", "1.0-r1", "1.0rev1",
                                         "1.0_post_1", "1.0.POST1" };
    RUN_EQUAL(DD_VS_PEP440, post1);
    static const char *const rc1[] = { "1.0c1", "1.0rc1", "1.0pre1", "1.0preview1", "1.0-RC-1" };
    RUN_EQUAL(DD_VS_PEP440, rc1);
    static const pair_t pairs[] = {
        { "1.0.dev", "1.0.dev0", 0 },
        { "1.0a", "1.0a0", 0 },
        { "1.0.post", "1.0.post0", 0 },
        { "1.0", "1.0.0.0", 0 },
        { "1.0+ubuntu-1", "1.0+ubuntu.1", 0 },
        { "1.0+1", "1.0+01", 0 },
        { "1.0+ABC", "1.0+abc", 0 },
        { "1.0+abc", "1.0+abc.0", -1 },
        { "1.0+zzz", "1.0+1", -1 },       /* numeric local segment > string */
        { "1.0.post1.dev1", "1.0", 1 },
        { "1.0.post1.dev1", "1.0.post1", -1 },
        { "1.0.dev1", "1.0a0", -1 },
        { "1.0a1.dev1", "1.0a1", -1 },
        { "1.0a1.post1", "1.0a1", 1 },
        { "1.0a1.post1", "1.0b0", -1 },
        { "1!1.0", "2.0", 1 },
        { "1.0a-", "1.0a0", 0 },
        { "1.10", "1.9", 1 },
        { "1.0.99999999999999999999999", "1.0.99999999999999999999998", 1 },
        { "not-a-version", "0", -1 },     /* invalid < valid */
        { "1.0_1", "1.0-x", 1 },          /* invalid among themselves: strcmp */
    };
    RUN_PAIRS(DD_VS_PEP440, pairs);
    static const valid_t valid[] = {
        { "1.0", true },       { "1!1.0.post1.dev2+abc.1", true }, { "v1.0", true },
        { "1.0a-", true },     { "1.0-dev", true },   { "1.0.a.-1", true }, { " 1.0 ", true },
        { "\x1c" "1.0\x1f", true }, { "1.0\xa0", false },
        { "1.0+", false },     { "1.0_1", false },    { "1.0-", false },    { "abc", false },
        { "1.0a1a2", false },  { "1!", false },       { "1.0.", false },    { "", false },
        { "1.0+abc.", false }, { "1.0+a..b", false }, { "1.0.post1.post2", false },
    };
    RUN_VALID(DD_VS_PEP440, valid);
}

/* ---- registry ------------------------------------------------------------ */

TEST(ecosystems)
{
    static const struct {
        const char *eco;
        dd_verscheme_t s;
    } ok[] = {
        { "Debian", DD_VS_DPKG },           { "Debian:12", DD_VS_DPKG },
        { "Ubuntu:22.04", DD_VS_DPKG },     { "Ubuntu:Pro:18.04:LTS", DD_VS_DPKG },
        { "Ubuntu:22.04:LTS", DD_VS_DPKG }, { "Alpine", DD_VS_APK },
        { "Alpine:v3.18", DD_VS_APK },      { "Red Hat:8", DD_VS_RPM },
        { "Red Hat:enterprise_linux:8::appstream", DD_VS_RPM },
        { "AlmaLinux:9", DD_VS_RPM },       { "Rocky Linux:9", DD_VS_RPM },
        { "CBL-Mariner:2.0", DD_VS_RPM },   { "Azure Linux:3.0", DD_VS_RPM },
        { "SUSE:Linux Enterprise Server 15 SP5", DD_VS_RPM },
        { "openSUSE:Tumbleweed", DD_VS_RPM }, { "Photon OS:5.0", DD_VS_RPM },
        { "Oracle Linux", DD_VS_RPM },      { "Fedora", DD_VS_RPM },
        { "CentOS", DD_VS_RPM },            { "npm", DD_VS_SEMVER },
        { "PyPI", DD_VS_PEP440 },           { "Go", DD_VS_GO },
        { "debian:11", DD_VS_DPKG },        { "pypi", DD_VS_PEP440 },
        { "Wolfi", DD_VS_APK },             { "Chainguard", DD_VS_APK },
        { "Amazon Linux:2023", DD_VS_RPM }, { "openSUSE:Leap 15.5", DD_VS_RPM },
        { "openEuler:22.03-LTS", DD_VS_RPM }, { "Mageia:9", DD_VS_RPM },
        { "crates.io", DD_VS_CARGO },       { "Maven", DD_VS_MAVEN },
        { "RubyGems", DD_VS_GEM },          { "NuGet", DD_VS_NUGET },
        { "Packagist", DD_VS_COMPOSER },    { "nuget", DD_VS_NUGET },
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        dd_verscheme_t s = 0;
        CHECK_INT(dd_verscheme_from_ecosystem(ok[i].eco, &s), DD_OK);
        CHECK_INT(s, ok[i].s);
    }
    static const char *const bad[] = { "", "Deb", "Debian 12", "crates", "Mavenx", "Alpine3",
                                       ":Debian", "Gox", "Hex", "Pub" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        dd_verscheme_t s = DD_VS_GO;
        CHECK_INT(dd_verscheme_from_ecosystem(bad[i], &s), DD_ENOTFOUND);
        CHECK_INT(s, DD_VS_GO); /* untouched */
    }
    CHECK_INT(dd_verscheme_from_ecosystem(NULL, NULL), DD_ENOTFOUND);
    CHECK_STR(dd_verscheme_name(DD_VS_DPKG), "dpkg");
    CHECK_STR(dd_verscheme_name(DD_VS_APK), "apk");
    CHECK_STR(dd_verscheme_name(DD_VS_RPM), "rpm");
    CHECK_STR(dd_verscheme_name(DD_VS_SEMVER), "semver");
    CHECK_STR(dd_verscheme_name(DD_VS_PEP440), "pep440");
    CHECK_STR(dd_verscheme_name(DD_VS_GO), "go");
    CHECK_STR(dd_verscheme_name(DD_VS_MAVEN), "maven");
    CHECK_STR(dd_verscheme_name(DD_VS_GEM), "gem");
    CHECK_STR(dd_verscheme_name(DD_VS_NUGET), "nuget");
    CHECK_STR(dd_verscheme_name(DD_VS_COMPOSER), "composer");
    CHECK_STR(dd_verscheme_name(DD_VS_CARGO), "cargo");
    CHECK_STR(dd_verscheme_name((dd_verscheme_t)0), "unknown");
    CHECK_STR(dd_verscheme_name((dd_verscheme_t)99), "unknown");
    /* unknown scheme: strcmp order; NULL is "" everywhere */
    CHECK(dd_vercmp((dd_verscheme_t)99, "a", "b") < 0);
    CHECK(!dd_version_valid((dd_verscheme_t)99, "1"));
    for (int s = DD_VS_DPKG; s <= DD_VS_GO; s++) {
        CHECK_INT(dd_vercmp((dd_verscheme_t)s, NULL, NULL), 0);
        CHECK_INT(dd_vercmp((dd_verscheme_t)s, NULL, ""), 0);
        CHECK(!dd_version_valid((dd_verscheme_t)s, NULL));
    }
}

/* ---- expectation files from the real tools ------------------------------- */

typedef struct {
    char **v;
    size_t n, cap;
} strvec_t;

static void strvec_push(strvec_t *sv, const char *s)
{
    if (sv->n == sv->cap) {
        sv->cap = sv->cap ? sv->cap * 2 : 256;
        sv->v = dd_realloc(sv->v, sv->cap * sizeof *sv->v);
    }
    sv->v[sv->n++] = dd_strdup(s);
}

static void strvec_free(strvec_t *sv)
{
    for (size_t i = 0; i < sv->n; i++) free(sv->v[i]);
    free(sv->v);
}

static dd_verscheme_t sort_scheme;
static int sort_cmp(const void *a, const void *b)
{
    return dd_vercmp(sort_scheme, *(char *const *)a, *(char *const *)b);
}

/* Transitivity: sort all versions, then every sampled i < j must compare
 * <= 0, and a == b exactly when sorting put them in one run. */
static void check_sorted(dd_verscheme_t s, strvec_t *sv)
{
    sort_scheme = s;
    qsort(sv->v, sv->n, sizeof *sv->v, sort_cmp);
    int bad = 0;
    unsigned seed = 12345;
    for (size_t i = 0; i + 1 < sv->n && bad < 5; i++) {
        if (dd_vercmp(s, sv->v[i], sv->v[i + 1]) > 0) {
            fprintf(stderr, "  FAIL %s: not sorted: '%s' > '%s'\n", dd_verscheme_name(s), sv->v[i],
                    sv->v[i + 1]);
            bad++;
        }
    }
    for (int k = 0; k < 200000 && bad < 5 && sv->n > 1; k++) {
        seed = seed * 1103515245u + 12345u;
        size_t i = (seed >> 8) % sv->n;
        seed = seed * 1103515245u + 12345u;
        size_t j = (seed >> 8) % sv->n;
        if (i > j) {
            size_t t = i;
            i = j;
            j = t;
        }
        if (dd_vercmp(s, sv->v[i], sv->v[j]) > 0) {
            fprintf(stderr, "  FAIL %s: not transitive: [%zu]'%s' > [%zu]'%s'\n",
                    dd_verscheme_name(s), i, sv->v[i], j, sv->v[j]);
            bad++;
        }
    }
    t_failed_checks += bad;
}

/* Reads "A B R" lines; returns the number of pairs checked. */
static int run_fixture(dd_verscheme_t s, const char *name)
{
    FILE *f = fopen(fixture(name), "r");
    CHECK(f != NULL);
    if (!f) return 0;
    char line[4096], a[2048], b[2048];
    int want, n = 0, failed = 0, lineno = 0;
    strvec_t all = { 0 };
    while (fgets(line, sizeof line, f)) {
        lineno++;
        if (line[0] == '#' || line[0] == '\n') continue;
        if (sscanf(line, "%2047s %2047s %d", a, b, &want) != 3) {
            fprintf(stderr, "  FAIL %s:%d: bad line\n", name, lineno);
            t_failed_checks++;
            continue;
        }
        n++;
        if (failed < 20) failed += check_pair(s, a, b, want, name, lineno);
        /* reflexivity on every version seen */
        if (dd_vercmp(s, a, a) != 0) {
            fprintf(stderr, "  FAIL %s:%d: cmp('%s', itself) != 0\n", name, lineno, a);
            t_failed_checks++;
        }
        strvec_push(&all, a);
        strvec_push(&all, b);
    }
    fclose(f);
    check_sorted(s, &all);
    strvec_free(&all);
    printf("  %s: %d pairs checked against the reference\n", name, n);
    return n;
}

TEST(dpkg_real_tool) { CHECK(run_fixture(DD_VS_DPKG, "vercmp/dpkg_pairs.txt") > 3000); }
TEST(rpm_real_tool) { CHECK(run_fixture(DD_VS_RPM, "vercmp/rpm_pairs.txt") > 3000); }
TEST(pep440_real_tool) { CHECK(run_fixture(DD_VS_PEP440, "vercmp/pep440_pairs.txt") > 3000); }
TEST(semver_real_tool) { CHECK(run_fixture(DD_VS_SEMVER, "vercmp/semver_pairs.txt") > 3000); }
TEST(go_real_tool) { CHECK(run_fixture(DD_VS_GO, "vercmp/go_pairs.txt") > 3000); }
/* apk: no apk-tools binary on Debian; go-apk-version (the apk-tools 2.x port
 * Trivy and Grype use) on the pairs where the 2.x and 3.x rules agree */
TEST(apk_reference) { CHECK(run_fixture(DD_VS_APK, "vercmp/apk_pairs.txt") > 3000); }

/* The secdb fixed versions that break apk's grammar (typos in the real
 * feed); apk-tools itself rejects them. Every other real version is valid. */
static const char *const apk_real_invalid[] = {
    "0.12.5.-r0", "0.8.21.r2",  "1.0.4.-r0",  "1.11-20-r0", "1.18.-r2",
    "1.7.5.-r1",  "10.2.22.r0", "10.2.24.r0", "10.2.26.r0", "2.15.r-r1",
    "2.7.16-33",  "4.10-1-r1",  "4.8.0.-r1",  "57-1-r2",    "6.6.2p1-r0",
};

/* Real version strings from the feeds: all must be valid (apk, go), or
 * valid exactly when packaging says so (pypi); and they must sort. */
static void run_real_list(dd_verscheme_t s, const char *name, bool has_flag)
{
    FILE *f = fopen(fixture(name), "r");
    CHECK(f != NULL);
    if (!f) return;
    char line[4096], v[2048];
    int flag = 1, n = 0, bad = 0;
    strvec_t all = { 0 };
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n') continue;
        flag = 1;
        int got = has_flag ? sscanf(line, "%2047s %d", v, &flag) : sscanf(line, "%2047s", v);
        if (got != (has_flag ? 2 : 1)) continue;
        n++;
        if (s == DD_VS_APK) {
            for (size_t i = 0; i < sizeof apk_real_invalid / sizeof apk_real_invalid[0]; i++)
                if (strcmp(v, apk_real_invalid[i]) == 0) flag = 0;
        }
        if (dd_version_valid(s, v) != (flag == 1) && bad++ < 10)
            fprintf(stderr, "  FAIL %s: valid('%s') != %d\n", name, v, flag);
        strvec_push(&all, v);
    }
    fclose(f);
    t_failed_checks += bad;
    CHECK(n > 100);
    check_sorted(s, &all);
    strvec_free(&all);
    printf("  %s: %d versions\n", name, n);
}

TEST(apk_real_versions)
{
    for (size_t i = 0; i < sizeof apk_real_invalid / sizeof apk_real_invalid[0]; i++)
        CHECK(!dd_version_valid(DD_VS_APK, apk_real_invalid[i]));
    run_real_list(DD_VS_APK, "vercmp/real_apk.txt", false);
}
TEST(go_real_versions) { run_real_list(DD_VS_GO, "vercmp/real_go.txt", false); }
TEST(pypi_real_versions) { run_real_list(DD_VS_PEP440, "vercmp/real_pypi.txt", true); }
/* generated strings with node-semver's own validity verdict */
TEST(semver_valid_tool) { run_real_list(DD_VS_SEMVER, "vercmp/semver_valid.txt", true); }
/* ... and with dpkg's verdict (accepted without warning) */
TEST(dpkg_valid_tool) { run_real_list(DD_VS_DPKG, "vercmp/dpkg_valid.txt", true); }
/* ... and with golang.org/x/mod/semver.IsValid (after adding the "v") */
TEST(go_valid_tool) { run_real_list(DD_VS_GO, "vercmp/go_valid.txt", true); }
/* ... and with packaging's Version() on generated strings */
TEST(pep440_valid_tool) { run_real_list(DD_VS_PEP440, "vercmp/pep440_valid.txt", true); }

TEST_MAIN(RUN(dpkg_table); RUN(apk_table); RUN(rpm_table); RUN(semver_table); RUN(go_table);
          RUN(maven_table); RUN(gem_table); RUN(nuget_table); RUN(composer_table); RUN(cargo_table);
          RUN(pep440_table); RUN(ecosystems); RUN(dpkg_real_tool); RUN(rpm_real_tool);
          RUN(pep440_real_tool); RUN(semver_real_tool); RUN(apk_real_versions);
          RUN(go_real_versions); RUN(pypi_real_versions); RUN(semver_valid_tool);
          RUN(dpkg_valid_tool); RUN(go_real_tool); RUN(go_valid_tool);
          RUN(apk_reference); RUN(pep440_valid_tool))
