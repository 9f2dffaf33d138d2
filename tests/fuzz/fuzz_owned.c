/*
 * fuzz_owned.c: libFuzzer driver for the OS-file ownership readers: the
 * first byte picks dpkg .list, apk installed or an rpm header blob's file
 * list (BASENAMES/DIRNAMES/DIRINDEXES); the rest is the input.
 */
#include "dd/catalog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    dd_owned_t o;
    dd_owned_init(&o);
    const char *p = (const char *)data + 1;
    size_t n = size - 1;
    switch (data[0] % 3) {
    case 0: dd_owned_add_dpkg_list(&o, p, n); break;
    case 1: dd_owned_add_apk(&o, p, n); break;
    default: (void)dd_owned_add_rpm_header(&o, data + 1, n); break;
    }
    (void)dd_owned_has(&o, "usr/lib/python3/dist-packages/x.egg-info/PKG-INFO");
    dd_owned_release(&o);
    return 0;
}
