/* Unit tests for presentations: the shape of a VP and its items, the strict decoding of an
 * enveloped VC-JOSE data: URL, and a presentation's proof (purpose authentication, challenge and
 * domain) signed and verified with vc/proof.h. */
#include "vc_test.h"

#include <sodium.h>

#include "vc/did.h"
#include "vc/presentation.h"
#include "vc/proof.h"

#define V2 "https://www.w3.org/ns/credentials/v2"

static json_t *parse(const char *text)
{
	struct ok_error err;
	json_t *doc = NULL;

	ok_error_clear(&err);
	if (vc_jcs_parse(text, strlen(text), 0, &doc, &err) != 0)
		fail_msg("fixture does not parse: %s", err.message);
	return doc;
}

/* Parses text as a presentation; returns the code and fills err. */
static int shape(const char *text, struct vc_presentation *p, struct ok_error *err)
{
	json_t *doc = parse(text);
	int rc;

	ok_error_clear(err);
	rc = vc_presentation_parse(doc, p, err);
	if (rc == 0)
		vc_presentation_release(p);
	json_decref(doc);
	return rc;
}

static void a_presentation_with_both_kinds(void **state)
{
	json_t *doc = parse("{\"@context\":[\"" V2 "\"],\"type\":[\"VerifiablePresentation\"],"
	                    "\"holder\":{\"id\":\"did:key:z6MkA\"},\"verifiableCredential\":["
	                    "{\"@context\":[\"" V2 "\"],\"type\":[\"VerifiableCredential\"]},"
	                    "{\"@context\":[\"" V2 "\"],\"type\":\"EnvelopedVerifiableCredential\","
	                    "\"id\":\"data:application/vc+jwt,eyJh.eyJi.c2ln\"}]}");
	struct vc_presentation p;
	struct ok_error err;

	(void)state;
	ok_error_clear(&err);
	assert_true(vc_presentation_is(doc));
	assert_int_equal(vc_presentation_parse(doc, &p, &err), 0);
	assert_string_equal(p.holder, "did:key:z6MkA");
	assert_int_equal(p.count, 2);
	assert_int_equal(p.items[0].kind, VC_PRESENTATION_EMBEDDED);
	assert_null(p.items[0].jwt);
	assert_int_equal(p.items[1].kind, VC_PRESENTATION_ENVELOPED);
	assert_string_equal(p.items[1].jwt, "eyJh.eyJi.c2ln");
	assert_int_equal(p.items[1].jwt_len, 14);
	vc_presentation_release(&p);
	json_decref(doc);

	/* One credential, not in an array; no holder; no credentials at all. */
	assert_int_equal(shape("{\"@context\":[\"" V2 "\"],\"type\":\"VerifiablePresentation\","
	                       "\"verifiableCredential\":{\"type\":\"VerifiableCredential\"}}",
	                       &p, &err),
	                 0);
	assert_int_equal(
	        shape("{\"@context\":[\"" V2 "\"],\"type\":\"VerifiablePresentation\"}", &p, &err),
	        0);
}

static void shapes_that_are_refused(void **state)
{
	static const struct {
		const char *json, *field, *says;
	} cases[] = {
	        {"[]", "", "JSON object"},
	        {"{\"type\":\"VerifiablePresentation\"}", "@context", "@context"},
	        {"{\"@context\":[\"https://www.w3.org/2018/credentials/v1\"],"
	         "\"type\":\"VerifiablePresentation\"}",
	         "@context", V2},
	        {"{\"@context\":\"" V2 "\",\"type\":\"VerifiablePresentation\"}", "@context",
	         "array"},
	        {"{\"@context\":[\"" V2 "\",3],\"type\":\"VerifiablePresentation\"}", "@context",
	         "URL or an object"},
	        {"{\"@context\":[\"" V2 "\"],\"type\":[\"VerifiableCredential\"]}", "type",
	         "VerifiablePresentation"},
	        {"{\"@context\":[\"" V2 "\"],\"type\":[\"VerifiablePresentation\",1]}", "type",
	         "VerifiablePresentation"},
	        {"{\"@context\":[\"" V2 "\"],\"type\":\"VerifiablePresentation\",\"id\":5}", "id",
	         "URL"},
	        {"{\"@context\":[\"" V2 "\"],\"type\":\"VerifiablePresentation\",\"holder\":{}}",
	         "holder", "holder"},
	        {"{\"@context\":[\"" V2 "\"],\"type\":\"VerifiablePresentation\",\"holder\":\"\"}",
	         "holder", "holder"},
	        {"{\"@context\":[\"" V2 "\"],\"type\":\"VerifiablePresentation\","
	         "\"verifiableCredential\":[\"https://example.org/vc/1\"]}",
	         "verifiableCredential[0]", "credential object"},
	        {"{\"@context\":[\"" V2 "\"],\"type\":\"VerifiablePresentation\","
	         "\"verifiableCredential\":[{\"type\":\"VerifiableCredential\"},{\"type\":\"X\"}]}",
	         "verifiableCredential[1].type", "EnvelopedVerifiableCredential"},
	        {"{\"@context\":[\"" V2 "\"],\"type\":\"VerifiablePresentation\","
	         "\"verifiableCredential\":[{\"type\":[]}]}",
	         "verifiableCredential[0].type", "array of strings"},
	        {"{\"@context\":[\"" V2 "\"],\"type\":\"VerifiablePresentation\","
	         "\"verifiableCredential\":[{\"type\":\"EnvelopedVerifiableCredential\"}]}",
	         "verifiableCredential[0].id", "data: URL"},
	        {"{\"@context\":[\"" V2 "\"],\"type\":\"VerifiablePresentation\","
	         "\"verifiableCredential\":[{\"type\":\"EnvelopedVerifiableCredential\","
	         "\"@context\":[\"https://example.org\"],\"id\":\"data:application/"
	         "vc+jwt,a.b.c\"}]}",
	         "verifiableCredential[0].@context", V2},
	};
	struct vc_presentation p;
	struct ok_error err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *doc = parse(cases[i].json);
		ok_error_clear(&err);
		if (vc_presentation_parse(doc, &p, &err) != OK_EINPUT)
			fail_msg("case %zu was accepted", i);
		assert_string_equal(err.field, cases[i].field);
		if (!strstr(err.message, cases[i].says))
			fail_msg("case %zu: \"%s\" does not say \"%s\"", i, err.message,
			         cases[i].says);
		json_decref(doc);
	}
}

static void at_most_sixteen_credentials(void **state)
{
	json_t *doc = parse("{\"@context\":[\"" V2 "\"],\"type\":\"VerifiablePresentation\"}");
	json_t *vcs = json_array();
	struct vc_presentation p;
	struct ok_error err;
	int i;

	(void)state;
	for (i = 0; i < VC_PRESENTATION_MAX_CREDENTIALS; i++)
		json_array_append_new(vcs, json_pack("{s:s}", "type", "VerifiableCredential"));
	json_object_set_new(doc, "verifiableCredential", vcs);
	ok_error_clear(&err);
	assert_int_equal(vc_presentation_parse(doc, &p, &err), 0);
	assert_int_equal(p.count, VC_PRESENTATION_MAX_CREDENTIALS);
	vc_presentation_release(&p);
	json_array_append_new(vcs, json_pack("{s:s}", "type", "VerifiableCredential"));
	assert_int_equal(vc_presentation_parse(doc, &p, &err), OK_ETOOBIG);
	assert_non_null(strstr(err.message, "at most 16"));
	json_decref(doc);
}

static void data_urls_decode_strictly(void **state)
{
	static const char *bad[] = {
	        "data:application/vc+jwt",  /* no comma */
	        "data:application/vc+jwt,", /* no token */
	        "data:application/vc+jwt;base64,a.b.c",
	        "data:application/vc+sd-jwt,a.b.c", /* another media type */
	        "data:application/VC+JWT,a.b.c",    /* not the registered spelling */
	        "data:text/plain,a.b.c",
	        "https://example.org/a.b.c",
	        "data:application/vc+jwt,a.b", /* two parts */
	        "data:application/vc+jwt,a.b.c.d",
	        "data:application/vc+jwt,a.b%2Ec", /* percent-escapes are not decoded */
	        "data:application/vc+jwt,a.b.c ",
	        "data:application/vc+jwt,a+b.c.d", /* base64, not base64url */
	};
	struct ok_error err;
	char *jwt = NULL, *big;
	size_t len, i, n;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ok_error_clear(&err);
		if (vc_presentation_decode_jwt_url(bad[i], strlen(bad[i]), &jwt, &len, &err) !=
		    OK_EINPUT)
			fail_msg("\"%s\" was accepted", bad[i]);
		assert_null(jwt);
	}
	/* A NUL inside the string (jansson keeps it) is refused, not cut at. */
	assert_int_equal(vc_presentation_decode_jwt_url("data:application/vc+jwt,a.b\0.c", 30, &jwt,
	                                                &len, &err),
	                 OK_EINPUT);
	/* Past VC_JWT_MAX: too big, before any byte is looked at. */
	n = sizeof(VC_PRESENTATION_JWT_DATA_PREFIX) - 1 + ((size_t)2 << 20) + 1;
	big = malloc(n);
	assert_non_null(big);
	memcpy(big, VC_PRESENTATION_JWT_DATA_PREFIX, sizeof(VC_PRESENTATION_JWT_DATA_PREFIX) - 1);
	memset(big + sizeof(VC_PRESENTATION_JWT_DATA_PREFIX) - 1, 'a',
	       n - (sizeof(VC_PRESENTATION_JWT_DATA_PREFIX) - 1));
	assert_int_equal(vc_presentation_decode_jwt_url(big, n, &jwt, &len, &err), OK_ETOOBIG);
	free(big);
	assert_int_equal(vc_presentation_decode_jwt_url("data:application/vc+jwt,eyJ-_0.x.y", 34,
	                                                &jwt, &len, &err),
	                 0);
	assert_string_equal(jwt, "eyJ-_0.x.y");
	assert_int_equal(len, 10);
	free(jwt);
}

/* A holder's did:key and a signed presentation */

struct holder {
	uint8_t pk[crypto_sign_PUBLICKEYBYTES];
	uint8_t sk[crypto_sign_SECRETKEYBYTES];
	char vm[VC_DID_MAX];
};

static void make_holder(struct holder *h)
{
	struct ok_error err;

	ok_error_clear(&err);
	assert_int_equal(crypto_sign_keypair(h->pk, h->sk), 0);
	assert_int_equal(vc_did_key_vm(h->pk, h->vm, &err), 0);
}

static json_t *signed_vp(const struct holder *h, const struct vc_proof_expect *bind)
{
	json_t *vp = parse("{\"@context\":[\"" V2 "\"],\"type\":\"VerifiablePresentation\","
	                   "\"verifiableCredential\":[]}");
	struct vc_proof_options opt = {h->vm, "2025-01-01T00:00:00Z", VC_SUITE_JCS};
	json_t *secured = NULL;
	struct ok_error err;

	ok_error_clear(&err);
	assert_int_equal(vc_proof_create_bound(vp, &opt, bind, h->sk, &secured, &err), 0);
	json_decref(vp);
	return secured;
}

static int verify(const json_t *vp, const char *challenge, const char *domain,
                  enum vc_proof_check *failed, struct ok_error *err)
{
	struct vc_proof_expect expect = {VC_PROOF_PURPOSE_AUTHENTICATION, challenge, domain};

	ok_error_clear(err);
	return vc_proof_verify_expect(vp, &expect, vc_proof_resolve_did_key, NULL, failed, err);
}

static void presentation_proofs(void **state)
{
	struct vc_proof_expect bind = {VC_PROOF_PURPOSE_AUTHENTICATION, "n-0S6_WzA2Mj",
	                               "verifier.example"};
	enum vc_proof_check failed;
	struct ok_error err;
	struct holder h;
	json_t *vp, *proof;

	(void)state;
	make_holder(&h);
	vp = signed_vp(&h, &bind);
	proof = json_object_get(vp, "proof");
	assert_string_equal(json_string_value(json_object_get(proof, "proofPurpose")),
	                    "authentication");
	assert_string_equal(json_string_value(json_object_get(proof, "challenge")), "n-0S6_WzA2Mj");
	assert_string_equal(json_string_value(json_object_get(proof, "domain")),
	                    "verifier.example");

	assert_int_equal(verify(vp, "n-0S6_WzA2Mj", "verifier.example", &failed, &err), 0);
	assert_int_equal(failed, VC_PROOF_VALID);
	/* Nothing asked for: the proof's own challenge and domain are not compared. */
	assert_int_equal(verify(vp, NULL, NULL, &failed, &err), 0);
	assert_int_equal(verify(vp, "another", NULL, &failed, &err), OK_EINVALID);
	assert_int_equal(failed, VC_PROOF_CHALLENGE_MISMATCH);
	assert_string_equal(err.field, "proof.challenge");
	assert_int_equal(verify(vp, NULL, "evil.example", &failed, &err), OK_EINVALID);
	assert_int_equal(failed, VC_PROOF_DOMAIN_MISMATCH);
	assert_string_equal(vc_proof_check_name(failed), "domain-mismatch");
	/* A credential's verification (assertionMethod) refuses a presentation's proof. */
	ok_error_clear(&err);
	assert_int_equal(vc_proof_verify(vp, vc_proof_resolve_did_key, NULL, &failed, &err),
	                 OK_EINVALID);
	assert_int_equal(failed, VC_PROOF_WRONG_PURPOSE);
	assert_non_null(strstr(err.message, "assertionMethod"));

	/* The challenge is signed: changed in the proof, the signature no longer holds. */
	json_object_set_new(proof, "challenge", json_string("another"));
	assert_int_equal(verify(vp, "another", NULL, &failed, &err), OK_EINVALID);
	assert_int_equal(failed, VC_PROOF_BAD_SIGNATURE);
	/* A challenge with a NUL inside is compared whole, not up to the NUL. */
	json_object_set_new(proof, "challenge", json_stringn("n-0S6_WzA2Mj\0x", 14));
	assert_int_equal(verify(vp, "n-0S6_WzA2Mj", NULL, &failed, &err), OK_EINVALID);
	assert_int_equal(failed, VC_PROOF_CHALLENGE_MISMATCH);
	/* Taken out, a challenge asked for is missing. */
	json_object_del(proof, "challenge");
	assert_int_equal(verify(vp, "n-0S6_WzA2Mj", NULL, &failed, &err), OK_EINVALID);
	assert_int_equal(failed, VC_PROOF_CHALLENGE_MISMATCH);
	assert_non_null(strstr(err.message, "has no challenge"));
	json_decref(vp);

	/* A domain may be a list: one of them is enough. */
	bind.challenge = NULL;
	bind.domain = NULL;
	vp = signed_vp(&h, &bind);
	proof = json_object_get(vp, "proof");
	assert_null(json_object_get(proof, "challenge"));
	json_object_set_new(proof, "domain", json_pack("[ss]", "a.example", "b.example"));
	assert_int_equal(verify(vp, NULL, "b.example", &failed, &err), OK_EINVALID);
	assert_int_equal(failed, VC_PROOF_BAD_SIGNATURE); /* domain was added after signing */
	assert_int_equal(verify(vp, NULL, "c.example", &failed, &err), OK_EINVALID);
	assert_int_equal(failed, VC_PROOF_DOMAIN_MISMATCH);
	json_decref(vp);

	/* A credential's proof (assertionMethod) is not a presentation's. */
	vp = signed_vp(&h, NULL);
	assert_int_equal(verify(vp, NULL, NULL, &failed, &err), OK_EINVALID);
	assert_int_equal(failed, VC_PROOF_WRONG_PURPOSE);
	assert_non_null(strstr(err.message, "authentication"));
	json_decref(vp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(a_presentation_with_both_kinds),
	        cmocka_unit_test(shapes_that_are_refused),
	        cmocka_unit_test(at_most_sixteen_credentials),
	        cmocka_unit_test(data_urls_decode_strictly),
	        cmocka_unit_test(presentation_proofs),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
