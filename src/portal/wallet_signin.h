/* Learners signing in with their wallet (issue 18, item 4): the identifier of a PID that the
 * verifier (oid4vp/signin.h) verified is looked up through the blind index under the configured
 * scheme only, as a national sign-in's (oidc_signin.h), and a match starts a portal session.
 *
 * Invariants:
 * - The sign-in is finished only by the browser that started it (it holds the request's view
 *   token in a cookie) and only once: the verifier's result is taken and deleted first.
 * - An unknown identifier starts no session ("wallet.unknown", no personal data); a sign-in is
 *   "learner.login" via=wallet, provider "wallet".
 */
#ifndef OK_PORTAL_WALLET_SIGNIN_H
#define OK_PORTAL_WALLET_SIGNIN_H

#include "portal/portal.h"

#define PORTAL_WALLET_PROVIDER "wallet"

/*
 * Finishes the wallet sign-in of view (the cookie's value; NULL when the browser sent none) and,
 * for a same-device one, code (the response code of the wallet's redirect; NULL: none):
 * out gets the new session. OK_ENOTFOUND with "no records are registered for you" for an unknown
 * identifier; otherwise oid4vp_signin_take's codes (OK_ENOTFOUND no such or a used sign-in,
 * OK_ECONFLICT not answered yet, OK_EGONE expired, OK_EAUTH no or a wrong response code,
 * OK_EINVALID not verified).
 */
int portal_wallet_finish(struct depository *d, const char *view, const char *code,
                         struct portal_session *out, struct ok_error *err);

#endif
