/* Learners signing in with their wallet over HTTP (issue 18, item 4): the start (a sign-in
 * request for the PID, its view token in a cookie of this browser), the page with the QR code
 * and the wallet link that polls the request's state, and the end, where the browser that
 * started it gets a session (portal/wallet_signin.h) or a page saying why not. The wallet's own
 * answer goes to the verifier's response URI (routes_oid4vp.c). */
#include "http/internal.h"
#include "http/qr.h"
#include "http/ratelimit.h"
#include "http/session.h"
#include "http/web.h"

#include "core/format.h"
#include "io/form.h"
#include "model/registration.h"
#include "oid4vp/signin.h"
#include "portal/portal.h"
#include "portal/wallet_signin.h"

#include <microhttpd.h>
#include <sodium.h>
#include <string.h>

/* The sign-in's cookie holds the request's view token. Over TLS "__Host-" with Path=/ and
 * Secure, so no other host or plain-HTTP answer can plant one (login CSRF); without TLS (tests,
 * a demo on loopback) on Path=/signin/wallet. Lax: a wallet on the same device sends the
 * browser back with a top-level GET from elsewhere. */
#define COOKIE        "oorkonde_wallet"
#define COOKIE_SECURE "__Host-oorkonde_wallet"
#define COOKIE_PATH   "/signin/wallet"

static const char *cookie_of(struct http_request *req)
{
	return MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND,
	                                   http_secure(req) ? COOKIE_SECURE : COOKIE);
}

static void set_cookie(struct http_request *req, struct http_response *res, const char *value,
                       long max_age)
{
	bool tls = http_secure(req);

	http_header(res, "Set-Cookie", "%s=%s; Path=%s; HttpOnly; SameSite=Lax; Max-Age=%ld%s",
	            tls ? COOKIE_SECURE : COOKIE, value, tls ? "/" : COOKIE_PATH, max_age,
	            tls ? "; Secure" : "");
}

static struct oid4vp_signin *config_of(struct http_request *req, struct http_response *res)
{
	struct oid4vp_signin *c = http_wallet_signin(req->srv);

	if (!c->on) {
		http_problem(res, 404, "not-found", "Not found", "signing in with a wallet is off");
		return NULL;
	}
	return c;
}

/* Whether the request comes from our own pages: where the browser sends Sec-Fetch-Site, it
 * decides (same-origin, or none: typed in); otherwise Origin, where sent, must be the base URL's
 * ("null", which our no-referrer pages make a browser send, only with Sec-Fetch-Site). */
static bool own_origin(struct http_request *req)
{
	const char *site = http_request_header(req, "Sec-Fetch-Site");
	const char *origin = http_request_header(req, "Origin");
	const char *base = req->dep->base_url, *host = strstr(base, "://");
	size_t n = host ? (size_t)(strcspn(host + 3, "/") + (size_t)(host + 3 - base)) : 0;

	if (site)
		return strcmp(site, "same-origin") == 0 || strcmp(site, "none") == 0;
	return !origin || (n && strlen(origin) == n && strncmp(origin, base, n) == 0);
}

struct device_form {
	bool same;
	bool bad;
};

static int device_field(void *ctx, const char *name, const char *value, size_t len)
{
	struct device_form *f = ctx;

	if (strcmp(name, "device") != 0)
		return 0;
	if (len == 4 && memcmp(value, "same", 4) == 0)
		f->same = true;
	else if (!(len == 5 && memcmp(value, "cross", 5) == 0))
		f->bad = true;
	return 0;
}

/* A page saying why the sign-in did not go through, with the reason (which names claims and
 * checks, never a value). */
static void refused(struct http_request *req, struct http_response *res, int rc,
                    const struct ok_error *err)
{
	const char *lang = http_lang(req);
	bool unknown = rc == OK_ENOTFOUND && strstr(err->message, "no records");
	const char *key = unknown ? "oidc.unknown" : "wallet.failed";
	char title[64];
	struct buf text;

	if (ok_format(title, sizeof(title), "%s.title", key))
		title[0] = '\0';
	buf_init(&text, 2048);
	if (buf_addstr(&text, render_text(lang, key)) ||
	    (!unknown && err->message[0] && buf_addf(&text, " (%s)", err->message)))
		buf_reset(&text);
	{
		const struct render_var vars[] = {
		        {"heading", render_text(lang, title), false},
		        {"text", text.data ? text.data : "", false},
		};
		web_page(req, res, unknown ? 403 : 400, "oidc_refused.html", title, vars, 2);
	}
	buf_release(&text);
}

/* POST /signin/wallet (form device=same|cross): a new sign-in request, then its page. */
void route_wallet_signin_start(struct http_request *req, struct http_response *res)
{
	struct oid4vp_signin *c = config_of(req, res);
	struct device_form f = {0};
	struct oid4vp_signin_bound bound = {0};
	struct oid4vp_created made;
	struct ok_error err;
	char network[64];

	if (!c)
		return;
	ok_error_clear(&err);
	/* Same origin only (review VP-6): another site's form must not start or replace a
	 * browser's sign-in. */
	if (!own_origin(req)) {
		http_problem(res, 403, "forbidden", "Forbidden",
		             "a wallet sign-in starts from this site's own sign-in page");
		return;
	}
	if (http_wallet_signin_limited(req, res))
		return;
	if (io_form_parse(req->body.data ? req->body.data : "", req->body.len, device_field, &f,
	                  &err) ||
	    f.bad) {
		http_problem(res, 400, "invalid-input", "Invalid input",
		             "device must be \"same\" or \"cross\"");
		return;
	}
	ratelimit_network_key(req->client, network, sizeof(network));
	bound.address = req->client;
	bound.network = network;
	bound.address_max = http_wallet_signin_open_max(req->srv);
	bound.network_max = http_wallet_signin_open_network_max(req->srv);
	if (oid4vp_signin_start(req->dep, c, f.same, &bound, &made, &err)) {
		http_problem_from_error(res, &err);
		return;
	}
	http_text(res, 303, "text/plain; charset=utf-8", "", 0);
	http_header(res, "Location", "/signin/wallet/wait");
	http_header(res, "Cache-Control", "no-store");
	set_cookie(req, res, made.view,
	           req->dep->verifier_request_ttl_s < OID4VP_SIGNIN_TTL_S
	                   ? (long)req->dep->verifier_request_ttl_s
	                   : OID4VP_SIGNIN_TTL_S);
	sodium_memzero(&made, sizeof(made));
}

/* GET /signin/wallet/wait: the QR code and the wallet link; the page polls the state. */
void route_wallet_signin_wait(struct http_request *req, struct http_response *res)
{
	char link[2 * OID4VP_URL_MAX];
	const char *status;
	bool same;
	struct ok_error err;
	struct buf qr;

	if (!config_of(req, res))
		return;
	ok_error_clear(&err);
	if (oid4vp_signin_state(req->dep, cookie_of(req), &status, &same, link, sizeof(link),
	                        &err)) {
		refused(req, res, OK_EGONE, &err);
		return;
	}
	buf_init(&qr, (size_t)256 << 10);
	(void)web_qr_svg(link, &qr, &err);
	{
		const struct render_var vars[] = {
		        {"link", link, false},
		        {"qr",
		         same      ? ""
		         : qr.data ? qr.data
		                   : "",
		         true},
		        {"device", same ? "same" : "cross", false},
		};

		web_page(req, res, 200, "wallet_signin.html", "wallet.title", vars, 3);
	}
	http_header(res, "Cache-Control", "no-store");
	buf_release(&qr);
}

/* GET /signin/wallet/status: {"status": "pending" | "answered" | "expired"} for this browser's
 * sign-in. */
void route_wallet_signin_status(struct http_request *req, struct http_response *res)
{
	char link[2 * OID4VP_URL_MAX];
	const char *status;
	bool same;
	struct ok_error err;

	if (!config_of(req, res))
		return;
	ok_error_clear(&err);
	if (oid4vp_signin_state(req->dep, cookie_of(req), &status, &same, link, sizeof(link),
	                        &err)) {
		http_problem_from_error(res, &err);
		return;
	}
	http_json(res, 200, json_pack("{s:s, s:b}", "status", status, "same_device", same));
	http_header(res, "Cache-Control", "no-store");
}

/* The page that ends a wallet sign-in: whom the wallet signed in (review VP-10: on another
 * device, whoever answers the QR code first decides that), a link on, and "not you? sign out".
 * A page, not a redirect, for the same reason as http_signin_done_page. */
static void done_page(struct http_request *req, struct http_response *res,
                      const struct portal_session *s)
{
	char next[64], csrf[PORTAL_TOKEN_SIZE], who[2 * REG_BYTES(REG_NAME_MAX) + 2];
	struct ok_error err;
	json_t *me = NULL;

	ok_error_clear(&err);
	if (!http_emrex_return_path(req, next, sizeof(next)))
		snprintf(next, sizeof(next), "/learner");
	/* The learner's own name, read as the portal reads it (audited). */
	if (portal_me(req->dep, s->learner_id, &me, &err) != 0 ||
	    ok_format(who, sizeof(who), "%s %s",
	              json_string_value(json_object_get(me, "given_names")),
	              json_string_value(json_object_get(me, "family_name")))) {
		json_decref(me);
		http_signin_done_page(req, res);
		return;
	}
	json_decref(me);
	portal_csrf_token(s->token, csrf);
	{
		const struct render_var vars[] = {
		        {"next", next, false},
		        {"who", who, false},
		        {"csrf", csrf, false},
		};

		web_page(req, res, 200, "wallet_done.html", "oidc.done.title", vars, 3);
	}
	sodium_memzero(who, sizeof(who));
	sodium_memzero(csrf, sizeof(csrf));
}

/* GET /signin/wallet/done: the session, for the browser that started the sign-in. */
void route_wallet_signin_done(struct http_request *req, struct http_response *res)
{
	struct portal_session s;
	struct ok_error err;
	int rc;

	if (!config_of(req, res))
		return;
	ok_error_clear(&err);
	rc = portal_wallet_finish(req->dep, cookie_of(req), http_query(req, "response_code"), &s,
	                          &err);
	if (rc == OK_ECONFLICT) {
		/* Not answered yet: back to the waiting page, the cookie kept. */
		http_text(res, 303, "text/plain; charset=utf-8", "", 0);
		http_header(res, "Location", "/signin/wallet/wait");
		http_header(res, "Cache-Control", "no-store");
		return;
	}
	if (rc == OK_EAUTH) {
		/* A same-device sign-in without its code: nothing was taken, the cookie stays
		 * for the browser the wallet sends back with it. */
		refused(req, res, rc, &err);
		http_header(res, "Cache-Control", "no-store");
		return;
	}
	if (rc) {
		refused(req, res, rc, &err);
	} else {
		http_session_end_current(req);
		done_page(req, res, &s);
		http_session_cookie(req, res, s.token);
		/* No OpenID provider signed this session in: its logout is not the provider's
		 * (review VP-12). */
		http_header(res, "Set-Cookie",
		            "%s=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0%s",
		            http_secure(req) ? "__Host-oorkonde_idp" : "oorkonde_idp",
		            http_secure(req) ? "; Secure" : "");
		sodium_memzero(&s, sizeof(s));
	}
	/* The sign-in is over either way. */
	set_cookie(req, res, "", 0);
	http_header(res, "Cache-Control", "no-store");
}
