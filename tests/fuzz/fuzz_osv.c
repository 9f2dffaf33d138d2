/*
 * fuzz_osv.c: libFuzzer target for the osv feed importer (OSV JSON);
 * the driver is the shared one in feed_driver.h.
 */
#define FUZZ_FEED "osv"
#include "feed_driver.h"
