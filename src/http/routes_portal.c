/* The learner portal over HTTP: the use of login links (only the operator's CLI makes them),
 * the learner's JSON endpoints under /v1/me (a session, and X-CSRF-Token to change anything:
 * http/session.h), and the verifier's /s/TOKEN.json and /s/TOKEN/credentials. Tokens travel in
 * paths, which the access log never prints (it prints route templates). */
#include "http/internal.h"
#include "http/negotiate.h"
#include "http/qr.h"
#include "http/session.h"
#include "http/web.h"

#include "core/format.h"
#include "portal/portal.h"

#include <microhttpd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Using a login link. A GET (or HEAD) only shows the link's page: mail scanners and link
 * previews fetch links, and must not use them up. The page's "Sign in" button posts the form
 * back (same-site, so the SameSite=Strict cookie it sets is then sent); only that POST uses
 * the link. */

/* The 404 and 410 pages of a link, in the request's language. */
static bool link_refused(struct http_request *req, struct http_response *res, int rc)
{
	const char *lang = http_lang(req);

	if (rc == OK_ENOTFOUND) {
		const struct render_var vars[] = {
		        {"text", render_text(lang, "login.unknown"), false}};
		web_page(req, res, ok_http_status(rc), "notfound.html", "notfound.title", vars, 1);
		return true;
	}
	if (rc == OK_EGONE) {
		const struct render_var vars[] = {
		        {"heading", render_text(lang, "login.gone.title"), false},
		        {"text", render_text(lang, "login.gone"), false},
		};
		web_page(req, res, ok_http_status(rc), "login_gone.html", "login.gone.title", vars,
		         2);
		return true;
	}
	return false;
}

void route_login_page(struct http_request *req, struct http_response *res)
{
	const char *token = req->params.params[0];
	struct ok_error err;
	int rc;

	ok_error_clear(&err);
	rc = portal_login_link_check(req->dep, token, &err);
	if (link_refused(req, res, rc))
		return;
	if (rc) {
		http_problem_from_error(res, &err);
		return;
	}
	{
		/* A valid token is 43 URL-safe base64 characters: nothing to escape. The page's
		 * <meta name="referrer" content="origin"> makes the browser send its Origin with
		 * the post (under the server's no-referrer policy it would send "null"). */
		const struct render_var vars[] = {{"token", token, false}};
		web_page(req, res, 200, "login.html", "login.title", vars, 1);
	}
	http_header(res, "X-Robots-Tag", "noindex");
}

/* Whether Origin, when sent, is this server's own: the depository's base URL, or the host the
 * request was sent to. */
static bool own_origin(struct http_request *req)
{
	const char *origin = http_request_header(req, "Origin");
	const char *host = http_request_header(req, "Host");
	const char *base = req->dep ? req->dep->base_url : "";
	size_t n = strlen(base);
	char mine[320];

	if (!origin)
		return true;
	/* The base URL's origin: scheme://host[:port], without a path. */
	if (strncmp(base, "http://", 7) == 0 || strncmp(base, "https://", 8) == 0) {
		const char *path = strchr(base + (base[4] == 's' ? 8 : 7), '/');
		n = path ? (size_t)(path - base) : n;
		if (strlen(origin) == n && strncmp(origin, base, n) == 0)
			return true;
	}
	if (!host || !*host)
		return false;
	if (snprintf(mine, sizeof(mine), "http://%s", host) < (int)sizeof(mine) &&
	    strcmp(origin, mine) == 0)
		return true;
	return snprintf(mine, sizeof(mine), "https://%s", host) < (int)sizeof(mine) &&
	       strcmp(origin, mine) == 0;
}

void route_login(struct http_request *req, struct http_response *res)
{
	char back[64];
	struct portal_session s;
	struct ok_error err;
	int rc;

	/* No CSRF token: the link's token is the secret. But a page elsewhere must not sign a
	 * browser in to a session of its choosing. */
	if (!own_origin(req)) {
		http_problem(res, 403, "cross-origin", "Forbidden",
		             "a login link is used from this server's own page");
		return;
	}
	ok_error_clear(&err);
	rc = portal_login(req->dep, req->params.params[0], &s, &err);
	if (link_refused(req, res, rc))
		return;
	if (rc) {
		http_problem_from_error(res, &err);
		return;
	}
	/* Signing in again ends the session the browser had: one browser, one session. */
	http_session_end_current(req);
	http_text(res, 303, "text/plain; charset=utf-8", "", 0);
	/* A learner who came to send results to an EMREX client goes back to choosing them. */
	if (!http_emrex_return_path(req, back, sizeof(back)))
		snprintf(back, sizeof(back), "/learner");
	http_header(res, "Location", "%s", back);
	http_session_cookie(req, res, s.token);
	sodium_memzero(&s, sizeof(s));
}

void route_logout(struct http_request *req, struct http_response *res)
{
	struct portal_session s;
	struct ok_error err;

	ok_error_clear(&err);
	memset(&s, 0, sizeof(s));
	OK_COPY_ARRAY(s.id, req->session_id);
	OK_COPY_ARRAY(s.learner_id, req->learner_id);
	if (portal_session_end(req->dep, &s, &err) != 0 && err.code != OK_ENOTFOUND) {
		http_problem_from_error(res, &err);
		return;
	}
	if (!http_oidc_logout(req, res))
		http_text(res, 204, "text/plain", "", 0);
	http_session_cookie(req, res, NULL);
}

/* The learner's JSON endpoints (ROUTE_LEARNER: req->learner_id is the signed-in learner) */

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

void route_me(struct http_request *req, struct http_response *res)
{
	char csrf[PORTAL_TOKEN_SIZE];
	struct ok_error err;
	json_t *me = NULL;
	int rc;

	ok_error_clear(&err);
	rc = portal_me(req->dep, req->learner_id, &me, &err);
	portal_csrf_token(req->session_token, csrf);
	answer(res, rc, &err, 200,
	       rc ? NULL
	          : json_pack("{s:o, s:s, s:I}", "learner", me, "csrf", csrf, "idle_timeout_s",
	                      (json_int_t)req->dep->session_idle_s));
}

void route_me_achievements(struct http_request *req, struct http_response *res)
{
	struct ok_error err;
	json_t *doc = NULL;
	int rc;

	ok_error_clear(&err);
	rc = portal_achievements(req->dep, req->learner_id, &doc, &err);
	answer(res, rc, &err, 200, doc);
}

void route_me_credential(struct http_request *req, struct http_response *res)
{
	const char *id = req->params.params[0];
	struct store_achievement a;
	char name[128];
	enum credential_format f;
	struct ok_error err;
	const char *type;
	int rc;

	if (http_credential_negotiate(req, res, &f, &type) != 0)
		return;
	ok_error_clear(&err);
	buf_reset(&res->body);
	if ((rc = portal_credential(req->dep, req->learner_id, id, f, &res->body, &err))) {
		http_problem_from_error(res, &err);
		return;
	}
	http_count_issued(req->srv);
	res->status = 200;
	res->content_type = type;
	/* Named after the result: the learner's own, checked by portal_credential above. */
	if (store_achievement_get(req->dep->store, id, &a, NULL) != 0)
		a.title[0] = a.awarded_on[0] = '\0';
	web_download_name(a.title, a.awarded_on, f == CREDENTIAL_JWT ? "jwt" : "json", id, name,
	                  sizeof(name));
	http_header(res, "Content-Disposition", "attachment; filename=\"%s\"", name);
}

void route_me_shares(struct http_request *req, struct http_response *res)
{
	char actor[AUDIT_ACTOR_SIZE];
	struct ok_error err;
	json_t *list = NULL;
	int rc;

	ok_error_clear(&err);
	audit_actor_learner(req->learner_id, actor);
	rc = portal_shares_json(req->dep, req->learner_id, actor, &list, &err);
	answer(res, rc, &err, 200, rc ? NULL : json_pack("{s:o}", "shares", list));
}

void route_me_share_create(struct http_request *req, struct http_response *res)
{
	char actor[AUDIT_ACTOR_SIZE];
	struct ok_error err;
	json_t *body, *doc = NULL;
	int rc;

	if (!(body = http_body_json(req, res)))
		return;
	ok_error_clear(&err);
	audit_actor_learner(req->learner_id, actor);
	rc = portal_share_create_json(req->dep, req->learner_id, body, actor, &doc, &err);
	json_decref(body);
	/* The link as a QR code, for a verifier with a phone; a share without one is still
	 * whole. */
	if (!rc) {
		struct buf svg;
		buf_init(&svg, (size_t)256 << 10);
		if (web_qr_svg(json_string_value(json_object_get(doc, "url")), &svg, NULL) == 0)
			json_object_set_new(doc, "qr_svg", json_stringn(svg.data, svg.len));
		buf_release(&svg);
	}
	answer(res, rc, &err, 201, doc);
}

void route_me_share_revoke(struct http_request *req, struct http_response *res)
{
	char actor[AUDIT_ACTOR_SIZE];
	struct ok_error err;
	json_t *doc = NULL;
	int rc;

	ok_error_clear(&err);
	audit_actor_learner(req->learner_id, actor);
	rc = portal_share_revoke(req->dep, req->learner_id, req->params.params[0], actor, &doc,
	                         &err);
	answer(res, rc, &err, 200, doc);
}

void route_me_views(struct http_request *req, struct http_response *res)
{
	struct ok_error err;
	json_t *list = NULL;
	int rc;

	ok_error_clear(&err);
	rc = portal_views_json(req->dep, req->learner_id, &list, &err);
	answer(res, rc, &err, 200, rc ? NULL : json_pack("{s:o}", "views", list));
}

/* The verifier's side */

/* Opens the share of token; answers 404 or 410 problem+json itself and returns NULL. */
static json_t *open_share(struct http_request *req, struct http_response *res, const char *token)
{
	struct ok_error err;
	json_t *doc = NULL, *gone;
	char *text;
	int rc;

	ok_error_clear(&err);
	/* Never in a search engine's index, whatever the answer. */
	http_header(res, "X-Robots-Tag", "noindex");
	/* A HEAD (a link preview, a checker) learns the state only: no opening is counted, no
	 * credential issued. */
	if (strcmp(req->method, "HEAD") == 0) {
		rc = portal_share_state(req->dep, token, &doc, &err);
		if (!rc && !(doc = json_pack("{s:s}", "state", "valid")))
			rc = ok_fail(&err, OK_ENOMEM, "out of memory");
	} else {
		rc = portal_share_open(req->dep, token, &doc, &err);
	}
	if (rc == OK_EGONE && doc) {
		/* The problem document says why, with the share's state and expiry beside it. */
		gone = json_pack("{s:s, s:s, s:i, s:s}", "type", "/problems/gone", "title",
		                 "Share no longer available", "status", 410, "detail", err.message);
		if (gone && !json_object_update(gone, doc) &&
		    (text = json_dumps(gone, JSON_COMPACT))) {
			http_text(res, 410, "application/problem+json", text, strlen(text));
			free(text);
		} else {
			http_problem_from_error(res, &err);
		}
		json_decref(gone);
		json_decref(doc);
		return NULL;
	}
	if (rc) {
		json_decref(doc);
		http_problem_from_error(res, &err);
		return NULL;
	}
	return doc;
}

void route_share(struct http_request *req, struct http_response *res)
{
	char token[ROUTER_PARAM_MAX + 1];
	const char *param = req->params.params[0];
	size_t n = strlen(param);
	json_t *doc;

	/* One route, two answers: "/s/TOKEN.json" for machines, "/s/TOKEN" the page. */
	if (n <= 5 || strcmp(param + n - 5, ".json") != 0) {
		web_share_page(req, res, param);
		return;
	}
	memcpy(token, param, n - 5);
	token[n - 5] = '\0';
	if (!(doc = open_share(req, res, token)))
		return;
	http_json(res, 200, doc);
}

void route_share_credentials(struct http_request *req, struct http_response *res)
{
	char name[128];
	json_t *doc, *list, *item;
	size_t i;

	if (!(doc = open_share(req, res, req->params.params[0])))
		return;
	list = json_array();
	json_array_foreach(json_object_get(doc, "achievements"), i, item)
	{
		if (json_object_get(item, "credential"))
			json_array_append(list, json_object_get(item, "credential"));
	}
	/* One result: named after it; several: after their holder. */
	item = json_array_get(json_object_get(doc, "achievements"), 0);
	if (json_array_size(list) == 1)
		web_download_name(json_string_value(json_object_get(item, "title")),
		                  json_string_value(json_object_get(item, "awarded_on")), "json",
		                  "credentials", name, sizeof(name));
	else
		web_download_name(
		        json_string_value(json_object_get(json_object_get(doc, "holder"), "name")),
		        NULL, "json", "credentials", name, sizeof(name));
	json_decref(doc);
	http_json(res, 200, json_pack("{s:o}", "credentials", list));
	http_header(res, "Content-Disposition", "attachment; filename=\"%s\"", name);
}
