/* Presentations the depository makes as a holder: credentials it has (its own, or another
 * depository's kept as a learner's foreign achievement) passed on to another depository or
 * verifier, in a W3C Verifiable Presentation signed with the depository's current key for
 * authentication (either Data Integrity EdDSA cryptosuite) and bound to the receiver's
 * challenge and domain, so that the receiver knows
 * the depository handed them over for this request (the Groningen Declaration's
 * depository-to-depository exchange).
 *
 * Invariants: the holder is the depository's DID (did:web with a host, else did:key); each item
 * is a credential object (embedded as it is) or a VC-JOSE token (enveloped in a
 * data:application/vc+jwt URL); at most VC_PRESENTATION_MAX_CREDENTIALS items; the result passes
 * vc_presentation_parse. The credentials are not verified here (the receiver does). Signing is
 * an audit event "presentation.sign" naming the key and the number of credentials.
 */
#ifndef OK_REGISTRY_PRESENT_H
#define OK_REGISTRY_PRESENT_H

#include <stddef.h>

#include "core/buf.h"
#include "depository/depository.h"

struct present_item {
	const char *data; /* a JSON credential or a compact JWS, as read from a file */
	size_t len;
	const char *name; /* for messages (a file name); not stored */
};

struct present_options {
	const char *challenge; /* the receiver's, or NULL */
	const char *domain;    /* the receiver's, or NULL */
	const char *actor;     /* who asks (audit actor text) */
	/* eddsa-rdfc-2022 or eddsa-jcs-2022; NULL: the configured one (d->cryptosuite). Another
	 * name is OK_EINPUT. */
	const char *cryptosuite;
};

/* Appends the signed presentation (JSON, indented) of n items to out. */
int registry_present(struct depository *d, const struct present_item *items, size_t n,
                     const struct present_options *o, struct buf *out, struct ok_error *err);

#endif
