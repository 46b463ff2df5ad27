/* Unit tests for the store's rate-limit area (store/ratelimit.h) over SQLite and, when
 * OORKONDE_TEST_PG names a cluster, over PostgreSQL (pg_test.h): additions from two connections
 * (two servers) add up per scope, client and minute; past minutes are pruned; on PostgreSQL a
 * count goes in while another connection holds a write transaction (no writer lock). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "store/ratelimit.h"
#include "store/store.h"

#include "store_fixture.h"

static int setup(void **state)
{
	return (*state = store_fixture_new(false, "ratelimit")) ? 0 : -1;
}

static int setup_pg(void **state)
{
	return (*state = store_fixture_new(true, "ratelimit")) ? 0 : -1;
}

static int teardown(void **state)
{
	return store_fixture_teardown(state);
}

static const unsigned char CLIENT_A[STORE_HASH_BYTES] = {1, 2, 3};
static const unsigned char CLIENT_B[STORE_HASH_BYTES] = {9, 8, 7};

static int64_t add(struct store *s, const char *scope, const unsigned char *client, int64_t minute,
                   int64_t n)
{
	struct ok_error err;
	int64_t total = -1;

	assert_int_equal(store_ratelimit_add(s, scope, client, minute, n, &total, &err), 0);
	return total;
}

static void two_servers_add_up(void **state)
{
	struct store_fixture *f = *state;
	struct store *other;
	struct ok_error err;

	assert_int_equal(store_open(&other, f->url, false, &err), 0);
	assert_int_equal(add(f->s, "address", CLIENT_A, 100, 3), 3);
	assert_int_equal(add(other, "address", CLIENT_A, 100, 4), 7);
	assert_int_equal(add(f->s, "address", CLIENT_A, 100, 1), 8);
	/* Another client, limit or minute counts apart. */
	assert_int_equal(add(other, "address", CLIENT_B, 100, 2), 2);
	assert_int_equal(add(other, "session", CLIENT_A, 100, 5), 5);
	assert_int_equal(add(f->s, "address", CLIENT_A, 101, 1), 1);
	store_close(other);
}

static void past_minutes_are_pruned(void **state)
{
	struct store_fixture *f = *state;
	struct ok_error err;

	add(f->s, "address", CLIENT_A, 100, 5);
	add(f->s, "address", CLIENT_A, 101, 6);
	add(f->s, "session", CLIENT_B, 99, 7);
	assert_int_equal(store_ratelimit_prune(f->s, 101, &err), 0);
	/* Minute 100 is gone (counting starts again), 101 kept. */
	assert_int_equal(add(f->s, "address", CLIENT_A, 100, 1), 1);
	assert_int_equal(add(f->s, "address", CLIENT_A, 101, 1), 7);
	assert_int_equal(add(f->s, "session", CLIENT_B, 99, 1), 1);
}

/* PostgreSQL: a server counting does not wait for another's write transaction (which holds the
 * database-wide writer lock until it commits). */
static void counting_does_not_wait_for_writers(void **state)
{
	struct store_fixture *f = *state;
	struct store *other;
	struct ok_error err;

	assert_int_equal(store_open(&other, f->url, false, &err), 0);
	assert_int_equal(store_begin(other, &err), 0);
	assert_int_equal(store_meta_set(other, "test.writer", "held", &err), 0);
	assert_int_equal(add(f->s, "address", CLIENT_A, 100, 2), 2);
	assert_int_equal(store_commit(other, &err), 0);
	store_close(other);
}

/* clang-format off */
#define RATELIMIT_TESTS(setup)                                                            \
	cmocka_unit_test_setup_teardown(two_servers_add_up, setup, teardown),             \
	cmocka_unit_test_setup_teardown(past_minutes_are_pruned, setup, teardown)
/* clang-format on */

int main(void)
{
	const struct CMUnitTest on_sqlite[] = {RATELIMIT_TESTS(setup)};
	const struct CMUnitTest on_pg[] = {
	        RATELIMIT_TESTS(setup_pg),
	        cmocka_unit_test_setup_teardown(counting_does_not_wait_for_writers, setup_pg,
	                                        teardown),
	};
	int failed =
	        cmocka_run_group_tests_name("rate-limit counts on SQLite", on_sqlite, NULL, NULL);

	if (pg_test_base())
		failed += cmocka_run_group_tests_name("rate-limit counts on PostgreSQL", on_pg,
		                                      NULL, NULL);
	else
		printf("rate-limit counts on PostgreSQL: skipped (OORKONDE_TEST_PG is not set)\n");
	return failed;
}
