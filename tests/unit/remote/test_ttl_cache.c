/* Unit tests of the time-to-live cache behind the DID resolver and the status list cache: values
 * expire, the least recently used goes first, the bytes held stay within the bound, a key put again
 * replaces its value, and what cannot be kept is refused without disturbing the rest. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "remote/ttl_cache.h"

/* The tests' clock: a cache's now_ms points here, so that expiry needs no sleeping. */
static int64_t test_now = 1000000;

static int64_t test_clock(void)
{
	return test_now;
}

static void init(struct remote_ttl_cache *c, size_t max_entries, size_t max_bytes)
{
	remote_ttl_cache_init(c, max_entries, max_bytes);
	c->now_ms = test_clock;
}

/* A value of size bytes, each byte tag. */
static void *value_of(size_t size, char tag)
{
	char *v = malloc(size ? size : 1);

	assert_non_null(v);
	memset(v, tag, size ? size : 1);
	return v;
}

/* Answers the value's first byte. */
static int first_byte(void *ctx, const void *value, size_t size)
{
	(void)ctx;
	(void)size;
	return *(const char *)value;
}

/* The tag held under key, or OK_ENOTFOUND. */
static int tag_of(struct remote_ttl_cache *c, const char *key)
{
	return remote_ttl_cache_get(c, key, first_byte, NULL);
}

static void put(struct remote_ttl_cache *c, const char *key, size_t size, char tag, int64_t ttl)
{
	remote_ttl_cache_put(c, key, value_of(size, tag), size, ttl);
}

static void test_a_value_expires_with_its_time_to_live(void **state)
{
	struct remote_ttl_cache c;

	(void)state;
	init(&c, 4, 1000);
	put(&c, "a", 10, 'a', 5000);
	put(&c, "b", 10, 'b', 60000);
	assert_int_equal(tag_of(&c, "a"), 'a');
	test_now += 4999;
	assert_int_equal(tag_of(&c, "a"), 'a');
	test_now += 1; /* expiry is the first moment it is no longer fresh */
	assert_int_equal(tag_of(&c, "a"), OK_ENOTFOUND);
	assert_int_equal(tag_of(&c, "b"), 'b');
	/* An expired value found by a look-up gives its bytes back. */
	assert_int_equal(c.bytes, 10);
	assert_int_equal(tag_of(&c, "never put"), OK_ENOTFOUND);
	remote_ttl_cache_release(&c);
}

static void test_the_least_recently_used_goes_first(void **state)
{
	struct remote_ttl_cache c;

	(void)state;
	init(&c, 3, 1000);
	put(&c, "a", 1, 'a', 60000);
	put(&c, "b", 1, 'b', 60000);
	put(&c, "c", 1, 'c', 60000);
	/* a was put first but read last: b is now the least recently used. */
	assert_int_equal(tag_of(&c, "a"), 'a');
	put(&c, "d", 1, 'd', 60000);
	assert_int_equal(tag_of(&c, "b"), OK_ENOTFOUND);
	assert_int_equal(tag_of(&c, "a"), 'a');
	assert_int_equal(tag_of(&c, "c"), 'c');
	assert_int_equal(tag_of(&c, "d"), 'd');
	/* Uses now in the order a, c, d: the next one pushes out a. */
	put(&c, "e", 1, 'e', 60000);
	assert_int_equal(tag_of(&c, "a"), OK_ENOTFOUND);
	assert_int_equal(tag_of(&c, "c"), 'c');
	remote_ttl_cache_release(&c);
}

static void test_an_expired_value_goes_before_a_fresh_one(void **state)
{
	struct remote_ttl_cache c;

	(void)state;
	init(&c, 2, 1000);
	put(&c, "old", 1, 'o', 60000);
	put(&c, "short", 1, 's', 10);
	/* old is the least recently used, but short has expired: short goes. */
	assert_int_equal(tag_of(&c, "short"), 's');
	test_now += 10;
	put(&c, "new", 1, 'n', 60000);
	assert_int_equal(tag_of(&c, "old"), 'o');
	assert_int_equal(tag_of(&c, "new"), 'n');
	assert_int_equal(c.bytes, 2);
	remote_ttl_cache_release(&c);
}

/* A reader that answers only for values of the tag it is given. */
static int tag_is(void *ctx, const void *value, size_t size)
{
	(void)size;
	return *(const char *)value == *(const char *)ctx ? 1 : OK_ENOTFOUND;
}

static void test_a_value_that_does_not_answer_is_not_a_use(void **state)
{
	struct remote_ttl_cache c;
	char want = 'x';

	(void)state;
	init(&c, 2, 1000);
	put(&c, "a", 1, 'a', 60000);
	put(&c, "b", 1, 'b', 60000);
	assert_int_equal(remote_ttl_cache_get(&c, "a", tag_is, &want), OK_ENOTFOUND);
	put(&c, "c", 1, 'c', 60000);
	assert_int_equal(tag_of(&c, "a"), OK_ENOTFOUND);
	assert_int_equal(tag_of(&c, "b"), 'b');
	remote_ttl_cache_release(&c);
}

static void test_the_bytes_held_stay_within_the_bound(void **state)
{
	struct remote_ttl_cache c;

	(void)state;
	init(&c, 32, 3000);
	put(&c, "1", 1000, '1', 60000);
	put(&c, "2", 1000, '2', 60000);
	put(&c, "3", 1000, '3', 60000);
	assert_int_equal(c.bytes, 3000);
	/* A fourth pushes out the least recently used only. */
	put(&c, "4", 1000, '4', 60000);
	assert_int_equal(c.bytes, 3000);
	assert_int_equal(tag_of(&c, "1"), OK_ENOTFOUND);
	assert_int_equal(tag_of(&c, "2"), '2');
	/* A big one makes room for itself, dropping as many as it needs, least recently used
	 * first (3, then 4; 2 was just read). */
	put(&c, "5", 2000, '5', 60000);
	assert_int_equal(c.bytes, 3000);
	assert_int_equal(tag_of(&c, "3"), OK_ENOTFOUND);
	assert_int_equal(tag_of(&c, "4"), OK_ENOTFOUND);
	assert_int_equal(tag_of(&c, "2"), '2');
	assert_int_equal(tag_of(&c, "5"), '5');
	/* Larger than the whole cache: not kept, nothing dropped for it. */
	put(&c, "6", 3001, '6', 60000);
	assert_int_equal(tag_of(&c, "6"), OK_ENOTFOUND);
	assert_int_equal(tag_of(&c, "2"), '2');
	assert_int_equal(tag_of(&c, "5"), '5');
	assert_int_equal(c.bytes, 3000);
	/* Exactly the whole cache: everything else goes. */
	put(&c, "7", 3000, '7', 60000);
	assert_int_equal(c.bytes, 3000);
	assert_int_equal(tag_of(&c, "2"), OK_ENOTFOUND);
	assert_int_equal(tag_of(&c, "5"), OK_ENOTFOUND);
	assert_int_equal(tag_of(&c, "7"), '7');
	remote_ttl_cache_release(&c);
}

static void test_a_key_put_again_is_replaced(void **state)
{
	struct remote_ttl_cache c;

	(void)state;
	init(&c, 2, 3000);
	put(&c, "a", 2000, '1', 60000);
	put(&c, "b", 500, 'b', 60000);
	/* Its bytes count once: the new value fits without pushing b out. */
	put(&c, "a", 2500, '2', 60000);
	assert_int_equal(c.bytes, 3000);
	assert_int_equal(tag_of(&c, "a"), '2');
	assert_int_equal(tag_of(&c, "b"), 'b');
	/* With its own time to live. */
	put(&c, "a", 10, '3', 10);
	test_now += 10;
	assert_int_equal(tag_of(&c, "a"), OK_ENOTFOUND);
	assert_int_equal(tag_of(&c, "b"), 'b');
	remote_ttl_cache_release(&c);
}

static void test_what_cannot_be_kept_changes_nothing(void **state)
{
	struct remote_ttl_cache c;
	char key[REMOTE_TTL_CACHE_KEY_MAX + 1];

	(void)state;
	init(&c, 2, 100);
	put(&c, "a", 10, 'a', 60000);
	/* No time to live (a max-age of 0): the value held stays. */
	put(&c, "a", 10, 'z', 0);
	put(&c, "b", 10, 'b', -1);
	assert_int_equal(tag_of(&c, "a"), 'a');
	assert_int_equal(tag_of(&c, "b"), OK_ENOTFOUND);
	/* Keys: not empty, shorter than REMOTE_TTL_CACHE_KEY_MAX. */
	put(&c, "", 10, 'e', 60000);
	memset(key, 'k', sizeof(key) - 1);
	key[REMOTE_TTL_CACHE_KEY_MAX] = '\0';
	put(&c, key, 10, 'k', 60000);
	assert_int_equal(tag_of(&c, key), OK_ENOTFOUND);
	key[REMOTE_TTL_CACHE_KEY_MAX - 1] = '\0';
	put(&c, key, 10, 'k', 60000);
	assert_int_equal(tag_of(&c, key), 'k');
	assert_int_equal(c.bytes, 20);
	remote_ttl_cache_release(&c);
}

static void test_many_more_keys_than_entries(void **state)
{
	struct remote_ttl_cache c;
	char key[32];
	size_t i, held = 0;

	(void)state;
	init(&c, 1000, (size_t)1 << 20); /* more entries than there are: REMOTE_TTL_CACHE_ENTRIES */
	assert_int_equal(c.max_entries, REMOTE_TTL_CACHE_ENTRIES);
	for (i = 0; i < 3 * REMOTE_TTL_CACHE_ENTRIES; i++) {
		snprintf(key, sizeof(key), "k%zu", i);
		put(&c, key, 100, 'v', 60000);
		assert_true(c.bytes <= (size_t)REMOTE_TTL_CACHE_ENTRIES * 100);
	}
	for (i = 0; i < 3 * REMOTE_TTL_CACHE_ENTRIES; i++) {
		snprintf(key, sizeof(key), "k%zu", i);
		held += tag_of(&c, key) == 'v';
	}
	assert_int_equal(held, REMOTE_TTL_CACHE_ENTRIES);
	remote_ttl_cache_release(&c);
}

/* Threads putting and reading the same few keys: the bounds hold and nothing is lost or freed
 * twice (the sanitizer build checks the latter). */
struct hammer {
	struct remote_ttl_cache *c;
	unsigned seed;
};

static void *hammer(void *p)
{
	struct hammer *h = p;
	char key[16];

	for (int i = 0; i < 20000; i++) {
		h->seed = h->seed * 1103515245u + 12345u;
		snprintf(key, sizeof(key), "k%u", (h->seed >> 16) % 48);
		if (h->seed & 0x100)
			remote_ttl_cache_put(h->c, key, value_of(64, 'v'), 64, 60000);
		else
			(void)remote_ttl_cache_get(h->c, key, first_byte, NULL);
	}
	return NULL;
}

static void test_shared_by_threads(void **state)
{
	struct remote_ttl_cache c;
	struct hammer h[4];
	pthread_t t[4];
	int i;

	(void)state;
	remote_ttl_cache_init(&c, REMOTE_TTL_CACHE_ENTRIES, 16 * 64);
	for (i = 0; i < 4; i++) {
		h[i] = (struct hammer){&c, (unsigned)i + 1};
		assert_int_equal(pthread_create(&t[i], NULL, hammer, &h[i]), 0);
	}
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	assert_true(c.bytes <= 16 * 64);
	remote_ttl_cache_release(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_a_value_expires_with_its_time_to_live),
	        cmocka_unit_test(test_the_least_recently_used_goes_first),
	        cmocka_unit_test(test_an_expired_value_goes_before_a_fresh_one),
	        cmocka_unit_test(test_a_value_that_does_not_answer_is_not_a_use),
	        cmocka_unit_test(test_the_bytes_held_stay_within_the_bound),
	        cmocka_unit_test(test_a_key_put_again_is_replaced),
	        cmocka_unit_test(test_what_cannot_be_kept_changes_nothing),
	        cmocka_unit_test(test_many_more_keys_than_entries),
	        cmocka_unit_test(test_shared_by_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
