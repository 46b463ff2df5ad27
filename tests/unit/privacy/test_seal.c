/* Unit tests for field sealing, the blind index and keyed digests: round trips, tampering,
 * binding to field and record, keys, nonces. */
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

struct fixture {
	struct seal_keys a, b;
};

static int setup(void **state)
{
	static unsigned char key_a[SEAL_KEY_BYTES], key_b[SEAL_KEY_BYTES];
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f || sodium_init() < 0)
		return -1;
	memset(key_a, 0x11, sizeof(key_a));
	memset(key_b, 0x22, sizeof(key_b));
	seal_keys_derive(&f->a, key_a, 1);
	seal_keys_derive(&f->b, key_b, 1); /* same id, other key */
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	seal_keys_release(&f->a);
	seal_keys_release(&f->b);
	free(f);
	return 0;
}

/* Seals value into out (reset first). */
static void seal(const struct seal_keys *k, const char *field, const char *rec, const char *v,
                 size_t n, struct buf *out)
{
	struct ok_error err;

	buf_reset(out);
	ok_error_clear(&err);
	if (seal_field(k, field, rec, v, n, out, &err) != 0)
		fail_msg("seal_field: %s", err.message);
}

static int open_into(const struct seal_keys *k, const char *field, const char *rec,
                     const struct buf *sealed, struct buf *out, struct ok_error *err)
{
	buf_reset(out);
	ok_error_clear(err);
	return seal_open(k, field, rec, (const unsigned char *)sealed->data, sealed->len, out, err);
}

static void round_trip(const struct seal_keys *k, const char *v, size_t n)
{
	struct buf s, p;
	struct ok_error err;

	buf_init(&s, 0);
	buf_init(&p, 0);
	seal(k, "family_name", "0123456789abcdef01234567", v, n, &s);
	assert_int_equal(s.len, SEAL_OVERHEAD + n);
	assert_int_equal(open_into(k, "family_name", "0123456789abcdef01234567", &s, &p, &err), 0);
	assert_int_equal(p.len, n);
	assert_memory_equal(p.data, v, n);
	assert_int_equal(p.data[n], '\0');
	buf_release(&s);
	buf_release(&p);
}

static void keys_differ_per_purpose_and_per_data_key(void **state)
{
	struct fixture *f = *state;
	static const unsigned char zero[SEAL_KEY_BYTES];

	assert_int_equal(f->a.key_id, 1);
	assert_memory_not_equal(f->a.seal, f->a.index, SEAL_KEY_BYTES);
	assert_memory_not_equal(f->a.seal, f->a.digest, SEAL_KEY_BYTES);
	assert_memory_not_equal(f->a.index, f->a.digest, SEAL_KEY_BYTES);
	assert_memory_not_equal(f->a.seal, f->b.seal, SEAL_KEY_BYTES);
	assert_memory_not_equal(f->a.index, f->b.index, SEAL_KEY_BYTES);
	assert_memory_not_equal(f->a.seal, zero, SEAL_KEY_BYTES);
}

static void derivation_is_deterministic_and_release_wipes(void **state)
{
	struct fixture *f = *state;
	unsigned char key[SEAL_KEY_BYTES];
	struct seal_keys k, zero;

	memset(key, 0x11, sizeof(key));
	seal_keys_derive(&k, key, 1);
	assert_memory_equal(k.seal, f->a.seal, SEAL_KEY_BYTES);
	assert_memory_equal(k.index, f->a.index, SEAL_KEY_BYTES);
	assert_memory_equal(k.digest, f->a.digest, SEAL_KEY_BYTES);
	seal_keys_release(&k);
	memset(&zero, 0, sizeof(zero));
	assert_memory_equal(&k, &zero, sizeof(k));
}

static void sealed_values_open_again(void **state)
{
	struct fixture *f = *state;
	char utf8[201];
	size_t i;

	round_trip(&f->a, "Müller-Dağ", strlen("Müller-Dağ"));
	round_trip(&f->a, "", 0);
	round_trip(&f->a, "x", 1);
	round_trip(&f->a, "a\0b", 3);
	/* 200 bytes of two-byte UTF-8 characters, the cap of a name. */
	for (i = 0; i < 200; i += 2)
		memcpy(utf8 + i, "\xc5\x81", 2); /* Ł */
	utf8[200] = '\0';
	round_trip(&f->a, utf8, 200);
}

static void sealed_form_has_the_documented_header(void **state)
{
	struct fixture *f = *state;
	unsigned char key[SEAL_KEY_BYTES];
	struct seal_keys k;
	struct buf s;

	memset(key, 0x11, sizeof(key));
	seal_keys_derive(&k, key, 0x01020304u);
	buf_init(&s, 0);
	seal(&k, "national_id", "r1", "123456782", 9, &s);
	assert_int_equal((unsigned char)s.data[0], 1);
	assert_int_equal((unsigned char)s.data[1], 1);
	assert_int_equal((unsigned char)s.data[2], 2);
	assert_int_equal((unsigned char)s.data[3], 3);
	assert_int_equal((unsigned char)s.data[4], 4);
	assert_int_equal(seal_key_id_of((const unsigned char *)s.data, s.len), 0x01020304u);
	assert_int_equal(seal_key_id_of((const unsigned char *)s.data, SEAL_OVERHEAD - 1), 0);
	assert_null(memmem(s.data, s.len, "123456782", 9));
	seal(&f->a, "national_id", "r1", "123456782", 9, &s);
	assert_int_equal(seal_key_id_of((const unsigned char *)s.data, s.len), 1);
	s.data[0] = 2;
	assert_int_equal(seal_key_id_of((const unsigned char *)s.data, s.len), 0);
	buf_release(&s);
	seal_keys_release(&k);
}

static void any_flipped_bit_fails_to_open(void **state)
{
	struct fixture *f = *state;
	const char *v = "Anaïs de Vries";
	struct buf s, p;
	struct ok_error err;
	size_t i;
	int bit;

	buf_init(&s, 0);
	buf_init(&p, 0);
	seal(&f->a, "given_names", "rec-1", v, strlen(v), &s);
	for (i = 0; i < s.len; i++) {
		for (bit = 0; bit < 8; bit += 7) {
			s.data[i] ^= (char)(1 << bit);
			if (open_into(&f->a, "given_names", "rec-1", &s, &p, &err) != OK_ECRYPTO)
				fail_msg("byte %zu bit %d flipped: opened anyway", i, bit);
			assert_int_equal(err.code, OK_ECRYPTO);
			assert_null(strstr(err.message, "Ana"));
			s.data[i] ^= (char)(1 << bit);
		}
	}
	assert_int_equal(open_into(&f->a, "given_names", "rec-1", &s, &p, &err), 0);
	assert_string_equal(p.data, v);
	buf_release(&s);
	buf_release(&p);
}

static void truncated_or_extended_values_fail(void **state)
{
	struct fixture *f = *state;
	struct buf s, p;
	struct ok_error err;
	size_t n;

	buf_init(&s, 0);
	buf_init(&p, 0);
	seal(&f->a, "birth_date", "rec-1", "2000-01-02", 10, &s);
	for (n = 0; n < s.len; n++) {
		buf_reset(&p);
		assert_int_equal(seal_open(&f->a, "birth_date", "rec-1",
		                           (const unsigned char *)s.data, n, &p, &err),
		                 OK_ECRYPTO);
	}
	assert_int_equal(buf_addch(&s, 'x'), 0);
	assert_int_equal(open_into(&f->a, "birth_date", "rec-1", &s, &p, &err), OK_ECRYPTO);
	buf_release(&s);
	buf_release(&p);
}

static void values_are_bound_to_field_and_record(void **state)
{
	struct fixture *f = *state;
	struct buf s, p;
	struct ok_error err;

	buf_init(&s, 0);
	buf_init(&p, 0);
	seal(&f->a, "family_name", "rec-1", "Jansen", 6, &s);
	assert_int_equal(open_into(&f->a, "given_names", "rec-1", &s, &p, &err), OK_ECRYPTO);
	assert_int_equal(open_into(&f->a, "family_name", "rec-2", &s, &p, &err), OK_ECRYPTO);
	assert_int_equal(open_into(&f->a, "family_name", "", &s, &p, &err), OK_ECRYPTO);
	/* The field and the record id are separated, not just concatenated. */
	assert_int_equal(open_into(&f->a, "family_namer", "ec-1", &s, &p, &err), OK_ECRYPTO);
	assert_int_equal(open_into(&f->a, "family_nam", "erec-1", &s, &p, &err), OK_ECRYPTO);
	assert_int_equal(open_into(&f->a, "family_name", "rec-1", &s, &p, &err), 0);
	assert_string_equal(p.data, "Jansen");
	buf_release(&s);
	buf_release(&p);
}

static void another_data_key_fails(void **state)
{
	struct fixture *f = *state;
	unsigned char key[SEAL_KEY_BYTES];
	struct seal_keys other_id;
	struct buf s, p;
	struct ok_error err;

	buf_init(&s, 0);
	buf_init(&p, 0);
	seal(&f->a, "national_id", "rec-1", "123456782", 9, &s);
	/* Same key id, other key: the tag does not verify. */
	assert_int_equal(open_into(&f->b, "national_id", "rec-1", &s, &p, &err), OK_ECRYPTO);
	assert_null(strstr(err.message, "123456782"));
	/* Same key, other id: refused before trying. */
	memset(key, 0x11, sizeof(key));
	seal_keys_derive(&other_id, key, 2);
	assert_int_equal(open_into(&other_id, "national_id", "rec-1", &s, &p, &err), OK_ECRYPTO);
	seal_keys_release(&other_id);
	buf_release(&s);
	buf_release(&p);
}

static void two_seals_of_one_value_differ(void **state)
{
	struct fixture *f = *state;
	struct buf s1, s2, p;
	struct ok_error err;

	buf_init(&s1, 0);
	buf_init(&s2, 0);
	buf_init(&p, 0);
	seal(&f->a, "family_name", "rec-1", "Bakker", 6, &s1);
	seal(&f->a, "family_name", "rec-1", "Bakker", 6, &s2);
	assert_int_equal(s1.len, s2.len);
	assert_memory_not_equal(s1.data + 5, s2.data + 5, 24); /* nonces */
	assert_memory_not_equal(s1.data + 29, s2.data + 29, s1.len - 29);
	assert_int_equal(open_into(&f->a, "family_name", "rec-1", &s2, &p, &err), 0);
	assert_string_equal(p.data, "Bakker");
	buf_release(&s1);
	buf_release(&s2);
	buf_release(&p);
}

static void seal_appends_and_respects_the_buffer_cap(void **state)
{
	struct fixture *f = *state;
	struct buf s, p;
	struct ok_error err;

	buf_init(&s, 0);
	assert_int_equal(buf_addstr(&s, "head"), 0);
	assert_int_equal(seal_field(&f->a, "title", "r", "abc", 3, &s, &err), 0);
	assert_int_equal(s.len, 4 + SEAL_OVERHEAD + 3);
	assert_memory_equal(s.data, "head", 4);
	buf_init(&p, 0);
	assert_int_equal(seal_open(&f->a, "title", "r", (const unsigned char *)s.data + 4,
	                           s.len - 4, &p, &err),
	                 0);
	assert_string_equal(p.data, "abc");
	buf_release(&s);
	buf_release(&p);

	/* A capped buffer refuses rather than truncates, both ways. */
	buf_init(&s, SEAL_OVERHEAD + 2);
	assert_int_equal(seal_field(&f->a, "title", "r", "abc", 3, &s, &err), OK_ETOOBIG);
	assert_int_equal(s.len, 0);
	buf_release(&s);
	buf_init(&s, 0);
	seal(&f->a, "title", "r", "abcdef", 6, &s);
	buf_init(&p, 5);
	assert_int_equal(
	        seal_open(&f->a, "title", "r", (const unsigned char *)s.data, s.len, &p, &err),
	        OK_ETOOBIG);
	buf_release(&s);
	buf_release(&p);
}

static void overlong_field_or_record_id_is_refused(void **state)
{
	struct fixture *f = *state;
	char rec[200];
	struct buf s;
	struct ok_error err;

	memset(rec, 'r', sizeof(rec) - 1);
	rec[sizeof(rec) - 1] = '\0';
	buf_init(&s, 0);
	assert_int_not_equal(seal_field(&f->a, "family_name", rec, "x", 1, &s, &err), 0);
	assert_int_equal(s.len, 0);
	/* The longest record id of the store (64 bytes) fits. */
	rec[64] = '\0';
	assert_int_equal(seal_field(&f->a, "family_name", rec, "x", 1, &s, &err), 0);
	buf_release(&s);
}

/* Blind index */

static void blind_index_is_deterministic_per_key(void **state)
{
	struct fixture *f = *state;
	unsigned char i1[SEAL_INDEX_BYTES], i2[SEAL_INDEX_BYTES], i3[SEAL_INDEX_BYTES];
	unsigned char i4[SEAL_INDEX_BYTES];

	seal_blind_index(&f->a, "123456782", i1);
	seal_blind_index(&f->a, "123456782", i2);
	assert_memory_equal(i1, i2, SEAL_INDEX_BYTES);
	seal_blind_index(&f->b, "123456782", i3);
	assert_memory_not_equal(i1, i3, SEAL_INDEX_BYTES);
	seal_blind_index(&f->a, "123456783", i4);
	assert_memory_not_equal(i1, i4, SEAL_INDEX_BYTES);
	/* Not a plain hash of the id. */
	crypto_generichash(i2, sizeof(i2), (const unsigned char *)"123456782", 9, NULL, 0);
	assert_memory_not_equal(i1, i2, SEAL_INDEX_BYTES);
	seal_blind_index(&f->a, "", i2);
	assert_memory_not_equal(i1, i2, SEAL_INDEX_BYTES);
}

/* Digest */

static void digest_of(const struct seal_keys *k, const char *const *parts, size_t n,
                      unsigned char out[SEAL_DIGEST_BYTES])
{
	struct seal_digest d;
	size_t i;

	seal_digest_init(&d, k);
	for (i = 0; i < n; i++)
		seal_digest_add_str(&d, parts[i]);
	seal_digest_final(&d, out);
}

static void digest_prefixes_lengths(void **state)
{
	struct fixture *f = *state;
	static const char *const ab_c[] = {"ab", "c"}, *const a_bc[] = {"a", "bc"};
	static const char *const abc[] = {"abc"}, *const abc_empty[] = {"abc", ""};
	static const char *const empty_abc[] = {"", "abc"};
	unsigned char d1[SEAL_DIGEST_BYTES], d2[SEAL_DIGEST_BYTES], d3[SEAL_DIGEST_BYTES];
	unsigned char d4[SEAL_DIGEST_BYTES], d5[SEAL_DIGEST_BYTES];

	digest_of(&f->a, ab_c, 2, d1);
	digest_of(&f->a, a_bc, 2, d2);
	digest_of(&f->a, abc, 1, d3);
	digest_of(&f->a, abc_empty, 2, d4);
	digest_of(&f->a, empty_abc, 2, d5);
	assert_memory_not_equal(d1, d2, SEAL_DIGEST_BYTES);
	assert_memory_not_equal(d1, d3, SEAL_DIGEST_BYTES);
	assert_memory_not_equal(d2, d3, SEAL_DIGEST_BYTES);
	assert_memory_not_equal(d3, d4, SEAL_DIGEST_BYTES);
	assert_memory_not_equal(d4, d5, SEAL_DIGEST_BYTES);
}

static void digest_is_deterministic_per_key(void **state)
{
	struct fixture *f = *state;
	static const char *const parts[] = {"123456782", "Anna", "de Vries", "2000-01-02"};
	unsigned char d1[SEAL_DIGEST_BYTES], d2[SEAL_DIGEST_BYTES], d3[SEAL_DIGEST_BYTES];
	struct seal_digest d;

	digest_of(&f->a, parts, 4, d1);
	digest_of(&f->a, parts, 4, d2);
	assert_memory_equal(d1, d2, SEAL_DIGEST_BYTES);
	digest_of(&f->b, parts, 4, d3);
	assert_memory_not_equal(d1, d3, SEAL_DIGEST_BYTES);
	/* add_str is add with the string's length. */
	seal_digest_init(&d, &f->a);
	seal_digest_add(&d, "123456782", 9);
	seal_digest_add(&d, "Anna", 4);
	seal_digest_add(&d, "de Vries", 8);
	seal_digest_add(&d, "2000-01-02", 10);
	seal_digest_final(&d, d2);
	assert_memory_equal(d1, d2, SEAL_DIGEST_BYTES);
	/* The index key and the digest key are not the same. */
	seal_blind_index(&f->a, "123456782", d3);
	digest_of(&f->a, parts, 1, d2);
	assert_memory_not_equal(d2, d3, SEAL_DIGEST_BYTES);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(keys_differ_per_purpose_and_per_data_key),
	        cmocka_unit_test(derivation_is_deterministic_and_release_wipes),
	        cmocka_unit_test(sealed_values_open_again),
	        cmocka_unit_test(sealed_form_has_the_documented_header),
	        cmocka_unit_test(any_flipped_bit_fails_to_open),
	        cmocka_unit_test(truncated_or_extended_values_fail),
	        cmocka_unit_test(values_are_bound_to_field_and_record),
	        cmocka_unit_test(another_data_key_fails),
	        cmocka_unit_test(two_seals_of_one_value_differ),
	        cmocka_unit_test(seal_appends_and_respects_the_buffer_cap),
	        cmocka_unit_test(overlong_field_or_record_id_is_refused),
	        cmocka_unit_test(blind_index_is_deterministic_per_key),
	        cmocka_unit_test(digest_prefixes_lengths),
	        cmocka_unit_test(digest_is_deterministic_per_key),
	};
	return cmocka_run_group_tests_name("privacy/seal", tests, setup, teardown);
}
