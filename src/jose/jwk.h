/* JSON Web Keys (RFC 7517/7518/8037) for the public keys oorkonde meets in JOSE: EC P-256,
 * OKP Ed25519 and RSA; RFC 7638 thumbprints; and the signing keys it holds itself (ES256, EdDSA).
 *
 * Invariants:
 * - A parsed jose_jwk is a valid public key: an EC point is on P-256, an Ed25519 key is 32
 *   bytes, an RSA modulus has 2048 to 8192 bits and an odd exponent. Any other kty or curve, a
 *   private member ("d", "p", …) or a missing member fails with OK_EINPUT naming the member.
 * - jose_jwk and jose_signer own their OpenSSL keys; _release frees them (and wipes the
 *   Ed25519 secret). A zeroed struct is a valid empty one that _release accepts.
 * - libsodium must be initialised (sodium_init()) by the caller.
 */
#ifndef OK_JOSE_JWK_H
#define OK_JOSE_JWK_H

#include <jansson.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/error.h"

enum jose_kty {
	JOSE_KTY_NONE = 0,
	JOSE_KTY_EC,  /* P-256 only */
	JOSE_KTY_OKP, /* Ed25519 only */
	JOSE_KTY_RSA,
};

#define JOSE_ED25519_BYTES 32
#define JOSE_P256_BYTES    32 /* a coordinate, a scalar, half of an ES256 signature */
/* Room for a thumbprint in base64url (43 characters) and its NUL. */
#define JOSE_THUMBPRINT_MAX 44

struct jose_jwk {
	enum jose_kty kty;
	EVP_PKEY *pkey;                      /* EC and RSA: the public key */
	uint8_t ed25519[JOSE_ED25519_BYTES]; /* OKP: the public key */
};

/* Reads a public JWK from the JSON object obj into key (which the caller releases). */
int jose_jwk_parse(const json_t *obj, struct jose_jwk *key, struct ok_error *err);
/* Takes the public part of an OpenSSL EC P-256, RSA or Ed25519 key (for example a certificate's).
 */
int jose_jwk_from_pkey(EVP_PKEY *pkey, struct jose_jwk *key, struct ok_error *err);
/* *out gets a new JSON object with the key's public members (the caller json_decref()s it). */
int jose_jwk_to_json(const struct jose_jwk *key, json_t **out, struct ok_error *err);
/* The RFC 7638 thumbprint (SHA-256 of the required members in canonical order), base64url. */
int jose_jwk_thumbprint(const struct jose_jwk *key, char out[JOSE_THUMBPRINT_MAX],
                        struct ok_error *err);
/* Whether a and b are the same public key. */
int jose_jwk_equal(const struct jose_jwk *a, const struct jose_jwk *b);
void jose_jwk_release(struct jose_jwk *key);

/* Signing keys */

enum jose_alg {
	JOSE_ALG_NONE = 0,
	JOSE_ALG_ES256 = 1 << 0,
	JOSE_ALG_EDDSA = 1 << 1,
	JOSE_ALG_RS256 = 1 << 2,
	JOSE_ALG_PS256 = 1 << 3,
};

struct jose_signer {
	enum jose_alg alg;                              /* ES256 or EdDSA */
	EVP_PKEY *ec;                                   /* ES256: the P-256 private key */
	uint8_t ed25519_sk[crypto_sign_SECRETKEYBYTES]; /* EdDSA: libsodium's secret key */
};

/* A new random P-256 key. */
int jose_signer_es256_generate(struct jose_signer *s, struct ok_error *err);
/* The P-256 key with private scalar d (big-endian); d must be in [1, n-1]. */
int jose_signer_es256_from_d(struct jose_signer *s, const uint8_t d[JOSE_P256_BYTES],
                             struct ok_error *err);
/* Takes a P-256 private key (e.g. read from PEM); s owns it from then on, also on failure. */
int jose_signer_es256_from_pkey(struct jose_signer *s, EVP_PKEY *pkey, struct ok_error *err);
/* Writes the private scalar of an ES256 signer (the caller wipes it). */
int jose_signer_es256_d(const struct jose_signer *s, uint8_t d[JOSE_P256_BYTES],
                        struct ok_error *err);
/* The Ed25519 key of a 32-byte seed. */
int jose_signer_ed25519_from_seed(struct jose_signer *s, const uint8_t seed[JOSE_ED25519_BYTES],
                                  struct ok_error *err);
/* The signer's public key. */
int jose_signer_public(const struct jose_signer *s, struct jose_jwk *key, struct ok_error *err);
void jose_signer_release(struct jose_signer *s);

/* The JOSE name of an algorithm ("ES256"); NULL for none or several. */
const char *jose_alg_name(enum jose_alg alg);

#endif
