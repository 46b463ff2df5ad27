/* Rate-limit keys per client address: one key for a whole IPv6 /64, which one subscriber holds
 * and can rotate through, and an IPv4 client seen by a dual-stack listener is keyed as IPv4.
 * The map: clients whose hashes collide never spend each other's tokens or counts; a flood of
 * new keys neither pushes out a client in use nor gets more than one client's worth past the
 * map's room. Shared limits: two limiters (two servers) on one store hold a client to one
 * limit between them; the store keeps no address; a store that fails leaves each to its own
 * counts. */
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

static void test_networks_are_a_24_and_a_48(void **state)
{
	char a[64], b[64], n[64];

	(void)state;
	ratelimit_network_key("192.0.2.7", n, sizeof(n));
	assert_string_equal(n, "192.0.2.0/24");
	ratelimit_network_key("192.0.3.7", a, sizeof(a));
	assert_string_not_equal(a, n);
	key_of6("2001:db8:1:2::1", a, sizeof(a));
	ratelimit_network_key(a, n, sizeof(n));
	assert_string_equal(n, "2001:db8:1::/48");
	key_of6("2001:db8:1:ff00::1", b, sizeof(b));
	ratelimit_network_key(b, a, sizeof(a));
	assert_string_equal(a, n);
	key_of6("2001:db8:2:2::1", b, sizeof(b));
	ratelimit_network_key(b, a, sizeof(a));
	assert_string_not_equal(a, n);
	/* 6to4: each IPv4 address has a /48; the network is the IPv4 /24, the same as over IPv4. */
	key_of6("2002:c000:207::1", a, sizeof(a));
	ratelimit_network_key(a, n, sizeof(n));
	assert_string_equal(n, "192.0.2.0/24");
	key_of6("2002:c000:208:5::1", b, sizeof(b));
	ratelimit_network_key(b, a, sizeof(a));
	assert_string_equal(a, n);
	ratelimit_network_key("192.0.2.200", a, sizeof(a));
	assert_string_equal(a, n);
	ratelimit_network_key("unknown", n, sizeof(n));
	assert_string_equal(n, "unknown");
	ratelimit_network_key(NULL, n, sizeof(n));
	assert_string_equal(n, "unknown");
	ratelimit_network_key("192.0.2.7", n, 4); /* too small: no partial prefix */
	assert_string_equal(n, "unk");
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
	assert_int_equal(ratelimit_init(&sh->a, per_minute), 0);
	assert_int_equal(ratelimit_init(&sh->b, per_minute), 0);
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

/* One request of client to limiter r, as the server takes it: the bucket and the last known
 * total; the counts go to the store at the next flush. */
static bool request(struct ratelimit *r, const char *client)
{
	unsigned retry = 0;
	bool ok = ratelimit_check(r, client, true, &retry);

	if (!ok)
		assert_true(retry >= 1 && retry <= 60);
	return ok;
}

/* A flush of r's counts, as its server's flusher thread makes once a second. */
static int flush(struct shared *sh, struct ratelimit *r)
{
	struct ok_error err;

	return ratelimit_flush(r, sh->s, &sh->keys, &err);
}

static void test_a_shared_limit_holds_across_two_servers(void **state)
{
	struct shared *sh = calloc(1, sizeof(*sh));
	int i, on_b = 0;

	(void)state;
	shared_open(sh, 10); /* a burst of 10: each server alone would let 10 through at once */
	for (i = 0; i < 8; i++)
		assert_true(request(&sh->a, "192.0.2.7"));
	assert_int_equal(flush(sh, &sh->a), 0);
	while (on_b < 10 && request(&sh->b, "192.0.2.7")) {
		on_b++;
		assert_int_equal(flush(sh, &sh->b), 0);
	}
	/* The other server let in what was left of the 10, then refused; so does the first
	 * once it has flushed (it reads back the totals of clients near the limit). */
	assert_int_equal(on_b, 2);
	assert_false(request(&sh->b, "192.0.2.7"));
	assert_int_equal(flush(sh, &sh->a), 0);
	assert_false(request(&sh->a, "192.0.2.7"));
	/* Another client has its own 10. */
	assert_true(request(&sh->b, "192.0.2.8"));
	shared_close(sh);
	free(sh);
}

static void test_the_store_keeps_no_address(void **state)
{
	struct shared *sh = calloc(1, sizeof(*sh));
	sqlite3 *db;
	sqlite3_stmt *st;
	int rows = 0;

	(void)state;
	shared_open(sh, 100);
	assert_true(request(&sh->a, "192.0.2.7"));
	assert_int_equal(flush(sh, &sh->a), 0);
	assert_int_equal(sqlite3_open(sh->db, &db), SQLITE_OK);
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
	shared_close(sh);
	free(sh);
}

/* A store that refuses the counts (a read-only replica, a lost table): requests go on, held to
 * each server's own bucket, and the counts wait for the next flush. */
static void test_a_failing_store_leaves_the_local_limit(void **state)
{
	struct shared *sh = calloc(1, sizeof(*sh));
	sqlite3 *db;
	int i;

	(void)state;
	shared_open(sh, 10);
	assert_int_equal(sqlite3_open(sh->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "DROP TABLE ratelimit_count", NULL, NULL, NULL),
	                 SQLITE_OK);
	sqlite3_close(db);
	for (i = 0; i < 10; i++) {
		assert_true(request(&sh->a, "192.0.2.7"));
		assert_int_not_equal(flush(sh, &sh->a), 0);
	}
	assert_false(request(&sh->a, "192.0.2.7")); /* its own bucket is spent */
	for (i = 0; i < 10; i++)
		assert_true(request(&sh->b, "192.0.2.7"));
	shared_close(sh);
	free(sh);
}

/* A held write lock on SQLite: the flush does not wait for it, and the counts it could not
 * add are added by the next one. */
static void test_a_locked_store_is_not_waited_for(void **state)
{
	struct shared *sh = calloc(1, sizeof(*sh));
	sqlite3 *db;
	struct timespec t0, t1;
	int i;

	(void)state;
	shared_open(sh, 10);
	assert_int_equal(sqlite3_open(sh->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	for (i = 0; i < 6; i++)
		assert_true(request(&sh->a, "192.0.2.7"));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_not_equal(flush(sh, &sh->a), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec < 2);
	assert_int_equal(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(flush(sh, &sh->a), 0);
	/* The 6 reached the store: the other server has 4 left. */
	for (i = 0; i < 4; i++) {
		assert_true(request(&sh->b, "192.0.2.7"));
		assert_int_equal(flush(sh, &sh->b), 0);
	}
	assert_false(request(&sh->b, "192.0.2.7"));
	shared_close(sh);
	free(sh);
}

/* Keys whose slots start at the same place of r's map (r's hash key set by the test). */
static void colliding_keys(struct ratelimit *r, char keys[][32], size_t n)
{
	unsigned char h[crypto_shorthash_BYTES];
	size_t found = 0, want = RATELIMIT_SLOTS, i;
	unsigned long k;

	for (k = 0; found < n && k < 10000000; k++) {
		uint64_t v = 0;
		char key[32];

		snprintf(key, sizeof(key), "10.%lu.%lu.%lu", k >> 16 & 255, k >> 8 & 255, k & 255);
		crypto_shorthash(h, (const unsigned char *)key, strlen(key), r->hash_key);
		for (i = 0; i < sizeof(h); i++)
			v = v << 8 | h[i];
		if (want == RATELIMIT_SLOTS)
			want = (size_t)(v % RATELIMIT_SLOTS);
		if ((size_t)(v % RATELIMIT_SLOTS) == want)
			snprintf(keys[found++], 32, "%s", key);
	}
	assert_int_equal(found, n);
}

static unsigned spend(struct ratelimit *r, const char *client, unsigned most)
{
	unsigned n = 0;

	while (n < most && request(r, client))
		n++;
	return n;
}

static void test_colliding_clients_keep_their_own_tokens(void **state)
{
	struct ratelimit r;
	char keys[RATELIMIT_PROBES + 2][32];
	size_t i;

	(void)state;
	assert_int_equal(sodium_init() >= 0, 1);
	assert_int_equal(ratelimit_init(&r, 6), 0); /* a burst of 6, one more every 10 s */
	colliding_keys(&r, keys, RATELIMIT_PROBES + 2);
	/* An attacker with a key in the victim's slot spends all its own tokens… */
	assert_int_equal(spend(&r, keys[0], 100), 6);
	/* …and the victim still has all of its own. */
	assert_int_equal(spend(&r, keys[1], 100), 6);
	/* Every colliding key has its own slot while the probed slots last. */
	for (i = 2; i < RATELIMIT_PROBES; i++)
		assert_int_equal(spend(&r, keys[i], 3), 3);
	/* Past them, with none idle: one overflow bucket for all the rest, not a fresh one
	 * each. */
	assert_int_equal(spend(&r, keys[RATELIMIT_PROBES], 100) +
	                         spend(&r, keys[RATELIMIT_PROBES + 1], 100),
	                 6);
	/* The slots' owners are where they were. */
	assert_false(request(&r, keys[0]));
	assert_int_equal(spend(&r, keys[2], 100), 3);
	ratelimit_release(&r);
}

static void test_an_idle_slot_is_taken_over_without_its_state(void **state)
{
	struct ratelimit r;
	char keys[RATELIMIT_PROBES + 1][32];
	size_t i;

	(void)state;
	assert_int_equal(sodium_init() >= 0, 1);
	assert_int_equal(ratelimit_init(&r, 6), 0);
	colliding_keys(&r, keys, RATELIMIT_PROBES + 1);
	for (i = 0; i < RATELIMIT_PROBES; i++)
		assert_int_equal(spend(&r, keys[i], 100), 6);
	/* A minute on, every bucket is full again: idle, and free to be taken. */
	for (i = 0; i < RATELIMIT_SLOTS; i++)
		r.slot[i].updated -= 120;
	/* A new client gets a slot of its own with a full bucket, not the overflow's. */
	assert_int_equal(spend(&r, keys[RATELIMIT_PROBES], 100), 6);
	assert_true(r.over.tokens >= r.burst);
	/* The client whose slot it was starts afresh, with nothing spent nor owed. */
	for (i = 0; i < RATELIMIT_PROBES; i++)
		assert_int_equal(spend(&r, keys[i], 100), 6);
	ratelimit_release(&r);
}

/* A flood of new addresses: a client in use keeps its slot, and the flood gets no more than
 * the map's room and the overflow bucket. */
static void test_a_flood_of_new_clients_is_bounded(void **state)
{
	struct ratelimit r;
	unsigned long k, let_in = 0;
	char key[32];

	(void)state;
	assert_int_equal(sodium_init() >= 0, 1);
	assert_int_equal(ratelimit_init(&r, 6), 0);
	assert_int_equal(spend(&r, "192.0.2.10", 4), 4);
	for (k = 0; k < 100000; k++) {
		snprintf(key, sizeof(key), "10.%lu.%lu.%lu", k >> 16 & 255, k >> 8 & 255, k & 255);
		let_in += request(&r, key);
	}
	assert_true(let_in <= RATELIMIT_SLOTS + 6);
	assert_int_equal(spend(&r, "192.0.2.10", 100), 2);
	ratelimit_release(&r);
}

/* Shared counts follow the key too: a colliding client's total over all servers refuses only
 * it. */
static void test_colliding_clients_keep_their_own_totals(void **state)
{
	struct shared *sh = calloc(1, sizeof(*sh));
	char keys[2][32];

	(void)state;
	shared_open(sh, 10);
	memset(sh->a.hash_key, 7, sizeof(sh->a.hash_key));
	memset(sh->b.hash_key, 7, sizeof(sh->b.hash_key));
	colliding_keys(&sh->a, keys, 2);
	assert_int_equal(spend(&sh->a, keys[0], 100), 10);
	assert_int_equal(flush(sh, &sh->a), 0);
	assert_true(request(&sh->b, keys[0])); /* not known there yet */
	assert_int_equal(flush(sh, &sh->b), 0);
	assert_false(request(&sh->b, keys[0]));
	assert_int_equal(spend(&sh->b, keys[1], 100), 10);
	shared_close(sh);
	free(sh);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_ipv6_addresses_of_one_64_share_a_key),
	        cmocka_unit_test(test_ipv4_keeps_its_address),
	        cmocka_unit_test(test_no_address_is_unknown),
	        cmocka_unit_test(test_networks_are_a_24_and_a_48),
	        cmocka_unit_test(test_a_shared_limit_holds_across_two_servers),
	        cmocka_unit_test(test_the_store_keeps_no_address),
	        cmocka_unit_test(test_a_failing_store_leaves_the_local_limit),
	        cmocka_unit_test(test_a_locked_store_is_not_waited_for),
	        cmocka_unit_test(test_colliding_clients_keep_their_own_tokens),
	        cmocka_unit_test(test_an_idle_slot_is_taken_over_without_its_state),
	        cmocka_unit_test(test_a_flood_of_new_clients_is_bounded),
	        cmocka_unit_test(test_colliding_clients_keep_their_own_totals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
