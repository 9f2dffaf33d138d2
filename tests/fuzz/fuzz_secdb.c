/*
 * fuzz_secdb.c: libFuzzer target for the alpine-secdb feed importer (Alpine secdb JSON);
 * the driver is the shared one in feed_driver.h.
 */
#define FUZZ_FEED "alpine-secdb"
#include "feed_driver.h"
