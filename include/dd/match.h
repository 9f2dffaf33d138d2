/*
 * match.h: packages x advisories -> findings, and the scan report.
 *
 * dd_match_inventory() matches every package of an inventory against the
 * affected entries of the image's ecosystem (inv->os.ecosystem) with the
 * OSV evaluation algorithm (explicit versions, then ranges: introduced /
 * fixed / last_affected / limit, "0" sorts first), in the ecosystem's own
 * version ordering (vercmp.h). Names looked up (docs/vulndb.md#matching):
 *   dpkg  source package name and source version (the feeds name sources)
 *   apk   origin (source) name and the package version
 *   rpm   binary name, then source rpm name
 * Application packages (dd_pkg_type_is_app) are matched in their own OSV
 * ecosystem (dd_pkg_type_ecosystem), whatever the image's OS, by their name
 * as the importer stores it (PyPI: PEP 503); an image is assessed when every
 * ecosystem it needs has data (docs/vulndb.md#matching).
 *
 * One finding per (installed package, vulnerability): an advisory (DSA,
 * DLA, USN, UBUNTU-CVE, GHSA...) that names CVEs yields one finding per CVE
 * with the advisory listed under `advisories`; several feeds agreeing on the
 * same CVE merge into one finding.
 *
 * Ownership: every string of a dd_findings_t lives in its arena, released
 * by dd_findings_release(). Findings reference packages of the inventory by
 * index and copy their strings.
 */
#ifndef DD_MATCH_H
#define DD_MATCH_H

#include "dd/catalog.h"
#include "dd/core.h"
#include "dd/digest.h"
#include "dd/vercmp.h"
#include "dd/vulndb.h"

#define DD_FINDING_MAX_IDS 16   /* aliases and advisories kept per finding */
#define DD_FINDING_MAX_REFS 16  /* references kept per finding */

typedef struct dd_match_opts {
    dd_severity_t min_severity;  /* findings below it are suppressed (Unknown is never
                                    suppressed by this filter); DD_SEV_UNKNOWN = keep all */
    bool ignore_unfixed;         /* suppress findings whose fix state is not "fixed" */
    const char *const *ignore;   /* ids to suppress (CVE, advisory or alias) */
    size_t n_ignore;
} dd_match_opts_t;

typedef struct dd_finding {
    const char *id;              /* CVE id when known, else the advisory id */
    const char *aliases[DD_FINDING_MAX_IDS];
    size_t n_aliases;
    const char *advisories[DD_FINDING_MAX_IDS]; /* DSA-..., DLA-..., USN-..., feed record ids */
    size_t n_advisories;
    size_t pkg_index;            /* index into inv->pkgs */
    const char *package;         /* installed (binary) package name */
    const char *version;         /* installed version */
    const char *source_name;     /* name that matched (source where the feed uses sources) */
    const char *source_version;  /* version compared */
    dd_pkg_type_t pkg_type;
    const char *path;            /* application package: the file in the image it was read
                                    from (db_path: METADATA, lock file, binary, "a.war!b.jar");
                                    NULL for OS packages */
    int layer;                   /* layer index that added the package, -1 unknown */
    const char *ecosystem;
    const char *fixed_version;   /* NULL when there is no fix */
    dd_fix_state_t fix_state;
    dd_severity_t severity;
    /* Where severity came from (docs/vulndb.md#severity): a vendor feed
     * ("debian", "ubuntu", "redhat", "almalinux", "rocky", "amazon", "suse",
     * "alpine", "osv"), "nvd", "cisa-adp" (CVE JSON 5 ADP metrics), "cvss"
     * (the record's own CVSS vector), or NULL when Unknown. */
    const char *severity_source;
    const char *vendor_severity; /* the vendor's own word as given ("low**", "Important"), or NULL */
    double cvss_score;           /* 0 if none */
    const char *cvss_vector;
    const char *cvss_version;    /* "4.0", "3.1", "3.0", "2.0", or NULL */
    const char *cvss_source;     /* "nvd", "cisa-adp", "vendor" (the record's own), or NULL */
    /* CISA Known Exploited Vulnerabilities catalog (feed "kev") */
    bool known_exploited;
    const char *kev_date_added;  /* "2021-11-03" */
    const char *kev_due_date;    /* "2021-11-17" */
    const char *kev_ransomware;  /* knownRansomwareCampaignUse: "Known" / "Unknown" */
    /* EPSS (optional feed "epss") */
    bool has_epss;
    double epss_score, epss_percentile;
    const char *title;
    const char *description;
    const char *published;
    const char *refs[DD_FINDING_MAX_REFS];
    size_t n_refs;
    const char *feeds;           /* feeds that reported it, comma separated */
    bool suppressed;             /* hidden by a filter; still listed */
    const char *suppressed_by;   /* "ignore-list", "min-severity", "unfixed", "ignore-file", "vex" */
    const char *suppressed_note; /* ignore-file / vex: the entry and its statement
                                    ("FILE:LINE: statement", "FILE: not_affected (justification): ..."), or NULL */
} dd_finding_t;

typedef struct dd_findings {
    dd_arena_t arena;
    dd_finding_t *v;
    size_t n, cap;
    size_t counts[DD_SEV_CRITICAL + 1]; /* by severity, unsuppressed findings */
    size_t n_reported;           /* unsuppressed findings */
    size_t n_suppressed;
    bool assessed;               /* false: some ecosystem the image needs has no data
                                    (see reason); findings of the others are still there */
    bool healthy;                /* assessed && n_reported == 0 */
    const char *reason;          /* why not assessed, or NULL */
    int64_t db_version;
    dd_match_opts_t opts;        /* copy (ignore list borrowed) */
} dd_findings_t;

void dd_findings_init(dd_findings_t *f);
void dd_findings_release(dd_findings_t *f);

/* Matches inv against db into out (which the caller has dd_findings_init'ed).
 * o may be NULL (no filters). Findings are sorted by severity (highest
 * first), then package, then id. */
int dd_match_inventory(dd_vulndb_t *db, const dd_inventory_t *inv, const dd_match_opts_t *o,
                       dd_findings_t *out, dd_err_t *e);

/* The OSV evaluation of one version against one affected entry. Returns true
 * if affected; *fixed_out (may be NULL) gets the fixed version of the range
 * that matched (NULL if that range has none). */
bool dd_match_affected(dd_verscheme_t s, const char *version, const dd_affected_t *a, const char **fixed_out);

/* The module rule: true if a package with rpm MODULARITYLABEL pkg_label
 * (NULL: non-modular) may match an affected entry whose module is
 * entry_module (dd_affected_t.module). See docs/vulndb.md#module-streams. */
bool dd_match_module(const char *pkg_label, const char *entry_module);
/* The ecosystem an image of ecosystem eco is matched against: eco itself,
 * or "Red Hat:N" for "CentOS:N" when the database has no CentOS:N data.
 * Returns eco, buf (filled) or NULL when eco is NULL. */
const char *dd_match_ecosystem(dd_vulndb_t *db, const char *eco, char *buf, size_t bufsz);
/* Feeds h with what decides inv's findings: for each package, each affected
 * entry that matches (id, fixed version, fix state, vendor severity) and the
 * record's modified time and NVD scores. Much cheaper than
 * dd_match_inventory (no findings are built): re-assessment compares it
 * with the stored value and skips images whose findings cannot have
 * changed. */
int dd_match_signature(dd_vulndb_t *db, const dd_inventory_t *inv, dd_hasher_t *h);

/* The report as JSON (docs/report-schema.md). image_digest may be NULL. */
int dd_report_json(const char *image_digest, const dd_inventory_t *inv, const dd_findings_t *f,
                   dd_buf_t *out);

/* "dpkg", "apk", "rpm", and for application packages their purl type:
 * "pypi", "npm", "golang", "maven", "gem", "cargo", "composer", "nuget". */
const char *dd_pkg_type_name(dd_pkg_type_t t);
/* The OSV ecosystem an application package type is matched in ("PyPI",
 * "npm", "Go", "Maven", "RubyGems", "crates.io", "Packagist", "NuGet");
 * NULL for the OS package types (they match in the image's ecosystem). */
const char *dd_pkg_type_ecosystem(dd_pkg_type_t t);

#endif
