/* POST /presentations/verify: the W3C VC-API presentation verifier (public, like
 * /credentials/verify). */
#include "http/internal.h"

#include "registry/verify_presentation.h"
#include "vc/jcs.h"

#include <string.h>

/* options.challenge or options.domain: absent, or a non-empty string of bounded length. Answers
 * 400 itself. */
static bool read_binding(const json_t *options, const char *name, const char **out,
                         struct http_response *res)
{
	const json_t *v = json_object_get(options, name);

	*out = NULL;
	if (!v)
		return true;
	if (!json_is_string(v) || json_string_length(v) == 0 ||
	    json_string_length(v) > VP_CHALLENGE_MAX ||
	    strlen(json_string_value(v)) != json_string_length(v)) {
		http_problem(res, 400, "invalid-input", "Invalid input",
		             "options.%s must be a non-empty string of at most %d bytes", name,
		             VP_CHALLENGE_MAX);
		return false;
	}
	*out = json_string_value(v);
	return true;
}

void route_vp_verify(struct http_request *req, struct http_response *res)
{
	struct vp_options o = {0};
	struct vp_result r;
	struct ok_error err;
	json_t *body = NULL, *vp, *options, *answer;
	size_t i;
	int rc;

	/* Parsed once under the credential rules (strict, numbers as doubles): the credentials
	 * inside are then verified as they are. */
	ok_error_clear(&err);
	if (req->body.len == 0 ||
	    vc_jcs_parse(req->body.data, req->body.len, 0, &body, &err) != 0) {
		http_problem(res, 400, "invalid-json", "Invalid JSON", "%s",
		             req->body.len ? err.message : "the body is empty");
		return;
	}
	vp = json_object_get(body, "verifiablePresentation");
	options = json_object_get(body, "options");
	if (!json_is_object(vp) || (options && !json_is_object(options))) {
		http_problem(res, 400, "invalid-input", "Invalid input",
		             "the body must be {\"verifiablePresentation\": {...}, \"options\": "
		             "{\"challenge\", \"domain\", \"checks\"}}");
		goto out;
	}
	if (!http_read_checks(options, &o.verify.checks, res) ||
	    !read_binding(options, "challenge", &o.challenge, res) ||
	    !read_binding(options, "domain", &o.domain, res))
		goto out;
	o.verify.status_cache = http_status_cache(req->srv);
	o.verify.did_cache = http_did_cache(req->srv);
	ok_error_clear(&err);
	rc = registry_verify_presentation_document(req->dep, vp, &o, &r, &err);
	if (rc) {
		vp_result_release(&r);
		http_problem_from_error(res, &err);
		goto out;
	}
	if (!r.is_presentation) {
		http_problem(res, 400, "not-a-presentation", "Not a presentation", "%s",
		             r.not_presentation);
		vp_result_release(&r);
		goto out;
	}
	for (i = 0; i < r.n_credentials; i++)
		http_count_verified(req->srv, r.credentials[i].r.verified);
	/* 200 with "verified" either way: the answer reports per credential what held. */
	answer = vp_result_json(req->dep, &r);
	vp_result_release(&r);
	if (!answer) {
		http_problem(res, 500, "internal", "Internal error", "out of memory");
		goto out;
	}
	http_json(res, 200, answer);
out:
	json_decref(body);
}
