/* Selective Disclosure for JWTs (SD-JWT, RFC 9901), compact form: issuing with a disclosure
 * frame, presenting a chosen part with an optional key-binding JWT, and verifying.
 *
 * Invariants:
 * - Issuing: every disclosure has a fresh 128-bit random salt; digests are SHA-256 of the
 *   disclosure's base64url text ("_sd_alg": "sha-256"); each "_sd" array is sorted; decoy digests
 *   are 32 random bytes, as uniform as a SHA-256 digest, and cannot be told from real ones. The
 *   salts and decoys come from libcrypto's DRBG. Disclosures of nested claims
 *   are made first, so a disclosed value may hold digests of its own (recursive disclosure).
 *   "_sd", "..." and "_sd_alg" can never be disclosed claim names.
 * - A disclosure frame is a JSON object: "_sd" lists the names (in an object) or indices (in an
 *   array) to make selectively disclosable, "_sd_decoy" the number of decoy digests to add, and
 *   any other member is the frame of the claim (or, by its decimal index, the array element) of
 *   that name. A presentation frame names what to disclose: true, or an object that discloses
 *   the claim and applies inside it.
 * - Verifying: the issuer's JWS signature with a key the caller's callback chooses and an
 *   allow-list of algorithms; every disclosure well formed (2 or 3 elements, string salt and
 *   name) and referenced exactly once; a digest seen twice anywhere, a disclosed name that
 *   exists already, a reserved name, or an object disclosure in an array (or the reverse) is
 *   refused. A key-binding JWT (typ kb+jwt) must be signed by the key in the payload's cnf.jwk,
 *   carry the sd_hash of the presentation, a recent iat and, when the caller asks, its aud and
 *   nonce.
 * - Bounds: at most JOSE_SDJWT_MAX bytes, JOSE_SDJWT_DISCLOSURES_MAX disclosures,
 *   JOSE_SDJWT_DIGESTS_MAX digests, JOSE_SDJWT_DEPTH_MAX levels of nesting.
 * - Malformed input fails with OK_EINPUT (OK_ETOOBIG past a bound), a check that does not hold
 *   with OK_EINVALID; err->field names the part ("sd-jwt", "disclosure", "kb-jwt", …).
 */
#ifndef OK_JOSE_SDJWT_H
#define OK_JOSE_SDJWT_H

#include <jansson.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/error.h"
#include "jose/jwk.h"
#include "jose/jws.h"

#define JOSE_SDJWT_MAX             ((size_t)1 << 20)
#define JOSE_SDJWT_DISCLOSURES_MAX 512
#define JOSE_SDJWT_DIGESTS_MAX     4096
#define JOSE_SDJWT_DEPTH_MAX       32
#define JOSE_SDJWT_DECOYS_MAX      64 /* per object or array in a frame */
#define JOSE_SDJWT_KB_TYP          "kb+jwt"
#define JOSE_SDJWT_KB_SKEW_S       300 /* how far in the future a KB-JWT's iat may be */

/*
 * Issues claims (a JSON object, not changed) made selectively disclosable by frame (may be
 * NULL: nothing), signed by signer with header's members (typ, x5c, …; may be NULL) beside alg.
 * Appends "<JWS>~<disclosure>~…~" to out.
 */
int jose_sdjwt_issue(const json_t *claims, const json_t *frame, const json_t *header,
                     const struct jose_signer *signer, struct buf *out, struct ok_error *err);

/* A key-binding JWT's contents: signed by holder. */
struct jose_sdjwt_kb {
	const struct jose_signer *holder;
	const char *aud;
	const char *nonce;
	int64_t iat;
};

/*
 * Appends to out a presentation of the issued SD-JWT of n bytes at sdjwt (its signature is not
 * checked here) with the disclosures that frame selects (NULL: none), and a key-binding JWT when
 * kb is not NULL.
 */
int jose_sdjwt_present(const char *sdjwt, size_t n, const json_t *frame,
                       const struct jose_sdjwt_kb *kb, struct buf *out, struct ok_error *err);

/*
 * Chooses the issuer's key from the JWS header and the (not yet verified) claims, filling key:
 * claims is the payload with the disclosures applied, as jose_sdjwt_result gives it, or NULL
 * when the disclosures could not be applied (the verification then fails all the same, with
 * the signature's error first if there is one). It returns 0, or a code with err filled (the
 * verification fails with it). Since claims include the holder's disclosed values, a resolver
 * must choose the key only from claims kept in the clear (name them in plain_only, as the
 * registry does with iss).
 */
typedef int (*jose_sdjwt_key_fn)(void *ctx, const json_t *header, const json_t *payload,
                                 struct jose_jwk *key, struct ok_error *err);

struct jose_sdjwt_expect {
	unsigned algs;                /* the issuer's allowed algorithms (enum jose_alg mask) */
	jose_sdjwt_key_fn issuer_key; /* required */
	void *ctx;
	const char *typ;         /* the header's typ must be this (NULL: not checked) */
	int require_kb;          /* a key-binding JWT must be present */
	const char *aud, *nonce; /* the KB-JWT must carry these (NULL: not checked) */
	int64_t now;             /* seconds since the epoch */
	int64_t kb_max_age_s;    /* how old a KB-JWT's iat may be (0: 300 s) */
	/* Top-level claims that must be in the clear: a disclosure of one of these names fails
	 * the verification (NULL-terminated; NULL: none). */
	const char *const *plain_only;
	/* The verifier's memo of issuer headers (jws.h; NULL: none): r->header may then be shared
	 * with it, and is not to be changed. */
	struct jose_jws_header_memo *headers;
};

struct jose_sdjwt_result {
	json_t *header;     /* the issuer JWS's protected header */
	json_t *claims;     /* the payload with the disclosures applied; no _sd, _sd_alg */
	int key_bound;      /* 1: a key-binding JWT was there, and every check of it held */
	size_t disclosures; /* how many were presented */
};

/* Verifies the SD-JWT (with or without a KB-JWT) of n bytes at s; the caller releases r, also
 * on failure (where it holds nothing). */
int jose_sdjwt_verify(const char *s, size_t n, const struct jose_sdjwt_expect *x,
                      struct jose_sdjwt_result *r, struct ok_error *err);
void jose_sdjwt_result_release(struct jose_sdjwt_result *r);

#endif
