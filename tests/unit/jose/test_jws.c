/* Unit tests of src/jose: base64url, JWK (RFC 7517/7638/8037), JWS sign and verify, with the
 * RFC examples of tests/fixtures/jose/ and the attacks a verifier must refuse. */
#include "jose_test.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>
#include <sodium.h>

#include "jose/b64.h"
#include "jose/jsonw.h"
#include "jose/jwk.h"
#include "jose/jws.h"

static const unsigned ALL = JOSE_ALG_ES256 | JOSE_ALG_EDDSA | JOSE_ALG_RS256 | JOSE_ALG_PS256;

static json_t *rfc(const char *name)
{
	json_t *all = jt_fixture_json("jose/rfc-examples.json");
	json_t *v = json_incref(json_object_get(all, name));

	json_decref(all);
	assert_non_null(v);
	return v;
}

static void parse_key(const json_t *jwk, struct jose_jwk *key)
{
	struct ok_error err;

	ok_error_clear(&err);
	if (jose_jwk_parse(jwk, key, &err) != 0)
		fail_msg("JWK refused: %s (%s)", err.message, err.field);
}

/* Parses and verifies tok with key; returns the code and leaves the message in err. */
static int check(const char *tok, unsigned allowed, const struct jose_jwk *key,
                 struct ok_error *err)
{
	struct jose_jws jws;
	int rc;

	ok_error_clear(err);
	rc = jose_jws_parse(tok, strlen(tok), allowed, NULL, &jws, err);
	if (!rc)
		rc = jose_jws_verify(&jws, key, err);
	jose_jws_release(&jws);
	return rc;
}

/* Builds "b64(header).b64(payload)." and the b64 of sig into out. */
static void make_token(struct buf *out, const char *header, const char *payload, const uint8_t *sig,
                       size_t sig_len)
{
	assert_int_equal(jose_b64_encode(header, strlen(header), out, NULL), 0);
	assert_int_equal(buf_addch(out, '.'), 0);
	assert_int_equal(jose_b64_encode(payload, strlen(payload), out, NULL), 0);
	assert_int_equal(buf_addch(out, '.'), 0);
	if (sig)
		assert_int_equal(jose_b64_encode(sig, sig_len, out, NULL), 0);
}

static void test_b64_strict(void **state)
{
	uint8_t out[16];
	size_t n;

	(void)state;
	assert_int_equal(jose_b64_decode("AQAB", 4, out, sizeof(out), &n, "e", NULL), 0);
	assert_int_equal(n, 3);
	assert_int_equal(jose_b64_decode("AQA", 3, out, sizeof(out), &n, "e", NULL), 0);
	assert_int_equal(n, 2);
	/* padding, a stray character, a length of 4k+1, non-zero unused bits, too long */
	assert_int_equal(jose_b64_decode("AQ==", 4, out, sizeof(out), &n, "e", NULL), OK_EINPUT);
	assert_int_equal(jose_b64_decode("A+AB", 4, out, sizeof(out), &n, "e", NULL), OK_EINPUT);
	assert_int_equal(jose_b64_decode("AQABA", 5, out, sizeof(out), &n, "e", NULL), OK_EINPUT);
	assert_int_equal(jose_b64_decode("AR", 2, out, sizeof(out), &n, "e", NULL), OK_EINPUT);
	assert_int_equal(jose_b64_decode("AQABAQAB", 8, out, 5, &n, "e", NULL), OK_EINPUT);
	/* Bytes outside ASCII, in a full group of eight and in the tail: refused (libsodium's
	 * codec took them for letters). */
	assert_int_equal(jose_b64_decode("AQAB\xc1QAB", 8, out, sizeof(out), &n, "e", NULL),
	                 OK_EINPUT);
	assert_int_equal(jose_b64_decode("AQABAQ\x80"
	                                 "B",
	                                 8, out, sizeof(out), &n, "e", NULL),
	                 OK_EINPUT);
	assert_int_equal(jose_b64_decode("AQABAQAB\xff", 9, out, sizeof(out), &n, "e", NULL),
	                 OK_EINPUT);
	assert_int_equal(jose_b64_decode("AQ\xc1", 3, out, sizeof(out), &n, "e", NULL), OK_EINPUT);
	/* Every character of the alphabet, in every lane. */
	{
		static const char abc[] =
		        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
		uint8_t want[48];

		assert_int_equal(sodium_base642bin(want, sizeof(want), abc, 64, NULL, &n, NULL,
		                                   sodium_base64_VARIANT_URLSAFE_NO_PADDING),
		                 0);
		assert_int_equal(jose_b64_decode(abc, 64, out, sizeof(out), &n, "e", NULL),
		                 OK_EINPUT); /* 48 bytes do not fit in 16 */
		{
			uint8_t all[48];

			assert_int_equal(jose_b64_decode(abc, 64, all, sizeof(all), &n, "e", NULL),
			                 0);
			assert_int_equal(n, 48);
			assert_memory_equal(all, want, 48);
		}
	}
}

/* The encoder against libsodium's over every length up to 200 and every byte value (all 64
 * characters, every tail), and RFC 4648's vectors; the text decodes back to the bytes. */
static void test_b64_encode(void **state)
{
	static const char *const rfc[][2] = {
	        {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},         {"foo", "Zm9v"},
	        {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"}};
	uint8_t in[200], back[200];
	char want[300];
	struct buf b;
	size_t n, i, len;

	(void)state;
	buf_init(&b, 1024);
	for (i = 0; i < sizeof(rfc) / sizeof(rfc[0]); i++) {
		buf_reset(&b);
		assert_int_equal(jose_b64_encode(rfc[i][0], strlen(rfc[i][0]), &b, NULL), 0);
		assert_string_equal(b.data, rfc[i][1]);
	}
	for (n = 0; n <= sizeof(in); n++) {
		for (i = 0; i < n; i++)
			in[i] = (uint8_t)(i * 7 + n * 13);
		if (n)
			randombytes_buf(in, n / 2);
		sodium_bin2base64(want, sizeof(want), in, n,
		                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		buf_reset(&b);
		assert_int_equal(jose_b64_encode(in, n, &b, NULL), 0);
		assert_string_equal(b.data, want);
		assert_int_equal(b.len, JOSE_B64_ENCODED_LEN(n));
		jose_b64_encode_to(in, n, want);
		assert_string_equal(b.data, want);
		assert_int_equal(
		        jose_b64_decode(b.data, b.len, back, sizeof(back), &len, "x", NULL), 0);
		assert_int_equal(len, n);
		assert_memory_equal(back, in, n);
	}
	for (i = 0; i < 256; i++)
		in[i % sizeof(in)] = (uint8_t)i;
	buf_reset(&b);
	assert_int_equal(jose_b64_encode(in, sizeof(in), &b, NULL), 0);
	sodium_bin2base64(want, sizeof(want), in, sizeof(in),
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	assert_string_equal(b.data, want);
	buf_release(&b);
}

/* Compact JSON written by jsonw.h reads back equal, keeps the members' order, and stops at the
 * depth bound. */
static void test_jsonw(void **state)
{
	json_t *v = json_pack("{s:s,s:s#,s:I,s:f,s:b,s:b,s:n,s:[i,{s:[]},s],s:{}}", "z",
	                      "Łukasz \"q\" \\", "ctl", "a\0b\n\x1f", (size_t)5, "n",
	                      (json_int_t)-9007199254740993LL, "r", 0.5, "t", 1, "f", 0, "u", "a",
	                      1, "x", "y", "e");
	json_t *back, *deep = json_array();
	struct buf b;
	int i;

	(void)state;
	buf_init(&b, 4096);
	assert_non_null(v);
	assert_int_equal(jose_jsonw(&b, v), 0);
	assert_non_null(back = json_loadb(b.data, b.len, JSON_ALLOW_NUL, NULL));
	assert_true(json_equal(v, back));
	assert_memory_equal(b.data, "{\"z\":", 5);
	json_decref(back);
	for (i = 0; i < JOSE_JSONW_DEPTH_MAX + 2; i++)
		deep = json_pack("[o]", deep);
	buf_reset(&b);
	assert_int_equal(jose_jsonw(&b, deep), OK_ETOOBIG);
	assert_int_equal(b.len, 0);
	json_decref(deep);
	json_decref(v);
	buf_release(&b);
}

/* An object with one member's value given as text: in its place when there, else added last;
 * anything but an object refused, out as it was. */
static void test_jsonw_object_with(void **state)
{
	json_t *with = json_pack("{s:i,s:s,s:[i]}", "a", 1, "_sd_alg", "sha-1", "b", 2);
	json_t *without = json_pack("{s:i}", "a", 1), *empty = json_object(), *arr = json_array();
	struct buf b;

	(void)state;
	buf_init(&b, 4096);
	assert_int_equal(jose_jsonw_object_with(&b, with, "_sd_alg", "\"sha-256\""), 0);
	assert_int_equal(buf_addch(&b, '\0'), 0);
	assert_string_equal(b.data, "{\"a\":1,\"_sd_alg\":\"sha-256\",\"b\":[2]}");
	buf_reset(&b);
	assert_int_equal(jose_jsonw_object_with(&b, without, "_sd_alg", "\"sha-256\""), 0);
	assert_int_equal(buf_addch(&b, '\0'), 0);
	assert_string_equal(b.data, "{\"a\":1,\"_sd_alg\":\"sha-256\"}");
	buf_reset(&b);
	assert_int_equal(jose_jsonw_object_with(&b, empty, "k", "null"), 0);
	assert_int_equal(buf_addch(&b, '\0'), 0);
	assert_string_equal(b.data, "{\"k\":null}");
	buf_reset(&b);
	assert_int_equal(buf_addstr(&b, "x"), 0);
	assert_int_equal(jose_jsonw_object_with(&b, arr, "k", "null"), OK_EINPUT);
	assert_int_equal(b.len, 1);
	json_decref(with);
	json_decref(without);
	json_decref(empty);
	json_decref(arr);
	buf_release(&b);
}

static void test_rfc8037_ed25519(void **state)
{
	json_t *v = rfc("rfc8037_a4");
	uint8_t seed[32];
	char tp[JOSE_THUMBPRINT_MAX];
	struct jose_jwk key, pub;
	struct jose_signer signer;
	struct jose_jws jws;
	struct ok_error err;
	struct buf tok;
	size_t n;
	const char *d = jt_str(v, "jwk_private_d"), *want = jt_str(v, "jws");

	(void)state;
	parse_key(json_object_get(v, "jwk"), &key);
	assert_int_equal(jose_jwk_thumbprint(&key, tp, &err), 0);
	assert_string_equal(tp, jt_str(v, "thumbprint"));
	assert_int_equal(check(want, JOSE_ALG_EDDSA, &key, &err), 0);

	assert_int_equal(jose_jws_parse(want, strlen(want), JOSE_ALG_EDDSA, NULL, &jws, &err), 0);
	assert_int_equal(jws.payload.len, strlen(jt_str(v, "payload")));
	assert_memory_equal(jws.payload.data, jt_str(v, "payload"), jws.payload.len);
	jose_jws_release(&jws);

	/* Ed25519 is deterministic: signing again gives the RFC's token byte for byte. */
	assert_int_equal(jose_b64_decode(d, strlen(d), seed, sizeof(seed), &n, "d", NULL), 0);
	assert_int_equal(jose_signer_ed25519_from_seed(&signer, seed, &err), 0);
	assert_int_equal(jose_signer_public(&signer, &pub, &err), 0);
	assert_true(jose_jwk_equal(&key, &pub));
	buf_init(&tok, 4096);
	assert_int_equal(jose_jws_sign(NULL, jt_str(v, "payload"), strlen(jt_str(v, "payload")),
	                               &signer, &tok, &err),
	                 0);
	assert_string_equal(tok.data, want);

	/* Not allowed here: the same token where only ES256 is accepted. */
	assert_int_equal(check(want, JOSE_ALG_ES256, &key, &err), OK_EINPUT);
	assert_string_equal(err.field, "header.alg");

	buf_release(&tok);
	jose_signer_release(&signer);
	jose_jwk_release(&pub);
	jose_jwk_release(&key);
	json_decref(v);
}

static void test_rfc7515_es256(void **state)
{
	json_t *v = rfc("rfc7515_a3");
	const char *tok = jt_str(v, "jws"), *d = jt_str(v, "jwk_private_d");
	uint8_t db[32];
	size_t n;
	struct jose_jwk key, pub;
	struct jose_signer signer;
	struct ok_error err;
	struct jose_jws jws;
	json_t *payload;

	(void)state;
	parse_key(json_object_get(v, "jwk"), &key);
	assert_int_equal(check(tok, JOSE_ALG_ES256, &key, &err), 0);
	assert_int_equal(jose_jws_parse(tok, strlen(tok), JOSE_ALG_ES256, NULL, &jws, &err), 0);
	assert_int_equal(jose_jws_payload_json(&jws, &payload, &err), 0);
	assert_string_equal(jt_str(payload, "iss"), "joe");
	json_decref(payload);
	jose_jws_release(&jws);

	/* The private scalar gives the same public key, and round trips. */
	assert_int_equal(jose_b64_decode(d, strlen(d), db, sizeof(db), &n, "d", NULL), 0);
	assert_int_equal(jose_signer_es256_from_d(&signer, db, &err), 0);
	assert_int_equal(jose_signer_public(&signer, &pub, &err), 0);
	assert_true(jose_jwk_equal(&key, &pub));
	memset(db, 0, sizeof(db));
	assert_int_equal(jose_signer_es256_d(&signer, db, &err), 0);
	{
		uint8_t again[32];
		assert_int_equal(jose_b64_decode(d, strlen(d), again, sizeof(again), &n, "d", NULL),
		                 0);
		assert_memory_equal(db, again, 32);
	}
	jose_signer_release(&signer);
	jose_jwk_release(&pub);
	jose_jwk_release(&key);
	json_decref(v);
}

static void test_rfc7638_thumbprint(void **state)
{
	json_t *v = rfc("rfc7638_3_1");
	char tp[JOSE_THUMBPRINT_MAX];
	struct jose_jwk key;
	json_t *back;

	(void)state;
	parse_key(json_object_get(v, "jwk"), &key);
	assert_int_equal(jose_jwk_thumbprint(&key, tp, NULL), 0);
	assert_string_equal(tp, jt_str(v, "thumbprint"));
	/* Written back: the public members only, the same values. */
	assert_int_equal(jose_jwk_to_json(&key, &back, NULL), 0);
	assert_string_equal(jt_str(back, "n"), jt_str(json_object_get(v, "jwk"), "n"));
	assert_string_equal(jt_str(back, "e"), "AQAB");
	assert_null(json_object_get(back, "kid"));
	json_decref(back);
	jose_jwk_release(&key);
	json_decref(v);
}

/* ES256 round trip; the high-S twin of a signature verifies too; broken ones do not. */
static void test_es256_sign_verify(void **state)
{
	struct jose_signer signer;
	struct jose_jwk pub, other_pub;
	struct jose_signer other;
	struct ok_error err;
	struct buf tok, alt;
	json_t *hdr = json_pack("{s:s}", "typ", "JWT");
	const char *payload = "{\"iss\":\"https://example.nl\"}";
	uint8_t sig[64];
	size_t n;

	(void)state;
	assert_int_equal(jose_signer_es256_generate(&signer, &err), 0);
	assert_int_equal(jose_signer_public(&signer, &pub, &err), 0);
	assert_int_equal(jose_signer_es256_generate(&other, &err), 0);
	assert_int_equal(jose_signer_public(&other, &other_pub, &err), 0);
	buf_init(&tok, 4096);
	assert_int_equal(jose_jws_sign(hdr, payload, strlen(payload), &signer, &tok, &err), 0);
	assert_int_equal(check(tok.data, ALL, &pub, &err), 0);
	assert_int_equal(check(tok.data, ALL, &other_pub, &err), OK_EINVALID);
	assert_string_equal(err.field, "signature");

	/* s' = n - s: the same signature in high-S form (RFC 7518 does not require low S). */
	{
		const char *dot = strrchr(tok.data, '.');
		EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
		BIGNUM *s = BN_bin2bn(NULL, 0, NULL);

		assert_int_equal(jose_b64_decode(dot + 1, strlen(dot + 1), sig, 64, &n, NULL, NULL),
		                 0);
		assert_non_null(BN_bin2bn(sig + 32, 32, s));
		assert_int_equal(BN_sub(s, EC_GROUP_get0_order(g), s), 1);
		assert_int_equal(BN_bn2binpad(s, sig + 32, 32), 32);
		buf_init(&alt, 4096);
		assert_int_equal(buf_add(&alt, tok.data, (size_t)(dot + 1 - tok.data)), 0);
		assert_int_equal(jose_b64_encode(sig, 64, &alt, NULL), 0);
		assert_int_equal(check(alt.data, ALL, &pub, &err), 0);
		/* One bit flipped: refused. */
		sig[5] ^= 1;
		buf_truncate(&alt, (size_t)(dot + 1 - tok.data));
		assert_int_equal(jose_b64_encode(sig, 64, &alt, NULL), 0);
		assert_int_equal(check(alt.data, ALL, &pub, &err), OK_EINVALID);
		/* 63 and 65 bytes, and a DER signature instead of r‖s: refused. */
		buf_truncate(&alt, (size_t)(dot + 1 - tok.data));
		assert_int_equal(jose_b64_encode(sig, 63, &alt, NULL), 0);
		assert_int_equal(check(alt.data, ALL, &pub, &err), OK_EINVALID);
		assert_string_equal(err.field, "signature");
		buf_truncate(&alt, (size_t)(dot + 1 - tok.data));
		{
			uint8_t longer[65] = {0};
			memcpy(longer, sig, 64);
			assert_int_equal(jose_b64_encode(longer, 65, &alt, NULL), 0);
		}
		assert_int_equal(check(alt.data, ALL, &pub, &err), OK_EINVALID);
		buf_release(&alt);
		BN_free(s);
		EC_GROUP_free(g);
	}
	buf_release(&tok);
	json_decref(hdr);
	jose_jwk_release(&pub);
	jose_jwk_release(&other_pub);
	jose_signer_release(&signer);
	jose_signer_release(&other);
}

/* A header remembered by a verifier's memo: the same header again comes from it (the same JSON),
 * its checks and the signature are made every time, and another header is parsed anew. */
static void test_header_memo(void **state)
{
	struct jose_jws_header_memo memo;
	struct jose_signer signer;
	struct jose_jwk pub;
	struct jose_jws a, b;
	struct ok_error err;
	struct buf tok, tok2;
	json_t *hdr = json_pack("{s:s}", "typ", "dc+sd-jwt");
	const char *payload = "{\"iss\":\"https://example.nl\"}";
	char *dot;

	(void)state;
	memset(&memo, 0, sizeof(memo));
	assert_int_equal(jose_signer_es256_generate(&signer, &err), 0);
	assert_int_equal(jose_signer_public(&signer, &pub, &err), 0);
	buf_init(&tok, 4096);
	buf_init(&tok2, 4096);
	assert_int_equal(jose_jws_sign(hdr, payload, strlen(payload), &signer, &tok, &err), 0);
	assert_int_equal(jose_jws_parse_memo(tok.data, tok.len, ALL, NULL, &memo, &a, &err), 0);
	assert_int_equal(jose_jws_verify(&a, &pub, &err), 0);
	assert_int_equal(jose_jws_parse_memo(tok.data, tok.len, ALL, NULL, &memo, &b, &err), 0);
	assert_ptr_equal(a.header, b.header);
	assert_string_equal(json_string_value(json_object_get(b.header, "typ")), "dc+sd-jwt");
	jose_jws_release(&b);
	/* The same header over a signature changed: still refused. */
	assert_int_equal(buf_add(&tok2, tok.data, tok.len), 0);
	dot = strrchr(tok2.data, '.');
	dot[5] = dot[5] == 'A' ? 'B' : 'A';
	assert_int_equal(jose_jws_parse_memo(tok2.data, tok2.len, ALL, NULL, &memo, &b, &err), 0);
	assert_ptr_equal(a.header, b.header);
	assert_int_equal(jose_jws_verify(&b, &pub, &err), OK_EINVALID);
	jose_jws_release(&b);
	/* The remembered header's alg, when not allowed here, is refused as before. */
	assert_int_equal(
	        jose_jws_parse_memo(tok.data, tok.len, JOSE_ALG_EDDSA, NULL, &memo, &b, &err),
	        OK_EINPUT);
	assert_string_equal(err.field, "header.alg");
	jose_jws_release(&b);
	jose_jws_release(&a);
	/* Another header: parsed anew. */
	buf_reset(&tok2);
	json_object_set_new(hdr, "typ", json_string("JWT"));
	assert_int_equal(jose_jws_sign(hdr, payload, strlen(payload), &signer, &tok2, &err), 0);
	assert_int_equal(jose_jws_parse_memo(tok2.data, tok2.len, ALL, NULL, &memo, &b, &err), 0);
	assert_string_equal(json_string_value(json_object_get(b.header, "typ")), "JWT");
	assert_int_equal(jose_jws_verify(&b, &pub, &err), 0);
	jose_jws_release(&b);

	jose_jws_header_memo_release(&memo);
	buf_release(&tok);
	buf_release(&tok2);
	json_decref(hdr);
	jose_jwk_release(&pub);
	jose_signer_release(&signer);
}

/* alg none, HMAC with the public key as secret, and a key of the wrong type for the alg. */
static void test_alg_attacks(void **state)
{
	json_t *v = rfc("rfc7515_a3");
	struct jose_jwk ec, ed;
	struct jose_signer eds;
	uint8_t seed[32] = {7}, mac[32];
	struct ok_error err;
	struct buf tok;

	(void)state;
	parse_key(json_object_get(v, "jwk"), &ec);
	assert_int_equal(jose_signer_ed25519_from_seed(&eds, seed, &err), 0);
	assert_int_equal(jose_signer_public(&eds, &ed, &err), 0);
	buf_init(&tok, 4096);

	make_token(&tok, "{\"alg\":\"none\"}", "{}", NULL, 0);
	buf_addstr(&tok, "AAAA");
	assert_int_equal(check(tok.data, ALL, &ec, &err), OK_EINPUT);
	assert_non_null(strstr(err.message, "none"));
	buf_reset(&tok);
	make_token(&tok, "{\"alg\":\"none\"}", "{}", NULL, 0); /* empty signature */
	assert_int_equal(check(tok.data, ALL, &ec, &err), OK_EINPUT);

	/* HS256 keyed with the public key's thumbprint bytes: never accepted. */
	buf_reset(&tok);
	make_token(&tok, "{\"alg\":\"HS256\"}", "{}", NULL, 0);
	crypto_auth_hmacsha256(mac, (const uint8_t *)tok.data, tok.len - 1, seed);
	assert_int_equal(jose_b64_encode(mac, sizeof(mac), &tok, NULL), 0);
	assert_int_equal(check(tok.data, ALL, &ec, &err), OK_EINPUT);
	assert_string_equal(err.field, "header.alg");

	/* An EdDSA token checked against an EC key, an ES256 one against an Ed25519 key. */
	buf_reset(&tok);
	assert_int_equal(jose_jws_sign(NULL, "{}", 2, &eds, &tok, &err), 0);
	assert_int_equal(check(tok.data, ALL, &ec, &err), OK_EINVALID);
	assert_string_equal(err.field, "header.alg");
	assert_int_equal(check(jt_str(v, "jws"), ALL, &ed, &err), OK_EINVALID);
	assert_string_equal(err.field, "header.alg");

	/* Unknown algorithms, a missing alg, a non-string alg. */
	buf_reset(&tok);
	make_token(&tok, "{\"alg\":\"ES512\"}", "{}", (const uint8_t *)"x", 1);
	assert_int_equal(check(tok.data, ALL, &ec, &err), OK_EINPUT);
	buf_reset(&tok);
	make_token(&tok, "{\"typ\":\"JWT\"}", "{}", (const uint8_t *)"x", 1);
	assert_int_equal(check(tok.data, ALL, &ec, &err), OK_EINPUT);
	buf_reset(&tok);
	make_token(&tok, "{\"alg\":1}", "{}", (const uint8_t *)"x", 1);
	assert_int_equal(check(tok.data, ALL, &ec, &err), OK_EINPUT);

	buf_release(&tok);
	jose_signer_release(&eds);
	jose_jwk_release(&ed);
	jose_jwk_release(&ec);
	json_decref(v);
}

static void test_structure(void **state)
{
	struct jose_signer s;
	struct jose_jwk pub;
	struct jose_jws jws;
	struct ok_error err;
	struct buf tok;
	json_t *crit = json_pack("{s:[s],s:i}", "crit", "exp", "exp", 5);
	json_t *crit_b64 = json_pack("{s:b}", "b64", 0);
	const char *const understood[] = {"exp", NULL};
	uint8_t seed[32] = {9};

	(void)state;
	assert_int_equal(jose_signer_ed25519_from_seed(&s, seed, &err), 0);
	assert_int_equal(jose_signer_public(&s, &pub, &err), 0);
	buf_init(&tok, JOSE_JWS_MAX + 16);

	/* crit: refused unless understood, accepted when it is. */
	assert_int_equal(jose_jws_sign(crit, "{}", 2, &s, &tok, &err), 0);
	assert_int_equal(check(tok.data, ALL, &pub, &err), OK_EINPUT);
	assert_string_equal(err.field, "header.crit");
	assert_int_equal(jose_jws_parse(tok.data, tok.len, ALL, understood, &jws, &err), 0);
	assert_int_equal(jose_jws_verify(&jws, &pub, &err), 0);
	jose_jws_release(&jws);
	buf_reset(&tok);
	assert_int_equal(jose_jws_sign(crit_b64, "{}", 2, &s, &tok, &err), 0);
	assert_int_equal(check(tok.data, ALL, &pub, &err), OK_EINPUT);

	/* Two parts, four parts, an empty payload, padding, duplicate header names. */
	assert_int_equal(check("eyJhbGciOiJFZERTQSJ9.e30", ALL, &pub, &err), OK_EINPUT);
	assert_int_equal(check("eyJhbGciOiJFZERTQSJ9.e30.AA.AA", ALL, &pub, &err), OK_EINPUT);
	assert_int_equal(check("eyJhbGciOiJFZERTQSJ9..AAAA", ALL, &pub, &err), OK_EINPUT);
	assert_int_equal(check("eyJhbGciOiJFZERTQSJ9.e30=.AAAA", ALL, &pub, &err), OK_EINPUT);
	buf_reset(&tok);
	make_token(&tok, "{\"alg\":\"EdDSA\",\"alg\":\"EdDSA\"}", "{}", (const uint8_t *)"x", 1);
	assert_int_equal(check(tok.data, ALL, &pub, &err), OK_EINPUT);
	assert_string_equal(err.field, "header");

	/* Too long as a whole. */
	buf_reset(&tok);
	assert_int_equal(buf_addstr(&tok, "eyJhbGciOiJFZERTQSJ9."), 0);
	while (tok.len <= JOSE_JWS_MAX)
		assert_int_equal(buf_addstr(&tok, "AAAAAAAA"), 0);
	assert_int_equal(buf_addstr(&tok, ".AAAA"), 0);
	assert_int_equal(check(tok.data, ALL, &pub, &err), OK_ETOOBIG);

	buf_release(&tok);
	json_decref(crit);
	json_decref(crit_b64);
	jose_jwk_release(&pub);
	jose_signer_release(&s);
}

static void expect_bad_jwk(const char *text, const char *field)
{
	json_t *j = json_loads(text, 0, NULL);
	struct jose_jwk key;
	struct ok_error err;

	assert_non_null(j);
	ok_error_clear(&err);
	assert_int_equal(jose_jwk_parse(j, &key, &err), OK_EINPUT);
	assert_string_equal(err.field, field);
	jose_jwk_release(&key);
	json_decref(j);
}

static void test_jwk_refused(void **state)
{
	(void)state;
	/* P-384, secp256k1 and X25519 are not accepted curves. */
	expect_bad_jwk("{\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":\"AA\",\"y\":\"AA\"}", "crv");
	expect_bad_jwk("{\"kty\":\"EC\",\"crv\":\"secp256k1\",\"x\":\"AA\",\"y\":\"AA\"}", "crv");
	expect_bad_jwk("{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"AA\"}", "crv");
	/* A point off the curve (y changed in one bit). */
	expect_bad_jwk("{\"kty\":\"EC\",\"crv\":\"P-256\","
	               "\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
	               "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a4\"}",
	               "x");
	/* A coordinate of 31 bytes; an Ed25519 key of 31 bytes. */
	expect_bad_jwk("{\"kty\":\"EC\",\"crv\":\"P-256\","
	               "\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRV\","
	               "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}",
	               "x");
	expect_bad_jwk("{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
	               "\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHUQ\"}",
	               "x");
	/* A private key is never taken where a public one is expected. */
	expect_bad_jwk("{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
	               "\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\","
	               "\"d\":\"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A\"}",
	               "d");
	/* Symmetric keys, RSA too small, missing members. */
	expect_bad_jwk("{\"kty\":\"oct\",\"k\":\"AAAA\"}", "k");
	expect_bad_jwk("{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}", "n");
	expect_bad_jwk("{\"kty\":\"EC\",\"crv\":\"P-256\"}", "x");
	expect_bad_jwk("{\"crv\":\"P-256\"}", "kty");
}

/* RS256 and PS256 (for ID tokens): a key made here, signatures by OpenSSL directly. */
static void rsa_token(EVP_PKEY *k, int pss, const char *alg, struct buf *out)
{
	char header[64];
	uint8_t sig[512];
	size_t sig_len = sizeof(sig);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;

	snprintf(header, sizeof(header), "{\"alg\":\"%s\"}", alg);
	buf_reset(out);
	make_token(out, header, "{\"sub\":\"x\"}", NULL, 0);
	assert_int_equal(EVP_DigestSignInit(md, &pctx, EVP_sha256(), NULL, k), 1);
	if (pss) {
		assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), 1);
		assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST), 1);
	}
	assert_int_equal(
	        EVP_DigestSign(md, sig, &sig_len, (const uint8_t *)out->data, out->len - 1), 1);
	assert_int_equal(jose_b64_encode(sig, sig_len, out, NULL), 0);
	EVP_MD_CTX_free(md);
}

static void test_rsa(void **state)
{
	EVP_PKEY *k = EVP_RSA_gen(2048);
	struct jose_jwk pub;
	struct ok_error err;
	struct buf tok;
	json_t *j;

	(void)state;
	assert_non_null(k);
	assert_int_equal(jose_jwk_from_pkey(k, &pub, &err), 0);
	/* Through JSON and back, as an ID token's key would come. */
	assert_int_equal(jose_jwk_to_json(&pub, &j, &err), 0);
	jose_jwk_release(&pub);
	parse_key(j, &pub);
	json_decref(j);
	buf_init(&tok, 8192);
	rsa_token(k, 0, "RS256", &tok);
	assert_int_equal(check(tok.data, ALL, &pub, &err), 0);
	assert_int_equal(check(tok.data, JOSE_ALG_ES256, &pub, &err), OK_EINPUT);
	rsa_token(k, 1, "PS256", &tok);
	assert_int_equal(check(tok.data, ALL, &pub, &err), 0);
	/* A PSS signature presented as RS256 does not verify. */
	{
		char *dot = strchr(tok.data, '.');
		struct buf alt;

		buf_init(&alt, 8192);
		make_token(&alt, "{\"alg\":\"RS256\"}", "{\"sub\":\"x\"}", NULL, 0);
		buf_addstr(&alt, strrchr(dot, '.') + 1);
		assert_int_equal(check(alt.data, ALL, &pub, &err), OK_EINVALID);
		buf_release(&alt);
	}
	buf_release(&tok);
	jose_jwk_release(&pub);
	EVP_PKEY_free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_b64_strict),
	        cmocka_unit_test(test_b64_encode),
	        cmocka_unit_test(test_jsonw),
	        cmocka_unit_test(test_jsonw_object_with),
	        cmocka_unit_test(test_rfc8037_ed25519),
	        cmocka_unit_test(test_rfc7515_es256),
	        cmocka_unit_test(test_rfc7638_thumbprint),
	        cmocka_unit_test(test_es256_sign_verify),
	        cmocka_unit_test(test_header_memo),
	        cmocka_unit_test(test_alg_attacks),
	        cmocka_unit_test(test_structure),
	        cmocka_unit_test(test_jwk_refused),
	        cmocka_unit_test(test_rsa),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
