/* Unit tests for leak detection (registry/leak.h): limits per institution, counting distinct
 * learners in a sliding window, blocking past the limit (audited, refused by the key check),
 * unblocking, and one count across two connections (as the server's threads have). */
#include "registry/leak.h"
#include "registry_test.h"

#define MINUTE_MS 60000

static long long events(struct reg_fixture *f, const char *action)
{
	char sql[160];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM audit_event WHERE action = '%s'", action);
	return reg_sql_int(f, sql);
}

/* A new key of institution code, checked back into *k. */
static void new_key(struct reg_fixture *f, const char *code, struct store_api_key *k,
                    char text[API_KEY_TEXT_MAX + 1])
{
	struct ok_error err;

	if (registry_apikey_add(&f->d, code, "register,read", text, &err) != 0)
		fail_msg("registry_apikey_add: %s", err.message);
	if (registry_apikey_check(&f->d, text, k, &err) != 0)
		fail_msg("registry_apikey_check: %s", err.message);
}

static void set_limit(struct reg_fixture *f, const char *code, int64_t learners, int64_t window_s)
{
	struct ok_error err;

	if (leak_limit_set(&f->d, code, learners, window_s, &err) != 0)
		fail_msg("leak_limit_set: %s", err.message);
}

/* Notes a read and returns the code; r gets the outcome. */
static int note(struct depository *d, const struct store_api_key *k, const char *learner,
                int64_t at_ms, struct leak_read *r)
{
	struct ok_error err;

	ok_error_clear(&err);
	return leak_note_read(d, k, learner, at_ms, r, &err);
}

static void limits_default_and_per_institution(void **state)
{
	struct reg_fixture *f = *state;
	struct leak_limit l;
	struct ok_error err;

	assert_int_equal(leak_limit_get(&f->d, "21PB", &l, &err), 0);
	assert_int_equal(l.learners, 1000);
	assert_int_equal(l.window_s, 3600);
	assert_true(l.is_default);
	set_limit(f, "21PB", 5, 60);
	assert_int_equal(leak_limit_get(&f->d, "21PB", &l, &err), 0);
	assert_int_equal(l.learners, 5);
	assert_int_equal(l.window_s, 60);
	assert_false(l.is_default);
	assert_int_equal(events(f, "institution.read-limit"), 1);
	/* Bad values name their field; an unknown institution is not found. */
	assert_int_equal(leak_limit_set(&f->d, "21PB", 0, 60, &err), OK_EINPUT);
	assert_string_equal(err.field, "learners");
	assert_int_equal(leak_limit_set(&f->d, "21PB", 5, 0, &err), OK_EINPUT);
	assert_string_equal(err.field, "window");
	assert_int_equal(leak_limit_set(&f->d, "21PB", 5, LEAK_MAX_WINDOW_S + 1, &err), OK_EINPUT);
	assert_int_equal(leak_limit_set(&f->d, "99XX", 5, 60, &err), OK_ENOTFOUND);
	assert_string_equal(err.field, "institution");
	assert_int_equal(leak_limit_get(&f->d, "21PB", &l, &err), 0);
	assert_int_equal(l.learners, 5);
}

static void past_the_limit_the_key_is_blocked(void **state)
{
	struct reg_fixture *f = *state;
	char text[API_KEY_TEXT_MAX + 1], other_text[API_KEY_TEXT_MAX + 1];
	struct store_api_key k, other, checked;
	struct store_key_block b;
	struct leak_read r;
	struct ok_error err;
	int64_t blocked = -1;

	new_key(f, "21PB", &k, text);
	new_key(f, "21PB", &other, other_text);
	set_limit(f, "21PB", 3, 3600);
	assert_int_equal(note(&f->d, &k, "L1", 1000, &r), 0);
	assert_int_equal(r.learners, 1);
	assert_int_equal(note(&f->d, &k, "L2", 2000, &r), 0);
	assert_int_equal(note(&f->d, &k, "L3", 3000, &r), 0);
	assert_int_equal(r.learners, 3);
	/* A learner read before costs nothing, however often. */
	assert_int_equal(note(&f->d, &k, "L1", 4000, &r), 0);
	assert_int_equal(note(&f->d, &k, "L2", 4000, &r), 0);
	assert_int_equal(r.learners, 3);
	assert_false(r.blocked_now);
	assert_int_equal(events(f, "key.blocked"), 0);
	/* The fourth learner: refused and blocked. */
	ok_error_clear(&err);
	assert_int_equal(leak_note_read(&f->d, &k, "L4", 5000, &r, &err), OK_ELIMIT);
	assert_true(r.blocked_now);
	assert_int_equal(r.learners, 3);
	assert_non_null(strstr(err.message, "blocked"));
	assert_int_equal(events(f, "key.blocked"), 1);
	assert_int_equal(reg_sql_int(f, "SELECT count(*) FROM audit_event WHERE action = "
	                                "'key.blocked' AND purpose = 'security' AND detail LIKE "
	                                "'institution=21PB learners=3 limit=3 window_s=3600'"),
	                 1);
	assert_int_equal(leak_block_get(&f->d, k.id, &b, &err), 0);
	assert_string_equal(b.institution, "21PB");
	assert_int_equal(b.blocked_ms, 5000);
	assert_int_equal(leak_blocked_count(&f->d, &blocked, &err), 0);
	assert_int_equal(blocked, 1);
	/* Every later use is refused: any learner, and the key check itself. */
	assert_int_equal(note(&f->d, &k, "L1", 6000, &r), OK_EAUTH);
	assert_false(r.blocked_now);
	assert_int_equal(events(f, "key.blocked"), 1);
	assert_int_equal(registry_apikey_check(&f->d, text, &checked, &err), OK_ELIMIT);
	assert_non_null(strstr(err.message, k.id));
	/* Another key of the same institution has its own count. */
	assert_int_equal(registry_apikey_check(&f->d, other_text, &checked, &err), 0);
	assert_int_equal(note(&f->d, &other, "L4", 7000, &r), 0);
	assert_int_equal(r.learners, 1);
	/* The refused read was not counted. */
	assert_int_equal(reg_sql_int(f, "SELECT count(*) FROM key_read WHERE learner_id = 'L4'"),
	                 1);
}

static void the_window_slides(void **state)
{
	struct reg_fixture *f = *state;
	char text[API_KEY_TEXT_MAX + 1];
	struct store_api_key k;
	struct leak_read r;

	new_key(f, "21PB", &k, text);
	set_limit(f, "21PB", 2, 60);
	assert_int_equal(note(&f->d, &k, "L1", 0, &r), 0);
	assert_int_equal(note(&f->d, &k, "L2", 10000, &r), 0);
	/* A minute after L1's read, L1 has left the window: room for one more. */
	assert_int_equal(note(&f->d, &k, "L3", MINUTE_MS, &r), 0);
	assert_int_equal(r.learners, 2);
	/* Reading L2 again keeps it in the window past its first minute. */
	assert_int_equal(note(&f->d, &k, "L2", MINUTE_MS + 5000, &r), 0);
	assert_int_equal(note(&f->d, &k, "L4", MINUTE_MS + 15000, &r), OK_ELIMIT);
	assert_true(r.blocked_now);
	/* Old reads are pruned, not kept for ever. */
	assert_int_equal(reg_sql_int(f, "SELECT count(*) FROM key_read WHERE learner_id = 'L1'"),
	                 0);
}

static void unblocking_restores_the_key_with_a_fresh_window(void **state)
{
	struct reg_fixture *f = *state;
	char text[API_KEY_TEXT_MAX + 1];
	struct store_api_key k, checked;
	struct leak_read r;
	struct ok_error err;

	new_key(f, "21PB", &k, text);
	set_limit(f, "21PB", 1, 3600);
	assert_int_equal(note(&f->d, &k, "L1", 1000, &r), 0);
	assert_int_equal(note(&f->d, &k, "L2", 2000, &r), OK_ELIMIT);
	assert_int_equal(leak_unblock(&f->d, k.id, &err), 0);
	assert_int_equal(events(f, "key.unblock"), 1);
	assert_int_equal(registry_apikey_check(&f->d, text, &checked, &err), 0);
	assert_string_equal(checked.id, k.id);
	assert_int_equal(note(&f->d, &k, "L2", 3000, &r), 0);
	assert_int_equal(r.learners, 1);
	/* Not blocked (any more), or not a key id at all. */
	assert_int_equal(leak_unblock(&f->d, k.id, &err), OK_ENOTFOUND);
	assert_string_equal(err.field, "key");
	assert_int_equal(leak_unblock(&f->d, "no such key", &err), OK_EINPUT);
	assert_int_equal(leak_unblock(&f->d, "", &err), OK_EINPUT);
	assert_int_equal(events(f, "key.unblock"), 1);
}

static void one_count_across_connections(void **state)
{
	struct reg_fixture *f = *state;
	char text[API_KEY_TEXT_MAX + 1];
	struct store_api_key k;
	struct depository second;
	struct leak_read r;
	struct ok_error err;

	new_key(f, "21PB", &k, text);
	set_limit(f, "21PB", 3, 3600);
	if (depository_open(&second, f->dir, &err) != 0)
		fail_msg("depository_open: %s", err.message);
	assert_int_equal(note(&f->d, &k, "L1", 1000, &r), 0);
	assert_int_equal(note(&second, &k, "L2", 1100, &r), 0);
	assert_int_equal(r.learners, 2);
	assert_int_equal(note(&f->d, &k, "L3", 1200, &r), 0);
	assert_int_equal(r.learners, 3);
	assert_int_equal(note(&second, &k, "L4", 1300, &r), OK_ELIMIT);
	assert_int_equal(note(&f->d, &k, "L1", 1400, &r), OK_EAUTH);
	depository_close(&second);
	/* And across a restart. */
	reg_fixture_reopen(f);
	assert_int_equal(registry_apikey_check(&f->d, text, &k, &err), OK_ELIMIT);
}

/* What `institution read-limit CODE` shows: the default, the institution's own, or none. */
static void an_institutions_limit_by_its_code(void **state)
{
	struct reg_fixture *f = *state;
	struct leak_limit l;
	struct ok_error err;

	ok_error_clear(&err);
	assert_int_equal(leak_institution_limit(&f->d, "21PB", &l, &err), 0);
	assert_true(l.is_default);
	assert_int_equal(l.learners, LEAK_DEFAULT_LEARNERS);
	assert_int_equal(l.window_s, LEAK_DEFAULT_WINDOW_S);
	set_limit(f, "21PB", 25, 600);
	assert_int_equal(leak_institution_limit(&f->d, "21PB", &l, &err), 0);
	assert_false(l.is_default);
	assert_int_equal(l.learners, 25);
	assert_int_equal(l.window_s, 600);
	/* An unknown code is not given the default as if it existed. */
	assert_int_equal(leak_institution_limit(&f->d, "99XX", &l, &err), OK_ENOTFOUND);
	assert_string_equal(err.field, "institution");
	assert_string_equal(err.message, "unknown institution 99XX");
	assert_int_equal(leak_institution_limit(&f->d, "21pb", &l, &err), OK_ENOTFOUND);
}

/* The same tests with the records in SQLite and in PostgreSQL. */
/* clang-format off */
#define LEAK_TESTS(setup)                                                                        \
	{                                                                                        \
	        cmocka_unit_test_setup_teardown(limits_default_and_per_institution, setup,       \
	                                        reg_teardown),                                   \
	        cmocka_unit_test_setup_teardown(past_the_limit_the_key_is_blocked, setup,        \
	                                        reg_teardown),                                   \
	        cmocka_unit_test_setup_teardown(the_window_slides, setup, reg_teardown),         \
	        cmocka_unit_test_setup_teardown(unblocking_restores_the_key_with_a_fresh_window, \
	                                        setup, reg_teardown),                            \
	        cmocka_unit_test_setup_teardown(one_count_across_connections, setup,             \
	                                        reg_teardown),                                   \
	        cmocka_unit_test_setup_teardown(an_institutions_limit_by_its_code, setup,        \
	                                        reg_teardown),                                   \
	}
/* clang-format on */

int main(void)
{
	const struct CMUnitTest on_sqlite[] = LEAK_TESTS(reg_setup);
	const struct CMUnitTest on_pg[] = LEAK_TESTS(reg_setup_pg);
	int failed = cmocka_run_group_tests_name("leak detection on SQLite", on_sqlite, NULL, NULL);

	if (pg_test_base())
		failed += cmocka_run_group_tests_name("leak detection on PostgreSQL", on_pg, NULL,
		                                      NULL);
	else
		printf("leak detection on PostgreSQL: skipped (OORKONDE_TEST_PG is not set)\n");
	return failed;
}
