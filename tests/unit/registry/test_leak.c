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

/* ---- identity conflicts met by imports (attack-insider F1) ---- */

#define CONFLICT_ROW_REGISTERED \
	"R1,987654329,Anna,de Vries,1999-03-04,exam,Rekenen 3F,,,,,,2020-05-05,\n"

/* Imports for institution with key (NULL: the operator) n rows of the learner registered by
 * CONFLICT_ROW_REGISTERED with other birth dates (n == 0: that row itself, as another record). */
static int import_probes(struct reg_fixture *f, const char *institution,
                         const struct store_api_key *key, bool hide, size_t n, bool dry_run,
                         struct reg_rejects *rejects, struct import_report *r, struct ok_error *err)
{
	struct import_options o;
	struct csv_memory_source src;
	struct buf csv;
	char row[160];
	size_t i;
	int rc;

	buf_init(&csv, 0);
	assert_int_equal(buf_add(&csv, REG_CSV_HEADER, strlen(REG_CSV_HEADER)), 0);
	if (n == 0)
		assert_int_equal(
		        buf_add(&csv,
		                "X1,987654329,Anna,de Vries,1999-03-04,exam,Eng,,,,,,"
		                "2020-05-05,\n",
		                strlen("X1,987654329,Anna,de Vries,1999-03-04,exam,Eng,,,,,,"
		                       "2020-05-05,\n")),
		        0);
	for (i = 0; i < n; i++) {
		snprintf(
		        row, sizeof(row),
		        "P%zu,987654329,Anna,de Vries,%04zu-%02zu-01,exam,Probe,,,,,,2020-05-05,\n",
		        i, 1950 + i / 12, 1 + i % 12);
		assert_int_equal(buf_add(&csv, row, strlen(row)), 0);
	}
	memset(&o, 0, sizeof(o));
	o.institution = institution;
	o.actor = key ? "institution:22XX/key:k" : "operator";
	o.key = key;
	o.hide_identity_columns = hide;
	o.dry_run = dry_run;
	if (rejects) {
		memset(rejects, 0, sizeof(*rejects));
		o.on_reject = reg_on_reject;
		o.ctx = rejects;
	}
	src = (struct csv_memory_source){csv.data, csv.len, 0};
	ok_error_clear(err);
	rc = registry_import_csv(&f->d, &o, "t.csv", csv_read_memory, &src, r, err);
	buf_release(&csv);
	return rc;
}

static void conflict_setup(struct reg_fixture *f)
{
	reg_import_expect(f, REG_CSV_HEADER CONFLICT_ROW_REGISTERED, 1, 0, 0, 0);
	reg_add_institution(f, "22XX");
}

static void a_dry_runs_conflicts_are_audited_and_counted(void **state)
{
	struct reg_fixture *f = *state;
	char text[API_KEY_TEXT_MAX + 1], sql[200];
	struct store_api_key k;
	struct reg_rejects rej;
	struct import_report r;
	struct ok_error err;

	conflict_setup(f);
	new_key(f, "22XX", &k, text);
	assert_int_equal(import_probes(f, "22XX", &k, false, 3, true, &rej, &r, &err), 0);
	assert_int_equal(r.rejected, 3);
	assert_int_equal(r.conflicts, 3);
	assert_false(r.stored);
	assert_false(r.key_blocked);
	/* Another institution's learner: the column is not named. */
	assert_string_equal(rej.fields[0], "national_id");
	/* The events survive the dry run's rollback, one per row, the learner their subject. */
	assert_int_equal(events(f, "learner.conflict"), 3);
	assert_int_equal(events(f, "import.batch"), 1); /* conflict_setup's, not the dry run's */
	assert_int_equal(reg_sql_int(f, "SELECT count(DISTINCT subject) FROM audit_event WHERE "
	                                "action = 'learner.conflict' AND actor = "
	                                "'institution:22XX/key:k'"),
	                 1);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM key_read WHERE key_id = '%s/conflicts'",
	         k.id);
	assert_int_equal(reg_sql_int(f, sql), 3);
	/* ... and not under the learner's id (an erasure would not find them). */
	assert_int_equal(reg_sql_int(f, "SELECT count(*) FROM key_read WHERE learner_id IN "
	                                "(SELECT id FROM learner)"),
	                 0);
}

static void past_the_conflict_limit_the_key_is_blocked(void **state)
{
	struct reg_fixture *f = *state;
	char text[API_KEY_TEXT_MAX + 1];
	struct store_api_key k, checked;
	struct import_report r;
	struct ok_error err;

	conflict_setup(f);
	new_key(f, "22XX", &k, text);
	assert_int_equal(
	        import_probes(f, "22XX", &k, false, LEAK_CONFLICTS - 2, true, NULL, &r, &err), 0);
	assert_false(r.key_blocked);
	assert_int_equal(import_probes(f, "22XX", &k, false, 2, true, NULL, &r, &err), 0);
	assert_false(r.key_blocked);
	/* One more than a registrar's typos: blocked, as a key copying the register is. */
	assert_int_equal(import_probes(f, "22XX", &k, false, 1, true, NULL, &r, &err), OK_ELIMIT);
	assert_true(r.key_blocked);
	assert_non_null(strstr(err.message, "blocked"));
	assert_int_equal(registry_apikey_check(&f->d, text, &checked, &err), OK_ELIMIT);
	assert_int_equal(events(f, "key.blocked"), 1);
	assert_int_equal(reg_sql_int(f,
	                             "SELECT count(*) FROM audit_event WHERE action = "
	                             "'key.blocked' AND detail LIKE '% conflicts=51 limit=50 %'"),
	                 1);
	assert_int_equal(events(f, "learner.conflict"), LEAK_CONFLICTS + 1);
	/* The operator lifts the block: a fresh window for the conflicts too. */
	assert_int_equal(leak_unblock(&f->d, k.id, &err), 0);
	assert_int_equal(import_probes(f, "22XX", &k, false, 1, true, NULL, &r, &err), 0);
	/* A lower read limit lowers the conflict limit with it. */
	set_limit(f, "22XX", 2, 3600);
	assert_int_equal(import_probes(f, "22XX", &k, false, 1, true, NULL, &r, &err), 0);
	assert_int_equal(import_probes(f, "22XX", &k, false, 1, true, NULL, &r, &err), OK_ELIMIT);
}

static void one_import_with_too_many_conflicts_is_refused_whole(void **state)
{
	struct reg_fixture *f = *state;
	char text[API_KEY_TEXT_MAX + 1];
	struct store_api_key k;
	struct reg_rejects rej;
	struct import_report r;
	struct ok_error err;

	conflict_setup(f);
	new_key(f, "22XX", &k, text);
	set_limit(f, "22XX", 10000, 3600);
	assert_int_equal(import_probes(f, "22XX", &k, false, 150, true, &rej, &r, &err), OK_ELIMIT);
	assert_false(r.stored);
	assert_true(r.key_blocked);
	/* Stopped at the 101st conflict; every one met audited, the first 100 by learner. */
	assert_int_equal(r.conflicts, LEAK_CONFLICTS_PER_IMPORT + 1);
	assert_int_equal(events(f, "learner.conflict"), LEAK_CONFLICTS_PER_IMPORT);
	assert_int_equal(events(f, "import.conflicts"), 1);
	/* The operator's import is audited, never refused or blocked. */
	assert_int_equal(import_probes(f, "22XX", NULL, false, 150, true, NULL, &r, &err), 0);
	assert_int_equal(r.rejected, 150);
	assert_false(r.key_blocked);
	assert_int_equal(events(f, "learner.conflict"), 2 * LEAK_CONFLICTS_PER_IMPORT);
	assert_int_equal(reg_sql_int(f, "SELECT count(*) FROM audit_event WHERE action = "
	                                "'import.conflicts' AND detail = 'institution=22XX "
	                                "conflicts=150' AND actor = 'operator'"),
	                 1);
}

static void honest_rows_of_anothers_learner_count_nothing(void **state)
{
	struct reg_fixture *f = *state;
	char text[API_KEY_TEXT_MAX + 1], sql[200];
	struct store_api_key k;
	struct import_report r;
	struct ok_error err;
	int i;

	conflict_setup(f);
	new_key(f, "22XX", &k, text);
	set_limit(f, "22XX", 1, 3600);
	/* A first-year known from another institution's diploma: dry runs, then the upload. */
	for (i = 0; i < 3; i++) {
		assert_int_equal(import_probes(f, "22XX", &k, false, 0, true, NULL, &r, &err), 0);
		assert_int_equal(r.added, 1);
	}
	assert_int_equal(import_probes(f, "22XX", &k, false, 0, false, NULL, &r, &err), 0);
	assert_int_equal(r.added, 1);
	assert_true(r.stored);
	assert_int_equal(r.conflicts, 0);
	assert_int_equal(events(f, "learner.conflict"), 0);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM key_read WHERE key_id LIKE '%s%%'", k.id);
	assert_int_equal(reg_sql_int(f, sql), 0);
}

static void a_key_without_read_is_not_told_the_column(void **state)
{
	struct reg_fixture *f = *state;
	char text[API_KEY_TEXT_MAX + 1];
	struct store_api_key k;
	struct reg_rejects rej;
	struct import_report r;
	struct ok_error err;

	conflict_setup(f);
	/* 21PB's own learner: the column is named, unless the key may not read. */
	new_key(f, "21PB", &k, text);
	assert_int_equal(import_probes(f, "21PB", &k, false, 1, true, &rej, &r, &err), 0);
	assert_string_equal(rej.fields[0], "birth_date");
	assert_int_equal(import_probes(f, "21PB", &k, true, 1, true, &rej, &r, &err), 0);
	assert_string_equal(rej.fields[0], "national_id");
	assert_null(strstr(rej.messages[0], "birth_date"));
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
	        cmocka_unit_test_setup_teardown(a_dry_runs_conflicts_are_audited_and_counted,    \
	                                        setup, reg_teardown),                            \
	        cmocka_unit_test_setup_teardown(past_the_conflict_limit_the_key_is_blocked,      \
	                                        setup, reg_teardown),                            \
	        cmocka_unit_test_setup_teardown(                                                 \
	                one_import_with_too_many_conflicts_is_refused_whole, setup,              \
	                reg_teardown),                                                           \
	        cmocka_unit_test_setup_teardown(honest_rows_of_anothers_learner_count_nothing,   \
	                                        setup, reg_teardown),                            \
	        cmocka_unit_test_setup_teardown(a_key_without_read_is_not_told_the_column,       \
	                                        setup, reg_teardown),                            \
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
