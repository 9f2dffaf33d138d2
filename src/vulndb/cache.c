/*
 * cache.c: the per-ecosystem in-memory cache behind
 * dd_vulndb_each_affected(). The first query of an ecosystem loads all its
 * affected rows (one indexed SELECT), parses their ranges once, and keeps
 * them sorted by package; later queries are a binary search. A handle's
 * file never changes under it (see vulndb.c), so the cache never goes stale
 * on read-only handles; writable handles drop it on every write.
 */
#include "vulndb_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

void vdb_cache_free(dd_vulndb_t *db)
{
    vdb_eco_t *c = db->ecos;
    while (c) {
        vdb_eco_t *n = c->next;
        dd_arena_release(&c->arena);
        free(c->name);
        free(c->ents);
        free(c);
        c = n;
    }
    db->ecos = NULL;
    if (db->vbuckets) {
        for (size_t i = 0; i < VDB_VBUCKETS; i++) {
            vdb_vnode_t *v = db->vbuckets[i];
            while (v) {
                vdb_vnode_t *n = v->next;
                dd_vuln_release(&v->v);
                free(v);
                v = n;
            }
        }
        free(db->vbuckets);
        db->vbuckets = NULL;
    }
}

static size_t hash_str(const char *s)
{
    size_t h = 1469598103934665603ull;
    while (*s) h = (h ^ (unsigned char)*s++) * 1099511628211ull;
    return h;
}

const dd_vuln_t *dd_vulndb_vuln_cached(dd_vulndb_t *db, const char *id)
{
    if (!id) return NULL;
    size_t b = hash_str(id) % VDB_VBUCKETS;
    pthread_mutex_lock(&db->lock);
    if (!db->vbuckets) db->vbuckets = dd_calloc(VDB_VBUCKETS, sizeof *db->vbuckets);
    vdb_vnode_t *n = db->vbuckets[b];
    while (n && strcmp(n->key, id)) n = n->next;
    pthread_mutex_unlock(&db->lock);
    if (!n) {
        size_t kl = strlen(id) + 1;
        n = dd_calloc(1, sizeof *n + kl);
        memcpy(n->key, id, kl);
        n->found = dd_vulndb_get_vuln(db, id, &n->v) == DD_OK; /* takes the lock itself */
        pthread_mutex_lock(&db->lock);
        vdb_vnode_t *o = db->vbuckets[b];
        while (o && strcmp(o->key, id)) o = o->next;
        if (o) { /* another thread won the race */
            dd_vuln_release(&n->v);
            free(n);
            n = o;
        } else {
            n->next = db->vbuckets[b];
            db->vbuckets[b] = n;
        }
        pthread_mutex_unlock(&db->lock);
    }
    return n->found ? &n->v : NULL;
}

static const char *adup(dd_arena_t *a, const unsigned char *s)
{
    return s ? dd_arena_strdup(a, (const char *)s) : NULL;
}

static void parse_ranges(dd_arena_t *a, const char *text, dd_affected_t *out)
{
    if (!text) return;
    json_t *j = json_loads(text, 0, NULL);
    if (!json_is_array(j)) {
        json_decref(j);
        return;
    }
    size_t n = json_array_size(j);
    out->ranges = dd_arena_alloc(a, (n ? n : 1) * sizeof *out->ranges);
    for (size_t i = 0; i < n; i++) {
        json_t *r = json_array_get(j, i);
        const char *type = json_string_value(json_object_get(r, "type"));
        dd_range_t *dr = &out->ranges[out->n_ranges];
        if (!type) continue;
        if (!strcmp(type, "ECOSYSTEM")) dr->type = DD_RANGE_ECOSYSTEM;
        else if (!strcmp(type, "SEMVER")) dr->type = DD_RANGE_SEMVER;
        else if (!strcmp(type, "GIT")) dr->type = DD_RANGE_GIT;
        else continue;
        json_t *evs = json_object_get(r, "events");
        size_t ne = json_array_size(evs);
        dr->events = dd_arena_alloc(a, (ne ? ne : 1) * sizeof *dr->events);
        for (size_t k = 0; k < ne; k++) {
            json_t *ev = json_array_get(evs, k);
            static const struct { const char *key; dd_event_kind_t kind; } kinds[] = {
                {"introduced", DD_EV_INTRODUCED},
                {"fixed", DD_EV_FIXED},
                {"last_affected", DD_EV_LAST_AFFECTED},
                {"limit", DD_EV_LIMIT},
            };
            for (size_t q = 0; q < 4; q++) {
                const char *v = json_string_value(json_object_get(ev, kinds[q].key));
                if (v) {
                    dr->events[dr->n_events].kind = kinds[q].kind;
                    dr->events[dr->n_events].version = dd_arena_strdup(a, v);
                    dr->n_events++;
                    break;
                }
            }
        }
        out->n_ranges++;
    }
    json_decref(j);
}

static void parse_versions(dd_arena_t *a, const char *text, dd_affected_t *out)
{
    if (!text) return;
    json_t *j = json_loads(text, 0, NULL);
    size_t n = json_array_size(j);
    if (n) {
        out->versions = dd_arena_alloc(a, n * sizeof *out->versions);
        for (size_t i = 0; i < n; i++) {
            const char *v = json_string_value(json_array_get(j, i));
            if (v) out->versions[out->n_versions++] = dd_arena_strdup(a, v);
        }
    }
    json_decref(j);
}

static vdb_eco_t *load_eco(dd_vulndb_t *db, const char *eco)
{
    vdb_eco_t *c = dd_calloc(1, sizeof *c);
    c->name = dd_strdup(eco);
    dd_arena_init(&c->arena);
    sqlite3_stmt *st = NULL;
    size_t cap = 0;
    if (sqlite3_prepare_v2(db->h,
                           "SELECT package,vuln_id,feed,ranges,versions,fix_state,fixed,severity,"
                           "severity_raw,ecosystem,module FROM affected WHERE ecosystem=?"
                           " ORDER BY package,vuln_id,feed,id",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, eco, -1, SQLITE_STATIC);
        const char *eco_s = dd_arena_strdup(&c->arena, eco);
        while (sqlite3_step(st) == SQLITE_ROW) {
            if (c->n == cap) {
                cap = cap ? cap * 2 : 256;
                c->ents = dd_realloc(c->ents, cap * sizeof *c->ents);
            }
            dd_affected_t *a = &c->ents[c->n++];
            memset(a, 0, sizeof *a);
            a->package = adup(&c->arena, sqlite3_column_text(st, 0));
            a->vuln_id = adup(&c->arena, sqlite3_column_text(st, 1));
            a->feed = adup(&c->arena, sqlite3_column_text(st, 2));
            parse_ranges(&c->arena, (const char *)sqlite3_column_text(st, 3), a);
            parse_versions(&c->arena, (const char *)sqlite3_column_text(st, 4), a);
            a->fix_state = (dd_fix_state_t)sqlite3_column_int(st, 5);
            a->fixed = adup(&c->arena, sqlite3_column_text(st, 6));
            a->severity = (dd_severity_t)sqlite3_column_int(st, 7);
            a->severity_raw = adup(&c->arena, sqlite3_column_text(st, 8));
            a->ecosystem = eco_s;
            a->module = adup(&c->arena, sqlite3_column_text(st, 10));
        }
    }
    sqlite3_finalize(st);
    return c;
}

static vdb_eco_t *get_eco(dd_vulndb_t *db, const char *ecosystem)
{
    char eco[128];
    pthread_mutex_lock(&db->lock);
    /* fast path: the name is already normalized (the usual case) */
    vdb_eco_t *c = db->ecos;
    while (c && strcmp(c->name, ecosystem)) c = c->next;
    if (c) {
        pthread_mutex_unlock(&db->lock);
        return c;
    }
    dd_ecosystem_normalize(ecosystem, eco, sizeof eco);
    c = db->ecos;
    while (c && strcmp(c->name, eco)) c = c->next;
    if (!c) {
        c = load_eco(db, eco);
        c->next = db->ecos;
        db->ecos = c;
    }
    pthread_mutex_unlock(&db->lock);
    return c;
}

long dd_vulndb_count_ecosystem(dd_vulndb_t *db, const char *ecosystem)
{
    return (long)get_eco(db, ecosystem)->n;
}

int dd_vulndb_each_affected(dd_vulndb_t *db, const char *ecosystem, const char *pkg,
                            int (*cb)(const dd_affected_t *a, void *arg), void *arg)
{
    if (!ecosystem || !pkg) return DD_OK;
    char norm[1024];
    if (strlen(pkg) < sizeof norm) pkg = dd_pkgname_normalize(ecosystem, pkg, norm, sizeof norm);
    vdb_eco_t *c = get_eco(db, ecosystem);
    /* lower bound of pkg */
    size_t lo = 0, hi = c->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(c->ents[mid].package, pkg) < 0) lo = mid + 1;
        else hi = mid;
    }
    for (size_t i = lo; i < c->n && !strcmp(c->ents[i].package, pkg); i++) {
        int r = cb(&c->ents[i], arg);
        if (r) return r;
    }
    return DD_OK;
}
