/* The access report (GDPR art. 15) as a self-contained HTML page in Dutch or English, rendered
 * from the JSON document registry/report.h builds, with web/report.html and its fragments
 * (report_*.html) and the texts "report.*" of the strings table.
 *
 * Invariants: everything taken from the document is HTML-escaped; the page holds no script and
 * loads nothing; its one style element (in web/report.html) is the only thing the
 * Content-Security-Policy of render_report_csp lets in.
 */
#ifndef OK_RENDER_REPORT_H
#define OK_RENDER_REPORT_H

#include <jansson.h>

#include "core/buf.h"
#include "core/error.h"

#define RENDER_REPORT_CSP_MAX 256

/* Appends the page of doc in lang ("nl"; anything else is English) to out. Returns 0,
 * OK_EINPUT when doc is not an access report, OK_ETOOBIG when the page passes out's cap, or
 * OK_ENOMEM. Scratch copies of the personal data are wiped before they are freed. */
int render_report_html(const json_t *doc, const char *lang, struct buf *out, struct ok_error *err);

/* The Content-Security-Policy of the page: its own style element (by hash) and nothing else. */
int render_report_csp(char out[RENDER_REPORT_CSP_MAX], struct ok_error *err);

#endif
