/*
 * fuzz_cve5.c: libFuzzer target for the cve5 feed importer (CVE JSON 5 records: one, an array, or a zip of them);
 * the driver is the shared one in feed_driver.h.
 */
#define FUZZ_FEED "cve5"
#include "feed_driver.h"
