/*
 * ruby.c: the Ruby cataloger ("gem"). Reads the gemspecs of installed gems,
 * specifications/<name>-<version>.gemspec, which RubyGems (and Debian's
 * gem2deb, under usr/share/rubygems-integration/.../specifications) write
 * as Ruby source:
 *
 *     # stub: rack 2.2.3 ruby lib
 *     Gem::Specification.new do |s|
 *       s.name = "rack".freeze
 *       s.version = "2.2.3"
 *
 * Design notes
 *   - Ruby is never evaluated. The name and version are the first
 *     assignments `<var>.name = <literal>` and `<var>.version = <literal>`
 *     (the variable is whatever the block names it: s, spec, gem), where
 *     the literal is a "..." or '...' string, %q{...}/%q<...>/%q(...)/%q[...],
 *     optionally followed by .freeze, or Gem::Version.new("...").
 *   - When an assignment is missing (or not a literal) the "# stub: name
 *     version platform paths" comment RubyGems writes first is used.
 *   - A file with neither gives a warning.
 */
#include "catalog/lang_int.h"

#include <ctype.h>
#include <string.h>

/* Reads a literal at s (n bytes left): sets *v, *vn. */
static bool ruby_literal(const char *s, size_t n, const char **v, size_t *vn)
{
    while (n && (*s == ' ' || *s == '\t')) s++, n--;
    static const char gv[] = "Gem::Version.new(";
    if (n > sizeof gv - 1 && memcmp(s, gv, sizeof gv - 1) == 0) {
        s += sizeof gv - 1;
        n -= sizeof gv - 1;
        while (n && *s == ' ') s++, n--;
    }
    char close;
    if (n >= 1 && (*s == '"' || *s == '\'')) {
        close = *s;
        s++, n--;
    } else if (n >= 3 && s[0] == '%' && (s[1] == 'q' || s[1] == 'Q')) {
        switch (s[2]) {
        case '{': close = '}'; break;
        case '<': close = '>'; break;
        case '(': close = ')'; break;
        case '[': close = ']'; break;
        default: return false;
        }
        s += 3, n -= 3;
    } else {
        return false;
    }
    const char *end = memchr(s, close, n);
    if (!end || memchr(s, '\\', (size_t)(end - s)) || memchr(s, '#', (size_t)(end - s))) return false;
    *v = s;
    *vn = (size_t)(end - s);
    return true;
}

/* If the line is `<ident>.<field> = <literal>`, the literal. */
static bool ruby_assign(const char *ln, size_t n, const char *field, const char **v, size_t *vn)
{
    size_t i = 0;
    while (i < n && (ln[i] == ' ' || ln[i] == '\t')) i++;
    size_t id = i;
    while (i < n && (isalnum((unsigned char)ln[i]) || ln[i] == '_')) i++;
    if (i == id || i >= n || ln[i] != '.') return false;
    i++;
    size_t fl = strlen(field);
    if (n - i < fl || memcmp(ln + i, field, fl) != 0) return false;
    i += fl;
    while (i < n && (ln[i] == ' ' || ln[i] == '\t')) i++;
    if (i >= n || ln[i] != '=' || (i + 1 < n && ln[i + 1] == '=')) return false;
    return ruby_literal(ln + i + 1, n - i - 1, v, vn);
}

int dd_gem_parse_gemspec(const char *data, size_t len, const char *path, int layer,
                         dd_inventory_t *inv, dd_err_t *e)
{
    const char *name = NULL, *ver = NULL, *sname = NULL, *sver = NULL;
    size_t nn = 0, vn = 0, snn = 0, svn = 0;
    size_t i = 0;
    while (i < len && !(name && ver)) {
        const char *ln = data + i;
        const char *nl = memchr(ln, '\n', len - i);
        size_t n = nl ? (size_t)(nl - ln) : len - i;
        i += n + 1;
        if (n && ln[n - 1] == '\r') n--;
        static const char stub[] = "# stub: ";
        if (!sname && n > sizeof stub - 1 && memcmp(ln, stub, sizeof stub - 1) == 0) {
            const char *s = ln + sizeof stub - 1, *end = ln + n;
            const char *sp = memchr(s, ' ', (size_t)(end - s));
            if (sp && sp > s) {
                const char *v = sp + 1;
                const char *sp2 = memchr(v, ' ', (size_t)(end - v));
                sname = s, snn = (size_t)(sp - s);
                sver = v, svn = (size_t)((sp2 ? sp2 : end) - v);
            }
            continue;
        }
        if (!name) (void)ruby_assign(ln, n, "name", &name, &nn);
        if (!ver) (void)ruby_assign(ln, n, "version", &ver, &vn);
    }
    if (!name) name = sname, nn = snn;
    if (!ver) ver = sver, vn = svn;
    if (!name && !ver) return dd_err(e, DD_ECORRUPT, "gemspec without a name or version");
    char *dbp = dd_arena_strdup(dd_inventory_arena(inv), path);
    int rc = dd_lang_add(inv, DD_PKG_GEM, name, nn, ver, vn, dbp, layer, e);
    return rc < 0 ? rc : DD_OK;
}

static bool gem_wants(const char *path)
{
    return dd_catalog_wants_owner(path, "gem");
}

static int gem_file(dd_fileset_t *fs, const dd_file_t *f, dd_inventory_t *inv, dd_err_t *e)
{
    (void)fs;
    return dd_gem_parse_gemspec((const char *)f->data, f->len, f->path, f->layer, inv, e);
}

static int gem_run(dd_fileset_t *fs, dd_inventory_t *inv, dd_err_t *e)
{
    return dd_lang_run(fs, "gem", gem_file, inv, e);
}

const dd_cataloger_t dd_cataloger_gem = {
    .version = DD_CATALOGER_V1,
    .name = "gem",
    .wants = gem_wants,
    .run = gem_run,
};
