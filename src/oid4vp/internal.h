/* What the verifier's files share (verifier.c, signin.c); only they include this. */
#ifndef OK_OID4VP_INTERNAL_H
#define OK_OID4VP_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>

#include "oid4vp/signin.h"
#include "oid4vp/verifier.h"
#include "registry/verify.h"

#include "privacy/seal.h"
#include "store/verifier.h"

#define OID4VP_SEAL_RESULT "vp_result"

/* A request row with its buffers ready (NULL when out of memory); freed by oid4vp_row_free. */
struct store_vp_request *oid4vp_row_new(void);
void oid4vp_row_free(struct store_vp_request *r);

/* The wallet link (openid4vp://…) of request id into link (cap bytes). */
int oid4vp_link(const struct depository *d, const char *id, const char *client_id, char *link,
                size_t cap, struct ok_error *err);

/* Stores a request for the DCQL query dcql and returns its links (as oid4vp_request_create,
 * after the verifier's choices were checked). signin: a wallet sign-in's request;
 * accept_unbound: W3C credentials that name no holder are taken as "verified_unbound";
 * from (a sign-in's only; NULL: none): hex digits naming the client's address and network,
 * kept in the request, which is refused (OK_ELIMIT) when address_max requests of that address
 * or network_max of that network are open already (0: no bound), or when the network holds as
 * many as are left of the sign-ins' share of the cap. */
struct oid4vp_open_tags {
	const char *address; /* hex digits */
	const char *network; /* hex digits */
	unsigned address_max;
	unsigned network_max;
	/* An anonymous verifier request (finding s16-2): address is then the one tag every
	 * anonymous request carries, so that its count is theirs (bounded by OID4VP_ANON_MAX),
	 * and the network may hold at most network_max, never as many as are left of it. */
	bool anonymous;
};
int oid4vp_request_make(struct depository *d, const json_t *dcql, const char *client_name,
                        const json_t *label, bool jwt, bool same_device, bool signin,
                        bool accept_unbound, const struct oid4vp_open_tags *from,
                        struct oid4vp_created *out, struct ok_error *err);

/* The keyed hash (hex) under the depository's data key of what a request's client key (an
 * address or a network, or NULL: "unknown") is, as the rows keep it: the row names neither. */
void oid4vp_client_tag(const struct depository *d, const char *what, const char *key,
                       char out[2 * SEAL_DIGEST_BYTES + 1]);

/* Verifies the presentations list of the PID query cq of a sign-in request (nonce, client_id):
 * on success *who gets {"national_id", "country"} (new reference); otherwise *ok becomes false
 * and why says why (the first reason only). A negative code only when verification could not
 * run. */
int oid4vp_signin_answer(struct depository *d, const struct oid4vp_signin *c, const json_t *cq,
                         const json_t *list, const char *nonce, const char *client_id, json_t **who,
                         bool *ok, char *why, size_t why_cap, struct ok_error *err);

/* Why a W3C credential that names no holder (no credentialSubject.id) is not verified. */
#define OID4VP_UNBOUND_REASON                                                                  \
	"the credential names no holder: anyone with a copy (a share link hands one out) can " \
	"present it"

/* Verifies one presentation (n bytes at s, a W3C Verifiable Presentation) of the ldp_vc query
 * cq against the request's nonce (challenge) and client_id (domain): *entry gets the result's
 * entry {"query", "verified", "verified_unbound", "reason", "report", "format", "holder",
 * "holder_bound"}, its report trimmed to what cq asks for. A credential naming no holder is
 * never "verified"; with accept_unbound (the request's choice) it is "verified_unbound" when
 * all else holds, its reason OID4VP_UNBOUND_REASON. *holder_proved: whether only the holder's
 * wallet could have made it (a trusted issuer's credential, presented with a proof for this
 * nonce and client_id by its subject's key; or an unbound one that passed every check). A
 * negative code only when verification could not run. (ldp.c) */
int oid4vp_ldp_verify(struct depository *d, const json_t *cq, const char *s, size_t n,
                      const char *nonce, const char *client_id, bool accept_unbound, json_t **entry,
                      bool *holder_proved, struct ok_error *err);

/* Sets the report's holder.birth_date, achievement.grade, credits and awarded_on to null unless
 * the credential query cq asks for them (review LDP-2): a W3C credential is presented whole and
 * a wallet may disclose more than asked, but the verifier is shown, and the sealed result
 * keeps, only what it asked for. OK_ENOMEM only. */
int oid4vp_report_trim(const json_t *cq, json_t *report);

/* An answer's entry whose credential verified but is not accepted (not bound to the holder:
 * unbound; or not what the query asks for) says so in its report too (review LDP9-3): the
 * report's "verified" becomes false and its headline {"state": "unbound" | "not_accepted",
 * "text"}, so that no reader of the report takes it for verified. accepted: the entry's own
 * verdict (nothing changes then). OK_ENOMEM only. */
int oid4vp_report_verdict(json_t *report, bool accepted, bool unbound);

/* The first reason a credential's verification result fails ("not verified" if none says). */
const char *oid4vp_first_failure(const struct verify_result *r);

#endif
