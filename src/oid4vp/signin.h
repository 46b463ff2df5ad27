/* Signing learners in with their wallet (issue 18, item 4): the configuration of which PID
 * issuers are trusted and which claim of the PID is the national identifier, the OpenID4VP
 * request for the PID, and the identifier a verified answer gave, taken once.
 *
 * Invariants:
 * - Off unless config.json has "wallet_signin": {"pid_issuers": [PEM files], "pid_iss": [exact
 *   iss URLs], "id_claim", "id_scheme", "id_pattern"?, "id_countries"?, "cross_device"?,
 *   "accept_unchecked_status"?}. The PID issuers' certificates are read once, when the
 *   configuration is loaded; a PID's chain must lead to one of them and to nothing else (not
 *   the depository's own CA, not wallet-roots.pem), its iss must be one of pid_iss (any other
 *   certificate holder under the same root is no PID provider, review VP-2), and its signing
 *   certificate must be no CA, allow digitalSignature where it states key usages, and not be
 *   a TLS certificate (extended key usage serverAuth or clientAuth).
 * - The identifier's country must be the PID's issuing_country (review VP-3).
 * - Same device, the browser that takes the result must also bring the response code the
 *   wallet was given for it (OpenID4VP's session-fixation defence, review VP-1); cross device
 *   (where no such code can exist) is off unless cross_device.
 * - A PID is an SD-JWT VC of vct urn:eudi:pid:1 with a key-binding JWT to the request's nonce
 *   and client id; its identifier claim must fit id_scheme (remote/oidc.h's schemes, as a
 *   national sign-in's). A PID that names a status list is refused unless
 *   accept_unchecked_status: this depository fetches no other issuer's lists.
 * - A sign-in request is shown to nobody by its view token: its result (the identifier, sealed)
 *   is taken once, by oid4vp_signin_take, which deletes the request in the same statement.
 */
#ifndef OK_OID4VP_SIGNIN_H
#define OK_OID4VP_SIGNIN_H

#include <jansson.h>
#include <stdbool.h>

#include "core/buf.h"
#include "core/error.h"
#include "depository/depository.h"
#include "oid4vp/verifier.h"
#include "remote/oidc.h"

#define OID4VP_PID_VCT         "urn:eudi:pid:1"
#define OID4VP_PID_QUERY       "pid"
#define OID4VP_PID_ROOTS_MAX   ((size_t)256 << 10)
#define OID4VP_PID_ISSUERS_MAX 16
#define OID4VP_SIGNIN_TTL_S    300 /* a sign-in's request lives at most this long */
#define OID4VP_SIGNIN_TAKE_S   120 /* and its answer this long, to be taken */

#define OID4VP_PID_ISS_MAX 256

struct oid4vp_signin {
	bool on;
	bool cross_device; /* config cross_device: the QR code for another device */
	char iss[OID4VP_PID_ISSUERS_MAX][OID4VP_PID_ISS_MAX]; /* config pid_iss: exact iss */
	size_t n_iss;
	struct buf roots;            /* the PID issuers' certificates (PEM), read at load */
	size_t n_roots;              /* how many */
	struct oidc_provider scheme; /* claim, id_scheme, id_pattern, id_countries: its scheme */
	bool accept_unchecked_status;
};

/* Reads config.json's "wallet_signin" of the data folder dir into c (off when absent);
 * OK_EINPUT naming the member when one is wrong. Release c also on failure. */
int oid4vp_signin_load(struct oid4vp_signin *c, const char *dir, struct ok_error *err);
/* The same from the object itself; PEM paths relative to dir (dir NULL: none is read). */
int oid4vp_signin_parse(struct oid4vp_signin *c, const json_t *cfg, const char *dir,
                        struct ok_error *err);
void oid4vp_signin_release(struct oid4vp_signin *c);

/* Where a sign-in comes from, and how many may be open at once from there. */
struct oid4vp_signin_bound {
	const char *address; /* the key of the client's address (the rate limits'); NULL: unknown */
	const char *network; /* the key of its network (an IPv4 /24, an IPv6 /48); NULL: unknown */
	unsigned address_max; /* open at once from the address (0: no bound) */
	unsigned network_max; /* and from the network (0: no bound) */
};

/* Makes a sign-in request for a PID: out as oid4vp_request_create's; out->view is the secret
 * the browser that starts it keeps (its cookie). same_device: the wallet sends the browser back
 * to /signin/wallet/done once verified. from: the request keeps only keyed hashes of its
 * address and network, and OK_ELIMIT refuses a start when address_max sign-ins of that address,
 * or network_max of that network, are open already; also when the network holds as many as
 * are left of the sign-ins' share of the cap (its fair share). OK_ENOTFOUND when sign-in is
 * off. */
int oid4vp_signin_start(struct depository *d, const struct oid4vp_signin *c, bool same_device,
                        const struct oid4vp_signin_bound *from, struct oid4vp_created *out,
                        struct ok_error *err);

/* The state of the sign-in request of view: "pending", "answered" or "expired", whether it is
 * a same-device one, and its wallet link (link_cap bytes). OK_ENOTFOUND for no such sign-in
 * request. */
int oid4vp_signin_state(struct depository *d, const char *view, const char **status,
                        bool *same_device, char *link, size_t link_cap, struct ok_error *err);

/* Takes the answered sign-in request of view, once: who gets the identifier of its verified
 * PID. code: the response code of a same-device sign-in (from the wallet's redirect; NULL when
 * none came). OK_ENOTFOUND: no such request (or taken already); OK_ECONFLICT: not answered
 * yet; OK_EGONE: expired; OK_EAUTH: a same-device sign-in without its response code (nothing
 * is taken); OK_EINVALID: the answer was not verified (err says why). */
int oid4vp_signin_take(struct depository *d, const char *view, const char *code,
                       struct oidc_identity *who, struct ok_error *err);

#endif
