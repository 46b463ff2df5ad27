/* GET /contexts/oorkonde/v1: oorkonde's own JSON-LD context, for other verifiers' document
 * loaders (oorkonde itself never fetches a context: the document is built in, vc/jsonld.h). */
#include "http/internal.h"
#include "vc/jsonld.h"

void route_context(struct http_request *req, struct http_response *res)
{
	size_t len = 0;
	const char *doc = vc_jsonld_context_document(VC_CONTEXT_OORKONDE_V1, &len);

	(void)req;
	/* The document changes only with a new URL (v2), so it may be kept for a day. */
	http_header(res, "Cache-Control", "public, max-age=86400");
	http_text(res, 200, "application/ld+json", doc, len);
}
