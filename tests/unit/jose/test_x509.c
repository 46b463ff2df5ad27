/* Unit tests of src/jose/x509.c: a local chain made, checked against its key and dates, and
 * validated from an x5c header against trusted roots. */
#include "jose_test.h"

#include <sodium.h>
#include <time.h>

#include "jose/jwk.h"
#include "jose/x509.h"

static const int64_t NOW = 1780000000; /* 2026-05-28 */

static void test_local_chain(void **state)
{
	struct jose_signer key, other;
	struct jose_jwk pub, leaf;
	struct buf chain, root, chain2, root2, swapped;
	struct ok_error err;
	json_t *x5c;
	const char *second;

	(void)state;
	assert_int_equal(jose_signer_es256_generate(&key, &err), 0);
	assert_int_equal(jose_signer_es256_generate(&other, &err), 0);
	buf_init(&chain, 1 << 16);
	buf_init(&chain2, 1 << 16);
	buf_init(&root, 1 << 16);
	buf_init(&root2, 1 << 16);
	buf_init(&swapped, 1 << 16);
	assert_int_equal(
	        jose_x509_make_chain(&key, "diploma.example.nl", "DUO", NOW, 365, &chain, &err), 0);
	assert_int_equal(jose_x509_chain_check(chain.data, chain.len, &key, NOW, &err), 0);
	/* Another key, a time past the end, a time before the start. */
	assert_int_equal(jose_x509_chain_check(chain.data, chain.len, &other, NOW, &err),
	                 OK_EINVALID);
	assert_string_equal(err.field, "key");
	assert_int_equal(
	        jose_x509_chain_check(chain.data, chain.len, &key, NOW + 400 * 86400, &err),
	        OK_EINVALID);
	assert_non_null(strstr(err.message, "expired"));
	assert_int_equal(jose_x509_chain_check(chain.data, chain.len, &key, NOW - 86400, &err),
	                 OK_EINVALID);
	/* The certificates in the wrong order: the first is not the key's. */
	second = strstr(chain.data + 1, "-----BEGIN CERTIFICATE-----");
	assert_non_null(second);
	assert_int_equal(buf_addstr(&swapped, second), 0);
	assert_int_equal(buf_add(&swapped, chain.data, (size_t)(second - chain.data)), 0);
	assert_int_equal(jose_x509_chain_check(swapped.data, swapped.len, &key, NOW, &err),
	                 OK_EINVALID);
	/* Hosts that are not plain DNS names never reach a certificate. */
	assert_int_equal(
	        jose_x509_make_chain(&key, "a.nl,DNS:evil.example", NULL, NOW, 365, &chain2, &err),
	        OK_EINPUT);

	/* x5c validated against the chain's own CA: the leaf key comes back. */
	assert_int_equal(jose_x509_chain_x5c(chain.data, chain.len, &x5c, &err), 0);
	assert_int_equal(json_array_size(x5c), 2);
	assert_int_equal(jose_x509_chain_root(chain.data, chain.len, &root, &err), 0);
	assert_int_equal(jose_x509_verify_x5c(x5c, root.data, root.len, NOW, &leaf, &err), 0);
	assert_int_equal(jose_signer_public(&key, &pub, &err), 0);
	assert_true(jose_jwk_equal(&pub, &leaf));
	jose_jwk_release(&leaf);
	/* Not trusted: another CA as the root, no roots, expired. */
	assert_int_equal(
	        jose_x509_make_chain(&other, "other.example", NULL, NOW, 365, &chain2, &err), 0);
	assert_int_equal(jose_x509_chain_root(chain2.data, chain2.len, &root2, &err), 0);
	assert_int_equal(jose_x509_verify_x5c(x5c, root2.data, root2.len, NOW, &leaf, &err),
	                 OK_EINVALID);
	assert_string_equal(err.field, "header.x5c");
	assert_int_equal(jose_x509_verify_x5c(x5c, NULL, 0, NOW, &leaf, &err), OK_EINVALID);
	assert_int_equal(
	        jose_x509_verify_x5c(x5c, root.data, root.len, NOW + 400 * 86400, &leaf, &err),
	        OK_EINVALID);
	/* Garbage in x5c. */
	{
		json_t *bad = json_pack("[s]", "bm90IGEgY2VydA==");
		assert_int_equal(jose_x509_verify_x5c(bad, root.data, root.len, NOW, &leaf, &err),
		                 OK_EINPUT);
		json_decref(bad);
	}

	json_decref(x5c);
	jose_jwk_release(&pub);
	buf_release(&chain);
	buf_release(&chain2);
	buf_release(&root);
	buf_release(&root2);
	buf_release(&swapped);
	jose_signer_release(&key);
	jose_signer_release(&other);
}

/* The verifier's memo of validated chains: a chain it validated comes back from it, but only
 * against the same roots and inside every certificate's dates; anything else is validated
 * again (and fails as it would without the memo). */
static void test_memo(void **state)
{
	struct jose_signer key, other;
	struct jose_x509_memo memo;
	struct jose_jwk leaf, pub;
	struct buf chain, root, chain2, root2;
	uint8_t point[JOSE_X509_POINT_BYTES], again[JOSE_X509_POINT_BYTES];
	struct ok_error err;
	json_t *x5c, *x5c2;
	size_t i, used = 0;

	(void)state;
	memset(&memo, 0, sizeof(memo));
	buf_init(&chain, 1 << 16);
	buf_init(&chain2, 1 << 16);
	buf_init(&root, 1 << 16);
	buf_init(&root2, 1 << 16);
	assert_int_equal(jose_signer_es256_generate(&key, &err), 0);
	assert_int_equal(jose_signer_es256_generate(&other, &err), 0);
	assert_int_equal(jose_x509_make_chain(&key, "a.example", NULL, NOW, 365, &chain, &err), 0);
	assert_int_equal(jose_x509_make_chain(&other, "b.example", NULL, NOW, 365, &chain2, &err),
	                 0);
	assert_int_equal(jose_x509_chain_x5c(chain.data, chain.len, &x5c, &err), 0);
	assert_int_equal(jose_x509_chain_x5c(chain2.data, chain2.len, &x5c2, &err), 0);
	assert_int_equal(jose_x509_chain_root(chain.data, chain.len, &root, &err), 0);
	assert_int_equal(jose_x509_chain_root(chain2.data, chain2.len, &root2, &err), 0);

	assert_int_equal(
	        jose_x509_verify_x5c_memo(&memo, x5c, root.data, root.len, NOW, &leaf, point, &err),
	        0);
	assert_int_equal(jose_signer_public(&key, &pub, &err), 0);
	assert_true(jose_jwk_equal(&pub, &leaf));
	assert_int_equal(point[0], 4);
	jose_jwk_release(&leaf);
	for (i = 0; i < JOSE_X509_MEMO_ENTRIES; i++)
		used += memo.e[i].key.kty == JOSE_KTY_EC;
	assert_int_equal(used, 1);
	/* Again, a day later: from the memo, the same key. */
	assert_int_equal(jose_x509_verify_x5c_memo(&memo, x5c, root.data, root.len, NOW + 86400,
	                                           &leaf, again, &err),
	                 0);
	assert_true(jose_jwk_equal(&pub, &leaf));
	assert_memory_equal(point, again, sizeof(point));
	jose_jwk_release(&leaf);
	/* Other roots, a time past the end or before the start, another chain: not from the memo.
	 */
	assert_int_equal(jose_x509_verify_x5c_memo(&memo, x5c, root2.data, root2.len, NOW, &leaf,
	                                           point, &err),
	                 OK_EINVALID);
	assert_int_equal(jose_x509_verify_x5c_memo(&memo, x5c, root.data, root.len,
	                                           NOW + 400 * 86400, &leaf, point, &err),
	                 OK_EINVALID);
	assert_non_null(strstr(err.message, "expired"));
	assert_int_equal(jose_x509_verify_x5c_memo(&memo, x5c, root.data, root.len, NOW - 86400,
	                                           &leaf, point, &err),
	                 OK_EINVALID);
	assert_int_equal(jose_x509_verify_x5c_memo(&memo, x5c2, root.data, root.len, NOW, &leaf,
	                                           point, &err),
	                 OK_EINVALID);
	/* Failures are not remembered. */
	for (used = 0, i = 0; i < JOSE_X509_MEMO_ENTRIES; i++)
		used += memo.e[i].key.kty == JOSE_KTY_EC;
	assert_int_equal(used, 1);

	jose_x509_memo_release(&memo);
	json_decref(x5c);
	json_decref(x5c2);
	jose_jwk_release(&pub);
	buf_release(&chain);
	buf_release(&chain2);
	buf_release(&root);
	buf_release(&root2);
	jose_signer_release(&key);
	jose_signer_release(&other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_local_chain),
	        cmocka_unit_test(test_memo),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
