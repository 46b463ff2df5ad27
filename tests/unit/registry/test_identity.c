/* Unit tests of src/registry/identity.c and the store's identity area: a correction changes only
 * the fields given, keeps the values before and after sealed in a history (in order, opened
 * again, re-sealed by a data-key rotation), is one audit event naming fields only, refuses bad
 * values and a registrar without a record for the learner exactly as an unknown id, and changes
 * nothing when the values are the learner's already. */
#include "registry_test.h"

#include "registry/identity.h"
#include "registry/rotation.h"
#include "store/identity.h"

#define NID "123456782"

static const char csv[] = REG_CSV_HEADER
        "R1," NID ",Anna,de Vries,2000-01-02,course,Databases,,,5,8,NL 1-10,2021-01-15,nl\n";

static int setup_on(void **state, bool pg)
{
	struct reg_fixture *f;

	if (pg ? reg_setup_pg(state) : reg_setup(state))
		return -1;
	f = *state;
	reg_add_institution(f, "99XX");
	reg_import_expect(f, csv, 1, 0, 0, 0);
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

static void learner_id(struct reg_fixture *f, char out[STORE_ID_MAX + 1])
{
	struct ok_error err;

	if (registry_learner_find_id(&f->d, NID, out, &err))
		fail_msg("find: %s", err.message);
}

static void read_back(struct reg_fixture *f, struct learner_view *v)
{
	struct ok_error err;

	if (registry_learner_read(&f->d, NID, NULL, "test", "test", v, &err))
		fail_msg("read: %s", err.message);
}

struct collected {
	size_t n;
	struct identity_change_view v[4];
};

static int collect(void *ctx, const struct identity_change_view *v)
{
	struct collected *c = ctx;

	if (c->n < 4)
		c->v[c->n] = *v;
	c->n++;
	return 0;
}

static void collect_history(struct reg_fixture *f, const char *id, struct collected *c)
{
	struct ok_error err;

	memset(c, 0, sizeof(*c));
	if (registry_identity_history(&f->d, id, collect, c, &err))
		fail_msg("history: %s", err.message);
}

static void corrects_given_fields_and_keeps_history(void **state)
{
	struct reg_fixture *f = *state;
	struct identity_fields in = {"Anne Marie", NULL, "2000-01-03"};
	struct identity_outcome out;
	struct learner_view v;
	struct collected c;
	struct ok_error err;
	char id[STORE_ID_MAX + 1];

	learner_id(f, id);
	assert_int_equal(registry_identity_correct(&f->d, id, "21PB", &in, "institution:21PB/key:k",
	                                           "correction", &out, &err),
	                 0);
	assert_true(out.changed);
	assert_string_equal(out.fields, "given_names,birth_date");
	read_back(f, &v);
	assert_string_equal(v.data.given_names, "Anne Marie");
	assert_string_equal(v.data.family_name, "de Vries");
	assert_string_equal(v.data.birth_date, "2000-01-03");
	assert_string_equal(v.data.national_id, NID);

	/* The operator, a second time. */
	in = (struct identity_fields){NULL, "Jansen", NULL};
	assert_int_equal(registry_identity_correct(&f->d, id, NULL, &in, "operator", "correction",
	                                           &out, &err),
	                 0);
	assert_string_equal(out.fields, "family_name");
	collect_history(f, id, &c);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.v[0].before.given_names, "Anna");
	assert_string_equal(c.v[0].after.given_names, "Anne Marie");
	assert_string_equal(c.v[0].before.birth_date, "2000-01-02");
	assert_string_equal(c.v[0].after.birth_date, "2000-01-03");
	assert_string_equal(c.v[0].actor, "institution:21PB/key:k");
	assert_string_equal(c.v[0].purpose, "correction");
	assert_string_equal(c.v[1].before.family_name, "de Vries");
	assert_string_equal(c.v[1].after.family_name, "Jansen");
	assert_string_equal(c.v[1].actor, "operator");
	assert_string_equal(c.v[1].before.national_id, "");

	/* One audit event each, naming fields and never values; nothing in clear at rest. */
	assert_int_equal(reg_sql_int(f, "SELECT count(*) FROM audit_event WHERE action = "
	                                "'learner.correct' AND purpose = 'correction'"),
	                 2);
	assert_int_equal(reg_sql_int(f, "SELECT count(*) FROM audit_event WHERE action = "
	                                "'learner.correct' AND (detail LIKE '%Anne%' OR detail "
	                                "LIKE '%Jansen%' OR detail LIKE '%2000%')"),
	                 0);
	reg_fixture_reopen(f);
	assert_false(reg_file_contains(f->db, "Anne Marie"));
	assert_false(reg_file_contains(f->db, "de Vries"));
	assert_false(reg_file_contains(f->db, "2000-01-02"));

	/* The same values again: no change, no history, no event. */
	assert_int_equal(registry_identity_correct(&f->d, id, NULL, &in, "operator", "correction",
	                                           &out, &err),
	                 0);
	assert_false(out.changed);
	assert_string_equal(out.fields, "");
	collect_history(f, id, &c);
	assert_int_equal(c.n, 2);
	assert_int_equal(reg_sql_int(f, "SELECT count(*) FROM audit_event WHERE action = "
	                                "'learner.correct'"),
	                 2);
}

static void expect_refused(struct reg_fixture *f, const char *id, const char *institution,
                           struct identity_fields in, int code, const char *field)
{
	struct identity_outcome out;
	struct ok_error err;
	int rc;

	ok_error_clear(&err);
	rc = registry_identity_correct(&f->d, id, institution, &in, "test", "correction", &out,
	                               &err);
	if (rc != code || (field && strcmp(err.field, field) != 0))
		fail_msg("expected %d %s, got %d %s: %s", code, field ? field : "", rc, err.field,
		         err.message);
	assert_false(out.changed);
}

static void refusals_change_nothing(void **state)
{
	struct reg_fixture *f = *state;
	struct learner_view v;
	struct collected c;
	char id[STORE_ID_MAX + 1];

	learner_id(f, id);
	expect_refused(f, id, NULL, (struct identity_fields){NULL, NULL, NULL}, OK_EINPUT,
	               "given_names");
	expect_refused(f, id, NULL, (struct identity_fields){NULL, "", NULL}, OK_EINPUT,
	               "family_name");
	expect_refused(f, id, NULL, (struct identity_fields){NULL, NULL, "2000-02-30"}, OK_EINPUT,
	               "birth_date");
	expect_refused(f, id, NULL, (struct identity_fields){NULL, NULL, "2999-01-01"}, OK_EINPUT,
	               "birth_date");
	/* Not before the learner's earliest award (2021-01-15). */
	expect_refused(f, id, NULL, (struct identity_fields){NULL, NULL, "2021-01-15"}, OK_EINPUT,
	               "birth_date");
	expect_refused(f, id, NULL, (struct identity_fields){"A\x01", NULL, NULL}, OK_EINPUT,
	               "given_names");
	/* No such learner; a learner with no record at 99XX is none to it, whatever is sent. */
	expect_refused(f, "nobody", NULL, (struct identity_fields){NULL, "X", NULL}, OK_ENOTFOUND,
	               NULL);
	expect_refused(f, id, "99XX", (struct identity_fields){NULL, "X", NULL}, OK_ENOTFOUND,
	               NULL);
	expect_refused(f, id, "99XX", (struct identity_fields){NULL, "", NULL}, OK_ENOTFOUND, NULL);
	read_back(f, &v);
	assert_string_equal(v.data.given_names, "Anna");
	assert_string_equal(v.data.family_name, "de Vries");
	assert_string_equal(v.data.birth_date, "2000-01-02");
	collect_history(f, id, &c);
	assert_int_equal(c.n, 0);
}

static void at_institution_answers_as_unknown(void **state)
{
	struct reg_fixture *f = *state;
	struct ok_error a, b;
	char id[STORE_ID_MAX + 1];

	learner_id(f, id);
	assert_int_equal(registry_learner_at_institution(&f->d, id, "21PB", &a), 0);
	assert_int_equal(registry_learner_at_institution(&f->d, id, "99XX", &a), OK_ENOTFOUND);
	assert_int_equal(
	        registry_learner_at_institution(&f->d, "000000000000000000000000", "99XX", &b),
	        OK_ENOTFOUND);
	assert_string_equal(a.message, b.message);
	assert_int_equal(registry_learner_at_institution(&f->d, id, "", &b), OK_ENOTFOUND);
	assert_string_equal(a.message, b.message);
}

static void rotation_reseals_the_history(void **state)
{
	struct reg_fixture *f = *state;
	struct identity_fields in = {"Anne", NULL, NULL};
	struct keys_rotate_options o = {.batch = 1};
	struct identity_outcome out;
	struct keys_progress p;
	struct collected c;
	struct ok_error err;
	char id[STORE_ID_MAX + 1];

	learner_id(f, id);
	assert_int_equal(registry_identity_correct(&f->d, id, NULL, &in, "operator", "correction",
	                                           &out, &err),
	                 0);
	if (registry_keys_rotate_data(&f->d, &o, &p, &err))
		fail_msg("rotate: %s", err.message);
	assert_true(p.finished);
	assert_int_equal(reg_sql_int(f, "SELECT count(*) FROM identity_change WHERE key_id = 2"),
	                 1);
	reg_fixture_reopen(f);
	assert_int_equal(f->d.data_keys.count, 1);
	collect_history(f, id, &c);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.v[0].before.given_names, "Anna");
	assert_string_equal(c.v[0].after.given_names, "Anne");
}

/* The same tests with the records in SQLite and in PostgreSQL. */
/* clang-format off */
#define IDENTITY_TESTS(setup)                                                                    \
	{                                                                                        \
	        cmocka_unit_test_setup_teardown(corrects_given_fields_and_keeps_history, setup,  \
	                                        reg_teardown),                                   \
	        cmocka_unit_test_setup_teardown(refusals_change_nothing, setup, reg_teardown),   \
	        cmocka_unit_test_setup_teardown(at_institution_answers_as_unknown, setup,        \
	                                        reg_teardown),                                   \
	        cmocka_unit_test_setup_teardown(rotation_reseals_the_history, setup,             \
	                                        reg_teardown),                                   \
	}
/* clang-format on */

int main(void)
{
	const struct CMUnitTest on_sqlite[] = IDENTITY_TESTS(setup);
	const struct CMUnitTest on_pg[] = IDENTITY_TESTS(setup_pg);
	int failed = cmocka_run_group_tests_name("identity on SQLite", on_sqlite, NULL, NULL);

	if (pg_test_base())
		failed += cmocka_run_group_tests_name("identity on PostgreSQL", on_pg, NULL, NULL);
	else
		printf("identity on PostgreSQL: skipped (OORKONDE_TEST_PG is not set)\n");
	return failed;
}
