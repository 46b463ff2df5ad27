/* Unit tests for key files: every key read in order, atomic rewrites with mode 0600, new ids
 * above every id used, removal, stamps that tell a rewritten file, and bad files refused with
 * the line. */
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
#include <unistd.h>

#include "registry/keyfile.h"

struct fixture {
	char dir[64];
	char path[96];
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
	snprintf(f->dir, sizeof(f->dir), "/tmp/ok-keyfile-test-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/data.key", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	nftw(f->dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static void write_text(const char *path, const char *text, mode_t mode)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	assert_int_equal(chmod(path, mode), 0);
}

static void created_file_holds_one_key_with_id_1(void **state)
{
	struct fixture *f = *state;
	struct keyfile_keys k;
	struct ok_error err;
	struct stat st;
	unsigned char key[32];
	uint32_t id;

	assert_int_equal(keyfile_create(f->path, &err), 0);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(keyfile_read_all(f->path, &k, NULL, &err), 0);
	assert_int_equal(k.count, 1);
	assert_int_equal(k.keys[0].id, 1);
	assert_int_equal(keyfile_read(f->path, &id, key, &err), 0);
	assert_int_equal(id, 1);
	assert_memory_equal(key, k.keys[0].key, 32);
	assert_int_equal(keyfile_create(f->path, &err), OK_EEXIST);
	keyfile_keys_release(&k);
}

static void added_keys_are_current_and_survive_a_rewrite(void **state)
{
	struct fixture *f = *state;
	struct keyfile_keys k, again;
	struct keyfile_stamp before, read_stamp, after;
	struct ok_error err;
	unsigned char key[32];
	uint32_t id, cur;
	struct stat st;

	assert_int_equal(keyfile_create(f->path, &err), 0);
	assert_true(keyfile_stamp_of(f->path, &before));
	assert_int_equal(keyfile_read_all(f->path, &k, &read_stamp, &err), 0);
	assert_true(keyfile_stamp_equal(&before, &read_stamp));
	/* Above every id of the file... */
	assert_int_equal(keyfile_keys_add_random(&k, 0, &id, &err), 0);
	assert_int_equal(id, 2);
	/* ... and above the highest id ever used (a retired key's). */
	assert_int_equal(keyfile_keys_add_random(&k, 7, &id, &err), 0);
	assert_int_equal(id, 8);
	assert_memory_not_equal(k.keys[1].key, k.keys[2].key, 32);
	assert_int_equal(keyfile_write_all(f->path, &k, &err), 0);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_true(keyfile_stamp_of(f->path, &after));
	assert_false(keyfile_stamp_equal(&before, &after));
	assert_int_equal(keyfile_read_all(f->path, &again, NULL, &err), 0);
	assert_int_equal(again.count, 3);
	assert_memory_equal(&again, &k, sizeof(k));
	assert_int_equal(keyfile_read(f->path, &cur, key, &err), 0);
	assert_int_equal(cur, 8);
	assert_memory_equal(key, k.keys[2].key, 32);
	/* No temporary file is left behind. */
	{
		char tmp[128];
		snprintf(tmp, sizeof(tmp), "%s.tmp", f->path);
		assert_int_not_equal(access(tmp, F_OK), 0);
	}
	keyfile_keys_release(&k);
	keyfile_keys_release(&again);
	assert_int_equal(again.count, 0);
}

static void removing_keys_keeps_the_order(void **state)
{
	struct fixture *f = *state;
	struct keyfile_keys k;
	struct ok_error err;
	unsigned char third[32];
	uint32_t id;

	assert_int_equal(keyfile_create(f->path, &err), 0);
	assert_int_equal(keyfile_read_all(f->path, &k, NULL, &err), 0);
	assert_int_equal(keyfile_keys_add_random(&k, 0, &id, &err), 0);
	assert_int_equal(keyfile_keys_add_random(&k, 0, &id, &err), 0);
	memcpy(third, k.keys[2].key, 32);
	assert_int_equal(keyfile_keys_remove(&k, 2, &err), 0);
	assert_int_equal(k.count, 2);
	assert_int_equal(k.keys[0].id, 1);
	assert_int_equal(k.keys[1].id, 3);
	assert_memory_equal(k.keys[1].key, third, 32);
	assert_int_equal(keyfile_keys_remove(&k, 2, &err), OK_ENOTFOUND);
	assert_int_equal(keyfile_keys_remove(&k, 1, &err), 0);
	assert_int_equal(keyfile_write_all(f->path, &k, &err), 0);
	keyfile_keys_release(&k);
	assert_int_equal(keyfile_read_all(f->path, &k, NULL, &err), 0);
	assert_int_equal(k.count, 1);
	assert_int_equal(k.keys[0].id, 3);
	assert_memory_equal(k.keys[0].key, third, 32);
	keyfile_keys_release(&k);
	/* An empty set is never written. */
	memset(&k, 0, sizeof(k));
	assert_int_not_equal(keyfile_write_all(f->path, &k, &err), 0);
}

static void bad_files_are_refused_with_the_line(void **state)
{
	static const char hex[] =
	        "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
	struct fixture *f = *state;
	struct keyfile_keys k;
	struct ok_error err;
	char text[4096];
	size_t used = 0;
	int i;

	snprintf(text, sizeof(text), "# comment\n1 %s\n\n2 %s\n", hex, hex);
	write_text(f->path, text, 0600);
	assert_int_equal(keyfile_read_all(f->path, &k, NULL, &err), 0);
	assert_int_equal(k.count, 2);
	keyfile_keys_release(&k);

	write_text(f->path, text, 0644);
	assert_int_equal(keyfile_read_all(f->path, &k, NULL, &err), OK_EAUTH);
	assert_non_null(strstr(err.message, "0600"));

	snprintf(text, sizeof(text), "1 %s\n1 %s\n", hex, hex);
	write_text(f->path, text, 0600);
	assert_int_equal(keyfile_read_all(f->path, &k, NULL, &err), OK_EINPUT);
	assert_int_equal(err.line, 2);
	assert_non_null(strstr(err.message, "id"));
	assert_int_equal(k.count, 0);

	snprintf(text, sizeof(text), "1 %s\n2 %.60s\n", hex, hex);
	write_text(f->path, text, 0600);
	assert_int_equal(keyfile_read_all(f->path, &k, NULL, &err), OK_EINPUT);
	assert_int_equal(err.line, 2);
	/* No key material in the message. */
	assert_null(strstr(err.message, "001122"));

	write_text(f->path, "-1 abc\n", 0600);
	assert_int_equal(keyfile_read_all(f->path, &k, NULL, &err), OK_EINPUT);
	write_text(f->path, "0 abc\n", 0600);
	assert_int_equal(keyfile_read_all(f->path, &k, NULL, &err), OK_EINPUT);
	write_text(f->path, "# nothing\n", 0600);
	assert_int_equal(keyfile_read_all(f->path, &k, NULL, &err), OK_EINPUT);

	for (i = 1; i <= KEYFILE_MAX_KEYS + 1; i++)
		used += (size_t)snprintf(text + used, sizeof(text) - used, "%d %s\n", i, hex);
	write_text(f->path, text, 0600);
	assert_int_equal(keyfile_read_all(f->path, &k, NULL, &err), OK_ELIMIT);

	assert_int_equal(unlink(f->path), 0);
	assert_int_equal(keyfile_read_all(f->path, &k, NULL, &err), OK_ENOTFOUND);
	assert_false(keyfile_stamp_of(f->path, &(struct keyfile_stamp){0}));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(created_file_holds_one_key_with_id_1, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(added_keys_are_current_and_survive_a_rewrite, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(removing_keys_keeps_the_order, setup, teardown),
	        cmocka_unit_test_setup_teardown(bad_files_are_refused_with_the_line, setup,
	                                        teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
