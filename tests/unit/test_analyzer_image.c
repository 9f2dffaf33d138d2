/*
 * test_analyzer_image.c: the manifest parser and the image sources (oci:,
 * docker-archive:) on the committed fixtures in tests/fixtures/analyzer
 * (made by make_fixtures.sh with umoci and skopeo), a multi-platform layout
 * assembled in a temp dir, tampered blobs, and the layer cache.
 * docker:// is covered by tests/integration/test_analyzer_sources.py.
 */
#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dd/image.h"
#include "test.h"

#define OCI_V1_CONFIG "sha256:0993820fef09b164d207fd7050b04db246e8d61f7179e92541b0fe78d1a27a3c"
#define OCI_L0 "sha256:35d116b8f8657fa3dd5d282487d41623c59e09b7561dba84cf96afc02164e471"
#define OCI_L1 "sha256:e73f0dc785be0307a7c2735c7bf939e547b9e1b1e0a6c1d2e3c73a4aed1025d8"
#define H64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* ---- manifest parser ------------------------------------------------------ */

static int parse(const char *json, const char *ct, dd_manifest_t *m, dd_err_t *e)
{
    return dd_manifest_parse(json, strlen(json), ct, m, e);
}

#define DESC(mt) "{\"mediaType\":\"" mt "\",\"digest\":\"sha256:" H64 "\",\"size\":12}"

TEST(manifest_valid)
{
    dd_manifest_t m;
    dd_err_t e = {0};
    const char *img = "{\"schemaVersion\":2,\"mediaType\":\"" DD_MT_OCI_MANIFEST "\",\"config\":" DESC(DD_MT_OCI_CONFIG)
                      ",\"layers\":[" DESC("application/vnd.oci.image.layer.v1.tar+gzip") "," DESC("application/vnd.oci.image.layer.v1.tar+zstd")
                      "],\"annotations\":{\"a\":\"b\"},\"subject\":" DESC(DD_MT_OCI_MANIFEST) ",\"unknown\":[1,2]}";
    CHECK_INT(parse(img, NULL, &m, &e), DD_OK);
    CHECK_INT(m.kind, DD_MANIFEST_IMAGE);
    CHECK_INT(m.n_layers, 2);
    CHECK(!m.docker && m.has_subject && m.n_annotations == 1);
    CHECK_STR(m.config.digest.str, "sha256:" H64);
    CHECK_INT(m.layers[1].size, 12);
    dd_manifest_release(&m);
    CHECK_INT(parse(img, DD_MT_OCI_MANIFEST "; charset=utf-8", &m, &e), DD_OK);
    dd_manifest_release(&m);

    const char *idx = "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" DD_MT_OCI_MANIFEST
                      "\",\"digest\":\"sha256:" H64 "\",\"size\":3,\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\",\"variant\":\"v8\"},"
                      "\"annotations\":{\"org.opencontainers.image.ref.name\":\"latest\"}}]}";
    CHECK_INT(parse(idx, NULL, &m, &e), DD_OK);
    CHECK_INT(m.kind, DD_MANIFEST_INDEX);
    CHECK_STR(m.media_type, DD_MT_OCI_INDEX);
    CHECK_INT(m.n_manifests, 1);
    CHECK(m.manifests[0].has_platform);
    CHECK_STR(m.manifests[0].ref_name, "latest");
    char pbuf[128];
    dd_platform_format(&m.manifests[0].platform, pbuf, sizeof pbuf);
    CHECK_STR(pbuf, "linux/arm64/v8");
    CHECK(dd_platform_match(&m.manifests[0].platform, "linux/arm64"));
    CHECK(dd_platform_match(&m.manifests[0].platform, "linux/arm64/v8"));
    CHECK(!dd_platform_match(&m.manifests[0].platform, "linux/arm64/v7"));
    CHECK(!dd_platform_match(&m.manifests[0].platform, "linux/amd64"));
    dd_manifest_release(&m);

    const char *dm = "{\"schemaVersion\":2,\"mediaType\":\"" DD_MT_DOCKER_MANIFEST "\",\"config\":" DESC(DD_MT_DOCKER_CONFIG)
                     ",\"layers\":[" DESC("application/vnd.docker.image.rootfs.diff.tar.gzip") "]}";
    CHECK_INT(parse(dm, DD_MT_DOCKER_MANIFEST, &m, &e), DD_OK);
    CHECK(m.docker);
    dd_manifest_release(&m);
    const char *dl = "{\"schemaVersion\":2,\"mediaType\":\"" DD_MT_DOCKER_LIST "\",\"manifests\":[{\"mediaType\":\"" DD_MT_DOCKER_MANIFEST
                     "\",\"digest\":\"sha256:" H64 "\",\"size\":3,\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}}]}";
    CHECK_INT(parse(dl, NULL, &m, &e), DD_OK);
    CHECK(m.docker && m.kind == DD_MANIFEST_INDEX);
    dd_manifest_release(&m);
    /* an artifact with the empty config */
    const char *art = "{\"schemaVersion\":2,\"mediaType\":\"" DD_MT_OCI_MANIFEST "\",\"artifactType\":\"application/vnd.example+json\","
                      "\"config\":" DESC(DD_MT_OCI_EMPTY) ",\"layers\":[]}";
    CHECK_INT(parse(art, NULL, &m, &e), DD_OK);
    CHECK_STR(m.artifact_type, "application/vnd.example+json");
    dd_manifest_release(&m);
    /* embedded data matching its descriptor (the OCI empty descriptor) */
    const char *emb = "{\"schemaVersion\":2,\"mediaType\":\"" DD_MT_OCI_MANIFEST "\",\"artifactType\":\"application/x.a\","
                      "\"config\":{\"mediaType\":\"" DD_MT_OCI_EMPTY "\",\"digest\":\"sha256:"
                      "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a\",\"size\":2,\"data\":\"e30=\"},\"layers\":[]}";
    CHECK_INT(parse(emb, NULL, &m, &e), DD_OK);
    dd_manifest_release(&m);
}

TEST(manifest_invalid)
{
    dd_manifest_t m;
    dd_err_t e = {0};
    struct {
        const char *json, *ct;
        int rc;
    } cases[] = {
        {"not json", NULL, DD_EINVAL},
        {"[]", NULL, DD_EINVAL},
        {"{\"schemaVersion\":1,\"fsLayers\":[]}", NULL, DD_EUNSUPPORTED},
        {"{\"schemaVersion\":3,\"config\":" DESC("a/b") ",\"layers\":[]}", NULL, DD_EINVAL},
        {"{\"schemaVersion\":\"2\",\"config\":" DESC("a/b") ",\"layers\":[]}", NULL, DD_EINVAL},
        {"{\"schemaVersion\":2,\"schemaVersion\":2,\"config\":" DESC("a/b") ",\"layers\":[]}", NULL, DD_EINVAL},
        {"{\"schemaVersion\":2,\"mediaType\":\"" DD_MT_OCI_MANIFEST "\",\"layers\":[]}", NULL, DD_EINVAL},
        {"{\"schemaVersion\":2,\"mediaType\":\"" DD_MT_OCI_MANIFEST "\",\"config\":" DESC("a/b") "}", NULL, DD_EINVAL},
        {"{\"schemaVersion\":2,\"mediaType\":\"" DD_MT_OCI_MANIFEST "\",\"config\":{\"mediaType\":\"a/b\",\"digest\":\"sha256:abc\",\"size\":1},\"layers\":[]}", NULL, DD_EINVAL},
        {"{\"schemaVersion\":2,\"mediaType\":\"" DD_MT_OCI_MANIFEST "\",\"config\":{\"mediaType\":\"a/b\",\"digest\":\"md5:abc\",\"size\":1},\"layers\":[]}", NULL, DD_EUNSUPPORTED},
        {"{\"schemaVersion\":2,\"mediaType\":\"" DD_MT_OCI_MANIFEST "\",\"config\":{\"mediaType\":\"a/b\",\"digest\":\"sha256:" H64 "\",\"size\":-1},\"layers\":[]}", NULL, DD_EINVAL},
        {"{\"schemaVersion\":2,\"mediaType\":\"" DD_MT_OCI_MANIFEST "\",\"config\":{\"mediaType\":\"a/b\",\"digest\":\"sha256:" H64 "\",\"size\":1.5},\"layers\":[]}", NULL, DD_EINVAL},
        {"{\"schemaVersion\":2,\"mediaType\":\"" DD_MT_OCI_MANIFEST "\",\"config\":{\"mediaType\":\"bad type\",\"digest\":\"sha256:" H64 "\",\"size\":1},\"layers\":[]}", NULL, DD_EINVAL},
        {"{\"schemaVersion\":2,\"mediaType\":\"" DD_MT_OCI_MANIFEST "\",\"config\":" DESC("a/b") ",\"layers\":{}}", NULL, DD_EINVAL},
        {"{\"schemaVersion\":2,\"mediaType\":\"" DD_MT_OCI_MANIFEST "\",\"config\":" DESC("a/b") ",\"layers\":[],\"annotations\":{\"a\":1}}", NULL, DD_EINVAL},
        {"{\"schemaVersion\":2,\"mediaType\":\"" DD_MT_OCI_MANIFEST "\",\"config\":" DESC("a/b") ",\"layers\":[]}", DD_MT_OCI_INDEX, DD_EINVAL},
        {"{\"schemaVersion\":2,\"mediaType\":\"text/plain\",\"config\":" DESC("a/b") ",\"layers\":[]}", NULL, DD_EUNSUPPORTED},
        {"{\"schemaVersion\":2,\"mediaType\":\"" DD_MT_OCI_MANIFEST "\",\"config\":" DESC(DD_MT_OCI_EMPTY) ",\"layers\":[]}", NULL, DD_EINVAL},
        {"{\"schemaVersion\":2,\"mediaType\":\"" DD_MT_OCI_INDEX "\",\"manifests\":[{\"mediaType\":\"a/b\",\"digest\":\"sha256:" H64 "\",\"size\":1,\"platform\":{\"os\":\"linux\"}}]}", NULL, DD_EINVAL},
        {"{\"schemaVersion\":2,\"mediaType\":\"" DD_MT_OCI_INDEX "\",\"manifests\":[],\"layers\":[]}", NULL, DD_EINVAL},
        {"{\"schemaVersion\":2,\"mediaType\":\"" DD_MT_DOCKER_LIST "\",\"manifests\":[" DESC("a/b") "]}", NULL, DD_EINVAL},
        {"{\"schemaVersion\":2,\"config\":" DESC("a/b") ",\"layers\":[],\"manifests\":[]}", NULL, DD_EINVAL},
        {"{\"schemaVersion\":2,\"config\":" DESC("a/b") ",\"layers\":[]}", DD_MT_DOCKER_MANIFEST, DD_EINVAL},
        /* embedded data: not base64, wrong size, wrong digest */
        {"{\"schemaVersion\":2,\"config\":{\"mediaType\":\"a/b\",\"digest\":\"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a\",\"size\":2,\"data\":\"e3!=\"},\"layers\":[]}", NULL, DD_EINVAL},
        {"{\"schemaVersion\":2,\"config\":{\"mediaType\":\"a/b\",\"digest\":\"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a\",\"size\":3,\"data\":\"e30=\"},\"layers\":[]}", NULL, DD_EINVAL},
        {"{\"schemaVersion\":2,\"config\":{\"mediaType\":\"a/b\",\"digest\":\"sha256:" H64 "\",\"size\":2,\"data\":\"e30=\"},\"layers\":[]}", NULL, DD_EINVAL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int rc = parse(cases[i].json, cases[i].ct, &m, &e);
        if (rc != cases[i].rc) fprintf(stderr, "  case %zu: rc %d (%s)\n", i, rc, e.msg);
        CHECK_INT(rc, cases[i].rc);
    }
    char *big = malloc(DD_MANIFEST_MAX + 2);
    memset(big, ' ', DD_MANIFEST_MAX + 1);
    CHECK_INT(dd_manifest_parse(big, DD_MANIFEST_MAX + 1, NULL, &m, &e), DD_ELIMIT);
    free(big);
}

TEST(config_parse)
{
    dd_buf_t b;
    dd_buf_init(&b, 0);
    CHECK_INT(dd_file_read(fixture("analyzer/oci/blobs/sha256/0993820fef09b164d207fd7050b04db246e8d61f7179e92541b0fe78d1a27a3c"), 1 << 20, &b, NULL), DD_OK);
    dd_image_config_t c;
    CHECK_INT(dd_image_config_parse(b.ptr, b.len, &c, NULL), DD_OK);
    CHECK_STR(c.os, "linux");
    CHECK_STR(c.architecture, "amd64");
    CHECK_STR(c.created, "2023-11-14T22:13:20Z");
    CHECK_INT(c.n_diff_ids, 2);
    CHECK_INT(c.n_history, 3);
    CHECK(c.n_history == 3 && c.history[0].empty_layer && !c.history[1].empty_layer);
    dd_image_config_release(&c);
    dd_buf_release(&b);
    CHECK_INT(dd_image_config_parse("{\"os\":1}", 8, &c, NULL), DD_EINVAL);
    CHECK_INT(dd_image_config_parse("{\"rootfs\":{\"diff_ids\":[\"x\"]}}", 29, &c, NULL), DD_EINVAL);
}

/* ---- sources -------------------------------------------------------------- */

static int open_list(const char *ref, const char *platform, dd_image_source_t **src, dd_image_desc_t **imgs,
                     size_t *n, dd_err_t *e)
{
    dd_image_opts_t o = {.platform = platform};
    int rc = dd_image_open(ref, &o, src, e);
    if (rc) return rc;
    rc = dd_image_list(*src, imgs, n, e);
    if (rc) {
        dd_image_close(*src);
        *src = NULL;
    }
    return rc;
}

static void overlay_of(dd_image_source_t *src, const dd_image_desc_t *img, const dd_layer_cache_t *cache,
                       dd_fileset_t *fs, size_t *analyzed, int *rc_out)
{
    dd_layer_result_t *L = NULL;
    dd_err_t e = {0};
    dd_fileset_init(fs);
    int rc = dd_image_analyze(src, img, cache, &L, analyzed, &e);
    *rc_out = rc;
    if (rc) {
        fprintf(stderr, "  analyze: %s\n", e.msg);
        return;
    }
    dd_overlay(L, img->n_layers, fs, NULL);
    for (size_t i = 0; i < img->n_layers; i++) dd_layer_result_release(&L[i]);
    free(L);
}

static void check_ubuntu(dd_fileset_t *fs, bool with_status)
{
    const dd_file_t *f = dd_fileset_get(fs, "etc/os-release");
    CHECK(f && strstr((char *)f->data, "ID=ubuntu") && f->layer == 0);
    f = dd_fileset_get(fs, "var/lib/dpkg/status");
    if (with_status) CHECK(f && f->len == 87894 && f->layer == 1);
    else CHECK(f == NULL);
}

TEST(oci_layout)
{
    char ref[4200];
    snprintf(ref, sizeof ref, "oci:%s:v1", fixture("analyzer/oci"));
    dd_image_source_t *src;
    dd_image_desc_t *imgs;
    size_t n;
    dd_err_t e = {0};
    CHECK_INT(open_list(ref, NULL, &src, &imgs, &n, &e), DD_OK);
    if (!src) return;
    CHECK_INT(n, 1);
    CHECK_STR(imgs[0].digest.str, "sha256:adc11982448da4b4a0688ccc6162804b975c1d2297c2ee18852608defd887773");
    CHECK_STR(imgs[0].ref, "v1");
    CHECK_STR(imgs[0].platform.os, "linux");
    CHECK_STR(imgs[0].platform.architecture, "amd64");
    CHECK_STR(imgs[0].config.digest.str, OCI_V1_CONFIG);
    CHECK_INT(imgs[0].n_layers, 2);
    CHECK_STR(imgs[0].layers[1].digest.str, OCI_L1);
    CHECK_STR(imgs[0].cfg.created, "2023-11-14T22:13:20Z");
    dd_fileset_t fs;
    size_t analyzed = 0;
    int rc;
    overlay_of(src, &imgs[0], NULL, &fs, &analyzed, &rc);
    CHECK_INT(rc, DD_OK);
    CHECK_INT(analyzed, 2);
    check_ubuntu(&fs, true);
    CHECK(dd_fileset_get(&fs, "etc/debian_version") != NULL);
    dd_fileset_release(&fs);
    dd_image_descs_free(imgs, n);
    dd_image_close(src);

    /* v2: the package db is deleted in a higher layer */
    snprintf(ref, sizeof ref, "oci:%s:v2", fixture("analyzer/oci"));
    CHECK_INT(open_list(ref, NULL, &src, &imgs, &n, &e), DD_OK);
    if (!src) return;
    CHECK_INT(imgs[0].n_layers, 3);
    overlay_of(src, &imgs[0], NULL, &fs, &analyzed, &rc);
    CHECK_INT(rc, DD_OK);
    check_ubuntu(&fs, false);
    dd_fileset_release(&fs);
    dd_image_descs_free(imgs, n);
    dd_image_close(src);

    /* no tag: every entry of index.json */
    snprintf(ref, sizeof ref, "oci:%s", fixture("analyzer/oci"));
    CHECK_INT(open_list(ref, NULL, &src, &imgs, &n, &e), DD_OK);
    CHECK_INT(n, 2);
    if (src) {
        dd_image_descs_free(imgs, n);
        dd_image_close(src);
    }
    snprintf(ref, sizeof ref, "oci:%s:nope", fixture("analyzer/oci"));
    CHECK_INT(open_list(ref, NULL, &src, &imgs, &n, &e), DD_ENOTFOUND);
    snprintf(ref, sizeof ref, "oci:%s:v1", fixture("analyzer/oci"));
    CHECK_INT(open_list(ref, "linux/arm64", &src, &imgs, &n, &e), DD_ENOTFOUND);
    CHECK_INT(open_list("oci:/nonexistent/dir", NULL, &src, &imgs, &n, &e), DD_ENOTFOUND);
    CHECK_INT(dd_image_open("ftp://x", NULL, &src, &e), DD_EUNSUPPORTED);
}

TEST(docker_archive)
{
    char ref[4200];
    snprintf(ref, sizeof ref, "docker-archive:%s", fixture("analyzer/docker-archive.tar"));
    dd_image_source_t *src;
    dd_image_desc_t *imgs;
    size_t n;
    dd_err_t e = {0};
    CHECK_INT(open_list(ref, NULL, &src, &imgs, &n, &e), DD_OK);
    if (!src) {
        fprintf(stderr, "  %s\n", e.msg);
        return;
    }
    CHECK_INT(n, 1);
    CHECK_STR(imgs[0].digest.str, OCI_V1_CONFIG);
    CHECK_STR(imgs[0].ref, "docker.io/drydock/fixture:v1");
    CHECK_STR(imgs[0].platform.architecture, "amd64");
    CHECK_INT(imgs[0].n_layers, 2);
    CHECK_STR(imgs[0].layers[0].digest.str, "sha256:90559cb796a56ddb5d6987e1bb9d4c6e2b78cfa96badfcf82c819e42eb699d11");
    dd_fileset_t fs;
    size_t analyzed;
    int rc;
    overlay_of(src, &imgs[0], NULL, &fs, &analyzed, &rc);
    CHECK_INT(rc, DD_OK);
    check_ubuntu(&fs, true);
    dd_fileset_release(&fs);
    dd_image_descs_free(imgs, n);
    dd_image_close(src);
    CHECK_INT(open_list("docker-archive:/nonexistent.tar", NULL, &src, &imgs, &n, &e), DD_ENOTFOUND);
    snprintf(ref, sizeof ref, "docker-archive:%s", fixture("analyzer/oci/oci-layout"));
    CHECK(open_list(ref, NULL, &src, &imgs, &n, &e) < 0);
}

/* A cache that stores serialized results, as the registry's will. */
typedef struct mcache {
    char key[8][DD_DIGEST_MAX];
    dd_buf_t val[8];
    int n, hits;
} mcache_t;

static int mc_get(void *arg, const dd_digest_t *d, dd_layer_result_t *out, dd_err_t *e)
{
    (void)e;
    mcache_t *c = arg;
    for (int i = 0; i < c->n; i++)
        if (strcmp(c->key[i], d->str) == 0) {
            c->hits++;
            return dd_layer_result_deserialize(c->val[i].ptr, c->val[i].len, out, NULL);
        }
    return DD_ENOTFOUND;
}

static void mc_put(void *arg, const dd_digest_t *d, int status, const dd_layer_result_t *r, const char *error)
{
    mcache_t *c = arg;
    (void)error;
    if (c->n == 8 || status != DD_OK) return;
    snprintf(c->key[c->n], DD_DIGEST_MAX, "%s", d->str);
    dd_buf_init(&c->val[c->n], 0);
    dd_layer_result_serialize(r, &c->val[c->n]);
    c->n++;
}

TEST(layer_cache)
{
    char ref[4200];
    snprintf(ref, sizeof ref, "oci:%s", fixture("analyzer/oci"));
    dd_image_source_t *src;
    dd_image_desc_t *imgs;
    size_t n;
    CHECK_INT(open_list(ref, NULL, &src, &imgs, &n, NULL), DD_OK);
    if (!src) return;
    mcache_t mc = {0};
    dd_layer_cache_t cache = {mc_get, mc_put, &mc};
    dd_fileset_t fs;
    size_t analyzed;
    int rc;
    /* v1 analyzes 2 layers; v2 shares them and analyzes only its own */
    overlay_of(src, &imgs[0], &cache, &fs, &analyzed, &rc);
    CHECK_INT(analyzed, 2);
    check_ubuntu(&fs, true);
    dd_fileset_release(&fs);
    overlay_of(src, &imgs[1], &cache, &fs, &analyzed, &rc);
    CHECK_INT(rc, DD_OK);
    CHECK_INT(analyzed, 1);
    CHECK_INT(mc.hits, 2);
    check_ubuntu(&fs, false);
    dd_fileset_release(&fs);
    overlay_of(src, &imgs[0], &cache, &fs, &analyzed, &rc);
    CHECK_INT(analyzed, 0);
    check_ubuntu(&fs, true);
    dd_fileset_release(&fs);
    for (int i = 0; i < mc.n; i++) dd_buf_release(&mc.val[i]);
    dd_image_descs_free(imgs, n);
    dd_image_close(src);
}

/* ---- a temp layout: copies, tampering, multi-platform ---------------------- */

static char tmpdir[256];

static void write_file(const char *rel, const void *p, size_t n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, rel);
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (!f) return;
    fwrite(p, 1, n, f);
    fclose(f);
}

static void put_blob(const char *data, dd_digest_t *d)
{
    dd_digest_buf(DD_DIGEST_SHA256, data, strlen(data), d);
    char rel[256];
    snprintf(rel, sizeof rel, "blobs/sha256/%s", dd_digest_hex(d));
    write_file(rel, data, strlen(data));
}

static void make_copy(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/dd-analyzer-test-XXXXXX");
    CHECK(mkdtemp(tmpdir) != NULL);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cp -r %s/. %s/", fixture("analyzer/oci"), tmpdir);
    CHECK(system(cmd) == 0);
    snprintf(cmd, sizeof cmd, "chmod -R u+w %s", tmpdir);
    CHECK(system(cmd) == 0);
}

static void remove_copy(void)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    CHECK(system(cmd) == 0);
}

TEST(tampered_blobs)
{
    make_copy();
    char ref[512];
    snprintf(ref, sizeof ref, "oci:%s:v1", tmpdir);
    /* flip one byte of layer 1 */
    char path[512];
    snprintf(path, sizeof path, "%s/blobs/sha256/%s", tmpdir, &OCI_L1[7]);
    FILE *f = fopen(path, "r+b");
    CHECK(f != NULL);
    if (f) {
        fseek(f, 100, SEEK_SET);
        int c = fgetc(f);
        fseek(f, 100, SEEK_SET);
        fputc(c ^ 1, f);
        fclose(f);
    }
    dd_image_source_t *src;
    dd_image_desc_t *imgs;
    size_t n;
    dd_err_t e = {0};
    CHECK_INT(open_list(ref, NULL, &src, &imgs, &n, &e), DD_OK);
    if (src) {
        dd_layer_result_t *L;
        int rc = dd_image_analyze(src, &imgs[0], NULL, &L, NULL, &e);
        /* a flipped byte inside deflate data is a corrupt stream or a digest mismatch */
        CHECK(rc == DD_EDIGEST || rc == DD_ECORRUPT);
        CHECK(strstr(e.msg, OCI_L1) != NULL);
        dd_image_descs_free(imgs, n);
        dd_image_close(src);
    }
    /* a tampered config: listing fails with a digest error */
    snprintf(path, sizeof path, "%s/blobs/sha256/%s", tmpdir, &OCI_V1_CONFIG[7]);
    f = fopen(path, "r+b");
    if (f) {
        fputc(' ', f);
        fclose(f);
    }
    CHECK_INT(open_list(ref, NULL, &src, &imgs, &n, &e), DD_EDIGEST);
    remove_copy();
}

TEST(multi_platform)
{
    make_copy();
    /* an arm64 config and manifest sharing the fixture's layers */
    dd_buf_t cfg;
    dd_buf_init(&cfg, 0);
    CHECK_INT(dd_file_read(fixture("analyzer/oci/blobs/sha256/0993820fef09b164d207fd7050b04db246e8d61f7179e92541b0fe78d1a27a3c"), 1 << 20, &cfg, NULL), DD_OK);
    char *arm = dd_strdup(cfg.ptr);
    char *p = strstr(arm, "\"amd64\"");
    CHECK(p != NULL);
    if (p) memcpy(p, "\"arm64\"", 7);
    dd_digest_t dcfg, dm_amd, dm_arm, dm_att, didx;
    put_blob(arm, &dcfg);
    char m_arm[2048];
    snprintf(m_arm, sizeof m_arm,
             "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu},"
             "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"%s\",\"size\":408},"
             "{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"%s\",\"size\":25868}]}",
             DD_MT_OCI_MANIFEST, DD_MT_OCI_CONFIG, dcfg.str, strlen(arm), OCI_L0, OCI_L1);
    put_blob(m_arm, &dm_arm);
    dd_digest_parse("sha256:adc11982448da4b4a0688ccc6162804b975c1d2297c2ee18852608defd887773", &dm_amd, NULL);
    /* an attestation-like manifest (platform unknown/unknown) */
    char m_att[1024];
    snprintf(m_att, sizeof m_att,
             "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu},\"layers\":[]}",
             DD_MT_OCI_MANIFEST, DD_MT_OCI_CONFIG, dcfg.str, strlen(arm));
    put_blob(m_att, &dm_att);
    char idx[4096];
    snprintf(idx, sizeof idx,
             "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"manifests\":["
             "{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":501,\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}},"
             "{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu,\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\",\"variant\":\"v8\"}},"
             "{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu,\"platform\":{\"os\":\"unknown\",\"architecture\":\"unknown\"}}]}",
             DD_MT_OCI_INDEX, DD_MT_OCI_MANIFEST, dm_amd.str, DD_MT_OCI_MANIFEST, dm_arm.str, strlen(m_arm),
             DD_MT_OCI_MANIFEST, dm_att.str, strlen(m_att));
    put_blob(idx, &didx);
    char top[1024];
    snprintf(top, sizeof top,
             "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu,"
             "\"annotations\":{\"org.opencontainers.image.ref.name\":\"multi\"}}]}",
             DD_MT_OCI_INDEX, didx.str, strlen(idx));
    write_file("index.json", top, strlen(top));

    char ref[512];
    snprintf(ref, sizeof ref, "oci:%s:multi", tmpdir);
    dd_image_source_t *src;
    dd_image_desc_t *imgs;
    size_t n;
    dd_err_t e = {0};
    CHECK_INT(open_list(ref, NULL, &src, &imgs, &n, &e), DD_OK);
    if (src) {
        CHECK_INT(n, 2);
        CHECK_STR(imgs[0].platform.architecture, "amd64");
        CHECK_STR(imgs[1].platform.architecture, "arm64");
        CHECK_STR(imgs[1].platform.variant, "v8");
        CHECK_STR(imgs[1].digest.str, dm_arm.str);
        CHECK_STR(imgs[1].ref, "multi");
        dd_image_descs_free(imgs, n);
        dd_image_close(src);
    }
    CHECK_INT(open_list(ref, "linux/arm64", &src, &imgs, &n, &e), DD_OK);
    if (src) {
        CHECK_INT(n, 1);
        CHECK_STR(imgs[0].cfg.architecture, "arm64");
        dd_fileset_t fs;
        size_t analyzed;
        int rc;
        overlay_of(src, &imgs[0], NULL, &fs, &analyzed, &rc);
        CHECK_INT(rc, DD_OK);
        check_ubuntu(&fs, true);
        dd_fileset_release(&fs);
        dd_image_descs_free(imgs, n);
        dd_image_close(src);
    }
    CHECK_INT(open_list(ref, "linux/s390x", &src, &imgs, &n, &e), DD_ENOTFOUND);
    free(arm);
    dd_buf_release(&cfg);
    remove_copy();
}

/* A newer `docker save` layout: blobs/sha256/<hex> names, gzip layers, and
 * a config whose diff_ids must match the decompressed layers. */
static void tar_add(struct archive *a, const char *name, const void *p, size_t n)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, (la_int64_t)n);
    archive_write_header(a, e);
    archive_write_data(a, p, n);
    archive_entry_free(e);
}

static void make_archive(const char *path, bool good_diff_ids)
{
    dd_buf_t cfg, l0, l1;
    dd_buf_init(&cfg, 0);
    dd_buf_init(&l0, 0);
    dd_buf_init(&l1, 0);
    dd_file_read(fixture("analyzer/oci/blobs/sha256/0993820fef09b164d207fd7050b04db246e8d61f7179e92541b0fe78d1a27a3c"), 1 << 20, &cfg, NULL);
    dd_file_read(fixture("analyzer/oci/blobs/sha256/35d116b8f8657fa3dd5d282487d41623c59e09b7561dba84cf96afc02164e471"), 1 << 20, &l0, NULL);
    dd_file_read(fixture("analyzer/oci/blobs/sha256/e73f0dc785be0307a7c2735c7bf939e547b9e1b1e0a6c1d2e3c73a4aed1025d8"), 1 << 20, &l1, NULL);
    if (!good_diff_ids) {
        char *p = strstr(cfg.ptr, "sha256:5261");
        if (p) memcpy(p + 7, "0000", 4);
    }
    dd_digest_t dc;
    dd_digest_buf(DD_DIGEST_SHA256, cfg.ptr, cfg.len, &dc);
    char cfgname[128], man[1024];
    snprintf(cfgname, sizeof cfgname, "blobs/sha256/%s", dd_digest_hex(&dc));
    snprintf(man, sizeof man,
             "[{\"Config\":\"%s\",\"RepoTags\":[\"x/y:z\"],\"Layers\":[\"blobs/sha256/%s\",\"blobs/sha256/%s\"]}]",
             cfgname, &OCI_L0[7], &OCI_L1[7]);
    struct archive *a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    archive_write_open_filename(a, path);
    char n0[128], n1[128];
    snprintf(n0, sizeof n0, "blobs/sha256/%s", &OCI_L0[7]);
    snprintf(n1, sizeof n1, "blobs/sha256/%s", &OCI_L1[7]);
    tar_add(a, n1, l1.ptr, l1.len); /* out of order on purpose */
    tar_add(a, n0, l0.ptr, l0.len);
    tar_add(a, cfgname, cfg.ptr, cfg.len);
    tar_add(a, "manifest.json", man, strlen(man));
    archive_write_close(a);
    archive_write_free(a);
    dd_buf_release(&cfg);
    dd_buf_release(&l0);
    dd_buf_release(&l1);
}

TEST(docker_archive_new_layout)
{
    char path[] = "/tmp/dd-archive-test-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    make_archive(path, true);
    char ref[256];
    snprintf(ref, sizeof ref, "docker-archive:%s", path);
    dd_image_source_t *src;
    dd_image_desc_t *imgs;
    size_t n;
    dd_err_t e = {0};
    CHECK_INT(open_list(ref, NULL, &src, &imgs, &n, &e), DD_OK);
    if (src) {
        CHECK_STR(imgs[0].ref, "x/y:z");
        dd_fileset_t fs;
        size_t analyzed;
        int rc;
        overlay_of(src, &imgs[0], NULL, &fs, &analyzed, &rc);
        CHECK_INT(rc, DD_OK);
        CHECK_INT(analyzed, 2);
        check_ubuntu(&fs, true);
        dd_fileset_release(&fs);
        dd_image_descs_free(imgs, n);
        dd_image_close(src);
    }
    /* a layer whose DiffID doesn't match the config */
    make_archive(path, false);
    CHECK_INT(open_list(ref, NULL, &src, &imgs, &n, &e), DD_OK);
    if (src) {
        dd_layer_result_t *L;
        CHECK_INT(dd_image_analyze(src, &imgs[0], NULL, &L, NULL, &e), DD_EDIGEST);
        CHECK(strstr(e.msg, "DiffID") != NULL);
        dd_image_descs_free(imgs, n);
        dd_image_close(src);
    }
    unlink(path);
}

TEST(docker_ref)
{
    dd_docker_ref_t r;
    CHECK_INT(dd_docker_ref_parse("127.0.0.1:5000/library/debian:12", &r, NULL), DD_OK);
    CHECK_STR(r.host, "127.0.0.1:5000");
    CHECK_STR(r.repo, "library/debian");
    CHECK_STR(r.tag, "12");
    CHECK_INT(dd_docker_ref_parse("localhost/a/b", &r, NULL), DD_OK);
    CHECK_STR(r.tag, "latest");
    CHECK_INT(dd_docker_ref_parse("h:1/a@sha256:" H64, &r, NULL), DD_OK);
    CHECK_STR(r.digest, "sha256:" H64);
    CHECK_STR(r.tag, "");
    CHECK_INT(dd_docker_ref_parse("noslash", &r, NULL), DD_EINVAL);
    CHECK_INT(dd_docker_ref_parse("h/A", &r, NULL), DD_EINVAL);
    CHECK_INT(dd_docker_ref_parse("h/a:", &r, NULL), DD_EINVAL);
    CHECK_INT(dd_docker_ref_parse("h/a@sha256:zz", &r, NULL), DD_EINVAL);
    CHECK_INT(dd_docker_ref_parse("h/a//b", &r, NULL), DD_EINVAL);
    CHECK_INT(dd_docker_ref_parse("h/a:t/x", &r, NULL), DD_EINVAL);
}

TEST_MAIN(RUN(manifest_valid); RUN(manifest_invalid); RUN(config_parse); RUN(oci_layout);
          RUN(docker_archive); RUN(docker_archive_new_layout); RUN(layer_cache); RUN(tampered_blobs); RUN(multi_platform);
          RUN(docker_ref))
