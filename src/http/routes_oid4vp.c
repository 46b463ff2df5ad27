/* The OpenID4VP verifier over HTTP (oid4vp/verifier.h): a verifier's request made by software
 * or on the /request page, the signed request object a wallet fetches, the wallet's answer
 * (direct_post), and the result for whoever holds the request's view token, as JSON and as
 * a page that polls it. */
#include "http/internal.h"
#include "http/qr.h"
#include "http/ratelimit.h"
#include "http/web.h"

#include "audit/log.h"
#include "core/format.h"
#include "oid4vp/verifier.h"

#include <string.h>

/* The OpenID4VP error answer: {"error", "error_description"} (never problem+json: a wallet
 * reads this). */
static void vp_error(struct http_response *res, unsigned status, const char *code,
                     const char *description)
{
	json_t *doc = json_pack("{s:s, s:s}", "error", code, "error_description", description);

	if (!doc) {
		http_problem(res, 500, "internal", "Internal error", "out of memory");
		return;
	}
	http_json(res, status, doc);
	http_header(res, "Cache-Control", "no-store");
}

/* Makes the request; by: the API key's holder, NULL for an anonymous request. */
static void request_create(struct http_request *req, struct http_response *res, const char *by)
{
	struct oid4vp_created c;
	struct ok_error err;
	char expires[32], status_url[OID4VP_URL_MAX], network[64];
	json_t *body, *doc;
	struct buf qr;

	if (!(body = http_body_json(req, res)))
		return;
	ok_error_clear(&err);
	/* An anonymous request counts against its network's bound (finding s16-2). */
	ratelimit_network_key(req->client, network, sizeof(network));
	if (oid4vp_request_create(req->dep, body, by, by ? NULL : network, &c, &err)) {
		json_decref(body);
		http_problem_from_error(res, &err);
		return;
	}
	json_decref(body);
	audit_format_time(c.expires_ms, expires);
	if (ok_format(status_url, sizeof(status_url), "%s/v1/verifier/results/%s",
	              req->dep->base_url, c.view)) {
		http_problem(res, 500, "internal", "Internal error", "the base URL is too long");
		return;
	}
	buf_init(&qr, (size_t)256 << 10);
	(void)web_qr_svg(c.link, &qr, &err);
	doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s%}", "id", c.id, "client_id",
	                c.client_id, "request_uri", c.request_uri, "authorization_request", c.link,
	                "result_url", c.result_url, "status_url", status_url, "expires_at", expires,
	                "qr_svg", qr.data ? qr.data : "", qr.len);
	buf_release(&qr);
	if (!doc) {
		http_problem(res, 500, "internal", "Internal error", "out of memory");
		return;
	}
	http_json(res, 201, doc);
	http_header(res, "Cache-Control", "no-store");
}

/*
 * POST /v1/verifier/requests: software's requests, with an API key permitted "verify" (the
 * wallet is told the key's holder), or without one only where the operator opened the route
 * (config verifier_open): the request then goes out under the requester's stated name,
 * marked not verified. (Review W2: otherwise anyone could have the depository ask a learner's
 * wallet for their data in its own name.)
 */
void route_verifier_request_create(struct http_request *req, struct http_response *res)
{
	const char *by;

	if (http_request_header(req, "Authorization") || !req->dep->verifier_open) {
		if (!http_authenticate(req, res))
			return;
		if (!http_key_permits(&req->key, "verify")) {
			http_problem(res, 403, "forbidden", "Forbidden",
			             "only a key created with --permit verify may make verifier "
			             "requests");
			return;
		}
		by = req->key.institution[0] ? req->key.institution : req->key.id;
		request_create(req, res, by);
		return;
	}
	/* Anonymous under verifier_open: the page's limit per address holds here too. */
	if (http_anon_verifier_limited(req, res))
		return;
	request_create(req, res, NULL);
}

/* POST /request: the verifier's page's own requests, anonymous, under the requester's stated
 * name (marked not verified) and limited per address (ROUTE_ANON_VERIFIER). */
void route_web_request_create(struct http_request *req, struct http_response *res)
{
	request_create(req, res, NULL);
}

/* GET /oid4vp/requests/{id}: the signed request object. */
void route_verifier_request_object(struct http_request *req, struct http_response *res)
{
	struct ok_error err;
	struct buf jwt;

	ok_error_clear(&err);
	buf_init(&jwt, (size_t)256 << 10);
	if (oid4vp_request_object(req->dep, req->params.params[0], &jwt, &err)) {
		buf_release(&jwt);
		if (err.code == OK_ENOTFOUND || err.code == OK_EGONE)
			vp_error(res, err.code == OK_EGONE ? 410 : 404, "invalid_request_uri",
			         err.message);
		else
			http_problem_from_error(res, &err);
		return;
	}
	http_text(res, 200, "application/oauth-authz-req+jwt", jwt.data, jwt.len);
	http_header(res, "Cache-Control", "no-store");
	buf_release(&jwt);
}

/* POST /oid4vp/requests/{id}/response: the wallet's answer, form-encoded. */
void route_verifier_response(struct http_request *req, struct http_response *res)
{
	struct ok_error err;
	json_t *reply = NULL;
	int rc;

	ok_error_clear(&err);
	rc = oid4vp_response(req->dep, http_wallet_signin(req->srv), req->params.params[0],
	                     req->body.data ? req->body.data : "", req->body.len, &reply, &err);
	if (rc == OK_EINPUT || rc == OK_ETOOBIG || rc == OK_ENOTFOUND || rc == OK_EGONE ||
	    rc == OK_EINVALID) {
		vp_error(res, 400, "invalid_request", err.message);
		return;
	}
	if (rc) {
		http_problem_from_error(res, &err);
		return;
	}
	http_json(res, 200, reply);
	http_header(res, "Cache-Control", "no-store");
}

/* GET /v1/verifier/results/{view}: the request's state, and its result once answered. */
void route_verifier_result(struct http_request *req, struct http_response *res)
{
	struct ok_error err;
	json_t *doc = NULL;

	ok_error_clear(&err);
	if (oid4vp_result(req->dep, req->params.params[0], &doc, &err)) {
		http_problem_from_error(res, &err);
		return;
	}
	http_json(res, 200, doc);
	http_header(res, "Cache-Control", "no-store");
}

/* GET /request: the verifier's page (its script makes the request and shows the result). */
void route_web_request(struct http_request *req, struct http_response *res)
{
	web_page(req, res, 200, "request.html", "request.title", NULL, 0);
}

/* GET /request/{view}: the page of one request: the QR code while it waits, then the result. */
void route_web_request_view(struct http_request *req, struct http_response *res)
{
	struct ok_error err;
	json_t *doc = NULL;
	struct buf qr;
	const char *link, *requester;

	ok_error_clear(&err);
	if (oid4vp_result(req->dep, req->params.params[0], &doc, &err)) {
		http_problem_from_error(res, &err);
		return;
	}
	link = json_string_value(json_object_get(doc, "link"));
	requester = json_string_value(json_object_get(doc, "requester"));
	buf_init(&qr, (size_t)256 << 10);
	(void)web_qr_svg(link ? link : "", &qr, &err);
	{
		const struct render_var vars[] = {
		        {"link", link ? link : "", false},
		        {"qr", qr.data ? qr.data : "", true},
		        {"requester", requester ? requester : "", false},
		};

		web_page(req, res, 200, "request_view.html", "request.title", vars, 3);
	}
	http_header(res, "Cache-Control", "no-store");
	buf_release(&qr);
	json_decref(doc);
}
