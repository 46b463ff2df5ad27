/* Credentials over HTTP: a registrar's signed credential, the W3C VC-API issue and verify
 * endpoints, and the depository's did:web document. */
#include "http/internal.h"
#include "http/negotiate.h"
#include "http/leak_guard.h"
#include "http/purpose.h"
#include "http/verify_report.h"

#include "registry/achievement.h"
#include "registry/credential.h"
#include "registry/vc_status.h"
#include "registry/verify.h"
#include "registry/verify_summary.h"
#include "vc/datamodel.h"
#include "vc/jcs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Most reports fit the first allocation (as http_json's first try). */
#define HTTP_REPORT_FIRST_TRY (((size_t)4 << 10) - 1)

/* A credential's media types (http/negotiate.h): a DI credential as JSON unless the client asks
 * for application/vc; without ?format=, asking for application/vc+jwt gets the VC-JOSE token. */
static const char *const credential_types[] = {"application/json", "application/vc",
                                               "application/vc+jwt"};

int http_credential_negotiate(struct http_request *req, struct http_response *res,
                              enum credential_format *f, const char **type)
{
	const char *format = http_query(req, "format");
	size_t i;

	http_header(res, "Vary", "Accept");
	if (credential_format_parse(format, f) != 0) {
		http_problem(res, 400, "invalid-input", "Invalid input",
		             "format must be di or jwt");
		return -1;
	}
	i = http_negotiate(http_request_header(req, "Accept"), credential_types,
	                   format && *f == CREDENTIAL_DI ? 2 : 3);
	if (*f == CREDENTIAL_JWT || i == 2) {
		*f = CREDENTIAL_JWT;
		*type = credential_types[2];
	} else {
		*type = credential_types[i];
	}
	/* ?cryptosuite= picks the Data Integrity suite; without it, the configured one. */
	if (http_query(req, "cryptosuite") &&
	    credential_format_with_suite(f, http_query(req, "cryptosuite")) != 0) {
		http_problem(res, 400, "invalid-input", "Invalid input",
		             "cryptosuite must be eddsa-rdfc-2022 or eddsa-jcs-2022, with a Data "
		             "Integrity credential (not format=jwt)");
		return -1;
	}
	return 0;
}

void route_achievement_credential(struct http_request *req, struct http_response *res)
{
	enum credential_format f;
	struct store_achievement a;
	struct ok_error err;
	const char *purpose, *type;
	char actor[AUDIT_ACTOR_SIZE];
	int rc;

	if (!req->key.institution[0] || !http_key_permits(&req->key, "read")) {
		http_problem(res, 403, "forbidden", "Forbidden",
		             "this key may not read achievements");
		return;
	}
	/* The credential carries the learner's names: a read of personal data. */
	if (!(purpose = http_purpose_require(req, res)))
		return;
	if (http_credential_negotiate(req, res, &f, &type) != 0)
		return;
	ok_error_clear(&err);
	if (registry_achievement_get(req->dep, req->params.params[0], req->key.institution, &a,
	                             &err) != 0) {
		http_problem_from_error(res, &err);
		return;
	}
	if (!http_leak_note(req, res, a.learner_id))
		return;
	audit_actor_institution_key(req->key.institution, req->key.id, actor);
	buf_reset(&res->body);
	rc = registry_credential_issue_for(req->dep, a.id, req->key.institution, f, actor, purpose,
	                                   &res->body, &err);
	if (rc) {
		http_problem_from_error(res, &err);
		return;
	}
	http_count_issued(req->srv);
	res->status = 200;
	res->content_type = type;
}

/* 400 problem+json for a credential that breaks a rule of the VC 2.0 data model: the detail
 * says what is wrong, "rule" names the rule (vc/datamodel.h) for a program to act on. */
static void problem_rule(struct http_response *res, const struct ok_error *err)
{
	json_t *doc = json_pack("{s:s, s:s, s:i, s:s, s:s}", "type", "/problems/invalid-input",
	                        "title", "Invalid input", "status", 400, "detail", err->message,
	                        "rule", err->field);

	if (!doc) {
		http_problem(res, 500, "internal", "Internal error", "out of memory");
		return;
	}
	http_json(res, 400, doc);
	res->content_type = "application/problem+json";
}

void route_vc_issue(struct http_request *req, struct http_response *res)
{
	struct ok_error err;
	json_t *body, *signed_vc = NULL;
	const json_t *status_option;
	struct vc_status_request status_req;
	char actor[AUDIT_ACTOR_SIZE];
	const char *suite_name;
	enum vc_suite suite = VC_SUITE_RDFC;
	int rc;

	if (!http_key_permits(&req->key, "vc-issue")) {
		http_problem(
		        res, 403, "forbidden", "Forbidden",
		        "only a key created with --permit vc-issue may sign credentials in the "
		        "depository's name");
		return;
	}
	if (!(body = http_body_json(req, res)))
		return;
	audit_actor_key(req->key.id, actor);
	ok_error_clear(&err);
	if (!json_is_object(json_object_get(body, "credential"))) {
		http_problem(res, 400, "invalid-input", "Invalid input",
		             "the body must be {\"credential\": {...}, \"options\": {...}}");
		json_decref(body);
		return;
	}
	/* Status on request: entries in the depository's own lists, changed later through
	 * POST /credentials/status by a key of the same institution. */
	status_option = json_object_get(json_object_get(body, "options"), "credentialStatus");
	if (status_option && vc_status_request_parse(status_option, &status_req, &err) != 0) {
		http_problem(res, 400, "invalid-input", "Invalid input", "%s", err.message);
		json_decref(body);
		return;
	}
	/* The cryptosuite: ?cryptosuite= (test suites take one issuer URL per suite), else
	 * options.cryptosuite, else the configured one. The query wins when both are given. */
	suite_name = http_query(req, "cryptosuite");
	if (!suite_name) {
		const json_t *o = json_object_get(json_object_get(body, "options"), "cryptosuite");
		if (o && !json_is_string(o)) {
			http_problem(res, 400, "invalid-input", "Invalid input",
			             "options.cryptosuite must be a string: eddsa-rdfc-2022 or "
			             "eddsa-jcs-2022");
			json_decref(body);
			return;
		}
		suite_name = json_string_value(o);
	}
	if (suite_name && vc_suite_parse(suite_name, &suite) != 0) {
		char shown[64];
		size_t n = strlen(suite_name);
		size_t i;
		/* Named back, cut short and printable only: it is the client's own text. */
		for (i = 0; i < n && i < sizeof(shown) - 1; i++)
			shown[i] =
			        suite_name[i] >= 0x20 && suite_name[i] < 0x7f ? suite_name[i] : '?';
		shown[i] = '\0';
		http_problem(res, 400, "invalid-input", "Invalid input",
		             "unknown cryptosuite \"%s\": oorkonde signs with eddsa-rdfc-2022 or "
		             "eddsa-jcs-2022",
		             shown);
		json_decref(body);
		return;
	}
	rc = status_option
	             ? registry_vc_issue_with_status(req->dep, json_object_get(body, "credential"),
	                                             req->key.institution, req->key.id, actor,
	                                             suite_name ? &suite : NULL, &signed_vc, &err)
	             : registry_credential_sign_suite(req->dep, json_object_get(body, "credential"),
	                                              suite_name ? &suite : NULL, actor, &signed_vc,
	                                              &err);
	json_decref(body);
	if (rc == OK_EINPUT && vc_datamodel_rule_known(err.field)) {
		problem_rule(res, &err);
		return;
	}
	if (rc) {
		http_problem_from_error(res, &err);
		return;
	}
	http_count_issued(req->srv);
	http_json(res, 201, json_pack("{s:o}", "verifiableCredential", signed_vc));
}

void route_vc_status(struct http_request *req, struct http_response *res)
{
	enum status_action action;
	struct store_vc_status v;
	struct ok_error err;
	const char *id;
	json_t *body;
	char actor[AUDIT_ACTOR_SIZE];
	int rc;

	/* The key that may have had it issued: least privilege, and within its institution only
	 * (registry/vc_status.h). */
	if (!http_key_permits(&req->key, "vc-issue")) {
		http_problem(res, 403, "forbidden", "Forbidden",
		             "only a key created with --permit vc-issue may change the status of "
		             "credentials its institution had issued");
		return;
	}
	if (!(body = http_body_json(req, res)))
		return;
	ok_error_clear(&err);
	if (vc_status_update_parse(body, &id, &action, &err) != 0) {
		http_problem(res, 400, "invalid-input", "Invalid input", "%s", err.message);
		json_decref(body);
		return;
	}
	audit_actor_institution_key(req->key.institution, req->key.id, actor);
	rc = registry_vc_status_change(req->dep, id, req->key.institution, action, actor, &v, &err);
	json_decref(body);
	if (rc) {
		http_problem_from_error(res, &err);
		return;
	}
	http_json(res, 200,
	          json_pack("{s:s, s:[{s:s, s:s}]}", "credentialId", v.id, "credentialStatus",
	                    "type", "BitstringStatusListEntry", "status", v.status));
}

bool http_read_checks(const json_t *options, unsigned *mask, struct http_response *res)
{
	const json_t *checks = json_object_get(options, "checks");
	struct ok_error err;
	unsigned one;
	size_t i;

	*mask = 0;
	if (!checks)
		return true;
	if (!json_is_array(checks)) {
		http_problem(res, 400, "invalid-input", "Invalid input",
		             "options.checks must be an array such as [\"proof\", \"status\"]");
		return false;
	}
	for (i = 0; i < json_array_size(checks); i++) {
		const json_t *c = json_array_get(checks, i);
		ok_error_clear(&err);
		if (!json_is_string(c) || verify_checks_parse(json_string_value(c), &one, &err)) {
			http_problem(res, 400, "invalid-input", "Invalid input",
			             "options.checks[%zu]: %s", i,
			             json_is_string(c) ? err.message : "must be a string");
			return false;
		}
		*mask |= one;
	}
	if (!*mask) {
		http_problem(res, 400, "invalid-input", "Invalid input",
		             "options.checks names no check");
		return false;
	}
	return true;
}

void route_vc_verify(struct http_request *req, struct http_response *res)
{
	struct verify_options o = {0};
	struct verify_result r;
	struct ok_error err;
	struct json_tree t;
	json_t *options = NULL;
	uint32_t body, vc, opts, nonce, aud;
	const char *s;
	size_t len;
	int rc;

	/* Read once into a tree, under the credential rules (strict, numbers as doubles): the
	 * credential inside is verified on that tree, never printed and read again. */
	json_tree_init(&t);
	ok_error_clear(&err);
	if (req->body.len == 0 ||
	    vc_jcs_parse_tree(req->body.data, req->body.len, &t, &body, &err) != 0) {
		http_problem(res, 400, "invalid-json", "Invalid JSON", "%s",
		             req->body.len ? err.message : "the body is empty");
		goto out;
	}
	vc = json_tree_get(&t, body, "verifiableCredential");
	if (!json_tree_is(&t, vc, JSON_TREE_OBJECT) && !json_tree_is(&t, vc, JSON_TREE_STRING)) {
		http_problem(res, 400, "invalid-input", "Invalid input",
		             "the body must be {\"verifiableCredential\": credential or VC-JOSE "
		             "token, \"options\": {\"checks\": [...]}}");
		goto out;
	}
	o.status_cache = http_status_cache(req->srv);
	o.did_cache = http_did_cache(req->srv);
	/* The options are small: read by the code every route shares, as jansson. */
	opts = json_tree_get(&t, body, "options");
	if (opts && json_tree_to_jansson(&t, opts, &options, &err) != 0) {
		http_problem_from_error(res, &err);
		goto out;
	}
	if (!http_read_checks(options, &o.checks, res))
		goto out;
	/* An SD-JWT VC's key-binding JWT: the nonce and audience the verifier asked for. */
	nonce = json_tree_get(&t, opts, "nonce");
	aud = json_tree_get(&t, opts, "aud");
	if ((nonce && !json_tree_is(&t, nonce, JSON_TREE_STRING)) ||
	    (aud && !json_tree_is(&t, aud, JSON_TREE_STRING))) {
		http_problem(res, 400, "invalid-input", "Invalid input",
		             "options.nonce and options.aud must be strings");
		goto out;
	}
	/* NUL-terminated C strings: the jansson copies of the same values. */
	o.kb_nonce = json_string_value(json_object_get(options, "nonce"));
	o.kb_aud = json_string_value(json_object_get(options, "aud"));
	ok_error_clear(&err);
	s = json_tree_str(&t, vc, &len);
	/* A JSON credential is read for the report where the verifier read it, in the body's
	 * tree: no jansson copy of it is asked for (verify_options.want_credential). One sent as a
	 * string (a token, or JSON text) is read where the call ends: its report reads
	 * r.credential (a token's payload, or the copy). */
	o.want_credential = s != NULL;
	rc = s ? registry_verify(req->dep, s, len, &o, &r, &err)
	       : registry_verify_tree(req->dep, &t, vc, &o, &r, &err);
	if (rc) {
		http_problem_from_error(res, &err);
		goto out;
	}
	http_count_verified(req->srv, r.verified);
	/* The VC-API result, with the holder, the result and a headline a person reads first,
	 * written straight into the answer (the bytes of verify_report_json). The tree's
	 * credential stands where verify_report_json reads r.credential: there only for a
	 * credential (verify_parsed keeps none for what is not one). */
	buf_reset(&res->body);
	rc = buf_grow(&res->body, HTTP_REPORT_FIRST_TRY);
	if (!rc)
		rc = http_verify_report_write(&res->body, req->dep, &r,
		                              r.credential            ? vc_dmv_json(r.credential)
		                              : !s && r.is_credential ? vc_dmv_tree(&t, vc)
		                                                      : vc_dmv_json(NULL));
	verify_result_release(&r);
	if (rc) {
		/* Only out of memory or past the buffer's cap: every verification has a report. */
		buf_reset(&res->body);
		http_problem(res, 500, "internal", "Internal error",
		             rc == OK_ENOMEM ? "out of memory" : "cannot write the answer");
		goto out;
	}
	res->status = r.verified ? 200 : 400;
	res->content_type = "application/json";
out:
	json_decref(options);
	json_tree_release(&t);
}

/* The DID document as JSON unless the client asks for application/did+json. */
static const char *const did_types[] = {"application/json", "application/did+json"};

void route_did_document(struct http_request *req, struct http_response *res)
{
	struct ok_error err;
	json_t *doc = NULL;

	http_header(res, "Vary", "Accept");
	if (!req->dep->host[0]) {
		http_problem(res, 404, "not-found", "Not found",
		             "this depository's identity is a did:key (no host configured)");
		return;
	}
	ok_error_clear(&err);
	if (registry_did_document(req->dep, &doc, &err) != 0) {
		http_problem_from_error(res, &err);
		return;
	}
	http_json(res, 200, doc);
	res->content_type =
	        did_types[http_negotiate(http_request_header(req, "Accept"), did_types, 2)];
	http_header(res, "Cache-Control", "public, max-age=300");
}
