/* Unit tests of the OpenID4VCI issuer (oid4vci/oid4vci.h) on both stores, at chosen moments:
 * an offer and its code expire after 10 minutes, an access token after 5, a c_nonce is taken
 * once and not after it expired; and the token request's form parser. */
#include "registry/registry_test.h"

#include <jansson.h>

#include "oid4vci/oid4vci.h"
#include "store/vci.h"

#define NID "111222333"
#define T0  ((int64_t)1767225600000)

static const char csv[] = REG_CSV_HEADER
        "R1," NID ",Anna,de Vries,2000-01-02,course,Mechanics,,,5,8,NL 1-10,2020-01-15,nl\n";

struct world {
	struct reg_fixture *f;
	char anna[STORE_ID_MAX + 1];
	char id[STORE_ID_MAX + 1];
};

static int collect(void *ctx, const struct store_achievement *a)
{
	struct world *w = ctx;

	snprintf(w->id, sizeof(w->id), "%s", a->id);
	return 0;
}

static int setup_on(void **state, bool pg)
{
	struct world *w = calloc(1, sizeof(*w));
	struct ok_error err;

	if (!w || (pg ? reg_setup_pg((void **)&w->f) : reg_setup((void **)&w->f)))
		return -1;
	*state = w;
	reg_import_expect(w->f, csv, 1, 0, 0, 0);
	if (registry_learner_find_id(&w->f->d, NID, w->anna, &err) ||
	    registry_learner_achievements(&w->f->d, w->anna, collect, w, &err))
		fail_msg("learner: %s", err.message);
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

	reg_teardown((void **)&w->f);
	free(w);
	return 0;
}

/* The pre-authorized code of an offer, as a wallet reads it from the offer URI at now. */
static int code_of(struct world *w, const struct oid4vci_offer_made *m, int64_t now, char out[64])
{
	const char *token = strrchr(m->offer_uri, '/') + 1;
	struct ok_error err;
	json_t *doc = NULL;
	int rc = oid4vci_offer_json(&w->f->d, token, now, &doc, &err);

	if (!rc)
		snprintf(out, 64, "%s",
		         json_string_value(
		                 json_object_get(json_object_get(json_object_get(doc, "grants"),
		                                                 OID4VCI_GRANT_PRE_AUTH),
		                                 "pre-authorized_code")));
	json_decref(doc);
	return rc;
}

static void offer(struct world *w, int64_t now, struct oid4vci_offer_made *m)
{
	const char *ids[] = {w->id};
	struct ok_error err;

	if (oid4vci_offer_create(&w->f->d, w->anna, ids, 1, SDJWT_VCT_OWN, false, "operator", now,
	                         m, &err))
		fail_msg("offer: %s", err.message);
}

static int redeem(struct world *w, const char *code, int64_t now, json_t **tok, const char **oauth)
{
	struct oid4vci_token_req r = {OID4VCI_GRANT_PRE_AUTH, code, NULL, NULL, now};
	struct ok_error err;

	return oid4vci_token(&w->f->d, &r, tok, oauth, &err);
}

static void offer_expires(void **state)
{
	struct world *w = *state;
	struct oid4vci_offer_made m;
	const char *oauth = NULL;
	json_t *tok = NULL;
	char code[64];

	offer(w, T0, &m);
	assert_int_equal(code_of(w, &m, T0 + 599 * 1000, code), 0);
	/* Ten minutes on, neither the offer URI nor its code works. */
	assert_int_equal(code_of(w, &m, T0 + 600 * 1000, code), OK_EGONE);
	assert_int_not_equal(redeem(w, code, T0 + 600 * 1000, &tok, &oauth), 0);
	assert_string_equal(oauth, "invalid_grant");
	assert_null(tok);
	/* Just before, it works, once. */
	assert_int_equal(redeem(w, code, T0 + 599 * 1000, &tok, &oauth), 0);
	assert_string_equal(json_string_value(json_object_get(tok, "token_type")), "Bearer");
	json_decref(tok);
	tok = NULL;
	assert_int_not_equal(redeem(w, code, T0 + 599 * 1000, &tok, &oauth), 0);
	assert_string_equal(oauth, "invalid_grant");
}

static void token_expires(void **state)
{
	struct world *w = *state;
	struct oid4vci_offer_made m;
	const char *oauth = NULL;
	json_t *tok = NULL, *body, *out = NULL;
	struct ok_error err;
	char code[64], auth[80];

	offer(w, T0, &m);
	assert_int_equal(code_of(w, &m, T0, code), 0);
	assert_int_equal(redeem(w, code, T0, &tok, &oauth), 0);
	snprintf(auth, sizeof(auth), "Bearer %s",
	         json_string_value(json_object_get(tok, "access_token")));
	json_decref(tok);
	body = json_pack("{s:s,s:{s:[s]}}", "credential_configuration_id", "course", "proofs",
	                 "jwt", "a.b.c");
	/* Alive: the request gets past the token to the proof, which is bad. */
	{
		struct oid4vci_credential_req r = {auth, NULL, body, T0 + 299 * 1000};

		assert_int_not_equal(oid4vci_credential(&w->f->d, &r, &out, &oauth, &err), 0);
		assert_string_equal(oauth, "invalid_proof");
	}
	/* Five minutes on: the token is refused first. */
	{
		struct oid4vci_credential_req r = {auth, NULL, body, T0 + 300 * 1000};

		assert_int_not_equal(oid4vci_credential(&w->f->d, &r, &out, &oauth, &err), 0);
		assert_string_equal(oauth, "invalid_token");
	}
	assert_null(out);
	json_decref(body);
}

static void nonce_once_and_expires(void **state)
{
	struct world *w = *state;
	unsigned char h[STORE_HASH_BYTES];
	struct ok_error err;
	struct store *s = w->f->d.store;

	memset(h, 7, sizeof(h));
	assert_int_equal(store_begin(s, &err), 0);
	assert_int_equal(store_vci_once_put(s, h, T0 + 1000, &err), 0);
	assert_int_equal(store_vci_once_put(s, h, T0 + 1000, &err), OK_ECONFLICT);
	assert_int_equal(store_vci_once_take(s, h, T0 + 1000, &err), OK_ENOTFOUND);
	assert_int_equal(store_vci_once_take(s, h, T0 + 999, &err), 0);
	assert_int_equal(store_vci_once_take(s, h, T0 + 999, &err), OK_ENOTFOUND);
	assert_int_equal(store_commit(s, &err), 0);
}

/* Wrong PINs are counted and the offer burnt by one statement on the row's own count (review
 * note: not on a count read earlier in the transaction), so it holds without the writer lock. */
static void pin_tries_burn_in_one_statement(void **state)
{
	struct world *w = *state;
	struct store *s = w->f->d.store;
	const char *ids[] = {w->id};
	struct oid4vci_offer_made m;
	struct store_vci_offer o;
	struct ok_error err;
	int64_t tries = 0;

	if (oid4vci_offer_create(&w->f->d, w->anna, ids, 1, SDJWT_VCT_OWN, true, "operator", T0, &m,
	                         &err))
		fail_msg("offer: %s", err.message);
	for (int64_t i = 1; i <= 3; i++) {
		assert_int_equal(store_vci_offer_wrong_pin(s, m.id, 3, T0 + i, &tries, &err), 0);
		assert_int_equal(tries, i);
		assert_int_equal(store_vci_offer_get(s, m.id, &o, &err), 0);
		assert_int_equal(o.redeemed_ms, i == 3 ? T0 + 3 : 0);
	}
	/* Burnt: no fourth try is counted, and the right PIN cannot redeem it any more. */
	assert_int_equal(store_vci_offer_wrong_pin(s, m.id, 3, T0 + 4, &tries, &err), OK_ECONFLICT);
	assert_int_equal(store_vci_offer_redeem(s, m.id, T0 + 4, &err), OK_ECONFLICT);
	assert_int_equal(store_vci_offer_get(s, m.id, &o, &err), 0);
	assert_int_equal(o.pin_tries, 3);
}

static void form_parser(void **state)
{
	struct oid4vci_form f;
	struct ok_error err;
	static const char good[] = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-"
	                           "authorized_code&client_id=x&pre-authorized_code=a+b%2F&tx_"
	                           "code=123456";

	(void)state;
	assert_int_equal(oid4vci_form_parse(good, strlen(good), &f, &err), 0);
	assert_string_equal(f.grant_type, OID4VCI_GRANT_PRE_AUTH);
	assert_string_equal(f.code, "a b/");
	assert_string_equal(f.tx_code, "123456");
	assert_int_equal(oid4vci_form_parse("tx_code=1&tx_code=2", 19, &f, &err), OK_EINPUT);
	assert_string_equal(err.field, "tx_code");
	assert_int_equal(oid4vci_form_parse("tx_code=%0", 10, &f, &err), OK_EINPUT);
	assert_int_equal(oid4vci_form_parse("tx_code=%00", 11, &f, &err), OK_EINPUT);
	assert_int_equal(oid4vci_form_parse("tx_code", 7, &f, &err), OK_EINPUT);
	assert_int_equal(oid4vci_form_parse("tx_code=", 8, &f, &err), OK_EINPUT);
	assert_int_equal(
	        oid4vci_form_parse("tx_code=1234567890123456789012345678901234", 42, &f, &err),
	        OK_EINPUT);
}

/* clang-format off */
#define VCI_TESTS(setup)                                                          \
	{                                                                         \
	        cmocka_unit_test(form_parser),                                    \
	        cmocka_unit_test_setup_teardown(offer_expires, setup, teardown),  \
	        cmocka_unit_test_setup_teardown(token_expires, setup, teardown),  \
	        cmocka_unit_test_setup_teardown(nonce_once_and_expires, setup,    \
	                                        teardown),                        \
	        cmocka_unit_test_setup_teardown(pin_tries_burn_in_one_statement,  \
	                                        setup, teardown),                 \
	}
/* clang-format on */

int main(void)
{
	const struct CMUnitTest on_sqlite[] = VCI_TESTS(setup);
	const struct CMUnitTest on_pg[] = VCI_TESTS(setup_pg);
	int failed = cmocka_run_group_tests_name("oid4vci on SQLite", on_sqlite, NULL, NULL);

	if (pg_test_base())
		failed += cmocka_run_group_tests_name("oid4vci on PostgreSQL", on_pg, NULL, NULL);
	else
		printf("oid4vci on PostgreSQL: skipped (OORKONDE_TEST_PG is not set)\n");
	return failed;
}
