/*
 * fuzz_csaf_vex.c: libFuzzer driver for the Red Hat CSAF VEX
 * (csaf-vex) feed importer: arbitrary bytes are imported into
 * an in-memory vulnerability database (import_mem, the path every file,
 * directory member and archive entry takes); the importer must reject or
 * skip bad input without crashing or leaking.
 */
#include "dd/feeds.h"
#include "dd/vulndb.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20)) return 0;
    /* one in-memory database per 256 inputs: creating the schema dominates
     * the cost of small inputs; reopening bounds its growth */
    static dd_vulndb_t *db;
    static unsigned uses;
    if (db && ++uses % 256 == 0) {
        dd_vulndb_close(db);
        db = NULL;
    }
    if (!db && dd_vulndb_open(":memory:", false, &db, NULL) != DD_OK) abort();
    const dd_feed_t *f = dd_feed_find("csaf-vex");
    dd_feed_stats_t st = {0};
    dd_err_t e = {0};
    (void)dd_feed_detect(data, size);
    (void)f->import_mem(db, NULL, data, size, &st, &e);
    return 0;
}
