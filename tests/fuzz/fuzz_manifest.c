/*
 * fuzz_manifest.c: the manifest / index parser (with and without each
 * Content-Type) and the image config reader.
 */
#include <stdint.h>
#include <stdlib.h>

#include "dd/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *cts[] = {NULL, DD_MT_OCI_MANIFEST, DD_MT_OCI_INDEX, DD_MT_DOCKER_MANIFEST,
                                DD_MT_DOCKER_LIST "; charset=utf-8"};
    const char *ct = cts[size % 5];
    dd_manifest_t m;
    if (dd_manifest_parse(data, size, ct, &m, NULL) == DD_OK) {
        if (m.kind == DD_MANIFEST_IMAGE && !m.config.media_type) abort();
        for (size_t i = 0; i < m.n_manifests; i++) {
            char buf[128];
            if (m.manifests[i].has_platform) {
                dd_platform_format(&m.manifests[i].platform, buf, sizeof buf);
                (void)dd_platform_match(&m.manifests[i].platform, "linux/arm64/v8");
            }
        }
        dd_manifest_release(&m);
    }
    dd_image_config_t c;
    if (dd_image_config_parse(data, size, &c, NULL) == DD_OK) dd_image_config_release(&c);
    return 0;
}
