/* VC-JOSE: a credential secured as a compact JWS (application/vc+jwt) with alg EdDSA.
 *
 * Invariants:
 * - The protected header is {"alg":"EdDSA","kid":<verification method>,"typ":"vc+jwt"}; the
 *   payload is the credential itself (VC 2.0, no "vc" wrapper). Both are written as RFC 8785
 *   canonical JSON, so signing is deterministic.
 * - Verification is strict: exactly three non-empty base64url parts (no padding, no stray
 *   characters), a header of strict JSON with alg EdDSA, a kid, typ vc+jwt when present and no
 *   "crit"; a 64-byte Ed25519 signature over the ASCII "header.payload"; only then is the
 *   payload parsed, as strict JSON (vc/jcs.h rules) that must be an object.
 * - Malformed input fails with OK_EINPUT (OK_ETOOBIG over VC_JWT_MAX); a well-formed token that
 *   does not verify fails with OK_EINVALID. err->field names the part: "jws", "header",
 *   "header.alg", "header.typ", "header.kid", "header.crit", "signature", "payload".
 * - libsodium must be initialised (sodium_init()) by the caller.
 */
#ifndef OK_VC_JWT_H
#define OK_VC_JWT_H

#include <jansson.h>
#include <sodium.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/error.h"
#include "vc/proof.h"

#define VC_JWT_ALG "EdDSA"
#define VC_JWT_TYP "vc+jwt"
#define VC_JWT_MAX ((size_t)2 << 20) /* bytes of a compact JWS we accept */

/*
 * Signs payload (a JSON object) with the libsodium secret key sk and appends the compact JWS
 * "header.payload.signature" to out. kid is the verification method id.
 */
int vc_jwt_sign(const json_t *payload, const char *kid,
                const uint8_t sk[crypto_sign_SECRETKEYBYTES], struct buf *out,
                struct ok_error *err);

/*
 * Splits and verifies the compact JWS of len bytes at jws; the key of its kid comes from
 * resolve (purpose "assertionMethod"). On success *payload gets the parsed payload and, if
 * header is not NULL, *header the parsed header: new references the caller json_decref()s.
 * On failure both are NULL.
 */
int vc_jwt_verify(const char *jws, size_t len, vc_proof_resolve_fn resolve, void *ctx,
                  json_t **payload, json_t **header, struct ok_error *err);

#endif
