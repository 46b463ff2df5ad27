/* Unit tests for the one-glance summary of a verification: the holder from unhashed
 * IdentityObjects (birth date included), the result's facts, not-applicable checks after a
 * failed signature, the headline, and dates and numbers written the English and Dutch way. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "registry/verify_summary.h"

static json_t *credential(const char *identifiers)
{
	char text[2048];
	json_error_t e;
	json_t *vc;

	snprintf(text, sizeof(text),
	         "{\"issuer\": {\"id\": \"did:key:z6Mk\"}, \"awardedDate\": "
	         "\"2024-08-30T00:00:00Z\","
	         " \"credentialSubject\": {\"identifier\": %s, \"creditsEarned\": 180.0,"
	         " \"result\": [{\"value\": \"7.5\"}], \"achievement\": {\"name\": \"BSc "
	         "Psychologie\", \"achievementType\": \"BachelorDegree\", \"creator\": {\"name\":"
	         " \"Universiteit Utrecht\", \"address\": {\"addressCountryCode\": \"NL\"}}}}}",
	         identifiers);
	vc = json_loads(text, 0, &e);
	assert_non_null(vc);
	return vc;
}

static void holder_from_unhashed_identity_objects(void **state)
{
	json_t *vc = credential(
	        "[{\"type\": \"IdentityObject\", \"identityType\": \"name\", \"hashed\": false,"
	        " \"identityHash\": \"Dani\\u00ebl de Vries\"},"
	        " {\"type\": \"IdentityObject\", \"identityType\": \"ext:birthDate\", \"hashed\":"
	        " false, \"identityHash\": \"1999-03-04\"}]");
	json_t *h = verify_holder_json(vc);

	(void)state;
	assert_string_equal(json_string_value(json_object_get(h, "name")), "Daniël de Vries");
	assert_string_equal(json_string_value(json_object_get(h, "birth_date")), "1999-03-04");
	json_decref(h);
	json_decref(vc);
}

static void hashed_values_are_not_a_holder(void **state)
{
	json_t *vc = credential(
	        "[{\"type\": \"IdentityObject\", \"identityType\": \"name\", \"hashed\": true,"
	        " \"identityHash\": \"sha256$00\"}]");
	json_t *h = verify_holder_json(vc);

	(void)state;
	assert_true(json_is_null(json_object_get(h, "name")));
	assert_true(json_is_null(json_object_get(h, "birth_date")));
	json_decref(h);
	json_decref(vc);
}

/* Credits far past any integer (a hostile credential's 1e300) are a number as they are: no
 * conversion to an integer that cannot hold them (undefined behaviour, caught by UBSan). */
static void huge_credits_are_no_integer(void **state)
{
	static const char *const values[] = {"1e300", "-1e300", "1e19", "-9.3e18"};
	json_error_t e;
	char text[256];

	(void)state;
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		json_t *vc, *a;
		snprintf(text, sizeof(text),
		         "{\"credentialSubject\": {\"creditsEarned\": %s, \"achievement\":"
		         " {\"name\": \"x\"}}}",
		         values[i]);
		vc = json_loads(text, 0, &e);
		assert_non_null(vc);
		a = verify_achievement_json(vc);
		assert_non_null(a);
		assert_true(json_is_real(json_object_get(a, "credits")));
		json_decref(a);
		json_decref(vc);
	}
}

static void result_facts(void **state)
{
	json_t *vc = credential("[]");
	json_t *a = verify_achievement_json(vc);

	(void)state;
	assert_string_equal(json_string_value(json_object_get(a, "title")), "BSc Psychologie");
	assert_string_equal(json_string_value(json_object_get(a, "kind")), "degree");
	assert_string_equal(json_string_value(json_object_get(a, "institution")),
	                    "Universiteit Utrecht");
	assert_string_equal(json_string_value(json_object_get(a, "country")), "NL");
	assert_string_equal(json_string_value(json_object_get(a, "awarded_on")), "2024-08-30");
	/* 180, not 180.0: credentials are parsed with every number a double. */
	assert_true(json_is_integer(json_object_get(a, "credits")));
	assert_int_equal(json_integer_value(json_object_get(a, "credits")), 180);
	assert_string_equal(json_string_value(json_object_get(a, "grade")), "7.5");
	json_decref(a);
	json_decref(vc);
}

static void failed_signature_makes_other_checks_not_applicable(void **state)
{
	struct verify_result r = {.is_credential = true, .count = 3};
	struct verify_verdict v;
	json_t *doc, *checks, *details;

	(void)state;
	r.items[0] = (struct verify_item){.check = VERIFY_PROOF, .passed = false};
	r.items[1] = (struct verify_item){.check = VERIFY_VALIDITY, .passed = true};
	r.items[2] = (struct verify_item){.check = VERIFY_STATUS, .passed = false};
	snprintf(r.items[2].message, sizeof(r.items[2].message),
	         "The credential has been revoked by its issuer");
	assert_string_equal(verify_item_state(&r, 0), "failed");
	assert_string_equal(verify_item_state(&r, 1), "not_applicable");
	assert_string_equal(verify_item_state(&r, 2), "not_applicable");
	/* A forged credential is not genuine, whatever its status entry says. */
	verify_verdict_of(NULL, &r, &v);
	assert_int_equal(v.headline, VERIFY_HEADLINE_INVALID);
	doc = verify_report_json(NULL, &r);
	checks = json_object_get(doc, "checks");
	details = json_object_get(doc, "details");
	assert_int_equal(json_array_size(checks), 0);
	/* Nothing the forged credential states is repeated as verified. */
	assert_true(json_is_null(json_object_get(doc, "holder")));
	assert_true(json_is_null(json_object_get(doc, "achievement")));
	assert_int_equal(json_array_size(json_object_get(doc, "errors")), 1);
	assert_false(json_is_true(json_object_get(json_array_get(details, 1), "passed")));
	assert_string_equal(json_string_value(json_object_get(json_array_get(details, 1), "state")),
	                    "not_applicable");
	assert_string_equal(
	        json_string_value(json_object_get(json_object_get(doc, "headline"), "state")),
	        "invalid");
	json_decref(doc);
}

static void revoked_by_another_issuer_has_no_date(void **state)
{
	struct verify_result r = {.is_credential = true, .count = 2};
	struct verify_verdict v;
	char text[160];

	(void)state;
	r.items[0] = (struct verify_item){.check = VERIFY_PROOF, .passed = true};
	r.items[1] = (struct verify_item){.check = VERIFY_STATUS, .passed = false};
	snprintf(r.items[1].message, sizeof(r.items[1].message),
	         "The credential has been revoked by its issuer");
	verify_verdict_of(NULL, &r, &v);
	assert_int_equal(v.headline, VERIFY_HEADLINE_REVOKED);
	verify_headline_text(&v, text, sizeof(text));
	assert_string_equal(text, "Revoked by the institution");
	snprintf(v.since, sizeof(v.since), "2024-07-04");
	verify_headline_text(&v, text, sizeof(text));
	assert_string_equal(text, "Revoked by the institution on 4 July 2024");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(holder_from_unhashed_identity_objects),
	        cmocka_unit_test(hashed_values_are_not_a_holder),
	        cmocka_unit_test(result_facts),
	        cmocka_unit_test(huge_credits_are_no_integer),
	        cmocka_unit_test(failed_signature_makes_other_checks_not_applicable),
	        cmocka_unit_test(revoked_by_another_issuer_has_no_date),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
