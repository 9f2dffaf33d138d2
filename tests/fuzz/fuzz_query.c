/*
 * fuzz_query.c: libFuzzer target for the query engine. Parses and runs
 * arbitrary query text over a tiny fixed pair of tables with a small work
 * budget, then serializes the result. Anything but a crash, a leak or a hang
 * is fine: errors are expected.
 */
#include "dd/query.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static const char *DATA =
    "{\"securityresources\":["
    "{\"id\":\"/r/a/providers/Microsoft.Security/assessments/k1/subassessments/s1\",\"name\":\"s1\","
    "\"type\":\"microsoft.security/assessments/subassessments\",\"properties\":{\"id\":\"CVE-2024-1\","
    "\"status\":{\"code\":\"Unhealthy\",\"severity\":\"High\"},\"timeGenerated\":\"2024-06-01T00:00:00Z\","
    "\"additionalData\":{\"cvss\":{\"3.0\":{\"base\":7.5}},\"patchable\":true,\"repositoryName\":\"app/a\","
    "\"cve\":[{\"title\":\"CVE-2024-1\",\"link\":\"https://x\"}],\"tags\":[\"a\",\"b\",1,null]}}},"
    "{\"id\":\"/r/b\",\"name\":\"s2\",\"type\":\"microsoft.security/assessments\",\"resourceGroup\":\"g\","
    "\"properties\":{\"status\":{\"code\":\"Healthy\"},\"n\":null,\"x\":-3.5}},"
    "{\"id\":\"/r/c\",\"name\":\"s3\",\"type\":\"other\",\"properties\":{\"status\":{\"severity\":\"Low\"},\"additionalData\":{\"cve\":[]}}}],"
    "\"resources\":[{\"id\":\"/repositories/a\",\"name\":\"app/a\",\"type\":\"drydock/repositories\",\"properties\":{\"tags\":[\"1\",\"2\"],\"size\":10}},"
    "{\"id\":\"/repositories/a/images/d\",\"name\":\"app/a@d\",\"type\":\"drydock/images\",\"properties\":{\"size\":2.5,\"counts\":{\"high\":1}}}]}";

static dd_qcatalog_t cat;
static dd_qjson_tables_t *tables;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!tables) {
        json_t *root = json_loads(DATA, 0, NULL);
        dd_qcatalog_init(&cat);
        if (!root || dd_qjson_tables_from_json(root, &cat, &tables, NULL)) abort();
        json_decref(root);
    }
    if (size > 4096) return 0;
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = 0;
    dd_query_limits_t lim;
    dd_query_limits_default(&lim);
    lim.max_steps = 20000;
    lim.max_memory = 32u << 20;
    lim.max_result_rows = 200;
    lim.timeout_ms = 2000;
    dd_qresult_t r;
    dd_err_t e;
    if (dd_query_run(text, &cat, &lim, &r, &e) == DD_OK) {
        dd_buf_t b;
        dd_buf_init(&b, 0);
        dd_qresult_to_json(&r, 1, 5, &b);
        /* the output must always be valid JSON */
        json_error_t je;
        json_t *j = json_loadb(b.ptr, b.len, 0, &je);
        if (!j) abort();
        json_decref(j);
        dd_buf_release(&b);
    }
    dd_qresult_release(&r);
    free(text);
    return 0;
}
