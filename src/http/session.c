/* Learners' sessions over HTTP: cookie in, live session and CSRF check, cookie out (see
 * session.h). */
#include "http/session.h"

#include "portal/portal.h"

#include <microhttpd.h>
#include <string.h>

static bool changes_state(const char *method)
{
	return strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 ||
	       strcmp(method, "PATCH") == 0 || strcmp(method, "DELETE") == 0;
}

/* Served over TLS, or reached through https:// (a TLS proxy in front): the cookie must never
 * travel in clear. */
bool http_secure(struct http_request *req)
{
	const union MHD_ConnectionInfo *c =
	        MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_DAEMON);
	const union MHD_DaemonInfo *d =
	        c ? MHD_get_daemon_info(c->daemon, MHD_DAEMON_INFO_FLAGS) : NULL;

	return (d && (d->flags & MHD_USE_TLS)) ||
	       (req->dep && strncmp(req->dep->base_url, "https://", 8) == 0);
}

static const char *cookie_name(struct http_request *req)
{
	return http_secure(req) ? HTTP_SESSION_COOKIE_SECURE : HTTP_SESSION_COOKIE;
}

/* Only the name that applies: over TLS a cookie without the __Host- prefix may have been set
 * by another host (or over plain HTTP) and is not taken. */
static const char *cookie_token(struct http_request *req)
{
	return MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND, cookie_name(req));
}

void http_session_cookie(struct http_request *req, struct http_response *res, const char *token)
{
	const char *flag = http_secure(req) ? "; Secure" : "";

	if (token)
		http_header(res, "Set-Cookie", "%s=%s; Path=/; HttpOnly; SameSite=Strict%s",
		            cookie_name(req), token, flag);
	else
		http_header(res, "Set-Cookie",
		            "%s=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0%s", cookie_name(req),
		            flag);
}

void http_session_end_current(struct http_request *req)
{
	const char *token = cookie_token(req);
	struct portal_session s;

	if (token && req->dep && portal_session_check(req->dep, token, &s, NULL) == 0)
		portal_session_end(req->dep, &s, NULL);
}

bool http_session_require(struct http_request *req, struct http_response *res)
{
	const char *token = cookie_token(req);
	struct portal_session s;
	struct ok_error err;
	int rc;

	if (!token) {
		http_problem(res, 401, "not-signed-in", "Not signed in",
		             "sign in first: open a login link");
		return false;
	}
	ok_error_clear(&err);
	rc = portal_session_check(req->dep, token, &s, &err);
	if (rc == OK_ENOTFOUND || rc == OK_EGONE) {
		/* 401, not the table's 404 or 410: the request lacks a valid sign-in. */
		http_problem(res, 401, "not-signed-in", "Not signed in", "%s",
		             rc == OK_EGONE ? "the session has ended: open a new login link"
		                            : "no such session: open a login link");
		http_session_cookie(req, res, NULL);
		return false;
	}
	if (rc) {
		http_problem_from_error(res, &err);
		return false;
	}
	/* A cookie goes along with any request, a header only with the page's own scripts. */
	if (changes_state(req->method) &&
	    !portal_csrf_valid(token, http_request_header(req, HTTP_CSRF_HEADER))) {
		http_problem(res, 403, "csrf", "Forbidden",
		             "send the session's CSRF token (from GET /v1/me) in the "
		             "X-CSRF-Token header");
		return false;
	}
	memcpy(req->learner_id, s.learner_id, sizeof(req->learner_id));
	memcpy(req->session_id, s.id, sizeof(req->session_id));
	req->session_token = token;
	return true;
}

bool http_session_learner(struct http_request *req, char learner_id[STORE_ID_MAX + 1])
{
	const char *token = cookie_token(req);
	struct portal_session s;

	learner_id[0] = '\0';
	if (!token || !req->dep || portal_session_check(req->dep, token, &s, NULL) != 0)
		return false;
	memcpy(learner_id, s.learner_id, STORE_ID_MAX + 1);
	return true;
}

bool http_session_page(struct http_request *req, char learner_id[STORE_ID_MAX + 1],
                       char csrf[PORTAL_TOKEN_SIZE])
{
	const char *token = cookie_token(req);

	if (!http_session_learner(req, learner_id))
		return false;
	portal_csrf_token(token, csrf);
	return true;
}

bool http_session_form(struct http_request *req, const char *csrf,
                       char learner_id[STORE_ID_MAX + 1], const char **token)
{
	const char *t = cookie_token(req);

	*token = NULL;
	if (!t || !csrf || !portal_csrf_valid(t, csrf) || !http_session_learner(req, learner_id))
		return false;
	*token = t;
	return true;
}
