/*
 * manifest.h: strict parsing of image manifests, indexes and image configs.
 *
 * Accepted media types (the OCI image spec and Docker schema 2):
 *   application/vnd.oci.image.manifest.v1+json
 *   application/vnd.oci.image.index.v1+json
 *   application/vnd.docker.distribution.manifest.v2+json
 *   application/vnd.docker.distribution.manifest.list.v2+json
 * Used by the image sources (src/analyzer/image.c) and by the registry to
 * validate pushed manifests (src/registry/manifest_check.c, with
 * DD_MANIFEST_PUSHED).
 *
 * Error codes (the registry maps all of EINVAL / EUNSUPPORTED / ELIMIT to
 * MANIFEST_INVALID; see docs/analyzer.md):
 *   DD_ELIMIT       the document is larger than DD_MANIFEST_MAX, or has more
 *                   than DD_MANIFEST_MAX_DESCRIPTORS layers/manifests, or
 *                   its parse needs more than DD_MANIFEST_PARSE_BUDGET(n);
 *   DD_EINVAL       not JSON, duplicate keys, wrong field types, schemaVersion
 *                   != 2, missing required fields, invalid digest or media
 *                   type, negative size, Content-Type / mediaType mismatch,
 *                   empty-config manifest without artifactType, index entry
 *                   platform without os/architecture;
 *   DD_EUNSUPPORTED a well-formed document of another media type (schema 1,
 *                   unknown types), or a digest algorithm other than
 *                   sha256/sha512.
 *
 * Ownership: everything in a dd_manifest_t / dd_image_config_t is malloc'd
 * and freed by the matching _release().
 */
#ifndef DD_MANIFEST_H
#define DD_MANIFEST_H

#include "dd/core.h"
#include "dd/digest.h"

#define DD_MANIFEST_MAX (4u << 20)           /* bytes of a manifest or index */
/* layers of a manifest, entries of an index, diff_ids and history entries of
 * a config. 1000 (it was 10,000 until issue 20 item 3): each layer costs the
 * registry and the scanner memory and work, and no real image comes near it
 * (overlayfs stacks at most about 128). */
#define DD_MANIFEST_MAX_DESCRIPTORS 1000
/* Bytes jansson may allocate to parse n bytes of manifest, index or config
 * (issue 20 item 3): 256 KiB plus 6 per byte. Measured with jansson 2.14:
 * manifests need 3.6 to 4 bytes per byte of text, 5.4 with an annotation on
 * each layer, 1.0 for long strings; arrays or objects of tiny values 12 to
 * 14, which is the shape this refuses. */
#define DD_MANIFEST_PARSE_BUDGET(n) ((size_t)(256u << 10) + 6 * (size_t)(n))
#define DD_CONFIG_MAX (8u << 20)             /* bytes of an image config */

#define DD_MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define DD_MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define DD_MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define DD_MT_OCI_EMPTY "application/vnd.oci.empty.v1+json"
#define DD_MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define DD_MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define DD_MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
/* The Accept header value for pulling any of the four. */
#define DD_MANIFEST_ACCEPT                                                                   \
    DD_MT_OCI_INDEX ", " DD_MT_OCI_MANIFEST ", " DD_MT_DOCKER_LIST ", " DD_MT_DOCKER_MANIFEST

typedef struct dd_platform {
    char *os, *architecture, *variant, *os_version; /* NULL when absent */
} dd_platform_t;

typedef struct dd_descriptor {
    char *media_type;
    dd_digest_t digest;
    int64_t size;
    char *artifact_type;      /* NULL when absent */
    bool has_platform;
    dd_platform_t platform;   /* index entries only */
    size_t n_annotations;
    char *ref_name;           /* annotation org.opencontainers.image.ref.name, or NULL */
    size_t n_urls;
} dd_descriptor_t;

typedef enum { DD_MANIFEST_IMAGE = 1, DD_MANIFEST_INDEX = 2 } dd_manifest_kind_t;

typedef struct dd_manifest {
    dd_manifest_kind_t kind;
    char *media_type;         /* the effective media type (one of the four) */
    bool docker;              /* Docker schema 2 rather than OCI */
    char *artifact_type;      /* NULL when absent */
    dd_descriptor_t config;   /* images */
    dd_descriptor_t *layers;  /* images */
    size_t n_layers;
    dd_descriptor_t *manifests; /* indexes */
    size_t n_manifests;
    bool has_subject;
    dd_descriptor_t subject;
    size_t n_annotations;
    char *annotations_json;   /* the annotations object, compact JSON; NULL when absent */
} dd_manifest_t;

/* Parses and validates bytes. content_type may be NULL (then the mediaType
 * field decides, or the shape for OCI documents without one); when both are
 * present they must agree. out is overwritten (no need to init) and must be
 * released on DD_OK; on error it is left empty. */
int dd_manifest_parse(const void *bytes, size_t n, const char *content_type, dd_manifest_t *out,
                      dd_err_t *e);
/* dd_manifest_parse with flags:
 *   DD_MANIFEST_PUSHED  the registry's acceptance of a pushed manifest. The
 *     registry bounds the body itself (its manifest-max setting), so there is
 *     no DD_MANIFEST_MAX check, and rules whose breach harms no reader are not
 *     enforced, as clients in the field break them: artifactType for an empty
 *     config, platform in Docker manifest list entries, and mediaType in a
 *     Docker document whose Content-Type names it. */
#define DD_MANIFEST_PUSHED 1u
int dd_manifest_parse_ex(const void *bytes, size_t n, const char *content_type, unsigned flags,
                         dd_manifest_t *out, dd_err_t *e);
void dd_manifest_release(dd_manifest_t *m);
void dd_descriptor_release(dd_descriptor_t *d);
/* "linux/amd64" or "linux/arm64/v8" into buf (size >= 128). */
void dd_platform_format(const dd_platform_t *p, char *buf, size_t n);
/* True if p matches want ("os/arch[/variant]"; a missing variant matches any). */
bool dd_platform_match(const dd_platform_t *p, const char *want);

/* ---- image config ---------------------------------------------------------- */
typedef struct dd_history {
    char *created, *created_by, *comment; /* NULL when absent */
    bool empty_layer;
} dd_history_t;

typedef struct dd_image_config {
    char *os, *architecture, *variant, *created; /* NULL when absent */
    char **diff_ids;          /* rootfs.diff_ids */
    size_t n_diff_ids;
    dd_history_t *history;
    size_t n_history;
} dd_image_config_t;

/* Parses an OCI / Docker image config (lenient about unknown fields, strict
 * about the types of the ones it reads). DD_ELIMIT over DD_CONFIG_MAX. */
int dd_image_config_parse(const void *bytes, size_t n, dd_image_config_t *out, dd_err_t *e);
void dd_image_config_release(dd_image_config_t *c);

#endif
