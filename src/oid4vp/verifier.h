/* The depository as an OpenID4VP 1.0 verifier (issue 18): an employer's request for a result,
 * the signed request object a wallet fetches, the wallet's answer posted to the response URI
 * (direct_post, or direct_post.jwt encrypted to the request's own ephemeral key), and the
 * result, shown to whoever made the request and kept a short while.
 *
 * Invariants:
 * - A request is answered at most once, and only before it expires (config
 *   verifier_request_ttl_s, default 10 minutes); its result is kept for config
 *   verifier_result_ttl_s (default 1 hour) and then deleted with the request. An anonymous
 *   request left unanswered is deleted when it expires; one made with an API key is kept
 *   verifier_result_ttl_s longer (its verifier sees "expired").
 * - The request object is signed ES256 with the wallet key (x5c: its chain); client_id is
 *   "x509_san_dns:" and the first DNS name of the wallet certificate ("x509_hash:" and its
 *   SHA-256 when it names none, as for a host given as an IP address); the key-binding JWT of
 *   every presentation must carry the request's nonce and that client_id as aud.
 * - Nothing an answer holds makes the depository fetch anything: only its own status lists and
 *   trusted roots are used (registry/sdjwt_verify.h).
 * - A result is sealed at rest; every read of one is an audit event, as are the request and
 *   its answer, none with personal data in it.
 * - An answer that cannot be read (malformed form, vp_token or JWE, wrong state, unknown or
 *   answered request) changes nothing and fails with OK_EINPUT (or OK_EGONE for a request
 *   answered already or expired); the HTTP layer answers it with OpenID4VP's error JSON.
 */
#ifndef OK_OID4VP_VERIFIER_H
#define OK_OID4VP_VERIFIER_H

#include <jansson.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/error.h"
#include "depository/depository.h"

#define OID4VP_ID_MAX    32
#define OID4VP_TOKEN_MAX 64
#define OID4VP_URL_MAX   1024
#define OID4VP_LABEL_MAX 100
/* The requester's name as the wallet is shown it: stated name, key holder and host. */
#define OID4VP_CLIENT_NAME_MAX 512
/* Requests kept at once (answered ones until their results go): more are refused (429). */
#define OID4VP_REQUESTS_MAX 10000
/* Anonymous requests (the /request page, verifier_open) kept at once: a share of the verifier
 * requests' half of OID4VP_REQUESTS_MAX, so that requests made with an API key always have
 * room (finding s16-2); and from one network (an IPv4 /24, an IPv6 /48) at most this many,
 * whatever the rate limit (behind a proxy, every client is the proxy's network). */
#define OID4VP_ANON_MAX     2000
#define OID4VP_ANON_NET_MAX 250

#define OID4VP_REQUEST_TYP "oauth-authz-req+jwt"

struct oid4vp_created {
	char id[OID4VP_ID_MAX + 1];
	char view[OID4VP_TOKEN_MAX]; /* the secret that shows the result */
	char client_id[300];
	char request_uri[OID4VP_URL_MAX];
	char link[2 * OID4VP_URL_MAX]; /* openid4vp://?client_id=…&request_uri=… */
	char result_url[OID4VP_URL_MAX];
	int64_t expires_ms;
};

/*
 * Makes a request from a verifier's choices (dcql.h's ask, plus "label", "requester": the name
 * the wallet shows as the party asking, "response_mode": "direct_post" or "direct_post.jwt",
 * "same_device": true to send the wallet back to the result page, "accept_unbound": true to take
 * W3C credentials that name no holder, as "verified_unbound"). by: the holder of the API
 * key the request came with (institution code or key id), or NULL for an anonymous request,
 * which must state a requester; the wallet is told which of the two it is
 * (client_metadata.client_name). network: for an anonymous request, the key of the client's
 * network (an IPv4 /24, an IPv6 /48; NULL: unknown). An anonymous request is kept only until it
 * expires unless answered, and is refused (OK_ELIMIT) when OID4VP_ANON_MAX anonymous requests
 * are kept, or OID4VP_ANON_NET_MAX of its network (or as many as are left of the share).
 * OK_EINPUT naming the member for a bad choice; OK_ENOTFOUND when the depository has no wallet
 * key.
 */
int oid4vp_request_create(struct depository *d, const json_t *ask, const char *by,
                          const char *network, struct oid4vp_created *out, struct ok_error *err);

/* Appends the signed request object of request id to out. OK_ENOTFOUND for an unknown id,
 * OK_EGONE for one answered or expired. */
int oid4vp_request_object(struct depository *d, const char *id, struct buf *out,
                          struct ok_error *err);

/*
 * Takes the wallet's answer to request id: the n bytes of a form body (vp_token and state, or
 * response: a JWE, or error). Verifies every presentation and records the result, verified or
 * not, with why. *reply gets the JSON to answer the wallet with ({} or {"redirect_uri"}).
 */
struct oid4vp_signin;
/* signin_cfg: the wallet sign-in's configuration (oid4vp/signin.h), which answers to a sign-in
 * request are verified against; NULL where there is none (such an answer is then refused). */
int oid4vp_response(struct depository *d, const struct oid4vp_signin *signin_cfg, const char *id,
                    const char *form, size_t n, json_t **reply, struct ok_error *err);

/*
 * The request's state for whoever holds its view token: {"status": "pending" | "verified" |
 * "verified_unbound" | "not_verified" | "expired", "expires_at", "label", "asked", "result"};
 * result (with the holder's data) only once answered, and its read audited. verified_unbound:
 * every presentation verified, but a W3C credential in it names no holder, which the request
 * accepted ("accept_unbound": true); it is never reported as verified. OK_ENOTFOUND for an unknown
 * token (or a request deleted since).
 */
int oid4vp_result(struct depository *d, const char *view, json_t **out, struct ok_error *err);

#endif
