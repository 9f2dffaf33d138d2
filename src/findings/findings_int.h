/*
 * findings_int.h: what the findings API's files share (api.c, query_api.c, ui_api.c).
 */
#ifndef DD_FINDINGS_INT_H
#define DD_FINDINGS_INT_H

#include "dd/auth.h"
#include "dd/findings.h"

const char *dd_findings_api_host(dd_findings_api_t *api);
dd_scanstore_t *dd_findings_api_store(dd_findings_api_t *api);
dd_meta_t *dd_findings_api_meta(dd_findings_api_t *api);
dd_scanner_t *dd_findings_api_scanner(dd_findings_api_t *api);
/* May the caller of req see repo's scan results? (auth filtering) */
bool dd_findings_may_see(dd_findings_api_t *api, dd_req_t *req, const char *repo);
/* The image summary object (as GET .../images/<ref> answers). */
void dd_findings_image_summary(dd_findings_api_t *api, const char *repo, const dd_image_rec_t *r, dd_buf_t *b);
/* An image's health as the summaries count it: "Healthy", "Unhealthy" or
 * "NotAssessed" (reason filled, else ""); counts gets its findings by
 * severity (an index: its platform images' summed). */
const char *dd_findings_image_health(dd_findings_api_t *api, const dd_image_rec_t *r, int counts[DD_NSEV],
                                     char *reason, size_t reasonsz);
const char *dd_findings_api_data_dir(dd_findings_api_t *api);
dd_audit_t *dd_findings_api_audit(dd_findings_api_t *api);
const char *dd_findings_api_vulndb_path(dd_findings_api_t *api);
/* GET/POST /api/v1/admin/db/update (dbupdate_api.c) */
void dd_findings_dbupdate_register(dd_findings_api_t *api, dd_http_server_t *srv);
/* The scan scope DATA/scan-scope.json saved, if any, into sc (scope_api.c). */
int dd_findings_scope_load(dd_scanner_t *sc, const char *data_dir, dd_err_t *e);
/* GET/PUT /api/v1/admin/scan-scope (scope_api.c) */
void dd_findings_scope_register(dd_findings_api_t *api, dd_http_server_t *srv);
/* GET /api/v1/overview (overview_api.c) */
void dd_findings_overview_register(dd_findings_api_t *api, dd_http_server_t *srv);
/* The Azure assessment object of one image. */
void dd_findings_assessment_json(dd_findings_api_t *api, const char *repo, const dd_image_rec_t *r, dd_buf_t *b);
/* GET .../images/<ref>/packages and .../sbom (ui_api.c) */
void dd_findings_ui_register(dd_findings_api_t *api, dd_http_server_t *srv);
/* POST /api/v1/query */
int dd_findings_h_query(dd_req_t *req);

#endif
