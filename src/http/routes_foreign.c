/* Foreign achievements over HTTP (issue 7): a registrar (with the learner's consent) or the
 * signed-in learner hands in another depository's credential; the learner lists theirs. The body
 * is the credential exactly as issued: a JSON credential, or a VC-JOSE token as a JSON string. */
#include "http/internal.h"
#include "http/leak_guard.h"
#include "http/purpose.h"

#include "registry/foreign.h"
#include "portal/portal.h"

#include <stdio.h>
#include <string.h>

/* The credential's bytes in the body: the body itself for a JSON credential, the string's
 * content for a token sent as a JSON string (json_t kept in *holder). NULL: answered 400. */
static const char *credential_bytes(struct http_request *req, struct http_response *res,
                                    json_t **holder, size_t *len)
{
	size_t i = 0;
	json_error_t jerr;
	const char *nul;

	*holder = NULL;
	while (i < req->body.len && strchr(" \t\r\n", req->body.data[i]))
		i++;
	if (i == req->body.len) {
		http_problem(res, 400, "invalid-input", "Invalid input",
		             "the body is empty: send the credential (a JSON object) or a VC-JOSE "
		             "token as a JSON string");
		return NULL;
	}
	if (req->body.data[i] != '"') {
		*len = req->body.len;
		return req->body.data;
	}
	if ((nul = memchr(req->body.data, '\0', req->body.len))) {
		http_problem_nul_byte(res, req->body.data, (size_t)(nul - req->body.data));
		return NULL;
	}
	*holder = json_loadb(req->body.data, req->body.len, JSON_DECODE_ANY, &jerr);
	if (!json_is_string(*holder)) {
		json_decref(*holder);
		*holder = NULL;
		http_problem(res, 400, "invalid-json", "Invalid JSON",
		             "the body is not a JSON string holding a VC-JOSE token");
		return NULL;
	}
	*len = json_string_length(*holder);
	return json_string_value(*holder);
}

/* 422 (or 409) problem+json naming the check that refused the credential, with every failed
 * check of the verification as "errors". */
static void refusal(struct http_response *res, unsigned status, const struct ok_error *err,
                    const struct foreign_import *imp)
{
	const char *check = err->field[0] ? err->field : "credential";
	json_t *result = verify_result_json(&imp->verification);
	json_t *doc;

	doc = json_pack("{s:s, s:s, s:i, s:s, s:s, s:O}", "type", "/problems/credential-refused",
	                "title", "Credential refused", "status", (int)status, "detail",
	                err->message, "check", check, "errors", json_object_get(result, "errors"));
	json_decref(result);
	http_json(res, status, doc);
	if (res->status == status)
		res->content_type = "application/problem+json";
}

/* Imports the body's credential for learner_id as actor; answers every outcome. */
static void import_for(struct http_request *req, struct http_response *res, const char *learner_id,
                       const char *actor, bool holder_required)
{
	struct foreign_options o = {.actor = actor,
	                            .holder_required = holder_required,
	                            .status_cache = http_status_cache(req->srv),
	                            .did_cache = http_did_cache(req->srv)};
	struct foreign_import imp;
	struct ok_error err;
	json_t *holder, *warnings;
	const char *data;
	size_t len;
	int rc;

	if (!(data = credential_bytes(req, res, &holder, &len)))
		return;
	ok_error_clear(&err);
	rc = registry_foreign_import(req->dep, learner_id, data, len, &o, &imp, &err);
	json_decref(holder);
	if (rc == OK_EINVALID || rc == OK_ECONFLICT)
		refusal(res, ok_http_status(rc), &err, &imp);
	else if (rc)
		http_problem_from_error(res, &err);
	if (rc) {
		foreign_import_release(&imp);
		return;
	}
	warnings = json_array();
	if (imp.warning[0])
		json_array_append_new(warnings, json_string(imp.warning));
	http_json(res, imp.duplicate ? 200 : 201,
	          json_pack("{s:o, s:b, s:s, s:o, s:o}", "foreign",
	                    foreign_record_json(&imp.record), "duplicate", imp.duplicate,
	                    "identity",
	                    imp.identity == FOREIGN_IDENTITY_MATCHED ? "matched" : "not-checked",
	                    "warnings", warnings, "verification",
	                    verify_result_json(&imp.verification)));
	foreign_import_release(&imp);
}

void route_learner_import(struct http_request *req, struct http_response *res)
{
	const char *learner_id;
	char actor[AUDIT_ACTOR_SIZE];

	if (!req->key.institution[0] || !http_key_permits(&req->key, "register")) {
		http_problem(res, 403, "forbidden", "Forbidden",
		             "only an institution's key with the 'register' permission may hand in "
		             "a learner's credential");
		return;
	}
	/* The import reads the learner's name and birth date (the identity check) and its answer
	 * says whether the credential names them ("identity": "matched"): a read of personal
	 * data, with a purpose, counted towards the key's read limit. Only for a learner with a
	 * record of the key's institution: to it, any other does not exist. */
	if (!http_purpose_require(req, res) || !(learner_id = http_registrar_learner(req, res)) ||
	    !http_leak_note(req, res, learner_id))
		return;
	audit_actor_institution_key(req->key.institution, req->key.id, actor);
	import_for(req, res, learner_id, actor, false);
}

/* The signed-in learner's own (ROUTE_LEARNER: the session and its CSRF token are checked). */
void route_me_import(struct http_request *req, struct http_response *res)
{
	char actor[AUDIT_ACTOR_SIZE];

	audit_actor_learner(req->learner_id, actor);
	/* A learner's own word does not make a credential that names nobody theirs. */
	import_for(req, res, req->learner_id, actor, true);
}

void route_me_foreign(struct http_request *req, struct http_response *res)
{
	char actor[AUDIT_ACTOR_SIZE];
	struct ok_error err;
	json_t *doc = NULL;

	audit_actor_learner(req->learner_id, actor);
	ok_error_clear(&err);
	if (registry_foreign_read(req->dep, req->learner_id, actor, PORTAL_PURPOSE_SELF, &doc,
	                          &err)) {
		http_problem_from_error(res, &err);
		return;
	}
	http_json(res, 200, doc);
}
