/*
 * core.h: the few things every Drydock subsystem shares.
 *
 *   - dd_rc result codes and dd_err_t, the error detail set at the failure site;
 *   - dd_buf_t, a bounded growable byte buffer (exceeding its cap is an error);
 *   - dd_arena_t, a bump allocator for per-request and per-job memory;
 *   - dd_log(), one structured line per event on stderr;
 *   - small helpers (time, strings, files).
 *
 * Conventions (see ../shared/STYLE.md and docs/ARCHITECTURE.md):
 *   A function that can fail returns an int rc (DD_OK == 0) and hands results
 *   back through OUT parameters. Library code never exits: DD_BUG() is for
 *   impossible states only. Messages are lowercase, without a full stop, and
 *   quote values: "invalid digest 'sha256:xyz'".
 */
#ifndef DD_CORE_H
#define DD_CORE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The program's version, as `drydock --version` and every report say it. */
#define DD_VERSION "0.1.0"

/* ---- result codes -------------------------------------------------------- */
enum {
    DD_OK = 0,
    DD_DECLINED = 1,      /* "not mine": never an error */
    DD_EINVAL = -1,       /* malformed input */
    DD_ENOTFOUND = -2,    /* no such object */
    DD_EEXIST = -3,       /* already exists */
    DD_EIO = -4,          /* I/O or system failure (errno in msg) */
    DD_ENOMEM = -5,       /* allocation failed */
    DD_ELIMIT = -6,       /* a configured limit was exceeded */
    DD_EUNSUPPORTED = -7, /* valid but not supported */
    DD_ECONFLICT = -8,    /* concurrent change or bad state transition */
    DD_EDIGEST = -9,      /* content does not match its digest */
    DD_ECORRUPT = -10,    /* stored or streamed data is corrupt */
    DD_EAUTH = -11,       /* not authenticated */
    DD_EDENIED = -12,     /* authenticated but not allowed */
    DD_ERANGE = -13,      /* range or offset not satisfiable */
    DD_EBUSY = -14,       /* try again later */
};

/* Error detail, filled at the failure site. May be NULL where the caller
 * doesn't want the message. */
typedef struct dd_err {
    int code;
    char msg[512];
} dd_err_t;

/* Sets e (if non-NULL) and returns code, so it can be used as
 *   return dd_err(e, DD_EINVAL, "invalid digest '%s'", d); */
int dd_err(dd_err_t *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Like dd_err but appends ": strerror(errno_val)". */
int dd_err_errno(dd_err_t *e, int code, int errno_val, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void dd_err_clear(dd_err_t *e);
/* A short name for a code, e.g. "EINVAL". */
const char *dd_rc_name(int rc);

#define DD_BUG(...) dd_bug(__FILE__, __LINE__, __VA_ARGS__)
_Noreturn void dd_bug(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- memory -------------------------------------------------------------- */
/* Allocation that never returns NULL: out-of-memory aborts with a message.
 * Used for small bookkeeping allocations; big or attacker-sized allocations
 * go through bounded buffers instead. */
void *dd_malloc(size_t n);
void *dd_calloc(size_t n, size_t size);
void *dd_realloc(void *p, size_t n);
char *dd_strdup(const char *s);
char *dd_strndup(const char *s, size_t n);
char *dd_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- bounded buffer ------------------------------------------------------ */
typedef struct dd_buf {
    char *ptr;   /* always NUL-terminated when non-NULL */
    size_t len;
    size_t cap;
    size_t max;  /* appends beyond max bytes fail with DD_ELIMIT; 0 = no cap */
} dd_buf_t;

void dd_buf_init(dd_buf_t *b, size_t max);
void dd_buf_release(dd_buf_t *b);         /* frees contents, not b */
void dd_buf_reset(dd_buf_t *b);           /* len = 0, keeps memory */
int dd_buf_append(dd_buf_t *b, const void *p, size_t n);
int dd_buf_puts(dd_buf_t *b, const char *s);
int dd_buf_putc(dd_buf_t *b, char c);
int dd_buf_printf(dd_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int dd_buf_vprintf(dd_buf_t *b, const char *fmt, va_list ap);
/* Appends s as a JSON string literal (with quotes). The result is valid JSON
 * whatever s holds: control characters are escaped and each byte that is not
 * part of well-formed UTF-8 becomes U+FFFD. The one writer of JSON strings. */
int dd_buf_json_str(dd_buf_t *b, const char *s);
/* Length of the longest prefix of s, at most max bytes, that ends on a UTF-8
 * character boundary (for cutting a message without halving a character). */
size_t dd_utf8_prefix(const char *s, size_t max);
/* Appends n bytes with each byte that is not part of well-formed UTF-8
 * replaced by U+FFFD, as Go's and Python's decoders do on "replace"; lets a
 * strict parser (jansson) read a document that a lenient producer wrote. */
int dd_buf_utf8_valid(dd_buf_t *b, const void *bytes, size_t n);
/* Appends s percent-encoded: RFC 3986 unreserved characters and those in
 * keep (may be NULL, e.g. "/") stay as they are, every other byte is %XX. */
int dd_buf_pct_encode(dd_buf_t *b, const char *s, const char *keep);
/* Hands the memory to the caller (who frees it) and re-inits b. */
char *dd_buf_detach(dd_buf_t *b, size_t *len_out);

/* ---- arena --------------------------------------------------------------- */
typedef struct dd_arena_block dd_arena_block_t;
typedef struct dd_arena_cleanup dd_arena_cleanup_t;
typedef struct dd_arena {
    dd_arena_block_t *head;
    dd_arena_cleanup_t *cleanups;
    size_t total;          /* bytes of the blocks held */
    size_t *budget;        /* NULL, or a counter shared by several arenas (a query's
                              memory budget): block bytes are added to it as they are
                              allocated and taken off as they are freed */
} dd_arena_t;

void dd_arena_init(dd_arena_t *a);
/* dd_arena_init, with block bytes also counted in *budget (see above). */
void dd_arena_init_budget(dd_arena_t *a, size_t *budget);
void dd_arena_release(dd_arena_t *a);     /* runs cleanups (LIFO), frees blocks */
void *dd_arena_alloc(dd_arena_t *a, size_t n);   /* zeroed, 16-aligned */
char *dd_arena_strdup(dd_arena_t *a, const char *s);
char *dd_arena_strndup(dd_arena_t *a, const char *s, size_t n);
char *dd_arena_printf(dd_arena_t *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Registers fn(arg) to run at dd_arena_release (files, statements, temp dirs). */
void dd_arena_cleanup_add(dd_arena_t *a, void (*fn)(void *), void *arg);
/* A point in an arena's life: everything allocated (and every cleanup added)
 * after it goes at dd_arena_reset, for scratch memory inside a longer-lived
 * arena (one image inside a scan job, one record inside an import). Marks
 * nest LIFO; resetting to a mark invalidates the marks taken after it. */
typedef struct dd_arena_mark {
    dd_arena_block_t *head;
    size_t used;
    dd_arena_cleanup_t *cleanups;
    size_t total;
} dd_arena_mark_t;
dd_arena_mark_t dd_arena_mark(const dd_arena_t *a);
/* Runs the cleanups added since m (newest first), frees the blocks added
 * since m and rewinds the block that was current at m. */
void dd_arena_reset(dd_arena_t *a, dd_arena_mark_t m);

/* ---- logging ------------------------------------------------------------- */
enum { DD_LOG_DEBUG = 0, DD_LOG_INFO = 1, DD_LOG_WARN = 2, DD_LOG_ERROR = 3 };
/* Sets the minimum level (default INFO) and output (default stderr). */
void dd_log_set_level(int level);
int dd_log_level_parse(const char *s);   /* "debug"|"info"|"warn"|"error", -1 if bad */
/* Application log lines as JSON objects ({"ts","level","id","msg"}) instead of
 * key=value text; the request log is JSON either way. */
void dd_log_set_json(bool json);
/* One line: ts=... level=... id=<ctx> msg="...". ctx is a request or job id
 * (may be NULL). Never pass secrets. */
void dd_log(int level, const char *ctx, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Writes an already formatted line (a JSON object) atomically. */
void dd_log_raw(const char *line, size_t len);
bool dd_log_enabled(int level);

/* ---- time and misc ------------------------------------------------------- */
int64_t dd_now_ms(void);        /* wall clock, ms since epoch */
int64_t dd_mono_ns(void);       /* monotonic clock, ns */
/* RFC 3339 UTC, e.g. 2026-11-23T03:15:00Z; buf must hold 32 bytes. */
void dd_time_rfc3339(int64_t epoch_s, char buf[32]);
/* Parses RFC 3339 / ISO 8601 (date, or date-time with optional fraction and
 * zone). Returns DD_OK and epoch seconds. */
int dd_time_parse(const char *s, int64_t *out);

bool dd_str_startswith(const char *s, const char *prefix);
bool dd_str_endswith(const char *s, const char *suffix);
/* If the raw HTTP header line (n bytes, CRLF included or not) is "name:" (name
 * case-insensitive), copies its trimmed value into out (cut to outsz - 1);
 * otherwise leaves out alone. For libcurl header callbacks. */
void dd_header_value(const char *line, size_t n, const char *name, char *out, size_t outsz);
/* Constant-time comparison of n bytes. */
bool dd_ct_equal(const void *a, const void *b, size_t n);
/* Random bytes from the OS; hex-encodes nbytes into out (2*nbytes+1). */
int dd_random_bytes(void *buf, size_t n);
void dd_random_hex(char *out, size_t nbytes);

/* Reads a whole file, refusing files over max bytes. */
int dd_file_read(const char *path, size_t max, dd_buf_t *out, dd_err_t *e);
/* Writes a file atomically: temp file in the same dir, fsync, rename, fsync dir. */
int dd_file_write_atomic(const char *path, const void *data, size_t len, dd_err_t *e);
/* Creates path empty with mode 0600 if it does not exist (an existing file is
 * not even opened: closing a descriptor would drop SQLite's POSIX locks). Called before SQLite opens a database of secrets: SQLite
 * creates files 0644 and gives -wal/-shm the main file's mode. Best effort:
 * the open that follows reports any error. */
void dd_file_create_private(const char *path);
/* mkdir -p; the parent of each directory it creates is fsynced (best effort) */
int dd_mkdirs(const char *path, int mode, dd_err_t *e);
int dd_fsync_dir(const char *dir);

#endif
