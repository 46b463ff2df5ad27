/* Unit tests for the demo dataset: three institutions, valid generated data, and seeding twice
 * changes nothing. */
#include "registry_test.h"

#include "registry/demo.h"

static bool passes_eleven_test(const char *nid)
{
	int sum = 0, i;

	if (strlen(nid) != 9)
		return false;
	for (i = 0; i < 8; i++)
		sum += (nid[i] - '0') * (9 - i);
	sum -= nid[8] - '0';
	return sum % 11 == 0;
}

static void national_ids_are_deterministic_and_pass_the_eleven_test(void **state)
{
	char a[10], b[10];
	size_t n;

	(void)state;
	for (n = 0; n < 500; n++) {
		registry_demo_national_id(n, a);
		registry_demo_national_id(n, b);
		assert_string_equal(a, b);
		if (!passes_eleven_test(a))
			fail_msg("learner %zu: %s fails the 11-test", n, a);
		/* And the importer's own check agrees: every demo learner can be registered. */
		assert_true(model_bsn_valid(a));
		assert_int_not_equal(a[0], '0');
	}
	registry_demo_national_id(1, b);
	registry_demo_national_id(2, a);
	assert_string_not_equal(a, b);
}

static void seeding_twice_changes_nothing(void **state)
{
	struct reg_fixture *f = *state;
	struct demo_result first, second;
	struct ok_error err;
	long long events, history;
	size_t k;

	if (registry_demo_seed(&f->d, 40, &first, &err) != 0)
		fail_msg("demo: %s", err.message);
	assert_int_equal(first.report.rejected, 0);
	assert_true(first.report.added > 40);
	assert_int_equal(first.report.updated, 0);
	assert_int_equal(first.report.unchanged, 0);
	assert_int_equal(first.report.learners_added, 40);
	for (k = 0; k < DEMO_INSTITUTIONS; k++) {
		assert_true(first.institutions[k].created);
		assert_int_equal(strncmp(first.institutions[k].key, "ok_", 3), 0);
	}
	assert_string_equal(first.institutions[0].code, "21PB");
	assert_int_equal(reg_sql_int(f, "SELECT count(*) FROM institution"), 3);
	assert_int_equal(reg_sql_int(f, "SELECT count(*) FROM achievement"),
	                 (long long)first.report.added);
	assert_int_equal(reg_sql_int(f, "SELECT count(*) FROM learner"), 40);
	events = reg_sql_int(f, "SELECT count(*) FROM audit_event");
	history = reg_sql_int(f, "SELECT count(*) FROM achievement_history");

	if (registry_demo_seed(&f->d, 40, &second, &err) != 0)
		fail_msg("demo again: %s", err.message);
	assert_int_equal(second.report.added, 0);
	assert_int_equal(second.report.updated, 0);
	assert_int_equal(second.report.rejected, 0);
	assert_int_equal(second.report.learners_added, 0);
	assert_int_equal(second.report.unchanged, first.report.added);
	for (k = 0; k < DEMO_INSTITUTIONS; k++) {
		assert_false(second.institutions[k].created);
		assert_string_equal(second.institutions[k].key, "");
		assert_string_equal(second.institutions[k].code, first.institutions[k].code);
	}
	assert_int_equal(reg_sql_int(f, "SELECT count(*) FROM achievement"),
	                 (long long)first.report.added);
	assert_int_equal(reg_sql_int(f, "SELECT count(*) FROM achievement_history"), history);
	assert_int_equal(reg_sql_int(f, "SELECT count(*) FROM api_key"), 3);
	/* Only the batch events: no learner was written. */
	assert_int_equal(reg_sql_int(f, "SELECT count(*) FROM audit_event WHERE action = "
	                                "'learner.write'"),
	                 40);
	assert_true(reg_sql_int(f, "SELECT count(*) FROM audit_event") - events <= 3);
}

static void more_learners_later_adds_only_them(void **state)
{
	struct reg_fixture *f = *state;
	struct demo_result r;
	struct ok_error err;
	struct learner_view v;
	char nid[10];

	assert_int_equal(registry_demo_seed(&f->d, 10, &r, &err), 0);
	assert_int_equal(registry_demo_seed(&f->d, 15, &r, &err), 0);
	assert_int_equal(r.report.learners_added, 5);
	assert_true(r.report.added > 0);
	assert_true(r.report.unchanged > 0);
	assert_int_equal(r.report.updated, 0);
	assert_int_equal(reg_sql_int(f, "SELECT count(*) FROM learner"), 15);
	/* Demo learners are found by their national id. */
	registry_demo_national_id(12, nid);
	assert_int_equal(registry_learner_read(&f->d, nid, NULL, "operator", "test", &v, &err), 0);
	assert_string_equal(v.data.national_id, nid);
	assert_true(v.data.family_name[0] != '\0');
	assert_true(strcmp(v.data.birth_date, "1995-01-01") >= 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(national_ids_are_deterministic_and_pass_the_eleven_test),
	        cmocka_unit_test_setup_teardown(seeding_twice_changes_nothing, reg_setup_bare,
	                                        reg_teardown),
	        cmocka_unit_test_setup_teardown(more_learners_later_adds_only_them, reg_setup_bare,
	                                        reg_teardown),
	};
	return cmocka_run_group_tests_name("registry/demo", tests, NULL, NULL);
}
