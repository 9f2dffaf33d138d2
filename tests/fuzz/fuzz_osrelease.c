/*
 * fuzz_osrelease.c: libFuzzer driver for OS detection: the os-release parser
 * and, with the same bytes as each distribution file, dd_os_detect().
 */
#include "dd/catalog.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dd_os_t os = {0};
    (void)dd_os_release_parse((const char *)data, size, &os);
    dd_os_release(&os);

    static const char *const paths[] = {"etc/alpine-release", "etc/debian_version", "etc/redhat-release",
                                        "usr/lib/os-release"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        dd_fileset_t fs;
        dd_fileset_init(&fs);
        dd_fileset_put(&fs, paths[i], data, size, 0, 0100644);
        (void)dd_os_detect(&fs, &os);
        dd_os_release(&os);
        dd_fileset_release(&fs);
    }
    return 0;
}
