/* Unit tests for the store's backup operations over the SQLite back end: the copy is one
 * snapshot of what was committed (never another connection's open transaction), private (0600),
 * opens as a store with the same schema version and audit head, and never replaces a file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/chain.h"
#include "core/error.h"
#include "store/store.h"

#include "store_fixture.h"

struct fixture {
	char dir[64];
	char path[128];
	char copy[128];
	struct store *s;
};

static void append_event(struct store *s)
{
	unsigned char head[AUDIT_HASH_BYTES];
	struct audit_event e;
	struct ok_error err;
	int64_t seq;

	audit_event_init(&e, "operator", "test.event", "", "testing", "");
	assert_int_equal(store_audit_head(s, &seq, head, &err), 0);
	audit_event_link(&e, seq, head);
	assert_int_equal(store_audit_insert(s, &e, &err), 0);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct ok_error err;
	int i;

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/ok-backup-test-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/test.db", f->dir);
	snprintf(f->copy, sizeof(f->copy), "%s/copy.db", f->dir);
	if (store_sqlite_open(&f->s, f->path, true, &err) != 0)
		return -1;
	store_fixture_add_institution(f->s, "21PB");
	for (i = 0; i < 5; i++)
		append_event(f->s);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	store_close(f->s);
	nftw(f->dir, store_fixture_remove, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static void the_copy_is_the_committed_state(void **state)
{
	struct fixture *f = *state;
	struct store *other = NULL, *copy = NULL;
	struct store_institution got;
	unsigned char head[AUDIT_HASH_BYTES], copy_head[AUDIT_HASH_BYTES];
	int64_t seq, copy_seq;
	int version = 0, copy_version = 0;
	struct ok_error err;
	struct stat st;

	/* Another connection is in the middle of a write transaction. */
	assert_int_equal(store_sqlite_open(&other, f->path, false, &err), 0);
	assert_int_equal(store_begin(other, &err), 0);
	store_fixture_add_institution(other, "99ZZ");
	append_event(other);

	assert_int_equal(store_backup_to(f->s, f->copy, &err), 0);
	assert_int_equal(store_commit(other, &err), 0);
	store_close(other);

	assert_int_equal(stat(f->copy, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(store_sqlite_open(&copy, f->copy, false, &err), 0);
	assert_int_equal(store_schema_version(f->s, &version, &err), 0);
	assert_int_equal(store_schema_version(copy, &copy_version, &err), 0);
	assert_true(version >= 1);
	assert_int_equal(copy_version, version);
	assert_int_equal(store_audit_head(copy, &copy_seq, copy_head, &err), 0);
	assert_int_equal(copy_seq, 5);
	assert_int_equal(store_institution_get(copy, "21PB", &got, &err), 0);
	assert_int_equal(store_institution_get(copy, "99ZZ", &got, &err), OK_ENOTFOUND);
	store_close(copy);
	/* The live store went on: it has what the copy does not. */
	assert_int_equal(store_audit_head(f->s, &seq, head, &err), 0);
	assert_int_equal(seq, 6);
}

static void an_existing_file_is_never_replaced(void **state)
{
	struct fixture *f = *state;
	struct ok_error err;
	FILE *fp = fopen(f->copy, "w");
	char line[16] = "";

	assert_non_null(fp);
	fputs("mine\n", fp);
	fclose(fp);
	ok_error_clear(&err);
	assert_int_equal(store_backup_to(f->s, f->copy, &err), OK_EEXIST);
	assert_int_equal(err.code, OK_EEXIST);
	fp = fopen(f->copy, "r");
	assert_non_null(fp);
	assert_non_null(fgets(line, sizeof(line), fp));
	fclose(fp);
	assert_string_equal(line, "mine\n");
}

static void not_inside_a_transaction(void **state)
{
	struct fixture *f = *state;
	struct ok_error err;

	assert_int_equal(store_begin(f->s, &err), 0);
	assert_true(store_backup_to(f->s, f->copy, &err) < 0);
	assert_int_equal(store_rollback(f->s), 0);
	assert_int_equal(access(f->copy, F_OK), -1);
}

static void a_folder_that_does_not_exist_fails_cleanly(void **state)
{
	struct fixture *f = *state;
	struct ok_error err;
	char path[160];

	snprintf(path, sizeof(path), "%s/missing/copy.db", f->dir);
	ok_error_clear(&err);
	assert_int_equal(store_backup_to(f->s, path, &err), OK_EIO);
	assert_non_null(strstr(err.message, "cannot create"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(the_copy_is_the_committed_state, setup, teardown),
	        cmocka_unit_test_setup_teardown(an_existing_file_is_never_replaced, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(not_inside_a_transaction, setup, teardown),
	        cmocka_unit_test_setup_teardown(a_folder_that_does_not_exist_fails_cleanly, setup,
	                                        teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
