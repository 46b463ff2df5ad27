/* Unit tests of the store's retention area (store/retention.h), run once over SQLite and once
 * over PostgreSQL when OORKONDE_TEST_PG names a cluster: due counts and listings that leave held
 * records out, holds released once, destruction with what hangs on a record, learners left
 * without records, and the open run found again. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "store/portal.h"
#include "store/retention.h"
#include "store/store.h"
#include "store/vci.h"
#include "store_fixture.h"

#define OK(call)                                                       \
	do {                                                           \
		struct ok_error e_;                                    \
		int rc_ = (call);                                      \
		if (rc_ != 0)                                          \
			fail_msg("%s: %d %s", #call, rc_, e_.message); \
	} while (0)

static void learner(struct store *s, const char *id, int n)
{
	struct store_learner l;

	store_learner_init(&l);
	snprintf(l.id, sizeof(l.id), "%s", id);
	memset(l.nid_index, 0x10 + n, sizeof(l.nid_index));
	memset(l.digest, 0x20 + n, sizeof(l.digest));
	assert_int_equal(buf_add(&l.national_id, "sealed", 6), 0);
	assert_int_equal(buf_add(&l.given_names, "sealed", 6), 0);
	assert_int_equal(buf_add(&l.family_name, "sealed", 6), 0);
	assert_int_equal(buf_add(&l.birth_date, "sealed", 6), 0);
	l.key_id = 1;
	l.created_ms = l.updated_ms = 1000;
	OK(store_learner_put(s, &l, false, &e_));
	store_learner_release(&l);
}

static void achievement(struct store *s, const char *id, const char *learner_id, const char *kind,
                        const char *awarded_on, int slot)
{
	struct store_achievement a;

	memset(&a, 0, sizeof(a));
	snprintf(a.id, sizeof(a.id), "%s", id);
	snprintf(a.learner_id, sizeof(a.learner_id), "%s", learner_id);
	snprintf(a.institution, sizeof(a.institution), "21PB");
	snprintf(a.record_id, sizeof(a.record_id), "rec-%s", id);
	snprintf(a.kind, sizeof(a.kind), "%s", kind);
	snprintf(a.awarded_on, sizeof(a.awarded_on), "%s", awarded_on);
	snprintf(a.status, sizeof(a.status), "active");
	a.status_list = 1;
	a.status_index = slot;
	a.version = 1;
	OK(store_achievement_put(s, &a, false, "operator", "", &e_));
}

static int setup_on(void **state, bool pg)
{
	struct store_fixture *f = store_fixture_new(pg, "retention");
	struct store_institution i = {"21PB", "Hogeschool Test", "NL", "", ""};

	if (!f)
		return -1;
	OK(store_institution_add(f->s, &i, &e_));
	learner(f->s, "learner-1", 1);
	learner(f->s, "learner-2", 2);
	achievement(f->s, "a1", "learner-1", "course", "2010-01-01", 1);
	achievement(f->s, "a2", "learner-1", "diploma", "2010-06-30", 2);
	achievement(f->s, "a3", "learner-2", "exam", "2011-03-01", 3);
	achievement(f->s, "a4", "learner-2", "course", "2024-02-01", 4);
	*state = f;
	return 0;
}

static int setup_sqlite(void **state)
{
	return setup_on(state, false);
}

static int setup_pg(void **state)
{
	return setup_on(state, true);
}

static int teardown(void **state)
{
	return store_fixture_teardown(state);
}

static int collect(void *ctx, const char *id)
{
	char *out = ctx;

	strcat(out, id);
	strcat(out, " ");
	return 0;
}

static void counts(struct store *s, int64_t want_due, int64_t want_held)
{
	int64_t due, held, next_ms;
	char next[11];

	OK(store_retention_count(s, RETENTION_RESULT, RETENTION_AWARD, 0, "2016-12-06", &due, &held,
	                         &next_ms, next, &e_));
	assert_int_equal(due, want_due);
	assert_int_equal(held, want_held);
	assert_string_equal(next, "2024-02-01");
}

static void holds_keep_results_out(void **state)
{
	struct store_fixture *f = *state;
	struct store_hold h = {0};
	char ids[256] = "";
	struct ok_error err;

	counts(f->s, 2, 0); /* a1 and a3; the diploma is no result */
	snprintf(h.id, sizeof(h.id), "hold-1");
	snprintf(h.scope, sizeof(h.scope), "learner");
	snprintf(h.target, sizeof(h.target), "learner-1");
	snprintf(h.reason, sizeof(h.reason), "case 1");
	snprintf(h.created_by, sizeof(h.created_by), "operator");
	h.created_ms = 5;
	OK(store_hold_add(f->s, &h, &e_));
	counts(f->s, 1, 1);
	OK(store_retention_results_due(f->s, RETENTION_AWARD, "2016-12-06", 10, collect, ids, &e_));
	assert_string_equal(ids, "a3 ");

	OK(store_hold_release(f->s, "hold-1", "operator", 6, &e_));
	assert_int_equal(store_hold_release(f->s, "hold-1", "operator", 7, &err), OK_ECONFLICT);
	assert_int_equal(store_hold_release(f->s, "hold-2", "operator", 7, &err), OK_ENOTFOUND);
	counts(f->s, 2, 0);
	/* An institution's hold covers all of its records. */
	snprintf(h.id, sizeof(h.id), "hold-2");
	snprintf(h.scope, sizeof(h.scope), "institution");
	snprintf(h.target, sizeof(h.target), "21PB");
	OK(store_hold_add(f->s, &h, &e_));
	counts(f->s, 0, 2);
	OK(store_hold_get(f->s, "hold-1", &h, &e_));
	assert_int_equal(h.released_ms, 6);
}

static void destruction_and_orphans(void **state)
{
	struct store_fixture *f = *state;
	struct store_achievement a;
	struct store_learner l;
	struct store_share sh;
	char ids[256] = "";
	struct ok_error err;
	int64_t n;

	memset(&sh, 0, sizeof(sh));
	snprintf(sh.id, sizeof(sh.id), "share-1");
	memset(sh.token_hash, 0x31, sizeof(sh.token_hash));
	snprintf(sh.learner_id, sizeof(sh.learner_id), "learner-2");
	snprintf(sh.achievements, sizeof(sh.achievements), "a4");
	sh.created_ms = 10;
	sh.expires_ms = 20;
	OK(store_begin(f->s, &e_));
	OK(store_share_put(f->s, &sh, &e_));
	OK(store_share_use(f->s, "share-1", 15, &e_));
	OK(store_retention_result_destroy(f->s, "a3", &e_));
	assert_int_equal(store_retention_result_destroy(f->s, "a3", &err), OK_ENOTFOUND);
	assert_int_equal(store_achievement_get(f->s, "a3", &a, &err), OK_ENOTFOUND);
	OK(store_retention_orphans(f->s, 10, collect, ids, &e_));
	assert_string_equal(ids, ""); /* learner-2 still has a4 */
	/* A share is due once its expiry lies on or before the cutoff (taken with its opening). */
	OK(store_retention_sweep(f->s, RETENTION_SHARE, RETENTION_EXPIRY, 19, "", 10, &n, &e_));
	assert_int_equal(n, 0);
	OK(store_retention_sweep(f->s, RETENTION_SHARE, RETENTION_EXPIRY, 20, "", 10, &n, &e_));
	assert_int_equal(n, 1);
	OK(store_retention_result_destroy(f->s, "a4", &e_));
	OK(store_retention_orphans(f->s, 10, collect, ids, &e_));
	assert_string_equal(ids, "learner-2 ");
	OK(store_retention_learner_destroy(f->s, "learner-2", &e_));
	OK(store_commit(f->s, &e_));
	store_learner_init(&l);
	assert_int_equal(store_learner_get(f->s, "learner-2", &l, &err), OK_ENOTFOUND);
	store_learner_release(&l);
	OK(store_achievement_get(f->s, "a2", &a, &e_)); /* the diploma stays */
}

static void open_run(void **state)
{
	struct store_fixture *f = *state;
	struct store_retention_run *r = calloc(1, sizeof(*r)), *back = calloc(1, sizeof(*back));
	struct ok_error err;

	assert_non_null(r);
	assert_non_null(back);
	assert_int_equal(store_retention_run_open(f->s, back, &err), OK_ENOTFOUND);
	snprintf(r->id, sizeof(r->id), "run-1");
	snprintf(r->actor, sizeof(r->actor), "operator");
	snprintf(r->schedule, sizeof(r->schedule), "{}");
	snprintf(r->counts, sizeof(r->counts), "{\"result\":1}");
	r->started_ms = r->now_ms = 50;
	OK(store_retention_run_put(f->s, r, &e_));
	OK(store_retention_run_open(f->s, back, &e_));
	assert_string_equal(back->id, "run-1");
	assert_string_equal(back->counts, "{\"result\":1}");
	r->finished_ms = 60;
	snprintf(r->certificate, sizeof(r->certificate), "{\"type\":\"x\"}");
	OK(store_retention_run_put(f->s, r, &e_)); /* replaced by id */
	assert_int_equal(store_retention_run_open(f->s, back, &err), OK_ENOTFOUND);
	free(r);
	free(back);
}

/* learner_age: one learner's results (not the diploma), the held ones counted apart. */
static void records_of_one_learner(void **state)
{
	struct store_fixture *f = *state;
	struct store_hold h = {0};
	char ids[256] = "";
	int64_t due, held;
	struct ok_error err;

	OK(store_retention_of_learner(f->s, RETENTION_RESULT, "learner-2", 10, &due, &held, collect,
	                              ids, &e_));
	assert_int_equal(due, 2);
	assert_int_equal(held, 0);
	assert_string_equal(ids, "a3 a4 ");
	ids[0] = '\0';
	OK(store_retention_of_learner(f->s, RETENTION_RESULT, "learner-1", 1, &due, &held, collect,
	                              ids, &e_));
	assert_int_equal(due, 1);
	assert_string_equal(ids, "a1 ");
	snprintf(h.id, sizeof(h.id), "hold-a3");
	snprintf(h.scope, sizeof(h.scope), "achievement");
	snprintf(h.target, sizeof(h.target), "a3");
	snprintf(h.reason, sizeof(h.reason), "appeal");
	snprintf(h.created_by, sizeof(h.created_by), "operator");
	OK(store_hold_add(f->s, &h, &e_));
	ids[0] = '\0';
	OK(store_retention_of_learner(f->s, RETENTION_RESULT, "learner-2", 10, &due, &held, collect,
	                              ids, &e_));
	assert_int_equal(due, 1);
	assert_int_equal(held, 1);
	assert_string_equal(ids, "a4 ");
	OK(store_retention_of_learner(f->s, RETENTION_FOREIGN, "learner-2", 0, &due, &held, NULL,
	                              NULL, &e_));
	assert_int_equal(due + held, 0);
	assert_int_equal(store_retention_of_learner(f->s, RETENTION_SHARE, "learner-2", 0, &due,
	                                            &held, NULL, NULL, &err),
	                 OK_EUNSUPPORTED);
	/* A released hold goes with the record it named. */
	OK(store_hold_release(f->s, "hold-a3", "operator", 9, &e_));
	OK(store_retention_result_destroy(f->s, "a3", &e_));
	assert_int_equal(store_hold_get(f->s, "hold-a3", &h, &err), OK_ENOTFOUND);
}

/* Wallet offers: due after their expiry, taken with their access tokens, and with the learner.
 */
static void wallet_offers(void **state)
{
	struct store_fixture *f = *state;
	struct store_vci_offer o;
	struct store_vci_token t;
	int64_t due, held, next_ms, n;
	char next[11];
	struct ok_error err;

	for (int i = 0; i < 2; i++) {
		memset(&o, 0, sizeof(o));
		snprintf(o.id, sizeof(o.id), "offer-%d", i);
		memset(o.offer_hash, 0x40 + i, sizeof(o.offer_hash));
		memset(o.code_hash, 0x50 + i, sizeof(o.code_hash));
		snprintf(o.learner_id, sizeof(o.learner_id), "learner-%d", i + 1);
		snprintf(o.achievements, sizeof(o.achievements), "a1");
		snprintf(o.vct, sizeof(o.vct), "own");
		snprintf(o.created_by, sizeof(o.created_by), "operator");
		o.created_ms = 10;
		o.expires_ms = 20 + i;
		OK(store_vci_offer_put(f->s, &o, &e_));
		memset(&t, 0, sizeof(t));
		memset(t.token_hash, 0x60 + i, sizeof(t.token_hash));
		snprintf(t.offer_id, sizeof(t.offer_id), "offer-%d", i);
		t.created_ms = 11;
		t.expires_ms = 12;
		OK(store_vci_token_put(f->s, &t, &e_));
	}
	OK(store_retention_count(f->s, RETENTION_WALLET_OFFER, RETENTION_EXPIRY, 20, "", &due,
	                         &held, &next_ms, next, &e_));
	assert_int_equal(due, 1);
	assert_int_equal(next_ms, 21);
	OK(store_begin(f->s, &e_));
	OK(store_retention_sweep(f->s, RETENTION_WALLET_OFFER, RETENTION_EXPIRY, 20, "", 10, &n,
	                         &e_));
	assert_int_equal(n, 1);
	OK(store_commit(f->s, &e_));
	assert_int_equal(store_vci_offer_get(f->s, "offer-0", &o, &err), OK_ENOTFOUND);
	memset(t.token_hash, 0x60, sizeof(t.token_hash));
	assert_int_equal(store_vci_token_find(f->s, t.token_hash, &t, &err), OK_ENOTFOUND);
	/* learner-2's offer goes with learner-2. */
	OK(store_begin(f->s, &e_));
	OK(store_retention_result_destroy(f->s, "a3", &e_));
	OK(store_retention_result_destroy(f->s, "a4", &e_));
	OK(store_retention_learner_destroy(f->s, "learner-2", &e_));
	OK(store_commit(f->s, &e_));
	assert_int_equal(store_vci_offer_get(f->s, "offer-1", &o, &err), OK_ENOTFOUND);
	memset(t.token_hash, 0x61, sizeof(t.token_hash));
	assert_int_equal(store_vci_token_find(f->s, t.token_hash, &t, &err), OK_ENOTFOUND);
}

/* A destroyed result's id leaves every share that lists it, whichever learner's (a record
 * moved by a re-registration stays in its first learner's shares): a stand-in takes its place,
 * in any position of the list, and an id that merely contains it ("a1" in "a10") stays. */
static void share_stand_in(void **state)
{
	static const struct {
		const char *id, *learner, *list, *after;
	} cases[] = {
	        {"share-a", "learner-1", "a1", "x1"},
	        {"share-b", "learner-1", "a2,a1", "a2,x1"},
	        {"share-c", "learner-1", "a1,a2", "x1,a2"},
	        {"share-d", "learner-1", "a2,a1,a10", "a2,x1,a10"},
	        {"share-e", "learner-1", "a10,a2", "a10,a2"},
	        {"share-f", "learner-2", "a1", "x1"}, /* the record's earlier learner's */
	};
	struct store_fixture *f = *state;
	struct store_share sh;
	size_t i;
	int64_t n = -1;

	OK(store_begin(f->s, &e_));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&sh, 0, sizeof(sh));
		snprintf(sh.id, sizeof(sh.id), "%s", cases[i].id);
		memset(sh.token_hash, 0x40 + (int)i, sizeof(sh.token_hash));
		snprintf(sh.learner_id, sizeof(sh.learner_id), "%s", cases[i].learner);
		snprintf(sh.achievements, sizeof(sh.achievements), "%s", cases[i].list);
		sh.created_ms = 10;
		sh.expires_ms = 20;
		OK(store_share_put(f->s, &sh, &e_));
	}
	OK(store_retention_share_stand_in(f->s, "a1", "x1", &n, &e_));
	assert_int_equal(n, 5);
	OK(store_retention_share_stand_in(f->s, "a1", "x2", &n, &e_));
	assert_int_equal(n, 0);
	OK(store_commit(f->s, &e_));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		OK(store_share_get(f->s, cases[i].id, &sh, &e_));
		assert_string_equal(sh.achievements, cases[i].after);
	}
}

#define RETENTION_TESTS(setup)                                                                     \
	{                                                                                          \
		cmocka_unit_test_setup_teardown(holds_keep_results_out, setup, teardown),          \
		        cmocka_unit_test_setup_teardown(destruction_and_orphans, setup, teardown), \
		        cmocka_unit_test_setup_teardown(open_run, setup, teardown),                \
		        cmocka_unit_test_setup_teardown(records_of_one_learner, setup, teardown),  \
		        cmocka_unit_test_setup_teardown(wallet_offers, setup, teardown),           \
		        cmocka_unit_test_setup_teardown(share_stand_in, setup, teardown),          \
	}

int main(void)
{
	const struct CMUnitTest on_sqlite[] = RETENTION_TESTS(setup_sqlite);
	const struct CMUnitTest on_pg[] = RETENTION_TESTS(setup_pg);
	int failed = cmocka_run_group_tests_name("retention on SQLite", on_sqlite, NULL, NULL);

	if (pg_test_base())
		failed += cmocka_run_group_tests_name("retention on PostgreSQL", on_pg, NULL, NULL);
	else
		printf("retention on PostgreSQL: skipped (OORKONDE_TEST_PG is not set)\n");
	return failed;
}
