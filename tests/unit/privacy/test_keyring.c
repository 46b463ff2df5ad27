/* Unit tests for keyrings of data keys: the current key, lookup by id, opening a value with the
 * key its header names, refusing a key the ring lacks, and the unkeyed digest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/error.h"
#include "privacy/seal.h"

static void data_key(unsigned char key[SEAL_KEY_BYTES], unsigned char fill)
{
	memset(key, fill, SEAL_KEY_BYTES);
}

static void empty_ring_has_no_current_key(void **state)
{
	struct seal_keyring r;

	(void)state;
	seal_keyring_init(&r);
	assert_null(seal_keyring_current(&r));
	assert_null(seal_keyring_find(&r, 1));
}

static void last_added_is_current_and_ids_are_unique(void **state)
{
	unsigned char k1[SEAL_KEY_BYTES], k2[SEAL_KEY_BYTES];
	struct seal_keyring r;
	struct seal_keys direct;
	struct ok_error err;

	(void)state;
	data_key(k1, 0x11);
	data_key(k2, 0x22);
	seal_keyring_init(&r);
	assert_int_equal(seal_keyring_add(&r, k1, 1, &err), 0);
	assert_int_equal(seal_keyring_current(&r)->key_id, 1);
	assert_int_equal(seal_keyring_add(&r, k2, 2, &err), 0);
	assert_int_equal(seal_keyring_current(&r)->key_id, 2);
	assert_int_equal(seal_keyring_find(&r, 1)->key_id, 1);
	assert_null(seal_keyring_find(&r, 3));
	/* The ring derives exactly as seal_keys_derive does. */
	seal_keys_derive(&direct, k1, 1);
	assert_memory_equal(seal_keyring_find(&r, 1), &direct, sizeof(direct));
	assert_int_equal(seal_keyring_add(&r, k2, 1, &err), OK_EEXIST);
	assert_int_equal(r.count, 2);
	seal_keyring_release(&r);
	assert_int_equal(r.count, 0);
	assert_null(seal_keyring_current(&r));
	seal_keys_release(&direct);
}

static void ring_is_bounded(void **state)
{
	unsigned char k[SEAL_KEY_BYTES];
	struct seal_keyring r;
	struct ok_error err;
	uint32_t i;

	(void)state;
	seal_keyring_init(&r);
	for (i = 1; i <= SEAL_KEYRING_MAX; i++) {
		data_key(k, (unsigned char)i);
		assert_int_equal(seal_keyring_add(&r, k, i, &err), 0);
	}
	assert_int_equal(seal_keyring_add(&r, k, 99, &err), OK_ELIMIT);
	seal_keyring_release(&r);
}

static void values_open_with_the_key_their_header_names(void **state)
{
	unsigned char k1[SEAL_KEY_BYTES], k2[SEAL_KEY_BYTES];
	struct seal_keyring r, only_new;
	struct buf old_value, new_value, plain;
	struct ok_error err;

	(void)state;
	data_key(k1, 0x31);
	data_key(k2, 0x32);
	seal_keyring_init(&r);
	seal_keyring_init(&only_new);
	assert_int_equal(seal_keyring_add(&r, k1, 1, &err), 0);
	buf_init(&old_value, 0);
	buf_init(&new_value, 0);
	buf_init(&plain, 0);
	assert_int_equal(seal_field(seal_keyring_current(&r), "given_names", "L1", "Anna", 4,
	                            &old_value, &err),
	                 0);
	assert_int_equal(seal_keyring_add(&r, k2, 2, &err), 0);
	assert_int_equal(seal_field(seal_keyring_current(&r), "given_names", "L1", "Anna", 4,
	                            &new_value, &err),
	                 0);
	assert_int_equal(seal_key_id_of((unsigned char *)old_value.data, old_value.len), 1);
	assert_int_equal(seal_key_id_of((unsigned char *)new_value.data, new_value.len), 2);
	/* During a rotation the ring holds both: both open. */
	assert_int_equal(seal_open_ring(&r, "given_names", "L1", (unsigned char *)old_value.data,
	                                old_value.len, &plain, &err),
	                 0);
	assert_string_equal(plain.data, "Anna");
	buf_reset(&plain);
	assert_int_equal(seal_open_ring(&r, "given_names", "L1", (unsigned char *)new_value.data,
	                                new_value.len, &plain, &err),
	                 0);
	assert_string_equal(plain.data, "Anna");
	buf_reset(&plain);
	/* After it, the old key is gone: the old value is refused, naming the key, not the
	 * value. */
	assert_int_equal(seal_keyring_add(&only_new, k2, 2, &err), 0);
	assert_int_equal(seal_open_ring(&only_new, "given_names", "L1",
	                                (unsigned char *)old_value.data, old_value.len, &plain,
	                                &err),
	                 OK_ECRYPTO);
	assert_non_null(strstr(err.message, "data key 1"));
	assert_null(strstr(err.message, "Anna"));
	assert_int_equal(plain.len, 0);
	/* A key with the right id but other bytes still fails: never garbage. */
	seal_keyring_release(&only_new);
	seal_keyring_init(&only_new);
	assert_int_equal(seal_keyring_add(&only_new, k2, 1, &err), 0);
	assert_int_equal(seal_open_ring(&only_new, "given_names", "L1",
	                                (unsigned char *)old_value.data, old_value.len, &plain,
	                                &err),
	                 OK_ECRYPTO);
	assert_int_equal(plain.len, 0);
	/* Something that is not a sealed value. */
	assert_int_equal(seal_open_ring(&r, "given_names", "L1", (const unsigned char *)"xy", 2,
	                                &plain, &err),
	                 OK_ECRYPTO);
	buf_release(&old_value);
	buf_release(&new_value);
	buf_release(&plain);
	seal_keyring_release(&r);
	seal_keyring_release(&only_new);
}

static void blind_index_and_keyed_digest_change_with_the_key(void **state)
{
	unsigned char k1[SEAL_KEY_BYTES], k2[SEAL_KEY_BYTES];
	unsigned char i1[SEAL_INDEX_BYTES], i2[SEAL_INDEX_BYTES];
	unsigned char d1[SEAL_DIGEST_BYTES], d2[SEAL_DIGEST_BYTES];
	struct seal_keyring r;
	struct seal_digest d;
	struct ok_error err;

	(void)state;
	data_key(k1, 0x41);
	data_key(k2, 0x42);
	seal_keyring_init(&r);
	assert_int_equal(seal_keyring_add(&r, k1, 1, &err), 0);
	assert_int_equal(seal_keyring_add(&r, k2, 2, &err), 0);
	seal_blind_index(seal_keyring_find(&r, 1), "123456782", i1);
	seal_blind_index(seal_keyring_find(&r, 2), "123456782", i2);
	assert_memory_not_equal(i1, i2, SEAL_INDEX_BYTES);
	seal_digest_init(&d, seal_keyring_find(&r, 1));
	seal_digest_add_str(&d, "Anna");
	seal_digest_final(&d, d1);
	seal_digest_init(&d, seal_keyring_find(&r, 2));
	seal_digest_add_str(&d, "Anna");
	seal_digest_final(&d, d2);
	assert_memory_not_equal(d1, d2, SEAL_DIGEST_BYTES);
	seal_keyring_release(&r);
}

static void plain_digest_needs_no_key_and_is_length_prefixed(void **state)
{
	unsigned char a[SEAL_DIGEST_BYTES], b[SEAL_DIGEST_BYTES], c[SEAL_DIGEST_BYTES];
	struct seal_digest d;

	(void)state;
	seal_digest_init_plain(&d);
	seal_digest_add_str(&d, "ab");
	seal_digest_add_str(&d, "c");
	seal_digest_final(&d, a);
	seal_digest_init_plain(&d);
	seal_digest_add_str(&d, "ab");
	seal_digest_add_str(&d, "c");
	seal_digest_final(&d, b);
	assert_memory_equal(a, b, SEAL_DIGEST_BYTES);
	seal_digest_init_plain(&d);
	seal_digest_add_str(&d, "a");
	seal_digest_add_str(&d, "bc");
	seal_digest_final(&d, c);
	assert_memory_not_equal(a, c, SEAL_DIGEST_BYTES);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(empty_ring_has_no_current_key),
	        cmocka_unit_test(last_added_is_current_and_ids_are_unique),
	        cmocka_unit_test(ring_is_bounded),
	        cmocka_unit_test(values_open_with_the_key_their_header_names),
	        cmocka_unit_test(blind_index_and_keyed_digest_change_with_the_key),
	        cmocka_unit_test(plain_digest_needs_no_key_and_is_length_prefixed),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
