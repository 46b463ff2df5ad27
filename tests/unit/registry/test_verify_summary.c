/* Unit tests for the one-glance summary of a verification: the holder from unhashed
 * IdentityObjects (birth date included), the result's facts, not-applicable checks after a
 * failed signature, the headline, and dates and numbers written the English and Dutch way; and
 * the facts of 270 credentials held to the answers stored in summary_golden.jsonl. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/format.h"
#include "core/json_tree.h"
#include "registry/foreign_internal.h"
#include "registry/verify_summary.h"
#include "store/foreign.h"
#include "vc/jcs.h"

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
	r.items[1] = (struct verify_item){
	        .check = VERIFY_STATUS, .passed = false, .status = VERIFY_STATUS_REVOKED};
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

/* A result whose checks ran are those of mask, each passed; verified as registry_verify
 * says it: every check that ran passed. */
static void all_passed(struct verify_result *r, unsigned mask, json_t *vc)
{
	static const enum verify_check order[] = {VERIFY_PROOF, VERIFY_VALIDITY, VERIFY_STATUS,
	                                          VERIFY_ISSUER};

	memset(r, 0, sizeof(*r));
	r->is_credential = true;
	r->verified = true;
	r->credential = vc;
	for (size_t i = 0; i < 4; i++)
		if (mask & order[i])
			r->items[r->count++] =
			        (struct verify_item){.check = order[i], .passed = true};
}

static const char *headline_member(const json_t *doc, const char *key)
{
	return json_string_value(json_object_get(json_object_get(doc, "headline"), key));
}

/* options.checks narrowed: the headline says only that the checks asked for passed, never
 * "genuine and valid"; what the credential states is shown only when the proof and the issuer
 * were both checked (attack s16, finding 1: a did:key credential, or a revoked one, read
 * "Verified: genuine and valid" with the issuer or the status check left out). */
static void narrowed_checks_never_say_genuine(void **state)
{
	static const struct {
		unsigned mask;
		bool stated;
	} cases[] = {
	        {VERIFY_PROOF, false},
	        {VERIFY_PROOF | VERIFY_VALIDITY | VERIFY_STATUS, false},
	        {VERIFY_PROOF | VERIFY_VALIDITY | VERIFY_ISSUER, true},
	        {VERIFY_PROOF | VERIFY_ISSUER, true},
	        {VERIFY_VALIDITY | VERIFY_STATUS | VERIFY_ISSUER, false},
	};
	json_t *vc = credential("[{\"identityType\": \"name\", \"hashed\": false, "
	                        "\"identityHash\": \"Anna de Vries\"}]");
	struct verify_result r;
	struct verify_verdict v;
	char text[160];
	json_t *doc;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		all_passed(&r, cases[i].mask, vc);
		verify_verdict_of(NULL, &r, &v);
		assert_int_equal(v.headline, VERIFY_HEADLINE_NOT_VERIFIED);
		assert_true(v.narrowed);
		assert_int_equal(v.stated_ok, cases[i].stated);
		assert_string_equal(verify_headline_reason(&v), "narrowed");
		verify_headline_text(&v, text, sizeof(text));
		assert_string_equal(text, "Not verified: only the checks asked for passed");
		doc = verify_report_json(NULL, &r);
		assert_non_null(doc);
		assert_string_equal(headline_member(doc, "state"), "not_verified");
		assert_string_equal(headline_member(doc, "reason"), "narrowed");
		assert_int_equal(json_is_null(json_object_get(doc, "holder")), !cases[i].stated);
		assert_int_equal(json_is_null(json_object_get(doc, "achievement")),
		                 !cases[i].stated);
		json_decref(doc);
	}
	/* Every check ran and passed: genuine and valid, and no reason. */
	all_passed(&r, VERIFY_ALL, vc);
	verify_verdict_of(NULL, &r, &v);
	assert_int_equal(v.headline, VERIFY_HEADLINE_VERIFIED);
	assert_false(v.narrowed);
	assert_null(verify_headline_reason(&v));
	doc = verify_report_json(NULL, &r);
	assert_string_equal(headline_member(doc, "state"), "verified");
	assert_null(json_object_get(json_object_get(doc, "headline"), "reason"));
	assert_string_equal(
	        json_string_value(json_object_get(json_object_get(doc, "holder"), "name")),
	        "Anna de Vries");
	json_decref(doc);
	/* A check asked for failed: not verified, and not "narrowed" (that one failed). */
	all_passed(&r, VERIFY_PROOF | VERIFY_VALIDITY, vc);
	r.items[1].passed = false;
	r.verified = false;
	verify_verdict_of(NULL, &r, &v);
	assert_int_equal(v.headline, VERIFY_HEADLINE_NOT_VERIFIED);
	assert_false(v.narrowed);
	assert_null(verify_headline_reason(&v));
	/* The issuer failed, all checks run: nothing the credential states is shown. */
	all_passed(&r, VERIFY_ALL, vc);
	r.items[3].passed = false;
	r.verified = false;
	doc = verify_report_json(NULL, &r);
	assert_true(json_is_null(json_object_get(doc, "holder")));
	assert_true(json_is_null(json_object_get(doc, "achievement")));
	json_decref(doc);
	json_decref(vc);
}

/* An SD-JWT VC's status check records what the Token Status List says as a value: the headline
 * and the check's reason are "revoked" or "suspended", not "unknown" (attack s16, finding 4:
 * the texts differ from a W3C credential's). A status that could not be checked stays
 * "unknown". */
static void token_status_outcome_is_a_value(void **state)
{
	static const struct {
		enum verify_status_outcome status;
		const char *message;
		enum verify_headline headline;
		const char *reason;
	} cases[] = {
	        {VERIFY_STATUS_REVOKED, "revoked (Token Status List)", VERIFY_HEADLINE_REVOKED,
	         "revoked"},
	        {VERIFY_STATUS_SUSPENDED, "suspended (Token Status List)",
	         VERIFY_HEADLINE_SUSPENDED, "suspended"},
	        {VERIFY_STATUS_NOT_SET, "status not checked: the credential names no status list",
	         VERIFY_HEADLINE_NOT_VERIFIED, "unknown"},
	};
	struct verify_result r;
	struct verify_verdict v;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		all_passed(&r, VERIFY_ALL, NULL);
		OK_COPY_ARRAY(r.format, "sd-jwt");
		r.verified = false;
		r.items[2].passed = false;
		r.items[2].status = cases[i].status;
		snprintf(r.items[2].message, sizeof(r.items[2].message), "%s", cases[i].message);
		verify_verdict_of(NULL, &r, &v);
		assert_int_equal(v.headline, cases[i].headline);
		assert_false(v.narrowed);
		assert_string_equal(verify_item_reason(&r, 2, &v), cases[i].reason);
	}
}

/* The stored answers (summary_golden.jsonl, one case a line: "doc", and the "holder",
 * "achievement" and "foreign" facts the readers gave for it when the summary and the foreign
 * import still had a reader each, at commit af2161a): the one reader (vc/ob_facts.h) must give
 * them again on the jansson value (verify_holder_json, verify_achievement_json,
 * foreign_read_achievement, foreign_holder_of) and on a JSON tree of the same text
 * (verify_holder_read, verify_achievement_read). The cases: every fact the summary reads, in
 * shapes of the same quads and broken ones, for Open Badges credentials and SD-JWT VC claims. */

static void same_text(struct verify_text t, const json_t *want, size_t line, const char *what)
{
	const char *w = json_string_value(want);

	if (json_is_null(want)
	            ? t.s != NULL
	            : !w || !t.s || t.n != json_string_length(want) || memcmp(t.s, w, t.n) != 0)
		fail_msg("line %zu, %s: \"%.*s\" (%s), not %s", line, what, (int)t.n,
		         t.s ? t.s : "", t.s ? "stated" : "null", w ? w : "null");
}

static void same_json(json_t *got, const json_t *want, size_t line, const char *what)
{
	char *g = json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY),
	     *w = json_dumps(want, JSON_COMPACT | JSON_ENCODE_ANY);

	if (!got || !json_equal(got, want))
		fail_msg("line %zu, %s:\n got  %s\n want %s", line, what, g ? g : "(none)", w);
	free(g);
	free(w);
	json_decref(got);
}

static void same_foreign(const json_t *doc, const json_t *want, size_t line)
{
	struct store_foreign f;
	struct foreign_holder h;
	struct ok_error err;
	const json_t *wh = json_object_get(want, "holder");
	int rc;

	store_foreign_init(&f);
	ok_error_clear(&err);
	rc = foreign_read_achievement(doc, &f, &err);
	if (rc != json_integer_value(json_object_get(want, "rc")))
		fail_msg("line %zu: foreign_read_achievement gives %d", line, rc);
	if (rc)
		assert_string_equal(err.field, json_string_value(json_object_get(want, "field")));
	else {
		/* The expected object is made here (s:O takes references): released after. */
		json_t *expect = json_pack(
		        "{s:i, s:O, s:O, s:O, s:O, s:O, s:O, s:O}", "rc", 0, "title",
		        json_object_get(want, "title"), "kind", json_object_get(want, "kind"),
		        "awarded_on", json_object_get(want, "awarded_on"), "credits_centi",
		        json_object_get(want, "credits_centi"), "grade",
		        json_object_get(want, "grade"), "institution",
		        json_object_get(want, "institution"), "institution_country",
		        json_object_get(want, "institution_country"));

		same_json(json_pack("{s:i, s:s, s:s, s:s, s:I, s:s, s:s, s:s}", "rc", 0, "title",
		                    f.title, "kind", f.kind, "awarded_on", f.awarded_on,
		                    "credits_centi", (json_int_t)f.credits_centi, "grade", f.grade,
		                    "institution", f.institution, "institution_country",
		                    f.institution_country),
		          expect, line, "foreign");
		json_decref(expect);
	}
	foreign_holder_of(doc, &h);
#define SAME_OR_NULL(got, key)                                                         \
	do {                                                                           \
		const char *w_ = json_string_value(json_object_get(wh, key));          \
		if ((got) ? !w_ || strcmp((got), w_) != 0 : w_ != NULL)                \
			fail_msg("line %zu, foreign holder %s: %s, not %s", line, key, \
			         (got) ? (got) : "null", w_ ? w_ : "null");            \
	} while (0)
	SAME_OR_NULL(h.name, "name");
	SAME_OR_NULL(h.birth_date, "birth_date");
	SAME_OR_NULL(h.conflicting, "conflicting");
#undef SAME_OR_NULL
	buf_release(&f.credential);
}

/* The same facts read from a JSON tree of doc's text; false when the tree refuses the text. */
static bool same_on_tree(const json_t *doc, const json_t *holder, const json_t *ach, size_t line)
{
	char *text = json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(17));
	struct verify_achievement a;
	struct verify_holder h;
	struct json_tree t;
	struct ok_error err;
	uint32_t root;
	bool read;

	assert_non_null(text);
	json_tree_init(&t);
	read = vc_jcs_parse_tree(text, strlen(text), &t, &root, &err) == 0;
	if (read) {
		verify_holder_read(vc_dmv_tree(&t, root), &h);
		verify_achievement_read(vc_dmv_tree(&t, root), &a);
		same_text(h.name, json_object_get(holder, "name"), line, "tree holder name");
		same_text(h.birth_date, json_object_get(holder, "birth_date"), line,
		          "tree holder birth_date");
		if (a.stated != !json_is_null(ach))
			fail_msg("line %zu: tree achievement %sstated", line,
			         a.stated ? "" : "not ");
		if (a.stated) {
			const json_t *c = json_object_get(ach, "credits");
			same_text(a.title, json_object_get(ach, "title"), line, "title");
			same_text(a.kind, json_object_get(ach, "kind"), line, "kind");
			same_text(a.achievement_type, json_object_get(ach, "achievement_type"),
			          line, "achievement_type");
			same_text(a.institution, json_object_get(ach, "institution"), line,
			          "institution");
			same_text(a.country, json_object_get(ach, "country"), line, "country");
			same_text(a.awarded_on, json_object_get(ach, "awarded_on"), line,
			          "awarded_on");
			same_text(a.grade, json_object_get(ach, "grade"), line, "grade");
			if (a.has_credits != json_is_number(c) ||
			    (a.has_credits && a.credits != json_number_value(c)))
				fail_msg("line %zu: tree credits %d %.17g", line, a.has_credits,
				         a.credits);
		}
	}
	json_tree_release(&t);
	free(text);
	return read;
}

static void stored_answers(void **state)
{
	char path[4096], *line = NULL;
	size_t cap = 0, n = 0, on_tree = 0;
	FILE *f;

	(void)state;
	assert_true(snprintf(path, sizeof(path), "%s/tests/unit/registry/summary_golden.jsonl",
	                     getenv("OK_SOURCE_ROOT")) < (int)sizeof(path));
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s", path);
	while (getline(&line, &cap, f) > 0) {
		json_error_t e;
		json_t *c = json_loads(line, 0, &e);
		const json_t *doc = json_object_get(c, "doc");

		n++;
		if (!c || !doc)
			fail_msg("line %zu: %s", n, e.text);
		same_json(verify_holder_json(doc), json_object_get(c, "holder"), n, "holder");
		same_json(verify_achievement_json(doc), json_object_get(c, "achievement"), n,
		          "achievement");
		same_foreign(doc, json_object_get(c, "foreign"), n);
		on_tree += same_on_tree(doc, json_object_get(c, "holder"),
		                        json_object_get(c, "achievement"), n);
		json_decref(c);
	}
	free(line);
	fclose(f);
	print_message("%zu stored answers, %zu read on a tree too\n", n, on_tree);
	assert_true(n >= 250);
	assert_true(on_tree >= 200);
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
	        cmocka_unit_test(narrowed_checks_never_say_genuine),
	        cmocka_unit_test(token_status_outcome_is_a_value),
	        cmocka_unit_test(stored_answers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
