/* Unit tests of the store's verifier area (store/verifier.h), once over SQLite and once over
 * PostgreSQL when OORKONDE_TEST_PG names a cluster: a request kept and read back by id and by
 * its view hash, answered once and only before it expires, and pruned after its time. */
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
#include "store/verifier.h"

#include "pg_test.h"
#include "store_fixture.h"

static struct store_vp_request *row_new(void)
{
	struct store_vp_request *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	buf_init(&r->enc_key, STORE_VP_KEY_MAX);
	buf_init(&r->result, STORE_VP_RESULT_MAX);
	return r;
}

static void row_free(struct store_vp_request *r)
{
	buf_release(&r->enc_key);
	buf_release(&r->result);
	free(r);
}

static int setup_sqlite(void **state)
{
	return (*state = store_fixture_new(false, "verifier")) ? 0 : -1;
}

static int setup_pg(void **state)
{
	return (*state = store_fixture_new(true, "verifier")) ? 0 : -1;
}

static int teardown(void **state)
{
	return store_fixture_teardown(state);
}

static void answered_once(void **state)
{
	struct store_fixture *f = *state;
	struct store_vp_request *r = row_new(), *back = row_new();
	uint8_t other[STORE_VP_HASH_BYTES];
	struct ok_error err;

	snprintf(r->id, sizeof(r->id), "req-1");
	memset(r->view_hash, 0xab, sizeof(r->view_hash));
	snprintf(r->nonce, sizeof(r->nonce), "nonce-1");
	snprintf(r->state, sizeof(r->state), "state-1");
	snprintf(r->spec, sizeof(r->spec), "{\"dcql_query\":{}}");
	r->created_ms = 1000;
	r->expires_ms = 2000;
	r->keep_until_ms = 5000;
	r->key_id = 7;
	assert_int_equal(buf_add(&r->enc_key, "\x01\x00\x02", 3), 0);
	int64_t n = -1;

	assert_int_equal(store_vp_put(f->s, r, &err), 0);
	assert_int_equal(store_vp_count(f->s, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_vp_get(f->s, "req-1", back, &err), 0);
	assert_string_equal(back->nonce, "nonce-1");
	assert_string_equal(back->spec, "{\"dcql_query\":{}}");
	assert_int_equal(back->expires_ms, 2000);
	assert_int_equal(back->answered_ms, 0);
	assert_int_equal(back->enc_key.len, 3);
	assert_memory_equal(back->enc_key.data, "\x01\x00\x02", 3);
	assert_int_equal(back->result.len, 0);
	buf_reset(&back->enc_key);
	assert_int_equal(store_vp_find_view(f->s, r->view_hash, back, &err), 0);
	assert_string_equal(back->id, "req-1");
	memset(other, 0xac, sizeof(other));
	assert_int_equal(store_vp_find_view(f->s, other, back, &err), OK_ENOTFOUND);
	assert_int_equal(store_vp_get(f->s, "req-2", back, &err), OK_ENOTFOUND);

	/* Expired: no answer counts. */
	r->answered_ms = 2100;
	r->keep_until_ms = 9000;
	r->verified = 1;
	assert_int_equal(buf_add(&r->result, "sealed", 6), 0);
	assert_int_equal(store_vp_answer(f->s, r, 2000, &err), OK_ENOTFOUND);
	/* In time: once. */
	assert_int_equal(store_vp_answer(f->s, r, 1500, &err), 0);
	assert_int_equal(store_vp_answer(f->s, r, 1600, &err), OK_ENOTFOUND);
	buf_reset(&back->enc_key);
	assert_int_equal(store_vp_get(f->s, "req-1", back, &err), 0);
	assert_int_equal(back->answered_ms, 2100);
	assert_int_equal(back->verified, 1);
	assert_int_equal(back->keep_until_ms, 9000);
	assert_int_equal(back->result.len, 6);
	assert_memory_equal(back->result.data, "sealed", 6);

	/* Pruned after its time only. */
	assert_int_equal(store_vp_prune(f->s, 8999, &err), 0);
	buf_reset(&back->enc_key);
	buf_reset(&back->result);
	assert_int_equal(store_vp_get(f->s, "req-1", back, &err), 0);
	assert_int_equal(store_vp_prune(f->s, 9000, &err), 0);
	assert_int_equal(store_vp_get(f->s, "req-1", back, &err), OK_ENOTFOUND);
	assert_int_equal(store_vp_count(f->s, &n, &err), 0);
	assert_int_equal(n, 0);
	row_free(r);
	row_free(back);
}

/* A wallet sign-in's result is taken once: only answered, only while kept, and never twice. */
static void taken_once(void **state)
{
	struct store_fixture *f = *state;
	struct store_vp_request *r = row_new();
	struct ok_error err;

	snprintf(r->id, sizeof(r->id), "req-t");
	memset(r->view_hash, 0x11, sizeof(r->view_hash));
	snprintf(r->spec, sizeof(r->spec), "{}");
	r->created_ms = 1000;
	r->expires_ms = 2000;
	r->keep_until_ms = 5000;
	assert_int_equal(store_vp_put(f->s, r, &err), 0);
	assert_int_equal(store_vp_take(f->s, "req-t", 1500, &err), OK_ENOTFOUND); /* unanswered */
	r->answered_ms = 1600;
	r->keep_until_ms = 4000;
	assert_int_equal(store_vp_answer(f->s, r, 1600, &err), 0);
	assert_int_equal(store_vp_take(f->s, "req-t", 4000, &err), OK_ENOTFOUND); /* past its time */
	assert_int_equal(store_vp_take(f->s, "req-other", 1700, &err), OK_ENOTFOUND);
	assert_int_equal(store_vp_take(f->s, "req-t", 1700, &err), 0);
	assert_int_equal(store_vp_take(f->s, "req-t", 1700, &err), OK_ENOTFOUND);
	assert_int_equal(store_vp_get(f->s, "req-t", r, &err), OK_ENOTFOUND);
	row_free(r);
}

int main(void)
{
	const struct CMUnitTest on_sqlite[] = {
	        cmocka_unit_test_setup_teardown(answered_once, setup_sqlite, teardown),
	        cmocka_unit_test_setup_teardown(taken_once, setup_sqlite, teardown),
	};
	const struct CMUnitTest on_pg[] = {
	        cmocka_unit_test_setup_teardown(answered_once, setup_pg, teardown),
	        cmocka_unit_test_setup_teardown(taken_once, setup_pg, teardown),
	};
	int failed = cmocka_run_group_tests_name("verifier on SQLite", on_sqlite, NULL, NULL);

	if (pg_test_base())
		failed += cmocka_run_group_tests_name("verifier on PostgreSQL", on_pg, NULL, NULL);
	else
		printf("verifier on PostgreSQL: skipped (OORKONDE_TEST_PG is not set)\n");
	return failed;
}
