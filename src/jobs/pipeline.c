/*
 * pipeline.c: the part of a scan shared by `drydock scan` and the server's
 * workers: an image's ordered layer results -> overlay -> catalog ->
 * inventory, with each package attributed to the layer that first added it.
 *
 * Attribution: the overlay only says which layer last wrote a package
 * database file. The history of each database file (every version the layers
 * wrote, cut at the last whiteout or opaque directory that removed it) lets
 * dd_catalog_attribute_layers() find the first layer from which a package is
 * continuously present. Application files (path rules), extractor records
 * and dpkg file lists are left out of the history: an application package's
 * layer is its file's (the overlay's).
 */
#include <stdlib.h>
#include <string.h>

#include "dd/scanner.h"

typedef struct hist {
    dd_file_t *v;
    size_t n, cap;
} hist_t;

static bool under(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    if (n == 0) return true; /* opaque root */
    return !strncmp(path, dir, n) && (path[n] == '/' || path[n] == '\0');
}

static void drop_where(hist_t *h, const char *dir)
{
    size_t o = 0;
    for (size_t i = 0; i < h->n; i++)
        if (!under(h->v[i].path, dir)) h->v[o++] = h->v[i];
    h->n = o;
}

int dd_scan_inventory(const dd_layer_result_t *layers, size_t n, dd_inventory_t *inv, dd_err_t *e)
{
    dd_fileset_t fs;
    dd_fileset_init(&fs);
    int rc = dd_overlay(layers, n, &fs, e);
    if (rc == DD_OK) rc = dd_catalog_run(&fs, inv, e);
    dd_fileset_release(&fs);
    if (rc != DD_OK || n < 2) return rc;
    hist_t h = {0};
    for (size_t i = 0; i < n; i++) {
        const dd_layer_result_t *l = &layers[i];
        for (size_t k = 0; k < l->n_opaque; k++) drop_where(&h, l->opaque_dirs[k]);
        for (size_t k = 0; k < l->n_whiteouts; k++) drop_where(&h, l->whiteouts[k]);
        for (size_t k = 0; k < l->files.n; k++) {
            /* only OS package databases have a history worth walking: an
             * application file's package keeps its file's layer, and an
             * image can hold tens of thousands of them (node_modules) */
            const dd_file_t *kf = &l->files.files[k];
            if (dd_catalog_rule_owner(kf->path) || dd_catalog_wants_owner(kf->path, "owned") ||
                dd_catalog_record(kf->data, kf->len, NULL, NULL, NULL, NULL))
                continue;
            if (h.n == h.cap) {
                h.cap = h.cap ? h.cap * 2 : 16;
                h.v = dd_realloc(h.v, h.cap * sizeof *h.v);
            }
            h.v[h.n] = l->files.files[k];
            h.v[h.n].layer = (int)i;
            h.n++;
        }
    }
    dd_err_t ae;
    if (dd_catalog_attribute_layers(inv, h.v, h.n, &ae) != DD_OK)
        dd_inventory_warn(inv, "layer attribution: %s", ae.msg);
    free(h.v);
    return DD_OK;
}
