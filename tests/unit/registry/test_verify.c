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
#include "vc/jcs.h"
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

/* Both readers' verdicts on one document: registry_verify (the text read into a tree, every
 * check on the tree) against registry_verify_document (the jansson document), with and without
 * verdict_only, under every mask: the same result, item by item, and the same credential. */
static void compare_readers(struct world *w, const json_t *doc, const char *what, size_t *n)
{
	static const unsigned masks[] = {0, VERIFY_PROOF, VERIFY_STATUS,
	                                 VERIFY_VALIDITY | VERIFY_ISSUER};
	char *text = json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(17));
	struct verify_result a, b, c;
	struct ok_error err;
	json_t *again = NULL;
	size_t m, i;

	assert_non_null(text);
	if (vc_jcs_parse(text, strlen(text), 0, &again, &err) != 0) {
		free(text);
		return;
	}
	for (m = 0; m < sizeof(masks) / sizeof(masks[0]); m++)
		for (int any = 0; any < (m == 0 ? 2 : 1); any++) {
			struct verify_options o = {.checks = masks[m], .any_issuer = any};
			struct verify_options q = o;
			char *d1, *d2;

			q.verdict_only = true;
			assert_int_equal(
			        registry_verify(&w->f->d, text, strlen(text), &o, &a, &err), 0);
			assert_int_equal(registry_verify_document(&w->f->d, again, &o, &b, &err),
			                 0);
			assert_int_equal(
			        registry_verify(&w->f->d, text, strlen(text), &q, &c, &err), 0);
			(*n)++;
			if (a.is_credential != b.is_credential || a.verified != b.verified ||
			    strcmp(a.not_credential, b.not_credential) != 0 ||
			    (a.rule != b.rule && (!a.rule || !b.rule || strcmp(a.rule, b.rule))) ||
			    strcmp(a.issuer, b.issuer) != 0 || a.count != b.count)
				fail_msg("%s (mask %u): tree %d %d [%s] %s; jansson %d %d [%s] %s",
				         what, masks[m], a.is_credential, a.verified,
				         a.rule ? a.rule : "-", a.not_credential, b.is_credential,
				         b.verified, b.rule ? b.rule : "-", b.not_credential);
			for (i = 0; i < a.count; i++)
				if (a.items[i].check != b.items[i].check ||
				    a.items[i].passed != b.items[i].passed ||
				    a.items[i].warning != b.items[i].warning ||
				    strcmp(a.items[i].message, b.items[i].message) != 0)
					fail_msg(
					        "%s (mask %u) item %zu: tree %d \"%s\"; jansson %d "
					        "\"%s\"",
					        what, masks[m], i, a.items[i].passed,
					        a.items[i].message, b.items[i].passed,
					        b.items[i].message);
			/* The verdict alone: the same, and no copy. */
			assert_null(c.credential);
			assert_int_equal(c.verified, a.verified);
			assert_int_equal(c.count, a.count);
			for (i = 0; i < a.count; i++)
				assert_string_equal(c.items[i].message, a.items[i].message);
			assert_int_equal(a.credential != NULL, b.credential != NULL);
			if (a.credential) {
				d1 = json_dumps(a.credential,
				                JSON_COMPACT | JSON_REAL_PRECISION(17));
				d2 = json_dumps(b.credential,
				                JSON_COMPACT | JSON_REAL_PRECISION(17));
				assert_string_equal(d1, d2);
				free(d1);
				free(d2);
			}
			verify_result_release(&a);
			verify_result_release(&b);
			verify_result_release(&c);
		}
	json_decref(again);
	free(text);
}

/* A member of obj set to each of a few values of other types, and removed, in turn. */
static void mutate_member(struct world *w, json_t *root, json_t *obj, const char *key,
                          const char *what, size_t *n)
{
	json_t *alts[] = {NULL,
	                  json_integer(5),
	                  json_string("12"),
	                  json_string("1234567890123"),
	                  json_string("suspension"),
	                  json_string("2019-01-01T00:00:00.5+01:00"),
	                  json_string("3019-01-01T00:00:00Z"),
	                  json_pack("{s:s}", "id", "did:key:z6Mkx")};
	json_t *was = json_incref(json_object_get(obj, key));
	char name[128];
	size_t i;

	/* The key is freed with its member: kept apart. */
	snprintf(name, sizeof(name), "%s", key);
	key = name;
	what = name;

	for (i = 0; i < sizeof(alts) / sizeof(alts[0]); i++) {
		if (alts[i])
			json_object_set_new(obj, key, alts[i]);
		else
			json_object_del(obj, key);
		compare_readers(w, root, what, n);
	}
	if (was)
		json_object_set_new(obj, key, was);
	else
		json_object_del(obj, key);
}

/* Each member of obj mutated in turn (names taken first: a member set again moves to the end). */
static void mutate_members(struct world *w, json_t *root, json_t *obj, size_t *n)
{
	char names[32][64];
	const char *k;
	json_t *x;
	size_t i, count = 0;

	json_object_foreach(obj, k, x)
	{
		if (count < 32)
			snprintf(names[count++], sizeof(names[0]), "%s", k);
	}
	for (i = 0; i < count; i++)
		mutate_member(w, root, obj, names[i], names[i], n);
}

static void test_tree_and_jansson_readers_agree(void **state)
{
	struct world *w = *state;
	struct ok_error err;
	json_t *docs[4] = {NULL}, *status;
	char *texts[2];
	size_t d, i, n = 0;

	texts[0] = signed_with_period(w, "2019-01-01T00:00:00Z", "2020-01-01T00:00:00Z");
	texts[1] = signed_with_period(w, "2019-01-01T00:00:00.25-02:00", "2999-01-01T00:00:00Z");
	assert_int_equal(vc_jcs_parse(w->di.data, w->di.len, 0, &docs[0], &err), 0);
	assert_int_equal(vc_jcs_parse(w->foreign.data, w->foreign.len, 0, &docs[1], &err), 0);
	assert_int_equal(vc_jcs_parse(texts[0], strlen(texts[0]), 0, &docs[2], &err), 0);
	assert_int_equal(vc_jcs_parse(texts[1], strlen(texts[1]), 0, &docs[3], &err), 0);
	for (d = 0; d < 4; d++) {
		compare_readers(w, docs[d], "as issued", &n);
		/* Mutations of the depository's own credential only (eddsa-rdfc-2022: slow). */
		if (d > 0)
			continue;
		mutate_members(w, docs[d], docs[d], &n);
		mutate_member(w, docs[d], json_object_get(docs[d], "proof"), "expires",
		              "proof.expires", &n);
		mutate_member(w, docs[d], json_object_get(docs[d], "proof"), "created",
		              "proof.created", &n);
		status = json_object_get(docs[d], "credentialStatus");
		for (i = 0; i < json_array_size(status); i++)
			mutate_members(w, docs[d], json_array_get(status, i), &n);
		if (json_is_object(status))
			mutate_members(w, docs[d], status, &n);
	}
	/* The depository's own, revoked: its record says so on both readers. */
	change(w, STATUS_REVOKE, "fraud");
	compare_readers(w, docs[0], "revoked", &n);
	print_message("%zu comparisons\n", n);
	assert_true(n > 100);
	for (d = 0; d < 4; d++)
		json_decref(docs[d]);
	free(texts[0]);
	free(texts[1]);
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
	        cmocka_unit_test_setup_teardown(test_tree_and_jansson_readers_agree, setup,
	                                        teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
