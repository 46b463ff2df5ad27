/* JWS compact serialization (RFC 7515): signing with ES256 or EdDSA, and strict parsing and
 * verification against an explicit allow-list of algorithms.
 *
 * Invariants:
 * - Algorithms come from the caller's allow-list (a mask of enum jose_alg) only: "none" and the
 *   HMAC algorithms are refused whatever the list, as is any unknown name. The key must suit the
 *   algorithm (ES256: EC P-256, EdDSA: OKP Ed25519, RS256/PS256: RSA), so no key is ever used
 *   under another algorithm (no alg confusion).
 * - ES256 signatures are the raw 64-byte r‖s form (RFC 7518 §3.4); high-S values are valid.
 * - Parsing is strict: exactly three base64url parts (no padding), a non-empty payload, a
 *   protected header of JSON without duplicate names that is an object; "crit" names only
 *   members the caller understands and that are present; "b64" is refused. Sizes: the token at
 *   most JOSE_JWS_MAX bytes, its header at most JOSE_JWS_HEADER_MAX.
 * - Malformed input fails with OK_EINPUT (OK_ETOOBIG when too long), a signature that does not
 *   verify with OK_EINVALID; err->field names the part ("header", "header.alg", "header.crit",
 *   "payload", "signature").
 */
#ifndef OK_JOSE_JWS_H
#define OK_JOSE_JWS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/error.h"
#include "jose/jwk.h"

#define JOSE_JWS_MAX        ((size_t)1 << 20)
#define JOSE_JWS_HEADER_MAX ((size_t)32 << 10) /* room for an x5c chain of a few certificates */
#define JOSE_JWS_SIG_MAX    1024               /* an RSA-8192 signature */

struct jose_jws {
	json_t *header;     /* the protected header */
	enum jose_alg alg;  /* its alg, one of the allowed */
	struct buf payload; /* the decoded payload */
	uint8_t sig[JOSE_JWS_SIG_MAX];
	size_t sig_len;
	const char *signing_input; /* "header.payload" inside the caller's token */
	size_t signing_input_len;
};

/*
 * Splits and decodes the compact JWS of n bytes at s (which must outlive jws: signing_input
 * points into it). allowed is a mask of enum jose_alg; crit_ok a NULL-terminated list of the
 * "crit" names the caller understands (may be NULL). The caller releases jws, also on failure.
 */
int jose_jws_parse(const char *s, size_t n, unsigned allowed, const char *const *crit_ok,
                   struct jose_jws *jws, struct ok_error *err);
/*
 * What a verifier remembers of the protected headers it parsed (zeroed: nothing; released with
 * jose_jws_header_memo_release; not shared between threads): each header's base64url text and
 * its JSON, so that the same header again (an issuer's: alg, typ and its x5c chain, the same in
 * every credential it signs) is not decoded and parsed again. Only the parsing is skipped: the
 * header's checks and the signature over its bytes are made every time. The JSON is shared:
 * whoever gets it from jose_jws_parse_memo must not change it.
 */
#define JOSE_JWS_HEADER_MEMO_ENTRIES 4
struct jose_jws_header_memo {
	struct {
		char *text; /* owned; NULL: an empty entry */
		size_t len;
		json_t *header;
	} e[JOSE_JWS_HEADER_MEMO_ENTRIES];
	size_t next; /* the entry replaced next */
};

/* jose_jws_parse through memo (NULL: none). */
int jose_jws_parse_memo(const char *s, size_t n, unsigned allowed, const char *const *crit_ok,
                        struct jose_jws_header_memo *memo, struct jose_jws *jws,
                        struct ok_error *err);
void jose_jws_header_memo_release(struct jose_jws_header_memo *memo);

/* Verifies the signature of a parsed JWS with key. */
int jose_jws_verify(const struct jose_jws *jws, const struct jose_jwk *key, struct ok_error *err);
/* Parses the payload as a JSON object (no duplicate names); *out is a new reference. */
int jose_jws_payload_json(const struct jose_jws *jws, json_t **out, struct ok_error *err);
void jose_jws_release(struct jose_jws *jws);

/*
 * Appends the compact JWS of the n payload bytes to out. header holds the members other than
 * "alg" (may be NULL), which the signer's algorithm sets first.
 */
int jose_jws_sign(const json_t *header, const void *payload, size_t n,
                  const struct jose_signer *signer, struct buf *out, struct ok_error *err);
/* The same, for a JSON payload, written compact. */
int jose_jws_sign_json(const json_t *header, const json_t *payload,
                       const struct jose_signer *signer, struct buf *out, struct ok_error *err);

/* The raw signature primitives, used by jose_jws_*, and alone by the benchmark. */
int jose_es256_sign(EVP_PKEY *key, const void *msg, size_t n, uint8_t sig[64],
                    struct ok_error *err);
int jose_es256_verify(EVP_PKEY *key, const void *msg, size_t n, const uint8_t sig[64],
                      struct ok_error *err);

#endif
