/* A registrar's routes on a learner (/v1/learners/{id}…): a learner is visible to a key only
 * through a record of the key's own institution, and one it may not see answers exactly as an
 * unknown id. PATCH /v1/learners/{id} corrects the learner's identity explicitly
 * (registry/identity.h). */
#include "http/internal.h"
#include "http/leak_guard.h"
#include "http/purpose.h"

#include "registry/identity.h"
#include "registry/learner.h"

#include <stdio.h>
#include <string.h>

const char *http_registrar_learner(struct http_request *req, struct http_response *res)
{
	const char *learner_id = req->params.params[0];
	struct ok_error err;

	ok_error_clear(&err);
	/* One answer for "no such learner" and "not yours": the same status, the same words. */
	if (registry_learner_at_institution(req->dep, learner_id, req->key.institution, &err)) {
		if (err.code == OK_ENOTFOUND)
			http_problem(res, 404, "not-found", "Not found", "no learner with that id");
		else
			http_problem_from_error(res, &err);
		return NULL;
	}
	return learner_id;
}

/* The body's string field name into *out (NULL when absent); false (answered 422) when it is
 * there but not a string. */
static bool field_of(const json_t *body, const char *name, const char **out,
                     struct http_response *res)
{
	const json_t *v = json_object_get(body, name);

	*out = NULL;
	if (!v)
		return true;
	if (!json_is_string(v)) {
		http_problem(res, 422, "invalid-correction", "Invalid correction",
		             "%s must be a string", name);
		return false;
	}
	*out = json_string_value(v);
	return true;
}

void route_learner_patch(struct http_request *req, struct http_response *res)
{
	struct identity_fields in;
	struct identity_outcome out;
	struct ok_error err;
	const char *learner_id, *purpose, *key;
	char actor[AUDIT_ACTOR_SIZE];
	json_t *body, *value;
	int rc;

	if (!req->key.institution[0] || !http_key_permits(&req->key, "register")) {
		http_problem(res, 403, "forbidden", "Forbidden",
		             "only an institution's key with the 'register' permission may correct "
		             "a learner's identity");
		return;
	}
	if (!(purpose = http_purpose_require(req, res)))
		return;
	if (strcmp(purpose, "correction") != 0) {
		http_problem(res, 400, "purpose-required", "Purpose required",
		             "a correction of a learner's identity states the purpose 'correction' "
		             "in " HTTP_PURPOSE_HEADER);
		return;
	}
	if (!(learner_id = http_registrar_learner(req, res)))
		return;
	/* The answer says whether the values sent were the learner's: a read, counted. */
	if (!http_leak_note(req, res, learner_id))
		return;
	if (!(body = http_body_json(req, res)))
		return;
	if (!json_is_object(body)) {
		json_decref(body);
		http_problem(res, 422, "invalid-correction", "Invalid correction",
		             "the body must be a JSON object with given_names, family_name and/or "
		             "birth_date");
		return;
	}
	json_object_foreach(body, key, value)
	{
		(void)value;
		if (strcmp(key, "given_names") != 0 && strcmp(key, "family_name") != 0 &&
		    strcmp(key, "birth_date") != 0) {
			http_problem(res, 422, "invalid-correction", "Invalid correction",
			             "unknown field '%.64s': a learner's identity is given_names, "
			             "family_name and birth_date",
			             key);
			json_decref(body);
			return;
		}
	}
	if (!field_of(body, "given_names", &in.given_names, res) ||
	    !field_of(body, "family_name", &in.family_name, res) ||
	    !field_of(body, "birth_date", &in.birth_date, res)) {
		json_decref(body);
		return;
	}
	ok_error_clear(&err);
	audit_actor_institution_key(req->key.institution, req->key.id, actor);
	rc = registry_identity_correct(req->dep, learner_id, req->key.institution, &in, actor,
	                               purpose, &out, &err);
	json_decref(body);
	if (rc == OK_EINPUT) {
		/* 422, not the table's 400: the request is well formed, the correction is not. */
		http_problem(res, 422, "invalid-correction", "Invalid correction", "%s",
		             err.message);
		return;
	}
	if (rc == OK_ENOTFOUND) {
		http_problem(res, 404, "not-found", "Not found", "no learner with that id");
		return;
	}
	if (rc) {
		http_problem_from_error(res, &err);
		return;
	}
	/* The fields changed, never values: the caller sent the new ones and may not read the
	 * old. */
	http_json(res, 200,
	          json_pack("{s:s, s:b, s:o, s:o}", "id", learner_id, "changed", out.changed,
	                    "fields", json_string(out.fields), "change_id",
	                    out.changed ? json_string(out.change_id) : json_null()));
}
