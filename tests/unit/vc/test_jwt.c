/* Unit tests for VC-JOSE compact JWS: signing, verifying, and strict refusal of bad tokens. */
#include "vc_test.h"

#include <sodium.h>

#include "vc/did.h"
#include "vc/jwt.h"
#include "vc/multibase.h"

struct key {
	uint8_t pk[32], sk[64];
	char vm[VC_DID_MAX];
};

static void new_key(struct key *k)
{
	crypto_sign_keypair(k->pk, k->sk);
	assert_int_equal(vc_did_key_vm(k->pk, k->vm, NULL), 0);
}

/* A compact JWS over the given header and payload text, signed with sk. */
static char *make_jws(const char *header, const char *payload, const uint8_t *sk, size_t sig_len)
{
	uint8_t sig[64];
	struct buf b;

	buf_init(&b, 0);
	assert_int_equal(vc_base64url_encode((const uint8_t *)header, strlen(header), &b, NULL), 0);
	assert_int_equal(buf_addch(&b, '.'), 0);
	assert_int_equal(vc_base64url_encode((const uint8_t *)payload, strlen(payload), &b, NULL),
	                 0);
	crypto_sign_detached(sig, NULL, (const unsigned char *)b.data, b.len, sk);
	assert_int_equal(buf_addch(&b, '.'), 0);
	assert_int_equal(vc_base64url_encode(sig, sig_len, &b, NULL), 0);
	return buf_detach(&b, NULL);
}

static void expect_refused(const char *jws, size_t len, const struct key *k, int code,
                           const char *field, const char *what)
{
	struct ok_error err;
	json_t *payload = (json_t *)1, *header = (json_t *)1;
	int rc;

	(void)k;
	ok_error_clear(&err);
	rc = vc_jwt_verify(jws, len, vc_proof_resolve_did_key, NULL, &payload, &header, &err);
	if (rc != code)
		fail_msg("%s: want %s, got %s (%s)", what, ok_code_name(code), ok_code_name(rc),
		         err.message);
	if (strcmp(err.field, field) != 0)
		fail_msg("%s: want field %s, got %s (%s)", what, field, err.field, err.message);
	assert_null(payload);
	assert_null(header);
}

static void sign_and_verify(void **state)
{
	json_t *doc = vc_fixture_json("unsigned.json"), *payload, *header, *h;
	struct ok_error err;
	struct buf a, b;
	struct key k;
	const char *dot;
	uint8_t raw[512];
	size_t n;

	(void)state;
	new_key(&k);
	ok_error_clear(&err);
	buf_init(&a, 0);
	buf_init(&b, 0);
	assert_int_equal(vc_jwt_sign(doc, k.vm, k.sk, &a, &err), 0);
	assert_int_equal(vc_jwt_sign(doc, k.vm, k.sk, &b, &err), 0);
	assert_string_equal(a.data, b.data); /* deterministic */
	/* The header, exactly. */
	dot = strchr(a.data, '.');
	assert_int_equal(
	        vc_base64url_decode(a.data, (size_t)(dot - a.data), raw, sizeof(raw), &n, &err), 0);
	assert_int_equal(vc_jcs_parse((const char *)raw, n, 0, &h, &err), 0);
	assert_string_equal(json_string_value(json_object_get(h, "alg")), "EdDSA");
	assert_string_equal(json_string_value(json_object_get(h, "typ")), "vc+jwt");
	assert_string_equal(json_string_value(json_object_get(h, "kid")), k.vm);
	assert_int_equal(json_object_size(h), 3);
	json_decref(h);

	if (vc_jwt_verify(a.data, a.len, vc_proof_resolve_did_key, NULL, &payload, &header, &err) !=
	    0)
		fail_msg("verify: %s", err.message);
	assert_true(json_equal(payload, doc));
	assert_string_equal(json_string_value(json_object_get(header, "kid")), k.vm);
	json_decref(payload);
	json_decref(header);
	/* The header is optional for the caller. */
	assert_int_equal(
	        vc_jwt_verify(a.data, a.len, vc_proof_resolve_did_key, NULL, &payload, NULL, &err),
	        0);
	json_decref(payload);

	/* Sign refuses what is not a credential. */
	buf_reset(&b);
	assert_int_equal(vc_jwt_sign(json_object_get(doc, "type"), k.vm, k.sk, &b, &err),
	                 OK_EINPUT);
	assert_int_equal(vc_jwt_sign(doc, "", k.sk, &b, &err), OK_EINPUT);
	assert_int_equal(b.len, 0);
	buf_release(&a);
	buf_release(&b);
	json_decref(doc);
}

static void tampering_is_caught(void **state)
{
	json_t *doc = vc_fixture_json("unsigned.json");
	struct key k, other;
	struct buf a;
	char *t, *dot1, *dot2;
	size_t i;

	(void)state;
	new_key(&k);
	new_key(&other);
	buf_init(&a, 0);
	assert_int_equal(vc_jwt_sign(doc, k.vm, k.sk, &a, NULL), 0);
	dot1 = strchr(a.data, '.');
	dot2 = strchr(dot1 + 1, '.');

	t = strdup(a.data);
	i = (size_t)(dot1 - a.data) + (size_t)(dot2 - dot1) / 2; /* a payload character */
	t[i] = t[i] == 'A' ? 'B' : 'A';
	expect_refused(t, a.len, &k, OK_EINVALID, "signature", "altered payload");
	strcpy(t, a.data);
	t[(dot2 - a.data) + 10] = t[(dot2 - a.data) + 10] == 'A' ? 'B' : 'A';
	expect_refused(t, a.len, &k, OK_EINVALID, "signature", "altered signature");
	free(t);

	/* Signed by another key than its kid says. */
	{
		char header[512];

		snprintf(header, sizeof(header), "{\"alg\":\"EdDSA\",\"kid\":\"%s\"}", k.vm);
		t = make_jws(header, "{\"a\":1}", other.sk, 64);
		expect_refused(t, strlen(t), &k, OK_EINVALID, "signature", "other key");
		free(t);
		/* Without typ, properly signed: accepted. */
		t = make_jws(header, "{\"a\":1}", k.sk, 64);
		{
			json_t *p;

			assert_int_equal(vc_jwt_verify(t, strlen(t), vc_proof_resolve_did_key, NULL,
			                               &p, NULL, NULL),
			                 0);
			json_decref(p);
		}
		free(t);
		t = make_jws(header, "[1]", k.sk, 64);
		expect_refused(t, strlen(t), &k, OK_EINPUT, "payload", "array payload");
		free(t);
		t = make_jws(header, "{\"a\":1,\"a\":2}", k.sk, 64);
		expect_refused(t, strlen(t), &k, OK_EINPUT, "payload", "duplicate payload key");
		free(t);
		t = make_jws(header, "{\"a\":1}", k.sk, 63);
		expect_refused(t, strlen(t), &k, OK_EINVALID, "signature", "short signature");
		free(t);
	}
	buf_release(&a);
	json_decref(doc);
}

/* Copies tmpl into out with its one "%s" replaced by kid. */
static void fill_kid(const char *tmpl, const char *kid, char *out, size_t cap)
{
	const char *at = strstr(tmpl, "%s");

	assert_non_null(at);
	assert_true(strlen(tmpl) + strlen(kid) < cap);
	memcpy(out, tmpl, (size_t)(at - tmpl));
	strcpy(out + (at - tmpl), kid);
	strcat(out, at + 2);
}

static void headers_are_checked(void **state)
{
	static const struct {
		const char *header; /* %s is the kid */
		int code;
		const char *field;
	} cases[] = {
	        {"{\"alg\":\"none\",\"kid\":\"%s\"}", OK_EINVALID, "header.alg"},
	        {"{\"alg\":\"HS256\",\"kid\":\"%s\"}", OK_EINVALID, "header.alg"},
	        {"{\"alg\":\"ES256\",\"kid\":\"%s\",\"typ\":\"vc+jwt\"}", OK_EINVALID,
	         "header.alg"},
	        {"{\"kid\":\"%s\"}", OK_EINPUT, "header.alg"},
	        {"{\"alg\":\"EdDSA\",\"kid\":\"%s\",\"typ\":\"JWT\"}", OK_EINVALID, "header.typ"},
	        {"{\"alg\":\"EdDSA\",\"kid\":\"%s\",\"typ\":1}", OK_EINVALID, "header.typ"},
	        {"{\"alg\":\"EdDSA\",\"kid\":\"%s\",\"crit\":[\"b64\"],\"b64\":false}", OK_EINVALID,
	         "header.crit"},
	        {"{\"alg\":\"EdDSA\",\"x\":\"%s\"}", OK_EINVALID, "header.kid"},
	        {"{\"alg\":\"EdDSA\",\"kid\":\"did:web:example.com#key-1%s\"}", OK_EINVALID,
	         "header.kid"},
	        {"{\"alg\":\"EdDSA\",\"alg\":\"EdDSA\",\"kid\":\"%s\"}", OK_EINPUT, "header"},
	        {"[\"%s\"]", OK_EINPUT, "header"},
	        {"{\"alg\":\"EdDSA\",\"kid\":\"%s\"", OK_EINPUT, "header"},
	};
	char header[512];
	struct key k;
	size_t i;
	char *t;

	(void)state;
	new_key(&k);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fill_kid(cases[i].header, k.vm, header, sizeof(header));
		t = make_jws(header, "{\"a\":1}", k.sk, 64);
		expect_refused(t, strlen(t), &k, cases[i].code, cases[i].field, cases[i].header);
		free(t);
	}
}

static void structure_is_strict(void **state)
{
	static const char *const bad[] = {
	        "",       "abc",    "a.b",    "a.b.c.d", ".b.c",    "a..c", "a.b.",
	        "a.b.c=", "a+.b.c", "a.b/.c", " a.b.c",  "a.b.c\n", "..",   "...",
	};
	struct key k;
	size_t i;
	char *big;

	(void)state;
	new_key(&k);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_refused(bad[i], strlen(bad[i]), &k, OK_EINPUT, "jws", bad[i]);
	/* Well-formed parts that are not base64url of JSON. */
	expect_refused("Zg.Zg.Zg", 8, &k, OK_EINPUT, "header", "garbage header");
	expect_refused("Zh.Zg.Zg", 8, &k, OK_EINPUT, "header", "unused bits");
	big = malloc(VC_JWT_MAX + 2);
	memset(big, 'A', VC_JWT_MAX + 1);
	big[1] = '.';
	big[3] = '.';
	expect_refused(big, VC_JWT_MAX + 1, &k, OK_ETOOBIG, "jws", "too long");
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(sign_and_verify),
	        cmocka_unit_test(tampering_is_caught),
	        cmocka_unit_test(headers_are_checked),
	        cmocka_unit_test(structure_is_strict),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("vc/jwt", tests, NULL, NULL);
}
