/*
 * client.c: the CLI's HTTP client for commands that talk to a running
 * server (images, findings, query --server): libcurl GET/POST with a
 * bounded response buffer, server address from --server, $DRYDOCK_SERVER,
 * or http:// + $DRYDOCK_LISTEN, else http://127.0.0.1:5000, and credentials
 * from $DRYDOCK_USER / $DRYDOCK_PASSWORD or $DRYDOCK_TOKEN.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static size_t on_data(char *p, size_t sz, size_t n, void *arg)
{
    dd_buf_t *b = arg;
    return dd_buf_append(b, p, sz * n) == DD_OK ? sz * n : 0;
}

const char *cli_server_url(const char *flag)
{
    static char buf[512];
    if (flag && *flag) return flag;
    const char *s = getenv("DRYDOCK_SERVER");
    if (s && *s) return s;
    const char *l = getenv("DRYDOCK_LISTEN");
    snprintf(buf, sizeof buf, "http://%s", l && *l ? l : "127.0.0.1:5000");
    return buf;
}

long cli_http(const char *method, const char *url, const char *body, dd_buf_t *out, char *err, size_t errsz)
{
    CURL *c = curl_easy_init();
    if (!c) {
        snprintf(err, errsz, "cannot initialize libcurl");
        return 0;
    }
    struct curl_slist *hdrs = NULL;
    hdrs = curl_slist_append(hdrs, "Accept: application/json");
    const char *tok = getenv("DRYDOCK_TOKEN");
    char authz[1024];
    if (tok && *tok) {
        snprintf(authz, sizeof authz, "Authorization: Bearer %s", tok);
        hdrs = curl_slist_append(hdrs, authz);
    }
    const char *user = getenv("DRYDOCK_USER"), *pw = getenv("DRYDOCK_PASSWORD");
    if (user && *user) {
        curl_easy_setopt(c, CURLOPT_USERNAME, user);
        curl_easy_setopt(c, CURLOPT_PASSWORD, pw ? pw : "");
    }
    if (body) {
        hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    }
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    if (rc != CURLE_OK) snprintf(err, errsz, "cannot reach %s: %s", url, curl_easy_strerror(rc));
    else curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);
    return status;
}

void cli_url_escape(dd_buf_t *b, const char *s, bool keep_slash)
{
    dd_buf_pct_encode(b, s, keep_slash ? "/" : NULL);
}
