/* The OpenID4VCI issuer's endpoints (oid4vci/oid4vci.h): metadata, offers, token, nonce and
 * credential for wallets, and the learner's "Add to wallet" and wallet history. Wallet-facing
 * errors are OAuth's JSON ({"error", "error_description"}), not problem+json, because that is
 * what wallets read. */
#include <string.h>

#include "audit/actor.h"
#include "audit/log.h"
#include "http/internal.h"
#include "http/qr.h"
#include "oid4vci/oid4vci.h"

/* Answers an OAuth / OpenID4VCI error, or problem+json for a failure of the server itself. */
static void oauth_error(struct http_response *res, const char *oauth, const struct ok_error *err,
                        bool resource)
{
	unsigned status = 400;

	if (!oauth) {
		http_problem_from_error(res, err);
		return;
	}
	if (err->code == OK_ECONFLICT)
		status = 403; /* credential_request_denied */
	if (strcmp(oauth, "invalid_token") == 0 ||
	    (resource && strcmp(oauth, "invalid_dpop_proof") == 0))
		status = 401;
	http_json(res, status,
	          json_pack("{s:s,s:s}", "error", oauth, "error_description", err->message));
	http_header(res, "Cache-Control", "no-store");
	if (status == 401)
		http_header(res, "WWW-Authenticate", "DPoP error=\"%s\", algs=\"ES256 EdDSA\"",
		            oauth);
}

static void answer(struct http_response *res, int rc, const struct ok_error *err, unsigned status,
                   json_t *doc)
{
	if (rc) {
		json_decref(doc);
		http_problem_from_error(res, err);
		return;
	}
	http_json(res, status, doc);
}

void route_vci_issuer_metadata(struct http_request *req, struct http_response *res)
{
	struct ok_error err;
	json_t *doc = NULL;
	int rc;

	ok_error_clear(&err);
	rc = oid4vci_issuer_metadata(req->dep, &doc, &err);
	answer(res, rc, &err, 200, doc);
}

void route_vci_as_metadata(struct http_request *req, struct http_response *res)
{
	struct ok_error err;
	json_t *doc = NULL;
	int rc;

	ok_error_clear(&err);
	rc = oid4vci_as_metadata(req->dep, &doc, &err);
	answer(res, rc, &err, 200, doc);
}

void route_vci_offer(struct http_request *req, struct http_response *res)
{
	struct ok_error err;
	json_t *doc = NULL;
	int rc;

	ok_error_clear(&err);
	rc = oid4vci_offer_json(req->dep, req->params.params[0], 0, &doc, &err);
	answer(res, rc, &err, 200, doc);
	http_header(res, "Cache-Control", "no-store");
}

void route_vci_token(struct http_request *req, struct http_response *res)
{
	const char *ct = http_request_header(req, "Content-Type"), *oauth = NULL;
	struct oid4vci_form f;
	struct oid4vci_token_req r = {0};
	struct ok_error err;
	json_t *doc = NULL;
	int rc;

	ok_error_clear(&err);
	if (!ct || strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0) {
		err.code = OK_EINPUT;
		snprintf(err.message, sizeof(err.message),
		         "send the token request as application/x-www-form-urlencoded");
		oauth_error(res, "invalid_request", &err, false);
		return;
	}
	if (oid4vci_form_parse(req->body.data ? req->body.data : "", req->body.len, &f, &err)) {
		oauth_error(res, "invalid_request", &err, false);
		return;
	}
	r.grant_type = f.has_grant_type ? f.grant_type : NULL;
	r.code = f.has_code ? f.code : NULL;
	r.tx_code = f.has_tx_code ? f.tx_code : NULL;
	r.dpop = http_request_header(req, "DPoP");
	rc = oid4vci_token(req->dep, &r, &doc, &oauth, &err);
	if (rc) {
		oauth_error(res, oauth, &err, false);
		return;
	}
	http_json(res, 200, doc);
	http_header(res, "Cache-Control", "no-store");
}

void route_vci_nonce(struct http_request *req, struct http_response *res)
{
	struct ok_error err;
	json_t *doc = NULL;
	int rc;

	ok_error_clear(&err);
	rc = oid4vci_nonce(req->dep, 0, &doc, &err);
	answer(res, rc, &err, 200, doc);
	http_header(res, "Cache-Control", "no-store");
}

void route_vci_credential(struct http_request *req, struct http_response *res)
{
	struct oid4vci_credential_req r = {0};
	const char *oauth = NULL;
	struct ok_error err;
	json_t *body, *doc = NULL;
	int rc;

	ok_error_clear(&err);
	if (!(body = http_body_json(req, res)))
		return;
	r.authorization = http_request_header(req, "Authorization");
	r.dpop = http_request_header(req, "DPoP");
	r.body = body;
	rc = oid4vci_credential(req->dep, &r, &doc, &oauth, &err);
	json_decref(body);
	if (rc) {
		oauth_error(res, oauth, &err, true);
		return;
	}
	http_count_issued(req->srv);
	http_json(res, 200, doc);
	http_header(res, "Cache-Control", "no-store");
}

/* POST /v1/me/wallet-offers {"achievements": [id, …], "vct": "own" | "eu-learning"}: an offer
 * for the signed-in learner's own results, with its link, QR code and PIN (when configured). */
void route_me_wallet_offer(struct http_request *req, struct http_response *res)
{
	const char *ids[STORE_VCI_ACHIEVEMENTS_MAX];
	struct oid4vci_offer_made made;
	char actor[AUDIT_ACTOR_SIZE], expires[32];
	enum sdjwt_vct vct = SDJWT_VCT_OWN;
	struct ok_error err;
	json_t *body, *list, *v, *doc;
	size_t i, n;
	int rc;

	ok_error_clear(&err);
	if (!(body = http_body_json(req, res)))
		return;
	list = json_object_get(body, "achievements");
	v = json_object_get(body, "vct");
	n = json_is_array(list) ? json_array_size(list) : 0;
	if (n == 0 || n > STORE_VCI_ACHIEVEMENTS_MAX) {
		json_decref(body);
		http_problem(res, 400, "invalid-input", "Invalid input",
		             "achievements: a list of 1 to %d achievement ids",
		             STORE_VCI_ACHIEVEMENTS_MAX);
		return;
	}
	if (v && (!json_is_string(v) || sdjwt_vct_parse(json_string_value(v), &vct))) {
		json_decref(body);
		http_problem(res, 400, "invalid-input", "Invalid input",
		             "vct: \"own\" or \"eu-learning\"");
		return;
	}
	for (i = 0; i < n; i++) {
		if (!json_is_string(json_array_get(list, i))) {
			json_decref(body);
			http_problem(res, 400, "invalid-input", "Invalid input",
			             "achievements[%zu] is not a string", i);
			return;
		}
		ids[i] = json_string_value(json_array_get(list, i));
	}
	audit_actor_learner(req->learner_id, actor);
	rc = oid4vci_offer_create(req->dep, req->learner_id, ids, n, vct, req->dep->wallet_pin,
	                          actor, 0, &made, &err);
	json_decref(body);
	if (rc) {
		http_problem_from_error(res, &err);
		return;
	}
	audit_format_time(made.expires_ms, expires);
	doc = json_pack("{s:s,s:s,s:s}", "link", made.link, "offer_uri", made.offer_uri, "expires",
	                expires);
	if (doc && made.pin[0])
		json_object_set_new(doc, "pin", json_string(made.pin));
	if (doc) {
		struct buf svg;

		buf_init(&svg, (size_t)256 << 10);
		if (web_qr_svg(made.link, &svg, NULL) == 0)
			json_object_set_new(doc, "qr_svg", json_stringn(svg.data, svg.len));
		buf_release(&svg);
	}
	http_json(res, 201, doc);
	http_header(res, "Cache-Control", "no-store");
}

void route_me_wallet(struct http_request *req, struct http_response *res)
{
	struct ok_error err;
	json_t *list = NULL;
	int rc;

	ok_error_clear(&err);
	rc = oid4vci_wallet_history(req->dep, req->learner_id, &list, &err);
	answer(res, rc, &err, 200, rc ? NULL : json_pack("{s:o}", "issued", list));
}
