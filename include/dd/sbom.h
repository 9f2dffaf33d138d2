/*
 * sbom.h: reading an SBOM's OS packages into an inventory, for
 * `drydock scan sbom:FILE`.
 *
 * Formats: CycloneDX 1.4, 1.5 and 1.6 JSON (components[].purl, nested
 * components included) and SPDX 2.2 / 2.3 JSON (packages[].externalRefs of
 * type purl). Package URLs of type deb, apk and rpm become packages:
 *
 *   pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&upstream=openssl&distro=debian-12
 *   pkg:apk/alpine/busybox@1.36.1-r2?arch=x86_64&upstream=busybox&distro=3.18.4
 *   pkg:rpm/redhat/openssl-libs@3.0.7-24.el9?arch=x86_64&epoch=1&upstream=openssl-3.0.7-24.el9.src.rpm&distro=rhel-9.2
 *
 * The source package comes from the `upstream` qualifier ("name",
 * "name@version", or an rpm's source rpm file name), else from CycloneDX
 * properties aquasecurity:trivy:SrcName / SrcVersion (Trivy's SBOMs), else
 * the binary package itself. Other purl types are counted and skipped.
 *
 * The OS comes from the SBOM's operating-system component (CycloneDX
 * component type "operating-system", SPDX primaryPackagePurpose
 * OPERATING-SYSTEM: name = os-release ID, version = VERSION_ID), else from
 * the first purl's distro qualifier ("debian-12", "3.18.4" for apk,
 * "rhel-9.2"). Untrusted input: every count and string is bounded.
 */
#ifndef DD_SBOM_H
#define DD_SBOM_H

#include "dd/catalog.h"
#include "dd/core.h"

#define DD_SBOM_MAX_BYTES (256u << 20)   /* largest SBOM file read */
#define DD_SBOM_MAX_DEPTH 16             /* nested CycloneDX components */

typedef struct dd_sbom_info {
    char format[32];         /* "CycloneDX 1.5", "SPDX-2.3" */
    size_t n_components;     /* components / packages seen */
    size_t n_skipped;        /* without a deb/apk/rpm purl */
} dd_sbom_info_t;

/* Parses an SBOM held in memory into inv (dd_inventory_init'ed); name is the
 * file name recorded as each package's db_path. info may be NULL.
 * DD_EINVAL for anything that is not a supported SBOM, with a message
 * saying why. */
int dd_sbom_parse(const char *data, size_t len, const char *name, dd_inventory_t *inv, dd_sbom_info_t *info,
                  dd_err_t *e);
int dd_sbom_load(const char *path, dd_inventory_t *inv, dd_sbom_info_t *info, dd_err_t *e);

/* A parsed package URL (pkg:type/namespace/name@version?qualifiers#subpath),
 * percent-decoded; strings point into buf. NULL where absent. */
typedef struct dd_purl {
    char buf[2048];
    const char *type, *namespace_, *name, *version;
    const char *q_arch, *q_distro, *q_epoch, *q_upstream;
} dd_purl_t;
/* DD_EINVAL for a malformed purl (or one longer than the buffer). */
int dd_purl_parse(const char *s, dd_purl_t *out);

#endif
