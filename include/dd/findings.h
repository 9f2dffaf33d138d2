/*
 * findings.h: the findings REST API under /api/v1 (docs/API.md).
 *
 *     dd_findings_api_t *api;
 *     dd_findings_api_new(&opts, &api, &e);
 *     dd_findings_api_register(api, srv);   // route table + JSON error format
 *
 * Endpoints (all GET, JSON):
 *   /api/v1/repositories/<name>/images/<reference>            scan status and summary
 *   /api/v1/repositories/<name>/images/<reference>/findings   findings, filters, pagination
 *   /api/v1/repositories/<name>/images                        images of a repository
 *   /api/v1/repositories/<name>/summary                       a repository's summary
 *   /api/v1/repositories                                      every repository's summary
 *   /api/v1/images                                            every image
 *   /api/v1/summary                                           the whole registry
 *   /api/v1/vulnerabilities/<id>                              details + affected images
 *   /api/v1/vulnerabilities/<id>/images                       images affected (ImageListForCVE)
 *   /api/v1/vulnerabilities/<id>/fixed                        images where it is fixed (ImageListWithCVEFixed)
 *   /api/v1/db                                                vulnerability database status
 *   /api/v1/history                                           changes from re-assessment
 *   /api/v1/scanner                                           scanner counters
 *   /api/v1/assessments                                       Azure-shaped assessments
 *   /api/v1/subAssessments                                    Azure-shaped sub-assessments
 * Errors: {"error":{"code":"...","message":"...","parameter":"..."}};
 * unknown repository or image 404, bad filter values 400 naming the
 * parameter.
 */
#ifndef DD_FINDINGS_H
#define DD_FINDINGS_H

#include "dd/http.h"
#include "dd/meta.h"
#include "dd/scanner.h"
#include "dd/scanstore.h"

typedef struct dd_findings_api dd_findings_api_t;

typedef struct dd_findings_api_opts {
    dd_meta_t *meta;            /* borrowed */
    dd_scanstore_t *store;      /* borrowed */
    dd_scanner_t *scanner;      /* borrowed */
    const char *registry_host;  /* "127.0.0.1:5000", used in Azure ids */
    size_t page_max;            /* largest page (default 1000) */
    const char *data_dir;       /* DATA: scan-scope.json and audit.log (admin routes); NULL = none */
    const char *vulndb_path;    /* the database "update now" updates (admin routes); NULL = none */
} dd_findings_api_opts_t;

int dd_findings_api_new(const dd_findings_api_opts_t *o, dd_findings_api_t **out, dd_err_t *e);
void dd_findings_api_free(dd_findings_api_t *api);
void dd_findings_api_register(dd_findings_api_t *api, dd_http_server_t *srv);

/* Writes the Azure sub-assessment object for one stored finding (also used
 * by the query engine's securityresources table). */
int dd_azure_subassessment_json(const char *registry_host, const char *repo, const char *digest,
                                const dd_finding_row_t *f, int64_t time_ms, dd_buf_t *out);
/* The assessment key used for container registry vulnerability findings. */
#define DD_AZURE_ASSESSMENT_KEY "dbd0cb49-b563-45e7-9724-889e799fa648"

#endif
