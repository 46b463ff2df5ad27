/* Data Integrity proofs with the eddsa-jcs-2022 and eddsa-rdfc-2022 cryptosuites (W3C Data
 * Integrity EdDSA Cryptosuites v1.0, sections 3.3 and 3.2): creating and verifying the "proof"
 * of a JSON document.
 *
 * Invariants:
 * - hashData = SHA-256(C(proofConfig)) || SHA-256(C(document without proof)), where C is JCS
 *   for eddsa-jcs-2022 and, for eddsa-rdfc-2022, JSON-LD toRdf over the pinned contexts
 *   (vc/jsonld.h: an unknown context URL fails, nothing is fetched) followed by RDFC-1.0
 *   (vc/rdfc.h, with its poison-graph limits); the signature is pure Ed25519 over those 64
 *   bytes; proofValue is its base58btc multibase ("z…").
 * - The proof configuration is the proof without proofValue, with type DataIntegrityProof,
 *   the cryptosuite, and the document's @context copied into it. Which canonicalization
 *   vc_proof_hash applies is read from the configuration's cryptosuite.
 * - Verification checks, in this order: proof shape, type, cryptosuite, proofPurpose
 *   (assertionMethod), created, proofValue multibase, signature length, the @context rule (the
 *   document's @context must start with the proof's @context values, in order), key resolution,
 *   canonicalization (eddsa-rdfc-2022 only can fail here: VC_PROOF_NOT_CANONICAL, with
 *   OK_ETOOBIG past a limit), signature. The first failing step is reported as an enum
 *   vc_proof_check and a message.
 * - A presentation's proof differs only in what the verifier expects (struct vc_proof_expect):
 *   the purpose authentication, and the challenge and domain the verifier gave, compared before
 *   any key is resolved. The hashing and signing are the same; another cryptosuite plugs in at
 *   the cryptosuite step and in vc_proof_hash.
 * - Keys are resolved through a callback, so that did:web (or a trust list) plugs in later;
 *   vc_proof_resolve_did_key() resolves did:key offline.
 * - Documents are never modified; new ones are returned. libsodium must be initialised
 *   (sodium_init()) by the caller before any function here is used.
 */
#ifndef OK_VC_PROOF_H
#define OK_VC_PROOF_H

#include <jansson.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/json_tree.h"
#include "vc/multibase.h"

#define VC_PROOF_TYPE             "DataIntegrityProof"
#define VC_PROOF_CRYPTOSUITE      "eddsa-jcs-2022"
#define VC_PROOF_CRYPTOSUITE_RDFC "eddsa-rdfc-2022"
#define VC_PROOF_PURPOSE          "assertionMethod"
#define VC_PROOF_HASH_BYTES       64 /* proof config hash || document hash */

/* The cryptosuites: the zero value is eddsa-jcs-2022, so that options left zero keep it. */
enum vc_suite {
	VC_SUITE_JCS = 0, /* eddsa-jcs-2022 */
	VC_SUITE_RDFC,    /* eddsa-rdfc-2022 */
};

/* "eddsa-jcs-2022" or "eddsa-rdfc-2022". */
const char *vc_suite_name(enum vc_suite suite);
/* The suite named s; OK_EINPUT (nothing filled) for any other string or NULL. */
int vc_suite_parse(const char *s, enum vc_suite *suite);

struct vc_proof_options {
	const char *verification_method; /* required, e.g. "did:key:z6Mk…#z6Mk…" */
	const char *created;             /* XML Schema dateTimeStamp, or NULL to leave it out */
	enum vc_suite suite;             /* the cryptosuite of the proof made */
};

#define VC_PROOF_PURPOSE_AUTHENTICATION "authentication"

/* What a verifier expects of a proof besides a valid signature; for a signer, what the proof
 * states besides its key (vc_proof_create_bound). */
struct vc_proof_expect {
	const char *purpose; /* NULL: assertionMethod */
	const char *
	        challenge; /* NULL: none was asked, a challenge the proof carries is not compared */
	const char
	        *domain; /* NULL: likewise; else the proof's domain (or one of them) must be it */
};

/* The step at which verification stopped. */
enum vc_proof_check {
	VC_PROOF_VALID = 0,
	VC_PROOF_MALFORMED,           /* no proof, not an object, a required field missing */
	VC_PROOF_WRONG_TYPE,          /* type is not DataIntegrityProof */
	VC_PROOF_UNKNOWN_CRYPTOSUITE, /* cryptosuite is neither eddsa-jcs-2022 nor -rdfc-2022 */
	VC_PROOF_WRONG_PURPOSE,       /* proofPurpose is not assertionMethod */
	VC_PROOF_BAD_CREATED,         /* created is not a dateTimeStamp */
	VC_PROOF_BAD_MULTIBASE,       /* proofValue is not base58btc multibase */
	VC_PROOF_BAD_SIGNATURE_LENGTH,
	VC_PROOF_CONTEXT_MISMATCH, /* the document's @context does not start with the proof's */
	VC_PROOF_KEY_UNRESOLVED,   /* the resolver refused the verification method */
	VC_PROOF_BAD_SIGNATURE,
	VC_PROOF_CHALLENGE_MISMATCH, /* the challenge asked for is missing or another */
	VC_PROOF_DOMAIN_MISMATCH,    /* the domain asked for is missing or another */
	/* eddsa-rdfc-2022: the document cannot become canonical RDF (an unknown context URL, an
	 * undefined term, a poison graph past the limits) */
	VC_PROOF_NOT_CANONICAL,
};

/* A short stable name for a check ("bad-signature"); never NULL. */
const char *vc_proof_check_name(enum vc_proof_check check);

/*
 * Resolves a verification method id to an Ed25519 public key, for proof purpose purpose.
 * Returns 0 and fills pk, or a negative OK_E… code with err filled.
 */
typedef int (*vc_proof_resolve_fn)(void *ctx, const char *verification_method, const char *purpose,
                                   uint8_t pk[VC_ED25519_PUB_BYTES], struct ok_error *err);

/* A resolver for did:key verification methods only (ctx is unused). */
int vc_proof_resolve_did_key(void *ctx, const char *verification_method, const char *purpose,
                             uint8_t pk[VC_ED25519_PUB_BYTES], struct ok_error *err);

/* The steps, for those who need them one by one */

/*
 * Builds the proof configuration for an unsecured document: type, cryptosuite, created (if
 * given), verificationMethod, proofPurpose, and @context copied from the document when it has
 * one. *config is a new reference (caller json_decref()s).
 */
int vc_proof_config(const json_t *unsecured, const struct vc_proof_options *opt, json_t **config,
                    struct ok_error *err);

/*
 * Computes hashData for an unsecured document (which must not hold "proof") and a proof
 * configuration, canonicalized as the configuration's cryptosuite says (OK_EINPUT for another
 * one). canon_doc and canon_config (each may be NULL) receive the canonical forms.
 */
int vc_proof_hash(const json_t *unsecured, const json_t *config, uint8_t hash[VC_PROOF_HASH_BYTES],
                  struct buf *canon_doc, struct buf *canon_config, struct ok_error *err);

/*
 * The eddsa-rdfc-2022 transformation of doc alone: its canonical N-Quads (JSON-LD toRdf over the
 * pinned contexts, then RDFC-1.0 with the default limits) appended to out. OK_EINPUT for a
 * document that is not JSON-LD oorkonde can process (the message names why), OK_ETOOBIG past a
 * limit; out is then unchanged.
 */
int vc_proof_rdfc_canonicalize(const json_t *doc, struct buf *out, struct ok_error *err);

/* Creating and verifying */

/*
 * Signs unsecured with the libsodium secret key sk (seed || public key). *secured gets a new
 * document (caller json_decref()s): a copy of unsecured with "proof" added. The copy is shallow
 * (its members are unsecured's own values, shared by reference, as is the proof's @context):
 * change neither document's nested values while the other is still in use. Fails with
 * OK_EUNSUPPORTED if unsecured already holds a proof (proof sets are not supported).
 */
int vc_proof_create(const json_t *unsecured, const struct vc_proof_options *opt,
                    const uint8_t sk[crypto_sign_SECRETKEYBYTES], json_t **secured,
                    struct ok_error *err);

/*
 * The same for a proof of another purpose (a presentation's: authentication) that carries the
 * verifier's challenge and domain when bind gives them (bind may be NULL: vc_proof_create).
 */
int vc_proof_create_bound(const json_t *unsecured, const struct vc_proof_options *opt,
                          const struct vc_proof_expect *bind,
                          const uint8_t sk[crypto_sign_SECRETKEYBYTES], json_t **secured,
                          struct ok_error *err);

/*
 * Verifies the proof of secured. Returns 0 if valid. Otherwise returns OK_EINVALID (or
 * OK_ENOMEM / OK_ETOOBIG), sets *failed (may be NULL) to the failing step and err to a message
 * naming it. resolve is called with ctx once the proof is well-formed.
 */
int vc_proof_verify(const json_t *secured, vc_proof_resolve_fn resolve, void *ctx,
                    enum vc_proof_check *failed, struct ok_error *err);
/*
 * The same with a verifier's expectations (expect may be NULL: a credential's). The purpose is
 * passed on to resolve, which decides whether the key may serve it.
 */
int vc_proof_verify_expect(const json_t *secured, const struct vc_proof_expect *expect,
                           vc_proof_resolve_fn resolve, void *ctx, enum vc_proof_check *failed,
                           struct ok_error *err);

/*
 * vc_proof_verify_expect on value doc of a json_tree read by vc_jcs_parse_tree: the same steps,
 * verdicts and messages. eddsa-jcs-2022 is hashed from the tree (the unsecured document and the
 * proof configuration written by skipping members, no copy); eddsa-rdfc-2022 (JSON-LD) takes
 * vc_proof_verify_expect on same, the caller's jansson copy of doc (json_tree_to_jansson_flags
 * with JSON_TREE_TO_REALS), only read; when same is NULL the document is converted for it.
 */
int vc_proof_verify_tree(const struct json_tree *t, uint32_t doc, const json_t *same,
                         const struct vc_proof_expect *expect, vc_proof_resolve_fn resolve,
                         void *ctx, enum vc_proof_check *failed, struct ok_error *err);

/* Whether s is an XML Schema dateTimeStamp ("2023-02-24T23:36:38Z", offset or Z required). */
bool vc_proof_valid_datetime(const char *s);

#endif
