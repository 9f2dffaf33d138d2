/*
 * report.c: the report module's entry point. dd_report_write() dispatches
 * to one writer per format (table.c, json in src/match/report.c,
 * cyclonedx.c, ...); the format names live in one sorted table here.
 */
#include "dd/report.h"
#include "report_int.h"

#include <string.h>

/* Format names, sorted by name. Fields: the name users type, the format. */
static const struct {
    const char *name;
    dd_report_format_t fmt;
} formats[] = {
    {"cyclonedx", DD_REPORT_CYCLONEDX},
    {"cyclonedx-vex", DD_REPORT_CYCLONEDX_VEX},
    {"github", DD_REPORT_GITHUB},
    {"json", DD_REPORT_JSON},
    {"sarif", DD_REPORT_SARIF},
    {"spdx", DD_REPORT_SPDX},
    {"spdx-json", DD_REPORT_SPDX},
    {"table", DD_REPORT_TABLE},
};

int dd_report_format_parse(const char *name, dd_report_format_t *out)
{
    for (size_t i = 0; name && i < sizeof formats / sizeof formats[0]; i++)
        if (!strcmp(formats[i].name, name)) {
            *out = formats[i].fmt;
            return DD_OK;
        }
    return DD_EINVAL;
}

const char *dd_report_format_name(dd_report_format_t f)
{
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        if (formats[i].fmt == f) return formats[i].name;
    return "unknown";
}

/* The JSON report of one image, or {"images":[...]} for several. */
static int write_json(const dd_report_t *r, dd_buf_t *b, dd_err_t *e)
{
    (void)e;
    bool multi = r->n_images > 1;
    if (multi) dd_buf_puts(b, "{\"images\":[");
    for (size_t i = 0; i < r->n_images; i++) {
        const dd_report_image_t *im = &r->images[i];
        if (i) dd_buf_putc(b, ',');
        dd_report_json(im->img ? im->img->digest.str : NULL, im->inv, im->f, b);
    }
    if (multi) dd_buf_puts(b, "]}");
    return dd_buf_putc(b, '\n');
}

int dd_report_write(dd_report_format_t fmt, const dd_report_t *r, dd_buf_t *out, dd_err_t *e)
{
    switch (fmt) {
    case DD_REPORT_TABLE: return report_table(r, out, e);
    case DD_REPORT_JSON: return write_json(r, out, e);
    case DD_REPORT_CYCLONEDX: return report_cyclonedx(r, out, e);
    default: break;
    }
    return dd_err(e, DD_EUNSUPPORTED, "report format '%s' is not implemented", dd_report_format_name(fmt));
}
