/*
 * fileset.h: a set of small files kept from an image, by path.
 *
 * This is the hand-off between the layer analyzer (which streams layers and
 * keeps only the files the catalogers want, plus whiteouts) and the
 * catalogers (which read package databases and OS release files out of it).
 * A fileset is also what the overlay of an image's layers produces.
 *
 * Paths are normalized: relative, no leading "/" or "./", no "." or ".."
 * components, no doubled slashes ("etc/os-release").
 *
 * Ownership: the fileset owns every path and data buffer in it.
 */
#ifndef DD_FILESET_H
#define DD_FILESET_H

#include "dd/core.h"

typedef struct dd_file {
    char *path;          /* normalized path */
    unsigned char *data; /* contents (NUL-terminated for convenience; len excludes it) */
    size_t len;
    int layer;           /* index of the layer that provided it (0 = base), -1 if unknown */
    uint32_t mode;       /* st_mode bits as recorded in the tar header, 0 if unknown */
} dd_file_t;

typedef struct dd_fileset {
    dd_file_t *files;    /* sorted by path after dd_fileset_sort / lookups */
    size_t n, cap;
    bool sorted;
    size_t bytes;        /* sum of data lengths */
} dd_fileset_t;

void dd_fileset_init(dd_fileset_t *fs);
void dd_fileset_release(dd_fileset_t *fs);
/* Adds (or replaces) path with a copy of data. */
void dd_fileset_put(dd_fileset_t *fs, const char *path, const void *data, size_t len, int layer,
                    uint32_t mode);
/* Removes path; returns true if it was there. */
bool dd_fileset_remove(dd_fileset_t *fs, const char *path);
/* Removes every file under dir/ (not dir itself). Returns how many. */
size_t dd_fileset_remove_under(dd_fileset_t *fs, const char *dir);
/* Borrowed pointer, valid until the fileset changes. NULL if absent. */
const dd_file_t *dd_fileset_get(dd_fileset_t *fs, const char *path);
/* Sorts by path (done lazily by lookups too). */
void dd_fileset_sort(dd_fileset_t *fs);
/* Calls fn for each file whose path starts with prefix, in path order.
 * fn returns non-zero to stop; that value is returned. */
int dd_fileset_each_prefix(dd_fileset_t *fs, const char *prefix,
                           int (*fn)(const dd_file_t *f, void *arg), void *arg);

/* Normalizes a tar member name into out (size outsz). Returns DD_EINVAL for
 * names that escape the root ("../x", "a/../../x") or are empty after
 * normalization. */
int dd_path_normalize(const char *in, char *out, size_t outsz);

#endif
