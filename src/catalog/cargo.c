/*
 * cargo.c: the Rust cataloger: crates from `Cargo.lock` files and from the
 * cargo-auditable data of binaries (the "rust <json>" lines of the "elf"
 * extractor's records, see elf.c).
 *
 * Cargo.lock (format versions 1 to 4) is TOML, but Cargo writes it in one
 * fixed shape: `[[package]]` tables of `key = "string"` lines (name,
 * version, source, checksum) and a `dependencies = [ ... ]` array, then
 * (v1) a `[metadata]` table. Debian 12 has no C TOML library (only C++
 * ones), so this is a minimal reader of exactly that shape, not a TOML
 * parser: line by line, it tracks whether it is inside a `[[package]]`
 * table and reads the `name`, `version` and `source` keys whose value is a
 * basic ("...", with escapes) or literal ('...') string on one line.
 * Everything else (arrays, other tables, comments) is skipped. Lines are
 * bounded by the file (the path rule caps it at 16 MiB) and packages by
 * DD_CATALOG_MAX_PKGS. A package without name or version is a warning.
 *
 * Which packages: like Trivy and Syft, every package of the lock file is
 * listed whatever its source (crates.io's registry+https://github.com/
 * rust-lang/crates.io-index or sparse+https://index.crates.io/, other
 * registries, git, and the workspace's own crates, which have no source);
 * they are matched in the crates.io ecosystem by name and version. From
 * cargo-auditable data, packages of kind "build" (build scripts and proc
 * macros: not in the binary) are left out, as Trivy does; the root package
 * is kept. Duplicates (same name and version) within one file are listed
 * once.
 */
#include "catalog/catalog_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct {
    char *name, *version;
} crate_t;

typedef struct {
    crate_t *v;
    size_t n, cap;
} crates_t;

static void crates_push(crates_t *c, char *name, char *version)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 64;
        c->v = dd_realloc(c->v, c->cap * sizeof *c->v);
    }
    c->v[c->n].name = name;
    c->v[c->n++].version = version;
}

static int cmp_crate(const void *x, const void *y)
{
    const crate_t *a = x, *b = y;
    int c = strcmp(a->name, b->name);
    return c ? c : strcmp(a->version, b->version);
}

/* Sorts, drops duplicates and adds the crates to inv. Frees c's strings. */
static int crates_flush(crates_t *c, const char *db_path, int layer, dd_inventory_t *inv)
{
    int rc = DD_OK;
    if (c->n > 1) qsort(c->v, c->n, sizeof *c->v, cmp_crate);
    dd_arena_t *a = dd_inventory_arena(inv);
    const char *path = NULL;
    for (size_t i = 0; i < c->n; i++) {
        if (rc == DD_OK && (i == 0 || cmp_crate(&c->v[i - 1], &c->v[i]) != 0)) {
            dd_package_t *p = dd_inventory_add(inv);
            if (!p) {
                rc = DD_ELIMIT;
            } else {
                if (!path) path = dd_arena_strdup(a, db_path);
                p->type = DD_PKG_CARGO;
                p->name = dd_arena_strdup(a, c->v[i].name);
                p->version = dd_arena_strdup(a, c->v[i].version);
                p->db_path = (char *)path;
                p->layer = layer;
            }
        }
    }
    for (size_t i = 0; i < c->n; i++) {
        free(c->v[i].name);
        free(c->v[i].version);
    }
    free(c->v);
    memset(c, 0, sizeof *c);
    return rc;
}

static bool valid_field(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > DD_CATALOG_MAX_FIELD) return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) return false;
    return true;
}

/* ---- Cargo.lock ---------------------------------------------------------- */

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Reads one TOML string value at s (basic or literal, on one line) into a
 * new string; NULL if it is not one or has a bad escape. */
static char *toml_string(const char *s, const char *end)
{
    if (s >= end || (*s != '"' && *s != '\'')) return NULL;
    char q = *s++;
    dd_buf_t b;
    dd_buf_init(&b, DD_CATALOG_MAX_FIELD + 8);
    while (s < end && *s != q) {
        char c = *s++;
        if (q == '"' && c == '\\') {
            if (s >= end) break;
            char x = *s++;
            const char *map = "b\bt\tn\nf\fr\r\"\"\\\\";
            const char *m = NULL;
            for (const char *k = map; *k; k += 2)
                if (*k == x) m = k + 1;
            if (m) {
                c = *m;
            } else if (x == 'u' || x == 'U') {
                int nd = x == 'u' ? 4 : 8;
                unsigned long cp = 0;
                for (int i = 0; i < nd; i++) {
                    int h = s < end ? hexval(*s++) : -1;
                    if (h < 0) goto bad;
                    cp = cp << 4 | (unsigned)h;
                }
                if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp == 0) goto bad;
                unsigned char u[4];
                int ul;
                if (cp < 0x80) u[0] = (unsigned char)cp, ul = 1;
                else if (cp < 0x800) u[0] = 0xc0 | (cp >> 6), u[1] = 0x80 | (cp & 0x3f), ul = 2;
                else if (cp < 0x10000)
                    u[0] = 0xe0 | (cp >> 12), u[1] = 0x80 | ((cp >> 6) & 0x3f), u[2] = 0x80 | (cp & 0x3f), ul = 3;
                else
                    u[0] = 0xf0 | (cp >> 18), u[1] = 0x80 | ((cp >> 12) & 0x3f), u[2] = 0x80 | ((cp >> 6) & 0x3f),
                    u[3] = 0x80 | (cp & 0x3f), ul = 4;
                if (dd_buf_append(&b, u, (size_t)ul) != DD_OK) goto bad;
                continue;
            } else {
                goto bad;
            }
        }
        if (dd_buf_putc(&b, c) != DD_OK) goto bad;
    }
    if (s >= end) goto bad; /* unterminated */
    if (dd_buf_putc(&b, '\0') != DD_OK) goto bad;
    return dd_buf_detach(&b, NULL);
bad:
    dd_buf_release(&b);
    return NULL;
}

static const char *skip_ws(const char *s, const char *end)
{
    while (s < end && (*s == ' ' || *s == '\t')) s++;
    return s;
}

int dd_cargo_lock_parse(const char *data, size_t len, const char *db_path, int layer, dd_inventory_t *inv,
                        dd_err_t *e)
{
    crates_t cs = {0};
    const char *p = data, *end = data + len;
    bool in_pkg = false;
    char *name = NULL, *version = NULL;
    size_t line = 0, pkg_line = 0, bad = 0, npkgs = 0;
    int rc = DD_OK;
    for (;;) {
        bool eof = p >= end;
        const char *nl = eof ? NULL : memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const char *s = eof ? end : skip_ws(p, le);
        line++;
        bool header = !eof && s < le && *s == '[' && !(s + 1 < le && s[1] == '"');
        if (eof || header) {
            if (in_pkg) {
                if (name && version && valid_field(name) && valid_field(version)) {
                    if (++npkgs > DD_CATALOG_MAX_PKGS) {
                        rc = dd_err(e, DD_ELIMIT, "more than %d packages", DD_CATALOG_MAX_PKGS);
                        free(name), free(version);
                        break;
                    }
                    crates_push(&cs, name, version);
                } else {
                    if (bad++ < 5)
                        dd_inventory_warn(inv, "%s: package at line %zu has no valid name or version", db_path,
                                          pkg_line);
                    free(name), free(version);
                }
                name = version = NULL;
            }
            if (eof) break;
            const char *q = le;
            while (q > s && (q[-1] == ' ' || q[-1] == '\t' || q[-1] == '\r')) q--;
            in_pkg = (size_t)(q - s) == 11 && memcmp(s, "[[package]]", 11) == 0;
            pkg_line = line;
        } else if (in_pkg && s < le) {
            const char *k = s;
            while (s < le && ((*s >= 'a' && *s <= 'z') || *s == '_' || *s == '-')) s++;
            size_t kl = (size_t)(s - k);
            s = skip_ws(s, le);
            if (kl && s < le && *s == '=') {
                s = skip_ws(s + 1, le);
                char **slot = NULL;
                if (kl == 4 && memcmp(k, "name", 4) == 0) slot = &name;
                else if (kl == 7 && memcmp(k, "version", 7) == 0) slot = &version;
                if (slot) {
                    free(*slot);
                    *slot = toml_string(s, le);
                }
            }
        }
        p = nl ? nl + 1 : end;
    }
    if (bad > 5) dd_inventory_warn(inv, "%s: %zu packages without a valid name or version", db_path, bad);
    int frc = crates_flush(&cs, db_path, layer, inv);
    if (rc == DD_OK && frc != DD_OK) rc = dd_err(e, frc, "inventory full");
    if (rc == DD_OK && npkgs == 0 && bad == 0) return dd_err(e, DD_ECORRUPT, "no [[package]] in the lock file");
    return rc;
}

/* ---- cargo-auditable JSON -------------------------------------------------- */

int dd_cargo_audit_parse(const char *json, size_t len, const char *db_path, int layer, dd_inventory_t *inv,
                         dd_err_t *e)
{
    json_error_t je;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) return dd_err(e, DD_ECORRUPT, "cargo-auditable data is not json: %s", je.text);
    json_t *pk = json_object_get(root, "packages");
    if (!json_is_array(pk)) {
        json_decref(root);
        return dd_err(e, DD_ECORRUPT, "cargo-auditable data has no 'packages' array");
    }
    crates_t cs = {0};
    size_t bad = 0;
    int rc = DD_OK;
    size_t i;
    json_t *o;
    json_array_foreach(pk, i, o) {
        if (i >= DD_CATALOG_MAX_PKGS) {
            rc = dd_err(e, DD_ELIMIT, "more than %d packages", DD_CATALOG_MAX_PKGS);
            break;
        }
        const char *name = json_string_value(json_object_get(o, "name"));
        const char *ver = json_string_value(json_object_get(o, "version"));
        const char *kind = json_string_value(json_object_get(o, "kind"));
        if (kind && strcmp(kind, "build") == 0) continue;
        if (!name || !ver || !valid_field(name) || !valid_field(ver)) {
            bad++;
            continue;
        }
        crates_push(&cs, dd_strdup(name), dd_strdup(ver));
    }
    json_decref(root);
    if (bad) dd_inventory_warn(inv, "%s: %zu cargo-auditable packages without a valid name or version", db_path, bad);
    int frc = crates_flush(&cs, db_path, layer, inv);
    if (rc == DD_OK && frc != DD_OK) rc = dd_err(e, frc, "inventory full");
    return rc;
}

/* ---- the cataloger -------------------------------------------------------- */

struct walk {
    dd_inventory_t *inv;
    int ok, failed, first_rc;
    dd_err_t first;
};

static void result(struct walk *w, int rc, const char *path, const dd_err_t *e)
{
    if (rc == DD_OK) {
        w->ok++;
        return;
    }
    dd_catalog_warn_err(w->inv, path, e);
    if (w->failed++ == 0) {
        w->first_rc = rc;
        w->first = *e;
    }
}

static int each(const dd_file_t *f, void *arg)
{
    struct walk *w = arg;
    const char *p;
    size_t n;
    dd_err_t e = {0};
    const char *name;
    size_t nl;
    const unsigned char *up;
    if (dd_catalog_elf_record(f, &p, &n)) {
        const char *end = p + n;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p);
            if (ll > 5 && memcmp(p, "rust ", 5) == 0) {
                dd_err_clear(&e);
                result(w, dd_cargo_audit_parse(p + 5, ll - 5, f->path, f->layer, w->inv, &e), f->path, &e);
            }
            p += ll + 1;
        }
    } else if (dd_catalog_record(f->data, f->len, &name, &nl, &up, &n)) {
        /* a Cargo.lock the analyzer could not keep (over its size cap) */
        if (nl == 5 && memcmp(name, "cargo", 5) == 0 && n && up[0] == '!')
            dd_inventory_warn(w->inv, "%s: %.*s", f->path, (int)(n - 1 > 400 ? 400 : n - 1), (const char *)up + 1);
    } else if (dd_catalog_wants_owner(f->path, "cargo") && !S_ISLNK(f->mode)) {
        result(w, dd_cargo_lock_parse((const char *)f->data, f->len, f->path, f->layer, w->inv, &e), f->path, &e);
    }
    return 0;
}

static bool wants(const char *path) { return dd_catalog_wants_owner(path, "cargo"); }

static int run(dd_fileset_t *fs, dd_inventory_t *inv, dd_err_t *e)
{
    struct walk w = {.inv = inv};
    dd_fileset_each_prefix(fs, "", each, &w);
    if (w.ok) return DD_OK;
    if (w.failed) {
        if (e) *e = w.first;
        return w.first_rc;
    }
    return DD_DECLINED;
}

const dd_cataloger_t dd_cataloger_cargo = {
    .version = DD_CATALOGER_V1,
    .name = "cargo",
    .wants = wants,
    .run = run,
};
