/* The page routes: the home page, the verify page and the learner's portal page. (The share
 * page is web_share.c; the machinery web.c.) */
#include "http/internal.h"
#include "http/session.h"
#include "http/web.h"

void route_web_home(struct http_request *req, struct http_response *res)
{
	const struct render_var vars[] = {
	        {"did", req->dep ? req->dep->issuer_did : "", false},
	};

	web_page(req, res, 200, "home.html", "home.title", vars, 1);
}

void route_web_verify(struct http_request *req, struct http_response *res)
{
	web_page(req, res, 200, "verify.html", "verify.title", NULL, 0);
}

void route_web_learner(struct http_request *req, struct http_response *res)
{
	char learner_id[STORE_ID_MAX + 1];

	/* The page itself holds no personal data: its script fetches it over the session. */
	if (!http_session_learner(req, learner_id)) {
		http_signin_page(req, res, 401);
		return;
	}
	web_page(req, res, 200, "learner.html", "learner.title", NULL, 0);
}
