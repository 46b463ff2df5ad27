/* Issuing SD-JWT VC credentials (`dc+sd-jwt`) for registered results, for EU digital identity
 * wallets: one record, a second encoding beside the W3C credentials of credential.h.
 *
 * Invariants: signed ES256 with the wallet key and its chain in x5c (keys/wallet.h); iss, iat,
 * exp, vct and cnf are always disclosed, every personal and result claim is selectively
 * disclosable, with decoy digests; nothing derived from the national id is in it. Reading the
 * learner's fields is an audited read, the issuance an audit event, as for credential.h.
 */
#ifndef OK_REGISTRY_SDJWT_CREDENTIAL_H
#define OK_REGISTRY_SDJWT_CREDENTIAL_H

#include <jansson.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/error.h"
#include "depository/depository.h"
#include "jose/jwk.h"

#define SDJWT_VC_TYP              "dc+sd-jwt"
#define SDJWT_VCT_EU_LEARNING_URN "urn:eu.europa.ec.eudi:learning:credential:1"
#define SDJWT_LIFETIME_DEFAULT    ((int64_t)365 * 86400)
#define SDJWT_LIFETIME_MAX        ((int64_t)10 * 366 * 86400)
#define SDJWT_DECOYS              3 /* decoy digests per object of disclosable claims */

enum sdjwt_vct {
	SDJWT_VCT_OWN,         /* BASE/vct/KIND: the depository's own type per kind of result */
	SDJWT_VCT_EU_LEARNING, /* the EU Learning Credential's claims */
};

/* The wallet key and its chain (as x5c), read and parsed once for the credentials of one request
 * (a batch), not once per credential. */
struct sdjwt_issuer {
	struct jose_signer signer;
	json_t *x5c;
};

int registry_sdjwt_issuer_load(struct depository *d, struct sdjwt_issuer *is, struct ok_error *err);
void registry_sdjwt_issuer_release(struct sdjwt_issuer *is);

struct sdjwt_issue_options {
	enum sdjwt_vct vct;
	const json_t *holder_jwk; /* the wallet's public key, becomes cnf.jwk (NULL: none) */
	int64_t lifetime_s;       /* exp - iat (0: SDJWT_LIFETIME_DEFAULT) */
	int64_t now;              /* iat, seconds since the epoch (0: the clock) */
	const struct sdjwt_issuer *issuer; /* loaded by the caller (NULL: loaded for this one) */
};

/* "own" or "eu-learning". */
int sdjwt_vct_parse(const char *s, enum sdjwt_vct *out);

/*
 * Issues the SD-JWT VC of achievement id (of institution, or any when NULL) and appends it
 * ("<JWS>~<disclosure>~…~") to out. actor and purpose go into the audit events of the read and
 * the issuance (purpose NULL: "issuance"). A holder JWK that is not a public EC P-256, Ed25519
 * or RSA key fails with OK_EINPUT.
 */
int registry_sdjwt_issue(struct depository *d, const char *achievement_id, const char *institution,
                         const struct sdjwt_issue_options *o, const char *actor,
                         const char *purpose, struct buf *out, struct ok_error *err);

#endif
