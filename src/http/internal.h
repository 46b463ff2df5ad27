/* What the server's parts share: the request and response of one exchange, the route table,
 * and the helpers handlers answer with. Only http/ includes this. */
#ifndef OK_HTTP_INTERNAL_H
#define OK_HTTP_INTERNAL_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "core/buf.h"
#include "http/router.h"
#include "http/server.h"
#include "audit/actor.h"
#include "depository/depository.h"
#include "store/store.h"

struct MHD_Connection;
struct http_server;

#define HTTP_MAX_EXTRA_HEADERS 16

struct http_response {
	unsigned status;
	const char *content_type; /* static string */
	struct buf body;
	bool close; /* close the connection after this answer */
	size_t nheaders;
	struct {
		const char *name; /* static string */
		char value[1024]; /* room for an authorization request's Location */
	} headers[HTTP_MAX_EXTRA_HEADERS];
};

struct http_request {
	struct http_server *srv;
	struct MHD_Connection *conn;
	const char *method;
	const char *path;
	struct buf body;
	bool body_too_large;
	struct router_match params;
	struct depository *dep;   /* borrowed from the pool for the request, or NULL */
	struct store_api_key key; /* the caller's key, when authenticated */
	bool authenticated;
	/* A learner's session (ROUTE_LEARNER; http/session.h): their id, the session's id, and
	 * the session token from the cookie (for the CSRF token). Empty / NULL otherwise. */
	char learner_id[STORE_ID_MAX + 1];
	char session_id[STORE_ID_MAX + 1];
	const char *session_token;
	char client[64]; /* client address, for rate limiting only */
};

enum route_flags {
	ROUTE_PUBLIC = 1,    /* no key needed; rate-limited per client */
	ROUTE_REGISTRAR = 2, /* a key is required */
	ROUTE_NO_STORE = 4,  /* needs no depository from the pool */
	ROUTE_BODY_CSV = 8,  /* accepts text/csv bodies up to csv_max */
	ROUTE_LEARNER = 16,  /* a learner's session is required (and X-CSRF-Token to change) */
	/* also takes application/x-www-form-urlencoded (a page's own form, or an EMREX one) */
	ROUTE_BODY_FORM = 32,
	/* takes no body: an empty POST needs no media type (OpenID4VCI's nonce endpoint) */
	ROUTE_BODY_NONE = 64,
	/* an EMREX answer: a form body up to PORTAL_EMREX_B64_MAX + 64 KiB, not json_max */
	ROUTE_BODY_EMREX = 128,
	/* an anonymous request the depository speaks for to a wallet (the verifier's page): its
	 * own, much lower limit per client address (http.verifier_requests_per_minute_per_address)
	 */
	ROUTE_ANON_VERIFIER = 256,
	/* reads only: the request's reads share one snapshot of the store (store_read_begin),
	 * one read lock for all of them */
	ROUTE_READ_SNAPSHOT = 512,
};

typedef void (*http_handler)(struct http_request *req, struct http_response *res);

struct http_route {
	struct router_entry entry;
	const char *name; /* the route template, for logs and metrics */
	unsigned flags;
	http_handler handler;
};

extern const struct http_route http_routes[];
extern const size_t http_route_count;

/* Answers with a JSON document (takes ownership of doc). */
void http_json(struct http_response *res, unsigned status, json_t *doc);
/* Answers with RFC 9457 problem+json: type "/problems/<slug>", title, detail. */
void http_problem(struct http_response *res, unsigned status, const char *slug, const char *title,
                  const char *detail_fmt, ...) __attribute__((format(printf, 5, 6)));
/* Maps an OK_E… code to a status and answers with err's message as detail. */
void http_problem_from_error(struct http_response *res, const struct ok_error *err);
/* Adds a response header (name must be a static string). */
void http_header(struct http_response *res, const char *name, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* Answers with text of a content type (copies). */
void http_text(struct http_response *res, unsigned status, const char *content_type,
               const char *text, size_t len);

/* The first allocation of a request's body buffer for an announced body: the bytes to ask
 * buf_grow for, so that it allocates the body and its NUL at once, at most 64 KiB. */
size_t http_body_first_grow(unsigned long long announced);

/* Request access */
const char *http_query(struct http_request *req, const char *name);
const char *http_request_header(struct http_request *req, const char *name);
/* Parses the body as JSON (duplicate keys and NUL bytes rejected); answers 400 itself and
 * returns NULL on failure. */
json_t *http_body_json(struct http_request *req, struct http_response *res);
/* The 400 invalid-json answer for a body holding a NUL byte at offset at (line and column). */
void http_problem_nul_byte(struct http_response *res, const char *body, size_t at);

/* Whether the caller's key has a permission ("register", "read", "vc-issue", "export"). */
bool http_key_permits(const struct store_api_key *k, const char *perm);
/* Checks the request's API key (Authorization: Bearer) as a ROUTE_REGISTRAR route does, for a
 * route that takes a key only sometimes; false when res already holds the answer (401/403). */
bool http_authenticate(struct http_request *req, struct http_response *res);
/* Takes one from the client address's anonymous verifier requests (ROUTE_ANON_VERIFIER's
 * limit), for a route that is anonymous only sometimes; true when res holds the 429. */
bool http_anon_verifier_limited(struct http_request *req, struct http_response *res);
/* Takes one from the client address's wallet sign-in starts (http.
 * wallet_signins_per_minute_per_address); true when res holds the 429. */
bool http_wallet_signin_limited(struct http_request *req, struct http_response *res);
/* How many wallet sign-ins one address may have open at once (http.
 * wallet_signins_open_per_address); 0: no bound (also under --rate-limit 0). */
unsigned http_wallet_signin_open_max(struct http_server *s);
/* And from one network, an IPv4 /24 or IPv6 /48 (http.wallet_signins_open_per_network); 0: no
 * bound (also under --rate-limit 0). */
unsigned http_wallet_signin_open_network_max(struct http_server *s);

/* Whether the server is shutting down (for import_options.should_stop; takes the server). */
bool http_server_stopping(void *server);

/* The server's cache of other depositories' status lists. */
struct remote_status_cache *http_status_cache(struct http_server *s);
/* The server's OpenID providers (config.json "oidc"; remote/oidc.h). */
struct oidc_rp *http_oidc(struct http_server *s);
/* The wallet sign-in's configuration (oid4vp/signin.h), read at start. */
struct oid4vp_signin *http_wallet_signin(struct http_server *s);
/* The sign-in page (status 200, or 401 where a session was needed): the providers to sign in
 * with, and the login-link text when links are allowed (routes_oidc.c). */
void http_signin_page(struct http_request *req, struct http_response *res, unsigned status);
/* When the browser's session came from a provider that offers RP-initiated logout: answers
 * 200 {"logout_url"} (where the page sends the browser next) and returns true; else false and
 * answers nothing. */
bool http_oidc_logout(struct http_request *req, struct http_response *res);

/* The server's cache of other depositories' DID documents. */
struct remote_did_cache *http_did_cache(struct http_server *s);

/* Reads a VC-API options.checks (an array of check names) into a mask; answers 400 itself. */
bool http_read_checks(const json_t *options, unsigned *mask, struct http_response *res);

/* Counters the handlers feed (credentials issued and verified). */
void http_count_issued(struct http_server *s);
void http_count_verified(struct http_server *s, bool valid);
/* Counts a key blocked by leak detection (oorkonde_keys_blocked_total). */
void http_count_key_blocked(struct http_server *s);

/* Handlers */
void route_healthz(struct http_request *req, struct http_response *res);
void route_metrics(struct http_request *req, struct http_response *res);
void route_openapi(struct http_request *req, struct http_response *res);
void route_results_post(struct http_request *req, struct http_response *res);
void route_achievements_query(struct http_request *req, struct http_response *res);
void route_achievement_get(struct http_request *req, struct http_response *res);
void route_achievement_patch(struct http_request *req, struct http_response *res);
void route_achievement_credential(struct http_request *req, struct http_response *res);
void route_vc_issue(struct http_request *req, struct http_response *res);
void route_vc_status(struct http_request *req, struct http_response *res);
void route_vc_verify(struct http_request *req, struct http_response *res);
/* OpenID4VCI (routes_oid4vci.c) */
void route_vci_issuer_metadata(struct http_request *req, struct http_response *res);
void route_vci_as_metadata(struct http_request *req, struct http_response *res);
void route_vci_offer(struct http_request *req, struct http_response *res);
void route_vci_token(struct http_request *req, struct http_response *res);
void route_vci_nonce(struct http_request *req, struct http_response *res);
void route_vci_credential(struct http_request *req, struct http_response *res);
void route_me_wallet_offer(struct http_request *req, struct http_response *res);
void route_me_wallet(struct http_request *req, struct http_response *res);
/* POST /presentations/verify (routes_presentation.c) */
void route_vp_verify(struct http_request *req, struct http_response *res);
void route_did_document(struct http_request *req, struct http_response *res);
void route_achievement_status(struct http_request *req, struct http_response *res);
void route_status_list(struct http_request *req, struct http_response *res);
void route_token_status_list(struct http_request *req, struct http_response *res);
void route_vct(struct http_request *req, struct http_response *res);
void route_context(struct http_request *req, struct http_response *res);
/* A learner's identity (routes_learner.c) */
void route_learner_patch(struct http_request *req, struct http_response *res);
/*
 * For a registrar's route on /v1/learners/{id}…: the learner of the path when the key belongs to
 * an institution with a record for them. Else answers exactly as for an unknown id (404, the
 * same body) and returns NULL: a record registered elsewhere opens nothing to this key.
 */
const char *http_registrar_learner(struct http_request *req, struct http_response *res);
/* The learner portal (routes_portal.c) */
void route_login_page(struct http_request *req, struct http_response *res);
void route_login(struct http_request *req, struct http_response *res);
void route_logout(struct http_request *req, struct http_response *res);
void route_me(struct http_request *req, struct http_response *res);
void route_me_achievements(struct http_request *req, struct http_response *res);
void route_me_credential(struct http_request *req, struct http_response *res);
void route_me_shares(struct http_request *req, struct http_response *res);
void route_me_share_create(struct http_request *req, struct http_response *res);
void route_me_share_revoke(struct http_request *req, struct http_response *res);
void route_me_views(struct http_request *req, struct http_response *res);
/* Signing in with an OpenID provider (routes_oidc.c) */
void route_signin_page(struct http_request *req, struct http_response *res);
void route_signin_start(struct http_request *req, struct http_response *res);
void route_signin_callback(struct http_request *req, struct http_response *res);
void route_wallet_signin_start(struct http_request *req, struct http_response *res);
void route_wallet_signin_wait(struct http_request *req, struct http_response *res);
void route_wallet_signin_status(struct http_request *req, struct http_response *res);
void route_wallet_signin_done(struct http_request *req, struct http_response *res);
/* The signed-in learner's access report (routes_report.c) */
void route_me_report(struct http_request *req, struct http_response *res);
void route_learner_report_page(struct http_request *req, struct http_response *res);
void route_share(struct http_request *req, struct http_response *res);
void route_share_credentials(struct http_request *req, struct http_response *res);
/* The OpenID4VP verifier (routes_oid4vp.c) */
void route_verifier_request_create(struct http_request *req, struct http_response *res);
void route_web_request_create(struct http_request *req, struct http_response *res);
void route_verifier_request_object(struct http_request *req, struct http_response *res);
void route_verifier_response(struct http_request *req, struct http_response *res);
void route_verifier_result(struct http_request *req, struct http_response *res);
void route_web_request(struct http_request *req, struct http_response *res);
void route_web_request_view(struct http_request *req, struct http_response *res);
/* Foreign achievements (routes_foreign.c) */
void route_learner_import(struct http_request *req, struct http_response *res);
void route_me_import(struct http_request *req, struct http_response *res);
void route_me_foreign(struct http_request *req, struct http_response *res);
/* EMREX, as contact point and as client (routes_emrex.c) */
void route_emrex_request(struct http_request *req, struct http_response *res);
void route_emrex_page(struct http_request *req, struct http_response *res);
void route_emrex_answer(struct http_request *req, struct http_response *res);
void route_learner_emrex_page(struct http_request *req, struct http_response *res);
void route_learner_emrex_fetch(struct http_request *req, struct http_response *res);
void route_learner_emrex_return(struct http_request *req, struct http_response *res);
/* Where a learner who signs in goes back to an EMREX request of this browser (the path, in
 * out); false when there is none. */
bool http_emrex_return_path(struct http_request *req, char *out, size_t cap);
/* The page that ends a sign-in at an OpenID provider or with a wallet (200): it moves on to
 * /learner, or back to an EMREX client's open request (http_emrex_return_path). */
void http_signin_done_page(struct http_request *req, struct http_response *res);

#endif
