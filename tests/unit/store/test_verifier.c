/* Unit tests of the store's verifier area (store/verifier.h), once over SQLite and once over
 * PostgreSQL when OORKONDE_TEST_PG names a cluster: a request kept and read back by id and by
 * its view hash, answered once and only before it expires, and pruned after its time; one
 * client's open sign-ins counted per address and network, also in a store made before those
 * were columns (the schema upgraded at open). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "store/schema_pg.h"
#include "store/schema_sqlite.h"
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
	assert_int_equal(store_vp_take(f->s, "req-t", 4000, &err),
	                 OK_ENOTFOUND); /* past its time */
	assert_int_equal(store_vp_take(f->s, "req-other", 1700, &err), OK_ENOTFOUND);
	assert_int_equal(store_vp_take(f->s, "req-t", 1700, &err), 0);
	assert_int_equal(store_vp_take(f->s, "req-t", 1700, &err), OK_ENOTFOUND);
	assert_int_equal(store_vp_get(f->s, "req-t", r, &err), OK_ENOTFOUND);
	row_free(r);
}

/* A tag as oid4vp writes it: 64 hex digits, all c. */
static void tag(char out[STORE_VP_TAG_MAX + 1], char c)
{
	memset(out, c, STORE_VP_TAG_MAX);
	out[STORE_VP_TAG_MAX] = '\0';
}

static void put_signin(struct store *s, const char *id, char from, char net)
{
	struct store_vp_request *r = row_new();
	struct ok_error err;

	snprintf(r->id, sizeof(r->id), "%s", id);
	assert_true(strlen(id) <= sizeof(r->view_hash));
	memcpy(r->view_hash, id, strlen(id)); /* unique as the id is */
	snprintf(r->spec, sizeof(r->spec), from ? "{\"signin\":true}" : "{\"dcql_query\":{}}");
	r->created_ms = 1000;
	r->expires_ms = 2000;
	r->keep_until_ms = from ? 2000 : 9000;
	if (from) {
		tag(r->signin_from, from);
		tag(r->signin_net, net);
	}
	if (store_vp_put(s, r, &err))
		fail_msg("put %s: %s", id, err.message);
	row_free(r);
}

static void expect_client(struct store *s, char from, char net, int64_t address, int64_t network)
{
	char a[STORE_VP_TAG_MAX + 1], n[STORE_VP_TAG_MAX + 1];
	struct store_vp_client_count c = {-1, -1};
	struct ok_error err;

	tag(a, from);
	tag(n, net);
	if (store_vp_count_client(s, a, n, &c, &err))
		fail_msg("count_client: %s", err.message);
	assert_int_equal(c.address, address);
	assert_int_equal(c.network, network);
}

/* One client's open sign-ins: per address and per network, in one call; other requests
 * (no client) never count, and an empty key is refused rather than counting them. */
static void counted_per_client(void **state)
{
	struct store_fixture *f = *state;
	struct store_vp_client_count c;
	struct ok_error err;
	char a[STORE_VP_TAG_MAX + 1];
	int64_t open = -1;

	put_signin(f->s, "s1", 'a', '1');
	put_signin(f->s, "s2", 'a', '1');
	put_signin(f->s, "s3", 'b', '1');
	put_signin(f->s, "s4", 'c', '2');
	put_signin(f->s, "employer", 0, 0);
	expect_client(f->s, 'a', '1', 2, 3);
	expect_client(f->s, 'b', '2', 1, 1);
	expect_client(f->s, 'c', '1', 1, 3);
	expect_client(f->s, 'd', '3', 0, 0);
	tag(a, 'a');
	assert_int_equal(store_vp_count_client(f->s, "", a, &c, &err), OK_EINTERNAL);
	assert_int_equal(store_vp_count_client(f->s, a, "", &c, &err), OK_EINTERNAL);
	/* They go with their rows. */
	assert_int_equal(store_vp_prune(f->s, 2000, &err), 0);
	expect_client(f->s, 'a', '1', 0, 0);
	assert_int_equal(store_vp_count(f->s, &open, &err), 0);
	assert_int_equal(open, 1);
}

/* The first migration that knows the columns: every migration before it is the schema a data
 * folder or database made before them has. */
static size_t columns_migration(const char *const *m, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strstr(m[i], "vp_request_signin_from"))
			return i;
	fail_msg("no migration adds signin_from");
	return 0;
}

/* The rows of the old schema: the keys in the spec only. s2's label holds the same words
 * escaped, as JSON writes them in a string, which is no key. */
#define OLD_ROWS(hex_a, hex_n)                                                                \
	"INSERT INTO vp_request (id, view_hash, nonce, state, spec, created_ms, expires_ms, " \
	"answered_ms, keep_until_ms, verified, key_id, enc_key, result) VALUES "              \
	"('s1', " hex_a "01', 'n', 's', '{\"signin\":true,\"signin_from\":\"" TAG_A           \
	"\",\"signin_net\":\"" TAG_N "\"}', 0, 10, 0, 10, 0, 0, " hex_n ", " hex_n "), "      \
	"('s2', " hex_a "02', 'n', 's', '{\"label\":\"x\\\"signin_from\\\":\\\"" TAG_A        \
	"\\\"\",\"signin_net\":\"" TAG_N "\"}', 0, 10, 0, 10, 0, 0, " hex_n ", " hex_n "), "  \
	"('e1', " hex_a "03', 'n', 's', '{\"dcql_query\":{}}', 0, 10, 0, 10, 0, 0, " hex_n    \
	", " hex_n ")"
#define TAG_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define TAG_N "1111111111111111111111111111111111111111111111111111111111111111"

static void exec_sqlite(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s", msg ? msg : "sqlite3_exec");
}

static void upgraded_keeps_the_counts(struct store *s)
{
	struct store_vp_request *back = row_new();
	struct ok_error err;

	/* s1 is a sign-in of address a in network 1; s2 counts in the network only (its label is
	 * no key); e1 in neither. */
	expect_client(s, 'a', '1', 1, 2);
	expect_client(s, 'b', '2', 0, 0);
	assert_int_equal(store_vp_get(s, "s1", back, &err), 0);
	assert_string_equal(back->signin_from, TAG_A);
	assert_string_equal(back->signin_net, TAG_N);
	buf_reset(&back->enc_key);
	buf_reset(&back->result);
	assert_int_equal(store_vp_get(s, "e1", back, &err), 0);
	assert_string_equal(back->signin_from, "");
	assert_string_equal(back->signin_net, "");
	/* New rows go in beside them and count. */
	put_signin(s, "s3", 'a', '2');
	expect_client(s, 'a', '1', 2, 2);
	row_free(back);
}

static void upgraded_from_the_previous_schema_sqlite(void **state)
{
	size_t n = sizeof(sqlite_migrations) / sizeof(sqlite_migrations[0]);
	size_t k = columns_migration(sqlite_migrations, n), i;
	struct store_fixture *f = *state;
	char path[PG_TEST_CONNINFO_MAX], sql[64];
	struct ok_error err;
	sqlite3 *db;
	int v = 0;

	/* The fixture's store is replaced by one of the schema before the columns. */
	store_close(f->s);
	f->s = NULL;
	snprintf(path, sizeof(path), "%s/old.db", f->dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	for (i = 0; i < k; i++)
		exec_sqlite(db, sqlite_migrations[i]);
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %zu", k);
	exec_sqlite(db, sql);
	exec_sqlite(db, OLD_ROWS("x'", "x''"));
	sqlite3_close(db);
	assert_int_equal(store_sqlite_open(&f->s, path, false, &err), 0);
	assert_int_equal(store_schema_version(f->s, &v, &err), 0);
	assert_int_equal(v, (int)n);
	upgraded_keeps_the_counts(f->s);
}

static void upgraded_from_the_previous_schema_pg(void **state)
{
	size_t n = sizeof(pg_migrations) / sizeof(pg_migrations[0]);
	size_t k = columns_migration(pg_migrations, n), i;
	struct store_fixture *f = *state;
	struct ok_error err;
	char sql[128];
	int v = 0;

	/* A fresh database of the test's, at the schema before the columns. */
	store_close(f->s);
	f->s = NULL;
	pg_test_db_drop(f->dbname);
	assert_true(pg_test_db_create("ok_verifier_old", f->dbname, f->url, sizeof(f->url)));
	for (i = 0; i < k; i++)
		assert_int_equal(pg_test_exec(f->url, pg_migrations[i]), 0);
	snprintf(sql, sizeof(sql),
	         "CREATE TABLE oorkonde_schema (version INTEGER NOT NULL);"
	         "INSERT INTO oorkonde_schema VALUES (%zu)",
	         k);
	assert_int_equal(pg_test_exec(f->url, sql), 0);
	assert_int_equal(pg_test_exec(f->url, OLD_ROWS("'\\x", "''")), 0);
	assert_int_equal(store_open(&f->s, f->url, false, &err), 0);
	assert_int_equal(store_schema_version(f->s, &v, &err), 0);
	assert_int_equal(v, (int)n);
	upgraded_keeps_the_counts(f->s);
}

int main(void)
{
	const struct CMUnitTest on_sqlite[] = {
	        cmocka_unit_test_setup_teardown(answered_once, setup_sqlite, teardown),
	        cmocka_unit_test_setup_teardown(taken_once, setup_sqlite, teardown),
	        cmocka_unit_test_setup_teardown(counted_per_client, setup_sqlite, teardown),
	        cmocka_unit_test_setup_teardown(upgraded_from_the_previous_schema_sqlite,
	                                        setup_sqlite, teardown),
	};
	const struct CMUnitTest on_pg[] = {
	        cmocka_unit_test_setup_teardown(answered_once, setup_pg, teardown),
	        cmocka_unit_test_setup_teardown(taken_once, setup_pg, teardown),
	        cmocka_unit_test_setup_teardown(counted_per_client, setup_pg, teardown),
	        cmocka_unit_test_setup_teardown(upgraded_from_the_previous_schema_pg, setup_pg,
	                                        teardown),
	};
	int failed = cmocka_run_group_tests_name("verifier on SQLite", on_sqlite, NULL, NULL);

	if (pg_test_base())
		failed += cmocka_run_group_tests_name("verifier on PostgreSQL", on_pg, NULL, NULL);
	else
		printf("verifier on PostgreSQL: skipped (OORKONDE_TEST_PG is not set)\n");
	return failed;
}
