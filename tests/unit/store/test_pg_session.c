/* Unit tests of the PostgreSQL store's session handling, each in a fresh database of the cluster
 * OORKONDE_TEST_PG names (pg_test.h; skipped without one): a store whose server session was
 * ended (a restart, a failover, pg_terminate_backend) reconnects at its next read or begin
 * (review F6), a session ended inside a transaction fails that transaction as "not answering",
 * and a database that refuses writes (SQLSTATE 25006, as a hot standby does)
 * answers OK_EREADONLY. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/error.h"
#include "store/store.h"
#include "pg_test.h"

struct fixture {
	char db[64];
	char conninfo[PG_TEST_CONNINFO_MAX];
	struct store *s;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct ok_error err;

	if (!f || !pg_test_db_create("ok_session", f->db, f->conninfo, sizeof(f->conninfo)))
		return -1;
	if (store_open(&f->s, f->conninfo, true, &err) != 0) {
		fprintf(stderr, "store_open: %s\n", err.message);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char sql[160];

	store_close(f->s);
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", f->db);
	pg_test_admin(sql);
	free(f);
	return 0;
}

/* Ends the store's session on the test's database from another connection, as a restart does,
 * and waits until it is gone. Only the store's own (named by its application_name): an
 * autovacuum worker or another client on the database is neither ended nor counted. */
static void end_sessions(const struct fixture *f)
{
	char sql[240];

	snprintf(sql, sizeof(sql),
	         "SELECT count(pg_terminate_backend(pid, 10000)) FROM pg_stat_activity WHERE "
	         "datname = '%s' AND application_name = 'oorkonde' AND pid <> pg_backend_pid()",
	         f->db);
	assert_int_equal(pg_test_int(pg_test_base(), sql), 1);
}

static void begin_reconnects_after_the_session_ended(void **state)
{
	struct fixture *f = *state;
	struct ok_error err;
	struct buf v;
	int i;

	buf_init(&v, 256);
	/* Three times over: each begin after an ended session works, none sees "already open". */
	for (i = 0; i < 3; i++) {
		end_sessions(f);
		ok_error_clear(&err);
		assert_int_equal(store_begin(f->s, &err), 0);
		assert_int_equal(store_meta_set(f->s, "k", i == 2 ? "two" : "one", &err), 0);
		assert_int_equal(store_commit(f->s, &err), 0);
	}
	assert_int_equal(store_meta_get(f->s, "k", &v, &err), 0);
	assert_string_equal(v.data, "two");
	buf_release(&v);
}

static void a_read_reconnects_after_the_session_ended(void **state)
{
	struct fixture *f = *state;
	struct ok_error err;
	struct buf v;

	buf_init(&v, 256);
	assert_int_equal(store_meta_set(f->s, "k", "v", &err), 0);
	end_sessions(f);
	/* The first statement after the end already works: no request fails for it. */
	ok_error_clear(&err);
	assert_int_equal(store_meta_get(f->s, "k", &v, &err), 0);
	assert_string_equal(v.data, "v");
	buf_release(&v);
}

/* A session ended inside a transaction loses the transaction: the statement fails as "not
 * answering" (HTTP 503 with Retry-After: a restart or failover is worth retrying), nothing of
 * the transaction is kept, and the next transaction works on a new session. */
static void a_session_ended_in_a_transaction_is_not_answering(void **state)
{
	struct fixture *f = *state;
	struct ok_error err;
	struct buf v;

	buf_init(&v, 256);
	assert_int_equal(store_meta_set(f->s, "k", "before", &err), 0);
	assert_int_equal(store_begin(f->s, &err), 0);
	assert_int_equal(store_meta_set(f->s, "k", "lost", &err), 0);
	end_sessions(f);
	ok_error_clear(&err);
	assert_int_equal(store_meta_set(f->s, "k", "after", &err), OK_ENOANSWER);
	assert_non_null(strstr(err.message, "lost the connection"));
	(void)store_rollback(f->s);
	assert_int_equal(store_begin(f->s, &err), 0);
	assert_int_equal(store_meta_get(f->s, "k", &v, &err), 0);
	assert_string_equal(v.data, "before");
	assert_int_equal(store_commit(f->s, &err), 0);
	buf_release(&v);
}

static void a_read_only_database_answers_readonly(void **state)
{
	struct fixture *f = *state;
	struct ok_error err;
	struct buf v;
	char sql[160];

	buf_init(&v, 256);
	assert_int_equal(store_meta_set(f->s, "k", "v", &err), 0);
	snprintf(sql, sizeof(sql), "ALTER DATABASE %s SET default_transaction_read_only = on",
	         f->db);
	assert_true(pg_test_admin(sql));
	end_sessions(f); /* the setting holds for new sessions */
	ok_error_clear(&err);
	assert_int_equal(store_meta_set(f->s, "k", "w", &err), OK_EREADONLY);
	assert_non_null(strstr(err.message, "read-only"));
	assert_int_equal(store_begin(f->s, &err), 0);
	assert_int_equal(store_meta_set(f->s, "k", "w", &err), OK_EREADONLY);
	(void)store_rollback(f->s);
	/* Reads go on; nothing was written. */
	assert_int_equal(store_meta_get(f->s, "k", &v, &err), 0);
	assert_string_equal(v.data, "v");
	buf_release(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(begin_reconnects_after_the_session_ended, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(a_read_reconnects_after_the_session_ended, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(a_session_ended_in_a_transaction_is_not_answering,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(a_read_only_database_answers_readonly, setup,
	                                        teardown),
	};

	if (!pg_test_base()) {
		printf("store/pg_session: no OORKONDE_TEST_PG cluster; skipped\n");
		return 0;
	}
	return cmocka_run_group_tests_name("store/pg_session on PostgreSQL", tests, NULL, NULL);
}
