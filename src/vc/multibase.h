/* Multibase text encodings of binary values (base58btc "z…", base64url "u…") and Multikey
 * encodings of Ed25519 keys, as used by did:key, Data Integrity proofs and JOSE.
 *
 * Invariants:
 * - Decoders are strict: any character outside the alphabet, padding, non-zero unused bits
 *   (base64url), an empty value, or a result longer than the caller's room fails with a message
 *   naming the problem and its position; nothing is guessed or skipped.
 * - Encoders append to a capped struct buf (which reports OK_ETOOBIG) or write into fixed
 *   arrays whose sizes are given here.
 * - Base58 costs time quadratic in the length, so it is limited to VC_BASE58_MAX_BYTES of binary
 *   data (and the matching number of characters): ample for keys, signatures and hashes.
 * - Secret material passed through these functions is wiped from their own stack copies.
 */
#ifndef OK_VC_MULTIBASE_H
#define OK_VC_MULTIBASE_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/error.h"

#define VC_BASE58_MAX_BYTES 1024
#define VC_BASE58_MAX_CHARS 1400 /* > 1024 × log(256)/log(58) */

#define VC_ED25519_PUB_BYTES  32
#define VC_ED25519_SEED_BYTES 32
/* Room for a multibase Multikey of an Ed25519 key ("z6Mk…", 48 characters) with its NUL. */
#define VC_MULTIKEY_MAX 64

enum vc_multibase {
	VC_MULTIBASE_BASE58BTC = 'z',
	VC_MULTIBASE_BASE64URL = 'u',
};

/* Base58 (Bitcoin alphabet), no prefix */

/* Appends the base58 form of the n bytes at in to out. */
int vc_base58_encode(const uint8_t *in, size_t n, struct buf *out, struct ok_error *err);
/* Decodes n characters at in into out (cap bytes); *out_len gets the decoded length. */
int vc_base58_decode(const char *in, size_t n, uint8_t *out, size_t cap, size_t *out_len,
                     struct ok_error *err);

/* Base64url (RFC 4648 §5), no padding, no prefix */

int vc_base64url_encode(const uint8_t *in, size_t n, struct buf *out, struct ok_error *err);
int vc_base64url_decode(const char *in, size_t n, uint8_t *out, size_t cap, size_t *out_len,
                        struct ok_error *err);

/* Multibase: the prefix character, then the encoding */

/* Appends base's prefix and the encoding of the n bytes at in to out. */
int vc_multibase_encode(enum vc_multibase base, const uint8_t *in, size_t n, struct buf *out,
                        struct ok_error *err);
/*
 * Decodes a multibase string of n characters (base58btc or base64url) into out (cap bytes).
 * *out_len gets the decoded length; base (may be NULL) gets the encoding that was used.
 */
int vc_multibase_decode(const char *in, size_t n, uint8_t *out, size_t cap, size_t *out_len,
                        enum vc_multibase *base, struct ok_error *err);

/* Multikey, Ed25519: base58btc of 0xed 0x01 + public key, or 0x80 0x26 + secret seed */

/* Writes "z6Mk…" for the public key pk into out, NUL terminated. */
int vc_multikey_encode_ed25519_pub(const uint8_t pk[VC_ED25519_PUB_BYTES],
                                   char out[VC_MULTIKEY_MAX], struct ok_error *err);
/* Reads the public key of a Multikey string; fails on another codec or a wrong key length. */
int vc_multikey_decode_ed25519_pub(const char *s, uint8_t pk[VC_ED25519_PUB_BYTES],
                                   struct ok_error *err);
/* Writes the secret-key Multikey ("z3u2…") for a 32-byte Ed25519 seed into out. The caller
 * wipes out (sodium_memzero) when done with it. */
int vc_multikey_encode_ed25519_seed(const uint8_t seed[VC_ED25519_SEED_BYTES],
                                    char out[VC_MULTIKEY_MAX], struct ok_error *err);
/* Reads the 32-byte seed of a secret-key Multikey. */
int vc_multikey_decode_ed25519_seed(const char *s, uint8_t seed[VC_ED25519_SEED_BYTES],
                                    struct ok_error *err);

#endif
