/* The Oorkonde-Purpose header (see purpose.h). */
#include "http/purpose.h"

#include "http/internal.h"

#include <strings.h>

const char *const http_purposes[] = {
        "registration",    /* checking or completing the institution's own registration */
        "correction",      /* preparing a correction of a registered result */
        "issuance",        /* issuing a credential to the learner */
        "admission-check", /* checking prior results for admission to a programme */
        "support",         /* answering the learner's own question or request */
        "audit",           /* an internal or accreditation audit of the records */
        NULL,
};

const char *http_purpose_parse(const char *value)
{
	size_t i;

	if (!value)
		return NULL;
	for (i = 0; http_purposes[i]; i++)
		if (strcasecmp(value, http_purposes[i]) == 0)
			return http_purposes[i];
	return NULL;
}

const char *http_purpose_require(struct http_request *req, struct http_response *res)
{
	const char *sent = http_request_header(req, HTTP_PURPOSE_HEADER);
	const char *value = sent && sent[0] ? sent : NULL;
	const char *purpose = http_purpose_parse(value);
	char allowed_text[160] = "";
	json_t *allowed, *doc;
	size_t i, used = 0;

	if (purpose)
		return purpose;
	allowed = json_array();
	for (i = 0; http_purposes[i]; i++) {
		int n = snprintf(allowed_text + used, sizeof(allowed_text) - used, "%s%s",
		                 i ? ", " : "", http_purposes[i]);
		if (n > 0 && (size_t)n < sizeof(allowed_text) - used)
			used += (size_t)n;
		json_array_append_new(allowed, json_string(http_purposes[i]));
	}
	/* The value sent is not repeated: a confused client may have put anything there. */
	doc = json_pack(
	        "{s:s, s:s, s:i, s:s++, s:s, s:o}", "type",
	        value ? "/problems/unknown-purpose" : "/problems/purpose-required", "title",
	        value ? "Unknown purpose" : "Purpose required", "status", 400, "detail",
	        value ? "the " HTTP_PURPOSE_HEADER " header names no known purpose"
	              : "reading a learner's personal data needs a stated purpose: send the "
	                "header " HTTP_PURPOSE_HEADER,
	        "; one of: ", allowed_text, "header", HTTP_PURPOSE_HEADER, "allowed", allowed);
	if (!doc) {
		http_problem(res, 400, "purpose-required", "Purpose required",
		             "send the header " HTTP_PURPOSE_HEADER " with one of: %s",
		             allowed_text);
		return NULL;
	}
	http_json(res, 400, doc);
	res->content_type = "application/problem+json";
	return NULL;
}
