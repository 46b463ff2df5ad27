/* Unit tests for the achievement facts of Open Badges credentials (review P0 of the plain form):
 * a credential signed with eddsa-rdfc-2022, then reshaped so that its quads, and so its
 * signature, stay the same (credits as a string, results in another order, texts as value
 * objects); every shape must give the same facts, and no fact is taken from "the first" of
 * several values. Every read is made twice, on the jansson value and on a JSON tree of the same
 * text (vc/datamodel_view.h's two readers), and must give the same bytes. */
#include "vc_test.h"

#include <sodium.h>

#include "core/json_tree.h"
#include "vc/did.h"
#include "vc/ob_facts.h"
#include "vc/proof.h"

static const char ob_text[] =
        "{\"@context\":[\"https://www.w3.org/ns/credentials/v2\","
        "\"https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json\"],"
        "\"id\":\"urn:uuid:4c2b8a52-1e0b-4d7e-9a4e-3f1f0e3b7a10\","
        "\"type\":[\"VerifiableCredential\",\"OpenBadgeCredential\"],"
        "\"issuer\":{\"id\":\"did:example:abroad\",\"type\":[\"Profile\"],\"name\":\"Abroad\"},"
        "\"name\":\"Credential\",\"validFrom\":\"2024-01-01T00:00:00Z\","
        "\"awardedDate\":\"2023-06-01T00:00:00Z\","
        "\"credentialSubject\":{\"type\":[\"AchievementSubject\"],\"creditsEarned\":3,"
        "\"identifier\":[{\"type\":\"IdentityObject\",\"identityType\":\"name\","
        "\"hashed\":false,\"identityHash\":\"Zoe Example\"}],"
        "\"result\":[{\"type\":[\"Result\"],\"value\":\"C\"},{\"type\":[\"Result\"],"
        "\"value\":\"A\"}],"
        "\"achievement\":{\"id\":\"urn:example:a:1\",\"type\":[\"Achievement\"],"
        "\"name\":\"Sauna studies\",\"achievementType\":\"Course\",\"creditsAvailable\":30,"
        "\"criteria\":{\"narrative\":\"Sat.\"},"
        "\"creator\":{\"id\":\"urn:example:inst\",\"type\":[\"Profile\"],\"name\":\"Uni\","
        "\"address\":{\"type\":[\"Address\"],\"addressCountryCode\":\"FI\"}}}}}";

static json_t *parse(const char *text)
{
	json_error_t e;
	json_t *v = json_loads(text, 0, &e);

	if (!v)
		fail_msg("bad JSON at %d: %s", e.position, e.text);
	return v;
}

static json_t *signed_credential(void)
{
	uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	char vm[VC_DID_MAX];
	struct vc_proof_options opt = {vm, "2024-01-01T00:00:00Z", VC_SUITE_RDFC};
	struct ok_error err;
	json_t *doc = parse(ob_text), *secured = NULL;

	ok_error_clear(&err);
	crypto_sign_keypair(pk, sk);
	assert_int_equal(vc_did_key_vm(pk, vm, &err), 0);
	if (vc_proof_create(doc, &opt, sk, &secured, &err) != 0)
		fail_msg("signing: %s", err.message);
	json_decref(doc);
	return secured;
}

static void assert_proof_holds_(const json_t *doc, const char *what)
{
	enum vc_proof_check failed;
	struct ok_error err;

	ok_error_clear(&err);
	if (vc_proof_verify(doc, vc_proof_resolve_did_key, NULL, &failed, &err) != 0)
		fail_msg("%s: the proof does not hold: %s", what, err.message);
}
#define assert_proof_holds(doc) assert_proof_holds_(doc, #doc " at line " OK_STR(__LINE__))
#define OK_STR(x)               OK_STR2(x)
#define OK_STR2(x)              #x

static json_t *subject(json_t *vc)
{
	return json_object_get(vc, "credentialSubject");
}

static json_t *achievement(json_t *vc)
{
	return json_object_get(subject(vc), "achievement");
}

/* A text's bytes equal to want (NULL: none). */
static void assert_str_(struct vc_ob_str t, const char *want, const char *what)
{
	if (!want ? t.s != NULL : !t.s || t.n != strlen(want) || memcmp(t.s, want, t.n) != 0)
		fail_msg("%s: \"%.*s\" (%s), not \"%s\"", what, (int)t.n, t.s ? t.s : "",
		         t.s ? "stated" : "none", want ? want : "(none)");
}
#define assert_str(t, want) assert_str_(t, want, #t)

static void assert_same_str(struct vc_ob_str a, struct vc_ob_str b, const char *what)
{
	if ((a.s == NULL) != (b.s == NULL) || a.n != b.n || (a.s && memcmp(a.s, b.s, a.n) != 0))
		fail_msg("%s: jansson \"%.*s\", tree \"%.*s\"", what, (int)a.n, a.s ? a.s : "",
		         (int)b.n, b.s ? b.s : "");
}

/* A JSON tree of doc's text, which it borrows from: released with tree_release. */
struct tree {
	struct json_tree t;
	char *text;
};

static struct vc_dmv tree_of(const json_t *doc, struct tree *tr)
{
	struct ok_error err;
	uint32_t root;

	tr->text = json_dumps(doc, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
	assert_non_null(tr->text);
	json_tree_init(&tr->t);
	if (vc_jcs_parse_tree(tr->text, strlen(tr->text), &tr->t, &root, &err) != 0)
		fail_msg("tree: %s", err.message);
	return vc_dmv_tree(&tr->t, root);
}

static void tree_release(struct tree *tr)
{
	json_tree_release(&tr->t);
	free(tr->text);
}

/* The holder's identity of type in subject s, read on jansson and on the tree alike. */
static struct vc_ob_str identity(const json_t *s, const char *type, bool *conflicting)
{
	struct tree t;
	struct vc_ob_str a, b;
	bool ca, cb;

	a = vc_ob_identity(vc_dmv_json(s), type, &ca);
	b = vc_ob_identity(tree_of(s, &t), type, &cb);
	assert_same_str(a, b, type);
	assert_int_equal(ca, cb);
	tree_release(&t);
	if (conflicting)
		*conflicting = ca;
	return a;
}

/* vc_ob_facts_read on vc's jansson value and on its tree, which must agree in every fact and
 * in the error; the jansson facts in *f (they borrow from vc). */
static int read_facts(const json_t *vc, struct vc_ob_facts *f, struct ok_error *err)
{
	struct vc_ob_facts g;
	struct ok_error e2;
	struct tree t;
	int rc, rc2;

	ok_error_clear(err);
	ok_error_clear(&e2);
	rc = vc_ob_facts_read(vc_dmv_json(vc), f, err);
	rc2 = vc_ob_facts_read(tree_of(vc, &t), &g, &e2);
	assert_int_equal(rc, rc2);
	assert_string_equal(err->message, e2.message);
	assert_string_equal(err->field, e2.field);
	if (rc == 0) {
		assert_same_str(f->title, g.title, "title");
		assert_same_str(f->achievement_type, g.achievement_type, "achievement_type");
		assert_same_str(f->institution, g.institution, "institution");
		assert_same_str(f->country, g.country, "country");
		assert_same_str(f->awarded, g.awarded, "awarded");
		assert_same_str(f->grade, g.grade, "grade");
		assert_int_equal(f->awarded_stated, g.awarded_stated);
		assert_int_equal(f->has_credits, g.has_credits);
		if (f->has_credits)
			assert_true(f->credits == g.credits);
		assert_same_str(vc_ob_identity(f->subject, "name", NULL),
		                vc_ob_identity(g.subject, "name", NULL), "holder name");
	}
	tree_release(&t);
	return rc;
}

/* The facts every shape of this credential must give: 3 credits earned (not the 30
 * available), no grade (two results with different values, neither the first), its title. */
static void assert_facts(const json_t *vc)
{
	struct vc_ob_facts f;
	struct ok_error err;

	if (read_facts(vc, &f, &err) != 0)
		fail_msg("facts: %s", err.message);
	assert_true(f.has_credits);
	assert_true(f.credits == 3.0);
	assert_str(f.grade, NULL);
	assert_str(f.title, "Sauna studies");
	assert_str(f.achievement_type, "Course");
	assert_str(f.institution, "Uni");
	assert_str(f.country, "FI");
	assert_str(f.awarded, "2023-06-01T00:00:00Z");
	assert_str(vc_ob_identity(f.subject, "name", NULL), "Zoe Example");
}

static void same_quads_same_facts(void **state)
{
	json_t *vc = signed_credential(), *bad, *results, *v;

	(void)state;
	assert_proof_holds(vc);
	assert_facts(vc);

	/* creditsEarned as its lexical form: "3" is the same xsd:float literal. */
	bad = json_deep_copy(vc);
	json_object_set_new(subject(bad), "creditsEarned", json_string("3"));
	assert_proof_holds(bad);
	assert_facts(bad);
	json_decref(bad);

	/* ... or as a value object typed as the context types it (https: the OB context's IRI), or
	 * a one-item set. */
	bad = json_deep_copy(vc);
	json_object_set_new(subject(bad), "creditsEarned",
	                    json_pack("[{s:s, s:s}]", "@value", "3", "type",
	                              "https://www.w3.org/2001/XMLSchema#float"));
	assert_proof_holds(bad);
	assert_facts(bad);
	json_decref(bad);

	/* Results in the other order: a set has none. */
	bad = json_deep_copy(vc);
	results = json_object_get(subject(bad), "result");
	v = json_incref(json_array_get(results, 0));
	json_array_remove(results, 0);
	json_array_append_new(results, v);
	assert_proof_holds(bad);
	assert_facts(bad);
	json_decref(bad);

	/* Texts as value objects; the award date as a typed value object (OB 3.0.3 types it
	 * "xsd:dateTime" without defining the prefix: that string is the datatype IRI). */
	bad = json_deep_copy(vc);
	json_object_set_new(achievement(bad), "name",
	                    json_pack("{s:s}", "@value", "Sauna studies"));
	json_object_set_new(
	        bad, "awardedDate",
	        json_pack("{s:s, s:s}", "@value", "2023-06-01T00:00:00Z", "type", "xsd:dateTime"));
	json_object_set_new(json_array_get(json_object_get(subject(bad), "identifier"), 0),
	                    "identityHash", json_pack("{s:s}", "@value", "Zoe Example"));
	assert_proof_holds(bad);
	assert_facts(bad);
	json_decref(bad);
	json_decref(vc);
}

static void one_grade_and_fallbacks(void **state)
{
	json_t *vc = parse(ob_text);
	struct vc_ob_facts f;
	struct ok_error err;

	(void)state;
	ok_error_clear(&err);
	/* Two results stating the same value: that is the grade. */
	json_object_set_new(subject(vc), "result",
	                    json_pack("[{s:s}, {s:{s:s}}]", "value", "B", "value", "@value", "B"));
	assert_int_equal(read_facts(vc, &f, &err), 0);
	assert_str(f.grade, "B");
	/* A result value that is no text makes the grade unknown. */
	json_object_set_new(subject(vc), "result",
	                    json_pack("[{s:s}, {s:[s, s]}]", "value", "B", "value", "B", "C"));
	assert_int_equal(read_facts(vc, &f, &err), 0);
	assert_str(f.grade, NULL);
	/* An unreadable creditsEarned is no credits, never the credits available. */
	json_object_set_new(subject(vc), "creditsEarned", json_string("three"));
	assert_int_equal(read_facts(vc, &f, &err), 0);
	assert_false(f.has_credits);
	json_object_set_new(subject(vc), "creditsEarned", json_pack("[i, i]", 3, 30));
	assert_int_equal(read_facts(vc, &f, &err), 0);
	assert_false(f.has_credits);
	json_object_set_new(subject(vc), "creditsEarned", json_pack("[i, s]", 3, "3.0E0"));
	assert_int_equal(read_facts(vc, &f, &err), 0);
	assert_true(f.has_credits && f.credits == 3.0);
	/* Without creditsEarned, the credits available. */
	json_object_del(subject(vc), "creditsEarned");
	assert_int_equal(read_facts(vc, &f, &err), 0);
	assert_true(f.has_credits && f.credits == 30.0);
	/* An award date stated in a shape that is no text is unknown, and stated. */
	json_object_set_new(vc, "awardedDate", json_pack("[s, s]", "2023-06-01", "2020-01-01"));
	assert_int_equal(read_facts(vc, &f, &err), 0);
	assert_true(f.awarded_stated);
	assert_str(f.awarded, NULL);
	/* Two clear names of the holder that differ: none. */
	json_array_append_new(json_object_get(subject(vc), "identifier"),
	                      json_pack("{s:s, s:s, s:b, s:s}", "type", "IdentityObject",
	                                "identityType", "name", "hashed", 0, "identityHash",
	                                "Someone Else"));
	assert_str(identity(subject(vc), "name", NULL), NULL);
	json_decref(vc);
}

/* Review Q4: none, one and conflicting told apart; a birth date as a date and as a dateTime of
 * the same day is one. */
static void identity_tri_state(void **state)
{
	json_t *s = json_pack("{s:[{s:s, s:s, s:s}]}", "identifier", "identityType",
	                      "ext:birthDate", "hashed", "false", "identityHash", "1990-01-01");
	bool conflicting = true;

	(void)state;
	assert_str(identity(s, "name", &conflicting), NULL);
	assert_false(conflicting);
	assert_str(identity(s, "ext:birthDate", &conflicting), "1990-01-01");
	assert_false(conflicting);
	json_array_append_new(json_object_get(s, "identifier"),
	                      json_pack("{s:s, s:s}", "identityType", "ext:birthDate",
	                                "identityHash", "1990-01-01T00:00:00Z"));
	assert_non_null(identity(s, "ext:birthDate", &conflicting).s);
	assert_false(conflicting);
	json_array_append_new(json_object_get(s, "identifier"),
	                      json_pack("{s:s, s:s}", "identityType", "ext:birthDate",
	                                "identityHash", "1991-02-03"));
	assert_str(identity(s, "ext:birthDate", &conflicting), NULL);
	assert_true(conflicting);
	json_decref(s);
}

static void several_refused(void **state)
{
	json_t *vc = parse(ob_text), *two;
	struct vc_ob_facts f;
	struct ok_error err;

	(void)state;
	ok_error_clear(&err);
	two = json_deep_copy(vc);
	json_object_set_new(two, "credentialSubject",
	                    json_pack("[O, O]", subject(vc), subject(vc)));
	assert_int_equal(read_facts(two, &f, &err), OK_EINPUT);
	assert_string_equal(err.field, "credentialSubject");
	assert_non_null(strstr(err.message, "several subjects"));
	json_decref(two);

	two = json_deep_copy(vc);
	json_object_set_new(subject(two), "achievement",
	                    json_pack("[O, O]", achievement(vc), achievement(vc)));
	assert_int_equal(read_facts(two, &f, &err), OK_EINPUT);
	assert_non_null(strstr(err.message, "several achievements"));
	json_decref(two);

	two = json_deep_copy(vc);
	json_object_set_new(achievement(two), "name", json_pack("[s, s]", "BSc", "MSc"));
	assert_int_equal(read_facts(two, &f, &err), OK_EINPUT);
	assert_string_equal(err.field, "credentialSubject.achievement.name");
	json_decref(two);

	/* A one-item set of subjects is the subject. */
	two = json_deep_copy(vc);
	json_object_set_new(two, "credentialSubject", json_pack("[O]", subject(vc)));
	assert_int_equal(read_facts(two, &f, &err), 0);
	json_decref(two);
	json_decref(vc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(same_quads_same_facts),
	        cmocka_unit_test(one_grade_and_fallbacks),
	        cmocka_unit_test(several_refused),
	        cmocka_unit_test(identity_tri_state),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
