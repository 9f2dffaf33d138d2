/*
 * alas_mirror.c: finding Amazon Linux's updateinfo.xml.gz from a mirror
 * list, the way the yum/dnf repositories publish it (see dbsync.h):
 *
 *   GET .../mirror.list               -> one mirror URL per line (first used)
 *   GET MIRROR/repodata/repomd.xml    -> <data type="updateinfo">
 *                                          <location href="repodata/...-updateinfo.xml.gz"/>
 *   URL = MIRROR/HREF
 *
 * repomd.xml is parsed with libxml2 (no network, no entity expansion, no
 * DTD loading); the href must be a relative path without "..".
 */
#include "dd/dbsync.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REPOMD_MAX (4u << 20)

int dd_alas_repomd_updateinfo(const char *xml, size_t len, char *href, size_t hsz, dd_err_t *e)
{
    if (len > REPOMD_MAX) return dd_err(e, DD_ELIMIT, "repomd.xml of %zu bytes exceeds the limit", len);
    xmlDocPtr doc = xmlReadMemory(xml, (int)len, "repomd.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR |
                                                                          XML_PARSE_NOWARNING);
    if (!doc) return dd_err(e, DD_EINVAL, "repomd.xml is not well-formed xml");
    int rc = dd_err(e, DD_ENOTFOUND, "repomd.xml lists no updateinfo");
    xmlNodePtr root = xmlDocGetRootElement(doc);
    for (xmlNodePtr d = root ? root->children : NULL; d; d = d->next) {
        if (d->type != XML_ELEMENT_NODE || xmlStrcmp(d->name, BAD_CAST "data")) continue;
        xmlChar *type = xmlGetProp(d, BAD_CAST "type");
        bool ui = type && !xmlStrcmp(type, BAD_CAST "updateinfo");
        xmlFree(type);
        if (!ui) continue;
        for (xmlNodePtr l = d->children; l; l = l->next) {
            if (l->type != XML_ELEMENT_NODE || xmlStrcmp(l->name, BAD_CAST "location")) continue;
            xmlChar *h = xmlGetProp(l, BAD_CAST "href");
            const char *s = (const char *)h;
            if (!s || !*s || s[0] == '/' || strstr(s, "..") || strstr(s, "://") || strlen(s) >= hsz)
                rc = dd_err(e, DD_EINVAL, "repomd.xml: bad updateinfo location '%.200s'", s ? s : "");
            else {
                snprintf(href, hsz, "%s", s);
                rc = DD_OK;
            }
            xmlFree(h);
            break;
        }
        break;
    }
    xmlFreeDoc(doc);
    return rc;
}

int dd_alas_resolve(const char *mirror_list_url, const char *tmp, const dd_fetch_opts_t *fo, char *url,
                    size_t usz, dd_err_t *e)
{
    dd_fetch_opts_t o = *fo;
    o.etag = o.last_modified = NULL;
    o.max_bytes = REPOMD_MAX;
    dd_fetch_result_t fr;
    int rc = dd_fetch_file(mirror_list_url, tmp, &o, &fr, e);
    if (!rc && fr.status != 200) rc = dd_err(e, DD_EIO, "%s: HTTP %ld", mirror_list_url, fr.status);
    if (rc) return rc;
    dd_buf_t b;
    dd_buf_init(&b, REPOMD_MAX);
    if ((rc = dd_file_read(tmp, REPOMD_MAX, &b, e))) {
        dd_buf_release(&b);
        return rc;
    }
    /* the first line that is an http(s) URL */
    char mirror[1024] = "";
    for (size_t i = 0; i < b.len && !mirror[0];) {
        size_t l = 0;
        while (i + l < b.len && b.ptr[i + l] != '\n' && b.ptr[i + l] != '\r') l++;
        if ((l > 8 && !strncmp(b.ptr + i, "https://", 8)) || (l > 7 && !strncmp(b.ptr + i, "http://", 7))) {
            if (l < sizeof mirror) snprintf(mirror, sizeof mirror, "%.*s", (int)l, b.ptr + i);
        }
        i += l + 1;
    }
    if (!mirror[0]) {
        dd_buf_release(&b);
        return dd_err(e, DD_EINVAL, "%s: no mirror URL in the mirror list", mirror_list_url);
    }
    size_t ml = strlen(mirror);
    while (ml && mirror[ml - 1] == '/') mirror[--ml] = '\0';
    char *repomd = dd_asprintf("%s/repodata/repomd.xml", mirror);
    rc = dd_fetch_file(repomd, tmp, &o, &fr, e);
    if (!rc && fr.status != 200) rc = dd_err(e, DD_EIO, "%s: HTTP %ld", repomd, fr.status);
    dd_buf_reset(&b);
    if (!rc) rc = dd_file_read(tmp, REPOMD_MAX, &b, e);
    char href[512];
    if (!rc && (rc = dd_alas_repomd_updateinfo(b.ptr ? b.ptr : "", b.len, href, sizeof href, e))) {
        char msg[sizeof e->msg];
        snprintf(msg, sizeof msg, "%s", e ? e->msg : "");
        rc = dd_err(e, rc, "%s: %s", repomd, msg);
    }
    if (!rc) snprintf(url, usz, "%s/%s", mirror, href);
    free(repomd);
    dd_buf_release(&b);
    unlink(tmp);
    return rc;
}
