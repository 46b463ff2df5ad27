/* Unit tests for base58btc, base64url, multibase prefixes and Ed25519 Multikey. */
#include "vc_test.h"

#include <sodium.h>

#include "vc/multibase.h"

static void expect_b58(const char *hex_in, const char *want)
{
	uint8_t bin[64], back[64];
	size_t n = 0, m = 0;
	struct ok_error err;
	struct buf b;

	assert_int_equal(sodium_hex2bin(bin, sizeof(bin), hex_in, strlen(hex_in), NULL, &n, NULL),
	                 0);
	buf_init(&b, 0);
	assert_int_equal(vc_base58_encode(bin, n, &b, &err), 0);
	assert_string_equal(b.data, want);
	assert_int_equal(vc_base58_decode(b.data, b.len, back, sizeof(back), &m, &err), 0);
	assert_int_equal(m, n);
	assert_memory_equal(back, bin, n);
	buf_release(&b);
}

static void base58_known_values(void **state)
{
	(void)state;
	/* From the base58 draft (draft-msporny-base58) and Bitcoin's own tests. */
	expect_b58("48656c6c6f20576f726c6421", "2NEpo7TZRRrLZSi2U");
	expect_b58("54686520717569636b2062726f776e20666f78206a756d7073206f76657220746865206c617a"
	           "7920646f672e",
	           "USm3fpXnKG5EUBx2ndxBDMPVciP5hGey2Jh4NDv6gmeo1LkMeiKrLJUUBk6Z");
	expect_b58("0000287fb4cd", "11233QC4");
	expect_b58("00", "1");
	expect_b58("0000", "11");
	expect_b58("61", "2g");
	expect_b58("626262", "a3gV");
	expect_b58("ff", "5Q");
}

/* Digit by digit, byte by byte: the textbook base58, to hold the limb-wise encoder to. */
static size_t b58_reference(const uint8_t *in, size_t n, char *text)
{
	static const char alpha[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
	uint8_t digits[1500] = {0};
	size_t zeros = 0, len = 0, i, j, t = 0;
	unsigned carry;

	while (zeros < n && in[zeros] == 0)
		zeros++;
	for (i = zeros; i < n; i++) {
		carry = in[i];
		for (j = 0; j < len || carry; j++) {
			carry += 256u * digits[j];
			digits[j] = (uint8_t)(carry % 58);
			carry /= 58;
		}
		len = j;
	}
	for (i = 0; i < zeros; i++)
		text[t++] = '1';
	while (len)
		text[t++] = alpha[digits[--len]];
	text[t] = '\0';
	return t;
}

static void base58_matches_reference(void **state)
{
	uint8_t bin[300], back[300];
	char want[512];
	struct ok_error err;
	size_t n, m, round;
	struct buf b;

	(void)state;
	for (round = 0; round < 2000; round++) {
		n = round % 300;
		randombytes_buf(bin, n);
		/* Leading zeros, and runs of 0x00 and 0xff inside. */
		if (round % 7 == 0 && n > 3)
			memset(bin, 0, round % 3 + 1);
		if (round % 11 == 0 && n > 20)
			memset(bin + 8, 0xff, 9);
		b58_reference(bin, n, want);
		buf_init(&b, 0);
		assert_int_equal(vc_base58_encode(bin, n, &b, &err), 0);
		assert_string_equal(b.data, want);
		if (n) {
			assert_int_equal(
			        vc_base58_decode(b.data, b.len, back, sizeof(back), &m, &err), 0);
			assert_int_equal(m, n);
			assert_memory_equal(back, bin, n);
		}
		buf_release(&b);
	}
	/* Any base58 text decodes to the bytes that encode back to it (base58 has one spelling
	 * per value), across lengths where the limbs fill up unevenly. */
	for (round = 0; round < 2000; round++) {
		static const char alpha[] =
		        "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
		char text[200];
		size_t len = 1 + round % 150, k;

		randombytes_buf(text, len);
		for (k = 0; k < len; k++)
			text[k] = alpha[(unsigned char)text[k] % 58];
		text[len] = '\0';
		if (vc_base58_decode(text, len, back, sizeof(back), &m, &err) != 0)
			fail_msg("%s does not decode: %s", text, err.message);
		buf_init(&b, 0);
		assert_int_equal(vc_base58_encode(back, m, &b, &err), 0);
		assert_string_equal(b.data, text);
		buf_release(&b);
	}
	/* The longest value accepted, all ones: the most limbs and digits there can be. */
	{
		static uint8_t big[VC_BASE58_MAX_BYTES];
		static char big_want[1500];

		memset(big, 0xff, sizeof(big));
		b58_reference(big, sizeof(big), big_want);
		buf_init(&b, 0);
		assert_int_equal(vc_base58_encode(big, sizeof(big), &b, &err), 0);
		assert_string_equal(b.data, big_want);
		buf_release(&b);
	}
}

/* The decoder (limbs of 64 bits where the compiler has a 128-bit product, else of 32) against
 * the rule digit by digit: for random texts of every length up to the longest accepted, with
 * leading '1's, a character that is no digit at a random place now and then, and room of
 * exactly the value's bytes and one less, the same bytes, codes and messages. */
static int b58_value(char c)
{
	static const char alpha[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
	const char *p = c ? strchr(alpha, c) : NULL;

	return p ? (int)(p - alpha) : -1;
}

/* Decodes text byte by byte (big-endian, value = value * 58 + digit); returns the length, or
 * -(position) of the first character that is no digit. */
static long b58_decode_reference(const char *text, size_t n, uint8_t *out)
{
	static uint8_t v[VC_BASE58_MAX_CHARS];
	size_t len = 0, zeros = 0, i, k;

	while (zeros < n && text[zeros] == '1')
		zeros++;
	for (i = 0; i < n; i++)
		if (b58_value(text[i]) < 0)
			return -(long)(i + 1);
	for (i = zeros; i < n; i++) {
		unsigned carry = (unsigned)b58_value(text[i]);

		for (k = len; k-- > 0;) {
			carry += 58u * v[k];
			v[k] = (uint8_t)carry;
			carry >>= 8;
		}
		while (carry) {
			memmove(v + 1, v, len++);
			v[0] = (uint8_t)carry;
			carry >>= 8;
		}
	}
	memset(out, 0, zeros);
	memcpy(out + zeros, v, len);
	return (long)(zeros + len);
}

static void base58_decode_matches_digit_by_digit(void **state)
{
	static const char alpha[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
	static char text[VC_BASE58_MAX_CHARS + 1];
	static uint8_t want[VC_BASE58_MAX_CHARS], got[VC_BASE58_MAX_CHARS];
	uint64_t s = 0x243f6a8885a308d3u;
	struct ok_error err;
	size_t round, n, k, m;
	char msg[128];
	long w;

	(void)state;
	for (round = 0; round < 3000; round++) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		n = round < 2600 ? 1 + round % 130 : 1 + (size_t)(s % VC_BASE58_MAX_CHARS);
		for (k = 0; k < n; k++) {
			s ^= s << 13;
			s ^= s >> 7;
			s ^= s << 17;
			text[k] = alpha[s % 58];
		}
		if (round % 5 == 0) /* leading zeros */
			memset(text, '1', 1 + round % 7 < n ? 1 + round % 7 : n);
		if (round % 9 == 4) /* one character that is no digit */
			text[s % n] = "0OIl +\x80"[round % 7];
		w = b58_decode_reference(text, n, want);
		if (w < 0) {
			assert_int_equal(vc_base58_decode(text, n, got, sizeof(got), &m, &err),
			                 OK_EINPUT);
			snprintf(msg, sizeof(msg), "invalid base58 character at position %ld", -w);
			assert_string_equal(err.message, msg);
			continue;
		}
		assert_int_equal(vc_base58_decode(text, n, got, (size_t)w, &m, &err), 0);
		assert_int_equal(m, (size_t)w);
		assert_memory_equal(got, want, m);
		if (w > 0) {
			assert_int_equal(vc_base58_decode(text, n, got, (size_t)w - 1, &m, &err),
			                 OK_ETOOBIG);
			snprintf(msg, sizeof(msg),
			         "base58 value decodes to %ld bytes, more than %ld", w, w - 1);
			assert_string_equal(err.message, msg);
		}
	}
}

static void base58_rejects(void **state)
{
	uint8_t out[8];
	size_t n;
	struct ok_error err;
	char big[VC_BASE58_MAX_CHARS + 2];

	(void)state;
	assert_int_equal(vc_base58_decode("", 0, out, sizeof(out), &n, &err), OK_EINPUT);
	assert_int_equal(vc_base58_decode("abc0", 4, out, sizeof(out), &n, &err), OK_EINPUT);
	assert_non_null(strstr(err.message, "position 4"));
	assert_int_equal(vc_base58_decode("O", 1, out, sizeof(out), &n, &err), OK_EINPUT);
	assert_int_equal(vc_base58_decode("I", 1, out, sizeof(out), &n, &err), OK_EINPUT);
	assert_int_equal(vc_base58_decode("l", 1, out, sizeof(out), &n, &err), OK_EINPUT);
	assert_int_equal(vc_base58_decode("a b", 3, out, sizeof(out), &n, &err), OK_EINPUT);
	assert_int_equal(vc_base58_decode("a\0b", 3, out, sizeof(out), &n, &err), OK_EINPUT);
	/* Too long for the room given: an overflow is an error, not a cut. */
	assert_int_equal(vc_base58_decode("zzzzzzzzzzzzzzzz", 16, out, sizeof(out), &n, &err),
	                 OK_ETOOBIG);
	assert_int_equal(vc_base58_decode("111111111", 9, out, sizeof(out), &n, &err), OK_ETOOBIG);
	memset(big, 'z', sizeof(big));
	assert_int_equal(vc_base58_decode(big, sizeof(big), out, sizeof(out), &n, &err),
	                 OK_ETOOBIG);
}

static void base64url_round_trips_and_rejects(void **state)
{
	static const char *const want[] = {"",       "Zg",      "Zm8",     "Zm9v",
	                                   "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
	uint8_t out[16], bin[3] = {0xfb, 0xff, 0xbf};
	struct ok_error err;
	struct buf b;
	size_t i, n;

	(void)state;
	for (i = 1; i < 7; i++) {
		buf_init(&b, 0);
		assert_int_equal(vc_base64url_encode((const uint8_t *)"foobar", i, &b, &err), 0);
		assert_string_equal(b.data, want[i]);
		assert_int_equal(vc_base64url_decode(b.data, b.len, out, sizeof(out), &n, &err), 0);
		assert_int_equal(n, i);
		assert_memory_equal(out, "foobar", i);
		buf_release(&b);
	}
	buf_init(&b, 0);
	assert_int_equal(vc_base64url_encode(bin, 3, &b, &err), 0);
	assert_string_equal(b.data, "-_-_");
	buf_release(&b);
	assert_int_equal(vc_base64url_decode("Zm9v+g", 6, out, sizeof(out), &n, &err), OK_EINPUT);
	assert_int_equal(vc_base64url_decode("Zm9v/g", 6, out, sizeof(out), &n, &err), OK_EINPUT);
	assert_int_equal(vc_base64url_decode("Zg==", 4, out, sizeof(out), &n, &err), OK_EINPUT);
	assert_non_null(strstr(err.message, "padding"));
	assert_int_equal(vc_base64url_decode("Zm9vY", 5, out, sizeof(out), &n, &err), OK_EINPUT);
	assert_int_equal(vc_base64url_decode("Zh", 2, out, sizeof(out), &n, &err), OK_EINPUT);
	assert_non_null(strstr(err.message, "unused bits"));
	assert_int_equal(vc_base64url_decode("", 0, out, sizeof(out), &n, &err), OK_EINPUT);
	assert_int_equal(
	        vc_base64url_decode("Zm9vYmFyZm9vYmFyZm9vYmFy", 24, out, sizeof(out), &n, &err),
	        OK_ETOOBIG);
	/* The cap of the output buffer is respected. */
	buf_init(&b, 3);
	assert_int_equal(vc_base64url_encode((const uint8_t *)"foo", 3, &b, &err), OK_ETOOBIG);
	buf_release(&b);
}

static void multibase_prefixes(void **state)
{
	uint8_t out[16];
	enum vc_multibase base;
	struct ok_error err;
	struct buf b;
	size_t n;

	(void)state;
	buf_init(&b, 0);
	assert_int_equal(
	        vc_multibase_encode(VC_MULTIBASE_BASE58BTC, (const uint8_t *)"a", 1, &b, &err), 0);
	assert_string_equal(b.data, "z2g");
	buf_reset(&b);
	assert_int_equal(
	        vc_multibase_encode(VC_MULTIBASE_BASE64URL, (const uint8_t *)"f", 1, &b, &err), 0);
	assert_string_equal(b.data, "uZg");
	buf_release(&b);
	assert_int_equal(vc_multibase_decode("uZg", 3, out, sizeof(out), &n, &base, &err), 0);
	assert_int_equal(base, VC_MULTIBASE_BASE64URL);
	assert_int_equal(n, 1);
	assert_int_equal(vc_multibase_decode("z2g", 3, out, sizeof(out), &n, &base, &err), 0);
	assert_int_equal(base, VC_MULTIBASE_BASE58BTC);
	assert_int_equal(vc_multibase_decode("mZg", 3, out, sizeof(out), &n, &base, &err),
	                 OK_EINPUT);
	assert_non_null(strstr(err.message, "prefix"));
	assert_int_equal(vc_multibase_decode("z", 1, out, sizeof(out), &n, &base, &err), OK_EINPUT);
}

static void multikey_ed25519(void **state)
{
	/* The W3C test vector key pair. */
	static const char pub[] = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2";
	static const char priv[] = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq";
	uint8_t seed[32], pk[32], sk[64], pk2[32];
	char mk[VC_MULTIKEY_MAX];
	struct ok_error err;
	size_t n;

	(void)state;
	assert_int_equal(vc_multikey_decode_ed25519_seed(priv, seed, &err), 0);
	crypto_sign_seed_keypair(pk, sk, seed);
	assert_int_equal(vc_multikey_encode_ed25519_pub(pk, mk, &err), 0);
	assert_string_equal(mk, pub);
	assert_int_equal(vc_multikey_decode_ed25519_pub(pub, pk2, &err), 0);
	assert_memory_equal(pk, pk2, 32);
	/* A secret key is not a public key, and the other way round. */
	assert_int_equal(vc_multikey_decode_ed25519_pub(priv, pk2, &err), OK_EINPUT);
	assert_non_null(strstr(err.message, "multicodec"));
	assert_int_equal(vc_multikey_decode_ed25519_seed(pub, seed, &err), OK_EINPUT);
	/* Wrong lengths: 31 and 33 key bytes behind the right prefix. */
	for (n = 33; n <= 35; n += 2) {
		uint8_t raw[35] = {0xed, 0x01};
		struct buf b;

		buf_init(&b, 0);
		assert_int_equal(vc_multibase_encode(VC_MULTIBASE_BASE58BTC, raw, n, &b, &err), 0);
		assert_int_equal(vc_multikey_decode_ed25519_pub(b.data, pk2, &err), OK_EINPUT);
		assert_non_null(strstr(err.message, "expected 32"));
		buf_release(&b);
	}
	assert_int_equal(vc_multikey_decode_ed25519_pub("u7QE", pk2, &err), OK_EINPUT);
	assert_int_equal(vc_multikey_decode_ed25519_pub("", pk2, &err), OK_EINPUT);
	assert_int_equal(vc_multikey_decode_ed25519_pub(NULL, pk2, &err), OK_EINPUT);
}

static void random_round_trips(void **state)
{
	uint8_t in[200], out[200];
	struct ok_error err;
	struct buf b;
	size_t n, m;
	int i;

	(void)state;
	for (i = 0; i < 300; i++) {
		n = (size_t)i % sizeof(in);
		randombytes_buf(in, n);
		if (i % 5 == 0 && n > 2)
			in[0] = in[1] = 0;
		buf_init(&b, 0);
		if (n) {
			assert_int_equal(vc_base58_encode(in, n, &b, &err), 0);
			assert_int_equal(
			        vc_base58_decode(b.data, b.len, out, sizeof(out), &m, &err), 0);
			assert_int_equal(m, n);
			assert_memory_equal(in, out, n);
			buf_reset(&b);
			assert_int_equal(vc_base64url_encode(in, n, &b, &err), 0);
			assert_int_equal(
			        vc_base64url_decode(b.data, b.len, out, sizeof(out), &m, &err), 0);
			assert_int_equal(m, n);
			assert_memory_equal(in, out, n);
		}
		buf_release(&b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(base58_known_values),
	        cmocka_unit_test(base58_matches_reference),
	        cmocka_unit_test(base58_rejects),
	        cmocka_unit_test(base58_decode_matches_digit_by_digit),
	        cmocka_unit_test(base64url_round_trips_and_rejects),
	        cmocka_unit_test(multibase_prefixes),
	        cmocka_unit_test(multikey_ed25519),
	        cmocka_unit_test(random_round_trips),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("vc/multibase", tests, NULL, NULL);
}
