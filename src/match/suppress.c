/*
 * suppress.c: ignore lists (.drydockignore, .trivyignore, .trivyignore.yaml)
 * and OpenVEX documents, and applying them to a scan's findings.
 *
 * Design notes
 *   - Every parser reads untrusted bytes and only builds rules; nothing is
 *     applied while parsing. Text lines are bounded by the file cap; YAML is
 *     first checked event by event (nesting <= 32: libyaml's scanner is
 *     quadratic in open flow levels), then read with libyaml's document API
 *     and walked to a fixed depth (root map
 *     -> vulnerabilities list -> entry map -> paths/purls lists), so aliases
 *     cannot make the walk recurse; JSON with jansson.
 *   - Expiry is decided once, at load time, against s->today (UTC date); an
 *     expired rule is kept (so a report could show it) but never applies, and
 *     a warning names the file and line.
 *   - dd_suppress_apply indexes the rules by every id they name (sorted
 *     array, binary search), so a 100,000-line ignore file costs lookups per
 *     finding, not a scan of every rule.
 *   - Precedence in dd_suppress_apply: earlier filters (ignore-list,
 *     min-severity, unfixed) keep their reason; then ignore files; then VEX,
 *     where the last matching statement wins, as OpenVEX's newest statement
 *     does for documents given in order.
 */
#include "dd/suppress.h"

#include <ctype.h>
#include <fnmatch.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <yaml.h>

#include "dd/report.h"
#include "dd/sbom.h"

/* ---- rules ---------------------------------------------------------------- */

void dd_suppress_init(dd_suppress_t *s)
{
    memset(s, 0, sizeof *s);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(s->today, sizeof s->today, "%Y-%m-%d", &tm);
}

static void strv_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

static void rule_release(dd_supp_rule_t *r)
{
    free(r->id);
    strv_free(r->aliases, r->n_aliases);
    strv_free(r->paths, r->n_paths);
    strv_free(r->purls, r->n_purls);
    for (size_t i = 0; i < r->n_products; i++) {
        strv_free(r->products[i].ids, r->products[i].n_ids);
        strv_free(r->products[i].subs, r->products[i].n_subs);
    }
    free(r->products);
    free(r->status);
    free(r->justification);
    free(r->statement);
    free(r->file);
}

void dd_suppress_release(dd_suppress_t *s)
{
    for (size_t i = 0; i < s->n; i++) rule_release(&s->v[i]);
    free(s->v);
    strv_free(s->warnings, s->n_warnings);
    memset(s, 0, sizeof *s);
}

static void warn(dd_suppress_t *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(dd_suppress_t *s, const char *fmt, ...)
{
    if (s->n_warnings >= 256) return;
    va_list ap;
    va_start(ap, fmt);
    dd_buf_t b;
    dd_buf_init(&b, 0);
    dd_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    s->warnings = dd_realloc(s->warnings, (s->n_warnings + 1) * sizeof *s->warnings);
    s->warnings[s->n_warnings++] = dd_buf_detach(&b, NULL);
}

static dd_supp_rule_t *rule_add(dd_suppress_t *s, dd_supp_kind_t kind, const char *file, int line, dd_err_t *e)
{
    if (s->n >= DD_SUPPRESS_MAX_RULES) {
        dd_err(e, DD_ELIMIT, "%s: more than %d entries", file, DD_SUPPRESS_MAX_RULES);
        return NULL;
    }
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->v = dd_realloc(s->v, s->cap * sizeof *s->v);
    }
    dd_supp_rule_t *r = &s->v[s->n++];
    memset(r, 0, sizeof *r);
    r->kind = kind;
    r->file = dd_strdup(file);
    r->line = line;
    return r;
}

static void strv_push(char ***v, size_t *n, const char *x, size_t len)
{
    *v = dd_realloc(*v, (*n + 1) * sizeof **v);
    (*v)[(*n)++] = dd_strndup(x, len);
}

/* "YYYY-MM-DD" at the start of s (a date or an RFC 3339 timestamp). */
static bool parse_date(const char *s, size_t len, char out[11])
{
    if (len < 10) return false;
    for (int i = 0; i < 10; i++) {
        bool dash = i == 4 || i == 7;
        if (dash ? s[i] != '-' : !isdigit((unsigned char)s[i])) return false;
    }
    if (len > 10 && s[10] != 'T' && s[10] != 't' && s[10] != ' ') return false;
    int mo = (s[5] - '0') * 10 + (s[6] - '0'), d = (s[8] - '0') * 10 + (s[9] - '0');
    if (mo < 1 || mo > 12 || d < 1 || d > 31) return false;
    memcpy(out, s, 10);
    out[10] = '\0';
    return true;
}

static void set_expiry(dd_suppress_t *s, dd_supp_rule_t *r, const char date[11])
{
    memcpy(r->expires, date, 11);
    if (strcmp(s->today, r->expires) >= 0) {
        r->expired = true;
        warn(s, "%s:%d: ignore entry '%s' expired on %s; it no longer ignores", r->file, r->line, r->id,
             r->expires);
    }
}

static bool valid_id(const char *p, size_t n)
{
    if (n == 0 || n > 256) return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)p[i] <= 0x20 || p[i] == 0x7f) return false;
    return true;
}

/* ---- text ignore files ---------------------------------------------------- */

int dd_suppress_parse_ignore(dd_suppress_t *s, const char *data, size_t len, const char *file, dd_err_t *e)
{
    const char *p = data, *end = data + len;
    int line = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        line++;
        /* fields separated by blanks; a field starting with '#' ends the line */
        const char *f[3];
        size_t fl[3];
        int nf = 0;
        const char *q = p;
        while (q < le) {
            while (q < le && (*q == ' ' || *q == '\t' || *q == '\r')) q++;
            if (q >= le || *q == '#') break;
            const char *st = q;
            while (q < le && *q != ' ' && *q != '\t' && *q != '\r') q++;
            if (nf < 3) {
                f[nf] = st;
                fl[nf] = (size_t)(q - st);
            }
            nf++;
        }
        p = nl ? nl + 1 : end;
        if (nf == 0) continue;
        if (!valid_id(f[0], fl[0]))
            return dd_err(e, DD_EINVAL, "%s:%d: invalid vulnerability id", file, line);
        char date[11] = "";
        if (nf >= 2) {
            if (nf > 2 || fl[1] < 4 || memcmp(f[1], "exp:", 4) != 0 || fl[1] != 14 ||
                !parse_date(f[1] + 4, fl[1] - 4, date))
                return dd_err(e, DD_EINVAL, "%s:%d: expected 'ID [exp:YYYY-MM-DD]'", file, line);
        }
        dd_supp_rule_t *r = rule_add(s, DD_SUPP_IGNORE, file, line, e);
        if (!r) return DD_ELIMIT;
        r->id = dd_strndup(f[0], fl[0]);
        if (date[0]) set_expiry(s, r, date);
    }
    return DD_OK;
}

/* ---- YAML ignore files ---------------------------------------------------- */

static yaml_node_t *ymap_get(yaml_document_t *d, yaml_node_t *map, const char *key)
{
    if (!map || map->type != YAML_MAPPING_NODE) return NULL;
    for (yaml_node_pair_t *pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = yaml_document_get_node(d, pr->key);
        if (k && k->type == YAML_SCALAR_NODE && k->data.scalar.length == strlen(key) &&
            memcmp(k->data.scalar.value, key, k->data.scalar.length) == 0)
            return yaml_document_get_node(d, pr->value);
    }
    return NULL;
}

static int yaml_strlist(yaml_document_t *d, yaml_node_t *n, char ***v, size_t *nv, const char *file,
                        const char *what, dd_err_t *e)
{
    if (!n) return DD_OK;
    if (n->type != YAML_SEQUENCE_NODE)
        return dd_err(e, DD_EINVAL, "%s:%zu: '%s' is not a list", file, n->start_mark.line + 1, what);
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
        yaml_node_t *x = yaml_document_get_node(d, *it);
        if (!x || x->type != YAML_SCALAR_NODE || x->data.scalar.length == 0)
            return dd_err(e, DD_EINVAL, "%s:%zu: '%s' entries must be strings", file,
                          x ? x->start_mark.line + 1 : n->start_mark.line + 1, what);
        if (*nv >= DD_SUPPRESS_MAX_LIST)
            return dd_err(e, DD_ELIMIT, "%s: more than %d '%s' in one entry", file, DD_SUPPRESS_MAX_LIST, what);
        strv_push(v, nv, (const char *)x->data.scalar.value, x->data.scalar.length);
    }
    return DD_OK;
}

static int yaml_entries(dd_suppress_t *s, yaml_document_t *d, const char *file, dd_err_t *e)
{
    yaml_node_t *root = yaml_document_get_root_node(d);
    if (!root) return DD_OK; /* empty file */
    if (root->type != YAML_MAPPING_NODE)
        return dd_err(e, DD_EINVAL, "%s:%zu: expected a mapping with 'vulnerabilities'", file,
                      root->start_mark.line + 1);
    yaml_node_t *vs = ymap_get(d, root, "vulnerabilities");
    if (!vs || (vs->type == YAML_SCALAR_NODE && vs->data.scalar.length == 0)) return DD_OK;
    if (vs->type != YAML_SEQUENCE_NODE)
        return dd_err(e, DD_EINVAL, "%s:%zu: 'vulnerabilities' is not a list", file, vs->start_mark.line + 1);
    for (yaml_node_item_t *it = vs->data.sequence.items.start; it < vs->data.sequence.items.top; it++) {
        yaml_node_t *en = yaml_document_get_node(d, *it);
        int line = en ? (int)en->start_mark.line + 1 : 0;
        if (!en || en->type != YAML_MAPPING_NODE)
            return dd_err(e, DD_EINVAL, "%s:%d: a vulnerability entry must be a mapping", file, line);
        yaml_node_t *id = ymap_get(d, en, "id");
        if (!id || id->type != YAML_SCALAR_NODE || !valid_id((const char *)id->data.scalar.value, id->data.scalar.length))
            return dd_err(e, DD_EINVAL, "%s:%d: entry without a valid 'id'", file, line);
        dd_supp_rule_t *r = rule_add(s, DD_SUPP_IGNORE, file, line, e);
        if (!r) return DD_ELIMIT;
        r->id = dd_strndup((const char *)id->data.scalar.value, id->data.scalar.length);
        int rc;
        if ((rc = yaml_strlist(d, ymap_get(d, en, "paths"), &r->paths, &r->n_paths, file, "paths", e)) ||
            (rc = yaml_strlist(d, ymap_get(d, en, "purls"), &r->purls, &r->n_purls, file, "purls", e)))
            return rc;
        yaml_node_t *st = ymap_get(d, en, "statement");
        if (st && st->type == YAML_SCALAR_NODE && st->data.scalar.length)
            r->statement = dd_strndup((const char *)st->data.scalar.value, st->data.scalar.length);
        yaml_node_t *ex = ymap_get(d, en, "expired_at");
        if (ex) {
            char date[11];
            if (ex->type != YAML_SCALAR_NODE ||
                !parse_date((const char *)ex->data.scalar.value, ex->data.scalar.length, date))
                return dd_err(e, DD_EINVAL, "%s:%zu: 'expired_at' must be a date (YYYY-MM-DD)", file,
                              ex->start_mark.line + 1);
            set_expiry(s, r, date);
        }
    }
    return DD_OK;
}

#define YAML_MAX_DEPTH 32
#define YAML_MAX_EVENTS 2000000

/* A first pass over the events that bounds nesting before the document is
 * loaded: libyaml's scanner does work per token for every open flow level,
 * so "[[[[..." would be quadratic if it were allowed to nest freely. */
static int yaml_check(const char *data, size_t len, const char *file, dd_err_t *e)
{
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) return dd_err(e, DD_ENOMEM, "cannot start the YAML parser");
    yaml_parser_set_input_string(&p, (const unsigned char *)data, len);
    int depth = 0, rc = DD_OK;
    for (long n = 0;; n++) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) {
            rc = dd_err(e, DD_EINVAL, "%s:%zu: invalid YAML: %s", file, p.problem_mark.line + 1,
                        p.problem ? p.problem : "syntax error");
            break;
        }
        yaml_event_type_t t = ev.type;
        size_t line = ev.start_mark.line + 1;
        yaml_event_delete(&ev);
        if (t == YAML_SEQUENCE_START_EVENT || t == YAML_MAPPING_START_EVENT) depth++;
        else if (t == YAML_SEQUENCE_END_EVENT || t == YAML_MAPPING_END_EVENT) depth--;
        if (depth > YAML_MAX_DEPTH) {
            rc = dd_err(e, DD_ELIMIT, "%s:%zu: YAML nested deeper than %d levels", file, line, YAML_MAX_DEPTH);
            break;
        }
        if (n > YAML_MAX_EVENTS) {
            rc = dd_err(e, DD_ELIMIT, "%s: YAML document too large", file);
            break;
        }
        if (t == YAML_STREAM_END_EVENT) break;
    }
    yaml_parser_delete(&p);
    return rc;
}

int dd_suppress_parse_ignore_yaml(dd_suppress_t *s, const char *data, size_t len, const char *file, dd_err_t *e)
{
    int rc0 = yaml_check(data, len, file, e);
    if (rc0 != DD_OK) return rc0;
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) return dd_err(e, DD_ENOMEM, "cannot start the YAML parser");
    yaml_parser_set_input_string(&p, (const unsigned char *)data, len);
    yaml_document_t d;
    int rc;
    if (!yaml_parser_load(&p, &d)) {
        rc = dd_err(e, DD_EINVAL, "%s:%zu: invalid YAML: %s", file, p.problem_mark.line + 1,
                    p.problem ? p.problem : "syntax error");
        yaml_parser_delete(&p);
        return rc;
    }
    rc = yaml_entries(s, &d, file, e);
    yaml_document_delete(&d);
    yaml_parser_delete(&p);
    return rc;
}

/* ---- OpenVEX ---------------------------------------------------------------- */

static const char *const vex_statuses[] = {"affected", "fixed", "not_affected", "under_investigation"};

static int vex_ids(json_t *prod, char ***v, size_t *n, const char *file, dd_err_t *e)
{
    if (json_is_string(prod)) {
        strv_push(v, n, json_string_value(prod), json_string_length(prod));
        return DD_OK;
    }
    if (!json_is_object(prod)) return dd_err(e, DD_EINVAL, "%s: a product must be an object or a string", file);
    json_t *id = json_object_get(prod, "@id");
    if (json_is_string(id)) strv_push(v, n, json_string_value(id), json_string_length(id));
    json_t *ids = json_object_get(prod, "identifiers");
    json_t *purl = json_is_object(ids) ? json_object_get(ids, "purl") : NULL;
    if (json_is_string(purl)) strv_push(v, n, json_string_value(purl), json_string_length(purl));
    if (*n == 0) return dd_err(e, DD_EINVAL, "%s: a product has neither '@id' nor identifiers.purl", file);
    return DD_OK;
}

static int vex_statement(dd_suppress_t *s, json_t *st, size_t idx, const char *file, dd_err_t *e)
{
    if (!json_is_object(st)) return dd_err(e, DD_EINVAL, "%s: statement %zu is not an object", file, idx);
    json_t *vuln = json_object_get(st, "vulnerability");
    const char *name = NULL;
    json_t *aliases = NULL;
    if (json_is_string(vuln)) {
        name = json_string_value(vuln);
    } else if (json_is_object(vuln)) {
        name = json_string_value(json_object_get(vuln, "name"));
        aliases = json_object_get(vuln, "aliases");
    }
    if (!name || !valid_id(name, strlen(name)))
        return dd_err(e, DD_EINVAL, "%s: statement %zu has no vulnerability name", file, idx);
    const char *status = json_string_value(json_object_get(st, "status"));
    bool known = false;
    for (size_t i = 0; status && i < sizeof vex_statuses / sizeof *vex_statuses; i++)
        known |= strcmp(status, vex_statuses[i]) == 0;
    if (!known)
        return dd_err(e, DD_EINVAL, "%s: statement %zu: unknown status '%.64s'", file, idx, status ? status : "");
    json_t *prods = json_object_get(st, "products");
    if (prods && !json_is_array(prods))
        return dd_err(e, DD_EINVAL, "%s: statement %zu: 'products' is not an array", file, idx);
    if (json_array_size(prods) > DD_SUPPRESS_MAX_LIST || json_array_size(aliases) > DD_SUPPRESS_MAX_LIST)
        return dd_err(e, DD_ELIMIT, "%s: statement %zu has too many products or aliases", file, idx);
    dd_supp_rule_t *r = rule_add(s, DD_SUPP_VEX, file, 0, e);
    if (!r) return DD_ELIMIT;
    r->id = dd_strdup(name);
    r->status = dd_strdup(status);
    const char *j = json_string_value(json_object_get(st, "justification"));
    if (j) r->justification = dd_strdup(j);
    const char *is = json_string_value(json_object_get(st, "impact_statement"));
    if (!is) is = json_string_value(json_object_get(st, "status_notes"));
    if (is) r->statement = dd_strdup(is);
    size_t i;
    json_t *x;
    json_array_foreach(aliases, i, x)
        if (json_is_string(x)) strv_push(&r->aliases, &r->n_aliases, json_string_value(x), json_string_length(x));
    if (json_array_size(prods) == 0)
        warn(s, "%s: statement %zu (%s) names no product; it applies to nothing", file, idx, name);
    r->products = dd_calloc(json_array_size(prods) + 1, sizeof *r->products);
    json_array_foreach(prods, i, x) {
        dd_vex_product_t *p = &r->products[r->n_products++];
        int rc = vex_ids(x, &p->ids, &p->n_ids, file, e);
        if (rc) return rc;
        json_t *subs = json_is_object(x) ? json_object_get(x, "subcomponents") : NULL;
        if (json_array_size(subs) > DD_SUPPRESS_MAX_LIST)
            return dd_err(e, DD_ELIMIT, "%s: statement %zu has too many subcomponents", file, idx);
        size_t k;
        json_t *sc;
        json_array_foreach(subs, k, sc)
            if ((rc = vex_ids(sc, &p->subs, &p->n_subs, file, e))) return rc;
    }
    return DD_OK;
}

int dd_suppress_parse_vex(dd_suppress_t *s, const char *data, size_t len, const char *file, dd_err_t *e)
{
    json_error_t je;
    json_t *doc = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
    if (!doc) return dd_err(e, DD_EINVAL, "%s:%d: invalid JSON: %s", file, je.line, je.text);
    int rc = DD_OK;
    const char *ctx = json_string_value(json_object_get(doc, "@context"));
    json_t *sts = json_object_get(doc, "statements");
    if (!json_is_object(doc) || !ctx || !strstr(ctx, "openvex"))
        rc = dd_err(e, DD_EINVAL, "%s: not an OpenVEX document (no openvex '@context')", file);
    else if (!json_is_array(sts))
        rc = dd_err(e, DD_EINVAL, "%s: 'statements' is not an array", file);
    size_t i;
    json_t *st;
    if (rc == DD_OK)
        json_array_foreach(sts, i, st)
            if ((rc = vex_statement(s, st, i, file, e))) break;
    json_decref(doc);
    return rc;
}

int dd_suppress_load_file(dd_suppress_t *s, const char *path, dd_supp_kind_t kind, dd_err_t *e)
{
    dd_buf_t b;
    dd_buf_init(&b, DD_SUPPRESS_MAX_FILE);
    int rc = dd_file_read(path, DD_SUPPRESS_MAX_FILE, &b, e);
    if (rc == DD_OK) {
        const char *data = b.ptr ? b.ptr : "";
        if (kind == DD_SUPP_VEX) rc = dd_suppress_parse_vex(s, data, b.len, path, e);
        else if (dd_str_endswith(path, ".yaml") || dd_str_endswith(path, ".yml"))
            rc = dd_suppress_parse_ignore_yaml(s, data, b.len, path, e);
        else rc = dd_suppress_parse_ignore(s, data, b.len, path, e);
    }
    dd_buf_release(&b);
    return rc;
}

/* ---- matching ------------------------------------------------------------- */

static bool opt_eq(const char *a, const char *b)
{
    return !a || (b && strcmp(a, b) == 0); /* a pattern's qualifier, when given, must be equal */
}

bool dd_purl_covers(const char *pat, const char *pkg)
{
    if (!pat || !pkg || !dd_str_startswith(pat, "pkg:")) return false;
    if (strcmp(pat, pkg) == 0) return true;
    /* compare decoded parts: "1:1.2" and "1%3A1.2" are the same version */
    dd_purl_t *a = dd_malloc(sizeof *a), *b = dd_malloc(sizeof *b);
    bool ok = dd_purl_parse(pat, a) == DD_OK && dd_purl_parse(pkg, b) == DD_OK && !strcmp(a->type, b->type) &&
              !strcmp(a->name, b->name) &&
              (!a->namespace_ ? !b->namespace_ : b->namespace_ && !strcasecmp(a->namespace_, b->namespace_)) &&
              opt_eq(a->version, b->version) && opt_eq(a->q_arch, b->q_arch) && opt_eq(a->q_distro, b->q_distro) &&
              opt_eq(a->q_epoch, b->q_epoch);
    free(a);
    free(b);
    return ok;
}

/* Is id the scanned image? The reference as given (with or without its
 * transport prefix), the manifest digest, or a pkg:oci purl with it. */
static bool is_target(const char *id, const dd_supp_target_t *t)
{
    if (!t) return false;
    if (t->ref) {
        if (strcmp(id, t->ref) == 0) return true;
        const char *colon = strstr(t->ref, "://");
        const char *rest = colon ? colon + 3 : strchr(t->ref, ':') ? strchr(t->ref, ':') + 1 : NULL;
        if (rest && strcmp(id, rest) == 0) return true;
    }
    if (t->digest && t->digest[0]) {
        if (strcmp(id, t->digest) == 0) return true;
        if (dd_str_startswith(id, "pkg:oci/")) {
            const char *at = strchr(id, '@');
            if (at) {
                char v[160];
                size_t n = strcspn(at + 1, "?#");
                if (n < sizeof v) {
                    /* the version is percent-encoded: sha256%3Aabc... */
                    size_t o = 0;
                    for (size_t i = 0; i < n && o + 1 < sizeof v; i++) {
                        if (at[1 + i] == '%' && i + 2 < n && at[2 + i] == '3' && (at[3 + i] == 'A' || at[3 + i] == 'a')) {
                            v[o++] = ':';
                            i += 2;
                        } else {
                            v[o++] = at[1 + i];
                        }
                    }
                    v[o] = '\0';
                    if (strcmp(v, t->digest) == 0) return true;
                }
            }
        }
    }
    return false;
}

static bool any_covers(char *const *ids, size_t n, const char *purl)
{
    for (size_t i = 0; i < n; i++)
        if (dd_purl_covers(ids[i], purl)) return true;
    return false;
}

static bool vex_product_matches(const dd_supp_rule_t *r, const dd_supp_target_t *t, const char *purl)
{
    for (size_t i = 0; i < r->n_products; i++) {
        const dd_vex_product_t *p = &r->products[i];
        bool img = false;
        for (size_t k = 0; k < p->n_ids; k++) img |= is_target(p->ids[k], t);
        if (img) {
            if (p->n_subs == 0 || any_covers(p->subs, p->n_subs, purl)) return true;
        } else if (any_covers(p->ids, p->n_ids, purl)) {
            /* a package product; subcomponents (if any) don't narrow a leaf */
            return true;
        }
    }
    return false;
}

static bool ignore_matches(const dd_supp_rule_t *r, const dd_package_t *pkg, const char *purl)
{
    if (r->n_paths) {
        bool ok = false;
        const char *path = pkg && pkg->db_path ? pkg->db_path : "";
        for (size_t i = 0; i < r->n_paths && !ok; i++) {
            const char *pat = r->paths[i];
            while (*pat == '/') pat++;
            ok = fnmatch(pat, path, 0) == 0;
        }
        if (!ok) return false;
    }
    if (r->n_purls && !any_covers(r->purls, r->n_purls, purl)) return false;
    return true;
}

/* Rules indexed by every id they name (rule id and VEX aliases), so that
 * applying 100,000 entries to 1,000 findings is lookups, not a product. */
typedef struct ikey {
    const char *key;
    size_t rule;
} ikey_t;

static int ikey_cmp(const void *pa, const void *pb)
{
    const ikey_t *a = pa, *b = pb;
    int c = strcmp(a->key, b->key);
    return c ? c : a->rule < b->rule ? -1 : a->rule > b->rule;
}

/* Index of the first entry with key k (or n). */
static size_t ikey_lower(const ikey_t *ix, size_t n, const char *k)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(ix[mid].key, k) < 0) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

typedef struct pick {
    const dd_suppress_t *s;
    const dd_package_t *pkg;
    const char *purl;
    const dd_supp_target_t *t;
    size_t ign, vex;          /* best rule so far (SIZE_MAX = none) */
} pick_t;

static void consider(pick_t *pk, size_t k)
{
    const dd_supp_rule_t *r = &pk->s->v[k];
    if (r->kind == DD_SUPP_IGNORE) {
        if (!r->expired && (pk->ign == SIZE_MAX || k < pk->ign) && ignore_matches(r, pk->pkg, pk->purl)) pk->ign = k;
    } else if ((pk->vex == SIZE_MAX || k > pk->vex) && vex_product_matches(r, pk->t, pk->purl)) {
        pk->vex = k;
    }
}

static void lookup(pick_t *pk, const ikey_t *ix, size_t n, const char *key)
{
    if (!key) return;
    for (size_t i = ikey_lower(ix, n, key); i < n && strcmp(ix[i].key, key) == 0; i++) consider(pk, ix[i].rule);
}

void dd_suppress_apply(const dd_suppress_t *s, const dd_inventory_t *inv, const dd_supp_target_t *t,
                       dd_findings_t *f)
{
    size_t nix = 0;
    for (size_t k = 0; s && k < s->n; k++) nix += 1 + s->v[k].n_aliases;
    ikey_t *ix = dd_calloc(nix ? nix : 1, sizeof *ix);
    nix = 0;
    for (size_t k = 0; s && k < s->n; k++) {
        ix[nix++] = (ikey_t){s->v[k].id, k};
        for (size_t a = 0; a < s->v[k].n_aliases; a++) ix[nix++] = (ikey_t){s->v[k].aliases[a], k};
    }
    if (nix > 1) qsort(ix, nix, sizeof *ix, ikey_cmp);
    dd_buf_t purl;
    dd_buf_init(&purl, 0);
    for (size_t i = 0; nix && i < f->n; i++) {
        dd_finding_t *x = &f->v[i];
        if (x->suppressed) continue;
        const dd_package_t *pkg = inv && x->pkg_index < inv->n ? &inv->pkgs[x->pkg_index] : NULL;
        dd_buf_reset(&purl);
        if (pkg) dd_report_purl(inv, pkg, &purl);
        dd_buf_putc(&purl, '\0');
        pick_t pk = {s, pkg, purl.ptr, t, SIZE_MAX, SIZE_MAX};
        lookup(&pk, ix, nix, x->id);
        for (size_t k = 0; k < x->n_aliases; k++) lookup(&pk, ix, nix, x->aliases[k]);
        for (size_t k = 0; k < x->n_advisories; k++) lookup(&pk, ix, nix, x->advisories[k]);
        if (pk.ign != SIZE_MAX) {
            const dd_supp_rule_t *hit = &s->v[pk.ign];
            x->suppressed = true;
            x->suppressed_by = "ignore-file";
            if (hit->statement)
                x->suppressed_note = dd_arena_printf(&f->arena, "%s:%d: %s", hit->file, hit->line, hit->statement);
            else x->suppressed_note = dd_arena_printf(&f->arena, "%s:%d", hit->file, hit->line);
            continue;
        }
        const dd_supp_rule_t *vex = pk.vex != SIZE_MAX ? &s->v[pk.vex] : NULL;
        if (vex && (strcmp(vex->status, "not_affected") == 0 || strcmp(vex->status, "fixed") == 0)) {
            x->suppressed = true;
            x->suppressed_by = strcmp(vex->status, "fixed") == 0 ? "vex:fixed" : "vex:not_affected";
            x->suppressed_note = dd_arena_printf(&f->arena, "%s: %s%s%s%s%s%s", vex->file, vex->status,
                                                 vex->justification ? " (" : "",
                                                 vex->justification ? vex->justification : "",
                                                 vex->justification ? ")" : "", vex->statement ? ": " : "",
                                                 vex->statement ? vex->statement : "");
        }
    }
    free(ix);
    dd_buf_release(&purl);
    memset(f->counts, 0, sizeof f->counts);
    f->n_reported = f->n_suppressed = 0;
    for (size_t i = 0; i < f->n; i++) {
        if (f->v[i].suppressed) {
            f->n_suppressed++;
        } else {
            f->n_reported++;
            f->counts[f->v[i].severity]++;
        }
    }
    f->healthy = f->assessed && f->n_reported == 0;
}
