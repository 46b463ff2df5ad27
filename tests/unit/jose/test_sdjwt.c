/* Unit tests of src/jose/sdjwt.c: the sd-jwt-js structure cases of tests/fixtures/sd-jwt/ as
 * issue → present → verify round trips (the verifier sees exactly presentedClaims), and the
 * inputs a verifier must refuse. */
#include "jose_test.h"

#include <sodium.h>
#include <time.h>

#include "jose/b64.h"
#include "jose/jsonw.h"
#include "jose/jwk.h"
#include "jose/jws.h"
#include "jose/sdjwt.h"

static const char *const cases[] = {
        "array_data_types.json",
        "array_full_sd.json",
        "array_in_sd.json",
        "array_nested_in_plain.json",
        "array_none_disclosed.json",
        "array_of_nulls.json",
        "array_of_objects.json",
        "array_of_scalars.json",
        "array_recursive_sd.json",
        "array_recursive_sd_some_disclosed.json",
        "complex.json",
        "header_mod.json",
        "json_serialization.json",
        "key_binding.json",
        "no_sd.json",
        "object_data_types.json",
        "recursions.json",
};

struct keys {
	struct jose_signer issuer, holder, other;
	struct jose_jwk issuer_pub;
	json_t *holder_jwk;
};

static int key_of(void *ctx, const json_t *header, const json_t *payload, struct jose_jwk *key,
                  struct ok_error *err)
{
	(void)header;
	(void)payload;
	return jose_signer_public(ctx, key, err);
}

static int setup(void **state)
{
	struct keys *k = calloc(1, sizeof(*k));
	struct jose_jwk h;
	uint8_t seed[32] = {3};

	assert_non_null(k);
	assert_int_equal(jose_signer_es256_generate(&k->issuer, NULL), 0);
	assert_int_equal(jose_signer_public(&k->issuer, &k->issuer_pub, NULL), 0);
	assert_int_equal(jose_signer_ed25519_from_seed(&k->holder, seed, NULL), 0);
	assert_int_equal(jose_signer_es256_generate(&k->other, NULL), 0);
	assert_int_equal(jose_signer_public(&k->holder, &h, NULL), 0);
	assert_int_equal(jose_jwk_to_json(&h, &k->holder_jwk, NULL), 0);
	jose_jwk_release(&h);
	*state = k;
	return 0;
}

static int teardown(void **state)
{
	struct keys *k = *state;

	jose_signer_release(&k->issuer);
	jose_signer_release(&k->holder);
	jose_signer_release(&k->other);
	jose_jwk_release(&k->issuer_pub);
	json_decref(k->holder_jwk);
	free(k);
	return 0;
}

static struct jose_sdjwt_expect expect(struct keys *k)
{
	struct jose_sdjwt_expect x = {
	        .algs = JOSE_ALG_ES256,
	        .issuer_key = key_of,
	        .ctx = &k->issuer,
	        .typ = "example+sd-jwt",
	        .now = (int64_t)time(NULL),
	};
	return x;
}

/* Issues claims with frame and the holder's key as cnf. */
static void issue(struct keys *k, const json_t *claims, const json_t *frame, struct buf *out)
{
	json_t *c = json_deep_copy(claims), *hdr = json_pack("{s:s}", "typ", "example+sd-jwt");
	struct ok_error err;

	json_object_set_new(c, "cnf", json_pack("{s:O}", "jwk", k->holder_jwk));
	ok_error_clear(&err);
	if (jose_sdjwt_issue(c, frame, hdr, &k->issuer, out, &err) != 0)
		fail_msg("issue: %s (%s)", err.message, err.field);
	json_decref(c);
	json_decref(hdr);
}

static int verify(struct keys *k, const char *s, const struct jose_sdjwt_expect *x, json_t **claims,
                  struct ok_error *err)
{
	(void)k;
	struct jose_sdjwt_result r;
	int rc;

	ok_error_clear(err);
	rc = jose_sdjwt_verify(s, strlen(s), x, &r, err);
	if (claims) {
		*claims = rc ? NULL : json_incref(r.claims);
		if (*claims)
			json_object_del(*claims, "cnf");
	}
	jose_sdjwt_result_release(&r);
	return rc;
}

/* Drops members whose value is an empty object, recursively. sd-jwt-js, which wrote the
 * expected claims, leaves out an object all of whose members stayed hidden; RFC 9901's
 * processing (and oorkonde's) keeps it as {}. */
static void prune_empty(json_t *v)
{
	const char *key;
	json_t *m;
	void *tmp;
	size_t i;

	if (json_is_array(v))
		json_array_foreach(v, i, m) prune_empty(m);
	if (!json_is_object(v))
		return;
	json_object_foreach_safe(v, tmp, key, m)
	{
		prune_empty(m);
		if (json_is_object(m) && json_object_size(m) == 0)
			json_object_del(v, key);
	}
}

static void test_cases(void **state)
{
	struct keys *k = *state;
	struct jose_sdjwt_expect x = expect(k);
	struct jose_sdjwt_kb kb = {.holder = &k->holder,
	                           .aud = "https://verifier.example",
	                           .nonce = "n-0S6_WzA2Mj",
	                           .iat = (int64_t)time(NULL)};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char rel[128];
		json_t *c, *got;
		struct buf sd, pres;
		struct ok_error err;

		snprintf(rel, sizeof(rel), "sd-jwt/%s", cases[i]);
		c = jt_fixture_json(rel);
		buf_init(&sd, JOSE_SDJWT_MAX);
		buf_init(&pres, JOSE_SDJWT_MAX);
		issue(k, json_object_get(c, "claims"), json_object_get(c, "disclosureFrame"), &sd);

		/* Everything disclosed: the verifier sees the issuer's claims. */
		if (verify(k, sd.data, &x, &got, &err) != 0)
			fail_msg("%s: issued SD-JWT refused: %s (%s)", cases[i], err.message,
			         err.field);
		if (!json_equal(got, json_object_get(c, "claims")))
			fail_msg("%s: verifier's claims differ from the issuer's", cases[i]);
		json_decref(got);

		/* The presentation, without and with key binding. */
		assert_int_equal(jose_sdjwt_present(sd.data, sd.len,
		                                    json_object_get(c, "presentationFrames"), NULL,
		                                    &pres, &err),
		                 0);
		if (verify(k, pres.data, &x, &got, &err) != 0)
			fail_msg("%s: presentation refused: %s (%s)", cases[i], err.message,
			         err.field);
		prune_empty(got);
		if (!json_equal(got, json_object_get(c, "presentedClaims"))) {
			char *a = json_dumps(got, JSON_SORT_KEYS | JSON_COMPACT);
			fail_msg("%s: verifier saw %s", cases[i], a);
		}
		json_decref(got);
		buf_reset(&pres);
		assert_int_equal(jose_sdjwt_present(sd.data, sd.len,
		                                    json_object_get(c, "presentationFrames"), &kb,
		                                    &pres, &err),
		                 0);
		x.aud = kb.aud;
		x.nonce = kb.nonce;
		if (verify(k, pres.data, &x, &got, &err) != 0)
			fail_msg("%s: key-bound presentation refused: %s (%s)", cases[i],
			         err.message, err.field);
		prune_empty(got);
		assert_true(json_equal(got, json_object_get(c, "presentedClaims")));
		json_decref(got);
		x.aud = x.nonce = NULL;

		buf_release(&sd);
		buf_release(&pres);
		json_decref(c);
	}
}

/* Issued SD-JWTs: salts differ, _sd sorted, _sd_alg sha-256, decoys present. */
static void test_issued_shape(void **state)
{
	struct keys *k = *state;
	json_t *claims = json_pack("{s:s,s:s}", "given_name", "Anna", "family_name", "Jansen");
	json_t *frame =
	        json_pack("{s:[s,s],s:i}", "_sd", "given_name", "family_name", "_sd_decoy", 3);
	struct buf a, b;
	struct jose_jws jws;
	json_t *payload, *sd;
	size_t i;

	(void)state;
	buf_init(&a, JOSE_SDJWT_MAX);
	buf_init(&b, JOSE_SDJWT_MAX);
	issue(k, claims, frame, &a);
	issue(k, claims, frame, &b);
	/* Fresh salts: the disclosures of two issuances of the same claims differ. */
	assert_string_not_equal(strchr(a.data, '~'), strchr(b.data, '~'));
	assert_int_equal(jose_jws_parse(a.data, (size_t)(strchr(a.data, '~') - a.data),
	                                JOSE_ALG_ES256, NULL, &jws, NULL),
	                 0);
	assert_int_equal(jose_jws_payload_json(&jws, &payload, NULL), 0);
	assert_string_equal(jt_str(payload, "_sd_alg"), "sha-256");
	assert_null(json_object_get(payload, "given_name"));
	sd = json_object_get(payload, "_sd");
	assert_int_equal(json_array_size(sd), 5); /* two claims, three decoys */
	for (i = 1; i < json_array_size(sd); i++)
		assert_true(strcmp(json_string_value(json_array_get(sd, i - 1)),
		                   json_string_value(json_array_get(sd, i))) < 0);
	json_decref(payload);
	jose_jws_release(&jws);
	buf_release(&a);
	buf_release(&b);
	json_decref(claims);
	json_decref(frame);
}

/* Disclosures are written as JSON text directly: names and values that JSON must escape
 * (quotes, backslashes, control characters) and UTF-8 come back as they
 * were, whatever their type. */
static void test_escaped_claims(void **state)
{
	struct keys *k = *state;
	json_t *claims = json_pack("{s:s,s:s,s:s,s:[i,s],s:{s:b},s:n,s:f}", "q\"uote\\d",
	                           "a \"b\" \\ c\n\t\x01\x1f", "ctl", "\x7f\x1b[0m", "utf8",
	                           "Łukasz Müller-Dağ ✓", "list", 1, "\"", "obj", "k", 1, "null",
	                           "real", 2.5);
	json_t *frame = json_pack("{s:[s,s,s,s,s,s,s]}", "_sd", "q\"uote\\d", "ctl", "utf8", "list",
	                          "obj", "null", "real");
	struct jose_sdjwt_expect x = expect(k);
	json_t *got = NULL;
	struct ok_error err;
	struct buf a;

	buf_init(&a, JOSE_SDJWT_MAX);
	issue(k, claims, frame, &a);
	if (verify(k, a.data, &x, &got, &err))
		fail_msg("verify: %s", err.message);
	json_object_del(got, "_sd_alg");
	assert_true(json_equal(got, claims));
	json_decref(got);
	buf_release(&a);
	json_decref(claims);
	json_decref(frame);
}

/* The payload is written straight from the claims (no copy of them is made): its bytes are what
 * jose_jsonw writes of the claims with the disclosed members left out and "_sd" and "_sd_alg"
 * added at the end, whatever the values (escapes, negative and extreme integers, reals,
 * nested arrays and objects), so verifiers that hash or compare text see what they did. */
static void test_payload_text(void **state)
{
	struct keys *k = *state;
	json_t *claims =
	        json_pack("{s:s,s:I,s:I,s:i,s:f,s:[i,s,{s:[n,b]}],s:{s:{}},s:s,s:s,s:[]}",
	                  "a\"b\\c\x01", "line\n\ttab \x1f end", "min", (json_int_t)INT64_MIN,
	                  "max", (json_int_t)INT64_MAX, "neg", -1, "real", 0.1, "list", 7, "x", "k",
	                  0, "obj", "inner", "given_name", "Łukasz", "hidden", "secret", "empty");
	json_t *frame = json_pack("{s:[s,s,s]}", "_sd", "given_name", "hidden", "missing");
	json_t *hdr = json_pack("{s:s}", "typ", "example+sd-jwt"), *payload, *want;
	struct jose_jws jws;
	struct buf a, text;

	(void)state;
	buf_init(&a, JOSE_SDJWT_MAX);
	buf_init(&text, JOSE_SDJWT_MAX);
	assert_int_equal(jose_sdjwt_issue(claims, frame, hdr, &k->issuer, &a, NULL), 0);
	assert_int_equal(jose_jws_parse(a.data, (size_t)(strchr(a.data, '~') - a.data),
	                                JOSE_ALG_ES256, NULL, &jws, NULL),
	                 0);
	assert_int_equal(jose_jws_payload_json(&jws, &payload, NULL), 0);
	assert_int_equal(json_array_size(json_object_get(payload, "_sd")), 2);
	want = json_deep_copy(claims);
	json_object_del(want, "given_name");
	json_object_del(want, "hidden");
	json_object_set(want, "_sd", json_object_get(payload, "_sd"));
	json_object_set_new(want, "_sd_alg", json_string("sha-256"));
	assert_int_equal(jose_jsonw(&text, want), 0);
	assert_int_equal(jws.payload.len, text.len);
	assert_memory_equal(jws.payload.data, text.data, text.len);
	/* The claims given are not changed. */
	assert_non_null(json_object_get(claims, "given_name"));
	assert_null(json_object_get(claims, "_sd"));
	json_decref(want);
	json_decref(payload);
	jose_jws_release(&jws);
	buf_release(&a);
	buf_release(&text);
	json_decref(claims);
	json_decref(frame);
	json_decref(hdr);
}

/* Signs payload as the issuer and appends the disclosures given (each followed by '~'). */
static void forge(struct keys *k, json_t *payload, const char *const *disclosures, struct buf *out)
{
	json_t *hdr = json_pack("{s:s}", "typ", "example+sd-jwt");
	size_t i;

	buf_reset(out);
	assert_int_equal(jose_jws_sign_json(hdr, payload, &k->issuer, out, NULL), 0);
	assert_int_equal(buf_addch(out, '~'), 0);
	for (i = 0; disclosures && disclosures[i]; i++) {
		assert_int_equal(buf_addstr(out, disclosures[i]), 0);
		assert_int_equal(buf_addch(out, '~'), 0);
	}
	json_decref(hdr);
}

static void disclosure_of(const char *json, struct buf *b64, char digest[44])
{
	uint8_t h[32];

	buf_reset(b64);
	assert_int_equal(jose_b64_encode(json, strlen(json), b64, NULL), 0);
	crypto_hash_sha256(h, (const uint8_t *)b64->data, b64->len);
	sodium_bin2base64(digest, 44, h, 32, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* Claims the caller names as plain-only (SD-JWT VC: status, exp, cnf, ...) refuse the
 * SD-JWT when they came as a disclosure, at the top level only; in the clear they pass. */
static void test_plain_only(void **state)
{
	static const char *const plain_only[] = {"exp", "status", NULL};
	struct keys *k = *state;
	struct jose_sdjwt_expect x = expect(k);
	json_t *claims = json_pack("{s:s,s:I,s:{s:s}}", "given_name", "Anna", "exp",
	                           (json_int_t)time(NULL) + 3600, "status", "uri", "https://x/1");
	json_t *hidden = json_pack("{s:[s,s]}", "_sd", "given_name", "status");
	json_t *clear = json_pack("{s:[s]}", "_sd", "given_name");
	json_t *nested = json_pack("{s:{s:[s]}}", "status", "_sd", "uri");
	struct buf sd;
	struct ok_error err;

	x.plain_only = plain_only;
	buf_init(&sd, JOSE_SDJWT_MAX);
	issue(k, claims, hidden, &sd);
	assert_int_equal(verify(k, sd.data, &x, NULL, &err), OK_EINVALID);
	assert_string_equal(err.field, "disclosure");
	assert_non_null(strstr(err.message, "in the clear"));
	/* Without the list the same SD-JWT verifies (plain SD-JWT allows it). */
	x.plain_only = NULL;
	assert_int_equal(verify(k, sd.data, &x, NULL, &err), 0);
	x.plain_only = plain_only;
	buf_reset(&sd);
	issue(k, claims, clear, &sd);
	assert_int_equal(verify(k, sd.data, &x, NULL, &err), 0);
	/* A member inside status may be disclosed: the rule is about the claim itself. */
	buf_reset(&sd);
	issue(k, claims, nested, &sd);
	assert_int_equal(verify(k, sd.data, &x, NULL, &err), 0);
	buf_release(&sd);
	json_decref(claims);
	json_decref(hidden);
	json_decref(clear);
	json_decref(nested);
}

static void test_refused(void **state)
{
	struct keys *k = *state;
	struct jose_sdjwt_expect x = expect(k);
	json_t *claims = json_pack("{s:s,s:s}", "given_name", "Anna", "degree", "MSc");
	json_t *frame = json_pack("{s:[s,s]}", "_sd", "given_name", "degree");
	json_t *pf = json_pack("{s:b}", "degree", 1);
	struct jose_sdjwt_kb kb = {.holder = &k->holder,
	                           .aud = "https://verifier.example",
	                           .nonce = "abc",
	                           .iat = (int64_t)time(NULL)};
	struct buf sd, other, pres, d1, forged;
	struct ok_error err;
	char dg[44], *tilde;
	json_t *payload;

	buf_init(&sd, JOSE_SDJWT_MAX);
	buf_init(&other, JOSE_SDJWT_MAX);
	buf_init(&pres, JOSE_SDJWT_MAX);
	buf_init(&d1, 4096);
	buf_init(&forged, JOSE_SDJWT_MAX);
	issue(k, claims, frame, &sd);
	issue(k, claims, frame, &other);

	/* A disclosure of another SD-JWT added: not referenced. */
	assert_int_equal(buf_addstr(&pres, sd.data), 0);
	tilde = strchr(other.data, '~');
	assert_int_equal(buf_add(&pres, tilde + 1, (size_t)(strchr(tilde + 1, '~') - tilde)), 0);
	assert_int_equal(verify(k, pres.data, &x, NULL, &err), OK_EINVALID);
	assert_non_null(strstr(err.message, "not referenced"));

	/* The same disclosure twice. */
	buf_reset(&pres);
	assert_int_equal(buf_addstr(&pres, sd.data), 0);
	tilde = strchr(sd.data, '~');
	assert_int_equal(buf_add(&pres, tilde + 1, (size_t)(strchr(tilde + 1, '~') - tilde)), 0);
	assert_int_equal(verify(k, pres.data, &x, NULL, &err), OK_EINVALID);

	/* The issuer's signature by another key; a wrong typ. */
	x.ctx = &k->other;
	assert_int_equal(verify(k, sd.data, &x, NULL, &err), OK_EINVALID);
	assert_string_equal(err.field, "signature");
	x.ctx = &k->issuer;
	x.typ = "dc+sd-jwt";
	assert_int_equal(verify(k, sd.data, &x, NULL, &err), OK_EINVALID);
	assert_string_equal(err.field, "header.typ");
	x.typ = "example+sd-jwt";

	/* alg none: the issuer part unsigned. */
	buf_reset(&forged);
	assert_int_equal(buf_addstr(&forged, "eyJhbGciOiJub25lIiwidHlwIjoiZXhhbXBsZStzZC1qd3QifQ."),
	                 0);
	assert_int_equal(jose_b64_encode("{\"given_name\":\"Eve\"}", 20, &forged, NULL), 0);
	assert_int_equal(buf_addstr(&forged, ".~"), 0);
	assert_int_equal(verify(k, forged.data, &x, NULL, &err), OK_EINPUT);
	assert_string_equal(err.field, "header.alg");

	/* Duplicate digests in the signed payload (even of a disclosure not presented). */
	disclosure_of("[\"c2FsdA\",\"given_name\",\"Anna\"]", &d1, dg);
	payload = json_pack("{s:[s,s],s:s}", "_sd", dg, dg, "_sd_alg", "sha-256");
	forge(k, payload, NULL, &forged);
	assert_int_equal(verify(k, forged.data, &x, NULL, &err), OK_EINVALID);
	assert_non_null(strstr(err.message, "twice"));
	json_decref(payload);
	/* One digest in an object and as an array element. */
	payload = json_pack("{s:[s],s:[{s:s}],s:s}", "_sd", dg, "list", "...", dg, "_sd_alg",
	                    "sha-256");
	forge(k, payload, NULL, &forged);
	assert_int_equal(verify(k, forged.data, &x, NULL, &err), OK_EINVALID);
	json_decref(payload);
	/* A disclosed name that the object has already. */
	payload =
	        json_pack("{s:[s],s:s,s:s}", "_sd", dg, "given_name", "Eve", "_sd_alg", "sha-256");
	{
		const char *ds[] = {d1.data, NULL};
		forge(k, payload, ds, &forged);
	}
	assert_int_equal(verify(k, forged.data, &x, NULL, &err), OK_EINVALID);
	assert_non_null(strstr(err.message, "exists already"));
	json_decref(payload);
	/* A claim's disclosure (3 elements) as an array element, and an element's (2) in "_sd". */
	payload = json_pack("{s:[{s:s}],s:s}", "list", "...", dg, "_sd_alg", "sha-256");
	{
		const char *ds[] = {d1.data, NULL};
		forge(k, payload, ds, &forged);
	}
	assert_int_equal(verify(k, forged.data, &x, NULL, &err), OK_EINVALID);
	assert_string_equal(err.message, "a claim's disclosure is referenced from an array");
	json_decref(payload);
	{
		struct buf d2;
		char dg2[44];
		const char *ds[] = {NULL, NULL};

		buf_init(&d2, 4096);
		disclosure_of("[\"c2FsdA\",\"Anna\"]", &d2, dg2);
		ds[0] = d2.data;
		payload = json_pack("{s:[s],s:s}", "_sd", dg2, "_sd_alg", "sha-256");
		forge(k, payload, ds, &forged);
		assert_int_equal(verify(k, forged.data, &x, NULL, &err), OK_EINVALID);
		assert_string_equal(err.message,
		                    "an array element's disclosure is referenced from an object");
		json_decref(payload);
		buf_release(&d2);
	}
	/* A disclosure of a reserved name. */
	disclosure_of("[\"c2FsdA\",\"_sd\",[\"x\"]]", &d1, dg);
	payload = json_pack("{s:[s],s:s}", "_sd", dg, "_sd_alg", "sha-256");
	{
		const char *ds[] = {d1.data, NULL};
		forge(k, payload, ds, &forged);
	}
	assert_int_equal(verify(k, forged.data, &x, NULL, &err), OK_EINVALID);
	assert_non_null(strstr(err.message, "reserved"));
	json_decref(payload);
	/* Another hash algorithm. */
	payload = json_pack("{s:s}", "_sd_alg", "sha-1");
	forge(k, payload, NULL, &forged);
	assert_int_equal(verify(k, forged.data, &x, NULL, &err), OK_EINVALID);
	json_decref(payload);

	/* Key binding: by another key, for another nonce or audience, too old, a disclosure
	 * dropped after it was made, none at all where one is required. */
	buf_reset(&pres);
	assert_int_equal(jose_sdjwt_present(sd.data, sd.len, pf, &kb, &pres, &err), 0);
	x.aud = kb.aud;
	x.nonce = kb.nonce;
	assert_int_equal(verify(k, pres.data, &x, NULL, &err), 0);
	x.nonce = "another";
	assert_int_equal(verify(k, pres.data, &x, NULL, &err), OK_EINVALID);
	assert_string_equal(err.field, "kb-jwt.nonce");
	x.nonce = kb.nonce;
	x.aud = "https://elsewhere.example";
	assert_int_equal(verify(k, pres.data, &x, NULL, &err), OK_EINVALID);
	assert_string_equal(err.field, "kb-jwt.aud");
	x.aud = kb.aud;
	x.now += 3600;
	assert_int_equal(verify(k, pres.data, &x, NULL, &err), OK_EINVALID);
	assert_string_equal(err.field, "kb-jwt.iat");
	x.now -= 3600;
	{
		/* The same presentation with its KB-JWT signed by a key that is not cnf.jwk. */
		struct jose_sdjwt_kb bad = kb;
		struct buf p2;

		bad.holder = &k->other;
		buf_init(&p2, JOSE_SDJWT_MAX);
		assert_int_equal(jose_sdjwt_present(sd.data, sd.len, pf, &bad, &p2, &err), 0);
		assert_int_equal(verify(k, p2.data, &x, NULL, &err), OK_EINVALID);
		assert_string_equal(err.field, "kb-jwt");
		assert_non_null(strstr(err.message, "holder"));
		/* A disclosure removed after binding: the sd_hash no longer matches. */
		buf_reset(&p2);
		tilde = strchr(pres.data, '~');
		assert_int_equal(buf_add(&p2, pres.data, (size_t)(tilde + 1 - pres.data)), 0);
		assert_int_equal(buf_addstr(&p2, strrchr(pres.data, '~') + 1), 0);
		assert_int_equal(verify(k, p2.data, &x, NULL, &err), OK_EINVALID);
		assert_string_equal(err.field, "kb-jwt.sd_hash");
		buf_release(&p2);
	}
	x.require_kb = 1;
	x.aud = x.nonce = NULL;
	assert_int_equal(verify(k, sd.data, &x, NULL, &err), OK_EINVALID);
	assert_string_equal(err.field, "kb-jwt");

	/* Malformed: no '~', an empty disclosure, a disclosure that is not an array. */
	x.require_kb = 0;
	assert_int_equal(verify(k, "abc.def.ghi", &x, NULL, &err), OK_EINPUT);
	buf_reset(&pres);
	assert_int_equal(buf_addstr(&pres, sd.data), 0);
	assert_int_equal(buf_addstr(&pres, "~"), 0);
	assert_int_equal(verify(k, pres.data, &x, NULL, &err), OK_EINPUT);
	buf_reset(&pres);
	assert_int_equal(buf_add(&pres, sd.data, (size_t)(strchr(sd.data, '~') + 1 - sd.data)), 0);
	assert_int_equal(buf_addstr(&pres, "eyJhIjoxfQ~"), 0);
	assert_int_equal(verify(k, pres.data, &x, NULL, &err), OK_EINPUT);
	assert_string_equal(err.field, "disclosure");

	buf_release(&sd);
	buf_release(&other);
	buf_release(&pres);
	buf_release(&d1);
	buf_release(&forged);
	json_decref(claims);
	json_decref(frame);
	json_decref(pf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_cases),          cmocka_unit_test(test_issued_shape),
	        cmocka_unit_test(test_escaped_claims), cmocka_unit_test(test_refused),
	        cmocka_unit_test(test_plain_only),     cmocka_unit_test(test_payload_text),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, setup, teardown);
}
