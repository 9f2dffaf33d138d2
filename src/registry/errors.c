/*
 * errors.c: the registry error table (dd_regerr_t -> HTTP status, spec code,
 * message), the /v2/ error format, and the Link header for paginated lists.
 * The name and tag grammars live in core/reference.c.
 */
#include "dd/registry.h"

#include <string.h>

/* The one table: registry error -> HTTP status, spec code, default message.
 * Indexed by dd_regerr_t (keep in enum order). */
static const struct {
    int status;
    const char *code;
    const char *message;
} errtab[DD_REGERR__COUNT] = {
    [DD_REGERR_BLOB_UNKNOWN] = {404, "BLOB_UNKNOWN", "blob unknown to registry"},
    [DD_REGERR_BLOB_UPLOAD_INVALID] = {400, "BLOB_UPLOAD_INVALID", "blob upload invalid"},
    [DD_REGERR_BLOB_UPLOAD_UNKNOWN] = {404, "BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry"},
    [DD_REGERR_DIGEST_INVALID] = {400, "DIGEST_INVALID", "provided digest did not match uploaded content"},
    [DD_REGERR_MANIFEST_BLOB_UNKNOWN] = {400, "MANIFEST_BLOB_UNKNOWN",
                                         "manifest references a manifest or blob unknown to registry"},
    [DD_REGERR_MANIFEST_INVALID] = {400, "MANIFEST_INVALID", "manifest invalid"},
    [DD_REGERR_MANIFEST_UNKNOWN] = {404, "MANIFEST_UNKNOWN", "manifest unknown to registry"},
    [DD_REGERR_NAME_INVALID] = {400, "NAME_INVALID", "invalid repository name"},
    [DD_REGERR_NAME_UNKNOWN] = {404, "NAME_UNKNOWN", "repository name not known to registry"},
    [DD_REGERR_SIZE_INVALID] = {400, "SIZE_INVALID", "provided length did not match content length"},
    [DD_REGERR_UNAUTHORIZED] = {401, "UNAUTHORIZED", "authentication required"},
    [DD_REGERR_DENIED] = {403, "DENIED", "requested access to the resource is denied"},
    [DD_REGERR_UNSUPPORTED] = {415, "UNSUPPORTED", "the operation is unsupported"},
    [DD_REGERR_TOOMANYREQUESTS] = {429, "TOOMANYREQUESTS", "too many requests"},
    [DD_REGERR_RANGE_INVALID] = {416, "BLOB_UPLOAD_INVALID", "requested range not satisfiable"},
    [DD_REGERR_TOO_LARGE] = {413, "SIZE_INVALID", "payload too large"},
    [DD_REGERR_METHOD] = {405, "UNSUPPORTED", "method not allowed"},
    [DD_REGERR_PAGINATION] = {400, "UNSUPPORTED", "invalid number of results requested"},
    [DD_REGERR_MANIFEST_CHILD_UNKNOWN] = {400, "MANIFEST_BLOB_UNKNOWN",
                                          "manifest references a manifest unknown to the repository"},
    [DD_REGERR_INTERNAL] = {500, "UNKNOWN", "internal server error"},
    [DD_REGERR_UNAVAILABLE] = {503, "UNAVAILABLE", "service unavailable, retry"},
};

/* A second error in the body, for the few that have one. The spec: a
 * manifest refused for missing references "MUST result in one or more
 * MANIFEST_BLOB_UNKNOWN errors"; MANIFEST_UNKNOWN follows for clients that
 * look for it when the reference is a manifest. */
static const char *const errtab_also[DD_REGERR__COUNT] = {
    [DD_REGERR_MANIFEST_CHILD_UNKNOWN] = "MANIFEST_UNKNOWN",
};

int dd_regerr_status(dd_regerr_t err)
{
    return (unsigned)err < DD_REGERR__COUNT ? errtab[err].status : 500;
}

const char *dd_regerr_code(dd_regerr_t err)
{
    return (unsigned)err < DD_REGERR__COUNT ? errtab[err].code : "UNKNOWN";
}

static void put_error(dd_buf_t *b, const char *code, const char *message, const char *detail)
{
    dd_buf_puts(b, "{\"code\":");
    dd_buf_json_str(b, code);
    dd_buf_puts(b, ",\"message\":");
    dd_buf_json_str(b, message);
    if (detail) {
        dd_buf_puts(b, ",\"detail\":");
        dd_buf_json_str(b, detail);
    }
    dd_buf_puts(b, "}");
}

static int write_error(dd_req_t *req, int status, const char *code, const char *message, const char *detail,
                       const char *also)
{
    dd_buf_t b;
    dd_buf_init(&b, 0);
    dd_buf_puts(&b, "{\"errors\":[");
    put_error(&b, code, message, detail);
    if (also) {
        dd_buf_puts(&b, ",");
        put_error(&b, also, message, detail);
    }
    dd_buf_puts(&b, "]}");
    return dd_resp_json(req, status, &b);
}

int dd_registry_error(dd_req_t *req, dd_regerr_t err, const char *detail)
{
    if ((unsigned)err >= DD_REGERR__COUNT) err = DD_REGERR_INTERNAL;
    if (detail || dd_log_enabled(DD_LOG_DEBUG))
        dd_log(DD_LOG_DEBUG, req->id, "%s %s: %s%s%s", req->method, req->path ? req->path : "",
               errtab[err].code, detail ? ": " : "", detail ? detail : "");
    return write_error(req, errtab[err].status, errtab[err].code, errtab[err].message, detail, errtab_also[err]);
}

dd_regerr_t dd_regerr_from_rc(int rc, dd_regerr_t notfound, dd_regerr_t invalid)
{
    switch (rc) {
    case DD_ENOTFOUND: return notfound;
    case DD_EINVAL: return invalid;
    case DD_EDIGEST: return DD_REGERR_DIGEST_INVALID;
    case DD_ELIMIT: return DD_REGERR_TOO_LARGE;
    case DD_EBUSY: return DD_REGERR_UNAVAILABLE;
    case DD_EAUTH: return DD_REGERR_UNAUTHORIZED;
    case DD_EDENIED: return DD_REGERR_DENIED;
    case DD_EUNSUPPORTED: return DD_REGERR_UNSUPPORTED;
    case DD_ERANGE: return DD_REGERR_RANGE_INVALID;
    default: return DD_REGERR_INTERNAL;
    }
}

/* Error function the HTTP server uses under /v2/ (auth, 404, 405, bad path):
 * maps the server's generic codes to spec codes (a path that does not decode
 * is the server's BAD_REQUEST; under /v2/ it can only be a bad name). */
int dd_registry_http_error(dd_req_t *req, int status, const char *code, const char *message);
int dd_registry_http_error(dd_req_t *req, int status, const char *code, const char *message)
{
    if (!strcmp(code, "NOT_FOUND")) code = "NAME_UNKNOWN";
    if (!strcmp(code, "INTERNAL")) code = "UNKNOWN";
    if (!strcmp(code, "BAD_REQUEST")) code = "NAME_INVALID";
    return write_error(req, status, code, message, NULL, NULL);
}

/* Query component escaping for the Link header values. */
static void put_escaped(dd_buf_t *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
            c == '.' || c == '_' || c == '~' || c == '/') {
            dd_buf_putc(b, (char)c);
        } else {
            dd_buf_putc(b, '%');
            dd_buf_putc(b, hex[c >> 4]);
            dd_buf_putc(b, hex[c & 15]);
        }
    }
}

char *dd_registry_link_next(dd_arena_t *a, const char *name, size_t n, const char *last)
{
    dd_buf_t b;
    dd_buf_init(&b, 0);
    if (name)
        dd_buf_printf(&b, "</v2/%s/tags/list?n=%zu&last=", name, n);
    else
        dd_buf_printf(&b, "</v2/_catalog?n=%zu&last=", n);
    put_escaped(&b, last);
    dd_buf_puts(&b, ">; rel=\"next\"");
    char *s = dd_arena_strdup(a, b.ptr);
    dd_buf_release(&b);
    return s;
}
