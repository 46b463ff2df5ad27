/* The encrypted answer of direct_post.jwt (OpenID4VP 1.0 §8.3): a compact JWE with ECDH-ES
 * key agreement on P-256 (direct, no wrapped key) and A128GCM or A256GCM content encryption
 * (RFC 7516, RFC 7518 §4.6 with the Concat KDF), decrypted with libcrypto.
 *
 * Invariants: only alg ECDH-ES, enc A128GCM / A256GCM, an epk on P-256 and an empty encrypted
 * key are accepted; "zip" and "crit" are refused; the header's text is the GCM additional
 * data; a tag that does not verify fails with OK_EINVALID, anything malformed with OK_EINPUT.
 * At most OID4VP_JWE_MAX bytes.
 */
#ifndef OK_OID4VP_JWE_H
#define OK_OID4VP_JWE_H

#include <stddef.h>

#include "core/buf.h"
#include "core/error.h"
#include "jose/jwk.h"

#define OID4VP_JWE_MAX ((size_t)4 << 20)

/* Decrypts the n bytes of a compact JWE at s with key (the request's ephemeral P-256 key),
 * appending the plaintext to out. */
int oid4vp_jwe_decrypt(const char *s, size_t n, const struct jose_signer *key, struct buf *out,
                       struct ok_error *err);

/* Encrypts n bytes at msg to the P-256 public key to (ECDH-ES with a fresh ephemeral key, enc
 * "A128GCM" or "A256GCM") and appends the compact JWE to out; for tests and benchmarks. */
int oid4vp_jwe_encrypt(const void *msg, size_t n, const struct jose_jwk *to, const char *enc,
                       struct buf *out, struct ok_error *err);

#endif
