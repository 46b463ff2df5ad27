/* Status over HTTP: a registrar revokes, suspends or reinstates its achievements; anyone reads
 * the signed status lists (cacheable, with ETag and 304): Bitstring lists and the Token Status
 * Lists of SD-JWT VC credentials, and those credentials' type metadata. */
#include "http/internal.h"
#include "http/negotiate.h"

#include "registry/achievement.h"
#include "registry/sdjwt_status.h"
#include "registry/sdjwt_type.h"
#include "registry/status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* POST /v1/achievements/{id}/revoke|suspend|reinstate with {"reason": "..."}. */
void route_achievement_status(struct http_request *req, struct http_response *res)
{
	struct store_achievement a;
	enum status_action action;
	struct ok_error err;
	const char *reason;
	char actor[AUDIT_ACTOR_SIZE];
	json_t *body;
	int rc;

	if (!req->key.institution[0] || !http_key_permits(&req->key, "register")) {
		http_problem(res, 403, "forbidden", "Forbidden",
		             "this key may not change achievements");
		return;
	}
	/* The action is the path's last segment (one route per action). */
	if (status_action_parse(strrchr(req->path, '/') + 1, &action) != 0) {
		http_problem(res, 404, "not-found", "Not found", "no such resource");
		return;
	}
	if (!(body = http_body_json(req, res)))
		return;
	reason = json_string_value(json_object_get(body, "reason"));
	audit_actor_institution_key(req->key.institution, req->key.id, actor);
	ok_error_clear(&err);
	rc = registry_status_change(req->dep, req->params.params[0], req->key.institution, action,
	                            reason, actor, &a, &err);
	json_decref(body);
	if (rc) {
		if (rc == OK_EINPUT)
			http_problem(res, 400, "invalid-input", "Invalid input", "%s", err.message);
		else
			http_problem_from_error(res, &err);
		return;
	}
	/* Identifiers and status only: a write states no purpose, so it reads nothing back. */
	http_json(res, 200,
	          json_pack("{s:s, s:s, s:s, s:i}", "id", a.id, "learner_id", a.learner_id,
	                    "status", a.status, "version", a.version));
}

/* A status list as JSON unless the client asks for application/vc: many verifiers read only a
 * body whose type says JSON (http/negotiate.h). */
static const char *const list_types[] = {"application/json", "application/vc"};

/* GET /status/{purpose}/{n} */
void route_status_list(struct http_request *req, struct http_response *res)
{
	const char *inm = http_request_header(req, "If-None-Match");
	const char *type =
	        list_types[http_negotiate(http_request_header(req, "Accept"), list_types, 2)];
	char etag[STORE_ETAG_MAX];
	struct ok_error err;
	long long n;

	/* Caches keep one answer per Accept, whatever the outcome. */
	http_header(res, "Vary", "Accept");

	/* One URL per list: "01", "+1" or " 1" are not another name of list 1. */
	if (!status_list_number(req->params.params[1], &n)) {
		http_problem(res, 404, "not-found", "Not found", "no such status list");
		return;
	}
	ok_error_clear(&err);
	buf_reset(&res->body);
	if (registry_status_list_credential(req->dep, req->params.params[0], n, &res->body, etag,
	                                    &err) != 0) {
		http_problem_from_error(res, &err);
		return;
	}
	http_header(res, "ETag", "%s", etag);
	http_header(res, "Cache-Control", "public, max-age=%ld", req->dep->status_ttl_s);
	if (inm && (strstr(inm, etag) || strcmp(inm, "*") == 0)) {
		buf_reset(&res->body);
		res->status = 304;
		res->content_type = type;
		return;
	}
	res->status = 200;
	res->content_type = type;
}

/* GET /statuslists/{n}: the IETF Token Status List of SD-JWT VC credentials (sdjwt_status.h),
 * a signed application/statuslist+jwt, cacheable as the Bitstring lists are. */
void route_token_status_list(struct http_request *req, struct http_response *res)
{
	const char *inm = http_request_header(req, "If-None-Match");
	char etag[STORE_ETAG_MAX];
	struct ok_error err;
	long long n;

	if (!status_list_number(req->params.params[0], &n)) {
		http_problem(res, 404, "not-found", "Not found", "no such status list");
		return;
	}
	ok_error_clear(&err);
	buf_reset(&res->body);
	if (registry_token_status_list(req->dep, n, &res->body, etag, &err) != 0) {
		http_problem_from_error(res, &err);
		return;
	}
	http_header(res, "ETag", "%s", etag);
	http_header(res, "Cache-Control", "public, max-age=%ld", req->dep->status_ttl_s);
	res->content_type = "application/statuslist+jwt";
	if (inm && (strstr(inm, etag) || strcmp(inm, "*") == 0)) {
		buf_reset(&res->body);
		res->status = 304;
		return;
	}
	res->status = 200;
}

/* GET /vct/{kind}: SD-JWT VC Type Metadata of the depository's own credential types. */
void route_vct(struct http_request *req, struct http_response *res)
{
	struct ok_error err;
	json_t *doc;

	ok_error_clear(&err);
	if (registry_sdjwt_type_metadata(req->dep, req->params.params[0], &doc, &err) != 0) {
		http_problem_from_error(res, &err);
		return;
	}
	http_header(res, "Cache-Control", "public, max-age=86400");
	http_json(res, 200, doc);
}
