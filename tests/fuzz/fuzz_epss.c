/*
 * fuzz_epss.c: libFuzzer target for the epss feed importer (EPSS CSV, plain or gzip);
 * the driver is the shared one in feed_driver.h.
 */
#define FUZZ_FEED "epss"
#include "feed_driver.h"
