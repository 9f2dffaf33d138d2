/*
 * manifest_check.c: validation of pushed manifests and indexes (OCI image
 * manifest, OCI image index, Docker schema2 manifest and manifest list) with
 * jansson, before anything is stored.
 *
 * Checks: the body is a JSON object (jansson's depth limit bounds nesting;
 * NUL bytes are refused); schemaVersion is 2; the media type is known and the
 * body's mediaType agrees with the Content-Type; an image has a config
 * descriptor and a layers array, an index a manifests array; every
 * descriptor has a mediaType string, a valid sha256/sha512 digest and a
 * non-negative integer size; at most MCHECK_MAX_DESCRIPTORS descriptors.
 * It extracts what the registry needs: referenced blobs and child manifests,
 * the subject, the artifact type (artifactType, else the config's media type
 * for an image manifest, per the referrers rules) and the annotations.
 *
 * (The analyzer's manifest parser may replace this file later; the checks
 * here are the registry's acceptance rules.)
 */
#include "registry_int.h"

#include <jansson.h>
#include <string.h>

#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"

static const struct {
    const char *type;
    mkind_t kind;
} known_types[] = {
    {MT_DOCKER_LIST, MKIND_INDEX},
    {MT_DOCKER_MANIFEST, MKIND_IMAGE},
    {MT_OCI_INDEX, MKIND_INDEX},
    {MT_OCI_MANIFEST, MKIND_IMAGE},
};

static mkind_t kind_of(const char *t)
{
    for (size_t i = 0; i < sizeof known_types / sizeof known_types[0]; i++)
        if (!strcmp(known_types[i].type, t)) return known_types[i].kind;
    return 0;
}

/* "type/subtype; charset=..." -> "type/subtype" (trimmed) in the arena. */
static char *base_type(const char *ct, dd_arena_t *a)
{
    while (*ct == ' ' || *ct == '\t') ct++;
    size_t n = strcspn(ct, ";");
    while (n && (ct[n - 1] == ' ' || ct[n - 1] == '\t')) n--;
    return dd_arena_strndup(a, ct, n);
}

static int check_desc(json_t *d, const char *what, mdesc_t *out, dd_err_t *e)
{
    if (!json_is_object(d)) return dd_err(e, DD_EINVAL, "%s is not a descriptor object", what);
    json_t *mt = json_object_get(d, "mediaType");
    json_t *dg = json_object_get(d, "digest");
    json_t *sz = json_object_get(d, "size");
    if (!json_is_string(mt) || !json_string_length(mt))
        return dd_err(e, DD_EINVAL, "%s: mediaType missing or not a string", what);
    if (!json_is_string(dg)) return dd_err(e, DD_EINVAL, "%s: digest missing or not a string", what);
    dd_err_t e2;
    if (dd_digest_parse(json_string_value(dg), &out->digest, &e2) != DD_OK)
        return dd_err(e, DD_EINVAL, "%s: %s", what, e2.msg);
    if (!json_is_integer(sz) || json_integer_value(sz) < 0)
        return dd_err(e, DD_EINVAL, "%s: size missing or not a non-negative integer", what);
    out->size = (uint64_t)json_integer_value(sz);
    json_t *urls = json_object_get(d, "urls");
    out->foreign = json_is_array(urls) && json_array_size(urls) > 0;
    json_t *ann = json_object_get(d, "annotations");
    if (ann && !json_is_object(ann)) return dd_err(e, DD_EINVAL, "%s: annotations is not an object", what);
    return DD_OK;
}

static int check_array(json_t *arr, const char *what, dd_arena_t *a, mdesc_t **out, size_t *n, size_t *budget,
                       dd_err_t *e)
{
    size_t len = json_array_size(arr);
    if (len > *budget) return dd_err(e, DD_EINVAL, "too many descriptors in %s", what);
    *budget -= len;
    mdesc_t *d = dd_arena_alloc(a, (len + 1) * sizeof *d);
    for (size_t i = 0; i < len; i++) {
        char w[64];
        snprintf(w, sizeof w, "%s[%zu]", what, i);
        int rc = check_desc(json_array_get(arr, i), w, &d[i], e);
        if (rc) return rc;
    }
    *out = d;
    *n = len;
    return DD_OK;
}

static int check(json_t *root, const char *content_type, dd_arena_t *a, mcheck_t *m, dd_err_t *e)
{
    if (!json_is_object(root)) return dd_err(e, DD_EINVAL, "manifest is not a JSON object");
    json_t *sv = json_object_get(root, "schemaVersion");
    if (!json_is_integer(sv) || json_integer_value(sv) != 2)
        return dd_err(e, DD_EINVAL, "schemaVersion must be 2");
    json_t *mt = json_object_get(root, "mediaType");
    if (mt && !json_is_string(mt)) return dd_err(e, DD_EINVAL, "mediaType is not a string");
    const char *body_type = mt ? json_string_value(mt) : NULL;
    const char *ct = content_type && *content_type ? base_type(content_type, a) : NULL;
    if (body_type && ct && strcmp(body_type, ct) != 0)
        return dd_err(e, DD_EINVAL, "Content-Type '%s' does not match the manifest's mediaType '%s'", ct,
                      body_type);
    const char *type = body_type ? body_type : ct;
    if (!type) return dd_err(e, DD_EINVAL, "no mediaType in the manifest and no Content-Type");
    m->kind = kind_of(type);
    if (!m->kind) {
        if (body_type) return dd_err(e, DD_EINVAL, "unknown manifest mediaType '%s'", type);
        return dd_err(e, DD_EUNSUPPORTED, "unsupported manifest media type '%s'", type);
    }
    m->media_type = dd_arena_strdup(a, type);
    size_t budget = MCHECK_MAX_DESCRIPTORS;
    json_t *config = json_object_get(root, "config");
    json_t *layers = json_object_get(root, "layers");
    json_t *manifests = json_object_get(root, "manifests");
    m->artifact_type = "";
    json_t *at = json_object_get(root, "artifactType");
    if (at && !json_is_string(at)) return dd_err(e, DD_EINVAL, "artifactType is not a string");
    if (at) m->artifact_type = dd_arena_strdup(a, json_string_value(at));
    if (m->kind == MKIND_IMAGE) {
        if (manifests) return dd_err(e, DD_EINVAL, "an image manifest has no 'manifests'");
        if (!config) return dd_err(e, DD_EINVAL, "config descriptor missing");
        if (!json_is_array(layers)) return dd_err(e, DD_EINVAL, "layers missing or not an array");
        size_t nl = json_array_size(layers);
        if (nl + 1 > budget) return dd_err(e, DD_EINVAL, "too many layers");
        m->blobs = dd_arena_alloc(a, (nl + 1) * sizeof *m->blobs);
        int rc = check_desc(config, "config", &m->blobs[0], e);
        if (rc) return rc;
        for (size_t i = 0; i < nl; i++) {
            char w[64];
            snprintf(w, sizeof w, "layers[%zu]", i);
            rc = check_desc(json_array_get(layers, i), w, &m->blobs[1 + i], e);
            if (rc) return rc;
        }
        m->n_blobs = nl + 1;
        if (!at) {
            json_t *cmt = json_object_get(config, "mediaType");
            const char *cm = json_string_value(cmt);
            /* the referrers rule: a manifest without artifactType is listed
             * with its config's media type */
            if (cm && strcmp(type, MT_DOCKER_MANIFEST) != 0) m->artifact_type = dd_arena_strdup(a, cm);
        }
    } else {
        if (config || layers) return dd_err(e, DD_EINVAL, "an index has no 'config' or 'layers'");
        if (!json_is_array(manifests)) return dd_err(e, DD_EINVAL, "manifests missing or not an array");
        int rc = check_array(manifests, "manifests", a, &m->children, &m->n_children, &budget, e);
        if (rc) return rc;
    }
    json_t *subject = json_object_get(root, "subject");
    if (subject) {
        mdesc_t sd;
        int rc = check_desc(subject, "subject", &sd, e);
        if (rc) return rc;
        snprintf(m->subject, sizeof m->subject, "%s", sd.digest.str);
    }
    json_t *ann = json_object_get(root, "annotations");
    if (ann) {
        if (!json_is_object(ann)) return dd_err(e, DD_EINVAL, "annotations is not an object");
        json_t *v;
        const char *k;
        json_object_foreach(ann, k, v) {
            if (!json_is_string(v)) return dd_err(e, DD_EINVAL, "annotation '%s' is not a string", k);
        }
        char *s = json_dumps(ann, JSON_COMPACT);
        if (!s) return dd_err(e, DD_ENOMEM, "cannot serialize annotations");
        m->annotations_json = dd_arena_strdup(a, s);
        free(s);
    }
    return DD_OK;
}

int reg_manifest_check(const char *body, size_t n, const char *content_type, dd_arena_t *a, mcheck_t *out,
                       dd_err_t *e)
{
    memset(out, 0, sizeof *out);
    json_error_t je;
    json_t *root = json_loadb(body, n, JSON_REJECT_DUPLICATES, &je);
    if (!root) return dd_err(e, DD_EINVAL, "manifest is not valid JSON: %s (line %d)", je.text, je.line);
    int rc = check(root, content_type, a, out, e);
    json_decref(root);
    return rc;
}
