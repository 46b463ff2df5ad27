/* Unit tests for the transaction-with-audit helper: a change and its events are kept together
 * or not at all, events in order after the chain head, and a caller's transaction is joined. */
#include "registry/registry_test.h"
#include "audit/txn.h"

static int64_t head_seq(struct reg_fixture *f)
{
	unsigned char h[AUDIT_HASH_BYTES];
	struct ok_error err;
	int64_t seq = -1;

	assert_int_equal(store_audit_head(f->d.store, &seq, h, &err), 0);
	return seq;
}

static void commits_change_and_events_on_success(void **state)
{
	struct reg_fixture *f = *state;
	struct audit_txn t;
	struct ok_error err;
	int64_t before = head_seq(f);

	assert_int_equal(audit_txn_begin(&f->d, &t, &err), 0);
	assert_true(store_in_transaction(f->d.store));
	assert_int_equal(store_meta_set(f->d.store, "test.txn", "kept", &err), 0);
	assert_int_equal(audit_txn_event(&t, AUDIT_OPERATOR, "test.one", "s", "testing", "", &err),
	                 0);
	assert_int_equal(audit_txn_event(&t, AUDIT_OPERATOR, "test.two", "s", "testing", "", &err),
	                 0);
	assert_int_equal(audit_txn_end(&t, 0, &err), 0);
	assert_false(store_in_transaction(f->d.store));
	assert_int_equal(head_seq(f), before + 2);
	assert_int_equal(reg_sql_int(f, "SELECT count(*) FROM meta WHERE key = 'test.txn'"), 1);
}

static void rolls_back_change_and_events_on_failure(void **state)
{
	struct reg_fixture *f = *state;
	struct audit_txn t;
	struct ok_error err;
	int64_t before = head_seq(f);

	assert_int_equal(audit_txn_begin(&f->d, &t, &err), 0);
	assert_int_equal(store_meta_set(f->d.store, "test.txn", "gone", &err), 0);
	assert_int_equal(audit_txn_event(&t, AUDIT_OPERATOR, "test.one", "s", "testing", "", &err),
	                 0);
	/* The use case failed after its event: the failure is returned, nothing is kept. */
	assert_int_equal(audit_txn_end(&t, OK_ECONFLICT, &err), OK_ECONFLICT);
	assert_false(store_in_transaction(f->d.store));
	assert_int_equal(head_seq(f), before);
	assert_int_equal(reg_sql_int(f, "SELECT count(*) FROM meta WHERE key = 'test.txn'"), 0);
	/* A dry run likewise. */
	assert_int_equal(audit_txn_begin(&f->d, &t, &err), 0);
	assert_int_equal(audit_txn_event(&t, AUDIT_OPERATOR, "test.two", "s", "testing", "", &err),
	                 0);
	audit_txn_abort(&t);
	assert_false(store_in_transaction(f->d.store));
	assert_int_equal(head_seq(f), before);
}

static void joins_the_callers_transaction(void **state)
{
	struct reg_fixture *f = *state;
	struct audit_txn t;
	struct ok_error err;
	int64_t before = head_seq(f);

	assert_int_equal(store_begin(f->d.store, &err), 0);
	assert_int_equal(audit_txn_begin(&f->d, &t, &err), 0);
	assert_int_equal(audit_txn_event(&t, AUDIT_OPERATOR, "test.one", "s", "testing", "", &err),
	                 0);
	/* Neither commits nor rolls back what it did not begin. */
	assert_int_equal(audit_txn_end(&t, 0, &err), 0);
	assert_true(store_in_transaction(f->d.store));
	assert_int_equal(audit_record(&f->d, AUDIT_OPERATOR, "test.two", "s", "testing", "", &err),
	                 0);
	assert_true(store_in_transaction(f->d.store));
	assert_int_equal(store_rollback(f->d.store), 0);
	assert_int_equal(head_seq(f), before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(commits_change_and_events_on_success, reg_setup,
	                                        reg_teardown),
	        cmocka_unit_test_setup_teardown(rolls_back_change_and_events_on_failure, reg_setup,
	                                        reg_teardown),
	        cmocka_unit_test_setup_teardown(joins_the_callers_transaction, reg_setup,
	                                        reg_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
