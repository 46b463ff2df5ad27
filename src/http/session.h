/* Learners' sessions over HTTP: the session cookie, the check every ROUTE_LEARNER request goes
 * through (a live session; X-CSRF-Token on every state-changing request), and the look-up the
 * pages use. The tokens themselves are portal/portal.h's. */
#ifndef OK_HTTP_SESSION_H
#define OK_HTTP_SESSION_H

#include <stdbool.h>

#include "http/internal.h"
#include "portal/portal.h"

/* The cookie's name; when the cookie is Secure, the __Host- name, which a browser keeps only
 * from a secure origin with Path=/ and no Domain (no other host can plant or shadow it). */
#define HTTP_SESSION_COOKIE        "oorkonde_session"
#define HTTP_SESSION_COOKIE_SECURE "__Host-oorkonde_session"
#define HTTP_CSRF_HEADER           "X-CSRF-Token"

/*
 * For dispatch(): the request's session must be live (else 401) and, for POST, PUT, PATCH and
 * DELETE, carry the session's CSRF token in X-CSRF-Token (else 403). Fills req->learner_id,
 * req->session_id and req->session_token; answers res itself and returns false on failure.
 */
/* Whether req came over TLS, or base_url is https:// (a TLS proxy in front): cookies then carry
 * the __Host- prefix and Secure. */
bool http_secure(struct http_request *req);

bool http_session_require(struct http_request *req, struct http_response *res);

/* For pages: the signed-in learner of the request (the session's activity noted); false when
 * there is no live session. */
bool http_session_learner(struct http_request *req, char learner_id[STORE_ID_MAX + 1]);

/* For pages whose HTML forms post back (which cannot send X-CSRF-Token): the signed-in
 * learner and the CSRF token the page's forms carry in a "csrf" field; false with no live
 * session. */
bool http_session_page(struct http_request *req, char learner_id[STORE_ID_MAX + 1],
                       char csrf[PORTAL_TOKEN_SIZE]);

/* For such a form's POST: the live session whose CSRF token the form sent (csrf); fills
 * learner_id and *token (the session token, borrowed from the request). False when there is
 * no live session or the token is not the session's. */
bool http_session_form(struct http_request *req, const char *csrf,
                       char learner_id[STORE_ID_MAX + 1], const char **token);

/* Sets the session cookie to token (HttpOnly, SameSite=Strict, Path=/, and Secure over TLS or
 * when the depository's base_url is https://, then named HTTP_SESSION_COOKIE_SECURE), or clears
 * it when token is NULL. */
void http_session_cookie(struct http_request *req, struct http_response *res, const char *token);

/* Ends the session of the cookie the request carries, if any is live (signing in again must
 * not leave the earlier session open). Failures are ignored: there may be none. */
void http_session_end_current(struct http_request *req);

#endif
