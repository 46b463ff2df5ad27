/* Unit tests for the wallet key's loader memo (keys/wallet.h): the same key and chain loaded
 * again skip the chain's check and give the same root, and a chain replaced by one that is not
 * the key's is refused all the same, however recently the old one was checked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ftw.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "jose/jwk.h"
#include "keys/wallet.h"

struct fixture {
	char a[64], b[64];
};

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f || sodium_init() < 0)
		return -1;
	snprintf(f->a, sizeof(f->a), "/tmp/ok-wallet-test-XXXXXX");
	snprintf(f->b, sizeof(f->b), "/tmp/ok-wallet-test-XXXXXX");
	if (!mkdtemp(f->a) || !mkdtemp(f->b))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	nftw(f->a, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
	nftw(f->b, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static void copy_file(const char *from_dir, const char *to_dir, const char *name)
{
	char from[128], to[128], data[65536];
	FILE *in, *out;
	size_t n;

	snprintf(from, sizeof(from), "%s/%s", from_dir, name);
	snprintf(to, sizeof(to), "%s/%s", to_dir, name);
	in = fopen(from, "rb");
	assert_non_null(in);
	n = fread(data, 1, sizeof(data), in);
	fclose(in);
	out = fopen(to, "wb");
	assert_non_null(out);
	assert_int_equal(fwrite(data, 1, n, out), n);
	fclose(out);
}

static void memo_by_content(void **state)
{
	struct fixture *f = *state;
	struct keys_wallet_memo *memo = calloc(1, sizeof(*memo));
	struct jose_signer s;
	struct buf chain, root, root2;
	struct ok_error err;
	int64_t now = (int64_t)time(NULL);

	assert_non_null(memo);
	assert_int_equal(keys_wallet_create(f->a, "a.example", "A", now, &err), 0);
	assert_int_equal(keys_wallet_create(f->b, "b.example", "B", now, &err), 0);
	buf_init(&chain, KEYS_WALLET_PEM_MAX);
	buf_init(&root, KEYS_WALLET_PEM_MAX);
	buf_init(&root2, KEYS_WALLET_PEM_MAX);
	assert_int_equal(keys_wallet_load_memo(f->a, memo, &s, &chain, &root, &err), 0);
	jose_signer_release(&s);
	assert_true(memo->valid);
	assert_true(root.len > 0 && strstr(root.data, "BEGIN CERTIFICATE"));
	/* Again: from the memo, the same root. */
	assert_int_equal(keys_wallet_load_memo(f->a, memo, &s, NULL, &root2, &err), 0);
	jose_signer_release(&s);
	assert_int_equal(root2.len, root.len);
	assert_memory_equal(root2.data, root.data, root.len);
	/* Another depository's chain beside this key: refused, memo or not. */
	copy_file(f->b, f->a, KEYS_WALLET_CHAIN);
	assert_int_equal(keys_wallet_load_memo(f->a, memo, &s, NULL, NULL, &err), OK_EINVALID);
	assert_false(memo->valid);
	assert_int_equal(keys_wallet_load(f->a, &s, NULL, &err), OK_EINVALID);
	buf_release(&chain);
	buf_release(&root);
	buf_release(&root2);
	free(memo);
}

/* Appends text to dir/name. */
static void append_file(const char *dir, const char *name, const char *text)
{
	char path[128];
	FILE *out;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	out = fopen(path, "ab");
	assert_non_null(out);
	assert_int_equal(fwrite(text, 1, strlen(text), out), strlen(text));
	fclose(out);
}

/* The verifier's trust (keys_wallet_trust): the own root and key, then wallet-roots.pem added,
 * changed and removed, and another wallet key put in place: each seen at the next refresh. */
static void trust_follows_files(void **state)
{
	struct fixture *f = *state;
	struct keys_wallet_trust *t = calloc(1, sizeof(*t));
	struct jose_signer s;
	struct buf root_a, root_b;
	struct ok_error err;
	uint8_t first[JOSE_X509_POINT_BYTES];
	int64_t now = (int64_t)time(NULL);
	char path[128];

	assert_non_null(t);
	buf_init(&root_a, KEYS_WALLET_PEM_MAX);
	buf_init(&root_b, KEYS_WALLET_PEM_MAX);
	/* No wallet key, no roots: nothing trusted. */
	assert_int_equal(keys_wallet_trust_refresh(f->a, t, &err), 0);
	assert_false(t->has_own);
	assert_null(t->roots);
	assert_int_equal(keys_wallet_create(f->a, "a.example", "A", now, &err), 0);
	assert_int_equal(keys_wallet_create(f->b, "b.example", "B", now, &err), 0);
	assert_int_equal(keys_wallet_load_memo(f->a, NULL, &s, NULL, &root_a, &err), 0);
	jose_signer_release(&s);
	assert_int_equal(keys_wallet_load_memo(f->b, NULL, &s, NULL, &root_b, &err), 0);
	jose_signer_release(&s);
	assert_int_equal(keys_wallet_trust_refresh(f->a, t, &err), 0);
	assert_true(t->has_own);
	assert_int_equal(t->roots_len, root_a.len);
	assert_memory_equal(t->roots, root_a.data, root_a.len);
	memcpy(first, t->own_point, sizeof(first));
	/* wallet-roots.pem added: its roots after the own one. */
	append_file(f->a, KEYS_WALLET_ROOTS, root_b.data);
	assert_int_equal(keys_wallet_trust_refresh(f->a, t, &err), 0);
	assert_int_equal(t->roots_len, root_a.len + root_b.len);
	assert_memory_equal(t->roots + root_a.len, root_b.data, root_b.len);
	/* Emptied, then removed: only the own root again. */
	snprintf(path, sizeof(path), "%s/%s", f->a, KEYS_WALLET_ROOTS);
	assert_int_equal(truncate(path, 0), 0);
	assert_int_equal(keys_wallet_trust_refresh(f->a, t, &err), 0);
	assert_int_equal(t->roots_len, root_a.len);
	append_file(f->a, KEYS_WALLET_ROOTS, root_b.data);
	assert_int_equal(keys_wallet_trust_refresh(f->a, t, &err), 0);
	assert_int_equal(remove(path), 0);
	assert_int_equal(keys_wallet_trust_refresh(f->a, t, &err), 0);
	assert_int_equal(t->roots_len, root_a.len);
	/* Another key and chain in place: the new key is the own one. */
	copy_file(f->b, f->a, KEYS_WALLET_CHAIN);
	copy_file(f->b, f->a, KEYS_WALLET_KEY);
	assert_int_equal(keys_wallet_trust_refresh(f->a, t, &err), 0);
	assert_true(t->has_own);
	assert_true(memcmp(first, t->own_point, sizeof(first)) != 0);
	assert_int_equal(t->roots_len, root_b.len);
	keys_wallet_trust_release(t);
	buf_release(&root_a);
	buf_release(&root_b);
	free(t);
}

/* keys_wallet_trust_refresh_watched: while the watch's count stays, the files are not looked
 * at (a change goes unseen until the count moves: the watch's job); a new count looks. A roots
 * file that is a symbolic link is looked at every time, whatever the count. */
static void trust_watched(void **state)
{
	struct fixture *f = *state;
	struct keys_wallet_trust *t = calloc(1, sizeof(*t));
	struct jose_signer s;
	struct buf root_a, root_b;
	struct ok_error err;
	int64_t now = (int64_t)time(NULL);
	char path[128], target[128];

	assert_non_null(t);
	buf_init(&root_a, KEYS_WALLET_PEM_MAX);
	buf_init(&root_b, KEYS_WALLET_PEM_MAX);
	assert_int_equal(keys_wallet_create(f->a, "a.example", "A", now, &err), 0);
	assert_int_equal(keys_wallet_create(f->b, "b.example", "B", now, &err), 0);
	assert_int_equal(keys_wallet_load_memo(f->a, NULL, &s, NULL, &root_a, &err), 0);
	jose_signer_release(&s);
	assert_int_equal(keys_wallet_load_memo(f->b, NULL, &s, NULL, &root_b, &err), 0);
	jose_signer_release(&s);
	assert_int_equal(keys_wallet_trust_refresh_watched(f->a, t, 1, &err), 0);
	assert_int_equal(t->roots_len, root_a.len);
	append_file(f->a, KEYS_WALLET_ROOTS, root_b.data);
	assert_int_equal(keys_wallet_trust_refresh_watched(f->a, t, 1, &err), 0);
	assert_int_equal(t->roots_len, root_a.len); /* not looked at */
	assert_int_equal(keys_wallet_trust_refresh_watched(f->a, t, 2, &err), 0);
	assert_int_equal(t->roots_len, root_a.len + root_b.len);
	/* The roots file a link to a file elsewhere: looked at each time from the next look. */
	snprintf(path, sizeof(path), "%s/%s", f->a, KEYS_WALLET_ROOTS);
	snprintf(target, sizeof(target), "%s/elsewhere.pem", f->b);
	assert_int_equal(remove(path), 0);
	append_file(f->b, "elsewhere.pem", root_b.data);
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(keys_wallet_trust_refresh_watched(f->a, t, 3, &err), 0);
	assert_false(t->plain);
	assert_int_equal(t->roots_len, root_a.len + root_b.len);
	assert_int_equal(truncate(target, 0), 0);
	assert_int_equal(keys_wallet_trust_refresh_watched(f->a, t, 3, &err), 0);
	assert_int_equal(t->roots_len, root_a.len);
	keys_wallet_trust_release(t);
	buf_release(&root_a);
	buf_release(&root_b);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(memo_by_content, setup, teardown),
	        cmocka_unit_test_setup_teardown(trust_follows_files, setup, teardown),
	        cmocka_unit_test_setup_teardown(trust_watched, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
