/*
 * test_catalog_lang.c: the Node.js, Ruby, PHP, .NET and Java catalogers
 * (src/catalog/node.c, ruby.c, php.c, dotnet.c, java.c): real files from
 * Debian packages and lock files following real projects' in
 * tests/fixtures/lang, zips built here with libarchive (nested wars, zip
 * bombs), malformed input.
 */
#include "catalog/lang_int.h"
#include "test.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ------------------------------------------------------------ */

static void put_fixture(dd_fileset_t *fs, const char *fixture_rel, const char *as, int layer)
{
    dd_buf_t b;
    dd_buf_init(&b, 0);
    dd_err_t e = {0};
    CHECK_INT(dd_file_read(fixture(fixture_rel), 64u << 20, &b, &e), DD_OK);
    dd_fileset_put(fs, as, b.ptr, b.len, layer, 0100644);
    dd_buf_release(&b);
}

static void put_str(dd_fileset_t *fs, const char *path, const char *s, int layer)
{
    dd_fileset_put(fs, path, s, strlen(s), layer, 0100644);
}

/* The package (type, name, version) in inv, or NULL. */
static const dd_package_t *find(const dd_inventory_t *inv, dd_pkg_type_t t, const char *name,
                                const char *version)
{
    for (size_t i = 0; i < inv->n; i++) {
        const dd_package_t *p = &inv->pkgs[i];
        if (p->type == t && strcmp(p->name, name) == 0 && (!version || strcmp(p->version, version) == 0))
            return p;
    }
    return NULL;
}

static bool has_warning(const dd_inventory_t *inv, const char *needle)
{
    for (size_t i = 0; i < inv->nwarnings; i++)
        if (strstr(inv->warnings[i], needle)) return true;
    return false;
}

static void dump(const dd_inventory_t *inv)
{
    for (size_t i = 0; i < inv->n; i++)
        fprintf(stderr, "    %d %s %s %s L%d\n", inv->pkgs[i].type, inv->pkgs[i].name, inv->pkgs[i].version,
                inv->pkgs[i].db_path, inv->pkgs[i].layer);
    for (size_t i = 0; i < inv->nwarnings; i++) fprintf(stderr, "    warn: %s\n", inv->warnings[i]);
}

static int run_cataloger(const char *name, dd_fileset_t *fs, dd_inventory_t *inv)
{
    const dd_cataloger_t *c = dd_catalog_find(name);
    CHECK(c != NULL);
    if (!c) return DD_EINVAL;
    dd_err_t e = {0};
    return c->run(fs, inv, &e);
}

/* ---- zips --------------------------------------------------------------- */

static la_ssize_t zw_write(struct archive *a, void *client, const void *buf, size_t n)
{
    (void)a;
    dd_buf_append(client, buf, n);
    return (la_ssize_t)n;
}

struct zent {
    const char *name;
    const void *data;
    size_t len;      /* data == NULL: len zero bytes */
    bool no_size;    /* leave the size unset (data descriptor) */
};

static void make_zip(const struct zent *ents, size_t n, bool store, dd_buf_t *out)
{
    dd_buf_init(out, 0);
    struct archive *a = archive_write_new();
    archive_write_set_format_zip(a);
    if (store) archive_write_set_format_option(a, "zip", "compression", "store");
    archive_write_set_bytes_in_last_block(a, 1);
    archive_write_open(a, out, NULL, zw_write, NULL);
    static const char zeros[65536];
    for (size_t i = 0; i < n; i++) {
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, ents[i].name);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        if (!ents[i].no_size) archive_entry_set_size(e, (la_int64_t)ents[i].len);
        archive_write_header(a, e);
        if (ents[i].data) {
            archive_write_data(a, ents[i].data, ents[i].len);
        } else {
            for (size_t done = 0; done < ents[i].len;) {
                size_t k = ents[i].len - done < sizeof zeros ? ents[i].len - done : sizeof zeros;
                archive_write_data(a, zeros, k);
                done += k;
            }
        }
        archive_entry_free(e);
    }
    archive_write_close(a);
    archive_write_free(a);
}

struct mem {
    const unsigned char *p;
    size_t len, off;
};

static ssize_t mem_read(void *arg, void *buf, size_t n)
{
    struct mem *m = arg;
    size_t k = m->len - m->off < n ? m->len - m->off : n;
    memcpy(buf, m->p + m->off, k);
    m->off += k;
    return (ssize_t)k;
}

/* Runs the sniff + jar extractor over data as the analyzer would and puts
 * the record (if any) into fs under path. Returns the record's length. */
static size_t extract_into(dd_fileset_t *fs, const char *path, const void *data, size_t len, int layer)
{
    size_t nh = len < DD_EXTRACT_HEAD ? len : DD_EXTRACT_HEAD;
    const dd_extractor_t *x = dd_catalog_sniff(path, data, nh, len);
    CHECK(x != NULL);
    if (!x) return 0;
    CHECK_STR(x->name, "jar");
    struct mem m = {data, len, 0};
    dd_buf_t rec;
    dd_buf_init(&rec, 0);
    dd_catalog_extract(x, mem_read, &m, len, path, &rec);
    if (rec.len) dd_fileset_put(fs, path, rec.ptr, rec.len, layer, 0100644);
    size_t n = rec.len;
    dd_buf_release(&rec);
    return n;
}

static void extract_fixture(dd_fileset_t *fs, const char *fixture_rel, const char *as, int layer)
{
    dd_buf_t b;
    dd_buf_init(&b, 0);
    dd_err_t e = {0};
    CHECK_INT(dd_file_read(fixture(fixture_rel), 64u << 20, &b, &e), DD_OK);
    CHECK(extract_into(fs, as, b.ptr, b.len, layer) > 0);
    dd_buf_release(&b);
}

static void read_fixture(const char *rel, dd_buf_t *b)
{
    dd_buf_init(b, 0);
    dd_err_t e = {0};
    CHECK_INT(dd_file_read(fixture(rel), 64u << 20, b, &e), DD_OK);
}

/* ---- the path rules ------------------------------------------------------- */

TEST(path_rules)
{
    CHECK(dd_catalog_rules_sorted());
    CHECK(dd_catalog_wants_owner("app/node_modules/lodash/package.json", "npm"));
    CHECK(dd_catalog_wants_owner("node_modules/@babel/core/package.json", "npm"));
    CHECK(!dd_catalog_wants("app/package.json"));
    CHECK(dd_catalog_wants_owner("app/package-lock.json", "npm"));
    CHECK(dd_catalog_wants_owner("yarn.lock", "npm"));
    CHECK(dd_catalog_wants_owner("srv/web/pnpm-lock.yaml", "npm"));
    CHECK(dd_catalog_wants_owner("usr/local/bundle/specifications/rack-2.2.3.gemspec", "gem"));
    CHECK(dd_catalog_wants_owner("usr/local/lib/ruby/gems/3.2.0/specifications/default/cgi-0.3.6.gemspec", "gem"));
    CHECK(!dd_catalog_wants("src/rack.gemspec"));
    CHECK(dd_catalog_wants_owner("var/www/vendor/composer/installed.json", "composer"));
    CHECK(!dd_catalog_wants("var/www/installed.json"));
    CHECK(dd_catalog_wants_owner("app/MyApp.deps.json", "nuget"));
    CHECK(dd_catalog_max_file_size("app/MyApp.deps.json") == 16u << 20);
    CHECK(dd_catalog_find("npm") && dd_catalog_find("npm")->wants("node_modules/x/package.json"));
    CHECK(dd_catalog_find("maven") && !dd_catalog_find("maven")->wants("app.jar"));
}

/* ---- Node.js ---------------------------------------------------------------- */

TEST(npm_package_json_real)
{
    dd_fileset_t fs;
    dd_fileset_init(&fs);
    put_fixture(&fs, "lang/debian/semver.package.json", "app/node_modules/semver/package.json", 2);
    put_fixture(&fs, "lang/debian/types-semver.package.json", "app/node_modules/@types/semver/package.json", 3);
    put_str(&fs, "app/node_modules/semver/functions/package.json", "{\"type\": \"commonjs\"}", 2);
    dd_inventory_t inv;
    dd_inventory_init(&inv);
    CHECK_INT(run_cataloger("npm", &fs, &inv), DD_OK);
    CHECK_INT(inv.n, 2);
    const dd_package_t *p = find(&inv, DD_PKG_NPM, "semver", "7.3.5");
    CHECK(p && strcmp(p->db_path, "app/node_modules/semver/package.json") == 0 && p->layer == 2);
    p = find(&inv, DD_PKG_NPM, "@types/semver", "7.3.9");
    CHECK(p && p->layer == 3);
    CHECK_INT(inv.nwarnings, 0);
    if (inv.n != 2) dump(&inv);
    dd_inventory_release(&inv);
    dd_fileset_release(&fs);
}

TEST(npm_package_json_odd)
{
    dd_fileset_t fs;
    dd_fileset_init(&fs);
    put_str(&fs, "node_modules/a/package.json", "{\"name\": \"a\", \"version\": 1.2}", 0);
    put_str(&fs, "node_modules/b/package.json", "{\"name\": {\"x\": 1}, \"version\": \"1.0.0\"}", 0);
    put_str(&fs, "node_modules/c/package.json", "{\"name\": \"c\", ", 0);
    put_str(&fs, "node_modules/d/package.json", "[1, 2]", 0);
    put_str(&fs, "node_modules/ws/package.json",
            "{\"name\": \"ws\", \"version\": \"1.0.0\", \"private\": true, \"workspaces\": [\"p/*\"]}", 0);
    put_str(&fs, "node_modules/ok/package.json", "{\"name\": \"ok\", \"version\": \"2.0.0\", \"private\": true}", 0);
    put_str(&fs, "node_modules/e/package.json", "{\"name\": \"e\", \"version\": \"\"}", 0);
    dd_inventory_t inv;
    dd_inventory_init(&inv);
    CHECK_INT(run_cataloger("npm", &fs, &inv), DD_OK);
    CHECK_INT(inv.n, 1);
    CHECK(find(&inv, DD_PKG_NPM, "ok", "2.0.0"));
    CHECK(has_warning(&inv, "node_modules/a/package.json: package.json with a non-string version"));
    CHECK(has_warning(&inv, "node_modules/b/package.json: package.json with a non-string name"));
    CHECK(has_warning(&inv, "node_modules/c/package.json: not valid JSON"));
    CHECK(has_warning(&inv, "node_modules/d/package.json: package.json is not a JSON object"));
    CHECK(has_warning(&inv, "node_modules/e/package.json: package 'e' without a usable version"));
    dd_inventory_release(&inv);
    dd_fileset_release(&fs);
}

TEST(npm_package_lock_v1)
{
    dd_fileset_t fs;
    dd_fileset_init(&fs);
    put_fixture(&fs, "lang/package-lock-v1.json", "srv/app/package-lock.json", 1);
    dd_inventory_t inv;
    dd_inventory_init(&inv);
    CHECK_INT(run_cataloger("npm", &fs, &inv), DD_OK);
    CHECK_INT(inv.n, 8);
    CHECK(find(&inv, DD_PKG_NPM, "accepts", "1.3.7"));
    CHECK(find(&inv, DD_PKG_NPM, "qs", "6.7.0"));          /* nested */
    CHECK(find(&inv, DD_PKG_NPM, "mocha", "8.1.3"));       /* dev: reported */
    CHECK(find(&inv, DD_PKG_NPM, "string-width", "4.2.3")); /* alias: the real package */
    CHECK(!find(&inv, DD_PKG_NPM, "my-local", NULL));      /* file: */
    CHECK(!find(&inv, DD_PKG_NPM, "express-app", NULL));   /* the project */
    const dd_package_t *p = find(&inv, DD_PKG_NPM, "lodash", "4.17.15");
    CHECK(p && strcmp(p->db_path, "srv/app/package-lock.json") == 0 && p->layer == 1);
    if (inv.n != 8) dump(&inv);
    dd_inventory_release(&inv);
    dd_fileset_release(&fs);
}

TEST(npm_package_lock_v3)
{
    dd_fileset_t fs;
    dd_fileset_init(&fs);
    put_fixture(&fs, "lang/package-lock-v3.json", "package-lock.json", 0);
    dd_inventory_t inv;
    dd_inventory_init(&inv);
    CHECK_INT(run_cataloger("npm", &fs, &inv), DD_OK);
    CHECK_INT(inv.n, 6);
    CHECK(find(&inv, DD_PKG_NPM, "@babel/runtime", "7.12.5"));
    CHECK(find(&inv, DD_PKG_NPM, "follow-redirects", "1.13.0"));
    CHECK(find(&inv, DD_PKG_NPM, "follow-redirects", "1.14.7"));
    CHECK(find(&inv, DD_PKG_NPM, "jest", "26.6.3"));
    CHECK(!find(&inv, DD_PKG_NPM, "web", NULL));
    CHECK(!find(&inv, DD_PKG_NPM, "ui", NULL));
    if (inv.n != 6) dump(&inv);
    dd_inventory_release(&inv);
    dd_fileset_release(&fs);
}

TEST(npm_lock_with_node_modules)
{
    /* installed packages win over the lock file next to them; a lock file a
     * package ships is not the image's */
    dd_fileset_t fs;
    dd_fileset_init(&fs);
    put_fixture(&fs, "lang/package-lock-v1.json", "app/package-lock.json", 0);
    put_fixture(&fs, "lang/debian/semver.package.json", "app/node_modules/semver/package.json", 0);
    put_fixture(&fs, "lang/yarn-v1.lock", "app/node_modules/semver/yarn.lock", 0);
    put_fixture(&fs, "lang/pnpm-lock-v9.yaml", "other/pnpm-lock.yaml", 0);
    dd_inventory_t inv;
    dd_inventory_init(&inv);
    CHECK_INT(run_cataloger("npm", &fs, &inv), DD_OK);
    CHECK_INT(inv.n, 1 + 4);
    CHECK(find(&inv, DD_PKG_NPM, "semver", "7.3.5"));
    CHECK(!find(&inv, DD_PKG_NPM, "lodash", NULL));
    CHECK(find(&inv, DD_PKG_NPM, "express", "4.18.2"));
    dd_inventory_release(&inv);
    dd_fileset_release(&fs);
}

TEST(npm_yarn)
{
    dd_fileset_t fs;
    dd_fileset_init(&fs);
    put_fixture(&fs, "lang/yarn-v1.lock", "v1/yarn.lock", 0);
    put_fixture(&fs, "lang/yarn-berry.lock", "berry/yarn.lock", 1);
    dd_inventory_t inv;
    dd_inventory_init(&inv);
    CHECK_INT(run_cataloger("npm", &fs, &inv), DD_OK);
    const dd_package_t *p = find(&inv, DD_PKG_NPM, "@babel/code-frame", "7.10.4");
    CHECK(p && strcmp(p->db_path, "v1/yarn.lock") == 0);
    CHECK(find(&inv, DD_PKG_NPM, "lodash", "4.17.19"));
    CHECK(find(&inv, DD_PKG_NPM, "minimist", "0.0.8"));
    CHECK(find(&inv, DD_PKG_NPM, "string-width", "4.2.3"));
    CHECK(!find(&inv, DD_PKG_NPM, "my-lib", NULL));
    p = find(&inv, DD_PKG_NPM, "@babel/code-frame", "7.16.7");
    CHECK(p && strcmp(p->db_path, "berry/yarn.lock") == 0 && p->layer == 1);
    CHECK(find(&inv, DD_PKG_NPM, "minimist", "1.2.5"));
    CHECK(find(&inv, DD_PKG_NPM, "resolve", "1.22.0"));
    CHECK(!find(&inv, DD_PKG_NPM, "web", NULL));
    CHECK_INT(inv.n, 4 + 3);
    CHECK_INT(inv.nwarnings, 0);
    if (inv.n != 7) dump(&inv);
    dd_inventory_release(&inv);
    dd_fileset_release(&fs);
}

TEST(npm_pnpm)
{
    dd_fileset_t fs;
    dd_fileset_init(&fs);
    put_fixture(&fs, "lang/pnpm-lock-v5.yaml", "a/pnpm-lock.yaml", 0);
    put_fixture(&fs, "lang/pnpm-lock-v6.yaml", "b/pnpm-lock.yaml", 0);
    put_fixture(&fs, "lang/pnpm-lock-v9.yaml", "c/pnpm-lock.yaml", 0);
    dd_inventory_t inv;
    dd_inventory_init(&inv);
    CHECK_INT(run_cataloger("npm", &fs, &inv), DD_OK);
    CHECK(find(&inv, DD_PKG_NPM, "@types/node", "14.14.10"));
    CHECK(find(&inv, DD_PKG_NPM, "lodash", "4.17.20"));
    CHECK(find(&inv, DD_PKG_NPM, "react-dom", "17.0.2"));
    CHECK(find(&inv, DD_PKG_NPM, "@babel/core", "7.21.0"));
    CHECK(find(&inv, DD_PKG_NPM, "react-dom", "18.2.0"));
    CHECK(find(&inv, DD_PKG_NPM, "react", "18.2.0"));
    CHECK(find(&inv, DD_PKG_NPM, "@types/node", "20.11.5"));
    CHECK(find(&inv, DD_PKG_NPM, "express", "4.18.2"));
    CHECK_INT(inv.n, 3 + 3 + 4);
    if (inv.n != 10) dump(&inv);
    dd_inventory_release(&inv);
    dd_fileset_release(&fs);
}

TEST(npm_bad_locks)
{
    dd_inventory_t inv;
    dd_inventory_init(&inv);
    dd_err_t e = {0};
    CHECK_INT(dd_npm_parse_pnpm_lock("packages: [1", 12, "p", 0, &inv, &e), DD_ECORRUPT);
    CHECK_INT(dd_npm_parse_pnpm_lock("packages: {}\n", 13, "p", 0, &inv, &e), DD_ECORRUPT);
    CHECK_INT(dd_npm_parse_pnpm_lock("", 0, "p", 0, &inv, &e), DD_ECORRUPT);
    const char *alias = "a: &x [1]\nlockfileVersion: '9.0'\npackages: *x\n";
    CHECK_INT(dd_npm_parse_pnpm_lock(alias, strlen(alias), "p", 0, &inv, &e), DD_OK);
    CHECK_INT(dd_npm_parse_package_lock("{\"dependencies\": {\"x\": {\"version\": 3}}}", 39, "l", 0, &inv, &e), DD_OK);
    CHECK(has_warning(&inv, "l: entry 'x' without a string version skipped"));
    const char *y = "__metadata:\n  version: 6\n\"x@npm:1\":\n  resolution: \"x@npm:1.0.0\"\n";
    CHECK_INT(dd_npm_parse_yarn_lock(y, strlen(y), "y", 0, &inv, &e), DD_OK);
    CHECK(has_warning(&inv, "y: entry 'x@npm:1.0.0' without a version skipped"));
    const char *y1 = "foo@^1:\n  resolved \"x\"\nbar@^2:\n  version \"2.0.0\"\n";
    CHECK_INT(dd_npm_parse_yarn_lock(y1, strlen(y1), "y1", 0, &inv, &e), DD_OK);
    CHECK(has_warning(&inv, "y1: entry 'foo@^1' without a version skipped"));
    CHECK(find(&inv, DD_PKG_NPM, "bar", "2.0.0"));
    CHECK_INT(inv.n, 1);
    /* deep nesting is bounded */
    dd_buf_t b;
    dd_buf_init(&b, 0);
    dd_buf_puts(&b, "{\"dependencies\":");
    for (int i = 0; i < 100; i++) dd_buf_puts(&b, "{\"a\":{\"version\":\"1.0.0\",\"dependencies\":");
    dd_buf_puts(&b, "{}");
    for (int i = 0; i < 100; i++) dd_buf_puts(&b, "}}");
    dd_buf_puts(&b, "}");
    CHECK_INT(dd_npm_parse_package_lock(b.ptr, b.len, "deep", 0, &inv, &e), DD_ELIMIT);
    dd_buf_release(&b);
    dd_inventory_release(&inv);
}

/* ---- Ruby ------------------------------------------------------------------ */

TEST(gem_real_and_variants)
{
    dd_fileset_t fs;
    dd_fileset_init(&fs);
    put_fixture(&fs, "lang/debian/rack-2.2.22.gemspec",
                "usr/share/rubygems-integration/all/specifications/rack-2.2.22.gemspec", 4);
    put_str(&fs, "usr/local/bundle/specifications/old-1.0.gemspec",
            "Gem::Specification.new do |spec|\n  spec.name = %q{old}\n  spec.version = \"1.0\"\n"
            "  spec.required_ruby_version = Gem::Requirement.new(\">= 2\")\nend\n", 0);
    put_str(&fs, "gems/specifications/default/cgi-0.3.6.gemspec",
            "# stub: cgi 0.3.6 ruby lib\nGem::Specification.new do |s|\n  s.name = \"cgi\".freeze\n"
            "  s.version = Gem::Version.new(\"0.3.6\")\nend\n", 0);
    put_str(&fs, "x/specifications/stub-2.0.gemspec",
            "# stub: stubonly 2.0.1 ruby lib\nGem::Specification.new do |s|\n  s.name = NAME\nend\n", 0);
    put_str(&fs, "x/specifications/broken.gemspec", "puts 'hello'\n", 0);
    dd_inventory_t inv;
    dd_inventory_init(&inv);
    CHECK_INT(run_cataloger("gem", &fs, &inv), DD_OK);
    const dd_package_t *p = find(&inv, DD_PKG_GEM, "rack", "2.2.22");
    CHECK(p && p->layer == 4 && strstr(p->db_path, "rack-2.2.22.gemspec"));
    CHECK(find(&inv, DD_PKG_GEM, "old", "1.0"));
    CHECK(find(&inv, DD_PKG_GEM, "cgi", "0.3.6"));
    CHECK(find(&inv, DD_PKG_GEM, "stubonly", "2.0.1"));
    CHECK_INT(inv.n, 4);
    CHECK(has_warning(&inv, "x/specifications/broken.gemspec: gemspec without a name or version"));
    if (inv.n != 4) dump(&inv);
    dd_inventory_release(&inv);
    dd_fileset_release(&fs);
}

/* ---- PHP ------------------------------------------------------------------- */

TEST(composer_installed)
{
    dd_fileset_t fs;
    dd_fileset_init(&fs);
    put_fixture(&fs, "lang/installed-composer2.json", "var/www/vendor/composer/installed.json", 1);
    put_fixture(&fs, "lang/installed-composer1.json", "srv/vendor/composer/installed.json", 2);
    put_str(&fs, "bad/vendor/composer/installed.json", "{\"packages\": 3}", 0);
    dd_inventory_t inv;
    dd_inventory_init(&inv);
    CHECK_INT(run_cataloger("composer", &fs, &inv), DD_OK);
    CHECK(find(&inv, DD_PKG_COMPOSER, "guzzlehttp/guzzle", "7.4.4"));
    CHECK(find(&inv, DD_PKG_COMPOSER, "symfony/http-kernel", "5.4.20")); /* "v" dropped */
    CHECK(find(&inv, DD_PKG_COMPOSER, "phpunit/phpunit", "9.5.27"));     /* dev: installed */
    const dd_package_t *p = find(&inv, DD_PKG_COMPOSER, "twig/twig", "2.12.5");
    CHECK(p && p->layer == 2 && strcmp(p->db_path, "srv/vendor/composer/installed.json") == 0);
    CHECK(find(&inv, DD_PKG_COMPOSER, "monolog/monolog", "1.25.1"));
    CHECK_INT(inv.n, 5);
    CHECK(has_warning(&inv, "package 3 without a string name and version skipped"));
    CHECK(has_warning(&inv, "bad/vendor/composer/installed.json: installed.json without a packages array"));
    dd_inventory_release(&inv);
    dd_fileset_release(&fs);
}

/* ---- .NET ------------------------------------------------------------------ */

TEST(nuget_deps_json)
{
    dd_fileset_t fs;
    dd_fileset_init(&fs);
    put_fixture(&fs, "lang/app.deps.json", "app/app.deps.json", 3);
    dd_inventory_t inv;
    dd_inventory_init(&inv);
    CHECK_INT(run_cataloger("nuget", &fs, &inv), DD_OK);
    const dd_package_t *p = find(&inv, DD_PKG_NUGET, "Newtonsoft.Json", "12.0.3");
    CHECK(p && p->layer == 3 && strcmp(p->db_path, "app/app.deps.json") == 0);
    CHECK(find(&inv, DD_PKG_NUGET, "System.Text.Encodings.Web", "4.7.1"));
    CHECK(!find(&inv, DD_PKG_NUGET, "Microsoft.CodeAnalysis.Analyzers", NULL)); /* not in the runtime target */
    CHECK(!find(&inv, DD_PKG_NUGET, "app", NULL));
    CHECK(!find(&inv, DD_PKG_NUGET, "Shared", NULL));
    CHECK_INT(inv.n, 2);
    dd_err_t e = {0};
    CHECK_INT(dd_nuget_parse_deps_json("{\"libraries\": []}", 17, "x.deps.json", 0, &inv, &e), DD_ECORRUPT);
    const char *odd = "{\"libraries\": {\"A/1.0\": {\"type\": 1}, \"NoSlash\": {\"type\": \"package\"}, \"B/2.0\": {\"type\": \"package\"}}}";
    CHECK_INT(dd_nuget_parse_deps_json(odd, strlen(odd), "y.deps.json", 0, &inv, &e), DD_OK);
    CHECK(find(&inv, DD_PKG_NUGET, "B", "2.0"));
    CHECK(has_warning(&inv, "library 'A/1.0' without a type"));
    CHECK(has_warning(&inv, "library 'NoSlash' is not name/version"));
    dd_inventory_release(&inv);
    dd_fileset_release(&fs);
}

/* ---- Java ------------------------------------------------------------------ */

TEST(jar_sniff_rule)
{
    const unsigned char zip[] = "PK\3\4rest";
    const unsigned char elf[] = "\177ELF";
    CHECK(dd_catalog_sniff("usr/share/java/x.jar", zip, 8, 100) == &dd_extractor_jar);
    CHECK(dd_catalog_sniff("opt/app/ROOT.WAR", zip, 8, 100) == &dd_extractor_jar);
    CHECK(dd_catalog_sniff("var/jenkins/plugins/git.hpi", zip, 8, 100) == &dd_extractor_jar);
    CHECK(dd_catalog_sniff("opt/x.ear", zip, 8, 100) == &dd_extractor_jar);
    CHECK(dd_catalog_sniff("opt/x.zip", zip, 8, 100) != &dd_extractor_jar);
    CHECK(dd_catalog_sniff("opt/x.jar", elf, 4, 100) != &dd_extractor_jar);
    CHECK(dd_catalog_sniff("opt/x.jar", zip, 3, 100) != &dd_extractor_jar);
    CHECK(dd_catalog_sniff(".jar", zip, 8, 100) != &dd_extractor_jar);
}

TEST(jar_real_debian)
{
    dd_fileset_t fs;
    dd_fileset_init(&fs);
    extract_fixture(&fs, "lang/debian/geronimo-annotation-1.3-spec.jar",
                    "usr/share/java/geronimo-annotation-1.3-spec.jar", 1);
    extract_fixture(&fs, "lang/debian/apiguardian-api-1.1.2.jar", "usr/share/java/apiguardian-api-1.1.2.jar", 1);
    extract_fixture(&fs, "lang/debian/opentest4j-1.2.0.jar", "usr/share/java/opentest4j-1.2.0.jar", 2);
    extract_fixture(&fs, "lang/debian/jsr305-0.1~+svn49.jar", "usr/share/java/jsr305-0.1~+svn49.jar", 2);
    dd_inventory_t inv;
    dd_inventory_init(&inv);
    CHECK_INT(run_cataloger("maven", &fs, &inv), DD_OK);
    const dd_package_t *p = find(&inv, DD_PKG_MAVEN, "org.apache.geronimo.specs:geronimo-annotation_1.3_spec", "1.3");
    CHECK(p && p->layer == 1 && strcmp(p->db_path, "usr/share/java/geronimo-annotation-1.3-spec.jar") == 0);
    CHECK(find(&inv, DD_PKG_MAVEN, "org.apiguardian:apiguardian-api", "1.1.2"));
    CHECK(find(&inv, DD_PKG_MAVEN, "org.opentest4j:opentest4j", "1.2.0"));
    CHECK(find(&inv, DD_PKG_MAVEN, "jsr305", "0.1~+svn49"));
    CHECK_INT(inv.n, 4);
    CHECK_INT(inv.nwarnings, 0);
    if (inv.n != 4 || inv.nwarnings) dump(&inv);
    dd_inventory_release(&inv);
    dd_fileset_release(&fs);
}

TEST(jar_nested_war)
{
    /* a war holding two real jars, a fat jar with two pom.properties and a
     * nested jar of its own, and a corrupt jar */
    dd_buf_t g, a, inner, fat, war;
    read_fixture("lang/debian/geronimo-annotation-1.3-spec.jar", &g);
    read_fixture("lang/debian/apiguardian-api-1.1.2.jar", &a);
    const char *pom1 = "groupId=com.fasterxml.jackson.core\nartifactId=jackson-databind\nversion=2.9.10.1\n";
    const char *pom2 = "# comment\r\nversion = 2.9.10\r\n"; /* group/artifact from the path */
    const char *mf = "Manifest-Version: 1.0\r\nImplementation-Title: spring-web\r\n"
                     "Implementation-Version: 5.3.17\r\nImplementation-Vendor-Id: org.springframework\r\n\r\n";
    struct zent in[] = {{"META-INF/MANIFEST.MF", mf, strlen(mf), false}};
    make_zip(in, 1, false, &inner);
    struct zent fe[] = {
        {"META-INF/maven/com.fasterxml.jackson.core/jackson-databind/pom.properties", pom1, strlen(pom1), true},
        {"META-INF/maven/com.fasterxml.jackson.core/jackson-core/pom.properties", pom2, strlen(pom2), false},
        {"lib/web.jar", inner.ptr, inner.len, false},
        {"com/x/A.class", NULL, 5000, true},
    };
    make_zip(fe, 4, false, &fat);
    struct zent we[] = {
        {"WEB-INF/web.xml", "<web-app/>", 10, false},
        {"WEB-INF/lib/geronimo-annotation-1.3-spec.jar", g.ptr, g.len, false},
        {"WEB-INF/lib/apiguardian-api-1.1.2.jar", a.ptr, a.len, true},
        {"WEB-INF/lib/fat-1.0.jar", fat.ptr, fat.len, false},
        {"WEB-INF/lib/broken-1.0.jar", "PK\3\4garbage-garbage-garbage", 27, false},
        {"WEB-INF/classes/app.jar", g.ptr, g.len, false}, /* not a library dir */
    };
    make_zip(we, 6, true, &war);
    dd_fileset_t fs;
    dd_fileset_init(&fs);
    CHECK(extract_into(&fs, "opt/app.war", war.ptr, war.len, 5) > 0);
    dd_inventory_t inv;
    dd_inventory_init(&inv);
    CHECK_INT(run_cataloger("maven", &fs, &inv), DD_OK);
    const dd_package_t *p = find(&inv, DD_PKG_MAVEN, "org.apache.geronimo.specs:geronimo-annotation_1.3_spec", "1.3");
    CHECK(p && p->layer == 5 && strcmp(p->db_path, "opt/app.war!WEB-INF/lib/geronimo-annotation-1.3-spec.jar") == 0);
    CHECK(find(&inv, DD_PKG_MAVEN, "org.apiguardian:apiguardian-api", "1.1.2"));
    p = find(&inv, DD_PKG_MAVEN, "com.fasterxml.jackson.core:jackson-databind", "2.9.10.1");
    CHECK(p && strcmp(p->db_path, "opt/app.war!WEB-INF/lib/fat-1.0.jar") == 0);
    CHECK(find(&inv, DD_PKG_MAVEN, "com.fasterxml.jackson.core:jackson-core", "2.9.10"));
    p = find(&inv, DD_PKG_MAVEN, "org.springframework:spring-web", "5.3.17");
    CHECK(p && strcmp(p->db_path, "opt/app.war!WEB-INF/lib/fat-1.0.jar!lib/web.jar") == 0);
    CHECK(!find(&inv, DD_PKG_MAVEN, "fat", NULL)); /* it has pom.properties */
    CHECK_INT(inv.n, 5);
    CHECK(has_warning(&inv, "opt/app.war!WEB-INF/lib/broken-1.0.jar: "));
    if (inv.n != 5) dump(&inv);
    dd_inventory_release(&inv);
    dd_fileset_release(&fs);
    dd_buf_release(&g);
    dd_buf_release(&a);
    dd_buf_release(&inner);
    dd_buf_release(&fat);
    dd_buf_release(&war);
}

TEST(jar_bombs)
{
    dd_fileset_t fs;
    dd_fileset_init(&fs);
    /* a nested "jar" of 64 MiB of zeros (deflated to ~64 KiB): the ratio bound */
    struct zent b1[] = {{"META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n", 22, false},
                        {"WEB-INF/lib/bomb.jar", NULL, 64u << 20, false}};
    dd_buf_t z;
    make_zip(b1, 2, false, &z);
    CHECK(z.len < (1u << 20));
    CHECK(extract_into(&fs, "a/bomb.war", z.ptr, z.len, 0) > 0);
    dd_buf_release(&z);
    /* a 4 MiB manifest: over the small-entry bound */
    struct zent b2[] = {{"META-INF/MANIFEST.MF", NULL, 4u << 20, true}};
    make_zip(b2, 1, false, &z);
    CHECK(extract_into(&fs, "a/mf-1.0.jar", z.ptr, z.len, 0) > 0);
    dd_buf_release(&z);
    /* an entry of unknown size that inflates far: inflated to find its end, counted */
    struct zent b3[] = {{"data.bin", NULL, 64u << 20, true}};
    make_zip(b3, 1, false, &z);
    CHECK(extract_into(&fs, "a/data-1.0.jar", z.ptr, z.len, 0) > 0);
    dd_buf_release(&z);
    /* not a zip past its first bytes */
    CHECK(extract_into(&fs, "a/trunc.jar", "PK\3\4\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 20, 0) > 0);
    dd_inventory_t inv;
    dd_inventory_init(&inv);
    CHECK_INT(run_cataloger("maven", &fs, &inv), DD_OK);
    CHECK_INT(inv.n, 0);
    CHECK(has_warning(&inv, "a/bomb.war: compression ratio over"));
    CHECK(has_warning(&inv, "a/mf-1.0.jar: an archive entry is larger than"));
    CHECK(has_warning(&inv, "a/data-1.0.jar: compression ratio over"));
    CHECK(has_warning(&inv, "a/trunc.jar: "));
    if (inv.nwarnings != 4) dump(&inv);
    dd_inventory_release(&inv);
    dd_fileset_release(&fs);
}

TEST(maven_record_parse)
{
    dd_inventory_t inv;
    dd_inventory_init(&inv);
    dd_err_t e = {0};
    const char *r = "P\t\tg:a\t1.0\nP\tlib/x.jar\tx\t2.0\nW\tlib/y.jar\tbroken\nP\t\tg:a\t1.0\nbogus\nP\t\tonly-two\n";
    CHECK_INT(dd_maven_parse_record(r, strlen(r), "app.jar", 7, &inv, &e), DD_OK);
    dd_lang_dedup(&inv, 0);
    CHECK_INT(inv.n, 2);
    const dd_package_t *p = find(&inv, DD_PKG_MAVEN, "x", "2.0");
    CHECK(p && strcmp(p->db_path, "app.jar!lib/x.jar") == 0 && p->layer == 7);
    CHECK(has_warning(&inv, "app.jar!lib/y.jar: broken"));
    CHECK_INT(dd_maven_parse_record("!too big", 8, "z.jar", 0, &inv, &e), DD_OK);
    CHECK(has_warning(&inv, "z.jar: too big"));
    dd_inventory_release(&inv);
}

/* ---- all together: an oversized rule file is a warning ---------------------- */

TEST(oversized_record)
{
    dd_fileset_t fs;
    dd_fileset_init(&fs);
    dd_buf_t rec;
    dd_buf_init(&rec, 0);
    dd_catalog_record_error(&rec, "npm", "file is 99999999 bytes, over the 67108864 byte limit for it");
    dd_fileset_put(&fs, "app/package-lock.json", rec.ptr, rec.len, 0, 0100644);
    dd_buf_release(&rec);
    dd_inventory_t inv;
    dd_inventory_init(&inv);
    CHECK_INT(run_cataloger("npm", &fs, &inv), DD_OK);
    CHECK_INT(inv.n, 0);
    CHECK(has_warning(&inv, "app/package-lock.json: file is 99999999 bytes"));
    dd_inventory_release(&inv);
    dd_fileset_release(&fs);
}

TEST_MAIN(RUN(path_rules); RUN(npm_package_json_real); RUN(npm_package_json_odd); RUN(npm_package_lock_v1);
          RUN(npm_package_lock_v3); RUN(npm_lock_with_node_modules); RUN(npm_yarn); RUN(npm_pnpm);
          RUN(npm_bad_locks); RUN(gem_real_and_variants); RUN(composer_installed); RUN(nuget_deps_json);
          RUN(jar_sniff_rule); RUN(jar_real_debian); RUN(jar_nested_war); RUN(jar_bombs);
          RUN(maven_record_parse); RUN(oversized_record))
