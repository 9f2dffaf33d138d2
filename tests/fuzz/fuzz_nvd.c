/*
 * fuzz_nvd.c: libFuzzer target for the nvd feed importer (NVD CVE API 2.0 JSON);
 * the driver is the shared one in feed_driver.h.
 */
#define FUZZ_FEED "nvd"
#include "feed_driver.h"
