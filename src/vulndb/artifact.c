/*
 * artifact.c: the vulnerability database as an OCI artifact, for air-gapped
 * sites (`drydock db export`, `drydock db update --from`), see dbsync.h and
 * docs/vulndb.md.
 *
 *   manifest  application/vnd.oci.image.manifest.v1+json,
 *             artifactType application/vnd.drydock.vulndb.v1
 *   config    the empty descriptor (application/vnd.oci.empty.v1+json, "{}")
 *   layer     application/vnd.drydock.vulndb.layer.v1.sqlite+zstd: the
 *             SQLite file, zstd-compressed, title "vuln.db"
 *   annotations io.drydock.vulndb.schema / .version / .built / .updated /
 *             .feeds (compact JSON: [{name, updated, records, etag,
 *             last_modified}]) and org.opencontainers.image.created
 *
 * Pushing speaks the OCI distribution API (POST + PUT monolithic blob
 * upload, PUT manifest); pulling GETs the manifest and blobs. Auth as
 * source_registry.c: on 401 the challenge decides, Basic with the
 * credentials, Bearer through the token realm (scope repository:REPO:pull,push
 * for a push). The manifest is hashed as received/sent, never re-serialized.
 */
#include "dd/dbsync.h"
#include "dd/digest.h"
#include "dd/image.h"

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#define EMPTY_DIGEST "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
#define MANIFEST_MAX (4u << 20)
#define DB_MAX (64LL << 30)
#define LAYER_TITLE "vuln.db"

/* ---- zstd file to file, hashing ------------------------------------------ */

static int compress_file(const char *src, const char *dst, dd_digest_t *dig, long long *size, dd_err_t *e)
{
    FILE *in = fopen(src, "rb"), *out = in ? fopen(dst, "wb") : NULL;
    if (!in || !out) {
        int rc = dd_err_errno(e, DD_EIO, errno, "export: cannot open '%s'", in ? dst : src);
        if (in) fclose(in);
        return rc;
    }
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, 10);
    ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1);
    size_t isz = ZSTD_CStreamInSize(), osz = ZSTD_CStreamOutSize();
    char *ib = malloc(isz), *ob = malloc(osz);
    dd_hasher_t *h = dd_hasher_new(DD_DIGEST_SHA256);
    int rc = DD_OK;
    *size = 0;
    for (;;) {
        size_t n = fread(ib, 1, isz, in);
        bool last = n < isz;
        ZSTD_EndDirective mode = last ? ZSTD_e_end : ZSTD_e_continue;
        ZSTD_inBuffer zi = {ib, n, 0};
        bool finished = false;
        do {
            ZSTD_outBuffer zo = {ob, osz, 0};
            size_t rem = ZSTD_compressStream2(cc, &zo, &zi, mode);
            if (ZSTD_isError(rem)) {
                rc = dd_err(e, DD_EIO, "export: zstd: %s", ZSTD_getErrorName(rem));
                break;
            }
            if (zo.pos && fwrite(ob, 1, zo.pos, out) != zo.pos) {
                rc = dd_err_errno(e, DD_EIO, errno, "export: cannot write '%s'", dst);
                break;
            }
            dd_hasher_update(h, ob, zo.pos);
            *size += (long long)zo.pos;
            finished = last ? rem == 0 : zi.pos == zi.size;
        } while (!finished);
        if (rc || last) break;
    }
    if (!rc && ferror(in)) rc = dd_err_errno(e, DD_EIO, errno, "export: cannot read '%s'", src);
    dd_hasher_final(h, dig);
    dd_hasher_free(h);
    ZSTD_freeCCtx(cc);
    free(ib);
    free(ob);
    fclose(in);
    if (fclose(out) != 0 && !rc) rc = dd_err_errno(e, DD_EIO, errno, "export: cannot write '%s'", dst);
    return rc;
}

static int decompress_file(const char *src, const char *dst, long long max, dd_err_t *e)
{
    FILE *in = fopen(src, "rb"), *out = in ? fopen(dst, "wb") : NULL;
    if (!in || !out) {
        int rc = dd_err_errno(e, DD_EIO, errno, "pull: cannot open '%s'", in ? dst : src);
        if (in) fclose(in);
        return rc;
    }
    ZSTD_DCtx *dc = ZSTD_createDCtx();
    size_t isz = ZSTD_DStreamInSize(), osz = ZSTD_DStreamOutSize();
    char *ib = malloc(isz), *ob = malloc(osz);
    int rc = DD_OK;
    long long total = 0;
    size_t last = 1;
    size_t n;
    while (!rc && (n = fread(ib, 1, isz, in)) > 0) {
        ZSTD_inBuffer zi = {ib, n, 0};
        while (!rc && zi.pos < zi.size) {
            ZSTD_outBuffer zo = {ob, osz, 0};
            last = ZSTD_decompressStream(dc, &zo, &zi);
            if (ZSTD_isError(last)) rc = dd_err(e, DD_ECORRUPT, "pull: layer is not valid zstd: %s",
                                                ZSTD_getErrorName(last));
            else if ((total += (long long)zo.pos) > max)
                rc = dd_err(e, DD_ELIMIT, "pull: database larger than %lld bytes", max);
            else if (zo.pos && fwrite(ob, 1, zo.pos, out) != zo.pos)
                rc = dd_err_errno(e, DD_EIO, errno, "pull: cannot write '%s'", dst);
        }
    }
    if (!rc && last != 0) rc = dd_err(e, DD_ECORRUPT, "pull: layer ends inside a zstd frame");
    ZSTD_freeDCtx(dc);
    free(ib);
    free(ob);
    fclose(in);
    if (fclose(out) != 0 && !rc) rc = dd_err_errno(e, DD_EIO, errno, "pull: cannot write '%s'", dst);
    return rc;
}

static int hash_file(const char *path, dd_digest_t *dig, long long *size, dd_err_t *e)
{
    FILE *f = fopen(path, "rb");
    if (!f) return dd_err_errno(e, DD_EIO, errno, "cannot open '%s'", path);
    dd_hasher_t *h = dd_hasher_new(DD_DIGEST_SHA256);
    char buf[65536];
    size_t n;
    *size = 0;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        dd_hasher_update(h, buf, n);
        *size += (long long)n;
    }
    dd_hasher_final(h, dig);
    dd_hasher_free(h);
    int rc = ferror(f) ? dd_err_errno(e, DD_EIO, errno, "cannot read '%s'", path) : DD_OK;
    fclose(f);
    return rc;
}

/* ---- build ---------------------------------------------------------------- */

void dd_vulndb_artifact_release(dd_vulndb_artifact_t *a)
{
    if (a->layer_path) unlink(a->layer_path);
    free(a->layer_path);
    free(a->manifest);
    memset(a, 0, sizeof *a);
}

int dd_vulndb_artifact_build(const char *dbpath, const char *tmpdir, dd_vulndb_artifact_t *out, dd_err_t *e)
{
    memset(out, 0, sizeof *out);
    dd_vulndb_t *db = NULL;
    int rc = dd_vulndb_open(dbpath, true, &db, e);
    if (rc) return rc;
    dd_vulndb_status_t st;
    dd_vulndb_status(db, &st);
    dd_vulndb_close(db);
    out->version = st.version;
    out->layer_path = dd_asprintf("%s/vulndb-export.%ld.zst", tmpdir, (long)getpid());
    dd_digest_t dig;
    rc = compress_file(dbpath, out->layer_path, &dig, &out->layer_size, e);
    if (rc) {
        dd_vulndb_status_release(&st);
        dd_vulndb_artifact_release(out);
        return rc;
    }
    snprintf(out->layer_digest, sizeof out->layer_digest, "%s", dig.str);
    json_t *feeds = json_array();
    for (size_t i = 0; i < st.n_feeds; i++) {
        dd_vulndb_feed_info_t *f = &st.feeds[i];
        json_array_append_new(feeds, json_pack("{s:s,s:s,s:I,s:s,s:s}", "name", f->name, "updated", f->updated,
                                               "records", (json_int_t)f->records, "etag", f->etag, "last_modified",
                                               f->last_modified));
    }
    char *feeds_txt = json_dumps(feeds, JSON_COMPACT);
    json_decref(feeds);
    char ver[32], schema[16], now[32];
    snprintf(ver, sizeof ver, "%lld", (long long)st.version);
    snprintf(schema, sizeof schema, "%d", st.schema_version);
    dd_time_rfc3339(dd_now_ms() / 1000, now);
    json_t *m = json_pack(
        "{s:i,s:s,s:s,s:{s:s,s:s,s:i,s:s},s:[{s:s,s:s,s:I,s:{s:s}}],s:{s:s,s:s,s:s,s:s,s:s,s:s}}",
        "schemaVersion", 2, "mediaType", DD_OCI_MANIFEST_TYPE, "artifactType", DD_VULNDB_ARTIFACT_TYPE, "config",
        "mediaType", DD_OCI_EMPTY_TYPE, "digest", EMPTY_DIGEST, "size", 2, "data", "e30=", "layers", "mediaType",
        DD_VULNDB_LAYER_TYPE, "digest", out->layer_digest, "size", (json_int_t)out->layer_size, "annotations",
        "org.opencontainers.image.title", LAYER_TITLE, "annotations", "io.drydock.vulndb.schema", schema,
        "io.drydock.vulndb.version", ver, "io.drydock.vulndb.built", st.built, "io.drydock.vulndb.updated",
        st.updated, "io.drydock.vulndb.feeds", feeds_txt ? feeds_txt : "[]", "org.opencontainers.image.created", now);
    free(feeds_txt);
    dd_vulndb_status_release(&st);
    out->manifest = m ? json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(m);
    if (!out->manifest) {
        dd_vulndb_artifact_release(out);
        return dd_err(e, DD_ENOMEM, "export: cannot encode the manifest");
    }
    out->manifest_len = strlen(out->manifest);
    dd_digest_buf(DD_DIGEST_SHA256, out->manifest, out->manifest_len, &dig);
    snprintf(out->manifest_digest, sizeof out->manifest_digest, "%s", dig.str);
    return DD_OK;
}

/* ---- OCI layout --------------------------------------------------------------- */

static char *blob_path(const char *dir, const char *digest)
{
    const char *colon = strchr(digest, ':');
    return dd_asprintf("%s/blobs/%.*s/%s", dir, (int)(colon - digest), digest, colon + 1);
}

static int copy_file(const char *src, const char *dst, dd_err_t *e)
{
    char *tmp = dd_asprintf("%s.tmp.%ld", dst, (long)getpid());
    FILE *in = fopen(src, "rb"), *out = in ? fopen(tmp, "wb") : NULL;
    int rc = DD_OK;
    if (!in || !out) rc = dd_err_errno(e, DD_EIO, errno, "export: cannot open '%s'", in ? tmp : src);
    char buf[65536];
    size_t n;
    while (!rc && (n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out) != n) rc = dd_err_errno(e, DD_EIO, errno, "export: cannot write '%s'", tmp);
    if (in) fclose(in);
    if (out && fclose(out) != 0 && !rc) rc = dd_err_errno(e, DD_EIO, errno, "export: cannot write '%s'", tmp);
    if (!rc && rename(tmp, dst) != 0) rc = dd_err_errno(e, DD_EIO, errno, "export: cannot rename to '%s'", dst);
    if (rc) unlink(tmp);
    free(tmp);
    return rc;
}

int dd_vulndb_artifact_write_layout(const dd_vulndb_artifact_t *a, const char *dir, const char *tag, dd_err_t *e)
{
    char *bdir = dd_asprintf("%s/blobs/sha256", dir);
    int rc = dd_mkdirs(bdir, 0755, e);
    free(bdir);
    if (rc) return rc;
    static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
    char *p = dd_asprintf("%s/oci-layout", dir);
    rc = dd_file_write_atomic(p, layout, sizeof layout - 1, e);
    free(p);
    if (!rc) {
        p = blob_path(dir, EMPTY_DIGEST);
        rc = dd_file_write_atomic(p, "{}", 2, e);
        free(p);
    }
    if (!rc) {
        p = blob_path(dir, a->manifest_digest);
        rc = dd_file_write_atomic(p, a->manifest, a->manifest_len, e);
        free(p);
    }
    if (!rc) {
        p = blob_path(dir, a->layer_digest);
        rc = copy_file(a->layer_path, p, e);
        free(p);
    }
    if (rc) return rc;
    /* index.json: other tags are kept, this tag points at the new manifest */
    char *ip = dd_asprintf("%s/index.json", dir);
    json_error_t je;
    json_t *idx = json_load_file(ip, 0, &je);
    if (!json_is_object(idx)) {
        json_decref(idx);
        idx = json_pack("{s:i,s:s,s:[]}", "schemaVersion", 2, "mediaType", "application/vnd.oci.image.index.v1+json",
                        "manifests");
    }
    json_t *ms = json_object_get(idx, "manifests");
    if (!json_is_array(ms)) {
        ms = json_array();
        json_object_set_new(idx, "manifests", ms);
    }
    for (size_t i = json_array_size(ms); i-- > 0;) {
        const char *rn = json_string_value(
            json_object_get(json_object_get(json_array_get(ms, i), "annotations"), "org.opencontainers.image.ref.name"));
        if (rn && !strcmp(rn, tag)) json_array_remove(ms, i);
    }
    json_array_append_new(ms, json_pack("{s:s,s:s,s:s,s:I,s:{s:s}}", "mediaType", DD_OCI_MANIFEST_TYPE,
                                        "artifactType", DD_VULNDB_ARTIFACT_TYPE, "digest", a->manifest_digest, "size",
                                        (json_int_t)a->manifest_len, "annotations",
                                        "org.opencontainers.image.ref.name", tag));
    char *txt = json_dumps(idx, JSON_INDENT(2));
    json_decref(idx);
    rc = txt ? dd_file_write_atomic(ip, txt, strlen(txt), e) : dd_err(e, DD_ENOMEM, "export: cannot encode index");
    free(txt);
    free(ip);
    return rc;
}

/* ---- registry client ------------------------------------------------------ */

typedef struct reg {
    dd_docker_ref_t ref;
    char base[600];
    char *auth;       /* "Authorization: ..." or NULL */
    bool auth_tried;
    bool push;
    const dd_oci_remote_opts_t *o;
} reg_t;

typedef struct resp {
    long status;
    dd_buf_t body;    /* when no file */
    FILE *file;       /* body to file */
    dd_hasher_t *h;   /* hashes the body to file */
    long long n;
    char location[1024];
    char challenge[1024];
    char digest[160];
} resp_t;

static void hval(const char *line, size_t n, const char *name, char *out, size_t outsz)
{
    size_t nl = strlen(name);
    if (n <= nl + 1 || strncasecmp(line, name, nl) != 0 || line[nl] != ':') return;
    const char *v = line + nl + 1, *end = line + n;
    while (v < end && (*v == ' ' || *v == '\t')) v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ')) end--;
    size_t l = (size_t)(end - v) < outsz - 1 ? (size_t)(end - v) : outsz - 1;
    memcpy(out, v, l);
    out[l] = '\0';
}

static size_t on_head(char *p, size_t sz, size_t nm, void *arg)
{
    resp_t *r = arg;
    size_t n = sz * nm;
    hval(p, n, "Location", r->location, sizeof r->location);
    hval(p, n, "WWW-Authenticate", r->challenge, sizeof r->challenge);
    hval(p, n, "Docker-Content-Digest", r->digest, sizeof r->digest);
    return n;
}

static size_t on_data(char *p, size_t sz, size_t nm, void *arg)
{
    resp_t *r = arg;
    size_t n = sz * nm;
    if (r->file) {
        if (r->n + (long long)n > DB_MAX || fwrite(p, 1, n, r->file) != n) return 0;
        dd_hasher_update(r->h, p, n);
        r->n += (long long)n;
        return n;
    }
    return dd_buf_append(&r->body, p, n) == DD_OK ? n : 0;
}

static int xfer_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    const dd_oci_remote_opts_t *o = arg;
    if (o->progress) {
        if (ut > 0) o->progress(o->progress_arg, (long long)un, (long long)ut);
        else o->progress(o->progress_arg, (long long)dn, (long long)dt);
    }
    return 0;
}

/* One request. body from memory (body/len) or a file (upload), never both. */
static int request(reg_t *g, const char *method, const char *url, const char *const *hdrs, const char *body,
                   size_t len, FILE *upload, long long upsize, resp_t *r, dd_err_t *e)
{
    CURL *c = curl_easy_init();
    if (!c) return dd_err(e, DD_ENOMEM, "oci: curl init failed");
    struct curl_slist *hl = NULL;
    for (const char *const *h = hdrs; h && *h; h++) hl = curl_slist_append(hl, *h);
    if (g->auth) hl = curl_slist_append(hl, g->auth);
    r->status = 0;
    r->location[0] = r->challenge[0] = r->digest[0] = '\0';
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, strcmp(method, "GET") ? 0L : 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 120L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "drydock-db/1");
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_head);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    if (g->o && g->o->progress && (upload || r->file)) {
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, xfer_progress);
        curl_easy_setopt(c, CURLOPT_XFERINFODATA, g->o);
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    }
    if (!strcmp(method, "HEAD")) curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    else if (upload) {
        curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(c, CURLOPT_READDATA, upload);
        curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)upsize);
    } else if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    } else if (!strcmp(method, "POST")) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
    }
    CURLcode cc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_easy_cleanup(c);
    curl_slist_free_all(hl);
    if (cc != CURLE_OK) return dd_err(e, DD_EIO, "oci: %s %s: %s", method, url, curl_easy_strerror(cc));
    return DD_OK;
}

static bool chal_param(const char *ch, const char *key, char *out, size_t n)
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

static char *basic_header(const char *user, const char *pw)
{
    char *cred = dd_asprintf("%s:%s", user, pw ? pw : "");
    size_t l = strlen(cred);
    unsigned char *b64 = dd_calloc(4 * ((l + 2) / 3) + 1, 1);
    EVP_EncodeBlock(b64, (const unsigned char *)cred, (int)l);
    char *h = dd_asprintf("Authorization: Basic %s", b64);
    free(b64);
    free(cred);
    return h;
}

static int authenticate(reg_t *g, const char *challenge, dd_err_t *e)
{
    g->auth_tried = true;
    const char *user = g->o && g->o->user ? g->o->user : getenv("DRYDOCK_REGISTRY_USER");
    const char *pw = g->o && g->o->password ? g->o->password : getenv("DRYDOCK_REGISTRY_PASSWORD");
    free(g->auth);
    g->auth = NULL;
    if (!strncasecmp(challenge, "Basic", 5)) {
        if (!user) return dd_err(e, DD_EAUTH, "oci: registry wants credentials ($DRYDOCK_REGISTRY_USER)");
        g->auth = basic_header(user, pw);
        return DD_OK;
    }
    if (strncasecmp(challenge, "Bearer", 6))
        return dd_err(e, DD_EAUTH, "oci: unsupported auth challenge '%.100s'", challenge);
    char realm[512], service[256] = "", scope[512];
    if (!chal_param(challenge, "realm", realm, sizeof realm)) return dd_err(e, DD_EAUTH, "oci: challenge without realm");
    chal_param(challenge, "service", service, sizeof service);
    if (!chal_param(challenge, "scope", scope, sizeof scope) || g->push)
        snprintf(scope, sizeof scope, "repository:%s:%s", g->ref.repo, g->push ? "pull,push" : "pull");
    if (strncmp(realm, "http://", 7) && strncmp(realm, "https://", 8))
        return dd_err(e, DD_EAUTH, "oci: bad token realm '%.200s'", realm);
    dd_buf_t url;
    dd_buf_init(&url, 0);
    dd_buf_printf(&url, "%s%c", realm, strchr(realm, '?') ? '&' : '?');
    if (service[0]) {
        dd_buf_puts(&url, "service=");
        dd_buf_pct_encode(&url, service, NULL);
        dd_buf_putc(&url, '&');
    }
    dd_buf_puts(&url, "scope=");
    dd_buf_pct_encode(&url, scope, NULL);
    if (user) g->auth = basic_header(user, pw);
    resp_t r = {0};
    dd_buf_init(&r.body, 1 << 16);
    int rc = request(g, "GET", url.ptr, NULL, NULL, 0, NULL, 0, &r, e);
    dd_buf_release(&url);
    free(g->auth);
    g->auth = NULL;
    if (!rc && r.status != 200) rc = dd_err(e, DD_EAUTH, "oci: token service answered %ld", r.status);
    if (!rc) {
        json_t *j = json_loadb(r.body.ptr, r.body.len, 0, NULL);
        json_t *t = json_object_get(j, "token");
        if (!json_is_string(t)) t = json_object_get(j, "access_token");
        if (json_is_string(t)) g->auth = dd_asprintf("Authorization: Bearer %s", json_string_value(t));
        else rc = dd_err(e, DD_EAUTH, "oci: token service gave no token");
        json_decref(j);
    }
    dd_buf_release(&r.body);
    return rc;
}

/* A request with one authentication round on 401. */
static int request_auth(reg_t *g, const char *method, const char *url, const char *const *hdrs, const char *body,
                        size_t len, FILE *upload, long long upsize, resp_t *r, dd_err_t *e)
{
    int rc = request(g, method, url, hdrs, body, len, upload, upsize, r, e);
    if (!rc && r->status == 401 && !g->auth_tried && r->challenge[0]) {
        char ch[sizeof r->challenge];
        snprintf(ch, sizeof ch, "%s", r->challenge);
        if ((rc = authenticate(g, ch, e))) return rc;
        if (upload) rewind(upload);
        if (r->file) {
            rewind(r->file);
            r->n = 0;
        }
        dd_buf_reset(&r->body);
        rc = request(g, method, url, hdrs, body, len, upload, upsize, r, e);
    }
    if (!rc && r->status == 401) rc = dd_err(e, DD_EAUTH, "oci: %s %s: not authorized (401)", method, url);
    return rc;
}

static bool is_loopback(const char *host)
{
    return !strncmp(host, "localhost", 9) || !strncmp(host, "127.0.0.1", 9) || !strncmp(host, "[::1]", 5);
}

static int reg_init(reg_t *g, const char *ref, bool push, const dd_oci_remote_opts_t *o, dd_err_t *e)
{
    memset(g, 0, sizeof *g);
    g->o = o;
    g->push = push;
    int rc = dd_docker_ref_parse(ref, &g->ref, e);
    if (rc) return rc;
    bool http = (o && o->insecure) || is_loopback(g->ref.host);
    snprintf(g->base, sizeof g->base, "%s://%s", http ? "http" : "https", g->ref.host);
    return DD_OK;
}

static int push_blob(reg_t *g, const char *digest, const char *path, const char *mem, size_t len, dd_err_t *e)
{
    resp_t r = {0};
    dd_buf_init(&r.body, 1 << 16);
    char *url = dd_asprintf("%s/v2/%s/blobs/%s", g->base, g->ref.repo, digest);
    int rc = request_auth(g, "HEAD", url, NULL, NULL, 0, NULL, 0, &r, e);
    free(url);
    if (!rc && r.status == 200) goto out; /* already there */
    url = dd_asprintf("%s/v2/%s/blobs/uploads/", g->base, g->ref.repo);
    rc = rc ? rc : request_auth(g, "POST", url, NULL, NULL, 0, NULL, 0, &r, e);
    free(url);
    if (!rc && r.status != 202) rc = dd_err(e, DD_EIO, "oci: starting an upload answered %ld", r.status);
    if (!rc && !r.location[0]) rc = dd_err(e, DD_EIO, "oci: upload answer without Location");
    if (rc) goto out;
    dd_buf_t u;
    dd_buf_init(&u, 0);
    if (r.location[0] == '/') dd_buf_puts(&u, g->base);
    dd_buf_printf(&u, "%s%cdigest=", r.location, strchr(r.location, '?') ? '&' : '?');
    dd_buf_pct_encode(&u, digest, NULL);
    static const char *const oct[] = {"Content-Type: application/octet-stream", NULL};
    if (path) {
        FILE *f = fopen(path, "rb");
        struct stat sb;
        if (!f || fstat(fileno(f), &sb) != 0) rc = dd_err_errno(e, DD_EIO, errno, "oci: cannot open '%s'", path);
        else rc = request_auth(g, "PUT", u.ptr, oct, NULL, 0, f, (long long)sb.st_size, &r, e);
        if (f) fclose(f);
    } else {
        rc = request_auth(g, "PUT", u.ptr, oct, mem, len, NULL, 0, &r, e);
    }
    dd_buf_release(&u);
    if (!rc && r.status != 201) rc = dd_err(e, DD_EIO, "oci: blob upload of '%s' answered %ld", digest, r.status);
out:
    dd_buf_release(&r.body);
    return rc;
}

int dd_vulndb_artifact_push(const dd_vulndb_artifact_t *a, const char *ref, const dd_oci_remote_opts_t *o,
                            dd_err_t *e)
{
    reg_t g;
    int rc = reg_init(&g, ref, true, o, e);
    if (rc) return rc;
    if (g.ref.digest[0]) return dd_err(e, DD_EINVAL, "oci: push needs a tag, not a digest ('%s')", ref);
    rc = push_blob(&g, EMPTY_DIGEST, NULL, "{}", 2, e);
    if (!rc) rc = push_blob(&g, a->layer_digest, a->layer_path, NULL, 0, e);
    if (!rc) {
        resp_t r = {0};
        dd_buf_init(&r.body, 1 << 16);
        char *url = dd_asprintf("%s/v2/%s/manifests/%s", g.base, g.ref.repo, g.ref.tag);
        static const char *const ct[] = {"Content-Type: " DD_OCI_MANIFEST_TYPE, NULL};
        rc = request_auth(&g, "PUT", url, ct, a->manifest, a->manifest_len, NULL, 0, &r, e);
        if (!rc && r.status != 201)
            rc = dd_err(e, DD_EIO, "oci: manifest upload answered %ld: %.200s", r.status, r.body.ptr ? r.body.ptr : "");
        if (!rc && r.digest[0] && strcmp(r.digest, a->manifest_digest))
            rc = dd_err(e, DD_EDIGEST, "oci: registry stored manifest '%s', sent '%s'", r.digest, a->manifest_digest);
        free(url);
        dd_buf_release(&r.body);
    }
    free(g.auth);
    return rc;
}

/* ---- pull ------------------------------------------------------------------- */

/* Checks a manifest and returns its layer and config descriptors. */
static int check_manifest(const char *m, size_t len, char *layer, size_t lsz, long long *layer_size, char *config,
                          size_t csz, long long *config_size, dd_err_t *e)
{
    json_error_t je;
    json_t *j = json_loadb(m, len, 0, &je);
    if (!json_is_object(j)) {
        json_decref(j);
        return dd_err(e, DD_EINVAL, "pull: manifest is not json: %s", je.text);
    }
    int rc = DD_OK;
    const char *at = json_string_value(json_object_get(j, "artifactType"));
    json_t *cfg = json_object_get(j, "config"), *layers = json_object_get(j, "layers");
    const char *cmt = json_string_value(json_object_get(cfg, "mediaType"));
    json_t *l0 = json_array_get(layers, 0);
    const char *lmt = json_string_value(json_object_get(l0, "mediaType"));
    const char *ld = json_string_value(json_object_get(l0, "digest"));
    const char *cd = json_string_value(json_object_get(cfg, "digest"));
    dd_digest_t d;
    if (!(at && !strcmp(at, DD_VULNDB_ARTIFACT_TYPE)) && !(cmt && !strcmp(cmt, DD_VULNDB_ARTIFACT_TYPE)))
        rc = dd_err(e, DD_EINVAL, "pull: not a drydock database artifact (artifactType '%s')", at ? at : "");
    else if (json_array_size(layers) != 1 || !lmt || strcmp(lmt, DD_VULNDB_LAYER_TYPE))
        rc = dd_err(e, DD_EINVAL, "pull: the artifact must have one layer of type '%s'", DD_VULNDB_LAYER_TYPE);
    else if (!ld || dd_digest_parse(ld, &d, NULL) || !cd || dd_digest_parse(cd, &d, NULL) ||
             !json_is_integer(json_object_get(l0, "size")) || !json_is_integer(json_object_get(cfg, "size")))
        rc = dd_err(e, DD_EINVAL, "pull: bad layer or config descriptor");
    else {
        snprintf(layer, lsz, "%s", ld);
        snprintf(config, csz, "%s", cd);
        *layer_size = (long long)json_integer_value(json_object_get(l0, "size"));
        *config_size = (long long)json_integer_value(json_object_get(cfg, "size"));
    }
    json_decref(j);
    return rc;
}

static int verify_file(const char *path, const char *digest, long long size, dd_err_t *e)
{
    dd_digest_t d;
    long long n = 0;
    int rc = hash_file(path, &d, &n, e);
    if (rc) return rc;
    if (n != size) return dd_err(e, DD_EDIGEST, "pull: blob '%s' has %lld bytes, descriptor says %lld", digest, n, size);
    if (strcmp(d.str, digest)) return dd_err(e, DD_EDIGEST, "pull: blob content is '%s', descriptor says '%s'", d.str, digest);
    return DD_OK;
}

/* oci-layout:DIR[:TAG] -> the manifest bytes and the layout dir. */
static int layout_manifest(const char *spec, char **dir_out, dd_buf_t *m, char *mdigest, dd_err_t *e)
{
    char *dir = dd_strdup(spec);
    const char *tag = NULL;
    char *colon = strrchr(dir, ':');
    if (colon && !strchr(colon, '/')) {
        *colon = '\0';
        tag = colon + 1;
    }
    char *ip = dd_asprintf("%s/index.json", dir);
    json_error_t je;
    json_t *idx = json_load_file(ip, 0, &je);
    free(ip);
    int rc = DD_OK;
    const char *digest = NULL;
    json_t *ms = json_object_get(idx, "manifests");
    if (!json_is_array(ms)) rc = dd_err(e, DD_EINVAL, "pull: '%s' is not an oci layout (no index.json manifests)", dir);
    size_t i;
    json_t *x;
    json_array_foreach(ms, i, x) {
        const char *rn = json_string_value(json_object_get(json_object_get(x, "annotations"),
                                                           "org.opencontainers.image.ref.name"));
        if ((tag && rn && !strcmp(rn, tag)) || (!tag && json_array_size(ms) == 1) || (!tag && rn && !strcmp(rn, "latest")))
            digest = json_string_value(json_object_get(x, "digest"));
    }
    dd_digest_t d;
    if (!rc && (!digest || dd_digest_parse(digest, &d, NULL)))
        rc = dd_err(e, DD_ENOTFOUND, "pull: no manifest tagged '%s' in '%s'", tag ? tag : "latest", dir);
    if (!rc) {
        snprintf(mdigest, 160, "%s", d.str);
        char *bp = blob_path(dir, d.str);
        rc = dd_file_read(bp, MANIFEST_MAX, m, e);
        free(bp);
    }
    json_decref(idx);
    if (rc) free(dir);
    else *dir_out = dir;
    return rc;
}

int dd_vulndb_artifact_pull(const char *from, const char *dbpath, const dd_oci_remote_opts_t *o, int64_t *version,
                            dd_err_t *e)
{
    bool layout = dd_str_startswith(from, "oci-layout:");
    if (!layout && !dd_str_startswith(from, "oci://"))
        return dd_err(e, DD_EINVAL, "pull: '%s' is neither oci://HOST/REPO:TAG nor oci-layout:DIR[:TAG]", from);
    char *ddir = dd_strdup(dbpath);
    char *slash = strrchr(ddir, '/');
    int mrc = slash && slash != ddir ? (*slash = '\0', dd_mkdirs(ddir, 0755, e)) : DD_OK;
    free(ddir);
    if (mrc) return mrc;
    char *zpath = dd_asprintf("%s.pull.%ld.zst", dbpath, (long)getpid());
    char *dbtmp = dd_asprintf("%s.pull.%ld", dbpath, (long)getpid());
    dd_buf_t m;
    dd_buf_init(&m, MANIFEST_MAX);
    char mdigest[160] = "", layer[160], config[160];
    long long lsize = 0, csize = 0;
    char *ldir = NULL;
    reg_t g = {0};
    int rc;
    dd_digest_t d;
    if (layout) {
        rc = layout_manifest(from + strlen("oci-layout:"), &ldir, &m, mdigest, e);
    } else {
        rc = reg_init(&g, from + strlen("oci://"), false, o, e);
        resp_t r = {0};
        r.body = m;
        char *url = rc ? NULL
                       : dd_asprintf("%s/v2/%s/manifests/%s", g.base, g.ref.repo, g.ref.digest[0] ? g.ref.digest : g.ref.tag);
        static const char *const acc[] = {"Accept: " DD_OCI_MANIFEST_TYPE, NULL};
        if (!rc) rc = request_auth(&g, "GET", url, acc, NULL, 0, NULL, 0, &r, e);
        m = r.body;
        if (!rc && r.status != 200) rc = dd_err(e, DD_ENOTFOUND, "pull: manifest of '%s': HTTP %ld", from, r.status);
        if (!rc) {
            /* pinned by digest: it must match; by tag: the registry's header, when sent */
            const char *want = g.ref.digest[0] ? g.ref.digest : r.digest;
            if (want[0]) snprintf(mdigest, sizeof mdigest, "%s", want);
        }
        free(url);
    }
    if (!rc) {
        dd_digest_buf(DD_DIGEST_SHA256, m.ptr, m.len, &d);
        if (mdigest[0] && strcmp(d.str, mdigest))
            rc = dd_err(e, DD_EDIGEST, "pull: manifest content is '%s', expected '%s'", d.str, mdigest);
        snprintf(mdigest, sizeof mdigest, "%s", d.str);
    }
    if (!rc) rc = check_manifest(m.ptr, m.len, layer, sizeof layer, &lsize, config, sizeof config, &csize, e);
    /* the config blob, then the layer, each checked against its descriptor */
    for (int pass = 0; pass < 2 && !rc; pass++) {
        const char *dg = pass ? layer : config;
        long long sz = pass ? lsize : csize;
        char *cpath = pass ? NULL : dd_asprintf("%s.cfg", zpath);
        const char *path = pass ? zpath : cpath;
        if (layout) {
            char *bp = blob_path(ldir, dg);
            rc = copy_file(bp, path, e);
            free(bp);
        } else {
            resp_t r = {0};
            dd_buf_init(&r.body, 0);
            r.file = fopen(path, "wb");
            r.h = dd_hasher_new(DD_DIGEST_SHA256);
            char *url = dd_asprintf("%s/v2/%s/blobs/%s", g.base, g.ref.repo, dg);
            if (!r.file) rc = dd_err_errno(e, DD_EIO, errno, "pull: cannot create '%s'", path);
            else rc = request_auth(&g, "GET", url, NULL, NULL, 0, NULL, 0, &r, e);
            if (r.file && fclose(r.file) != 0 && !rc) rc = dd_err_errno(e, DD_EIO, errno, "pull: write '%s'", path);
            if (!rc && r.status != 200) rc = dd_err(e, DD_ENOTFOUND, "pull: blob '%s': HTTP %ld", dg, r.status);
            dd_hasher_free(r.h);
            dd_buf_release(&r.body);
            free(url);
        }
        if (!rc) rc = verify_file(path, dg, sz, e);
        if (cpath) {
            unlink(cpath);
            free(cpath);
        }
    }
    if (!rc) rc = decompress_file(zpath, dbtmp, o && o->max_db_bytes > 0 ? o->max_db_bytes : DB_MAX, e);
    unlink(zpath);
    if (!rc) rc = dd_vulndb_replace(dbpath, dbtmp, version, e);
    unlink(dbtmp);
    free(zpath);
    free(dbtmp);
    free(ldir);
    free(g.auth);
    dd_buf_release(&m);
    return rc;
}
