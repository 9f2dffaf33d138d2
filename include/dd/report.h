/*
 * report.h: the scan report in every output format `drydock scan` offers.
 *
 * One entry point, dd_report_write(), turns the result of a scan (one or
 * more platform images, each with its inventory and findings) into one
 * document in the chosen format:
 *
 *   table           human-readable text (the default on a terminal)
 *   json            drydock.report/v1 (docs/report-schema.md)
 *   cyclonedx       CycloneDX 1.5 JSON SBOM with its vulnerabilities
 *   cyclonedx-vex   CycloneDX 1.5 JSON VEX (vulnerabilities with analysis)
 *   spdx            SPDX 2.3 JSON
 *   sarif           SARIF 2.1.0 (GitHub code scanning)
 *   github          GitHub dependency submission snapshot JSON
 *
 * Writers read the structs only; nothing is re-parsed. Strings from images
 * go through the one JSON string writer (dd_buf_json_str), which keeps the
 * output valid UTF-8 JSON whatever the input bytes.
 *
 * Several platform images (a multi-platform index) go into ONE document:
 * docs/report-schema.md says how each format holds them.
 *
 * Ownership: everything in dd_report_t is borrowed for the call.
 */
#ifndef DD_REPORT_H
#define DD_REPORT_H

#include "dd/catalog.h"
#include "dd/core.h"
#include "dd/image.h"
#include "dd/match.h"

typedef enum {
    DD_REPORT_TABLE = 0,
    DD_REPORT_JSON,
    DD_REPORT_CYCLONEDX,
    DD_REPORT_CYCLONEDX_VEX,
    DD_REPORT_SPDX,
    DD_REPORT_SARIF,
    DD_REPORT_GITHUB,
} dd_report_format_t;

/* One scanned platform image. */
typedef struct dd_report_image {
    const dd_image_desc_t *img;   /* manifest digest, ref, platform, config; may be NULL
                                     for targets without a manifest (fs:, rootfs:, sbom:) */
    const char *name;             /* what to call it: the reference or path the user gave */
    const dd_inventory_t *inv;
    const dd_findings_t *f;
} dd_report_image_t;

typedef struct dd_report {
    const char *target;           /* the target as the user named it ("oci:./app:1.0") */
    const dd_report_image_t *images;
    size_t n_images;
    const char *db_updated;       /* vulnerability database's last update (RFC 3339) or NULL */
    const char *tool_version;     /* drydock's version string, or NULL */
    /* github format only; NULL = from the environment GitHub Actions sets
     * (GITHUB_SHA, GITHUB_REF, GITHUB_WORKFLOW + "/" + GITHUB_JOB, GITHUB_RUN_ID) */
    const char *git_sha;          /* the commit the snapshot is for (40 hex) */
    const char *git_ref;          /* "refs/heads/main" */
    const char *job_correlator;   /* groups the snapshots of one job ("workflow/job") */
    const char *job_id;           /* the run ("1234") */
} dd_report_t;

/* "table", "json", "cyclonedx", "cyclonedx-vex", "spdx", "spdx-json", "sarif",
 * "github" -> format. DD_EINVAL for anything else. */
int dd_report_format_parse(const char *name, dd_report_format_t *out /* OUT */);
const char *dd_report_format_name(dd_report_format_t f);

/* Appends the whole document (with a trailing newline) to out. */
int dd_report_write(dd_report_format_t fmt, const dd_report_t *r, dd_buf_t *out, dd_err_t *e);

/* The purl of an OS package in an image (pkg:deb/debian/curl@7.88.1-10?arch=amd64&distro=debian-12). */
void dd_report_purl(const dd_inventory_t *inv, const dd_package_t *p, dd_buf_t *out);

#endif
