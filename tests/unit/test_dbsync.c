/*
 * test_dbsync.c: unit tests of dbsync.h's offline parts: dd_vulndb_replace()
 * (checks, version bump), dd_fetch_extract_tar() (safe paths, corrupt
 * archives) and the OCI artifact round trip through a layout directory
 * (digest checks). The network paths are tested in
 * tests/integration/test_db_{nvd_sync,update_feeds,export}.py.
 */
#include "test.h"

#include "dd/dbsync.h"
#include "dd/vulndb.h"

#include <archive.h>
#include <archive_entry.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[256];

static char *path(const char *name) { return dd_asprintf("%s/%s", tmpdir, name); }

static bool exists(const char *p)
{
    struct stat sb;
    return lstat(p, &sb) == 0;
}

/* A database at p with one vulnerability, committed through an update. */
static void make_db(const char *p, const char *id)
{
    dd_vulndb_update_t *u = NULL;
    CHECK_INT(dd_vulndb_update_begin(p, &u, NULL), DD_OK);
    dd_vuln_rec_t v = {.id = id, .summary = "test"};
    CHECK_INT(dd_vulndb_put_vuln(dd_vulndb_update_db(u), "t", &v, NULL), DD_OK);
    CHECK_INT(dd_vulndb_set_feed(dd_vulndb_update_db(u), "t", "src", "\"e\"", NULL, 1, 0, NULL), DD_OK);
    CHECK_INT(dd_vulndb_update_commit(u, NULL), DD_OK);
}

static int64_t version_of(const char *p)
{
    int64_t v = -1;
    dd_vulndb_t *db = NULL;
    if (dd_vulndb_open(p, true, &db, NULL) == DD_OK) {
        v = dd_vulndb_version(db);
        dd_vulndb_close(db);
    }
    return v;
}

TEST(setup)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/dd-test-dbsync.%d", (int)getpid());
    CHECK_INT(dd_mkdirs(tmpdir, 0755, NULL), DD_OK);
}

TEST(replace_checks_and_bumps)
{
    char *live = path("live.db"), *other = path("other.db"), *junk = path("junk.db"), *wrong = path("wrong.db");
    make_db(live, "CVE-2000-0001");
    make_db(live, "CVE-2000-0002");
    CHECK_INT(version_of(live), 2);
    make_db(other, "CVE-2000-0003"); /* version 1 */
    int64_t v = 0;
    CHECK_INT(dd_vulndb_replace(live, other, &v, NULL), DD_OK);
    CHECK_INT(v, 3); /* max(1, 2) + 1 */
    CHECK_INT(version_of(live), 3);
    CHECK(!exists(other));
    dd_vulndb_t *db = NULL;
    dd_vuln_t x;
    CHECK_INT(dd_vulndb_open(live, true, &db, NULL), DD_OK);
    CHECK_INT(dd_vulndb_get_vuln(db, "CVE-2000-0003", &x), DD_OK);
    dd_vuln_release(&x);
    CHECK_INT(dd_vulndb_get_vuln(db, "CVE-2000-0001", &x), DD_ENOTFOUND);
    dd_vulndb_close(db);

    /* not a database, another schema, missing: refused, live unchanged */
    FILE *f = fopen(junk, "w");
    fputs("this is not sqlite, just text long enough to be read as a header......", f);
    fclose(f);
    dd_err_t e = {0};
    CHECK(dd_vulndb_replace(live, junk, NULL, &e) != DD_OK);
    sqlite3 *h = NULL;
    sqlite3_open(wrong, &h);
    sqlite3_exec(h, "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);"
                    "INSERT INTO meta VALUES('schema_version','1'),('version','9');", NULL, NULL, NULL);
    sqlite3_close(h);
    CHECK_INT(dd_vulndb_replace(live, wrong, NULL, &e), DD_EUNSUPPORTED);
    CHECK(strstr(e.msg, "schema version '1'") != NULL);
    char *missing = path("missing.db");
    CHECK_INT(dd_vulndb_replace(live, missing, NULL, &e), DD_ENOTFOUND);
    free(missing);
    CHECK_INT(version_of(live), 3);
    free(live);
    free(other);
    free(junk);
    free(wrong);
}

static void tar_add(struct archive *a, const char *name, mode_t type, const char *body)
{
    struct archive_entry *en = archive_entry_new();
    archive_entry_set_pathname(en, name);
    archive_entry_set_filetype(en, type);
    archive_entry_set_perm(en, 0644);
    if (type == AE_IFLNK) archive_entry_set_symlink(en, "/etc/passwd");
    archive_entry_set_size(en, type == AE_IFREG ? (la_int64_t)strlen(body) : 0);
    archive_write_header(a, en);
    if (type == AE_IFREG) archive_write_data(a, body, strlen(body));
    archive_entry_free(en);
}

TEST(extract_tar_only_safe_entries)
{
    char *tgz = path("t.tar.gz"), *out = path("out");
    struct archive *a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    archive_write_add_filter_gzip(a);
    CHECK_INT(archive_write_open_filename(a, tgz), ARCHIVE_OK);
    tar_add(a, "repo-main/2019/1xxx/CVE-2019-1.json", AE_IFREG, "{\"ok\":1}");
    tar_add(a, "../evil.json", AE_IFREG, "x");
    tar_add(a, "repo-main/../../evil2.json", AE_IFREG, "x");
    tar_add(a, "/tmp/abs-evil.json", AE_IFREG, "x");
    tar_add(a, "repo-main/link", AE_IFLNK, NULL);
    archive_write_close(a);
    archive_write_free(a);
    CHECK_INT(dd_fetch_extract_tar(tgz, out, NULL), DD_OK);
    char *ok = path("out/repo-main/2019/1xxx/CVE-2019-1.json"), *evil = path("evil.json"),
         *lnk = path("out/repo-main/link");
    CHECK(exists(ok));
    CHECK(!exists(evil));
    CHECK(!exists(lnk));
    char *evil2 = path("evil2.json");
    CHECK(!exists(evil2));
    free(evil2);
    CHECK_INT(dd_fetch_remove_tree(out), DD_OK);
    CHECK(!exists(out));

    /* truncated: the first half of the archive */
    FILE *f = fopen(tgz, "rb");
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    f = fopen(tgz, "wb");
    fwrite(buf, 1, n / 2, f);
    fclose(f);
    dd_err_t e = {0};
    CHECK(dd_fetch_extract_tar(tgz, out, &e) != DD_OK);
    dd_fetch_remove_tree(out);
    free(tgz);
    free(out);
    free(ok);
    free(evil);
    free(lnk);
}

TEST(artifact_layout_round_trip)
{
    char *live = path("art.db"), *lay = path("layout"), *dst = path("dst/vuln.db");
    make_db(live, "CVE-2001-0001");
    dd_vulndb_artifact_t a;
    CHECK_INT(dd_vulndb_artifact_build(live, tmpdir, &a, NULL), DD_OK);
    CHECK_INT(a.version, 1);
    CHECK(strstr(a.manifest, DD_VULNDB_ARTIFACT_TYPE) != NULL);
    CHECK(strstr(a.manifest, DD_VULNDB_LAYER_TYPE) != NULL);
    CHECK(strstr(a.manifest, "\"io.drydock.vulndb.version\":\"1\"") != NULL);
    CHECK_INT(dd_vulndb_artifact_write_layout(&a, lay, "v1", NULL), DD_OK);
    CHECK_INT(dd_vulndb_artifact_write_layout(&a, lay, "v2", NULL), DD_OK); /* two tags, one index */
    char *spec = dd_asprintf("oci-layout:%s:v1", lay);
    int64_t v = 0;
    CHECK_INT(dd_vulndb_artifact_pull(spec, dst, NULL, &v, NULL), DD_OK);
    CHECK_INT(v, 2);
    free(spec);
    spec = dd_asprintf("oci-layout:%s:nope", lay);
    CHECK_INT(dd_vulndb_artifact_pull(spec, dst, NULL, &v, NULL), DD_ENOTFOUND);
    free(spec);

    /* a manifest blob that no longer matches its digest is refused */
    char *mp = dd_asprintf("%s/blobs/sha256/%s", lay, a.manifest_digest + 7);
    FILE *f = fopen(mp, "ab");
    fputs(" ", f);
    fclose(f);
    spec = dd_asprintf("oci-layout:%s:v2", lay);
    dd_err_t e = {0};
    CHECK_INT(dd_vulndb_artifact_pull(spec, dst, NULL, &v, &e), DD_EDIGEST);
    CHECK_INT(version_of(dst), 2);
    free(spec);
    free(mp);
    dd_vulndb_artifact_release(&a);
    free(live);
    free(lay);
    free(dst);
}

TEST(repomd_updateinfo)
{
    static const char ok[] =
        "<?xml version=\"1.0\"?><repomd xmlns=\"http://linux.duke.edu/metadata/repo\">"
        "<data type=\"primary\"><location href=\"repodata/p.xml.gz\"/></data>"
        "<data type=\"updateinfo\"><checksum type=\"sha256\">x</checksum>"
        "<location href=\"repodata/ab-updateinfo.xml.gz\"/></data></repomd>";
    char href[128];
    CHECK_INT(dd_alas_repomd_updateinfo(ok, strlen(ok), href, sizeof href, NULL), DD_OK);
    CHECK(!strcmp(href, "repodata/ab-updateinfo.xml.gz"));
    static const char none[] = "<repomd><data type=\"primary\"><location href=\"a\"/></data></repomd>";
    CHECK_INT(dd_alas_repomd_updateinfo(none, strlen(none), href, sizeof href, NULL), DD_ENOTFOUND);
    static const char up[] = "<repomd><data type=\"updateinfo\"><location href=\"../../x\"/></data></repomd>";
    CHECK_INT(dd_alas_repomd_updateinfo(up, strlen(up), href, sizeof href, NULL), DD_EINVAL);
    static const char abs[] = "<repomd><data type=\"updateinfo\"><location href=\"http://evil/x\"/></data></repomd>";
    CHECK_INT(dd_alas_repomd_updateinfo(abs, strlen(abs), href, sizeof href, NULL), DD_EINVAL);
    CHECK_INT(dd_alas_repomd_updateinfo("<repomd>", 8, href, sizeof href, NULL), DD_EINVAL);
    /* an entity that would expand is not expanded */
    static const char ent[] = "<!DOCTYPE r [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>"
                              "<repomd><data type=\"updateinfo\"><location href=\"&e;\"/></data></repomd>";
    dd_err_t e = {0};
    int rc = dd_alas_repomd_updateinfo(ent, strlen(ent), href, sizeof href, &e);
    CHECK(rc != DD_OK || !strstr(href, "root:"));
}

TEST(cleanup)
{
    dd_fetch_remove_tree(tmpdir);
    CHECK(!exists(tmpdir));
}

TEST_MAIN(RUN(setup); RUN(replace_checks_and_bumps); RUN(extract_tar_only_safe_entries); RUN(artifact_layout_round_trip); RUN(repomd_updateinfo);
          RUN(cleanup))
