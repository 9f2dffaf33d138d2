/*
 * source_registry.c: the docker://HOST[:PORT]/REPO[:TAG|@DIGEST] transport,
 * an image pulled from a registry over the OCI distribution API with libcurl.
 *
 *   GET /v2/REPO/manifests/REF  Accept: the four manifest/index types
 *   GET /v2/REPO/blobs/DIGEST   config (in memory) and layers (streamed)
 *
 * Scheme: http for localhost, 127.0.0.1 and [::1] (or opts.insecure), https
 * otherwise. Auth: on 401 the WWW-Authenticate challenge decides: Bearer ->
 * the Docker token flow (GET realm?service=&scope=repository:REPO:pull, with
 * basic credentials when given, reading "token" or "access_token"), Basic ->
 * the credentials. The Authorization header is only sent to the registry
 * host (curl drops custom auth headers on cross-host redirects).
 *
 * Layers are never stored: the analyzer pulls bytes through a read function
 * that drives a curl multi handle; the write callback fills a bounded
 * pending buffer and pauses the transfer when it is full (design note:
 * states RUNNING -> PAUSED (buffer full) -> RUNNING (drained) -> DONE).
 * Digests and sizes are verified while streaming (dd_source_analyze_verified).
 */
#include "analyzer_int.h"
#include "image_int.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PENDING_MAX (1u << 20)
#define TOKEN_MAX (64u << 10)

typedef struct reg_src {
    dd_image_source_t super;
    dd_docker_ref_t ref;
    char base[600];          /* scheme://host */
    char *auth;              /* "Authorization: ..." header, or NULL */
    bool auth_tried;
} reg_src_t;

/* ---- references ---------------------------------------------------------- */

static bool repo_char_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' || c == '/';
}

int dd_docker_ref_parse(const char *s, dd_docker_ref_t *out, dd_err_t *e)
{
    memset(out, 0, sizeof *out);
    const char *slash = strchr(s, '/');
    if (!slash || slash == s || (size_t)(slash - s) >= sizeof out->host)
        return dd_err(e, DD_EINVAL, "docker: reference '%.200s' needs HOST/REPO", s);
    memcpy(out->host, s, (size_t)(slash - s));
    for (const char *h = out->host; *h; h++)
        if (!((*h >= 'a' && *h <= 'z') || (*h >= 'A' && *h <= 'Z') || (*h >= '0' && *h <= '9') ||
              strchr(".-:[]", *h)))
            return dd_err(e, DD_EINVAL, "docker: invalid host '%.200s'", out->host);
    const char *r = slash + 1;
    const char *at = strchr(r, '@');
    size_t rl;
    if (at) {
        dd_digest_t d;
        if (dd_digest_parse(at + 1, &d, e) != DD_OK) return dd_err(e, DD_EINVAL, "docker: invalid digest in '%.200s'", s);
        snprintf(out->digest, sizeof out->digest, "%s", d.str);
        rl = (size_t)(at - r);
    } else {
        const char *colon = strrchr(r, ':');
        if (colon && !strchr(colon, '/')) {
            size_t tl = strlen(colon + 1);
            if (tl == 0 || tl > 128) return dd_err(e, DD_EINVAL, "docker: invalid tag in '%.200s'", s);
            for (const char *t = colon + 1; *t; t++)
                if (!((*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z') || (*t >= '0' && *t <= '9') ||
                      *t == '_' || *t == '.' || *t == '-'))
                    return dd_err(e, DD_EINVAL, "docker: invalid tag in '%.200s'", s);
            memcpy(out->tag, colon + 1, tl + 1);
            rl = (size_t)(colon - r);
        } else {
            strcpy(out->tag, "latest");
            rl = strlen(r);
        }
    }
    if (rl == 0 || rl >= sizeof out->repo) return dd_err(e, DD_EINVAL, "docker: invalid repository in '%.200s'", s);
    memcpy(out->repo, r, rl);
    out->repo[rl] = '\0';
    for (size_t i = 0; i < rl; i++)
        if (!repo_char_ok(out->repo[i])) return dd_err(e, DD_EINVAL, "docker: invalid repository '%.200s'", out->repo);
    if (out->repo[0] == '/' || out->repo[rl - 1] == '/' || strstr(out->repo, "//"))
        return dd_err(e, DD_EINVAL, "docker: invalid repository '%.200s'", out->repo);
    return DD_OK;
}

static bool is_loopback(const char *host)
{
    char h[256];
    snprintf(h, sizeof h, "%s", host);
    if (h[0] == '[') {
        char *end = strchr(h, ']');
        if (end) end[1] = '\0';
        return strcmp(h, "[::1]") == 0;
    }
    char *colon = strchr(h, ':');
    if (colon) *colon = '\0';
    return strcmp(h, "localhost") == 0 || strcmp(h, "127.0.0.1") == 0;
}

/* ---- HTTP ---------------------------------------------------------------- */

typedef struct resp {
    dd_buf_t body;
    char content_type[160];
    char digest[DD_DIGEST_MAX];
    char challenge[1024];
    bool too_big;
} resp_t;

static size_t body_cb(char *p, size_t sz, size_t nm, void *arg)
{
    resp_t *r = arg;
    if (dd_buf_append(&r->body, p, sz * nm) != DD_OK) {
        r->too_big = true;
        return 0;
    }
    return sz * nm;
}

static size_t head_cb(char *p, size_t sz, size_t nm, void *arg)
{
    resp_t *r = arg;
    size_t n = sz * nm;
    dd_header_value(p, n, "Content-Type", r->content_type, sizeof r->content_type);
    dd_header_value(p, n, "Docker-Content-Digest", r->digest, sizeof r->digest);
    dd_header_value(p, n, "WWW-Authenticate", r->challenge, sizeof r->challenge);
    return n;
}

static CURL *easy_new(reg_src_t *s, const char *url, struct curl_slist **hdrs, const char *accept)
{
    CURL *c = curl_easy_init();
    if (!c) return NULL;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 120L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "drydock-scanner/1");
    *hdrs = NULL;
    if (accept) {
        char h[512];
        snprintf(h, sizeof h, "Accept: %s", accept);
        *hdrs = curl_slist_append(*hdrs, h);
    }
    if (s->auth) *hdrs = curl_slist_append(*hdrs, s->auth);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, *hdrs);
    return c;
}

/* One GET into memory. */
static int get(reg_src_t *s, const char *url, const char *accept, size_t max, resp_t *r, long *status,
               dd_err_t *e)
{
    struct curl_slist *h;
    CURL *c = easy_new(s, url, &h, accept);
    if (!c) return dd_err(e, DD_ENOMEM, "docker: curl init failed");
    dd_buf_reset(&r->body);
    r->body.max = max;
    r->content_type[0] = r->digest[0] = r->challenge[0] = '\0';
    r->too_big = false;
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, body_cb);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, head_cb);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    CURLcode cc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    if (r->too_big) return dd_err(e, DD_ELIMIT, "docker: response from %s is over %zu bytes", url, max);
    if (cc != CURLE_OK) return dd_err(e, DD_EIO, "docker: GET %s: %s", url, curl_easy_strerror(cc));
    return DD_OK;
}

/* ---- registry auth helpers (analyzer_int.h; also used by vulndb/artifact.c) */

bool dd_reg_chal_param(const char *ch, const char *key, char *out, size_t n)
{
    size_t kl = strlen(key);
    for (const char *p = ch; (p = strstr(p, key)) != NULL; p++) {
        if (p > ch && p[-1] != ' ' && p[-1] != ',') continue;
        if (p[kl] != '=') continue;
        const char *v = p + kl + 1;
        size_t l;
        if (*v == '"') {
            v++;
            const char *q = strchr(v, '"');
            if (!q) return false;
            l = (size_t)(q - v);
        } else {
            l = strcspn(v, ", ");
        }
        if (l >= n) return false;
        memcpy(out, v, l);
        out[l] = '\0';
        return true;
    }
    return false;
}

char *dd_reg_basic_header(const char *user, const char *pass)
{
    char *raw = dd_asprintf("%s:%s", user, pass ? pass : "");
    size_t rl = strlen(raw);
    char *b64 = dd_malloc(4 * ((rl + 2) / 3) + 1);
    static const char tb[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < rl; i += 3) {
        uint32_t v = (uint32_t)(unsigned char)raw[i] << 16;
        if (i + 1 < rl) v |= (uint32_t)(unsigned char)raw[i + 1] << 8;
        if (i + 2 < rl) v |= (unsigned char)raw[i + 2];
        b64[o++] = tb[v >> 18 & 63];
        b64[o++] = tb[v >> 12 & 63];
        b64[o++] = i + 1 < rl ? tb[v >> 6 & 63] : '=';
        b64[o++] = i + 2 < rl ? tb[v & 63] : '=';
    }
    b64[o] = '\0';
    char *h = dd_asprintf("Authorization: Basic %s", b64);
    memset(raw, 0, rl);
    free(raw);
    free(b64);
    return h;
}

char *dd_reg_bearer_header(const char *body, size_t len)
{
    json_t *j = json_loadb(body, len, 0, NULL);
    json_t *t = json_object_get(j, "token");
    if (!json_is_string(t)) t = json_object_get(j, "access_token");
    char *h = NULL;
    if (json_is_string(t) && strlen(json_string_value(t)) < 16384 && !strpbrk(json_string_value(t), "\r\n"))
        h = dd_asprintf("Authorization: Bearer %s", json_string_value(t));
    json_decref(j);
    return h;
}

static int authenticate(reg_src_t *s, const char *challenge, dd_err_t *e)
{
    s->auth_tried = true;
    const char *user = s->super.user, *pass = s->super.password;
    if (strncasecmp(challenge, "Basic", 5) == 0) {
        if (!user) return dd_err(e, DD_EAUTH, "docker: registry wants credentials (DRYDOCK_REGISTRY_USER/PASSWORD)");
        free(s->auth);
        s->auth = dd_reg_basic_header(user, pass);
        return DD_OK;
    }
    if (strncasecmp(challenge, "Bearer", 6) != 0)
        return dd_err(e, DD_EAUTH, "docker: unsupported auth challenge '%.100s'", challenge);
    char realm[512], service[256] = "", scope[512] = "";
    if (!dd_reg_chal_param(challenge, "realm", realm, sizeof realm))
        return dd_err(e, DD_EAUTH, "docker: bearer challenge without realm");
    dd_reg_chal_param(challenge, "service", service, sizeof service);
    if (!dd_reg_chal_param(challenge, "scope", scope, sizeof scope))
        snprintf(scope, sizeof scope, "repository:%s:pull", s->ref.repo);
    if (!dd_str_startswith(realm, "https://") && !dd_str_startswith(realm, "http://"))
        return dd_err(e, DD_EAUTH, "docker: bad token realm '%.200s'", realm);
    CURL *c = curl_easy_init();
    char *es = curl_easy_escape(c, service, 0), *esc = curl_easy_escape(c, scope, 0);
    char *url = dd_asprintf("%s%sservice=%s&scope=%s", realm, strchr(realm, '?') ? "&" : "?", es, esc);
    curl_free(es);
    curl_free(esc);
    curl_easy_cleanup(c);
    resp_t r;
    memset(&r, 0, sizeof r);
    dd_buf_init(&r.body, TOKEN_MAX);
    free(s->auth);
    s->auth = NULL;
    if (user) {
        /* credentials go to the token service as basic auth */
        char ch[] = "Basic";
        int rc = authenticate(s, ch, e);
        if (rc) {
            free(url);
            dd_buf_release(&r.body);
            return rc;
        }
    }
    long status = 0;
    int rc = get(s, url, NULL, TOKEN_MAX, &r, &status, e);
    free(url);
    free(s->auth);
    s->auth = NULL;
    if (rc == DD_OK && status != 200) rc = dd_err(e, DD_EAUTH, "docker: token service answered %ld", status);
    if (rc == DD_OK) {
        s->auth = dd_reg_bearer_header(r.body.ptr, r.body.len);
        if (!s->auth) rc = dd_err(e, DD_EAUTH, "docker: token service gave no token");
    }
    dd_buf_release(&r.body);
    return rc;
}

/* GET with one authentication round on 401. */
static int get_auth(reg_src_t *s, const char *url, const char *accept, size_t max, resp_t *r, dd_err_t *e)
{
    long status = 0;
    int rc = get(s, url, accept, max, r, &status, e);
    if (rc == DD_OK && status == 401 && !s->auth_tried && r->challenge[0]) {
        char ch[1024];
        snprintf(ch, sizeof ch, "%s", r->challenge);
        rc = authenticate(s, ch, e);
        if (rc == DD_OK) rc = get(s, url, accept, max, r, &status, e);
    }
    if (rc != DD_OK) return rc;
    if (status == 404) return dd_err(e, DD_ENOTFOUND, "docker: %s: not found", url);
    if (status == 401 || status == 403) return dd_err(e, DD_EAUTH, "docker: %s: access denied (%ld)", url, status);
    if (status != 200) return dd_err(e, DD_EIO, "docker: %s: HTTP %ld", url, status);
    return DD_OK;
}

/* ---- transport ----------------------------------------------------------- */

static int reg_open(const char *rest, dd_image_source_t **out, dd_err_t *e)
{
    reg_src_t *s = dd_calloc(1, sizeof *s);
    int rc = dd_docker_ref_parse(rest, &s->ref, e);
    if (rc) {
        free(s);
        return rc;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    *out = &s->super;
    return DD_OK;
}

static void set_base(reg_src_t *s)
{
    snprintf(s->base, sizeof s->base, "%s://%s",
             s->super.insecure || is_loopback(s->ref.host) ? "http" : "https", s->ref.host);
}

static int reg_fetch(dd_image_source_t *src, int kind, const dd_descriptor_t *d, size_t max, dd_buf_t *out,
                     char **mt, dd_digest_t *dg, dd_err_t *e)
{
    reg_src_t *s = (reg_src_t *)src;
    set_base(s);
    char url[1200];
    const char *accept = DD_MANIFEST_ACCEPT;
    if (kind == DD_FETCH_ROOT)
        snprintf(url, sizeof url, "%s/v2/%s/manifests/%s", s->base, s->ref.repo,
                 s->ref.digest[0] ? s->ref.digest : s->ref.tag);
    else if (kind == DD_FETCH_MANIFEST)
        snprintf(url, sizeof url, "%s/v2/%s/manifests/%s", s->base, s->ref.repo, d->digest.str);
    else {
        snprintf(url, sizeof url, "%s/v2/%s/blobs/%s", s->base, s->ref.repo, d->digest.str);
        accept = NULL;
    }
    if (d && d->size > (int64_t)max)
        return dd_err(e, DD_ELIMIT, "docker: %s is %lld bytes, over %zu", d->digest.str, (long long)d->size, max);
    resp_t r;
    memset(&r, 0, sizeof r);
    dd_buf_init(&r.body, max);
    int rc = get_auth(s, url, accept, max, &r, e);
    if (rc == DD_OK) {
        dd_digest_t want, got;
        bool have_want = true;
        if (d) want = d->digest;
        else if (s->ref.digest[0]) dd_digest_parse(s->ref.digest, &want, NULL);
        else if (r.digest[0] && dd_digest_parse(r.digest, &want, NULL) == DD_OK) {}
        else have_want = false;
        dd_digest_buf(have_want ? want.alg : DD_DIGEST_SHA256, r.body.ptr, r.body.len, &got);
        if (have_want && strcmp(got.str, want.str) != 0)
            rc = dd_err(e, DD_EDIGEST, "docker: digest mismatch for %s: got %s", want.str, got.str);
        else if (d && (int64_t)r.body.len != d->size)
            rc = dd_err(e, DD_EDIGEST, "docker: %s has %zu bytes, not %lld", d->digest.str, r.body.len, (long long)d->size);
        if (rc == DD_OK) {
            if (dg) *dg = got;
            if (mt) *mt = r.content_type[0] && strncmp(r.content_type, "application/json", 16) != 0
                              ? dd_strdup(r.content_type) : NULL;
            rc = dd_buf_append(out, r.body.ptr, r.body.len);
        }
    }
    dd_buf_release(&r.body);
    return rc;
}

typedef struct stream {
    CURLM *multi;
    CURL *easy;
    unsigned char *pend;
    size_t plen, poff;
    bool paused, done, bad;
    CURLcode result;
    long status;
} stream_t;

static size_t stream_cb(char *p, size_t sz, size_t nm, void *arg)
{
    stream_t *st = arg;
    size_t n = sz * nm;
    long status = 0;
    curl_easy_getinfo(st->easy, CURLINFO_RESPONSE_CODE, &status);
    if (status != 200) {
        st->bad = true;
        st->status = status;
        return n; /* discard error bodies */
    }
    if (st->poff == st->plen) st->poff = st->plen = 0;
    if (PENDING_MAX - st->plen < n) {
        st->paused = true;
        return CURL_WRITEFUNC_PAUSE;
    }
    memcpy(st->pend + st->plen, p, n);
    st->plen += n;
    return n;
}

static ssize_t stream_read(void *arg, void *buf, size_t n)
{
    stream_t *st = arg;
    while (st->poff == st->plen && !st->done) {
        st->poff = st->plen = 0;
        if (st->paused) {
            st->paused = false;
            curl_easy_pause(st->easy, CURLPAUSE_CONT);
            if (st->plen) break;
        }
        int running = 0;
        if (curl_multi_perform(st->multi, &running) != CURLM_OK) return -1;
        CURLMsg *m;
        int q;
        while ((m = curl_multi_info_read(st->multi, &q)) != NULL)
            if (m->msg == CURLMSG_DONE) {
                st->done = true;
                st->result = m->data.result;
            }
        if (!st->done && st->poff == st->plen && !st->paused)
            curl_multi_poll(st->multi, NULL, 0, 1000, NULL);
    }
    if (st->poff < st->plen) {
        size_t k = st->plen - st->poff < n ? st->plen - st->poff : n;
        memcpy(buf, st->pend + st->poff, k);
        st->poff += k;
        return (ssize_t)k;
    }
    if (st->result != CURLE_OK || st->bad) return -1;
    long status = 0;
    curl_easy_getinfo(st->easy, CURLINFO_RESPONSE_CODE, &status);
    if (status != 200) {
        st->status = status;
        return -1;
    }
    return 0;
}

/* Streams one layer blob into the analyzer. */
static int stream_layer(reg_src_t *s, const dd_descriptor_t *d, dd_layer_result_t *out, long *status,
                        char *challenge, size_t chsz, dd_err_t *e)
{
    char url[1200];
    snprintf(url, sizeof url, "%s/v2/%s/blobs/%s", s->base, s->ref.repo, d->digest.str);
    stream_t st;
    memset(&st, 0, sizeof st);
    resp_t hdr;
    memset(&hdr, 0, sizeof hdr);
    struct curl_slist *h;
    st.easy = easy_new(s, url, &h, NULL);
    st.multi = curl_multi_init();
    if (!st.easy || !st.multi) {
        if (st.easy) curl_easy_cleanup(st.easy);
        if (st.multi) curl_multi_cleanup(st.multi);
        curl_slist_free_all(h);
        return dd_err(e, DD_ENOMEM, "docker: curl init failed");
    }
    st.pend = dd_malloc(PENDING_MAX);
    curl_easy_setopt(st.easy, CURLOPT_WRITEFUNCTION, stream_cb);
    curl_easy_setopt(st.easy, CURLOPT_WRITEDATA, &st);
    curl_easy_setopt(st.easy, CURLOPT_HEADERFUNCTION, head_cb);
    curl_easy_setopt(st.easy, CURLOPT_HEADERDATA, &hdr);
    curl_easy_setopt(st.easy, CURLOPT_BUFFERSIZE, 256L * 1024);
    curl_multi_add_handle(st.multi, st.easy);
    dd_layer_result_init(out);
    int rc = dd_source_analyze_verified(&s->super, d, stream_read, &st, out, e);
    *status = st.status;
    snprintf(challenge, chsz, "%s", hdr.challenge);
    if (rc != DD_OK && (st.bad || st.status || st.result != CURLE_OK)) {
        if (st.status == 404) rc = dd_err(e, DD_ENOTFOUND, "docker: layer %s not found", d->digest.str);
        else if (st.status == 401 || st.status == 403)
            rc = dd_err(e, DD_EAUTH, "docker: layer %s: access denied (%ld)", d->digest.str, st.status);
        else if (st.status) rc = dd_err(e, DD_EIO, "docker: layer %s: HTTP %ld", d->digest.str, st.status);
        else rc = dd_err(e, DD_EIO, "docker: layer %s: %s", d->digest.str, curl_easy_strerror(st.result));
    }
    curl_multi_remove_handle(st.multi, st.easy);
    curl_easy_cleanup(st.easy);
    curl_multi_cleanup(st.multi);
    curl_slist_free_all(h);
    free(st.pend);
    return rc;
}

static int reg_analyze(dd_image_source_t *src, const dd_image_desc_t *img, const bool *todo,
                       dd_layer_result_t *res, dd_err_t *e)
{
    reg_src_t *s = (reg_src_t *)src;
    set_base(s);
    for (size_t i = 0; i < img->n_layers; i++) {
        if (!todo[i]) continue;
        long status = 0;
        char ch[1024];
        int rc = stream_layer(s, &img->layers[i], &res[i], &status, ch, sizeof ch, e);
        /* a registry that only challenges on blobs: authenticate, then retry once */
        if (rc != DD_OK && status == 401 && !s->auth_tried && ch[0]) {
            rc = authenticate(s, ch, e);
            if (rc == DD_OK) rc = stream_layer(s, &img->layers[i], &res[i], &status, ch, sizeof ch, e);
        }
        if (rc != DD_OK) return rc;
    }
    return DD_OK;
}

static void reg_close(dd_image_source_t *src)
{
    reg_src_t *s = (reg_src_t *)src;
    if (s->auth) {
        memset(s->auth, 0, strlen(s->auth));
        free(s->auth);
    }
    free(s);
}

const dd_source_ops_t dd_source_registry = {
    .version = 1,
    .prefix = "docker://",
    .open = reg_open,
    .fetch = reg_fetch,
    .list = NULL,
    .analyze = reg_analyze,
    .close = reg_close,
};
