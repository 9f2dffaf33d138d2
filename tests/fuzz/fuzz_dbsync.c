/*
 * fuzz_dbsync.c: libFuzzer driver for the untrusted inputs of `db update`
 * beyond the feed importers (which have their own drivers). The first byte
 * picks the target, the rest is the input:
 *   0  a downloaded tar archive      -> dd_fetch_extract_tar() (safe paths)
 *   1  an OCI layout's index.json    -> dd_vulndb_artifact_pull(oci-layout:)
 *   2  the manifest an index points at (the index is made valid)
 *   3  the layer (zstd SQLite) of a valid manifest -> decompression and the
 *      checks of dd_vulndb_replace()
 *   4  an Amazon Linux repomd.xml    -> dd_alas_repomd_updateinfo()
 * Files live in a per-process directory under /tmp that is emptied per input.
 */
#include "dd/dbsync.h"
#include "dd/digest.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[128];

static void put(const char *rel, const void *p, size_t n)
{
    char *f = dd_asprintf("%s/%s", dir, rel);
    FILE *fp = fopen(f, "wb");
    if (fp) {
        fwrite(p, 1, n, fp);
        fclose(fp);
    }
    free(f);
}

static void put_blob(const void *p, size_t n, char digest[80])
{
    dd_digest_t d;
    dd_digest_buf(DD_DIGEST_SHA256, p, n, &d);
    snprintf(digest, 80, "%s", d.str);
    char rel[128];
    snprintf(rel, sizeof rel, "layout/blobs/sha256/%s", d.str + 7);
    put(rel, p, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > (1u << 20)) return 0;
    if (!dir[0]) snprintf(dir, sizeof dir, "/tmp/fuzz_dbsync.%d", (int)getpid());
    dd_fetch_remove_tree(dir);
    char *bd = dd_asprintf("%s/layout/blobs/sha256", dir);
    dd_mkdirs(bd, 0755, NULL);
    free(bd);
    const uint8_t *in = data + 1;
    size_t n = size - 1;
    char *spec = dd_asprintf("oci-layout:%s/layout:t", dir);
    char *db = dd_asprintf("%s/db/vuln.db", dir);
    dd_err_t e = {0};
    int64_t v;
    dd_oci_remote_opts_t ro = {.max_db_bytes = 16 << 20}; /* zstd bombs stay small */
    switch (data[0] % 5) {
    case 0: {
        put("in.tar", in, n);
        char *src = dd_asprintf("%s/in.tar", dir), *out = dd_asprintf("%s/out", dir);
        (void)dd_fetch_extract_tar(src, out, &e);
        free(src);
        free(out);
        break;
    }
    case 1:
        put("layout/index.json", in, n);
        (void)dd_vulndb_artifact_pull(spec, db, &ro, &v, &e);
        break;
    case 2:
    case 3: {
        char md[80], ld[80], cd[80];
        put_blob("{}", 2, cd);
        const char *manifest = (const char *)in;
        size_t mlen = n;
        char *made = NULL;
        if (data[0] % 5 == 3) {
            put_blob(in, n, ld);
            made = dd_asprintf("{\"schemaVersion\":2,\"mediaType\":\"%s\",\"artifactType\":\"%s\",\"config\":"
                               "{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":2},\"layers\":[{\"mediaType\":"
                               "\"%s\",\"digest\":\"%s\",\"size\":%zu}]}",
                               DD_OCI_MANIFEST_TYPE, DD_VULNDB_ARTIFACT_TYPE, DD_OCI_EMPTY_TYPE, cd,
                               DD_VULNDB_LAYER_TYPE, ld, n);
            manifest = made;
            mlen = strlen(made);
        }
        put_blob(manifest, mlen, md);
        char *idx = dd_asprintf("{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"%s\",\"digest\":\"%s\","
                                "\"size\":%zu,\"annotations\":{\"org.opencontainers.image.ref.name\":\"t\"}}]}",
                                DD_OCI_MANIFEST_TYPE, md, mlen);
        put("layout/index.json", idx, strlen(idx));
        (void)dd_vulndb_artifact_pull(spec, db, &ro, &v, &e);
        free(idx);
        free(made);
        break;
    }
    case 4: {
        char href[512];
        (void)dd_alas_repomd_updateinfo((const char *)in, n, href, sizeof href, &e);
        break;
    }
    }
    free(spec);
    free(db);
    return 0;
}
