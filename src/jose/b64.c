/* Base64url without padding, strict, in time that depends on the length only. */
#include "jose/b64.h"

#include <sodium.h>
#include <stdbool.h>
#include <string.h>

/* Eight 6-bit values, one in each byte lane of v, to their base64url characters, with no table
 * and no branch on the data (as libsodium's codec, but eight lanes at a time): each lane counts
 * the alphabet's range boundaries it has reached, and the character is the value moved by them.
 * No step borrows across lanes: every lane stays within 0-255 throughout. */
static uint64_t b64_lanes(uint64_t v)
{
	const uint64_t lo = 0x0101010101010101u, hi = 0x8080808080808080u;
	uint64_t ge26 = (((v | hi) - 26 * lo) >> 7) & lo, ge52 = (((v | hi) - 52 * lo) >> 7) & lo;
	uint64_t ge62 = (((v | hi) - 62 * lo) >> 7) & lo, ge63 = (((v | hi) - 63 * lo) >> 7) & lo;

	/* 'A' + v; 'a' from 26 (+6); '0' from 52 (-75); '-' at 62 (-13); '_' at 63 (+49). */
	return v + 65 * lo + 6 * ge26 + 49 * ge63 - 75 * ge52 - 13 * ge62;
}

/* Writes the base64url of n bytes at in to out (JOSE_B64_ENCODED_LEN(n) characters, no NUL). */
static void b64_write(const uint8_t *in, size_t n, char *out)
{
	uint64_t bits, v;
	size_t i, k, rest;
	uint8_t tail[6] = {0};

	for (i = 0; i + 6 <= n; i += 6, out += 8) {
		bits = (uint64_t)in[i] << 40 | (uint64_t)in[i + 1] << 32 |
		       (uint64_t)in[i + 2] << 24 | (uint64_t)in[i + 3] << 16 |
		       (uint64_t)in[i + 4] << 8 | in[i + 5];
		for (v = 0, k = 0; k < 8; k++)
			v |= ((bits >> (42 - 6 * k)) & 63) << (8 * k);
		v = b64_lanes(v);
		for (k = 0; k < 8; k++)
			out[k] = (char)(v >> (8 * k));
	}
	rest = n - i;
	if (!rest)
		return;
	memcpy(tail, in + i, rest);
	bits = (uint64_t)tail[0] << 40 | (uint64_t)tail[1] << 32 | (uint64_t)tail[2] << 24 |
	       (uint64_t)tail[3] << 16 | (uint64_t)tail[4] << 8 | tail[5];
	for (v = 0, k = 0; k < 8; k++)
		v |= ((bits >> (42 - 6 * k)) & 63) << (8 * k);
	v = b64_lanes(v);
	for (k = 0; k < JOSE_B64_ENCODED_LEN(rest); k++)
		out[k] = (char)(v >> (8 * k));
	sodium_memzero(tail, sizeof(tail));
}

int jose_b64_encode(const void *in, size_t n, struct buf *out, struct ok_error *err)
{
	size_t need;
	int rc;

	if (n > (SIZE_MAX - 8) / 4 * 3)
		return ok_fail(err, OK_ETOOBIG, "value too long to encode");
	need = JOSE_B64_ENCODED_LEN(n);
	rc = buf_grow(out, need);
	if (rc)
		return ok_fail(err, rc, "encoded value too long");
	b64_write(in, n, out->data + out->len);
	out->len += need;
	out->data[out->len] = '\0';
	return 0;
}

void jose_b64_encode_to(const void *in, size_t n, char *out)
{
	b64_write(in, n, out);
	out[JOSE_B64_ENCODED_LEN(n)] = '\0';
}

/* Eight base64url characters, one in each byte lane of c (all below 128), to their 6-bit
 * values in the same lanes; *bad gets a non-zero lane where a character is not in the
 * alphabet. No table and no branch on the data: as b64_lanes, each lane tests the alphabet's
 * ranges by subtracting from its value with the high bit set, so no lane borrows from another. */
static uint64_t b64_values(uint64_t c, uint64_t *bad)
{
	const uint64_t lo = 0x0101010101010101u, hi = 0x8080808080808080u;
#define GE(k) ((((c | hi) - (k)*lo) >> 7) & lo)
	uint64_t upper = GE(65) & ~GE(91), lower = GE(97) & ~GE(123), digit = GE(48) & ~GE(58);
	uint64_t dash = GE(45) & ~GE(46), under = GE(95) & ~GE(96);
#undef GE

	*bad = (upper | lower | digit | dash | under) ^ lo;
	/* One class per valid lane: its additions first, then its subtraction (never below 0). */
	return c + 4 * digit + 17 * dash - 65 * upper - 71 * lower - 32 * under;
}

/* Decodes 8 characters at in (every byte below 128 checked) into 6 bytes; false when one is
 * not base64url. */
static bool b64_read8(const char *in, uint8_t out[6], uint64_t *bits)
{
	uint64_t c = 0, bad, v;
	size_t k;

	/* Lanes in the order of the characters whatever the byte order of the machine. */
	for (k = 0; k < 8; k++)
		c |= (uint64_t)(uint8_t)in[k] << (8 * k);
	if (c & 0x8080808080808080u)
		return false;
	v = b64_values(c, &bad);
	if (bad)
		return false;
	*bits = 0;
	for (k = 0; k < 8; k++)
		*bits |= ((v >> (8 * k)) & 63) << (42 - 6 * k);
	for (k = 0; k < 6; k++)
		out[k] = (uint8_t)(*bits >> (40 - 8 * k));
	return true;
}

int jose_b64_decode(const char *in, size_t n, uint8_t *out, size_t cap, size_t *out_len,
                    const char *field, struct ok_error *err)
{
	size_t i, o = 0, rest, len;
	uint8_t tail[6];
	char last[8];
	uint64_t bits;

	*out_len = 0;
	if (n % 4 == 1)
		return ok_fail_field(err, OK_EINPUT, field ? field : "",
		                     "base64url of impossible length");
	len = JOSE_B64_DECODED_LEN(n);
	if (len > cap)
		return ok_fail_field(err, OK_EINPUT, field ? field : "", "value too long");
	for (i = 0; i + 8 <= n; i += 8, o += 6)
		if (!b64_read8(in + i, out + o, &bits))
			goto bad;
	rest = n - i;
	if (rest) {
		/* The last characters, padded with 'A' (0): the bits past the last byte must be 0
		 * (RFC 4648 §3.5: one text per value). */
		memset(last, 'A', sizeof(last));
		memcpy(last, in + i, rest);
		if (!b64_read8(last, tail, &bits) ||
		    (bits & (((uint64_t)1 << (48 - 8 * (len - o))) - 1)) != 0)
			goto bad;
		memcpy(out + o, tail, len - o);
		sodium_memzero(tail, sizeof(tail));
		sodium_memzero(last, sizeof(last));
	}
	*out_len = len;
	return 0;
bad:
	sodium_memzero(out, len < cap ? len : cap);
	return ok_fail_field(err, OK_EINPUT, field ? field : "",
	                     "not base64url (RFC 4648, no padding)");
}

int jose_b64_decode_buf(const char *in, size_t n, struct buf *out, const char *field,
                        struct ok_error *err)
{
	size_t room = JOSE_B64_DECODED_LEN(n), len;
	int rc;

	if (n % 4 == 1)
		return ok_fail_field(err, OK_EINPUT, field ? field : "",
		                     "base64url of impossible length");
	rc = buf_grow(out, room);
	if (rc)
		return ok_fail_field(err, rc, field ? field : "", "value too long");
	rc = jose_b64_decode(in, n, (uint8_t *)out->data + out->len, room, &len, field, err);
	if (rc)
		return rc;
	out->len += len;
	out->data[out->len] = '\0';
	return 0;
}
