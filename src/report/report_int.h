/*
 * report_int.h: the writers behind dd_report_write(), one file each, and
 * the helpers they share (report.c). Each writer appends one whole document
 * for r to out.
 */
#ifndef DD_REPORT_INT_H
#define DD_REPORT_INT_H

#include "dd/report.h"

int report_table(const dd_report_t *r, dd_buf_t *out, dd_err_t *e);
int report_cyclonedx(const dd_report_t *r, dd_buf_t *out, dd_err_t *e);
int report_cyclonedx_vex(const dd_report_t *r, dd_buf_t *out, dd_err_t *e);
int report_spdx(const dd_report_t *r, dd_buf_t *out, dd_err_t *e);
int report_sarif(const dd_report_t *r, dd_buf_t *out, dd_err_t *e);
int report_github(const dd_report_t *r, dd_buf_t *out, dd_err_t *e);

/* The home page documents name as the tool's (GitHub snapshot detector.url,
 * SPDX documentNamespace prefix). */
#define REPORT_TOOL_URL "https://drydock.dev/"

/* ---- shared helpers (report.c) ---- */

/* What a report calls an image: the name given, except that an image read
 * from an OCI layout (target "oci:DIR[:TAG]") is named "DIR:TAG" by its
 * path and tag; else the reference, else the digest, else the target. */
void report_image_name(const dd_report_t *r, const dd_report_image_t *im, dd_buf_t *out);

/* "linux/amd64" or "" when unknown. */
void report_platform(const dd_report_image_t *im, char buf[128]);

/* "critical", "high", "medium", "low", "negligible", "unknown". */
const char *report_sev_lower(dd_severity_t s);

/* The CVSS version of a finding's score: cvss_version, else read off the
 * vector ("CVSS:3.1/..." -> "3.1", a prefix-less "AV:N/AC:L/Au:N/..." ->
 * "2.0"); NULL when there is neither. */
const char *report_cvss_version(const dd_finding_t *x);

/* Where a finding's CVSS score came from: cvss_source, else the severity's
 * source when that is NVD or the record's own vector (the score the band was
 * taken from); NULL when unknown. */
const char *report_cvss_source(const dd_finding_t *x);

/* A CVSS version as CycloneDX names the method: "CVSSv2", "CVSSv3",
 * "CVSSv31", "CVSSv4"; "other" when unknown. */
const char *report_cvss_method(const char *cvss_version);

/* How a report names where a severity or score came from (severity_source /
 * cvss_source of a finding: "nvd" -> "NVD", "debian" -> "Debian"...); the
 * key as is when it is not in the table. url_out (may be NULL) gets the
 * source's home page or NULL. */
const char *report_source_name(const char *key, const char **url_out);

/* A finding hidden by a VEX statement (suppressed_by "vex" or "vex:<status>"):
 * returns the status after "vex:" ("" for plain "vex"), else NULL. */
const char *report_vex_status(const dd_finding_t *x);

/* The lowercase hex SHA-256 of the bytes. */
void report_sha256_hex(const void *p, size_t n, char out[65]);

/* The tool version for documents that need one (r->tool_version, else "unknown"). */
const char *report_tool_version(const dd_report_t *r);

#endif
