/* Strict base58btc and base64url, with the multibase prefixes and Ed25519 Multikey codecs. */
#include "vc/multibase.h"

#include <sodium.h>
#include <string.h>

static const char b58_alphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
static const char b64url_alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Work space for base58: digits of the largest value we accept, in either base. */
#define B58_WORK (VC_BASE58_MAX_BYTES * 138 / 100 + 2)

static const uint8_t multikey_ed25519_pub[2] = {0xed, 0x01};
static const uint8_t multikey_ed25519_priv[2] = {0x80, 0x26};

/* The value of each base58 character, -1 for the rest (a table: every proof is decoded). */
static const signed char b58_values[256] = {
        ['1'] = 1,  ['2'] = 2,  ['3'] = 3,  ['4'] = 4,  ['5'] = 5,  ['6'] = 6,  ['7'] = 7,
        ['8'] = 8,  ['9'] = 9,  ['A'] = 10, ['B'] = 11, ['C'] = 12, ['D'] = 13, ['E'] = 14,
        ['F'] = 15, ['G'] = 16, ['H'] = 17, ['J'] = 18, ['K'] = 19, ['L'] = 20, ['M'] = 21,
        ['N'] = 22, ['P'] = 23, ['Q'] = 24, ['R'] = 25, ['S'] = 26, ['T'] = 27, ['U'] = 28,
        ['V'] = 29, ['W'] = 30, ['X'] = 31, ['Y'] = 32, ['Z'] = 33, ['a'] = 34, ['b'] = 35,
        ['c'] = 36, ['d'] = 37, ['e'] = 38, ['f'] = 39, ['g'] = 40, ['h'] = 41, ['i'] = 42,
        ['j'] = 43, ['k'] = 44, ['m'] = 45, ['n'] = 46, ['o'] = 47, ['p'] = 48, ['q'] = 49,
        ['r'] = 50, ['s'] = 51, ['t'] = 52, ['u'] = 53, ['v'] = 54, ['w'] = 55, ['x'] = 56,
        ['y'] = 57, ['z'] = 58};

/* Stored one higher so that the table's zero means "not a digit". */
static int b58_digit(unsigned char c)
{
	return b58_values[c] - 1;
}

static int b64url_digit(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

static int add(struct buf *out, const void *data, size_t n, struct ok_error *err)
{
	int rc = buf_add(out, data, n);

	if (rc == OK_ETOOBIG)
		return ok_fail(err, rc, "encoded value would pass its limit of %zu bytes",
		               out->max);
	if (rc)
		return ok_fail(err, rc, "out of memory while encoding");
	return 0;
}

/* Base58 encoding works on limbs of five base-58 digits (58^5 < 2^32) and takes the input four
 * bytes at a time: about 20 times fewer divisions than digit by digit, byte by byte (a 64-byte
 * signature is part of every proof that is made). */
#define B58_LIMB      656356768u /* 58^5 */
#define B58_LIMB_WORK (B58_WORK / 5 + 2)

int vc_base58_encode(const uint8_t *in, size_t n, struct buf *out, struct ok_error *err)
{
	uint32_t limbs[B58_LIMB_WORK]; /* least significant first */
	char text[B58_WORK];
	size_t zeros = 0, nl = 0, i, j, t = 0, take, d;
	uint64_t carry, mul, v;
	uint32_t top;
	char tmp[5];
	int rc;

	if (n > VC_BASE58_MAX_BYTES)
		return ok_fail(err, OK_ETOOBIG,
		               "value of %zu bytes is too long for base58 (max %d)", n,
		               VC_BASE58_MAX_BYTES);
	while (zeros < n && in[zeros] == 0)
		zeros++;
	for (i = zeros; i < n; i += take) {
		take = n - i < 4 ? n - i : 4;
		carry = 0;
		for (j = 0; j < take; j++)
			carry = (carry << 8) | in[i + j];
		mul = (uint64_t)1 << (8 * take);
		/* limb * 2^32 + carry < 58^5 * 2^32 < 2^62, and the new carry < 2^32. */
		for (j = 0; j < nl; j++) {
			v = (uint64_t)limbs[j] * mul + carry;
			limbs[j] = (uint32_t)(v % B58_LIMB);
			carry = v / B58_LIMB;
		}
		while (carry) {
			limbs[nl++] = (uint32_t)(carry % B58_LIMB);
			carry /= B58_LIMB;
		}
	}
	for (i = 0; i < zeros; i++)
		text[t++] = '1';
	/* The top limb without its leading zero digits, then five digits per limb. */
	if (nl) {
		top = limbs[nl - 1];
		for (d = 0; top; top /= 58)
			tmp[d++] = b58_alphabet[top % 58];
		while (d)
			text[t++] = tmp[--d];
		for (i = nl - 1; i-- > 0;) {
			top = limbs[i];
			for (d = 5; d-- > 0; top /= 58)
				text[t + d] = b58_alphabet[top % 58];
			t += 5;
		}
	}
	rc = add(out, text, t, err);
	sodium_memzero(limbs, sizeof(limbs));
	sodium_memzero(text, sizeof(text));
	return rc;
}

#if defined(__SIZEOF_INT128__)
/* Limbs of 64 bits taking ten digits per step (58^10 < 2^59), with a 128-bit product: a
 * signature's 88 digits are nine steps over at most eight limbs. */
typedef uint64_t b58_limb;
typedef unsigned __int128 b58_wide;
#define B58_DIGITS_PER_STEP 10
#else
/* Limbs of 32 bits taking five digits per step (58^5 < 2^30). */
typedef uint32_t b58_limb;
typedef uint64_t b58_wide;
#define B58_DIGITS_PER_STEP 5
#endif
#define B58_LIMB_BYTES sizeof(b58_limb)

int vc_base58_decode(const char *in, size_t n, uint8_t *out, size_t cap, size_t *out_len,
                     struct ok_error *err)
{
	/* The value in limbs, least significant first. */
	b58_limb limbs[B58_WORK / B58_LIMB_BYTES + 2];
	size_t zeros = 0, nl = 0, len, i, j, take, total, top_bytes;
	b58_limb carry, mul;
	b58_wide v;
	int d, rc = 0;

	*out_len = 0;
	if (n == 0)
		return ok_fail(err, OK_EINPUT, "empty base58 value");
	if (n > VC_BASE58_MAX_CHARS)
		return ok_fail(err, OK_ETOOBIG,
		               "base58 value of %zu characters is too long (max %d)", n,
		               VC_BASE58_MAX_CHARS);
	while (zeros < n && in[zeros] == '1')
		zeros++;
	for (i = zeros; i < n; i += take) {
		take = n - i < B58_DIGITS_PER_STEP ? n - i : B58_DIGITS_PER_STEP;
		carry = 0;
		mul = 1;
		for (j = 0; j < take; j++) {
			/* Checked here, in order: the first character that is no digit is named. */
			if ((d = b58_digit((unsigned char)in[i + j])) < 0) {
				rc = ok_fail(err, OK_EINPUT,
				             "invalid base58 character at position %zu", i + j + 1);
				goto out;
			}
			carry = carry * 58 + (b58_limb)d;
			mul *= 58;
		}
		/* limb * mul + carry < 2^bits * mul: the new carry is below mul, one limb. */
		for (j = 0; j < nl; j++) {
			v = (b58_wide)limbs[j] * mul + carry;
			limbs[j] = (b58_limb)v;
			carry = (b58_limb)(v >> (8 * B58_LIMB_BYTES));
		}
		if (carry)
			limbs[nl++] = carry;
	}
	/* The value's bytes without leading zero bytes, as the digit-by-digit way gave them. */
	top_bytes = 0;
	for (b58_limb top = nl ? limbs[nl - 1] : 0; top; top >>= 8)
		top_bytes++;
	len = nl ? (nl - 1) * B58_LIMB_BYTES + top_bytes : 0;
	total = zeros + len;
	if (total > cap) {
		rc = ok_fail(err, OK_ETOOBIG, "base58 value decodes to %zu bytes, more than %zu",
		             total, cap);
		goto out;
	}
	memset(out, 0, zeros);
	/* Every limb but the top one whole, most significant byte first; the top one's bytes. */
	for (j = 0; j + 1 < nl; j++) {
		uint8_t *at = out + total - (j + 1) * B58_LIMB_BYTES;

		for (i = 0; i < B58_LIMB_BYTES; i++)
			at[B58_LIMB_BYTES - 1 - i] = (uint8_t)(limbs[j] >> (8 * i));
	}
	for (i = 0; i < top_bytes; i++)
		out[zeros + top_bytes - 1 - i] = (uint8_t)(limbs[nl - 1] >> (8 * i));
	*out_len = total;
out:
	sodium_memzero(limbs, nl * sizeof(limbs[0]));
	return rc;
}

int vc_base64url_encode(const uint8_t *in, size_t n, struct buf *out, struct ok_error *err)
{
	char quad[4];
	size_t i, rest;
	uint32_t v;
	int rc = 0;

	if (n / 3 > (SIZE_MAX - 4) / 4)
		return ok_fail(err, OK_ETOOBIG, "value too long to encode");
	rc = buf_grow(out, (n + 2) / 3 * 4);
	if (rc == OK_ETOOBIG)
		return ok_fail(err, rc, "encoded value would pass its limit of %zu bytes",
		               out->max);
	if (rc)
		return ok_fail(err, rc, "out of memory while encoding");
	for (i = 0; i + 3 <= n; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		quad[0] = b64url_alphabet[v >> 18];
		quad[1] = b64url_alphabet[(v >> 12) & 63];
		quad[2] = b64url_alphabet[(v >> 6) & 63];
		quad[3] = b64url_alphabet[v & 63];
		rc = add(out, quad, 4, err);
		if (rc)
			return rc;
	}
	rest = n - i;
	if (rest == 1) {
		v = (uint32_t)in[i] << 16;
		quad[0] = b64url_alphabet[v >> 18];
		quad[1] = b64url_alphabet[(v >> 12) & 63];
		rc = add(out, quad, 2, err);
	} else if (rest == 2) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		quad[0] = b64url_alphabet[v >> 18];
		quad[1] = b64url_alphabet[(v >> 12) & 63];
		quad[2] = b64url_alphabet[(v >> 6) & 63];
		rc = add(out, quad, 3, err);
	}
	return rc;
}

int vc_base64url_decode(const char *in, size_t n, uint8_t *out, size_t cap, size_t *out_len,
                        struct ok_error *err)
{
	size_t i, o = 0, need;
	uint32_t acc = 0;
	unsigned bits = 0;
	int d;

	*out_len = 0;
	if (n == 0)
		return ok_fail(err, OK_EINPUT, "empty base64url value");
	if (n % 4 == 1)
		return ok_fail(err, OK_EINPUT, "base64url value has an impossible length of %zu",
		               n);
	need = n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0);
	if (need > cap)
		return ok_fail(err, OK_ETOOBIG,
		               "base64url value decodes to %zu bytes, more than %zu", need, cap);
	for (i = 0; i < n; i++) {
		d = b64url_digit((unsigned char)in[i]);
		if (d < 0) {
			if (in[i] == '=')
				return ok_fail(
				        err, OK_EINPUT,
				        "base64url padding '=' is not allowed (position %zu)",
				        i + 1);
			return ok_fail(err, OK_EINPUT,
			               "invalid base64url character at position %zu", i + 1);
		}
		acc = (acc << 6) | (uint32_t)d;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (acc != 0)
		return ok_fail(err, OK_EINPUT,
		               "base64url value has non-zero unused bits at its end");
	*out_len = o;
	return 0;
}

int vc_multibase_encode(enum vc_multibase base, const uint8_t *in, size_t n, struct buf *out,
                        struct ok_error *err)
{
	char prefix = (char)base;
	size_t start = out->len;
	int rc;

	if (base != VC_MULTIBASE_BASE58BTC && base != VC_MULTIBASE_BASE64URL)
		return ok_fail(err, OK_EUNSUPPORTED, "unsupported multibase encoding");
	rc = add(out, &prefix, 1, err);
	if (rc)
		return rc;
	if (base == VC_MULTIBASE_BASE58BTC)
		rc = vc_base58_encode(in, n, out, err);
	else
		rc = vc_base64url_encode(in, n, out, err);
	if (rc)
		buf_truncate(out, start);
	return rc;
}

int vc_multibase_decode(const char *in, size_t n, uint8_t *out, size_t cap, size_t *out_len,
                        enum vc_multibase *base, struct ok_error *err)
{
	*out_len = 0;
	if (n < 2)
		return ok_fail(err, OK_EINPUT, "empty multibase value");
	if (base)
		*base = (enum vc_multibase)in[0];
	if (in[0] == 'z')
		return vc_base58_decode(in + 1, n - 1, out, cap, out_len, err);
	if (in[0] == 'u')
		return vc_base64url_decode(in + 1, n - 1, out, cap, out_len, err);
	return ok_fail(err, OK_EINPUT,
	               "unsupported multibase prefix (expected 'z' base58btc or 'u' base64url)");
}

/* Multikey */

static int multikey_encode(const uint8_t prefix[2], const uint8_t key[32],
                           char out[VC_MULTIKEY_MAX], struct ok_error *err)
{
	uint8_t raw[34];
	struct buf b;
	int rc;

	memcpy(raw, prefix, 2);
	memcpy(raw + 2, key, 32);
	buf_init(&b, VC_MULTIKEY_MAX - 1);
	rc = vc_multibase_encode(VC_MULTIBASE_BASE58BTC, raw, sizeof(raw), &b, err);
	if (!rc)
		memcpy(out, b.data, b.len + 1);
	sodium_memzero(raw, sizeof(raw));
	if (b.len)
		sodium_memzero(b.data, b.len);
	buf_release(&b);
	return rc;
}

static int multikey_decode(const char *s, const uint8_t prefix[2], const char *what,
                           uint8_t key[32], struct ok_error *err)
{
	uint8_t raw[VC_MULTIKEY_MAX];
	size_t n, len = 0;
	int rc;

	if (!s)
		return ok_fail(err, OK_EINPUT, "missing %s", what);
	n = strlen(s);
	if (n == 0 || s[0] != 'z')
		return ok_fail(err, OK_EINPUT, "%s must be base58btc multibase (start with 'z')",
		               what);
	rc = vc_multibase_decode(s, n, raw, sizeof(raw), &len, NULL, err);
	if (rc)
		goto out;
	if (len < 2 || raw[0] != prefix[0] || raw[1] != prefix[1]) {
		rc = ok_fail(err, OK_EINPUT, "%s has the wrong multicodec prefix", what);
		goto out;
	}
	if (len != 34) {
		rc = ok_fail(err, OK_EINPUT, "%s holds %zu key bytes, expected 32", what, len - 2);
		goto out;
	}
	memcpy(key, raw + 2, 32);
out:
	sodium_memzero(raw, sizeof(raw));
	return rc;
}

int vc_multikey_encode_ed25519_pub(const uint8_t pk[VC_ED25519_PUB_BYTES],
                                   char out[VC_MULTIKEY_MAX], struct ok_error *err)
{
	return multikey_encode(multikey_ed25519_pub, pk, out, err);
}

int vc_multikey_decode_ed25519_pub(const char *s, uint8_t pk[VC_ED25519_PUB_BYTES],
                                   struct ok_error *err)
{
	return multikey_decode(s, multikey_ed25519_pub, "Ed25519 public key multikey", pk, err);
}

int vc_multikey_encode_ed25519_seed(const uint8_t seed[VC_ED25519_SEED_BYTES],
                                    char out[VC_MULTIKEY_MAX], struct ok_error *err)
{
	return multikey_encode(multikey_ed25519_priv, seed, out, err);
}

int vc_multikey_decode_ed25519_seed(const char *s, uint8_t seed[VC_ED25519_SEED_BYTES],
                                    struct ok_error *err)
{
	return multikey_decode(s, multikey_ed25519_priv, "Ed25519 secret key multikey", seed, err);
}
