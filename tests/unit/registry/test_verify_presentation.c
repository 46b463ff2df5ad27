/* Presentations in the registry: the depository as holder (registry_present) and the
 * presentation verifier (registry/verify_presentation.h): a presentation of an embedded and an
 * enveloped credential verified with its challenge and domain, another challenge, a revoked
 * credential reported on its own, input that is not a presentation, and the VC-API answer. */
#include "registry_test.h"

#include <jansson.h>
#include <sodium.h>

#include "registry/credential.h"
#include "registry/present.h"
#include "registry/status.h"
#include "registry/verify_presentation.h"
#include "vc/did.h"
#include "vc/proof.h"

#define NID "123456782"

static const char csv[] = REG_CSV_HEADER
        "R-1," NID ",Anna,de Vries,2000-01-02,course,Mechanics,,,5,7.5,NL 1-10,2021-01-01,en\n";

struct world {
	struct reg_fixture *f;
	char achievement[STORE_ID_MAX + 1];
	struct buf di, jwt, vp;
	struct vp_result r;
};

static int first_achievement(void *ctx, const struct store_achievement *a)
{
	snprintf(ctx, STORE_ID_MAX + 1, "%s", a->id);
	return 1;
}

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	char learner[STORE_ID_MAX + 1];
	struct ok_error err;

	if (!w || reg_setup((void **)&w->f))
		return -1;
	*state = w;
	buf_init(&w->di, 0);
	buf_init(&w->jwt, 0);
	buf_init(&w->vp, 0);
	reg_import_expect(w->f, csv, 1, 0, 0, 0);
	if (registry_learner_find_id(&w->f->d, NID, learner, &err))
		fail_msg("find: %s", err.message);
	registry_learner_achievements(&w->f->d, learner, first_achievement, w->achievement, &err);
	if (registry_credential_issue(&w->f->d, w->achievement, NULL, CREDENTIAL_DI, "test", &w->di,
	                              &err) ||
	    registry_credential_issue(&w->f->d, w->achievement, NULL, CREDENTIAL_JWT, "test",
	                              &w->jwt, &err))
		fail_msg("issue: %s", err.message);
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;

	vp_result_release(&w->r);
	buf_release(&w->di);
	buf_release(&w->jwt);
	buf_release(&w->vp);
	reg_fixture_free(w->f);
	free(w);
	return 0;
}

/* The depository presents its two credentials (embedded and enveloped) into w->vp. */
static void present(struct world *w, const char *challenge, const char *domain)
{
	struct present_item items[2] = {{w->di.data, w->di.len, "di.json"},
	                                {w->jwt.data, w->jwt.len, "vc.jwt"}};
	struct present_options o = {challenge, domain, "operator", NULL};
	struct ok_error err;

	buf_reset(&w->vp);
	ok_error_clear(&err);
	if (registry_present(&w->f->d, items, 2, &o, &w->vp, &err))
		fail_msg("present: %s", err.message);
}

static const struct vp_result *verify(struct world *w, const char *data, size_t len,
                                      const char *challenge, const char *domain)
{
	struct vp_options o = {.challenge = challenge, .domain = domain};
	struct ok_error err;

	vp_result_release(&w->r);
	ok_error_clear(&err);
	if (registry_verify_presentation(&w->f->d, data, len, &o, &w->r, &err))
		fail_msg("verify: %s", err.message);
	return &w->r;
}

static const struct vp_check *check(const struct vp_result *r, const char *name)
{
	for (size_t i = 0; i < r->count; i++)
		if (strcmp(r->checks[i].name, name) == 0)
			return &r->checks[i];
	fail_msg("no %s check", name);
	return NULL;
}

static void test_presented_and_verified(void **state)
{
	struct world *w = *state;
	const struct vp_result *r;
	json_t *doc;

	present(w, "ch-1", "verifier.example");
	assert_true(registry_is_presentation(w->vp.data, w->vp.len));
	assert_false(registry_is_presentation(w->di.data, w->di.len));
	r = verify(w, w->vp.data, w->vp.len, "ch-1", "verifier.example");
	assert_true(r->is_presentation);
	assert_true(r->verified);
	assert_string_equal(r->holder, w->f->d.issuer_did);
	assert_int_equal(r->count, 4);
	assert_true(check(r, "challenge")->passed);
	assert_true(check(r, "domain")->passed);
	assert_true(check(r, "proof")->passed);
	/* The depository's credentials name the learner, not the presenting depository. */
	assert_true(check(r, "holder")->passed);
	assert_true(check(r, "holder")->warning);
	assert_int_equal(r->n_credentials, 2);
	assert_int_equal(r->credentials[0].kind, VC_PRESENTATION_EMBEDDED);
	assert_string_equal(r->credentials[0].r.format, "di");
	assert_true(r->credentials[0].r.verified);
	assert_int_equal(r->credentials[1].kind, VC_PRESENTATION_ENVELOPED);
	assert_string_equal(r->credentials[1].r.format, "jwt");
	assert_true(r->credentials[1].r.verified);

	doc = vp_result_json(&w->f->d, r);
	assert_non_null(doc);
	assert_true(json_is_true(json_object_get(doc, "verified")));
	assert_int_equal(json_array_size(json_object_get(doc, "credentialResults")), 2);
	assert_true(json_is_true(json_object_get(
	        json_array_get(json_object_get(doc, "credentialResults"), 1), "enveloped")));
	assert_int_equal(json_array_size(json_object_get(doc, "errors")), 0);
	json_decref(doc);

	/* Without a challenge asked for, the proof's own passes with a warning. */
	r = verify(w, w->vp.data, w->vp.len, NULL, NULL);
	assert_true(r->verified);
	assert_true(check(r, "challenge")->warning);
	assert_true(check(r, "domain")->warning);
}

static void test_another_challenge_or_an_alteration_fails(void **state)
{
	struct world *w = *state;
	const struct vp_result *r;
	char *at;

	present(w, "ch-1", NULL);
	r = verify(w, w->vp.data, w->vp.len, "ch-2", NULL);
	assert_false(r->verified);
	assert_false(check(r, "challenge")->passed);
	assert_false(check(r, "proof")->passed);
	assert_non_null(strstr(check(r, "proof")->message, "not checked"));
	/* The credentials are still reported on their own. */
	assert_true(r->credentials[0].r.verified);

	r = verify(w, w->vp.data, w->vp.len, "ch-1", "verifier.example");
	assert_false(r->verified);
	assert_non_null(strstr(check(r, "domain")->message, "has no domain"));

	/* A byte of the presentation's own text changed after signing. */
	assert_non_null(at = strstr(w->vp.data, "\"VerifiablePresentation\""));
	at[1] = 'X';
	r = verify(w, w->vp.data, w->vp.len, "ch-1", NULL);
	assert_false(r->is_presentation); /* no longer of type VerifiablePresentation */
	at[1] = 'V';
	assert_non_null(at = strstr(w->vp.data, "\"holder\": \"did:key:z"));
	at[strlen("\"holder\": \"did:key:z")] ^= 1;
	r = verify(w, w->vp.data, w->vp.len, "ch-1", NULL);
	assert_false(r->verified);
	assert_non_null(strstr(check(r, "proof")->message, "does not belong to the holder"));
}

static void test_a_revoked_credential_is_reported_on_its_own(void **state)
{
	struct world *w = *state;
	struct store_achievement a;
	const struct vp_result *r;
	struct ok_error err;

	present(w, "ch-1", NULL);
	if (registry_status_change(&w->f->d, w->achievement, NULL, STATUS_REVOKE, "fraud",
	                           "operator", &a, &err))
		fail_msg("revoke: %s", err.message);
	r = verify(w, w->vp.data, w->vp.len, "ch-1", NULL);
	assert_false(r->verified);
	assert_true(check(r, "proof")->passed);
	assert_false(r->credentials[0].r.verified);
	assert_false(r->credentials[1].r.verified);
}

static void test_not_a_presentation(void **state)
{
	struct world *w = *state;
	const struct vp_result *r;
	struct present_item bad = {"{\"type\":\"Other\"}", 16, "bad.json"};
	struct present_options o = {NULL, NULL, "operator", NULL};
	struct ok_error err;

	r = verify(w, w->di.data, w->di.len, NULL, NULL);
	assert_false(r->is_presentation);
	assert_non_null(strstr(r->not_presentation, "VerifiablePresentation"));
	r = verify(w, "[1,", 3, NULL, NULL);
	assert_false(r->is_presentation);
	assert_non_null(strstr(r->not_presentation, "not usable"));
	/* registry_present refuses what is not a credential, naming the file. */
	buf_reset(&w->vp);
	ok_error_clear(&err);
	assert_int_equal(registry_present(&w->f->d, &bad, 1, &o, &w->vp, &err), OK_EINPUT);
	assert_non_null(strstr(err.message, "bad.json"));
	assert_int_equal(w->vp.len, 0);
}

/* A credential of another issuer (a did:key) with 63,000 reals, presented: the presentation
 * (read with every number a double) is well under 1 MiB, the credential's text as jansson
 * writes it back (0.10000000000000001 for 0.1) is over it. The credential is verified as it
 * is on its own, not refused for a size the holder never sent. */
static void test_a_credential_of_many_reals_in_a_presentation(void **state)
{
	struct world *w = *state;
	uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	uint8_t seed[crypto_sign_SEEDBYTES];
	char vm[VC_DID_MAX], issuer[VC_DID_MAX];
	struct vc_proof_options opt = {vm, "2026-01-01T00:00:00Z", VC_SUITE_JCS};
	struct vp_options o = {.verify = {.any_issuer = true}};
	const struct vc_proof_expect bind = {VC_PROOF_PURPOSE_AUTHENTICATION, NULL, NULL};
	json_t *vc, *subject, *vp, *secured = NULL, *signed_vp = NULL;
	struct ok_error err;
	char *text;

	memset(seed, 1, sizeof(seed));
	assert_int_equal(crypto_sign_seed_keypair(pk, sk, seed), 0);
	assert_int_equal(vc_did_key_vm(pk, vm, NULL), 0);
	snprintf(issuer, sizeof(issuer), "%.*s", (int)strcspn(vm, "#"), vm);
	vc = json_pack("{s:[s,s], s:s, s:[s,s], s:s, s:s, s:{s:s, s:s}}", "@context",
	               "https://www.w3.org/ns/credentials/v2",
	               "https://www.w3.org/ns/credentials/examples/v2", "id",
	               "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33", "type",
	               "VerifiableCredential", "AlumniCredential", "issuer", issuer, "validFrom",
	               "2023-01-01T00:00:00Z", "credentialSubject", "id", "did:example:abcdefgh",
	               "alumniOf", "The School of Examples");
	assert_non_null(vc);
	subject = json_object_get(vc, "credentialSubject");
	for (int k = 0; k < 7; k++) {
		json_t *reals = json_array();
		char name[8];

		for (int i = 0; i < 9000; i++)
			assert_int_equal(json_array_append_new(reals, json_real(0.1)), 0);
		snprintf(name, sizeof(name), "s%d", k);
		assert_int_equal(json_object_set_new(subject, name, reals), 0);
	}
	ok_error_clear(&err);
	if (vc_proof_create(vc, &opt, sk, &secured, &err))
		fail_msg("sign: %s", err.message);
	/* The did:key presents it too; 0.1 written as 0.1 (15 digits hold it exactly). */
	vp = json_pack("{s:[s], s:[s], s:s, s:[O]}", "@context",
	               "https://www.w3.org/ns/credentials/v2", "type", "VerifiablePresentation",
	               "holder", issuer, "verifiableCredential", secured);
	assert_non_null(vp);
	if (vc_proof_create_bound(vp, &opt, &bind, sk, &signed_vp, &err))
		fail_msg("sign the presentation: %s", err.message);
	text = json_dumps(signed_vp, JSON_COMPACT | JSON_REAL_PRECISION(15));
	assert_non_null(text);
	assert_true(strlen(text) < 1048576);

	vp_result_release(&w->r);
	if (registry_verify_presentation(&w->f->d, text, strlen(text), &o, &w->r, &err))
		fail_msg("verify: %s", err.message);
	assert_true(w->r.is_presentation);
	assert_int_equal(w->r.n_credentials, 1);
	if (!w->r.credentials[0].r.is_credential)
		fail_msg("not a credential: %s", w->r.credentials[0].r.not_credential);
	assert_true(w->r.credentials[0].r.verified);
	assert_true(check(&w->r, "proof")->passed);
	free(text);
	json_decref(signed_vp);
	json_decref(vp);
	json_decref(secured);
	json_decref(vc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_presented_and_verified, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_another_challenge_or_an_alteration_fails,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_a_revoked_credential_is_reported_on_its_own,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_not_a_presentation, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_a_credential_of_many_reals_in_a_presentation,
	                                        setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
