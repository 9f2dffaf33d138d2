/*
 * fuzz_kev.c: libFuzzer target for the kev feed importer (CISA KEV catalog JSON);
 * the driver is the shared one in feed_driver.h.
 */
#define FUZZ_FEED "kev"
#include "feed_driver.h"
