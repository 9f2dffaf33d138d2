/*
 * fuzz_image_archive.c: bytes as a docker-archive tarball (manifest.json,
 * configs, symlinked and compressed layers): open, list, analyze each
 * image. The bytes live in a memfd opened through /proc/self/fd.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dd/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz-archive", 0);
    if (fd < 0) return 0;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    char ref[64];
    snprintf(ref, sizeof ref, "docker-archive:/proc/self/fd/%d", fd);
    dd_analyze_limits_t lim;
    dd_analyze_limits_default(&lim);
    lim.max_out_bytes = 32u << 20;
    lim.max_entries = 10000;
    dd_image_opts_t o = {.limits = &lim};
    dd_image_source_t *src = NULL;
    if (dd_image_open(ref, &o, &src, NULL) == DD_OK) {
        dd_image_desc_t *imgs = NULL;
        size_t n = 0;
        if (dd_image_list(src, &imgs, &n, NULL) == DD_OK) {
            for (size_t i = 0; i < n && i < 4; i++) {
                dd_layer_result_t *L = NULL;
                if (dd_image_analyze(src, &imgs[i], NULL, &L, NULL, NULL) == DD_OK) {
                    for (size_t k = 0; k < imgs[i].n_layers; k++) dd_layer_result_release(&L[k]);
                    free(L);
                }
            }
            dd_image_descs_free(imgs, n);
        }
        dd_image_close(src);
    }
    close(fd);
    return 0;
}
