/* Unit tests for issuing every credential of a learner in one call (`issue --learner-id`): one
 * credential per achievement, the learner's read audited first, an unknown learner an error. */
#include "registry_test.h"

#include <jansson.h>

#include "registry/credential.h"

#define NID "123456782"

static const char csv[] = REG_CSV_HEADER
        "R1," NID ",Anna,de Vries,2000-01-02,course,Databases,,,5,8,NL 1-10,2021-01-15,nl\n"
        "R2," NID ",Anna,de Vries,2000-01-02,course,Statics,,,5,7,NL 1-10,2021-02-15,nl\n"
        "R3,987654329,Bram,Jansen,2001-03-04,course,Optics,,,5,7,NL 1-10,2021-01-15,nl\n";

struct issued {
	size_t n, failed;
	char ids[4][STORE_ID_MAX + 1];
	char titles[4][64];
};

static void collect(void *ctx, const char *achievement_id, int rc, const struct buf *credential,
                    const struct ok_error *err)
{
	struct issued *is = ctx;
	json_t *vc, *subject;

	(void)err;
	if (rc) {
		is->failed++;
		return;
	}
	assert_true(is->n < 4);
	snprintf(is->ids[is->n], sizeof(is->ids[0]), "%s", achievement_id);
	vc = json_loadb(credential->data, credential->len, 0, NULL);
	assert_non_null(vc);
	subject = json_object_get(vc, "credentialSubject");
	snprintf(is->titles[is->n], sizeof(is->titles[0]), "%s",
	         json_string_value(
	                 json_object_get(json_object_get(subject, "achievement"), "name")));
	assert_non_null(json_object_get(vc, "proof"));
	json_decref(vc);
	is->n++;
}

static void every_achievement_of_the_learner(void **state)
{
	struct reg_fixture *f = *state;
	char learner[STORE_ID_MAX + 1];
	struct issued is = {0};
	struct ok_error err;
	long long reads;

	reg_import_expect(f, csv, 3, 0, 0, 0);
	assert_int_equal(registry_learner_find_id(&f->d, NID, learner, &err), 0);
	reads = reg_sql_int(f, "SELECT count(*) FROM audit_event WHERE action = 'learner.read'");
	ok_error_clear(&err);
	assert_int_equal(registry_credential_issue_learner(&f->d, learner, CREDENTIAL_DI,
	                                                   "operator", collect, &is, &err),
	                 0);
	assert_int_equal(is.failed, 0);
	assert_int_equal(is.n, 2);
	assert_true(
	        (strcmp(is.titles[0], "Databases") == 0 && strcmp(is.titles[1], "Statics") == 0) ||
	        (strcmp(is.titles[0], "Statics") == 0 && strcmp(is.titles[1], "Databases") == 0));
	assert_string_not_equal(is.ids[0], is.ids[1]);
	/* The read of the learner is audited, for issuance, besides each issuance. */
	assert_true(reg_sql_int(f, "SELECT count(*) FROM audit_event WHERE action = "
	                           "'learner.read' AND purpose = 'issuance'") >= 1);
	assert_true(reg_sql_int(f, "SELECT count(*) FROM audit_event WHERE action = "
	                           "'learner.read'") > reads);
}

static void an_unknown_learner_is_not_found(void **state)
{
	struct reg_fixture *f = *state;
	struct issued is = {0};
	struct ok_error err;

	ok_error_clear(&err);
	assert_int_equal(registry_credential_issue_learner(&f->d, "0123456789abcdef01234567",
	                                                   CREDENTIAL_JWT, "operator", collect, &is,
	                                                   &err),
	                 OK_ENOTFOUND);
	assert_int_equal(is.n + is.failed, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(every_achievement_of_the_learner, reg_setup,
	                                        reg_teardown),
	        cmocka_unit_test_setup_teardown(an_unknown_learner_is_not_found, reg_setup,
	                                        reg_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
