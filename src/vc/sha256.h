/* SHA-256 for the proofs: OpenSSL's libcrypto, which uses the CPU's SHA extensions where they
 * exist (about 4x libsodium's portable code on a 3 KB credential; docs/benchmarks.md). */
#ifndef OK_VC_SHA256_H
#define OK_VC_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define VC_SHA256_BYTES 32

/* out = SHA-256(data[0..len)). Fails with OK_ECRYPTO only if libcrypto cannot compute it. */
int vc_sha256(const void *data, size_t len, uint8_t out[VC_SHA256_BYTES], struct ok_error *err);

#endif
