/* GET /v1/me/report and GET /learner/report: the signed-in learner's access report (GDPR
 * art. 15) as JSON and as a page (registry/report.h). Both are audited reads by the learner. */
#include "http/internal.h"
#include "http/session.h"
#include "http/web.h"
#include "registry/report.h"
#include "render/report.h"

#include <sodium.h>
#include <string.h>

/* GET /v1/me/report (ROUTE_LEARNER) */
void route_me_report(struct http_request *req, struct http_response *res)
{
	char actor[AUDIT_ACTOR_SIZE];
	struct ok_error err;
	json_t *doc = NULL;

	ok_error_clear(&err);
	audit_actor_learner(req->learner_id, actor);
	if (registry_report_json(req->dep, req->learner_id, actor, &doc, &err) != 0) {
		http_problem_from_error(res, &err);
		return;
	}
	/* (The server answers it with Cache-Control: no-store, as every answer with personal
	 * data.) */
	http_json(res, 200, doc);
}

/* GET /learner/report: the page; without a session, the portal's page saying how to sign in. */
void route_learner_report_page(struct http_request *req, struct http_response *res)
{
	char learner_id[STORE_ID_MAX + 1], actor[AUDIT_ACTOR_SIZE], csp[RENDER_REPORT_CSP_MAX];
	const char *lang = http_lang(req);
	struct ok_error err;
	struct buf page;
	int rc;

	if (!http_session_learner(req, learner_id)) {
		http_signin_page(req, res, 401);
		return;
	}
	ok_error_clear(&err);
	audit_actor_learner(learner_id, actor);
	buf_init(&page, REPORT_HTML_MAX);
	rc = registry_report_page(req->dep, learner_id, actor, lang, &page, &err);
	sodium_memzero(learner_id, sizeof(learner_id));
	if (rc == 0)
		rc = render_report_csp(csp, &err);
	if (rc) {
		http_problem_from_error(res, &err);
	} else {
		http_text(res, 200, "text/html; charset=utf-8", page.data, page.len);
		/* The page's own style element and nothing else; no script at all. */
		http_header(res, "Content-Security-Policy", "%s", csp);
		http_header(res, "Content-Language", "%s", lang);
		http_header(res, "Vary", "Accept-Language, Cookie");
	}
	sodium_memzero(page.data, page.len);
	buf_release(&page);
}
