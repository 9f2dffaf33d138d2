/*
 * fuzz_alas.c: libFuzzer target for the alas feed importer (Amazon Linux ALAS updateinfo);
 * the driver is the shared one in feed_driver.h.
 */
#define FUZZ_FEED "alas"
#include "feed_driver.h"
