/* Unit test for imports that are one transaction (strict, dry run): they take more rows than a
 * batch holds. Its own executable, as a failure here has corrupted memory. */
#include "registry_test.h"

static long long count(struct reg_fixture *f, const char *table)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	return reg_sql_int(f, sql);
}

/* strict and dry runs are one transaction whatever the batch size. */
static void one_transaction_imports_more_rows_than_a_batch(void **state)
{
	struct reg_fixture *f = *state;
	struct import_report r;
	struct ok_error err;
	struct buf csv;
	int i;

	buf_init(&csv, 0);
	assert_int_equal(buf_addstr(&csv, REG_CSV_HEADER), 0);
	for (i = 0; i < 40; i++)
		assert_int_equal(buf_addf(&csv,
		                          "S%d,DE2000%04d,Anna,Jansen,2001-01-01,exam,Exam %d,,,,,,"
		                          "2021-01-01,nl\n",
		                          i, i, i),
		                 0);
	assert_int_equal(reg_import(f, "21PB", csv.data, true, false, 2, NULL, &r, &err), 0);
	assert_int_equal(r.added, 40);
	assert_false(r.stored);
	assert_int_equal(count(f, "achievement"), 0);
	assert_int_equal(reg_import(f, "21PB", csv.data, false, true, 2, NULL, &r, &err), 0);
	assert_int_equal(r.added, 40);
	assert_true(r.stored);
	assert_int_equal(count(f, "achievement"), 40);
	buf_release(&csv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(one_transaction_imports_more_rows_than_a_batch,
	                                        reg_setup, reg_teardown),
	};
	return cmocka_run_group_tests_name("registry/import_one_transaction", tests, NULL, NULL);
}
