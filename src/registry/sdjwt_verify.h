/* Verifying an SD-JWT VC (compact "~" form, with or without a key-binding JWT) through the
 * verification pipeline of verify.h: the same checks, result and explanations as a W3C
 * credential's. registry_verify hands an input holding '~' here. */
#ifndef OK_REGISTRY_SDJWT_VERIFY_H
#define OK_REGISTRY_SDJWT_VERIFY_H

#include <stddef.h>

#include "registry/verify.h"

/* Whether the len bytes at s look like an SD-JWT: a compact JWS followed by '~'. */
bool registry_is_sdjwt(const char *s, size_t len);

/*
 * proof: ES256 signature with the x5c chain's leaf key, the chain leading to a trusted root (the
 * depository's own wallet CA and the roots in wallet-roots.pem), every disclosure referenced
 * once, the key-binding JWT (holder key cnf.jwk, sd_hash, iat, and o->kb_nonce / o->kb_aud when
 * set); validity: exp, iat; status: the Token Status List entry, when present, of the
 * depository's own lists; issuer: iss is this depository. Returns as registry_verify does.
 */
int registry_verify_sdjwt(struct depository *d, const char *s, size_t len,
                          const struct verify_options *o, struct verify_result *r,
                          struct ok_error *err);

#endif
