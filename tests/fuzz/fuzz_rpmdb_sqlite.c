/*
 * fuzz_rpmdb_sqlite.c: libFuzzer driver for the rpm sqlite database reader
 * (dd_rpmdb_sqlite_each), each blob then parsed as an rpm header.
 */
#include "dd/catalog.h"

static int on_blob(const uint8_t *blob, size_t len, void *arg)
{
    (void)arg;
    dd_rpm_header_t h;
    (void)dd_rpm_header_parse(blob, len, &h, NULL);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    (void)dd_rpmdb_sqlite_each(data, size, on_blob, NULL, NULL);
    return 0;
}
