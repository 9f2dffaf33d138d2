/*
 * overlay.c: an image's view of its kept files, from its ordered layers.
 *
 * Follows the OCI image-spec layer changeset rules: a layer's whiteouts and
 * opaque markers apply to the layers below it only, never to files in the
 * same layer; so for each layer, in order from the base:
 *   1. opaque dirs: everything below each dir goes (the dir itself stays);
 *   2. whiteouts: the path and everything below it go;
 *   3. files: added (replacing lower ones), tagged with the layer index.
 */
#include "dd/analyzer.h"

int dd_overlay(const dd_layer_result_t *layers, size_t n, dd_fileset_t *out, dd_err_t *e)
{
    (void)e;
    for (size_t i = 0; i < n; i++) {
        const dd_layer_result_t *l = &layers[i];
        for (size_t k = 0; k < l->n_opaque; k++) dd_fileset_remove_under(out, l->opaque_dirs[k]);
        for (size_t k = 0; k < l->n_whiteouts; k++) {
            dd_fileset_remove(out, l->whiteouts[k]);
            dd_fileset_remove_under(out, l->whiteouts[k]);
        }
        for (size_t k = 0; k < l->files.n; k++) {
            const dd_file_t *f = &l->files.files[k];
            dd_fileset_put(out, f->path, f->data, f->len, (int)i, f->mode);
        }
    }
    dd_fileset_sort(out);
    return DD_OK;
}
