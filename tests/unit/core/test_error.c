/* Unit tests for the error convention: codes, messages, field and location. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/error.h"

static void fail_returns_code_and_formats(void **state)
{
	struct ok_error err;

	(void)state;
	ok_error_clear(&err);
	assert_int_equal(ok_fail(&err, OK_EINPUT, "credits must be %d-%d", 0, 600), OK_EINPUT);
	assert_int_equal(err.code, OK_EINPUT);
	assert_string_equal(err.message, "credits must be 0-600");
	assert_string_equal(err.field, "");
}

static void fail_field_and_locate(void **state)
{
	struct ok_error err;

	(void)state;
	ok_error_clear(&err);
	ok_fail_field(&err, OK_EINPUT, "eqf_level", "must be 1-8");
	ok_error_locate(&err, "results.csv", 17);
	assert_string_equal(err.field, "eqf_level");
	assert_string_equal(err.file, "results.csv");
	assert_int_equal(err.line, 17);
}

static void null_error_is_allowed(void **state)
{
	(void)state;
	assert_int_equal(ok_fail(NULL, OK_EIO, "x"), OK_EIO);
	ok_error_locate(NULL, "f", 1);
}

static void long_message_is_cut_at_a_character(void **state)
{
	struct ok_error err;
	char big[600];
	size_t i;

	(void)state;
	/* "é" is two bytes; the cut must not split one. */
	for (i = 0; i + 2 < sizeof(big); i += 2)
		memcpy(big + i, "\xc3\xa9", 2);
	big[i] = '\0';
	ok_fail(&err, OK_EINPUT, "%s", big);
	assert_true(strlen(err.message) < sizeof(err.message));
	assert_string_equal(err.message + strlen(err.message) - 3, "...");
	assert_true(((unsigned char)err.message[strlen(err.message) - 4] & 0xC0) != 0xC0);
}

static void every_code_has_a_message_and_name(void **state)
{
	int c;

	(void)state;
	for (c = OK_EINTERNAL; c <= OK_EINPUT; c++) {
		assert_string_not_equal(ok_strerror(c), "unknown error");
		assert_true(strncmp(ok_code_name(c), "OK_E", 4) == 0);
	}
	assert_string_equal(ok_strerror(-999), "unknown error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(fail_returns_code_and_formats),
	        cmocka_unit_test(fail_field_and_locate),
	        cmocka_unit_test(null_error_is_allowed),
	        cmocka_unit_test(long_message_is_cut_at_a_character),
	        cmocka_unit_test(every_code_has_a_message_and_name),
	};
	return cmocka_run_group_tests_name("core/error", tests, NULL, NULL);
}
