/*
 * java.c: Java archives. The "jar" extractor streams a jar/war/ear through
 * libarchive's streaming zip reader and writes a small record of the Maven
 * packages it holds; the "maven" cataloger turns those records into
 * packages named "group:artifact".
 *
 * Which files: sniff() claims a regular file whose first bytes are a zip
 * local file header ("PK\3\4") AND whose name ends in .jar, .war, .ear,
 * .par, .sar, .kar, .hpi or .jpi (any case): the Java archive kinds (web
 * apps, enterprise apps, resource adapters, Jenkins plugins...). A zip with
 * another name (a .zip of sources, an .apk) is not read, and a file merely
 * named .jar is not either.
 *
 * What is read, per archive (the outer one and each nested one):
 *   1. every META-INF/maven/<g>/<a>/pom.properties: groupId, artifactId,
 *      version (the path's <g>/<a> when a key is missing): one package each
 *      (a shaded or fat jar carries many);
 *   2. else META-INF/MANIFEST.MF's main section: the version is
 *      Implementation-Version, else Bundle-Version, else
 *      Specification-Version; the artifact is the archive file name's
 *      ("commons-io-2.11.0.jar" -> "commons-io"; for a name without a
 *      version, "app.jar", Implementation-Title, else Specification-Title);
 *      the group is Implementation-Vendor-Id, else derived from
 *      Bundle-SymbolicName (BSN, "; directives" dropped): the BSN without its
 *      last dotted component when that component is the artifact
 *      ("com.fasterxml.jackson.core.jackson-databind"), unless that would
 *      leave a one-word group: then the whole BSN ("org.opentest4j" for
 *      opentest4j); when the last component is not the artifact, the BSN
 *      without it ("org.apache.commons.lang3" -> "org.apache.commons"), as
 *      Trivy does; no BSN: no group, the name is the bare artifact;
 *   3. else the file name "name-1.2.3.jar" (the version starts at the last
 *      '-' followed by a digit): the bare artifact "name", version "1.2.3".
 *   Archives inside, at "WEB-INF/lib/", "BOOT-INF/lib/", "lib/" or the
 *   root ("x.war" in an ear), with one of the names above, are read the
 *   same way down to JAR_MAX_DEPTH levels; their packages are found at
 *   "outer.war!WEB-INF/lib/x.jar".
 *
 * Bounds (a zip bomb gives an error, not memory growth): JAR_MAX_ENTRIES
 * entries in all, JAR_MAX_SMALL bytes for a pom.properties or manifest,
 * JAR_MAX_INFLATED bytes inflated in all (nested archives and the entries
 * of unknown size the streaming reader has to inflate to find their end),
 * and an inflated/compressed ratio of at most JAR_MAX_RATIO once past
 * JAR_RATIO_FLOOR. Crossing a bound fails the whole file (error record).
 * A nested archive that is merely corrupt is a warning line; the rest of
 * the outer archive is still read.
 *
 * Record payload (after DD_EXTRACT_MAGIC "jar\n"), one line per item,
 * fields separated by tabs (fields never hold tabs, newlines or control
 * characters: such values are dropped with a warning line):
 *     P <nested> <name> <version>      a package
 *     W <nested> <message>             a problem in that archive
 * <nested> is "" for the archive itself, else the path of the nested
 * archive inside it ("WEB-INF/lib/x.jar", deeper: "a.war!WEB-INF/lib/x.jar").
 */
#include "catalog/lang_int.h"

#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define JAR_MAX_DEPTH 3                       /* nested archive levels below the file */
#define JAR_MAX_ENTRIES 200000                /* entries in all archives of one file */
#define JAR_MAX_SMALL (1u << 20)              /* one pom.properties or MANIFEST.MF */
#define JAR_MAX_INFLATED ((uint64_t)2 << 30)  /* bytes inflated for one file */
#define JAR_MAX_RATIO 200                     /* inflated / compressed */
#define JAR_RATIO_FLOOR ((uint64_t)16 << 20)  /* the ratio is checked past this many bytes */
#define JAR_BUF (64u * 1024)

/* ---- names ------------------------------------------------------------------ */

static const char *const jar_exts[] = {".ear", ".hpi", ".jar", ".jpi", ".kar", ".par", ".sar", ".war"};

static bool jar_name(const char *name)
{
    size_t n = strlen(name);
    if (n < 5) return false;
    const char *x = name + n - 4;
    for (size_t i = 0; i < sizeof jar_exts / sizeof jar_exts[0]; i++)
        if (strcasecmp(x, jar_exts[i]) == 0) return true;
    return false;
}

static bool jar_sniff(const char *path, const unsigned char *head, size_t n, uint64_t size)
{
    (void)size;
    if (n < 4 || memcmp(head, "PK\3\4", 4) != 0) return false;
    const char *base = strrchr(path, '/');
    return jar_name(base ? base + 1 : path);
}

/* True for an archive entry that is a nested archive to read. */
static bool nested_entry(const char *name)
{
    if (!jar_name(name)) return false;
    const char *slash = strrchr(name, '/');
    if (!slash) return true;
    size_t dl = (size_t)(slash - name);
    return (dl == 3 && memcmp(name, "lib", 3) == 0) || (dl == 11 && memcmp(name, "WEB-INF/lib", 11) == 0) ||
           (dl == 12 && memcmp(name, "BOOT-INF/lib", 12) == 0);
}

/* ---- the walk ----------------------------------------------------------------- */

struct job {
    dd_extract_read_fn read;
    void *arg;
    dd_buf_t *rec;
    dd_err_t *e;
    uint64_t consumed;  /* compressed bytes read from the file */
    uint64_t inflated;  /* bytes inflated in all */
    uint64_t entries;
    int bound_rc;       /* set when a bound was crossed (stops everything) */
    bool rec_full;
    unsigned char *tmp; /* JAR_BUF bytes for read_entry (heap: scan threads have small stacks) */
};

struct src {
    struct job *J;
    struct archive *parent; /* NULL: the file itself */
    unsigned char buf[JAR_BUF];
};

/* Counts n inflated bytes; false (and J->bound_rc) past a bound. */
static bool count_inflated(struct job *J, size_t n)
{
    J->inflated += n;
    if (J->inflated > JAR_MAX_INFLATED) {
        J->bound_rc = dd_err(J->e, DD_ELIMIT, "more than %llu bytes inflated (zip bomb?)",
                             (unsigned long long)JAR_MAX_INFLATED);
        return false;
    }
    if (J->inflated > JAR_RATIO_FLOOR && J->inflated / JAR_MAX_RATIO > J->consumed) {
        J->bound_rc = dd_err(J->e, DD_ELIMIT, "compression ratio over %d (zip bomb?)", JAR_MAX_RATIO);
        return false;
    }
    return true;
}

static la_ssize_t src_read(struct archive *a, void *client, const void **out)
{
    struct src *s = client;
    struct job *J = s->J;
    if (J->bound_rc) return -1;
    ssize_t n;
    if (!s->parent) {
        n = J->read(J->arg, s->buf, sizeof s->buf);
        if (n > 0) J->consumed += (uint64_t)n;
    } else {
        n = archive_read_data(s->parent, s->buf, sizeof s->buf);
        if (n > 0 && !count_inflated(J, (size_t)n)) n = -1;
    }
    if (n < 0) {
        archive_set_error(a, -1, "read error");
        return -1;
    }
    *out = s->buf;
    return n;
}

/* Appends one record line; fields with tabs/newlines/control bytes are refused. */
static bool field_ok(const char *s, size_t n)
{
    if (n == 0 || n > DD_CATALOG_MAX_FIELD) return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) return false;
    return true;
}

static void rec_line(struct job *J, char kind, const char *nested, const char *a, size_t an,
                     const char *b, size_t bn)
{
    if (J->rec_full) return;
    size_t need = 8 + strlen(nested) + an + bn;
    if (J->rec->len + need + 64 > DD_EXTRACT_MAX_RECORD) {
        J->rec_full = true;
        dd_buf_printf(J->rec, "W\t%s\trecord full: the rest is skipped\n", nested);
        return;
    }
    dd_buf_printf(J->rec, "%c\t%s\t%.*s", kind, nested, (int)an, a);
    if (b) dd_buf_printf(J->rec, "\t%.*s", (int)bn, b);
    dd_buf_putc(J->rec, '\n');
}

static void rec_warn(struct job *J, const char *nested, const char *msg)
{
    char clean[256];
    size_t n = 0;
    for (; msg[n] && n < sizeof clean - 1; n++) clean[n] = (unsigned char)msg[n] < 0x20 ? ' ' : msg[n];
    rec_line(J, 'W', nested, clean, n, NULL, 0);
}

static void rec_pkg(struct job *J, const char *nested, const char *group, size_t gn, const char *art,
                    size_t an, const char *ver, size_t vn)
{
    char name[2 * DD_CATALOG_MAX_FIELD + 2];
    if (gn > DD_CATALOG_MAX_FIELD || an > DD_CATALOG_MAX_FIELD) return;
    size_t nn = 0;
    if (gn) {
        memcpy(name, group, gn);
        name[gn] = ':';
        nn = gn + 1;
    }
    memcpy(name + nn, art, an);
    nn += an;
    if (!field_ok(name, nn) || !field_ok(ver, vn) || (gn && !field_ok(group, gn)) || !an) {
        rec_warn(J, nested, "package with an unusable name or version skipped");
        return;
    }
    rec_line(J, 'P', nested, name, nn, ver, vn);
}

/* Reads the current entry: into out (at most max bytes) or, with out NULL,
 * only counting. DD_OK, else an error rc (J->bound_rc for bounds). */
static int read_entry(struct job *J, struct archive *a, dd_buf_t *out, size_t max)
{
    unsigned char *tmp = J->tmp;
    for (;;) {
        la_ssize_t n = archive_read_data(a, tmp, JAR_BUF);
        if (J->bound_rc) return J->bound_rc;
        if (n < 0) return DD_ECORRUPT;
        if (n == 0) return DD_OK;
        if (!count_inflated(J, (size_t)n)) return J->bound_rc;
        if (out) {
            if (out->len + (size_t)n > max)
                return J->bound_rc = dd_err(J->e, DD_ELIMIT, "an archive entry is larger than %zu bytes", max);
            dd_buf_append(out, tmp, (size_t)n);
        }
    }
}

/* Trims blanks and CR around [*s, *s + *n). */
static void trim(const char **s, size_t *n)
{
    while (*n && (**s == ' ' || **s == '\t')) (*s)++, (*n)--;
    while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t' || (*s)[*n - 1] == '\r')) (*n)--;
}

/* pom.properties: "key=value" / "key: value" lines, '#' and '!' comments. */
static void pom_props(struct job *J, const char *nested, const char *ename, const char *d, size_t len)
{
    const char *g = NULL, *a = NULL, *v = NULL;
    size_t gn = 0, an = 0, vn = 0;
    for (size_t i = 0; i < len;) {
        const char *ln = d + i;
        const char *nl = memchr(ln, '\n', len - i);
        size_t n = nl ? (size_t)(nl - ln) : len - i;
        i += n + 1;
        trim(&ln, &n);
        if (!n || ln[0] == '#' || ln[0] == '!') continue;
        size_t k = 0;
        while (k < n && ln[k] != '=' && ln[k] != ':') k++;
        if (k == n) continue;
        const char *key = ln, *val = ln + k + 1;
        size_t kn = k, valn = n - k - 1;
        trim(&key, &kn);
        trim(&val, &valn);
        if (kn == 7 && memcmp(key, "groupId", 7) == 0) g = val, gn = valn;
        else if (kn == 10 && memcmp(key, "artifactId", 10) == 0) a = val, an = valn;
        else if (kn == 7 && memcmp(key, "version", 7) == 0) v = val, vn = valn;
    }
    /* META-INF/maven/<g>/<a>/pom.properties */
    const char *pg = ename + 15, *ps = strchr(pg, '/');
    const char *pa = ps ? ps + 1 : NULL, *pe = pa ? strchr(pa, '/') : NULL;
    if (!gn && ps) g = pg, gn = (size_t)(ps - pg);
    if (!an && pe) a = pa, an = (size_t)(pe - pa);
    if (!vn || !an) {
        char msg[200];
        snprintf(msg, sizeof msg, "%.150s without a version or artifactId skipped", ename);
        rec_warn(J, nested, msg);
        return;
    }
    rec_pkg(J, nested, g, gn, a, an, v, vn);
}

/* "name-1.2.3.jar": the artifact and version, false when there's no version. */
static bool split_filename(const char *base, const char **art, size_t *an, const char **ver, size_t *vn)
{
    size_t n = strlen(base);
    *art = base, *an = n;
    if (n < 5) return false;
    n -= 4; /* the extension */
    for (size_t i = n; i-- > 1;) {
        if (base[i] == '-' && isdigit((unsigned char)base[i + 1])) {
            *art = base, *an = i;
            *ver = base + i + 1, *vn = n - i - 1;
            return *vn > 0;
        }
    }
    *art = base, *an = n;
    return false;
}

/* Value of a main-section attribute of a manifest whose continuation lines
 * are already joined (see manifest_join). */
static bool mf_get(const char *mf, const char *key, const char **v, size_t *vn)
{
    size_t kl = strlen(key);
    for (const char *p = mf; *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        if (n == 0) return false; /* end of the main section */
        if (n > kl + 1 && strncasecmp(p, key, kl) == 0 && p[kl] == ':') {
            *v = p + kl + 1;
            *vn = n - kl - 1;
            trim(v, vn);
            return *vn > 0;
        }
        p += n + (nl ? 1 : 0);
    }
    return false;
}

/* Joins manifest continuation lines (a line starting with one space) and
 * drops CRs, in place; NUL-terminates. */
static void manifest_join(dd_buf_t *b)
{
    dd_buf_putc(b, '\0');
    char *s = b->ptr, *o = b->ptr;
    for (char *p = s; *p; p++) {
        if (*p == '\r') continue;
        if (*p == '\n' && p[1] == ' ') {
            p++;
            continue;
        }
        if (*p == '\n' && p[1] == '\r' && p[2] == '\n' && p[3] == ' ') {
            p += 3;
            continue;
        }
        *o++ = *p;
    }
    *o = '\0';
}

static void manifest_pkg(struct job *J, const char *nested, const char *base, const char *mf)
{
    const char *ver, *art, *fver, *grp = NULL, *bsn, *t;
    size_t vn, an, fvn, gn = 0, bn, tn;
    bool file_ver = split_filename(base, &art, &an, &fver, &fvn); /* art: the name without extension */
    if (!mf_get(mf, "Implementation-Version", &ver, &vn) && !mf_get(mf, "Bundle-Version", &ver, &vn) &&
        !mf_get(mf, "Specification-Version", &ver, &vn)) {
        if (file_ver) rec_pkg(J, nested, NULL, 0, art, an, fver, fvn);
        return;
    }
    /* a file name without a version ("app.jar") says little: a title wins */
    if (!file_ver && (mf_get(mf, "Implementation-Title", &t, &tn) || mf_get(mf, "Specification-Title", &t, &tn)))
        art = t, an = tn;
    if (mf_get(mf, "Implementation-Vendor-Id", &grp, &gn)) {
        /* taken as is */
    } else if (mf_get(mf, "Bundle-SymbolicName", &bsn, &bn)) {
        const char *semi = memchr(bsn, ';', bn); /* "x.y.z;singleton:=true" */
        if (semi) bn = (size_t)(semi - bsn);
        trim(&bsn, &bn);
        const char *dot = NULL, *first = memchr(bsn, '.', bn);
        for (size_t i = 0; i < bn; i++)
            if (bsn[i] == '.') dot = bsn + i;
        bool last_is_art = dot && (size_t)(bsn + bn - dot - 1) == an && memcmp(dot + 1, art, an) == 0;
        if (last_is_art && first != dot)
            grp = bsn, gn = (size_t)(dot - bsn); /* "com.fasterxml.jackson.core.jackson-databind" */
        else if (last_is_art)
            grp = bsn, gn = bn;                  /* "org.opentest4j" for opentest4j */
        else if (dot)
            grp = bsn, gn = (size_t)(dot - bsn); /* "org.apache.commons.lang3" for commons-lang3 */
    }
    if (!grp) gn = 0;
    rec_pkg(J, nested, grp, gn, art, an, ver, vn);
}

static int walk_archive(struct job *J, struct archive *parent, const char *nested, const char *base,
                        int depth);

/* The path of an archive nested in the archive at `nested`. */
static void nested_path(char *out, size_t outsz, const char *nested, const char *ename)
{
    snprintf(out, outsz, "%s%s%s", nested, nested[0] ? "!" : "", ename);
}

static int walk_archive(struct job *J, struct archive *parent, const char *nested, const char *base,
                        int depth)
{
    struct archive *a = archive_read_new();
    struct src *s = dd_calloc(1, sizeof *s);
    s->J = J;
    s->parent = parent;
    archive_read_support_format_zip_streamable(a);
    int rc = DD_OK;
    dd_buf_t mf;
    dd_buf_init(&mf, 0);
    bool have_mf = false, have_pom = false;
    if (archive_read_open(a, s, NULL, src_read, NULL) != ARCHIVE_OK) {
        rc = J->bound_rc ? J->bound_rc : dd_err(J->e, DD_ECORRUPT, "not a readable zip archive: %s", archive_error_string(a) ? archive_error_string(a) : "unknown error");
        goto out;
    }
    struct archive_entry *ent;
    for (;;) {
        int r = archive_read_next_header(a, &ent);
        if (r == ARCHIVE_EOF) break;
        if (J->bound_rc) {
            rc = J->bound_rc;
            break;
        }
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
            rc = dd_err(J->e, DD_ECORRUPT, "corrupt zip archive: %s",
                        archive_error_string(a) ? archive_error_string(a) : "unknown error");
            break;
        }
        if (++J->entries > JAR_MAX_ENTRIES) {
            rc = J->bound_rc = dd_err(J->e, DD_ELIMIT, "more than %d archive entries", JAR_MAX_ENTRIES);
            break;
        }
        const char *en = archive_entry_pathname(ent);
        if (!en) en = "";
        bool is_pom = strncmp(en, "META-INF/maven/", 15) == 0 && dd_str_endswith(en, "/pom.properties");
        if (is_pom) {
            const char *g = en + 15, *sl1 = strchr(g, '/'), *sl2 = sl1 ? strchr(sl1 + 1, '/') : NULL;
            is_pom = sl1 && sl2 && sl1 > g && sl2 > sl1 + 1 && strcmp(sl2, "/pom.properties") == 0;
        }
        if (is_pom || (!have_mf && strcmp(en, "META-INF/MANIFEST.MF") == 0)) {
            dd_buf_t b;
            dd_buf_init(&b, 0);
            rc = read_entry(J, a, &b, JAR_MAX_SMALL);
            if (rc == DD_OK && is_pom) {
                pom_props(J, nested, en, b.ptr ? b.ptr : "", b.len);
                have_pom = true;
            } else if (rc == DD_OK) {
                dd_buf_release(&mf);
                mf = b;
                dd_buf_init(&b, 0);
                have_mf = true;
            }
            dd_buf_release(&b);
        } else if (nested_entry(en) && archive_entry_filetype(ent) == AE_IFREG) {
            char np[4096];
            nested_path(np, sizeof np, nested, en);
            if (depth >= JAR_MAX_DEPTH) {
                rec_warn(J, np, "nested deeper than the limit: not read");
                rc = read_entry(J, a, NULL, 0);
            } else {
                dd_err_t ne = {0};
                dd_err_t *save = J->e;
                J->e = &ne;
                const char *nb = strrchr(en, '/');
                rc = walk_archive(J, a, np, nb ? nb + 1 : en, depth + 1);
                J->e = save;
                if (J->bound_rc) {
                    if (save) *save = ne;
                    rc = J->bound_rc;
                } else if (rc != DD_OK) {
                    rec_warn(J, np, ne.msg[0] ? ne.msg : "unreadable nested archive");
                    rc = DD_OK;
                }
                /* drain what the nested walk left (central directory) */
                if (rc == DD_OK) rc = read_entry(J, a, NULL, 0);
            }
        } else if (archive_entry_size_is_set(ent)) {
            if (archive_read_data_skip(a) != ARCHIVE_OK) rc = J->bound_rc ? J->bound_rc : DD_ECORRUPT;
        } else {
            rc = read_entry(J, a, NULL, 0); /* unknown size: inflated to find the end */
        }
        if (rc != DD_OK) {
            if (J->bound_rc) rc = J->bound_rc;
            else if (rc == DD_ECORRUPT)
                rc = dd_err(J->e, DD_ECORRUPT, "corrupt zip entry '%.200s': %s", en,
                            archive_error_string(a) ? archive_error_string(a) : "read error");
            break;
        }
    }
    if (rc == DD_OK && !have_pom) {
        if (have_mf) {
            manifest_join(&mf);
            manifest_pkg(J, nested, base, mf.ptr);
        } else {
            const char *art, *ver;
            size_t an, vn;
            if (split_filename(base, &art, &an, &ver, &vn)) rec_pkg(J, nested, NULL, 0, art, an, ver, vn);
        }
    }
out:
    dd_buf_release(&mf);
    archive_read_free(a);
    free(s);
    return rc;
}

static int jar_extract(dd_extract_read_fn read, void *arg, uint64_t size, const char *path, dd_buf_t *rec,
                       dd_err_t *e)
{
    (void)size;
    struct job J = {.read = read, .arg = arg, .rec = rec, .e = e, .tmp = dd_malloc(JAR_BUF)};
    const char *base = strrchr(path, '/');
    size_t start = rec->len;
    int rc = walk_archive(&J, NULL, "", base ? base + 1 : path, 0);
    free(J.tmp);
    if (rc != DD_OK) rec->len = start; /* the error record replaces it */
    return rc;
}

const dd_extractor_t dd_extractor_jar = {
    .version = DD_EXTRACTOR_V1,
    .name = "jar",
    .sniff = jar_sniff,
    .extract = jar_extract,
};

/* ---- the maven cataloger ------------------------------------------------------ */

int dd_maven_parse_record(const char *data, size_t len, const char *path, int layer,
                          dd_inventory_t *inv, dd_err_t *e)
{
    dd_arena_t *ar = dd_inventory_arena(inv);
    if (len && data[0] == '!') {
        dd_inventory_warn(inv, "%s: %.*s", path, (int)(len - 1 > 300 ? 300 : len - 1), data + 1);
        return DD_OK;
    }
    char *outer = dd_arena_strdup(ar, path);
    size_t count = 0;
    for (size_t i = 0; i < len;) {
        const char *ln = data + i;
        const char *nl = memchr(ln, '\n', len - i);
        size_t n = nl ? (size_t)(nl - ln) : len - i;
        i += n + 1;
        if (n < 3 || ln[1] != '\t') continue;
        const char *f[4];
        size_t fl[4], nf = 0;
        for (size_t p = 2, st = 2; p <= n && nf < 4; p++) {
            if (p == n || ln[p] == '\t') {
                f[nf] = ln + st;
                fl[nf++] = p - st;
                st = p + 1;
            }
        }
        char *dbp = outer;
        if (nf >= 1 && fl[0] > 0) dbp = dd_arena_printf(ar, "%s!%.*s", path, (int)fl[0], f[0]);
        if (ln[0] == 'W' && nf >= 2) {
            dd_inventory_warn(inv, "%s: %.*s", dbp, (int)(fl[1] > 300 ? 300 : fl[1]), f[1]);
        } else if (ln[0] == 'P' && nf == 3) {
            if (++count > DD_CATALOG_MAX_PKGS)
                return dd_err(e, DD_ELIMIT, "more than %d packages", DD_CATALOG_MAX_PKGS);
            int rc = dd_lang_add(inv, DD_PKG_MAVEN, f[1], fl[1], f[2], fl[2], dbp, layer, e);
            if (rc < 0) return rc;
        }
    }
    return DD_OK;
}

static bool maven_wants(const char *path)
{
    (void)path;
    return false; /* reads the jar extractor's records, not files */
}

struct maven_ctx {
    dd_inventory_t *inv;
    int nfiles, nok, first_rc;
    dd_err_t first;
};

static int maven_one(const dd_file_t *f, void *arg)
{
    struct maven_ctx *c = arg;
    const char *nm;
    size_t nl, pl;
    const unsigned char *pay;
    if (!dd_catalog_record(f->data, f->len, &nm, &nl, &pay, &pl) || nl != 3 || memcmp(nm, "jar", 3) != 0)
        return 0;
    c->nfiles++;
    dd_err_t e1 = {0};
    size_t from = c->inv->n;
    int rc = dd_maven_parse_record((const char *)pay, pl, f->path, f->layer, c->inv, &e1);
    dd_lang_dedup(c->inv, from);
    if (rc == DD_OK) {
        c->nok++;
        return 0;
    }
    dd_catalog_warn_err(c->inv, f->path, &e1);
    if (c->first_rc == DD_OK) c->first_rc = rc, c->first = e1;
    return c->inv->n >= DD_CATALOG_MAX_TOTAL_PKGS ? 1 : 0;
}

static int maven_run(dd_fileset_t *fs, dd_inventory_t *inv, dd_err_t *e)
{
    struct maven_ctx c = {.inv = inv};
    dd_fileset_each_prefix(fs, "", maven_one, &c);
    if (c.nfiles == 0) return DD_DECLINED;
    if (c.nok > 0 || c.first_rc == DD_OK) return DD_OK;
    if (e) *e = c.first;
    return c.first_rc;
}

const dd_cataloger_t dd_cataloger_maven = {
    .version = DD_CATALOGER_V1,
    .name = "maven",
    .wants = maven_wants,
    .run = maven_run,
};
