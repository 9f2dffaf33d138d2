/*
 * node.c: the Node.js cataloger ("npm"). Packages come from installed
 * package.json files (node_modules/ ** /package.json), and, for a project
 * directory with no node_modules next to its lock file, from the lock file:
 * package-lock.json (v1-v3), yarn.lock (v1 text and berry YAML) or
 * pnpm-lock.yaml (v5, v6, v9).
 *
 * Design notes
 *   - Names are kept as published ("@babel/core"), versions as written.
 *   - package.json: a file without a name or a version is not a package
 *     (packages ship nested package.json files such as {"type": "module"}):
 *     skipped silently. A name or version of the wrong JSON type is skipped
 *     with a warning. A "private" package that declares "workspaces" is a
 *     workspace root (the project itself, linked into node_modules), not a
 *     dependency: skipped.
 *   - Lock files: read only when no file under "<dir>/node_modules/" was
 *     kept (installed packages win; the lock file then adds nothing).
 *     Development dependencies ARE reported: a lock file in an image is all
 *     we know of what the project pulls in, and a vulnerable build tool in
 *     it is worth seeing (Trivy leaves them out unless --include-dev-deps).
 *     Only registry packages are reported: workspace,
 *     link, file, git and tarball entries (their versions are not registry
 *     versions) are skipped; npm aliases ("npm:real@1.0.0") report the real
 *     package.
 *   - package-lock v1: the "dependencies" tree, nested to LOCK_MAX_DEPTH.
 *     v2/v3: the "packages" map keyed by "node_modules/..." paths (the ""
 *     root entry is the project; keys outside node_modules are workspace
 *     sources; "link": true entries point to them): v2 files also carry the
 *     v1 tree, which is then ignored.
 *   - yarn.lock v1 is yarn's own text format (not YAML), read line by line:
 *     an unindented "spec[, spec]:" header, then an indented `version "x"`.
 *     Berry (yarn 2+, a "__metadata:" entry) and pnpm-lock.yaml are YAML,
 *     loaded with libyaml's document loader (aliases are node references,
 *     never expanded).
 */
#include "catalog/lang_int.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define LOCK_MAX_DEPTH 64

/* True if v looks like a registry version (starts with a digit). */
static bool registry_version(const char *v, size_t n)
{
    return n > 0 && isdigit((unsigned char)v[0]);
}

/* Adds name@version unless version is not a registry one (then silently
 * skipped); "npm:real@1.2.3" aliases become real@1.2.3. */
static int add_locked(dd_inventory_t *inv, const char *name, size_t nn, const char *ver, size_t vn,
                      char *dbp, int layer, dd_err_t *e)
{
    if (vn > 4 && memcmp(ver, "npm:", 4) == 0) {
        const char *s = ver + 4;
        size_t sn = vn - 4;
        const char *at = NULL;
        for (size_t i = 1; i < sn; i++)
            if (s[i] == '@') at = s + i;
        if (!at) return 0;
        name = s;
        nn = (size_t)(at - s);
        ver = at + 1;
        vn = sn - nn - 1;
    }
    if (!registry_version(ver, vn)) return 0;
    int rc = dd_lang_add(inv, DD_PKG_NPM, name, nn, ver, vn, dbp, layer, e);
    return rc < 0 ? rc : DD_OK;
}

/* ---- package.json --------------------------------------------------------- */

int dd_npm_parse_package_json(const char *data, size_t len, const char *path, int layer,
                              dd_inventory_t *inv, dd_err_t *e)
{
    json_error_t je;
    json_t *doc = json_loadb(data, len, 0, &je);
    if (!doc) return dd_err(e, DD_ECORRUPT, "not valid JSON: %s (line %d)", je.text, je.line);
    int rc = DD_DECLINED;
    if (!json_is_object(doc)) {
        rc = dd_err(e, DD_ECORRUPT, "package.json is not a JSON object");
        goto out;
    }
    json_t *name = json_object_get(doc, "name"), *ver = json_object_get(doc, "version");
    if (!name || !ver) goto out; /* not a package (nested config package.json) */
    if (!json_is_string(name) || !json_is_string(ver)) {
        dd_inventory_warn(inv, "%s: package.json with a non-string %s skipped", path,
                          !json_is_string(name) ? "name" : "version");
        goto out;
    }
    if (json_is_true(json_object_get(doc, "private")) && json_object_get(doc, "workspaces"))
        goto out; /* a workspace root: the project itself */
    char *dbp = dd_arena_strdup(dd_inventory_arena(inv), path);
    int r = dd_lang_add(inv, DD_PKG_NPM, json_string_value(name), json_string_length(name),
                        json_string_value(ver), json_string_length(ver), dbp, layer, e);
    rc = r < 0 ? r : DD_OK;
out:
    json_decref(doc);
    return rc;
}

/* ---- package-lock.json ------------------------------------------------------ */

struct lock_ctx {
    dd_inventory_t *inv;
    char *dbp;
    int layer;
    dd_err_t *e;
    size_t count;
};

static int lock_add(struct lock_ctx *c, const char *name, size_t nn, json_t *ver)
{
    if (!json_is_string(ver)) {
        dd_inventory_warn(c->inv, "%s: entry '%.*s' without a string version skipped", c->dbp,
                          (int)(nn > 200 ? 200 : nn), name);
        return DD_OK;
    }
    if (++c->count > DD_CATALOG_MAX_PKGS)
        return dd_err(c->e, DD_ELIMIT, "more than %d packages", DD_CATALOG_MAX_PKGS);
    return add_locked(c->inv, name, nn, json_string_value(ver), json_string_length(ver), c->dbp,
                      c->layer, c->e);
}

/* v1: {"name": {"version": .., "dependencies": {...}}, ...} */
static int lock_v1(struct lock_ctx *c, json_t *deps, int depth)
{
    if (!json_is_object(deps)) return DD_OK;
    if (depth > LOCK_MAX_DEPTH) return dd_err(c->e, DD_ELIMIT, "dependencies nested deeper than %d", LOCK_MAX_DEPTH);
    const char *k;
    json_t *v;
    json_object_foreach(deps, k, v) {
        if (!json_is_object(v)) continue;
        int rc = lock_add(c, k, strlen(k), json_object_get(v, "version"));
        if (rc == DD_OK) rc = lock_v1(c, json_object_get(v, "dependencies"), depth + 1);
        if (rc != DD_OK) return rc;
    }
    return DD_OK;
}

/* v2/v3: {"": root, "node_modules/a": {...}, "node_modules/a/node_modules/@s/b": {...}} */
static int lock_v2(struct lock_ctx *c, json_t *pkgs)
{
    const char *k;
    json_t *v;
    json_object_foreach(pkgs, k, v) {
        if (!json_is_object(v)) continue;
        const char *nm = NULL;
        for (const char *p = k; (p = strstr(p, "node_modules/")) != NULL; p += 13)
            if (p == k || p[-1] == '/') nm = p + 13;
        if (!nm || !*nm) continue; /* the root project or a workspace source */
        if (json_is_true(json_object_get(v, "link"))) continue;
        json_t *name = json_object_get(v, "name"); /* an alias's real name */
        const char *n = json_is_string(name) ? json_string_value(name) : nm;
        int rc = lock_add(c, n, strlen(n), json_object_get(v, "version"));
        if (rc != DD_OK) return rc;
    }
    return DD_OK;
}

int dd_npm_parse_package_lock(const char *data, size_t len, const char *path, int layer,
                              dd_inventory_t *inv, dd_err_t *e)
{
    json_error_t je;
    json_t *doc = json_loadb(data, len, 0, &je);
    if (!doc) return dd_err(e, DD_ECORRUPT, "not valid JSON: %s (line %d)", je.text, je.line);
    int rc;
    if (!json_is_object(doc)) {
        rc = dd_err(e, DD_ECORRUPT, "package-lock.json is not a JSON object");
    } else {
        struct lock_ctx c = {inv, dd_arena_strdup(dd_inventory_arena(inv), path), layer, e, 0};
        json_t *pkgs = json_object_get(doc, "packages");
        if (json_is_object(pkgs)) rc = lock_v2(&c, pkgs);
        else rc = lock_v1(&c, json_object_get(doc, "dependencies"), 0);
    }
    json_decref(doc);
    return rc;
}

/* ---- YAML documents (berry, pnpm) ---------------------------------------- */

static bool yscalar(yaml_node_t *n, const char **s, size_t *len)
{
    if (!n || n->type != YAML_SCALAR_NODE) return false;
    *s = (const char *)n->data.scalar.value;
    *len = n->data.scalar.length;
    return true;
}

static yaml_node_t *yget(yaml_document_t *d, yaml_node_t *map, const char *key)
{
    if (!map || map->type != YAML_MAPPING_NODE) return NULL;
    size_t kl = strlen(key);
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        const char *s;
        size_t n;
        if (yscalar(yaml_document_get_node(d, p->key), &s, &n) && n == kl && memcmp(s, key, n) == 0)
            return yaml_document_get_node(d, p->value);
    }
    return NULL;
}

static int yload(const char *data, size_t len, yaml_document_t *d, dd_err_t *e)
{
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) return dd_err(e, DD_ENOMEM, "cannot start the YAML parser");
    yaml_parser_set_input_string(&p, (const unsigned char *)data, len);
    int rc = DD_OK;
    if (!yaml_parser_load(&p, d)) {
        rc = dd_err(e, DD_ECORRUPT, "not valid YAML: %s (line %zu)", p.problem ? p.problem : "error",
                    p.problem_mark.line + 1);
    } else if (!yaml_document_get_root_node(d)) {
        yaml_document_delete(d);
        rc = dd_err(e, DD_ECORRUPT, "empty YAML document");
    }
    yaml_parser_delete(&p);
    return rc;
}

/* Index of the '@' that ends the name in "name@rest" / "@scope/name@rest", or
 * n when there is none. */
static size_t name_end(const char *s, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (s[i] == '@') return i;
    return n;
}

/* ---- yarn.lock ------------------------------------------------------------- */

/* Berry: {"__metadata": {...}, "spec, spec": {version, resolution, linkType}} */
static int yarn_berry(yaml_document_t *d, char *dbp, int layer, dd_inventory_t *inv, dd_err_t *e)
{
    yaml_node_t *root = yaml_document_get_root_node(d);
    if (root->type != YAML_MAPPING_NODE) return dd_err(e, DD_ECORRUPT, "yarn.lock is not a YAML mapping");
    size_t count = 0;
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
        yaml_node_t *v = yaml_document_get_node(d, p->value);
        const char *res, *ver, *lt;
        size_t rn, vn, ln;
        if (!yscalar(yget(d, v, "resolution"), &res, &rn)) continue; /* __metadata */
        if (yscalar(yget(d, v, "linkType"), &lt, &ln) && ln == 4 && memcmp(lt, "soft", 4) == 0)
            continue; /* workspace, link, portal */
        size_t ne = name_end(res, rn);
        if (ne + 5 > rn || memcmp(res + ne, "@npm:", 5) != 0) continue; /* patch:, git, file... */
        if (!yscalar(yget(d, v, "version"), &ver, &vn)) {
            dd_inventory_warn(inv, "%s: entry '%.*s' without a version skipped", dbp,
                              (int)(rn > 200 ? 200 : rn), res);
            continue;
        }
        if (++count > DD_CATALOG_MAX_PKGS) return dd_err(e, DD_ELIMIT, "more than %d packages", DD_CATALOG_MAX_PKGS);
        int rc = add_locked(inv, res, ne, ver, vn, dbp, layer, e);
        if (rc != DD_OK) return rc;
    }
    return DD_OK;
}

/* The package of one v1 header spec ("name@range", quotes removed). */
static int yarn_v1_entry(const char *spec, size_t sn, const char *ver, size_t vn, char *dbp,
                         int layer, dd_inventory_t *inv, dd_err_t *e)
{
    size_t ne = name_end(spec, sn);
    if (ne >= sn) {
        dd_inventory_warn(inv, "%s: entry '%.*s' without a range skipped", dbp, (int)(sn > 200 ? 200 : sn), spec);
        return DD_OK;
    }
    const char *range = spec + ne + 1;
    size_t rl = sn - ne - 1;
    static const char *const local[] = {"file:", "link:", "portal:", "workspace:"};
    for (size_t i = 0; i < sizeof local / sizeof local[0]; i++)
        if (rl >= strlen(local[i]) && memcmp(range, local[i], strlen(local[i])) == 0) return DD_OK;
    if (rl > 4 && memcmp(range, "npm:", 4) == 0) { /* alias: name@npm:real@range */
        const char *r = range + 4;
        size_t rn = rl - 4, re = name_end(r, rn);
        return add_locked(inv, r, re, ver, vn, dbp, layer, e);
    }
    return add_locked(inv, spec, ne, ver, vn, dbp, layer, e);
}

/* Strips surrounding blanks and one pair of double quotes. */
static void unquote(const char **s, size_t *n)
{
    while (*n && (**s == ' ' || **s == '\t')) (*s)++, (*n)--;
    while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t' || (*s)[*n - 1] == '\r')) (*n)--;
    if (*n >= 2 && (*s)[0] == '"' && (*s)[*n - 1] == '"') (*s)++, *n -= 2;
}

static int yarn_v1(const char *data, size_t len, char *dbp, int layer, dd_inventory_t *inv, dd_err_t *e)
{
    const char *spec = NULL; /* the current entry's header line (first spec) */
    size_t spec_n = 0, count = 0;
    bool have_ver = false;
    size_t i = 0;
    while (i < len) {
        const char *ln = data + i;
        const char *nl = memchr(ln, '\n', len - i);
        size_t n = nl ? (size_t)(nl - ln) : len - i;
        i += n + 1;
        if (n && ln[n - 1] == '\r') n--;
        if (n == 0 || ln[0] == '#') continue;
        if (ln[0] != ' ' && ln[0] != '\t') {
            if (spec && !have_ver)
                dd_inventory_warn(inv, "%s: entry '%.*s' without a version skipped", dbp,
                                  (int)(spec_n > 200 ? 200 : spec_n), spec);
            spec = NULL;
            have_ver = false;
            if (ln[n - 1] != ':') continue;
            const char *comma = memchr(ln, ',', n - 1);
            spec = ln;
            spec_n = comma ? (size_t)(comma - ln) : n - 1;
            unquote(&spec, &spec_n);
            continue;
        }
        if (!spec || have_ver) continue;
        const char *s = ln;
        size_t sn = n;
        while (sn && (*s == ' ' || *s == '\t')) s++, sn--;
        if (sn < 8 || memcmp(s, "version", 7) != 0 || (s[7] != ' ' && s[7] != '\t')) continue;
        const char *v = s + 7;
        size_t vn = sn - 7;
        unquote(&v, &vn);
        have_ver = true;
        if (++count > DD_CATALOG_MAX_PKGS) return dd_err(e, DD_ELIMIT, "more than %d packages", DD_CATALOG_MAX_PKGS);
        int rc = yarn_v1_entry(spec, spec_n, v, vn, dbp, layer, inv, e);
        if (rc != DD_OK) return rc;
    }
    if (spec && !have_ver)
        dd_inventory_warn(inv, "%s: entry '%.*s' without a version skipped", dbp,
                          (int)(spec_n > 200 ? 200 : spec_n), spec);
    return DD_OK;
}

int dd_npm_parse_yarn_lock(const char *data, size_t len, const char *path, int layer,
                           dd_inventory_t *inv, dd_err_t *e)
{
    char *dbp = dd_arena_strdup(dd_inventory_arena(inv), path);
    /* berry has a "__metadata:" entry at the top level */
    bool berry = false;
    for (size_t i = 0; i + 11 <= len; i++) {
        if ((i == 0 || data[i - 1] == '\n') && memcmp(data + i, "__metadata:", 11) == 0) {
            berry = true;
            break;
        }
        const char *nl = memchr(data + i, '\n', len - i);
        if (!nl) break;
        i = (size_t)(nl - data);
    }
    if (!berry) return yarn_v1(data, len, dbp, layer, inv, e);
    yaml_document_t d;
    int rc = yload(data, len, &d, e);
    if (rc != DD_OK) return rc;
    rc = yarn_berry(&d, dbp, layer, inv, e);
    yaml_document_delete(&d);
    return rc;
}

/* ---- pnpm-lock.yaml -------------------------------------------------------- */

/* One "packages" key: v5 "/name/1.2.3[_peers]" or "/@s/name/1.2.3"; v6
 * "/name@1.2.3[(peers)]"; v9 "name@1.2.3". Entries with name/version fields
 * (tarballs, git) use those. */
static int pnpm_entry(yaml_document_t *d, const char *k, size_t kn, yaml_node_t *v, int major,
                      char *dbp, int layer, dd_inventory_t *inv, dd_err_t *e)
{
    const char *n, *ver;
    size_t nn, vn;
    if (yscalar(yget(d, v, "name"), &n, &nn) && yscalar(yget(d, v, "version"), &ver, &vn))
        return add_locked(inv, n, nn, ver, vn, dbp, layer, e);
    if (kn && k[0] == '/') k++, kn--;
    const char *paren = memchr(k, '(', kn);
    if (paren) kn = (size_t)(paren - k);
    if (major >= 6) {
        size_t ne = name_end(k, kn);
        if (ne >= kn) return DD_OK;
        return add_locked(inv, k, ne, k + ne + 1, kn - ne - 1, dbp, layer, e);
    }
    /* v5: the version is the last path segment, peers after '_' */
    const char *slash = NULL;
    for (size_t i = 0; i < kn; i++)
        if (k[i] == '/') slash = k + i;
    if (!slash) return DD_OK;
    ver = slash + 1;
    vn = kn - (size_t)(ver - k);
    const char *us = memchr(ver, '_', vn);
    if (us) vn = (size_t)(us - ver);
    return add_locked(inv, k, (size_t)(slash - k), ver, vn, dbp, layer, e);
}

int dd_npm_parse_pnpm_lock(const char *data, size_t len, const char *path, int layer,
                           dd_inventory_t *inv, dd_err_t *e)
{
    yaml_document_t d;
    int rc = yload(data, len, &d, e);
    if (rc != DD_OK) return rc;
    yaml_node_t *root = yaml_document_get_root_node(&d);
    const char *lv;
    size_t lvn;
    if (!yscalar(yget(&d, root, "lockfileVersion"), &lv, &lvn) || lvn == 0 || !isdigit((unsigned char)lv[0])) {
        rc = dd_err(e, DD_ECORRUPT, "pnpm-lock.yaml without a lockfileVersion");
        goto out;
    }
    int major = atoi(lv);
    char *dbp = dd_arena_strdup(dd_inventory_arena(inv), path);
    yaml_node_t *pkgs = yget(&d, root, "packages");
    if (!pkgs || pkgs->type != YAML_MAPPING_NODE) goto out; /* no dependencies */
    size_t count = 0;
    for (yaml_node_pair_t *p = pkgs->data.mapping.pairs.start; p < pkgs->data.mapping.pairs.top; p++) {
        const char *k;
        size_t kn;
        if (!yscalar(yaml_document_get_node(&d, p->key), &k, &kn)) continue;
        if (++count > DD_CATALOG_MAX_PKGS) {
            rc = dd_err(e, DD_ELIMIT, "more than %d packages", DD_CATALOG_MAX_PKGS);
            break;
        }
        rc = pnpm_entry(&d, k, kn, yaml_document_get_node(&d, p->value), major, dbp, layer, inv, e);
        if (rc != DD_OK) break;
    }
out:
    yaml_document_delete(&d);
    return rc;
}

/* ---- the cataloger ------------------------------------------------------- */

static bool npm_wants(const char *path)
{
    return dd_catalog_wants_owner(path, "npm");
}

static int has_file(const dd_file_t *f, void *arg)
{
    (void)f;
    (void)arg;
    return 1;
}

/* True if something under the lock file's "<dir>/node_modules/" was kept. */
static bool node_modules_next_to(dd_fileset_t *fs, const char *lock_path)
{
    const char *slash = strrchr(lock_path, '/');
    size_t dl = slash ? (size_t)(slash - lock_path) + 1 : 0;
    char prefix[4096];
    if (dl + sizeof "node_modules/" > sizeof prefix) return false;
    memcpy(prefix, lock_path, dl);
    memcpy(prefix + dl, "node_modules/", sizeof "node_modules/");
    return dd_fileset_each_prefix(fs, prefix, has_file, NULL) != 0;
}

static int npm_file(dd_fileset_t *fs, const dd_file_t *f, dd_inventory_t *inv, dd_err_t *e)
{
    const char *data = (const char *)f->data, *path = f->path;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (strcmp(base, "package.json") == 0)
        return dd_npm_parse_package_json(data, f->len, path, f->layer, inv, e);
    /* a lock file a package shipped (node_modules/x/yarn.lock) is not the
     * image's; nor is one whose packages are installed next to it */
    if (strncmp(path, "node_modules/", 13) == 0 || strstr(path, "/node_modules/")) return DD_DECLINED;
    if (node_modules_next_to(fs, path)) return DD_DECLINED;
    if (strcmp(base, "package-lock.json") == 0)
        return dd_npm_parse_package_lock(data, f->len, path, f->layer, inv, e);
    if (strcmp(base, "yarn.lock") == 0) return dd_npm_parse_yarn_lock(data, f->len, path, f->layer, inv, e);
    if (strcmp(base, "pnpm-lock.yaml") == 0)
        return dd_npm_parse_pnpm_lock(data, f->len, path, f->layer, inv, e);
    return DD_DECLINED;
}

static int npm_run(dd_fileset_t *fs, dd_inventory_t *inv, dd_err_t *e)
{
    return dd_lang_run(fs, "npm", npm_file, inv, e);
}

const dd_cataloger_t dd_cataloger_npm = {
    .version = DD_CATALOGER_V1,
    .name = "npm",
    .wants = npm_wants,
    .run = npm_run,
};
