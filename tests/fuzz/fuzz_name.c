/*
 * fuzz_name.c: libFuzzer driver for the repository name and tag grammars
 * (checks a few invariants of accepted names).
 */
#include "dd/registry.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1024) return 0;
    char buf[1025];
    memcpy(buf, data, size);
    buf[size] = '\0';
    if (dd_repo_name_valid(buf)) {
        size_t n = strlen(buf);
        if (n == 0 || n > DD_REPO_NAME_MAX || strstr(buf, "//") || strstr(buf, "..") || buf[0] == '/' ||
            buf[n - 1] == '/')
            __builtin_trap();
    }
    if (dd_tag_valid(buf) && (strlen(buf) > 128 || strchr(buf, '/') || strchr(buf, ':'))) __builtin_trap();
    return 0;
}
