/*
 * reference.h: the name/tag/digest grammar of the OCI distribution spec,
 * shared by the HTTP router (repository-name routes), the registry and the
 * token endpoint (repository scopes). Pure functions, no allocation.
 *
 *   name      = component ("/" component)*           (at most DD_REPO_NAME_MAX bytes)
 *   component = alnum+ (separator alnum+)*
 *   separator = "." | "_" | "__" | "-"+
 *   alnum     = [a-z0-9]
 *   tag       = [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}
 *   reference = tag | digest                          (a manifest's {reference}; a
 *               digest holds a ':', a tag never does)
 *
 * A name is at most 255 bytes: many clients limit host + "/" + name to 255,
 * so a name can never be longer. Digests are parsed by digest.h.
 */
#ifndef DD_REFERENCE_H
#define DD_REFERENCE_H

#include <stdbool.h>

#define DD_REPO_NAME_MAX 255
#define DD_TAG_LEN_MAX 128 /* bytes, without the NUL (meta.h: DD_TAG_MAX buffer) */

bool dd_repo_name_valid(const char *name);
bool dd_tag_valid(const char *tag);

#endif
