/* The registrar API: an institution's key registers results and reads and corrects its own
 * achievements. Another institution's record answers 404, exactly as a missing one. A read of a
 * learner's personal data states its purpose (purpose.h) and counts towards the key's read limit
 * (leak_guard.h). */
#include "http/internal.h"
#include "core/format.h"
#include "http/leak_guard.h"
#include "http/purpose.h"

#include "audit/txn.h"
#include "io/csv_reader.h"
#include "registry/achievement.h"
#include "registry/import.h"
#include "registry/learner.h"

#include <stdio.h>
#include <string.h>

#define MAX_REPORTED_ERRORS 1000

/* Checks the permission and that the key belongs to an institution; answers 403 otherwise. */
static bool require(struct http_request *req, struct http_response *res, const char *perm)
{
	if (!req->key.institution[0]) {
		http_problem(res, 403, "forbidden", "Forbidden",
		             "this key belongs to no institution");
		return false;
	}
	if (!http_key_permits(&req->key, perm)) {
		http_problem(res, 403, "forbidden", "Forbidden",
		             "this key lacks the '%s' permission", perm);
		return false;
	}
	return true;
}

/* The key's audit actor, "institution:CODE/key:ID". */
static const char *actor_of(const struct http_request *req, char out[AUDIT_ACTOR_SIZE])
{
	return audit_actor_institution_key(req->key.institution, req->key.id, out);
}

static bool query_flag(struct http_request *req, const char *name)
{
	const char *v = http_query(req, name);

	return v && (strcmp(v, "true") == 0 || strcmp(v, "1") == 0);
}

struct result_errors {
	json_t *list;
	bool csv;
};

static void collect_error(void *ctx, const struct csv_row *row, const struct ok_error *e)
{
	struct result_errors *r = ctx;
	json_t *item;

	(void)row;
	if (json_array_size(r->list) >= MAX_REPORTED_ERRORS)
		return;
	item = json_pack("{s:s, s:s}", "field", e->field, "detail", e->message);
	if (!item)
		return;
	if (r->csv)
		json_object_set_new(item, "line", json_integer((json_int_t)e->line));
	else
		json_object_set_new(item, "index", json_integer((json_int_t)e->line - 1));
	json_array_append_new(r->list, item);
}

void route_results_post(struct http_request *req, struct http_response *res)
{
	const char *ct = http_request_header(req, "Content-Type");
	struct import_options o = {0};
	struct result_errors errors = {0};
	struct import_report report = {0};
	struct ok_error err;
	char actor[AUDIT_ACTOR_SIZE];
	json_t *body = NULL, *doc;
	int rc;

	if (!require(req, res, "register"))
		return;
	errors.csv = strncasecmp(ct, "text/csv", 8) == 0;
	errors.list = json_array();
	actor_of(req, actor);
	o.institution = req->key.institution;
	o.actor = actor;
	o.key = &req->key;
	o.hide_identity_columns = !http_key_permits(&req->key, "read");
	o.dry_run = query_flag(req, "dry_run");
	o.strict = query_flag(req, "strict");
	o.on_reject = collect_error;
	o.ctx = &errors;
	o.should_stop = http_server_stopping;
	o.stop_ctx = req->srv;
	ok_error_clear(&err);
	if (errors.csv) {
		struct csv_memory_source src = {req->body.data, req->body.len, 0};
		rc = registry_import_csv(req->dep, &o, "body", csv_read_memory, &src, &report,
		                         &err);
	} else {
		if (!(body = http_body_json(req, res))) {
			json_decref(errors.list);
			return;
		}
		rc = registry_import_json(req->dep, &o, body, &report, &err);
		json_decref(body);
	}
	/* Identity conflicts past the key's limit blocked it: no row is listed. */
	if (report.key_blocked) {
		json_decref(errors.list);
		http_leak_conflicts_blocked(req, res, &report);
		return;
	}
	if (rc == OK_ELIMIT || rc == OK_EAUTH) {
		json_decref(errors.list);
		if (rc == OK_EAUTH)
			http_problem(res, 403, "key-blocked", "Key blocked", "%s", err.message);
		else
			http_problem(res, 422, "too-many-conflicts", "Too many identity conflicts",
			             "%s", err.message);
		return;
	}
	if (rc) {
		json_decref(errors.list);
		/* An unsupported upload (its separator, its encoding) is the client's to fix: 400,
		 * not the table's 500, with the line when there is one. */
		if ((rc == OK_EINPUT || rc == OK_EUNSUPPORTED) && err.line)
			http_problem(res, 400, "invalid-input", "Invalid input", "line %zu: %s",
			             err.line, err.message);
		else if (rc == OK_EINPUT || rc == OK_EUNSUPPORTED)
			http_problem(res, 400, "invalid-input", "Invalid input", "%s", err.message);
		else
			http_problem_from_error(res, &err);
		return;
	}
	doc = json_pack("{s:I, s:I, s:I, s:I, s:I, s:b, s:b, s:o}", "read", (json_int_t)report.read,
	                "added", (json_int_t)report.added, "updated", (json_int_t)report.updated,
	                "unchanged", (json_int_t)report.unchanged, "rejected",
	                (json_int_t)report.rejected, "stored", report.stored, "dry_run", o.dry_run,
	                "errors", errors.list);
	if (o.strict && report.rejected) {
		/* Nothing stored: an error with the report as extension members. */
		json_object_set_new(doc, "type", json_string("/problems/rejected-rows"));
		json_object_set_new(doc, "title", json_string("Rows rejected"));
		json_object_set_new(doc, "status", json_integer(422));
		json_object_set_new(doc, "detail",
		                    json_string("some rows were rejected and strict was asked: "
		                                "nothing was stored"));
		http_json(res, 422, doc);
		res->content_type = "application/problem+json";
		return;
	}
	http_json(res, 200, doc);
}

struct collected {
	const char *institution;
	json_t *list;
};

static int collect_own(void *ctx, const struct store_achievement *a)
{
	struct collected *c = ctx;

	if (strcmp(a->institution, c->institution) == 0)
		json_array_append_new(c->list, registry_achievement_json(a));
	return 0;
}

void route_achievements_query(struct http_request *req, struct http_response *res)
{
	const char *nid = http_query(req, "national_id");
	const char *purpose;
	struct collected c;
	struct learner_view view;
	struct ok_error err;
	char learner_id[STORE_ID_MAX + 1], actor[AUDIT_ACTOR_SIZE];
	json_t *doc;
	int rc;

	if (!require(req, res, "read") || !(purpose = http_purpose_require(req, res)))
		return;
	if (!nid || !nid[0]) {
		http_problem(res, 400, "invalid-input", "Invalid input",
		             "give the learner as ?national_id=…");
		return;
	}
	ok_error_clear(&err);
	c.institution = req->key.institution;
	c.list = json_array();
	rc = registry_learner_find_id(req->dep, nid, learner_id, &err);
	if (!rc)
		rc = registry_learner_achievements(req->dep, learner_id, collect_own, &c, &err);
	/* A learner with nothing at this institution is, to this key, no learner at all. */
	if (!rc && json_array_size(c.list) == 0)
		rc = ok_fail(&err, OK_ENOTFOUND, "no learner with that national id");
	/* Counted before anything personal is opened: past the limit, nothing is. */
	if (!rc && !http_leak_note(req, res, learner_id)) {
		json_decref(c.list);
		return;
	}
	actor_of(req, actor);
	if (!rc)
		rc = registry_learner_read(req->dep, NULL, learner_id, actor, purpose, &view, &err);
	if (rc) {
		json_decref(c.list);
		if (rc == OK_EINPUT)
			err.code = OK_EINPUT;
		http_problem_from_error(res, &err);
		return;
	}
	doc = json_pack("{s:{s:s, s:s, s:s, s:s}, s:o}", "learner", "id", view.id, "given_names",
	                view.data.given_names, "family_name", view.data.family_name, "birth_date",
	                view.data.birth_date, "achievements", c.list);
	memset(&view, 0, sizeof(view));
	http_json(res, 200, doc);
}

void route_achievement_get(struct http_request *req, struct http_response *res)
{
	struct store_achievement a;
	struct ok_error err;
	const char *purpose;
	char actor[AUDIT_ACTOR_SIZE], detail[64];

	if (!require(req, res, "read") || !(purpose = http_purpose_require(req, res)))
		return;
	ok_error_clear(&err);
	if (registry_achievement_get(req->dep, req->params.params[0], req->key.institution, &a,
	                             &err) != 0) {
		http_problem_from_error(res, &err);
		return;
	}
	/* A learner's result is personal data too: counted and audited as a read of them. */
	if (!http_leak_note(req, res, a.learner_id))
		return;
	actor_of(req, actor);
	if (ok_format(detail, sizeof(detail), "achievement=%s", a.id) ||
	    audit_record(req->dep, actor, "achievement.read", a.learner_id, purpose, detail,
	                 &err) != 0) {
		http_problem_from_error(res, &err);
		return;
	}
	http_json(res, 200, registry_achievement_json(&a));
}

void route_achievement_patch(struct http_request *req, struct http_response *res)
{
	struct store_achievement a;
	struct ok_error err;
	char actor[AUDIT_ACTOR_SIZE];
	json_t *patch;
	int rc;

	if (!require(req, res, "register"))
		return;
	ok_error_clear(&err);
	if (registry_achievement_get(req->dep, req->params.params[0], req->key.institution, &a,
	                             &err) != 0) {
		http_problem_from_error(res, &err);
		return;
	}
	/* A correction is checked against the learner's birth date, so its answer tells something
	 * of it: counted as a read of them, as PATCH /v1/learners/{id} is. */
	if (!http_leak_note(req, res, a.learner_id))
		return;
	if (!(patch = http_body_json(req, res)))
		return;
	actor_of(req, actor);
	rc = registry_achievement_correct(req->dep, req->params.params[0], req->key.institution,
	                                  patch, actor, &a, &err);
	json_decref(patch);
	/* An award date before the birth date answers a guess at the birth date: an identity
	 * conflict, audited and counted as an import's are. */
	if (rc == OK_EINPUT && strcmp(err.field, "awarded_on") == 0 &&
	    strcmp(err.message, ACHIEVEMENT_AWARD_BEFORE_BIRTH) == 0 &&
	    !http_leak_conflict(req, res, actor, a.learner_id))
		return;
	if (rc) {
		/* 422, not the table's 400: the request is well formed, the correction is not. */
		if (rc == OK_EINPUT)
			http_problem(res, 422, "invalid-correction", "Invalid correction", "%s",
			             err.message);
		else
			http_problem_from_error(res, &err);
		return;
	}
	/* Identifiers, status and version only: a correction states no purpose, so it reads
	 * nothing back (GET /v1/achievements/{id}, with a purpose, does). */
	http_json(res, 200,
	          json_pack("{s:s, s:s, s:s, s:i}", "id", a.id, "learner_id", a.learner_id,
	                    "status", a.status, "version", a.version));
}
