/*
 * fileset.c: dd_fileset_t, a path-sorted array of small kept files.
 * Filesets hold tens to a few thousand entries, so a sorted array with
 * binary search beats a hash table on memory and simplicity.
 */
#include "dd/fileset.h"

#include <stdlib.h>
#include <string.h>

void dd_fileset_init(dd_fileset_t *fs)
{
    memset(fs, 0, sizeof *fs);
    fs->sorted = true;
}

void dd_fileset_release(dd_fileset_t *fs)
{
    for (size_t i = 0; i < fs->n; i++) {
        free(fs->files[i].path);
        free(fs->files[i].data);
    }
    free(fs->files);
    dd_fileset_init(fs);
}

static int cmp_file(const void *a, const void *b)
{
    return strcmp(((const dd_file_t *)a)->path, ((const dd_file_t *)b)->path);
}

void dd_fileset_sort(dd_fileset_t *fs)
{
    if (fs->sorted) return;
    qsort(fs->files, fs->n, sizeof *fs->files, cmp_file);
    /* keep the last of equal paths: put() replaces, so there are none */
    fs->sorted = true;
}

static dd_file_t *find(dd_fileset_t *fs, const char *path)
{
    dd_fileset_sort(fs);
    size_t lo = 0, hi = fs->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(fs->files[mid].path, path);
        if (c == 0) return &fs->files[mid];
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

const dd_file_t *dd_fileset_get(dd_fileset_t *fs, const char *path)
{
    return find(fs, path);
}

void dd_fileset_put(dd_fileset_t *fs, const char *path, const void *data, size_t len, int layer,
                    uint32_t mode)
{
    dd_file_t *f = find(fs, path);
    if (!f) {
        if (fs->n == fs->cap) {
            fs->cap = fs->cap ? fs->cap * 2 : 16;
            fs->files = dd_realloc(fs->files, fs->cap * sizeof *fs->files);
        }
        f = &fs->files[fs->n++];
        f->path = dd_strdup(path);
        f->data = NULL;
        f->len = 0;
        fs->sorted = fs->n == 1 || strcmp(fs->files[fs->n - 2].path, path) < 0;
    } else {
        fs->bytes -= f->len;
        free(f->data);
    }
    f->data = dd_malloc(len + 1);
    if (len) memcpy(f->data, data, len);
    f->data[len] = '\0';
    f->len = len;
    f->layer = layer;
    f->mode = mode;
    fs->bytes += len;
}

static void remove_at(dd_fileset_t *fs, size_t i)
{
    fs->bytes -= fs->files[i].len;
    free(fs->files[i].path);
    free(fs->files[i].data);
    memmove(&fs->files[i], &fs->files[i + 1], (fs->n - i - 1) * sizeof *fs->files);
    fs->n--;
}

bool dd_fileset_remove(dd_fileset_t *fs, const char *path)
{
    dd_file_t *f = find(fs, path);
    if (!f) return false;
    remove_at(fs, (size_t)(f - fs->files));
    return true;
}

size_t dd_fileset_remove_under(dd_fileset_t *fs, const char *dir)
{
    dd_fileset_sort(fs);
    size_t dl = strlen(dir), removed = 0;
    /* the paths starting with dir are one run of the sorted array: find its
     * start by bisection, so an overlay applying thousands of whiteouts to
     * a large fileset does not scan it once per whiteout */
    size_t lo = 0, hi = fs->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strncmp(fs->files[mid].path, dir, dl) < 0) lo = mid + 1;
        else hi = mid;
    }
    for (size_t i = lo; i < fs->n;) {
        const char *p = fs->files[i].path;
        if (strncmp(p, dir, dl) != 0) break;
        if (dl == 0 || p[dl] == '/') {
            remove_at(fs, i);
            removed++;
        } else {
            i++;
        }
    }
    return removed;
}

int dd_fileset_each_prefix(dd_fileset_t *fs, const char *prefix,
                           int (*fn)(const dd_file_t *f, void *arg), void *arg)
{
    dd_fileset_sort(fs);
    size_t pl = strlen(prefix);
    for (size_t i = 0; i < fs->n; i++) {
        if (strncmp(fs->files[i].path, prefix, pl) != 0) continue;
        int rc = fn(&fs->files[i], arg);
        if (rc) return rc;
    }
    return 0;
}

int dd_path_normalize(const char *in, char *out, size_t outsz)
{
    size_t o = 0;
    const char *p = in;
    while (*p) {
        while (*p == '/') p++;
        if (!*p) break;
        const char *seg = p;
        while (*p && *p != '/') p++;
        size_t sl = (size_t)(p - seg);
        if (sl == 1 && seg[0] == '.') continue;
        if (sl == 2 && seg[0] == '.' && seg[1] == '.') {
            if (o == 0) return DD_EINVAL; /* escapes the root */
            while (o > 0 && out[o - 1] != '/') o--;
            if (o > 0) o--;
            continue;
        }
        if (o + (o ? 1 : 0) + sl + 1 > outsz) return DD_ELIMIT;
        if (o) out[o++] = '/';
        memcpy(out + o, seg, sl);
        o += sl;
    }
    if (o == 0) return DD_EINVAL;
    out[o] = '\0';
    return DD_OK;
}
