/* Unit tests of SD-JWT verification over core/json_tree: names and values with escapes and
 * characters past ASCII come through unchanged, and JSON that jansson with
 * JSON_REJECT_DUPLICATES refused (duplicate names, a lone surrogate, trailing bytes, a payload
 * that is not an object) is refused with the same messages as before. The one difference from
 * before: a NUL byte right after a number or literal, which jansson skipped (so main accepted
 * the SD-JWT), is refused now (RFC 8259; see core/json_tree.h). The key-binding JWT's payload is
 * read by the same reader: a repeated name refused, wrong types refused with the check's own
 * field, members it does not know taken. */
#include "jose_test.h"

#include <sodium.h>
#include <time.h>

#include "jose/b64.h"
#include "jose/jwk.h"
#include "jose/jws.h"
#include "jose/sdjwt.h"

static int key_of(void *ctx, const json_t *header, const json_t *claims, struct jose_jwk *key,
                  struct ok_error *err)
{
	(void)header;
	(void)claims;
	return jose_signer_public(ctx, key, err);
}

static int setup(void **state)
{
	struct jose_signer *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	assert_int_equal(sodium_init() >= 0, 1);
	assert_int_equal(jose_signer_es256_generate(s, NULL), 0);
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	jose_signer_release(*state);
	free(*state);
	return 0;
}

static int verify(struct jose_signer *s, const char *sd, const char *const *plain_only,
                  json_t **claims, struct ok_error *err)
{
	struct jose_sdjwt_expect x = {
	        .algs = JOSE_ALG_ES256,
	        .issuer_key = key_of,
	        .ctx = s,
	        .now = (int64_t)time(NULL),
	        .plain_only = plain_only,
	};
	struct jose_sdjwt_result r;
	int rc;

	ok_error_clear(err);
	rc = jose_sdjwt_verify(sd, strlen(sd), &x, &r, err);
	if (claims)
		*claims = rc ? NULL : json_incref(r.claims);
	jose_sdjwt_result_release(&r);
	return rc;
}

/* The base64url of a disclosure's JSON text (n bytes) and the digest of that text. */
static void disclosure(const char *json, size_t n, struct buf *b64, char digest[44])
{
	uint8_t d[crypto_hash_sha256_BYTES];

	buf_init(b64, 1 << 16);
	assert_int_equal(jose_b64_encode(json, n, b64, NULL), 0);
	crypto_hash_sha256(d, (const uint8_t *)b64->data, b64->len);
	jose_b64_encode_to(d, sizeof(d), digest);
}

/* An SD-JWT signed by s: the payload text of payload_n bytes (where every "@D" stands for the
 * disclosure's digest), then the one disclosure. */
static char *make_n(struct jose_signer *s, const char *payload_fmt, size_t payload_n,
                    const char *disc, size_t disc_n)
{
	struct buf d64, out;
	char digest[44], payload[1024];
	size_t n = 0;

	disclosure(disc, disc_n, &d64, digest);
	for (const char *p = payload_fmt; p < payload_fmt + payload_n; p++) {
		assert_true(n + 44 < sizeof(payload));
		if (p[0] == '@' && p[1] == 'D') {
			memcpy(payload + n, digest, 43);
			n += 43;
			p++;
		} else {
			payload[n++] = *p;
		}
	}
	buf_init(&out, 1 << 20);
	assert_int_equal(jose_jws_sign(NULL, payload, n, s, &out, NULL), 0);
	assert_int_equal(buf_addch(&out, '~'), 0);
	assert_int_equal(buf_add(&out, d64.data, d64.len), 0);
	assert_int_equal(buf_addch(&out, '~'), 0);
	assert_int_equal(buf_addch(&out, '\0'), 0);
	buf_release(&d64);
	return buf_detach(&out, NULL);
}

static char *make(struct jose_signer *s, const char *payload_fmt, const char *disc, size_t disc_n)
{
	return make_n(s, payload_fmt, strlen(payload_fmt), disc, disc_n);
}

#define PAYLOAD_SD "{\"iss\":\"https://i.example\",\"_sd\":[\"@D\"],\"_sd_alg\":\"sha-256\"}"

static void escaped_names_and_values_come_through(void **state)
{
	struct jose_signer *s = *state;
	json_t *claims, *want = json_pack("{s:s,s:s}", "iss", "https://i.example",
	                                  "na\"me \xc3\xa9\xf0\x9f\x98\x80", "v\\al\xe2\x80\xa8");
	const char *disc = "[\"c2FsdA\", \"na\\\"me \\u00e9\\ud83d\\ude00\", \"v\\\\al\\u2028\"]";
	struct ok_error err;
	char *sd = make(s, PAYLOAD_SD, disc, strlen(disc));

	if (verify(s, sd, NULL, &claims, &err))
		fail_msg("verify: %s", err.message);
	if (!json_equal(claims, want)) {
		char *got = json_dumps(claims, JSON_SORT_KEYS);

		fail_msg("claims: %s", got);
	}
	json_decref(claims);
	json_decref(want);
	free(sd);
}

static void an_escaped_name_is_still_plain_only(void **state)
{
	static const char *const plain[] = {"iss", "status", NULL};
	const char *disc = "[\"c2FsdA\", \"st\\u0061tus\", {\"idx\": 1}]";
	struct jose_signer *s = *state;
	struct ok_error err;
	char *sd = make(s, PAYLOAD_SD, disc, strlen(disc));

	assert_int_equal(verify(s, sd, plain, NULL, &err), OK_EINVALID);
	assert_string_equal(err.message, "a claim that must be in the clear came as a disclosure");
	free(sd);
}

static void refused_as_jansson_refused(void **state)
{
	static const struct {
		const char *payload, *disc;
		size_t disc_n;
		const char *message;
	} cases[] = {
	        {PAYLOAD_SD, "[\"c2FsdA\", \"a\", {\"k\": 1, \"k\": 2}]", 0,
	         "a disclosure is not a JSON array [salt, name, value] or [salt, value]"},
	        {PAYLOAD_SD, "[\"c2FsdA\", \"a\", {\"k\": 1, \"\\u006b\": 2}]", 0,
	         "a disclosure is not a JSON array [salt, name, value] or [salt, value]"},
	        {PAYLOAD_SD, "[\"c2FsdA\", \"a\", \"\\ud800\"]", 0,
	         "a disclosure is not a JSON array [salt, name, value] or [salt, value]"},
	        {PAYLOAD_SD, "[\"c2FsdA\", \"a\", 1] x", 0,
	         "a disclosure is not a JSON array [salt, name, value] or [salt, value]"},
	        {PAYLOAD_SD, "{\"a\": 1}", 0,
	         "a disclosure is not a JSON array [salt, name, value] or [salt, value]"},
	        {"[\"@D\"]", "[\"c2FsdA\", \"a\", 1]", 0, "the JWS payload is not a JSON object"},
	        {"{\"_sd\":[\"@D\"],\"_sd\":[]}", "[\"c2FsdA\", \"a\", 1]", 0,
	         "the JWS payload is not a JSON object"},
	        {"{\"_sd\":[\"@D\"],\"x\":1e999}", "[\"c2FsdA\", \"a\", 1]", 0,
	         "the JWS payload is not a JSON object"},
	};
	struct jose_signer *s = *state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = cases[i].disc_n ? cases[i].disc_n : strlen(cases[i].disc);
		char *sd = make(s, cases[i].payload, cases[i].disc, n);
		struct ok_error err;
		int rc = verify(s, sd, NULL, NULL, &err);

		if (rc != OK_EINPUT || strcmp(err.message, cases[i].message) != 0)
			fail_msg("case %zu: %d %s", i, rc, err.message);
		free(sd);
	}
}

/* The one difference from before: jansson skipped one NUL byte after a number or literal, so
 * main accepted these (signed) disclosures and payloads as if the NUL were not there; json_tree
 * refuses them, as RFC 8259 does. */
static void a_nul_after_a_scalar_was_accepted_and_is_refused_now(void **state)
{
#define LIT(s) s, sizeof(s) - 1 /* a literal and its length, a NUL inside included */
	static const struct {
		const char *payload;
		size_t payload_n;
		const char *disc;
		size_t disc_n;
		const char *message;
	} cases[] = {
	        {LIT(PAYLOAD_SD), LIT("[\"c2FsdA\", \"a\", 1\0]"),
	         "a disclosure is not a JSON array [salt, name, value] or [salt, value]"},
	        {LIT(PAYLOAD_SD), LIT("[\"c2FsdA\", \"a\", true\0]"),
	         "a disclosure is not a JSON array [salt, name, value] or [salt, value]"},
	        {LIT("{\"_sd\":[\"@D\"],\"n\":null\0}"), LIT("[\"c2FsdA\", \"a\", 1]"),
	         "the JWS payload is not a JSON object"},
	};
#undef LIT
	struct jose_signer *s = *state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *sd = make_n(s, cases[i].payload, cases[i].payload_n, cases[i].disc,
		                  cases[i].disc_n);
		struct ok_error err;
		int rc = verify(s, sd, NULL, NULL, &err);

		if (rc != OK_EINPUT || strcmp(err.message, cases[i].message) != 0)
			fail_msg("case %zu: %d %s", i, rc, err.message);
		free(sd);
	}
}

static void the_same_disclosure_value_read_once(void **state)
{
	/* Many digests and nested values: every disclosure referenced once, none twice. */
	const char *disc = "[\"c2FsdA\", \"list\", [1, {\"a\": [true, null, -0.5e-3]}, \"x\"]]";
	struct jose_signer *s = *state;
	json_t *claims, *want;
	struct ok_error err;
	char *sd = make(s, PAYLOAD_SD, disc, strlen(disc));

	want = json_loads("{\"iss\":\"https://i.example\",\"list\":[1,{\"a\":[true,null,-0.5e-3]},"
	                  "\"x\"]}",
	                  0, NULL);
	assert_int_equal(verify(s, sd, NULL, &claims, &err), 0);
	assert_true(json_equal(claims, want));
	json_decref(claims);
	json_decref(want);
	free(sd);
	/* The digest twice in the payload. */
	sd = make(s,
	          "{\"_sd\":[\"@D\"],\"o\":{\"_sd\":[\"@D\"]},"
	          "\"_sd_alg\":\"sha-256\"}",
	          disc, strlen(disc));
	assert_int_equal(verify(s, sd, NULL, NULL, &err), OK_EINVALID);
	free(sd);
}

/* An SD-JWT of issuer s naming holder h's key (cnf.jwk), no disclosures, presented with a
 * KB-JWT signed by h whose payload is kb_fmt: "@H" stands for the presentation's sd_hash and
 * "@T" for the time now. */
static char *make_kb(struct jose_signer *s, struct jose_signer *h, const char *kb_fmt)
{
	json_t *jwk = NULL, *payload, *kbh = json_pack("{s:s}", "typ", "kb+jwt");
	uint8_t d[crypto_hash_sha256_BYTES];
	char hash[44], text[1024];
	struct jose_jwk pub = {0};
	struct buf out;
	size_t n = 0;

	assert_int_equal(jose_signer_public(h, &pub, NULL), 0);
	assert_int_equal(jose_jwk_to_json(&pub, &jwk, NULL), 0);
	payload = json_pack("{s:s,s:{s:o}}", "iss", "https://i.example", "cnf", "jwk", jwk);
	buf_init(&out, 1 << 20);
	assert_int_equal(jose_jws_sign_json(NULL, payload, s, &out, NULL), 0);
	assert_int_equal(buf_addch(&out, '~'), 0);
	crypto_hash_sha256(d, (const uint8_t *)out.data, out.len);
	jose_b64_encode_to(d, sizeof(d), hash);
	for (const char *p = kb_fmt; *p; p++) {
		assert_true(n + 64 < sizeof(text));
		if (p[0] == '@' && p[1] == 'H') {
			memcpy(text + n, hash, 43);
			n += 43;
			p++;
		} else if (p[0] == '@' && p[1] == 'T') {
			n += (size_t)snprintf(text + n, sizeof(text) - n, "%lld",
			                      (long long)time(NULL));
			p++;
		} else {
			text[n++] = *p;
		}
	}
	assert_int_equal(jose_jws_sign(kbh, text, n, h, &out, NULL), 0);
	assert_int_equal(buf_addch(&out, '\0'), 0);
	json_decref(payload);
	json_decref(kbh);
	jose_jwk_release(&pub);
	return buf_detach(&out, NULL);
}

/* Verifies sd asking for aud https://v.example and nonce n-1; *bound gets key_bound. */
static int verify_kb(struct jose_signer *s, const char *sd, int *bound, struct ok_error *err)
{
	struct jose_sdjwt_expect x = {
	        .algs = JOSE_ALG_ES256,
	        .issuer_key = key_of,
	        .ctx = s,
	        .now = (int64_t)time(NULL),
	        .aud = "https://v.example",
	        .nonce = "n-1",
	};
	struct jose_sdjwt_result r;
	int rc;

	ok_error_clear(err);
	rc = jose_sdjwt_verify(sd, strlen(sd), &x, &r, err);
	*bound = r.key_bound;
	jose_sdjwt_result_release(&r);
	return rc;
}

#define KB_OK "\"iat\":@T,\"aud\":\"https://v.example\",\"nonce\":\"n-1\",\"sd_hash\":\"@H\""

static void the_kb_jwt_payload_is_read_strictly(void **state)
{
	static const struct {
		const char *kb;
		int rc;
		const char *field, *message; /* message: a part of it */
	} cases[] = {
	        /* As it should be, and with members the verifier does not know. */
	        {"{" KB_OK "}", 0, "", ""},
	        {"{" KB_OK ",\"extra\":{\"a\":[1,2.5,null]},\"x-note\":\"\\u00e9\"}", 0, "", ""},
	        /* A name repeated, also when it is written with an escape. */
	        {"{" KB_OK ",\"nonce\":\"n-1\"}", OK_EINPUT, "kb-jwt", "a name is repeated"},
	        {"{\"nonce\":\"other\"," KB_OK "}", OK_EINPUT, "kb-jwt", "a name is repeated"},
	        {"{" KB_OK ",\"non\\u0063e\":\"n-1\"}", OK_EINPUT, "kb-jwt", "a name is repeated"},
	        /* Not JSON, or not an object. */
	        {"{" KB_OK "} x", OK_EINPUT, "kb-jwt", "not valid JSON"},
	        {"{" KB_OK ",\"s\":\"\\ud800\"}", OK_EINPUT, "kb-jwt", "not valid JSON"},
	        {"[1]", OK_EINPUT, "kb-jwt", "not a JSON object"},
	        /* Wrong types: each refused by its own check. */
	        {"{\"iat\":@T,\"aud\":\"https://v.example\",\"nonce\":1,\"sd_hash\":\"@H\"}",
	         OK_EINVALID, "kb-jwt.nonce", "nonce"},
	        {"{\"iat\":@T,\"aud\":\"https://v.example\",\"nonce\":null,\"sd_hash\":\"@H\"}",
	         OK_EINVALID, "kb-jwt.nonce", "nonce"},
	        {"{\"iat\":@T,\"aud\":[\"https://"
	         "v.example\"],\"nonce\":\"n-1\",\"sd_hash\":\"@H\"}",
	         OK_EINVALID, "kb-jwt.aud", "aud"},
	        {"{\"iat\":\"@T\",\"aud\":\"https://"
	         "v.example\",\"nonce\":\"n-1\",\"sd_hash\":\"@H\"}",
	         OK_EINVALID, "kb-jwt.iat", "iat"},
	        {"{\"iat\":@T.5,\"aud\":\"https://"
	         "v.example\",\"nonce\":\"n-1\",\"sd_hash\":\"@H\"}",
	         OK_EINVALID, "kb-jwt.iat", "iat"},
	        {"{\"iat\":@T,\"aud\":\"https://v.example\",\"nonce\":\"n-1\",\"sd_hash\":{}}",
	         OK_EINVALID, "kb-jwt.sd_hash", "sd_hash"},
	        {"{\"iat\":@T,\"aud\":\"https://v.example\",\"nonce\":\"n-1\"}", OK_EINVALID,
	         "kb-jwt.sd_hash", "sd_hash"},
	        /* The right type, the wrong value. */
	        {"{\"iat\":@T,\"aud\":\"https://v.example\",\"nonce\":\"n-2\",\"sd_hash\":\"@H\"}",
	         OK_EINVALID, "kb-jwt.nonce", "nonce"},
	        {"{\"iat\":@T,\"aud\":\"https://v.example\",\"nonce\":\"n-1\\u0000\","
	         "\"sd_hash\":\"@H\"}",
	         OK_EINPUT, "kb-jwt", "not valid JSON"},
	};
	struct jose_signer *s = *state, h = {0};

	assert_int_equal(jose_signer_es256_generate(&h, NULL), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *sd = make_kb(s, &h, cases[i].kb);
		struct ok_error err;
		int bound = -1, rc = verify_kb(s, sd, &bound, &err);

		if (rc != cases[i].rc || strcmp(err.field, cases[i].field) != 0 ||
		    !strstr(err.message, cases[i].message) || bound != (rc == 0))
			fail_msg("case %zu: %d %s: %s (bound %d)", i, rc, err.field, err.message,
			         bound);
		free(sd);
	}
	jose_signer_release(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(escaped_names_and_values_come_through),
	        cmocka_unit_test(an_escaped_name_is_still_plain_only),
	        cmocka_unit_test(refused_as_jansson_refused),
	        cmocka_unit_test(a_nul_after_a_scalar_was_accepted_and_is_refused_now),
	        cmocka_unit_test(the_same_disclosure_value_read_once),
	        cmocka_unit_test(the_kb_jwt_payload_is_read_strictly),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
