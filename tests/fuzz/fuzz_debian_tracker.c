/*
 * fuzz_debian_tracker.c: libFuzzer target for the debian-tracker feed importer (Debian security tracker JSON);
 * the driver is the shared one in feed_driver.h.
 */
#define FUZZ_FEED "debian-tracker"
#include "feed_driver.h"
