/*
 * findout.h: findings written out from their structs, on the one JSON
 * writer (dd/jsonw.h). The stored and served shape of a finding is made
 * here and nowhere else.
 */
#ifndef DD_FINDOUT_H
#define DD_FINDOUT_H

#include "dd/jsonw.h"
#include "dd/match.h"

/* Writes f as the JSON object the scan store keeps and the findings API
 * serves (docs/findings.md) as the next value of w. layer_digest is the
 * digest of the layer that added the package, or NULL. */
void dd_finding_jw(dd_jw_t *w, const dd_finding_t *f, const char *layer_digest);

/* The same object appended to out on its own; DD_ELIMIT if out's cap is hit. */
int dd_finding_json(const dd_finding_t *f, const char *layer_digest, dd_buf_t *out);

#endif
