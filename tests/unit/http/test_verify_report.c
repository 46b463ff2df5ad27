/* The answer of POST /credentials/verify written without jansson (http/verify_report.h) holds
 * the bytes of the jansson report it replaced (verify_report_json on the credential's jansson
 * copy, written by http_json_write): on the depository's own credentials (eddsa-jcs-2022,
 * eddsa-rdfc-2022, VC-JOSE), another depository's, the W3C test vectors, altered, expired,
 * suspended and revoked ones, under every set of checks, and on mutations of every fact the
 * report reads (holder, achievement, SD-JWT VC claims); and every report is written, texts the
 * report cuts (an SD-JWT VC name past 1,023 bytes, an award date to ten) cut at a character
 * boundary. Both read the holder and achievement with the one reader (vc/ob_facts.h through
 * verify_holder_read and verify_achievement_read): the jansson report on the jansson copy, the
 * writer on the tree; tests/unit/registry/test_verify_summary.c holds that reader to stored
 * answers. */
#include "registry/registry_test.h"

#include <jansson.h>

#include "http/json_out.h"
#include "http/verify_report.h"
#include "registry/achievement.h"
#include "registry/credential.h"
#include "registry/status.h"
#include "registry/vc_status.h"
#include "registry/verify.h"
#include "registry/verify_summary.h"
#include "vc/jcs.h"
#include "vc/proof.h"

#define NID "123456782"

static const char csv[] = REG_CSV_HEADER
        "R-1," NID ",Anna,de Vries,2000-01-02,course,Mechanics,,,5,7.5,NL 1-10,2021-01-01,en\n";

struct world {
	struct reg_fixture *f, *abroad;
	char achievement[STORE_ID_MAX + 1];
	struct buf jcs, rdfc, jwt, foreign;
	size_t compared, stated;
};

static int first_achievement(void *ctx, const struct store_achievement *a)
{
	snprintf(ctx, STORE_ID_MAX + 1, "%s", a->id);
	return 1;
}

static void issue(struct reg_fixture *f, char id[STORE_ID_MAX + 1], enum credential_format fmt,
                  struct buf *out)
{
	char learner[STORE_ID_MAX + 1];
	struct ok_error err;

	if (registry_learner_find_id(&f->d, NID, learner, &err))
		fail_msg("find: %s", err.message);
	registry_learner_achievements(&f->d, learner, first_achievement, id, &err);
	if (registry_credential_issue(&f->d, id, NULL, fmt, "test", out, &err))
		fail_msg("issue: %s", err.message);
}

/* The verifying depository's records in PostgreSQL when pg (its own status is read there). */
static int setup_on(void **state, bool pg)
{
	struct world *w = calloc(1, sizeof(*w));
	char abroad_id[STORE_ID_MAX + 1];

	if (!w || (pg ? reg_setup_pg((void **)&w->f) : reg_setup((void **)&w->f)) ||
	    reg_setup((void **)&w->abroad))
		return -1;
	*state = w;
	buf_init(&w->jcs, 0);
	buf_init(&w->rdfc, 0);
	buf_init(&w->jwt, 0);
	buf_init(&w->foreign, 0);
	reg_import_expect(w->f, csv, 1, 0, 0, 0);
	reg_import_expect(w->abroad, csv, 1, 0, 0, 0);
	issue(w->f, w->achievement, CREDENTIAL_DI_JCS, &w->jcs);
	issue(w->f, w->achievement, CREDENTIAL_DI_RDFC, &w->rdfc);
	issue(w->f, w->achievement, CREDENTIAL_JWT, &w->jwt);
	issue(w->abroad, abroad_id, CREDENTIAL_DI_JCS, &w->foreign);
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

	buf_release(&w->jcs);
	buf_release(&w->rdfc);
	buf_release(&w->jwt);
	buf_release(&w->foreign);
	reg_fixture_free(w->f);
	reg_fixture_free(w->abroad);
	free(w);
	return 0;
}

/* The jansson answer: the report as a jansson tree of the credential's jansson copy, written.
 * "!" when it could not be built (the server would answer 500: a failure of the test). */
static char *old_report(struct world *w, const char *text, size_t len, unsigned mask)
{
	struct verify_options o = {.checks = mask, .want_credential = true};
	struct verify_result r;
	struct ok_error err;
	struct buf b;
	json_t *doc;
	char *out;

	if (registry_verify(&w->f->d, text, len, &o, &r, &err))
		fail_msg("verify: %s", err.message);
	doc = verify_report_json(&w->f->d, &r);
	buf_init(&b, 0);
	if (!doc || http_json_write(&b, doc) != 0)
		out = strdup("!");
	else
		out = strdup(b.data);
	json_decref(doc);
	buf_release(&b);
	verify_result_release(&r);
	return out;
}

/* The new answer, as route_vc_verify writes it: a JSON credential verified on its tree without
 * a copy (no want_credential) and read there; a token through r.credential. */
static char *new_report(struct world *w, const char *text, size_t len, unsigned mask)
{
	struct verify_options o = {.checks = mask};
	struct verify_result r;
	struct json_tree t;
	struct ok_error err;
	struct buf b;
	uint32_t root;
	char *out;
	bool tree;
	int rc;

	json_tree_init(&t);
	tree = vc_jcs_parse_tree(text, len, &t, &root, &err) == 0;
	o.want_credential = !tree;
	rc = tree ? registry_verify_tree(&w->f->d, &t, root, &o, &r, &err)
	          : registry_verify(&w->f->d, text, len, &o, &r, &err);
	if (rc)
		fail_msg("verify: %s", err.message);
	if (tree)
		assert_null(r.credential);
	buf_init(&b, 0);
	rc = http_verify_report_write(&b, &w->f->d, &r,
	                              r.credential              ? vc_dmv_json(r.credential)
	                              : tree && r.is_credential ? vc_dmv_tree(&t, root)
	                                                        : vc_dmv_json(NULL));
	out = strdup(rc ? "!" : b.data);
	if (rc)
		assert_int_equal(b.len, 0); /* nothing left of a failed write */
	buf_release(&b);
	verify_result_release(&r);
	json_tree_release(&t);
	return out;
}

static void compare(struct world *w, const char *text, size_t len, const char *what)
{
	static const unsigned masks[] = {0, VERIFY_PROOF, VERIFY_STATUS,
	                                 VERIFY_VALIDITY | VERIFY_ISSUER};

	for (size_t m = 0; m < sizeof(masks) / sizeof(masks[0]); m++) {
		char *a = old_report(w, text, len, masks[m]),
		     *b = new_report(w, text, len, masks[m]);
		if (strcmp(a, b) != 0)
			fail_msg("%s (checks %u):\n jansson: %s\n writer:  %s", what, masks[m], a,
			         b);
		w->compared++;
		if (strstr(a, "\"holder\":{"))
			w->stated++;
		/* Every report is written: no text the report cuts ends inside a character. */
		if (a[0] == '!')
			fail_msg("%s (checks %u): no report", what, masks[m]);
		free(a);
		free(b);
	}
}

/* doc signed as the depository signs (its key, eddsa-jcs-2022, a proof it has replaced): what
 * it states is then shown (only a credential whose proof was checked and held has a holder and
 * an achievement in the report). NULL when it cannot be signed. */
static char *signed_text(struct world *w, const json_t *doc)
{
	struct vc_proof_options po = {.created = "2026-01-01T00:00:00Z", .suite = VC_SUITE_JCS};
	struct depository_identity me;
	json_t *unsecured, *secured = NULL;
	struct ok_error err;
	char *text = NULL;

	if (!json_is_object(doc) || !(unsecured = json_deep_copy(doc)))
		return NULL;
	json_object_del(unsecured, "proof");
	if (registry_identity(&w->f->d, &me, &err))
		fail_msg("identity: %s", err.message);
	po.verification_method = me.vm;
	if (vc_proof_create(unsecured, &po, me.sk, &secured, &err) == 0)
		text = json_dumps(secured, JSON_COMPACT | JSON_REAL_PRECISION(17));
	registry_identity_release(&me);
	json_decref(secured);
	json_decref(unsecured);
	return text;
}

/* doc as it is (its proof, if any, no longer holds), and signed anew. */
static void compare_doc(struct world *w, const json_t *doc, const char *what)
{
	char *text = json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(17));

	assert_non_null(text);
	compare(w, text, strlen(text), what);
	free(text);
	if ((text = signed_text(w, doc))) {
		compare(w, text, strlen(text), what);
		free(text);
	}
}

/* doc with the member at path (keys, "" ends; a number-like key "0" takes an array's item)
 * set to the JSON value, or removed when value is NULL; compared. */
static void mutate(struct world *w, const json_t *doc, const char *const path[], const char *value)
{
	json_t *copy = json_deep_copy(doc), *at = copy, *v = NULL;
	json_error_t e;
	char what[512];
	size_t i;

	assert_non_null(copy);
	for (i = 0; path[i + 1]; i++)
		at = json_is_array(at) ? json_array_get(at, (size_t)atoi(path[i]))
		                       : json_object_get(at, path[i]);
	if (!json_is_object(at)) {
		json_decref(copy);
		return;
	}
	if (value && !(v = json_loads(value, JSON_DECODE_ANY, &e)))
		fail_msg("bad test value %s: %s", value, e.text);
	if (v)
		json_object_set_new(at, path[i], v);
	else
		json_object_del(at, path[i]);
	snprintf(what, sizeof(what), "%s.%s = %s", path[0], path[i], value ? value : "(removed)");
	compare_doc(w, copy, what);
	json_decref(copy);
}

#define P(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Every fact the report reads, in shapes of the same quads and in broken ones. */
static void mutations(struct world *w, const json_t *doc)
{
	static const char *const identifiers[] = {
	        "[]",
	        "\"Anna\"",
	        "{\"identityType\": \"name\", \"hashed\": false, \"identityHash\": \"Anna\"}",
	        "[{\"identityType\": [\"name\", \"name\"], \"hashed\": \"false\", \"identityHash\":"
	        " {\"@value\": \"Anna B\", \"@language\": \"nl\"}}]",
	        "[{\"identityType\": \"name\", \"identityHash\": \"A\"}, {\"identityType\": "
	        "\"name\","
	        " \"identityHash\": \"B\"}]",
	        "[{\"identityType\": \"ext:birthDate\", \"identityHash\": \"1999-03-04\"},"
	        " {\"identityType\": \"ext:birthDate\", \"identityHash\": "
	        "\"1999-03-04T10:00:00Z\"}]",
	        "[{\"identityType\": \"ext:birthDate\", \"identityHash\": \"1999-03-04\"},"
	        " {\"identityType\": \"ext:birthDate\", \"identityHash\": \"1999-03-05\"}]",
	        "[{\"identityType\": \"name\", \"hashed\": \"0\", \"identityHash\": \"N\"},"
	        " {\"identityType\": \"name\", \"hashed\": \"1\", \"identityHash\": \"M\"},"
	        " {\"identityType\": \"name\", \"hashed\": \"maybe\", \"identityHash\": \"O\"},"
	        " {\"identityType\": \"name\", \"hashed\": {\"@value\": false}, \"identityHash\":"
	        " [\"N\", \"N\"]}]",
	        "[{\"identityType\": \"name\", \"hashed\": true, \"identityHash\": \"sha256$00\"}]",
	        "[{\"identityType\": \"name\", \"identityHash\": \"Dani\\u00ebl \\\"q\\\" \\\\ "
	        "\\n\"}]",
	        "[5, null, {\"identityType\": 5}, {\"identityHash\": \"x\"}]",
	};
	static const char *const values[] = {
	        "[]",
	        "[\"A\", \"A\"]",
	        "[\"A\", \"B\"]",
	        "{\"@value\": \"Z\", \"@language\": \"en\"}",
	        "\"\"",
	        "5",
	        "null",
	        "{}",
	        "\"Diploma\"",
	        "\"BachelorDegree\"",
	        "\"Course\"",
	        "[\"Course\", \"Course\"]",
	        "{\"@value\": \"ext:Module\"}",
	        "\"2024-01-0\\u00e91\"",
	        "\"2024-08-30\"",
	        "\"short\"",
	        "[\"2024-08-30T00:00:00Z\", \"2024-08-30T00:00:00Z\"]",
	};
	static const char *const numbers[] = {
	        "180",
	        "7.25",
	        "\"180\"",
	        "\"1.5e2\"",
	        "\"abc\"",
	        "\"inf\"",
	        "\"+.5\"",
	        "1e300",
	        "9e15",
	        "-0.5",
	        "[5, 5]",
	        "[5, 6]",
	        "{\"@value\": \"30\"}",
	        "[]",
	        "\"1e\"",
	        "\"1234567890123456789012345678901234567890123456789012345678901234567\"",
	};
	static const char *const results[] = {
	        "[{\"value\": \"7.5\"}, {\"value\": \"8\"}]",
	        "[{\"value\": \"7.5\"}, {\"x\": 1}, {\"value\": \"7.5\"}]",
	        "{\"value\": 5}",
	        "[{\"value\": [\"a\", \"a\"]}]",
	        "\"7\"",
	        "[]",
	};
	static const char *const nodes[] = {"[]", "\"x\"", "[{}]", "[{}, {}]", "{}", "[5]"};
	size_t i;

	for (i = 0; i < sizeof(identifiers) / sizeof(identifiers[0]); i++)
		mutate(w, doc, P("credentialSubject", "identifier"), identifiers[i]);
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		mutate(w, doc, P("credentialSubject", "achievement", "name"), values[i]);
		mutate(w, doc, P("credentialSubject", "achievement", "achievementType"), values[i]);
		mutate(w, doc, P("credentialSubject", "achievement", "creator", "name"), values[i]);
		mutate(w, doc, P("awardedDate"), values[i]);
		mutate(w, doc, P("validFrom"), values[i]);
		mutate(w, doc, P("name"), values[i]);
		mutate(w, doc, P("issuer"), values[i]);
		mutate(w, doc, P("id"), values[i]);
	}
	for (i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
		mutate(w, doc, P("credentialSubject", "creditsEarned"), numbers[i]);
		mutate(w, doc, P("credentialSubject", "achievement", "creditsAvailable"),
		       numbers[i]);
	}
	for (i = 0; i < sizeof(results) / sizeof(results[0]); i++)
		mutate(w, doc, P("credentialSubject", "result"), results[i]);
	for (i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++) {
		mutate(w, doc, P("credentialSubject"), nodes[i]);
		mutate(w, doc, P("credentialSubject", "achievement"), nodes[i]);
		mutate(w, doc, P("credentialSubject", "achievement", "creator"), nodes[i]);
		mutate(w, doc, P("credentialSubject", "achievement", "creator", "address"),
		       nodes[i]);
		mutate(w, doc, P("credentialStatus"), nodes[i]);
	}
	mutate(w, doc, P("awardedDate"), NULL);
	mutate(w, doc, P("credentialSubject", "creditsEarned"), NULL);
	mutate(w, doc, P("credentialSubject", "achievement", "name"), NULL);
	mutate(w, doc, P("credentialSubject", "achievement", "creator"), NULL);
	mutate(w, doc, P("credentialSubject", "identifier"), NULL);
	mutate(w, doc, P("credentialStatus"), NULL);
	mutate(w, doc, P("proof"), NULL);
	mutate(w, doc, P("@context"), "5");
}

/* An SD-JWT VC's claims, as a JSON credential may also carry them ("vct" decides). */
static void sdjwt_claims(struct world *w, const json_t *doc)
{
	static const char *const members[][2] = {
	        {"given_name", "\"Anna\""},
	        {"family_name", "\"de Vries\""},
	        {"birthdate", "\"2000-01-02\""},
	        {"title", "\"BSc\""},
	        {"achievement_title", "\"Bachelor\""},
	        {"institution", "{\"name\": \"UU\", \"country\": \"NL\"}"},
	        {"issuing_authority", "\"Utrecht\""},
	        {"issuing_country", "\"NL\""},
	        {"awarded_on", "\"2024-08-30\""},
	        {"credits_ects", "180"},
	        {"grade", "\"8\""},
	        {"assessment_grade", "\"B\""},
	};
	static const char *const vcts[] = {"\"https://example.org/vct/diploma\"", "\"urn:x\"",
	                                   "\"/vct/\"", "5"};
	json_t *copy = json_deep_copy(doc);
	json_error_t e;
	size_t i, k;

	/* The claims' names defined, so that the data model's rules let the credential pass. */
	json_array_append_new(json_object_get(copy, "@context"),
	                      json_pack("{s:s}", "@vocab", "https://example.org/claims#"));
	for (k = 0; k < sizeof(vcts) / sizeof(vcts[0]); k++) {
		json_object_set_new(copy, "vct", json_loads(vcts[k], JSON_DECODE_ANY, &e));
		for (i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
			json_object_set_new(copy, members[i][0],
			                    json_loads(members[i][1], JSON_DECODE_ANY, &e));
			compare_doc(w, copy, members[i][0]);
		}
		/* Removed one by one, each a fallback's turn. */
		for (i = 0; i < sizeof(members) / sizeof(members[0]); i++)
			mutate(w, copy, P(members[i][0]), NULL);
		mutate(w, copy, P("credits_ects"), "7.5");
		mutate(w, copy, P("credits_ects"), "\"180\"");
		mutate(w, copy, P("institution"), "\"UU\"");
	}
	json_decref(copy);
}

/* The report's holder name and award date when only the status is checked (what the credential
 * states is shown), as the new writer gives them; both compared first. */
static void shown(struct world *w, const json_t *doc, const char *what, char **name, char **awarded)
{
	char *text = signed_text(w, doc), *report;
	json_t *r, *v;
	json_error_t e;

	assert_non_null(text);
	compare(w, text, strlen(text), what);
	/* The proof and the issuer: what the credential states is shown only after both. */
	report = new_report(w, text, strlen(text), VERIFY_PROOF | VERIFY_ISSUER);
	r = json_loads(report, 0, &e);
	if (!r)
		fail_msg("%s: not JSON: %s", what, report);
	v = json_object_get(json_object_get(r, "holder"), "name");
	*name = json_is_string(v) ? strdup(json_string_value(v)) : NULL;
	v = json_object_get(json_object_get(r, "achievement"), "awarded_on");
	*awarded = json_is_string(v) ? strdup(json_string_value(v)) : NULL;
	json_decref(r);
	free(report);
	free(text);
}

/* "a" * before, the character c, "a" up to len bytes in all. */
static void text_with(char *out, size_t len, size_t before, const char *c)
{
	memset(out, 'a', len);
	memcpy(out + before, c, strlen(c));
	out[len] = '\0';
}

/* Texts the report cuts to a bounded length (an SD-JWT VC name at 1,023 bytes, an award date
 * at ten) with a 2-, 3- or 4-byte character across the cut: cut before it, at a character
 * boundary, the same by both writers, never an error. */
static void cut_texts(struct world *w, const json_t *doc)
{
	static const char *const chars[] = {"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80"};
	static const char *const dates[][2] = {
	        {"2024-01-0\xc3\xa9"
	         "1",
	         "2024-01-0"},
	        {"2024-08-3\xc3\xa9", "2024-08-3"},
	        {"2024-08-30\xc3\xa9", "2024-08-30"},
	        {"2024-01-\xe2\x82\xac", "2024-01-"},
	        {"2024-01-0\xe2\x82\xac", "2024-01-0"},
	        {"2024-01-\xf0\x9f\x98\x80", "2024-01-"},
	        {"2024-01-0\xf0\x9f\x98\x80", "2024-01-0"},
	        {"2024-01\xf0\x9f\x98\x80"
	         "2",
	         "2024-01"},
	        {"2024-0\xf0\x9f\x98\x80"
	         "12",
	         "2024-0\xf0\x9f\x98\x80"},
	        {"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9",
	         "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"},
	        {"\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac",
	         "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"},
	        {"2024-08-30T00:00:00Z", "2024-08-30"},
	        {"2024-08-3", NULL},
	};
	json_t *copy = json_deep_copy(doc);
	char text[1100], what[128], *name, *awarded;
	size_t len, before, c, i, want;

	for (i = 0; i < sizeof(dates) / sizeof(dates[0]); i++) {
		json_object_set_new(copy, "awardedDate", json_string(dates[i][0]));
		shown(w, copy, "an award date with a multibyte character", &name, &awarded);
		if (dates[i][1] ? !awarded || strcmp(awarded, dates[i][1]) : awarded != NULL)
			fail_msg("awardedDate %s: awarded_on %s", dates[i][0],
			         awarded ? awarded : "null");
		free(name);
		free(awarded);
	}
	json_decref(copy);
	copy = json_deep_copy(doc);
	json_array_append_new(json_object_get(copy, "@context"),
	                      json_pack("{s:s}", "@vocab", "https://example.org/claims#"));
	json_object_set_new(copy, "vct", json_string("https://example.org/vct/diploma"));
	/* Names of 1,020 to 1,030 bytes, each character width across (and next to) byte 1,023:
	 * given alone, family alone, and given with the family after it. */
	for (len = 1020; len <= 1030; len++)
		for (c = 0; c < 3; c++)
			for (before = 1023 - (c + 2); before <= 1023 && before + c + 2 <= len;
			     before++) {
				text_with(text, len, before, chars[c]);
				/* The longest prefix that fits and ends before a character. */
				want = len <= VERIFY_NAME_MAX              ? len
				       : before + c + 2 <= VERIFY_NAME_MAX ? VERIFY_NAME_MAX
				                                           : before;
				snprintf(what, sizeof(what),
				         "a name of %zu bytes, %zu-byte character at %zu", len,
				         c + 2, before);
				json_object_set_new(copy, "given_name", json_string(text));
				json_object_del(copy, "family_name");
				shown(w, copy, what, &name, &awarded);
				if (!name || strlen(name) != want || strncmp(name, text, want))
					fail_msg("%s: cut to %zu bytes, not %zu", what,
					         name ? strlen(name) : 0, want);
				free(name);
				free(awarded);
				json_object_del(copy, "given_name");
				json_object_set_new(copy, "family_name", json_string(text));
				shown(w, copy, what, &name, &awarded);
				assert_true(name && strlen(name) == want);
				free(name);
				free(awarded);
				/* "given family", the space at byte k: the same text with a space.
				 */
				for (size_t k = 1000; k < len;
				     k += k == 1000 ? before - 1001 : c + 3) {
					char *given = strndup(text, k);
					assert_non_null(given);
					json_object_set_new(copy, "given_name", json_string(given));
					json_object_set_new(copy, "family_name",
					                    json_string(text + k + 1));
					text[k] = ' ';
					shown(w, copy, what, &name, &awarded);
					if (!name || strlen(name) != want ||
					    strncmp(name, text, want))
						fail_msg("%s, space at %zu: cut to %zu bytes, not "
						         "%zu",
						         what, k, name ? strlen(name) : 0, want);
					text[k] = 'a';
					free(given);
					free(name);
					free(awarded);
				}
			}
	json_decref(copy);
}

/* The jansson report of r and the written one, which must be the same; the written one. */
static char *both_reports(struct world *w, const struct verify_result *r, const char *what)
{
	struct buf want, got;
	json_t *doc = verify_report_json(&w->f->d, r);

	buf_init(&want, 0);
	buf_init(&got, 0);
	if (!doc || http_json_write(&want, doc) != 0)
		fail_msg("%s: no jansson report", what);
	if (http_verify_report_write(&got, &w->f->d, r, vc_dmv_json(r->credential)) != 0)
		fail_msg("%s: no written report", what);
	if (strcmp(want.data, got.data) != 0)
		fail_msg("%s:\n jansson: %s\n writer:  %s", what, want.data, got.data);
	json_decref(doc);
	buf_release(&want);
	return buf_detach(&got, NULL);
}

/* A result's text that is not UTF-8 (the not-a-credential reason, a check's message) is shown
 * with U+FFFD for each byte that is not, by both writers: never left out, never a 500. */
static void messages_not_utf8(struct world *w)
{
	struct verify_result r;
	char *out;

	memset(&r, 0, sizeof(r));
	r.is_credential = false;
	r.rule = "type.defined";
	snprintf(r.not_credential, sizeof(r.not_credential),
	         "the input is not usable: a\xff"
	         "b \xc3");
	out = both_reports(w, &r, "not a credential, not UTF-8");
	assert_non_null(strstr(out, "\"type\":\"/problems/not-a-credential\",\"title\":\"Not a "
	                            "credential\",\"detail\":\"the input is not usable: "
	                            "a\xef\xbf\xbd"
	                            "b \xef\xbf\xbd\",\"rule\":\"type.defined\""));
	free(out);
	memset(&r, 0, sizeof(r));
	r.is_credential = true;
	r.count = 3;
	r.items[0] = (struct verify_item){.check = VERIFY_PROOF, .passed = true};
	snprintf(r.items[0].message, sizeof(r.items[0].message), "signed \xe2\x82");
	r.items[1] = (struct verify_item){.check = VERIFY_ISSUER, .passed = true, .warning = true};
	snprintf(r.items[1].message, sizeof(r.items[1].message), "\xf0\x9f\x98 issuer");
	r.items[2] = (struct verify_item){.check = VERIFY_STATUS, .passed = false};
	snprintf(r.items[2].message, sizeof(r.items[2].message), "status \xc0\xaf");
	out = both_reports(w, &r, "messages not UTF-8");
	assert_non_null(strstr(out, "\"detail\":\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd issuer\""));
	assert_non_null(strstr(out, "\"check\":\"status\",\"detail\":\"status "
	                            "\xef\xbf\xbd\xef\xbf\xbd\""));
	assert_non_null(strstr(out, "\"message\":\"signed \xef\xbf\xbd\xef\xbf\xbd\""));
	free(out);
}

static json_t *parsed(const char *text, size_t len)
{
	struct ok_error err;
	json_t *doc = NULL;

	if (vc_jcs_parse(text, len, 0, &doc, &err))
		fail_msg("parse: %s", err.message);
	return doc;
}

static char *fixture(const char *dir, const char *name)
{
	char path[512];
	FILE *f;
	char *text;
	long n;

	snprintf(path, sizeof(path), "%s/%s/%s", getenv("OK_FIXTURES"), dir, name);
	f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	text = calloc(1, (size_t)n + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return text;
}

static void change(struct world *w, enum status_action action, const char *reason)
{
	struct store_achievement a;
	struct ok_error err;

	if (registry_status_change(&w->f->d, w->achievement, NULL, action, reason, "operator", &a,
	                           &err))
		fail_msg("status change: %s", err.message);
}

/* A VC-API credential issued with status entries (its slot in store_vc_status, no record):
 * active, suspended, revoked. */
static void vc_api_with_status(struct world *w)
{
	const enum vc_suite suite = VC_SUITE_JCS;
	json_t *vc = json_pack("{s:[s], s:[s], s:s, s:s, s:{s:s, s:s}}", "@context",
	                       CREDENTIAL_CONTEXT_V2, "type", "VerifiableCredential", "id",
	                       "urn:uuid:6a1f3c9e-8d2b-4e57-9c0a-2f4b7d8e1a35", "issuer",
	                       w->f->d.issuer_did, "credentialSubject", "id", "did:example:learner",
	                       "name", "Exchange semester");
	static const enum status_action actions[] = {STATUS_SUSPEND, STATUS_REVOKE};
	struct store_vc_status st;
	json_t *secured = NULL;
	struct ok_error err;
	char *text, *since;

	if (registry_vc_issue_with_status(&w->f->d, vc, "", "k1", "test", &suite, &secured, &err))
		fail_msg("issue with status: %s", err.message);
	text = json_dumps(secured, JSON_COMPACT);
	compare(w, text, strlen(text), "VC-API with status, active");
	for (size_t i = 0; i < 2; i++) {
		if (registry_vc_status_change(&w->f->d,
		                              json_string_value(json_object_get(vc, "id")), NULL,
		                              actions[i], "test", &st, &err))
			fail_msg("status change: %s", err.message);
		compare(w, text, strlen(text), "VC-API with status, changed");
		/* Found by its slot, with the date of the change. */
		since = new_report(w, text, strlen(text), 0);
		assert_non_null(strstr(since, "\"since\":\"20"));
		free(since);
	}
	free(text);
	json_decref(secured);
	json_decref(vc);
}

static void test_same_bytes_as_the_jansson_report(void **state)
{
	struct world *w = *state;
	const char *vectors[][2] = {{"w3c-eddsa-jcs-2022", "signedJCS.json"},
	                            {"w3c-eddsa-rdfc-2022", "signedDataInt.json"},
	                            {"w3c-eddsa-rdfc-2022", "employmentAuth.json"}};
	json_t *jcs = parsed(w->jcs.data, w->jcs.len);
	char *text;
	size_t i;

	compare(w, w->jcs.data, w->jcs.len, "own, eddsa-jcs-2022");
	compare(w, w->rdfc.data, w->rdfc.len, "own, eddsa-rdfc-2022");
	compare(w, w->jwt.data, w->jwt.len, "own, VC-JOSE");
	compare(w, w->foreign.data, w->foreign.len, "another depository's");
	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		text = fixture(vectors[i][0], vectors[i][1]);
		compare(w, text, strlen(text), vectors[i][1]);
		free(text);
	}
	compare(w, "{}", 2, "an empty object");
	compare(w, "{\"@context\": 5}", 15, "no credential");
	/* Altered after signing: the proof fails, nothing it states is repeated. */
	mutate(w, jcs, P("name"), "\"Altered\"");
	mutations(w, jcs);
	sdjwt_claims(w, jcs);
	cut_texts(w, jcs);
	messages_not_utf8(w);

	vc_api_with_status(w);
	/* Suspended and revoked: the record's date, on the tree and on the token. */
	change(w, STATUS_SUSPEND, "under review");
	compare(w, w->jcs.data, w->jcs.len, "suspended, eddsa-jcs-2022");
	compare(w, w->jwt.data, w->jwt.len, "suspended, VC-JOSE");
	mutate(w, jcs, P("id"), NULL); /* found by its status slot instead */
	change(w, STATUS_REVOKE, "fraud");
	compare(w, w->jcs.data, w->jcs.len, "revoked, eddsa-jcs-2022");
	compare(w, w->rdfc.data, w->rdfc.len, "revoked, eddsa-rdfc-2022");
	mutations(w, jcs);
	print_message("%zu comparisons, %zu with a holder\n", w->compared, w->stated);
	assert_true(w->compared > 1000);
	assert_true(w->stated > 300);
	json_decref(jcs);
}

/* Without the proof among the checks nothing the credential states is shown, genuine or
 * altered: the holder and achievement only of a credential whose signature was checked and
 * held; both writers alike. */
static void test_holder_only_when_the_proof_held(void **state)
{
	static const unsigned without_proof[] = {VERIFY_STATUS, VERIFY_VALIDITY | VERIFY_ISSUER,
	                                         VERIFY_VALIDITY | VERIFY_STATUS | VERIFY_ISSUER};
	struct world *w = *state;
	json_t *altered = parsed(w->jcs.data, w->jcs.len);
	json_t *subject = json_object_get(altered, "credentialSubject");
	char *forged, *a, *b;

	json_object_set_new(json_array_get(json_object_get(subject, "identifier"), 0),
	                    "identityHash", json_string("Forged Name"));
	json_object_set_new(json_object_get(subject, "achievement"), "name",
	                    json_string("Forged Name"));
	forged = json_dumps(altered, JSON_COMPACT);
	assert_non_null(forged);
	for (size_t m = 0; m < sizeof(without_proof) / sizeof(without_proof[0]); m++) {
		const char *texts[] = {w->jcs.data, forged, w->rdfc.data, w->jwt.data};
		const size_t lens[] = {w->jcs.len, strlen(forged), w->rdfc.len, w->jwt.len};

		for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
			a = old_report(w, texts[i], lens[i], without_proof[m]);
			b = new_report(w, texts[i], lens[i], without_proof[m]);
			assert_string_equal(a, b);
			assert_non_null(strstr(a, "\"holder\":null"));
			assert_non_null(strstr(a, "\"achievement\":null"));
			assert_null(strstr(a, "Forged Name"));
			assert_non_null(strstr(a, "\"state\":\"not_verified\""));
			free(a);
			free(b);
		}
	}
	/* With the proof but not the issuer: the signature held, but anyone signs with a key of
	 * their own; nothing stated is shown and the headline says only that the checks asked
	 * for passed (attack s16, finding 1). */
	a = old_report(w, w->jcs.data, w->jcs.len, VERIFY_PROOF | VERIFY_STATUS);
	b = new_report(w, w->jcs.data, w->jcs.len, VERIFY_PROOF | VERIFY_STATUS);
	assert_string_equal(a, b);
	assert_non_null(strstr(a, "\"holder\":null"));
	assert_non_null(strstr(a, "\"achievement\":null"));
	assert_non_null(strstr(a, "\"state\":\"not_verified\""));
	assert_non_null(strstr(a, "\"reason\":\"narrowed\""));
	free(a);
	free(b);
	/* With the proof and the issuer: the genuine one's are shown, the altered one's not. */
	a = old_report(w, w->jcs.data, w->jcs.len, VERIFY_PROOF | VERIFY_ISSUER);
	b = new_report(w, w->jcs.data, w->jcs.len, VERIFY_PROOF | VERIFY_ISSUER);
	assert_string_equal(a, b);
	assert_non_null(strstr(a, "\"holder\":{"));
	assert_non_null(strstr(a, "\"achievement\":{"));
	assert_non_null(strstr(a, "\"reason\":\"narrowed\""));
	free(a);
	free(b);
	a = old_report(w, forged, strlen(forged), VERIFY_PROOF | VERIFY_ISSUER);
	b = new_report(w, forged, strlen(forged), VERIFY_PROOF | VERIFY_ISSUER);
	assert_string_equal(a, b);
	assert_non_null(strstr(a, "\"holder\":null"));
	assert_null(strstr(a, "Forged Name"));
	free(a);
	free(b);
	free(forged);
	json_decref(altered);
}

int main(void)
{
	const struct CMUnitTest on_sqlite[] = {
	        cmocka_unit_test_setup_teardown(test_same_bytes_as_the_jansson_report, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_holder_only_when_the_proof_held, setup,
	                                        teardown),
	};
	const struct CMUnitTest on_pg[] = {
	        cmocka_unit_test_setup_teardown(test_same_bytes_as_the_jansson_report, setup_pg,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_holder_only_when_the_proof_held, setup_pg,
	                                        teardown),
	};
	int failed = cmocka_run_group_tests_name("report on SQLite", on_sqlite, NULL, NULL);

	if (pg_test_base())
		failed += cmocka_run_group_tests_name("report on PostgreSQL", on_pg, NULL, NULL);
	else
		printf("report on PostgreSQL: skipped (OORKONDE_TEST_PG is not set)\n");
	return failed;
}
