/*
 * storage_int.h: what the blob-store wrapper layer (src/storage/blobstore.c)
 * shares with its drivers and with the unit tests: the driver vtables and
 * the fault-injection hook. Nothing here is for the registry.
 */
#ifndef DD_STORAGE_INT_H
#define DD_STORAGE_INT_H

#include <stdbool.h>

#include "dd/blobstore.h"

extern const dd_blobstore_ops_t dd_blobstore_fs_ops;

/*
 * Fault injection (tests only). A driver calls dd_storage_fault("point")
 * just before the system call it names; when it returns true the driver
 * behaves as if that call failed (blob_write: a short write, then ENOSPC).
 *
 * Points: "blob_write" (any data write), "blob_fsync" (fsync of a blob
 * before it is published), "blob_rename" (the publishing rename).
 *
 * Armed either by dd_storage_fault_set("blob_write", 3) (the 3rd hit fails,
 * once) or by the environment, DD_FAULT=blob_write:3, read at the first hit.
 * dd_storage_fault_set(NULL, 0) disarms.
 */
void dd_storage_fault_set(const char *point, long nth);
bool dd_storage_fault(const char *point);

#endif
