/*
 * osrelease.c: OS detection. Parses os-release(5) text (KEY=value lines with
 * shell-style quoting and comments) and the older distribution files
 * (etc/alpine-release, etc/debian_version, then etc/redhat-release,
 * etc/centos-release, etc/system-release, etc/fedora-release), then maps the
 * OS to the ecosystem name the vulnerability feeds use ("Debian:12",
 * "Alpine:v3.18", ...) through one sorted table.
 *
 * Order: etc/os-release, else usr/lib/os-release; the distribution files
 * fill in only what os-release did not give (or everything when there is
 * no os-release at all). Symlinks kept by the analyzer (mode S_IFLNK, the
 * target as data) are followed inside the fileset only, never outside the
 * image: etc/os-release -> ../usr/lib/os-release, and CentOS 6's
 * etc/redhat-release -> centos-release.
 *
 * Every string goes to the caller's arena (the inventory's): a field set
 * twice simply points at the newer copy; nothing here is freed.
 */
#include "catalog/catalog_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define OSREL_MAX_VALUE 1024

/* ---- ecosystem mapping -------------------------------------------------- */

enum {
    EV_MAJOR,       /* "Debian:12" from "12.4" */
    EV_FULL,        /* "Ubuntu:22.04": VERSION_ID as is */
    EV_MAJOR_MINOR, /* "CBL-Mariner:2.0": major.minor, ".0" added when missing */
    EV_ALPINE,      /* "Alpine:v3.18" from "3.18.4" */
    EV_SLES,        /* "SUSE:Linux Enterprise Server 15 SP3" from "15.3" */
    EV_NONE,        /* "openSUSE:Tumbleweed": no version */
    EV_AMAZON,      /* "Amazon Linux:2" / ":2023"; the dated AMI releases ("2018.03") are 1 */
};

/* os-release ID -> ecosystem. Fields: id (lowercase, as in os-release),
 * prefix of the ecosystem name, how the version is appended.
 * MUST be sorted by id (strcmp order). */
static const struct eco {
    const char *id;
    const char *prefix;
    int style;
} ecos[] = {
    {"almalinux", "AlmaLinux:", EV_MAJOR},
    {"alpine", "Alpine:", EV_ALPINE},
    {"amzn", "Amazon Linux:", EV_AMAZON},
    {"azurelinux", "Azure Linux:", EV_MAJOR_MINOR},
    {"centos", "CentOS:", EV_MAJOR},
    {"chainguard", "Chainguard", EV_NONE},
    {"debian", "Debian:", EV_MAJOR},
    {"fedora", "Fedora:", EV_MAJOR},
    {"mariner", "CBL-Mariner:", EV_MAJOR_MINOR},
    {"ol", "Oracle Linux:", EV_MAJOR},
    {"opensuse-leap", "openSUSE:Leap ", EV_FULL},
    {"opensuse-leap-micro", "openSUSE:Leap Micro ", EV_FULL},
    {"opensuse-tumbleweed", "openSUSE:Tumbleweed", EV_NONE},
    {"photon", "Photon OS:", EV_MAJOR_MINOR},
    {"rhel", "Red Hat:", EV_MAJOR},
    {"rocky", "Rocky Linux:", EV_MAJOR},
    {"sle-micro", "SUSE:Linux Enterprise Micro ", EV_FULL},
    {"sle_hpc", "SUSE:Linux Enterprise Server ", EV_SLES},
    {"sles", "SUSE:Linux Enterprise Server ", EV_SLES},
    {"sles_sap", "SUSE:Linux Enterprise Server ", EV_SLES},
    {"ubuntu", "Ubuntu:", EV_FULL},
    {"wolfi", "Wolfi", EV_NONE},
};

static const struct eco *eco_find(const char *id)
{
    size_t lo = 0, hi = sizeof ecos / sizeof ecos[0];
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(ecos[mid].id, id);
        if (c == 0) return &ecos[mid];
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

/* Leading decimal number of s into *out; returns chars consumed (0 if none). */
static size_t num(const char *s, unsigned long *out)
{
    size_t i = 0;
    unsigned long v = 0;
    while (isdigit((unsigned char)s[i]) && i < 9) v = v * 10 + (unsigned long)(s[i++] - '0');
    *out = v;
    return i;
}

char *dd_os_ecosystem(const char *id, const char *version_id)
{
    if (!id) return NULL;
    const struct eco *m = eco_find(id);
    if (!m) return NULL;
    if (m->style == EV_NONE) return dd_strdup(m->prefix);
    if (!version_id || !*version_id) return NULL;
    unsigned long major = 0, minor = 0;
    size_t n = num(version_id, &major);
    if (n == 0) return NULL;
    bool has_minor = version_id[n] == '.' && num(version_id + n + 1, &minor) > 0;
    switch (m->style) {
    case EV_MAJOR:
        return dd_asprintf("%s%lu", m->prefix, major);
    case EV_FULL:
        if (strlen(version_id) > 64) return NULL;
        return dd_asprintf("%s%s", m->prefix, version_id);
    case EV_MAJOR_MINOR:
        return dd_asprintf("%s%lu.%lu", m->prefix, major, has_minor ? minor : 0);
    case EV_ALPINE:
        if (!has_minor) return NULL;
        return dd_asprintf("%sv%lu.%lu", m->prefix, major, minor);
    case EV_SLES:
        if (has_minor && minor > 0) return dd_asprintf("%s%lu SP%lu", m->prefix, major, minor);
        return dd_asprintf("%s%lu", m->prefix, major);
    case EV_AMAZON:
        return dd_asprintf("%s%lu", m->prefix, major >= 2010 && major <= 2018 ? 1ul : major);
    }
    return NULL;
}

/* dd_os_ecosystem's answer, copied into a. */
static char *ecosystem_in(dd_arena_t *a, const char *id, const char *version_id)
{
    char *m = dd_os_ecosystem(id, version_id);
    char *s = dd_arena_strdup(a, m);
    free(m);
    return s;
}

/* ---- os-release --------------------------------------------------------- */

/* Decodes one value (after '=') into out: "double" quotes with \ escapes,
 * 'single' quotes, or a bare word. Returns false when it is too long. */
static bool decode_value(const char *s, size_t n, char *out, size_t outsz)
{
    size_t o = 0, i = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t')) i++;
    char q = 0;
    for (; i < n; i++) {
        char c = s[i];
        if (!q && (c == '"' || c == '\'')) {
            q = c;
            continue;
        }
        if (q && c == q) {
            q = 0;
            continue;
        }
        if (q != '\'' && c == '\\' && i + 1 < n) {
            c = s[++i];
        } else if (!q && (c == ' ' || c == '\t' || c == '\r')) {
            /* unquoted blank: rest is trailing space or a stray word */
            break;
        }
        if (c == '\0') return false;
        if (o + 1 >= outsz) return false;
        out[o++] = c;
    }
    out[o] = '\0';
    return true;
}

static void set_str(dd_arena_t *a, char **dst, const char *v)
{
    *dst = v && *v ? dd_arena_strdup(a, v) : NULL;
}

/* Codename from VERSION="12 (bookworm)" or "18.04.1 LTS (Bionic Beaver)":
 * the first word inside the parentheses, lowercased. */
static char *codename_from_version(dd_arena_t *a, const char *v)
{
    const char *l = strchr(v, '(');
    if (!l) return NULL;
    l++;
    size_t n = 0;
    while (l[n] && isalpha((unsigned char)l[n])) n++;
    if (n == 0 || l[n] == '\0') return NULL;
    char *c = dd_arena_strndup(a, l, n);
    for (char *p = c; *p; p++) *p = (char)tolower((unsigned char)*p);
    return c;
}

int dd_os_release_parse(const char *text, size_t len, dd_arena_t *a, dd_os_t *os)
{
    char val[OSREL_MAX_VALUE];
    char *version = NULL, *ubuntu_codename = NULL;
    bool have_id = false;
    size_t i = 0;
    while (i < len) {
        size_t ls = i;
        while (i < len && text[i] != '\n') i++;
        size_t le = i;
        if (i < len) i++;
        while (ls < le && (text[ls] == ' ' || text[ls] == '\t')) ls++;
        if (ls >= le || text[ls] == '#') continue;
        const char *eq = memchr(text + ls, '=', le - ls);
        if (!eq) continue;
        size_t kl = (size_t)(eq - (text + ls));
        const char *k = text + ls;
        const char *v = eq + 1;
        size_t vl = le - (size_t)(v - text);
        if (!decode_value(v, vl, val, sizeof val)) continue;
#define KEY(s) (kl == sizeof(s) - 1 && memcmp(k, s, kl) == 0)
        if (KEY("ID")) {
            for (char *p = val; *p; p++) *p = (char)tolower((unsigned char)*p);
            set_str(a, &os->id, val);
            have_id = os->id != NULL;
        } else if (KEY("VERSION_ID")) {
            set_str(a, &os->version_id, val);
        } else if (KEY("NAME")) {
            set_str(a, &os->name, val);
        } else if (KEY("PRETTY_NAME")) {
            set_str(a, &os->pretty_name, val);
        } else if (KEY("VERSION_CODENAME")) {
            set_str(a, &os->codename, val);
        } else if (KEY("UBUNTU_CODENAME")) {
            set_str(a, &ubuntu_codename, val);
        } else if (KEY("VERSION")) {
            set_str(a, &version, val);
        }
#undef KEY
    }
    if (!os->codename && ubuntu_codename) os->codename = ubuntu_codename;
    if (!os->codename && version) os->codename = codename_from_version(a, version);
    if (!have_id) return DD_EINVAL;
    os->ecosystem = ecosystem_in(a, os->id, os->version_id);
    return DD_OK;
}

/* ---- the older distribution files ---------------------------------------- */

/* First line of a file, trimmed; NULL if absent, empty or too long. */
static char *first_line(dd_arena_t *a, const dd_file_t *f)
{
    if (!f) return NULL;
    const char *s = (const char *)f->data;
    size_t n = 0;
    while (n < f->len && s[n] != '\n') n++;
    if (n > OSREL_MAX_VALUE) return NULL;
    return dd_catalog_field_dup(a, s, n);
}

/* The file at path, following symlinks kept as links (the analyzer keeps
 * OS release links with their target as data) inside the fileset only: a
 * relative target is taken from the link's directory, an absolute one from
 * the image root, and ".." never climbs above the root. NULL if absent,
 * dangling, escaping or looping. */
static const dd_file_t *get_regular(dd_fileset_t *fs, const char *path)
{
    char cur[OSREL_MAX_VALUE], tmp[2 * OSREL_MAX_VALUE + 2];
    snprintf(cur, sizeof cur, "%s", path);
    for (int hops = 0; hops < 8; hops++) {
        const dd_file_t *f = dd_fileset_get(fs, cur);
        if (!f) return NULL;
        if ((f->mode & S_IFMT) != S_IFLNK) return f;
        const char *t = (const char *)f->data;
        if (f->len == 0 || f->len >= OSREL_MAX_VALUE || memchr(t, '\0', f->len)) return NULL;
        if (t[0] == '/') {
            snprintf(tmp, sizeof tmp, "%s", t);
        } else {
            const char *slash = strrchr(cur, '/');
            int dl = slash ? (int)(slash - cur) : 0;
            snprintf(tmp, sizeof tmp, "%.*s%s%s", dl, cur, dl ? "/" : "", t);
        }
        /* clamp ".." at the root: drop leading ones after normalizing */
        char norm[OSREL_MAX_VALUE];
        const char *p = tmp;
        while (*p == '/') p++;
        char stack[OSREL_MAX_VALUE];
        size_t sl = 0;
        while (*p) {
            const char *seg = p;
            while (*p && *p != '/') p++;
            size_t n = (size_t)(p - seg);
            while (*p == '/') p++;
            if (n == 0 || (n == 1 && seg[0] == '.')) continue;
            if (n == 2 && seg[0] == '.' && seg[1] == '.') {
                while (sl > 0 && stack[sl - 1] != '/') sl--;
                if (sl > 0) sl--;
                continue;
            }
            if (sl + n + 2 >= sizeof stack) return NULL;
            if (sl) stack[sl++] = '/';
            memcpy(stack + sl, seg, n);
            sl += n;
        }
        stack[sl] = '\0';
        if (dd_path_normalize(stack, norm, sizeof norm) != DD_OK) return NULL;
        snprintf(cur, sizeof cur, "%s", norm);
    }
    return NULL; /* link loop */
}

static bool from_alpine_release(dd_fileset_t *fs, dd_arena_t *a, dd_os_t *os)
{
    char *v = first_line(a, get_regular(fs, "etc/alpine-release"));
    if (!v) return false;
    set_str(a, &os->id, "alpine");
    set_str(a, &os->name, "Alpine Linux");
    os->version_id = v;
    return true;
}

/* Codenames that etc/debian_version may carry as "<codename>/sid". */
static const char *const debian_codenames[] = {
    "bookworm", "bullseye", "buster", "forky", "jessie", "stretch", "trixie",
};

static bool from_debian_version(dd_fileset_t *fs, dd_arena_t *a, dd_os_t *os)
{
    char *v = first_line(a, get_regular(fs, "etc/debian_version"));
    if (!v) return false;
    set_str(a, &os->id, "debian");
    set_str(a, &os->name, "Debian GNU/Linux");
    if (isdigit((unsigned char)v[0])) {
        os->version_id = v;
        return true;
    }
    /* "bookworm/sid": testing or unstable, no release number */
    char *slash = strchr(v, '/');
    if (slash) *slash = '\0';
    for (size_t i = 0; i < sizeof debian_codenames / sizeof debian_codenames[0]; i++)
        if (strcmp(v, debian_codenames[i]) == 0) os->codename = v;
    return true;
}

/* "Red Hat Enterprise Linux release 8.6 (Ootpa)", "CentOS release 6.10
 * (Final)", "CentOS Linux release 7.9.2009 (Core)", "AlmaLinux release 9.2
 * (...)", "Rocky Linux release 9.1", "Fedora release 38 (Thirty Eight)",
 * "Amazon Linux release 2 (Karoo)", "Amazon Linux AMI release 2018.03",
 * "Oracle Linux Server release 7.9": the first line of etc/redhat-release,
 * etc/centos-release, etc/system-release or etc/fedora-release. */
static bool from_redhat_release(dd_fileset_t *fs, const char *path, dd_arena_t *a, dd_os_t *os)
{
    char *line = first_line(a, get_regular(fs, path));
    if (!line) return false;
    /* sorted by prefix; the first that matches wins */
    static const struct {
        const char *prefix, *id, *name;
    } rh[] = {
        {"AlmaLinux", "almalinux", "AlmaLinux"},
        {"Amazon Linux", "amzn", "Amazon Linux"},
        {"CentOS", "centos", "CentOS Linux"},
        {"Fedora", "fedora", "Fedora Linux"},
        {"Oracle Linux", "ol", "Oracle Linux Server"},
        {"Red Hat Enterprise Linux", "rhel", "Red Hat Enterprise Linux"},
        {"Rocky Linux", "rocky", "Rocky Linux"},
    };
    bool ok = false;
    for (size_t i = 0; i < sizeof rh / sizeof rh[0]; i++) {
        if (!dd_str_startswith(line, rh[i].prefix)) continue;
        set_str(a, &os->id, rh[i].id);
        set_str(a, &os->name, rh[i].name);
        set_str(a, &os->pretty_name, line);
        const char *r = strstr(line, " release ");
        if (r) {
            r += strlen(" release ");
            size_t n = 0;
            while (r[n] && (isdigit((unsigned char)r[n]) || r[n] == '.')) n++;
            if (n) os->version_id = dd_arena_strndup(a, r, n);
        }
        ok = true;
        break;
    }
    return ok;
}

int dd_os_detect(dd_fileset_t *fs, dd_arena_t *a, dd_os_t *os)
{
    static const char *const paths[] = {"etc/os-release", "usr/lib/os-release"};
    bool found = false;
    for (size_t i = 0; i < 2 && !found; i++) {
        const dd_file_t *f = get_regular(fs, paths[i]);
        if (!f) continue;
        dd_os_t tmp = {0};
        if (dd_os_release_parse((const char *)f->data, f->len, a, &tmp) == DD_OK) {
            *os = tmp;
            found = true;
        }
    }
    /* Distribution files fill in what os-release did not give. */
    if (!found || (os->id && strcmp(os->id, "alpine") == 0 && !os->version_id)) {
        if (from_alpine_release(fs, a, os)) found = true;
    }
    if (!found || (os->id && strcmp(os->id, "debian") == 0 && !os->version_id)) {
        if (!found || get_regular(fs, "etc/debian_version")) {
            char *keep_codename = os->codename;
            if (from_debian_version(fs, a, os)) found = true;
            if (keep_codename && !os->codename) os->codename = keep_codename;
        }
    }
    static const char *const rh_files[] = {"etc/redhat-release", "etc/centos-release", "etc/system-release",
                                           "etc/fedora-release"};
    for (size_t i = 0; i < sizeof rh_files / sizeof rh_files[0] && !found; i++)
        if (from_redhat_release(fs, rh_files[i], a, os)) found = true;
    if (!found) return DD_DECLINED;
    if (!os->ecosystem) os->ecosystem = ecosystem_in(a, os->id, os->version_id);
    return DD_OK;
}
