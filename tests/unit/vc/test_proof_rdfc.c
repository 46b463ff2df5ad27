/* Unit tests for eddsa-rdfc-2022: the W3C test vectors step by step (canonical document, canonical
 * proof configuration, hashes, signature, signed credential), verification picking the suite from
 * the proof, presentations, and the refusals: an unknown context, an undefined term, a graph with
 * too many blank nodes. */
#include "vc_test.h"

#include <pthread.h>
#include <sodium.h>

#include "vc/did.h"
#include "vc/jsonld.h"
#include "vc/multibase.h"
#include "vc/proof.h"

#define W3C_CREATED "2023-02-24T23:36:38Z"
#define RDFC        "w3c-eddsa-rdfc-2022/"

static json_t *rdfc_json(const char *name)
{
	char rel[256];
	struct ok_error err;
	json_t *v = NULL;
	size_t len;
	char *text;

	snprintf(rel, sizeof(rel), RDFC "%s", name);
	text = vc_fixture_at(rel, &len);
	ok_error_clear(&err);
	if (vc_jcs_parse(text, len, 0, &v, &err) != 0)
		fail_msg("fixture %s: %s", name, err.message);
	free(text);
	return v;
}

static char *rdfc_text(const char *name)
{
	char rel[256];

	snprintf(rel, sizeof(rel), RDFC "%s", name);
	return vc_fixture_at(rel, NULL);
}

struct key {
	uint8_t pk[crypto_sign_PUBLICKEYBYTES];
	uint8_t sk[crypto_sign_SECRETKEYBYTES];
	char vm[VC_DID_MAX];
};

static void load_key(struct key *k)
{
	uint8_t seed[VC_ED25519_SEED_BYTES];
	struct ok_error err;
	json_t *pair = rdfc_json("keyPair.json");

	ok_error_clear(&err);
	assert_int_equal(vc_multikey_decode_ed25519_seed(
	                         json_string_value(json_object_get(pair, "privateKeyMultibase")),
	                         seed, &err),
	                 0);
	assert_int_equal(crypto_sign_seed_keypair(k->pk, k->sk, seed), 0);
	assert_int_equal(vc_did_key_vm(k->pk, k->vm, &err), 0);
	json_decref(pair);
}

static void assert_hex_fixture(const uint8_t *b, size_t n, const char *name)
{
	char hex[2 * VC_PROOF_HASH_BYTES + 1];
	char *want = rdfc_text(name);

	vc_hex(b, n, hex);
	assert_string_equal(hex, want);
	free(want);
}

static void w3c_vectors_step_by_step(void **state)
{
	struct vc_proof_options opt = {NULL, W3C_CREATED, VC_SUITE_RDFC};
	uint8_t hash[VC_PROOF_HASH_BYTES], sig[crypto_sign_BYTES];
	struct buf canon_doc, canon_config, value;
	json_t *unsigned_doc, *config, *want_config, *secured, *want_signed;
	struct ok_error err;
	struct key k;
	char *want;

	(void)state;
	ok_error_clear(&err);
	load_key(&k);
	opt.verification_method = k.vm;
	unsigned_doc = vc_fixture_json("unsigned.json"); /* the same alumni credential */

	/* The proof configuration, built and as published. */
	assert_int_equal(vc_proof_config(unsigned_doc, &opt, &config, &err), 0);
	want_config = rdfc_json("proofConfigDataInt.json");
	assert_true(json_equal(config, want_config));

	/* Canonical N-Quads of both, byte for byte, and the hashes. */
	buf_init(&canon_doc, 0);
	buf_init(&canon_config, 0);
	if (vc_proof_hash(unsigned_doc, config, hash, &canon_doc, &canon_config, &err) != 0)
		fail_msg("hash: %s", err.message);
	want = rdfc_text("canonDocDataInt.txt");
	assert_string_equal(canon_doc.data, want);
	free(want);
	want = rdfc_text("proofCanonDataInt.txt");
	assert_string_equal(canon_config.data, want);
	free(want);
	assert_hex_fixture(hash, 32, "proofHashDataInt.txt");
	assert_hex_fixture(hash + 32, 32, "docHashDataInt.txt");
	assert_hex_fixture(hash, 64, "combinedHashDataInt.txt");

	/* The signature, in hex and as proofValue. */
	assert_int_equal(crypto_sign_detached(sig, NULL, hash, sizeof(hash), k.sk), 0);
	assert_hex_fixture(sig, sizeof(sig), "sigHexDataInt.txt");
	buf_init(&value, 0);
	assert_int_equal(
	        vc_multibase_encode(VC_MULTIBASE_BASE58BTC, sig, sizeof(sig), &value, &err), 0);
	want = rdfc_text("sigBTC58DataInt.txt");
	assert_string_equal(value.data, want);
	free(want);

	/* The whole: creating gives the published signed credential. */
	assert_int_equal(vc_proof_create(unsigned_doc, &opt, k.sk, &secured, &err), 0);
	want_signed = rdfc_json("signedDataInt.json");
	if (!json_equal(secured, want_signed))
		fail_msg("created credential differs: %s", vc_canon(secured));

	buf_release(&canon_doc);
	buf_release(&canon_config);
	buf_release(&value);
	json_decref(want_signed);
	json_decref(secured);
	json_decref(want_config);
	json_decref(config);
	json_decref(unsigned_doc);
}

static int verify(const json_t *doc, enum vc_proof_check *failed, char *msg, size_t cap)
{
	struct ok_error err;
	int rc;

	ok_error_clear(&err);
	*failed = VC_PROOF_MALFORMED;
	rc = vc_proof_verify(doc, vc_proof_resolve_did_key, NULL, failed, &err);
	if (msg)
		snprintf(msg, cap, "%s", err.message);
	return rc;
}

/* The suite comes from the proof: both published signed credentials verify, each altered one
 * fails at the signature, and a proof relabelled with the other suite fails too. */
static void verification_picks_the_suite(void **state)
{
	enum vc_proof_check failed;
	char msg[OK_ERROR_MESSAGE_MAX];
	json_t *rdfc = rdfc_json("signedDataInt.json"), *jcs = vc_fixture_json("signedJCS.json");
	json_t *subject;

	(void)state;
	assert_int_equal(verify(rdfc, &failed, msg, sizeof(msg)), 0);
	assert_int_equal(failed, VC_PROOF_VALID);
	assert_int_equal(verify(jcs, &failed, msg, sizeof(msg)), 0);
	assert_int_equal(failed, VC_PROOF_VALID);

	/* One word of the claim changed. */
	subject = json_object_get(rdfc, "credentialSubject");
	assert_int_equal(json_object_set_new(subject, "alumniOf", json_string("Other University")),
	                 0);
	assert_int_equal(verify(rdfc, &failed, msg, sizeof(msg)), OK_EINVALID);
	assert_int_equal(failed, VC_PROOF_BAD_SIGNATURE);
	json_decref(rdfc);

	/* A JCS signature presented as an rdfc one (and back) does not verify. */
	assert_int_equal(json_object_set_new(json_object_get(jcs, "proof"), "cryptosuite",
	                                     json_string(VC_PROOF_CRYPTOSUITE_RDFC)),
	                 0);
	assert_int_equal(verify(jcs, &failed, msg, sizeof(msg)), OK_EINVALID);
	assert_int_equal(failed, VC_PROOF_BAD_SIGNATURE);
	assert_int_equal(json_object_set_new(json_object_get(jcs, "proof"), "cryptosuite",
	                                     json_string("eddsa-2022")),
	                 0);
	assert_int_equal(verify(jcs, &failed, msg, sizeof(msg)), OK_EINVALID);
	assert_int_equal(failed, VC_PROOF_UNKNOWN_CRYPTOSUITE);
	assert_non_null(strstr(msg, "eddsa-rdfc-2022"));
	json_decref(jcs);
}

/* Only RDF is signed, so a change that leaves the quads alone (key order, whitespace) keeps
 * the signature valid; JCS would not care either, but reordering an array of types would
 * break JCS and not RDF. */
static void rdf_equivalent_documents_verify(void **state)
{
	enum vc_proof_check failed;
	json_t *doc = rdfc_json("signedDataInt.json");
	json_t *type = json_object_get(doc, "type");

	(void)state;
	assert_int_equal(json_array_size(type), 2);
	json_incref(json_array_get(type, 0));
	assert_int_equal(json_array_append_new(type, json_array_get(type, 0)), 0);
	assert_int_equal(json_array_remove(type, 0), 0);
	assert_int_equal(verify(doc, &failed, NULL, 0), 0);
	json_decref(doc);
}

static json_t *parse(const char *text)
{
	struct ok_error err;
	json_t *v = NULL;

	ok_error_clear(&err);
	if (vc_jcs_parse(text, strlen(text), 0, &v, &err) != 0)
		fail_msg("parse: %s", err.message);
	return v;
}

/* What cannot become canonical RDF is refused when signing and when verifying, with the reason:
 * a context that is not pinned (never fetched), a term no context defines. */
static void refusals_name_the_reason(void **state)
{
	struct vc_proof_options opt = {NULL, W3C_CREATED, VC_SUITE_RDFC};
	enum vc_proof_check failed;
	char msg[OK_ERROR_MESSAGE_MAX];
	struct ok_error err;
	json_t *secured = NULL, *doc;
	struct key k;

	(void)state;
	load_key(&k);
	opt.verification_method = k.vm;
	doc = parse(
	        "{\"@context\": [\"https://www.w3.org/ns/credentials/v2\", "
	        "\"https://example.org/not-pinned/v1\"], \"type\": [\"VerifiableCredential\"], "
	        "\"issuer\": \"did:example:1\", \"credentialSubject\": {\"id\": \"did:ex:2\"}}");
	ok_error_clear(&err);
	assert_int_equal(vc_proof_create(doc, &opt, k.sk, &secured, &err), OK_EINPUT);
	assert_null(secured);
	assert_non_null(strstr(err.message, "unknown context URL: https://example.org/not-pinned"));

	/* Signed with JCS, then relabelled: the verifier refuses it at canonicalization. */
	opt.suite = VC_SUITE_JCS;
	assert_int_equal(vc_proof_create(doc, &opt, k.sk, &secured, &err), 0);
	assert_int_equal(json_object_set_new(json_object_get(secured, "proof"), "cryptosuite",
	                                     json_string(VC_PROOF_CRYPTOSUITE_RDFC)),
	                 0);
	assert_int_equal(verify(secured, &failed, msg, sizeof(msg)), OK_EINVALID);
	assert_int_equal(failed, VC_PROOF_NOT_CANONICAL);
	assert_string_equal(vc_proof_check_name(failed), "not-canonicalizable");
	assert_non_null(strstr(msg, "unknown context URL"));
	json_decref(secured);
	json_decref(doc);

	/* A term that only credentials v2 knows nothing of: strict, never dropped. */
	opt.suite = VC_SUITE_RDFC;
	doc = parse("{\"@context\": [\"https://www.w3.org/ns/credentials/v2\"], \"type\": "
	            "[\"VerifiableCredential\"], \"issuer\": \"did:example:1\", "
	            "\"credentialSubject\": {\"id\": \"did:ex:2\"}, \"unheardOf\": 1}");
	assert_int_equal(vc_proof_create(doc, &opt, k.sk, &secured, &err), OK_EINPUT);
	assert_null(secured);
	assert_non_null(strstr(err.message, "unheardOf"));
	json_decref(doc);
}

/* A credential whose graph has more blank nodes than RDFC-1.0 may hash fails with OK_ETOOBIG
 * before any hashing, when signing and when verifying. */
/* The quads of doc in general JSON-LD (plain form off): what the signature covers. */
static char *general_quads(const json_t *doc)
{
	struct vc_jsonld_limits l = vc_jsonld_limits_default;
	struct ok_error err;
	struct buf out;

	l.plain_form = false;
	buf_init(&out, 0);
	ok_error_clear(&err);
	if (vc_jsonld_to_nquads(doc, &l, &out, &err) != 0)
		fail_msg("to_nquads: %s", err.message);
	return buf_detach(&out, NULL);
}

/* Review R1: a revoked or expired rdfc credential whose credentialStatus, validUntil or
 * proof.created is moved away from the key the verifier reads, in a shape that keeps the
 * signed quads. Each reshaped credential carries the same quads (so the signature alone would
 * hold), and each is refused at canonicalization, naming the reason; signing one is refused. */
static void reshaped_credentials_do_not_verify(void **state)
{
	static const char vc_text[] =
	        "{\"@context\":[\"https://www.w3.org/ns/credentials/v2\"],\"id\":\"urn:uuid:1\","
	        "\"type\":[\"VerifiableCredential\"],\"issuer\":\"did:example:1\","
	        "\"validUntil\":\"2021-01-01T00:00:00Z\",\"credentialStatus\":{\"id\":\"urn:x:s#"
	        "5\","
	        "\"type\":\"BitstringStatusListEntry\",\"statusPurpose\":\"revocation\","
	        "\"statusListIndex\":\"5\",\"statusListCredential\":\"urn:x:s\"},"
	        "\"credentialSubject\":{\"id\":\"did:ex:2\"}}";
	static const char *const moved[] = {"credentialStatus", "validUntil"};
	struct vc_proof_options opt = {NULL, W3C_CREATED, VC_SUITE_RDFC};
	enum vc_proof_check failed;
	char msg[OK_ERROR_MESSAGE_MAX], *want, *got;
	struct ok_error err;
	json_t *doc = parse(vc_text), *secured = NULL, *bad, *nest, *proof;
	struct key k;
	size_t i;

	(void)state;
	load_key(&k);
	opt.verification_method = k.vm;
	ok_error_clear(&err);
	assert_int_equal(vc_proof_create(doc, &opt, k.sk, &secured, &err), 0);
	assert_int_equal(verify(secured, &failed, msg, sizeof(msg)), 0);
	json_t *unsigned_doc = json_deep_copy(secured);
	json_object_del(unsigned_doc, "proof");
	want = general_quads(unsigned_doc);
	json_decref(unsigned_doc);

	for (i = 0; i < 2; i++) {
		/* (a) under @nest */
		bad = json_deep_copy(secured);
		nest = json_object();
		json_object_set(nest, moved[i], json_object_get(bad, moved[i]));
		json_object_del(bad, moved[i]);
		json_object_set_new(bad, "@nest", nest);
		unsigned_doc = json_deep_copy(bad);
		json_object_del(unsigned_doc, "proof");
		got = general_quads(unsigned_doc);
		assert_string_equal(got, want);
		free(got);
		json_decref(unsigned_doc);
		assert_int_equal(verify(bad, &failed, msg, sizeof(msg)), OK_EINVALID);
		assert_int_equal(failed, VC_PROOF_NOT_CANONICAL);
		assert_non_null(strstr(msg, "@nest"));
		json_object_del(bad, "proof");
		assert_int_equal(vc_proof_create(bad, &opt, k.sk, &proof, &err), OK_EINPUT);
		json_decref(bad);
	}
	/* (b) credentialStatus under its IRI; validUntil as a typed value under its IRI */
	bad = json_deep_copy(secured);
	json_object_set(bad, "https://www.w3.org/2018/credentials#credentialStatus",
	                json_object_get(bad, "credentialStatus"));
	json_object_del(bad, "credentialStatus");
	json_object_set_new(bad, "https://www.w3.org/2018/credentials#validUntil",
	                    json_pack("{s:s,s:s}", "@value", "2021-01-01T00:00:00Z", "@type",
	                              "http://www.w3.org/2001/XMLSchema#dateTime"));
	json_object_del(bad, "validUntil");
	unsigned_doc = json_deep_copy(bad);
	json_object_del(unsigned_doc, "proof");
	got = general_quads(unsigned_doc);
	assert_string_equal(got, want);
	free(got);
	json_decref(unsigned_doc);
	assert_int_equal(verify(bad, &failed, msg, sizeof(msg)), OK_EINVALID);
	assert_int_equal(failed, VC_PROOF_NOT_CANONICAL);
	assert_non_null(strstr(msg, "an IRI or keyword as a key is not allowed"));
	json_decref(bad);
	/* (c) an inline alias of credentialStatus */
	bad = json_deep_copy(secured);
	json_array_append_new(
	        json_object_get(bad, "@context"),
	        json_pack("{s:s}", "cs", "https://www.w3.org/2018/credentials#credentialStatus"));
	json_object_set(bad, "cs", json_object_get(bad, "credentialStatus"));
	json_object_del(bad, "credentialStatus");
	assert_int_equal(verify(bad, &failed, msg, sizeof(msg)), OK_EINVALID);
	assert_int_equal(failed, VC_PROOF_NOT_CANONICAL);
	assert_non_null(strstr(msg, "inline contexts"));
	json_decref(bad);
	/* (d) the proof's created under @nest in the proof */
	bad = json_deep_copy(secured);
	proof = json_object_get(bad, "proof");
	json_object_set_new(proof, "@nest",
	                    json_pack("{s:O}", "created", json_object_get(proof, "created")));
	json_object_del(proof, "created");
	assert_int_equal(verify(bad, &failed, msg, sizeof(msg)), OK_EINVALID);
	assert_true(failed == VC_PROOF_NOT_CANONICAL || failed == VC_PROOF_MALFORMED);
	json_decref(bad);

	free(want);
	json_decref(secured);
	json_decref(doc);
}

static void poison_graph_is_refused(void **state)
{
	struct vc_proof_options opt = {NULL, W3C_CREATED, VC_SUITE_RDFC};
	enum vc_proof_check failed;
	char msg[OK_ERROR_MESSAGE_MAX];
	struct ok_error err;
	json_t *doc, *items, *secured = NULL;
	struct key k;
	size_t i;

	(void)state;
	load_key(&k);
	opt.verification_method = k.vm;
	doc = parse("{\"@context\": [\"https://www.w3.org/ns/credentials/v2\", "
	            "\"https://www.w3.org/ns/credentials/examples/v2\"], \"type\": "
	            "[\"VerifiableCredential\"], \"issuer\": \"did:example:1\", "
	            "\"credentialSubject\": {\"id\": \"did:ex:2\"}}");
	items = json_array();
	for (i = 0; i < 1100; i++)
		assert_int_equal(json_array_append_new(items, parse("{\"name\": \"same\"}")), 0);
	assert_int_equal(
	        json_object_set_new(json_object_get(doc, "credentialSubject"), "knows", items), 0);
	ok_error_clear(&err);
	assert_int_equal(vc_proof_create(doc, &opt, k.sk, &secured, &err), OK_ETOOBIG);
	assert_null(secured);
	assert_non_null(strstr(err.message, "blank node"));

	opt.suite = VC_SUITE_JCS;
	assert_int_equal(vc_proof_create(doc, &opt, k.sk, &secured, &err), 0);
	assert_int_equal(json_object_set_new(json_object_get(secured, "proof"), "cryptosuite",
	                                     json_string(VC_PROOF_CRYPTOSUITE_RDFC)),
	                 0);
	assert_int_equal(verify(secured, &failed, msg, sizeof(msg)), OK_ETOOBIG);
	assert_int_equal(failed, VC_PROOF_NOT_CANONICAL);
	json_decref(secured);
	json_decref(doc);
}

/* A presentation's proof with rdfc: challenge and domain are signed and checked. */
static void presentation_round_trip(void **state)
{
	struct vc_proof_options opt = {NULL, W3C_CREATED, VC_SUITE_RDFC};
	struct vc_proof_expect bind = {VC_PROOF_PURPOSE_AUTHENTICATION, "c-123",
	                               "verifier.example"};
	struct vc_proof_expect other = bind;
	enum vc_proof_check failed = VC_PROOF_MALFORMED;
	struct ok_error err;
	json_t *vp, *secured = NULL;
	struct key k;

	(void)state;
	load_key(&k);
	opt.verification_method = k.vm;
	vp = parse("{\"@context\": [\"https://www.w3.org/ns/credentials/v2\"], \"type\": "
	           "[\"VerifiablePresentation\"]}");
	assert_int_equal(json_object_set_new(vp, "holder", json_string(k.vm)), 0);
	*strchr(json_string_value(json_object_get(vp, "holder")), '#') = '\0';
	ok_error_clear(&err);
	if (vc_proof_create_bound(vp, &opt, &bind, k.sk, &secured, &err) != 0)
		fail_msg("create: %s", err.message);
	assert_string_equal(json_string_value(json_object_get(json_object_get(secured, "proof"),
	                                                      "cryptosuite")),
	                    "eddsa-rdfc-2022");
	if (vc_proof_verify_expect(secured, &bind, vc_proof_resolve_did_key, NULL, &failed, &err))
		fail_msg("verify: %s", err.message);
	other.challenge = "c-456";
	assert_int_equal(vc_proof_verify_expect(secured, &other, vc_proof_resolve_did_key, NULL,
	                                        &failed, &err),
	                 OK_EINVALID);
	assert_int_equal(failed, VC_PROOF_CHALLENGE_MISMATCH);
	/* The signed challenge, changed in the proof, breaks the signature. */
	assert_int_equal(json_object_set_new(json_object_get(secured, "proof"), "challenge",
	                                     json_string("c-456")),
	                 0);
	assert_int_equal(vc_proof_verify_expect(secured, &other, vc_proof_resolve_did_key, NULL,
	                                        &failed, &err),
	                 OK_EINVALID);
	assert_int_equal(failed, VC_PROOF_BAD_SIGNATURE);
	json_decref(secured);
	json_decref(vp);
}

/* The shared contexts (jsonld_context.c keeps them per process) from several threads at once:
 * every thread gets the canonical form one thread alone gets, and the signed vector verifies. */
struct worker {
	const json_t *doc;
	const json_t *signed_vc;
	const char *want;
	int bad;
};

static void *work(void *p)
{
	struct worker *w = p;
	enum vc_proof_check failed;
	struct ok_error err;
	struct buf b;
	int i;

	for (i = 0; i < 20; i++) {
		buf_init(&b, 0);
		ok_error_clear(&err);
		if (vc_proof_rdfc_canonicalize(w->doc, &b, &err) != 0 ||
		    strcmp(b.data, w->want) != 0)
			w->bad++;
		buf_release(&b);
		if (vc_proof_verify(w->signed_vc, vc_proof_resolve_did_key, NULL, &failed, &err) !=
		    0)
			w->bad++;
	}
	return NULL;
}

static void shared_contexts_across_threads(void **state)
{
	char path[1024];
	struct worker w[4];
	pthread_t t[4];
	struct ok_error err;
	struct buf want;
	json_t *doc = NULL, *signed_vc = rdfc_json("signedDataInt.json");
	char *text;
	size_t len, i;

	(void)state;
	snprintf(path, sizeof(path), "%s/tests/unit/vc/jsonld/ob-credential.jsonld",
	         getenv("OK_SOURCE_ROOT"));
	text = vc_read_file(path, &len);
	ok_error_clear(&err);
	assert_int_equal(vc_jcs_parse(text, len, 0, &doc, &err), 0);
	free(text);
	buf_init(&want, 0);
	if (vc_proof_rdfc_canonicalize(doc, &want, &err) != 0)
		fail_msg("canonicalize: %s", err.message);
	for (i = 0; i < 4; i++) {
		w[i] = (struct worker){doc, signed_vc, want.data, 0};
		assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(w[i].bad, 0);
	}
	buf_release(&want);
	json_decref(doc);
	json_decref(signed_vc);
}

static void suite_names(void **state)
{
	enum vc_suite s = VC_SUITE_JCS;

	(void)state;
	assert_int_equal(vc_suite_parse("eddsa-rdfc-2022", &s), 0);
	assert_int_equal(s, VC_SUITE_RDFC);
	assert_string_equal(vc_suite_name(s), "eddsa-rdfc-2022");
	assert_int_equal(vc_suite_parse("eddsa-jcs-2022", &s), 0);
	assert_int_equal(s, VC_SUITE_JCS);
	assert_int_equal(vc_suite_parse("eddsa-2022", &s), OK_EINPUT);
	assert_int_equal(vc_suite_parse(NULL, &s), OK_EINPUT);
	assert_int_equal(s, VC_SUITE_JCS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(w3c_vectors_step_by_step),
	        cmocka_unit_test(verification_picks_the_suite),
	        cmocka_unit_test(rdf_equivalent_documents_verify),
	        cmocka_unit_test(refusals_name_the_reason),
	        cmocka_unit_test(reshaped_credentials_do_not_verify),
	        cmocka_unit_test(poison_graph_is_refused),
	        cmocka_unit_test(presentation_round_trip),
	        cmocka_unit_test(shared_contexts_across_threads),
	        cmocka_unit_test(suite_names),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
