/* Unit tests for eddsa-jcs-2022: the W3C test vectors step by step, verification of the signed
 * vector, and every field of it altered in turn. */
#include "vc_test.h"

#include <sodium.h>

#include "vc/did.h"
#include "vc/multibase.h"
#include "vc/proof.h"

#define W3C_CREATED "2023-02-24T23:36:38Z"

struct w3c_key {
	uint8_t pk[crypto_sign_PUBLICKEYBYTES];
	uint8_t sk[crypto_sign_SECRETKEYBYTES];
	char vm[VC_DID_MAX];
};

static void load_w3c_key(struct w3c_key *k)
{
	uint8_t seed[VC_ED25519_SEED_BYTES];
	char mk[VC_MULTIKEY_MAX];
	struct ok_error err;
	json_t *pair = vc_fixture_json("keyPair.json");
	const char *priv = json_string_value(json_object_get(pair, "privateKeyMultibase"));
	const char *pub = json_string_value(json_object_get(pair, "publicKeyMultibase"));

	ok_error_clear(&err);
	assert_int_equal(vc_multikey_decode_ed25519_seed(priv, seed, &err), 0);
	assert_int_equal(crypto_sign_seed_keypair(k->pk, k->sk, seed), 0);
	assert_int_equal(vc_multikey_encode_ed25519_pub(k->pk, mk, &err), 0);
	assert_string_equal(mk, pub);
	assert_int_equal(vc_multikey_encode_ed25519_seed(seed, mk, &err), 0);
	assert_string_equal(mk, priv);
	assert_int_equal(vc_did_key_vm(k->pk, k->vm, &err), 0);
	json_decref(pair);
}

static void w3c_vectors_step_by_step(void **state)
{
	struct vc_proof_options opt = {NULL, W3C_CREATED, VC_SUITE_JCS};
	uint8_t hash[VC_PROOF_HASH_BYTES], sig[crypto_sign_BYTES];
	char hex[2 * VC_PROOF_HASH_BYTES + 1];
	struct buf canon_doc, canon_config, value;
	json_t *unsigned_doc, *config, *config_fixture, *secured, *signed_fixture;
	struct ok_error err;
	struct w3c_key k;
	char *want, *s;

	(void)state;
	ok_error_clear(&err);
	load_w3c_key(&k);
	opt.verification_method = k.vm;
	unsigned_doc = vc_fixture_json("unsigned.json");

	/* The proof configuration, built and as published. */
	assert_int_equal(vc_proof_config(unsigned_doc, &opt, &config, &err), 0);
	config_fixture = vc_fixture_json("proofConfigJCS.json");
	assert_true(json_equal(config, config_fixture));

	/* Canonical forms and both hashes. */
	buf_init(&canon_doc, 0);
	buf_init(&canon_config, 0);
	assert_int_equal(vc_proof_hash(unsigned_doc, config, hash, &canon_doc, &canon_config, &err),
	                 0);
	want = vc_fixture("canonDocJCS.txt", NULL);
	assert_string_equal(canon_doc.data, want);
	free(want);
	want = vc_fixture("proofCanonJCS.txt", NULL);
	assert_string_equal(canon_config.data, want);
	free(want);
	vc_hex(hash, 32, hex);
	want = vc_fixture("proofHashJCS.txt", NULL);
	assert_string_equal(hex, want);
	free(want);
	vc_hex(hash + 32, 32, hex);
	want = vc_fixture("docHashJCS.txt", NULL);
	assert_string_equal(hex, want);
	free(want);
	vc_hex(hash, 64, hex);
	want = vc_fixture("combinedHashJCS.txt", NULL);
	assert_string_equal(hex, want);
	free(want);

	/* The signature, in hex and as proofValue. */
	assert_int_equal(crypto_sign_detached(sig, NULL, hash, sizeof(hash), k.sk), 0);
	vc_hex(sig, sizeof(sig), hex);
	want = vc_fixture("sigHexJCS.txt", NULL);
	assert_string_equal(hex, want);
	free(want);
	buf_init(&value, 0);
	assert_int_equal(
	        vc_multibase_encode(VC_MULTIBASE_BASE58BTC, sig, sizeof(sig), &value, &err), 0);
	want = vc_fixture("sigBTC58JCS.txt", NULL);
	assert_string_equal(value.data, want);
	free(want);

	/* The whole: creating gives the published signed credential, member for member. */
	assert_int_equal(vc_proof_create(unsigned_doc, &opt, k.sk, &secured, &err), 0);
	signed_fixture = vc_fixture_json("signedJCS.json");
	if (!json_equal(secured, signed_fixture)) {
		s = vc_canon(secured);
		fail_msg("created credential differs: %s", s);
	}
	/* The input is left alone. */
	assert_null(json_object_get(unsigned_doc, "proof"));

	buf_release(&canon_doc);
	buf_release(&canon_config);
	buf_release(&value);
	json_decref(signed_fixture);
	json_decref(secured);
	json_decref(config_fixture);
	json_decref(config);
	json_decref(unsigned_doc);
}

static void w3c_signed_credential_verifies(void **state)
{
	enum vc_proof_check failed = VC_PROOF_MALFORMED;
	struct ok_error err;
	json_t *doc = vc_fixture_json("signedJCS.json");

	(void)state;
	ok_error_clear(&err);
	if (vc_proof_verify(doc, vc_proof_resolve_did_key, NULL, &failed, &err) != 0)
		fail_msg("verify: %s", err.message);
	assert_int_equal(failed, VC_PROOF_VALID);
	json_decref(doc);
}

/* Verifies doc and expects failure at step want, with a message containing words. */
static void expect_fail(json_t *doc, enum vc_proof_check want, const char *words, const char *what)
{
	enum vc_proof_check failed = VC_PROOF_VALID;
	struct ok_error err;
	int rc;

	ok_error_clear(&err);
	rc = vc_proof_verify(doc, vc_proof_resolve_did_key, NULL, &failed, &err);
	if (rc != OK_EINVALID)
		fail_msg("%s: want OK_EINVALID, got %s", what, ok_code_name(rc));
	if (failed != want)
		fail_msg("%s: want step %s, got %s (%s)", what, vc_proof_check_name(want),
		         vc_proof_check_name(failed), err.message);
	if (words && !strstr(err.message, words))
		fail_msg("%s: message \"%s\" lacks \"%s\"", what, err.message, words);
}

/* A value unlike v of the same kind. */
static json_t *altered(const json_t *v)
{
	const char *s;
	char *t;
	size_t n;
	json_t *out;

	switch (json_typeof(v)) {
	case JSON_STRING:
		s = json_string_value(v);
		n = strlen(s);
		t = strdup(s);
		assert_non_null(t);
		/* Change the last character: the smallest change that must be caught. */
		t[n - 1] = t[n - 1] == 'a' ? 'b' : 'a';
		out = json_string(t);
		free(t);
		return out;
	case JSON_ARRAY:
		out = json_deep_copy(v);
		json_array_set_new(out, 0, altered(json_array_get(v, 0)));
		return out;
	case JSON_OBJECT:
		out = json_deep_copy(v);
		json_object_set_new(out, "alteredMember", json_true());
		return out;
	default:
		return json_null();
	}
}

static void every_altered_field_fails(void **state)
{
	struct {
		const char *key;
		enum vc_proof_check step;
	} proof_fields[] = {
	        {"type", VC_PROOF_WRONG_TYPE},
	        {"cryptosuite", VC_PROOF_UNKNOWN_CRYPTOSUITE},
	        {"created", VC_PROOF_BAD_CREATED},
	        {"verificationMethod", VC_PROOF_KEY_UNRESOLVED},
	        {"proofPurpose", VC_PROOF_WRONG_PURPOSE},
	        {"@context", VC_PROOF_CONTEXT_MISMATCH},
	        {"proofValue", VC_PROOF_BAD_SIGNATURE},
	};
	json_t *orig = vc_fixture_json("signedJCS.json"), *doc, *proof;
	const char *key;
	json_t *value;
	size_t i, seen = 0;
	char what[128];

	(void)state;
	/* Each member of the credential itself. */
	json_object_foreach(orig, key, value)
	{
		if (strcmp(key, "proof") == 0)
			continue;
		doc = json_deep_copy(orig);
		json_object_set_new(doc, key, altered(value));
		snprintf(what, sizeof(what), "altered %s", key);
		expect_fail(doc,
		            strcmp(key, "@context") == 0 ? VC_PROOF_CONTEXT_MISMATCH
		                                         : VC_PROOF_BAD_SIGNATURE,
		            NULL, what);
		json_decref(doc);
		doc = json_deep_copy(orig);
		json_object_del(doc, key);
		snprintf(what, sizeof(what), "removed %s", key);
		expect_fail(doc,
		            strcmp(key, "@context") == 0 ? VC_PROOF_CONTEXT_MISMATCH
		                                         : VC_PROOF_BAD_SIGNATURE,
		            NULL, what);
		json_decref(doc);
		seen++;
	}
	assert_int_equal(seen, 8);
	/* An added member too. */
	doc = json_deep_copy(orig);
	json_object_set_new(doc, "extra", json_string("x"));
	expect_fail(doc, VC_PROOF_BAD_SIGNATURE, "altered", "added member");
	json_decref(doc);

	/* Each member of the proof. */
	for (i = 0; i < sizeof(proof_fields) / sizeof(proof_fields[0]); i++) {
		doc = json_deep_copy(orig);
		proof = json_object_get(doc, "proof");
		value = json_object_get(proof, proof_fields[i].key);
		assert_non_null(value);
		json_object_set_new(proof, proof_fields[i].key, altered(value));
		snprintf(what, sizeof(what), "altered proof.%s", proof_fields[i].key);
		expect_fail(doc, proof_fields[i].step, NULL, what);
		json_decref(doc);
	}
	assert_int_equal(json_object_size(json_object_get(orig, "proof")),
	                 sizeof(proof_fields) / sizeof(proof_fields[0]));
	json_decref(orig);
}

static void proof_failures_name_their_step(void **state)
{
	json_t *orig = vc_fixture_json("signedJCS.json"), *doc, *proof;
	uint8_t pk[32], sk[64];
	char vm[VC_DID_MAX];
	const char *v;
	char *t;

	(void)state;
#define EDIT(stmt, step, words)                        \
	do {                                           \
		doc = json_deep_copy(orig);            \
		proof = json_object_get(doc, "proof"); \
		stmt;                                  \
		expect_fail(doc, step, words, #stmt);  \
		json_decref(doc);                      \
	} while (0)

	EDIT(json_object_set_new(proof, "type", json_string("Ed25519Signature2020")),
	     VC_PROOF_WRONG_TYPE, "DataIntegrityProof");
	EDIT(json_object_del(proof, "type"), VC_PROOF_WRONG_TYPE, "DataIntegrityProof");
	EDIT(json_object_set_new(proof, "cryptosuite", json_string("eddsa-2022")),
	     VC_PROOF_UNKNOWN_CRYPTOSUITE, "cryptosuite");
	EDIT(json_object_set_new(proof, "proofPurpose", json_string("authentication")),
	     VC_PROOF_WRONG_PURPOSE, "assertionMethod");
	EDIT(json_object_set_new(proof, "created", json_string("yesterday")), VC_PROOF_BAD_CREATED,
	     "created");
	EDIT(json_object_set_new(proof, "created", json_string("2023-02-24T23:36:39Z")),
	     VC_PROOF_BAD_SIGNATURE, "signature does not match");
	EDIT(json_object_del(proof, "created"), VC_PROOF_BAD_SIGNATURE, NULL);
	EDIT(json_object_del(proof, "proofValue"), VC_PROOF_MALFORMED, "proofValue");
	EDIT(json_object_del(proof, "verificationMethod"), VC_PROOF_MALFORMED,
	     "verificationMethod");
	EDIT(json_object_set_new(proof, "proofValue", json_integer(5)), VC_PROOF_BAD_MULTIBASE,
	     "multibase");
	v = json_string_value(json_object_get(json_object_get(orig, "proof"), "proofValue"));
	EDIT(json_object_set_new(proof, "proofValue", json_string(v + 1)), VC_PROOF_BAD_MULTIBASE,
	     "base58btc");
	t = strdup(v);
	t[0] = 'u';
	EDIT(json_object_set_new(proof, "proofValue", json_string(t)), VC_PROOF_BAD_MULTIBASE,
	     "base58btc");
	strcpy(t, v);
	t[5] = '0'; /* not in the base58 alphabet */
	EDIT(json_object_set_new(proof, "proofValue", json_string(t)), VC_PROOF_BAD_MULTIBASE,
	     "base58btc");
	strcpy(t, v);
	t[strlen(t) - 3] = '\0';
	EDIT(json_object_set_new(proof, "proofValue", json_string(t)),
	     VC_PROOF_BAD_SIGNATURE_LENGTH, "64");
	EDIT(json_object_set_new(proof, "proofValue", json_string("z1111")),
	     VC_PROOF_BAD_SIGNATURE_LENGTH, "64");
	free(t);
	EDIT(json_object_set_new(proof, "@context",
	                         json_pack("[s]", "https://www.w3.org/ns/credentials/examples/v2")),
	     VC_PROOF_CONTEXT_MISMATCH, "@context");
	EDIT(json_object_set_new(proof, "@context",
	                         json_pack("[s,s,s]", "https://www.w3.org/ns/credentials/v2",
	                                   "https://www.w3.org/ns/credentials/examples/v2",
	                                   "https://example.org/more")),
	     VC_PROOF_CONTEXT_MISMATCH, "@context");
	EDIT(json_object_set_new(doc, "@context",
	                         json_pack("[s,s]", "https://www.w3.org/ns/credentials/examples/v2",
	                                   "https://www.w3.org/ns/credentials/v2")),
	     VC_PROOF_CONTEXT_MISMATCH, "@context");
	EDIT(json_object_set_new(proof, "verificationMethod", json_string("did:web:example.com#k")),
	     VC_PROOF_KEY_UNRESOLVED, "did:key");
	/* Another valid key: resolves, but is not the key that signed. */
	crypto_sign_keypair(pk, sk);
	assert_int_equal(vc_did_key_vm(pk, vm, NULL), 0);
	EDIT(json_object_set_new(proof, "verificationMethod", json_string(vm)),
	     VC_PROOF_BAD_SIGNATURE, "signature does not match");
	EDIT(json_object_del(doc, "proof"), VC_PROOF_MALFORMED, "no proof");
	EDIT(json_object_set_new(doc, "proof", json_pack("[O]", proof)), VC_PROOF_MALFORMED,
	     "proof set");
	EDIT(json_object_set_new(doc, "proof", json_string("x")), VC_PROOF_MALFORMED, "object");
#undef EDIT
	json_decref(orig);
}

static void spec_allowances_still_verify(void **state)
{
	json_t *orig = vc_fixture_json("signedJCS.json"), *doc;
	struct ok_error err;

	(void)state;
	ok_error_clear(&err);
	/* A document @context that only adds values after the proof's still verifies: the
	 * proof's @context is what was signed (the spec's rule, which lets later proofs add). */
	doc = json_deep_copy(orig);
	json_array_append_new(json_object_get(doc, "@context"),
	                      json_string("https://example.org/later"));
	assert_int_equal(vc_proof_verify(doc, vc_proof_resolve_did_key, NULL, NULL, &err), 0);
	json_decref(doc);
	/* Without its own @context the proof takes the document's, which is the same here. */
	doc = json_deep_copy(orig);
	json_object_del(json_object_get(doc, "proof"), "@context");
	assert_int_equal(vc_proof_verify(doc, vc_proof_resolve_did_key, NULL, NULL, &err), 0);
	json_decref(doc);
	json_decref(orig);
}

struct fixed_key {
	const char *vm;
	uint8_t pk[32];
	int calls;
};

/* A resolver like a did:web one will be: it knows one method. */
static int resolve_fixed(void *ctx, const char *vm, const char *purpose, uint8_t pk[32],
                         struct ok_error *err)
{
	struct fixed_key *k = ctx;

	k->calls++;
	assert_string_equal(purpose, "assertionMethod");
	if (strcmp(vm, k->vm) != 0)
		return ok_fail(err, OK_ENOTFOUND, "unknown verification method");
	memcpy(pk, k->pk, 32);
	return 0;
}

static void round_trip_with_did_web_resolver(void **state)
{
	struct fixed_key key = {"did:web:registry.example%3A8443#key-1", {0}, 0};
	struct vc_proof_options opt = {key.vm, "2025-06-30T12:00:00.5+02:00", VC_SUITE_JCS};
	enum vc_proof_check failed;
	uint8_t sk[64];
	struct ok_error err;
	json_t *doc, *secured, *parsed;
	char *text;
	static const char credential[] =
	        "{\"@context\":[\"https://www.w3.org/ns/credentials/v2\"],\"type\":["
	        "\"VerifiableCredential\",\"OpenBadgeCredential\"],\"issuer\":{\"id\":"
	        "\"did:web:registry.example%3A8443\",\"name\":\"Dienst Uitvoering Onderwijs\"},"
	        "\"validFrom\":\"2025-06-30T00:00:00Z\",\"credentialSubject\":{\"type\":["
	        "\"AchievementSubject\"],\"creditsEarned\":180,\"grade\":7.5,\"name\":"
	        "\"Zo\\u00eb \\ud83c\\udf93 de Vr\xc3\xaf\xc3\xabs\",\"big\":1e21}}";

	(void)state;
	ok_error_clear(&err);
	crypto_sign_keypair(key.pk, sk);
	assert_int_equal(vc_jcs_parse(credential, strlen(credential), 0, &doc, &err), 0);
	assert_int_equal(vc_proof_create(doc, &opt, sk, &secured, &err), 0);
	assert_int_equal(vc_proof_verify(secured, resolve_fixed, &key, &failed, &err), 0);
	assert_int_equal(key.calls, 1);
	/* Through text and back: what a verifier elsewhere would get. */
	text = json_dumps(secured, JSON_COMPACT);
	assert_int_equal(vc_jcs_parse(text, strlen(text), 0, &parsed, &err), 0);
	assert_int_equal(vc_proof_verify(parsed, resolve_fixed, &key, &failed, &err), 0);
	/* An unknown method is a resolution failure, with the resolver's reason. */
	key.vm = "did:web:other.example#key-1";
	assert_int_equal(vc_proof_verify(parsed, resolve_fixed, &key, &failed, &err), OK_EINVALID);
	assert_int_equal(failed, VC_PROOF_KEY_UNRESOLVED);
	assert_non_null(strstr(err.message, "unknown verification method"));
	assert_string_equal(err.field, "proof.verificationMethod");
	assert_int_equal(vc_proof_verify(parsed, NULL, NULL, &failed, &err), OK_EINVALID);
	assert_int_equal(failed, VC_PROOF_KEY_UNRESOLVED);
	free(text);
	json_decref(parsed);
	json_decref(secured);
	json_decref(doc);
}

static void create_refuses_bad_input(void **state)
{
	struct vc_proof_options opt = {"did:key:z6Mk#z6Mk", NULL, VC_SUITE_JCS};
	uint8_t pk[32], sk[64];
	struct ok_error err;
	json_t *doc, *secured = NULL;

	(void)state;
	crypto_sign_keypair(pk, sk);
	doc = vc_fixture_json("signedJCS.json");
	assert_int_equal(vc_proof_create(doc, &opt, sk, &secured, &err), OK_EUNSUPPORTED);
	assert_null(secured);
	json_decref(doc);
	doc = json_array();
	assert_int_equal(vc_proof_create(doc, &opt, sk, &secured, &err), OK_EINPUT);
	json_decref(doc);
	doc = json_object();
	opt.created = "2023-02-30 10:00";
	assert_int_equal(vc_proof_create(doc, &opt, sk, &secured, &err), OK_EINPUT);
	assert_string_equal(err.field, "created");
	opt.created = NULL;
	opt.verification_method = NULL;
	assert_int_equal(vc_proof_create(doc, &opt, sk, &secured, &err), OK_EINPUT);
	/* No @context and no created: both simply left out. */
	opt.verification_method = "did:key:x#x";
	assert_int_equal(vc_proof_create(doc, &opt, sk, &secured, &err), 0);
	assert_null(json_object_get(json_object_get(secured, "proof"), "@context"));
	assert_null(json_object_get(json_object_get(secured, "proof"), "created"));
	json_decref(secured);
	json_decref(doc);
}

static void datetimes(void **state)
{
	(void)state;
	assert_true(vc_proof_valid_datetime("2023-02-24T23:36:38Z"));
	assert_true(vc_proof_valid_datetime("2023-02-24T23:36:38.123Z"));
	assert_true(vc_proof_valid_datetime("2023-02-24T23:36:38-05:30"));
	assert_false(vc_proof_valid_datetime("2023-02-24T23:36:38"));
	assert_false(vc_proof_valid_datetime("2023-02-24 23:36:38Z"));
	assert_false(vc_proof_valid_datetime("2023-13-24T23:36:38Z"));
	assert_false(vc_proof_valid_datetime("2023-02-24T23:36:38.Z"));
	assert_false(vc_proof_valid_datetime("2023-02-24T23:36:38Zjunk"));
	assert_false(vc_proof_valid_datetime(NULL));
	/* Days the month does not have (issue 13 item 12: no way around the future check). */
	assert_false(vc_proof_valid_datetime("2099-02-30T00:00:00Z"));
	assert_false(vc_proof_valid_datetime("2099-04-31T00:00:00Z"));
	assert_false(vc_proof_valid_datetime("2100-02-29T00:00:00Z"));
	assert_true(vc_proof_valid_datetime("2000-02-29T00:00:00Z"));
	assert_true(vc_proof_valid_datetime("2024-02-29T00:00:00Z"));
	assert_true(vc_proof_valid_datetime("2024-12-31T23:59:60Z"));
}

/* vc_proof_create hashes eddsa-jcs-2022 its own way (vc_proof_create_bound's one buffer): its
 * proofValue is the signature over what vc_proof_hash gives for the same document and
 * configuration, for credentials of several shapes, bound or not. */
static void create_signs_what_the_steps_hash(void **state)
{
	static const char *const docs[] = {
	        "unsigned.json",
	        "proofConfigJCS.json",
	        "keyPair.json",
	};
	struct vc_proof_expect bind = {"authentication", "a \"challenge\" \u00e9", "example.org"};
	uint8_t hash[VC_PROOF_HASH_BYTES], sig[crypto_sign_BYTES];
	struct vc_proof_options opt = {NULL, W3C_CREATED, VC_SUITE_JCS};
	json_t *doc, *config, *secured, *proof;
	struct ok_error err;
	struct w3c_key k;
	struct buf value;

	(void)state;
	ok_error_clear(&err);
	load_w3c_key(&k);
	opt.verification_method = k.vm;
	for (size_t i = 0; i < 2 * sizeof(docs) / sizeof(docs[0]); i++) {
		const struct vc_proof_expect *b = i % 2 ? &bind : NULL;

		doc = vc_fixture_json(docs[i / 2]);
		assert_int_equal(vc_proof_create_bound(doc, &opt, b, k.sk, &secured, &err), 0);
		proof = json_object_get(secured, "proof");
		config = json_deep_copy(proof);
		assert_non_null(config);
		assert_int_equal(json_object_del(config, "proofValue"), 0);
		assert_int_equal(vc_proof_hash(doc, config, hash, NULL, NULL, &err), 0);
		assert_int_equal(crypto_sign_detached(sig, NULL, hash, sizeof(hash), k.sk), 0);
		buf_init(&value, 0);
		assert_int_equal(
		        vc_multibase_encode(VC_MULTIBASE_BASE58BTC, sig, sizeof(sig), &value, &err),
		        0);
		assert_string_equal(json_string_value(json_object_get(proof, "proofValue")),
		                    value.data);
		buf_release(&value);
		json_decref(config);
		json_decref(secured);
		json_decref(doc);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(w3c_vectors_step_by_step),
	        cmocka_unit_test(w3c_signed_credential_verifies),
	        cmocka_unit_test(every_altered_field_fails),
	        cmocka_unit_test(proof_failures_name_their_step),
	        cmocka_unit_test(spec_allowances_still_verify),
	        cmocka_unit_test(round_trip_with_did_web_resolver),
	        cmocka_unit_test(create_refuses_bad_input),
	        cmocka_unit_test(create_signs_what_the_steps_hash),
	        cmocka_unit_test(datetimes),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("vc/proof", tests, NULL, NULL);
}
