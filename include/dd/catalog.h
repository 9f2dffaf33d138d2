/*
 * catalog.h: OS detection and OS package catalogs (dpkg, apk, rpm).
 *
 * Input is a dd_fileset_t: the files the layer analyzer kept from an image
 * (already overlaid, whiteouts applied), keyed by normalized path. The
 * analyzer asks dd_catalog_wants() which paths to keep; that question is
 * answered by ONE static interest table in src/catalog/catalog.c.
 *
 * dd_catalog_run() detects the OS and runs every registered cataloger (a
 * versioned vtable, one sorted static table) over the fileset, filling a
 * dd_inventory_t. All parsing is in memory and bounds-checked; the lower
 * level parsers are exported below for tests and libFuzzer drivers.
 *
 * Memory: every string of an inventory (packages, OS, warnings) lives in one
 * arena, the inventory's own or one it borrows (a scan job's); nothing is
 * freed field by field. dd_inventory_release() frees the package and
 * warning arrays and releases the arena when it is the inventory's own.
 * See docs/catalog.md.
 */
#ifndef DD_CATALOG_H
#define DD_CATALOG_H

#include "dd/core.h"
#include "dd/fileset.h"

#include <sys/types.h>

/* ---- limits -------------------------------------------------------------- */
#define DD_CATALOG_MAX_PKGS 200000        /* packages per database */
#define DD_CATALOG_MAX_TOTAL_PKGS 1000000 /* packages per inventory */
#define DD_CATALOG_MAX_FIELD 4096         /* bytes of one kept field (name, version, license...) */
#define DD_CATALOG_MAX_WARNINGS 64        /* warnings kept per inventory (more are counted) */
#define DD_CATALOG_MAX_RPM_BLOB (64u << 20) /* one rpm header blob */

/* ---- inventory ----------------------------------------------------------- */
/* Package types: the OS package databases, then application (language)
 * packages. An application type's name (dd_pkg_type_name) is its purl type
 * ("pypi", "npm", "golang", "maven", "gem", "cargo", "composer", "nuget");
 * dd_pkg_type_ecosystem gives the OSV ecosystem it is matched in. Append
 * only: the value is stored in inventories (src/jobs/invcodec.c). */
typedef enum {
    DD_PKG_DPKG = 1,
    DD_PKG_APK,
    DD_PKG_RPM,
    DD_PKG_PYPI,      /* Python: *.dist-info/METADATA, *.egg-info(/PKG-INFO) */
    DD_PKG_NPM,       /* Node.js: node_modules/ ** /package.json, lock files */
    DD_PKG_GOLANG,    /* Go: module build info in binaries ("stdlib" = the toolchain) */
    DD_PKG_MAVEN,     /* Java: jar/war/ear; name "group:artifact" */
    DD_PKG_GEM,       /* Ruby: specifications/ *.gemspec */
    DD_PKG_CARGO,     /* Rust: cargo-auditable data in binaries, Cargo.lock */
    DD_PKG_COMPOSER,  /* PHP: vendor/composer/installed.json */
    DD_PKG_NUGET,     /* .NET: *.deps.json */
} dd_pkg_type_t;
#define DD_PKG_TYPE_LAST DD_PKG_NUGET

/* True for the application (language) package types (DD_PKG_PYPI and later). */
static inline bool dd_pkg_type_is_app(dd_pkg_type_t t) { return t >= DD_PKG_PYPI && t <= DD_PKG_TYPE_LAST; }

typedef struct dd_package {
    dd_pkg_type_t type;
    char *name;            /* binary package name */
    char *version;         /* full version as the ecosystem writes it: dpkg "1:2.8.2-1ubuntu1",
                              apk "1.24.2-r9", rpm "[E:]V-R" (epoch prefix only when the Epoch
                              tag is present and non-zero) */
    char *source_name;     /* dpkg Source: name (or = name), apk origin (o:, or = name),
                              rpm source rpm's name (or = name) */
    char *source_version;  /* dpkg "(version)" from Source: or = version; apk = version;
                              rpm [E:]V-R of the srpm (or = version) */
    char *arch;            /* NULL if the db has none */
    int epoch;             /* rpm: Epoch tag, -1 when absent; dpkg: epoch parsed from the
                              version, -1 if none; apk: -1 */
    char *rpm_version, *rpm_release, *source_rpm; /* rpm only, else NULL */
    char *module;          /* rpm only: the header's MODULARITYLABEL
                              ("name:stream:version:context", e.g.
                              "nodejs:18:8090020230810:a75119d5") for a package built in a
                              module stream; NULL for non-modular packages (docs/catalog.md) */
    char *license;         /* when the db has it (apk L:, rpm License), else NULL */
    int layer;             /* layer index that added it (the db file's layer; for dpkg
                              status.d, per file); -1 if unknown */
    char *db_path;         /* which database file it came from; for an application
                              package, the file in the image it was read from (the
                              METADATA, package.json, lock file, binary or archive; an
                              archive inside an archive as "app.war!WEB-INF/lib/x.jar") */
} dd_package_t;

typedef struct dd_os {
    char *id, *version_id, *name, *pretty_name, *codename; /* NULL if unknown */
    char *ecosystem;       /* feed ecosystem name: "Debian:12", "Alpine:v3.18", "Ubuntu:22.04",
                              "Red Hat:8", "AlmaLinux:9", "Rocky Linux:9", "CBL-Mariner:2.0",
                              "Azure Linux:3.0", "SUSE:Linux Enterprise Server 15 SP3", ...;
                              NULL when unknown (see docs/catalog.md for the table) */
} dd_os_t;

typedef struct dd_inventory {
    dd_os_t os;
    dd_package_t *pkgs;
    size_t n, cap;
    char **warnings;       /* problems that did not stop the run ("<db path>: <message>") */
    size_t nwarnings;      /* entries in warnings[] */
    size_t nwarnings_dropped; /* warnings beyond DD_CATALOG_MAX_WARNINGS, counted only */
    size_t owned_dropped[DD_PKG_TYPE_LAST + 1]; /* per type: application packages not
                              reported because an OS package owns their file (see
                              dd_catalog_drop_owned) */
    dd_arena_t *mem;       /* borrowed arena holding the strings (a scan job's), or NULL:
                              then they live in own; use dd_inventory_arena() */
    dd_arena_t own;        /* the inventory's own arena */
} dd_inventory_t;

void dd_inventory_init(dd_inventory_t *inv);
/* Like dd_inventory_init, but the strings go to mem (borrowed, which must
 * outlive the inventory's use; releasing the inventory leaves mem alone). */
void dd_inventory_init_in(dd_inventory_t *inv, dd_arena_t *mem);
/* Frees the arrays, releases the own arena, leaves inv initialized (and
 * still borrowing the same arena, if it did). */
void dd_inventory_release(dd_inventory_t *inv);
/* The arena the inventory's strings go to: whoever fills an inventory
 * allocates from it (dd_arena_strdup(dd_inventory_arena(inv), ...)). */
dd_arena_t *dd_inventory_arena(dd_inventory_t *inv);
/* Appends a zeroed package (epoch = -1, layer = -1) and returns it (borrowed,
 * valid until the next add). NULL when the inventory already holds
 * DD_CATALOG_MAX_TOTAL_PKGS packages. */
dd_package_t *dd_inventory_add(dd_inventory_t *inv);
/* Drops the last package (used when a half-filled entry turns out invalid);
 * its strings stay in the arena until it goes. */
void dd_inventory_pop(dd_inventory_t *inv);
/* Records a warning (printf-style). */
void dd_inventory_warn(dd_inventory_t *inv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Sorts packages by (type, name, version, arch). */
void dd_inventory_sort(dd_inventory_t *inv);

/* ---- the interest table -------------------------------------------------- */
/* Non-zero if the layer analyzer must keep this normalized path: os-release and
 * friends, package databases incl. var/lib/dpkg/status.d/<name> (not *.md5sums),
 * lib/apk/db/installed, var/lib/rpm/{Packages,Packages.db,rpmdb.sqlite} and the
 * same under usr/lib/sysimage/rpm/. */
bool dd_catalog_wants(const char *path);
/* Non-zero if a symlink at this path must be kept as a link (mode S_IFLNK,
 * data = the link target as written): the OS release files, which
 * distributions link to each other (CentOS 6: etc/redhat-release ->
 * centos-release; etc/os-release -> ../usr/lib/os-release). dd_os_detect()
 * resolves such links inside the fileset only. */
bool dd_catalog_wants_link(const char *path);
/* Max size of a kept file for that path (256 MiB for rpm dbs, 64 MiB for dpkg
 * status and apk installed, 64 KiB for os-release, 1 MiB for a Python
 * METADATA...); 0 if not wanted. */
size_t dd_catalog_max_file_size(const char *path);

/* Path rules (application files anywhere in the image: "METADATA" in a
 * "*.dist-info" directory, "package.json" under a "node_modules"...; the
 * table and its fields are in catalog.c). dd_catalog_wants,
 * dd_catalog_max_file_size and the catalogers' wants answer for them too.
 * This gives the owner (cataloger name) of the rule that wants path, NULL
 * when no rule does (also for the exact OS paths above). A file a rule wants
 * that is over its max size is not a layer error: the analyzer keeps a "!"
 * record named after the owner instead (see the extractors below), which the
 * cataloger reports as a warning. */
const char *dd_catalog_rule_owner(const char *path);
/* True if the interest-table row or path rule that wants path belongs to
 * owner ("os", "owned", "dpkg", "apk", "rpm", "python", ...). */
bool dd_catalog_wants_owner(const char *path, const char *owner);
/* True if the interest and rule tables are sorted as their lookups need
 * (for the unit test). */
bool dd_catalog_rules_sorted(void);

/* ---- extractors: binaries and archives ----------------------------------- */
/* Application packages hide in files that can't be kept whole (a 100 MiB Go
 * binary, a fat jar). For a regular file that no path rule wants, the layer
 * analyzer (and the unpacked-root loader) offers the file's first bytes to
 * dd_catalog_sniff(); the extractor that claims it reads the file as a
 * stream and returns a small record, which is kept in the fileset under the
 * file's own path instead of the bytes (so overlay and whiteouts apply to it
 * as to any file). Catalogers recognize records by DD_EXTRACT_MAGIC.
 *
 * Record layout: DD_EXTRACT_MAGIC, the extractor's name, '\n', then the
 * extractor's payload (its own documented format). An extractor that fails
 * on a hostile or broken file gives a record whose payload is "!" followed
 * by the one-line message; the cataloger reports it as a warning and the
 * scan goes on. */
#define DD_EXTRACTOR_V1 1
#define DD_EXTRACT_HEAD 64                 /* bytes offered to sniff() */
#define DD_EXTRACT_MAX_RECORD (1u << 20)   /* largest record kept per file */
#define DD_EXTRACT_MAGIC "\x7f" "DDX1 "    /* 6 bytes; no ELF/zip/text file starts so */
#define DD_EXTRACT_MAGIC_LEN 6

/* Same contract as dd_read_fn (analyzer.h): bytes read, 0 at end, -1 on error. */
typedef ssize_t (*dd_extract_read_fn)(void *arg, void *buf, size_t n);

typedef struct dd_extractor {
    int version;           /* DD_EXTRACTOR_V1; methods are only appended */
    const char *name;      /* "elf", "jar", ...: the table in catalog.c is sorted by name */
    /* True if this extractor wants the file. head holds its first
     * min(size, DD_EXTRACT_HEAD) bytes; path is normalized; size is the whole
     * file's. Called for every unwanted regular file of every layer: must
     * cost a few comparisons. */
    bool (*sniff)(const char *path, const unsigned char *head, size_t n, uint64_t size);
    /* Reads the file (from its first byte) through read, as far as it needs
     * (the caller skips the rest), and appends its payload to rec (at most
     * DD_EXTRACT_MAX_RECORD bytes). DD_OK with rec left empty when the file
     * holds nothing of interest (nothing is kept); an error rc and e when
     * the file is malformed or over a bound. Memory stays bounded whatever
     * the input (no buffering of the whole file). */
    int (*extract)(dd_extract_read_fn read, void *arg, uint64_t size, const char *path,
                   dd_buf_t *rec, dd_err_t *e);
} dd_extractor_t;

/* The extractor that claims this file, or NULL (see dd_extractor_t.sniff). */
const dd_extractor_t *dd_catalog_sniff(const char *path, const unsigned char *head, size_t n,
                                       uint64_t size);
/* For tests: an extractor asked before the table (NULL to remove it). */
void dd_catalog_test_extractor(const dd_extractor_t *x);
/* Runs x over one file and leaves the whole record in rec (which the caller
 * has dd_buf_init'ed with any cap; it is reset here): DD_EXTRACT_MAGIC, the
 * name, '\n', the payload; when extract() fails, the payload is "!" and its
 * message; rec->len is 0 when the file holds nothing of interest. The
 * caller's read function must remember its own failures (a truncated layer
 * is the layer's error, not the file's). */
void dd_catalog_extract(const dd_extractor_t *x, dd_extract_read_fn read, void *arg, uint64_t size,
                        const char *path, dd_buf_t *rec);
/* Appends a failure record (magic, name, '\n', "!", msg) to rec. */
int dd_catalog_record_error(dd_buf_t *rec, const char *name, const char *msg);
/* If data is a record, true with its extractor (or rule owner) name and
 * payload (borrowed, pointing into data; the name is not NUL-terminated);
 * false for ordinary file contents. */
bool dd_catalog_record(const unsigned char *data, size_t len, const char **name, size_t *name_len,
                       const unsigned char **payload, size_t *payload_len);

/* ---- catalogers ---------------------------------------------------------- */
#define DD_CATALOGER_V1 1

/* A cataloger: one per package database family, registered in the sorted
 * static table in catalog.c. */
typedef struct dd_cataloger {
    int version;           /* DD_CATALOGER_V1; methods are only appended */
    const char *name;      /* "apk", "dpkg", "rpm": the table is sorted by name */
    /* Non-zero if path is one of this cataloger's databases (answers from the
     * interest table rows owned by this cataloger). */
    bool (*wants)(const char *path);
    /* Reads this cataloger's databases out of fs into inv. Returns DD_OK when
     * at least one database was read, DD_DECLINED when none is present, or an
     * error (and e) when every database present failed. Problems that do not
     * stop it go to inv warnings. */
    int (*run)(dd_fileset_t *fs, dd_inventory_t *inv, dd_err_t *e);
} dd_cataloger_t;

/* The registered catalogers (borrowed, static, sorted by name) and their number. */
const dd_cataloger_t *const *dd_catalog_catalogers(size_t *n_out);
const dd_cataloger_t *dd_catalog_find(const char *name);

/* Detects the OS and runs every cataloger over fs, appending to inv (which the
 * caller has dd_inventory_init'ed). Packages are sorted at the end.
 *
 * Return: DD_OK if at least one package database was read, or if none exists
 * (a scratch or static image: empty inventory). When some database was corrupt
 * but another was read, rc is DD_OK, the problem is in inv->warnings, and e
 * (if given) also carries the first such error (e->code != 0). When every
 * database present failed, the rc of the first failure is returned (usually
 * DD_ECORRUPT or DD_ELIMIT) with e set. */
int dd_catalog_run(dd_fileset_t *fs, dd_inventory_t *inv, dd_err_t *e);

/* ---- OS detection -------------------------------------------------------- */
/* Fills os (zeroed, or filled from the same arena) from etc/os-release, else
 * usr/lib/os-release, then etc/alpine-release, etc/debian_version,
 * etc/redhat-release, etc/centos-release, etc/system-release,
 * etc/fedora-release. Symlinks among them are followed inside the fileset
 * (the image) only. DD_OK when something was recognized, DD_DECLINED when
 * nothing was (os left empty). The strings are allocated in a. */
int dd_os_detect(dd_fileset_t *fs, dd_arena_t *a, dd_os_t *os);
/* Parses os-release text (KEY=value lines, quotes, comments) into os and
 * derives the ecosystem, allocating in a. DD_EINVAL if the text has no ID= line. */
int dd_os_release_parse(const char *text, size_t len, dd_arena_t *a, dd_os_t *os);
/* Computes the ecosystem name for (id, version_id); NULL if unknown. Caller frees. */
char *dd_os_ecosystem(const char *id, const char *version_id);

/* ---- parsers (exported for tests and fuzzing) ----------------------------- */
/* A dpkg status file (or one status.d file when status_d is true: stanzas
 * without a Status: field count as installed there). db_path/layer are copied
 * into each package. Returns DD_OK, or DD_ELIMIT when a bound was hit (the
 * packages read so far stay in inv). */
int dd_dpkg_parse(const char *data, size_t len, bool status_d, const char *db_path, int layer,
                  dd_inventory_t *inv, dd_err_t *e);
/* An apk installed database. */
int dd_apk_parse(const char *data, size_t len, const char *db_path, int layer,
                 dd_inventory_t *inv, dd_err_t *e);

/* One rpm header blob as stored in the databases (no lead, no magic):
 * be32 index count, be32 data size, index entries, data store. */
typedef struct dd_rpm_header {
    const char *name, *version, *release, *arch, *sourcerpm, *license; /* borrowed from blob, NULL if absent */
    const char *modularitylabel; /* tag 5096 MODULARITYLABEL, NULL if absent */
    int epoch;             /* -1 if absent */
} dd_rpm_header_t;
int dd_rpm_header_parse(const uint8_t *blob, size_t len, dd_rpm_header_t *h, dd_err_t *e);

/* Calls fn(blob, len, arg) for each header blob in an rpm database held in
 * memory. fn returns non-zero to stop (returned as is). Errors: DD_ECORRUPT
 * for a malformed container, DD_ELIMIT for bounds. */
typedef int (*dd_rpmdb_blob_fn)(const uint8_t *blob, size_t len, void *arg);
int dd_rpmdb_bdb_each(const uint8_t *data, size_t len, dd_rpmdb_blob_fn fn, void *arg, dd_err_t *e);
int dd_rpmdb_ndb_each(const uint8_t *data, size_t len, dd_rpmdb_blob_fn fn, void *arg, dd_err_t *e);
int dd_rpmdb_sqlite_each(const uint8_t *data, size_t len, dd_rpmdb_blob_fn fn, void *arg, dd_err_t *e);
/* Reads a whole rpm database (format chosen by the file's magic) into inv. */
int dd_rpmdb_parse(const uint8_t *data, size_t len, const char *db_path, int layer,
                   dd_inventory_t *inv, dd_err_t *e);

/* A Python distribution's core metadata (METADATA, PKG-INFO or an .egg-info
 * file): RFC 822-style headers up to the first blank line. Adds one
 * DD_PKG_PYPI package (name and version as published, License-Expression or
 * License) with db_path and layer. DD_ECORRUPT (nothing added) for a file
 * without Name or Version or with a malformed header line. */
int dd_python_metadata_parse(const char *data, size_t len, const char *db_path, int layer,
                             dd_inventory_t *inv, dd_err_t *e);

/* ---- OS-file ownership ---------------------------------------------------- */
/* The paths OS packages own (dpkg info/<pkg>.list files, apk F:/R: lines, rpm
 * headers' BASENAMES/DIRNAMES/DIRINDEXES), as a sorted array of 64-bit
 * hashes of the normalized paths (owned.c). An application package whose
 * file (db_path; for "a.war!x.jar" the outer file) is owned is dropped by
 * dd_catalog_run and counted in inv->owned_dropped[type]. */
#define DD_OWNED_MAX 4000000 /* paths kept (32 MB); more are ignored (truncated) */
typedef struct dd_owned {
    uint64_t *h;
    size_t n, cap;
    bool sorted, truncated;
} dd_owned_t;
void dd_owned_init(dd_owned_t *o);
void dd_owned_release(dd_owned_t *o);
/* Adds one path (a leading "/" or "./" and trailing "/" are ignored). */
void dd_owned_add(dd_owned_t *o, const char *path, size_t n);
void dd_owned_add_dpkg_list(dd_owned_t *o, const char *data, size_t len);
void dd_owned_add_apk(dd_owned_t *o, const char *data, size_t len);
/* One rpm header blob's file list; DD_ECORRUPT for a malformed one (what was
 * read before the fault stays). */
int dd_owned_add_rpm_header(dd_owned_t *o, const uint8_t *blob, size_t len);
/* Everything the OS package databases in fs own. */
void dd_owned_build(dd_fileset_t *fs, dd_owned_t *o);
bool dd_owned_has(dd_owned_t *o, const char *path);
/* Drops the application packages whose file is owned; returns how many. */
size_t dd_catalog_drop_owned(dd_inventory_t *inv, dd_owned_t *o);

/* ---- which layer added each package -------------------------------------- */
/* Refines pkg->layer from the history of the database files. hist[] holds the
 * versions of package database files as the layers wrote them (path, data,
 * layer), in any order; for each path only the versions since its last
 * whiteout belong there. Each package's layer becomes the first layer from
 * which on every version of its database (up to the one it was read from)
 * lists it with the same name, version and arch. A version that does not
 * parse stops the walk (the package keeps the earliest layer above it).
 * Packages whose db_path has no history are unchanged. Returns DD_OK. */
int dd_catalog_attribute_layers(dd_inventory_t *inv, const dd_file_t *hist, size_t nhist, dd_err_t *e);

/* ---- loading a root directory ------------------------------------------- */
/* Loads the wanted files (dd_catalog_wants) from an unpacked root filesystem
 * directory, for tests and `drydock scan dir:PATH`. Symlinks are resolved
 * inside root (absolute targets and ".." stay within it) and never followed
 * out of it; directories reached through symlinks are not walked. Layer is 0.
 * Every directory is walked (path rules match anywhere) except proc, sys and
 * dev at the root, to DD_LOAD_MAX_DEPTH levels and DD_LOAD_MAX_ENTRIES
 * entries; a regular file no rule wants is offered to the extractors as in a
 * layer (its record is kept instead of its bytes). Kept bytes over
 * DD_LOAD_MAX_KEPT are DD_ELIMIT. */
#define DD_LOAD_MAX_DEPTH 64
#define DD_LOAD_MAX_ENTRIES 1000000
#define DD_LOAD_MAX_KEPT ((size_t)256 << 20)
int dd_fileset_load_dir(dd_fileset_t *fs, const char *root, dd_err_t *e);

#endif
