/*
 * report_int.h: the writers behind dd_report_write(), one file each.
 * Each appends one whole document for r to out.
 */
#ifndef DD_REPORT_INT_H
#define DD_REPORT_INT_H

#include "dd/report.h"

int report_table(const dd_report_t *r, dd_buf_t *out, dd_err_t *e);
int report_cyclonedx(const dd_report_t *r, dd_buf_t *out, dd_err_t *e);

#endif
