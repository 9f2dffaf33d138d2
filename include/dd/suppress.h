/*
 * suppress.h: ignore lists and VEX documents: which findings a user has
 * decided not to be gated on, and why.
 *
 * Sources (each parser reads untrusted bytes; see docs/cli.md#ignore-files):
 *   .drydockignore / .trivyignore   one vulnerability id per line, `#`
 *                                   comments, optional `exp:YYYY-MM-DD` after
 *                                   the id (Trivy's text format)
 *   .trivyignore.yaml               `vulnerabilities: [{id, paths, purls,
 *                                   statement, expired_at}]` (Trivy's YAML
 *                                   format, read with libyaml)
 *   OpenVEX 0.2.0 JSON              statements {vulnerability {name,
 *                                   aliases}, products [{@id, identifiers,
 *                                   subcomponents}], status, justification}
 *
 * An ignore entry whose expiry date has come (today, UTC, is on or after
 * it) stops ignoring; the loader records a warning naming file and line.
 * dd_suppress_apply() marks the matching findings suppressed
 * (suppressed_by "ignore-file" or "vex", suppressed_note says which entry
 * and why) and recomputes the findings' counts; suppressed findings stay in
 * the list.
 *
 * Ownership: a dd_suppress_t owns every string in it; release with
 * dd_suppress_release(). Not thread-safe while loading; apply only reads it.
 */
#ifndef DD_SUPPRESS_H
#define DD_SUPPRESS_H

#include "dd/catalog.h"
#include "dd/core.h"
#include "dd/match.h"

#define DD_SUPPRESS_MAX_FILE (8u << 20)   /* largest ignore file or VEX document read */
#define DD_SUPPRESS_MAX_RULES 100000      /* rules per dd_suppress_t */
#define DD_SUPPRESS_MAX_LIST 1024         /* paths / purls / aliases / products per rule */

typedef enum { DD_SUPP_IGNORE = 1, DD_SUPP_VEX = 2 } dd_supp_kind_t;

/* VEX product: a purl or image reference, optionally narrowed to subcomponents. */
typedef struct dd_vex_product {
    char **ids;              /* @id and identifiers.purl of the product */
    size_t n_ids;
    char **subs;             /* subcomponents' @id / identifiers.purl; none = the whole product */
    size_t n_subs;
} dd_vex_product_t;

typedef struct dd_supp_rule {
    dd_supp_kind_t kind;
    char *id;                /* vulnerability id (VEX: vulnerability.name) */
    char **aliases;          /* VEX vulnerability.aliases */
    size_t n_aliases;
    char **paths;            /* ignore YAML: globs over the package's database path; none = any */
    size_t n_paths;
    char **purls;            /* ignore YAML: package purls (a purl without version matches every version) */
    size_t n_purls;
    dd_vex_product_t *products; /* VEX */
    size_t n_products;
    char *status;            /* VEX: not_affected, fixed, affected, under_investigation */
    char *justification;     /* VEX justification, or NULL */
    char *statement;         /* YAML statement / VEX impact_statement, or NULL */
    char expires[11];        /* "YYYY-MM-DD", "" = never */
    bool expired;            /* expires <= today when loaded: the rule is kept but never applies */
    char *file;              /* where it came from */
    int line;                /* 1-based line (0 for JSON documents) */
} dd_supp_rule_t;

typedef struct dd_suppress {
    dd_supp_rule_t *v;
    size_t n, cap;
    char **warnings;         /* "FILE:LINE: ..." for expired entries and ignored oddities */
    size_t n_warnings;
    char today[11];          /* "YYYY-MM-DD" (UTC) used for expiry; dd_suppress_init sets it */
} dd_suppress_t;

void dd_suppress_init(dd_suppress_t *s);
void dd_suppress_release(dd_suppress_t *s);

/* Trivy's text format (.trivyignore, .drydockignore). file names the source
 * in warnings and notes. DD_EINVAL (with file:line) for a malformed line. */
int dd_suppress_parse_ignore(dd_suppress_t *s, const char *data, size_t len, const char *file, dd_err_t *e);
/* Trivy's YAML format (.trivyignore.yaml). */
int dd_suppress_parse_ignore_yaml(dd_suppress_t *s, const char *data, size_t len, const char *file,
                                  dd_err_t *e);
/* An OpenVEX document (0.2.0; 0.0.x string forms are accepted too). */
int dd_suppress_parse_vex(dd_suppress_t *s, const char *data, size_t len, const char *file, dd_err_t *e);

/* Reads path (at most DD_SUPPRESS_MAX_FILE bytes): kind DD_SUPP_VEX parses
 * OpenVEX; DD_SUPP_IGNORE parses YAML when the name ends in .yaml/.yml,
 * else the text format. DD_ENOTFOUND when the file does not exist. */
int dd_suppress_load_file(dd_suppress_t *s, const char *path, dd_supp_kind_t kind, dd_err_t *e);

/* What a VEX product naming the image may be: the reference the user gave,
 * the manifest digest ("sha256:..."), or a pkg:oci purl whose version is
 * that digest. Any field may be NULL. */
typedef struct dd_supp_target {
    const char *ref;         /* "oci:./app:1.0", "registry:5000/app:1.0" */
    const char *digest;      /* manifest digest, or NULL */
} dd_supp_target_t;

/* Marks findings of f (matched against inv) that a rule covers. Ignore
 * rules apply first (any unexpired entry whose id is the finding's id, an
 * alias or an advisory, and whose paths/purls, when given, match the
 * package); then VEX: the last statement in load order that names the
 * vulnerability and a matching product decides (not_affected and fixed
 * suppress; affected and under_investigation leave it reported). Findings
 * already suppressed keep their first reason. Recomputes f's counts,
 * n_reported, n_suppressed and healthy. */
void dd_suppress_apply(const dd_suppress_t *s, const dd_inventory_t *inv, const dd_supp_target_t *t,
                       dd_findings_t *f);

/* Does purl pattern pat cover the package purl pkg? Compared decoded: same
 * type, namespace and name; pat's version and its arch/distro/epoch
 * qualifiers, when present, must be equal (a pattern without a version
 * covers every version). */
bool dd_purl_covers(const char *pat, const char *pkg);

#endif
