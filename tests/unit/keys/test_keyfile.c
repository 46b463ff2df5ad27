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

#include "keys/keyfile.h"

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

/* A temporary file left over with a wider mode (a run killed after a chmod, or planted) must
 * not give its mode to the key file. */
static void leftover_temp_file_does_not_lend_its_mode(void **state)
{
	struct fixture *f = *state;
	struct keyfile_keys k;
	struct ok_error err;
	struct stat st;
	char tmp[128];
	FILE *fp;
	uint32_t id;

	assert_int_equal(keyfile_create(f->path, &err), 0);
	assert_int_equal(keyfile_read_all(f->path, &k, NULL, &err), 0);
	assert_int_equal(keyfile_keys_add_random(&k, 0, &id, &err), 0);
	snprintf(tmp, sizeof(tmp), "%s.tmp", f->path);
	fp = fopen(tmp, "w");
	assert_non_null(fp);
	fputs("left over\n", fp);
	fclose(fp);
	assert_int_equal(chmod(tmp, 0644), 0);
	assert_int_equal(keyfile_write_all(f->path, &k, &err), 0);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_not_equal(access(tmp, F_OK), 0);
	keyfile_keys_release(&k);
	/* And the rewritten file is read again (a 0644 one would be refused). */
	assert_int_equal(keyfile_read_all(f->path, &k, NULL, &err), 0);
	assert_int_equal(k.count, 2);
	keyfile_keys_release(&k);
}

/* A symlink at the temporary name is not followed: its target keeps its contents. */
static void symlink_at_temp_name_is_not_followed(void **state)
{
	struct fixture *f = *state;
	struct keyfile_keys k;
	struct ok_error err;
	struct stat st;
	char tmp[128], target[128], back[64];
	FILE *fp;

	assert_int_equal(keyfile_create(f->path, &err), 0);
	assert_int_equal(keyfile_read_all(f->path, &k, NULL, &err), 0);
	snprintf(target, sizeof(target), "%s/elsewhere", f->dir);
	fp = fopen(target, "w");
	assert_non_null(fp);
	fputs("untouched\n", fp);
	fclose(fp);
	assert_int_equal(chmod(target, 0644), 0);
	snprintf(tmp, sizeof(tmp), "%s.tmp", f->path);
	assert_int_equal(symlink(target, tmp), 0);
	assert_int_equal(keyfile_write_all(f->path, &k, &err), 0);
	keyfile_keys_release(&k);
	assert_int_equal(lstat(f->path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	fp = fopen(target, "r");
	assert_non_null(fp);
	assert_non_null(fgets(back, sizeof(back), fp));
	fclose(fp);
	assert_string_equal(back, "untouched\n");
	assert_int_equal(stat(target, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	assert_int_equal(keyfile_read_all(f->path, &k, NULL, &err), 0);
	keyfile_keys_release(&k);
}

/* issuer.key.retired: public keys appended once each, 0600, read back; a missing file is
 * empty; another key under a listed id is refused. */
static void retired_keys_are_listed_once(void **state)
{
	struct fixture *f = *state;
	struct keyfile_retired *r = malloc(sizeof(*r));
	unsigned char pk1[32], pk2[32];
	struct ok_error err;
	struct stat st;
	char path[128];

	assert_non_null(r);
	memset(pk1, 1, sizeof(pk1));
	memset(pk2, 2, sizeof(pk2));
	snprintf(path, sizeof(path), "%s/issuer.key.retired", f->dir);
	assert_int_equal(keyfile_retired_read(path, r, &err), 0);
	assert_int_equal(r->count, 0);
	assert_int_equal(keyfile_retired_add(path, 1, pk1, 1000, &err), 0);
	assert_int_equal(keyfile_retired_add(path, 1, pk1, 2000, &err), 0); /* again: no-op */
	assert_int_equal(keyfile_retired_add(path, 3, pk2, 3000, &err), 0);
	assert_int_equal(keyfile_retired_add(path, 3, pk1, 4000, &err), OK_ECONFLICT);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(keyfile_retired_read(path, r, &err), 0);
	assert_int_equal(r->count, 2);
	assert_non_null(keyfile_retired_find(r, 1, pk1));
	assert_int_equal(keyfile_retired_find(r, 1, pk1)->retired_ms, 1000);
	assert_null(keyfile_retired_find(r, 1, pk2));
	assert_non_null(keyfile_retired_find(r, 3, pk2));
	/* Writable by others: not trusted. */
	assert_int_equal(chmod(path, 0666), 0);
	assert_int_equal(keyfile_retired_read(path, r, &err), OK_EAUTH);
	assert_int_equal(chmod(path, 0600), 0);
	/* A damaged line is named. */
	{
		FILE *fp = fopen(path, "a");
		assert_non_null(fp);
		fputs("4 nothex 5\n", fp);
		fclose(fp);
	}
	assert_int_equal(keyfile_retired_read(path, r, &err), OK_EINPUT);
	assert_non_null(strstr(err.message, "line 3"));
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(leftover_temp_file_does_not_lend_its_mode, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(symlink_at_temp_name_is_not_followed, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(retired_keys_are_listed_once, setup, teardown),
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
