/*
 * fuzz_csaf_vex.c: libFuzzer target for the csaf-vex feed importer (Red Hat CSAF VEX);
 * the driver is the shared one in feed_driver.h.
 */
#define FUZZ_FEED "csaf-vex"
#include "feed_driver.h"
