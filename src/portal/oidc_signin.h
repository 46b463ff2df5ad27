/* Learners signing in with an OpenID provider (issue 20): the authorization code flow with
 * PKCE (S256), state and nonce, started and finished here; remote/oidc.h talks to the provider.
 *
 * Invariants:
 * - What the flow must remember between the two legs (a 32-byte random seed, from which state,
 *   nonce and PKCE verifier are derived, its end and the provider) travels only in a cookie
 *   sealed with XChaCha20-Poly1305 under a key derived from the data key, bound to the provider
 *   id, valid PORTAL_OIDC_FLOW_S seconds; the browser never sees the verifier or the nonce in
 *   clear. The store keeps the flow's row (hashes of state, nonce and verifier, the provider,
 *   its end), which the callback takes in one conditional statement before anything else: a
 *   flow is completed once, whatever the provider does with a second use of its code. Expired
 *   rows are swept at each start.
 * - A learner is found by the national id of the ID token through the blind index; an unknown
 *   id starts no session. Every sign-in ("learner.login" via=oidc:ID), refusal of an open flow
 *   ("oidc.refused" with the reason's field) and unknown id ("oidc.unknown") is an audit event
 *   without personal data; a callback without a flow of ours (no, stale or replayed cookie,
 *   wrong state) writes none, so that nobody can fill the audit log from outside.
 */
#ifndef OK_PORTAL_OIDC_SIGNIN_H
#define OK_PORTAL_OIDC_SIGNIN_H

#include "core/buf.h"
#include "portal/portal.h"
#include "remote/oidc.h"

#define PORTAL_OIDC_FLOW_S      600 /* from the start to the callback */
#define PORTAL_OIDC_COOKIE_SIZE 160 /* the sealed flow in base64url, with its NUL */

/*
 * Starts a sign-in at provider p: location gets the URL to send the browser to (after a pushed
 * authorization request when the provider offers PAR), cookie the sealed flow. redirect_uri is
 * this depository's callback for p. OK_EBUSY when the provider is unavailable.
 */
int portal_oidc_start(struct depository *d, struct oidc_rp *rp, struct oidc_provider *p,
                      const char *redirect_uri, struct buf *location,
                      char cookie[PORTAL_OIDC_COOKIE_SIZE], struct ok_error *err);

/*
 * Finishes it: the flow cookie (NULL when the browser sent none) must be p's and current and
 * state its state; the code is redeemed and the ID token checked; then a session for the
 * learner of its national id is started. OK_EAUTH for a flow that does not match (wrong state,
 * no or old cookie) or a code the provider refused; OK_EINVALID for a refused ID token; OK_EBUSY
 * when the provider is unavailable; OK_ENOTFOUND when no learner has that national id. Each is
 * audited.
 */
int portal_oidc_finish(struct depository *d, struct oidc_rp *rp, struct oidc_provider *p,
                       const char *cookie, const char *state, const char *code,
                       const char *redirect_uri, struct portal_session *out,
                       struct ok_error *err);

#endif
