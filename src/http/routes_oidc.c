/* Learners signing in with an OpenID provider over HTTP: the sign-in page listing the
 * configured providers, the start of a sign-in (a redirect to the provider, with the sealed flow
 * in a cookie scoped to /signin) and the callback (a session, or a page saying why not). The
 * flow itself is portal/oidc_signin.h's. */
#include "http/internal.h"
#include "http/session.h"
#include "http/web.h"

#include "core/format.h"
#include "oid4vp/signin.h"
#include "portal/oidc_signin.h"
#include "render/template.h"

#include <microhttpd.h>
#include <sodium.h>
#include <string.h>

/* The flow's cookie. Over TLS "__Host-oorkonde_oidc_ID" with Path=/ and Secure: no other host,
 * no sibling domain and no plain-HTTP answer can set it, so nobody can plant a flow of their own
 * in a learner's browser (login CSRF); the provider's id in the name keeps two flows apart.
 * Without TLS (a test, a demo on loopback) "oorkonde_oidc" on Path=/signin/ID. */
#define FLOW_COOKIE        "oorkonde_oidc"
#define FLOW_COOKIE_SECURE "__Host-oorkonde_oidc_"
/* Which provider signed the browser's session in (its id: no secret), for the logout there. */
#define IDP_COOKIE        "oorkonde_idp"
#define IDP_COOKIE_SECURE "__Host-oorkonde_idp"
#define HSTS              "max-age=31536000"

static bool over_tls(struct http_request *req)
{
	return http_secure(req);
}

/* "NAME=" and the attributes' path of p's flow cookie. */
static void flow_cookie(struct http_request *req, const struct oidc_provider *p, char name[64],
                        char path[64])
{
	bool tls = over_tls(req);

	if (ok_format(name, 64, "%s%s", tls ? FLOW_COOKIE_SECURE : FLOW_COOKIE, tls ? p->id : "") ||
	    ok_format(path, 64, "%s%s", tls ? "/" : "/signin/", tls ? "" : p->id))
		name[0] = path[0] = '\0';
}

void http_signin_page(struct http_request *req, struct http_response *res, unsigned status)
{
	struct oidc_rp *rp = http_oidc(req->srv);
	const char *lang = http_lang(req);
	struct buf list;
	size_t i;
	int rc = 0;

	buf_init(&list, 16384);
	if (rp->n) {
		rc = buf_addf(&list, "<p>%s</p><ul class=\"providers\">",
		              render_text(lang, "signin.choose"));
		for (i = 0; !rc && i < rp->n; i++)
			rc = buf_addf(&list,
			              "<li><a class=\"button\" id=\"signin-%s\" "
			              "href=\"/signin/%s\">",
			              rp->providers[i].id, rp->providers[i].id) ||
			     render_html_escape(&list, rp->providers[i].name) ||
			     buf_addstr(&list, "</a></li>");
		rc = rc || buf_addstr(&list, "</ul>");
	}
	/* Signing in with a wallet's PID (routes_wallet_signin.c), where configured. */
	if (!rc && http_wallet_signin(req->srv)->on)
		rc = buf_addf(
		        &list,
		        "<section class=\"stack\" id=\"signin-wallet\"><p>%s</p>"
		        "<form method=\"post\" action=\"/signin/wallet\">"
		        "<input type=\"hidden\" name=\"device\" value=\"same\">"
		        "<button class=\"button\" id=\"signin-wallet-same\">%s</button></form>"
		        "%s%s%s</section>",
		        render_text(lang, "wallet.intro"), render_text(lang, "wallet.same"),
		        /* Another device only where the operator accepts its relay risk. */
		        http_wallet_signin(req->srv)->cross_device
		                ? "<form method=\"post\" action=\"/signin/wallet\">"
		                  "<input type=\"hidden\" name=\"device\" value=\"cross\">"
		                  "<button class=\"button\" id=\"signin-wallet-cross\">"
		                : "",
		        http_wallet_signin(req->srv)->cross_device
		                ? render_text(lang, "wallet.cross")
		                : "",
		        http_wallet_signin(req->srv)->cross_device ? "</button></form>" : "");
	{
		const struct render_var vars[] = {
		        {"providers", rc ? "" : list.data, true},
		        {"how",
		         req->dep && req->dep->allow_login_links ? render_text(lang, "signin.how")
		                                                 : "",
		         false},
		};
		web_page(req, res, status, "signin.html", "signin.title", vars, 2);
	}
	buf_release(&list);
}

void route_signin_page(struct http_request *req, struct http_response *res)
{
	char learner_id[STORE_ID_MAX + 1];

	if (http_session_learner(req, learner_id)) {
		http_text(res, 303, "text/plain; charset=utf-8", "", 0);
		http_header(res, "Location", "/learner");
		return;
	}
	http_signin_page(req, res, 200);
}

/* A page saying why a sign-in did not go through: status, the texts of key's title and body. */
static void refused(struct http_request *req, struct http_response *res, int rc)
{
	const char *lang = http_lang(req);
	const char *key = rc == OK_EBUSY       ? "oidc.unavailable"
	                  : rc == OK_ENOTFOUND ? "oidc.unknown"
	                                       : "oidc.failed";
	char title[64];
	unsigned status = rc == OK_EBUSY ? 503 : rc == OK_ENOTFOUND ? 403 : 400;

	if (ok_format(title, sizeof(title), "%s.title", key))
		title[0] = '\0';
	{
		const struct render_var vars[] = {
		        {"heading", render_text(lang, title), false},
		        {"text", render_text(lang, key), false},
		};
		web_page(req, res, status, "oidc_refused.html", title, vars, 2);
	}
}

static int redirect_uri(struct http_request *req, const struct oidc_provider *p, struct buf *out)
{
	return buf_addf(out, "%s/signin/%s/callback", req->dep->base_url, p->id);
}

void route_signin_start(struct http_request *req, struct http_response *res)
{
	struct oidc_provider *p = oidc_rp_find(http_oidc(req->srv), req->params.params[0]);
	char cookie[PORTAL_OIDC_COOKIE_SIZE];
	struct buf uri, location;
	struct ok_error err;
	int rc;

	if (!p) {
		http_problem(res, 404, "not-found", "Not found", "no such identity provider");
		return;
	}
	buf_init(&uri, OIDC_URL_MAX);
	buf_init(&location, sizeof(res->headers[0].value) - 1);
	ok_error_clear(&err);
	rc = redirect_uri(req, p, &uri) ? ok_fail(&err, OK_ETOOBIG, "base_url too long") : 0;
	if (!rc)
		rc = portal_oidc_start(req->dep, http_oidc(req->srv), p, uri.data, &location,
		                       cookie, &err);
	if (rc) {
		refused(req, res,
		        rc == OK_EBUSY || rc == OK_EINPUT || rc == OK_EAUTH ? OK_EBUSY : rc);
	} else {
		http_text(res, 303, "text/plain; charset=utf-8", "", 0);
		http_header(res, "Location", "%s", location.data);
		/* Lax: the provider sends the browser back with a top-level GET from its site. */
		char name[64], path[64];
		flow_cookie(req, p, name, path);
		http_header(res, "Set-Cookie",
		            "%s=%s; Path=%s; HttpOnly; SameSite=Lax; Max-Age=%d%s", name, cookie,
		            path, PORTAL_OIDC_FLOW_S, over_tls(req) ? "; Secure" : "");
	}
	if (over_tls(req))
		http_header(res, "Strict-Transport-Security", HSTS);
	http_header(res, "Cache-Control", "no-store");
	sodium_memzero(cookie, sizeof(cookie));
	buf_release(&uri);
	buf_release(&location);
}

void http_signin_done_page(struct http_request *req, struct http_response *res)
{
	char next[64];
	struct render_var vars[1];

	/* A page of our own, not a redirect: the answer ends a navigation that began at the
	 * provider's site or in the wallet, and a browser sends the SameSite=Strict session
	 * cookie only on a navigation that starts here. A learner who came to send results to an
	 * EMREX client goes back to choosing them. */
	if (!http_emrex_return_path(req, next, sizeof(next)))
		snprintf(next, sizeof(next), "/learner");
	vars[0] = (struct render_var){"next", next, false};
	web_page(req, res, 200, "oidc_done.html", "oidc.done.title", vars, 1);
}

void route_signin_callback(struct http_request *req, struct http_response *res)
{
	struct oidc_provider *p = oidc_rp_find(http_oidc(req->srv), req->params.params[0]);
	const char *cookie;
	char name[64], path[64];
	struct portal_session s;
	struct ok_error err;
	struct buf uri;
	int rc;

	if (!p) {
		http_problem(res, 404, "not-found", "Not found", "no such identity provider");
		return;
	}
	flow_cookie(req, p, name, path);
	/* Over TLS only the __Host- name is taken: another could have been planted. */
	cookie = name[0] ? MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND, name) : NULL;
	buf_init(&uri, OIDC_URL_MAX);
	ok_error_clear(&err);
	/* With "error" (the learner cancelled, or the provider would not sign them in) there is
	 * no code: refused and audited as such. */
	rc = redirect_uri(req, p, &uri) ? ok_fail(&err, OK_ETOOBIG, "base_url too long") : 0;
	if (!rc)
		rc = portal_oidc_finish(req->dep, http_oidc(req->srv), p, cookie,
		                        http_query(req, "state"), http_query(req, "code"), uri.data,
		                        &s, &err);
	buf_release(&uri);
	if (rc) {
		refused(req, res, rc);
	} else {
		/* The browser's earlier session is ended where its cookie comes along (a callback
		 * is a cross-site navigation, which does not carry the SameSite=Strict cookie: then
		 * the earlier session is only replaced in the browser and ends by its timeouts). */
		http_session_end_current(req);
		http_signin_done_page(req, res);
		http_session_cookie(req, res, s.token);
		http_header(res, "Set-Cookie", "%s=%s; Path=/; HttpOnly; SameSite=Strict%s",
		            over_tls(req) ? IDP_COOKIE_SECURE : IDP_COOKIE, p->id,
		            over_tls(req) ? "; Secure" : "");
		sodium_memzero(&s, sizeof(s));
	}
	/* The flow is over either way: its cookie goes. */
	http_header(res, "Set-Cookie", "%s=; Path=%s; HttpOnly; SameSite=Lax; Max-Age=0%s", name,
	            path, over_tls(req) ? "; Secure" : "");
	if (over_tls(req))
		http_header(res, "Strict-Transport-Security", HSTS);
	http_header(res, "Cache-Control", "no-store");
}

bool http_oidc_logout(struct http_request *req, struct http_response *res)
{
	const char *id = MHD_lookup_connection_value(
	        req->conn, MHD_COOKIE_KIND, over_tls(req) ? IDP_COOKIE_SECURE : IDP_COOKIE);
	struct oidc_provider *p = oidc_rp_find(http_oidc(req->srv), id);
	struct oidc_metadata m;
	struct buf url;
	bool done = false;

	if (!p || oidc_provider_metadata(http_oidc(req->srv), p, &m, NULL) != 0 ||
	    !m.end_session_endpoint[0])
		return false;
	/* RP-initiated logout 1.0: the learner's browser goes on to the provider, which ends its
	 * own session there and sends them back to the home page. */
	buf_init(&url, 4096);
	if (!buf_addf(&url, "%s%cclient_id=", m.end_session_endpoint,
	              strchr(m.end_session_endpoint, '?') ? '&' : '?') &&
	    !oidc_form_escape(&url, p->client_id) &&
	    !buf_addstr(&url, "&post_logout_redirect_uri=") &&
	    !oidc_form_escape(&url, req->dep->base_url) && !buf_addch(&url, '/')) {
		http_json(res, 200, json_pack("{s:s}", "logout_url", url.data));
		http_header(res, "Set-Cookie",
		            "%s=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0%s",
		            over_tls(req) ? IDP_COOKIE_SECURE : IDP_COOKIE,
		            over_tls(req) ? "; Secure" : "");
		done = true;
	}
	buf_release(&url);
	return done;
}
