/* The access report (GDPR art. 15): everything the depository stores about one learner (the
 * personal fields opened, every achievement with its earlier versions, shares, achievements
 * brought from other depositories) and every access to it from the audit log (who, when, why,
 * what). One function builds the report as a JSON document, one also renders that document as
 * a self-contained HTML page in Dutch or English (render/report.h); the CLI (`oorkonde learner
 * report`) and the learner portal (`GET /v1/me/report`, `GET /learner/report`) share both.
 *
 * Invariants: building a report is an audited read of the learner's personal data (action
 * learner.read, purpose access-report), and that read is listed in the report itself. A report
 * holds no data of any other learner. The HTML holds no script and loads nothing: its one style
 * element is allowed by hash (render_report_csp).
 */
#ifndef OK_REGISTRY_REPORT_H
#define OK_REGISTRY_REPORT_H

#include <jansson.h>

#include "core/buf.h"
#include "depository/depository.h"

#define REPORT_PURPOSE  "access-report"
#define REPORT_HTML_MAX ((size_t)64 << 20)

/*
 * Builds the report of learner_id; actor is who asks ("operator", "learner:ID"). On success
 * *out is a new JSON object owned by the caller (json_decref). OK_ENOTFOUND when there is no
 * such learner (and nothing was read).
 */
int registry_report_json(struct depository *d, const char *learner_id, const char *actor,
                         json_t **out, struct ok_error *err);

/* The report of learner_id as an HTML page in lang ("nl" or "en"; anything else is English),
 * appended to out: registry_report_json, then render_report_html. */
int registry_report_page(struct depository *d, const char *learner_id, const char *actor,
                         const char *lang, struct buf *out, struct ok_error *err);

#endif
