/*
 * catalog.c: the catalog subsystem's core: the interest table (which files
 * the layer analyzer keeps), the cataloger registry, the inventory, the
 * dd_catalog_run() driver, and dd_fileset_load_dir() for unpacked roots.
 *
 * Design notes
 *   - The interest table is the ONE place that names the paths catalogers
 *     read. Each row is owned by "os" or by a cataloger name; a cataloger's
 *     wants() answers from its own rows. Language ecosystems add rows here.
 *   - The cataloger table is sorted by name and holds versioned vtables
 *     (DD_CATALOGER_V1). dd_catalog_run() runs them all in table order;
 *     a failing database never stops the others (see catalog.h for the rc).
 *   - The path rules name application files found anywhere (a METADATA in a
 *     *.dist-info directory...): a short table scanned per file, with cheap
 *     comparisons, since the analyzer asks about every file of every layer.
 *   - dd_fileset_load_dir() walks every directory (rules match anywhere),
 *     bounded in depth, entries and kept bytes, and resolves symlinks
 *     itself, clamped to the root, so nothing outside the root is ever
 *     opened. Files no rule wants are offered to the extractors there too.
 */
#include "catalog/catalog_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- the interest table ------------------------------------------------- */

enum { MATCH_EXACT, MATCH_CHILDREN };

#define KiB ((size_t)1024)
#define MiB (KiB * 1024)

/* One row per wanted path. Fields:
 *   path     normalized path (EXACT) or directory (CHILDREN: its direct
 *            children, except names starting with '.' or ending in skip_suffix)
 *   match    MATCH_EXACT or MATCH_CHILDREN
 *   owner    "os", "owned" (dpkg's file lists: which files OS packages own,
 *            see ownership in catalog.h) or the cataloger that reads it
 *   max_size largest file kept; bigger files are an analyzer error
 *   skip_suffix  CHILDREN only: names ending so are not wanted (NULL: none)
 *   only_suffix  CHILDREN only: only names ending so are wanted (NULL: all)
 * MUST be sorted by path (strcmp order): lookups binary-search it. */
static const struct interest {
    const char *path;
    int match;
    const char *owner;
    size_t max_size;
    const char *skip_suffix;
    const char *only_suffix;
} interest[] = {
    {"etc/alpine-release", MATCH_EXACT, "os", 64 * KiB, NULL, NULL},
    {"etc/centos-release", MATCH_EXACT, "os", 64 * KiB, NULL, NULL},
    {"etc/debian_version", MATCH_EXACT, "os", 64 * KiB, NULL, NULL},
    {"etc/fedora-release", MATCH_EXACT, "os", 64 * KiB, NULL, NULL},
    {"etc/os-release", MATCH_EXACT, "os", 64 * KiB, NULL, NULL},
    {"etc/redhat-release", MATCH_EXACT, "os", 64 * KiB, NULL, NULL},
    {"etc/system-release", MATCH_EXACT, "os", 64 * KiB, NULL, NULL},
    {"lib/apk/db/installed", MATCH_EXACT, "apk", 64 * MiB, NULL, NULL},
    {"usr/lib/os-release", MATCH_EXACT, "os", 64 * KiB, NULL, NULL},
    {"usr/lib/sysimage/rpm/Packages", MATCH_EXACT, "rpm", 256 * MiB, NULL, NULL},
    {"usr/lib/sysimage/rpm/Packages.db", MATCH_EXACT, "rpm", 256 * MiB, NULL, NULL},
    {"usr/lib/sysimage/rpm/rpmdb.sqlite", MATCH_EXACT, "rpm", 256 * MiB, NULL, NULL},
    {"var/lib/dpkg/info", MATCH_CHILDREN, "owned", 16 * MiB, NULL, ".list"},
    {"var/lib/dpkg/status", MATCH_EXACT, "dpkg", 64 * MiB, NULL, NULL},
    {"var/lib/dpkg/status.d", MATCH_CHILDREN, "dpkg", 16 * MiB, ".md5sums", NULL},
    {"var/lib/rpm/Packages", MATCH_EXACT, "rpm", 256 * MiB, NULL, NULL},
    {"var/lib/rpm/Packages.db", MATCH_EXACT, "rpm", 256 * MiB, NULL, NULL},
    {"var/lib/rpm/rpmdb.sqlite", MATCH_EXACT, "rpm", 256 * MiB, NULL, NULL},
};
#define N_INTEREST (sizeof interest / sizeof interest[0])

static const struct interest *interest_find(const char *path, size_t len, int match)
{
    size_t lo = 0, hi = N_INTEREST;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const char *p = interest[mid].path;
        int c = strncmp(p, path, len);
        if (c == 0 && p[len] != '\0') c = 1;
        if (c == 0) return interest[mid].match == match ? &interest[mid] : NULL;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

static const struct interest *interest_lookup(const char *path)
{
    if (!path) return NULL;
    size_t len = strlen(path);
    const struct interest *r = interest_find(path, len, MATCH_EXACT);
    if (r) return r;
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path) return NULL;
    const char *base = slash + 1;
    if (!*base || base[0] == '.') return NULL;
    r = interest_find(path, (size_t)(slash - path), MATCH_CHILDREN);
    if (r && r->skip_suffix && dd_str_endswith(base, r->skip_suffix)) return NULL;
    if (r && r->only_suffix && !dd_str_endswith(base, r->only_suffix)) return NULL;
    return r;
}

/* ---- path rules: application files anywhere in the image ---------------- */

/* One row per kind of application file, found at any depth. Fields:
 *   base     the file's name: exact, or "*SUFFIX" (ends with SUFFIX, and is
 *            longer than it)
 *   parent   the name of the directory holding the file, matched the same
 *            way; NULL: any
 *   under    a directory name that must be one of the path's directory
 *            components (anywhere above the file); NULL: any
 *   owner    the cataloger that reads it (dd_catalog_wants_owner)
 *   max_size largest file kept; a bigger one is replaced by a "!" record
 *            named after the owner (see catalog.h), never a layer error
 * MUST be sorted by (base, parent) in strcmp order (NULL parent first); the
 * unit test checks it. Matching scans the rows (a few dozen at most) with
 * one length check and one memcmp each, so it costs little per file. */
static const struct rule {
    const char *base;
    const char *parent;
    const char *under;
    const char *owner;
    size_t max_size;
} rules[] = {
    {"*.deps.json", NULL, NULL, "nuget", 16 * MiB},          /* .NET: <app>.deps.json */
    {"*.egg-info", NULL, NULL, "python", 1 * MiB},          /* egg-info file form */
    {"*.gemspec", "default", "specifications", "gem", 1 * MiB}, /* Ruby's default gems */
    {"*.gemspec", "specifications", NULL, "gem", 1 * MiB},
    {"Cargo.lock", NULL, NULL, "cargo", 16 * MiB},
    {"METADATA", "*.dist-info", NULL, "python", 1 * MiB},
    {"PKG-INFO", "*.egg-info", NULL, "python", 1 * MiB},
    {"installed.json", "composer", NULL, "composer", 16 * MiB}, /* vendor/composer/ */
    {"package-lock.json", NULL, NULL, "npm", 32 * MiB},
    {"package.json", NULL, "node_modules", "npm", 1 * MiB},
    {"pnpm-lock.yaml", NULL, NULL, "npm", 32 * MiB},
    {"yarn.lock", NULL, NULL, "npm", 32 * MiB},
};
#define N_RULES (sizeof rules / sizeof rules[0])

/* name (of length n) matches pattern pat: exact, or "*SUFFIX". */
static bool name_matches(const char *pat, const char *name, size_t n)
{
    if (pat[0] == '*') {
        size_t sl = strlen(pat + 1);
        return n > sl && memcmp(name + n - sl, pat + 1, sl) == 0;
    }
    return strlen(pat) == n && memcmp(pat, name, n) == 0;
}

/* True if some directory component of path[0, dirlen) is exactly name. */
static bool has_component(const char *path, size_t dirlen, const char *name)
{
    size_t nl = strlen(name);
    const char *p = path, *end = path + dirlen;
    while (p < end) {
        const char *q = memchr(p, '/', (size_t)(end - p));
        if (!q) q = end;
        if ((size_t)(q - p) == nl && memcmp(p, name, nl) == 0) return true;
        p = q + 1;
    }
    return false;
}

static const struct rule *rule_lookup(const char *path)
{
    if (!path || !*path) return NULL;
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    size_t bl = strlen(base);
    if (bl == 0) return NULL;
    size_t dirlen = slash ? (size_t)(slash - path) : 0;
    for (size_t i = 0; i < N_RULES; i++) {
        const struct rule *r = &rules[i];
        if (!name_matches(r->base, base, bl)) continue;
        if (r->parent) {
            if (!slash) continue;
            const char *ps = dirlen ? memrchr(path, '/', dirlen) : NULL;
            const char *pn = ps ? ps + 1 : path;
            if (!name_matches(r->parent, pn, (size_t)(slash - pn))) continue;
        }
        if (r->under && !has_component(path, dirlen, r->under)) continue;
        return r;
    }
    return NULL;
}

bool dd_catalog_wants(const char *path)
{
    return interest_lookup(path) != NULL || rule_lookup(path) != NULL;
}

size_t dd_catalog_max_file_size(const char *path)
{
    const struct interest *r = interest_lookup(path);
    if (r) return r->max_size;
    const struct rule *pr = rule_lookup(path);
    return pr ? pr->max_size : 0;
}

bool dd_catalog_wants_link(const char *path)
{
    const struct interest *r = interest_lookup(path);
    return r && strcmp(r->owner, "os") == 0;
}

bool dd_catalog_wants_owner(const char *path, const char *owner)
{
    const struct interest *r = interest_lookup(path);
    if (r) return strcmp(r->owner, owner) == 0;
    const struct rule *pr = rule_lookup(path);
    return pr && strcmp(pr->owner, owner) == 0;
}

const char *dd_catalog_rule_owner(const char *path)
{
    const struct rule *pr = interest_lookup(path) ? NULL : rule_lookup(path);
    return pr ? pr->owner : NULL;
}

bool dd_catalog_rules_sorted(void)
{
    for (size_t i = 1; i < N_RULES; i++) {
        int c = strcmp(rules[i - 1].base, rules[i].base);
        if (c == 0) {
            const char *a = rules[i - 1].parent, *b = rules[i].parent;
            c = !a ? (b ? -1 : 0) : !b ? 1 : strcmp(a, b);
            if (c == 0) c = strcmp(rules[i - 1].under ? rules[i - 1].under : "",
                                   rules[i].under ? rules[i].under : "");
        }
        if (c >= 0) return false;
    }
    for (size_t i = 1; i < N_INTEREST; i++)
        if (strcmp(interest[i - 1].path, interest[i].path) >= 0) return false;
    return true;
}

/* ---- the cataloger table ------------------------------------------------ */

/* Sorted by name; each entry is a DD_CATALOGER_V1 vtable defined in its own file. */
static const dd_cataloger_t *const catalogers[] = {
    &dd_cataloger_apk,
    &dd_cataloger_cargo,
    &dd_cataloger_composer,
    &dd_cataloger_dpkg,
    &dd_cataloger_gem,
    &dd_cataloger_golang,
    &dd_cataloger_maven,
    &dd_cataloger_npm,
    &dd_cataloger_nuget,
    &dd_cataloger_python,
    &dd_cataloger_rpm,
};
#define N_CATALOGERS (sizeof catalogers / sizeof catalogers[0])

const dd_cataloger_t *const *dd_catalog_catalogers(size_t *n_out)
{
    *n_out = N_CATALOGERS;
    return catalogers;
}

const dd_cataloger_t *dd_catalog_find(const char *name)
{
    for (size_t i = 0; i < N_CATALOGERS; i++)
        if (strcmp(catalogers[i]->name, name) == 0) return catalogers[i];
    return NULL;
}

/* ---- inventory ---------------------------------------------------------- */

void dd_inventory_init(dd_inventory_t *inv)
{
    memset(inv, 0, sizeof *inv);
    dd_arena_init(&inv->own);
}

void dd_inventory_init_in(dd_inventory_t *inv, dd_arena_t *mem)
{
    dd_inventory_init(inv);
    inv->mem = mem;
}

dd_arena_t *dd_inventory_arena(dd_inventory_t *inv)
{
    return inv->mem ? inv->mem : &inv->own;
}

void dd_inventory_release(dd_inventory_t *inv)
{
    dd_arena_t *mem = inv->mem;
    free(inv->pkgs);
    free(inv->warnings);
    dd_arena_release(&inv->own);
    dd_inventory_init_in(inv, mem);
}

dd_package_t *dd_inventory_add(dd_inventory_t *inv)
{
    if (inv->n >= DD_CATALOG_MAX_TOTAL_PKGS) return NULL;
    if (inv->n == inv->cap) {
        inv->cap = inv->cap ? inv->cap * 2 : 64;
        inv->pkgs = dd_realloc(inv->pkgs, inv->cap * sizeof *inv->pkgs);
    }
    dd_package_t *p = &inv->pkgs[inv->n++];
    memset(p, 0, sizeof *p);
    p->epoch = -1;
    p->layer = -1;
    return p;
}

void dd_inventory_pop(dd_inventory_t *inv)
{
    if (inv->n > 0) inv->n--;
}

void dd_inventory_warn(dd_inventory_t *inv, const char *fmt, ...)
{
    if (inv->nwarnings >= DD_CATALOG_MAX_WARNINGS) {
        inv->nwarnings_dropped++;
        return;
    }
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    inv->warnings = dd_realloc(inv->warnings, (inv->nwarnings + 1) * sizeof *inv->warnings);
    inv->warnings[inv->nwarnings++] = dd_arena_strdup(dd_inventory_arena(inv), buf);
}

void dd_catalog_warn_err(dd_inventory_t *inv, const char *db_path, const dd_err_t *e)
{
    dd_inventory_warn(inv, "%s: %s", db_path, e && e->msg[0] ? e->msg : "unreadable database");
}

static int strcmp_null(const char *a, const char *b)
{
    if (!a || !b) return (a != NULL) - (b != NULL);
    return strcmp(a, b);
}

static int cmp_pkg(const void *x, const void *y)
{
    const dd_package_t *a = x, *b = y;
    if (a->type != b->type) return (int)a->type - (int)b->type;
    int c = strcmp_null(a->name, b->name);
    if (c == 0) c = strcmp_null(a->version, b->version);
    if (c == 0) c = strcmp_null(a->arch, b->arch);
    if (c == 0) c = strcmp_null(a->db_path, b->db_path);
    return c;
}

void dd_inventory_sort(dd_inventory_t *inv)
{
    if (inv->n > 1) qsort(inv->pkgs, inv->n, sizeof *inv->pkgs, cmp_pkg);
}

char *dd_catalog_field_dup(dd_arena_t *a, const char *s, size_t n)
{
    while (n && (*s == ' ' || *s == '\t' || *s == '\r')) s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r')) n--;
    if (n == 0 || n > DD_CATALOG_MAX_FIELD) return NULL;
    if (memchr(s, '\0', n)) return NULL;
    return dd_arena_strndup(a, s, n);
}

/* ---- the driver --------------------------------------------------------- */

int dd_catalog_run(dd_fileset_t *fs, dd_inventory_t *inv, dd_err_t *e)
{
    dd_err_clear(e);
    memset(&inv->os, 0, sizeof inv->os);
    (void)dd_os_detect(fs, dd_inventory_arena(inv), &inv->os);

    bool any_ok = false;
    int first_rc = DD_OK;
    dd_err_t first = {0};
    for (size_t i = 0; i < N_CATALOGERS; i++) {
        const dd_cataloger_t *c = catalogers[i];
        if (c->version < DD_CATALOGER_V1 || !c->run) continue;
        dd_err_t ce = {0};
        int rc = c->run(fs, inv, &ce);
        if (rc == DD_OK) {
            any_ok = true;
        } else if (rc < 0) {
            /* the cataloger has put a warning per failed db in inv */
            if (first_rc == DD_OK) {
                first_rc = rc;
                first = ce;
                if (!first.code) first.code = rc;
            }
        }
    }
    /* a file an OS package owns belongs to it: not reported again */
    for (size_t i = 0; i < inv->n; i++) {
        if (!dd_pkg_type_is_app(inv->pkgs[i].type)) continue;
        dd_owned_t o;
        dd_owned_init(&o);
        dd_owned_build(fs, &o);
        if (o.truncated)
            dd_inventory_warn(inv, "os packages own more than %d files: ownership is incomplete", DD_OWNED_MAX);
        if (o.n) dd_catalog_drop_owned(inv, &o);
        dd_owned_release(&o);
        break;
    }
    dd_inventory_sort(inv);
    if (first_rc != DD_OK) {
        if (e) *e = first;
        if (!any_ok) return first_rc;
    }
    return DD_OK;
}

/* ---- loading an unpacked root directory --------------------------------- */

#define LOAD_MAX_LINKS 40
#define LOAD_PATH_MAX 4096

struct loader {
    int root_fd;
    dd_fileset_t *fs;
    dd_err_t *e;
    size_t entries;   /* directory entries seen */
    size_t meta;      /* bytes of kept paths (counted with the data against DD_LOAD_MAX_KEPT) */
};

/* Resolves rel (normalized) inside the root: symlinks are expanded by hand,
 * absolute targets restart at the root and ".." never climbs above it.
 * Writes the resolved relative path into out ("" for the root itself). */
static int resolve_in_root(int root_fd, const char *rel, char *out, size_t outsz)
{
    char rest[LOAD_PATH_MAX]; /* components still to walk */
    char cur[LOAD_PATH_MAX];  /* resolved so far */
    size_t cl = 0;
    int links = 0;
    if (snprintf(rest, sizeof rest, "%s", rel) >= (int)sizeof rest) return DD_ELIMIT;
    cur[0] = '\0';
    char *p = rest;
    while (*p) {
        while (*p == '/') p++;
        if (!*p) break;
        char *seg = p;
        while (*p && *p != '/') p++;
        size_t sl = (size_t)(p - seg);
        if (sl == 1 && seg[0] == '.') continue;
        if (sl == 2 && seg[0] == '.' && seg[1] == '.') {
            while (cl > 0 && cur[cl - 1] != '/') cl--;
            if (cl > 0) cl--;
            cur[cl] = '\0';
            continue;
        }
        size_t save = cl;
        if (cl + 1 + sl + 1 > sizeof cur) return DD_ELIMIT;
        if (cl) cur[cl++] = '/';
        memcpy(cur + cl, seg, sl);
        cl += sl;
        cur[cl] = '\0';
        struct stat st;
        if (fstatat(root_fd, cur, &st, AT_SYMLINK_NOFOLLOW) != 0) return DD_ENOTFOUND;
        if (!S_ISLNK(st.st_mode)) continue;
        if (++links > LOAD_MAX_LINKS) return DD_ELIMIT;
        char target[LOAD_PATH_MAX];
        ssize_t tl = readlinkat(root_fd, cur, target, sizeof target - 1);
        if (tl <= 0) return DD_ENOTFOUND;
        target[tl] = '\0';
        /* new rest = target + "/" + remaining */
        char nrest[LOAD_PATH_MAX];
        if (snprintf(nrest, sizeof nrest, "%s/%s", target, p) >= (int)sizeof nrest) return DD_ELIMIT;
        memcpy(rest, nrest, strlen(nrest) + 1);
        p = rest;
        if (target[0] == '/') cl = 0;
        else cl = save;
        cur[cl] = '\0';
    }
    if (snprintf(out, outsz, "%s", cur) >= (int)outsz) return DD_ELIMIT;
    return DD_OK;
}

/* Keeps data under rel, within DD_LOAD_MAX_KEPT. */
static int load_put(struct loader *L, const char *rel, const void *data, size_t len, uint32_t mode)
{
    L->meta += strlen(rel) + 1 + sizeof(dd_file_t);
    if (L->fs->bytes + L->meta + len > DD_LOAD_MAX_KEPT)
        return dd_err(L->e, DD_ELIMIT, "kept files exceed %zu bytes (at '%s')", DD_LOAD_MAX_KEPT, rel);
    dd_fileset_put(L->fs, rel, data, len, 0, mode);
    return DD_OK;
}

/* Reads the whole of fd (at most max bytes) into b. */
static int read_all(struct loader *L, int fd, const char *rel, size_t max, dd_buf_t *b)
{
    char tmp[65536];
    for (;;) {
        ssize_t n = read(fd, tmp, sizeof tmp);
        if (n < 0) {
            if (errno == EINTR) continue;
            return dd_err_errno(L->e, DD_EIO, errno, "cannot read '%s'", rel);
        }
        if (n == 0) return DD_OK;
        if (b->len + (size_t)n > max || dd_buf_append(b, tmp, (size_t)n) != DD_OK)
            return dd_err(L->e, DD_ELIMIT, "file '%s' is larger than %zu bytes", rel, max);
    }
}

static int load_file(struct loader *L, const char *rel, bool is_link)
{
    char real[LOAD_PATH_MAX];
    const char *open_path = rel;
    if (is_link) {
        if (resolve_in_root(L->root_fd, rel, real, sizeof real) != DD_OK || !real[0]) return DD_OK;
        open_path = real;
    }
    size_t max = dd_catalog_max_file_size(rel);
    const char *rule_owner = dd_catalog_rule_owner(rel);
    int fd = openat(L->root_fd, open_path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return DD_OK; /* dangling or unreadable: not there */
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return DD_OK;
    }
    dd_buf_t b;
    int rc = DD_OK;
    if ((uint64_t)st.st_size > max) {
        close(fd);
        if (!rule_owner) return dd_err(L->e, DD_ELIMIT, "file '%s' is larger than %zu bytes", rel, max);
        /* an application file over its rule's cap: a "!" record, not an error */
        char msg[128];
        snprintf(msg, sizeof msg, "file is %lld bytes, over the %zu byte limit for it",
                 (long long)st.st_size, max);
        dd_buf_init(&b, 0);
        dd_catalog_record_error(&b, rule_owner, msg);
        rc = load_put(L, rel, b.ptr, b.len, (uint32_t)st.st_mode);
        dd_buf_release(&b);
        return rc;
    }
    dd_buf_init(&b, max + 1);
    rc = read_all(L, fd, rel, max, &b);
    close(fd);
    if (rc == DD_OK) rc = load_put(L, rel, b.ptr ? b.ptr : "", b.len, (uint32_t)st.st_mode);
    dd_buf_release(&b);
    return rc;
}

/* Reads a file for an extractor: first the head already read, then the fd. */
struct fd_head {
    int fd;
    const unsigned char *head;
    size_t nhead, off;
    int err;              /* errno of a failed read */
};

static ssize_t fd_head_read(void *arg, void *buf, size_t n)
{
    struct fd_head *h = arg;
    if (h->off < h->nhead) {
        size_t k = h->nhead - h->off < n ? h->nhead - h->off : n;
        memcpy(buf, h->head + h->off, k);
        h->off += k;
        return (ssize_t)k;
    }
    for (;;) {
        ssize_t r = read(h->fd, buf, n);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) h->err = errno;
        return r;
    }
}

/* A regular file no rule wants: offered to the extractors. */
static int load_sniff(struct loader *L, int dfd, const char *nm, const char *rel, const struct stat *st)
{
    if (st->st_size <= 0) return DD_OK;
    int fd = openat(dfd, nm, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return DD_OK;
    unsigned char head[DD_EXTRACT_HEAD];
    size_t nh = 0;
    while (nh < sizeof head) {
        ssize_t r = read(fd, head + nh, sizeof head - nh);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        nh += (size_t)r;
    }
    const dd_extractor_t *x = nh ? dd_catalog_sniff(rel, head, nh, (uint64_t)st->st_size) : NULL;
    int rc = DD_OK;
    if (x) {
        struct fd_head h = {.fd = fd, .head = head, .nhead = nh};
        dd_buf_t rec;
        dd_buf_init(&rec, 0);
        dd_catalog_extract(x, fd_head_read, &h, (uint64_t)st->st_size, rel, &rec);
        if (h.err)
            rc = dd_err_errno(L->e, DD_EIO, h.err, "cannot read '%s'", rel);
        else if (rec.len)
            rc = load_put(L, rel, rec.ptr, rec.len, (uint32_t)st->st_mode);
        dd_buf_release(&rec);
    }
    close(fd);
    return rc;
}

static int walk(struct loader *L, int dfd, const char *rel, int depth)
{
    if (depth > DD_LOAD_MAX_DEPTH) return DD_OK;
    int dup_fd = dup(dfd);
    if (dup_fd < 0) return dd_err_errno(L->e, DD_EIO, errno, "cannot dup directory fd");
    DIR *d = fdopendir(dup_fd);
    if (!d) {
        close(dup_fd);
        return dd_err_errno(L->e, DD_EIO, errno, "cannot list '%s'", rel[0] ? rel : ".");
    }
    int rc = DD_OK;
    struct dirent *de;
    while (rc == DD_OK && (de = readdir(d)) != NULL) {
        const char *nm = de->d_name;
        if (strcmp(nm, ".") == 0 || strcmp(nm, "..") == 0) continue;
        if (++L->entries > DD_LOAD_MAX_ENTRIES) {
            rc = dd_err(L->e, DD_ELIMIT, "root has more than %d entries", DD_LOAD_MAX_ENTRIES);
            break;
        }
        /* pseudo filesystems of a live root are not part of an image */
        if (!rel[0] && (strcmp(nm, "proc") == 0 || strcmp(nm, "sys") == 0 || strcmp(nm, "dev") == 0))
            continue;
        char child[LOAD_PATH_MAX];
        if (snprintf(child, sizeof child, "%s%s%s", rel, rel[0] ? "/" : "", nm) >= (int)sizeof child)
            continue;
        /* d_type spares a stat for directories and for files no rule wants
         * when there are no extractors; otherwise lstat */
        struct stat st;
        if (fstatat(dfd, nm, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
        if (S_ISDIR(st.st_mode)) {
            int cfd = openat(dfd, nm, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (cfd < 0) continue;
            rc = walk(L, cfd, child, depth + 1);
            close(cfd);
        } else if ((S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) && dd_catalog_wants(child)) {
            rc = load_file(L, child, S_ISLNK(st.st_mode));
        } else if (S_ISREG(st.st_mode)) {
            rc = load_sniff(L, dfd, nm, child, &st);
        }
    }
    closedir(d);
    return rc;
}

int dd_fileset_load_dir(dd_fileset_t *fs, const char *root, dd_err_t *e)
{
    int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return dd_err_errno(e, errno == ENOENT ? DD_ENOTFOUND : DD_EIO, errno,
                            "cannot open root directory '%s'", root);
    struct loader L = {.root_fd = fd, .fs = fs, .e = e};
    int rc = walk(&L, fd, "", 0);
    close(fd);
    return rc;
}

/* ---- extractors ---------------------------------------------------------- */

/* Sorted by name; each entry is a DD_EXTRACTOR_V1 vtable defined in its own
 * file (declared in catalog_int.h). NULL entries are placeholders. */
static const dd_extractor_t *const extractors[] = {
    &dd_extractor_elf,
    &dd_extractor_jar,
};
#define N_EXTRACTORS (sizeof extractors / sizeof extractors[0])

/* Tests may put one extra extractor in front of the table. */
static const dd_extractor_t *test_extractor;

void dd_catalog_test_extractor(const dd_extractor_t *x)
{
    test_extractor = x;
}

const dd_extractor_t *dd_catalog_sniff(const char *path, const unsigned char *head, size_t n,
                                       uint64_t size)
{
    const dd_extractor_t *t = test_extractor;
    if (t && t->sniff && t->sniff(path, head, n, size)) return t;
    for (size_t i = 0; i < N_EXTRACTORS; i++) {
        const dd_extractor_t *x = extractors[i];
        if (x && x->version >= DD_EXTRACTOR_V1 && x->sniff && x->sniff(path, head, n, size)) return x;
    }
    return NULL;
}

int dd_catalog_record_error(dd_buf_t *rec, const char *name, const char *msg)
{
    int rc = dd_buf_append(rec, DD_EXTRACT_MAGIC, DD_EXTRACT_MAGIC_LEN);
    if (!rc) rc = dd_buf_puts(rec, name);
    if (!rc) rc = dd_buf_puts(rec, "\n!");
    /* one line: stop at the first newline */
    size_t ml = strcspn(msg, "\r\n");
    if (!rc) rc = dd_buf_append(rec, msg, ml);
    return rc;
}

void dd_catalog_extract(const dd_extractor_t *x, dd_extract_read_fn read, void *arg, uint64_t size,
                        const char *path, dd_buf_t *rec)
{
    dd_buf_reset(rec);
    rec->max = DD_EXTRACT_MAGIC_LEN + strlen(x->name) + 1 + DD_EXTRACT_MAX_RECORD;
    dd_buf_append(rec, DD_EXTRACT_MAGIC, DD_EXTRACT_MAGIC_LEN);
    dd_buf_puts(rec, x->name);
    dd_buf_putc(rec, '\n');
    size_t hdr = rec->len;
    dd_err_t e = {0};
    int rc = x->extract(read, arg, size, path, rec, &e);
    if (rc != DD_OK) {
        dd_buf_reset(rec);
        dd_catalog_record_error(rec, x->name, e.msg[0] ? e.msg : "cannot read the file");
    } else if (rec->len == hdr) {
        dd_buf_reset(rec);
    }
}

bool dd_catalog_record(const unsigned char *data, size_t len, const char **name, size_t *name_len,
                       const unsigned char **payload, size_t *payload_len)
{
    if (!data || len < DD_EXTRACT_MAGIC_LEN + 1 || memcmp(data, DD_EXTRACT_MAGIC, DD_EXTRACT_MAGIC_LEN) != 0)
        return false;
    const unsigned char *nm = data + DD_EXTRACT_MAGIC_LEN;
    const unsigned char *nl = memchr(nm, '\n', len - DD_EXTRACT_MAGIC_LEN);
    if (!nl || nl == nm) return false;
    if (name) *name = (const char *)nm;
    if (name_len) *name_len = (size_t)(nl - nm);
    if (payload) *payload = nl + 1;
    if (payload_len) *payload_len = len - (size_t)(nl + 1 - data);
    return true;
}
