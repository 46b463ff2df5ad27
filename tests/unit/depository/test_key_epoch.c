/* Unit tests of the folder's shared count of key changes (depository/key_epoch.h): two mappings
 * (as two processes) see each other's bumps at once, the count survives a reopen, the file is
 * private and one page, and a keys.epoch with another name or that is no file is refused. */
#include "registry/registry_test.h"

#include <sys/stat.h>
#include <unistd.h>

#include "depository/key_epoch.h"

static int setup(void **state)
{
	struct ok_error err;

	if (reg_setup_empty(state))
		return -1;
	return depository_create(((struct reg_fixture *)*state)->dir, NULL, &err);
}

static void epoch_path(const struct reg_fixture *f, char *out, size_t cap)
{
	assert_true(snprintf(out, cap, "%s/%s", f->dir, DEPOSITORY_KEY_EPOCH_FILE) < (int)cap);
}

static void two_mappings_see_each_others_bumps(void **state)
{
	struct reg_fixture *f = *state;
	struct depository_key_epoch a, b;
	struct ok_error err;
	struct stat st;
	char path[160];
	uint64_t start;

	assert_int_equal(depository_key_epoch_open(&a, f->dir, &err), 0);
	assert_int_equal(depository_key_epoch_open(&b, f->dir, &err), 0);
	start = depository_key_epoch_read(&a);
	assert_int_equal(depository_key_epoch_read(&b), start);
	depository_key_epoch_bump(&a);
	assert_int_equal(depository_key_epoch_read(&b), start + 1);
	depository_key_epoch_bump(&b);
	depository_key_epoch_bump(&b);
	assert_int_equal(depository_key_epoch_read(&a), start + 3);
	depository_key_epoch_close(&a);
	depository_key_epoch_close(&b);
	assert_int_equal(depository_key_epoch_read(&a), 0);

	/* Kept in the file: a process that opens it later starts from the same count. */
	assert_int_equal(depository_key_epoch_open(&a, f->dir, &err), 0);
	assert_int_equal(depository_key_epoch_read(&a), start + 3);
	depository_key_epoch_close(&a);
	epoch_path(f, path, sizeof(path));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, 4096);
}

static void a_depository_maps_it_at_open(void **state)
{
	struct reg_fixture *f = *state;
	struct depository_key_epoch other;
	struct ok_error err;
	uint64_t before;

	reg_fixture_reopen(f);
	assert_non_null(f->d.key_epoch.count);
	assert_int_equal(depository_key_epoch_open(&other, f->dir, &err), 0);
	before = depository_key_epoch_read(&other);
	depository_keys_changed(&f->d);
	assert_int_equal(depository_key_epoch_read(&other), before + 1);
	depository_key_epoch_close(&other);
}

static void a_file_with_another_name_or_no_file_is_refused(void **state)
{
	struct reg_fixture *f = *state;
	struct depository_key_epoch e;
	struct ok_error err;
	char path[160], other[200];

	epoch_path(f, path, sizeof(path));
	assert_int_equal(depository_key_epoch_open(&e, f->dir, &err), 0);
	depository_key_epoch_close(&e);
	assert_true(snprintf(other, sizeof(other), "%s/epoch.copy", f->base) < (int)sizeof(other));
	assert_int_equal(link(path, other), 0);
	assert_int_equal(depository_key_epoch_open(&e, f->dir, &err), OK_EUNSUPPORTED);
	assert_null(e.count);
	assert_int_equal(unlink(other), 0);

	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_true(depository_key_epoch_open(&e, f->dir, &err) != 0);
	assert_null(e.count);
	assert_int_equal(depository_key_epoch_read(&e), 0);
	depository_key_epoch_bump(&e); /* nothing to move: no crash */
	assert_int_equal(rmdir(path), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(two_mappings_see_each_others_bumps, setup,
	                                        reg_teardown),
	        cmocka_unit_test_setup_teardown(a_depository_maps_it_at_open, setup, reg_teardown),
	        cmocka_unit_test_setup_teardown(a_file_with_another_name_or_no_file_is_refused,
	                                        setup, reg_teardown),
	};
	return cmocka_run_group_tests_name("depository/key_epoch", tests, NULL, NULL);
}
