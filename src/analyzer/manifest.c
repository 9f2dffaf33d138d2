/*
 * manifest.c: strict parser for OCI / Docker schema 2 manifests and indexes,
 * and a reader for image configs, on jansson.
 *
 * Strictness (image-spec manifest.md, image-index.md, descriptor.md and
 * the distribution spec): JSON objects with duplicate keys are rejected
 * (JSON_REJECT_DUPLICATES, no parser differentials), schemaVersion must be
 * the integer 2, descriptors need a valid mediaType, a parseable digest and
 * a non-negative integer size; optional fields must have their types. Unknown
 * fields are ignored, as the spec requires. Bytes are never re-serialized:
 * digests are computed by callers over the exact bytes they received.
 *
 * Memory (issue 20 item 3): a JSON tree costs far more than its text (a
 * descriptor of 160 bytes becomes about a kilobyte of jansson objects), so
 * each parse here runs under an allocation budget, DD_MANIFEST_PARSE_BUDGET(n)
 * for n bytes of text: jansson's allocator is ours (json_set_alloc_funcs, set
 * once at load), and while a budget is open on the calling thread every
 * allocation is counted and one past the budget fails, which makes
 * json_loadb fail; the parse then returns DD_ELIMIT.
 */
#include "dd/manifest.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the allocation budget of a parse ---- */

static _Thread_local bool budget_on;      /* a budget is open on this thread */
static _Thread_local bool budget_blown;   /* an allocation was refused */
static _Thread_local size_t budget_left;  /* bytes jansson may still allocate */

static void *budget_malloc(size_t n)
{
    if (budget_on) {
        if (n > budget_left) {
            budget_blown = true;
            return NULL;
        }
        budget_left -= n;
    }
    return malloc(n);
}

/* Plain malloc/free underneath, so objects made before or outside a budget
 * are freed the same way. */
__attribute__((constructor)) static void budget_install(void)
{
    json_set_alloc_funcs(budget_malloc, free);
}

static void budget_open(size_t max)
{
    budget_on = true;
    budget_blown = false;
    budget_left = max;
}

/* Closes the budget; true when an allocation was refused. */
static bool budget_close(void)
{
    budget_on = false;
    return budget_blown;
}

static json_t *load_budgeted(const void *bytes, size_t n, json_error_t *je, dd_err_t *e, const char *what,
                             int *rc)
{
    budget_open(DD_MANIFEST_PARSE_BUDGET(n));
    json_t *root = json_loadb(bytes, n, JSON_REJECT_DUPLICATES, je);
    if (budget_close()) {
        json_decref(root);
        *rc = dd_err(e, DD_ELIMIT, "%s of %zu bytes needs more than %zu bytes of memory to parse", what, n,
                     (size_t)DD_MANIFEST_PARSE_BUDGET(n));
        return NULL;
    }
    *rc = DD_OK;
    return root;
}

void dd_descriptor_release(dd_descriptor_t *d)
{
    free(d->media_type);
    free(d->artifact_type);
    free(d->platform.os);
    free(d->platform.architecture);
    free(d->platform.variant);
    free(d->platform.os_version);
    free(d->ref_name);
    memset(d, 0, sizeof *d);
}

void dd_manifest_release(dd_manifest_t *m)
{
    free(m->media_type);
    free(m->artifact_type);
    free(m->annotations_json);
    dd_descriptor_release(&m->config);
    for (size_t i = 0; i < m->n_layers; i++) dd_descriptor_release(&m->layers[i]);
    free(m->layers);
    for (size_t i = 0; i < m->n_manifests; i++) dd_descriptor_release(&m->manifests[i]);
    free(m->manifests);
    dd_descriptor_release(&m->subject);
    memset(m, 0, sizeof *m);
}

/* RFC 6838 type/subtype with restricted-name characters (and no parameters). */
static bool valid_media_type(const char *s)
{
    static const char extra[] = "!#$&-^_.+";
    int parts = 0;
    size_t len = 0;
    for (const char *p = s;; p++) {
        if (*p == '/' || *p == '\0') {
            if (len == 0 || len > 127) return false;
            parts++;
            len = 0;
            if (*p == '\0') break;
            continue;
        }
        bool alnum = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9');
        if (!alnum && (len == 0 || !strchr(extra, *p))) return false;
        len++;
    }
    return parts == 2;
}

static int opt_string(json_t *o, const char *key, const char *where, char **out, dd_err_t *e)
{
    json_t *v = json_object_get(o, key);
    if (!v) return DD_OK;
    if (!json_is_string(v)) return dd_err(e, DD_EINVAL, "%s: '%s' must be a string", where, key);
    *out = dd_strdup(json_string_value(v));
    return DD_OK;
}

static int annotations(json_t *o, const char *where, size_t *n, char **ref_name, dd_err_t *e)
{
    json_t *a = json_object_get(o, "annotations");
    if (!a) return DD_OK;
    if (!json_is_object(a)) return dd_err(e, DD_EINVAL, "%s: annotations must be an object", where);
    const char *k;
    json_t *v;
    json_object_foreach(a, k, v) {
        if (!json_is_string(v))
            return dd_err(e, DD_EINVAL, "%s: annotation '%.100s' must be a string", where, k);
        if (ref_name && strcmp(k, "org.opencontainers.image.ref.name") == 0)
            *ref_name = dd_strdup(json_string_value(v));
    }
    *n = json_object_size(a);
    return DD_OK;
}

static int platform(json_t *o, const char *where, dd_platform_t *p, dd_err_t *e)
{
    if (!json_is_object(o)) return dd_err(e, DD_EINVAL, "%s: platform must be an object", where);
    json_t *os = json_object_get(o, "os"), *arch = json_object_get(o, "architecture");
    if (!json_is_string(os) || !json_is_string(arch))
        return dd_err(e, DD_EINVAL, "%s: platform needs string os and architecture", where);
    p->os = dd_strdup(json_string_value(os));
    p->architecture = dd_strdup(json_string_value(arch));
    int rc = opt_string(o, "variant", where, &p->variant, e);
    if (!rc) rc = opt_string(o, "os.version", where, &p->os_version, e);
    json_t *f = json_object_get(o, "os.features");
    if (!rc && f && !json_is_array(f)) rc = dd_err(e, DD_EINVAL, "%s: os.features must be an array", where);
    f = json_object_get(o, "features");
    if (!rc && f && !json_is_array(f)) rc = dd_err(e, DD_EINVAL, "%s: features must be an array", where);
    return rc;
}

/* The embedded "data" must be base64 (RFC 4648, padded) of exactly the
 * referenced content: its size and digest are checked. */
static int check_data(const char *b64, size_t n, const dd_descriptor_t *d, const char *where, dd_err_t *e)
{
    if (n % 4 != 0 || n / 4 * 3 > (size_t)INT32_MAX)
        return dd_err(e, DD_EINVAL, "%s: data is not base64", where);
    for (size_t i = 0; i < n; i++) {
        char c = b64[i];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
                  c == '/' || (c == '=' && i >= n - 2 && (i == n - 1 || b64[n - 1] == '='));
        if (!ok) return dd_err(e, DD_EINVAL, "%s: data is not base64", where);
    }
    size_t pad = n && b64[n - 1] == '=' ? (n > 1 && b64[n - 2] == '=' ? 2 : 1) : 0;
    unsigned char *buf = dd_malloc(n / 4 * 3 + 1);
    int got = n ? EVP_DecodeBlock(buf, (const unsigned char *)b64, (int)n) : 0;
    int rc = DD_OK;
    if (got < 0 || (size_t)got < pad) {
        rc = dd_err(e, DD_EINVAL, "%s: data is not base64", where);
    } else {
        size_t len = (size_t)got - pad;
        dd_digest_t dg;
        dd_digest_buf(d->digest.alg, buf, len, &dg);
        if ((int64_t)len != d->size)
            rc = dd_err(e, DD_EINVAL, "%s: data has %zu bytes, size says %lld", where, len, (long long)d->size);
        else if (strcmp(dg.str, d->digest.str) != 0)
            rc = dd_err(e, DD_EINVAL, "%s: data does not match the digest", where);
    }
    free(buf);
    return rc;
}

static int descriptor(json_t *o, const char *where, bool want_platform, dd_descriptor_t *d,
                      dd_err_t *e)
{
    memset(d, 0, sizeof *d);
    if (!json_is_object(o)) return dd_err(e, DD_EINVAL, "%s: descriptor must be an object", where);
    json_t *mt = json_object_get(o, "mediaType");
    if (!json_is_string(mt)) return dd_err(e, DD_EINVAL, "%s: mediaType missing or not a string", where);
    if (!valid_media_type(json_string_value(mt)))
        return dd_err(e, DD_EINVAL, "%s: invalid mediaType '%.100s'", where, json_string_value(mt));
    d->media_type = dd_strdup(json_string_value(mt));
    json_t *dg = json_object_get(o, "digest");
    if (!json_is_string(dg)) return dd_err(e, DD_EINVAL, "%s: digest missing or not a string", where);
    dd_err_t de = {0};
    int rc = dd_digest_parse(json_string_value(dg), &d->digest, &de);
    if (rc != DD_OK) return dd_err(e, rc == DD_EUNSUPPORTED ? DD_EUNSUPPORTED : DD_EINVAL, "%s: %s", where, de.msg);
    json_t *sz = json_object_get(o, "size");
    if (!json_is_integer(sz) || json_integer_value(sz) < 0)
        return dd_err(e, DD_EINVAL, "%s: size missing or not a non-negative integer", where);
    d->size = json_integer_value(sz);
    json_t *urls = json_object_get(o, "urls");
    if (urls) {
        if (!json_is_array(urls)) return dd_err(e, DD_EINVAL, "%s: urls must be an array", where);
        size_t i;
        json_t *u;
        json_array_foreach(urls, i, u) {
            if (!json_is_string(u)) return dd_err(e, DD_EINVAL, "%s: urls must hold strings", where);
        }
        d->n_urls = json_array_size(urls);
    }
    json_t *data = json_object_get(o, "data");
    if (data) {
        if (!json_is_string(data)) return dd_err(e, DD_EINVAL, "%s: data must be a string", where);
        rc = check_data(json_string_value(data), json_string_length(data), d, where, e);
        if (rc) return rc;
    }
    rc = opt_string(o, "artifactType", where, &d->artifact_type, e);
    if (!rc && d->artifact_type && !valid_media_type(d->artifact_type))
        rc = dd_err(e, DD_EINVAL, "%s: invalid artifactType", where);
    if (!rc) rc = annotations(o, where, &d->n_annotations, &d->ref_name, e);
    json_t *p = json_object_get(o, "platform");
    if (!rc && p) {
        if (!want_platform) return DD_OK; /* ignored outside indexes */
        d->has_platform = true;
        rc = platform(p, where, &d->platform, e);
    }
    return rc;
}

static int descriptors(json_t *arr, const char *what, bool want_platform, dd_descriptor_t **out,
                       size_t *n, dd_err_t *e)
{
    if (!json_is_array(arr)) return dd_err(e, DD_EINVAL, "%s must be an array", what);
    size_t cnt = json_array_size(arr);
    if (cnt > DD_MANIFEST_MAX_DESCRIPTORS)
        return dd_err(e, DD_ELIMIT, "more than %d %s", DD_MANIFEST_MAX_DESCRIPTORS, what);
    *out = dd_calloc(cnt ? cnt : 1, sizeof **out);
    for (size_t i = 0; i < cnt; i++) {
        char where[64];
        snprintf(where, sizeof where, "%s[%zu]", what, i);
        *n = i + 1;
        int rc = descriptor(json_array_get(arr, i), where, want_platform, &(*out)[i], e);
        if (rc != DD_OK) return rc;
    }
    *n = cnt;
    return DD_OK;
}

static int kind_of(const char *mt, dd_manifest_kind_t *k, bool *docker)
{
    if (strcmp(mt, DD_MT_OCI_MANIFEST) == 0) *k = DD_MANIFEST_IMAGE, *docker = false;
    else if (strcmp(mt, DD_MT_OCI_INDEX) == 0) *k = DD_MANIFEST_INDEX, *docker = false;
    else if (strcmp(mt, DD_MT_DOCKER_MANIFEST) == 0) *k = DD_MANIFEST_IMAGE, *docker = true;
    else if (strcmp(mt, DD_MT_DOCKER_LIST) == 0) *k = DD_MANIFEST_INDEX, *docker = true;
    else return DD_EUNSUPPORTED;
    return DD_OK;
}

/* The media type without parameters ("; charset=utf-8") and spaces. */
static void bare_type(const char *ct, char *out, size_t n)
{
    while (*ct == ' ') ct++;
    size_t l = strcspn(ct, "; ");
    if (l >= n) l = n - 1;
    memcpy(out, ct, l);
    out[l] = '\0';
}

static int parse(json_t *root, const char *content_type, unsigned flags, dd_manifest_t *m, dd_err_t *e)
{
    bool pushed = flags & DD_MANIFEST_PUSHED;
    if (!json_is_object(root)) return dd_err(e, DD_EINVAL, "manifest is not a JSON object");
    json_t *sv = json_object_get(root, "schemaVersion");
    if (!json_is_integer(sv)) return dd_err(e, DD_EINVAL, "schemaVersion missing or not an integer");
    if (json_integer_value(sv) == 1) {
        /* a schema 1 document, unless it claims a schema 2 media type */
        json_t *t = json_object_get(root, "mediaType");
        dd_manifest_kind_t k;
        bool dk;
        if (!json_is_string(t) || kind_of(json_string_value(t), &k, &dk) != DD_OK)
            return dd_err(e, DD_EUNSUPPORTED, "docker schema 1 manifests are not supported");
    }
    if (json_integer_value(sv) != 2)
        return dd_err(e, DD_EINVAL, "schemaVersion must be 2, not %lld",
                      (long long)json_integer_value(sv));
    json_t *mtv = json_object_get(root, "mediaType");
    if (mtv && !json_is_string(mtv)) return dd_err(e, DD_EINVAL, "mediaType must be a string");
    const char *mt = mtv ? json_string_value(mtv) : NULL;
    char ct[160] = "";
    if (content_type && *content_type) bare_type(content_type, ct, sizeof ct);
    if (mt && *ct && strcmp(mt, ct) != 0)
        return dd_err(e, DD_EINVAL, "mediaType '%.100s' does not match Content-Type '%.100s'", mt, ct);
    if (!mt && *ct) mt = ct;
    if (!mt) {
        /* OCI documents may omit mediaType: decide by shape */
        bool has_m = json_object_get(root, "manifests") != NULL;
        bool has_c = json_object_get(root, "config") != NULL || json_object_get(root, "layers") != NULL;
        if (has_m == has_c) return dd_err(e, DD_EINVAL, "cannot tell the manifest type: no mediaType");
        mt = has_m ? DD_MT_OCI_INDEX : DD_MT_OCI_MANIFEST;
    }
    if (kind_of(mt, &m->kind, &m->docker) != DD_OK)
        return dd_err(e, DD_EUNSUPPORTED, "unsupported manifest media type '%.100s'", mt);
    if (m->docker && !mtv && !pushed) return dd_err(e, DD_EINVAL, "docker manifest without mediaType");
    m->media_type = dd_strdup(mt);

    int rc = opt_string(root, "artifactType", "manifest", &m->artifact_type, e);
    if (!rc && m->artifact_type && !valid_media_type(m->artifact_type))
        rc = dd_err(e, DD_EINVAL, "invalid artifactType '%.100s'", m->artifact_type);
    if (!rc) rc = annotations(root, "manifest", &m->n_annotations, NULL, e);
    json_t *ann = json_object_get(root, "annotations");
    if (!rc && ann) {
        m->annotations_json = json_dumps(ann, JSON_COMPACT);
        if (!m->annotations_json) rc = dd_err(e, DD_ENOMEM, "cannot serialize annotations");
    }
    json_t *subj = json_object_get(root, "subject");
    if (!rc && subj) {
        m->has_subject = true;
        rc = descriptor(subj, "subject", false, &m->subject, e);
    }
    if (rc) return rc;

    if (m->kind == DD_MANIFEST_IMAGE) {
        if (json_object_get(root, "manifests"))
            return dd_err(e, DD_EINVAL, "an image manifest must not have manifests");
        json_t *cfg = json_object_get(root, "config");
        if (!cfg) return dd_err(e, DD_EINVAL, "config is required");
        rc = descriptor(cfg, "config", false, &m->config, e);
        if (rc) return rc;
        json_t *layers = json_object_get(root, "layers");
        if (!layers) return dd_err(e, DD_EINVAL, "layers is required");
        rc = descriptors(layers, "layers", false, &m->layers, &m->n_layers, e);
        if (rc) return rc;
        if (!pushed && strcmp(m->config.media_type, DD_MT_OCI_EMPTY) == 0 && !m->artifact_type)
            return dd_err(e, DD_EINVAL, "artifactType is required when config is the empty descriptor");
    } else {
        if (json_object_get(root, "config") || json_object_get(root, "layers"))
            return dd_err(e, DD_EINVAL, "an index must not have config or layers");
        json_t *ms = json_object_get(root, "manifests");
        if (!ms) return dd_err(e, DD_EINVAL, "manifests is required");
        rc = descriptors(ms, "manifests", true, &m->manifests, &m->n_manifests, e);
        if (rc) return rc;
        if (m->docker && !pushed)
            for (size_t i = 0; i < m->n_manifests; i++)
                if (!m->manifests[i].has_platform)
                    return dd_err(e, DD_EINVAL, "manifests[%zu]: platform is required in a manifest list", i);
    }
    return DD_OK;
}

int dd_manifest_parse(const void *bytes, size_t n, const char *content_type, dd_manifest_t *out,
                      dd_err_t *e)
{
    return dd_manifest_parse_ex(bytes, n, content_type, 0, out, e);
}

int dd_manifest_parse_ex(const void *bytes, size_t n, const char *content_type, unsigned flags,
                         dd_manifest_t *out, dd_err_t *e)
{
    memset(out, 0, sizeof *out);
    if (n > DD_MANIFEST_MAX && !(flags & DD_MANIFEST_PUSHED))
        return dd_err(e, DD_ELIMIT, "manifest is %zu bytes, over %u", n, DD_MANIFEST_MAX);
    json_error_t je;
    int brc;
    json_t *root = load_budgeted(bytes, n, &je, e, "manifest", &brc);
    if (brc != DD_OK) return brc;
    if (!root) return dd_err(e, DD_EINVAL, "manifest is not valid JSON: %s at line %d", je.text, je.line);
    int rc = parse(root, content_type, flags, out, e);
    json_decref(root);
    if (rc != DD_OK) dd_manifest_release(out);
    return rc;
}

void dd_platform_format(const dd_platform_t *p, char *buf, size_t n)
{
    snprintf(buf, n, "%s/%s%s%s", p->os ? p->os : "?", p->architecture ? p->architecture : "?",
             p->variant ? "/" : "", p->variant ? p->variant : "");
}

bool dd_platform_match(const dd_platform_t *p, const char *want)
{
    char os[64] = "", arch[64] = "", var[64] = "";
    if (sscanf(want, "%63[^/]/%63[^/]/%63s", os, arch, var) < 2) return false;
    if (!p->os || !p->architecture || strcmp(p->os, os) || strcmp(p->architecture, arch)) return false;
    return !*var || (p->variant && strcmp(p->variant, var) == 0);
}

/* ---- image config ---------------------------------------------------------- */

void dd_image_config_release(dd_image_config_t *c)
{
    free(c->os);
    free(c->architecture);
    free(c->variant);
    free(c->created);
    for (size_t i = 0; i < c->n_diff_ids; i++) free(c->diff_ids[i]);
    free(c->diff_ids);
    for (size_t i = 0; i < c->n_history; i++) {
        free(c->history[i].created);
        free(c->history[i].created_by);
        free(c->history[i].comment);
    }
    free(c->history);
    memset(c, 0, sizeof *c);
}

static int config_parse(json_t *root, dd_image_config_t *c, dd_err_t *e)
{
    if (!json_is_object(root)) return dd_err(e, DD_EINVAL, "image config is not a JSON object");
    int rc = opt_string(root, "os", "config", &c->os, e);
    if (!rc) rc = opt_string(root, "architecture", "config", &c->architecture, e);
    if (!rc) rc = opt_string(root, "variant", "config", &c->variant, e);
    if (!rc) rc = opt_string(root, "created", "config", &c->created, e);
    if (rc) return rc;
    json_t *rootfs = json_object_get(root, "rootfs");
    if (rootfs) {
        json_t *ids = json_object_get(rootfs, "diff_ids");
        if (!json_is_object(rootfs) || (ids && !json_is_array(ids)))
            return dd_err(e, DD_EINVAL, "config: rootfs.diff_ids must be an array");
        size_t cnt = json_array_size(ids);
        if (cnt > DD_MANIFEST_MAX_DESCRIPTORS) return dd_err(e, DD_ELIMIT, "config: too many diff_ids");
        c->diff_ids = dd_calloc(cnt ? cnt : 1, sizeof *c->diff_ids);
        for (size_t i = 0; i < cnt; i++) {
            json_t *v = json_array_get(ids, i);
            dd_digest_t d;
            if (!json_is_string(v) || dd_digest_parse(json_string_value(v), &d, NULL) != DD_OK)
                return dd_err(e, DD_EINVAL, "config: rootfs.diff_ids[%zu] is not a digest", i);
            c->diff_ids[c->n_diff_ids++] = dd_strdup(d.str);
        }
    }
    json_t *h = json_object_get(root, "history");
    if (h) {
        if (!json_is_array(h)) return dd_err(e, DD_EINVAL, "config: history must be an array");
        size_t cnt = json_array_size(h);
        if (cnt > DD_MANIFEST_MAX_DESCRIPTORS) return dd_err(e, DD_ELIMIT, "config: history too long");
        c->history = dd_calloc(cnt ? cnt : 1, sizeof *c->history);
        for (size_t i = 0; i < cnt; i++) {
            json_t *o = json_array_get(h, i);
            if (!json_is_object(o)) return dd_err(e, DD_EINVAL, "config: history[%zu] is not an object", i);
            dd_history_t *x = &c->history[c->n_history++];
            rc = opt_string(o, "created", "history", &x->created, e);
            if (!rc) rc = opt_string(o, "created_by", "history", &x->created_by, e);
            if (!rc) rc = opt_string(o, "comment", "history", &x->comment, e);
            if (rc) return rc;
            json_t *el = json_object_get(o, "empty_layer");
            if (el && !json_is_boolean(el)) return dd_err(e, DD_EINVAL, "config: empty_layer must be a boolean");
            x->empty_layer = el && json_is_true(el);
        }
    }
    return DD_OK;
}

int dd_image_config_parse(const void *bytes, size_t n, dd_image_config_t *out, dd_err_t *e)
{
    memset(out, 0, sizeof *out);
    if (n > DD_CONFIG_MAX) return dd_err(e, DD_ELIMIT, "image config is %zu bytes, over %u", n, DD_CONFIG_MAX);
    json_error_t je;
    int brc;
    json_t *root = load_budgeted(bytes, n, &je, e, "image config", &brc);
    if (brc != DD_OK) return brc;
    if (!root) {
        /* Go's decoder (docker, containerd) reads invalid UTF-8 in a config's
         * strings (labels, history) as U+FFFD; do the same rather than fail the
         * scan (issue 20 item 1). Only the parse sees the copy: the digest is
         * of the bytes as stored. */
        dd_buf_t fixed;
        dd_buf_init(&fixed, 0);
        if (dd_buf_utf8_valid(&fixed, bytes, n) == DD_OK && fixed.len != n)
            root = load_budgeted(fixed.ptr, fixed.len, &je, e, "image config", &brc);
        dd_buf_release(&fixed);
        if (brc != DD_OK) return brc;
    }
    if (!root) return dd_err(e, DD_EINVAL, "image config is not valid JSON: %s", je.text);
    int rc = config_parse(root, out, e);
    json_decref(root);
    if (rc != DD_OK) dd_image_config_release(out);
    return rc;
}
