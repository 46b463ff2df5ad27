/* The answer of POST /credentials/verify written straight into the response buffer: the same
 * bytes as http_json_write(verify_report_json(d, r)) on the jansson copy of the credential, read
 * instead through a view (vc/datamodel_view.h) of the tree the server verified without
 * verify_options.want_credential, so that neither the credential's jansson copy nor the report's
 * jansson tree is made per request.
 *
 * Invariants: on success b holds the report and a NUL after it; on failure b's length is what
 * it was. The texts the report cuts (an SD-JWT VC name, an award date) are cut at a character
 * boundary by both (verify_summary.c), so every credential has a report.
 */
#ifndef OK_HTTP_VERIFY_REPORT_H
#define OK_HTTP_VERIFY_REPORT_H

#include "core/buf.h"
#include "depository/depository.h"
#include "registry/verify.h"
#include "vc/datamodel_view.h"

/*
 * Appends the report of r to b. vc is the credential r is about: a tree's node or a jansson
 * value, none (vc_dmv_json(NULL)) when there is none (what r->credential NULL means to
 * verify_report_json). d may be NULL as for verify_verdict_of. A message of r that is not
 * UTF-8 is written as verify_result_json shows it (U+FFFD for each such byte). 0, or
 * OK_ETOOBIG (past b's cap), OK_ENOMEM.
 */
int http_verify_report_write(struct buf *b, struct depository *d, const struct verify_result *r,
                             struct vc_dmv vc);

#endif
