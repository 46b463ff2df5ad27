/* EMREX over HTTP (issue 19). As a contact point: POST /emrex (a client's sessionId and
 * returnUrl), GET /emrex (the learner signs in and ticks results), POST /emrex/answer (the
 * answer, an auto-submitting form to returnUrl). As a client: GET /learner/emrex (the contact
 * points of the registry), POST /learner/emrex/fetch (the learner sent to one with a fresh
 * sessionId), POST /learner/emrex/return (its answer, imported). The pages' forms carry the
 * session's CSRF token in a field, since a form cannot send a header. */
#include "http/internal.h"
#include "http/session.h"
#include "http/web.h"

#include "core/format.h"
#include "io/form.h"
#include "render/text.h"
#include "portal/emrex.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <microhttpd.h>

/* One cookie per request, named with the request's tag (EMREX_TAG_LEN hex digits of a hash
 * of its token): another site's POST /emrex in another tab adds a cookie of its own and
 * cannot replace the one a consent page shows (E2 of the s7 review). */
#define EMREX_COOKIE        "oorkonde_emrex_"
#define EMREX_COOKIE_SECURE "__Host-oorkonde_emrex_"
#define EMREX_TAG_LEN       16
#define CHOSEN_MAX          ELMO_RESULTS_MAX

/* The fields of a form the routes here read; values owned. */
struct form {
	char *session_id, *return_url, *csrf, *action, *ncp, *code, *message, *elmo;
	char *request; /* "r": the tag of the request the consent page showed */
	size_t elmo_len;
	char **chosen; /* "a" fields: achievement ids */
	size_t n_chosen;
	bool repeated; /* a single-valued field came twice */
};

static int take(char **slot, const char *value, struct form *f)
{
	if (*slot) {
		f->repeated = true;
		return 0;
	}
	return (*slot = strdup(value)) ? 0 : OK_ENOMEM;
}

static int form_field(void *ctx, const char *name, const char *value, size_t len)
{
	struct form *f = ctx;

	if (strcmp(name, "sessionId") == 0)
		return take(&f->session_id, value, f);
	if (strcmp(name, "returnUrl") == 0)
		return take(&f->return_url, value, f);
	if (strcmp(name, "csrf") == 0)
		return take(&f->csrf, value, f);
	if (strcmp(name, "action") == 0)
		return take(&f->action, value, f);
	if (strcmp(name, "r") == 0)
		return take(&f->request, value, f);
	if (strcmp(name, "ncp") == 0)
		return take(&f->ncp, value, f);
	if (strcmp(name, "returnCode") == 0)
		return take(&f->code, value, f);
	if (strcmp(name, "returnMessage") == 0)
		return take(&f->message, value, f);
	if (strcmp(name, "elmo") == 0) {
		f->elmo_len = len;
		return take(&f->elmo, value, f);
	}
	if (strcmp(name, "a") == 0) {
		void *p;

		if (f->n_chosen >= CHOSEN_MAX)
			return OK_ELIMIT;
		if (!(p = realloc(f->chosen, (f->n_chosen + 1) * sizeof(*f->chosen))))
			return OK_ENOMEM;
		f->chosen = p;
		if (!(f->chosen[f->n_chosen] = strdup(value)))
			return OK_ENOMEM;
		f->n_chosen++;
	}
	/* Other fields (a client's extras) are not ours to read. */
	return 0;
}

static void form_release(struct form *f)
{
	size_t i;

	free(f->session_id);
	free(f->return_url);
	free(f->csrf);
	free(f->action);
	free(f->request);
	free(f->ncp);
	free(f->code);
	free(f->message);
	free(f->elmo);
	for (i = 0; i < f->n_chosen; i++)
		free(f->chosen[i]);
	free(f->chosen);
}

/* The request's form; answers 400 itself (false) for a body that is none. */
static bool read_form(struct http_request *req, struct http_response *res, struct form *f)
{
	const char *ct = http_request_header(req, MHD_HTTP_HEADER_CONTENT_TYPE);
	struct ok_error err;
	int rc;

	memset(f, 0, sizeof(*f));
	if (!ct || strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0) {
		http_problem(res, 415, "unsupported-media-type", "Unsupported media type",
		             "send application/x-www-form-urlencoded");
		return false;
	}
	ok_error_clear(&err);
	rc = io_form_parse(req->body.data, req->body.len, form_field, f, &err);
	if (rc == OK_ELIMIT)
		rc = ok_fail_field(&err, OK_EINPUT, "a", "more than %d results chosen", CHOSEN_MAX);
	else if (rc == OK_ENOMEM)
		rc = ok_fail(&err, OK_ENOMEM, "out of memory");
	if (!rc && f->repeated)
		rc = ok_fail_field(&err, OK_EINPUT, "form", "a field of the form came twice");
	if (rc) {
		http_problem_from_error(res, &err);
		return false;
	}
	return true;
}

/* A page with a heading and a text (error.html), in the request's language. */
static void message_page(struct http_request *req, struct http_response *res, unsigned status,
                         const char *heading, const char *text, const char *id)
{
	const struct render_var vars[] = {
	        {"heading", heading, false}, {"text", text, false}, {"id", id, false}};

	web_page(req, res, status, "emrex_message.html", "emrex.title", vars, 3);
}

/* scheme://host[:port] of a URL emrex_url_ok accepted (only [A-Za-z0-9.:[]-] in the host). */
static void origin_of(const char *url, char *out, size_t cap)
{
	const char *p = strstr(url, "://");
	size_t n = p ? (size_t)(p - url) + 3 + strcspn(p + 3, "/?#") : 0;

	snprintf(out, cap, "%.*s", (int)n, url);
}

/* The host[:port] of url, for what a learner reads. */
static void host_of(const char *url, char *out, size_t cap)
{
	const char *p = strstr(url, "://");

	p = p ? p + 3 : url;
	snprintf(out, cap, "%.*s", (int)strcspn(p, "/?#"), p);
}

/* Appends <input type="hidden" name=name value=value> (escaped). */
static int hidden(struct buf *b, const char *name, const char *value)
{
	return buf_addf(b, "<input type=\"hidden\" name=\"%s\" value=\"", name) ||
	       render_html_escape(b, value) || buf_addstr(b, "\">");
}

/* The page that posts fields (HTML) to url from the learner's browser: a same-origin script
 * submits it, a button does for a browser without scripts. The CSP lets forms go to url's
 * origin only. */
static void post_page(struct http_request *req, struct http_response *res, const char *url,
                      const char *fields, const char *text)
{
	char origin[STORE_EMREX_URL_MAX + 1];
	size_t i;

	{
		const struct render_var vars[] = {
		        {"action", url, false}, {"fields", fields, true}, {"text", text, false}};
		web_page(req, res, 200, "emrex_post.html", "emrex.title", vars, 3);
	}
	if (res->status != 200)
		return;
	origin_of(url, origin, sizeof(origin));
	for (i = 0; i < res->nheaders; i++)
		if (strcmp(res->headers[i].name, "Content-Security-Policy") == 0 &&
		    snprintf(res->headers[i].value, sizeof(res->headers[i].value),
		             "default-src 'self'; script-src 'self'; style-src 'self'; "
		             "img-src 'self' data:; connect-src 'self'; object-src 'none'; "
		             "base-uri 'none'; form-action %s; frame-ancestors 'none'",
		             origin) >= (int)sizeof(res->headers[i].value))
			http_problem(res, 500, "internal", "Internal error",
			             "the page could not be made");
	http_header(res, "Cache-Control", "no-store");
	http_header(res, "Referrer-Policy", "no-referrer");
}

/* The contact point's side */

/* The tag of a request's token: names its cookie and goes in its pages' URL and forms. It
 * need not be secret; it only tells one open request of a browser from another. */
static void emrex_tag(const char *token, char tag[EMREX_TAG_LEN + 1])
{
	static const char domain[] = "oorkonde emrex cookie";
	unsigned char h[EMREX_TAG_LEN / 2];
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	crypto_generichash_update(&st, (const unsigned char *)domain, sizeof(domain));
	crypto_generichash_update(&st, (const unsigned char *)token, strlen(token));
	crypto_generichash_final(&st, h, sizeof(h));
	sodium_bin2hex(tag, EMREX_TAG_LEN + 1, h, sizeof(h));
}

static bool tag_ok(const char *tag)
{
	return tag && strlen(tag) == EMREX_TAG_LEN &&
	       strspn(tag, "0123456789abcdef") == EMREX_TAG_LEN;
}

static const char *emrex_cookie_prefix(struct http_request *req)
{
	return http_secure(req) ? EMREX_COOKIE_SECURE : EMREX_COOKIE;
}

/* The token of request tag in this browser, or NULL: the cookie named with tag, whose value
 * must hash to tag. */
static const char *emrex_cookie(struct http_request *req, const char *tag)
{
	char name[sizeof(EMREX_COOKIE_SECURE) + EMREX_TAG_LEN], check[EMREX_TAG_LEN + 1];
	const char *token;

	if (!tag_ok(tag))
		return NULL;
	snprintf(name, sizeof(name), "%s%s", emrex_cookie_prefix(req), tag);
	token = MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND, name);
	if (!token || strlen(token) >= PORTAL_TOKEN_SIZE)
		return NULL;
	emrex_tag(token, check);
	return strcmp(check, tag) == 0 ? token : NULL;
}

/* Lax, not Strict: the browser arrives from the client's site, and must bring it along on the
 * redirect that follows; a cross-site POST does not carry it. token NULL clears it. */
static void set_emrex_cookie(struct http_request *req, struct http_response *res, const char *tag,
                             const char *token)
{
	const char *secure = http_secure(req) ? "; Secure" : "";

	if (token)
		http_header(res, "Set-Cookie",
		            "%s%s=%s; Path=/; HttpOnly; SameSite=Lax; Max-Age=%d%s",
		            emrex_cookie_prefix(req), tag, token, PORTAL_EMREX_TTL_S, secure);
	else
		http_header(res, "Set-Cookie", "%s%s=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0%s",
		            emrex_cookie_prefix(req), tag, secure);
}

struct tag_scan {
	const char *prefix;
	char tag[EMREX_TAG_LEN + 1];
	int n;
};

static enum MHD_Result scan_cookie(void *ctx, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
	struct tag_scan *t = ctx;
	size_t n = strlen(t->prefix);

	(void)kind;
	(void)value;
	if (strncmp(key, t->prefix, n) == 0 && tag_ok(key + n)) {
		ok_copy_bounded(t->tag, key + n, sizeof(t->tag));
		t->n++;
	}
	return MHD_YES;
}

bool http_emrex_return_path(struct http_request *req, char *out, size_t cap)
{
	struct tag_scan t = {emrex_cookie_prefix(req), "", 0};

	MHD_get_connection_values(req->conn, MHD_COOKIE_KIND, scan_cookie, &t);
	if (t.n == 0)
		return false;
	/* With two open requests it is not ours to pick one: the none page says to start again
	 * from the client's site. */
	snprintf(out, cap, t.n == 1 ? "/emrex?r=%s" : "/emrex", t.tag);
	return true;
}

void route_emrex_request(struct http_request *req, struct http_response *res)
{
	char token[PORTAL_TOKEN_SIZE], tag[EMREX_TAG_LEN + 1];
	struct ok_error err;
	struct form f;

	if (!read_form(req, res, &f))
		return;
	ok_error_clear(&err);
	if (portal_emrex_open(req->dep, f.session_id, f.return_url, token, &err)) {
		/* No answer goes to a returnUrl we did not accept: the learner sees why. */
		const char *lang = http_lang(req);
		message_page(req, res, ok_http_status(err.code), render_text(lang, "emrex.bad"),
		             err.message, "emrex-bad");
		form_release(&f);
		return;
	}
	form_release(&f);
	http_text(res, 303, "text/plain; charset=utf-8", "", 0);
	emrex_tag(token, tag);
	http_header(res, "Location", "/emrex?r=%s", tag);
	http_header(res, "Cache-Control", "no-store");
	set_emrex_cookie(req, res, tag, token);
	sodium_memzero(token, sizeof(token));
}

/* The learner's results as fieldsets of checkboxes, one per institution. */
static int result_groups(const json_t *doc, const char *lang, struct buf *b)
{
	const json_t *groups = json_object_get(doc, "institutions"), *g, *a;
	size_t i, j;
	int rc = 0;

	json_array_foreach(groups, i, g)
	{
		rc = buf_addstr(b, "<fieldset class=\"emrex-group\"><legend>") ||
		     render_html_escape(b, json_string_value(json_object_get(g, "name"))) ||
		     buf_addstr(b, "</legend>");
		json_array_foreach(json_object_get(g, "achievements"), j, a)
		{
			const char *id = json_string_value(json_object_get(a, "id"));
			const char *status = json_string_value(json_object_get(a, "status"));
			const char *date = json_string_value(json_object_get(a, "awarded_on"));
			char when[64];

			/* Revoked and suspended results are not the learner's to send. */
			if (rc || !id || !status || strcmp(status, "active") != 0)
				continue;
			render_date_text(date ? date : "", lang, when, sizeof(when));
			/* Unticked: the learner chooses what leaves (E3 of the s7 review). */
			rc = buf_addstr(b, "<label class=\"emrex-item\"><input type=\"checkbox\" "
			                   "name=\"a\" value=\"") ||
			     render_html_escape(b, id) || buf_addstr(b, "\"> <span>") ||
			     render_html_escape(b,
			                        json_string_value(json_object_get(a, "title"))) ||
			     buf_addstr(b, "</span> <small>") || render_html_escape(b, when) ||
			     buf_addstr(b, "</small></label>");
		}
		rc = rc || buf_addstr(b, "</fieldset>");
		if (rc)
			break;
	}
	return rc;
}

void route_emrex_page(struct http_request *req, struct http_response *res)
{
	const char *lang = http_lang(req), *tag = http_query(req, "r");
	const char *token = emrex_cookie(req, tag);
	char learner_id[STORE_ID_MAX + 1], csrf[PORTAL_TOKEN_SIZE], client[256], refresh[128];
	struct store_emrex_session e;
	struct ok_error err;
	json_t *doc = NULL;
	struct buf groups;

	ok_error_clear(&err);
	if (!token || portal_emrex_pending(req->dep, token, &e, &err)) {
		message_page(req, res, token ? ok_http_status(err.code) : 404,
		             render_text(lang, "emrex.none.title"), render_text(lang, "emrex.none"),
		             "emrex-none");
		/* A cookie of a request that is gone leads nowhere (a login would come back here).
		 */
		if (token)
			set_emrex_cookie(req, res, tag, NULL);
		return;
	}
	host_of(e.url, client, sizeof(client));
	if (!http_session_page(req, learner_id, csrf)) {
		/* The browser came from the client's site, so the SameSite=Strict session cookie
		 * stayed behind: one same-site step (the refresh) brings it, if there is one. */
		bool checked = http_query(req, "checked") != NULL;
		const struct render_var vars[] = {
		        {"refresh", checked ? "" : refresh, true},
		        {"client", client, false},
		        {"r", tag, false},
		};
		/* tag is EMREX_TAG_LEN hex digits (emrex_cookie checked it). */
		snprintf(refresh, sizeof(refresh),
		         "<meta http-equiv=\"refresh\" content=\"0; "
		         "url=/emrex?r=%s&amp;checked=1\">",
		         tag);
		web_page(req, res, 200, "emrex_signin.html", "emrex.title", vars, 3);
		http_header(res, "Cache-Control", "no-store");
		return;
	}
	if (portal_achievements(req->dep, learner_id, &doc, &err)) {
		http_problem_from_error(res, &err);
		return;
	}
	buf_init(&groups, (size_t)4 << 20);
	if (result_groups(doc, lang, &groups)) {
		http_problem(res, 500, "internal", "Internal error", "the page could not be made");
	} else {
		const struct render_var vars[] = {
		        {"client", client, false},
		        {"csrf", csrf, false},
		        {"r", tag, false},
		        {"groups", groups.data, true},
		        {"empty", groups.len ? "" : render_text(lang, "emrex.empty"), false},
		};
		web_page(req, res, 200, "emrex_choose.html", "emrex.title", vars, 5);
		http_header(res, "Cache-Control", "no-store");
	}
	buf_release(&groups);
	json_decref(doc);
	sodium_memzero(csrf, sizeof(csrf));
}

void route_emrex_answer(struct http_request *req, struct http_response *res)
{
	const char *lang = http_lang(req), *token, *session = NULL;
	char learner_id[STORE_ID_MAX + 1];
	struct portal_emrex_answer a;
	struct ok_error err;
	struct buf fields;
	struct form f;
	bool cancel;

	if (!read_form(req, res, &f))
		return;
	/* The answer goes to the request the page showed (its r field), whatever other requests
	 * this browser has open. */
	token = emrex_cookie(req, f.request);
	cancel = f.action && strcmp(f.action, "cancel") == 0;
	/* Sending reads the learner's records: their session and the page's CSRF token. A
	 * cancel sends nothing, and the emrex cookie (SameSite=Lax: no other site's POST brings
	 * it) is enough for it, signed in or not. */
	if (!http_session_form(req, f.csrf, learner_id, &session) && !cancel) {
		form_release(&f);
		http_signin_page(req, res, 401);
		return;
	}
	if (!session)
		learner_id[0] = '\0';
	portal_emrex_answer_init(&a);
	ok_error_clear(&err);
	if (!token ||
	    portal_emrex_answer(req->dep, token, learner_id, (const char *const *)f.chosen,
	                        cancel ? 0 : f.n_chosen, cancel, &a, &err)) {
		message_page(req, res, token ? ok_http_status(err.code) : 404,
		             render_text(lang, "emrex.none.title"), render_text(lang, "emrex.none"),
		             "emrex-none");
		if (token)
			set_emrex_cookie(req, res, f.request, NULL);
		goto out;
	}
	buf_init(&fields, PORTAL_EMREX_B64_MAX + 4096);
	if (hidden(&fields, "sessionId", a.session_id) || hidden(&fields, "returnCode", a.code) ||
	    hidden(&fields, "returnMessage", a.message) || hidden(&fields, "elmo", a.elmo.data))
		http_problem(res, 500, "internal", "Internal error", "the page could not be made");
	else
		post_page(req, res, a.return_url, fields.data,
		          render_text(lang, strcmp(a.code, "NCP_OK") == 0 ? "emrex.sending"
		                                                          : "emrex.returning"));
	set_emrex_cookie(req, res, f.request, NULL);
	buf_release(&fields);
out:
	portal_emrex_answer_release(&a);
	form_release(&f);
}

/* The client's side */

struct ncp_list {
	struct buf *b;
	const char *csrf;
	int rc;
};

static int list_ncp(void *ctx, const struct store_emrex_ncp *n)
{
	struct ncp_list *l = ctx;

	l->rc = buf_addstr(l->b, "<li><form method=\"post\" action=\"/learner/emrex/fetch\" "
	                         "class=\"emrex-ncp\">") ||
	        hidden(l->b, "csrf", l->csrf) || hidden(l->b, "ncp", n->acronym) ||
	        buf_addstr(l->b, "<button type=\"submit\" id=\"emrex-ncp-") ||
	        render_html_escape(l->b, n->acronym) || buf_addstr(l->b, "\">") ||
	        render_html_escape(l->b, n->acronym) || buf_addf(l->b, " (%s)", n->country) ||
	        buf_addstr(l->b, "</button></form></li>");
	return l->rc;
}

void route_learner_emrex_page(struct http_request *req, struct http_response *res)
{
	const char *lang = http_lang(req);
	char learner_id[STORE_ID_MAX + 1], csrf[PORTAL_TOKEN_SIZE];
	struct ok_error err;
	struct buf list;
	struct ncp_list l;

	if (!http_session_page(req, learner_id, csrf)) {
		http_signin_page(req, res, 401);
		return;
	}
	buf_init(&list, (size_t)1 << 20);
	l.b = &list;
	l.csrf = csrf;
	l.rc = 0;
	ok_error_clear(&err);
	if (buf_addstr(&list, "<ul class=\"emrex-ncps\">") ||
	    registry_emrex_list(req->dep, list_ncp, &l, &err) || buf_addstr(&list, "</ul>")) {
		if (!err.code)
			ok_fail(&err, OK_ENOMEM, "the page could not be made");
		http_problem_from_error(res, &err);
	} else {
		const struct render_var vars[] = {
		        {"list", list.len > 30 ? list.data : "", true},
		        {"empty", list.len > 30 ? "" : render_text(lang, "emrex.fetch.none"),
		         false},
		};
		web_page(req, res, 200, "learner_emrex.html", "emrex.fetch.title", vars, 2);
		http_header(res, "Cache-Control", "no-store");
	}
	buf_release(&list);
	sodium_memzero(csrf, sizeof(csrf));
}

void route_learner_emrex_fetch(struct http_request *req, struct http_response *res)
{
	const char *lang = http_lang(req), *session;
	char learner_id[STORE_ID_MAX + 1], return_url[DEPOSITORY_HOST_MAX + 64];
	struct portal_emrex_start s;
	struct ok_error err;
	struct buf fields;
	struct form f;

	if (!read_form(req, res, &f))
		return;
	if (!http_session_form(req, f.csrf, learner_id, &session)) {
		form_release(&f);
		http_signin_page(req, res, 401);
		return;
	}
	ok_error_clear(&err);
	if (snprintf(return_url, sizeof(return_url), "%s/learner/emrex/return",
	             req->dep->base_url) >= (int)sizeof(return_url) ||
	    portal_emrex_client_start(req->dep, learner_id, session, f.ncp, &s, &err)) {
		if (!err.code)
			ok_fail(&err, OK_EINTERNAL, "base_url is too long");
		http_problem_from_error(res, &err);
		form_release(&f);
		return;
	}
	buf_init(&fields, 8192);
	if (hidden(&fields, "sessionId", s.session_id) || hidden(&fields, "returnUrl", return_url))
		http_problem(res, 500, "internal", "Internal error", "the page could not be made");
	else
		post_page(req, res, s.url, fields.data, render_text(lang, "emrex.going"));
	buf_release(&fields);
	sodium_memzero(&s, sizeof(s));
	form_release(&f);
}

void route_learner_emrex_return(struct http_request *req, struct http_response *res)
{
	const char *lang = http_lang(req);
	struct portal_emrex_outcome out;
	struct portal_emrex_return in;
	struct ok_error err;
	char text[PORTAL_EMREX_MSG_MAX + 512];
	struct form f;
	int rc;

	if (!read_form(req, res, &f))
		return;
	in.session_id = f.session_id;
	in.code = f.code;
	in.message = f.message;
	in.elmo = f.elmo;
	in.elmo_len = f.elmo_len;
	ok_error_clear(&err);
	rc = portal_emrex_client_return(req->dep, &in, &out, &err);
	if (rc) {
		/* The reason, as the checks put it (names of fields and checks, never values). */
		snprintf(text, sizeof(text), "%s %s", render_text(lang, "emrex.refused"),
		         err.message);
		message_page(req, res, ok_http_status(rc), render_text(lang, "emrex.refused.title"),
		             text, "emrex-refused");
	} else if (strcmp(out.code, "NCP_OK") == 0) {
		snprintf(text, sizeof(text), "%s %s: %zu. %s: %zu.", out.ncp,
		         render_text(lang, "emrex.added"), out.imported.added,
		         render_text(lang, "emrex.held"), out.imported.duplicates);
		message_page(req, res, 200, render_text(lang, "emrex.done.title"), text,
		             "emrex-imported");
	} else {
		snprintf(text, sizeof(text), "%s (%s) %s",
		         render_text(lang, strcmp(out.code, "NCP_CANCEL") == 0 ? "emrex.cancelled"
		                           : strcmp(out.code, "NCP_NO_RESULTS") == 0
		                                   ? "emrex.noresults"
		                                   : "emrex.ncperror"),
		         out.code, out.message);
		message_page(req, res, 200, render_text(lang, "emrex.done.title"), text,
		             "emrex-nothing");
	}
	http_header(res, "Cache-Control", "no-store");
	form_release(&f);
}
