/* Unit tests for data folders and key files: creating, refusing to overwrite, opening, key file
 * permissions and syntax, the audit helper and record ids. */
#include "registry/registry_test.h"
#include "audit/txn.h"

#include <unistd.h>

#include "keys/keyfile.h"

static void path_in(const struct reg_fixture *f, const char *name, char *out, size_t cap)
{
	assert_true(snprintf(out, cap, "%s/%s", f->dir, name) < (int)cap);
}

static unsigned mode_of(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		fail_msg("%s is missing", path);
	return (unsigned)(st.st_mode & 0777);
}

static void write_text(const char *path, const char *text, unsigned mode)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_true(fputs(text, fp) >= 0);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(chmod(path, (mode_t)mode), 0);
}

#define KEY_A "1 1111111111111111111111111111111111111111111111111111111111111111\n"

/* Creating */

static void create_makes_a_private_data_folder(void **state)
{
	struct reg_fixture *f = *state;
	struct ok_error err;
	char path[160];

	assert_int_equal(depository_create(f->dir, "diploma.example.nl", &err), 0);
	assert_int_equal(mode_of(f->dir), 0700);
	path_in(f, "data.key", path, sizeof(path));
	assert_int_equal(mode_of(path), 0600);
	path_in(f, "issuer.key", path, sizeof(path));
	assert_int_equal(mode_of(path), 0600);
	path_in(f, "config.json", path, sizeof(path));
	assert_int_equal(mode_of(path), 0600);
	assert_true(reg_file_contains(path, "diploma.example.nl"));
	path_in(f, "oorkonde.db", path, sizeof(path));
	assert_int_equal(access(path, F_OK), 0);
	path_in(f, "data.key.tmp", path, sizeof(path));
	assert_int_not_equal(access(path, F_OK), 0);

	/* The two keys are different random keys. */
	{
		unsigned char k1[32], k2[32];
		uint32_t id1, id2;

		path_in(f, "data.key", path, sizeof(path));
		assert_int_equal(keyfile_read(path, &id1, k1, &err), 0);
		path_in(f, "issuer.key", path, sizeof(path));
		assert_int_equal(keyfile_read(path, &id2, k2, &err), 0);
		assert_int_equal(id1, 1);
		assert_int_equal(id2, 1);
		assert_memory_not_equal(k1, k2, 32);
	}
	assert_int_equal(depository_open(&f->d, f->dir, &err), 0);
	f->open = true;
	assert_string_equal(f->d.host, "diploma.example.nl");
	assert_non_null(f->d.store);
	assert_int_equal(f->d.keys.key_id, 1);
}

static void create_refuses_a_folder_that_is_not_empty(void **state)
{
	struct reg_fixture *f = *state;
	struct ok_error err;
	char path[160];

	assert_int_equal(mkdir(f->dir, 0755), 0);
	path_in(f, "notes.txt", path, sizeof(path));
	write_text(path, "mine\n", 0644);
	ok_error_clear(&err);
	assert_int_equal(depository_create(f->dir, NULL, &err), OK_EEXIST);
	assert_non_null(strstr(err.message, "not empty"));
	path_in(f, "data.key", path, sizeof(path));
	assert_int_not_equal(access(path, F_OK), 0);
	path_in(f, "notes.txt", path, sizeof(path));
	assert_true(reg_file_contains(path, "mine"));

	/* Nor is an existing data folder overwritten. */
	assert_int_equal(remove(path), 0);
	assert_int_equal(depository_create(f->dir, NULL, &err), 0);
	path_in(f, "data.key", path, sizeof(path));
	{
		unsigned char before[32], after[32];
		uint32_t id;

		assert_int_equal(keyfile_read(path, &id, before, &err), 0);
		assert_int_equal(depository_create(f->dir, NULL, &err), OK_EEXIST);
		assert_int_equal(keyfile_read(path, &id, after, &err), 0);
		assert_memory_equal(before, after, 32);
	}
}

static void create_accepts_an_empty_folder(void **state)
{
	struct reg_fixture *f = *state;
	struct ok_error err;

	assert_int_equal(mkdir(f->dir, 0700), 0);
	assert_int_equal(depository_create(f->dir, NULL, &err), 0);
	assert_int_equal(depository_open(&f->d, f->dir, &err), 0);
	f->open = true;
	assert_string_equal(f->d.host, ""); /* no host: a did:key identity */
}

static void create_checks_the_host(void **state)
{
	static const char *const bad[] = {"", "diploma example.nl", "a/b", "host;rm -rf", "é.nl"};
	struct reg_fixture *f = *state;
	struct ok_error err;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ok_error_clear(&err);
		assert_int_equal(depository_create(f->dir, bad[i], &err), OK_EINPUT);
		assert_string_equal(err.field, "host");
		assert_int_not_equal(access(f->dir, F_OK), 0); /* nothing made */
	}
	assert_int_equal(depository_create(f->dir, "127.0.0.1:8080", &err), 0);
}

/* Opening */

static void open_of_a_missing_folder_says_to_run_init(void **state)
{
	struct reg_fixture *f = *state;
	struct ok_error err;

	ok_error_clear(&err);
	assert_int_equal(depository_open(&f->d, f->dir, &err), OK_ENOTFOUND);
	assert_non_null(strstr(err.message, "oorkonde init"));
	assert_null(f->d.store);
	/* A file where the folder should be is no data folder either. */
	write_text(f->dir, "x", 0600);
	assert_int_equal(depository_open(&f->d, f->dir, &err), OK_ENOTFOUND);
}

static void open_refuses_a_world_readable_data_key(void **state)
{
	struct reg_fixture *f = *state;
	struct ok_error err;
	char path[160];

	assert_int_equal(depository_create(f->dir, NULL, &err), 0);
	path_in(f, "data.key", path, sizeof(path));
	assert_int_equal(chmod(path, 0644), 0);
	ok_error_clear(&err);
	assert_int_equal(depository_open(&f->d, f->dir, &err), OK_EAUTH);
	assert_non_null(strstr(err.message, "0600"));
	assert_null(f->d.store);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(depository_open(&f->d, f->dir, &err), 0);
	f->open = true;
}

static void open_reports_a_broken_config(void **state)
{
	struct reg_fixture *f = *state;
	struct ok_error err;
	char path[160];

	assert_int_equal(depository_create(f->dir, NULL, &err), 0);
	path_in(f, "config.json", path, sizeof(path));
	write_text(path, "{\"host\": \"a\",\n  oops}\n", 0600);
	ok_error_clear(&err);
	assert_int_equal(depository_open(&f->d, f->dir, &err), OK_EINPUT);
	assert_int_equal(err.line, 2);
	write_text(path, "{\"host\": 42}", 0600);
	assert_int_equal(depository_open(&f->d, f->dir, &err), OK_EINPUT);
	assert_int_equal(remove(path), 0);
	assert_int_equal(depository_open(&f->d, f->dir, &err), OK_ENOTFOUND);
}

/* Key files */

static void keyfile_reads_the_last_key(void **state)
{
	struct reg_fixture *f = *state;
	unsigned char key[32], want[32];
	struct ok_error err;
	uint32_t id = 0;
	char path[160];

	assert_int_equal(mkdir(f->dir, 0700), 0);
	path_in(f, "k.key", path, sizeof(path));
	write_text(path,
	           "# rotated keys, oldest first\n"
	           "\n" KEY_A
	           "7 ABCDEFabcdef0123456789abcdef0123456789abcdef0123456789abcdef0123\r\n",
	           0600);
	assert_int_equal(keyfile_read(path, &id, key, &err), 0);
	assert_int_equal(id, 7);
	assert_int_equal(sodium_hex2bin(want, 32,
	                                "abcdefabcdef0123456789abcdef0123456789abcdef0123456789abcd"
	                                "ef0123",
	                                64, NULL, NULL, NULL),
	                 0);
	assert_memory_equal(key, want, 32);
	write_text(path, KEY_A, 0400);
	assert_int_equal(keyfile_read(path, &id, key, &err), 0);
	assert_int_equal(id, 1);
	memset(want, 0x11, sizeof(want));
	assert_memory_equal(key, want, 32);
}

static void keyfile_refuses_a_file_others_can_read(void **state)
{
	static const unsigned modes[] = {0644, 0604, 0640, 0660, 0606, 0666, 0601};
	struct reg_fixture *f = *state;
	unsigned char key[32];
	struct ok_error err;
	uint32_t id;
	char path[160];
	size_t i;

	assert_int_equal(mkdir(f->dir, 0700), 0);
	path_in(f, "k.key", path, sizeof(path));
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		write_text(path, KEY_A, modes[i]);
		ok_error_clear(&err);
		if (keyfile_read(path, &id, key, &err) != OK_EAUTH)
			fail_msg("mode %03o accepted", modes[i]);
		assert_non_null(strstr(err.message, "0600"));
		assert_null(strstr(err.message, "1111111111"));
	}
}

static void keyfile_names_the_malformed_line(void **state)
{
	static const struct {
		const char *text;
		size_t line;
	} bad[] = {
	        {"1 11111111111111111111111111111111111111111111111111111111111111\n", 1}, /* 62 */
	        {"# keys\n" KEY_A
	         "2 zz11111111111111111111111111111111111111111111111111111111111111\n",
	         3},
	        {"\n\nx 1111111111111111111111111111111111111111111111111111111111111111\n", 3},
	        {"0 1111111111111111111111111111111111111111111111111111111111111111\n", 1},
	        {"1\t1111111111111111111111111111111111111111111111111111111111111111\n", 1},
	        {"4294967296 1111111111111111111111111111111111111111111111111111111111111111\n",
	         1},
	        {KEY_A "1 111111111111111111111111111111111111111111111111111111111111111111\n", 2},
	        {"1 1111111111111111111111111111111111111111111111111111111111111111 extra\n", 1},
	};
	struct reg_fixture *f = *state;
	unsigned char key[32];
	struct ok_error err;
	uint32_t id;
	char path[160], needle[32];
	size_t i;

	assert_int_equal(mkdir(f->dir, 0700), 0);
	path_in(f, "k.key", path, sizeof(path));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_text(path, bad[i].text, 0600);
		ok_error_clear(&err);
		if (keyfile_read(path, &id, key, &err) != OK_EINPUT)
			fail_msg("case %zu accepted", i);
		assert_int_equal(err.line, bad[i].line);
		snprintf(needle, sizeof(needle), "line %zu", bad[i].line);
		if (!strstr(err.message, needle))
			fail_msg("case %zu: \"%s\" does not name %s", i, err.message, needle);
		assert_null(strstr(err.message, "1111111111"));
	}
	/* A file with no key at all. */
	write_text(path, "# nothing yet\n\n", 0600);
	assert_int_equal(keyfile_read(path, &id, key, &err), OK_EINPUT);
	assert_non_null(strstr(err.message, "no key"));
	/* A missing file. */
	path_in(f, "absent.key", path, sizeof(path));
	assert_int_equal(keyfile_read(path, &id, key, &err), OK_ENOTFOUND);
}

static void keyfile_create_is_exclusive(void **state)
{
	struct reg_fixture *f = *state;
	unsigned char k1[32], k2[32];
	struct ok_error err;
	uint32_t id;
	char path[160];

	assert_int_equal(mkdir(f->dir, 0700), 0);
	path_in(f, "new.key", path, sizeof(path));
	assert_int_equal(keyfile_create(path, &err), 0);
	assert_int_equal(mode_of(path), 0600);
	assert_int_equal(keyfile_read(path, &id, k1, &err), 0);
	assert_int_equal(keyfile_create(path, &err), OK_EEXIST);
	assert_int_equal(keyfile_read(path, &id, k2, &err), 0);
	assert_memory_equal(k1, k2, 32);
}

/* The audit helper and record ids */

struct events {
	struct audit_event e[16];
	size_t n;
};

static int collect(void *ctx, const struct audit_event *e)
{
	struct events *c = ctx;

	if (c->n < 16)
		c->e[c->n] = *e;
	c->n++;
	return 0;
}

static void audit_helper_appends_to_the_chain(void **state)
{
	struct reg_fixture *f = *state;
	struct events c;
	struct ok_error err;
	unsigned char h[AUDIT_HASH_BYTES];
	size_t i, before;

	memset(&c, 0, sizeof(c));
	assert_int_equal(store_audit_list(f->d.store, 0, collect, &c, &err), 0);
	before = c.n; /* the institution's own events */
	assert_true(before >= 1);
	assert_int_equal(audit_record(&f->d, "operator", "test.one", "s1", "testing", "d=1", &err),
	                 0);
	assert_int_equal(store_begin(f->d.store, &err), 0);
	assert_int_equal(audit_record(&f->d, "operator", "test.two", "s2", "testing", "", &err), 0);
	assert_int_equal(store_commit(f->d.store, &err), 0);
	/* Inside a transaction that is rolled back, the event goes too. */
	assert_int_equal(store_begin(f->d.store, &err), 0);
	assert_int_equal(audit_record(&f->d, "operator", "test.three", "s3", "testing", "", &err),
	                 0);
	assert_int_equal(store_rollback(f->d.store), 0);

	memset(&c, 0, sizeof(c));
	assert_int_equal(store_audit_list(f->d.store, 0, collect, &c, &err), 0);
	assert_int_equal(c.n, before + 2);
	assert_string_equal(c.e[before].action, "test.one");
	assert_string_equal(c.e[before + 1].action, "test.two");
	for (i = 0; i < c.n; i++) {
		assert_int_equal(c.e[i].seq, (int64_t)i + 1);
		if (i)
			assert_memory_equal(c.e[i].prev_hash, c.e[i - 1].hash, AUDIT_HASH_BYTES);
		audit_event_hash(&c.e[i], h);
		assert_memory_equal(h, c.e[i].hash, AUDIT_HASH_BYTES);
	}
}

static void new_ids_are_random_hex(void **state)
{
	char a[25], b[25];
	size_t i;

	(void)state;
	assert_int_equal(sodium_init() < 0, 0);
	depository_new_id(a);
	depository_new_id(b);
	assert_int_equal(strlen(a), 24);
	assert_string_not_equal(a, b);
	for (i = 0; i < 24; i++)
		assert_non_null(strchr("0123456789abcdef", a[i]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(create_makes_a_private_data_folder, reg_setup_empty,
	                                        reg_teardown),
	        cmocka_unit_test_setup_teardown(create_refuses_a_folder_that_is_not_empty,
	                                        reg_setup_empty, reg_teardown),
	        cmocka_unit_test_setup_teardown(create_accepts_an_empty_folder, reg_setup_empty,
	                                        reg_teardown),
	        cmocka_unit_test_setup_teardown(create_checks_the_host, reg_setup_empty,
	                                        reg_teardown),
	        cmocka_unit_test_setup_teardown(open_of_a_missing_folder_says_to_run_init,
	                                        reg_setup_empty, reg_teardown),
	        cmocka_unit_test_setup_teardown(open_refuses_a_world_readable_data_key,
	                                        reg_setup_empty, reg_teardown),
	        cmocka_unit_test_setup_teardown(open_reports_a_broken_config, reg_setup_empty,
	                                        reg_teardown),
	        cmocka_unit_test_setup_teardown(keyfile_reads_the_last_key, reg_setup_empty,
	                                        reg_teardown),
	        cmocka_unit_test_setup_teardown(keyfile_refuses_a_file_others_can_read,
	                                        reg_setup_empty, reg_teardown),
	        cmocka_unit_test_setup_teardown(keyfile_names_the_malformed_line, reg_setup_empty,
	                                        reg_teardown),
	        cmocka_unit_test_setup_teardown(keyfile_create_is_exclusive, reg_setup_empty,
	                                        reg_teardown),
	        cmocka_unit_test_setup_teardown(audit_helper_appends_to_the_chain, reg_setup,
	                                        reg_teardown),
	        cmocka_unit_test(new_ids_are_random_hex),
	};
	return cmocka_run_group_tests_name("depository/depository", tests, NULL, NULL);
}
