/* The verification pipeline (registry/verify.h), each check on its own: the proof (a genuine
 * credential in both formats, one altered after signing), the validity period, the status (the
 * depository's own lists, revoked and suspended), the issuer (this depository, one off the trust
 * list, one on it), the size and format of the input, and the checks asked for. */
#include "registry_test.h"

#include <jansson.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "registry/achievement.h"
#include "registry/credential.h"
#include "registry/status.h"
#include "registry/trust.h"
#include "registry/verify.h"
#include "store/vcstatus.h"
#include "vc/jcs.h"
#include "vc/multibase.h"
#include "vc/proof.h"

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

/* The verifying depository's records in PostgreSQL when pg (abroad's stay in SQLite). */
static int setup_on(void **state, bool pg)
{
	struct world *w = calloc(1, sizeof(*w));
	char abroad_id[STORE_ID_MAX + 1];

	if (!w || (pg ? reg_setup_pg((void **)&w->f) : reg_setup((void **)&w->f)) ||
	    reg_setup((void **)&w->abroad))
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

static int setup(void **state)
{
	return setup_on(state, false);
}

static int setup_pg(void **state)
{
	return setup_on(state, true);
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

/* Verifies len bytes with the checks of mask (0: all); the result, with the credential, is in
 * w->r. */
static const struct verify_result *verify_bytes(struct world *w, const char *data, size_t len,
                                                unsigned mask, bool any_issuer)
{
	struct verify_options o = {
	        .checks = mask, .any_issuer = any_issuer, .want_credential = true};
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
 * want_credential, under every mask: the same result, item by item, and the same credential. */
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

			q.want_credential = true;
			assert_int_equal(
			        registry_verify(&w->f->d, text, strlen(text), &q, &a, &err), 0);
			assert_int_equal(registry_verify_document(&w->f->d, again, &o, &b, &err),
			                 0);
			assert_int_equal(
			        registry_verify(&w->f->d, text, strlen(text), &o, &c, &err), 0);
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
			/* The verdict alone (the default): the same, and no copy. */
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

static char *resigned(struct world *w, const char *id, int64_t n, int64_t index);
static struct store_achievement achievement_of(struct world *w, const char *id);

/* Verifies in (text, or its tree when tree) with the options o into r; r's credential printed
 * (NULL when it has none), to compare. */
static char *verified_credential(struct world *w, const char *in, size_t len, bool tree,
                                 const struct verify_options *o, struct verify_result *r)
{
	struct json_tree t;
	struct ok_error err;
	uint32_t root;
	int rc;

	if (!tree) {
		rc = registry_verify(&w->f->d, in, len, o, r, &err);
	} else {
		json_tree_init(&t);
		assert_int_equal(vc_jcs_parse_tree(in, len, &t, &root, &err), 0);
		rc = registry_verify_tree(&w->f->d, &t, root, o, r, &err);
		json_tree_release(&t);
	}
	if (rc)
		fail_msg("verify: %s", err.message);
	assert_true(r->verified);
	return r->credential ? json_dumps(r->credential, JSON_COMPACT | JSON_REAL_PRECISION(17))
	                     : NULL;
}

/* The credential's jansson copy is made only for a caller that asks (want_credential): asked,
 * r->credential is what every caller got before the option existed (the tree converted with
 * every number a real, json_tree_to_jansson_flags JSON_TREE_TO_REALS, which is also
 * vc_jcs_parse's document), by either entry point (text, tree), for either cryptosuite; not
 * asked, it is NULL and the verdict the same, item by item. A token's payload costs no copy:
 * there either way. */
static void test_credential_only_when_asked(void **state)
{
	struct world *w = *state;
	struct store_achievement mine = achievement_of(w, w->achievement);
	char *jcs = resigned(w, NULL, mine.status_list, mine.status_index);
	const struct {
		const char *text;
		size_t len;
		bool token;
	} in[] = {{w->di.data, w->di.len, false}, /* eddsa-rdfc-2022 */
	          {jcs, strlen(jcs), false},      /* eddsa-jcs-2022 */
	          {w->jwt.data, w->jwt.len, true}};
	struct verify_options ask = {.want_credential = true}, plain = {0};
	struct verify_result a, b;
	struct ok_error err;
	size_t i, k;

	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		for (int tree = 0; tree < (in[i].token ? 1 : 2); tree++) {
			char *got = verified_credential(w, in[i].text, in[i].len, tree, &ask, &a);
			char *none =
			        verified_credential(w, in[i].text, in[i].len, tree, &plain, &b);

			assert_non_null(got);
			if (in[i].token) {
				assert_non_null(none);
				assert_string_equal(none, got);
			} else {
				struct json_tree t;
				uint32_t root;
				json_t *before = NULL, *parsed = NULL;
				char *want;

				assert_null(none);
				json_tree_init(&t);
				assert_int_equal(
				        vc_jcs_parse_tree(in[i].text, in[i].len, &t, &root, &err),
				        0);
				assert_int_equal(json_tree_to_jansson_flags(&t, root,
				                                            JSON_TREE_TO_REALS,
				                                            &before, &err),
				                 0);
				want = json_dumps(before, JSON_COMPACT | JSON_REAL_PRECISION(17));
				assert_string_equal(got, want);
				assert_int_equal(
				        vc_jcs_parse(in[i].text, in[i].len, 0, &parsed, &err), 0);
				assert_true(json_equal(a.credential, parsed));
				free(want);
				json_decref(parsed);
				json_decref(before);
				json_tree_release(&t);
			}
			assert_int_equal(a.count, b.count);
			for (k = 0; k < a.count; k++) {
				assert_int_equal(a.items[k].passed, b.items[k].passed);
				assert_string_equal(a.items[k].message, b.items[k].message);
			}
			free(got);
			free(none);
			verify_result_release(&a);
			verify_result_release(&b);
		}
	free(jcs);
}

/* The store's status reads during a verification, counted (and failed, to play a store that
 * does not answer): the depository's store's table of functions is swapped for a copy whose
 * status reads go through these, and put back after the test. The table's functions know only
 * the store, so the counts live here (this test program's one thread). */
static struct {
	const struct store_ops *real;
	struct store_ops ops;
	int credential_status, slot_status, by_slot, by_credential;
	/* The error a read fails with (0: read the store). */
	int credential_status_down, slot_status_down;
} reads;

static int counted_credential_status(struct store *s, const char *credential_id,
                                     struct store_credential_status *out, struct ok_error *err)
{
	reads.credential_status++;
	if (reads.credential_status_down)
		return ok_fail(err, reads.credential_status_down,
		               "the store does not answer (test)");
	return reads.real->credential_status(s, credential_id, out, err);
}

static int counted_slot_status(struct store *s, int64_t list, int64_t index,
                               char status[STORE_STATUS_MAX], struct ok_error *err)
{
	reads.slot_status++;
	if (reads.slot_status_down)
		return ok_fail(err, reads.slot_status_down, "the store does not answer (test)");
	return reads.real->slot_status(s, list, index, status, err);
}

static int counted_by_slot(struct store *s, int64_t list, int64_t index,
                           struct store_achievement *out, struct ok_error *err)
{
	reads.by_slot++;
	return reads.real->achievement_by_slot(s, list, index, out, err);
}

static int counted_by_credential(struct store *s, const char *credential_id,
                                 struct store_achievement *out, struct ok_error *err)
{
	reads.by_credential++;
	return reads.real->achievement_by_credential(s, credential_id, out, err);
}

static void count_reads(struct world *w)
{
	struct store *s = w->f->d.store;

	memset(&reads, 0, sizeof(reads));
	reads.real = s->ops;
	reads.ops = *s->ops;
	reads.ops.credential_status = counted_credential_status;
	reads.ops.slot_status = counted_slot_status;
	reads.ops.achievement_by_slot = counted_by_slot;
	reads.ops.achievement_by_credential = counted_by_credential;
	/* These tests count the reads: the answers from memory (SQLite, while nothing was
	 * committed) are off, test_own_status_from_memory has them. */
	reads.ops.credential_status_mem = NULL;
	reads.ops.slot_status_mem = NULL;
	s->ops = &reads.ops;
}

static void uncount_reads(struct world *w)
{
	w->f->d.store->ops = reads.real;
}

static void reset_counts(void)
{
	reads.credential_status = reads.slot_status = reads.by_slot = reads.by_credential = 0;
}

static void assert_reads(int credential_status, int slot_status)
{
	if (reads.credential_status != credential_status || reads.slot_status != slot_status ||
	    reads.by_slot || reads.by_credential)
		fail_msg("store reads: credential_status %d, slot_status %d, achievement_by_slot "
		         "%d, achievement_by_credential %d; expected %d, %d, 0, 0",
		         reads.credential_status, reads.slot_status, reads.by_slot,
		         reads.by_credential, credential_status, slot_status);
}

/* w's credential, signed again by the depository with its status entries pointing at slot index
 * of list n, and its id replaced by id unless NULL. JSON text (free()). */
static char *resigned(struct world *w, const char *id, int64_t n, int64_t index)
{
	json_t *vc = json_loadb(w->di.data, w->di.len, 0, NULL), *e, *secured = NULL;
	char url[512], number[24], entry_id[560];
	struct ok_error err;
	size_t i;
	char *text;

	assert_non_null(vc);
	json_object_del(vc, "proof");
	if (id)
		json_object_set_new(vc, "id", json_string(id));
	assert_int_equal(json_array_size(json_object_get(vc, "credentialStatus")), 2);
	json_array_foreach(json_object_get(vc, "credentialStatus"), i, e)
	{
		snprintf(url, sizeof(url), "%s/status/%s/%lld", w->f->d.base_url,
		         json_string_value(json_object_get(e, "statusPurpose")), (long long)n);
		snprintf(number, sizeof(number), "%lld", (long long)index);
		snprintf(entry_id, sizeof(entry_id), "%s#%s", url, number);
		json_object_set_new(e, "id", json_string(entry_id));
		json_object_set_new(e, "statusListCredential", json_string(url));
		json_object_set_new(e, "statusListIndex", json_string(number));
	}
	/* Signed as the depository signs (its key, eddsa-jcs-2022): registry_credential_sign
	 * refuses status entries it did not give out. */
	{
		struct depository_identity me;
		struct vc_proof_options po = {.created = "2026-01-01T00:00:00Z",
		                              .suite = VC_SUITE_JCS};

		if (registry_identity(&w->f->d, &me, &err))
			fail_msg("identity: %s", err.message);
		po.verification_method = me.vm;
		if (vc_proof_create(vc, &po, me.sk, &secured, &err))
			fail_msg("sign: %s", err.message);
		registry_identity_release(&me);
	}
	text = json_dumps(secured, JSON_COMPACT);
	json_decref(vc);
	json_decref(secured);
	return text;
}

static struct store_achievement achievement_of(struct world *w, const char *id)
{
	struct store_achievement a;
	struct ok_error err;

	if (registry_achievement_get(&w->f->d, id, NULL, &a, &err))
		fail_msg("achievement: %s", err.message);
	return a;
}

/* The depository's own credential: its status from one narrow read (store credential_status),
 * its entries pointing at that achievement's slot answered without another; the verdicts and
 * messages as before, active, suspended and revoked. */
static void test_own_status_is_one_read(void **state)
{
	struct world *w = *state;
	const struct verify_result *r;

	count_reads(w);
	r = verify_buf(w, &w->di);
	assert_true(r->verified);
	assert_item(r, VERIFY_STATUS, true,
	            "neither revoked nor suspended (checked against the "
	            "issuer's status lists)");
	assert_reads(1, 0);

	change(w, STATUS_SUSPEND, "under review");
	reset_counts();
	r = verify_buf(w, &w->di);
	assert_false(r->verified);
	assert_item(r, VERIFY_STATUS, false,
	            "The credential is suspended by its issuer (a suspension can be lifted)");
	assert_reads(1, 0);

	change(w, STATUS_REVOKE, "fraud");
	reset_counts();
	r = verify_buf(w, &w->di);
	assert_false(r->verified);
	assert_item(r, VERIFY_STATUS, false, "The credential has been revoked by its issuer");
	assert_reads(1, 0);
	/* A signature that does not hold: the record is not read, the entries still are. */
	{
		char *forged = strndup(w->di.data, w->di.len), *at = strstr(forged, "Mechanics");

		assert_non_null(at);
		at[0] = 'm';
		reset_counts();
		r = verify_text(w, forged, 0);
		assert_false(r->verified);
		assert_item(r, VERIFY_STATUS, false,
		            "The credential has been revoked by its issuer");
		assert_reads(0, 2); /* each entry's slot, as before */
		free(forged);
	}
	uncount_reads(w);
}

/* The same verifications with the store's answers from memory: on SQLite (WAL) the third
 * verification in a row reads nothing, and a change committed since is seen by the very next
 * one (which reads, then memory again). PostgreSQL has no memory: one read each time. */
static void test_own_status_from_memory(void **state)
{
	static const struct {
		enum status_action action;
		const char *reason, *item;
		bool ok;
	} steps[] = {
	        {STATUS_SUSPEND, "under review",
	         "The credential is suspended by its issuer (a suspension can be lifted)", false},
	        {STATUS_REINSTATE, "cleared", "neither revoked nor suspended", true},
	        {STATUS_REVOKE, "fraud", "The credential has been revoked by its issuer", false},
	};
	struct world *w = *state;
	bool mem = w->f->d.store->ops->credential_status_mem != NULL;
	const struct verify_result *r;
	size_t i;
	int k;

	count_reads(w);
	reads.ops.credential_status_mem = reads.real->credential_status_mem;
	reads.ops.slot_status_mem = reads.real->slot_status_mem;
	for (k = 0; k < 3; k++) {
		reset_counts();
		r = verify_buf(w, &w->di);
		assert_true(r->verified);
	}
	assert_reads(mem ? 0 : 1, 0);
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		change(w, steps[i].action, steps[i].reason);
		/* The first after the change reads; memory answers once the header has stayed the
		 * same for as many checks as the set's last load read rows (a few here). Every
		 * answer is right on the way. */
		for (k = 0; k < 3 || (mem && reads.credential_status && k < 4096); k++) {
			reset_counts();
			r = verify_buf(w, &w->di);
			assert_int_equal(r->verified, steps[i].ok);
			assert_item(r, VERIFY_STATUS, steps[i].ok, steps[i].item);
			if (k == 0)
				assert_reads(1, 0);
		}
		assert_reads(mem ? 0 : 1, 0);
	}
	uncount_reads(w);
}

struct other {
	const char * not ;
	char id[STORE_ID_MAX + 1];
};

static int other_achievement(void *ctx, const struct store_achievement *a)
{
	struct other *o = ctx;

	if (strcmp(a->id, o->not ) == 0)
		return 0;
	snprintf(o->id, sizeof(o->id), "%s", a->id);
	return 1;
}

/* Entries that point elsewhere in our lists keep today's answer: another achievement's slot,
 * a VC-API credential's slot, a slot nobody holds; and a credential id nobody recorded. */
static void test_status_entries_elsewhere(void **state)
{
	static const char more[] = REG_CSV_HEADER "R-2," NID ",Anna,de Vries,2000-01-02,course,"
	                                          "Statics,,,5,8.0,NL 1-10,2021-02-01,en\n";
	struct world *w = *state;
	struct other o = {.not = w->achievement};
	struct store_achievement mine, other;
	struct store_vc_status v;
	const struct verify_result *r;
	struct ok_error err;
	char learner[STORE_ID_MAX + 1];
	char *text;

	reg_import_expect(w->f, more, 1, 0, 0, 0);
	if (registry_learner_find_id(&w->f->d, NID, learner, &err))
		fail_msg("find: %s", err.message);
	registry_learner_achievements(&w->f->d, learner, other_achievement, &o, &err);
	assert_true(o.id[0] != '\0');
	mine = achievement_of(w, w->achievement);
	other = achievement_of(w, o.id);
	assert_true(mine.status_index >= 0 && other.status_index >= 0);
	count_reads(w);

	/* Another achievement's slot, revoked: the credential's record is active, its entries
	 * say revoked, and the entries win (as before: each entry read its slot). */
	if (registry_status_change(&w->f->d, o.id, NULL, STATUS_REVOKE, "fraud", "operator", &other,
	                           &err))
		fail_msg("revoke: %s", err.message);
	text = resigned(w, NULL, other.status_list, other.status_index);
	reset_counts();
	r = verify_text(w, text, 0);
	assert_false(r->verified);
	assert_item(r, VERIFY_PROOF, true, "The signature is valid");
	assert_item(r, VERIFY_STATUS, false, "The credential has been revoked by its issuer");
	assert_reads(1, 2);
	free(text);

	/* A VC-API credential's slot, suspended. */
	memset(&v, 0, sizeof(v));
	snprintf(v.id, sizeof(v.id), "urn:uuid:0b6c1ad2-0000-4000-8000-000000000001");
	snprintf(v.institution, sizeof(v.institution), "21PB");
	snprintf(v.key_id, sizeof(v.key_id), "k1");
	snprintf(v.status, sizeof(v.status), "suspended");
	v.status_list = mine.status_list;
	/* A slot neither achievement holds. */
	for (v.status_index = 9;
	     v.status_index == mine.status_index || v.status_index == other.status_index;
	     v.status_index++)
		;
	v.created_ms = v.updated_ms = 1;
	uncount_reads(w);
	assert_int_equal(store_vc_status_add(w->f->d.store, &v, &err), 0);
	count_reads(w);
	text = resigned(w, NULL, v.status_list, v.status_index);
	reset_counts();
	r = verify_text(w, text, 0);
	assert_false(r->verified);
	assert_item(r, VERIFY_STATUS, false,
	            "The credential is suspended by its issuer (a suspension can be lifted)");
	assert_reads(1, 2);
	free(text);

	/* A slot nobody holds: both bits clear. */
	text = resigned(w, NULL, mine.status_list, 131071);
	reset_counts();
	r = verify_text(w, text, 0);
	assert_true(r->verified);
	assert_item(r, VERIFY_STATUS, true, "neither revoked nor suspended");
	assert_reads(1, 2);
	free(text);

	/* A credential id the depository never recorded, pointing at w's slot: answered from the
	 * slot (the achievement's status). */
	change(w, STATUS_SUSPEND, "under review");
	text = resigned(w, "urn:uuid:0b6c1ad2-0000-4000-8000-0000000000ff", mine.status_list,
	                mine.status_index);
	reset_counts();
	r = verify_text(w, text, 0);
	assert_false(r->verified);
	assert_item(r, VERIFY_STATUS, false, "suspended by its issuer");
	assert_reads(1, 2);
	free(text);
	uncount_reads(w);
}

/* A store that does not answer: the verification fails with OK_ENOANSWER (a 503 over HTTP),
 * never a verdict, whether the record's read or an entry's slot read went unanswered. */
/* A status read of our own store that fails, whatever the failure (no answer, a lost
 * connection, busy), fails the verification with it: never "not recorded", never a verdict
 * quoting the store's error. */
static void test_status_store_down(void **state)
{
	static const int failures[] = {OK_ENOANSWER, OK_ESTORE, OK_EBUSY};
	struct world *w = *state;
	struct store_achievement mine = achievement_of(w, w->achievement);
	struct ok_error err;
	char *text;

	text = resigned(w, NULL, mine.status_list, mine.status_index + 1);
	count_reads(w);
	for (size_t i = 0; i < sizeof(failures) / sizeof(failures[0]); i++) {
		/* Asked for, the credential is still not kept on a failure. */
		struct verify_options o = {.want_credential = true};

		reads.credential_status_down = failures[i];
		reads.slot_status_down = 0;
		ok_error_clear(&err);
		verify_result_release(&w->r);
		assert_int_equal(registry_verify(&w->f->d, w->di.data, w->di.len, &o, &w->r, &err),
		                 failures[i]);
		assert_string_equal(err.message, "the store does not answer (test)");
		assert_null(w->r.credential);
		/* Without the status check the store is not asked. */
		o.checks = VERIFY_PROOF | VERIFY_VALIDITY | VERIFY_ISSUER;
		verify_result_release(&w->r);
		assert_int_equal(registry_verify(&w->f->d, w->di.data, w->di.len, &o, &w->r, &err),
		                 0);
		assert_true(w->r.verified);

		/* The record read, an entry elsewhere unanswered. */
		reads.credential_status_down = 0;
		reads.slot_status_down = failures[i];
		o.checks = 0;
		ok_error_clear(&err);
		verify_result_release(&w->r);
		assert_int_equal(registry_verify(&w->f->d, text, strlen(text), &o, &w->r, &err),
		                 failures[i]);
		assert_string_equal(err.message, "the store does not answer (test)");
		assert_null(w->r.credential);
		/* The usual credential needs no slot read: it verifies. */
		verify_result_release(&w->r);
		assert_int_equal(registry_verify(&w->f->d, w->di.data, w->di.len, &o, &w->r, &err),
		                 0);
		assert_true(w->r.verified);
	}
	free(text);
	uncount_reads(w);
}

/* Copies file name from folder src to folder dst, by a new file renamed over the old one (as a
 * rotation by another process writes it). */
static void replace_file(const char *src, const char *dst, const char *name)
{
	char from[256], to[256], tmp[300];
	FILE *in, *out;
	char data[4096];
	size_t n;

	snprintf(from, sizeof(from), "%s/%s", src, name);
	snprintf(to, sizeof(to), "%s/%s", dst, name);
	snprintf(tmp, sizeof(tmp), "%s.new", to);
	in = fopen(from, "rb");
	out = fopen(tmp, "wb");
	assert_non_null(in);
	assert_non_null(out);
	n = fread(data, 1, sizeof(data), in);
	assert_true(n > 0 && n < sizeof(data));
	assert_int_equal(fwrite(data, 1, n, out), n);
	fclose(in);
	assert_int_equal(fclose(out), 0);
	assert_int_equal(chmod(tmp, 0600), 0);
	assert_int_equal(rename(tmp, to), 0);
}

/* w's folder gets abroad's issuer.key by hand (so abroad's credential becomes the depository's
 * own), right after a verification looked at the key files. */
static void replace_issuer_key_by_hand(struct world *w)
{
	const unsigned checks = VERIFY_PROOF | VERIFY_ISSUER;
	const struct verify_result *r;

	r = verify_bytes(w, w->foreign.data, w->foreign.len, checks, false);
	assert_false(r->verified);
	assert_item(r, VERIFY_ISSUER, false, "is not on the trust list");
	replace_file(w->abroad->dir, w->f->dir, "issuer.key");
}

static void assert_issuer_key_replaced(struct world *w)
{
	const struct verify_result *r;

	r = verify_bytes(w, w->foreign.data, w->foreign.len, VERIFY_PROOF | VERIFY_ISSUER, false);
	assert_true(r->verified);
	assert_item(r, VERIFY_ISSUER, true, "The issuer is this depository");
}

/* A key file put back by hand (no key command, which would wait out the interval) is used
 * within DEPOSITORY_KEYS_LOOK_MS; no watch here (the library). The key commands' own changes:
 * test_rotation.c. */
static void test_issuer_key_replaced_by_hand_is_seen_within_the_look_interval(void **state)
{
	struct world *w = *state;
	const struct timespec wait = {0, (DEPOSITORY_KEYS_LOOK_MS + 20) * 1000000L};

	assert_null(w->f->d.key_watch);
	assert_true(w->f->d.keys_look_spaced);
	replace_issuer_key_by_hand(w);
	assert_int_equal(nanosleep(&wait, NULL), 0);
	assert_issuer_key_replaced(w);
}

/* A folder whose looks are not spaced (a network file system) looks at every verification: a
 * replacement by hand is seen at once. */
static void test_unspaced_looks_see_a_replacement_at_once(void **state)
{
	struct world *w = *state;

	w->f->d.keys_look_spaced = false;
	replace_issuer_key_by_hand(w);
	assert_issuer_key_replaced(w);
}

/* The status reads, over either store. */
#define STATUS_READ_TESTS(su)                                                                 \
	cmocka_unit_test_setup_teardown(test_own_status_is_one_read, su, teardown),           \
	        cmocka_unit_test_setup_teardown(test_own_status_from_memory, su, teardown),   \
	        cmocka_unit_test_setup_teardown(test_status_entries_elsewhere, su, teardown), \
	        cmocka_unit_test_setup_teardown(test_status_store_down, su, teardown)

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
	        cmocka_unit_test_setup_teardown(test_credential_only_when_asked, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_issuer_key_replaced_by_hand_is_seen_within_the_look_interval, setup,
	                teardown),
	        cmocka_unit_test_setup_teardown(test_unspaced_looks_see_a_replacement_at_once,
	                                        setup, teardown),
	        STATUS_READ_TESTS(setup),
	};
	const struct CMUnitTest on_pg[] = {STATUS_READ_TESTS(setup_pg)};
	int failed = cmocka_run_group_tests_name("verification", tests, NULL, NULL);

	if (pg_test_base())
		failed += cmocka_run_group_tests_name("status reads on PostgreSQL", on_pg, NULL,
		                                      NULL);
	else
		printf("status reads on PostgreSQL: skipped (OORKONDE_TEST_PG is not set)\n");
	return failed;
}
