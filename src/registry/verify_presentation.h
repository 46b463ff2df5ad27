/* Verifying a Verifiable Presentation: its own proof, then every credential it carries through
 * the credential pipeline (registry/verify.h), with a result per credential.
 *
 * Order: size and encoding (1 MiB, strict JSON as for a credential) → shape (vc/presentation.h:
 * at most VC_PRESENTATION_MAX_CREDENTIALS credentials, embedded or enveloped VC-JOSE) → the
 * presentation's checks: "challenge" and "domain" (when asked for, or when the proof carries one
 * that nobody asked for: then a warning, as it was not compared), "proof" (Data Integrity,
 * eddsa-jcs-2022, purpose authentication, expires not passed, created not in the future, the
 * verification method the holder's when a holder is named) → each credential, all checks its
 * options ask for (status and issuer trust included). Verified only when every presentation check
 * passed and every credential verified. A presentation without a proof fails its "proof" check:
 * nothing then shows that the holder presents these credentials.
 *
 * The holder's key: did:key offline; a did:web only when that DID is on the trust list (another
 * depository), fetched through the options' DID cache; anything else does not resolve. A stranger's
 * presentation makes the depository fetch nothing for its holder.
 */
#ifndef OK_REGISTRY_VERIFY_PRESENTATION_H
#define OK_REGISTRY_VERIFY_PRESENTATION_H

#include <jansson.h>
#include <stdbool.h>

#include "depository/depository.h"
#include "registry/verify.h"
#include "vc/presentation.h"

#define VP_MAX_CHECKS    6
#define VP_CHALLENGE_MAX 512 /* bytes of a challenge or domain a verifier may ask for */

struct vp_check {
	const char *name; /* "proof", "challenge", "domain", "holder" */
	bool passed;
	bool warning;
	char message[VERIFY_MESSAGE_MAX];
};

struct vp_options {
	struct verify_options verify; /* for every credential: checks, caches, any_issuer */
	const char *challenge;        /* the verifier's challenge, or NULL */
	const char *domain;           /* the verifier's domain, or NULL */
};

struct vp_credential_result {
	enum vc_presentation_kind kind;
	struct verify_result r;
};

struct vp_result {
	bool is_presentation;
	bool verified;
	char not_presentation[VERIFY_MESSAGE_MAX]; /* why, when !is_presentation */
	char holder[VC_DID_MAX];                   /* "" when none is named */
	size_t count;
	struct vp_check checks[VP_MAX_CHECKS];
	size_t n_credentials;
	struct vp_credential_result *credentials; /* owned: vp_result_release */
	json_t *presentation;                     /* owned; NULL when not a presentation */
};

/* Whether len bytes at data are a JSON object whose type holds VerifiablePresentation. */
bool registry_is_presentation(const char *data, size_t len);

/*
 * Verifies len bytes at data. d may be NULL (no data folder: only did:key resolves, no issuer is
 * trusted). Returns 0 whenever a verdict was reached (see r; r->is_presentation false for input
 * that is not a presentation), a negative code only when verification could not run. Call
 * vp_result_release(r) afterwards in either case.
 */
int registry_verify_presentation(struct depository *d, const char *data, size_t len,
                                 const struct vp_options *o, struct vp_result *r,
                                 struct ok_error *err);
/* The same for a presentation already parsed under vc/jcs.h's rules. Takes its own reference. */
int registry_verify_presentation_document(struct depository *d, json_t *vp,
                                          const struct vp_options *o, struct vp_result *r,
                                          struct ok_error *err);
/* The same for a process that verifies once and ends (the command line): caches live only for
 * the call (kept ttl_s at most); o's own caches are not used. */
int registry_verify_presentation_once(struct depository *d, const char *data, size_t len,
                                      const struct vp_options *o, long ttl_s, struct vp_result *r,
                                      struct ok_error *err);
void vp_result_release(struct vp_result *r);

/*
 * The VC-API answer: {"verified", "presentationResult": {"verified", "holder", "checks",
 * "warnings", "errors", "details"}, "credentialResults": [verify_report_json of each, with
 * "index", "format" and "enveloped"], "errors"}. New reference, NULL when out of memory.
 */
json_t *vp_result_json(struct depository *d, const struct vp_result *r);

#endif
