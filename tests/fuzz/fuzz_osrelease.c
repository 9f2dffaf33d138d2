/*
 * fuzz_osrelease.c: libFuzzer driver for OS detection: the os-release parser
 * and, with the same bytes as each distribution file, dd_os_detect(); then
 * the release links: the input split at its first two newlines into two link
 * targets (etc/redhat-release, etc/os-release) and the content of
 * etc/centos-release, so link resolution inside the fileset is exercised.
 */
#include "dd/catalog.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dd_os_t os = {0};
    dd_arena_t a;
    dd_arena_init(&a);
    (void)dd_os_release_parse((const char *)data, size, &a, &os);
    memset(&os, 0, sizeof os);

    static const char *const paths[] = {"etc/alpine-release", "etc/centos-release", "etc/debian_version",
                                        "etc/fedora-release", "etc/redhat-release", "etc/system-release",
                                        "usr/lib/os-release"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        dd_fileset_t fs;
        dd_fileset_init(&fs);
        dd_fileset_put(&fs, paths[i], data, size, 0, 0100644);
        (void)dd_os_detect(&fs, &a, &os);
        memset(&os, 0, sizeof os);
        dd_fileset_release(&fs);
    }
    /* links: "<target1>\n<target2>\n<content>" */
    const uint8_t *nl1 = memchr(data, '\n', size);
    const uint8_t *nl2 = nl1 ? memchr(nl1 + 1, '\n', size - (size_t)(nl1 + 1 - data)) : NULL;
    if (nl1 && nl2) {
        dd_fileset_t fs;
        dd_fileset_init(&fs);
        dd_fileset_put(&fs, "etc/redhat-release", data, (size_t)(nl1 - data), 0, 0120777);
        dd_fileset_put(&fs, "etc/os-release", nl1 + 1, (size_t)(nl2 - nl1 - 1), 0, 0120777);
        dd_fileset_put(&fs, "etc/system-release", "redhat-release", 14, 0, 0120777);
        dd_fileset_put(&fs, "etc/centos-release", nl2 + 1, size - (size_t)(nl2 + 1 - data), 0, 0100644);
        (void)dd_os_detect(&fs, &a, &os);
        memset(&os, 0, sizeof os);
        dd_fileset_release(&fs);
    }
    dd_arena_release(&a);
    return 0;
}
