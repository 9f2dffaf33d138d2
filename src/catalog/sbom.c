/*
 * sbom.c: CycloneDX (1.4-1.6) and SPDX (2.2, 2.3) JSON SBOMs -> inventory,
 * through the package URLs of their components (see sbom.h).
 *
 * Design notes
 *   - Only deb, apk and rpm purls become packages; the purl's type decides
 *     the package type, whatever the SBOM claims elsewhere.
 *   - The OS is taken once: an operating-system component wins over purl
 *     distro qualifiers; the ecosystem name then comes from the same table
 *     os-release detection uses (dd_os_ecosystem), so an SBOM and an image
 *     of the same system match the same feeds.
 *   - jansson parses the document (duplicate keys rejected); nesting of
 *     CycloneDX components is bounded by DD_SBOM_MAX_DEPTH, the package count
 *     by the inventory's own cap.
 */
#include "dd/sbom.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- purl ----------------------------------------------------------------- */

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* Percent-decodes s in place. */
static int pct_decode(char *s)
{
    char *o = s;
    for (char *p = s; *p; p++) {
        if (*p == '%') {
            int h = hexval((unsigned char)p[1]), l = h >= 0 ? hexval((unsigned char)p[2]) : -1;
            if (h < 0 || l < 0 || (h == 0 && l == 0)) return DD_EINVAL;
            *o++ = (char)(h * 16 + l);
            p += 2;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
    return DD_OK;
}

int dd_purl_parse(const char *s, dd_purl_t *u)
{
    memset(u, 0, sizeof *u);
    if (!s || strncmp(s, "pkg:", 4) != 0) return DD_EINVAL;
    size_t n = strlen(s + 4);
    if (n == 0 || n >= sizeof u->buf) return DD_EINVAL;
    memcpy(u->buf, s + 4, n + 1);
    char *p = u->buf;
    char *hash = strchr(p, '#');
    if (hash) *hash = '\0';
    char *q = strchr(p, '?');
    if (q) *q++ = '\0';
    char *at = strrchr(p, '@');
    if (at) {
        *at++ = '\0';
        if (pct_decode(at) || !*at) return DD_EINVAL;
        u->version = at;
    }
    while (*p == '/') p++;
    char *slash = strchr(p, '/');
    if (!slash) return DD_EINVAL;
    *slash = '\0';
    u->type = p;
    for (char *t = p; *t; t++) *t = (char)tolower((unsigned char)*t);
    char *rest = slash + 1;
    char *last = strrchr(rest, '/');
    if (last) {
        *last = '\0';
        u->namespace_ = rest;
        u->name = last + 1;
        if (pct_decode(rest)) return DD_EINVAL;
    } else {
        u->name = rest;
    }
    if (!*u->type || !u->name || pct_decode((char *)u->name) || !*u->name) return DD_EINVAL;
    while (q && *q) {
        char *amp = strchr(q, '&');
        if (amp) *amp = '\0';
        char *eq = strchr(q, '=');
        if (eq) {
            *eq = '\0';
            char *v = eq + 1;
            if (pct_decode(v)) return DD_EINVAL;
            for (char *t = q; *t; t++) *t = (char)tolower((unsigned char)*t);
            if (!strcmp(q, "arch")) u->q_arch = v;
            else if (!strcmp(q, "distro")) u->q_distro = v;
            else if (!strcmp(q, "epoch")) u->q_epoch = v;
            else if (!strcmp(q, "upstream")) u->q_upstream = v;
        }
        q = amp ? amp + 1 : NULL;
    }
    return DD_OK;
}

/* ---- building the inventory ---------------------------------------------- */

typedef struct sbom_ctx {
    dd_inventory_t *inv;
    dd_arena_t *a;                  /* the inventory's arena: every string goes there */
    const char *name;
    dd_sbom_info_t *info;
    char *os_id, *os_version;       /* from an operating-system component */
    char *distro_id, *distro_ver;   /* from the first purl with a distro qualifier */
    dd_err_t *e;
} sbom_ctx_t;

static char *field(dd_arena_t *a, const char *s)
{
    if (!s) return NULL;
    size_t n = strlen(s);
    return dd_arena_strndup(a, s, n > DD_CATALOG_MAX_FIELD ? DD_CATALOG_MAX_FIELD : n);
}

/* rpm source rpm file "openssl-3.0.7-24.el9.src.rpm" -> name and "V-R". */
static void srpm_split(dd_arena_t *a, const char *srpm, char **name, char **ver)
{
    size_t n = strlen(srpm);
    if (n > 8 && !strcmp(srpm + n - 8, ".src.rpm")) n -= 8;
    else if (n > 4 && !strcmp(srpm + n - 4, ".rpm")) n -= 4;
    char *tmp = dd_arena_strndup(a, srpm, n);
    char *r = strrchr(tmp, '-');
    char *v = r ? (*r = '\0', strrchr(tmp, '-')) : NULL;
    if (r && v && v != tmp) {
        *r = '-';
        *name = dd_arena_strndup(a, tmp, (size_t)(v - tmp));
        *ver = dd_arena_strdup(a, v + 1);
    } else {
        *name = dd_arena_strdup(a, srpm);
        *ver = NULL;
    }
}

static void note_distro(sbom_ctx_t *c, const dd_purl_t *u)
{
    if (c->distro_id || !u->q_distro || !*u->q_distro || strlen(u->q_distro) > 64) return;
    const char *d = u->q_distro;
    const char *dash = strrchr(d, '-');
    if (dash && isdigit((unsigned char)dash[1]) && !isdigit((unsigned char)d[0])) {
        c->distro_id = dd_arena_strndup(c->a, d, (size_t)(dash - d));
        c->distro_ver = dd_arena_strdup(c->a, dash + 1);
    } else if (isdigit((unsigned char)d[0])) {
        const char *ns = u->namespace_ ? u->namespace_ : "";
        c->distro_id = dd_arena_strdup(c->a, !strcmp(ns, "redhat") ? "rhel" : ns);
        c->distro_ver = dd_arena_strdup(c->a, d);
    } else {
        c->distro_id = dd_arena_strdup(c->a, d);
    }
    for (char *t = c->distro_id; *t; t++) *t = (char)tolower((unsigned char)*t);
}

/* One purl (+ Trivy's source properties, may be NULL). */
static int add_purl(sbom_ctx_t *c, const char *purl, const char *src_name, const char *src_ver)
{
    dd_purl_t u;
    if (dd_purl_parse(purl, &u) != DD_OK) {
        c->info->n_skipped++;
        dd_inventory_warn(c->inv, "%s: skipped malformed purl '%.200s'", c->name, purl);
        return DD_OK;
    }
    dd_pkg_type_t t;
    if (!strcmp(u.type, "deb")) t = DD_PKG_DPKG;
    else if (!strcmp(u.type, "apk")) t = DD_PKG_APK;
    else if (!strcmp(u.type, "rpm")) t = DD_PKG_RPM;
    else {
        c->info->n_skipped++;
        return DD_OK;
    }
    if (!u.version) {
        c->info->n_skipped++;
        dd_inventory_warn(c->inv, "%s: skipped purl without a version '%.200s'", c->name, purl);
        return DD_OK;
    }
    note_distro(c, &u);
    dd_package_t *p = dd_inventory_add(c->inv);
    if (!p) return dd_err(c->e, DD_ELIMIT, "%s: more than %d packages", c->name, DD_CATALOG_MAX_TOTAL_PKGS);
    p->type = t;
    p->name = field(c->a, u.name);
    p->arch = field(c->a, u.q_arch);
    p->db_path = dd_arena_strdup(c->a, c->name);
    p->layer = -1;
    char *sname = NULL, *sver = NULL;
    if (u.q_upstream && *u.q_upstream) {
        if (t == DD_PKG_RPM) {
            srpm_split(c->a, u.q_upstream, &sname, &sver);
            p->source_rpm = field(c->a, u.q_upstream);
        } else {
            const char *at = strchr(u.q_upstream, '@');
            sname = at ? dd_arena_strndup(c->a, u.q_upstream, (size_t)(at - u.q_upstream)) : dd_arena_strdup(c->a, u.q_upstream);
            if (at && at[1]) sver = dd_arena_strdup(c->a, at + 1);
        }
    } else if (src_name && *src_name) {
        sname = dd_arena_strdup(c->a, src_name);
        if (src_ver && *src_ver) sver = dd_arena_strdup(c->a, src_ver);
    }
    if (t == DD_PKG_RPM) {
        long ep = u.q_epoch ? strtol(u.q_epoch, NULL, 10) : -1;
        p->epoch = u.q_epoch ? (int)(ep < 0 || ep > 1000000 ? 0 : ep) : -1;
        p->version = p->epoch > 0 ? dd_arena_printf(c->a, "%d:%.*s", p->epoch, DD_CATALOG_MAX_FIELD, u.version)
                                  : field(c->a, u.version);
        const char *dash = strrchr(u.version, '-');
        p->rpm_version = dash ? dd_arena_strndup(c->a, u.version, (size_t)(dash - u.version)) : field(c->a, u.version);
        p->rpm_release = dash ? field(c->a, dash + 1) : NULL;
    } else {
        p->version = field(c->a, u.version);
        if (t == DD_PKG_DPKG) {
            const char *colon = strchr(u.version, ':');
            p->epoch = colon ? atoi(u.version) : -1;
        }
    }
    p->source_name = sname ? sname : dd_arena_strdup(c->a, p->name);
    p->source_version = sver ? sver : dd_arena_strdup(c->a, p->version);
    return DD_OK;
}

static void note_os(sbom_ctx_t *c, const char *name, const char *version)
{
    if (c->os_id || !name || !*name || strlen(name) > 64) return;
    c->os_id = dd_arena_strdup(c->a, name);
    for (char *t = c->os_id; *t; t++) *t = (char)tolower((unsigned char)*t);
    if (version && strlen(version) <= 64) c->os_version = dd_arena_strdup(c->a, version);
}

/* ---- CycloneDX ------------------------------------------------------------ */

static const char *cdx_prop(json_t *comp, const char *name)
{
    json_t *props = json_object_get(comp, "properties");
    size_t i;
    json_t *p;
    json_array_foreach(props, i, p) {
        const char *n = json_string_value(json_object_get(p, "name"));
        if (n && !strcmp(n, name)) return json_string_value(json_object_get(p, "value"));
    }
    return NULL;
}

static int cdx_components(sbom_ctx_t *c, json_t *arr, int depth)
{
    if (!arr) return DD_OK;
    if (!json_is_array(arr)) return dd_err(c->e, DD_EINVAL, "%s: 'components' is not an array", c->name);
    if (depth > DD_SBOM_MAX_DEPTH) return dd_err(c->e, DD_ELIMIT, "%s: components nested too deeply", c->name);
    size_t i;
    json_t *comp;
    json_array_foreach(arr, i, comp) {
        if (!json_is_object(comp)) return dd_err(c->e, DD_EINVAL, "%s: a component is not an object", c->name);
        c->info->n_components++;
        const char *type = json_string_value(json_object_get(comp, "type"));
        const char *purl = json_string_value(json_object_get(comp, "purl"));
        int rc = DD_OK;
        if (type && !strcmp(type, "operating-system")) {
            note_os(c, json_string_value(json_object_get(comp, "name")),
                    json_string_value(json_object_get(comp, "version")));
        } else if (purl) {
            rc = add_purl(c, purl, cdx_prop(comp, "aquasecurity:trivy:SrcName"),
                          cdx_prop(comp, "aquasecurity:trivy:SrcVersion"));
        } else {
            c->info->n_skipped++;
        }
        if (rc == DD_OK) rc = cdx_components(c, json_object_get(comp, "components"), depth + 1);
        if (rc) return rc;
    }
    return DD_OK;
}

static int parse_cdx(sbom_ctx_t *c, json_t *doc)
{
    const char *v = json_string_value(json_object_get(doc, "specVersion"));
    if (!v || (strcmp(v, "1.4") && strcmp(v, "1.5") && strcmp(v, "1.6")))
        return dd_err(c->e, DD_EINVAL, "%s: CycloneDX specVersion '%s' is not supported (1.4, 1.5, 1.6)", c->name,
                      v ? v : "");
    snprintf(c->info->format, sizeof c->info->format, "CycloneDX %s", v);
    json_t *meta = json_object_get(doc, "metadata");
    json_t *mc = json_is_object(meta) ? json_object_get(meta, "component") : NULL;
    if (json_is_object(mc)) {
        const char *t = json_string_value(json_object_get(mc, "type"));
        if (t && !strcmp(t, "operating-system"))
            note_os(c, json_string_value(json_object_get(mc, "name")),
                    json_string_value(json_object_get(mc, "version")));
    }
    return cdx_components(c, json_object_get(doc, "components"), 0);
}

/* ---- SPDX ----------------------------------------------------------------- */

static int parse_spdx(sbom_ctx_t *c, json_t *doc)
{
    const char *v = json_string_value(json_object_get(doc, "spdxVersion"));
    if (!v || (strcmp(v, "SPDX-2.2") && strcmp(v, "SPDX-2.3")))
        return dd_err(c->e, DD_EINVAL, "%s: spdxVersion '%s' is not supported (SPDX-2.2, SPDX-2.3)", c->name,
                      v ? v : "");
    snprintf(c->info->format, sizeof c->info->format, "%s", v);
    json_t *pkgs = json_object_get(doc, "packages");
    if (pkgs && !json_is_array(pkgs)) return dd_err(c->e, DD_EINVAL, "%s: 'packages' is not an array", c->name);
    size_t i;
    json_t *p;
    json_array_foreach(pkgs, i, p) {
        if (!json_is_object(p)) return dd_err(c->e, DD_EINVAL, "%s: a package is not an object", c->name);
        c->info->n_components++;
        const char *purpose = json_string_value(json_object_get(p, "primaryPackagePurpose"));
        if (purpose && !strcmp(purpose, "OPERATING-SYSTEM")) {
            note_os(c, json_string_value(json_object_get(p, "name")),
                    json_string_value(json_object_get(p, "versionInfo")));
            continue;
        }
        const char *purl = NULL;
        size_t k;
        json_t *r;
        json_array_foreach(json_object_get(p, "externalRefs"), k, r) {
            const char *t = json_string_value(json_object_get(r, "referenceType"));
            if (t && !strcmp(t, "purl")) {
                purl = json_string_value(json_object_get(r, "referenceLocator"));
                break;
            }
        }
        int rc = purl ? add_purl(c, purl, NULL, NULL) : (c->info->n_skipped++, DD_OK);
        if (rc) return rc;
    }
    return DD_OK;
}

/* ---- entry points --------------------------------------------------------- */

int dd_sbom_parse(const char *data, size_t len, const char *name, dd_inventory_t *inv, dd_sbom_info_t *info,
                  dd_err_t *e)
{
    dd_sbom_info_t local;
    if (!info) info = &local;
    memset(info, 0, sizeof *info);
    json_error_t je;
    json_t *doc = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
    if (!doc) return dd_err(e, DD_EINVAL, "%s: invalid JSON (line %d: %s)", name, je.line, je.text);
    sbom_ctx_t c = {.inv = inv, .a = dd_inventory_arena(inv), .name = name, .info = info, .e = e};
    int rc;
    const char *bf = json_string_value(json_object_get(doc, "bomFormat"));
    if (!json_is_object(doc)) rc = dd_err(e, DD_EINVAL, "%s: not a JSON object", name);
    else if (bf && !strcmp(bf, "CycloneDX")) rc = parse_cdx(&c, doc);
    else if (json_object_get(doc, "spdxVersion")) rc = parse_spdx(&c, doc);
    else rc = dd_err(e, DD_EINVAL, "%s: neither a CycloneDX (bomFormat) nor an SPDX (spdxVersion) JSON document",
                     name);
    json_decref(doc);
    if (rc == DD_OK) {
        const char *id = c.os_id ? c.os_id : c.distro_id;
        const char *ver = c.os_id ? c.os_version : c.distro_ver;
        if (id && !inv->os.id) {
            char *eco = dd_os_ecosystem(id, ver);
            inv->os.id = (char *)id;
            inv->os.version_id = (char *)ver;
            inv->os.ecosystem = dd_arena_strdup(c.a, eco);
            free(eco);
        }
        dd_inventory_sort(inv);
    }
    return rc;
}

int dd_sbom_load(const char *path, dd_inventory_t *inv, dd_sbom_info_t *info, dd_err_t *e)
{
    dd_buf_t b;
    dd_buf_init(&b, DD_SBOM_MAX_BYTES);
    int rc = dd_file_read(path, DD_SBOM_MAX_BYTES, &b, e);
    if (rc == DD_OK) rc = dd_sbom_parse(b.ptr ? b.ptr : "", b.len, path, inv, info, e);
    dd_buf_release(&b);
    return rc;
}
