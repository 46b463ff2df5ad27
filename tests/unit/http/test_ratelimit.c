/* Rate-limit keys per client address: one key for a whole IPv6 /64, which one subscriber holds
 * and can rotate through, and an IPv4 client seen by a dual-stack listener is keyed as IPv4.
 * Shared limits: two limiters (two servers) on one store hold a client to one limit between
 * them; the store keeps no address; a store that fails leaves each to its own counts. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http/ratelimit.h"
#include "privacy/seal.h"
#include "store/store.h"

static void key_of6(const char *addr, char *out, size_t cap)
{
	struct sockaddr_in6 sa;

	memset(&sa, 0, sizeof(sa));
	sa.sin6_family = AF_INET6;
	assert_int_equal(inet_pton(AF_INET6, addr, &sa.sin6_addr), 1);
	ratelimit_client_key((const struct sockaddr *)&sa, out, cap);
}

static void test_ipv6_addresses_of_one_64_share_a_key(void **state)
{
	char a[64], b[64], c[64];

	(void)state;
	key_of6("2001:db8:1:2::1", a, sizeof(a));
	key_of6("2001:db8:1:2:dead:beef:0:7", b, sizeof(b));
	key_of6("2001:db8:1:3::1", c, sizeof(c));
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
}

static void test_ipv4_keeps_its_address(void **state)
{
	struct sockaddr_in sa;
	char a[64], m[64], n[64];

	(void)state;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	inet_pton(AF_INET, "192.0.2.7", &sa.sin_addr);
	ratelimit_client_key((const struct sockaddr *)&sa, a, sizeof(a));
	assert_string_equal(a, "192.0.2.7");
	/* The same client through a dual-stack listener, and its neighbour: not one /64. */
	key_of6("::ffff:192.0.2.7", m, sizeof(m));
	key_of6("::ffff:192.0.2.8", n, sizeof(n));
	assert_string_equal(m, a);
	assert_string_not_equal(m, n);
}

static void test_no_address_is_unknown(void **state)
{
	char a[64];

	(void)state;
	ratelimit_client_key(NULL, a, sizeof(a));
	assert_string_equal(a, "unknown");
}

/* Two servers' limiters on one SQLite store, the data key's derived keys, and the store's path. */
struct shared {
	char dir[64];
	char db[96];
	struct store *s;
	struct seal_keys keys;
	struct ratelimit a, b;
};

static void shared_open(struct shared *sh, unsigned per_minute)
{
	unsigned char data_key[SEAL_KEY_BYTES];
	struct ok_error err;
	char url[128];
	time_t now = time(NULL);

	/* The counts are per wall-clock minute: keep clear of its end. */
	if (now % 60 > 50)
		sleep((unsigned)(61 - now % 60));
	assert_int_equal(sodium_init() >= 0, 1);
	snprintf(sh->dir, sizeof(sh->dir), "/tmp/ok-http-ratelimit-XXXXXX");
	assert_non_null(mkdtemp(sh->dir));
	snprintf(sh->db, sizeof(sh->db), "%s/test.db", sh->dir);
	snprintf(url, sizeof(url), "sqlite:%s", sh->db);
	assert_int_equal(store_open(&sh->s, url, true, &err), 0);
	randombytes_buf(data_key, sizeof(data_key));
	seal_keys_derive(&sh->keys, data_key, 1);
	ratelimit_init(&sh->a, per_minute);
	ratelimit_init(&sh->b, per_minute);
	ratelimit_share(&sh->a, "address");
	ratelimit_share(&sh->b, "address");
}

static void shared_close(struct shared *sh)
{
	char path[128];

	ratelimit_release(&sh->a);
	ratelimit_release(&sh->b);
	store_close(sh->s);
	seal_keys_release(&sh->keys);
	snprintf(path, sizeof(path), "%s-wal", sh->db);
	remove(path);
	snprintf(path, sizeof(path), "%s-shm", sh->db);
	remove(path);
	remove(sh->db);
	rmdir(sh->dir);
}

/* One request of client to limiter r, as the server takes it: the bucket and the known total,
 * then the counts to the store when due. */
static bool request(struct shared *sh, struct ratelimit *r, const char *client)
{
	unsigned retry = 0;

	if (!ratelimit_check(r, client, true, &retry))
		return false;
	if (ratelimit_sync_due(r, client) && !ratelimit_sync(r, client, sh->s, &sh->keys, &retry)) {
		assert_true(retry >= 1 && retry <= 60);
		return false;
	}
	return true;
}

static void test_a_shared_limit_holds_across_two_servers(void **state)
{
	struct shared sh;
	int i, on_b = 0;

	(void)state;
	shared_open(&sh, 10); /* a burst of 10: each server alone would let 10 through at once */
	for (i = 0; i < 8; i++)
		assert_true(request(&sh, &sh.a, "192.0.2.7"));
	while (on_b < 10 && request(&sh, &sh.b, "192.0.2.7"))
		on_b++;
	/* The other server let in what was left of the 10, then refused; so does the first. */
	assert_int_equal(on_b, 2);
	assert_false(request(&sh, &sh.a, "192.0.2.7"));
	assert_false(request(&sh, &sh.b, "192.0.2.7"));
	/* Another client has its own 10. */
	assert_true(request(&sh, &sh.b, "192.0.2.8"));
	shared_close(&sh);
}

static void test_the_store_keeps_no_address(void **state)
{
	struct shared sh;
	sqlite3 *db;
	sqlite3_stmt *st;
	int rows = 0;

	(void)state;
	shared_open(&sh, 100);
	assert_true(request(&sh, &sh.a, "192.0.2.7"));
	assert_int_equal(sqlite3_open(sh.db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
	                                    "SELECT count(*) FROM ratelimit_count WHERE "
	                                    "length(client) = 32 AND instr(client, '192.0.2') = 0",
	                                    -1, &st, NULL),
	                 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	rows = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	assert_int_equal(rows, 1);
	shared_close(&sh);
}

/* A store that refuses the counts (a read-only replica, a lost table): requests go on, held to
 * each server's own bucket. */
static void test_a_failing_store_leaves_the_local_limit(void **state)
{
	struct shared sh;
	sqlite3 *db;
	int i;

	(void)state;
	shared_open(&sh, 10);
	assert_int_equal(sqlite3_open(sh.db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "DROP TABLE ratelimit_count", NULL, NULL, NULL),
	                 SQLITE_OK);
	sqlite3_close(db);
	for (i = 0; i < 10; i++)
		assert_true(request(&sh, &sh.a, "192.0.2.7"));
	assert_false(request(&sh, &sh.a, "192.0.2.7")); /* its own bucket is spent */
	for (i = 0; i < 10; i++)
		assert_true(request(&sh, &sh.b, "192.0.2.7"));
	shared_close(&sh);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_ipv6_addresses_of_one_64_share_a_key),
	        cmocka_unit_test(test_ipv4_keeps_its_address),
	        cmocka_unit_test(test_no_address_is_unknown),
	        cmocka_unit_test(test_a_shared_limit_holds_across_two_servers),
	        cmocka_unit_test(test_the_store_keeps_no_address),
	        cmocka_unit_test(test_a_failing_store_leaves_the_local_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
