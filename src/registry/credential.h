/* Issuing credentials: an achievement becomes a W3C Verifiable Credential 2.0 with the Open
 * Badges 3.0 vocabulary, signed by the depository (eddsa-jcs-2022 or VC-JOSE).
 *
 * Invariants: nothing is stored but the fact of issuance (an audit event); a credential can
 * always be issued again. The holder is named by IdentityObjects (name, birth date, in clear,
 * as on a paper diploma); nothing derived from the national id appears in any credential.
 */
#ifndef OK_REGISTRY_CREDENTIAL_H
#define OK_REGISTRY_CREDENTIAL_H

#include <jansson.h>
#include <sodium.h>

#include "depository/depository.h"
#include "vc/did.h"

#define CREDENTIAL_CONTEXT_V2  "https://www.w3.org/ns/credentials/v2"
#define CREDENTIAL_CONTEXT_OB3 "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"

/* The depository's signing identity: did:web:HOST when a host is configured, else did:key. */
struct depository_identity {
	char did[VC_DID_MAX];
	char vm[VC_DID_MAX]; /* verification method id */
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	unsigned char sk[crypto_sign_SECRETKEYBYTES];
};

int registry_identity(const struct depository *d, struct depository_identity *id,
                      struct ok_error *err);
/* Wipes the secret key. */
void registry_identity_release(struct depository_identity *id);
/* The DID document of the depository (new reference): for a did:web, every key of issuer.key
 * (read again if another process rotated it), the current one first, each under
 * assertionMethod and authentication. */
int registry_did_document(struct depository *d, json_t **out, struct ok_error *err);

enum credential_format {
	CREDENTIAL_DI,      /* JSON with a Data Integrity proof, the configured cryptosuite */
	CREDENTIAL_JWT,     /* VC-JOSE compact JWS */
	CREDENTIAL_DI_JCS,  /* JSON with an eddsa-jcs-2022 proof, whatever the configuration */
	CREDENTIAL_DI_RDFC, /* JSON with an eddsa-rdfc-2022 proof, likewise */
};

/* "di" or "jwt"; OK_EINPUT for anything else. */
int credential_format_parse(const char *s, enum credential_format *f);
/* f with a cryptosuite named (eddsa-jcs-2022 or eddsa-rdfc-2022): a DI format becomes the one of
 * that suite; OK_EINPUT for another name or for a JWT (which has no cryptosuite). */
int credential_format_with_suite(enum credential_format *f, const char *suite);
/* Whether f is one of the Data Integrity formats. */
bool credential_format_is_di(enum credential_format f);

/*
 * Builds the unsigned credential for an achievement (new reference in *out). Reads the
 * learner's sealed fields (audited with actor and purpose "issuance").
 */
int registry_credential_build(struct depository *d, const struct depository_identity *id,
                              const struct store_achievement *a, const char *actor, json_t **out,
                              struct ok_error *err);

/*
 * Issues the credential of achievement id (of institution, or of any when NULL) in format f and
 * appends it to out: pretty JSON for DI, the compact JWS for JWT. Audits the issuance.
 */
int registry_credential_issue(struct depository *d, const char *achievement_id,
                              const char *institution, enum credential_format f, const char *actor,
                              struct buf *out, struct ok_error *err);
/*
 * The same (of any institution), the credential bound to a holder: holder_did (an Ed25519
 * did:key, else OK_EINPUT) is the credentialSubject's id, so that a presentation of it shows its
 * holder as the subject only when that key signed it (OpenID4VP ldp_vc answers require this of
 * a credential that names a subject id).
 */
int registry_credential_issue_bound(struct depository *d, const char *achievement_id,
                                    enum credential_format f, const char *holder_did,
                                    const char *actor, struct buf *out, struct ok_error *err);
/* What registry_credential_issue_learner made of one achievement: the credential (rc 0), or
 * why not (rc, err). The achievements that follow are issued whatever one's outcome. */
typedef void (*credential_issued_fn)(void *ctx, const char *achievement_id, int rc,
                                     const struct buf *credential, const struct ok_error *err);

/*
 * Issues, as registry_credential_issue does, the credential of every achievement of
 * learner_id, after an audited read of the learner (purpose "issuance"). Returns an error only
 * when the learner cannot be read or listed (OK_ENOTFOUND: no such learner).
 */
int registry_credential_issue_learner(struct depository *d, const char *learner_id,
                                      enum credential_format f, const char *actor,
                                      credential_issued_fn fn, void *ctx, struct ok_error *err);

/* registry_credential_issue with the caller's purpose (e.g. a registrar's Oorkonde-Purpose)
 * in the audit events of the read and the issuance, instead of "issuance". */
int registry_credential_issue_for(struct depository *d, const char *achievement_id,
                                  const char *institution, enum credential_format f,
                                  const char *actor, const char *purpose, struct buf *out,
                                  struct ok_error *err);

/*
 * registry_credential_issue without any audit event: neither the read of the learner's fields
 * nor the issuance is recorded, and nothing is committed. Only for a caller that records the
 * read itself, in one event of its own (e.g. a share's opening, whose "share.open" event lists
 * the credentials issued); anyone else uses registry_credential_issue_for.
 */
int registry_credential_issue_unaudited(struct depository *d, const char *achievement_id,
                                        enum credential_format f, struct buf *out,
                                        struct ok_error *err);

/*
 * Signs an arbitrary unsigned credential in the depository's name (the VC-API issue endpoint):
 * its issuer must be the depository's DID (a string or an object with that id); validFrom is
 * added when missing. Every rule of the VC 2.0 data model is checked first (vc/datamodel.h): a
 * credential that breaks one is OK_EINPUT with err->field the rule's name. *out gets the
 * secured credential (new reference).
 */
int registry_credential_sign(struct depository *d, const json_t *credential, const char *actor,
                             json_t **out, struct ok_error *err);
/* The same with the cryptosuite given (NULL: the configured one, d->cryptosuite). */
int registry_credential_sign_suite(struct depository *d, const json_t *credential,
                                   const enum vc_suite *suite, const char *actor, json_t **out,
                                   struct ok_error *err);
/* The same with status entries the depository gave out (registry/vc_status.h) set as the
 * credential's credentialStatus before the checks and the signature; status is borrowed. The
 * credential itself may still carry none. Joins a transaction the caller has open. */
/* Every check registry_credential_sign_with makes before it signs, and nothing else (no key
 * used, nothing written): for a caller that must refuse bad input before it looks anything up. */
int registry_credential_check(struct depository *d, const json_t *credential, json_t *status,
                              struct ok_error *err);
int registry_credential_sign_with(struct depository *d, const json_t *credential, json_t *status,
                                  const char *actor, json_t **out, struct ok_error *err);
/*
 * Signs one of the depository's own record formats (a destruction certificate, a transfer
 * manifest: reserved types no VC-API key may sign) with eddsa-jcs-2022. oorkonde's own context
 * (VC_CONTEXT_OORKONDE_V1, vc/jsonld.h) is added to its @context when missing; then every rule
 * of the data model applies, "every type defined" included, as to any other credential.
 */
int registry_credential_sign_own(struct depository *d, const json_t *credential,
                                 const char *actor, json_t **out, struct ok_error *err);
/* Both: status entries and a cryptosuite (NULL: the configured one). */
int registry_credential_sign_full(struct depository *d, const json_t *credential, json_t *status,
                                  const enum vc_suite *suite, const char *actor, json_t **out,
                                  struct ok_error *err);

#endif
