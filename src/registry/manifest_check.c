/*
 * manifest_check.c: validation of pushed manifests and indexes (OCI image
 * manifest, OCI image index, Docker schema2 manifest and manifest list)
 * before anything is stored.
 *
 * The rules live in one place, the analyzer's parser (dd_manifest_parse_ex
 * in src/analyzer/manifest.c, with DD_MANIFEST_PUSHED: see dd/manifest.h);
 * this file only takes from its result what the registry needs, in the
 * request's arena: referenced blobs (config + layers) and child manifests,
 * whether a descriptor is foreign (has urls, so need not be here), the
 * subject, the artifact type for the referrers API (artifactType, else the
 * config's media type for an OCI image manifest) and the annotations.
 */
#include "registry_int.h"

#include "dd/manifest.h"

#include <stdio.h>
#include <string.h>

static void take(const dd_descriptor_t *d, mdesc_t *out)
{
    out->digest = d->digest;
    out->size = (uint64_t)d->size;
    out->foreign = d->n_urls > 0;
}

static void take_all(const dd_descriptor_t *d, size_t n, dd_arena_t *a, mdesc_t **out, size_t *nout)
{
    *out = dd_arena_alloc(a, (n + 1) * sizeof **out);
    for (size_t i = 0; i < n; i++) take(&d[i], &(*out)[i]);
    *nout = n;
}

int reg_manifest_check(const char *body, size_t n, const char *content_type, dd_arena_t *a, mcheck_t *out,
                       dd_err_t *e)
{
    memset(out, 0, sizeof *out);
    if (memchr(body, '\0', n)) return dd_err(e, DD_EINVAL, "manifest holds a NUL byte");
    dd_manifest_t m;
    int rc = dd_manifest_parse_ex(body, n, content_type, DD_MANIFEST_PUSHED, &m, e);
    if (rc == DD_ELIMIT) rc = DD_EINVAL; /* too many descriptors: MANIFEST_INVALID */
    if (rc != DD_OK) return rc;
    out->media_type = dd_arena_strdup(a, m.media_type);
    out->artifact_type = m.artifact_type ? dd_arena_strdup(a, m.artifact_type) : "";
    if (m.kind == DD_MANIFEST_IMAGE) {
        out->kind = MKIND_IMAGE;
        out->blobs = dd_arena_alloc(a, (m.n_layers + 1) * sizeof *out->blobs);
        take(&m.config, &out->blobs[0]);
        for (size_t i = 0; i < m.n_layers; i++) take(&m.layers[i], &out->blobs[1 + i]);
        out->n_blobs = m.n_layers + 1;
        /* the referrers rule: a manifest without artifactType is listed with
         * its config's media type */
        if (!m.artifact_type && !m.docker) out->artifact_type = dd_arena_strdup(a, m.config.media_type);
    } else {
        out->kind = MKIND_INDEX;
        take_all(m.manifests, m.n_manifests, a, &out->children, &out->n_children);
    }
    if (m.has_subject) snprintf(out->subject, sizeof out->subject, "%s", m.subject.digest.str);
    if (m.annotations_json) out->annotations_json = dd_arena_strdup(a, m.annotations_json);
    dd_manifest_release(&m);
    return DD_OK;
}
