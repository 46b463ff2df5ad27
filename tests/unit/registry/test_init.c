/* Unit tests for creating a data folder in one call (`oorkonde init`): the folder is made and
 * its name and DID read back; an existing folder is refused and left as it was. */
#include "registry_test.h"

#include "registry/init.h"

static void made_and_read_back(void **state)
{
	struct reg_fixture *f = *state;
	struct init_result made;
	struct ok_error err;

	ok_error_clear(&err);
	assert_int_equal(registry_init(f->dir, NULL, "Test depository", NULL, &made, &err), 0);
	assert_true(made.opened);
	assert_string_equal(made.name, "Test depository");
	assert_true(made.has_did);
	assert_int_equal(strncmp(made.did, "did:key:z6Mk", 12), 0);
	reg_fixture_reopen(f);
	assert_string_equal(f->d.issuer_did, made.did);
}

static void a_host_gives_a_did_web(void **state)
{
	struct reg_fixture *f = *state;
	struct init_result made;
	struct ok_error err;

	ok_error_clear(&err);
	assert_int_equal(registry_init(f->dir, "diplomas.example.org", NULL, NULL, &made, &err), 0);
	assert_string_equal(made.did, "did:web:diplomas.example.org");
	assert_true(made.name[0] != '\0');
}

static void an_existing_folder_is_refused(void **state)
{
	struct reg_fixture *f = *state;
	struct init_result made, again;
	struct ok_error err;

	ok_error_clear(&err);
	assert_int_equal(registry_init(f->dir, NULL, NULL, NULL, &made, &err), 0);
	assert_int_equal(registry_init(f->dir, NULL, NULL, NULL, &again, &err), OK_EEXIST);
	assert_false(again.opened);
	assert_false(again.has_did);
	reg_fixture_reopen(f);
	assert_string_equal(f->d.issuer_did, made.did);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(made_and_read_back, reg_setup_empty, reg_teardown),
	        cmocka_unit_test_setup_teardown(a_host_gives_a_did_web, reg_setup_empty,
	                                        reg_teardown),
	        cmocka_unit_test_setup_teardown(an_existing_folder_is_refused, reg_setup_empty,
	                                        reg_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
