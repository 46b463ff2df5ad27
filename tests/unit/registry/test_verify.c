/* The verification pipeline (registry/verify.h), each check on its own: the proof (a genuine
 * credential in both formats, one altered after signing), the validity period, the status (the
 * depository's own lists, revoked and suspended), the issuer (this depository, one off the trust
 * list, one on it), the size and format of the input, and the checks asked for. */
#include "registry_test.h"

#include <jansson.h>

#include "registry/achievement.h"
#include "registry/credential.h"
#include "registry/status.h"
#include "registry/trust.h"
#include "registry/verify.h"
#include "vc/multibase.h"

#define NID "123456782"

static const char csv[] = REG_CSV_HEADER
        "R-1," NID ",Anna,de Vries,2000-01-02,course,Mechanics,,,5,7.5,NL 1-10,2021-01-01,en\n";

struct world {
	struct reg_fixture *f;      /* the verifying (and issuing) depository */
	struct reg_fixture *abroad; /* another depository (did:key) */
	char achievement[STORE_ID_MAX + 1];
	struct buf di, jwt; /* the achievement's credential in both formats */
	struct buf foreign; /* a credential of abroad's */
	struct verify_result r;
};

static int first_achievement(void *ctx, const struct store_achievement *a)
{
	snprintf(ctx, STORE_ID_MAX + 1, "%s", a->id);
	return 1;
}

static void issue_first(struct reg_fixture *f, char id[STORE_ID_MAX + 1], struct buf *di,
                        struct buf *jwt)
{
	char learner[STORE_ID_MAX + 1];
	struct ok_error err;

	if (registry_learner_find_id(&f->d, NID, learner, &err))
		fail_msg("find: %s", err.message);
	registry_learner_achievements(&f->d, learner, first_achievement, id, &err);
	if (registry_credential_issue(&f->d, id, NULL, CREDENTIAL_DI, "test", di, &err) ||
	    (jwt && registry_credential_issue(&f->d, id, NULL, CREDENTIAL_JWT, "test", jwt, &err)))
		fail_msg("issue: %s", err.message);
}

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	char abroad_id[STORE_ID_MAX + 1];

	if (!w || reg_setup((void **)&w->f) || reg_setup((void **)&w->abroad))
		return -1;
	*state = w;
	buf_init(&w->di, 0);
	buf_init(&w->jwt, 0);
	buf_init(&w->foreign, 0);
	reg_import_expect(w->f, csv, 1, 0, 0, 0);
	reg_import_expect(w->abroad, csv, 1, 0, 0, 0);
	issue_first(w->f, w->achievement, &w->di, &w->jwt);
	issue_first(w->abroad, abroad_id, &w->foreign, NULL);
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;

	verify_result_release(&w->r);
	buf_release(&w->di);
	buf_release(&w->jwt);
	buf_release(&w->foreign);
	reg_fixture_free(w->f);
	reg_fixture_free(w->abroad);
	free(w);
	return 0;
}

/* Verifies len bytes with the checks of mask (0: all); the result is in w->r. */
static const struct verify_result *verify_bytes(struct world *w, const char *data, size_t len,
                                                unsigned mask, bool any_issuer)
{
	struct verify_options o = {.checks = mask, .any_issuer = any_issuer};
	struct ok_error err;

	verify_result_release(&w->r);
	if (registry_verify(&w->f->d, data, len, &o, &w->r, &err))
		fail_msg("verify: %s", err.message);
	return &w->r;
}

static const struct verify_result *verify_text(struct world *w, const char *text, unsigned mask)
{
	return verify_bytes(w, text, strlen(text), mask, false);
}

static const struct verify_result *verify_buf(struct world *w, const struct buf *b)
{
	return verify_bytes(w, b->data, b->len, 0, false);
}

/* The item of check c; fails the test when the check was not reported. */
static const struct verify_item *item(const struct verify_result *r, enum verify_check c)
{
	for (size_t i = 0; i < r->count; i++)
		if (r->items[i].check == c)
			return &r->items[i];
	fail_msg("no %s item", verify_check_name(c));
	return NULL;
}

static void assert_item(const struct verify_result *r, enum verify_check c, bool passed,
                        const char *says)
{
	const struct verify_item *it = item(r, c);

	if (it->passed != passed || !strstr(it->message, says))
		fail_msg("%s: passed %d, \"%s\"; expected passed %d with \"%s\"",
		         verify_check_name(c), it->passed, it->message, passed, says);
}

static void test_genuine_credential_passes_every_check(void **state)
{
	struct world *w = *state;
	const struct verify_result *r;

	r = verify_buf(w, &w->di);
	assert_true(r->is_credential);
	assert_true(r->verified);
	assert_string_equal(r->format, "di");
	assert_string_equal(r->issuer, w->f->d.issuer_did);
	assert_int_equal(r->count, 4);
	assert_item(r, VERIFY_PROOF, true, "The signature is valid");
	assert_item(r, VERIFY_VALIDITY, true, "within its validity period (no end date)");
	assert_item(r, VERIFY_STATUS, true, "neither revoked nor suspended");
	assert_item(r, VERIFY_ISSUER, true, "The issuer is this depository");
	assert_string_equal(json_string_value(json_object_get(r->credential, "name")), "Mechanics");

	r = verify_buf(w, &w->jwt);
	assert_true(r->verified);
	assert_string_equal(r->format, "jwt");
	assert_item(r, VERIFY_PROOF, true, "The signature is valid");
	assert_item(r, VERIFY_STATUS, true, "neither revoked nor suspended");
}

static void test_altered_credential_fails_the_proof(void **state)
{
	struct world *w = *state;
	const struct verify_result *r;
	char *text, *at, *dot;
	json_t *vc;

	/* DI: the grade raised after signing. */
	vc = json_loadb(w->di.data, w->di.len, 0, NULL);
	assert_non_null(vc);
	json_object_set_new(
	        json_array_get(json_object_get(json_object_get(vc, "credentialSubject"), "result"),
	                       0),
	        "value", json_string("9.5"));
	text = json_dumps(vc, JSON_COMPACT);
	json_decref(vc);
	r = verify_text(w, text, 0);
	assert_true(r->is_credential);
	assert_false(r->verified);
	assert_item(r, VERIFY_PROOF, false, "changed after it was signed");
	free(text);

	/* The same with only the proof's signature changed. */
	text = strndup(w->di.data, w->di.len);
	assert_non_null(at = strstr(text, "\"proofValue\": \"z"));
	at += strlen("\"proofValue\": \"z");
	*at = *at == '2' ? '3' : '2';
	r = verify_text(w, text, 0);
	assert_false(r->verified);
	assert_false(item(r, VERIFY_PROOF)->passed);
	free(text);

	/* JWT: the payload's name changed, header and signature kept. */
	assert_non_null(dot = memchr(w->jwt.data, '.', w->jwt.len));
	{
		const char *start = dot + 1,
		           *end = memchr(start, '.', w->jwt.len - (size_t)(start - w->jwt.data));
		uint8_t raw[16384];
		size_t len;
		struct ok_error err;
		struct buf forged;

		assert_non_null(end);
		assert_int_equal(vc_base64url_decode(start, (size_t)(end - start), raw, sizeof(raw),
		                                     &len, &err),
		                 0);
		assert_non_null(at = memmem(raw, len, "\"Mechanics\"", 11));
		memcpy(at, "\"Mechanicz\"", 11);
		buf_init(&forged, 0);
		assert_int_equal(buf_add(&forged, w->jwt.data, (size_t)(start - w->jwt.data)), 0);
		assert_int_equal(vc_base64url_encode(raw, len, &forged, &err), 0);
		assert_int_equal(buf_add(&forged, end, w->jwt.len - (size_t)(end - w->jwt.data)),
		                 0);
		r = verify_bytes(w, forged.data, forged.len, 0, false);
		assert_true(r->is_credential);
		assert_false(r->verified);
		assert_item(r, VERIFY_PROOF, false, "changed after it was signed");
		buf_release(&forged);
	}
}

static void change(struct world *w, enum status_action action, const char *reason)
{
	struct store_achievement a;
	struct ok_error err;

	if (registry_status_change(&w->f->d, w->achievement, NULL, action, reason, "operator", &a,
	                           &err))
		fail_msg("status change: %s", err.message);
}

static void test_revoked_and_suspended_fail_the_status(void **state)
{
	struct world *w = *state;
	const struct verify_result *r;

	change(w, STATUS_SUSPEND, "under review");
	r = verify_buf(w, &w->di);
	assert_false(r->verified);
	assert_item(r, VERIFY_PROOF, true, "The signature is valid");
	assert_item(r, VERIFY_STATUS, false, "suspended by its issuer");

	change(w, STATUS_REINSTATE, "cleared");
	assert_true(verify_buf(w, &w->di)->verified);

	change(w, STATUS_REVOKE, "fraud");
	r = verify_buf(w, &w->jwt);
	assert_false(r->verified);
	assert_item(r, VERIFY_STATUS, false, "has been revoked by its issuer");
	/* Without the status check, the revocation is not looked at. */
	r = verify_bytes(w, w->di.data, w->di.len, VERIFY_PROOF | VERIFY_ISSUER, false);
	assert_true(r->verified);
	assert_int_equal(r->count, 2);
}

/* A credential the depository signs with the given validity period (JSON text, free()). */
static char *signed_with_period(struct world *w, const char *from, const char *until)
{
	json_t *vc = json_pack("{s:[s], s:[s], s:s, s:s, s:s, s:{s:s, s:s}}", "@context",
	                       CREDENTIAL_CONTEXT_V2, "type", "VerifiableCredential", "issuer",
	                       w->f->d.issuer_did, "validFrom", from, "validUntil", until,
	                       "credentialSubject", "id", "did:example:learner", "name",
	                       "Exchange semester");
	json_t *secured = NULL;
	struct ok_error err;
	char *text;

	if (registry_credential_sign(&w->f->d, vc, "test", &secured, &err))
		fail_msg("sign: %s", err.message);
	text = json_dumps(secured, JSON_COMPACT);
	json_decref(vc);
	json_decref(secured);
	return text;
}

static void test_validity_period(void **state)
{
	struct world *w = *state;
	const struct verify_result *r;
	char *text;

	text = signed_with_period(w, "2019-01-01T00:00:00Z", "2020-01-01T00:00:00Z");
	r = verify_text(w, text, 0);
	assert_false(r->verified);
	assert_item(r, VERIFY_PROOF, true, "The signature is valid");
	assert_item(r, VERIFY_VALIDITY, false, "has expired: it was valid until 2020-01-01");
	assert_item(r, VERIFY_STATUS, true, "no status entry");
	free(text);

	text = signed_with_period(w, "2999-01-01T00:00:00Z", "3000-01-01T00:00:00Z");
	r = verify_text(w, text, 0);
	assert_false(r->verified);
	assert_item(r, VERIFY_VALIDITY, false, "not valid yet: it is valid from 2999-01-01");
	free(text);

	text = signed_with_period(w, "2019-01-01T00:00:00Z", "2999-01-01T00:00:00Z");
	r = verify_text(w, text, 0);
	assert_true(r->verified);
	assert_item(r, VERIFY_VALIDITY, true, "(until 2999-01-01T00:00:00Z)");
	free(text);
}

static void test_unknown_and_trusted_issuer(void **state)
{
	struct world *w = *state;
	const unsigned checks = VERIFY_PROOF | VERIFY_VALIDITY | VERIFY_ISSUER;
	const struct verify_result *r;
	struct ok_error err;

	/* abroad's key is a did:key: the signature holds, the issuer is unknown here. */
	r = verify_bytes(w, w->foreign.data, w->foreign.len, checks, false);
	assert_string_equal(r->issuer, w->abroad->d.issuer_did);
	assert_false(r->verified);
	assert_item(r, VERIFY_PROOF, true, "The signature is valid");
	assert_item(r, VERIFY_ISSUER, false, "is not on the trust list");
	assert_false(item(r, VERIFY_ISSUER)->warning);

	/* Allowed anyway: passed, with a warning. */
	r = verify_bytes(w, w->foreign.data, w->foreign.len, checks, true);
	assert_true(r->verified);
	assert_item(r, VERIFY_ISSUER, true, "accepted because any issuer was allowed");
	assert_true(item(r, VERIFY_ISSUER)->warning);

	/* On the trust list. */
	if (registry_trust_add(&w->f->d, w->abroad->d.issuer_did, "Abroad", "FI", &err))
		fail_msg("trust add: %s", err.message);
	r = verify_bytes(w, w->foreign.data, w->foreign.len, checks, false);
	assert_true(r->verified);
	assert_item(r, VERIFY_ISSUER, true, "The issuer Abroad (FI, ");

	/* Its status lists cannot be fetched here (no cache): the check fails, never passes. */
	r = verify_buf(w, &w->foreign);
	assert_false(r->verified);
	assert_item(r, VERIFY_STATUS, false, "could not be retrieved");
}

static void test_size_and_format(void **state)
{
	struct world *w = *state;
	const struct verify_result *r;
	size_t big = ((size_t)1 << 20) + 1;
	char *huge;

	/* More than 1 MiB: refused before it is read, even a valid credential padded out. */
	huge = malloc(big);
	assert_non_null(huge);
	memset(huge, ' ', big);
	memcpy(huge, w->di.data, w->di.len);
	r = verify_bytes(w, huge, big, 0, false);
	assert_false(r->is_credential);
	assert_false(r->verified);
	assert_string_equal(r->not_credential, "the input is larger than 1 MiB");
	/* 1 MiB exactly, white space after the credential, is read. */
	r = verify_bytes(w, huge, big - 1, 0, false);
	assert_true(r->is_credential);
	assert_true(r->verified);
	free(huge);

	r = verify_text(w, " \n\t", 0);
	assert_false(r->is_credential);
	assert_string_equal(r->not_credential, "the input is empty");

	r = verify_text(w, "hello, verifier", 0);
	assert_false(r->is_credential);
	assert_non_null(strstr(r->not_credential, "neither a JSON credential nor a VC-JOSE token"));

	r = verify_text(w, "{\"a\": 1, \"a\": 2}", 0);
	assert_false(r->is_credential);
	assert_non_null(strstr(r->not_credential, "not usable"));

	r = verify_text(w,
	                "{\"@context\": [\"https://www.w3.org/ns/credentials/v2\"], "
	                "\"type\": [\"Thing\"]}",
	                0);
	assert_false(r->is_credential);
	assert_non_null(strstr(r->not_credential, "not a credential"));

	/* A credential with no proof at all is a credential that fails the proof check. */
	r = verify_text(w,
	                "{\"@context\": [\"https://www.w3.org/ns/credentials/v2\"], "
	                "\"type\": [\"VerifiableCredential\"], \"issuer\": \"did:example:x\", "
	                "\"credentialSubject\": {\"name\": \"x\"}}",
	                0);
	assert_true(r->is_credential);
	assert_false(r->verified);
	assert_false(item(r, VERIFY_PROOF)->passed);
}

static void test_checks_parsed_and_reported(void **state)
{
	struct world *w = *state;
	const struct verify_result *r;
	struct ok_error err;
	unsigned mask = 0;
	json_t *doc;

	assert_int_equal(verify_checks_parse("status,proof", &mask, &err), 0);
	assert_int_equal(mask, VERIFY_PROOF | VERIFY_STATUS);
	assert_int_equal(verify_checks_parse("proof,signature", &mask, &err), OK_EINPUT);

	r = verify_bytes(w, w->di.data, w->di.len, VERIFY_PROOF | VERIFY_STATUS, false);
	assert_true(r->verified);
	assert_int_equal(r->count, 2);
	assert_int_equal(r->items[0].check, VERIFY_PROOF);
	assert_int_equal(r->items[1].check, VERIFY_STATUS);

	/* The VC-API result: verified, the checks run, no errors. */
	doc = verify_result_json(r);
	assert_true(json_is_true(json_object_get(doc, "verified")));
	assert_int_equal(json_array_size(json_object_get(doc, "checks")), 2);
	assert_int_equal(json_array_size(json_object_get(doc, "errors")), 0);
	json_decref(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_genuine_credential_passes_every_check, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_altered_credential_fails_the_proof, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_revoked_and_suspended_fail_the_status, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_validity_period, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_unknown_and_trusted_issuer, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_size_and_format, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_checks_parsed_and_reported, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
