/* OpenID for Verifiable Credential Issuance 1.0, the issuer's side of the pre-authorized code
 * flow: metadata, credential offers, the token endpoint (with DPoP, RFC 9449), c_nonces and the
 * credential endpoint, which issues SD-JWT VCs (registry/sdjwt_credential.h) bound to the
 * wallet's proof keys. Prefix oid4vci_.
 *
 * Invariants:
 * - Pre-authorized codes, transaction codes (PINs), access tokens and c_nonces are random and
 *   stored hashed only (store/vci.h). An offer lives OID4VCI_OFFER_TTL_S and is redeemed once;
 *   OID4VCI_PIN_TRIES wrong PINs burn it. A c_nonce and a DPoP proof are accepted once.
 * - A protocol function that refuses a request returns a negative OK_E… code, fills err (its
 *   message is the error_description, naming what is wrong, never a secret) and sets *oauth to
 *   the OAuth / OpenID4VCI error code ("invalid_grant", "invalid_proof", …); *oauth stays NULL
 *   for a failure of the server itself.
 * - Nothing is issued unless every proof of a request holds: the nonces taken, the credentials
 *   issued and their audit events are one transaction.
 * - Every offer, redemption and issuance is an audit event whose subject is the learner.
 */
#ifndef OK_OID4VCI_H
#define OK_OID4VCI_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "depository/depository.h"
#include "jose/jwk.h"
#include "registry/sdjwt_credential.h"
#include "store/vci.h"

#define OID4VCI_OFFER_TTL_S    600
#define OID4VCI_TOKEN_TTL_S    300
#define OID4VCI_NONCE_TTL_S    300
#define OID4VCI_PIN_TRIES      3
#define OID4VCI_PIN_DIGITS     6
#define OID4VCI_BATCH_MAX      10   /* proofs in one credential request */
#define OID4VCI_SKEW_S         300  /* how old a proof's or DPoP proof's iat may be */
#define OID4VCI_FUTURE_S       60   /* and how far in the future */
#define OID4VCI_PROOF_MAX      8192 /* bytes of one proof JWT or DPoP proof */
#define OID4VCI_SECRET_LEN     43   /* a 256-bit random value in base64url */
#define OID4VCI_GRANT_PRE_AUTH "urn:ietf:params:oauth:grant-type:pre-authorized_code"
#define OID4VCI_PROOF_TYP      "openid4vci-proof+jwt"
#define OID4VCI_DPOP_TYP       "dpop+jwt"

/* Metadata */

/* The Credential Issuer Metadata (/.well-known/openid-credential-issuer): a configuration per
 * kind of result in each type (own and EU Learning Credential). *out is new. */
int oid4vci_issuer_metadata(struct depository *d, json_t **out, struct ok_error *err);
/* The OAuth Authorization Server Metadata (/.well-known/oauth-authorization-server). */
int oid4vci_as_metadata(struct depository *d, json_t **out, struct ok_error *err);
/* The configuration id of a kind of result in a type ("degree", "degree-eu"). */
int oid4vci_configuration_id(const char *kind, enum sdjwt_vct vct, char *out, size_t cap);

/* Offers */

struct oid4vci_offer_made {
	char id[STORE_ID_MAX + 1];
	char link[DEPOSITORY_HOST_MAX +
	          256]; /* openid-credential-offer://?credential_offer_uri=… */
	char offer_uri[DEPOSITORY_HOST_MAX + 128];
	char pin[OID4VCI_PIN_DIGITS + 1]; /* "" when none */
	int64_t expires_ms;
};

/*
 * Makes an offer of the n achievements (1..STORE_VCI_ACHIEVEMENTS_MAX, each the learner's, none
 * revoked) in type vct, with a transaction code when pin. actor made it (the learner's session
 * or an operator). now_ms 0: the clock.
 */
int oid4vci_offer_create(struct depository *d, const char *learner_id, const char *const *ids,
                         size_t n, enum sdjwt_vct vct, bool pin, const char *actor, int64_t now_ms,
                         struct oid4vci_offer_made *out, struct ok_error *err);
/* The Credential Offer JSON behind the offer URI's token: OK_ENOTFOUND for an unknown token,
 * OK_EGONE for one expired or redeemed. */
int oid4vci_offer_json(struct depository *d, const char *token, int64_t now_ms, json_t **out,
                       struct ok_error *err);

/* The token endpoint */

struct oid4vci_token_req {
	const char *grant_type;
	const char *code;    /* pre-authorized_code */
	const char *tx_code; /* NULL when not sent */
	const char *dpop;    /* the DPoP header, NULL when not sent */
	int64_t now_ms;      /* 0: the clock */
};

/* Exchanges a pre-authorized code for an access token; *out is the token response. */
int oid4vci_token(struct depository *d, const struct oid4vci_token_req *r, json_t **out,
                  const char **oauth, struct ok_error *err);

/* A fresh c_nonce: *out is {"c_nonce": …}. */
int oid4vci_nonce(struct depository *d, int64_t now_ms, json_t **out, struct ok_error *err);

/* The credential endpoint */

struct oid4vci_credential_req {
	const char *authorization; /* the Authorization header ("DPoP …" or "Bearer …") */
	const char *dpop;          /* the DPoP header, NULL when not sent */
	const json_t *body;
	int64_t now_ms; /* 0: the clock */
};

/* Issues one credential per proof key; *out is {"credentials": [{"credential": …}, …]}. An
 * access token that fails gives oauth "invalid_token" (HTTP 401). */
int oid4vci_credential(struct depository *d, const struct oid4vci_credential_req *r, json_t **out,
                       const char **oauth, struct ok_error *err);

/* What the learner's wallets received: every issuance to a wallet, oldest first, as
 * [{"at", "achievement", "key", "configuration"}]. Reads no personal data. */
int oid4vci_wallet_history(struct depository *d, const char *learner_id, json_t **out,
                           struct ok_error *err);

/* Parsers of outside input (no store; for the fuzz target too) */

#define OID4VCI_FORM_MAX 4096 /* bytes of a token request's body */

/* A token request's form body (application/x-www-form-urlencoded): the names below only (an
 * unknown one is skipped, a repeated one refused), values percent-decoded, at most 512 bytes
 * each, no NUL. */
struct oid4vci_form {
	char grant_type[128];
	char code[128];
	char tx_code[32];
	bool has_grant_type, has_code, has_tx_code;
};
int oid4vci_form_parse(const char *body, size_t n, struct oid4vci_form *f, struct ok_error *err);

/* A credential request's JSON: exactly one of credential_identifier and
 * credential_configuration_id, and proofs.jwt, 1..OID4VCI_BATCH_MAX strings. Borrowed pointers
 * into body. */
struct oid4vci_cred_body {
	const char *identifier;
	const char *configuration;
	const char *jwts[OID4VCI_BATCH_MAX];
	size_t njwts;
};
int oid4vci_cred_body_parse(const json_t *body, struct oid4vci_cred_body *b, const char **oauth,
                            struct ok_error *err);

/* A proof JWT (typ openid4vci-proof+jwt, ES256 or EdDSA, jwk in its header, aud = issuer, iat
 * within the window): fills key and its nonce (a copy, cap bytes). oauth gets invalid_proof. */
int oid4vci_proof_check(const char *jwt, const char *issuer, int64_t now_s, struct jose_jwk *key,
                        char *nonce, size_t cap, const char **oauth, struct ok_error *err);
/* A DPoP proof for method htm at htu (with ath for access_token when not NULL): fills jkt and
 * its jti (a copy, cap bytes); the replay check is the caller's. */
int oid4vci_dpop_check(const char *proof, const char *htm, const char *htu,
                       const char *access_token, int64_t now_s, char jkt[JOSE_THUMBPRINT_MAX],
                       char *jti, size_t jti_cap, struct ok_error *err);

#endif
