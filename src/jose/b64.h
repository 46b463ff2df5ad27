/* Base64url without padding (RFC 4648 §5), as JOSE and SD-JWT write every binary part.
 *
 * Invariants:
 * - Encoding runs in time that depends on the length only, never on the bytes (no table), and so
 *   does decoding of valid input (an invalid character ends it early).
 * - Decoding is strict: a character outside the alphabet, padding, a length of 4k+1 or non-zero
 *   unused bits fail with OK_EINPUT; nothing is skipped.
 * - Encoders append to a capped struct buf (OK_ETOOBIG when it would pass its cap).
 */
#ifndef OK_JOSE_B64_H
#define OK_JOSE_B64_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/error.h"

/* The number of bytes n base64url characters (n % 4 != 1) decode to. */
#define JOSE_B64_DECODED_LEN(n) (((n) / 4) * 3 + ((n) % 4 ? (n) % 4 - 1 : 0))

/* The number of characters the base64url form of n bytes has (no padding). */
#define JOSE_B64_ENCODED_LEN(n) (((n) / 3) * 4 + ((n) % 3 ? (n) % 3 + 1 : 0))

/* Appends the base64url form of the n bytes at in to out. */
int jose_b64_encode(const void *in, size_t n, struct buf *out, struct ok_error *err);
/* Writes the base64url form of the n bytes at in to out, which has room for
 * JOSE_B64_ENCODED_LEN(n) characters and a NUL. */
void jose_b64_encode_to(const void *in, size_t n, char *out);
/* Decodes the n characters at in into out (cap bytes); *out_len gets the decoded length. A
 * result longer than cap fails with OK_EINPUT. err->field is set to field (may be NULL). */
int jose_b64_decode(const char *in, size_t n, uint8_t *out, size_t cap, size_t *out_len,
                    const char *field, struct ok_error *err);
/* Decodes the n characters at in, appending the bytes to out (whose cap bounds the result). */
int jose_b64_decode_buf(const char *in, size_t n, struct buf *out, const char *field,
                        struct ok_error *err);

#endif
