/* Issuing (registry/credential.h): the built credential's shape (VC 2.0 and Open Badges 3.0
 * contexts and types, the depository as issuer, the achievement and its result, the holder
 * named by IdentityObjects without the national id, a revocation and a suspension entry for the
 * achievement's slot), the DI proof and the VC-JOSE form, and the issuance audited. */
#include "registry_test.h"

#include <jansson.h>

#include "registry/achievement.h"
#include "registry/credential.h"
#include "registry/status.h"
#include "vc/multibase.h"

#define NID "123456782"

static const char csv[] = REG_CSV_HEADER
        "R-1," NID ",Anna Maria,de Vries,2000-01-02,course,Mechanics,,,5,7.5,NL 1-10,2021-01-01,"
        "en\n";

struct world {
	struct reg_fixture *f;
	struct store_achievement a;
};

static int first_achievement(void *ctx, const struct store_achievement *a)
{
	memcpy(ctx, a, sizeof(*a));
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
	reg_import_expect(w->f, csv, 1, 0, 0, 0);
	if (registry_learner_find_id(&w->f->d, NID, learner, &err))
		fail_msg("find: %s", err.message);
	registry_learner_achievements(&w->f->d, learner, first_achievement, &w->a, &err);
	assert_string_equal(w->a.record_id, "R-1");
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;

	reg_fixture_free(w->f);
	free(w);
	return 0;
}

static const char *str(const json_t *doc, const char *key)
{
	return json_string_value(json_object_get(doc, key));
}

/* Whether the array arr holds the string s. */
static bool has_string(const json_t *arr, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v) if (json_is_string(v) &&
	                                  strcmp(json_string_value(v), s) == 0) return true;
	return false;
}

/* No trace of the national id anywhere in the text. */
static void assert_no_national_id(const char *text)
{
	assert_null(strstr(text, NID));
}

static void test_built_credential_shape(void **state)
{
	struct world *w = *state;
	struct depository_identity id;
	struct ok_error err;
	json_t *vc, *ctx, *subject, *achievement, *ids, *status, *v;
	char url[512], index[24], *text;
	size_t i;

	assert_int_equal(registry_identity(&w->f->d, &id, &err), 0);
	assert_string_equal(id.did, w->f->d.issuer_did);
	if (registry_credential_build(&w->f->d, &id, &w->a, "operator", &vc, &err))
		fail_msg("build: %s", err.message);

	ctx = json_object_get(vc, "@context");
	assert_int_equal(json_array_size(ctx), 2);
	assert_string_equal(json_string_value(json_array_get(ctx, 0)), CREDENTIAL_CONTEXT_V2);
	assert_string_equal(json_string_value(json_array_get(ctx, 1)), CREDENTIAL_CONTEXT_OB3);
	assert_true(has_string(json_object_get(vc, "type"), "VerifiableCredential"));
	assert_true(has_string(json_object_get(vc, "type"), "OpenBadgeCredential"));
	assert_int_equal(strncmp(str(vc, "id"), "urn:uuid:", 9), 0);
	assert_string_equal(str(json_object_get(vc, "issuer"), "id"), w->f->d.issuer_did);
	assert_string_equal(str(vc, "name"), "Mechanics");
	assert_string_equal(str(vc, "awardedDate"), "2021-01-01T00:00:00Z");
	assert_non_null(str(vc, "validFrom"));
	assert_null(json_object_get(vc, "proof"));

	subject = json_object_get(vc, "credentialSubject");
	assert_true(has_string(json_object_get(subject, "type"), "AchievementSubject"));
	achievement = json_object_get(subject, "achievement");
	assert_string_equal(str(achievement, "name"), "Mechanics");
	assert_string_equal(str(achievement, "inLanguage"), "en");
	assert_string_equal(str(json_object_get(achievement, "creator"), "name"),
	                    "Hogeschool Test");
	assert_string_equal(str(json_array_get(json_object_get(subject, "result"), 0), "value"),
	                    "7.5");

	/* The holder: name and birth date in clear, nothing else. */
	ids = json_object_get(subject, "identifier");
	assert_int_equal(json_array_size(ids), 2);
	json_array_foreach(ids, i, v)
	{
		assert_string_equal(str(v, "type"), "IdentityObject");
		assert_true(json_is_false(json_object_get(v, "hashed")));
	}
	assert_string_equal(str(json_array_get(ids, 0), "identityType"), "name");
	assert_string_equal(str(json_array_get(ids, 0), "identityHash"), "Anna Maria de Vries");
	assert_string_equal(str(json_array_get(ids, 1), "identityType"), "ext:birthDate");
	assert_string_equal(str(json_array_get(ids, 1), "identityHash"), "2000-01-02");

	/* A revocation and a suspension entry for the achievement's slot. */
	status = json_object_get(vc, "credentialStatus");
	assert_int_equal(json_array_size(status), 2);
	snprintf(index, sizeof(index), "%lld", (long long)w->a.status_index);
	json_array_foreach(status, i, v)
	{
		const char *purpose = i == 0 ? "revocation" : "suspension";
		assert_string_equal(str(v, "type"), "BitstringStatusListEntry");
		assert_string_equal(str(v, "statusPurpose"), purpose);
		assert_string_equal(str(v, "statusListIndex"), index);
		registry_status_list_url(&w->f->d, purpose, w->a.status_list, url, sizeof(url));
		assert_string_equal(str(v, "statusListCredential"), url);
	}

	text = json_dumps(vc, JSON_COMPACT);
	assert_no_national_id(text);
	free(text);
	json_decref(vc);
	registry_identity_release(&id);
}

static void test_di_form_signed_and_audited(void **state)
{
	struct world *w = *state;
	struct buf out;
	struct ok_error err;
	json_t *vc, *proof;
	const char *vm;

	buf_init(&out, 0);
	if (registry_credential_issue(&w->f->d, w->a.id, NULL, CREDENTIAL_DI, "operator", &out,
	                              &err))
		fail_msg("issue: %s", err.message);
	assert_int_equal(buf_addch(&out, '\0'), 0);
	assert_no_national_id(out.data);
	vc = json_loads(out.data, 0, NULL);
	assert_non_null(vc);
	proof = json_object_get(vc, "proof");
	assert_string_equal(str(proof, "type"), "DataIntegrityProof");
	/* Open Badges 3.0's Data Integrity cryptosuite is the default. */
	assert_string_equal(str(proof, "cryptosuite"), "eddsa-rdfc-2022");
	assert_string_equal(str(proof, "proofPurpose"), "assertionMethod");
	vm = str(proof, "verificationMethod");
	assert_int_equal(strncmp(vm, w->f->d.issuer_did, strlen(w->f->d.issuer_did)), 0);
	assert_int_equal(str(proof, "proofValue")[0], 'z');
	assert_int_equal(json_array_size(json_object_get(vc, "credentialStatus")), 2);
	json_decref(vc);
	buf_release(&out);

	/* The read of the learner's fields and the issuance, with their purpose. */
	assert_int_equal(reg_sql_int(w->f, "SELECT count(*) FROM audit_event WHERE action = "
	                                   "'credential.issue' AND purpose = 'issuance'"),
	                 1);
	assert_int_equal(reg_sql_int(w->f, "SELECT count(*) FROM audit_event WHERE action = "
	                                   "'learner.read' AND purpose = 'issuance'"),
	                 1);
}

/* The proof of the credential issued in format f: its cryptosuite, and whether it verifies. */
static void issue_and_check(struct world *w, enum credential_format f, const char *suite)
{
	enum vc_proof_check failed = VC_PROOF_MALFORMED;
	struct ok_error err;
	struct buf out;
	json_t *vc;

	buf_init(&out, 0);
	if (registry_credential_issue(&w->f->d, w->a.id, NULL, f, "operator", &out, &err))
		fail_msg("issue: %s", err.message);
	vc = json_loadb(out.data, out.len, 0, NULL);
	assert_non_null(vc);
	assert_string_equal(str(json_object_get(vc, "proof"), "cryptosuite"), suite);
	if (strncmp(w->f->d.issuer_did, "did:key:", 8) == 0 &&
	    vc_proof_verify(vc, vc_proof_resolve_did_key, NULL, &failed, &err) != 0)
		fail_msg("verify: %s", err.message);
	json_decref(vc);
	buf_release(&out);
}

/* Either cryptosuite on request; the configured one (eddsa-rdfc-2022 unless config says
 * otherwise) for plain DI. */
static void test_cryptosuite_choice(void **state)
{
	struct world *w = *state;
	enum credential_format f = CREDENTIAL_DI;

	issue_and_check(w, CREDENTIAL_DI_JCS, "eddsa-jcs-2022");
	issue_and_check(w, CREDENTIAL_DI_RDFC, "eddsa-rdfc-2022");
	w->f->d.cryptosuite = VC_SUITE_JCS;
	issue_and_check(w, CREDENTIAL_DI, "eddsa-jcs-2022");
	assert_int_equal(credential_format_with_suite(&f, "eddsa-rdfc-2022"), 0);
	assert_int_equal(f, CREDENTIAL_DI_RDFC);
	assert_int_equal(credential_format_with_suite(&f, "eddsa-2022"), OK_EINPUT);
	f = CREDENTIAL_JWT;
	assert_int_equal(credential_format_with_suite(&f, "eddsa-jcs-2022"), OK_EINPUT);
}

/* The VC-API signer applies "every type defined by the contexts": a type that only the VC 2.0
 * context's catch-all @vocab would give an IRI is refused with the rule type.defined, in
 * either cryptosuite; the same credential with the type defined is signed. */
static void test_undefined_type_refused(void **state)
{
	struct world *w = *state;
	enum vc_suite suites[] = {VC_SUITE_JCS, VC_SUITE_RDFC};
	struct ok_error err;
	json_t *vc, *out = NULL;
	size_t i;

	for (i = 0; i < 2; i++) {
		vc = json_pack("{s:[s, s], s:[s, s], s:s, s:{s:s, s:[s], s:{s:s, s:[s], s:s}}}",
		               "@context", CREDENTIAL_CONTEXT_V2, CREDENTIAL_CONTEXT_OB3, "type",
		               "VerifiableCredential", "MadeUpCredential", "issuer",
		               w->f->d.issuer_did, "credentialSubject", "id", "did:example:1",
		               "type", "AchievementSubject", "achievement", "id",
		               "urn:uuid:7b0e2a3c-0f8e-4a57-9a8c-1f0c0d6e9f11", "type", "Achievement",
		               "name", "Sauna studies");
		ok_error_clear(&err);
		assert_int_equal(
		        registry_credential_sign_suite(&w->f->d, vc, &suites[i], "t", &out, &err),
		        OK_EINPUT);
		assert_null(out);
		assert_string_equal(err.field, "type.defined");
		assert_non_null(strstr(err.message, "MadeUpCredential"));
		json_array_set_new(json_object_get(vc, "type"), 1,
		                   json_string("OpenBadgeCredential"));
		if (registry_credential_sign_suite(&w->f->d, vc, &suites[i], "t", &out, &err))
			fail_msg("sign: %s", err.message);
		assert_string_equal(str(json_object_get(out, "proof"), "cryptosuite"),
		                    vc_suite_name(suites[i]));
		json_decref(out);
		out = NULL;
		json_decref(vc);
	}
}

/* Decodes one base64url part of a compact JWS as JSON. */
static json_t *jws_part(const char *start, size_t n)
{
	uint8_t raw[16384];
	size_t len;
	struct ok_error err;

	if (vc_base64url_decode(start, n, raw, sizeof(raw), &len, &err))
		fail_msg("base64url: %s", err.message);
	return json_loadb((const char *)raw, len, 0, NULL);
}

static void test_jwt_form(void **state)
{
	struct world *w = *state;
	struct buf out;
	struct ok_error err;
	const char *dot1, *dot2;
	json_t *header, *payload;

	buf_init(&out, 0);
	if (registry_credential_issue_for(&w->f->d, w->a.id, "21PB", CREDENTIAL_JWT, "key:abc",
	                                  "registration", &out, &err))
		fail_msg("issue: %s", err.message);
	assert_int_equal(buf_addch(&out, '\0'), 0);
	assert_null(strchr(out.data, '\n'));
	assert_non_null(dot1 = strchr(out.data, '.'));
	assert_non_null(dot2 = strchr(dot1 + 1, '.'));
	assert_null(strchr(dot2 + 1, '.'));

	header = jws_part(out.data, (size_t)(dot1 - out.data));
	assert_non_null(header);
	assert_string_equal(str(header, "alg"), "EdDSA");
	assert_int_equal(
	        strncmp(str(header, "kid"), w->f->d.issuer_did, strlen(w->f->d.issuer_did)), 0);
	payload = jws_part(dot1 + 1, (size_t)(dot2 - dot1 - 1));
	assert_non_null(payload);
	/* The payload is the credential itself, without an embedded proof. */
	assert_true(has_string(json_object_get(payload, "type"), "OpenBadgeCredential"));
	assert_string_equal(str(json_object_get(payload, "issuer"), "id"), w->f->d.issuer_did);
	assert_null(json_object_get(payload, "proof"));
	assert_int_equal(json_array_size(json_object_get(payload, "credentialStatus")), 2);
	{
		char *text = json_dumps(payload, JSON_COMPACT);
		assert_no_national_id(text);
		free(text);
	}
	json_decref(header);
	json_decref(payload);
	buf_release(&out);

	/* The caller's purpose is the one audited. */
	assert_int_equal(reg_sql_int(w->f, "SELECT count(*) FROM audit_event WHERE action = "
	                                   "'credential.issue' AND purpose = 'registration' AND "
	                                   "actor = 'key:abc'"),
	                 1);
}

static void test_unknown_or_other_institutions_achievement(void **state)
{
	struct world *w = *state;
	struct buf out;
	struct ok_error err;
	enum credential_format f;

	buf_init(&out, 0);
	assert_int_equal(registry_credential_issue(&w->f->d, "0123456789abcdef01234567", NULL,
	                                           CREDENTIAL_DI, "operator", &out, &err),
	                 OK_ENOTFOUND);
	assert_int_equal(registry_credential_issue(&w->f->d, w->a.id, "99ZZ", CREDENTIAL_DI,
	                                           "operator", &out, &err),
	                 OK_ENOTFOUND);
	assert_int_equal(out.len, 0);
	buf_release(&out);
	assert_int_equal(reg_sql_int(w->f, "SELECT count(*) FROM audit_event WHERE action = "
	                                   "'credential.issue'"),
	                 0);

	assert_int_equal(credential_format_parse("di", &f), 0);
	assert_int_equal(f, CREDENTIAL_DI);
	assert_int_equal(credential_format_parse("jwt", &f), 0);
	assert_int_equal(f, CREDENTIAL_JWT);
	assert_int_equal(credential_format_parse("JWT ", &f), OK_EINPUT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_built_credential_shape, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_di_form_signed_and_audited, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_jwt_form, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_cryptosuite_choice, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_undefined_type_refused, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_unknown_or_other_institutions_achievement,
	                                        setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
