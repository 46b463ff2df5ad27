/* Unit tests of the read snapshot (store_read_begin, store.h), over SQLite and, when
 * OORKONDE_TEST_PG names a cluster, PostgreSQL: on SQLite the reads inside one see a single
 * state while another connection commits; a write inside one starts from the newest state;
 * it is no transaction to the callers that ask; PostgreSQL reads each statement afresh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "store/store.h"

#include "pg_test.h"
#include "store_fixture.h"

static int setup_sqlite(void **state)
{
	return (*state = store_fixture_new(false, "snapshot")) ? 0 : -1;
}

static int setup_pg(void **state)
{
	return (*state = store_fixture_new(true, "snapshot")) ? 0 : -1;
}

static int teardown(void **state)
{
	return store_fixture_teardown(state);
}

/* An institution in a transaction of its own (store_fixture.h). */
static void add_institution(struct store *s, const char *code)
{
	struct ok_error err;

	assert_int_equal(store_begin(s, &err), 0);
	store_fixture_add_institution(s, code);
	assert_int_equal(store_commit(s, &err), 0);
}

static int find(struct store *s, const char *code)
{
	struct store_institution got;
	struct ok_error err;

	return store_institution_get(s, code, &got, &err);
}

static void reads_in_a_snapshot_see_one_state(void **state)
{
	struct store_fixture *f = *state;
	struct store *other = NULL;
	struct ok_error err;
	bool sqlite = strcmp(f->s->ops->name, "sqlite") == 0;

	assert_int_equal(store_open(&other, f->url, false, &err), 0);
	add_institution(f->s, "21PB");
	assert_int_equal(store_read_begin(f->s, &err), 0);
	assert_false(store_in_transaction(f->s));
	assert_int_equal(find(f->s, "21PB"), 0);
	/* Committed elsewhere meanwhile: SQLite's snapshot does not see it until it ends. */
	add_institution(other, "25BE");
	assert_int_equal(find(f->s, "25BE"), sqlite ? OK_ENOTFOUND : 0);
	assert_int_equal(store_read_begin(f->s, &err), 0); /* a second begin changes nothing */
	assert_int_equal(find(f->s, "25BE"), sqlite ? OK_ENOTFOUND : 0);
	store_read_end(f->s);
	assert_int_equal(find(f->s, "25BE"), 0);
	store_read_end(f->s); /* none open: nothing to do */
	assert_int_equal(find(f->s, "21PB"), 0);
	store_close(other);
}

static void a_write_inside_a_snapshot_starts_from_the_newest_state(void **state)
{
	struct store_fixture *f = *state;
	struct store *other = NULL;
	struct store_institution dup;
	struct ok_error err;

	assert_int_equal(store_open(&other, f->url, false, &err), 0);
	assert_int_equal(store_read_begin(f->s, &err), 0);
	assert_int_equal(find(f->s, "25BE"), OK_ENOTFOUND);
	add_institution(other, "25BE");
	/* The write's transaction sees what the other connection committed. */
	assert_int_equal(store_begin(f->s, &err), 0);
	assert_true(store_in_transaction(f->s));
	memset(&dup, 0, sizeof(dup));
	snprintf(dup.code, sizeof(dup.code), "25BE");
	snprintf(dup.name, sizeof(dup.name), "again");
	snprintf(dup.country, sizeof(dup.country), "NL");
	assert_int_equal(store_institution_add(f->s, &dup, &err), OK_EEXIST);
	assert_int_equal(store_rollback(f->s), 0);
	add_institution(f->s, "21PB");
	store_read_end(f->s);
	assert_false(store_in_transaction(f->s));
	assert_int_equal(find(other, "21PB"), 0);

	/* A snapshot inside a write transaction is the transaction's own reads. */
	assert_int_equal(store_begin(f->s, &err), 0);
	assert_int_equal(store_read_begin(f->s, &err), 0);
	assert_true(store_in_transaction(f->s));
	store_read_end(f->s);
	assert_true(store_in_transaction(f->s));
	assert_int_equal(store_rollback(f->s), 0);
	store_close(other);
}

int main(void)
{
	const struct CMUnitTest on_sqlite[] = {
	        cmocka_unit_test_setup_teardown(reads_in_a_snapshot_see_one_state, setup_sqlite,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(
	                a_write_inside_a_snapshot_starts_from_the_newest_state, setup_sqlite,
	                teardown),
	};
	const struct CMUnitTest on_pg[] = {
	        cmocka_unit_test_setup_teardown(reads_in_a_snapshot_see_one_state, setup_pg,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(
	                a_write_inside_a_snapshot_starts_from_the_newest_state, setup_pg, teardown),
	};
	int failed = cmocka_run_group_tests_name("snapshot on SQLite", on_sqlite, NULL, NULL);

	if (pg_test_base())
		failed += cmocka_run_group_tests_name("snapshot on PostgreSQL", on_pg, NULL, NULL);
	else
		printf("snapshot on PostgreSQL: skipped (OORKONDE_TEST_PG is not set)\n");
	return failed;
}
