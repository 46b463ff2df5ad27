/* Unit tests for the error convention: codes, messages, field and location. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
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

/* The server's answers depend on this table: a change here is a change of the HTTP API. */
static void http_columns_are_pinned(void **state)
{
	static const struct {
		int code;
		unsigned status;
		const char *slug, *title;
		bool own_detail;
	} want[] = {
	        {OK_EINPUT, 400, "invalid-input", "Invalid input", true},
	        {OK_ENOMEM, 500, "internal", "Internal error", false},
	        {OK_EIO, 500, "internal", "Internal error", false},
	        {OK_ENOTFOUND, 404, "not-found", "Not found", true},
	        {OK_EEXIST, 409, "conflict", "Conflict", true},
	        {OK_ETOOBIG, 413, "too-large", "Content too large", true},
	        {OK_ESTORE, 500, "internal", "Internal error", false},
	        {OK_ECRYPTO, 500, "internal", "Internal error", false},
	        {OK_EAUTH, 403, "forbidden", "Forbidden", true},
	        {OK_ECONFLICT, 409, "conflict", "Conflict", true},
	        {OK_EINVALID, 422, "invalid", "Unprocessable", true},
	        {OK_EUNSUPPORTED, 500, "internal", "Internal error", false},
	        {OK_EDISKFULL, 507, "disk-full", "Insufficient storage", false},
	        {OK_EBUSY, 503, "busy", "Busy", false},
	        {OK_EINTERNAL, 500, "internal", "Internal error", false},
	        {OK_EGONE, 410, "gone", "Gone", true},
	        {OK_ELIMIT, 429, "limit-reached", "Too many requests", true},
	        {OK_EREADONLY, 503, "read-only-replica", "Read-only replica", false},
	        {OK_EMOVED, 503, "store-moved", "Store moved", false},
	        {OK_ENOANSWER, 503, "store-not-answering", "Store not answering", false},
	        {OK_OK, 500, "internal", "Internal error", false},
	        {-999, 500, "internal", "Internal error", false},
	};
	size_t i;

	(void)state;
	/* every code of the table, 0 and an unknown one */
#define ONE(...) +1
	assert_int_equal(sizeof(want) / sizeof(want[0]), 2 OK_ERROR_CODES(ONE));
#undef ONE
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_int_equal(ok_http_status(want[i].code), want[i].status);
		assert_string_equal(ok_problem_type(want[i].code), want[i].slug);
		assert_string_equal(ok_problem_title(want[i].code), want[i].title);
		assert_int_equal(ok_problem_detail(want[i].code) == NULL, want[i].own_detail);
	}
	assert_string_equal(ok_problem_detail(OK_EBUSY), "the depository is busy; try again");
	assert_string_equal(ok_problem_detail(OK_EDISKFULL),
	                    "the depository's disk is full; nothing was stored");
	assert_string_equal(ok_problem_detail(OK_ESTORE),
	                    "the depository could not complete the request");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(fail_returns_code_and_formats),
	        cmocka_unit_test(fail_field_and_locate),
	        cmocka_unit_test(null_error_is_allowed),
	        cmocka_unit_test(long_message_is_cut_at_a_character),
	        cmocka_unit_test(every_code_has_a_message_and_name),
	        cmocka_unit_test(http_columns_are_pinned),
	};
	return cmocka_run_group_tests_name("core/error", tests, NULL, NULL);
}
