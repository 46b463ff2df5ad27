/* Unit tests for the store's leak-detection area (store/leak.h) over SQLite and, when
 * OORKONDE_TEST_PG names a cluster, over PostgreSQL (pg_test.h): each key's sliding window of
 * learners read, pruning, blocked keys and read limits, across reopening and across two
 * connections to one database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "store/leak.h"
#include "store/store.h"

#include "store_fixture.h"

static int setup(void **state)
{
	return (*state = store_fixture_new(false, "leak")) ? 0 : -1;
}

static int setup_pg(void **state)
{
	return (*state = store_fixture_new(true, "leak")) ? 0 : -1;
}

static int teardown(void **state)
{
	return store_fixture_teardown(state);
}

static void put(struct store *s, const char *key, const char *learner, int64_t at_ms)
{
	struct ok_error err;

	assert_int_equal(store_begin(s, &err), 0);
	if (store_read_put(s, key, learner, at_ms, &err) != 0)
		fail_msg("read_put: %s", err.message);
	assert_int_equal(store_commit(s, &err), 0);
}

/* The number of distinct learners key read after since, and whether learner is one. */
static int64_t window(struct store *s, const char *key, const char *learner, int64_t since,
                      bool *seen)
{
	struct ok_error err;
	int64_t n = -1;
	bool dummy;

	if (store_read_window(s, key, learner, since, &n, seen ? seen : &dummy, &err) != 0)
		fail_msg("read_window: %s", err.message);
	return n;
}

static void window_counts_distinct_learners_after_a_time(void **state)
{
	struct store_fixture *f = *state;
	bool seen;

	assert_int_equal(window(f->s, "K1", "L1", 0, &seen), 0);
	assert_false(seen);
	put(f->s, "K1", "L1", 1000);
	put(f->s, "K1", "L2", 2000);
	put(f->s, "K1", "L1", 3000); /* a second read of L1: still one learner, now later */
	assert_int_equal(window(f->s, "K1", "L1", 0, &seen), 2);
	assert_true(seen);
	assert_int_equal(window(f->s, "K1", "L3", 0, &seen), 2);
	assert_false(seen);
	/* L1's earlier read left the window, its later one did not. */
	assert_int_equal(window(f->s, "K1", "L1", 1500, &seen), 2);
	assert_true(seen);
	assert_int_equal(window(f->s, "K1", "L2", 2500, &seen), 1);
	assert_false(seen);
	/* The window is open at its start: a read at exactly since is outside. */
	assert_int_equal(window(f->s, "K1", "L1", 3000, &seen), 0);
	assert_false(seen);
}

static void a_read_keeps_the_latest_time(void **state)
{
	struct store_fixture *f = *state;

	put(f->s, "K1", "L1", 5000);
	put(f->s, "K1", "L1", 4000); /* arrives late (another thread): 5000 stays */
	assert_int_equal(window(f->s, "K1", "L1", 4500, NULL), 1);
}

static void windows_are_per_key(void **state)
{
	struct store_fixture *f = *state;
	bool seen;

	put(f->s, "K1", "L1", 1000);
	put(f->s, "K1", "L2", 1000);
	put(f->s, "K2", "L1", 1000);
	assert_int_equal(window(f->s, "K1", "L9", 0, NULL), 2);
	assert_int_equal(window(f->s, "K2", "L2", 0, &seen), 1);
	assert_false(seen);
	assert_int_equal(window(f->s, "K3", "L1", 0, &seen), 0);
	assert_false(seen);
}

static void prune_and_clear_touch_one_key(void **state)
{
	struct store_fixture *f = *state;
	struct ok_error err;

	put(f->s, "K1", "L1", 1000);
	put(f->s, "K1", "L2", 2000);
	put(f->s, "K1", "L3", 3000);
	put(f->s, "K2", "L1", 1000);
	assert_int_equal(store_begin(f->s, &err), 0);
	assert_int_equal(store_read_prune(f->s, "K1", 2000, &err), 0);
	assert_int_equal(store_commit(f->s, &err), 0);
	/* Pruned rows are gone even from a window that would reach back to them. */
	assert_int_equal(window(f->s, "K1", "L1", 0, NULL), 1);
	assert_int_equal(window(f->s, "K2", "L1", 0, NULL), 1);
	assert_int_equal(store_begin(f->s, &err), 0);
	assert_int_equal(store_read_clear(f->s, "K1", &err), 0);
	assert_int_equal(store_commit(f->s, &err), 0);
	assert_int_equal(window(f->s, "K1", "L3", 0, NULL), 0);
	assert_int_equal(window(f->s, "K2", "L1", 0, NULL), 1);
}

static void rolled_back_reads_are_not_counted(void **state)
{
	struct store_fixture *f = *state;
	struct ok_error err;

	assert_int_equal(store_begin(f->s, &err), 0);
	assert_int_equal(store_read_put(f->s, "K1", "L1", 1000, &err), 0);
	assert_int_equal(store_rollback(f->s), 0);
	assert_int_equal(window(f->s, "K1", "L1", 0, NULL), 0);
}

static void block(struct store *s, const char *key, const char *inst, int64_t at)
{
	struct store_key_block b = {0};
	struct ok_error err;
	int rc;

	snprintf(b.key_id, sizeof(b.key_id), "%s", key);
	snprintf(b.institution, sizeof(b.institution), "%s", inst);
	b.blocked_ms = at;
	b.learners = 1000;
	b.window_s = 3600;
	assert_int_equal(store_begin(s, &err), 0);
	rc = store_block_put(s, &b, &err);
	if (rc)
		store_rollback(s);
	else
		assert_int_equal(store_commit(s, &err), 0);
	assert_int_equal(rc, 0);
}

struct listed {
	size_t n;
	char keys[4][STORE_ID_MAX + 1];
};

static int list_one(void *ctx, const struct store_key_block *b)
{
	struct listed *l = ctx;

	if (l->n < 4)
		snprintf(l->keys[l->n], sizeof(l->keys[0]), "%s", b->key_id);
	l->n++;
	return 0;
}

static void blocks_are_kept_listed_and_removed(void **state)
{
	struct store_fixture *f = *state;
	struct store_key_block b;
	struct listed l = {0};
	struct ok_error err;
	int64_t n = -1;

	assert_int_equal(store_block_get(f->s, "K1", &b, &err), OK_ENOTFOUND);
	assert_int_equal(store_block_count(f->s, &n, &err), 0);
	assert_int_equal(n, 0);
	block(f->s, "K2", "25BE", 2000);
	block(f->s, "K1", "21PB", 1000);
	assert_int_equal(store_block_get(f->s, "K1", &b, &err), 0);
	assert_string_equal(b.key_id, "K1");
	assert_string_equal(b.institution, "21PB");
	assert_int_equal(b.blocked_ms, 1000);
	assert_int_equal(b.learners, 1000);
	assert_int_equal(b.window_s, 3600);
	assert_int_equal(store_block_count(f->s, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_block_list(f->s, list_one, &l, &err), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.keys[0], "K1"); /* oldest first */
	assert_string_equal(l.keys[1], "K2");
	/* Blocked twice: refused, the first block stays. */
	assert_int_equal(store_begin(f->s, &err), 0);
	b.blocked_ms = 9999;
	assert_int_equal(store_block_put(f->s, &b, &err), OK_EEXIST);
	store_rollback(f->s);
	assert_int_equal(store_block_get(f->s, "K1", &b, &err), 0);
	assert_int_equal(b.blocked_ms, 1000);
	assert_int_equal(store_begin(f->s, &err), 0);
	assert_int_equal(store_block_remove(f->s, "K1", &err), 0);
	assert_int_equal(store_block_remove(f->s, "K1", &err), OK_ENOTFOUND);
	assert_int_equal(store_commit(f->s, &err), 0);
	assert_int_equal(store_block_get(f->s, "K1", &b, &err), OK_ENOTFOUND);
	assert_int_equal(store_block_count(f->s, &n, &err), 0);
	assert_int_equal(n, 1);
}

static void limits_per_institution(void **state)
{
	struct store_fixture *f = *state;
	struct store_institution i = {.code = "21PB", .name = "Test", .country = "NL"};
	struct ok_error err;
	int64_t learners = -1, window_s = -1;

	assert_int_equal(store_institution_add(f->s, &i, &err), 0);
	assert_int_equal(store_limit_get(f->s, "21PB", &learners, &window_s, &err), OK_ENOTFOUND);
	assert_int_equal(store_begin(f->s, &err), 0);
	assert_int_equal(store_limit_put(f->s, "21PB", 50, 600, &err), 0);
	assert_int_equal(store_limit_put(f->s, "21PB", 20, 60, &err), 0); /* replaces */
	assert_int_equal(store_commit(f->s, &err), 0);
	/* Only a known institution has a limit (the failed write is rolled back, as store.h
	 * asks: PostgreSQL cannot commit the rest of its transaction). */
	assert_int_equal(store_begin(f->s, &err), 0);
	assert_int_not_equal(store_limit_put(f->s, "99XX", 5, 60, &err), 0);
	assert_int_equal(store_rollback(f->s), 0);
	assert_int_equal(store_limit_get(f->s, "21PB", &learners, &window_s, &err), 0);
	assert_int_equal(learners, 20);
	assert_int_equal(window_s, 60);
	assert_int_equal(store_limit_get(f->s, "99XX", &learners, &window_s, &err), OK_ENOTFOUND);
}

static void kept_across_reopening_and_seen_by_another_connection(void **state)
{
	struct store_fixture *f = *state;
	struct store *other;
	struct store_key_block b;
	struct ok_error err;

	assert_int_equal(store_open(&other, f->url, false, &err), 0);
	put(f->s, "K1", "L1", 1000);
	put(other, "K1", "L2", 1000); /* another thread's connection */
	assert_int_equal(window(other, "K1", "L1", 0, NULL), 2);
	assert_int_equal(window(f->s, "K1", "L2", 0, NULL), 2);
	block(other, "K1", "21PB", 5000);
	assert_int_equal(store_block_get(f->s, "K1", &b, &err), 0);
	store_close(other);
	store_close(f->s);
	f->s = NULL;
	assert_int_equal(store_open(&f->s, f->url, false, &err), 0);
	assert_int_equal(window(f->s, "K1", "L3", 0, NULL), 2);
	assert_int_equal(store_block_get(f->s, "K1", &b, &err), 0);
	assert_int_equal(b.blocked_ms, 5000);
}

/* The same tests for each back end. */
/* clang-format off */
#define LEAK_TESTS(setup)                                                                      \
	{                                                                                      \
	        cmocka_unit_test_setup_teardown(window_counts_distinct_learners_after_a_time,  \
	                                        setup, teardown),                              \
	        cmocka_unit_test_setup_teardown(a_read_keeps_the_latest_time, setup, teardown), \
	        cmocka_unit_test_setup_teardown(windows_are_per_key, setup, teardown),          \
	        cmocka_unit_test_setup_teardown(prune_and_clear_touch_one_key, setup, teardown), \
	        cmocka_unit_test_setup_teardown(rolled_back_reads_are_not_counted, setup,       \
	                                        teardown),                                     \
	        cmocka_unit_test_setup_teardown(blocks_are_kept_listed_and_removed, setup,      \
	                                        teardown),                                     \
	        cmocka_unit_test_setup_teardown(limits_per_institution, setup, teardown),       \
	        cmocka_unit_test_setup_teardown(                                               \
	                kept_across_reopening_and_seen_by_another_connection, setup, teardown), \
	}
/* clang-format on */

int main(void)
{
	const struct CMUnitTest on_sqlite[] = LEAK_TESTS(setup);
	const struct CMUnitTest on_pg[] = LEAK_TESTS(setup_pg);
	int failed = cmocka_run_group_tests_name("leak detection on SQLite", on_sqlite, NULL, NULL);

	if (pg_test_base())
		failed += cmocka_run_group_tests_name("leak detection on PostgreSQL", on_pg, NULL,
		                                      NULL);
	else
		printf("leak detection on PostgreSQL: skipped (OORKONDE_TEST_PG is not set)\n");
	return failed;
}
