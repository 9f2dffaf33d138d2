/*
 * source_archive.c: the docker-archive:FILE transport, a `docker save` (or
 * skopeo docker-archive) tarball read in place with libarchive.
 *
 * The tarball holds manifest.json (an array of {Config, RepoTags, Layers}),
 * the config JSON files and the layer tars (plain or compressed), possibly
 * deduplicated with symlinks (older docker: <id>/layer.tar -> ../<id2>/...).
 * manifest.json usually comes last, so:
 *   open:    pass 1 lists members (name, size, symlink target) and reads
 *            manifest.json; pass 2 reads the config files it names.
 *   analyze: one pass; each wanted layer member is streamed from
 *            archive_read_data straight into the layer analyzer, and its
 *            DiffID (sha256 of the uncompressed tar) must equal the config's
 *            rootfs.diff_ids entry, which is the layer's cache key here.
 * Nothing is extracted; memory is the member list plus the JSON documents.
 * The image digest is the config digest (the Docker image id).
 */
#include "image_int.h"

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_MEMBERS 200000
#define MAX_IMAGES 1000
#define LINK_HOPS 8
#define MAX_LAYERS 1000   /* per image; keeps the per-entry matching cheap */

typedef struct member {
    char *name;      /* normalized */
    char *link;      /* normalized symlink target, or NULL */
    int64_t size;
} member_t;

typedef struct arch_image {
    dd_digest_t digest;      /* config digest */
    char **layer_members;    /* resolved member names, per layer */
    size_t n_layers;
} arch_image_t;

typedef struct arch_src {
    dd_image_source_t super;
    char *file;
    member_t *members;
    size_t n_members;
    dd_image_desc_t *descs;  /* built at open, copied out by list */
    size_t n_descs;
    arch_image_t *imgs;
} arch_src_t;

static int ar_open(const char *file, struct archive **out, dd_err_t *e)
{
    struct archive *a = archive_read_new();
    archive_read_support_format_tar(a);
    archive_read_support_format_gnutar(a);
    if (archive_read_open_filename(a, file, 64 << 10) != ARCHIVE_OK) {
        int rc = dd_err(e, DD_ENOTFOUND, "docker-archive: cannot open '%.200s': %s", file,
                        archive_error_string(a) ? archive_error_string(a) : "error");
        archive_read_free(a);
        return rc;
    }
    *out = a;
    return DD_OK;
}

static int read_member(struct archive *a, int64_t size, size_t max, dd_buf_t *out, const char *name,
                       dd_err_t *e)
{
    if (size < 0 || (uint64_t)size > max)
        return dd_err(e, DD_ELIMIT, "docker-archive: '%.200s' is too large", name);
    char buf[65536];
    for (;;) {
        la_ssize_t r = archive_read_data(a, buf, sizeof buf);
        if (r < 0) return dd_err(e, DD_ECORRUPT, "docker-archive: %s", archive_error_string(a));
        if (r == 0) return DD_OK;
        if (dd_buf_append(out, buf, (size_t)r) != DD_OK)
            return dd_err(e, DD_ELIMIT, "docker-archive: '%.200s' is too large", name);
    }
}

static int cmp_member(const void *a, const void *b)
{
    return strcmp(((const member_t *)a)->name, ((const member_t *)b)->name);
}

/* Members are sorted by name after pass 1 (binary search; with duplicate
 * names in the tar any one of them is found). */
static const member_t *find_member(const arch_src_t *s, const char *name)
{
    size_t lo = 0, hi = s->n_members;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(s->members[mid].name, name) < 0) lo = mid + 1;
        else hi = mid;
    }
    return lo < s->n_members && strcmp(s->members[lo].name, name) == 0 ? &s->members[lo] : NULL;
}

/* Follows symlinks inside the archive to a regular member. */
static const member_t *resolve(const arch_src_t *s, const char *name)
{
    char cur[4096];
    if (dd_path_normalize(name, cur, sizeof cur) != DD_OK) return NULL;
    for (int hop = 0; hop < LINK_HOPS; hop++) {
        const member_t *m = find_member(s, cur);
        if (!m || !m->link) return m;
        snprintf(cur, sizeof cur, "%s", m->link);
    }
    return NULL;
}

static int pass1(arch_src_t *s, dd_buf_t *manifest, dd_err_t *e)
{
    struct archive *a = NULL;
    int rc = ar_open(s->file, &a, e);
    if (rc) return rc;
    struct archive_entry *ent;
    size_t cap = 0;
    bool found = false;
    int r;
    while ((r = archive_read_next_header(a, &ent)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
        const char *nm = archive_entry_pathname(ent);
        char norm[4096];
        if (!nm || dd_path_normalize(nm, norm, sizeof norm) != DD_OK) continue;
        mode_t type = archive_entry_filetype(ent);
        if (type != AE_IFREG && type != AE_IFLNK) continue;
        if (s->n_members >= MAX_MEMBERS) {
            rc = dd_err(e, DD_ELIMIT, "docker-archive: too many members");
            break;
        }
        if (s->n_members == cap) {
            cap = cap ? cap * 2 : 64;
            s->members = dd_realloc(s->members, cap * sizeof *s->members);
        }
        member_t *m = &s->members[s->n_members++];
        m->name = dd_strdup(norm);
        m->link = NULL;
        m->size = archive_entry_size(ent);
        if (type == AE_IFLNK) {
            const char *t = archive_entry_symlink(ent);
            char joined[8300], tn[4096];
            const char *slash = strrchr(norm, '/');
            int dl = slash ? (int)(slash - norm) : 0;
            snprintf(joined, sizeof joined, "%.*s%s%s", dl, norm, dl ? "/" : "", t ? t : "");
            if (t && t[0] != '/' && dd_path_normalize(joined, tn, sizeof tn) == DD_OK) m->link = dd_strdup(tn);
            else s->n_members--, free(m->name); /* dangling or escaping: ignored */
        } else if (strcmp(norm, "manifest.json") == 0) {
            found = true;
            rc = read_member(a, m->size, DD_MANIFEST_MAX, manifest, norm, e);
            if (rc) break;
        }
    }
    if (!rc && r != ARCHIVE_EOF && r != ARCHIVE_OK && r != ARCHIVE_WARN)
        rc = dd_err(e, DD_ECORRUPT, "docker-archive: %s", archive_error_string(a));
    archive_read_free(a);
    if (!rc && !found) rc = dd_err(e, DD_EINVAL, "docker-archive: no manifest.json in '%.200s'", s->file);
    if (!rc) qsort(s->members, s->n_members, sizeof *s->members, cmp_member);
    return rc;
}

/* Reads the named members (configs) in one pass into bufs (the first member
 * of each name wins). */
static int pass_configs(arch_src_t *s, char **names, size_t n, dd_buf_t *bufs, dd_err_t *e)
{
    struct archive *a = NULL;
    int rc = ar_open(s->file, &a, e);
    if (rc) return rc;
    bool *done = dd_calloc(n ? n : 1, sizeof *done);
    struct archive_entry *ent;
    size_t left = n;
    int r;
    while (!rc && left && ((r = archive_read_next_header(a, &ent)) == ARCHIVE_OK || r == ARCHIVE_WARN)) {
        const char *nm = archive_entry_pathname(ent);
        char norm[4096];
        if (!nm || dd_path_normalize(nm, norm, sizeof norm) != DD_OK) continue;
        if (archive_entry_filetype(ent) != AE_IFREG) continue;
        size_t first = n;
        for (size_t i = 0; i < n; i++)
            if (!done[i] && strcmp(names[i], norm) == 0) {
                first = i;
                break;
            }
        if (first == n) continue;
        rc = read_member(a, archive_entry_size(ent), DD_CONFIG_MAX, &bufs[first], norm, e);
        done[first] = true;
        left--;
        /* the same config named twice: copy */
        for (size_t k = first + 1; k < n && !rc; k++)
            if (!done[k] && strcmp(names[k], norm) == 0) {
                dd_buf_append(&bufs[k], bufs[first].ptr ? bufs[first].ptr : "", bufs[first].len);
                done[k] = true;
                left--;
            }
    }
    archive_read_free(a);
    free(done);
    if (!rc && left) rc = dd_err(e, DD_EINVAL, "docker-archive: a config file named in manifest.json is missing");
    return rc;
}

static void arch_close(dd_image_source_t *src)
{
    arch_src_t *s = (arch_src_t *)src;
    for (size_t i = 0; i < s->n_members; i++) {
        free(s->members[i].name);
        free(s->members[i].link);
    }
    free(s->members);
    for (size_t i = 0; i < s->n_descs; i++) {
        for (size_t k = 0; k < s->imgs[i].n_layers; k++) free(s->imgs[i].layer_members[k]);
        free(s->imgs[i].layer_members);
    }
    free(s->imgs);
    dd_image_descs_free(s->descs, s->n_descs);
    free(s->file);
    free(s);
}

static int build(arch_src_t *s, json_t *root, dd_err_t *e)
{
    if (!json_is_array(root)) return dd_err(e, DD_EINVAL, "docker-archive: manifest.json is not an array");
    size_t n = json_array_size(root);
    if (n > MAX_IMAGES) return dd_err(e, DD_ELIMIT, "docker-archive: too many images");
    char **cfg_names = dd_calloc(n ? n : 1, sizeof *cfg_names);
    dd_buf_t *bufs = dd_calloc(n ? n : 1, sizeof *bufs);
    int rc = DD_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        json_t *o = json_array_get(root, i), *c = json_object_get(o, "Config");
        char norm[4096];
        if (!json_is_string(c) || dd_path_normalize(json_string_value(c), norm, sizeof norm) != DD_OK)
            rc = dd_err(e, DD_EINVAL, "docker-archive: manifest.json[%zu].Config is not a path", i);
        else {
            const member_t *m = resolve(s, norm);
            cfg_names[i] = dd_strdup(m ? m->name : norm);
            dd_buf_init(&bufs[i], DD_CONFIG_MAX);
        }
    }
    if (!rc) rc = pass_configs(s, cfg_names, n, bufs, e);
    s->descs = dd_calloc(n ? n : 1, sizeof *s->descs);
    s->imgs = dd_calloc(n ? n : 1, sizeof *s->imgs);
    for (size_t i = 0; i < n && !rc; i++) {
        json_t *o = json_array_get(root, i);
        json_t *layers = json_object_get(o, "Layers"), *tags = json_object_get(o, "RepoTags");
        dd_image_desc_t *d = &s->descs[s->n_descs];
        arch_image_t *ai = &s->imgs[s->n_descs];
        s->n_descs++;
        if (!json_is_array(layers) || json_array_size(layers) > MAX_LAYERS) {
            rc = dd_err(e, DD_EINVAL, "docker-archive: manifest.json[%zu].Layers is not an array of at most %d",
                        i, MAX_LAYERS);
            break;
        }
        rc = dd_image_config_parse(bufs[i].ptr ? bufs[i].ptr : "", bufs[i].len, &d->cfg, e);
        if (rc) break;
        dd_digest_buf(DD_DIGEST_SHA256, bufs[i].ptr, bufs[i].len, &d->digest);
        ai->digest = d->digest;
        d->media_type = dd_strdup(DD_MT_DOCKER_MANIFEST);
        if (json_is_array(tags) && json_is_string(json_array_get(tags, 0)))
            d->ref = dd_strdup(json_string_value(json_array_get(tags, 0)));
        d->platform.os = d->cfg.os ? dd_strdup(d->cfg.os) : NULL;
        d->platform.architecture = d->cfg.architecture ? dd_strdup(d->cfg.architecture) : NULL;
        d->platform.variant = d->cfg.variant ? dd_strdup(d->cfg.variant) : NULL;
        d->config.media_type = dd_strdup(DD_MT_DOCKER_CONFIG);
        d->config.digest = d->digest;
        d->config.size = (int64_t)bufs[i].len;
        size_t nl = json_array_size(layers);
        if (nl != d->cfg.n_diff_ids) {
            rc = dd_err(e, DD_EINVAL, "docker-archive: %zu layers but %zu diff_ids in the config", nl,
                        d->cfg.n_diff_ids);
            break;
        }
        d->layers = dd_calloc(nl ? nl : 1, sizeof *d->layers);
        ai->layer_members = dd_calloc(nl ? nl : 1, sizeof *ai->layer_members);
        for (size_t k = 0; k < nl && !rc; k++) {
            json_t *l = json_array_get(layers, k);
            const member_t *m = json_is_string(l) ? resolve(s, json_string_value(l)) : NULL;
            if (!m) {
                rc = dd_err(e, DD_EINVAL, "docker-archive: layer '%.200s' not in the archive",
                            json_is_string(l) ? json_string_value(l) : "?");
                break;
            }
            d->layers[k].media_type = dd_strdup("application/vnd.docker.image.rootfs.diff.tar");
            dd_digest_parse(d->cfg.diff_ids[k], &d->layers[k].digest, NULL);
            d->layers[k].size = m->size;
            d->n_layers = k + 1;
            ai->layer_members[k] = dd_strdup(m->name);
            ai->n_layers = k + 1;
        }
    }
    for (size_t i = 0; i < n; i++) {
        free(cfg_names[i]);
        dd_buf_release(&bufs[i]);
    }
    free(cfg_names);
    free(bufs);
    return rc;
}

static int arch_open(const char *rest, dd_image_source_t **out, dd_err_t *e)
{
    if (!*rest) return dd_err(e, DD_EINVAL, "docker-archive: needs a file");
    arch_src_t *s = dd_calloc(1, sizeof *s);
    s->super.ops = &dd_source_docker_archive;
    s->file = dd_strdup(rest);
    dd_buf_t mb;
    dd_buf_init(&mb, DD_MANIFEST_MAX);
    int rc = pass1(s, &mb, e);
    if (rc == DD_OK) {
        json_error_t je;
        json_t *root = json_loadb(mb.ptr, mb.len, JSON_REJECT_DUPLICATES, &je);
        if (!root) rc = dd_err(e, DD_EINVAL, "docker-archive: manifest.json: %s", je.text);
        else rc = build(s, root, e);
        json_decref(root);
    }
    dd_buf_release(&mb);
    if (rc != DD_OK) {
        arch_close(&s->super);
        return rc;
    }
    *out = &s->super;
    return DD_OK;
}

static int arch_list(dd_image_source_t *src, dd_image_desc_t **imgs, size_t *n, dd_err_t *e)
{
    (void)e;
    arch_src_t *s = (arch_src_t *)src;
    *imgs = dd_calloc(s->n_descs ? s->n_descs : 1, sizeof **imgs);
    *n = 0;
    for (size_t i = 0; i < s->n_descs; i++) {
        const dd_image_desc_t *d = &s->descs[i];
        if (src->platform && !dd_platform_match(&d->platform, src->platform)) continue;
        dd_image_desc_t *o = &(*imgs)[(*n)++];
        memset(o, 0, sizeof *o);
        o->digest = d->digest;
        o->ref = d->ref ? dd_strdup(d->ref) : NULL;
        o->media_type = dd_strdup(d->media_type);
        dd_descriptor_t tmp = {0};
        tmp.platform = d->platform;
        dd_descriptor_t cp;
        dd_descriptor_copy(&cp, &tmp);
        o->platform = cp.platform;
        dd_descriptor_copy(&o->config, &d->config);
        o->layers = dd_calloc(d->n_layers ? d->n_layers : 1, sizeof *o->layers);
        for (size_t k = 0; k < d->n_layers; k++) dd_descriptor_copy(&o->layers[k], &d->layers[k]);
        o->n_layers = d->n_layers;
        /* re-parse is not needed: copy the config fields the report uses */
        dd_image_config_t *c = &o->cfg;
        const dd_image_config_t *sc = &d->cfg;
        c->os = sc->os ? dd_strdup(sc->os) : NULL;
        c->architecture = sc->architecture ? dd_strdup(sc->architecture) : NULL;
        c->variant = sc->variant ? dd_strdup(sc->variant) : NULL;
        c->created = sc->created ? dd_strdup(sc->created) : NULL;
        c->diff_ids = dd_calloc(sc->n_diff_ids ? sc->n_diff_ids : 1, sizeof *c->diff_ids);
        for (size_t k = 0; k < sc->n_diff_ids; k++) c->diff_ids[k] = dd_strdup(sc->diff_ids[k]);
        c->n_diff_ids = sc->n_diff_ids;
        c->history = dd_calloc(sc->n_history ? sc->n_history : 1, sizeof *c->history);
        for (size_t k = 0; k < sc->n_history; k++) {
            const dd_history_t *h = &sc->history[k];
            c->history[k].created = h->created ? dd_strdup(h->created) : NULL;
            c->history[k].created_by = h->created_by ? dd_strdup(h->created_by) : NULL;
            c->history[k].comment = h->comment ? dd_strdup(h->comment) : NULL;
            c->history[k].empty_layer = h->empty_layer;
        }
        c->n_history = sc->n_history;
    }
    return DD_OK;
}

static ssize_t data_read(void *arg, void *buf, size_t n)
{
    la_ssize_t r = archive_read_data(arg, buf, n);
    return r < 0 ? -1 : (ssize_t)r;
}

static int arch_analyze(dd_image_source_t *src, const dd_image_desc_t *img, const bool *todo,
                        dd_layer_result_t *res, dd_err_t *e)
{
    arch_src_t *s = (arch_src_t *)src;
    const arch_image_t *ai = NULL;
    for (size_t i = 0; i < s->n_descs; i++)
        if (strcmp(s->imgs[i].digest.str, img->digest.str) == 0) ai = &s->imgs[i];
    if (!ai || ai->n_layers != img->n_layers)
        return dd_err(e, DD_ENOTFOUND, "docker-archive: image %s not in this archive", img->digest.str);
    size_t n = img->n_layers, left = 0;
    bool *done = dd_calloc(n ? n : 1, sizeof *done);
    for (size_t i = 0; i < n; i++) left += todo[i];
    struct archive *a = NULL;
    int rc = ar_open(s->file, &a, e);
    dd_analyze_limits_t lim = src->limits;
    lim.compute_diff_id = true;
    struct archive_entry *ent;
    int r = ARCHIVE_OK;
    while (!rc && left && ((r = archive_read_next_header(a, &ent)) == ARCHIVE_OK || r == ARCHIVE_WARN)) {
        const char *nm = archive_entry_pathname(ent);
        char norm[4096];
        if (!nm || archive_entry_filetype(ent) != AE_IFREG || dd_path_normalize(nm, norm, sizeof norm) != DD_OK)
            continue;
        size_t first = n;
        for (size_t i = 0; i < n; i++)
            if (todo[i] && !done[i] && strcmp(ai->layer_members[i], norm) == 0) {
                first = i;
                break;
            }
        if (first == n) continue;
        dd_layer_result_init(&res[first]);
        rc = dd_layer_analyze_stream(data_read, a, &lim, &res[first], e);
        if (rc == DD_DECLINED) rc = dd_err(e, DD_EUNSUPPORTED, "docker-archive: '%s' is not a layer", norm);
        else if (rc != DD_OK) {
            dd_err_t in = e ? *e : (dd_err_t){0};
            rc = dd_err(e, rc, "docker-archive: layer '%s': %s", norm, in.msg);
        } else if (strcmp(res[first].diff_id.str, img->layers[first].digest.str) != 0) {
            rc = dd_err(e, DD_EDIGEST, "docker-archive: layer '%s' has DiffID %s, config says %s", norm,
                        res[first].diff_id.str, img->layers[first].digest.str);
            dd_layer_result_release(&res[first]);
        }
        if (rc) break;
        done[first] = true;
        left--;
        for (size_t i = first + 1; i < n; i++)
            if (todo[i] && !done[i] && strcmp(ai->layer_members[i], norm) == 0) {
                dd_layer_result_copy(&res[i], &res[first]);
                done[i] = true;
                left--;
            }
    }
    if (!rc && left) rc = dd_err(e, DD_ECORRUPT, "docker-archive: %zu layer(s) not found while reading", left);
    if (a) archive_read_free(a);
    if (rc)
        for (size_t i = 0; i < n; i++)
            if (done[i]) dd_layer_result_release(&res[i]);
    free(done);
    return rc;
}

const dd_source_ops_t dd_source_docker_archive = {
    .version = 1,
    .prefix = "docker-archive:",
    .open = arch_open,
    .fetch = NULL,
    .list = arch_list,
    .analyze = arch_analyze,
    .close = arch_close,
};
