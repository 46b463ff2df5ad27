/* The access report (GDPR art. 15): everything the depository stores about one learner (the
 * personal fields opened, every achievement with its earlier versions, shares, achievements
 * brought from other depositories) and every access to it from the audit log (who, when, why,
 * what). One function builds the report as a JSON document, one renders that document as a
 * self-contained HTML page in Dutch or English; the CLI (`oorkonde learner report`) and the
 * learner portal (`GET /v1/me/report`, `GET /learner/report`) share both.
 *
 * Invariants: building a report is an audited read of the learner's personal data (action
 * learner.read, purpose access-report), and that read is listed in the report itself. A report
 * holds no data of any other learner. The HTML holds no script and loads nothing: its one style
 * element is allowed by hash (registry_report_csp).
 */
#ifndef OK_REGISTRY_REPORT_H
#define OK_REGISTRY_REPORT_H

#include <jansson.h>

#include "core/buf.h"
#include "depository/depository.h"

#define REPORT_PURPOSE  "access-report"
#define REPORT_CSP_MAX  256
#define REPORT_HTML_MAX ((size_t)64 << 20)

/*
 * Builds the report of learner_id; actor is who asks ("operator", "learner:ID"). On success
 * *out is a new JSON object owned by the caller (json_decref). OK_ENOTFOUND when there is no
 * such learner (and nothing was read).
 */
int registry_report_json(struct depository *d, const char *learner_id, const char *actor,
                         json_t **out, struct ok_error *err);

/* Renders a document of registry_report_json as an HTML page in lang ("nl" or "en"; anything
 * else is English), appended to out. */
int registry_report_html(const json_t *doc, const char *lang, struct buf *out,
                         struct ok_error *err);

/* The Content-Security-Policy that lets the page's own style element (and nothing else) in. */
void registry_report_csp(char out[REPORT_CSP_MAX]);

#endif
