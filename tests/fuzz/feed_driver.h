/*
 * feed_driver.h: the one libFuzzer driver for the feed importers. A target
 * is a two-line file, tests/fuzz/fuzz_<feed>.c, that defines FUZZ_FEED (the
 * feed's name in the registry, the table in src/feeds/feeds.c) and includes this
 * header, so each importer keeps its own target, corpus and dictionary.
 *
 * Arbitrary bytes go through dd_feed_detect() and the feed's import_mem (the
 * path every file, directory member and archive entry takes) into an
 * in-memory vulnerability database; the importer must reject or skip bad
 * input without crashing or leaking.
 */
#ifndef DD_FUZZ_FEED_DRIVER_H
#define DD_FUZZ_FEED_DRIVER_H

#include "dd/feeds.h"
#include "dd/vulndb.h"

#include <stdint.h>
#include <stdlib.h>

#ifndef FUZZ_FEED
#error "define FUZZ_FEED (the feed's registry name) before including feed_driver.h"
#endif

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
    const dd_feed_t *f = dd_feed_find(FUZZ_FEED);
    if (!f) abort(); /* a target names a feed that is not registered */
    dd_feed_stats_t st = {0};
    dd_err_t e = {0};
    (void)dd_feed_detect(data, size);
    (void)f->import_mem(db, NULL, data, size, &st, &e);
    return 0;
}

#endif
